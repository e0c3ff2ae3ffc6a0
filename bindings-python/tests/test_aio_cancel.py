"""Cancelling an ``email365.aio`` send (``asyncio.wait_for``, ``Task.cancel``) drops
its Rust future: the connection it was using is closed without a word (no QUIT, no
RSET, nothing more of the transaction), and the next send runs on a fresh connection.
Cancelled before the greeting, between RCPT and its reply, and after the data while
the final reply is awaited, against a scripted server that stalls at that step."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import List, Optional

import pytest

import email365
import email365.aio
from email365 import Message
from smtpd_helpers import LoopbackListener


def message() -> Message:
    return Message(from_addr="shop@example.com", to=["alice@example.org"], subject="s", text="t\n")


class Stalling(LoopbackListener):
    """Serves plaintext SMTP (no extensions, so one command at a time); on the first
    connection it stops answering at ``stall`` (``"greeting"``, ``"rcpt"`` or
    ``"final"``) and reads what the client does next: ``after_stall`` holds those bytes
    (``b""`` when the client closed without a word), ``stalled`` is set then."""

    def __init__(self, stall: str) -> None:
        super().__init__()
        self.stall = stall
        self.connections = 0
        self.commands: List[List[str]] = []
        self.after_stall: Optional[bytes] = None
        self.stalled = threading.Event()
        self.lock = threading.Lock()
        self.start()

    def wait_for_eof(self, conn: socket.socket) -> None:
        data = b""
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        self.after_stall = data
        self.stalled.set()

    def handle(self, conn: socket.socket) -> None:
        with self.lock:
            index = self.connections
            self.connections += 1
            commands: List[str] = []
            self.commands.append(commands)
        stall = self.stall if index == 0 else None
        with conn:
            conn.settimeout(20)
            try:
                self.serve(conn, stall, commands)
            except OSError:
                pass

    def serve(self, conn: socket.socket, stall: Optional[str], commands: List[str]) -> None:
        if stall == "greeting":
            return self.wait_for_eof(conn)
        conn.sendall(b"220 mx.test ESMTP\r\n")
        reader = conn.makefile("rb")
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line[:4].decode("ascii", "replace").upper()
            commands.append(verb)
            if verb == "RCPT" and stall == "rcpt":
                return self.wait_for_eof(conn)
            if verb == "DATA":
                conn.sendall(b"354 go ahead\r\n")
                while reader.readline() not in (b".\r\n", b""):
                    pass
                if stall == "final":
                    return self.wait_for_eof(conn)
                conn.sendall(b"250 2.0.0 Ok: queued as QUEUED1\r\n")
            elif verb == "QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")


@pytest.mark.asyncio
@pytest.mark.parametrize("stall", ["greeting", "rcpt", "final"])
async def test_cancelled_send_drops_its_connection_and_the_next_send_opens_a_fresh_one(stall: str) -> None:
    server = Stalling(stall)
    try:
        async with email365.aio.SmtpClient(
            "127.0.0.1", server.port, tls="insecure_plaintext", timeout=15.0
        ) as client:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.send(message()), 0.3)
            # The client closes the stalled connection long before its own 15 s limit.
            assert await asyncio.to_thread(server.stalled.wait, 10)
            assert server.after_stall == b""
            result = await client.send(message())
        assert result.notification_id == "QUEUED1"
        assert server.connections == 2
        assert server.commands[1][:4] == ["EHLO", "MAIL", "RCPT", "DATA"]
        expected_first = {"greeting": [], "rcpt": ["EHLO", "MAIL", "RCPT"], "final": ["EHLO", "MAIL", "RCPT", "DATA"]}
        assert server.commands[0] == expected_first[stall]
    finally:
        server.close(wait=10)


@pytest.mark.asyncio
async def test_task_cancel_mid_transaction_frees_the_pool_slot() -> None:
    server = Stalling("rcpt")
    try:
        async with email365.aio.SmtpClient(
            "127.0.0.1", server.port, tls="insecure_plaintext", timeout=15.0, max_connections=1
        ) as client:
            task = asyncio.create_task(client.send(message()))
            while not server.commands or "RCPT" not in server.commands[0]:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await asyncio.to_thread(server.stalled.wait, 10)
            # The only slot of the pool is free again: both sends complete.
            results = await asyncio.gather(client.send(message()), client.send(message()))
        assert [r.notification_id for r in results] == ["QUEUED1", "QUEUED1"]
        assert server.connections == 2
    finally:
        server.close(wait=10)
