"""The `send` and `status` commands of every binding (docs/CLI.md): the Rust example, the
Python module and console script, the C programs and the npm package's `bin`, run with the
same arguments against the sandbox, must print the same JSON (ids aside) and exit with the
same codes.

The Rust examples are built here (release, feature `cli`); the Python package, the C
programs and the npm package come from `make python`, `make -C bindings-c` and `make wasm`
(all run by `make test` first).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "interop"))
import testkit  # noqa: E402
VENV = ROOT / ".venv" / "bin"


def commands(name: str) -> Dict[str, List[str]]:
    """Each binding's `name` command as an argv prefix."""
    return {
        "rust": [str(ROOT / "target" / "release" / "examples" / name)],
        "python-module": [str(VENV / "python"), "-m", "email365", name],
        "python-script": [str(VENV / "email365"), name],
        "c": [str(ROOT / "bindings-c" / "build" / f"e365-{name}")],
        "node": ["node", str(ROOT / "bindings-wasm" / "pkg" / "bin" / "email365.mjs"), name],
    }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Dict[str, Any]]:
    subprocess.run(
        ["cargo", "build", "-q", "--release", "-p", "email365", "--features", "cli",
         "--example", "send", "--example", "status"],
        cwd=ROOT,
        check=True,
    )
    for argv in list(commands("send").values()) + list(commands("status").values()):
        program = argv[1] if argv[0] == "node" else argv[0]
        assert Path(program).exists(), f"{program} is missing: run make python, make -C bindings-c and make wasm"
    with testkit.sandbox("--step-ms", "0", "--sender-domain", "example.com") as info:
        yield info


def run(argv: List[str], info: Dict[str, Any]) -> Tuple[int, List[Dict[str, Any]], str]:
    env = dict(os.environ, E365_TEST_PASSWORD=info["password"])
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    return out.returncode, lines, out.stdout + out.stderr


IDS = re.compile(r'"(notification_id|message_id|timestamp)": "[^"]*"')


def normalised(lines: List[Dict[str, Any]]) -> str:
    """The JSON with the values that differ per send replaced."""
    text = json.dumps(lines, sort_keys=True)
    text = IDS.sub(lambda m: f'"{m.group(1)}": "*"', text)
    return re.sub(r"queued as \d+", "queued as *", text)


def smtp_args(info: Dict[str, Any]) -> List[str]:
    return [
        "--host", "localhost", "--port", str(info["smtp_port"]), "--ca", info["ca_file"],
        "--username", info["username"], "--password-env", "E365_TEST_PASSWORD",
    ]


def test_send_prints_the_same_json_in_every_binding(sandbox: Dict[str, Any]) -> None:
    args = smtp_args(sandbox) + [
        "--from", "sender@example.com", "--to", "alice@example.org",
        "--to", "reject-bob@example.org", "--subject", "Hello", "--text", "Hi\n",
        "--repeat", "2",
    ]
    seen = {}
    for binding, prefix in commands("send").items():
        code, lines, output = run(prefix + args, sandbox)
        assert code == 0, f"{binding}: {output}"
        assert len(lines) == 2, f"{binding}: {output}"
        assert lines[0]["ok"]["rejected"][0]["reply"]["code"] == 550, binding
        assert sandbox["password"] not in output, binding
        seen[binding] = normalised(lines)
    assert len(set(seen.values())) == 1, seen


def test_status_prints_the_same_json_in_every_binding(sandbox: Dict[str, Any]) -> None:
    code, lines, output = run(
        commands("send")["rust"] + smtp_args(sandbox)
        + ["--from", "sender@example.com", "--to", "alice@example.org", "--subject", "s", "--text", "t"],
        sandbox,
    )
    assert code == 0, output
    notification_id = lines[0]["ok"]["notification_id"]
    args = [
        "--account", sandbox["account_id"], "--username", sandbox["username"],
        "--password-env", "E365_TEST_PASSWORD", "--base-url", sandbox["http_url"],
        "--id", notification_id, "--wait", "30",
    ]
    seen = {}
    for binding, prefix in commands("status").items():
        code, lines, output = run(prefix + args, sandbox)
        assert code == 0, f"{binding}: {output}"
        assert lines[-1]["ok"]["all_final"] is True, f"{binding}: {output}"
        seen[binding] = normalised(lines)
    assert len(set(seen.values())) == 1, seen


@pytest.mark.parametrize("bad", [["--bogus", "x"], ["--port", "70000"], ["--tls", "none"]], ids=["unknown-flag", "port", "tls"])
def test_bad_arguments_exit_two_in_every_binding(sandbox: Dict[str, Any], bad: List[str]) -> None:
    args = ["--host", "localhost", "--from", "a@example.com", "--to", "b@example.com",
            "--subject", "s", "--text", "t"] + bad
    for binding, prefix in commands("send").items():
        code, lines, output = run(prefix + args, sandbox)
        assert code == 2, f"{binding}: {output}"
        assert lines[-1]["error"]["kind"] == "invalid_argument", binding
        assert lines[-1]["error"]["reason"] == "usage", binding
