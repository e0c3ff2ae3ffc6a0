//! `classifyReply`, `classifyCode` and `extractNotificationId`: the core's `reply` and
//! `notification_id` modules for JavaScript.

use email365::reply::{
    classify_code, Category, Classification, Command, EnhancedCode, Reply, Severity,
};
use email365::{Error, ErrorKind};
use serde::{Deserialize, Serialize};
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

/// The SMTP command a reply answers (upper-case verbs; `GREETING` for the banner,
/// `DATA_END` for the final reply to the message data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SmtpCommand {
    /// The server's greeting.
    Greeting,
    /// EHLO.
    Ehlo,
    /// HELO.
    Helo,
    /// STARTTLS.
    #[serde(rename = "STARTTLS")]
    StartTls,
    /// AUTH.
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

impl From<SmtpCommand> for Command {
    fn from(c: SmtpCommand) -> Command {
        match c {
            SmtpCommand::Greeting => Command::Greeting,
            SmtpCommand::Ehlo => Command::Ehlo,
            SmtpCommand::Helo => Command::Helo,
            SmtpCommand::StartTls => Command::StartTls,
            SmtpCommand::Auth => Command::Auth,
            SmtpCommand::Mail => Command::Mail,
            SmtpCommand::Rcpt => Command::Rcpt,
            SmtpCommand::Data => Command::Data,
            SmtpCommand::DataEnd => Command::DataEnd,
            SmtpCommand::Bdat => Command::Bdat,
            SmtpCommand::Rset => Command::Rset,
            SmtpCommand::Noop => Command::Noop,
            SmtpCommand::Quit => Command::Quit,
            SmtpCommand::Other => Command::Other,
        }
    }
}

/// Options of `classifyReply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", default)]
pub struct ClassifyReplyOptions {
    /// The command the reply answers, for context-dependent advice.
    #[tsify(optional)]
    pub command: Option<SmtpCommand>,
}

/// Options of `classifyCode`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", default)]
pub struct ClassifyCodeOptions {
    /// The enhanced code `class.subject.detail`.
    #[tsify(optional)]
    pub enhanced: Option<String>,
    /// The command the reply answers, for context-dependent advice.
    #[tsify(optional)]
    pub command: Option<SmtpCommand>,
}

/// What a reply means for the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ReplyClassification {
    /// The basic three-digit code.
    pub code: u16,
    /// The enhanced code `class.subject.detail`, or `null`.
    #[tsify(type = "string | null")]
    pub enhanced: Option<String>,
    /// Decided by the basic code.
    #[tsify(type = "\"success\" | \"intermediate\" | \"transient\" | \"permanent\"")]
    pub severity: &'static str,
    /// From the enhanced subject; `null` without an enhanced code.
    #[tsify(
        type = "\"addressing\" | \"mailbox\" | \"mail_system\" | \"network\" | \"protocol\" | \"content\" | \"security\" | \"other\" | null"
    )]
    pub category: Option<&'static str>,
    /// True only when retrying later may succeed.
    pub retry: bool,
    /// Registry text of the enhanced code, else of the basic code.
    pub description: String,
    /// True when the basic and enhanced classes disagree (the basic code decides).
    pub inconsistent: bool,
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Success => "success",
        Severity::Intermediate => "intermediate",
        Severity::Transient => "transient",
        Severity::Permanent => "permanent",
    }
}

fn category_name(c: Category) -> &'static str {
    match c {
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

impl From<Classification> for ReplyClassification {
    fn from(c: Classification) -> ReplyClassification {
        ReplyClassification {
            code: c.code,
            enhanced: c.enhanced.map(|e| e.to_string()),
            severity: severity_name(c.severity),
            category: c.category.map(category_name),
            retry: c.retry,
            description: c.description,
            inconsistent: c.inconsistent,
        }
    }
}

/// Classifies a code pair: the basic code is checked by the core's reply parser, the
/// enhanced code by the core's `EnhancedCode::parse` (both `invalid_reply`).
pub fn classify_code_pair(
    code: f64,
    options: &ClassifyCodeOptions,
) -> Result<Classification, Error> {
    if !(code.fract() == 0.0 && (0.0..=999.0).contains(&code)) {
        return Err(Error::new(
            ErrorKind::InvalidReply,
            format!("reply code {code} is not a three-digit number"),
        )
        .with_reason("bad_code"));
    }
    let code = code as u16;
    // The core's parser owns the rules for basic codes.
    Reply::parse(&format!("{code:03}"))?;
    let enhanced = options
        .enhanced
        .as_deref()
        .map(EnhancedCode::parse)
        .transpose()?;
    Ok(classify_code(
        code,
        enhanced,
        options.command.map(Command::from),
    ))
}

/// Parses a whole reply (one string, single or multi-line) and classifies it. Throws
/// `invalid_reply`.
#[wasm_bindgen(js_name = classifyReply, unchecked_return_type = "ReplyClassification")]
pub fn classify_reply(
    reply: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "ClassifyReplyOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options: ClassifyReplyOptions = crate::read_options(options, "classifyReply options")?;
    let parsed = crate::throw(Reply::parse(reply))?;
    crate::to_js(&ReplyClassification::from(
        parsed.classify(options.command.map(Command::from)),
    ))
}

/// Classifies a basic code with an optional enhanced code. Throws `invalid_reply`.
#[wasm_bindgen(js_name = classifyCode, unchecked_return_type = "ReplyClassification")]
pub fn classify_code_js(
    code: f64,
    #[wasm_bindgen(unchecked_optional_param_type = "ClassifyCodeOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options: ClassifyCodeOptions = crate::read_options(options, "classifyCode options")?;
    let classification = crate::throw(classify_code_pair(code, &options))?;
    crate::to_js(&ReplyClassification::from(classification))
}

/// The notification id in the server's final reply to the message data, or `null`.
#[wasm_bindgen(js_name = extractNotificationId, unchecked_return_type = "string | null")]
pub fn extract_notification_id(reply: &str) -> JsValue {
    match email365::notification_id::extract_notification_id(reply) {
        Some(id) => JsValue::from_str(&id),
        None => JsValue::NULL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_out_of_range_are_invalid_replies() {
        for code in [-1.0, 1000.0, 25.5, f64::NAN] {
            let e = classify_code_pair(code, &ClassifyCodeOptions::default()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidReply, "{code}");
        }
    }

    #[test]
    fn a_bad_enhanced_code_is_an_invalid_reply() {
        let options = ClassifyCodeOptions {
            enhanced: Some("5.x.1".into()),
            command: None,
        };
        let e = classify_code_pair(550.0, &options).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidReply);
    }

    #[test]
    fn classification_names_are_snake_case() {
        let c = classify_code_pair(451.0, &ClassifyCodeOptions::default()).unwrap();
        let dto = ReplyClassification::from(c);
        assert_eq!(dto.severity, "transient");
        assert!(dto.retry);
        assert_eq!(category_name(Category::MailSystem), "mail_system");
    }
}
