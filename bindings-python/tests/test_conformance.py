"""The conformance driver process: protocol behaviour (the vectors run from `make`)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, List

from email365 import conformance


def run_driver(lines: List[str]) -> List[Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "email365.conformance"],
        input="".join(line + "\n" for line in lines).encode(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def test_one_answer_per_request_and_the_driver_goes_on() -> None:
    answers = run_driver(
        [
            "not json",
            json.dumps({"op": "no_such_op", "args": {}}),
            json.dumps({"op": "validate_address", "args": {"address": 5}}),
            "",
            json.dumps({"op": "validate_address", "args": {"address": "x@example.com"}}),
        ]
    )
    assert len(answers) == 4
    assert answers[0]["error"]["kind"] == "invalid_argument"
    assert answers[1]["error"] == {
        "kind": "invalid_argument",
        "reason": "unknown_op",
        "message": 'unknown op "no_such_op"',
        "position": None,
        "transient": False,
        "reply": None,
        "replies": [],
    }
    assert answers[2]["error"]["kind"] == "invalid_argument"
    assert answers[3]["ok"]["ascii_domain"] == "example.com"
    assert set(answers[3]["ok"]) == {"local", "domain", "ascii_domain", "display_name", "smtputf8"}


def test_a_seven_megabyte_line_is_answered() -> None:
    body = json.dumps({"Notification": {"notificationId": "x" * 7_000_000, "status": []}})
    answers = run_driver([json.dumps({"op": "parse_status", "args": {"body": body}})])
    assert len(answers) == 1
    assert answers[0]["ok"]["notification_id"] == "x" * 7_000_000


def test_error_lines_carry_every_key() -> None:
    answer = json.loads(conformance.handle_line(json.dumps({"op": "validate_address", "args": {"address": "nope"}})))
    assert answer["error"]["kind"] == "invalid_address"
    assert answer["error"]["reason"] == "no_at"
    assert answer["error"]["position"] == 4
    assert isinstance(answer["error"]["message"], str)
