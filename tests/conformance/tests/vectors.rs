//! Runs every shared vector through the driver's code path (in process).

use email365_conformance::{handle_line, vectors};
use serde_json::Value;

fn run_all(dir: &std::path::Path) {
    let cases = vectors::load_cases(dir);
    assert!(!cases.is_empty(), "no vectors in {}", dir.display());
    let mut failures = Vec::new();
    for case in &cases {
        let answer: Value = serde_json::from_str(&handle_line(&case.request.to_string()))
            .expect("driver answers JSON");
        if let Some(diff) = vectors::compare(&case.expect, &answer) {
            failures.push(format!("{}: {diff}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_vector_passes() {
    run_all(&vectors::vectors_dir());
}

#[test]
fn protocol_errors_are_answered_and_the_driver_goes_on() {
    let bad: Value = serde_json::from_str(&handle_line("not json")).unwrap();
    assert_eq!(bad["error"]["kind"], "invalid_argument");
    assert!(bad["error"].get("position").is_some());
    let unknown: Value = serde_json::from_str(&handle_line(r#"{"op":"nope","args":{}}"#)).unwrap();
    assert_eq!(unknown["error"]["reason"], "unknown_op");
    let no_args: Value =
        serde_json::from_str(&handle_line(r#"{"op":"classify_reply","args":[]}"#)).unwrap();
    assert_eq!(no_args["error"]["kind"], "invalid_argument");
}
