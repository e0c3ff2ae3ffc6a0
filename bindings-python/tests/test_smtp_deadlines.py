"""Every SMTP step is bounded, whatever the server does: a scripted server on loopback
drips its greeting, a reply, the final reply one byte per 0.5 s or stalls the TLS
handshake, and ``SmtpClient`` fails within its ``timeout`` plus a second. Also:
plaintext only to loopback hosts, and an unclosed client garbage-collected while its
server never answers QUIT does not freeze the other Python threads."""

from __future__ import annotations

import gc
import pathlib
import socket
import threading
import time
from typing import Any, Callable, Iterator, List

import pytest

import email365
from email365 import Message, SmtpClient
from smtpd_helpers import LoopbackListener, Ticker
from testkit import make_certs

LIMIT = 1.0
DRIP = 0.5
Script = Callable[[socket.socket], None]


def message() -> Message:
    return Message(from_addr="shop@example.com", to=["alice@example.org"], subject="s", text="t\n")


def drip(conn: socket.socket, text: bytes) -> None:
    """Sends `text` one byte per DRIP seconds; stops once the client is gone."""
    for i in range(len(text)):
        try:
            conn.sendall(text[i : i + 1])
        except OSError:
            return
        time.sleep(DRIP)


def read_line(conn: socket.socket) -> bytes:
    line = b""
    while not line.endswith(b"\r\n"):
        b = conn.recv(1)
        if not b:
            break
        line += b
    return line


def accept_until_end_of_data(conn: socket.socket) -> None:
    """Greets, answers EHLO, MAIL, RCPT and DATA, and reads the data up to its end."""
    conn.sendall(b"220 mx.test ESMTP\r\n")
    read_line(conn)
    conn.sendall(b"250 mx.test\r\n")
    for reply in (b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"):
        read_line(conn)
        conn.sendall(reply)
    while read_line(conn) not in (b".\r\n", b""):
        pass


class Scripted(LoopbackListener):
    """A server on 127.0.0.1 running `script` on each accepted connection (own thread)."""

    def __init__(self, script: Script) -> None:
        super().__init__()
        self.script = script
        self.start()

    def handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(20)
            try:
                self.script(conn)
            except OSError:
                pass


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], Scripted]]:
    servers: List[Scripted] = []

    def start(script: Script) -> Scripted:
        s = Scripted(script)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close(wait=30)


def plaintext(server: Scripted) -> SmtpClient:
    return SmtpClient("127.0.0.1", server.port, tls="insecure_plaintext", timeout=LIMIT)


def fails_in_time(c: SmtpClient, error: Any, reason: str) -> None:
    started = time.monotonic()
    with c, pytest.raises(error) as info:
        c.send(message())
    took = time.monotonic() - started
    assert info.value.reason == reason, info.value
    assert took < LIMIT + 1.0, f"the step lasted {took:.2f} s"


def test_greeting_dripped_one_byte_per_half_second_times_out(scripted: Any) -> None:
    server = scripted(lambda conn: drip(conn, b"220 mx.test ESMTP a greeting that takes a while\r\n"))
    fails_in_time(plaintext(server), email365.TimeoutExpiredError, "greeting")


def test_ehlo_reply_dripped_one_byte_per_half_second_times_out(scripted: Any) -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 mx.test ESMTP\r\n")
        read_line(conn)
        drip(conn, b"250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")

    fails_in_time(plaintext(scripted(script)), email365.TimeoutExpiredError, "reply")


def test_final_reply_dripped_one_byte_per_half_second_is_outcome_unknown_in_time(scripted: Any) -> None:
    def script(conn: socket.socket) -> None:
        accept_until_end_of_data(conn)
        drip(conn, b"250 2.0.0 Ok: queued as 12345\r\n")

    fails_in_time(plaintext(scripted(script)), email365.OutcomeUnknownError, "timeout")


def test_tls_handshake_stalled_by_a_silent_server_times_out(scripted: Any, tmp_path: pathlib.Path) -> None:
    ca, _, _ = make_certs(tmp_path, "email365 test CA")

    def script(conn: socket.socket) -> None:
        conn.sendall(b"220 mx.test ESMTP\r\n")
        read_line(conn)
        conn.sendall(b"250-mx.test\r\n250 STARTTLS\r\n")
        read_line(conn)
        conn.sendall(b"220 2.0.0 go ahead\r\n")
        conn.recv(4096)  # the client's hello, never answered
        time.sleep(LIMIT * 2)

    server = scripted(script)
    c = SmtpClient("127.0.0.1", server.port, username="u", password="p", ca_file=ca, timeout=LIMIT)
    fails_in_time(c, email365.TimeoutExpiredError, "tls_handshake")


@pytest.mark.parametrize("host", ["192.0.2.1", "smtp.example.com", "::ffff:192.0.2.1"])
def test_insecure_plaintext_to_a_remote_host_is_refused(host: str) -> None:
    with pytest.raises(email365.InvalidArgument) as info:
        SmtpClient(host, 25, tls="insecure_plaintext")
    assert info.value.reason == "plaintext_not_loopback"


def test_unclosed_client_collected_while_quit_is_unanswered_does_not_freeze_other_threads(
    scripted: Any,
) -> None:
    quit_seen = threading.Event()

    def script(conn: socket.socket) -> None:
        accept_until_end_of_data(conn)
        conn.sendall(b"250 2.0.0 Ok: queued as 1\r\n")
        if read_line(conn).upper().startswith(b"QUIT"):
            quit_seen.set()
        time.sleep(5)  # never answers QUIT

    server = scripted(script)
    c = SmtpClient("127.0.0.1", server.port, tls="insecure_plaintext", timeout=2.0)
    c.send(message())
    # A reference cycle, so only the garbage collector frees the client.
    box: List[Any] = [c]
    box.append(box)
    del c, box

    with Ticker() as ticker:
        time.sleep(0.05)
        before = ticker.ticks
        started = time.monotonic()
        gc.collect()
        took = time.monotonic() - started
        during = ticker.ticks - before
    assert quit_seen.is_set(), "the client sent no QUIT when collected"
    assert 1.0 < took < 2.0 + 1.0, f"the collection took {took:.2f} s"
    assert during > 50, f"the other thread ran only {during} times while the client was collected"
