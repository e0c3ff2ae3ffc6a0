"""status_request, parse_status, Notification, StatusEvent and the polling plan."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest

import email365
from email365 import parse_status, status_request

BODY = json.dumps(
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
    with pytest.raises(ValueError):
        email365.next_delay(0, retry_after=-1.0)
    with pytest.raises(ValueError):
        email365.next_delay(0, retry_after=float("nan"))
    with pytest.raises(OverflowError):
        email365.next_delay(-1)
