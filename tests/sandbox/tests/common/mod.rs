//! A minimal raw SMTP client for the sandbox tests: plain TCP, then rustls (ring) trusting
//! only the sandbox's CA, reading whole (multi-line) replies.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use email365_sandbox::{Config, Sandbox};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

pub const USER: &str = "sandbox";
pub const PASS: &str = "sandbox-password";

/// A sandbox with events all at once and a fixed first id, unless `f` changes that.
pub fn sandbox_with(f: impl FnOnce(&mut Config)) -> Sandbox {
    let mut c = Config {
        step: Duration::ZERO,
        first_notification_id: Some(10_000_000_902_077),
        ..Config::default()
    };
    f(&mut c);
    Sandbox::start(c).expect("sandbox starts")
}

/// The AUTH PLAIN command with the default credentials.
pub fn auth_plain() -> String {
    format!("AUTH PLAIN {}", b64(format!("\0{USER}\0{PASS}").as_bytes()))
}

pub fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    Gone,
}

/// One reply: code and the text of each line (after `NNN-` / `NNN `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
    /// `"550 5.1.1"`-style prefix check on the first line.
    pub fn starts(&self, prefix: &str) -> bool {
        format!("{} {}", self.code, self.lines[0]).starts_with(prefix)
    }
}

pub struct Client {
    conn: Conn,
    buf: Vec<u8>,
    ca_pem: String,
}

pub fn tls_config(ca_pem: &str) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("CA PEM parses")).expect("CA added");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

impl Client {
    /// Connects and reads the greeting.
    pub fn connect(sb: &Sandbox) -> (Client, Reply) {
        Self::connect_to(sb.smtp_addr(), sb.ca_pem())
    }

    /// A plain TCP connection to `addr` (10 s read timeout), nothing read yet.
    fn open(addr: SocketAddr, ca_pem: &str) -> Client {
        let tcp = TcpStream::connect(addr).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Client {
            conn: Conn::Plain(tcp),
            buf: Vec::new(),
            ca_pem: ca_pem.to_string(),
        }
    }

    pub fn connect_to(addr: SocketAddr, ca_pem: &str) -> (Client, Reply) {
        let mut c = Self::open(addr, ca_pem);
        let greeting = c.read_reply();
        (c, greeting)
    }

    /// Connects with TLS from the first byte (implicit TLS) and reads the greeting.
    pub fn connect_tls(addr: SocketAddr, ca_pem: &str) -> (Client, Reply) {
        let mut c = Self::open(addr, ca_pem);
        c.handshake().expect("TLS handshake");
        let greeting = c.read_reply();
        (c, greeting)
    }

    pub fn send(&mut self, bytes: &[u8]) {
        let r = match &mut self.conn {
            Conn::Plain(s) => s.write_all(bytes).and_then(|_| s.flush()),
            Conn::Tls(s) => s.write_all(bytes).and_then(|_| s.flush()),
            Conn::Gone => panic!("no connection"),
        };
        r.expect("write");
    }

    fn fill(&mut self) -> usize {
        let mut tmp = [0u8; 16384];
        let n = match &mut self.conn {
            Conn::Plain(s) => s.read(&mut tmp),
            Conn::Tls(s) => s.read(&mut tmp),
            Conn::Gone => panic!("no connection"),
        }
        .unwrap_or(0);
        self.buf.extend_from_slice(&tmp[..n]);
        n
    }

    /// Reads one whole reply; panics on EOF.
    pub fn read_reply(&mut self) -> Reply {
        self.try_read_reply().expect("a reply before EOF")
    }

    /// Reads one whole reply, or `None` at EOF.
    pub fn try_read_reply(&mut self) -> Option<Reply> {
        let mut lines = Vec::new();
        loop {
            let pos = loop {
                if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break p;
                }
                if self.fill() == 0 {
                    return None;
                }
            };
            let line: Vec<u8> = self.buf.drain(..pos + 2).collect();
            let line = String::from_utf8(line[..pos].to_vec()).expect("UTF-8 reply");
            let code: u16 = line[..3].parse().expect("numeric code");
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line.get(4..).unwrap_or("").to_string());
            if last {
                return Some(Reply { code, lines });
            }
        }
    }

    /// Sends one command line and reads its reply.
    pub fn cmd(&mut self, line: &str) -> Reply {
        self.send(format!("{line}\r\n").as_bytes());
        self.read_reply()
    }

    /// True when nothing more arrives within `wait` (and the connection stays open).
    pub fn quiet_for(&mut self, wait: Duration) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let tcp = match &self.conn {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref(),
            Conn::Gone => return true,
        };
        tcp.set_read_timeout(Some(wait)).unwrap();
        let got = self.fill();
        let tcp = match &self.conn {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref(),
            Conn::Gone => return true,
        };
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        got == 0
    }

    /// Performs the TLS handshake on the current TCP connection.
    pub fn handshake(&mut self) -> Result<(), std::io::Error> {
        assert!(self.buf.is_empty(), "bytes left before the handshake");
        let Conn::Plain(tcp) = std::mem::replace(&mut self.conn, Conn::Gone) else {
            panic!("already TLS");
        };
        let name = ServerName::try_from("localhost").unwrap();
        let conn = ClientConnection::new(tls_config(&self.ca_pem), name).unwrap();
        let mut tls = StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        self.conn = Conn::Tls(Box::new(tls));
        Ok(())
    }

    /// STARTTLS (expects 220) and the handshake.
    pub fn starttls(&mut self) {
        let r = self.cmd("STARTTLS");
        assert!(r.starts("220 2.0.0"), "{r:?}");
        self.handshake().expect("TLS handshake");
    }

    /// Connected and greeted with EHLO (250), without TLS.
    pub fn greeted(sb: &Sandbox) -> Client {
        let (mut c, _) = Client::connect(sb);
        assert_eq!(c.cmd("EHLO client.test").code, 250);
        c
    }

    /// EHLO, STARTTLS, EHLO again: a TLS session, not authenticated.
    pub fn secured(sb: &Sandbox) -> Client {
        let mut c = Client::greeted(sb);
        c.starttls();
        assert_eq!(c.cmd("EHLO client.test").code, 250);
        c
    }

    /// [`Client::secured`], then AUTH PLAIN with the default credentials.
    pub fn ready(sb: &Sandbox) -> Client {
        let mut c = Client::secured(sb);
        let r = c.cmd(&auth_plain());
        assert!(r.starts("235 2.7.0"), "{r:?}");
        c
    }

    /// Sends a whole message (MAIL, RCPTs, DATA) and returns the replies (last = final).
    pub fn send_message(&mut self, from: &str, to: &[&str], data: &[u8]) -> Vec<Reply> {
        let mut replies = vec![self.cmd(&format!("MAIL FROM:<{from}>"))];
        for r in to {
            replies.push(self.cmd(&format!("RCPT TO:<{r}>")));
        }
        let r = self.cmd("DATA");
        let go = r.code == 354;
        replies.push(r);
        if go {
            let mut stuffed = Vec::new();
            for line in data.split_inclusive(|&b| b == b'\n') {
                if line.first() == Some(&b'.') {
                    stuffed.push(b'.');
                }
                stuffed.extend_from_slice(line);
            }
            stuffed.extend_from_slice(b".\r\n");
            self.send(&stuffed);
            replies.push(self.read_reply());
        }
        replies
    }
}

/// The notification id of a `250 2.0.0 Ok: queued as <id>` reply.
pub fn queued_id(r: &Reply) -> String {
    assert_eq!(r.code, 250, "{r:?}");
    let text = &r.lines[0];
    let id = text
        .strip_prefix("2.0.0 Ok: queued as ")
        .unwrap_or_else(|| panic!("unexpected final reply {text}"));
    assert!(
        id.len() >= 14 && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    id.to_string()
}
