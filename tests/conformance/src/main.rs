//! The Rust conformance driver: one JSON request a line on stdin, one JSON answer a line
//! on stdout (docs/ARCHITECTURE.md, "The conformance protocol"). `--async` runs the
//! transport ops (`smtp_send`, `smtp_send_many`) through the tokio client.

use std::io::{BufRead, Write};

fn main() {
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--async" => email365_conformance::use_async(),
            other => {
                eprintln!("email365-conformance: unknown argument {other:?} (only --async)");
                std::process::exit(2);
            }
        }
    }
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut input = stdin.lock();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("email365-conformance: reading stdin: {e}");
                std::process::exit(1);
            }
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let answer = email365_conformance::handle_line(text);
        if writeln!(out, "{answer}").and_then(|_| out.flush()).is_err() {
            break;
        }
    }
}
