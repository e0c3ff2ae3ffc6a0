//! The sandbox's shared state: its clock, the messages it received, and the notifications
//! whose status events the status API reports.
//!
//! Events are not stored: they are computed from the time a message was accepted, the
//! step interval and the sandbox clock, so advancing the clock moves every life cycle on.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// Most messages kept in memory; the oldest are dropped first beyond this.
pub const MAX_KEPT_MESSAGES: usize = 10_000;

/// Status codes and texts of a delivered recipient, one per step.
const DELIVERED: [(&str, &str); 4] = [
    ("CAAS_RECEIVED", "Successful"),
    ("CAAS_SENT", "Successful"),
    ("CH_RECEIVED", "Successful"),
    ("CH_SENT", "Successful"),
];

/// Status codes and texts of a `bounce…` recipient: the sandbox's own final code.
const BOUNCED: [(&str, &str); 4] = [
    ("CAAS_RECEIVED", "Successful"),
    ("CAAS_SENT", "Successful"),
    ("CH_RECEIVED", "Successful"),
    ("CH_BOUNCED", "550 5.1.1 mailbox unavailable"),
];

/// What the sandbox does with a recipient, decided by the start of its local part
/// (ASCII case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// `reject…`: `550 5.1.1` at RCPT.
    Reject,
    /// `greylist…`: `451 4.7.1` at RCPT, every time.
    Greylist,
    /// `bounce…`: accepted, then its status ends with `CH_BOUNCED`.
    Bounce,
    /// Anything else: accepted, then its status ends with `CH_SENT`.
    Deliver,
}

impl Script {
    /// The script of a recipient address (`local@domain`).
    pub fn for_address(address: &str) -> Script {
        let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
        let local = local.trim_start_matches('"').as_bytes();
        let starts = |prefix: &str| {
            local.len() >= prefix.len()
                && local[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        };
        if starts("reject") {
            Script::Reject
        } else if starts("greylist") {
            Script::Greylist
        } else if starts("bounce") {
            Script::Bounce
        } else {
            Script::Deliver
        }
    }
}

/// A message the SMTP server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The notification id given in the final reply.
    pub notification_id: String,
    /// The envelope sender (MAIL FROM), without angle brackets.
    pub mail_from: String,
    /// The accepted envelope recipients (RCPT TO), in order, without duplicates.
    pub rcpt_to: Vec<String>,
    /// The message bytes exactly as received, after un-dot-stuffing (DATA) or as the
    /// concatenated chunks (BDAT).
    pub data: Vec<u8>,
    /// Sandbox time of acceptance, in milliseconds since the Unix epoch.
    pub received_at_ms: i64,
    /// Whether MAIL FROM carried the `SMTPUTF8` parameter.
    pub smtputf8: bool,
    /// Whether MAIL FROM carried `BODY=8BITMIME`.
    pub body_8bitmime: bool,
    /// Whether the data came with BDAT (CHUNKING) rather than DATA.
    pub chunked: bool,
}

impl ReceivedMessage {
    /// The JSON form used by `GET /_sandbox/messages` and the `.json` side files.
    pub fn to_json(&self) -> Value {
        use base64::Engine as _;
        json!({
            "notification_id": self.notification_id,
            "mail_from": self.mail_from,
            "rcpt_to": self.rcpt_to,
            "size": self.data.len(),
            "smtputf8": self.smtputf8,
            "body_8bitmime": self.body_8bitmime,
            "chunked": self.chunked,
            "received_at": format_timestamp(self.received_at_ms),
            "data_base64": base64::engine::general_purpose::STANDARD.encode(&self.data),
        })
    }
}

struct Notification {
    accepted_ms: i64,
    recipients: Vec<(String, Script)>,
}

#[derive(Default)]
struct Inner {
    messages: VecDeque<ReceivedMessage>,
    notifications: HashMap<u64, Notification>,
}

/// The envelope and data of a message about to be accepted.
pub struct Submission {
    /// MAIL FROM.
    pub mail_from: String,
    /// Accepted recipients with their scripts.
    pub recipients: Vec<(String, Script)>,
    /// The bytes.
    pub data: Vec<u8>,
    /// SMTPUTF8 parameter given.
    pub smtputf8: bool,
    /// BODY=8BITMIME given.
    pub body_8bitmime: bool,
    /// Sent with BDAT.
    pub chunked: bool,
}

/// State shared by the SMTP and HTTP servers.
pub struct Store {
    offset_ms: AtomicI64,
    next_id: AtomicU64,
    step_ms: i64,
    retention_ms: i64,
    eml_dir: Option<PathBuf>,
    inner: Mutex<Inner>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// A store with the given step interval, retention, first notification id and
    /// optional folder for `.eml` copies.
    pub fn new(
        step: Duration,
        retention: Duration,
        first_id: u64,
        eml_dir: Option<PathBuf>,
    ) -> Store {
        Store {
            offset_ms: AtomicI64::new(0),
            next_id: AtomicU64::new(first_id),
            step_ms: millis(step),
            retention_ms: millis(retention),
            eml_dir,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated in a way that
        // matters here, so a poisoned lock is used as is.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sandbox clock: wall-clock time plus every advance, in ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(millis)
            .unwrap_or(0);
        wall.saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves the sandbox clock forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(millis(by), Ordering::SeqCst);
    }

    /// Accepts a message: assigns its notification id, keeps it, writes the optional
    /// `.eml` and `.json` files. Fails only when those files cannot be written.
    pub fn accept(&self, sub: Submission) -> std::io::Result<String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let now = self.now_ms();
        let message = ReceivedMessage {
            notification_id: id.to_string(),
            mail_from: sub.mail_from,
            rcpt_to: sub.recipients.iter().map(|(a, _)| a.clone()).collect(),
            data: sub.data,
            received_at_ms: now,
            smtputf8: sub.smtputf8,
            body_8bitmime: sub.body_8bitmime,
            chunked: sub.chunked,
        };
        if let Some(dir) = &self.eml_dir {
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(format!("{id}.eml")), &message.data)?;
            let mut envelope = message.to_json();
            if let Some(obj) = envelope.as_object_mut() {
                obj.remove("data_base64");
            }
            std::fs::write(dir.join(format!("{id}.json")), envelope.to_string())?;
        }
        let mut inner = self.lock();
        if id.is_multiple_of(1024) {
            // Now and then, forget notifications past their retention.
            let retention = self.retention_ms;
            inner
                .notifications
                .retain(|_, n| now.saturating_sub(n.accepted_ms) < retention);
        }
        inner.notifications.insert(
            id,
            Notification {
                accepted_ms: now,
                recipients: sub.recipients,
            },
        );
        inner.messages.push_back(message);
        while inner.messages.len() > MAX_KEPT_MESSAGES {
            inner.messages.pop_front();
        }
        Ok(id.to_string())
    }

    /// Every kept message, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.lock().messages.iter().cloned().collect()
    }

    /// Forgets the kept messages (the status API keeps its notifications).
    pub fn clear_messages(&self) {
        self.lock().messages.clear();
    }

    /// The status API's answer for a notification id, optionally filtered to one
    /// recipient (compared ASCII case-insensitively). `{}` for an unknown id and for a
    /// notification older than the retention.
    pub fn status(&self, id: &str, recipient: Option<&str>) -> Value {
        let Ok(num) = id.parse::<u64>() else {
            return json!({});
        };
        let now = self.now_ms();
        let mut inner = self.lock();
        let Some(n) = inner.notifications.get(&num) else {
            return json!({});
        };
        if now.saturating_sub(n.accepted_ms) >= self.retention_ms {
            inner.notifications.remove(&num);
            return json!({});
        }
        let mut events = Vec::new();
        for step in 0..DELIVERED.len() {
            let at = n
                .accepted_ms
                .saturating_add(self.step_ms.saturating_mul(step as i64));
            if at > now {
                break;
            }
            for (address, script) in &n.recipients {
                if recipient.is_some_and(|r| !r.eq_ignore_ascii_case(address)) {
                    continue;
                }
                let (code, text) = match script {
                    Script::Bounce => BOUNCED[step],
                    _ => DELIVERED[step],
                };
                events.push(json!({
                    "statusCode": code,
                    "statusText": text,
                    "channel": "email",
                    "recipient": format!("email:{address}"),
                    "timestamp": format_timestamp(at),
                }));
            }
        }
        json!({"Notification": {"notificationId": num.to_string(), "status": events}})
    }
}

/// `YYYY-MM-DD HH:MM:SS.fff` in UTC, the status API's timestamp form.
pub fn format_timestamp(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        Err(_) => "1970-01-01 00:00:00.000".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(rcpts: &[&str]) -> Submission {
        Submission {
            mail_from: "a@example.com".into(),
            recipients: rcpts
                .iter()
                .map(|r| (r.to_string(), Script::for_address(r)))
                .collect(),
            data: b"Subject: x\r\n\r\nhi\r\n".to_vec(),
            smtputf8: false,
            body_8bitmime: false,
            chunked: false,
        }
    }

    #[test]
    fn scripts_follow_local_part_prefix() {
        assert_eq!(Script::for_address("Reject.me@x.org"), Script::Reject);
        assert_eq!(Script::for_address("greylist1@x.org"), Script::Greylist);
        assert_eq!(Script::for_address("bounce@x.org"), Script::Bounce);
        assert_eq!(Script::for_address("someone@reject.org"), Script::Deliver);
    }

    #[test]
    fn timestamps_are_utc_with_millis() {
        assert_eq!(
            format_timestamp(1_425_826_710_252),
            "2015-03-08 14:58:30.252"
        );
    }

    #[test]
    fn life_cycle_moves_with_the_clock_and_expires() {
        let store = Store::new(Duration::from_secs(1), Duration::from_secs(60), 7, None);
        let id = store
            .accept(submission(&["a@x.org", "bounce@x.org"]))
            .unwrap();
        assert_eq!(id, "7");
        let codes = |v: &Value| -> Vec<String> {
            v["Notification"]["status"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["statusCode"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            codes(&store.status(&id, None)),
            ["CAAS_RECEIVED", "CAAS_RECEIVED"]
        );
        store.advance(Duration::from_secs(3));
        let all = store.status(&id, None);
        assert_eq!(all["Notification"]["status"].as_array().unwrap().len(), 8);
        assert_eq!(
            codes(&store.status(&id, Some("BOUNCE@x.org"))),
            ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_BOUNCED"]
        );
        store.advance(Duration::from_secs(60));
        assert_eq!(store.status(&id, None), json!({}));
        assert_eq!(store.status("8", None), json!({}));
    }
}
