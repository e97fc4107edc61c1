//! World::new as one orchestrator: builds every component, instance and traffic source from a spec, and the initial events.

use super::*;

impl World {
    /// Builds a world for one run of `spec` under `seed`.
    pub fn new(spec: &Spec, seed: u64) -> Result<World, ModelError> {
        // A reshard needs instances for the new shards from the start; they idle until the
        // move. `active` is what callers spread over.
        let active: Vec<u32> = spec.components.iter().map(|c| c.instances).collect();
        let autoscale_max = |c: &crate::spec::ComponentSpec| match &c.kind {
            KindSpec::Service(s) => s.autoscale.as_ref().map(|a| a.max).or_else(|| {
                // Autoscaled read replicas: the primary and `max` replicas.
                let a = s.db.as_ref()?.autoscale.as_ref()?;
                Some(1 + a.max)
            }),
            _ => None,
        };
        let adjusted;
        let spec = if spec
            .faults
            .iter()
            .any(|f| matches!(f.kind, FaultKind::Reshard { .. }))
            || spec.components.iter().any(|c| autoscale_max(c).is_some())
        {
            let mut s = spec.clone();
            // An autoscaled service has all its possible instances from the start.
            for c in &mut s.components {
                if let Some(max) = autoscale_max(c) {
                    c.instances = c.instances.max(max);
                }
            }
            for f in &spec.faults {
                if let FaultKind::Reshard { to, .. } = f.kind {
                    if let Some(c) = s.components.iter_mut().find(|c| c.name == f.target) {
                        c.instances = c.instances.max(to);
                    }
                }
            }
            adjusted = s;
            &adjusted
        } else {
            spec
        };
        let names: Vec<String> = spec.components.iter().map(|c| c.name.clone()).collect();
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(ModelError::DuplicateComponent(n.clone()));
            }
        }
        if spec.traffic.classes.is_empty() {
            return Err(ModelError::OutOfRange(
                "at least one request class is needed".into(),
            ));
        }
        let class_names: Vec<String> = spec.traffic.classes.iter().map(|c| c.0.clone()).collect();
        let window = Window {
            warmup_ns: spec.warmup.as_nanos(),
            end_ns: spec.duration.as_nanos(),
        };
        if window.warmup_ns >= window.end_ns {
            return Err(ModelError::OutOfRange(
                "the warm-up must be shorter than the duration".into(),
            ));
        }
        let span_ns = spec.duration.saturating_add(spec.drain).as_nanos();
        let mut comps = Vec::with_capacity(spec.components.len());
        let mut policies: Vec<PolicyRt> = Vec::new();
        let mut scalers: Vec<Scaler> = Vec::new();
        for c in &spec.components {
            if c.instances == 0 {
                return Err(ModelError::OutOfRange(format!(
                    "`{}` needs at least one instance",
                    c.name
                )));
            }
            let inst = || Inst {
                busy_cores: 0,
                busy_workers: 0,
                wait_q: VecDeque::new(),
                cpu_q: VecDeque::new(),
                outstanding: 0,
                busy: TimeAverage::with_series(window, spec.series_interval.as_nanos()),
                queue: TimeAverage::with_series(window, spec.series_interval.as_nanos()),
                workers: TimeAverage::new(window),
                down: false,
                slow: 1.0,
                slows: Vec::new(),
                crashes: 0,
                served: 0,
                tokens: f64::INFINITY,
                tokens_at: 0,
                out: false,
                deploying: false,
                region_down: 0,
                restart_at: 0,
            };
            let body = match &c.kind {
                KindSpec::Service(s) => {
                    let ep_for = |class: &str| {
                        s.endpoints
                            .iter()
                            .find(|(n, _)| n == class)
                            .or_else(|| s.endpoints.iter().find(|(n, _)| n == "default"))
                            .map(|(_, e)| e)
                    };
                    let mut endpoints = Vec::new();
                    // One policy runtime per (endpoint, call step), shared by every class
                    // served by that endpoint: its bulkhead and breaker see all their calls.
                    let ep_index = |e: &crate::spec::EndpointSpec| {
                        s.endpoints
                            .iter()
                            .position(|(_, x)| std::ptr::eq(x, e))
                            .unwrap_or(usize::MAX)
                    };
                    let mut shared: Vec<(usize, usize, u32)> = Vec::new();
                    for class in &class_names {
                        let e = match ep_for(class) {
                            Some(e) => {
                                let ei = ep_index(e);
                                let mut calls = Vec::new();
                                let mut policy = Vec::new();
                                for (step, call) in e.calls.iter().enumerate() {
                                    let to = find(&names, &c.name, &call.to)?;
                                    // An autoscaled target may scale in to its `min`: a
                                    // fanout needs that many distinct instances.
                                    let tc = &spec.components[to as usize];
                                    let n = match &tc.kind {
                                        KindSpec::Service(s) => {
                                            s.autoscale.as_ref().map_or(tc.instances, |a| a.min)
                                        }
                                        _ => tc.instances,
                                    };
                                    if call.fanout == 0 || call.fanout > n {
                                        return Err(ModelError::FanoutTooWide {
                                            from: c.name.clone(),
                                            to: call.to.clone(),
                                            fanout: call.fanout,
                                            instances: n,
                                        });
                                    }
                                    calls.push((to, call.fanout));
                                    let known = shared
                                        .iter()
                                        .find(|(x, y, _)| *x == ei && *y == step)
                                        .map(|t| t.2);
                                    policy.push(match &call.policy {
                                        Some(_) if known.is_some() => known.unwrap_or(NONE),
                                        Some(p) => {
                                            let n = c.instances as usize;
                                            policies.push(PolicyRt {
                                                caller: comps.len() as u32,
                                                to,
                                                p: (**p).clone(),
                                                breakers: vec![Breaker::default(); n],
                                                in_use: vec![0; n],
                                                calls: 0,
                                                hedges: 0,
                                                timeouts: 0,
                                                retries: 0,
                                                fallbacks: 0,
                                                open_rejects: 0,
                                                bulkhead_rejects: 0,
                                                opens: 0,
                                            });
                                            let pi = (policies.len() - 1) as u32;
                                            shared.push((ei, step, pi));
                                            pi
                                        }
                                        None => NONE,
                                    });
                                }
                                Endpoint {
                                    cpu: e.cpu.clone().filter(|d| !d.is_zero()),
                                    calls,
                                    policy,
                                }
                            }
                            None => Endpoint {
                                cpu: None,
                                calls: Vec::new(),
                                policy: Vec::new(),
                            },
                        };
                        endpoints.push(e);
                    }
                    for (n, v) in [("cores", s.cores), ("workers", s.workers)] {
                        if v == Some(0) {
                            return Err(ModelError::OutOfRange(format!(
                                "`{}`: {n} must be at least 1",
                                c.name
                            )));
                        }
                    }
                    let db = match &s.db {
                        Some(d) if d.replicas > 0 || d.row_locks || d.source.is_some() => {
                            if d.replicas + 1 != c.instances
                                && d.replicas > 0
                                && d.autoscale.is_none()
                            {
                                return Err(ModelError::OutOfRange(format!(
                                    "`{}`: a database with {} replicas has {} instances",
                                    c.name,
                                    d.replicas,
                                    d.replicas + 1
                                )));
                            }
                            if let Some(a) = &d.autoscale {
                                scalers.push(replica_scale::scaler(
                                    &c.name,
                                    comps.len() as u32,
                                    a,
                                    d.replicas,
                                    c.instances,
                                    s.cores,
                                )?);
                            }
                            Some(Box::new(DbState {
                                replicas: d.replicas,
                                starting: 0,
                                lag: d.replication_lag.clone().unwrap_or(Dist::Const(0)),
                                reads: d.reads,
                                is_write: class_names
                                    .iter()
                                    .map(|n| d.write_classes.contains(n))
                                    .collect(),
                                row_locks: d.row_locks,
                                rr: 0,
                                latest: KeyMap::default(),
                                applied: (0..c.instances).map(|_| KeyMap::default()).collect(),
                                locks: (0..c.instances).map(|_| KeyMap::default()).collect(),
                                stale_reads: 0,
                                replica_reads: 0,
                                source: match &d.source {
                                    Some(q) => Some(find(&names, &c.name, q)?),
                                    None => None,
                                },
                                model_reads: 0,
                                lock_waits: 0,
                                applies: 0,
                                lag_total_us: 0,
                                primary: 0,
                                failover: spec
                                    .ops
                                    .of(&c.name)
                                    .failover
                                    .map(|f| f.detect.saturating_add(f.promote).as_nanos()),
                                promote_at: 0,
                                term: 0,
                                undelivered: vec![0; c.instances as usize],
                                lost_writes: 0,
                                behind: (0..c.instances).map(|_| VecDeque::new()).collect(),
                                replaying: vec![0; c.instances as usize],
                                resync: vec![false; c.instances as usize],
                                catchup: vec![(0, 0); c.instances as usize],
                                replayed: 0,
                            }))
                        }
                        _ => None,
                    };
                    if let Some((rate, burst)) = s.rate_limit {
                        if !(rate > 0.0 && burst >= 1.0 && rate.is_finite() && burst.is_finite()) {
                            return Err(ModelError::OutOfRange(format!(
                                "`{}`: a rate limit needs a positive rate and a burst of at least 1",
                                c.name
                            )));
                        }
                    }
                    if let Some(a) = &s.autoscale {
                        if !(a.min >= 1
                            && a.min <= a.max
                            && a.target_utilization > 0.0
                            && a.target_utilization <= 1.0
                            && s.cores.is_some()
                            && a.interval > SimTime::ZERO)
                        {
                            return Err(ModelError::OutOfRange(format!(
                                "`{}`: autoscale needs cores, 1 <= min <= max, a target in (0, 1] and an interval",
                                c.name
                            )));
                        }
                        scalers.push(Scaler {
                            comp: comps.len() as u32,
                            db: false,
                            spec: a.clone(),
                            starting: 0,
                            sum: 0.0,
                            n: 0,
                            history: VecDeque::new(),
                            changes: vec![(0, active[comps.len()].clamp(a.min, a.max))],
                        });
                    }
                    let plain = s.workers.is_none() && s.rate_limit.is_none() && db.is_none();
                    Body::Service(Svc {
                        cores: s.cores,
                        workers: s.workers,
                        queue: s.queue,
                        endpoints,
                        db,
                        limit: s.rate_limit.map(|(r, b)| (r / 1e9, b)),
                        limited: 0,
                        limited_reason: 0,
                        drop_expired: s.drop_expired,
                        lifo_above: match s.discipline {
                            Discipline::Fifo => None,
                            Discipline::Lifo => Some(0),
                            Discipline::AdaptiveLifo { above } => Some(above),
                        },
                        dropped: 0,
                        plain,
                    })
                }
                KindSpec::LoadBalancer { targets, policy } => Body::Lb {
                    target: find(&names, &c.name, targets)?,
                    policy: *policy,
                },
                KindSpec::Queue(q) => {
                    if c.instances != 1 {
                        return Err(ModelError::OutOfRange(format!(
                            "`{}`: a queue is one broker (instances = 1)",
                            c.name
                        )));
                    }
                    let buckets =
                        span_ns.div_ceil(spec.series_interval.as_nanos().max(1)) as usize + 1;
                    Body::Queue(QueueBody {
                        backlog: VecDeque::new(),
                        publish: q.publish.clone(),
                        consumers: q.consumers.max(1),
                        busy: 0,
                        target: find(&names, &c.name, &q.consumer)?,
                        durable: q.durable,
                        capacity: q.capacity,
                        unconsumed: KeyMap::default(),
                        published: 0,
                        consumed: 0,
                        failed: 0,
                        lost: 0,
                        lag_total_us: 0,
                        lag_samples: 0,
                        backlog_max: vec![0.0; buckets],
                        lag_ms_sum: vec![0.0; buckets],
                        consumed_per: vec![0.0; buckets],
                    })
                }
                KindSpec::Cache(cs) => {
                    if cs.capacity > 100_000_000 {
                        return Err(ModelError::OutOfRange(format!(
                            "`{}`: a cache holds at most 100000000 entries per instance",
                            c.name
                        )));
                    }
                    Body::Cache(CacheBody {
                        stores: (0..c.instances)
                            .map(|_| {
                                KeyStore::new(
                                    cs.eviction,
                                    cs.capacity as usize,
                                    cs.ttl.map(|t| t.as_nanos()),
                                )
                            })
                            .collect(),
                        hit: cs.hit.clone(),
                        backing: find(&names, &c.name, &cs.backing)?,
                        is_write: class_names
                            .iter()
                            .map(|n| cs.write_classes.contains(n))
                            .collect(),
                        hits: 0,
                        misses: 0,
                        writes: 0,
                        hits_per: Vec::new(),
                        misses_per: Vec::new(),
                        policy: cs.write_policy,
                        flush_interval: cs.flush_interval.max(SimTime::from_micros(1)),
                        coalesce: cs.coalesce,
                        dirty: (0..c.instances).map(|_| Vec::new()).collect(),
                        dirty_set: (0..c.instances).map(|_| KeyMap::default()).collect(),
                        flushing: vec![false; c.instances as usize],
                        waiting: (0..c.instances).map(|_| KeyMap::default()).collect(),
                        coalesced: 0,
                        flushed: 0,
                        lost_writes: 0,
                        refresh_after_ns: match (cs.refresh_ahead, cs.ttl) {
                            (Some(f), Some(ttl)) => Some((ttl.as_nanos() as f64 * f) as u64),
                            _ => None,
                        },
                        refreshing: (0..c.instances).map(|_| KeyMap::default()).collect(),
                        refreshes: 0,
                        edge_class: cs
                            .cdn
                            .as_ref()
                            .map(|d| class_names.iter().map(|n| d.classes.contains(n)).collect()),
                        hit_prob: cs.cdn.as_ref().and_then(|d| d.hit_ratio),
                        edge: cs.cdn.as_ref().map_or(Dist::Const(0), |d| d.edge.clone()),
                    })
                }
                KindSpec::Custom { factory, .. } => {
                    let behaviors: Vec<Box<dyn Behavior>> =
                        (0..c.instances).map(|_| factory()).collect();
                    for b in &behaviors {
                        for to in b.calls() {
                            find(&names, &c.name, &to)?;
                        }
                    }
                    Body::Custom(behaviors)
                }
            };
            comps.push(Comp {
                name: c.name.clone(),
                kind: c.kind.name().to_string(),
                balance: c.balance,
                rr: 0,
                ring: ring_of(initial_active(c, active[comps.len()])),
                active: initial_active(c, active[comps.len()]),
                reshard: None,
                rng: stream(seed, &format!("component/{}", c.name)),
                insts: (0..c.instances).map(|_| inst()).collect(),
                body,
                served: 0,
                rejected: 0,
                unavailable: 0,
                restart: spec.ops.of(&c.name).restart.map(|d| d.as_nanos()),
                region: NO_REGION,
                health: None,
                global: Vec::new(),
                live_changes: None,
                calls_per: Vec::new(),
                errors_per: Vec::new(),
            });
        }
        // Regions: every name used by a component, the latency matrix or the traffic.
        let mut regions: Vec<String> = Vec::new();
        let mut add_region = |r: &str| {
            if !regions.iter().any(|x| x == r) {
                regions.push(r.to_string());
            }
        };
        for (_, o) in &spec.ops.components {
            if let Some(r) = &o.region {
                add_region(r);
            }
        }
        for (a, b, _) in &spec.ops.region_latency {
            add_region(a);
            add_region(b);
        }
        for (r, _) in &spec.ops.origins {
            add_region(r);
        }
        if regions.len() >= NO_REGION as usize {
            return Err(ModelError::OutOfRange("at most 254 regions".into()));
        }
        let nr = regions.len();
        let ridx = |r: &str| regions.iter().position(|x| x == r).map(|i| i as u8);
        let mut region_net: Vec<Option<Dist>> = vec![None; nr * nr];
        for (a, b, d) in &spec.ops.region_latency {
            let (a, b) = (ridx(a).unwrap() as usize, ridx(b).unwrap() as usize);
            region_net[a * nr + b] = Some(d.clone());
            region_net[b * nr + a] = Some(d.clone());
        }
        for (ci, c) in spec.components.iter().enumerate() {
            let o = spec.ops.of(&c.name);
            comps[ci].region = o.region.as_deref().and_then(ridx).unwrap_or(NO_REGION);
        }
        let mean_between = |a: u8, b: u8| -> f64 {
            if a == NO_REGION || b == NO_REGION || a == b {
                return spec.network_latency.mean_ns();
            }
            region_net[a as usize * nr + b as usize]
                .as_ref()
                .map_or(f64::INFINITY, |d| d.mean_ns())
        };
        for (ci, c) in spec.components.iter().enumerate() {
            let o = spec.ops.of(&c.name);
            let mut probed: Vec<u32> = Vec::new();
            if !o.global_targets.is_empty() {
                let ts: Vec<u32> = o
                    .global_targets
                    .iter()
                    .map(|t| find(&names, &c.name, t))
                    .collect::<Result<_, _>>()?;
                comps[ci].global = (0..=nr)
                    .map(|origin| {
                        let origin = if origin == nr {
                            NO_REGION
                        } else {
                            origin as u8
                        };
                        let mut order = ts.clone();
                        // Stable: equal latencies keep the declared order.
                        order.sort_by(|x, y| {
                            let (dx, dy) = (
                                mean_between(origin, comps[*x as usize].region),
                                mean_between(origin, comps[*y as usize].region),
                            );
                            dx.total_cmp(&dy)
                        });
                        order
                    })
                    .collect();
                probed = ts;
            } else if let Body::Lb { target, .. } = comps[ci].body {
                probed = vec![target];
            }
            if let Some(h) = o.health_check {
                if h.interval == SimTime::ZERO || h.failures == 0 || probed.is_empty() {
                    return Err(ModelError::OutOfRange(format!(
                        "`{}`: a health check needs a balancer, an interval and failures >= 1",
                        c.name
                    )));
                }
                comps[ci].health = Some(Box::new(Health {
                    interval: h.interval.as_nanos(),
                    failures: h.failures,
                    fails: probed
                        .iter()
                        .map(|t| vec![0; comps[*t as usize].insts.len()])
                        .collect(),
                    ejected: probed
                        .iter()
                        .map(|t| vec![false; comps[*t as usize].insts.len()])
                        .collect(),
                    targets: probed,
                }));
            }
        }
        let origins: Vec<(u8, f64)> = {
            let total: f64 = spec.ops.origins.iter().map(|o| o.1).sum();
            let mut acc = 0.0;
            spec.ops
                .origins
                .iter()
                .map(|(r, w)| {
                    acc += w / total;
                    (ridx(r).unwrap(), acc)
                })
                .collect()
        };
        if !(spec.ops.origins.is_empty()
            || spec.ops.origins.iter().all(|o| o.1 >= 0.0) && origins.last().unwrap().1 > 0.0)
        {
            return Err(ModelError::OutOfRange(
                "traffic region weights must be non-negative with a positive sum".into(),
            ));
        }
        let mut faults = Vec::new();
        for f in &spec.faults {
            if let FaultKind::Spike(x) = f.kind {
                if !(x.is_finite() && x > 0.0) {
                    return Err(ModelError::OutOfRange(
                        "a spike factor must be positive".into(),
                    ));
                }
                faults.push(Fault {
                    at: f.at,
                    duration: f.duration,
                    comp: NONE,
                    peer: NONE,
                    insts: 0..0,
                    kind: f.kind.clone(),
                });
                continue;
            }
            if f.kind == FaultKind::Region {
                let Some(r) = ridx(&f.target) else {
                    return Err(ModelError::OutOfRange(format!(
                        "a region fault targets `{}`, which is no region",
                        f.target
                    )));
                };
                for c in comps.iter_mut().filter(|c| c.region == r) {
                    c.live_changes = Some(vec![(0, c.insts.len() as u32)]);
                }
                faults.push(Fault {
                    at: f.at,
                    duration: f.duration,
                    comp: r as u32,
                    peer: NONE,
                    insts: 0..0,
                    kind: f.kind.clone(),
                });
                continue;
            }
            let comp = find(&names, "a fault", &f.target)?;
            let peer = match &f.kind {
                FaultKind::Partition { peer, .. }
                | FaultKind::Latency {
                    peer: Some(peer), ..
                } => find(&names, "a fault", peer)?,
                _ => NONE,
            };
            if let FaultKind::Deploy { batch, .. } = f.kind {
                if batch == 0 || f.instance.is_some() {
                    return Err(ModelError::OutOfRange(
                        "a deploy needs a whole component and batch >= 1".into(),
                    ));
                }
            }
            if matches!(f.kind, FaultKind::Crash | FaultKind::Deploy { .. }) {
                let c = &mut comps[comp as usize];
                c.live_changes = Some(vec![(0, c.insts.len() as u32)]);
            }
            let n = spec.components[comp as usize].instances;
            let insts = match f.instance {
                None => 0..n,
                Some(i) if i < n => i..i + 1,
                Some(i) => {
                    return Err(ModelError::OutOfRange(format!(
                        "a fault targets instance {i} of `{}`, which has {n}",
                        f.target
                    )))
                }
            };
            if let FaultKind::Reshard { to, factor } = f.kind {
                if to == 0 || !(factor.is_finite() && factor > 0.0) || f.instance.is_some() {
                    return Err(ModelError::OutOfRange(
                        "a reshard needs a whole component, `to` >= 1 and a positive factor".into(),
                    ));
                }
            }
            if let FaultKind::Slow(x) = f.kind {
                if !(x.is_finite() && x > 0.0) {
                    return Err(ModelError::OutOfRange(
                        "a slow factor must be positive".into(),
                    ));
                }
            }
            faults.push(Fault {
                at: f.at,
                duration: f.duration,
                comp,
                peer,
                insts,
                kind: f.kind.clone(),
            });
        }
        crate::check_cycles(spec)?;
        let entry = find(&names, "traffic", &spec.traffic.entry)?;
        let total: f64 = spec.traffic.classes.iter().map(|c| c.1).sum();
        if total.is_nan() || total <= 0.0 || spec.traffic.classes.iter().any(|c| c.1 < 0.0) {
            return Err(ModelError::OutOfRange(
                "class weights must be non-negative with a positive sum".into(),
            ));
        }
        let mut acc = 0.0;
        let mut class_cum: Vec<f64> = spec
            .traffic
            .classes
            .iter()
            .map(|c| {
                acc += c.1 / total;
                acc
            })
            .collect();
        if let Some(l) = class_cum.last_mut() {
            *l = 1.0;
        }
        let zipf = match spec.traffic.keys {
            Some(k) => Some(
                Zipf::new(k.count as f64, k.zipf)
                    .map_err(|e| ModelError::OutOfRange(format!("traffic keys: {e}")))?,
            ),
            None => None,
        };
        let arrival_gap = match &spec.traffic.load {
            Load::Open {
                rate_per_s,
                arrivals,
            } => {
                if !(*rate_per_s > 0.0 && rate_per_s.is_finite()) {
                    return Err(ModelError::OutOfRange("the rate must be positive".into()));
                }
                let mean = 1e9 / rate_per_s;
                Some(match arrivals {
                    crate::spec::Arrivals::Poisson => Dist::Exp { mean_ns: mean },
                    crate::spec::Arrivals::Uniform => Dist::Const(mean.round().max(1.0) as u64),
                })
            }
            Load::Closed { .. } => None,
        };
        let mut reasons: Vec<String> = BASE_REASONS.iter().map(|s| s.to_string()).collect();
        reasons.shrink_to_fit();
        let span = spec.duration.saturating_add(spec.drain).as_nanos();
        let rec = Recorder::new(
            window,
            spec.slo_latency.map(|s| s.as_nanos()),
            spec.series_interval.as_nanos(),
            reasons,
            class_names,
            span,
        );
        let mut world = World {
            duration: spec.duration.as_nanos(),
            timeout: spec.traffic.timeout,
            retry: spec.traffic.retry.clone(),
            retry_tokens: 0.0,
            entry,
            load: spec.traffic.load.clone(),
            arrival_gap,
            class_cum,
            unkeyed: spec
                .traffic
                .classes
                .iter()
                .map(|(n, _)| spec.traffic.unkeyed.contains(n))
                .collect(),
            zipf,
            key_count: spec.traffic.keys.map_or(1, |k| k.count.max(1)),
            interval_ns: spec.series_interval.as_nanos().max(1),
            simple: matches!(spec.traffic.load, Load::Open { .. })
                && spec.traffic.timeout.is_none()
                && spec.traffic.retry.is_none()
                && policies.is_empty(),
            now: 0,
            net_zero: spec.network_latency.is_zero(),
            net: spec.network_latency.clone(),
            rng_net: stream(seed, "network"),
            rng_arrivals: stream(seed, "traffic/arrivals"),
            rng_class: stream(seed, "traffic/classes"),
            rng_keys: stream(seed, "traffic/keys"),
            rng_think: stream(seed, "traffic/think"),
            rng_retry: stream(seed, "traffic/retry"),
            comps,
            calls: Vec::new(),
            free_calls: Vec::new(),
            reqs: Vec::new(),
            free_reqs: Vec::new(),
            live: 0,
            max_in_flight: spec.max_in_flight,
            overload: None,
            overload_queue: None,
            max_backlog: spec.max_backlog,
            timers: Vec::new(),
            free_timers: Vec::new(),
            faults,
            effects: Vec::new(),
            rec,
            ready: VecDeque::new(),
            draining: false,
            links: nr > 0
                || spec.faults.iter().any(|f| {
                    matches!(
                        f.kind,
                        FaultKind::Partition { .. } | FaultKind::Latency { .. }
                    )
                }),
            ops_pick: false,
            partitions: Vec::new(),
            delays: Vec::new(),
            partitioned_reason: 0,
            regions,
            region_net,
            origins,
            rng_origin: stream(seed, "traffic/regions"),
            deploys: vec![DeployState::default(); spec.faults.len()],
            has_policies: !policies.is_empty(),
            drop_work: policies.iter().any(|p| p.p.hedge.is_some())
                || spec
                    .components
                    .iter()
                    .any(|c| matches!(&c.kind, KindSpec::Service(s) if s.drop_expired)),
            policies,
            guards: Vec::new(),
            free_guards: Vec::new(),
            reason_open: 0,
            reason_bulkhead: 0,
            rate_factor: 1.0,
            profile: spec
                .traffic
                .profile
                .iter()
                .map(|p| (p.0.as_nanos(), p.1))
                .collect(),
            profile_factor: 1.0,
            arrival_gen: 0,
            spikes: Vec::new(),
            base_users: match spec.traffic.load {
                Load::Closed { users, .. } => users,
                Load::Open { .. } => 0,
            },
            user_limit: match spec.traffic.load {
                Load::Closed { users, .. } => users,
                Load::Open { .. } => 0,
            },
            in_loop: Vec::new(),
            scalers,
        };
        world.ops_pick = world.comps.iter().any(|c| c.health.is_some())
            || spec
                .faults
                .iter()
                .any(|f| matches!(f.kind, FaultKind::Deploy { .. }));
        if spec
            .faults
            .iter()
            .any(|f| matches!(f.kind, FaultKind::Partition { .. }))
        {
            world.partitioned_reason = world.rec.reason("partitioned");
        }
        if world.has_policies {
            world.reason_open = world.rec.reason("circuit_open");
            world.reason_bulkhead = world.rec.reason("bulkhead_full");
        }
        if let Load::Closed { users, .. } = spec.traffic.load {
            if spec
                .faults
                .iter()
                .any(|f| matches!(f.kind, FaultKind::Spike(_)))
                || !spec.traffic.profile.is_empty()
            {
                world.in_loop = vec![true; users as usize];
            }
        }
        let buckets = world.rec.series_len();
        for c in &mut world.comps {
            c.calls_per = vec![0; buckets];
            c.errors_per = vec![0; buckets];
            if let Body::Cache(cb) = &mut c.body {
                cb.hits_per = vec![0; buckets];
                cb.misses_per = vec![0; buckets];
            }
        }
        // Reasons added by component kinds, registered up front so every replication lists
        // them in the same order.
        let limited = world.rec.reason("rate_limited");
        for c in &mut world.comps {
            if let Body::Service(svc) = &mut c.body {
                if svc.limit.is_some() {
                    svc.limited_reason = limited;
                }
            }
        }
        Ok(world)
    }
    /// The events that start a run: the first arrival, or each user's first request.
    pub fn initial_events(&mut self) -> Vec<(SimTime, Ev)> {
        let mut events: Vec<(SimTime, Ev)> = Vec::new();
        if !self.profile.is_empty() {
            // First, so that a curve starting below 1 applies before anyone arrives.
            events.push((SimTime::ZERO, Ev::Profile));
        }
        events.extend(
            self.faults
                .iter()
                .enumerate()
                .map(|(i, f)| (f.at, Ev::FaultStart(i as u32))),
        );
        for (i, c) in self.comps.iter().enumerate() {
            if let Some(h) = &c.health {
                events.push((SimTime(h.interval), Ev::Probe(i as u32)));
            }
        }
        let traffic = match &self.load {
            Load::Open { arrivals, .. } => {
                let first = match arrivals {
                    crate::spec::Arrivals::Uniform => SimTime::ZERO,
                    crate::spec::Arrivals::Poisson => self
                        .arrival_gap
                        .as_ref()
                        .expect("open loop")
                        .sample(&mut self.rng_arrivals),
                };
                vec![(first, Ev::Arrival(0))]
            }
            Load::Closed { users, think } => {
                // Each user starts after one think time, so the run does not open with a burst.
                let think = think.clone();
                (0..*users)
                    .map(|u| (think.sample(&mut self.rng_think), Ev::Wake(u)))
                    .collect()
            }
        };
        events.extend(traffic);
        for (i, sc) in self.scalers.iter().enumerate() {
            events.push((scale_period(&sc.spec), Ev::ScaleTick(i as u32)));
        }
        events
    }
}
