//! Alert rules, and their evaluation on one replication's series as a Prometheus server
//! would evaluate them.
//!
//! A rule ([`AlertRule`]) is plain data: a threshold on a series of a component, a request
//! class or the whole system, or an SLO burn-rate condition over a long and a short window
//! (the multi-window, multi-burn-rate alerts of the Google SRE workbook). [`evaluate`] runs
//! once per replication, after the run and before pooling, and adds to that replication's
//! statistics what fired ([`FiredAlert`]) and timeline entries for each firing and
//! resolution ([`ALERT_FIRING`], [`ALERT_RESOLVED`]).
//!
//! # Evaluation
//!
//! The rules are evaluated every [`AlertsSpec::interval_ns`] of simulated time (at `k x
//! interval`, `k = 1, 2, ...`, up to the end of the run), each time on the latest *complete*
//! series bucket (a bucket's figures are known at its end, as a scrape would see them). A
//! threshold rule's condition holds when the bucket's value is above (or below) the
//! threshold; a missing value (no request finished in the bucket, for a p99) does not hold,
//! as an absent series gives no PromQL result. A burn-rate rule holds when the error budget
//! burns faster than `factor` over both windows: `bad / finished / (1 - target)`, summed
//! over the buckets that ended within each window (`bad`: failed, or succeeded slower than
//! the SLO latency, or degraded).
//!
//! As in Prometheus, a rule whose condition holds becomes *pending* at that evaluation, and
//! *fires* at the first evaluation at which it has held, evaluation after evaluation, for
//! at least `for` (at once when `for` is zero). It *resolves* at the first evaluation at
//! which the condition no longer holds; one still firing when the run ends has no
//! resolution. Its `peak` is the most extreme value (the highest for `above`, the lowest
//! for `below`; the long window's burn rate) from the evaluation that made it pending to
//! the one that resolved it.

use crate::recorder::{RunStats, SeriesBucket};
use crate::timeline::{Category, Event, TimelineEntry};
use serde::{Deserialize, Serialize};

/// An alert starts firing (its name is the timeline entry's component).
pub static ALERT_FIRING: Event = Event::opens("alert_firing", Category::Alert);
/// A firing alert resolves.
pub static ALERT_RESOLVED: Event = Event::ends("alert_resolved", Category::Alert, "alert_firing");

/// The alert rules of a model and how often they are evaluated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertsSpec {
    /// The rules, in the order written.
    pub rules: Vec<AlertRule>,
    /// Evaluation interval in nanoseconds; 0: the series interval.
    pub interval_ns: u64,
}

/// One alert rule.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    /// Its name (`DbSaturated`), unique among the rules.
    pub name: String,
    /// The `severity` label, if any (`page`, `ticket`).
    pub severity: Option<String>,
    /// How long the condition must hold before the alert fires, in nanoseconds.
    pub for_ns: u64,
    /// What it watches.
    pub condition: Condition,
}

/// What a rule watches.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// A series against a threshold.
    Threshold {
        /// Whose series.
        subject: Subject,
        /// Which series.
        series: Series,
        /// Above or below.
        op: Op,
        /// The threshold, in the series' unit.
        value: f64,
    },
    /// The error budget burning faster than `factor` over both windows.
    BurnRate {
        /// Only this request class (`None`: every request).
        class: Option<String>,
        /// The SLO target (the fraction of good requests); the budget is `1 - target`.
        target: f64,
        /// The long window, in nanoseconds.
        long_ns: u64,
        /// The short window, in nanoseconds.
        short_ns: u64,
        /// The burn rate both windows must exceed.
        factor: f64,
    },
}

/// Whose series a threshold rule reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A component, by name.
    Component(String),
    /// A request class, by name.
    Class(String),
    /// Every request.
    System,
}

impl Subject {
    /// How a sentence names it: `db`, `class read`, `all requests`.
    pub fn label(&self) -> String {
        match self {
            Subject::Component(c) => c.clone(),
            Subject::Class(c) => format!("class {c}"),
            Subject::System => "all requests".into(),
        }
    }
}

impl AlertRule {
    /// What the rule watches, in words: `db utilization above 0.9`, `error budget burning
    /// faster than 14.4x over 50s and 4166ms`.
    pub fn summary(&self) -> String {
        match &self.condition {
            Condition::Threshold {
                subject,
                series,
                op,
                value,
            } => {
                let word = match op {
                    Op::Above => "above",
                    Op::Below => "below",
                };
                format!("{} {} {word} {value}", subject.label(), series.name())
            }
            Condition::BurnRate {
                class,
                long_ns,
                short_ns,
                factor,
                ..
            } => format!(
                "{}error budget burning faster than {factor}x over {} and {}",
                class.as_deref().map_or(String::new(), |c| format!("{c}: ")),
                fmt_window(*long_ns),
                fmt_window(*short_ns)
            ),
        }
    }
}

/// Above or below the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Holds when the value is greater than the threshold.
    Above,
    /// Holds when the value is less than the threshold.
    Below,
}

impl Op {
    /// `>` or `<`.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Above => ">",
            Op::Below => "<",
        }
    }
}

/// The series a threshold rule may watch, with their units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    /// A component's busy cores over its cores (0 to 1).
    Utilization,
    /// A component's mean waiting requests per instance.
    Queue,
    /// Calls failed at a component, per second.
    Errors,
    /// Calls failed at a component over the calls it received (0 to 1).
    ErrorRatio,
    /// Calls a component received, per second.
    Calls,
    /// A cache's or CDN's hits over lookups (0 to 1).
    HitRatio,
    /// A queue's time from publish to the end of processing, in seconds.
    ConsumerLag,
    /// The p99 latency of the requests that succeeded in the bucket, in seconds.
    P99,
    /// Failed over finished requests (0 to 1).
    ErrorRate,
    /// Requests arriving per second (first attempts).
    Rps,
    /// Good requests finishing per second.
    Goodput,
}

impl Series {
    /// Every series, in the order messages list them.
    pub const ALL: [Series; 11] = [
        Series::Utilization,
        Series::Queue,
        Series::Errors,
        Series::ErrorRatio,
        Series::Calls,
        Series::HitRatio,
        Series::ConsumerLag,
        Series::P99,
        Series::ErrorRate,
        Series::Rps,
        Series::Goodput,
    ];
    /// Its name in a scenario.
    pub fn name(self) -> &'static str {
        match self {
            Series::Utilization => "utilization",
            Series::Queue => "queue",
            Series::Errors => "errors",
            Series::ErrorRatio => "error_ratio",
            Series::Calls => "calls",
            Series::HitRatio => "hit_ratio",
            Series::ConsumerLag => "consumer_lag",
            Series::P99 => "p99",
            Series::ErrorRate => "error_rate",
            Series::Rps => "rps",
            Series::Goodput => "goodput",
        }
    }
    /// The series named `name`.
    pub fn named(name: &str) -> Option<Series> {
        Series::ALL.into_iter().find(|s| s.name() == name)
    }
    /// Whether it is a series of requests (a class's or the system's), not of a component.
    pub fn of_requests(self) -> bool {
        matches!(
            self,
            Series::P99 | Series::ErrorRate | Series::Rps | Series::Goodput
        )
    }
    /// Whether it is measured in seconds (a threshold may be written as a duration).
    pub fn in_seconds(self) -> bool {
        matches!(self, Series::P99 | Series::ConsumerLag)
    }
}

/// An alert that fired in one replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FiredAlert {
    /// The rule's name.
    pub name: String,
    /// When it started firing, in simulated seconds.
    pub fired_at_s: f64,
    /// When it resolved; `null` if it was still firing when the run ended.
    pub resolved_at_s: Option<f64>,
    /// The most extreme value while pending or firing (in the series' unit; a burn rate for
    /// burn-rate rules).
    pub peak: f64,
    /// The replication it fired in, from 1.
    pub replication: u32,
}

/// The values a rule reads at each bucket: the threshold series, or the burn rates over the
/// long and the short window.
enum Values {
    Plain(Vec<Option<f64>>),
    Burn(Vec<Option<f64>>, Vec<Option<f64>>),
}

/// The burn rate over the `k` buckets ending with each bucket: bad over finished, over the
/// error budget; `None` where nothing finished.
fn burn_rates(buckets: &[SeriesBucket], k: usize, budget: f64) -> Vec<Option<f64>> {
    let k = k.max(1);
    let (mut bad, mut total) = (0u64, 0u64);
    let bad_of = |b: &SeriesBucket| b.failed + b.succeeded.saturating_sub(b.good);
    let total_of = |b: &SeriesBucket| b.succeeded + b.failed;
    (0..buckets.len())
        .map(|j| {
            bad += bad_of(&buckets[j]);
            total += total_of(&buckets[j]);
            if j >= k {
                bad -= bad_of(&buckets[j - k]);
                total -= total_of(&buckets[j - k]);
            }
            (total > 0).then(|| bad as f64 / total as f64 / budget)
        })
        .collect()
}

/// Buckets in a window of `w_ns`: at least one.
pub fn window_buckets(w_ns: u64, interval_ns: u64) -> usize {
    ((w_ns as f64 / interval_ns.max(1) as f64).round() as usize).max(1)
}

/// The request series of a class (or of every request), per bucket.
fn request_buckets<'a>(stats: &'a RunStats, class: Option<&str>) -> &'a [SeriesBucket] {
    match class {
        Some(c) if !stats.class_series.is_empty() => stats
            .class_names
            .iter()
            .position(|n| n == c)
            .and_then(|i| stats.class_series.get(i))
            .map_or(&[], |v| v.as_slice()),
        _ => &stats.series,
    }
}

fn values(rule: &AlertRule, stats: &RunStats) -> Values {
    let iv = stats.interval_ns.max(1);
    let per_s = iv as f64 / 1e9;
    match &rule.condition {
        Condition::BurnRate {
            class,
            target,
            long_ns,
            short_ns,
            ..
        } => {
            let b = request_buckets(stats, class.as_deref());
            let budget = (1.0 - target).max(f64::MIN_POSITIVE);
            Values::Burn(
                burn_rates(b, window_buckets(*long_ns, iv), budget),
                burn_rates(b, window_buckets(*short_ns, iv), budget),
            )
        }
        Condition::Threshold {
            subject, series, ..
        } => {
            if series.of_requests() {
                let class = match subject {
                    Subject::Class(c) => Some(c.as_str()),
                    _ => None,
                };
                let b = request_buckets(stats, class);
                return Values::Plain(
                    b.iter()
                        .map(|b| match series {
                            Series::P99 => b.latency_us.quantile(0.99).map(|us| us / 1e6),
                            Series::ErrorRate => (b.succeeded + b.failed > 0)
                                .then(|| b.failed as f64 / (b.succeeded + b.failed) as f64),
                            Series::Rps => Some(b.arrivals as f64 / per_s),
                            _ => Some(b.good as f64 / per_s),
                        })
                        .collect(),
                );
            }
            let Subject::Component(name) = subject else {
                return Values::Plain(Vec::new());
            };
            let Some(c) = stats.components.iter().find(|c| c.name == *name) else {
                return Values::Plain(Vec::new());
            };
            let n = stats.series.len();
            let all = crate::result::component_series(c, iv, 1.0, &stats.bucket_ns, n)
                .unwrap_or_default();
            let get = |k: &str| all.get(k).cloned().unwrap_or_default();
            Values::Plain(match series {
                Series::Utilization => get("utilization"),
                Series::Queue => get("queue"),
                Series::Errors => get("errors"),
                Series::Calls => get("calls_per_s"),
                Series::HitRatio => get("hit_ratio"),
                Series::ConsumerLag => get("lag_ms")
                    .into_iter()
                    .map(|v| v.map(|ms| ms / 1e3))
                    .collect(),
                Series::ErrorRatio => (0..n)
                    .map(|b| {
                        let e = c.errors_series.get(b).copied().unwrap_or(0);
                        let calls = c.calls_series.get(b).copied().unwrap_or(0);
                        (calls.max(e) > 0).then(|| e as f64 / calls.max(e) as f64)
                    })
                    .collect(),
                _ => Vec::new(),
            })
        }
    }
}

/// Whether `v` breaks the rule at bucket `b`, and the value its peak follows.
fn holds(rule: &AlertRule, vals: &Values, b: usize) -> Option<f64> {
    match (&rule.condition, vals) {
        (Condition::Threshold { op, value, .. }, Values::Plain(v)) => {
            let x = v.get(b).copied().flatten()?;
            let on = match op {
                Op::Above => x > *value,
                Op::Below => x < *value,
            };
            on.then_some(x)
        }
        (Condition::BurnRate { factor, .. }, Values::Burn(long, short)) => {
            let l = long.get(b).copied().flatten()?;
            let s = short.get(b).copied().flatten()?;
            (l > *factor && s > *factor).then_some(l)
        }
        _ => None,
    }
}

/// The text of a firing's timeline entry: what held, for how long, at what value (the burn
/// rate of the long window for a burn-rate rule), and the severity.
fn firing_detail(rule: &AlertRule, v: f64) -> String {
    let mut s = rule.summary();
    if rule.for_ns > 0 {
        s.push_str(&format!(" for {}", fmt_window(rule.for_ns)));
    }
    let x = if matches!(rule.condition, Condition::BurnRate { .. }) {
        "x"
    } else {
        ""
    };
    s.push_str(&format!(": {}{x}", fmt_value(v)));
    if let Some(sev) = &rule.severity {
        s.push_str(&format!(" [{sev}]"));
    }
    s
}

/// An observed value for a sentence: three significant digits or so, no trailing zeros.
fn fmt_value(v: f64) -> String {
    let s = if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.4}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s.is_empty() || s == "-" || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A window as Prometheus writes a duration: `1h`, `5m`, `100s`, `8333ms`.
pub fn fmt_window(ns: u64) -> String {
    let ms = (ns / 1_000_000).max(1);
    if ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Evaluates `spec`'s rules over one replication's `stats` (before pooling): fills
/// `stats.alerts` (in order of firing) and adds a timeline entry for each firing and each
/// resolution.
pub fn evaluate(spec: &AlertsSpec, stats: &mut RunStats) {
    let iv = stats.interval_ns.max(1);
    let every = if spec.interval_ns == 0 {
        iv
    } else {
        spec.interval_ns
    };
    // The run's end: the series covers it, the last bucket possibly partial.
    let end_ns = stats.simulated_ns.min(u64::MAX as u128) as u64;
    let n = stats.series.len();
    let mut fired: Vec<FiredAlert> = Vec::new();
    let mut entries: Vec<TimelineEntry> = Vec::new();
    for rule in &spec.rules {
        let vals = values(rule, stats);
        // (when it became pending, the peak so far, the index of its firing in `fired`)
        let mut active: Option<(u64, f64, Option<usize>)> = None;
        let mut k = 1u64;
        while let Some(t) = k.checked_mul(every).filter(|t| *t <= end_ns) {
            k += 1;
            // The latest bucket that has ended by `t`.
            let done = ((t / iv) as usize).min(n);
            let Some(b) = done.checked_sub(1) else {
                continue;
            };
            match (holds(rule, &vals, b), active.as_mut()) {
                (Some(v), None) => active = Some((t, v, None)),
                (Some(v), Some((_, peak, _))) => {
                    let worse = match &rule.condition {
                        Condition::Threshold { op: Op::Below, .. } => v < *peak,
                        _ => v > *peak,
                    };
                    if worse {
                        *peak = v;
                    }
                }
                (None, Some((_, peak, firing))) => {
                    if let Some(i) = firing {
                        fired[*i].resolved_at_s = Some(t as f64 / 1e9);
                        fired[*i].peak = *peak;
                        entries.push(TimelineEntry::new(
                            t as f64 / 1e9,
                            &rule.name,
                            &ALERT_RESOLVED,
                            String::new(),
                        ));
                    }
                    active = None;
                }
                (None, None) => {}
            }
            if let Some((since, peak, firing @ None)) = active.as_mut() {
                if t - *since >= rule.for_ns {
                    *firing = Some(fired.len());
                    fired.push(FiredAlert {
                        name: rule.name.clone(),
                        fired_at_s: t as f64 / 1e9,
                        resolved_at_s: None,
                        peak: *peak,
                        replication: 1,
                    });
                    let now = holds(rule, &vals, b).unwrap_or(*peak);
                    entries.push(TimelineEntry::new(
                        t as f64 / 1e9,
                        &rule.name,
                        &ALERT_FIRING,
                        firing_detail(rule, now),
                    ));
                }
            }
        }
        if let Some((_, peak, Some(i))) = active {
            fired[i].peak = peak;
        }
    }
    fired.sort_by(|a, b| a.fired_at_s.total_cmp(&b.fired_at_s));
    entries.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    stats.alerts = Some(fired);
    stats.timeline.extend(entries);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recorder::{Recorder, Window};

    /// A run of `n` one-second buckets with the given (succeeded, failed, good) per bucket.
    fn stats(buckets: &[(u64, u64, u64)]) -> RunStats {
        let n = buckets.len() as u64;
        let w = Window {
            warmup_ns: 0,
            end_ns: n * 1_000_000_000,
        };
        let rec = Recorder::new(
            w,
            None,
            1_000_000_000,
            vec![],
            vec!["default".into()],
            w.end_ns,
        );
        let mut s = rec.finish(0, w.end_ns, 0, vec![]);
        for (b, &(ok, bad, good)) in s.series.iter_mut().zip(buckets) {
            b.succeeded = ok;
            b.failed = bad;
            b.good = good;
        }
        s.succeeded = buckets.iter().map(|b| b.0).sum();
        s.failed = buckets.iter().map(|b| b.1).sum();
        s.generated = s.succeeded + s.failed;
        s
    }

    fn error_rule(above: f64, for_s: u64) -> AlertRule {
        AlertRule {
            name: "Errors".into(),
            severity: None,
            for_ns: for_s * 1_000_000_000,
            condition: Condition::Threshold {
                subject: Subject::System,
                series: Series::ErrorRate,
                op: Op::Above,
                value: above,
            },
        }
    }

    fn spec(rule: AlertRule, interval_s: u64) -> AlertsSpec {
        AlertsSpec {
            rules: vec![rule],
            interval_ns: interval_s * 1_000_000_000,
        }
    }

    /// Error rate per bucket: 0, 0, 50%, 50%, 50%, 0, 50%, 0, 0, 0.
    fn flapping() -> RunStats {
        let b = |f| (10 - f, f, 10 - f);
        stats(&[b(0), b(0), b(5), b(5), b(5), b(0), b(5), b(0), b(0), b(0)])
    }

    #[test]
    fn without_for_an_alert_fires_at_the_first_evaluation_that_sees_the_bucket() {
        let mut s = flapping();
        evaluate(&spec(error_rule(0.1, 0), 1), &mut s);
        // Bucket 2 ([2s, 3s)) is seen at t = 3 s; bucket 5 is clean, seen at 6 s.
        let a = s.alerts.unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].fired_at_s, a[0].resolved_at_s), (3.0, Some(6.0)));
        assert_eq!(a[0].peak, 0.5);
        assert_eq!((a[1].fired_at_s, a[1].resolved_at_s), (7.0, Some(8.0)));
        let names: Vec<&str> = s.timeline.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(
            names,
            [
                "alert_firing",
                "alert_resolved",
                "alert_firing",
                "alert_resolved"
            ]
        );
        assert_eq!(s.timeline[0].component, "Errors");
        assert_eq!(
            s.timeline[0].detail,
            "all requests error_rate above 0.1: 0.5"
        );
        assert_eq!(s.timeline[0].category, Category::Alert);
    }

    #[test]
    fn for_holds_the_alert_pending_across_consecutive_evaluations() {
        let mut s = flapping();
        // Pending at 3 s; 4 s is 1 s later, 5 s is 2 s later: fires at 5 s, resolves at 6 s.
        // The single bad bucket at 6 s (seen at 7 s) is pending and dropped at 8 s: no firing.
        evaluate(&spec(error_rule(0.1, 2), 1), &mut s);
        let a = s.alerts.unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].fired_at_s, a[0].resolved_at_s), (5.0, Some(6.0)));
        // Longer than the condition ever holds: nothing fires, the list is empty (not absent).
        let mut s = flapping();
        evaluate(&spec(error_rule(0.1, 3), 1), &mut s);
        assert_eq!(s.alerts, Some(vec![]));
        assert!(s.timeline.is_empty());
    }

    #[test]
    fn evaluation_happens_at_the_interval_not_at_every_bucket() {
        let mut s = flapping();
        // Every 2 s: at 2 s (bucket 1: clean), 4 s (bucket 3: bad -> fires), 6 s (bucket 5:
        // clean -> resolves), 8 s (bucket 7: clean), 10 s. The bad bucket 6 is never seen.
        evaluate(&spec(error_rule(0.1, 0), 2), &mut s);
        let a = s.alerts.unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].fired_at_s, a[0].resolved_at_s), (4.0, Some(6.0)));
    }

    #[test]
    fn an_alert_firing_at_the_end_has_no_resolution_and_below_tracks_the_lowest() {
        let mut s = stats(&[(10, 0, 10), (10, 0, 10), (4, 0, 4), (2, 0, 2)]);
        let rule = AlertRule {
            condition: Condition::Threshold {
                subject: Subject::System,
                series: Series::Goodput,
                op: Op::Below,
                value: 5.0,
            },
            ..error_rule(0.0, 0)
        };
        evaluate(&spec(rule, 1), &mut s);
        let a = s.alerts.unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].fired_at_s, a[0].resolved_at_s), (3.0, None));
        assert_eq!(a[0].peak, 2.0);
    }

    #[test]
    fn burn_rate_matches_a_hand_computed_case() {
        // Target 99%: a budget of 1%. Per bucket 100 finished; bad: 0 x 6, then 20 (a slow
        // success counts: 10 failed + 10 succeeded past the SLO latency) x 4.
        let mut b = vec![(100, 0, 100); 6];
        b.extend(vec![(90, 10, 80); 4]);
        let mut s = stats(&b);
        let rule = AlertRule {
            name: "Burn".into(),
            severity: Some("page".into()),
            for_ns: 0,
            condition: Condition::BurnRate {
                class: None,
                target: 0.99,
                long_ns: 4_000_000_000,
                short_ns: 1_000_000_000,
                factor: 14.4,
            },
        };
        // The long window (4 buckets) ending with bucket j: bad / 400 / 0.01.
        // j = 6: 20/400 = 5% -> 5x; j = 7: 10x; j = 8: 15x (> 14.4, short: 20x) -> fires at
        // t = 9 s; j = 9: 20x.
        let bs = burn_rates(&s.series, 4, 0.01);
        let got: Vec<f64> = bs[6..].iter().map(|v| v.unwrap()).collect();
        for (g, want) in got.iter().zip([5.0, 10.0, 15.0, 20.0]) {
            assert!((g - want).abs() < 1e-9, "{got:?}");
        }
        evaluate(&spec(rule, 1), &mut s);
        let a = s.alerts.unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].fired_at_s, a[0].resolved_at_s), (9.0, None));
        assert!((a[0].peak - 20.0).abs() < 1e-9);
        assert_eq!(
            s.timeline[0].detail,
            "error budget burning faster than 14.4x over 4s and 1s: 15x [page]"
        );
    }

    #[test]
    fn windows_read_as_prometheus_durations() {
        assert_eq!(fmt_window(3_600_000_000_000), "1h");
        assert_eq!(fmt_window(300_000_000_000), "5m");
        assert_eq!(fmt_window(100_000_000_000), "100s");
        assert_eq!(fmt_window(8_333_333_333), "8333ms");
        assert_eq!(window_buckets(8_333_333_333, 1_000_000_000), 8);
        assert_eq!(window_buckets(1, 1_000_000_000), 1);
    }
}
