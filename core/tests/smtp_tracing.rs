//! The `tracing` feature: a send with AUTH PLAIN over STARTTLS, seen by a subscriber that
//! collects every span and event as text. The commands and replies arrive as events
//! inside the connection's span, with the outcome; the password and its base64 never do.

mod smtp_support;

use email365::message::Envelope;
use smtp_support::*;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Every span and event as one line of text: `level target name: field=value ...`.
#[derive(Default, Clone)]
struct Collect {
    lines: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicU64>,
}

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl Subscriber for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut t = Text(format!("span {}:", span.metadata().name()));
        span.record(&mut t);
        self.lines.lock().unwrap().push(t.0);
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut t = Text("record:".into());
        values.record(&mut t);
        self.lines.lock().unwrap().push(t.0);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let m = event.metadata();
        let parent = if event.parent().is_some() {
            "in-span"
        } else {
            "root"
        };
        let mut t = Text(format!("{} {} {parent}:", m.level(), m.target()));
        event.record(&mut t);
        self.lines.lock().unwrap().push(t.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn commands_replies_and_outcome_are_traced_without_credentials() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _wire, h) = serve(1, move |_, p| {
        p.standard_session(&tls, &["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"]);
        p.expect("MAIL");
        p.send("250 2.1.0 Ok\r\n");
        p.expect("RCPT");
        p.send("250 2.1.5 Ok\r\n");
        p.expect("DATA");
        p.send("354 Go ahead\r\n");
        p.data();
        p.send("250 2.0.0 Ok: queued as 10000000902077\r\n");
        p.expect("QUIT");
        p.send("221 2.0.0 Bye\r\n");
    });
    let collect = Collect::default();
    let lines = collect.lines.clone();
    tracing::subscriber::with_default(collect, || {
        let mut c = email365::smtp::SmtpClient::connect(options(port, &pki)).expect("connect");
        let env = Envelope {
            mail_from: "sender@example.com".into(),
            rcpt_to: vec!["a@example.net".into()],
        };
        let d = c
            .send_raw(&env, b"Subject: hi\r\n\r\nHello.\r\n")
            .expect("send");
        assert_eq!(d.notification_id.as_deref(), Some("10000000902077"));
        c.quit().expect("quit");
    });
    h.join().unwrap();
    let lines = lines.lock().unwrap();
    let all = lines.join("\n");
    assert!(
        all.contains(&format!("span smtp_connection: host=localhost port={port}")),
        "{all}"
    );
    let has = |needle: &str| {
        lines
            .iter()
            .any(|l| l.contains("in-span") && l.contains(needle))
    };
    assert!(
        has(&format!("connected host=localhost port={port}")),
        "{all}"
    );
    assert!(has("TLS established"), "{all}");
    assert!(has("direction=sent line=AUTH PLAIN <redacted>"), "{all}");
    assert!(
        has("direction=sent line=MAIL FROM:<sender@example.com>"),
        "{all}"
    );
    assert!(has("direction=received line=235"), "{all}");
    assert!(
        has("direction=received line=250 2.0.0 Ok: queued as 10000000902077"),
        "{all}"
    );
    assert!(
        has("message=delivered notification_id=10000000902077"),
        "{all}"
    );
    assert!(!all.contains(PASS), "{all}");
    assert!(!all.contains(&plain_b64()), "{all}");
}
