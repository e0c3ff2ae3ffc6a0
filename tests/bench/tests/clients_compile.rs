//! The C client of `send-bench` (`clients/send_c.c`) still compiles against the
//! generated header of `bindings-c`, warnings as errors: it is only built by
//! `scripts/bench.py`, so a change of the C API would otherwise break the benchmark
//! unnoticed.

use std::path::Path;
use std::process::Command;

#[test]
fn c_client_compiles_against_the_current_header() {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR"));
    let include = bench.join("../../bindings-c/include");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
        .arg("-I")
        .arg(&include)
        .arg(bench.join("clients/send_c.c"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(
        out.status.success(),
        "clients/send_c.c does not compile against bindings-c/include/email365.h:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
