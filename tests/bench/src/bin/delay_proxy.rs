//! `delay-proxy`: a loopback TCP proxy adding a one-way delay in each direction and
//! printing, when each connection ends, its round trips (client turns) and byte counts.
//!
//! `delay-proxy --upstream 127.0.0.1:2525 [--port 2526] [--delay-ms 10]`
//! (round-trip time = 2 x delay + loopback).

use email365_bench::args::Args;
use email365_bench::proxy::Proxy;
use std::net::SocketAddr;
use std::time::Duration;

fn main() {
    let a = Args::from_env();
    let Some(upstream) = a.get("upstream").and_then(|u| u.parse::<SocketAddr>().ok()) else {
        eprintln!("usage: delay-proxy --upstream HOST:PORT [--port P] [--delay-ms MS]");
        std::process::exit(2)
    };
    let delay = Duration::from_secs_f64(a.value("delay-ms", 0.0f64) / 1000.0);
    let port: u16 = a.value("port", 0u16);
    let proxy = match Proxy::bind(&format!("127.0.0.1:{port}"), upstream, delay, true) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("delay-proxy: cannot listen: {e}");
            std::process::exit(1)
        }
    };
    println!(
        "listening on {} -> {upstream}, one-way delay {delay:?}",
        proxy.addr()
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
