//! Unit tests of the blocking status client: the wait loop with a fake clock, origins,
//! the builder's checks.

use super::*;

struct FakeClock {
    now: Instant,
    slept: Vec<Duration>,
}

impl FakeClock {
    fn new() -> Self {
        FakeClock {
            now: Instant::now(),
            slept: Vec::new(),
        }
    }
}

impl PollClock for FakeClock {
    fn now(&mut self) -> Instant {
        self.now
    }
    fn sleep(&mut self, d: Duration) {
        self.slept.push(d);
        self.now += d;
    }
}

fn ok(n: Notification) -> StatusAttempt {
    StatusAttempt {
        result: Ok(n),
        http_status: Some(200),
        retry_after: None,
    }
}

fn transient(retry_after: Option<Duration>) -> StatusAttempt {
    StatusAttempt {
        result: Err(Error::new(ErrorKind::StatusHttp, "503").with_transient(true)),
        http_status: Some(503),
        retry_after,
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// `wait_loop` with the default plan for notification "1" (`recipient`'s events) whose
/// every poll answers `codes`.
fn wait_answering(
    recipient: Option<&str>,
    deadline: Duration,
    clock: &mut FakeClock,
    codes: &[(&str, &str)],
) -> Result<Notification> {
    wait_loop(&PollPlan::DEFAULT, "1", recipient, deadline, clock, |_| {
        ok(Notification::of_codes(codes))
    })
}

#[test]
fn waits_follow_the_plan_until_final() {
    let mut clock = FakeClock::new();
    let mut script = vec![
        ok(Notification::of_codes(&[("a@x", "CAAS_RECEIVED")])),
        ok(Notification::of_codes(&[("a@x", "CAAS_SENT")])),
        transient(None),
        ok(Notification::of_codes(&[("a@x", "CH_SENT")])),
    ]
    .into_iter();
    let n = wait_loop(&PollPlan::DEFAULT, "1", None, secs(60), &mut clock, |_| {
        script.next().unwrap()
    })
    .unwrap();
    assert!(n.all_final());
    assert_eq!(clock.slept, vec![secs(1), secs(2), secs(4)]);
}

#[test]
fn retry_after_lengthens_the_wait() {
    let mut clock = FakeClock::new();
    let mut script = vec![
        transient(Some(secs(7))),
        ok(Notification::of_codes(&[("a@x", "CH_SENT")])),
    ]
    .into_iter();
    wait_loop(&PollPlan::DEFAULT, "1", None, secs(60), &mut clock, |_| {
        script.next().unwrap()
    })
    .unwrap();
    assert_eq!(clock.slept, vec![secs(7)]);
}

#[test]
fn recipient_filter_stops_at_that_recipient() {
    let mut clock = FakeClock::new();
    let codes = [("a@x", "CH_SENT"), ("b@x", "CAAS_SENT")];
    let n = wait_answering(Some("A@X"), secs(60), &mut clock, &codes);
    // Local parts are exact: `A@X` is not `a@x`, so this one never ends.
    assert_eq!(n.unwrap_err().kind(), ErrorKind::Timeout);
    let mut clock = FakeClock::new();
    let n = wait_answering(Some("a@X"), secs(60), &mut clock, &codes).unwrap();
    assert!(!n.all_final());
    assert!(clock.slept.is_empty());
}

#[test]
fn deadline_gives_a_last_poll_then_a_timeout_with_the_state() {
    let mut clock = FakeClock::new();
    let mut remaining_seen = Vec::new();
    let err = wait_loop(
        &PollPlan::DEFAULT,
        "42",
        None,
        secs(10),
        &mut clock,
        |rem| {
            remaining_seen.push(rem);
            ok(Notification::of_codes(&[
                ("a@x", "CH_RECEIVED"),
                ("b@x", "CH_BOUNCED"),
            ]))
        },
    )
    .unwrap_err();
    // 1 + 2 + 4 = 7 s, then 3 s to the deadline for a last poll.
    assert_eq!(clock.slept, vec![secs(1), secs(2), secs(4), secs(3)]);
    assert_eq!(remaining_seen.last(), Some(&Some(LAST_POLL_TIME)));
    assert_eq!(remaining_seen.first(), Some(&Some(secs(10))));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.reason(), Some("deadline_exceeded"));
    assert!(err.message().contains("notification 42"), "{err}");
    assert!(err.message().contains("a@x at CH_RECEIVED"), "{err}");
    assert!(err.message().contains("b@x at CH_BOUNCED (final)"), "{err}");
    assert!(err.message().contains("5 polls"), "{err}");
}

#[test]
fn a_retry_after_beyond_the_deadline_ends_the_wait_at_once() {
    let mut clock = FakeClock::new();
    let err = wait_loop(&PollPlan::DEFAULT, "1", None, secs(10), &mut clock, |_| {
        transient(Some(secs(60)))
    })
    .unwrap_err();
    assert!(clock.slept.is_empty());
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("last poll failed"), "{err}");
}

#[test]
fn permanent_errors_end_the_wait() {
    let mut clock = FakeClock::new();
    let err = wait_loop(&PollPlan::DEFAULT, "1", None, secs(10), &mut clock, |_| {
        StatusAttempt {
            result: Err(Error::new(ErrorKind::Auth, "no")),
            http_status: Some(401),
            retry_after: None,
        }
    })
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(clock.slept.is_empty());
}

#[test]
fn not_found_is_polled_until_the_deadline() {
    let mut clock = FakeClock::new();
    let mut polls = 0;
    let err = wait_loop(&PollPlan::DEFAULT, "1", None, secs(3), &mut clock, |_| {
        polls += 1;
        ok(Notification::default())
    })
    .unwrap_err();
    assert_eq!(polls, 3);
    assert_eq!(clock.slept, vec![secs(1), secs(2)]);
    assert!(err.message().contains("does not know"), "{err}");
}

#[test]
fn zero_deadline_polls_once() {
    let mut clock = FakeClock::new();
    let n = wait_answering(None, Duration::ZERO, &mut clock, &[("a@x", "CH_SENT")]).unwrap();
    assert!(n.all_final());
    let err =
        wait_answering(None, Duration::ZERO, &mut clock, &[("a@x", "CAAS_SENT")]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[test]
fn hosts_of_origins() {
    assert_eq!(origin_host("http://127.0.0.1:80/v1/a"), "127.0.0.1");
    assert_eq!(origin_host("http://[::1]:80/v1/a"), "[::1]");
    assert_eq!(
        origin_host("https://eu.email.sdi.sinch.com/v1"),
        "eu.email.sdi.sinch.com"
    );
}

#[test]
fn builder_checks_its_arguments() {
    let builder = || StatusClient::builder("acc", "user", "pw");
    let refused = [
        (
            builder().region("eu").base_url("http://127.0.0.1:1"),
            "conflicting_arguments",
        ),
        (
            StatusClient::builder("acc", "us:er", "pw"),
            "invalid_username",
        ),
        (builder().request_timeout(Duration::ZERO), "invalid_timeout"),
        (builder().extra_ca_pem("not pem"), "invalid_ca_file"),
        (
            builder().extra_ca_file("/nonexistent/ca.pem"),
            "invalid_ca_file",
        ),
    ];
    for (b, reason) in refused {
        let e = b.build().unwrap_err();
        assert_eq!(e.reason(), Some(reason), "{e}");
    }
    let c = StatusClient::builder("acc", "user", "s3cr3t-pw")
        .base_url("http://127.0.0.1:1")
        .build()
        .unwrap();
    let dbg = format!("{c:?}");
    assert!(
        !dbg.contains("s3cr3t-pw") && dbg.contains("<redacted>"),
        "{dbg}"
    );
}
