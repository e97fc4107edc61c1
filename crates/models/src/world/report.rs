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

impl World {
    /// Requests still without an outcome.
    pub fn live_requests(&self) -> u64 {
        self.live
    }
    /// Closes the run at `end` and returns its statistics.
    pub fn finish(mut self, end: SimTime, events: u64) -> RunStats {
        let end_ns = end.as_nanos();
        // The series buckets of the run as it happened (as the recorder cuts its own).
        let buckets = (end_ns / self.interval_ns + 1) as usize;
        let mut comps = Vec::with_capacity(self.comps.len());
        for c in &mut self.comps {
            let mut s = ComponentStats {
                name: c.name.clone(),
                kind: c.kind.clone(),
                instances: c.insts.len() as u32,
                cores: match &c.body {
                    Body::Service(s) => s.cores,
                    _ => None,
                },
                busy_area: 0,
                queue_area: 0,
                max_queue: 0,
                served: c.served,
                rejected: c.rejected,
                window_ns: self.rec.window().len_ns() as u128,
                per_instance_served: Vec::new(),
                per_instance_busy: Vec::new(),
                workers: match &c.body {
                    Body::Service(s) => s.workers,
                    _ => None,
                },
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
            };
            for (k, i) in c.insts.iter().enumerate() {
                let levels = c.body.levels(k as u32);
                let mut busy_area = 0;
                if let Some(busy) = levels.busy {
                    busy.finish(end_ns);
                    busy.add_bucket_areas(&mut s.busy_series);
                    busy_area = busy.area;
                }
                if let Some(queue) = levels.queue {
                    queue.finish(end_ns);
                    queue.add_bucket_areas(&mut s.queue_series);
                    s.queue_area += queue.area;
                    s.max_queue = s.max_queue.max(queue.max);
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
            if let Body::Service(Svc {
                limit: Some(_),
                limited,
                ..
            }) = &c.body
            {
                s.counters.insert("rate_limited", *limited);
            }
            if let Body::Service(Svc { db: Some(db), .. }) = &c.body {
                // `stale_reads` once, whether the stale reads come from a read model
                // (`source`), from replicas, or both (over replica reads when there are
                // replicas); listed last among the figures, as results always have.
                if db.source.is_some() || db.replicas > 0 {
                    s.counters.insert("stale_reads", db.stale_reads);
                    let reads = if db.replicas > 0 {
                        "replica_reads"
                    } else {
                        "model_reads"
                    };
                    s.figures.declare(
                        Figure::ratio("stale_read_ratio", "stale_reads", &[reads]).order(2),
                    );
                }
                if db.source.is_some() {
                    s.counters.insert("model_reads", db.model_reads);
                }
                if db.replicas > 0 {
                    s.counters.insert("replica_reads", db.replica_reads);
                    s.counters.insert("replica_applies", db.applies);
                    s.inputs.insert("replication_lag_us_total", db.lag_total_us);
                    s.figures.declare(Figure::mean(
                        "replication_lag_ms_mean",
                        "replication_lag_us_total",
                        "replica_applies",
                        1e3,
                    ));
                }
                if db.replicas > 0 && c.live_changes.is_some() {
                    // Instances can go down: the writes they replayed when back.
                    s.counters.insert("replayed_writes", db.replayed);
                }
                if db.row_locks {
                    s.counters.insert("lock_waits", db.lock_waits);
                }
                if db.failover.is_some() {
                    s.counters.insert("lost_writes", db.lost_writes);
                }
            }
            if let Body::Queue(qb) = &c.body {
                s.counters.extend([
                    ("published".to_string(), qb.published),
                    ("consumed".to_string(), qb.consumed),
                    ("failed_messages".to_string(), qb.failed),
                    ("lost_messages".to_string(), qb.lost),
                    ("backlog_end".to_string(), qb.backlog.len() as u64),
                ]);
                s.inputs.insert("lag_us_total", qb.lag_total_us);
                s.inputs.insert("lag_samples", qb.lag_samples);
                s.figures.declare(Figure::mean(
                    "lag_ms_mean",
                    "lag_us_total",
                    "lag_samples",
                    1e3,
                ));
                let n = (end_ns / self.interval_ns + 1) as usize;
                let cut = |v: &Vec<f64>| v[..n.min(v.len())].to_vec();
                s.series.insert("backlog", cut(&qb.backlog_max));
                s.series.insert("lag_ms_sum", cut(&qb.lag_ms_sum));
                s.series.insert("consumed", cut(&qb.consumed_per));
                s.figures.extend([
                    Figure::series("backlog"),
                    Figure::series_ratio("lag_ms", "lag_ms_sum", &["consumed"]),
                    Figure::series_rate("consumed_per_s", "consumed"),
                ]);
            }
            if let Body::Cache(cb) = &c.body {
                let evictions: u64 = cb.stores.iter().map(|s| s.evictions).sum();
                let expirations: u64 = cb.stores.iter().map(|s| s.expirations).sum();
                s.counters.extend([
                    ("hits".to_string(), cb.hits),
                    ("misses".to_string(), cb.misses),
                    ("writes".to_string(), cb.writes),
                    ("coalesced".to_string(), cb.coalesced),
                    ("refreshes".to_string(), cb.refreshes),
                    ("flushed_writes".to_string(), cb.flushed),
                    ("lost_writes".to_string(), cb.lost_writes),
                    (
                        "unflushed_writes".to_string(),
                        cb.dirty.iter().map(|d| d.len() as u64).sum(),
                    ),
                    ("evictions".to_string(), evictions),
                    ("expirations".to_string(), expirations),
                ]);
                s.figures.declare(
                    Figure::ratio("hit_ratio", "hits", &["hits", "misses"]).in_summary("hit"),
                );
                let cut = |v: &Vec<u64>| {
                    v[..buckets.min(v.len())]
                        .iter()
                        .map(|x| *x as f64)
                        .collect()
                };
                s.series.insert("lookup_hits", cut(&cb.hits_per));
                s.series.insert("lookup_misses", cut(&cb.misses_per));
                s.figures.declare(Figure::series_ratio(
                    "hit_ratio",
                    "lookup_hits",
                    &["lookup_hits", "lookup_misses"],
                ));
            }
            if let Some(changes) = &c.live_changes {
                s.series.insert(
                    "live_instances",
                    live_series(changes, self.interval_ns, end_ns),
                );
                s.figures.declare(Figure::series("live_instances"));
            }
            if let Body::Custom(cu) = &c.body {
                // The instances' counters add up; each declares the same figures.
                for b in &cu.behaviors {
                    for (k, v) in b.counters() {
                        s.counters.add(&k, v);
                    }
                    s.figures.extend(b.figures());
                }
            }
            s.busy_series.truncate(buckets);
            s.queue_series.truncate(buckets);
            comps.push(s);
        }
        self.resilience_stats(&mut comps, end_ns);
        let live = self.live;
        self.rec.finish(live, end_ns, events, comps)
    }
}
