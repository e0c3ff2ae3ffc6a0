//! Interop with Postfix (Debian's package, unpacked by `scripts/setup.sh`): each test
//! starts a private instance through `tests/interop/postfix_server.py` (the harness the
//! Python and C tests share) on a free port of 127.0.0.1 with STARTTLS required, AUTH
//! PLAIN over Cyrus SASL after STARTTLS only, `reject*` recipients refused with
//! `550 5.1.1` and every accepted recipient delivered to a Maildir. What Postfix stored
//! for each recipient is read back through the harness (`deliveries QUEUE_ID COUNT`), by
//! the queue id of Postfix's `250 2.0.0 Ok: queued as <id>` reply.
#![cfg(feature = "smtp")]

mod smtp_support;

use base64::Engine as _;
use email365::message::Envelope;
use email365::smtp::{SmtpClient, SmtpOptions, Timeouts, TrustSettings};
use email365::ErrorKind;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use smtp_support::assert_succeeded;
use smtp_support::batch::{envelope, send_many_counted, send_one_more_and_quit};

struct Postfix {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    info: serde_json::Value,
}

impl Drop for Postfix {
    fn drop(&mut self) {
        // EOF on stdin stops the instance (`postfix stop`) and removes its folder.
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

/// One delivered copy: the envelope Postfix delivered it with and the message it stored.
struct Stored {
    recipient: String,
    return_path: String,
    message: Vec<u8>,
}

fn start() -> Postfix {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv/bin/python");
    let harness = root.join("tests/interop/postfix_server.py");
    assert!(
        python.exists(),
        "{} is missing: run `bash scripts/setup.sh` (make test does)",
        python.display()
    );
    let check = Command::new(&python)
        .arg(&harness)
        .arg("--check")
        .output()
        .expect("run the Postfix harness");
    assert_succeeded(&check);
    let mut child = Command::new(&python)
        .arg(&harness)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the Postfix harness");
    let stdin = child.stdin.take();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("harness output");
    let info: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("postfix did not start ({e}): {line:?}"));
    eprintln!("postfix started in {} ms", info["startup_ms"]);
    Postfix {
        child,
        stdin,
        stdout,
        info,
    }
}

impl Postfix {
    fn options(&self, password: &str) -> SmtpOptions {
        let port = self.info["port"].as_u64().expect("port") as u16;
        let ca = std::fs::read(self.info["ca_file"].as_str().expect("ca_file")).expect("CA");
        let user = self.info["username"].as_str().expect("username");
        let mut o = SmtpOptions::new("localhost")
            .port(port)
            .credentials(user, password);
        o.trust = TrustSettings {
            system_roots: false,
            extra_ca_pem: Some(ca),
        };
        o.timeouts = Timeouts {
            connect: Duration::from_secs(10),
            greeting: Duration::from_secs(10),
            command: Duration::from_secs(10),
            data_write: Duration::from_secs(10),
            data_end: Duration::from_secs(10),
        };
        o
    }

    fn good_options(&self) -> SmtpOptions {
        let password = self.info["password"]
            .as_str()
            .expect("password")
            .to_string();
        self.options(&password)
    }

    /// The `count` copies Postfix delivered of message `queue_id`, by recipient.
    fn stored(&mut self, queue_id: &str, count: usize) -> Vec<Stored> {
        let stdin = self.stdin.as_mut().expect("stdin");
        writeln!(stdin, "deliveries {queue_id} {count}").expect("ask the harness");
        stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("harness answer");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        v["deliveries"]
            .as_array()
            .unwrap_or_else(|| panic!("{line}"))
            .iter()
            .map(|d| Stored {
                recipient: d["recipient"].as_str().unwrap().to_string(),
                return_path: d["return_path"].as_str().unwrap().to_string(),
                message: base64::engine::general_purpose::STANDARD
                    .decode(d["message_b64"].as_str().unwrap())
                    .expect("base64"),
            })
            .collect()
    }
}

/// A message whose only header recipient is `rcpt@example.net`, with a line that needs
/// dot-stuffing.
fn message(i: usize) -> Vec<u8> {
    format!(
        "From: Shop <shop@example.com>\r\nTo: rcpt@example.net\r\nSubject: postfix {i}\r\nDate: Mon, 7 Dec 2026 00:00:00 +0000\r\nMessage-ID: <postfix{i}@example.com>\r\n\r\n.line with a dot {i}\r\nbody {i}\r\n"
    )
    .into_bytes()
}

/// A Maildir keeps LF line ends.
fn lf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes()
}

#[test]
fn postfix_delivers_to_an_envelope_that_differs_from_the_headers_and_reports_the_refused_one() {
    let mut s = start();
    let mut c = SmtpClient::connect(s.good_options()).expect("connect to postfix");
    let caps = c.capabilities().unwrap().clone();
    assert!(caps.pipelining, "{caps:?}");
    let to = [
        "rcpt@example.net",
        "other@example.org",
        "reject-x@example.net",
    ];
    let d = c
        .send_raw(&envelope("bounces@example.com", &to), &message(0))
        .expect("send");
    let accepted: Vec<&str> = d.accepted.iter().map(|r| r.recipient.as_str()).collect();
    assert_eq!(accepted, ["rcpt@example.net", "other@example.org"]);
    assert_eq!(d.rejected.len(), 1, "{d:?}");
    let refused = &d.rejected[0];
    assert_eq!(refused.recipient, "reject-x@example.net");
    assert_eq!(refused.reply.code, 550);
    assert_eq!(
        refused.reply.enhanced.map(|e| e.to_string()).as_deref(),
        Some("5.1.1")
    );
    assert_eq!(d.final_reply.code, 250);
    let id = d.notification_id.clone().expect("postfix's queue id");
    assert!(
        d.final_reply_raw.ends_with(&format!("queued as {id}")),
        "{:?}",
        d.final_reply_raw
    );
    let stored = s.stored(&id, 2);
    let recipients: Vec<&str> = stored.iter().map(|m| m.recipient.as_str()).collect();
    assert_eq!(recipients, ["other@example.org", "rcpt@example.net"]);
    for m in &stored {
        assert_eq!(m.return_path, "bounces@example.com");
        assert_eq!(m.message, lf(&message(0)), "stored for {}", m.recipient);
    }
    c.quit().unwrap();
}

#[test]
fn postfix_send_many_pipelines_several_messages_over_one_connection() {
    let mut s = start();
    let mut c = SmtpClient::connect(s.good_options()).expect("connect");
    let n = 6;
    let envs: Vec<Envelope> = (0..n)
        .map(|i| match i {
            2 => envelope("shop@example.com", &["reject-a@example.net"]),
            4 => envelope(
                "shop@example.com",
                &[&format!("r{i}@example.net"), "reject-b@example.net"],
            ),
            _ => envelope("shop@example.com", &[&format!("r{i}@example.net")]),
        })
        .collect();
    let bodies: Vec<Vec<u8>> = (0..n).map(message).collect();
    let (results, round_trips) = send_many_counted(&mut c, &envs, &bodies);
    eprintln!("postfix send_many: {round_trips} round trips for {n} messages");
    for (i, r) in results.iter().enumerate() {
        if i == 2 {
            let e = r.as_ref().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::RecipientsRejected, "{e:?}");
            continue;
        }
        let d = r.as_ref().unwrap_or_else(|e| panic!("message {i}: {e:?}"));
        assert_eq!(d.accepted[0].recipient, format!("r{i}@example.net"));
        if i == 4 {
            assert_eq!(d.rejected[0].recipient, "reject-b@example.net");
            assert_eq!(d.rejected[0].reply.code, 550);
        }
        let id = d.notification_id.as_deref().expect("queue id");
        let stored = s.stored(id, 1);
        assert_eq!(stored.len(), 1, "message {i}");
        assert_eq!(stored[0].recipient, format!("r{i}@example.net"));
        assert_eq!(stored[0].message, lf(&bodies[i]), "message {i}");
    }
    assert!(
        round_trips < n as u64,
        "{round_trips} round trips for {n} messages: not pipelined"
    );
    send_one_more_and_quit(c, "shop@example.com", &message(9));
}

#[test]
fn postfix_refuses_a_wrong_password_without_the_password_in_the_error() {
    let s = start();
    let wrong = "wrong-pass-Zq81";
    let e = SmtpClient::connect(s.options(wrong)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e:?}");
    assert_eq!(e.reply().map(|r| r.code), Some(535), "{e:?}");
    for shown in [format!("{e}"), format!("{e:?}")] {
        assert!(!shown.contains(wrong), "{shown}");
    }
}
