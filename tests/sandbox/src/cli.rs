//! The sandbox's command line, shared by the `email365-sandbox` binary and the
//! `email365 sandbox` command of the SDK's packages (the core's CLI, feature `sandbox`):
//! flags (or `EMAIL365_SANDBOX_*` variables) to a [`Config`], a start, the ports, CA file
//! and credentials printed (one JSON line with `--json`), then serving until SIGTERM /
//! SIGINT (or the end of stdin with `--exit-on-stdin-eof`).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::{Config, Sandbox};

/// Exit code: stopped cleanly (or `--help` / `--version` printed).
pub const EXIT_OK: u8 = 0;
/// Exit code: the sandbox could not start.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad flags.
pub const EXIT_USAGE: u8 = 2;

fn arg(name: &'static str, env: &'static str, help: &'static str) -> Arg {
    Arg::new(name).long(name).env(env).help(help)
}

fn command(program: &'static str) -> Command {
    Command::new(program)
        .args_override_self(true)
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
        .arg(Arg::new("json").long("json").help("Print the start information as one JSON line (always, for email365-sandbox)").action(ArgAction::SetTrue))
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

/// The start information for a person: where to connect and with what.
fn describe(sandbox: &Sandbox, program: &str) -> String {
    let c = sandbox.config();
    let mut s = format!(
        "{program} {}: the Email 365 stand-in is running (Ctrl-C stops it)\n",
        env!("CARGO_PKG_VERSION")
    );
    let smtp = sandbox.smtp_addr();
    s += &format!(
        "  SMTP        {} port {} (STARTTLS)\n",
        smtp.ip(),
        smtp.port()
    );
    if let Some(a) = sandbox.smtps_addr() {
        s += &format!(
            "  SMTPS       {} port {} (implicit TLS)\n",
            a.ip(),
            a.port()
        );
    }
    s += &format!(
        "  status API  {} (account {})\n",
        sandbox.http_url(),
        c.account_id
    );
    s += &format!("  CA file     {}\n", sandbox.ca_file().display());
    s += &format!("  username    {}\n", c.username);
    s += &format!("  password    {}\n", c.password);
    let senders: Vec<&str> = c
        .sender_domains
        .iter()
        .chain(&c.sender_addresses)
        .map(String::as_str)
        .collect();
    s += &format!("  senders     {}\n", senders.join(", "));
    s
}

/// Runs the sandbox with `args` (the flags, without the program name) until SIGTERM,
/// SIGINT or (with `--exit-on-stdin-eof`) the end of stdin; the start information goes
/// to `out`, errors and the `--verbose` log to stderr. `program` names the command in
/// `--help` and errors; `always_json` prints the JSON line without `--json`. Returns the exit code ([`EXIT_OK`], [`EXIT_FAILED`],
/// [`EXIT_USAGE`]).
pub fn run<I, S>(program: &'static str, always_json: bool, args: I, out: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let argv = std::iter::once(OsString::from(program)).chain(args.into_iter().map(Into::into));
    let matches = match command(program).try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = write!(out, "{}", e.render());
                let _ = out.flush();
                return EXIT_OK;
            }
            eprint!("{}", e.render());
            return EXIT_USAGE;
        }
    };
    let config = config_from(&matches);
    let sandbox = match Sandbox::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{program}: cannot start: {e}");
            return EXIT_FAILED;
        }
    };
    let (tx, rx) = mpsc::channel::<&'static str>();
    let signals = match signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{program}: cannot handle signals: {e}");
            return EXIT_FAILED;
        }
    };
    let handle = signals.handle();
    let signal_thread = {
        let tx = tx.clone();
        let mut signals = signals;
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                let _ = tx.send("signal");
            }
        })
    };
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
    let start = if always_json || matches.get_flag("json") {
        format!("{}\n", sandbox.start_info())
    } else {
        describe(&sandbox, program)
    };
    if out
        .write_all(start.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        eprintln!("{program}: cannot write the start information");
    }
    let why = rx.recv().unwrap_or("channel closed");
    if sandbox.config().verbose {
        eprintln!("{program}: stopping ({why})");
    }
    // The signal actions are removed, so that a process hosting the command (a Python
    // interpreter) gets its own handling of SIGINT and SIGTERM back.
    handle.close();
    let _ = signal_thread.join();
    drop(handle);
    sandbox.stop();
    EXIT_OK
}
