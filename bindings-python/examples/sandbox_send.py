"""The main job through the Python package: start the local sandbox, send a message with
SmtpClient, and follow its delivery status with StatusClient until it is final.

    .venv/bin/python bindings-python/examples/sandbox_send.py      (part of `make run`)
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import email365

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main() -> int:
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "email365-sandbox"], cwd=ROOT, check=True)
    proc = subprocess.Popen(
        [str(ROOT / "target/release/email365-sandbox"), "--step-ms", "300", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        info = json.loads(proc.stdout.readline())
        message = email365.Message(
            from_addr="Shop <shop@example.com>",
            to=["alice@example.org", "bounce-bob@example.org"],
            subject="Your order has shipped",
            text="Hello!\n\nYour order has shipped.\n",
            html="<p>Hello!</p><p>Your order has <b>shipped</b>.</p>",
        )
        policy = email365.SenderPolicy(domains=info["sender_domains"], addresses=info["sender_addresses"])
        with email365.SmtpClient(
            info["smtp_host"],
            info["smtp_port"],
            username=info["username"],
            password=info["password"],
            ca_file=info["ca_file"],
            sender_policy=policy,
            timeout=30,
        ) as client:
            result = client.send(message)
        print(f"[python] sent: {result.final_reply.code} {result.final_reply.text}")
        print(f"[python] notification id {result.notification_id}, accepted {', '.join(result.accepted)}")
        if result.notification_id is None:
            return 1
        status = email365.StatusClient(
            info["account_id"], username=info["username"], password=info["password"], base_url=info["http_url"]
        )
        # Returns the final notification, or raises TimeoutExpiredError after 30 s.
        final = status.wait_for(result.notification_id, timeout=30)
        for event in final.events:
            stamp = event.timestamp.isoformat() if event.timestamp else "?"
            print(f"[python] {stamp} {event.recipient}: {event.code}{' (final)' if event.is_final else ''}")
        print("[python] final state reached")
        return 0 if final.found else 1
    except email365.Email365Error as e:
        print(f"[python] failed ({e.kind}, reason {e.reason}): {e.message}", file=sys.stderr)
        return 1
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
