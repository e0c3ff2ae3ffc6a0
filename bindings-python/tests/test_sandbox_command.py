"""`email365 sandbox` (the core's command, shipped in the wheel) and the pytest fixture
`email365_sandbox` of email365.testing: start information, a send through it, clean
stops on SIGINT and at the end of stdin, and bad flags."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys

import pytest

import email365
from email365.testing import Sandbox, SandboxInfo

CONSOLE = shutil.which("email365", path=os.path.dirname(sys.executable))


def test_json_start_line_and_a_send() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "email365", "sandbox", "--json", "--exit-on-stdin-eof", "--step-ms", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        info = json.loads(process.stdout.readline())
        assert info["smtp_host"] == "127.0.0.1" and info["smtp_port"] > 0
        assert (info["username"], info["password"]) == ("sandbox", "sandbox-password")
        assert pathlib.Path(info["ca_file"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
        sandbox = SandboxInfo.from_start_line(info)
        message = email365.Message(from_addr="a@example.com", to="b@example.org", subject="s", text="t\n")
        with sandbox.smtp_client() as client:
            result = client.send(message)
        assert result.notification_id is not None
        notification = sandbox.status_client().get(result.notification_id)
        assert notification.all_final  # --step-ms 0: every event at once
    finally:
        process.stdin.close()
        assert process.wait(timeout=10) == 0
        process.stdout.close()
    assert not pathlib.Path(info["ca_file"]).exists()  # the temporary folder is removed


def test_console_command_for_people_stops_on_sigint() -> None:
    assert CONSOLE is not None, "the email365 console script is installed beside the interpreter"
    process = subprocess.Popen([CONSOLE, "sandbox"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    lines = [process.stdout.readline() for _ in range(7)]
    text = "".join(lines)
    assert lines[0].startswith(f"email365 sandbox {email365.__version__}:")
    for field in ("SMTP        127.0.0.1 port ", "status API  http://127.0.0.1:", "CA file     /",
                  "username    sandbox", "password    sandbox-password", "senders     example.com"):
        assert field in text, text
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    assert "Traceback" not in process.stderr.read()
    process.stdout.close()
    process.stderr.close()


def test_help_and_bad_flags() -> None:
    done = subprocess.run([sys.executable, "-m", "email365", "sandbox", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "Usage: email365 sandbox" in done.stdout and "--smtp-port" in done.stdout
    done = subprocess.run([sys.executable, "-m", "email365", "sandbox", "--no-such-flag"], capture_output=True, text=True)
    assert done.returncode == 2 and "--no-such-flag" in done.stderr and done.stdout == ""
    done = subprocess.run([sys.executable, "-m", "email365", "--help"], capture_output=True, text=True)
    assert "email365 sandbox" in done.stdout


def test_flags_are_passed_through() -> None:
    with Sandbox("--username", "ci", "--password", "ci-secret", "--sender-domain", "shop.example") as info:
        assert (info.username, info.password, info.sender_domains) == ("ci", "ci-secret", ["shop.example"])
        with info.smtp_client() as client:
            client.send(email365.Message(from_addr="a@shop.example", to="b@example.org", subject="s", text="t\n"))
        assert [m.mail_from for m in info.messages()] == ["a@shop.example"]
    with pytest.raises(RuntimeError, match="did not start"):
        Sandbox("--password", "").start()


def test_the_fixture(email365_sandbox: SandboxInfo, pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("email365")  # loaded through the entry point
    message = email365.Message(from_addr="shop@example.com", to="b@example.org", bcc="c@example.org",
                               subject="fixture", text="t\n")
    with email365_sandbox.smtp_client() as client:
        result = client.send(message)
    assert result.notification_id is not None
    [received] = email365_sandbox.messages(result.notification_id)
    assert received.rcpt_to == ["b@example.org", "c@example.org"]
    status = email365_sandbox.status_client()
    email365_sandbox.advance(10)  # past every status step
    assert status.get(result.notification_id).all_final
