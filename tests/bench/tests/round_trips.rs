//! Round trips per message through the delay proxy for real clients: lettre (no
//! PIPELINING: MAIL, each RCPT, DATA and the data wait for their replies) and email365
//! (pipelined: at most 3 today — the RSET probe of a reused connection, MAIL+RCPT…+DATA,
//! the data — whatever the number of recipients; 2 or 1 once BDAT and send_many land).

use email365::smtp::{SmtpClient, SmtpOptions, TlsMode};
use email365_bench::proxy::Proxy;
use email365_bench::sink::{Sink, SinkOptions};
use email365_bench::workload;
use std::time::Duration;

fn email365_turns(rcpts: usize, messages: usize) -> (f64, usize) {
    let sink = Sink::start(SinkOptions::default()).unwrap();
    let proxy = Proxy::start(sink.addr(), Duration::from_millis(1)).unwrap();
    let message = workload::message(rcpts).unwrap();
    let options = SmtpOptions::new("127.0.0.1")
        .port(proxy.addr().port())
        .tls(TlsMode::InsecurePlaintext);
    let mut client = SmtpClient::new(options).unwrap();
    client.send(&message).unwrap();
    let t0 = proxy.total_turns();
    for _ in 0..messages {
        let d = client.send(&message).unwrap();
        assert_eq!(d.accepted.len(), rcpts);
        assert!(d.notification_id.is_some());
    }
    let turns = proxy.total_turns() - t0;
    client.quit().unwrap();
    (turns as f64 / messages as f64, sink.accepted().len())
}

#[test]
fn email365_needs_at_most_three_round_trips_per_message_whatever_the_recipients() {
    for rcpts in [1, 10] {
        let (per_message, accepted) = email365_turns(rcpts, 20);
        assert!(per_message <= 3.0, "{rcpts} rcpts: {per_message}");
        assert!(per_message >= 1.0, "{rcpts} rcpts: {per_message}");
        assert_eq!(accepted, 21);
    }
}

#[test]
fn lettre_waits_for_every_reply() {
    let sink = Sink::start(SinkOptions::default()).unwrap();
    let proxy = Proxy::start(sink.addr(), Duration::from_millis(1)).unwrap();
    for rcpts in [1usize, 10] {
        let message = workload::message(rcpts).unwrap();
        let (mut conn, envelope) =
            workload::lettre_session(proxy.addr(), Duration::from_secs(10), rcpts).unwrap();
        let t0 = proxy.total_turns();
        for _ in 0..5 {
            conn.send(&envelope, &message.bytes).unwrap();
        }
        let turns = proxy.total_turns() - t0;
        // MAIL, each RCPT, DATA, the data.
        assert_eq!(turns, 5 * (rcpts as u64 + 3), "{rcpts} rcpts");
        conn.quit().unwrap();
    }
    assert_eq!(sink.accepted().len(), 10);
}
