//! `envelope_from_message` over messages built here, by lettre and by hand, and the
//! builder's public API beyond the driver op (Sender, envelope sender, Unix dates,
//! SMTPUTF8 and 8-bit flags).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use email365::message::{envelope_from_message, Attachment, MessageBuilder};
use email365::ErrorKind;
use mail_parser::MimeHeaders;
use serde_json::Value;

#[test]
fn every_built_vector_gives_back_its_visible_envelope_unchanged() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/messages.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(dir).unwrap()).unwrap();
    let mut checked = 0;
    for case in doc["cases"].as_array().unwrap() {
        let Some(ok) = case["expect"].get("ok") else {
            continue;
        };
        let bytes = STANDARD
            .decode(ok["message_base64"].as_str().unwrap())
            .unwrap();
        let bcc: Vec<&str> = case["args"]["bcc"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        let (envelope, stripped) = match envelope_from_message(&bytes) {
            Ok(found) => found,
            // A Bcc-only message has no visible recipient.
            Err(e) => {
                assert_eq!(e.reason(), Some("no_recipients"), "{}", case["id"]);
                assert!(
                    case["args"]["to"].as_array().unwrap().is_empty()
                        && case["args"].get("cc").is_none()
                );
                continue;
            }
        };
        assert_eq!(
            stripped, bytes,
            "{}: no Bcc to strip, nothing may change",
            case["id"]
        );
        assert_eq!(envelope.mail_from, ok["mail_from"], "{}", case["id"]);
        // The visible recipients: every expected recipient but those only in Bcc.
        let want: Vec<&str> = ok["rcpt_to"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .filter(|r| {
                !bcc.iter().any(|b| b.eq_ignore_ascii_case(r))
                    || case["args"]["to"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t.as_str().unwrap().eq_ignore_ascii_case(r))
            })
            .collect();
        assert_eq!(envelope.rcpt_to, want, "{}", case["id"]);
        checked += 1;
    }
    assert!(checked >= 40, "{checked}");
}

#[test]
fn a_lettre_message_with_bcc_loses_only_its_bcc_field() {
    use lettre::message::{header::ContentType, Mailbox, Message};
    let message = Message::builder()
        .from("Shop <shop@example.com>".parse::<Mailbox>().unwrap())
        .to("Alice <alice@example.org>".parse::<Mailbox>().unwrap())
        .cc("\"Doe, John\" <john@example.org>"
            .parse::<Mailbox>()
            .unwrap())
        .bcc("Audit <audit@example.com>".parse::<Mailbox>().unwrap())
        .bcc("second@example.net".parse::<Mailbox>().unwrap())
        .keep_bcc()
        .subject("Grüße")
        .header(ContentType::TEXT_PLAIN)
        .body(String::from("Hello"))
        .unwrap();
    let bytes = message.formatted();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("Bcc: "), "lettre kept the Bcc field: {text}");
    let (envelope, stripped) = envelope_from_message(&bytes).unwrap();
    assert_eq!(envelope.mail_from, "shop@example.com");
    assert_eq!(
        envelope.rcpt_to,
        [
            "alice@example.org",
            "john@example.org",
            "audit@example.com",
            "second@example.net"
        ]
    );
    let stripped = String::from_utf8(stripped).unwrap();
    assert!(
        !stripped.contains("Bcc") && !stripped.contains("audit@") && !stripped.contains("second@"),
        "{stripped}"
    );
    // Nothing else changed: putting the Bcc lines back gives the original.
    let bcc_start = text.find("Bcc: ").unwrap();
    let bcc_end = bcc_start + text[bcc_start..].find("\r\n").unwrap() + 2;
    let mut end = bcc_end;
    while text[end..].starts_with([' ', '\t']) {
        end += text[end..].find("\r\n").unwrap() + 2;
    }
    assert_eq!(format!("{}{}", &text[..bcc_start], &text[end..]), stripped);
}

#[test]
fn hand_written_headers() {
    let message = concat!(
        "Received: from x by y; Sat, 28 Nov 2026 12:00:00 +0000\r\n",
        "From: =?utf-8?q?J=C3=B6rg?= <joerg@example.com> (the boss, really: <no@no.no>)\r\n",
        "To: Friends: \"Ann, A.\" <ann@example.org>, bob@example.org (Bob);,\r\n",
        "  carol@example.net\r\n",
        "Cc: undisclosed-recipients:;\r\n",
        "BCC: <@relay.example:hidden@example.com>,\r\n",
        "\tHidden Two <hidden2@example.com>\r\n",
        "Subject: Bcc: not a field\r\n",
        "\r\n",
        "Bcc: in the body stays\r\n",
    );
    let (envelope, stripped) = envelope_from_message(message.as_bytes()).unwrap();
    assert_eq!(envelope.mail_from, "joerg@example.com");
    assert_eq!(
        envelope.rcpt_to,
        [
            "ann@example.org",
            "bob@example.org",
            "carol@example.net",
            "hidden@example.com",
            "hidden2@example.com"
        ]
    );
    assert_eq!(
        String::from_utf8(stripped).unwrap(),
        message.replace(
            "BCC: <@relay.example:hidden@example.com>,\r\n\tHidden Two <hidden2@example.com>\r\n",
            ""
        )
    );
}

#[test]
fn messages_without_an_envelope_are_refused() {
    for (message, reason) in [
        ("Subject: x\r\nTo: a@example.org\r\n\r\n", "no_from"),
        (
            "From: a@example.org\r\nTo: undisclosed-recipients:;\r\n\r\n",
            "no_recipients",
        ),
        (
            "From: a@example.org\r\nTo: <a@example.org\r\n\r\n",
            "invalid_header",
        ),
        ("From: a@example.org\r\nTo: nobody\r\n\r\n", "no_at"),
        ("", "no_from"),
    ] {
        let e = envelope_from_message(message.as_bytes()).unwrap_err();
        assert_eq!(
            (e.kind(), e.reason()),
            (ErrorKind::InvalidMessage, Some(reason)),
            "{message:?}"
        );
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let alphabet = b"From:To:Bcc: <>\"(),;@\\\r\n\ta\xc3";
    for len in (0..4000).map(|i| i % 200) {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        let _ = envelope_from_message(&bytes);
    }
}

fn base() -> MessageBuilder<'static> {
    MessageBuilder::new()
        .from("news@example.com")
        .to("alice@example.org")
        .subject("S")
        .text("T")
        .message_id("id1@example.com")
        .date_unix(1_795_867_200)
}

#[test]
fn sender_header_and_envelope_sender() {
    let built = base()
        .sender("agent@example.net")
        .envelope_from("bounces@example.com")
        .build()
        .unwrap();
    let text = String::from_utf8(built.bytes.clone()).unwrap();
    assert!(
        text.contains("\r\nSender: <agent@example.net>\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n"),
        "{text}"
    );
    assert_eq!(built.envelope.mail_from, "bounces@example.com");
    // The envelope of the bytes follows Sender (RFC 5322 responsible agent).
    assert_eq!(
        envelope_from_message(&built.bytes).unwrap().0.mail_from,
        "agent@example.net"
    );
}

#[test]
fn smtputf8_and_eight_bit_follow_the_local_parts() {
    let ascii = base().subject("Grüße").text("Grüße").build().unwrap();
    assert!(
        !ascii.smtputf8 && !ascii.eight_bit,
        "RFC 2047 and QP keep the message 7-bit"
    );
    let eai = base().to("jörg@example.org").build().unwrap();
    assert!(eai.smtputf8 && eai.eight_bit);
    let bcc_only = base().bcc("zoë@example.org").build().unwrap();
    assert!(
        bcc_only.smtputf8 && !bcc_only.eight_bit,
        "the envelope needs SMTPUTF8, the bytes stay 7-bit"
    );
}

#[test]
fn inline_parts_and_attachments_through_the_api() {
    let png = [0x89u8, b'P', b'N', b'G'];
    let built = base()
        .html("<img src=\"cid:logo\">")
        .attachment(Attachment::new("logo.png", png.as_slice()).inline("logo"))
        .attachment(Attachment::new("data.json", b"{}".to_vec()).content_type("application/json"))
        .build()
        .unwrap();
    let parsed = mail_parser::MessageParser::default()
        .parse(&built.bytes)
        .unwrap();
    let names: Vec<_> = parsed
        .attachments()
        .map(|p| p.attachment_name().unwrap().to_string())
        .collect();
    assert_eq!(names, ["logo.png", "data.json"]);
}

#[test]
fn generated_date_is_now() {
    let built = MessageBuilder::new()
        .from("a@example.com")
        .to("b@example.org")
        .build()
        .unwrap();
    let parsed = mail_parser::MessageParser::default()
        .parse(&built.bytes)
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let date = parsed.date().unwrap().to_timestamp();
    assert!((now - date).abs() < 60, "{date} vs {now}");
}

/// A `To:` header of `count` addresses `u{i % distinct}@x.io`, folded every 60
/// addresses: about 1 MB for 80,000.
fn huge_to_header(count: usize, distinct: usize) -> Vec<u8> {
    let mut message = b"From: a@example.com\r\nTo: ".to_vec();
    for i in 0..count {
        if i > 0 {
            message.extend_from_slice(if i % 60 == 0 { b",\r\n " } else { b", " });
        }
        message.extend_from_slice(format!("u{}@x.io", i % distinct).as_bytes());
    }
    message.extend_from_slice(b"\r\nSubject: s\r\n\r\nbody\r\n");
    message
}

#[test]
fn a_1mb_to_header_of_80000_distinct_addresses_is_refused_by_the_recipient_cap() {
    let message = huge_to_header(80_000, 80_000);
    assert!(message.len() > 1_000_000, "{}", message.len());
    let started = std::time::Instant::now();
    let e = envelope_from_message(&message).unwrap_err();
    println!(
        "80,000 distinct addresses ({} bytes): refused in {:?}",
        message.len(),
        started.elapsed()
    );
    assert_eq!(e.kind(), ErrorKind::InvalidMessage);
    assert_eq!(e.reason(), Some("too_many_recipients"));
    assert!(e.message().contains("10000"), "{}", e.message());
}

#[test]
fn a_1mb_to_header_of_80000_addresses_repeating_10000_is_deduplicated_in_one_pass() {
    // At the cap: every address is compared with 10,000 kept ones, 4 × 10^8 comparisons
    // with a linear search; a hash set makes it 80,000 lookups.
    let distinct = email365::message::MAX_RECIPIENTS;
    let message = huge_to_header(80_000, distinct);
    let started = std::time::Instant::now();
    let (envelope, _) = envelope_from_message(&message).unwrap();
    println!(
        "80,000 addresses, {distinct} distinct ({} bytes): {:?}",
        message.len(),
        started.elapsed()
    );
    assert_eq!(envelope.rcpt_to.len(), distinct);
    assert_eq!(envelope.rcpt_to[0], "u0@x.io");
    assert_eq!(
        envelope.rcpt_to[distinct - 1],
        format!("u{}@x.io", distinct - 1)
    );
}

#[test]
fn the_builder_refuses_one_recipient_past_the_cap_and_counts_duplicates_once() {
    let cap = email365::message::MAX_RECIPIENTS;
    let mut builder = MessageBuilder::new().from("a@example.com");
    for i in 0..cap {
        builder = builder.to(format!("u{i}@x.io"));
    }
    // Duplicates in another case of the domain (and in Bcc) do not count.
    builder = builder.bcc("u0@X.IO").cc("u0@x.Io");
    assert_eq!(builder.build().unwrap().envelope.rcpt_to.len(), cap);
    let e = builder.bcc("one-more@x.io").build().unwrap_err();
    assert_eq!(
        (e.kind(), e.reason()),
        (ErrorKind::InvalidMessage, Some("too_many_recipients"))
    );
}
