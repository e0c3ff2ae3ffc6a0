"""email365.aio: awaitable sends that never block the event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import pathlib

import pytest

import email365
import email365.aio
from email365 import Message
from smtpd_helpers import PASSWORD, QUEUE_ID, USERNAME, LoopServer, Server


def message(i: int) -> Message:
    return Message(
        from_addr="shop@example.com",
        to=[f"user{i}@example.org"],
        subject=f"Async {i}",
        text="hello\n",
    )


@pytest.mark.asyncio
async def test_one_hundred_concurrent_sends_to_a_server_on_the_same_loop(tmp_path: pathlib.Path) -> None:
    """The server runs on this event loop, so every reply it gives needs the loop free:
    a client that blocked the loop while it waits would time out instead of sending."""
    async with LoopServer(tmp_path) as smtpd, email365.aio.SmtpClient(
        "127.0.0.1",
        smtpd.port,
        username=USERNAME,
        password=PASSWORD,
        ca_file=smtpd.cert,
        timeout=30.0,
        max_connections=4,
    ) as client:
        results = await asyncio.gather(*(client.send(message(i)) for i in range(100)))
    assert [r.notification_id for r in results] == [QUEUE_ID] * 100
    assert sorted(r.accepted[0] for r in results) == sorted(f"user{i}@example.org" for i in range(100))
    assert sorted(m.rcpt_tos[0] for m in smtpd.handler.messages) == sorted(f"user{i}@example.org" for i in range(100))
    assert 1 <= len(smtpd.handler.logins) <= 4, "at most four connections, each logged in once"


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


@pytest.mark.asyncio
async def test_a_pool_spreads_send_many_and_executor_is_deprecated(smtpd: Server) -> None:
    with pytest.warns(DeprecationWarning, match="executor is ignored"):
        client = email365.aio.SmtpClient(
            "127.0.0.1", smtpd.port, username=USERNAME, password=PASSWORD, ca_file=smtpd.cert,
            window=2, max_connections=3, executor=concurrent.futures.ThreadPoolExecutor(1),
        )
    async with client:
        results = await client.send_many([message(i) for i in range(6)])
    assert [r.accepted for r in results if isinstance(r, email365.SendResult)] == [
        (f"user{i}@example.org",) for i in range(6)
    ]
    assert len(smtpd.handler.logins) == 3  # three connections, two messages each


@pytest.mark.asyncio
async def test_closed_client_refuses_and_repr_hides_credentials(smtpd: Server) -> None:
    client = email365.aio.SmtpClient("127.0.0.1", smtpd.port, username=USERNAME, password=PASSWORD,
                                     ca_file=smtpd.cert)
    assert PASSWORD not in repr(client) and "closed=False" in repr(client)
    await client.close()
    await client.close()
    assert client.closed and "closed=True" in repr(client)
    with pytest.raises(email365.ConnectionFailedError):
        await client.send(message(0))
    with pytest.raises(email365.InvalidArgument):
        email365.aio.SmtpClient("127.0.0.1", max_connections=0)


@pytest.mark.asyncio
async def test_stdlib_messages_bytes_and_build_errors(smtpd: Server) -> None:
    import email.message

    m = email.message.EmailMessage()
    m["From"] = "shop@example.com"
    m["To"] = "user7@example.org"
    m["Subject"] = "stdlib"
    m["Message-ID"] = "<stdlib7@example.com>"
    m.set_content("hi\n")
    async with email365.aio.SmtpClient(
        "127.0.0.1", smtpd.port, username=USERNAME, password=PASSWORD, ca_file=smtpd.cert
    ) as client:
        one = await client.send(m)
        two = await client.send(m.as_bytes(policy=m.policy.clone(linesep="\r\n")), from_addr="", to_addrs="user8@example.org")
        with pytest.raises(TypeError):
            await client.send(42)  # type: ignore[arg-type]
    assert one.message_id == "stdlib7@example.com" and one.accepted == ("user7@example.org",)
    assert two.accepted == ("user8@example.org",)
    assert smtpd.handler.mail_froms[-1] == "<>"


EXIT_RIGHT_AFTER_SENDS = """
import asyncio, email365, email365.aio
built = email365.Message(from_addr="shop@example.com", to=["a@example.org"], subject="s", text="t").build()
async def main():
    client = email365.aio.SmtpClient("127.0.0.1", PORT, tls="insecure_plaintext", timeout=5.0)
    results = await asyncio.gather(*(client.send(built) for _ in range(500)), return_exceptions=True)
    assert all(isinstance(r, email365.ConnectionFailedError) for r in results), results[:3]
asyncio.run(main())
"""


def test_the_interpreter_exits_cleanly_right_after_the_last_result() -> None:
    """The last results are handed over by runtime threads while the interpreter starts
    to finalize; email365.aio waits for them at exit (without that, about one run in
    three died with SIGSEGV or SIGABRT). Connections refused: a closed port."""
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = EXIT_RIGHT_AFTER_SENDS.replace("PORT", str(port))
    codes = [subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60).returncode
             for _ in range(12)]
    assert codes == [0] * 12
