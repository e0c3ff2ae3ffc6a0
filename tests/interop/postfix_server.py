"""A private Postfix instance for the interop tests (Rust, Python and C).

Postfix is Debian's package, unpacked by scripts/setup.sh into a cache folder
(`${XDG_CACHE_HOME:-~/.cache}/email365/postfix`: Debian's postfix and exim4 packages
conflict, and the Exim tests need Exim installed) or, where the package is installed,
the system's own binaries. Run as root (CI is): Postfix starts as root and drops to its
`postfix` user.

    .venv/bin/python tests/interop/postfix_server.py

starts an instance on a free port of 127.0.0.1, everything (configuration, queue, data,
mailboxes, log) under one temporary folder, and prints one JSON line:

    {"host", "port", "ca_file", "username", "password", "maildir", "log", "startup_ms"}

Then it reads commands, one a line, on stdin:

    deliveries QUEUE_ID COUNT

waits (up to 30 s) until COUNT deliveries of the message Postfix queued as QUEUE_ID (the id
of its `250 2.0.0 Ok: queued as QUEUE_ID` reply) are in the Maildir, and prints one JSON
line `{"deliveries": [{"queue_id", "recipient", "return_path", "message_b64"}, ...]}`
ordered by recipient: `recipient` is the envelope recipient (Delivered-To), `return_path`
the envelope sender, `message_b64` the message as stored (the lines Postfix prepended
removed; line ends are LF in a Maildir). Fewer than COUNT are printed when time ran out.
It stops the instance (`postfix -c DIR stop`) and removes the folder at EOF on stdin (or
SIGTERM). The instance:

- requires STARTTLS (`smtpd_tls_security_level = encrypt`) with a certificate for
  localhost / 127.0.0.1 signed by a CA made here (`ca_file`);
- offers AUTH PLAIN and LOGIN (Cyrus SASL, a sasldb2 file in the folder) after STARTTLS
  only, and relays for authenticated clients only;
- refuses recipients whose local part starts with `reject` with `550 5.1.1`;
- delivers every accepted recipient, one file each, to the Maildir `<maildir>/all/` (the
  `virtual` transport; Postfix adds Return-Path, Delivered-To and Received);
- looks nothing up in DNS, runs nothing chrooted, and logs to `log`.

`--check` only tells whether Postfix can be found (exit 0) or why not (exit 1).
"""
from __future__ import annotations

import argparse
import base64
import os
import pwd
import re
import grp
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testkit import free_port, make_certs, serve, start_line, wait_for_banner

SETUP_HINT = "run `bash scripts/setup.sh` (make test does), which unpacks Debian's postfix"
USERNAME = "postfix-user@example.com"

MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
{listen} inet  n       -       n       -       -       smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def find_postfix() -> tuple[Path, Path]:
    """(command directory, daemon directory) of the Postfix to run, or SystemExit."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "email365" / "postfix"
    candidates = []
    if os.environ.get("EMAIL365_POSTFIX_ROOT"):
        candidates.append(Path(os.environ["EMAIL365_POSTFIX_ROOT"]))
    candidates += [cache, Path("/")]
    for root in candidates:
        sbin, daemons = root / "usr/sbin", root / "usr/lib/postfix/sbin"
        if (sbin / "postfix").is_file() and (daemons / "master").is_file():
            return sbin, daemons
    raise SystemExit(f"Postfix not found (looked in {', '.join(map(str, candidates))}): {SETUP_HINT}")


class Instance:
    def __init__(self) -> None:
        if os.geteuid() != 0:
            raise SystemExit("the Postfix harness runs as root (Postfix starts as root and drops privileges)")
        try:
            self.owner = pwd.getpwnam("postfix")
            grp.getgrnam("postdrop")
        except KeyError:
            raise SystemExit(f"the postfix user or postdrop group is missing: {SETUP_HINT}") from None
        self.sbin, self.daemons = find_postfix()
        self.shlib = self.daemons.parent
        self.top = Path(tempfile.mkdtemp(prefix="email365-postfix-"))
        os.chmod(self.top, 0o755)
        self.conf = self.top / "etc"
        self.maildir = self.top / "mail"
        self.log = self.top / "maillog"
        self.password = "pf-" + secrets.token_hex(12)
        self.port = 0
        self.startup_ms = 0

    def env(self) -> dict[str, str]:
        # Debian's binaries find their libpostfix-*.so through a RUNPATH of /usr/lib/postfix;
        # unpacked elsewhere they need LD_LIBRARY_PATH (passed on by import_environment).
        return {**os.environ, "LD_LIBRARY_PATH": str(self.shlib), "MAIL_CONFIG": str(self.conf)}

    def postfix(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.sbin / "postfix"), "-c", str(self.conf), *args],
            env=self.env(), capture_output=True, text=True, timeout=60,
        )

    def write_config(self) -> None:
        conf, top = self.conf, self.top
        conf.mkdir()
        (conf / "dynamicmaps.cf").write_text("")
        (conf / "dynamicmaps.cf.d").mkdir()
        (conf / "postfix-files.d").mkdir()
        files = self.sbin.parent.parent / "etc/postfix/postfix-files"
        if files.is_file():
            shutil.copy(files, conf / "postfix-files")
        else:
            (conf / "postfix-files").write_text("")
        ca_file, cert_file, key_file = make_certs(conf, "email365 Postfix test CA")
        self.ca_file = ca_file
        uid, gid = self.owner.pw_uid, self.owner.pw_gid
        self.maildir.mkdir()
        os.chown(self.maildir, uid, gid)
        (conf / "recipient_access").write_text("/^reject/ 550 5.1.1 no such user\n")
        (conf / "virtual_domains").write_text("/./ OK\n")
        # Cyrus SASL reads <cyrus_sasl_config_path>/smtpd.conf (Debian's build: the `sasl`
        # folder of the configuration directory); the password database stays outside the
        # configuration directory, owned by the postfix user that reads it.
        sasldb = top / "sasldb2"
        (conf / "sasl").mkdir()
        (conf / "sasl/smtpd.conf").write_text(
            "pwcheck_method: auxprop\n"
            "auxprop_plugin: sasldb\n"
            f"sasldb_path: {sasldb}\n"
            "mech_list: PLAIN LOGIN\n"
        )
        user, realm = USERNAME.split("@")
        subprocess.run(
            ["saslpasswd2", "-p", "-c", "-f", str(sasldb), "-u", realm, user],
            input=self.password, text=True, check=True, capture_output=True,
        )
        os.chown(sasldb, uid, gid)
        os.chmod(sasldb, 0o600)
        self.port = free_port()
        (conf / "master.cf").write_text(MASTER_CF.format(listen=f"127.0.0.1:{self.port}"))
        main = {
            "compatibility_level": "3.6",
            "config_directory": str(conf),
            "meta_directory": str(conf),
            "queue_directory": str(top / "queue"),
            "data_directory": str(top / "data"),
            "command_directory": str(self.sbin),
            "daemon_directory": str(self.daemons),
            "shlib_directory": str(self.shlib),
            "import_environment": f"MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH={self.shlib}",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "maillog_file": str(self.log),
            "maillog_file_prefixes": str(self.top),
            "myhostname": "postfix.test",
            "mydomain": "postfix.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "mynetworks": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "disable_dns_lookups": "yes",
            "smtp_host_lookup": "native",
            "smtpd_peername_lookup": "no",
            "biff": "no",
            "alias_maps": "",
            "alias_database": "",
            # Clients on 127.0.0.1 are remote here: their headers are not rewritten.
            "local_header_rewrite_clients": "",
            "smtpd_tls_security_level": "encrypt",
            "smtpd_tls_cert_file": str(cert_file),
            "smtpd_tls_key_file": str(key_file),
            "smtpd_tls_auth_only": "yes",
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_sasl_type": "cyrus",
            "smtpd_sasl_path": "smtpd",
            "cyrus_sasl_config_path": str(conf / "sasl"),
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject",
            "smtpd_recipient_restrictions": f"check_recipient_access regexp:{conf / 'recipient_access'}",
            "virtual_mailbox_domains": f"regexp:{conf / 'virtual_domains'}",
            # One Maildir (the trailing slash) for every recipient: virtual(8) refuses
            # a mailbox named by a regexp substitution, and each delivery is a file of
            # its own anyway, its recipient in its Delivered-To line.
            "virtual_mailbox_maps": "static:all/",
            "virtual_mailbox_base": str(self.maildir),
            "virtual_minimum_uid": str(uid),
            "virtual_uid_maps": f"static:{uid}",
            "virtual_gid_maps": f"static:{gid}",
        }
        (conf / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in main.items()))

    def start(self) -> None:
        began = time.monotonic()
        self.write_config()
        (self.top / "queue").mkdir(mode=0o755)
        (self.top / "data").mkdir(mode=0o700)
        os.chown(self.top / "data", self.owner.pw_uid, self.owner.pw_gid)
        # start-fg: the master daemon stays this process's child, so it is waited for.
        self.master = subprocess.Popen(
            [str(self.sbin / "postfix"), "-c", str(self.conf), "start-fg"],
            env=self.env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=(self.top / "start.txt").open("w"),
        )

        def output() -> str:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            return (self.top / "start.txt").read_text(errors="replace") + log

        wait_for_banner(self.port, self.master, 30, "postfix", output)
        self.startup_ms = round((time.monotonic() - began) * 1000)

    def stop(self) -> None:
        master = getattr(self, "master", None)
        if master is not None and master.poll() is None:
            self.postfix("stop")
            try:
                master.wait(timeout=20)
            except subprocess.TimeoutExpired:
                master.kill()
                master.wait()
        shutil.rmtree(self.top, ignore_errors=True)

    def info(self) -> dict[str, object]:
        return start_line(
            self.port, self.ca_file, USERNAME, self.password, self.startup_ms,
            maildir=str(self.maildir), log=str(self.log),
        )


PREPENDED = (b"return-path", b"x-original-to", b"delivered-to", b"received")


def split_delivery(data: bytes) -> dict[str, str]:
    """A delivered file: the fields Postfix put before the message (Return-Path,
    X-Original-To, Delivered-To, then its own Received, folded) apart from the message
    as received."""
    fields: dict[bytes, bytes] = {}
    rest = data
    for name in PREPENDED:
        line, _, after = rest.partition(b"\n")
        if line.split(b":", 1)[0].lower() != name:
            continue
        value = line.split(b":", 1)[1]
        while after[:1] in (b" ", b"\t"):
            folded, _, after = after.partition(b"\n")
            value += b" " + folded.strip()
        fields[name] = value.strip()
        rest = after
    queue_id = re.search(rb"\bid ([0-9A-Za-z]+)", fields.get(b"received", b""))
    return {
        "queue_id": queue_id.group(1).decode() if queue_id else "",
        "recipient": fields.get(b"delivered-to", b"").decode(),
        "return_path": fields.get(b"return-path", b"").decode().strip("<>"),
        "message_b64": base64.b64encode(rest).decode("ascii"),
    }


def deliveries(maildir: Path, queue_id: str, count: int, timeout: float = 30.0) -> list[dict[str, str]]:
    """The deliveries of message `queue_id` (waiting up to `timeout` for `count` of them),
    ordered by recipient."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        new = maildir / "all" / "new"
        for f in sorted(new.iterdir()) if new.is_dir() else []:
            d = split_delivery(f.read_bytes())
            if d["queue_id"] == queue_id:
                found.append(d)
        if len(found) >= count or time.monotonic() > deadline:
            return sorted(found, key=lambda d: d["recipient"])
        time.sleep(0.05)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="only tell whether Postfix can be found")
    opts = p.parse_args()
    if opts.check:
        sbin, _ = find_postfix()
        print(sbin / "postfix")
        return 0
    instance = Instance()

    def command(words: list[str]) -> dict[str, object] | None:
        if len(words) == 3 and words[0] == "deliveries" and words[2].isdigit():
            return {"deliveries": deliveries(instance.maildir, words[1], int(words[2]))}
        return None

    return serve(instance, command)


if __name__ == "__main__":
    sys.exit(main())
