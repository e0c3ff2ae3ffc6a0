//! Messages: safe MIME building on mail-builder, and the SMTP envelope of a message.
//!
//! CONTRACT STUB: the public types and signatures below are fixed; the bodies are
//! placeholders to be replaced by the builder.

use crate::error::{Error, ErrorKind, Result};

/// The SMTP envelope: MAIL FROM and RCPT TO, bare addresses in A-label form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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

/// The envelope of an existing RFC 5322 message (From or Sender; To, Cc, Bcc) and the
/// message bytes with its Bcc header removed.
pub fn envelope_from_message(bytes: &[u8]) -> Result<(Envelope, Vec<u8>)> {
    let _ = bytes;
    Err(Error::new(ErrorKind::Internal, "not implemented"))
}
