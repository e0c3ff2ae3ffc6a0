//! The status-API HTTP client (feature `http`) against a scripted HTTP server on
//! 127.0.0.1: status mapping, headers sent, no redirects, timeouts, the polling helper.
#![cfg(feature = "http")]

use email365::http::StatusClient;
use email365::status::StatusRequest;
use email365::ErrorKind;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Serves the given responses, one per connection, recording each request head.
fn serve(responses: Vec<String>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        for resp in responses {
            let Ok((mut c, _)) = l.accept() else { return };
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut b = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut b) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&b[..n]),
                }
            }
            s.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            if resp == "SILENT" {
                std::thread::sleep(Duration::from_secs(2));
                continue;
            }
            let _ = c.write_all(resp.as_bytes());
        }
    });
    (port, seen)
}

fn response(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    )
}

fn request(port: u16) -> StatusRequest {
    StatusRequest {
        method: "GET",
        url: format!("http://127.0.0.1:{port}/v1/acc/notifications/id/10000000902077"),
        authorization: "Basic dXNlcjpzZWNyZXQ=".into(),
        accept: "application/json",
    }
}

#[test]
fn http_statuses_map_to_error_kinds() {
    let cases = [
        ("401 Unauthorized", ErrorKind::Auth, false),
        ("403 Forbidden", ErrorKind::Auth, false),
        ("404 Not Found", ErrorKind::NotFound, false),
        ("429 Too Many Requests", ErrorKind::StatusHttp, true),
        ("500 Internal Server Error", ErrorKind::StatusHttp, true),
        ("503 Service Unavailable", ErrorKind::StatusHttp, true),
        ("400 Bad Request", ErrorKind::StatusHttp, false),
        ("302 Found", ErrorKind::StatusHttp, false),
    ];
    let responses = cases
        .iter()
        .map(|(s, _, _)| response(s, "Location: http://evil.example/\r\n", "{}"))
        .collect();
    let (port, seen) = serve(responses);
    let client = StatusClient::new(Duration::from_secs(5));
    for (status, kind, transient) in cases {
        let e = client.fetch_request(&request(port)).unwrap_err();
        assert_eq!(e.kind(), kind, "{status}");
        assert_eq!(e.transient(), transient, "{status}");
        assert!(!format!("{e:?}").contains("dXNlcjpzZWNyZXQ="));
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), cases.len(), "the redirect was not followed");
    let first = seen[0].to_ascii_lowercase();
    assert!(first.starts_with("get /v1/acc/notifications/id/10000000902077 http/1.1\r\n"));
    assert!(first.contains("authorization: basic dxnlcjpzzwnyzxq=\r\n"));
    assert!(first.contains("accept: application/json\r\n"));
}

#[test]
fn a_silent_server_times_out() {
    let (port, _) = serve(vec!["SILENT".into()]);
    let client = StatusClient::new(Duration::from_millis(300));
    let e = client.fetch_request(&request(port)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
    assert!(e.transient());
}

#[test]
fn nothing_listening_is_a_connection_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = StatusClient::new(Duration::from_secs(2))
        .fetch_request(&request(port))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e:?}");
}

#[test]
fn wait_for_stops_on_a_permanent_error() {
    let (port, seen) = serve(vec![response("401 Unauthorized", "", "")]);
    let e = StatusClient::new(Duration::from_secs(2))
        .wait_for_request(&request(port), None, Duration::from_secs(5))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn wait_for_gives_the_last_error_when_nothing_ever_succeeds() {
    let (port, seen) = serve(vec![
        response("503 Service Unavailable", "Retry-After: 0\r\n", ""),
        response("503 Service Unavailable", "Retry-After: 0\r\n", ""),
        response("503 Service Unavailable", "Retry-After: 5\r\n", ""),
    ]);
    let t = std::time::Instant::now();
    let e = StatusClient::new(Duration::from_secs(2))
        .wait_for_request(&request(port), None, Duration::from_secs(2))
        .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "Retry-After 5 s exceeds the deadline"
    );
    assert!(e.kind() == ErrorKind::StatusHttp || e.kind() == ErrorKind::Timeout);
    assert_eq!(
        seen.lock().unwrap().len(),
        3,
        "Retry-After: 0 retried at once"
    );
}

const FINAL_BODY: &str = r#"{"Notification": {"notificationId": "10000000902077", "status": [
 {"statusCode": "CAAS_RECEIVED", "statusText": "received", "channel": "email", "recipient": "email:a@example.net", "timestamp": "2015-03-08 14:58:30.252"},
 {"statusCode": "CH_SENT", "statusText": "sent", "channel": "email", "recipient": "email:a@example.net", "timestamp": "2015-03-08 14:58:31"}]}}"#;

#[test]
fn wait_for_polls_until_the_recipient_is_final() {
    // Needs the real status parser (the stub's parse_status fails).
    let pending = r#"{"Notification": {"notificationId": "10000000902077", "status": [
 {"statusCode": "CAAS_RECEIVED", "statusText": "received", "channel": "email", "recipient": "email:a@example.net", "timestamp": "2015-03-08 14:58:30.252"}]}}"#;
    let (port, seen) = serve(vec![
        response("429 Too Many Requests", "Retry-After: 0\r\n", ""),
        response("200 OK", "Content-Type: application/json\r\n", pending),
        response("200 OK", "Content-Type: application/json\r\n", FINAL_BODY),
    ]);
    let out = StatusClient::new(Duration::from_secs(2))
        .wait_for_request(
            &request(port),
            Some("a@example.net"),
            Duration::from_secs(10),
        )
        .expect("final");
    assert!(out.is_final);
    assert_eq!(out.attempts, 3);
    assert_eq!(out.notification.events.len(), 2);
    assert_eq!(seen.lock().unwrap().len(), 3);
}
