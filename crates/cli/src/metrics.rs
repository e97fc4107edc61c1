//! `--metrics PATH`: a run's time series as OpenMetrics text with timestamps, for backfilling
//! into Prometheus (`promtool tsdb create-blocks-from openmetrics`). It owns the metric names
//! ([`FAMILIES`]) and their layout; the figures themselves are the result's: each component's
//! `series` (utilization, queue, calls, errors and the series its kind declares), each
//! instance's utilization, queue and memory utilization (`archsim_instance_*`, components
//! with 2 to [`archsim_stats::INSTANCE_SERIES_MAX`] instances: the run keeps them when asked
//! for this export) and, per
//! request class, [`SeriesResult::of`] over the class's series buckets, plus a cumulative
//! latency histogram built from each bucket's `LogHist`.
//!
//! A sample of series bucket `i` carries the timestamp of the bucket's end, `epoch + (i + 1)
//! x interval` (`--trace-epoch` sets the epoch), so a gauge is the figure of the interval that
//! ends there and a counter the count up to there. With replications every figure is a mean
//! over replications, as the JSON `series` is: gauges are the pooled figures, and counters and
//! histogram counts are the pooled counts divided by the replications.

use archsim_stats::{InstanceSeriesValues, RunStats, SeriesBucket, SeriesResult, SimResult};
use std::fmt::Write as _;

/// What a metric family is: its name (a counter's without `_total`), type, unit and help.
pub(crate) struct Family {
    /// The family name.
    pub name: &'static str,
    /// `gauge`, `counter` or `histogram`.
    pub kind: &'static str,
    /// The OpenMetrics unit (a suffix of the name), if any.
    pub unit: Option<&'static str>,
    /// The `# HELP` text.
    pub help: &'static str,
}

const fn family(
    name: &'static str,
    kind: &'static str,
    unit: Option<&'static str>,
    help: &'static str,
) -> Family {
    Family {
        name,
        kind,
        unit,
        help,
    }
}

const RATIO: Option<&str> = Some("ratio");
const SECONDS: Option<&str> = Some("seconds");

/// Every family the export may write, in the order written. A family without samples in a
/// run (no cache: no hit ratio) is left out of that run's file.
pub(crate) const FAMILIES: &[Family] = &[
    family(
        "archsim_component_utilization_ratio",
        "gauge",
        RATIO,
        "Busy core time over cores x instance time in the interval (components with cores).",
    ),
    family(
        "archsim_component_queue_length",
        "gauge",
        None,
        "Mean requests waiting per instance over the interval.",
    ),
    family(
        "archsim_component_memory_utilization_ratio",
        "gauge",
        RATIO,
        "Memory in use over capacity, mean over instances and the interval (a memory capacity, or a cache's max_memory: bytes of its entries).",
    ),
    family(
        "archsim_instance_utilization_ratio",
        "gauge",
        RATIO,
        "One instance's busy core time over cores x the interval (components with cores and 2 to 16 instances, a fixed count).",
    ),
    family(
        "archsim_instance_queue_length",
        "gauge",
        None,
        "Mean requests waiting at one instance over the interval (components with 2 to 16 instances, a fixed count).",
    ),
    family(
        "archsim_instance_memory_utilization_ratio",
        "gauge",
        RATIO,
        "One instance's memory in use over capacity, mean over the interval (a memory capacity, 2 to 16 instances, a fixed count).",
    ),
    family(
        "archsim_component_calls_per_second",
        "gauge",
        None,
        "Calls that reached the component, per second of the interval.",
    ),
    family(
        "archsim_component_errors_per_second",
        "gauge",
        None,
        "Calls failed at the component itself (rejected, unavailable, ...), per second.",
    ),
    family(
        "archsim_cache_hit_ratio",
        "gauge",
        RATIO,
        "Cache hits over lookups in the interval.",
    ),
    family(
        "archsim_replication_lag_seconds",
        "gauge",
        SECONDS,
        "Mean replication lag of the writes applied in the interval.",
    ),
    family(
        "archsim_consumer_lag_seconds",
        "gauge",
        SECONDS,
        "Mean time from publish to consume of the messages consumed in the interval.",
    ),
    family(
        "archsim_network_sent_bytes_per_second",
        "gauge",
        None,
        "Bytes the component's instances sent per second of the interval (with message sizes).",
    ),
    family(
        "archsim_network_received_bytes_per_second",
        "gauge",
        None,
        "Bytes sent to the component per second of the interval (with message sizes).",
    ),
    family(
        "archsim_link_utilization_ratio",
        "gauge",
        RATIO,
        "Bytes the component's instances sent over what their links could carry in the interval (with a bandwidth).",
    ),
    family(
        "archsim_component_instances",
        "gauge",
        None,
        "Instances: ready (autoscaled), live (when faults take instances down), else configured.",
    ),
    family(
        "archsim_request_rate_per_second",
        "gauge",
        None,
        "Requests (first attempts) arriving per second of the interval.",
    ),
    family(
        "archsim_goodput_per_second",
        "gauge",
        None,
        "Requests succeeding (within the SLO latency, with an SLO) per second of the interval.",
    ),
    family(
        "archsim_error_ratio",
        "gauge",
        RATIO,
        "Failed over completed requests among those completing in the interval.",
    ),
    family(
        "archsim_requests",
        "counter",
        None,
        "Requests completed (succeeded or failed) since the run's start.",
    ),
    family(
        "archsim_requests_failed",
        "counter",
        None,
        "Requests failed since the run's start.",
    ),
    family(
        "archsim_requests_slow",
        "counter",
        None,
        "Requests that succeeded but not good (slower than the SLO latency, or answered by a fallback) since the run's start.",
    ),
    family(
        "archsim_request_duration_seconds",
        "histogram",
        SECONDS,
        "End-to-end latency of succeeded requests since the run's start, by completion time.",
    ),
];

/// The component series of the result (`components.NAME.series`) written as gauges: series
/// name, family, factor to the family's base unit.
const COMPONENT_SERIES: &[(&str, &str, f64)] = &[
    ("utilization", "archsim_component_utilization_ratio", 1.0),
    ("queue", "archsim_component_queue_length", 1.0),
    (
        "memory_utilization",
        "archsim_component_memory_utilization_ratio",
        1.0,
    ),
    ("calls_per_s", "archsim_component_calls_per_second", 1.0),
    ("errors", "archsim_component_errors_per_second", 1.0),
    ("hit_ratio", "archsim_cache_hit_ratio", 1.0),
    (
        "replication_lag_ms",
        "archsim_replication_lag_seconds",
        1e-3,
    ),
    ("lag_ms", "archsim_consumer_lag_seconds", 1e-3),
    (
        "net_sent_bytes_per_s",
        "archsim_network_sent_bytes_per_second",
        1.0,
    ),
    (
        "net_received_bytes_per_s",
        "archsim_network_received_bytes_per_second",
        1.0,
    ),
    ("link_utilization", "archsim_link_utilization_ratio", 1.0),
];

/// The instance series, in order of preference: ready instances of an autoscaled service,
/// then live instances of one that faults take down; else the configured count.
const INSTANCE_SERIES: &[&str] = &["instances", "live_instances"];

/// The histogram's upper bounds: `le` label and microseconds, 1 ms to 60 s, about 1.5x apart
/// (1, 1.5, 2, 3, 5, 7.5 per decade), then `+Inf`.
pub(crate) const LE: &[(&str, u64)] = &[
    ("0.001", 1_000),
    ("0.0015", 1_500),
    ("0.002", 2_000),
    ("0.003", 3_000),
    ("0.005", 5_000),
    ("0.0075", 7_500),
    ("0.01", 10_000),
    ("0.015", 15_000),
    ("0.02", 20_000),
    ("0.03", 30_000),
    ("0.05", 50_000),
    ("0.075", 75_000),
    ("0.1", 100_000),
    ("0.15", 150_000),
    ("0.2", 200_000),
    ("0.3", 300_000),
    ("0.5", 500_000),
    ("0.75", 750_000),
    ("1", 1_000_000),
    ("1.5", 1_500_000),
    ("2", 2_000_000),
    ("3", 3_000_000),
    ("5", 5_000_000),
    ("7.5", 7_500_000),
    ("10", 10_000_000),
    ("15", 15_000_000),
    ("20", 20_000_000),
    ("30", 30_000_000),
    ("60", 60_000_000),
];

/// The series of each request class, as (class label, series buckets).
///
/// With one class, its series is the run's series, under the class's name; with several,
/// the overall series as `class="all"`, then each class's own.
fn class_series(stats: &RunStats) -> Vec<(&str, &[SeriesBucket])> {
    match stats.class_names.as_slice() {
        [one] => vec![(one.as_str(), stats.series.as_slice())],
        names => std::iter::once(("all", stats.series.as_slice()))
            .chain(
                names
                    .iter()
                    .zip(&stats.class_series)
                    .map(|(n, s)| (n.as_str(), s.as_slice())),
            )
            .collect(),
    }
}

/// The samples written so far, by family (each family's lines go under its header), and
/// the series buckets' timestamps.
struct Out {
    /// Family name to its sample lines.
    body: Vec<(&'static str, String)>,
    /// The timestamp of each series bucket, formatted.
    ts: Vec<String>,
}

impl Out {
    fn lines(&mut self, family: &'static str) -> &mut String {
        if let Some(i) = self.body.iter().position(|(f, _)| *f == family) {
            return &mut self.body[i].1;
        }
        self.body.push((family, String::new()));
        &mut self.body.last_mut().expect("just pushed").1
    }
    /// Writes `values` (one per bucket; missing or not finite: no sample) as `name{labels}`.
    fn gauge(
        &mut self,
        family: &'static str,
        labels: &str,
        values: impl Iterator<Item = Option<f64>>,
    ) {
        let ts = std::mem::take(&mut self.ts);
        let out = self.lines(family);
        for (v, t) in values.zip(&ts) {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                sample(out, family, labels, v, t);
            }
        }
        self.ts = ts;
    }
}

/// Appends the sample `name{labels} value timestamp`.
fn sample(out: &mut String, name: &str, labels: &str, value: f64, ts: &str) {
    let _ = writeln!(out, "{name}{{{labels}}} {} {ts}", number(value));
}

/// A value as OpenMetrics writes it (shortest round-trip decimal; integers without a point).
fn number(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else {
        format!("{v}")
    }
}

/// `ns` nanoseconds after the Unix epoch as seconds with up to nine decimals.
fn timestamp(ns: u128) -> String {
    let (s, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    if frac == 0 {
        return s.to_string();
    }
    let f = format!("{frac:09}");
    format!("{s}.{}", f.trim_end_matches('0'))
}

/// A label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Each instance's gauges of a component, labelled `component` and `instance` (`"0"`, `"1"`,
/// ...): metric names of their own (`archsim_instance_*`), so that a query over the
/// component's pooled gauges (`archsim_component_*{component="app"}`, a sum or mean by
/// component) never counts an instance's series beside the component's.
fn instance_gauges(out: &mut Out, component: &str, per: &InstanceSeriesValues) {
    let families: [(&'static str, Option<&_>); 3] = [
        (
            "archsim_instance_utilization_ratio",
            per.utilization.as_ref(),
        ),
        ("archsim_instance_queue_length", Some(&per.queue)),
        (
            "archsim_instance_memory_utilization_ratio",
            per.memory_utilization.as_ref(),
        ),
    ];
    for (family, values) in families {
        for (i, v) in values.into_iter().flatten().enumerate() {
            let labels = format!("component=\"{}\",instance=\"{i}\"", label(component));
            out.gauge(family, &labels, v.iter().copied());
        }
    }
}

/// The latency histogram of one class: cumulative counts per `le` (the last one `+Inf`), the
/// sum in microseconds and the count, up to the end of each bucket.
fn latency_histogram(out: &mut Out, class: &str, buckets: &[SeriesBucket], reps: f64) {
    let family = "archsim_request_duration_seconds";
    let ts = std::mem::take(&mut out.ts);
    let body = out.lines(family);
    // Counts per `le` slot (not yet cumulative across slots), cumulative over time.
    let mut slots = vec![0u64; LE.len() + 1];
    let mut sum_us = 0f64;
    let (mut failed, mut completed, mut slow) = (0u64, 0u64, 0u64);
    let (mut requests, mut failures, mut slows) = (String::new(), String::new(), String::new());
    let labels = format!("class=\"{}\"", label(class));
    for (b, t) in buckets.iter().zip(&ts) {
        for (lo, hi, n) in b.latency_us.buckets() {
            // A `LogHist` bucket goes whole to the first bound at or above its midpoint (the
            // value its quantiles report), so a count is off by at most half a bucket (1.5%).
            let mid = lo as f64 / 2.0 + hi as f64 / 2.0;
            let slot = LE.partition_point(|&(_, le_us)| (le_us as f64) < mid);
            slots[slot] += n;
            sum_us += mid * n as f64;
        }
        let mut cum = 0u64;
        for (i, n) in slots.iter().enumerate() {
            cum += n;
            let le = LE.get(i).map_or("+Inf", |l| l.0);
            let with_le = format!("{labels},le=\"{le}\"");
            sample(
                body,
                &format!("{family}_bucket"),
                &with_le,
                cum as f64 / reps,
                t,
            );
        }
        sample(
            body,
            &format!("{family}_count"),
            &labels,
            cum as f64 / reps,
            t,
        );
        sample(
            body,
            &format!("{family}_sum"),
            &labels,
            sum_us / 1e6 / reps,
            t,
        );
        completed += b.succeeded + b.failed;
        failed += b.failed;
        slow += b.succeeded - b.good;
        let (c, f) = (completed as f64 / reps, failed as f64 / reps);
        sample(
            &mut slows,
            "archsim_requests_slow_total",
            &labels,
            slow as f64 / reps,
            t,
        );
        sample(&mut requests, "archsim_requests_total", &labels, c, t);
        sample(
            &mut failures,
            "archsim_requests_failed_total",
            &labels,
            f,
            t,
        );
    }
    out.lines("archsim_requests").push_str(&requests);
    out.lines("archsim_requests_failed").push_str(&failures);
    out.lines("archsim_requests_slow").push_str(&slows);
    out.ts = ts;
}

/// The run's time series as OpenMetrics text: every family of [`FAMILIES`] that has samples,
/// once, in that order, with `# TYPE`, `# UNIT` and `# HELP`; ends with `# EOF`.
/// `epoch_ns`: the Unix time in nanoseconds that simulated time 0 maps to.
pub(crate) fn openmetrics(result: &SimResult, stats: &RunStats, epoch_ns: u64) -> String {
    let n = result.series.t_s.len();
    let reps = stats.replications.max(1) as f64;
    let interval = stats.interval_ns as u128;
    let mut out = Out {
        body: Vec::new(),
        ts: (0..n as u128)
            .map(|i| timestamp(epoch_ns as u128 + (i + 1) * interval))
            .collect(),
    };
    for (name, c) in &result.components {
        let labels = format!("component=\"{}\"", label(name));
        let empty = Default::default();
        let series = c.series.as_ref().unwrap_or(&empty);
        for &(key, family, factor) in COMPONENT_SERIES {
            if let Some(v) = series.get(key) {
                out.gauge(family, &labels, v.iter().map(|x| x.map(|x| x * factor)));
            }
        }
        if let Some(per) = stats
            .components
            .iter()
            .find(|s| s.name == *name)
            .and_then(|s| Some((s, s.instance_series.as_deref()?)))
            .map(|(s, p)| p.values(s.cores, stats.interval_ns, reps, &stats.bucket_ns, n))
        {
            instance_gauges(&mut out, name, &per);
        }
        let instances = INSTANCE_SERIES.iter().find_map(|k| series.get(*k));
        let fixed = c.instances as f64;
        match instances {
            Some(v) => out.gauge("archsim_component_instances", &labels, v.iter().copied()),
            None => out.gauge(
                "archsim_component_instances",
                &labels,
                (0..n).map(|_| Some(fixed)),
            ),
        }
    }
    let classes = class_series(stats);
    for (class, buckets) in &classes {
        let s = SeriesResult::of(buckets, stats.interval_ns, reps);
        let labels = format!("class=\"{}\"", label(class));
        let some = |v: &Vec<f64>| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
        out.gauge(
            "archsim_request_rate_per_second",
            &labels,
            some(&s.rps).into_iter(),
        );
        out.gauge(
            "archsim_goodput_per_second",
            &labels,
            some(&s.goodput_rps).into_iter(),
        );
        out.gauge(
            "archsim_error_ratio",
            &labels,
            some(&s.error_rate).into_iter(),
        );
    }
    for (class, buckets) in &classes {
        latency_histogram(&mut out, class, buckets, reps);
    }
    let mut text = String::new();
    for f in FAMILIES {
        let Some((_, body)) = out
            .body
            .iter()
            .find(|(name, b)| *name == f.name && !b.is_empty())
        else {
            continue;
        };
        let _ = writeln!(text, "# TYPE {} {}", f.name, f.kind);
        if let Some(u) = f.unit {
            let _ = writeln!(text, "# UNIT {} {u}", f.name);
        }
        let _ = writeln!(text, "# HELP {} {}", f.name, f.help);
        text.push_str(body);
    }
    debug_assert!(
        out.body
            .iter()
            .all(|(name, _)| FAMILIES.iter().any(|f| f.name == *name)),
        "a family missing from FAMILIES"
    );
    text.push_str("# EOF");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_seconds_with_at_most_nine_decimals() {
        assert_eq!(timestamp(1_767_225_600_000_000_000), "1767225600");
        assert_eq!(timestamp(1_767_225_600_250_000_000), "1767225600.25");
        assert_eq!(timestamp(1_000_000_001), "1.000000001");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn bounds_increase_and_labels_match_microseconds() {
        for w in LE.windows(2) {
            assert!(w[0].1 < w[1].1);
        }
        for (le, us) in LE {
            assert_eq!(le.parse::<f64>().unwrap(), *us as f64 / 1e6, "{le}");
        }
    }

    /// The per-instance families say the instance limit they are written under.
    #[test]
    fn instance_families_state_the_limit() {
        let limit = format!("2 to {} instances", archsim_stats::INSTANCE_SERIES_MAX);
        let per: Vec<_> = FAMILIES
            .iter()
            .filter(|f| f.name.starts_with("archsim_instance_"))
            .collect();
        assert_eq!(per.len(), 3);
        for f in per {
            assert!(f.help.contains(&limit), "{}: {}", f.name, f.help);
        }
    }

    /// Every metric a panel of the shipped Grafana dashboard queries is one the export writes.
    #[test]
    fn the_dashboard_queries_only_exported_metrics() {
        let text = include_str!("../../../docs/grafana-dashboard.json");
        let dash: serde_json::Value = serde_json::from_str(text).expect("the dashboard is JSON");
        let mut names: Vec<String> = Vec::new();
        for f in FAMILIES {
            match f.kind {
                "counter" => names.push(format!("{}_total", f.name)),
                "histogram" => {
                    for s in ["_bucket", "_sum", "_count"] {
                        names.push(format!("{}{s}", f.name));
                    }
                }
                _ => names.push(f.name.to_string()),
            }
        }
        let mut exprs = Vec::new();
        fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, x) in m {
                        match (k.as_str(), x) {
                            ("expr", serde_json::Value::String(s)) => out.push(s.clone()),
                            _ => walk(x, out),
                        }
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        walk(&dash, &mut exprs);
        assert!(exprs.len() >= 8, "{} queries", exprs.len());
        for e in &exprs {
            let used: Vec<&str> = e
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("archsim_"))
                .collect();
            assert!(!used.is_empty(), "a query over no archsim metric: {e}");
            for u in used {
                assert!(names.iter().any(|n| n == u), "{u} (in {e}) is not exported");
            }
        }
        let inputs = dash["__inputs"].as_array().expect("__inputs");
        assert!(inputs.iter().any(|i| i["name"] == "DS_PROMETHEUS"));
    }
}
