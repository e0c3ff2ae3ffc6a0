//! Status parsing speed: `parse_status` on a ~1 MiB response (generated here: many
//! events for a few recipients) against plain `serde_json::from_str::<Value>` on the
//! same text. Figures go to docs/PERFORMANCE.md (`## Status parsing`).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use email365::status::parse_status;
use std::hint::black_box;

/// A response of at least `size` bytes, with the service's field set and layout.
fn response(size: usize) -> String {
    let codes = ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_SENT"];
    let mut body =
        String::from(r#"{"Notification": {"notificationId": "100000009020772", "status": ["#);
    let mut i = 0usize;
    while body.len() < size {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            "\n  {{\"statusCode\": \"{}\", \"statusText\": \"Successful\", \"channel\": \"email\", \
             \"recipient\": \"email:name{}@customer.com\", \"timestamp\": \"2015-03-08 14:{:02}:{:02}.{:03}\"}}",
            codes[i % 4],
            i / 4 % 50,
            i / 60 % 60,
            i % 60,
            i % 1000
        ));
        i += 1;
    }
    body.push_str("\n]}}");
    body
}

fn bench(c: &mut Criterion) {
    let body = response(1 << 20);
    let events = parse_status(&body)
        .expect("the generated response parses")
        .events
        .len();
    let mut group = c.benchmark_group(format!("status_1MiB_{events}_events"));
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("parse_status", |b| {
        b.iter(|| parse_status(black_box(&body)).expect("parses"))
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&body)).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
