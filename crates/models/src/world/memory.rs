//! The memory one run of a spec needs, estimated before it starts (issue 11 item 3), from the
//! sizes of the world's own types: what grows with closed-loop users, series buckets times
//! the series kept, instances, cache entries and stored keys, and what each call in flight
//! costs. The scenario crate sums it over the runs that go at once and compares it with a
//! budget. Growth is counted at its worst: a `Vec` grown by pushing may hold twice what it
//! uses, a hash map keeps an eighth free and doubles.

use super::*;
use crate::cache::KeyStore;
use archsim_stats::SeriesBucket;
use std::mem::size_of;

/// What a part of the estimate grows with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemoryPart {
    /// The tables of a run that grow with nothing a scenario sets.
    Base,
    /// Closed-loop users (`traffic.users`): each has a pending event from the start.
    Users,
    /// Time-series buckets (`run.series_interval` over `duration + drain`), kept once for
    /// the run, once per component and once per instance.
    Series,
    /// The instances of the component at this index (`components.NAME.instances`).
    Instances(usize),
    /// The entries of the cache at this index (`components.NAME.capacity` per instance).
    CacheEntries(usize),
    /// Keys stored by databases with replicas or row locks and by queues
    /// (`traffic.keys.count`).
    Keys,
    /// The calls in flight reserved up front (see [`in_flight_reserve`]; the rest of the
    /// budget bounds them while the run goes).
    InFlight,
}

/// Calls in flight that the estimate reserves memory for up front.
pub const IN_FLIGHT_RESERVE: u64 = 10_000;

/// The estimated memory of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// Bytes held while the run goes and while its statistics are built, by what they grow
    /// with (parts of zero bytes left out).
    pub parts: Vec<(MemoryPart, u64)>,
    /// Of those, bytes that outlive the run: its statistics (the pooled series), held once
    /// per finished replication waiting to be pooled.
    pub kept: u64,
    /// Bytes each call in flight costs at most: its arena slot, its request record, its
    /// place in a waiting room and the free list, and a pending event.
    pub per_call: u64,
    /// Bytes each message waiting in a queue costs at most (its place in the backlog,
    /// doubled by growth).
    pub per_message: u64,
    /// Series buckets of the run.
    pub buckets: u64,
    /// Series kept per bucket: the run's own, one per component and one per instance.
    pub series: u64,
}

impl MemoryEstimate {
    /// Every part summed.
    pub fn total(&self) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |a, (_, b)| a.saturating_add(*b))
    }
    /// The bytes of `part` (0 if it has none).
    pub fn of(&self, part: &MemoryPart) -> u64 {
        self.parts
            .iter()
            .filter(|(p, _)| p == part)
            .map(|(_, b)| *b)
            .sum()
    }
}

/// Bytes of a hash-map slot holding a `(K, V)` of `entry` bytes at worst growth.
const fn map_slot(entry: usize) -> u64 {
    (2 * (entry + 1) * 8 / 7) as u64
}

/// The series-histogram bucket a latency of `us` microseconds lands in (see
/// `archsim_stats::LogHist`: exact below 64, then 32 sub-buckets per power of two).
fn hist_index(us: u64) -> u64 {
    if us < 64 {
        return us;
    }
    let exp = 63 - us.leading_zeros() as u64;
    64 + (exp - 6) * 32 + 31
}

/// Estimates the memory of one run of `spec` in which about `requests` requests arrive
/// (see the scenario crate's work estimate), each visiting about `hops` components.
pub fn estimate_memory(spec: &Spec, requests: f64, hops: f64) -> MemoryEstimate {
    let requests = if requests.is_finite() {
        requests.max(0.0)
    } else {
        f64::MAX
    };
    let visits = requests * hops.max(1.0);
    let span_ns = spec.duration.saturating_add(spec.drain).as_nanos();
    let buckets = span_ns
        .div_ceil(spec.series_interval.as_nanos().max(1))
        .max(1)
        + 1;
    let mut parts: Vec<(MemoryPart, u64)> = Vec::new();
    let mut kept = 0u64;
    let event = size_of::<(u128, Ev)>() as u64;

    // Calls in flight: the arena slot and the request record (each at most doubled by
    // growth), a waiting-room slot and a free-list slot (u32, doubled), a pending event
    // (timeouts, replies) in the event queue's buckets (doubled).
    let simple = matches!(spec.traffic.load, Load::Open { .. }) && simple_client(spec);
    let per_call = 2 * (size_of::<Call>() as u64 + 8)
        + if spec.breakdown {
            timing::PER_CALL_BYTES
        } else {
            0
        }
        + if simple {
            0
        } else {
            2 * size_of::<Req>() as u64 + 2 * event
        };

    parts.push((MemoryPart::Base, 1 << 20));
    if let Load::Closed { users, .. } = spec.traffic.load {
        // Spikes and a load curve add users above the base population for a while.
        let peak = spec
            .traffic
            .profile
            .iter()
            .map(|p| p.1)
            .chain(spec.faults.iter().filter_map(|f| match f.kind {
                FaultKind::Spike(x) => Some(x),
                _ => None,
            }))
            .fold(1.0_f64, f64::max);
        let n = (users as f64 * peak).min(u32::MAX as f64) as u64;
        // The first wake-up of each user, listed and then queued (the queue's buckets may
        // hold twice what they use), and whether each is in the loop; with a timeout or
        // retries, each user may also hold a request record and a pending timeout.
        let per_user = size_of::<(SimTime, Ev)>() as u64
            + 2 * event
            + 1
            + if simple_client(spec) {
                0
            } else {
                2 * size_of::<Req>() as u64 + 2 * event
            };
        parts.push((MemoryPart::Users, n.saturating_mul(per_user)));
    }

    // Series. The run's buckets: counts and a latency histogram that grows to the largest
    // latency recorded (bounded by the run's span), moved into its statistics at the end.
    // While it goes: per component, calls and errors per bucket (u64 each); per instance,
    // two integrals (u128, pushed: doubled). Its statistics: per component two integrals and
    // two counts. Its result, built from the statistics once the run is gone: per component
    // four optional figures, and six figures of the run's own.
    let instances: u64 = spec.components.iter().map(|c| instances_of(spec, c)).sum();
    let comps = spec.components.len() as u64;
    let hist = 4 * (hist_index(span_ns / 1_000) + 1);
    let with_latency = (buckets as f64).min(requests) as u64;
    // With several classes each class keeps a series of its own beside the overall one.
    let copies = match spec.traffic.classes.len() {
        0 | 1 => 1,
        n => 1 + n as u64,
    };
    let run_series = (buckets * size_of::<SeriesBucket>() as u64)
        .saturating_add(with_latency.saturating_mul(hist))
        .saturating_mul(copies);
    let stats = comps.saturating_mul(buckets * (2 * 16 + 2 * 8));
    let world = comps
        .saturating_mul(buckets * 2 * 8)
        .saturating_add(instances.saturating_mul(buckets * 2 * 2 * 16));
    let result = comps
        .saturating_mul(buckets * 4 * 16)
        .saturating_add(buckets * 6 * 8);
    // Where the time goes: per component a response-time histogram in ns (and one per class
    // with several), and the breakdown's latency bins (components x 3 + 1 sums each; a run's
    // latencies fill a few dozen bins, 64 are counted).
    let classes = spec.traffic.classes.len() as u64;
    let per_comp_times =
        4 * (hist_index(span_ns) + 1) * (1 + if classes > 1 { classes } else { 0 });
    let times = if spec.breakdown {
        comps
            .saturating_mul(per_comp_times)
            .saturating_add(64 * (comps * 3 + 1) * 8)
    } else {
        0
    };
    let stats = stats.saturating_add(times);
    let series = run_series
        .saturating_add(stats)
        .saturating_add(world.max(result));
    parts.push((MemoryPart::Series, series));
    kept = kept.saturating_add(run_series + stats);

    let key_count = spec.traffic.keys.map(|k| k.count);
    let mut keys = 0u64;
    for (i, c) in spec.components.iter().enumerate() {
        let n = instances_of(spec, c);
        // An instance's state, its points on the hashing ring, its per-instance figures.
        let mut per_inst = size_of::<Inst>() as u64 + 64 * 16 + 64;
        match &c.kind {
            KindSpec::Cache(cs) => {
                per_inst += size_of::<KeyStore>() as u64 + 6 * 48;
                if cs.entry_size.is_some() {
                    // The bytes held over time: an integral per bucket (u128, pushed: doubled).
                    per_inst = per_inst.saturating_add(buckets * 2 * 16);
                }
                // Entries: at most the capacity and the keys of every instance, and at most
                // one stored per visit.
                let held = match key_count {
                    None => 0.0,
                    Some(k) => (n as f64 * cs.capacity.min(k) as f64).min(visits),
                };
                parts.push((
                    MemoryPart::CacheEntries(i),
                    (held * KeyStore::ENTRY_BYTES as f64).min(u64::MAX as f64) as u64,
                ));
            }
            KindSpec::Service(s) => {
                per_inst += size_of::<SvcInst>() as u64;
                if let Some(db) = &s.db {
                    per_inst += 2 * 48 + 8;
                    if db.replicas > 0 || db.row_locks || db.source.is_some() {
                        // The latest commit of each key, and each replica's applied copy.
                        let k = key_count.map_or(0.0, |k| (k as f64).min(visits));
                        keys = keys.saturating_add(
                            (k * (1 + db.replicas) as f64 * map_slot(16) as f64) as u64,
                        );
                    }
                }
            }
            KindSpec::Queue(_) => {
                let k = key_count.map_or(0.0, |k| (k as f64).min(visits));
                keys = keys.saturating_add((k * map_slot(12) as f64) as u64);
            }
            _ => {}
        }
        parts.push((MemoryPart::Instances(i), n.saturating_mul(per_inst)));
    }
    parts.push((MemoryPart::Keys, keys));
    parts.push((
        MemoryPart::InFlight,
        in_flight_reserve(spec).saturating_mul(per_call),
    ));
    parts.retain(|(_, b)| *b > 0);
    MemoryEstimate {
        parts,
        kept,
        per_call,
        per_message: 2 * size_of::<Msg>() as u64,
        buckets,
        series: 1 + comps + instances,
    }
}

/// The client keeps no record of a request: no timeout, no retries.
fn simple_client(spec: &Spec) -> bool {
    spec.traffic.timeout.is_none() && spec.traffic.retry.is_none()
}

/// Calls in flight reserved up front: [`IN_FLIGHT_RESERVE`], or more when every service
/// bounds what it admits and lets wait (`workers` or `cores`, and `queue`): then the calls
/// at services are at most the sum of those bounds, and each balancer or cache in front may
/// hold one more call per call below it. Never more than `run.max_in_flight`.
pub fn in_flight_reserve(spec: &Spec) -> u64 {
    let mut at_services = 0u64;
    let mut layers = 1u64;
    for c in &spec.components {
        let n = instances_of(spec, c);
        match &c.kind {
            KindSpec::Service(s) => match (s.workers.or(s.cores), s.queue) {
                (Some(w), Some(q)) => {
                    at_services = at_services.saturating_add(n * (w as u64 + q as u64))
                }
                _ => return IN_FLIGHT_RESERVE.min(spec.max_in_flight),
            },
            KindSpec::LoadBalancer { .. } | KindSpec::Cache(_) => layers += 1,
            KindSpec::Queue(q) => at_services = at_services.saturating_add(q.consumers as u64),
            KindSpec::Custom { .. } => return IN_FLIGHT_RESERVE.min(spec.max_in_flight),
        }
    }
    at_services
        .saturating_mul(layers)
        .max(IN_FLIGHT_RESERVE)
        .min(spec.max_in_flight)
}

/// Instances a component is built with: an autoscaled service or replica set has its
/// maximum from the start, a reshard its shards after the move.
fn instances_of(spec: &Spec, c: &crate::spec::ComponentSpec) -> u64 {
    let mut n = c.instances;
    if let KindSpec::Service(s) = &c.kind {
        if let Some(a) = &s.autoscale {
            n = n.max(a.max);
        }
        if let Some(a) = s.db.as_ref().and_then(|d| d.autoscale.as_ref()) {
            n = n.max(1 + a.max);
        }
    }
    for f in &spec.faults {
        if let FaultKind::Reshard { to, .. } = f.kind {
            if f.target == c.name {
                n = n.max(to);
            }
        }
    }
    n as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::IntoTime;

    fn spec(users: Option<u32>) -> Spec {
        let mut b = Spec::builder("100s").series_interval("1s").entry("app");
        b = match users {
            Some(u) => b.users(u, "exp(1s)"),
            None => b.rate(100.0),
        };
        b.component(crate::Component::service("app").cores(1).cpu("1ms"))
            .build()
            .unwrap()
    }

    #[test]
    fn users_cost_their_event_and_grow_linearly() {
        let a = estimate_memory(&spec(Some(1_000_000)), 1e6, 1.0);
        let b = estimate_memory(&spec(Some(2_000_000)), 2e6, 1.0);
        let per = (size_of::<(SimTime, Ev)>() + 2 * size_of::<(u128, Ev)>() + 1) as u64;
        assert_eq!(a.of(&MemoryPart::Users), 1_000_000 * per);
        assert_eq!(b.of(&MemoryPart::Users), 2 * a.of(&MemoryPart::Users));
        assert_eq!(
            estimate_memory(&spec(None), 1e4, 1.0).of(&MemoryPart::Users),
            0
        );
    }

    #[test]
    fn series_grow_with_buckets_times_series() {
        let s = spec(None);
        let e = estimate_memory(&s, 1e4, 1.0);
        // 100 s + 60 s of drain at 1 s: 160 buckets (+1 for a partial last one).
        assert_eq!(e.buckets, 161);
        assert_eq!(e.series, 3);
        let mut fine = s.clone();
        fine.series_interval = "10ms".into_time().unwrap();
        let f = estimate_memory(&fine, 1e4, 1.0);
        assert_eq!(f.buckets, 16_001);
        let ratio = f.of(&MemoryPart::Series) as f64 / e.of(&MemoryPart::Series) as f64;
        assert!(ratio > 30.0 && ratio < 110.0, "{ratio}");
        // Ten more instances add ten instance series.
        let mut wide = fine.clone();
        wide.components[0].instances = 11;
        let w = estimate_memory(&wide, 1e4, 1.0);
        let more = w.of(&MemoryPart::Series) - f.of(&MemoryPart::Series);
        assert!(
            (9 * 16_001 * 64..=10 * 16_001 * 64).contains(&more),
            "{more}"
        );
    }

    #[test]
    fn bounded_waiting_rooms_bound_the_reserve() {
        let mut s = spec(None);
        // Unlimited queue: the fixed reserve.
        assert_eq!(in_flight_reserve(&s), IN_FLIGHT_RESERVE);
        let KindSpec::Service(svc) = &mut s.components[0].kind else {
            panic!()
        };
        svc.workers = Some(200);
        svc.queue = Some(19_800);
        s.components[0].instances = 3;
        assert_eq!(in_flight_reserve(&s), 60_000);
        s.max_in_flight = 50_000;
        assert_eq!(in_flight_reserve(&s), 50_000);
    }

    #[test]
    fn in_flight_calls_are_reserved_up_to_the_reserve_only() {
        let mut s = spec(None);
        let e = estimate_memory(&s, 1e4, 1.0);
        assert_eq!(
            e.per_call,
            2 * (size_of::<Call>() as u64 + 8) + timing::PER_CALL_BYTES
        );
        assert_eq!(e.of(&MemoryPart::InFlight), IN_FLIGHT_RESERVE * e.per_call);
        s.max_in_flight = 100;
        assert_eq!(
            estimate_memory(&s, 1e4, 1.0).of(&MemoryPart::InFlight),
            100 * e.per_call
        );
        s.traffic.timeout = Some(SimTime::from_secs(1));
        assert!(estimate_memory(&s, 1e4, 1.0).per_call > e.per_call);
    }
}
