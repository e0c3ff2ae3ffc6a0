"""Validate addresses given on the command line (or a few samples) and print the result.

    .venv/bin/python bindings-python/examples/validate.py "José <jose@bücher.example>"
"""

from __future__ import annotations

import sys

import email365


def describe(text: str) -> str:
    """One line about ``text``: its parts, or why it is refused."""
    try:
        mode: email365.Mode = "header" if "<" in text else "envelope"
        a = email365.validate_address(text, mode=mode)
    except email365.InvalidAddress as e:
        where = f" at byte {e.position}" if e.position is not None else ""
        return f"{text!r}: invalid ({e.reason}{where}): {e.message}"
    name = f"{a.display_name!r} " if a.display_name else ""
    utf8 = " (needs SMTPUTF8)" if a.smtputf8 else ""
    return f"{text!r}: {name}{a.envelope}{utf8}"


def main(argv: list[str]) -> int:
    samples = argv or ["john.doe@example.com", "José <jose@bücher.example>", "no-at-sign", "a..b@example.com"]
    for text in samples:
        print(describe(text))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
