//! `--trace-epoch DATE`: the wall-clock instant that simulated time 0 maps to, for the outputs
//! that carry real timestamps (`--metrics`, and later `--traces`). Parsed once, by clap, into
//! nanoseconds since the Unix epoch; the default is a fixed date so that output is
//! deterministic.

/// The default epoch: 2026-01-01T00:00:00Z.
pub(crate) const DEFAULT: &str = "2026-01-01T00:00:00Z";

/// The instant simulated time 0 maps to, in nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Epoch {
    /// Nanoseconds since the Unix epoch.
    pub ns: u64,
}

impl Default for Epoch {
    /// [`DEFAULT`].
    fn default() -> Self {
        Epoch {
            ns: 1_767_225_600_000_000_000,
        }
    }
}

impl Epoch {
    /// `--trace-epoch`'s value parser: see [`parse`].
    pub(crate) fn parse(text: &str) -> Result<Epoch, String> {
        parse(text).map(|ns| Epoch { ns })
    }
}

/// The latest year accepted (RFC 3339 has four-digit years).
const MAX_YEAR: i64 = 9999;

/// Days from 1970-01-01 to `y-m-d` in the proleptic Gregorian calendar (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A fixed-width decimal field of `s`, or `None`.
fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Nanoseconds of a fraction of a second written as digits after the point (at most 9).
fn fraction_ns(digits: &str) -> Option<i64> {
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<i64>().ok()? * 10i64.pow(9 - digits.len() as u32))
}

/// `YYYY-MM-DD` as (year, month, day), checked.
fn date(s: &str) -> Option<(i64, i64, i64)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(&s[..4])?, num(&s[5..7])?, num(&s[8..])?);
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some((y, m, d))
}

/// `HH:MM:SS[.frac]` followed by `Z` or `±HH:MM`, as (nanoseconds into the day, offset in
/// seconds east of UTC).
fn time_and_offset(s: &str) -> Option<(i64, i64)> {
    let (clock, offset) = if let Some(c) = s.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let at = s.rfind(['+', '-'])?;
        let (c, o) = s.split_at(at);
        let ob = o.as_bytes();
        if ob.len() != 6 || ob[3] != b':' {
            return None;
        }
        let (oh, om) = (num(&o[1..3])?, num(&o[4..])?);
        if oh > 23 || om > 59 {
            return None;
        }
        let sign = if ob[0] == b'-' { -1 } else { 1 };
        (c, sign * (oh * 3600 + om * 60))
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((hms, f)) => (hms, fraction_ns(f)?),
        None => (clock, 0),
    };
    let hb = hms.as_bytes();
    if hb.len() != 8 || hb[2] != b':' || hb[5] != b':' {
        return None;
    }
    let (h, mi, sec) = (num(&hms[..2])?, num(&hms[3..5])?, num(&hms[6..])?);
    // A leap second (:60) is taken as the next second's start.
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some((((h * 60 + mi) * 60 + sec) * 1_000_000_000 + frac, offset))
}

/// Parses `--trace-epoch`: an RFC 3339 date-time (`2026-01-01T00:00:00Z`,
/// `2026-03-01T12:30:00.5+01:00`), a plain date (`2026-01-01`, midnight UTC) or Unix seconds
/// (`1767225600`, `1767225600.25`), at or after 1970-01-01 and before the year 10000; into
/// nanoseconds since 1970-01-01T00:00:00Z.
pub(crate) fn parse(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "expected an RFC 3339 date-time (2026-01-01T00:00:00Z), a date (2026-01-01) or Unix seconds (1767225600), got `{text}`"
        )
    };
    let t = text.trim();
    let ns: i128 = if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !t.is_empty() {
        let (secs, frac) = match t.split_once('.') {
            Some((s, f)) => (num(s).ok_or_else(bad)?, fraction_ns(f).ok_or_else(bad)?),
            None => (num(t).ok_or_else(bad)?, 0),
        };
        secs as i128 * 1_000_000_000 + frac as i128
    } else if t.len() == 10 {
        let (y, m, d) = date(t).ok_or_else(bad)?;
        days_from_civil(y, m, d) as i128 * 86_400 * 1_000_000_000
    } else {
        if t.len() < 11 || !matches!(t.as_bytes()[10], b'T' | b't' | b' ') {
            return Err(bad());
        }
        let (y, m, d) = date(&t[..10]).ok_or_else(bad)?;
        let (day_ns, offset_s) = time_and_offset(&t[11..]).ok_or_else(bad)?;
        (days_from_civil(y, m, d) as i128 * 86_400 - offset_s as i128) * 1_000_000_000
            + day_ns as i128
    };
    let max = days_from_civil(MAX_YEAR + 1, 1, 1) as i128 * 86_400 * 1_000_000_000;
    if ns < 0 {
        return Err(format!("`{text}` is before 1970-01-01T00:00:00Z"));
    }
    if ns >= max {
        return Err(format!("`{text}` is after the year {MAX_YEAR}"));
    }
    Ok(ns as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn the_three_forms_agree() {
        let want = 1_767_225_600 * S; // 2026-01-01T00:00:00Z
        assert_eq!(parse(DEFAULT), Ok(want));
        assert_eq!(Epoch::parse(DEFAULT), Ok(Epoch::default()));
        assert_eq!(parse("2026-01-01"), Ok(want));
        assert_eq!(parse("1767225600"), Ok(want));
        assert_eq!(parse("2026-01-01t00:00:00z"), Ok(want));
        assert_eq!(parse("2026-01-01 01:00:00+01:00"), Ok(want));
        assert_eq!(parse("2025-12-31T19:00:00-05:00"), Ok(want));
        assert_eq!(parse("1767225600.25"), Ok(want + S / 4));
        assert_eq!(parse("2026-01-01T00:00:00.25Z"), Ok(want + S / 4));
        assert_eq!(parse("1970-01-01"), Ok(0));
        assert_eq!(parse("2024-02-29T12:00:00Z"), Ok(1_709_208_000 * S));
        assert_eq!(parse("2000-03-01"), Ok(951_868_800 * S));
    }

    #[test]
    fn bad_dates_are_refused_with_the_text() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-29",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00Z",
            "2026-01-01T00:00:00+1:00",
            "2026-01-01T00:00:00.1234567890Z",
            "-5",
            "1.2.3",
            "10000-01-01",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
        assert!(parse("1969-12-31T23:00:00Z")
            .unwrap_err()
            .contains("before 1970"));
        assert!(parse("99999999999999")
            .unwrap_err()
            .contains("after the year"));
    }
}
