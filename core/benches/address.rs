//! Address validation speed: email365 against the `email_address` crate on the same
//! fixed mixed set of inputs (plain, dotted, IDN, SMTPUTF8, invalid). Figures go to
//! docs/PERFORMANCE.md (`## Address validation`).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use email365::address::{Address, AddressOptions};
use std::hint::black_box;
use std::str::FromStr;

/// The mixed set: mostly valid ASCII addresses as an application sends them, some IDN
/// and SMTPUTF8 ones, and some invalid ones.
const INPUTS: &[&str] = &[
    "john.doe@example.com",
    "jane@mail.example.org",
    "support+tickets@service.example.net",
    "first.middle.last@sub.domain.example.co.uk",
    "a@b.io",
    "newsletter-noreply@marketing.example.com",
    "user_name-1@example-domain.com",
    "Firstname.Lastname@Example.COM",
    "info@bücher.de",
    "jörg@example.com",
    "用户@例子.中国",
    "user@xn--bcher-kva.de",
    "no-at-sign.example.com",
    "two..dots@example.com",
    "trailing.dot.@example.com",
    "user@-hyphen.example.com",
];

fn bench(c: &mut Criterion) {
    let options = AddressOptions::default();
    let mut group = c.benchmark_group("address");
    group.throughput(Throughput::Elements(INPUTS.len() as u64));
    group.bench_function("email365", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for input in INPUTS {
                ok += usize::from(Address::parse(black_box(input), &options).is_ok());
            }
            ok
        })
    });
    group.bench_function("email_address", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for input in INPUTS {
                ok += usize::from(email_address::EmailAddress::from_str(black_box(input)).is_ok());
            }
            ok
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
