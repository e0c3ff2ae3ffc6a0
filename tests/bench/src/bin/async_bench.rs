//! `async-bench`: 1,000 concurrent sends (one tokio task each) over a pool of 16
//! connections to the sandbox (`email365-sandbox`, started as a child process:
//! STARTTLS, AUTH PLAIN, PIPELINING, CHUNKING), by email365's `AsyncSmtpPool` and by
//! lettre's pooled `AsyncSmtpTransport<Tokio1Executor>` (rustls, ring), on the same
//! multi-threaded tokio runtime. Prints the wall time of each run, messages/s, and the
//! most threads the process had during the run (sampled every 2 ms; the sampler's own
//! thread excluded). A figure printer, not a timed test.
//!
//! `async-bench [--sends 1000] [--pool 16] [--repeat 3] [--clients email365,lettre]
//!              [--sandbox target/release/email365-sandbox] [--json FILE]`

use email365::smtp::{AsyncSmtpPool, SmtpOptions};
use email365_bench::args::Args;
use email365_bench::workload;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sandbox child process and what it printed at start.
struct Sandbox {
    child: Child,
    info: Value,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn start_sandbox(path: &str) -> Result<Sandbox, String> {
    let mut child = Command::new(path)
        .args(["--step-ms", "0", "--exit-on-stdin-eof"])
        .args(["--sender-domain", "sender.example"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            format!("cannot start {path}: {e} (cargo build --release -p email365-sandbox)")
        })?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let info: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line:?}"))?;
    Ok(Sandbox { child, info })
}

/// The threads of this process now (Linux: /proc/self/status).
fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Samples the thread count until stopped; the most seen, the sampler excluded.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicUsize>,
    handle: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicUsize::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(threads().saturating_sub(1), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Sampler { stop, peak, handle }
    }

    fn finish(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.handle.join();
        self.peak.load(Ordering::Relaxed)
    }
}

struct Setup {
    port: u16,
    username: String,
    password: String,
    ca_pem: Vec<u8>,
    sends: usize,
    pool: usize,
}

/// email365: `AsyncSmtpPool::send` from one task per message.
async fn run_email365(s: &Setup) -> Result<usize, String> {
    let mut o = SmtpOptions::new("127.0.0.1")
        .port(s.port)
        .credentials(&s.username, &s.password);
    o.server_name = Some("localhost".into());
    o.trust.system_roots = false;
    o.trust.extra_ca_pem = Some(s.ca_pem.clone());
    let pool = AsyncSmtpPool::new(o, s.pool).map_err(|e| e.to_string())?;
    let message = Arc::new(workload::message(1).map_err(|e| e.to_string())?);
    let tasks: Vec<_> = (0..s.sends)
        .map(|_| {
            let (pool, message) = (pool.clone(), message.clone());
            tokio::spawn(async move { pool.send(&message).await })
        })
        .collect();
    let ok = count_sent(tasks).await?;
    pool.close().await;
    Ok(ok)
}

/// lettre: `AsyncSmtpTransport::send_raw` from one task per message, at most `pool`
/// at once (a tokio semaphore): lettre's pool opens a connection for every concurrent
/// send and `max_size` only caps the idle ones, so 1,000 unbounded sends would open
/// 1,000 connections (the sandbox then stalls them).
async fn run_lettre(s: &Setup) -> Result<usize, String> {
    let tls = TlsParameters::builder("localhost".into())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(Certificate::from_pem(&s.ca_pem).map_err(|e| e.to_string())?)
        .build_rustls()
        .map_err(|e| e.to_string())?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(s.port)
        .tls(Tls::Required(tls))
        .credentials(Credentials::new(s.username.clone(), s.password.clone()))
        .timeout(Some(Duration::from_secs(60)))
        .pool_config(PoolConfig::new().max_size(s.pool as u32))
        .build();
    let message = workload::message(1).map_err(|e| e.to_string())?;
    let envelope = lettre::address::Envelope::new(
        Some(workload::SENDER.parse().map_err(|e| format!("{e}"))?),
        vec![workload::recipients(1)[0]
            .parse()
            .map_err(|e| format!("{e}"))?],
    )
    .map_err(|e| e.to_string())?;
    let bytes = Arc::new(message.bytes);
    let permits = Arc::new(tokio::sync::Semaphore::new(s.pool));
    let tasks: Vec<_> = (0..s.sends)
        .map(|_| {
            let (t, e, b) = (transport.clone(), envelope.clone(), bytes.clone());
            let permits = permits.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                t.send_raw(&e, &b).await
            })
        })
        .collect();
    count_sent(tasks).await
}

fn main() {
    let a = Args::from_env();
    let sends: usize = a.value("sends", 1000usize);
    let pool: usize = a.value("pool", 16usize);
    let repeat: usize = a.value("repeat", 3usize).max(1);
    let clients: Vec<String> = a
        .get("clients")
        .unwrap_or("email365,lettre")
        .split(',')
        .map(str::to_string)
        .collect();
    let sandbox_path = a
        .get("sandbox")
        .unwrap_or("target/release/email365-sandbox")
        .to_string();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("async-bench: {e}");
            std::process::exit(1);
        }
    };
    let mut rows: Vec<Value> = Vec::new();
    println!("| client | sends | pool | seconds (median) | messages/s | peak threads | runs |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for client in &clients {
        let mut runs = Vec::new();
        let mut peaks = Vec::new();
        for _ in 0..repeat {
            // A fresh sandbox per run: the same empty store for every client.
            let sandbox = match start_sandbox(&sandbox_path) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("async-bench: {e}");
                    std::process::exit(1);
                }
            };
            let info = &sandbox.info;
            let setup = Setup {
                port: info["smtp_port"].as_u64().unwrap_or(0) as u16,
                username: info["username"].as_str().unwrap_or("").to_string(),
                password: info["password"].as_str().unwrap_or("").to_string(),
                ca_pem: std::fs::read(info["ca_file"].as_str().unwrap_or("")).unwrap_or_default(),
                sends,
                pool,
            };
            let sampler = Sampler::start();
            let t = Instant::now();
            let r = runtime.block_on(async {
                match client.as_str() {
                    "email365" => run_email365(&setup).await,
                    "lettre" => run_lettre(&setup).await,
                    other => Err(format!("unknown client {other:?}")),
                }
            });
            let seconds = t.elapsed().as_secs_f64();
            let peak = sampler.finish();
            match r {
                Ok(n) if n == sends => {
                    runs.push(seconds);
                    peaks.push(peak);
                }
                Ok(n) => {
                    eprintln!("async-bench: {client}: {n} of {sends} sent");
                    std::process::exit(1);
                }
                Err(e) => {
                    eprintln!("async-bench: {client}: {e}");
                    std::process::exit(1);
                }
            }
        }
        let mut sorted = runs.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let shown: Vec<String> = runs.iter().map(|s| format!("{s:.3}s")).collect();
        let peak = peaks.iter().max().copied().unwrap_or(0);
        println!(
            "| {client} | {sends} | {pool} | {median:.3} | {:.0} | {peak} | {} |",
            sends as f64 / median,
            shown.join(" ")
        );
        rows.push(json!({
            "client": client, "sends": sends, "pool": pool, "seconds": median,
            "messages_per_s": sends as f64 / median, "peak_threads": peak, "runs": runs,
        }));
    }
    if let Some(path) = a.get("json") {
        if let Err(e) = std::fs::write(path, Value::Array(rows).to_string()) {
            eprintln!("async-bench: {path}: {e}");
            std::process::exit(1);
        }
    }
}

/// Waits for every send task: how many sent, or the first failure (a panicked task or a
/// refused send) as text.
async fn count_sent<T, E: std::fmt::Display>(
    tasks: Vec<tokio::task::JoinHandle<Result<T, E>>>,
) -> Result<usize, String> {
    let mut ok = 0;
    for t in tasks {
        t.await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        ok += 1;
    }
    Ok(ok)
}
