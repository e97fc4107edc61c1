//! The end of a run: counts what is still live and turns the world's state into `RunStats` (per-component figures and counters).

use super::*;

/// Live instances per series bucket (the fewest during the bucket) from change points.
pub(in crate::world) fn live_series(
    changes: &[(u64, u32)],
    interval_ns: u64,
    end_ns: u64,
) -> Vec<f64> {
    let n = (end_ns / interval_ns + 1) as usize;
    let mut out = Vec::with_capacity(n);
    let mut k = 0;
    let mut live = changes.first().map_or(0, |c| c.1);
    for b in 0..n as u64 {
        let (start, end) = (b * interval_ns, (b + 1) * interval_ns);
        // The value in force at the bucket's start, then every change inside it.
        while k < changes.len() && changes[k].0 <= start {
            live = changes[k].1;
            k += 1;
        }
        let mut low = live;
        while k < changes.len() && changes[k].0 < end {
            live = changes[k].1;
            low = low.min(live);
            k += 1;
        }
        out.push(low as f64);
    }
    out
}

/// A level's integral over each of the run's `buckets` series buckets (level x ns).
pub(in crate::world) fn bucket_areas(level: &TimeAverage, buckets: usize) -> Vec<u128> {
    let mut v: Vec<u128> = level.bucket_areas().take(buckets).collect();
    v.resize(buckets, 0);
    v
}

/// What a kind's report may read about the run.
pub(in crate::world) struct ReportCx {
    /// Series buckets of the run as it happened.
    pub(in crate::world) buckets: usize,
    /// Faults can take the component's instances down.
    pub(in crate::world) can_go_down: bool,
    /// The run's end (ns) and its series bucket width (ns).
    pub(in crate::world) end_ns: u64,
    pub(in crate::world) interval_ns: u64,
}

impl World {
    /// Requests still without an outcome.
    pub fn live_requests(&self) -> u64 {
        self.live
    }
    /// Closes the run at `end` and returns its statistics.
    pub fn finish(mut self, end: SimTime, events: u64) -> RunStats {
        let end_ns = end.as_nanos();
        if let Some(t) = &mut self.tracer {
            t.finish();
        }
        // The series buckets of the run as it happened (as the recorder cuts its own).
        let buckets = (end_ns / self.interval_ns + 1) as usize;
        let mut comps = Vec::with_capacity(self.comps.len());
        for (ci, c) in self.comps.iter_mut().enumerate() {
            let mut s = ComponentStats {
                times: std::mem::take(&mut self.time.comps[ci]),
                name: c.name.clone(),
                kind: c.kind.clone(),
                instances: c.insts.len() as u32,
                cores: None,
                busy_area: 0,
                queue_area: 0,
                max_queue: 0,
                served: c.served,
                rejected: c.rejected,
                window_ns: self.rec.window().len_ns() as u128,
                per_instance_served: Vec::new(),
                per_instance_busy: Vec::new(),
                workers: None,
                per_instance_workers: Vec::new(),
                series: SeriesSet::default(),
                counters: Counters::from(vec![("unavailable".to_string(), c.unavailable)]),
                inputs: Counters::new(),
                figures: Figures::default(),
                ready_instance_ms: None,
                busy_series: Vec::new(),
                queue_series: Vec::new(),
                ready_series: Vec::new(),
                calls_series: c.calls_per[..buckets.min(c.calls_per.len())].to_vec(),
                errors_series: c.errors_per[..buckets.min(c.errors_per.len())].to_vec(),
                per_instance_memory: None,
                instance_series: None,
            };
            // Each instance's series, when the run asks for them (the levels keep their
            // buckets anyway: this only copies them).
            let mut per_inst = (self.instance_series
                && (2..=INSTANCE_SERIES_MAX as usize).contains(&c.insts.len()))
            .then(InstanceSeries::default);
            for (k, i) in c.insts.iter().enumerate() {
                let levels = c.body.levels(k as u32);
                let mut busy_area = 0;
                if let Some(busy) = levels.busy {
                    busy.finish(end_ns);
                    busy.add_bucket_areas(&mut s.busy_series);
                    busy_area = busy.area;
                    if let Some(p) = &mut per_inst {
                        p.busy.push(bucket_areas(busy, buckets));
                    }
                }
                if let Some(queue) = levels.queue {
                    queue.finish(end_ns);
                    queue.add_bucket_areas(&mut s.queue_series);
                    s.queue_area += queue.area;
                    s.max_queue = s.max_queue.max(queue.max);
                    if let Some(p) = &mut per_inst {
                        p.queue.push(bucket_areas(queue, buckets));
                    }
                } else if let Some(p) = &mut per_inst {
                    p.queue.push(vec![0; buckets]);
                }
                s.busy_area += busy_area;
                s.per_instance_served.push(i.served);
                s.per_instance_busy.push(busy_area);
                if let Some(workers) = levels.workers {
                    workers.finish(end_ns);
                    s.per_instance_workers.push(workers.area);
                }
            }
            // A kind without a level has a level of zero in every bucket.
            for v in [&mut s.busy_series, &mut s.queue_series] {
                if v.len() < buckets {
                    v.resize(buckets, 0);
                }
            }
            // The kind's own counters, series and figures.
            let cx = ReportCx {
                buckets,
                can_go_down: c.live_changes.is_some(),
                end_ns,
                interval_ns: self.interval_ns,
            };
            c.body.report(&mut s, &cx);
            if let Some(changes) = &c.live_changes {
                s.series.insert(
                    "live_instances",
                    live_series(changes, self.interval_ns, end_ns),
                );
                s.figures.declare(Figure::series("live_instances"));
            }
            if let Some(h) = &mut c.heap {
                h.report(&mut s, end_ns, buckets, self.interval_ns, per_inst.as_mut());
            }
            s.instance_series = per_inst.map(Box::new);
            if let Some(bw) = self.net.bw.as_deref() {
                bw.report(ci, &mut s, end_ns);
            }
            s.busy_series.truncate(buckets);
            s.queue_series.truncate(buckets);
            comps.push(s);
        }
        self.resilience_stats(&mut comps, end_ns);
        let live = self.live;
        let breakdown = std::mem::take(&mut self.time.breakdown);
        let region_links = self.region_link_stats();
        let mut stats = self.rec.finish(live, end_ns, events, comps);
        stats.breakdown = breakdown;
        stats.region_links = region_links;
        stats
    }
}
