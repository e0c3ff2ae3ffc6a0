"""The main job through the Python package, as `make run` shows it.

The Rust main job (tests/e2e) starts the sandbox (or points at the real service) and runs
this script with the target in EMAIL365_* variables: it builds a message with an
attachment, sends it with SmtpClient to every EMAIL365_TO recipient, prints each refusal
with the core's classification, and follows the status with StatusClient until final.

    EMAIL365_HOST=… EMAIL365_PORT=… … .venv/bin/python bindings-python/examples/main_job.py
"""

from __future__ import annotations

import os
import sys

import email365


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"main_job.py: {name} is not set (run it through `make run`)")
    return value


def main() -> int:
    recipients = [r.strip() for r in env("EMAIL365_TO").split(",") if r.strip()]
    message = email365.Message(
        from_addr=env("EMAIL365_FROM"),
        to=recipients,
        subject="Your invoice (sent from Python)",
        text="Hello,\n\nyour invoice is attached.\n",
        html="<p>Hello,</p><p>your invoice is <b>attached</b>.</p>",
        attachments=[email365.Attachment("invoice-1042.csv", b"item,qty\nwidget,3\n")],
    ).build()
    print(f"  built      {message.size} bytes, Message-ID <{message.message_id}>")
    with email365.SmtpClient(
        env("EMAIL365_HOST"),
        int(env("EMAIL365_PORT")),
        username=env("EMAIL365_USERNAME"),
        password=env("EMAIL365_PASSWORD"),
        tls="implicit" if os.environ.get("EMAIL365_TLS") == "implicit" else "starttls",
        ca_file=os.environ.get("EMAIL365_CA_FILE") or None,
    ) as smtp:
        result = smtp.send(message)
    print(f"  sent       notification id {result.notification_id}")
    print(f"  final      {result.final_reply.code} {result.final_reply.text}")
    for address in result.accepted:
        print(f"  accepted   {address}")
    for address, reply in result.rejected.items():
        c = reply.classify("RCPT")
        print(f"  rejected   {address}: {reply.code} {reply.text}")
        print(f"             {c.severity}, {c.category}, retry={'yes' if c.retry else 'no'}: {c.description}")
    if result.notification_id is None:
        print("  no notification id in the final reply: status cannot be followed")
        return 1
    status = email365.StatusClient(
        env("EMAIL365_ACCOUNT_ID"),
        username=os.environ.get("EMAIL365_STATUS_USERNAME") or env("EMAIL365_USERNAME"),
        password=os.environ.get("EMAIL365_STATUS_PASSWORD") or env("EMAIL365_PASSWORD"),
        region=os.environ.get("EMAIL365_REGION") or None,
        base_url=os.environ.get("EMAIL365_BASE_URL") or None,
        ca_file=os.environ.get("EMAIL365_CA_FILE") or None,
    )
    ok = True
    for address in result.accepted:
        notification = status.wait_for(result.notification_id, address, timeout=60.0)
        codes = [e.code for e in notification.events if e.recipient == address] or [
            e.code for e in notification.events
        ]
        print(f"  status     {address}: {' → '.join(codes)}")
        ok = ok and bool(codes) and codes[-1] == "CH_SENT"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
