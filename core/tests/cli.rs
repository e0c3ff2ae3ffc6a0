//! The `send` and `status` commands (`email365::cli`, through the Rust examples) against
//! the sandbox and a silent server: JSON lines, exit codes, flags.
#![cfg(feature = "cli")]

mod smtp_support;

use email365_sandbox::{Config, Sandbox};
use serde_json::Value;
use smtp_support::example;
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

const PASSWORD: &str = "cli-pa55-w0rd";

struct Run {
    code: i32,
    lines: Vec<Value>,
    stdout: String,
}

fn run(command: &str, args: &[&str]) -> Run {
    let out = Command::new(example(command))
        .args(args)
        .env("E365_CLI_PASSWORD", PASSWORD)
        .output()
        .expect("run the command");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect();
    Run {
        code: out.status.code().unwrap_or(-1),
        lines,
        stdout,
    }
}

fn sandbox() -> Sandbox {
    Sandbox::start(Config {
        step: Duration::ZERO,
        password: PASSWORD.to_string(),
        ..Config::default()
    })
    .expect("sandbox starts")
}

fn smtp_flags(sb: &Sandbox) -> Vec<String> {
    let c = sb.config();
    vec![
        "--host".into(),
        "localhost".into(),
        "--port".into(),
        sb.smtp_addr().port().to_string(),
        "--ca".into(),
        sb.ca_file().display().to_string(),
        "--username".into(),
        c.username.clone(),
        "--password-env".into(),
        "E365_CLI_PASSWORD".into(),
    ]
}

/// The `send` flags of a message from `sender@example.com` to `to` through the sandbox.
fn send_flags(sb: &Sandbox, to: &[&str]) -> Vec<String> {
    let mut args = smtp_flags(sb);
    args.extend(["--from", "sender@example.com"].map(String::from));
    for r in to {
        args.extend(["--to", *r].map(String::from));
    }
    args
}

/// The `status` flags that reach the sandbox's status API with its credentials.
fn status_flags(sb: &Sandbox) -> Vec<String> {
    let c = sb.config();
    vec![
        "--account".into(),
        c.account_id.clone(),
        "--username".into(),
        c.username.clone(),
        "--password-env".into(),
        "E365_CLI_PASSWORD".into(),
        "--base-url".into(),
        sb.http_url(),
    ]
}

/// A new folder for one test's files (the test removes it).
fn scratch_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("email365-cli-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn send_repeat_builds_each_copy_and_status_waits_until_final() {
    let sb = sandbox();
    let dir = scratch_dir("send");
    let attachment = dir.join("report.csv");
    std::fs::write(&attachment, b"a,b\n1,2\n").unwrap();
    let mut args = send_flags(&sb, &["alice@example.org", "reject-bob@example.org"]);
    args.extend(
        [
            "--subject",
            "Report",
            "--text",
            "See the attachment.\n",
            "--html",
            "<p>See the attachment.</p>",
            "--attach",
            attachment.to_str().unwrap(),
            "--repeat",
            "3",
        ]
        .map(String::from),
    );
    let r = run("send", &strs(&args));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.lines.len(), 3, "one line per copy: {}", r.stdout);
    let mut message_ids = Vec::new();
    for line in &r.lines {
        let ok = &line["ok"];
        assert_eq!(
            ok["accepted"][0]["recipient"], "alice@example.org",
            "{line}"
        );
        assert_eq!(ok["rejected"][0]["recipient"], "reject-bob@example.org");
        assert_eq!(ok["rejected"][0]["reply"]["code"], 550);
        assert!(ok["notification_id"].is_string(), "{line}");
        message_ids.push(ok["message_id"].as_str().unwrap().to_string());
    }
    message_ids.sort();
    message_ids.dedup();
    assert_eq!(message_ids.len(), 3, "every copy has its own Message-ID");
    let received = sb.messages();
    assert_eq!(received.len(), 3);
    let text = String::from_utf8_lossy(&received[0].data);
    assert!(text.contains("multipart/alternative"), "{text}");
    assert!(text.contains("filename=\"report.csv\""), "{text}");
    assert!(!r.stdout.contains(PASSWORD));

    let id = r.lines[0]["ok"]["notification_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut status = status_flags(&sb);
    status.extend(
        [
            "--id",
            &id,
            "--recipient",
            "alice@example.org",
            "--wait",
            "20",
        ]
        .map(String::from),
    );
    let s = run("status", &strs(&status));
    assert_eq!(s.code, 0, "{}", s.stdout);
    let ok = &s.lines.last().unwrap()["ok"];
    assert_eq!(ok["found"], true);
    assert_eq!(ok["all_final"], true, "{}", s.stdout);
    assert_eq!(ok["recipients"][0]["recipient"], "alice@example.org");
    assert_eq!(ok["recipients"][0]["code"], "CH_SENT");
    assert_eq!(ok["recipients"][0]["final"], true);
    assert!(ok["events"].as_array().unwrap().len() >= 2);
    assert!(!s.stdout.contains(PASSWORD));
}

#[test]
fn send_eml_uses_the_flags_envelope() {
    let sb = sandbox();
    let dir = scratch_dir("eml");
    let eml = dir.join("m.eml");
    std::fs::write(
        &eml,
        b"From: sender@example.com\r\nTo: alice@example.org\r\nSubject: x\r\n\r\nbody\r\n",
    )
    .unwrap();
    let mut args = send_flags(&sb, &["alice@example.org", "carol@example.org"]);
    args.extend(["--eml", eml.to_str().unwrap()].map(String::from));
    let r = run("send", &strs(&args));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let ok = &r.lines[0]["ok"];
    assert_eq!(ok["accepted"].as_array().unwrap().len(), 2, "{}", r.stdout);
    assert_eq!(ok["message_id"], Value::Null);
    let received = sb.messages();
    assert_eq!(
        received[0].rcpt_to,
        ["alice@example.org", "carol@example.org"]
    );
}

#[test]
fn status_of_an_unknown_id_is_not_found_and_exits_zero() {
    let sb = sandbox();
    let mut args = status_flags(&sb);
    args.extend(["--id", "99999999"].map(String::from));
    let s = run("status", &strs(&args));
    assert_eq!(s.code, 0, "{}", s.stdout);
    assert_eq!(s.lines[0]["ok"]["found"], false);
    assert_eq!(s.lines[0]["ok"]["all_final"], false);
}

#[test]
fn bad_arguments_exit_two_with_a_usage_error_and_send_nothing() {
    // Each case: the arguments (split on spaces) and the flag the error must name.
    let cases: &[(&str, &str)] = &[
        ("--host localhost --bogus x", "--bogus"),
        ("--host localhost --port 0 --from a@example.com --to b@example.com", "--port"),
        ("--host localhost --from a@example.com --to b@example.com --subject s --text t --username u", "--password-env"),
        ("--host localhost --from a@example.com --to b@example.com --subject s --text t --timeout -1", "--timeout"),
        ("--host localhost --from a@example.com --to b@example.com --subject s --text t --repeat 0", "--repeat"),
        ("--host localhost --from a@example.com --to b@example.com --eml x.eml --subject s", "--eml"),
        ("--host localhost --host other --from a@example.com", "--host"),
        ("--host localhost --from a@example.com", "--to"),
        ("--host localhost --tls none --from a@example.com --to b@example.com", "--tls"),
    ];
    for (line, mentioned) in cases {
        let args: Vec<&str> = line.split_whitespace().collect();
        let r = run("send", &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        let e = &r.lines.last().unwrap()["error"];
        assert_eq!(e["kind"], "invalid_argument", "{args:?}");
        assert_eq!(e["reason"], "usage", "{args:?}");
        assert!(
            e["message"].as_str().unwrap().contains(mentioned),
            "{args:?}: {e}"
        );
    }
    let r = run("status", &["--account", "a"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
}

#[test]
fn timeout_bounds_a_server_that_never_greets() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let holder = std::thread::spawn(move || {
        let conn = listener.accept();
        std::thread::sleep(Duration::from_secs(6));
        drop(conn);
    });
    let started = Instant::now();
    let r = run(
        "send",
        &[
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--from",
            "a@example.com",
            "--to",
            "b@example.com",
            "--subject",
            "s",
            "--text",
            "t",
            "--timeout",
            "1",
        ],
    );
    let took = started.elapsed();
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.lines[0]["error"]["kind"], "timeout", "{}", r.stdout);
    assert!(took < Duration::from_secs(5), "--timeout 1 took {took:?}");
    holder.join().unwrap();
}
