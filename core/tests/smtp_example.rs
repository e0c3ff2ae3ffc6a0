//! The `send` example (the core's `send` command) against the scripted server: the JSON
//! line and the exit code; with feature `tokio`, the `async_send` example (the same
//! command over the tokio client) through the same cases.
#![cfg(feature = "cli")]

mod smtp_support;

use smtp_support::*;
use std::process::Command;

fn run(name: &str, port: u16, pki: &Pki, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let dir = std::env::temp_dir().join(format!("email365-example-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let out = Command::new(example(name))
        .args(["--host", "localhost", "--port", &port.to_string()])
        .arg("--ca")
        .arg(&ca)
        .args(["--username", USER, "--password-env", "E365_TEST_PASSWORD"])
        .args(["--from", "sender@example.com"])
        .args(extra)
        .env("E365_TEST_PASSWORD", PASS)
        .output()
        .expect("run the send example");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = stdout.lines().last().unwrap_or("").to_string();
    let v = serde_json::from_str(&last).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v, stdout)
}

/// The examples that run the `send` command.
fn examples() -> &'static [&'static str] {
    if cfg!(feature = "tokio") {
        &["send", "async_send"]
    } else {
        &["send"]
    }
}

#[test]
fn example_sends_and_reports_rejected_recipients() {
    for name in examples() {
        example_sends_and_reports_rejected_recipients_with(name);
    }
}

fn example_sends_and_reports_rejected_recipients_with(name: &str) {
    let pki = pki();
    let tls = server_config(&pki.good.0, &pki.good.1);
    let (port, wire, h) = serve(1, move |_, p| {
        p.standard_session(&tls, &["PIPELINING", "8BITMIME", "SMTPUTF8"]);
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("RCPT");
        p.expect("DATA");
        p.send("250 ok\r\n250 2.1.5 ok\r\n550 5.1.1 unknown user\r\n354 go\r\n");
        p.data();
        p.send("250 2.0.0 Ok: queued as 10000000902077\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let (code, v, out) = run(
        name,
        port,
        &pki,
        &[
            "--to",
            "a@example.net",
            "--to",
            "b@example.net",
            "--subject",
            "Grüße",
            "--text",
            "Hello\n",
        ],
    );
    h.join().unwrap();
    assert_eq!(code, 0, "{out}");
    let ok = &v["ok"];
    assert_eq!(ok["final_reply"]["code"], 250, "{out}");
    assert_eq!(ok["accepted"][0]["recipient"], "a@example.net");
    assert_eq!(ok["rejected"][0]["recipient"], "b@example.net");
    assert_eq!(ok["rejected"][0]["reply"]["code"], 550);
    let w = wire_text(&wire);
    assert!(w.contains("Subject: =?utf-8?B?R3LDvMOfZQ==?=\r\n"), "{w}");
    assert!(!out.contains(PASS));
    // Needs the real notification-id extractor (the stub returns None).
    assert_eq!(ok["notification_id"], "10000000902077", "{out}");
}

#[test]
fn example_reports_errors_as_json_with_non_zero_exit() {
    for name in examples() {
        example_reports_errors_as_json_with_non_zero_exit_with(name);
    }
}

fn example_reports_errors_as_json_with_non_zero_exit_with(name: &str) {
    let pki = pki();
    let (port, _w, h) = serve(1, |_, p| {
        p.send("220 mx\r\n");
        p.expect("EHLO");
        p.send("250 mx\r\n");
        let _ = p.line();
    });
    let dir = std::env::temp_dir().join(format!("email365-eml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let eml = dir.join("m.eml");
    std::fs::write(&eml, b"Subject: x\r\n\r\nbody\r\n").unwrap();
    let (code, v, out) = run(
        name,
        port,
        &pki,
        &["--to", "a@example.net", "--eml", eml.to_str().unwrap()],
    );
    h.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 1, "{out}");
    assert_eq!(v["error"]["kind"], "tls", "{out}");
    assert_eq!(v["error"]["reason"], "starttls_not_offered");

    let (code, v, _) = run(name, 1, &pki, &["--to", "a@example.net"]);
    assert_eq!(code, 2);
    assert_eq!(v["error"]["kind"], "invalid_argument");
}

#[test]
fn timeout_flag_bounds_a_dripped_greeting() {
    for name in examples() {
        timeout_flag_bounds_a_dripped_greeting_with(name);
    }
}

fn timeout_flag_bounds_a_dripped_greeting_with(name: &str) {
    let pki = pki();
    let (port, _w, h) = serve(1, |_, p| {
        p.drip(
            "220 mx.test ESMTP a greeting that takes a while\r\n",
            std::time::Duration::from_millis(500),
        );
    });
    let t = std::time::Instant::now();
    let (code, v, out) = run(
        name,
        port,
        &pki,
        &[
            "--timeout",
            "1",
            "--to",
            "a@example.net",
            "--subject",
            "s",
            "--text",
            "t",
        ],
    );
    assert!(
        t.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(code, 1, "{out}");
    assert_eq!(v["error"]["kind"], "timeout", "{out}");
    assert_eq!(v["error"]["reason"], "greeting", "{out}");
    h.join().unwrap();
}
