//! `send`: one message (or `--repeat N` copies over one connection with `send_many`)
//! built by the core's message builder, or an `.eml` file sent as it is with the envelope
//! from the flags; one JSON line per message. The flags are read and the messages built
//! by [`prepare`] whatever runs the command; the connection is the blocking client's
//! ([`main`]), the tokio client's, or a host's I/O under the core's session
//! ([`main_host`]).

use super::args::{Flag, Flags};
use super::host::{AsyncCommandHost, CommandHost};
use super::{json, usage, EXIT_FAILED, EXIT_OK};
use crate::message::{Attachment, BuiltMessage, Envelope, MessageBuilder};
use crate::smtp::session::Session;
use crate::smtp::{Delivery, Outgoing, SmtpOptions, TlsMode, DEFAULT_PORT};
use crate::{Error, ErrorKind};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

const FLAGS: &[Flag] = &[
    Flag::once("host"),
    Flag::once("port"),
    Flag::once("tls"),
    Flag::once("ca"),
    Flag::once("username"),
    Flag::once("password-env"),
    Flag::once("from"),
    Flag::repeated("to"),
    Flag::once("eml"),
    Flag::once("subject"),
    Flag::once("text"),
    Flag::once("html"),
    Flag::repeated("attach"),
    Flag::once("timeout"),
    Flag::once("repeat"),
];

/// The most copies `--repeat` sends.
const MAX_REPEAT: u64 = 100_000;

/// What goes out: messages built here, or one file's bytes.
enum Payload {
    Built(Vec<BuiltMessage>),
    Raw {
        envelope: Envelope,
        bytes: Vec<u8>,
        copies: usize,
    },
}

#[cfg(feature = "cli")]
pub(super) fn main(args: Vec<OsString>, out: &mut dyn Write) -> u8 {
    let result = Flags::parse(args, FLAGS).and_then(|flags| {
        let (options, payload) = prepare(&flags, &super::host::StdHost)?;
        Ok(send(options, &payload, out))
    });
    super::finish(out, result)
}

/// Everything checked and read before a connection is opened.
fn prepare(flags: &Flags, host: &dyn CommandHost) -> Result<(SmtpOptions, Payload), Error> {
    let server = flags.required("host")?;
    let port = flags
        .number("port", 1, 65_535)?
        .map_or(DEFAULT_PORT, |p| p as u16);
    let tls = match flags.get("tls").unwrap_or("starttls") {
        "starttls" => TlsMode::StartTls,
        "implicit" => TlsMode::Implicit,
        other => {
            return Err(usage(format!(
                "--tls is starttls or implicit, not {other:?}"
            )))
        }
    };
    let mut options = SmtpOptions::new(server).port(port).tls(tls);
    match (flags.get("username"), flags.password(host)?) {
        (Some(user), Some(password)) => options = options.credentials(user, &password),
        (None, None) => {}
        _ => return Err(usage("--username and --password-env go together")),
    }
    if let Some(ca) = flags.get("ca") {
        let pem = host.read_file(ca).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("cannot read the CA file {ca}: {e}"),
            )
            .with_reason("ca_file")
        })?;
        options.trust.extra_ca_pem = Some(pem);
    }
    if let Some(limit) = flags.seconds("timeout")? {
        let t = &mut options.timeouts;
        t.connect = limit;
        t.greeting = limit;
        t.command = limit;
        t.data_write = limit;
        t.data_end = limit;
    }
    let copies = flags.number("repeat", 1, MAX_REPEAT)?.unwrap_or(1) as usize;
    let from = flags.required("from")?;
    let to = flags.all("to");
    if to.is_empty() {
        return Err(usage("at least one --to is required"));
    }
    let payload = match flags.get("eml") {
        Some(path) => {
            for flag in ["subject", "text", "html", "attach"] {
                if !flags.all(flag).is_empty() {
                    return Err(usage(format!("--eml goes without --{flag}")));
                }
            }
            let envelope = Envelope {
                mail_from: from.to_string(),
                rcpt_to: to.to_vec(),
            };
            Payload::Raw {
                envelope,
                bytes: read(host, path)?,
                copies,
            }
        }
        None => {
            let subject = flags.required("subject")?;
            let text = flags.required("text")?;
            let files = flags
                .all("attach")
                .iter()
                .map(|path| Ok((file_name(path), read(host, path)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            let mut builder = MessageBuilder::new().from(from).subject(subject).text(text);
            for t in to {
                builder = builder.to(t.as_str());
            }
            if let Some(html) = flags.get("html") {
                builder = builder.html(html);
            }
            for (name, content) in &files {
                builder = builder.attachment(Attachment::new(name.clone(), content.as_slice()));
            }
            // Each copy is built on its own, with its own Message-ID.
            Payload::Built(
                (0..copies)
                    .map(|_| builder.build())
                    .collect::<Result<_, _>>()?,
            )
        }
    };
    Ok((options, payload))
}

/// Connects, sends and prints one line per message; the exit code.
#[cfg(feature = "cli")]
fn send(options: SmtpOptions, payload: &Payload, out: &mut dyn Write) -> u8 {
    let items = items(payload);
    let mut client = match crate::smtp::SmtpClient::connect(options) {
        Ok(c) => c,
        Err(e) => return connect_failed(&e, out),
    };
    let outgoing: Vec<Outgoing<'_>> = items.iter().map(|(o, _)| *o).collect();
    let results = match outgoing.as_slice() {
        [one] => vec![client.send_with(one.envelope, one.bytes, one.needs)],
        many => client.send_many_outgoing(many),
    };
    let _ = client.quit();
    report(&results, &items, out)
}

/// `send` over the tokio client: the same flags, checks, JSON lines and exit codes.
#[cfg(feature = "tokio")]
pub(super) async fn main_async(args: Vec<OsString>, out: &mut dyn Write) -> u8 {
    let prepared =
        Flags::parse(args, FLAGS).and_then(|flags| prepare(&flags, &super::host::StdHost));
    let result = match prepared {
        Ok((options, payload)) => Ok(send_async(options, &payload, out).await),
        Err(e) => Err(e),
    };
    super::finish(out, result)
}

/// [`send`] over `AsyncSmtpClient`.
#[cfg(feature = "tokio")]
async fn send_async(options: SmtpOptions, payload: &Payload, out: &mut dyn Write) -> u8 {
    let items = items(payload);
    let mut client = match crate::smtp::AsyncSmtpClient::connect(options).await {
        Ok(c) => c,
        Err(e) => return connect_failed(&e, out),
    };
    let outgoing: Vec<Outgoing<'_>> = items.iter().map(|(o, _)| *o).collect();
    let results = match outgoing.as_slice() {
        [one] => vec![client.send_with(one.envelope, one.bytes, one.needs).await],
        many => client.send_many_outgoing(many).await,
    };
    let _ = client.quit().await;
    report(&results, &items, out)
}

/// `send` over a host's I/O under the core's session: the same flags, checks, JSON
/// lines and exit codes as [`main`].
pub(super) async fn main_host<H: AsyncCommandHost>(
    host: &H,
    args: Vec<OsString>,
    out: &mut dyn Write,
) -> u8 {
    // The options are checked as the blocking client checks them before connecting.
    let prepared = Flags::parse(args, FLAGS)
        .and_then(|flags| prepare(&flags, host))
        .and_then(|(options, payload)| {
            crate::smtp::check_options(&options)?;
            Ok((options, payload))
        });
    let result = match prepared {
        Ok((options, payload)) => Ok(send_host(host, options, &payload, out).await),
        Err(e) => Err(e),
    };
    super::finish(out, result)
}

/// [`send`] over [`Session`] with the host's I/O.
async fn send_host<H: AsyncCommandHost>(
    host: &H,
    options: SmtpOptions,
    payload: &Payload,
    out: &mut dyn Write,
) -> u8 {
    let items = items(payload);
    let io = host.smtp_io(&options);
    let mut session = Session::new(options, io);
    if let Err(e) = session.connect().await {
        return connect_failed(&e, out);
    }
    let outgoing: Vec<Outgoing<'_>> = items.iter().map(|(o, _)| *o).collect();
    let results = match outgoing.as_slice() {
        [one] => vec![session.send_with(one.envelope, one.bytes, one.needs).await],
        many => session.send_many_outgoing(many).await,
    };
    let _ = session.quit().await;
    report(&results, &items, out)
}

/// Each message to send, with the Message-ID of those built here.
fn items(payload: &Payload) -> Vec<(Outgoing<'_>, Option<&str>)> {
    match payload {
        Payload::Built(messages) => messages
            .iter()
            .map(|m| (Outgoing::from(m), Some(m.message_id.as_str())))
            .collect(),
        Payload::Raw {
            envelope,
            bytes,
            copies,
        } => (0..*copies)
            .map(|_| (Outgoing::raw(envelope, bytes), None))
            .collect(),
    }
}

/// Prints the error of a failed connection; the exit code.
fn connect_failed(e: &Error, out: &mut dyn Write) -> u8 {
    let _ = writeln!(out, "{}", json::error(e));
    EXIT_FAILED
}

/// Prints one line per result; the exit code.
fn report(
    results: &[Result<Delivery, Error>],
    items: &[(Outgoing<'_>, Option<&str>)],
    out: &mut dyn Write,
) -> u8 {
    let mut code = EXIT_OK;
    for (result, (_, message_id)) in results.iter().zip(items) {
        let line = match result {
            Ok(d) => json::delivery(d, *message_id),
            Err(e) => {
                code = EXIT_FAILED;
                json::error(e)
            }
        };
        let _ = writeln!(out, "{line}");
    }
    code
}

fn read(host: &dyn CommandHost, path: &str) -> Result<Vec<u8>, Error> {
    host.read_file(path).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("cannot read {path}: {e}"),
        )
        .with_reason("unreadable_file")
    })
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}
