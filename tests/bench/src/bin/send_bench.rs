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
//!             [--window 8,16,32] [--server sink|postfix|exim]
//!             [--python .venv/bin/python] [--c-client PATH] [--node node] [--json FILE]`
//!
//! `--window` runs each `-many` client once per window given (`SmtpOptions::window`; the
//! external clients read it from `EMAIL365_BENCH_WINDOW`); without it they use the
//! default window. `--server` sends to a real Postfix or Exim instead of the sink, started
//! for each run through the interop harnesses as the interop tests start them (STARTTLS
//! and AUTH PLAIN; tests/bench/src/server.rs says more); only the Rust clients
//! (`email365-rust`, `email365-rust-many`) speak TLS and AUTH to them, and the pool is not
//! run. Each run then also shows how many messages the server stored (the warm-up one
//! included). Exim refuses the 1,001st message of a connection with a 421
//! (`smtp_accept_max_per_connection`): keep `--messages` under 1,000 against Exim.
//!
//! Clients: email365-rust, email365-python, email365-c, email365-node (one message at a
//! time), email365-rust-many, email365-python-many, email365-c-many, email365-node-many
//! (`send_many` / `sendMany` with batches of 100, default window), lettre, smtplib,
//! aiosmtplib, nodemailer (pooled to one connection, `sendMail` one at a time).

use email365::smtp::{SmtpClient, SmtpOptions, SmtpPool};
use email365_bench::args::Args;
use email365_bench::proxy::Proxy;
use email365_bench::server::{Server, ServerKind};
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
    /// Messages the server took (warm-up included), where it can tell.
    stored: Option<usize>,
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
    /// `SmtpOptions::window` for `email365-rust-many` (None: the default).
    window: Option<usize>,
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
        stored: None,
    })
}

fn email365_options(server: &Server, addr: SocketAddr) -> Result<SmtpOptions, String> {
    server.options(addr).map_err(|e| e.to_string())
}

/// email365 in Rust: `SmtpClient::send` in a loop (one transaction at a time).
fn run_email365_rust(server: &Server, proxy: &Proxy, case: &Case) -> Result<Measure, String> {
    let mut client =
        SmtpClient::new(email365_options(server, proxy.addr())?).map_err(|e| e.to_string())?;
    let m = measure_in_process(proxy, case.bounds, &mut client, |c| {
        c.send(case.message).map(|_| ()).map_err(|e| e.to_string())
    });
    let _ = client.quit();
    m
}

/// email365 in Rust: `SmtpClient::send_many` with batches of 100 (window: `case.window`).
fn run_email365_many(server: &Server, proxy: &Proxy, case: &Case) -> Result<Measure, String> {
    let mut options = email365_options(server, proxy.addr())?;
    if let Some(w) = case.window {
        options.window = w;
    }
    let mut client = SmtpClient::new(options).map_err(|e| e.to_string())?;
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
        stored: None,
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
            stored: None,
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
    server: ServerKind,
    repo: PathBuf,
    python: PathBuf,
    c_client: Option<PathBuf>,
    script: PathBuf,
    node: PathBuf,
    node_script: PathBuf,
}

/// `run` `repeat` times, each against a new server behind a proxy that adds `rtt` ms of
/// round trip: the measures, and the error that stopped the series early, if any.
fn repeat_runs(
    repeat: usize,
    rtt: f64,
    setup: &Setup,
    mut run: impl FnMut(&Server, &Proxy) -> Result<Measure, String>,
) -> (Vec<Measure>, Option<String>) {
    let mut runs = Vec::new();
    for _ in 0..repeat {
        let measure = Server::start(setup.server, &setup.python, &setup.repo)
            .and_then(|server| {
                Proxy::start(server.addr(), Duration::from_secs_f64(rtt / 2000.0))
                    .map(|p| (server, p))
            })
            .map_err(|e| e.to_string())
            // The proxy goes before the server (the order of the bindings, reversed).
            .and_then(|(server, proxy)| {
                let mut m = run(&server, &proxy)?;
                m.stored = settled_count(&server);
                Ok(m)
            });
        match measure {
            Ok(m) => runs.push(m),
            Err(e) => return (runs, Some(e)),
        }
    }
    (runs, None)
}

/// What `server` took, once its count stops moving (Postfix logs a little late).
fn settled_count(server: &Server) -> Option<usize> {
    let mut last = server.stored()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = server.stored()?;
        if now == last || Instant::now() > deadline {
            return Some(now);
        }
        last = now;
    }
}

fn run_client(
    client: &str,
    setup: &Setup,
    server: &Server,
    proxy: &Proxy,
    case: &Case,
) -> Result<Measure, String> {
    let addr = proxy.addr();
    if setup.server != ServerKind::Sink && !client.starts_with("email365-rust") {
        return Err(format!(
            "{client} speaks plaintext only: run it against the sink"
        ));
    }
    let common = |cmd: &mut Command| {
        if let Some(w) = case.window {
            cmd.env("EMAIL365_BENCH_WINDOW", w.to_string());
        }
        cmd.arg("127.0.0.1")
            .arg(addr.port().to_string())
            .arg(case.message_file)
            .arg(case.rcpts.to_string())
            .arg(case.bounds.messages.to_string())
            .arg(case.bounds.seconds.to_string());
    };
    match client {
        "email365-rust" => run_email365_rust(server, proxy, case),
        "email365-rust-many" => run_email365_many(server, proxy, case),
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
    server: &Server,
    proxy: &Proxy,
    message: &email365::message::BuiltMessage,
    connections: usize,
    seconds: f64,
) -> Result<Measure, String> {
    let pool = SmtpPool::new(email365_options(server, proxy.addr())?, connections)
        .map_err(|e| e.to_string())?;
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
        stored: None,
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
    let windows: Vec<Option<usize>> = match a.get("window") {
        None => vec![None],
        Some(_) => a.list("window", &[0usize]).into_iter().map(Some).collect(),
    };
    let server = match ServerKind::parse(a.get("server").unwrap_or("sink")) {
        Some(k) => k,
        None => {
            eprintln!("send-bench: --server is sink, postfix or exim");
            std::process::exit(2);
        }
    };
    // The pool runs against the sink only.
    let pool_sizes: Vec<usize> = if server == ServerKind::Sink {
        a.list("pool", &[1, 4, 16])
    } else {
        Vec::new()
    };
    let pool_rtt: f64 = a.value("pool-rtt-ms", 20.0f64);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let setup = Setup {
        server,
        repo: root.join("../.."),
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
    println!(
        "| client | server | RTT ms | rcpts | messages/s | round trips/message | runs (messages/seconds, stored) |"
    );
    println!("|---|---|---:|---:|---:|---:|---|");
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
                let client_windows = if client.ends_with("-many") {
                    &windows[..]
                } else {
                    &[None][..]
                };
                for &window in client_windows {
                    let case = Case {
                        rcpts: n,
                        window,
                        message: &message,
                        message_file: &file,
                        bounds,
                    };
                    let (runs, error) = repeat_runs(repeat, rtt, &setup, |server, proxy| {
                        run_client(client, &setup, server, proxy, &case)
                    });
                    let label = Label {
                        client,
                        server: server.name(),
                        window,
                        connections: None,
                    };
                    rows.push(row(&label, rtt, n, &runs, error.as_deref()));
                }
            }
        }
    }
    if !pool_sizes.is_empty() {
        if let Ok(message) = workload::message(1) {
            for &k in &pool_sizes {
                let (runs, error) = repeat_runs(repeat, pool_rtt, &setup, |server, proxy| {
                    run_pool(server, proxy, &message, k, bounds.seconds)
                });
                let label = Label {
                    client: "email365-rust-pool",
                    server: server.name(),
                    window: None,
                    connections: Some(k),
                };
                rows.push(row(&label, pool_rtt, 1, &runs, error.as_deref()));
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

/// What a row measured: the client, the server, the window and pool size if set.
struct Label<'a> {
    client: &'a str,
    server: &'a str,
    window: Option<usize>,
    connections: Option<usize>,
}

/// A result row (also printed as a markdown table line).
fn row(label: &Label, rtt: f64, rcpts: usize, runs: &[Measure], error: Option<&str>) -> Value {
    let rate = median(runs.iter().map(Measure::rate).collect());
    let turns = median(runs.iter().map(Measure::turns_per_message).collect());
    let mut name = label.client.to_string();
    if let Some(k) = label.connections {
        name += &format!(" ({k} conn)");
    }
    if let Some(w) = label.window {
        name += &format!(" (window {w})");
    }
    let server = label.server;
    match error {
        Some(e) => println!(
            "| {name} | {server} | {rtt} | {rcpts} | error: {} | | |",
            e.lines().last().unwrap_or("").replace('|', "/")
        ),
        None => println!(
            "| {name} | {server} | {rtt} | {rcpts} | {rate:.1} | {turns:.2} | {} |",
            runs.iter()
                .map(|m| match m.stored {
                    Some(s) => format!("{}/{:.2}s, {s}", m.messages, m.seconds),
                    None => format!("{}/{:.2}s", m.messages, m.seconds),
                })
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
    json!({
        "client": label.client,
        "server": server,
        "window": label.window,
        "rtt_ms": rtt,
        "rcpts": rcpts,
        "connections": label.connections.unwrap_or(1),
        "messages_per_s": if error.is_none() { json!(rate) } else { Value::Null },
        "round_trips_per_message": if error.is_none() { json!(turns) } else { Value::Null },
        "runs": runs.iter().map(|m| json!({"messages": m.messages, "seconds": m.seconds, "round_trips": m.turns, "stored": m.stored})).collect::<Vec<_>>(),
        "error": error,
    })
}
