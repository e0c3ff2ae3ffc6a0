//! SMTP replies: parsing single and multi-line replies (RFC 5321), enhanced status
//! codes (RFC 3463, RFC 2034 and the IANA registry), and classification with retry
//! advice.
//!
//! Two ways in: [`Reply::parse`] reads a whole reply given as one string (lines after
//! the final line are an error), and [`ReplyReader`] assembles replies from the lines
//! that an SMTP transport reads off the wire, one at a time. Both apply the same line
//! grammar and the same bounds ([`MAX_LINE_LEN`], [`MAX_LINES`], [`MAX_REPLY_LEN`]).
//! `docs/REPLIES.md` describes every rule and decision.
//!
//! ```
//! use email365::reply::{Command, Reply, Severity};
//!
//! let reply = Reply::parse("452 4.5.3 Error: too many recipients\r\n")?;
//! let class = reply.classify(Some(Command::Rcpt));
//! assert_eq!(class.severity, Severity::Transient);
//! assert!(class.retry);
//! assert_eq!(class.description, "Too many recipients");
//! # Ok::<(), email365::Error>(())
//! ```

mod printable;
mod registry;

pub use printable::escape_controls;

use crate::error::{Error, ErrorKind, ErrorReply, Result};
use std::fmt;

/// The longest reply line accepted, in bytes, without its CRLF. RFC 5321 section
/// 4.5.3.1.5 allows 512 octets including CRLF; real servers exceed it (long EHLO
/// keyword lines, verbose policy texts), so the bound is four times as generous.
pub const MAX_LINE_LEN: usize = 2048;

/// The most lines one reply may have.
pub const MAX_LINES: usize = 256;

/// The largest reply accepted, in bytes: every line plus two bytes for its CRLF.
pub const MAX_REPLY_LEN: usize = 65536;

fn invalid(reason: &'static str, position: usize, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidReply, message)
        .with_reason(reason)
        .with_position(position)
}

/// An enhanced status code `class.subject.detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2, 4 or 5.
    pub class: u8,
    /// 0 to 999.
    pub subject: u16,
    /// 0 to 999.
    pub detail: u16,
}

/// `class.subject.detail` as a string (feature `wasm`).
#[cfg(feature = "wasm")]
impl serde::Serialize for EnhancedCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// Reads `1*3DIGIT` at `bytes[at..]`; returns the value and the index after it.
fn sub_code(bytes: &[u8], at: usize) -> Option<(u16, usize)> {
    let mut value: u16 = 0;
    let mut end = at;
    while end < bytes.len() && bytes[end].is_ascii_digit() && end - at < 3 {
        value = value * 10 + u16::from(bytes[end] - b'0');
        end += 1;
    }
    (end > at).then_some((value, end))
}

/// Reads `class "." 1*3DIGIT "." 1*3DIGIT` at the start of `bytes`, returning the code
/// and its length, or the index of the first offending byte.
fn scan_enhanced(bytes: &[u8]) -> std::result::Result<(EnhancedCode, usize), usize> {
    let class = match bytes.first() {
        Some(&c @ (b'2' | b'4' | b'5')) => c - b'0',
        _ => return Err(0),
    };
    if bytes.get(1) != Some(&b'.') {
        return Err(1);
    }
    let (subject, end) = sub_code(bytes, 2).ok_or(2usize)?;
    if bytes.get(end) != Some(&b'.') {
        return Err(end);
    }
    let (detail, end) = sub_code(bytes, end + 1).ok_or(end + 1)?;
    Ok((
        EnhancedCode {
            class,
            subject,
            detail,
        },
        end,
    ))
}

impl EnhancedCode {
    /// Parses `x.y.z` exactly (RFC 3463: class 2, 4 or 5; subject and detail of one to
    /// three digits; nothing around it). Errors have kind `invalid_reply`, reason
    /// `bad_enhanced_code` and the byte position of the first offending character.
    pub fn parse(s: &str) -> Result<EnhancedCode> {
        let bytes = s.as_bytes();
        match scan_enhanced(bytes) {
            Ok((code, len)) if len == bytes.len() => Ok(code),
            Ok((_, len)) => Err(invalid(
                "bad_enhanced_code",
                len,
                format!("enhanced status code {s:?} has extra characters at byte {len}"),
            )),
            Err(at) => Err(invalid(
                "bad_enhanced_code",
                at,
                format!(
                    "{s:?} is not an enhanced status code class.subject.detail \
                     (class 2, 4 or 5; one to three digits each): bad byte {at}"
                ),
            )),
        }
    }

    /// The enhanced code at the start of a reply line's text (RFC 2034: `x.y.z`
    /// followed by a space or the end of the text), if there is one.
    pub fn find_in(text: &str) -> Option<EnhancedCode> {
        let bytes = text.as_bytes();
        match scan_enhanced(bytes) {
            Ok((code, len)) if len == bytes.len() || bytes[len] == b' ' => Some(code),
            _ => None,
        }
    }

    /// The category of the subject sub-code.
    pub fn category(&self) -> Category {
        match self.subject {
            1 => Category::Addressing,
            2 => Category::Mailbox,
            3 => Category::MailSystem,
            4 => Category::Network,
            5 => Category::Protocol,
            6 => Category::Content,
            7 => Category::Security,
            _ => Category::Other,
        }
    }

    /// The summary of this code in the IANA registry (`X.subject.detail`), if the
    /// code is registered.
    pub fn registry_title(&self) -> Option<&'static str> {
        registry::enumerated_title(self.subject, self.detail)
    }
}

/// The SMTP command a reply answers, for context-dependent classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// The server's greeting (no command).
    Greeting,
    /// EHLO.
    Ehlo,
    /// HELO.
    Helo,
    /// STARTTLS.
    StartTls,
    /// AUTH (and its continuation lines).
    Auth,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA (the 354 step).
    Data,
    /// The end of the message data (the final reply).
    DataEnd,
    /// BDAT.
    Bdat,
    /// RSET.
    Rset,
    /// NOOP.
    Noop,
    /// QUIT.
    Quit,
    /// Any other command.
    Other,
}

impl Command {
    /// Every command, in declaration order.
    pub const ALL: [Command; 14] = [
        Command::Greeting,
        Command::Ehlo,
        Command::Helo,
        Command::StartTls,
        Command::Auth,
        Command::Mail,
        Command::Rcpt,
        Command::Data,
        Command::DataEnd,
        Command::Bdat,
        Command::Rset,
        Command::Noop,
        Command::Quit,
        Command::Other,
    ];

    /// The stable name: the SMTP verb in capitals (`"EHLO"`, `"MAIL"`, `"RCPT"`, …),
    /// `"GREETING"` for the greeting, `"DATA_END"` for the end of the message data and
    /// `"OTHER"` for any other command.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Greeting => "GREETING",
            Command::Ehlo => "EHLO",
            Command::Helo => "HELO",
            Command::StartTls => "STARTTLS",
            Command::Auth => "AUTH",
            Command::Mail => "MAIL",
            Command::Rcpt => "RCPT",
            Command::Data => "DATA",
            Command::DataEnd => "DATA_END",
            Command::Bdat => "BDAT",
            Command::Rset => "RSET",
            Command::Noop => "NOOP",
            Command::Quit => "QUIT",
            Command::Other => "OTHER",
        }
    }

    /// The command with this name, ASCII case-insensitive: every [`Command::as_str`]
    /// name, plus `"MAIL FROM"`, `"RCPT TO"`, `"."` (= `DATA_END`), and `"LHLO"`,
    /// `"VRFY"`, `"EXPN"`, `"HELP"`, `"ETRN"` (= `OTHER`). `None` for anything else.
    pub fn from_name(name: &str) -> Option<Command> {
        let upper = name.to_ascii_uppercase();
        if let Some(command) = Command::ALL.iter().find(|c| c.as_str() == upper) {
            return Some(*command);
        }
        Some(match upper.as_str() {
            "MAIL FROM" => Command::Mail,
            "RCPT TO" => Command::Rcpt,
            "." => Command::DataEnd,
            "LHLO" | "VRFY" | "EXPN" | "HELP" | "ETRN" => Command::Other,
            _ => return None,
        })
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Severity, from the first digit of the basic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "wasm",
    derive(serde::Serialize, tsify_next::Tsify),
    serde(rename_all = "snake_case"),
    tsify(type_prefix = "Reply")
)]
pub enum Severity {
    /// 2xx.
    Success,
    /// 3xx.
    Intermediate,
    /// 4xx: retry later.
    Transient,
    /// 5xx: do not retry.
    Permanent,
}

impl Severity {
    /// The stable snake_case name: `success`, `intermediate`, `transient`, `permanent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Success => "success",
            Severity::Intermediate => "intermediate",
            Severity::Transient => "transient",
            Severity::Permanent => "permanent",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Category, from the subject of the enhanced code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "wasm",
    derive(serde::Serialize, tsify_next::Tsify),
    serde(rename_all = "snake_case"),
    tsify(type_prefix = "Reply")
)]
pub enum Category {
    /// x.1.x
    Addressing,
    /// x.2.x
    Mailbox,
    /// x.3.x
    MailSystem,
    /// x.4.x
    Network,
    /// x.5.x
    Protocol,
    /// x.6.x
    Content,
    /// x.7.x
    Security,
    /// x.0.x and anything else.
    Other,
}

impl Category {
    /// The stable snake_case name: `addressing`, `mailbox`, `mail_system`, `network`,
    /// `protocol`, `content`, `security`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Addressing => "addressing",
            Category::Mailbox => "mailbox",
            Category::MailSystem => "mail_system",
            Category::Network => "network",
            Category::Protocol => "protocol",
            Category::Content => "content",
            Category::Security => "security",
            Category::Other => "other",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    /// The basic three-digit code.
    pub code: u16,
    /// The enhanced code, when the first line carries one.
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line after `ddd-` / `ddd `, joined with `\n`, verbatim except
    /// that control characters other than TAB are escaped ([`escape_controls`]). One
    /// string for the whole reply: parsing allocates once per reply, not once per line.
    text: String,
}

/// What a reply means for the client. With the `wasm` feature it serialises as
/// JavaScript's `ReplyClassification` (camelCase fields, names as [`Severity::as_str`] and
/// [`Category::as_str`], the enhanced code as `"class.subject.detail"`, `null` when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "wasm",
    derive(serde::Serialize, tsify_next::Tsify),
    serde(rename_all = "camelCase"),
    tsify(type_prefix = "Reply", missing_as_null)
)]
pub struct Classification {
    /// The basic code.
    pub code: u16,
    /// The enhanced code, if any.
    #[cfg_attr(feature = "wasm", tsify(type = "string | null"))]
    pub enhanced: Option<EnhancedCode>,
    /// Severity (decided by the basic code; on RCPT, the "too many recipients" replies
    /// 452/552 x.5.3 and a bare 552 are transient, see [`classify_code`]).
    #[cfg_attr(feature = "wasm", tsify(type = "ReplySeverity"))]
    pub severity: Severity,
    /// Category from the enhanced subject; `None` without an enhanced code.
    #[cfg_attr(feature = "wasm", tsify(type = "ReplyCategory | null"))]
    pub category: Option<Category>,
    /// True only when retrying later may succeed.
    pub retry: bool,
    /// A human description (registry text of the enhanced code, else of the basic code).
    pub description: String,
    /// True when the basic and enhanced classes disagree.
    pub inconsistent: bool,
}

/// Checks a basic reply code (first digit 2 to 5, second 0 to 5, third 0 to 9, as
/// RFC 5321 section 4.2 defines them). Errors have kind `invalid_reply`, reason
/// `bad_code`.
pub fn check_code(code: u64) -> Result<u16> {
    let ok = (200..=599).contains(&code) && (code / 10) % 10 <= 5;
    if ok {
        Ok(code as u16)
    } else {
        Err(Error::new(
            ErrorKind::InvalidReply,
            format!("{code} is not an SMTP reply code (2yz to 5yz, y from 0 to 5)"),
        )
        .with_reason("bad_code"))
    }
}

/// One reply line split into its parts.
struct Line<'a> {
    code: u16,
    last: bool,
    text: &'a str,
}

/// Parses one reply line (without its line break) that starts at byte `offset` of the
/// whole reply.
fn parse_line(line: &str, offset: usize) -> Result<Line<'_>> {
    let bytes = line.as_bytes();
    if bytes.len() > MAX_LINE_LEN {
        return Err(invalid(
            "line_too_long",
            offset + MAX_LINE_LEN,
            format!(
                "reply line of {} bytes is longer than {MAX_LINE_LEN} bytes",
                bytes.len()
            ),
        ));
    }
    let digit_ok = |i: usize, lo: u8, hi: u8| bytes.get(i).is_some_and(|b| (lo..=hi).contains(b));
    for (i, (lo, hi)) in [(b'2', b'5'), (b'0', b'5'), (b'0', b'9')]
        .into_iter()
        .enumerate()
    {
        if !digit_ok(i, lo, hi) {
            return Err(invalid(
                "bad_code",
                offset + i,
                format!(
                    "reply line does not start with a reply code (2yz to 5yz, y from 0 to 5): \
                     bad byte at {}",
                    offset + i
                ),
            ));
        }
    }
    let code = bytes[..3]
        .iter()
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    let (last, text) = match bytes.get(3) {
        None => (true, ""),
        Some(b' ') => (true, &line[4..]),
        Some(b'-') => (false, &line[4..]),
        Some(_) => {
            return Err(invalid(
                "bad_separator",
                offset + 3,
                format!(
                    "reply code must be followed by a space, a hyphen or the end of the line \
                     (byte {})",
                    offset + 3
                ),
            ))
        }
    };
    Ok(Line { code, last, text })
}

/// The running checks shared by [`Reply::parse`] and [`ReplyReader`].
#[derive(Debug, Default)]
struct Assembly {
    code: Option<u16>,
    /// The escaped text of the lines so far, joined with `\n`.
    text: String,
    lines: usize,
    /// The length of the first line's text once a second line has come.
    first_len: Option<usize>,
    size: usize,
}

impl Assembly {
    /// Adds one line (already split off its line break) that starts at byte `offset`
    /// of the caller's input; returns the reply when the line was its final line.
    fn push(&mut self, line: &str, offset: usize) -> Result<Option<Reply>> {
        let suspect = printable::find_suspect(line.as_bytes()).is_some();
        self.push_scanned(line, offset, suspect)
    }

    /// [`Assembly::push`] for a line already scanned: `suspect` is false only when no
    /// byte of the line needs the full rules (`printable::find_suspect`).
    fn push_scanned(&mut self, line: &str, offset: usize, suspect: bool) -> Result<Option<Reply>> {
        if self.lines >= MAX_LINES {
            return Err(invalid(
                "too_many_lines",
                offset,
                format!("reply has more than {MAX_LINES} lines"),
            ));
        }
        if let Some(at) = suspect.then(|| line.find('\0')).flatten() {
            // A C string would end here (docs/REPLIES.md, "Server text").
            return Err(invalid(
                "nul_byte",
                offset + at,
                format!("reply line holds a NUL byte at byte {}", offset + at),
            ));
        }
        let parsed = parse_line(line, offset)?;
        if self.size + line.len() + 2 > MAX_REPLY_LEN {
            return Err(invalid(
                "reply_too_long",
                offset,
                format!("reply is longer than {MAX_REPLY_LEN} bytes"),
            ));
        }
        match self.code {
            Some(code) if code != parsed.code => {
                return Err(invalid(
                    "mixed_codes",
                    offset,
                    format!(
                        "reply line at byte {offset} has code {} but the reply began with {code}",
                        parsed.code
                    ),
                ))
            }
            _ => self.code = Some(parsed.code),
        }
        self.size += line.len() + 2;
        if self.lines > 0 {
            if self.first_len.is_none() {
                self.first_len = Some(self.text.len());
            }
            self.text.push('\n');
        }
        self.lines += 1;
        if suspect {
            self.text.push_str(&escape_controls(parsed.text));
        } else {
            self.text.push_str(parsed.text);
        }
        if !parsed.last {
            return Ok(None);
        }
        let text = std::mem::take(&mut self.text);
        let enhanced = EnhancedCode::find_in(&text[..self.first_len.unwrap_or(text.len())]);
        *self = Assembly::default();
        Ok(Some(Reply {
            code: parsed.code,
            enhanced,
            text,
        }))
    }
}

impl Reply {
    /// Parses a whole reply given as one string. Errors have kind `invalid_reply`.
    ///
    /// Lines end with CRLF; a bare LF is accepted as a line end too. Each line is a
    /// reply code, then `-` (more lines follow), a space or nothing (the final line),
    /// then the text. One line break after the final line is allowed; anything else
    /// after it is `trailing_data`. Other reasons: `empty`, `nul_byte`, `bad_code`,
    /// `bad_separator`, `mixed_codes`, `missing_final_line`, `line_too_long`,
    /// `too_many_lines`, `reply_too_long`; the position is the byte offset.
    pub fn parse(text: &str) -> Result<Reply> {
        if text.is_empty() {
            return Err(invalid("empty", 0, "reply is empty"));
        }
        // The text is at most the input's length: one allocation for the whole reply.
        let mut assembly = Assembly {
            text: String::with_capacity(text.len()),
            ..Assembly::default()
        };
        let mut start = 0;
        loop {
            let rest = &text[start..];
            let bytes = rest.as_bytes();
            // One scan finds the line's end and tells whether anything in it needs the
            // full rules (NUL refused, controls escaped); most lines need neither.
            let (line, next, suspect) = match printable::find_suspect(bytes) {
                None => (rest, None, false),
                Some(nl) if bytes[nl] == b'\n' => (&rest[..nl], Some(start + nl + 1), false),
                Some(cr) if bytes[cr] == b'\r' && bytes.get(cr + 1) == Some(&b'\n') => {
                    (&rest[..cr], Some(start + cr + 2), false)
                }
                Some(first) => match memchr::memchr(b'\n', &bytes[first..]) {
                    Some(nl) => {
                        let line = &rest[..first + nl];
                        (
                            line.strip_suffix('\r').unwrap_or(line),
                            Some(start + first + nl + 1),
                            true,
                        )
                    }
                    None => (rest, None, true),
                },
            };
            let reply = assembly.push_scanned(line, start, suspect)?;
            if let Some(reply) = reply {
                if let Some(next) = next {
                    if next < text.len() {
                        return Err(invalid(
                            "trailing_data",
                            next,
                            format!(
                                "data after the final reply line, at byte {next} (a reply given \
                                 as one string ends at its final line)"
                            ),
                        ));
                    }
                }
                return Ok(reply);
            }
            match next {
                Some(next) if next < text.len() => start = next,
                _ => {
                    return Err(invalid(
                        "missing_final_line",
                        text.len(),
                        "reply ends before its final line (a line whose code is followed by a \
                         space or stands alone)",
                    ))
                }
            }
        }
    }

    /// A reply made from its parts: `text` holds its lines joined with `\n` (one line
    /// when there is no `\n`). Control characters other than TAB are escaped in each
    /// line ([`escape_controls`]), as when parsing.
    pub fn new(code: u16, enhanced: Option<EnhancedCode>, text: impl Into<String>) -> Reply {
        let mut text = text.into();
        if printable::find_suspect(text.as_bytes()).is_some() {
            text = text
                .split('\n')
                .map(escape_controls)
                .collect::<Vec<_>>()
                .join("\n");
        }
        Reply {
            code,
            enhanced,
            text,
        }
    }

    /// The text of the reply: its lines joined with `\n`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text of each line after `ddd-` / `ddd ` (at least one, maybe empty).
    pub fn lines(&self) -> std::str::Split<'_, char> {
        self.text.split('\n')
    }

    /// Classifies the reply, optionally in the context of the command it answers.
    pub fn classify(&self, command: Option<Command>) -> Classification {
        classify_code(self.code, self.enhanced, command)
    }

    /// The reply as an error attachment.
    pub fn to_error_reply(&self, recipient: Option<&str>) -> ErrorReply {
        ErrorReply {
            code: self.code,
            enhanced: self.enhanced.map(|e| e.to_string()),
            text: self.text.clone(),
            recipient: recipient.map(str::to_string),
        }
    }
}

/// The wire form: every line as `ddd-text` / `ddd text` with CRLF after each; a final
/// line with empty text is the code alone.
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = self.lines().peekable();
        while let Some(line) = lines.next() {
            if lines.peek().is_some() {
                write!(f, "{}-{line}\r\n", self.code)?;
            } else if line.is_empty() {
                write!(f, "{}\r\n", self.code)?;
            } else {
                write!(f, "{} {line}\r\n", self.code)?;
            }
        }
        Ok(())
    }
}

/// Classifies a code pair without a reply text.
///
/// Severity comes from the basic code's first digit; `retry` is true exactly when the
/// severity is transient. The context rules (see `docs/REPLIES.md`): on RCPT, a 452
/// or 552 with enhanced subject/detail 5.3 ("too many recipients"), and a 552 without
/// an enhanced code (RFC 5321 section 4.5.3.1.10), are transient: the remaining
/// recipients go in a new transaction. When the enhanced class differs from the
/// basic code's first digit, the basic code decides and `inconsistent` is true.
/// Codes outside 2yz..5yz (which [`Reply::parse`] and [`check_code`] refuse) get the
/// severity of their first digit clamped to 2..5.
pub fn classify_code(
    code: u16,
    enhanced: Option<EnhancedCode>,
    command: Option<Command>,
) -> Classification {
    let mut severity = match code / 100 {
        0..=2 => Severity::Success,
        3 => Severity::Intermediate,
        4 => Severity::Transient,
        _ => Severity::Permanent,
    };
    let too_many_recipients = enhanced.is_some_and(|e| e.subject == 5 && e.detail == 3);
    if command == Some(Command::Rcpt)
        && ((matches!(code, 452 | 552) && too_many_recipients)
            || (code == 552 && enhanced.is_none()))
    {
        severity = Severity::Transient;
    }
    let inconsistent = enhanced.is_some_and(|e| u16::from(e.class) != code / 100);
    Classification {
        code,
        enhanced,
        severity,
        category: enhanced.map(|e| e.category()),
        retry: severity == Severity::Transient,
        description: describe(code, enhanced, command),
        inconsistent,
    }
}

/// The description: the registry summary of the enhanced code; for an unregistered
/// detail, the summary of its subject; for `X.0.0` (which says nothing), an unknown
/// subject or no enhanced code, the text of the basic code; for an unknown basic code,
/// the RFC 5321 meaning of its first digit.
fn describe(code: u16, enhanced: Option<EnhancedCode>, command: Option<Command>) -> String {
    if let Some(e) = enhanced {
        if e.subject != 0 || e.detail != 0 {
            if let Some(title) = e
                .registry_title()
                .or_else(|| registry::subject_title(e.subject).filter(|_| e.subject != 0))
            {
                return title.to_string();
            }
        }
    }
    let contextual = match (code, command) {
        (454, Some(Command::StartTls)) => Some("TLS not available due to temporary reason"),
        (454, Some(Command::Auth) | None) => Some("Temporary authentication failure"),
        (454, Some(_)) => Some(registry::basic_class_title(code)),
        (554, Some(Command::Greeting)) => Some("No SMTP service here"),
        (552, Some(Command::Rcpt)) => Some("Too many recipients"),
        _ => None,
    };
    contextual
        .or_else(|| registry::basic_title(code))
        .unwrap_or_else(|| registry::basic_class_title(code))
        .to_string()
}

/// The summary of a class sub-code in the IANA registry (`Success`, `Persistent
/// Transient Failure`, `Permanent Failure`).
pub fn class_title(class: u8) -> Option<&'static str> {
    registry::class_title(class)
}

/// Every enumerated code of the IANA registry as `(subject, detail, summary)`.
pub fn registry_codes() -> &'static [(u16, u16, &'static str)] {
    registry::ENUMERATED
}

/// Incremental reader of replies on the wire: the transport splits its input into
/// lines (CRLF removed, length already bounded) and pushes them one at a time.
///
/// The reader applies the same rules as [`Reply::parse`]; it resets itself after each
/// reply and after each error. Bytes that are not UTF-8 are replaced (lossy).
#[derive(Debug, Default)]
pub struct ReplyReader {
    assembly: Assembly,
}

impl ReplyReader {
    /// A reader with no pending lines.
    pub fn new() -> ReplyReader {
        ReplyReader::default()
    }

    /// Pushes one line; returns the reply once its final line has arrived.
    /// Errors (kind `invalid_reply`): bad code, mixed codes, too many lines.
    ///
    /// A trailing CR (left by a transport that split on LF) is removed. Error
    /// positions count from the start of the reply, two bytes per line break.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply>> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = String::from_utf8_lossy(line);
        let offset = self.assembly.size;
        let result = self.assembly.push(&line, offset);
        if result.is_err() {
            self.assembly = Assembly::default();
        }
        result
    }

    /// True when lines of an unfinished reply are pending.
    pub fn is_pending(&self) -> bool {
        self.assembly.lines > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (String, usize) {
        let e = Reply::parse(text).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidReply);
        (e.reason().unwrap().to_string(), e.position().unwrap())
    }

    #[test]
    fn parses_single_and_multi_line_replies() {
        let r = Reply::parse("250 2.0.0 Ok: queued as 4Bf3xZ1Yz3z9t\r\n").unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.enhanced.map(|e| e.to_string()), Some("2.0.0".into()));
        assert_eq!(
            r.lines().collect::<Vec<_>>(),
            vec!["2.0.0 Ok: queued as 4Bf3xZ1Yz3z9t"]
        );
        let r = Reply::parse("250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000").unwrap();
        assert_eq!(
            r.lines().collect::<Vec<_>>(),
            vec!["mx.example", "PIPELINING", "SIZE 1000"]
        );
        assert_eq!(r.enhanced, None);
        let r = Reply::parse("354").unwrap();
        assert_eq!(r.lines().collect::<Vec<_>>(), vec![""]);
        let r = Reply::parse("250-a\n250 b\n").unwrap();
        assert_eq!(r.lines().collect::<Vec<_>>(), vec!["a", "b"]);
    }

    #[test]
    fn refuses_malformed_replies_with_reason_and_position() {
        assert_eq!(err(""), ("empty".into(), 0));
        assert_eq!(err("25"), ("bad_code".into(), 2));
        assert_eq!(err("650 no"), ("bad_code".into(), 0));
        assert_eq!(err("260 no"), ("bad_code".into(), 1));
        assert_eq!(err("250x"), ("bad_separator".into(), 3));
        assert_eq!(err("250-a\r\n251 b\r\n"), ("mixed_codes".into(), 7));
        assert_eq!(err("250-a\r\n"), ("missing_final_line".into(), 7));
        assert_eq!(err("250 a\r\n250 b\r\n"), ("trailing_data".into(), 7));
        assert_eq!(err("250 a\r\n\r\n"), ("trailing_data".into(), 7));
        assert_eq!(err("250-a\n251 b"), ("mixed_codes".into(), 6));
        let long = format!("250 {}", "x".repeat(MAX_LINE_LEN));
        assert_eq!(err(&long), ("line_too_long".into(), MAX_LINE_LEN));
        let many = "250-x\r\n".repeat(MAX_LINES) + "250 x";
        assert_eq!(err(&many), ("too_many_lines".into(), 7 * MAX_LINES));
    }

    #[test]
    fn reply_size_is_bounded() {
        let line = format!("250-{}\r\n", "y".repeat(1020));
        let text = line.repeat(100) + "250 end";
        let (reason, position) = err(&text);
        assert_eq!(reason, "reply_too_long");
        assert_eq!(position % line.len(), 0);
        assert!(position <= MAX_REPLY_LEN);
    }

    #[test]
    fn enhanced_code_parse_and_find() {
        assert_eq!(
            EnhancedCode::parse("5.7.26").unwrap(),
            EnhancedCode {
                class: 5,
                subject: 7,
                detail: 26
            }
        );
        for bad in [
            "", "5", "5.", "5.1", "5.1.", "3.1.1", "5.1234.1", "5.1.1 ", "+5.1.1", "5.1.1.1",
        ] {
            let e = EnhancedCode::parse(bad).unwrap_err();
            assert_eq!(e.reason(), Some("bad_enhanced_code"), "{bad:?}");
        }
        assert_eq!(
            EnhancedCode::parse("5.1.1x").unwrap_err().position(),
            Some(5)
        );
        assert!(EnhancedCode::find_in("5.1.1 user unknown").is_some());
        assert!(EnhancedCode::find_in("5.1.1").is_some());
        assert!(EnhancedCode::find_in("5.1.1: user unknown").is_none());
        assert!(EnhancedCode::find_in("Ok 5.1.1").is_none());
    }

    #[test]
    fn classification_follows_the_basic_code() {
        let c = classify_code(550, EnhancedCode::find_in("5.1.1"), None);
        assert_eq!(c.severity, Severity::Permanent);
        assert_eq!(c.category, Some(Category::Addressing));
        assert_eq!(c.description, "Bad destination mailbox address");
        assert!(!c.retry && !c.inconsistent);
        let c = classify_code(550, EnhancedCode::find_in("4.2.2"), None);
        assert_eq!(c.severity, Severity::Permanent);
        assert!(!c.retry && c.inconsistent);
        let c = classify_code(421, None, None);
        assert!(c.retry);
        assert_eq!(c.category, None);
        assert_eq!(
            c.description,
            "Service not available, closing transmission channel"
        );
        let c = classify_code(250, EnhancedCode::find_in("2.0.0"), None);
        assert_eq!(c.description, "Requested mail action okay, completed");
        let c = classify_code(550, EnhancedCode::find_in("5.1.99"), None);
        assert_eq!(c.description, "Addressing Status");
        let c = classify_code(299, None, None);
        assert_eq!(c.description, "Positive Completion reply");
    }

    #[test]
    fn rcpt_context_rules() {
        let e = EnhancedCode::find_in("5.5.3");
        assert!(!classify_code(552, e, None).retry);
        assert!(classify_code(552, e, Some(Command::Rcpt)).retry);
        assert!(classify_code(552, None, Some(Command::Rcpt)).retry);
        assert!(!classify_code(552, EnhancedCode::find_in("5.2.2"), Some(Command::Rcpt)).retry);
        assert!(!classify_code(552, None, Some(Command::DataEnd)).retry);
        let c = classify_code(452, EnhancedCode::find_in("4.5.3"), Some(Command::Rcpt));
        assert_eq!(c.severity, Severity::Transient);
        assert_eq!(c.description, "Too many recipients");
    }

    #[test]
    fn every_registered_code_has_its_title() {
        for (subject, detail, title) in registry_codes() {
            let e = EnhancedCode {
                class: 5,
                subject: *subject,
                detail: *detail,
            };
            assert_eq!(e.registry_title(), Some(*title));
            if (*subject, *detail) != (0, 0) {
                assert_eq!(classify_code(550, Some(e), None).description, *title);
            }
        }
        assert_eq!(registry_codes().len(), 81);
    }

    #[test]
    fn names_round_trip() {
        for c in Command::ALL {
            assert_eq!(Command::from_name(c.as_str()), Some(c));
            assert_eq!(
                Command::from_name(&c.as_str().to_ascii_lowercase()),
                Some(c)
            );
        }
        assert_eq!(Command::from_name("rcpt to"), Some(Command::Rcpt));
        assert_eq!(Command::from_name("."), Some(Command::DataEnd));
        assert_eq!(Command::from_name("FROB"), None);
        assert_eq!(Severity::Transient.as_str(), "transient");
        assert_eq!(Category::MailSystem.as_str(), "mail_system");
    }

    #[test]
    fn reader_assembles_resets_and_bounds() {
        let mut reader = ReplyReader::new();
        assert_eq!(reader.push_line(b"250-mx").unwrap(), None);
        assert!(reader.is_pending());
        let r = reader.push_line(b"250 SIZE\r").unwrap().unwrap();
        assert_eq!(r.lines().collect::<Vec<_>>(), vec!["mx", "SIZE"]);
        assert!(!reader.is_pending());
        let r = reader.push_line(b"221 2.0.0 Bye").unwrap().unwrap();
        assert_eq!(r.code, 221);
        reader.push_line(b"250-a").unwrap();
        let e = reader.push_line(b"251 b").unwrap_err();
        assert_eq!((e.reason(), e.position()), (Some("mixed_codes"), Some(7)));
        assert!(!reader.is_pending());
        for _ in 0..MAX_LINES {
            reader.push_line(b"250-x").unwrap();
        }
        let e = reader.push_line(b"250 x").unwrap_err();
        assert_eq!(e.reason(), Some("too_many_lines"));
        let r = reader.push_line(b"550 \xff\xfe bad").unwrap().unwrap();
        assert_eq!(r.lines().collect::<Vec<_>>(), vec!["\u{fffd}\u{fffd} bad"]);
    }

    #[test]
    fn display_writes_the_wire_form() {
        let r = Reply::parse("250-a\r\n250-\r\n250 b").unwrap();
        assert_eq!(r.to_string(), "250-a\r\n250-\r\n250 b\r\n");
        assert_eq!(Reply::parse(&r.to_string()).unwrap(), r);
        let r = Reply::parse("354").unwrap();
        assert_eq!(r.to_string(), "354\r\n");
    }
}
