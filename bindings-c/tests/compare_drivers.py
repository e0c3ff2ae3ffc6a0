#!/usr/bin/env python3
"""Runs every shared vector through the Rust and the C conformance drivers and checks
that their answers are identical: every `ok` result, and every error's kind, reason and
position (the human message too, except for the few argument-reading messages that
each driver words itself). Prints `N passed, N failed`.

Usage: compare_drivers.py RUST_DRIVER C_DRIVER
"""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
from run_vectors import load_cases  # noqa: E402


def answers(driver, text):
    out = subprocess.run([driver], input=text, capture_output=True, text=True, encoding="utf-8", check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def main():
    rust, c = sys.argv[1], sys.argv[2]
    cases = load_cases(ROOT / "tests" / "vectors")
    text = "".join(json.dumps(request, ensure_ascii=False) + "\n" for _, request, *_ in cases)
    passed = failed = 0
    for (name, *_), a, b in zip(cases, answers(rust, text), answers(c, text), strict=True):
        if "error" in a and "error" in b and a["error"]["reason"] is None and a["error"]["kind"] == "invalid_argument":
            # Argument reading in the driver itself: the wording may differ.
            a = {"error": {k: v for k, v in a["error"].items() if k != "message"}}
            b = {"error": {k: v for k, v in b["error"].items() if k != "message"}}
        if a == b:
            passed += 1
        else:
            failed += 1
            print(f"DIFF {name}\n  rust {json.dumps(a, ensure_ascii=False)}\n  c    {json.dumps(b, ensure_ascii=False)}", file=sys.stderr)
    print(f"c-vs-rust: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
