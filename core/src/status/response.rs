//! Parsing a status response with serde_json into typed events, without building a
//! `serde_json::Value` tree: hand-written serde visitors (not a JSON parser) read the
//! fields they know straight from the input, borrow strings where serde_json can,
//! skip unknown members with `IgnoredAny`, and stop at the first field of the wrong
//! type with a diagnosis that names the field.

use super::{strip_email_prefix, Notification, StatusEvent, Timestamp};
use crate::error::{Error, ErrorKind, Result};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize as _;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

/// Where in the response a problem sits, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Body,
    Notification,
    NotificationId,
    Status,
    Event(usize),
    Field(usize, &'static str),
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Body => f.write_str("the response body"),
            Path::Notification => f.write_str("`Notification`"),
            Path::NotificationId => f.write_str("`Notification.notificationId`"),
            Path::Status => f.write_str("`Notification.status`"),
            Path::Event(i) => write!(f, "`Notification.status[{i}]`"),
            Path::Field(i, name) => write!(f, "`Notification.status[{i}].{name}`"),
        }
    }
}

/// A schema problem found by a visitor; the serde_json error that carries it out
/// supplies the position.
struct Problem {
    reason: &'static str,
    message: String,
}

type Ctx = RefCell<Option<Problem>>;

fn problem<E: de::Error>(ctx: &Ctx, reason: &'static str, message: String) -> E {
    *ctx.borrow_mut() = Some(Problem { reason, message });
    E::custom("invalid status response")
}

fn wrong_type<E: de::Error>(ctx: &Ctx, path: Path, expected: &str, found: &str) -> E {
    problem(
        ctx,
        "wrong_type",
        format!("{path} must be {expected}, found {found}"),
    )
}

/// The visitor methods that refuse every JSON type except the ones a visitor accepts.
macro_rules! refuse_scalars {
    ($expected:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(wrong_type(self.ctx, self.path, $expected, "a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(wrong_type(self.ctx, self.path, $expected, "a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(wrong_type(self.ctx, self.path, $expected, "a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(wrong_type(self.ctx, self.path, $expected, "a number"))
        }
    };
}

macro_rules! refuse_str {
    ($expected:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(wrong_type(self.ctx, self.path, $expected, "a string"))
        }
    };
}

macro_rules! refuse_containers {
    ($expected:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Err(wrong_type(self.ctx, self.path, $expected, "an array"))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Err(wrong_type(self.ctx, self.path, $expected, "an object"))
        }
    };
}

macro_rules! refuse_seq {
    ($expected:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Err(wrong_type(self.ctx, self.path, $expected, "an array"))
        }
    };
}

/// The member names the parser knows, at any level.
enum Key {
    Notification,
    NotificationId,
    Status,
    StatusCode,
    StatusText,
    Channel,
    Recipient,
    Timestamp,
    Other,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match v {
            "Notification" => Key::Notification,
            "notificationId" => Key::NotificationId,
            "status" => Key::Status,
            "statusCode" => Key::StatusCode,
            "statusText" => Key::StatusText,
            "channel" => Key::Channel,
            "recipient" => Key::Recipient,
            "timestamp" => Key::Timestamp,
            _ => Key::Other,
        })
    }
}

/// An optional string: a string, or `null` (= absent).
struct StrSeed<'c> {
    ctx: &'c Ctx,
    path: Path,
}

impl<'de> DeserializeSeed<'de> for StrSeed<'_> {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrSeed<'_> {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    refuse_scalars!("a string");
    refuse_containers!("a string");
}

/// An optional timestamp: a string that [`Timestamp::parse`] accepts, or `null`.
/// Parsed inside the string's own visit so that serde_json reports the error at the
/// string's closing quote.
struct TimestampSeed<'c> {
    ctx: &'c Ctx,
    path: Path,
}

impl<'de> DeserializeSeed<'de> for TimestampSeed<'_> {
    type Value = Option<Timestamp>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TimestampSeed<'_> {
    type Value = Option<Timestamp>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp string or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match Timestamp::parse(v) {
            Ok(t) => Ok(Some(t)),
            Err(e) => Err(problem(
                self.ctx,
                "bad_timestamp",
                format!(
                    "{} {v:?} is not a timestamp of the form YYYY-MM-DD HH:MM:SS[.fff]: {}",
                    self.path,
                    e.message()
                ),
            )),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    refuse_scalars!("a string");
    refuse_containers!("a string");
}

/// The whole body: an object whose `Notification` member is read.
struct BodySeed<'c> {
    ctx: &'c Ctx,
    path: Path,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = Option<Notification>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = Option<Notification>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut notification = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Notification => {
                    notification = map.next_value_seed(NotificationSeed {
                        ctx: self.ctx,
                        path: Path::Notification,
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(notification)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(wrong_type(self.ctx, self.path, "a JSON object", "null"))
    }
    refuse_scalars!("a JSON object");
    refuse_str!("a JSON object");
    refuse_seq!("a JSON object");
}

/// The `Notification` object (`null` = absent).
struct NotificationSeed<'c> {
    ctx: &'c Ctx,
    path: Path,
}

impl<'de> DeserializeSeed<'de> for NotificationSeed<'_> {
    type Value = Option<Notification>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NotificationSeed<'_> {
    type Value = Option<Notification>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or null")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut notification = Notification {
            found: true,
            notification_id: None,
            events: Vec::new(),
        };
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::NotificationId => {
                    notification.notification_id = map
                        .next_value_seed(StrSeed {
                            ctx: self.ctx,
                            path: Path::NotificationId,
                        })?
                        .map(Cow::into_owned)
                }
                Key::Status => {
                    notification.events = map
                        .next_value_seed(StatusSeed {
                            ctx: self.ctx,
                            path: Path::Status,
                        })?
                        .unwrap_or_default()
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(notification))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    refuse_scalars!("an object");
    refuse_str!("an object");
    refuse_seq!("an object");
}

/// The `status` array (`null` = absent).
struct StatusSeed<'c> {
    ctx: &'c Ctx,
    path: Path,
}

impl<'de> DeserializeSeed<'de> for StatusSeed<'_> {
    type Value = Option<Vec<StatusEvent>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StatusSeed<'_> {
    type Value = Option<Vec<StatusEvent>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array or null")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(event) = seq.next_element_seed(EventSeed {
            ctx: self.ctx,
            index: events.len(),
            path: Path::Event(events.len()),
        })? {
            events.push(event);
        }
        Ok(Some(events))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Err(wrong_type(self.ctx, self.path, "an array", "an object"))
    }
    refuse_scalars!("an array");
    refuse_str!("an array");
}

/// One event object of `status` (never `null`).
struct EventSeed<'c> {
    ctx: &'c Ctx,
    index: usize,
    path: Path,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
    type Value = StatusEvent;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_> {
    type Value = StatusEvent;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let i = self.index;
        let ctx = self.ctx;
        let field = |name| StrSeed {
            ctx,
            path: Path::Field(i, name),
        };
        let mut code = None;
        let mut event = StatusEvent {
            code: String::new(),
            text: None,
            channel: None,
            recipient: None,
            timestamp: None,
        };
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::StatusCode => code = map.next_value_seed(field("statusCode"))?,
                Key::StatusText => {
                    event.text = map
                        .next_value_seed(field("statusText"))?
                        .map(Cow::into_owned)
                }
                Key::Channel => {
                    event.channel = map.next_value_seed(field("channel"))?.map(Cow::into_owned)
                }
                Key::Recipient => {
                    event.recipient = map.next_value_seed(field("recipient"))?.map(|r| {
                        match strip_email_prefix(&r) {
                            Some(rest) => rest.to_owned(),
                            None => r.into_owned(),
                        }
                    })
                }
                Key::Timestamp => {
                    event.timestamp = map.next_value_seed(TimestampSeed {
                        ctx,
                        path: Path::Field(i, "timestamp"),
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match code {
            Some(code) => event.code = code.into_owned(),
            None => {
                return Err(problem(
                    ctx,
                    "missing_field",
                    format!("{} has no `statusCode` (or it is null)", self.path),
                ))
            }
        }
        Ok(event)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(wrong_type(self.ctx, self.path, "an object", "null"))
    }
    refuse_scalars!("an object");
    refuse_str!("an object");
    refuse_seq!("an object");
}

/// Parses a body; see `super::parse_status` for the rules.
pub(super) fn parse(body: &str) -> Result<Notification> {
    // A UTF-8 byte order mark is skipped; positions stay offsets into `body`.
    let (text, shift) = match body.strip_prefix('\u{feff}') {
        Some(rest) => (rest, body.len() - rest.len()),
        None => (body, 0),
    };
    let ctx: Ctx = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = BodySeed {
        ctx: &ctx,
        path: Path::Body,
    }
    .deserialize(&mut de)
    .and_then(|n| de.end().map(|()| n));
    match result {
        Ok(Some(notification)) => Ok(notification),
        Ok(None) => Ok(Notification::default()),
        Err(err) => Err(match ctx.into_inner() {
            // A schema problem is reported only for well-formed JSON: a body that is
            // not JSON is always `malformed_json`, wherever the first problem sits.
            Some(problem) => match syntax_check(text) {
                Err(syntax) => json_error(body, shift, text, &syntax),
                Ok(()) => schema_error(body, shift, text, &err, problem),
            },
            None => json_error(body, shift, text, &err),
        }),
    }
}

fn syntax_check(text: &str) -> serde_json::Result<()> {
    let mut de = serde_json::Deserializer::from_str(text);
    IgnoredAny::deserialize(&mut de)?;
    de.end()
}

/// The byte offset of serde_json's (line, column): both count from 1, lines end at
/// `\n`, and the column counts bytes (serde_json's `SliceRead::position_of_index`).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    if line > 1 {
        let mut lines = 1;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                lines += 1;
                if lines == line {
                    start = i + 1;
                    break;
                }
            }
        }
    }
    floor_char_boundary(text, (start + column.saturating_sub(1)).min(text.len()))
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Line (from 1) and column (from 1, in characters) of a byte offset.
fn line_column(body: &str, position: usize) -> (usize, usize) {
    let before = &body[..floor_char_boundary(body, position.min(body.len()))];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = 1 + before.bytes().filter(|&b| b == b'\n').count();
    (line, before[line_start..].chars().count() + 1)
}

fn json_error(body: &str, shift: usize, text: &str, err: &serde_json::Error) -> Error {
    let position = shift
        + if err.classify() == serde_json::error::Category::Eof {
            text.len()
        } else {
            offset_of(text, err.line(), err.column())
        };
    // serde_json's message without its own " at line L column C" suffix.
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let what = full.strip_suffix(&suffix).unwrap_or(&full);
    let (line, column) = line_column(body, position);
    Error::new(
        ErrorKind::InvalidStatusResponse,
        format!("malformed JSON at line {line}, column {column} (byte {position}): {what}"),
    )
    .with_reason("malformed_json")
    .with_position(position)
}

fn schema_error(
    body: &str,
    shift: usize,
    text: &str,
    err: &serde_json::Error,
    problem: Problem,
) -> Error {
    // serde_json reports a visitor's error at the last byte it consumed: the last
    // byte of the offending value (for `missing_field`, the event object's `}`).
    let position = shift + offset_of(text, err.line(), err.column());
    let (line, column) = line_column(body, position);
    Error::new(
        ErrorKind::InvalidStatusResponse,
        format!(
            "{} (line {line}, column {column}, byte {position})",
            problem.message
        ),
    )
    .with_reason(problem.reason)
    .with_position(position)
}
