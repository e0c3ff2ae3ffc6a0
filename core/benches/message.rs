//! Message building: email365 against mail-builder called directly and lettre's
//! builder, on the same three standard messages (text + HTML with no attachment, with
//! a 100 KiB attachment, with a 1 MiB attachment).
//!
//! cargo bench -p email365 --bench message -- --warm-up-time 1 --measurement-time 3

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

const TEXT: &str = "Hello Alice,\r\n\r\nyour order 12345 has shipped. It should arrive within three working days.\r\n\r\nKind regards,\r\nThe Shop\r\n";
const HTML: &str = "<html><body><p>Hello Alice,</p><p>your order <b>12345</b> has shipped. It should arrive within three working days.</p><p>Kind regards,<br>The Shop</p></body></html>";
const DATE: i64 = 1_795_867_200;

fn attachment(size: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9u32;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn email365(data: Option<&[u8]>) -> Vec<u8> {
    let mut b = email365::message::MessageBuilder::new()
        .from("Shop <shop@example.com>")
        .to("alice@example.org")
        .subject("Your order has shipped")
        .text(TEXT)
        .html(HTML)
        .message_id("<order-12345@example.com>")
        .date_unix(DATE);
    if let Some(data) = data {
        b = b.attachment(
            email365::message::Attachment::new("invoice.pdf", data).content_type("application/pdf"),
        );
    }
    b.build().unwrap().bytes
}

fn mail_builder(data: Option<&[u8]>) -> Vec<u8> {
    let mut b = mail_builder::MessageBuilder::new()
        .from(("Shop", "shop@example.com"))
        .to("alice@example.org")
        .subject("Your order has shipped")
        .text_body(TEXT)
        .html_body(HTML)
        .date(DATE)
        .message_id("order-12345@example.com");
    if let Some(data) = data {
        // The same Content-Type as email365 writes (it adds the `name` parameter).
        b = b.attachment(
            mail_builder::headers::content_type::ContentType::new("application/pdf")
                .attribute("name", "invoice.pdf"),
            "invoice.pdf",
            data,
        );
    }
    b.write_to_vec().unwrap()
}

fn lettre(data: Option<&[u8]>) -> Vec<u8> {
    use lettre::message::{header::ContentType, Attachment, MultiPart};
    let alternative = MultiPart::alternative_plain_html(TEXT.to_string(), HTML.to_string());
    let body = match data {
        Some(data) => MultiPart::mixed().multipart(alternative).singlepart(
            Attachment::new("invoice.pdf".to_string()).body(
                data.to_vec(),
                ContentType::parse("application/pdf").unwrap(),
            ),
        ),
        None => alternative,
    };
    lettre::Message::builder()
        .from("Shop <shop@example.com>".parse().unwrap())
        .to("alice@example.org".parse().unwrap())
        .subject("Your order has shipped")
        .message_id(Some("<order-12345@example.com>".to_string()))
        .date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(DATE as u64))
        .multipart(body)
        .unwrap()
        .formatted()
}

const MESSAGES: [(&str, usize); 3] = [
    ("text_html", 0),
    ("attach_100k", 100 * 1024),
    ("attach_1m", 1024 * 1024),
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("message");
    for (name, size) in MESSAGES {
        let data = attachment(size);
        let data = (size > 0).then_some(data.as_slice());
        group.throughput(Throughput::Bytes(email365(data).len() as u64));
        group.bench_with_input(BenchmarkId::new("email365", name), &data, |b, d| {
            b.iter(|| email365(black_box(*d)))
        });
        group.bench_with_input(BenchmarkId::new("mail_builder", name), &data, |b, d| {
            b.iter(|| mail_builder(black_box(*d)))
        });
        group.bench_with_input(BenchmarkId::new("lettre", name), &data, |b, d| {
            b.iter(|| lettre(black_box(*d)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

/// `MESSAGE_BENCH_LOOP=<builder>/<message>/<n>` (builder `email365`, `mail_builder` or
/// `lettre`) builds that message `n` times and exits, without criterion: run it under
/// `valgrind --tool=callgrind` with two values of `n` and divide the difference of the
/// instruction counts by the difference of `n` for an exact per-message count.
/// `<n>` = `show` prints the message instead (with a 16-byte attachment).
fn count_loop(spec: &str) {
    let parts: Vec<&str> = spec.split('/').collect();
    let [builder, message, n] = parts[..] else {
        panic!("MESSAGE_BENCH_LOOP={spec:?}: expected <builder>/<message>/<n>");
    };
    let size = MESSAGES
        .iter()
        .find(|(name, _)| *name == message)
        .unwrap_or_else(|| panic!("unknown message {message:?}"))
        .1;
    let build: fn(Option<&[u8]>) -> Vec<u8> = match builder {
        "email365" => email365,
        "mail_builder" => mail_builder,
        "lettre" => lettre,
        _ => panic!("unknown builder {builder:?}"),
    };
    if n == "show" {
        // The message with a 16-byte attachment, to compare what each side writes.
        let data = (size > 0).then_some(&b"%PDF-1.7 example"[..]);
        println!("{}", String::from_utf8_lossy(&build(data)));
        return;
    }
    let n: usize = n.parse().expect("a count");
    let data = attachment(size);
    let data = (size > 0).then_some(data.as_slice());
    let mut total = 0;
    for _ in 0..n {
        total += black_box(build(black_box(data))).len();
    }
    println!("{builder}/{message}: {n} messages, {total} bytes");
}

fn main() {
    if let Ok(spec) = std::env::var("MESSAGE_BENCH_LOOP") {
        count_loop(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
