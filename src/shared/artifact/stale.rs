//! The rebuild period of BR-004: `[artifacts] rebuild-after` (a number of days, weeks or
//! months), and which version lines' newest Activo build is older than it.
//!
//! Owns the period, the date arithmetic and the choice of the newest build per version line and
//! distro. `check ledger` turns the result into `ledger-stale` findings, `specgate outdated`
//! into `outdated-rebuild`; neither reads the clock here: "today" is always passed in, so tests
//! never depend on the day they run.

use std::collections::BTreeMap;
use std::fmt;

use super::ledger::{Entry, Status};
use crate::shared::formats::{civil_from_days, days_from_civil, is_iso_date};

/// How long an artifact may serve before BR-004 asks for a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days(u32),
    Weeks(u32),
    /// Calendar months: 2025-08-31 plus 6 months is 2026-02-28.
    Months(u32),
}

/// BR-004: a rebuild every 6 months.
pub const DEFAULT_PERIOD: Period = Period::Months(6);

impl Period {
    /// `"6 months"`, `"1 month"`, `"26 weeks"`, `"180 days"`: a positive number and a unit.
    pub fn parse(text: &str) -> Option<Period> {
        let mut words = text.split_whitespace();
        let (number, unit) = (words.next()?, words.next()?);
        if words.next().is_some() || number.len() > 5 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = number.parse().ok().filter(|n| *n > 0)?;
        match unit.trim_end_matches('s') {
            "day" => Some(Period::Days(n)),
            "week" => Some(Period::Weeks(n)),
            "month" => Some(Period::Months(n)),
            _ => None,
        }
    }

    /// The day (days since 1970-01-01) this period after `start` ends.
    pub fn after(self, start: i64) -> i64 {
        match self {
            Period::Days(n) => start + i64::from(n),
            Period::Weeks(n) => start + 7 * i64::from(n),
            Period::Months(n) => {
                let (year, month, day) = civil_from_days(start);
                let months = year * 12 + (month - 1) + i64::from(n);
                let (year, month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
                let last = days_in_month(year, month);
                days_from_civil(year, month, day.min(last))
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match self {
            Period::Days(n) => (n, "day"),
            Period::Weeks(n) => (n, "week"),
            Period::Months(n) => (n, "month"),
        };
        write!(f, "{n} {unit}{}", if *n == 1 { "" } else { "s" })
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn parse_day(text: &str) -> Option<i64> {
    if !is_iso_date(text) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i64>().ok();
    Some(days_from_civil(number(0..4)?, number(5..7)?, number(8..10)?))
}

/// Today (UTC) in days since 1970-01-01, from the system clock.
pub fn today() -> i64 {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    (seconds / 86_400) as i64
}

/// A version line and distro whose newest Activo build is due for a rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The index of the newest Activo row (into the slice given to `stale`).
    pub index: usize,
    /// The day the rebuild fell due.
    pub due: String,
}

/// For each version line (`X.Y`) and distro, the newest Activo row (by date, then version and
/// build), when `today` is on or after its date plus `period`. Rows with an unreadable date are
/// left to `ledger-invalid-field`.
pub fn stale(entries: &[(usize, Entry)], period: Period, today: i64) -> Vec<Stale> {
    let mut newest: BTreeMap<(String, &str), (i64, &Entry, usize)> = BTreeMap::new();
    for (index, entry) in entries {
        if entry.status != Status::Active {
            continue;
        }
        let Some(day) = parse_day(&entry.date) else { continue };
        let key = (entry.version.line(), entry.distro.as_str());
        let newer =
            |held: &(i64, &Entry, usize)| (day, entry.version, entry.build) > (held.0, held.1.version, held.1.build);
        if newest.get(&key).is_none_or(newer) {
            newest.insert(key, (day, entry, *index));
        }
    }
    newest
        .into_values()
        .filter_map(|(day, _, index)| {
            let due = period.after(day);
            (today >= due).then(|| {
                let (y, m, d) = civil_from_days(due);
                Stale { index, due: format!("{y:04}-{m:02}-{d:02}") }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::artifact::{Digest, PythonVersion};

    fn entry(version: &str, build: u32, distro: &str, date: &str, status: Status) -> Entry {
        Entry {
            version: PythonVersion::parse(version).unwrap(),
            build,
            distro: distro.to_owned(),
            date: date.to_owned(),
            sha256: Digest::from_hex(&"a".repeat(64)).unwrap(),
            url: "-".to_owned(),
            status,
        }
    }

    #[test]
    fn periods_parse_in_days_weeks_and_months() {
        assert_eq!(Period::parse("6 months"), Some(Period::Months(6)));
        assert_eq!(Period::parse("1 month"), Some(Period::Months(1)));
        assert_eq!(Period::parse(" 26  weeks "), Some(Period::Weeks(26)));
        assert_eq!(Period::parse("180 days"), Some(Period::Days(180)));
        for bad in ["", "6", "months", "0 months", "-1 days", "6 years", "6 months ago", "1e3 days", "999999 days"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert_eq!(Period::Months(6).to_string(), "6 months");
        assert_eq!(Period::Days(1).to_string(), "1 day");
    }

    #[test]
    fn months_are_calendar_months_clamped_to_the_last_day() {
        let day = |text| parse_day(text).unwrap();
        assert_eq!(Period::Months(6).after(day("2025-08-31")), day("2026-02-28"));
        assert_eq!(Period::Months(6).after(day("2023-08-31")), day("2024-02-29"));
        assert_eq!(Period::Months(6).after(day("2025-07-10")), day("2026-01-10"));
        assert_eq!(Period::Months(12).after(day("2025-01-01")), day("2026-01-01"));
        assert_eq!(Period::Weeks(2).after(day("2025-12-25")), day("2026-01-08"));
        assert_eq!(Period::Days(1).after(day("2024-12-31")), day("2025-01-01"));
        assert_eq!(parse_day("2025-02-30"), None);
    }

    #[test]
    fn the_newest_active_build_of_each_line_and_distro_decides() {
        let entries: Vec<(usize, Entry)> = [
            entry("3.11.2", 1, "debian12", "2025-01-10", Status::Active),
            entry("3.11.2", 2, "debian12", "2025-03-01", Status::Active),
            entry("3.11.9", 1, "debian12", "2025-09-01", Status::Deprecated),
            entry("3.11.2", 1, "ubuntu20.04", "2025-06-15", Status::Active),
            entry("3.13.5", 1, "debian12", "2025-01-01", Status::Retired),
            entry("3.12.6", 1, "debian12", "not a date", Status::Active),
        ]
        .into_iter()
        .enumerate()
        .collect();
        let today = parse_day("2025-10-01").unwrap();
        // 3.11 on debian12: build 2 (2025-03-01) is the newest Activo one, due 2025-09-01; the
        // newer 3.11.9 row is Deprecado and does not count. ubuntu20.04 is due 2025-12-15.
        assert_eq!(stale(&entries, Period::Months(6), today), [Stale { index: 1, due: "2025-09-01".to_owned() }]);
        assert_eq!(stale(&entries, Period::Months(6), parse_day("2025-08-31").unwrap()), []);
        // Due on the day itself.
        assert_eq!(stale(&entries, Period::Months(6), parse_day("2025-12-15").unwrap()).len(), 2);
    }
}
