"""status_request, parse_status, Notification, StatusEvent and the polling plan."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any, Optional

import pytest

import email365
from email365 import parse_status, status_request

def _event(
    code: str, recipient: str | None, text: str | None = None, timestamp: str | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {"statusCode": code, "channel": "email"}
    if text is not None:
        event["statusText"] = text
    if recipient is not None:
        event["recipient"] = f"email:{recipient}"
    if timestamp is not None:
        event["timestamp"] = timestamp
    return event


def _body(notification_id: str, *events: dict[str, Any]) -> str:
    return json.dumps({"Notification": {"notificationId": notification_id, "status": list(events)}})


BODY = _body(
    "10000000902077",
    _event("CAAS_RECEIVED", "john@example.com", "Received", "2015-03-08 14:58:30.252"),
    _event("CH_SENT", "john@example.com", "Sent", "2015-03-08 14:58:31"),
)

#: The API as an untyped caller sees it (for the wrong-type tests).
api: Any = email365


def test_parse_status_gives_typed_events_in_order() -> None:
    n = parse_status(BODY)
    assert n.found is True
    assert n.notification_id == "10000000902077"
    assert [e.code for e in n.events] == ["CAAS_RECEIVED", "CH_SENT"]
    first = n.events[0]
    assert (first.text, first.channel, first.recipient) == ("Received", "email", "john@example.com")
    assert first.timestamp == datetime.datetime(2015, 3, 8, 14, 58, 30, 252000, tzinfo=datetime.timezone.utc)
    assert first.timestamp is not None and first.timestamp.utcoffset() == datetime.timedelta(0)
    assert first.timestamp_ms == 1425826710252
    assert n.events[1].timestamp == datetime.datetime(2015, 3, 8, 14, 58, 31, tzinfo=datetime.timezone.utc)
    assert [e.is_final for e in n.events] == [False, True]
    assert "CH_SENT" in repr(n.events[1])


def test_empty_object_means_expired_or_unknown() -> None:
    n = parse_status("{}")
    assert (n.found, n.notification_id, n.events) == (False, None, ())


def test_unknown_codes_are_kept_verbatim() -> None:
    body = BODY.replace("CH_SENT", "CH_BOUNCED_HARD")
    assert parse_status(body).events[1].code == "CH_BOUNCED_HARD"


def test_malformed_json_has_a_position() -> None:
    with pytest.raises(email365.InvalidStatusResponse) as info:
        parse_status('{"Notification": {"notificationId" "x"}}')
    assert info.value.kind == "invalid_status_response"
    assert info.value.position is not None


def test_wrong_field_type_is_an_error() -> None:
    with pytest.raises(email365.InvalidStatusResponse):
        parse_status('{"Notification": {"notificationId": "x", "status": "nope"}}')


def test_status_request_url_and_headers() -> None:
    r = status_request("acc1", "10000000902077", username="user", password="s3cret")
    assert r.method == "GET"
    assert r.url == "https://eu.email.sdi.sinch.com/v1/acc1/notifications/id/10000000902077"
    assert r.authorization == "Basic " + base64.b64encode(b"user:s3cret").decode()
    assert r.headers == {"Authorization": r.authorization, "Accept": r.accept}
    assert "s3cret" not in repr(r) and base64.b64encode(b"user:s3cret").decode() not in repr(r)


def test_status_request_recipient_query_appears_once() -> None:
    r = status_request("acc1", "n1", username="u", password="p", recipient="john@example.com", region="us")
    assert r.url.startswith("https://us.email.sdi.sinch.com/v1/acc1/notifications/id/n1?")
    assert r.url.count("recipient=") == 1


def test_status_request_base_url_for_a_local_sandbox() -> None:
    r = status_request("acc1", "n1", username="u", password="p", base_url="http://127.0.0.1:8025/")
    assert r.url == "http://127.0.0.1:8025/v1/acc1/notifications/id/n1"


@pytest.mark.parametrize("account", ["", "a/b", "a b", "a?b", "a#b", "a%b"])
def test_bad_ids_are_invalid_arguments(account: str) -> None:
    with pytest.raises(email365.InvalidArgument):
        status_request(account, "n1", username="u", password="p")


@pytest.mark.parametrize(
    "call",
    [
        lambda: api.parse_status(b"{}"),
        lambda: api.parse_status(None),
        lambda: api.status_request("a", "n", username=None, password="p"),
        lambda: api.status_request("a", "n", "u", "p"),
        lambda: api.next_delay("1"),
        lambda: api.is_final(5),
    ],
    ids=["bytes-body", "none-body", "none-user", "positional-credentials", "delay-str", "final-int"],
)
def test_wrong_argument_types_raise_type_error(call: Any) -> None:
    with pytest.raises(TypeError):
        call()


def test_polling_plan() -> None:
    assert email365.is_final("CH_SENT") is True
    assert email365.is_final("CH_BOUNCED") is True
    assert email365.is_final("CAAS_RECEIVED") is False
    assert email365.next_delay(0) > 0
    assert email365.next_delay(1) >= email365.next_delay(0)
    # Retry-After means "not before"; a server's 0 must not make a busy loop.
    assert email365.next_delay(0, retry_after=20.0) >= 20.0
    assert email365.next_delay(2, retry_after=0.0) == email365.next_delay(2)


@pytest.mark.parametrize(
    "attempt, retry_after, reason",
    [
        (0, -1.0, "invalid_duration"),
        (0, float("nan"), "invalid_duration"),
        (-1, None, "invalid_count"),
        (1.5, None, "invalid_count"),
        (2**32, None, "invalid_count"),
    ],
    ids=["negative-retry-after", "nan-retry-after", "negative-attempt", "fraction", "too-large"],
)
def test_next_delay_refuses_bad_arguments_in_the_error_tree(
    attempt: float, retry_after: Optional[float], reason: str
) -> None:
    with pytest.raises(email365.InvalidArgument) as info:
        email365.next_delay(attempt, retry_after)  # type: ignore[arg-type]
    assert info.value.kind == "invalid_argument"
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)


# --- status_http_error ------------------------------------------------------------------

URL = "https://eu.email.sdi.sinch.com/v1/a/notifications/id/1"
#: Sun, 06 Nov 1994 08:49:37 GMT.
NOW = datetime.datetime(1994, 11, 6, 8, 49, 37, tzinfo=datetime.timezone.utc)


def test_status_http_error_is_none_for_success() -> None:
    assert email365.status_http_error(200) is None
    assert email365.status_http_error(204, "5") is None


def test_status_http_error_not_found_quotes_the_body() -> None:
    e = email365.status_http_error(404, url=URL, body="no such notification")
    assert isinstance(e, email365.NotFoundError) and isinstance(e, LookupError)
    assert (e.kind, e.reason, e.transient) == ("not_found", "not_found", False)
    assert e.status == 404 and e.retry_after is None
    assert "HTTP 404" in e.message and URL in e.message
    assert "no such notification" in e.message


def test_status_http_error_auth_and_credentials_stay_out_of_the_message() -> None:
    e = email365.status_http_error(401, body="user bob refused", username="bob", password="pw")
    assert isinstance(e, email365.AuthenticationError)
    assert (e.kind, e.reason) == ("auth", "unauthorized")
    assert "bob" not in e.message
    token = base64.b64encode(b"bob:pw").decode()
    e = email365.status_http_error(500, body=f"echo Basic {token}", username="bob", password="pw")
    assert isinstance(e, email365.StatusApiError) and e.transient
    assert token not in e.message and "bob" not in e.message


def test_status_http_error_retry_after_seconds_and_dates() -> None:
    e = email365.status_http_error(429, " 7 ")
    assert isinstance(e, email365.StatusApiError)
    assert (e.reason, e.transient, e.retry_after) == ("too_many_requests", True, 7.0)
    e = email365.status_http_error(503, "Sun, 06 Nov 1994 08:50:07 GMT", now=NOW)
    assert e is not None and e.reason == "server_error" and e.retry_after == 30.0
    e = email365.status_http_error(503, "Sun, 06 Nov 1994 08:00:00 GMT", now=NOW)
    assert e is not None and e.retry_after == 0.0
    e = email365.status_http_error(503, "soon")
    assert e is not None and e.retry_after is None
    # The delay goes straight into the polling plan.
    e = email365.status_http_error(429, "120")
    assert e is not None and e.retry_after is not None
    assert email365.next_delay(0, e.retry_after) == 120.0


def test_status_http_error_is_raisable_and_pickles_with_its_fields() -> None:
    import pickle

    e = email365.status_http_error(429, "7")
    assert e is not None
    with pytest.raises(email365.StatusApiError) as info:
        raise e
    assert info.value.status == 429
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is type(e) and (copy.status, copy.retry_after) == (429, 7.0)
    assert email365.InvalidArgument("x").status is None


def test_status_http_error_refuses_bad_arguments() -> None:
    with pytest.raises(OverflowError):
        api.status_http_error(65536)
    with pytest.raises(OverflowError):
        api.status_http_error(-1)
    with pytest.raises(TypeError):
        api.status_http_error("404")
    with pytest.raises(email365.InvalidArgument):
        email365.status_http_error(503, "5", now=datetime.datetime(1960, 1, 1, tzinfo=datetime.timezone.utc))


def _notification(*events: dict[str, Any]) -> email365.Notification:
    return parse_status(_body("1", *events))


def test_recipients_are_the_latest_state_of_each_in_order_of_first_appearance() -> None:
    n = _notification(
        _event("CAAS_RECEIVED", "john@example.com"),
        _event("CAAS_RECEIVED", "ann@example.org"),
        _event("CH_SENT", "john@EXAMPLE.com"),  # same recipient: the domain's case differs
        _event("CAAS_RECEIVED", "John@example.com"),  # another one: the local part's case differs
    )
    states = n.recipients
    assert [s.recipient for s in states] == ["john@example.com", "ann@example.org", "John@example.com"]
    assert [s.latest.code for s in states] == ["CH_SENT", "CAAS_RECEIVED", "CAAS_RECEIVED"]
    assert [s.is_final for s in states] == [True, False, False]
    assert isinstance(states[0], email365.RecipientState)
    assert states[0] == n.recipients[0] and hash(states[0]) == hash(n.recipients[0])
    assert n.all_final is False
    assert n.is_final_for("email:john@example.COM") is True
    assert n.is_final_for("ann@example.org") is False
    assert n.is_final_for("nobody@example.org") is False
    latest = n.latest_for("ann@example.org")
    assert latest is not None and latest.code == "CAAS_RECEIVED"
    assert n.latest_for("nobody@example.org") is None


def test_all_final_needs_every_recipient_final_and_some_event() -> None:
    done = _notification(
        _event("CAAS_RECEIVED", "a@example.com"),
        _event("CH_SENT", "a@example.com"),
        _event("CH_SENT", "b@example.com"),
    )
    assert done.all_final is True
    assert [s.recipient for s in done.recipients] == ["a@example.com", "b@example.com"]
    assert _notification().all_final is False, "no event yet: not final"
    assert parse_status("{}").all_final is False, "not found: not final"
    # Events without a recipient are gathered under None, and count too.
    unnamed = _notification(_event("CH_SENT", "a@example.com"), _event("CAAS_RECEIVED", None))
    assert [s.recipient for s in unnamed.recipients] == ["a@example.com", None]
    assert unnamed.all_final is False
