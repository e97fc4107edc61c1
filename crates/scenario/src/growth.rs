//! `[growth]`: how a scenario's world grows over the months, which `simulate runway` reads
//! (the command-line flags override it; `simulate` itself ignores it). The growth rate
//! (`rate = "15%/month"`), the horizon (`horizon = "24months"`), and the keys that grow with
//! the traffic (`with_traffic = ["components.db.tables.posts.rows"]`: data that grows as the
//! users do). Also the rate's and the horizon's parsers, shared with the flags.

use crate::check::Problem;
use crate::raw::RawScenario;

/// The longest horizon, in months (20 years).
pub const MAX_HORIZON: u32 = 240;

/// A scenario's `[growth]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Growth {
    /// `rate` as written (`"15%/month"`), if any.
    pub rate: Option<String>,
    /// `horizon` as written, if any.
    pub horizon: Option<String>,
    /// `with_traffic`: keys that hold positive numbers and grow with the traffic.
    pub with_traffic: Vec<String>,
}

/// The monthly growth factor of `15%/month`, `0.15/month`, `80%/year`, `5%/week`,
/// `10%/quarter`, `1%/day`; the error says what is wrong and what to write.
pub fn parse_growth(text: &str) -> Result<f64, String> {
    let help = "write a growth rate per period, like 15%/month, 0.15/month, 80%/year, 5%/week or 10%/quarter";
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (rate, period) = t
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: no period; {help}"))?;
    let r = match rate.strip_suffix('%') {
        Some(p) => p.parse::<f64>().map(|v| v / 100.0),
        None => rate.parse::<f64>(),
    }
    .map_err(|_| format!("{text:?}: `{rate}` is not a number or a percentage; {help}"))?;
    let months = match period.to_ascii_lowercase().as_str() {
        "month" | "months" | "mo" | "mon" => 1.0,
        "quarter" | "quarters" | "q" => 3.0,
        "year" | "years" | "yr" | "y" => 12.0,
        "week" | "weeks" | "wk" | "w" => 12.0 / 52.0,
        "day" | "days" | "d" => 12.0 / 365.0,
        other => {
            return Err(format!(
                "{text:?}: `{other}` is not a period (month, quarter, year, week or day); {help}"
            ))
        }
    };
    if !(r.is_finite() && r > 0.0 && r <= 10.0) {
        return Err(format!(
            "{text:?}: the rate must be above 0 and at most 1000% per period; {help}"
        ));
    }
    Ok((1.0 + r).powf(1.0 / months))
}

/// Whole months of `24months`, `24 months`, `18mo`, `2years`, `24`.
pub fn parse_horizon(text: &str) -> Result<u32, String> {
    let help = format!("write a horizon like 24months, 18mo or 2years (1 to {MAX_HORIZON} months)");
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u32 = t[..split]
        .parse()
        .map_err(|_| format!("{text:?}: no whole number; {help}"))?;
    let per = match t[split..].to_ascii_lowercase().as_str() {
        "" | "month" | "months" | "mo" | "mon" => 1,
        "quarter" | "quarters" | "q" => 3,
        "year" | "years" | "yr" | "y" => 12,
        other => return Err(format!("{text:?}: `{other}` is not a unit; {help}")),
    };
    match n.checked_mul(per) {
        Some(m) if (1..=MAX_HORIZON).contains(&m) => Ok(m),
        _ => Err(format!("{text:?}: out of range; {help}")),
    }
}

/// The scenario's `[growth]` (`text`: the scenario with its overrides), and its problems.
pub(crate) fn collect(raw: &RawScenario, text: &str) -> (Option<Growth>, Vec<Problem>) {
    let Some(g) = &raw.growth else {
        return (None, Vec::new());
    };
    let g = g.get_ref();
    let mut problems = Vec::new();
    if let Some(r) = &g.rate {
        if let Err(e) = parse_growth(r.get_ref()) {
            problems.push(Problem {
                span: r.span(),
                message: format!("growth.rate {e}"),
            });
        }
    }
    if let Some(h) = &g.horizon {
        if let Err(e) = parse_horizon(h.get_ref()) {
            problems.push(Problem {
                span: h.span(),
                message: format!("growth.horizon {e}"),
            });
        }
    }
    let mut keys: Vec<String> = Vec::new();
    for k in g.with_traffic.iter().flatten() {
        let key = k.get_ref().trim();
        let message = if keys.iter().any(|x| x == key) {
            Some(format!(
                "growth.with_traffic names {key} twice; name each key once"
            ))
        } else {
            match crate::number_at(text, key) {
                Some((v, _)) if v.is_finite() && v > 0.0 => None,
                Some((v, _)) => Some(format!(
                    "growth.with_traffic: {key} is {v}, which cannot grow; name a key that holds a positive number"
                )),
                None => Some(format!(
                    "growth.with_traffic: the scenario has no number at {key}; name a key that holds one, like components.db.tables.orders.rows"
                )),
            }
        };
        match message {
            Some(message) => problems.push(Problem {
                span: k.span(),
                message,
            }),
            None => keys.push(key.to_string()),
        }
    }
    let growth = Growth {
        rate: g.rate.as_ref().map(|r| r.get_ref().clone()),
        horizon: g.horizon.as_ref().map(|h| h.get_ref().clone()),
        with_traffic: keys,
    };
    (Some(growth), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_rates_in_any_period_become_monthly_factors() {
        assert_eq!(parse_growth("15%/month").unwrap(), 1.15);
        assert_eq!(parse_growth("0.15/mo").unwrap(), 1.15);
        let y = parse_growth("100%/year").unwrap();
        assert!((y.powi(12) - 2.0).abs() < 1e-12, "{y}");
        let w = parse_growth("1%/week").unwrap();
        assert!((w - 1.01f64.powf(52.0 / 12.0)).abs() < 1e-12, "{w}");
        for bad in [
            "15%",
            "15%/fortnight",
            "-5%/month",
            "0%/month",
            "lots/month",
            "2000%/month",
        ] {
            assert!(parse_growth(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn horizons_are_whole_months() {
        assert_eq!(parse_horizon("24months"), Ok(24));
        assert_eq!(parse_horizon("18 mo"), Ok(18));
        assert_eq!(parse_horizon("2years"), Ok(24));
        assert_eq!(parse_horizon("6"), Ok(6));
        for bad in ["0months", "300months", "2decades", "soon", "1.5years"] {
            assert!(parse_horizon(bad).is_err(), "{bad}");
        }
    }
}
