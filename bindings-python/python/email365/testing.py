"""The sandbox in tests: a local stand-in for Email 365 (SMTP with STARTTLS and AUTH,
plus the status API) for an application's own test suite, without the real service.

``Sandbox`` runs ``email365 sandbox --json`` (the command shipped in this package, the
core's, ``docs/SANDBOX.md``) as a child process of the current interpreter and reads
its start line; the pytest plugin (entry point ``email365``, loaded by pytest wherever
the package is installed) turns it into the session fixture ``email365_sandbox``::

    def test_welcome_mail(email365_sandbox):
        with email365_sandbox.smtp_client() as client:
            result = client.send(message)
        [received] = email365_sandbox.messages(result.notification_id)
        assert received.rcpt_to == ["alice@example.org"]
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Dict, List, Optional, Sequence, Type

from ._native import SenderPolicy, SmtpClient, StatusClient

__all__ = ["ReceivedMessage", "Sandbox", "SandboxInfo"]


@dataclass(frozen=True)
class ReceivedMessage:
    """A message the sandbox accepted: its envelope and exact bytes."""

    notification_id: str
    mail_from: str
    rcpt_to: List[str]
    data: bytes
    smtputf8: bool
    chunked: bool


@dataclass(frozen=True)
class SandboxInfo:
    """Where a running sandbox listens and with which credentials (its start line)."""

    host: str
    port: int
    smtps_port: Optional[int]
    ca_file: str
    username: str
    password: str
    account_id: str
    status_url: str
    sender_domains: List[str]
    sender_addresses: List[str]

    @classmethod
    def from_start_line(cls, info: Dict[str, Any]) -> SandboxInfo:
        return cls(
            host=info["smtp_host"],
            port=info["smtp_port"],
            smtps_port=info["smtps_port"],
            ca_file=info["ca_file"],
            username=info["username"],
            password=info["password"],
            account_id=info["account_id"],
            status_url=info["http_url"],
            sender_domains=list(info["sender_domains"]),
            sender_addresses=list(info["sender_addresses"]),
        )

    def __repr__(self) -> str:
        return f"SandboxInfo(host={self.host!r}, port={self.port}, status_url={self.status_url!r})"

    def smtp_client(self, **options: Any) -> SmtpClient:
        """An ``SmtpClient`` for the sandbox: its port, credentials, CA file and sender
        policy; ``options`` are further ``SmtpClient`` arguments."""
        settings: Dict[str, Any] = {
            "username": self.username,
            "password": self.password,
            "ca_file": self.ca_file,
            "timeout": 10.0,
            "sender_policy": SenderPolicy(domains=self.sender_domains, addresses=self.sender_addresses),
        }
        settings.update(options)
        return SmtpClient(self.host, self.port, **settings)

    def status_client(self, **options: Any) -> StatusClient:
        """A ``StatusClient`` for the sandbox's status API."""
        return StatusClient(
            self.account_id,
            username=self.username,
            password=self.password,
            base_url=self.status_url,
            **options,
        )

    def django_settings(self) -> Dict[str, Any]:
        """The Django settings that send through the sandbox with
        ``email365.django.EmailBackend``."""
        return {
            "EMAIL_BACKEND": "email365.django.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": self.username,
            "EMAIL_HOST_PASSWORD": self.password,
            "EMAIL_TIMEOUT": 10,
            "EMAIL365_CA_FILE": self.ca_file,
            "EMAIL365_SENDER_DOMAINS": list(self.sender_domains),
            "EMAIL365_SENDER_ADDRESSES": list(self.sender_addresses),
        }

    def _call(self, method: str, path: str) -> Any:
        request = urllib.request.Request(self.status_url + path, method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def messages(self, notification_id: Optional[str] = None) -> List[ReceivedMessage]:
        """The messages the sandbox accepted, oldest first (only the one with
        ``notification_id`` when given)."""
        found = [
            ReceivedMessage(
                notification_id=m["notification_id"],
                mail_from=m["mail_from"],
                rcpt_to=list(m["rcpt_to"]),
                data=base64.b64decode(m["data_base64"]),
                smtputf8=m["smtputf8"],
                chunked=m["chunked"],
            )
            for m in self._call("GET", "/_sandbox/messages")
        ]
        if notification_id is not None:
            found = [m for m in found if m.notification_id == notification_id]
        return found

    def clear_messages(self) -> None:
        """Forgets the accepted messages (their notifications stay)."""
        self._call("DELETE", "/_sandbox/messages")

    def advance(self, seconds: float) -> None:
        """Moves the sandbox clock forward, so that status events show sooner."""
        self._call("POST", "/_sandbox/advance?" + urllib.parse.urlencode({"ms": int(seconds * 1000)}))


class Sandbox:
    """A sandbox in a child process: ``with Sandbox("--step-ms", "0") as info: …``.
    ``args`` are flags of ``email365 sandbox`` (``--help`` lists them). It stops when
    the block ends, or when this process dies (it watches its standard input)."""

    def __init__(self, *args: str) -> None:
        self.args: Sequence[str] = args
        self._process: Optional[subprocess.Popen[bytes]] = None
        self.info: Optional[SandboxInfo] = None

    def start(self) -> SandboxInfo:
        if self.info is not None:
            return self.info
        command = [sys.executable, "-m", "email365", "sandbox", "--json", "--exit-on-stdin-eof", *self.args]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._process = process
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            code = process.wait(timeout=10)
            self._process = None
            raise RuntimeError(f"email365 sandbox did not start (exit code {code}; its error is on stderr)")
        self.info = SandboxInfo.from_start_line(json.loads(line))
        return self.info

    def stop(self) -> None:
        process, self._process, self.info = self._process, None, None
        if process is None:
            return
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()

    def __enter__(self) -> SandboxInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()
