//! UTC timestamps of status events: parsing the service's `YYYY-MM-DD HH:MM:SS[.fff]`
//! form (and its RFC 3339 relatives) and formatting `YYYY-MM-DDTHH:MM:SS.mmmZ`.
//!
//! Calendar arithmetic uses the proleptic Gregorian calendar (Howard Hinnant's
//! `days_from_civil` / `civil_from_days`), in `i64`, so that every `i64` millisecond
//! value formats without overflow or panic.

use crate::error::{Error, ErrorKind, Result};
use std::fmt;

const MS_PER_DAY: i64 = 86_400_000;

/// A point in time in UTC, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    ///
    /// Years outside 0000–9999 are written as JavaScript's `Date.toISOString` writes
    /// them: a sign and six digits (`+010000-01-01T00:00:00.000Z`, `-000001-…`).
    pub fn to_rfc3339(&self) -> String {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let ms = ms_of_day % 1000;
        let secs = ms_of_day / 1000;
        let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let year = if (0..=9999).contains(&year) {
            format!("{year:04}")
        } else {
            format!("{year:+07}")
        };
        format!("{year}-{month:02}-{day:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }

    /// Parses a timestamp of the status API.
    ///
    /// Accepted: `YYYY-MM-DD HH:MM:SS` with an optional fraction of 1 to 9 digits,
    /// a `T` (or `t`) instead of the space, and an optional zone `Z` / `z` or
    /// `±HH:MM`. Without a zone the time is read as UTC (the service sends none).
    /// Digits beyond milliseconds are truncated, never rounded (rounding could carry
    /// into the next second, day or year). The year has exactly four digits; leap
    /// seconds (`:60`) and impossible dates (`2015-02-29`) are refused.
    ///
    /// Errors have kind `invalid_status_response`, reason `bad_timestamp` and the byte
    /// offset of the first offending character in `s` as position.
    pub fn parse(s: &str) -> Result<Timestamp> {
        Parser {
            s: s.as_bytes(),
            i: 0,
        }
        .timestamp()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> Error {
        Error::new(
            ErrorKind::InvalidStatusResponse,
            format!("bad timestamp: {what} at byte {}", self.i),
        )
        .with_reason("bad_timestamp")
        .with_position(self.i)
    }

    fn digits(&mut self, n: usize, what: &str) -> Result<i64> {
        let mut v = 0i64;
        for _ in 0..n {
            match self.s.get(self.i) {
                Some(c) if c.is_ascii_digit() => {
                    v = v * 10 + i64::from(c - b'0');
                    self.i += 1;
                }
                _ => return Err(self.fail(&format!("expected {n} digits of the {what}"))),
            }
        }
        Ok(v)
    }

    fn byte(&mut self, allowed: &[u8], what: &str) -> Result<u8> {
        match self.s.get(self.i) {
            Some(c) if allowed.contains(c) => {
                self.i += 1;
                Ok(*c)
            }
            _ => Err(self.fail(&format!("expected {what}"))),
        }
    }

    fn range(&mut self, v: i64, lo: i64, hi: i64, start: usize, what: &str) -> Result<i64> {
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            self.i = start;
            Err(self.fail(&format!("{what} {v} is out of range")))
        }
    }

    fn timestamp(&mut self) -> Result<Timestamp> {
        let year = self.digits(4, "year")?;
        self.byte(b"-", "'-' after the year")?;
        let at = self.i;
        let month = self.digits(2, "month")?;
        let month = self.range(month, 1, 12, at, "month")?;
        self.byte(b"-", "'-' after the month")?;
        let at = self.i;
        let day = self.digits(2, "day")?;
        let day = self.range(day, 1, days_in_month(year, month), at, "day")?;
        self.byte(b" Tt", "' ' or 'T' between date and time")?;
        let at = self.i;
        let hour = self.digits(2, "hour")?;
        let hour = self.range(hour, 0, 23, at, "hour")?;
        self.byte(b":", "':' after the hour")?;
        let at = self.i;
        let minute = self.digits(2, "minute")?;
        let minute = self.range(minute, 0, 59, at, "minute")?;
        self.byte(b":", "':' after the minute")?;
        let at = self.i;
        let second = self.digits(2, "second")?;
        let second = self.range(second, 0, 59, at, "second")?;
        let mut millis = 0i64;
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            let start = self.i;
            while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                let n = self.i - start;
                if n == 9 {
                    return Err(self.fail("more than 9 fraction digits"));
                }
                if n < 3 {
                    millis = millis * 10 + i64::from(self.s[self.i] - b'0');
                }
                self.i += 1;
            }
            let n = self.i - start;
            if n == 0 {
                return Err(self.fail("expected digits after '.'"));
            }
            for _ in n..3 {
                millis *= 10;
            }
        }
        let mut offset_minutes = 0i64;
        match self.s.get(self.i) {
            None => {}
            Some(b'Z' | b'z') => self.i += 1,
            Some(&sign @ (b'+' | b'-')) => {
                self.i += 1;
                let at = self.i;
                let oh = self.digits(2, "zone hour")?;
                let oh = self.range(oh, 0, 23, at, "zone hour")?;
                self.byte(b":", "':' in the zone offset")?;
                let at = self.i;
                let om = self.digits(2, "zone minute")?;
                let om = self.range(om, 0, 59, at, "zone minute")?;
                offset_minutes = (oh * 60 + om) * if sign == b'-' { -1 } else { 1 };
            }
            Some(_) => return Err(self.fail("expected a fraction, a zone or the end")),
        }
        if self.i != self.s.len() {
            return Err(self.fail("unexpected text after the timestamp"));
        }
        let days = days_from_civil(year, month, day);
        let secs = ((hour * 60 + minute) * 60 + second) - offset_minutes * 60;
        Ok(Timestamp(days * MS_PER_DAY + secs * 1000 + millis))
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> String {
        Timestamp::parse(s).unwrap().to_rfc3339()
    }

    fn bad(s: &str) -> usize {
        let e = Timestamp::parse(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidStatusResponse);
        assert_eq!(e.reason(), Some("bad_timestamp"));
        e.position().unwrap()
    }

    #[test]
    fn the_service_form_is_read_as_utc() {
        assert_eq!(ts("2015-03-08 14:58:30.252"), "2015-03-08T14:58:30.252Z");
        assert_eq!(
            Timestamp::parse("1970-01-01 00:00:00").unwrap(),
            Timestamp(0)
        );
        assert_eq!(
            Timestamp::parse("2015-03-08 14:58:30.252").unwrap(),
            Timestamp(1_425_826_710_252)
        );
    }

    #[test]
    fn fractions_are_padded_or_truncated_to_milliseconds() {
        assert_eq!(ts("2015-03-08 14:58:30"), "2015-03-08T14:58:30.000Z");
        assert_eq!(ts("2015-03-08 14:58:30.2"), "2015-03-08T14:58:30.200Z");
        assert_eq!(ts("2015-03-08 14:58:30.25"), "2015-03-08T14:58:30.250Z");
        assert_eq!(
            ts("2015-03-08 14:58:30.999999999"),
            "2015-03-08T14:58:30.999Z"
        );
        assert_eq!(ts("1999-12-31 23:59:59.9999"), "1999-12-31T23:59:59.999Z");
    }

    #[test]
    fn rfc3339_relatives_are_accepted() {
        assert_eq!(ts("2015-03-08T14:58:30.252Z"), "2015-03-08T14:58:30.252Z");
        assert_eq!(ts("2015-03-08t14:58:30z"), "2015-03-08T14:58:30.000Z");
        assert_eq!(ts("2015-03-08T14:58:30+01:30"), "2015-03-08T13:28:30.000Z");
        assert_eq!(ts("2015-03-08T23:58:30-02:00"), "2015-03-09T01:58:30.000Z");
    }

    #[test]
    fn calendar_rules_hold() {
        assert_eq!(ts("2016-02-29 00:00:00"), "2016-02-29T00:00:00.000Z");
        assert_eq!(ts("2000-02-29 00:00:00"), "2000-02-29T00:00:00.000Z");
        assert_eq!(bad("1900-02-29 00:00:00"), 8);
        assert_eq!(bad("2015-02-29 00:00:00"), 8);
        assert_eq!(bad("2015-04-31 00:00:00"), 8);
        assert_eq!(bad("2015-13-01 00:00:00"), 5);
        assert_eq!(bad("2015-00-01 00:00:00"), 5);
        assert_eq!(bad("2015-01-01 24:00:00"), 11);
        assert_eq!(bad("2015-01-01 23:60:00"), 14);
        assert_eq!(bad("2015-01-01 23:59:60"), 17);
        assert_eq!(ts("0000-01-01 00:00:00"), "0000-01-01T00:00:00.000Z");
        assert_eq!(ts("9999-12-31 23:59:59.999"), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn malformed_timestamps_point_at_the_offending_byte() {
        assert_eq!(bad(""), 0);
        assert_eq!(bad("15-03-08 14:58:30"), 2);
        assert_eq!(bad("2015/03/08 14:58:30"), 4);
        assert_eq!(bad("2015-03-08_14:58:30"), 10);
        assert_eq!(bad("2015-03-08 14:58"), 16);
        assert_eq!(bad("2015-03-08 14:58:30."), 20);
        assert_eq!(bad("2015-03-08 14:58:30.1234567890"), 29);
        assert_eq!(bad("2015-03-08 14:58:30 "), 19);
        assert_eq!(bad(" 2015-03-08 14:58:30"), 0);
        assert_eq!(bad("2015-03-08 14:58:30Zx"), 20);
        assert_eq!(bad("2015-03-08 14:58:30+0100"), 22);
        assert_eq!(bad("2015-03-08 14:58:30+24:00"), 20);
        assert_eq!(bad("２015-03-08 14:58:30"), 0);
    }

    #[test]
    fn extreme_values_format_without_panicking() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Timestamp(-1).to_rfc3339(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            Timestamp(8_640_000_000_000_000).to_rfc3339(),
            "+275760-09-13T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp(-62_198_755_200_000).to_rfc3339(),
            "-000001-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp(253_402_300_800_000).to_rfc3339(),
            "+010000-01-01T00:00:00.000Z"
        );
        for v in [i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1] {
            assert!(Timestamp(v).to_rfc3339().ends_with('Z'));
        }
    }

    #[test]
    fn day_counts_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
