//! The servers `send-bench` sends to: the bench sink, or a real Postfix or Exim started
//! through the interop harnesses (`tests/interop/postfix_server.py`,
//! `tests/interop/exim_server.py`), exactly as the interop tests start them: STARTTLS
//! required (Postfix) or offered (Exim) with a CA made at start, AUTH PLAIN after STARTTLS,
//! Postfix delivering every message to a Maildir, Exim keeping every message in its spool
//! (`queue_only`). [`Server::stored`] counts what the server took (Postfix: its cleanup
//! log lines, one per message; Exim: the `-D` files of its spool) so a run can check that
//! every accepted message landed.

use crate::sink::{Sink, SinkOptions};
use email365::smtp::{SmtpOptions, TlsMode, TrustSettings};
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// Which server a run sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// The bench sink (plaintext, no AUTH, stores nothing).
    Sink,
    /// Postfix through `tests/interop/postfix_server.py`.
    Postfix,
    /// Exim through `tests/interop/exim_server.py`.
    Exim,
}

impl ServerKind {
    /// `sink`, `postfix` or `exim`.
    pub fn parse(s: &str) -> Option<ServerKind> {
        match s {
            "sink" => Some(ServerKind::Sink),
            "postfix" => Some(ServerKind::Postfix),
            "exim" => Some(ServerKind::Exim),
            _ => None,
        }
    }

    /// The name `parse` reads.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Sink => "sink",
            ServerKind::Postfix => "postfix",
            ServerKind::Exim => "exim",
        }
    }
}

/// A running server; dropping it stops it.
pub enum Server {
    /// The bench sink.
    Sink(Sink),
    /// A Postfix or Exim harness process.
    Harness(Harness),
}

/// A harness process and what it printed at start.
pub struct Harness {
    kind: ServerKind,
    child: Child,
    stdin: Option<ChildStdin>,
    info: serde_json::Value,
}

impl Drop for Harness {
    fn drop(&mut self) {
        // EOF on stdin stops the server and removes its folder.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts a server of `kind`; `python` runs the harnesses, found under `repo`.
    pub fn start(kind: ServerKind, python: &Path, repo: &Path) -> io::Result<Server> {
        let script = match kind {
            ServerKind::Sink => return Sink::start(SinkOptions::default()).map(Server::Sink),
            ServerKind::Postfix => "tests/interop/postfix_server.py",
            ServerKind::Exim => "tests/interop/exim_server.py",
        };
        let mut child = Command::new(python)
            .arg(repo.join(script))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let info: serde_json::Value = serde_json::from_str(&line).map_err(|e| {
            io::Error::other(format!("{} did not start ({e}): {line:?}", kind.name()))
        })?;
        Ok(Server::Harness(Harness {
            kind,
            child,
            stdin,
            info,
        }))
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Server::Sink(s) => s.addr(),
            Server::Harness(h) => {
                let port = h.info["port"].as_u64().unwrap_or(0) as u16;
                SocketAddr::from(([127, 0, 0, 1], port))
            }
        }
    }

    /// Client options for a connection to `addr` (the proxy in front of this server):
    /// plaintext for the sink; STARTTLS with the harness's CA and AUTH PLAIN otherwise.
    pub fn options(&self, addr: SocketAddr) -> io::Result<SmtpOptions> {
        let mut o = SmtpOptions::new("127.0.0.1").port(addr.port());
        match self {
            Server::Sink(_) => o = o.tls(TlsMode::InsecurePlaintext),
            Server::Harness(h) => {
                let text = |k: &str| h.info[k].as_str().unwrap_or_default().to_string();
                let ca = std::fs::read(text("ca_file"))?;
                o = o.credentials(&text("username"), &text("password"));
                o.trust = TrustSettings {
                    system_roots: false,
                    extra_ca_pem: Some(ca),
                };
            }
        }
        o.timeouts.command = Duration::from_secs(60);
        o.timeouts.data_end = Duration::from_secs(60);
        Ok(o)
    }

    /// How many messages the server took so far (None for the sink).
    pub fn stored(&self) -> Option<usize> {
        let Server::Harness(h) = self else {
            return None;
        };
        match h.kind {
            ServerKind::Postfix => {
                let log = PathBuf::from(h.info["log"].as_str()?);
                let text = std::fs::read_to_string(log).ok()?;
                Some(
                    text.lines()
                        .filter(|l| l.contains("/cleanup[") && l.contains(": message-id="))
                        .count(),
                )
            }
            ServerKind::Exim => {
                let input = PathBuf::from(h.info["spool"].as_str()?).join("input");
                let n = std::fs::read_dir(input)
                    .ok()?
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with("-D"))
                    .count();
                Some(n)
            }
            ServerKind::Sink => None,
        }
    }
}
