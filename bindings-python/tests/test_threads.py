"""Objects and functions used from several threads at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import email365


def work(i: int) -> tuple[str, str, bool]:
    a = email365.validate_address(f"user{i}@example.com")
    c = email365.classify_reply(f"451 4.3.0 busy {i}")
    return (a.local, c.severity, c.retry)


def test_eight_threads_get_the_same_results_as_one() -> None:
    expected = [work(i) for i in range(400)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(work, range(400)))
    assert got == expected


def test_a_shared_policy_is_usable_from_threads() -> None:
    policy = email365.SenderPolicy(domains=["example.com"])

    def check(i: int) -> bool:
        try:
            policy.check(f"u{i}@example.com" if i % 2 else f"u{i}@other.example")
            return True
        except email365.SenderNotRegistered:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(check, range(200)))
    assert got == [bool(i % 2) for i in range(200)]
