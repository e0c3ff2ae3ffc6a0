//! Test support for the SMTP transport tests: certificates made with rcgen at test time
//! and a scripted server (std::net listener on 127.0.0.1:0, one thread) that records
//! every byte the client sent, so tests assert what did and did not reach the wire.
#![allow(dead_code)]

pub mod batch;
pub mod sandbox;

use email365::smtp::{SmtpOptions, Timeouts, TrustSettings};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub const USER: &str = "alice@example.com";
pub const PASS: &str = "pa55-w0rd-SECRET";

/// A test PKI: a CA, a server certificate for localhost / 127.0.0.1 signed by it, a
/// certificate for another name signed by it, and a self-signed certificate.
pub struct Pki {
    pub ca_pem: String,
    pub good: (Vec<CertificateDer<'static>>, Vec<u8>, String, String),
    pub wrong_name: (Vec<CertificateDer<'static>>, Vec<u8>),
    pub self_signed: (Vec<CertificateDer<'static>>, Vec<u8>),
}

pub fn pki() -> Pki {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "email365 test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca");
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf = |names: Vec<String>, ip: bool| {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(names).expect("params");
        if ip {
            params
                .subject_alt_names
                .push(SanType::IpAddress("127.0.0.1".parse().expect("ip")));
        }
        let cert = params.signed_by(&key, &issuer).expect("sign");
        (cert, key)
    };
    let (good, good_key) = leaf(vec!["localhost".into()], true);
    let (wrong, wrong_key) = leaf(vec!["other.example".into()], false);
    let ss_key = KeyPair::generate().expect("key");
    let ss = CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .self_signed(&ss_key)
        .expect("self-signed");
    Pki {
        ca_pem,
        good: (
            vec![good.der().clone()],
            good_key.serialize_der(),
            good.pem(),
            good_key.serialize_pem(),
        ),
        wrong_name: (vec![wrong.der().clone()], wrong_key.serialize_der()),
        self_signed: (vec![ss.der().clone()], ss_key.serialize_der()),
    }
}

pub fn server_config(chain: &[CertificateDer<'static>], key: &[u8]) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            chain.to_vec(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec())),
        )
        .expect("server config");
    Arc::new(cfg)
}

enum PStream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
    Gone,
}

/// The server side of one connection.
pub struct Peer {
    stream: PStream,
    buf: Vec<u8>,
    pub wire: Arc<Mutex<Vec<u8>>>,
}

impl Peer {
    pub fn send(&mut self, s: &str) {
        let r = match &mut self.stream {
            PStream::Plain(t) => t.write_all(s.as_bytes()).and_then(|_| t.flush()),
            PStream::Tls(t) => t.write_all(s.as_bytes()).and_then(|_| t.flush()),
            PStream::Gone => Ok(()),
        };
        let _ = r;
    }

    /// Sends `s` one byte at a time, `interval` apart; stops (false) once the client is
    /// gone.
    pub fn drip(&mut self, s: &str, interval: Duration) -> bool {
        for b in s.bytes() {
            let r = match &mut self.stream {
                PStream::Plain(t) => t.write_all(&[b]).and_then(|_| t.flush()),
                PStream::Tls(t) => t.write_all(&[b]).and_then(|_| t.flush()),
                PStream::Gone => return false,
            };
            if r.is_err() {
                return false;
            }
            std::thread::sleep(interval);
        }
        true
    }

    /// Answers the client's TLS hello with the server's first flight, one byte at a time,
    /// `interval` apart; stops once the client is gone.
    pub fn drip_tls_handshake(&mut self, cfg: Arc<ServerConfig>, interval: Duration) {
        let PStream::Plain(tcp) = &mut self.stream else {
            return;
        };
        let mut conn = ServerConnection::new(cfg).expect("server conn");
        while !conn.wants_write() {
            match conn.read_tls(tcp) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if conn.process_new_packets().is_err() {
                        return;
                    }
                }
            }
        }
        let mut flight = Vec::new();
        while conn.wants_write() {
            if conn.write_tls(&mut flight).is_err() {
                return;
            }
        }
        for b in flight {
            if tcp.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(interval);
        }
    }

    /// Reads `chunk` bytes every `interval` until the client is gone or `total` passed
    /// (a receiver that drains its window slowly).
    pub fn read_slowly(&mut self, chunk: usize, interval: Duration, total: Duration) {
        let PStream::Plain(tcp) = &mut self.stream else {
            return;
        };
        let end = std::time::Instant::now() + total;
        let mut b = vec![0u8; chunk];
        while std::time::Instant::now() < end {
            match tcp.read(&mut b) {
                Ok(0) | Err(_) => return,
                Ok(_) => std::thread::sleep(interval),
            }
        }
    }

    fn fill(&mut self) -> bool {
        let mut b = [0u8; 65536];
        let n = match &mut self.stream {
            PStream::Plain(t) => t.read(&mut b),
            PStream::Tls(t) => t.read(&mut b),
            PStream::Gone => Ok(0),
        };
        match n {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&b[..n]);
                self.wire.lock().expect("wire").extend_from_slice(&b[..n]);
                true
            }
        }
    }

    /// The next line the client sent (CRLF removed); `None` at EOF.
    pub fn line(&mut self) -> Option<String> {
        loop {
            if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..p]).into_owned();
                self.buf.drain(..p + 2);
                return Some(line);
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// Expects a line starting with `prefix` (case-insensitive); returns it.
    pub fn expect(&mut self, prefix: &str) -> String {
        let line = self.line().unwrap_or_default();
        assert!(
            line.to_ascii_uppercase()
                .starts_with(&prefix.to_ascii_uppercase()),
            "expected {prefix:?}, got {line:?}"
        );
        line
    }

    /// The message data in wire form up to and including the terminator line.
    pub fn data(&mut self) -> Option<Vec<u8>> {
        loop {
            // The data starts at a line start: a terminator right away is "." CRLF.
            if self.buf.starts_with(b".\r\n") {
                let out = self.buf[..3].to_vec();
                self.buf.drain(..3);
                return Some(out);
            }
            if let Some(p) = self.buf.windows(5).position(|w| w == b"\r\n.\r\n") {
                let out = self.buf[..p + 5].to_vec();
                self.buf.drain(..p + 5);
                return Some(out);
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// Reads at least `n` bytes of whatever comes.
    pub fn read_some(&mut self, n: usize) {
        while self.buf.len() < n {
            if !self.fill() {
                return;
            }
        }
    }

    /// The next `n` bytes (a BDAT chunk); `None` at EOF before them.
    pub fn chunk(&mut self, n: usize) -> Option<Vec<u8>> {
        self.read_some(n);
        if self.buf.len() < n {
            return None;
        }
        Some(self.buf.drain(..n).collect())
    }

    /// Bytes received but not yet consumed.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    pub fn starttls(&mut self, cfg: Arc<ServerConfig>) -> bool {
        let PStream::Plain(tcp) = std::mem::replace(&mut self.stream, PStream::Gone) else {
            return false;
        };
        let mut conn = ServerConnection::new(cfg).expect("server conn");
        let mut tcp = tcp;
        while conn.is_handshaking() {
            if conn.complete_io(&mut tcp).is_err() {
                return false;
            }
        }
        self.stream = PStream::Tls(Box::new(StreamOwned::new(conn, tcp)));
        true
    }

    pub fn close(&mut self) {
        if let PStream::Plain(t) = &self.stream {
            let _ = t.shutdown(std::net::Shutdown::Both);
        }
        if let PStream::Tls(t) = &self.stream {
            let _ = t.get_ref().shutdown(std::net::Shutdown::Both);
        }
        self.stream = PStream::Gone;
    }

    /// Greeting, EHLO, STARTTLS, EHLO with `caps`, AUTH PLAIN (checked).
    pub fn standard_session(&mut self, tls: &Arc<ServerConfig>, caps: &[&str]) {
        self.send("220 mx.test ESMTP ready\r\n");
        self.expect("EHLO ");
        self.send("250-mx.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n");
        self.expect("STARTTLS");
        self.send("220 2.0.0 Ready to start TLS\r\n");
        assert!(self.starttls(tls.clone()), "handshake");
        self.expect("EHLO ");
        self.send_caps(caps);
        let auth = self.expect("AUTH PLAIN ");
        assert_eq!(auth, format!("AUTH PLAIN {}", plain_b64()));
        self.send("235 2.7.0 Authentication successful\r\n");
    }

    pub fn send_caps(&mut self, caps: &[&str]) {
        let mut reply = String::from("250-mx.test\r\n");
        for c in caps {
            reply.push_str(&format!("250-{c}\r\n"));
        }
        reply.push_str("250 AUTH PLAIN LOGIN\r\n");
        self.send(&reply);
    }
}

pub fn plain_b64() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{PASS}"))
}

/// A scripted server: accepts `conns` connections one after the other, running `script`
/// on each (with the connection's index). Returns the port, the bytes received (all
/// connections), and the thread.
pub fn serve<F>(conns: usize, script: F) -> (u16, Arc<Mutex<Vec<u8>>>, JoinHandle<()>)
where
    F: Fn(usize, &mut Peer) + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let wire = Arc::new(Mutex::new(Vec::new()));
    let w = wire.clone();
    let handle = std::thread::spawn(move || {
        for i in 0..conns {
            let Ok((tcp, _)) = listener.accept() else {
                return;
            };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(20)));
            let mut peer = Peer {
                stream: PStream::Plain(tcp),
                buf: Vec::new(),
                wire: w.clone(),
            };
            script(i, &mut peer);
            peer.close();
        }
    });
    (port, wire, handle)
}

/// Client options for the scripted server: STARTTLS, the test CA only, credentials,
/// short timeouts.
pub fn options(port: u16, pki: &Pki) -> SmtpOptions {
    let mut o = SmtpOptions::new("localhost")
        .port(port)
        .credentials(USER, PASS);
    o.trust = TrustSettings {
        system_roots: false,
        extra_ca_pem: Some(pki.ca_pem.clone().into_bytes()),
    };
    o.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        greeting: Duration::from_secs(5),
        command: Duration::from_secs(5),
        data_write: Duration::from_secs(10),
        data_end: Duration::from_secs(5),
    };
    o
}

pub fn wire_text(wire: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&wire.lock().expect("wire")).into_owned()
}

/// A server that runs `script` on every connection, each in its own thread. Returns the
/// port and the number of connections accepted so far.
pub fn serve_concurrent<F>(script: F) -> (u16, Arc<Mutex<usize>>)
where
    F: Fn(&mut Peer) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(Mutex::new(0usize));
    let c = count.clone();
    let script = Arc::new(script);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            *c.lock().expect("count") += 1;
            let script = script.clone();
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(20)));
                let mut peer = Peer {
                    stream: PStream::Plain(tcp),
                    buf: Vec::new(),
                    wire: Arc::new(Mutex::new(Vec::new())),
                };
                script(&mut peer);
                peer.close();
            });
        }
    });
    (port, count)
}

/// The executable of the example `name` (feature `cli`): beside the test binaries after a
/// full `cargo test`; built on demand when only one test target was built.
pub fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.exists() {
        return path;
    }
    let out = std::process::Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "email365", "--example", name])
        .args([
            "--features",
            if name == "async_send" {
                "cli,tokio"
            } else {
                "cli"
            },
        ])
        .arg("--message-format=json")
        .output()
        .expect("cargo build --example");
    assert_succeeded(&out);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v["executable"].as_str().map(std::path::PathBuf::from))
        .expect("the example's executable")
}

/// Fails the test with the command's error output unless it exited with success.
pub fn assert_succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Records every command line the client sends (the transcript's sent side) into the
/// returned list.
pub fn record_sent(o: &mut SmtpOptions) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    o.transcript = Some(Arc::new(move |d, l: &str| {
        if d == email365::smtp::Direction::Sent {
            sink.lock().unwrap().push(l.to_string());
        }
    }));
    lines
}

/// Serves one standard transaction per MAIL, accepting everything, until QUIT or EOF.
pub fn accept_all(
    p: &mut Peer,
    tls: &Arc<rustls::ServerConfig>,
    caps: &[&str],
    id: &str,
) -> Vec<Vec<u8>> {
    p.standard_session(tls, caps);
    let mut got = Vec::new();
    loop {
        let Some(line) = p.line() else { return got };
        let up = line.to_ascii_uppercase();
        if up.starts_with("MAIL") || up.starts_with("RCPT") || up.starts_with("RSET") {
            p.send("250 2.1.0 Ok\r\n");
        } else if up == "DATA" {
            p.send("354 End data with <CR><LF>.<CR><LF>\r\n");
            let Some(d) = p.data() else { return got };
            got.push(d);
            p.send(&format!("250 2.0.0 Ok: queued as {id}\r\n"));
        } else if up == "QUIT" {
            p.send("221 2.0.0 Bye\r\n");
            return got;
        } else {
            p.send("502 5.5.2 Error: command not recognized\r\n");
        }
    }
}

/// A one-connection server running [`accept_all`] with `caps` and queue id `id`: its
/// port, the bytes the client sent, the thread, and the data of each message it took.
#[allow(clippy::type_complexity)]
pub fn serve_accepting(
    tls: Arc<ServerConfig>,
    caps: &'static [&'static str],
    id: &'static str,
) -> (
    u16,
    Arc<Mutex<Vec<u8>>>,
    JoinHandle<()>,
    Arc<Mutex<Vec<Vec<u8>>>>,
) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let (port, wire, h) = serve(1, move |_, p| {
        let d = accept_all(p, &tls, caps, id);
        g.lock().unwrap().extend(d);
    });
    (port, wire, h, got)
}
