"""The exception classes of email365: one per error kind of the core.

Every exception raised by the package is an :class:`Email365Error` whose ``kind`` is one
of the core's stable kind strings (``email365.error_kinds()`` lists them). Subclasses
also inherit the matching builtin, so generic handlers work: invalid input is a
``ValueError``, a timeout a ``TimeoutError``, a connection failure a ``ConnectionError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Type, Union

if TYPE_CHECKING:  # the native module imports this one: no import cycle at run time
    from ._native import SendResult


class ErrorReply:
    """An SMTP reply attached to an error: the facts, not the prose."""

    __slots__ = ("code", "enhanced", "text", "recipient")

    code: int
    enhanced: Optional[str]
    text: str
    recipient: Optional[str]

    def __init__(
        self, code: int, enhanced: Optional[str], text: str, recipient: Optional[str] = None
    ) -> None:
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "enhanced", enhanced)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "recipient", recipient)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ErrorReply is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ErrorReply):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> Tuple[int, Optional[str], str, Optional[str]]:
        return (self.code, self.enhanced, self.text, self.recipient)

    def __reduce__(self) -> Tuple[Any, ...]:
        return (ErrorReply, self._key())

    def __repr__(self) -> str:
        return (
            f"ErrorReply(code={self.code!r}, enhanced={self.enhanced!r}, "
            f"text={self.text!r}, recipient={self.recipient!r})"
        )


class Email365Error(Exception):
    """Base class of every email365 error.

    Attributes: ``kind`` (stable snake_case kind), ``reason`` (finer diagnosis code or
    ``None``), ``message`` (human text), ``position`` (UTF-8 byte offset of a parse
    error or ``None``), ``transient`` (whether retrying later may succeed) and
    ``replies`` (the SMTP replies involved, possibly empty). An error made from an
    answer of the status API (:func:`email365.status_http_error`) also has ``status``
    (the HTTP status) and ``retry_after`` (the server's ``Retry-After`` in seconds);
    both are ``None`` otherwise.
    """

    kind: str
    reason: Optional[str]
    message: str
    position: Optional[int]
    transient: bool
    replies: Tuple[ErrorReply, ...]
    #: The HTTP status of the status-API answer the error was made from, else ``None``.
    status: Optional[int] = None
    #: The server's ``Retry-After`` delay in seconds (for ``next_delay``), else ``None``.
    retry_after: Optional[float] = None
    #: For an error of ``SmtpClient.send``/``send_many``: the Message-ID of the message
    #: (without angle brackets) when known, else ``None``. Resend with the same one.
    message_id: Optional[str] = None

    def __init__(
        self,
        message: str,
        *,
        kind: str = "internal",
        reason: Optional[str] = None,
        position: Optional[int] = None,
        transient: bool = False,
        replies: Sequence[ErrorReply] = (),
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.reason = reason
        self.message = message
        self.position = position
        self.transient = transient
        self.replies = tuple(replies)

    @property
    def reply(self) -> Optional[ErrorReply]:
        """The first (or only) SMTP reply attached to the error, or ``None``."""
        return self.replies[0] if self.replies else None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, kind={self.kind!r}, "
            f"reason={self.reason!r}, position={self.position!r})"
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.message, self.kind, self.reason, self.position,
             self.transient, self.replies),
            {"status": self.status, "retry_after": self.retry_after, "message_id": self.message_id},
        )


def _rebuild(
    cls: Type[Email365Error],
    message: str,
    kind: str,
    reason: Optional[str],
    position: Optional[int],
    transient: bool,
    replies: Tuple[ErrorReply, ...],
) -> Email365Error:
    return cls(
        message, kind=kind, reason=reason, position=position, transient=transient, replies=replies
    )


class InvalidAddress(Email365Error, ValueError):
    """An address failed to parse or validate; ``reason`` is the diagnosis code and
    ``position`` the byte offset of the fault (kind ``invalid_address``)."""


class InvalidMessage(Email365Error, ValueError):
    """A message could not be built (kind ``invalid_message``)."""


class InvalidReply(Email365Error, ValueError):
    """An SMTP reply could not be parsed (kind ``invalid_reply``)."""


class InvalidStatusResponse(Email365Error, ValueError):
    """A status-API response could not be parsed (kind ``invalid_status_response``)."""


class InvalidArgument(Email365Error, ValueError):
    """An argument is out of its allowed form (kind ``invalid_argument``)."""


class SenderNotRegistered(Email365Error, ValueError):
    """The sender is outside the account's registered domains and addresses (kind
    ``sender_not_registered``)."""


class ConnectionFailedError(Email365Error, ConnectionError):
    """The connection could not be made or was lost (kind ``connection``)."""


class TimeoutExpiredError(Email365Error, TimeoutError):
    """A step did not finish within its time limit (kind ``timeout``)."""


class SmtpError(Email365Error):
    """The SMTP server refused or broke the exchange.

    ``code``, ``enhanced_code`` and ``reply`` describe the (first) server reply, when
    there is one; ``transient`` tells whether retrying later may succeed.
    """

    @property
    def code(self) -> Optional[int]:
        """The basic code of the reply, or ``None``."""
        reply = self.reply
        return reply.code if reply is not None else None

    @property
    def enhanced_code(self) -> Optional[str]:
        """The enhanced code of the reply (``x.y.z``), or ``None``."""
        reply = self.reply
        return reply.enhanced if reply is not None else None


class TransientError(SmtpError):
    """The server refused with a transient (4xx) reply: retry later (kind ``smtp_transient``)."""


class PermanentError(SmtpError):
    """The server refused with a permanent (5xx) reply: do not retry (kind ``smtp_permanent``)."""


class RecipientsRejectedError(SmtpError):
    """Every recipient was refused; ``replies`` holds one reply per recipient (kind
    ``recipients_rejected``)."""


class AuthenticationError(SmtpError):
    """Authentication was refused or impossible (kind ``auth``)."""


class TlsError(SmtpError):
    """TLS could not be established, or was not offered when required (kind ``tls``)."""


class ProtocolError(SmtpError):
    """The peer broke the protocol (kind ``protocol``)."""


class MessageTooLargeError(SmtpError):
    """The message is larger than the server accepts (kind ``message_too_large``)."""


class Smtputf8NotSupportedError(SmtpError):
    """The message needs SMTPUTF8 and the server does not offer it (kind
    ``smtputf8_not_supported``)."""


class OutcomeUnknownError(SmtpError):
    """The message data was sent but its final reply never came: it may or may not have
    been accepted. Resend with the same Message-ID (``message_id`` names it): send the
    same ``BuiltMessage`` or bytes again (kind ``outcome_unknown``)."""


class SendManyError(Email365Error):
    """Raised by ``SmtpClient.send_many(..., return_exceptions=False)`` once every
    message was submitted, when at least one failed. ``results`` holds one item per
    message, in input order: its :class:`SendResult`, or its exception. ``kind``,
    ``reason``, ``message``, ``transient``, ``replies`` and ``message_id`` are those of
    the first failure (in input order), which is also ``__cause__``. Pickling keeps
    those, not ``results``."""

    results: List[Union["SendResult", Email365Error]]

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.results = []


class StatusApiError(Email365Error):
    """The status API answered with an HTTP error (kind ``status_http``)."""


class NotFoundError(StatusApiError, LookupError):
    """The status API does not know the notification (kind ``not_found``)."""


class InternalError(Email365Error):
    """A bug in the SDK itself (kind ``internal``)."""


#: The exception class of each error kind.
CLASS_BY_KIND: Dict[str, Type[Email365Error]] = {
    "invalid_address": InvalidAddress,
    "invalid_message": InvalidMessage,
    "invalid_reply": InvalidReply,
    "invalid_status_response": InvalidStatusResponse,
    "invalid_argument": InvalidArgument,
    "sender_not_registered": SenderNotRegistered,
    "connection": ConnectionFailedError,
    "timeout": TimeoutExpiredError,
    "tls": TlsError,
    "auth": AuthenticationError,
    "protocol": ProtocolError,
    "message_too_large": MessageTooLargeError,
    "smtputf8_not_supported": Smtputf8NotSupportedError,
    "recipients_rejected": RecipientsRejectedError,
    "smtp_transient": TransientError,
    "smtp_permanent": PermanentError,
    "outcome_unknown": OutcomeUnknownError,
    "status_http": StatusApiError,
    "not_found": NotFoundError,
    "internal": InternalError,
}


for _cls in (ErrorReply, Email365Error, SendManyError, *CLASS_BY_KIND.values()):
    # Shown as email365.TlsError (etc.) in tracebacks: the public name.
    _cls.__module__ = "email365"
del _cls


def _from_native(
    kind: str,
    reason: Optional[str],
    message: str,
    position: Optional[int],
    transient: bool,
    replies: Sequence[Tuple[int, Optional[str], str, Optional[str]]],
) -> Email365Error:
    """Builds the exception of a core error (called by the native module)."""
    cls = CLASS_BY_KIND.get(kind, Email365Error)
    return cls(
        message,
        kind=kind,
        reason=reason,
        position=position,
        transient=transient,
        replies=[ErrorReply(*r) for r in replies],
    )
