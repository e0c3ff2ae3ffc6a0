"""Messages: BuiltMessage, Envelope and envelope_from_message."""

from __future__ import annotations

import datetime
import pathlib
import time
from typing import Any

import pytest

import email365
from smtpd_helpers import stdlib_message

#: The API as an untyped caller sees it (for the wrong-type tests).
api: Any = email365

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
    msg = stdlib_message("sender@example.com", "hello", To="x@example.com", Bcc="y@example.com", Subject="s")
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


def build(**extra: Any) -> email365.BuiltMessage:
    fields: dict[str, Any] = {"from_addr": "shop@example.com", "to": "alice@example.org", "subject": "s", "text": "t"}
    fields.update(extra)
    return email365.Message(**fields).build()


def test_message_build_gives_bytes_envelope_and_id() -> None:
    b = build(bcc=["audit@example.com"], message_id="<x-1@example.com>", date="Sat, 28 Nov 2026 12:00:00 +0000")
    assert b.envelope.mail_from == "shop@example.com"
    assert b.envelope.rcpt_to == ("alice@example.org", "audit@example.com")
    assert b.message_id == "x-1@example.com"
    assert b.size == len(b.data) == len(b) and bytes(b) == b.data
    assert b"Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n" in b.data
    assert b"audit@example.com" not in b.data
    assert build(message_id="<x-1@example.com>", date="Sat, 28 Nov 2026 12:00:00 +0000").data == build(
        message_id="<x-1@example.com>", date="Sat, 28 Nov 2026 12:00:00 +0000"
    ).data


def test_aware_datetime_and_text_dates_agree() -> None:
    aware = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)
    assert build(date=aware, message_id="<a@b.c>").data == build(
        date="Sat, 28 Nov 2026 12:00:00 +0000", message_id="<a@b.c>"
    ).data
    with pytest.raises(ValueError):
        email365.Message(from_addr="a@example.com", date=datetime.datetime(2026, 1, 1))


def test_attachments_from_bytes_and_paths(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7 fake")
    a = email365.Attachment.from_path(path)
    assert (a.filename, a.content, a.content_type) == ("report.pdf", b"%PDF-1.7 fake", None)
    one = build(attachments=[a], message_id="<p@x.y>", date="Sat, 28 Nov 2026 12:00:00 +0000")
    two = build(attachments=[str(path)], message_id="<p@x.y>", date="Sat, 28 Nov 2026 12:00:00 +0000")
    assert one.data == two.data
    assert b'filename="report.pdf"' in one.data or b"filename=report.pdf" in one.data
    with pytest.raises(FileNotFoundError):
        email365.Attachment.from_path(tmp_path / "missing.pdf")


def test_headers_as_mapping_or_pairs() -> None:
    kw: dict[str, Any] = {"message_id": "<h@x.y>", "date": "Sat, 28 Nov 2026 12:00:00 +0000"}
    assert build(headers={"X-A": "1", "X-B": "2"}, **kw).data == build(headers=[("X-A", "1"), ("X-B", "2")], **kw).data


@pytest.mark.parametrize(
    "extra, reason",
    [
        ({"subject": "a\r\nBcc: evil@example.com"}, None),
        ({"headers": {"X-Evil": "a\r\nBcc: evil@example.com"}}, None),
        ({"to": "not an address"}, None),
        ({"headers": {"Subject": "twice"}}, "reserved_header"),
    ],
    ids=["crlf-subject", "crlf-header", "bad-to", "reserved-header"],
)
def test_message_refusals(extra: dict[str, Any], reason: str | None) -> None:
    with pytest.raises(email365.InvalidMessage) as info:
        build(**extra)
    assert info.value.kind == "invalid_message" and info.value.reason
    if reason:
        assert info.value.reason == reason


def test_sender_policy_in_the_builder() -> None:
    policy = email365.SenderPolicy(domains=["example.com"])
    build(sender_policy=policy)
    with pytest.raises(email365.SenderNotRegistered):
        build(from_addr="x@other.example", sender_policy=policy)


@pytest.mark.parametrize(
    "call",
    [
        lambda: api.Message(),
        lambda: api.Message(from_addr=5),
        lambda: api.Message(from_addr="a@b.c", to=5),
        lambda: api.Message(from_addr="a@b.c", attachments=[5]),
        lambda: api.Message(from_addr="a@b.c", headers=5),
        lambda: api.Message(from_addr="a@b.c", date=5),
        lambda: api.Message("a@b.c"),
        lambda: api.Attachment("f", "text, not bytes"),
    ],
    ids=["missing-from", "from-int", "to-int", "attachment-int", "headers-int", "date-int", "positional", "content-str"],
)
def test_message_wrong_types(call: Any) -> None:
    with pytest.raises(TypeError):
        call()


def huge_to_header(count: int, distinct: int) -> bytes:
    """A ``To:`` header of ``count`` addresses ``u{i % distinct}@x.io``, folded every 60:
    about 1 MB for 80,000."""
    parts = []
    for i in range(count):
        sep = "" if i == 0 else (",\r\n " if i % 60 == 0 else ", ")
        parts.append(f"{sep}u{i % distinct}@x.io")
    return ("From: a@example.com\r\nTo: " + "".join(parts) + "\r\nSubject: s\r\n\r\nbody\r\n").encode()


def test_envelope_of_a_1mb_to_header_of_80000_addresses_is_refused_by_the_cap() -> None:
    message = huge_to_header(80_000, 80_000)
    assert len(message) > 1_000_000
    started = time.perf_counter()
    with pytest.raises(email365.InvalidMessage) as info:
        email365.envelope_from_message(message)
    print(f"80,000 addresses ({len(message)} bytes): refused in {time.perf_counter() - started:.3f} s")
    assert info.value.reason == "too_many_recipients"


def test_envelope_of_80000_addresses_repeating_10000_is_deduplicated_in_one_pass() -> None:
    message = huge_to_header(80_000, 10_000)
    started = time.perf_counter()
    envelope, _ = email365.envelope_from_message(message)
    print(f"80,000 addresses, 10,000 distinct: {time.perf_counter() - started:.3f} s")
    assert len(envelope.rcpt_to) == 10_000
    assert envelope.rcpt_to[0] == "u0@x.io" and envelope.rcpt_to[-1] == "u9999@x.io"
