//! End-to-end tests of the SDK's SMTP transport (`email365::smtp`) and status client
//! (`email365::http`) against the sandbox started in this process: the life cycle of a
//! notification, scripted recipients (reject, greylist, bounce), expiry, wrong
//! credentials, sender rules, the SIZE limit, connection reuse and byte fidelity.
//!
//! The sandbox clock is advanced instead of sleeping wherever the test does not need
//! the status client's own polling in real time.

use email365::http::StatusClient;
use email365::message::{Attachment, BuiltMessage, MessageBuilder};
use email365::policy::SenderPolicy;
use email365::reply::{Category, Command, Severity};
use email365::smtp::{Delivery, Direction, RecipientReply, SmtpClient, SmtpOptions};
use email365::status::{Notification, PollPlan};
use email365::ErrorKind;
use email365_sandbox::{Config, Sandbox};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3600);

fn sandbox_with(f: impl FnOnce(&mut Config)) -> Sandbox {
    let mut config = Config {
        step: Duration::ZERO,
        ..Config::default()
    };
    f(&mut config);
    Sandbox::start(config).expect("the sandbox starts")
}

/// STARTTLS + AUTH PLAIN to the sandbox, trusting only its CA.
#[path = "../../../core/tests/smtp_support/sandbox.rs"]
mod sandbox;

use sandbox::sandbox_options as smtp_options;

/// Options that record every transcript line (sent lines prefixed `C: `).
fn recorded_options(sb: &Sandbox) -> (SmtpOptions, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let mut options = smtp_options(sb);
    options.transcript = Some(Arc::new(move |direction, line: &str| {
        let prefix = match direction {
            Direction::Sent => "C: ",
            Direction::Received => "S: ",
        };
        if let Ok(mut v) = sink.lock() {
            v.push(format!("{prefix}{line}"));
        }
    }));
    (options, lines)
}

fn status_client(sb: &Sandbox) -> StatusClient {
    status_client_as(sb, &sb.config().username, &sb.config().password)
}

fn status_client_as(sb: &Sandbox, username: &str, password: &str) -> StatusClient {
    StatusClient::builder(sb.config().account_id.clone(), username, password)
        .base_url(sb.http_url())
        .poll_plan(PollPlan {
            initial: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(1),
        })
        .build()
        .expect("the status client builds")
}

fn message(from: &str, to: &[&str]) -> BuiltMessage {
    let mut builder = MessageBuilder::new()
        .from(from)
        .subject("e2e")
        .text("Hello from the end-to-end tests.\n")
        .html("<p>Hello from the <b>end-to-end</b> tests.</p>")
        .attachment(Attachment::new("data.csv", b"a,b\r\n1,2\r\n".as_slice()));
    for t in to {
        builder = builder.to(*t);
    }
    builder.build().expect("the test message builds")
}

fn send(sb: &Sandbox, to: &[&str]) -> email365::Result<email365::smtp::Delivery> {
    let mut client = SmtpClient::new(smtp_options(sb))?;
    client.send(&message("Shop <shop@example.com>", to))
}

fn codes(n: &Notification) -> Vec<&str> {
    n.events.iter().map(|e| e.code.as_str()).collect()
}

#[test]
fn life_cycle_moves_through_every_code_as_the_clock_advances() {
    let step = Duration::from_secs(60);
    let sb = sandbox_with(|c| c.step = step);
    let delivery = send(&sb, &["alice@example.org"]).expect("accepted");
    let id = delivery.notification_id.clone().expect("a notification id");
    assert!(
        id.len() == 14 && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(delivery.final_reply.code, 250);
    assert!(
        delivery
            .final_reply_raw
            .contains(&format!("queued as {id}")),
        "{}",
        delivery.final_reply_raw
    );
    let client = status_client(&sb);

    let expected = ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_SENT"];
    for k in 0..expected.len() {
        if k > 0 {
            sb.advance(step);
        }
        let n = client.get(&id, None).expect("status");
        assert!(n.found);
        assert_eq!(n.notification_id.as_deref(), Some(id.as_str()));
        assert_eq!(codes(&n), expected[..=k], "after {k} steps");
        let states = n.recipients();
        assert_eq!(states.len(), 1);
        assert_eq!(states[0].recipient.as_deref(), Some("alice@example.org"));
        assert_eq!(states[0].is_final, k == 3, "after {k} steps");
        assert_eq!(n.all_final(), k == 3);
        assert!(n
            .events
            .iter()
            .all(|e| e.channel.as_deref() == Some("email")
                && e.text.as_deref() == Some("Successful")));
    }

    // Timestamps are one step apart, in response order.
    let n = client.get(&id, Some("alice@example.org")).expect("status");
    assert_eq!(codes(&n), expected);
    let times: Vec<i64> = n
        .events
        .iter()
        .map(|e| e.timestamp.expect("a timestamp").0)
        .collect();
    for pair in times.windows(2) {
        assert_eq!(pair[1] - pair[0], 60_000, "{times:?}");
    }

    // Already final: the wait returns the final notification at once.
    let n = client
        .wait_for(&id, Some("alice@example.org"), Duration::from_secs(5))
        .expect("final");
    assert_eq!(
        n.latest_for("alice@example.org").map(|e| e.code.as_str()),
        Some("CH_SENT")
    );
}

#[test]
fn waiting_gives_up_at_the_deadline_while_the_state_is_not_final() {
    let sb = sandbox_with(|c| c.step = Duration::from_secs(3600));
    let id = sent_id(&sb, &["alice@example.org"]);
    let err = status_client(&sb)
        .wait_for(&id, None, Duration::from_millis(300))
        .expect_err("never final within 300 ms");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.reason(), Some("deadline_exceeded"));
    assert!(err.message().contains(&id), "{}", err.message());
}

#[test]
fn waiting_follows_the_status_in_real_time_until_final() {
    let sb = sandbox_with(|c| c.step = Duration::from_millis(100));
    let delivery = send(&sb, &["alice@example.org", "bob@example.org"]).expect("accepted");
    let id = delivery.notification_id.expect("id");
    let n = status_client(&sb)
        .wait_for(&id, None, Duration::from_secs(20))
        .expect("final within 20 s");
    assert!(n.all_final());
    let states = n.recipients();
    let finals: Vec<(&str, &str)> = states
        .iter()
        .map(|s| (s.recipient.as_deref().unwrap_or(""), s.latest.code.as_str()))
        .collect();
    assert_eq!(
        finals,
        [
            ("alice@example.org", "CH_SENT"),
            ("bob@example.org", "CH_SENT")
        ]
    );
    assert_eq!(n.events.len(), 8);
}

/// Sends to `to` through the sandbox: the notification id of the accepted message.
fn sent_id(sb: &Sandbox, to: &[&str]) -> String {
    send(sb, to).expect("accepted").notification_id.expect("id")
}

/// The one rejected recipient of `delivery`, checked: `recipient`, with reply `code` and
/// enhanced status `enhanced`.
fn only_rejected<'a>(
    delivery: &'a Delivery,
    recipient: &str,
    code: u16,
    enhanced: &str,
) -> &'a RecipientReply {
    assert_eq!(delivery.rejected.len(), 1, "{delivery:?}");
    let r = &delivery.rejected[0];
    assert_eq!(r.recipient, recipient);
    assert_eq!(r.reply.code, code);
    assert_eq!(
        r.reply.enhanced.map(|e| e.to_string()).as_deref(),
        Some(enhanced)
    );
    r
}

#[test]
fn rejected_recipient_is_reported_and_the_other_still_delivered() {
    let sb = sandbox_with(|_| {});
    let delivery =
        send(&sb, &["alice@example.org", "reject-bob@example.org"]).expect("accepted for one");
    let accepted: Vec<&str> = delivery
        .accepted
        .iter()
        .map(|r| r.recipient.as_str())
        .collect();
    assert_eq!(accepted, ["alice@example.org"]);
    let rejected = only_rejected(&delivery, "reject-bob@example.org", 550, "5.1.1");
    assert!(rejected.reply.text().contains("User unknown"));
    let c = rejected.reply.classify(Some(Command::Rcpt));
    assert_eq!(c.severity, Severity::Permanent);
    assert_eq!(c.category, Some(Category::Addressing));
    assert!(!c.retry);
    assert_eq!(c.description, "Bad destination mailbox address");

    let received = sb.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, ["alice@example.org"]);

    let id = delivery.notification_id.expect("id");
    let client = status_client(&sb);
    let n = client.get(&id, None).expect("status");
    assert!(n.all_final());
    assert!(n
        .events
        .iter()
        .all(|e| e.recipient.as_deref() == Some("alice@example.org")));
    assert_eq!(
        n.latest_for("alice@example.org").map(|e| e.code.as_str()),
        Some("CH_SENT")
    );
    // The rejected recipient has no status at all.
    let n = client
        .get(&id, Some("reject-bob@example.org"))
        .expect("status");
    assert!(n.found);
    assert!(n.events.is_empty());
}

#[test]
fn greylisted_recipient_is_transient() {
    let sb = sandbox_with(|_| {});
    let delivery =
        send(&sb, &["alice@example.org", "greylist-carol@example.org"]).expect("accepted for one");
    assert_eq!(delivery.accepted.len(), 1);
    let r = only_rejected(&delivery, "greylist-carol@example.org", 451, "4.7.1");
    let c = r.reply.classify(Some(Command::Rcpt));
    assert_eq!(c.severity, Severity::Transient);
    assert!(c.retry);
    assert_eq!(c.category, Some(Category::Security));

    // Alone, the greylisted recipient makes the whole submission a transient failure.
    let err = send(&sb, &["greylist-carol@example.org"]).expect_err("nobody accepted");
    assert_eq!(err.kind(), ErrorKind::RecipientsRejected);
    assert!(err.transient());
    assert_eq!(err.replies().len(), 1);
    assert_eq!(err.replies()[0].code, 451);
    assert_eq!(err.replies()[0].enhanced.as_deref(), Some("4.7.1"));
    assert_eq!(
        err.replies()[0].recipient.as_deref(),
        Some("greylist-carol@example.org")
    );
    assert_eq!(sb.messages().len(), 1, "only the first message arrived");
}

#[test]
fn all_recipients_rejected_is_an_error_with_every_reply() {
    let sb = sandbox_with(|_| {});
    let err =
        send(&sb, &["reject-a@example.org", "reject-b@example.org"]).expect_err("nobody accepted");
    assert_eq!(err.kind(), ErrorKind::RecipientsRejected);
    assert!(!err.transient());
    let replies: Vec<(Option<&str>, u16, Option<&str>)> = err
        .replies()
        .iter()
        .map(|r| (r.recipient.as_deref(), r.code, r.enhanced.as_deref()))
        .collect();
    assert_eq!(
        replies,
        [
            (Some("reject-a@example.org"), 550, Some("5.1.1")),
            (Some("reject-b@example.org"), 550, Some("5.1.1")),
        ]
    );
    assert!(sb.messages().is_empty());
    // The connection stays usable after the failed transaction.
    let mut client = SmtpClient::connect(smtp_options(&sb)).expect("connects");
    assert!(client
        .send(&message("shop@example.com", &["reject-a@example.org"]))
        .is_err());
    let ok = client
        .send(&message("shop@example.com", &["alice@example.org"]))
        .expect("the next message goes through");
    assert!(ok.notification_id.is_some());
}

#[test]
fn bounce_recipient_ends_in_ch_bounced() {
    let sb = sandbox_with(|c| c.step = Duration::from_secs(10));
    let delivery =
        send(&sb, &["alice@example.org", "bounce-dave@example.org"]).expect("both accepted");
    assert_eq!(delivery.accepted.len(), 2);
    assert!(delivery.rejected.is_empty());
    let id = delivery.notification_id.expect("id");
    let client = status_client(&sb);
    let n = client
        .get(&id, Some("bounce-dave@example.org"))
        .expect("status");
    assert!(!n.is_final_for("bounce-dave@example.org"));
    sb.advance(Duration::from_secs(30));
    let n = client
        .wait_for(&id, Some("bounce-dave@example.org"), Duration::from_secs(5))
        .expect("final");
    assert_eq!(
        codes(&n),
        ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_BOUNCED"]
    );
    let last = n.events.last().expect("events");
    assert!(last.is_final());
    assert_eq!(last.text.as_deref(), Some("550 5.1.1 mailbox unavailable"));
    let all = client.get(&id, None).expect("status");
    assert!(all.all_final());
    assert_eq!(
        all.latest_for("alice@example.org").map(|e| e.code.as_str()),
        Some("CH_SENT")
    );
}

#[test]
fn notification_expires_after_seven_days() {
    let sb = sandbox_with(|_| {});
    let id = sent_id(&sb, &["alice@example.org"]);
    let client = status_client(&sb);
    let n = client.get(&id, None).expect("status");
    assert!(n.found && n.all_final());

    sb.advance(6 * DAY);
    assert!(client.get(&id, None).expect("status").found, "kept 6 days");

    sb.advance(2 * DAY);
    assert_eq!(sb.status_json(&id, None).to_string(), "{}");
    let n = client.get(&id, None).expect("status");
    assert!(!n.found);
    assert!(n.events.is_empty());
    assert_eq!(n.notification_id, None);
    assert!(!n.all_final());
    // Waiting on an expired notification ends at the deadline, not in success.
    let err = client
        .wait_for(&id, None, Duration::from_millis(200))
        .expect_err("expired");
    assert_eq!(err.kind(), ErrorKind::Timeout);

    // An id the sandbox never gave is not found either.
    assert!(!client.get("12345678901234", None).expect("status").found);
}

#[test]
fn wrong_smtp_credentials_are_an_auth_error() {
    let sb = sandbox_with(|_| {});
    let password = "not-the-sandbox-password-0451";
    let mut options = smtp_options(&sb);
    options = options.credentials(&sb.config().username, password);
    let err = SmtpClient::connect(options).expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Auth);
    let reply = err.reply().expect("the server's reply is attached");
    assert_eq!(reply.code, 535);
    assert_eq!(reply.enhanced.as_deref(), Some("5.7.8"));
    assert!(!err.message().contains(password));
    assert!(!format!("{err:?}").contains(password));
    assert!(sb.messages().is_empty());
}

#[test]
fn wrong_status_credentials_are_an_auth_error() {
    let sb = sandbox_with(|_| {});
    let id = sent_id(&sb, &["alice@example.org"]);
    let password = "wrong-status-password-7731";
    let client = status_client_as(&sb, "sandbox", password);
    let err = client.get(&id, None).expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.transient());
    assert!(!err.message().contains(password));
    assert!(!format!("{err:?}").contains(password));
    assert!(!format!("{client:?}").contains(password));
    // The wait loop does not retry an authentication failure.
    let err = client
        .wait_for(&id, None, Duration::from_secs(30))
        .expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Auth);
    // The right credentials still work.
    assert!(status_client(&sb).get(&id, None).expect("status").found);
}

#[test]
fn unregistered_sender_is_refused_by_the_sandbox_at_mail() {
    let sb = sandbox_with(|_| {});
    let mut client = SmtpClient::new(smtp_options(&sb)).expect("client");
    let err = client
        .send(&message(
            "someone@unregistered.example",
            &["alice@example.org"],
        ))
        .expect_err("550 5.7.1");
    assert_eq!(err.kind(), ErrorKind::SmtpPermanent);
    assert!(!err.transient());
    let reply = err.reply().expect("reply attached");
    assert_eq!(reply.code, 550);
    assert_eq!(reply.enhanced.as_deref(), Some("5.7.1"));
    assert!(reply.text.contains("not registered"), "{}", reply.text);
    assert!(sb.messages().is_empty());
}

#[test]
fn sender_policy_refuses_an_unregistered_sender_before_connecting() {
    let sb = sandbox_with(|_| {});
    let policy = SenderPolicy::new(&sb.config().sender_domains, &sb.config().sender_addresses)
        .expect("policy");
    let err = MessageBuilder::new()
        .from("someone@unregistered.example")
        .to("alice@example.org")
        .subject("x")
        .text("x")
        .sender_policy(policy.clone())
        .build()
        .expect_err("not registered");
    assert_eq!(err.kind(), ErrorKind::SenderNotRegistered);
    assert!(err.message().contains("unregistered.example"));
    // A registered sender passes the same policy and the sandbox accepts it.
    let ok = MessageBuilder::new()
        .from("shop@example.com")
        .to("alice@example.org")
        .subject("x")
        .text("x")
        .sender_policy(policy)
        .build()
        .expect("registered");
    let (options, lines) = recorded_options(&sb);
    let mut client = SmtpClient::new(options).expect("client");
    assert!(lines.lock().expect("lock").is_empty(), "no connection yet");
    client.send(&ok).expect("accepted");
    assert_eq!(sb.messages().len(), 1);
}

#[test]
fn message_larger_than_the_size_limit_is_refused_before_mail() {
    let sb = sandbox_with(|c| c.size_limit = 4096);
    let big = MessageBuilder::new()
        .from("shop@example.com")
        .to("alice@example.org")
        .subject("big")
        .text("see the attachment")
        .attachment(Attachment::new("big.bin", vec![0x5a_u8; 8000]))
        .build()
        .expect("builds");
    assert!(big.size() > 4096);
    let (options, lines) = recorded_options(&sb);
    let mut client = SmtpClient::connect(options).expect("connects");
    assert_eq!(client.capabilities().and_then(|c| c.size), Some(4096));
    let err = client.send(&big).expect_err("too large");
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
    let sent = lines.lock().expect("lock").clone();
    assert!(
        !sent.iter().any(|l| l.starts_with("C: MAIL")),
        "no MAIL FROM was sent: {sent:?}"
    );
    assert!(sb.messages().is_empty());
    // The session is still good for a message within the limit.
    let small = message("shop@example.com", &["alice@example.org"]);
    client.send(&small).expect("accepted");
    let sent = lines.lock().expect("lock").clone();
    let mail: Vec<&String> = sent.iter().filter(|l| l.starts_with("C: MAIL")).collect();
    assert_eq!(mail.len(), 1, "{sent:?}");
    assert!(
        mail[0].contains(&format!("SIZE={}", small.size())),
        "{}",
        mail[0]
    );
}

#[test]
fn several_messages_go_over_one_connection() {
    let sb = sandbox_with(|_| {});
    let (options, lines) = recorded_options(&sb);
    let mut client = SmtpClient::connect(options).expect("connects");
    let messages: Vec<BuiltMessage> = (0..3)
        .map(|i| {
            MessageBuilder::new()
                .from("shop@example.com")
                .to(format!("customer{i}@example.org"))
                .subject(format!("message {i}"))
                .text(format!("body {i}"))
                .build()
                .expect("builds")
        })
        .collect();
    let mut ids = Vec::new();
    for m in &messages {
        let d = client.send(m).expect("accepted");
        ids.push(
            d.notification_id
                .expect("id")
                .parse::<u64>()
                .expect("numeric"),
        );
    }
    client.quit().expect("quit");
    assert_eq!(ids[1], ids[0] + 1);
    assert_eq!(ids[2], ids[1] + 1);
    let sent = lines.lock().expect("lock").clone();
    let count = |prefix: &str| sent.iter().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("C: STARTTLS"), 1, "{sent:?}");
    assert_eq!(count("C: AUTH"), 1, "{sent:?}");
    assert_eq!(count("C: EHLO"), 2, "before and after TLS: {sent:?}");
    assert_eq!(count("C: MAIL"), 3);
    assert_eq!(count("C: QUIT"), 1);
    let received = sb.messages();
    assert_eq!(received.len(), 3);
    for (i, (r, m)) in received.iter().zip(&messages).enumerate() {
        assert_eq!(r.notification_id, ids[i].to_string());
        assert_eq!(r.rcpt_to, m.envelope.rcpt_to);
        assert_eq!(r.data, m.bytes);
    }
}

#[test]
fn the_sandbox_receives_exactly_the_built_bytes() {
    let sb = sandbox_with(|_| {});
    // Lines the transport must dot-stuff, bare CR and LF to normalise, 8-bit text,
    // and a binary attachment.
    let text = ".\nline\r.. two dots\rbare CR\n.\r\n.end\nGrüße, 東京\n";
    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let built = MessageBuilder::new()
        .from("Shöp <shop@example.com>")
        .to("alice@example.org")
        .cc("carol@example.org")
        .bcc("audit@example.org")
        .subject("Bytes — exactly")
        .text(text)
        .html("<p>.<br>..</p>")
        .attachment(Attachment::new("all-bytes.bin", binary))
        .build()
        .expect("builds");
    let mut client = SmtpClient::new(smtp_options(&sb)).expect("client");
    let delivery = client.send(&built).expect("accepted");
    let received = sb.messages();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(Some(&r.notification_id), delivery.notification_id.as_ref());
    assert_eq!(r.mail_from, "shop@example.com");
    assert_eq!(
        r.rcpt_to,
        [
            "alice@example.org",
            "carol@example.org",
            "audit@example.org"
        ]
    );
    assert_eq!(r.data.len(), built.size());
    assert!(
        r.data == built.bytes,
        "the received bytes differ from the built ones"
    );
    assert!(
        !String::from_utf8_lossy(&r.data).contains("audit@"),
        "no Bcc header"
    );
    assert_eq!(r.body_8bitmime, built.eight_bit);
}
