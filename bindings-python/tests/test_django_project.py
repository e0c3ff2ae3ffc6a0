"""A Django project (tests/django_project: settings, a view and a management command)
sending through the sandbox with email365.django.EmailBackend, run as a deployment
runs it: ``manage.py`` in its own process, configured by its settings module."""

from __future__ import annotations

import email
import email.policy
import os
import pathlib
import subprocess
import sys
from typing import Dict

from email365.testing import ReceivedMessage, SandboxInfo

PROJECT = pathlib.Path(__file__).resolve().parent / "django_project"


def manage(sandbox: SandboxInfo, *args: str) -> str:
    env: Dict[str, str] = dict(os.environ)
    env.update(
        SHOP_EMAIL_HOST=sandbox.host,
        SHOP_EMAIL_PORT=str(sandbox.port),
        SHOP_EMAIL_USER=sandbox.username,
        SHOP_EMAIL_PASSWORD=sandbox.password,
        SHOP_EMAIL_CA_FILE=sandbox.ca_file,
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def check_welcome(received: ReceivedMessage, to: str) -> None:
    assert received.mail_from == "shop@example.com"
    assert received.rcpt_to == [to, "archive@example.com"]
    assert b"archive@" not in received.data  # Bcc: in the envelope only
    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
    assert parsed["To"] == to
    assert parsed["From"] == "Shop <shop@example.com>"
    assert parsed.get_content_type() == "multipart/alternative"
    html = parsed.get_body(preferencelist=("html",))
    assert html is not None and "<p>Welcome to the shop.</p>" in html.get_content()


def test_management_command_sends_through_the_sandbox(email365_sandbox: SandboxInfo) -> None:
    out = manage(email365_sandbox, "send_welcome", "alice@example.org")
    assert out.startswith("sent ")
    notification_id = out.split()[1]
    [received] = email365_sandbox.messages(notification_id)
    check_welcome(received, "alice@example.org")


def test_view_sends_through_the_sandbox(email365_sandbox: SandboxInfo) -> None:
    script = (
        "import json; from django.test import Client; "
        "r = Client().get('/welcome/', {'to': 'bob@example.org'}); "
        "print(r.status_code, json.loads(r.content)['notification_id'])"
    )
    out = manage(email365_sandbox, "shell", "-c", script)
    status, notification_id = out.splitlines()[-1].split()
    assert status == "200"
    [received] = email365_sandbox.messages(notification_id)
    check_welcome(received, "bob@example.org")
