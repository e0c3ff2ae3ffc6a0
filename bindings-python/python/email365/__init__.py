"""email365: the Sinch Email 365 SDK for Python.

Addresses, SMTP reply codes, MIME messages and the delivery-status API, all done by
one Rust core (the private native module ``email365._native``); this package only
re-exports it with Python types and exceptions.
"""

from __future__ import annotations

from ._errors import (
    AuthenticationError,
    ConnectionFailedError,
    Email365Error,
    ErrorReply,
    InternalError,
    InvalidAddress,
    InvalidArgument,
    InvalidMessage,
    InvalidReply,
    InvalidStatusResponse,
    MessageTooLargeError,
    NotFoundError,
    OutcomeUnknownError,
    PermanentError,
    ProtocolError,
    RecipientsRejectedError,
    SenderNotRegistered,
    SmtpError,
    Smtputf8NotSupportedError,
    StatusApiError,
    TimeoutExpiredError,
    TlsError,
    TransientError,
)
from ._types import Category, Command, Mode, Severity
from ._native import (
    Address,
    Attachment,
    BuiltMessage,
    Classification,
    Envelope,
    Message,
    Notification,
    Reply,
    SendResult,
    SenderPolicy,
    SmtpClient,
    StatusClient,
    StatusEvent,
    StatusRequest,
    __version__,
    classify_reply,
    envelope_from_message,
    error_kinds,
    extract_notification_id,
    is_final,
    next_delay,
    parse_status,
    status_http_error,
    status_request,
    validate_address,
)

__all__ = [
    "__version__",
    # string types
    "Category",
    "Command",
    "Mode",
    "Severity",
    # addresses
    "Address",
    "SenderPolicy",
    "validate_address",
    # replies
    "Classification",
    "Reply",
    "classify_reply",
    "extract_notification_id",
    # messages
    "Attachment",
    "Message",
    "BuiltMessage",
    "Envelope",
    "envelope_from_message",
    # sending
    "SendResult",
    "SmtpClient",
    # status
    "StatusClient",
    "Notification",
    "StatusEvent",
    "StatusRequest",
    "is_final",
    "next_delay",
    "parse_status",
    "status_http_error",
    "status_request",
    # errors
    "error_kinds",
    "ErrorReply",
    "Email365Error",
    "InvalidAddress",
    "InvalidMessage",
    "InvalidReply",
    "InvalidStatusResponse",
    "InvalidArgument",
    "SenderNotRegistered",
    "ConnectionFailedError",
    "TimeoutExpiredError",
    "SmtpError",
    "TransientError",
    "PermanentError",
    "RecipientsRejectedError",
    "AuthenticationError",
    "TlsError",
    "ProtocolError",
    "MessageTooLargeError",
    "Smtputf8NotSupportedError",
    "OutcomeUnknownError",
    "StatusApiError",
    "NotFoundError",
    "InternalError",
]
