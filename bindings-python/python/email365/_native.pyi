"""Type stubs of the native module ``email365._native`` (written by hand, checked by
``mypy.stubtest``). Import the names from ``email365``, not from here."""

import datetime
import email.message
import os
from types import TracebackType
from typing import Awaitable, Callable, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple, Type, Union, final

from ._errors import Email365Error
from ._types import Category, Command, Mode, Severity

__version__: str

__all__ = [
    "__version__", "error_kinds", "error_kind_table", "Address", "validate_address", "SenderPolicy", "Reply",
    "Classification", "classify_reply", "cli_main", "extract_notification_id", "StatusRequest",
    "StatusEvent", "Notification", "RecipientState", "status_request", "parse_status", "is_final",
    "next_delay", "status_http_error", "Envelope", "BuiltMessage", "envelope_from_message", "Attachment", "Message", "SendResult",
    "SmtpClient", "AsyncSmtpClient", "aio_quiesce", "StatusClient", "AsyncStatusClient", "StatusPoller", "PollStep",
]

def error_kinds() -> List[Tuple[str, int]]:
    """Every error kind of the core, in number order, as ``(name, number)`` pairs."""

def error_kind_table() -> List[Tuple[str, int, str, str, str, str, List[str]]]:
    """The core's table of every kind, in number order: ``(name, number, family, class,
    parent, python_class, python_builtins)`` (docs/ERRORS.md)."""

@final
class Address:
    """A valid address (immutable, hashable). Made by :func:`validate_address`."""

    @property
    def local(self) -> str:
        """The local part, case kept."""
    @property
    def domain(self) -> str:
        """The domain in Unicode form (U-labels), or the literal with brackets."""
    @property
    def ascii_domain(self) -> str:
        """The domain in ASCII form (A-labels), or the literal with brackets."""
    @property
    def display_name(self) -> Optional[str]:
        """The display name; ``None`` when absent or empty."""
    @property
    def smtputf8(self) -> bool:
        """Whether sending to or from this address needs SMTPUTF8."""
    @property
    def envelope(self) -> str:
        """``local@ascii_domain``: the form used in MAIL FROM / RCPT TO."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def validate_address(
    text: str,
    *,
    mode: Mode = "envelope",
    allow_quoted_local: bool = False,
    allow_domain_literal: bool = False,
) -> Address:
    """Parses and validates an address.

    ``mode="envelope"`` reads an RFC 5321 mailbox (``local@domain``); ``mode="header"``
    an RFC 5322 mailbox with an optional display name (``Name <local@domain>``).
    Raises :class:`InvalidAddress` with ``reason`` (the diagnosis) and ``position``
    (UTF-8 byte offset), or :class:`InvalidArgument` for an unknown ``mode``.
    """

@final
class SenderPolicy:
    """The registered sender domains and addresses of an account (immutable)."""

    def __new__(cls, domains: Sequence[str] = ..., addresses: Sequence[str] = ...) -> SenderPolicy:
        """A policy from registered domains (Unicode or ASCII) and addresses; invalid
        entries raise :class:`InvalidArgument`."""
    @property
    def domains(self) -> List[str]:
        """The registered domains, as given."""
    @property
    def addresses(self) -> List[str]:
        """The registered addresses, as given."""
    def check(self, sender: Union[Address, str]) -> None:
        """Returns when ``sender`` is registered; raises :class:`SenderNotRegistered`
        otherwise. A string is validated first (envelope form)."""

@final
class Classification:
    """What a reply means for the client (immutable, hashable)."""

    @property
    def code(self) -> int:
        """The basic three-digit code."""
    @property
    def enhanced(self) -> Optional[str]:
        """The enhanced code ``class.subject.detail``, or ``None``."""
    @property
    def severity(self) -> Severity:
        """Severity, decided by the basic code."""
    @property
    def category(self) -> Optional[Category]:
        """Category of the enhanced subject; ``None`` without an enhanced code."""
    @property
    def retry(self) -> bool:
        """True only when retrying later may succeed."""
    @property
    def description(self) -> str:
        """A human description (registry text of the enhanced code, else of the basic code)."""
    @property
    def inconsistent(self) -> bool:
        """True when the basic and enhanced classes disagree."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Reply:
    """A parsed SMTP reply (immutable, hashable)."""

    @staticmethod
    def parse(text: str) -> Reply:
        """Parses a whole reply given as one string (a single trailing CRLF is fine);
        raises :class:`InvalidReply`."""
    @property
    def code(self) -> int:
        """The basic three-digit code."""
    @property
    def enhanced(self) -> Optional[str]:
        """The enhanced code of the first line, or ``None``."""
    @property
    def lines(self) -> Tuple[str, ...]:
        """The text of each line, verbatim."""
    @property
    def text(self) -> str:
        """The text of the reply, lines joined with ``\\n``."""
    def classify(self, command: Optional[Command] = None) -> Classification:
        """Classifies the reply, optionally in the context of the command it answers."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def classify_reply(
    text_or_code: Union[str, int],
    *,
    enhanced: Optional[str] = None,
    command: Optional[Command] = None,
) -> Classification:
    """Classifies a reply given as its text, or as a basic code with an optional
    enhanced code; ``command`` names the SMTP command the reply answers. Raises
    :class:`InvalidReply` for a malformed reply and ``TypeError`` for other types."""

def extract_notification_id(reply: str) -> Optional[str]:
    """The notification id in a final reply to the message data, or ``None``."""

@final
class StatusRequest:
    """A ready-to-send status request (immutable); its ``repr`` hides the credentials."""

    @property
    def method(self) -> str:
        """Always ``"GET"``."""
    @property
    def url(self) -> str:
        """The full URL."""
    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value (``Basic …``)."""
    @property
    def accept(self) -> str:
        """The ``Accept`` header value."""
    @property
    def headers(self) -> Dict[str, str]:
        """The headers to send: ``{"Authorization": …, "Accept": …}``."""

def status_request(
    account_id: str,
    notification_id: str,
    *,
    username: str,
    password: str,
    recipient: Optional[str] = None,
    region: Optional[str] = None,
    base_url: Optional[str] = None,
) -> StatusRequest:
    """Builds the status request of a notification; raises :class:`InvalidArgument`."""

@final
class StatusEvent:
    """One status event (immutable, hashable)."""

    @property
    def code(self) -> str:
        """The status code verbatim (``CAAS_RECEIVED``, ``CH_SENT``, or any other)."""
    @property
    def text(self) -> Optional[str]:
        """The status text."""
    @property
    def channel(self) -> Optional[str]:
        """The channel (``email``)."""
    @property
    def recipient(self) -> Optional[str]:
        """The recipient address, without the ``email:`` prefix."""
    @property
    def timestamp_ms(self) -> Optional[int]:
        """Milliseconds since the Unix epoch (UTC)."""
    @property
    def timestamp(self) -> Optional[datetime.datetime]:
        """When it happened, as a timezone-aware UTC ``datetime``."""
    @property
    def is_final(self) -> bool:
        """Whether this code ends the recipient's life cycle."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Notification:
    """A parsed status response (immutable, hashable)."""

    @property
    def found(self) -> bool:
        """False for ``{}``: expired (after 7 days) or unknown."""
    @property
    def notification_id(self) -> Optional[str]:
        """The notification id, when present."""
    @property
    def events(self) -> Tuple[StatusEvent, ...]:
        """Every event, in response order."""
    @property
    def recipients(self) -> Tuple[RecipientState, ...]:
        """Every recipient's latest state, in order of first appearance (the core's rule:
        the last event in response order; local part exact, domain case-insensitive)."""
    @property
    def all_final(self) -> bool:
        """Whether the notification was found, has events, and every recipient's latest
        state is final."""
    def latest_for(self, recipient: str) -> Optional[StatusEvent]:
        """The latest event of ``recipient`` (with or without ``email:``), or ``None``."""
    def is_final_for(self, recipient: str) -> bool:
        """Whether ``recipient`` (with or without ``email:``) has reached a final state;
        false when the response has no event for it."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class RecipientState:
    """The latest state of one recipient of a notification (immutable, hashable)."""

    @property
    def recipient(self) -> Optional[str]:
        """The recipient as first spelt in the response (without ``email:``); ``None``
        gathers the events that name no recipient."""
    @property
    def latest(self) -> StatusEvent:
        """The recipient's last event in response order."""
    @property
    def is_final(self) -> bool:
        """Whether ``latest`` is a final state."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def parse_status(body: str) -> Notification:
    """Parses a status-API response body; raises :class:`InvalidStatusResponse`."""

def is_final(code: str) -> bool:
    """Whether a recipient whose latest status code is ``code`` has reached a final state."""

def next_delay(attempt: int, retry_after: Optional[float] = None) -> float:
    """Seconds to wait before poll number ``attempt`` (0-based), honouring a server's
    Retry-After (seconds) when given."""

def status_http_error(
    status: int,
    retry_after: Optional[str] = None,
    *,
    now: Optional[datetime.datetime] = None,
    url: str = "",
    body: str = "",
    username: str = "",
    password: str = "",
) -> Optional[Email365Error]:
    """What an answer of the status API with HTTP status ``status`` means: ``None`` for
    2xx, else the exception to raise (:class:`NotFoundError`, :class:`AuthenticationError`
    or :class:`StatusApiError`; ``transient`` for 429 and 5xx) with ``status`` and
    ``retry_after`` (seconds, from the ``Retry-After`` header value read against ``now``,
    the current time by default) set. ``body`` may be quoted in the message unless it
    holds ``username``, ``password`` or their Basic token; ``url`` names the request."""

@final
class PollStep:
    """What to do next (immutable): ``action`` is ``"fetch"`` (make one request within
    ``time_limit`` seconds, ``None`` without a deadline, and report it), ``"sleep"``
    (wait ``delay`` seconds, then ask again), ``"done"`` (``notification`` is final) or
    ``"give_up"`` (raise ``error``)."""

    @property
    def action(self) -> Literal["fetch", "sleep", "done", "give_up"]: ...
    @property
    def time_limit(self) -> Optional[float]: ...
    @property
    def delay(self) -> Optional[float]: ...
    @property
    def notification(self) -> Optional[Notification]: ...
    @property
    def error(self) -> Optional[Email365Error]: ...

@final
class StatusPoller:
    """The core's status wait loop: ``next(now)`` says what to do, ``record_answer`` /
    ``record_failure`` report each request (docs/STATUS.md, "Waiting")."""

    def __new__(
        cls, notification_id: str, recipient: Optional[str] = None, *, deadline: Optional[float] = None
    ) -> StatusPoller:
        """A poller waiting for ``recipient``'s final state (every recipient's when
        ``None``), giving up ``deadline`` seconds after the first :meth:`next`."""
    def next(self, now: float) -> PollStep:
        """What to do at ``now`` (seconds on any clock that moves forward)."""
    def record_answer(
        self,
        status: int,
        retry_after: Optional[str] = None,
        *,
        body: str = "",
        now: Optional[datetime.datetime] = None,
        url: str = "",
        username: str = "",
        password: str = "",
    ) -> Optional[Notification]:
        """Reports the HTTP answer to the request; returns the notification of a 2xx
        answer that parsed, else ``None``."""
    def record_failure(
        self, failure: Literal["network", "timeout", "redirect", "body_too_large"], *, url: str = "", detail: str = ""
    ) -> None:
        """Reports a request that got no answer to judge."""
    @property
    def last_notification(self) -> Optional[Notification]:
        """The notification of the last successful request, if any."""

@final
class Envelope:
    """The SMTP envelope: MAIL FROM and RCPT TO, bare addresses in A-label form."""

    @property
    def mail_from(self) -> str:
        """The reverse path, without angle brackets; empty for ``<>``."""
    @property
    def rcpt_to(self) -> Tuple[str, ...]:
        """The forward paths, de-duplicated, in order of first appearance."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class BuiltMessage:
    """A built message, ready to submit (immutable)."""

    @property
    def data(self) -> bytes:
        """The RFC 5322 bytes: CRLF line ends, ending with CRLF, no Bcc header."""
    @property
    def envelope(self) -> Envelope:
        """The envelope."""
    @property
    def message_id(self) -> str:
        """The Message-ID, without angle brackets."""
    @property
    def size(self) -> int:
        """The length of ``data`` in bytes."""
    @property
    def smtputf8(self) -> bool:
        """Whether the envelope or headers need SMTPUTF8."""
    @property
    def eight_bit(self) -> bool:
        """Whether the bytes contain 8-bit data (BODY=8BITMIME)."""
    def __bytes__(self) -> bytes: ...
    def __len__(self) -> int: ...

def envelope_from_message(data: bytes) -> Tuple[Envelope, bytes]:
    """The envelope of an existing RFC 5322 message (From or Sender; To, Cc, Bcc) and its
    bytes with the Bcc header removed; raises :class:`InvalidMessage`."""

@final
class Attachment:
    """A file attached to a message, or an inline part when ``inline_id`` is set."""

    def __new__(
        cls,
        filename: str,
        content: bytes,
        *,
        content_type: Optional[str] = None,
        inline_id: Optional[str] = None,
    ) -> Attachment:
        """An attachment from bytes; the content type is guessed from ``filename``
        unless given."""
    @staticmethod
    def from_path(
        path: Union[str, os.PathLike[str]],
        *,
        filename: Optional[str] = None,
        content_type: Optional[str] = None,
        inline_id: Optional[str] = None,
    ) -> Attachment:
        """An attachment read from a file (``OSError`` if it cannot be read);
        ``filename`` defaults to the file's name."""
    @property
    def filename(self) -> str:
        """The file name shown to the reader."""
    @property
    def content(self) -> bytes:
        """The bytes."""
    @property
    def content_type(self) -> Optional[str]:
        """``type/subtype``, or ``None`` to have it guessed from the filename."""
    @property
    def inline_id(self) -> Optional[str]:
        """The Content-ID that makes this an inline part (for ``cid:`` in the HTML body)."""

_Addresses = Union[str, Sequence[str]]

@final
class Message:
    """A message to build, with every input of the core's message builder as a keyword
    argument. Nothing is checked until :meth:`build`."""

    def __new__(
        cls,
        *,
        from_addr: str,
        to: Optional[_Addresses] = None,
        cc: Optional[_Addresses] = None,
        bcc: Optional[_Addresses] = None,
        reply_to: Optional[_Addresses] = None,
        subject: Optional[str] = None,
        text: Optional[str] = None,
        html: Optional[str] = None,
        attachments: Sequence[Union[Attachment, str, os.PathLike[str]]] = ...,
        headers: Optional[Union[Mapping[str, str], Sequence[Tuple[str, str]]]] = None,
        message_id: Optional[str] = None,
        date: Optional[Union[str, datetime.datetime]] = None,
        sender: Optional[str] = None,
        envelope_from: Optional[str] = None,
        sender_policy: Optional[SenderPolicy] = None,
    ) -> Message:
        """Records the inputs. _Addresses are in header form (``Name <a@b>`` or ``a@b``);
        ``bcc`` goes to the envelope only; ``attachments`` holds :class:`Attachment`
        objects or paths; ``date`` is RFC 5322 text or a timezone-aware ``datetime``."""
    def build(self) -> BuiltMessage:
        """Checks every input and builds the message. Raises :class:`InvalidMessage`
        (``reason`` says why; for a bad address it is the address diagnosis) or
        :class:`SenderNotRegistered`."""

@final
class SendResult:
    """The result of submitting one message (immutable)."""

    @property
    def notification_id(self) -> Optional[str]:
        """The notification id from the server's final reply, or ``None``."""
    @property
    def message_id(self) -> Optional[str]:
        """The Message-ID the message was sent with (without angle brackets), or ``None``
        for bytes without one."""
    @property
    def final_reply(self) -> Reply:
        """The server's final reply to the message data."""
    @property
    def accepted(self) -> Tuple[str, ...]:
        """The recipients the server accepted, in RCPT order."""
    @property
    def accepted_replies(self) -> Dict[str, Reply]:
        """The recipients the server accepted, each with its reply to RCPT TO, in RCPT
        order (the same recipients as :attr:`accepted`)."""
    @property
    def rejected(self) -> Dict[str, Reply]:
        """The recipients the server refused, each with the reply that refused it."""

_TlsOption = Literal["starttls", "implicit", "insecure_plaintext"]
_AuthOption = Literal["plain", "login"]
_Sendable = Union[Message, BuiltMessage, email.message.Message, bytes]
_ToAddrs = Union[str, Sequence[str]]
#: A ``send_many`` item: a message, or ``(message, from_addr, to_addrs)``.
_Item = Union[_Sendable, Tuple[_Sendable, Optional[str], Optional[_ToAddrs]]]

@final
class SmtpClient:
    """An SMTP submission client (blocking; a context manager). The GIL is released
    during network I/O and one client may be shared between threads."""

    def __new__(
        cls,
        host: str,
        port: int = 25,
        *,
        username: Optional[str] = None,
        password: Optional[str] = None,
        tls: _TlsOption = "starttls",
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        timeout: Optional[float] = None,
        sender_policy: Optional[SenderPolicy] = None,
        server_name: Optional[str] = None,
        ehlo_name: Optional[str] = None,
        auth: _AuthOption = "plain",
        pipelining: bool = True,
        chunking: bool = True,
        window: Optional[int] = None,
        probe_idle_after: Optional[float] = None,
        max_connections: int = 1,
        transcript: Optional[Callable[[str, str], None]] = None,
    ) -> SmtpClient:
        """A client that connects on first use. ``tls="starttls"`` (the default) requires
        STARTTLS; ``"implicit"`` is TLS from the first byte (port 465);
        ``"insecure_plaintext"`` is for local tests only and never sends credentials.
        ``timeout`` (seconds) limits every step; ``max_connections > 1`` keeps a pool.
        ``chunking`` uses BDAT when offered; ``window`` is how many whole transactions
        :meth:`send_many` keeps in flight per connection (the core's default, 48, when
        ``None``); a connection idle longer than ``probe_idle_after`` seconds (1 by
        default) is checked with RSET before the next message. ``transcript`` is called
        with ``("sent" | "received", line)`` for each protocol line, credentials redacted;
        without it, the ``email365.smtp`` logger gets the lines at DEBUG when it is
        enabled for DEBUG as the client is made."""
    def send(
        self,
        message: _Sendable,
        *,
        from_addr: Optional[str] = None,
        to_addrs: Optional[_ToAddrs] = None,
    ) -> SendResult:
        """Sends one message; raises a subclass of :class:`Email365Error` (with
        ``message_id`` set when known). ``from_addr`` (``""`` for ``<>``) and ``to_addrs``
        replace the message's own envelope, as in smtplib's ``send_message``."""
    def send_many(
        self, messages: Iterable[_Item], *, return_exceptions: bool = False
    ) -> List[Union[SendResult, Email365Error]]:
        """Sends several messages (each a message or a ``(message, from_addr, to_addrs)``
        tuple), several whole transactions in flight at once, and returns one result per
        message in input order; every message is submitted, and with
        ``return_exceptions=True`` a failure is returned in place of its result,
        otherwise :class:`SendManyError` (with every result) is raised once all were
        submitted."""
    def close(self) -> None:
        """Ends the session (QUIT) and closes the connection(s). Idempotent."""
    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
    def __enter__(self) -> SmtpClient: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
        /,
    ) -> bool: ...

@final
class AsyncSmtpClient:
    """The asyncio SMTP client on the core's tokio transport (wrapped by
    :class:`email365.aio.SmtpClient`): the arguments of :class:`SmtpClient`; every
    method returns an awaitable, and ``max_connections`` connections are shared by the
    sends in flight."""

    def __new__(
        cls,
        host: str,
        port: int = 25,
        *,
        username: Optional[str] = None,
        password: Optional[str] = None,
        tls: _TlsOption = "starttls",
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        timeout: Optional[float] = None,
        sender_policy: Optional[SenderPolicy] = None,
        server_name: Optional[str] = None,
        ehlo_name: Optional[str] = None,
        auth: _AuthOption = "plain",
        pipelining: bool = True,
        chunking: bool = True,
        window: Optional[int] = None,
        probe_idle_after: Optional[float] = None,
        max_connections: int = 1,
        transcript: Optional[Callable[[str, str], None]] = None,
    ) -> AsyncSmtpClient: ...
    def send(
        self,
        message: _Sendable,
        *,
        from_addr: Optional[str] = None,
        to_addrs: Optional[_ToAddrs] = None,
    ) -> Awaitable[SendResult]:
        """An awaitable of one send (see :meth:`SmtpClient.send`)."""
    def send_many(
        self, messages: Iterable[_Item], *, return_exceptions: bool = False
    ) -> Awaitable[List[Union[SendResult, Email365Error]]]:
        """An awaitable of :meth:`SmtpClient.send_many`, spread over the pool."""
    def close(self) -> Awaitable[None]:
        """An awaitable that closes the idle connections (QUIT); later sends fail."""
    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""

@final
class StatusClient:
    """A client of the Email 365 status API for one account (blocking; the GIL is
    released during requests and waits). Its ``repr`` never shows the credentials."""

    def __new__(
        cls,
        account_id: str,
        *,
        username: str,
        password: str,
        region: Optional[str] = None,
        base_url: Optional[str] = None,
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        timeout: float = 30.0,
    ) -> StatusClient:
        """A client of ``https://{region}.email.sdi.sinch.com`` (``eu`` by default) or of
        ``base_url`` (``http://`` only for loopback); ``ca_file`` adds a CA (PEM) to the
        system roots; ``timeout`` limits connecting and each request. Bad account ids,
        regions, URLs or user names raise :class:`InvalidArgument` (checked by the core)."""
    def get(self, notification_id: str, recipient: Optional[str] = None) -> Notification:
        """The status of a notification (of one recipient when given); ``found`` is
        false once the data expired (7 days) or for an unknown id. Raises
        :class:`StatusApiError`, :class:`ConnectionFailedError`,
        :class:`TimeoutExpiredError` or :class:`InvalidStatusResponse`."""
    def wait_for(
        self, notification_id: str, recipient: Optional[str] = None, *, timeout: float = 60.0
    ) -> Notification:
        """Polls, following the core's polling plan and the server's Retry-After, until
        the state of ``recipient`` (of every recipient seen when ``None``) is final, and
        returns that notification. Raises :class:`TimeoutExpiredError` (reason
        ``deadline_exceeded``) when ``timeout`` seconds pass first."""
    @property
    def account_id(self) -> str:
        """The account id."""

@final
class AsyncStatusClient:
    """:class:`StatusClient` with awaitable methods, run by the core's tokio status client
    on the module's runtime (no thread per call); ``email365.aio.StatusClient`` wraps it."""

    def __new__(
        cls,
        account_id: str,
        *,
        username: str,
        password: str,
        region: Optional[str] = None,
        base_url: Optional[str] = None,
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        timeout: float = 30.0,
    ) -> AsyncStatusClient: ...
    def get(self, notification_id: str, recipient: Optional[str] = None) -> Awaitable[Notification]:
        """An awaitable of :meth:`StatusClient.get`."""
    def wait_for(
        self, notification_id: str, recipient: Optional[str] = None, *, timeout: float = 60.0
    ) -> Awaitable[Notification]:
        """An awaitable of :meth:`StatusClient.wait_for`."""
    @property
    def account_id(self) -> str:
        """The account id."""

def aio_quiesce() -> None:
    """Waits (at most 2 s, GIL released) until no runtime thread of
    :class:`AsyncSmtpClient` is handing a result to Python; ``email365.aio`` runs it at
    exit."""

def cli_main(args: List[str]) -> int:
    """Runs the core's ``send``, ``status`` or ``sandbox`` command (``args`` after the
    program name) and returns its exit code: 0 done, 1 failed, 2 bad arguments."""
