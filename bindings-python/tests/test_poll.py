"""StatusPoller: the core's status wait loop through the binding (its rule is pinned by
the status_poll vectors; these tests check the Python shapes)."""

from __future__ import annotations

import pytest

import email365
from email365 import StatusPoller

PENDING = '{"Notification":{"notificationId":"1","status":[{"statusCode":"CAAS_SENT","recipient":"email:a@x.test"}]}}'
FINAL = '{"Notification":{"notificationId":"1","status":[{"statusCode":"CH_BOUNCED","recipient":"email:a@x.test"}]}}'


def test_a_wait_fetches_sleeps_and_ends_with_the_final_notification() -> None:
    p = StatusPoller("1", "a@x.test", deadline=10.0)
    step = p.next(100.0)
    assert (step.action, step.time_limit) == ("fetch", 10.0)
    n = p.record_answer(200, body=PENDING)
    assert n is not None and n.events[0].code == "CAAS_SENT"
    step = p.next(100.5)
    assert (step.action, step.delay) == ("sleep", 1.0)
    assert p.next(101.0).action == "sleep"
    assert p.next(101.5).action == "fetch"
    assert p.record_answer(503, "2") is None
    assert p.next(101.5).delay == 2.0
    assert p.next(103.5).action == "fetch"
    p.record_answer(200, body=FINAL)
    step = p.next(104.0)
    assert step.action == "done" and step.notification is not None
    assert step.notification.events[0].code == "CH_BOUNCED"
    assert p.last_notification == step.notification


def test_giving_up_gives_an_exception_of_the_package() -> None:
    p = StatusPoller("42", deadline=0.0)
    p.next(0.0)
    p.record_failure("network", url="https://h/v1", detail="refused")
    step = p.next(0.2)
    assert step.action == "give_up"
    assert isinstance(step.error, email365.TimeoutExpiredError)
    assert step.error.reason == "deadline_exceeded" and step.error.transient
    assert "notification 42" in str(step.error)
    p = StatusPoller("1")
    p.next(0.0)
    p.record_answer(401)
    step = p.next(0.0)
    assert isinstance(step.error, email365.AuthenticationError)


def test_bad_arguments_are_errors_of_the_package() -> None:
    with pytest.raises(email365.InvalidArgument):
        StatusPoller("1", deadline=-1.0)
    p = StatusPoller("1")
    with pytest.raises(email365.InvalidArgument):
        p.next(float("nan"))
    with pytest.raises(email365.InvalidArgument) as e:
        p.record_failure("dns")  # type: ignore[arg-type]
    assert e.value.reason == "unknown_fetch_failure"
