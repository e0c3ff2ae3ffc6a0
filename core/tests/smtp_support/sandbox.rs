//! An in-process sandbox (tests/sandbox) for tests: one started with a given clock step
//! and password, and SMTP options for it (STARTTLS and AUTH PLAIN with its account,
//! trusting only its CA). Shared by the core's tests (`smtp_support`), its examples and
//! tests/e2e, which include this file by path.
#![allow(dead_code)]

use email365::smtp::SmtpOptions;
use email365_sandbox::{Config, Sandbox};
use std::time::Duration;

/// A sandbox whose clock moves `step` a poll and whose account has `password`.
pub fn sandbox_stepping(step: Duration, password: &str) -> Sandbox {
    Sandbox::start(Config {
        step,
        password: password.to_string(),
        ..Config::default()
    })
    .expect("sandbox starts")
}

/// Options that reach `sb` as its one account, trusting its CA and nothing else.
pub fn sandbox_options(sb: &Sandbox) -> SmtpOptions {
    let mut options = SmtpOptions::new(sb.smtp_addr().ip().to_string())
        .port(sb.smtp_addr().port())
        .credentials(&sb.config().username, &sb.config().password)
        .ca_file(sb.ca_file())
        .expect("the sandbox's CA file is readable");
    options.trust.system_roots = false;
    options
}
