//! The service kind (also the CPU side of a database and of a gateway): its spec (cores,
//! workers, waiting room, endpoints and their calls), its state per instance, admission to
//! workers, cores and row locks, CPU time, the next downstream call step, release, its
//! build, its report.

use crate::world::*;

// ----- its spec -----

/// An application service: cores, workers, a waiting room and endpoints.
#[derive(Clone, Debug, Default)]
pub struct ServiceSpec {
    /// Shown as kind `database` rather than `service` (same model until the data tier).
    pub database: bool,
    /// CPU servers per instance; `None` = unlimited (CPU time is a pure delay).
    pub cores: Option<u32>,
    /// Concurrency per instance, held from admission to reply; `None` = unlimited.
    pub workers: Option<u32>,
    /// Requests that may wait per instance; `None` = unlimited.
    pub queue: Option<u32>,
    /// Endpoints by class name; `"default"` applies to classes without their own.
    pub endpoints: Vec<(String, EndpointSpec)>,
    /// Database features (replicas, row locks); `None` for a plain service.
    pub db: Option<DbSpec>,
    /// Token-bucket rate limit per instance: (requests per second, burst). Requests over the
    /// limit fail at once with `rate_limited`.
    pub rate_limit: Option<(f64, f64)>,
    /// Shown as kind `gateway`.
    pub gateway: bool,
    /// Horizontal autoscaling; `None` = a fixed instance count.
    pub autoscale: Option<AutoscaleSpec>,
    /// Deadline propagation: work whose client (or calling service) has given up is dropped
    /// when it reaches the CPU instead of being done.
    pub drop_expired: bool,
    /// Order in which waiting requests are served.
    pub discipline: Discipline,
    /// Sub-linear scaling with cores (needs `cores`): each CPU time is stretched by
    /// [`crate::Usl::factor`] of the cores busy when it starts; `None` = linear.
    pub usl: Option<crate::Usl>,
}

/// Order in which a service serves its waiting room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Discipline {
    /// First in, first out.
    #[default]
    Fifo,
    /// Last in, first out (the newest waiting request is served first).
    Lifo,
    /// FIFO while at most `above` requests wait, LIFO beyond (Facebook's adaptive LIFO).
    AdaptiveLifo {
        /// Queue length beyond which the newest request is served first.
        above: u32,
    },
}

/// What one request does at a service.
#[derive(Clone, Debug, Default)]
pub struct EndpointSpec {
    /// CPU time, served by the cores.
    pub cpu: Option<Dist>,
    /// Downstream calls, one after another, after the CPU time.
    pub calls: Vec<CallSpec>,
    /// Bytes of a request to it (a distribution of bytes, [`Dist::parse_bytes`]); `None`:
    /// the request takes no time on a link.
    pub request_size: Option<Dist>,
    /// Bytes of its response (errors carry none); `None`: no time on a link.
    pub response_size: Option<Dist>,
}

/// One downstream call.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSpec {
    /// The component called.
    pub to: String,
    /// Parallel calls to distinct instances (the caller waits for all).
    pub fanout: u32,
    /// Resilience policies of the caller on this call; `None` = a plain call.
    pub policy: Option<Box<CallPolicy>>,
}

impl CallSpec {
    /// A single call to `to`.
    pub fn to(to: &str) -> Self {
        Self {
            to: to.to_string(),
            fanout: 1,
            policy: None,
        }
    }
}

pub(in crate::world) struct Endpoint {
    pub(in crate::world) cpu: Option<Dist>,
    /// It reads or writes a database table: its CPU time adds the table's cost.
    pub(in crate::world) table_op: bool,
    /// Its CPU time is more than the draw and a slow fault's factor: a table's cost, the
    /// USL's or the garbage collector's stretch (fixed at build, so that the usual CPU
    /// time costs one test of them all).
    pub(in crate::world) stretched: bool,
    pub(in crate::world) calls: Vec<(u32, u32)>,
    /// By step: index into `World::policies`, or `NONE`.
    pub(in crate::world) policy: Vec<u32>,
}

/// What a service instance has beyond what every instance has: its cores and workers, the
/// calls waiting for them, and their time averages.
pub(in crate::world) struct SvcInst {
    pub(in crate::world) busy_cores: u32,
    pub(in crate::world) busy_workers: u32,
    /// Waiting for admission: a worker if `workers` is set, else a core.
    pub(in crate::world) wait_q: VecDeque<u32>,
    /// Holding a worker, waiting for a core.
    pub(in crate::world) cpu_q: VecDeque<u32>,
    /// Busy cores, and calls waiting (both rooms), over time.
    pub(in crate::world) busy: TimeAverage,
    pub(in crate::world) queue: TimeAverage,
    /// Busy workers (held only with a worker limit).
    pub(in crate::world) workers: TimeAverage,
}

impl SvcInst {
    pub(in crate::world) fn new(window: Window, series_interval_ns: u64) -> SvcInst {
        SvcInst {
            busy_cores: 0,
            busy_workers: 0,
            wait_q: VecDeque::new(),
            cpu_q: VecDeque::new(),
            busy: TimeAverage::with_series(window, series_interval_ns),
            queue: TimeAverage::with_series(window, series_interval_ns),
            workers: TimeAverage::new(window),
        }
    }
    /// Records the calls waiting in both rooms now.
    #[inline(always)]
    pub(in crate::world) fn note_queue(&mut self, now: u64) {
        let q = (self.wait_q.len() + self.cpu_q.len()) as u64;
        self.queue.set(now, q);
    }
    /// Takes a core (the caller has checked one is free).
    #[inline(always)]
    pub(in crate::world) fn take_core(&mut self, now: u64) {
        self.busy_cores += 1;
        let b = self.busy_cores as u64;
        self.busy.set(now, b);
    }
    /// Gives a core back.
    #[inline(always)]
    pub(in crate::world) fn free_core(&mut self, now: u64) {
        self.busy_cores -= 1;
        let b = self.busy_cores as u64;
        self.busy.set(now, b);
    }
    /// The instance crashed: the calls waiting in its rooms (in that order) join `held`,
    /// and its cores and workers are free when it comes back.
    pub(in crate::world) fn crash(&mut self, now: u64, held: &mut Vec<u32>) {
        held.extend(self.wait_q.drain(..).chain(self.cpu_q.drain(..)));
        self.busy_cores = 0;
        self.busy_workers = 0;
        self.workers.set(now, 0);
        self.busy.set(now, 0);
        self.queue.set(now, 0);
    }
}

pub(in crate::world) struct Svc {
    /// By instance.
    pub(in crate::world) insts: Vec<SvcInst>,
    pub(in crate::world) cores: Option<u32>,
    pub(in crate::world) workers: Option<u32>,
    pub(in crate::world) queue: Option<u32>,
    /// By class index.
    pub(in crate::world) endpoints: Vec<Endpoint>,
    pub(in crate::world) db: Option<Box<DbState>>,
    /// Its rate limit (an API gateway's token bucket).
    pub(in crate::world) limit: Option<RateLimit>,
    /// Drop work whose caller gave up when it reaches the CPU.
    pub(in crate::world) drop_expired: bool,
    /// Serve the newest waiting request when more than this many wait (`None` = FIFO).
    pub(in crate::world) lifo_above: Option<u32>,
    /// Calls dropped before their CPU time because their caller had given up.
    pub(in crate::world) dropped: u64,
    /// No workers, rate limit or database: an arriving call goes straight to core admission.
    pub(in crate::world) plain: bool,
    /// Sub-linear scaling with cores ([`ServiceSpec::usl`]).
    pub(in crate::world) usl: Option<crate::Usl>,
    /// Scale to zero (an autoscaler with `min = 0`).
    pub(in crate::world) cold: Option<Box<Cold>>,
    /// A database with a disk: a write's commit waits for its I/O after its CPU time.
    pub(in crate::world) disk: bool,
}

/// How a call resumes from the work list.
#[derive(Clone, Copy, Debug)]
pub(in crate::world) enum Resume {
    /// Held by a cold start: arrives now.
    Arrive,
    LockThenCpu,
    StartCpu,
    CoreAdmission,
}

impl World {
    pub(in crate::world) fn svc(&self, comp: u32) -> &Svc {
        match &self.comps[comp as usize].body {
            Body::Service(s) => s,
            _ => unreachable!("not a service"),
        }
    }
    #[inline(always)]
    pub(in crate::world) fn svc_mut(&mut self, comp: u32) -> &mut Svc {
        match &mut self.comps[comp as usize].body {
            Body::Service(s) => s,
            _ => unreachable!("not a service"),
        }
    }
    /// A call reaches a service instance: its rate limit, its database side, then admission.
    #[inline(always)]
    pub(in crate::world) fn svc_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        self.svc_arrive_body::<true>(ctx, c)
    }
    /// A call reaches a warm instance (one held by a cold start, now ready).
    #[inline(never)]
    pub(in crate::world) fn svc_arrive_warm(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        self.svc_arrive_body::<false>(ctx, c)
    }
    /// [`Self::svc_arrive`], asking `cold` first when `COLD` (a service that may be at zero
    /// instances holds the call; see `resilience::cold`).
    #[inline(always)]
    fn svc_arrive_body<const COLD: bool>(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        let now = ctx.now().as_nanos();
        let Call { comp, inst, .. } = self.calls[c as usize];
        let internal = self.calls[c as usize].parent == INTERNAL;
        let Body::Service(s) = &mut self.comps[comp as usize].body else {
            unreachable!()
        };
        if COLD && s.cold.is_some() {
            return self.cold_arrive(ctx, c, now);
        }
        let (workers, queue, has_db) = (s.workers, s.queue, s.db.is_some());
        if let Some(l) = &mut s.limit {
            if !internal && !l.admit(inst, now) {
                l.limited += self.rec.window().contains(now) as u64;
                return Step::Fail(l.reason as u32);
            }
        }
        if has_db {
            if let Some(step) = self.db_arrive(c, now) {
                return step;
            }
        }
        self.svc_admit(ctx, c, workers, queue)
    }
    /// Admission to a service instance: a worker (or the bounded room), then lock and CPU.
    #[inline(always)]
    pub(in crate::world) fn svc_admit(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        workers: Option<u32>,
        queue: Option<u32>,
    ) -> Step {
        let now = ctx.now().as_nanos();
        let Call { comp, inst, .. } = self.calls[c as usize];
        let internal = self.calls[c as usize].parent == INTERNAL;
        if let Some(w) = workers {
            let i = &mut self.svc_mut(comp).insts[inst as usize];
            if i.busy_workers < w {
                i.busy_workers += 1;
                i.workers.set(now, i.busy_workers as u64);
                self.calls[c as usize].holds_worker = true;
                return self.lock_then_cpu(ctx, c);
            } else if !internal && queue.is_some_and(|q| i.wait_q.len() >= q as usize) {
                return Step::Reject;
            }
            i.wait_q.push_back(c);
            i.note_queue(now);
            return Step::Wait;
        }
        if self.must_wait_for_lock(c) {
            return Step::Wait;
        }
        self.core_admission(ctx, c)
    }
    /// Whether call `c` is a write that must wait for its key's row lock (then it is parked
    /// in the lock's queue); otherwise it takes the lock if it needs one.
    pub(in crate::world) fn must_wait_for_lock(&mut self, c: u32) -> bool {
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
    pub(in crate::world) fn lock_then_cpu(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        if self.must_wait_for_lock(c) {
            return Step::Wait;
        }
        self.start_cpu(ctx, c)
    }
    /// Releases call `c`'s row lock and lets the next write of the key go on.
    pub(in crate::world) fn release_lock(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
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
    pub(in crate::world) fn resume_later(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        how: Resume,
    ) {
        self.ready.push_back((c, how));
        if self.draining {
            return;
        }
        self.draining = true;
        while let Some((c, how)) = self.ready.pop_front() {
            let step = match how {
                Resume::Arrive => self.svc_arrive_warm(ctx, c),
                Resume::LockThenCpu => self.lock_then_cpu(ctx, c),
                Resume::StartCpu => self.start_cpu(ctx, c),
                Resume::CoreAdmission => self.core_admission(ctx, c),
            };
            self.apply(ctx, c, step);
        }
        self.draining = false;
    }
    /// Without workers: take a core, or wait for one in the bounded room.
    #[inline(always)]
    pub(in crate::world) fn core_admission(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        let now = ctx.now().as_nanos();
        let Call {
            comp,
            inst,
            class,
            parent,
            ..
        } = self.calls[c as usize];
        let internal = parent == INTERNAL;
        let s = self.svc_mut(comp);
        let (cores, queue, needs_cpu) =
            (s.cores, s.queue, s.endpoints[class as usize].cpu.is_some());
        let i = &mut s.insts[inst as usize];
        match cores {
            Some(k) if needs_cpu => {
                if i.busy_cores < k {
                    i.take_core(now);
                    self.schedule_cpu(ctx, c);
                } else if !internal && queue.is_some_and(|q| i.wait_q.len() >= q as usize) {
                    return Step::Reject;
                } else {
                    i.wait_q.push_back(c);
                    i.note_queue(now);
                }
                Step::Wait
            }
            _ => self.start_cpu(ctx, c),
        }
    }
    /// The call may run: take a core (or wait for one) and spend the CPU time.
    pub(in crate::world) fn start_cpu(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        let now = ctx.now().as_nanos();
        let Call {
            comp, inst, class, ..
        } = self.calls[c as usize];
        let s = self.svc_mut(comp);
        if s.endpoints[class as usize].cpu.is_none() {
            self.time.work_starts(c, now);
            return self.next_call(c);
        }
        match s.cores {
            None => self.schedule_cpu(ctx, c),
            Some(k) => {
                let i = &mut s.insts[inst as usize];
                if i.busy_cores < k {
                    i.take_core(now);
                    self.schedule_cpu(ctx, c);
                } else {
                    i.cpu_q.push_back(c);
                    i.note_queue(now);
                }
            }
        }
        Step::Wait
    }
    #[inline]
    pub(in crate::world) fn schedule_cpu(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        self.time.work_starts(c, ctx.now().as_nanos());
        if self.res.drop_work && self.should_drop(c) {
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
        let ep = &s.endpoints[class as usize];
        let mut d = ep.cpu.as_ref().expect("has cpu").sample(&mut comp.rng);
        if ep.stretched {
            d = self.stretch_cpu(ctx, c, d);
        } else {
            let slow = comp.insts[inst as usize].slow;
            if slow != 1.0 {
                d = SimTime::from_nanos_f64(d.as_nanos() as f64 * slow);
            }
        }
        ctx.schedule_in(d, Ev::CpuDone(c));
    }
    /// Call `c`'s CPU time `d` as drawn, with what its endpoint adds (see
    /// [`Endpoint::stretched`]): the table's work, a slow fault's factor, the USL's stretch,
    /// the collector's, in that order.
    #[inline(never)]
    fn stretch_cpu(&mut self, ctx: &mut Context<'_, Ev>, c: u32, mut d: SimTime) -> SimTime {
        let Call {
            comp, inst, class, ..
        } = self.calls[c as usize];
        let ci = comp;
        let comp = &self.comps[comp as usize];
        let Body::Service(s) = &comp.body else {
            unreachable!()
        };
        let slow = comp.insts[inst as usize].slow;
        let table_op = s.endpoints[class as usize].table_op;
        // The stretches of sub-linear scaling and of garbage collection, read before the
        // table's work and applied after it.
        let usl = s.usl.map(|u| (u, s.insts[inst as usize].busy_cores));
        let heap = comp.heap.is_some();
        if table_op {
            d = self.with_table_work(ctx, c, d);
        }
        if slow != 1.0 {
            d = SimTime::from_nanos_f64(d.as_nanos() as f64 * slow);
        }
        if let Some((u, busy)) = &usl {
            d = usl_stretch(d, u, *busy);
        }
        if heap {
            d = self.gc_stretch(ci, inst, d);
        }
        d
    }
    /// A call's CPU time ended: its core passes to the next call waiting (or is free), and
    /// the call goes on to its downstream calls or answers.
    pub(in crate::world) fn cpu_done(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        if self.calls[c as usize].orphan {
            // Its instance crashed during the CPU time; this was the last event about it.
            self.free_call(c);
            return Step::Wait;
        }
        let now = ctx.now().as_nanos();
        let call = &self.calls[c as usize];
        let (comp, inst, class, step) = (call.comp, call.inst, call.class, call.step());
        let s = self.svc_mut(comp);
        let no_calls = s.endpoints[class as usize].calls.len() <= step as usize;
        let disk = s.disk;
        if s.cores.is_some() {
            let i = &mut s.insts[inst as usize];
            let q = if s.workers.is_some() {
                &mut i.cpu_q
            } else {
                &mut i.wait_q
            };
            let next = match s.lifo_above {
                Some(a) if q.len() > a as usize => q.pop_back(),
                _ => q.pop_front(),
            };
            match next {
                // The core passes straight to the next call: busy count unchanged.
                Some(n) => {
                    i.note_queue(now);
                    self.schedule_cpu(ctx, n);
                }
                None => i.free_core(now),
            }
        }
        // What `next_call` comes to with no calls left; dropped work makes none.
        if no_calls || self.res.drop_work && self.calls[c as usize].err != 0 {
            if disk && self.calls[c as usize].err == 0 && self.commit_to_disk(ctx, c) {
                return Step::Wait;
            }
            return Step::Reply;
        }
        self.next_call(c)
    }
    /// The call's next downstream call step, or its answer when none is left.
    #[inline(always)]
    pub(in crate::world) fn next_call(&mut self, c: u32) -> Step {
        let call = &self.calls[c as usize];
        let (comp, class, step) = (call.comp, call.class, call.step());
        let ep = &self.svc(comp).endpoints[class as usize];
        let Some(&(to, fanout)) = ep.calls.get(step as usize) else {
            return Step::Reply;
        };
        let policy = if self.res.has_policies {
            ep.policy[step as usize]
        } else {
            NONE
        };
        self.calls[c as usize].advance_step();
        Step::Call { to, fanout, policy }
    }
    /// The downstream calls of call `p`'s current step have all answered (the first error
    /// `perr`, or 0): a failed step answers at once, else the next step goes out.
    #[inline(always)]
    pub(in crate::world) fn svc_answered(&mut self, p: u32, perr: u8) -> Step {
        if perr != 0 {
            Step::Reply
        } else {
            self.next_call(p)
        }
    }
    /// A finished call lets go of its row lock and its worker.
    #[inline(never)]
    pub(in crate::world) fn release_held(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
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
            let s = self.svc_mut(comp);
            let i = &mut s.insts[inst as usize];
            let next = match s.lifo_above {
                Some(a) if i.wait_q.len() > a as usize => i.wait_q.pop_back(),
                _ => i.wait_q.pop_front(),
            };
            match next {
                Some(n) => {
                    i.note_queue(now);
                    self.calls[n as usize].holds_worker = true;
                    self.resume_later(ctx, n, Resume::LockThenCpu);
                }
                None => {
                    i.busy_workers -= 1;
                    i.workers.set(now, i.busy_workers as u64);
                }
            }
        }
    }
}

/// CPU time `d` stretched by the USL's factor for `busy` cores (the call's own included):
/// see [`crate::machine`] for why this gives the USL's throughput under saturation.
#[inline(never)]
fn usl_stretch(d: SimTime, u: &crate::Usl, busy: u32) -> SimTime {
    SimTime::from_nanos_f64(d.as_nanos() as f64 * u.factor(busy))
}

impl Svc {
    /// Builds service `c` (its endpoints per class, call policies, database side, rate limit
    /// and autoscaler).
    pub(in crate::world) fn build(
        c: &ComponentSpec,
        s: &ServiceSpec,
        cx: &mut BuildCx<'_>,
    ) -> Result<Svc, ModelError> {
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
        for class in cx.class_names {
            let e = match ep_for(class) {
                Some(e) => {
                    let ei = ep_index(e);
                    let mut calls = Vec::new();
                    let mut policy = Vec::new();
                    for (step, call) in e.calls.iter().enumerate() {
                        let to = find(cx.names, &c.name, &call.to)?;
                        calls.push((to, call.fanout));
                        let known = shared
                            .iter()
                            .find(|(x, y, _)| *x == ei && *y == step)
                            .map(|t| t.2);
                        policy.push(match &call.policy {
                            Some(_) if known.is_some() => known.unwrap_or(NONE),
                            Some(p) => {
                                let n = c.instances as usize;
                                cx.policies.push(PolicyRt {
                                    caller: cx.index,
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
                                let pi = (cx.policies.len() - 1) as u32;
                                shared.push((ei, step, pi));
                                pi
                            }
                            None => NONE,
                        });
                    }
                    Endpoint {
                        cpu: e.cpu.clone().filter(|d| !d.is_zero()),
                        table_op: false,
                        stretched: false,
                        calls,
                        policy,
                    }
                }
                None => Endpoint {
                    cpu: None,
                    table_op: false,
                    stretched: false,
                    calls: Vec::new(),
                    policy: Vec::new(),
                },
            };
            endpoints.push(e);
        }
        let db = DbState::build(c, s, cx)?;
        let mut cold = None;
        if let Some(data) = db.as_ref().and_then(|d| d.data.as_ref()) {
            // An operation on a table takes a core for its cost, even with no CPU time of
            // its own.
            for (e, op) in endpoints.iter_mut().zip(&data.ops) {
                if op.is_some() {
                    e.table_op = true;
                    e.cpu.get_or_insert(Dist::Const(0));
                }
            }
        }
        if let Some(a) = &s.autoscale {
            let ready = cx.active[cx.index as usize].clamp(a.min, a.max);
            cx.scalers
                .push(Scaler::new(cx.index, false, a, ready, cx.class_names));
            if a.min == 0 {
                cold = Some(Box::new(Cold::new((cx.scalers.len() - 1) as u32)));
            }
        }
        let plain = s.workers.is_none() && s.rate_limit.is_none() && db.is_none() && cold.is_none();
        let disk = db.as_ref().is_some_and(|d| d.disk.is_some());
        if let Some(d) = db.as_ref().filter(|d| d.disk.is_some()) {
            // A write reaches its disk after its CPU time, even with none of its own.
            for (e, w) in endpoints.iter_mut().zip(&d.is_write) {
                if *w && e.calls.is_empty() {
                    e.cpu.get_or_insert(Dist::Const(0));
                }
            }
        }
        // A memory model (built from `c.memory`) brings the collector's stretch.
        let stretch = s.usl.is_some() || c.memory.is_some();
        for e in &mut endpoints {
            e.stretched = e.table_op || stretch;
        }
        let interval_ns = cx.spec.series_interval.as_nanos();
        Ok(Svc {
            insts: (0..c.instances)
                .map(|_| SvcInst::new(cx.window, interval_ns))
                .collect(),
            cores: s.cores,
            workers: s.workers,
            queue: s.queue,
            endpoints,
            db,
            limit: s
                .rate_limit
                .map(|(rate, burst)| RateLimit::build(rate, burst, c.instances)),
            drop_expired: s.drop_expired,
            lifo_above: match s.discipline {
                Discipline::Fifo => None,
                Discipline::Lifo => Some(0),
                Discipline::AdaptiveLifo { above } => Some(above),
            },
            dropped: 0,
            plain,
            usl: s.usl,
            cold,
            disk,
        })
    }
}

impl Kind for Svc {
    #[inline(always)]
    fn arrive(w: &mut World, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        let comp = w.calls[c as usize].comp;
        if w.svc(comp).plain {
            w.core_admission(ctx, c)
        } else {
            w.svc_arrive(ctx, c)
        }
    }
    #[inline(always)]
    fn answered(w: &mut World, _ctx: &mut Context<'_, Ev>, p: u32, perr: u8) -> Step {
        w.svc_answered(p, perr)
    }
    /// A database commits the writes it answers.
    #[inline(always)]
    fn acts_on_success(&self) -> bool {
        self.db.is_some()
    }
    fn on_success(w: &mut World, ctx: &mut Context<'_, Ev>, c: u32) {
        w.commit(ctx, c)
    }
    /// The calls waiting for its cores, workers and row locks join `held`; a database
    /// primary with failover has a replica promoted.
    fn on_crash(&mut self, inst: u32, now: u64, held: &mut Vec<u32>) -> Crashed {
        self.insts[inst as usize].crash(now, held);
        if let Some(z) = &mut self.cold {
            // Held for a cold start at this instance (the only one at zero).
            held.extend(z.held.drain(..));
        }
        Crashed {
            promote_in: self.db.as_mut().and_then(|db| db.on_crash(inst, now, held)),
        }
    }
    /// A database replica catches up on the writes it missed.
    fn on_up(w: &mut World, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        if w.svc(comp).db.is_some() {
            w.back_up(ctx, comp, inst);
        }
    }
    /// Its cores and workers, the calls its rate limit turned away, and its database's
    /// figures.
    fn report(&self, s: &mut ComponentStats, cx: &ReportCx) {
        s.cores = self.cores;
        s.workers = self.workers;
        if let Some(l) = &self.limit {
            l.report(s);
        }
        if let Some(db) = &self.db {
            db.report(s, cx);
        }
    }
    fn levels(&mut self, inst: u32) -> Levels<'_> {
        let limited = self.workers.is_some();
        let i = &mut self.insts[inst as usize];
        Levels {
            busy: Some(&mut i.busy),
            queue: Some(&mut i.queue),
            workers: limited.then_some(&mut i.workers),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::kinds::testing::*;
    use crate::{Arrivals, CallSpec, Component, Discipline, KindSpec, Spec};

    /// An M/M/1 service is busy rho of the time with mean latency 1/(mu - lambda); serving
    /// LIFO leaves that mean as it is and stretches only the tail.
    #[test]
    fn one_core_runs_at_rho_and_lifo_moves_only_the_tail() {
        // lambda = 800/s, mu = 1000/s: rho = 0.8, mean latency 1/(mu - lambda) = 5 ms.
        let spec = |discipline| {
            let mut s = Spec::builder("100s")
                .entry("app")
                .rate(800.0)
                .component(Component::service("app").cores(1).cpu("exp(1ms)"))
                .build()
                .unwrap();
            if let KindSpec::Service(svc) = &mut s.components[0].kind {
                svc.discipline = discipline;
            }
            s
        };
        let fifo = run(&spec(Discipline::Fifo), 1);
        let app = comp(&fifo, "app");
        // The busy time is the work that arrived: N ~ 80,000 draws of exp(1 ms), so its
        // relative standard deviation is sqrt(2 / N) = 0.5%, 0.004 of rho; allow 5 of them.
        let u = app.utilization().unwrap();
        assert!((u - 0.8).abs() < 0.02, "utilization {u}");
        // The mean number in an M/M/1 over T seconds has variance 2 rho (1 + rho) /
        // (mu (1 - rho)^4 T) = 0.018 here: 3.4% of its mean 4; allow 15%.
        let mean = mean_ms(&fifo);
        assert!((mean - 5.0).abs() < 0.75, "mean latency {mean} ms");
        let lifo = run(&spec(Discipline::Lifo), 1);
        // The same arrivals and the same CPU draws in the same order of service starts: the
        // queue's sample path, hence the total time in the system, is the same.
        assert_eq!(fifo.overall.latency.count(), lifo.overall.latency.count());
        assert_eq!(mean_ms(&lifo), mean);
        let p99 = |s: &archsim_stats::RunStats| s.overall.latency.quantile_ms(0.99).unwrap();
        assert!(
            p99(&lifo) > 1.5 * p99(&fifo),
            "p99 LIFO {} ms, FIFO {} ms",
            p99(&lifo),
            p99(&fifo)
        );
    }

    /// A full waiting room turns arrivals away: they fail as `rejected`, and no more than
    /// `queue` requests ever wait.
    #[test]
    fn a_full_waiting_room_rejects() {
        // One arrival every 5 ms, 10 ms of CPU each: twice what one core can do.
        let spec = Spec::builder("10s")
            .entry("app")
            .rate(200.0)
            .arrivals(Arrivals::Uniform)
            .component(Component::service("app").cores(1).queue(2).cpu("10ms"))
            .build()
            .unwrap();
        let stats = run(&spec, 1);
        let app = comp(&stats, "app");
        assert_eq!(stats.generated, 2_000);
        assert_eq!(app.max_queue, 2);
        // Every request is served or rejected; the core serves one per 10 ms for 10 s, and
        // the drain finishes the one in service and the two waiting.
        assert_eq!(app.served + app.rejected, stats.generated);
        assert!(
            (1_000..=1_003).contains(&app.served),
            "served {}",
            app.served
        );
        assert_eq!(errors(&stats, "rejected"), app.rejected);
        assert_eq!(stats.overall.failed, app.rejected);
    }

    /// Workers bound concurrency: with 2 workers and no waiting room a service is an Erlang
    /// loss system, turning away the Erlang B fraction and keeping a(1 - B) workers busy.
    #[test]
    fn workers_bound_concurrency() {
        // Offered load a = 400/s x 10 ms = 4 erlangs on c = 2 workers (cores unlimited: the
        // CPU time is a pure delay, so only the workers limit concurrency).
        let spec = Spec::builder("20s")
            .entry("app")
            .rate(400.0)
            .component(Component::service("app").workers(2).queue(0).cpu("10ms"))
            .build()
            .unwrap();
        let stats = run(&spec, 1);
        let app = comp(&stats, "app");
        // Erlang B for c = 2: (a^2 / 2) / (1 + a + a^2 / 2) = 8/13.
        let a = 4.0f64;
        let erlang_b = (a * a / 2.0) / (1.0 + a + a * a / 2.0);
        // N ~ 8,000 arrivals: a binomial standard deviation of 0.0054; allow
        // about 5 of them.
        let blocked = app.rejected as f64 / stats.generated as f64;
        assert!(
            (blocked - erlang_b).abs() < 0.03,
            "blocked {blocked}, Erlang B {erlang_b}"
        );
        // Busy workers on average: the ~3,100 admitted requests' 10 ms over 20 s, within
        // about 2% (0.03); allow 0.1.
        let busy = app.per_instance_workers[0] as f64 / app.window_ns as f64;
        assert!(busy <= 2.0, "busy workers {busy}");
        assert!(
            (busy - a * (1.0 - erlang_b)).abs() < 0.1,
            "busy workers {busy}"
        );
    }

    /// Downstream calls go one after another, a fanout's legs at once to distinct
    /// instances: each target serves each request, and the latency adds up step by step.
    #[test]
    fn calls_in_sequence_and_a_fanout_reach_their_targets() {
        let fanout = CallSpec {
            fanout: 3,
            ..CallSpec::to("b")
        };
        let spec = Spec::builder("10s")
            .entry("front")
            .rate(100.0)
            .component(
                Component::service("front")
                    .cpu("1ms")
                    .calls(["a"])
                    .call(fanout),
            )
            .component(Component::service("a").cpu("2ms"))
            .component(Component::service("b").instances(3).cpu("3ms"))
            .build()
            .unwrap();
        let stats = run(&spec, 1);
        let n = stats.generated;
        assert!(n > 900, "{n} requests");
        assert_eq!(stats.overall.succeeded, n);
        assert_eq!(comp(&stats, "front").served, n);
        assert_eq!(comp(&stats, "a").served, n);
        assert_eq!(comp(&stats, "b").per_instance_served, vec![n; 3]);
        // Unlimited cores and constant CPU times: 1 ms, then 2 ms at `a`, then the three
        // legs of 3 ms at once.
        assert!((mean_ms(&stats) - 6.0).abs() < 1e-9, "{}", mean_ms(&stats));
        assert_eq!(stats.overall.latency.max_ms(), Some(6.0));
    }
}
