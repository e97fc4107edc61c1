//! The world: every component of one run, the request arena, and the event handler that moves
//! requests between them.
//!
//! # One request's way
//!
//! The traffic source draws an arrival, gives the request a class and a key and sends its
//! first attempt, a *call*, to the entry component. A call is an arena slot naming the
//! component and instance it is at, its parent call (or the client) and its progress. At a
//! service the call waits for a worker (if `workers` is set) or a core in a bounded waiting
//! room, spends its CPU time, then makes its downstream calls one after another (a fanout
//! step sends several at once and waits for all); then it frees its worker and replies. Every
//! hop, request and reply, pays the network latency; when that is zero, the hop is a direct
//! function call rather than an event, which keeps a simple M/M/1 at two events per request.
//! The reply reaches the client, which records the outcome, or retries.
//!
//! # Accounting
//!
//! A request is *live* from its first attempt until its final outcome. Every outcome goes to
//! the [`Recorder`] exactly once; at the end, live requests are `in_flight`, so
//! `generated = succeeded + failed + in_flight` holds by construction (and is asserted).

use crate::behavior::{Behavior, BehaviorCtx, CallId, Effect, Request};
use crate::cache::{KeyHasher, KeyStore, Lookup};
use crate::dist::Dist;
use crate::spec::{
    AutoscaleSpec, CallPolicy, Discipline, FaultKind, KindSpec, Load, ModelError, Policy, Reads,
    RetrySpec, Spec, WritePolicy,
};
use archsim_engine::{stream, Context, Handler, SimTime, Simulation, Stream};
use archsim_stats::{ComponentStats, Recorder, RunStats, TimeAverage, Window};
use rand::Rng;
use rand_distr::{Distribution, Zipf};
use std::collections::HashMap;
use std::collections::VecDeque;
use std::hash::BuildHasherDefault;

const NONE: u32 = u32::MAX;
/// Parent of a call the system makes on its own behalf (a replica applying a write).
const INTERNAL: u32 = u32::MAX - 1;
/// `gen` of an internal call: a replica applying a write.
const APPLY: u32 = 0;
/// `gen` of an internal call: a consumer handling a message (`req` is the queue).
const CONSUME: u32 = 1;
/// `gen` of an internal call: a write-behind cache flushing a write (`req` is the cache).
const FLUSH: u32 = 2;
/// `gen` of an internal call: a cache refreshing an entry ahead of its TTL (`req` is the
/// cache, `aux` its instance).
const REFRESH: u32 = 3;

mod replica_scale;
mod resilience;
use resilience::scale_period;

/// A consistent-hashing ring: (point, instance), sorted by point.
type Ring = Vec<(u64, u32)>;

/// A consistent-hashing ring of `n` instances, 64 virtual nodes each.
fn ring_of(n: u32) -> Ring {
    let mut ring: Vec<(u64, u32)> = (0..n)
        .flat_map(|i| (0..64u64).map(move |v| (mix64((i as u64) << 32 | v), i)))
        .collect();
    ring.sort_unstable();
    ring
}

/// The instance of `key` among `n` under a key policy.
#[inline]
fn route_key(policy: Policy, key: u64, n: u32, key_count: u64, ring: &[(u64, u32)]) -> u32 {
    match policy {
        Policy::Range => ((key.min(key_count - 1) as u128 * n as u128) / key_count as u128) as u32,
        Policy::Consistent => {
            let h = mix64(key ^ 0x5851_f42d_4c95_7f2d);
            let i = ring.partition_point(|(p, _)| *p < h);
            ring[i % ring.len()].1
        }
        _ => (mix64(key) % n as u64) as u32,
    }
}

/// A key's position in [0, 1), for choosing which keys have moved during a reshard.
#[inline]
fn key_unit(key: u64) -> f64 {
    (mix64(key ^ 0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
}

/// SplitMix64 finalizer: spreads keys for hash routing.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
const NO_KEY: u64 = u64::MAX;

/// Error reason indices fixed by the world (more are added by custom components).
pub const TIMEOUT: usize = 0;
/// A full waiting room.
pub const REJECTED: usize = 1;
/// A crashed component.
pub const UNAVAILABLE: usize = 2;
const BASE_REASONS: [&str; 3] = ["timeout", "rejected", "unavailable"];

/// An event of the world. Small and plain: it is copied through the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// The open-loop source's next arrival (generation: a change of the traffic's factor
    /// redraws the pending arrival, and the old one is ignored).
    Arrival(u32),
    /// A closed-loop user ends thinking.
    Wake(u32),
    /// A call reaches its component.
    Deliver(u32),
    /// A call's CPU time ends.
    CpuDone(u32),
    /// A call's reply reaches its parent (or the client).
    Reply(u32),
    /// A custom component's delayed reply.
    Finish(u32),
    /// An attempt's client timeout (request, attempt generation).
    Timeout(u32, u32),
    /// A retry is due (request, generation).
    Retry(u32, u32),
    /// A custom component's timer (index into the timer table).
    Timer(u32),
    /// Fault `i` starts.
    FaultStart(u32),
    /// Fault `i` ends.
    FaultEnd(u32),
    /// An orchestrator restarts a crashed instance (component, instance).
    Restart(u32, u32),
    /// A load balancer probes its targets' instances.
    Probe(u32),
    /// A database's failover promotes a replica (component).
    Promote(u32),
    /// The next step of the rolling deployment of fault `i`.
    Deploy(u32),
    /// A write-behind cache instance flushes (component, instance).
    Flush(u32, u32),
    /// A guarded call's attempt timed out (guard, token).
    GuardTimeout(u32, u32),
    /// A guarded call's hedge delay passed (guard, token).
    GuardHedge(u32, u32),
    /// A guarded call's retry is due (guard, token).
    GuardRetry(u32, u32),
    /// A guarded call's fallback answers (guard, token).
    GuardFallback(u32, u32),
    /// A circuit breaker's open time ends (policy, caller instance).
    BreakerHalfOpen(u32, u32),
    /// An autoscaler samples utilization (scaler index).
    ScaleTick(u32),
    /// A started instance becomes ready (scaler index).
    ScaleReady(u32),
    /// The traffic profile's factor is due for an update.
    Profile,
}

/// `Call::cancelled`: the caller timed out on it (dropped only where `drop_expired` is set).
const CANCEL_TIMEOUT: u8 = 1;
/// `Call::cancelled`: a hedge copy that lost (dropped before its CPU time).
const CANCEL_HEDGE: u8 = 2;

/// Circuit breaker states.
const CLOSED: u8 = 0;
const OPEN: u8 = 1;
const HALF_OPEN: u8 = 2;

/// A circuit breaker of one caller instance on one call: outcomes in a sliding window of ten
/// sub-buckets.
#[derive(Clone, Copy, Debug, Default)]
struct Breaker {
    state: u8,
    /// Index of the current sub-bucket (time / width).
    cur: u64,
    /// (calls, failures) per sub-bucket, a ring.
    buckets: [(u32, u32); 10],
    /// Half-open: trial calls let through, and how many succeeded.
    trials: u32,
    trial_ok: u32,
}

/// The policies of one call step of one caller, with their state and counters.
struct PolicyRt {
    caller: u32,
    to: u32,
    p: CallPolicy,
    /// Per caller instance.
    breakers: Vec<Breaker>,
    /// Per caller instance: guarded calls in progress (the bulkhead).
    in_use: Vec<u32>,
    calls: u64,
    hedges: u64,
    timeouts: u64,
    retries: u64,
    fallbacks: u64,
    open_rejects: u64,
    bulkhead_rejects: u64,
    opens: u64,
}

/// One guarded call (one leg of a step): its attempts, hedge copy and timers.
#[derive(Clone, Copy, Debug)]
struct Guard {
    parent: u32,
    policy: u32,
    caller_inst: u32,
    to: u32,
    /// Copies in flight (`NONE` = empty): the attempt and its hedge.
    tries: [u32; 2],
    first_inst: u32,
    attempts: u32,
    /// Grows with every attempt (and across reuse) so stale timers never match.
    token: u32,
    live: bool,
    hedged: bool,
    /// The current attempt is a half-open trial of the breaker.
    trial: bool,
    holds_bulkhead: bool,
    /// The leg belongs to one instance (the callee routes by key, or a scatter-gather leg):
    /// retries go to `first_inst` again and no hedge copy is sent elsewhere.
    pinned: bool,
}

/// An autoscaler on one service.
struct Scaler {
    comp: u32,
    /// Scales a database's read replicas (counts below are replicas, not instances).
    db: bool,
    spec: AutoscaleSpec,
    /// Instances started and not yet ready.
    starting: u32,
    /// Utilization samples summed since the last evaluation, and their count.
    sum: f64,
    n: u32,
    /// Recommendations in the stabilization window: (time, instances).
    history: VecDeque<(u64, u32)>,
    /// Ready instance count after each change: (time, instances).
    changes: Vec<(u64, u32)>,
}

/// Utilization samples per autoscaler interval.
const SCALE_SAMPLES: u32 = 30;

#[derive(Clone, Copy, Debug)]
struct Call {
    parent: u32,
    req: u32,
    gen: u32,
    comp: u32,
    inst: u32,
    /// Downstream calls outstanding (at most `u16::MAX`: instances are capped at 65,535).
    pending: u16,
    class: u16,
    step: u16,
    /// 0 = no error, else reason index + 1.
    err: u8,
    holds_worker: bool,
    /// Holds the row lock of its key.
    holds_lock: bool,
    /// The component has answered (or failed) this call.
    done: bool,
    /// Its instance crashed while holding it: its caller was told, and the slot lives on only
    /// until the events that still refer to it have run.
    orphan: bool,
    /// Reached its instance.
    delivered: bool,
    /// The slot is on the free list.
    free: bool,
    /// The client's region (requests from the client only; `NO_REGION` otherwise).
    origin: u8,
    /// The caller gave up on it (`CANCEL_*`), or 0.
    cancelled: u8,
    /// The guard (policies) it answers to, or `NONE`.
    guard: u32,
    key: u64,
    arrived: u64,
    /// Internal calls: the write's commit time (replica applies).
    aux: u64,
}

// A call record fits one cache line (the arena is the hot path's main memory traffic).
const _: () = assert!(std::mem::size_of::<Call>() <= 64);

impl Call {
    /// A fresh call from `parent` (a call, the client `NONE`, or `INTERNAL`) to an instance.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn new(
        parent: u32,
        req: u32,
        gen: u32,
        comp: u32,
        inst: u32,
        class: u16,
        key: u64,
        aux: u64,
    ) -> Call {
        Call {
            parent,
            req,
            gen,
            comp,
            inst,
            pending: 0,
            class,
            step: 0,
            err: 0,
            holds_worker: false,
            holds_lock: false,
            done: false,
            orphan: false,
            delivered: false,
            free: false,
            origin: NO_REGION,
            cancelled: 0,
            guard: NONE,
            key,
            arrived: 0,
            aux,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Req {
    start: u64,
    key: u64,
    user: u32,
    gen: u32,
    attempts: u32,
    class: u16,
    origin: u8,
    live: bool,
    /// A fallback answered for a failed call of the current attempt.
    degraded: bool,
}

struct Inst {
    busy_cores: u32,
    busy_workers: u32,
    /// Waiting for admission: a worker if `workers` is set, else a core.
    wait_q: VecDeque<u32>,
    /// Holding a worker, waiting for a core.
    cpu_q: VecDeque<u32>,
    /// Calls sent to this instance and not yet replied (what balancers look at).
    outstanding: u32,
    busy: TimeAverage,
    queue: TimeAverage,
    /// Crashed: every call to it fails at once.
    down: bool,
    /// Factor on every CPU time drawn: the product of the active `slow` faults.
    slow: f64,
    /// Active slow factors, and active crash faults (faults may overlap).
    slows: Vec<f64>,
    crashes: u32,
    /// Calls answered.
    served: u64,
    /// Token bucket: tokens and when they were last counted.
    tokens: f64,
    tokens_at: u64,
    /// Taken out of rotation by a rolling deployment: callers choose other instances.
    out: bool,
    /// Down for a deployment's start-up.
    deploying: bool,
    /// Active region outages covering this instance.
    region_down: u32,
    /// When an orchestrator restart is due (0: none).
    restart_at: u64,
}

struct Endpoint {
    cpu: Option<Dist>,
    calls: Vec<(u32, u32)>,
    /// By step: index into `World::policies`, or `NONE`.
    policy: Vec<u32>,
}

struct Svc {
    cores: Option<u32>,
    workers: Option<u32>,
    queue: Option<u32>,
    /// By class index.
    endpoints: Vec<Endpoint>,
    db: Option<Box<DbState>>,
    /// Token bucket: (rate per ns, burst); per-instance state in `Inst::tokens`.
    limit: Option<(f64, f64)>,
    limited: u64,
    limited_reason: usize,
    /// Drop work whose caller gave up when it reaches the CPU.
    drop_expired: bool,
    /// Serve the newest waiting request when more than this many wait (`None` = FIFO).
    lifo_above: Option<u32>,
    /// Calls dropped before their CPU time because their caller had given up.
    dropped: u64,
    /// No workers, rate limit or database: an arriving call goes straight to core admission.
    plain: bool,
}

type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// Replication and locking state of a database.
struct DbState {
    /// Read replicas that take reads (instances `1..=replicas` while the primary is 0).
    replicas: u32,
    /// Autoscaled replicas starting (the next instances after the ready ones): they take
    /// writes but no reads yet.
    starting: u32,
    lag: Dist,
    reads: Reads,
    /// By class index.
    is_write: Vec<bool>,
    row_locks: bool,
    rr: u32,
    /// Commit time of the latest write of each key at the primary.
    latest: KeyMap<u64>,
    /// Per replica: commit time of the latest write of each key applied there.
    applied: Vec<KeyMap<u64>>,
    /// Per instance: keys locked by a write, with the writes waiting for them.
    locks: Vec<KeyMap<VecDeque<u32>>>,
    stale_reads: u64,
    replica_reads: u64,
    /// The queue feeding this read model, and reads checked against it.
    source: Option<u32>,
    model_reads: u64,
    lock_waits: u64,
    applies: u64,
    lag_total_us: u64,
    /// The instance that takes writes (0 until a failover promotes another).
    primary: u32,
    /// Failover: (detect + promote) in ns.
    failover: Option<u64>,
    /// When the pending promotion is due (0: none).
    promote_at: u64,
    /// Bumped at each promotion: replication from an older primary is void.
    term: u32,
    /// Per instance: writes shipped to it and not yet arrived (lost if it is promoted).
    undelivered: Vec<u64>,
    lost_writes: u64,
}

struct CacheBody {
    stores: Vec<KeyStore>,
    policy: WritePolicy,
    flush_interval: SimTime,
    coalesce: bool,
    /// Write-behind, per instance: buffered writes (key, class) in order, and membership.
    dirty: Vec<Vec<(u64, u16)>>,
    dirty_set: Vec<KeyMap<()>>,
    flushing: Vec<bool>,
    /// Coalescing, per instance: read misses waiting on another miss of their key.
    waiting: Vec<KeyMap<Vec<u32>>>,
    coalesced: u64,
    flushed: u64,
    lost_writes: u64,
    /// Refresh-ahead: age (ns) past which a hit refreshes; keys being refreshed.
    refresh_after_ns: Option<u64>,
    refreshing: Vec<KeyMap<()>>,
    refreshes: u64,
    /// CDN: by class, served at the edge; hit probability; user-to-edge round trip.
    edge_class: Option<Vec<bool>>,
    hit_prob: Option<f64>,
    edge: Dist,
    hit: Dist,
    backing: u32,
    /// By class index.
    is_write: Vec<bool>,
    hits: u64,
    misses: u64,
    writes: u64,
    /// Lookups that hit / missed, per series bucket (warm-up included), for `hit_ratio`.
    hits_per: Vec<u64>,
    misses_per: Vec<u64>,
}

/// How a call resumes from the work list.
#[derive(Clone, Copy, Debug)]
enum Resume {
    LockThenCpu,
    StartCpu,
    CoreAdmission,
}

struct Msg {
    class: u16,
    key: u64,
    published: u64,
}

struct QueueBody {
    backlog: VecDeque<Msg>,
    publish: Dist,
    consumers: u32,
    busy: u32,
    target: u32,
    durable: bool,
    capacity: Option<u64>,
    /// Messages published and not yet consumed, by key (for CQRS staleness).
    unconsumed: KeyMap<u32>,
    published: u64,
    consumed: u64,
    failed: u64,
    lost: u64,
    lag_total_us: u64,
    lag_samples: u64,
    /// Per series bucket: most messages waiting, sum of lag (ms), messages consumed.
    backlog_max: Vec<f64>,
    lag_ms_sum: Vec<f64>,
    consumed_per: Vec<f64>,
}

enum Body {
    Queue(QueueBody),
    Service(Svc),
    Lb { target: u32, policy: Policy },
    Cache(CacheBody),
    Custom(Vec<Box<dyn Behavior>>),
}

struct Comp {
    name: String,
    kind: String,
    balance: Policy,
    rr: u32,
    /// Consistent-hashing ring over the active instances: (point, instance), sorted.
    ring: Vec<(u64, u32)>,
    /// Instances that callers spread over (fewer than allocated before a reshard ends).
    active: u32,
    /// A reshard in progress: (start ns, end ns, shards after, ring after).
    reshard: Option<(u64, u64, u32, Ring)>,
    rng: Stream,
    insts: Vec<Inst>,
    body: Body,
    served: u64,
    rejected: u64,
    /// Calls failed because an instance was down (refused, or lost in a crash).
    unavailable: u64,
    /// Orchestrator restart delay (ns).
    restart: Option<u64>,
    /// Region index, or `NO_REGION`.
    region: u8,
    /// A balancer's health checks of its targets.
    health: Option<Box<Health>>,
    /// A global balancer: its targets by origin region (index `regions` = no region), nearest
    /// first.
    global: Vec<Vec<u32>>,
    /// Changes of the number of live instances (time, live), when faults touch the component.
    live_changes: Option<Vec<(u64, u32)>>,
    /// Per series bucket: calls that reached the component, and calls that failed there.
    calls_per: Vec<u64>,
    errors_per: Vec<u64>,
}

/// A balancer's view of its targets' health.
struct Health {
    interval: u64,
    failures: u32,
    /// Components probed.
    targets: Vec<u32>,
    /// Per target, per instance: consecutive failed probes, and ejected.
    fails: Vec<Vec<u32>>,
    ejected: Vec<Vec<bool>>,
}

/// Progress of a rolling deployment.
#[derive(Clone, Copy, Default)]
struct DeployState {
    /// First instance of the current batch.
    next: u32,
    /// Draining (false) or starting up (true).
    starting: bool,
    /// When draining gives up waiting.
    drain_until: u64,
}

/// A fault resolved to indices.
struct Fault {
    at: SimTime,
    duration: SimTime,
    /// The component (a region fault: the region index).
    comp: u32,
    /// Partition and latency: the peer component, or `NONE`.
    peer: u32,
    insts: std::ops::Range<u32>,
    kind: FaultKind,
}

/// All state of one run; the engine's [`Handler`].
pub struct World {
    duration: u64,
    timeout: Option<SimTime>,
    retry: Option<RetrySpec>,
    retry_tokens: f64,
    entry: u32,
    load: Load,
    arrival_gap: Option<Dist>,
    class_cum: Vec<f64>,
    /// By class index: requests of this class carry no key.
    unkeyed: Vec<bool>,
    zipf: Option<Zipf<f64>>,
    key_count: u64,
    interval_ns: u64,
    /// Open loop without timeout or retry: requests need no client record.
    simple: bool,
    /// The time of the event being handled (for routing during a reshard).
    now: u64,
    net: Dist,
    net_zero: bool,
    rng_net: Stream,
    rng_arrivals: Stream,
    rng_class: Stream,
    rng_keys: Stream,
    rng_think: Stream,
    rng_retry: Stream,
    comps: Vec<Comp>,
    calls: Vec<Call>,
    free_calls: Vec<u32>,
    reqs: Vec<Req>,
    free_reqs: Vec<u32>,
    live: u64,
    max_in_flight: u64,
    overload: Option<SimTime>,
    timers: Vec<(u32, u32, u64)>,
    free_timers: Vec<u32>,
    faults: Vec<Fault>,
    effects: Vec<Effect>,
    rec: Recorder,
    ready: VecDeque<(u32, Resume)>,
    draining: bool,
    /// Hops go through `hop_links` (partitions, latency faults, regions).
    links: bool,
    /// Choosing an instance checks health and deployments.
    ops_pick: bool,
    /// Active partitions (a, b, drop) and latency faults (fault indices).
    partitions: Vec<(u32, u32, bool)>,
    delays: Vec<u32>,
    partitioned_reason: usize,
    /// Region names; one-way latency between regions (`regions x regions`).
    regions: Vec<String>,
    region_net: Vec<Option<Dist>>,
    /// Cumulative weights of the traffic's origin regions (region index, cumulative).
    origins: Vec<(u8, f64)>,
    rng_origin: Stream,
    deploys: Vec<DeployState>,
    // ----- resilience (all idle unless a scenario uses them) -----
    /// Some call has policies: replies check for a guard.
    has_policies: bool,
    /// Some work may be dropped before its CPU time (hedges, `drop_expired`).
    drop_work: bool,
    policies: Vec<PolicyRt>,
    guards: Vec<Guard>,
    free_guards: Vec<u32>,
    reason_open: usize,
    reason_bulkhead: usize,
    /// Product of the active spike factors, and the factors.
    rate_factor: f64,
    /// The traffic profile `(at ns, factor)`, and its factor now (1 without a profile).
    profile: Vec<(u64, f64)>,
    profile_factor: f64,
    /// The generation of the pending open-loop arrival.
    arrival_gen: u32,
    spikes: Vec<f64>,
    /// Closed loop under spikes: users in the spec, users allowed now, and per user whether
    /// it is in the loop (a user beyond the limit leaves it at its next wake-up or reply).
    base_users: u32,
    user_limit: u32,
    in_loop: Vec<bool>,
    scalers: Vec<Scaler>,
}

/// Instances that take traffic at the start: an autoscaled service starts with its
/// configured count clamped to `[min, max]`.
fn initial_active(c: &crate::spec::ComponentSpec, configured: u32) -> u32 {
    match &c.kind {
        KindSpec::Service(s) => match &s.autoscale {
            Some(a) => configured.clamp(a.min, a.max),
            None => configured,
        },
        _ => configured,
    }
}

/// No region.
const NO_REGION: u8 = u8::MAX;

fn find(names: &[String], from: &str, name: &str) -> Result<u32, ModelError> {
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
                series: Vec::new(),
                counters: vec![("unavailable".to_string(), c.unavailable)],
                busy_series: Vec::new(),
                queue_series: Vec::new(),
                ready_series: Vec::new(),
                calls_series: c.calls_per[..buckets.min(c.calls_per.len())].to_vec(),
                errors_series: c.errors_per[..buckets.min(c.errors_per.len())].to_vec(),
            };
            for i in &mut c.insts {
                i.busy.finish(end_ns);
                i.queue.finish(end_ns);
                i.busy.add_bucket_areas(&mut s.busy_series);
                i.queue.add_bucket_areas(&mut s.queue_series);
                s.busy_area += i.busy.area;
                s.queue_area += i.queue.area;
                s.max_queue = s.max_queue.max(i.queue.max);
                s.per_instance_served.push(i.served);
                s.per_instance_busy.push(i.busy.area);
            }
            if let Body::Service(Svc {
                limit: Some(_),
                limited,
                ..
            }) = &c.body
            {
                s.counters.push(("rate_limited".to_string(), *limited));
            }
            if let Body::Service(Svc { db: Some(db), .. }) = &c.body {
                if db.source.is_some() {
                    s.counters.extend([
                        ("stale_reads".to_string(), db.stale_reads),
                        ("model_reads".to_string(), db.model_reads),
                    ]);
                }
                if db.replicas > 0 {
                    s.counters.extend([
                        ("stale_reads".to_string(), db.stale_reads),
                        ("replica_reads".to_string(), db.replica_reads),
                        ("replica_applies".to_string(), db.applies),
                        ("replication_lag_us_total".to_string(), db.lag_total_us),
                    ]);
                }
                if db.row_locks {
                    s.counters.push(("lock_waits".to_string(), db.lock_waits));
                }
                if db.failover.is_some() {
                    s.counters.push(("lost_writes".to_string(), db.lost_writes));
                }
            }
            if let Body::Queue(qb) = &c.body {
                s.counters.extend([
                    ("published".to_string(), qb.published),
                    ("consumed".to_string(), qb.consumed),
                    ("failed_messages".to_string(), qb.failed),
                    ("lost_messages".to_string(), qb.lost),
                    ("backlog_end".to_string(), qb.backlog.len() as u64),
                    ("lag_us_total".to_string(), qb.lag_total_us),
                    ("lag_samples".to_string(), qb.lag_samples),
                ]);
                let n = (end_ns / self.interval_ns + 1) as usize;
                let cut = |v: &Vec<f64>| v[..n.min(v.len())].to_vec();
                s.series = vec![
                    ("backlog".to_string(), cut(&qb.backlog_max)),
                    ("lag_ms_sum".to_string(), cut(&qb.lag_ms_sum)),
                    ("consumed".to_string(), cut(&qb.consumed_per)),
                ];
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
                let cut = |v: &Vec<u64>| {
                    v[..buckets.min(v.len())]
                        .iter()
                        .map(|x| *x as f64)
                        .collect()
                };
                s.series
                    .push(("lookup_hits".to_string(), cut(&cb.hits_per)));
                s.series
                    .push(("lookup_misses".to_string(), cut(&cb.misses_per)));
            }
            if let Some(changes) = &c.live_changes {
                s.series.push((
                    "live_instances".to_string(),
                    live_series(changes, self.interval_ns, end_ns),
                ));
            }
            if let Body::Custom(bs) = &c.body {
                for b in bs {
                    for (k, v) in b.counters() {
                        match s.counters.iter_mut().find(|(n, _)| *n == k) {
                            Some((_, mine)) => *mine += v,
                            None => s.counters.push((k, v)),
                        }
                    }
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

    // ----- arena -----

    #[inline]
    fn new_call(&mut self, call: Call) -> u32 {
        match self.free_calls.pop() {
            Some(i) => {
                self.calls[i as usize] = call;
                i
            }
            None => {
                self.calls.push(call);
                (self.calls.len() - 1) as u32
            }
        }
    }

    #[inline]
    fn free_call(&mut self, c: u32) {
        debug_assert!(!self.calls[c as usize].free, "call freed twice");
        self.calls[c as usize].free = true;
        self.free_calls.push(c);
    }

    // ----- traffic -----

    fn start_request(&mut self, ctx: &mut Context<'_, Ev>, user: u32) {
        let now = ctx.now().as_nanos();
        let u: f64 = if self.class_cum.len() > 1 {
            self.rng_class.random()
        } else {
            0.0
        };
        let class = self.class_cum.iter().position(|c| u < *c).unwrap_or(0) as u16;
        // The key is drawn for every request, so that which classes carry keys does not
        // shift anyone's draws.
        let key = match &self.zipf {
            Some(z) => z.sample(&mut self.rng_keys) as u64 - 1,
            None => NO_KEY,
        };
        let key = if self.unkeyed[class as usize] {
            NO_KEY
        } else {
            key
        };
        if self.simple {
            // Open loop without timeout or retry: no client state beyond the call itself,
            // which carries the start time in (req, gen).
            self.live += 1;
            if self.calls.len() as u64 > self.max_in_flight && self.overload.is_none() {
                self.overload = Some(ctx.now());
                ctx.stop();
            }
            self.rec.arrival(now);
            let entry = self.entry;
            let inst = self.choose(NONE, entry, self.comps[entry as usize].balance, key, class);
            let c = self.new_call(Call::new(
                NONE,
                (now >> 32) as u32,
                now as u32,
                entry,
                inst,
                class,
                key,
                0,
            ));
            self.comps[entry as usize].insts[inst as usize].outstanding += 1;
            if !self.origins.is_empty() {
                self.calls[c as usize].origin = self.draw_origin();
            }
            return self.hop(ctx, Ev::Deliver(c));
        }
        let req = Req {
            start: now,
            key,
            user,
            gen: 0,
            attempts: 0,
            class,
            origin: if self.origins.is_empty() {
                NO_REGION
            } else {
                self.draw_origin()
            },
            live: true,
            degraded: false,
        };
        let r = match self.free_reqs.pop() {
            Some(i) => {
                // Keep the generation counter growing across reuse so stale events never match.
                let gen = self.reqs[i as usize].gen.wrapping_add(1);
                self.reqs[i as usize] = Req { gen, ..req };
                i
            }
            None => {
                self.reqs.push(req);
                (self.reqs.len() - 1) as u32
            }
        };
        self.live += 1;
        // The arena only grows when every slot is in use, so its length is the number of
        // calls in the system (including work the client gave up on) at its peak.
        if self.calls.len() as u64 > self.max_in_flight && self.overload.is_none() {
            self.overload = Some(ctx.now());
            ctx.stop();
        }
        self.rec.arrival(now);
        if let Some(b) = self.retry.as_ref().and_then(|r| r.budget) {
            self.retry_tokens = (self.retry_tokens + b).min(10.0_f64.max(b));
        }
        self.send_attempt(ctx, r);
    }

    fn send_attempt(&mut self, ctx: &mut Context<'_, Ev>, r: u32) {
        let req = &mut self.reqs[r as usize];
        req.attempts += 1;
        req.degraded = false;
        let (gen, class, key, origin) = (req.gen, req.class, req.key, req.origin);
        let entry = self.entry;
        let inst = self.choose(NONE, entry, self.comps[entry as usize].balance, key, class);
        let c = self.new_call(Call::new(NONE, r, gen, entry, inst, class, key, 0));
        self.calls[c as usize].origin = origin;
        self.comps[entry as usize].insts[inst as usize].outstanding += 1;
        if let Some(t) = self.timeout {
            ctx.schedule_in(t, Ev::Timeout(r, gen));
        }
        self.hop(ctx, Ev::Deliver(c));
    }

    /// An attempt ended in error `reason`: retry if the policy allows, else fail the request.
    fn attempt_failed(&mut self, ctx: &mut Context<'_, Ev>, r: u32, reason: usize) {
        let req = &mut self.reqs[r as usize];
        // Invalidate the attempt's pending timeout and any late reply.
        req.gen = req.gen.wrapping_add(1);
        if let Some(rp) = &self.retry {
            let retries_done = req.attempts - 1;
            let budget_ok = rp.budget.is_none_or(|_| self.retry_tokens >= 1.0);
            if retries_done < rp.max && budget_ok {
                if rp.budget.is_some() {
                    self.retry_tokens -= 1.0;
                }
                let base = rp.backoff.as_nanos() as f64 * rp.multiplier.powi(retries_done as i32);
                let delay = if rp.jitter {
                    base * self.rng_retry.random::<f64>()
                } else {
                    base
                };
                ctx.schedule_in(SimTime::from_nanos_f64(delay), Ev::Retry(r, req.gen));
                return;
            }
        }
        let (class, start) = (req.class as usize, req.start);
        self.rec.failure(class, reason, start, ctx.now().as_nanos());
        self.close(ctx, r);
    }

    fn close(&mut self, ctx: &mut Context<'_, Ev>, r: u32) {
        let req = &mut self.reqs[r as usize];
        req.live = false;
        req.gen = req.gen.wrapping_add(1);
        let user = req.user;
        self.live -= 1;
        self.free_reqs.push(r);
        if user != NONE && user >= self.user_limit {
            // Beyond the users a spike allows: this user leaves the loop for now.
            if let Some(l) = self.in_loop.get_mut(user as usize) {
                *l = false;
            }
            return;
        }
        if user != NONE {
            if let Load::Closed { think, .. } = &self.load {
                let t = think.sample(&mut self.rng_think);
                ctx.schedule_in(t, Ev::Wake(user));
            }
        }
    }

    fn client_done(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        self.free_call(c);
        if self.simple {
            self.live -= 1;
            let start = (call.req as u64) << 32 | call.gen as u64;
            let now = ctx.now().as_nanos();
            if call.err == 0 {
                self.rec.success(call.class as usize, start, now);
            } else {
                self.rec
                    .failure(call.class as usize, call.err as usize - 1, start, now);
            }
            return;
        }
        let req = self.reqs[call.req as usize];
        if !req.live || req.gen != call.gen {
            return; // the client gave up on this attempt already
        }
        if call.err == 0 {
            if req.degraded {
                self.rec
                    .success_degraded(req.class as usize, req.start, ctx.now().as_nanos());
            } else {
                self.rec
                    .success(req.class as usize, req.start, ctx.now().as_nanos());
            }
            self.close(ctx, call.req);
        } else {
            self.attempt_failed(ctx, call.req, call.err as usize - 1);
        }
    }

    // ----- routing -----

    /// Chooses an instance of `comp` by `policy`.
    fn pick(&mut self, comp: u32, policy: Policy, key: u64, class: u16) -> u32 {
        let key_count = self.key_count;
        let now = self.now;
        let c = &mut self.comps[comp as usize];
        let n = c.active;
        if n == 1 && c.reshard.is_none() {
            return 0;
        }
        if let Body::Service(Svc { db: Some(db), .. }) = &mut c.body {
            if db.replicas > 0 {
                // Writes go to the primary; reads where the read policy says.
                if db.is_write[class as usize] {
                    return db.primary;
                }
                db.rr = db.rr.wrapping_add(1);
                let r = match db.reads {
                    Reads::Primary => db.primary,
                    Reads::Replicas => {
                        // The k-th replica: instances other than the primary, in order.
                        let k = db.rr % db.replicas;
                        k + (k >= db.primary) as u32
                    }
                    Reads::Any => db.rr % (db.replicas + 1),
                };
                // With failover, reads avoid a replica that is down.
                if db.failover.is_some() && c.insts[r as usize].down {
                    return db.primary;
                }
                return r;
            }
        }
        match policy {
            Policy::Hash | Policy::Range | Policy::Consistent if key != NO_KEY => {
                if let Some((start, end, to, ring)) = &c.reshard {
                    // Keys move in a hash-chosen order as the reshard progresses.
                    let done = (now - start) as f64 / (end - start).max(1) as f64;
                    if key_unit(key) < done {
                        return route_key(policy, key, *to, key_count, ring);
                    }
                }
                route_key(policy, key, n, key_count, &c.ring)
            }
            Policy::RoundRobin | Policy::Hash | Policy::Range | Policy::Consistent => {
                let i = c.rr;
                c.rr = (c.rr + 1) % n;
                i
            }
            Policy::Random => c.rng.random_range(0..n),
            Policy::LeastOutstanding => {
                // Scan from a rotating start so ties spread instead of piling on instance 0.
                let start = c.rr;
                c.rr = (c.rr + 1) % n;
                let mut best = start;
                let mut best_load = u32::MAX;
                for k in 0..n {
                    let i = (start + k) % n;
                    let load = c.insts[i as usize].outstanding;
                    if load < best_load {
                        best = i;
                        best_load = load;
                    }
                }
                best
            }
            Policy::P2c => {
                let a = c.rng.random_range(0..n);
                let mut b = c.rng.random_range(0..n - 1);
                if b >= a {
                    b += 1;
                }
                if c.insts[b as usize].outstanding < c.insts[a as usize].outstanding {
                    b
                } else {
                    a
                }
            }
        }
    }

    /// Sends `ev` across one network hop.
    #[inline(always)]
    fn hop(&mut self, ctx: &mut Context<'_, Ev>, ev: Ev) {
        if self.links {
            return self.hop_links(ctx, ev);
        }
        if self.net_zero {
            // Zero latency: deliver now, without a trip through the queue or `handle`.
            match ev {
                Ev::Deliver(c) => self.deliver(ctx, c),
                Ev::Reply(c) => self.reply(ctx, c),
                other => self.handle(other, ctx),
            }
        } else {
            let d = self.net.sample(&mut self.rng_net);
            ctx.schedule_in(d, ev);
        }
    }

    /// Creates a call from `parent` to an instance of `to` and sends it.
    fn call_out(&mut self, ctx: &mut Context<'_, Ev>, parent: u32, to: u32, inst: u32) {
        let p = self.calls[parent as usize];
        let c = self.new_call(Call::new(parent, p.req, p.gen, to, inst, p.class, p.key, 0));
        self.comps[to as usize].insts[inst as usize].outstanding += 1;
        self.hop(ctx, Ev::Deliver(c));
    }

    // ----- components -----

    fn deliver(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let now = ctx.now().as_nanos();
        let call = &mut self.calls[c as usize];
        call.arrived = now;
        call.delivered = true;
        let (comp, inst) = (call.comp, call.inst);
        let b = self.rec.bucket_index(now);
        self.comps[comp as usize].calls_per[b] += 1;
        if self.comps[comp as usize].insts[inst as usize].down {
            return self.fail_now(ctx, c, UNAVAILABLE);
        }
        match &self.comps[comp as usize].body {
            // What `svc_arrive` comes to without workers, rate limit or database.
            Body::Service(s) if s.plain => self.core_admission(ctx, c),
            Body::Service(_) => self.svc_arrive(ctx, c),
            &Body::Lb { target, policy } => self.lb_arrive(ctx, c, target, policy),
            Body::Cache(_) => self.cache_arrive(ctx, c),
            Body::Queue(_) => self.queue_publish(ctx, c),
            Body::Custom(_) => self.custom_arrive(ctx, c),
        }
    }

    /// A balancer passes call `c` on to an instance of its target.
    #[inline(never)]
    fn lb_arrive(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        mut target: u32,
        mut policy: Policy,
    ) {
        let Call {
            comp, key, class, ..
        } = self.calls[c as usize];
        if !self.comps[comp as usize].global.is_empty() {
            target = self.global_target(comp, c);
            policy = self.comps[target as usize].balance;
        }
        let i = self.choose(comp, target, policy, key, class);
        self.calls[c as usize].pending = 1;
        self.call_out(ctx, c, target, i);
    }

    /// A custom component's behaviour gets call `c`.
    #[inline(never)]
    fn custom_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        let req = Request {
            id: CallId(c),
            class: call.class as usize,
            key: (call.key != NO_KEY).then_some(call.key),
            arrived: ctx.now(),
        };
        self.run_behavior(ctx, call.comp, call.inst, |b, bctx| b.on_request(req, bctx));
    }

    fn svc(&self, comp: u32) -> &Svc {
        match &self.comps[comp as usize].body {
            Body::Service(s) => s,
            _ => unreachable!("not a service"),
        }
    }

    #[inline(always)]
    fn set_queue(&mut self, comp: u32, inst: u32, now: u64) {
        let i = &mut self.comps[comp as usize].insts[inst as usize];
        let q = (i.wait_q.len() + i.cpu_q.len()) as u64;
        i.queue.set(now, q);
    }

    #[inline(never)]
    fn svc_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let now = ctx.now().as_nanos();
        let Call {
            comp, inst, class, ..
        } = self.calls[c as usize];
        let (workers, queue, limit, has_db) = {
            let s = self.svc(comp);
            (s.workers, s.queue, s.limit, s.db.is_some())
        };
        if let Some((rate_per_ns, burst)) = limit {
            if self.calls[c as usize].parent != INTERNAL {
                let i = &mut self.comps[comp as usize].insts[inst as usize];
                i.tokens =
                    (i.tokens.min(burst) + (now - i.tokens_at) as f64 * rate_per_ns).min(burst);
                i.tokens_at = now;
                if i.tokens < 1.0 {
                    let Body::Service(s) = &mut self.comps[comp as usize].body else {
                        unreachable!()
                    };
                    s.limited += self.rec.window().contains(now) as u64;
                    let reason = s.limited_reason;
                    self.failed_here(comp, now);
                    let call = &mut self.calls[c as usize];
                    call.err = reason as u8 + 1;
                    call.done = true;
                    return self.hop(ctx, Ev::Reply(c));
                }
                i.tokens -= 1.0;
            }
        }
        if !has_db {
            return self.svc_admit(ctx, c, workers, queue);
        }
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body {
            let call = &self.calls[c as usize];
            if call.parent == INTERNAL && call.gen == APPLY && db.failover.is_some() {
                if call.req != db.term {
                    // Shipped by a primary that has since been replaced: void.
                    let call = &mut self.calls[c as usize];
                    call.err = UNAVAILABLE as u8 + 1;
                    call.done = true;
                    return self.reply(ctx, c);
                }
                db.undelivered[inst as usize] = db.undelivered[inst as usize].saturating_sub(1);
            }
            if inst != db.primary && db.replicas > 0 && !db.is_write[class as usize] {
                // A read at a replica is stale if the primary has committed a newer write of
                // its key than the replica has applied.
                let measured = self.rec.window().contains(now);
                db.replica_reads += measured as u64;
                if call.key != NO_KEY {
                    let latest = db.latest.get(&call.key).copied().unwrap_or(0);
                    let applied = db.applied[inst as usize]
                        .get(&call.key)
                        .copied()
                        .unwrap_or(0);
                    if latest > applied && measured {
                        db.stale_reads += 1;
                    }
                }
            }
        }
        self.check_read_model(c, now);
        self.svc_admit(ctx, c, workers, queue);
    }

    /// Admission to a service instance: a worker (or the bounded room), then lock and CPU.
    #[inline]
    fn svc_admit(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        workers: Option<u32>,
        queue: Option<u32>,
    ) {
        let now = ctx.now().as_nanos();
        let Call { comp, inst, .. } = self.calls[c as usize];
        let internal = self.calls[c as usize].parent == INTERNAL;
        let i = &mut self.comps[comp as usize].insts[inst as usize];
        if let Some(w) = workers {
            if i.busy_workers < w {
                i.busy_workers += 1;
                self.calls[c as usize].holds_worker = true;
                self.lock_then_cpu(ctx, c);
            } else if !internal && queue.is_some_and(|q| i.wait_q.len() >= q as usize) {
                self.reject(ctx, c, REJECTED);
            } else {
                i.wait_q.push_back(c);
                self.set_queue(comp, inst, now);
            }
            return;
        }
        if self.must_wait_for_lock(c) {
            return;
        }
        self.core_admission(ctx, c);
    }

    /// A read of a CQRS read model is stale if its key has a message published and not yet
    /// consumed in the queue that feeds the model.
    fn check_read_model(&mut self, c: u32, now: u64) {
        let Call {
            comp,
            class,
            key,
            parent,
            ..
        } = self.calls[c as usize];
        let source = match &self.comps[comp as usize].body {
            Body::Service(Svc { db: Some(db), .. }) if !db.is_write[class as usize] => db.source,
            _ => None,
        };
        let Some(q) = source else { return };
        if parent == INTERNAL || !self.rec.window().contains(now) {
            return;
        }
        let pending = match &self.comps[q as usize].body {
            Body::Queue(qb) if key != NO_KEY => qb.unconsumed.get(&key).copied().unwrap_or(0),
            _ => 0,
        };
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body {
            db.model_reads += 1;
            db.stale_reads += (pending > 0) as u64;
        }
    }

    /// A producer publishes: the message joins the backlog, the producer gets its
    /// acknowledgement after the publish latency, and an idle consumer takes the message.
    #[inline(never)]
    fn queue_publish(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let now = ctx.now().as_nanos();
        let Call {
            comp, class, key, ..
        } = self.calls[c as usize];
        let bucket = self.bucket_of(now);
        let cm = &mut self.comps[comp as usize];
        let Body::Queue(qb) = &mut cm.body else {
            unreachable!()
        };
        if qb
            .capacity
            .is_some_and(|cap| qb.backlog.len() as u64 >= cap)
        {
            return self.reject(ctx, c, REJECTED);
        }
        qb.backlog.push_back(Msg {
            class,
            key,
            published: now,
        });
        qb.published += 1;
        if key != NO_KEY {
            *qb.unconsumed.entry(key).or_insert(0) += 1;
        }
        let b = &mut qb.backlog_max[bucket];
        *b = b.max(qb.backlog.len() as f64);
        let ack = qb.publish.sample(&mut cm.rng);
        // The broker's queue figures are its backlog.
        let depth = qb.backlog.len() as u64;
        cm.insts[0].queue.set(now, depth);
        if ack == SimTime::ZERO {
            self.finish_call(ctx, c);
        } else {
            ctx.schedule_in(ack, Ev::Finish(c));
        }
        self.consume(ctx, comp);
    }

    #[inline]
    fn bucket_of(&self, t_ns: u64) -> usize {
        (t_ns / self.interval_ns) as usize
    }

    /// Idle consumers take messages while there are any and the broker is up.
    fn consume(&mut self, ctx: &mut Context<'_, Ev>, comp: u32) {
        loop {
            if self.comps[comp as usize].insts[0].down {
                return;
            }
            let Body::Queue(qb) = &mut self.comps[comp as usize].body else {
                return;
            };
            if qb.busy >= qb.consumers {
                return;
            }
            let Some(msg) = qb.backlog.pop_front() else {
                return;
            };
            qb.busy += 1;
            let target = qb.target;
            let now = ctx.now().as_nanos();
            let depth = qb.backlog.len() as u64;
            self.comps[comp as usize].insts[0].queue.set(now, depth);
            let bal = self.comps[target as usize].balance;
            let inst = self.choose(NONE, target, bal, msg.key, msg.class);
            let call = self.new_call(Call::new(
                INTERNAL,
                comp,
                CONSUME,
                target,
                inst,
                msg.class,
                msg.key,
                msg.published,
            ));
            self.comps[target as usize].insts[inst as usize].outstanding += 1;
            self.hop(ctx, Ev::Deliver(call));
        }
    }

    /// Whether call `c` is a write that must wait for its key's row lock (then it is parked
    /// in the lock's queue); otherwise it takes the lock if it needs one.
    fn must_wait_for_lock(&mut self, c: u32) -> bool {
        let Call {
            comp,
            inst,
            class,
            key,
            parent,
            ..
        } = self.calls[c as usize];
        if key == NO_KEY || parent == INTERNAL {
            return false;
        }
        let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body else {
            return false;
        };
        if !db.row_locks || !db.is_write[class as usize] {
            return false;
        }
        match db.locks[inst as usize].entry(key) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                e.get_mut().push_back(c);
                db.lock_waits += 1;
                true
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(VecDeque::new());
                self.calls[c as usize].holds_lock = true;
                false
            }
        }
    }

    /// Holding a worker: take the row lock (or wait for it), then the CPU.
    fn lock_then_cpu(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        if !self.must_wait_for_lock(c) {
            self.start_cpu(ctx, c);
        }
    }

    /// Releases call `c`'s row lock and lets the next write of the key go on.
    fn release_lock(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let Call {
            comp, inst, key, ..
        } = self.calls[c as usize];
        self.calls[c as usize].holds_lock = false;
        let (next, workers) = {
            let Body::Service(svc) = &mut self.comps[comp as usize].body else {
                return;
            };
            let Some(db) = &mut svc.db else { return };
            let locks = &mut db.locks[inst as usize];
            let next = locks.get_mut(&key).and_then(|q| q.pop_front());
            if next.is_none() {
                locks.remove(&key);
            }
            (next, svc.workers)
        };
        if let Some(n) = next {
            // The lock passes straight to the next writer of the key.
            self.calls[n as usize].holds_lock = true;
            let how = if workers.is_some() {
                Resume::StartCpu
            } else {
                Resume::CoreAdmission
            };
            self.resume_later(ctx, n, how);
        }
    }

    /// Continues a call that just got a worker or a lock. Continuing at once could recurse
    /// without bound (a call that needs no CPU finishes at once and hands its worker on), so
    /// calls join a work list that the outermost caller drains.
    fn resume_later(&mut self, ctx: &mut Context<'_, Ev>, c: u32, how: Resume) {
        self.ready.push_back((c, how));
        if self.draining {
            return;
        }
        self.draining = true;
        while let Some((c, how)) = self.ready.pop_front() {
            match how {
                Resume::LockThenCpu => self.lock_then_cpu(ctx, c),
                Resume::StartCpu => self.start_cpu(ctx, c),
                Resume::CoreAdmission => self.core_admission(ctx, c),
            }
        }
        self.draining = false;
    }

    /// Without workers: take a core, or wait for one in the bounded room.
    fn core_admission(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let now = ctx.now().as_nanos();
        let Call {
            comp,
            inst,
            class,
            parent,
            ..
        } = self.calls[c as usize];
        let internal = parent == INTERNAL;
        let (cores, queue, needs_cpu) = {
            let s = self.svc(comp);
            (s.cores, s.queue, s.endpoints[class as usize].cpu.is_some())
        };
        let i = &mut self.comps[comp as usize].insts[inst as usize];
        match cores {
            Some(k) if needs_cpu => {
                if i.busy_cores < k {
                    i.busy_cores += 1;
                    let b = i.busy_cores as u64;
                    i.busy.set(now, b);
                    self.schedule_cpu(ctx, c);
                } else if !internal && queue.is_some_and(|q| i.wait_q.len() >= q as usize) {
                    self.reject(ctx, c, REJECTED);
                } else {
                    i.wait_q.push_back(c);
                    self.set_queue(comp, inst, now);
                }
            }
            _ => self.start_cpu(ctx, c),
        }
    }

    /// The call may run: take a core (or wait for one) and spend the CPU time.
    fn start_cpu(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let now = ctx.now().as_nanos();
        let Call {
            comp, inst, class, ..
        } = self.calls[c as usize];
        let s = self.svc(comp);
        if s.endpoints[class as usize].cpu.is_none() {
            return self.continue_calls(ctx, c);
        }
        match s.cores {
            None => self.schedule_cpu(ctx, c),
            Some(k) => {
                let i = &mut self.comps[comp as usize].insts[inst as usize];
                if i.busy_cores < k {
                    i.busy_cores += 1;
                    let b = i.busy_cores as u64;
                    i.busy.set(now, b);
                    self.schedule_cpu(ctx, c);
                } else {
                    i.cpu_q.push_back(c);
                    self.set_queue(comp, inst, now);
                }
            }
        }
    }

    #[inline]
    fn schedule_cpu(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        if self.drop_work && self.should_drop(c) {
            // The core is released through the normal path, at once, with no work done.
            return ctx.schedule_in(SimTime::ZERO, Ev::CpuDone(c));
        }
        let Call {
            comp, inst, class, ..
        } = self.calls[c as usize];
        let comp = &mut self.comps[comp as usize];
        let Body::Service(s) = &comp.body else {
            unreachable!()
        };
        let mut d = s.endpoints[class as usize]
            .cpu
            .as_ref()
            .expect("has cpu")
            .sample(&mut comp.rng);
        let slow = comp.insts[inst as usize].slow;
        if slow != 1.0 {
            d = SimTime::from_nanos_f64(d.as_nanos() as f64 * slow);
        }
        ctx.schedule_in(d, Ev::CpuDone(c));
    }

    fn cpu_done(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        if self.calls[c as usize].orphan {
            // Its instance crashed during the CPU time; this was the last event about it.
            return self.free_call(c);
        }
        let now = ctx.now().as_nanos();
        let Call {
            comp,
            inst,
            class,
            step,
            ..
        } = self.calls[c as usize];
        let (cores, workers, lifo_above, no_calls) = {
            let s = self.svc(comp);
            let no_calls = s.endpoints[class as usize].calls.len() <= step as usize;
            (s.cores, s.workers, s.lifo_above, no_calls)
        };
        if cores.is_some() {
            let i = &mut self.comps[comp as usize].insts[inst as usize];
            let q = if workers.is_some() {
                &mut i.cpu_q
            } else {
                &mut i.wait_q
            };
            let next = match lifo_above {
                Some(a) if q.len() > a as usize => q.pop_back(),
                _ => q.pop_front(),
            };
            match next {
                // The core passes straight to the next call: busy count unchanged.
                Some(n) => {
                    self.set_queue(comp, inst, now);
                    self.schedule_cpu(ctx, n);
                }
                None => {
                    i.busy_cores -= 1;
                    let b = i.busy_cores as u64;
                    i.busy.set(now, b);
                }
            }
        }
        // What `continue_calls` comes to with no calls left; dropped work makes none.
        if no_calls || self.drop_work && self.calls[c as usize].err != 0 {
            return self.finish_call(ctx, c);
        }
        self.continue_calls(ctx, c);
    }

    /// Makes the next downstream call step, or finishes.
    fn continue_calls(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let Call {
            comp, class, step, ..
        } = self.calls[c as usize];
        let ep = &self.svc(comp).endpoints[class as usize];
        let Some(&(to, fanout)) = ep.calls.get(step as usize) else {
            return self.finish_call(ctx, c);
        };
        let policy = if self.has_policies {
            ep.policy[step as usize]
        } else {
            NONE
        };
        self.calls[c as usize].step += 1;
        let balance = self.comps[to as usize].balance;
        let n = self.comps[to as usize].active;
        let key = self.calls[c as usize].key;
        let (base, fanout) = if balance.by_key() && key == NO_KEY {
            // No key to route by: ask every shard and wait for all (scatter-gather).
            (0, n)
        } else {
            (self.choose(NONE, to, balance, key, class), fanout)
        };
        self.calls[c as usize].pending = fanout as u16;
        if policy != NONE {
            for j in 0..fanout {
                self.guard_start(ctx, c, policy, (base + j) % n);
            }
            return;
        }
        for j in 0..fanout {
            self.call_out(ctx, c, to, (base + j) % n);
        }
    }

    /// The component is done with call `c` (with or without error): free its worker, reply.
    fn finish_call(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = &mut self.calls[c as usize];
        if call.orphan || call.done {
            return self.finish_orphan(c);
        }
        call.done = true;
        let Call {
            comp,
            inst,
            holds_worker,
            holds_lock,
            err,
            parent,
            ..
        } = *call;
        let cm = &mut self.comps[comp as usize];
        cm.served += 1;
        cm.insts[inst as usize].served += 1;
        if err == 0
            && parent != INTERNAL
            && matches!(cm.body, Body::Service(Svc { db: Some(_), .. }))
        {
            self.commit(ctx, c);
        }
        if holds_lock || holds_worker {
            self.release_held(ctx, c);
        }
        self.hop(ctx, Ev::Reply(c));
    }

    /// `finish_call` of a call already answered: nothing, or free an orphan's slot.
    #[cold]
    fn finish_orphan(&mut self, c: u32) {
        let call = &self.calls[c as usize];
        if call.orphan {
            // The component answering a call its crashed instance held: the caller was told
            // already. A delayed answer (a cache hit) was the last event about it; a custom
            // component may still refer to its calls, so those slots are kept.
            if !matches!(self.comps[call.comp as usize].body, Body::Custom(_)) && call.pending == 0
            {
                self.free_call(c);
            }
        }
    }

    /// A finished call lets go of its row lock and its worker.
    #[inline(never)]
    fn release_held(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let now = ctx.now().as_nanos();
        let Call {
            comp,
            inst,
            holds_worker,
            holds_lock,
            ..
        } = self.calls[c as usize];
        if holds_lock {
            self.release_lock(ctx, c);
        }
        if holds_worker {
            self.calls[c as usize].holds_worker = false;
            let lifo_above = self.svc(comp).lifo_above;
            let i = &mut self.comps[comp as usize].insts[inst as usize];
            let next = match lifo_above {
                Some(a) if i.wait_q.len() > a as usize => i.wait_q.pop_back(),
                _ => i.wait_q.pop_front(),
            };
            match next {
                Some(n) => {
                    self.calls[n as usize].holds_worker = true;
                    self.set_queue(comp, inst, now);
                    self.resume_later(ctx, n, Resume::LockThenCpu);
                }
                None => i.busy_workers -= 1,
            }
        }
    }

    /// A write finished at a database primary: record its commit and send it to every replica,
    /// where it applies after a replication-lag draw, through the replica's own queue and cores.
    /// Called for a call answered without error, not internal, at a database.
    #[inline(never)]
    fn commit(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        let now = ctx.now().as_nanos();
        let comp = &mut self.comps[call.comp as usize];
        let Body::Service(Svc { db: Some(db), .. }) = &mut comp.body else {
            return;
        };
        if db.replicas == 0 || !db.is_write[call.class as usize] || call.inst != db.primary {
            return;
        }
        if call.key != NO_KEY {
            db.latest.insert(call.key, now);
        }
        // Autoscaled replicas that are starting take writes too.
        let lags: Vec<SimTime> = (0..db.replicas + db.starting)
            .map(|_| db.lag.sample(&mut comp.rng))
            .collect();
        let (primary, term) = (db.primary, db.term);
        if db.failover.is_some() {
            for k in 0..db.replicas {
                db.undelivered[(k + (k >= primary) as u32) as usize] += 1;
            }
        }
        for (k, lag) in lags.into_iter().enumerate() {
            let r = k as u32 + (k as u32 >= primary) as u32;
            // An apply's `req` is the primary's term (void after a failover).
            let apply = self.new_call(Call::new(
                INTERNAL, term, APPLY, call.comp, r, call.class, call.key, now,
            ));
            self.comps[call.comp as usize].insts[r as usize].outstanding += 1;
            ctx.schedule_in(lag, Ev::Deliver(apply));
        }
    }

    /// An internal call answered: a replica applied a write (or lost it in a crash).
    #[inline(never)]
    fn internal_done(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        self.free_call(c);
        if call.gen == CONSUME {
            return self.consumed(ctx, call);
        }
        if call.gen == REFRESH {
            let now = ctx.now().as_nanos();
            let comp = &mut self.comps[call.req as usize];
            if let Body::Cache(cb) = &mut comp.body {
                let inst = call.aux as usize;
                cb.refreshing[inst].remove(&call.key);
                if call.err == 0 && !comp.insts[inst].down {
                    cb.stores[inst].insert(call.key, now, &mut comp.rng);
                }
            }
            return;
        }
        if call.gen == FLUSH {
            if let Body::Cache(cb) = &mut self.comps[call.req as usize].body {
                if call.err == 0 {
                    cb.flushed += 1;
                } else {
                    cb.lost_writes += 1;
                }
            }
            return;
        }
        if call.err != 0 {
            return;
        }
        let now = ctx.now().as_nanos();
        let measured = self.rec.window().contains(now);
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[call.comp as usize].body {
            if call.inst != db.primary && call.key != NO_KEY {
                let applied = db.applied[call.inst as usize].entry(call.key).or_insert(0);
                *applied = (*applied).max(call.aux);
            }
            if measured {
                db.applies += 1;
                db.lag_total_us += (now - call.aux) / 1_000;
            }
        }
    }

    /// Refreshes `key` in a cache instance from the backing store, in the background.
    fn refresh(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32, class: u16, key: u64) {
        let Body::Cache(cb) = &mut self.comps[comp as usize].body else {
            return;
        };
        cb.refreshes += self.rec.window().contains(ctx.now().as_nanos()) as u64;
        let backing = cb.backing;
        let bal = self.comps[backing as usize].balance;
        let i = self.pick(backing, bal, key, class);
        let call = self.new_call(Call::new(
            INTERNAL,
            comp,
            REFRESH,
            backing,
            i,
            class,
            key,
            inst as u64,
        ));
        self.comps[backing as usize].insts[i as usize].outstanding += 1;
        self.hop(ctx, Ev::Deliver(call));
    }

    /// A write-behind cache instance sends its buffered writes to the backing store.
    fn flush(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let Body::Cache(cb) = &mut self.comps[comp as usize].body else {
            return;
        };
        let writes = std::mem::take(&mut cb.dirty[inst as usize]);
        cb.dirty_set[inst as usize].clear();
        cb.flushing[inst as usize] = false;
        let backing = cb.backing;
        if self.comps[comp as usize].insts[inst as usize].down {
            return;
        }
        for (key, class) in writes {
            let bal = self.comps[backing as usize].balance;
            let i = self.pick(backing, bal, key, class);
            let call = self.new_call(Call::new(INTERNAL, comp, FLUSH, backing, i, class, key, 0));
            self.comps[backing as usize].insts[i as usize].outstanding += 1;
            self.hop(ctx, Ev::Deliver(call));
        }
    }

    /// A consumer finished a message (or failed it).
    fn consumed(&mut self, ctx: &mut Context<'_, Ev>, call: Call) {
        let now = ctx.now().as_nanos();
        let measured = self.rec.window().contains(now);
        let bucket = self.bucket_of(now);
        let queue = call.req;
        if let Body::Queue(qb) = &mut self.comps[queue as usize].body {
            qb.busy -= 1;
            if call.key != NO_KEY {
                if let Some(n) = qb.unconsumed.get_mut(&call.key) {
                    *n -= 1;
                    if *n == 0 {
                        qb.unconsumed.remove(&call.key);
                    }
                }
            }
            if call.err != 0 {
                qb.failed += 1;
            } else {
                qb.consumed += 1;
                let lag = now - call.aux;
                if measured {
                    qb.lag_total_us += lag / 1_000;
                    qb.lag_samples += 1;
                }
                if bucket < qb.lag_ms_sum.len() {
                    qb.lag_ms_sum[bucket] += lag as f64 / 1e6;
                    qb.consumed_per[bucket] += 1.0;
                }
            }
        }
        self.consume(ctx, queue);
    }

    /// A request reaches a cache instance.
    #[inline(never)]
    fn cache_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let now = ctx.now().as_nanos();
        let measured = self.rec.window().contains(now);
        let bucket = self.rec.bucket_index(now);
        let Call {
            comp,
            inst,
            class,
            key,
            ..
        } = self.calls[c as usize];
        let cm = &mut self.comps[comp as usize];
        let Body::Cache(cb) = &mut cm.body else {
            unreachable!()
        };
        let backing = cb.backing;
        if let Some(edge_class) = &cb.edge_class {
            // A CDN: the user-to-edge round trip first, then the edge serves its classes (by
            // probability or from its store) and passes the rest to the origin.
            let edge = cb.edge.sample(&mut cm.rng);
            self.calls[c as usize].aux = edge.as_nanos();
            let at_edge = edge_class[class as usize];
            let hit = at_edge
                && match cb.hit_prob {
                    Some(p) => cm.rng.random::<f64>() < p,
                    None => key != NO_KEY && cb.stores[inst as usize].get(key, now) == Lookup::Hit,
                };
            if hit {
                cb.hits += measured as u64;
                cb.hits_per[bucket] += 1;
                let d = edge.saturating_add(cb.hit.sample(&mut cm.rng));
                if d == SimTime::ZERO {
                    return self.finish_call(ctx, c);
                }
                ctx.schedule_in(d, Ev::Finish(c));
                return;
            }
            if at_edge {
                cb.misses += measured as u64;
                cb.misses_per[bucket] += 1;
                if cb.hit_prob.is_none() {
                    self.calls[c as usize].step = 1;
                }
            }
            let bal = self.comps[backing as usize].balance;
            let i = self.choose(NONE, backing, bal, key, class);
            self.calls[c as usize].pending = 1;
            return self.call_out(ctx, c, backing, i);
        }
        if cb.is_write[class as usize] {
            cb.writes += measured as u64;
            match cb.policy {
                WritePolicy::Aside => {
                    if key != NO_KEY {
                        cb.stores[inst as usize].remove(key);
                    }
                }
                // step 2 marks a write whose key is stored once the backing store has it.
                WritePolicy::Through => self.calls[c as usize].step = 2,
                WritePolicy::Behind if key != NO_KEY => {
                    cb.stores[inst as usize].insert(key, now, &mut cm.rng);
                    if cb.dirty_set[inst as usize].insert(key, ()).is_none() {
                        cb.dirty[inst as usize].push((key, class));
                    }
                    if !cb.flushing[inst as usize] {
                        cb.flushing[inst as usize] = true;
                        ctx.schedule_in(cb.flush_interval, Ev::Flush(comp, inst));
                    }
                    let d = cb.hit.sample(&mut cm.rng);
                    if d == SimTime::ZERO {
                        return self.finish_call(ctx, c);
                    }
                    ctx.schedule_in(d, Ev::Finish(c));
                    return;
                }
                WritePolicy::Behind => {}
            }
        } else if key != NO_KEY && cb.stores[inst as usize].get(key, now) == Lookup::Hit {
            cb.hits += measured as u64;
            cb.hits_per[bucket] += 1;
            let d = cb.hit.sample(&mut cm.rng);
            let refresh = cb.refresh_after_ns.is_some_and(|after| {
                let stored = cb.stores[inst as usize].stored_at(key).unwrap_or(now);
                now - stored > after && cb.refreshing[inst as usize].insert(key, ()).is_none()
            });
            if d == SimTime::ZERO {
                self.finish_call(ctx, c);
            } else {
                ctx.schedule_in(d, Ev::Finish(c));
            }
            if refresh {
                self.refresh(ctx, comp, inst, class, key);
            }
            return;
        } else {
            cb.misses += measured as u64;
            cb.misses_per[bucket] += 1;
            if cb.coalesce && key != NO_KEY {
                if let Some(w) = cb.waiting[inst as usize].get_mut(&key) {
                    // Another miss of this key is on its way to the backing store: wait for it.
                    w.push(c);
                    cb.coalesced += measured as u64;
                    return;
                }
                cb.waiting[inst as usize].insert(key, Vec::new());
            }
            // step 1 marks a read miss whose key is stored when the answer comes back.
            self.calls[c as usize].step = 1;
        }
        let bal = self.comps[backing as usize].balance;
        let i = self.choose(NONE, backing, bal, key, class);
        self.calls[c as usize].pending = 1;
        self.call_out(ctx, c, backing, i);
    }

    /// Fails call `c` at once because its instance is down.
    #[inline(never)]
    fn fail_now(&mut self, ctx: &mut Context<'_, Ev>, c: u32, reason: usize) {
        let call = &mut self.calls[c as usize];
        call.err = reason as u8 + 1;
        call.done = true;
        let comp = call.comp;
        self.comps[comp as usize].unavailable += 1;
        self.failed_here(comp, ctx.now().as_nanos());
        self.hop(ctx, Ev::Reply(c));
    }

    /// Counts a call that failed at `comp` itself, in the series bucket of `now`.
    fn failed_here(&mut self, comp: u32, now: u64) {
        let b = self.rec.bucket_index(now);
        self.comps[comp as usize].errors_per[b] += 1;
    }

    fn fault_start(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now();
        let (comp, insts, kind, duration) = {
            let f = &self.faults[i as usize];
            (f.comp, f.insts.clone(), f.kind.clone(), f.duration)
        };
        if self.ops_fault_start(ctx, i) {
            return;
        }
        ctx.schedule_in(duration, Ev::FaultEnd(i));
        if let FaultKind::Spike(x) = kind {
            self.spikes.push(x);
            self.set_spike(ctx);
            let detail = match self.load {
                Load::Open { .. } => format!("arrival rate x{x} for {duration}"),
                Load::Closed { .. } => {
                    format!(
                        "{} users instead of {} for {duration}",
                        self.user_limit, self.base_users
                    )
                }
            };
            self.rec
                .timeline(now.as_nanos(), "traffic", "spike_start", detail);
            return;
        }
        let name = self.comps[comp as usize].name.clone();
        let label = |inst: u32, n: usize| {
            if n == 1 {
                name.clone()
            } else {
                format!("{name}[{inst}]")
            }
        };
        let n = self.comps[comp as usize].insts.len();
        if let FaultKind::Reshard { to, factor } = kind {
            let c = &mut self.comps[comp as usize];
            let from = c.active;
            let start = now.as_nanos();
            let ring = ring_of(to);
            // Estimate the share of the key space that changes shard.
            let policy = c.balance;
            let moved = (0..10_000u64)
                .filter(|k| {
                    let key = mix64(*k) % self.key_count.max(1);
                    route_key(policy, key, from, self.key_count, &c.ring)
                        != route_key(policy, key, to, self.key_count, &ring)
                })
                .count();
            c.reshard = Some((start, start + duration.as_nanos(), to, ring));
            for i in &mut c.insts {
                i.slows.push(factor);
                i.slow = i.slows.iter().product();
            }
            let name = c.name.clone();
            self.rec.timeline(
                start,
                &name,
                "reshard_start",
                format!(
                    "{from} -> {to} shards over {duration}; {:.0}% of keys move; CPU x{factor} on every shard while it runs",
                    moved as f64 / 100.0
                ),
            );
            return;
        }
        for inst in insts {
            match kind {
                FaultKind::Reshard { .. }
                | FaultKind::Partition { .. }
                | FaultKind::Latency { .. }
                | FaultKind::Region
                | FaultKind::Deploy { .. }
                | FaultKind::Spike(_) => {}
                FaultKind::Slow(x) => {
                    let i = &mut self.comps[comp as usize].insts[inst as usize];
                    i.slows.push(x);
                    i.slow = i.slows.iter().product();
                    self.rec.timeline(
                        now.as_nanos(),
                        &label(inst, n),
                        "slow_start",
                        format!("CPU times x{x} for {duration}"),
                    );
                }
                FaultKind::Crash => {
                    let i = &mut self.comps[comp as usize].insts[inst as usize];
                    i.crashes += 1;
                    if i.crashes > 1 {
                        continue; // already down: the later of the overlapping ends recovers
                    }
                    let lost = self.crash(ctx, comp, inst);
                    let how_long = match self.comps[comp as usize].restart {
                        Some(r) if r < duration.as_nanos() => {
                            format!("restarted by the orchestrator after {}", SimTime(r))
                        }
                        _ => format!("down for {duration}"),
                    };
                    self.rec.timeline(
                        now.as_nanos(),
                        &label(inst, n),
                        "crash",
                        format!("{how_long}; calls in progress lost: {lost}"),
                    );
                    self.schedule_restart(ctx, comp, inst);
                }
            }
        }
        self.note_live(comp, now.as_nanos());
    }

    fn fault_end(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now().as_nanos();
        let (comp, insts, kind) = {
            let f = &self.faults[i as usize];
            (f.comp, f.insts.clone(), f.kind.clone())
        };
        if let FaultKind::Spike(x) = kind {
            if let Some(k) = self.spikes.iter().position(|f| *f == x) {
                self.spikes.remove(k);
            }
            self.set_spike(ctx);
            self.rec
                .timeline(now, "traffic", "spike_end", String::new());
            return;
        }
        if self.ops_fault_end(ctx, i) {
            return;
        }
        let n = self.comps[comp as usize].insts.len();
        if let FaultKind::Reshard { factor, .. } = kind {
            let c = &mut self.comps[comp as usize];
            if let Some((_, _, to, ring)) = c.reshard.take() {
                c.active = to;
                c.ring = ring;
            }
            for i in &mut c.insts {
                if let Some(k) = i.slows.iter().position(|f| *f == factor) {
                    i.slows.remove(k);
                }
                i.slow = i.slows.iter().product();
            }
            let (name, active) = (c.name.clone(), c.active);
            self.rec
                .timeline(now, &name, "reshard_end", format!("{active} shards"));
            return;
        }
        for inst in insts {
            let c = &mut self.comps[comp as usize];
            let label = if n == 1 {
                c.name.clone()
            } else {
                format!("{}[{inst}]", c.name)
            };
            let i = &mut c.insts[inst as usize];
            match kind {
                FaultKind::Reshard { .. }
                | FaultKind::Partition { .. }
                | FaultKind::Latency { .. }
                | FaultKind::Region
                | FaultKind::Deploy { .. }
                | FaultKind::Spike(_) => {}
                FaultKind::Slow(x) => {
                    if let Some(k) = i.slows.iter().position(|f| *f == x) {
                        i.slows.remove(k);
                    }
                    i.slow = i.slows.iter().product();
                    self.rec.timeline(now, &label, "slow_end", String::new());
                }
                FaultKind::Crash => {
                    i.crashes = i.crashes.saturating_sub(1);
                    if i.down && i.crashes == 0 && i.region_down == 0 && !i.deploying {
                        i.down = false;
                        self.rec.timeline(now, &label, "recover", String::new());
                    }
                }
            }
        }
        self.note_live(comp, now);
        if matches!(self.comps[comp as usize].body, Body::Queue(_)) {
            self.consume(ctx, comp);
        }
    }

    /// Crashes one instance: calls waiting there fail at once, calls it was working on are
    /// lost (their callers get `unavailable` now), and its cores and workers are free when
    /// it comes back. Returns how many calls were lost.
    fn crash(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) -> u64 {
        let now = ctx.now().as_nanos();
        let i = &mut self.comps[comp as usize].insts[inst as usize];
        if i.down {
            return 0;
        }
        i.down = true;
        let mut held: Vec<u32> = i.wait_q.drain(..).chain(i.cpu_q.drain(..)).collect();
        match &mut self.comps[comp as usize].body {
            // Writes waiting for a row lock, and misses waiting on a coalesced call, fail at
            // once like the rest of the waiting room.
            Body::Service(Svc { db: Some(db), .. }) => {
                for (_, waiters) in db.locks[inst as usize].drain() {
                    held.extend(waiters);
                }
            }
            Body::Cache(cb) => {
                for (_, waiters) in cb.waiting[inst as usize].drain() {
                    held.extend(waiters);
                }
            }
            _ => {}
        }
        // Deterministic order whatever the hash maps did.
        let from_queues = held.len();
        held[..from_queues].sort_unstable();
        for &c in &held {
            // Marked now so the scan below skips them; `fail_now` answers them.
            self.calls[c as usize].done = true;
        }
        match &mut self.comps[comp as usize].body {
            // A crashed cache comes back empty, and loses the writes it had not flushed.
            Body::Cache(cb) => {
                cb.stores[inst as usize].clear();
                cb.lost_writes += cb.dirty[inst as usize].len() as u64;
                cb.dirty[inst as usize].clear();
                cb.dirty_set[inst as usize].clear();
            }
            // Row locks die with the instance; the writes waiting for them are lost below.
            Body::Service(Svc { db: Some(db), .. }) => db.locks[inst as usize].clear(),
            // A broker without durability loses its backlog.
            Body::Queue(qb) if !qb.durable => {
                qb.lost += qb.backlog.len() as u64;
                for m in qb.backlog.drain(..) {
                    if let Some(n) = qb.unconsumed.get_mut(&m.key) {
                        *n -= 1;
                        if *n == 0 {
                            qb.unconsumed.remove(&m.key);
                        }
                    }
                }
            }
            _ => {}
        }
        let backlog = match &self.comps[comp as usize].body {
            Body::Queue(qb) => qb.backlog.len() as u64,
            _ => 0,
        };
        let i = &mut self.comps[comp as usize].insts[inst as usize];
        i.busy_cores = 0;
        i.busy_workers = 0;
        i.busy.set(now, 0);
        i.queue.set(now, backlog);
        let queued = held.len();
        // Calls in progress: in CPU, or waiting for their downstream calls.
        for (c, call) in self.calls.iter().enumerate() {
            if call.comp == comp
                && call.inst == inst
                && call.delivered
                && !call.done
                && !call.free
                && !call.orphan
            {
                held.push(c as u32);
            }
        }
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body {
            if let Some(delay) = db.failover {
                if inst == db.primary {
                    // Its replication stream stops: writes not yet shipped to a replica stay
                    // on the crashed primary (`undelivered`), and stragglers are void.
                    db.term = db.term.wrapping_add(1);
                    db.promote_at = now + delay;
                    ctx.schedule_in(SimTime(delay), Ev::Promote(comp));
                }
            }
        }
        let lost = held.len() as u64;
        for (k, c) in held.into_iter().enumerate() {
            if k < queued {
                let call = &mut self.calls[c as usize];
                call.holds_worker = false;
                call.holds_lock = false;
                call.done = false;
                self.fail_now(ctx, c, UNAVAILABLE);
            } else {
                // Tell the caller now through a stand-in slot; the original lives on as an
                // orphan until its pending CPU-done or downstream replies have run.
                let mut proxy = self.calls[c as usize];
                proxy.pending = 0;
                proxy.holds_worker = false;
                let call = &mut self.calls[c as usize];
                call.orphan = true;
                call.done = true;
                call.holds_worker = false;
                let p = self.new_call(proxy);
                if proxy.guard != NONE {
                    // The guard waits for the stand-in now.
                    for t in &mut self.guards[proxy.guard as usize].tries {
                        if *t == c {
                            *t = p;
                        }
                    }
                }
                self.fail_now(ctx, p, UNAVAILABLE);
            }
        }
        lost
    }

    fn reject(&mut self, ctx: &mut Context<'_, Ev>, c: u32, reason: usize) {
        let call = &mut self.calls[c as usize];
        call.err = reason as u8 + 1;
        call.done = true;
        let (comp, holds_lock) = (call.comp, call.holds_lock);
        self.comps[comp as usize].rejected += 1;
        self.failed_here(comp, ctx.now().as_nanos());
        if holds_lock {
            // Turned away after taking its row lock: pass the lock on.
            self.release_lock(ctx, c);
        }
        self.hop(ctx, Ev::Reply(c));
    }

    /// The reply of call `c` reaches its parent.
    fn reply(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        self.comps[call.comp as usize].insts[call.inst as usize].outstanding -= 1;
        if self.has_policies && call.guard != NONE {
            return self.guard_reply(ctx, c);
        }
        if call.parent == NONE {
            return self.client_done(ctx, c);
        }
        if call.parent == INTERNAL {
            return self.internal_done(ctx, c);
        }
        self.free_call(c);
        let p = call.parent;
        let parent = &mut self.calls[p as usize];
        if parent.orphan {
            parent.pending -= 1;
            let is_custom = matches!(self.comps[parent.comp as usize].body, Body::Custom(_));
            if parent.pending == 0 && !is_custom {
                self.free_call(p);
            }
            return;
        }
        if call.err != 0 && parent.err == 0 {
            parent.err = call.err;
        }
        parent.pending -= 1;
        if parent.pending > 0 {
            return;
        }
        let (pcomp, perr) = (parent.comp, parent.err);
        match &self.comps[pcomp as usize].body {
            Body::Service(_) => {
                if perr != 0 {
                    self.finish_call(ctx, p)
                } else {
                    self.continue_calls(ctx, p)
                }
            }
            // A queue's consumers are internal calls; it has no children of its own.
            Body::Lb { .. } | Body::Queue(_) => self.finish_call(ctx, p),
            Body::Cache(_) => self.cache_answered(ctx, p, perr),
            Body::Custom(_) => self.custom_answered(ctx, p, perr),
        }
    }

    /// The backing store answered cache call `p` (its error `perr`, or 0).
    #[inline(never)]
    fn cache_answered(&mut self, ctx: &mut Context<'_, Ev>, p: u32, perr: u8) {
        // A read miss stores its key once the backing store has answered.
        let pc = self.calls[p as usize];
        let (pcomp, pinst) = (pc.comp, pc.inst);
        let now = ctx.now().as_nanos();
        let mut waiters = Vec::new();
        let comp = &mut self.comps[pcomp as usize];
        if let Body::Cache(cb) = &mut comp.body {
            if pc.key != NO_KEY && pc.step == 1 && cb.coalesce {
                waiters = cb.waiting[pinst as usize]
                    .remove(&pc.key)
                    .unwrap_or_default();
            }
            if perr == 0 && (pc.step == 1 || pc.step == 2) && pc.key != NO_KEY {
                cb.stores[pinst as usize].insert(pc.key, now, &mut comp.rng);
            }
        }
        // A CDN answers after the user-to-edge round trip drawn on arrival.
        if pc.aux > 0
            && matches!(&self.comps[pcomp as usize].body, Body::Cache(cb) if cb.edge_class.is_some())
        {
            ctx.schedule_in(SimTime(pc.aux), Ev::Finish(p));
            return;
        }
        self.finish_call(ctx, p);
        // Misses that waited on this one get its answer.
        for w in waiters {
            self.calls[w as usize].err = perr;
            self.finish_call(ctx, w);
        }
    }

    /// A downstream call of custom component call `p` answered (its error `perr`, or 0).
    #[inline(never)]
    fn custom_answered(&mut self, ctx: &mut Context<'_, Ev>, p: u32, perr: u8) {
        let pc = self.calls[p as usize];
        let req = Request {
            id: CallId(p),
            class: pc.class as usize,
            key: (pc.key != NO_KEY).then_some(pc.key),
            arrived: SimTime(pc.arrived),
        };
        let reason = (perr != 0).then(|| self.rec.reasons()[perr as usize - 1].clone());
        // The error is handed to the behaviour, which decides the call's fate.
        self.calls[p as usize].err = 0;
        self.run_behavior(ctx, pc.comp, pc.inst, |b, bctx| {
            b.on_reply(req, reason.as_deref(), bctx)
        });
    }

    fn run_behavior(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        comp: u32,
        inst: u32,
        f: impl FnOnce(&mut dyn Behavior, &mut BehaviorCtx<'_>),
    ) {
        let mut effects = std::mem::take(&mut self.effects);
        {
            let c = &mut self.comps[comp as usize];
            let Body::Custom(bs) = &mut c.body else {
                unreachable!()
            };
            let mut bctx = BehaviorCtx {
                now: ctx.now(),
                rng: &mut c.rng,
                effects: &mut effects,
            };
            f(bs[inst as usize].as_mut(), &mut bctx);
        }
        for e in effects.drain(..) {
            match e {
                Effect::Reply(id, delay) => {
                    if delay == SimTime::ZERO {
                        self.finish_call(ctx, id.0);
                    } else {
                        ctx.schedule_in(delay, Ev::Finish(id.0));
                    }
                }
                Effect::Fail(id, reason) => {
                    self.failed_here(comp, ctx.now().as_nanos());
                    let idx = self.reason_index(&reason);
                    self.calls[id.0 as usize].err = idx as u8 + 1;
                    self.finish_call(ctx, id.0);
                }
                Effect::Call(id, to) => {
                    let names = self.comps.iter().position(|c| c.name == to);
                    match names {
                        Some(t) => {
                            let t = t as u32;
                            let bal = self.comps[t as usize].balance;
                            let Call { key, class, .. } = self.calls[id.0 as usize];
                            let i = self.pick(t, bal, key, class);
                            self.calls[id.0 as usize].pending = 1;
                            self.call_out(ctx, id.0, t, i);
                        }
                        None => {
                            self.failed_here(comp, ctx.now().as_nanos());
                            let idx = self.reason_index("bad_call");
                            self.calls[id.0 as usize].err = idx as u8 + 1;
                            self.finish_call(ctx, id.0);
                        }
                    }
                }
                Effect::Timer(delay, tag) => {
                    let t = match self.free_timers.pop() {
                        Some(t) => {
                            self.timers[t as usize] = (comp, inst, tag);
                            t
                        }
                        None => {
                            self.timers.push((comp, inst, tag));
                            (self.timers.len() - 1) as u32
                        }
                    };
                    ctx.schedule_in(delay, Ev::Timer(t));
                }
            }
        }
        self.effects = effects;
    }

    fn reason_index(&mut self, name: &str) -> usize {
        self.rec.reason(name)
    }
}

impl Handler for World {
    type Event = Ev;

    fn handle(&mut self, ev: Ev, ctx: &mut Context<'_, Ev>) {
        self.now = ctx.now().as_nanos();
        match ev {
            Ev::Arrival(gen) => {
                let now = ctx.now().as_nanos();
                if gen == self.arrival_gen && now < self.duration && self.rate_factor > 0.0 {
                    self.start_request(ctx, NONE);
                    let mut gap = self
                        .arrival_gap
                        .as_ref()
                        .expect("open loop")
                        .sample(&mut self.rng_arrivals);
                    if self.rate_factor != 1.0 {
                        gap = SimTime::from_nanos_f64(gap.as_nanos() as f64 / self.rate_factor);
                    }
                    if now.saturating_add(gap.as_nanos()) < self.duration {
                        ctx.schedule_in(gap, Ev::Arrival(gen));
                    }
                }
            }
            Ev::Wake(user) => {
                if user >= self.user_limit {
                    if let Some(l) = self.in_loop.get_mut(user as usize) {
                        *l = false;
                    }
                    return;
                }
                if ctx.now().as_nanos() < self.duration {
                    self.start_request(ctx, user);
                }
            }
            Ev::Deliver(c) => self.deliver(ctx, c),
            Ev::CpuDone(c) => self.cpu_done(ctx, c),
            Ev::Reply(c) => self.reply(ctx, c),
            Ev::Finish(c) => self.finish_call(ctx, c),
            Ev::Timeout(r, gen) => {
                let req = self.reqs[r as usize];
                if req.live && req.gen == gen {
                    self.attempt_failed(ctx, r, TIMEOUT);
                }
            }
            other => self.handle_rare(other, ctx),
        }
    }
}

impl World {
    /// The events that are not about every request's way (retries, faults, probes, scaling,
    /// timers), out of line so that `handle` stays small.
    #[inline(never)]
    fn handle_rare(&mut self, ev: Ev, ctx: &mut Context<'_, Ev>) {
        match ev {
            Ev::Arrival(_)
            | Ev::Wake(_)
            | Ev::Deliver(_)
            | Ev::CpuDone(_)
            | Ev::Reply(_)
            | Ev::Finish(_)
            | Ev::Timeout(..) => unreachable!("handled in `handle`"),
            Ev::Retry(r, gen) => {
                let req = self.reqs[r as usize];
                if req.live && req.gen == gen {
                    self.send_attempt(ctx, r);
                }
            }
            Ev::Flush(comp, inst) => self.flush(ctx, comp, inst),
            Ev::FaultStart(i) => self.fault_start(ctx, i),
            Ev::FaultEnd(i) => self.fault_end(ctx, i),
            Ev::Restart(comp, inst) => self.restart(ctx, comp, inst),
            Ev::Probe(lb) => self.probe(ctx, lb),
            Ev::Promote(comp) => self.promote(ctx, comp),
            Ev::Deploy(i) => self.deploy_step(ctx, i),
            Ev::GuardTimeout(g, token) => {
                if self.guard_current(g, token) {
                    self.guard_timeout(ctx, g);
                }
            }
            Ev::GuardHedge(g, token) => {
                if self.guard_current(g, token) {
                    self.guard_hedge(ctx, g);
                }
            }
            Ev::GuardRetry(g, token) => {
                if self.guard_current(g, token) {
                    self.guard_attempt(ctx, g, None);
                }
            }
            Ev::GuardFallback(g, token) => {
                if self.guard_current(g, token) {
                    let parent = self.guards[g as usize].parent;
                    self.mark_degraded(parent);
                    self.guard_end(ctx, g, 0);
                }
            }
            Ev::BreakerHalfOpen(pi, inst) => self.breaker_half_open(ctx, pi, inst),
            Ev::ScaleReady(i) if self.scalers[i as usize].db => self.replica_ready(ctx, i),
            Ev::ScaleTick(i) => self.scale_tick(ctx, i),
            Ev::ScaleReady(i) => self.scale_ready(ctx, i),
            Ev::Profile => self.profile_step(ctx),
            Ev::Timer(t) => {
                let (comp, inst, tag) = self.timers[t as usize];
                self.free_timers.push(t);
                self.run_behavior(ctx, comp, inst, |b, bctx| b.on_timer(tag, bctx));
            }
        }
    }
}

/// Runs one replication of `spec` under `seed` and returns its statistics.
///
/// Traffic arrives during `[0, duration)`; the run then follows requests in flight until
/// `duration + drain` (or until nothing is left to do) and counts what is left as in flight.
pub fn run(spec: &Spec, seed: u64) -> Result<RunStats, ModelError> {
    run_with_progress(spec, seed, None)
}

/// [`run`], adding the simulated nanoseconds it covers to `progress` as it goes (once per
/// series bucket, so a progress bar can poll it without slowing the event loop). A whole run
/// adds `duration + drain`, however early it ends. The result is the same as [`run`]'s.
pub fn run_with_progress(
    spec: &Spec,
    seed: u64,
    progress: Option<&std::sync::atomic::AtomicU64>,
) -> Result<RunStats, ModelError> {
    let mut world = World::new(spec, seed)?;
    let init = world.initial_events();
    let mut sim = Simulation::new(world);
    for (t, e) in init {
        sim.schedule_at(t, e);
    }
    let end = spec.duration.saturating_add(spec.drain);
    // Run through the drain; stop early when nothing is left to do. The run covers at least
    // the whole traffic duration.
    let more = match progress {
        None => sim.run_through(end),
        Some(p) => {
            use std::sync::atomic::Ordering::Relaxed;
            let step = spec.series_interval.as_nanos().max(1_000_000);
            let mut t = 0u64;
            let more = loop {
                let upto = SimTime::from_nanos(t.saturating_add(step)).min(end);
                let more = sim.run_through(upto);
                p.fetch_add(upto.as_nanos() - t, Relaxed);
                t = upto.as_nanos();
                if sim.stopped() {
                    break true;
                }
                if !more || upto == end {
                    break more;
                }
            };
            p.fetch_add(end.as_nanos() - t, Relaxed);
            more
        }
    };
    if let Some(at) = sim.handler().overload {
        return Err(ModelError::Overload {
            at,
            limit: spec.max_in_flight,
        });
    }
    let stop = if more {
        end
    } else {
        sim.now().max(spec.duration)
    };
    let events = sim.events_processed();
    let stats = sim.into_handler().finish(stop, events);
    debug_assert!(stats.accounting_holds());
    Ok(stats)
}

/// Live instances per series bucket (the fewest during the bucket) from change points.
fn live_series(changes: &[(u64, u32)], interval_ns: u64, end_ns: u64) -> Vec<f64> {
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

/// Operations: partitions, latency faults, regions, restarts, health checks, failover and
/// rolling deployments. Everything here runs only when a scenario uses those features.
impl World {
    /// Chooses an instance of `to` like `pick`, then avoids instances out of rotation (a
    /// deployment) or ejected by balancer `lb`'s health check. When every instance is to be
    /// avoided, the first choice stands (fail open).
    #[inline(always)]
    fn choose(&mut self, lb: u32, to: u32, policy: Policy, key: u64, class: u16) -> u32 {
        let c = &self.comps[to as usize];
        if c.active == 1 && c.reshard.is_none() && !self.ops_pick {
            return 0; // what `pick` comes to, without the calls
        }
        self.choose_among(lb, to, policy, key, class)
    }

    fn choose_among(&mut self, lb: u32, to: u32, policy: Policy, key: u64, class: u16) -> u32 {
        let i = self.pick(to, policy, key, class);
        if !self.ops_pick || self.usable(lb, to, i) {
            return i;
        }
        self.repick(lb, to, policy, i)
    }

    fn usable(&self, lb: u32, to: u32, i: u32) -> bool {
        if self.comps[to as usize].insts[i as usize].out {
            return false;
        }
        if lb == NONE {
            return true;
        }
        match &self.comps[lb as usize].health {
            Some(h) => match h.targets.iter().position(|t| *t == to) {
                Some(t) => !h.ejected[t][i as usize],
                None => true,
            },
            None => true,
        }
    }

    fn repick(&mut self, lb: u32, to: u32, policy: Policy, first: u32) -> u32 {
        // Only the instances callers spread over (an autoscaler's idle ones are not ready).
        let n = self.comps[to as usize].active;
        let ok: Vec<u32> = (0..n).filter(|&j| self.usable(lb, to, j)).collect();
        if ok.is_empty() {
            return first;
        }
        let c = &mut self.comps[to as usize];
        match policy {
            Policy::Random => ok[c.rng.random_range(0..ok.len())],
            Policy::LeastOutstanding => *ok
                .iter()
                .min_by_key(|j| c.insts[**j as usize].outstanding)
                .expect("not empty"),
            Policy::P2c if ok.len() > 1 => {
                let a = c.rng.random_range(0..ok.len());
                let mut b = c.rng.random_range(0..ok.len() - 1);
                if b >= a {
                    b += 1;
                }
                let (a, b) = (ok[a], ok[b]);
                if c.insts[b as usize].outstanding < c.insts[a as usize].outstanding {
                    b
                } else {
                    a
                }
            }
            // In turn, and by key: the next instance that takes calls.
            _ => ok.iter().copied().find(|j| *j > first).unwrap_or(ok[0]),
        }
    }

    /// A global balancer's target for call `c`: the nearest to the call's origin with an
    /// instance that is up, in rotation and not ejected; the nearest if none is.
    fn global_target(&self, lb: u32, c: u32) -> u32 {
        let origin = self.region_from(c);
        let g = &self.comps[lb as usize].global;
        let order = &g[if origin == NO_REGION {
            g.len() - 1
        } else {
            origin as usize
        }];
        for &t in order {
            let n = self.comps[t as usize].active;
            let healthy = (0..n).any(|i| {
                let inst = &self.comps[t as usize].insts[i as usize];
                !inst.out
                    && match &self.comps[lb as usize].health {
                        Some(_) => self.usable(lb, t, i),
                        None => !inst.down,
                    }
            });
            if healthy {
                return t;
            }
        }
        order[0]
    }

    fn draw_origin(&mut self) -> u8 {
        let u: f64 = self.rng_origin.random();
        self.origins
            .iter()
            .find(|(_, cum)| u < *cum)
            .or(self.origins.last())
            .map_or(NO_REGION, |o| o.0)
    }

    /// The component a call comes from (`NONE`: the client).
    fn source_of(&self, c: u32) -> u32 {
        let call = &self.calls[c as usize];
        match call.parent {
            NONE => NONE,
            INTERNAL if call.gen == APPLY => call.comp,
            INTERNAL => call.req,
            p => self.calls[p as usize].comp,
        }
    }

    /// The region a call comes from.
    /// A component without a region is where its caller is (a global balancer forwards
    /// from the user's region).
    fn region_from(&self, c: u32) -> u8 {
        if self.regions.is_empty() {
            return NO_REGION;
        }
        // Up the chain of callers; a chain is never longer than the components (calls form
        // no cycles), and the bound keeps a slot reused after its caller gave up from looping.
        let mut c = c;
        for _ in 0..=self.comps.len() {
            let call = &self.calls[c as usize];
            match self.source_of(c) {
                NONE => return call.origin,
                s => match self.comps[s as usize].region {
                    NO_REGION if call.parent != INTERNAL && call.parent != NONE => c = call.parent,
                    r => return r,
                },
            }
        }
        NO_REGION
    }

    /// A hop when partitions, latency faults or regions are in play.
    fn hop_links(&mut self, ctx: &mut Context<'_, Ev>, ev: Ev) {
        let (c, deliver) = match ev {
            Ev::Deliver(c) => (c, true),
            Ev::Reply(c) => (c, false),
            other => {
                let d = self.net.sample(&mut self.rng_net);
                return ctx.schedule_in(d, other);
            }
        };
        let src = self.source_of(c);
        let dst = self.calls[c as usize].comp;
        if deliver && !self.partitions.is_empty() && src != NONE {
            let cut = self
                .partitions
                .iter()
                .find(|(a, b, _)| (*a == src && *b == dst) || (*a == dst && *b == src))
                .map(|p| p.2);
            match cut {
                // Lost in the network: never answered; the caller's timeout decides. The
                // instance never sees it, so it is not outstanding there (balancers and
                // deploy drains look at that count).
                Some(true) => {
                    let inst = self.calls[c as usize].inst;
                    let o = &mut self.comps[dst as usize].insts[inst as usize].outstanding;
                    *o = o.saturating_sub(1);
                    return;
                }
                // Refused at once.
                Some(false) => {
                    let reason = self.partitioned_reason;
                    let call = &mut self.calls[c as usize];
                    call.err = reason as u8 + 1;
                    call.done = true;
                    return self.reply(ctx, c);
                }
                None => {}
            }
        }
        let (ra, rb) = (self.region_from(c), self.comps[dst as usize].region);
        let mut d = if ra != rb && ra != NO_REGION && rb != NO_REGION {
            let nr = self.regions.len();
            match &self.region_net[ra as usize * nr + rb as usize] {
                Some(dist) => dist.sample(&mut self.rng_net),
                None => self.net.sample(&mut self.rng_net),
            }
        } else if self.net_zero {
            SimTime::ZERO
        } else {
            self.net.sample(&mut self.rng_net)
        };
        if deliver {
            for k in 0..self.delays.len() {
                let f = &self.faults[self.delays[k] as usize];
                if f.comp == dst && (f.peer == NONE || f.peer == src) {
                    if let FaultKind::Latency { add, .. } = &f.kind {
                        d = d.saturating_add(add.sample(&mut self.rng_net));
                    }
                }
            }
        }
        if d == SimTime::ZERO {
            match ev {
                Ev::Deliver(c) => self.deliver(ctx, c),
                _ => self.reply(ctx, c),
            }
        } else {
            ctx.schedule_in(d, ev);
        }
    }

    /// Starts the faults handled here; false for the others.
    fn ops_fault_start(&mut self, ctx: &mut Context<'_, Ev>, i: u32) -> bool {
        let now = ctx.now().as_nanos();
        let f = &self.faults[i as usize];
        let (comp, peer, duration) = (f.comp, f.peer, f.duration);
        match f.kind.clone() {
            FaultKind::Partition { drop, .. } => {
                self.partitions.push((comp, peer, drop));
                let (a, b) = (
                    self.comps[comp as usize].name.clone(),
                    self.comps[peer as usize].name.clone(),
                );
                let how = if drop {
                    "calls between them vanish"
                } else {
                    "calls between them fail"
                };
                self.rec.timeline(
                    now,
                    &a,
                    "partition_start",
                    format!("cut off from `{b}` for {duration}; {how}"),
                );
            }
            FaultKind::Latency { add, .. } => {
                self.delays.push(i);
                let from = if peer == NONE {
                    String::new()
                } else {
                    format!(" from `{}`", self.comps[peer as usize].name)
                };
                let name = self.comps[comp as usize].name.clone();
                self.rec.timeline(
                    now,
                    &name,
                    "latency_start",
                    format!(
                        "calls{from} arrive later by {:.1}ms on average, for {duration}",
                        add.mean_ns() / 1e6
                    ),
                );
            }
            FaultKind::Region => {
                let region = comp as u8;
                let mut lost = 0;
                let mut down = 0;
                for k in 0..self.comps.len() as u32 {
                    if self.comps[k as usize].region != region {
                        continue;
                    }
                    for inst in 0..self.comps[k as usize].insts.len() as u32 {
                        let i = &mut self.comps[k as usize].insts[inst as usize];
                        i.region_down += 1;
                        if i.region_down == 1 {
                            lost += self.crash(ctx, k, inst);
                            down += 1;
                        }
                    }
                    self.note_live(k, now);
                }
                let name = self.regions[region as usize].clone();
                self.rec.timeline(
                    now,
                    &name,
                    "region_down",
                    format!("{down} instances down for {duration}; calls in progress lost: {lost}"),
                );
            }
            FaultKind::Deploy { batch, .. } => {
                let c = &self.comps[comp as usize];
                let (name, n) = (c.name.clone(), c.insts.len());
                self.rec.timeline(
                    now,
                    &name,
                    "deploy_start",
                    format!("{n} instances in batches of {batch}"),
                );
                self.deploys[i as usize] = DeployState::default();
                self.deploy_out(ctx, i);
                return true;
            }
            _ => return false,
        }
        ctx.schedule_in(duration, Ev::FaultEnd(i));
        true
    }

    /// Ends the faults handled here; false for the others.
    fn ops_fault_end(&mut self, ctx: &mut Context<'_, Ev>, i: u32) -> bool {
        let now = ctx.now().as_nanos();
        let f = &self.faults[i as usize];
        let (comp, peer) = (f.comp, f.peer);
        match f.kind.clone() {
            FaultKind::Partition { drop, .. } => {
                if let Some(k) = self
                    .partitions
                    .iter()
                    .position(|p| *p == (comp, peer, drop))
                {
                    self.partitions.remove(k);
                }
                let name = self.comps[comp as usize].name.clone();
                self.rec
                    .timeline(now, &name, "partition_end", String::new());
            }
            FaultKind::Latency { .. } => {
                self.delays.retain(|d| *d != i);
                let name = self.comps[comp as usize].name.clone();
                self.rec.timeline(now, &name, "latency_end", String::new());
            }
            FaultKind::Region => {
                let region = comp as u8;
                for k in 0..self.comps.len() as u32 {
                    if self.comps[k as usize].region != region {
                        continue;
                    }
                    for inst in &mut self.comps[k as usize].insts {
                        inst.region_down = inst.region_down.saturating_sub(1);
                        if inst.down
                            && inst.region_down == 0
                            && inst.crashes == 0
                            && !inst.deploying
                        {
                            inst.down = false;
                        }
                    }
                    self.note_live(k, now);
                    if matches!(self.comps[k as usize].body, Body::Queue(_)) {
                        self.consume(ctx, k);
                    }
                }
                let name = self.regions[region as usize].clone();
                self.rec.timeline(now, &name, "region_up", String::new());
            }
            FaultKind::Deploy { .. } => {}
            _ => return false,
        }
        true
    }

    /// Schedules an orchestrator restart of a crashed instance, if the component has one.
    fn schedule_restart(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        if let Some(r) = self.comps[comp as usize].restart {
            let now = ctx.now().as_nanos();
            self.comps[comp as usize].insts[inst as usize].restart_at = now + r;
            ctx.schedule_in(SimTime(r), Ev::Restart(comp, inst));
        }
    }

    /// The orchestrator brings a crashed instance back (unless its region is still down, or a
    /// later crash moved the restart).
    fn restart(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let now = ctx.now().as_nanos();
        let c = &mut self.comps[comp as usize];
        let n = c.insts.len();
        let i = &mut c.insts[inst as usize];
        if i.restart_at != now || !i.down || i.region_down > 0 || i.deploying {
            return;
        }
        i.restart_at = 0;
        i.down = false;
        i.crashes = 0;
        let label = if n == 1 {
            c.name.clone()
        } else {
            format!("{}[{inst}]", c.name)
        };
        self.rec.timeline(
            now,
            &label,
            "restart",
            "back after the orchestrator's restart delay".into(),
        );
        self.note_live(comp, now);
        if matches!(self.comps[comp as usize].body, Body::Queue(_)) {
            self.consume(ctx, comp);
        }
    }

    /// A balancer probes every instance of its targets: an instance that is down (or cut off
    /// from the balancer) fails the probe; `failures` failures in a row eject it, one success
    /// admits it again. Probing stops with the traffic.
    fn probe(&mut self, ctx: &mut Context<'_, Ev>, lb: u32) {
        let now = ctx.now().as_nanos();
        let Some(mut h) = self.comps[lb as usize].health.take() else {
            return;
        };
        let lb_name = self.comps[lb as usize].name.clone();
        for (t, &target) in h.targets.iter().enumerate() {
            let cut = self
                .partitions
                .iter()
                .any(|(a, b, _)| (*a == lb && *b == target) || (*a == target && *b == lb));
            let c = &self.comps[target as usize];
            let n = c.insts.len();
            for i in 0..n {
                let ok = !c.insts[i].down && !cut;
                let label = || {
                    if n == 1 {
                        c.name.clone()
                    } else {
                        format!("{}[{i}]", c.name)
                    }
                };
                if ok {
                    h.fails[t][i] = 0;
                    if h.ejected[t][i] {
                        h.ejected[t][i] = false;
                        self.rec.timeline(
                            now,
                            &label(),
                            "readmit",
                            format!("`{lb_name}` sends it calls again: a probe succeeded"),
                        );
                    }
                } else {
                    h.fails[t][i] += 1;
                    if h.fails[t][i] >= h.failures && !h.ejected[t][i] {
                        h.ejected[t][i] = true;
                        self.rec.timeline(
                            now,
                            &label(),
                            "eject",
                            format!(
                                "`{lb_name}` stops sending it calls: {} failed probes",
                                h.failures
                            ),
                        );
                    }
                }
            }
        }
        let interval = h.interval;
        self.comps[lb as usize].health = Some(h);
        if now + interval < self.duration {
            ctx.schedule_in(SimTime(interval), Ev::Probe(lb));
        }
    }

    /// Failover: the primary has been down for detect + promote; the replica that has
    /// received the most of its writes becomes the primary, and the writes it never received
    /// are lost.
    fn promote(&mut self, ctx: &mut Context<'_, Ev>, comp: u32) {
        let now = ctx.now().as_nanos();
        let c = &mut self.comps[comp as usize];
        let Body::Service(Svc { db: Some(db), .. }) = &mut c.body else {
            return;
        };
        if db.promote_at != now || !c.insts[db.primary as usize].down {
            return;
        }
        db.promote_at = 0;
        let old = db.primary;
        let best = (0..c.insts.len() as u32)
            .filter(|i| *i != old && !c.insts[*i as usize].down)
            .min_by_key(|i| db.undelivered[*i as usize]);
        let Some(p) = best else {
            let name = c.name.clone();
            self.rec.timeline(
                now,
                &name,
                "promotion_failed",
                "no replica is up to take over".into(),
            );
            return;
        };
        let lost = db.undelivered[p as usize];
        db.lost_writes += lost;
        db.undelivered.iter_mut().for_each(|u| *u = 0);
        db.term = db.term.wrapping_add(1);
        db.primary = p;
        let label = format!("{}[{p}]", c.name);
        self.rec.timeline(
            now,
            &label,
            "promote",
            format!("primary now (was [{old}]); writes lost: {lost}"),
        );
    }

    /// A deployment takes its next batch out of rotation and waits for it to drain.
    fn deploy_out(&mut self, ctx: &mut Context<'_, Ev>, f: u32) {
        let now = ctx.now().as_nanos();
        let (comp, FaultKind::Deploy { batch, drain, .. }) = (
            self.faults[f as usize].comp,
            self.faults[f as usize].kind.clone(),
        ) else {
            return;
        };
        let st = &mut self.deploys[f as usize];
        let c = &mut self.comps[comp as usize];
        let n = c.active;
        let (from, to) = (st.next, (st.next + batch).min(n));
        st.starting = false;
        st.drain_until = now + drain.as_nanos();
        for i in from..to {
            c.insts[i as usize].out = true;
        }
        let name = c.name.clone();
        self.rec.timeline(
            now,
            &name,
            "deploy_batch_out",
            format!(
                "instances {from}..{} stop taking new calls and drain",
                to - 1
            ),
        );
        self.note_live(comp, now);
        self.deploy_step(ctx, f);
    }

    /// The next step of a deployment: a drained batch goes down for its start-up; a started
    /// batch comes back and the next one goes out.
    fn deploy_step(&mut self, ctx: &mut Context<'_, Ev>, f: u32) {
        let now = ctx.now().as_nanos();
        let (
            comp,
            FaultKind::Deploy {
                batch, start_up, ..
            },
        ) = (
            self.faults[f as usize].comp,
            self.faults[f as usize].kind.clone(),
        )
        else {
            return;
        };
        let st = self.deploys[f as usize];
        let n = self.comps[comp as usize].active;
        let (from, to) = (st.next, (st.next + batch).min(n));
        let name = self.comps[comp as usize].name.clone();
        if !st.starting {
            let drained =
                (from..to).all(|i| self.comps[comp as usize].insts[i as usize].outstanding == 0);
            if !drained && now < st.drain_until {
                // Check again shortly (every 10 ms, at most until the drain timeout).
                let next = (now + 10_000_000).min(st.drain_until);
                ctx.schedule_in(SimTime(next - now), Ev::Deploy(f));
                return;
            }
            let mut lost = 0;
            for i in from..to {
                self.comps[comp as usize].insts[i as usize].deploying = true;
                lost += self.crash(ctx, comp, i);
            }
            self.rec.timeline(
                now,
                &name,
                "deploy_batch_down",
                format!(
                    "instances {from}..{} restart for {start_up}; calls cut off: {lost}",
                    to - 1
                ),
            );
            self.deploys[f as usize].starting = true;
            self.note_live(comp, now);
            ctx.schedule_in(start_up, Ev::Deploy(f));
            return;
        }
        for i in from..to {
            let inst = &mut self.comps[comp as usize].insts[i as usize];
            inst.deploying = false;
            inst.out = false;
            if inst.crashes == 0 && inst.region_down == 0 {
                inst.down = false;
            }
        }
        self.rec.timeline(
            now,
            &name,
            "deploy_batch_in",
            format!("instances {from}..{} serve again, new version", to - 1),
        );
        self.note_live(comp, now);
        if matches!(self.comps[comp as usize].body, Body::Queue(_)) {
            self.consume(ctx, comp);
        }
        if to < n {
            self.deploys[f as usize].next = to;
            self.deploy_out(ctx, f);
        } else {
            self.rec
                .timeline(now, &name, "deploy_end", format!("{n} instances updated"));
        }
    }

    /// Records the number of live instances (up and in rotation) after a change.
    fn note_live(&mut self, comp: u32, now: u64) {
        let c = &mut self.comps[comp as usize];
        if let Some(v) = &mut c.live_changes {
            let live = c.insts[..c.active as usize]
                .iter()
                .filter(|i| !i.down && !i.out)
                .count() as u32;
            v.push((now, live));
        }
    }
}
