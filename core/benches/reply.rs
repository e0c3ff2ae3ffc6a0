//! Reply parsing and classification speed: `Reply::parse` + `classify` on a set of
//! typical replies (single-line, multi-line refusals, EHLO lists), the incremental
//! `ReplyReader`, notification id extraction, and stalwart's `smtp-proto` response
//! parser on the same bytes as a peer.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use email365::notification_id::extract_notification_id;
use email365::reply::{Command, Reply, ReplyReader};
use std::hint::black_box;

const REPLIES: &[&str] = &[
    "220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n",
    "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
    "235 2.7.0 Authentication successful\r\n",
    "250 2.1.0 Ok\r\n",
    "250 2.1.5 Ok\r\n",
    "354 End data with <CR><LF>.<CR><LF>\r\n",
    "250 2.0.0 Ok: queued as 4Bf3xZ1Yz3z9t\r\n",
    "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address for typos or\r\n550-5.1.1 unnecessary spaces. For more information, go to\r\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1-20020a05600c1d0100b0040b2d4a1e2esi1234567wmq.12 - gsmtp\r\n",
    "452 4.5.3 Error: too many recipients\r\n",
    "421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes\r\n",
    "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.\r\n",
    "221 2.0.0 Bye\r\n",
];

const FINAL_REPLIES: &[&str] = &[
    "250 2.0.0 Ok: queued as 4Bf3xZ1Yz3z9t",
    "250 OK id=1rAbCd-0001Xy-Ab",
    "250 Ok 0102018c1f2e3d4c-5b6a7988-1234-4abc-9def-0123456789ab-000000",
    "250 2.0.0 OK  1700000000 a1-20020a05600c1d0100b0040b2d4a1e2esi1234567wmq.12 - gsmtp",
    "250 2.6.0 <a1b2c3d4@mail.example.com> [InternalId=123456789012, Hostname=AM0PR01MB1234.eurprd01.prod.exchangelabs.com] Queued mail for delivery",
    "250 Message Queued (4E6F7C8A-1B2C-4D3E-9F00-AABBCCDDEEFF.1)",
    "250 Great success",
    "250 OK",
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("reply");
    group.throughput(Throughput::Elements(REPLIES.len() as u64));
    group.bench_function("email365_parse_classify", |b| {
        b.iter(|| {
            for text in REPLIES {
                let reply = Reply::parse(black_box(text)).expect("valid reply");
                black_box(reply.classify(Some(Command::Rcpt)));
            }
        })
    });
    group.bench_function("email365_parse", |b| {
        b.iter(|| {
            for text in REPLIES {
                black_box(Reply::parse(black_box(text)).expect("valid reply"));
            }
        })
    });
    group.bench_function("email365_reader", |b| {
        let split: Vec<Vec<&[u8]>> = REPLIES
            .iter()
            .map(|r| r.split_terminator("\r\n").map(str::as_bytes).collect())
            .collect();
        let mut reader = ReplyReader::new();
        b.iter(|| {
            for lines in &split {
                for line in lines {
                    black_box(reader.push_line(black_box(line)).expect("valid line"));
                }
            }
        })
    });
    group.bench_function("smtp_proto_parse", |b| {
        b.iter(|| {
            for text in REPLIES {
                let mut receiver = smtp_proto::response::parser::ResponseReceiver::default();
                let response = receiver
                    .parse(&mut black_box(text.as_bytes()).iter())
                    .expect("valid reply");
                black_box(response);
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("notification_id");
    group.throughput(Throughput::Elements(FINAL_REPLIES.len() as u64));
    group.bench_function("extract", |b| {
        b.iter(|| {
            for text in FINAL_REPLIES {
                black_box(extract_notification_id(black_box(text)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
