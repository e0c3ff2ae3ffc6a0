"""An aiosmtpd server for the transport's interop tests (core/tests/smtp_interop.rs).

Started by the Rust test with `.venv/bin/python tests/interop/aiosmtpd_server.py ...` on a
port the test picked (aiosmtpd's `Controller(port=0)` fails its own self-check).
STARTTLS is required, AUTH PLAIN/LOGIN accepts one user, the SIZE limit is
`--size-limit`, and recipients whose local part starts with `reject` are refused with
550 5.1.1. Each received message is printed as one JSON line on stdout:
{"mail_from", "rcpt_tos", "mail_options", "rcpt_options", "data_b64"} where `data_b64`
is `envelope.original_content`: the data as received, dot-unstuffed, without the
terminating `.` line (aiosmtpd's documented behaviour; line ends are kept as sent).
The line `READY <port>` is printed once the server listens; it stops at EOF on stdin.
"""

import argparse
import base64
import json
import logging
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("reject"):
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "rcpt_options": envelope.rcpt_options,
            "data_b64": base64.b64encode(envelope.original_content).decode("ascii"),
        }
        print(json.dumps(record), flush=True)
        return f"250 2.0.0 Ok: queued as {10000000000000 + n}"


def make_authenticator(user: str, password: str):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return authenticator


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--size-limit", type=int, default=100000)
    args = p.parse_args()
    # aiosmtpd logs a deprecation notice on every login; keep stderr for real problems.
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname="localhost",
        tls_context=ctx,
        require_starttls=True,
        authenticator=make_authenticator(args.user, args.password),
        auth_required=True,
        auth_require_tls=True,
        data_size_limit=args.size_limit,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
    controller.start()
    print(f"READY {args.port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
