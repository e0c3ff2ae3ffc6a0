//! A fast SMTP sink on loopback for the sending benchmarks and the soak: plaintext,
//! EHLO offers PIPELINING, CHUNKING, 8BITMIME, SMTPUTF8 and SIZE (PIPELINING and
//! CHUNKING can be turned off); EHLO/HELO/MAIL/RCPT/DATA (dot-unstuffed)/BDAT (with
//! LAST)/RSET/NOOP/QUIT. Input is read in batches: every complete command (and data) of
//! a read is handled, and the replies of the batch are written with one write.
//!
//! Each accepted message gets an id, returned in the final reply (`250 2.0.0 Ok: queued
//! as <id>`, Postfix's wording) and appended to the log (id, envelope, size, the
//! Message-ID header) kept in memory and optionally written to a file
//! ([`Sink::accepted`], [`Sink::dump`]).
//!
//! Faults ([`Faults`]), drawn from a seeded generator per connection number so that a run
//! can be repeated: a fraction of connections is dropped (closed without a reply) at a
//! random point — during the commands, in the middle of a message's data, or before the
//! final reply (with the message then either accepted and logged, or not); a fraction
//! replies `421` to a random command and closes; a fraction of MAIL, RCPT and end-of-data
//! replies are `451`. One thread per connection (std only: nothing async in the workspace).

use crate::acceptor::Acceptor;
use crate::rng::Rng;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The SIZE limit offered in EHLO (50 MiB).
pub const MAX_SIZE: usize = 50 * 1024 * 1024;
/// The longest command line accepted before the connection is closed.
const MAX_LINE: usize = 64 * 1024;

/// Fault injection of the sink. All zero (the default): no faults.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Seed of the per-connection generators.
    pub seed: u64,
    /// Fraction of connections closed without a reply at a random point.
    pub drop_connections: f64,
    /// Fraction of connections that reply `421` to a random command and close.
    pub close_421: f64,
    /// Fraction of MAIL, RCPT and end-of-data replies that are `451`.
    pub reject_451: f64,
    /// A faulted connection fails within its first `horizon` messages (default 20 when 0).
    pub horizon: u32,
    /// After this many accepted messages, a connection replies `421` to the next MAIL and
    /// closes (a server's per-connection limit); `None`: no limit.
    pub max_messages: Option<u32>,
}

/// What the sink offers and does.
#[derive(Debug, Clone)]
pub struct SinkOptions {
    /// Offer PIPELINING (default true).
    pub pipelining: bool,
    /// Offer and accept CHUNKING / BDAT (default true).
    pub chunking: bool,
    /// Faults to inject (none by default).
    pub faults: Faults,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            pipelining: true,
            chunking: true,
            faults: Faults::default(),
        }
    }
}

/// One accepted message, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The id returned in the final reply.
    pub id: String,
    /// The reverse path (without angle brackets).
    pub mail_from: String,
    /// The recipients accepted in the transaction.
    pub rcpt_to: Vec<String>,
    /// The message size after dot-unstuffing (or the sum of the BDAT chunks).
    pub size: usize,
    /// The Message-ID header value, if the message has one.
    pub message_id: Option<String>,
    /// The connection number (from 0, in accept order).
    pub connection: u64,
}

/// Counters of a sink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// Connections accepted.
    pub connections: u64,
    /// Messages accepted (logged).
    pub accepted: u64,
    /// Connections dropped on purpose.
    pub dropped: u64,
    /// Connections closed with a `421`.
    pub closed_421: u64,
    /// `451` replies sent on purpose.
    pub rejected_451: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    accepted: AtomicU64,
    dropped: AtomicU64,
    closed_421: AtomicU64,
    rejected_451: AtomicU64,
}

struct Shared {
    options: SinkOptions,
    log: Mutex<Vec<Accepted>>,
    next_id: AtomicU64,
    counters: Counters,
}

/// A running sink; stops (no new connections) when dropped.
pub struct Sink {
    acceptor: Acceptor,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("addr", &self.acceptor.addr())
            .finish()
    }
}

impl Sink {
    /// Starts a sink on `127.0.0.1` with a free port.
    pub fn start(options: SinkOptions) -> io::Result<Sink> {
        Sink::bind("127.0.0.1:0", options)
    }

    /// Starts a sink on `addr`.
    pub fn bind(addr: &str, options: SinkOptions) -> io::Result<Sink> {
        let shared = Arc::new(Shared {
            options,
            log: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            counters: Counters::default(),
        });
        let s = shared.clone();
        let mut number = 0u64;
        let acceptor = Acceptor::start(addr, "sink-accept", move |stream| {
            serve(stream, &s, number);
            number += 1;
        })?;
        Ok(Sink { acceptor, shared })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.acceptor.addr()
    }

    /// A copy of the log of accepted messages, in acceptance order.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The counters.
    pub fn stats(&self) -> SinkStats {
        let c = &self.shared.counters;
        SinkStats {
            connections: c.connections.load(Ordering::Relaxed),
            accepted: c.accepted.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            closed_421: c.closed_421.load(Ordering::Relaxed),
            rejected_451: c.rejected_451.load(Ordering::Relaxed),
        }
    }

    /// Writes the log to `path`, one line per message:
    /// `id, from, rcpt1 rcpt2 …, size, message-id`.
    pub fn dump(&self, path: &Path) -> io::Result<()> {
        let mut w = BufWriter::new(File::create(path)?);
        for a in self.accepted() {
            writeln!(
                w,
                "{}, {}, {}, {}, {}",
                a.id,
                a.mail_from,
                a.rcpt_to.join(" "),
                a.size,
                a.message_id.as_deref().unwrap_or("-")
            )?;
        }
        w.flush()
    }

    /// Stops accepting connections (open ones run until their client closes them).
    pub fn stop(&mut self) {
        self.acceptor.stop();
    }
}

/// Serves connection `n` on a thread of its own.
fn serve(stream: TcpStream, shared: &Arc<Shared>, n: u64) {
    let s = shared.clone();
    s.counters.connections.fetch_add(1, Ordering::Relaxed);
    let _ = std::thread::Builder::new()
        .name(format!("sink-{n}"))
        .spawn(move || {
            let _ = Session::new(&s, n).run(stream);
        });
}

/// Where a dropped connection is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DropPoint {
    /// Before replying to the n-th command (from 1).
    Command(u32),
    /// While reading the data of the n-th message (from 0).
    MidData(u32),
    /// After the data of the n-th message, before its final reply; `accepted`: the
    /// message was accepted and logged first.
    BeforeReply { message: u32, accepted: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    None,
    Drop(DropPoint),
    Close421 { command: u32 },
}

enum State {
    Command,
    Data,
    Bdat {
        remaining: usize,
        last: bool,
    },
    /// BDAT bytes to discard (a refused or out-of-transaction chunk).
    Discard {
        remaining: usize,
        reply: &'static str,
    },
}

/// What handling the input asks for.
#[derive(PartialEq, Eq)]
enum Next {
    Go,
    /// Write the pending replies, then close.
    Close,
    /// Close now, pending replies discarded.
    Drop,
}

struct Session<'a> {
    shared: &'a Shared,
    number: u64,
    rng: Rng,
    plan: Plan,
    state: State,
    commands: u32,
    /// Messages whose data was started on this connection.
    messages: u32,
    /// Messages accepted on this connection.
    accepted: u32,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    data: Vec<u8>,
    out: String,
}

impl<'a> Session<'a> {
    fn new(shared: &'a Shared, number: u64) -> Session<'a> {
        let f = &shared.options.faults;
        let mut rng = Rng::new(f.seed ^ number.wrapping_mul(0xA076_1D64_78BD_642F));
        let horizon = if f.horizon == 0 { 20 } else { f.horizon } as u64;
        let plan = if rng.chance(f.drop_connections) {
            let message = rng.below(horizon) as u32;
            Plan::Drop(match rng.below(4) {
                0 => DropPoint::Command(1 + rng.below(horizon * 3) as u32),
                1 => DropPoint::MidData(message),
                2 => DropPoint::BeforeReply {
                    message,
                    accepted: true,
                },
                _ => DropPoint::BeforeReply {
                    message,
                    accepted: false,
                },
            })
        } else if rng.chance(f.close_421) {
            Plan::Close421 {
                command: 1 + rng.below(horizon * 3) as u32,
            }
        } else {
            Plan::None
        };
        Session {
            shared,
            number,
            rng,
            plan,
            state: State::Command,
            commands: 0,
            messages: 0,
            accepted: 0,
            mail_from: None,
            rcpt_to: Vec::new(),
            data: Vec::new(),
            out: String::new(),
        }
    }

    fn run(mut self, mut stream: TcpStream) -> io::Result<()> {
        let _ = stream.set_nodelay(true);
        stream.write_all(b"220 sink.invalid ESMTP email365-bench sink\r\n")?;
        let mut input: Vec<u8> = Vec::with_capacity(64 * 1024);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            input.extend_from_slice(&buf[..n]);
            let (used, next) = self.consume(&input);
            input.drain(..used);
            match next {
                Next::Drop => {
                    self.shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    let _ = stream.shutdown(Shutdown::Both);
                    return Ok(());
                }
                Next::Close => {
                    stream.write_all(self.out.as_bytes())?;
                    let _ = stream.shutdown(Shutdown::Both);
                    return Ok(());
                }
                Next::Go => {}
            }
            if !self.out.is_empty() {
                stream.write_all(self.out.as_bytes())?;
                self.out.clear();
            }
            if matches!(self.state, State::Command) && input.len() > MAX_LINE {
                stream.write_all(b"500 5.5.2 Line too long\r\n")?;
                return Ok(());
            }
        }
    }

    /// Handles every complete item of `input`; returns the bytes used.
    fn consume(&mut self, input: &[u8]) -> (usize, Next) {
        let mut pos = 0;
        loop {
            match self.state {
                State::Command => {
                    let Some(nl) = input[pos..].iter().position(|&b| b == b'\n') else {
                        return (pos, Next::Go);
                    };
                    let line = &input[pos..pos + nl + 1];
                    pos += nl + 1;
                    let next = self.command(line);
                    if next != Next::Go {
                        return (pos, next);
                    }
                }
                State::Data => {
                    let Some(nl) = input[pos..].iter().position(|&b| b == b'\n') else {
                        return (pos, Next::Go);
                    };
                    let line = &input[pos..pos + nl + 1];
                    pos += nl + 1;
                    if self.plan == Plan::Drop(DropPoint::MidData(self.messages)) {
                        return (pos, Next::Drop);
                    }
                    if line == b".\r\n" || line == b".\n" {
                        self.state = State::Command;
                        let next = self.end_of_data();
                        if next != Next::Go {
                            return (pos, next);
                        }
                    } else if let Some(rest) = line.strip_prefix(b".") {
                        self.data.extend_from_slice(rest);
                    } else {
                        self.data.extend_from_slice(line);
                    }
                }
                State::Bdat { remaining, last } => {
                    if remaining > 0 && self.plan == Plan::Drop(DropPoint::MidData(self.messages)) {
                        return (pos, Next::Drop);
                    }
                    let take = remaining.min(input.len() - pos);
                    self.data.extend_from_slice(&input[pos..pos + take]);
                    pos += take;
                    if take < remaining {
                        self.state = State::Bdat {
                            remaining: remaining - take,
                            last,
                        };
                        return (pos, Next::Go);
                    }
                    self.state = State::Command;
                    if last {
                        let next = self.end_of_data();
                        if next != Next::Go {
                            return (pos, next);
                        }
                    } else {
                        let _ = write!(
                            self.out,
                            "250 2.0.0 {} octets received\r\n",
                            self.data.len()
                        );
                    }
                }
                State::Discard { remaining, reply } => {
                    let take = remaining.min(input.len() - pos);
                    pos += take;
                    if take < remaining {
                        self.state = State::Discard {
                            remaining: remaining - take,
                            reply,
                        };
                        return (pos, Next::Go);
                    }
                    self.state = State::Command;
                    self.reply(reply);
                }
            }
        }
    }

    fn reply(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push_str("\r\n");
    }

    /// A `451` for this MAIL, RCPT or end of data, with probability `reject_451`.
    fn reject(&mut self) -> bool {
        let p = self.shared.options.faults.reject_451;
        if self.rng.chance(p) {
            self.shared
                .counters
                .rejected_451
                .fetch_add(1, Ordering::Relaxed);
            self.reply("451 4.3.0 Temporary failure, try again later");
            true
        } else {
            false
        }
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
        self.data.clear();
    }

    fn command(&mut self, line: &[u8]) -> Next {
        self.commands += 1;
        match self.plan {
            Plan::Drop(DropPoint::Command(n)) if n == self.commands => return Next::Drop,
            Plan::Close421 { command } if command == self.commands => {
                self.shared
                    .counters
                    .closed_421
                    .fetch_add(1, Ordering::Relaxed);
                self.reply("421 4.3.2 Service shutting down, closing the connection");
                return Next::Close;
            }
            _ => {}
        }
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v, a.trim()),
            None => (line, ""),
        };
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                self.reset();
                let o = &self.shared.options;
                let mut r = String::from("250-sink.invalid\r\n");
                if o.pipelining {
                    r.push_str("250-PIPELINING\r\n");
                }
                if o.chunking {
                    r.push_str("250-CHUNKING\r\n");
                }
                let _ = write!(
                    r,
                    "250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE {MAX_SIZE}"
                );
                self.reply(&r);
            }
            "HELO" => {
                self.reset();
                self.reply("250 sink.invalid");
            }
            "MAIL" => {
                if self.mail_from.is_some() {
                    self.reply("503 5.5.1 Nested MAIL command");
                } else if let Some(limit) = self.shared.options.faults.max_messages {
                    if self.accepted >= limit {
                        self.shared
                            .counters
                            .closed_421
                            .fetch_add(1, Ordering::Relaxed);
                        self.reply("421 4.7.0 Too many messages on this connection, closing");
                        return Next::Close;
                    }
                    self.mail(arg);
                } else {
                    self.mail(arg);
                }
            }
            "RCPT" => {
                if self.mail_from.is_none() {
                    self.reply("503 5.5.1 Need MAIL first");
                } else if !self.reject() {
                    match path(arg, "TO:") {
                        Some(p) if !p.is_empty() => {
                            self.rcpt_to.push(p);
                            self.reply("250 2.1.5 Ok");
                        }
                        _ => self.reply("501 5.1.3 Bad recipient address syntax"),
                    }
                }
            }
            "DATA" => {
                if self.mail_from.is_none() || self.rcpt_to.is_empty() {
                    self.reply("503 5.5.1 No valid recipients");
                } else {
                    self.data.clear();
                    self.state = State::Data;
                    self.reply("354 End data with <CR><LF>.<CR><LF>");
                }
            }
            "BDAT" => return self.bdat(arg),
            "RSET" => {
                self.reset();
                self.reply("250 2.0.0 Ok");
            }
            "NOOP" => self.reply("250 2.0.0 Ok"),
            "QUIT" => {
                self.reply("221 2.0.0 Bye");
                return Next::Close;
            }
            _ => self.reply("502 5.5.2 Command not recognized"),
        }
        Next::Go
    }

    fn mail(&mut self, arg: &str) {
        if self.reject() {
            return;
        }
        match path(arg, "FROM:") {
            Some(p) => {
                self.mail_from = Some(p);
                self.rcpt_to.clear();
                self.reply("250 2.1.0 Ok");
            }
            None => self.reply("501 5.1.7 Bad sender address syntax"),
        }
    }

    fn bdat(&mut self, arg: &str) -> Next {
        let mut parts = arg.split_ascii_whitespace();
        let size = parts.next().and_then(|s| s.parse::<usize>().ok());
        let last = parts.next().is_some_and(|s| s.eq_ignore_ascii_case("LAST"));
        let Some(size) = size else {
            self.reply("501 5.5.4 Syntax: BDAT <size> [LAST]");
            return Next::Close;
        };
        if !self.shared.options.chunking {
            self.state = State::Discard {
                remaining: size,
                reply: "502 5.5.1 CHUNKING not offered",
            };
        } else if self.mail_from.is_none() || self.rcpt_to.is_empty() {
            self.state = State::Discard {
                remaining: size,
                reply: "503 5.5.1 No valid recipients",
            };
        } else if self.data.len() + size > MAX_SIZE {
            self.reset();
            self.state = State::Discard {
                remaining: size,
                reply: "552 5.3.4 Message too big",
            };
        } else {
            self.state = State::Bdat {
                remaining: size,
                last,
            };
        }
        Next::Go
    }

    fn end_of_data(&mut self) -> Next {
        let number = self.messages;
        self.messages += 1;
        let drop = match self.plan {
            Plan::Drop(DropPoint::BeforeReply { message, accepted }) if message == number => {
                Some(accepted)
            }
            _ => None,
        };
        if drop == Some(false) {
            return Next::Drop;
        }
        if drop.is_none() && self.reject() {
            self.reset();
            return Next::Go;
        }
        let n = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("K{n:08}");
        let entry = Accepted {
            id: id.clone(),
            mail_from: self.mail_from.take().unwrap_or_default(),
            rcpt_to: std::mem::take(&mut self.rcpt_to),
            size: self.data.len(),
            message_id: message_id(&self.data),
            connection: self.number,
        };
        self.data.clear();
        self.shared
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry);
        self.shared
            .counters
            .accepted
            .fetch_add(1, Ordering::Relaxed);
        self.accepted += 1;
        if drop == Some(true) {
            return Next::Drop;
        }
        let _ = write!(self.out, "250 2.0.0 Ok: queued as {id}\r\n");
        Next::Go
    }
}

/// The address of `FROM:<a> params` / `TO:<a> params` (case-insensitive keyword).
fn path(arg: &str, keyword: &str) -> Option<String> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some(rest[..end].to_string())
}

/// The Message-ID header of `data` (first one, header section only).
fn message_id(data: &[u8]) -> Option<String> {
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return None;
        }
        if line.len() > 11 && line[..11].eq_ignore_ascii_case(b"message-id:") {
            return Some(String::from_utf8_lossy(&line[11..]).trim().to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{message_id, path};

    #[test]
    fn reads_paths_and_message_ids() {
        assert_eq!(
            path("FROM:<a@b.c> SIZE=10", "FROM:").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(path("to: <x@y>", "TO:").as_deref(), Some("x@y"));
        assert_eq!(path("FROM:<>", "FROM:").as_deref(), Some(""));
        assert_eq!(path("FROM:a@b", "FROM:"), None);
        assert_eq!(path("", "FROM:"), None);
        assert_eq!(
            message_id(b"Subject: x\r\nMessage-ID: <1@h>\r\n\r\nMessage-ID: <2@h>\r\n").as_deref(),
            Some("<1@h>")
        );
        assert_eq!(message_id(b"Subject: x\r\n\r\nMessage-ID: <2@h>\r\n"), None);
    }
}
