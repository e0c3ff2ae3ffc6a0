"""email365.aio: awaitable sends that never block the event loop."""

from __future__ import annotations

import asyncio
import time

import pytest

import email365
import email365.aio
from email365 import Message
from smtpd_helpers import PASSWORD, QUEUE_ID, USERNAME, Server


def message(i: int) -> Message:
    return Message(
        from_addr="shop@example.com",
        to=[f"user{i}@example.org"],
        subject=f"Async {i}",
        text="hello\n",
    )


@pytest.mark.asyncio
async def test_one_hundred_concurrent_sends(smtpd: Server) -> None:
    beats = 0
    done = asyncio.Event()

    async def heartbeat() -> None:
        nonlocal beats
        while not done.is_set():
            beats += 1
            await asyncio.sleep(0.01)

    started = time.monotonic()
    hb = asyncio.create_task(heartbeat())
    async with email365.aio.SmtpClient(
        "127.0.0.1",
        smtpd.port,
        username=USERNAME,
        password=PASSWORD,
        ca_file=smtpd.cert,
        timeout=30.0,
        max_connections=4,
    ) as client:
        results = await asyncio.gather(*(client.send(message(i)) for i in range(100)))
    done.set()
    await hb
    elapsed = time.monotonic() - started
    assert [r.notification_id for r in results] == [QUEUE_ID] * 100
    assert sorted(r.accepted[0] for r in results) == sorted(f"user{i}@example.org" for i in range(100))
    assert len(smtpd.handler.messages) == 100
    # The loop kept running: about one beat per 10 ms of sending.
    assert beats >= elapsed / 0.01 * 0.3, f"{beats} beats in {elapsed:.2f} s"


@pytest.mark.asyncio
async def test_errors_arrive_as_exceptions(smtpd: Server) -> None:
    client = email365.aio.SmtpClient(
        "127.0.0.1", smtpd.port, username=USERNAME, password="nope", ca_file=smtpd.cert, timeout=10.0
    )
    with pytest.raises(email365.AuthenticationError):
        await client.send(message(0))
    await client.close()
    assert client.closed


@pytest.mark.asyncio
async def test_send_many_keeps_order(smtpd: Server) -> None:
    async with email365.aio.SmtpClient(
        "127.0.0.1", smtpd.port, username=USERNAME, password=PASSWORD, ca_file=smtpd.cert
    ) as client:
        results = await client.send_many([message(i) for i in range(5)])
    assert [r.accepted for r in results if isinstance(r, email365.SendResult)] == [
        (f"user{i}@example.org",) for i in range(5)
    ]


@pytest.mark.asyncio
async def test_explicit_envelopes_and_send_many_error(smtpd: Server) -> None:
    async with email365.aio.SmtpClient(
        "127.0.0.1", smtpd.port, username=USERNAME, password=PASSWORD, ca_file=smtpd.cert, window=2
    ) as client:
        one = await client.send(message(0), to_addrs=["user0@example.org", "reject@example.org"])
        assert one.accepted == ("user0@example.org",) and list(one.rejected) == ["reject@example.org"]
        with pytest.raises(email365.SendManyError) as info:
            await client.send_many([(message(1), "bounces@example.com", "reject@example.org"), message(2)])
    failed, sent = info.value.results
    assert isinstance(failed, email365.RecipientsRejectedError)
    assert isinstance(sent, email365.SendResult) and sent.notification_id == QUEUE_ID
    assert smtpd.handler.rcpt_attempts == [
        "user0@example.org",
        "reject@example.org",
        "reject@example.org",
        "user2@example.org",
    ]
