"""The project's mail: a welcome message, text and HTML, with a Bcc to the archive."""

from django.core.mail import EmailMultiAlternatives

import email365


def send_welcome(to: str) -> email365.SendResult:
    message = EmailMultiAlternatives(
        subject="Welcome",
        body="Welcome to the shop.\n",
        to=[to],
        bcc=["archive@example.com"],
    )
    message.attach_alternative("<p>Welcome to the shop.</p>", "text/html")
    assert message.send() == 1
    result: email365.SendResult = message.email365_result  # type: ignore[attr-defined]
    return result
