//! Time: a UTC timestamp read from Windows text (log lines, WMI `CIM_DATETIME` values), without a
//! calendar library (we only need to parse, compare and print), and the clock helpers the
//! engines share.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize, Serializer};

/// Seconds since the Unix epoch, UTC. Prints as ISO 8601 (`2008-07-02T10:15:31Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(pub i64);

impl UtcTime {
    /// The current time, to the second (the Unix epoch for a clock set before 1970).
    pub fn now() -> UtcTime {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        UtcTime(i64::try_from(secs).unwrap_or(0))
    }

    /// From calendar fields, UTC.
    pub fn from_fields(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<UtcTime> {
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        Some(UtcTime(days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s)))
    }

    /// Reads `yyyy-mm-dd hh:mm:ss` (fractions after it are ignored), as the WSUS server log
    /// writes its times (in UTC).
    pub fn parse_log_prefix(text: &str) -> Option<UtcTime> {
        let b = text.trim_start().as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if !(b[10] == b' ' || b[10] == b'T' || b[10] == b'\t') {
            return None;
        }
        let n = |r: std::ops::Range<usize>| -> Option<u32> {
            let s = std::str::from_utf8(b.get(r)?).ok()?;
            s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
        };
        UtcTime::from_fields(i64::from(n(0..4)?), n(5..7)?, n(8..10)?, n(11..13)?, n(14..16)?, n(17..19)?)
    }

    /// Reads a WMI `CIM_DATETIME` (`yyyymmddHHMMSS.mmmmmmsUUU`, the last part the offset
    /// from UTC in minutes) and converts it to UTC. The value comes from the host's output:
    /// a sign that is not one ASCII character, or an offset too large to apply, reads as no
    /// time rather than a panic.
    pub fn parse_cim_datetime(text: &str) -> Option<UtcTime> {
        let t = text.trim();
        let b = t.as_bytes();
        if b.len() < 14 || !b[..14].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = |r: std::ops::Range<usize>| -> Option<u32> { t.get(r)?.parse().ok() };
        let base = UtcTime::from_fields(i64::from(n(0..4)?), n(4..6)?, n(6..8)?, n(8..10)?, n(10..12)?, n(12..14)?)?;
        let offset_minutes = match t.get(21..) {
            Some(off) if off.len() >= 2 => {
                let (sign, digits) = off.split_at_checked(1)?;
                let minutes: i64 = digits.parse().ok()?;
                match sign {
                    "+" => minutes,
                    "-" => minutes.checked_neg()?,
                    _ => return None,
                }
            }
            _ => 0,
        };
        Some(UtcTime(base.0.checked_sub(offset_minutes.checked_mul(60)?)?))
    }

    fn fields(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.fields();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl Serialize for UtcTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UtcTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<UtcTime, D::Error> {
        let text = String::deserialize(d)?;
        UtcTime::parse_log_prefix(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a time like 2008-07-02T10:15:31Z")))
    }
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Whole milliseconds of `duration`, saturating.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Milliseconds since the Unix epoch of `time` (0 for a clock set before 1970).
pub fn unix_ms(time: SystemTime) -> u64 {
    millis(time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_prefix_and_round_trip() {
        let t = UtcTime::parse_log_prefix("2008-07-02 10:15:31.123 UTC\tError").unwrap();
        assert_eq!(t.to_string(), "2008-07-02T10:15:31Z");
        assert_eq!(UtcTime::parse_log_prefix("2008-07-02T10:15:31Z"), Some(t));
        assert_eq!(UtcTime::parse_log_prefix("garbage line"), None);
        assert_eq!(UtcTime::parse_log_prefix("2008-13-02 10:15:31"), None);
        assert_eq!(UtcTime::parse_log_prefix("20é8-07-02 10:15:31"), None);
    }

    #[test]
    fn cim_datetime_applies_the_offset() {
        let t = UtcTime::parse_cim_datetime("20080801120000.000000+120").unwrap();
        assert_eq!(t.to_string(), "2008-08-01T10:00:00Z");
        let t = UtcTime::parse_cim_datetime("20080801120000.000000-060").unwrap();
        assert_eq!(t.to_string(), "2008-08-01T13:00:00Z");
        assert_eq!(UtcTime::parse_cim_datetime("2008"), None);
        assert_eq!(UtcTime(0).to_string(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn cim_datetime_with_a_foreign_sign_or_a_huge_offset_is_no_time() {
        // Found by the probe_reader fuzz target: a `dll` section's `LastModified` whose bytes
        // after the seconds were not ASCII (decoded as U+FFFD) cut a character in two.
        assert_eq!(UtcTime::parse_cim_datetime("20090824120000.\u{fffd}\u{fffd}\u{fffd}\u{fffd}"), None);
        assert_eq!(UtcTime::parse_cim_datetime("20080801120000.000000\u{a0}60"), None);
        assert_eq!(UtcTime::parse_cim_datetime("20080801120000.000000+9223372036854775807"), None);
        assert_eq!(UtcTime::parse_cim_datetime("20080801120000.000000-9223372036854775807"), None);
        assert_eq!(UtcTime::parse_cim_datetime("20080801120000.000000--9223372036854775808"), None);
    }
}
