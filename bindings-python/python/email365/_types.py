"""Type aliases of the string values the API takes and returns."""

from typing import Literal

#: The grammar an address is read with.
Mode = Literal["envelope", "header"]
#: The severity of an SMTP reply, from its basic code.
Severity = Literal["success", "intermediate", "transient", "permanent"]
#: The category of an SMTP reply, from the subject of its enhanced code.
Category = Literal[
    "addressing", "mailbox", "mail_system", "network", "protocol", "content", "security", "other"
]
#: The SMTP command a reply answers.
Command = Literal[
    "GREETING", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "DATA_END",
    "BDAT", "RSET", "NOOP", "QUIT", "OTHER",
]

__all__ = ["Category", "Command", "Mode", "Severity"]
