//! Speed of the sans-I/O SMTP engine: dot-stuffing a 1 MiB body, one whole pipelined
//! transaction (commands out, replies in) with DATA and with BDAT, and a batch of 16
//! transactions in flight (BDAT), without sockets.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use email365::message::Envelope;
use email365::smtp::{dot, Action, Engine, EngineConfig, MessageNeeds, TlsMode};
use std::hint::black_box;

fn body(len: usize) -> Vec<u8> {
    let line = b"The quick brown fox jumps over the lazy dog. 0123456789 abcdefghij\r\n.dot\n";
    line.iter().copied().cycle().take(len).collect()
}

fn envelope() -> Envelope {
    Envelope {
        mail_from: "from@example.com".into(),
        rcpt_to: vec!["a@example.net".into(), "b@example.net".into()],
    }
}

/// An engine (implicit TLS) that has read the greeting and EHLO answer `session`.
fn engine(session: &[u8]) -> Engine {
    let mut e = Engine::new(EngineConfig {
        tls: TlsMode::Implicit,
        ..EngineConfig::default()
    })
    .expect("engine");
    e.feed(session).expect("session");
    e
}

/// How many bytes the engine has to write, taken out of it.
fn written(e: &mut Engine) -> usize {
    let mut written = 0;
    while let Some(a) = e.poll() {
        if let Action::Write(o) = a {
            written += o.bytes.len();
        }
    }
    written
}

fn bench(c: &mut Criterion) {
    let mib = body(1 << 20);
    let mut g = c.benchmark_group("smtp");
    g.throughput(Throughput::Bytes(mib.len() as u64));
    g.bench_function("dot_encode_1mib", |b| {
        b.iter(|| dot::encode(black_box(&mib)))
    });
    g.finish();

    let msg = body(4096);
    let env = envelope();
    c.bench_function("smtp/transaction_4kib_pipelined", |b| {
        b.iter(|| {
            let mut e = engine(b"220 mx\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 10000000\r\n");
            e.send_message(&env, &msg, MessageNeeds::default())
                .expect("send");
            e.feed(b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 2.0.0 Ok: queued as 1\r\n")
                .expect("replies");
            black_box(written(&mut e))
        })
    });
}

fn bench_bdat(c: &mut Criterion) {
    let msg = body(4096);
    let env = envelope();
    let session = b"220 mx\r\n250-mx\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SIZE 10000000\r\n";
    c.bench_function("smtp/transaction_4kib_bdat", |b| {
        b.iter(|| {
            let mut e = engine(session);
            e.send_message(&env, &msg, MessageNeeds::default())
                .expect("send");
            e.feed(b"250 ok\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as 10000001\r\n")
                .expect("replies");
            black_box(written(&mut e))
        })
    });
    let mut replies =
        b"250 ok\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as 10000001\r\n".to_vec();
    for _ in 1..16 {
        replies.extend_from_slice(
            b"250 r\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 2.0.0 Ok: queued as 10000001\r\n",
        );
    }
    c.bench_function("smtp/batch_16x4kib_bdat", |b| {
        b.iter(|| {
            let mut e = engine(session);
            for i in 0..16 {
                e.batch_add(i, &env, &msg, MessageNeeds::default())
                    .expect("add");
            }
            e.batch_start(16).expect("start");
            e.feed(&replies).expect("replies");
            let done = e.take_finished();
            assert_eq!(done.len(), 16);
            black_box((written(&mut e), done))
        })
    });
}

criterion_group!(benches, bench, bench_bdat);
criterion_main!(benches);
