//! Fuzz target `reply`: SMTP reply parsing and classification on arbitrary text.
//!
//! Input: one byte choosing the command context (0: none, n: `Command::ALL[n - 1]`
//! modulo the count), then the reply text (invalid UTF-8 is read lossily). Runs
//! [`Reply::parse`], classification, [`ReplyReader`] line by line,
//! [`EnhancedCode::find_in`] / [`EnhancedCode::parse`], [`check_code`] and
//! [`extract_notification_id`]. Checks: no panic; errors have kind `invalid_reply`
//! and a position inside the input; an accepted reply has a valid code, at most the
//! bounded number of lines, and its wire form parses back to the same reply; the
//! reader reports the same reply for the same lines; a notification id is a
//! non-empty substring of the input.
#![no_main]

use email365::notification_id::extract_notification_id;
use email365::reply::{check_code, Command, EnhancedCode, Reply, ReplyReader, MAX_LINES};
use email365::ErrorKind;
use libfuzzer_sys::fuzz_target;

mod common;
use common::check_refusal;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let command = match selector as usize % (Command::ALL.len() + 1) {
        0 => None,
        n => Some(Command::ALL[n - 1]),
    };
    let text = String::from_utf8_lossy(rest);

    let parsed = Reply::parse(&text);
    match &parsed {
        Err(e) => {
            check_refusal(e, ErrorKind::InvalidReply, text.len());
        }
        Ok(reply) => {
            assert_eq!(check_code(u64::from(reply.code)).ok(), Some(reply.code));
            assert!((1..=MAX_LINES).contains(&reply.lines().count()));
            let class = reply.classify(command);
            assert_eq!(class.code, reply.code);
            assert_eq!(class.enhanced, reply.enhanced);
            let wire = reply.to_string();
            match Reply::parse(&wire) {
                Ok(again) => assert_eq!(&again, reply, "wire form {wire:?} does not parse back"),
                // Control characters are kept escaped (`\x1b`: four bytes for one), so
                // the wire form of a reply that had them may outgrow the line limit or
                // the reply limit.
                Err(e) => assert!(
                    matches!(e.reason(), Some("line_too_long" | "reply_too_long"))
                        && wire.contains('\\'),
                    "wire form {wire:?} of {text:?} refused: {e:?}"
                ),
            }
            let _ = reply.to_error_reply(Some("rcpt@example.com"));
        }
    }

    // The incremental reader, fed the same lines.
    let mut reader = ReplyReader::new();
    let mut from_reader = Vec::new();
    let mut failed = false;
    for line in text.split_inclusive('\n') {
        let line = line.strip_suffix('\n').unwrap_or(line);
        match reader.push_line(line.as_bytes()) {
            Ok(Some(reply)) => from_reader.push(reply),
            Ok(None) => {}
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidReply, "{e:?}");
                failed = true;
            }
        }
    }
    // Compared only for complete input: without a final line break, `Reply::parse`
    // keeps a trailing CR in the text while the reader (given lines without their
    // break) strips it.
    if let (Ok(reply), true) = (&parsed, text.ends_with('\n')) {
        assert!(
            !failed,
            "the reader refused lines that Reply::parse accepted: {text:?}"
        );
        assert_eq!(
            from_reader.as_slice(),
            std::slice::from_ref(reply),
            "{text:?}"
        );
    }

    for line in text.lines() {
        if let Some(code) = EnhancedCode::find_in(line) {
            let shown = code.to_string();
            assert_eq!(EnhancedCode::parse(&shown).ok(), Some(code), "{shown}");
            let _ = code.category();
            let _ = code.registry_title();
        }
    }
    if let Ok(code) = EnhancedCode::parse(&text) {
        let _ = code.category();
    }

    if let Some(id) = extract_notification_id(&text) {
        assert!(
            !id.is_empty() && text.contains(id.as_str()),
            "{id:?} not in {text:?}"
        );
    }
});
