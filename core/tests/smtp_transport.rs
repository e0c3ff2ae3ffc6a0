//! The blocking transport against a scripted adversarial server: every failure of
//! issue 4's Tests section, asserting the error kind and what reached the wire.
#![cfg(feature = "smtp")]

mod smtp_support;

use email365::message::Envelope;
use email365::smtp::dot;
use email365::smtp::{AuthMechanism, Direction, Outgoing, SmtpClient, SmtpPool, TlsMode};
use email365::ErrorKind;
use smtp_support::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CAPS: &[&str] = &[
    "PIPELINING",
    "SIZE 1000000",
    "8BITMIME",
    "ENHANCEDSTATUSCODES",
    "SMTPUTF8",
];
const CAPS_NO_PIPE: &[&str] = &["SIZE 1000000", "8BITMIME", "ENHANCEDSTATUSCODES"];

fn env(to: &[&str]) -> Envelope {
    Envelope {
        mail_from: "sender@example.com".into(),
        rcpt_to: to.iter().map(|s| s.to_string()).collect(),
    }
}

const MSG: &[u8] = b"From: sender@example.com\r\nTo: a@example.net\r\nSubject: hi\r\n\r\nHello.\r\n.leading dot\r\n";

#[test]
fn delivers_over_starttls_with_auth_plain_and_pipelining() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h, got) = serve_accepting(tls, CAPS, "10000000902077");
    let log = Arc::new(Mutex::new(Vec::<(Direction, String)>::new()));
    let l = log.clone();
    let mut o = options(port, &pki);
    o.transcript = Some(Arc::new(move |d, s: &str| {
        l.lock().unwrap().push((d, s.to_string()))
    }));
    let mut c = SmtpClient::connect(o).expect("connect");
    assert!(c.capabilities().unwrap().pipelining);
    let d = c
        .send_raw(&env(&["a@example.net", "b@example.net"]), MSG)
        .expect("send");
    assert_eq!(d.final_reply.code, 250);
    assert_eq!(d.accepted.len(), 2);
    assert!(d.rejected.is_empty());
    c.quit().expect("quit");
    h.join().unwrap();
    let got = got.lock().unwrap();
    assert_eq!(dot::decode(&got[0]).unwrap(), MSG);
    let w = wire_text(&wire);
    // MAIL, both RCPT and DATA arrived in one write (the server read them together).
    let batch = format!(
        "MAIL FROM:<sender@example.com> SIZE={}\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
        MSG.len()
    );
    assert!(w.contains(&batch), "{w}");
    let log = log.lock().unwrap();
    let all: String = log
        .iter()
        .map(|(_, s)| s.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(all.contains("AUTH PLAIN <redacted>"));
    assert!(!all.contains(PASS) && !all.contains(&plain_b64()), "{all}");
    assert!(log
        .iter()
        .any(|(d, s)| *d == Direction::Received && s.starts_with("250 2.0.0 Ok: queued")));
    // Needs the real notification-id extractor (the stub returns None).
    assert_eq!(d.notification_id.as_deref(), Some("10000000902077"));
}

fn starttls_refused_with(reply: &'static str) {
    let pki = pki();
    let (port, wire, h) = serve(1, move |_, p| {
        p.send("220 mx.test ESMTP\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n");
        p.expect("STARTTLS");
        p.send(reply);
        let _ = p.line();
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
    let w = wire_text(&wire);
    assert!(w.ends_with("STARTTLS\r\n"), "nothing after STARTTLS: {w:?}");
    assert!(!w.contains("AUTH") && !w.contains("MAIL"));
}

#[test]
fn starttls_454_fails_with_tls() {
    starttls_refused_with("454 4.7.0 TLS not available due to temporary reason\r\n");
}

#[test]
fn starttls_502_fails_with_tls() {
    starttls_refused_with("502 5.5.1 Command not implemented\r\n");
}

#[test]
fn starttls_354_fails_with_tls() {
    starttls_refused_with("354 go ahead\r\n");
}

#[test]
fn starttls_not_advertised_fails_with_tls_and_sends_nothing_more() {
    let pki = pki();
    let (port, wire, h) = serve(1, |_, p| {
        p.send("220 mx.test ESMTP\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n");
        let _ = p.line();
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert_eq!(e.reason(), Some("starttls_not_offered"));
    let w = wire_text(&wire);
    assert!(
        w.starts_with("EHLO ") && w.matches("\r\n").count() == 1,
        "{w:?}"
    );
}

#[test]
fn starttls_response_injection_is_a_protocol_error() {
    let pki = pki();
    let (port, wire, h) = serve(1, |_, p| {
        p.send("220 mx.test ESMTP\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 STARTTLS\r\n");
        p.expect("STARTTLS");
        // One packet: the 220 and an injected reply meant to be read after TLS.
        p.send("220 Ready\r\n250 AUTH LOGIN\r\n");
        p.read_some(1);
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e:?}");
    assert_eq!(e.reason(), Some("data_after_starttls"));
    let w = wire.lock().unwrap().clone();
    assert!(w.ends_with(b"STARTTLS\r\n"), "no handshake, nothing else");
}

#[test]
fn helo_only_server_fails_with_tls_when_starttls_is_required() {
    let pki = pki();
    let (port, wire, h) = serve(1, |_, p| {
        p.send("220 mx.test SMTP\r\n");
        p.expect("EHLO");
        p.send("502 5.5.2 Error: command not recognized\r\n");
        let _ = p.line();
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert_eq!(e.reason(), Some("esmtp_not_supported"));
    assert!(!wire_text(&wire).contains("HELO"));
}

#[test]
fn greeting_421_is_transient() {
    let pki = pki();
    let (port, wire, h) = serve(1, |_, p| {
        p.send("421 4.3.2 mx.test Service not available\r\n");
        let _ = p.line();
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::SmtpTransient);
    assert!(e.transient());
    assert_eq!(e.reply().unwrap().code, 421);
    assert!(wire.lock().unwrap().is_empty());
}

#[test]
fn greeting_554_is_permanent() {
    let pki = pki();
    let (port, _w, h) = serve(1, |_, p| {
        p.send("554 5.7.1 go away\r\n");
        let _ = p.line();
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::SmtpPermanent);
    assert!(!e.transient());
}

#[test]
fn reply_421_after_mail_is_transient_and_closes() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS_NO_PIPE);
        p.expect("MAIL FROM:");
        p.send("421 4.4.2 closing\r\n");
        let _ = p.line();
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = c.send_raw(&env(&["a@example.net"]), MSG).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::SmtpTransient);
    assert_eq!(e.reply().unwrap().code, 421);
    assert!(!c.is_connected());
    assert!(!wire_text(&wire).contains("RCPT"));
}

#[test]
fn reply_421_after_data_is_transient() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS_NO_PIPE);
        p.expect("MAIL FROM:");
        p.send("250 ok\r\n");
        p.expect("RCPT TO:");
        p.send("250 ok\r\n");
        p.expect("DATA");
        p.send("421 4.3.0 shutting down\r\n");
        let _ = p.line();
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = c.send_raw(&env(&["a@example.net"]), MSG).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::SmtpTransient);
    assert!(!wire_text(&wire).contains("Subject"), "no data after 421");
}

#[test]
fn reply_421_at_end_of_data_is_transient_not_unknown() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS);
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("DATA");
        p.send("250 ok\r\n250 ok\r\n354 go\r\n");
        p.data();
        p.send("421 4.3.0 shutting down\r\n");
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = c.send_raw(&env(&["a@example.net"]), MSG).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::SmtpTransient);
}

#[test]
fn connection_dropped_mid_data_is_a_connection_error() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        p.standard_session(&tls, &["PIPELINING", "8BITMIME"]);
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("DATA");
        p.send("250 ok\r\n250 ok\r\n354 go\r\n");
        p.read_some(100_000);
        p.close();
    });
    let mut big = b"Subject: big\r\n\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 40 * 1024 * 1024));
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = c.send_raw(&env(&["a@example.net"]), &big).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e:?}");
}

#[test]
fn connection_dropped_after_final_dot_is_outcome_unknown() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS);
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("DATA");
        p.send("250 ok\r\n250 ok\r\n354 go\r\n");
        assert!(p.data().is_some());
        p.close();
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = c.send_raw(&env(&["a@example.net"]), MSG).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{e:?}");
    assert!(e.reply().is_none());
}

#[test]
fn silent_server_times_out() {
    let pki = pki();
    let (port, _w, h) = serve(1, |_, p| {
        let _ = p.line();
    });
    let mut o = options(port, &pki);
    o.timeouts.greeting = Duration::from_millis(300);
    let t = std::time::Instant::now();
    let e = SmtpClient::connect(o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(t.elapsed() < Duration::from_secs(4));
    h.join().unwrap();
}

#[test]
fn silent_after_final_dot_is_outcome_unknown() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS);
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("DATA");
        p.send("250 ok\r\n250 ok\r\n354 go\r\n");
        p.data();
        let _ = p.line();
    });
    let mut o = options(port, &pki);
    o.timeouts.data_end = Duration::from_millis(300);
    let mut c = SmtpClient::connect(o).unwrap();
    let e = c.send_raw(&env(&["a@example.net"]), MSG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
    assert_eq!(e.reason(), Some("timeout"));
    drop(c);
    h.join().unwrap();
}

#[test]
fn over_long_reply_line_is_a_protocol_error() {
    let pki = pki();
    let (port, _w, h) = serve(1, |_, p| {
        p.send(&format!("220 {}\r\n", "x".repeat(100_000)));
        let _ = p.line();
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(e.reason(), Some("line_too_long"));
}

#[test]
fn mixed_code_multiline_reply_is_a_protocol_error() {
    let pki = pki();
    let (port, wire, h) = serve(1, |_, p| {
        p.send("220 mx.test\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n550-STARTTLS\r\n250 AUTH PLAIN\r\n");
        let _ = p.line();
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(!wire_text(&wire).contains("STARTTLS"));
}

fn bad_certificate(chain_key: (Vec<rustls::pki_types::CertificateDer<'static>>, Vec<u8>)) {
    let pki = pki();
    let tls = server_config(&chain_key.0, &chain_key.1);
    let (port, wire, h) = serve(1, move |_, p| {
        p.send("220 mx.test ESMTP\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 STARTTLS\r\n");
        p.expect("STARTTLS");
        p.send("220 go\r\n");
        assert!(
            !p.starttls(tls.clone()),
            "the client must reject the certificate"
        );
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
    assert_eq!(e.reason(), Some("certificate"), "{e:?}");
    let w = wire_text(&wire);
    assert!(!w.contains("AUTH") && w.ends_with("STARTTLS\r\n"));
}

#[test]
fn self_signed_certificate_is_refused() {
    bad_certificate(pki().self_signed);
}

#[test]
fn wrong_hostname_certificate_is_refused() {
    bad_certificate(pki().wrong_name);
}

#[test]
fn server_name_override_checks_the_given_name() {
    // Connecting to 127.0.0.1 with the name "localhost" verifies against "localhost".
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        accept_all(p, &tls, CAPS, "1");
    });
    let mut o = options(port, &pki);
    o.host = "127.0.0.1".into();
    o.server_name = Some("localhost".into());
    let mut c = SmtpClient::connect(o).expect("connect");
    c.quit().unwrap();
    h.join().unwrap();
}

#[test]
fn some_recipients_rejected_delivers_to_the_rest() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS);
        p.expect("MAIL");
        p.expect("RCPT TO:<a@");
        p.expect("RCPT TO:<bad@");
        p.expect("RCPT TO:<c@");
        p.expect("DATA");
        p.send("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 <bad@example.net>: no such user\r\n250 2.1.5 ok\r\n354 go\r\n");
        p.data();
        p.send("250 2.0.0 Ok: queued as ABC123\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let d = c
        .send_raw(
            &env(&["a@example.net", "bad@example.net", "c@example.net"]),
            MSG,
        )
        .unwrap();
    c.quit().unwrap();
    h.join().unwrap();
    let acc: Vec<_> = d.accepted.iter().map(|r| r.recipient.as_str()).collect();
    assert_eq!(acc, ["a@example.net", "c@example.net"]);
    assert_eq!(d.rejected.len(), 1);
    assert_eq!(d.rejected[0].recipient, "bad@example.net");
    assert_eq!(d.rejected[0].reply.code, 550);
}

#[test]
fn all_recipients_rejected_pipelined_sends_lone_dot_then_rset() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS);
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("RCPT");
        p.expect("DATA");
        // A server that answers DATA with 354 although no recipient was accepted.
        p.send("250 ok\r\n550 5.1.1 no\r\n450 4.2.1 later\r\n354 go\r\n");
        assert_eq!(p.data().unwrap(), b".\r\n");
        p.send("554 5.5.1 no valid recipients\r\n");
        p.expect("RSET");
        p.send("250 ok\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = c
        .send_raw(&env(&["x@example.net", "y@example.net"]), MSG)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected);
    assert_eq!(e.replies().len(), 2);
    assert_eq!(e.replies()[0].recipient.as_deref(), Some("x@example.net"));
    assert_eq!(e.replies()[1].code, 450);
    assert!(c.is_connected());
    c.quit().unwrap();
    h.join().unwrap();
    assert!(
        !wire_text(&wire).contains("Subject"),
        "the message never went out"
    );
}

#[test]
fn all_recipients_rejected_without_pipelining_sends_rset_not_data() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS_NO_PIPE);
        p.expect("MAIL");
        p.send("250 ok\r\n");
        p.expect("RCPT");
        p.send("550 5.1.1 unknown\r\n");
        p.expect("RSET");
        p.send("250 ok\r\n");
        let _ = p.line();
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = c.send_raw(&env(&["x@example.net"]), MSG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected);
    assert!(!e.transient());
    drop(c);
    h.join().unwrap();
    assert!(!wire_text(&wire).contains("DATA"));
}

#[test]
fn too_many_recipients_go_into_a_further_transaction() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let (port, _w, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS);
        p.expect("MAIL");
        p.expect("RCPT TO:<a@");
        p.expect("RCPT TO:<b@");
        p.expect("RCPT TO:<c@");
        p.expect("DATA");
        p.send("250 ok\r\n250 ok\r\n452 4.5.3 Too many recipients\r\n452 4.5.3 Too many recipients\r\n354 go\r\n");
        g.lock().unwrap().push(p.data().unwrap());
        p.send("250 2.0.0 Ok: queued as FIRST1\r\n");
        p.expect("MAIL");
        p.expect("RCPT TO:<b@");
        p.expect("RCPT TO:<c@");
        p.expect("DATA");
        p.send("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        g.lock().unwrap().push(p.data().unwrap());
        p.send("250 2.0.0 Ok: queued as SECOND2\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let d = c
        .send_raw(
            &env(&["a@example.net", "b@example.net", "c@example.net"]),
            MSG,
        )
        .unwrap();
    c.quit().unwrap();
    h.join().unwrap();
    assert_eq!(d.accepted.len(), 3);
    assert!(d.rejected.is_empty());
    assert_eq!(d.transactions.len(), 2);
    assert_eq!(
        d.transactions[1].recipients,
        ["b@example.net", "c@example.net"]
    );
    let got = got.lock().unwrap();
    assert_eq!(got[0], got[1]);
}

#[test]
fn size_limit_is_checked_before_mail() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        accept_all(p, &tls, &["PIPELINING", "SIZE 50"], "1");
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = c.send_raw(&env(&["a@example.net"]), MSG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MessageTooLarge);
    assert!(e.message().contains("50"), "{}", e.message());
    c.quit().unwrap();
    h.join().unwrap();
    assert!(!wire_text(&wire).contains("MAIL"));
}

#[test]
fn smtputf8_needed_but_not_offered_fails_before_mail() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        accept_all(p, &tls, CAPS_NO_PIPE, "1");
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = c.send_raw(&env(&["jürgen@example.net"]), MSG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Smtputf8NotSupported);
    c.quit().unwrap();
    h.join().unwrap();
    assert!(!wire_text(&wire).contains("MAIL"));
}

#[test]
fn smtputf8_and_8bitmime_parameters_when_needed() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        accept_all(p, &tls, CAPS, "1");
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    c.send_raw(
        &env(&["jürgen@example.net"]),
        "Subject: grüße\r\n\r\nü\r\n".as_bytes(),
    )
    .unwrap();
    c.quit().unwrap();
    h.join().unwrap();
    assert!(wire_text(&wire).contains(" BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<jürgen@example.net>"));
}

#[test]
fn command_injection_in_recipient_or_sender_is_refused_before_any_byte() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        accept_all(p, &tls, CAPS, "1");
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let cases = [
        ("crlf", "a@example.net>\r\nRCPT TO:<evil@example.org"),
        ("cr", "a@example.net\rX"),
        ("lf", "a@example.net\nX"),
        ("nul", "a@example.net\0"),
        ("del", "a@example.net\x7f"),
        ("angle", "a@example.net> NOTIFY=NEVER"),
    ];
    for (id, bad) in cases {
        let e = c.send_raw(&env(&[bad]), MSG).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{id}");
        assert_eq!(e.reason(), Some("command_injection"), "{id}");
        let mut e2 = env(&["ok@example.net"]);
        e2.mail_from = bad.to_string();
        let e = c.send_raw(&e2, MSG).unwrap_err();
        assert_eq!(e.reason(), Some("command_injection"), "{id}");
    }
    c.quit().unwrap();
    h.join().unwrap();
    let w = wire_text(&wire);
    assert!(!w.contains("MAIL") && !w.contains("evil"), "{w}");
}

#[test]
fn command_injection_in_ehlo_name_is_refused_before_connecting() {
    let pki = pki();
    let (port, wire, h) = serve(1, |_, p| {
        p.send("220 mx.test\r\n");
        let _ = p.line();
    });
    for bad in ["mx\r\nMAIL FROM:<x@y>", "a b", "x\0", ""] {
        let mut o = options(port, &pki);
        o.ehlo_name = Some(bad.into());
        let e = SmtpClient::new(o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        assert_eq!(e.reason(), Some("command_injection"));
    }
    // Unblock the server thread.
    drop(std::net::TcpStream::connect(("127.0.0.1", port)));
    h.join().unwrap();
    assert!(wire.lock().unwrap().is_empty());
}

fn several_messages_on_one_connection(probe_idle_after: Duration) -> (usize, String, u64) {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let n = Arc::new(Mutex::new(0));
    let n2 = n.clone();
    let (port, wire, h) = serve(1, move |_, p| {
        *n2.lock().unwrap() = accept_all(p, &tls, CAPS, "1").len();
    });
    let mut o = options(port, &pki);
    o.probe_idle_after = probe_idle_after;
    let mut c = SmtpClient::connect(o).unwrap();
    let before = c.round_trips();
    for _ in 0..5 {
        c.send_raw(&env(&["a@example.net"]), MSG).unwrap();
    }
    let rt = c.round_trips() - before;
    c.quit().unwrap();
    h.join().unwrap();
    let count = *n.lock().unwrap();
    (count, wire_text(&wire), rt)
}

#[test]
fn several_messages_on_one_connection_with_rset_probe_between_when_idle() {
    // Every reuse counts as idle: RSET before each message after the first.
    let (n, wire, rt) = several_messages_on_one_connection(Duration::ZERO);
    assert_eq!(n, 5);
    assert_eq!(wire.matches("RSET\r\n").count(), 4);
    // PIPELINING + DATA: 2 round trips per message, plus one per probe.
    assert_eq!(rt, 5 * 2 + 4);
}

#[test]
fn several_messages_in_a_row_need_no_probe_and_two_round_trips_each() {
    let (n, wire, rt) = several_messages_on_one_connection(Duration::from_secs(60));
    assert_eq!(n, 5);
    assert_eq!(wire.matches("RSET\r\n").count(), 0);
    assert_eq!(
        rt,
        5 * 2,
        "PIPELINING + DATA: MAIL/RCPT/DATA, then the data"
    );
}

fn reconnects_after_idle_close(say_421: bool) {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(2, move |i, p| {
        p.standard_session(&tls, CAPS);
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("DATA");
        p.send("250 ok\r\n250 ok\r\n354 go\r\n");
        p.data();
        p.send(&format!("250 2.0.0 Ok: queued as Q{i}\r\n"));
        if i == 0 {
            // Idle timeout on the server side, announced or silent.
            if say_421 {
                p.send("421 4.4.2 idle timeout\r\n");
            }
            p.close();
        } else {
            p.expect("QUIT");
            p.send("221 bye\r\n");
        }
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let a = c.send_raw(&env(&["a@example.net"]), MSG).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let b = c.send_raw(&env(&["a@example.net"]), MSG).unwrap();
    assert!(a.final_reply_raw.ends_with("Q0"));
    assert!(b.final_reply_raw.ends_with("Q1"));
    c.quit().unwrap();
    h.join().unwrap();
}

#[test]
fn reconnects_when_the_server_closed_an_idle_connection_with_421() {
    reconnects_after_idle_close(true);
}

#[test]
fn reconnects_when_the_server_closed_an_idle_connection_silently() {
    reconnects_after_idle_close(false);
}

#[test]
fn auth_login_when_asked() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        use base64::Engine as _;
        let b = base64::engine::general_purpose::STANDARD;
        p.send("220 mx.test\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 STARTTLS\r\n");
        p.expect("STARTTLS");
        p.send("220 go\r\n");
        assert!(p.starttls(tls.clone()));
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 AUTH LOGIN\r\n");
        p.expect("AUTH LOGIN");
        p.send("334 VXNlcm5hbWU6\r\n");
        assert_eq!(p.line().unwrap(), b.encode(USER));
        p.send("334 UGFzc3dvcmQ6\r\n");
        assert_eq!(p.line().unwrap(), b.encode(PASS));
        p.send("235 ok\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let mut o = options(port, &pki);
    o.auth_mechanism = AuthMechanism::Login;
    let mut c = SmtpClient::connect(o).unwrap();
    c.quit().unwrap();
    h.join().unwrap();
}

#[test]
fn auth_refused_is_an_auth_error_without_the_password() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        p.send("220 mx.test\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 STARTTLS\r\n");
        p.expect("STARTTLS");
        p.send("220 go\r\n");
        p.starttls(tls.clone());
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 AUTH PLAIN\r\n");
        p.expect("AUTH PLAIN");
        p.send("535 5.7.8 Authentication credentials invalid\r\n");
        let _ = p.line();
    });
    let e = SmtpClient::connect(options(port, &pki)).unwrap_err();
    h.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Auth);
    let shown = format!("{e:?} {e}");
    assert!(!shown.contains(PASS) && !shown.contains(&plain_b64()));
}

#[test]
fn capabilities_are_reread_after_tls() {
    // Before TLS the server claims AUTH LOGIN only and SMTPUTF8; after TLS AUTH PLAIN and
    // no SMTPUTF8: the client must use PLAIN and refuse the UTF-8 recipient.
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        p.send("220 mx.test\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250-SMTPUTF8\r\n250-AUTH LOGIN\r\n250 STARTTLS\r\n");
        p.expect("STARTTLS");
        p.send("220 go\r\n");
        p.starttls(tls.clone());
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 AUTH PLAIN\r\n");
        p.expect("AUTH PLAIN");
        p.send("235 ok\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let mut o = options(port, &pki);
    o.auth_mechanism = AuthMechanism::Login;
    let mut c = SmtpClient::connect(o).unwrap();
    let e = c.send_raw(&env(&["ü@example.net"]), MSG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Smtputf8NotSupported);
    c.quit().unwrap();
    h.join().unwrap();
}

#[test]
fn insecure_plaintext_never_sends_auth() {
    let pki = pki();
    let o = options(1, &pki).tls(TlsMode::InsecurePlaintext);
    let e = SmtpClient::new(o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let (port, wire, h) = serve(1, |_, p| {
        p.send("220 mx.test\r\n");
        p.expect("EHLO");
        p.send("250-mx.test\r\n250 AUTH PLAIN\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let mut o = options(port, &pki).tls(TlsMode::InsecurePlaintext);
    o.credentials = None;
    let mut c = SmtpClient::connect(o).unwrap();
    c.quit().unwrap();
    h.join().unwrap();
    assert!(!wire_text(&wire).contains("AUTH"));
}

#[test]
fn implicit_tls() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _w, h) = serve(1, move |_, p| {
        assert!(p.starttls(tls.clone()));
        p.send("220 mx.test ESMTP\r\n");
        p.expect("EHLO");
        p.send_caps(CAPS);
        p.expect("AUTH PLAIN");
        p.send("235 ok\r\n");
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("DATA");
        p.send("250 ok\r\n250 ok\r\n354 go\r\n");
        p.data();
        p.send("250 2.0.0 Ok: queued as IMPL\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let o = options(port, &pki).tls(TlsMode::Implicit);
    let mut c = SmtpClient::connect(o).unwrap();
    c.send_raw(&env(&["a@example.net"]), MSG).unwrap();
    c.quit().unwrap();
    h.join().unwrap();
}

#[test]
fn smuggling_corpus_each_body_arrives_whole() {
    // NUL is refused before sending (`nul_smuggled_end_of_data_is_refused_before_mail`).
    let corpus: [(&str, &[u8]); 8] = [
        ("lf-dot-lf", b"\n.\n"),
        ("cr-dot-cr", b"\r.\r"),
        ("cr-dot-lf", b"\r.\n"),
        ("lf-dot-cr", b"\n.\r"),
        ("lf-dot-crlf", b"\n.\r\n"),
        ("crlf-dot-lf", b"\r\n.\n"),
        ("cr-dot-crlf", b"\r.\r\n"),
        ("crlf-dot-cr", b"\r\n.\r"),
    ];
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let (port, wire, h) = serve(1, move |_, p| {
        let d = accept_all(p, &tls, CAPS, "1");
        g.lock().unwrap().extend(d);
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let mut bodies = Vec::new();
    for (id, seq) in corpus {
        let mut body = format!("Subject: {id}\r\n\r\nbefore").into_bytes();
        body.extend_from_slice(seq);
        body.extend_from_slice(b"MAIL FROM:<smuggled@evil.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nafter\r\n");
        c.send_raw(&env(&["a@example.net"]), &body).unwrap();
        bodies.push(body);
    }
    c.quit().unwrap();
    h.join().unwrap();
    let got = got.lock().unwrap();
    assert_eq!(got.len(), corpus.len(), "one message per body, none split");
    for (i, body) in bodies.iter().enumerate() {
        let decoded = dot::decode(&got[i]).unwrap();
        assert!(decoded.ends_with(b"DATA\r\nafter\r\n"), "{}", corpus[i].0);
        assert_eq!(decoded.len(), dot::normalised_len(body), "{}", corpus[i].0);
    }
    // The smuggled commands stayed inside each message's data.
    for (i, m) in got.iter().enumerate() {
        let text = String::from_utf8_lossy(m);
        assert!(
            text.contains("\r\nMAIL FROM:<smuggled@evil.example>\r\n"),
            "{}",
            corpus[i].0
        );
    }
    assert_eq!(
        wire_text(&wire).matches("MAIL FROM:<sender@").count(),
        corpus.len()
    );
}

#[test]
fn nul_smuggled_end_of_data_is_refused_before_mail() {
    // A relay that strips NUL would read `\r\n\0.\r\n` as the end of the data and run
    // the rest as commands: NUL is refused before a byte of the message is written, on
    // every send path (single, batch, with and without PIPELINING).
    let corpus: [(&str, &[u8]); 3] = [
        ("crlf-nul-dot-crlf", b"\r\n\0.\r\n"),
        ("crlf-dot-nul-crlf", b"\r\n.\0\r\n"),
        ("nul", b"\0"),
    ];
    for caps in [CAPS, CAPS_NO_PIPE] {
        let pki = pki();
        let tls = server_config(&pki.good.0, &pki.good.1);
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let (port, wire, h) = serve(1, move |_, p| {
            let d = accept_all(p, &tls, caps, "1");
            g.lock().unwrap().extend(d);
        });
        let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
        let e = env(&["a@example.net"]);
        let mut bodies = Vec::new();
        for (id, seq) in corpus {
            let mut body = format!("Subject: {id}\r\n\r\nbefore").into_bytes();
            let at = body.len() + seq.iter().position(|&b| b == 0).unwrap();
            body.extend_from_slice(seq);
            body.extend_from_slice(b"MAIL FROM:<smuggled@evil.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nafter\r\n");
            let err = c.send_raw(&e, &body).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidMessage, "{id}");
            assert_eq!(err.reason(), Some("control_char"), "{id}");
            assert_eq!(err.position(), Some(at), "{id}");
            bodies.push(body);
        }
        let items: Vec<Outgoing<'_>> = bodies.iter().map(|b| Outgoing::raw(&e, b)).collect();
        for r in c.send_many_outgoing(&items) {
            assert_eq!(r.unwrap_err().reason(), Some("control_char"));
        }
        // The session is still usable.
        c.send_raw(&e, MSG).unwrap();
        c.quit().unwrap();
        h.join().unwrap();
        assert_eq!(got.lock().unwrap().len(), 1, "only the clean message");
        let text = wire_text(&wire);
        assert_eq!(text.matches("MAIL FROM:").count(), 1, "{text}");
        assert!(!text.contains("smuggled"), "{text}");
    }
}

#[test]
fn pool_shares_at_most_n_connections() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let delivered = Arc::new(Mutex::new(0usize));
    let d2 = delivered.clone();
    let (port, conns) = serve_concurrent(move |p| {
        let n = accept_all(p, &tls, CAPS, "P").len();
        *d2.lock().unwrap() += n;
    });
    let pool = Arc::new(SmtpPool::new(options(port, &pki), 2).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    pool.send_raw(&env(&["a@example.net"]), MSG).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    pool.close();
    drop(pool);
    for _ in 0..50 {
        if *delivered.lock().unwrap() == 20 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(*delivered.lock().unwrap(), 20);
    let n = *conns.lock().unwrap();
    assert!((1..=2).contains(&n), "{n} connections");
}

#[test]
fn sender_policy_refuses_before_anything_reaches_the_wire() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        accept_all(p, &tls, CAPS, "10000000902078");
    });
    let mut o = options(port, &pki);
    o.sender_policy = Some(
        email365::policy::SenderPolicy::new(&["example.com"], &[] as &[&str]).expect("policy"),
    );
    let mut c = SmtpClient::new(o).expect("client");
    let other = Envelope {
        mail_from: "sender@other.example".into(),
        rcpt_to: vec!["a@example.net".into()],
    };
    let e = c.send_raw(&other, MSG).expect_err("unregistered sender");
    assert_eq!(e.kind(), ErrorKind::SenderNotRegistered);
    let null = Envelope {
        mail_from: String::new(),
        rcpt_to: vec!["a@example.net".into()],
    };
    let e = c.send_raw(&null, MSG).expect_err("null reverse path");
    assert_eq!(e.kind(), ErrorKind::SenderNotRegistered);
    assert_eq!(e.reason(), Some("null_reverse_path"));
    // Nothing was connected or written for the refused sends.
    assert!(!c.is_connected());
    assert!(wire_text(&wire).is_empty());
    // A registered sender goes through on the same client.
    let d = c.send_raw(&env(&["a@example.net"]), MSG).expect("send");
    assert_eq!(d.final_reply.code, 250);
    c.quit().expect("quit");
    h.join().unwrap();
    let w = wire_text(&wire);
    assert!(w.contains("MAIL FROM:<sender@example.com>"), "{w}");
    assert!(
        !w.contains("other.example") && !w.contains("MAIL FROM:<>"),
        "{w}"
    );
}

fn numbered(i: usize) -> Vec<u8> {
    format!("Subject: n{i}\r\n\r\nbody {i}\r\n").into_bytes()
}

#[test]
fn send_many_421_mid_batch_keeps_outcomes_and_resends_only_what_was_never_written() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let second = Arc::new(Mutex::new(Vec::new()));
    let s2 = second.clone();
    let (port, _wire, h) = serve(2, move |i, p| {
        if i == 0 {
            p.standard_session(&tls, CAPS);
            p.expect("MAIL");
            p.expect("RCPT");
            p.expect("DATA");
            p.send("250 ok\r\n250 ok\r\n354 go\r\n");
            assert_eq!(p.data().unwrap(), dot::encode(&numbered(0)));
            // The commands of message 1 came with the data of message 0.
            p.expect("MAIL");
            p.expect("RCPT");
            p.expect("DATA");
            p.send("250 2.0.0 Ok: queued as FIRST0\r\n421 4.3.2 shutting down\r\n");
            p.close();
        } else {
            let got = accept_all(p, &tls, CAPS, "SECOND");
            s2.lock().unwrap().extend(got);
        }
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = env(&["a@example.net"]);
    let bodies: Vec<Vec<u8>> = (0..4).map(numbered).collect();
    let items: Vec<Outgoing<'_>> = bodies.iter().map(|b| Outgoing::raw(&e, b)).collect();
    let r = c.send_many_outgoing(&items);
    assert_eq!(
        r[0].as_ref().unwrap().notification_id.as_deref(),
        Some("FIRST0")
    );
    let e1 = r[1].as_ref().unwrap_err();
    assert_eq!(
        e1.reason(),
        Some("service_closing"),
        "its reply was the 421"
    );
    assert!(e1.transient());
    assert_eq!(
        r[2].as_ref().unwrap().notification_id.as_deref(),
        Some("SECOND")
    );
    assert_eq!(
        r[3].as_ref().unwrap().notification_id.as_deref(),
        Some("SECOND")
    );
    c.quit().unwrap();
    h.join().unwrap();
    // Only the two never written went out again: no duplicate.
    assert_eq!(
        *second.lock().unwrap(),
        vec![dot::encode(&numbered(2)), dot::encode(&numbered(3))]
    );
}

#[test]
fn send_many_connection_lost_after_data_is_outcome_unknown_and_never_resent() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let second = Arc::new(Mutex::new(Vec::new()));
    let s2 = second.clone();
    let (port, _wire, h) = serve(2, move |i, p| {
        if i == 0 {
            p.standard_session(&tls, CAPS);
            p.expect("MAIL");
            p.expect("RCPT");
            p.expect("DATA");
            p.send("250 ok\r\n250 ok\r\n354 go\r\n");
            assert_eq!(p.data().unwrap(), dot::encode(&numbered(0)));
            p.expect("MAIL");
            // Gone before any final reply.
            p.close();
        } else {
            let got = accept_all(p, &tls, CAPS, "SECOND");
            s2.lock().unwrap().extend(got);
        }
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = env(&["a@example.net"]);
    let bodies: Vec<Vec<u8>> = (0..3).map(numbered).collect();
    let items: Vec<Outgoing<'_>> = bodies.iter().map(|b| Outgoing::raw(&e, b)).collect();
    let r = c.send_many_outgoing(&items);
    let e0 = r[0].as_ref().unwrap_err();
    assert_eq!(e0.kind(), ErrorKind::OutcomeUnknown);
    assert_eq!(e0.reason(), Some("in_flight"));
    assert!(r[1].is_ok() && r[2].is_ok(), "{r:?}");
    c.quit().unwrap();
    h.join().unwrap();
    assert_eq!(
        *second.lock().unwrap(),
        vec![dot::encode(&numbered(1)), dot::encode(&numbered(2))],
        "message 0 (outcome unknown) is never sent again"
    );
}

const CAPS_CHUNKING: &[&str] = &[
    "PIPELINING",
    "CHUNKING",
    "SIZE 1000000",
    "8BITMIME",
    "ENHANCEDSTATUSCODES",
];

/// Reads one pipelined BDAT transaction (MAIL, one RCPT, `BDAT n LAST`, the chunk);
/// returns the chunk.
fn bdat_txn(p: &mut Peer) -> Option<Vec<u8>> {
    p.expect("MAIL");
    p.expect("RCPT");
    let line = p.expect("BDAT ");
    let n: usize = line.split(' ').nth(1)?.parse().ok()?;
    assert!(line.ends_with(" LAST"), "{line}");
    p.chunk(n)
}

#[test]
fn bdat_on_a_reused_connection_answered_421_first_is_sent_again_on_a_new_one() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let second = Arc::new(Mutex::new(Vec::new()));
    let s2 = second.clone();
    let (port, _wire, h) = serve(2, move |i, p| {
        p.standard_session(&tls, CAPS_CHUNKING);
        if i == 0 {
            assert_eq!(bdat_txn(p).unwrap(), numbered(0));
            p.send("250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as FIRST0\r\n");
            // The next message meets a server that is closing.
            bdat_txn(p);
            p.send("421 4.4.2 idle timeout\r\n");
            p.close();
        } else {
            let got = bdat_txn(p).unwrap();
            s2.lock().unwrap().push(got);
            p.send("250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as SECOND1\r\n");
            p.expect("QUIT");
            p.send("221 bye\r\n");
        }
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = env(&["a@example.net"]);
    let a = c.send_raw(&e, &numbered(0)).unwrap();
    assert_eq!(a.notification_id.as_deref(), Some("FIRST0"));
    let b = c.send_raw(&e, &numbered(1)).unwrap();
    assert_eq!(b.notification_id.as_deref(), Some("SECOND1"));
    c.quit().unwrap();
    h.join().unwrap();
    assert_eq!(*second.lock().unwrap(), vec![numbered(1)]);
}

#[test]
fn bdat_on_a_reused_connection_closed_silently_is_outcome_unknown_not_resent() {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, _wire, h) = serve(1, move |_, p| {
        p.standard_session(&tls, CAPS_CHUNKING);
        bdat_txn(p).unwrap();
        p.send("250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as FIRST0\r\n");
        // The whole next message arrives; the server goes without a word.
        assert_eq!(bdat_txn(p).unwrap(), numbered(1));
        p.close();
    });
    let mut c = SmtpClient::connect(options(port, &pki)).unwrap();
    let e = env(&["a@example.net"]);
    c.send_raw(&e, &numbered(0)).unwrap();
    let err = c.send_raw(&e, &numbered(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown, "{err:?}");
    h.join().unwrap();
}
