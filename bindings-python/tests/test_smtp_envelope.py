"""Explicit envelopes, Message-IDs, SendManyError and the transport options of
SmtpClient, end to end against aiosmtpd and a small scripted server."""

from __future__ import annotations

import re
import socket
from typing import Any, Iterator, List, Optional

import pytest

import email365
from email365 import Message, SmtpClient
from smtpd_helpers import QUEUE_ID, LoopbackListener, Server
from smtpd_helpers import receipt, stdlib_message
from smtpd_helpers import tls_client as client

api: Any = email365


def message(i: int = 0, **extra: Any) -> Message:
    return receipt(i, **{"to": "rcpt@example.org", **extra})


def test_envelope_differing_from_the_headers_reaches_every_recipient(smtpd: Server) -> None:
    # The headers name one recipient; the envelope two, one of which the server refuses.
    with client(smtpd) as c:
        result = c.send(
            message(),
            from_addr="bounces@example.com",
            to_addrs=["rcpt@example.org", "reject@example.org"],
        )
    assert smtpd.handler.rcpt_attempts == ["rcpt@example.org", "reject@example.org"]
    assert result.accepted == ("rcpt@example.org",)
    assert list(result.rejected) == ["reject@example.org"]
    assert result.rejected["reject@example.org"].code == 550
    [got] = smtpd.handler.messages
    assert got.mail_from == "bounces@example.com"
    assert b"To: <rcpt@example.org>\r\n" in got.data, "the headers are not changed"


def test_only_the_given_part_of_the_envelope_is_replaced(smtpd: Server) -> None:
    built = message(bcc="audit@example.com").build()
    with client(smtpd) as c:
        c.send(built, to_addrs="other@example.org")  # one address as a str
        c.send(built, from_addr="bounces@example.com")
    first, second = smtpd.handler.messages
    assert (first.mail_from, first.rcpt_tos) == ("shop@example.com", ["other@example.org"])
    assert (second.mail_from, second.rcpt_tos) == (
        "bounces@example.com",
        ["rcpt@example.org", "audit@example.com"],
    )


def test_bytes_with_a_full_envelope_need_no_address_headers(smtpd: Server) -> None:
    raw = b"Subject: no addresses\r\nBcc: hidden@example.com\r\nMessage-ID: <raw-1@example.com>\r\n\r\nbody\r\n"
    with client(smtpd) as c:
        result = c.send(raw, from_addr="shop@example.com", to_addrs=["a@example.org", "reject@example.org"])
    assert smtpd.handler.rcpt_attempts == ["a@example.org", "reject@example.org"]
    assert result.accepted == ("a@example.org",)
    assert result.message_id == "raw-1@example.com"
    [got] = smtpd.handler.messages
    assert b"hidden@example.com" not in got.data, "Bcc leaked into the message"


def test_stdlib_message_with_an_explicit_envelope(smtpd: Server) -> None:
    msg = stdlib_message("shop@example.com", "hello\n", To="undisclosed-recipients:;", Subject="list")
    with client(smtpd) as c:
        result = c.send(msg, to_addrs=("x@example.org", "y@example.org"))
    assert result.accepted == ("x@example.org", "y@example.org")
    assert result.message_id is None, "the stdlib message has no Message-ID"
    assert smtpd.handler.messages[0].mail_from == "shop@example.com"


@pytest.mark.parametrize("payload", ["\r\nRSET", "\n", "\x00", ">"], ids=["crlf", "lf", "nul", "angle"])
@pytest.mark.parametrize("where", ["from_addr", "to_addrs"])
def test_command_injection_through_the_envelope_is_refused_before_mail(
    smtpd: Server, payload: str, where: str
) -> None:
    evil = f"a@example.org{payload}RCPT TO:<evil@example.net"
    envelope: dict[str, Any] = {where: evil if where == "from_addr" else [evil]}
    with client(smtpd) as c, pytest.raises(email365.InvalidArgument) as info:
        c.send(message(), **envelope)
    assert info.value.reason == "command_injection"
    assert smtpd.handler.rcpt_attempts == [] and smtpd.handler.messages == []


def test_an_empty_recipient_list_is_refused(smtpd: Server) -> None:
    with client(smtpd) as c, pytest.raises(email365.InvalidArgument) as info:
        c.send(message(), to_addrs=[])
    assert info.value.reason == "no_recipients"
    assert smtpd.handler.messages == []


def test_sender_policy_applies_to_the_explicit_sender(smtpd: Server) -> None:
    policy = email365.SenderPolicy(domains=["example.com"])
    with client(smtpd, sender_policy=policy) as c:
        with pytest.raises(email365.SenderNotRegistered):
            c.send(message(), from_addr="bounces@elsewhere.example")
        with pytest.raises(email365.SenderNotRegistered) as info:
            c.send(message(), from_addr="")
        assert info.value.reason == "null_reverse_path"
        assert smtpd.handler.logins == [], "the client connected for a refused sender"
        assert c.send(message(), from_addr="bounces@example.com").accepted == ("rcpt@example.org",)


def test_send_result_carries_the_message_id(smtpd: Server) -> None:
    built = message(message_id="<given-1@example.com>").build()
    with client(smtpd) as c:
        assert c.send(built).message_id == "given-1@example.com"
        generated = c.send(message())
        assert generated.message_id is not None
        # The id is the one in the bytes the server got.
        assert f"<{generated.message_id}>".encode() in smtpd.handler.messages[1].data
        no_id = b"From: shop@example.com\r\nTo: rcpt@example.org\r\n\r\nbody\r\n"
        assert c.send(no_id).message_id is None


def test_send_many_takes_envelope_tuples_and_raises_with_every_result(smtpd: Server) -> None:
    raw = b"From: shop@example.com\r\nMessage-ID: <raw-2@example.com>\r\n\r\nbody\r\n"
    with client(smtpd) as c, pytest.raises(email365.SendManyError) as info:
        c.send_many(
            [
                (message(0), None, ["rcpt@example.org", "reject@example.org"]),
                message(1, to="reject-all@example.org"),
                (raw, None, "z@example.org"),
                message(3),
            ]
        )
    e = info.value
    assert isinstance(e, email365.Email365Error)
    assert e.kind == "recipients_rejected" and e.transient is False
    assert isinstance(e.__cause__, email365.RecipientsRejectedError)
    first, failed, third, fourth = e.results
    assert failed is e.__cause__
    assert isinstance(first, email365.SendResult) and first.notification_id == QUEUE_ID
    assert list(first.rejected) == ["reject@example.org"]
    assert isinstance(third, email365.SendResult) and third.message_id == "raw-2@example.com"
    assert third.accepted == ("z@example.org",)
    assert isinstance(fourth, email365.SendResult)
    assert isinstance(failed, email365.Email365Error) and failed.message_id is not None
    assert e.message_id == failed.message_id
    # Every message was submitted, the failed one included.
    assert len(smtpd.handler.messages) == 3
    assert smtpd.handler.rcpt_attempts == [
        "rcpt@example.org",
        "reject@example.org",
        "reject-all@example.org",
        "z@example.org",
        "rcpt@example.org",
    ]


def test_send_many_with_return_exceptions_keeps_message_ids(smtpd: Server) -> None:
    built = message(message_id="<m-1@example.com>").build()
    with client(smtpd) as c:
        ok, failed = c.send_many([built, (built, None, "reject@example.org")], return_exceptions=True)
    assert isinstance(ok, email365.SendResult) and ok.message_id == "m-1@example.com"
    assert isinstance(failed, email365.RecipientsRejectedError) and failed.message_id == "m-1@example.com"


@pytest.mark.parametrize(
    "item",
    [(b"x",), (b"x", None), ("not a message", None, "a@b.c"), (b"x", 5, "a@b.c"), (b"x", None, 5)],
    ids=["one", "two", "str-message", "int-from", "int-to"],
)
def test_bad_send_many_items_are_refused_before_sending(smtpd: Server, item: Any) -> None:
    with client(smtpd) as c, pytest.raises(TypeError):
        api.SmtpClient.send_many(c, [message(), item])
    assert smtpd.handler.logins == []


def test_window_chunking_and_probe_options_are_checked() -> None:
    assert "port=25" in repr(SmtpClient("127.0.0.1")), "port 25 (the service's) by default"
    for bad in ({"window": 0}, {"probe_idle_after": -1.0}, {"probe_idle_after": float("nan")}):
        with pytest.raises(email365.InvalidArgument):
            SmtpClient("127.0.0.1", **bad)
    SmtpClient("127.0.0.1", window=1, chunking=False, probe_idle_after=0.0).close()


class ScriptedServer(LoopbackListener):
    """A plaintext SMTP server for what aiosmtpd cannot do: it offers PIPELINING and
    CHUNKING, records the command of each message's data (DATA or BDAT) and its bytes,
    and closes the connection instead of answering the first ``drops`` messages."""

    def __init__(self, drops: int = 0) -> None:
        super().__init__()
        self.drops = drops
        self.messages: List[bytes] = []
        self.data_commands: List[str] = []
        self.start()

    def _received(self, command: str, data: bytes) -> bool:
        """Records a message; whether to answer it (False: drop the connection)."""
        self.data_commands.append(command)
        self.messages.append(data)
        if self.drops:
            self.drops -= 1
            return False
        return True

    def handle(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")

        def say(text: str) -> None:
            conn.sendall(text.encode() + b"\r\n")

        try:
            say("220 scripted ESMTP")
            while line := reader.readline():
                verb = line.split(b" ")[0].strip().upper()
                if verb == b"EHLO":
                    say("250-scripted\r\n250-PIPELINING\r\n250 CHUNKING")
                elif verb == b"DATA":
                    say("354 go on")
                    data = b""
                    while (part := reader.readline()) not in (b".\r\n", b""):
                        data += part
                    if not self._received("DATA", data):
                        return
                    say(f"250 2.0.0 Ok: queued as {QUEUE_ID}")
                elif verb == b"BDAT":
                    data = reader.read(int(line.split()[1]))
                    if not self._received("BDAT", data):
                        return
                    say(f"250 2.0.0 Ok: queued as {QUEUE_ID}")
                elif verb == b"QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 ok")
        except OSError:
            pass
        finally:
            reader.close()
            conn.close()


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer(drops=1)
    yield server
    server.close()


def plain(server: ScriptedServer, **options: Any) -> SmtpClient:
    return SmtpClient("127.0.0.1", server.port, tls="insecure_plaintext", timeout=5.0, **options)


def _message_id(data: bytes) -> Optional[str]:
    found = re.search(rb"^Message-ID: <([^>]+)>\r$", data, re.MULTILINE | re.IGNORECASE)
    return found.group(1).decode() if found else None


def test_resend_after_outcome_unknown_keeps_the_message_id(scripted: ScriptedServer) -> None:
    built = message().build()  # build once: every send of it carries the same Message-ID
    with plain(scripted) as c:
        with pytest.raises(email365.OutcomeUnknownError) as info:
            c.send(built)
        assert info.value.message_id == built.message_id
        result = c.send(built)
    assert result.message_id == built.message_id and result.notification_id == QUEUE_ID
    assert [_message_id(m) for m in scripted.messages] == [built.message_id] * 2


def test_chunking_option_chooses_bdat_or_data(scripted: ScriptedServer) -> None:
    scripted.drops = 0
    with plain(scripted) as c:
        c.send(message(0))
    with plain(scripted, chunking=False) as c:
        c.send_many([message(1), message(2)])
    with plain(scripted, window=1) as c:
        assert len(c.send_many([message(3), message(4)])) == 2
    assert scripted.data_commands == ["BDAT", "DATA", "DATA", "BDAT", "BDAT"]
