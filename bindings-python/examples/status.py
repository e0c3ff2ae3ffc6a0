"""Build a status request and read a status response, the way a polling loop does.

    .venv/bin/python bindings-python/examples/status.py

The HTTP call itself is left to the caller's client here (urllib, httpx, aiohttp…):
the core builds the request and parses the answer.
"""

from __future__ import annotations

import json
import os
import sys

import email365

SAMPLE = json.dumps(
    {
        "Notification": {
            "notificationId": "10000000902077",
            "status": [
                {
                    "statusCode": "CAAS_RECEIVED",
                    "statusText": "Received",
                    "channel": "email",
                    "recipient": "email:john@example.com",
                    "timestamp": "2015-03-08 14:58:30.252",
                },
                {
                    "statusCode": "CH_SENT",
                    "statusText": "Sent",
                    "channel": "email",
                    "recipient": "email:john@example.com",
                    "timestamp": "2015-03-08 14:58:31",
                },
            ],
        }
    }
)


def main() -> int:
    try:
        request = email365.status_request(
            "my-account", "10000000902077", username="user", password="secret", recipient="john@example.com"
        )
        print(request.method, request.url)
    except email365.Email365Error as e:
        print(f"status_request: {e.kind}: {e.message}")
    try:
        notification = email365.parse_status(SAMPLE)
    except email365.InvalidStatusResponse as e:
        print(f"parse_status: {e.kind} at byte {e.position}: {e.message}")
        return 1
    if not notification.found:
        print("expired or unknown")
        return 0
    for event in notification.events:
        when = event.timestamp.isoformat() if event.timestamp else "?"
        final = " (final)" if event.is_final else ""
        print(f"{when} {event.recipient}: {event.code}{final}")
    print("next poll in", email365.next_delay(0), "s")
    account = os.environ.get("EMAIL365_ACCOUNT")
    if account:
        # The core's client: get() once, or wait_for() the final state (the final
        # Notification, or TimeoutExpiredError when the deadline passes first).
        client = email365.StatusClient(
            account, username=os.environ["EMAIL365_USER"], password=os.environ["EMAIL365_PASSWORD"]
        )
        try:
            done = client.wait_for("10000000902077", "john@example.com", timeout=60.0)
            print("final:", [e.code for e in done.events])
        except email365.TimeoutExpiredError as e:
            print(f"not final yet ({e.reason})")
        except email365.Email365Error as e:
            print(f"status: {e.kind}: {e.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
