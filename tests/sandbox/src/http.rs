//! The status API (`GET /v1/{accountId}/notifications/id/{id}`, Basic auth) and the
//! sandbox-only control endpoints (`/_sandbox/…`), served by `tiny_http` worker threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use tiny_http::{Header, Method, Request, Response, Server};

use crate::store::{format_timestamp, Store};
use crate::Config;

/// Realm of the `WWW-Authenticate` challenge.
pub const REALM: &str = "Email 365 sandbox";

/// What the HTTP workers share.
pub struct HttpShared {
    pub config: Config,
    pub store: Arc<Store>,
    pub shutdown: Arc<AtomicBool>,
}

/// Answers requests until `shared.shutdown` is set.
pub fn serve(server: Arc<Server>, shared: Arc<HttpShared>) {
    while !shared.shutdown.load(Ordering::SeqCst) {
        match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(request)) => {
                let (status, body, extra) = route(&request, &shared);
                if shared.config.verbose {
                    eprintln!(
                        "[email365-sandbox http] {} {} -> {status}",
                        request.method(),
                        request.url().split('?').next().unwrap_or("")
                    );
                }
                let mut response = Response::from_string(body.to_string()).with_status_code(status);
                let headers =
                    std::iter::once(("Content-Type", "application/json".to_string())).chain(extra);
                for (name, value) in headers {
                    // Names and values are ASCII built here, which tiny_http accepts.
                    if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                        response = response.with_header(h);
                    }
                }
                let _ = request.respond(response);
            }
            Ok(None) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

type Routed = (u16, Value, Vec<(&'static str, String)>);

fn error(status: u16, code: &str, message: &str) -> Routed {
    (
        status,
        json!({"error": code, "message": message}),
        Vec::new(),
    )
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// The query's parameters, percent-decoded (`+` stays a plus: addresses contain it).
fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

fn authorized(request: &Request, config: &Config) -> bool {
    let Some(h) = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
    else {
        return false;
    };
    let value = h.value.as_str().trim();
    let Some((scheme, token)) = value.split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
    let u = ct_eq(user, config.username.as_bytes());
    let p = ct_eq(pass, config.password.as_bytes());
    u & p
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn route(request: &Request, shared: &HttpShared) -> Routed {
    let url = request.url();
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = request.method();
    match segments.as_slice() {
        ["v1", account, "notifications", "id", id] => {
            if *method != Method::Get && *method != Method::Head {
                return method_not_allowed("GET");
            }
            status(request, shared, &decode(account), &decode(id), query)
        }
        ["_sandbox", "advance"] => {
            if *method != Method::Post {
                return method_not_allowed("POST");
            }
            advance(shared, query)
        }
        ["_sandbox", "clock"] => {
            if *method != Method::Get {
                return method_not_allowed("GET");
            }
            let now = shared.store.now_ms();
            (
                200,
                json!({"now": format_timestamp(now), "now_ms": now}),
                Vec::new(),
            )
        }
        ["_sandbox", "messages"] => match method {
            Method::Get => {
                let list: Vec<Value> = shared
                    .store
                    .messages()
                    .iter()
                    .map(|m| m.to_json())
                    .collect();
                (200, Value::Array(list), Vec::new())
            }
            Method::Delete => {
                shared.store.clear_messages();
                (200, json!({"cleared": true}), Vec::new())
            }
            _ => method_not_allowed("GET, DELETE"),
        },
        _ => error(404, "not_found", "no such resource"),
    }
}

fn method_not_allowed(allow: &str) -> Routed {
    let (s, b, _) = error(405, "method_not_allowed", "method not allowed");
    (s, b, vec![("Allow", allow.to_string())])
}

fn status(request: &Request, shared: &HttpShared, account: &str, id: &str, query: &str) -> Routed {
    if !authorized(request, &shared.config) {
        let (s, b, _) = error(401, "unauthorized", "valid Basic credentials required");
        let challenge = format!("Basic realm=\"{REALM}\", charset=\"UTF-8\"");
        return (s, b, vec![("WWW-Authenticate", challenge)]);
    }
    if account != shared.config.account_id {
        return error(
            404,
            "account_not_found",
            "no such account for these credentials",
        );
    }
    let recipient = query_params(query)
        .into_iter()
        .find(|(k, _)| k == "recipient")
        .map(|(_, v)| {
            let v = v.trim();
            match v.get(..6) {
                Some(p) if p.eq_ignore_ascii_case("email:") => v[6..].to_string(),
                _ => v.to_string(),
            }
        });
    (
        200,
        shared.store.status(id, recipient.as_deref()),
        Vec::new(),
    )
}

fn advance(shared: &HttpShared, query: &str) -> Routed {
    let mut by = Duration::ZERO;
    for (k, v) in query_params(query) {
        let parsed = match k.as_str() {
            "seconds" => v
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)),
            "ms" => v.parse::<u64>().ok().map(Duration::from_millis),
            _ => continue,
        };
        match parsed {
            Some(d) => by = by.saturating_add(d),
            None => {
                return error(
                    400,
                    "invalid_argument",
                    "seconds / ms must be non-negative numbers",
                )
            }
        }
    }
    shared.store.advance(by);
    let now = shared.store.now_ms();
    (
        200,
        json!({"advanced_ms": u64::try_from(by.as_millis()).unwrap_or(u64::MAX), "now": format_timestamp(now), "now_ms": now}),
        Vec::new(),
    )
}
