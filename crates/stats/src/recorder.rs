//! What a run collects while it runs.

use crate::figure::{Counters, Figures, SeriesSet};
pub use crate::hist::Hist;
use crate::loghist::LogHist;
pub use crate::time_average::TimeAverage;
use crate::timeline::{Event, TimelineEntry};

/// The measured window: requests that arrive in `[warmup_ns, end_ns)` count in every latency
/// and rate figure; time-weighted averages are taken over the same interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// Start of the measured window (the warm-up's end), in nanoseconds.
    pub warmup_ns: u64,
    /// End of the measured window (the run's duration), in nanoseconds.
    pub end_ns: u64,
}

impl Window {
    /// Whether a request that arrived at `t_ns` is measured.
    #[inline]
    pub fn contains(&self, t_ns: u64) -> bool {
        t_ns >= self.warmup_ns && t_ns < self.end_ns
    }
    /// Length of the window in nanoseconds.
    pub fn len_ns(&self) -> u64 {
        self.end_ns - self.warmup_ns
    }
}

/// Counters of outcomes over measured requests.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Outcomes {
    /// Succeeded requests.
    pub succeeded: u64,
    /// Failed requests.
    pub failed: u64,
    /// Succeeded within the SLO latency (equal to `succeeded` without an SLO).
    pub good: u64,
    /// End-to-end latency of succeeded requests.
    pub latency: Hist,
    /// Failures by reason index (see [`Recorder::reasons`]).
    pub errors: Vec<u64>,
    /// Succeeded requests answered in part by a fallback (counted in `succeeded`, never good).
    pub degraded: u64,
}

impl Outcomes {
    fn merge(&mut self, o: &Outcomes) {
        self.succeeded += o.succeeded;
        self.failed += o.failed;
        self.good += o.good;
        self.degraded += o.degraded;
        self.latency.merge(&o.latency);
        if self.errors.len() < o.errors.len() {
            self.errors.resize(o.errors.len(), 0);
        }
        for (a, b) in self.errors.iter_mut().zip(&o.errors) {
            *a += b;
        }
    }
}

/// One interval of the time series. Arrivals are bucketed by arrival time, outcomes by
/// completion time (what a dashboard would show).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SeriesBucket {
    /// First attempts that arrived in the interval.
    pub arrivals: u64,
    /// Requests that succeeded in the interval.
    pub succeeded: u64,
    /// Requests that failed in the interval.
    pub failed: u64,
    /// Successes within the SLO latency.
    pub good: u64,
    /// Latency of the successes in microseconds (3% buckets).
    pub latency_us: LogHist,
}

impl SeriesBucket {
    fn merge(&mut self, o: &SeriesBucket) {
        self.arrivals += o.arrivals;
        self.succeeded += o.succeeded;
        self.failed += o.failed;
        self.good += o.good;
        self.latency_us.merge(&o.latency_us);
    }
}

/// The figures of one component over one run (or several merged).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ComponentStats {
    /// The component's name.
    pub name: String,
    /// Its kind (`service`, `load_balancer`, ...).
    pub kind: String,
    /// Instances.
    pub instances: u32,
    /// CPU servers per instance; `None` = unlimited.
    pub cores: Option<u32>,
    /// Integral of busy cores over the measured window, summed over instances (core x ns).
    pub busy_area: u128,
    /// Integral of waiting requests over the measured window, summed over instances.
    pub queue_area: u128,
    /// Largest number of requests waiting at one instance.
    pub max_queue: u64,
    /// Requests served (answered, successfully or not, after admission) in the whole run.
    pub served: u64,
    /// Requests rejected because the waiting room was full.
    pub rejected: u64,
    /// Total measured-window length in ns (adds up over replications).
    pub window_ns: u128,
    /// Kind-specific counters, shown in the result in this order; added on merge.
    pub counters: Counters,
    /// Counters that only feed figures (a total whose mean is shown): never shown
    /// themselves; added on merge.
    pub inputs: Counters,
    /// The figures derived from the counters and series (ratios, means, rates; the series
    /// the result shows), computed after pooling.
    pub figures: Figures,
    /// Ready instance time over the measured window (instance x ms) of a component whose
    /// instance count changes (autoscaled): utilization, worker utilization and mean queue
    /// are then per ready instance. `None` for a fixed instance count.
    pub ready_instance_ms: Option<u64>,
    /// Calls answered by each instance.
    pub per_instance_served: Vec<u64>,
    /// Busy core time of each instance over the measured window (core x ns).
    pub per_instance_busy: Vec<u128>,
    /// Workers per instance (the concurrency limit); `None` = unlimited.
    pub workers: Option<u32>,
    /// Busy worker time of each instance over the measured window (worker x ns; empty
    /// without a worker limit).
    pub per_instance_workers: Vec<u128>,
    /// Kind-specific time series, one value per series bucket, added on merge; shown
    /// through [`ComponentStats::figures`].
    pub series: SeriesSet,
    /// Per series bucket: busy core time summed over instances (core x ns).
    pub busy_series: Vec<u128>,
    /// Per series bucket: waiting requests summed over instances (request x ns).
    pub queue_series: Vec<u128>,
    /// Per series bucket: ready instance time (instance x ns) of an autoscaled service, the
    /// denominator of its utilization and queue series; empty for a fixed instance count.
    pub ready_series: Vec<u128>,
    /// Per series bucket: calls that reached the component.
    pub calls_series: Vec<u64>,
    /// Per series bucket: calls that failed at the component itself (rejected, unavailable,
    /// rate limited, failed by a custom kind), not those failed by a downstream answer.
    pub errors_series: Vec<u64>,
    /// Response time of its calls that arrived in the measured window, and their phases.
    #[serde(default)]
    pub times: crate::breakdown::CallTimes,
    /// The memory of each instance (a memory model and a fixed instance count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_instance_memory: Option<Box<crate::instances::MemoryPerInstance>>,
    /// Each instance's levels per series bucket, when the run asked for them
    /// (`Spec::instance_series`) and the component has 2 to
    /// [`crate::instances::INSTANCE_SERIES_MAX`] instances and a fixed count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_series: Option<Box<crate::instances::InstanceSeries>>,
}

/// Adds `b` into `a` element by element, growing `a` (exact: integers).
fn add_series<T: Copy + Default + std::ops::AddAssign>(a: &mut Vec<T>, b: &[T]) {
    if a.len() < b.len() {
        a.resize(b.len(), T::default());
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x += *y;
    }
}

impl ComponentStats {
    fn merge(&mut self, o: &ComponentStats) {
        self.busy_area += o.busy_area;
        self.queue_area += o.queue_area;
        self.max_queue = self.max_queue.max(o.max_queue);
        self.served += o.served;
        self.rejected += o.rejected;
        self.window_ns += o.window_ns;
        for (a, b) in self
            .per_instance_served
            .iter_mut()
            .zip(&o.per_instance_served)
        {
            *a += b;
        }
        for (a, b) in self.per_instance_busy.iter_mut().zip(&o.per_instance_busy) {
            *a += b;
        }
        for (a, b) in self
            .per_instance_workers
            .iter_mut()
            .zip(&o.per_instance_workers)
        {
            *a += b;
        }
        add_series(&mut self.busy_series, &o.busy_series);
        add_series(&mut self.queue_series, &o.queue_series);
        add_series(&mut self.ready_series, &o.ready_series);
        add_series(&mut self.calls_series, &o.calls_series);
        add_series(&mut self.errors_series, &o.errors_series);
        self.times.merge(&o.times);
        match (&mut self.per_instance_memory, &o.per_instance_memory) {
            (Some(a), Some(b)) => a.merge(b),
            (a @ None, Some(b)) => *a = Some(b.clone()),
            _ => {}
        }
        match (&mut self.instance_series, &o.instance_series) {
            (Some(a), Some(b)) => a.merge(b),
            (a @ None, Some(b)) => *a = Some(b.clone()),
            _ => {}
        }
        self.series.merge(&o.series);
        self.counters.merge(&o.counters);
        self.inputs.merge(&o.inputs);
        self.figures.merge(&o.figures);
        self.ready_instance_ms = match (self.ready_instance_ms, o.ready_instance_ms) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }
    /// Busy core time / (cores x instances x window); `None` where cores are unlimited.
    pub fn utilization(&self) -> Option<f64> {
        let cores = self.cores?;
        let denom = cores as f64 * self.instances as f64 * self.window_ns as f64;
        (denom > 0.0).then(|| self.busy_area as f64 / denom)
    }
    /// Mean number of requests waiting per instance over the measured window.
    pub fn mean_queue(&self) -> f64 {
        let denom = self.instances as f64 * self.window_ns as f64;
        if denom > 0.0 {
            self.queue_area as f64 / denom
        } else {
            0.0
        }
    }
}

/// Collects outcomes while a run goes.
#[derive(Clone, Debug)]
pub struct Recorder {
    window: Window,
    slo_ns: Option<u64>,
    interval_ns: u64,
    reasons: Vec<String>,
    class_names: Vec<String>,
    /// Requests generated (first attempts) over the whole run.
    pub generated: u64,
    /// Requests succeeded over the whole run.
    pub succeeded: u64,
    /// Requests failed over the whole run.
    pub failed: u64,
    /// Requests succeeded degraded (by a fallback) over the whole run; part of `succeeded`.
    pub degraded: u64,
    overall: Outcomes,
    classes: Vec<Outcomes>,
    series: Vec<SeriesBucket>,
    /// Per class, its own series (empty with one class: the overall series is the class's).
    class_series: Vec<Vec<SeriesBucket>>,
    timeline: Vec<TimelineEntry>,
    /// The series bucket used last: (start, end, index).
    cur: (u64, u64, usize),
}

impl Recorder {
    /// A recorder for a run measured over `window`, with an optional SLO latency, a series
    /// bucket width, error reason names, class names and the time span the series covers.
    pub fn new(
        window: Window,
        slo_ns: Option<u64>,
        interval_ns: u64,
        reasons: Vec<String>,
        class_names: Vec<String>,
        series_span_ns: u64,
    ) -> Self {
        let interval_ns = interval_ns.max(1);
        let buckets = series_span_ns.div_ceil(interval_ns).max(1) as usize;
        let n_reasons = reasons.len();
        let outcomes = || Outcomes {
            errors: vec![0; n_reasons],
            ..Outcomes::default()
        };
        // Per-class series only when there are several classes: a one-class run pays nothing.
        let class_series = if class_names.len() > 1 {
            vec![vec![SeriesBucket::default(); buckets]; class_names.len()]
        } else {
            Vec::new()
        };
        Self {
            window,
            slo_ns,
            interval_ns,
            reasons,
            class_series,
            classes: class_names.iter().map(|_| outcomes()).collect(),
            class_names,
            generated: 0,
            succeeded: 0,
            failed: 0,
            degraded: 0,
            overall: outcomes(),
            series: vec![SeriesBucket::default(); buckets],
            timeline: Vec::new(),
            cur: (1, 0, 0),
        }
    }

    /// The error reason names, by index.
    pub fn reasons(&self) -> &[String] {
        &self.reasons
    }

    /// The index of error reason `name`, adding it if new.
    pub fn reason(&mut self, name: &str) -> usize {
        if let Some(i) = self.reasons.iter().position(|r| r == name) {
            return i;
        }
        self.reasons.push(name.to_string());
        let n = self.reasons.len();
        self.overall.errors.resize(n, 0);
        for c in &mut self.classes {
            c.errors.resize(n, 0);
        }
        n - 1
    }

    /// The measured window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The index of the series bucket holding `t_ns` (the last bucket holds everything
    /// after it): below [`Recorder::series_len`]. Cheap for times nearly in order.
    #[inline]
    pub fn bucket_index(&mut self, t_ns: u64) -> usize {
        // Times arrive nearly in order: remember the last bucket and skip the division.
        let (start, end, i) = self.cur;
        if t_ns >= start && t_ns < end {
            return i;
        }
        let i = ((t_ns / self.interval_ns) as usize).min(self.series.len() - 1);
        let start = i as u64 * self.interval_ns;
        let end = if i + 1 == self.series.len() {
            u64::MAX
        } else {
            start + self.interval_ns
        };
        self.cur = (start, end, i);
        i
    }

    /// Number of series buckets the run may fill.
    pub fn series_len(&self) -> usize {
        self.series.len()
    }

    /// A request (first attempt) of class `class` is generated at `t_ns`.
    #[inline(always)]
    pub fn arrival(&mut self, class: usize, t_ns: u64) {
        self.generated += 1;
        let i = self.bucket_index(t_ns);
        self.series[i].arrivals += 1;
        // Out of line: a one-class run only pays this test.
        if !self.class_series.is_empty() {
            self.class_arrival(class, i);
        }
    }

    /// The class's own series bucket `i` counts an arrival (several classes only).
    #[inline(never)]
    fn class_arrival(&mut self, class: usize, i: usize) {
        self.class_series[class][i].arrivals += 1;
    }

    /// The class's own series bucket `i` and, for a `measured` request, its figures count a
    /// failure for reason index `reason` (several classes only).
    #[inline(never)]
    fn class_failure(&mut self, class: usize, i: usize, reason: usize, measured: bool) {
        self.class_series[class][i].failed += 1;
        if measured {
            self.classes[class].failed += 1;
            self.classes[class].errors[reason] += 1;
        }
    }

    /// A request of class `class` that arrived at `arrival_ns` succeeded at `now_ns`.
    #[inline]
    pub fn success(&mut self, class: usize, arrival_ns: u64, now_ns: u64) {
        self.success_as(class, arrival_ns, now_ns, false);
    }

    /// A request succeeded *degraded*: a fallback answered for a failed call on its way. It
    /// counts in `succeeded` (the accounting stays whole) and in `degraded`, and is never good.
    pub fn success_degraded(&mut self, class: usize, arrival_ns: u64, now_ns: u64) {
        self.success_as(class, arrival_ns, now_ns, true);
    }

    #[inline]
    fn success_as(&mut self, class: usize, arrival_ns: u64, now_ns: u64, degraded: bool) {
        self.succeeded += 1;
        self.degraded += degraded as u64;
        let lat = now_ns - arrival_ns;
        let good = !degraded && self.slo_ns.is_none_or(|s| lat <= s);
        let i = self.bucket_index(now_ns);
        let measured = self.window.contains(arrival_ns);
        // With one class its figures and series are the overall ones (copied in `finish`):
        // a one-class run only pays this test (first, so `class` need not outlive it).
        if !self.class_series.is_empty() {
            self.class_success(class, i, lat, (good, degraded, measured));
        }
        let b = &mut self.series[i];
        b.succeeded += 1;
        b.good += good as u64;
        b.latency_us.record(lat / 1_000);
        if measured {
            let o = &mut self.overall;
            o.succeeded += 1;
            o.good += good as u64;
            o.degraded += degraded as u64;
            o.latency.record(lat);
        }
    }

    /// The class's own series bucket `i` and, for a `measured` request, its figures count a
    /// success (several classes only).
    #[inline(never)]
    fn class_success(
        &mut self,
        class: usize,
        i: usize,
        lat: u64,
        (good, degraded, measured): (bool, bool, bool),
    ) {
        let b = &mut self.class_series[class][i];
        b.succeeded += 1;
        b.good += good as u64;
        b.latency_us.record(lat / 1_000);
        if measured {
            let o = &mut self.classes[class];
            o.succeeded += 1;
            o.good += good as u64;
            o.degraded += degraded as u64;
            o.latency.record(lat);
        }
    }

    /// A request of class `class` that arrived at `arrival_ns` failed at `now_ns` for
    /// reason index `reason`.
    #[inline]
    pub fn failure(&mut self, class: usize, reason: usize, arrival_ns: u64, now_ns: u64) {
        self.failed += 1;
        let i = self.bucket_index(now_ns);
        self.series[i].failed += 1;
        let measured = self.window.contains(arrival_ns);
        if !self.class_series.is_empty() {
            self.class_failure(class, i, reason, measured);
        }
        if measured {
            self.overall.failed += 1;
            self.overall.errors[reason] += 1;
        }
    }

    /// Adds a state change to the timeline: `event` at `t_ns` on `component` (a
    /// component, an instance label `app[2]`, a region, `traffic`).
    pub fn timeline(&mut self, t_ns: u64, component: &str, event: &Event, detail: String) {
        self.timeline.push(TimelineEntry::new(
            t_ns as f64 / 1e9,
            component,
            event,
            detail,
        ));
    }

    /// Closes the run: `in_flight` requests had no outcome at `end_ns`.
    pub fn finish(
        mut self,
        in_flight: u64,
        end_ns: u64,
        events: u64,
        components: Vec<ComponentStats>,
    ) -> RunStats {
        // The series covers the run as it happened, not the longest drain it could have had.
        let buckets = (end_ns / self.interval_ns + 1) as usize;
        self.series.truncate(buckets.max(1));
        for c in &mut self.class_series {
            c.truncate(buckets.max(1));
        }
        let bucket_ns = (0..self.series.len() as u64)
            .map(|i| {
                end_ns
                    .saturating_sub(i * self.interval_ns)
                    .min(self.interval_ns)
            })
            .collect();
        if self.classes.len() == 1 {
            self.classes[0] = self.overall.clone();
        }
        debug_assert_eq!(
            self.generated,
            self.succeeded + self.failed + in_flight,
            "request accounting does not add up"
        );
        RunStats {
            window: self.window,
            interval_ns: self.interval_ns,
            reasons: self.reasons,
            class_names: self.class_names,
            generated: self.generated,
            succeeded: self.succeeded,
            failed: self.failed,
            degraded: self.degraded,
            in_flight,
            overall: self.overall,
            classes: self.classes,
            series: self.series,
            class_series: self.class_series,
            bucket_ns,
            timeline: self.timeline,
            alerts: None,
            region_links: Vec::new(),
            components,
            events,
            simulated_ns: end_ns as u128,
            replications: 1,
            breakdown: crate::breakdown::Breakdown::default(),
        }
    }
}

/// Everything one replication (or several, merged) produced.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RunStats {
    /// The measured window of one replication.
    pub window: Window,
    /// Series bucket width.
    pub interval_ns: u64,
    /// Error reason names by index.
    pub reasons: Vec<String>,
    /// Class names by index.
    pub class_names: Vec<String>,
    /// Requests generated over the whole run.
    pub generated: u64,
    /// Requests succeeded over the whole run.
    pub succeeded: u64,
    /// Requests failed over the whole run.
    pub failed: u64,
    /// Requests succeeded degraded over the whole run (part of `succeeded`).
    pub degraded: u64,
    /// Requests without an outcome when the run ended.
    pub in_flight: u64,
    /// Measured outcomes over all classes.
    pub overall: Outcomes,
    /// Measured outcomes per class.
    pub classes: Vec<Outcomes>,
    /// The time series.
    pub series: Vec<SeriesBucket>,
    /// Per class, its own time series, when there are several classes (empty with one: the
    /// overall series is then the class's).
    #[serde(default)]
    pub class_series: Vec<Vec<SeriesBucket>>,
    /// Simulated time in each series bucket (the last one may be partial), summed over
    /// replications.
    pub bucket_ns: Vec<u64>,
    /// State changes; with replications, each entry's detail names its replication.
    pub timeline: Vec<TimelineEntry>,
    /// Per-component figures.
    pub components: Vec<ComponentStats>,
    /// Events processed.
    pub events: u64,
    /// Simulated nanoseconds (summed over replications).
    pub simulated_ns: u128,
    /// How many replications are pooled here.
    pub replications: u32,
    /// Measured successes' latency by component and phase, binned by latency.
    #[serde(default)]
    pub breakdown: crate::breakdown::Breakdown,
    /// The alerts that fired, each with its replication; `None` when the model has no
    /// alert rules (see [`crate::alerts`]).
    #[serde(default)]
    pub alerts: Option<Vec<crate::alerts::FiredAlert>>,
    /// The links between regions that have a bandwidth, each direction once (empty
    /// without).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub region_links: Vec<RegionLinkStats>,
}

/// What one direction of a link between two regions carried in the measured window.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegionLinkStats {
    /// The region it leaves.
    pub from: String,
    /// The region it reaches.
    pub to: String,
    /// Its bandwidth, in bytes per second.
    pub bandwidth: f64,
    /// Bytes whose transmission started in the window.
    pub bytes: u64,
    /// Messages that started in the window, and the nanoseconds they waited for the link.
    pub messages: u64,
    /// Nanoseconds those messages waited.
    pub wait_ns: u64,
    /// Messages dropped at its full buffer (whole run).
    pub dropped: u64,
    /// The measured window, summed over replications.
    pub window_ns: u128,
}

impl RegionLinkStats {
    fn merge(&mut self, o: &RegionLinkStats) {
        self.bytes += o.bytes;
        self.messages += o.messages;
        self.wait_ns += o.wait_ns;
        self.dropped += o.dropped;
        self.window_ns += o.window_ns;
    }
}

impl RunStats {
    /// Pools another replication into this one (exact: histograms and counters add).
    /// Merging in replication order keeps the result independent of thread count.
    pub fn merge(&mut self, o: &RunStats) {
        self.generated += o.generated;
        self.succeeded += o.succeeded;
        self.failed += o.failed;
        self.degraded += o.degraded;
        self.in_flight += o.in_flight;
        self.overall.merge(&o.overall);
        for (a, b) in self.classes.iter_mut().zip(&o.classes) {
            a.merge(b);
        }
        if self.series.len() < o.series.len() {
            self.series.resize(o.series.len(), SeriesBucket::default());
        }
        for (a, b) in self.series.iter_mut().zip(&o.series) {
            a.merge(b);
        }
        if self.class_series.len() < o.class_series.len() {
            self.class_series.resize(o.class_series.len(), Vec::new());
        }
        for (a, b) in self.class_series.iter_mut().zip(&o.class_series) {
            if a.len() < b.len() {
                a.resize(b.len(), SeriesBucket::default());
            }
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        if let Some(theirs) = &o.alerts {
            let mine = self.alerts.get_or_insert_with(Vec::new);
            for a in theirs {
                let mut a = a.clone();
                a.replication += self.replications;
                mine.push(a);
            }
        }
        add_series(&mut self.bucket_ns, &o.bucket_ns);
        for e in &o.timeline {
            let mut e = e.clone();
            e.detail = format!("{} (replication {})", e.detail, self.replications + 1);
            self.timeline.push(e);
        }
        for (a, b) in self.components.iter_mut().zip(&o.components) {
            a.merge(b);
        }
        self.breakdown.merge(&o.breakdown);
        if self.region_links.is_empty() {
            self.region_links = o.region_links.clone();
        } else {
            for (a, b) in self.region_links.iter_mut().zip(&o.region_links) {
                a.merge(b);
            }
        }
        self.events += o.events;
        self.simulated_ns += o.simulated_ns;
        self.replications += o.replications;
    }

    /// `generated = succeeded + failed + in_flight`.
    pub fn accounting_holds(&self) -> bool {
        self.generated == self.succeeded + self.failed + self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_average_clips_to_window() {
        let w = Window {
            warmup_ns: 10,
            end_ns: 20,
        };
        let mut a = TimeAverage::new(w);
        a.set(5, 4); // level 4 from t=5
        a.set(15, 2); // level 2 from t=15
        a.finish(30);
        // [10,15) at 4 + [15,20) at 2 = 20 + 10
        assert_eq!(a.area, 30);
        assert_eq!(a.max, 4);
    }

    #[test]
    fn time_average_splits_its_integral_over_buckets() {
        let w = Window {
            warmup_ns: 0,
            end_ns: 100,
        };
        let mut a = TimeAverage::with_series(w, 10);
        a.set(5, 4); // 4 from t=5
        a.set(7, 4);
        a.set(34, 1); // 1 from t=34
        a.finish(41);
        let b: Vec<u128> = a.bucket_areas().collect();
        assert_eq!(b, [20, 40, 40, 16 + 6, 1]);
        assert_eq!(b.iter().sum::<u128>(), a.area);
        let plain = TimeAverage::new(w);
        assert_eq!(plain.bucket_areas().count(), 0);
    }

    /// The level as a step function, integrated the slow way: per unit of time.
    fn reference(
        w: Window,
        interval: u64,
        changes: &[(u64, u64)],
        end: u64,
    ) -> (u128, u64, Vec<u128>) {
        let (mut area, mut max) = (0u128, 0u64);
        // Up to the bucket holding `end` (partial, possibly empty).
        let mut buckets = vec![0u128; (end / interval + 1) as usize];
        let level_at = |t: u64| {
            changes
                .iter()
                .take_while(|c| c.0 <= t)
                .last()
                .map_or(0, |c| c.1)
        };
        for t in 0..end {
            let v = level_at(t);
            if t >= w.warmup_ns && t < w.end_ns {
                area += v as u128;
                max = max.max(v);
            }
            buckets[(t / interval) as usize] += v as u128;
        }
        // A level set (and changed again at the same instant) in the window still counts;
        // so does the level at `finish`, which sets it once more.
        let last = changes.last().map_or(0, |c| c.1);
        for &(t, v) in changes.iter().chain(std::iter::once(&(end, last))) {
            if t >= w.warmup_ns && t < w.end_ns {
                max = max.max(v);
            }
        }
        (area, max, buckets)
    }

    proptest::proptest! {
        #[test]
        fn time_average_matches_a_unit_step_reference(
            warmup in 0u64..60,
            // The window may end before the warm-up (then it measures nothing).
            len in -20i64..80,
            // Up to longer than the whole run.
            interval in proptest::prop_oneof![1u64..25, 25u64..400],
            steps in proptest::collection::vec((0u64..6, 0u64..9), 0..40),
            tail in 1u64..30,
        ) {
            let w = Window { warmup_ns: warmup, end_ns: (warmup as i64 + len).max(0) as u64 };
            let mut t = 0;
            let mut changes = Vec::new();
            for (dt, v) in steps {
                t += dt;
                changes.push((t, v));
            }
            let end = t + tail;
            let mut a = TimeAverage::with_series(w, interval);
            for &(t, v) in &changes {
                a.set(t, v);
            }
            a.finish(end);
            let (area, max, buckets) = reference(w, interval, &changes, end);
            proptest::prop_assert_eq!(a.area, area);
            proptest::prop_assert_eq!(a.max, max);
            let got: Vec<u128> = a.bucket_areas().collect();
            proptest::prop_assert_eq!(got, buckets);
        }
    }

    #[test]
    fn hist_quantiles_are_close() {
        let mut h = Hist::new();
        for v in 1..=100_000u64 {
            h.record(v * 1_000);
        }
        let p99 = h.quantile_ms(0.99).unwrap();
        assert!((p99 - 99.0).abs() / 99.0 < 0.001, "{p99}");
        assert!((h.mean_ms().unwrap() - 50.0005).abs() < 1e-6);
    }
}
