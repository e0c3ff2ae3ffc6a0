//! `sink`: runs the benchmark SMTP sink on loopback until interrupted, printing its
//! address; the log of accepted messages is written to `--log FILE` every second.
//!
//! `sink [--port 2525] [--no-chunking] [--no-pipelining] [--seed N] [--drop 0.05]
//!       [--close-421 0.02] [--reject-451 0.02] [--horizon 20] [--max-messages N]
//!       [--log FILE]`

use email365_bench::args::Args;
use email365_bench::sink::{Faults, Sink, SinkOptions};
use std::path::PathBuf;
use std::time::Duration;

fn main() {
    let a = Args::from_env();
    let options = SinkOptions {
        pipelining: !a.flag("no-pipelining"),
        chunking: !a.flag("no-chunking"),
        faults: Faults {
            seed: a.value("seed", 1u64),
            drop_connections: a.value("drop", 0.0f64),
            close_421: a.value("close-421", 0.0f64),
            reject_451: a.value("reject-451", 0.0f64),
            horizon: a.value("horizon", 20u32),
            max_messages: a.get("max-messages").map(|_| a.value("max-messages", 0u32)),
        },
    };
    let port: u16 = a.value("port", 0u16);
    let sink = match Sink::bind(&format!("127.0.0.1:{port}"), options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sink: cannot listen: {e}");
            std::process::exit(1)
        }
    };
    println!("listening on {}", sink.addr());
    let log = a.get("log").map(PathBuf::from);
    loop {
        std::thread::sleep(Duration::from_secs(1));
        if let Some(path) = &log {
            if let Err(e) = sink.dump(path) {
                eprintln!("sink: cannot write {}: {e}", path.display());
            }
        }
    }
}
