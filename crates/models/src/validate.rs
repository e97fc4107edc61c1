//! The rules a [`Spec`] must meet to be run, for a model built in code: [`Spec::validate`].
//! Building a run (`World::new`) asks for them first and then only builds. A scenario file
//! meets them through the `scenario` crate's check, which reports each problem at its place
//! with the same limits ([`crate::limits`]); a scenario the check accepts always validates
//! (the check debug-asserts it).

use crate::spec::{FaultKind, KindSpec, Load, ModelError, Spec};
use crate::{check_cycles, MAX_CACHE_CAPACITY, MAX_INSTANCES, MAX_REGIONS, MAX_USL};
use archsim_engine::SimTime;
use std::collections::{HashMap, HashSet};

/// The instances a run allocates for each component: an autoscaled service has all it may
/// scale to from the start (a database with autoscaled replicas: its primary and `max`
/// replicas), and a component that a reshard grows has the shards it grows to.
pub(crate) fn allocated_instances(spec: &Spec) -> Vec<u32> {
    let mut n: Vec<u32> = spec
        .components
        .iter()
        .map(|c| {
            let max = match &c.kind {
                KindSpec::Service(s) => s.autoscale.as_ref().map(|a| a.max).or_else(|| {
                    let a = s.db.as_ref()?.autoscale.as_ref()?;
                    Some(1 + a.max)
                }),
                _ => None,
            };
            max.map_or(c.instances, |m| c.instances.max(m))
        })
        .collect();
    for f in &spec.faults {
        if let FaultKind::Reshard { to, .. } = f.kind {
            if let Some(i) = spec.components.iter().position(|c| c.name == f.target) {
                n[i] = n[i].max(to);
            }
        }
    }
    n
}

impl Spec {
    /// Checks that the model can be run as written: names are unique and every reference
    /// names a component, counts and factors are in range ([`crate::limits`]), no call
    /// cycle, traffic that can arrive. The first problem found is the error.
    pub fn validate(&self) -> Result<(), ModelError> {
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(self.components.len());
        for (i, c) in self.components.iter().enumerate() {
            if index.insert(c.name.as_str(), i).is_some() {
                return Err(ModelError::DuplicateComponent(c.name.clone()));
            }
        }
        let find = |from: &str, name: &str| {
            index
                .get(name)
                .copied()
                .ok_or_else(|| ModelError::UnknownComponent {
                    from: from.to_string(),
                    name: name.to_string(),
                })
        };
        if self.traffic.classes.is_empty() {
            return Err(ModelError::OutOfRange(
                "at least one request class is needed".into(),
            ));
        }
        if self.warmup >= self.duration {
            return Err(ModelError::OutOfRange(
                "the warm-up must be shorter than the duration".into(),
            ));
        }
        let allocated = allocated_instances(self);
        for (ci, c) in self.components.iter().enumerate() {
            let n = allocated[ci];
            if n == 0 {
                return Err(ModelError::OutOfRange(format!(
                    "`{}` needs at least one instance",
                    c.name
                )));
            }
            if n > MAX_INSTANCES {
                return Err(ModelError::OutOfRange(format!(
                    "`{}` has {n} instances; at most {MAX_INSTANCES}",
                    c.name
                )));
            }
            if let Some(m) = &c.memory {
                check_memory(&c.name, m)?;
            }
            match &c.kind {
                KindSpec::Service(s) => {
                    for (_, e) in &s.endpoints {
                        for call in &e.calls {
                            let to = find(&c.name, &call.to)?;
                            // An autoscaled target may scale in to its `min`: a fanout needs
                            // that many distinct instances.
                            let tc = &self.components[to];
                            let n = match &tc.kind {
                                KindSpec::Service(s) => {
                                    s.autoscale.as_ref().map_or(allocated[to], |a| a.min.max(1))
                                }
                                _ => allocated[to],
                            };
                            if call.fanout == 0 || call.fanout > n {
                                return Err(ModelError::FanoutTooWide {
                                    from: c.name.clone(),
                                    to: call.to.clone(),
                                    fanout: call.fanout,
                                    instances: n,
                                });
                            }
                        }
                    }
                    for (what, v) in [("cores", s.cores), ("workers", s.workers)] {
                        if v == Some(0) {
                            return Err(ModelError::OutOfRange(format!(
                                "`{}`: {what} must be at least 1",
                                c.name
                            )));
                        }
                    }
                    if let Some(d) =
                        s.db.as_ref()
                            .filter(|d| d.replicas > 0 || d.row_locks || d.source.is_some())
                    {
                        if d.replicas + 1 != n && d.replicas > 0 && d.autoscale.is_none() {
                            return Err(ModelError::OutOfRange(format!(
                                "`{}`: a database with {} replicas has {} instances",
                                c.name,
                                d.replicas,
                                d.replicas + 1
                            )));
                        }
                        if let Some(a) = &d.autoscale {
                            if !(a.min >= 1
                                && a.metric == crate::ScaleMetric::Cpu
                                && a.min <= a.max
                                && (a.min..=a.max).contains(&d.replicas)
                                && a.max < n
                                && a.target_utilization > 0.0
                                && a.target_utilization <= 1.0
                                && s.cores.is_some()
                                && a.interval > SimTime::ZERO)
                            {
                                return Err(ModelError::OutOfRange(format!(
                                    "`{}`: replica_autoscale needs cores, 1 <= min <= replicas <= max, a target in (0, 1] and an interval",
                                    c.name
                                )));
                            }
                        }
                        if let Some(q) = &d.source {
                            find(&c.name, q)?;
                        }
                    }
                    if let Some(u) = &s.usl {
                        let ok = |x: f64| x.is_finite() && (0.0..=MAX_USL).contains(&x);
                        if !(ok(u.sigma) && ok(u.kappa) && s.cores.is_some()) {
                            return Err(ModelError::OutOfRange(format!(
                                "`{}`: usl needs cores, and sigma and kappa in [0, {MAX_USL}]",
                                c.name
                            )));
                        }
                    }
                    if let (Some(m), Some(k)) = (&c.machine, s.cores) {
                        if k > m.cores {
                            return Err(ModelError::OutOfRange(format!(
                                "`{}`: {k} cores on machine {}, which has {}",
                                c.name, m.name, m.cores
                            )));
                        }
                    }
                    if let Some((rate, burst)) = s.rate_limit {
                        if !(rate > 0.0 && burst >= 1.0 && rate.is_finite() && burst.is_finite()) {
                            return Err(ModelError::OutOfRange(format!(
                                "`{}`: a rate limit needs a positive rate and a burst of at least 1",
                                c.name
                            )));
                        }
                    }
                    if let Some(a) = &s.autoscale {
                        let cpu = a.metric == crate::ScaleMetric::Cpu;
                        let target = a.target();
                        if !(a.min <= a.max
                            && a.max >= 1
                            && target > 0.0
                            && target.is_finite()
                            && (!cpu || target <= 1.0 && s.cores.is_some())
                            && a.interval > SimTime::ZERO)
                        {
                            return Err(ModelError::OutOfRange(format!(
                                "`{}`: autoscale needs 0 <= min <= max (max at least 1), a positive target (CPU: in (0, 1], with cores) and an interval",
                                c.name
                            )));
                        }
                    }
                }
                KindSpec::LoadBalancer { targets, .. } => {
                    find(&c.name, targets)?;
                }
                KindSpec::Queue(q) => {
                    if n != 1 {
                        return Err(ModelError::OutOfRange(format!(
                            "`{}`: a queue is one broker (instances = 1)",
                            c.name
                        )));
                    }
                    find(&c.name, &q.consumer)?;
                }
                KindSpec::Cache(cs) => {
                    if cs.capacity > MAX_CACHE_CAPACITY {
                        return Err(ModelError::OutOfRange(format!(
                            "`{}`: a cache holds at most {MAX_CACHE_CAPACITY} entries per instance",
                            c.name
                        )));
                    }
                    entry_bytes(c, cs)?;
                    find(&c.name, &cs.backing)?;
                }
                // A behaviour's calls are resolved as each instance's behaviour is made.
                KindSpec::Custom { .. } => {}
            }
        }
        // Regions: every name used by a component, the latency matrix or the traffic.
        let mut regions: HashSet<&str> = HashSet::new();
        for (_, o) in &self.ops.components {
            if let Some(r) = &o.region {
                regions.insert(r);
            }
        }
        for (a, b, _) in &self.ops.region_latency {
            regions.insert(a);
            regions.insert(b);
        }
        for (r, _) in &self.ops.origins {
            regions.insert(r);
        }
        if regions.len() > MAX_REGIONS {
            return Err(ModelError::OutOfRange(format!(
                "at most {MAX_REGIONS} regions"
            )));
        }
        for (c, o) in self
            .components
            .iter()
            .zip(self.ops.per_component(&self.components))
        {
            for t in &o.global_targets {
                find(&c.name, t)?;
            }
            if let Some(h) = o.health_check {
                if h.interval == SimTime::ZERO
                    || h.failures == 0
                    || !matches!(c.kind, KindSpec::LoadBalancer { .. })
                {
                    return Err(ModelError::OutOfRange(format!(
                        "`{}`: a health check needs a balancer, an interval and failures >= 1",
                        c.name
                    )));
                }
            }
        }
        let origins = &self.ops.origins;
        let weights_ok =
            origins.iter().all(|o| o.1 >= 0.0) && origins.iter().map(|o| o.1).sum::<f64>() > 0.0;
        if !origins.is_empty() && !weights_ok {
            return Err(ModelError::OutOfRange(
                "traffic region weights must be non-negative with a positive sum".into(),
            ));
        }
        for f in &self.faults {
            match &f.kind {
                FaultKind::Spike(x) => {
                    if !(x.is_finite() && *x > 0.0) {
                        return Err(ModelError::OutOfRange(
                            "a spike factor must be positive".into(),
                        ));
                    }
                    continue;
                }
                FaultKind::Region => {
                    if !regions.contains(f.target.as_str()) {
                        return Err(ModelError::OutOfRange(format!(
                            "a region fault targets `{}`, which is no region",
                            f.target
                        )));
                    }
                    continue;
                }
                _ => {}
            }
            let comp = find("a fault", &f.target)?;
            if let FaultKind::Partition { peer, .. }
            | FaultKind::Latency {
                peer: Some(peer), ..
            } = &f.kind
            {
                find("a fault", peer)?;
            }
            if let FaultKind::Deploy { batch, .. } = f.kind {
                if batch == 0 || f.instance.is_some() {
                    return Err(ModelError::OutOfRange(
                        "a deploy needs a whole component and batch >= 1".into(),
                    ));
                }
            }
            let n = allocated[comp];
            if let Some(i) = f.instance {
                if i >= n {
                    return Err(ModelError::OutOfRange(format!(
                        "a fault targets instance {i} of `{}`, which has {n}",
                        f.target
                    )));
                }
            }
            if let FaultKind::Reshard { to, factor } = f.kind {
                if to == 0 || !(factor.is_finite() && factor > 0.0) || f.instance.is_some() {
                    return Err(ModelError::OutOfRange(
                        "a reshard needs a whole component, `to` >= 1 and a positive factor".into(),
                    ));
                }
            }
            if let FaultKind::Leak {
                per_request,
                per_second,
            } = f.kind
            {
                if self.components[comp].memory.is_none() {
                    return Err(ModelError::OutOfRange(format!(
                        "a leak fault targets `{}`, which has no memory model",
                        f.target
                    )));
                }
                if !(per_second.is_finite() && per_second >= 0.0)
                    || (per_request == 0 && per_second == 0.0)
                {
                    return Err(ModelError::OutOfRange(
                        "a leak needs a positive per_request or per_second".into(),
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
        }
        check_cycles(self)?;
        find("traffic", &self.traffic.entry)?;
        let total: f64 = self.traffic.classes.iter().map(|c| c.1).sum();
        if total.is_nan() || total <= 0.0 || self.traffic.classes.iter().any(|c| c.1 < 0.0) {
            return Err(ModelError::OutOfRange(
                "class weights must be non-negative with a positive sum".into(),
            ));
        }
        if let Some(k) = self.traffic.keys {
            rand_distr::Zipf::new(k.count as f64, k.zipf)
                .map_err(|e| ModelError::OutOfRange(format!("traffic keys: {e}")))?;
        }
        if let Load::Open { rate_per_s, .. } = &self.traffic.load {
            if !(*rate_per_s > 0.0 && rate_per_s.is_finite()) {
                return Err(ModelError::OutOfRange("the rate must be positive".into()));
            }
        }
        Ok(())
    }
}

/// A cache's entries in bytes: a budget only with sizes, more than 0 bytes, at most
/// [`crate::MAX_MEMORY_BYTES`]; a positive mean size of at most
/// [`crate::MAX_CACHE_ENTRY_BYTES`]; no memory model beside sized entries (both would
/// report the component's memory).
fn entry_bytes(c: &crate::spec::ComponentSpec, cs: &crate::CacheSpec) -> Result<(), ModelError> {
    let name = &c.name;
    let bad = |what: String| Err(ModelError::OutOfRange(format!("`{name}`: {what}")));
    if let Some(b) = cs.max_memory {
        if cs.entry_size.is_none() {
            return bad("max_memory needs entry_size, the bytes of an entry".into());
        }
        if b == 0 || b > crate::MAX_MEMORY_BYTES {
            return bad(format!(
                "max_memory must be from 1 byte to 64TiB, got {b} bytes"
            ));
        }
    }
    if let Some(d) = &cs.entry_size {
        let mean = d.mean_ns();
        if !(mean >= 1.0 && mean <= crate::MAX_CACHE_ENTRY_BYTES as f64) {
            return bad(format!(
                "entry_size needs a mean from 1 byte to 1GiB, got {mean} bytes"
            ));
        }
        if c.memory.is_some() {
            return bad("a cache with entry_size reports its memory from the bytes it holds; drop its memory model (its budget is max_memory)".into());
        }
    }
    Ok(())
}

/// A component's memory model: a positive capacity above the base use, a collector only
/// with a capacity and a finite, non-negative overhead.
fn check_memory(name: &str, m: &crate::spec::MemorySpec) -> Result<(), ModelError> {
    let bad = |what: String| Err(ModelError::OutOfRange(format!("`{name}`: {what}")));
    if let Some(cap) = m.capacity {
        if cap == 0 || m.base >= cap {
            return bad(format!(
                "memory capacity {cap} bytes must be more than its base use {} bytes",
                m.base
            ));
        }
    }
    if let Some(d) = &m.per_request {
        if !d.mean_ns().is_finite() {
            return bad("memory_per_request needs a finite mean".into());
        }
    }
    if let Some(gc) = &m.gc {
        if m.capacity.is_none() {
            return bad("a garbage collector's cost depends on the heap's occupancy: set the memory capacity".into());
        }
        if !(gc.overhead.is_finite() && gc.overhead >= 0.0) {
            return bad("gc_overhead must be a finite number >= 0".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{Component, Spec, MAX_CACHE_CAPACITY, MAX_INSTANCES};

    fn two_tier() -> crate::SpecBuilder {
        Spec::builder("60s")
            .entry("app")
            .rate(100.0)
            .component(Component::service("app").cores(2).cpu("5ms").calls(["db"]))
            .component(Component::database("db").cores(4).cpu("2ms"))
    }

    fn refusal(spec: &Spec) -> String {
        spec.validate().expect_err("refused").to_string()
    }

    #[test]
    fn a_sound_model_validates_and_runs() {
        let spec = two_tier().build().unwrap();
        assert!(spec.validate().is_ok());
        assert!(crate::run(&spec, 1).unwrap().accounting_holds());
    }

    #[test]
    fn each_rule_refuses_with_what_is_wrong() {
        let base = two_tier().build().unwrap();
        let mut s = base.clone();
        s.components[1].name = "app".into();
        assert!(refusal(&s).contains("app"), "{}", refusal(&s));
        let mut s = base.clone();
        s.components[0].instances = MAX_INSTANCES + 1;
        assert!(refusal(&s).contains("at most 65535"), "{}", refusal(&s));
        let mut s = base.clone();
        s.warmup = s.duration;
        assert_eq!(refusal(&s), "the warm-up must be shorter than the duration");
        let mut s = base.clone();
        s.traffic.entry = "nowhere".into();
        assert!(refusal(&s).contains("nowhere"), "{}", refusal(&s));
        let mut s = base.clone();
        if let crate::KindSpec::Service(svc) = &mut s.components[0].kind {
            svc.cores = Some(0);
        }
        assert_eq!(refusal(&s), "`app`: cores must be at least 1");
        let mut s = base;
        if let crate::KindSpec::Service(svc) = &mut s.components[1].kind {
            svc.endpoints[0].1.calls.push(crate::CallSpec::to("app"));
        }
        assert!(refusal(&s).contains("cycle"), "{}", refusal(&s));
    }

    /// A global balancer's later targets are calls too: a cycle through its second target
    /// is refused (the call graph followed only its first target).
    #[test]
    fn a_cycle_through_a_global_balancers_second_target_is_refused() {
        let mut s = Spec::builder("60s")
            .entry("lb")
            .rate(10.0)
            .component(Component::load_balancer("lb", "us"))
            .component(Component::service("us").cpu("1ms"))
            .component(Component::service("eu").cpu("1ms").calls(["lb"]))
            .build()
            .unwrap();
        s.ops.components.push((
            "lb".into(),
            crate::CompOps {
                global_targets: vec!["us".into(), "eu".into()],
                ..Default::default()
            },
        ));
        assert_eq!(refusal(&s), "calls form a cycle: lb -> eu -> lb");
    }

    /// One number for the largest cache, used by the model and by the check.
    #[test]
    fn a_cache_holds_at_most_the_limit() {
        let spec = |cap: u64| {
            Spec::builder("60s")
                .entry("cache")
                .rate(100.0)
                .keys(1000, 1.0)
                .component(Component::cache("cache", "db").capacity(cap))
                .component(Component::database("db").cpu("1ms"))
                .build()
                .unwrap()
        };
        assert!(spec(MAX_CACHE_CAPACITY).validate().is_ok());
        assert_eq!(
            refusal(&spec(MAX_CACHE_CAPACITY + 1)),
            format!("`cache`: a cache holds at most {MAX_CACHE_CAPACITY} entries per instance")
        );
    }

    /// Building a run validates first: an invalid model is an error, never a panic.
    #[test]
    fn a_run_of_an_invalid_model_is_an_error() {
        let mut s = two_tier().build().unwrap();
        s.traffic.classes.clear();
        assert!(crate::run(&s, 1).is_err());
    }
}
