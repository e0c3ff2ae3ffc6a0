"""Messages: BuiltMessage, Envelope and envelope_from_message."""

from __future__ import annotations

import email.message
from typing import Any

import pytest

import email365

RAW = (
    b"From: Sender <sender@example.com>\r\n"
    b"To: a@example.com, B <b@EXAMPLE.com>\r\n"
    b"Cc: c@example.com\r\n"
    b"Bcc: hidden@example.com\r\n"
    b"Subject: hi\r\n"
    b"\r\n"
    b"body\r\n"
)


def test_envelope_from_message_strips_bcc() -> None:
    envelope, data = email365.envelope_from_message(RAW)
    assert envelope.mail_from == "sender@example.com"
    assert envelope.rcpt_to == ("a@example.com", "b@example.com", "c@example.com", "hidden@example.com")
    assert b"Bcc" not in data and b"hidden@" not in data
    assert data.endswith(b"body\r\n")
    assert envelope == email365.envelope_from_message(RAW)[0]


def test_envelope_from_stdlib_message() -> None:
    msg = email.message.EmailMessage()
    msg["From"] = "sender@example.com"
    msg["To"] = "x@example.com"
    msg["Bcc"] = "y@example.com"
    msg["Subject"] = "s"
    msg.set_content("hello")
    envelope, data = email365.envelope_from_message(msg.as_bytes())
    assert envelope.rcpt_to == ("x@example.com", "y@example.com")
    assert b"y@example.com" not in data


def test_message_without_sender_is_refused() -> None:
    with pytest.raises(email365.InvalidMessage) as info:
        email365.envelope_from_message(b"To: a@example.com\r\n\r\nbody\r\n")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "value", ["From: a@example.com\r\n\r\n", None, 5], ids=["str", "none", "int"]
)
def test_envelope_from_message_wants_bytes(value: Any) -> None:
    with pytest.raises(TypeError):
        email365.envelope_from_message(value)
