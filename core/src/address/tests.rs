//! Unit tests of the validator: diagnoses and positions, header forms, quoting, and the
//! fast paths (plain ASCII addresses and domains, NFC quick check) against the full rules.

use super::domain::common_idn;
use super::nfc::nfc;
use super::*;
use icu_normalizer::ComposingNormalizerBorrowed;
use proptest::strategy::Strategy;
use std::borrow::Cow;

fn env(s: &str) -> Result<Address> {
    Address::parse(s, &AddressOptions::default())
}

fn header(s: &str) -> Result<Address> {
    Address::parse(
        s,
        &AddressOptions {
            mode: Mode::Header,
            ..Default::default()
        },
    )
}

fn reason(r: Result<Address>) -> (Option<&'static str>, Option<usize>) {
    match r {
        Ok(a) => panic!("expected an error, got {a:?}"),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidAddress);
            (e.reason(), e.position())
        }
    }
}

#[test]
fn plain_address() {
    let a = env("John.Doe@Example.COM").unwrap();
    assert_eq!(a.local, "John.Doe");
    assert_eq!(a.ascii_domain, "example.com");
    assert_eq!(a.domain, "example.com");
    assert_eq!(a.display_name, None);
    assert!(!a.smtputf8);
    assert_eq!(a.envelope(), "John.Doe@example.com");
}

#[test]
fn idn_and_smtputf8() {
    let a = env("jörg@bücher.de").unwrap();
    assert_eq!(a.ascii_domain, "xn--bcher-kva.de");
    assert_eq!(a.domain, "bücher.de");
    assert!(a.smtputf8);
    let b = env("x@xn--bcher-kva.de").unwrap();
    assert_eq!(b.domain, "bücher.de");
}

#[test]
fn diagnoses_with_positions() {
    assert_eq!(reason(env("abc")), (Some("no_at"), Some(3)));
    assert_eq!(reason(env(".a@b.c")), (Some("dot_start"), Some(0)));
    assert_eq!(reason(env("a.@b.c")), (Some("dot_end"), Some(1)));
    assert_eq!(reason(env("a..b@c.d")), (Some("consecutive_dots"), Some(2)));
    assert_eq!(reason(env("a@b\r\n.c")), (Some("control_char"), Some(3)));
    assert_eq!(
        reason(env("a@[1.2.3.4]")),
        (Some("domain_literal_not_allowed"), Some(2))
    );
    assert_eq!(reason(env("a@b.123")), (Some("numeric_tld"), Some(4)));
    assert_eq!(
        reason(env("a(b)@c.d")),
        (Some("comment_not_allowed"), Some(1))
    );
    assert_eq!(
        reason(env("\"a b\"@c.d")),
        (Some("quoted_local_not_allowed"), Some(0))
    );
    assert_eq!(reason(env("\"a b@c.d")), (Some("unclosed_quote"), Some(0)));
    assert_eq!(reason(env("a@-b.c")), (Some("hyphen_start"), Some(2)));
    assert_eq!(
        reason(env("<a@b.c>")),
        (Some("angle_brackets_not_allowed"), Some(0))
    );
}

#[test]
fn header_forms() {
    let a = header("\"Doe, John\" <john@example.com>").unwrap();
    assert_eq!(a.display_name.as_deref(), Some("Doe, John"));
    assert_eq!(a.header(), "\"Doe, John\" <john@example.com>");
    let b = header("Jörg Müller <j@example.com>").unwrap();
    assert_eq!(b.display_name.as_deref(), Some("Jörg Müller"));
    assert_eq!(b.header(), "Jörg Müller <j@example.com>");
    assert_eq!(header("\"\" <j@example.com>").unwrap().display_name, None);
    assert_eq!(header("<j@example.com>").unwrap().display_name, None);
    assert_eq!(
        reason(header("John Q. Public <j@example.com>")),
        (Some("obsolete_syntax"), Some(6))
    );
    assert_eq!(
        reason(header("John <j@example.com")),
        (Some("unclosed_angle"), Some(5))
    );
    assert_eq!(
        reason(header("J\r\n <j@example.com>")),
        (Some("control_char"), Some(1))
    );
}

#[test]
fn quoted_local_is_minimally_quoted() {
    let opts = AddressOptions {
        allow_quoted_local: true,
        ..Default::default()
    };
    assert_eq!(Address::parse("\"abc\"@x.org", &opts).unwrap().local, "abc");
    assert_eq!(Address::parse("\"a\\b\"@x.org", &opts).unwrap().local, "ab");
    assert_eq!(
        Address::parse("\"a b\"@x.org", &opts).unwrap().local,
        "\"a b\""
    );
    assert_eq!(
        Address::parse("\"a\\\"b\"@x.org", &opts).unwrap().local,
        "\"a\\\"b\""
    );
}

#[test]
fn ascii_fast_path_matches_idna_strict() {
    for d in [
        "example.com",
        "EXAMPLE.Com",
        "a-b.c-d.e",
        "g--a.com",
        "ab--cd.com",
        "xn--bcher-kva.de",
        "XN--BCHER-KVA.DE",
        "a.b",
        "123.com",
        "x1-2.io",
    ] {
        if let Some((_, ascii)) = common_idn(d) {
            assert_eq!(
                Ok(ascii),
                idna::domain_to_ascii_strict(d).map_err(|_| ()),
                "{d}"
            );
        }
    }
    assert_eq!(common_idn("ab--cd.com"), None);
    assert_eq!(common_idn("XN--BCHER-KVA.DE"), None);
    assert_eq!(
        common_idn("EXAMPLE.Com"),
        Some(("example.com".into(), "example.com".into()))
    );
}

/// The forms of a domain as the idna crate gives them: strict ToASCII without the length
/// check, then `idna::domain_to_unicode` of its result when that has an `xn--`.
fn idna_forms(d: &str) -> Option<(String, String)> {
    use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
    let ascii = Uts46::new()
        .to_ascii(
            d.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .ok()?
        .into_owned();
    if !ascii.contains("xn--") {
        return Some((ascii.clone(), ascii));
    }
    let (unicode, result) = idna::domain_to_unicode(&ascii);
    assert!(result.is_ok(), "{d:?}: the A-labels of ToASCII decode");
    Some((unicode, ascii))
}

/// The forms of a domain from `to_ascii` and `to_unicode`, where the ASCII form keeps the
/// limits (`to_unicode` is only used then).
fn forms(d: &str) -> Option<(String, String)> {
    let ascii = super::domain::to_ascii(d)?;
    if super::domain::broken_limit(&ascii).is_some() {
        return idna_forms(d);
    }
    Some((super::domain::to_unicode(&ascii)?, ascii))
}

#[test]
fn unicode_form_agrees_with_idna() {
    for d in [
        "example.com",
        "Example.COM",
        "bücher.de",
        "BÜCHER.de",
        "xn--bcher-kva.de",
        "XN--BCHER-KVA.DE",
        "xn--Bcher-kva.de",
        "Xn--bcher-KVA.de",
        "例子.中国",
        "例子。中国",
        "ｅｘａｍｐｌｅ.com",
        "faß.de",
        "xn--fa-hia.de",
        "ς.gr",
        "שלום.com",
        "xn--4dbrk0ce.com",
        "a\u{200d}b.com",
        "\u{0915}\u{094d}\u{200d}.in",
        "\u{fe05}.a",
        "a\u{ad}b.c",
        "ab--c.de",
        "axn--b.com",
        "xn--.com",
        "xn--a.com",
        "xn--ab-.com",
        "\u{300}a.com",
        "ä.xn--bcher-kva.Ü",
        "١٢٣.com",
        "😀.ws",
        "a..b",
        "",
    ] {
        assert_eq!(forms(d), idna_forms(d), "{d:?}");
    }
}

proptest::proptest! {
    #[test]
    fn unicode_form_agrees_with_idna_on_labels(
        labels in proptest::collection::vec(
            proptest::prop_oneof![
                "[a-zA-Z0-9\\-\u{df}-\u{ff}\u{c0}-\u{de}\u{300}\u{308}\u{3c2}\u{3c3}\u{5d0}-\u{5d4}\u{627}-\u{62a}\u{660}-\u{662}\u{200c}\u{200d}\u{ad}\u{fe0f}\u{3002}\u{ff21}-\u{ff23}\u{4e00}-\u{4e05}\u{ac00}-\u{ac03}\u{1f600}]{0,6}",
                "[a-z\u{e0}-\u{ff}\u{4e00}-\u{4e05}\u{5d0}-\u{5d4}\u{300}]{1,5}".prop_map(|label: String| {
                    format!("xn--{}", idna::punycode::encode_str(&label).unwrap_or_default())
                }),
                "[a-z\u{e0}-\u{ff}]{1,5}".prop_map(|label: String| {
                    format!("XN--{}", idna::punycode::encode_str(&label).unwrap_or_default())
                        .to_uppercase()
                }),
            ],
            1..4,
        ),
    ) {
        let d = labels.join(".");
        proptest::prop_assert_eq!(forms(&d), idna_forms(&d), "{:?}", d);
    }
}

/// Every input the fast path accepts is accepted by the full rules with the same
/// result, in both modes and with every option.
fn assert_fast_path_agrees(input: &str) {
    for mode in [Mode::Envelope, Mode::Header] {
        let common = super::plain::parse_common(input, mode);
        if let Some(plain) = parse_plain(input, mode) {
            assert_eq!(
                plain.domain_has_upper,
                plain.domain.bytes().any(|b| b.is_ascii_uppercase()),
                "{input:?}"
            );
            assert_eq!(common.as_ref(), Some(&plain.to_address()), "{input:?}");
        }
        let Some(common) = common else {
            continue;
        };
        for (allow_quoted_local, allow_domain_literal) in
            [(false, false), (true, false), (false, true), (true, true)]
        {
            let options = AddressOptions {
                mode,
                allow_quoted_local,
                allow_domain_literal,
            };
            assert_eq!(
                Ok(common.clone()),
                parse_full(input, &options).map_err(|e| e.to_string()),
                "{input:?} {options:?}"
            );
        }
    }
}

#[test]
fn fast_path_agrees_with_the_full_rules_on_common_letters() {
    let ue = "\u{fc}";
    let cases = [
        "jörg@example.com".to_string(),
        "info@bücher.de".into(),
        "用户@例子.中国".into(),
        "user@xn--bcher-kva.de".into(),
        "Jörg <jörg@Bücher.DE>".into(),
        "Jörg <j@b.de>".into(),
        "ö@b.de".into(),
        "Ö@b.de".into(),
        "ö.@b.de".into(),
        ".ö@b.de".into(),
        "ö..a@b.de".into(),
        "a÷@b.de".into(),
        "a\u{308}@b.de".into(),
        "ж@ж.рф".into(),
        "가@가.kr".into(),
        "a@ü.123".into(),
        "a@ü.de.".into(),
        "a@ü..de".into(),
        "a@-ü.de".into(),
        "a@ü-.de".into(),
        "a@üb--c.de".into(),
        "a@xn--bcher-kva.xn--bcher-kva".into(),
        "a@XN--BCHER-KVA.de".into(),
        "a@xn--a.de".into(),
        "a@b。ü".into(),
        "a@ü.b c".into(),
        "a@[ü]".into(),
        "\"ü\"@b.de".into(),
        ue.repeat(32) + "@b.de",
        ue.repeat(32) + "a@b.de",
        format!("a@{}.de", ue.repeat(28)),
        format!("a@{}.de", ue.repeat(60)),
        format!("a@{}.de", "例".repeat(18)),
        format!("a@{}.de", "例".repeat(19)),
        format!("a@{}.com", ["ü"; 62].join(".")),
        format!("a@{}.com", ["ü"; 63].join(".")),
        format!("{}@{}.com", "l".repeat(64), ["例"; 21].join(".")),
        format!("{}@{}.com", "l".repeat(64), ["例"; 22].join(".")),
    ];
    for input in &cases {
        assert_fast_path_agrees(input);
    }
    for input in [
        "jörg@example.com",
        "info@bücher.de",
        "用户@例子.中国",
        "user@xn--bcher-kva.de",
    ] {
        assert!(
            super::plain::parse_common(input, Mode::Envelope).is_some(),
            "{input}"
        );
    }
}

#[test]
fn fast_path_agrees_with_the_full_rules_on_edge_cases() {
    let long_label = "a".repeat(63);
    let too_long_label = "a".repeat(64);
    let long_local = "l".repeat(64);
    let cases = [
        "a@b.c".to_string(),
        "Shop <shop@example.com>".into(),
        "Shop  Team   <shop@Example.COM>".into(),
        "<a@b.c>".into(),
        " <a@b.c>".into(),
        "a.b.c@d-e.f".into(),
        "a..b@c.d".into(),
        ".a@b.c".into(),
        "a.@b.c".into(),
        "a@b..c".into(),
        "a@.b.c".into(),
        "a@b.c.".into(),
        "a@-b.c".into(),
        "a@b-.c".into(),
        "a@b--c.d".into(),
        "a@xn--bcher-kva.de".into(),
        "a@123.45".into(),
        "a@1-2.3".into(),
        "a@b.123a".into(),
        "a@b".into(),
        "a@".into(),
        "@b.c".into(),
        "a@b@c.d".into(),
        "a<b>@c.d".into(),
        "Na.me <a@b.c>".into(),
        "Name <a@b.c> ".into(),
        "Name <a@b.c>>".into(),
        "Name <<a@b.c>".into(),
        "N\"ame <a@b.c>".into(),
        "!#$%&'*+-/=?^_`{|}~@x.y".into(),
        format!("a@{long_label}.com"),
        format!("a@{too_long_label}.com"),
        format!("a@b.{long_label}"),
        format!("a@b.{too_long_label}"),
        format!("{long_local}@b.c"),
        format!("{long_local}l@b.c"),
        format!("a@{}.com", ["x"; 124].join(".")),
        format!("a@{}.com", ["x"; 125].join(".")),
        format!("{long_local}@{}.com", ["x"; 93].join(".")),
        format!("{long_local}@{}.com", ["x"; 94].join(".")),
    ];
    for input in &cases {
        assert_fast_path_agrees(input);
    }
    assert!(parse_plain("Shop <shop@example.com>", Mode::Header).is_some());
    assert!(parse_plain("Shop <shop@example.com>", Mode::Envelope).is_none());
    assert!(parse_plain("a@b--c.d", Mode::Envelope).is_none());
}

#[test]
fn text_below_u0300_is_already_nfc() {
    // The quick check of `nfc`: every character and every pair below U+0300 is left
    // as it is by the full normaliser (nothing there decomposes without recomposing,
    // has a combining class or composes with a following character).
    let normaliser = ComposingNormalizerBorrowed::new_nfc();
    let below = || (0..0x300).filter_map(char::from_u32);
    for a in below() {
        for b in below() {
            let pair: String = [a, b].into_iter().collect();
            assert_eq!(normaliser.normalize(&pair), pair.as_str());
        }
    }
    assert!(matches!(nfc("Jos\u{e9} \u{2ff}"), Cow::Borrowed(_)));
    assert_eq!(nfc("Jose\u{301}"), "Jos\u{e9}");
    assert_eq!(nfc("\u{37e}"), ";");
}

/// Every character of the quick check of `nfc`: those below U+0300 and the common
/// letters.
fn nfc_quick_check_chars() -> impl Iterator<Item = char> {
    (0..=0x10ffff)
        .filter_map(char::from_u32)
        .filter(|&c| c < '\u{300}' || super::chars::is_common_letter(c))
}

#[test]
fn common_letters_are_left_as_they_are_by_nfc() {
    // Text of characters each of which is NFC, starts its NFD with a character of
    // combining class 0 (so canonical reordering never crosses from one to the next)
    // and whose NFD does not start with the second character of a canonical composition
    // (so none composes with what precedes it) is NFC: its NFD composes back piece by
    // piece. The second characters of every composition, from every decomposition:
    use icu_normalizer::properties::{
        CanonicalCombiningClassMapBorrowed, CanonicalDecompositionBorrowed, Decomposed,
    };
    use icu_normalizer::DecomposingNormalizerBorrowed;
    let decomposition = CanonicalDecompositionBorrowed::new();
    let seconds: std::collections::HashSet<char> = (0..=0x10ffff)
        .filter_map(char::from_u32)
        .filter_map(|c| match decomposition.decompose(c) {
            Decomposed::Expansion(_, second) => Some(second),
            _ => None,
        })
        .collect();
    assert!(seconds.contains(&'\u{301}') && seconds.contains(&'\u{1161}'));
    let nfc_normaliser = ComposingNormalizerBorrowed::new_nfc();
    let nfd_normaliser = DecomposingNormalizerBorrowed::new_nfd();
    let combining_class = CanonicalCombiningClassMapBorrowed::new();
    let mut count = 0;
    for c in nfc_quick_check_chars() {
        let text = c.to_string();
        assert_eq!(nfc_normaliser.normalize(&text), text, "{c:?}");
        let first = nfd_normaliser.normalize(&text).chars().next().unwrap();
        assert_eq!(combining_class.get_u8(first), 0, "{c:?}");
        assert!(!seconds.contains(&first), "{c:?}");
        count += 1;
    }
    assert_eq!(count, 0x300 + 0x30 + 0x56 + 0x5a + 0x19c0 + 0x5200 + 0x2ba4);
    assert!(matches!(
        nfc("\u{7528}\u{6237}\u{ac00}\u{fc}"),
        Cow::Borrowed(_)
    ));
    assert_eq!(nfc("\u{ac00}\u{11a8}"), "\u{ac01}");
}

#[test]
fn common_letters_are_left_as_they_are_by_uts46() {
    use icu_properties::props::BidiClass;
    use icu_properties::CodePointMapData;
    let bidi_class = CodePointMapData::<BidiClass>::new();
    for c in nfc_quick_check_chars().filter(|&c| super::chars::is_common_letter(c)) {
        assert_eq!(bidi_class.get(c), BidiClass::LeftToRight, "{c:?}");
        assert_eq!(
            super::chars::class(c),
            super::chars::CharClass::Plain,
            "{c:?}"
        );
        let label = c.to_string();
        let a_label = format!("xn--{}", idna::punycode::encode_str(&label).unwrap());
        let forms = Some((label.clone(), a_label.clone()));
        assert_eq!(idna_forms(&label), forms, "{c:?}");
        assert_eq!(common_idn(&label), forms, "{c:?}");
        assert_eq!(common_idn(&a_label), forms, "{c:?}");
    }
}

#[test]
fn common_idn_agrees_with_idna_on_edge_cases() {
    for d in [
        "bücher.de",
        "Bücher.DE",
        "BÜCHER.de",
        "xn--bcher-kva.de",
        "XN--BCHER-KVA.DE",
        "xn--Bcher-kva.de",
        "例子.中国",
        "例子。中国",
        "用户-1.例子.中国",
        "ab--ü.de",
        "ü--b.de",
        "üb--c.de",
        "-ü.de",
        "ü-.de",
        "xn--.de",
        "xn--a.de",
        "xn--ab-.de",
        "xn---.de",
        "xn--4ca-.de",
        "xn--ab--c.de",
        "xn--abc.de",
        "a..ü",
        ".ü",
        "ü.",
        "ü.-a",
        "ü.a-",
        "ü.a_b",
        "faß.de",
        "ÿ.ж.ア.가.㐀",
        "ü÷.de",
        "שלום.ü",
        "ü.xn--4dbrk0ce",
        "ü\u{308}.de",
        "u\u{308}.de",
        "가\u{11a8}.kr",
        "ü\u{200d}.de",
        "ü.123",
        "",
    ] {
        if let Some(fast) = common_idn(d) {
            assert_eq!(Some(fast), idna_forms(d), "{d:?}");
        }
    }
    for d in [
        "bücher.de",
        "例子.中国",
        "xn--bcher-kva.de",
        "Jörg-Bücher.Example.COM",
    ] {
        assert!(common_idn(d).is_some(), "{d:?}");
    }
}

/// What the domain fast path accepts, the full domain rules accept, with the same forms.
fn assert_plain_domain_agrees(d: &str) {
    if let Some(has_upper) = super::plain::plain_domain(d.as_bytes()) {
        let lower = d.to_ascii_lowercase();
        assert_eq!(
            has_upper,
            d.bytes().any(|b| b.is_ascii_uppercase()),
            "{d:?}"
        );
        assert_eq!(
            super::domain::parse_domain_full(d, 0).map_err(|e| e.to_string()),
            Ok((lower.clone(), lower)),
            "{d:?}"
        );
    }
}

#[test]
fn plain_domain_agrees_with_the_full_rules_on_edge_cases() {
    let label = "a".repeat(63);
    for d in [
        "a".to_string(),
        "a.b".into(),
        "A-b.C0".into(),
        "123.com".into(),
        "a.123".into(),
        "a.1b".into(),
        "a--b.c".into(),
        "ab--c.d".into(),
        "xn--bcher-kva.de".into(),
        "-a.b".into(),
        "a-.b".into(),
        "a..b".into(),
        ".a".into(),
        "a.".into(),
        format!("{label}.com"),
        format!("{label}a.com"),
        format!("b.{label}"),
        format!("b.{label}a"),
        format!("{}.com", ["x"; 124].join(".")),
        format!("{}.com", ["x"; 125].join(".")),
        format!("{label}.{label}.{label}.{}", "b".repeat(61)),
        format!("{label}.{label}.{label}.{}", "b".repeat(62)),
    ] {
        assert_plain_domain_agrees(&d);
    }
    assert_eq!(super::plain::plain_domain(b"Example.COM"), Some(true));
    assert_eq!(super::plain::plain_domain(b"b\xc3\xbccher.de"), None);
}

proptest::proptest! {
    #[test]
    fn nfc_agrees_with_the_normaliser(
        input in "[a-z\u{a0}-\u{2ff}\u{300}-\u{36f}\u{37e}\u{1e00}-\u{1eff}\u{ac00}-\u{ac20}\u{d7a3}\u{1100}-\u{1112}\u{1161}-\u{1175}\u{11a8}-\u{11c2}\u{f900}-\u{f910}\u{1d15e}\u{430}-\u{45f}\u{3041}-\u{3099}\u{30a1}-\u{30fa}\u{3400}\u{4e00}-\u{4e10}\u{9fff}]{0,12}",
    ) {
        let full = ComposingNormalizerBorrowed::new_nfc().normalize(&input);
        proptest::prop_assert_eq!(nfc(&input), full);
    }

    #[test]
    fn plain_domain_agrees_with_the_full_rules(d in "[a-zA-Z0-9.\\-]{0,70}") {
        assert_plain_domain_agrees(&d);
    }

    #[test]
    fn common_idn_agrees_with_idna(
        labels in proptest::collection::vec(
            proptest::prop_oneof![
                "[a-zA-Z0-9\\-\u{df}-\u{ff}\u{c0}-\u{de}\u{430}\u{44f}\u{3042}\u{30a2}\u{4e00}-\u{4e03}\u{ac00}\u{d7a3}\u{300}\u{308}\u{11a8}\u{3099}\u{5d0}\u{200d}\u{3002}]{0,6}",
                "[a-z0-9\\-\u{e0}-\u{ff}\u{4e00}-\u{4e05}\u{ac00}\u{3041}\u{300}\u{5d0}]{1,6}".prop_map(
                    |label: String| {
                        format!("xn--{}", idna::punycode::encode_str(&label).unwrap_or_default())
                    }
                ),
                "xn--[a-zA-Z0-9\\-]{0,8}",
            ],
            1..4,
        ),
    ) {
        let d = labels.join(".");
        if let Some(fast) = common_idn(&d) {
            proptest::prop_assert_eq!(Some(fast), idna_forms(&d), "{:?}", d);
        }
    }

    #[test]
    fn fast_path_agrees_with_the_full_rules(
        input in "[ a-zA-Z0-9.@<>\\-_!~\"(),;:\\[\\]]{0,40}",
    ) {
        assert_fast_path_agrees(&input);
    }

    #[test]
    fn fast_path_agrees_on_address_shapes(
        name in "([A-Za-z0-9!#~ ]{0,6} ?<)?",
        local in "[a-z0-9.+_-]{0,6}",
        domain in "[a-zA-Z0-9.-]{0,12}",
    ) {
        let close = if name.is_empty() { "" } else { ">" };
        assert_fast_path_agrees(&format!("{name}{local}@{domain}{close}"));
    }

    #[test]
    fn fast_path_agrees_on_addresses_of_common_letters(
        name in "([A-Za-z0-9ü ]{0,6} ?<)?",
        local in "[a-z0-9.+_\\-\u{df}-\u{ff}\u{c0}-\u{c4}\u{300}\u{430}\u{4e00}\u{ac00}\u{3000}]{0,6}",
        labels in proptest::collection::vec(
            proptest::prop_oneof![
                "[a-zA-Z0-9\\-\u{df}-\u{ff}\u{c0}-\u{c4}\u{300}\u{4e00}-\u{4e03}\u{3002}]{0,8}",
                "[a-z0-9\u{e0}-\u{ff}\u{4e00}-\u{4e05}]{1,6}".prop_map(|label: String| {
                    format!("xn--{}", idna::punycode::encode_str(&label).unwrap_or_default())
                }),
            ],
            1..4,
        ),
    ) {
        let close = if name.is_empty() { "" } else { ">" };
        let domain = labels.join(".");
        assert_fast_path_agrees(&format!("{name}{local}@{domain}{close}"));
    }
}

#[test]
fn every_reason_is_documented_once() {
    let mut seen = std::collections::HashSet::new();
    for (code, meaning) in REASONS {
        assert!(seen.insert(*code), "duplicate {code}");
        assert!(!meaning.is_empty());
        assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    }
}

#[test]
fn targets_inside_quotes_are_skipped() {
    use super::chars::find_unquoted;
    assert_eq!(find_unquoted("a<b", b"<>"), Some(1));
    assert_eq!(find_unquoted("\"<\" <a@b.c>", b"<"), Some(4));
    assert_eq!(find_unquoted("\"a\\\"<\" <x>", b"<"), Some(7));
    assert_eq!(find_unquoted("\"\\\u{e9}<\"<", b"<"), Some(6));
    assert_eq!(find_unquoted("\"<", b"<"), None);
    assert_eq!(find_unquoted("\"a\\", b"<"), None);
    assert_eq!(find_unquoted("abc", b">"), None);
}

#[test]
fn the_word_scan_finds_exactly_the_first_non_printable_byte() {
    // Every ASCII character and a few of two bytes at every position of a 1- to
    // 19-character text of printable ASCII, against the byte-by-byte rule.
    let odd = ['\u{80}', '\u{9b}', 'é', '\u{7ff}'];
    for fill in ["a", " ", "~"] {
        for len in 1..20 {
            for at in 0..len {
                for c in (0..=127u8).map(char::from).chain(odd) {
                    let text = format!("{}{c}{}", fill.repeat(at), fill.repeat(len - at - 1));
                    let want = text
                        .bytes()
                        .position(|b| !(b' '..=b'~').contains(&b))
                        .unwrap_or(text.len());
                    assert_eq!(first_non_printable(&text), want, "{text:?}");
                }
            }
        }
    }
    assert_eq!(first_non_printable(""), 0);
    assert_eq!(first_non_printable("abcdefgh\u{7f}"), 8);
    assert_eq!(first_non_printable("abcdefghijklmnop"), 16);
}
