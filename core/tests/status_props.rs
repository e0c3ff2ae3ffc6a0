//! Property tests of the status API: no input makes `parse_status` or `status_request`
//! panic, errors are well-formed, and timestamps round-trip through their text form.

use email365::status::{
    parse_status, status_request, Notification, StatusEvent, StatusQuery, Timestamp,
};
use email365::ErrorKind;
use proptest::prelude::*;
use serde_json::{json, Value};

/// The member names of a status response.
static STATUS_KEYS: [&str; 8] = [
    "Notification",
    "notificationId",
    "status",
    "statusCode",
    "statusText",
    "channel",
    "recipient",
    "timestamp",
];

/// Arbitrary JSON values, biased towards the shapes of a status response.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        // Each name as likely as the free-form key.
        8 => prop::sample::select(&STATUS_KEYS[..]).prop_map(String::from),
        1 => "[a-zA-Z]{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("CH_SENT")),
        Just(json!("email:a@x.org")),
        Just(json!("2015-03-08 14:58:30.252")),
        "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,10})?"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn check_error(body: &str, e: &email365::Error) {
    assert_eq!(e.kind(), ErrorKind::InvalidStatusResponse);
    assert!(matches!(
        e.reason(),
        Some("malformed_json" | "wrong_type" | "missing_field" | "bad_timestamp")
    ));
    let p = e.position().expect("every status error has a position");
    assert!(p <= body.len(), "position {p} beyond {}", body.len());
    assert!(body.is_char_boundary(p), "position {p} inside a character");
    assert!(!e.message().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn parse_status_never_panics_on_strings(body in ".{0,200}") {
        if let Err(e) = parse_status(&body) {
            check_error(&body, &e);
        }
    }

    #[test]
    fn parse_status_never_panics_on_json_alphabet(body in "[{}\\[\\]\":, \n0-9a-zA-Z\\\\.é日-]{0,120}") {
        if let Err(e) = parse_status(&body) {
            check_error(&body, &e);
        }
    }

    #[test]
    fn parse_status_never_panics_on_json_values(value in json_value(), wrap in any::<bool>(), pretty in any::<bool>()) {
        let value = if wrap { json!({"Notification": {"notificationId": "1", "status": [value]}}) } else { value };
        let body = if pretty { serde_json::to_string_pretty(&value).unwrap() } else { value.to_string() };
        match parse_status(&body) {
            Ok(n) => {
                // Anything accepted is found iff it has a Notification object.
                let has = value.get("Notification").is_some_and(Value::is_object);
                prop_assert_eq!(n.found, has);
                // The reason is never malformed JSON for well-formed JSON.
            }
            Err(e) => {
                check_error(&body, &e);
                prop_assert_ne!(e.reason(), Some("malformed_json"));
            }
        }
    }

    #[test]
    fn truncating_valid_json_never_panics(value in json_value(), cut in any::<prop::sample::Index>()) {
        let body = json!({"Notification": {"status": [value]}}).to_string();
        let mut at = cut.index(body.len());
        while !body.is_char_boundary(at) { at -= 1; }
        if let Err(e) = parse_status(&body[..at]) {
            check_error(&body[..at], &e);
        }
    }

    #[test]
    fn timestamp_format_parse_round_trip(ms in -62_167_219_200_000i64..253_402_300_800_000i64) {
        // Years 0000 to 9999: the range of the four-digit form.
        let t = Timestamp(ms);
        let text = t.to_rfc3339();
        prop_assert_eq!(text.len(), 24);
        prop_assert_eq!(Timestamp::parse(&text).unwrap(), t);
        // The service's own form (space, no zone) reads the same.
        let service = text.replace('T', " ").trim_end_matches('Z').to_string();
        prop_assert_eq!(Timestamp::parse(&service).unwrap(), t);
    }

    #[test]
    fn timestamp_format_never_panics(ms in any::<i64>()) {
        let text = Timestamp(ms).to_rfc3339();
        prop_assert!(text.ends_with('Z'));
    }

    #[test]
    fn timestamp_parse_never_panics(s in "[0-9 T:.Zz+-]{0,30}|.{0,30}") {
        if let Err(e) = Timestamp::parse(&s) {
            prop_assert_eq!(e.reason(), Some("bad_timestamp"));
            prop_assert!(e.position().unwrap() <= s.len());
        }
    }

    #[test]
    fn notification_format_parse_round_trip(
        id in proptest::option::of(".{0,12}"),
        events in prop::collection::vec((
            "[A-Z_]{1,14}",
            proptest::option::of(".{0,16}"),
            proptest::option::of("[a-z]{1,6}"),
            proptest::option::of("[a-zA-Z0-9.+_-]{1,8}@[a-z0-9.-]{1,10}"),
            proptest::option::of(-62_167_219_200_000i64..253_402_300_800_000i64),
        ), 0..8),
    ) {
        let expected = Notification {
            found: true,
            notification_id: id.clone(),
            events: events.iter().map(|(code, text, channel, recipient, ms)| StatusEvent {
                code: code.clone(),
                text: text.clone(),
                channel: channel.clone(),
                recipient: recipient.clone(),
                timestamp: ms.map(Timestamp),
            }).collect(),
        };
        // Written the way the service writes it: `email:` prefix, space-separated
        // timestamp without a zone.
        let status: Vec<Value> = expected.events.iter().map(|e| json!({
            "statusCode": e.code,
            "statusText": e.text,
            "channel": e.channel,
            "recipient": e.recipient.as_ref().map(|r| format!("email:{r}")),
            "timestamp": e.timestamp.map(|t| t.to_rfc3339().replace('T', " ").replace('Z', "")),
        })).collect();
        let body = json!({"Notification": {"notificationId": id, "status": status}}).to_string();
        prop_assert_eq!(parse_status(&body).unwrap(), expected);
    }

    #[test]
    fn status_request_never_panics(
        account in ".{0,12}",
        id in ".{0,12}",
        recipient in proptest::option::of(".{0,16}"),
        region in proptest::option::of("[a-zA-Z0-9.-]{0,8}"),
        base_url in proptest::option::of("(https?|HTTP|ftp)?(://)?[a-z0-9.:\\[\\]@/?#-]{0,20}/?"),
        username in ".{0,8}",
        password in ".{0,8}",
    ) {
        let query = StatusQuery {
            account_id: &account,
            notification_id: &id,
            recipient: recipient.as_deref(),
            region: region.as_deref(),
            base_url: base_url.as_deref(),
            username: &username,
            password: &password,
        };
        match status_request(&query) {
            Ok(r) => {
                prop_assert!(r.url.is_ascii());
                prop_assert!(!r.url.contains(' '));
                prop_assert_eq!(r.url.matches('?').count(), usize::from(recipient.is_some()));
                prop_assert!(r.authorization.starts_with("Basic "));
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::InvalidArgument);
                prop_assert!(e.reason().is_some());
                if password.len() >= 4 {
                    prop_assert!(!e.message().contains(password.as_str()));
                }
            }
        }
    }

    #[test]
    fn valid_ids_always_build(
        account in "[!-~]{1,20}".prop_filter("no / ? # % or dot segment", |s| !s.contains(['/', '?', '#', '%']) && s != "." && s != ".."),
        id in "[0-9]{1,20}",
    ) {
        let query = StatusQuery { account_id: &account, notification_id: &id, username: "u", password: "p", ..StatusQuery::default() };
        let r = status_request(&query).unwrap();
        prop_assert!(r.url.starts_with("https://eu.email.sdi.sinch.com/v1/"));
        prop_assert_eq!(r.url.matches('/').count(), 7);
    }
}
