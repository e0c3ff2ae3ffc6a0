//! The glue to mail-builder: the checked attachment parts, the MIME tree
//! (mixed ⊃ alternative ⊃ related), deterministic boundaries, and serialisation.
//!
//! What mail-builder 2.0.1 does with what it gets (read from its source): unstructured
//! text (`Text`) becomes RFC 2047 Q or B encoded words when it holds non-ASCII or is
//! longer than 77 octets; `Raw` is folded at white space; display names are quoted or
//! encoded; content-type parameters with non-ASCII are written in RFC 2231 form
//! (`filename*=UTF-8''…`, split into `filename*0*` sections when long); text bodies
//! get 7bit, quoted-printable or base64, whichever is shortest; binary bodies base64.
//! It strips controls from addresses instead of refusing them and writes the content
//! type verbatim: the checks in `headers` run first.

use std::borrow::Cow;

use mail_builder::headers::address::Address as MbAddress;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use mail_builder::headers::{Header, HeaderType};
use mail_builder::mime::{BodyPart, MimePart};

use super::headers::{self, check_text, invalid, parse_content_id, parse_content_type};
use super::{Attachment, Mailbox};
use crate::error::Result;

/// An attachment after its checks.
pub(crate) struct CheckedPart<'b> {
    filename: &'b str,
    /// The serialised Content-Type value (parameters encoded by mail-builder).
    content_type: String,
    content: &'b [u8],
    content_id: Option<String>,
}

pub(crate) fn check_attachment<'b>(
    index: usize,
    attachment: &'b Attachment<'_>,
    earlier: &[CheckedPart<'_>],
) -> Result<CheckedPart<'b>> {
    let field = format!("the filename of attachment {index}");
    if attachment.filename.is_empty() {
        return Err(invalid("invalid_filename", format!("{field} is empty")));
    }
    check_text(&field, &attachment.filename, false)?;
    let parsed = match &attachment.content_type {
        Some(ct) => parse_content_type(ct)?,
        None => parse_content_type(&super::mime_types::guess(&attachment.filename))?,
    };
    let content_id = match &attachment.content_id {
        Some(cid) => {
            let cid = parse_content_id(cid)?;
            if earlier
                .iter()
                .any(|p| p.content_id.as_deref() == Some(cid.as_str()))
            {
                return Err(invalid(
                    "duplicate_content_id",
                    format!("the content id {cid:?} is used by two inline parts"),
                ));
            }
            Some(cid)
        }
        None => None,
    };
    let mut content_type = ContentType::new(parsed.mime.as_str());
    for (name, value) in &parsed.params {
        content_type = content_type.attribute(name.as_str(), value.as_str());
    }
    if !parsed.params.iter().any(|(n, _)| n == "name") {
        content_type = content_type.attribute("name", attachment.filename.as_str());
    }
    Ok(CheckedPart {
        filename: &attachment.filename,
        content_type: serialise_unfolded(&content_type),
        content: &attachment.content,
        content_id,
    })
}

/// mail-builder's serialisation of a header value, unfolded (the `Raw` header that
/// carries it is folded again at its white space).
fn serialise_unfolded(value: &impl Header) -> String {
    let mut out = Vec::new();
    value.write_header(&mut out, "Content-Type: ".len());
    let text = String::from_utf8_lossy(&out);
    text.trim_end_matches("\r\n").replace("\r\n", "")
}

/// Everything the serialiser needs, checked.
pub(crate) struct Parts<'b> {
    pub(crate) from: &'b Mailbox<'b>,
    pub(crate) sender: Option<&'b Mailbox<'b>>,
    pub(crate) to: &'b [Mailbox<'b>],
    pub(crate) cc: &'b [Mailbox<'b>],
    pub(crate) reply_to: &'b [Mailbox<'b>],
    pub(crate) subject: Option<&'b str>,
    /// The Date value (ASCII).
    pub(crate) date: &'b [u8],
    pub(crate) message_id: &'b str,
    pub(crate) headers: &'b [(String, String)],
    pub(crate) text: Option<&'b str>,
    pub(crate) html: Option<&'b str>,
    /// Whether a body holds `=_` (else no boundary prefix can occur in them).
    pub(crate) bodies_hold_boundary_mark: bool,
    pub(crate) attachments: &'b [CheckedPart<'b>],
}

fn mb_address<'m>(m: &'m Mailbox<'_>) -> MbAddress<'m> {
    MbAddress::new_address(m.display_name(), m.spec())
}

fn mb_list<'m>(list: &'m [Mailbox<'_>]) -> MbAddress<'m> {
    match list {
        [one] => mb_address(one),
        _ => MbAddress::new_list(list.iter().map(mb_address).collect()),
    }
}

/// An unstructured header value: `Raw` (folded at white space) when it is ASCII and
/// fits, else `Text` (RFC 2047 encoded words).
///
/// ASCII text that holds `=?` would be decoded by readers as if it were an encoded
/// word, and mail-builder writes such text as it is: it is written as "B" encoded
/// words here (mail-builder encodes non-ASCII text itself).
fn unstructured<'b>(name: &str, value: &'b str) -> HeaderType<'b> {
    if value.is_ascii() && contains(value.as_bytes(), b"=?") {
        HeaderType::Raw(Raw::new(b_words(value)))
    } else if value.is_ascii()
        // A value that fits on one line is foldable without looking at its words.
        && (name.len() + 2 + value.len() <= headers::MAX_LINE
            || headers::foldable(name.len(), value))
        && !value.ends_with([' ', '\t'])
    {
        HeaderType::Raw(Raw::new(value))
    } else {
        HeaderType::Text(Text::new(value))
    }
}

/// ASCII `value` as RFC 2047 "B" encoded words of at most 72 characters, separated by
/// spaces (readers drop white space between encoded words).
fn b_words(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for (i, chunk) in value.as_bytes().chunks(45).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str("=?utf-8?B?");
        crate::b64::encode_to_string(chunk, &mut out);
        out.push_str("?=");
    }
    out
}

/// 64-bit FNV-1a.
fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    let mut hash = seed;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Whether `needle` occurs in `haystack`: a SIMD search for its first byte, then a
/// comparison at each hit (both needles here start with `=`, rare in text).
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    memchr::memchr_iter(first, haystack).any(|at| haystack[at..].starts_with(needle))
}

/// A multipart boundary: the prefix (`=_` and 16 lower-case hex digits), `_` and the
/// multipart's number, on the stack.
#[derive(Clone, Copy)]
struct Boundary([u8; 20]);

impl Boundary {
    #[cfg(test)]
    fn as_str(&self) -> &str {
        // Only ASCII is ever written: the check cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The prefix alone (what the bodies are searched for).
    fn prefix(&self) -> &[u8] {
        &self.0[..18]
    }

    /// The boundary of the multipart numbered `number` (1 to 3) with this prefix.
    fn numbered(mut self, number: u8) -> Boundary {
        self.0[19] = b'0' + number % 10;
        self
    }
}

/// `=_`, 16 lower-case hex digits of `value`, `_` (the number follows).
fn hex_prefix(value: u64) -> Boundary {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'_'; 20];
    out[0] = b'=';
    for (i, digit) in out[2..18].iter_mut().enumerate() {
        *digit = HEX[((value >> ((15 - i) * 4)) & 15) as usize];
    }
    Boundary(out)
}

/// The boundary prefix: derived from the id, the date and the body sizes, and changed
/// until no text body contains it (attachments are base64, which has no `=_`).
fn boundary_prefix(parts: &Parts<'_>) -> Boundary {
    let mut seed = fnv1a(0xcbf2_9ce4_8422_2325, parts.message_id.as_bytes());
    seed = fnv1a(seed, parts.date);
    for body in [parts.text, parts.html].into_iter().flatten() {
        seed = fnv1a(seed, &(body.len() as u64).to_le_bytes());
    }
    let mut salt = 0u64;
    loop {
        let prefix = hex_prefix(fnv1a(seed, &salt.to_le_bytes()));
        let taken = parts.bodies_hold_boundary_mark
            && [parts.text, parts.html]
                .into_iter()
                .flatten()
                .any(|b| contains(b.as_bytes(), prefix.prefix()));
        if !taken {
            return prefix;
        }
        salt = salt.wrapping_add(1);
    }
}

fn leaf<'b>(part: &'b CheckedPart<'b>) -> MimePart<'b> {
    let disposition = if part.content_id.is_some() {
        "inline"
    } else {
        "attachment"
    };
    let mut headers: Vec<(Cow<'b, str>, HeaderType<'b>)> = vec![
        (
            Cow::Borrowed("Content-Type"),
            HeaderType::Raw(Raw::new(part.content_type.as_str())),
        ),
        (
            Cow::Borrowed("Content-Disposition"),
            HeaderType::ContentType(
                ContentType::new(disposition).attribute("filename", part.filename),
            ),
        ),
    ];
    if let Some(cid) = &part.content_id {
        headers.push((
            Cow::Borrowed("Content-ID"),
            HeaderType::MessageId(MessageId::new(cid.as_str())),
        ));
    }
    // A Content-Type given as Raw is not "text" to mail-builder: every attachment is
    // written base64, its bytes unchanged (no CRLF conversion of text files).
    MimePart {
        headers,
        contents: BodyPart::Binary(Cow::Borrowed(part.content)),
    }
}

/// Whether the core base64-encodes attachments itself (wasm32, see `b64`) rather than
/// leaving them to mail-builder; the bytes written are the same.
const ENCODE_ATTACHMENTS: bool = cfg!(target_arch = "wasm32");

/// Writes an attachment or inline part.
fn write_leaf(out: &mut Vec<u8>, part: &CheckedPart<'_>, encode_here: bool) {
    let mut mime = leaf(part);
    if !encode_here {
        mime.write_part(out);
        return;
    }
    // A Content-Transfer-Encoding header makes mail-builder write the body as it is,
    // after the blank line that ends the headers: the same bytes as its own base64.
    mime.headers.push((
        Cow::Borrowed("Content-Transfer-Encoding"),
        HeaderType::Raw(Raw::new("base64")),
    ));
    mime.contents = BodyPart::Binary(Cow::Borrowed(&[]));
    mime.write_part(out);
    crate::b64::encode_lines(part.content, out);
}

/// `name: value` as mail-builder's `MessageBuilder::serialize` writes it.
fn write_header(out: &mut Vec<u8>, name: &str, value: &impl Header) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    value.write_header(out, name.len() + 2);
}

/// The base64 size of `len` bytes in 76-character lines: more than any encoding
/// mail-builder can pick for a part of that size.
fn base64_len(len: usize) -> usize {
    let chars = len.div_ceil(3) * 4;
    chars + (chars / 76 + 1) * 2
}

/// A capacity for the whole message, so that the output is not reallocated (and a
/// large attachment not copied) while it is written.
fn estimated_len(parts: &Parts<'_>) -> usize {
    const PART_OVERHEAD: usize = 256;
    let mut len = 1024 + parts.subject.map_or(0, |s| s.len() * 2);
    len += (parts.to.len() + parts.cc.len() + parts.reply_to.len() + 2) * 128;
    for (name, value) in parts.headers {
        len += name.len() + 4 + value.len() * 2;
    }
    for body in [parts.text, parts.html].into_iter().flatten() {
        len += base64_len(body.len()) + PART_OVERHEAD;
    }
    for part in parts.attachments {
        len += base64_len(part.content.len()) + PART_OVERHEAD + part.filename.len() * 4;
    }
    len
}

/// `Content-Type: multipart/…; boundary="…"` exactly as mail-builder's `ContentType`
/// writes a multipart's header (`multipart_headers_are_written_as_mail_builder_writes_them`
/// checks it): the line always fits (at most 68 octets), the boundary needs no quoting
/// escapes.
fn open_multipart(out: &mut Vec<u8>, subtype: &str, boundary: &Boundary) {
    out.extend_from_slice(b"Content-Type: ");
    out.extend_from_slice(subtype.as_bytes());
    out.extend_from_slice(b"; boundary=\"");
    out.extend_from_slice(&boundary.0);
    out.extend_from_slice(b"\"\r\n");
}

/// `Date: …` as mail-builder's `Raw` writes it: a value that fits on the line with
/// no line break (always, for the canonical form of at most 31 octets) as it is, then
/// CRLF; anything else through `Raw` itself.
fn write_date(out: &mut Vec<u8>, date: &[u8]) {
    const FOLD_TARGET: usize = 78;
    if "Date: ".len() + date.len() <= FOLD_TARGET && !date.iter().any(|&b| b == b'\r' || b == b'\n')
    {
        out.extend_from_slice(b"Date: ");
        out.extend_from_slice(date);
        out.extend_from_slice(b"\r\n");
    } else {
        let text = String::from_utf8_lossy(date);
        write_header(out, "Date", &Raw::new(text.as_ref()));
    }
}

/// The delimiter line before each part of a multipart.
fn delimiter(out: &mut Vec<u8>, boundary: &Boundary) {
    out.extend_from_slice(b"\r\n--");
    out.extend_from_slice(&boundary.0);
    out.extend_from_slice(b"\r\n");
}

/// The closing delimiter of a multipart.
fn close_multipart(out: &mut Vec<u8>, boundary: &Boundary) {
    out.extend_from_slice(b"\r\n--");
    out.extend_from_slice(&boundary.0);
    out.extend_from_slice(b"--\r\n");
}

fn text_part<'t>(subtype: &'static str, text: &'t str) -> MimePart<'t> {
    MimePart::new(subtype, BodyPart::Text(Cow::Borrowed(text)))
}

/// The body without the attachments: the text and/or HTML part, with the inline parts
/// in a multipart/related around the HTML (or the only body). `None` when there is
/// nothing.
struct BodyTree<'w> {
    text: Option<&'w str>,
    html: Option<&'w str>,
    inline: &'w [&'w CheckedPart<'w>],
    related: Boundary,
    alternative: Boundary,
}

impl BodyTree<'_> {
    fn is_empty(&self) -> bool {
        self.text.is_none() && self.html.is_none() && self.inline.is_empty()
    }

    /// `first` (a body part), followed by the inline parts in a multipart/related
    /// when there are any.
    fn write_related(&self, out: &mut Vec<u8>, first: Option<MimePart<'_>>) {
        if self.inline.is_empty() {
            if let Some(first) = first {
                first.write_part(out);
            }
            return;
        }
        open_multipart(out, "multipart/related", &self.related);
        if let Some(first) = first {
            delimiter(out, &self.related);
            first.write_part(out);
        }
        for part in self.inline {
            delimiter(out, &self.related);
            write_leaf(out, part, ENCODE_ATTACHMENTS);
        }
        close_multipart(out, &self.related);
    }

    fn write(&self, out: &mut Vec<u8>) {
        match (self.text, self.html) {
            (Some(text), Some(html)) => {
                open_multipart(out, "multipart/alternative", &self.alternative);
                delimiter(out, &self.alternative);
                text_part("text/plain", text).write_part(out);
                delimiter(out, &self.alternative);
                self.write_related(out, Some(text_part("text/html", html)));
                close_multipart(out, &self.alternative);
            }
            (Some(text), None) => self.write_related(out, Some(text_part("text/plain", text))),
            (None, Some(html)) => self.write_related(out, Some(text_part("text/html", html))),
            (None, None) => self.write_related(out, None),
        }
    }
}

pub(crate) fn write<'b>(parts: &'b Parts<'b>) -> Vec<u8> {
    // Boundaries numbered in a fixed order: related, alternative, mixed (only those
    // the message has).
    let prefix = boundary_prefix(parts);
    let mut counter = 0u8;
    let mut next_boundary = || {
        counter += 1;
        prefix.numbered(counter)
    };
    let (inline, attached): (Vec<&CheckedPart<'_>>, Vec<&CheckedPart<'_>>) = parts
        .attachments
        .iter()
        .partition(|p| p.content_id.is_some());
    let related = if inline.is_empty() {
        prefix
    } else {
        next_boundary()
    };
    let alternative = if parts.text.is_some() && parts.html.is_some() {
        next_boundary()
    } else {
        prefix
    };
    let mixed = if attached.is_empty() {
        prefix
    } else {
        next_boundary()
    };
    let body = BodyTree {
        text: parts.text,
        html: parts.html,
        inline: &inline,
        related,
        alternative,
    };

    // What `mail_builder::MessageBuilder::serialize` does with headers that include
    // Date and Message-ID and a body part, without its intermediate header list:
    // each header through its mail-builder type, then MIME-Version, then the parts:
    // each leaf written by mail-builder (`MimePart::write_part`), the multipart
    // headers through its `ContentType`, the delimiter lines as its `write_part`
    // writes them (no intermediate tree of parts).
    let mut bytes = Vec::with_capacity(estimated_len(parts));
    write_header(&mut bytes, "From", &mb_address(parts.from));
    if let Some(sender) = parts.sender {
        write_header(&mut bytes, "Sender", &mb_address(sender));
    }
    if !parts.to.is_empty() {
        write_header(&mut bytes, "To", &mb_list(parts.to));
    }
    if !parts.cc.is_empty() {
        write_header(&mut bytes, "Cc", &mb_list(parts.cc));
    }
    if !parts.reply_to.is_empty() {
        write_header(&mut bytes, "Reply-To", &mb_list(parts.reply_to));
    }
    if let Some(subject) = parts.subject {
        write_header(&mut bytes, "Subject", &unstructured("Subject", subject));
    }
    write_date(&mut bytes, parts.date);
    write_header(&mut bytes, "Message-ID", &MessageId::new(parts.message_id));
    for (name, value) in parts.headers {
        write_header(&mut bytes, name, &unstructured(name, value));
    }
    bytes.extend_from_slice(b"MIME-Version: 1.0\r\n");
    if attached.is_empty() {
        if body.is_empty() {
            text_part("text/plain", "").write_part(&mut bytes);
        } else {
            body.write(&mut bytes);
        }
    } else {
        open_multipart(&mut bytes, "multipart/mixed", &mixed);
        if !body.is_empty() {
            delimiter(&mut bytes, &mixed);
            body.write(&mut bytes);
        }
        for part in &attached {
            delimiter(&mut bytes, &mixed);
            write_leaf(&mut bytes, part, ENCODE_ATTACHMENTS);
        }
        close_multipart(&mut bytes, &mixed);
    }
    if !bytes.ends_with(b"\r\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_headers_are_written_as_mail_builder_writes_them() {
        for value in [
            0u64,
            1,
            0x0123_4567_89ab_cdef,
            u64::MAX,
            0x27b4_e060_6d9f_548f,
        ] {
            for number in 1..=3 {
                let boundary = hex_prefix(value).numbered(number);
                for subtype in [
                    "multipart/mixed",
                    "multipart/alternative",
                    "multipart/related",
                ] {
                    let mut ours = Vec::new();
                    open_multipart(&mut ours, subtype, &boundary);
                    let mut theirs = Vec::new();
                    write_header(
                        &mut theirs,
                        "Content-Type",
                        &ContentType::new(subtype).attribute("boundary", boundary.as_str()),
                    );
                    assert_eq!(
                        String::from_utf8_lossy(&ours),
                        String::from_utf8_lossy(&theirs)
                    );
                }
            }
        }
    }

    #[test]
    fn attachments_encoded_by_the_core_are_written_as_mail_builder_writes_them() {
        let bytes: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let sizes = (0..300).chain([570, 571, 1023, 100 * 1024, 300_000]);
        for (i, len) in sizes.enumerate() {
            let part = CheckedPart {
                filename: "report.pdf",
                content_type: "application/pdf".into(),
                content: &bytes[..len],
                content_id: (i % 2 == 1).then(|| format!("part{i}@example.com")),
            };
            let mut ours = Vec::new();
            write_leaf(&mut ours, &part, true);
            let mut theirs = Vec::new();
            write_leaf(&mut theirs, &part, false);
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn dates_are_written_as_raw_writes_them() {
        for date in [
            "Sat, 28 Nov 2026 12:00:00 +0000",
            "Tue, 1 Jan 2030 09:05:00 -0130",
            "",
            "a very long value that does not fit on one line with the Date: name before it",
        ] {
            let mut ours = Vec::new();
            write_date(&mut ours, date.as_bytes());
            let mut theirs = Vec::new();
            write_header(&mut theirs, "Date", &Raw::new(date));
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }
}
