//! The wire names of the core's option enums and the checks of plain arguments, so that
//! every binding reads `"starttls"`, `"header"`, `"RCPT"` or a timeout the same way and
//! fails with the same `invalid_argument` reason.
//!
//! Reasons (`Error::reason` of the `invalid_argument` errors made here; docs/ERRORS.md):
//! - `unknown_address_mode`, `unknown_tls_mode`, `unknown_auth_mechanism`,
//!   `unknown_command`, `unknown_severity`, `unknown_category`: a name (or, in C, an enum
//!   value) that names no value of the enum;
//! - `invalid_duration`: a duration that is negative, not finite or too large (or zero
//!   where a positive one is required);
//! - `invalid_port`: port 0;
//! - `invalid_count`: a count or index that is not a whole number in its range.

use crate::address::Mode;
use crate::error::{Error, ErrorKind, Result};
use crate::reply::{Category, Command, Severity};
use std::fmt::Display;
use std::time::Duration;

/// An enum whose values have stable snake_case (or, for SMTP commands, upper-case) names
/// on the wire of every binding.
pub trait WireName: Sized + Copy + PartialEq + 'static {
    /// What a value is called in messages (`"TLS mode"`).
    const WHAT: &'static str;
    /// The `invalid_argument` reason of a name that is none of [`NAMES`](Self::NAMES).
    const UNKNOWN: &'static str;
    /// Every value with its name, in documentation order (a C enum's numbers follow it).
    const NAMES: &'static [(&'static str, Self)];

    /// The name of the value.
    fn wire_name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(n, _)| n)
    }

    /// The value of a name (exact match); an unknown name is `invalid_argument` with
    /// the reason [`UNKNOWN`](Self::UNKNOWN).
    fn from_wire(name: &str) -> Result<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| Self::unknown(&format_args!("{name:?}")))
    }

    /// The value at `index` of [`NAMES`](Self::NAMES) (a C enum value).
    fn from_index(index: u32) -> Result<Self> {
        (Self::NAMES.get(index as usize))
            .map(|(_, v)| *v)
            .ok_or_else(|| Self::unknown(&index))
    }

    /// The error for a value `got` that names nothing.
    fn unknown(got: &dyn Display) -> Error {
        let names: Vec<String> = Self::NAMES.iter().map(|(n, _)| format!("{n:?}")).collect();
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{got} is no {}: expected {}", Self::WHAT, names.join(", ")),
        )
        .with_reason(Self::UNKNOWN)
    }
}

impl WireName for Mode {
    const WHAT: &'static str = "address mode";
    const UNKNOWN: &'static str = "unknown_address_mode";
    const NAMES: &'static [(&'static str, Self)] =
        &[("envelope", Mode::Envelope), ("header", Mode::Header)];
}

impl WireName for Severity {
    const WHAT: &'static str = "severity";
    const UNKNOWN: &'static str = "unknown_severity";
    const NAMES: &'static [(&'static str, Self)] = &[
        ("success", Severity::Success),
        ("intermediate", Severity::Intermediate),
        ("transient", Severity::Transient),
        ("permanent", Severity::Permanent),
    ];
}

impl WireName for Category {
    const WHAT: &'static str = "category";
    const UNKNOWN: &'static str = "unknown_category";
    const NAMES: &'static [(&'static str, Self)] = &[
        ("addressing", Category::Addressing),
        ("mailbox", Category::Mailbox),
        ("mail_system", Category::MailSystem),
        ("network", Category::Network),
        ("protocol", Category::Protocol),
        ("content", Category::Content),
        ("security", Category::Security),
        ("other", Category::Other),
    ];
}

impl WireName for Command {
    const WHAT: &'static str = "SMTP command";
    const UNKNOWN: &'static str = "unknown_command";
    const NAMES: &'static [(&'static str, Self)] = &[
        ("GREETING", Command::Greeting),
        ("EHLO", Command::Ehlo),
        ("HELO", Command::Helo),
        ("STARTTLS", Command::StartTls),
        ("AUTH", Command::Auth),
        ("MAIL", Command::Mail),
        ("RCPT", Command::Rcpt),
        ("DATA", Command::Data),
        ("DATA_END", Command::DataEnd),
        ("BDAT", Command::Bdat),
        ("RSET", Command::Rset),
        ("NOOP", Command::Noop),
        ("QUIT", Command::Quit),
        ("OTHER", Command::Other),
    ];

    /// Commands are read as SMTP reads them: ASCII case-insensitive, with the aliases
    /// of [`Command::from_name`] (`"MAIL FROM"`, `"."`, …).
    fn from_wire(name: &str) -> Result<Self> {
        Command::from_name(name).ok_or_else(|| Self::unknown(&format_args!("{name:?}")))
    }
}

#[cfg(feature = "session")]
impl WireName for crate::smtp::TlsMode {
    const WHAT: &'static str = "TLS mode";
    const UNKNOWN: &'static str = "unknown_tls_mode";
    const NAMES: &'static [(&'static str, Self)] = &[
        ("starttls", Self::StartTls),
        ("implicit", Self::Implicit),
        ("insecure_plaintext", Self::InsecurePlaintext),
    ];
}

#[cfg(feature = "session")]
impl WireName for crate::smtp::AuthMechanism {
    const WHAT: &'static str = "AUTH mechanism";
    const UNKNOWN: &'static str = "unknown_auth_mechanism";
    const NAMES: &'static [(&'static str, Self)] =
        &[("plain", Self::Plain), ("login", Self::Login)];
}

/// The direction of a transcript line, as the Python binding's transcript callables and
/// logger receive it.
#[cfg(feature = "session")]
impl WireName for crate::smtp::Direction {
    const WHAT: &'static str = "transcript direction";
    const UNKNOWN: &'static str = "unknown_direction";
    const NAMES: &'static [(&'static str, Self)] =
        &[("sent", Self::Sent), ("received", Self::Received)];
}

/// A duration given as seconds (`what` names the argument): finite, ≥ 0 and
/// representable; with `positive`, also > 0. Else `invalid_argument`, reason
/// `invalid_duration`.
pub fn seconds(what: &str, secs: f64, positive: bool) -> Result<Duration> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !(positive && d.is_zero()))
        .ok_or_else(|| {
            let want = if positive { "> 0" } else { "≥ 0" };
            Error::new(
                ErrorKind::InvalidArgument,
                format!("{what} must be a finite number of seconds {want}, not {secs}"),
            )
            .with_reason("invalid_duration")
        })
}

/// A TCP port (`what` names the argument): 1 to 65535. Port 0 (or a wider number) is
/// `invalid_argument`, reason `invalid_port`.
pub fn port(what: &str, port: impl TryInto<u16> + Display + Copy) -> Result<u16> {
    port.try_into().ok().filter(|p| *p != 0).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{what} must be a port from 1 to 65535, not {port}"),
        )
        .with_reason("invalid_port")
    })
}

/// A whole number from `min` to `u32::MAX` (`what` names the argument), given as a
/// float because JavaScript and Python callers may pass any number. Else
/// `invalid_argument`, reason `invalid_count`.
pub fn count(what: &str, value: f64, min: u32) -> Result<u32> {
    if value.fract() == 0.0 && (f64::from(min)..=f64::from(u32::MAX)).contains(&value) {
        return Ok(value as u32);
    }
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "{what} must be a whole number from {min} to {}, not {value}",
            u32::MAX
        ),
    )
    .with_reason("invalid_count"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: WireName + std::fmt::Debug>() {
        for (i, (name, value)) in T::NAMES.iter().enumerate() {
            assert_eq!(T::from_wire(name).unwrap(), *value);
            assert_eq!(value.wire_name(), *name);
            assert_eq!(T::from_index(i as u32).unwrap(), *value);
        }
        let e = T::from_wire("no such name").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(e.reason(), Some(T::UNKNOWN));
        assert!(e.message().contains(T::NAMES[0].0), "{}", e.message());
        let e = T::from_index(T::NAMES.len() as u32).unwrap_err();
        assert_eq!(e.reason(), Some(T::UNKNOWN));
    }

    #[test]
    fn every_name_round_trips_and_an_unknown_one_has_its_reason() {
        round_trip::<Mode>();
        round_trip::<Severity>();
        round_trip::<Category>();
        round_trip::<Command>();
        #[cfg(feature = "smtp")]
        {
            round_trip::<crate::smtp::TlsMode>();
            round_trip::<crate::smtp::AuthMechanism>();
            round_trip::<crate::smtp::Direction>();
        }
    }

    #[test]
    fn wire_names_are_the_as_str_of_the_reply_enums() {
        for (name, value) in Severity::NAMES {
            assert_eq!(value.as_str(), *name);
        }
        for (name, value) in Category::NAMES {
            assert_eq!(value.as_str(), *name);
        }
        for (name, value) in Command::NAMES {
            assert_eq!(value.as_str(), *name);
        }
    }

    #[test]
    fn commands_are_read_case_insensitively_with_aliases() {
        assert_eq!(Command::from_wire("rcpt to").unwrap(), Command::Rcpt);
        assert_eq!(Command::from_wire(".").unwrap(), Command::DataEnd);
        assert_eq!(
            Command::from_wire("FROB").unwrap_err().reason(),
            Some("unknown_command")
        );
    }

    #[test]
    fn durations_must_be_finite_and_not_negative() {
        assert_eq!(
            seconds("t", 1.5, true).unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(seconds("t", 0.0, false).unwrap(), Duration::ZERO);
        for (secs, positive) in [
            (0.0, true),
            (-1.0, false),
            (f64::NAN, false),
            (f64::INFINITY, false),
            (1e30, false),
        ] {
            let e = seconds("timeout", secs, positive).unwrap_err();
            assert_eq!(e.reason(), Some("invalid_duration"), "{secs}");
            assert!(e.message().starts_with("timeout must be"));
        }
    }

    #[test]
    fn counts_are_whole_numbers_in_range() {
        assert_eq!(count("attempt", 0.0, 0).unwrap(), 0);
        assert_eq!(count("n", 4294967295.0, 1).unwrap(), u32::MAX);
        for bad in [-1.0, 1.5, f64::NAN, 4294967296.0, 0.0] {
            let e = count("n", bad, 1).unwrap_err();
            assert_eq!(e.reason(), Some("invalid_count"), "{bad}");
        }
    }

    #[test]
    fn ports_are_1_to_65535() {
        assert_eq!(port("port", 25u16).unwrap(), 25);
        assert_eq!(port("port", 65535u32).unwrap(), 65535);
        for bad in [0u32, 65536] {
            assert_eq!(
                port("port", bad).unwrap_err().reason(),
                Some("invalid_port")
            );
        }
    }
}
