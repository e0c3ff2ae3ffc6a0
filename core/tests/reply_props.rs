//! Property tests of the reply parsers: no panic on any input, the wire form round
//! trips, and the incremental reader agrees with the whole-string parser.

use email365::notification_id::extract_notification_id;
use email365::reply::{
    classify_code, escape_controls, Command, EnhancedCode, Reply, ReplyReader, Severity, MAX_LINES,
    MAX_LINE_LEN,
};
use proptest::prelude::*;

/// The pieces of SMTP replies that [`smtp_ish`] strings are made of.
static SMTP_TOKENS: [&str; 18] = [
    "250",
    "550",
    "-",
    " ",
    "\r\n",
    "\n",
    "\r",
    "5.1.1",
    "2.0.0",
    "queued as ",
    "id=",
    "Queued (",
    ")",
    "<",
    ">",
    "OK",
    "gsmtp",
    "1700000000",
];

/// Strings over the SMTP reply alphabet, so that random input often gets deep into
/// the grammar (codes, separators, line breaks, enhanced codes, ids).
fn smtp_ish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            // Each token as likely as each of the two free-form strategies.
            18 => prop::sample::select(&SMTP_TOKENS[..]).prop_map(String::from),
            1 => "[0-9a-zA-Z.@]{0,12}",
            1 => any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// Reply line text as a parsed reply holds it: control characters other than TAB are
/// escaped at parse (`escape_controls`), so they do not occur raw.
fn line_text() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{0,40}|[a-z\t]{0,10}"
}

fn command() -> impl Strategy<Value = Option<Command>> {
    prop_oneof![
        Just(None),
        prop::sample::select(Command::ALL.to_vec()).prop_map(Some)
    ]
}

proptest! {
    #[test]
    fn parse_never_panics(text in any::<String>()) {
        let _ = Reply::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_smtp_alphabet(text in smtp_ish()) {
        if let Ok(reply) = Reply::parse(&text) {
            prop_assert!((1..=MAX_LINES).contains(&reply.lines().count()));
            prop_assert!((200..600).contains(&reply.code));
            let _ = reply.classify(None);
        }
    }

    #[test]
    fn errors_carry_reason_and_position_inside_the_input(text in smtp_ish()) {
        if let Err(e) = Reply::parse(&text) {
            prop_assert_eq!(e.kind(), email365::ErrorKind::InvalidReply);
            prop_assert!(e.reason().is_some());
            prop_assert!(e.position().unwrap() <= text.len());
        }
    }

    #[test]
    fn enhanced_code_parse_never_panics(text in any::<String>()) {
        if let Ok(code) = EnhancedCode::parse(&text) {
            prop_assert_eq!(code.to_string().len(), text.len());
        }
    }

    #[test]
    fn enhanced_code_round_trips(class in prop::sample::select(vec![2u8, 4, 5]),
                                 subject in 0u16..1000, detail in 0u16..1000) {
        let code = EnhancedCode { class, subject, detail };
        prop_assert_eq!(EnhancedCode::parse(&code.to_string()).unwrap(), code);
    }

    #[test]
    fn extraction_never_panics(text in any::<String>()) {
        let _ = extract_notification_id(&text);
    }

    #[test]
    fn extraction_never_panics_on_smtp_alphabet(text in smtp_ish()) {
        if let Some(id) = extract_notification_id(&text) {
            prop_assert!(!id.is_empty());
            prop_assert!(text.contains(&id));
        }
    }

    #[test]
    fn reader_never_panics(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..60), 0..50)) {
        let mut reader = ReplyReader::new();
        for line in &lines {
            let _ = reader.push_line(line);
        }
    }

    #[test]
    fn display_then_parse_round_trips(code in 200u16..600, lines in prop::collection::vec(line_text(), 1..8)) {
        prop_assume!((code / 10) % 10 <= 5);
        let reply = Reply::new(code, EnhancedCode::find_in(&lines[0]), lines.join("\n"));
        prop_assert_eq!(reply.lines().collect::<Vec<_>>(), lines.clone());
        let wire = reply.to_string();
        prop_assert_eq!(Reply::parse(&wire).unwrap(), reply.clone());
        // Fed line by line, the reader gives the same reply.
        let mut reader = ReplyReader::new();
        let mut got = None;
        for line in wire.split_terminator("\r\n") {
            got = reader.push_line(line.as_bytes()).unwrap();
        }
        prop_assert_eq!(got, Some(reply));
    }

    /// The parser's fast path for printable lines (one word-at-a-time scan, no
    /// escaping pass) keeps the full rules: each line's text is exactly what
    /// `escape_controls` makes of it, and a NUL anywhere is refused.
    #[test]
    fn line_text_is_the_escaped_text(code in 200u16..600,
                                     texts in prop::collection::vec("[ -~\u{0}-\u{1f}\u{7f}-\u{a0}é©\u{2028}]{0,30}", 1..5)) {
        prop_assume!((code / 10) % 10 <= 5);
        let texts: Vec<String> = texts.into_iter().map(|t| t.replace(['\r', '\n'], " ")).collect();
        let mut wire = String::new();
        for (i, t) in texts.iter().enumerate() {
            let sep = if i + 1 < texts.len() { '-' } else { ' ' };
            wire.push_str(&format!("{code}{sep}{t}\r\n"));
        }
        match Reply::parse(&wire) {
            Ok(reply) => {
                prop_assert!(!wire.contains('\0'));
                let want: Vec<String> = texts.iter().map(|t| escape_controls(t).into_owned()).collect();
                prop_assert_eq!(reply.lines().collect::<Vec<_>>(), want);
            }
            Err(e) => prop_assert_eq!(e.reason(), Some("nul_byte")),
        }
    }

    #[test]
    fn reader_agrees_with_parse(text in smtp_ish()) {
        // For input whose lines all fit, the reader and the parser agree on the first
        // reply of the text (the parser also refuses what follows it).
        // One trailing line break ends the last line; it does not start an empty one.
        let body = text.strip_suffix('\n').unwrap_or(&text);
        // A CR belongs to the line break only when an LF follows it.
        let had_newline = body.len() < text.len();
        let pieces: Vec<&str> = body.split('\n').collect();
        let last = pieces.len() - 1;
        let lines: Vec<&str> = pieces
            .iter()
            .enumerate()
            .map(|(i, l)| if i < last || had_newline { l.strip_suffix('\r').unwrap_or(l) } else { l })
            .collect();
        // The parser reports an empty string as `empty`, the reader an empty line as
        // `bad_code`; and the reader removes one more trailing CR than the parser.
        prop_assume!(!text.is_empty());
        prop_assume!(lines.iter().all(|l| l.len() <= MAX_LINE_LEN && !l.ends_with('\r')));
        let mut reader = ReplyReader::new();
        for (i, line) in lines.iter().enumerate() {
            match reader.push_line(line.as_bytes()) {
                Ok(Some(reply)) => {
                    if i + 1 == lines.len() {
                        prop_assert_eq!(Reply::parse(&text).unwrap(), reply);
                    } else {
                        prop_assert!(Reply::parse(&text).is_err());
                    }
                    return Ok(());
                }
                Ok(None) => {}
                Err(e) => {
                    let parsed = Reply::parse(&text);
                    prop_assert!(parsed.is_err());
                    prop_assert_eq!(parsed.unwrap_err().reason(), e.reason());
                    return Ok(());
                }
            }
        }
        // Every line was a continuation line: the text has no final line.
        let parsed = Reply::parse(&text);
        prop_assert!(parsed.is_err());
        prop_assert_eq!(parsed.unwrap_err().reason(), Some("missing_final_line"));
    }

    #[test]
    fn retry_only_when_transient(code in 200u16..600, class in prop::sample::select(vec![2u8, 4, 5]),
                                 subject in 0u16..10, detail in 0u16..40, with_enhanced: bool,
                                 command in command()) {
        let enhanced = with_enhanced.then_some(EnhancedCode { class, subject, detail });
        let c = classify_code(code, enhanced, command);
        prop_assert_eq!(c.retry, c.severity == Severity::Transient);
        prop_assert!(!c.description.is_empty());
        prop_assert_eq!(c.category.is_some(), enhanced.is_some());
        prop_assert_eq!(c.inconsistent, enhanced.is_some_and(|e| u16::from(e.class) != code / 100));
        if command != Some(Command::Rcpt) {
            let by_code = match code / 100 { 2 => Severity::Success, 3 => Severity::Intermediate,
                                             4 => Severity::Transient, _ => Severity::Permanent };
            prop_assert_eq!(c.severity, by_code);
        }
    }
}

#[test]
fn extraction_is_linear_on_adversarial_input() {
    // Many pattern starts in one line must not make the scan quadratic: 200 000 bytes
    // of "queued as <" finish quickly even in a debug build.
    let text = format!("250 {}", "queued as <queued (id=".repeat(9000));
    let start = std::time::Instant::now();
    let _ = extract_notification_id(&text);
    let _ = Reply::parse(&text);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}
