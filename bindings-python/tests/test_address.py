"""validate_address, Address and SenderPolicy."""

from __future__ import annotations

from typing import Any

import pytest

import email365
from email365 import Address, validate_address

#: The API as an untyped caller sees it (for the wrong-type tests).
api: Any = email365


def test_plain_address_fields() -> None:
    a = validate_address("john.doe@example.com")
    assert isinstance(a, Address)
    assert (a.local, a.domain, a.ascii_domain, a.display_name, a.smtputf8) == (
        "john.doe",
        "example.com",
        "example.com",
        None,
        False,
    )
    assert a.envelope == "john.doe@example.com"


def test_unicode_domain_gets_its_ascii_form() -> None:
    a = validate_address("user@bücher.example")
    assert a.domain == "bücher.example"
    assert a.ascii_domain == "xn--bcher-kva.example"
    assert a.envelope == "user@xn--bcher-kva.example"
    assert a.smtputf8 is False


def test_non_ascii_local_part_needs_smtputf8() -> None:
    assert validate_address("jösé@example.com").smtputf8 is True


def test_header_form_keeps_the_display_name() -> None:
    a = validate_address("Jöhn Doe <john@example.com>", mode="header")
    assert a.display_name == "Jöhn Doe"
    assert (a.local, a.domain) == ("john", "example.com")


def test_envelope_form_refuses_a_display_name() -> None:
    with pytest.raises(email365.InvalidAddress):
        validate_address("John <john@example.com>")


def test_quoted_local_part_only_when_allowed() -> None:
    with pytest.raises(email365.InvalidAddress):
        validate_address('"john doe"@example.com')
    assert validate_address('"john doe"@example.com', allow_quoted_local=True).domain == "example.com"


def test_domain_literal_only_when_allowed() -> None:
    with pytest.raises(email365.InvalidAddress):
        validate_address("user@[192.0.2.1]")
    assert validate_address("user@[192.0.2.1]", allow_domain_literal=True).domain == "[192.0.2.1]"


@pytest.mark.parametrize(
    "bad",
    ["a\r\nb@example.com", "a\nb@example.com", "a\x00b@example.com", "a..b@example.com", "@example.com"],
    ids=["crlf", "lf", "nul", "double-dot", "empty-local"],
)
def test_injection_and_malformed_addresses_are_refused(bad: str) -> None:
    with pytest.raises(email365.InvalidAddress) as info:
        validate_address(bad)
    assert info.value.reason


def test_position_is_a_utf8_byte_offset() -> None:
    with pytest.raises(email365.InvalidAddress) as info:
        validate_address("ééé")
    assert info.value.reason == "no_at"
    assert info.value.position == len("ééé".encode())


def test_address_is_frozen_hashable_and_comparable() -> None:
    a = validate_address("x@example.com")
    b = validate_address("x@example.com")
    assert a == b and hash(a) == hash(b)
    assert a != validate_address("y@example.com")
    assert len({a, b}) == 1
    with pytest.raises(AttributeError):
        a.local = "y"  # type: ignore[misc]
    assert repr(a) == (
        "Address(local='x', domain='example.com', ascii_domain='example.com', "
        "display_name=None, smtputf8=False)"
    )


def test_unknown_mode_is_an_invalid_argument() -> None:
    with pytest.raises(email365.InvalidArgument) as info:
        validate_address("x@example.com", mode="smtp")  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "invalid_argument"
    assert info.value.reason == "unknown_address_mode"


@pytest.mark.parametrize(
    "call",
    [
        lambda: api.validate_address(5),
        lambda: api.validate_address(b"x@example.com"),
        lambda: api.validate_address(None),
        lambda: api.validate_address("x@example.com", mode=1),
        lambda: api.validate_address("x@example.com", allow_quoted_local="yes"),
        lambda: api.validate_address("x@example.com", "header"),
        lambda: api.validate_address(),
    ],
    ids=["int", "bytes", "none", "mode-int", "flag-str", "positional-mode", "missing"],
)
def test_wrong_argument_types_raise_type_error(call: Any) -> None:
    with pytest.raises(TypeError):
        call()


def test_lone_surrogate_is_a_value_error_not_a_crash() -> None:
    with pytest.raises(ValueError):
        validate_address("\ud800@example.com")


def test_address_cannot_be_made_directly() -> None:
    with pytest.raises(TypeError):
        Address()


def test_sender_policy_accepts_registered_senders() -> None:
    policy = email365.SenderPolicy(domains=["example.com"], addresses=["boss@other.example"])
    assert policy.domains == ["example.com"]
    assert policy.addresses == ["boss@other.example"]
    policy.check("anyone@example.com")
    policy.check(validate_address("boss@other.example"))
    assert "example.com" in repr(policy)


def test_sender_policy_refuses_others() -> None:
    policy = email365.SenderPolicy(domains=["example.com"])
    with pytest.raises(email365.SenderNotRegistered) as info:
        policy.check("someone@elsewhere.example")
    assert info.value.kind == "sender_not_registered"


def test_sender_policy_type_errors() -> None:
    with pytest.raises(TypeError):
        email365.SenderPolicy(domains="example.com")
    with pytest.raises(TypeError):
        email365.SenderPolicy(domains=["example.com"]).check(42)  # type: ignore[arg-type]
