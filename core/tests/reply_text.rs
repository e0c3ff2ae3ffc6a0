//! Server text reaching logs, error messages and C strings (docs/SECURITY.md): control
//! characters from a reply are escaped before they reach a transcript line or an error,
//! and a NUL in a reply is refused where the reply is parsed.
#![cfg(feature = "smtp")]

use email365::message::Envelope;
use email365::reply::Reply;
use email365::smtp::{Action, Engine, EngineConfig, MessageNeeds, TlsMode};
use email365::ErrorKind;

fn engine() -> Engine {
    Engine::new(EngineConfig {
        ehlo_name: "client.example".into(),
        tls: TlsMode::Implicit,
        ..EngineConfig::default()
    })
    .expect("engine")
}

/// Every transcript line received and the failures delivered so far.
fn drain(e: &mut Engine, received: &mut Vec<String>, failures: &mut Vec<email365::Error>) {
    while let Some(a) = e.poll() {
        match a {
            Action::Received(line) => received.push(line),
            Action::Delivered(Err(err)) => failures.push(err),
            _ => {}
        }
    }
}

fn no_raw_controls(what: &str, text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{what} holds a raw control character: {text:?}"
    );
}

#[test]
fn ansi_escape_in_a_550_text_does_not_reach_the_error_message_raw() {
    let mut e = engine();
    let (mut received, mut failures) = (Vec::new(), Vec::new());
    e.feed(b"220 mx\r\n250-mx\r\n250 PIPELINING\r\n").unwrap();
    drain(&mut e, &mut received, &mut failures);
    let env = Envelope {
        mail_from: "from@example.com".into(),
        rcpt_to: vec!["a@x.test".into()],
    };
    e.send_message(&env, b"m\r\n", MessageNeeds::default())
        .unwrap();
    drain(&mut e, &mut received, &mut failures);
    e.feed(b"550 5.7.1 \x1b[2J\x1b]0;pwned\x07 \x9b31m denied\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n250 reset\r\n")
        .unwrap();
    drain(&mut e, &mut received, &mut failures);
    let err = failures.pop().expect("the MAIL refusal is delivered");
    assert_eq!(err.kind(), ErrorKind::SmtpPermanent);
    no_raw_controls("the message", err.message());
    no_raw_controls("the Display form", &err.to_string());
    assert!(err.message().contains("\\x1b[2J"), "{}", err.message());
    for reply in err.replies() {
        no_raw_controls("the reply text", &reply.text);
    }
    for line in &received {
        no_raw_controls("a transcript line", line);
    }
    assert!(received.iter().any(|l| l.contains("\\x1b]0;pwned\\x07")));
}

#[test]
fn nul_in_a_reply_is_a_protocol_error_before_it_can_cut_a_c_string() {
    let mut e = engine();
    let (mut received, mut failures) = (Vec::new(), Vec::new());
    let err = e.feed(b"220 mx ESMTP\0 hidden\r\n").unwrap_err();
    drain(&mut e, &mut received, &mut failures);
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.reason(), Some("nul_byte"));
    assert!(!err.message().contains('\0'));
    assert_eq!(received, ["220 mx ESMTP\\x00 hidden"]);

    let err = Reply::parse("250-first\r\n250 sec\0ond\r\n").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidReply);
    assert_eq!((err.reason(), err.position()), (Some("nul_byte"), Some(18)));
}

#[test]
fn control_characters_in_parsed_replies_are_escaped_and_tabs_kept() {
    let r = Reply::parse("250-a\tb\x1b[0m\r\n250 \u{85}end\r\n").unwrap();
    assert_eq!(
        r.lines().collect::<Vec<_>>(),
        ["a\tb\\x1b[0m", "\\u{85}end"]
    );
    assert_eq!(r.text(), "a\tb\\x1b[0m\n\\u{85}end");
}
