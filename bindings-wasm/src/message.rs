//! `buildMessage` and `envelopeFromMessage`: the core's `message` module for JavaScript.
//! Message bytes cross as `Uint8Array`. Results are the core's `BuiltMessage` and
//! `EnvelopeOfMessage`, whose JavaScript shapes the core derives (feature `wasm`).

use email365::message::wasm::EnvelopeOfMessage;
use email365::message::{Attachment, BuiltMessage, MessageBuilder};
use email365::policy::SenderPolicy;
use email365::Error;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

/// One or several addresses.
///
/// Read by a small visitor (a string, or a list of strings) rather than
/// `#[serde(untagged)]`, whose buffering of the value through serde's private `Content`
/// type costs the WebAssembly module several KB (docs/PERFORMANCE.md, "Module size").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany {
    /// A single address.
    One(String),
    /// A list of addresses.
    Many(Vec<String>),
}

/// The declaration of [`OneOrMany`] (written here: its `Deserialize` is hand-made).
#[wasm_bindgen(typescript_custom_section)]
const ONE_OR_MANY_TS: &str = "export type OneOrMany = string | string[];";

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OneOrMany, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(OneOrMany::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl OneOrMany {
    /// The addresses as a list.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Custom headers in the order the object lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderList(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for HeaderList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HeaderList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeaderList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of header names to string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderList, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(HeaderList(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A file attached to the message (or an inline part when `inlineId` is set).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentInput {
    /// The file name shown to the recipient.
    pub filename: String,
    /// The media type; guessed from the file name when absent.
    #[tsify(optional)]
    #[serde(default)]
    pub content_type: Option<String>,
    /// The bytes.
    #[tsify(type = "Uint8Array")]
    #[serde(with = "serde_bytes")]
    pub content: Vec<u8>,
    /// Content-ID for `cid:` references from the HTML body (makes the part inline).
    #[tsify(optional)]
    #[serde(default)]
    pub inline_id: Option<String>,
}

/// What `buildMessage` builds a message from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct MessageInput {
    /// The sender, header form (`Name <local@domain>` or `local@domain`).
    pub from: String,
    /// The recipients.
    #[tsify(optional)]
    #[serde(default)]
    pub to: Vec<String>,
    /// Carbon-copy recipients.
    #[tsify(optional)]
    #[serde(default)]
    pub cc: Vec<String>,
    /// Blind-copy recipients: envelope only, never in the bytes.
    #[tsify(optional)]
    #[serde(default)]
    pub bcc: Vec<String>,
    /// Reply-To, one address or several.
    #[tsify(optional, type = "OneOrMany")]
    #[serde(default)]
    pub reply_to: Option<OneOrMany>,
    /// The subject.
    pub subject: String,
    /// The plain-text body.
    #[tsify(optional)]
    #[serde(default)]
    pub text: Option<String>,
    /// The HTML body.
    #[tsify(optional)]
    #[serde(default)]
    pub html: Option<String>,
    /// Attachments and inline parts.
    #[tsify(optional)]
    #[serde(default)]
    pub attachments: Vec<AttachmentInput>,
    /// Extra headers (names the builder owns are refused).
    #[tsify(optional, type = "Record<string, string>")]
    #[serde(default)]
    pub headers: HeaderList,
    /// The Message-ID (`<id@host>` or `id@host`); generated when absent.
    #[tsify(optional)]
    #[serde(default)]
    pub message_id: Option<String>,
    /// The Date header (RFC 5322 date-time); now when absent.
    #[tsify(optional)]
    #[serde(default)]
    pub date: Option<String>,
    /// A Sender header (header form), when someone sends on behalf of `from`.
    #[tsify(optional)]
    #[serde(default)]
    pub sender: Option<String>,
    /// The envelope sender (bounce address) instead of `from`; `""` for `<>`.
    #[tsify(optional)]
    #[serde(default)]
    pub envelope_from: Option<String>,
    /// The account's registered senders: `from` outside them is `sender_not_registered`.
    #[tsify(optional)]
    #[serde(default)]
    pub sender_policy: Option<SenderPolicyInput>,
}

/// The registered sender domains and addresses of an account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct SenderPolicyInput {
    /// Registered domains (Unicode or ASCII).
    #[tsify(optional)]
    #[serde(default)]
    pub domains: Vec<String>,
    /// Registered addresses.
    #[tsify(optional)]
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// Builds the message with the core's `MessageBuilder`: every field maps onto one
/// builder call, headers in the order the object lists them.
pub fn build(input: &MessageInput) -> Result<BuiltMessage, Error> {
    let mut builder = MessageBuilder::new()
        .from(input.from.as_str())
        .subject(input.subject.as_str());
    for a in &input.to {
        builder = builder.to(a.as_str());
    }
    for a in &input.cc {
        builder = builder.cc(a.as_str());
    }
    for a in &input.bcc {
        builder = builder.bcc(a.as_str());
    }
    if let Some(reply_to) = &input.reply_to {
        let list = match reply_to {
            OneOrMany::One(a) => std::slice::from_ref(a),
            OneOrMany::Many(v) => v.as_slice(),
        };
        for a in list {
            builder = builder.reply_to(a.as_str());
        }
    }
    if let Some(text) = &input.text {
        builder = builder.text(text.as_str());
    }
    if let Some(html) = &input.html {
        builder = builder.html(html.as_str());
    }
    for a in &input.attachments {
        let mut attachment = Attachment::new(a.filename.as_str(), a.content.as_slice());
        if let Some(ct) = &a.content_type {
            attachment = attachment.content_type(ct.as_str());
        }
        if let Some(cid) = &a.inline_id {
            attachment = attachment.inline(cid.as_str());
        }
        builder = builder.attachment(attachment);
    }
    for (name, value) in &input.headers.0 {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let Some(id) = &input.message_id {
        builder = builder.message_id(id.as_str());
    }
    if let Some(date) = &input.date {
        builder = builder.date(date.as_str());
    }
    if let Some(sender) = &input.sender {
        builder = builder.sender(sender.as_str());
    }
    if let Some(bounce) = &input.envelope_from {
        builder = builder.envelope_from(bounce.as_str());
    }
    if let Some(policy) = &input.sender_policy {
        builder = builder.sender_policy(SenderPolicy::new(&policy.domains, &policy.addresses)?);
    }
    builder.build()
}

/// Builds a MIME message: bytes (`Uint8Array`), envelope, message id and size. Throws
/// `invalid_message` (reason = diagnosis, the address diagnosis for a bad address) or
/// `sender_not_registered`.
#[wasm_bindgen(js_name = buildMessage, unchecked_return_type = "BuiltMessageData")]
pub fn build_message(
    #[wasm_bindgen(unchecked_param_type = "MessageInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    let input: MessageInput = crate::from_js(input, "buildMessage input")?;
    let built = crate::throw(build(&input))?;
    crate::to_js(&built)
}

/// The envelope of an existing RFC 5322 message (From or Sender; To, Cc, Bcc) and its
/// bytes with the Bcc header removed. Throws `invalid_message`.
#[wasm_bindgen(js_name = envelopeFromMessage, unchecked_return_type = "EnvelopeOfMessage")]
pub fn envelope_from_message(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let found = crate::throw(email365::message::envelope_from_message(bytes))?;
    crate::to_js(&EnvelopeOfMessage::from(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_reaches_the_core_builder() {
        let input = MessageInput {
            from: "Ann <ann@example.com>".into(),
            to: vec!["bob@example.org".into()],
            cc: vec!["carol@example.org".into()],
            bcc: vec!["dave@example.org".into(), "BOB@example.org".into()],
            reply_to: Some(OneOrMany::Many(vec!["help@example.com".into()])),
            subject: "Hello".into(),
            text: Some("hi\n".into()),
            html: Some("<p>hi</p>".into()),
            attachments: vec![AttachmentInput {
                filename: "a.txt".into(),
                content_type: Some("text/plain".into()),
                content: b"abc".to_vec(),
                inline_id: None,
            }],
            headers: HeaderList(vec![
                ("X-First".into(), "1".into()),
                ("X-Second".into(), "2".into()),
            ]),
            message_id: Some("<m1@example.com>".into()),
            date: Some("Sat, 28 Nov 2026 12:00:00 +0000".into()),
            sender: None,
            envelope_from: None,
            sender_policy: None,
        };
        let built = build(&input).unwrap();
        let text = String::from_utf8_lossy(&built.bytes).into_owned();
        assert_eq!(built.message_id, "m1@example.com");
        assert_eq!(built.envelope.mail_from, "ann@example.com");
        assert_eq!(
            built.envelope.rcpt_to.len(),
            4,
            "{:?}",
            built.envelope.rcpt_to
        );
        assert!(
            text.contains("Reply-To: <help@example.com>")
                || text.contains("Reply-To: help@example.com"),
            "{text}"
        );
        assert!(text.find("X-First: 1").unwrap() < text.find("X-Second: 2").unwrap());
        assert!(
            !text.contains("dave@example.org"),
            "Bcc stays out of the bytes"
        );
        assert!(text.contains("a.txt"));
    }

    #[test]
    fn a_sender_outside_the_policy_is_refused() {
        let input = MessageInput {
            from: "ann@example.com".into(),
            to: vec!["bob@example.org".into()],
            cc: vec![],
            bcc: vec![],
            reply_to: None,
            subject: "s".into(),
            text: Some("t".into()),
            html: None,
            attachments: vec![],
            headers: HeaderList::default(),
            message_id: None,
            date: None,
            sender: None,
            envelope_from: None,
            sender_policy: Some(SenderPolicyInput {
                domains: vec!["example.net".into()],
                addresses: vec![],
            }),
        };
        let e = build(&input).unwrap_err();
        assert_eq!(e.kind(), email365::ErrorKind::SenderNotRegistered);
    }

    #[test]
    fn reply_to_takes_one_or_many() {
        assert_eq!(
            OneOrMany::One("a@x.org".into()).into_vec(),
            vec!["a@x.org".to_string()]
        );
        assert_eq!(
            OneOrMany::Many(vec!["a@x.org".into(), "b@x.org".into()])
                .into_vec()
                .len(),
            2
        );
    }
}
