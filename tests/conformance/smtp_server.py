"""The scripted SMTP server of the transport scenarios (tests/vectors/smtp/, see
tests/vectors/README.md): one per scenario on 127.0.0.1 and an ephemeral port, a thread
per connection, plaintext or STARTTLS with a test CA made by `make_test_ca`. It answers
each command from the scenario's script and records what every connection received:
the command lines in order and the message data.
"""
from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
import time

HOST = "127.0.0.1"
SERVER_NAME = "mx.example.test"

# The reply to each command when the script gives none. `END` is the final reply to the
# message data (after the dot of DATA, or to `BDAT <n> LAST`).
DEFAULT_REPLIES = {
    "HELO": f"250 {SERVER_NAME}",
    "MAIL": "250 2.1.0 Ok",
    "RCPT": "250 2.1.5 Ok",
    "DATA": "354 End data with <CR><LF>.<CR><LF>",
    "BDAT": "250 2.0.0 Chunk received",
    "END": "250 2.0.0 Ok: queued as 4Bf3xZ1Yz3z9t",
    "RSET": "250 2.0.0 Ok",
    "NOOP": "250 2.0.0 Ok",
    "QUIT": "221 2.0.0 Bye",
    "STARTTLS": "220 2.0.0 Ready to start TLS",
    "AUTH": "235 2.7.0 Authentication successful",
}
UNKNOWN = "502 5.5.2 Error: command not recognized"
TOO_MANY = "452 4.5.3 Error: too many recipients"
FAULT_KEYS = {"reply", "close", "drip_ms", "delay_ms"}


def make_test_ca(directory):
    """Writes a test CA and a certificate for 127.0.0.1 / localhost signed by it into
    `directory` with openssl; returns (ca_file, cert_file, key_file)."""
    ca_key, ca_pem = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr, pem = (os.path.join(directory, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(directory, "server.ext")
    with open(ext, "w", encoding="ascii") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for cmd in (
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "2",
         "-subj", "/CN=email365 scenario CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
         "-out", pem, "-days", "2", "-extfile", ext],
    ):
        subprocess.run(["openssl", *cmd], check=True, capture_output=True)
    return ca_pem, pem, key


def _fault(spec):
    """A reply spec as {reply, close, drip_ms, delay_ms}."""
    if isinstance(spec, str):
        return {"reply": spec}
    if isinstance(spec, dict) and set(spec) <= FAULT_KEYS:
        return spec
    raise ValueError(f"not a reply: {spec!r}")


class ScriptedServer:
    """Serves one scenario's `server` script until `stop`."""

    def __init__(self, script, tls_files=None):
        self.script = script
        self.replies = script.get("replies", {})
        self.counters = {}
        self.lock = threading.Lock()
        self.sessions = []
        self.threads = []
        self.conns = []
        self.tls = None
        if tls_files is not None:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(tls_files[1], tls_files[2])
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.closing = False
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            log = {"commands": [], "data": []}
            with self.lock:
                if self.closing:
                    conn.close()
                    return
                self.sessions.append(log)
                self.conns.append(conn)
                t = threading.Thread(target=_Session(self, conn, log).run, daemon=True)
                self.threads.append(t)
            t.start()

    def next_reply(self, verb, recipient=None):
        """The reply spec for the next `verb` (a list is used in order, its last entry
        repeating); `recipients` overrides RCPT for the addresses it names."""
        if verb == "RCPT" and recipient in self.script.get("recipients", {}):
            return _fault(self.script["recipients"][recipient])
        spec = self.replies.get(verb, DEFAULT_REPLIES.get(verb, UNKNOWN))
        if isinstance(spec, list):
            with self.lock:
                i = self.counters.get(verb, 0)
                self.counters[verb] = i + 1
            spec = spec[min(i, len(spec) - 1)]
        return _fault(spec)

    def ehlo_reply(self, tls):
        """The EHLO reply: the name, then the capabilities (without STARTTLS once the
        session is protected)."""
        caps = [c for c in self.script.get("capabilities", []) if not (tls and c == "STARTTLS")]
        lines = [SERVER_NAME, *caps]
        return "\n".join(f"250{' ' if i == len(lines) - 1 else '-'}{line}" for i, line in enumerate(lines))

    def wait(self, timeout):
        """Waits until every connection ended (the client closed it), up to `timeout`
        seconds; returns whether they all did."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                threads = list(self.threads)
            for t in threads:
                t.join(max(0.0, deadline - time.monotonic()))
            with self.lock:
                done = all(not t.is_alive() for t in self.threads) and len(self.threads) == len(threads)
            if done or time.monotonic() >= deadline:
                return done

    def stop(self):
        with self.lock:
            self.closing = True
            conns = list(self.conns)
        self.listener.close()
        for c in conns:
            try:
                c.close()
            except OSError:
                pass


class _Session:
    def __init__(self, server, conn, log):
        self.server = server
        self.sock = conn
        self.log = log
        self.buf = b""
        self.rcpts = 0
        self.chunks = []

    def run(self):
        try:
            self.sock.settimeout(30)
            greeting = self.server.script.get("greeting", f"220 {SERVER_NAME} ESMTP")
            if self.respond(_fault(greeting)):
                while self.step():
                    pass
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def read(self, n=None):
        """A line without its CRLF, or exactly `n` bytes; None at the end."""
        while (b"\n" not in self.buf) if n is None else (len(self.buf) < n):
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        if n is None:
            line, _, self.buf = self.buf.partition(b"\n")
            return line.rstrip(b"\r")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def respond(self, fault):
        """Sends a reply (dripped or delayed as the fault says); closes after it when
        asked, after a 421 and after QUIT. Returns whether the session goes on."""
        if fault.get("delay_ms"):
            time.sleep(fault["delay_ms"] / 1000)
        text = fault.get("reply")
        if text is not None:
            wire = text.replace("\n", "\r\n").encode("utf-8") + b"\r\n"
            if fault.get("drip_ms"):
                for i in range(len(wire)):
                    self.sock.sendall(wire[i:i + 1])
                    time.sleep(fault["drip_ms"] / 1000)
            else:
                self.sock.sendall(wire)
        if fault.get("close") or (text is not None and (text.startswith("421") or text.startswith("221"))):
            self.close()
            return False
        return True

    def close(self):
        """Closes gracefully: no more replies, but what the client already sent is read
        (not logged), so that it gets every reply sent before the end."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(2)
            while self.sock.recv(65536):
                pass
        except (OSError, ssl.SSLError):
            pass

    def record(self, line):
        text = line.decode("utf-8", errors="replace")
        words = text.split(" ")
        if words[0].upper() == "AUTH" and len(words) > 2:
            text = " ".join(words[:2]) + " <credentials>"
        self.log["commands"].append(text)
        return words[0].upper(), words

    def data_end(self, data):
        self.log["data"].append(data.decode("utf-8", errors="replace"))
        self.rcpts = 0
        return self.respond(self.server.next_reply("END"))

    def step(self):
        line = self.read()
        if line is None:
            return False
        verb, words = self.record(line)
        server = self.server
        if verb == "EHLO":
            return self.respond({"reply": server.ehlo_reply(isinstance(self.sock, ssl.SSLSocket))})
        if verb in ("MAIL", "RSET"):
            self.rcpts = 0
            self.chunks = []
        if verb == "RCPT":
            self.rcpts += 1
            limit = server.script.get("max_recipients")
            if limit is not None and self.rcpts > limit:
                self.rcpts -= 1
                return self.respond({"reply": TOO_MANY})
            text = line.decode("utf-8", errors="replace")
            fault = server.next_reply("RCPT", text[text.find("<") + 1:text.find(">")])
            if not (fault.get("reply") or "").startswith("2"):
                self.rcpts -= 1
            return self.respond(fault)
        if verb == "DATA":
            fault = server.next_reply("DATA")
            if not self.respond(fault):
                return False
            if not (fault.get("reply") or "").startswith("354"):
                return True
            lines = []
            while True:
                data_line = self.read()
                if data_line is None:
                    return False
                if data_line == b".":
                    return self.data_end(b"".join(lines))
                lines.append(data_line + b"\r\n")
        if verb == "BDAT":
            size = int(words[1])
            chunk = self.read(size)
            if chunk is None:
                return False
            self.chunks.append(chunk)
            if len(words) > 2 and words[2].upper() == "LAST":
                data, self.chunks = b"".join(self.chunks), []
                return self.data_end(data)
            return self.respond(server.next_reply("BDAT"))
        if verb == "STARTTLS" and server.tls is not None:
            if not self.respond(server.next_reply("STARTTLS")):
                return False
            self.sock = server.tls.wrap_socket(self.sock, server_side=True)
            return True
        return self.respond(server.next_reply(verb))
