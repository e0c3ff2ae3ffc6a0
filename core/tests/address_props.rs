//! Property tests of the address validator: no panic on any input, positions that point
//! into the input on a character boundary, and parse → format → parse round trips.

use email365::address::{Address, AddressOptions, Mode};
use email365::ErrorKind;
use proptest::prelude::*;

fn all_options() -> impl Strategy<Value = AddressOptions> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(header, quoted, literal)| {
        AddressOptions {
            mode: if header { Mode::Header } else { Mode::Envelope },
            allow_quoted_local: quoted,
            allow_domain_literal: literal,
        }
    })
}

/// Checks the result contract for any input: an accepted address formats to something
/// accepted again, identically; a refusal has kind, reason, message and a position on a
/// character boundary inside the input.
fn check_any(input: &str, options: &AddressOptions) -> Result<(), TestCaseError> {
    match Address::parse(input, options) {
        Ok(address) => {
            let header_options = AddressOptions {
                mode: Mode::Header,
                ..*options
            };
            let again = Address::parse(&address.header(), &header_options);
            prop_assert_eq!(
                again.as_ref(),
                Ok(&address),
                "header() of {:?} = {:?}",
                input,
                address.header()
            );
        }
        Err(error) => {
            prop_assert_eq!(error.kind(), ErrorKind::InvalidAddress);
            prop_assert!(error.reason().is_some(), "no reason for {:?}", input);
            prop_assert!(!error.message().is_empty());
            let Some(position) = error.position() else {
                return Err(TestCaseError::fail(format!("no position for {input:?}")));
            };
            prop_assert!(
                position <= input.len(),
                "position {} past the end of {:?}",
                position,
                input
            );
            prop_assert!(
                input.is_char_boundary(position),
                "position {} inside a character of {:?}",
                position,
                input
            );
        }
    }
    Ok(())
}

/// Pieces that reach every branch of the parser.
const ALPHABET: &str = "[a-zA-Z0-9.\"\\\\ @<>()\\[\\]:,;!#=_-]|ü|ß|中|😀|\u{0301}|\u{200d}|\u{00a0}|\u{3002}|\r|\n|\t|\u{0}|\u{7f}|\u{85}|\u{212a}|\u{037e}|IPv6:|xn--|\\[1\\.2\\.3\\.4\\]";

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_on_arbitrary_unicode(input in any::<String>(), options in all_options()) {
        check_any(&input, &options)?;
    }

    #[test]
    fn no_panic_on_bytes_read_as_latin1(bytes in proptest::collection::vec(any::<u8>(), 0..80), options in all_options()) {
        let input: String = bytes.iter().map(|&b| b as char).collect();
        check_any(&input, &options)?;
    }

    #[test]
    fn no_panic_on_address_like_strings(
        parts in proptest::collection::vec(proptest::string::string_regex(ALPHABET).unwrap(), 0..48),
        options in all_options(),
    ) {
        check_any(&parts.concat(), &options)?;
    }

    #[test]
    fn long_inputs_are_refused_without_panic(
        unit in proptest::string::string_regex("[a-z.ü-]{1,4}").unwrap(),
        times in 60usize..400,
        options in all_options(),
    ) {
        let long = unit.repeat(times);
        check_any(&format!("{long}@example.com"), &options)?;
        check_any(&format!("a@{long}.com"), &options)?;
    }
}

fn escape_quoted(content: &str) -> String {
    content
        .chars()
        .flat_map(|c| {
            if c == '"' || c == '\\' {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// (as written, expected `local`; empty when the quoting decides)
fn local_part() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        proptest::string::string_regex(
            "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\\.[a-zA-Z0-9_-]{1,8}){0,3}"
        )
        .unwrap()
        .prop_map(|s| (s.clone(), s)),
        proptest::sample::select(vec!["jörg", "用户", "почта", "δοκιμή", "😀", "ü.ß"])
            .prop_map(|s| (s.to_string(), s.to_string())),
        proptest::string::string_regex("[a-z @.,\"\\\\]{1,12}")
            .unwrap()
            .prop_map(|content| (format!("\"{}\"", escape_quoted(&content)), String::new())),
    ]
}

fn domain() -> impl Strategy<Value = String> {
    let label = prop_oneof![
        proptest::string::string_regex("[a-zA-Z0-9]{1,6}(-[a-z0-9]{1,6})?").unwrap(),
        proptest::sample::select(vec![
            "bücher",
            "例子",
            "пример",
            "δοκιμή",
            "münchen",
            "xn--bcher-kva"
        ])
        .prop_map(str::to_string),
    ];
    (
        proptest::collection::vec(label, 0..3),
        proptest::string::string_regex("[a-z]{2,6}").unwrap(),
    )
        .prop_map(|(mut labels, tld)| {
            labels.push(tld);
            labels.join(".")
        })
}

/// (as written, expected value)
fn display_name() -> impl Strategy<Value = Option<(String, String)>> {
    prop_oneof![
        Just(None),
        proptest::string::string_regex("[A-Za-zäöü]{1,8}( [A-Za-z]{1,8}){0,2}")
            .unwrap()
            .prop_map(|s| Some((s.clone(), s))),
        proptest::string::string_regex("[A-Za-z ,.:;@<>()\"\\\\ü中]{0,16}")
            .unwrap()
            .prop_map(|value| Some((format!("\"{}\"", escape_quoted(&value)), value))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn valid_addresses_round_trip(local in local_part(), domain in domain(), name in display_name()) {
        let (written_local, expected_local) = local;
        let spec = format!("{written_local}@{domain}");
        let input = match &name {
            None => spec.clone(),
            Some((written, _)) => format!("{written} <{spec}>"),
        };
        let options = AddressOptions { mode: Mode::Header, allow_quoted_local: true, allow_domain_literal: true };
        let parsed = Address::parse(&input, &options);
        prop_assert!(parsed.is_ok(), "{:?} refused: {:?}", input, parsed);
        let address = parsed.unwrap();
        if !expected_local.is_empty() {
            prop_assert_eq!(&address.local, &expected_local);
        }
        let expected_name = name.map(|(_, value)| value).filter(|v| !v.is_empty());
        prop_assert_eq!(&address.display_name, &expected_name);
        prop_assert!(address.ascii_domain.is_ascii());
        prop_assert_eq!(address.smtputf8, !address.local.is_ascii());

        // header() → parse gives the same address.
        prop_assert_eq!(Address::parse(&address.header(), &options), Ok(address.clone()));
        // envelope() → parse gives the same address without its display name.
        let envelope = Address::parse(&address.envelope(), &AddressOptions { mode: Mode::Envelope, ..options });
        prop_assert_eq!(envelope, Ok(Address { display_name: None, ..address.clone() }));
        // Display is header().
        prop_assert_eq!(address.to_string(), address.header());
    }
}
