//! SMTP replies: parsing single and multi-line replies (RFC 5321), enhanced status
//! codes (RFC 3463 and the IANA registry), and classification with retry advice.
//!
//! CONTRACT STUB: the public types and signatures below are fixed; the bodies are
//! placeholders to be replaced.

use crate::error::{Error, ErrorKind, ErrorReply, Result};
use std::fmt;

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

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl EnhancedCode {
    /// Parses `x.y.z`; errors have kind `invalid_reply`.
    pub fn parse(s: &str) -> Result<EnhancedCode> {
        let parts: Vec<&str> = s.split('.').collect();
        let bad = || Error::new(ErrorKind::InvalidReply, format!("bad enhanced code {s:?}"));
        if parts.len() != 3 {
            return Err(bad());
        }
        Ok(EnhancedCode {
            class: parts[0].parse().map_err(|_| bad())?,
            subject: parts[1].parse().map_err(|_| bad())?,
            detail: parts[2].parse().map_err(|_| bad())?,
        })
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

/// Severity, from the first digit of the basic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// Category, from the subject of the enhanced code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// A parsed reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The basic three-digit code.
    pub code: u16,
    /// The enhanced code, when the first line carries one.
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line after `ddd-` / `ddd `, verbatim.
    pub lines: Vec<String>,
}

/// What a reply means for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The basic code.
    pub code: u16,
    /// The enhanced code, if any.
    pub enhanced: Option<EnhancedCode>,
    /// Severity (decided by the basic code).
    pub severity: Severity,
    /// Category from the enhanced subject; `None` without an enhanced code.
    pub category: Option<Category>,
    /// True only when retrying later may succeed.
    pub retry: bool,
    /// A human description (registry text of the enhanced code, else of the basic code).
    pub description: String,
    /// True when the basic and enhanced classes disagree.
    pub inconsistent: bool,
}

impl Reply {
    /// Parses a whole reply given as one string. Errors have kind `invalid_reply`.
    pub fn parse(text: &str) -> Result<Reply> {
        let first = text.lines().next().unwrap_or("");
        let code = first
            .get(..3)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| Error::new(ErrorKind::InvalidReply, "bad reply code"))?;
        Ok(Reply {
            code,
            enhanced: None,
            lines: vec![first.get(4..).unwrap_or("").to_string()],
        })
    }

    /// The text of the reply, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
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
            text: self.text(),
            recipient: recipient.map(str::to_string),
        }
    }
}

/// Classifies a code pair without a reply text.
pub fn classify_code(code: u16, enhanced: Option<EnhancedCode>, command: Option<Command>) -> Classification {
    let _ = command;
    let severity = match code / 100 {
        2 => Severity::Success,
        3 => Severity::Intermediate,
        4 => Severity::Transient,
        _ => Severity::Permanent,
    };
    Classification {
        code,
        enhanced,
        severity,
        category: None,
        retry: severity == Severity::Transient,
        description: String::new(),
        inconsistent: false,
    }
}

/// Incremental reader of replies on the wire: the transport splits its input into
/// lines (CRLF removed, length already bounded) and pushes them one at a time.
#[derive(Debug, Default)]
pub struct ReplyReader {
    lines: Vec<String>,
}

impl ReplyReader {
    /// A reader with no pending lines.
    pub fn new() -> ReplyReader {
        ReplyReader::default()
    }

    /// Pushes one line; returns the reply once its final line has arrived.
    /// Errors (kind `invalid_reply`): bad code, mixed codes, too many lines.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply>> {
        let line = String::from_utf8_lossy(line).into_owned();
        let last = line.as_bytes().get(3) != Some(&b'-');
        self.lines.push(line);
        if last {
            let text = std::mem::take(&mut self.lines).join("\r\n");
            return Reply::parse(&text).map(Some);
        }
        Ok(None)
    }
}
