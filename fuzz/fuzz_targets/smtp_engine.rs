//! Fuzz target `smtp_engine`: the sans-I/O SMTP engine fed arbitrary server bytes in
//! arbitrary chunks.
//!
//! Input: a configuration byte (bits 0-1: STARTTLS, implicit TLS, plaintext; bit 2:
//! credentials; bit 3: AUTH LOGIN preferred; bit 4: PIPELINING; bit 5: a non-ASCII
//! recipient; bit 6: probe with RSET before the second message; bit 7: end with a
//! timeout instead of a lost connection), a recipient count byte (modulo 5), then
//! chunks: a length byte and that many server bytes (a length of 0 asks the engine to
//! QUIT). The driver does what the engine asks: it completes the TLS handshake when
//! asked, and submits up to three messages whenever the engine is ready.
//!
//! Checks: no panic; a bounded number of actions per chunk (no endless loop); no
//! write after the engine closed; AUTH and every write carrying credentials only once
//! TLS is active, never in plaintext mode; a message reported sent only with a 2xx
//! final reply that was received, after its data was written, with each accepted
//! recipient accepted by a 2xx reply; a failed message never with an `internal`
//! error; a feed error closes the session.
#![no_main]

use email365::message::Envelope;
use email365::smtp::{
    Action, AuthMechanism, Credentials, Engine, EngineConfig, MessageNeeds, TlsMode,
};
use email365::ErrorKind;
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

const MESSAGE: &[u8] = b"From: a@example.com\r\nSubject: fuzz\r\n\r\nline\r\n.\r\n..dot\r\n";
const MAX_MESSAGES: usize = 3;

struct Driver {
    engine: Engine,
    plaintext: bool,
    tls_done: bool,
    envelope: Envelope,
    needs: MessageNeeds,
    probe: bool,
    messages: usize,
    data_ends: usize,
    transactions: usize,
    received: Vec<String>,
    closed: bool,
}

impl Driver {
    fn maybe_send(&mut self) {
        if !self.engine.is_ready() || self.messages >= MAX_MESSAGES {
            return;
        }
        if self.probe && self.messages == 1 {
            self.probe = false;
            self.engine.probe().expect("probe when ready");
            return;
        }
        self.messages += 1;
        if let Err(e) = self
            .engine
            .send_message(&self.envelope, MESSAGE, self.needs)
        {
            assert!(
                matches!(
                    e.kind(),
                    ErrorKind::Smtputf8NotSupported
                        | ErrorKind::MessageTooLarge
                        | ErrorKind::InvalidArgument
                ),
                "{e:?}"
            );
        }
    }

    fn drain(&mut self) {
        let mut count = 0;
        while let Some(action) = self.engine.poll() {
            count += 1;
            assert!(count < 100_000, "the engine keeps producing actions");
            match action {
                Action::Write(out) => {
                    assert!(!self.closed, "write after close: {:?}", out.log);
                    let auth = out.bytes.starts_with(b"AUTH") || out.sensitive;
                    if auth {
                        assert!(!self.plaintext, "AUTH in plaintext mode");
                        assert!(self.tls_done, "AUTH before the TLS handshake");
                        assert!(self.engine.tls_active(), "AUTH without TLS");
                    }
                    if out.ends_data {
                        self.data_ends += 1;
                    }
                }
                Action::Received(line) => self.received.push(line),
                // A feed error after the 220 (data after it: injection) closes the
                // session; a driver then never starts the handshake.
                Action::StartTls if self.engine.is_closed() => {}
                Action::StartTls => {
                    assert!(!self.tls_done, "STARTTLS twice");
                    assert!(!self.plaintext, "STARTTLS in plaintext mode");
                    self.tls_done = true;
                    self.engine.tls_established().expect("tls_established");
                }
                Action::Ready => {}
                Action::Delivered(Ok(d)) => {
                    assert!(
                        !d.transactions.is_empty(),
                        "delivered without a transaction"
                    );
                    assert!(!d.accepted.is_empty(), "delivered to nobody");
                    assert_eq!(d.final_reply, d.transactions[0].final_reply);
                    for t in &d.transactions {
                        assert_eq!(t.final_reply.code / 100, 2, "{:?}", t.final_reply);
                        // The raw form is trimmed at the end (trailing white space
                        // of the last line dropped): compare trimmed lines.
                        let last = t.final_reply_raw.lines().last().unwrap_or("").trim_end();
                        assert!(
                            self.received.iter().any(|l| l.trim_end() == last),
                            "final reply {last:?} never received: {:?}",
                            self.received
                        );
                        self.transactions += 1;
                    }
                    assert!(
                        self.transactions <= self.data_ends,
                        "{} transactions reported sent, {} data ends written",
                        self.transactions,
                        self.data_ends
                    );
                    for r in &d.accepted {
                        assert_eq!(r.reply.code / 100, 2, "{r:?}");
                        assert!(self.envelope.rcpt_to.contains(&r.recipient), "{r:?}");
                    }
                }
                Action::Delivered(Err(e)) => {
                    assert_ne!(e.kind(), ErrorKind::Internal, "{e:?}");
                }
                Action::Close => self.closed = true,
            }
        }
        self.maybe_send();
        // A message submitted above writes at once: drain again (bounded: the engine
        // is then busy and `maybe_send` does nothing more until a reply arrives).
        while let Some(action) = self.engine.poll() {
            if let Action::Write(out) = &action {
                assert!(!self.closed, "write after close");
                assert!(!out.sensitive && !out.ends_data, "{:?}", out.log);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [config, rcpts, rest @ ..] = data else {
        return;
    };
    let tls = match config & 3 {
        0 => TlsMode::StartTls,
        1 => TlsMode::Implicit,
        _ => TlsMode::InsecurePlaintext,
    };
    let credentials =
        (config & 4 != 0).then(|| Arc::new(Credentials::new("user@example.com", "s3cret")));
    let mut rcpt_to: Vec<String> = (0..usize::from(rcpts % 5))
        .map(|i| format!("rcpt{i}@example.org"))
        .collect();
    if config & 32 != 0 {
        rcpt_to.push("jörg@bücher.example".to_string());
    }
    let engine = Engine::new(EngineConfig {
        ehlo_name: "client.example".to_string(),
        tls,
        credentials,
        auth_mechanism: if config & 8 != 0 {
            AuthMechanism::Login
        } else {
            AuthMechanism::Plain
        },
        pipelining: config & 16 != 0,
    })
    .expect("engine");
    let mut driver = Driver {
        engine,
        plaintext: tls == TlsMode::InsecurePlaintext,
        tls_done: tls == TlsMode::Implicit,
        envelope: Envelope {
            mail_from: "sender@example.com".to_string(),
            rcpt_to,
        },
        needs: MessageNeeds::default(),
        probe: config & 64 != 0,
        messages: 0,
        data_ends: 0,
        transactions: 0,
        received: Vec::new(),
        closed: false,
    };
    let mut rest = rest;
    while let [len, tail @ ..] = rest {
        if driver.closed || driver.engine.is_closed() {
            break;
        }
        if *len == 0 {
            driver.engine.quit();
            driver.drain();
            rest = tail;
            continue;
        }
        let n = usize::from(*len).min(tail.len());
        let (chunk, tail) = tail.split_at(n);
        rest = tail;
        if driver.engine.feed(chunk).is_err() {
            assert!(
                driver.engine.is_closed(),
                "a feed error left the session open"
            );
        }
        driver.drain();
    }
    if !driver.engine.is_closed() {
        let e = if config & 128 != 0 {
            driver.engine.timed_out("fuzz input ended")
        } else {
            driver.engine.connection_lost(false, "fuzz input ended")
        };
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Timeout | ErrorKind::Connection | ErrorKind::OutcomeUnknown
            ),
            "{e:?}"
        );
        driver.drain();
    }
});
