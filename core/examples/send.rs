//! Sends one message over SMTP and prints the outcome as one JSON line.
//!
//! ```text
//! cargo run -q -p email365 --example send --features smtp -- --host H --port P
//!     [--tls starttls|implicit] [--ca FILE] [--timeout SECONDS]
//!     --username U --password-env VAR
//!     --from A --to B [--to C …] (--eml FILE | --subject S --text T)
//! ```
//!
//! The last line of stdout is `{"ok": {notification_id, final_reply, accepted,
//! rejected}}` or `{"error": {kind, reason, message, transient, reply, replies}}`.
//! Exit code 0 when the message was accepted for at least one recipient (the others are
//! listed in `rejected`), 1 when sending failed, 2 for bad command-line arguments.
//! With `--eml` the file is sent as it is (the envelope comes from the flags). The
//! example never retries on its own. `--timeout` bounds every step (connect, greeting,
//! TLS handshake, each reply, the data write, the final reply) by the same limit.

use email365::error::ErrorReply;
use email365::message::Envelope;
use email365::reply::Reply;
use email365::smtp::{Delivery, SmtpClient, SmtpOptions, Timeouts, TlsMode};
use email365::{Error, ErrorKind};
use serde_json::{json, Value};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Args {
    host: Option<String>,
    port: Option<u16>,
    tls: TlsMode,
    ca: Option<String>,
    timeout: Option<Duration>,
    username: Option<String>,
    password_env: Option<String>,
    from: Option<String>,
    to: Vec<String>,
    eml: Option<String>,
    subject: Option<String>,
    text: Option<String>,
}

fn usage(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message).with_reason("usage")
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, Error> {
    let mut a = Args::default();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| usage(format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--host" => a.host = Some(value()?),
            "--port" => {
                let v = value()?;
                a.port = Some(v.parse().map_err(|_| usage(format!("bad port {v:?}")))?);
            }
            "--tls" => {
                a.tls = match value()?.as_str() {
                    "starttls" => TlsMode::StartTls,
                    "implicit" => TlsMode::Implicit,
                    other => {
                        return Err(usage(format!(
                            "--tls is starttls or implicit, not {other:?}"
                        )))
                    }
                }
            }
            "--ca" => a.ca = Some(value()?),
            "--timeout" => {
                let v = value()?;
                let secs: f64 = v
                    .parse()
                    .map_err(|_| usage(format!("bad --timeout {v:?}")))?;
                a.timeout = Some(
                    Duration::try_from_secs_f64(secs)
                        .ok()
                        .filter(|d| !d.is_zero())
                        .ok_or_else(|| usage("--timeout must be a positive number of seconds"))?,
                );
            }
            "--username" => a.username = Some(value()?),
            "--password-env" => a.password_env = Some(value()?),
            "--from" => a.from = Some(value()?),
            "--to" => a.to.push(value()?),
            "--eml" => a.eml = Some(value()?),
            "--subject" => a.subject = Some(value()?),
            "--text" => a.text = Some(value()?),
            other => return Err(usage(format!("unknown argument {other:?}"))),
        }
    }
    Ok(a)
}

fn reply_json(r: &Reply) -> Value {
    json!({
        "code": r.code,
        "enhanced": r.enhanced.map(|e| e.to_string()),
        "text": r.text(),
    })
}

fn error_reply_json(r: &ErrorReply) -> Value {
    json!({
        "code": r.code,
        "enhanced": r.enhanced,
        "text": r.text,
        "recipient": r.recipient,
    })
}

fn ok_json(d: &Delivery) -> Value {
    let list = |v: &[email365::smtp::RecipientReply]| -> Vec<Value> {
        v.iter()
            .map(|r| json!({"recipient": r.recipient, "reply": reply_json(&r.reply)}))
            .collect()
    };
    json!({"ok": {
        "notification_id": d.notification_id,
        "final_reply": reply_json(&d.final_reply),
        "accepted": list(&d.accepted),
        "rejected": list(&d.rejected),
    }})
}

fn error_json(e: &Error) -> Value {
    json!({"error": {
        "kind": e.kind().as_str(),
        "reason": e.reason(),
        "message": e.message(),
        "transient": e.transient(),
        "reply": e.reply().map(error_reply_json),
        "replies": e.replies().iter().map(error_reply_json).collect::<Vec<_>>(),
    }})
}

/// RFC 5322 date-time in UTC for `secs` since the epoch.
fn rfc5322_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days.rem_euclid(7)) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        months[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A plain-text message. This small writer stands in for the core's message builder
/// (issue 3) in the example; it refuses controls in header values.
fn text_message(from: &str, to: &[String], subject: &str, text: &str) -> Result<Vec<u8>, Error> {
    for (what, v) in [("from", from), ("subject", subject)]
        .into_iter()
        .chain(to.iter().map(|t| ("to", t.as_str())))
    {
        if let Some(pos) = v.bytes().position(|b| b < 0x20 || b == 0x7f) {
            return Err(Error::new(
                ErrorKind::InvalidMessage,
                format!("control character in {what}"),
            )
            .with_reason("control_character")
            .with_position(pos));
        }
    }
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let subject = if subject.is_ascii() {
        subject.to_string()
    } else {
        format!("=?utf-8?b?{}?=", b64.encode(subject))
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let domain = from.rsplit('@').next().unwrap_or("localhost");
    let mut m = format!(
        "From: {from}\r\nTo: {}\r\nSubject: {subject}\r\nDate: {}\r\nMessage-ID: <{now}.{nanos}.{}@{domain}>\r\nMIME-Version: 1.0\r\n",
        to.join(", "),
        rfc5322_date(now),
        std::process::id()
    );
    if text.is_ascii() {
        m.push_str(
            "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n",
        );
    } else {
        m.push_str(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
        );
    }
    m.push_str("\r\n");
    m.push_str(text);
    Ok(m.into_bytes())
}

fn run(a: Args) -> Result<Delivery, Error> {
    let host = a.host.ok_or_else(|| usage("--host is required"))?;
    let port = a.port.ok_or_else(|| usage("--port is required"))?;
    let username = a.username.ok_or_else(|| usage("--username is required"))?;
    let var = a
        .password_env
        .ok_or_else(|| usage("--password-env is required"))?;
    let password = std::env::var(&var)
        .map_err(|_| usage(format!("the environment variable {var} is not set")))?;
    let from = a.from.ok_or_else(|| usage("--from is required"))?;
    if a.to.is_empty() {
        return Err(usage("at least one --to is required"));
    }
    let bytes = match (&a.eml, &a.subject, &a.text) {
        (Some(path), None, None) => std::fs::read(path).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("cannot read {path}: {e}"),
            )
            .with_reason("eml")
        })?,
        (None, Some(subject), Some(text)) => text_message(&from, &a.to, subject, text)?,
        _ => return Err(usage("give either --eml FILE or --subject S --text T")),
    };
    let mut options = SmtpOptions::new(host, port)
        .tls(a.tls)
        .credentials(&username, &password);
    if let Some(ca) = &a.ca {
        options = options.ca_file(ca)?;
    }
    if let Some(t) = a.timeout {
        options.timeouts = Timeouts {
            connect: t,
            greeting: t,
            command: t,
            data_write: t,
            data_end: t,
        };
    }
    let mut client = SmtpClient::connect(options)?;
    let envelope = Envelope {
        mail_from: from,
        rcpt_to: a.to,
    };
    let delivery = client.send_raw(&envelope, &bytes)?;
    let _ = client.quit();
    Ok(delivery)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            println!("{}", error_json(&e));
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(d) => {
            println!("{}", ok_json(&d));
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", error_json(&e));
            if e.reason() == Some("usage") {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
