//! Interop with a real SMTP server, aiosmtpd (PyPI, installed into `.venv/` by
//! `scripts/setup.sh`): STARTTLS required, AUTH PLAIN, a SIZE limit and refused
//! recipients. What the server received must be byte-identical to what was sent.
#![cfg(feature = "smtp")]

mod smtp_support;

use base64::Engine as _;
use email365::message::{BuiltMessage, Envelope};
use email365::smtp::{Delivery, SmtpClient};
use email365::ErrorKind;
use smtp_support::*;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

struct Server {
    child: Child,
    port: u16,
    received: Receiver<serde_json::Value>,
    pki: Pki,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing stdin stops the server; kill it if it does not go.
        drop(self.child.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn start(size_limit: usize) -> Server {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash scripts/setup.sh` (make test does)",
        python.display()
    );
    let pki = pki();
    let dir = std::env::temp_dir().join(format!(
        "email365-interop-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, &pki.good.2).expect("cert");
    std::fs::write(&key, &pki.good.3).expect("key");
    let port = free_port();
    let mut child = Command::new(&python)
        .arg(root.join("tests/interop/aiosmtpd_server.py"))
        .args(["--port", &port.to_string()])
        .arg("--cert")
        .arg(&cert)
        .arg("--key")
        .arg(&key)
        .args(["--user", USER, "--password", PASS])
        .args(["--size-limit", &size_limit.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start aiosmtpd");
    let stdout = child.stdout.take().expect("stdout");
    let (ready_tx, ready_rx) = channel();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if line.starts_with("READY") {
                let _ = ready_tx.send(());
            } else if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("aiosmtpd did not start");
    let _ = child.stdin.as_mut().map(|s| s.flush());
    Server {
        child,
        port,
        received: rx,
        pki,
        _dir: TempDir(dir),
    }
}

fn message(from: &str, to: &[&str], body: &str) -> BuiltMessage {
    let bytes = format!(
        "From: {from}\r\nTo: {}\r\nSubject: interop\r\nMessage-ID: <x@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}",
        to.join(", ")
    )
    .into_bytes();
    BuiltMessage {
        eight_bit: !bytes.is_ascii(),
        smtputf8: !from.is_ascii() || to.iter().any(|t| !t.is_ascii()),
        bytes,
        envelope: Envelope {
            mail_from: from.to_string(),
            rcpt_to: to.iter().map(|s| s.to_string()).collect(),
        },
        message_id: "x@example.com".into(),
    }
}

fn received(server: &Server) -> serde_json::Value {
    server
        .received
        .recv_timeout(Duration::from_secs(10))
        .expect("the server received nothing")
}

fn data_of(v: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v["data_b64"].as_str().expect("data"))
        .expect("base64")
}

fn client(s: &Server) -> SmtpClient {
    SmtpClient::connect(options(s.port, &s.pki)).expect("connect to aiosmtpd")
}

/// Sends `body` from sender@example.com to `to` through a fresh aiosmtpd (size limit
/// 100,000): the server, the client (still connected), the message and its delivery.
fn send_fresh(to: &[&str], body: &str) -> (Server, SmtpClient, BuiltMessage, Delivery) {
    let s = start(100_000);
    let mut c = client(&s);
    let m = message("sender@example.com", to, body);
    let d = c.send(&m).expect("send");
    (s, c, m, d)
}

#[test]
fn aiosmtpd_one_message_byte_identical() {
    let (s, mut c, m, d) = send_fresh(
        &["rcpt@example.net"],
        "Hello.\r\n.leading dot\r\n..two dots\r\nlast line\r\n",
    );
    assert_eq!(d.final_reply.code, 250);
    assert!(d
        .final_reply_raw
        .starts_with("250 2.0.0 Ok: queued as 1000000000000"));
    let v = received(&s);
    assert_eq!(data_of(&v), m.bytes);
    assert_eq!(v["mail_from"], "sender@example.com");
    assert_eq!(v["rcpt_tos"], serde_json::json!(["rcpt@example.net"]));
    assert!(
        v["mail_options"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(format!("SIZE={}", m.bytes.len()))),
        "{v}"
    );
    c.quit().expect("quit");
    // Needs the real notification-id extractor (the stub returns None).
    assert_eq!(d.notification_id.as_deref(), Some("10000000000001"));
}

#[test]
fn aiosmtpd_one_recipient_rejected() {
    let (s, mut c, m, d) = send_fresh(
        &["a@example.net", "reject-me@example.net", "b@example.net"],
        "Body\r\n",
    );
    let acc: Vec<&str> = d.accepted.iter().map(|r| r.recipient.as_str()).collect();
    assert_eq!(acc, ["a@example.net", "b@example.net"]);
    assert_eq!(d.rejected.len(), 1);
    assert_eq!(d.rejected[0].recipient, "reject-me@example.net");
    assert_eq!(d.rejected[0].reply.code, 550);
    let v = received(&s);
    assert_eq!(
        v["rcpt_tos"],
        serde_json::json!(["a@example.net", "b@example.net"])
    );
    assert_eq!(data_of(&v), m.bytes);
    // Every recipient refused: recipients_rejected, and the session goes on.
    let e = c
        .send(&message(
            "sender@example.com",
            &["reject1@example.net", "reject2@example.net"],
            "x\r\n",
        ))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected);
    assert_eq!(e.replies().len(), 2);
    c.send(&message(
        "sender@example.com",
        &["ok@example.net"],
        "again\r\n",
    ))
    .expect("send after a refusal");
    assert_eq!(
        received(&s)["rcpt_tos"],
        serde_json::json!(["ok@example.net"])
    );
    c.quit().unwrap();
}

#[test]
fn aiosmtpd_size_exceeded() {
    let s = start(1000);
    let mut c = client(&s);
    assert_eq!(c.capabilities().unwrap().size, Some(1000));
    let e = c
        .send(&message(
            "sender@example.com",
            &["a@example.net"],
            &"x".repeat(2000),
        ))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MessageTooLarge);
    assert!(e.message().contains("1000"));
    // A message under the limit still goes through on the same session.
    c.send(&message(
        "sender@example.com",
        &["a@example.net"],
        "small\r\n",
    ))
    .expect("small message");
    assert!(received(&s)["data_b64"].is_string());
    c.quit().unwrap();
}

#[test]
fn aiosmtpd_smtputf8_address() {
    let s = start(100_000);
    let mut c = client(&s);
    assert!(c.capabilities().unwrap().smtputf8);
    let m = message("sender@example.com", &["jürgen@example.net"], "Grüße\r\n");
    c.send(&m).expect("send");
    let v = received(&s);
    assert_eq!(v["rcpt_tos"], serde_json::json!(["jürgen@example.net"]));
    let opts = v["mail_options"].as_array().unwrap();
    assert!(opts.contains(&serde_json::json!("SMTPUTF8")), "{v}");
    assert!(opts.contains(&serde_json::json!("BODY=8BITMIME")), "{v}");
    assert_eq!(data_of(&v), m.bytes);
    c.quit().unwrap();
}

#[test]
fn aiosmtpd_200_messages_on_one_connection() {
    let s = start(100_000);
    let mut c = client(&s);
    let start = std::time::Instant::now();
    for i in 0..200 {
        let m = message(
            "sender@example.com",
            &["a@example.net"],
            &format!("message {i}\r\n.dot line {i}\r\n"),
        );
        c.send(&m).expect("send");
        let v = received(&s);
        assert_eq!(data_of(&v), m.bytes, "message {i}");
    }
    let elapsed = start.elapsed();
    c.quit().unwrap();
    eprintln!("200 messages on one connection to aiosmtpd: {elapsed:?}");
}

#[test]
fn aiosmtpd_smuggling_corpus_arrives_whole() {
    let s = start(100_000);
    let mut c = client(&s);
    let corpus: [&str; 8] = [
        "\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r",
    ];
    for seq in corpus {
        let body = format!("before{seq}MAIL FROM:<evil@example.org>\r\nafter\r\n");
        let m = message("sender@example.com", &["a@example.net"], &body);
        c.send(&m).expect("send");
        let v = received(&s);
        let got = data_of(&v);
        assert_eq!(
            got.len(),
            email365::smtp::dot::normalised_len(&m.bytes),
            "{seq:?}"
        );
        assert!(
            got.ends_with(b"MAIL FROM:<evil@example.org>\r\nafter\r\n"),
            "{seq:?}"
        );
    }
    c.quit().unwrap();
}

#[test]
fn aiosmtpd_wrong_password_is_auth() {
    let s = start(100_000);
    let mut o = options(s.port, &s.pki);
    o = o.credentials(USER, "wrong");
    let e = SmtpClient::connect(o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e:?}");
    assert!(!format!("{e:?}").contains("wrong"));
}

#[test]
fn aiosmtpd_send_many_without_pipelining_goes_serially_with_per_message_results() {
    let s = start(100_000);
    let mut c = client(&s);
    assert!(
        !c.capabilities().unwrap().pipelining,
        "aiosmtpd offers no PIPELINING"
    );
    let messages: Vec<BuiltMessage> = (0..6)
        .map(|i| {
            let to: &[&str] = match i {
                2 => &["reject-a@example.net", "reject-b@example.net"],
                4 => &["a@example.net", "reject-c@example.net"],
                _ => &["a@example.net"],
            };
            message("sender@example.com", to, &format!("many {i}\r\n"))
        })
        .collect();
    let before = c.round_trips();
    let results = c.send_many(&messages);
    assert!(
        c.round_trips() - before >= 6 * 4,
        "no pipelining: one command at a time"
    );
    assert_eq!(results.len(), 6);
    for (i, r) in results.iter().enumerate() {
        match i {
            2 => assert_eq!(
                r.as_ref().unwrap_err().kind(),
                ErrorKind::RecipientsRejected
            ),
            4 => {
                let d = r.as_ref().unwrap();
                assert_eq!(d.rejected[0].recipient, "reject-c@example.net");
            }
            _ => assert!(r.is_ok(), "{i}: {r:?}"),
        }
        if let Ok(d) = r {
            // Each final reply belongs to the message the server received then.
            let v = received(&s);
            assert_eq!(data_of(&v), messages[i].bytes, "message {i}");
            assert!(d.notification_id.is_some());
        }
    }
    c.quit().unwrap();
}

/// The tokio client against aiosmtpd: STARTTLS, AUTH PLAIN, a refused recipient, and a
/// batch; the bytes received are those sent.
#[cfg(feature = "tokio")]
#[tokio::test]
async fn aiosmtpd_tokio_client_starttls_auth_byte_identical() {
    use email365::smtp::AsyncSmtpClient;
    let s = start(100_000);
    let mut c = AsyncSmtpClient::connect(options(s.port, &s.pki))
        .await
        .expect("connect to aiosmtpd");
    assert!(c
        .capabilities()
        .is_some_and(|caps| caps.offers_auth("PLAIN")));
    let m = message(
        "sender@example.com",
        &["a@example.net", "reject-me@example.net"],
        "Hello.\r\n.leading dot\r\nlast line\r\n",
    );
    let d = c.send(&m).await.expect("send");
    assert_eq!(d.final_reply.code, 250);
    assert_eq!(d.rejected.len(), 1);
    assert_eq!(d.rejected[0].recipient, "reject-me@example.net");
    let v = received(&s);
    assert_eq!(data_of(&v), m.bytes);
    assert_eq!(v["rcpt_tos"], serde_json::json!(["a@example.net"]));
    let batch: Vec<BuiltMessage> = (0..3)
        .map(|i| {
            message(
                "sender@example.com",
                &["b@example.net"],
                &format!("m{i}\r\n"),
            )
        })
        .collect();
    let results = c.send_many(&batch).await;
    for (i, r) in results.iter().enumerate() {
        assert!(r.is_ok(), "{i}: {r:?}");
        assert_eq!(data_of(&received(&s)), batch[i].bytes, "message {i}");
    }
    c.quit().await.expect("quit");
}
