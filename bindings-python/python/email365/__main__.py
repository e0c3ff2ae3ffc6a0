"""``python -m email365 send|status|sandbox …`` and the ``email365`` console script.

The commands are the core's (``docs/CLI.md``): the same flags, JSON lines and exit codes
as every other binding's. They run as a native program would: while one runs, SIGINT
has its default action (a long-running command such as ``sandbox`` handles SIGINT and
SIGTERM itself and stops cleanly), and Python's handler is put back afterwards.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Optional, Sequence

from ._native import cli_main


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command in ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    sys.stdout.flush()
    if threading.current_thread() is not threading.main_thread():
        return cli_main(args)
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return cli_main(args)
    finally:
        signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
