"""The checks of scripts/dist-test.sh inside a fresh venv (copied out of the clone and
run by that venv's python, from a temporary folder, with a minimal environment).

``checks.py import VENV``: the package is imported from VENV, and nothing of the clone
(``$E365_CLONE``) is on sys.path or in the environment.
``checks.py wheel VENV``: that, plus the ``email365`` console command, ``email365
sandbox`` from the wheel, a send through it with ``email365 send`` and with the API,
and the pytest plugin's entry point.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys


def check_import(venv: pathlib.Path) -> None:
    clone = os.environ["E365_CLONE"]
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "NODE_PATH", "PKG_CONFIG_PATH", "LD_LIBRARY_PATH"):
        assert name not in os.environ, name
    assert all(clone not in value for value in os.environ.values() if value != clone), os.environ
    assert not any(p.startswith(clone) for p in sys.path), sys.path
    assert not os.getcwd().startswith(clone)
    import email365

    where = pathlib.Path(email365.__file__).resolve()
    assert where.is_relative_to(venv.resolve()), where
    native = pathlib.Path(email365._native.__file__).resolve()
    assert native.is_relative_to(venv.resolve()), native
    version = importlib.metadata.version("email365")
    assert email365.__version__ == version, (email365.__version__, version)
    built = email365.Message(from_addr="a@example.com", to="b@example.org", subject="s", text="t\n").build()
    assert built.envelope.rcpt_to == ("b@example.org",)
    print(f"import ok: email365 {version} from {where.parent}")


def check_wheel(venv: pathlib.Path) -> None:
    check_import(venv)
    import email365
    from email365.testing import SandboxInfo

    command = str(venv / "bin" / "email365")
    usage = subprocess.run([command, "--help"], capture_output=True, text=True, check=True).stdout
    assert "email365 send" in usage and "email365 sandbox" in usage, usage
    plugins = [ep.value for ep in importlib.metadata.entry_points(group="pytest11") if ep.name == "email365"]
    assert plugins == ["email365.pytest_plugin"], plugins

    sandbox = subprocess.Popen(
        [command, "sandbox", "--json", "--exit-on-stdin-eof", "--step-ms", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert sandbox.stdin is not None and sandbox.stdout is not None
    try:
        info = SandboxInfo.from_start_line(json.loads(sandbox.stdout.readline()))
        sent = subprocess.run(
            [command, "send", "--host", info.host, "--port", str(info.port), "--ca", info.ca_file,
             "--username", info.username, "--password-env", "E365_PASSWORD", "--from", "shop@example.com",
             "--to", "a@example.org", "--subject", "From the wheel", "--text", "Hello"],
            capture_output=True, text=True, env={**os.environ, "E365_PASSWORD": info.password},
        )
        assert sent.returncode == 0, (sent.stdout, sent.stderr)
        last = json.loads(sent.stdout.strip().splitlines()[-1])
        assert "ok" in last, last
        with info.smtp_client() as client:
            result = client.send(email365.Message(from_addr="shop@example.com", to="b@example.org",
                                                  subject="From the API", text="Hello\n"))
        assert result.notification_id is not None
        assert info.status_client().get(result.notification_id).all_final
        received = info.messages()
        assert [m.rcpt_to for m in received] == [["a@example.org"], ["b@example.org"]], received
        print(f"wheel ok: `email365 sandbox` on port {info.port}, 2 messages sent through it")
    finally:
        sandbox.stdin.close()
        assert sandbox.wait(timeout=10) == 0
        sandbox.stdout.close()


if __name__ == "__main__":
    mode, venv = sys.argv[1], pathlib.Path(sys.argv[2])
    {"import": check_import, "wheel": check_wheel}[mode](venv)
