"""``python -m email365 send|status …`` and the ``email365`` console script.

The commands are the core's (``docs/CLI.md``): the same flags, JSON lines and exit codes
as every other binding's ``send`` and ``status``.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from ._native import cli_main


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command in ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    sys.stdout.flush()
    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
