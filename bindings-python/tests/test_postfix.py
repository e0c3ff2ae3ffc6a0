"""Sends through a real Postfix (tests/interop/postfix_server.py: STARTTLS required, AUTH
PLAIN over Cyrus SASL, `reject*` recipients refused with 550 5.1.1, every accepted
recipient delivered to a Maildir), with an envelope that differs from the headers.

Postfix is unpacked by scripts/setup.sh; without it these tests fail, never skip."""

from __future__ import annotations

import base64
import json
import pathlib
import subprocess
import sys
from typing import Any, Dict, Iterator, List

import pytest

import email365
from email365 import Message, SmtpClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests/interop/postfix_server.py"


class Postfix:
    """A running instance of the harness: its JSON line, and its `deliveries` command."""

    def __init__(self) -> None:
        check = subprocess.run([sys.executable, str(HARNESS), "--check"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr  # "Postfix not found (…): run scripts/setup.sh"
        self.proc = subprocess.Popen(
            [sys.executable, str(HARNESS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        line = self.proc.stdout.readline()
        assert line, "postfix did not start (the harness printed nothing)"
        self.info: Dict[str, Any] = json.loads(line)

    def client(self, password: str | None = None) -> SmtpClient:
        return SmtpClient(
            "localhost",
            int(self.info["port"]),
            username=str(self.info["username"]),
            password=password if password is not None else str(self.info["password"]),
            ca_file=str(self.info["ca_file"]),
            timeout=10.0,
        )

    def stored(self, queue_id: str, count: int) -> List[Dict[str, Any]]:
        """The copies Postfix delivered of message `queue_id`, ordered by recipient."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"deliveries {queue_id} {count}\n")
        self.proc.stdin.flush()
        found: List[Dict[str, Any]] = json.loads(self.proc.stdout.readline())["deliveries"]
        for d in found:
            d["message"] = base64.b64decode(d.pop("message_b64"))
        return found

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def postfix() -> Iterator[Postfix]:
    server = Postfix()
    try:
        yield server
    finally:
        server.stop()


def message(i: int = 0) -> Message:
    return Message(
        from_addr="Shop <shop@example.com>",
        to="rcpt@example.net",
        subject=f"Postfix {i}",
        text=f".a line with a dot {i}\nThank you!\n",
    )


def test_postfix_delivers_to_an_envelope_that_differs_from_the_headers(postfix: Postfix) -> None:
    built = message().build()
    assert b"other@example.org" not in built.data and b"reject" not in built.data
    with postfix.client() as c:
        result = c.send(
            built,
            from_addr="bounces@example.com",
            to_addrs=["rcpt@example.net", "other@example.org", "reject-x@example.net"],
        )
    assert result.accepted == ("rcpt@example.net", "other@example.org")
    assert list(result.rejected) == ["reject-x@example.net"]
    refused = result.rejected["reject-x@example.net"]
    assert (refused.code, refused.enhanced) == (550, "5.1.1")
    assert result.final_reply.code == 250
    assert result.notification_id is not None
    assert result.final_reply.text.endswith(f"queued as {result.notification_id}")
    assert result.message_id == built.message_id
    stored = postfix.stored(result.notification_id, 2)
    assert [d["recipient"] for d in stored] == ["other@example.org", "rcpt@example.net"]
    for d in stored:
        assert d["return_path"] == "bounces@example.com"
        # The bytes sent, as a Maildir keeps them (LF line ends); the headers unchanged.
        assert d["message"] == built.data.replace(b"\r\n", b"\n")


def test_postfix_send_many_reports_each_message_over_one_connection(postfix: Postfix) -> None:
    items = [
        (message(0), "shop@example.com", ["a0@example.net"]),
        (message(1), "shop@example.com", ["reject-a@example.net"]),
        (message(2), "shop@example.com", ["a2@example.net", "reject-b@example.net"]),
        (message(3), None, None),
    ]
    with postfix.client() as c:
        results = c.send_many(items, return_exceptions=True)
    assert isinstance(results[1], email365.RecipientsRejectedError)
    assert [r.code for r in results[1].replies] == [550]
    ok = [r for r in results if isinstance(r, email365.SendResult)]
    assert [r.accepted for r in ok] == [("a0@example.net",), ("a2@example.net",), ("rcpt@example.net",)]
    assert list(ok[1].rejected) == ["reject-b@example.net"]
    for r, want in zip(ok, ["a0@example.net", "a2@example.net", "rcpt@example.net"]):
        assert r.notification_id is not None
        [d] = postfix.stored(r.notification_id, 1)
        assert d["recipient"] == want


def test_postfix_refuses_a_wrong_password_without_showing_it(postfix: Postfix) -> None:
    wrong = "wrong-pass-Zq81"
    with postfix.client(password=wrong) as c:
        with pytest.raises(email365.AuthenticationError) as caught:
            c.send(message())
    e = caught.value
    assert e.kind == "auth"
    assert [r.code for r in e.replies] == [535]
    assert wrong not in str(e) and wrong not in repr(e)
