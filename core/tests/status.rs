//! Behaviour of the status API: requests, responses (including the vendor's sample as
//! printed and corrected), per-recipient state, finality and the polling plan.

use email365::status::{
    is_final, next_delay, parse_status, status_request, Notification, PollPlan, StatusEvent,
    StatusQuery, Timestamp,
};
use email365::ErrorKind;
use std::time::Duration;

/// Section 4.4.2 of the vendor's spec, first page, exactly as printed.
const SPEC_SAMPLE_AS_PRINTED: &str = r#""Notification": {
  "notificationId": "100000009020772",
  "status" : [
    {
      "statusCode": "CAAS_RECEIVED",
      "statusText": "Successful",
      "channel" "email",
      "recipient": "email:name1 @customer.com"]",
      "timestamp": "2015-03-08 14:58:30.252"
    },
    {
      "statusCode": "CAAS_SENT",
      "statusText": "Successful",
      "channel" "email",
      "recipient": "email:name1 @customer.com"]",
      "timestamp": "2015-03-08 14:59:10.252"
    },
  ]
}
"#;

/// The same sample with both pages joined and the syntax repaired.
const SPEC_SAMPLE_CORRECTED: &str = r#"{
  "Notification": {
    "notificationId": "100000009020772",
    "status" : [
      {"statusCode": "CAAS_RECEIVED", "statusText": "Successful", "channel": "email",
       "recipient": "email:name1@customer.com", "timestamp": "2015-03-08 14:58:30.252"},
      {"statusCode": "CAAS_SENT", "statusText": "Successful", "channel": "email",
       "recipient": "email:name1@customer.com", "timestamp": "2015-03-08 14:59:10.252"},
      {"statusCode": "CH_RECEIVED", "statusText": "Successful", "channel": "email",
       "recipient": "email:name1@customer.com", "timestamp": "2015-03-08 14:59:20.252"},
      {"statusCode": "CH_SENT", "statusText": "Successful", "channel": "email",
       "recipient": "email:name1@customer.com", "timestamp": "2015-03-08 14:59:30.252"}
    ]
  }
}"#;

fn query<'a>() -> StatusQuery<'a> {
    StatusQuery {
        account_id: "caas_email12345",
        notification_id: "10000000902077",
        username: "alice",
        password: "s3cret-Pa55",
        ..StatusQuery::default()
    }
}

#[test]
fn spec_sample_as_printed_is_malformed_json_with_a_position() {
    let e = parse_status(SPEC_SAMPLE_AS_PRINTED).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidStatusResponse);
    assert_eq!(e.reason(), Some("malformed_json"));
    // `"Notification"` is a complete JSON value; the `:` after it is the error.
    assert_eq!(e.position(), Some(14));
    assert!(e.message().contains("line 1, column 15"), "{}", e.message());
}

#[test]
fn spec_sample_missing_colon_is_found_on_its_line() {
    // Wrapped in braces, the first error is the missing `:` after "channel".
    let body = format!("{{{}", &SPEC_SAMPLE_AS_PRINTED);
    let e = parse_status(&body).unwrap_err();
    assert_eq!(e.reason(), Some("malformed_json"));
    let expected = body.find(r#""channel" "email""#).unwrap() + r#""channel" "#.len();
    assert_eq!(e.position(), Some(expected));
    assert!(e.message().contains("line 7, column 17"), "{}", e.message());
    assert!(e.message().contains("expected `:`"), "{}", e.message());
}

#[test]
fn spec_sample_corrected_parses() {
    let n = parse_status(SPEC_SAMPLE_CORRECTED).unwrap();
    assert!(n.found);
    assert_eq!(n.notification_id.as_deref(), Some("100000009020772"));
    let codes: Vec<&str> = n.events.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(
        codes,
        ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_SENT"]
    );
    assert!(n
        .events
        .iter()
        .all(|e| e.recipient.as_deref() == Some("name1@customer.com")));
    assert_eq!(
        n.events[3].timestamp.map(|t| t.to_rfc3339()).as_deref(),
        Some("2015-03-08T14:59:30.252Z")
    );
    assert!(n.is_final_for("name1@customer.com"));
    assert!(n.is_final_for("email:name1@CUSTOMER.com"));
    assert!(n.all_final());
}

#[test]
fn empty_object_means_not_found() {
    for body in ["{}", " {} ", r#"{"Notification": null}"#, "\u{feff}{}"] {
        let n = parse_status(body).unwrap();
        assert_eq!(n, Notification::default(), "{body:?}");
        assert!(!n.all_final());
        assert!(n.recipients().is_empty());
    }
}

#[test]
fn malformed_json_position_is_a_byte_offset_and_the_column_counts_characters() {
    let body = "{\n  \"notificationId\": \"日本語\" oops\n}";
    let e = parse_status(body).unwrap_err();
    let at = body.find("oops").unwrap();
    assert_eq!(e.position(), Some(at));
    assert!(body.is_char_boundary(at));
    // Line 2: `  "notificationId": "日本語" ` is 26 characters, so `oops` is column 27.
    assert!(e.message().contains("line 2, column 27"), "{}", e.message());
}

#[test]
fn truncated_json_points_at_the_end() {
    let body = r#"{"Notification": {"status": [{"statusCode": "CH_SENT"}"#;
    let e = parse_status(body).unwrap_err();
    assert_eq!(e.reason(), Some("malformed_json"));
    assert_eq!(e.position(), Some(body.len()));
}

#[test]
fn wrong_types_name_the_member() {
    let cases = [
        (
            r#"{"Notification": {"status": "nope"}}"#,
            "`Notification.status` must be an array, found a string",
        ),
        (
            r#"{"Notification": {"status": [{"statusCode": 1}]}}"#,
            "`Notification.status[0].statusCode` must be a string, found a number",
        ),
        (
            r#"{"Notification": {"status": [{"statusCode": "A"}, {"statusCode": "B", "channel": {}}]}}"#,
            "`Notification.status[1].channel` must be a string, found an object",
        ),
        (
            r#"{"Notification": true}"#,
            "`Notification` must be an object, found a boolean",
        ),
        (
            "[]",
            "the response body must be a JSON object, found an array",
        ),
    ];
    for (body, message) in cases {
        let e = parse_status(body).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidStatusResponse, "{body}");
        assert_eq!(e.reason(), Some("wrong_type"), "{body}");
        assert!(e.message().starts_with(message), "{body}: {}", e.message());
        let p = e.position().unwrap();
        assert!(p < body.len(), "{body}: {p}");
    }
}

#[test]
fn missing_code_and_bad_timestamps_are_diagnosed() {
    let e = parse_status(r#"{"Notification": {"status": [{"recipient": "email:a@x.org"}]}}"#)
        .unwrap_err();
    assert_eq!(e.reason(), Some("missing_field"));
    assert!(e.message().contains("statusCode"), "{}", e.message());
    let body = r#"{"Notification": {"status": [{"statusCode": "CH_SENT", "timestamp": "2015-03-08 25:00:00"}]}}"#;
    let e = parse_status(body).unwrap_err();
    assert_eq!(e.reason(), Some("bad_timestamp"));
    assert_eq!(e.position(), Some(body.find("00\"}").unwrap() + 2));
    assert!(e.message().contains("timestamp"), "{}", e.message());
}

#[test]
fn recipients_give_the_latest_state_in_first_appearance_order() {
    let body = r#"{"Notification": {"notificationId": "1", "status": [
        {"statusCode": "CAAS_RECEIVED", "recipient": "email:b@x.org"},
        {"statusCode": "CAAS_RECEIVED", "recipient": "email:a@x.org"},
        {"statusCode": "CAAS_SENT", "recipient": "email:b@X.ORG"},
        {"statusCode": "HARD_BOUNCE", "recipient": "email:a@x.org", "statusText": "550 5.1.1"},
        {"statusCode": "CH_RECEIVED", "recipient": "email:B@x.org"},
        {"statusCode": "CAAS_RECEIVED"}
    ]}}"#;
    let n = parse_status(body).unwrap();
    let states = n.recipients();
    let summary: Vec<(Option<&str>, &str, bool)> = states
        .iter()
        .map(|s| (s.recipient.as_deref(), s.latest.code.as_str(), s.is_final))
        .collect();
    assert_eq!(
        summary,
        [
            (Some("b@x.org"), "CAAS_SENT", false),
            (Some("a@x.org"), "HARD_BOUNCE", true),
            // The local part is case-sensitive: `B@x.org` is someone else.
            (Some("B@x.org"), "CH_RECEIVED", false),
            (None, "CAAS_RECEIVED", false),
        ]
    );
    assert!(n.is_final_for("a@x.org"));
    assert!(!n.is_final_for("b@x.org"));
    assert!(!n.is_final_for("nobody@x.org"));
    assert_eq!(
        n.latest_for("email:b@x.org").map(|e| e.code.as_str()),
        Some("CAAS_SENT")
    );
    assert!(!n.all_final());
}

/// `latest_for` and `is_final_for` of each recipient as `recipients()` spells it give
/// that recipient's own state.
fn assert_each_state_is_found_by_its_recipient(n: &Notification) {
    for state in n.recipients() {
        let r = state.recipient.as_deref().unwrap();
        assert_eq!(n.latest_for(r), Some(&state.latest), "{r}");
        assert_eq!(n.is_final_for(r), state.is_final, "{r}");
    }
}

#[test]
fn a_recipient_sent_with_the_prefix_twice_is_found_as_recipients_gives_it() {
    // Found by the status fuzz target: the API's `email:email:x` is read as `email:x`,
    // and `latest_for` of that (what `recipients()` gives) must find its events.
    let body = r#"{"Notification": {"status": [
        {"statusCode": "CAAS_RECEIVED", "recipient": "email:email:name1@customer.com"},
        {"statusCode": "HARD_BOUNCE", "recipient": "email:name2@customer.com"}
    ]}}"#;
    let n = parse_status(body).unwrap();
    assert_each_state_is_found_by_its_recipient(&n);
    assert_eq!(
        n.latest_for("email:name2@customer.com")
            .map(|e| e.code.as_str()),
        Some("HARD_BOUNCE")
    );
    assert_eq!(n.latest_for("name1@customer.com"), None);
}

#[test]
fn an_address_sent_with_and_without_the_doubled_prefix_keeps_two_states() {
    // Found by the status fuzz target: `email:email:x` is read as `email:x` and
    // `email:x` as `x`; each is its own recipient, and `latest_for` of either spelling
    // `recipients()` gives must find that recipient's events, not the other's.
    let body = r#"{"Notification": {"status": [
        {"statusCode": "HARD_BOUNCE", "recipient": "email:name1@customer.com"},
        {"statusCode": "CAAS_RECEIVED", "recipient": "email:email:name1@customer.com"}
    ]}}"#;
    let n = parse_status(body).unwrap();
    assert_eq!(n.recipients().len(), 2);
    assert_each_state_is_found_by_its_recipient(&n);
    let code = |r: &str| n.latest_for(r).map(|e| e.code.as_str());
    assert_eq!(code("name1@customer.com"), Some("HARD_BOUNCE"));
    assert_eq!(code("email:name1@customer.com"), Some("CAAS_RECEIVED"));
    assert_eq!(
        code("email:email:name1@customer.com"),
        Some("CAAS_RECEIVED")
    );
}

#[test]
fn latest_state_follows_response_order_not_timestamps() {
    let body = r#"{"Notification": {"status": [
        {"statusCode": "CH_SENT", "recipient": "a@x.org", "timestamp": "2015-03-08 10:00:00"},
        {"statusCode": "CAAS_SENT", "recipient": "a@x.org", "timestamp": "2015-03-08 09:00:00"}
    ]}}"#;
    let n = parse_status(body).unwrap();
    assert_eq!(n.recipients()[0].latest.code, "CAAS_SENT");
    assert!(!n.is_final_for("a@x.org"));
}

#[test]
fn finality_follows_design() {
    for code in ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED"] {
        assert!(!is_final(code), "{code}");
    }
    for code in [
        "CH_SENT",
        "HARD_BOUNCE",
        "FAILED",
        "ch_sent",
        "",
        "CAAS_RECEIVED ",
    ] {
        assert!(is_final(code), "{code:?}");
    }
    let event = StatusEvent {
        code: "CH_SENT".into(),
        text: None,
        channel: None,
        recipient: None,
        timestamp: None,
    };
    assert!(event.is_final());
}

#[test]
fn next_delay_doubles_caps_and_honours_retry_after() {
    let s = Duration::from_secs;
    let delays: Vec<Duration> = (0..8).map(|a| next_delay(a, None)).collect();
    assert_eq!(delays, [s(1), s(2), s(4), s(8), s(16), s(30), s(30), s(30)]);
    assert_eq!(next_delay(u32::MAX, None), s(30));
    assert_eq!(next_delay(0, Some(s(10))), s(10));
    assert_eq!(
        next_delay(5, Some(s(10))),
        s(30),
        "Retry-After is a minimum"
    );
    assert_eq!(next_delay(0, Some(Duration::ZERO)), s(1), "no busy loop");
    assert_eq!(next_delay(0, Some(s(3600))), s(300), "capped at 5 minutes");
    assert_eq!(next_delay(0, Some(Duration::MAX)), s(300));
    let plan = PollPlan {
        initial: Duration::from_millis(200),
        max_delay: s(2),
        max_retry_after: s(60),
    };
    let delays: Vec<Duration> = (0..6).map(|a| plan.delay(a, None)).collect();
    let ms = Duration::from_millis;
    assert_eq!(delays, [ms(200), ms(400), ms(800), ms(1600), s(2), s(2)]);
    assert_eq!(PollPlan::default(), PollPlan::DEFAULT);
}

#[test]
fn request_matches_the_spec_sample() {
    let r = status_request(&query()).unwrap();
    assert_eq!(r.method, "GET");
    assert_eq!(
        r.url,
        "https://eu.email.sdi.sinch.com/v1/caas_email12345/notifications/id/10000000902077"
    );
    // base64("alice:s3cret-Pa55")
    assert_eq!(r.authorization, "Basic YWxpY2U6czNjcmV0LVBhNTU=");
    assert_eq!(r.accept, "application/json");
    let with_recipient = status_request(&StatusQuery {
        recipient: Some("name1@customer.com"),
        ..query()
    })
    .unwrap();
    assert_eq!(with_recipient.url.matches("?recipient=").count(), 1);
    assert!(with_recipient
        .url
        .ends_with("?recipient=email:name1@customer.com"));
}

#[test]
fn credentials_never_show_in_debug_or_errors() {
    let q = StatusQuery {
        username: "alice:s3cret",
        password: "s3cret-Pa55",
        ..query()
    };
    let e = status_request(&q).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(e.reason(), Some("invalid_username"));
    for text in [format!("{e}"), format!("{e:?}"), format!("{q:?}")] {
        assert!(!text.contains("s3cret"), "{text}");
        assert!(!text.contains("alice"), "{text}");
    }
    let r = status_request(&query()).unwrap();
    let debug = format!("{r:?}");
    assert!(!debug.contains(&r.authorization[6..]), "{debug}");
    assert!(debug.contains("<redacted>"));
    let bad_url = status_request(&StatusQuery {
        base_url: Some("https://alice:s3cret-Pa55@example.com"),
        ..query()
    })
    .unwrap_err();
    assert_eq!(bad_url.reason(), Some("invalid_base_url"));
    assert!(
        !bad_url.message().contains("s3cret"),
        "{}",
        bad_url.message()
    );
}

#[test]
fn timestamps_parse_and_format() {
    let t = Timestamp::parse("2015-03-08 14:58:30.252").unwrap();
    assert_eq!(t, Timestamp(1_425_826_710_252));
    assert_eq!(t.to_rfc3339(), "2015-03-08T14:58:30.252Z");
    assert_eq!(t.to_string(), "2015-03-08T14:58:30.252Z");
    assert_eq!(Timestamp::parse(&t.to_rfc3339()).unwrap(), t);
    let e = Timestamp::parse("2015-03-08 14:58:30,252").unwrap_err();
    assert_eq!(e.reason(), Some("bad_timestamp"));
    assert_eq!(e.position(), Some(19));
}

#[test]
fn a_large_response_parses_completely() {
    let event = r#"{"statusCode": "CAAS_SENT", "statusText": "Successful", "channel": "email", "recipient": "email:a@x.org", "timestamp": "2015-03-08 14:58:30.252"}"#;
    let events = vec![event; 10_000].join(",");
    let body = format!(r#"{{"Notification": {{"notificationId": "1", "status": [{events}]}}}}"#);
    let n = parse_status(&body).unwrap();
    assert_eq!(n.events.len(), 10_000);
    assert_eq!(n.recipients().len(), 1);
}
