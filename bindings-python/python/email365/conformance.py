"""The Python conformance driver: ``python -m email365.conformance``.

Reads one JSON request a line on stdin, ``{"op": "...", "args": {...}}``, and writes one
JSON line per request on stdout: ``{"ok": <result>}`` or ``{"error": {"kind", "reason",
"message", "position", "transient", "reply", "replies"}}`` (docs/ARCHITECTURE.md, "The
conformance protocol"; tests/vectors/README.md; every op is supported, so the protocol's
``{"unsupported": why}`` never appears). Every op goes through
the public Python API of ``email365``, and its arguments are read with the same rules
as the Rust driver's (``tests/conformance/src/args.rs``), so that both drivers give the
same answers on every shared vector. With ``--async`` the transport ops
(``smtp_send``, ``smtp_send_many``) go through ``email365.aio.SmtpClient``, each in an
event loop of its own, and must give the same answers.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import json
import sys
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Tuple

import email365
import email365.aio

Json = Any
Args = Dict[str, Json]

#: Whether the transport ops go through ``email365.aio`` (``--async``).
_ASYNC = False

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class _ArgError(Exception):
    """An argument the driver cannot read (kind ``invalid_argument`` unless given)."""

    def __init__(self, message: str, reason: Optional[str] = None, kind: str = "invalid_argument") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.kind = kind


def _bad(name: str, what: str) -> _ArgError:
    return _ArgError(f"argument {json.dumps(name)} {what}")


def _string(args: Args, name: str) -> str:
    value = args.get(name)
    if isinstance(value, str):
        return value
    if value is None:
        raise _bad(name, "is required")
    raise _bad(name, "must be a string")


def _opt_string(args: Args, name: str) -> Optional[str]:
    value = args.get(name)
    if value is None or isinstance(value, str):
        return value
    raise _bad(name, "must be a string")


def _flag(args: Args, name: str) -> bool:
    value = args.get(name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise _bad(name, "must be a boolean")


def _string_list(args: Args, name: str) -> List[str]:
    value = args.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(name, "must be a list of strings")
    if not all(isinstance(v, str) for v in value):
        raise _bad(name, "must hold only strings")
    return list(value)


# --- address -------------------------------------------------------------------------


def validate_address(args: Args) -> Json:
    text = _string(args, "address")
    mode = _opt_string(args, "mode") or "envelope"
    address = email365.validate_address(
        text,
        mode=mode,  # type: ignore[arg-type]  # an unknown mode is refused by the API
        allow_quoted_local=_flag(args, "allow_quoted_local"),
        allow_domain_literal=_flag(args, "allow_domain_literal"),
    )
    return {
        "local": address.local,
        "domain": address.domain,
        "ascii_domain": address.ascii_domain,
        "display_name": address.display_name,
        "smtputf8": address.smtputf8,
    }


# --- reply ---------------------------------------------------------------------------


def classify_reply(args: Args) -> Json:
    command = _opt_string(args, "command")
    if args.get("reply") is not None:
        if args.get("code") is not None or args.get("enhanced") is not None:
            raise _ArgError('give either "reply" or "code" (with "enhanced"), not both')
        c = email365.classify_reply(_string(args, "reply"), command=command)  # type: ignore[arg-type]
    else:
        code = args.get("code")
        if code is None:
            raise _ArgError('argument "reply" or "code" is required')
        if isinstance(code, bool) or not isinstance(code, (int, float)):
            raise _bad("code", "must be an integer")
        if isinstance(code, float):
            # A JSON number that is no integer: no reply code (as in the Rust driver).
            raise _ArgError(f"{code} is not an SMTP reply code", kind="invalid_reply", reason="bad_code")
        c = email365.classify_reply(
            code, enhanced=_opt_string(args, "enhanced"), command=command  # type: ignore[arg-type]
        )
    return {
        "code": c.code,
        "enhanced": c.enhanced,
        "severity": c.severity,
        "category": c.category,
        "retry": c.retry,
        "description": c.description,
    }


def extract_notification_id(args: Args) -> Json:
    return {"notification_id": email365.extract_notification_id(_string(args, "reply"))}


# --- status --------------------------------------------------------------------------


def status_request(args: Args) -> Json:
    request = email365.status_request(
        _string(args, "account_id"),
        _string(args, "notification_id"),
        username=_string(args, "username"),
        password=_string(args, "password"),
        recipient=_opt_string(args, "recipient"),
        region=_opt_string(args, "region"),
        base_url=_opt_string(args, "base_url"),
    )
    return {
        "method": request.method,
        "url": request.url,
        "headers": {"authorization": request.authorization, "accept": request.accept},
    }


def status_http_error(args: Args) -> Json:
    # The URL, body and credentials only shape the message, which vectors never compare.
    status = args.get("status")
    if type(status) is not int or not 0 <= status <= 65535:
        raise _bad("status", "must be a whole number from 0 to 65535")
    now_ms = _opt_whole(args, "now_ms")
    now: Optional[datetime.datetime] = None
    if now_ms is not None:
        now = _EPOCH + datetime.timedelta(milliseconds=now_ms)
    e = email365.status_http_error(status, _opt_string(args, "retry_after"), now=now)
    if e is None:
        return None
    return {
        "kind": e.kind,
        "reason": e.reason,
        "transient": e.transient,
        "retry_after_ms": None if e.retry_after is None else round(e.retry_after * 1000),
    }


def _ms(name: str, value: Json) -> int:
    if type(value) is not int or value < 0:
        raise _bad(name, "must be a whole number >= 0")
    return value


def _opt_whole(args: Args, name: str) -> Optional[int]:
    """`args[name]`: absent (None), or a whole number >= 0 (else invalid_argument)."""
    value = args.get(name)
    return None if value is None else _ms(name, value)


def _step(step: email365.PollStep) -> Json:
    if step.action == "fetch":
        limit = None if step.time_limit is None else round(step.time_limit * 1000)
        return {"action": "fetch", "time_limit_ms": limit}
    if step.action == "sleep":
        return {"action": "sleep", "ms": round((step.delay or 0.0) * 1000)}
    if step.action == "done":
        return {"action": "done"}
    e = step.error
    assert e is not None
    return {"action": "give_up", "kind": e.kind, "reason": e.reason, "transient": e.transient}


def status_poll(args: Args) -> Json:
    deadline = args.get("deadline_ms")
    poller = email365.StatusPoller(
        _string(args, "notification_id"),
        _opt_string(args, "recipient"),
        deadline=None if deadline is None else _ms("deadline_ms", deadline) / 1000,
    )
    steps = args.get("steps")
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise _bad("steps", "must be a list of objects")
    url = "https://eu.email.sdi.sinch.com/v1/a/notifications/id/1"
    out = []
    for item in steps:
        answer = item.get("answer")
        if isinstance(answer, dict):
            now_ms = answer.get("now_ms")
            poller.record_answer(
                _ms("status", answer.get("status")),
                _opt_string(answer, "retry_after"),
                body=_opt_string(answer, "body") or "",
                now=None if now_ms is None else _EPOCH + datetime.timedelta(milliseconds=_ms("now_ms", now_ms)),
                url=url,
                username="user",
                password="password",
            )
        elif item.get("failure") is not None:
            poller.record_failure(_string(item, "failure"), url=url)  # type: ignore[arg-type]  # the core refuses unknown names
        out.append(_step(poller.next(_ms("at_ms", item.get("at_ms")) / 1000)))
    return out


def _timestamp(event: email365.StatusEvent) -> Optional[str]:
    ts = event.timestamp
    if ts is None:
        return None
    return ts.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_status(args: Args) -> Json:
    n = email365.parse_status(_string(args, "body"))
    return {
        "found": n.found,
        "notification_id": n.notification_id,
        "events": [
            {
                "code": e.code,
                "text": e.text,
                "channel": e.channel,
                "recipient": e.recipient,
                "timestamp": _timestamp(e),
            }
            for e in n.events
        ],
    }


# --- message -------------------------------------------------------------------------


def _base64(name: str, text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise _bad(name, f"is not base64: {e}") from None


def _string_or_list(args: Args, name: str) -> List[str]:
    value = args.get(name)
    return [value] if isinstance(value, str) else _string_list(args, name)


def build_message(args: Args) -> Json:
    built = _build(args)
    return {
        "mail_from": built.envelope.mail_from,
        "rcpt_to": list(built.envelope.rcpt_to),
        "message_id": built.message_id,
        "size": built.size,
        "smtputf8": built.smtputf8,
        "message_base64": base64.b64encode(built.data).decode("ascii"),
    }


def _build(args: Args) -> email365.BuiltMessage:
    """The message that ``build_message``'s arguments describe."""
    attachments: List[email365.Attachment] = []
    items = args.get("attachments")
    if items is not None:
        if not isinstance(items, list):
            raise _bad("attachments", "must be a list of objects")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise _bad(f"attachments[{i}]", "must be an object")
            content = _base64(f"attachments[{i}].content_base64", _string(item, "content_base64"))
            attachments.append(
                email365.Attachment(
                    _string(item, "filename"),
                    content,
                    content_type=_opt_string(item, "content_type"),
                    inline_id=_opt_string(item, "inline_id"),
                )
            )
    headers: List[Tuple[str, str]] = []
    given = args.get("headers")
    if given is not None:
        if not isinstance(given, dict):
            raise _bad("headers", "must be an object of strings")
        # The Rust driver reads the object into serde_json's sorted map: key order.
        for name in sorted(given):
            value = given[name]
            if not isinstance(value, str):
                raise _bad(f"headers.{name}", "must be a string")
            headers.append((name, value))
    message = email365.Message(
        from_addr=_string(args, "from"),
        subject=_string(args, "subject"),
        to=_string_list(args, "to"),
        cc=_string_list(args, "cc"),
        bcc=_string_list(args, "bcc"),
        reply_to=_string_or_list(args, "reply_to"),
        text=_opt_string(args, "text"),
        html=_opt_string(args, "html"),
        attachments=attachments,
        headers=headers,
        message_id=_opt_string(args, "message_id"),
        date=_opt_string(args, "date"),
    )
    return message.build()


def envelope_from_message(args: Args) -> Json:
    data = _base64("message_base64", _string(args, "message_base64"))
    envelope, stripped = email365.envelope_from_message(data)
    return {
        "mail_from": envelope.mail_from,
        "rcpt_to": list(envelope.rcpt_to),
        "message_base64": base64.b64encode(stripped).decode("ascii"),
    }


# --- smtp ----------------------------------------------------------------------------
# The transport scenarios (tests/vectors/smtp/), run against run_vectors.py's scripted
# server; the answer has the shape of the `send` command's JSON.


def _object(args: Args, name: str) -> Optional[Args]:
    value = args.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise _bad(name, "must be an object")


def _client_args(args: Args) -> Tuple[str, int, Dict[str, Any]]:
    """(host, port, keyword arguments) of the client, for either client class."""
    host = _string(args, "host")
    port = args.get("port")
    if type(port) is not int or not 0 <= port <= 65535:
        raise _bad("port", "must be a whole number from 0 to 65535")
    o = _object(args, "options") or {}
    kwargs: Dict[str, Any] = {}
    for name in ("tls", "ca_file", "server_name", "ehlo_name", "username", "password"):
        value = _opt_string(o, name)
        if value is not None:
            kwargs[name] = value
    if o.get("pipelining") is not None:
        kwargs["pipelining"] = _flag(o, "pipelining")
    timeout_ms = _opt_whole(o, "timeout_ms")
    if timeout_ms is not None:
        kwargs["timeout"] = timeout_ms / 1000
    if o.get("chunking") is not None:
        kwargs["chunking"] = _flag(o, "chunking")
    window = _opt_whole(o, "window")
    if window is not None:
        kwargs["window"] = window
    return host, port, kwargs


def _item(args: Args) -> Tuple[Any, Dict[str, Any]]:
    """(message, envelope keywords) of one message: ``message`` or ``raw``."""
    message, raw = _object(args, "message"), _object(args, "raw")
    if (message is None) == (raw is None):
        raise _ArgError('give exactly one of "message" and "raw"')
    if message is not None:
        return _build(message), {}
    assert raw is not None
    data = _string(raw, "data").encode("utf-8")
    return data, {"from_addr": _string(raw, "mail_from"), "to_addrs": _string_list(raw, "rcpt_to")}


def _reply(reply: Any) -> Json:
    return {"code": reply.code, "enhanced": reply.enhanced, "text": reply.text}


def _recipients(replies: Dict[str, email365.Reply]) -> Json:
    return [{"recipient": recipient, "reply": _reply(reply)} for recipient, reply in replies.items()]


def _delivery(result: email365.SendResult) -> Json:
    return {
        "notification_id": result.notification_id,
        "final_reply": _reply(result.final_reply),
        "accepted": _recipients(result.accepted_replies),
        "rejected": _recipients(result.rejected),
    }


def smtp_send(args: Args) -> Json:
    message, envelope = _item(args)
    host, port, kwargs = _client_args(args)
    if _ASYNC:

        async def send() -> email365.SendResult:
            async with email365.aio.SmtpClient(host, port, **kwargs) as client:
                return await client.send(message, **envelope)

        return _delivery(asyncio.run(send()))
    with email365.SmtpClient(host, port, **kwargs) as client:
        return _delivery(client.send(message, **envelope))


def smtp_send_many(args: Args) -> Json:
    items = args.get("messages")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _bad("messages", "must be a list of objects")
    messages: List[Any] = []  # (message, from_addr, to_addrs) with an explicit envelope
    for item in items:
        message, envelope = _item(item)
        messages.append((message, envelope["from_addr"], envelope["to_addrs"]) if envelope else message)
    host, port, kwargs = _client_args(args)
    results: List[Any]
    if _ASYNC:

        async def send_many() -> List[Any]:
            async with email365.aio.SmtpClient(host, port, **kwargs) as client:
                return await client.send_many(messages, return_exceptions=True)

        results = asyncio.run(send_many())
    else:
        with email365.SmtpClient(host, port, **kwargs) as client:
            results = client.send_many(messages, return_exceptions=True)
    answers: List[Json] = []
    for r in results:
        if isinstance(r, email365.Email365Error):
            answers.append(_error_of(r))
        elif isinstance(r, BaseException):
            raise r
        else:
            answers.append({"ok": _delivery(r)})
    return {"results": answers}


OPS: Dict[str, Callable[[Args], Json]] = {
    "validate_address": validate_address,
    "classify_reply": classify_reply,
    "extract_notification_id": extract_notification_id,
    "status_request": status_request,
    "parse_status": parse_status,
    "status_http_error": status_http_error,
    "status_poll": status_poll,
    "build_message": build_message,
    "envelope_from_message": envelope_from_message,
    "smtp_send": smtp_send,
    "smtp_send_many": smtp_send_many,
}


def _error(kind: str, message: str, reason: Optional[str] = None, position: Optional[int] = None) -> Json:
    return {
        "error": {
            "kind": kind, "reason": reason, "message": message, "position": position,
            "transient": False, "reply": None, "replies": [],
        }
    }


def _error_reply(r: email365.ErrorReply) -> Json:
    return {"code": r.code, "enhanced": r.enhanced, "text": r.text, "recipient": r.recipient}


def _error_of(e: email365.Email365Error) -> Json:
    replies = [_error_reply(r) for r in e.replies]
    return {
        "error": {
            "kind": e.kind, "reason": e.reason, "message": e.message, "position": e.position,
            "transient": e.transient, "reply": replies[0] if replies else None, "replies": replies,
        }
    }


def handle_request(request: Json) -> Json:
    """Answers one parsed request with the answer object (never raises)."""
    try:
        if not isinstance(request, dict) or not isinstance(request.get("op"), str):
            raise _ArgError('request has no string "op"')
        op: str = request["op"]
        args = request.get("args", {})
        if not isinstance(args, dict):
            raise _ArgError('"args" must be an object')
        handler = OPS.get(op)
        if handler is None:
            raise _ArgError(f"unknown op {json.dumps(op)}", reason="unknown_op")
        return {"ok": handler(args)}
    except email365.Email365Error as e:
        return _error_of(e)
    except _ArgError as e:
        return _error(e.kind, e.message, e.reason)
    except (TypeError, ValueError) as e:
        # A value the API refused before the core saw it (e.g. a string that is not
        # valid Unicode): the same class of failure as a bad argument.
        return _error("invalid_argument", str(e))
    except Exception as e:  # noqa: BLE001 - the driver answers every line
        return _error("internal", f"{type(e).__name__}: {e}")


def handle_line(line: str) -> str:
    """Answers one request line with one JSON line (without the newline)."""
    try:
        request = json.loads(line)
    except ValueError as e:
        answer = _error("invalid_argument", f"request is not JSON: {e}")
    else:
        answer = handle_request(request)
    return json.dumps(answer, ensure_ascii=False)


def run(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Answers every line of ``stdin`` on ``stdout``, flushing after each answer."""
    for raw in stdin:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not text.strip():
            continue
        stdout.write(handle_line(text).encode("utf-8", errors="surrogatepass") + b"\n")
        stdout.flush()


def main() -> None:
    global _ASYNC
    for arg in sys.argv[1:]:
        if arg != "--async":
            sys.exit(f"email365.conformance: unknown argument {arg!r} (only --async)")
        _ASYNC = True
    try:
        run(sys.stdin.buffer, sys.stdout.buffer)
    except BrokenPipeError:
        pass


if __name__ == "__main__":
    main()
