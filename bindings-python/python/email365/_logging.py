"""The package's loggers, off by default.

``email365`` is the package's logger, with a ``NullHandler`` so that nothing is printed
unless the application configures logging. ``email365.smtp`` receives the SMTP transcript
at DEBUG: one record per protocol line, ``"sent EHLO …"`` / ``"received 250 …"``, written
by the core's transport with credentials already redacted (``AUTH PLAIN <redacted>``) and
message data summarised. A client decides whether to log when it is made: configure
logging first.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional

logger = logging.getLogger("email365")
logger.addHandler(logging.NullHandler())

smtp_logger = logging.getLogger("email365.smtp")


def transcript_hook() -> Optional[Callable[[str, str], None]]:
    """The transcript callable of a new ``SmtpClient`` made without ``transcript=``:
    ``email365.smtp``'s ``debug`` when that logger is enabled for DEBUG, else ``None`` (no
    hook, so the transport never takes the GIL to log)."""
    if not smtp_logger.isEnabledFor(logging.DEBUG):
        return None

    def log(direction: str, line: str) -> None:
        smtp_logger.debug("%s %s", direction, line, extra={"direction": direction})

    return log
