"""Interop of the email365 sandbox with clients nobody in this project wrote.

Python's smtplib talks SMTP to it (STARTTLS trusting the sandbox's CA file, AUTH, PIPELINING
is not used by smtplib so every command is a round trip) and curl talks to its status API.
The sandbox binary is built with cargo and started once for the module; its first stdout
line (JSON) gives the ports, the CA file and the credentials.
"""

from __future__ import annotations

import json
import shutil
import smtplib
import ssl
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "release" / "email365-sandbox"


@pytest.fixture(scope="module")
def sandbox():
    subprocess.run(
        ["cargo", "build", "-q", "--release", "-p", "email365-sandbox"],
        cwd=ROOT,
        check=True,
    )
    proc = subprocess.Popen(
        [
            str(BINARY),
            "--smtp-port", "0",
            "--http-port", "0",
            "--smtps-port", "0",
            "--step-ms", "0",
            "--sender-domain", "example.com",
            "--sender-address", "owner@other.example",
            "--size-limit", "100000",
            "--exit-on-stdin-eof",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    assert line, "the sandbox printed no start line"
    info = json.loads(line)
    yield info
    proc.stdin.close()
    try:
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def tls_context(info) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=info["ca_file"])


def connect(info, login: bool = True) -> smtplib.SMTP:
    smtp = smtplib.SMTP(info["smtp_host"], info["smtp_port"], local_hostname="client.test", timeout=10)
    smtp.starttls(context=tls_context(info))
    if login:
        smtp.login(info["username"], info["password"])
    return smtp


def message(to: list[str], subject: str = "Interop", body: str = "Hello from smtplib.\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Sender <sender@example.com>"
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def curl(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("curl")
    assert exe, "curl is required by this test (Debian: apt-get install curl)"
    return subprocess.run([exe, "-sS", "--max-time", "10", *args], capture_output=True, text=True, check=True)


def status(info, notification_id: str, *extra: str, auth: bool = True) -> tuple[int, dict, str]:
    """GET the status with curl; returns (HTTP status, JSON body, raw headers)."""
    url = f"{info['http_url']}/v1/{info['account_id']}/notifications/id/{notification_id}"
    args = ["-i", "--get", url, *extra]
    if auth:
        args = ["-u", f"{info['username']}:{info['password']}", *args]
    out = curl(*args).stdout
    # text mode turned CRLF into LF: the header block ends at the first empty line.
    head, _, body = out.partition("\n\n")
    code = int(head.split()[1])
    return code, json.loads(body), head


def send_for_id(info, to: list[str]) -> str:
    """Sends with smtplib's low-level calls to get the final reply (and its id)."""
    with connect(info) as smtp:
        smtp.ehlo()
        assert smtp.mail("sender@example.com")[0] == 250
        for rcpt in to:
            smtp.rcpt(rcpt)
        code, text = smtp.data(message(to).as_bytes())
    assert code == 250, text
    prefix = b"2.0.0 Ok: queued as "
    assert text.startswith(prefix), text
    notification_id = text[len(prefix):].decode()
    assert notification_id.isdigit() and len(notification_id) >= 14
    return notification_id


def test_start_line_describes_the_sandbox(sandbox):
    assert sandbox["smtp_host"] == "127.0.0.1"
    assert sandbox["smtp_port"] > 0 and sandbox["smtps_port"] > 0
    assert sandbox["http_url"].startswith("http://127.0.0.1:")
    assert Path(sandbox["ca_file"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert sandbox["username"] and sandbox["password"] and sandbox["account_id"]
    assert sandbox["sender_domains"] == ["example.com"]


def test_starttls_login_sendmail_with_a_partly_rejected_list(sandbox):
    with connect(sandbox) as smtp:
        assert smtp.has_extn("auth") and smtp.has_extn("size") and smtp.has_extn("pipelining")
        refused = smtp.sendmail(
            "sender@example.com",
            ["alice@customer.example", "reject.bob@customer.example", "greylist@customer.example"],
            message(["alice@customer.example"]).as_bytes(),
        )
    assert set(refused) == {"reject.bob@customer.example", "greylist@customer.example"}
    assert refused["reject.bob@customer.example"][0] == 550
    assert refused["reject.bob@customer.example"][1].startswith(b"5.1.1 ")
    assert refused["greylist@customer.example"][0] == 451
    assert refused["greylist@customer.example"][1].startswith(b"4.7.1 ")


def test_all_recipients_rejected_raises(sandbox):
    with connect(sandbox) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as err:
            smtp.sendmail("sender@example.com", ["reject1@x.example", "reject2@x.example"], b"Subject: x\r\n\r\nx\r\n")
    assert set(err.value.recipients) == {"reject1@x.example", "reject2@x.example"}
    assert all(code == 550 for code, _ in err.value.recipients.values())


def test_wrong_password_is_535(sandbox):
    smtp = connect(sandbox, login=False)
    with pytest.raises(smtplib.SMTPAuthenticationError) as err:
        smtp.login(sandbox["username"], "not-the-password")
    assert err.value.smtp_code == 535
    assert err.value.smtp_error.startswith(b"5.7.8")
    smtp.quit()


def test_auth_login_mechanism(sandbox):
    smtp = connect(sandbox, login=False)
    smtp.ehlo()  # after STARTTLS a client must say EHLO again before AUTH
    smtp.user, smtp.password = sandbox["username"], sandbox["password"]
    code, _ = smtp.auth("LOGIN", smtp.auth_login, initial_response_ok=False)
    assert code == 235
    smtp.quit()


def test_auth_and_mail_before_tls_are_530(sandbox):
    with smtplib.SMTP(sandbox["smtp_host"], sandbox["smtp_port"], timeout=10) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls") and not smtp.has_extn("auth")
        code, text = smtp.docmd("AUTH", "PLAIN AHNhbmRib3gAc2FuZGJveC1wYXNzd29yZA==")
        assert (code, text[:5]) == (530, b"5.7.0")
        code, text = smtp.mail("sender@example.com")
        assert (code, text[:5]) == (530, b"5.7.0")


def test_unregistered_sender_is_refused(sandbox):
    with connect(sandbox) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused) as err:
            smtp.sendmail("someone@unregistered.example", ["a@x.example"], b"Subject: x\r\n\r\nx\r\n")
        assert err.value.smtp_code == 550
        assert err.value.smtp_error.startswith(b"5.7.1")
        # A registered address outside the registered domains passes.
        assert smtp.sendmail("owner@other.example", ["a@x.example"], b"Subject: y\r\n\r\ny\r\n") == {}


def test_size_limit(sandbox):
    big = message(["a@x.example"], body="x" * 150_000 + "\n")
    with connect(sandbox) as smtp:
        # smtplib announces SIZE= itself when the server offers SIZE.
        with pytest.raises(smtplib.SMTPSenderRefused) as err:
            smtp.send_message(big)
        assert err.value.smtp_code == 552
        assert err.value.smtp_error.startswith(b"5.3.4")


def test_international_message_uses_smtputf8(sandbox):
    msg = EmailMessage()
    msg["From"] = "sender@example.com"
    msg["To"] = "jürgen@bücher.example"
    msg["Subject"] = "Grüße"
    msg.set_content("Grüße aus der Sandbox\n")
    with connect(sandbox) as smtp:
        assert smtp.send_message(msg) == {}
    listed = json.loads(curl(f"{sandbox['http_url']}/_sandbox/messages").stdout)
    last = listed[-1]
    assert last["rcpt_to"] == ["jürgen@bücher.example"]
    assert last["smtputf8"] is True


def test_implicit_tls_port(sandbox):
    with smtplib.SMTP_SSL(sandbox["smtp_host"], sandbox["smtps_port"], context=tls_context(sandbox), timeout=10) as smtp:
        smtp.login(sandbox["username"], sandbox["password"])
        assert smtp.sendmail("sender@example.com", ["a@x.example"], b"Subject: z\r\n\r\nz\r\n") == {}


def test_status_api_with_curl(sandbox):
    notification_id = send_for_id(sandbox, ["alice@customer.example", "bounce+1@customer.example", "reject@customer.example"])

    code, body, _ = status(sandbox, notification_id)
    assert code == 200
    events = body["Notification"]["status"]
    assert body["Notification"]["notificationId"] == notification_id
    by_recipient: dict[str, list[str]] = {}
    for e in events:
        assert e["channel"] == "email"
        by_recipient.setdefault(e["recipient"], []).append(e["statusCode"])
    assert by_recipient == {
        "email:alice@customer.example": ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_SENT"],
        "email:bounce+1@customer.example": ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_BOUNCED"],
    }

    # curl percent-encodes the filter itself (the '+' becomes %2B).
    code, body, _ = status(sandbox, notification_id, "--data-urlencode", "recipient=email:bounce+1@customer.example")
    assert code == 200
    assert [e["statusCode"] for e in body["Notification"]["status"]] == [
        "CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_BOUNCED",
    ]
    assert body["Notification"]["status"][-1]["statusText"] == "550 5.1.1 mailbox unavailable"

    code, body, head = status(sandbox, notification_id, auth=False)
    assert code == 401
    assert "www-authenticate: basic" in head.lower()

    code, body, _ = status(sandbox, "12345678901234")
    assert (code, body) == (200, {})


def test_status_expires_after_seven_days(sandbox):
    notification_id = send_for_id(sandbox, ["carol@customer.example"])
    code, body, _ = status(sandbox, notification_id)
    assert len(body["Notification"]["status"]) == 4
    advanced = json.loads(curl("-X", "POST", f"{sandbox['http_url']}/_sandbox/advance?seconds=604800").stdout)
    assert advanced["advanced_ms"] == 604_800_000
    code, body, _ = status(sandbox, notification_id)
    assert (code, body) == (200, {})


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
