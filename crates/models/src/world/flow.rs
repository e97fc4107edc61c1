//! The request's way, kind-neutral: a call hops to its component ([`World::hop`]), arrives
//! ([`World::deliver`]: dispatch to the kind), the kind answers with a [`Step`] that the
//! flow applies ([`World::apply`]: wait, reply now or later, reject, fail, forward, or make
//! a call step), and its reply goes back to its parent ([`World::reply`]: dispatch to the
//! parent's kind, which answers with a `Step` again). A kind may leave follow-ups that run
//! after its step ([`Then`]).

use super::*;

/// What a kind tells the flow to do with a call next: small and `Copy`, returned by value
/// and applied by [`World::apply`] once the kind's own work is done.
#[derive(Clone, Copy, Debug)]
pub(in crate::world) enum Step {
    /// The kind keeps the call for now: it waits for a core, a worker, a lock or another
    /// call's answer, or the kind has scheduled its next event itself.
    Wait,
    /// The component answers now (with the error the call carries, if any).
    Reply,
    /// The component answers after a delay (a cache hit, a publish acknowledgement).
    ReplyIn(SimTime),
    /// Turned away: the waiting room is full (`rejected`).
    Reject,
    /// Failed at the component for this reason (a rate limit).
    Fail(u32),
    /// Void: it ends at once, with no hop back (a replication write shipped by a primary
    /// that has since been replaced).
    Void,
    /// Pass the call on to instance `inst` of `to` and wait for the answer.
    Forward { to: u32, inst: u32 },
    /// The call's next downstream step: `fanout` calls to `to` (under call policy `policy`,
    /// or `NONE`), and wait for all.
    Call { to: u32, fanout: u32, policy: u32 },
}

// A step is returned in registers.
const _: () = assert!(std::mem::size_of::<Step>() <= 16);

/// A follow-up a kind leaves to run after its step has been applied (in order).
#[derive(Clone, Copy, Debug)]
pub(in crate::world) enum Then {
    /// A call that waited on another answers too, with its error, after `after` (a CDN's
    /// user-to-edge round trip).
    Answer { call: u32, err: u8, after: SimTime },
    /// A cache instance refreshes a key from its backing store.
    Refresh {
        cache: u32,
        inst: u32,
        class: u16,
        key: u64,
    },
    /// A queue's idle consumers take the messages waiting.
    Consume(u32),
}

impl World {
    /// Applies a kind's answer about call `c`. Each answer is one call to a verb kept out of
    /// line, so where the kind's answer is known once inlined, applying it costs nothing.
    #[inline(always)]
    pub(in crate::world) fn apply(&mut self, ctx: &mut Context<'_, Ev>, c: u32, step: Step) {
        match step {
            Step::Wait => {}
            Step::Reply => self.finish_call(ctx, c),
            Step::ReplyIn(d) => self.reply_in(ctx, c, d),
            Step::Reject => self.reject(ctx, c, REJECTED),
            Step::Fail(reason) => self.fail_here(ctx, c, reason as usize),
            Step::Void => self.void(ctx, c),
            Step::Forward { to, inst } => self.forward(ctx, c, to, inst),
            Step::Call { to, fanout, policy } => self.call_step(ctx, c, to, fanout, policy),
        }
    }
    /// The component answers call `c` after `d` (at once when `d` is zero).
    #[inline(never)]
    fn reply_in(&mut self, ctx: &mut Context<'_, Ev>, c: u32, d: SimTime) {
        if d == SimTime::ZERO {
            self.finish_call(ctx, c)
        } else {
            ctx.schedule_in(d, Ev::Finish(c))
        }
    }
    /// Call `c` is void: it ends at once, with no hop back.
    #[inline(never)]
    fn void(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = &mut self.calls[c as usize];
        call.err = UNAVAILABLE as u8 + 1;
        call.done = true;
        self.timed(c);
        self.reply(ctx, c)
    }
    /// Passes call `c` on to instance `inst` of `to`; it waits for that one answer.
    #[inline(never)]
    fn forward(&mut self, ctx: &mut Context<'_, Ev>, c: u32, to: u32, inst: u32) {
        self.calls[c as usize].pending = 1;
        self.call_out(ctx, c, to, inst)
    }
    /// Applies a step, then the follow-ups the kind left after `mark` (the length of the
    /// follow-up list before the kind ran), in order.
    #[inline(always)]
    pub(in crate::world) fn apply_then(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        step: Step,
        mark: usize,
    ) {
        self.apply(ctx, c, step);
        if self.then.len() > mark {
            self.run_then(ctx, mark);
        }
    }
    /// Runs the follow-ups after `mark`, in order.
    #[inline(never)]
    fn run_then(&mut self, ctx: &mut Context<'_, Ev>, mark: usize) {
        while self.then.len() > mark {
            match self.then.remove(mark) {
                Then::Answer { call, err, after } => {
                    self.calls[call as usize].err = err;
                    self.reply_in(ctx, call, after);
                }
                Then::Refresh {
                    cache,
                    inst,
                    class,
                    key,
                } => self.refresh(ctx, cache, inst, class, key),
                Then::Consume(q) => self.consume(ctx, q),
            }
        }
    }
    /// Makes a call step of call `c`: `fanout` calls to `to`, from the instance routing
    /// chooses (a key's shard and the next ones), each through a guard when the step has
    /// call policies. Without a key to route by, a sharded target is asked whole
    /// (scatter-gather).
    #[inline(never)]
    pub(in crate::world) fn call_step(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        to: u32,
        fanout: u32,
        policy: u32,
    ) {
        let Call { key, class, .. } = self.calls[c as usize];
        let balance = self.comps[to as usize].balance;
        let n = self.comps[to as usize].active;
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
    /// Sends `ev` across one network hop.
    #[inline(always)]
    pub(in crate::world) fn hop(&mut self, ctx: &mut Context<'_, Ev>, ev: Ev) {
        if self.net.direct {
            // Zero latency: deliver now, without a trip through the queue or `handle`.
            match ev {
                Ev::Deliver(c) => self.deliver(ctx, c),
                Ev::Reply(c) => self.reply(ctx, c),
                other => self.handle(other, ctx),
            }
        } else if self.net.links {
            self.hop_links(ctx, ev)
        } else {
            let d = self.net.latency.sample(&mut self.net.rng);
            ctx.schedule_in(d, ev);
        }
    }
    /// Creates a call from `parent` to an instance of `to` and sends it.
    pub(in crate::world) fn call_out(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        parent: u32,
        to: u32,
        inst: u32,
    ) {
        let p = self.calls[parent as usize];
        self.time.step_starts(parent, self.now);
        let c = self.new_call(Call::child(&p, parent, to, inst));
        self.comps[to as usize].insts[inst as usize].outstanding += 1;
        self.hop(ctx, Ev::Deliver(c));
    }
    // ----- components -----

    pub(in crate::world) fn deliver(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let now = ctx.now().as_nanos();
        let call = &mut self.calls[c as usize];
        call.arrived = now;
        call.delivered = true;
        let (comp, inst) = (call.comp, call.inst);
        let b = self.rec.bucket_index(now);
        // One look-up of the component for both (this runs once per call).
        let cp = &mut self.comps[comp as usize];
        if cp.insts[inst as usize].down {
            return self.deliver_down(ctx, c, b);
        }
        // The plain service's way (no workers, rate limit, database or memory model) is the
        // hot one: it goes straight to core admission; every other arrival is dispatched to
        // its kind.
        if cp.plain {
            cp.calls_per[b] += 1;
            return self.arrive_plain(ctx, c);
        }
        if cp.heap.is_some() {
            return self.deliver_heap(ctx, c, b);
        }
        cp.calls_per[b] += 1;
        let kind = cp.body.tag();
        self.arrive_at(ctx, c, kind)
    }
    /// Arrival at an instance of a component with a memory model: the call takes its bytes
    /// (which may kill the instance: it then fails as at a down instance), then arrives as
    /// any other.
    #[inline(never)]
    fn deliver_heap(&mut self, ctx: &mut Context<'_, Ev>, c: u32, b: usize) {
        if self.heap_arrive(ctx, c) {
            return self.deliver_down(ctx, c, b);
        }
        let cp = &mut self.comps[self.calls[c as usize].comp as usize];
        cp.calls_per[b] += 1;
        let kind = cp.body.tag();
        self.arrive_at(ctx, c, kind)
    }
    /// Arrival at a service without workers, rate limit or database: what `Svc::arrive`
    /// comes to there.
    #[inline(never)]
    fn arrive_plain(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let step = self.core_admission(ctx, c);
        self.apply(ctx, c, step)
    }
    /// A call reaching an instance that is down fails at once; a write shipped to a down
    /// replica waits in the primary's log instead (no request waits for it: it is neither a
    /// call the replica received nor a failed one).
    #[cold]
    pub(in crate::world) fn deliver_down(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        bucket: usize,
    ) {
        let call = &self.calls[c as usize];
        if call.is_apply() {
            return self.apply_missed(c, true);
        }
        self.comps[call.comp as usize].calls_per[bucket] += 1;
        self.fail_now(ctx, c, UNAVAILABLE)
    }
    #[inline]
    pub(in crate::world) fn bucket_of(&self, t_ns: u64) -> usize {
        (t_ns / self.interval_ns) as usize
    }
    /// The component is done with call `c` (with or without error): free its worker, reply.
    pub(in crate::world) fn finish_call(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
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
        self.timed(c);
        let cm = &mut self.comps[comp as usize];
        cm.served += 1;
        cm.insts[inst as usize].served += 1;
        if cm.on_success && err == 0 && parent != INTERNAL {
            self.on_success(ctx, c);
        }
        if holds_lock || holds_worker {
            self.release_held(ctx, c);
        }
        self.hop(ctx, Ev::Reply(c));
    }
    /// `finish_call` of a call already answered: nothing, or free an orphan's slot.
    #[cold]
    pub(in crate::world) fn finish_orphan(&mut self, c: u32) {
        let call = &self.calls[c as usize];
        if call.orphan {
            // The component answering a call its crashed instance held: the caller was told
            // already. A delayed answer (a cache hit) was the last event about it; a custom
            // component may still refer to its calls, so those slots are kept.
            if !self.comps[call.comp as usize].body.keeps_orphans() && call.pending == 0 {
                self.free_call(c);
            }
        }
    }
    /// Fails call `c` at once because its instance is down.
    #[inline(never)]
    pub(in crate::world) fn fail_now(&mut self, ctx: &mut Context<'_, Ev>, c: u32, reason: usize) {
        let call = &mut self.calls[c as usize];
        call.err = reason as u8 + 1;
        call.done = true;
        let comp = call.comp;
        self.timed(c);
        self.comps[comp as usize].unavailable += 1;
        self.failed_here(comp, ctx.now().as_nanos());
        self.hop(ctx, Ev::Reply(c));
    }
    /// Counts a call that failed at `comp` itself, in the series bucket of `now`.
    pub(in crate::world) fn failed_here(&mut self, comp: u32, now: u64) {
        let b = self.rec.bucket_index(now);
        self.comps[comp as usize].errors_per[b] += 1;
    }
    /// Fails call `c` at its component for `reason` (a rate limit), counted in the
    /// component's errors.
    #[inline(never)]
    pub(in crate::world) fn fail_here(&mut self, ctx: &mut Context<'_, Ev>, c: u32, reason: usize) {
        let comp = self.calls[c as usize].comp;
        self.failed_here(comp, ctx.now().as_nanos());
        let call = &mut self.calls[c as usize];
        call.err = reason as u8 + 1;
        call.done = true;
        self.timed(c);
        self.hop(ctx, Ev::Reply(c));
    }
    #[inline(never)]
    pub(in crate::world) fn reject(&mut self, ctx: &mut Context<'_, Ev>, c: u32, reason: usize) {
        let call = &mut self.calls[c as usize];
        call.err = reason as u8 + 1;
        call.done = true;
        let (comp, holds_lock) = (call.comp, call.holds_lock);
        self.timed(c);
        self.comps[comp as usize].rejected += 1;
        self.failed_here(comp, ctx.now().as_nanos());
        if holds_lock {
            // Turned away after taking its row lock: pass the lock on.
            self.release_lock(ctx, c);
        }
        self.hop(ctx, Ev::Reply(c));
    }
    /// The reply of call `c` reaches its parent.
    pub(in crate::world) fn reply(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        self.comps[call.comp as usize].insts[call.inst as usize].outstanding -= 1;
        if self.res.has_policies && call.guard != NONE {
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
            self.time.forget(c);
            let parent = &mut self.calls[p as usize];
            parent.pending -= 1;
            let keeps = self.comps[parent.comp as usize].body.keeps_orphans();
            if parent.pending == 0 && !keeps {
                self.free_call(p);
            }
            return;
        }
        if call.err != 0 && parent.err == 0 {
            parent.err = call.err;
        }
        parent.pending -= 1;
        let last = parent.pending == 0;
        let now = ctx.now().as_nanos();
        self.time.answered(c, call.comp, call.arrived, p, now, last);
        if !last {
            return;
        }
        let parent = &self.calls[p as usize];
        let (pcomp, perr) = (parent.comp, parent.err);
        let kind = self.comps[pcomp as usize].body.tag();
        self.answered_at(ctx, p, perr, kind)
    }
    /// Which per-call hooks the run needs (`watch_made`, `watch_done`): once the world is
    /// built and its tracer, if any, is in place.
    pub(in crate::world) fn watch(&mut self) {
        self.watch_made = self.time.on || self.tracer.is_some();
        self.watch_done = self.watch_made || self.res.latency_scaling || self.call_bytes.on;
    }
    /// Call `c` is done now: its time goes to its component and its trail, its bytes are
    /// released.
    #[inline]
    pub(in crate::world) fn timed(&mut self, c: u32) {
        if self.watch_done {
            self.timed_watched(c);
        }
    }
    #[inline(never)]
    fn timed_watched(&mut self, c: u32) {
        if self.res.latency_scaling {
            let call = &self.calls[c as usize];
            let (comp, class, ns) = (call.comp, call.class, self.now - call.arrived);
            self.scale_latency_sample(comp, u32::from(class), ns);
        }
        if self.tracer.is_some() {
            self.trace_done(c);
        }
        if self.time.on {
            let call = &self.calls[c as usize];
            let (comp, class, arrived) = (call.comp, call.class, call.arrived);
            let edge = self.comps[comp as usize].body.network_in_call(call);
            let measured = self.rec.window().contains(arrived);
            self.time
                .done(c, comp, class, arrived, edge, self.now, measured);
        }
        if self.call_bytes.on {
            self.heap_release(c);
        }
    }
    /// Call `c`'s span ends now.
    #[cold]
    fn trace_done(&mut self, c: u32) {
        let work = self.time.work_started(c);
        if let Some(t) = &mut self.tracer {
            t.call_done(c, &self.calls[c as usize], work, self.now);
        }
    }
    /// A request ended now (`reason`: the index of its error, if it failed): its trace is
    /// kept or dropped.
    #[cold]
    pub(in crate::world) fn trace_request(&mut self, of: SlotOf, reason: Option<usize>) {
        let now = self.now;
        let reasons = self.rec.reasons();
        let err = reason.map(|r| reasons[r].as_str());
        if let Some(t) = &mut self.tracer {
            t.request_ends(of, now, err, reasons);
        }
    }
    pub(in crate::world) fn reason_index(&mut self, name: &str) -> usize {
        self.rec.reason(name)
    }
}
