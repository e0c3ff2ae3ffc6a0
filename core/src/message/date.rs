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
pub(crate) fn parse_date(input: &str) -> Result<String> {
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
    if !zone_ok {
        return Err(bad(input, "the zone must be +hhmm or -hhmm"));
    }
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

/// Writes `value` as decimal digits, at least `width` of them (zero-padded), at
/// `out[at..]`; returns the offset after them. `out` has room for every field.
fn put_number(out: &mut [u8; 40], at: usize, value: u32, width: usize) -> usize {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    let mut rest = value;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 && digits.len() - start >= width {
            break;
        }
    }
    let len = digits.len() - start;
    out[at..at + len].copy_from_slice(&digits[start..]);
    at + len
}

fn put(out: &mut [u8; 40], at: usize, text: &str) -> usize {
    out[at..at + text.len()].copy_from_slice(text.as_bytes());
    at + text.len()
}

/// `Sat, 28 Nov 2026 12:00:00 +0000` without the formatting machinery (this runs
/// for every message). Every field is bounded: day ≤ 31, year ≤ 9999, times ≤ 60,
/// the zone 5 bytes, so 31 bytes at most.
fn write_date(
    dow: &str,
    day: u32,
    month: u32,
    year: u32,
    (hour, minute, second): (u32, u32, u32),
    zone: &str,
) -> String {
    let mut out = [0u8; 40];
    let mut at = put(&mut out, 0, dow);
    at = put(&mut out, at, ", ");
    at = put_number(&mut out, at, day, 1);
    at = put(&mut out, at, " ");
    at = put(&mut out, at, MONTHS[month as usize - 1]);
    at = put(&mut out, at, " ");
    at = put_number(&mut out, at, year, 4);
    at = put(&mut out, at, " ");
    at = put_number(&mut out, at, hour, 2);
    at = put(&mut out, at, ":");
    at = put_number(&mut out, at, minute, 2);
    at = put(&mut out, at, ":");
    at = put_number(&mut out, at, second, 2);
    at = put(&mut out, at, " ");
    at = put(&mut out, at, zone);
    // Only ASCII was written.
    String::from_utf8_lossy(&out[..at]).into_owned()
}

/// The canonical Date text of a Unix time (UTC), years 1900 to 9999.
pub(crate) fn format_unix(secs: i64) -> Result<String> {
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
        "+0000",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form() {
        assert_eq!(
            parse_date("Sat, 28 Nov 2026 12:00:00 +0000").unwrap(),
            "Sat, 28 Nov 2026 12:00:00 +0000"
        );
        assert_eq!(
            parse_date("1 Jan 2030 09:05 -0130").unwrap(),
            "Tue, 1 Jan 2030 09:05:00 -0130"
        );
        assert_eq!(
            parse_date("29 Feb 2028 23:59:60 +1400").unwrap(),
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
            assert_eq!(parse_date(&text).unwrap(), text);
        }
        assert_eq!(
            format_unix(1_795_867_200).unwrap(),
            "Sat, 28 Nov 2026 12:00:00 +0000"
        );
        assert!(format_unix(-2_208_988_801).is_err());
    }
}
