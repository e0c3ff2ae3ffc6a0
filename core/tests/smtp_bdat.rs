//! The transport against the sandbox (a real server in process, STARTTLS + AUTH,
//! PIPELINING + CHUNKING): BDAT on the wire, round trips per message, `send_many`
//! windows with failures in the middle, and the pool spreading a list over connections.
#![cfg(feature = "smtp")]

mod smtp_support;

use email365::message::Envelope;
use email365::smtp::{Outgoing, SmtpClient, SmtpOptions, SmtpPool};
use email365::ErrorKind;
use email365_sandbox::{Config, Sandbox};
use std::sync::{Arc, Mutex};

use smtp_support::batch::{check_mixed_outcome, mixed_envelopes, outgoing, send_many_counted};
use smtp_support::record_sent;
use smtp_support::sandbox::sandbox_options;

fn sandbox() -> Sandbox {
    Sandbox::start(Config {
        step: std::time::Duration::ZERO,
        max_recipients: 3,
        ..Config::default()
    })
    .expect("the sandbox starts")
}

fn options(sb: &Sandbox) -> (SmtpOptions, Arc<Mutex<Vec<String>>>) {
    let mut o = sandbox_options(sb);
    let lines = record_sent(&mut o);
    (o, lines)
}

/// A client of the sandbox with `tweak` applied to its options, and the command lines
/// it sends.
fn connect(
    sb: &Sandbox,
    tweak: impl FnOnce(&mut SmtpOptions),
) -> (SmtpClient, Arc<Mutex<Vec<String>>>) {
    let (mut o, lines) = options(sb);
    tweak(&mut o);
    (SmtpClient::connect(o).unwrap(), lines)
}

fn env(to: &[&str]) -> Envelope {
    Envelope {
        mail_from: "sender@example.com".into(),
        rcpt_to: to.iter().map(|s| s.to_string()).collect(),
    }
}

fn body(i: usize) -> Vec<u8> {
    format!(
        "Subject: m{i}\r\nMessage-ID: <m{i}@example.com>\r\n\r\n.line with a dot\r\nbody {i}\r\n"
    )
    .into_bytes()
}

#[test]
fn bdat_is_used_with_chunking_and_costs_one_round_trip_per_message() {
    let sb = sandbox();
    let (mut c, lines) = connect(&sb, |_| {});
    assert!(c.capabilities().unwrap().chunking);
    let before = c.round_trips();
    for i in 0..4 {
        let d = c.send_raw(&env(&["a@example.net"]), &body(i)).unwrap();
        assert!(d.notification_id.is_some());
    }
    assert_eq!(c.round_trips() - before, 4, "one round trip per message");
    let sent = lines.lock().unwrap().clone();
    assert!(sent
        .iter()
        .any(|l| l.starts_with("BDAT ") && l.ends_with(" LAST")));
    assert!(!sent.iter().any(|l| l == "DATA"));
    let got = sb.messages();
    assert_eq!(got.len(), 4);
    // Not dot-stuffed on the wire: the server stores the exact bytes.
    assert_eq!(got[0].data, body(0));
    c.quit().unwrap();
    sb.stop();
}

#[test]
fn chunking_disabled_falls_back_to_data_with_two_round_trips() {
    let sb = sandbox();
    let (mut c, lines) = connect(&sb, |o| o.chunking = false);
    let before = c.round_trips();
    for i in 0..3 {
        c.send_raw(&env(&["a@example.net"]), &body(i)).unwrap();
    }
    assert_eq!(c.round_trips() - before, 6);
    assert!(!lines.lock().unwrap().iter().any(|l| l.starts_with("BDAT")));
    assert_eq!(sb.messages()[1].data, body(1));
    sb.stop();
}

#[test]
fn bdat_partial_and_refused_recipients_keep_the_connection_usable() {
    let sb = sandbox();
    let (mut c, _) = connect(&sb, |_| {});
    let d = c
        .send_raw(&env(&["a@example.net", "reject-b@example.net"]), &body(0))
        .unwrap();
    assert_eq!(d.accepted.len(), 1);
    assert_eq!(d.rejected[0].reply.code, 550);
    let e = c
        .send_raw(
            &env(&["reject-x@example.net", "greylist-y@example.net"]),
            &body(1),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected);
    assert_eq!(e.replies().len(), 2);
    let e = c
        .send_raw(
            &Envelope {
                mail_from: "someone@unregistered.example".into(),
                rcpt_to: vec!["a@example.net".into()],
            },
            &body(2),
        )
        .unwrap_err();
    assert_eq!(e.reason(), Some("mail_refused"));
    // Still usable, and exactly one message stored so far.
    c.send_raw(&env(&["c@example.net"]), &body(3)).unwrap();
    assert_eq!(sb.messages().len(), 2);
    sb.stop();
}

fn many_with_failures(chunking: bool) {
    let sb = sandbox();
    let (mut c, _) = connect(&sb, |o| {
        o.chunking = chunking;
        o.window = 8;
    });
    let bodies: Vec<Vec<u8>> = (0..40).map(body).collect();
    let mut envs = mixed_envelopes(40, "sender@example.com");
    // More recipients than the server takes per transaction (3).
    for e in envs.iter_mut().skip(9).step_by(10) {
        *e = env(&[
            "a@example.net",
            "b@example.net",
            "c@example.net",
            "d@example.net",
            "e@example.net",
        ]);
    }
    let (results, rt) = send_many_counted(&mut c, &envs, &bodies);

    let stored = sb.messages();
    let mut delivered = 0;
    for (i, r) in results.iter().enumerate() {
        if i % 10 == 9 {
            let d = r.as_ref().unwrap();
            assert_eq!(d.transactions.len(), 2, "{i}");
            assert_eq!(d.accepted.len(), 5);
        } else {
            check_mixed_outcome(i, r);
        }
        // Each delivery's notification id is the one the server stored for that very
        // message (matched by its bytes).
        if let Ok(d) = r {
            delivered += 1;
            for t in &d.transactions {
                let id = t.notification_id.as_deref().unwrap();
                let m = stored.iter().find(|m| m.notification_id == id).unwrap();
                assert_eq!(m.data, bodies[i], "message {i} matched to its reply");
            }
        }
    }
    assert_eq!(delivered, 32);
    let per_message = rt as f64 / 40.0;
    if chunking {
        assert!(per_message < 0.5, "{rt} round trips for 40 messages");
    } else {
        assert!(per_message <= 1.2, "{rt} round trips for 40 messages");
    }
    // The connection is usable after the batch.
    c.send_raw(&env(&["z@example.net"]), &body(99)).unwrap();
    sb.stop();
}

#[test]
fn send_many_with_bdat_attributes_every_reply_below_one_round_trip_per_message() {
    many_with_failures(true);
}

#[test]
fn send_many_with_data_attributes_every_reply_in_about_one_round_trip_per_message() {
    many_with_failures(false);
}

#[test]
fn send_many_without_pipelining_sends_serially() {
    let sb = sandbox();
    let (mut c, lines) = connect(&sb, |o| o.pipelining = false);
    let bodies: Vec<Vec<u8>> = (0..3).map(body).collect();
    let e = env(&["a@example.net"]);
    let items: Vec<Outgoing<'_>> = bodies.iter().map(|b| Outgoing::raw(&e, b)).collect();
    let r = c.send_many_outgoing(&items);
    assert!(r.iter().all(|r| r.is_ok()));
    assert!(!lines.lock().unwrap().iter().any(|l| l == "RSET"));
    assert_eq!(sb.messages().len(), 3);
    sb.stop();
}

#[test]
fn pool_send_many_spreads_over_connections_and_keeps_order() {
    let sb = sandbox();
    let (mut o, _) = options(&sb);
    o.window = 4;
    let pool = SmtpPool::new(o, 4).unwrap();
    let bodies: Vec<Vec<u8>> = (0..50).map(body).collect();
    let envs: Vec<Envelope> = (0..50)
        .map(|i| env(&[&format!("r{i}@example.net")]))
        .collect();
    let items = outgoing(&envs, &bodies);
    let results = pool.send_many_outgoing(&items);
    let stored = sb.messages();
    assert_eq!(stored.len(), 50);
    for (i, r) in results.iter().enumerate() {
        let d = r.as_ref().unwrap();
        assert_eq!(d.accepted[0].recipient, format!("r{i}@example.net"));
        let m = stored
            .iter()
            .find(|m| Some(m.notification_id.as_str()) == d.notification_id.as_deref())
            .unwrap();
        assert_eq!(m.data, bodies[i]);
    }
    // Several threads sending at once through the same pool.
    std::thread::scope(|s| {
        for t in 0..4 {
            let pool = &pool;
            s.spawn(move || {
                for i in 0..5 {
                    pool.send_raw(&env(&[&format!("t{t}-{i}@example.net")]), &body(i))
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(sb.messages().len(), 70);
    pool.close();
    sb.stop();
}
