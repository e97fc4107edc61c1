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
use archsim_stats::{
    Category, ComponentStats, Counters, Event, Figure, Figures, Recorder, RunStats, SeriesSet,
    TimeAverage, Window,
};
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
/// `gen` of an internal call: a replica that was down (or is still catching up) replaying a
/// write from the primary's log (`req` is the primary's term, `aux` the commit time).
const REPLAY: u32 = 4;
/// The most writes a primary keeps in its log for one replica that cannot apply them (about
/// 24 MB); beyond, the replica resyncs from a copy of the primary's data when it is back.
const BACKLOG_CAP: usize = 1 << 20;

/// Whether an internal call of `gen` applies a write at a replica.
#[inline]
fn is_apply(gen: u32) -> bool {
    gen == APPLY || gen == REPLAY
}

mod arena;
mod build;
mod flow;
mod kinds;
mod memory;
mod net;
mod ops;
mod replica_scale;
mod report;
mod resilience;
mod routing;
mod stall;
mod traffic;
pub use memory::{
    estimate_memory, in_flight_reserve, MemoryEstimate, MemoryPart, IN_FLIGHT_RESERVE,
};
use resilience::scale_period;
use stall::{stall, stall_budget};

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
    /// Busy workers (held only with a worker limit).
    workers: TimeAverage,
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
    /// Per instance: writes it could not apply yet, in commit order (the primary's log kept
    /// for it while it is down, and while it replays): replayed when it is back.
    behind: Vec<VecDeque<Missed>>,
    /// Per instance: replayed writes in flight.
    replaying: Vec<u32>,
    /// Per instance: the log kept for it outgrew `BACKLOG_CAP`; it resyncs when back.
    resync: Vec<bool>,
    /// Per instance: when its catch-up began (0: none) and the writes replayed since.
    catchup: Vec<(u64, u64)>,
    /// Writes replayed by replicas catching up (measured window).
    replayed: u64,
}

/// A write a replica has still to apply.
#[derive(Clone, Copy, Debug)]
struct Missed {
    key: u64,
    commit: u64,
    class: u16,
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
    /// The queue whose backlog passed `max_backlog` (with `overload`).
    overload_queue: Option<u32>,
    max_backlog: u64,
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
    // the whole traffic duration. With a progress counter the run goes one series bucket at
    // a time; either way it goes at most `budget` events at a time, and a whole budget of
    // events at one instant means simulated time cannot advance (a stall).
    use std::sync::atomic::Ordering::Relaxed;
    let step = match progress {
        Some(_) => spec.series_interval.as_nanos().max(1_000_000),
        None => u64::MAX,
    };
    let budget = stall_budget(spec);
    let mut t = 0u64;
    let mut window_start = sim.now();
    let more = loop {
        let upto = SimTime::from_nanos(t.saturating_add(step)).min(end);
        let Some(more) = sim.run_through_budget(upto, budget) else {
            if sim.now() == window_start && !sim.stopped() {
                return Err(stall(&mut sim, spec, budget));
            }
            window_start = sim.now();
            continue;
        };
        if let Some(p) = progress {
            p.fetch_add(upto.as_nanos() - t, Relaxed);
        }
        t = upto.as_nanos();
        if sim.stopped() {
            break true;
        }
        if !more || upto == end {
            break more;
        }
    };
    if let Some(p) = progress {
        p.fetch_add(end.as_nanos() - t, Relaxed);
    }
    if let Some(at) = sim.handler().overload {
        if let Some(q) = sim.handler().overload_queue {
            return Err(ModelError::Backlog {
                at,
                queue: spec.components[q as usize].name.clone(),
                limit: spec.max_backlog,
            });
        }
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
