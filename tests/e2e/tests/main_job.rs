//! The main-job program itself (`make run`): its output, its exit codes, and its
//! real-service mode, pointed by `EMAIL365_*` variables at a sandbox that this test
//! starts (so that the real-service code path runs without the real service).

use email365_sandbox::{Config, Sandbox};
use std::process::{Command, Output};
use std::time::Duration;

/// The binary, with no `EMAIL365_*` variable inherited from the caller. The binding
/// demos are left out: they are tested by each binding's own suite, which builds them.
fn main_job() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_email365-e2e"));
    command.arg("--no-bindings");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("EMAIL365_") {
            command.env_remove(&name);
        }
    }
    command
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The value printed after `label` at the start of a line (two-space indent).
fn field<'a>(stdout: &'a str, label: &str) -> Option<&'a str> {
    stdout.lines().find_map(|l| {
        l.strip_prefix("  ")
            .and_then(|rest| rest.strip_prefix(label))
            .map(str::trim)
    })
}

#[test]
fn the_main_job_sends_follows_and_reports_against_the_sandbox() {
    let output = main_job().output().expect("the main job runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");

    // The notification id printed is the one of the final reply.
    let final_reply = field(&stdout, "Final reply").expect("a final reply line");
    let queued = final_reply
        .rsplit("queued as ")
        .next()
        .expect("queued as <id>");
    assert!(
        queued.len() == 14 && queued.bytes().all(|b| b.is_ascii_digit()),
        "{final_reply}"
    );
    assert_eq!(field(&stdout, "Notification id"), Some(queued));
    assert!(
        stdout.contains(&format!("notification {queued}")),
        "summary names it"
    );

    // The accepted recipient's events, codes verbatim, ending in CH_SENT.
    let alice = stdout
        .split("\n  alice@example.org\n")
        .nth(1)
        .expect("a timeline for alice");
    let codes: Vec<&str> = alice
        .lines()
        .take_while(|l| l.starts_with("    "))
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(
        codes,
        ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_SENT"],
        "{stdout}"
    );
    assert!(stdout.contains("CH_SENT        Successful   ← final"));

    // The rejected recipient with its reply and the core's classification.
    assert_eq!(field(&stdout, "Rejected"), Some("reject-bob@example.org"));
    assert!(stdout.contains(
        "reply           550 5.1.1 <reject-bob@example.org>: Recipient address rejected: User unknown"
    ));
    assert!(stdout.contains(
        "classification  severity permanent · category addressing · retry no · enhanced code 5.1.1"
    ));
    assert!(stdout.contains("meaning         Bad destination mailbox address"));

    // The message, the sandbox's copy of it, and the summary.
    assert!(field(&stdout, "Message-ID")
        .is_some_and(|m| m.starts_with('<') && m.ends_with("@example.com>")));
    assert!(stdout.contains("identical to the built message: yes"));
    assert!(stdout.contains("Sandbox stopped."));
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("Summary: "))
        .expect("a summary line");
    assert!(summary.starts_with("Summary: OK · "), "{summary}");
    assert!(summary.contains("alice@example.org CH_SENT"), "{summary}");
    assert!(
        summary.contains("reject-bob@example.org rejected at RCPT (550 5.1.1, permanent)"),
        "{summary}"
    );
    // `--no-bindings` leaves every binding demo out, whatever is on disk.
    assert!(!stdout.contains("Binding demo:"), "{stdout}");
}

#[test]
fn the_transcript_flag_shows_the_dialogue_without_the_password() {
    let output = main_job().arg("--transcript").output().expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("    C: STARTTLS"), "{stdout}");
    assert!(stdout.contains("    C: AUTH PLAIN <redacted>"), "{stdout}");
    assert!(
        stdout.contains("    S: 550 5.1.1 <reject-bob@example.org>"),
        "{stdout}"
    );
    // The sandbox's fixed password is printed once, in the target section, and
    // nowhere in the dialogue.
    assert_eq!(stdout.matches("sandbox-password").count(), 1, "{stdout}");
}

#[test]
fn a_partial_real_service_configuration_is_refused_without_printing_secrets() {
    let secret = "s3cret-value-never-printed";
    let output = main_job()
        .env("EMAIL365_HOST", "smtp.example.com")
        .env("EMAIL365_PASSWORD", secret)
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    for name in [
        "EMAIL365_PORT",
        "EMAIL365_USERNAME",
        "EMAIL365_ACCOUNT_ID",
        "EMAIL365_FROM",
        "EMAIL365_TO",
        "EMAIL365_REGION (or EMAIL365_BASE_URL)",
    ] {
        assert!(stderr.contains(name), "{name} missing from: {stderr}");
    }
    assert!(
        stderr.contains("EMAIL365_HOST, EMAIL365_PASSWORD are set"),
        "{stderr}"
    );
    assert!(!stdout.contains(secret) && !stderr.contains(secret));
    assert!(stdout.is_empty(), "nothing is sent: {stdout}");
}

/// The job with a complete set of made-up variables (port 587, region `eu`), `extra`
/// added or overriding.
fn with_variables(extra: &[(&str, &str)]) -> Command {
    let mut command = main_job();
    for (name, value) in [
        ("EMAIL365_HOST", "127.0.0.1"),
        ("EMAIL365_PORT", "587"),
        ("EMAIL365_USERNAME", "u"),
        ("EMAIL365_PASSWORD", "p"),
        ("EMAIL365_ACCOUNT_ID", "a"),
        ("EMAIL365_REGION", "eu"),
        ("EMAIL365_FROM", "shop@example.com"),
        ("EMAIL365_TO", "alice@example.org"),
    ]
    .iter()
    .chain(extra)
    {
        command.env(name, value);
    }
    command
}

#[test]
fn bad_arguments_and_conflicting_variables_exit_2() {
    let output = main_job().arg("--bogus").output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("unknown argument \"--bogus\""));

    let output = main_job().arg("--help").output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output).0.starts_with("usage: email365-e2e"));

    let output = with_variables(&[("EMAIL365_BASE_URL", "http://127.0.0.1:1")])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("not both"));

    let output = with_variables(&[("EMAIL365_PORT", "smtp")])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output)
        .1
        .contains("EMAIL365_PORT must be a port number"));
}

/// A sandbox whose messages move on to their next state every 50 ms.
fn stepping_sandbox() -> Sandbox {
    Sandbox::start(Config {
        step: Duration::from_millis(50),
        ..Config::default()
    })
    .expect("sandbox")
}

/// Runs the main job [`pointed_at`] the sandbox: its output, stdout and stderr.
fn run_pointed_at(sb: &Sandbox, to: &str) -> (Output, String, String) {
    let output = pointed_at(sb, to).output().expect("runs");
    let (stdout, stderr) = text(&output);
    (output, stdout, stderr)
}

/// The real-service variables, pointed at a sandbox started here.
fn pointed_at(sb: &Sandbox, to: &str) -> Command {
    let mut command = main_job();
    command
        .env("EMAIL365_HOST", sb.smtp_addr().ip().to_string())
        .env("EMAIL365_PORT", sb.smtp_addr().port().to_string())
        .env("EMAIL365_USERNAME", &sb.config().username)
        .env("EMAIL365_PASSWORD", &sb.config().password)
        .env("EMAIL365_ACCOUNT_ID", &sb.config().account_id)
        .env("EMAIL365_BASE_URL", sb.http_url())
        .env("EMAIL365_CA_FILE", sb.ca_file())
        .env("EMAIL365_FROM", "Shop <shop@example.com>")
        .env("EMAIL365_TO", to)
        .env("EMAIL365_WAIT_SECONDS", "20");
    command
}

#[test]
fn the_real_service_mode_sends_where_the_variables_point() {
    let sb = stepping_sandbox();
    let (output, stdout, stderr) = run_pointed_at(&sb, "alice@example.org, bob@example.org");
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Target: the Email 365 service"), "{stdout}");
    assert!(
        !stdout.contains(&sb.config().password),
        "no password printed: {stdout}"
    );
    assert!(!stdout.contains("Sandbox stopped."));
    let received = sb.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].rcpt_to,
        ["alice@example.org", "bob@example.org"]
    );
    assert_eq!(
        field(&stdout, "Notification id"),
        Some(received[0].notification_id.as_str())
    );
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("Summary: "))
        .expect("summary");
    assert!(summary.starts_with("Summary: OK"), "{summary}");
    assert!(
        summary.contains("alice@example.org CH_SENT")
            && summary.contains("bob@example.org CH_SENT")
    );
}

#[test]
fn an_unexpected_rejection_or_a_bounce_makes_the_exit_status_1() {
    let sb = stepping_sandbox();
    let (output, stdout, stderr) = run_pointed_at(
        &sb,
        "alice@example.org,reject-x@example.org,bounce-y@example.org",
    );
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("Summary: FAILED"), "{stdout}");
    assert!(
        stdout.contains("  - reject-x@example.org was rejected: 550 5.1.1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  - bounce-y@example.org ended in CH_BOUNCED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("CH_BOUNCED     550 5.1.1 mailbox unavailable   ← final"),
        "{stdout}"
    );

    // Nothing accepted at all: the submission error is shown with every reply.
    let (output, stdout, stderr) = run_pointed_at(&sb, "reject-x@example.org");
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("FAILED           recipients_rejected"),
        "{stdout}"
    );
    assert!(stdout.contains("reject-x@example.org: 550"), "{stdout}");
}
