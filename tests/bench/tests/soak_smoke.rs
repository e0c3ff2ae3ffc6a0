//! A short soak (300 messages, heavy faults) that runs with `cargo test`: every message
//! has exactly one outcome and the client's report agrees with the server's log.

use email365_bench::sink::Faults;
use email365_bench::soak::{self, SoakConfig};

#[test]
fn soak_smoke_every_outcome_agrees_with_the_server_log() {
    let config = SoakConfig {
        messages: 300,
        connections: 4,
        max_attempts: 4,
        faults: Faults {
            seed: 7,
            drop_connections: 0.2,
            close_421: 0.1,
            reject_451: 0.05,
            horizon: 8,
            max_messages: Some(10),
        },
    };
    let report = soak::run(&config).unwrap();
    let summary = report.summary();
    assert!(report.disagreements.is_empty(), "{summary}");
    assert_eq!(
        report.sent + report.failed + report.unknown,
        300,
        "{summary}"
    );
    // The faults happened and the run still delivered most messages.
    assert!(report.sink.dropped > 0, "{summary}");
    assert!(report.sink.closed_421 > 0, "{summary}");
    assert!(report.sink.rejected_451 > 0, "{summary}");
    assert!(report.retried > 0, "{summary}");
    assert!(report.sent > 200, "{summary}");
    assert_eq!(
        report.sink.accepted as usize,
        report.sent + report.unknown_accepted,
        "{summary}"
    );
}
