//! The JavaScript shapes of the core's results (feature `wasm`), read through serde_json:
//! camelCase names, `null` for absent values, computed members, and the TypeScript
//! declarations the wasm package exports under the same names.

use email365::address::{Address, AddressOptions, Mode};
use email365::message::wasm::EnvelopeOfMessage;
use email365::message::{envelope_from_message, MessageBuilder};
use email365::reply::{classify_code, Category, EnhancedCode, Reply, Severity};
use email365::status::{self, StatusQuery};
use serde_json::{json, Value};
use tsify_next::Tsify;

fn shape<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

#[test]
fn an_address_is_an_address_info() {
    let options = AddressOptions {
        mode: Mode::Header,
        ..AddressOptions::default()
    };
    let a = Address::parse("Ann <ann@BÜCHER.example>", &options).unwrap();
    assert_eq!(
        shape(&a),
        json!({"local": "ann", "domain": "bücher.example",
               "asciiDomain": "xn--bcher-kva.example", "displayName": "Ann", "smtputf8": false})
    );
    let bare = Address::parse("ann@example.com", &AddressOptions::default()).unwrap();
    assert_eq!(shape(&bare)["displayName"], Value::Null);
    assert!(
        Address::DECL.contains("interface AddressInfo"),
        "{}",
        Address::DECL
    );
    assert!(
        Address::DECL.contains("displayName: string | null"),
        "{}",
        Address::DECL
    );
}

#[test]
fn a_classification_is_a_reply_classification() {
    let c = Reply::parse("452 4.3.1 full").unwrap().classify(None);
    assert_eq!(
        shape(&c),
        json!({"code": 452, "enhanced": "4.3.1", "severity": "transient",
               "category": "mail_system", "retry": true, "description": c.description,
               "inconsistent": false})
    );
    let bare = classify_code(250, None, None);
    assert_eq!(
        (&shape(&bare)["enhanced"], &shape(&bare)["category"]),
        (&Value::Null, &Value::Null)
    );
    let decl = email365::reply::Classification::DECL;
    assert!(decl.contains("interface ReplyClassification"), "{decl}");
    assert!(decl.contains("category: ReplyCategory | null"), "{decl}");
}

#[test]
fn severity_and_category_names_are_their_stable_names() {
    for s in [
        Severity::Success,
        Severity::Intermediate,
        Severity::Transient,
        Severity::Permanent,
    ] {
        assert_eq!(shape(&s), s.as_str());
        assert!(Severity::DECL.contains(&format!("\"{}\"", s.as_str())));
    }
    for subject in 0..=8 {
        let e = EnhancedCode {
            class: 5,
            subject,
            detail: 0,
        };
        let category: Category = classify_code(550, Some(e), None).category.unwrap();
        assert_eq!(shape(&category), category.as_str());
        assert!(Category::DECL.contains(&format!("\"{}\"", category.as_str())));
    }
}

#[test]
fn a_built_message_carries_its_size_and_envelope() {
    let built = MessageBuilder::new()
        .from("a@example.com")
        .to("b@example.org")
        .message_id("<m@example.com>")
        .date("Sat, 28 Nov 2026 12:00:00 +0000")
        .text("hi")
        .build()
        .unwrap();
    let v = shape(&built);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    // serde_json sorts the keys; JavaScript sees them in declaration order.
    assert_eq!(
        keys,
        [
            "bytes",
            "eightBit",
            "envelope",
            "messageId",
            "size",
            "smtputf8"
        ]
    );
    assert_eq!(v["size"], built.bytes.len());
    assert_eq!(v["bytes"].as_array().unwrap().len(), built.bytes.len());
    assert_eq!(
        v["envelope"],
        json!({"mailFrom": "a@example.com", "rcptTo": ["b@example.org"]})
    );
    assert_eq!(v["messageId"], "m@example.com");

    let found = EnvelopeOfMessage::from(envelope_from_message(&built.bytes).unwrap());
    let v = shape(&found);
    assert_eq!(v["envelope"]["rcptTo"], json!(["b@example.org"]));
    assert_eq!(v["bytes"].as_array().unwrap().len(), built.bytes.len());
    assert!(EnvelopeOfMessage::DECL.contains("envelope: EnvelopeData"));
    assert!(EnvelopeOfMessage::DECL.contains("bytes: Uint8Array"));
}

#[test]
fn a_status_request_groups_its_headers_as_fetch_takes_them() {
    let query = StatusQuery {
        account_id: "acc",
        notification_id: "n1",
        username: "u",
        password: "p",
        ..StatusQuery::default()
    };
    let r = status::status_request(&query).unwrap();
    assert_eq!(
        shape(&r),
        json!({"method": "GET", "url": r.url,
               "headers": {"authorization": r.authorization, "accept": r.accept}})
    );
}

#[test]
fn a_notification_carries_its_recipient_states_and_all_final() {
    let body = r#"{"Notification": {"notificationId": "n1", "status": [
        {"statusCode": "CAAS_RECEIVED", "recipient": "email:a@example.com",
         "timestamp": "2026-11-28T12:00:00Z"},
        {"statusCode": "CH_SENT", "recipient": "email:a@example.com"}]}}"#;
    let v = shape(&status::parse_status(body).unwrap());
    assert_eq!(
        v,
        json!({"found": true, "notificationId": "n1",
            "events": [
                {"code": "CAAS_RECEIVED", "text": null, "channel": null,
                 "recipient": "a@example.com", "timestamp": "2026-11-28T12:00:00.000Z"},
                {"code": "CH_SENT", "text": null, "channel": null,
                 "recipient": "a@example.com", "timestamp": null}],
            "recipients": [{"recipient": "a@example.com", "isFinal": true,
                "latest": {"code": "CH_SENT", "text": null, "channel": null,
                           "recipient": "a@example.com", "timestamp": null}}],
            "allFinal": true})
    );
    let empty = shape(&status::parse_status("{}").unwrap());
    assert_eq!(
        empty,
        json!({"found": false, "notificationId": null, "events": [], "recipients": [],
               "allFinal": false})
    );
}

#[test]
fn declarations_keep_the_package_type_names() {
    use email365::message::Envelope;
    use email365::status::{RecipientState, StatusEvent};
    let names = [
        (Severity::DECL, "type ReplySeverity ="),
        (Category::DECL, "type ReplyCategory ="),
        (Envelope::DECL, "interface EnvelopeData {"),
        (StatusEvent::DECL, "interface StatusEventData {"),
        (RecipientState::DECL, "interface RecipientStateData {"),
        (RecipientState::DECL, "latest: StatusEventData;"),
        (StatusEvent::DECL, "timestamp: string | null;"),
    ];
    for (decl, want) in names {
        assert!(decl.contains(want), "{want} not in {decl}");
    }
}
