"""email365.django.EmailBackend with Django's own mail API (EmailMessage,
EmailMultiAlternatives, attachments, send_mail, send_mass_mail, get_connection) against
the sandbox, configured by Django's settings."""

from __future__ import annotations

import email
import email.message
import email.policy
import logging
from typing import Any, Dict, Iterator, List

import django
import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test.utils import override_settings

import email365
from email365.django import EmailBackend
from email365.testing import ReceivedMessage, SandboxInfo

if not settings.configured:
    settings.configure(DEFAULT_FROM_EMAIL="Shop <shop@example.com>", USE_TZ=True)
    django.setup()


@pytest.fixture
def configured(email365_sandbox: SandboxInfo) -> Iterator[SandboxInfo]:
    """Django's settings pointing at the sandbox, as a project would write them."""
    with override_settings(**email365_sandbox.django_settings()):
        yield email365_sandbox


def parse(received: ReceivedMessage) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def result_of(message: mail.EmailMessage) -> email365.SendResult:
    result = message.email365_result  # type: ignore[attr-defined]
    assert isinstance(result, email365.SendResult), result
    return result


def test_email_message_with_attachment_and_bcc(configured: SandboxInfo) -> None:
    message = mail.EmailMessage(
        subject="Your receipt",
        body="Thank you!\n",
        from_email="Shop <shop@example.com>",
        to=["Alice <alice@example.org>"],
        cc=["carol@example.org"],
        bcc=["audit@example.com"],
        reply_to=["help@example.com"],
        headers={"X-Campaign": "fall"},
    )
    pdf = b"%PDF-1.7 \x00\x01\x02 receipt"
    message.attach("receipt.pdf", pdf, "application/pdf")
    assert message.send() == 1
    [received] = configured.messages(result_of(message).notification_id)
    # Django's envelope: from_email and recipients() (To, Cc and Bcc), bare addresses.
    assert received.mail_from == "shop@example.com"
    assert received.rcpt_to == ["alice@example.org", "carol@example.org", "audit@example.com"]
    assert b"audit@" not in received.data
    parsed = parse(received)
    assert parsed["Subject"] == "Your receipt"
    assert parsed["To"] == "Alice <alice@example.org>"
    assert parsed["Cc"] == "carol@example.org"
    assert parsed["Reply-To"] == "help@example.com"
    assert parsed["X-Campaign"] == "fall"
    assert parsed["Message-ID"] is not None
    [attachment] = list(parsed.iter_attachments())
    assert isinstance(attachment, email.message.EmailMessage)
    assert attachment.get_filename() == "receipt.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf
    # Django wrote the bytes with CRLF line ends, as the wire wants them.
    assert b"\r\n" in received.data and b"\n" not in received.data.replace(b"\r\n", b"")


def test_email_multi_alternatives(configured: SandboxInfo) -> None:
    message = mail.EmailMultiAlternatives(
        subject="Grüße", body="Hallo Jörg\n", to=["joerg@example.org"]
    )
    message.attach_alternative("<p>Hallo <b>Jörg</b></p>", "text/html")
    assert message.send() == 1
    [received] = configured.messages(result_of(message).notification_id)
    assert received.mail_from == "shop@example.com"  # DEFAULT_FROM_EMAIL
    parsed = parse(received)
    assert parsed["Subject"] == "Grüße"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert text is not None and text.get_content().replace("\r\n", "\n") == "Hallo Jörg\n"
    assert html is not None and html.get_content() == "<p>Hallo <b>Jörg</b></p>"


def test_send_mail_and_send_mass_mail(configured: SandboxInfo) -> None:
    assert mail.send_mail("One", "one\n", None, ["one@example.org"]) == 1
    datatuples = [(f"Mass {i}", f"body {i}\n", "news@example.com", [f"r{i}@example.org"]) for i in range(3)]
    before = len(configured.messages())
    assert mail.send_mass_mail(datatuples) == 3
    mass = configured.messages()[before:]
    assert [(m.mail_from, m.rcpt_to) for m in mass] == [
        ("news@example.com", [f"r{i}@example.org"]) for i in range(3)
    ]
    assert [parse(m)["Subject"] for m in mass] == ["Mass 0", "Mass 1", "Mass 2"]


def test_one_connection_for_several_calls(configured: SandboxInfo, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="email365.smtp")
    with mail.get_connection() as connection:
        assert isinstance(connection, EmailBackend)
        client = connection.connection
        assert client is not None
        for i in range(2):
            message = mail.EmailMessage(f"Reuse {i}", "body\n", to=["reuse@example.org"], connection=connection)
            assert message.send() == 1
            assert connection.connection is client  # kept open between calls
    assert connection.connection is None and client.closed
    sent = [r.getMessage() for r in caplog.records if r.name == "email365.smtp"]
    # One session: greeting, EHLO, STARTTLS, EHLO, AUTH once; two transactions; QUIT.
    assert sum(line.startswith("sent EHLO") for line in sent) == 2
    assert sum(line.startswith("sent AUTH") for line in sent) == 1
    assert sum(line.startswith("sent MAIL FROM") for line in sent) == 2
    assert sum(line.startswith("sent QUIT") for line in sent) == 1


def test_a_connection_per_call_without_open(configured: SandboxInfo) -> None:
    backend = EmailBackend()
    assert backend.send_messages([mail.EmailMessage("x", "y\n", to=["a@example.org"])]) == 1
    assert backend.connection is None  # closed again after the call, as Django's backend does


def test_partly_rejected_recipients_count_as_sent(configured: SandboxInfo) -> None:
    message = mail.EmailMessage("Partly", "body\n", to=["ok@example.org", "reject-me@example.org"])
    assert message.send() == 1
    result = result_of(message)
    assert result.accepted == ("ok@example.org",)
    assert list(result.rejected) == ["reject-me@example.org"]
    assert result.rejected["reject-me@example.org"].code == 550


def test_failures_raise_or_pass_silently(configured: SandboxInfo) -> None:
    bad = mail.EmailMessage("All refused", "body\n", to=["reject-a@example.org", "reject-b@example.org"])
    good = mail.EmailMessage("Fine", "body\n", to=["fine@example.org"])
    with pytest.raises(email365.RecipientsRejectedError):
        mail.get_connection().send_messages([bad, good])
    # Every message was submitted; each carries its outcome.
    assert isinstance(bad.email365_result, email365.RecipientsRejectedError)  # type: ignore[attr-defined]
    assert result_of(good).accepted == ("fine@example.org",)
    assert mail.get_connection(fail_silently=True).send_messages([bad, good]) == 1


def test_wrong_password(configured: SandboxInfo) -> None:
    with override_settings(EMAIL_HOST_PASSWORD="wrong"):
        with pytest.raises(email365.AuthenticationError):
            mail.send_mail("x", "y\n", None, ["a@example.org"])
        assert mail.send_mail("x", "y\n", None, ["a@example.org"], fail_silently=True) == 0


def test_the_sender_policy_refuses_before_sending(configured: SandboxInfo) -> None:
    before = len(configured.messages())
    message = mail.EmailMessage("x", "y\n", from_email="someone@example.net", to=["a@example.org"])
    with pytest.raises(email365.SenderNotRegistered):
        message.send()
    assert len(configured.messages()) == before


def test_the_extra_ca_is_needed(configured: SandboxInfo) -> None:
    with override_settings(EMAIL365_CA_FILE=None):
        with pytest.raises(email365.TlsError):
            mail.send_mail("x", "y\n", None, ["a@example.org"])


def test_messages_without_recipients_are_skipped(configured: SandboxInfo) -> None:
    before = len(configured.messages())
    assert mail.get_connection().send_messages([mail.EmailMessage("x", "y\n")]) == 0
    assert mail.get_connection().send_messages([]) == 0
    assert len(configured.messages()) == before


def test_an_invalid_address_is_the_cores_error(configured: SandboxInfo) -> None:
    message = mail.EmailMessage("x", "y\n", to=["not an address"])
    with pytest.raises(email365.InvalidAddress):
        message.send()
    assert isinstance(message.email365_result, email365.InvalidAddress)  # type: ignore[attr-defined]
    assert mail.EmailMessage("x", "y\n", to=["not an address"]).send(fail_silently=True) == 0


def test_settings_are_read(configured: SandboxInfo) -> None:
    extra: Dict[str, Any] = {"EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False, "EMAIL_TIMEOUT": 3}
    with override_settings(**extra):
        backend = EmailBackend()
    assert (backend.host, backend.port, backend.tls, backend.timeout) == (
        configured.host,
        configured.port,
        "implicit",
        3,
    )
    assert backend.ca_file == configured.ca_file
    assert backend.sender_policy is not None and backend.sender_policy.domains == ["example.com"]
    # Keyword arguments win over the settings, as in Django's SMTP backend.
    assert EmailBackend(host="smtp.example.net", port=587, timeout=5).port == 587
    # Without EMAIL_USE_SSL, STARTTLS is required whatever EMAIL_USE_TLS says.
    with override_settings(EMAIL_USE_TLS=False):
        assert EmailBackend().tls == "starttls"
    with override_settings(EMAIL365_TLS="insecure_plaintext"):
        assert EmailBackend().tls == "insecure_plaintext"


def test_unsupported_or_contradictory_settings(configured: SandboxInfo) -> None:
    with override_settings(EMAIL_USE_SSL=True, EMAIL_USE_TLS=True):
        with pytest.raises(ValueError):
            EmailBackend()
    with override_settings(EMAIL_SSL_CERTFILE="/client.pem"):
        with pytest.raises(ImproperlyConfigured):
            EmailBackend()
    with override_settings(EMAIL365_TLS="smtp-please"):
        with pytest.raises(email365.InvalidArgument):
            EmailBackend().open()
        assert EmailBackend(fail_silently=True).open() is None


def test_options_reach_the_client(configured: SandboxInfo) -> None:
    lines: List[str] = []
    options = {"ehlo_name": "shop.example.com", "transcript": lambda d, line: lines.append(f"{d} {line}")}
    with override_settings(EMAIL365_OPTIONS=options):
        assert mail.send_mail("x", "y\n", None, ["a@example.org"]) == 1
    assert "sent EHLO shop.example.com" in lines
