//! The soak: many messages through [`SmtpPool`] to a [`Sink`] that injects faults, then
//! the client's account of every message compared with the server's log.
//!
//! Every message ends as exactly one of: **sent** (with the server's id), **failed** (with
//! the error and the server's reply, if any) or **unknown** (`outcome_unknown`: the data
//! went out, the final reply never came). Then, against the sink's log:
//! - every message reported sent is in the log once, under the same id, with the same
//!   recipients and size;
//! - no message reported failed is in the log;
//! - an unknown message may or may not be in the log: both are counted and shown;
//! - no message is in the log twice, and the log holds nothing that was not sent.
//!
//! Retry policy (the soak's, a caller's choice: the pool itself never retries): a failure
//! that is temporary and happened before the message data was sent — a `4xx` reply
//! (`smtp_transient`, or every recipient refused with `4xx`), a lost connection or a
//! timeout before the data — is retried, up to `max_attempts` attempts in all, each on a
//! pooled connection (a new one when the failure closed the old). `outcome_unknown` is
//! never retried automatically: the message may have been accepted, and a resend could
//! deliver it twice. Permanent failures (`5xx`) are not retried.

use crate::sink::{Accepted, Faults, Sink, SinkOptions, SinkStats};
use crate::workload;
use email365::smtp::{SmtpOptions, SmtpPool, TlsMode};
use email365::{Error, ErrorKind};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a soak run does.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// Messages to send.
    pub messages: usize,
    /// Pool size (and sending threads).
    pub connections: usize,
    /// Attempts per message for retryable failures (at least 1).
    pub max_attempts: u32,
    /// The sink's faults.
    pub faults: Faults,
}

impl SoakConfig {
    /// The soak: 10 000 messages, 8 connections, 5 % of connections dropped at a
    /// random point, 5 % closed with a 421, 2 % of MAIL/RCPT/end-of-data replies 451, at
    /// most 40 messages per connection (so that hundreds of connections are opened).
    pub fn full(seed: u64) -> SoakConfig {
        SoakConfig {
            messages: 10_000,
            connections: 8,
            max_attempts: 4,
            faults: Faults {
                seed,
                drop_connections: 0.05,
                close_421: 0.05,
                reject_451: 0.02,
                horizon: 20,
                max_messages: Some(40),
            },
        }
    }
}

/// How one message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted: the server's id (if its reply had one) and the recipients accepted.
    Sent {
        id: Option<String>,
        accepted: Vec<String>,
        attempts: u32,
    },
    /// Refused or not sent: the error kind and message (with the reply).
    Failed {
        kind: ErrorKind,
        error: String,
        attempts: u32,
    },
    /// The data went out but the final reply never came.
    Unknown { error: String, attempts: u32 },
}

/// The result of a soak run.
#[derive(Debug)]
pub struct SoakReport {
    /// Messages sent.
    pub messages: usize,
    /// Reported sent.
    pub sent: usize,
    /// Reported failed.
    pub failed: usize,
    /// Reported unknown.
    pub unknown: usize,
    /// Unknown, but in the server's log (accepted).
    pub unknown_accepted: usize,
    /// Unknown and not in the log.
    pub unknown_not_accepted: usize,
    /// Messages that needed more than one attempt.
    pub retried: usize,
    /// Failures by error kind.
    pub failed_by_kind: Vec<(String, usize)>,
    /// Every disagreement between the client's report and the server's log.
    pub disagreements: Vec<String>,
    /// The sink's counters.
    pub sink: SinkStats,
    /// Wall-clock time of the sending.
    pub elapsed: Duration,
}

impl SoakReport {
    /// A readable summary.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "messages {}: sent {}, failed {}, unknown {} (accepted by the server {}, not accepted {}); retried {}",
            self.messages,
            self.sent,
            self.failed,
            self.unknown,
            self.unknown_accepted,
            self.unknown_not_accepted,
            self.retried
        );
        if !self.failed_by_kind.is_empty() {
            let kinds: Vec<String> = self
                .failed_by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let _ = writeln!(s, "failed by kind: {}", kinds.join(", "));
        }
        let _ = writeln!(
            s,
            "sink: connections {}, accepted {}, dropped {}, closed with 421 {}, 451 replies {}",
            self.sink.connections,
            self.sink.accepted,
            self.sink.dropped,
            self.sink.closed_421,
            self.sink.rejected_451
        );
        let _ = writeln!(
            s,
            "elapsed {:.2} s ({:.0} messages/s)",
            self.elapsed.as_secs_f64(),
            self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
        );
        let _ = writeln!(s, "disagreements {}", self.disagreements.len());
        for d in self.disagreements.iter().take(20) {
            let _ = writeln!(s, "  {d}");
        }
        s
    }
}

/// Whether the soak's policy retries `e` (temporary, and nothing of the data sent).
pub fn retryable(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::OutcomeUnknown => false,
        ErrorKind::SmtpTransient | ErrorKind::Connection | ErrorKind::Timeout => true,
        ErrorKind::RecipientsRejected => e.transient(),
        _ => false,
    }
}

fn describe(e: &Error) -> String {
    let mut s = format!("{}: {}", e.kind().as_str(), e.message());
    for r in e.replies() {
        let _ = write!(
            s,
            " [{}{} {}]",
            r.code,
            r.enhanced
                .as_deref()
                .map(|x| format!(" {x}"))
                .unwrap_or_default(),
            r.text
        );
    }
    s
}

/// The Message-ID of message `i`.
fn message_id(i: usize) -> String {
    format!("soak.{i}@sender.example")
}

/// The recipients of message `i` (1 to 3).
fn recipient_count(i: usize) -> usize {
    1 + i % 3
}

/// Runs a soak against a new sink; never panics on a network failure (each becomes an
/// outcome).
pub fn run(config: &SoakConfig) -> std::io::Result<SoakReport> {
    let sink = Sink::start(SinkOptions {
        faults: config.faults.clone(),
        ..SinkOptions::default()
    })?;
    let mut options = SmtpOptions::new("127.0.0.1")
        .port(sink.addr().port())
        .tls(TlsMode::InsecurePlaintext);
    let t = Duration::from_secs(10);
    options.timeouts.connect = t;
    options.timeouts.greeting = t;
    options.timeouts.command = t;
    options.timeouts.data_write = t;
    options.timeouts.data_end = t;
    let pool = SmtpPool::new(options, config.connections)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; config.messages]);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..config.connections.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= config.messages {
                    return;
                }
                let outcome = send_one(&pool, i, config.max_attempts.max(1));
                outcomes.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome);
            });
        }
    });
    let elapsed = started.elapsed();
    pool.close();
    // Let the sink's threads finish logging what they accepted before reading the log.
    std::thread::sleep(Duration::from_millis(100));
    let outcomes = outcomes.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(compare(
        config,
        &outcomes,
        &sink.accepted(),
        sink.stats(),
        elapsed,
    ))
}

fn send_one(pool: &SmtpPool, i: usize, max_attempts: u32) -> Outcome {
    let message = match workload::message_with_id(recipient_count(i), &message_id(i)) {
        Ok(m) => m,
        Err(e) => {
            return Outcome::Failed {
                kind: e.kind(),
                error: describe(&e),
                attempts: 0,
            }
        }
    };
    let mut attempts = 0;
    loop {
        attempts += 1;
        match pool.send(&message) {
            Ok(d) => {
                return Outcome::Sent {
                    id: d.notification_id.clone(),
                    accepted: d.accepted.iter().map(|r| r.recipient.clone()).collect(),
                    attempts,
                }
            }
            Err(e) if e.kind() == ErrorKind::OutcomeUnknown => {
                return Outcome::Unknown {
                    error: describe(&e),
                    attempts,
                }
            }
            Err(e) if retryable(&e) && attempts < max_attempts => continue,
            Err(e) => {
                return Outcome::Failed {
                    kind: e.kind(),
                    error: describe(&e),
                    attempts,
                }
            }
        }
    }
}

/// Compares the client's outcomes with the server's log.
pub fn compare(
    config: &SoakConfig,
    outcomes: &[Option<Outcome>],
    log: &[Accepted],
    sink: SinkStats,
    elapsed: Duration,
) -> SoakReport {
    let mut disagreements = Vec::new();
    let mut by_mid: HashMap<String, Vec<&Accepted>> = HashMap::new();
    for a in log {
        let mid = a
            .message_id
            .as_deref()
            .unwrap_or("")
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
        by_mid.entry(mid).or_default().push(a);
    }
    let (mut sent, mut failed, mut unknown, mut ua, mut una, mut retried) = (0, 0, 0, 0, 0, 0);
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for (i, o) in outcomes.iter().enumerate() {
        let mid = message_id(i);
        let entries = by_mid.remove(&mid).unwrap_or_default();
        if entries.len() > 1 {
            let ids: Vec<&str> = entries.iter().map(|a| a.id.as_str()).collect();
            disagreements.push(format!(
                "message {i} accepted {} times: {ids:?}",
                entries.len()
            ));
        }
        let attempts = match o {
            None => {
                disagreements.push(format!("message {i} has no outcome"));
                continue;
            }
            Some(Outcome::Sent {
                id,
                accepted,
                attempts,
            }) => {
                sent += 1;
                match (id, entries.first()) {
                    (None, _) => disagreements.push(format!("message {i} sent without an id")),
                    (Some(id), None) => disagreements.push(format!(
                        "message {i} reported sent as {id}, not in the server's log"
                    )),
                    (Some(id), Some(a)) => {
                        if &a.id != id {
                            disagreements.push(format!(
                                "message {i} reported sent as {id}, logged as {}",
                                a.id
                            ));
                        }
                        if &a.rcpt_to != accepted {
                            disagreements.push(format!(
                                "message {i}: recipients reported {accepted:?}, logged {:?}",
                                a.rcpt_to
                            ));
                        }
                        let expected = workload::message_with_id(recipient_count(i), &mid)
                            .map(|m| m.bytes.len())
                            .unwrap_or(0);
                        if a.size != expected {
                            disagreements.push(format!(
                                "message {i}: {expected} bytes sent, {} logged",
                                a.size
                            ));
                        }
                    }
                }
                *attempts
            }
            Some(Outcome::Failed {
                kind,
                error,
                attempts,
            }) => {
                failed += 1;
                *kinds.entry(kind.as_str().to_string()).or_default() += 1;
                if let Some(a) = entries.first() {
                    disagreements.push(format!(
                        "message {i} reported failed ({error}) but accepted as {}",
                        a.id
                    ));
                }
                *attempts
            }
            Some(Outcome::Unknown { attempts, .. }) => {
                unknown += 1;
                if entries.is_empty() {
                    una += 1;
                } else {
                    ua += 1;
                }
                *attempts
            }
        };
        if attempts > 1 {
            retried += 1;
        }
    }
    for (mid, entries) in by_mid {
        for a in entries {
            disagreements.push(format!(
                "the server accepted {} (Message-ID {mid:?}) that no message of the run has",
                a.id
            ));
        }
    }
    let mut failed_by_kind: Vec<(String, usize)> = kinds.into_iter().collect();
    failed_by_kind.sort();
    SoakReport {
        messages: config.messages,
        sent,
        failed,
        unknown,
        unknown_accepted: ua,
        unknown_not_accepted: una,
        retried,
        failed_by_kind,
        disagreements,
        sink,
        elapsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, i: usize) -> Accepted {
        Accepted {
            id: id.to_string(),
            mail_from: workload::SENDER.to_string(),
            rcpt_to: workload::recipients(recipient_count(i)),
            size: workload::message_with_id(recipient_count(i), &message_id(i))
                .unwrap()
                .bytes
                .len(),
            message_id: Some(format!("<{}>", message_id(i))),
            connection: 0,
        }
    }

    fn sent(id: &str, i: usize) -> Option<Outcome> {
        Some(Outcome::Sent {
            id: Some(id.to_string()),
            accepted: workload::recipients(recipient_count(i)),
            attempts: 1,
        })
    }

    fn config(n: usize) -> SoakConfig {
        SoakConfig {
            messages: n,
            ..SoakConfig::full(1)
        }
    }

    #[test]
    fn agreeing_reports_have_no_disagreement_and_unknowns_are_split() {
        let outcomes = vec![
            sent("A", 0),
            Some(Outcome::Unknown {
                error: "x".into(),
                attempts: 1,
            }),
            Some(Outcome::Unknown {
                error: "x".into(),
                attempts: 2,
            }),
            Some(Outcome::Failed {
                kind: ErrorKind::SmtpPermanent,
                error: "550".into(),
                attempts: 1,
            }),
        ];
        let log = vec![entry("A", 0), entry("B", 1)];
        let r = compare(
            &config(4),
            &outcomes,
            &log,
            SinkStats::default(),
            Duration::ZERO,
        );
        assert!(r.disagreements.is_empty(), "{:?}", r.disagreements);
        assert_eq!((r.sent, r.failed, r.unknown), (1, 1, 2));
        assert_eq!(
            (r.unknown_accepted, r.unknown_not_accepted, r.retried),
            (1, 1, 1)
        );
    }

    #[test]
    fn every_kind_of_disagreement_is_reported() {
        let outcomes = vec![
            sent("A", 0), // logged under another id
            sent("B", 1), // not logged
            Some(Outcome::Failed {
                kind: ErrorKind::SmtpTransient,
                error: "451".into(),
                attempts: 4,
            }), // but accepted
            sent("D", 3), // accepted twice
            None,         // no outcome
        ];
        let mut stray = entry("Z", 9);
        stray.message_id = Some("<other@x>".into());
        let log = vec![
            entry("X", 0),
            entry("C", 2),
            entry("D", 3),
            entry("E", 3),
            stray,
        ];
        let r = compare(
            &config(5),
            &outcomes,
            &log,
            SinkStats::default(),
            Duration::ZERO,
        );
        let all = r.disagreements.join("\n");
        assert!(
            all.contains("message 0 reported sent as A, logged as X"),
            "{all}"
        );
        assert!(
            all.contains("message 1 reported sent as B, not in the server's log"),
            "{all}"
        );
        assert!(all.contains("message 2 reported failed"), "{all}");
        assert!(all.contains("message 3 accepted 2 times"), "{all}");
        assert!(all.contains("message 4 has no outcome"), "{all}");
        assert!(all.contains("the server accepted Z"), "{all}");
        assert_eq!(r.disagreements.len(), 6, "{all}");
    }

    #[test]
    fn retry_policy_never_retries_unknown_or_permanent() {
        assert!(!retryable(&Error::new(ErrorKind::OutcomeUnknown, "x")));
        assert!(!retryable(&Error::new(ErrorKind::SmtpPermanent, "x")));
        assert!(retryable(&Error::new(ErrorKind::SmtpTransient, "x")));
        assert!(retryable(&Error::new(ErrorKind::Connection, "x")));
        assert!(!retryable(&Error::new(ErrorKind::RecipientsRejected, "x")));
        assert!(retryable(
            &Error::new(ErrorKind::RecipientsRejected, "x").with_transient(true)
        ));
    }
}
