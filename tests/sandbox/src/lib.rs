//! `email365-sandbox`: a stand-in for the Sinch Email 365 service on loopback, for
//! trying the SDK and for end-to-end tests without the real service.
//!
//! One [`Sandbox`] serves SMTP submission (STARTTLS with a certificate made at start,
//! AUTH PLAIN/LOGIN, registered senders, SIZE, PIPELINING, CHUNKING, scripted
//! recipients, numeric notification ids) and the status API over HTTP (Basic auth,
//! events moving on a configurable clock, `{}` for unknown or expired ids), plus
//! sandbox-only control endpoints under `/_sandbox/`. See `docs/SANDBOX.md`.
//!
//! ```no_run
//! let sandbox = email365_sandbox::Sandbox::start(email365_sandbox::Config::default())?;
//! println!("SMTP on {}, status API on {}", sandbox.smtp_addr(), sandbox.http_url());
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod cli;
mod http;
mod smtp;
mod store;
mod tls;

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use store::{format_timestamp, ReceivedMessage, Script};

/// Number of HTTP worker threads.
const HTTP_WORKERS: usize = 4;

/// How a sandbox is set up. [`Config::default`] gives the documented defaults.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on (default `127.0.0.1`).
    pub host: IpAddr,
    /// SMTP port with STARTTLS (0 = any free port; default 0).
    pub smtp_port: u16,
    /// Optional implicit-TLS SMTP port ("submissions", TLS from the first byte).
    pub smtps_port: Option<u16>,
    /// HTTP port of the status API (0 = any free port; default 0).
    pub http_port: u16,
    /// Name in the greeting and EHLO reply, and in the certificate (default `localhost`).
    pub hostname: String,
    /// AUTH and Basic-auth user name (default `sandbox`).
    pub username: String,
    /// AUTH and Basic-auth password (default `sandbox-password`).
    pub password: String,
    /// The account id of the status API path (default `caas_sandbox`).
    pub account_id: String,
    /// Registered sender domains (default `["example.com"]`).
    pub sender_domains: Vec<String>,
    /// Registered sender addresses, in addition to the domains (default none).
    pub sender_addresses: Vec<String>,
    /// The SIZE limit in bytes (default 10 MiB).
    pub size_limit: usize,
    /// Most accepted recipients per message; more get `452 4.5.3` (default 100).
    pub max_recipients: usize,
    /// Time between two status events of a recipient (default 1 s; zero = all at once).
    pub step: Duration,
    /// How long the status API keeps a notification (default 7 days).
    pub retention: Duration,
    /// Folder where each accepted message is written as `<id>.eml` plus `<id>.json`.
    pub eml_dir: Option<PathBuf>,
    /// Folder for `ca.pem`; a temporary folder (removed at stop) when `None`.
    pub cert_dir: Option<PathBuf>,
    /// First notification id (default: a 14-digit number derived from the start time).
    pub first_notification_id: Option<u64>,
    /// Log SMTP dialogues and HTTP requests to stderr (credentials are never logged).
    pub verbose: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            smtp_port: 0,
            smtps_port: None,
            http_port: 0,
            hostname: "localhost".to_string(),
            username: "sandbox".to_string(),
            password: "sandbox-password".to_string(),
            account_id: "caas_sandbox".to_string(),
            sender_domains: vec!["example.com".to_string()],
            sender_addresses: Vec::new(),
            size_limit: 10 * 1024 * 1024,
            max_recipients: 100,
            step: Duration::from_secs(1),
            retention: Duration::from_secs(7 * 24 * 3600),
            eml_dir: None,
            cert_dir: None,
            first_notification_id: None,
            verbose: false,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("smtp_port", &self.smtp_port)
            .field("smtps_port", &self.smtps_port)
            .field("http_port", &self.http_port)
            .field("hostname", &self.hostname)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("account_id", &self.account_id)
            .field("sender_domains", &self.sender_domains)
            .field("sender_addresses", &self.sender_addresses)
            .field("size_limit", &self.size_limit)
            .field("max_recipients", &self.max_recipients)
            .field("step", &self.step)
            .field("retention", &self.retention)
            .field("eml_dir", &self.eml_dir)
            .field("cert_dir", &self.cert_dir)
            .field("first_notification_id", &self.first_notification_id)
            .field("verbose", &self.verbose)
            .finish()
    }
}

/// A 14-digit id that differs between runs: 10^13 plus the start time in ms, modulo
/// 8·10^12 (so ids stay 14 digits for a long time).
fn default_first_id() -> u64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    10_000_000_000_000 + u64::try_from(ms % 8_000_000_000_000).unwrap_or(0)
}

/// A running sandbox. Dropping it (or calling [`Sandbox::stop`]) stops every server.
pub struct Sandbox {
    config: Config,
    smtp_addr: SocketAddr,
    smtps_addr: Option<SocketAddr>,
    http_addr: SocketAddr,
    ca_pem: String,
    ca_file: PathBuf,
    store: Arc<store::Store>,
    shutdown: Arc<AtomicBool>,
    smtp_shared: Arc<smtp::Shared>,
    threads: Vec<JoinHandle<()>>,
    _tempdir: Option<tempfile::TempDir>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("smtp_addr", &self.smtp_addr)
            .field("smtps_addr", &self.smtps_addr)
            .field("http_addr", &self.http_addr)
            .field("ca_file", &self.ca_file)
            .field("config", &self.config)
            .finish()
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_string())
}

impl Sandbox {
    /// Makes the certificate, binds the ports and starts serving.
    pub fn start(config: Config) -> io::Result<Sandbox> {
        if config.username.is_empty() || config.username.contains(':') {
            return Err(invalid("username must be non-empty and without ':'"));
        }
        if config.password.is_empty() {
            return Err(invalid("password must be non-empty"));
        }
        if config.account_id.is_empty()
            || config
                .account_id
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "/?#%".contains(c))
        {
            return Err(invalid(
                "account id must be non-empty, without white space or / ? # %",
            ));
        }
        if config.sender_domains.is_empty() && config.sender_addresses.is_empty() {
            return Err(invalid("at least one sender domain or address is needed"));
        }
        let certs = tls::make(&config.hostname)?;
        let (tempdir, cert_dir) = match &config.cert_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                (None, dir.clone())
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("email365-sandbox-")
                    .tempdir()?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let ca_file = cert_dir.join("ca.pem");
        std::fs::write(&ca_file, &certs.ca_pem)?;

        let smtp_listener = TcpListener::bind((config.host, config.smtp_port))?;
        let smtps_listener = match config.smtps_port {
            Some(port) => Some(TcpListener::bind((config.host, port))?),
            None => None,
        };
        let http_server = tiny_http::Server::http((config.host, config.http_port))
            .map_err(|e| io::Error::other(format!("HTTP server: {e}")))?;
        let http_addr = http_server
            .server_addr()
            .to_ip()
            .ok_or_else(|| io::Error::other("HTTP server has no IP address"))?;
        let smtp_addr = smtp_listener.local_addr()?;
        let smtps_addr = match &smtps_listener {
            Some(l) => Some(l.local_addr()?),
            None => None,
        };

        let store = Arc::new(store::Store::new(
            config.step,
            config.retention,
            config
                .first_notification_id
                .unwrap_or_else(default_first_id),
            config.eml_dir.clone(),
        ));
        let shutdown = Arc::new(AtomicBool::new(false));
        let smtp_shared = Arc::new(smtp::Shared {
            config: config.clone(),
            store: Arc::clone(&store),
            tls: certs.server_config,
            shutdown: Arc::clone(&shutdown),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
        });
        let mut threads = Vec::new();
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new().name(name.to_string()).spawn(f)
        };
        {
            let shared = Arc::clone(&smtp_shared);
            threads.push(spawn(
                "smtp-accept",
                Box::new(move || smtp::serve(smtp_listener, shared, false)),
            )?);
        }
        if let Some(listener) = smtps_listener {
            let shared = Arc::clone(&smtp_shared);
            threads.push(spawn(
                "smtps-accept",
                Box::new(move || smtp::serve(listener, shared, true)),
            )?);
        }
        let http_server = Arc::new(http_server);
        let http_shared = Arc::new(http::HttpShared {
            config: config.clone(),
            store: Arc::clone(&store),
            shutdown: Arc::clone(&shutdown),
        });
        for i in 0..HTTP_WORKERS {
            let server = Arc::clone(&http_server);
            let shared = Arc::clone(&http_shared);
            threads.push(spawn(
                &format!("http-{i}"),
                Box::new(move || http::serve(server, shared)),
            )?);
        }
        Ok(Sandbox {
            config,
            smtp_addr,
            smtps_addr,
            http_addr,
            ca_pem: certs.ca_pem,
            ca_file,
            store,
            shutdown,
            smtp_shared,
            threads,
            _tempdir: tempdir,
        })
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Address of the SMTP (STARTTLS) listener.
    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp_addr
    }

    /// Address of the implicit-TLS SMTP listener, when configured.
    pub fn smtps_addr(&self) -> Option<SocketAddr> {
        self.smtps_addr
    }

    /// Address of the HTTP listener.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Base URL of the status API, e.g. `http://127.0.0.1:8025` (no trailing slash).
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// The CA certificate (PEM) that signs the SMTP server's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// File holding [`Sandbox::ca_pem`].
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// Every message received so far (the newest 10 000), oldest first.
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.store.messages()
    }

    /// Forgets the received messages (notifications stay).
    pub fn clear_messages(&self) {
        self.store.clear_messages();
    }

    /// Moves the sandbox clock forward (status events and expiry follow it).
    pub fn advance(&self, by: Duration) {
        self.store.advance(by);
    }

    /// The status API's JSON answer for a notification id, as over HTTP.
    pub fn status_json(&self, notification_id: &str, recipient: Option<&str>) -> serde_json::Value {
        self.store.status(notification_id, recipient)
    }

    /// The start line printed by the binary: ports, CA file, credentials, account id
    /// and sender domains, as one JSON object.
    pub fn start_info(&self) -> serde_json::Value {
        serde_json::json!({
            "smtp_host": self.smtp_addr.ip().to_string(),
            "smtp_port": self.smtp_addr.port(),
            "smtps_port": self.smtps_addr.map(|a| a.port()),
            "http_url": self.http_url(),
            "ca_file": self.ca_file.to_string_lossy(),
            "username": self.config.username,
            "password": self.config.password,
            "account_id": self.config.account_id,
            "sender_domains": self.config.sender_domains,
            "sender_addresses": self.config.sender_addresses,
            "size_limit": self.config.size_limit,
            "step_ms": u64::try_from(self.config.step.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Stops the servers, closes open connections and waits for the threads.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if self.shutdown.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accept loops.
        let _ = TcpStream::connect_timeout(&self.smtp_addr, Duration::from_secs(1));
        if let Some(a) = self.smtps_addr {
            let _ = TcpStream::connect_timeout(&a, Duration::from_secs(1));
        }
        if let Ok(mut conns) = self.smtp_shared.conns.lock() {
            for (_, s) in conns.drain() {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_inner();
    }
}
