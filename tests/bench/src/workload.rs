//! The message every sending benchmark sends: built once by email365 with a fixed
//! Message-ID and date, so that every client (Rust, Python, C, the peers) sends the very
//! same bytes and envelope. About 2 KB of plain text, 1 or N recipients in To. Also
//! the lettre peer's session for that message.

use email365::message::{BuiltMessage, MessageBuilder};

/// The sender of every benchmark message.
pub const SENDER: &str = "bench@sender.example";

/// The recipients of a message with `n` recipients.
pub fn recipients(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("rcpt{i}@example.org")).collect()
}

/// The benchmark message with `n` recipients (fixed Message-ID and date).
pub fn message(n: usize) -> email365::Result<BuiltMessage> {
    message_with_id(n, "bench.0@sender.example")
}

/// The benchmark message with `n` recipients and the given Message-ID.
pub fn message_with_id(n: usize, id: &str) -> email365::Result<BuiltMessage> {
    let line = "The quick brown fox jumps over the lazy dog; a line of a benchmark message.\n";
    let mut text = String::from("Hello,\n\n");
    for _ in 0..26 {
        text.push_str(line);
    }
    text.push_str(".a line starting with a dot, to exercise dot-stuffing\n");
    let mut b = MessageBuilder::new()
        .from(format!("Bench <{SENDER}>"))
        .subject("email365 sending benchmark")
        .text(text)
        .message_id(id.to_string())
        .date("Sat, 28 Nov 2026 12:00:00 +0000");
    for r in recipients(n) {
        b = b.to(r);
    }
    b.build()
}

/// A lettre connection to `addr` (plaintext, EHLO `bench.example`, `timeout` per
/// step) and the lettre envelope of the message with `n` recipients.
pub fn lettre_session(
    addr: std::net::SocketAddr,
    timeout: std::time::Duration,
    n: usize,
) -> Result<
    (
        lettre::transport::smtp::client::SmtpConnection,
        lettre::address::Envelope,
    ),
    String,
> {
    use lettre::address::{Address, Envelope};
    use lettre::transport::smtp::client::SmtpConnection;
    use lettre::transport::smtp::extension::ClientId;
    let parse = |a: &str| a.parse::<Address>().map_err(|e| e.to_string());
    let to = recipients(n)
        .iter()
        .map(|r| parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let envelope = Envelope::new(Some(parse(SENDER)?), to).map_err(|e| e.to_string())?;
    let conn = SmtpConnection::connect(
        addr,
        Some(timeout),
        &ClientId::Domain("bench.example".into()),
        None,
        None,
    )
    .map_err(|e| e.to_string())?;
    Ok((conn, envelope))
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_bytes_every_time_with_every_recipient_in_the_envelope() {
        let a = super::message(10).unwrap();
        let b = super::message(10).unwrap();
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(a.envelope.rcpt_to, super::recipients(10));
        assert_eq!(a.envelope.mail_from, super::SENDER);
        assert!(a.bytes.len() > 2000, "{}", a.bytes.len());
        let one = super::message(1).unwrap();
        assert_eq!(one.envelope.rcpt_to.len(), 1);
    }
}
