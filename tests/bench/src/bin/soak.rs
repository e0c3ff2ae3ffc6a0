//! `soak`: sends many messages through the pool to a faulty local sink and compares the
//! client's report of every message with the server's log (see `email365_bench::soak`
//! for the checks and the retry policy). Prints a summary; exits 1 on any disagreement.
//!
//! `soak [--messages 10000] [--connections 8] [--seed 1] [--drop 0.05] [--close-421 0.05]
//!       [--reject-451 0.02] [--horizon 20] [--max-messages 40] [--max-attempts 4]`

use email365_bench::args::Args;
use email365_bench::soak::{self, SoakConfig};

fn main() {
    let a = Args::from_env();
    let mut c = SoakConfig::full(a.value("seed", 1u64));
    c.messages = a.value("messages", c.messages);
    c.connections = a.value("connections", c.connections);
    c.max_attempts = a.value("max-attempts", c.max_attempts);
    c.faults.drop_connections = a.value("drop", c.faults.drop_connections);
    c.faults.close_421 = a.value("close-421", c.faults.close_421);
    c.faults.reject_451 = a.value("reject-451", c.faults.reject_451);
    c.faults.horizon = a.value("horizon", c.faults.horizon);
    c.faults.max_messages = Some(a.value("max-messages", c.faults.max_messages.unwrap_or(40)));
    println!(
        "soak: {} messages, pool of {}, seed {}, faults: {:.0} % of connections dropped, {:.0} % closed with 421, {:.0} % of MAIL/RCPT/end-of-data replies 451, at most {} messages per connection; retry policy: 4xx/lost connection/timeout before the data retried, up to {} attempts; outcome_unknown never retried",
        c.messages,
        c.connections,
        c.faults.seed,
        c.faults.drop_connections * 100.0,
        c.faults.close_421 * 100.0,
        c.faults.reject_451 * 100.0,
        c.faults.max_messages.unwrap_or(0),
        c.max_attempts
    );
    match soak::run(&c) {
        Ok(report) => {
            print!("{}", report.summary());
            if !report.disagreements.is_empty()
                || report.sent + report.failed + report.unknown != report.messages
            {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(2);
        }
    }
}
