//! The result of a run, as the contract names it.

use crate::cascade::{analyze, Cascade, CompSeries, Input};
use crate::recorder::{Hist, Outcomes, RunStats, SeriesBucket};
use crate::timeline::TimelineEntry;
use indexmap::IndexMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// Errors building a result.
#[derive(Debug)]
#[non_exhaustive]
pub enum ResultError {
    /// `generated != succeeded + failed + in_flight`: a request was lost by the model.
    Accounting {
        /// Generated requests.
        generated: u64,
        /// Succeeded + failed + in flight.
        accounted: u64,
    },
    /// JSON serialization failed.
    Json(serde_json::Error),
}

impl std::fmt::Display for ResultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResultError::Accounting {
                generated,
                accounted,
            } => write!(
                f,
                "request accounting does not add up: generated {generated}, accounted {accounted}"
            ),
            ResultError::Json(e) => write!(f, "cannot serialize the result: {e}"),
        }
    }
}

impl std::error::Error for ResultError {}

/// Requests over the whole run: `generated = succeeded + failed + in_flight`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Requests {
    /// First attempts generated.
    pub generated: u64,
    /// Ended in success.
    pub succeeded: u64,
    /// Ended in failure.
    pub failed: u64,
    /// No outcome when the run ended.
    pub in_flight: u64,
    /// Succeeded with a fallback answer on the way (part of `succeeded`; never good for the SLO).
    pub degraded: u64,
}

/// End-to-end latency of succeeded measured requests, in milliseconds (`null` without any).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LatencyMs {
    /// Exact mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// 99.9th percentile.
    pub p999: Option<f64>,
    /// Exact maximum.
    pub max: Option<f64>,
}

impl LatencyMs {
    fn of(h: &Hist) -> Self {
        Self {
            mean: h.mean_ms(),
            p50: h.quantile_ms(0.5),
            p90: h.quantile_ms(0.9),
            p95: h.quantile_ms(0.95),
            p99: h.quantile_ms(0.99),
            p999: h.quantile_ms(0.999),
            max: h.max_ms(),
        }
    }
}

/// The SLO of a scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SloSpec {
    /// A request is good if it succeeds within this many milliseconds.
    pub latency_ms: f64,
    /// Fraction of good requests to reach.
    pub target: f64,
}

/// SLO attainment.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SloResult {
    /// The SLO latency.
    pub latency_ms: f64,
    /// The target fraction.
    pub target: f64,
    /// good / (succeeded + failed).
    pub attained: f64,
    /// attained >= target.
    pub met: bool,
}

/// Figures of one request class.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ClassResult {
    /// Latency of its successes.
    pub latency_ms: LatencyMs,
    /// Its successes per second of the measured window.
    pub throughput_rps: f64,
    /// failed / (succeeded + failed).
    pub error_rate: f64,
    /// Measured successes.
    pub succeeded: u64,
    /// Measured failures.
    pub failed: u64,
}

/// Figures of one component.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ComponentResult {
    /// The component's kind.
    pub kind: String,
    /// Instances.
    pub instances: u32,
    /// Cores per instance (`null` = unlimited).
    pub cores: Option<u32>,
    /// Busy core time / (cores x instances x time); `null` where cores are unlimited.
    pub utilization: Option<f64>,
    /// Busy worker time / (workers x instances x time): how full the concurrency limit (a
    /// worker or connection pool) was; only for a component with `workers`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_utilization: Option<f64>,
    /// Mean requests waiting per instance.
    pub mean_queue: f64,
    /// Most requests waiting at one instance.
    pub max_queue: u64,
    /// Requests answered after admission.
    pub served: u64,
    /// Requests turned away by a full waiting room.
    pub rejected: u64,
    /// Its response time as its callers see it (arrival to reply) over calls that arrived in
    /// the measured window; absent when none did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<crate::breakdown::ComponentLatency>,
    /// The mean time per call in each phase (they add up to `latency_ms.mean`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<crate::breakdown::TimeMs>,
    /// Its response time per request class (only with several classes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms_by_class: Option<IndexMap<String, crate::breakdown::ComponentLatency>>,
    /// Kind-specific figures: the component's counters, then the figures it declared
    /// (ratios, means), computed from counts pooled over replications.
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
    /// The figure the summary shows in the utilization column of a component without
    /// utilization (label and value; a cache's `hit`): not part of the JSON.
    #[serde(skip)]
    pub summary_figure: Option<(String, Option<f64>)>,
    /// The series the component asks the HTML report to chart, with the chart each goes on
    /// (series name, chart): not part of the JSON.
    #[serde(skip)]
    pub charts: Vec<(String, crate::figure::Chart)>,
    /// Time series, one value per series bucket, averaged over replications: `utilization`
    /// (components with cores), `queue` (mean requests waiting per instance), `errors` (calls
    /// failed at the component per second), `calls_per_s`, and the series figures the
    /// component declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<IndexMap<String, Vec<Option<f64>>>>,
    /// Load of each instance (components with several instances): hot shards show here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_instance: Option<PerInstance>,
}

/// Load of each instance of a component.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PerInstance {
    /// Calls answered by each instance.
    pub served: Vec<u64>,
    /// Utilization of each instance (`null` where cores are unlimited).
    pub utilization: Option<Vec<f64>>,
    /// Worker utilization of each instance (only with `workers`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_utilization: Option<Vec<f64>>,
    /// Mean memory in use over capacity of each instance in the measured window (a memory
    /// model with a `capacity`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_utilization_mean: Option<Vec<f64>>,
    /// Peak memory in use over capacity of each instance in the window, mean over
    /// replications (a memory model with a `capacity`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_utilization_max: Option<Vec<f64>>,
    /// Peak memory in use of each instance in the window (bytes), mean over replications
    /// (a memory model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_peak_bytes: Option<Vec<f64>>,
    /// OOM kills of each instance over the run, summed over replications (a memory model
    /// with a `capacity`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_kills: Option<Vec<u64>>,
}

/// The load of each instance of a component with several (a fixed count: an autoscaled
/// service has none): calls answered, utilization, worker utilization and, with a memory
/// model, memory; each instance pooled with the same instance of the other replications.
fn per_instance(c: &crate::recorder::ComponentStats) -> Option<PerInstance> {
    if c.instances <= 1 || c.per_instance_served.is_empty() {
        return None;
    }
    let share = |v: &[u128], per: u32| -> Vec<f64> {
        let denom = per as f64 * c.window_ns as f64;
        v.iter()
            .map(|b| if denom > 0.0 { *b as f64 / denom } else { 0.0 })
            .collect()
    };
    let memory = c
        .per_instance_memory
        .as_ref()
        .filter(|m| m.insts.len() == c.per_instance_served.len())
        .map(|m| m.figures(c.window_ns));
    let (mut mean, mut max, mut peak, mut kills) = (None, None, None, None);
    if let Some(m) = memory {
        (mean, max, peak, kills) = (
            m.utilization_mean,
            m.utilization_max,
            Some(m.peak_bytes),
            m.oom_kills,
        );
    }
    Some(PerInstance {
        served: c.per_instance_served.clone(),
        utilization: c.cores.map(|cores| share(&c.per_instance_busy, cores)),
        worker_utilization: c
            .workers
            .filter(|_| c.per_instance_workers.len() == c.per_instance_served.len())
            .map(|w| share(&c.per_instance_workers, w)),
        memory_utilization_mean: mean,
        memory_utilization_max: max,
        memory_peak_bytes: peak,
        oom_kills: kills,
    })
}

impl PerInstance {
    /// The busiest instance by calls answered and its share of the component's calls.
    pub fn hottest(&self) -> Option<(usize, f64)> {
        let total: u64 = self.served.iter().sum();
        let (i, max) = self
            .served
            .iter()
            .enumerate()
            .max_by_key(|(i, v)| (**v, usize::MAX - i))?;
        (total > 0).then(|| (i, *max as f64 / total as f64))
    }
}

/// The time series: one value per interval.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SeriesResult {
    /// Bucket width in seconds.
    pub interval_s: f64,
    /// Start of each bucket.
    pub t_s: Vec<f64>,
    /// Offered load: first attempts arriving per second.
    pub rps: Vec<f64>,
    /// Successes (within the SLO latency when there is one) completing per second.
    pub goodput_rps: Vec<f64>,
    /// failed / (succeeded + failed) among requests completing in the bucket.
    pub error_rate: Vec<f64>,
    /// p99 latency of successes completing in the bucket (`null` without any).
    pub p99_ms: Vec<Option<f64>>,
    /// Median latency of successes completing in the bucket (`null` without any).
    pub p50_ms: Vec<Option<f64>>,
    /// p95 latency of successes completing in the bucket (`null` without any).
    pub p95_ms: Vec<Option<f64>>,
}

impl SeriesResult {
    /// The figures of each series bucket of `buckets` (pooled over `reps` replications, each
    /// `interval_ns` wide): rates per second of the bucket width and per replication, ratios
    /// and percentiles of the pooled counts. The result's `series`, and any other rendering
    /// of a run's series (the OpenMetrics export), are computed here.
    pub fn of(buckets: &[SeriesBucket], interval_ns: u64, reps: f64) -> SeriesResult {
        let interval_s = interval_ns as f64 / 1e9;
        let per_s = interval_s * reps;
        let mut series = SeriesResult {
            interval_s,
            t_s: Vec::new(),
            rps: Vec::new(),
            goodput_rps: Vec::new(),
            error_rate: Vec::new(),
            p99_ms: Vec::new(),
            p50_ms: Vec::new(),
            p95_ms: Vec::new(),
        };
        for (i, b) in buckets.iter().enumerate() {
            series.t_s.push(i as f64 * interval_s);
            series.rps.push(b.arrivals as f64 / per_s);
            series.goodput_rps.push(b.good as f64 / per_s);
            series
                .error_rate
                .push(ratio(b.failed, b.succeeded + b.failed));
            series
                .p99_ms
                .push(b.latency_us.quantile(0.99).map(|us| us / 1e3));
            series
                .p50_ms
                .push(b.latency_us.quantile(0.5).map(|us| us / 1e3));
            series
                .p95_ms
                .push(b.latency_us.quantile(0.95).map(|us| us / 1e3));
        }
        series
    }
}

/// The whole result of a run, keys as in the contract, plus `cascades`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SimResult {
    /// Scenario name.
    pub scenario: String,
    /// Base seed.
    pub seed: u64,
    /// Replications pooled.
    pub replications: u32,
    /// Simulated seconds per replication, warm-up and drain included.
    pub simulated_s: f64,
    /// Wall-clock seconds the run took.
    pub wall_s: f64,
    /// Events processed (all replications).
    pub events: u64,
    /// Request counts over the whole run.
    pub requests: Requests,
    /// End-to-end latency of measured successes.
    pub latency_ms: LatencyMs,
    /// Measured successes per simulated second of the measured window.
    pub throughput_rps: f64,
    /// failed / (succeeded + failed) over measured requests.
    pub error_rate: f64,
    /// degraded / (succeeded + failed) over measured requests.
    pub degraded_rate: f64,
    /// Measured failures by reason.
    pub errors: BTreeMap<String, u64>,
    /// SLO attainment, only with an SLO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo: Option<SloResult>,
    /// Per class.
    pub classes: IndexMap<String, ClassResult>,
    /// Per component.
    pub components: IndexMap<String, ComponentResult>,
    /// Where the time of the requests around the median and at or above the p99 went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<crate::breakdown::BreakdownResult>,
    /// State changes, in time order: faults as the model records them, and the saturation
    /// and error-rate changes the analysis derives (see [`Cascade`]). The JSON has their
    /// `t_s`, `component`, `event` and `detail`.
    #[serde(serialize_with = "crate::timeline::public_keys")]
    pub timeline: Vec<TimelineEntry>,
    /// Incidents: each trigger (or load surge), what crossed a threshold, and how it ended.
    pub cascades: Vec<Cascade>,
    /// The time series.
    pub series: SeriesResult,
    /// Start of the measured window in seconds.
    pub warmup_s: f64,
    /// End of the measured window in seconds.
    pub duration_s: f64,
    /// 95% confidence intervals of the headline figures over replications (two or more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<crate::Ci95>,
    /// Cost of the architecture, only when some component has a `cost_per_hour`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    /// The alerts that fired, in order of firing (each with its replication); only when the
    /// model has alert rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<crate::alerts::FiredAlert>>,
    /// The links between regions that have a bandwidth, each direction once; only when the
    /// model has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_links: Option<Vec<RegionLinkResult>>,
}

/// One direction of a link between two regions, over the measured window (pooled over
/// replications).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RegionLinkResult {
    /// The region it leaves.
    pub from: String,
    /// The region it reaches.
    pub to: String,
    /// Its bandwidth in bytes per second.
    pub bandwidth_bytes_per_s: f64,
    /// Bytes sent per second.
    pub bytes_per_s: f64,
    /// Bytes sent over what the bandwidth could have carried.
    pub utilization: f64,
    /// Mean time a message waited for the link, in milliseconds (`null` without messages).
    pub wait_ms_mean: Option<f64>,
    /// Messages dropped at its full buffer.
    pub dropped: u64,
}

impl RegionLinkResult {
    fn of(l: &crate::recorder::RegionLinkStats) -> Self {
        let s = l.window_ns as f64 / 1e9;
        let per_s = if s > 0.0 { l.bytes as f64 / s } else { 0.0 };
        RegionLinkResult {
            from: l.from.clone(),
            to: l.to.clone(),
            bandwidth_bytes_per_s: l.bandwidth,
            bytes_per_s: per_s,
            utilization: if l.bandwidth > 0.0 {
                per_s / l.bandwidth
            } else {
                0.0
            },
            wait_ms_mean: (l.messages > 0).then(|| l.wait_ns as f64 / l.messages as f64 / 1e6),
            dropped: l.dropped,
        }
    }
}

/// What the architecture costs to run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Cost {
    /// Currency units per hour, all components.
    pub per_hour: f64,
    /// Currency units per million successful requests at the measured throughput (`null`
    /// without successes).
    pub per_million_requests: Option<f64>,
    /// Per hour, by component (components with a cost only).
    pub components: IndexMap<String, f64>,
}

/// A component's series for the result: every component gets `utilization` (with cores:
/// busy core time over cores x instances x the bucket's simulated time; for an autoscaled
/// service, over cores x its ready instance time in the bucket), `queue` (waiting requests per
/// instance, time-averaged over the bucket, per ready instance when autoscaled), `errors` and
/// `calls_per_s` (per second of the bucket width, like `rps`), `n` buckets each; then the
/// series figures the component declared, in the order declared, computed from the series
/// pooled over replications.
pub(crate) fn component_series(
    c: &crate::recorder::ComponentStats,
    interval_ns: u64,
    reps: f64,
    bucket_ns: &[u64],
    n: usize,
) -> Option<IndexMap<String, Vec<Option<f64>>>> {
    let mut out = IndexMap::new();
    let time = |b: usize| bucket_ns.get(b).copied().unwrap_or(0) as f64;
    // Instance time in bucket `b`: ready instances for an autoscaled service, else all.
    let inst_time = |b: usize| {
        if c.ready_series.is_empty() {
            time(b) * c.instances as f64
        } else {
            c.ready_series.get(b).copied().unwrap_or(0) as f64
        }
    };
    if let Some(cores) = c.cores {
        let u = (0..n)
            .map(|b| {
                let t = inst_time(b) * cores as f64;
                (t > 0.0).then(|| c.busy_series.get(b).copied().unwrap_or(0) as f64 / t)
            })
            .collect();
        out.insert("utilization".to_string(), u);
    }
    let q = (0..n)
        .map(|b| {
            let t = inst_time(b);
            (t > 0.0).then(|| c.queue_series.get(b).copied().unwrap_or(0) as f64 / t)
        })
        .collect();
    out.insert("queue".to_string(), q);
    let per_s = interval_ns as f64 / 1e9 * reps;
    let rate = |v: &[u64]| {
        (0..n)
            .map(|b| Some(v.get(b).copied().unwrap_or(0) as f64 / per_s))
            .collect()
    };
    out.insert("errors".to_string(), rate(&c.errors_series));
    out.insert("calls_per_s".to_string(), rate(&c.calls_series));
    debug_assert!(
        c.series
            .iter()
            .all(|(s, _)| c.figures.series().any(|f| f.inputs().contains(&s.as_str()))),
        "{}: a series no figure shows",
        c.name
    );
    for f in c.figures.series() {
        if let Some(v) = f.series_values(&c.series, reps, interval_ns as f64 / 1e9) {
            out.insert(f.name().to_string(), v);
        }
    }
    Some(out)
}

/// A component's own figures for the result: its counters in the order reported, then its
/// declared scalar figures computed from the pooled counters (`window_s`: the measured
/// seconds pooled over replications).
fn component_extra(
    c: &crate::recorder::ComponentStats,
    window_s: f64,
) -> IndexMap<String, serde_json::Value> {
    let mut extra: IndexMap<String, serde_json::Value> = c
        .counters
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::from(*v)))
        .collect();
    debug_assert!(
        c.inputs.iter().all(|(i, _)| c.counters.get(i).is_none()
            && c.figures.iter().any(|f| f.inputs().contains(&i.as_str()))),
        "{}: an input that is also a counter, or that no figure reads",
        c.name
    );
    let mut all = c.counters.clone();
    all.merge(&c.inputs);
    for f in c.figures.scalars() {
        debug_assert!(
            f.inputs().iter().all(|i| all.get(i).is_some()),
            "{}: figure `{}` reads a counter that was not reported",
            c.name,
            f.name()
        );
        debug_assert!(
            c.counters.get(f.name()).is_none(),
            "{}: figure `{}` has the name of a counter",
            c.name,
            f.name()
        );
        if let Some(v) = f.value(&all, window_s) {
            extra.insert(f.name().to_string(), serde_json::json!(v));
        }
    }
    extra
}

/// The figure a component shows in the summary's utilization column when it has no
/// utilization: its first scalar figure with a summary label, and its value.
fn summary_figure(
    c: &crate::recorder::ComponentStats,
    extra: &IndexMap<String, serde_json::Value>,
) -> Option<(String, Option<f64>)> {
    let f = c
        .figures
        .scalars()
        .into_iter()
        .find(|f| f.summary_label().is_some())?;
    let label = f.summary_label()?.to_string();
    Some((label, extra.get(f.name()).and_then(|v| v.as_f64())))
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn class_result(o: &Outcomes, window_s: f64) -> ClassResult {
    ClassResult {
        latency_ms: LatencyMs::of(&o.latency),
        throughput_rps: if window_s > 0.0 {
            o.succeeded as f64 / window_s
        } else {
            0.0
        },
        error_rate: ratio(o.failed, o.succeeded + o.failed),
        succeeded: o.succeeded,
        failed: o.failed,
    }
}

/// Runs the incident analysis over the pooled series and merges its timeline entries with the
/// model's, in time order (stable: entries at one time keep their order, the model's first).
fn analyze_incidents(
    stats: &RunStats,
    components: &IndexMap<String, ComponentResult>,
) -> (Vec<TimelineEntry>, Vec<Cascade>) {
    let empty: Vec<Option<f64>> = Vec::new();
    let comps = stats
        .components
        .iter()
        .map(|c| {
            let series = components.get(&c.name).and_then(|r| r.series.as_ref());
            let get = |k: &str| series.and_then(|s| s.get(k)).map(|v| v.as_slice());
            CompSeries {
                name: &c.name,
                utilization: get("utilization"),
                queue: get("queue").unwrap_or(&empty),
                errors: &c.errors_series,
                calls: &c.calls_series,
            }
        })
        .collect();
    let input = Input {
        interval_s: stats.interval_ns as f64 / 1e9,
        warmup_s: stats.window.warmup_ns as f64 / 1e9,
        end_s: stats.window.end_ns as f64 / 1e9,
        succeeded: stats.series.iter().map(|b| b.succeeded).collect(),
        failed: stats.series.iter().map(|b| b.failed).collect(),
        components: comps,
        timeline: &stats.timeline,
    };
    let (derived, cascades) = analyze(&input);
    let mut timeline = stats.timeline.clone();
    timeline.extend(derived);
    timeline.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    (timeline, cascades)
}

impl SimResult {
    /// Builds the result from pooled stats. Fails if the accounting does not add up.
    pub fn build(
        scenario: &str,
        seed: u64,
        stats: &RunStats,
        slo: Option<SloSpec>,
        wall_s: f64,
    ) -> Result<SimResult, ResultError> {
        if !stats.accounting_holds() {
            return Err(ResultError::Accounting {
                generated: stats.generated,
                accounted: stats.succeeded + stats.failed + stats.in_flight,
            });
        }
        let reps = stats.replications.max(1) as f64;
        // The measured window pooled over replications.
        let window_s = stats.window.len_ns() as f64 / 1e9 * reps;
        let o = &stats.overall;
        let mut errors = BTreeMap::new();
        for (i, n) in o.errors.iter().enumerate() {
            if *n > 0 {
                errors.insert(stats.reasons[i].clone(), *n);
            }
        }
        let slo = slo.map(|s| {
            let attained = ratio(o.good, o.succeeded + o.failed);
            SloResult {
                latency_ms: s.latency_ms,
                target: s.target,
                attained,
                met: attained >= s.target,
            }
        });
        let classes = stats
            .class_names
            .iter()
            .zip(&stats.classes)
            .map(|(n, c)| (n.clone(), class_result(c, window_s)))
            .collect();
        let components = stats
            .components
            .iter()
            .map(|c| {
                let extra = component_extra(c, window_s);
                // A component whose instance count changes: utilization and mean queue over
                // its ready instances.
                let ready_ms = c.ready_instance_ms;
                let times = crate::breakdown::component_times(&c.times, &stats.class_names);
                let (latency_ms, time_ms, latency_ms_by_class) = match times {
                    Some((l, t, by_class)) => (Some(l), Some(t), by_class),
                    None => (None, None, None),
                };
                (
                    c.name.clone(),
                    ComponentResult {
                        kind: c.kind.clone(),
                        instances: c.instances,
                        cores: c.cores,
                        utilization: ready_ms.map_or(c.utilization(), |ms| {
                            let denom = c.cores? as f64 * ms as f64 * 1e6;
                            (denom > 0.0).then(|| c.busy_area as f64 / denom)
                        }),
                        worker_utilization: c.workers.and_then(|w| {
                            let area: u128 = c.per_instance_workers.iter().sum();
                            let denom = match ready_ms {
                                Some(ms) => w as f64 * ms as f64 * 1e6,
                                None => w as f64 * c.instances as f64 * c.window_ns as f64,
                            };
                            (denom > 0.0 && !c.per_instance_workers.is_empty())
                                .then(|| area as f64 / denom)
                        }),
                        mean_queue: ready_ms.map_or(c.mean_queue(), |ms| {
                            if ms > 0 {
                                c.queue_area as f64 / (ms as f64 * 1e6)
                            } else {
                                0.0
                            }
                        }),
                        max_queue: c.max_queue,
                        served: c.served,
                        rejected: c.rejected,
                        latency_ms,
                        time_ms,
                        latency_ms_by_class,
                        summary_figure: summary_figure(c, &extra),
                        charts: c
                            .figures
                            .series()
                            .filter_map(|f| Some((f.name().to_string(), f.chart()?.clone())))
                            .collect(),
                        extra,
                        series: component_series(
                            c,
                            stats.interval_ns,
                            reps,
                            &stats.bucket_ns,
                            stats.series.len(),
                        ),
                        per_instance: per_instance(c),
                    },
                )
            })
            .collect();
        let series = SeriesResult::of(&stats.series, stats.interval_ns, reps);
        let (timeline, mut cascades) = analyze_incidents(stats, &components);
        if let Some(alerts) = &stats.alerts {
            let run_end_s = stats.simulated_ns as f64 / 1e9 / reps;
            crate::detect::detect(&mut cascades, alerts, run_end_s, stats.replications);
        }
        Ok(SimResult {
            scenario: scenario.to_string(),
            seed,
            replications: stats.replications,
            simulated_s: stats.simulated_ns as f64 / 1e9 / reps,
            wall_s,
            events: stats.events,
            requests: Requests {
                generated: stats.generated,
                succeeded: stats.succeeded,
                failed: stats.failed,
                in_flight: stats.in_flight,
                degraded: stats.degraded,
            },
            latency_ms: LatencyMs::of(&o.latency),
            throughput_rps: if window_s > 0.0 {
                o.succeeded as f64 / window_s
            } else {
                0.0
            },
            error_rate: ratio(o.failed, o.succeeded + o.failed),
            degraded_rate: ratio(o.degraded, o.succeeded + o.failed),
            errors,
            slo,
            classes,
            breakdown: crate::breakdown::breakdown_result(
                &stats.breakdown,
                &o.latency,
                &stats
                    .components
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>(),
            ),
            components,
            timeline,
            cascades,
            series,
            warmup_s: stats.window.warmup_ns as f64 / 1e9,
            duration_s: stats.window.end_ns as f64 / 1e9,
            ci95: None,
            cost: None,
            alerts: stats.alerts.as_ref().map(|a| {
                let mut a = a.clone();
                a.sort_by(|x, y| {
                    (x.fired_at_s.total_cmp(&y.fired_at_s)).then(x.replication.cmp(&y.replication))
                });
                a
            }),
            region_links: (!stats.region_links.is_empty()).then(|| {
                stats
                    .region_links
                    .iter()
                    .map(RegionLinkResult::of)
                    .collect()
            }),
        })
    }

    /// The result as pretty JSON.
    pub fn to_json(&self) -> Result<String, ResultError> {
        serde_json::to_string_pretty(self).map_err(ResultError::Json)
    }
}
