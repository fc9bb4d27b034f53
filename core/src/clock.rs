//! Times as retort writes them: its log's timestamps and a new revision's
//! `Create Date`, both UTC, without a date-time dependency.

use std::time::SystemTime;

/// A time as ISO 8601 UTC with milliseconds (`2026-11-22T06:40:12.345Z`),
/// as retort's log records it.
///
/// ```
/// assert_eq!(retort_core::clock::timestamp(std::time::SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
/// ```
pub fn timestamp(time: SystemTime) -> String {
    let since = time.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Written digit by digit: one per revision of a run, and `format!` would
    // cost more than the rest of the bookkeeping.
    let mut out = String::with_capacity(24);
    let fields = [
        (year.max(0) as u64, 4, '-'),
        (month as u64, 2, '-'),
        (day as u64, 2, 'T'),
        (rem / 3600, 2, ':'),
        (rem % 3600 / 60, 2, ':'),
        (rem % 60, 2, '.'),
        (u64::from(since.subsec_millis()), 3, 'Z'),
    ];
    for (value, width, then) in fields {
        for place in (0..width).rev() {
            out.push(char::from(b'0' + (value / 10u64.pow(place) % 10) as u8));
        }
        out.push(then);
    }
    out
}

/// `YYYY-MM-DD HH:MM:SS.ffffff`, UTC: a new revision's `Create Date`, as
/// Alembic's template writes it (to the millisecond, padded).
///
/// ```
/// let date = retort_core::clock::create_date(std::time::SystemTime::UNIX_EPOCH);
/// assert_eq!(date, "1970-01-01 00:00:00.000000");
/// ```
pub fn create_date(time: SystemTime) -> String {
    let stamp = timestamp(time);
    format!("{} {}000", &stamp[..10], &stamp[11..23])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_iso_8601_utc() {
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_329_612_345);
        assert_eq!(timestamp(t), "2026-11-22T06:40:12.345Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn create_dates_are_alembics_form() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_329_612_345);
        assert_eq!(create_date(t), "2026-11-22 06:40:12.345000");
    }
}
