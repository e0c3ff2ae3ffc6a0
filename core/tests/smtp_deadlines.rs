//! Every step of a session is bounded by its deadline, whatever the server does: a
//! scripted server on loopback drips its greeting, a reply, the TLS handshake or the
//! final reply one byte at a time, or drains the message data slowly, and the client
//! fails within the step's limit plus a second. Also: plaintext only to loopback hosts,
//! and idle pooled connections expire.
#![cfg(feature = "smtp")]

mod smtp_support;

use email365::message::Envelope;
use email365::smtp::{SmtpClient, SmtpOptions, SmtpPool, TlsMode};
use email365::ErrorKind;
use smtp_support::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(1);
const DRIP: Duration = Duration::from_millis(500);
const CAPS: &[&str] = &["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"];
const MSG: &[u8] =
    b"From: sender@example.com\r\nTo: a@example.net\r\nSubject: hi\r\n\r\nHello.\r\n";

fn env() -> Envelope {
    Envelope {
        mail_from: "sender@example.com".into(),
        rcpt_to: vec!["a@example.net".into()],
    }
}

/// The test options with every step limited to [`LIMIT`].
fn limited(port: u16, pki: &Pki) -> SmtpOptions {
    let mut o = options(port, pki);
    o.timeouts.connect = LIMIT;
    o.timeouts.greeting = LIMIT;
    o.timeouts.command = LIMIT;
    o.timeouts.data_write = LIMIT;
    o.timeouts.data_end = LIMIT;
    o
}

fn assert_within_limit(started: Instant) {
    let took = started.elapsed();
    assert!(
        took < LIMIT + Duration::from_secs(1),
        "the step lasted {took:?}, more than its limit plus a second"
    );
}

/// Connects, every step limited to [`LIMIT`], to a server running `script`: the
/// connection fails within the limit (plus a second); its error.
fn connect_fails_in_time(script: impl Fn(&mut Peer) + Send + 'static) -> email365::Error {
    let pki = pki();
    let (port, _w, h) = serve(1, move |_, p| script(p));
    let t = Instant::now();
    let e = SmtpClient::connect(limited(port, &pki)).unwrap_err();
    assert_within_limit(t);
    h.join().unwrap();
    e
}

fn assert_timeout(e: &email365::Error, reason: &str) {
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.reason(), Some(reason));
}

#[test]
fn greeting_dripped_one_byte_per_half_second_times_out() {
    let e = connect_fails_in_time(|p| {
        p.drip("220 mx.test ESMTP a greeting that takes a while\r\n", DRIP);
    });
    assert_timeout(&e, "greeting");
}

#[test]
fn ehlo_reply_dripped_one_byte_per_half_second_times_out() {
    let e = connect_fails_in_time(|p| {
        p.send("220 mx.test ESMTP\r\n");
        p.expect("EHLO");
        p.drip("250-mx.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n", DRIP);
    });
    assert_timeout(&e, "reply");
}

/// Greeting, EHLO and STARTTLS answered at once, then `handshake`: the handshake's
/// limit is what counts.
fn starttls_then(handshake: impl Fn(&mut Peer) + Send + 'static) -> email365::Error {
    connect_fails_in_time(move |p| {
        p.send("220 mx.test ESMTP\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 STARTTLS\r\n");
        p.expect("STARTTLS");
        p.send("220 2.0.0 go ahead\r\n");
        handshake(p);
    })
}

#[test]
fn tls_handshake_dripped_one_byte_per_half_second_times_out() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let e = starttls_then(move |p| p.drip_tls_handshake(tls.clone(), DRIP));
    assert_timeout(&e, "tls_handshake");
}

#[test]
fn tls_handshake_stalled_by_a_silent_server_times_out() {
    let e = starttls_then(|p| {
        // Reads the client's hello and never answers.
        p.read_some(1);
        std::thread::sleep(LIMIT * 2);
    });
    assert_timeout(&e, "tls_handshake");
}

/// A plaintext session on loopback up to the data, then `after_data` on the server.
fn plaintext_send(
    message: Vec<u8>,
    after_dot: impl Fn(&mut Peer) + Send + 'static,
) -> (email365::Error, Duration) {
    let pki = pki();
    let (port, _w, h) = serve(1, move |_, p| {
        p.send("220 mx.test ESMTP\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 PIPELINING\r\n");
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("DATA");
        p.send("250 ok\r\n250 ok\r\n354 go\r\n");
        after_dot(p);
    });
    let mut o = limited(port, &pki).tls(TlsMode::InsecurePlaintext);
    o.host = "127.0.0.1".into();
    o.credentials = None;
    let mut c = SmtpClient::connect(o).unwrap();
    let t = Instant::now();
    let e = c.send_raw(&env(), &message).unwrap_err();
    let took = t.elapsed();
    drop(c);
    h.join().unwrap();
    (e, took)
}

#[test]
fn final_reply_dripped_one_byte_per_half_second_is_outcome_unknown_in_time() {
    let (e, took) = plaintext_send(MSG.to_vec(), |p| {
        p.data();
        p.drip("250 2.0.0 Ok: queued as 12345\r\n", DRIP);
    });
    // No final reply in time: the message may have been accepted (the existing
    // `outcome_unknown`, reason `timeout`, of a final reply that never came).
    assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{e:?}");
    assert_eq!(e.reason(), Some("timeout"));
    assert!(took < LIMIT + Duration::from_secs(1), "{took:?}");
}

#[test]
fn message_data_drained_slowly_by_the_server_times_out() {
    // 16 MiB of data against a server reading 4 KiB every 100 ms: more than the socket
    // buffers hold, so the write itself has to wait for the server.
    let line = b"0123456789012345678901234567890123456789012345678901234567890123456789\r\n";
    let mut message = MSG.to_vec();
    while message.len() < 16 << 20 {
        message.extend_from_slice(line);
    }
    let (e, took) = plaintext_send(message, |p| {
        p.read_slowly(4096, Duration::from_millis(100), Duration::from_secs(3));
    });
    assert_timeout(&e, "write");
    assert!(took < LIMIT + Duration::from_secs(1), "{took:?}");
}

#[test]
fn insecure_plaintext_to_a_remote_host_is_refused_before_connecting() {
    for host in [
        "192.0.2.1",
        "smtp.example.com",
        "[2001:db8::1]",
        "localhost.example.com",
    ] {
        let o = SmtpOptions::new(host).tls(TlsMode::InsecurePlaintext);
        let e = SmtpClient::new(o.clone()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{host}");
        assert_eq!(e.reason(), Some("plaintext_not_loopback"), "{host}");
        let e = SmtpPool::new(o, 2).unwrap_err();
        assert_eq!(e.reason(), Some("plaintext_not_loopback"), "{host}");
    }
    for host in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"] {
        let o = SmtpOptions::new(host).tls(TlsMode::InsecurePlaintext);
        assert!(SmtpClient::new(o).is_ok(), "{host}");
    }
}

/// After the session is set up: `250 ok` to each command, each message's data queued as
/// `queue_id`, until QUIT (`on_quit` runs, then `221`) or the end of the connection.
fn answer_until_quit(p: &mut Peer, queue_id: &str, on_quit: impl FnOnce()) {
    loop {
        let Some(line) = p.line() else { return };
        let up = line.to_ascii_uppercase();
        if up == "DATA" {
            p.send("354 go\r\n");
            p.data();
            p.send(&format!("250 2.0.0 Ok: queued as {queue_id}\r\n"));
        } else if up == "QUIT" {
            on_quit();
            p.send("221 bye\r\n");
            return;
        } else {
            p.send("250 ok\r\n");
        }
    }
}

#[test]
fn idle_pooled_connection_expires_and_is_closed_with_quit() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let quits = Arc::new(Mutex::new(Vec::new()));
    let q = quits.clone();
    let (port, _w, h) = serve(2, move |i, p| {
        p.standard_session(&tls, CAPS);
        answer_until_quit(p, &format!("Q{i}"), || q.lock().unwrap().push(i));
    });
    let mut o = options(port, &pki);
    o.idle_expiry = Duration::from_millis(200);
    let pool = SmtpPool::new(o, 2).unwrap();
    let a = pool.send_raw(&env(), MSG).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let b = pool.send_raw(&env(), MSG).unwrap();
    assert!(a.final_reply_raw.ends_with("Q0"), "{a:?}");
    assert!(
        b.final_reply_raw.ends_with("Q1"),
        "the expired connection was reused"
    );
    // The expired connection was closed politely, before the new one was opened.
    assert_eq!(*quits.lock().unwrap(), vec![0]);
    pool.close();
    h.join().unwrap();
    assert_eq!(*quits.lock().unwrap(), vec![0, 1]);
}

#[test]
fn connection_within_its_idle_expiry_is_reused() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS);
        answer_until_quit(p, "Q0", || {});
    });
    let mut o = options(port, &pki);
    o.idle_expiry = Duration::from_secs(30);
    let pool = SmtpPool::new(o, 1).unwrap();
    for _ in 0..2 {
        let d = pool.send_raw(&env(), MSG).unwrap();
        assert!(d.final_reply_raw.ends_with("Q0"));
        std::thread::sleep(Duration::from_millis(100));
    }
    pool.close();
    h.join().unwrap();
}
