"""A private Exim instance for the interop tests of the bindings (Node; any language that
can start a process and read a line).

Exim is Debian's `exim4-daemon-light`, installed by scripts/setup-exim.sh (run by
scripts/setup.sh). Run as root (CI is): the spool and log are handed to Exim's own user.

    .venv/bin/python tests/interop/exim_server.py

starts a foreground daemon (`exim4 -C <config> -bdf`) on a free port of 127.0.0.1,
everything (configuration, spool, log, certificates) under one temporary folder, and
prints one JSON line:

    {"host", "port", "ca_file", "username", "password", "spool", "startup_ms"}

Then it reads commands, one a line, on stdin:

    stored ID

prints one JSON line `{"headers_b64", "body_b64"}`: what Exim holds for the message it
named ID in its `250 OK id=ID` reply, read from its spool (`input/ID-H`, the envelope and
headers file as Exim writes it; `input/ID-D` without its first line, the body with LF line
ends), or `{"error": ...}` when it holds nothing under that id. It kills the daemon and
removes the folder at EOF on stdin (or SIGTERM). The instance is the one the Rust tests
configure (core/tests/smtp_interop_exim.rs):

- STARTTLS offered to everyone, with a certificate for localhost / 127.0.0.1 signed by a
  CA made here (`ca_file`);
- AUTH PLAIN for one user, offered over TLS only, and required for MAIL FROM;
- PIPELINING and CHUNKING (Exim's defaults);
- refuses recipients whose local part starts with `reject` (550 5.1.1) and senders at
  `unregistered.example` (550 5.7.1);
- `queue_only`: nothing is delivered, every accepted message stays in the spool;
- looks nothing up in DNS or ident.

`--check` only tells whether Exim is installed (exit 0) or why not (exit 1).
"""
from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testkit import free_port, make_certs, serve, start_line, wait_for_banner

EXIM = Path("/usr/sbin/exim4")
SETUP_HINT = "run `bash scripts/setup.sh` (make test does), which installs exim4-daemon-light"
USERNAME = "exim-user@example.com"

CONFIG = Path(__file__).with_name("exim.conf")


def check() -> None:
    if not EXIM.is_file():
        raise SystemExit(f"{EXIM} is missing: {SETUP_HINT}")


class Instance:
    def __init__(self) -> None:
        check()
        if os.geteuid() != 0:
            raise SystemExit("the Exim harness runs as root (the spool is handed to Exim's user)")
        self.top = Path(tempfile.mkdtemp(prefix="email365-exim-"))
        os.chmod(self.top, 0o755)
        # Letters and digits only: the password sits in an Exim expansion.
        self.password = "ex" + secrets.token_hex(12)
        self.port = 0
        self.startup_ms = 0
        self.daemon: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        began = time.monotonic()
        top = self.top
        (top / "spool").mkdir()
        (top / "log").mkdir()
        certs = top / "certs"
        certs.mkdir()
        self.ca_file, cert_file, key_file = make_certs(certs, "email365 Exim test CA")
        self.port = free_port()
        config = top / "exim.conf"
        text = CONFIG.read_text()
        for name, value in [("DIR", top), ("PORT", self.port), ("CERT", cert_file), ("KEY", key_file),
                            ("USER", USERNAME), ("PASSWORD", self.password)]:
            text = text.replace(f"@{name}@", str(value))
        config.write_text(text)
        # Exim receives as its own user (Debian-exim): it writes the spool and logs and reads
        # the key; the configuration stays root's (Exim refuses one owned by anyone else).
        for path in [top, top / "spool", top / "log", key_file]:
            shutil.chown(path, user="Debian-exim")
        self.daemon = subprocess.Popen(
            [str(EXIM), "-C", str(config), "-bdf"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=(top / "stderr.txt").open("w"),
        )

        def output() -> str:
            panic = top / "log" / "paniclog"
            log = panic.read_text(errors="replace") if panic.exists() else ""
            return (top / "stderr.txt").read_text(errors="replace") + log

        wait_for_banner(self.port, self.daemon, 20, "exim", output)
        self.startup_ms = round((time.monotonic() - began) * 1000)

    def stop(self) -> None:
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        shutil.rmtree(self.top, ignore_errors=True)

    def info(self) -> dict[str, object]:
        return start_line(
            self.port, self.ca_file, USERNAME, self.password, self.startup_ms, spool=str(self.top / "spool")
        )

    def stored(self, message_id: str) -> dict[str, str]:
        """What the spool holds for `message_id` (an id as Exim gives it: letters, digits, '-')."""
        if not message_id or not all(c.isalnum() or c == "-" for c in message_id):
            return {"error": f"not an Exim id: {message_id!r}"}
        folder = self.top / "spool" / "input"
        headers, data = folder / f"{message_id}-H", folder / f"{message_id}-D"
        if not (headers.is_file() and data.is_file()):
            return {"error": f"no message {message_id} in the spool"}
        body = data.read_bytes()
        body = body[body.find(b"\n") + 1:]
        return {
            "headers_b64": base64.b64encode(headers.read_bytes()).decode("ascii"),
            "body_b64": base64.b64encode(body).decode("ascii"),
        }


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="only tell whether Exim is installed")
    opts = p.parse_args()
    if opts.check:
        check()
        print(EXIM)
        return 0
    instance = Instance()
    return serve(instance, lambda words: instance.stored(words[1]) if words[:1] == ["stored"] and len(words) == 2 else None)


if __name__ == "__main__":
    sys.exit(main())
