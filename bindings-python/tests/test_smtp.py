"""SmtpClient end to end against aiosmtpd (STARTTLS + AUTH PLAIN), a real server."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import pytest

import email365
from email365 import Message, SmtpClient
from smtpd_helpers import PASSWORD, QUEUE_ID, USERNAME, Server, Ticker
from testkit import free_port
from smtpd_helpers import receipt, stdlib_message
from smtpd_helpers import tls_client as client

api: Any = email365


def message(i: int = 0, **extra: Any) -> Message:
    return receipt(i, **{"to": ["alice@example.org"], "bcc": "audit@example.com", **extra})


def test_send_over_starttls_with_auth_plain(smtpd: Server) -> None:
    with client(smtpd) as c:
        result = c.send(message())
    assert result.notification_id == QUEUE_ID
    assert result.final_reply.code == 250
    assert QUEUE_ID in result.final_reply.text
    assert result.accepted == ("alice@example.org", "audit@example.com")
    assert result.rejected == {}
    [got] = smtpd.handler.messages
    assert got.mail_from == "shop@example.com"
    assert got.rcpt_tos == ["alice@example.org", "audit@example.com"]
    assert b"Subject: Receipt 0" in got.data
    assert b"audit@example.com" not in got.data, "Bcc leaked into the message"
    assert smtpd.handler.logins == [USERNAME.encode()]


def test_send_a_built_message_and_reuse_the_connection(smtpd: Server) -> None:
    built = message().build()
    with client(smtpd) as c:
        first = c.send(built)
        second = c.send(message(1))
    assert first.notification_id == second.notification_id == QUEUE_ID
    assert len(smtpd.handler.messages) == 2
    assert smtpd.handler.logins == [USERNAME.encode()], "a second login means a second connection"
    assert smtpd.handler.messages[0].data.rstrip(b"\r\n") == built.data.rstrip(b"\r\n")


def test_send_a_stdlib_email_message(smtpd: Server) -> None:
    msg = stdlib_message(
        "shop@example.com", "hello\n", To="bob@example.org", Bcc="hidden@example.com", Subject="stdlib"
    )
    with client(smtpd) as c:
        result = c.send(msg)
    assert result.accepted == ("bob@example.org", "hidden@example.com")
    [got] = smtpd.handler.messages
    assert got.rcpt_tos == ["bob@example.org", "hidden@example.com"]
    assert b"hidden@example.com" not in got.data


def test_send_raw_bytes(smtpd: Server) -> None:
    raw = b"From: shop@example.com\r\nTo: carol@example.org\r\nSubject: raw\r\n\r\nbody\r\n"
    with client(smtpd) as c:
        assert c.send(raw).accepted == ("carol@example.org",)


@pytest.mark.parametrize(
    "raw",
    [
        b"From: shop@example.com\r\nTo: carol@example.org\r\nSubject: nul\r\n\r\nbody\r\n\0.\r\nMAIL FROM:<x@evil.test>\r\n",
        b"From: shop@example.com\r\nTo: carol@example.org\r\nSubject: nul\r\n\r\nbo\0dy\r\n",
    ],
    ids=["nul_dot_terminator", "nul_in_body"],
)
def test_nul_smuggled_end_of_data_in_raw_bytes_is_refused_before_mail(smtpd: Server, raw: bytes) -> None:
    with client(smtpd) as c:
        with pytest.raises(email365.InvalidMessage) as info:
            c.send(raw)
        assert info.value.kind == "invalid_message"
        assert info.value.reason == "control_char"
        # The session is still usable: the refusal came before MAIL FROM.
        assert c.send(message()).notification_id == QUEUE_ID
    assert smtpd.handler.mail_froms == ["shop@example.com"], "no MAIL for the refused message"
    assert len(smtpd.handler.messages) == 1


def test_some_recipients_refused(smtpd: Server) -> None:
    with client(smtpd) as c:
        result = c.send(message(to=["alice@example.org", "reject-me@example.org"]))
    assert result.accepted == ("alice@example.org", "audit@example.com")
    assert list(result.rejected) == ["reject-me@example.org"]
    reply = result.rejected["reject-me@example.org"]
    assert (reply.code, reply.enhanced) == (550, "5.1.1")
    # Each accepted recipient with the server's reply to its RCPT TO, in RCPT order.
    assert list(result.accepted_replies) == list(result.accepted)
    for accepted in result.accepted_replies.values():
        assert (accepted.code, accepted.enhanced, accepted.text) == (250, "2.1.5", "2.1.5 Ok")


def test_every_recipient_refused(smtpd: Server) -> None:
    with client(smtpd) as c, pytest.raises(email365.RecipientsRejectedError) as info:
        c.send(message(to="reject-a@example.org", bcc=None))
    e = info.value
    assert isinstance(e, email365.SmtpError)
    assert e.kind == "recipients_rejected"
    assert e.code == 550 and e.enhanced_code == "5.1.1"
    assert e.reply is not None and e.reply.recipient == "reject-a@example.org"
    assert e.transient is False
    assert smtpd.handler.messages == []


def test_wrong_password_is_an_authentication_error(smtpd: Server) -> None:
    with client(smtpd, password="wrong-pw") as c, pytest.raises(email365.AuthenticationError) as info:
        c.send(message())
    assert info.value.kind == "auth"
    assert "wrong-pw" not in str(info.value) and "wrong-pw" not in repr(info.value)
    assert smtpd.handler.messages == []


def test_auth_login_mechanism(smtpd: Server) -> None:
    with client(smtpd, auth="login") as c:
        assert c.send(message()).notification_id == QUEUE_ID


def test_no_starttls_offered_is_a_tls_error_and_no_credentials_leave(plain_smtpd: Server) -> None:
    with client(plain_smtpd) as c, pytest.raises(email365.TlsError):
        c.send(message())
    assert plain_smtpd.handler.logins == []
    assert plain_smtpd.handler.messages == []


def test_untrusted_certificate_is_a_tls_error(smtpd: Server) -> None:
    c = SmtpClient("127.0.0.1", smtpd.port, username=USERNAME, password=PASSWORD, timeout=10.0)
    with c, pytest.raises(email365.TlsError):
        c.send(message())
    assert smtpd.handler.logins == []


def test_wrong_server_name_is_a_tls_error(smtpd: Server) -> None:
    with client(smtpd, server_name="mail.example.com") as c, pytest.raises(email365.TlsError):
        c.send(message())


def test_insecure_plaintext_never_takes_credentials() -> None:
    with pytest.raises(email365.InvalidArgument):
        SmtpClient("127.0.0.1", 25, username="u", password="p", tls="insecure_plaintext")


def test_connection_refused_is_a_connection_error() -> None:
    c = SmtpClient("127.0.0.1", free_port(), username=USERNAME, password=PASSWORD, timeout=5.0)
    with c, pytest.raises(email365.ConnectionFailedError) as info:
        c.send(message())
    assert isinstance(info.value, ConnectionError)
    assert info.value.transient is True


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A server that accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def test_greeting_timeout_is_a_timeout_error(silent_server: int) -> None:
    c = SmtpClient("127.0.0.1", silent_server, username=USERNAME, password=PASSWORD, timeout=0.5)
    started = time.monotonic()
    with c, pytest.raises(email365.TimeoutExpiredError) as info:
        c.send(message())
    assert isinstance(info.value, TimeoutError)
    assert time.monotonic() - started < 5


def test_the_gil_is_released_while_waiting(silent_server: int) -> None:
    with Ticker() as ticker:
        c = SmtpClient("127.0.0.1", silent_server, username=USERNAME, password=PASSWORD, timeout=1.0)
        with c, pytest.raises(email365.TimeoutExpiredError):
            c.send(message())
    assert ticker.ticks > 50, f"the other thread ran only {ticker.ticks} times in 1 s"


def test_sender_policy_refuses_before_connecting(smtpd: Server) -> None:
    policy = email365.SenderPolicy(domains=["registered.example"])
    with client(smtpd, sender_policy=policy) as c, pytest.raises(email365.SenderNotRegistered):
        c.send(message())
    assert smtpd.handler.logins == [], "the client connected for a refused sender"


def test_send_many_in_order_with_return_exceptions(smtpd: Server) -> None:
    with client(smtpd) as c:
        results = c.send_many(
            [message(0), message(1, to="reject-x@example.org", bcc=None), message(2)],
            return_exceptions=True,
        )
        assert isinstance(results[0], email365.SendResult)
        assert isinstance(results[1], email365.RecipientsRejectedError)
        assert isinstance(results[2], email365.SendResult)
        with pytest.raises(email365.SendManyError) as info:
            c.send_many([message(3, to="reject-y@example.org", bcc=None), message(4)])
        assert isinstance(info.value.__cause__, email365.RecipientsRejectedError)
        assert isinstance(info.value.results[1], email365.SendResult)
    subjects = [m.data.split(b"Subject: ")[1].split(b"\r\n")[0] for m in smtpd.handler.messages]
    # Every message is submitted, even after a failure; the failure is still raised.
    assert subjects == [b"Receipt 0", b"Receipt 2", b"Receipt 4"]


def test_closed_client_refuses_to_send(smtpd: Server) -> None:
    c = client(smtpd)
    with c:
        c.send(message())
    assert c.closed
    with pytest.raises(email365.ConnectionFailedError):
        c.send(message())
    c.close()


def test_eight_threads_sending_at_once(smtpd: Server) -> None:
    with client(smtpd, max_connections=4) as shared:

        def send(i: int) -> str | None:
            return shared.send(message(i)).notification_id

        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = list(pool.map(send, range(40)))
    assert ids == [QUEUE_ID] * 40
    assert len(smtpd.handler.messages) == 40
    assert len(smtpd.handler.logins) <= 4


@pytest.mark.parametrize(
    "call",
    [
        lambda: api.SmtpClient(25),
        lambda: api.SmtpClient("h", "25"),
        lambda: api.SmtpClient("h", 70000),
        lambda: api.SmtpClient("h", timeout="1"),
        lambda: api.SmtpClient("h", tls=True),
        lambda: api.SmtpClient("h", username="u", password="p").send("not a message"),
        lambda: api.SmtpClient("h", username="u", password="p").send_many(5),
    ],
    ids=["host-int", "port-str", "port-range", "timeout-str", "tls-bool", "send-str", "many-int"],
)
def test_wrong_argument_types(call: Any) -> None:
    with pytest.raises((TypeError, ValueError, OverflowError)):
        call()


@pytest.mark.parametrize(
    "options",
    [
        {"tls": "ssl"},
        {"auth": "cram-md5"},
        {"username": "u"},
        {"timeout": -1.0},
        {"timeout": 0.0},
        {"max_connections": 0},
    ],
    ids=["tls", "auth", "half-credentials", "negative-timeout", "zero-timeout", "no-connections"],
)
def test_bad_options_are_invalid_arguments(options: dict[str, Any]) -> None:
    with pytest.raises(email365.InvalidArgument):
        SmtpClient("127.0.0.1", 25, **options)


def test_missing_ca_file_is_refused(tmp_path: Any) -> None:
    with pytest.raises(email365.Email365Error):
        SmtpClient("127.0.0.1", 25, ca_file=tmp_path / "missing.pem")


def test_repr_hides_credentials() -> None:
    c = SmtpClient("127.0.0.1", 2525, username="user", password="hunter2")
    assert "hunter2" not in repr(c) and "127.0.0.1" in repr(c)


@pytest.mark.parametrize(
    "options, reason",
    [
        ({"tls": "ssl"}, "unknown_tls_mode"),
        ({"auth": "cram-md5"}, "unknown_auth_mechanism"),
        ({"timeout": 0.0}, "invalid_duration"),
        ({"timeout": float("inf")}, "invalid_duration"),
        ({"port": 0}, "invalid_port"),
        ({"username": "u"}, "incomplete_credentials"),
        ({"max_connections": 0}, "invalid_count"),
    ],
    ids=["tls", "auth", "zero-timeout", "infinite-timeout", "port-0", "no-password", "no-connections"],
)
def test_bad_options_are_invalid_arguments_with_their_reason(
    options: dict[str, Any], reason: str
) -> None:
    args: dict[str, Any] = {"port": 2525, **options}
    port = args.pop("port")
    with pytest.raises(email365.InvalidArgument) as info:
        SmtpClient("127.0.0.1", port, **args)
    assert info.value.kind == "invalid_argument"
    assert info.value.reason == reason
