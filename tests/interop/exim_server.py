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
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from postfix_server import free_port, make_certs

EXIM = Path("/usr/sbin/exim4")
SETUP_HINT = "run `bash scripts/setup.sh` (make test does), which installs exim4-daemon-light"
USERNAME = "exim-user@example.com"

CONFIG = """\
primary_hostname = exim.test
spool_directory = {d}/spool
log_file_path = {d}/log/%slog
pid_file_path = {d}/exim.pid
notifier_socket = {d}/notifier
local_interfaces = 127.0.0.1
daemon_smtp_ports = {port}
queue_only = true
tls_advertise_hosts = *
tls_certificate = {cert}
tls_privatekey = {key}
auth_advertise_hosts = ${{if eq{{$tls_in_cipher}}{{}}{{}}{{*}}}}
host_lookup =
rfc1413_hosts =
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_mail:
  deny message = 5.7.1 Sender not registered
       senders = *@unregistered.example
  deny message = 5.7.0 Authentication required
       !authenticated = *
  accept
acl_check_rcpt:
  deny message = 5.1.1 Recipient address rejected
       local_parts = ^reject.*
  accept
begin routers
begin transports
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${{if and {{{{eq{{$auth2}}{{{user}}}}}{{eq{{$auth3}}{{{password}}}}}}}}}
  server_set_id = $auth2
"""


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
        config.write_text(CONFIG.format(
            d=top, port=self.port, cert=cert_file, key=key_file, user=USERNAME, password=self.password,
        ))
        # Exim receives as its own user (Debian-exim): it writes the spool and logs and reads
        # the key; the configuration stays root's (Exim refuses one owned by anyone else).
        for path in [top, top / "spool", top / "log", key_file]:
            shutil.chown(path, user="Debian-exim")
        self.daemon = subprocess.Popen(
            [str(EXIM), "-C", str(config), "-bdf"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=(top / "stderr.txt").open("w"),
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    if s.recv(512).startswith(b"220"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or self.daemon.poll() is not None:
                stderr = (top / "stderr.txt").read_text(errors="replace")
                panic = top / "log" / "paniclog"
                log = panic.read_text(errors="replace") if panic.exists() else ""
                raise SystemExit(f"exim did not start (exit {self.daemon.poll()}): {stderr}{log}")
            time.sleep(0.05)
        self.startup_ms = round((time.monotonic() - began) * 1000)

    def stop(self) -> None:
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        shutil.rmtree(self.top, ignore_errors=True)

    def info(self) -> dict[str, object]:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "ca_file": str(self.ca_file),
            "username": USERNAME,
            "password": self.password,
            "spool": str(self.top / "spool"),
            "startup_ms": self.startup_ms,
        }

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
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        instance.start()
        print(json.dumps(instance.info()), flush=True)
        for line in sys.stdin:
            words = line.split()
            if len(words) == 2 and words[0] == "stored":
                print(json.dumps(instance.stored(words[1])), flush=True)
            else:
                print(json.dumps({"error": f"unknown command: {line.strip()}"}), flush=True)
    finally:
        instance.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
