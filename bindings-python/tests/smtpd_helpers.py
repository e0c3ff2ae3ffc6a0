"""A real SMTP server for the end-to-end tests: aiosmtpd on 127.0.0.1 with STARTTLS
(a certificate made at test time) and AUTH PLAIN/LOGIN. Also what the SMTP tests
share: a client of that server, a base for small scripted servers, and a thread that
counts while the test waits (to show that the GIL was released)."""

from __future__ import annotations

import asyncio
import email.message
import pathlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from testkit import free_port, make_certs

import email365

USERNAME = "api-user"
PASSWORD = "s3cret-pw"
QUEUE_ID = "4Zx9QpL2mN"


def stdlib_message(sender: str, body: str, **headers: str) -> email.message.EmailMessage:
    """A message of the standard library's `email` package: From `sender`, `headers` in
    the order given, and a text/plain `body`."""
    msg = email.message.EmailMessage()
    msg["From"] = sender
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(body)
    return msg


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: List[str]
    data: bytes


@dataclass
class Handler:
    """Accepts every message (refusing recipients whose local part starts with
    ``reject``) and answers the data with a Postfix-style queue id."""

    messages: List[Received] = field(default_factory=list)
    logins: List[bytes] = field(default_factory=list)
    #: Every MAIL FROM address the server was given.
    mail_froms: List[str] = field(default_factory=list)
    #: Every RCPT TO address the server was asked for, accepted or refused.
    rcpt_attempts: List[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: List[str]
    ) -> str:
        self.mail_froms.append(address)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: List[str]
    ) -> str:
        self.rcpt_attempts.append(address)
        if address.startswith("reject"):
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        with self.lock:
            self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return f"250 2.0.0 Ok: queued as {QUEUE_ID}"


class Authenticator:
    """Accepts USERNAME / PASSWORD only, and records every login name tried."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.handler.logins.append(auth_data.login)
        ok = auth_data.login == USERNAME.encode() and auth_data.password == PASSWORD.encode()
        # handled=False: aiosmtpd then answers a failure with 535 itself.
        return AuthResult(success=ok, handled=False)


def smtp_options(cert_dir: pathlib.Path, handler: Handler, starttls: bool) -> Tuple[pathlib.Path, Dict[str, Any]]:
    """The CA file a client must trust, and the options of aiosmtpd's ``SMTP`` for
    ``handler``: STARTTLS and AUTH required (or neither)."""
    cert, server_cert, key = make_certs(cert_dir, "email365 test CA")
    tls_context: Optional[ssl.SSLContext] = None
    if starttls:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(str(server_cert), str(key))
    return cert, dict(
        tls_context=tls_context,
        require_starttls=starttls,
        authenticator=Authenticator(handler),
        auth_require_tls=starttls,
        auth_required=starttls,
    )


class Server:
    """aiosmtpd running in its thread; ``with Server(...) as s:`` starts and stops it."""

    def __init__(self, cert_dir: pathlib.Path, *, starttls: bool = True) -> None:
        self.handler = Handler()
        self.port = free_port()
        #: The CA file a client must trust.
        self.cert, options = smtp_options(cert_dir, self.handler, starttls)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class LoopServer:
    """aiosmtpd (STARTTLS and AUTH) served by the running event loop itself rather than a
    thread of its own: a client that blocked the loop while it waits for a reply would
    never get one. ``async with LoopServer(...) as s:`` listens on a free port."""

    def __init__(self, cert_dir: pathlib.Path) -> None:
        self.handler = Handler()
        self.port = 0
        #: The CA file a client must trust.
        self.cert, self._options = smtp_options(cert_dir, self.handler, True)
        self._server: Optional[asyncio.AbstractServer] = None

    async def __aenter__(self) -> LoopServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self.handler, hostname="127.0.0.1", **self._options), "127.0.0.1", 0
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


def receipt(i: int = 0, **fields: Any) -> email365.Message:
    """Receipt ``i`` from the shop (From, Subject, text); ``fields`` add to or override
    those (the recipients among them)."""
    fields = {
        "from_addr": "Shop <shop@example.com>",
        "subject": f"Receipt {i}",
        "text": "Thank you!\n",
        **fields,
    }
    return email365.Message(**fields)


def tls_client(server: Server, **options: Any) -> email365.SmtpClient:
    """A client of ``server`` over STARTTLS with its credentials (both overridable)."""
    options.setdefault("username", USERNAME)
    options.setdefault("password", PASSWORD)
    options.setdefault("timeout", 10.0)
    return email365.SmtpClient("127.0.0.1", server.port, ca_file=server.cert, **options)


class LoopbackListener:
    """A listening socket on 127.0.0.1 that hands each accepted connection to
    ``handle`` in its own daemon thread; ``close`` stops accepting and waits for them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port: int = self.sock.getsockname()[1]
        self.threads: List[threading.Thread] = []

    def start(self) -> None:
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self.handle, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self, wait: float = 0.0) -> None:
        self.sock.close()
        if wait:
            for t in self.threads:
                t.join(timeout=wait)


class Ticker:
    """A thread counting while the test waits: ``ticks`` shows how often other Python
    threads ran (with the GIL released, many times)."""

    def __init__(self) -> None:
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.ticks += 1
            time.sleep(0.005)

    def __enter__(self) -> "Ticker":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
