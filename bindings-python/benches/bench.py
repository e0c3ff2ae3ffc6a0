"""Side-by-side benchmarks of the Python package against the usual Python tools.

    .venv/bin/python bindings-python/benches/bench.py [--quick]

Each figure is the best of several rounds (time.perf_counter), so that other load on a
shared machine inflates it as little as possible. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable, List, Tuple

import email_validator

import email365

Row = Tuple[str, str, float, float]


def best(fn: Callable[[], object], rounds: int) -> float:
    """The fastest of ``rounds`` runs of ``fn``, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def addresses(n: int) -> List[str]:
    """``n`` valid addresses of the usual shapes (ASCII, dotted, plus-tagged, IDN)."""
    shapes = [
        "user{i}@example.com",
        "first.last{i}@mail.example.org",
        "info+tag{i}@sub.domain.example.co.uk",
        "jose{i}@bücher.example",
        "x{i}@xn--bcher-kva.example",
    ]
    return [shapes[i % len(shapes)].format(i=i) for i in range(n)]


def bench_validation(rounds: int) -> Row:
    items = addresses(10_000)

    def ours() -> None:
        for a in items:
            email365.validate_address(a)

    def theirs() -> None:
        for a in items:
            email_validator.validate_email(a, check_deliverability=False)

    return ("validate 10 000 addresses", "email_validator.validate_email(..., check_deliverability=False)",
            best(ours, rounds), best(theirs, rounds))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    opts = parser.parse_args()
    rounds = 3 if opts.quick else 7
    rows = [bench_validation(rounds)]
    print(f"email365 {email365.__version__}, best of {rounds} rounds\n")
    print("| task | peer | email365 | peer | speed-up |")
    print("|---|---|---|---|---|")
    for task, peer, ours, theirs in rows:
        print(f"| {task} | {peer} | {ours * 1e3:.1f} ms | {theirs * 1e3:.1f} ms | {theirs / ours:.0f}x |")


if __name__ == "__main__":
    main()
