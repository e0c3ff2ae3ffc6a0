//! Messages per second through the transport against the local sandbox (started in
//! process on 127.0.0.1, STARTTLS + AUTH PLAIN, PIPELINING + CHUNKING): one connection
//! with `send` one by one, with `send_many` (BDAT, then DATA), and the pool's
//! `send_many` over 1, 4 and 16 connections. Prints one line per case with messages/s
//! and round trips per message. Wall-clock figures: noisy on a loaded machine.
//!
//! `cargo run --release -p email365 --features smtp --example smtp_throughput [N]`

use email365::message::Envelope;
use email365::smtp::{Outgoing, SmtpClient, SmtpPool};
use email365_sandbox::{Config, Sandbox};
use std::time::Instant;

#[path = "../tests/smtp_support/sandbox.rs"]
mod sandbox;

use sandbox::sandbox_options as options;

fn report(case: &str, n: usize, secs: f64, round_trips: Option<u64>) {
    let rt = round_trips.map_or("-".to_string(), |r| format!("{:.3}", r as f64 / n as f64));
    println!(
        "{case:<40} {n:>6} msgs {:>10.0} msgs/s   round trips/msg {rt}",
        n as f64 / secs
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let sb = Sandbox::start(Config {
        step: std::time::Duration::ZERO,
        ..Config::default()
    })
    .expect("the sandbox starts");
    let envelope = Envelope {
        mail_from: "sender@example.com".into(),
        rcpt_to: vec!["someone@example.net".into()],
    };
    let body = b"Subject: throughput\r\n\r\nA short body.\r\n".to_vec();
    let items: Vec<Outgoing<'_>> = (0..n).map(|_| Outgoing::raw(&envelope, &body)).collect();

    for (case, chunking, many) in [
        ("one connection, send (BDAT)", true, false),
        ("one connection, send (DATA)", false, false),
        ("one connection, send_many (BDAT)", true, true),
        ("one connection, send_many (DATA)", false, true),
    ] {
        let mut o = options(&sb);
        o.chunking = chunking;
        let mut c = SmtpClient::connect(o).expect("connect");
        let before = c.round_trips();
        let t = Instant::now();
        let ok = if many {
            c.send_many_outgoing(&items)
                .iter()
                .filter(|r| r.is_ok())
                .count()
        } else {
            items
                .iter()
                .filter(|it| c.send_with(it.envelope, it.bytes, it.needs).is_ok())
                .count()
        };
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(ok, n, "every message accepted");
        report(case, n, secs, Some(c.round_trips() - before));
        sb.clear_messages();
    }
    for conns in [1usize, 4, 16] {
        let pool = SmtpPool::new(options(&sb), conns).expect("pool");
        // Warm the connections (greeting, TLS, AUTH) outside the timing.
        let _ = pool.send_many_outgoing(&items[..conns.min(n)]);
        let t = Instant::now();
        let ok = pool
            .send_many_outgoing(&items)
            .iter()
            .filter(|r| r.is_ok())
            .count();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(ok, n);
        report(&format!("pool of {conns}, send_many"), n, secs, None);
        let t = Instant::now();
        std::thread::scope(|s| {
            let per = n / conns;
            for _ in 0..conns {
                let pool = &pool;
                let items = &items;
                s.spawn(move || {
                    for it in &items[..per] {
                        pool.send_raw(it.envelope, it.bytes).expect("send");
                    }
                });
            }
        });
        let secs = t.elapsed().as_secs_f64();
        report(
            &format!("pool of {conns}, {conns} threads x send"),
            (n / conns) * conns,
            secs,
            None,
        );
        pool.close();
        sb.clear_messages();
    }
    sb.stop();
}
