//! Fuzz target `smtp_engine`: the sans-I/O SMTP engine fed arbitrary server bytes in
//! arbitrary chunks, sending messages one by one or as a pipelined batch, with DATA
//! or BDAT (CHUNKING).
//!
//! Input: a configuration byte (bits 0-1: STARTTLS, implicit TLS, plaintext; bit 2:
//! credentials; bit 3: AUTH LOGIN preferred; bit 4: PIPELINING; bit 5: a non-ASCII
//! recipient; bit 6: probe with RSET before the second message; bit 7: end with a
//! timeout instead of a lost connection), a mode byte (bit 0: `chunking` on, BDAT is
//! then used when the server bytes advertise CHUNKING; bit 1: submit the messages as
//! one batch through `batch_add` / `batch_start` / `take_finished`, as
//! `SmtpClient::send_many` does, falling back to one by one when the session has no
//! PIPELINING; bits 2-3: batch size minus one; bits 4-5: batch window minus one), a
//! recipient count byte (modulo 5), then chunks: a length byte and that many server
//! bytes (a length of 0 asks the engine to QUIT). The driver does what the engine
//! asks: it completes the TLS handshake when asked, and submits messages whenever the
//! engine is ready (at most [`MAX_MESSAGES`] in all). In a batch, message `k` has its
//! own recipients (`rcpt{i}.m{k}@example.org`) so that outcomes can be attributed.
//!
//! Checks: no panic; a bounded number of actions per chunk (no endless loop); no
//! write after the engine closed; AUTH and every write carrying credentials only once
//! TLS is active, never in plaintext mode; a message reported sent only with a 2xx
//! final reply that was received (each received reply line credited to at most as
//! many transactions as times it was received), never more transactions reported
//! sent than message data (DATA or BDAT) written, with each accepted recipient
//! accepted by a 2xx reply and belonging to that message's envelope; a single-message
//! outcome (`Delivered`) only for a single message in flight, never during a batch;
//! a batch outcome only for a tag that was added, at most once per tag, and one per
//! added message once the batch is over or the session is closed; a failed message
//! never with an `internal` error; a feed error closes the session.
#![no_main]

use email365::message::Envelope;
use email365::smtp::{
    Action, AuthMechanism, Credentials, Delivery, Engine, EngineConfig, MessageNeeds, TlsMode,
};
use email365::{Error, ErrorKind};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::sync::Arc;

const MESSAGE: &[u8] = b"From: a@example.com\r\nSubject: fuzz\r\n\r\nline\r\n.\r\n..dot\r\n";
/// Messages submitted per session at most (single or batched).
const MAX_MESSAGES: usize = 6;

struct Driver {
    engine: Engine,
    plaintext: bool,
    tls_done: bool,
    /// The envelope of the single-message path.
    envelope: Envelope,
    needs: MessageNeeds,
    probe: bool,
    /// Submit as a batch (when the session has PIPELINING).
    batch: bool,
    batch_size: usize,
    window: usize,
    /// Messages submitted so far (single or batched, refused by the checks or not).
    messages: usize,
    /// A single message is in flight (its `Delivered` is due).
    single_in_flight: bool,
    /// Envelope of each batched message added (by tag), and whether it has its outcome.
    batched: HashMap<usize, (Envelope, bool)>,
    /// Message data written (DATA data or BDAT chunks).
    data_writes: usize,
    /// Transactions reported sent.
    transactions: usize,
    /// Trimmed received lines, with how many times each was received.
    received: HashMap<String, usize>,
    /// Trimmed final reply lines credited to transactions reported sent.
    credited: HashMap<String, usize>,
    closed: bool,
}

/// A reply line for comparing a transcript line with a final reply's raw form: the
/// reply reader drops one more CR at the end of a line (a line sent with CR CR LF), which
/// the transcript shows escaped (`\x0d`, `docs/REPLIES.md`, "Server text"), so trailing
/// `\x0d` (escaped or literal, on both sides alike) and white space are dropped.
fn trim_shown(line: &str) -> String {
    let mut s = line.trim_end();
    while let Some(rest) = s.strip_suffix("\\x0d") {
        s = rest.trim_end();
    }
    s.to_string()
}

fn refusal_ok(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Smtputf8NotSupported | ErrorKind::MessageTooLarge | ErrorKind::InvalidArgument
    )
}

fn envelope_for(rcpts: usize, non_ascii: bool, tag: Option<usize>) -> Envelope {
    let mut rcpt_to: Vec<String> = (0..rcpts)
        .map(|i| match tag {
            Some(k) => format!("rcpt{i}.m{k}@example.org"),
            None => format!("rcpt{i}@example.org"),
        })
        .collect();
    if non_ascii {
        rcpt_to.push(match tag {
            Some(k) => format!("jörg.m{k}@bücher.example"),
            None => "jörg@bücher.example".to_string(),
        });
    }
    Envelope {
        mail_from: "sender@example.com".to_string(),
        rcpt_to,
    }
}

impl Driver {
    /// Submits a message or a batch when the engine is ready; true when something was
    /// submitted (the engine may then have actions).
    fn maybe_send(&mut self) -> bool {
        if !self.engine.is_ready() || self.engine.batch_active() || self.single_in_flight {
            return false;
        }
        if self.messages >= MAX_MESSAGES {
            return false;
        }
        if self.probe && self.messages == 1 {
            self.probe = false;
            self.engine.probe().expect("probe when ready");
            return true;
        }
        if self.batch && self.engine.uses_pipelining() {
            let n = self.batch_size.min(MAX_MESSAGES - self.messages);
            let mut added = 0;
            for _ in 0..n {
                let tag = self.messages;
                self.messages += 1;
                let rcpts = (self.envelope.rcpt_to.len() + tag) % 5;
                let non_ascii = self.envelope.rcpt_to.iter().any(|r| !r.is_ascii());
                let env = envelope_for(rcpts, non_ascii, Some(tag));
                match self.engine.batch_add(tag, &env, MESSAGE, self.needs) {
                    Ok(()) => {
                        added += 1;
                        self.batched.insert(tag, (env, false));
                    }
                    Err(e) => assert!(refusal_ok(&e), "{e:?}"),
                }
                assert!(self.engine.poll().is_none(), "batch_add wrote something");
            }
            self.engine
                .batch_start(self.window)
                .expect("batch_start on a ready pipelining session");
            if added == 0 {
                assert!(!self.engine.batch_active(), "an empty batch is active");
                assert!(self.engine.is_ready(), "an empty batch left the session");
            }
            return true;
        }
        if self.batch {
            // No PIPELINING: `batch_start` refuses and drops what was added (the
            // transport then sends one by one).
            let env = envelope_for(1, false, Some(usize::MAX));
            if let Err(e) = self.engine.batch_add(usize::MAX, &env, MESSAGE, self.needs) {
                assert!(refusal_ok(&e), "{e:?}");
            }
            let e = self
                .engine
                .batch_start(self.window)
                .expect_err("no pipelining");
            assert_eq!(e.kind(), ErrorKind::Internal, "{e:?}");
            assert!(self.engine.is_ready() && !self.engine.batch_active());
            assert!(
                self.engine.poll().is_none(),
                "a refused batch wrote something"
            );
            assert!(self.engine.take_finished().is_empty());
            self.batch = false;
        }
        self.messages += 1;
        match self
            .engine
            .send_message(&self.envelope, MESSAGE, self.needs)
        {
            Ok(()) => self.single_in_flight = true,
            Err(e) => assert!(refusal_ok(&e), "{e:?}"),
        }
        true
    }

    /// Checks a delivery reported sent for a message with envelope `env`.
    fn check_delivery(&mut self, d: &Delivery, env: &Envelope) {
        assert!(
            !d.transactions.is_empty(),
            "delivered without a transaction"
        );
        assert!(!d.accepted.is_empty(), "delivered to nobody");
        assert_eq!(d.final_reply, d.transactions[0].final_reply);
        for t in &d.transactions {
            assert_eq!(t.final_reply.code / 100, 2, "{:?}", t.final_reply);
            // The raw form is trimmed at the end (trailing white space of the last
            // line dropped): compare lines trimmed the same way (`trim_shown`, applied
            // to both sides: a literal `\x0d` and an escaped CR read alike).
            let last = trim_shown(t.final_reply_raw.lines().last().unwrap_or(""));
            let got = self.received.get(&last).copied().unwrap_or(0);
            let used = self.credited.entry(last.clone()).or_insert(0);
            *used += 1;
            assert!(
                *used <= got,
                "final reply {last:?} credited {used} times, received {got} times"
            );
            for r in &t.recipients {
                assert!(env.rcpt_to.contains(r), "{r:?} not in {:?}", env.rcpt_to);
            }
            self.transactions += 1;
        }
        assert!(
            self.transactions <= self.data_writes,
            "{} transactions reported sent, {} message data written",
            self.transactions,
            self.data_writes
        );
        for r in d.accepted.iter().chain(&d.rejected) {
            assert!(env.rcpt_to.contains(&r.recipient), "{r:?}");
        }
        for r in &d.accepted {
            assert_eq!(r.reply.code / 100, 2, "{r:?}");
        }
    }

    fn collect_finished(&mut self) {
        for (tag, outcome) in self.engine.take_finished() {
            let Some((env, done)) = self.batched.get_mut(&tag) else {
                panic!("outcome for tag {tag}, never added");
            };
            assert!(!*done, "two outcomes for tag {tag}");
            *done = true;
            let env = env.clone();
            match outcome {
                Ok(d) => self.check_delivery(&d, &env),
                Err(e) => assert_ne!(e.kind(), ErrorKind::Internal, "{e:?}"),
            }
        }
        if !self.engine.batch_active() {
            for (tag, (_, done)) in &self.batched {
                assert!(*done, "batch over, no outcome for tag {tag}");
            }
        }
    }

    fn drain(&mut self) {
        let mut count = 0;
        loop {
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
                        let data = out
                            .log
                            .iter()
                            .filter(|l| l.starts_with("<message data"))
                            .count();
                        assert!(data == 0 || out.ends_data, "{:?}", out.log);
                        self.data_writes += data;
                    }
                    Action::Received(line) => {
                        *self.received.entry(trim_shown(&line)).or_insert(0) += 1;
                    }
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
                    Action::Delivered(outcome) => {
                        assert!(
                            self.single_in_flight,
                            "Delivered without a single message in flight"
                        );
                        self.single_in_flight = false;
                        match outcome {
                            Ok(d) => {
                                let env = self.envelope.clone();
                                self.check_delivery(&d, &env);
                            }
                            Err(e) => assert_ne!(e.kind(), ErrorKind::Internal, "{e:?}"),
                        }
                    }
                    Action::Close => self.closed = true,
                }
            }
            self.collect_finished();
            // A message submitted here writes at once: drain again (bounded by
            // MAX_MESSAGES and the probe).
            if !self.maybe_send() {
                break;
            }
        }
    }

    /// The session is over: every batched message has its outcome (a single message
    /// ended by a feed error or a lost connection has it as the returned error).
    fn check_all_done(&self) {
        for (tag, (_, done)) in &self.batched {
            assert!(*done, "session closed, no outcome for tag {tag}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [config, mode, rcpts, rest @ ..] = data else {
        return;
    };
    let tls = match config & 3 {
        0 => TlsMode::StartTls,
        1 => TlsMode::Implicit,
        _ => TlsMode::InsecurePlaintext,
    };
    let credentials =
        (config & 4 != 0).then(|| Arc::new(Credentials::new("user@example.com", "s3cret")));
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
        chunking: mode & 1 != 0,
    })
    .expect("engine");
    let mut driver = Driver {
        engine,
        plaintext: tls == TlsMode::InsecurePlaintext,
        tls_done: tls == TlsMode::Implicit,
        envelope: envelope_for(usize::from(rcpts % 5), config & 32 != 0, None),
        needs: MessageNeeds::default(),
        probe: config & 64 != 0,
        batch: mode & 2 != 0,
        batch_size: usize::from((mode >> 2) & 3) + 1,
        window: usize::from((mode >> 4) & 3) + 1,
        messages: 0,
        single_in_flight: false,
        batched: HashMap::new(),
        data_writes: 0,
        transactions: 0,
        received: HashMap::new(),
        credited: HashMap::new(),
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
    if driver.engine.is_closed() {
        driver.check_all_done();
    }
});
