//! The `email365-sandbox` binary: reads flags (or `EMAIL365_SANDBOX_*` variables),
//! starts a [`Sandbox`], prints one JSON line with its ports, CA file and credentials,
//! and runs until SIGTERM / SIGINT (or the end of stdin with `--exit-on-stdin-eof`).

use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};
use email365_sandbox::{Config, Sandbox};

fn arg(name: &'static str, env: &'static str, help: &'static str) -> Arg {
    Arg::new(name).long(name).env(env).help(help)
}

fn command() -> Command {
    Command::new("email365-sandbox")
        .about("A local stand-in for the Sinch Email 365 service: SMTP submission and the status API on loopback")
        .version(env!("CARGO_PKG_VERSION"))
        .arg(arg("host", "EMAIL365_SANDBOX_HOST", "Address to listen on [default: 127.0.0.1]").value_parser(clap::value_parser!(IpAddr)))
        .arg(arg("smtp-port", "EMAIL365_SANDBOX_SMTP_PORT", "SMTP (STARTTLS) port, 0 = any free [default: 0]").value_parser(clap::value_parser!(u16)))
        .arg(arg("smtps-port", "EMAIL365_SANDBOX_SMTPS_PORT", "Also serve implicit-TLS SMTP on this port (0 = any free) [default: off]").value_parser(clap::value_parser!(u16)))
        .arg(arg("http-port", "EMAIL365_SANDBOX_HTTP_PORT", "Status API port, 0 = any free [default: 0]").value_parser(clap::value_parser!(u16)))
        .arg(arg("hostname", "EMAIL365_SANDBOX_HOSTNAME", "Server name in replies and the certificate [default: localhost]"))
        .arg(arg("username", "EMAIL365_SANDBOX_USERNAME", "SMTP AUTH and Basic-auth user [default: sandbox]"))
        .arg(arg("password", "EMAIL365_SANDBOX_PASSWORD", "SMTP AUTH and Basic-auth password [default: sandbox-password]").hide_env_values(true))
        .arg(arg("account-id", "EMAIL365_SANDBOX_ACCOUNT_ID", "Account id of the status API path [default: caas_sandbox]"))
        .arg(arg("sender-domain", "EMAIL365_SANDBOX_SENDER_DOMAINS", "Registered sender domain (repeatable; comma-separated in the variable) [default: example.com]").action(ArgAction::Append).value_delimiter(','))
        .arg(arg("sender-address", "EMAIL365_SANDBOX_SENDER_ADDRESSES", "Registered sender address (repeatable; comma-separated in the variable)").action(ArgAction::Append).value_delimiter(','))
        .arg(arg("size-limit", "EMAIL365_SANDBOX_SIZE_LIMIT", "SIZE limit in bytes [default: 10485760]").value_parser(clap::value_parser!(u64).range(1..)))
        .arg(arg("max-recipients", "EMAIL365_SANDBOX_MAX_RECIPIENTS", "Most recipients per message [default: 100]").value_parser(clap::value_parser!(u64).range(1..)))
        .arg(arg("step-ms", "EMAIL365_SANDBOX_STEP_MS", "Milliseconds between status events, 0 = all at once [default: 1000]").value_parser(clap::value_parser!(u64)))
        .arg(arg("retention-secs", "EMAIL365_SANDBOX_RETENTION_SECS", "Seconds the status API keeps a notification [default: 604800]").value_parser(clap::value_parser!(u64)))
        .arg(arg("eml-dir", "EMAIL365_SANDBOX_EML_DIR", "Write each accepted message to DIR/<id>.eml (+ <id>.json)").value_parser(clap::value_parser!(PathBuf)))
        .arg(arg("cert-dir", "EMAIL365_SANDBOX_CERT_DIR", "Write ca.pem here [default: a temporary folder removed at exit]").value_parser(clap::value_parser!(PathBuf)))
        .arg(arg("first-id", "EMAIL365_SANDBOX_FIRST_ID", "First notification id [default: 14 digits from the start time]").value_parser(clap::value_parser!(u64).range(1..)))
        .arg(arg("exit-on-stdin-eof", "EMAIL365_SANDBOX_EXIT_ON_STDIN_EOF", "Stop when stdin reaches end of file (for a parent process holding a pipe)").action(ArgAction::SetTrue))
        .arg(arg("verbose", "EMAIL365_SANDBOX_VERBOSE", "Log SMTP dialogues and HTTP requests to stderr (credentials redacted)").action(ArgAction::SetTrue))
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

fn config_from(m: &ArgMatches) -> Config {
    let mut c = Config::default();
    if let Some(h) = m.get_one::<IpAddr>("host") {
        c.host = *h;
    }
    if let Some(p) = m.get_one::<u16>("smtp-port") {
        c.smtp_port = *p;
    }
    c.smtps_port = m.get_one::<u16>("smtps-port").copied();
    if let Some(p) = m.get_one::<u16>("http-port") {
        c.http_port = *p;
    }
    if let Some(v) = m.get_one::<String>("hostname") {
        c.hostname = v.clone();
    }
    if let Some(v) = m.get_one::<String>("username") {
        c.username = v.clone();
    }
    if let Some(v) = m.get_one::<String>("password") {
        c.password = v.clone();
    }
    if let Some(v) = m.get_one::<String>("account-id") {
        c.account_id = v.clone();
    }
    // The non-empty values of a repeated flag, trimmed.
    let listed = |flag: &str| -> Vec<String> {
        m.get_many::<String>(flag)
            .map(|v| {
                v.map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let domains = listed("sender-domain");
    let addresses = listed("sender-address");
    if !domains.is_empty() || !addresses.is_empty() {
        c.sender_domains = domains;
        c.sender_addresses = addresses;
    }
    if let Some(v) = m.get_one::<u64>("size-limit") {
        c.size_limit = to_usize(*v);
    }
    if let Some(v) = m.get_one::<u64>("max-recipients") {
        c.max_recipients = to_usize(*v);
    }
    if let Some(v) = m.get_one::<u64>("step-ms") {
        c.step = Duration::from_millis(*v);
    }
    if let Some(v) = m.get_one::<u64>("retention-secs") {
        c.retention = Duration::from_secs(*v);
    }
    c.eml_dir = m.get_one::<PathBuf>("eml-dir").cloned();
    c.cert_dir = m.get_one::<PathBuf>("cert-dir").cloned();
    c.first_notification_id = m.get_one::<u64>("first-id").copied();
    c.verbose = m.get_flag("verbose");
    c
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    let config = config_from(&matches);
    let sandbox = match Sandbox::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("email365-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (tx, rx) = mpsc::channel::<&'static str>();
    match signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ]) {
        Ok(mut signals) => {
            let tx = tx.clone();
            std::thread::spawn(move || {
                if signals.forever().next().is_some() {
                    let _ = tx.send("signal");
                }
            });
        }
        Err(e) => {
            eprintln!("email365-sandbox: cannot handle signals: {e}");
            return ExitCode::FAILURE;
        }
    }
    if matches.get_flag("exit-on-stdin-eof") {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin();
            let mut buf = [0u8; 4096];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            let _ = tx.send("stdin closed");
        });
    }
    {
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", sandbox.start_info())
            .and_then(|_| out.flush())
            .is_err()
        {
            eprintln!("email365-sandbox: cannot write the start line");
        }
    }
    let why = rx.recv().unwrap_or("channel closed");
    if sandbox.config().verbose {
        eprintln!("email365-sandbox: stopping ({why})");
    }
    sandbox.stop();
    ExitCode::SUCCESS
}
