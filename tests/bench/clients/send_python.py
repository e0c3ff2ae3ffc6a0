"""A sending-benchmark client driven by `send-bench` (tests/bench/src/bin/send_bench.rs).

    send_python.py CLIENT HOST PORT MESSAGE_FILE RCPTS MAX_MESSAGES MAX_SECONDS

CLIENT is `email365` (the Python package, plaintext test mode, `SmtpClient.send` with the
explicit envelope), `email365-many` (`SmtpClient.send_many` with batches of 100, the default
window or EMAIL365_BENCH_WINDOW if set), `smtplib` or `aiosmtplib`. One connection: it
sends one warm-up message, prints `ready`, waits for a line on stdin, sends the message
until MAX_MESSAGES or MAX_SECONDS (`email365-many`: whole batches, at least one), prints
`done <count> <seconds>`, waits for a line, then quits. Every message is the same bytes with the envelope
bench@sender.example -> rcpt1..N@example.org, given explicitly by every client.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Callable, List

SENDER = "bench@sender.example"


def handshake(loop: Callable[[], int]) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    count = loop()
    elapsed = time.perf_counter() - start
    print(f"done {count} {elapsed:.6f}", flush=True)
    sys.stdin.readline()


def bounded(send: Callable[[], None], max_messages: int, max_seconds: float) -> Callable[[], int]:
    def loop() -> int:
        start = time.perf_counter()
        n = 0
        while n < max_messages and time.perf_counter() - start < max_seconds:
            send()
            n += 1
        return n

    return loop


BATCH = 100


def run_email365(host: str, port: int, data: bytes, rcpts: List[str], n: int, t: float) -> None:
    import email365

    client = email365.SmtpClient(host, port, tls="insecure_plaintext", timeout=60)

    def send() -> None:
        client.send(data, from_addr=SENDER, to_addrs=rcpts)

    send()
    handshake(bounded(send, n, t))
    client.close()


def run_email365_many(host: str, port: int, data: bytes, rcpts: List[str], n: int, t: float) -> None:
    import email365

    window = os.environ.get("EMAIL365_BENCH_WINDOW")
    client = email365.SmtpClient(
        host, port, tls="insecure_plaintext", timeout=60, window=int(window) if window else None
    )
    client.send(data, from_addr=SENDER, to_addrs=rcpts)
    batch = [(data, SENDER, rcpts)] * BATCH

    def loop() -> int:
        # As the Rust `email365-rust-many` client: whole batches until the bounds; a
        # failed message raises SendManyError.
        start = time.perf_counter()
        count = 0
        while count < n and (count == 0 or time.perf_counter() - start < t):
            count += len(client.send_many(batch))
        return count

    handshake(loop)
    client.close()


def run_smtplib(host: str, port: int, data: bytes, rcpts: List[str], n: int, t: float) -> None:
    import smtplib

    s = smtplib.SMTP(host, port, timeout=60)
    s.ehlo("bench.example")

    def send() -> None:
        refused = s.sendmail(SENDER, rcpts, data)
        if refused:
            raise RuntimeError(f"refused: {refused}")

    send()
    handshake(bounded(send, n, t))
    s.quit()


def run_aiosmtplib(host: str, port: int, data: bytes, rcpts: List[str], n: int, t: float) -> None:
    import aiosmtplib

    async def main() -> None:
        s = aiosmtplib.SMTP(hostname=host, port=port, start_tls=False, use_tls=False, timeout=60,
                            local_hostname="bench.example")
        await s.connect()  # greeting and EHLO

        async def send() -> None:
            errors, _ = await s.sendmail(SENDER, rcpts, data)
            if errors:
                raise RuntimeError(f"refused: {errors}")

        await send()
        loop = asyncio.get_running_loop()
        print("ready", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        start = time.perf_counter()
        count = 0
        while count < n and time.perf_counter() - start < t:
            await send()
            count += 1
        elapsed = time.perf_counter() - start
        print(f"done {count} {elapsed:.6f}", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        await s.quit()

    asyncio.run(main())


RUNNERS: dict[str, Callable[[str, int, bytes, List[str], int, float], None]] = {
    "email365": run_email365,
    "email365-many": run_email365_many,
    "smtplib": run_smtplib,
    "aiosmtplib": run_aiosmtplib,
}


def main(argv: List[str]) -> int:
    if len(argv) != 8 or argv[1] not in RUNNERS:
        print(__doc__, file=sys.stderr)
        return 2
    client, host, port, path, rcpts, n, t = argv[1:]
    with open(path, "rb") as f:
        data = f.read()
    recipients = [f"rcpt{i}@example.org" for i in range(1, int(rcpts) + 1)]
    RUNNERS[client](host, int(port), data, recipients, int(n), float(t))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
