//! The sandbox's status API and control endpoints, driven over HTTP with `ureq`.

mod common;

use std::time::Duration;

use common::{b64, queued_id, sandbox_with, Client, PASS, USER};
use email365_sandbox::{Config, Sandbox};
use serde_json::{json, Value};

struct Http {
    agent: ureq::Agent,
    base: String,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Http {
    fn new(sb: &Sandbox) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Http {
            agent,
            base: sb.http_url(),
        }
    }

    fn call(&self, method: &str, path: &str, auth: Option<(&str, &str)>) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut resp = match method {
            "GET" => {
                let mut req = self.agent.get(&url);
                if let Some((u, p)) = auth {
                    req = req.header(
                        "Authorization",
                        format!("Basic {}", b64(format!("{u}:{p}").as_bytes())),
                    );
                }
                req.call()
            }
            "POST" => self.agent.post(&url).send_empty(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => panic!("method"),
        }
        .expect("HTTP exchange");
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let text = resp.body_mut().read_to_string().expect("body");
        Answer {
            status: resp.status().as_u16(),
            headers,
            body: serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON body {text:?}: {e}")),
        }
    }

    fn status(&self, sb: &Sandbox, id: &str, query: &str) -> Value {
        let path = format!(
            "/v1/{}/notifications/id/{id}{query}",
            sb.config().account_id
        );
        let a = self.call("GET", &path, Some((USER, PASS)));
        assert_eq!(a.status, 200);
        assert!(a
            .headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/json"));
        a.body
    }
}

/// A sandbox configured by `configure`, a client of its HTTP side, and the notification
/// id of one message sent to `to`.
fn sent(configure: impl FnOnce(&mut Config), to: &[&str]) -> (Sandbox, Http, String) {
    let sb = sandbox_with(configure);
    let http = Http::new(&sb);
    let id = send(&sb, to);
    (sb, http, id)
}

fn send(sb: &Sandbox, to: &[&str]) -> String {
    let mut c = Client::ready(sb);
    let r = c.send_message("me@example.com", to, b"Subject: s\r\n\r\nstatus\r\n");
    queued_id(r.last().unwrap())
}

fn codes(v: &Value) -> Vec<(String, String)> {
    v["Notification"]["status"]
        .as_array()
        .expect("status array")
        .iter()
        .map(|e| {
            (
                e["recipient"].as_str().unwrap().to_string(),
                e["statusCode"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(r: &str, c: &str) -> (String, String) {
    (r.to_string(), c.to_string())
}

#[test]
fn basic_auth_is_required() {
    let (_sb, http, id) = sent(|_| {}, &["a@x.org"]);
    let path = format!("/v1/caas_sandbox/notifications/id/{id}");
    for auth in [
        None,
        Some((USER, "wrong")),
        Some(("other", PASS)),
        Some(("", "")),
    ] {
        let a = http.call("GET", &path, auth);
        assert_eq!(a.status, 401, "{auth:?}");
        let challenge = a
            .headers
            .iter()
            .find(|(k, _)| k == "www-authenticate")
            .map(|(_, v)| v.clone())
            .expect("WWW-Authenticate");
        assert!(challenge.starts_with("Basic realm="), "{challenge}");
        assert_eq!(a.body["error"], "unauthorized");
    }
    assert_eq!(http.call("GET", &path, Some((USER, PASS))).status, 200);
}

#[test]
fn other_account_is_404_and_unknown_id_is_empty_object() {
    let (sb, http, id) = sent(|_| {}, &["a@x.org"]);
    let a = http.call(
        "GET",
        &format!("/v1/caas_other/notifications/id/{id}"),
        Some((USER, PASS)),
    );
    assert_eq!(a.status, 404);
    assert_eq!(a.body["error"], "account_not_found");
    assert_eq!(http.status(&sb, "99999999999999", ""), json!({}));
    assert_eq!(http.status(&sb, "not-a-number", ""), json!({}));
    assert_eq!(
        http.call("GET", "/v1/caas_sandbox/elsewhere", Some((USER, PASS)))
            .status,
        404
    );
}

#[test]
fn life_cycle_follows_the_clock_with_exact_shape() {
    let (sb, http, id) = sent(
        |c| c.step = Duration::from_secs(30),
        &["a@x.org", "bounce.me@x.org"],
    );
    let v = http.status(&sb, &id, "");
    assert_eq!(
        codes(&v),
        [
            pair("email:a@x.org", "CAAS_RECEIVED"),
            pair("email:bounce.me@x.org", "CAAS_RECEIVED")
        ]
    );
    assert_eq!(v["Notification"]["notificationId"], id);
    let event = &v["Notification"]["status"][0];
    let keys: Vec<&String> = event.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "channel",
            "recipient",
            "statusCode",
            "statusText",
            "timestamp"
        ]
    );
    assert_eq!(event["channel"], "email");
    assert_eq!(event["statusText"], "Successful");
    let ts = event["timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), 23, "{ts}");
    assert_eq!(&ts[4..5], "-");
    assert_eq!(&ts[10..11], " ");
    assert_eq!(&ts[19..20], ".");

    // Advance through the control endpoint: one step at a time.
    let a = http.call("POST", "/_sandbox/advance?seconds=30", None);
    assert_eq!(a.status, 200);
    assert_eq!(a.body["advanced_ms"], 30_000);
    let v = http.status(&sb, &id, "");
    assert_eq!(codes(&v).len(), 4);
    assert_eq!(codes(&v)[3], pair("email:bounce.me@x.org", "CAAS_SENT"));

    http.call("POST", "/_sandbox/advance?ms=60000", None);
    let v = http.status(&sb, &id, "");
    let all = codes(&v);
    assert_eq!(all.len(), 8);
    assert_eq!(all[6], pair("email:a@x.org", "CH_SENT"));
    assert_eq!(all[7], pair("email:bounce.me@x.org", "CH_BOUNCED"));
    let bounce = &v["Notification"]["status"][7];
    assert_eq!(bounce["statusText"], "550 5.1.1 mailbox unavailable");
    // Timestamps are 30 s apart per step.
    let t0 = v["Notification"]["status"][0]["timestamp"]
        .as_str()
        .unwrap()
        .to_string();
    let t3 = v["Notification"]["status"][6]["timestamp"]
        .as_str()
        .unwrap()
        .to_string();
    let secs = |t: &str| -> i64 {
        let h: i64 = t[11..13].parse().unwrap();
        let m: i64 = t[14..16].parse().unwrap();
        let s: i64 = t[17..19].parse().unwrap();
        h * 3600 + m * 60 + s
    };
    assert_eq!((secs(&t3) - secs(&t0)).rem_euclid(86_400), 90);
}

#[test]
fn recipient_filter_is_percent_decoded() {
    let (sb, http, id) = sent(|_| {}, &["a+tag@x.org", "bounce@x.org"]);
    let v = http.status(&sb, &id, "?recipient=email%3Abounce%40x.org");
    let got = codes(&v);
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|(r, _)| r == "email:bounce@x.org"));
    let v = http.status(&sb, &id, "?recipient=email:a+tag@X.ORG");
    assert_eq!(codes(&v).len(), 4, "a plus sign stays a plus sign");
    let v = http.status(&sb, &id, "?recipient=email%3Anobody%40x.org");
    assert_eq!(v["Notification"]["status"], json!([]));
}

#[test]
fn data_expires_after_the_retention() {
    let (sb, http, id) = sent(|c| c.retention = Duration::from_secs(3600), &["a@x.org"]);
    sb.advance(Duration::from_secs(3599));
    assert_eq!(codes(&http.status(&sb, &id, "")).len(), 4);
    sb.advance(Duration::from_secs(1));
    assert_eq!(http.status(&sb, &id, ""), json!({}));
}

#[test]
fn seven_days_by_default() {
    let (sb, http, id) = sent(|_| {}, &["a@x.org"]);
    http.call("POST", "/_sandbox/advance?seconds=604799", None);
    assert_eq!(codes(&http.status(&sb, &id, "")).len(), 4);
    http.call("POST", "/_sandbox/advance?seconds=1", None);
    assert_eq!(http.status(&sb, &id, ""), json!({}));
}

#[test]
fn control_endpoints_list_and_clear_messages() {
    let (sb, http, id) = sent(|_| {}, &["a@x.org"]);
    let a = http.call("GET", "/_sandbox/messages", None);
    assert_eq!(a.status, 200);
    let list = a.body.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["notification_id"], id);
    assert_eq!(list[0]["data_base64"], b64(b"Subject: s\r\n\r\nstatus\r\n"));
    assert_eq!(list[0]["rcpt_to"], json!(["a@x.org"]));
    assert_eq!(http.call("DELETE", "/_sandbox/messages", None).status, 200);
    assert_eq!(http.call("GET", "/_sandbox/messages", None).body, json!([]));
    // The notification outlives the message list.
    assert_eq!(codes(&http.status(&sb, &id, "")).len(), 4);
    let bad = http.call("POST", "/_sandbox/advance?seconds=-5", None);
    assert_eq!(bad.status, 400);
    let wrong = http.call("GET", "/_sandbox/advance", None);
    assert_eq!(wrong.status, 405);
    assert!(wrong
        .headers
        .iter()
        .any(|(k, v)| k == "allow" && v == "POST"));
    let clock = http.call("GET", "/_sandbox/clock", None);
    assert!(clock.body["now_ms"].as_i64().unwrap() > 1_700_000_000_000);
}

#[test]
fn rejected_and_greylisted_recipients_have_no_events() {
    let (sb, http, id) = sent(|_| {}, &["a@x.org", "reject@x.org", "greylist@x.org"]);
    let got = codes(&http.status(&sb, &id, ""));
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|(r, _)| r == "email:a@x.org"));
}
