//! The SMTP submission server: one thread per connection, commands parsed with
//! `smtp-proto`'s server-side request parser and answered in order (PIPELINING),
//! STARTTLS through rustls, AUTH PLAIN/LOGIN, registered senders, SIZE, scripted
//! recipients, DATA (un-dot-stuffed with `smtp-proto`'s receiver) and BDAT (CHUNKING).
//!
//! Input is read into a buffer and framed into lines here, so a malformed command can
//! never desynchronise the session; replies are collected and written when the buffer
//! runs dry (RFC 2920). Bytes pipelined after STARTTLS, before the handshake, are
//! discarded (the CVE-2011-0411 class of command injection).

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use smtp_proto::request::receiver::DataReceiver;
use smtp_proto::{Error as ProtoError, Request};

use crate::store::{Script, Store, Submission};
use crate::Config;

/// Longest command line accepted (RFC 5321 asks for at least 512 octets).
pub const MAX_LINE: usize = 4096;
/// Idle time after which a connection is closed with `421 4.4.2`.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Failed AUTH attempts after which the connection is closed with `421 4.7.0`.
pub const MAX_AUTH_FAILURES: u32 = 3;

/// What the connection threads share.
pub struct Shared {
    pub config: Config,
    pub store: Arc<Store>,
    pub tls: Arc<ServerConfig>,
    pub shutdown: Arc<AtomicBool>,
    /// Open connections, so that a stop can close them.
    pub conns: Mutex<HashMap<u64, TcpStream>>,
    pub next_conn: AtomicU64,
}

impl Shared {
    fn log(&self, conn: u64, what: &str) {
        if self.config.verbose {
            eprintln!("[email365-sandbox smtp #{conn}] {what}");
        }
    }
}

/// Accepts connections until `shared.shutdown` is set (and the listener is woken by a
/// connection). `implicit_tls` starts TLS before the greeting.
pub fn serve(listener: TcpListener, shared: Arc<Shared>, implicit_tls: bool) {
    for stream in listener.incoming() {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            if let Ok(mut conns) = shared.conns.lock() {
                conns.insert(id, clone);
            }
        }
        let shared2 = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("smtp-{id}"))
            .spawn(move || {
                let result = handle(stream, &shared2, id, implicit_tls);
                if let Err(e) = result {
                    shared2.log(id, &format!("closed: {e}"));
                }
                if let Ok(mut conns) = shared2.conns.lock() {
                    conns.remove(&id);
                }
            });
        if spawned.is_err() {
            if let Ok(mut conns) = shared.conns.lock() {
                if let Some(s) = conns.remove(&id) {
                    let _ = s.shutdown(Shutdown::Both);
                }
            }
        }
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(buf).and_then(|_| s.flush()),
            Stream::Tls(s) => s.write_all(buf).and_then(|_| s.flush()),
        }
    }
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

fn start_tls(tcp: TcpStream, config: &Arc<ServerConfig>) -> io::Result<Stream> {
    let conn = ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(Stream::Tls(Box::new(tls)))
}

/// One mail transaction (MAIL FROM to the end of the data).
struct Transaction {
    mail_from: String,
    smtputf8: bool,
    body_8bitmime: bool,
    rcpt_attempts: usize,
    rcpts: Vec<(String, Script)>,
    data: Vec<u8>,
    too_big: bool,
    chunked: bool,
}

enum Mode {
    Command,
    /// Skipping the rest of an over-long line.
    SkipLine,
    AuthPlain,
    AuthLoginUser,
    AuthLoginPass(String),
    Data(DataReceiver),
    /// Reading a BDAT chunk; `error` is the reply to give after it when the chunk is
    /// being discarded.
    Bdat {
        remaining: usize,
        last: bool,
        error: Option<&'static str>,
    },
}

enum Next {
    /// Process more input (or read more if the buffer is empty).
    Continue,
    NeedMore,
    StartTls,
    Quit,
}

struct Session<'a> {
    shared: &'a Shared,
    conn: u64,
    input: Vec<u8>,
    out: Vec<u8>,
    tls: bool,
    greeted: bool,
    authenticated: bool,
    auth_failures: u32,
    tx: Option<Transaction>,
    mode: Mode,
}

fn handle(tcp: TcpStream, shared: &Shared, conn: u64, implicit_tls: bool) -> io::Result<()> {
    tcp.set_read_timeout(Some(IDLE_TIMEOUT))?;
    tcp.set_write_timeout(Some(IDLE_TIMEOUT))?;
    let _ = tcp.set_nodelay(true);
    let mut stream = if implicit_tls {
        start_tls(tcp, &shared.tls)?
    } else {
        Stream::Plain(tcp)
    };
    let mut s = Session {
        shared,
        conn,
        input: Vec::new(),
        out: Vec::new(),
        tls: implicit_tls,
        greeted: false,
        authenticated: false,
        auth_failures: 0,
        tx: None,
        mode: Mode::Command,
    };
    let host = &shared.config.hostname;
    s.reply(&format!("220 {host} ESMTP Email 365 sandbox"));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match s.step() {
            Next::Continue => continue,
            Next::NeedMore => {
                s.flush(&mut stream)?;
                if shared.shutdown.load(Ordering::SeqCst) {
                    return Ok(());
                }
                match stream.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => s.input.extend_from_slice(&buf[..n]),
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        s.reply(&format!("421 4.4.2 {host} Error: timeout exceeded"));
                        let _ = s.flush(&mut stream);
                        return Ok(());
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
            Next::StartTls => {
                s.flush(&mut stream)?;
                if !s.input.is_empty() {
                    s.shared.log(
                        conn,
                        &format!(
                            "discarding {} bytes pipelined after STARTTLS",
                            s.input.len()
                        ),
                    );
                    s.input.clear();
                }
                let Stream::Plain(tcp) = stream else {
                    return Ok(());
                };
                stream = start_tls(tcp, &shared.tls)?;
                s.tls = true;
                s.greeted = false;
                s.authenticated = false;
                s.tx = None;
            }
            Next::Quit => {
                s.flush(&mut stream)?;
                let _ = stream.tcp().shutdown(Shutdown::Both);
                return Ok(());
            }
        }
    }
}

fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(200)
        .collect()
}

fn b64decode(line: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(line).ok()?.trim();
    if text == "=" {
        return Some(Vec::new());
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn to_ascii_domain(domain: &str) -> String {
    idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_ascii_lowercase())
}

impl Session<'_> {
    fn reply(&mut self, line: &str) {
        self.shared.log(self.conn, &format!("S: {line}"));
        self.out.extend_from_slice(line.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    fn flush(&mut self, stream: &mut Stream) -> io::Result<()> {
        if !self.out.is_empty() {
            stream.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    /// Takes one line (without its LF) from the input, if complete.
    fn take_line(&mut self) -> Option<Vec<u8>> {
        let pos = self.input.iter().position(|&b| b == b'\n')?;
        let mut line: Vec<u8> = self.input.drain(..=pos).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(line)
    }

    fn step(&mut self) -> Next {
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Data(mut receiver) => {
                let Some(tx) = self.tx.as_mut() else {
                    return Next::Continue;
                };
                let mut it = self.input.iter();
                let done = receiver.ingest(&mut it, &mut tx.data);
                let consumed = self.input.len() - it.as_slice().len();
                self.input.drain(..consumed);
                if tx.data.len() > self.shared.config.size_limit {
                    tx.too_big = true;
                    tx.data.clear();
                }
                if done {
                    self.finish_message();
                    Next::Continue
                } else {
                    self.mode = Mode::Data(receiver);
                    Next::NeedMore
                }
            }
            Mode::Bdat {
                mut remaining,
                last,
                error,
            } => {
                let take = remaining.min(self.input.len());
                if error.is_none() {
                    if let Some(tx) = self.tx.as_mut() {
                        tx.data.extend_from_slice(&self.input[..take]);
                    }
                }
                self.input.drain(..take);
                remaining -= take;
                if remaining > 0 {
                    self.mode = Mode::Bdat {
                        remaining,
                        last,
                        error,
                    };
                    return Next::NeedMore;
                }
                if let Some(reply) = error {
                    self.tx = None;
                    self.reply(reply);
                } else if last {
                    self.finish_message();
                } else {
                    let size = self.tx.as_ref().map_or(0, |t| t.data.len());
                    self.reply(&format!("250 2.0.0 Ok: {size} octets received"));
                }
                Next::Continue
            }
            Mode::SkipLine => match self.input.iter().position(|&b| b == b'\n') {
                Some(pos) => {
                    self.input.drain(..=pos);
                    Next::Continue
                }
                None => {
                    self.input.clear();
                    self.mode = Mode::SkipLine;
                    Next::NeedMore
                }
            },
            mode => {
                let Some(line) = self.take_line() else {
                    if self.input.len() > MAX_LINE {
                        self.input.clear();
                        self.reply("500 5.5.2 Error: line too long");
                        self.mode = Mode::SkipLine;
                    } else {
                        self.mode = mode;
                    }
                    return Next::NeedMore;
                };
                if line.len() > MAX_LINE {
                    self.reply("500 5.5.2 Error: line too long");
                    return Next::Continue;
                }
                match mode {
                    Mode::AuthPlain => {
                        self.shared.log(self.conn, "C: <AUTH PLAIN response>");
                        self.auth_response(&line, |s, bytes| s.check_plain(&bytes))
                    }
                    Mode::AuthLoginUser => {
                        self.shared.log(self.conn, "C: <AUTH LOGIN username>");
                        match self.decode_auth_line(&line) {
                            Some(user) => {
                                self.mode = Mode::AuthLoginPass(
                                    String::from_utf8_lossy(&user).into_owned(),
                                );
                                self.reply("334 UGFzc3dvcmQ6");
                                Next::Continue
                            }
                            None => Next::Continue,
                        }
                    }
                    Mode::AuthLoginPass(user) => {
                        self.shared.log(self.conn, "C: <AUTH LOGIN password>");
                        self.auth_response(&line, |s, pass| {
                            s.check_credentials(user.as_bytes(), &pass)
                        })
                    }
                    _ => self.command(&line),
                }
            }
        }
    }

    /// Decodes an AUTH continuation line; replies (and returns `None`) on `*` or bad
    /// base64.
    fn decode_auth_line(&mut self, line: &[u8]) -> Option<Vec<u8>> {
        if line == b"*" {
            self.reply("501 5.7.0 Authentication cancelled");
            return None;
        }
        match b64decode(line) {
            Some(bytes) => Some(bytes),
            None => {
                self.reply("501 5.5.2 Cannot decode response");
                None
            }
        }
    }

    fn auth_response(&mut self, line: &[u8], check: impl FnOnce(&Self, Vec<u8>) -> bool) -> Next {
        let Some(bytes) = self.decode_auth_line(line) else {
            return Next::Continue;
        };
        let ok = check(self, bytes);
        self.auth_result(ok)
    }

    fn auth_result(&mut self, ok: bool) -> Next {
        if ok {
            self.authenticated = true;
            self.reply("235 2.7.0 Authentication successful");
            Next::Continue
        } else {
            self.auth_failures += 1;
            self.reply("535 5.7.8 Authentication credentials invalid");
            if self.auth_failures >= MAX_AUTH_FAILURES {
                self.reply("421 4.7.0 Too many failed authentication attempts");
                return Next::Quit;
            }
            Next::Continue
        }
    }

    fn check_credentials(&self, user: &[u8], pass: &[u8]) -> bool {
        let cfg = &self.shared.config;
        // Both compared, so that timing does not tell which one was wrong.
        let u = constant_time_eq(user, cfg.username.as_bytes());
        let p = constant_time_eq(pass, cfg.password.as_bytes());
        u & p
    }

    /// `authzid NUL authcid NUL passwd`; the authzid must be empty or the authcid.
    fn check_plain(&self, bytes: &[u8]) -> bool {
        let parts: Vec<&[u8]> = bytes.split(|&b| b == 0).collect();
        let [authz, user, pass] = parts.as_slice() else {
            return false;
        };
        (authz.is_empty() || authz == user) && self.check_credentials(user, pass)
    }

    fn finish_message(&mut self) {
        let Some(tx) = self.tx.take() else { return };
        if tx.too_big {
            self.reply("552 5.3.4 Error: message file too big");
            return;
        }
        let submission = Submission {
            mail_from: tx.mail_from,
            recipients: tx.rcpts,
            data: tx.data,
            smtputf8: tx.smtputf8,
            body_8bitmime: tx.body_8bitmime,
            chunked: tx.chunked,
        };
        match self.shared.store.accept(submission) {
            Ok(id) => self.reply(&format!("250 2.0.0 Ok: queued as {id}")),
            Err(e) => {
                self.shared
                    .log(self.conn, &format!("cannot write message files: {e}"));
                self.reply("451 4.3.0 Error: queue file write error");
            }
        }
    }

    fn ehlo(&mut self, host: &str, extended: bool) {
        self.greeted = true;
        self.tx = None;
        let me = self.shared.config.hostname.clone();
        if !extended {
            self.reply(&format!("250 {me}"));
            return;
        }
        let mut lines = vec![
            format!("{me} greets {}", sanitize(host)),
            "PIPELINING".to_string(),
        ];
        if self.tls {
            lines.push(format!("SIZE {}", self.shared.config.size_limit));
            lines.push("AUTH PLAIN LOGIN".to_string());
            lines.push("8BITMIME".to_string());
            lines.push("SMTPUTF8".to_string());
            lines.push("CHUNKING".to_string());
        } else {
            lines.push("STARTTLS".to_string());
        }
        lines.push("ENHANCEDSTATUSCODES".to_string());
        let n = lines.len();
        for (i, l) in lines.into_iter().enumerate() {
            let sep = if i + 1 == n { ' ' } else { '-' };
            self.reply(&format!("250{sep}{l}"));
        }
    }

    fn sender_registered(&self, address: &str) -> bool {
        let cfg = &self.shared.config;
        if cfg
            .sender_addresses
            .iter()
            .any(|a| a.eq_ignore_ascii_case(address))
        {
            return true;
        }
        let Some((_, domain)) = address.rsplit_once('@') else {
            return false;
        };
        let domain = to_ascii_domain(domain);
        cfg.sender_domains
            .iter()
            .any(|d| to_ascii_domain(d).eq_ignore_ascii_case(&domain))
    }

    fn log_command(&self, line: &[u8]) {
        if !self.shared.config.verbose {
            return;
        }
        let text = String::from_utf8_lossy(line);
        if text
            .get(..4)
            .is_some_and(|c| c.eq_ignore_ascii_case("AUTH"))
        {
            let mech = text.split_whitespace().nth(1).unwrap_or("");
            self.shared
                .log(self.conn, &format!("C: AUTH {} <redacted>", sanitize(mech)));
        } else {
            self.shared
                .log(self.conn, &format!("C: {}", sanitize(&text)));
        }
    }

    fn command(&mut self, line: &[u8]) -> Next {
        self.log_command(line);
        let mut framed = line.to_vec();
        framed.extend_from_slice(b"\r\n");
        let parsed = Request::parse(&mut framed.iter()).map(Request::into_owned);
        let request = match parsed {
            Ok(r) => r,
            Err(e) => {
                let reply = match e {
                    ProtoError::UnknownCommand => {
                        "500 5.5.2 Error: command not recognized".to_string()
                    }
                    ProtoError::InvalidSenderAddress => {
                        "501 5.1.7 Bad sender address syntax".to_string()
                    }
                    ProtoError::InvalidRecipientAddress => {
                        "501 5.1.3 Bad recipient address syntax".to_string()
                    }
                    ProtoError::SyntaxError { syntax } => format!("501 5.5.4 Syntax: {syntax}"),
                    ProtoError::InvalidParameter { param } => {
                        format!("501 5.5.4 Invalid parameter: {param}")
                    }
                    ProtoError::UnsupportedParameter { param } => {
                        format!("555 5.5.4 Unsupported parameter: {}", sanitize(&param))
                    }
                    ProtoError::ResponseTooLong => "500 5.5.2 Error: line too long".to_string(),
                    ProtoError::NeedsMoreData { .. } | ProtoError::InvalidResponse { .. } => {
                        "500 5.5.2 Error: bad syntax".to_string()
                    }
                };
                self.reply(&reply);
                return Next::Continue;
            }
        };
        match request {
            Request::Ehlo { host } => self.ehlo(&host, true),
            Request::Helo { host } => self.ehlo(&host, false),
            Request::StartTls => {
                if self.tls {
                    self.reply("554 5.5.1 Error: TLS already active");
                } else {
                    self.reply("220 2.0.0 Ready to start TLS");
                    return Next::StartTls;
                }
            }
            Request::Auth {
                mechanism,
                initial_response,
            } => return self.auth(mechanism, &initial_response),
            Request::Mail { from } => self.mail(from),
            Request::Rcpt { to } => self.rcpt(&to.address),
            Request::Data => {
                if let Some(reply) = self.data_precheck() {
                    self.reply(reply);
                } else {
                    let mut receiver = DataReceiver::new();
                    if let Some(tx) = self.tx.as_mut() {
                        // Start the receiver as if after a CRLF, so that a first line
                        // of "." ends the data and a first line of ".." is un-stuffed.
                        receiver.ingest(&mut b"\r\n".iter(), &mut tx.data);
                        tx.data.clear();
                    }
                    self.mode = Mode::Data(receiver);
                    self.reply("354 End data with <CR><LF>.<CR><LF>");
                }
            }
            Request::Bdat {
                chunk_size,
                is_last,
            } => self.bdat(chunk_size, is_last),
            Request::Rset => {
                self.tx = None;
                self.reply("250 2.0.0 Ok");
            }
            Request::Noop { .. } => self.reply("250 2.0.0 Ok"),
            Request::Quit => {
                self.reply("221 2.0.0 Bye");
                return Next::Quit;
            }
            Request::Vrfy { .. } => {
                self.reply("252 2.0.0 Cannot VRFY user, but will accept message")
            }
            Request::Help { .. } => self.reply("214 2.0.0 See RFC 5321"),
            Request::Lhlo { .. }
            | Request::Expn { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. } => self.reply("502 5.5.1 Error: command not implemented"),
        }
        Next::Continue
    }

    fn auth(&mut self, mechanism: u64, initial: &str) -> Next {
        if !self.tls {
            self.reply("530 5.7.0 Must issue a STARTTLS command first");
            return Next::Continue;
        }
        if !self.greeted {
            self.reply("503 5.5.1 Error: send HELO/EHLO first");
            return Next::Continue;
        }
        if self.authenticated {
            self.reply("503 5.5.1 Error: already authenticated");
            return Next::Continue;
        }
        if self.tx.is_some() {
            self.reply("503 5.5.1 Error: MAIL transaction in progress");
            return Next::Continue;
        }
        match mechanism {
            smtp_proto::AUTH_PLAIN => {
                if initial.is_empty() {
                    self.mode = Mode::AuthPlain;
                    self.reply("334 ");
                    Next::Continue
                } else {
                    self.auth_response(initial.as_bytes(), |s, bytes| s.check_plain(&bytes))
                }
            }
            smtp_proto::AUTH_LOGIN => {
                if initial.is_empty() {
                    self.mode = Mode::AuthLoginUser;
                    self.reply("334 VXNlcm5hbWU6");
                } else if let Some(user) = self.decode_auth_line(initial.as_bytes()) {
                    self.mode = Mode::AuthLoginPass(String::from_utf8_lossy(&user).into_owned());
                    self.reply("334 UGFzc3dvcmQ6");
                }
                Next::Continue
            }
            _ => {
                self.reply("504 5.5.4 Unrecognized authentication type");
                Next::Continue
            }
        }
    }

    fn mail(&mut self, from: smtp_proto::MailFrom<String>) {
        if !self.tls {
            return self.reply("530 5.7.0 Must issue a STARTTLS command first");
        }
        if !self.greeted {
            return self.reply("503 5.5.1 Error: send HELO/EHLO first");
        }
        if !self.authenticated {
            return self.reply("530 5.7.0 Authentication required");
        }
        if self.tx.is_some() {
            return self.reply("503 5.5.1 Error: nested MAIL command");
        }
        let smtputf8 = from.flags & smtp_proto::MAIL_SMTPUTF8 != 0;
        let body_8bitmime = from.flags & smtp_proto::MAIL_BODY_8BITMIME != 0;
        if from.flags & smtp_proto::MAIL_BODY_BINARYMIME != 0 {
            return self.reply("555 5.5.4 Unsupported BODY type");
        }
        let address = from.address;
        if !address.is_ascii() && !smtputf8 {
            return self.reply("553 5.6.7 Address requires SMTPUTF8");
        }
        if !self.sender_registered(&address) {
            let shown = sanitize(&address);
            return self.reply(&format!(
                "550 5.7.1 <{shown}>: Sender address rejected: not registered for this account"
            ));
        }
        if from.size > self.shared.config.size_limit {
            return self.reply("552 5.3.4 Message size exceeds fixed maximum message size");
        }
        self.tx = Some(Transaction {
            mail_from: address,
            smtputf8,
            body_8bitmime,
            rcpt_attempts: 0,
            rcpts: Vec::new(),
            data: Vec::new(),
            too_big: false,
            chunked: false,
        });
        self.reply("250 2.1.0 Ok");
    }

    fn rcpt(&mut self, address: &str) {
        let max = self.shared.config.max_recipients;
        let Some(tx) = self.tx.as_mut() else {
            return self.reply("503 5.5.1 Error: need MAIL command");
        };
        tx.rcpt_attempts += 1;
        let shown = sanitize(address);
        let Some((local, domain)) = address.rsplit_once('@') else {
            return self.reply("501 5.1.3 Bad recipient address syntax");
        };
        if local.is_empty() || domain.is_empty() {
            return self.reply("501 5.1.3 Bad recipient address syntax");
        }
        if !address.is_ascii() && !tx.smtputf8 {
            return self.reply("553 5.6.7 Address requires SMTPUTF8");
        }
        let duplicate = tx.rcpts.iter().any(|(a, _)| a == address);
        if !duplicate && tx.rcpts.len() >= max {
            return self.reply("452 4.5.3 Error: too many recipients");
        }
        let script = Script::for_address(address);
        match script {
            Script::Reject => self.reply(&format!(
                "550 5.1.1 <{shown}>: Recipient address rejected: User unknown"
            )),
            Script::Greylist => self.reply(&format!(
                "451 4.7.1 <{shown}>: Recipient address rejected: Greylisted, try again later"
            )),
            Script::Bounce | Script::Deliver => {
                if !duplicate {
                    tx.rcpts.push((address.to_string(), script));
                }
                self.reply("250 2.1.5 Ok");
            }
        }
    }

    /// The refusal of DATA (or BDAT) in the current state, if any.
    fn data_precheck(&self) -> Option<&'static str> {
        match &self.tx {
            None => Some("503 5.5.1 Error: need MAIL command"),
            Some(tx) if tx.rcpt_attempts == 0 => Some("503 5.5.1 Error: need RCPT command"),
            Some(tx) if tx.rcpts.is_empty() => Some("554 5.5.1 Error: no valid recipients"),
            Some(tx) if tx.chunked => Some("503 5.5.1 Error: BDAT in progress"),
            Some(_) => None,
        }
    }

    fn bdat(&mut self, chunk_size: usize, last: bool) {
        let limit = self.shared.config.size_limit;
        let error = match &self.tx {
            Some(tx) if tx.rcpt_attempts > 0 && !tx.rcpts.is_empty() => {
                if tx.data.len().saturating_add(chunk_size) > limit {
                    Some("552 5.3.4 Error: message file too big")
                } else {
                    None
                }
            }
            Some(tx) if tx.rcpt_attempts > 0 => Some("554 5.5.1 Error: no valid recipients"),
            Some(_) => Some("503 5.5.1 Error: need RCPT command"),
            None => Some("503 5.5.1 Error: need MAIL command"),
        };
        if let (None, Some(tx)) = (error, self.tx.as_mut()) {
            tx.chunked = true;
        }
        self.mode = Mode::Bdat {
            remaining: chunk_size,
            last,
            error,
        };
    }
}
