//! The typed description of an architecture and its traffic: what a [`crate::World`] is built
//! from. The `scenario` crate produces it from TOML; library users can write it in Rust.

use crate::behavior::Behavior;
use crate::dist::Dist;
use archsim_engine::SimTime;
use std::fmt;
use std::sync::Arc;

// Limits of a spec, where code that reads the spec has long found them.
pub use crate::limits::{DEFAULT_MAX_IN_FLIGHT, MAX_USERS};
// Each kind's spec lives with the kind.
pub use crate::world::heap::{GcSpec, MemorySpec};
pub use crate::world::kinds::cache::{CacheSpec, WritePolicy};
pub use crate::world::kinds::cdn::CdnSpec;
pub use crate::world::kinds::database::{
    DbSpec, DiskSpec, Reads, StorageAutoscale, StorageSpec, TableOp, TableSpec,
    DEFAULT_COMMIT_BYTES, DEFAULT_FANOUT, DEFAULT_INDEX_COST_NS, DEFAULT_INDEX_ROW_BYTES,
    DEFAULT_ROW_SIZE, DEFAULT_SCAN_COST_NS, DEFAULT_STORAGE_DELAY_NS, DEFAULT_STORAGE_THRESHOLD,
};
pub use crate::world::kinds::queue::QueueSpec;
pub use crate::world::kinds::service::{CallSpec, Discipline, EndpointSpec, ServiceSpec};

/// A whole model: run settings, traffic, components.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Traffic arrives during `[0, duration)`.
    pub duration: SimTime,
    /// Requests arriving before this are left out of latency and rate figures.
    pub warmup: SimTime,
    /// After `duration`, the run follows requests in flight for at most this long; those
    /// still without an outcome then count as `in_flight`.
    pub drain: SimTime,
    /// Width of a time-series bucket.
    pub series_interval: SimTime,
    /// The run stops with [`ModelError::Overload`] when more calls than this are in the
    /// system at once (requests, their downstream calls, and work whose client gave up): an
    /// unbounded queue under overload would otherwise eat the machine's memory.
    pub max_in_flight: u64,
    /// The run stops with [`ModelError::Backlog`] when a queue without a `capacity` holds more
    /// messages than this (the scenario crate sets it from the memory budget; `u64::MAX`: no
    /// bound).
    pub max_backlog: u64,
    /// A request is good if it succeeds within this (SLO latency).
    pub slo_latency: Option<SimTime>,
    /// The traffic.
    pub traffic: TrafficSpec,
    /// One-way delay added to every hop, request and reply.
    pub network_latency: Dist,
    /// The components, in declaration order.
    pub components: Vec<ComponentSpec>,
    /// Faults injected during the run.
    pub faults: Vec<FaultSpec>,
    /// Operations: restarts, health checks, failover, regions (all off by default).
    pub ops: OpsSpec,
    /// Alert rules, evaluated on each replication's series after it ran (none by default).
    pub alerts: archsim_stats::AlertsSpec,
    /// Where the time goes: each component's response time and phases, and the latency
    /// breakdown of the median's and the p99's requests (on by default; off, a run keeps
    /// neither and costs what it did without them).
    pub breakdown: bool,
    /// Keep each instance's series per interval (utilization, calls waiting, memory in use)
    /// for components with 2 to [`archsim_stats::INSTANCE_SERIES_MAX`] instances and a fixed
    /// instance count (`simulate --metrics` sets it; off by default: a run then keeps
    /// nothing more).
    pub instance_series: bool,
}

impl Default for Spec {
    /// The scenario defaults: no warm-up, 60 s of drain, 1 s series buckets, at most
    /// [`DEFAULT_MAX_IN_FLIGHT`] calls in flight, no SLO, no network latency, no components,
    /// faults or operations, and [`TrafficSpec::default`]. A scenario has no default
    /// `duration` (here 0) or entry: set both.
    fn default() -> Self {
        Spec {
            duration: SimTime::ZERO,
            warmup: SimTime::ZERO,
            drain: SimTime::from_secs(60),
            series_interval: SimTime::from_secs(1),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_backlog: u64::MAX,
            slo_latency: None,
            traffic: TrafficSpec::default(),
            network_latency: Dist::Const(0),
            components: Vec::new(),
            faults: Vec::new(),
            ops: OpsSpec::default(),
            alerts: archsim_stats::AlertsSpec::default(),
            breakdown: true,
            instance_series: false,
        }
    }
}

/// Operational features of a model: orchestrator restarts, balancer health checks, database
/// failover, regions and global balancing. The default turns every one of them off.
#[derive(Clone, Debug, Default)]
pub struct OpsSpec {
    /// Per component (by name): its operational settings.
    pub components: Vec<(String, CompOps)>,
    /// One-way latency between two regions (symmetric): (region, region, delay). A hop
    /// between components in different regions pays this instead of the network latency.
    pub region_latency: Vec<(String, String, Dist)>,
    /// Where requests come from: (region, weight). The client-to-entry hop pays the latency
    /// from the request's region to the entry's region.
    pub origins: Vec<(String, f64)>,
    /// The links between two regions that have a bandwidth (a pair without one has no
    /// limit).
    pub region_links: Vec<RegionLink>,
}

impl OpsSpec {
    /// The settings of component `name` (the defaults when it has none).
    pub fn of(&self, name: &str) -> CompOps {
        self.components
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, o)| o.clone())
            .unwrap_or_default()
    }
    /// The settings of each of `components`, in their order: one pass over the settings,
    /// where asking [`OpsSpec::of`] for each component would scan them all each time.
    pub fn per_component(&self, components: &[ComponentSpec]) -> Vec<CompOps> {
        let mut by_name: std::collections::HashMap<&str, &CompOps> =
            std::collections::HashMap::with_capacity(self.components.len());
        for (n, o) in &self.components {
            // The first settings of a name count, as `of` finds them.
            by_name.entry(n.as_str()).or_insert(o);
        }
        components
            .iter()
            .map(|c| {
                by_name
                    .get(c.name.as_str())
                    .map_or_else(CompOps::default, |o| (*o).clone())
            })
            .collect()
    }
}

/// The link between two regions: one FIFO queue per direction, each of `bandwidth`.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionLink {
    /// One region.
    pub a: String,
    /// The other.
    pub b: String,
    /// Bytes per second, each way.
    pub bandwidth: f64,
    /// Most bytes waiting each way; a message that would pass it is dropped (`link_full`).
    /// `None`: unbounded.
    pub buffer: Option<u64>,
}

/// One component's operational settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompOps {
    /// An orchestrator restarts a crashed instance after this delay, whatever the fault says.
    pub restart: Option<SimTime>,
    /// The region the component runs in (`None`: no region, no cross-region latency).
    pub region: Option<String>,
    /// A load balancer probes its targets' instances and skips the ones that fail.
    pub health_check: Option<HealthCheck>,
    /// A database with replicas promotes one when its primary is down.
    pub failover: Option<Failover>,
    /// A global load balancer: these components, the nearest with a healthy instance first.
    pub global_targets: Vec<String>,
    /// Each instance's network link, in bytes per second: what the instance sends (its
    /// responses and the requests it makes) queues there, FIFO, and takes size / bandwidth.
    /// `None`: no limit (a machine type may give the default).
    pub bandwidth: Option<f64>,
    /// Most bytes waiting on an instance's link; a message that would pass it is dropped
    /// and its call fails with `link_full`. `None`: unbounded.
    pub link_buffer: Option<u64>,
}

/// A balancer's active health check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthCheck {
    /// Time between probes of each instance.
    pub interval: SimTime,
    /// Consecutive failed probes that eject an instance.
    pub failures: u32,
}

/// Database failover: when the primary is down, a replica is promoted after `detect` +
/// `promote`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Failover {
    /// Time to notice that the primary is down.
    pub detect: SimTime,
    /// Time to promote a replica once noticed.
    pub promote: SimTime,
}

/// A fault: something that goes wrong at `at` for `duration`.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    /// When it starts.
    pub at: SimTime,
    /// How long it lasts.
    pub duration: SimTime,
    /// The component.
    pub target: String,
    /// One instance (`app[2]`), or all of them.
    pub instance: Option<u32>,
    /// What happens.
    pub kind: FaultKind,
}

/// Kinds of fault.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Requests to the instance fail at once (`unavailable`); what it held is lost.
    Crash,
    /// Every CPU time drawn there is multiplied by the factor.
    Slow(f64),
    /// A sharded component moves to `to` shards: over the fault's duration its keys move to
    /// their new shards (a growing, hash-chosen fraction of them), every shard's CPU times are
    /// multiplied by `factor` (the copying), and at the end the new layout is in force. The
    /// component gets instances for the new shards from the start; they idle until then.
    Reshard {
        /// Shards after the move.
        to: u32,
        /// CPU cost of the move on every shard while it runs.
        factor: f64,
    },
    /// Calls between the target and `peer` (either way) fail: at once with `partitioned`, or
    /// (`drop`) they are never answered, so the caller's timeout decides.
    Partition {
        /// The other component.
        peer: String,
        /// The calls vanish instead of failing.
        drop: bool,
    },
    /// Calls to the target (from `peer` only, if given) take `add` longer to arrive.
    Latency {
        /// Extra one-way delay on the way to the target.
        add: Dist,
        /// Only calls from this component.
        peer: Option<String>,
    },
    /// The target is a region: every instance of every component in it is down.
    Region,
    /// A rolling deployment of the target: `batch` instances at a time stop taking new calls,
    /// finish their work (at most `drain`), are down for `start_up`, and come back; then the
    /// next batch. The fault's duration is not used: the deployment takes as long as it takes.
    Deploy {
        /// Instances per batch.
        batch: u32,
        /// Time a new instance takes before it serves.
        start_up: SimTime,
        /// Longest wait for in-flight work before the instance is stopped anyway.
        drain: SimTime,
    },
    /// A traffic spike: the open-loop rate is multiplied by the factor for the fault's
    /// duration; a closed loop runs with `users x factor` users meanwhile. The target is the
    /// traffic (`"traffic"`), not a component.
    Spike(f64),
    /// A memory leak on the target's instances while the fault lasts: each call arriving
    /// there leaks `per_request` bytes, and memory grows by `per_second` bytes a second.
    /// Leaked memory is freed only when the instance restarts (after an OOM kill or another
    /// crash). The target needs a memory model.
    Leak {
        /// Bytes leaked by each call that arrives.
        per_request: u64,
        /// Bytes leaked per second.
        per_second: f64,
    },
}

/// How requests are generated.
#[derive(Clone, Debug)]
pub struct TrafficSpec {
    /// The component that receives every request.
    pub entry: String,
    /// Open or closed loop.
    pub load: Load,
    /// The client gives up on an attempt after this (error `timeout`).
    pub timeout: Option<SimTime>,
    /// Keys drawn from Zipf(s) over `count` keys.
    pub keys: Option<Keys>,
    /// Request classes and their weights (at least one).
    pub classes: Vec<(String, f64)>,
    /// Classes whose requests carry no key even when the traffic has keys (searches, lists).
    pub unkeyed: Vec<String>,
    /// The client's retry policy.
    pub retry: Option<RetrySpec>,
    /// A load curve: points `(at, factor)` with increasing `at`. The traffic is multiplied by
    /// the factor interpolated linearly between points (constant before the first and after
    /// the last), updated every second: the open-loop rate, or the number of closed-loop users
    /// in the loop. Empty: no curve. Spikes multiply on top.
    pub profile: Vec<(SimTime, f64)>,
}

impl Default for TrafficSpec {
    /// The scenario defaults: an open loop of Poisson arrivals (rate 0 until set), one class
    /// `default`, no timeout, keys, retries or load curve. The entry (here empty) has no
    /// default: set it.
    fn default() -> Self {
        TrafficSpec {
            entry: String::new(),
            load: Load::Open {
                rate_per_s: 0.0,
                arrivals: Arrivals::Poisson,
            },
            timeout: None,
            keys: None,
            classes: vec![("default".to_string(), 1.0)],
            unkeyed: Vec::new(),
            retry: None,
            profile: Vec::new(),
        }
    }
}

/// Open loop (a rate) or closed loop (users who think and wait).
#[derive(Clone, Debug)]
pub enum Load {
    /// Arrivals per second.
    Open {
        /// Per second.
        rate_per_s: f64,
        /// Poisson or evenly spaced.
        arrivals: Arrivals,
    },
    /// A fixed population of users.
    Closed {
        /// How many.
        users: u32,
        /// Think time between a reply (or timeout) and the next request.
        think: Dist,
    },
}

/// Arrival process of an open loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrivals {
    /// Exponential gaps.
    Poisson,
    /// Evenly spaced, the first at time zero.
    Uniform,
}

/// Request keys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Keys {
    /// Number of distinct keys.
    pub count: u64,
    /// Zipf exponent; 0 = uniform.
    pub zipf: f64,
}

/// Client retries.
#[derive(Clone, Debug, PartialEq)]
pub struct RetrySpec {
    /// Retries after the first attempt.
    pub max: u32,
    /// Delay before the first retry.
    pub backoff: SimTime,
    /// Factor applied to the delay for each next retry.
    pub multiplier: f64,
    /// Full jitter: the delay is drawn uniformly between 0 and its value.
    pub jitter: bool,
    /// Retries may be at most this fraction of first attempts (token bucket).
    pub budget: Option<f64>,
}

impl Default for RetrySpec {
    /// The scenario defaults of `[traffic.retry]`: 3 retries, 100 ms before the first,
    /// doubled for each next one, no jitter, no budget.
    fn default() -> Self {
        RetrySpec {
            max: 3,
            backoff: SimTime::from_millis(100),
            multiplier: 2.0,
            jitter: false,
            budget: None,
        }
    }
}

/// A named component.
#[derive(Clone, Debug)]
pub struct ComponentSpec {
    /// Unique name.
    pub name: String,
    /// Instances (at least 1).
    pub instances: u32,
    /// How callers spread over the instances.
    pub balance: Policy,
    /// The machine type each instance runs on (`machine = "general.4xlarge"`), if named:
    /// its cores are the default of a service's `cores` (already applied to the kind's spec
    /// by the scenario check), its memory, network and disk the defaults of those
    /// resources, its price the default cost per instance-hour. `None` = no machine named.
    pub machine: Option<crate::Machine>,
    /// What kind and its parameters.
    pub kind: KindSpec,
    /// Memory per instance (capacity, base, per request, garbage collection); `None`: no
    /// memory model, and no cost of one.
    pub memory: Option<MemorySpec>,
}

impl Default for ComponentSpec {
    /// One instance of a service with unlimited cores and no endpoints, reached round robin;
    /// the name (here empty) has no default.
    fn default() -> Self {
        ComponentSpec {
            name: String::new(),
            instances: 1,
            balance: Policy::RoundRobin,
            machine: None,
            kind: KindSpec::Service(ServiceSpec::default()),
            memory: None,
        }
    }
}

/// Policies for choosing an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// In turn.
    RoundRobin,
    /// Uniformly at random.
    Random,
    /// The instance with the fewest calls outstanding (ties: lowest index).
    LeastOutstanding,
    /// Power of two choices: the less loaded of two random instances.
    P2c,
    /// By a hash of the request key (sharding); requests without a key go to every instance
    /// when they are a downstream call (scatter-gather), in turn otherwise.
    Hash,
    /// By key range: the key space `[0, count)` split evenly (sequential keys, so with Zipf
    /// keys the lowest range is the hottest).
    Range,
    /// Consistent hashing: 64 virtual nodes per instance on a ring.
    Consistent,
}

impl Policy {
    /// Parses a policy name.
    pub fn parse(s: &str) -> Option<Policy> {
        Some(match s {
            "round_robin" => Policy::RoundRobin,
            "random" => Policy::Random,
            "least_outstanding" => Policy::LeastOutstanding,
            "p2c" => Policy::P2c,
            "hash" => Policy::Hash,
            "range" => Policy::Range,
            "consistent" => Policy::Consistent,
            _ => return None,
        })
    }
    /// Whether the policy routes by request key.
    pub fn by_key(self) -> bool {
        matches!(self, Policy::Hash | Policy::Range | Policy::Consistent)
    }
    /// The policy names.
    pub const NAMES: &'static [&'static str] = &[
        "round_robin",
        "random",
        "least_outstanding",
        "p2c",
        "hash",
        "range",
        "consistent",
    ];
}

/// A component kind with its parameters.
// Built once per run and never moved on a hot path: the service's size (its autoscaler and
// scaling law) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum KindSpec {
    /// An application service.
    Service(ServiceSpec),
    /// A load balancer over the instances of another component.
    LoadBalancer {
        /// The component whose instances receive the requests.
        targets: String,
        /// How to choose an instance.
        policy: Policy,
    },
    /// A cache in front of a backing component (cache-aside).
    Cache(CacheSpec),
    /// A message broker (Kafka/SQS-like) with a consumer group.
    Queue(QueueSpec),
    /// A user-defined kind: a factory called once per instance of each run.
    Custom {
        /// Shown in results as the component's kind.
        kind: String,
        /// Makes one behaviour per instance.
        factory: Arc<dyn Fn() -> Box<dyn Behavior> + Send + Sync>,
    },
}

impl fmt::Debug for KindSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KindSpec::Service(s) => f.debug_tuple("Service").field(s).finish(),
            KindSpec::LoadBalancer { targets, policy } => f
                .debug_struct("LoadBalancer")
                .field("targets", targets)
                .field("policy", policy)
                .finish(),
            KindSpec::Cache(c) => f.debug_tuple("Cache").field(c).finish(),
            KindSpec::Queue(q) => f.debug_tuple("Queue").field(q).finish(),
            KindSpec::Custom { kind, .. } => f.debug_struct("Custom").field("kind", kind).finish(),
        }
    }
}

impl KindSpec {
    /// The kind's name as shown in results.
    pub fn name(&self) -> &str {
        match self {
            KindSpec::Service(s) if s.database => "database",
            KindSpec::Service(s) if s.gateway => "gateway",
            KindSpec::Service(_) => "service",
            KindSpec::LoadBalancer { .. } => "load_balancer",
            KindSpec::Cache(c) if c.cdn.is_some() => "cdn",
            KindSpec::Cache(_) => "cache",
            KindSpec::Queue(_) => "queue",
            KindSpec::Custom { kind, .. } => kind,
        }
    }
}

/// A horizontal autoscaler (Kubernetes HPA-like) on a service.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoscaleSpec {
    /// Utilization (busy cores / cores of ready instances) the scaler aims at.
    pub target_utilization: f64,
    /// How often utilization is evaluated (over the last interval).
    pub interval: SimTime,
    /// Scale-in follows the highest recommendation over this window.
    pub stabilization: SimTime,
    /// Fewest instances.
    pub min: u32,
    /// Most instances (all are allocated up front; inactive ones idle).
    pub max: u32,
    /// Time from the decision to scale out until a new instance takes traffic.
    pub startup: SimTime,
    /// The signal scaled on, with its target (CPU: `target_utilization`).
    pub metric: ScaleMetric,
    /// With `min = 0`: after this long with no request the component scales to zero
    /// instances.
    pub idle: SimTime,
    /// With `min = 0`: how long the first request after a scale to zero waits for an
    /// instance (the requests arriving meanwhile wait with it).
    pub cold_start: Dist,
}

impl AutoscaleSpec {
    /// The target in the metric's unit: the value per ready instance the scaler aims at.
    pub fn target(&self) -> f64 {
        match &self.metric {
            ScaleMetric::Cpu => self.target_utilization,
            ScaleMetric::Queue { per_instance } => *per_instance,
            ScaleMetric::Rate { per_instance_per_s } => *per_instance_per_s,
            ScaleMetric::Latency { target, .. } => target.as_nanos() as f64,
            ScaleMetric::Memory { utilization } => *utilization,
        }
    }
}

/// What an autoscaler scales on. The HPA rule is the same for each: desired instances =
/// ceil(ready x value / target), `value` read per ready instance over the evaluation
/// interval. A new signal is one arm here and one reading in `World::scale_reading`.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum ScaleMetric {
    /// CPU utilization of the ready instances (busy cores / cores), against
    /// [`AutoscaleSpec::target_utilization`].
    #[default]
    Cpu,
    /// Calls waiting (for a worker or a core) per ready instance.
    Queue {
        /// The waiting calls per instance aimed at.
        per_instance: f64,
    },
    /// Calls answered per second per ready instance.
    Rate {
        /// The calls per second per instance aimed at.
        per_instance_per_s: f64,
    },
    /// A percentile of the component's response time (arrival to answer) over the
    /// interval; desired = ceil(ready x latency / target), as Kubernetes scales on a custom
    /// metric of the "Object" kind.
    Latency {
        /// The quantile, in (0, 1): 0.99 for p99.
        quantile: f64,
        /// The response time aimed at.
        target: SimTime,
        /// Only calls of this request class; `None` = every class.
        class: Option<String>,
    },
    /// Memory utilization of the ready instances (use / capacity, leaks included).
    Memory {
        /// The utilization aimed at, in (0, 1].
        utilization: f64,
    },
}

/// The caller's resilience policies on one call (each leg of a fanout separately).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CallPolicy {
    /// The caller gives up on an attempt after this (error `timeout`).
    pub timeout: Option<SimTime>,
    /// Retries after a failed or timed-out attempt.
    pub retries: u32,
    /// Delay before the first retry, doubled for each next one.
    pub backoff: SimTime,
    /// Circuit breaker, per caller instance.
    pub breaker: Option<BreakerSpec>,
    /// At most this many concurrent calls per caller instance; beyond, `bulkhead_full`.
    pub bulkhead: Option<u32>,
    /// Without an answer after this, a second copy goes to another instance; the first
    /// success wins and the other copy is cancelled.
    pub hedge: Option<SimTime>,
    /// On failure, answer after a draw of this instead; the request is then degraded.
    pub fallback: Option<Dist>,
}

/// A circuit breaker: closed, open after too many failures, half-open to probe.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerSpec {
    /// Opens when at least this fraction of the calls in the window failed ...
    pub failure_rate: f64,
    /// ... over this sliding window ...
    pub window: SimTime,
    /// ... and the window holds at least this many calls.
    pub min_calls: u32,
    /// Stays open (calls fail at once with `circuit_open`) for this long ...
    pub open_for: SimTime,
    /// ... then lets this many trial calls through: all succeed = closed, one fails = open.
    pub half_open: u32,
}

/// A model that cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelError {
    /// A component name is used twice.
    DuplicateComponent(String),
    /// A name refers to no component.
    UnknownComponent {
        /// Who refers to it.
        from: String,
        /// The missing name.
        name: String,
    },
    /// A fanout asks for more instances than the target has.
    FanoutTooWide {
        /// The calling component.
        from: String,
        /// The callee.
        to: String,
        /// Requested fanout.
        fanout: u32,
        /// Instances available.
        instances: u32,
    },
    /// Calls form a cycle.
    Cycle(Vec<String>),
    /// A number out of its range.
    OutOfRange(String),
    /// More requests were live at once than the run allows.
    Overload {
        /// When the limit was crossed.
        at: SimTime,
        /// The limit.
        limit: u64,
    },
    /// A queue without a `capacity` held more messages than the run allows.
    Backlog {
        /// When the bound was crossed.
        at: SimTime,
        /// The queue.
        queue: String,
        /// The bound.
        limit: u64,
    },
    /// Simulated time stopped advancing: a whole budget of events happened at one instant.
    Stalled {
        /// The instant.
        at: SimTime,
        /// Events that passed without the clock moving.
        events: u64,
        /// Components that kept handling calls at that instant.
        components: Vec<String>,
        /// The likely cause and what to change.
        cause: String,
    },
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::DuplicateComponent(n) => write!(f, "component `{n}` is defined twice"),
            ModelError::UnknownComponent { from, name } => {
                write!(f, "`{from}` refers to `{name}`, which is not a component")
            }
            ModelError::FanoutTooWide {
                from,
                to,
                fanout,
                instances,
            } => write!(
                f,
                "`{from}` fans out to {fanout} instances of `{to}`, which has only {instances}"
            ),
            ModelError::Cycle(path) => write!(f, "calls form a cycle: {}", path.join(" -> ")),
            ModelError::OutOfRange(m) => f.write_str(m),
            ModelError::Overload { at, limit } => write!(
                f,
                "overload: more than {limit} calls in the system at t = {:.3}s; it cannot keep \
                 up with its traffic and its queues are unbounded. Bound them (`queue`) or \
                 raise run.max_in_flight",
                at.as_secs_f64()
            ),
            ModelError::Backlog { at, queue, limit } => write!(
                f,
                "overload: queue `{queue}` held more than {limit} messages at t = {:.3}s; its \
                 consumers cannot keep up and it has no `capacity`. Bound it (`capacity`)",
                at.as_secs_f64()
            ),
            ModelError::Stalled {
                at,
                events,
                components,
                cause,
            } => {
                write!(
                    f,
                    "simulated time stopped advancing at t = {:.3}s: more than {events} events \
                     happened at that instant",
                    at.as_secs_f64()
                )?;
                if !components.is_empty() {
                    write!(f, ", handled by {}", components.join(", "))?;
                }
                write!(f, ". Likely cause: {cause}")
            }
        }
    }
}

impl std::error::Error for ModelError {}
