//! `[[alerts]]` and `run.alert_interval`: each rule checked into an
//! [`archsim_stats::AlertRule`] (a threshold on a series of a component, a class or every
//! request; or an SLO burn rate with its windows), and the evaluation interval.

use super::ck::{list, valid_name, Ck};
use super::{Scope, MAX_SERIES_BUCKETS};
use crate::raw::RawAlert;
use archsim_engine::SimTime;
use archsim_stats::alerts::{Condition, Op, Series, Subject};
use archsim_stats::{AlertRule, AlertsSpec, SloSpec};
use toml::Spanned;

/// The SRE workbook's pairs for a 30-day SLO, before scaling to the run: (long window, short
/// window, burn-rate factor) for `fast` (2% of the budget in an hour) and `slow` (5% in six
/// hours).
pub const FAST: (SimTime, SimTime, f64) = (SimTime::from_secs(3600), SimTime::from_secs(300), 14.4);
/// See [`FAST`].
pub const SLOW: (SimTime, SimTime, f64) =
    (SimTime::from_secs(6 * 3600), SimTime::from_secs(1800), 6.0);

/// How much the default windows shrink for a run of `duration`: so that the longest default
/// window (the slow pair's 6 h) is no longer than the run; 1 for runs of 6 h or more.
pub fn window_scale(duration: SimTime) -> f64 {
    (duration.as_nanos() as f64 / SLOW.0.as_nanos() as f64).min(1.0)
}

/// Checks every rule and the evaluation interval. `slo` is the checked `[slo]`, `duration`
/// and `span_ns` (duration plus drain) those of the run.
pub(super) fn check(
    ck: &mut Ck,
    scope: &Scope<'_>,
    slo: Option<&SloSpec>,
    duration: Option<SimTime>,
    span_ns: u64,
) -> AlertsSpec {
    let raw = scope.raw;
    let mut spec = AlertsSpec::default();
    if let Some(v) = raw
        .run
        .as_ref()
        .and_then(|r| r.get_ref().alert_interval.as_ref())
    {
        if let Some(t) = ck.duration(v, "run.alert_interval") {
            if t == SimTime::ZERO {
                ck.err(v.span(), "run.alert_interval must be more than 0s");
            } else if span_ns / t.as_nanos() > MAX_SERIES_BUCKETS {
                ck.err(
                    v.span(),
                    format!(
                        "run.alert_interval {t} makes more than {MAX_SERIES_BUCKETS} evaluations over the run; use a longer interval"
                    ),
                );
            } else {
                spec.interval_ns = t.as_nanos();
            }
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for a in &raw.alerts {
        let r = a.get_ref();
        let Some(name) = &r.name else {
            ck.err(
                a.span(),
                "an alert needs `name`, e.g. name = \"DbSaturated\"",
            );
            continue;
        };
        let n = name.get_ref().as_str();
        if !valid_name(n) {
            ck.err(
                name.span(),
                format!("alert name `{n}`: use letters, digits, `_` or `-` (at most 64)"),
            );
        } else if seen.contains(&n) {
            ck.err(
                name.span(),
                format!("alert `{n}` is defined twice; give each alert its own name"),
            );
        }
        seen.push(n);
        let for_ns = match &r.for_ {
            None => 0,
            Some(v) => ck.duration(v, "alerts.for").map_or(0, |t| t.as_nanos()),
        };
        let severity = r.severity.as_ref().map(|s| s.get_ref().clone());
        if let Some(s) = &r.severity {
            if !valid_name(s.get_ref()) {
                ck.err(
                    s.span(),
                    "alerts.severity: use letters, digits, `_` or `-`, e.g. \"page\" or \"ticket\"",
                );
            }
        }
        let condition = if r.burn_rate.is_some() {
            burn_rate(ck, scope, a, slo, duration)
        } else {
            threshold(ck, scope, a)
        };
        if let Some(condition) = condition {
            spec.rules.push(AlertRule {
                name: n.to_string(),
                severity,
                for_ns,
                condition,
            });
        }
    }
    spec
}

/// Refuses each of the `written` keys (those with a span) with `` `KEY` why ``.
fn refuse<const N: usize>(
    ck: &mut Ck,
    written: [(&str, Option<std::ops::Range<usize>>); N],
    why: &str,
) {
    for (key, span) in written {
        if let Some(span) = span {
            ck.err(span, format!("`{key}` {why}"));
        }
    }
}

/// A class named by `class`, checked against the scenario's classes.
fn class_of(ck: &mut Ck, scope: &Scope<'_>, v: &Spanned<String>) -> Option<String> {
    let c = v.get_ref();
    if scope.classes.contains(c) {
        Some(c.clone())
    } else {
        ck.err(
            v.span(),
            format!(
                "`{c}` is not a request class; classes are: {}",
                scope.classes.join(", ")
            ),
        );
        None
    }
}

/// A burn-rate rule: `burn_rate = "fast" | "slow"`, optional `class`, `long`, `short`,
/// `factor`; needs `[slo]`.
fn burn_rate(
    ck: &mut Ck,
    scope: &Scope<'_>,
    a: &Spanned<RawAlert>,
    slo: Option<&SloSpec>,
    duration: Option<SimTime>,
) -> Option<Condition> {
    let r = a.get_ref();
    let b = r.burn_rate.as_ref()?;
    let pair = match b.get_ref().as_str() {
        "fast" => Some(FAST),
        "slow" => Some(SLOW),
        other => {
            ck.err(
                b.span(),
                format!("unknown burn_rate \"{other}\"; expected one of: fast, slow"),
            );
            None
        }
    };
    let written = [
        ("series", r.series.as_ref().map(|v| v.span())),
        ("component", r.component.as_ref().map(|v| v.span())),
        ("above", r.above.as_ref().map(|v| v.span())),
        ("below", r.below.as_ref().map(|v| v.span())),
    ];
    refuse(ck, written, "does not apply to a burn-rate alert (it watches the error budget of [slo]); remove it, or remove `burn_rate` for a threshold alert");
    let class = match &r.class {
        None => None,
        Some(c) => Some(class_of(ck, scope, c)?),
    };
    let Some(slo) = slo else {
        ck.err(
            b.span(),
            "a burn-rate alert needs [slo] (latency and target): it watches the error budget, 1 - target",
        );
        return None;
    };
    if slo.target >= 1.0 {
        ck.err(
            b.span(),
            "a burn-rate alert needs slo.target below 1: a target of 1 leaves no error budget to burn",
        );
        return None;
    }
    let (long0, short0, factor0) = pair?;
    let scale = duration.map_or(1.0, window_scale);
    let scaled = |t: SimTime| ((t.as_nanos() as f64 * scale).round() as u64).max(1);
    let mut window = |v: &Option<Spanned<String>>, what: &str, default: SimTime| match v {
        None => Some(scaled(default)),
        Some(v) => match ck.duration(v, what) {
            Some(t) if t > SimTime::ZERO => Some(t.as_nanos()),
            Some(_) => {
                ck.err(v.span(), format!("{what} must be more than 0s"));
                None
            }
            None => None,
        },
    };
    let long_ns = window(&r.long, "alerts.long", long0)?;
    let short_ns = window(&r.short, "alerts.short", short0)?;
    if short_ns > long_ns {
        let at = r
            .short
            .as_ref()
            .or(r.long.as_ref())
            .map_or(a.span(), |v| v.span());
        ck.err(
            at,
            "alerts.short must not be longer than alerts.long (the short window confirms the long one is still burning)",
        );
        return None;
    }
    let factor = match &r.factor {
        None => factor0,
        Some(f) => ck.float(f, "alerts.factor", 0.0, 1e9, true)?,
    };
    Some(Condition::BurnRate {
        class,
        target: slo.target,
        long_ns,
        short_ns,
        factor,
    })
}

/// A threshold rule: `series`, `above` or `below`, and `component` or `class` (or neither,
/// for a series of every request).
fn threshold(ck: &mut Ck, scope: &Scope<'_>, a: &Spanned<RawAlert>) -> Option<Condition> {
    let r = a.get_ref();
    let names: Vec<&str> = Series::ALL.iter().map(|s| s.name()).collect();
    let written = [
        ("long", r.long.as_ref().map(|v| v.span())),
        ("short", r.short.as_ref().map(|v| v.span())),
        ("factor", r.factor.as_ref().map(|v| v.span())),
    ];
    refuse(
        ck,
        written,
        "applies to burn-rate alerts only; add burn_rate = \"fast\" or \"slow\", or remove it",
    );
    let Some(sv) = &r.series else {
        ck.err(
            a.span(),
            format!(
                "an alert needs `series` (one of: {}) with `above` or `below`, or `burn_rate` = \"fast\" or \"slow\"",
                names.join(", ")
            ),
        );
        return None;
    };
    let Some(series) = Series::named(sv.get_ref()) else {
        ck.err(
            sv.span(),
            format!(
                "unknown series \"{}\"; expected one of: {}",
                sv.get_ref(),
                names.join(", ")
            ),
        );
        return None;
    };
    let subject = if series.of_requests() {
        if let Some(c) = &r.component {
            ck.err(
                c.span(),
                format!(
                    "`{}` is a series of requests, not of a component: write class = \"...\" for one request class, or neither for every request",
                    series.name()
                ),
            );
            return None;
        }
        match &r.class {
            None => Subject::System,
            Some(c) => Subject::Class(class_of(ck, scope, c)?),
        }
    } else {
        if let Some(c) = &r.class {
            ck.err(
                c.span(),
                format!(
                    "`{}` is a series of a component, not of a request class: write component = \"...\" instead",
                    series.name()
                ),
            );
            return None;
        }
        let Some(c) = &r.component else {
            ck.err(
                sv.span(),
                format!(
                    "`{}` is a series of a component: add component = \"...\" (one of: {})",
                    series.name(),
                    list(&scope.names)
                ),
            );
            return None;
        };
        let name = c.get_ref().as_str();
        if !scope.index.contains_key(name) {
            ck.err(
                c.span(),
                format!(
                    "`{name}` is not a component; components are: {}",
                    list(&scope.names)
                ),
            );
            return None;
        }
        let kind = scope.kind_of(name).unwrap_or("");
        let kinds = super::kinds::with_series(series.name());
        if !kinds.is_empty() && !kinds.contains(&kind) {
            ck.err(
                sv.span(),
                format!(
                    "`{name}` is a {kind}, which has no `{}` series (only a {} has)",
                    series.name(),
                    kinds.join(" or ")
                ),
            );
            return None;
        }
        let has_cores = scope
            .raw
            .components
            .get(name)
            .is_some_and(|c| c.get_ref().cores.is_some());
        if series == Series::Utilization && !has_cores {
            ck.err(
                sv.span(),
                format!("`{name}` has no `cores`, so its utilization is not measured; watch its `queue` or `errors` instead, or give it cores"),
            );
            return None;
        }
        Subject::Component(name.to_string())
    };
    let (op, v) = match (&r.above, &r.below) {
        (Some(v), None) => (Op::Above, v),
        (None, Some(v)) => (Op::Below, v),
        (Some(_), Some(b)) => {
            ck.err(
                b.span(),
                "an alert takes `above` or `below`, not both; write two alerts",
            );
            return None;
        }
        (None, None) => {
            ck.err(
                sv.span(),
                format!(
                    "an alert on `{}` needs a threshold: above = ... or below = ...",
                    series.name()
                ),
            );
            return None;
        }
    };
    let value = match v.get_ref() {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        toml::Value::String(s) if series.in_seconds() => {
            let s = Spanned::new(v.span(), s.clone());
            ck.duration(&s, "alerts threshold")
                .map(|t| t.as_nanos() as f64 / 1e9)
        }
        _ => {
            let unit = if series.in_seconds() {
                " (in seconds), or a duration such as \"250ms\""
            } else {
                ""
            };
            ck.err(
                v.span(),
                format!(
                    "the threshold of `{}` must be a number{unit}",
                    series.name()
                ),
            );
            None
        }
    }?;
    Some(Condition::Threshold {
        subject,
        series,
        op,
        value,
    })
}
