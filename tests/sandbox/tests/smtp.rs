//! Protocol rules of the sandbox's SMTP server, driven by a raw TCP + rustls client.

mod common;

use std::time::Duration;

use common::{auth_plain, b64, queued_id, sandbox_with, Client, PASS, USER};

#[test]
fn greeting_and_capabilities_change_with_tls() {
    let sb = sandbox_with(|_| {});
    let (mut c, greeting) = Client::connect(&sb);
    assert!(greeting.starts("220 localhost"), "{greeting:?}");
    let before = c.cmd("EHLO client.test");
    assert_eq!(before.code, 250);
    assert!(before.lines.contains(&"STARTTLS".to_string()));
    assert!(!before.lines.iter().any(|l| l.starts_with("AUTH")));
    c.starttls();
    let after = c.cmd("EHLO client.test");
    for cap in [
        "PIPELINING",
        "SIZE 10485760",
        "AUTH PLAIN LOGIN",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "CHUNKING",
    ] {
        assert!(after.lines.contains(&cap.to_string()), "{cap} in {after:?}");
    }
    assert!(!after.lines.contains(&"STARTTLS".to_string()));
    assert!(c.cmd("STARTTLS").starts("554 5.5.1"));
    assert!(c.cmd("QUIT").starts("221 2.0.0"));
}

#[test]
fn auth_and_mail_before_tls_get_530() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::greeted(&sb);
    let auth = c.cmd(&auth_plain());
    assert!(auth.starts("530 5.7.0"), "{auth:?}");
    let mail = c.cmd("MAIL FROM:<me@example.com>");
    assert!(mail.starts("530 5.7.0"), "{mail:?}");
}

#[test]
fn mail_before_auth_gets_530_and_rcpt_without_mail_503() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::secured(&sb);
    assert!(c.cmd("MAIL FROM:<me@example.com>").starts("530 5.7.0"));
    assert!(c.cmd("RCPT TO:<a@x.org>").starts("503 5.5.1"));
}

#[test]
fn mail_needs_ehlo_again_after_starttls() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::greeted(&sb);
    c.starttls();
    let auth = c.cmd(&auth_plain());
    assert!(auth.starts("503 5.5.1"), "{auth:?}");
}

#[test]
fn wrong_credentials_get_535_then_421_after_three() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::secured(&sb);
    let bad = b64(format!("\0{USER}\0wrong").as_bytes());
    assert!(c.cmd(&format!("AUTH PLAIN {bad}")).starts("535 5.7.8"));
    // authzid different from authcid is refused even with the right password.
    let other = b64(format!("other\0{USER}\0{PASS}").as_bytes());
    assert!(c.cmd(&format!("AUTH PLAIN {other}")).starts("535 5.7.8"));
    assert!(c.cmd("AUTH PLAIN !!notbase64").starts("501 5.5.2"));
    let third = c.cmd(&format!("AUTH PLAIN {}", b64(b"\0nobody\0x")));
    assert!(third.starts("535 5.7.8"));
    let closing = c.read_reply();
    assert!(closing.starts("421 4.7.0"), "{closing:?}");
    assert!(c.try_read_reply().is_none());
}

#[test]
fn auth_login_and_plain_with_continuation() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::secured(&sb);
    assert!(c.cmd("AUTH LOGIN").starts("334 VXNlcm5hbWU6"));
    assert!(c.cmd(&b64(USER.as_bytes())).starts("334 UGFzc3dvcmQ6"));
    assert!(c.cmd(&b64(b"bad")).starts("535 5.7.8"));
    assert!(c.cmd("AUTH PLAIN").starts("334"));
    assert!(c.cmd("*").starts("501 5.7.0"));
    assert!(c.cmd("AUTH CRAM-MD5").starts("504 5.5.4"));
    assert!(c.cmd("AUTH LOGIN").starts("334"));
    c.cmd(&b64(USER.as_bytes()));
    assert!(c.cmd(&b64(PASS.as_bytes())).starts("235 2.7.0"));
    assert!(c.cmd("AUTH LOGIN").starts("503 5.5.1"));
    assert!(c.cmd("MAIL FROM:<me@example.com>").starts("250 2.1.0"));
}

#[test]
fn unregistered_sender_gets_550_571_and_registered_ones_pass() {
    let sb = sandbox_with(|c| {
        c.sender_domains = vec!["example.com".into(), "bücher.example".into()];
        c.sender_addresses = vec!["only.me@other.org".into()];
    });
    let mut c = Client::ready(&sb);
    for (from, ok) in [
        ("me@evil.org", false),
        ("me@sub.example.com", false),
        ("<>", false),
        ("someone@other.org", false),
        ("me@EXAMPLE.com", true),
        ("me@xn--bcher-kva.example", true),
        ("Only.Me@other.org", true),
    ] {
        let arg = if from == "<>" {
            from.to_string()
        } else {
            format!("<{from}>")
        };
        let r = c.cmd(&format!("MAIL FROM:{arg}"));
        if ok {
            assert!(r.starts("250 2.1.0"), "{from}: {r:?}");
            assert!(c.cmd("RSET").starts("250"));
        } else {
            assert!(r.starts("550 5.7.1"), "{from}: {r:?}");
        }
    }
}

#[test]
fn size_limit_is_enforced_at_mail_data_and_bdat() {
    let sb = sandbox_with(|c| c.size_limit = 1000);
    let mut c = Client::ready(&sb);
    assert!(c.cmd("EHLO again").lines.contains(&"SIZE 1000".to_string()));
    assert!(c
        .cmd("MAIL FROM:<me@example.com> SIZE=1001")
        .starts("552 5.3.4"));
    assert!(c.cmd("MAIL FROM:<me@example.com> SIZE=1000").starts("250"));
    c.cmd("RSET");
    let big = vec![b'a'; 2000];
    let mut data = b"Subject: big\r\n\r\n".to_vec();
    data.extend_from_slice(&big);
    data.extend_from_slice(b"\r\n");
    let replies = c.send_message("me@example.com", &["a@x.org"], &data);
    let last = replies.last().unwrap();
    assert!(last.starts("552 5.3.4"), "{last:?}");
    // The session goes on: a small message still passes.
    let ok = c.send_message(
        "me@example.com",
        &["a@x.org"],
        b"Subject: s\r\n\r\nsmall\r\n",
    );
    queued_id(ok.last().unwrap());
    // BDAT: the chunk that crosses the limit is read and refused; later chunks of the
    // failed transaction get 503.
    c.send(b"MAIL FROM:<me@example.com>\r\nRCPT TO:<a@x.org>\r\nBDAT 600\r\n");
    c.send(&[b'x'; 600]);
    c.send(b"BDAT 600\r\n");
    c.send(&[b'y'; 600]);
    c.send(b"BDAT 3 LAST\r\nend");
    assert!(c.read_reply().starts("250 2.1.0"));
    assert!(c.read_reply().starts("250 2.1.5"));
    assert!(c.read_reply().starts("250 2.0.0"));
    assert!(c.read_reply().starts("552 5.3.4"));
    assert!(c.read_reply().starts("503 5.5.1"));
    assert!(c.cmd("NOOP").starts("250 2.0.0"));
    assert_eq!(sb.messages().len(), 1);
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::ready(&sb);
    c.send(
        b"MAIL FROM:<me@example.com> BODY=8BITMIME\r\n\
          RCPT TO:<a@x.org>\r\n\
          RCPT TO:<reject.me@x.org>\r\n\
          RCPT TO:<greylist@x.org>\r\n\
          RCPT TO:<bounce@x.org>\r\n\
          RCPT TO:<nodomain>\r\n\
          DATA\r\n",
    );
    let expected = [
        "250 2.1.0",
        "250 2.1.5",
        "550 5.1.1",
        "451 4.7.1",
        "250 2.1.5",
        "501 5.1.3",
        "354",
    ];
    for want in expected {
        let r = c.read_reply();
        assert!(r.starts(want), "want {want}, got {r:?}");
    }
    c.send(b"Subject: p\r\n\r\nbody\r\n.\r\nNOOP\r\nRSET\r\n");
    let id = queued_id(&c.read_reply());
    assert!(c.read_reply().starts("250 2.0.0 Ok"));
    assert!(c.read_reply().starts("250 2.0.0 Ok"));
    let m = &sb.messages()[0];
    assert_eq!(m.notification_id, id);
    assert_eq!(m.rcpt_to, ["a@x.org", "bounce@x.org"]);
    assert!(m.body_8bitmime);
    assert_eq!(m.data, b"Subject: p\r\n\r\nbody\r\n");
}

#[test]
fn bytes_pipelined_after_starttls_are_discarded() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::greeted(&sb);
    // An attacker's plaintext command after STARTTLS, in the same packet.
    c.send(b"STARTTLS\r\nNOOP\r\n");
    let r = c.read_reply();
    assert!(r.starts("220 2.0.0"), "{r:?}");
    // Nothing but the 220 came back before the handshake.
    assert!(c.quiet_for(Duration::from_millis(300)));
    c.handshake().expect("handshake after discarded bytes");
    let ehlo = c.cmd("EHLO client.test");
    assert_eq!(ehlo.code, 250);
    assert!(ehlo.lines[0].starts_with("localhost"), "{ehlo:?}");
    assert!(ehlo.lines.contains(&"AUTH PLAIN LOGIN".to_string()));
    // The injected NOOP was never answered: the next reply is the one to this command.
    assert!(c.cmd("RSET").starts("250 2.0.0 Ok"));
    assert!(c.quiet_for(Duration::from_millis(200)));
}

#[test]
fn notification_ids_are_numeric_and_increasing_and_bytes_exact() {
    let sb = sandbox_with(|c| c.first_notification_id = None);
    let mut c = Client::ready(&sb);
    let first = b"..leading dot line\r\nSubject: x\r\n\r\n.\r\n..two\r\nbare\nlf\r\n";
    let r1 = c.send_message("me@example.com", &["a@x.org"], first);
    let r2 = c.send_message("me@example.com", &["b@x.org", "b@x.org"], b"");
    let id1: u64 = queued_id(r1.last().unwrap()).parse().unwrap();
    let id2: u64 = queued_id(r2.last().unwrap()).parse().unwrap();
    assert_eq!(id2, id1 + 1);
    let msgs = sb.messages();
    assert_eq!(msgs[0].data, first);
    assert_eq!(msgs[1].data, b"");
    assert_eq!(msgs[1].rcpt_to, ["b@x.org"]);
}

#[test]
fn bdat_chunks_pipelined_with_the_envelope() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::ready(&sb);
    let mut wire = b"MAIL FROM:<me@example.com>\r\nRCPT TO:<a@x.org>\r\nBDAT 12\r\n".to_vec();
    wire.extend_from_slice(b"Subject: b\r\n");
    wire.extend_from_slice(b"BDAT 11 LAST\r\n\r\n.\r\nbody\r\n");
    c.send(&wire);
    assert!(c.read_reply().starts("250 2.1.0"));
    assert!(c.read_reply().starts("250 2.1.5"));
    assert!(c.read_reply().starts("250 2.0.0 Ok: 12 octets"));
    let id = queued_id(&c.read_reply());
    let m = &sb.messages()[0];
    assert_eq!(m.notification_id, id);
    assert_eq!(m.data, b"Subject: b\r\n\r\n.\r\nbody\r\n");
    assert!(m.chunked);
    // BDAT without a transaction is read and refused.
    c.send(b"BDAT 4 LAST\r\nabcd");
    assert!(c.read_reply().starts("503 5.5.1"));
    assert!(c.cmd("NOOP").starts("250"));
    // DATA is refused once BDAT started; BDAT 0 LAST ends the message.
    c.send(
        b"MAIL FROM:<me@example.com>\r\nRCPT TO:<a@x.org>\r\nBDAT 3\r\nabcDATA\r\nBDAT 0 LAST\r\n",
    );
    assert!(c.read_reply().starts("250 2.1.0"));
    assert!(c.read_reply().starts("250 2.1.5"));
    assert!(c.read_reply().starts("250 2.0.0 Ok: 3 octets"));
    assert!(c.read_reply().starts("503 5.5.1"));
    queued_id(&c.read_reply());
    assert_eq!(sb.messages()[1].data, b"abc");
}

#[test]
fn data_refused_without_valid_recipients() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::ready(&sb);
    assert!(c.cmd("DATA").starts("503 5.5.1"));
    c.cmd("MAIL FROM:<me@example.com>");
    assert!(c.cmd("DATA").starts("503 5.5.1"));
    assert!(c.cmd("RCPT TO:<reject@x.org>").starts("550 5.1.1"));
    assert!(c.cmd("DATA").starts("554 5.5.1"));
    assert!(c.cmd("MAIL FROM:<me@example.com>").starts("503 5.5.1"));
}

#[test]
fn smtputf8_addresses_need_the_parameter() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::ready(&sb);
    c.cmd("MAIL FROM:<me@example.com>");
    assert!(c.cmd("RCPT TO:<jürgen@x.org>").starts("553 5.6.7"));
    c.cmd("RSET");
    assert!(c.cmd("MAIL FROM:<me@example.com> SMTPUTF8").starts("250"));
    assert!(c.cmd("RCPT TO:<jürgen@x.org>").starts("250 2.1.5"));
}

#[test]
fn too_many_recipients_get_452() {
    let sb = sandbox_with(|c| c.max_recipients = 2);
    let mut c = Client::ready(&sb);
    c.cmd("MAIL FROM:<me@example.com>");
    assert!(c.cmd("RCPT TO:<a@x.org>").starts("250"));
    assert!(c.cmd("RCPT TO:<b@x.org>").starts("250"));
    assert!(c.cmd("RCPT TO:<c@x.org>").starts("452 4.5.3"));
}

#[test]
fn syntax_errors_and_long_lines_keep_the_session_in_step() {
    let sb = sandbox_with(|_| {});
    let mut c = Client::ready(&sb);
    let mut long = vec![b'N'; 5000];
    long.extend_from_slice(
        b"\r\nNOOP\r\nFROB\r\nMAIL FROM:me@example.com\r\nMAIL FROM:<me@example.com> FOO=1\r\n",
    );
    c.send(&long);
    assert!(c.read_reply().starts("500 5.5.2"));
    assert!(c.read_reply().starts("250 2.0.0"));
    assert!(c.read_reply().starts("500 5.5.2"));
    assert_eq!(c.read_reply().code / 100, 5);
    assert_eq!(c.read_reply().code / 100, 5);
    assert!(c.cmd("NOOP").starts("250"));
}

#[test]
fn implicit_tls_port_serves_the_same_dialogue() {
    let sb = sandbox_with(|c| c.smtps_port = Some(0));
    let addr = sb.smtps_addr().expect("implicit TLS port");
    let (mut c, greeting) = Client::connect_tls(addr, sb.ca_pem());
    assert!(greeting.starts("220"));
    let ehlo = c.cmd("EHLO client.test");
    assert!(ehlo.lines.contains(&"AUTH PLAIN LOGIN".to_string()));
    let r = c.cmd(&auth_plain());
    assert!(r.starts("235"));
    let replies = c.send_message("me@example.com", &["a@x.org"], b"Subject: t\r\n\r\nx\r\n");
    queued_id(replies.last().unwrap());
}

#[test]
fn eml_files_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail");
    let sb = sandbox_with(|c| c.eml_dir = Some(path.clone()));
    let mut c = Client::ready(&sb);
    let data = b"Subject: f\r\n\r\nfile\r\n";
    let r = c.send_message("me@example.com", &["a@x.org"], data);
    let id = queued_id(r.last().unwrap());
    assert_eq!(std::fs::read(path.join(format!("{id}.eml"))).unwrap(), data);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path.join(format!("{id}.json"))).unwrap()).unwrap();
    assert_eq!(meta["rcpt_to"], serde_json::json!(["a@x.org"]));
    assert_eq!(meta["mail_from"], "me@example.com");
}

#[test]
fn many_connections_are_served_concurrently() {
    let sb = sandbox_with(|c| c.first_notification_id = None);
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let sb = &sb;
                s.spawn(move || {
                    let mut c = Client::ready(sb);
                    let body = format!("Subject: {i}\r\n\r\nn{i}\r\n");
                    let r = c.send_message("me@example.com", &["a@x.org"], body.as_bytes());
                    queued_id(r.last().unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 16);
    assert_eq!(sb.messages().len(), 16);
}

#[test]
fn certificate_is_trusted_only_through_the_ca_file() {
    let sb = sandbox_with(|_| {});
    let pem = std::fs::read_to_string(sb.ca_file()).unwrap();
    assert_eq!(pem, sb.ca_pem());
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    // Another sandbox's CA does not verify this one's certificate.
    let other = sandbox_with(|_| {});
    let (mut c, _) = Client::connect_to(sb.smtp_addr(), other.ca_pem());
    c.cmd("EHLO client.test");
    assert!(c.cmd("STARTTLS").starts("220"));
    assert!(c.handshake().is_err());
}

#[test]
fn garbage_input_never_breaks_the_server() {
    // Verbose logging on, so that the logging of odd input is exercised too.
    let sb = sandbox_with(|c| c.verbose = true);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let words: [&[u8]; 12] = [
        b"MAIL FROM:<",
        b"RCPT TO:<",
        b"AUTH ",
        b"AUT\xc3\xa9",
        b"BDAT ",
        b"DATA",
        b"EHLO ",
        b"\xff\xfe",
        b"@",
        b">",
        b" SIZE=",
        b"\0",
    ];
    for round in 0..2 {
        let (mut c, _) = Client::connect(&sb);
        if round == 1 {
            c = Client::ready(&sb);
        }
        for _ in 0..200 {
            let mut line = Vec::new();
            for _ in 0..(next() % 6) {
                let w = words[(next() % words.len() as u64) as usize];
                line.extend_from_slice(w);
                line.push(b'0' + (next() % 10) as u8);
            }
            // Keep BDAT sizes small and never start DATA: both would swallow the NOOP.
            if line.windows(4).any(|w| w == b"BDAT" || w == b"DATA") {
                continue;
            }
            line.extend_from_slice(b"\r\n");
            c.send(&line);
            let r = c.read_reply();
            assert!((200..600).contains(&r.code), "{r:?}");
            if r.code == 334 {
                c.cmd("*");
            }
        }
        assert!(c.cmd("NOOP").starts("250"), "round {round}");
    }
}

#[test]
fn base64_with_plus_and_slash_in_initial_responses() {
    // "\0sandbox\0p?>s~w/d?" encodes to "AHNhbmRib3gAcD8+c353L2Q/".
    let sb = sandbox_with(|c| c.password = "p?>s~w/d?".into());
    for command in [
        "AUTH PLAIN AHNhbmRib3gAcD8+c353L2Q/",
        "AUTH LOGIN c2FuZGJveA==",
    ] {
        let mut c = Client::greeted(&sb);
        c.starttls();
        c.cmd("EHLO client.test");
        let mut r = c.cmd(command);
        if r.code == 334 {
            r = c.cmd("cD8+c353L2Q/");
        }
        assert!(r.starts("235 2.7.0"), "{command}: {r:?}");
    }
}
