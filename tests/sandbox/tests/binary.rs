//! The `email365-sandbox` binary: configuration from flags and environment, the JSON
//! start line, and clean stops on SIGTERM and at the end of stdin.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn spawn(args: &[&str], env: &[(&str, &str)]) -> (Child, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_email365-sandbox"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn the sandbox");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("start line");
    let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    (child, info)
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < within, "the sandbox did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn environment_configures_and_sigterm_stops_cleanly() {
    let (mut child, info) = spawn(
        &[
            "--sender-domain",
            "a.example",
            "--sender-domain",
            "b.example",
        ],
        &[
            ("EMAIL365_SANDBOX_USERNAME", "env-user"),
            ("EMAIL365_SANDBOX_PASSWORD", "env-pass"),
            ("EMAIL365_SANDBOX_ACCOUNT_ID", "caas_env"),
            ("EMAIL365_SANDBOX_SIZE_LIMIT", "12345"),
            ("EMAIL365_SANDBOX_STEP_MS", "250"),
        ],
    );
    assert_eq!(info["username"], "env-user");
    assert_eq!(info["password"], "env-pass");
    assert_eq!(info["account_id"], "caas_env");
    assert_eq!(info["size_limit"], 12345);
    assert_eq!(info["step_ms"], 250);
    assert_eq!(
        info["sender_domains"],
        serde_json::json!(["a.example", "b.example"])
    );
    assert_eq!(info["smtp_host"], "127.0.0.1");
    assert!(info["smtp_port"].as_u64().unwrap() > 0);
    assert!(info["smtps_port"].is_null());
    assert!(info["http_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    let ca = PathBuf::from(info["ca_file"].as_str().unwrap());
    assert!(ca.exists());
    let smtp = format!("127.0.0.1:{}", info["smtp_port"]);
    assert!(std::net::TcpStream::connect(&smtp).is_ok());

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = wait_exit(&mut child, Duration::from_secs(10));
    assert!(exit.success(), "{exit:?}");
    assert!(!ca.exists(), "the temporary certificate folder is removed");
    assert!(std::net::TcpStream::connect(&smtp).is_err());
}

#[test]
fn end_of_stdin_stops_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let cert_dir = dir.path().join("certs");
    let (mut child, info) = spawn(
        &[
            "--exit-on-stdin-eof",
            "--cert-dir",
            cert_dir.to_str().unwrap(),
            "--smtps-port",
            "0",
        ],
        &[],
    );
    assert_eq!(
        PathBuf::from(info["ca_file"].as_str().unwrap()),
        cert_dir.join("ca.pem")
    );
    assert!(info["smtps_port"].as_u64().unwrap() > 0);
    drop(child.stdin.take());
    let exit = wait_exit(&mut child, Duration::from_secs(10));
    assert!(exit.success(), "{exit:?}");
    // A folder given by the user is kept.
    assert!(cert_dir.join("ca.pem").exists());
}

/// Runs the sandbox binary with `args` and no input, to its end.
fn run_sandbox(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_email365-sandbox"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn invalid_configuration_fails_with_a_message() {
    let out = run_sandbox(&["--account-id", "has/slash"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("account id"), "{err}");

    let out = run_sandbox(&["--smtp-port", "not-a-port"]);
    assert!(!out.status.success());
}
