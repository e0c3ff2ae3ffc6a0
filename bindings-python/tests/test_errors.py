"""The error model: one exception class per core kind, builtin bases, attributes."""

from __future__ import annotations

import pickle
from typing import Type

import pytest

import email365
from email365 import _errors


def test_every_core_kind_maps_to_its_own_class() -> None:
    kinds = [name for name, _ in email365.error_kinds()]
    assert len(kinds) == 20
    assert set(kinds) == set(_errors.CLASS_BY_KIND)
    classes = list(_errors.CLASS_BY_KIND.values())
    assert len(set(classes)) == len(classes), "two kinds share a class"
    for cls in classes:
        assert issubclass(cls, email365.Email365Error)
        assert cls.__name__ in email365.__all__
        assert cls.__doc__


def test_kind_numbers_are_grouped_by_area() -> None:
    numbers = dict(email365.error_kinds())
    assert numbers["invalid_address"] == 1001
    assert numbers["connection"] == 3001
    assert numbers["status_http"] == 4001
    assert numbers["internal"] == 9001


@pytest.mark.parametrize(
    "kind, builtin",
    [
        ("invalid_address", ValueError),
        ("invalid_message", ValueError),
        ("invalid_reply", ValueError),
        ("invalid_status_response", ValueError),
        ("invalid_argument", ValueError),
        ("sender_not_registered", ValueError),
        ("timeout", TimeoutError),
        ("connection", ConnectionError),
        ("not_found", LookupError),
    ],
)
def test_classes_also_inherit_the_matching_builtin(kind: str, builtin: Type[BaseException]) -> None:
    assert issubclass(_errors.CLASS_BY_KIND[kind], builtin)


@pytest.mark.parametrize(
    "kind, cls",
    [
        ("smtp_transient", email365.TransientError),
        ("smtp_permanent", email365.PermanentError),
        ("auth", email365.AuthenticationError),
        ("tls", email365.TlsError),
        ("outcome_unknown", email365.OutcomeUnknownError),
        ("recipients_rejected", email365.RecipientsRejectedError),
        ("protocol", email365.ProtocolError),
        ("message_too_large", email365.MessageTooLargeError),
        ("smtputf8_not_supported", email365.Smtputf8NotSupportedError),
    ],
)
def test_smtp_kinds_are_smtp_errors(kind: str, cls: Type[email365.SmtpError]) -> None:
    assert _errors.CLASS_BY_KIND[kind] is cls
    assert issubclass(cls, email365.SmtpError)


def test_status_kinds_are_status_api_errors() -> None:
    assert issubclass(email365.NotFoundError, email365.StatusApiError)
    assert _errors.CLASS_BY_KIND["status_http"] is email365.StatusApiError


def test_smtp_error_exposes_the_first_reply() -> None:
    e = _errors._from_native(
        "recipients_rejected",
        None,
        "every recipient was refused",
        None,
        False,
        [(550, "5.1.1", "User unknown", "a@example.com"), (553, None, "No", "b@example.com")],
    )
    assert isinstance(e, email365.RecipientsRejectedError)
    assert e.kind == "recipients_rejected"
    assert e.code == 550
    assert e.enhanced_code == "5.1.1"
    assert e.reply == email365.ErrorReply(550, "5.1.1", "User unknown", "a@example.com")
    assert [r.recipient for r in e.replies] == ["a@example.com", "b@example.com"]
    assert e.transient is False
    assert str(e) == "every recipient was refused"


def test_smtp_error_without_reply_has_no_code() -> None:
    e = _errors._from_native("tls", "no_starttls", "STARTTLS not offered", None, False, [])
    assert isinstance(e, email365.TlsError)
    assert e.code is None and e.enhanced_code is None and e.reply is None
    assert e.reason == "no_starttls"


def test_errors_survive_pickling() -> None:
    e = _errors._from_native("smtp_transient", None, "try later", None, True, [(451, "4.3.0", "busy", None)])
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is email365.TransientError
    assert (back.kind, back.message, back.transient, back.reply) == (e.kind, e.message, True, e.reply)


def test_error_reply_is_immutable() -> None:
    r = email365.ErrorReply(250, None, "ok")
    with pytest.raises(AttributeError):
        r.code = 550


def test_core_errors_arrive_with_kind_reason_message_and_position() -> None:
    with pytest.raises(email365.InvalidAddress) as info:
        email365.validate_address("no-at-sign")
    e = info.value
    assert isinstance(e, ValueError)
    assert e.kind == "invalid_address"
    assert e.reason == "no_at"
    assert e.message and str(e) == e.message
    assert e.position is not None and 0 <= e.position <= len("no-at-sign")
    assert e.replies == ()


def test_a_base_class_handler_catches_everything() -> None:
    with pytest.raises(email365.Email365Error):
        email365.classify_reply("not a reply")


def test_message_id_survives_pickling() -> None:
    e = _errors._from_native("outcome_unknown", None, "no final reply", None, True, [])
    e.message_id = "m-1@example.com"
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is email365.OutcomeUnknownError and back.message_id == "m-1@example.com"
    assert _errors._from_native("timeout", None, "late", None, True, []).message_id is None


def test_send_many_error_is_an_email365_error_with_results() -> None:
    e = email365.SendManyError("refused", kind="recipients_rejected")
    assert isinstance(e, email365.Email365Error) and e.results == []
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is email365.SendManyError and back.kind == "recipients_rejected"
    assert type(e).__module__ == "email365"
