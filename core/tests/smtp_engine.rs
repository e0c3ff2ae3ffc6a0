//! The sans-I/O engine without sockets: transcripts replayed at chunk sizes 1, 7, 64 and
//! whole must give the same events; every protocol rule checked on its own.
#![cfg(feature = "smtp")]

use email365::message::Envelope;
use email365::smtp::{Action, Credentials, Engine, EngineConfig, MessageNeeds, TlsMode, Wait};
use email365::ErrorKind;
use std::sync::Arc;

enum Step {
    Server(&'static str),
    Send(&'static [&'static str], &'static [u8]),
    TlsDone,
    LostWritingData,
    Lost,
    Timeout,
}

fn config(tls: TlsMode, creds: bool) -> EngineConfig {
    EngineConfig {
        ehlo_name: "client.example".into(),
        tls,
        credentials: creds.then(|| Arc::new(Credentials::new("user", "secret-pw"))),
        ..EngineConfig::default()
    }
}

fn drain(e: &mut Engine, out: &mut Vec<String>) {
    while let Some(a) = e.poll() {
        out.push(match a {
            Action::Write(o) => {
                if o.ends_data {
                    format!("C: <data {}>", o.bytes.len())
                } else {
                    assert_eq!(
                        o.bytes.iter().filter(|&&b| b == b'\n').count(),
                        o.log.len(),
                        "one log line per command"
                    );
                    format!("C: {}", o.log.join(" | "))
                }
            }
            Action::Received(l) => format!("S: {l}"),
            Action::StartTls => "starttls".into(),
            Action::Ready => "ready".into(),
            Action::Delivered(Ok(d)) => format!(
                "delivered: {} accepted, {} rejected, {} transactions, final {}",
                d.accepted.len(),
                d.rejected.len(),
                d.transactions.len(),
                d.final_reply.code
            ),
            Action::Delivered(Err(e)) => format!(
                "failed: {} {} {}",
                e.kind(),
                e.reason().unwrap_or("-"),
                e.replies().len()
            ),
            Action::Close => "close".into(),
        });
    }
}

fn run(cfg: EngineConfig, steps: &[Step], chunk: usize) -> Vec<String> {
    let mut e = Engine::new(cfg).expect("engine");
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Server(s) => {
                let bytes = s.as_bytes();
                let n = if chunk == 0 {
                    bytes.len().max(1)
                } else {
                    chunk
                };
                for c in bytes.chunks(n) {
                    if let Err(err) = e.feed(c) {
                        drain(&mut e, &mut out);
                        out.push(format!(
                            "error: {} {}",
                            err.kind(),
                            err.reason().unwrap_or("-")
                        ));
                        return out;
                    }
                }
            }
            Step::Send(to, data) => {
                let env = Envelope {
                    mail_from: "from@example.com".into(),
                    rcpt_to: to.iter().map(|s| s.to_string()).collect(),
                };
                if let Err(err) = e.send_message(&env, data, MessageNeeds::default()) {
                    out.push(format!(
                        "refused: {} {}",
                        err.kind(),
                        err.reason().unwrap_or("-")
                    ));
                }
            }
            Step::TlsDone => e.tls_established().expect("tls"),
            Step::Lost => {
                let err = e.connection_lost(false, "eof");
                out.push(format!(
                    "lost: {} {}",
                    err.kind(),
                    err.reason().unwrap_or("-")
                ));
            }
            Step::LostWritingData => {
                let err = e.connection_lost(true, "broken pipe");
                out.push(format!(
                    "lost: {} {}",
                    err.kind(),
                    err.reason().unwrap_or("-")
                ));
            }
            Step::Timeout => {
                let err = e.timed_out("1 s");
                out.push(format!(
                    "timeout: {} {}",
                    err.kind(),
                    err.reason().unwrap_or("-")
                ));
            }
        }
        drain(&mut e, &mut out);
    }
    out
}

/// Runs at chunk sizes 1, 7, 64 and whole; all must agree. Returns the events.
fn replay(cfg: EngineConfig, steps: &[Step]) -> Vec<String> {
    let whole = run(cfg.clone(), steps, 0);
    for chunk in [1, 7, 64] {
        assert_eq!(run(cfg.clone(), steps, chunk), whole, "chunk size {chunk}");
    }
    whole
}

const IMPLICIT_SESSION: &str = "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250-SIZE 100\r\n250 AUTH PLAIN LOGIN\r\n235 2.7.0 ok\r\n";

#[test]
fn pipelined_submission_with_one_recipient_refused() {
    let ev = replay(
        config(TlsMode::Implicit, true),
        &[
            Step::Server(IMPLICIT_SESSION),
            Step::Send(&["a@x.test", "b@x.test"], b"Subject: s\r\n\r\nbody\r\n"),
            Step::Server("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n354 go\r\n250 2.0.0 Ok: queued as 10000000902077\r\n"),
        ],
    );
    assert_eq!(
        ev,
        [
            "S: 220 mx ESMTP",
            "C: EHLO client.example",
            "S: 250-mx",
            "S: 250-PIPELINING",
            "S: 250-SIZE 100",
            "S: 250 AUTH PLAIN LOGIN",
            "C: AUTH PLAIN <redacted>",
            "S: 235 2.7.0 ok",
            "ready",
            "C: MAIL FROM:<from@example.com> SIZE=20 | RCPT TO:<a@x.test> | RCPT TO:<b@x.test> | DATA",
            "S: 250 2.1.0 ok",
            "S: 250 2.1.5 ok",
            "S: 550 5.1.1 no such user",
            "S: 354 go",
            "C: <data 23>",
            "S: 250 2.0.0 Ok: queued as 10000000902077",
            "delivered: 1 accepted, 1 rejected, 1 transactions, final 250",
        ]
    );
}

#[test]
fn starttls_then_ehlo_again_then_auth() {
    let ev = replay(
        config(TlsMode::StartTls, true),
        &[
            Step::Server("220 mx\r\n250-mx\r\n250-AUTH LOGIN\r\n250 STARTTLS\r\n220 2.0.0 go\r\n"),
            Step::TlsDone,
            Step::Server("250-mx\r\n250 AUTH PLAIN\r\n235 ok\r\n"),
        ],
    );
    let sent: Vec<&String> = ev.iter().filter(|l| l.starts_with("C: ")).collect();
    assert_eq!(
        sent,
        [
            "C: EHLO client.example",
            "C: STARTTLS",
            "C: EHLO client.example",
            "C: AUTH PLAIN <redacted>"
        ]
    );
    assert!(ev.contains(&"starttls".to_string()));
    assert_eq!(ev.last().unwrap(), "ready");
}

#[test]
fn bytes_after_starttls_220_are_refused_whatever_the_chunking() {
    // In the same chunk as the 220 or in a later read before the handshake: both abort.
    for steps in [
        vec![Step::Server(
            "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250 AUTH LOGIN\r\n",
        )],
        vec![
            Step::Server("220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n"),
            Step::Server("250 AUTH LOGIN\r\n"),
        ],
    ] {
        let ev = run(config(TlsMode::StartTls, true), &steps, 0);
        assert_eq!(
            ev.last().unwrap(),
            "error: protocol data_after_starttls",
            "{ev:?}"
        );
        assert!(!ev.iter().any(|l| l.starts_with("C: AUTH")));
    }
}

#[test]
fn starttls_refusals_fail_with_tls() {
    for reply in [
        "454 4.7.0 no\r\n",
        "502 5.5.1 no\r\n",
        "354 what\r\n",
        "250 ok\r\n",
    ] {
        let greeting = format!("220 mx\r\n250-mx\r\n250 STARTTLS\r\n{reply}");
        let mut e = Engine::new(config(TlsMode::StartTls, true)).unwrap();
        let err = e.feed(greeting.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{reply}");
        assert_eq!(err.reason(), Some("starttls_refused"));
        assert!(e.is_closed());
    }
}

#[test]
fn helo_fallback_only_without_required_starttls() {
    let ev = replay(
        config(TlsMode::InsecurePlaintext, false),
        &[Step::Server("220 mx\r\n500 5.5.1 what\r\n250 mx\r\n")],
    );
    assert!(ev.contains(&"C: HELO client.example".to_string()));
    assert_eq!(ev.last().unwrap(), "ready");
    let ev = replay(
        config(TlsMode::StartTls, false),
        &[Step::Server("220 mx\r\n502 5.5.1 what\r\n")],
    );
    assert_eq!(ev.last().unwrap(), "error: tls esmtp_not_supported");
}

#[test]
fn credentials_are_never_sent_in_plaintext() {
    let ev = replay(
        config(TlsMode::InsecurePlaintext, true),
        &[Step::Server("220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n")],
    );
    assert_eq!(ev.last().unwrap(), "error: auth auth_requires_tls");
    assert!(!ev.iter().any(|l| l.contains("AUTH PLAIN <")));
}

const PLAIN: &str = "220 mx\r\n250-mx\r\n250-SIZE\r\n250 8BITMIME\r\n";

#[test]
fn non_pipelined_submission_waits_for_each_reply() {
    let ev = replay(
        config(TlsMode::InsecurePlaintext, false),
        &[
            Step::Server(PLAIN),
            Step::Send(&["a@x.test", "b@x.test"], b"x\n.y\n"),
            Step::Server("250 ok\r\n250 ok\r\n251 forwarded\r\n354 go\r\n250 done\r\n"),
        ],
    );
    let sent: Vec<&String> = ev.iter().filter(|l| l.starts_with("C: ")).collect();
    assert_eq!(
        sent,
        [
            "C: EHLO client.example",
            "C: MAIL FROM:<from@example.com> SIZE=7",
            "C: RCPT TO:<a@x.test>",
            "C: RCPT TO:<b@x.test>",
            "C: DATA",
            "C: <data 11>",
        ]
    );
    assert_eq!(
        ev.last().unwrap(),
        "delivered: 2 accepted, 0 rejected, 1 transactions, final 250"
    );
}

#[test]
fn all_rejected_pipelined_with_354_sends_a_lone_dot_then_rset() {
    let ev = replay(
        config(TlsMode::Implicit, false),
        &[
            Step::Server("220 mx\r\n250-mx\r\n250 PIPELINING\r\n"),
            Step::Send(&["a@x.test", "b@x.test"], b"m\r\n"),
            Step::Server("250 ok\r\n550 5.1.1 no\r\n551 5.1.6 moved\r\n354 go\r\n554 no valid recipients\r\n250 reset\r\n"),
        ],
    );
    let sent: Vec<&String> = ev.iter().filter(|l| l.starts_with("C: ")).collect();
    assert_eq!(sent[2], "C: .");
    assert_eq!(sent[3], "C: RSET");
    assert_eq!(sent.len(), 4);
    assert_eq!(ev.last().unwrap(), "failed: recipients_rejected - 2");
}

#[test]
fn mail_refused_resets_and_reports_the_mail_reply() {
    let ev = replay(
        config(TlsMode::Implicit, false),
        &[
            Step::Server("220 mx\r\n250-mx\r\n250 PIPELINING\r\n"),
            Step::Send(&["a@x.test"], b"m\r\n"),
            Step::Server("553 5.7.1 sender not allowed\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n250 reset\r\n"),
        ],
    );
    assert!(ev.contains(&"C: RSET".to_string()));
    assert_eq!(ev.last().unwrap(), "failed: smtp_permanent mail_refused 1");
}

#[test]
fn too_many_recipients_open_a_second_transaction() {
    let ev = replay(
        config(TlsMode::Implicit, false),
        &[
            Step::Server("220 mx\r\n250-mx\r\n250 ENHANCEDSTATUSCODES\r\n"),
            Step::Send(&["a@x.test", "b@x.test", "c@x.test"], b"m\r\n"),
            Step::Server("250 ok\r\n250 ok\r\n452 4.5.3 too many recipients\r\n354 go\r\n250 2.0.0 one\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 2.0.0 two\r\n"),
        ],
    );
    let sent: Vec<&String> = ev.iter().filter(|l| l.starts_with("C: ")).collect();
    assert_eq!(
        sent[1..].iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        [
            "C: MAIL FROM:<from@example.com>",
            "C: RCPT TO:<a@x.test>",
            "C: RCPT TO:<b@x.test>",
            "C: DATA",
            "C: <data 6>",
            "C: MAIL FROM:<from@example.com>",
            "C: RCPT TO:<b@x.test>",
            "C: RCPT TO:<c@x.test>",
            "C: DATA",
            "C: <data 6>",
        ]
    );
    assert_eq!(
        ev.last().unwrap(),
        "delivered: 3 accepted, 0 rejected, 2 transactions, final 250"
    );
}

#[test]
fn final_reply_refusal_is_reported_and_the_session_stays_usable() {
    let ev = replay(
        config(TlsMode::Implicit, false),
        &[
            Step::Server("220 mx\r\n250-mx\r\n250 PIPELINING\r\n"),
            Step::Send(&["a@x.test"], b"m\r\n"),
            Step::Server("250 ok\r\n250 ok\r\n354 go\r\n451 4.3.0 try later\r\n"),
            Step::Send(&["a@x.test"], b"m\r\n"),
            Step::Server("250 ok\r\n250 ok\r\n354 go\r\n554 5.6.0 spam\r\n"),
        ],
    );
    let outcomes: Vec<&String> = ev.iter().filter(|l| l.starts_with("failed")).collect();
    assert_eq!(
        outcomes,
        [
            "failed: smtp_transient message_refused 1",
            "failed: smtp_permanent message_refused 1"
        ]
    );
}

#[test]
fn losing_the_connection_after_the_final_dot_is_outcome_unknown() {
    let setup = || {
        vec![
            Step::Server("220 mx\r\n250-mx\r\n250 PIPELINING\r\n"),
            Step::Send(&["a@x.test"], b"m\r\n"),
            Step::Server("250 ok\r\n250 ok\r\n354 go\r\n"),
        ]
    };
    let mut steps = setup();
    steps.push(Step::Lost);
    assert_eq!(
        replay(config(TlsMode::Implicit, false), &steps)
            .last()
            .unwrap(),
        "lost: outcome_unknown connection_lost"
    );
    let mut steps = setup();
    steps.push(Step::Timeout);
    assert_eq!(
        replay(config(TlsMode::Implicit, false), &steps)
            .last()
            .unwrap(),
        "timeout: outcome_unknown timeout"
    );
    let mut steps = setup();
    steps.push(Step::LostWritingData);
    assert_eq!(
        replay(config(TlsMode::Implicit, false), &steps)
            .last()
            .unwrap(),
        "lost: connection connection_lost"
    );
    // Before the data: a plain connection error.
    let steps = [
        Step::Server("220 mx\r\n250-mx\r\n250 PIPELINING\r\n"),
        Step::Send(&["a@x.test"], b"m\r\n"),
        Step::Lost,
    ];
    assert_eq!(
        replay(config(TlsMode::Implicit, false), &steps)
            .last()
            .unwrap(),
        "lost: connection connection_lost"
    );
}

#[test]
fn reply_421_closes_the_session_anywhere() {
    for (at, server) in [
        ("greeting", "421 4.3.2 bye\r\n"),
        ("ehlo", "220 mx\r\n421 4.3.2 bye\r\n"),
    ] {
        let ev = replay(config(TlsMode::Implicit, false), &[Step::Server(server)]);
        assert_eq!(
            ev[ev.len() - 2..],
            ["close", "error: smtp_transient service_closing"],
            "{at}"
        );
    }
    let ev = replay(
        config(TlsMode::Implicit, false),
        &[
            Step::Server("220 mx\r\n250 mx\r\n"),
            Step::Send(&["a@x.test"], b"m\r\n"),
            Step::Server("250 ok\r\n421 4.3.2 bye\r\n"),
        ],
    );
    assert_eq!(ev.last().unwrap(), "error: smtp_transient service_closing");
}

#[test]
fn checks_before_mail() {
    let ev = replay(
        config(TlsMode::Implicit, false),
        &[
            Step::Server("220 mx\r\n250-mx\r\n250 SIZE 10\r\n"),
            Step::Send(&["a@x.test"], b"0123456789"),
            Step::Send(&["\u{fc}@x.test"], b"m"),
            Step::Send(&[], b"m"),
            Step::Send(&["a@x.test\r\nDATA"], b"m"),
        ],
    );
    assert_eq!(
        ev[ev.len() - 4..],
        [
            "refused: message_too_large size_limit",
            "refused: smtputf8_not_supported -",
            "refused: invalid_argument no_recipients",
            "refused: invalid_argument command_injection",
        ]
    );
    assert!(!ev.iter().any(|l| l.starts_with("C: MAIL")));
}

#[test]
fn size_zero_means_no_limit() {
    let mut e = Engine::new(config(TlsMode::Implicit, false)).unwrap();
    e.feed(b"220 mx\r\n250-mx\r\n250 SIZE 0\r\n").unwrap();
    assert_eq!(e.capabilities().size, None);
    let env = Envelope {
        mail_from: String::new(),
        rcpt_to: vec!["a@x.test".into()],
    };
    e.send_message(&env, &vec![b'x'; 100_000], MessageNeeds::default())
        .unwrap();
}

#[test]
fn over_long_line_and_too_many_lines_are_protocol_errors() {
    let long = format!("220 {}\r\n", "x".repeat(3000));
    let long: &'static str = Box::leak(long.into_boxed_str());
    assert_eq!(
        replay(config(TlsMode::Implicit, false), &[Step::Server(long)])
            .last()
            .unwrap(),
        "error: protocol line_too_long"
    );
    let many = format!(
        "220 mx\r\n{}250 end\r\n",
        "250-x\r\n".repeat(email365::reply::MAX_LINES + 1)
    );
    let many: &'static str = Box::leak(many.into_boxed_str());
    assert_eq!(
        replay(config(TlsMode::Implicit, false), &[Step::Server(many)])
            .last()
            .unwrap(),
        "error: protocol too_many_lines"
    );
    assert_eq!(
        replay(
            config(TlsMode::Implicit, false),
            &[Step::Server("hello\r\n")]
        )
        .last()
        .unwrap(),
        "error: protocol bad_code"
    );
}

#[test]
fn waiting_tells_which_timeout_applies() {
    let mut e = Engine::new(config(TlsMode::Implicit, false)).unwrap();
    assert_eq!(e.waiting(), Wait::Greeting);
    e.feed(b"220 mx\r\n").unwrap();
    assert_eq!(e.waiting(), Wait::Command);
    e.feed(b"250 mx\r\n").unwrap();
    assert_eq!(e.waiting(), Wait::Idle);
    let env = Envelope {
        mail_from: "a@x.test".into(),
        rcpt_to: vec!["b@x.test".into()],
    };
    e.send_message(&env, b"m", MessageNeeds::default()).unwrap();
    e.feed(b"250 ok\r\n250 ok\r\n354 go\r\n").unwrap();
    assert_eq!(e.waiting(), Wait::DataEnd);
}

#[test]
fn ehlo_name_injection_is_refused() {
    for bad in ["a\r\nMAIL", "a b", "", "x\u{7f}", "\u{e9}"] {
        let cfg = EngineConfig {
            ehlo_name: bad.into(),
            ..EngineConfig::default()
        };
        let err = Engine::new(cfg).unwrap_err();
        assert_eq!(err.reason(), Some("command_injection"), "{bad:?}");
    }
}

// ---- BDAT (RFC 3030 CHUNKING) and batches of whole transactions ----

const CHUNKING_CAPS: &str = "250-PIPELINING\r\n250-CHUNKING\r\n250 SIZE 100000\r\n";
const DATA_CAPS: &str = "250-PIPELINING\r\n250 SIZE 100000\r\n";

/// A session over implicit TLS, ready, with `caps` as the EHLO reply's tail.
fn ready(caps: &str) -> Engine {
    let mut e = Engine::new(config(TlsMode::Implicit, false)).unwrap();
    e.feed(format!("220 mx\r\n250-mx\r\n{caps}").as_bytes())
        .unwrap();
    written(&mut e);
    assert!(e.is_ready());
    e
}

/// Everything the engine asks to write, concatenated.
fn written(e: &mut Engine) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(a) = e.poll() {
        if let Action::Write(o) = a {
            out.extend_from_slice(&o.bytes);
        }
    }
    out
}

/// The outcomes of single sends among the pending actions.
fn delivered(e: &mut Engine) -> Vec<Result<email365::smtp::Delivery, email365::Error>> {
    let mut out = Vec::new();
    while let Some(a) = e.poll() {
        if let Action::Delivered(r) = a {
            out.push(r);
        }
    }
    out
}

fn envelope(to: &[&str]) -> Envelope {
    Envelope {
        mail_from: "from@example.com".into(),
        rcpt_to: to.iter().map(|s| s.to_string()).collect(),
    }
}

const BODY: &[u8] = b"Subject: t\n\n.leading dot\nend";
const BODY_NORMALISED: &[u8] = b"Subject: t\r\n\r\n.leading dot\r\nend\r\n";

#[test]
fn bdat_sends_the_whole_transaction_in_one_write_and_one_round_trip() {
    let mut e = ready(CHUNKING_CAPS);
    let rt = e.round_trips();
    e.send_message(
        &envelope(&["a@example.net", "b@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    let mut writes = Vec::new();
    while let Some(a) = e.poll() {
        if let Action::Write(o) = a {
            writes.push(o);
        }
    }
    assert_eq!(writes.len(), 1, "one write");
    let mut expect = format!(
        "MAIL FROM:<from@example.com> SIZE={n}\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nBDAT {n} LAST\r\n",
        n = BODY_NORMALISED.len()
    )
    .into_bytes();
    expect.extend_from_slice(BODY_NORMALISED);
    assert_eq!(writes[0].bytes, expect, "no dot-stuffing, no terminator");
    assert!(writes[0].ends_data);
    assert_eq!(e.waiting(), Wait::Command);
    e.feed(b"250 ok\r\n250 ok\r\n550 5.1.1 unknown\r\n250 2.0.0 Ok: queued as 4711\r\n")
        .unwrap();
    let r = delivered(&mut e);
    let d = r[0].as_ref().unwrap();
    assert_eq!(d.notification_id.as_deref(), Some("4711"));
    assert_eq!(d.accepted.len(), 1);
    assert_eq!(d.rejected[0].recipient, "b@example.net");
    assert_eq!(d.rejected[0].reply.code, 550);
    assert_eq!(e.round_trips() - rt, 1);
    assert!(e.is_ready());
}

#[test]
fn bdat_replies_fed_one_byte_at_a_time_give_the_same_outcome() {
    let mut e = ready(CHUNKING_CAPS);
    let rt = e.round_trips();
    e.send_message(&envelope(&["a@example.net"]), BODY, MessageNeeds::default())
        .unwrap();
    written(&mut e);
    for b in b"250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID009\r\n" {
        e.feed(&[*b]).unwrap();
    }
    let r = delivered(&mut e);
    assert_eq!(
        r[0].as_ref().unwrap().notification_id.as_deref(),
        Some("ID009")
    );
    assert_eq!(e.round_trips() - rt, 1, "partial reads are one round trip");
}

#[test]
fn bdat_disabled_uses_data() {
    let mut cfg = config(TlsMode::Implicit, false);
    cfg.chunking = false;
    let mut e = Engine::new(cfg).unwrap();
    e.feed(format!("220 mx\r\n250-mx\r\n{CHUNKING_CAPS}").as_bytes())
        .unwrap();
    written(&mut e);
    e.send_message(&envelope(&["a@example.net"]), BODY, MessageNeeds::default())
        .unwrap();
    let w = String::from_utf8(written(&mut e)).unwrap();
    assert!(w.ends_with("DATA\r\n") && !w.contains("BDAT"), "{w}");
}

#[test]
fn bdat_all_recipients_refused_then_bdat_refused_resets() {
    let mut e = ready(CHUNKING_CAPS);
    e.send_message(
        &envelope(&["a@example.net", "b@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    written(&mut e);
    e.feed(b"250 ok\r\n550 5.1.1 no\r\n450 4.2.1 later\r\n554 5.5.1 no valid recipients\r\n")
        .unwrap();
    assert_eq!(written(&mut e), b"RSET\r\n");
    e.feed(b"250 ok\r\n").unwrap();
    let r = delivered(&mut e);
    let err = r[0].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RecipientsRejected);
    assert_eq!(err.replies().len(), 2);
    assert_eq!(err.replies()[1].recipient.as_deref(), Some("b@example.net"));
    assert!(e.is_ready(), "the connection stays usable");
}

#[test]
fn bdat_mail_refused_is_reported_as_mail_refused() {
    let mut e = ready(CHUNKING_CAPS);
    e.send_message(&envelope(&["a@example.net"]), BODY, MessageNeeds::default())
        .unwrap();
    written(&mut e);
    e.feed(b"550 5.7.1 sender refused\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n")
        .unwrap();
    assert_eq!(written(&mut e), b"RSET\r\n");
    e.feed(b"250 ok\r\n").unwrap();
    let r = delivered(&mut e);
    let err = r[0].as_ref().unwrap_err();
    assert_eq!(err.reason(), Some("mail_refused"));
    assert_eq!(err.reply().unwrap().code, 550);
}

#[test]
fn bdat_refused_after_accepted_recipients_is_message_refused() {
    let mut e = ready(CHUNKING_CAPS);
    e.send_message(&envelope(&["a@example.net"]), BODY, MessageNeeds::default())
        .unwrap();
    written(&mut e);
    e.feed(b"250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n")
        .unwrap();
    assert_eq!(written(&mut e), b"RSET\r\n");
    e.feed(b"250 ok\r\n").unwrap();
    let r = delivered(&mut e);
    let err = r[0].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SmtpPermanent);
    assert_eq!(err.reason(), Some("message_refused"));
}

#[test]
fn bdat_connection_lost_before_the_final_reply_is_outcome_unknown() {
    let mut e = ready(CHUNKING_CAPS);
    e.send_message(&envelope(&["a@example.net"]), BODY, MessageNeeds::default())
        .unwrap();
    written(&mut e);
    e.feed(b"250 ok\r\n250 ok\r\n").unwrap();
    let err = e.connection_lost(false, "eof");
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    // Known refused: not unknown.
    let mut e = ready(CHUNKING_CAPS);
    e.send_message(&envelope(&["a@example.net"]), BODY, MessageNeeds::default())
        .unwrap();
    written(&mut e);
    e.feed(b"550 5.7.1 no\r\n").unwrap();
    assert_eq!(
        e.connection_lost(false, "eof").kind(),
        ErrorKind::Connection
    );
    // The write of the chunk itself failed: the server cannot have the whole message.
    let mut e = ready(CHUNKING_CAPS);
    e.send_message(&envelope(&["a@example.net"]), BODY, MessageNeeds::default())
        .unwrap();
    written(&mut e);
    assert_eq!(
        e.connection_lost(true, "reset").kind(),
        ErrorKind::Connection
    );
}

type Outcomes = Vec<(usize, Result<email365::smtp::Delivery, email365::Error>)>;

fn sorted(mut v: Outcomes) -> Outcomes {
    v.sort_by_key(|(t, _)| *t);
    v
}

#[test]
fn batch_with_bdat_writes_the_window_at_once_and_attributes_every_reply() {
    let mut e = ready(CHUNKING_CAPS);
    let rt = e.round_trips();
    e.batch_add(
        0,
        &envelope(&["a@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    e.batch_add(
        1,
        &envelope(&["x@example.net", "y@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    e.batch_add(
        2,
        &envelope(&["c@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    e.batch_start(16).unwrap();
    let w = String::from_utf8(written(&mut e)).unwrap();
    assert_eq!(w.matches("BDAT").count(), 3, "{w}");
    assert!(w.starts_with("MAIL"), "no RSET before the first: {w}");
    assert_eq!(w.matches("RSET\r\n").count(), 2, "{w}");
    // 0: delivered; 1: every recipient refused, BDAT refused; 2: delivered.
    let replies = "250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID00A\r\n\
                   250 reset\r\n250 ok\r\n550 5.1.1 x unknown\r\n550 5.1.1 y unknown\r\n554 5.5.1 no valid recipients\r\n\
                   250 reset\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID00C\r\n";
    for chunk in [1usize, 7, 64, replies.len()] {
        let mut e2 = ready(CHUNKING_CAPS);
        for (i, to) in [
            &["a@example.net"][..],
            &["x@example.net", "y@example.net"],
            &["c@example.net"],
        ]
        .iter()
        .enumerate()
        {
            e2.batch_add(i, &envelope(to), BODY, MessageNeeds::default())
                .unwrap();
        }
        e2.batch_start(16).unwrap();
        written(&mut e2);
        for c in replies.as_bytes().chunks(chunk) {
            e2.feed(c).unwrap();
        }
        let out = sorted(e2.take_finished());
        assert_eq!(out.len(), 3, "chunk {chunk}");
        let d0 = out[0].1.as_ref().unwrap();
        assert_eq!(d0.notification_id.as_deref(), Some("ID00A"));
        let e1 = out[1].1.as_ref().unwrap_err();
        assert_eq!(e1.kind(), ErrorKind::RecipientsRejected);
        let who: Vec<_> = e1.replies().iter().map(|r| r.recipient.clone()).collect();
        assert_eq!(
            who,
            [Some("x@example.net".into()), Some("y@example.net".into())]
        );
        let d2 = out[2].1.as_ref().unwrap();
        assert_eq!(d2.notification_id.as_deref(), Some("ID00C"));
        assert_eq!(d2.accepted[0].recipient, "c@example.net");
        // The failure may have left a transaction open: RSET, then ready.
        assert!(e2.batch_active() || !e2.is_ready());
        assert_eq!(written(&mut e2), b"RSET\r\n");
        e2.feed(b"250 ok\r\n").unwrap();
        assert!(e2.is_ready(), "chunk {chunk}");
    }
    e.feed(replies.as_bytes()).unwrap();
    assert_eq!(e.round_trips() - rt, 1, "three messages, one round trip");
}

#[test]
fn batch_window_limits_the_transactions_in_flight() {
    let mut e = ready(CHUNKING_CAPS);
    for i in 0..5 {
        e.batch_add(
            i,
            &envelope(&["a@example.net"]),
            BODY,
            MessageNeeds::default(),
        )
        .unwrap();
    }
    let rt = e.round_trips();
    e.batch_start(2).unwrap();
    let count = |w: &[u8]| String::from_utf8_lossy(w).matches("BDAT").count();
    assert_eq!(count(&written(&mut e)), 2);
    e.feed(b"250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID000\r\n")
        .unwrap();
    assert_eq!(count(&written(&mut e)), 1, "one done, one more written");
    e.feed(b"250 r\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID001\r\n250 r\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID002\r\n")
        .unwrap();
    assert_eq!(count(&written(&mut e)), 2);
    e.feed(b"250 r\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID003\r\n250 r\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID004\r\n")
        .unwrap();
    let out = sorted(e.take_finished());
    let ids: Vec<_> = out
        .iter()
        .map(|(_, r)| r.as_ref().unwrap().notification_id.clone().unwrap())
        .collect();
    assert_eq!(ids, ["ID000", "ID001", "ID002", "ID003", "ID004"]);
    assert!(e.is_ready());
    assert_eq!(e.round_trips() - rt, 3);
}

#[test]
fn batch_with_data_pipelines_each_message_data_with_the_next_commands() {
    let mut e = ready(DATA_CAPS);
    for i in 0..3 {
        e.batch_add(
            i,
            &envelope(&["a@example.net"]),
            BODY,
            MessageNeeds::default(),
        )
        .unwrap();
    }
    let rt = e.round_trips();
    e.batch_start(16).unwrap();
    let w = String::from_utf8(written(&mut e)).unwrap();
    assert!(
        w.ends_with("DATA\r\n") && w.matches("MAIL").count() == 1,
        "{w}"
    );
    e.feed(b"250 ok\r\n250 ok\r\n354 go\r\n").unwrap();
    let w = String::from_utf8(written(&mut e)).unwrap();
    assert!(
        w.contains("\r\n.\r\nMAIL FROM:"),
        "data then the next commands: {w}"
    );
    assert!(
        w.starts_with("Subject: t\r\n\r\n..leading dot"),
        "dot-stuffed: {w}"
    );
    e.feed(b"250 2.0.0 Ok: queued as ID000\r\n250 ok\r\n250 ok\r\n354 go\r\n")
        .unwrap();
    written(&mut e);
    e.feed(b"250 2.0.0 Ok: queued as ID001\r\n550 5.7.1 sender refused\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n")
        .unwrap();
    // The failure of message 2 with MAIL refused: RSET at the end, no data written.
    let w = written(&mut e);
    assert_eq!(w, b"RSET\r\n");
    e.feed(b"250 ok\r\n").unwrap();
    let out = sorted(e.take_finished());
    assert_eq!(
        out[0].1.as_ref().unwrap().notification_id.as_deref(),
        Some("ID000")
    );
    assert_eq!(
        out[1].1.as_ref().unwrap().notification_id.as_deref(),
        Some("ID001")
    );
    assert_eq!(
        out[2].1.as_ref().unwrap_err().reason(),
        Some("mail_refused")
    );
    assert!(e.is_ready());
    // 3 messages in 3 round trips, plus the final RSET: not 2 per message.
    assert_eq!(e.round_trips() - rt, 4);
}

#[test]
fn batch_421_mid_window_keeps_known_outcomes_and_reports_the_rest_unknown() {
    let mut e = ready(CHUNKING_CAPS);
    for i in 0..4 {
        e.batch_add(
            i,
            &envelope(&["a@example.net"]),
            BODY,
            MessageNeeds::default(),
        )
        .unwrap();
    }
    // Window 2: 0 and 1 written; when 0 is done, 2 is written; 3 never is.
    e.batch_start(2).unwrap();
    written(&mut e);
    e.feed(b"250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID000\r\n250 r\r\n250 ok\r\n250 ok\r\n421 4.3.2 shutting down\r\n")
        .unwrap();
    let out = sorted(e.take_finished());
    assert_eq!(out.len(), 4);
    assert_eq!(
        out[0].1.as_ref().unwrap().notification_id.as_deref(),
        Some("ID000")
    );
    let e1 = out[1].1.as_ref().unwrap_err();
    assert_eq!(
        e1.reason(),
        Some("service_closing"),
        "its final reply was the 421"
    );
    assert!(e1.transient());
    let e2 = out[2].1.as_ref().unwrap_err();
    assert_eq!(
        e2.kind(),
        ErrorKind::OutcomeUnknown,
        "written, never answered"
    );
    assert_eq!(e2.reason(), Some("in_flight"));
    assert!(e2.transient());
    let e3 = out[3].1.as_ref().unwrap_err();
    assert_eq!(e3.kind(), ErrorKind::Connection);
    assert_eq!(e3.reason(), Some("not_sent"), "never written");
    assert!(e.is_closed());
}

#[test]
fn batch_connection_lost_never_reports_sent_what_was_not_confirmed() {
    let mut e = ready(CHUNKING_CAPS);
    for i in 0..3 {
        e.batch_add(
            i,
            &envelope(&["a@example.net"]),
            BODY,
            MessageNeeds::default(),
        )
        .unwrap();
    }
    e.batch_start(16).unwrap();
    written(&mut e);
    // 0 delivered; 1 MAIL refused (known); then the connection ends.
    e.feed(b"250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID000\r\n250 r\r\n550 5.7.1 no\r\n")
        .unwrap();
    let err = e.connection_lost(false, "eof");
    assert_eq!(err.kind(), ErrorKind::Connection);
    let out = sorted(e.take_finished());
    assert!(out[0].1.is_ok());
    assert_eq!(
        out[1].1.as_ref().unwrap_err().reason(),
        Some("mail_refused")
    );
    assert_eq!(
        out[2].1.as_ref().unwrap_err().kind(),
        ErrorKind::OutcomeUnknown
    );
}

#[test]
fn quit_during_a_batch_still_gives_every_message_its_outcome() {
    // Found by the `smtp_engine` fuzz target: QUIT mid-batch used to drop the
    // transactions in flight and queued without any outcome.
    let mut e = ready(CHUNKING_CAPS);
    for i in 0..3 {
        e.batch_add(
            i,
            &envelope(&["a@example.net"]),
            BODY,
            MessageNeeds::default(),
        )
        .unwrap();
    }
    e.batch_start(1).unwrap();
    written(&mut e);
    e.quit();
    assert!(String::from_utf8(written(&mut e))
        .unwrap()
        .ends_with("QUIT\r\n"));
    let out = sorted(e.take_finished());
    assert_eq!(out.iter().map(|(t, _)| *t).collect::<Vec<_>>(), [0, 1, 2]);
    let e0 = out[0].1.as_ref().unwrap_err();
    assert_eq!(e0.kind(), ErrorKind::OutcomeUnknown);
    assert_eq!(e0.reason(), Some("in_flight"));
    for (_, r) in &out[1..] {
        assert_eq!(r.as_ref().unwrap_err().reason(), Some("not_sent"));
    }
    assert!(!e.batch_active());
}

#[test]
fn batch_too_many_recipients_goes_on_in_a_follow_up_transaction() {
    let mut e = ready(CHUNKING_CAPS);
    e.batch_add(
        0,
        &envelope(&["a@example.net", "b@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    e.batch_add(
        1,
        &envelope(&["c@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    e.batch_start(16).unwrap();
    written(&mut e);
    e.feed(b"250 ok\r\n250 ok\r\n452 4.5.3 too many recipients\r\n250 2.0.0 Ok: queued as ID00A1\r\n250 r\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID00C\r\n")
        .unwrap();
    let w = String::from_utf8(written(&mut e)).unwrap();
    assert!(w.contains("RCPT TO:<b@example.net>\r\nBDAT"), "{w}");
    e.feed(b"250 r\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as ID00A2\r\n")
        .unwrap();
    let out = sorted(e.take_finished());
    let d0 = out[0].1.as_ref().unwrap();
    assert_eq!(d0.transactions.len(), 2);
    assert_eq!(d0.accepted.len(), 2);
    assert_eq!(
        d0.transactions[1].notification_id.as_deref(),
        Some("ID00A2")
    );
    assert_eq!(
        out[1].1.as_ref().unwrap().notification_id.as_deref(),
        Some("ID00C")
    );
    assert!(e.is_ready());
}

// ---- 421 after RCPT refusals (issue 13): the refusals already read survive ----

/// The per-recipient replies carried by an error, as (recipient, code).
fn recipient_replies(e: &email365::Error) -> Vec<(String, u16)> {
    e.replies()
        .iter()
        .filter_map(|r| r.recipient.clone().map(|who| (who, r.code)))
        .collect()
}

#[test]
fn rcpt_refusals_survive_a_later_421_in_a_single_send() {
    let mut e = ready(DATA_CAPS);
    e.send_message(
        &envelope(&["a@example.net", "b@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    written(&mut e);
    let err = e
        .feed(b"250 ok\r\n550 5.1.1 unknown a\r\n250 ok\r\n421 4.3.2 shutting down\r\n")
        .unwrap_err();
    assert_eq!(err.reason(), Some("service_closing"));
    assert_eq!(err.reply().unwrap().code, 421, "the 421 comes first");
    assert_eq!(
        recipient_replies(&err),
        [("a@example.net".to_string(), 550)],
        "the RCPT refusal read before the 421 is kept"
    );
    assert!(e.is_closed());
}

#[test]
fn rcpt_refusals_of_a_follow_up_transaction_survive_a_later_421() {
    // The first transaction delivers to a (b and c deferred: too many recipients); the
    // second refuses b, accepts c, then the server closes with 421.
    let mut e = ready(DATA_CAPS);
    e.send_message(
        &envelope(&["a@example.net", "b@example.net", "c@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    written(&mut e);
    e.feed(b"250 ok\r\n250 ok\r\n452 4.5.3 too many\r\n452 4.5.3 too many\r\n354 go\r\n")
        .unwrap();
    written(&mut e);
    e.feed(b"250 2.0.0 Ok: queued as FIRST\r\n").unwrap();
    written(&mut e);
    e.feed(b"250 ok\r\n550 5.1.1 unknown b\r\n250 ok\r\n421 4.3.2 shutting down\r\n")
        .unwrap();
    let r = delivered(&mut e);
    let d = r[0].as_ref().unwrap();
    assert_eq!(d.notification_id.as_deref(), Some("FIRST"));
    assert_eq!(d.accepted.len(), 1);
    let rejected: Vec<(&str, u16)> = d
        .rejected
        .iter()
        .map(|r| (r.recipient.as_str(), r.reply.code))
        .collect();
    assert_eq!(
        rejected,
        [("b@example.net", 550), ("c@example.net", 421)],
        "b keeps its own refusal; only c, accepted, failed with the 421"
    );
    assert!(e.is_closed());
}

#[test]
fn rcpt_refusals_survive_a_later_421_in_a_batch() {
    let mut e = ready(CHUNKING_CAPS);
    e.batch_add(
        0,
        &envelope(&["a@example.net", "b@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    e.batch_add(
        1,
        &envelope(&["c@example.net"]),
        BODY,
        MessageNeeds::default(),
    )
    .unwrap();
    e.batch_start(16).unwrap();
    written(&mut e);
    e.feed(b"250 ok\r\n550 5.1.1 unknown a\r\n250 ok\r\n421 4.3.2 shutting down\r\n")
        .unwrap();
    let out = sorted(e.take_finished());
    let e0 = out[0].1.as_ref().unwrap_err();
    assert_eq!(e0.reason(), Some("service_closing"));
    assert_eq!(e0.reply().unwrap().code, 421);
    assert_eq!(
        recipient_replies(e0),
        [("a@example.net".to_string(), 550)],
        "the RCPT refusal read before the 421 is kept"
    );
    assert!(recipient_replies(out[1].1.as_ref().unwrap_err()).is_empty());
    assert!(e.is_closed());
}

// ---- NUL in message data (issue 14): refused before a byte of the message ----

#[test]
fn nul_smuggled_end_of_data_is_refused_before_any_byte_of_the_message() {
    let data: &[u8] = b"Subject: t\r\n\r\nx\r\n\0.\r\nMAIL FROM:<evil@example.net>\r\n";
    for caps in [CHUNKING_CAPS, DATA_CAPS, "250 SIZE 100000\r\n"] {
        let mut e = ready(caps);
        let err = e
            .send_message(&envelope(&["a@example.net"]), data, MessageNeeds::default())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidMessage);
        assert_eq!(err.reason(), Some("control_char"));
        assert_eq!(err.position(), Some(17));
        assert!(written(&mut e).is_empty(), "nothing written");
        assert!(e.is_ready(), "the session stays usable");
        if e.uses_pipelining() {
            let err = e
                .batch_add(
                    0,
                    &envelope(&["a@example.net"]),
                    data,
                    MessageNeeds::default(),
                )
                .unwrap_err();
            assert_eq!(err.reason(), Some("control_char"));
            e.batch_start(4).unwrap();
            assert!(written(&mut e).is_empty(), "nothing written");
            assert!(e.take_finished().is_empty());
        }
        e.send_message(&envelope(&["a@example.net"]), BODY, MessageNeeds::default())
            .unwrap();
        assert!(!written(&mut e).is_empty());
    }
}
