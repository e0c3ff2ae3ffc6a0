"""The `email365` loggers: off by default (a NullHandler), the SMTP transcript at DEBUG
on `email365.smtp`, credentials never in a record whatever the AUTH mechanism."""

from __future__ import annotations

import base64
import logging
import sys
from typing import List

import pytest

import email365
from email365 import _logging
from email365.testing import SandboxInfo


def test_off_by_default() -> None:
    logger = logging.getLogger("email365")
    assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)
    assert logging.getLogger("email365.smtp").getEffectiveLevel() > logging.DEBUG
    assert _logging.transcript_hook() is None  # no hook: the transport never calls into Python


def secrets(info: SandboxInfo) -> List[str]:
    user, password = info.username, info.password
    forms = [f"\0{user}\0{password}", password, f"{user}\0{password}"]
    encoded = [base64.b64encode(f.encode()).decode() for f in forms]
    return [password, *encoded]


@pytest.mark.parametrize("auth", ["plain", "login"])
def test_transcript_at_debug_without_the_password(
    email365_sandbox: SandboxInfo, caplog: pytest.LogCaptureFixture, auth: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="email365")
    message = email365.Message(from_addr="shop@example.com", to="a@example.org", subject="s", text="t\n")
    with email365_sandbox.smtp_client(auth=auth) as client:
        client.send(message)
    records = [r for r in caplog.records if r.name == "email365.smtp"]
    lines = [r.getMessage() for r in records]
    assert all(r.levelno == logging.DEBUG for r in records)
    assert any(line.startswith("received 220 ") for line in lines)
    assert "sent STARTTLS" in lines
    # PLAIN: "sent AUTH PLAIN <redacted>"; LOGIN: "sent AUTH LOGIN", then two "sent <redacted>".
    redacted = [line for line in lines if line.startswith("sent ") and "<redacted>" in line]
    assert len(redacted) == (1 if auth == "plain" else 2), lines
    assert any(line.startswith(f"sent AUTH {auth.upper()}") for line in lines)
    assert any(line.startswith("received 235 ") for line in lines)
    assert any(line.startswith("received 250 2.0.0 Ok: queued as") for line in lines)
    # Nothing anywhere in the captured log (formatted text included) holds a credential.
    text = caplog.text + "\n".join(lines)
    for secret in secrets(email365_sandbox):
        assert secret not in text


def test_a_transcript_callable(email365_sandbox: SandboxInfo) -> None:
    seen: List[str] = []
    with email365_sandbox.smtp_client(transcript=lambda d, line: seen.append(f"{d} {line}")) as client:
        client.send(email365.Message(from_addr="shop@example.com", to="a@example.org", subject="s", text="t\n"))
    assert seen[0].startswith("received 220 ")
    assert seen[-1] == "sent QUIT" or any(s == "sent QUIT" for s in seen)
    for secret in secrets(email365_sandbox):
        assert all(secret not in s for s in seen)


def test_a_failing_transcript_callable_does_not_break_the_send(
    email365_sandbox: SandboxInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(direction: str, line: str) -> None:
        raise RuntimeError("broken hook")

    reported: List[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_value))
    with email365_sandbox.smtp_client(transcript=broken) as client:
        result = client.send(email365.Message(from_addr="shop@example.com", to="a@example.org", subject="s", text="t\n"))
    assert result.notification_id is not None
    assert reported and all(isinstance(e, RuntimeError) for e in reported)
