//! Fuzz target `message`: [`MessageBuilder::build`] from arbitrary structured input, and
//! [`envelope_from_message`] on arbitrary bytes.
//!
//! Input: a first byte of 0 sends the rest to [`envelope_from_message`]; anything else
//! reads the rest as a [`MessageInput`] (the `arbitrary` derive): From, Sender, envelope
//! From, To/Cc/Bcc/Reply-To lists, subject, text and HTML bodies, attachments, extra
//! headers, Message-ID and date. Each text is either arbitrary or picked from the
//! strings of `tests/vectors/messages.json` and `addresses.json` (so the fuzzer starts
//! from valid addresses, ids and dates instead of having to guess them).
//!
//! Checks on a built message: it ends with CRLF, no line is longer than 998 octets, no
//! CR or LF is bare, the header section has no Bcc field, and every envelope address
//! is accepted by the address validator (envelope mode); a refusal has kind
//! `invalid_message` (or `sender_not_registered`, never produced here). On
//! `envelope_from_message`: a refusal has kind `invalid_message`; on success the output
//! has no Bcc field, is no longer than the input, and every envelope address is valid.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use email365::address::{Address, AddressOptions};
use email365::message::{envelope_from_message, Attachment, Envelope, MessageBuilder};
use email365::ErrorKind;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// Every string found in the message and address vectors.
fn pool() -> &'static [String] {
    static POOL: OnceLock<Vec<String>> = OnceLock::new();
    POOL.get_or_init(|| {
        fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) if s.len() <= 4096 => out.push(s.clone()),
                serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                serde_json::Value::Object(o) => o.values().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for text in [
            include_str!("../../tests/vectors/messages.json"),
            include_str!("../../tests/vectors/addresses.json"),
        ] {
            let value: serde_json::Value = serde_json::from_str(text).expect("vector JSON");
            for case in value["cases"].as_array().into_iter().flatten() {
                walk(&case["args"], &mut out);
            }
        }
        out.sort();
        out.dedup();
        out
    })
}

/// A string: from the vectors' pool, or arbitrary.
#[derive(Debug, Arbitrary)]
enum Text {
    Pool(u16),
    Raw(String),
}

impl Text {
    fn get(&self) -> String {
        match self {
            Text::Pool(i) => {
                let pool = pool();
                pool[usize::from(*i) % pool.len()].clone()
            }
            Text::Raw(s) => s.clone(),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct AttachmentInput {
    filename: Text,
    content_type: Option<Text>,
    content: Vec<u8>,
    content_id: Option<Text>,
}

#[derive(Debug, Arbitrary)]
enum DateInput {
    Text(Text),
    Unix(i64),
}

/// The builder's inputs.
#[derive(Debug, Arbitrary)]
struct MessageInput {
    from: Option<Text>,
    sender: Option<Text>,
    envelope_from: Option<Text>,
    to: Vec<Text>,
    cc: Vec<Text>,
    bcc: Vec<Text>,
    reply_to: Vec<Text>,
    subject: Option<Text>,
    text: Option<Text>,
    html: Option<Text>,
    attachments: Vec<AttachmentInput>,
    headers: Vec<(Text, Text)>,
    message_id: Option<Text>,
    date: Option<DateInput>,
}

/// The header fields' names, as `envelope_from_message` splits them (CRLF or LF line
/// ends, continuation lines skipped, the section ending at the first empty line).
fn header_names(bytes: &[u8]) -> Vec<&[u8]> {
    let mut names = Vec::new();
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            continue;
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            let name = &line[..colon];
            names.push(name.strip_suffix(b" ").unwrap_or(name));
        }
    }
    names
}

fn check_no_bcc(bytes: &[u8]) {
    assert!(
        !header_names(bytes)
            .iter()
            .any(|n| n.eq_ignore_ascii_case(b"bcc")),
        "a Bcc field is left in {:?}",
        String::from_utf8_lossy(bytes)
    );
}

/// Every envelope address is valid in envelope form: with the builder's options, or, for
/// `envelope_from_message`, with quoted local parts allowed as it allows them (a header
/// may carry `"john doe"@example.com`).
fn check_envelope(envelope: &Envelope, allow_quoted_local: bool) {
    let options = AddressOptions {
        allow_quoted_local,
        ..AddressOptions::default()
    };
    if !envelope.mail_from.is_empty() {
        if let Err(e) = Address::parse(&envelope.mail_from, &options) {
            panic!("MAIL FROM {:?} is not valid: {e:?}", envelope.mail_from);
        }
    }
    for r in &envelope.rcpt_to {
        if let Err(e) = Address::parse(r, &options) {
            panic!("RCPT TO {r:?} is not valid: {e:?}");
        }
    }
}

fn build(input: &MessageInput) {
    type Setter = fn(MessageBuilder<'static>, String) -> MessageBuilder<'static>;
    let single: [(&Option<Text>, Setter); 7] = [
        (&input.from, |b, t| b.from(t)),
        (&input.sender, |b, t| b.sender(t)),
        (&input.envelope_from, |b, t| b.envelope_from(t)),
        (&input.subject, |b, t| b.subject(t)),
        (&input.text, |b, t| b.text(t)),
        (&input.html, |b, t| b.html(t)),
        (&input.message_id, |b, t| b.message_id(t)),
    ];
    let lists: [(&Vec<Text>, Setter); 4] = [
        (&input.to, |b, t| b.to(t)),
        (&input.cc, |b, t| b.cc(t)),
        (&input.bcc, |b, t| b.bcc(t)),
        (&input.reply_to, |b, t| b.reply_to(t)),
    ];
    let mut b = MessageBuilder::new();
    for (value, set) in single {
        if let Some(t) = value {
            b = set(b, t.get());
        }
    }
    for (values, add) in lists {
        for t in values {
            b = add(b, t.get());
        }
    }
    for a in &input.attachments {
        let mut att = Attachment::new(a.filename.get(), a.content.clone());
        if let Some(t) = &a.content_type {
            att = att.content_type(t.get());
        }
        if let Some(t) = &a.content_id {
            att = att.inline(t.get());
        }
        b = b.attachment(att);
    }
    for (name, value) in &input.headers {
        b = b.header(name.get(), value.get());
    }
    match &input.date {
        Some(DateInput::Text(t)) => b = b.date(t.get()),
        Some(DateInput::Unix(secs)) => b = b.date_unix(*secs),
        None => {}
    }
    match b.build() {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidMessage, "{e:?}");
            assert!(e.reason().is_some(), "{e:?}");
        }
        Ok(built) => {
            let bytes = &built.bytes;
            assert!(bytes.ends_with(b"\r\n"), "no final CRLF");
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}"),
                    b'\n' => assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}"),
                    _ => {}
                }
            }
            for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
                let len = line.strip_suffix(b"\r").unwrap_or(line).len();
                assert!(len <= 998, "line {n} is {len} octets long");
            }
            check_no_bcc(bytes);
            check_envelope(&built.envelope, false);
            assert!(!built.envelope.rcpt_to.is_empty(), "no recipient");
            assert!(
                built.eight_bit || bytes.is_ascii(),
                "8-bit data not flagged"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode == 0 {
        match envelope_from_message(rest) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidMessage, "{e:?}");
                assert!(e.reason().is_some(), "{e:?}");
            }
            Ok((envelope, bytes)) => {
                assert!(bytes.len() <= rest.len());
                check_no_bcc(&bytes);
                check_envelope(&envelope, true);
            }
        }
        return;
    }
    if let Ok(input) = MessageInput::arbitrary_take_rest(Unstructured::new(rest)) {
        build(&input);
    }
});
