//! `send-bench`: messages per second over ONE connection through the delay proxy, and
//! round trips per message as the proxy counts them, for email365 (Rust, Python, C, Node),
//! lettre, smtplib, aiosmtplib and nodemailer against the same sink; then email365's pool
//! over 1, 4 and 16 connections. Every client sends the same bytes and envelope
//! (`email365_bench::workload`).
//!
//! Each run: a fresh sink and proxy, one connection, one warm-up message, then the message
//! in a loop until `--messages` or `--seconds` (whichever first); the proxy's round-trip
//! count is read just before and just after the loop. Each case runs `--repeat` times;
//! the median messages/s is kept.
//!
//! `send-bench [--rtt-ms 0,5,20] [--rcpts 1,10] [--clients all|a,b] [--messages 2000]
//!             [--seconds 2] [--repeat 3] [--pool 1,4,16] [--pool-rtt-ms 20]
//!             [--python .venv/bin/python] [--c-client PATH] [--node node] [--json FILE]`
//!
//! Clients: email365-rust, email365-python, email365-c, email365-node (one message at a
//! time), email365-rust-many, email365-python-many, email365-c-many, email365-node-many
//! (`send_many` / `sendMany` with batches of 100, default window), lettre, smtplib,
//! aiosmtplib, nodemailer (pooled to one connection, `sendMail` one at a time).

use email365::smtp::{SmtpClient, SmtpOptions, SmtpPool, TlsMode};
use email365_bench::args::Args;
use email365_bench::proxy::Proxy;
use email365_bench::sink::{Sink, SinkOptions};
use email365_bench::workload;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CLIENTS: &[&str] = &[
    "email365-rust",
    "email365-rust-many",
    "email365-python",
    "email365-python-many",
    "email365-c",
    "email365-c-many",
    "email365-node",
    "email365-node-many",
    "lettre",
    "smtplib",
    "aiosmtplib",
    "nodemailer",
];

/// One measured run.
#[derive(Debug, Clone, Copy)]
struct Measure {
    messages: usize,
    seconds: f64,
    turns: u64,
}

impl Measure {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.seconds.max(1e-9)
    }
    fn turns_per_message(&self) -> f64 {
        self.turns as f64 / (self.messages.max(1)) as f64
    }
}

/// Bounds of one run.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    messages: usize,
    seconds: f64,
}

struct Case<'a> {
    rcpts: usize,
    message: &'a email365::message::BuiltMessage,
    message_file: &'a Path,
    bounds: Bounds,
}

/// Runs `send` once (warm-up), then in a loop within `bounds`, reading the proxy's
/// round trips around the loop.
fn measure_in_process<S>(
    proxy: &Proxy,
    bounds: Bounds,
    session: &mut S,
    mut send: impl FnMut(&mut S) -> Result<(), String>,
) -> Result<Measure, String> {
    send(session)?;
    let t0 = proxy.total_turns();
    let start = Instant::now();
    let mut n = 0;
    while n < bounds.messages && (n == 0 || start.elapsed().as_secs_f64() < bounds.seconds) {
        send(session)?;
        n += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(Measure {
        messages: n,
        seconds,
        turns: proxy.total_turns() - t0,
    })
}

fn email365_options(addr: SocketAddr) -> SmtpOptions {
    let mut o = SmtpOptions::new("127.0.0.1")
        .port(addr.port())
        .tls(TlsMode::InsecurePlaintext);
    o.timeouts.command = Duration::from_secs(60);
    o.timeouts.data_end = Duration::from_secs(60);
    o
}

/// email365 in Rust: `SmtpClient::send` in a loop (one transaction at a time).
fn run_email365_rust(proxy: &Proxy, case: &Case) -> Result<Measure, String> {
    let mut client = SmtpClient::new(email365_options(proxy.addr())).map_err(|e| e.to_string())?;
    let m = measure_in_process(proxy, case.bounds, &mut client, |c| {
        c.send(case.message).map(|_| ()).map_err(|e| e.to_string())
    });
    let _ = client.quit();
    m
}

/// email365 in Rust: `SmtpClient::send_many` with batches of 100 (window: the default).
fn run_email365_many(proxy: &Proxy, case: &Case) -> Result<Measure, String> {
    let mut client = SmtpClient::new(email365_options(proxy.addr())).map_err(|e| e.to_string())?;
    client.send(case.message).map_err(|e| e.to_string())?;
    let batch = vec![case.message.clone(); 100];
    let t0 = proxy.total_turns();
    let start = Instant::now();
    let mut n = 0;
    while n < case.bounds.messages
        && (n == 0 || start.elapsed().as_secs_f64() < case.bounds.seconds)
    {
        for r in client.send_many(&batch) {
            r.map_err(|e| e.to_string())?;
            n += 1;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let turns = proxy.total_turns() - t0;
    let _ = client.quit();
    Ok(Measure {
        messages: n,
        seconds,
        turns,
    })
}

/// lettre: its blocking `SmtpConnection` (one connection, plaintext).
fn run_lettre(proxy: &Proxy, case: &Case) -> Result<Measure, String> {
    let (mut conn, envelope) =
        workload::lettre_session(proxy.addr(), Duration::from_secs(60), case.rcpts)?;
    let bytes = &case.message.bytes;
    let m = measure_in_process(proxy, case.bounds, &mut conn, |c| {
        c.send(&envelope, bytes)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    let _ = conn.quit();
    m
}

/// A client program speaking the `ready` / `done <n> <seconds>` protocol
/// (tests/bench/clients/).
fn run_external(mut cmd: Command, proxy: &Proxy) -> Result<Measure, String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    let result = (|| {
        out.read_line(&mut line).map_err(|e| e.to_string())?;
        if line.trim() != "ready" {
            return Err(format!("expected ready, got {line:?}"));
        }
        let t0 = proxy.total_turns();
        stdin.write_all(b"go\n").map_err(|e| e.to_string())?;
        line.clear();
        out.read_line(&mut line).map_err(|e| e.to_string())?;
        let t1 = proxy.total_turns();
        let mut parts = line.split_whitespace();
        if parts.next() != Some("done") {
            return Err(format!("expected done, got {line:?}"));
        }
        let messages: usize = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or("bad count")?;
        let seconds: f64 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or("bad seconds")?;
        let _ = stdin.write_all(b"quit\n");
        Ok(Measure {
            messages,
            seconds,
            turns: t1 - t0,
        })
    })();
    drop(stdin);
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    match result {
        Ok(m) if output.status.success() => Ok(m),
        Ok(_) => Err(format!(
            "client failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(e) => Err(format!(
            "{e}; stderr: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}

/// The CLIENT argument of `clients/send_python.py` for a Python client of the table.
fn python_mode(client: &str) -> &str {
    match client {
        "email365-python" => "email365",
        "email365-python-many" => "email365-many",
        other => other,
    }
}

struct Setup {
    python: PathBuf,
    c_client: Option<PathBuf>,
    script: PathBuf,
    node: PathBuf,
    node_script: PathBuf,
}

/// `run` `repeat` times, each against a new sink behind a proxy that adds `rtt` ms of
/// round trip: the measures, and the error that stopped the series early, if any.
fn repeat_runs(
    repeat: usize,
    rtt: f64,
    mut run: impl FnMut(&Proxy) -> Result<Measure, String>,
) -> (Vec<Measure>, Option<String>) {
    let mut runs = Vec::new();
    for _ in 0..repeat {
        let measure = Sink::start(SinkOptions::default())
            .and_then(|sink| {
                Proxy::start(sink.addr(), Duration::from_secs_f64(rtt / 2000.0)).map(|p| (sink, p))
            })
            .map_err(|e| e.to_string())
            // The proxy goes before the sink (the order of the bindings, reversed).
            .and_then(|(_sink, proxy)| run(&proxy));
        match measure {
            Ok(m) => runs.push(m),
            Err(e) => return (runs, Some(e)),
        }
    }
    (runs, None)
}

fn run_client(client: &str, setup: &Setup, proxy: &Proxy, case: &Case) -> Result<Measure, String> {
    let addr = proxy.addr();
    let common = |cmd: &mut Command| {
        cmd.arg("127.0.0.1")
            .arg(addr.port().to_string())
            .arg(case.message_file)
            .arg(case.rcpts.to_string())
            .arg(case.bounds.messages.to_string())
            .arg(case.bounds.seconds.to_string());
    };
    match client {
        "email365-rust" => run_email365_rust(proxy, case),
        "email365-rust-many" => run_email365_many(proxy, case),
        "lettre" => run_lettre(proxy, case),
        "email365-python" | "email365-python-many" | "smtplib" | "aiosmtplib" => {
            let mut cmd = Command::new(&setup.python);
            cmd.arg(&setup.script).arg(python_mode(client));
            common(&mut cmd);
            run_external(cmd, proxy)
        }
        "email365-node" | "email365-node-many" | "nodemailer" => {
            let mut cmd = Command::new(&setup.node);
            cmd.arg(&setup.node_script)
                .arg(client.strip_prefix("email365-node").map_or(client, |rest| {
                    if rest.is_empty() {
                        "email365"
                    } else {
                        "email365-many"
                    }
                }));
            common(&mut cmd);
            run_external(cmd, proxy)
        }
        "email365-c" | "email365-c-many" => {
            let path = setup
                .c_client
                .as_ref()
                .ok_or("no --c-client given (scripts/bench.py builds it)")?;
            let mut cmd = Command::new(path);
            cmd.arg(if client.ends_with("-many") {
                "many"
            } else {
                "one"
            });
            common(&mut cmd);
            run_external(cmd, proxy)
        }
        other => Err(format!("unknown client {other}")),
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The pool: `connections` threads share an `SmtpPool` of that size for `seconds`.
fn run_pool(
    proxy: &Proxy,
    message: &email365::message::BuiltMessage,
    connections: usize,
    seconds: f64,
) -> Result<Measure, String> {
    let pool =
        SmtpPool::new(email365_options(proxy.addr()), connections).map_err(|e| e.to_string())?;
    // Warm-up: every connection opened and used once.
    let barrier = std::sync::Barrier::new(connections);
    let warm: Result<Vec<()>, String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..connections)
            .map(|_| {
                s.spawn(|| {
                    let r = pool.send(message).map(|_| ()).map_err(|e| e.to_string());
                    barrier.wait();
                    r
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or(Err("panicked".into())))
            .collect()
    });
    warm?;
    let t0 = proxy.total_turns();
    let start = Instant::now();
    let counts: Result<Vec<usize>, String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..connections)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0;
                    while start.elapsed().as_secs_f64() < seconds {
                        pool.send(message).map_err(|e| e.to_string())?;
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or(Err("panicked".into())))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let turns = proxy.total_turns() - t0;
    pool.close();
    Ok(Measure {
        messages: counts?.iter().sum(),
        seconds: elapsed,
        turns,
    })
}

fn main() {
    let a = Args::from_env();
    let rtts: Vec<f64> = a.list("rtt-ms", &[0.0, 5.0, 20.0]);
    let rcpts: Vec<usize> = a.list("rcpts", &[1, 10]);
    let clients: Vec<String> = match a.get("clients") {
        None | Some("all") => CLIENTS.iter().map(|s| s.to_string()).collect(),
        Some(list) => list.split(',').map(str::to_string).collect(),
    };
    let bounds = Bounds {
        messages: a.value("messages", 2000usize),
        seconds: a.value("seconds", 2.0f64),
    };
    let repeat: usize = a.value("repeat", 3usize).max(1);
    let pool_sizes: Vec<usize> = a.list("pool", &[1, 4, 16]);
    let pool_rtt: f64 = a.value("pool-rtt-ms", 20.0f64);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let setup = Setup {
        python: PathBuf::from(a.get("python").unwrap_or(".venv/bin/python")),
        c_client: a.get("c-client").map(PathBuf::from),
        script: root.join("clients/send_python.py"),
        node: PathBuf::from(a.get("node").unwrap_or("node")),
        node_script: root.join("clients/send_node.mjs"),
    };
    let tmp = std::env::temp_dir().join(format!("email365-send-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&tmp) {
        eprintln!("send-bench: {e}");
        std::process::exit(1);
    }
    let mut rows: Vec<Value> = Vec::new();
    println!("| client | RTT ms | rcpts | messages/s | round trips/message | runs |");
    println!("|---|---:|---:|---:|---:|---|");
    for &n in &rcpts {
        let message = match workload::message(n) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("send-bench: cannot build the message: {e}");
                std::process::exit(1);
            }
        };
        let file = tmp.join(format!("message-{n}.eml"));
        if let Err(e) = std::fs::write(&file, &message.bytes) {
            eprintln!("send-bench: {e}");
            std::process::exit(1);
        }
        for &rtt in &rtts {
            for client in &clients {
                let case = Case {
                    rcpts: n,
                    message: &message,
                    message_file: &file,
                    bounds,
                };
                let (runs, error) = repeat_runs(repeat, rtt, |proxy| {
                    run_client(client, &setup, proxy, &case)
                });
                rows.push(row(client, rtt, n, None, &runs, error.as_deref()));
            }
        }
    }
    if !pool_sizes.is_empty() {
        if let Ok(message) = workload::message(1) {
            for &k in &pool_sizes {
                let (runs, error) = repeat_runs(repeat, pool_rtt, |proxy| {
                    run_pool(proxy, &message, k, bounds.seconds)
                });
                rows.push(row(
                    "email365-rust-pool",
                    pool_rtt,
                    1,
                    Some(k),
                    &runs,
                    error.as_deref(),
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    if let Some(path) = a.get("json") {
        let text = serde_json::to_string_pretty(&Value::Array(rows)).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("send-bench: cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
}

/// A result row (also printed as a markdown table line).
fn row(
    client: &str,
    rtt: f64,
    rcpts: usize,
    connections: Option<usize>,
    runs: &[Measure],
    error: Option<&str>,
) -> Value {
    let rate = median(runs.iter().map(Measure::rate).collect());
    let turns = median(runs.iter().map(Measure::turns_per_message).collect());
    let name = match connections {
        Some(k) => format!("{client} ({k} conn)"),
        None => client.to_string(),
    };
    match error {
        Some(e) => println!(
            "| {name} | {rtt} | {rcpts} | error: {} | | |",
            e.lines().last().unwrap_or("").replace('|', "/")
        ),
        None => println!(
            "| {name} | {rtt} | {rcpts} | {rate:.1} | {turns:.2} | {} |",
            runs.iter()
                .map(|m| format!("{}/{:.2}s", m.messages, m.seconds))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
    json!({
        "client": client,
        "rtt_ms": rtt,
        "rcpts": rcpts,
        "connections": connections.unwrap_or(1),
        "messages_per_s": if error.is_none() { json!(rate) } else { Value::Null },
        "round_trips_per_message": if error.is_none() { json!(turns) } else { Value::Null },
        "runs": runs.iter().map(|m| json!({"messages": m.messages, "seconds": m.seconds, "round_trips": m.turns})).collect::<Vec<_>>(),
        "error": error,
    })
}
