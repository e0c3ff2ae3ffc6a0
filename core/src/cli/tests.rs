//! The commands over a host ([`run_host`]) against the native ones ([`run`]): the same
//! lines and exit codes for bad arguments and unreadable files, and the status wait loop
//! driven through a scripted GET.

use super::*;
use crate::smtp::session::{IoFailure, SmtpIo};
use crate::smtp::SmtpOptions;
use crate::status::FetchFailure;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::IpAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Runs a future that never waits (the fake host's never do).
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the fake host never waits"),
    }
}

/// An I/O whose connections are refused.
struct Refused;

impl SmtpIo for Refused {
    fn now(&self) -> Duration {
        Duration::ZERO
    }
    async fn connect(
        &mut self,
        host: &str,
        port: u16,
        _: bool,
        _: Duration,
    ) -> crate::Result<Option<IpAddr>> {
        Err(Error::new(
            ErrorKind::Connection,
            format!("cannot connect to {host}:{port}"),
        )
        .with_reason("connect"))
    }
    async fn start_tls(&mut self, _: &str, _: Duration) -> crate::Result<()> {
        unreachable!("never connected")
    }
    async fn write_all(&mut self, _: &[u8], _: Duration) -> Result<(), IoFailure> {
        unreachable!("never connected")
    }
    async fn read(&mut self, _: &mut [u8], _: Duration) -> Result<usize, IoFailure> {
        unreachable!("never connected")
    }
    fn close(&mut self) {}
}

/// The process's files and environment, a clock moved by its sleeps, and scripted GETs.
#[derive(Default)]
struct Fake {
    clock: Cell<Duration>,
    slept: RefCell<Vec<Duration>>,
    answers: RefCell<Vec<Result<HttpGot, (FetchFailure, String)>>>,
    asked: RefCell<Vec<(String, String, Duration)>>,
}

impl CommandHost for Fake {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        StdHost.read_file(path)
    }
    fn env_var(&self, name: &str) -> Option<String> {
        if name == PASSWORD_VAR {
            return Some("pw-host-test".to_string());
        }
        StdHost.env_var(name)
    }
}

impl AsyncCommandHost for Fake {
    type Io = Refused;
    fn smtp_io(&self, _: &SmtpOptions) -> Refused {
        Refused
    }
    fn now(&self) -> Duration {
        self.clock.get()
    }
    fn since_epoch(&self) -> Duration {
        Duration::from_secs(1_800_000_000)
    }
    async fn sleep(&self, duration: Duration) {
        self.slept.borrow_mut().push(duration);
        self.clock.set(self.clock.get() + duration);
    }
    async fn get(&self, request: &HttpGet<'_>) -> Result<HttpGot, (FetchFailure, String)> {
        self.asked.borrow_mut().push((
            request.url.to_string(),
            request.authorization.to_string(),
            request.timeout,
        ));
        self.answers.borrow_mut().remove(0)
    }
}

fn native(args: &[&str]) -> (u8, String) {
    let mut out = Vec::new();
    let code = run(args.iter().copied(), &mut out);
    (code, String::from_utf8(out).unwrap())
}

fn hosted(host: &Fake, args: &[&str]) -> (u8, String) {
    let mut out = Vec::new();
    let code = ready(run_host(host, args.iter().copied(), &mut out));
    (code, String::from_utf8(out).unwrap())
}

/// The password variable of the fake host (not in the process's environment).
const PASSWORD_VAR: &str = "E365_CLI_HOST_TEST_PASSWORD";
/// A variable set in every process, the password of the native comparisons.
const SET_VAR: &str = "PATH";

#[test]
fn bad_arguments_and_unreadable_files_give_the_native_lines_and_codes() {
    let send = [
        "send",
        "--host",
        "localhost",
        "--from",
        "a@example.com",
        "--to",
        "b@example.com",
    ];
    let text = ["--subject", "s", "--text", "t"];
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--help"],
        vec!["frobnicate"],
        [&send[..], &text[..], &["--bogus", "x"]].concat(),
        [&send[..], &text[..], &["--port", "70000"]].concat(),
        [&send[..], &text[..], &["--tls", "none"]].concat(),
        [&send[..], &text[..], &["--timeout", "0"]].concat(),
        [&send[..], &text[..], &["--username", "u"]].concat(),
        [
            &send[..],
            &text[..],
            &["--username", "u", "--password-env", "E365_CLI_UNSET_VAR"],
        ]
        .concat(),
        [&send[..], &text[..], &["--ca", "/nonexistent/ca.pem"]].concat(),
        [&send[..], &text[..], &["--attach", "/nonexistent/a.pdf"]].concat(),
        [&send[..], &["--eml", "/nonexistent/m.eml"]].concat(),
        [
            &send[..],
            &["--eml", "/nonexistent/m.eml", "--subject", "s"],
        ]
        .concat(),
        [&send[..], &["--subject", "s"]].concat(),
        vec![
            "send",
            "--host",
            "localhost",
            "--from",
            "not an address",
            "--to",
            "b@example.com",
            "--subject",
            "s",
            "--text",
            "t",
        ],
        vec!["status", "--account", "acc"],
        vec![
            "status",
            "--account",
            "acc",
            "--username",
            "u",
            "--password-env",
            SET_VAR,
            "--id",
            "n1",
            "--region",
            "EU!",
        ],
        vec![
            "status",
            "--account",
            "a/b",
            "--username",
            "u",
            "--password-env",
            SET_VAR,
            "--id",
            "n1",
        ],
        vec![
            "status",
            "--account",
            "acc",
            "--username",
            "u",
            "--password-env",
            SET_VAR,
            "--id",
            "n1",
            "--wait",
            "-1",
        ],
        vec![
            "status",
            "--account",
            "acc",
            "--username",
            "u",
            "--password-env",
            SET_VAR,
            "--id",
            "n 1",
        ],
        vec![
            "status",
            "--account",
            "acc",
            "--username",
            "u",
            "--password-env",
            SET_VAR,
            "--id",
            "n1",
            "--base-url",
            "http://127.0.0.1:9",
            "--ca",
            "/nonexistent/ca.pem",
        ],
    ];
    for args in cases {
        let host = Fake::default();
        assert_eq!(hosted(&host, &args), native(&args), "{args:?}");
        assert!(host.asked.borrow().is_empty(), "{args:?}");
    }
}

#[test]
fn a_refused_connection_is_one_error_line_and_exit_one() {
    let args = [
        "send",
        "--host",
        "localhost",
        "--from",
        "a@example.com",
        "--to",
        "b@example.com",
        "--subject",
        "s",
        "--text",
        "t",
    ];
    let (code, out) = hosted(&Fake::default(), &args);
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(out.lines().count(), 1);
    assert!(out.contains(r#""kind":"connection""#), "{out}");
}

fn answer(
    status: u16,
    retry_after: Option<&str>,
    body: &str,
) -> Result<HttpGot, (FetchFailure, String)> {
    Ok(HttpGot {
        status,
        retry_after: retry_after.map(str::to_string),
        body: body.as_bytes().to_vec(),
    })
}

const FINAL: &str = concat!(
    r#"{"Notification":{"notificationId":"n1","status":"#,
    r#"[{"recipient":"email:a@example.com","statusCode":"CH_SENT"}]}}"#
);

/// `status` of notification `n1` against the fake host, without `--wait`.
const STATUS_ARGS: [&str; 11] = [
    "status",
    "--account",
    "acc",
    "--username",
    "u",
    "--password-env",
    PASSWORD_VAR,
    "--id",
    "n1",
    "--base-url",
    "http://127.0.0.1:9",
];

#[test]
fn status_waits_through_failures_under_the_poller_and_prints_the_final_state() {
    let host = Fake::default();
    *host.answers.borrow_mut() = vec![
        answer(503, Some("3"), "busy"),
        Err((FetchFailure::Network, "ECONNRESET".to_string())),
        answer(200, None, "{}"),
        answer(200, None, FINAL),
    ];
    let args = [&STATUS_ARGS[..], &["--wait", "60", "--timeout", "5"]].concat();
    let (code, out) = hosted(&host, &args);
    assert_eq!(code, EXIT_OK, "{out}");
    let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(line["ok"]["all_final"], true);
    assert_eq!(line["ok"]["recipients"][0]["code"], "CH_SENT");
    let asked = host.asked.borrow();
    assert_eq!(asked.len(), 4);
    assert_eq!(asked[0].0, "http://127.0.0.1:9/v1/acc/notifications/id/n1");
    assert!(asked[0].1.starts_with("Basic "));
    // Each request bounded by --timeout; the first wait honours the Retry-After.
    assert!(asked.iter().all(|(_, _, t)| *t == Duration::from_secs(5)));
    assert!(host.slept.borrow()[0] >= Duration::from_secs(3));
    assert!(!out.contains("pw-host-test"));
}

#[test]
fn status_without_wait_reads_once_and_fails_on_an_error_answer() {
    let args = STATUS_ARGS;
    let host = Fake::default();
    *host.answers.borrow_mut() = vec![answer(404, None, "no such notification, pw-host-test")];
    let (code, out) = hosted(&host, &args);
    assert_eq!(code, EXIT_FAILED);
    assert!(out.contains(r#""kind":"not_found""#), "{out}");
    assert!(!out.contains("pw-host-test"), "{out}");
    assert_eq!(host.asked.borrow().len(), 1);
    assert_eq!(
        host.asked.borrow()[0].2,
        crate::status::DEFAULT_REQUEST_TIMEOUT
    );
}
