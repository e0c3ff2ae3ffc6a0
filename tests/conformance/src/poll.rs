//! Driver op of the status poller (`email365::status::Poller`): a script of times and
//! request outcomes in, the poller's step after each one out.

use crate::args;
use email365::status::{self, FetchFailure, HttpAnswer, PollPlan, PollStep, Poller};
use email365::{Error, ErrorKind};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The URL the outcomes are reported for (it only shapes messages).
const URL: &str = "https://eu.email.sdi.sinch.com/v1/a/notifications/id/1";

fn bad(what: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, what)
}

fn opt_ms(value: &Value, name: &str) -> Result<Option<u64>, Error> {
    match value.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(format!("argument {name:?} must be a whole number ≥ 0"))),
    }
}

/// `status_poll` {notification_id, recipient?, deadline_ms?, steps: [{at_ms, answer?:
/// {status, retry_after?, body?, now_ms?}, failure?: name}]} → one step per script
/// item: the outcome (if any) is recorded, then the poller is asked at `at_ms`.
/// Steps: {action: "fetch", time_limit_ms} | {action: "sleep", ms} | {action: "done"}
/// | {action: "give_up", kind, reason, transient}.
pub fn status_poll(args: &Value) -> Result<Value, Error> {
    let mut poller = Poller::new(
        PollPlan::DEFAULT,
        args::string(args, "notification_id")?,
        args::opt_string(args, "recipient")?,
        opt_ms(args, "deadline_ms")?.map(Duration::from_millis),
    );
    let steps = args
        .get("steps")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("argument \"steps\" must be a list of objects".into()))?;
    let mut out = Vec::new();
    for item in steps {
        let at =
            opt_ms(item, "at_ms")?.ok_or_else(|| bad("argument \"at_ms\" is required".into()))?;
        if let Some(answer) = item.get("answer").filter(|a| !a.is_null()) {
            let status = opt_ms(answer, "status")?
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(|| {
                    bad("argument \"status\" must be a whole number from 0 to 65535".into())
                })?;
            let wall = opt_ms(answer, "now_ms")?
                .map_or_else(SystemTime::now, |ms| UNIX_EPOCH + Duration::from_millis(ms));
            poller.record_answer(
                &HttpAnswer {
                    status,
                    retry_after: args::opt_string(answer, "retry_after")?,
                    url: URL,
                    body: args::opt_string(answer, "body")?.unwrap_or(""),
                    username: "user",
                    password: "password",
                },
                wall,
            );
        } else if let Some(failure) = args::opt_string(item, "failure")? {
            poller.record_failure(FetchFailure::from_name(failure)?, URL, "");
        }
        out.push(step_json(&poller.next(Duration::from_millis(at))));
    }
    Ok(Value::Array(out))
}

fn ms(d: Duration) -> u64 {
    status::retry_after_millis(d)
}

fn step_json(step: &PollStep) -> Value {
    match step {
        PollStep::Fetch { time_limit } => {
            json!({"action": "fetch", "time_limit_ms": time_limit.map(ms)})
        }
        PollStep::Sleep(d) => json!({"action": "sleep", "ms": ms(*d)}),
        PollStep::Done(_) => json!({"action": "done"}),
        PollStep::GiveUp(e) => json!({
            "action": "give_up",
            "kind": e.kind().as_str(),
            "reason": e.reason(),
            "transient": e.transient(),
        }),
    }
}
