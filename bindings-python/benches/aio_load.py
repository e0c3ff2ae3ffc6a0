"""Many concurrent sends from one asyncio event loop, each a task of its own, over a
pool of connections; prints one JSON line of figures.

    .venv/bin/python bindings-python/benches/aio_load.py HOST PORT USER PASSWORD CA_FILE
        [--client email365|aiosmtplib] [--count 1000] [--pool 16]

``email365`` sends through ``email365.aio.SmtpClient(max_connections=POOL)``;
``aiosmtplib`` through POOL ``aiosmtplib.SMTP`` connections (STARTTLS, AUTH) taken
from a queue by each send. A heartbeat task sleeps 1 ms at a time while the sends run:
it counts its beats and records the longest stall of the loop (how much later than
asked it woke). The process's threads (``/proc/self/task``, every OS thread, not only
Python's) are sampled at each beat and as each send finishes. Run in a process of its
own, so that the thread count is this client's.
The figures: ``sent``, ``seconds``, ``threads_max`` (the most threads seen, the main
thread included), ``beyond_main`` (``threads_max - 1``), ``beats``, ``max_stall_ms``.
"""

from __future__ import annotations

import argparse
import asyncio
import email.message
import json
import os
import ssl
import time
from typing import Any, Dict, List

DATE = "Sat, 28 Nov 2026 12:00:00 +0000"


def threads() -> int:
    """The process's OS threads (Linux); Python's own count where /proc is missing."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


class Heartbeat:
    """A task that sleeps 1 ms at a time until stopped, measuring the loop's stalls and
    sampling the thread count."""

    def __init__(self) -> None:
        self.beats = 0
        self.max_stall = 0.0
        self.max_threads = threads()
        self._stop = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            asked = loop.time()
            await asyncio.sleep(0.001)
            self.max_stall = max(self.max_stall, loop.time() - asked - 0.001)
            self.beats += 1
            self.sample()

    def sample(self) -> None:
        """Records the process's thread count now (each beat, and each finished send)."""
        self.max_threads = max(self.max_threads, threads())

    def stop(self) -> None:
        self._stop.set()


def messages(count: int) -> List[bytes]:
    """``count`` small messages as CRLF bytes (the same input for both clients)."""
    out = []
    for i in range(count):
        m = email.message.EmailMessage()
        m["From"] = "shop@example.com"
        m["To"] = f"user{i}@example.org"
        m["Subject"] = f"Order {i}"
        m["Date"] = DATE
        m["Message-ID"] = f"<load{i}@example.com>"
        m.set_content("Your order has shipped.\n")
        out.append(m.as_bytes(policy=m.policy.clone(linesep="\r\n")))
    return out


async def with_email365(o: argparse.Namespace, items: List[bytes], heartbeat: Heartbeat) -> int:
    import email365.aio

    async with email365.aio.SmtpClient(o.host, o.port, username=o.user, password=o.password, ca_file=o.ca,
                                       timeout=30.0, max_connections=o.pool) as client:

        async def send(m: bytes) -> bool:
            result = await client.send(m)
            heartbeat.sample()
            return result.notification_id is not None

        results = await asyncio.gather(*(send(m) for m in items))
    return sum(results)


async def with_aiosmtplib(o: argparse.Namespace, items: List[bytes], heartbeat: Heartbeat) -> int:
    import aiosmtplib

    context = ssl.create_default_context(cafile=o.ca)
    pool: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
    connections = [
        aiosmtplib.SMTP(hostname=o.host, port=o.port, start_tls=True, tls_context=context, timeout=30)
        for _ in range(o.pool)
    ]

    async def open_one(s: aiosmtplib.SMTP) -> None:
        await s.connect()
        await s.login(o.user, o.password)
        pool.put_nowait(s)

    await asyncio.gather(*(open_one(s) for s in connections))

    async def send(i: int, m: bytes) -> bool:
        s = await pool.get()
        try:
            errors, _ = await s.sendmail("shop@example.com", [f"user{i}@example.org"], m)
            return not errors
        finally:
            pool.put_nowait(s)
            heartbeat.sample()

    results = await asyncio.gather(*(send(i, m) for i, m in enumerate(items)))
    await asyncio.gather(*(s.quit() for s in connections))
    return sum(results)


async def main(o: argparse.Namespace) -> Dict[str, Any]:
    items = messages(o.count)
    heartbeat = Heartbeat()
    beating = asyncio.create_task(heartbeat.run())
    started = time.perf_counter()
    send = with_email365 if o.client == "email365" else with_aiosmtplib
    sent = await send(o, items, heartbeat)
    seconds = time.perf_counter() - started
    heartbeat.stop()
    await beating
    return {
        "client": o.client, "count": o.count, "pool": o.pool, "sent": sent, "seconds": round(seconds, 4),
        "threads_max": heartbeat.max_threads, "beyond_main": heartbeat.max_threads - 1,
        "beats": heartbeat.beats, "max_stall_ms": round(heartbeat.max_stall * 1e3, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("host", "port", "user", "password", "ca"):
        parser.add_argument(name, type=int if name == "port" else str)
    parser.add_argument("--client", choices=["email365", "aiosmtplib"], default="email365")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--pool", type=int, default=16)
    print(json.dumps(asyncio.run(main(parser.parse_args()))), flush=True)
