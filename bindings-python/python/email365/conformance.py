"""The Python conformance driver: ``python -m email365.conformance``.

Reads one JSON request a line on stdin, ``{"op": "...", "args": {...}}``, and writes one
JSON line per request on stdout: ``{"ok": <result>}`` or ``{"error": {"kind", "reason",
"message", "position"}}`` (DESIGN.md, "the conformance driver"). Every op goes through
the public Python API of ``email365``, and its arguments are read with the same rules
as the Rust driver's (``tests/conformance/src/args.rs``), so that both drivers give the
same answers on every shared vector.
"""

from __future__ import annotations

import json
import sys
from typing import Any, BinaryIO, Callable, Dict, List, Optional

import email365

Json = Any
Args = Dict[str, Json]


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


OPS: Dict[str, Callable[[Args], Json]] = {
    "validate_address": validate_address,
    "classify_reply": classify_reply,
    "extract_notification_id": extract_notification_id,
    "status_request": status_request,
    "parse_status": parse_status,
}


def _error(kind: str, message: str, reason: Optional[str] = None, position: Optional[int] = None) -> Json:
    return {"error": {"kind": kind, "reason": reason, "message": message, "position": position}}


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
        return _error(e.kind, e.message, e.reason, e.position)
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
    try:
        run(sys.stdin.buffer, sys.stdout.buffer)
    except BrokenPipeError:
        pass


if __name__ == "__main__":
    main()
