//! Every message of tests/vectors/messages*.json, read back by the `mail-parser` crate
//! (a parser nobody here wrote): decoded headers equal the inputs, attachment bytes
//! equal, the MIME structure is the expected one, Bcc absent. The bytes are the ones
//! the vectors expect, so this also checks what every binding must produce.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use serde_json::Value;
use std::path::PathBuf;

fn expand(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(s)), Some(n)) = (map.get("$repeat"), map.get("times")) {
                return Value::String(s.repeat(n.as_u64().unwrap() as usize));
            }
            Value::Object(map.iter().map(|(k, v)| (k.clone(), expand(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(expand).collect()),
        other => other.clone(),
    }
}

/// (id, args, expected ok) of every ok case.
fn ok_cases() -> Vec<(String, Value, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("messages") && name.ends_with(".json")
        })
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            if let Some(ok) = case["expect"].get("ok") {
                cases.push((
                    case["id"].as_str().unwrap().to_string(),
                    expand(&case["args"]),
                    ok.clone(),
                ));
            }
        }
    }
    assert!(cases.len() >= 40, "only {} ok cases", cases.len());
    cases
}

/// (display name, `local@ascii-domain`) of a header-form input.
fn expected_mailbox(input: &str) -> (Option<String>, String) {
    let (name, spec) = match input.rsplit_once('<') {
        Some((name, rest)) => {
            let name = name.trim();
            let name = name
                .strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'))
                .unwrap_or(name);
            (
                (!name.is_empty()).then(|| name.to_string()),
                rest.trim_end_matches('>'),
            )
        }
        None => (None, input),
    };
    let (local, domain) = spec.rsplit_once('@').unwrap();
    (
        name,
        format!("{local}@{}", idna::domain_to_ascii(domain).unwrap()),
    )
}

fn addresses(header: Option<&mail_parser::Address<'_>>) -> Vec<(Option<String>, String)> {
    header
        .map(|a| {
            a.iter()
                .map(|addr| {
                    (
                        addr.name().map(str::to_string),
                        addr.address().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn list(args: &Value, name: &str) -> Vec<String> {
    match &args[name] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

fn structure(message: &Message<'_>, index: u32) -> String {
    let part = message.part(index).unwrap();
    match &part.body {
        PartType::Multipart(children) => {
            let ct = part.content_type().unwrap();
            let inner: Vec<String> = children.iter().map(|&c| structure(message, c)).collect();
            format!(
                "{}/{}({})",
                ct.ctype(),
                ct.subtype().unwrap_or(""),
                inner.join(",")
            )
        }
        _ if part.attachment_name().is_some() => "leaf".to_string(),
        _ => {
            let ct = part.content_type().unwrap();
            format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""))
        }
    }
}

fn expected_structure(args: &Value) -> String {
    let attachments = args["attachments"].as_array().cloned().unwrap_or_default();
    let inline = attachments
        .iter()
        .filter(|a| a.get("inline_id").is_some())
        .count();
    let files = attachments.len() - inline;
    let related = |first: &str| {
        if inline == 0 {
            first.to_string()
        } else {
            format!("multipart/related({first}{})", ",leaf".repeat(inline))
        }
    };
    let (text, html) = (args.get("text").is_some(), args.get("html").is_some());
    let body = match (text, html) {
        (true, true) => Some(format!(
            "multipart/alternative(text/plain,{})",
            related("text/html")
        )),
        (true, false) => Some(related("text/plain")),
        (false, true) => Some(related("text/html")),
        (false, false) if inline > 0 => Some(format!(
            "multipart/related({})",
            vec!["leaf"; inline].join(",")
        )),
        (false, false) => None,
    };
    if files == 0 {
        return body.unwrap_or_else(|| "text/plain".to_string());
    }
    let mut children: Vec<String> = body.into_iter().collect();
    children.extend(std::iter::repeat_n("leaf".to_string(), files));
    format!("multipart/mixed({})", children.join(","))
}

fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim_end_matches('\n')
        .to_string()
}

#[test]
fn mail_parser_reads_every_vector_as_its_inputs() {
    let parser = MessageParser::default();
    for (id, args, ok) in ok_cases() {
        let bytes = STANDARD
            .decode(ok["message_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(bytes.len() as u64, ok["size"].as_u64().unwrap(), "{id}");
        assert!(bytes.ends_with(b"\r\n"), "{id}");
        for line in bytes.split(|&b| b == b'\n') {
            assert!(line.len() <= 999, "{id}: a line longer than 998 octets");
            assert!(
                !line[..line.len().saturating_sub(1)].contains(&b'\r'),
                "{id}: bare CR"
            );
        }
        assert!(
            bytes
                .split(|&b| b == b'\n')
                .all(|l| l.ends_with(b"\r") || l.is_empty()),
            "{id}: bare LF"
        );
        let message = parser
            .parse(&bytes)
            .unwrap_or_else(|| panic!("{id}: mail-parser refused it"));

        assert!(message.bcc().is_none(), "{id}: a Bcc header");
        assert!(message.header_raw("Bcc").is_none(), "{id}");
        assert_eq!(
            addresses(message.from()),
            vec![expected_mailbox(args["from"].as_str().unwrap())],
            "{id}: From"
        );
        for (name, got) in [
            ("to", message.to()),
            ("cc", message.cc()),
            ("reply_to", message.reply_to()),
        ] {
            let want: Vec<_> = list(&args, name)
                .iter()
                .map(|a| expected_mailbox(a))
                .collect();
            assert_eq!(addresses(got), want, "{id}: {name}");
        }
        assert_eq!(
            message.subject().unwrap_or(""),
            args["subject"].as_str().unwrap(),
            "{id}: Subject"
        );
        let want_id = args["message_id"]
            .as_str()
            .unwrap()
            .trim_start_matches('<')
            .trim_end_matches('>');
        assert_eq!(message.message_id(), Some(want_id), "{id}: Message-ID");
        assert_eq!(ok["message_id"], want_id, "{id}");
        let given_date = parser
            .parse_headers(format!("Date: {}\r\n\r\n", args["date"].as_str().unwrap()).as_bytes())
            .and_then(|m| m.date().map(|d| d.to_timestamp()));
        assert_eq!(
            message.date().map(|d| d.to_timestamp()),
            given_date,
            "{id}: Date"
        );
        if let Some(Value::Object(headers)) = args.get("headers") {
            for (name, value) in headers {
                // mail-parser keeps unknown fields raw: decode them as it decodes
                // an unstructured field (Subject).
                let raw = message.header_raw(name.as_str()).unwrap_or("");
                let got = parser
                    .parse_headers(format!("Subject:{raw}\r\n").as_bytes())
                    .and_then(|m| m.subject().map(str::to_string))
                    .unwrap_or_default();
                assert_eq!(got, value.as_str().unwrap().trim(), "{id}: {name}");
            }
        }

        assert_eq!(
            structure(&message, 0),
            expected_structure(&args),
            "{id}: structure"
        );
        let inline = |p: &&mail_parser::MessagePart<'_>| p.attachment_name().is_none();
        for (key, body) in [
            ("text", message.text_bodies().find(inline)),
            ("html", message.html_bodies().find(inline)),
        ] {
            if let Some(want) = args[key].as_str() {
                let got = body.unwrap().text_contents().unwrap();
                assert_eq!(crlf(got), crlf(want), "{id}: {key}");
            }
        }
        let given = args["attachments"].as_array().cloned().unwrap_or_default();
        let parts: Vec<_> = message.attachments().collect();
        assert_eq!(parts.len(), given.len(), "{id}: attachment count");
        for (part, given) in parts.iter().zip(&given) {
            assert_eq!(
                part.attachment_name(),
                given["filename"].as_str(),
                "{id}: filename"
            );
            let want = STANDARD
                .decode(given["content_base64"].as_str().unwrap())
                .unwrap();
            // The encoded body as written, decoded here (mail-parser would convert
            // text/* charsets to UTF-8).
            let raw = &bytes[part.offset_body as usize..part.offset_end as usize];
            let b64: Vec<u8> = raw
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            assert_eq!(
                STANDARD.decode(&b64).unwrap(),
                want,
                "{id}: attachment bytes"
            );
            if !matches!(part.body, PartType::Text(_) | PartType::Html(_)) {
                assert_eq!(
                    part.contents(),
                    want.as_slice(),
                    "{id}: attachment bytes (mail-parser)"
                );
            }
            let ct = part.content_type().unwrap();
            let essence =
                format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")).to_ascii_lowercase();
            match given["content_type"].as_str() {
                Some(given_ct) => {
                    let want_essence = given_ct
                        .split(';')
                        .next()
                        .unwrap()
                        .trim()
                        .to_ascii_lowercase();
                    assert_eq!(essence, want_essence, "{id}: content type");
                }
                None => assert_eq!(
                    essence,
                    mime_guess::from_path(given["filename"].as_str().unwrap())
                        .first_or_octet_stream()
                        .essence_str(),
                    "{id}: guessed content type"
                ),
            }
            match given.get("inline_id").and_then(Value::as_str) {
                Some(cid) => {
                    assert_eq!(
                        part.content_id(),
                        Some(cid.trim_start_matches('<').trim_end_matches('>')),
                        "{id}"
                    );
                    assert!(part.content_disposition().unwrap().is_inline(), "{id}");
                }
                None => assert!(part.content_disposition().unwrap().is_attachment(), "{id}"),
            }
        }
    }
}
