//! Interop with Exim (Debian's `exim4-daemon-light`, installed by
//! `scripts/setup-exim.sh`, which `scripts/setup.sh` runs): a real server offering
//! PIPELINING and CHUNKING, so BDAT and `send_many` windows are checked against a server
//! this project did not write. Each test starts its own foreground daemon
//! (`exim4 -C <config> -bdf`) on a free port of 127.0.0.1 with STARTTLS (a certificate
//! made at test time), AUTH PLAIN for one user, `queue_only` (nothing is delivered) and
//! ACLs that refuse `reject*` recipients and senders at `unregistered.example`. What the
//! server stored is read back from its spool (`input/<id>-D`, named by the id in its
//! `250 OK id=<id>` reply), so every delivery is matched to the bytes the server holds.
#![cfg(feature = "smtp")]

mod smtp_support;

use email365::smtp::{SmtpClient, SmtpOptions};
use email365::ErrorKind;
use smtp_support::batch::*;
use smtp_support::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const EXIM: &str = "/usr/sbin/exim4";

struct Exim {
    child: Child,
    port: u16,
    dir: PathBuf,
    pki: Pki,
}

impl Drop for Exim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

// The configuration tests/interop/exim_server.py (the harness other languages start)
// fills in too.
fn config(dir: &Path, port: u16) -> String {
    let d = dir.display().to_string();
    let (cert, key) = (format!("{d}/cert.pem"), format!("{d}/key.pem"));
    include_str!("../../tests/interop/exim.conf")
        .replace("@DIR@", &d)
        .replace("@PORT@", &port.to_string())
        .replace("@CERT@", &cert)
        .replace("@KEY@", &key)
        .replace("@USER@", USER)
        .replace("@PASSWORD@", PASS)
}

fn start() -> Exim {
    assert!(
        Path::new(EXIM).exists(),
        "{EXIM} is missing: run `bash scripts/setup.sh` (make test does), which installs exim4-daemon-light"
    );
    let pki = pki();
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("email365-exim-{}-{port}", std::process::id()));
    std::fs::create_dir_all(dir.join("spool")).expect("spool");
    std::fs::create_dir_all(dir.join("log")).expect("log");
    std::fs::write(dir.join("cert.pem"), &pki.good.2).expect("cert");
    std::fs::write(dir.join("key.pem"), &pki.good.3).expect("key");
    std::fs::write(dir.join("exim.conf"), config(&dir, port)).expect("config");
    // Exim receives as its own user (Debian-exim): let it write the spool and logs
    // (the configuration stays root's: Exim refuses one owned by anyone else).
    for sub in ["spool", "log"] {
        let _ = Command::new("chown")
            .args(["-R", "Debian-exim"])
            .arg(dir.join(sub))
            .status();
    }
    let _ = Command::new("chown").arg("Debian-exim").arg(&dir).status();
    let child = Command::new(EXIM)
        .arg("-C")
        .arg(dir.join("exim.conf"))
        .arg("-bdf")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("stderr.txt")).expect("stderr file"),
        ))
        .spawn()
        .expect("start exim");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "exim did not start listening: {} {}",
            std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default(),
            std::fs::read_to_string(dir.join("log/paniclog")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Exim {
        child,
        port,
        dir,
        pki,
    }
}

impl Exim {
    fn options(&self) -> (SmtpOptions, Arc<Mutex<Vec<String>>>) {
        let mut o = options(self.port, &self.pki);
        let lines = record_sent(&mut o);
        (o, lines)
    }

    /// The body Exim stored for message `id` (its `-D` spool file without the id line).
    fn stored_body(&self, id: &str) -> Vec<u8> {
        let path = self.dir.join("spool/input").join(format!("{id}-D"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let start = bytes.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
        bytes[start..].to_vec()
    }
}

fn message(i: usize) -> Vec<u8> {
    format!(
        "From: sender@example.com\r\nSubject: exim {i}\r\nMessage-ID: <exim{i}@example.com>\r\n\r\n.line with a dot {i}\r\nbody {i}\r\n"
    )
    .into_bytes()
}

/// Exim keeps the body in its `-D` file with LF line ends.
fn body_lf(i: usize) -> Vec<u8> {
    format!(".line with a dot {i}\nbody {i}\n").into_bytes()
}

#[test]
fn exim_bdat_one_round_trip_per_message_and_the_bytes_stored() {
    let s = start();
    let (o, lines) = s.options();
    let mut c = SmtpClient::connect(o).expect("connect to exim");
    let caps = c.capabilities().unwrap().clone();
    assert!(caps.chunking && caps.pipelining, "{caps:?}");
    let before = c.round_trips();
    for i in 0..5 {
        let d = c
            .send_raw(
                &envelope("sender@example.com", &["a@example.net"]),
                &message(i),
            )
            .expect("send");
        let id = d.notification_id.clone().expect("exim's id=");
        assert_eq!(s.stored_body(&id), body_lf(i), "message {i}");
    }
    assert_eq!(
        c.round_trips() - before,
        5,
        "BDAT: one round trip per message"
    );
    let sent = lines.lock().unwrap().clone();
    assert!(sent
        .iter()
        .any(|l| l.starts_with("BDAT ") && l.ends_with(" LAST")));
    assert!(!sent.iter().any(|l| l == "DATA"));
    c.quit().unwrap();
}

#[test]
fn exim_bdat_refusals_keep_the_connection_usable() {
    let s = start();
    let (o, _) = s.options();
    let mut c = SmtpClient::connect(o).expect("connect");
    let d = c
        .send_raw(
            &envelope(
                "sender@example.com",
                &["a@example.net", "reject-b@example.net"],
            ),
            &message(0),
        )
        .unwrap();
    assert_eq!(d.accepted.len(), 1);
    assert_eq!(d.rejected[0].recipient, "reject-b@example.net");
    assert_eq!(d.rejected[0].reply.code, 550);
    let e = c
        .send_raw(
            &envelope("sender@example.com", &["reject-x@example.net"]),
            &message(1),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected, "{e:?}");
    let e = c
        .send_raw(
            &envelope("x@unregistered.example", &["a@example.net"]),
            &message(2),
        )
        .unwrap_err();
    assert_eq!(e.reason(), Some("mail_refused"), "{e:?}");
    assert_eq!(e.reply().unwrap().code, 550);
    let d = c
        .send_raw(
            &envelope("sender@example.com", &["c@example.net"]),
            &message(3),
        )
        .expect("still usable");
    assert_eq!(
        s.stored_body(d.notification_id.as_deref().unwrap()),
        body_lf(3)
    );
    c.quit().unwrap();
}

fn exim_send_many(chunking: bool) {
    let s = start();
    let (mut o, _) = s.options();
    o.chunking = chunking;
    o.window = 8;
    let mut c = SmtpClient::connect(o).expect("connect");
    let n = 30;
    let envs = mixed_envelopes(n, "sender@example.com");
    let bodies: Vec<Vec<u8>> = (0..n).map(message).collect();
    let (results, rt) = send_many_counted(&mut c, &envs, &bodies);
    for (i, r) in results.iter().enumerate() {
        check_mixed_outcome(i, r);
        if let Ok(d) = r {
            let id = d.notification_id.as_deref().expect("id");
            assert_eq!(
                s.stored_body(id),
                body_lf(i),
                "message {i} matched to its reply"
            );
        }
    }
    // Exim flushes each final reply as soon as the message is queued, so the client
    // wakes more often than with the sandbox (which answers a whole window at once) and
    // refills the window each time: below one wait per message, not 1/window.
    let per_message = rt as f64 / n as f64;
    eprintln!("exim send_many (chunking {chunking}): {rt} round trips for {n} messages");
    if chunking {
        assert!(per_message < 1.0, "{rt} round trips for {n} messages");
    } else {
        assert!(per_message <= 1.2, "{rt} round trips for {n} messages");
    }
    send_one_more_and_quit(c, "sender@example.com", &message(99));
}

#[test]
fn exim_send_many_with_bdat_windows_and_failures_in_the_middle() {
    exim_send_many(true);
}

#[test]
fn exim_send_many_with_data_pipelined_behind_each_message() {
    exim_send_many(false);
}
