"""The error model: one exception class per core kind, builtin bases, attributes."""

from __future__ import annotations

import builtins as builtins_module
import pickle
from typing import Type

import pytest

import email365
from email365 import _errors


def test_the_class_tree_is_the_core_table_of_kinds() -> None:
    table = email365.error_kind_table()
    assert [row[:2] for row in table] == email365.error_kinds()
    assert set(_errors.CLASS_BY_KIND) == {row[0] for row in table}
    # The table names classes by their shared name; Python renames those a builtin
    # takes (ConnectionError, TimeoutError) and the table says to what.
    python_name = {row[3]: row[5] for row in table}
    bases = {"Email365Error": email365.Email365Error, "SmtpError": email365.SmtpError}
    for name, _number, _family, _cls, parent, py_class, builtins in table:
        cls = _errors.CLASS_BY_KIND[name]
        assert cls.__name__ == py_class, name
        assert getattr(email365, py_class) is cls and py_class in email365.__all__
        parent_cls = bases.get(parent) or getattr(email365, python_name[parent])
        expected = (parent_cls, *(getattr(builtins_module, b) for b in builtins))
        assert cls.__bases__ == expected, f"{name}: {cls.__bases__} != {expected}"
        assert cls.__doc__ and f"``{name}``" in cls.__doc__
    classes = list(_errors.CLASS_BY_KIND.values())
    assert len(set(classes)) == len(classes), "two kinds share a class"


def test_no_error_class_outside_the_table() -> None:
    table_classes = {row[5] for row in email365.error_kind_table()}
    for name in email365.__all__:
        value = getattr(email365, name)
        if isinstance(value, type) and issubclass(value, email365.Email365Error):
            # SendManyError aggregates the failures of send_many (Python only); its
            # kind is that of the first failure.
            assert name in table_classes | {"Email365Error", "SmtpError", "SendManyError"}, name


def test_families_are_the_documented_five() -> None:
    families = {row[2] for row in email365.error_kind_table()}
    assert families == {"input", "connection", "smtp", "status", "internal"}


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
        ("tls", ConnectionError),
        ("not_found", LookupError),
    ],
)
def test_classes_also_inherit_the_matching_builtin(kind: str, builtin: Type[BaseException]) -> None:
    assert issubclass(_errors.CLASS_BY_KIND[kind], builtin)


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
    e = _errors._from_native("protocol", "no_starttls", "STARTTLS not offered", None, False, [])
    assert isinstance(e, email365.ProtocolError)
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
