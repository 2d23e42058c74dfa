//! Simulated wall-clock time: seconds since the Unix epoch, formatted the ways Windows prints
//! them (WMI `CIM_DATETIME`, log timestamps, `schtasks` and `dir` dates).

/// Seconds since 1970-01-01 00:00:00 UTC.
pub type Timestamp = u64;

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// Splits a timestamp into calendar fields (Howard Hinnant's `civil_from_days`).
pub fn civil(ts: Timestamp) -> Civil {
    let days = (ts / 86_400) as i64;
    let secs = ts % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (secs / 3600) as u32,
        minute: (secs % 3600 / 60) as u32,
        second: (secs % 60) as u32,
    }
}

/// The inverse of [`civil`], for profile data written as dates.
pub fn from_civil(c: Civil) -> Timestamp {
    let y = c.year - i64::from(c.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(c.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(c.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400) as u64 + u64::from(c.hour * 3600 + c.minute * 60 + c.second)
}

/// Parses `2008-08-01 12:00:00` or `2008-08-01T12:00:00` (or just the date).
pub fn parse(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, t),
        None => (text, "00:00:00"),
    };
    let mut d = date.split('-').map(str::parse::<u32>);
    let (year, month, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.trim_end_matches('Z').split(':').map(str::parse::<u32>);
    let hour = t.next()?.ok()?;
    let minute = t.next().unwrap_or(Ok(0)).ok()?;
    let second = t.next().unwrap_or(Ok(0)).ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(from_civil(Civil { year: i64::from(year), month, day, hour, minute, second }))
}

/// WMI `CIM_DATETIME`: `20080801120000.000000+000`.
pub fn cim_datetime(ts: Timestamp) -> String {
    let c = civil(ts);
    format!("{:04}{:02}{:02}{:02}{:02}{:02}.000000+000", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// WSUS server log stamp: `2008-07-02 10:15:31.123`.
pub fn log_stamp(ts: Timestamp, millis: u32) -> String {
    let c = civil(ts);
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", c.year, c.month, c.day, c.hour, c.minute, c.second, millis)
}

/// US-locale date and 12-hour time as `schtasks` prints them: `8/1/2008 12:00:00 PM`.
pub fn us_datetime(ts: Timestamp) -> String {
    let c = civil(ts);
    let (h12, ampm) = twelve_hour(c.hour);
    format!("{}/{}/{} {}:{:02}:{:02} {}", c.month, c.day, c.year, h12, c.minute, c.second, ampm)
}

/// `dir` listing stamp: `08/01/2008  12:00 PM`.
pub fn dir_stamp(ts: Timestamp) -> String {
    let c = civil(ts);
    let (h12, ampm) = twelve_hour(c.hour);
    format!("{:02}/{:02}/{}  {:02}:{:02} {}", c.month, c.day, c.year, h12, c.minute, ampm)
}

fn twelve_hour(hour: u32) -> (u32, &'static str) {
    let ampm = if hour < 12 { "AM" } else { "PM" };
    let h = hour % 12;
    (if h == 0 { 12 } else { h }, ampm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_formats() {
        let ts = parse("2008-08-01 12:00:00").unwrap();
        assert_eq!(ts, 1_217_592_000);
        assert_eq!(cim_datetime(ts), "20080801120000.000000+000");
        assert_eq!(us_datetime(ts + 3600), "8/1/2008 1:00:00 PM");
        assert_eq!(dir_stamp(ts - 12 * 3600), "08/01/2008  12:00 AM");
        assert_eq!(log_stamp(ts, 7), "2008-08-01 12:00:00.007");
        assert_eq!(parse("2008-02-29"), Some(from_civil(civil(parse("2008-02-29T00:00").unwrap()))));
        assert_eq!(parse("2008-13-01"), None);
    }
}
