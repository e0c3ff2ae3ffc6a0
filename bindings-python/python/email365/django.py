"""A Django email backend that sends through email365's SMTP transport.

``EMAIL_BACKEND = "email365.django.EmailBackend"`` (``pip install email365[django]``).
It reads Django's own settings (``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_HOST_USER``,
``EMAIL_HOST_PASSWORD``, ``EMAIL_TIMEOUT``, ``EMAIL_USE_SSL``) and ``EMAIL365_*`` settings
for what Django lacks (``bindings-python/README.md``, "Django"). It only converts: the
message is Django's own ``message().as_bytes()``, the envelope is Django's
``from_email`` and ``recipients()`` (so Bcc is in the envelope only), and every rule
(TLS, AUTH, the sender policy, address checks) is the core's.
"""

from __future__ import annotations

import threading
from typing import Any, List, Optional, Sequence, Tuple, Union

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from ._errors import Email365Error
from ._native import SendResult, SenderPolicy, SmtpClient, validate_address

__all__ = ["EmailBackend"]

_Outcome = Union[SendResult, Email365Error]


def _setting(name: str, default: Any = None) -> Any:
    return getattr(settings, name, default)


def _envelope_address(text: str) -> str:
    """The bare address of a Django address (``"Name <a@example.com>"`` or
    ``"a@example.com"``), as the core reads it."""
    return validate_address(text, mode="header", allow_quoted_local=True).envelope


class EmailBackend(BaseEmailBackend):
    """Sends Django's messages through one email365 ``SmtpClient``, reused between
    ``open()`` and ``close()`` as Django's SMTP backend reuses its connection.

    Settings (a keyword argument wins over its setting, as in Django's SMTP backend):

    - ``EMAIL_HOST``, ``EMAIL_PORT`` (25, the service's port, is Django's default too),
      ``EMAIL_HOST_USER`` and ``EMAIL_HOST_PASSWORD`` (AUTH when both are set),
      ``EMAIL_TIMEOUT`` (seconds, the deadline of every step; the core's defaults when
      ``None``).
    - ``EMAIL_USE_SSL``: implicit TLS (port 465). Otherwise STARTTLS is required, whatever
      ``EMAIL_USE_TLS`` says: the transport never sends mail or credentials in clear to a
      remote host. ``EMAIL365_TLS`` (``"starttls"``, ``"implicit"``, or
      ``"insecure_plaintext"`` for a local test server) overrides both.
    - ``EMAIL365_CA_FILE``: a CA file trusted in addition to the system's roots.
    - ``EMAIL365_SENDER_DOMAINS``, ``EMAIL365_SENDER_ADDRESSES``: the account's registered
      senders; a message from anyone else is refused (``SenderNotRegistered``) before
      anything is sent.
    - ``EMAIL365_OPTIONS``: a dict of further ``email365.SmtpClient`` keyword arguments
      (``server_name``, ``ehlo_name``, ``auth``, ``max_connections``, …).

    ``EMAIL_SSL_CERTFILE`` / ``EMAIL_SSL_KEYFILE`` (TLS client certificates) are not
    supported and raise ``ImproperlyConfigured`` rather than being ignored.

    ``send_messages`` returns how many messages were accepted for at least one
    recipient. Each message gets an ``email365_result`` attribute: its ``SendResult``
    (``notification_id`` for the status API, ``rejected`` recipients) or, when it failed,
    the exception. Unless ``fail_silently``, the first failure is raised once every
    message was submitted; with it, every ``email365.Email365Error`` is swallowed.
    """

    def __init__(
        self,
        host: Optional[str] = None,
        port: Optional[int] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        use_tls: Optional[bool] = None,
        fail_silently: bool = False,
        use_ssl: Optional[bool] = None,
        timeout: Optional[float] = None,
        ca_file: Optional[str] = None,
        sender_domains: Optional[Sequence[str]] = None,
        sender_addresses: Optional[Sequence[str]] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fail_silently=fail_silently)
        self.host: str = host or settings.EMAIL_HOST
        self.port: int = port or settings.EMAIL_PORT
        self.username: str = settings.EMAIL_HOST_USER if username is None else username
        self.password: str = settings.EMAIL_HOST_PASSWORD if password is None else password
        self.use_tls: bool = settings.EMAIL_USE_TLS if use_tls is None else use_tls
        self.use_ssl: bool = settings.EMAIL_USE_SSL if use_ssl is None else use_ssl
        self.timeout: Optional[float] = settings.EMAIL_TIMEOUT if timeout is None else timeout
        if self.use_ssl and self.use_tls:
            raise ValueError(
                "EMAIL_USE_TLS/EMAIL_USE_SSL are mutually exclusive, so only set one of those settings to True."
            )
        if _setting("EMAIL_SSL_CERTFILE") or _setting("EMAIL_SSL_KEYFILE"):
            raise ImproperlyConfigured(
                "email365.django.EmailBackend does not support TLS client certificates "
                "(EMAIL_SSL_CERTFILE, EMAIL_SSL_KEYFILE)"
            )
        self.tls: str = _setting("EMAIL365_TLS") or ("implicit" if self.use_ssl else "starttls")
        self.ca_file: Optional[str] = _setting("EMAIL365_CA_FILE") if ca_file is None else ca_file
        domains = _setting("EMAIL365_SENDER_DOMAINS") if sender_domains is None else sender_domains
        addresses = _setting("EMAIL365_SENDER_ADDRESSES") if sender_addresses is None else sender_addresses
        self.sender_policy: Optional[SenderPolicy] = (
            SenderPolicy(domains=list(domains or ()), addresses=list(addresses or ()))
            if domains or addresses
            else None
        )
        self.options: dict[str, Any] = dict(_setting("EMAIL365_OPTIONS") or {})
        self.connection: Optional[SmtpClient] = None
        self._lock = threading.RLock()

    def open(self) -> Optional[bool]:
        """Makes the client (it connects on the first message). Returns True when a new
        client was made, False when one was open already, None when making it failed
        silently."""
        if self.connection is not None:
            return False
        credentials = bool(self.username and self.password)
        try:
            self.connection = SmtpClient(
                self.host,
                self.port,
                username=self.username if credentials else None,
                password=self.password if credentials else None,
                tls=self.tls,  # type: ignore[arg-type]  # checked by the core
                ca_file=self.ca_file,
                timeout=self.timeout,
                sender_policy=self.sender_policy,
                **self.options,
            )
        except Email365Error:
            if not self.fail_silently:
                raise
            return None
        return True

    def close(self) -> None:
        """Ends the session (QUIT) and closes the connection."""
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Sends the messages (whole transactions in flight on one connection) and
        returns how many were accepted."""
        if not email_messages:
            return 0
        with self._lock:
            new_connection = self.open()
            if self.connection is None or new_connection is None:
                return 0
            try:
                outcomes = self._send_all(self.connection, email_messages)
            finally:
                if new_connection:
                    self.close()
        failures = [o for o in outcomes if isinstance(o, Email365Error)]
        if failures and not self.fail_silently:
            raise failures[0]
        return sum(1 for o in outcomes if isinstance(o, SendResult))

    def _send_all(self, client: SmtpClient, email_messages: Sequence[EmailMessage]) -> List[Optional[_Outcome]]:
        """One outcome per message (None for a message without recipients, which is
        skipped as Django's SMTP backend skips it)."""
        outcomes: List[Optional[_Outcome]] = [None] * len(email_messages)
        items: List[Tuple[bytes, str, List[str]]] = []
        positions: List[int] = []
        for i, message in enumerate(email_messages):
            recipients = message.recipients()
            if not recipients:
                continue
            try:
                item = (
                    message.message().as_bytes(linesep="\r\n"),
                    _envelope_address(message.from_email),
                    [_envelope_address(r) for r in recipients],
                )
            except Email365Error as e:
                outcomes[i] = e
                message.email365_result = e  # type: ignore[attr-defined]
                continue
            items.append(item)
            positions.append(i)
        if items:
            try:
                results = client.send_many(items, return_exceptions=True)
            except Email365Error as e:  # the client was closed, or an item was refused
                results = [e] * len(items)
            for i, result in zip(positions, results):
                outcomes[i] = result
                email_messages[i].email365_result = result  # type: ignore[attr-defined]
        return outcomes
