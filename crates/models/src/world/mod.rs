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
//! # Where things are
//!
//! The flow (`flow.rs`) moves calls between components and dispatches to their kind; each
//! kind (`kinds/`, one module each, behind the `Kind` contract and the one list of kinds)
//! answers with a `Step` the flow applies. The clients (`traffic/`), the network (`net.rs`),
//! routing (`routing.rs`), operations (`ops/`) and resilience (`resilience/`) keep their state
//! in their own part of the world. `CONTRIBUTING.md` at the repository's root has the map and
//! the recipe for adding a kind.
//!
//! # Accounting
//!
//! A request is *live* from its first attempt until its final outcome. Every outcome goes to
//! the [`Recorder`] exactly once; at the end, live requests are `in_flight`, so
//! `generated = succeeded + failed + in_flight` holds by construction (and is asserted).

use crate::behavior::{Behavior, BehaviorCtx, CallId, Effect, Request};
use crate::cache::{EntrySizes, KeyHasher, KeyStore, Lookup};
use crate::dist::Dist;
use crate::spec::{
    AutoscaleSpec, CacheSpec, CallPolicy, CdnSpec, CompOps, ComponentSpec, FaultKind, KindSpec,
    Load, ModelError, Policy, Reads, RetrySpec, ServiceSpec, Spec,
};
use archsim_engine::{stream, Context, Handler, SimTime, Simulation, Stream};
use archsim_stats::{
    Category, Chart, ComponentStats, Counters, Event, Figure, Figures, InstanceMemory,
    InstanceSeries, MemoryPerInstance, Recorder, RunStats, SeriesSet, TimeAverage, Window,
    INSTANCE_SERIES_MAX,
};
use rand::Rng;
use rand_distr::{Distribution, Zipf};
use std::collections::HashMap;
use std::collections::VecDeque;
use std::hash::BuildHasherDefault;

mod arena;
mod build;
mod flow;
pub(crate) mod heap;
use heap::memory_figures;
mod instance;
pub(crate) mod kinds;
mod links;
mod memory;
mod net;
mod ops;
mod report;
mod resilience;
mod routing;
mod stall;
mod timing;
mod trace;
mod traffic;
use arena::*;
use build::{find, BuildCx};
use flow::{Step, Then};
use instance::*;
use kinds::*;
use links::{Bandwidth, Sent};
pub use memory::{
    estimate_memory, in_flight_reserve, MemoryEstimate, MemoryPart, IN_FLIGHT_RESERVE,
};
use net::Net;
use ops::*;
use report::ReportCx;
use resilience::scale_period;
use resilience::*;
use routing::*;
use stall::{stall, stall_budget};
use timing::Timing;
pub use trace::{Kept, Span, Trace, TraceOptions, TraceSink};
use trace::{SlotOf, Tracer};
use traffic::Traffic;

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
    /// A custom component's timer (component, index into its timer table).
    Timer(u32, u32),
    /// Fault `i` starts.
    FaultStart(u32),
    /// Fault `i` ends.
    FaultEnd(u32),
    /// An orchestrator restarts a crashed instance (component, instance); for an instance
    /// that is up, a leak per second may have filled its memory (see `heap`: one event kind
    /// for an instance's own timers keeps the event enum, and the queue's code, as it was).
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
    /// A database's storage autoscaling grows its capacity (component).
    StorageGrow(u32),
    /// A database disk's I/O ends (component, instance and generation).
    DiskDone(u32, u32),
    /// A database disk's group-commit window closes (component, instance and generation).
    DiskWindow(u32, u32),
}

// An event is copied through the queue: it stays at most 12 bytes (two indices and a tag).
const _: () = assert!(std::mem::size_of::<Ev>() <= 12);

type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// All state of one run; the engine's [`Handler`]. The flow's shared state (the call
/// arena, the components, the recorder) is here; traffic, the network, operations and
/// resilience keep theirs in their own parts.
pub struct World {
    duration: u64,
    interval_ns: u64,
    /// Keep each instance's series (`Spec::instance_series`), read once at the end.
    instance_series: bool,
    /// The time of the event being handled (for routing during a reshard).
    now: u64,
    comps: Vec<Comp>,
    calls: Vec<Call>,
    free_calls: Vec<u32>,
    live: u64,
    max_in_flight: u64,
    overload: Option<SimTime>,
    /// The queue whose backlog passed `max_backlog` (with `overload`).
    overload_queue: Option<u32>,
    max_backlog: u64,
    rec: Recorder,
    ready: VecDeque<(u32, Resume)>,
    /// Follow-ups kinds leave to run after their step (see [`Then`]).
    then: Vec<Then>,
    draining: bool,
    /// The clients: arrivals, classes, keys, requests and their retries, the load's shape.
    traffic: Traffic,
    /// The network: hop latency, regions, partitions and latency faults.
    net: Net,
    /// Operations: faults and deployments.
    ops: Ops,
    /// Resilience: call policies and their guards, autoscalers.
    res: Res,
    /// Where each call's time goes: per-component response times, the latency breakdown.
    time: Timing,
    /// The request traces of a traced run.
    tracer: Option<Box<Tracer>>,
    /// The bytes each call in flight holds, where a component has a memory model.
    call_bytes: heap::CallBytes,
    /// Something watches each call as it is made: its times (`run.breakdown`) or a tracer.
    /// Fixed before the run (see [`World::watch`]), so an unwatched call pays one test.
    watch_made: bool,
    /// Something watches each call as it ends: those, latency-driven autoscaling, or the
    /// bytes calls hold.
    watch_done: bool,
}

/// No region.
const NO_REGION: u8 = u8::MAX;

impl Handler for World {
    type Event = Ev;

    fn handle(&mut self, ev: Ev, ctx: &mut Context<'_, Ev>) {
        self.now = ctx.now().as_nanos();
        match ev {
            Ev::Arrival(gen) => {
                let now = ctx.now().as_nanos();
                if gen == self.traffic.arrival_gen
                    && now < self.duration
                    && self.traffic.rate_factor > 0.0
                {
                    self.start_request(ctx, NONE);
                    let mut gap = self
                        .traffic
                        .arrival_gap
                        .as_ref()
                        .expect("open loop")
                        .sample(&mut self.traffic.rng_arrivals);
                    if self.traffic.rate_factor != 1.0 {
                        gap = SimTime::from_nanos_f64(
                            gap.as_nanos() as f64 / self.traffic.rate_factor,
                        );
                    }
                    if now.saturating_add(gap.as_nanos()) < self.duration {
                        ctx.schedule_in(gap, Ev::Arrival(gen));
                    }
                }
            }
            Ev::Wake(user) => {
                if user >= self.traffic.user_limit {
                    if let Some(l) = self.traffic.in_loop.get_mut(user as usize) {
                        *l = false;
                    }
                    return;
                }
                if ctx.now().as_nanos() < self.duration {
                    self.start_request(ctx, user);
                }
            }
            Ev::Deliver(c) => self.deliver(ctx, c),
            Ev::CpuDone(c) => {
                let step = self.cpu_done(ctx, c);
                self.apply(ctx, c, step)
            }
            Ev::Reply(c) => self.reply(ctx, c),
            Ev::Finish(c) => self.finish_call(ctx, c),
            Ev::Timeout(r, gen) => {
                let req = self.traffic.reqs[r as usize];
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
                let req = self.traffic.reqs[r as usize];
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
                    let parent = self.res.guards[g as usize].parent;
                    self.mark_degraded(parent);
                    self.guard_end(ctx, g, 0);
                }
            }
            Ev::BreakerHalfOpen(pi, inst) => self.breaker_half_open(ctx, pi, inst),
            Ev::ScaleReady(i) if self.res.scalers[i as usize].db => self.replica_ready(ctx, i),
            Ev::ScaleTick(i) => self.scale_tick(ctx, i),
            Ev::ScaleReady(i) => self.scale_ready(ctx, i),
            Ev::Profile => self.profile_step(ctx),
            Ev::Timer(comp, t) => self.custom_timer(ctx, comp, t),
            Ev::StorageGrow(comp) => self.storage_grow(ctx, comp),
            Ev::DiskDone(comp, t) => self.disk_event(ctx, comp, t, true),
            Ev::DiskWindow(comp, t) => self.disk_event(ctx, comp, t, false),
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
    run_inner(spec, seed, progress, None)
}

/// [`run_with_progress`], also tracing requests: the traces `options` keep go to `sink` as
/// the run decides them (the slowest at its end). The statistics are the same as without.
pub fn run_traced(
    spec: &Spec,
    seed: u64,
    progress: Option<&std::sync::atomic::AtomicU64>,
    options: TraceOptions,
    sink: Box<dyn TraceSink>,
) -> Result<RunStats, ModelError> {
    run_inner(
        spec,
        seed,
        progress,
        Some(Box::new(Tracer::new(options, sink, seed))),
    )
}

fn run_inner(
    spec: &Spec,
    seed: u64,
    progress: Option<&std::sync::atomic::AtomicU64>,
    tracer: Option<Box<Tracer>>,
) -> Result<RunStats, ModelError> {
    let mut world = World::new(spec, seed)?;
    world.tracer = tracer;
    world.watch();
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
    let mut stats = sim.into_handler().finish(stop, events);
    debug_assert!(stats.accounting_holds());
    // Alerts are evaluated on this replication's own series, before any pooling.
    if !spec.alerts.rules.is_empty() {
        archsim_stats::alerts::evaluate(&spec.alerts, &mut stats);
    }
    Ok(stats)
}
