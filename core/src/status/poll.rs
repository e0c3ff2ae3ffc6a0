//! The status wait loop without I/O: a [`Poller`] is told the time and what each
//! request gave, and says what to do next — fetch (within a time limit), sleep, done,
//! or give up with the error. The native client (`crate::http`), the wasm package's
//! `waitForStatus` and anyone with their own HTTP client drive this one rule; the
//! `status_poll` vectors pin it through every binding. `docs/STATUS.md` ("Waiting")
//! describes it.

use super::{judge_answer, parse_status, HttpAnswer, Notification, PollPlan};
use crate::error::{Error, ErrorKind, Result};
use std::time::{Duration, SystemTime};

/// The least time a status request gets, even when less is left before the deadline
/// (the last poll is made at the deadline itself): a request with a few milliseconds
/// would fail on any real network.
pub const LAST_POLL_TIME: Duration = Duration::from_secs(1);

/// Default time limit for one whole status request (connect, send, headers and body),
/// in every client: 30 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Default largest status response body a client accepts: 16 MiB.
pub const DEFAULT_MAX_BODY: u64 = 16 * 1024 * 1024;

/// Most recipients named in a give-up message.
const DESCRIBED_RECIPIENTS: usize = 10;

/// What the driver of a [`Poller`] does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStep {
    /// Make one status request now and report it ([`Poller::record`] and neighbours).
    /// It must end within `time_limit` when one is given (the time left before the
    /// deadline, at least [`LAST_POLL_TIME`]); a client uses the smaller of this and
    /// its own request timeout.
    Fetch {
        /// The longest the request may take; `None` without a deadline.
        time_limit: Option<Duration>,
    },
    /// Wait this long, then ask again.
    Sleep(Duration),
    /// The state is final: the notification of the last answer.
    Done(Notification),
    /// The wait is over without a final state: a permanent error of the last request
    /// (as it came), or kind `timeout`, reason `deadline_exceeded`.
    GiveUp(Error),
}

/// What a request gave, as the poller keeps it until the next step.
#[derive(Debug)]
enum State {
    /// Nothing asked yet, or a fetch asked and not reported.
    Fetch,
    /// A request was reported.
    Answered(Result<Notification>, Option<Duration>),
    /// Sleeping until this time.
    Sleeping(Duration),
    /// The wait is over.
    Over(std::result::Result<Notification, Error>),
}

/// Failures of a request that an HTTP layer sees without an HTTP answer to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchFailure {
    /// The request failed on the network (refused, reset, DNS, CORS …): `connection`,
    /// reason `fetch_failed`, transient.
    Network,
    /// The request ran out of its time limit: `timeout`, reason `request_timeout`,
    /// transient.
    Timeout,
    /// The server answered with a redirect the client may not read (a browser's opaque
    /// redirect): `status_http`, reason `redirect`, as any 3xx.
    Redirect,
    /// The body is larger than the client accepts: `invalid_status_response`, reason
    /// `body_too_large`.
    BodyTooLarge,
}

impl FetchFailure {
    /// Every failure, in the order of [`FetchFailure::name`]s documented.
    pub const ALL: [FetchFailure; 4] = [
        FetchFailure::Network,
        FetchFailure::Timeout,
        FetchFailure::Redirect,
        FetchFailure::BodyTooLarge,
    ];

    /// The wire name: `network`, `timeout`, `redirect`, `body_too_large`.
    pub fn name(self) -> &'static str {
        match self {
            FetchFailure::Network => "network",
            FetchFailure::Timeout => "timeout",
            FetchFailure::Redirect => "redirect",
            FetchFailure::BodyTooLarge => "body_too_large",
        }
    }

    /// The failure of a wire name; `invalid_argument` (reason `unknown_fetch_failure`)
    /// for any other.
    pub fn from_name(name: &str) -> Result<FetchFailure> {
        FetchFailure::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "unknown fetch failure {name:?} (network, timeout, redirect, body_too_large)"
                    ),
                )
                .with_reason("unknown_fetch_failure")
            })
    }

    /// The error of this failure of `GET url`; `detail` (what the HTTP layer said) ends
    /// the message.
    pub fn error(self, url: &str, detail: &str) -> Error {
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {}", crate::reply::escape_controls(detail))
        };
        let (kind, reason, transient, what) = match self {
            FetchFailure::Network => (
                ErrorKind::Connection,
                "fetch_failed",
                true,
                "the request failed",
            ),
            FetchFailure::Timeout => (ErrorKind::Timeout, "request_timeout", true, "timed out"),
            FetchFailure::Redirect => (
                ErrorKind::StatusHttp,
                "redirect",
                false,
                "redirect (not followed)",
            ),
            FetchFailure::BodyTooLarge => (
                ErrorKind::InvalidStatusResponse,
                "body_too_large",
                false,
                "the response body is too large",
            ),
        };
        Error::new(kind, format!("GET {url}: {what}{detail}"))
            .with_reason(reason)
            .with_transient(transient)
    }
}

/// The status wait loop as a state machine. Time is a [`Duration`] from any origin the
/// driver chooses (it only has to move forward); `deadline` is counted from the time of
/// the first [`Poller::next`].
///
/// The rule: poll; a final state (`recipient`'s, or every recipient's) ends the wait;
/// `found: false` (unknown, not visible yet, or expired) and transient failures (HTTP
/// 429 and 5xx, network failures, request time-outs) wait the plan's next delay
/// (longer when the server sent Retry-After) and poll again; any other failure ends the
/// wait with that error. When the next delay would end after the deadline, the poller
/// sleeps until the deadline and polls a last time — unless a Retry-After forbids
/// polling before it, then it gives up at once. Giving up after the deadline is kind
/// `timeout`, reason `deadline_exceeded`, transient, with the last state or failure
/// and the number of polls in the message.
#[derive(Debug)]
pub struct Poller {
    plan: PollPlan,
    notification_id: String,
    recipient: Option<String>,
    deadline: Option<Duration>,
    start: Option<Duration>,
    waits: u32,
    polls: u32,
    last: Option<Notification>,
    state: State,
}

impl Poller {
    /// A poller for `notification_id` (named in the give-up message), waiting for
    /// `recipient`'s final state (every recipient's when `None`), giving up `deadline`
    /// after the first step (`None`: never).
    pub fn new(
        plan: PollPlan,
        notification_id: &str,
        recipient: Option<&str>,
        deadline: Option<Duration>,
    ) -> Poller {
        Poller {
            plan,
            notification_id: notification_id.to_string(),
            recipient: recipient.map(str::to_string),
            deadline,
            start: None,
            waits: 0,
            polls: 0,
            last: None,
            state: State::Fetch,
        }
    }

    /// What to do at `now`. After [`PollStep::Done`] or [`PollStep::GiveUp`] every call
    /// gives the same step again; after [`PollStep::Fetch`] without a report, the fetch
    /// again; after a [`PollStep::Sleep`] that has not run its course, the rest of it.
    pub fn next(&mut self, now: Duration) -> PollStep {
        let start = *self.start.get_or_insert(now);
        let end = self.deadline.map(|d| start.saturating_add(d));
        let state = std::mem::replace(&mut self.state, State::Fetch);
        self.state = match state {
            State::Sleeping(until) if now < until => State::Sleeping(until),
            State::Fetch | State::Sleeping(_) => State::Fetch,
            State::Answered(outcome, retry_after) => self.judge(outcome, retry_after, now, end),
            over @ State::Over(_) => over,
        };
        match &self.state {
            State::Fetch => PollStep::Fetch {
                time_limit: end.map(|e| e.saturating_sub(now).max(LAST_POLL_TIME)),
            },
            State::Sleeping(until) => PollStep::Sleep(until.saturating_sub(now)),
            State::Over(Ok(n)) => PollStep::Done(n.clone()),
            State::Over(Err(e)) => PollStep::GiveUp(e.clone()),
            State::Answered(..) => unreachable!("judged above"),
        }
    }

    /// Reports what the request asked for by [`PollStep::Fetch`] gave: the notification
    /// or the error (transient or not, as [`Error::transient`] says), and the server's
    /// Retry-After when it sent one. Ignored once the wait is over. Gives the
    /// notification recorded, when there is one (for a caller's progress report).
    pub fn record(
        &mut self,
        result: Result<Notification>,
        retry_after: Option<Duration>,
    ) -> Option<&Notification> {
        if matches!(self.state, State::Over(_)) {
            return None;
        }
        self.polls = self.polls.saturating_add(1);
        let fresh = result.is_ok();
        if let Ok(n) = &result {
            self.last = Some(n.clone());
        }
        self.state = State::Answered(result, retry_after);
        self.last.as_ref().filter(|_| fresh)
    }

    /// Reports an HTTP answer: judged by [`judge_answer`] at `wall_now` (for an HTTP-date
    /// Retry-After), its body parsed by [`parse_status`] when it is a 2xx answer.
    /// Gives the notification of a 2xx answer that parsed.
    pub fn record_answer(
        &mut self,
        answer: &HttpAnswer<'_>,
        wall_now: SystemTime,
    ) -> Option<&Notification> {
        let verdict = judge_answer(answer, wall_now);
        let result = match verdict.error {
            Some(e) => Err(e),
            None => parse_status(answer.body),
        };
        self.record(result, verdict.retry_after)
    }

    /// Reports a request that got no HTTP answer to judge ([`FetchFailure::error`]).
    pub fn record_failure(&mut self, failure: FetchFailure, url: &str, detail: &str) {
        self.record(Err(failure.error(url, detail)), None);
    }

    /// The notification of the last successful request, if any.
    pub fn last_notification(&self) -> Option<&Notification> {
        self.last.as_ref()
    }

    /// The number of requests reported so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    fn judge(
        &mut self,
        outcome: Result<Notification>,
        retry_after: Option<Duration>,
        now: Duration,
        end: Option<Duration>,
    ) -> State {
        let recipient = self.recipient.as_deref();
        let (last, retry_after) = match outcome {
            Ok(n) if is_done(&n, recipient) => return State::Over(Ok(n)),
            Ok(n) => (describe(&n, recipient), None),
            Err(e) if e.transient() => (format!("last poll failed: {e}"), retry_after),
            Err(e) => return State::Over(Err(e)),
        };
        let delay = self.plan.delay(self.waits, retry_after);
        self.waits = self.waits.saturating_add(1);
        let wait = match end {
            None => delay,
            Some(end) if now >= end => return State::Over(Err(self.give_up(&last))),
            Some(end) => {
                let left = end - now;
                if delay <= left {
                    delay
                } else if retry_after.is_some_and(|ra| ra > left) {
                    // The server asked us not to come back before the deadline.
                    return State::Over(Err(self.give_up(&last)));
                } else {
                    // One last poll, at the deadline.
                    left
                }
            }
        };
        State::Sleeping(now.saturating_add(wait))
    }

    fn give_up(&self, last: &str) -> Error {
        let within = self.deadline.map_or(String::new(), |d| {
            format!(" within {}.{} s", d.as_secs(), d.subsec_millis() / 100)
        });
        Error::new(
            ErrorKind::Timeout,
            format!(
                "notification {} not final{within} ({} polls): {last}",
                self.notification_id, self.polls
            ),
        )
        .with_reason("deadline_exceeded")
        .with_transient(true)
    }
}

/// Whether the wait may stop at `n`.
fn is_done(n: &Notification, recipient: Option<&str>) -> bool {
    match recipient {
        Some(r) => n.found && n.is_final_for(r),
        None => n.all_final(),
    }
}

fn describe(n: &Notification, recipient: Option<&str>) -> String {
    if !n.found {
        return "the status API does not know the notification (unknown id, not visible yet, or expired)"
            .to_string();
    }
    if let Some(r) = recipient {
        return match n.latest_for(r) {
            Some(e) => format!("{r} is at {}", e.code),
            None => format!("no event for {r} yet"),
        };
    }
    let states = n.recipients();
    if states.is_empty() {
        return "no event yet".to_string();
    }
    let mut parts: Vec<String> = states
        .iter()
        .take(DESCRIBED_RECIPIENTS)
        .map(|s| {
            let who = s.recipient.as_deref().unwrap_or("(no recipient)");
            let fin = if s.is_final { " (final)" } else { "" };
            format!("{who} at {}{fin}", s.latest.code)
        })
        .collect();
    if states.len() > DESCRIBED_RECIPIENTS {
        parts.push(format!("and {} more", states.len() - DESCRIBED_RECIPIENTS));
    }
    format!("last state: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn an_early_wake_sleeps_the_rest_and_a_repeated_ask_fetches_again() {
        let mut p = Poller::new(PollPlan::DEFAULT, "1", None, Some(secs(60)));
        assert_eq!(
            p.next(secs(100)),
            PollStep::Fetch {
                time_limit: Some(secs(60))
            }
        );
        assert_eq!(
            p.next(secs(101)),
            PollStep::Fetch {
                time_limit: Some(secs(59))
            }
        );
        p.record(Ok(Notification::of_codes(&[("a@x", "CAAS_SENT")])), None);
        assert_eq!(p.next(secs(101)), PollStep::Sleep(secs(1)));
        assert_eq!(
            p.next(Duration::from_millis(101_400)),
            PollStep::Sleep(Duration::from_millis(600))
        );
        assert!(matches!(p.next(secs(102)), PollStep::Fetch { .. }));
        p.record(Ok(Notification::of_codes(&[("a@x", "CH_SENT")])), None);
        let done = p.next(secs(102));
        assert!(matches!(&done, PollStep::Done(n) if n.all_final()));
        assert_eq!(p.next(secs(500)), done);
        p.record(Err(Error::new(ErrorKind::Auth, "late")), None);
        assert_eq!(p.next(secs(501)), done);
    }

    #[test]
    fn without_a_deadline_the_plan_alone_sets_the_waits() {
        let mut p = Poller::new(PollPlan::DEFAULT, "1", None, None);
        let mut now = Duration::ZERO;
        let mut slept = Vec::new();
        for _ in 0..7 {
            assert_eq!(p.next(now), PollStep::Fetch { time_limit: None });
            p.record(Ok(Notification::default()), None);
            let PollStep::Sleep(d) = p.next(now) else {
                panic!("expected a sleep")
            };
            slept.push(d.as_secs());
            now += d;
        }
        assert_eq!(slept, [1, 2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn the_last_poll_gets_at_least_the_last_poll_time() {
        let mut p = Poller::new(PollPlan::DEFAULT, "7", Some("a@x"), Some(secs(2)));
        assert!(matches!(p.next(secs(0)), PollStep::Fetch { .. }));
        p.record(Ok(Notification::of_codes(&[("a@x", "CH_RECEIVED")])), None);
        assert_eq!(
            p.next(Duration::from_millis(1500)),
            PollStep::Sleep(Duration::from_millis(500))
        );
        assert_eq!(
            p.next(secs(2)),
            PollStep::Fetch {
                time_limit: Some(LAST_POLL_TIME)
            }
        );
        p.record(Ok(Notification::of_codes(&[("a@x", "CH_RECEIVED")])), None);
        let PollStep::GiveUp(e) = p.next(secs(3)) else {
            panic!("expected to give up")
        };
        assert_eq!(e.reason(), Some("deadline_exceeded"));
        assert!(e.message().contains("a@x is at CH_RECEIVED"), "{e}");
        assert!(e.message().contains("(2 polls)"), "{e}");
        assert_eq!(
            p.last_notification(),
            Some(&Notification::of_codes(&[("a@x", "CH_RECEIVED")]))
        );
    }

    #[test]
    fn fetch_failures_have_their_names_and_kinds() {
        for f in FetchFailure::ALL {
            assert_eq!(FetchFailure::from_name(f.name()).unwrap(), f);
        }
        let e = FetchFailure::from_name("dns").unwrap_err();
        assert_eq!(e.reason(), Some("unknown_fetch_failure"));
        let e = FetchFailure::Network.error("https://h/v1", "boom\x1b[31m");
        assert_eq!((e.kind(), e.transient()), (ErrorKind::Connection, true));
        assert!(!e.message().contains('\x1b'), "{e}");
        let e = FetchFailure::Redirect.error("u", "");
        assert_eq!((e.reason(), e.transient()), (Some("redirect"), false));
    }
}
