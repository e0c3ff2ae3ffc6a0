//! The main job of `make run`: one message sent through the SDK and its status followed
//! until it is final, printed as a timeline a newcomer can read at a glance.
//!
//! By default it starts the local sandbox (`email365-sandbox`) in this process, sends a
//! message with a text + HTML body and a CSV attachment to two recipients (the sandbox
//! rejects one of them), follows the other one's status with the status client, prints
//! everything, stops the sandbox and exits 0. With the `EMAIL365_*` variables of
//! `docs/MAIN_JOB.md` set, the same steps run against the real Email 365 service.
//!
//! Exit codes: 0 the job completed as expected; 1 something failed (the output says
//! what); 2 bad configuration or arguments.

use email365::http::StatusClient;
use email365::message::{Attachment, BuiltMessage, MessageBuilder};
use email365::policy::SenderPolicy;
use email365::reply::{classify_code, Classification, Command, EnhancedCode, Reply};
use email365::smtp::{Delivery, Direction, SmtpClient, SmtpOptions, TlsMode};
use email365::status::{status_request, Notification, PollPlan, StatusEvent, StatusQuery};
use email365::{Error, ErrorKind};
use email365_sandbox::{Config as SandboxConfig, Sandbox};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Time between two status events of the sandbox: short, so the run takes seconds.
const SANDBOX_STEP: Duration = Duration::from_millis(300);
/// Polling plan against the sandbox (its events come every [`SANDBOX_STEP`]); the real
/// service is polled with the core's [`PollPlan::DEFAULT`].
const SANDBOX_POLL_PLAN: PollPlan = PollPlan {
    initial: Duration::from_millis(250),
    max_delay: Duration::from_millis(500),
    max_retry_after: Duration::from_secs(5),
};
/// How long the status is followed, unless `EMAIL365_WAIT_SECONDS` says otherwise.
const SANDBOX_WAIT: Duration = Duration::from_secs(30);
const REAL_WAIT: Duration = Duration::from_secs(300);
/// How long one binding demo may run.
const DEMO_TIMEOUT: Duration = Duration::from_secs(120);

/// The sender and recipients of the sandbox run. The sandbox refuses `reject…` local
/// parts at RCPT with `550 5.1.1` (docs/SANDBOX.md, "Scripted recipients").
const SANDBOX_FROM: &str = "Example Shop <shop@example.com>";
const SANDBOX_TO: [&str; 2] = [
    "Alice Example <alice@example.org>",
    "reject-bob@example.org",
];
const SANDBOX_EXPECTED_REJECTED: &str = "reject-bob@example.org";

/// The variables that select the real service: when any of them is set, the program
/// sends through the real service and needs every required one.
const REAL_VARIABLES: [&str; 13] = [
    "EMAIL365_HOST",
    "EMAIL365_PORT",
    "EMAIL365_USERNAME",
    "EMAIL365_PASSWORD",
    "EMAIL365_ACCOUNT_ID",
    "EMAIL365_REGION",
    "EMAIL365_BASE_URL",
    "EMAIL365_FROM",
    "EMAIL365_TO",
    "EMAIL365_TLS",
    "EMAIL365_CA_FILE",
    "EMAIL365_STATUS_USERNAME",
    "EMAIL365_STATUS_PASSWORD",
];
const REQUIRED_VARIABLES: [&str; 7] = [
    "EMAIL365_HOST",
    "EMAIL365_PORT",
    "EMAIL365_USERNAME",
    "EMAIL365_PASSWORD",
    "EMAIL365_ACCOUNT_ID",
    "EMAIL365_FROM",
    "EMAIL365_TO",
];

// ---------------------------------------------------------------------------------
// Binding demos: the hook for the Python, C and wasm packages.
// ---------------------------------------------------------------------------------

/// A binding's own demo, run after the Rust job against the same target.
struct BindingDemo {
    /// Heading printed above its output.
    name: &'static str,
    /// The program, relative to the workspace root when it contains a `/`, else looked
    /// up on the PATH.
    program: &'static str,
    /// Arguments (paths relative to the workspace root are fine: the demo runs there).
    args: &'static [&'static str],
    /// Files (relative to the workspace root) that must all exist for the demo to run.
    needs: &'static [&'static str],
}

/// The binding demos. A demo runs only when every file it `needs` exists, so a binding
/// that has not landed yet prints nothing. Each demo receives the target's coordinates
/// in `EMAIL365_HOST`, `EMAIL365_PORT`, `EMAIL365_TLS`, `EMAIL365_USERNAME`,
/// `EMAIL365_PASSWORD`, `EMAIL365_ACCOUNT_ID`, `EMAIL365_BASE_URL` or
/// `EMAIL365_REGION`, `EMAIL365_CA_FILE`, `EMAIL365_FROM` and `EMAIL365_TO`
/// (comma-separated), sends or parses through them, and exits 0 on success.
/// See docs/MAIN_JOB.md, "Binding demos".
const BINDING_DEMOS: &[BindingDemo] = &[
    BindingDemo {
        name: "Python package (email365)",
        program: ".venv/bin/python",
        args: &["bindings-python/examples/main_job.py"],
        needs: &[
            ".venv/bin/python",
            "bindings-python/examples/main_job.py",
            // Written by `make python` (maturin develop): the package is installed.
            "bindings-python/python/email365/_native.abi3.so",
        ],
    },
    BindingDemo {
        name: "C library (libemail365)",
        program: "bash",
        args: &["bindings-c/examples/main_job.sh"],
        needs: &["bindings-c/build/send", "bindings-c/examples/main_job.sh"],
    },
    BindingDemo {
        name: "WebAssembly package (Node)",
        program: "node",
        args: &["bindings-wasm/examples/main_job.mjs"],
        needs: &[
            "bindings-wasm/examples/main_job.mjs",
            // Written by `make wasm`.
            "bindings-wasm/pkg/node/index.mjs",
        ],
    },
];

// ---------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------

/// Where the message goes and how the status is read. No `Debug`: it holds passwords.
struct Settings {
    smtp_host: String,
    smtp_port: u16,
    tls: TlsMode,
    /// Trust only this CA (the sandbox) instead of the system roots plus it.
    ca_file: Option<PathBuf>,
    ca_only: bool,
    username: String,
    password: String,
    account_id: String,
    region: Option<String>,
    base_url: Option<String>,
    status_username: String,
    status_password: String,
    from: String,
    to: Vec<String>,
    wait: Duration,
    poll_plan: PollPlan,
    /// Recipients the target is expected to refuse (the sandbox's scripted one).
    expected_rejected: Vec<String>,
}

/// A configuration or usage problem: printed, exit code 2.
struct ConfigError(String);

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn wait_from_env(default: Duration) -> Result<Duration, ConfigError> {
    match env_value("EMAIL365_WAIT_SECONDS") {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
            _ => Err(ConfigError(format!(
                "EMAIL365_WAIT_SECONDS must be a whole number of seconds above 0, not {v:?}"
            ))),
        },
    }
}

/// The real-service settings, when any of [`REAL_VARIABLES`] is set.
fn real_settings() -> Result<Option<Settings>, ConfigError> {
    let set: Vec<&str> = REAL_VARIABLES
        .iter()
        .copied()
        .filter(|name| env_value(name).is_some())
        .collect();
    if set.is_empty() {
        return Ok(None);
    }
    let mut missing: Vec<&str> = REQUIRED_VARIABLES
        .iter()
        .copied()
        .filter(|name| env_value(name).is_none())
        .collect();
    let region = env_value("EMAIL365_REGION");
    let base_url = env_value("EMAIL365_BASE_URL");
    if region.is_none() && base_url.is_none() {
        missing.push("EMAIL365_REGION (or EMAIL365_BASE_URL)");
    }
    if !missing.is_empty() {
        return Err(ConfigError(format!(
            "sending through the real service (because {} {} set) needs these variables too: {}.\n\
             Unset every EMAIL365_* variable to run against the local sandbox instead. \
             See docs/MAIN_JOB.md.",
            set.join(", "),
            if set.len() == 1 { "is" } else { "are" },
            missing.join(", ")
        )));
    }
    if region.is_some() && base_url.is_some() {
        return Err(ConfigError(
            "set EMAIL365_REGION or EMAIL365_BASE_URL, not both".to_string(),
        ));
    }
    let get = |name: &str| env_value(name).unwrap_or_default();
    let port_text = get("EMAIL365_PORT");
    let smtp_port = match port_text.trim().parse::<u16>() {
        Ok(p) if p > 0 => p,
        _ => {
            return Err(ConfigError(format!(
                "EMAIL365_PORT must be a port number (25, 587 or 465), not {port_text:?}"
            )))
        }
    };
    let tls = match env_value("EMAIL365_TLS").as_deref() {
        None if smtp_port == 465 => TlsMode::Implicit,
        None => TlsMode::StartTls,
        Some(v) if v.eq_ignore_ascii_case("starttls") => TlsMode::StartTls,
        Some(v) if v.eq_ignore_ascii_case("implicit") => TlsMode::Implicit,
        Some(v) => {
            return Err(ConfigError(format!(
                "EMAIL365_TLS is starttls or implicit, not {v:?}"
            )))
        }
    };
    let to: Vec<String> = get("EMAIL365_TO")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if to.is_empty() {
        return Err(ConfigError(
            "EMAIL365_TO holds no address (give one or more, comma-separated)".to_string(),
        ));
    }
    let username = get("EMAIL365_USERNAME");
    let password = get("EMAIL365_PASSWORD");
    Ok(Some(Settings {
        smtp_host: get("EMAIL365_HOST"),
        smtp_port,
        tls,
        ca_file: env_value("EMAIL365_CA_FILE").map(PathBuf::from),
        ca_only: false,
        status_username: env_value("EMAIL365_STATUS_USERNAME").unwrap_or_else(|| username.clone()),
        status_password: env_value("EMAIL365_STATUS_PASSWORD").unwrap_or_else(|| password.clone()),
        username,
        password,
        account_id: get("EMAIL365_ACCOUNT_ID"),
        region,
        base_url,
        from: get("EMAIL365_FROM"),
        to,
        wait: wait_from_env(REAL_WAIT)?,
        poll_plan: PollPlan::DEFAULT,
        expected_rejected: Vec::new(),
    }))
}

/// The settings that point at a running sandbox.
fn sandbox_settings(sandbox: &Sandbox) -> Result<Settings, ConfigError> {
    let config = sandbox.config();
    Ok(Settings {
        smtp_host: sandbox.smtp_addr().ip().to_string(),
        smtp_port: sandbox.smtp_addr().port(),
        tls: TlsMode::StartTls,
        ca_file: Some(sandbox.ca_file().to_path_buf()),
        ca_only: true,
        username: config.username.clone(),
        password: config.password.clone(),
        account_id: config.account_id.clone(),
        region: None,
        base_url: Some(sandbox.http_url()),
        status_username: config.username.clone(),
        status_password: config.password.clone(),
        from: SANDBOX_FROM.to_string(),
        to: SANDBOX_TO.iter().map(|s| s.to_string()).collect(),
        wait: wait_from_env(SANDBOX_WAIT)?,
        poll_plan: SANDBOX_POLL_PLAN,
        expected_rejected: vec![SANDBOX_EXPECTED_REJECTED.to_string()],
    })
}

struct Args {
    transcript: bool,
    bindings: bool,
}

const USAGE: &str = "usage: email365-e2e [--transcript] [--no-bindings]

The main job: sends one message through the email365 SDK and follows its status.
Runs against a local sandbox started in this process, or against the real Email 365
service when the EMAIL365_* variables are set (see docs/MAIN_JOB.md).

  --transcript   also print the SMTP dialogue (credentials are shown as <redacted>)
  --no-bindings  only the Rust core's run, without the binding demos
  --help         print this text";

fn parse_args() -> Result<Option<Args>, ConfigError> {
    let mut args = Args {
        transcript: false,
        bindings: true,
    };
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--transcript" => args.transcript = true,
            "--no-bindings" => args.bindings = false,
            "--help" | "-h" => return Ok(None),
            other => {
                return Err(ConfigError(format!(
                    "unknown argument {other:?}\n\n{USAGE}"
                )))
            }
        }
    }
    Ok(Some(args))
}

// ---------------------------------------------------------------------------------
// Output helpers
// ---------------------------------------------------------------------------------

fn heading(title: &str) {
    println!();
    println!("{title}");
    println!("{}", "─".repeat(title.chars().count()));
}

fn field(name: &str, value: impl std::fmt::Display) {
    println!("  {name:<17}{value}");
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// A reply as one line: `550 5.1.1 <x>: Recipient address rejected: …`.
fn reply_line(reply: &Reply) -> String {
    let text = reply.lines().collect::<Vec<_>>().join(" / ");
    if text.is_empty() {
        reply.code.to_string()
    } else {
        format!("{} {text}", reply.code)
    }
}

fn print_classification(c: &Classification, indent: &str) {
    let enhanced = c
        .enhanced
        .map_or_else(|| "none".to_string(), |e| e.to_string());
    println!(
        "{indent}classification  severity {} · category {} · retry {} · enhanced code {}",
        c.severity,
        c.category.map_or("none", |c| c.as_str()),
        if c.retry { "yes (later)" } else { "no" },
        enhanced
    );
    println!("{indent}meaning         {}", c.description);
    if c.inconsistent {
        println!(
            "{indent}note            the basic and enhanced codes disagree; the basic code decides"
        );
    }
}

fn print_error(e: &Error) {
    println!("  FAILED           {}", e.kind());
    if let Some(reason) = e.reason() {
        println!("  reason           {reason}");
    }
    println!("  message          {}", e.message());
    if e.transient() {
        println!("  transient        yes: the same request may succeed later");
    }
    let command = match e.kind() {
        ErrorKind::RecipientsRejected => Some(Command::Rcpt),
        _ => None,
    };
    for r in e.replies() {
        let enhanced = r
            .enhanced
            .as_deref()
            .and_then(|s| EnhancedCode::parse(s).ok());
        println!(
            "  reply            {}{} {}",
            r.recipient
                .as_deref()
                .map(|x| format!("{x}: "))
                .unwrap_or_default(),
            r.code,
            r.text
        );
        print_classification(
            &classify_code(r.code, enhanced, command),
            "                   ",
        );
    }
}

fn timestamp_text(event: &StatusEvent) -> String {
    event
        .timestamp
        .map_or_else(|| "(no timestamp)".to_string(), |t| t.to_rfc3339())
}

// ---------------------------------------------------------------------------------
// The job
// ---------------------------------------------------------------------------------

/// The message of the demo: text + HTML and a small generated CSV attachment.
fn build_message(settings: &Settings, policy: Option<SenderPolicy>) -> Result<BuiltMessage, Error> {
    let csv = "item,quantity,unit_price_eur\r\n\
               Notebook A5,2,4.50\r\n\
               Fountain pen,1,18.90\r\n\
               Ink cartridges (5),3,2.40\r\n";
    let mut builder = MessageBuilder::new()
        .from(settings.from.as_str())
        .subject("Your order #1042 (email365 main job)")
        .text(
            "Hello,\n\nthank you for your order #1042. The order lines are attached as a CSV \
             file.\n\nThis message was sent by the email365 SDK's main job.\n",
        )
        .html(
            "<!doctype html><html><body><p>Hello,</p><p>thank you for your order \
             <b>#1042</b>. The order lines are attached as a CSV file.</p><p><small>Sent by \
             the email365 SDK's main job.</small></p></body></html>",
        )
        .attachment(
            Attachment::new("order-1042.csv", csv.as_bytes())
                .content_type("text/csv; charset=utf-8"),
        );
    for to in &settings.to {
        builder = builder.to(to.as_str());
    }
    if let Some(policy) = policy {
        builder = builder.sender_policy(policy);
    }
    builder.build()
}

struct Outcome {
    failures: Vec<String>,
    summary: String,
    /// The notification id of the message sent, for the binding demos that follow it.
    notification_id: Option<String>,
}

fn run(settings: &Settings, sandbox: Option<&Sandbox>, args: &Args) -> Outcome {
    let started = Instant::now();
    let mut failures = Vec::new();
    let fail = |failures: &mut Vec<String>, what: String| {
        failures.push(what);
        Outcome {
            failures: std::mem::take(failures),
            summary: String::new(),
            notification_id: None,
        }
    };

    // 1. The message.
    heading("1. The message (email365::message::MessageBuilder)");
    let policy = match sandbox {
        Some(sb) => {
            match SenderPolicy::new(&sb.config().sender_domains, &sb.config().sender_addresses) {
                Ok(p) => Some(p),
                Err(e) => {
                    print_error(&e);
                    return fail(&mut failures, format!("sender policy: {e}"));
                }
            }
        }
        None => None,
    };
    let message = match build_message(settings, policy) {
        Ok(m) => m,
        Err(e) => {
            print_error(&e);
            return fail(&mut failures, format!("building the message: {e}"));
        }
    };
    field("From", &settings.from);
    field("To", settings.to.join(", "));
    field("Subject", "Your order #1042 (email365 main job)");
    field(
        "Parts",
        "text/plain + text/html, attachment order-1042.csv (text/csv)",
    );
    field("Size", format!("{} bytes", message.size()));
    field("Message-ID", format!("<{}>", message.message_id));
    field("MAIL FROM", format!("<{}>", message.envelope.mail_from));
    field(
        "RCPT TO",
        message
            .envelope
            .rcpt_to
            .iter()
            .map(|r| format!("<{r}>"))
            .collect::<Vec<_>>()
            .join(" "),
    );

    // 2. SMTP submission.
    heading("2. SMTP submission (email365::smtp::SmtpClient)");
    let tls_text = match settings.tls {
        TlsMode::Implicit => "implicit TLS",
        _ => "STARTTLS (required)",
    };
    field(
        "Server",
        format!(
            "{}:{} with {tls_text}, AUTH PLAIN as {:?}",
            settings.smtp_host, settings.smtp_port, settings.username
        ),
    );
    let mut options = SmtpOptions::new(settings.smtp_host.clone())
        .port(settings.smtp_port)
        .tls(settings.tls)
        .credentials(&settings.username, &settings.password);
    if let Some(ca) = &settings.ca_file {
        options = match options.ca_file(ca) {
            Ok(o) => o,
            Err(e) => {
                print_error(&e);
                return fail(&mut failures, format!("CA file: {e}"));
            }
        };
        options.trust.system_roots = !settings.ca_only;
    }
    if args.transcript {
        options.transcript = Some(Arc::new(|direction, line: &str| {
            let arrow = match direction {
                Direction::Sent => "C:",
                Direction::Received => "S:",
            };
            println!("    {arrow} {line}");
        }));
    }
    let sent_at = Instant::now();
    let delivery: Delivery = match SmtpClient::new(options).and_then(|mut client| {
        let d = client.send(&message);
        let _ = client.quit();
        d
    }) {
        Ok(d) => d,
        Err(e) => {
            print_error(&e);
            return fail(&mut failures, format!("SMTP submission: {e}"));
        }
    };
    field("Final reply", reply_line(&delivery.final_reply));
    field(
        "Notification id",
        delivery
            .notification_id
            .as_deref()
            .unwrap_or("(none in the final reply)"),
    );
    field(
        "Took",
        format!(
            "{} ms (connect, TLS, AUTH, send, QUIT)",
            sent_at.elapsed().as_millis()
        ),
    );
    for a in &delivery.accepted {
        field(
            "Accepted",
            format!("{}  ({})", a.recipient, reply_line(&a.reply)),
        );
    }
    for r in &delivery.rejected {
        field("Rejected", &r.recipient);
        println!(
            "                     reply           {}",
            reply_line(&r.reply)
        );
        print_classification(
            &r.reply.classify(Some(Command::Rcpt)),
            "                     ",
        );
    }
    for r in &delivery.rejected {
        if !settings.expected_rejected.contains(&r.recipient) {
            failures.push(format!(
                "{} was rejected: {}",
                r.recipient,
                reply_line(&r.reply)
            ));
        }
    }
    for expected in &settings.expected_rejected {
        if !delivery.rejected.iter().any(|r| &r.recipient == expected) {
            failures.push(format!(
                "{expected} was expected to be rejected, but was not"
            ));
        }
    }
    if let Some(sb) = sandbox {
        let received = sb
            .messages()
            .into_iter()
            .find(|m| delivery.notification_id.as_deref() == Some(m.notification_id.as_str()));
        let same = received.as_ref().is_some_and(|m| m.data == message.bytes);
        field(
            "Sandbox received",
            match &received {
                Some(m) => format!(
                    "{} bytes for {}; identical to the built message: {}",
                    m.data.len(),
                    m.rcpt_to.join(", "),
                    yes_no(same)
                ),
                None => "nothing under this notification id".to_string(),
            },
        );
        if !same {
            failures.push("the sandbox did not receive the built bytes".to_string());
        }
    }
    let Some(notification_id) = delivery.notification_id.clone() else {
        failures.push("the final reply carries no notification id to follow".to_string());
        return Outcome {
            failures,
            summary: String::new(),
            notification_id: None,
        };
    };

    // 3. Delivery status.
    heading("3. Delivery status (email365::http::StatusClient, polled until final)");
    let mut builder = StatusClient::builder(
        settings.account_id.clone(),
        settings.status_username.clone(),
        settings.status_password.clone(),
    )
    .poll_plan(settings.poll_plan);
    if let Some(url) = &settings.base_url {
        builder = builder.base_url(url.clone());
    }
    if let Some(region) = &settings.region {
        builder = builder.region(region.clone());
    }
    if let Some(ca) = &settings.ca_file {
        builder = builder.extra_ca_file(ca);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            print_error(&e);
            return fail(&mut failures, format!("status client: {e}"));
        }
    };
    if let Ok(request) = status_request(&StatusQuery {
        account_id: &settings.account_id,
        notification_id: &notification_id,
        recipient: None,
        region: settings.region.as_deref(),
        base_url: settings.base_url.as_deref(),
        username: &settings.status_username,
        password: &settings.status_password,
    }) {
        field(
            "Request",
            format!("GET {}[?recipient=email:…]", request.url),
        );
    }
    field(
        "Final states",
        "CH_SENT, and every code other than CAAS_RECEIVED / CAAS_SENT / CH_RECEIVED",
    );
    field(
        "Polling",
        format!(
            "first at once, then after {} ms, doubling up to {} ms; giving up after {} s",
            settings.poll_plan.initial.as_millis(),
            settings.poll_plan.max_delay.as_millis(),
            settings.wait.as_secs()
        ),
    );
    let deadline = Instant::now() + settings.wait;
    let mut finals: Vec<(String, String)> = Vec::new();
    for accepted in &delivery.accepted {
        let recipient = accepted.recipient.as_str();
        println!();
        println!("  {recipient}");
        let remaining = deadline.saturating_duration_since(Instant::now());
        let notification: Notification =
            match client.wait_for(&notification_id, Some(recipient), remaining) {
                Ok(n) => n,
                Err(e) => {
                    print_error(&e);
                    failures.push(format!("status of {recipient}: {e}"));
                    continue;
                }
            };
        let first = notification.events.first().and_then(|e| e.timestamp);
        for event in &notification.events {
            let offset = match (first, event.timestamp) {
                (Some(a), Some(b)) => format!("+{:.2} s", (b.0 - a.0) as f64 / 1000.0),
                _ => String::new(),
            };
            println!(
                "    {}  {offset:>8}  {:<14} {}{}",
                timestamp_text(event),
                event.code,
                event.text.as_deref().unwrap_or(""),
                if event.is_final() { "   ← final" } else { "" }
            );
        }
        match notification.latest_for(recipient) {
            Some(latest) => {
                if latest.code != "CH_SENT" {
                    failures.push(format!("{recipient} ended in {}", latest.code));
                }
                finals.push((recipient.to_string(), latest.code.clone()));
            }
            None => failures.push(format!("no status event for {recipient}")),
        }
    }

    let delivered: Vec<String> = finals
        .iter()
        .map(|(r, code)| format!("{r} {code}"))
        .collect();
    let rejected: Vec<String> = delivery
        .rejected
        .iter()
        .map(|r| {
            let c = r.reply.classify(Some(Command::Rcpt));
            format!(
                "{} rejected at RCPT ({} {}, {})",
                r.recipient,
                r.reply.code,
                c.enhanced.map(|e| e.to_string()).unwrap_or_default(),
                c.severity
            )
        })
        .collect();
    let mut parts = vec![format!("notification {notification_id}")];
    parts.extend(delivered);
    parts.extend(rejected);
    parts.push(format!("{:.1} s", started.elapsed().as_secs_f64()));
    Outcome {
        failures,
        summary: parts.join(" · "),
        notification_id: Some(notification_id),
    }
}

/// Runs the binding demos that exist on disk, with the target's coordinates in their
/// environment. Returns the names of those that failed.
fn run_binding_demos(settings: &Settings, notification_id: Option<&str>) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap_or(root);
    let mut failed = Vec::new();
    for demo in BINDING_DEMOS {
        if !demo.needs.iter().all(|n| root.join(n).exists()) {
            continue;
        }
        heading(&format!("Binding demo: {}", demo.name));
        let program = if demo.program.contains('/') {
            root.join(demo.program)
        } else {
            PathBuf::from(demo.program)
        };
        println!("  $ {} {}", demo.program, demo.args.join(" "));
        let mut command = Process::new(&program);
        command
            .args(demo.args)
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("EMAIL365_HOST", &settings.smtp_host)
            .env("EMAIL365_PORT", settings.smtp_port.to_string())
            .env(
                "EMAIL365_TLS",
                match settings.tls {
                    TlsMode::Implicit => "implicit",
                    _ => "starttls",
                },
            )
            .env("EMAIL365_USERNAME", &settings.username)
            .env("EMAIL365_PASSWORD", &settings.password)
            .env("EMAIL365_ACCOUNT_ID", &settings.account_id)
            .env("EMAIL365_STATUS_USERNAME", &settings.status_username)
            .env("EMAIL365_STATUS_PASSWORD", &settings.status_password)
            .env("EMAIL365_FROM", &settings.from)
            .env("EMAIL365_TO", settings.to.join(","));
        match notification_id {
            // The Rust run's message, for demos that follow a status without sending.
            Some(id) => command.env("EMAIL365_NOTIFICATION_ID", id),
            None => command.env_remove("EMAIL365_NOTIFICATION_ID"),
        };
        match &settings.base_url {
            Some(url) => command
                .env("EMAIL365_BASE_URL", url)
                .env_remove("EMAIL365_REGION"),
            None => command.env_remove("EMAIL365_BASE_URL"),
        };
        if let Some(region) = &settings.region {
            command.env("EMAIL365_REGION", region);
        }
        match &settings.ca_file {
            Some(ca) => command.env("EMAIL365_CA_FILE", ca),
            None => command.env_remove("EMAIL365_CA_FILE"),
        };
        match run_with_timeout(&mut command, DEMO_TIMEOUT) {
            Ok((status, output)) => {
                for line in output.lines() {
                    println!("  │ {line}");
                }
                if status == Some(0) {
                    println!("  exit status 0");
                } else {
                    let s = status.map_or_else(|| "killed".to_string(), |c| c.to_string());
                    println!("  FAILED: exit status {s}");
                    failed.push(format!("binding demo {} (exit status {s})", demo.name));
                }
            }
            Err(e) => {
                println!("  FAILED: {e}");
                failed.push(format!("binding demo {}: {e}", demo.name));
            }
        }
    }
    failed
}

/// Runs a command, collecting stdout then stderr; kills it after `timeout`.
fn run_with_timeout(
    command: &mut Process,
    timeout: Duration,
) -> Result<(Option<i32>, String), String> {
    let mut child = command.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let mut readers = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        readers.push(std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            buf
        }));
    }
    if let Some(mut err) = child.stderr.take() {
        readers.push(std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf);
            buf
        }));
    }
    let end = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if Instant::now() >= end => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("did not finish within {} s", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    };
    let mut text = String::new();
    for reader in readers {
        if let Ok(buf) = reader.join() {
            text.push_str(&String::from_utf8_lossy(&buf));
        }
    }
    Ok((status, text))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(ConfigError(message)) => {
            eprintln!("email365-e2e: {message}");
            return ExitCode::from(2);
        }
    };
    let real = match real_settings() {
        Ok(r) => r,
        Err(ConfigError(message)) => {
            eprintln!("email365-e2e: {message}");
            return ExitCode::from(2);
        }
    };
    println!(
        "email365 {} — main job: send one message through the SDK and follow its status",
        email365::VERSION
    );

    let sandbox;
    let settings = match real {
        Some(settings) => {
            sandbox = None;
            heading("Target: the Email 365 service");
            field(
                "SMTP",
                format!("{}:{}", settings.smtp_host, settings.smtp_port),
            );
            field(
                "Status API",
                match (&settings.base_url, &settings.region) {
                    (Some(url), _) => url.clone(),
                    (None, Some(region)) => format!("region {region}"),
                    (None, None) => String::new(),
                },
            );
            field("Account", &settings.account_id);
            if let Some(ca) = &settings.ca_file {
                field("Extra CA", ca.display());
            }
            settings
        }
        None => {
            let config = SandboxConfig {
                step: SANDBOX_STEP,
                ..SandboxConfig::default()
            };
            let started = match Sandbox::start(config) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("email365-e2e: the sandbox did not start: {e}");
                    return ExitCode::from(1);
                }
            };
            let settings = match sandbox_settings(&started) {
                Ok(s) => s,
                Err(ConfigError(message)) => {
                    eprintln!("email365-e2e: {message}");
                    return ExitCode::from(2);
                }
            };
            heading("Target: the local sandbox (email365-sandbox, in this process)");
            println!("  A stand-in for Email 365 on loopback; nothing leaves this machine.");
            println!("  Set the EMAIL365_* variables of docs/MAIN_JOB.md to use the real service.");
            field(
                "SMTP",
                format!(
                    "{} (STARTTLS with a certificate made at start)",
                    started.smtp_addr()
                ),
            );
            field("CA file", started.ca_file().display());
            field("Status API", started.http_url());
            field("Account", &started.config().account_id);
            field(
                "Credentials",
                format!(
                    "{} / {} (the sandbox's fixed, documented ones)",
                    started.config().username,
                    started.config().password
                ),
            );
            field("Sender domains", started.config().sender_domains.join(", "));
            field(
                "Scripted",
                "local parts starting with reject → 550 5.1.1 at RCPT",
            );
            sandbox = Some(started);
            settings
        }
    };

    let outcome = run(&settings, sandbox.as_ref(), &args);
    let mut failures = outcome.failures;
    if args.bindings {
        failures.extend(run_binding_demos(
            &settings,
            outcome.notification_id.as_deref(),
        ));
    }
    if let Some(sb) = sandbox {
        sb.stop();
        println!();
        println!("Sandbox stopped.");
    }
    println!();
    if failures.is_empty() {
        println!("Summary: OK · {}", outcome.summary);
        ExitCode::SUCCESS
    } else {
        println!("Summary: FAILED");
        for f in &failures {
            println!("  - {f}");
        }
        if !outcome.summary.is_empty() {
            println!("  ({})", outcome.summary);
        }
        ExitCode::from(1)
    }
}
