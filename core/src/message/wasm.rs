//! The JavaScript shapes of the message results that are more than their fields (feature
//! `wasm`): a [`BuiltMessage`](super::BuiltMessage) carries its `size`, and
//! `envelope_from_message` gives its envelope and bytes as one object. Both borrow from
//! the core's values; [`Envelope`] derives its own shape.

use super::Envelope;
use serde::Serialize;

/// A built message, ready to submit (what [`BuiltMessage`](super::BuiltMessage)
/// serialises as).
#[derive(Serialize, tsify_next::Tsify)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BuiltMessageData<'a> {
    /// The RFC 5322 bytes (CRLF line ends, ending with CRLF, no Bcc header).
    #[serde(serialize_with = "bytes")]
    #[tsify(type = "Uint8Array")]
    pub bytes: &'a [u8],
    /// The envelope.
    #[tsify(type = "EnvelopeData")]
    pub envelope: &'a Envelope,
    /// The Message-ID without angle brackets.
    pub message_id: &'a str,
    /// The length of `bytes`.
    pub size: usize,
    /// Whether the envelope or headers need SMTPUTF8.
    pub smtputf8: bool,
    /// Whether the bytes contain 8-bit data (BODY=8BITMIME).
    pub eight_bit: bool,
}

/// An existing message's envelope and its bytes without the Bcc header: the result of
/// [`envelope_from_message`](super::envelope_from_message) as one object.
#[derive(Serialize, tsify_next::Tsify)]
pub struct EnvelopeOfMessage {
    /// From or Sender; To, Cc, Bcc.
    #[tsify(type = "EnvelopeData")]
    pub envelope: Envelope,
    /// The message bytes with the Bcc header removed.
    #[serde(serialize_with = "bytes")]
    #[tsify(type = "Uint8Array")]
    pub bytes: Vec<u8>,
}

impl From<(Envelope, Vec<u8>)> for EnvelopeOfMessage {
    fn from((envelope, bytes): (Envelope, Vec<u8>)) -> EnvelopeOfMessage {
        EnvelopeOfMessage { envelope, bytes }
    }
}

/// Bytes as a byte buffer rather than a sequence of numbers.
fn bytes<S: serde::Serializer, B: AsRef<[u8]>>(
    bytes: &B,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_bytes(bytes.as_ref())
}
