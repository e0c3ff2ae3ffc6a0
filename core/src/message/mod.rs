//! Messages: safe MIME building on mail-builder, and the SMTP envelope of a message.
//!
//! [`MessageBuilder`] checks every input (addresses through [`Address::parse`], header
//! text, names, filenames, content types, ids, dates), then hands mail-builder a MIME
//! tree it assembles itself, with deterministic boundaries, and returns the bytes with
//! their [`Envelope`]. Bcc addresses go to the envelope only: mail-builder never sees
//! them. [`envelope_from_message`] reads the envelope of a message built elsewhere
//! and removes its Bcc header.
//!
//! Reproducible output: given a Message-ID and a date (text or Unix time), the bytes
//! are a pure function of the inputs (boundaries are derived from a hash of the id,
//! the date and the bodies). Otherwise the Message-ID is generated on the sender's
//! ASCII domain and the date is "now" (mail-builder's clock: `std::time` natively,
//! the JS clock through `web-time` on wasm32).

mod date;
mod envelope;
mod headers;
mod mime;
mod mime_types;
mod recipients;
#[cfg(feature = "wasm")]
pub mod wasm;

use std::borrow::Cow;

use crate::address::{parse_plain, Address, AddressOptions, Mode, PlainAddress};
use crate::error::Result;
use crate::policy::SenderPolicy;
use headers::invalid;
pub use recipients::MAX_RECIPIENTS;

/// The SMTP envelope: MAIL FROM and RCPT TO, bare addresses in A-label form. With the
/// `wasm` feature it serialises as JavaScript's `EnvelopeData` (camelCase fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "wasm",
    derive(serde::Serialize, tsify_next::Tsify),
    serde(rename_all = "camelCase"),
    tsify(type_suffix = "Data")
)]
pub struct Envelope {
    /// The reverse path (bounce address), without angle brackets; empty for `<>`.
    pub mail_from: String,
    /// The forward paths, de-duplicated, in order of first appearance.
    pub rcpt_to: Vec<String>,
}

/// A built message, ready to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltMessage {
    /// The RFC 5322 bytes, CRLF line ends, ending with CRLF, no Bcc header.
    pub bytes: Vec<u8>,
    /// The envelope.
    pub envelope: Envelope,
    /// The Message-ID without angle brackets.
    pub message_id: String,
    /// Whether the envelope or headers need SMTPUTF8.
    pub smtputf8: bool,
    /// Whether the bytes contain 8-bit data (BODY=8BITMIME).
    pub eight_bit: bool,
}

impl BuiltMessage {
    /// The size of the bytes.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }
}

/// Serialised as JavaScript's `BuiltMessageData` (feature `wasm`): the fields, camelCase,
/// plus `size`, the bytes as a byte buffer (`Uint8Array`).
#[cfg(feature = "wasm")]
impl serde::Serialize for BuiltMessage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        wasm::BuiltMessageData {
            bytes: &self.bytes,
            envelope: &self.envelope,
            message_id: &self.message_id,
            size: self.size(),
            smtputf8: self.smtputf8,
            eight_bit: self.eight_bit,
        }
        .serialize(s)
    }
}

/// The envelope of an existing RFC 5322 message (From or Sender; To, Cc, Bcc) and the
/// message bytes with its Bcc header removed.
///
/// MAIL FROM is the first address of the first non-empty `Sender` field, else of
/// `From`; RCPT TO holds every address of every `To`, `Cc` and `Bcc` field (groups and
/// display names read, comments skipped) in A-label form, de-duplicated on exact local
/// part + case-insensitive domain, at most [`MAX_RECIPIENTS`] of them. Every `Bcc`
/// field is removed with its continuation lines; no other byte changes. Errors:
/// `invalid_message` with reason `no_from`, `no_recipients`, `too_many_recipients`,
/// `invalid_header`, `invalid_header_name`, `invalid_utf8` or an address diagnosis.
pub fn envelope_from_message(bytes: &[u8]) -> Result<(Envelope, Vec<u8>)> {
    envelope::envelope_from_message(bytes)
}

/// A message built elsewhere, read for sending by [`read_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMessage {
    /// The envelope: the given parts, the others read from the headers.
    pub envelope: Envelope,
    /// The message bytes with every Bcc field removed.
    pub bytes: Vec<u8>,
    /// The id of the first `Message-ID` field, without angle brackets; `None` when the
    /// message has none.
    pub message_id: Option<String>,
}

/// Reads a message built elsewhere for sending with an explicit envelope, as
/// smtplib's `send_message(msg, from_addr, to_addrs)` does: `mail_from` (empty for
/// `<>`) and `rcpt_to`, when given, are the envelope as they are (the transport checks
/// them before sending: command injection, recipients present, the sender policy);
/// a part not given is read from the headers as [`envelope_from_message`] reads it,
/// with the same errors. Every Bcc field is removed, and the Message-ID is read (a
/// resend after `outcome_unknown` names it). The header section must be readable
/// (`invalid_header`, `invalid_header_name`) even when the envelope is given in full.
pub fn read_message(
    bytes: &[u8],
    mail_from: Option<&str>,
    rcpt_to: Option<&[String]>,
) -> Result<ReadMessage> {
    envelope::read_message(bytes, mail_from, rcpt_to)
}

/// A file attached to a message, or an inline part referenced from the HTML body by
/// `cid:` when `content_id` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment<'a> {
    /// The file name shown to the reader (non-empty, no control characters).
    pub filename: String,
    /// `type/subtype` with optional parameters; guessed from the filename when `None`.
    pub content_type: Option<String>,
    /// The bytes, written base64-encoded and unchanged.
    pub content: Cow<'a, [u8]>,
    /// The Content-ID (with or without angle brackets) making this an inline part.
    pub content_id: Option<String>,
}

impl<'a> Attachment<'a> {
    /// An attachment (content type guessed from the filename unless set with
    /// [`Attachment::content_type`]).
    pub fn new(filename: impl Into<String>, content: impl Into<Cow<'a, [u8]>>) -> Attachment<'a> {
        Attachment {
            filename: filename.into(),
            content_type: None,
            content: content.into(),
            content_id: None,
        }
    }

    /// Sets the content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Attachment<'a> {
        self.content_type = Some(content_type.into());
        self
    }

    /// Makes this an inline part with this Content-ID (for `cid:` in the HTML body).
    pub fn inline(mut self, content_id: impl Into<String>) -> Attachment<'a> {
        self.content_id = Some(content_id.into());
        self
    }
}

/// When the message was written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DateInput {
    Text(String),
    Unix(i64),
}

/// Builds a MIME message and its envelope. Every setter only records its input; all
/// checks happen in [`MessageBuilder::build`], which can be called more than once.
///
/// ```
/// use email365::message::{Attachment, MessageBuilder};
/// let built = MessageBuilder::new()
///     .from("Shop <shop@example.com>")
///     .to("alice@example.org")
///     .bcc("audit@example.com")
///     .subject("Your receipt")
///     .text("Thank you!")
///     .attachment(Attachment::new("receipt.pdf", b"%PDF-1.7".as_slice()))
///     .message_id("<r-1@example.com>")
///     .date_unix(1_795_867_200)
///     .build()
///     .unwrap();
/// assert_eq!(built.envelope.rcpt_to, ["alice@example.org", "audit@example.com"]);
/// assert!(built.bytes.ends_with(b"\r\n"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MessageBuilder<'a> {
    from: Option<Cow<'a, str>>,
    sender: Option<Cow<'a, str>>,
    envelope_from: Option<Cow<'a, str>>,
    to: Vec<Cow<'a, str>>,
    cc: Vec<Cow<'a, str>>,
    bcc: Vec<Cow<'a, str>>,
    reply_to: Vec<Cow<'a, str>>,
    subject: Option<Cow<'a, str>>,
    text: Option<Cow<'a, str>>,
    html: Option<Cow<'a, str>>,
    attachments: Vec<Attachment<'a>>,
    headers: Vec<(String, String)>,
    message_id: Option<Cow<'a, str>>,
    date: Option<DateInput>,
    policy: Option<SenderPolicy>,
}

/// A checked address with the facts the builder needs: borrowed from the input in
/// the common plain form (no allocation), else the validator's full [`Address`].
pub(crate) enum Mailbox<'s> {
    Plain {
        address: PlainAddress<'s>,
        /// The domain in lower case (borrowed when written so).
        ascii_domain: Cow<'s, str>,
        /// `local@ascii_domain` (borrowed when the domain is written in lower case).
        spec: Cow<'s, str>,
    },
    Full {
        address: Address,
        spec: String,
    },
}

impl<'s> Mailbox<'s> {
    fn plain(address: PlainAddress<'s>) -> Mailbox<'s> {
        if address.domain_has_upper {
            let ascii_domain = address.domain.to_ascii_lowercase();
            let spec = format!("{}@{ascii_domain}", address.local);
            Mailbox::Plain {
                address,
                ascii_domain: Cow::Owned(ascii_domain),
                spec: Cow::Owned(spec),
            }
        } else {
            Mailbox::Plain {
                address,
                ascii_domain: Cow::Borrowed(address.domain),
                spec: Cow::Borrowed(address.spec),
            }
        }
    }

    fn full(address: Address) -> Mailbox<'s> {
        let mut spec = String::with_capacity(address.local.len() + 1 + address.ascii_domain.len());
        spec.push_str(&address.local);
        spec.push('@');
        spec.push_str(&address.ascii_domain);
        Mailbox::Full { address, spec }
    }

    /// The domain in ASCII form (A-labels, lower case).
    pub(crate) fn ascii_domain(&self) -> &str {
        match self {
            Mailbox::Plain { ascii_domain, .. } => ascii_domain,
            Mailbox::Full { address, .. } => &address.ascii_domain,
        }
    }

    /// The display name, `None` when absent or empty.
    pub(crate) fn display_name(&self) -> Option<&str> {
        match self {
            Mailbox::Plain { address, .. } => address.display_name,
            Mailbox::Full { address, .. } => address.display_name.as_deref(),
        }
    }

    /// The addr-spec written in headers and the envelope: `local@ascii_domain`.
    pub(crate) fn spec(&self) -> &str {
        match self {
            Mailbox::Plain { spec, .. } => spec,
            Mailbox::Full { spec, .. } => spec,
        }
    }

    /// Whether the local part is non-ASCII.
    pub(crate) fn smtputf8(&self) -> bool {
        match self {
            Mailbox::Plain { .. } => false,
            Mailbox::Full { address, .. } => address.smtputf8,
        }
    }

    /// The validator's [`Address`] (made for the plain form: policy checks only).
    fn address(&self) -> Cow<'_, Address> {
        match self {
            Mailbox::Plain { address, .. } => Cow::Owned(address.to_address()),
            Mailbox::Full { address, .. } => Cow::Borrowed(address),
        }
    }
}

fn read_address<'s>(field: &str, input: &'s str, mode: Mode) -> Result<Mailbox<'s>> {
    read_address_at(field, None, input, mode)
}

/// `field` (or `field[index]`) is named only when an error is made.
fn read_address_at<'s>(
    field: &str,
    index: Option<usize>,
    input: &'s str,
    mode: Mode,
) -> Result<Mailbox<'s>> {
    // Printable ASCII only: no control character, nothing for the checks below.
    if let Some(plain) = parse_plain(input, mode) {
        return Ok(Mailbox::plain(plain));
    }
    let name = || match index {
        Some(i) => format!("{field}[{i}]"),
        None => field.to_string(),
    };
    // Refused here before the address validator sees them, so that no validator
    // leniency can ever let a line break into a header.
    if headers::has_break_or_control(input) {
        headers::check_text(&name(), input, false)?;
    }
    let options = AddressOptions {
        mode,
        allow_quoted_local: false,
        allow_domain_literal: false,
    };
    let address = Address::parse(input, &options).map_err(|e| {
        let mut error = invalid(
            e.reason().unwrap_or("invalid_address"),
            format!("{}: {input:?}: {}", name(), e.message()),
        );
        if let Some(p) = e.position() {
            error = error.with_position(p);
        }
        error
    })?;
    if let Some(display) = &address.display_name {
        if headers::has_break_or_control(display) {
            headers::check_text(&format!("the display name of {}", name()), display, false)?;
        }
    }
    Ok(Mailbox::full(address))
}

fn read_list<'s>(
    field: &str,
    inputs: &'s [Cow<'_, str>],
    out: &mut Vec<Mailbox<'s>>,
) -> Result<()> {
    for (i, input) in inputs.iter().enumerate() {
        out.push(read_address_at(field, Some(i), input, Mode::Header)?);
    }
    Ok(())
}

/// What one pass over a body finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BodyScan {
    /// No NUL, every CR followed by LF, every LF after a CR.
    canonical: bool,
    /// The body holds `=_`, the start of every boundary the builder draws (only
    /// meaningful when `canonical`).
    boundary_mark: bool,
}

/// One pass over a body for [`BodyScan`]: each byte is compared with the next one.
/// Position `j` is fine when it is not NUL and (byte `j` is CR) equals (byte `j + 1` is
/// LF); the last byte is neither CR nor NUL and the first is not LF. Natively sixteen
/// pairs at a time in a form the compiler turns into SIMD compares; in WebAssembly, which
/// the module is built for without SIMD, eight at a time in the bits of a `u64`.
fn scan_body(bytes: &[u8]) -> BodyScan {
    let Some((&last, _)) = bytes.split_last() else {
        return BodyScan {
            canonical: true,
            boundary_mark: false,
        };
    };
    #[cfg(not(target_family = "wasm"))]
    let pairs = scan_pairs_lanes(bytes);
    #[cfg(target_family = "wasm")]
    let pairs = scan_pairs_words(bytes);
    BodyScan {
        canonical: pairs.canonical && bytes[0] != b'\n' && last != b'\r' && last != 0,
        boundary_mark: pairs.boundary_mark,
    }
}

/// The pairs of [`scan_body`] (every byte but the last, with the byte after it), sixteen
/// boolean lanes per block (no per-line restart, no call per line end, no branch per
/// block), which the compiler vectorises.
#[cfg(any(test, not(target_family = "wasm")))]
fn scan_pairs_lanes(bytes: &[u8]) -> BodyScan {
    let (mut bad, mut mark) = (false, false);
    let current = &bytes[..bytes.len().saturating_sub(1)];
    let next = bytes.get(1..).unwrap_or_default();
    // Per lane, over every block: a fault seen, a mark seen (reduced once at the end).
    let (mut lanes_bad, mut lanes_mark) = ([false; 16], [false; 16]);
    let mut scan_block = |a: &[u8; 16], b: &[u8; 16]| {
        for k in 0..16 {
            lanes_bad[k] |= ((a[k] == b'\r') != (b[k] == b'\n')) | (a[k] == 0);
            lanes_mark[k] |= (a[k] == b'=') & (b[k] == b'_');
        }
    };
    let (current_blocks, current_rest) = current.as_chunks::<16>();
    let (next_blocks, _) = next.as_chunks::<16>();
    for (a, b) in current_blocks.iter().zip(next_blocks) {
        scan_block(a, b);
    }
    if !current_rest.is_empty() {
        // The last sixteen pairs again, overlapping the blocks already seen (a
        // position seen twice changes nothing), when the body is long enough.
        let tail = current.len().saturating_sub(16);
        match (
            current
                .get(tail..)
                .and_then(|a| <&[u8; 16]>::try_from(a).ok()),
            next.get(tail..).and_then(|b| <&[u8; 16]>::try_from(b).ok()),
        ) {
            (Some(a), Some(b)) => scan_block(a, b),
            _ => {
                for (&a, &b) in current.iter().zip(next) {
                    bad |= ((a == b'\r') != (b == b'\n')) | (a == 0);
                    mark |= (a == b'=') & (b == b'_');
                }
            }
        }
    }
    bad |= lanes_bad.iter().any(|&l| l);
    mark |= lanes_mark.iter().any(|&l| l);
    BodyScan {
        canonical: !bad,
        boundary_mark: mark,
    }
}

/// The pairs of [`scan_body`] eight at a time in the bytes of two `u64` words, the
/// second one byte ahead of the first: each byte equal to a given value is found without
/// a branch or a carry between bytes ([`crate::swar`]).
#[cfg(any(test, target_family = "wasm"))]
fn scan_pairs_words(bytes: &[u8]) -> BodyScan {
    use crate::swar::{equal, load, zero};
    let (mut bad, mut mark) = (false, false);
    let (mut words_bad, mut words_mark) = (0u64, 0u64);
    let mut j = 0;
    while j + 9 <= bytes.len() {
        let (a, b) = (load(&bytes[j..]), load(&bytes[j + 1..]));
        words_bad |= (equal(a, b'\r') ^ equal(b, b'\n')) | zero(a);
        words_mark |= equal(a, b'=') & equal(b, b'_');
        j += 8;
    }
    for pair in bytes[j..].windows(2) {
        let (a, b) = (pair[0], pair[1]);
        bad |= ((a == b'\r') != (b == b'\n')) | (a == 0);
        mark |= (a == b'=') & (b == b'_');
    }
    BodyScan {
        canonical: !(bad || words_bad != 0),
        boundary_mark: mark || words_mark != 0,
    }
}

/// A text or HTML body: [`check_body`] (no NUL), then [`normalize_crlf`], in one scan
/// when the body is already canonical (the common case). Also tells whether the
/// result holds `=_` (see [`BodyScan`]).
fn read_body<'t>(field: &str, text: &'t str) -> Result<(Cow<'t, str>, bool)> {
    let scan = scan_body(text.as_bytes());
    if scan.canonical {
        return Ok((Cow::Borrowed(text), scan.boundary_mark));
    }
    // A NUL or a bare CR / LF: the full checks from the start.
    check_body(field, text)?;
    let normalized = normalize_crlf(text);
    let boundary_mark = mime::contains(normalized.as_bytes(), b"=_");
    Ok((normalized, boundary_mark))
}

/// Whether every CR is followed by LF and every LF follows a CR.
fn is_canonical_crlf(bytes: &[u8]) -> bool {
    let mut at = 0;
    while let Some(p) = memchr::memchr2(b'\r', b'\n', &bytes[at..]) {
        let found = at + p;
        // A CRLF pair is skipped whole, so an LF found here never follows a CR.
        if bytes[found] == b'\n' || bytes.get(found + 1) != Some(&b'\n') {
            return false;
        }
        at = found + 2;
    }
    true
}

/// Bare CR and bare LF become CRLF; borrowed when already canonical.
fn normalize_crlf(text: &str) -> Cow<'_, str> {
    if is_canonical_crlf(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut at = 0;
    while let Some(p) = memchr::memchr2(b'\r', b'\n', &bytes[at..]) {
        let found = at + p;
        // CR and LF are ASCII: `found` and the offsets after them are char boundaries.
        out.push_str(&text[at..found]);
        out.push_str("\r\n");
        at = if bytes[found] == b'\r' && bytes.get(found + 1) == Some(&b'\n') {
            found + 2
        } else {
            found + 1
        };
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

fn check_body(field: &str, text: &str) -> Result<()> {
    match memchr::memchr(0, text.as_bytes()) {
        Some(at) => Err(invalid(
            "control_char",
            format!("the {field} body contains NUL at byte {at}"),
        )
        .with_position(at)),
        None => Ok(()),
    }
}

impl<'a> MessageBuilder<'a> {
    /// An empty builder.
    pub fn new() -> MessageBuilder<'a> {
        MessageBuilder::default()
    }

    /// The From address in header form (`Name <local@domain>` or `local@domain`).
    pub fn from(mut self, address: impl Into<Cow<'a, str>>) -> Self {
        self.from = Some(address.into());
        self
    }

    /// The `Sender` header (header form), for mail sent on behalf of the From address.
    pub fn sender(mut self, address: impl Into<Cow<'a, str>>) -> Self {
        self.sender = Some(address.into());
        self
    }

    /// The envelope sender (bounce address, MAIL FROM) when it differs from the From
    /// address; bare envelope form, or `""` for the null reverse path `<>`.
    pub fn envelope_from(mut self, address: impl Into<Cow<'a, str>>) -> Self {
        self.envelope_from = Some(address.into());
        self
    }

    /// Adds a To recipient (header form).
    pub fn to(mut self, address: impl Into<Cow<'a, str>>) -> Self {
        self.to.push(address.into());
        self
    }

    /// Adds a Cc recipient (header form).
    pub fn cc(mut self, address: impl Into<Cow<'a, str>>) -> Self {
        self.cc.push(address.into());
        self
    }

    /// Adds a Bcc recipient: envelope only, never written in the message.
    pub fn bcc(mut self, address: impl Into<Cow<'a, str>>) -> Self {
        self.bcc.push(address.into());
        self
    }

    /// Adds a Reply-To address (header form).
    pub fn reply_to(mut self, address: impl Into<Cow<'a, str>>) -> Self {
        self.reply_to.push(address.into());
        self
    }

    /// The subject (any Unicode text without line breaks or controls; tabs allowed).
    pub fn subject(mut self, subject: impl Into<Cow<'a, str>>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The plain-text body (line ends normalised to CRLF).
    pub fn text(mut self, text: impl Into<Cow<'a, str>>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// The HTML body (line ends normalised to CRLF).
    pub fn html(mut self, html: impl Into<Cow<'a, str>>) -> Self {
        self.html = Some(html.into());
        self
    }

    /// Adds an attachment or, when it has a content id, an inline part.
    pub fn attachment(mut self, attachment: Attachment<'a>) -> Self {
        self.attachments.push(attachment);
        self
    }

    /// Adds a custom header. The builder's own headers (From, To, Cc, Bcc, Subject,
    /// Date, Message-ID, Content-Type, MIME-Version, Content-Transfer-Encoding, Sender,
    /// Reply-To) are refused with `reserved_header`.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The Message-ID, `<id@host>` or `id@host`; generated when not given.
    pub fn message_id(mut self, id: impl Into<Cow<'a, str>>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    /// The date as RFC 5322 text (parsed, then written in canonical form).
    pub fn date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(DateInput::Text(date.into()));
        self
    }

    /// The date as a Unix time in seconds (written in UTC). This is the clock
    /// injection point: without a date the builder uses the current time.
    pub fn date_unix(mut self, secs: i64) -> Self {
        self.date = Some(DateInput::Unix(secs));
        self
    }

    /// The account's sender policy: `build` refuses a From (or envelope sender)
    /// outside it with `sender_not_registered`.
    pub fn sender_policy(mut self, policy: SenderPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Checks every input and builds the message. Every refusal has kind
    /// `invalid_message` and a reason (`too_many_recipients` beyond [`MAX_RECIPIENTS`]
    /// distinct recipients), except a sender outside the policy (`sender_not_registered`).
    pub fn build(&self) -> Result<BuiltMessage> {
        let from_input = self
            .from
            .as_deref()
            .ok_or_else(|| invalid("no_from", "the message has no From address"))?;
        let from = read_address("from", from_input, Mode::Header)?;
        let sender = match &self.sender {
            Some(s) => Some(read_address("sender", s, Mode::Header)?),
            None => None,
        };
        let envelope_from = match self.envelope_from.as_deref() {
            Some("") => Some(None),
            Some(s) => Some(Some(read_address("envelope_from", s, Mode::Envelope)?)),
            None => None,
        };
        if let Some(policy) = &self.policy {
            policy.check(&from.address())?;
            if let Some(Some(bounce)) = &envelope_from {
                policy.check(&bounce.address())?;
            }
        }
        let (mut to, mut cc, mut bcc, mut reply_to) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        read_list("to", &self.to, &mut to)?;
        read_list("cc", &self.cc, &mut cc)?;
        read_list("bcc", &self.bcc, &mut bcc)?;
        read_list("reply_to", &self.reply_to, &mut reply_to)?;
        if to.is_empty() && cc.is_empty() && bcc.is_empty() {
            return Err(invalid(
                "no_recipients",
                "the message has no To, Cc or Bcc recipient",
            ));
        }
        if let Some(subject) = &self.subject {
            headers::check_text("the subject", subject, true)?;
        }
        for (name, value) in &self.headers {
            headers::check_header_name(name)?;
            headers::check_text(&format!("the header {name}"), value, true)?;
            if value.is_ascii() && !headers::foldable(name.len(), value) {
                return Err(invalid(
                    "line_too_long",
                    format!("the header {name} has a word too long for a 998-octet line"),
                ));
            }
        }
        let message_id = match &self.message_id {
            Some(id) => headers::parse_message_id(id)?,
            None => format!(
                "{}@{}",
                mail_builder::mime::make_boundary("."),
                from.ascii_domain()
            ),
        };
        let (given_date, now);
        let date = match &self.date {
            Some(DateInput::Text(text)) => {
                given_date = date::parse_date(text)?;
                given_date.as_bytes()
            }
            Some(DateInput::Unix(secs)) => {
                given_date = date::format_unix(*secs)?;
                given_date.as_bytes()
            }
            None => {
                now = mail_builder::headers::date::Date::now().to_rfc822();
                now.as_bytes()
            }
        };
        let mut parts = Vec::with_capacity(self.attachments.len());
        for (i, attachment) in self.attachments.iter().enumerate() {
            parts.push(mime::check_attachment(i, attachment, &parts)?);
        }
        let (text, text_mark) = match &self.text {
            Some(t) => read_body("text", t).map(|(t, mark)| (Some(t), mark))?,
            None => (None, false),
        };
        let (html, html_mark) = match &self.html {
            Some(h) => read_body("html", h).map(|(h, mark)| (Some(h), mark))?,
            None => (None, false),
        };

        // mail-builder writes every body 7-bit (7bit, quoted-printable or base64) and
        // encodes every header text but addresses: only a non-ASCII local part in a
        // header address puts 8-bit data in the bytes.
        let eight_bit = from.smtputf8()
            || sender.as_ref().is_some_and(Mailbox::smtputf8)
            || to.iter().any(Mailbox::smtputf8)
            || cc.iter().any(Mailbox::smtputf8)
            || reply_to.iter().any(Mailbox::smtputf8);
        let smtputf8 = eight_bit
            || envelope_from
                .as_ref()
                .is_some_and(|e| e.as_ref().is_some_and(Mailbox::smtputf8))
            || bcc.iter().any(Mailbox::smtputf8);

        let rcpt_to = recipients::distinct(to.iter().chain(&cc).chain(&bcc).map(Mailbox::spec))?;
        let mail_from = match &envelope_from {
            Some(Some(bounce)) => bounce.spec().to_string(),
            Some(None) => String::new(),
            None => from.spec().to_string(),
        };

        let bytes = mime::write(&mime::Parts {
            from: &from,
            sender: sender.as_ref(),
            to: &to,
            cc: &cc,
            reply_to: &reply_to,
            subject: self.subject.as_deref(),
            date,
            message_id: &message_id,
            headers: &self.headers,
            text: text.as_deref(),
            html: html.as_deref(),
            bodies_hold_boundary_mark: text_mark || html_mark,
            attachments: &parts,
        });
        debug_assert_eq!(eight_bit, !bytes.is_ascii());
        Ok(BuiltMessage {
            bytes,
            envelope: Envelope { mail_from, rcpt_to },
            message_id,
            smtputf8,
            eight_bit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> MessageBuilder<'static> {
        MessageBuilder::new()
            .from("a@example.com")
            .to("b@example.org")
            .subject("Hi")
            .text("Hello")
            .message_id("<m1@example.com>")
            .date_unix(1_795_867_200)
    }

    #[test]
    fn crlf_normalisation() {
        assert_eq!(normalize_crlf("a\rb\nc\r\nd\r"), "a\r\nb\r\nc\r\nd\r\n");
        assert!(matches!(normalize_crlf("a\r\nb"), Cow::Borrowed(_)));
        assert_eq!(normalize_crlf("\n\n\r\r"), "\r\n\r\n\r\n\r\n");
    }

    #[test]
    fn body_scan_agrees_with_the_separate_checks() {
        for body in [
            "",
            "plain text without line ends, longer than eight bytes",
            "a\r\nb\r\n",
            "a\nb",
            "twelve bytes\rthen more",
            "a\r\nb\0c",
            "\0",
            "bare\nthen NUL\0",
            "exactly 8\r\n",
        ] {
            let separate = check_body("text", body).map(|()| normalize_crlf(body));
            let together = read_body("text", body).map(|(text, mark)| {
                assert_eq!(mark, text.contains("=_"), "{body:?}");
                text
            });
            match (separate, together) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{body:?}"),
                (Err(a), Err(b)) => assert_eq!(a.position(), b.position(), "{body:?}"),
                (a, b) => panic!("{body:?}: {a:?} vs {b:?}"),
            }
        }
        assert!(matches!(
            read_body("text", "a\r\nb"),
            Ok((Cow::Borrowed(_), false))
        ));
    }

    /// The reference: the separate checks, and a plain search for `=_`.
    fn read_body_reference(body: &str) -> Result<(String, bool)> {
        check_body("text", body)?;
        let text = normalize_crlf(body).into_owned();
        let mark = text.contains("=_");
        Ok((text, mark))
    }

    #[test]
    fn pair_scan_by_words_sees_each_pair_at_every_offset() {
        // Every length up to 40, each of two faults (or a mark) at every position,
        // between bytes that are all set and all clear in turn.
        for len in 0..40 {
            for fill in [b'x', 0x80, 0xff] {
                for at in 0..len {
                    for pair in [&b"\r"[..], b"\n", b"\0", b"=_", b"\r\n", b"\n\r"] {
                        let mut body = vec![fill; len];
                        for (k, &b) in pair.iter().enumerate() {
                            if let Some(slot) = body.get_mut(at + k) {
                                *slot = b;
                            }
                        }
                        assert_eq!(scan_pairs_words(&body), scan_pairs_lanes(&body), "{body:?}");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn body_scan_agrees_with_the_reference(body in "[ab\r\n=_\u{0}é]{0,70}") {
            let reference = read_body_reference(&body);
            let scanned = read_body("text", &body);
            match (reference, scanned) {
                (Ok(a), Ok((text, mark))) => {
                    proptest::prop_assert_eq!(a, (text.into_owned(), mark));
                }
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a.position(), b.position()),
                (a, b) => proptest::prop_assert!(false, "{:?}: {:?} vs {:?}", body, a, b),
            }
        }

        #[test]
        fn pair_scans_by_lanes_and_by_words_agree(body in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'\r', b'\n', 0, b'=', b'_', 0x80, 0xff]),
            0..80,
        )) {
            proptest::prop_assert_eq!(scan_pairs_lanes(&body), scan_pairs_words(&body));
        }

        #[test]
        fn body_scan_finds_one_fault_at_any_offset(at in 0usize..40, fault in 0usize..5) {
            let mut body = "x".repeat(40).into_bytes();
            body[at] = [b'\r', b'\n', 0, b'=', b'_'][fault];
            let body = String::from_utf8(body).unwrap();
            let reference = read_body_reference(&body).map_err(|e| e.position());
            let scanned = read_body("text", &body)
                .map(|(text, mark)| (text.into_owned(), mark))
                .map_err(|e| e.position());
            proptest::prop_assert_eq!(reference, scanned);
        }
    }

    #[test]
    fn output_is_reproducible_and_ends_with_crlf() {
        let one = base().html("<p>Hello</p>").build().unwrap();
        let two = base().html("<p>Hello</p>").build().unwrap();
        assert_eq!(one, two);
        assert!(one.bytes.ends_with(b"\r\n"));
        let plain = base().build().unwrap();
        assert!(
            plain.bytes.ends_with(b"\r\nHello\r\n"),
            "{:?}",
            String::from_utf8_lossy(&plain.bytes)
        );
    }

    #[test]
    fn bcc_goes_to_the_envelope_only() {
        let built = base()
            .bcc("hidden@example.net")
            .cc("B@EXAMPLE.ORG")
            .cc("B@example.org")
            .build()
            .unwrap();
        assert_eq!(
            built.envelope.rcpt_to,
            // Distinct local parts stay; domains are written in their lower-case A-label form.
            ["b@example.org", "B@example.org", "hidden@example.net"]
        );
        let text = String::from_utf8(built.bytes).unwrap();
        assert!(!text.contains("hidden"));
        assert!(!text.to_ascii_lowercase().contains("\r\nbcc:"));
    }

    #[test]
    fn generated_ids_use_the_sender_domain() {
        let built = MessageBuilder::new()
            .from("a@example.com")
            .to("b@example.org")
            .build()
            .unwrap();
        assert!(
            built.message_id.ends_with("@example.com"),
            "{}",
            built.message_id
        );
        let other = MessageBuilder::new()
            .from("a@example.com")
            .to("b@example.org")
            .build()
            .unwrap();
        assert_ne!(built.message_id, other.message_id);
        assert!(headers::parse_message_id(&built.message_id).is_ok());
    }

    #[test]
    fn refusals_have_reasons() {
        let cases: Vec<(MessageBuilder<'static>, &str)> = vec![
            (MessageBuilder::new().to("b@example.org"), "no_from"),
            (MessageBuilder::new().from("a@example.com"), "no_recipients"),
            (base().subject("a\r\nBcc: x@y.z"), "header_injection"),
            (base().subject("a\0b"), "control_char"),
            (base().header("X-A\r\nBcc", "v"), "header_injection"),
            (base().header("X A", "v"), "invalid_header_name"),
            (
                base().header("content-type", "text/html"),
                "reserved_header",
            ),
            (base().header("X-A", "v\nBcc: x@y.z"), "header_injection"),
            (base().header("X-A", "x".repeat(1000)), "line_too_long"),
            (base().message_id("<nope>"), "invalid_message_id"),
            (base().date("yesterday"), "invalid_date"),
            (base().text("a\0b"), "control_char"),
            (base().to("no-at-sign"), "no_at"),
        ];
        for (builder, reason) in cases {
            let e = builder.build().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidMessage);
            assert_eq!(e.reason(), Some(reason), "{e:?}");
        }
    }

    #[test]
    fn null_reverse_path_and_bounce_override() {
        assert_eq!(
            base().envelope_from("").build().unwrap().envelope.mail_from,
            ""
        );
        assert_eq!(
            base()
                .envelope_from("bounce@example.com")
                .build()
                .unwrap()
                .envelope
                .mail_from,
            "bounce@example.com"
        );
    }
}
