//! The status client (`--features http`) against the sandbox started in process (the
//! whole life cycle, recipient filter, credentials, unknown and expired ids, bounces),
//! against a scripted HTTP server of this file (every error mapping, retries,
//! timeouts, limits, what goes on the wire) and against a TLS server with a fresh
//! certificate (extra CA, unknown issuer, wrong host name).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use email365::http::{PollClock, StatusClient};
use email365::{Error, ErrorKind};
use email365_sandbox::Sandbox;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

const PASSWORD: &str = "pa55-w0rd:with colon";

// ---------------------------------------------------------------------------------
// A minimal SMTP submission client for the sandbox (STARTTLS, AUTH PLAIN).

struct Smtp {
    stream: Box<dyn ReadWrite>,
    buf: Vec<u8>,
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

impl Smtp {
    fn reply(&mut self) -> String {
        let mut text = String::new();
        loop {
            let pos = loop {
                if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break p;
                }
                let mut tmp = [0u8; 4096];
                let n = self.stream.read(&mut tmp).expect("SMTP read");
                assert!(n > 0, "SMTP server closed the connection");
                self.buf.extend_from_slice(&tmp[..n]);
            };
            let line: Vec<u8> = self.buf.drain(..pos + 2).collect();
            let line = String::from_utf8_lossy(&line[..pos]).into_owned();
            text.push_str(&line);
            text.push('\n');
            if line.as_bytes().get(3) != Some(&b'-') {
                return text;
            }
        }
    }

    fn cmd(&mut self, line: &str, expect: &str) -> String {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("SMTP write");
        let r = self.reply();
        assert!(r.starts_with(expect), "{line} -> {r}");
        r
    }
}

/// Submits a small message to `to` through the sandbox's SMTP port; returns the
/// notification id from the final reply.
fn submit(sb: &Sandbox, to: &[&str]) -> String {
    let tcp = TcpStream::connect(sb.smtp_addr()).expect("connect SMTP");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut s = Smtp {
        stream: Box::new(tcp.try_clone().unwrap()),
        buf: Vec::new(),
    };
    assert!(s.reply().starts_with("220"));
    s.cmd("EHLO client.test", "250");
    s.cmd("STARTTLS", "220");
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(sb.ca_pem().as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap())
            .unwrap();
    s.stream = Box::new(rustls::StreamOwned::new(conn, tcp));
    s.cmd("EHLO client.test", "250");
    let cfg = sb.config();
    let plain = format!("\0{}\0{}", cfg.username, cfg.password);
    let token = base64::engine::general_purpose::STANDARD.encode(plain);
    s.cmd(&format!("AUTH PLAIN {token}"), "235");
    s.cmd("MAIL FROM:<sender@example.com>", "250");
    for r in to {
        s.cmd(&format!("RCPT TO:<{r}>"), "250");
    }
    s.cmd("DATA", "354");
    let final_reply = s.cmd(
        "From: sender@example.com\r\nTo: x@dest.example\r\nSubject: hi\r\n\r\nhello\r\n.",
        "250",
    );
    let _ = s.cmd("QUIT", "221");
    email365::notification_id::extract_notification_id(final_reply.trim_end())
        .expect("a notification id in the final reply")
}

#[path = "smtp_support/sandbox.rs"]
mod sandbox_support;

fn sandbox(step: Duration) -> Sandbox {
    sandbox_support::sandbox_stepping(step, PASSWORD)
}

fn client_for(sb: &Sandbox) -> StatusClient {
    let c = sb.config();
    StatusClient::builder(&c.account_id, &c.username, &c.password)
        .base_url(sb.http_url())
        .build()
        .expect("client")
}

/// A clock whose sleep moves its own time and the sandbox's clock forward.
struct SandboxClock<'a> {
    sb: &'a Sandbox,
    now: Instant,
    slept: Vec<Duration>,
}

impl<'a> SandboxClock<'a> {
    fn new(sb: &'a Sandbox) -> Self {
        SandboxClock {
            sb,
            now: Instant::now(),
            slept: Vec::new(),
        }
    }
}

impl PollClock for SandboxClock<'_> {
    fn now(&mut self) -> Instant {
        self.now
    }
    fn sleep(&mut self, d: Duration) {
        self.slept.push(d);
        self.now += d;
        self.sb.advance(d);
    }
}

/// A clock that only counts.
#[derive(Default)]
struct FakeClock {
    now: Option<Instant>,
    slept: Vec<Duration>,
}

impl PollClock for FakeClock {
    fn now(&mut self) -> Instant {
        *self.now.get_or_insert_with(Instant::now)
    }
    fn sleep(&mut self, d: Duration) {
        self.slept.push(d);
        let now = self.now();
        self.now = Some(now + d);
    }
}

fn codes(n: &email365::status::Notification) -> Vec<&str> {
    n.events.iter().map(|e| e.code.as_str()).collect()
}

fn assert_no_secret(e: &Error) {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("sandbox:{PASSWORD}"));
    for shown in [format!("{e}"), format!("{e:?}")] {
        assert!(!shown.contains(PASSWORD), "password in {shown}");
        assert!(!shown.contains(&token), "authorization in {shown}");
    }
}

// ---------------------------------------------------------------------------------
// Against the sandbox.

#[test]
fn sandbox_life_cycle_until_ch_sent() {
    let sb = sandbox(Duration::from_secs(10));
    let id = submit(&sb, &["alice@dest.example"]);
    let client = client_for(&sb);
    let first = client.get(&id, None).expect("get");
    assert!(first.found);
    assert_eq!(first.notification_id.as_deref(), Some(id.as_str()));
    assert_eq!(codes(&first), ["CAAS_RECEIVED"]);
    assert!(!first.all_final());

    let mut clock = SandboxClock::new(&sb);
    let done = client
        .wait_for_with(&id, None, Duration::from_secs(120), &mut clock)
        .expect("final");
    assert_eq!(
        codes(&done),
        ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_SENT"]
    );
    assert!(done.is_final_for("alice@dest.example"));
    assert_eq!(
        done.events[0].recipient.as_deref(),
        Some("alice@dest.example")
    );
    // The plan's waits: 1, 2, 4, 8, 16 s reach the last step at 30 s.
    assert_eq!(clock.slept[..3], [1, 2, 4].map(Duration::from_secs));
    assert!(clock.slept.iter().sum::<Duration>() >= Duration::from_secs(30));
}

#[test]
fn sandbox_recipient_filter() {
    let sb = sandbox(Duration::ZERO);
    let id = submit(&sb, &["alice@dest.example", "bob+tag@dest.example"]);
    let client = client_for(&sb);
    let all = client.get(&id, None).unwrap();
    assert_eq!(all.recipients().len(), 2);
    let bob = client.get(&id, Some("bob+tag@dest.example")).unwrap();
    assert_eq!(bob.events.len(), 4);
    assert!(bob
        .events
        .iter()
        .all(|e| e.recipient.as_deref() == Some("bob+tag@dest.example")));
    let bob2 = client.get(&id, Some("email:bob+tag@dest.example")).unwrap();
    assert_eq!(bob, bob2);
    let mut clock = FakeClock::default();
    let done = client
        .wait_for_with(
            &id,
            Some("bob+tag@dest.example"),
            Duration::from_secs(5),
            &mut clock,
        )
        .unwrap();
    assert!(clock.slept.is_empty());
    assert_eq!(done.recipients().len(), 1);
}

#[test]
fn sandbox_wrong_credentials_are_auth_without_the_password() {
    let sb = sandbox(Duration::ZERO);
    let id = submit(&sb, &["alice@dest.example"]);
    let c = sb.config();
    let wrong = format!("{PASSWORD}-wrong");
    let client = StatusClient::builder(&c.account_id, &c.username, &wrong)
        .base_url(sb.http_url())
        .build()
        .unwrap();
    let err = client.get(&id, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.reason(), Some("unauthorized"));
    assert!(!err.transient());
    assert!(!format!("{err:?}").contains(&wrong));
    assert_no_secret(&err);
    // wait_for does not retry an auth failure.
    let mut clock = FakeClock::default();
    let err = client
        .wait_for_with(&id, None, Duration::from_secs(60), &mut clock)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(clock.slept.is_empty());
}

#[test]
fn sandbox_wrong_account_is_not_found() {
    let sb = sandbox(Duration::ZERO);
    let c = sb.config();
    let client = StatusClient::builder("someone_else", &c.username, &c.password)
        .base_url(sb.http_url())
        .build()
        .unwrap();
    let err = client.get("10000000000001", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_no_secret(&err);
}

#[test]
fn sandbox_unknown_id_is_not_found_and_expiry_after_eight_days() {
    let sb = sandbox(Duration::ZERO);
    let client = client_for(&sb);
    let unknown = client.get("99999999999999", None).unwrap();
    assert!(!unknown.found);
    assert!(unknown.events.is_empty());

    let id = submit(&sb, &["alice@dest.example"]);
    assert!(client.get(&id, None).unwrap().found);
    sb.advance(Duration::from_secs(8 * 24 * 3600));
    let expired = client.get(&id, None).unwrap();
    assert!(!expired.found);
    // Waiting on an expired id polls until the deadline, then says what it saw.
    let mut clock = FakeClock::default();
    let err = client
        .wait_for_with(&id, None, Duration::from_secs(4), &mut clock)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.reason(), Some("deadline_exceeded"));
    assert!(err.message().contains("does not know"), "{err}");
    assert_eq!(clock.slept, [1, 2, 1].map(Duration::from_secs));
}

#[test]
fn sandbox_bounce_is_final_ch_bounced() {
    let sb = sandbox(Duration::from_secs(1));
    let id = submit(&sb, &["bounce-me@dest.example", "carol@dest.example"]);
    let client = client_for(&sb);
    let mut clock = SandboxClock::new(&sb);
    let n = client
        .wait_for_with(
            &id,
            Some("bounce-me@dest.example"),
            Duration::from_secs(60),
            &mut clock,
        )
        .unwrap();
    let last = n.latest_for("bounce-me@dest.example").unwrap();
    assert_eq!(last.code, "CH_BOUNCED");
    assert!(last.is_final());
    assert!(n
        .events
        .iter()
        .all(|e| e.recipient.as_deref() == Some("bounce-me@dest.example")));
    let all = client.get(&id, None).unwrap();
    assert!(all.all_final());
    assert_eq!(
        all.latest_for("carol@dest.example").unwrap().code,
        "CH_SENT"
    );
}

// ---------------------------------------------------------------------------------
// A scripted HTTP server: one connection per step, each answered as scripted.

enum Step {
    /// Answer with these bytes (after the request head), then close.
    Respond(Vec<u8>),
    /// Wait, then answer.
    Slow(Duration, Vec<u8>),
}

fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn json_ok(body: &str) -> Step {
    Step::Respond(response(
        "200 OK",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    ))
}

const FINAL_BODY: &str = r#"{"Notification":{"notificationId":"77","status":[{"statusCode":"CH_SENT","statusText":"Successful","channel":"email","recipient":"email:a@b.example","timestamp":"2015-03-08 14:58:30.252"}]}}"#;

fn read_head(s: &mut dyn Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

struct Scripted {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Scripted {
    fn start(steps: Vec<Step>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&heads);
        let thread = std::thread::spawn(move || {
            for step in steps {
                let Ok((mut s, _)) = listener.accept() else {
                    return;
                };
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let head = read_head(&mut s);
                seen.lock().unwrap().push(head);
                let bytes = match step {
                    Step::Respond(b) => b,
                    Step::Slow(d, b) => {
                        std::thread::sleep(d);
                        b
                    }
                };
                let _ = s.write_all(&bytes);
                let _ = s.flush();
            }
        });
        Scripted {
            addr,
            heads,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn client(&self) -> StatusClient {
        StatusClient::builder("acc-1", "sandbox", PASSWORD)
            .base_url(self.url())
            .build()
            .unwrap()
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        // Unblock pending accepts (steps a failed test did not use), then join.
        if let Some(t) = self.thread.take() {
            while !t.is_finished() {
                let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = t.join();
        }
    }
}

#[test]
fn request_carries_basic_auth_accept_user_agent_and_the_query() {
    let srv = Scripted::start(vec![json_ok(FINAL_BODY)]);
    let n = srv.client().get("77", Some("a+b@b.example")).unwrap();
    assert!(n.all_final());
    let head = srv.heads().remove(0);
    let lower = head.to_ascii_lowercase();
    assert!(
        head.starts_with(
            "GET /v1/acc-1/notifications/id/77?recipient=email:a%2Bb@b.example HTTP/1.1\r\n"
        ),
        "{head}"
    );
    let token = base64::engine::general_purpose::STANDARD.encode(format!("sandbox:{PASSWORD}"));
    assert!(
        lower.contains(&format!(
            "\r\nauthorization: basic {}\r\n",
            token.to_ascii_lowercase()
        )),
        "{head}"
    );
    assert!(lower.contains("\r\naccept: application/json\r\n"), "{head}");
    assert!(
        lower.contains(&format!(
            "\r\nuser-agent: email365/{}\r\n",
            email365::VERSION
        )),
        "{head}"
    );
}

#[test]
fn http_404_is_not_found() {
    let srv = Scripted::start(vec![Step::Respond(response(
        "404 Not Found",
        &[],
        b"{\"error\":\"nope\"}",
    ))]);
    let e = srv.client().get("1", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(!e.transient());
    assert!(e.message().contains("404"), "{e}");
    assert_no_secret(&e);
}

#[test]
fn http_403_is_auth_and_400_is_permanent_status_http() {
    let srv = Scripted::start(vec![
        Step::Respond(response("403 Forbidden", &[], b"")),
        Step::Respond(response("400 Bad Request", &[], b"bad request")),
    ]);
    let c = srv.client();
    let e = c.get("1", None).unwrap_err();
    assert_eq!((e.kind(), e.reason()), (ErrorKind::Auth, Some("forbidden")));
    let e = c.get("1", None).unwrap_err();
    assert_eq!(
        (e.kind(), e.reason()),
        (ErrorKind::StatusHttp, Some("client_error"))
    );
    assert!(!e.transient());
    assert!(e.message().contains("bad request"), "{e}");
}

#[test]
fn http_429_gives_retry_after_and_is_transient() {
    let srv = Scripted::start(vec![
        Step::Respond(response(
            "429 Too Many Requests",
            &[("Retry-After", "3")],
            b"slow down",
        )),
        Step::Respond(response(
            "503 Service Unavailable",
            &[("Retry-After", "Fri, 31 Dec 1999 23:59:59 GMT")],
            b"",
        )),
    ]);
    let c = srv.client();
    let a = c.get_detailed("1", None);
    assert_eq!(a.http_status, Some(429));
    assert_eq!(a.retry_after, Some(Duration::from_secs(3)));
    let e = a.result.unwrap_err();
    assert_eq!(
        (e.kind(), e.reason()),
        (ErrorKind::StatusHttp, Some("too_many_requests"))
    );
    assert!(e.transient());
    assert!(e.message().contains("retry after 3 s"), "{e}");
    let a = c.get_detailed("1", None);
    assert_eq!(a.http_status, Some(503));
    // A date in the past: come back at once (the plan still waits its backoff).
    assert_eq!(a.retry_after, Some(Duration::ZERO));
    assert_eq!(a.result.unwrap_err().reason(), Some("server_error"));
}

#[test]
fn wait_for_retries_500_and_honours_retry_after() {
    let srv = Scripted::start(vec![
        Step::Respond(response("500 Internal Server Error", &[], b"oops")),
        Step::Respond(response(
            "429 Too Many Requests",
            &[("Retry-After", "9")],
            b"",
        )),
        json_ok(
            r#"{"Notification":{"notificationId":"77","status":[{"statusCode":"CAAS_SENT","recipient":"email:a@b.example"}]}}"#,
        ),
        json_ok(FINAL_BODY),
    ]);
    let mut clock = FakeClock::default();
    let n = srv
        .client()
        .wait_for_with("77", None, Duration::from_secs(60), &mut clock)
        .unwrap();
    assert!(n.all_final());
    // Backoff 1 s, then max(2 s, Retry-After 9 s), then 4 s.
    assert_eq!(clock.slept, [1, 9, 4].map(Duration::from_secs));
    assert_eq!(srv.heads().len(), 4);
}

#[test]
fn slow_server_is_a_timeout() {
    let srv = Scripted::start(vec![Step::Slow(Duration::from_secs(3), Vec::new())]);
    let c = StatusClient::builder("acc-1", "sandbox", PASSWORD)
        .base_url(srv.url())
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = c.get("1", None).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        (e.kind(), e.reason()),
        (ErrorKind::Timeout, Some("request_timeout"))
    );
    assert!(e.transient());
    assert_no_secret(&e);
}

#[test]
fn oversized_body_is_refused() {
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(5000));
    let srv = Scripted::start(vec![json_ok(&body), json_ok(&body)]);
    let c = StatusClient::builder("acc-1", "sandbox", PASSWORD)
        .base_url(srv.url())
        .max_body_size(4096)
        .build()
        .unwrap();
    let e = c.get("1", None).unwrap_err();
    assert_eq!(
        (e.kind(), e.reason()),
        (ErrorKind::InvalidStatusResponse, Some("body_too_large"))
    );
    // The same body fits the default limit (and has no Notification: not found).
    let n = srv.client().get("1", None).unwrap();
    assert!(!n.found);
}

#[test]
fn malformed_json_and_non_utf8_bodies() {
    let srv = Scripted::start(vec![
        json_ok("{\"Notification\": {\"status\": [}"),
        Step::Respond(response("200 OK", &[], b"{\"a\":\"\xff\"}")),
        json_ok("{\"Notification\": {\"status\": \"nope\"}}"),
    ]);
    let c = srv.client();
    let e = c.get("1", None).unwrap_err();
    assert_eq!(
        (e.kind(), e.reason(), e.position()),
        (
            ErrorKind::InvalidStatusResponse,
            Some("malformed_json"),
            Some(29) // the `}` right after `[`
        )
    );
    let e = c.get("1", None).unwrap_err();
    assert_eq!(
        (e.kind(), e.reason(), e.position()),
        (ErrorKind::InvalidStatusResponse, Some("not_utf8"), Some(6))
    );
    let e = c.get("1", None).unwrap_err();
    assert_eq!(e.reason(), Some("wrong_type"));
}

#[test]
fn redirects_are_not_followed() {
    let srv = Scripted::start(vec![
        Step::Respond(response(
            "302 Found",
            &[("Location", "http://127.0.0.1:9/steal")],
            b"",
        )),
        json_ok(FINAL_BODY),
    ]);
    let e = srv.client().get("1", None).unwrap_err();
    assert_eq!(
        (e.kind(), e.reason()),
        (ErrorKind::StatusHttp, Some("redirect"))
    );
    assert_eq!(srv.heads().len(), 1);
}

#[test]
fn a_body_echoing_the_password_is_not_quoted() {
    let echo = format!("bad credentials sandbox:{PASSWORD}");
    let srv = Scripted::start(vec![Step::Respond(response(
        "500 Oops",
        &[],
        echo.as_bytes(),
    ))]);
    let e = srv.client().get("1", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StatusHttp);
    assert_no_secret(&e);
    // Echoing the Authorization value, or a harmless body (which is quoted).
    let token = base64::engine::general_purpose::STANDARD.encode(format!("sandbox:{PASSWORD}"));
    let srv = Scripted::start(vec![
        Step::Respond(response(
            "502 Bad Gateway",
            &[],
            format!("got Basic {token}").as_bytes(),
        )),
        Step::Respond(response("502 Bad Gateway", &[], b"upstream down")),
    ]);
    let c = srv.client();
    let e = c.get("1", None).unwrap_err();
    assert_no_secret(&e);
    assert!(!e.message().contains("got Basic"), "{e}");
    let e = c.get("1", None).unwrap_err();
    assert!(e.message().contains("upstream down"), "{e}");
}

#[test]
fn refused_and_reset_connections() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = StatusClient::builder("acc-1", "sandbox", PASSWORD)
        .base_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let e = c.get("1", None).unwrap_err();
    assert_eq!(
        (e.kind(), e.reason()),
        (ErrorKind::Connection, Some("refused"))
    );
    assert!(e.transient());
    assert_no_secret(&e);

    // A server that reads the request and closes without an answer.
    let srv = Scripted::start(vec![Step::Respond(Vec::new())]);
    let e = srv.client().get("1", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    assert!(e.transient());
    assert_no_secret(&e);
}

#[test]
fn garbage_instead_of_http_is_a_protocol_error() {
    let srv = Scripted::start(vec![Step::Respond(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec())]);
    let e = srv.client().get("1", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert_no_secret(&e);
}

// ---------------------------------------------------------------------------------
// HTTPS: a rustls server with an rcgen certificate.

struct TlsServer {
    addr: SocketAddr,
    ca_pem: String,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    fn start(names: &[&str], connections: usize) -> TlsServer {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "email365 test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap()
                .signed_by(&leaf_key, &ca)
                .unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let thread = std::thread::spawn(move || {
            for _ in 0..connections {
                let Ok((tcp, _)) = listener.accept() else {
                    return;
                };
                tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let conn = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let head = read_head(&mut tls);
                if head.is_empty() {
                    continue; // the client gave up during the handshake
                }
                let bytes = response("200 OK", &[], FINAL_BODY.as_bytes());
                let _ = tls.write_all(&bytes);
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        TlsServer {
            addr,
            ca_pem: ca.pem(),
            thread: Some(thread),
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn https_with_the_extra_ca_file() {
    let srv = TlsServer::start(&["localhost"], 2);
    let dir = std::env::temp_dir().join(format!("email365-http-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &srv.ca_pem).unwrap();
    let base = format!("https://localhost:{}", srv.addr.port());
    let c = StatusClient::builder("acc-1", "sandbox", PASSWORD)
        .base_url(&base)
        .extra_ca_file(&ca_file)
        .build()
        .unwrap();
    let n = c.get("77", None).unwrap();
    assert!(n.all_final());
    // Without the extra CA the certificate's issuer is unknown.
    let c = StatusClient::builder("acc-1", "sandbox", PASSWORD)
        .base_url(&base)
        .build()
        .unwrap();
    let e = c.get("77", None).unwrap_err();
    assert_eq!(
        (e.kind(), e.reason()),
        (ErrorKind::Tls, Some("certificate")),
        "{e}"
    );
    assert!(!e.transient());
    assert_no_secret(&e);
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn https_with_a_certificate_for_another_host() {
    let srv = TlsServer::start(&["other.example"], 1);
    let c = StatusClient::builder("acc-1", "sandbox", PASSWORD)
        .base_url(format!("https://localhost:{}", srv.addr.port()))
        .extra_ca_pem(srv.ca_pem.clone())
        .system_roots(false)
        .build()
        .unwrap();
    let e = c.get("77", None).unwrap_err();
    assert_eq!(
        (e.kind(), e.reason()),
        (ErrorKind::Tls, Some("certificate")),
        "{e}"
    );
    assert!(
        e.message().contains("localhost") || e.message().contains("name"),
        "{e}"
    );
}
