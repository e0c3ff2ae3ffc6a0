"""Reply, classify_reply and extract_notification_id."""

from __future__ import annotations

from typing import Any

import pytest

import email365
from email365 import Reply, classify_reply

#: The API as an untyped caller sees it (for the wrong-type tests).
api: Any = email365


def test_permanent_reply_with_enhanced_code() -> None:
    c = classify_reply("550 5.1.1 User unknown")
    assert (c.code, c.enhanced, c.severity, c.category, c.retry) == (
        550,
        "5.1.1",
        "permanent",
        "addressing",
        False,
    )
    assert c.description
    assert c.inconsistent is False


def test_transient_code_pair() -> None:
    c = classify_reply(451, enhanced="4.3.0")
    assert (c.severity, c.category, c.retry) == ("transient", "mail_system", True)


def test_success_and_intermediate_never_retry() -> None:
    assert classify_reply("250 2.0.0 Ok").retry is False
    assert classify_reply(354).severity == "intermediate"
    assert classify_reply(354).retry is False


def test_basic_code_decides_when_classes_disagree() -> None:
    c = classify_reply("550 4.2.2 Mailbox full")
    assert c.severity == "permanent" and c.retry is False
    assert c.inconsistent is True


def test_too_many_recipients_on_rcpt_is_transient() -> None:
    c = classify_reply("552 5.5.3 Too many recipients", command="RCPT")
    assert c.retry is True


def test_without_enhanced_code_category_is_none() -> None:
    assert classify_reply("421 Service not available").category is None


def test_multi_line_reply() -> None:
    r = Reply.parse("250-mx.example.com\r\n250-SIZE 1000\r\n250 PIPELINING\r\n")
    assert r.code == 250
    assert r.lines == ("mx.example.com", "SIZE 1000", "PIPELINING")
    assert r.text == "mx.example.com\nSIZE 1000\nPIPELINING"
    assert r.classify().severity == "success"
    assert r == Reply.parse("250-mx.example.com\r\n250-SIZE 1000\r\n250 PIPELINING\r\n")
    assert "250" in repr(r)


def test_lines_after_the_final_line_are_an_error() -> None:
    with pytest.raises(email365.InvalidReply):
        Reply.parse("250 ok\r\n250 again\r\n")


@pytest.mark.parametrize("text", ["", "hello", "25 short", "2500 long"])
def test_malformed_replies(text: str) -> None:
    with pytest.raises(email365.InvalidReply) as info:
        classify_reply(text)
    assert info.value.kind == "invalid_reply"


def test_bad_enhanced_code_is_invalid_reply() -> None:
    with pytest.raises(email365.InvalidReply):
        classify_reply(550, enhanced="5.1")


def test_unknown_command_is_an_invalid_argument() -> None:
    with pytest.raises(email365.InvalidArgument) as info:
        classify_reply("250 ok", command="FETCH")  # type: ignore[arg-type]
    assert info.value.reason == "unknown_command"


def test_out_of_range_code_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        classify_reply(70000)
    with pytest.raises(ValueError):
        classify_reply(-1)


@pytest.mark.parametrize(
    "call",
    [
        lambda: api.classify_reply(True),
        lambda: api.classify_reply(2.5),
        lambda: api.classify_reply(b"250 ok"),
        lambda: api.classify_reply(None),
        lambda: api.classify_reply("250 ok", enhanced="2.0.0"),
        lambda: api.classify_reply(250, enhanced=2),
        lambda: api.classify_reply("250 ok", command=5),
        lambda: api.Reply.parse(250),
    ],
    ids=["bool", "float", "bytes", "none", "text-with-enhanced", "enhanced-int", "command-int", "parse-int"],
)
def test_wrong_argument_types_raise_type_error(call: Any) -> None:
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("250 2.0.0 Ok: queued as 10000000902077", "10000000902077"),
        ("250 OK id=1Abcde-0001Xy-Zz", "1Abcde-0001Xy-Zz"),
        ("250 Great success", None),
    ],
    ids=["postfix", "exim", "none"],
)
def test_extract_notification_id(reply: str, expected: str) -> None:
    assert email365.extract_notification_id(reply) == expected


def test_classification_is_frozen_and_hashable() -> None:
    a = classify_reply(250)
    assert a == classify_reply(250) and hash(a) == hash(classify_reply(250))
    with pytest.raises(AttributeError):
        a.code = 550  # type: ignore[misc]
