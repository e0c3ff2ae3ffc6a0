"""What the end-to-end harnesses of every binding share: a test CA and a server
certificate it signed, a free port, the wait for a server's 220 banner, the line protocol
of the interop servers (`serve`), and the project's sandbox (tests/sandbox) started for
the length of a `with` block.

Imported by tests/interop/postfix_server.py and exim_server.py (its own folder), bindings-c/tests/e2e.py,
tests/python/test_commands.py and the Python package's tests (this folder on their path).
"""
from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Protocol, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]


def make_certs(folder: Path, ca_common_name: str) -> Tuple[Path, Path, Path]:
    """A CA named `ca_common_name` and a certificate for localhost / 127.0.0.1 signed by
    it, written to `folder`: (ca.pem, server.pem, server.key, readable by its owner only)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_common_name)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_banner(port: int, proc: "subprocess.Popen[bytes]", seconds: float, name: str, output: Callable[[], str]) -> None:
    """Waits until 127.0.0.1:`port` greets with 220; SystemExit naming `name`, its exit
    status and `output()` (what it wrote) if `proc` ends first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                if s.recv(512).startswith(b"220"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit(f"{name} did not start (exit {proc.poll()}): {output()}")
        time.sleep(0.05)


def start_line(
    port: int, ca_file: Path, username: str, password: str, startup_ms: int, **extra: str
) -> Dict[str, object]:
    """An interop harness's JSON start line: where it listens, its CA and account, the
    `extra` fields of that server, and how long it took to start."""
    return {
        "host": "127.0.0.1",
        "port": port,
        "ca_file": str(ca_file),
        "username": username,
        "password": password,
        **extra,
        "startup_ms": startup_ms,
    }


class Server(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def info(self) -> Dict[str, object]: ...


def serve(server: Server, command: Callable[[List[str]], Optional[Dict[str, Any]]]) -> int:
    """The interop harnesses' protocol: starts `server`, prints its `info()` as one JSON
    line, then answers each stdin line with the JSON `command(words)` returns (or an
    error for an unknown command); stops the server at EOF or SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.start()
        print(json.dumps(server.info()), flush=True)
        for line in sys.stdin:
            answer = command(line.split())
            if answer is None:
                answer = {"error": f"unknown command: {line.strip()}"}
            print(json.dumps(answer), flush=True)
    finally:
        server.stop()
    return 0


@contextlib.contextmanager
def sandbox(*args: str) -> Iterator[Dict[str, Any]]:
    """The sandbox (built in release first) started with `args`: gives its start line
    (JSON: ports, account, credentials, CA file); stopped (stdin closed) at the end, and
    killed if it has not exited 10 s later (an error)."""
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "email365-sandbox"], cwd=ROOT, check=True)
    proc = subprocess.Popen(
        [str(ROOT / "target" / "release" / "email365-sandbox"), *args, "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        line = proc.stdout.readline()
        assert line, "the sandbox printed no start line"
        yield json.loads(line)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
