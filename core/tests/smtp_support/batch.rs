//! The mixed `send_many` list the batch tests (sandbox, Exim, Postfix) send: envelopes
//! whose failures sit in the middle of a window, the batch sent with its round trips
//! counted, and the check of each message's outcome.

use email365::message::Envelope;
use email365::smtp::{Delivery, Outgoing, SmtpClient};
use email365::{ErrorKind, Result};

/// An envelope from `from` to `to`.
pub fn envelope(from: &str, to: &[&str]) -> Envelope {
    Envelope {
        mail_from: from.into(),
        rcpt_to: to.iter().map(|s| s.to_string()).collect(),
    }
}

/// `n` envelopes from `from`, by `i % 10`: 3, every recipient refused (`reject-*`); 5, a
/// sender the server refuses (`x@unregistered.example`); 7, one of two recipients
/// refused; otherwise the one recipient `r{i}@example.net`.
pub fn mixed_envelopes(n: usize, from: &str) -> Vec<Envelope> {
    (0..n)
        .map(|i| match i % 10 {
            3 => envelope(from, &["reject-a@example.net", "reject-b@example.net"]),
            5 => envelope("x@unregistered.example", &["a@example.net"]),
            7 => envelope(from, &["a@example.net", "reject-b@example.net"]),
            _ => envelope(from, &[&format!("r{i}@example.net")]),
        })
        .collect()
}

/// The items of a `send_many`: `bodies[i]` to `envs[i]`.
pub fn outgoing<'a>(envs: &'a [Envelope], bodies: &'a [Vec<u8>]) -> Vec<Outgoing<'a>> {
    envs.iter()
        .zip(bodies)
        .map(|(e, b)| Outgoing::raw(e, b))
        .collect()
}

/// Sends `envs[i]` with `bodies[i]` in one `send_many_outgoing`: the outcomes and the
/// round trips the batch took.
pub fn send_many_counted(
    c: &mut SmtpClient,
    envs: &[Envelope],
    bodies: &[Vec<u8>],
) -> (Vec<Result<Delivery>>, u64) {
    let items = outgoing(envs, bodies);
    let before = c.round_trips();
    let results = c.send_many_outgoing(&items);
    assert_eq!(results.len(), envs.len());
    (results, c.round_trips() - before)
}

/// Checks the outcome of message `i` of [`mixed_envelopes`]: refused as a whole for 3
/// and 5, one recipient refused for 7, delivered to `r{i}@example.net` otherwise.
pub fn check_mixed_outcome(i: usize, r: &Result<Delivery>) {
    match i % 10 {
        3 => assert_eq!(
            r.as_ref().unwrap_err().kind(),
            ErrorKind::RecipientsRejected,
            "{i}: {r:?}"
        ),
        5 => assert_eq!(
            r.as_ref().unwrap_err().reason(),
            Some("mail_refused"),
            "{i}: {r:?}"
        ),
        7 => {
            let d = r.as_ref().unwrap();
            assert_eq!(d.accepted.len(), 1);
            assert_eq!(d.rejected[0].recipient, "reject-b@example.net");
        }
        _ => {
            let d = r.as_ref().unwrap();
            assert_eq!(d.accepted[0].recipient, format!("r{i}@example.net"));
        }
    }
}

/// Sends one more message from `from` after a batch (the connection is still usable),
/// then ends the session.
pub fn send_one_more_and_quit(mut c: SmtpClient, from: &str, data: &[u8]) {
    c.send_raw(&envelope(from, &["z@example.net"]), data)
        .expect("usable after the batch");
    c.quit().unwrap();
}
