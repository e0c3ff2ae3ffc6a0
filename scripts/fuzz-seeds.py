#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from tests/vectors/*.json.

Output: fuzz/seeds/<target>/<vector id> (git-ignored, rebuilt by `make fuzz` and
`make fuzz-smoke`; each target's input format is described at the top of
fuzz/fuzz_targets/<target>.rs). The fuzzers write what they discover to
fuzz/corpus/<target>/ (also ignored) and read the seeds as a second corpus folder.
Idempotent: the seed folders are emptied and written again.
"""
import base64
import json
import pathlib
import re
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
SEEDS = ROOT / "fuzz" / "seeds"

# The order of email365::reply::Command::ALL, which the `reply` target indexes (1-based).
COMMANDS = ["GREETING", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA",
            "DATA_END", "BDAT", "RSET", "NOOP", "QUIT", "OTHER"]


def cases(name):
    return json.loads((VECTORS / f"{name}.json").read_text())["cases"]


def expand(value):
    """The vectors' `{"$repeat": s, "times": n}` short form."""
    if isinstance(value, dict) and "$repeat" in value:
        return value["$repeat"] * value["times"]
    if isinstance(value, list):
        return "".join(expand(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


def write(target, name, data):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:100]
    (folder / safe).write_bytes(data)


def address_seeds():
    for case in cases("addresses"):
        args = case["args"]
        if "address" not in args:
            continue
        flags = (1 if args.get("mode") == "header" else 0) \
            | (2 if args.get("allow_quoted_local") else 0) \
            | (4 if args.get("allow_domain_literal") else 0)
        write("address", case["id"], bytes([flags]) + expand(args["address"]).encode())


def reply_seeds():
    for file in ("replies", "notification_ids"):
        for case in cases(file):
            args = case["args"]
            if "reply" in args:
                text = expand(args["reply"])
            elif "code" not in args:
                continue
            else:
                text = f"{args['code']} {args.get('enhanced') or ''} seed".replace("  ", " ")
            cmd = args.get("command")
            cmd = cmd if isinstance(cmd, str) else None
            index = COMMANDS.index(cmd.upper()) + 1 if cmd and cmd.upper() in COMMANDS else 0
            write("reply", f"{file}-{case['id']}", bytes([index]) + text.encode())


def status_seeds():
    stamps = set()
    for case in cases("status_parse"):
        body = expand(case["args"]["body"])
        write("status", "parse-" + case["id"], b"\x00" + body.encode())
        stamps.update(re.findall(r'"timestamp"\s*:\s*"([^"]*)"', body))
    for i, stamp in enumerate(sorted(stamps)):
        write("status", f"timestamp-{i}", b"\x01" + stamp.encode())
    for case in cases("status_request"):
        a = case["args"]
        present = 0
        fields = [a.get("account_id", ""), a.get("notification_id", ""),
                  a.get("username", ""), a.get("password", "")]
        for bit, key in enumerate(("recipient", "region", "base_url")):
            if key in a and a[key] is not None:
                present |= 1 << bit
            fields.append(a.get(key) or "")
        data = b"\x02" + bytes([present]) + b"\x00".join(expand(f).encode() for f in fields)
        write("status", "request-" + case["id"], data)


def message_seeds():
    for case in cases("messages"):
        ok = case.get("expect", {}).get("ok")
        if ok and "message_base64" in ok:
            write("message", case["id"], b"\x00" + base64.b64decode(ok["message_base64"]))


# smtp_engine: config byte, mode byte (bit 0: chunking, bit 1: batch, bits 2-3: batch size
# - 1, bits 4-5: window - 1), recipient count byte, then chunks (length byte + bytes).
SESSIONS = {
    # STARTTLS, AUTH PLAIN, pipelined transaction.
    "starttls-plain": (0b10100, 0, 2, [
        b"220 mx.example ESMTP\r\n",
        b"250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
        b"220 2.0.0 ready\r\n",
        b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n"
        b"250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\r\n",
        b"235 2.7.0 ok\r\n",
        b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n452 4.5.3 too many\r\n354 go\r\n",
        b"250 2.0.0 Ok: queued as 4Bf3xZ1Yz3z9t\r\n",
        b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n",
        b"250 2.0.0 Ok: queued as 5Cf3\r\n",
        b"221 bye\r\n",
    ]),
    # AUTH LOGIN without pipelining.
    "starttls-login": (0b01100, 0, 1, [
        b"220 mx.example ESMTP\r\n",
        b"250-mx.example\r\n250 STARTTLS\r\n",
        b"220 go ahead\r\n",
        b"250-mx.example\r\n250 AUTH LOGIN\r\n",
        b"334 VXNlcm5hbWU6\r\n", b"334 UGFzc3dvcmQ6\r\n", b"235 ok\r\n",
        b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n", b"250 queued as ABC\r\n",
    ]),
    # Plaintext, HELO fallback, refusals.
    "plaintext-helo": (0b00010, 0, 3, [
        b"220 old.example\r\n", b"502 no EHLO\r\n", b"250 hi\r\n",
        b"250 ok\r\n", b"550 5.1.1 no such user\r\n", b"250 ok\r\n", b"451 later\r\n",
        b"354 go\r\n", b"554 5.7.1 rejected\r\n", b"250 reset\r\n",
    ]),
    # Implicit TLS, 421 in the middle.
    "implicit-421": (0b10101, 0, 2, [
        b"220 smtps.example\r\n",
        b"250-smtps.example\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n",
        b"235 ok\r\n", b"250 ok\r\n250 ok\r\n421 4.3.2 shutting down\r\n",
    ]),
    # Data after the STARTTLS reply (injection attempt).
    "starttls-injection": (0b00000, 0, 1, [
        b"220 mx\r\n", b"250-mx\r\n250 STARTTLS\r\n", b"220 go\r\n250 injected\r\n",
    ]),
    # STARTTLS, AUTH, one message with BDAT (CHUNKING offered after TLS).
    "starttls-bdat": (0b10100, 0b1, 2, [
        b"220 mx.example ESMTP\r\n",
        b"250-mx.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 STARTTLS\r\n",
        b"220 2.0.0 ready\r\n",
        b"250-mx.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-8BITMIME\r\n"
        b"250 AUTH PLAIN\r\n",
        b"235 2.7.0 ok\r\n",
        b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n",
        b"250 2.0.0 Ok: queued as BD1\r\n",
        b"221 bye\r\n",
    ]),
    # Plaintext batch of three with BDAT, window 3: RSET in front of the later ones,
    # a refused recipient in the second.
    "batch-bdat": (0b10010, 0b101011, 1, [
        b"220 mx.example ESMTP\r\n",
        b"250-mx.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n",
        b"250 ok\r\n250 ok\r\n250 queued as A\r\n",
        b"250 reset\r\n250 ok\r\n250 ok\r\n550 5.1.1 no\r\n250 queued as B\r\n",
        b"250 reset\r\n250 ok\r\n250 ok\r\n250 ok\r\n452 4.5.3 later\r\n"
        b"250 queued as C\r\n",
        b"221 bye\r\n",
    ]),
    # Plaintext batch of two with DATA (no CHUNKING offered), window 2.
    "batch-data": (0b10010, 0b010110, 1, [
        b"220 mx.example ESMTP\r\n",
        b"250-mx.example\r\n250 PIPELINING\r\n",
        b"250 ok\r\n250 ok\r\n354 go\r\n",
        b"250 queued as A\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
        b"250 queued as B\r\n",
        b"221 bye\r\n",
    ]),
}


def engine_seeds():
    for name, (config, mode, rcpts, replies) in SESSIONS.items():
        for size in (1, 7, 64, 255):
            script = b"".join(replies)
            data = bytearray([config, mode, rcpts])
            for i in range(0, len(script), size):
                chunk = script[i:i + size]
                data.append(len(chunk))
                data += chunk
            write("smtp_engine", f"{name}-{size}", bytes(data))


def main():
    if SEEDS.exists():
        shutil.rmtree(SEEDS)
    address_seeds()
    reply_seeds()
    status_seeds()
    message_seeds()
    engine_seeds()
    for folder in sorted(SEEDS.iterdir()):
        print(f"[fuzz-seeds] {folder.name}: {len(list(folder.iterdir()))} seeds")


if __name__ == "__main__":
    main()
