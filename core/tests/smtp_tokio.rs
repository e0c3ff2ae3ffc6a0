//! The tokio transport (`AsyncSmtpClient`, `AsyncSmtpPool`): the shared session over
//! tokio against the scripted server (STARTTLS + AUTH) and the sandbox, and
//! cancellation at each step — a send whose future is dropped part-way never leaves its
//! connection to a later send: the next one goes on a fresh connection and succeeds.
#![cfg(feature = "tokio")]

mod smtp_support;

use email365::message::Envelope;
use email365::smtp::{AsyncSmtpClient, AsyncSmtpPool, Outgoing, SmtpOptions};
use email365::ErrorKind;
use email365_sandbox::{Config, Sandbox};
use smtp_support::sandbox::sandbox_options;
use smtp_support::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MSG: &[u8] = b"From: sender@example.com\r\nTo: a@example.net\r\nSubject: hi\r\n\r\nHello.\r\n.leading dot\r\n";

fn env() -> Envelope {
    Envelope {
        mail_from: "sender@example.com".into(),
        rcpt_to: vec!["a@example.net".into()],
    }
}

fn assert_send<T: Send>(_: &T) {}

#[tokio::test]
async fn async_client_sends_over_starttls_and_auth_and_quits() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h, got) = serve_accepting(tls, &["8BITMIME"], "ABC123");
    let mut c = AsyncSmtpClient::connect(options(port, &pki)).await.unwrap();
    assert!(c.is_connected());
    let envelope = env();
    let fut = c.send_raw(&envelope, MSG);
    assert_send(&fut);
    let d = fut.await.unwrap();
    assert_eq!(d.final_reply.code, 250);
    assert_eq!(d.accepted.len(), 1);
    assert_eq!(d.notification_id.as_deref(), Some("ABC123"));
    c.quit().await.unwrap();
    assert!(!c.is_connected());
    h.join().unwrap();
    let data = got.lock().unwrap();
    assert_eq!(data.len(), 1);
    assert!(data[0].ends_with(b"\r\n..leading dot\r\n.\r\n"));
    let text = wire_text(&wire);
    assert!(text.contains("STARTTLS"), "{text}");
}

#[tokio::test]
async fn async_client_refuses_auth_over_plaintext_and_remote_plaintext() {
    let o = SmtpOptions::new("smtp.example.com").tls(email365::smtp::TlsMode::InsecurePlaintext);
    let e = AsyncSmtpClient::new(o).unwrap_err();
    assert_eq!(e.reason(), Some("plaintext_not_loopback"));
    let o = SmtpOptions::new("127.0.0.1")
        .tls(email365::smtp::TlsMode::InsecurePlaintext)
        .credentials("u", "p");
    let e = AsyncSmtpPool::new(o, 2).unwrap_err();
    assert_eq!(e.reason(), Some("auth_requires_tls"));
}

#[tokio::test]
async fn async_client_step_deadline_is_a_timeout() {
    let pki = pki();
    let (port, _w, h) = serve(1, |_, p| {
        // No greeting until the client gives up.
        let _ = p.line();
    });
    let mut o = options(port, &pki);
    o.timeouts.greeting = Duration::from_millis(300);
    let e = AsyncSmtpClient::connect(o).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.reason(), Some("greeting"));
    h.join().unwrap();
}

/// Where the first connection's server stops answering.
#[derive(Clone, Copy, Debug)]
enum Stall {
    /// Before the greeting.
    Greeting,
    /// While connecting: after the 220 to STARTTLS, no TLS handshake.
    TlsHandshake,
    /// After reading MAIL FROM.
    AfterMail,
    /// In the middle of the message data: it reads a little, then nothing.
    MidData,
}

/// A 4 MiB message: more than the socket buffers hold, so writing it waits for the
/// server.
fn big_message() -> Vec<u8> {
    let mut m = MSG.to_vec();
    while m.len() < 4 << 20 {
        m.extend_from_slice(
            b"0123456789012345678901234567890123456789012345678901234567890123\r\n",
        );
    }
    m
}

/// A server whose first connection stalls at `stall` (until the client closes it) and
/// whose second accepts everything; what each connection received after the stall
/// point, and the data accepted on the second.
fn stalling_server(
    stall: Stall,
) -> (
    u16,
    Pki,
    Arc<Mutex<Vec<String>>>,
    std::thread::JoinHandle<()>,
) {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let (port, _w, h) = serve(2, move |i, p| {
        if i == 1 {
            let got = accept_all(p, &tls, &["8BITMIME"], "ABC123");
            l.lock()
                .unwrap()
                .push(format!("second: {} message(s)", got.len()));
            return;
        }
        match stall {
            Stall::Greeting => {}
            Stall::TlsHandshake => {
                p.send("220 mx.test ESMTP\r\n");
                p.expect("EHLO");
                p.send("250-mx.test\r\n250 STARTTLS\r\n");
                p.expect("STARTTLS");
                p.send("220 go ahead\r\n");
            }
            Stall::AfterMail => {
                p.standard_session(&tls, &["8BITMIME"]);
                p.expect("MAIL");
            }
            Stall::MidData => {
                p.standard_session(&tls, &["8BITMIME"]);
                p.expect("MAIL");
                p.send("250 ok\r\n");
                p.expect("RCPT");
                p.send("250 ok\r\n");
                p.expect("DATA");
                p.send("354 go\r\n");
                p.read_some(1000);
            }
        }
        // Any command that arrives on the stalled connection (message data aside),
        // until it closes.
        const COMMANDS: [&str; 7] = ["EHLO", "MAIL", "RCPT", "DATA", "RSET", "QUIT", "NOOP"];
        while let Some(line) = p.line() {
            if COMMANDS
                .iter()
                .any(|c| line.to_ascii_uppercase().starts_with(c))
            {
                l.lock().unwrap().push(format!("first: {line}"));
            }
        }
        l.lock().unwrap().push("first: closed".into());
    });
    (port, pki, log, h)
}

async fn cancelled_then_sent_again(stall: Stall, through_pool: bool) {
    let (port, pki, log, h) = stalling_server(stall);
    let message = match stall {
        Stall::MidData => big_message(),
        _ => MSG.to_vec(),
    };
    let cut = Duration::from_millis(500);
    let d = if through_pool {
        let pool = AsyncSmtpPool::new(options(port, &pki), 1).unwrap();
        let r = tokio::time::timeout(cut, pool.send_raw(&env(), &message)).await;
        assert!(
            r.is_err(),
            "{stall:?}: the first send should still be waiting: {r:?}"
        );
        let d = pool.send_raw(&env(), MSG).await;
        pool.close().await;
        d
    } else {
        let mut c = AsyncSmtpClient::new(options(port, &pki)).unwrap();
        let r = tokio::time::timeout(cut, c.send_raw(&env(), &message)).await;
        assert!(
            r.is_err(),
            "{stall:?}: the first send should still be waiting: {r:?}"
        );
        let d = c.send_raw(&env(), MSG).await;
        c.quit().await.unwrap();
        d
    };
    let d = d.unwrap_or_else(|e| panic!("{stall:?}: the second send failed: {e:?}"));
    assert_eq!(d.final_reply.code, 250);
    tokio::task::spawn_blocking(move || h.join().unwrap())
        .await
        .unwrap();
    // The stalled connection got nothing more (no RSET, no second MAIL, no QUIT): it
    // was closed, and the message went on the second connection.
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log,
        ["first: closed", "second: 1 message(s)"],
        "{stall:?} through the pool: {through_pool}"
    );
}

/// A send cancelled at each stall goes again on a fresh connection, through the client and
/// (mid-DATA, after MAIL) through the pool, which never reuses the cancelled connection.
#[tokio::test]
async fn a_cancelled_send_goes_again_on_a_fresh_connection() {
    let cases = [
        (Stall::Greeting, false),
        (Stall::TlsHandshake, false),
        (Stall::AfterMail, false),
        (Stall::MidData, false),
        (Stall::MidData, true),
        (Stall::AfterMail, true),
    ];
    for (stall, through_pool) in cases {
        cancelled_then_sent_again(stall, through_pool).await;
    }
}

fn body(i: usize) -> Vec<u8> {
    format!("Subject: m{i}\r\nMessage-ID: <m{i}@example.com>\r\n\r\n.dot\r\nbody {i}\r\n")
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_spreads_send_many_and_serves_concurrent_tasks() {
    let sb = Sandbox::start(Config {
        step: Duration::ZERO,
        ..Config::default()
    })
    .expect("the sandbox starts");
    let mut o = sandbox_options(&sb);
    o.window = 4;
    let pool = AsyncSmtpPool::new(o, 4).unwrap();
    let e = env();
    let bodies: Vec<Vec<u8>> = (0..40).map(body).collect();
    let items: Vec<Outgoing<'_>> = bodies.iter().map(|b| Outgoing::raw(&e, b)).collect();
    let results = pool.send_many_outgoing(&items).await;
    assert_eq!(results.len(), 40);
    let stored = sb.messages();
    for (i, r) in results.iter().enumerate() {
        let d = r.as_ref().unwrap();
        let id = d.notification_id.as_deref().unwrap();
        let m = stored.iter().find(|m| m.notification_id == id).unwrap();
        assert!(String::from_utf8_lossy(&m.data).contains(&format!("body {i}\r\n")));
    }
    // Tasks sharing the pool: each send on its own task.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            pool.send_raw(&env(), &body(100 + i)).await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().final_reply.code, 250);
    }
    assert_eq!(sb.messages().len(), 60);
    pool.close().await;
    sb.stop();
}
