//! `classifyReply`, `classifyCode` and `extractNotificationId`: the core's `reply` and
//! `notification_id` modules for JavaScript. Results are the core's `Classification`,
//! whose JavaScript shape (`ReplyClassification`) the core derives (feature `wasm`).

use email365::reply::{check_code, classify_code, Classification, Command, EnhancedCode, Reply};
use email365::{Error, ErrorKind};
use serde::Deserialize;
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

/// The TypeScript union of the command names (`Command::as_str`); `Command::from_name`
/// also takes `"MAIL FROM"`, `"RCPT TO"`, `"."` and any letter case. A native test
/// checks the union against `Command::ALL`.
#[allow(dead_code)]
const SMTP_COMMAND_TS: &str = r#"
/** The SMTP command a reply answers (`GREETING` for the banner, `DATA_END` for the final reply to the message data). */
export type SmtpCommand =
  | "GREETING" | "EHLO" | "HELO" | "STARTTLS" | "AUTH" | "MAIL" | "RCPT" | "DATA" | "DATA_END"
  | "BDAT" | "RSET" | "NOOP" | "QUIT" | "OTHER";
"#;

#[wasm_bindgen(typescript_custom_section)]
const TS_SMTP_COMMAND: &'static str = SMTP_COMMAND_TS;

/// The core's command of a name; an unknown name is `invalid_argument`.
pub fn command(name: Option<&str>) -> Result<Option<Command>, Error> {
    name.map(|n| {
        Command::from_name(n).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("argument \"command\" names no SMTP command: {n:?}"),
            )
            .with_reason("unknown_command")
        })
    })
    .transpose()
}

/// Options of `classifyReply`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", default)]
pub struct ClassifyReplyOptions {
    /// The command the reply answers, for context-dependent advice.
    #[tsify(optional, type = "SmtpCommand")]
    pub command: Option<String>,
}

/// Options of `classifyCode`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", default)]
pub struct ClassifyCodeOptions {
    /// The enhanced code `class.subject.detail`.
    #[tsify(optional)]
    pub enhanced: Option<String>,
    /// The command the reply answers, for context-dependent advice.
    #[tsify(optional, type = "SmtpCommand")]
    pub command: Option<String>,
}

/// Classifies a code pair: the core checks the basic code (`check_code`) and the
/// enhanced code (`EnhancedCode::parse`), both `invalid_reply`.
pub fn classify_code_pair(
    code: f64,
    options: &ClassifyCodeOptions,
) -> Result<Classification, Error> {
    let command = command(options.command.as_deref())?;
    // A JS number is a reply code only when it is a whole number ≥ 0 (as a JSON integer).
    if !(code.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&code)) {
        return Err(Error::new(
            ErrorKind::InvalidReply,
            format!("{code} is not an SMTP reply code"),
        )
        .with_reason("bad_code"));
    }
    let code = check_code(code as u64)?;
    let enhanced = options
        .enhanced
        .as_deref()
        .map(EnhancedCode::parse)
        .transpose()?;
    Ok(classify_code(code, enhanced, command))
}

/// Parses a whole reply (one string, single or multi-line) and classifies it. Throws
/// `invalid_reply`.
#[wasm_bindgen(js_name = classifyReply, unchecked_return_type = "ReplyClassification")]
pub fn classify_reply(
    reply: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "ClassifyReplyOptions")] options: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let options: ClassifyReplyOptions = crate::read_options(options, "classifyReply options")?;
    let command = crate::throw(command(options.command.as_deref()))?;
    let parsed = crate::throw(Reply::parse(reply))?;
    crate::to_js(&parsed.classify(command))
}

/// Classifies a basic code with an optional enhanced code. Throws `invalid_reply`.
#[wasm_bindgen(js_name = classifyCode, unchecked_return_type = "ReplyClassification")]
pub fn classify_code_js(
    code: f64,
    #[wasm_bindgen(unchecked_optional_param_type = "ClassifyCodeOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options: ClassifyCodeOptions = crate::read_options(options, "classifyCode options")?;
    let classification = crate::throw(classify_code_pair(code, &options))?;
    crate::to_js(&classification)
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
    fn the_typescript_union_lists_exactly_the_core_commands() {
        let union = SMTP_COMMAND_TS
            .split_once('=')
            .map(|(_, u)| u)
            .unwrap_or("");
        let listed: Vec<&str> = union.split('"').skip(1).step_by(2).collect();
        let names: Vec<&str> = Command::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, names);
    }

    #[test]
    fn commands_are_read_by_the_core() {
        assert_eq!(command(Some("rcpt to")).unwrap(), Some(Command::Rcpt));
        assert_eq!(command(None).unwrap(), None);
        let e = command(Some("FETCH")).unwrap_err();
        assert_eq!(
            (e.kind(), e.reason()),
            (ErrorKind::InvalidArgument, Some("unknown_command"))
        );
    }
}
