//! The async status client (`AsyncStatusClient`, feature `tokio`) against the sandbox and
//! a scripted HTTP server: the same answers, error kinds and polling as the blocking
//! client, no credential in any error.
#![cfg(feature = "tokio")]

use email365::http::{AsyncStatusClient, StatusClient};
use email365::message::Envelope;
use email365::smtp::AsyncSmtpClient;
use email365::{Error, ErrorKind};
use email365_sandbox::Sandbox;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "s3cret-status-pw";

#[path = "smtp_support/sandbox.rs"]
mod sandbox_support;

use sandbox_support::sandbox_options;

fn sandbox(step: Duration) -> Sandbox {
    sandbox_support::sandbox_stepping(step, PASSWORD)
}

/// Submits a message to `to` through the sandbox with the tokio SMTP client; its id.
async fn submit(sb: &Sandbox, to: &[&str]) -> String {
    let mut client = AsyncSmtpClient::connect(sandbox_options(sb)).await.unwrap();
    let envelope = Envelope {
        mail_from: "sender@example.com".into(),
        rcpt_to: to.iter().map(|s| s.to_string()).collect(),
    };
    let d = client
        .send_raw(&envelope, b"Subject: hi\r\n\r\nhello\r\n")
        .await
        .unwrap();
    client.quit().await.unwrap();
    d.notification_id.expect("a notification id")
}

fn client_for(sb: &Sandbox, password: &str) -> AsyncStatusClient {
    let c = sb.config();
    StatusClient::builder(&c.account_id, &c.username, password)
        .base_url(sb.http_url())
        .build_async()
        .expect("client")
}

fn assert_no_secret(e: &Error) {
    for shown in [format!("{e}"), format!("{e:?}")] {
        assert!(!shown.contains(PASSWORD), "password in {shown}");
    }
}

#[tokio::test]
async fn get_and_wait_for_follow_a_message_to_its_final_state() {
    let sb = sandbox(Duration::from_millis(100));
    let id = submit(&sb, &["alice@dest.example", "bob@dest.example"]).await;
    let client = client_for(&sb, PASSWORD);
    let first = client.get(&id, None).await.unwrap();
    assert!(first.found);
    assert_eq!(first.notification_id.as_deref(), Some(id.as_str()));
    assert!(!first.all_final());
    let done = client
        .wait_for(&id, None, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(done.all_final());
    let bob = client.get(&id, Some("bob@dest.example")).await.unwrap();
    assert!(bob
        .events
        .iter()
        .all(|e| e.recipient.as_deref() == Some("bob@dest.example")));
    assert!(bob.is_final_for("bob@dest.example"));
    let unknown = client.get("99999999999999", None).await.unwrap();
    assert!(!unknown.found);
    sb.stop();
}

#[tokio::test]
async fn wrong_credentials_are_auth_not_retried_and_never_shown() {
    let sb = sandbox(Duration::ZERO);
    let id = submit(&sb, &["alice@dest.example"]).await;
    let wrong = format!("{PASSWORD}-wrong");
    let client = client_for(&sb, &wrong);
    let attempt = client.get_detailed(&id, None).await;
    assert_eq!(attempt.http_status, Some(401));
    let err = attempt.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.reason(), Some("unauthorized"));
    assert!(!format!("{err:?}").contains(&wrong));
    assert_no_secret(&err);
    let t = Instant::now();
    let err = client
        .wait_for(&id, None, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(!format!("{client:?}").contains(PASSWORD));
    sb.stop();
}

/// A server that answers every request on one connection with `response`, then
/// closes; its base URL.
async fn answering(response: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(&response).await;
            let _ = s.shutdown().await;
        }
    });
    format!("http://{addr}")
}

fn scripted_client(base: &str) -> AsyncStatusClient {
    StatusClient::builder("caas_x", "user", PASSWORD)
        .base_url(base)
        .request_timeout(Duration::from_secs(5))
        .build_async()
        .unwrap()
}

#[tokio::test]
async fn too_many_requests_is_transient_with_retry_after() {
    let base = answering(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow"
            .to_vec(),
    )
    .await;
    let attempt = scripted_client(&base)
        .get_detailed("10000000000001", None)
        .await;
    assert_eq!(attempt.http_status, Some(429));
    assert_eq!(attempt.retry_after, Some(Duration::from_secs(7)));
    let err = attempt.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StatusHttp);
    assert_eq!(err.reason(), Some("too_many_requests"));
    assert!(err.transient());
}

#[tokio::test]
async fn a_body_over_the_limit_and_a_dead_port_fail_with_their_kinds() {
    let body = format!("{{\"x\": \"{}\"}}", "a".repeat(4096));
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let base = answering(response.into_bytes()).await;
    let client = StatusClient::builder("caas_x", "user", PASSWORD)
        .base_url(&base)
        .max_body_size(1024)
        .build_async()
        .unwrap();
    let err = client.get("10000000000001", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidStatusResponse);
    assert_eq!(err.reason(), Some("body_too_large"));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = scripted_client(&format!("http://127.0.0.1:{port}"))
        .get("10000000000001", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    assert_eq!(err.reason(), Some("refused"), "{err:?}");
    assert!(err.transient());
    assert_no_secret(&err);
}
