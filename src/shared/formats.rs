//! Small value formats shared by several checks: semantic versions, ISO dates, and UTC
//! timestamps (RFC 3339 with `Z`) with the calendar arithmetic behind them.

/// `MAJOR.MINOR.PATCH` with optional `-pre` and `+build`, no leading zeros (semver.org 2.0.0).
pub fn is_semver(text: &str) -> bool {
    let (core, build) = text.split_once('+').map_or((text, None), |(c, b)| (c, Some(b)));
    let (core, pre) = core.split_once('-').map_or((core, None), |(c, p)| (c, Some(p)));
    let numbers: Vec<&str> = core.split('.').collect();
    let number_ok =
        |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'));
    let ident_ok = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    numbers.len() == 3 && numbers.iter().all(|n| number_ok(n)) && pre.is_none_or(ident_ok) && build.is_none_or(ident_ok)
}

/// `YYYY-MM-DD` naming a real calendar day.
pub fn is_iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `2022-04-13T20:06:15Z` or `2022-12-31T23:59:59.999Z` (UTC only; fractions dropped) to
/// seconds since 1970.
pub fn parse_utc_time(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z').or_else(|| text.strip_suffix("+00:00"))?;
    let (date, time) = text.split_once('T')?;
    let time = time.split_once('.').map_or(time, |(whole, _)| whole);
    if !is_iso_date(date) {
        return None;
    }
    let mut date = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let mut time = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (time.next()??, time.next()??, time.next()??);
    if !(0..=23).contains(&hour) || !(0..=59).contains(&minute) || !(0..=60).contains(&second) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Seconds since 1970 as `2025-10-07T12:00:00Z`.
pub fn format_utc_time(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let rest = seconds.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian (year, month, day) of days since 1970-01-01 (civil_from_days).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// An OpenPGP fingerprint as uppercase hex without spaces, if it has 40 (v4) or 64 (v5/v6)
/// hex digits.
pub fn openpgp_fingerprint(text: &str) -> Option<String> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    ((clean.len() == 40 || clean.len() == 64) && clean.bytes().all(|b| b.is_ascii_hexdigit())).then_some(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_parse_and_format() {
        assert_eq!(parse_utc_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc_time("2022-12-31T23:59:59.999Z"), Some(1_672_531_199));
        assert_eq!(format_utc_time(1_672_531_199), "2022-12-31T23:59:59Z");
        assert_eq!(format_utc_time(parse_utc_time("2024-02-29T12:30:00Z").unwrap()), "2024-02-29T12:30:00Z");
        for day in [0, 1, 59, 365, 18_000, 20_000, -1, -719_468] {
            let (year, month, date) = civil_from_days(day);
            assert_eq!(days_from_civil(year, month, date), day, "{day}");
        }
        for bad in ["2022-12-31", "2022-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2022-12-31T23:59:59+02:00", "x"] {
            assert_eq!(parse_utc_time(bad), None, "{bad}");
        }
    }
}
