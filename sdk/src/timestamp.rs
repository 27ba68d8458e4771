//! One normalised point in time for every timestamp the manager sends.
//!
//! The manager mixes ISO 8601 strings (`2025-09-18T14:56:14.123456+00:00`, sometimes with `Z`,
//! sometimes naive) and epoch numbers (float seconds, and milliseconds from some clients) within a
//! single run (docs/protocol.md §2). [`Timestamp`] holds microseconds since the Unix epoch in
//! UTC, so all of them compare and subtract the same way. Parsing is total: bad or out-of-range
//! input gives `None`, never a panic.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Microseconds in one second.
const MICROS_PER_SEC: i64 = 1_000_000;
/// Epoch numbers above this are milliseconds, at or below it seconds (docs/protocol.md §2).
const MILLIS_THRESHOLD: f64 = 1e12;
/// Seconds from 0000-01-01T00:00:00Z to the epoch, negated: the earliest accepted instant.
const MIN_SECS: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z: the latest accepted instant.
const MAX_SECS: i64 = 253_402_300_799;

/// A point in time in UTC, with microsecond precision.
///
/// Serialises as an ISO 8601 string in UTC with a `Z` suffix (for example
/// `2025-09-18T14:56:14.123456Z`), which JavaScript's `new Date(...)` reads directly.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "string"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    micros: i64,
}

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const EPOCH: Timestamp = Timestamp { micros: 0 };

    /// A timestamp from microseconds since the Unix epoch.
    #[must_use]
    pub const fn from_unix_micros(micros: i64) -> Self {
        Timestamp { micros }
    }

    /// A timestamp from milliseconds since the Unix epoch (what JavaScript's `Date.now()` returns).
    ///
    /// Returns `None` for a non-finite value or one outside the years 0000 to 9999.
    #[must_use]
    pub fn from_unix_millis_f64(millis: f64) -> Option<Self> {
        Self::from_unix_secs_f64(millis / 1000.0)
    }

    /// A timestamp from (fractional) seconds since the Unix epoch.
    ///
    /// Returns `None` for a non-finite value or one outside the years 0000 to 9999.
    #[must_use]
    pub fn from_unix_secs_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() {
            return None;
        }
        // `as` saturates, and the range check below rejects anything saturated.
        let micros = (secs * MICROS_PER_SEC as f64).round() as i64;
        let range = MIN_SECS * MICROS_PER_SEC..=MAX_SECS * MICROS_PER_SEC + (MICROS_PER_SEC - 1);
        range.contains(&micros).then_some(Timestamp { micros })
    }

    /// Reads an epoch number the way the manager's clients must: above 1e12 it is milliseconds,
    /// otherwise seconds (docs/protocol.md §2).
    #[must_use]
    pub fn from_epoch_number(value: f64) -> Option<Self> {
        if value.abs() > MILLIS_THRESHOLD {
            Self::from_unix_millis_f64(value)
        } else {
            Self::from_unix_secs_f64(value)
        }
    }

    /// Microseconds since the Unix epoch.
    #[must_use]
    pub const fn as_unix_micros(self) -> i64 {
        self.micros
    }

    /// Milliseconds since the Unix epoch, as JavaScript counts time.
    #[must_use]
    pub fn as_unix_millis_f64(self) -> f64 {
        self.micros as f64 / 1000.0
    }

    /// This timestamp moved forward by `micros` microseconds (backward when negative), saturating.
    #[must_use]
    pub const fn add_micros(self, micros: i64) -> Self {
        Timestamp { micros: self.micros.saturating_add(micros) }
    }

    /// This timestamp moved forward by `duration`, saturating.
    #[must_use]
    pub(crate) const fn add_duration(self, duration: Duration) -> Self {
        self.add_micros(duration_micros(duration))
    }

    /// Microseconds from `earlier` to `self` (negative when `earlier` is later), saturating.
    #[must_use]
    pub const fn micros_since(self, earlier: Timestamp) -> i64 {
        self.micros.saturating_sub(earlier.micros)
    }

    /// Parses an ISO 8601 / RFC 3339 date-time: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by
    /// `Z`, `+HH:MM`, `+HHMM`, `+HH` or nothing (naive, taken as UTC). A space may replace the `T`.
    /// A numeric string is read as an epoch number.
    ///
    /// Returns `None` when the text is not such a date-time or lies outside the years 0000 to 9999.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let bytes = text.as_bytes();
        if bytes.len() < 16 || bytes.get(4) != Some(&b'-') {
            return crate::decode::number::as_f64(text).and_then(Self::from_epoch_number);
        }
        let mut cursor = Cursor { bytes, pos: 0 };
        let year = cursor.digits(4)?;
        cursor.expect(b'-')?;
        let month = cursor.digits(2)?;
        cursor.expect(b'-')?;
        let day = cursor.digits(2)?;
        match cursor.next()? {
            b'T' | b't' | b' ' => {}
            _ => return None,
        }
        let hour = cursor.digits(2)?;
        cursor.expect(b':')?;
        let minute = cursor.digits(2)?;
        let mut second = 0;
        let mut micros = 0;
        if cursor.peek() == Some(b':') {
            cursor.pos += 1;
            second = cursor.digits(2)?;
            if matches!(cursor.peek(), Some(b'.' | b',')) {
                cursor.pos += 1;
                micros = cursor.fraction_micros()?;
            }
        }
        let offset_secs = match cursor.next() {
            None => 0,
            Some(b'Z' | b'z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let hours = cursor.digits(2)?;
                let minutes = match cursor.peek() {
                    None => 0,
                    Some(b':') => {
                        cursor.pos += 1;
                        cursor.digits(2)?
                    }
                    Some(_) => cursor.digits(2)?,
                };
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let offset = hours * 3600 + minutes * 60;
                if sign == b'-' { -offset } else { offset }
            }
            Some(_) => return None,
        };
        if cursor.peek().is_some() {
            return None;
        }
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        // A leap second (:60) is read as the last microsecond of the minute's 59th second.
        let (second, micros) = if second == 60 { (59, 999_999) } else { (second, micros) };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
        if !(MIN_SECS..=MAX_SECS).contains(&secs) {
            return None;
        }
        Some(Timestamp { micros: secs * MICROS_PER_SEC + micros })
    }
}

impl Timestamp {
    /// Appends `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (the fraction only when non-zero) to `out`.
    ///
    /// Digits pushed one by one rather than `write!`: this is on the wasm package's path (every
    /// client message and state carries a time), which links no `core::fmt` formatting.
    pub(crate) fn push_iso(&self, out: &mut String) {
        fn padded(out: &mut String, value: i64, width: u32) {
            let value = value.clamp(0, 10_i64.pow(width) - 1);
            for place in (0..width).rev() {
                let digit = (value / 10_i64.pow(place)) % 10;
                out.push(char::from(b'0' + digit as u8));
            }
        }
        let secs = self.micros.div_euclid(MICROS_PER_SEC);
        let micros = self.micros.rem_euclid(MICROS_PER_SEC);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        for (separator, value, width) in [
            ("", year, 4),
            ("-", month, 2),
            ("-", day, 2),
            ("T", rem / 3600, 2),
            (":", (rem % 3600) / 60, 2),
            (":", rem % 60, 2),
        ] {
            out.push_str(separator);
            padded(out, value, width);
        }
        if micros != 0 {
            out.push('.');
            padded(out, micros, 6);
        }
        out.push('Z');
    }
}

impl fmt::Display for Timestamp {
    /// Formats as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (the fraction only when non-zero).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::with_capacity(27);
        self.push_iso(&mut text);
        f.write_str(&text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// Accepts everything [`Timestamp::parse`] and [`Timestamp::from_epoch_number`] accept.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 8601 date-time or an epoch number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).ok_or_else(|| E::custom(format!("invalid timestamp {v:?}")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Timestamp, E> {
                Timestamp::from_epoch_number(v).ok_or_else(|| E::custom("timestamp out of range"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
                self.visit_f64(v as f64)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A byte cursor for the ISO parser; every step is bounds-checked.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn digits(&mut self, count: usize) -> Option<i64> {
        let mut value = 0i64;
        for _ in 0..count {
            let byte = self.next()?;
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(byte - b'0');
        }
        Some(value)
    }

    /// Reads a fraction of a second of any length, keeping microsecond precision (truncating).
    fn fraction_micros(&mut self) -> Option<i64> {
        let mut micros = 0i64;
        let mut scale = 100_000i64;
        let start = self.pos;
        while let Some(byte) = self.peek().filter(u8::is_ascii_digit) {
            micros += i64::from(byte - b'0') * scale;
            scale /= 10;
            self.pos += 1;
        }
        (self.pos > start).then_some(micros)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `duration` in whole microseconds, saturating at `i64::MAX`. In plain 64-bit arithmetic:
/// `Duration::as_micros` is a `u128`, and an overflow-checked 64-bit multiplication is one too
/// in wasm; each is a call to a 128-bit routine (`__multi3`), and the checker asks on every
/// event.
pub(crate) const fn duration_micros(duration: Duration) -> i64 {
    const WHOLE_SECONDS: u64 = i64::MAX as u64 / 1_000_000;
    let seconds = duration.as_secs();
    if seconds > WHOLE_SECONDS {
        return i64::MAX;
    }
    // At most 9,223,372,036,854,999,999: no overflow.
    let micros = seconds * 1_000_000 + duration.subsec_micros() as u64;
    if micros > i64::MAX as u64 { i64::MAX } else { micros as i64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> i64 {
        Timestamp::parse(text).unwrap_or_else(|| panic!("{text} should parse")).as_unix_micros()
    }

    #[test]
    fn python_isoformat_with_offset_parses_to_microseconds() {
        assert_eq!(iso("2025-09-18T14:56:14.123456+00:00"), 1_758_207_374_123_456);
    }

    #[test]
    fn z_suffix_naive_and_offset_forms_agree() {
        let utc = iso("2025-09-18T14:56:14Z");
        assert_eq!(iso("2025-09-18T14:56:14"), utc);
        assert_eq!(iso("2025-09-18 14:56:14"), utc);
        assert_eq!(iso("2025-09-18T16:56:14+02:00"), utc);
        assert_eq!(iso("2025-09-18T16:56:14+0200"), utc);
        assert_eq!(iso("2025-09-18T09:56:14-05"), utc);
    }

    #[test]
    fn short_fraction_and_long_fraction_scale_correctly() {
        assert_eq!(iso("2025-09-18T14:56:14.1+00:00") % 1_000_000, 100_000);
        assert_eq!(iso("2025-09-18T14:56:14.123456789Z") % 1_000_000, 123_456);
    }

    #[test]
    fn epoch_seconds_and_milliseconds_are_told_apart_at_1e12() {
        let secs = Timestamp::from_epoch_number(1_758_207_374.5).map(Timestamp::as_unix_micros);
        let millis =
            Timestamp::from_epoch_number(1_758_207_374_500.0).map(Timestamp::as_unix_micros);
        assert_eq!(secs, Some(1_758_207_374_500_000));
        assert_eq!(millis, secs);
    }

    #[test]
    fn invalid_dates_and_garbage_are_rejected_without_panicking() {
        for bad in [
            "",
            "2025-13-01T00:00:00Z",
            "2025-02-30T00:00:00Z",
            "2025-09-18T24:00:00Z",
            "2025-09-18T14:56:14+25:00",
            "2025-09-18T14:56:14Zjunk",
            "2025-09-18T14:56:14.Z",
            "not a date at all",
            "९९९९-09-18T14:56:14Z",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Timestamp::from_epoch_number(f64::NAN), None);
        assert_eq!(Timestamp::from_epoch_number(1e300), None);
        // The first instant of the year 10000 is out of range, in seconds and in milliseconds.
        assert_eq!(Timestamp::from_epoch_number(253_402_300_800.0), None);
        assert_eq!(Timestamp::from_epoch_number(253_402_300_800_000.0), None);
        assert!(Timestamp::from_epoch_number(253_402_300_799.5).is_some());
    }

    #[test]
    fn display_round_trips_through_parse() {
        for micros in
            [0, 1, -1, 1_758_207_374_123_456, -62_167_219_200_000_000, 253_402_300_799_999_999]
        {
            let ts = Timestamp::from_unix_micros(micros);
            assert_eq!(Timestamp::parse(&ts.to_string()), Some(ts), "{ts}");
        }
        assert_eq!(Timestamp::EPOCH.to_string(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn durations_in_microseconds_are_exact_and_saturate_as_the_u128_arithmetic_does() {
        let reference =
            |duration: Duration| i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        for duration in [
            Duration::ZERO,
            Duration::from_nanos(999),
            Duration::from_nanos(1_999),
            Duration::from_micros(999_999),
            Duration::from_secs(30),
            Duration::new(9_223_372_036_854, 775_807_999),
            Duration::new(9_223_372_036_854, 775_808_000),
            Duration::from_secs(u64::MAX / 1_000_000 + 1),
            Duration::MAX,
        ] {
            assert_eq!(duration_micros(duration), reference(duration), "{duration:?}");
        }
        assert_eq!(duration_micros(Duration::new(9_223_372_036_854, 775_807_000)), i64::MAX);
        assert_eq!(
            Timestamp::EPOCH.add_duration(Duration::from_millis(1_500)),
            Timestamp::from_unix_micros(1_500_000)
        );
    }

    #[test]
    fn leap_day_is_accepted_only_in_leap_years() {
        assert!(Timestamp::parse("2024-02-29T00:00:00Z").is_some());
        assert!(Timestamp::parse("2100-02-29T00:00:00Z").is_none());
        assert!(Timestamp::parse("2000-02-29T00:00:00Z").is_some());
    }
}
