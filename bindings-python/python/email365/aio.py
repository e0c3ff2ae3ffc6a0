"""asyncio variants of the network clients.

:class:`SmtpClient` runs on the core's tokio transport inside the native module: every
send is a Rust future on the module's one runtime (a fixed few threads, however many
sends are in flight), awaited from the event loop as an asyncio future, and several
sends from one client share a pool of ``max_connections`` connections. Cancelling a
send (``asyncio.wait_for``, ``Task.cancel``) drops its future; its connection is then
closed without a word and a later send opens a fresh one.

:class:`StatusClient` runs the core's tokio status client on the same runtime: its
requests and the waits of ``wait_for`` are Rust futures too. Everything else (building, validating, classifying) is fast and stays synchronous: use
``email365`` directly.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import os
import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Callable, Iterable, List, Optional, Type, Union

from . import _native
from ._native import Notification, SendResult, SenderPolicy

if TYPE_CHECKING:  # names that exist only in the stub (_native.pyi)
    from ._errors import Email365Error
    from ._native import _AuthOption, _Item, _Sendable, _TlsOption, _ToAddrs

__all__ = ["SmtpClient", "StatusClient"]

# Before the interpreter finalizes, let the runtime's threads finish handing results to
# the event loop (a thread inside the interpreter as it finalizes aborts the process).
atexit.register(_native.aio_quiesce)



def _ignore_executor(executor: Optional[concurrent.futures.Executor], client: str) -> None:
    """Warns that ``executor`` (kept in the signatures for compatibility) is ignored."""
    if executor is not None:
        warnings.warn(
            f"email365.aio.{client} runs on the native runtime: executor is ignored",
            DeprecationWarning,
            stacklevel=3,
        )

class SmtpClient:
    """An asyncio SMTP submission client: the arguments of :class:`email365.SmtpClient`;
    ``max_connections`` connections are shared by every send in flight. ``executor`` is
    accepted for compatibility and ignored (a ``DeprecationWarning``): no send runs in a
    thread. Use as ``async with email365.aio.SmtpClient(...) as client:``."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        username: Optional[str] = None,
        password: Optional[str] = None,
        tls: _TlsOption = "starttls",
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        timeout: Optional[float] = None,
        sender_policy: Optional[SenderPolicy] = None,
        server_name: Optional[str] = None,
        ehlo_name: Optional[str] = None,
        auth: _AuthOption = "plain",
        pipelining: bool = True,
        chunking: bool = True,
        window: Optional[int] = None,
        probe_idle_after: Optional[float] = None,
        max_connections: int = 1,
        transcript: Optional[Callable[[str, str], None]] = None,
        executor: Optional[concurrent.futures.Executor] = None,
    ) -> None:
        _ignore_executor(executor, "SmtpClient")
        self._client = _native.AsyncSmtpClient(
            host,
            port,
            username=username,
            password=password,
            tls=tls,
            ca_file=ca_file,
            timeout=timeout,
            sender_policy=sender_policy,
            server_name=server_name,
            ehlo_name=ehlo_name,
            auth=auth,
            pipelining=pipelining,
            chunking=chunking,
            window=window,
            probe_idle_after=probe_idle_after,
            max_connections=max_connections,
            transcript=transcript,
        )

    async def send(
        self,
        message: _Sendable,
        *,
        from_addr: Optional[str] = None,
        to_addrs: Optional[_ToAddrs] = None,
    ) -> SendResult:
        """Sends one message, with an explicit envelope when ``from_addr`` or
        ``to_addrs`` is given (see :meth:`email365.SmtpClient.send`)."""
        return await self._client.send(message, from_addr=from_addr, to_addrs=to_addrs)

    async def send_many(
        self, messages: Iterable[_Item], *, return_exceptions: bool = False
    ) -> List[Union[SendResult, Email365Error]]:
        """Sends several messages (each a message or a ``(message, from_addr, to_addrs)``
        tuple) and returns one result per message in input order (see
        :meth:`email365.SmtpClient.send_many`); with ``max_connections > 1`` the list is
        spread over several connections at once. Every message is submitted, even after
        a failure: with ``return_exceptions=True`` a failure is returned in place of its
        result; with ``return_exceptions=False`` :class:`email365.SendManyError` (the
        first failure's kind, every result in ``results``) is raised once all messages
        have been sent."""
        return await self._client.send_many(messages, return_exceptions=return_exceptions)

    async def close(self) -> None:
        """Ends the idle sessions (QUIT) and closes their connections; later sends are
        refused. Idempotent."""
        await self._client.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._client.closed

    async def __aenter__(self) -> SmtpClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"aio.{self._client!r}"


class StatusClient:
    """An asyncio client of the status API: the arguments of
    :class:`email365.StatusClient`. Requests and the waits of :meth:`wait_for` (the
    core's polling plan) run on the module's native runtime, no thread per call.
    ``executor`` is accepted for compatibility and ignored (a ``DeprecationWarning``)."""

    def __init__(
        self,
        account_id: str,
        *,
        username: str,
        password: str,
        region: Optional[str] = None,
        base_url: Optional[str] = None,
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        timeout: float = 30.0,
        executor: Optional[concurrent.futures.Executor] = None,
    ) -> None:
        _ignore_executor(executor, "StatusClient")
        self._client = _native.AsyncStatusClient(
            account_id,
            username=username,
            password=password,
            region=region,
            base_url=base_url,
            ca_file=ca_file,
            timeout=timeout,
        )

    async def get(self, notification_id: str, recipient: Optional[str] = None) -> Notification:
        """The status of a notification (see :meth:`email365.StatusClient.get`)."""
        return await self._client.get(notification_id, recipient)

    async def wait_for(
        self, notification_id: str, recipient: Optional[str] = None, *, timeout: float = 60.0
    ) -> Notification:
        """Polls until the state is final and returns that notification; raises
        :class:`email365.TimeoutExpiredError` when ``timeout`` passes first (see
        :meth:`email365.StatusClient.wait_for`)."""
        return await self._client.wait_for(notification_id, recipient, timeout=timeout)

    @property
    def account_id(self) -> str:
        """The account id."""
        return self._client.account_id

    def __repr__(self) -> str:
        return f"aio.{self._client!r}"
