//! The kind-neutral verbs of a call's way: hop, call out, deliver (dispatch on arrival), reply, reject, fail, finish.

use super::*;

impl World {
    /// Sends `ev` across one network hop.
    #[inline(always)]
    pub(in crate::world) fn hop(&mut self, ctx: &mut Context<'_, Ev>, ev: Ev) {
        if self.net.links {
            return self.hop_links(ctx, ev);
        }
        if self.net.zero {
            // Zero latency: deliver now, without a trip through the queue or `handle`.
            match ev {
                Ev::Deliver(c) => self.deliver(ctx, c),
                Ev::Reply(c) => self.reply(ctx, c),
                other => self.handle(other, ctx),
            }
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
        cp.calls_per[b] += 1;
        match &cp.body {
            // What `svc_arrive` comes to without workers, rate limit or database.
            Body::Service(s) if s.plain => self.core_admission(ctx, c),
            Body::Service(_) => self.svc_arrive(ctx, c),
            Body::Lb(_) => self.lb_arrive(ctx, c),
            Body::Cache(_) => self.cache_arrive(ctx, c),
            Body::Queue(_) => self.queue_publish(ctx, c),
            Body::Custom(_) => self.custom_arrive(ctx, c),
        }
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
    pub(in crate::world) fn finish_orphan(&mut self, c: u32) {
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
    /// Fails call `c` at once because its instance is down.
    #[inline(never)]
    pub(in crate::world) fn fail_now(&mut self, ctx: &mut Context<'_, Ev>, c: u32, reason: usize) {
        let call = &mut self.calls[c as usize];
        call.err = reason as u8 + 1;
        call.done = true;
        let comp = call.comp;
        self.comps[comp as usize].unavailable += 1;
        self.failed_here(comp, ctx.now().as_nanos());
        self.hop(ctx, Ev::Reply(c));
    }
    /// Counts a call that failed at `comp` itself, in the series bucket of `now`.
    pub(in crate::world) fn failed_here(&mut self, comp: u32, now: u64) {
        let b = self.rec.bucket_index(now);
        self.comps[comp as usize].errors_per[b] += 1;
    }
    pub(in crate::world) fn reject(&mut self, ctx: &mut Context<'_, Ev>, c: u32, reason: usize) {
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
            Body::Lb(_) | Body::Queue(_) => self.finish_call(ctx, p),
            Body::Cache(_) => self.cache_answered(ctx, p, perr),
            Body::Custom(_) => self.custom_answered(ctx, p, perr),
        }
    }
    pub(in crate::world) fn reason_index(&mut self, name: &str) -> usize {
        self.rec.reason(name)
    }
}
