#!/usr/bin/env python3
"""End-to-end sends through the C library (the `send` example), against

- aiosmtpd (tests/interop/aiosmtpd_server.py), a real SMTP server this project did not
  write: STARTTLS with a certificate made here (cryptography), AUTH PLAIN, a recipient
  refused with 550 5.1.1, a wrong password, a server certificate that is not trusted;
- the sandbox (tests/sandbox): STARTTLS + AUTH PLAIN + registered senders + ids;
- Postfix (tests/interop/postfix_server.py, unpacked by scripts/setup.sh; missing, it
  fails): STARTTLS required, AUTH PLAIN over Cyrus SASL, an envelope that differs from
  the headers (the `send` example with E365_SEND_RAW=1 and E365_ENVELOPE_TO, and the
  `e365-send` command with an .eml file) with one recipient refused 550 5.1.1, and what
  Postfix delivered to each mailbox compared with what was sent.

Each send also runs under valgrind when --valgrind is given, and so does the C suite of
sends through the sandbox (tests/test_smtp.c: send_many, the pool from several threads,
the transcript callback) given with --smtp-test (and --smtp-test-asan, its ASan+UBSan
build). Prints `N passed, N failed`.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "interop"))
from testkit import free_port, make_certs, sandbox  # noqa: E402
PY = sys.executable
results = {"passed": 0, "failed": 0}


def check(name: str, cond: bool, detail: str = "") -> None:
    if cond:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {detail}", file=sys.stderr)


def stop(server: subprocess.Popen, seconds: float) -> None:
    """Closes a harness's stdin (it stops at EOF) and kills it if it is still running
    `seconds` later."""
    server.stdin.close()
    try:
        server.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        server.kill()


def run_send(send: list[str], env: dict, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(send + args, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def aiosmtpd_cases(sends: list[list[str]], folder: Path) -> None:
    ca_file, cert_file, key_file = make_certs(folder, "email365 C e2e CA")
    port = free_port()
    server = subprocess.Popen(
        [PY, str(ROOT / "tests/interop/aiosmtpd_server.py"), "--port", str(port), "--cert", str(cert_file),
         "--key", str(key_file), "--user", "c-user", "--password", "c-secret"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=(folder / "aiosmtpd.log").open("w"), text=True,
    )
    failed_before = results["failed"]
    try:
        ready = server.stdout.readline()
        assert ready.startswith("READY"), ready
        env = {"E365_SMTP_HOST": "127.0.0.1", "E365_SMTP_PORT": str(port), "E365_CA_FILE": str(ca_file),
               "E365_USERNAME": "c-user", "E365_PASSWORD": "c-secret", "E365_SUBJECT": "C e2e"}
        for send in sends:
            label = "valgrind" if len(send) > 1 else "plain"
            out = run_send(send, env, ["Shop <shop@example.com>", "alice@example.org", "reject-me@example.org"])
            check(f"aiosmtpd-send-{label}", out.returncode == 0, out.stderr + out.stdout)
            lines = out.stdout.splitlines()
            check(f"aiosmtpd-id-{label}", any(l.startswith("notification_id 1000000000") for l in lines), out.stdout)
            check(f"aiosmtpd-accepted-{label}", "accepted alice@example.org" in lines, out.stdout)
            check(f"aiosmtpd-rejected-{label}", any(l.startswith("rejected reject-me@example.org 550") for l in lines), out.stdout)
            record = json.loads(server.stdout.readline())
            data = base64.b64decode(record["data_b64"])
            check(f"aiosmtpd-envelope-{label}", record["mail_from"] == "shop@example.com" and record["rcpt_tos"] == ["alice@example.org"], str(record))
            check(f"aiosmtpd-data-{label}", b"Subject: C e2e\r\n" in data and data.endswith(b"\r\n"), data[:200].decode(errors="replace"))

        # Raw bytes with the envelope read from them.
        out = run_send(sends[0], {**env, "E365_SEND_RAW": "1"}, ["shop@example.com", "carol@example.org"])
        record = json.loads(server.stdout.readline()) if out.returncode == 0 else {}
        check("aiosmtpd-send-raw", out.returncode == 0 and record.get("rcpt_tos") == ["carol@example.org"]
              and "accepted carol@example.org" in out.stdout.splitlines(), out.stderr + out.stdout)

        # Wrong password: E365_AUTH, and the password never shows.
        out = run_send(sends[0], {**env, "E365_PASSWORD": "wrong-pass-xyz"}, ["shop@example.com", "alice@example.org"])
        check("aiosmtpd-wrong-password", out.returncode == 1 and "auth" in out.stderr, out.stderr)
        check("aiosmtpd-password-not-shown", "wrong-pass-xyz" not in out.stderr + out.stdout, out.stderr)
        # The server's certificate is not trusted without the CA file: E365_TLS.
        out = run_send(sends[0], {**env, "E365_CA_FILE": ""}, ["shop@example.com", "alice@example.org"])
        check("aiosmtpd-untrusted-certificate", out.returncode == 1 and "connect failed: tls" in out.stderr, out.stderr)
        # Every recipient refused: E365_RECIPIENTS_REJECTED with one reply per recipient.
        out = run_send(sends[0], env, ["shop@example.com", "reject-a@example.org", "reject-b@example.org"])
        check("aiosmtpd-all-rejected", out.returncode == 1 and "recipients_rejected" in out.stderr
              and out.stderr.count("550") >= 2, out.stderr)
    finally:
        stop(server, 10)
        # The server's log (its TLS alert tracebacks are expected) only when a case failed.
        if results["failed"] > failed_before:
            print((folder / "aiosmtpd.log").read_text(), file=sys.stderr)


def smtp_suite_cases(suites: list[tuple[str, list[str]]], env: dict) -> None:
    """tests/test_smtp.c (send_many, the pool from threads, the transcript callback)."""
    for label, command in suites:
        out = run_send(command, env, [])
        summary = out.stdout.strip().splitlines()[-1:] or [""]
        check(f"sandbox-test-smtp-{label}", out.returncode == 0 and summary[0].endswith(" 0 failed"),
              out.stderr + out.stdout)


def sandbox_cases(sends: list[list[str]], suites: list[tuple[str, list[str]]]) -> None:
    with sandbox("--smtp-port", "0", "--http-port", "0", "--step-ms", "0", "--sender-domain", "example.com") as info:
        env = {"E365_SMTP_HOST": info["smtp_host"], "E365_SMTP_PORT": str(info["smtp_port"]),
               "E365_CA_FILE": info["ca_file"], "E365_USERNAME": info["username"], "E365_PASSWORD": info["password"],
               "E365_ACCOUNT_ID": info["account_id"], "E365_STATUS_BASE_URL": info["http_url"]}
        for send in sends:
            label = "valgrind" if len(send) > 1 else "plain"
            out = run_send(send, env, ["Shop <shop@example.com>", "alice@example.org"])
            check(f"sandbox-send-{label}", out.returncode == 0, out.stderr + out.stdout)
            ids = [l.split()[1] for l in out.stdout.splitlines() if l.startswith("notification_id ")]
            check(f"sandbox-id-{label}", len(ids) == 1 and ids[0].isdigit(), out.stdout)
            # The status client waited for the final state of the recipient.
            events = [l for l in out.stdout.splitlines() if l.startswith("event ")]
            check(f"sandbox-status-{label}", "final yes" in out.stdout.splitlines()
                  and any(" CH_SENT alice@example.org" in e for e in events), out.stdout)
        # An unregistered sender is refused by the service (5xx: permanent).
        out = run_send(sends[0], env, ["someone@unregistered.example", "alice@example.org"])
        check("sandbox-unregistered-sender", out.returncode == 1 and "smtp_permanent" in out.stderr, out.stderr)
        # The transcript (E365_LOG=1) shows the session, never the password.
        out = run_send(sends[0], {**env, "E365_LOG": "1"}, ["shop@example.com", "alice@example.org"])
        check("sandbox-transcript", out.returncode == 0 and "C: AUTH PLAIN <redacted>" in out.stderr
              and "S: 235 " in out.stderr, out.stderr)
        secret = info["password"]
        plain = base64.b64encode(f"\0{info['username']}\0{secret}".encode()).decode()
        check("sandbox-transcript-leaks-no-password", secret not in out.stderr + out.stdout
              and plain not in out.stderr, out.stderr)
        smtp_suite_cases(suites, env)


def postfix_cases(sends: list[list[str]]) -> None:
    harness = [PY, str(ROOT / "tests/interop/postfix_server.py")]
    found = subprocess.run(harness + ["--check"], capture_output=True, text=True)
    check("postfix-installed", found.returncode == 0, found.stderr)  # says to run scripts/setup.sh
    if found.returncode != 0:
        return
    proc = subprocess.Popen(harness, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        env = {"E365_SMTP_HOST": "localhost", "E365_SMTP_PORT": str(info["port"]), "E365_CA_FILE": info["ca_file"],
               "E365_USERNAME": info["username"], "E365_PASSWORD": info["password"], "E365_SUBJECT": "C to Postfix",
               "E365_SEND_RAW": "1", "E365_ENVELOPE_TO": "rcpt@example.net,other@example.org,reject-x@example.net"}
        for send in sends:
            label = "valgrind" if len(send) > 1 else "plain"
            # The headers name rcpt@ only; the envelope has two more, one of them refused.
            out = run_send(send, env, ["Shop <shop@example.com>", "rcpt@example.net"])
            lines = out.stdout.splitlines()
            check(f"postfix-send-{label}", out.returncode == 0, out.stderr + out.stdout)
            check(f"postfix-accepted-{label}", [l for l in lines if l.startswith("accepted ")]
                  == ["accepted rcpt@example.net", "accepted other@example.org"], out.stdout)
            check(f"postfix-rejected-{label}", [l.split()[:3] for l in lines if l.startswith("rejected ")]
                  == [["rejected", "reject-x@example.net", "550"]] and "5.1.1" in out.stdout, out.stdout)
            ids = [l.split()[1] for l in lines if l.startswith("notification_id ")]
            check(f"postfix-queue-id-{label}", len(ids) == 1 and ids[0] != "-", out.stdout)
            if not ids:
                continue
            proc.stdin.write(f"deliveries {ids[0]} 2\n")
            proc.stdin.flush()
            stored = json.loads(proc.stdout.readline())["deliveries"]
            check(f"postfix-delivered-{label}", [d["recipient"] for d in stored]
                  == ["other@example.org", "rcpt@example.net"]
                  and all(d["return_path"] == "shop@example.com" for d in stored), str(stored))
            bodies = {base64.b64decode(d["message_b64"]) for d in stored}
            body = next(iter(bodies)) if len(bodies) == 1 else b""
            check(f"postfix-stored-message-{label}", b"Subject: C to Postfix\n" in body
                  and b"rcpt@example.net" in body and b"other@example.org" not in body, str(bodies)[:300])
        # The `e365-send` command (built beside the example): an .eml file as it is, with
        # an envelope from the flags that differs from its headers; one JSON line.
        eml = (b"From: Shop <shop@example.com>\r\nTo: rcpt@example.net\r\nSubject: eml to Postfix\r\n"
               b"Message-ID: <eml-postfix@example.com>\r\n\r\n.a dotted line\r\nbody\r\n")
        with tempfile.NamedTemporaryFile(suffix=".eml") as f:
            f.write(eml)
            f.flush()
            command = [str(Path(sends[0][-1]).parent / "e365-send"), "--host", "localhost", "--port",
                       str(info["port"]), "--ca", info["ca_file"], "--username", info["username"],
                       "--password-env", "E365_PASSWORD", "--from", "bounces@example.com", "--to",
                       "rcpt@example.net", "--to", "other@example.org", "--to", "reject-x@example.net",
                       "--eml", f.name, "--timeout", "20"]
            out = subprocess.run(command, env={**os.environ, "E365_PASSWORD": info["password"]},
                                 capture_output=True, text=True, timeout=120)
        ok = json.loads(out.stdout.splitlines()[-1]).get("ok", {}) if out.stdout.strip() else {}
        check("postfix-command-send", out.returncode == 0 and [a["recipient"] for a in ok.get("accepted", [])]
              == ["rcpt@example.net", "other@example.org"], out.stderr + out.stdout)
        check("postfix-command-rejected", [(r["recipient"], r["reply"]["code"], r["reply"]["enhanced"])
                                           for r in ok.get("rejected", [])]
              == [("reject-x@example.net", 550, "5.1.1")], out.stdout)
        qid = ok.get("notification_id") or "-"
        check("postfix-command-queue-id", ok.get("final_reply", {}).get("text", "").endswith(f"queued as {qid}"),
              out.stdout)
        proc.stdin.write(f"deliveries {qid} 2\n")
        proc.stdin.flush()
        stored = json.loads(proc.stdout.readline())["deliveries"]
        check("postfix-command-stored", [d["recipient"] for d in stored] == ["other@example.org", "rcpt@example.net"]
              and all(d["return_path"] == "bounces@example.com"
                      and base64.b64decode(d["message_b64"]) == eml.replace(b"\r\n", b"\n") for d in stored),
              str(stored))
        # A wrong password: E365_AUTH (535), and the password never shows.
        out = run_send(sends[0], {**env, "E365_PASSWORD": "wrong-pass-xyz"}, ["shop@example.com", "rcpt@example.net"])
        check("postfix-wrong-password", out.returncode == 1 and "auth" in out.stderr and "535" in out.stderr,
              out.stderr)
        check("postfix-password-not-shown", "wrong-pass-xyz" not in out.stderr + out.stdout, out.stderr)
    finally:
        stop(proc, 30)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--send", required=True, help="the send example")
    p.add_argument("--valgrind", default=None, help="valgrind command line to run each send under too")
    p.add_argument("--smtp-test", default=None, help="tests/test_smtp.c built against the shared library")
    p.add_argument("--smtp-test-asan", default=None, help="tests/test_smtp.c built with ASan+UBSan")
    opts = p.parse_args()
    sends = [[str(Path(opts.send).resolve())]]
    if opts.valgrind:
        sends.append(shlex.split(opts.valgrind) + sends[0])
    suites: list[tuple[str, list[str]]] = []
    if opts.smtp_test:
        suites.append(("plain", [str(Path(opts.smtp_test).resolve())]))
        if opts.valgrind:
            suites.append(("valgrind", shlex.split(opts.valgrind) + suites[0][1]))
    if opts.smtp_test_asan:
        suites.append(("asan", [str(Path(opts.smtp_test_asan).resolve())]))
    with tempfile.TemporaryDirectory() as folder:
        aiosmtpd_cases(sends, Path(folder))
    sandbox_cases(sends, suites)
    postfix_cases(sends)
    print(f"c-e2e: {results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
