"""Side-by-side benchmarks of the Python package against the usual Python tools.

    .venv/bin/python bindings-python/benches/bench.py [--quick] [--concurrent-only]

The last rows send 1,000 messages at once from one event loop over a pool of 16
connections (email365.aio against aiosmtplib, benches/aio_load.py) and print each
client's threads and the loop's heartbeat under the table.

Each figure is the best of several rounds (time.perf_counter), so that other load on a
shared machine inflates it as little as possible. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import email.message
import email.utils
import json
import os
import pathlib
import random
import smtplib
import ssl
import subprocess
import sys
import time
from typing import Any, Callable, Dict, Iterator, List, Tuple

import aiosmtplib
import email_validator

import email365

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATE = "Sat, 28 Nov 2026 12:00:00 +0000"
TEXT = "Hello,\n\nyour order has shipped.\n" * 20
HTML = "<p>Hello,</p><p>your order has <b>shipped</b>.</p>\n" * 20

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


def pdf(size: int) -> bytes:
    """Pseudo-random bytes standing in for a PDF (the same on every run)."""
    return random.Random(size).randbytes(size)


def bench_building(rounds: int) -> List[Row]:
    """The three standard messages of the core's benchmark: text + HTML, and the same
    with a 100 KiB and a 1 MiB application/pdf attachment; 100 builds each."""
    rows: List[Row] = []
    for label, size in (("text + HTML", 0), ("+ 100 KiB attachment", 100 * 1024), ("+ 1 MiB attachment", 1024 * 1024)):
        blob = pdf(size) if size else b""
        attachments = [email365.Attachment("invoice.pdf", blob, content_type="application/pdf")] if size else []

        def ours() -> None:
            for i in range(100):
                email365.Message(
                    from_addr="Shop <shop@example.com>", to=["alice@example.org"], subject="Your order",
                    text=TEXT, html=HTML, attachments=attachments, message_id=f"<m{i}@example.com>", date=DATE,
                ).build().data

        def theirs() -> None:
            for i in range(100):
                m = email.message.EmailMessage()
                m["From"] = "Shop <shop@example.com>"
                m["To"] = "alice@example.org"
                m["Subject"] = "Your order"
                m["Message-ID"] = f"<m{i}@example.com>"
                m["Date"] = DATE
                m.set_content(TEXT)
                m.add_alternative(HTML, subtype="html")
                if size:
                    m.add_attachment(blob, maintype="application", subtype="pdf", filename="invoice.pdf")
                m.as_bytes()

        rows.append((f"build 100 messages: {label}", "email.message.EmailMessage + as_bytes()",
                     best(ours, rounds), best(theirs, rounds)))
    return rows


def sandbox() -> Iterator[Dict[str, Any]]:
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "email365-sandbox"], cwd=ROOT, check=True)
    proc = subprocess.Popen(
        [str(ROOT / "target/release/email365-sandbox"), "--step-ms", "0", "--max-recipients", "100",
         "--retention-secs", "600", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        yield json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def bench_sending(count: int) -> List[Row]:
    """``count`` small messages over one connection to the sandbox (STARTTLS, AUTH,
    PIPELINING offered), each client once (the server keeps every message in memory)."""
    rows: List[Row] = []
    for info in sandbox():
        host, port, user, pw, ca = (info["smtp_host"], info["smtp_port"], info["username"],
                                    info["password"], info["ca_file"])
        built = [
            email365.Message(from_addr="shop@example.com", to=["alice@example.org"], subject=f"n{i}",
                             text="hello\n", date=DATE).build()
            for i in range(count)
        ]
        stdlib: List[email.message.EmailMessage] = [
            email.message_from_bytes(b.data, _class=email.message.EmailMessage) for b in built
        ]

        def ours() -> None:
            with email365.SmtpClient(host, port, username=user, password=pw, ca_file=ca) as c:
                for b in built:
                    c.send(b)

        def with_smtplib() -> None:
            with smtplib.SMTP(host, port) as s:
                s.starttls(context=ssl.create_default_context(cafile=ca))
                s.login(user, pw)
                for m in stdlib:
                    s.send_message(m)

        async def aio() -> None:
            async with aiosmtplib.SMTP(hostname=host, port=port, start_tls=True,
                                       tls_context=ssl.create_default_context(cafile=ca)) as s:
                await s.login(user, pw)
                for m in stdlib:
                    await s.send_message(m)

        t_ours = best(ours, 1)
        t_smtplib = best(with_smtplib, 1)
        t_aio = best(lambda: asyncio.run(aio()), 1)
        rows.append((f"send {count} messages, one connection (sandbox)", "smtplib", t_ours, t_smtplib))
        rows.append((f"send {count} messages, one connection (sandbox)", "aiosmtplib", t_ours, t_aio))
    return rows


def bench_concurrent(count: int, pool: int) -> Tuple[List[Row], List[str]]:
    """``count`` sends at once from one event loop over ``pool`` connections to the
    sandbox, email365.aio against aiosmtplib, each client in a process of its own
    (benches/aio_load.py), so that its thread count is its own: the time row, and a line
    per client with its threads and the loop's heartbeat."""
    figures: Dict[str, Dict[str, Any]] = {}
    for info in sandbox():
        for client in ("email365", "aiosmtplib"):
            out = subprocess.run(
                [sys.executable, str(ROOT / "bindings-python/benches/aio_load.py"), info["smtp_host"],
                 str(info["smtp_port"]), info["username"], info["password"], info["ca_file"],
                 "--client", client, "--count", str(count), "--pool", str(pool)],
                capture_output=True, text=True, check=True, timeout=600,
            ).stdout
            figures[client] = json.loads(out)
    ours, theirs = figures["email365"], figures["aiosmtplib"]
    rows: List[Row] = [(f"send {count} concurrently, pool of {pool} (sandbox)", "aiosmtplib",
                        ours["seconds"], theirs["seconds"])]
    notes = [
        f"- {name}: {f['sent']} sent, at most {f['beyond_main']} threads beyond the main one, "
        f"{f['beats']} heartbeats, longest loop stall {f['max_stall_ms']} ms"
        for name, f in (("email365.aio", ours), ("aiosmtplib", theirs))
    ]
    return rows, notes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--concurrent-only", action="store_true", help="only the concurrent sends")
    opts = parser.parse_args()
    rounds = 3 if opts.quick else 7
    concurrent, notes = bench_concurrent(1000, 16)
    rows = concurrent
    if not opts.concurrent_only:
        rows = [bench_validation(rounds), *bench_building(rounds), *bench_sending(1000), *concurrent]
    print(f"email365 {email365.__version__}, best of {rounds} rounds\n")
    print("| task | peer | email365 | peer | speed-up |")
    print("|---|---|---|---|---|")
    for task, peer, ours, theirs in rows:
        print(f"| {task} | {peer} | {ours * 1e3:.1f} ms | {theirs * 1e3:.1f} ms | {theirs / ours:.1f}x |")
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
