//! A builder for [`Spec`]: a model written in Rust as short as its TOML, with the TOML's
//! defaults for every key left out. Durations and distributions may be given in the scenario
//! syntax (`"250ms"`, `"exp(5ms)"`) or as [`SimTime`] and [`Dist`] values; a malformed one is
//! reported by [`SpecBuilder::build`], together with every other problem found, each named by
//! its TOML key.
//!
//! ```
//! use archsim_models::{Component, Policy, Spec};
//!
//! let spec = Spec::builder("10m")
//!     .warmup("1m")
//!     .entry("lb")
//!     .rate(900.0)
//!     .keys(100_000, 0.99)
//!     .class("read", 0.8)
//!     .class("write", 0.2)
//!     .component(Component::load_balancer("lb", "app").policy(Policy::LeastOutstanding))
//!     .component(Component::service("app").instances(4).cores(2).cpu("exp(5ms)").calls(["cache"]))
//!     .component(Component::cache("cache", "db").capacity(10_000).hit("exp(0.3ms)").writes(["write"]))
//!     .component(Component::database("db").cores(8).cpu("exp(4ms)").writes(["write"]))
//!     .crash("db", "5m", "30s")
//!     .build()
//!     .unwrap();
//! assert_eq!(spec.components.len(), 4);
//! ```

use crate::cache::Eviction;
use crate::dist::{parse_duration, Dist};
use crate::spec::{
    Arrivals, CacheSpec, CallSpec, ComponentSpec, DbSpec, EndpointSpec, FaultKind, FaultSpec, Keys,
    KindSpec, Load, Policy, RetrySpec, ServiceSpec, Spec, WritePolicy,
};
use crate::Behavior;
use archsim_engine::SimTime;
use std::fmt;
use std::sync::Arc;

/// A duration for a builder: `"250ms"` (the scenario syntax) or a [`SimTime`].
pub trait IntoTime {
    /// The duration, or what is wrong with the text.
    fn into_time(self) -> Result<SimTime, String>;
}

impl IntoTime for SimTime {
    fn into_time(self) -> Result<SimTime, String> {
        Ok(self)
    }
}

impl IntoTime for &str {
    fn into_time(self) -> Result<SimTime, String> {
        parse_duration(self).map_err(|e| format!("{e} (got \"{self}\")"))
    }
}

impl IntoTime for String {
    fn into_time(self) -> Result<SimTime, String> {
        self.as_str().into_time()
    }
}

/// A distribution for a builder: `"exp(5ms)"` (the scenario syntax), a [`Dist`], or a
/// [`SimTime`] (always that long).
pub trait IntoDist {
    /// The distribution, or what is wrong with the text.
    fn into_dist(self) -> Result<Dist, String>;
}

impl IntoDist for Dist {
    fn into_dist(self) -> Result<Dist, String> {
        Ok(self)
    }
}

impl IntoDist for SimTime {
    fn into_dist(self) -> Result<Dist, String> {
        Ok(Dist::constant(self))
    }
}

impl IntoDist for &str {
    fn into_dist(self) -> Result<Dist, String> {
        Dist::parse(self).map_err(|e| format!("{e} (in \"{self}\" at character {})", e.offset + 1))
    }
}

impl IntoDist for String {
    fn into_dist(self) -> Result<Dist, String> {
        self.as_str().into_dist()
    }
}

/// The problems [`SpecBuilder::build`] found, each as `key: what is wrong`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    /// Every problem, in the order the builder met them.
    pub problems: Vec<String>,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("; "))
    }
}

impl std::error::Error for BuildError {}

/// Builds a [`Spec`]; made by [`Spec::builder`]. Method names follow the scenario keys.
#[derive(Debug)]
pub struct SpecBuilder {
    spec: Spec,
    problems: Vec<String>,
    /// Whether `class` has been called (the first call replaces the class `default`).
    classes_given: bool,
}

impl Spec {
    /// A builder for a model whose traffic arrives for `duration` (`run.duration`); every
    /// other key starts at its scenario default.
    pub fn builder(duration: impl IntoTime) -> SpecBuilder {
        let mut b = SpecBuilder {
            spec: Spec::default(),
            problems: Vec::new(),
            classes_given: false,
        };
        if let Some(d) = b.time(duration, "run.duration") {
            b.spec.duration = d;
        }
        b
    }
}

impl SpecBuilder {
    fn time(&mut self, t: impl IntoTime, key: &str) -> Option<SimTime> {
        t.into_time()
            .map_err(|e| self.problems.push(format!("{key}: {e}")))
            .ok()
    }

    fn dist(&mut self, d: impl IntoDist, key: &str) -> Option<Dist> {
        d.into_dist()
            .map_err(|e| self.problems.push(format!("{key}: {e}")))
            .ok()
    }

    /// `run.warmup`: requests arriving before this are left out of every figure.
    pub fn warmup(mut self, t: impl IntoTime) -> Self {
        if let Some(t) = self.time(t, "run.warmup") {
            self.spec.warmup = t;
        }
        self
    }

    /// `run.drain`: how long the run follows requests in flight after `duration`.
    pub fn drain(mut self, t: impl IntoTime) -> Self {
        if let Some(t) = self.time(t, "run.drain") {
            self.spec.drain = t;
        }
        self
    }

    /// `run.series_interval`: the width of a time-series bucket.
    pub fn series_interval(mut self, t: impl IntoTime) -> Self {
        if let Some(t) = self.time(t, "run.series_interval") {
            self.spec.series_interval = t;
        }
        self
    }

    /// `run.max_in_flight`: the run stops as overloaded beyond this many calls in the system.
    pub fn max_in_flight(mut self, n: u64) -> Self {
        self.spec.max_in_flight = n;
        self
    }

    /// `slo.latency`: a request is good if it succeeds within this. (The SLO's target is
    /// not part of the model; give it when running, e.g. to `archsim::simulate`.)
    pub fn slo_latency(mut self, t: impl IntoTime) -> Self {
        if let Some(t) = self.time(t, "slo.latency") {
            self.spec.slo_latency = Some(t);
        }
        self
    }

    /// `network.latency`: the one-way delay of every hop.
    pub fn network_latency(mut self, d: impl IntoDist) -> Self {
        if let Some(d) = self.dist(d, "network.latency") {
            self.spec.network_latency = d;
        }
        self
    }

    /// `traffic.entry`: the component that receives every request.
    pub fn entry(mut self, name: &str) -> Self {
        self.spec.traffic.entry = name.to_string();
        self
    }

    /// `traffic.rate`: an open loop of this many Poisson arrivals per second (see
    /// [`SpecBuilder::arrivals`]).
    pub fn rate(mut self, per_s: f64) -> Self {
        let arrivals = match self.spec.traffic.load {
            Load::Open { arrivals, .. } => arrivals,
            Load::Closed { .. } => Arrivals::Poisson,
        };
        self.spec.traffic.load = Load::Open {
            rate_per_s: per_s,
            arrivals,
        };
        self
    }

    /// `traffic.arrivals`: Poisson (the default) or evenly spaced arrivals of an open loop.
    pub fn arrivals(mut self, a: Arrivals) -> Self {
        match &mut self.spec.traffic.load {
            Load::Open { arrivals, .. } => *arrivals = a,
            Load::Closed { .. } => self
                .problems
                .push("traffic.arrivals applies only to an open loop (`rate`)".into()),
        }
        self
    }

    /// `traffic.users` and `traffic.think`: a closed loop of `users` who wait for each reply
    /// and think for a draw of `think` before the next request.
    pub fn users(mut self, users: u32, think: impl IntoDist) -> Self {
        if let Some(think) = self.dist(think, "traffic.think") {
            self.spec.traffic.load = Load::Closed { users, think };
        }
        self
    }

    /// `traffic.timeout`: the client gives up on an attempt after this.
    pub fn timeout(mut self, t: impl IntoTime) -> Self {
        if let Some(t) = self.time(t, "traffic.timeout") {
            self.spec.traffic.timeout = Some(t);
        }
        self
    }

    /// `traffic.keys`: each request carries a key drawn from Zipf(`zipf`) over `count` keys.
    pub fn keys(mut self, count: u64, zipf: f64) -> Self {
        self.spec.traffic.keys = Some(Keys { count, zipf });
        self
    }

    /// `traffic.classes.NAME.weight`: a request class. The first call replaces the class
    /// `default` that a model without classes has.
    pub fn class(mut self, name: &str, weight: f64) -> Self {
        if !self.classes_given {
            self.spec.traffic.classes.clear();
            self.classes_given = true;
        }
        self.spec.traffic.classes.push((name.to_string(), weight));
        self
    }

    /// `traffic.classes.NAME.keyed = false`: requests of this class carry no key.
    pub fn unkeyed(mut self, class: &str) -> Self {
        self.spec.traffic.unkeyed.push(class.to_string());
        self
    }

    /// `[traffic.retry]`: the client's retries (`RetrySpec::default()` has the scenario's
    /// defaults: 3 retries, 100 ms backoff doubled each time, no jitter, no budget).
    pub fn retry(mut self, retry: RetrySpec) -> Self {
        self.spec.traffic.retry = Some(retry);
        self
    }

    /// A component, after those added before it.
    pub fn component(mut self, c: Component) -> Self {
        self.problems.extend(c.problems);
        if c.needs_capacity {
            self.problems.push(format!(
                "components.{}.capacity: a cache needs `capacity`, the entries each instance holds",
                c.spec.name
            ));
        }
        self.spec.components.push(c.spec);
        self
    }

    /// A fault as written out.
    pub fn fault(mut self, f: FaultSpec) -> Self {
        self.spec.faults.push(f);
        self
    }

    fn add_fault(&mut self, target: &str, at: impl IntoTime, for_: impl IntoTime, kind: FaultKind) {
        let at = self.time(at, "faults.at");
        let duration = self.time(for_, "faults.for");
        let (name, instance) = match target.split_once('[') {
            None => (target.trim().to_string(), None),
            Some((n, rest)) => match rest.strip_suffix(']').and_then(|i| i.trim().parse().ok()) {
                Some(i) => (n.trim().to_string(), Some(i)),
                None => {
                    self.problems.push(format!(
                        "faults.target: `{target}`: write a component name, or name[index] for one instance"
                    ));
                    return;
                }
            },
        };
        if let (Some(at), Some(duration)) = (at, duration) {
            self.spec.faults.push(FaultSpec {
                at,
                duration,
                target: name,
                instance,
                kind,
            });
        }
    }

    /// A crash of `target` (`"db"`, or `"app[2]"` for one instance) at `at` for `for_`:
    /// requests to it fail at once and what it held is lost.
    pub fn crash(mut self, target: &str, at: impl IntoTime, for_: impl IntoTime) -> Self {
        self.add_fault(target, at, for_, FaultKind::Crash);
        self
    }

    /// A slowdown of `target` at `at` for `for_`: every CPU time drawn there is multiplied by
    /// `factor`.
    pub fn slow(
        mut self,
        target: &str,
        at: impl IntoTime,
        for_: impl IntoTime,
        factor: f64,
    ) -> Self {
        self.add_fault(target, at, for_, FaultKind::Slow(factor));
        self
    }

    /// A memory leak on `target` at `at` for `for_`: `per_request` bytes per call arriving and
    /// `per_second` bytes a second, freed only by a restart.
    pub fn leak(
        mut self,
        target: &str,
        at: impl IntoTime,
        for_: impl IntoTime,
        per_request: u64,
        per_second: f64,
    ) -> Self {
        self.add_fault(
            target,
            at,
            for_,
            FaultKind::Leak {
                per_request,
                per_second,
            },
        );
        self
    }

    /// A traffic spike at `at` for `for_`: the load is multiplied by `factor`.
    pub fn spike(mut self, at: impl IntoTime, for_: impl IntoTime, factor: f64) -> Self {
        self.add_fault("traffic", at, for_, FaultKind::Spike(factor));
        self
    }

    /// The model, or every problem found: malformed durations and distributions, a missing
    /// duration or entry, a warm-up not shorter than the duration, a cache without capacity.
    /// References between components are checked when the model is run.
    pub fn build(mut self) -> Result<Spec, BuildError> {
        let s = &self.spec;
        if s.duration == SimTime::ZERO
            && !self.problems.iter().any(|p| p.starts_with("run.duration"))
        {
            self.problems
                .push("run.duration must be more than 0s".into());
        }
        if s.warmup >= s.duration && s.duration > SimTime::ZERO {
            self.problems.push(format!(
                "run.warmup ({}) must be shorter than run.duration ({})",
                s.warmup, s.duration
            ));
        }
        if s.traffic.entry.is_empty() {
            self.problems
                .push("traffic.entry: name the component that receives every request".into());
        } else if !s.components.iter().any(|c| c.name == s.traffic.entry) {
            self.problems.push(format!(
                "traffic.entry: `{}` is not a component",
                s.traffic.entry
            ));
        }
        if self.problems.is_empty() {
            Ok(self.spec)
        } else {
            Err(BuildError {
                problems: self.problems,
            })
        }
    }
}

/// One component for [`SpecBuilder::component`], made by a constructor per kind; the
/// setters follow the scenario keys. A setter that does not apply to the kind is reported by
/// [`SpecBuilder::build`].
#[derive(Debug)]
pub struct Component {
    spec: ComponentSpec,
    problems: Vec<String>,
    /// A cache whose `capacity` has not been given.
    needs_capacity: bool,
}

impl From<ComponentSpec> for Component {
    fn from(spec: ComponentSpec) -> Self {
        Component {
            spec,
            problems: Vec::new(),
            needs_capacity: false,
        }
    }
}

impl Component {
    fn new(name: &str, kind: KindSpec) -> Self {
        Component::from(ComponentSpec {
            name: name.to_string(),
            kind,
            ..ComponentSpec::default()
        })
    }

    /// `kind = "service"`: unlimited cores, workers and queue until set; no endpoint until
    /// `cpu`, `calls` or `endpoint`.
    pub fn service(name: &str) -> Self {
        Component::new(name, KindSpec::Service(ServiceSpec::default()))
    }

    /// `kind = "database"`: a service shown as a database, with row locks on (as in a
    /// scenario) and no replicas until `replicas`.
    pub fn database(name: &str) -> Self {
        Component::new(
            name,
            KindSpec::Service(ServiceSpec {
                database: true,
                db: Some(DbSpec {
                    row_locks: true,
                    ..DbSpec::default()
                }),
                ..ServiceSpec::default()
            }),
        )
    }

    /// `kind = "load_balancer"` spreading requests over the instances of `targets`, round
    /// robin until `policy`.
    pub fn load_balancer(name: &str, targets: &str) -> Self {
        Component::new(
            name,
            KindSpec::LoadBalancer {
                targets: targets.to_string(),
                policy: Policy::RoundRobin,
            },
        )
    }

    /// `kind = "cache"` in front of `backing` (cache-aside, LRU, hits answered at once until
    /// `hit`); `capacity` is required.
    pub fn cache(name: &str, backing: &str) -> Self {
        let mut c = Component::new(
            name,
            KindSpec::Cache(CacheSpec {
                capacity: 0,
                entry_size: None,
                max_memory: None,
                eviction: Eviction::Lru,
                ttl: None,
                hit: Dist::Const(0),
                backing: backing.to_string(),
                write_classes: Vec::new(),
                write_policy: WritePolicy::Aside,
                flush_interval: SimTime::from_secs(1),
                coalesce: false,
                refresh_ahead: None,
                cdn: None,
            }),
        );
        c.needs_capacity = true;
        c
    }

    /// A kind of your own: `factory` makes one [`Behavior`] per instance of each run; `kind`
    /// is shown in results.
    pub fn custom(
        name: &str,
        kind: &str,
        factory: impl Fn() -> Box<dyn Behavior> + Send + Sync + 'static,
    ) -> Self {
        Component::new(
            name,
            KindSpec::Custom {
                kind: kind.to_string(),
                factory: Arc::new(factory),
            },
        )
    }

    /// The component as built so far.
    pub fn spec(&self) -> &ComponentSpec {
        &self.spec
    }

    fn wrong_kind(&mut self, key: &str) {
        self.problems.push(format!(
            "components.{}.{key} does not apply to a component of kind \"{}\"",
            self.spec.name,
            self.spec.kind.name()
        ));
    }

    fn service_mut(&mut self, key: &str) -> Option<&mut ServiceSpec> {
        if !matches!(self.spec.kind, KindSpec::Service(_)) {
            self.wrong_kind(key);
        }
        match &mut self.spec.kind {
            KindSpec::Service(s) => Some(s),
            _ => None,
        }
    }

    fn cache_mut(&mut self, key: &str) -> Option<&mut CacheSpec> {
        if !matches!(self.spec.kind, KindSpec::Cache(_)) {
            self.wrong_kind(key);
        }
        match &mut self.spec.kind {
            KindSpec::Cache(c) => Some(c),
            _ => None,
        }
    }

    /// The endpoint for `class`, made empty if missing.
    fn endpoint_mut(&mut self, key: &str, class: &str) -> Option<&mut EndpointSpec> {
        let s = self.service_mut(key)?;
        let i = match s.endpoints.iter().position(|(c, _)| c == class) {
            Some(i) => i,
            None => {
                s.endpoints
                    .push((class.to_string(), EndpointSpec::default()));
                s.endpoints.len() - 1
            }
        };
        Some(&mut s.endpoints[i].1)
    }

    fn parse_dist(&mut self, d: impl IntoDist, key: &str) -> Option<Dist> {
        let name = &self.spec.name;
        d.into_dist()
            .map_err(|e| self.problems.push(format!("components.{name}.{key}: {e}")))
            .ok()
    }

    /// `instances` (default 1).
    pub fn instances(mut self, n: u32) -> Self {
        self.spec.instances = n;
        self
    }

    /// Its memory model per instance (`memory`, `memory_base`, `memory_per_request`,
    /// `gc_overhead`).
    pub fn memory(mut self, m: crate::spec::MemorySpec) -> Self {
        self.spec.memory = Some(m);
        self
    }

    /// `balance`: how callers spread over the instances (default round robin).
    pub fn balance(mut self, p: Policy) -> Self {
        self.spec.balance = p;
        self
    }

    /// `cores` per instance (a service or database).
    pub fn cores(mut self, n: u32) -> Self {
        if let Some(s) = self.service_mut("cores") {
            s.cores = Some(n);
        }
        self
    }

    /// `machine`: the machine type each instance runs on; a service or database without
    /// `cores` gets the machine's (call [`Component::cores`] after it for fewer).
    pub fn machine(mut self, m: crate::Machine) -> Self {
        if let KindSpec::Service(s) = &mut self.spec.kind {
            s.cores = Some(m.cores);
        }
        self.spec.machine = Some(m);
        self
    }

    /// `usl`: the Universal Scalability Law's contention and coherency per instance (a
    /// service or database with cores).
    pub fn usl(mut self, sigma: f64, kappa: f64) -> Self {
        if let Some(s) = self.service_mut("usl") {
            s.usl = Some(crate::Usl { sigma, kappa });
        }
        self
    }

    /// `workers`: concurrency per instance, held from arrival to reply.
    pub fn workers(mut self, n: u32) -> Self {
        if let Some(s) = self.service_mut("workers") {
            s.workers = Some(n);
        }
        self
    }

    /// `queue`: requests that may wait per instance; beyond, an arrival is rejected.
    pub fn queue(mut self, n: u32) -> Self {
        if let Some(s) = self.service_mut("queue") {
            s.queue = Some(n);
        }
        self
    }

    /// `endpoints.default.cpu`: the CPU time of a request.
    pub fn cpu(self, d: impl IntoDist) -> Self {
        self.endpoint("default", d, [] as [&str; 0])
    }

    /// `endpoints.default.calls`: downstream calls, one after another, after the CPU time.
    pub fn calls<'a>(mut self, to: impl IntoIterator<Item = &'a str>) -> Self {
        if let Some(e) = self.endpoint_mut("calls", "default") {
            e.calls.extend(to.into_iter().map(CallSpec::to));
        }
        self
    }

    /// `endpoints.default.calls`: one call written out (a fanout, resilience policies).
    pub fn call(mut self, call: CallSpec) -> Self {
        if let Some(e) = self.endpoint_mut("calls", "default") {
            e.calls.push(call);
        }
        self
    }

    /// `endpoints.CLASS`: what a request of `class` (or `"default"`) does: its CPU time, then
    /// its calls (added to any given before).
    pub fn endpoint<'a>(
        mut self,
        class: &str,
        cpu: impl IntoDist,
        calls: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let cpu = self.parse_dist(cpu, &format!("endpoints.{class}.cpu"));
        if let Some(e) = self.endpoint_mut("endpoints", class) {
            if cpu.is_some() {
                e.cpu = cpu;
            }
            e.calls.extend(calls.into_iter().map(CallSpec::to));
        }
        self
    }

    /// `replicas` of a database: one primary and `n` read replicas (instances `1 + n`).
    pub fn replicas(mut self, n: u32) -> Self {
        match &mut self.spec.kind {
            KindSpec::Service(ServiceSpec { db: Some(db), .. }) => {
                db.replicas = n;
                self.spec.instances = 1 + n;
            }
            _ => self.wrong_kind("replicas"),
        }
        self
    }

    /// `writes`: the classes whose requests are writes (a cache or a database).
    pub fn writes<'a>(mut self, classes: impl IntoIterator<Item = &'a str>) -> Self {
        let classes: Vec<String> = classes.into_iter().map(str::to_string).collect();
        match &mut self.spec.kind {
            KindSpec::Cache(c) => c.write_classes = classes,
            KindSpec::Service(ServiceSpec { db: Some(db), .. }) => db.write_classes = classes,
            _ => self.wrong_kind("writes"),
        }
        self
    }

    /// `policy` of a load balancer.
    pub fn policy(mut self, p: Policy) -> Self {
        match &mut self.spec.kind {
            KindSpec::LoadBalancer { policy, .. } => *policy = p,
            _ => self.wrong_kind("policy"),
        }
        self
    }

    /// `capacity` of a cache: entries per instance.
    pub fn capacity(mut self, entries: u64) -> Self {
        if let Some(c) = self.cache_mut("capacity") {
            c.capacity = entries;
            self.needs_capacity = false;
        }
        self
    }

    /// `entry_size` of a cache: the bytes of each key's entry, a size or a distribution of
    /// sizes (`"4KiB"`, `"lognormal(p50=2KiB, p99=64KiB)"`), drawn once per key in a run.
    pub fn entry_size(mut self, size: &str) -> Self {
        let name = self.spec.name.clone();
        match Dist::parse_bytes(size) {
            Ok(d) => {
                if let Some(c) = self.cache_mut("entry_size") {
                    c.entry_size = Some(d);
                }
            }
            Err(e) => self
                .problems
                .push(format!("components.{name}.entry_size: {e}")),
        }
        self
    }

    /// `max_memory` of a cache: bytes of entries per instance (needs `entry_size`); without
    /// a `capacity`, the entries are bounded by the bytes alone.
    pub fn max_memory(mut self, bytes: u64) -> Self {
        let unbounded = self.needs_capacity;
        if let Some(c) = self.cache_mut("max_memory") {
            c.max_memory = Some(bytes);
            if unbounded {
                c.capacity = crate::limits::MAX_CACHE_CAPACITY;
            }
            self.needs_capacity = false;
        }
        self
    }

    /// `eviction` of a cache (default LRU).
    pub fn eviction(mut self, e: Eviction) -> Self {
        if let Some(c) = self.cache_mut("eviction") {
            c.eviction = e;
        }
        self
    }

    /// `ttl` of a cache: an entry older than this misses.
    pub fn ttl(mut self, t: impl IntoTime) -> Self {
        let name = self.spec.name.clone();
        match t.into_time() {
            Ok(t) => {
                if let Some(c) = self.cache_mut("ttl") {
                    c.ttl = Some(t);
                }
            }
            Err(e) => self.problems.push(format!("components.{name}.ttl: {e}")),
        }
        self
    }

    /// `hit` of a cache: the time to answer a hit.
    pub fn hit(mut self, d: impl IntoDist) -> Self {
        if let Some(d) = self.parse_dist(d, "hit") {
            if let Some(c) = self.cache_mut("hit") {
                c.hit = d;
            }
        }
        self
    }

    /// `write_policy` of a cache (default cache-aside).
    pub fn write_policy(mut self, w: WritePolicy) -> Self {
        if let Some(c) = self.cache_mut("write_policy") {
            c.write_policy = w;
        }
        self
    }

    /// `coalesce` of a cache: concurrent misses of one key share one backing call.
    pub fn coalesce(mut self, on: bool) -> Self {
        if let Some(c) = self.cache_mut("coalesce") {
            c.coalesce = on;
        }
        self
    }
}

impl From<Component> for ComponentSpec {
    /// The component as built; problems the builder noted are dropped (use
    /// [`SpecBuilder::component`] to have them reported).
    fn from(c: Component) -> Self {
        c.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_collected_with_their_keys() {
        let e = Spec::builder("10x")
            .entry("nowhere")
            .component(
                Component::service("app")
                    .cpu("expo(5ms)")
                    .policy(Policy::Random),
            )
            .component(Component::cache("c", "app"))
            .build()
            .unwrap_err();
        let all = e.to_string();
        for part in [
            "run.duration:",
            "components.app.endpoints.default.cpu: unknown distribution `expo`",
            "components.app.policy does not apply to a component of kind \"service\"",
            "components.c.capacity: a cache needs `capacity`",
            "traffic.entry: `nowhere` is not a component",
        ] {
            assert!(all.contains(part), "missing {part:?} in {all}");
        }
    }

    #[test]
    fn defaults_are_the_scenario_defaults() {
        let s = Spec::builder("1m")
            .entry("app")
            .component(Component::service("app"))
            .build()
            .unwrap();
        assert_eq!(s.drain, SimTime::from_secs(60));
        assert_eq!(s.series_interval, SimTime::from_secs(1));
        assert_eq!(s.traffic.classes, vec![("default".to_string(), 1.0)]);
        assert_eq!(s.components[0].instances, 1);
    }
}
