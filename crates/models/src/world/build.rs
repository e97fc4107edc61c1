//! World::new as one orchestrator: builds every component, instance and traffic source from a spec, and the initial events.

use super::*;

/// Instances that take traffic at the start: an autoscaled service starts with its
/// configured count clamped to `[min, max]`.
pub(in crate::world) fn initial_active(c: &crate::spec::ComponentSpec, configured: u32) -> u32 {
    match &c.kind {
        KindSpec::Service(s) => match &s.autoscale {
            Some(a) => configured.clamp(a.min, a.max),
            None => configured,
        },
        _ => configured,
    }
}

/// What a kind's build may read and add to: the spec, names resolved to indices, the
/// component being built, and the runtimes that other concerns keep for it (call policies,
/// autoscalers).
pub(in crate::world) struct BuildCx<'a> {
    pub(in crate::world) spec: &'a Spec,
    pub(in crate::world) names: &'a [String],
    pub(in crate::world) class_names: &'a [String],
    /// The index of the component being built.
    pub(in crate::world) index: u32,
    /// Instances that callers spread over at the start, by component.
    pub(in crate::world) active: &'a [u32],
    pub(in crate::world) policies: &'a mut Vec<PolicyRt>,
    pub(in crate::world) scalers: &'a mut Vec<Scaler>,
    /// The run's length with its drain (ns).
    pub(in crate::world) span_ns: u64,
    /// Series buckets of the run (as the recorder cuts them).
    pub(in crate::world) buckets: usize,
    /// The measured window.
    pub(in crate::world) window: Window,
    /// Each component's operational settings.
    pub(in crate::world) ops: &'a [CompOps],
    /// The run's seed (a replication's).
    pub(in crate::world) seed: u64,
}

pub(in crate::world) fn find(names: &[String], from: &str, name: &str) -> Result<u32, ModelError> {
    names
        .iter()
        .position(|n| n == name)
        .map(|i| i as u32)
        .ok_or_else(|| ModelError::UnknownComponent {
            from: from.to_string(),
            name: name.to_string(),
        })
}

impl World {
    /// Builds a world for one run of `spec` under `seed`.
    /// The spec is validated first ([`Spec::validate`]); the rest only builds.
    pub fn new(spec: &Spec, seed: u64) -> Result<World, ModelError> {
        spec.validate()?;
        // A reshard needs instances for the new shards from the start; they idle until the
        // move, and an autoscaled service has all it may scale to. `active` is what callers
        // spread over.
        let active: Vec<u32> = spec.components.iter().map(|c| c.instances).collect();
        let allocated = crate::validate::allocated_instances(spec);
        let adjusted;
        let spec = if allocated
            .iter()
            .zip(&spec.components)
            .any(|(n, c)| *n != c.instances)
        {
            let mut s = spec.clone();
            for (c, n) in s.components.iter_mut().zip(allocated) {
                c.instances = n;
            }
            adjusted = s;
            &adjusted
        } else {
            spec
        };
        let names: Vec<String> = spec.components.iter().map(|c| c.name.clone()).collect();
        let ops = spec.ops.per_component(&spec.components);
        let class_names: Vec<String> = spec.traffic.classes.iter().map(|c| c.0.clone()).collect();
        let window = Window {
            warmup_ns: spec.warmup.as_nanos(),
            end_ns: spec.duration.as_nanos(),
        };
        let span_ns = spec.duration.saturating_add(spec.drain).as_nanos();
        let buckets = span_ns
            .div_ceil(spec.series_interval.as_nanos().max(1))
            .max(1) as usize;
        let mut comps = Vec::with_capacity(spec.components.len());
        let mut policies: Vec<PolicyRt> = Vec::new();
        let mut scalers: Vec<Scaler> = Vec::new();
        for c in &spec.components {
            let inst = || Inst {
                outstanding: 0,
                down: false,
                slow: 1.0,
                slows: Vec::new(),
                crashes: 0,
                served: 0,
                out: false,
                deploying: false,
                region_down: 0,
                restart_at: 0,
            };
            let mut cx = BuildCx {
                spec,
                names: &names,
                class_names: &class_names,
                index: comps.len() as u32,
                active: &active,
                policies: &mut policies,
                scalers: &mut scalers,
                span_ns,
                buckets,
                window,
                ops: &ops,
                seed,
            };
            let heap = heap::Heap::build(c, &cx, seed);
            // A service's endpoints know of the collector's stretch from the same key.
            debug_assert_eq!(heap.is_some(), c.memory.is_some());
            let body = match &c.kind {
                KindSpec::Service(s) => Body::Service(Svc::build(c, s, &mut cx)?),
                KindSpec::LoadBalancer { targets, policy } => {
                    Body::Lb(Lb::build(c, targets, *policy, &cx)?)
                }
                KindSpec::Queue(q) => Body::Queue(QueueBody::build(c, q, &mut cx)?),
                KindSpec::Cache(cs) => match &cs.cdn {
                    None => Body::Cache(CacheBody::build(c, cs, &mut cx)?),
                    Some(cdn) => Body::Cdn(Cdn::build(c, cs, cdn, &mut cx)?),
                },
                KindSpec::Custom { factory, .. } => Body::Custom(build_custom(c, factory, &cx)?),
            };
            let plain = heap.is_none() && matches!(&body, Body::Service(s) if s.plain);
            let on_success = body.acts_on_success();
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
                restart: ops[comps.len()].restart.map(|d| d.as_nanos()),
                region: NO_REGION,
                calls_per: Vec::new(),
                errors_per: Vec::new(),
                // An instance that can be OOM-killed goes down and comes back.
                live_changes: heap
                    .as_ref()
                    .filter(|h| h.has_capacity())
                    .map(|_| vec![(0, c.instances)]),
                heap,
                plain,
                on_success,
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
        let nr = regions.len();
        let ridx = |r: &str| regions.iter().position(|x| x == r).map(|i| i as u8);
        let mut region_net: Vec<Option<Dist>> = vec![None; nr * nr];
        for (a, b, d) in &spec.ops.region_latency {
            let (a, b) = (ridx(a).unwrap() as usize, ridx(b).unwrap() as usize);
            region_net[a * nr + b] = Some(d.clone());
            region_net[b * nr + a] = Some(d.clone());
        }
        for (comp, o) in comps.iter_mut().zip(&ops) {
            comp.region = o.region.as_deref().and_then(ridx).unwrap_or(NO_REGION);
        }
        let mean_between = |a: u8, b: u8| -> f64 {
            if a == NO_REGION || b == NO_REGION || a == b {
                return spec.network_latency.mean_ns();
            }
            region_net[a as usize * nr + b as usize]
                .as_ref()
                .map_or(f64::INFINITY, |d| d.mean_ns())
        };
        let region: Vec<u8> = comps.iter().map(|c: &Comp| c.region).collect();
        let sizes: Vec<usize> = comps.iter().map(|c: &Comp| c.insts.len()).collect();
        let at = Placement {
            names: &names,
            regions: nr,
            region: &region,
            sizes: &sizes,
            mean_between: &mean_between,
        };
        for (ci, c) in spec.components.iter().enumerate() {
            let o = &ops[ci];
            if let Body::Lb(l) = &mut comps[ci].body {
                l.connect(c, o, &at)?;
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
        let bw = Bandwidth::build(spec, &ops, &regions, &class_names, seed, window, buckets);
        let mut faults = Vec::new();
        for f in &spec.faults {
            if let FaultKind::Spike(_) = f.kind {
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
                    unreachable!("validated: a region fault targets a region")
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
            if matches!(f.kind, FaultKind::Crash | FaultKind::Deploy { .. }) {
                let c = &mut comps[comp as usize];
                c.live_changes = Some(vec![(0, c.insts.len() as u32)]);
            }
            let n = spec.components[comp as usize].instances;
            let insts = match f.instance {
                None => 0..n,
                Some(i) => i..i + 1,
            };
            faults.push(Fault {
                at: f.at,
                duration: f.duration,
                comp,
                peer,
                insts,
                kind: f.kind.clone(),
            });
        }
        let entry = find(&names, "traffic", &spec.traffic.entry)?;
        let total: f64 = spec.traffic.classes.iter().map(|c| c.1).sum();
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
        let has_policies = !policies.is_empty();
        let drop_work = policies.iter().any(|p| p.p.hedge.is_some())
            || spec
                .components
                .iter()
                .any(|c| matches!(&c.kind, KindSpec::Service(s) if s.drop_expired));
        let time = Timing::new(comps.len(), spec.traffic.classes.len(), spec.breakdown);
        let mut world = World {
            time,
            tracer: None,
            call_bytes: heap::CallBytes::default(),
            watch_made: false,
            watch_done: false,
            duration: spec.duration.as_nanos(),
            interval_ns: spec.series_interval.as_nanos().max(1),
            instance_series: spec.instance_series,
            now: 0,
            comps,
            calls: Vec::new(),
            free_calls: Vec::new(),
            live: 0,
            max_in_flight: spec.max_in_flight,
            overload: None,
            overload_queue: None,
            max_backlog: spec.max_backlog,
            rec,
            ready: VecDeque::new(),
            then: Vec::new(),
            draining: false,
            traffic: Traffic {
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
                simple: matches!(spec.traffic.load, Load::Open { .. })
                    && spec.traffic.timeout.is_none()
                    && spec.traffic.retry.is_none()
                    && !has_policies,
                rng_arrivals: stream(seed, "traffic/arrivals"),
                rng_class: stream(seed, "traffic/classes"),
                rng_keys: stream(seed, "traffic/keys"),
                rng_think: stream(seed, "traffic/think"),
                rng_retry: stream(seed, "traffic/retry"),
                reqs: Vec::new(),
                free_reqs: Vec::new(),
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
            },
            net: Net {
                zero: spec.network_latency.is_zero(),
                latency: spec.network_latency.clone(),
                rng: stream(seed, "network"),
                links: nr > 0
                    || bw.is_some()
                    || spec.faults.iter().any(|f| {
                        matches!(
                            f.kind,
                            FaultKind::Partition { .. } | FaultKind::Latency { .. }
                        )
                    }),
                direct: false,
                partitions: Vec::new(),
                delays: Vec::new(),
                partitioned_reason: 0,
                regions,
                region_net,
                origins,
                rng_origin: stream(seed, "traffic/regions"),
                bw,
            },
            ops: Ops {
                faults,
                pick: false,
                deploys: vec![DeployState::default(); spec.faults.len()],
            },
            res: Res {
                has_policies,
                drop_work,
                policies,
                guards: Vec::new(),
                free_guards: Vec::new(),
                reason_open: 0,
                reason_bulkhead: 0,
                latency_scaling: scalers.iter().any(|s| s.lat.is_some()),
                scalers,
            },
        };
        world.ops.pick = world
            .comps
            .iter()
            .any(|c| matches!(&c.body, Body::Lb(l) if l.health.is_some()))
            || spec
                .faults
                .iter()
                .any(|f| matches!(f.kind, FaultKind::Deploy { .. }));
        if spec
            .faults
            .iter()
            .any(|f| matches!(f.kind, FaultKind::Partition { .. }))
        {
            world.net.partitioned_reason = world.rec.reason("partitioned");
        }
        if world.res.has_policies {
            world.res.reason_open = world.rec.reason("circuit_open");
            world.res.reason_bulkhead = world.rec.reason("bulkhead_full");
        }
        if let Load::Closed { users, .. } = spec.traffic.load {
            if spec
                .faults
                .iter()
                .any(|f| matches!(f.kind, FaultKind::Spike(_)))
                || !spec.traffic.profile.is_empty()
            {
                world.traffic.in_loop = vec![true; users as usize];
            }
        }
        world.call_bytes.on = world.comps.iter().any(|c| c.heap.is_some());
        world.net.direct = world.net.zero && !world.net.links;
        if world.net.bw.as_ref().is_some_and(|b| b.bounded()) {
            let reason = world.rec.reason("link_full");
            if let Some(b) = &mut world.net.bw {
                b.reason_full = reason;
            }
        }
        debug_assert_eq!(buckets, world.rec.series_len());
        for c in &mut world.comps {
            c.calls_per = vec![0; buckets];
            c.errors_per = vec![0; buckets];
        }
        // Reasons added by component kinds, registered up front so every replication lists
        // them in the same order.
        let limited = world.rec.reason("rate_limited");
        for c in &mut world.comps {
            if let Body::Service(Svc { limit: Some(l), .. }) = &mut c.body {
                l.reason = limited;
            }
        }
        world.data_reasons();
        world.watch();
        Ok(world)
    }
    /// The events that start a run: the first arrival, or each user's first request.
    pub fn initial_events(&mut self) -> Vec<(SimTime, Ev)> {
        let mut events: Vec<(SimTime, Ev)> = Vec::new();
        if !self.traffic.profile.is_empty() {
            // First, so that a curve starting below 1 applies before anyone arrives.
            events.push((SimTime::ZERO, Ev::Profile));
        }
        events.extend(
            self.ops
                .faults
                .iter()
                .enumerate()
                .map(|(i, f)| (f.at, Ev::FaultStart(i as u32))),
        );
        for (i, c) in self.comps.iter().enumerate() {
            if let Body::Lb(Lb {
                health: Some(h), ..
            }) = &c.body
            {
                events.push((SimTime(h.interval), Ev::Probe(i as u32)));
            }
        }
        let traffic = match &self.traffic.load {
            Load::Open { arrivals, .. } => {
                let first = match arrivals {
                    crate::spec::Arrivals::Uniform => SimTime::ZERO,
                    crate::spec::Arrivals::Poisson => self
                        .traffic
                        .arrival_gap
                        .as_ref()
                        .expect("open loop")
                        .sample(&mut self.traffic.rng_arrivals),
                };
                vec![(first, Ev::Arrival(0))]
            }
            Load::Closed { users, think } => {
                // Each user starts after one think time, so the run does not open with a burst.
                let think = think.clone();
                (0..*users)
                    .map(|u| (think.sample(&mut self.traffic.rng_think), Ev::Wake(u)))
                    .collect()
            }
        };
        events.extend(traffic);
        for (i, sc) in self.res.scalers.iter().enumerate() {
            events.push((scale_period(&sc.spec), Ev::ScaleTick(i as u32)));
        }
        events
    }
}
