#!/usr/bin/env python3
"""End-to-end sends through the C library (the `send` example), against

- aiosmtpd (tests/interop/aiosmtpd_server.py), a real SMTP server this project did not
  write: STARTTLS with a certificate made here (cryptography), AUTH PLAIN, a recipient
  refused with 550 5.1.1, a wrong password, a server certificate that is not trusted;
- the sandbox (tests/sandbox): STARTTLS + AUTH PLAIN + registered senders + ids.

Each send also runs under valgrind when --valgrind is given, and so does the C suite of
sends through the sandbox (tests/test_smtp.c: send_many, the pool from several threads,
the transcript callback) given with --smtp-test (and --smtp-test-asan, its ASan+UBSan
build). Prints `N passed, N failed`.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
results = {"passed": 0, "failed": 0}


def check(name: str, cond: bool, detail: str = "") -> None:
    if cond:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {detail}", file=sys.stderr)


def make_certs(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for localhost / 127.0.0.1, signed by it."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "email365 C e2e CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_send(send: list[str], env: dict, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(send + args, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def aiosmtpd_cases(sends: list[list[str]], folder: Path) -> None:
    ca_file, cert_file, key_file = make_certs(folder)
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
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
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
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "email365-sandbox"], cwd=ROOT, check=True)
    proc = subprocess.Popen(
        [str(ROOT / "target/release/email365-sandbox"), "--smtp-port", "0", "--http-port", "0", "--step-ms", "0",
         "--sender-domain", "example.com", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
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
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


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
    print(f"c-e2e: {results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
