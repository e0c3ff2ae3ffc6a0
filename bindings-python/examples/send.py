"""Send one message through an Email 365 SMTP endpoint (or the local sandbox).

    cargo run -q --release -p email365-sandbox &     # prints its ports, CA file and credentials
    .venv/bin/python bindings-python/examples/send.py --port 2525 --ca-file /tmp/…/ca.pem \\
        --username sandbox --password sandbox-password --to alice@example.org

Against the real service: --host <the SMTP host of your region> (port 25, STARTTLS: the defaults), your account's
credentials, and a sender on one of your registered domains.
"""

from __future__ import annotations

import argparse
import sys

import email365


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=25)
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--ca-file", default=None, help="extra CA to trust (the sandbox's ca.pem)")
    p.add_argument("--from", dest="from_addr", default="Shop <shop@example.com>")
    p.add_argument("--to", action="append", required=True)
    p.add_argument("--subject", default="Hello from email365")
    opts = p.parse_args(argv)

    message = email365.Message(
        from_addr=opts.from_addr,
        to=opts.to,
        subject=opts.subject,
        text="Hello!\n\nThis message was built and sent by the email365 Python package.\n",
        html="<p>Hello!</p><p>This message was built and sent by the <b>email365</b> Python package.</p>",
    )
    try:
        with email365.SmtpClient(
            opts.host, opts.port, username=opts.username, password=opts.password, ca_file=opts.ca_file, timeout=30
        ) as client:
            result = client.send(message)
    except email365.InvalidMessage as e:
        print(f"not sent: the message is invalid ({e.reason}): {e.message}", file=sys.stderr)
        return 2
    except email365.SmtpError as e:
        retry = "retry later" if e.transient else "do not retry"
        print(f"not sent ({e.kind}, {retry}): {e.message}", file=sys.stderr)
        return 1
    except (email365.ConnectionFailedError, email365.TimeoutExpiredError) as e:
        print(f"not sent ({e.kind}): {e.message}", file=sys.stderr)
        return 1
    print(f"accepted for {', '.join(result.accepted)}; notification id {result.notification_id}")
    for rcpt, reply in result.rejected.items():
        print(f"refused {rcpt}: {reply.code} {reply.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
