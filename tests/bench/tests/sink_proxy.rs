//! The sink and the delay proxy, driven by raw sockets: the sink's replies and log for a
//! pipelined session (DATA with dot-stuffing, BDAT with LAST), its faults, and the proxy's
//! byte-exactness, delay and round-trip count.

use email365_bench::proxy::Proxy;
use email365_bench::sink::{Faults, Sink, SinkOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Reads one (possibly multi-line) reply; returns its lines.
fn reply(r: &mut BufReader<TcpStream>) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let mut l = String::new();
        if r.read_line(&mut l).unwrap() == 0 {
            panic!("connection closed; lines so far: {lines:?}");
        }
        let done = l.as_bytes().get(3) != Some(&b'-');
        lines.push(l.trim_end().to_string());
        if done {
            return lines;
        }
    }
}

fn code(r: &mut BufReader<TcpStream>) -> String {
    reply(r).last().unwrap()[..3].to_string()
}

fn connect(addr: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(addr).unwrap();
    // Pieces written without waiting must leave at once (no Nagle hold-back), or the
    // proxy rightly sees them arrive after the server's reply.
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let r = BufReader::new(s.try_clone().unwrap());
    (s, r)
}

#[test]
fn sink_accepts_pipelined_data_and_bdat_and_logs_each_message_with_its_id() {
    let sink = Sink::start(SinkOptions::default()).unwrap();
    let (mut w, mut r) = connect(sink.addr());
    assert_eq!(code(&mut r), "220");
    w.write_all(b"EHLO c.example\r\n").unwrap();
    let ehlo = reply(&mut r);
    for cap in ["PIPELINING", "CHUNKING", "8BITMIME", "SMTPUTF8", "SIZE"] {
        assert!(
            ehlo.iter().any(|l| l[4..].starts_with(cap)),
            "{cap}: {ehlo:?}"
        );
    }
    w.write_all(b"MAIL FROM:<a@x.example> SIZE=30\r\nRCPT TO:<b@y.example>\r\nRCPT TO:<c@y.example>\r\nDATA\r\n")
        .unwrap();
    assert_eq!(code(&mut r), "250");
    assert_eq!(code(&mut r), "250");
    assert_eq!(code(&mut r), "250");
    assert_eq!(code(&mut r), "354");
    w.write_all(b"Message-ID: <m1@x>\r\n\r\n..dot\r\nline\r\n.\r\n")
        .unwrap();
    let first = reply(&mut r).remove(0);
    assert!(first.starts_with("250 2.0.0 Ok: queued as "), "{first}");
    let body = b"Message-ID: <m2@x>\r\n\r\nhello\r\n";
    let mut cmd = b"MAIL FROM:<a@x.example>\r\nRCPT TO:<d@y.example>\r\nBDAT 10\r\n".to_vec();
    cmd.extend_from_slice(&body[..10]);
    cmd.extend_from_slice(format!("BDAT {} LAST\r\n", body.len() - 10).as_bytes());
    cmd.extend_from_slice(&body[10..]);
    cmd.extend_from_slice(b"RSET\r\nNOOP\r\nQUIT\r\n");
    w.write_all(&cmd).unwrap();
    assert_eq!(code(&mut r), "250");
    assert_eq!(code(&mut r), "250");
    assert_eq!(reply(&mut r), vec!["250 2.0.0 10 octets received"]);
    let second = reply(&mut r).remove(0);
    assert!(second.starts_with("250 2.0.0 Ok: queued as "), "{second}");
    assert_eq!(code(&mut r), "250");
    assert_eq!(code(&mut r), "250");
    assert_eq!(code(&mut r), "221");
    let log = sink.accepted();
    assert_eq!(log.len(), 2);
    assert!(first.ends_with(&log[0].id));
    assert!(second.ends_with(&log[1].id));
    assert_ne!(log[0].id, log[1].id);
    assert_eq!(log[0].mail_from, "a@x.example");
    assert_eq!(log[0].rcpt_to, vec!["b@y.example", "c@y.example"]);
    assert_eq!(
        log[0].size,
        b"Message-ID: <m1@x>\r\n\r\n.dot\r\nline\r\n".len()
    );
    assert_eq!(log[0].message_id.as_deref(), Some("<m1@x>"));
    assert_eq!(log[1].rcpt_to, vec!["d@y.example"]);
    assert_eq!(log[1].size, body.len());
    assert_eq!(log[1].message_id.as_deref(), Some("<m2@x>"));
    let dir = std::env::temp_dir().join(format!("sink-log-{}", std::process::id()));
    sink.dump(&dir).unwrap();
    let text = std::fs::read_to_string(&dir).unwrap();
    let _ = std::fs::remove_file(&dir);
    assert!(text.starts_with(&format!(
        "{}, a@x.example, b@y.example c@y.example, 34, <m1@x>\n",
        log[0].id
    )));
}

#[test]
fn sink_without_chunking_or_pipelining_offers_neither_and_refuses_bdat() {
    let sink = Sink::start(SinkOptions {
        pipelining: false,
        chunking: false,
        ..SinkOptions::default()
    })
    .unwrap();
    let (mut w, mut r) = connect(sink.addr());
    reply(&mut r);
    w.write_all(b"EHLO c\r\n").unwrap();
    let ehlo = reply(&mut r);
    assert!(!ehlo
        .iter()
        .any(|l| l.contains("PIPELINING") || l.contains("CHUNKING")));
    w.write_all(b"MAIL FROM:<a@x>\r\n").unwrap();
    assert_eq!(code(&mut r), "250");
    w.write_all(b"RCPT TO:<b@y>\r\n").unwrap();
    assert_eq!(code(&mut r), "250");
    w.write_all(b"BDAT 3 LAST\r\nabcNOOP\r\n").unwrap();
    assert_eq!(code(&mut r), "502");
    assert_eq!(code(&mut r), "250");
    assert!(sink.accepted().is_empty());
}

#[test]
fn sink_refuses_with_451_and_sequences_pipelined_refusals() {
    let sink = Sink::start(SinkOptions {
        faults: Faults {
            reject_451: 1.0,
            ..Faults::default()
        },
        ..SinkOptions::default()
    })
    .unwrap();
    let (mut w, mut r) = connect(sink.addr());
    reply(&mut r);
    w.write_all(b"EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n")
        .unwrap();
    reply(&mut r);
    assert_eq!(code(&mut r), "451");
    assert_eq!(code(&mut r), "503");
    assert_eq!(code(&mut r), "503");
    assert_eq!(sink.stats().rejected_451, 1);
    assert!(sink.accepted().is_empty());
}

/// Sends messages on one connection until the sink closes it; returns how many got a 250.
fn send_until_closed(addr: SocketAddr, max: usize) -> (usize, bool) {
    let (mut w, mut r) = connect(addr);
    let mut ok = 0;
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return (0, true);
    }
    let script: &[u8] = b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n";
    if w.write_all(b"EHLO c\r\n").is_err() {
        return (0, true);
    }
    let read = |r: &mut BufReader<TcpStream>| -> Option<Vec<String>> {
        let mut lines = Vec::new();
        loop {
            let mut l = String::new();
            match r.read_line(&mut l) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let done = l.as_bytes().get(3) != Some(&b'-');
            lines.push(l);
            if done {
                return Some(lines);
            }
        }
    };
    if read(&mut r).is_none() {
        return (0, true);
    }
    for _ in 0..max {
        if w.write_all(script).is_err() {
            return (ok, true);
        }
        let mut refused = false;
        let mut go = false;
        for _ in 0..3 {
            match read(&mut r) {
                None => return (ok, true),
                Some(l) if l[0].starts_with("421") => return (ok, true),
                Some(l) if l[0].starts_with("354") => go = true,
                Some(l) if !l[0].starts_with('2') => refused = true,
                Some(_) => {}
            }
        }
        if refused {
            // A refused transaction is abandoned with RSET (after ending the data if
            // DATA was accepted all the same: the server may then accept it).
            if go {
                if w.write_all(b".\r\n").is_err() {
                    return (ok, true);
                }
                match read(&mut r) {
                    None => return (ok, true),
                    Some(l) if l[0].starts_with("250") => ok += 1,
                    Some(_) => {}
                }
            }
            if w.write_all(b"RSET\r\n").is_err() || read(&mut r).is_none() {
                return (ok, true);
            }
            continue;
        }
        if w.write_all(b"Subject: t\r\n\r\nbody\r\n.\r\n").is_err() {
            return (ok, true);
        }
        match read(&mut r) {
            None => return (ok, true),
            Some(l) if l[0].starts_with("250") => ok += 1,
            Some(l) if l[0].starts_with("421") => return (ok, true),
            Some(_) => {}
        }
    }
    (ok, false)
}

#[test]
fn sink_faults_are_repeatable_for_a_seed_and_drop_or_close_faulted_connections() {
    let faults = Faults {
        seed: 42,
        drop_connections: 0.5,
        close_421: 0.5,
        reject_451: 0.1,
        horizon: 5,
        max_messages: None,
    };
    let run = || {
        let sink = Sink::start(SinkOptions {
            faults: faults.clone(),
            ..SinkOptions::default()
        })
        .unwrap();
        let outcomes: Vec<(usize, bool)> = (0..12)
            .map(|_| send_until_closed(sink.addr(), 30))
            .collect();
        (outcomes, sink.stats())
    };
    let (a, sa) = run();
    let (b, sb) = run();
    assert_eq!(a, b, "same seed, same faults");
    assert_eq!(sa, sb);
    // Every connection is faulted (0.5 drop, then 0.5 of the rest 421): all end early.
    assert!(sa.dropped > 0, "{sa:?}");
    assert!(sa.closed_421 > 0, "{sa:?}");
    assert!(sa.rejected_451 > 0, "{sa:?}");
    assert_eq!(sa.connections, 12);
    assert!(a.iter().filter(|(_, closed)| *closed).count() >= 6, "{a:?}");
}

#[test]
fn sink_closes_with_421_after_the_per_connection_limit() {
    let sink = Sink::start(SinkOptions {
        faults: Faults {
            max_messages: Some(3),
            ..Faults::default()
        },
        ..SinkOptions::default()
    })
    .unwrap();
    assert_eq!(send_until_closed(sink.addr(), 10), (3, true));
    assert_eq!(sink.stats().closed_421, 1);
    assert_eq!(sink.accepted().len(), 3);
}

/// An echo server: every connection gets its bytes back.
fn echo_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let mut w = s.try_clone().unwrap();
                let mut buf = [0u8; 8192];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => {
                            let _ = w.shutdown(std::net::Shutdown::Write);
                            return;
                        }
                        Ok(n) => {
                            if w.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn proxy_passes_every_byte_in_order_both_ways() {
    let proxy = Proxy::start(echo_server(), Duration::from_millis(2)).unwrap();
    let mut s = TcpStream::connect(proxy.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let data: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut reader = s.try_clone().unwrap();
    let expected = data.len();
    let got = std::thread::spawn(move || {
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        out
    });
    for chunk in data.chunks(7919) {
        s.write_all(chunk).unwrap();
    }
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let out = got.join().unwrap();
    assert_eq!(out.len(), expected);
    assert!(out == data, "bytes differ");
    let c = proxy.connections();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].client_bytes, expected as u64);
    assert_eq!(c[0].server_bytes, expected as u64);
}

#[test]
fn proxy_delays_each_direction_without_serialising_the_connection() {
    // Generous bounds: the machine may be loaded; what is checked is that the delay is
    // applied (never less) and that chunks travel together (far below serial time).
    let one_way = Duration::from_millis(100);
    let proxy = Proxy::start(echo_server(), one_way).unwrap();
    let mut s = TcpStream::connect(proxy.addr()).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = [0u8; 1];
    // One round trip: at least 2 x delay.
    let t = Instant::now();
    s.write_all(b"x").unwrap();
    s.read_exact(&mut buf).unwrap();
    let rtt = t.elapsed();
    assert!(rtt >= 2 * one_way, "{rtt:?}");
    assert!(rtt < 2 * one_way + Duration::from_secs(2), "{rtt:?}");
    // Ten writes 5 ms apart, then ten reads: in flight together, so about
    // 45 ms + one RTT (245 ms), where a serialised connection would take 10 RTTs (2 s).
    let t = Instant::now();
    for _ in 0..10 {
        s.write_all(b"y").unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut ten = [0u8; 10];
    s.read_exact(&mut ten).unwrap();
    let all = t.elapsed();
    assert_eq!(&ten, b"yyyyyyyyyy");
    assert!(all >= 2 * one_way, "{all:?}");
    assert!(all < 10 * 2 * one_way * 3 / 4, "{all:?}");
}

#[test]
fn proxy_counts_one_round_trip_per_client_turn() {
    let sink = Sink::start(SinkOptions::default()).unwrap();
    let proxy = Proxy::start(sink.addr(), Duration::from_millis(1)).unwrap();
    let (mut w, mut r) = connect(proxy.addr());
    reply(&mut r);
    // Turn 1: EHLO.
    w.write_all(b"EHLO c\r\n").unwrap();
    reply(&mut r);
    // Turn 2: MAIL, RCPT x3 and DATA pipelined, written in two pieces without waiting.
    w.write_all(b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n")
        .unwrap();
    w.write_all(b"RCPT TO:<c@y>\r\nRCPT TO:<d@y>\r\nDATA\r\n")
        .unwrap();
    for _ in 0..5 {
        reply(&mut r);
    }
    // Turn 3: the data.
    w.write_all(b"Subject: t\r\n\r\nbody\r\n.\r\n").unwrap();
    reply(&mut r);
    // Turn 4: BDAT LAST transaction in one write (MAIL, RCPT, BDAT and the chunk).
    w.write_all(b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 4 LAST\r\nabcd")
        .unwrap();
    for _ in 0..3 {
        reply(&mut r);
    }
    // Turn 5: QUIT.
    w.write_all(b"QUIT\r\n").unwrap();
    assert_eq!(code(&mut r), "221");
    let c = proxy.connections();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].turns, 5);
    assert_eq!(sink.accepted().len(), 2);
}
