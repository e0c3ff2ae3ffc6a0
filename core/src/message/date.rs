//! The Date header: an RFC 5322 `date-time` given as text is parsed strictly and
//! written back in one canonical form (`Sat, 28 Nov 2026 12:00:00 +0000`: weekday
//! added when absent, seconds always, the zone kept as given); a Unix time is written
//! in UTC.

use super::headers::invalid;
use crate::error::Result;

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn weekday(days: i64) -> &'static str {
    // 1970-01-01 was a Thursday (index 3).
    DAYS[(days + 3).rem_euclid(7) as usize]
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

fn bad(input: &str, what: &str) -> crate::Error {
    invalid(
        "invalid_date",
        format!("the date {input:?} is not an RFC 5322 date-time ({what}), e.g. \"Sat, 28 Nov 2026 12:00:00 +0000\""),
    )
}

/// Parses `[day-of-week ","] day month year hour ":" minute [":" second] zone`
/// (no obsolete forms: the zone is `+hhmm` / `-hhmm`) and returns the canonical text.
pub(crate) fn parse_date(input: &str) -> Result<DateText> {
    super::headers::check_text("the date", input, false)?;
    let mut rest = input.trim_matches([' ', '\t']);
    let mut given_day = None;
    if let Some((dow, after)) = rest.split_once(',') {
        let dow = dow.trim_end_matches([' ', '\t']);
        let found = DAYS.iter().find(|d| d.eq_ignore_ascii_case(dow));
        given_day = Some(*found.ok_or_else(|| bad(input, "unknown day of the week"))?);
        rest = after;
    }
    let fields: Vec<&str> = rest.split([' ', '\t']).filter(|f| !f.is_empty()).collect();
    let [day, month, year, time, zone] = fields[..] else {
        return Err(bad(input, "expected day, month, year, time and zone"));
    };
    let digits = |s: &str, min: usize, max: usize| -> Option<u32> {
        (s.len() >= min && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let day = digits(day, 1, 2).ok_or_else(|| bad(input, "bad day"))?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month))
        .ok_or_else(|| bad(input, "bad month"))? as u32
        + 1;
    let year = digits(year, 4, 4).ok_or_else(|| bad(input, "bad year"))? as i64;
    if year < 1900 {
        return Err(bad(input, "year before 1900"));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(bad(input, "no such day in that month"));
    }
    let parts: Vec<&str> = time.split(':').collect();
    let (hour, minute, second) = match parts[..] {
        [h, m] => (digits(h, 2, 2), digits(m, 2, 2), Some(0)),
        [h, m, s] => (digits(h, 2, 2), digits(m, 2, 2), digits(s, 2, 2)),
        _ => (None, None, None),
    };
    let (Some(hour), Some(minute), Some(second)) = (hour, minute, second) else {
        return Err(bad(input, "bad time"));
    };
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad(input, "time out of range"));
    }
    let zone_ok = zone.len() == 5
        && matches!(zone.as_bytes()[0], b'+' | b'-')
        && digits(&zone[1..], 4, 4).is_some_and(|z| z % 100 <= 59);
    let (true, Ok(zone)) = (zone_ok, <[u8; 5]>::try_from(zone.as_bytes())) else {
        return Err(bad(input, "the zone must be +hhmm or -hhmm"));
    };
    let days = days_from_civil(year, month, day);
    let dow = weekday(days);
    if given_day.is_some_and(|d| d != dow) {
        return Err(bad(input, "the day of the week does not match the date"));
    }
    Ok(write_date(
        dow,
        day,
        month,
        year as u32,
        (hour, minute, second),
        zone,
    ))
}

/// A Date header value in canonical form, held on the stack: at most 31 ASCII bytes
/// (day ≤ 31, year ≤ 9999, times ≤ 60, the zone 5 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateText {
    bytes: [u8; 32],
    len: usize,
}

impl DateText {
    /// The text's bytes (ASCII).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// The text.
    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is ever written: the check cannot fail.
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

/// Two decimal digits of `value` (below 100).
fn two_digits(value: u32) -> [u8; 2] {
    [b'0' + (value / 10 % 10) as u8, b'0' + (value % 10) as u8]
}

/// `Sat, 28 Nov 2026 12:00:00 +0000` without the formatting machinery (this runs
/// for every message): digits written in place, no allocation. The callers give
/// day 1-31, a year 1900-9999, hour ≤ 23, minute ≤ 59, second ≤ 60.
fn write_date(
    dow: &str,
    day: u32,
    month: u32,
    year: u32,
    (hour, minute, second): (u32, u32, u32),
    zone: [u8; 5],
) -> DateText {
    let dow = dow.as_bytes();
    let mon = MONTHS
        .get((month as usize).wrapping_sub(1))
        .map_or(&b"   "[..], |m| m.as_bytes());
    let mut bytes = [0u8; 32];
    bytes[..5].copy_from_slice(&[dow[0], dow[1], dow[2], b',', b' ']);
    let [d1, d2] = two_digits(day);
    let at = if day >= 10 {
        bytes[5] = d1;
        bytes[6] = d2;
        7
    } else {
        bytes[5] = d2;
        6
    };
    let [y1, y2] = two_digits(year / 100);
    let [y3, y4] = two_digits(year);
    let [h1, h2] = two_digits(hour);
    let [m1, m2] = two_digits(minute);
    let [s1, s2] = two_digits(second);
    let rest = [
        b' ', mon[0], mon[1], mon[2], b' ', y1, y2, y3, y4, b' ', h1, h2, b':', m1, m2, b':', s1,
        s2, b' ', zone[0], zone[1], zone[2], zone[3], zone[4],
    ];
    bytes[at..at + rest.len()].copy_from_slice(&rest);
    DateText {
        bytes,
        len: at + rest.len(),
    }
}

/// The canonical Date text of a Unix time (UTC), years 1900 to 9999.
pub(crate) fn format_unix(secs: i64) -> Result<DateText> {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    if !(1900..=9999).contains(&year) {
        return Err(invalid(
            "invalid_date",
            format!("the time {secs} is outside the years 1900 to 9999"),
        ));
    }
    Ok(write_date(
        weekday(days),
        day,
        month,
        year as u32,
        (rem / 3600, rem / 60 % 60, rem % 60),
        *b"+0000",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form() {
        assert_eq!(
            parse_date("Sat, 28 Nov 2026 12:00:00 +0000")
                .unwrap()
                .as_str(),
            "Sat, 28 Nov 2026 12:00:00 +0000"
        );
        assert_eq!(
            parse_date("1 Jan 2030 09:05 -0130").unwrap().as_str(),
            "Tue, 1 Jan 2030 09:05:00 -0130"
        );
        assert_eq!(
            parse_date("29 Feb 2028 23:59:60 +1400").unwrap().as_str(),
            "Tue, 29 Feb 2028 23:59:60 +1400"
        );
    }

    #[test]
    fn bad_dates() {
        for bad in [
            "",
            "Fri, 28 Nov 2026 12:00:00 +0000",
            "28 Nov 2026 12:00:00",
            "28 Nov 2026 12:00:00 GMT",
            "29 Feb 2027 12:00:00 +0000",
            "28 Nov 26 12:00:00 +0000",
            "28 Nov 2026 24:00:00 +0000",
            "28 Nov 2026 12:00:00 +0060",
            "28 Nov 2026 12:00:00 +0000\r\nBcc: x@y",
            "Sat, 28 Nov 2026 12:00:00 +0000 extra",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unix_times_round_trip_through_the_parser() {
        for secs in [
            0i64,
            951_782_400,
            1_795_867_200,
            4_102_444_799,
            -2_208_988_800,
        ] {
            let text = format_unix(secs).unwrap();
            assert_eq!(parse_date(text.as_str()).unwrap(), text);
        }
        assert_eq!(
            format_unix(1_795_867_200).unwrap().as_str(),
            "Sat, 28 Nov 2026 12:00:00 +0000"
        );
        assert!(format_unix(-2_208_988_801).is_err());
        // Every day of the supported range reads back the same through the parser,
        // single-digit days and the first and last years included.
        for days in [-25_567i64, -1, 0, 9, 10, 18_000, 2_932_896] {
            let text = format_unix(days * 86_400 + 86_399).unwrap();
            assert_eq!(parse_date(text.as_str()).unwrap(), text, "{days}");
            assert!(
                text.as_str().ends_with(" 23:59:59 +0000"),
                "{}",
                text.as_str()
            );
        }
        assert_eq!(
            format_unix(253_402_300_799).unwrap().as_str(),
            "Fri, 31 Dec 9999 23:59:59 +0000"
        );
        assert!(format_unix(253_402_300_800).is_err());
    }

    #[test]
    fn unix_times_are_written_as_mail_builder_writes_them() {
        let mut secs = -2_208_988_800i64;
        while secs < 253_402_300_800 {
            assert_eq!(
                format_unix(secs).unwrap().as_str(),
                mail_builder::headers::date::Date::new(secs).to_rfc822(),
                "{secs}"
            );
            secs += 86_400 * 37 + 3_607;
        }
    }
}
