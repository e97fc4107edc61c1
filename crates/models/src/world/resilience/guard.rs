//! Guarded calls: a call step with policies sends each leg through a guard that owns its
//! attempts, timeouts, retries, hedge copy, bulkhead slot and fallback (see the parent
//! module's docs); and dropping work nobody waits for any more.

use crate::world::*;

/// The policies of one call step of one caller, with their state and counters.
pub(in crate::world) struct PolicyRt {
    pub(in crate::world) caller: u32,
    pub(in crate::world) to: u32,
    pub(in crate::world) p: CallPolicy,
    /// Per caller instance.
    pub(in crate::world) breakers: Vec<Breaker>,
    /// Per caller instance: guarded calls in progress (the bulkhead).
    pub(in crate::world) in_use: Vec<u32>,
    pub(in crate::world) calls: u64,
    pub(in crate::world) hedges: u64,
    pub(in crate::world) timeouts: u64,
    pub(in crate::world) retries: u64,
    pub(in crate::world) fallbacks: u64,
    pub(in crate::world) open_rejects: u64,
    pub(in crate::world) bulkhead_rejects: u64,
    pub(in crate::world) opens: u64,
}

/// One guarded call (one leg of a step): its attempts, hedge copy and timers.
#[derive(Clone, Copy, Debug)]
pub(in crate::world) struct Guard {
    pub(in crate::world) parent: u32,
    pub(in crate::world) policy: u32,
    pub(in crate::world) caller_inst: u32,
    pub(in crate::world) to: u32,
    /// Copies in flight (`NONE` = empty): the attempt and its hedge.
    pub(in crate::world) tries: [u32; 2],
    pub(in crate::world) first_inst: u32,
    pub(in crate::world) attempts: u32,
    /// Grows with every attempt (and across reuse) so stale timers never match.
    pub(in crate::world) token: u32,
    pub(in crate::world) live: bool,
    pub(in crate::world) hedged: bool,
    /// The current attempt is a half-open trial of the breaker.
    pub(in crate::world) trial: bool,
    pub(in crate::world) holds_bulkhead: bool,
    /// The leg belongs to one instance (the callee routes by key, or a scatter-gather leg):
    /// retries go to `first_inst` again and no hedge copy is sent elsewhere.
    pub(in crate::world) pinned: bool,
}

impl World {
    pub(in crate::world) fn guard_current(&self, g: u32, token: u32) -> bool {
        let gd = &self.res.guards[g as usize];
        gd.live && gd.token == token
    }
    /// Starts one guarded leg from call `parent` to instance `inst` of the policy's target.
    pub(in crate::world) fn guard_start(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        parent: u32,
        pi: u32,
        inst: u32,
    ) {
        let measured = self.measured(ctx.now().as_nanos());
        self.time.step_starts(parent, ctx.now().as_nanos());
        let caller_inst = self.calls[parent as usize].inst;
        let rt = &mut self.res.policies[pi as usize];
        rt.calls += measured;
        let gd = Guard {
            parent,
            policy: pi,
            caller_inst,
            to: rt.to,
            tries: [NONE; 2],
            first_inst: inst,
            attempts: 0,
            token: 0,
            live: true,
            hedged: false,
            trial: false,
            holds_bulkhead: false,
            pinned: self.comps[rt.to as usize].balance.by_key(),
        };
        let g = match self.res.free_guards.pop() {
            Some(g) => {
                // Keep the token growing across reuse so stale timers never match.
                let token = self.res.guards[g as usize].token;
                self.res.guards[g as usize] = Guard { token, ..gd };
                g
            }
            None => {
                self.res.guards.push(gd);
                (self.res.guards.len() - 1) as u32
            }
        };
        let rt = &mut self.res.policies[pi as usize];
        if let Some(b) = rt.p.bulkhead {
            let used = &mut rt.in_use[caller_inst as usize];
            if *used >= b {
                rt.bulkhead_rejects += measured;
                let reason = self.res.reason_bulkhead;
                return self.guard_fail(ctx, g, reason);
            }
            *used += 1;
            self.res.guards[g as usize].holds_bulkhead = true;
        }
        self.guard_attempt(ctx, g, Some(inst));
    }
    /// Sends an attempt of guard `g` (to `inst`, or an instance the balancer picks).
    pub(in crate::world) fn guard_attempt(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        g: u32,
        inst: Option<u32>,
    ) {
        let Guard {
            parent,
            policy,
            caller_inst,
            to,
            ..
        } = self.res.guards[g as usize];
        let Some(trial) = self.breaker_admit(policy, caller_inst) else {
            let measured = self.measured(ctx.now().as_nanos());
            self.res.policies[policy as usize].open_rejects += measured;
            let reason = self.res.reason_open;
            return self.guard_fail(ctx, g, reason);
        };
        let p = self.calls[parent as usize];
        let inst = match inst {
            Some(i) => i,
            // A pinned leg (its key's shard, or its scatter-gather shard) retries there.
            None if self.res.guards[g as usize].pinned => self.res.guards[g as usize].first_inst,
            None => {
                let bal = self.comps[to as usize].balance;
                self.choose(NONE, to, bal, p.key, p.class)
            }
        };
        let mut call = Call::child(&p, parent, to, inst);
        call.guard = g;
        let c = self.new_call(call);
        self.comps[to as usize].insts[inst as usize].outstanding += 1;
        let gd = &mut self.res.guards[g as usize];
        gd.attempts += 1;
        gd.token = gd.token.wrapping_add(1);
        gd.tries = [c, NONE];
        gd.first_inst = inst;
        gd.hedged = false;
        gd.trial = trial;
        let token = gd.token;
        let pol = &self.res.policies[policy as usize].p;
        if let Some(t) = pol.timeout {
            ctx.schedule_in(t, Ev::GuardTimeout(g, token));
        }
        if let Some(h) = pol.hedge {
            ctx.schedule_in(h, Ev::GuardHedge(g, token));
        }
        self.hop(ctx, Ev::Deliver(c));
    }
    /// A copy sent by a guard answered (or its stand-in, after a crash).
    pub(in crate::world) fn guard_reply(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        self.free_call(c);
        let g = call.guard;
        let gd = &mut self.res.guards[g as usize];
        if !gd.live {
            return self.time.forget(c);
        }
        let k = if gd.tries[0] == c {
            0
        } else if gd.tries[1] == c {
            1
        } else {
            return self.time.forget(c); // a copy the guard gave up on
        };
        gd.tries[k] = NONE;
        let other = gd.tries[1 - k];
        if call.err == 0 {
            if other != NONE {
                // First answer wins; the other copy is cancelled.
                gd.tries[1 - k] = NONE;
                self.calls[other as usize].cancelled = CANCEL_HEDGE;
            }
            self.breaker_record(ctx, g, true);
            let now = ctx.now().as_nanos();
            self.time.carry(c, call.comp, call.arrived, now);
            return self.guard_end(ctx, g, 0);
        }
        self.time.forget(c);
        if other != NONE {
            return; // the hedge copy may still succeed
        }
        self.breaker_record(ctx, g, false);
        self.guard_retry_or_fail(ctx, g, call.err as usize - 1);
    }
    /// The attempt of guard `g` timed out: the caller gives up on its copies.
    pub(in crate::world) fn guard_timeout(&mut self, ctx: &mut Context<'_, Ev>, g: u32) {
        let measured = self.measured(ctx.now().as_nanos());
        let gd = &mut self.res.guards[g as usize];
        for t in &mut gd.tries {
            if *t != NONE {
                self.calls[*t as usize].cancelled = CANCEL_TIMEOUT;
                *t = NONE;
            }
        }
        self.res.policies[gd.policy as usize].timeouts += measured;
        self.breaker_record(ctx, g, false);
        self.guard_retry_or_fail(ctx, g, TIMEOUT);
    }
    /// No answer yet after the hedge delay: a second copy goes to another instance.
    pub(in crate::world) fn guard_hedge(&mut self, ctx: &mut Context<'_, Ev>, g: u32) {
        let gd = self.res.guards[g as usize];
        // A pinned leg has no other instance to ask: the data lives on its shard.
        if gd.hedged
            || gd.pinned
            || gd.tries[0] == NONE
            || gd.tries[1] != NONE
            || self.calls[gd.parent as usize].orphan
        {
            return;
        }
        let to = gd.to;
        let n = self.comps[to as usize].active;
        if n < 2 {
            return;
        }
        let p = self.calls[gd.parent as usize];
        let bal = self.comps[to as usize].balance;
        let mut inst = self.choose(NONE, to, bal, p.key, p.class);
        if inst == gd.first_inst {
            inst = (inst + 1) % n;
        }
        let mut call = Call::child(&p, gd.parent, to, inst);
        call.guard = g;
        let c = self.new_call(call);
        self.comps[to as usize].insts[inst as usize].outstanding += 1;
        let measured = self.measured(ctx.now().as_nanos());
        self.res.policies[gd.policy as usize].hedges += measured;
        let gd = &mut self.res.guards[g as usize];
        gd.tries[1] = c;
        gd.hedged = true;
        self.hop(ctx, Ev::Deliver(c));
    }
    pub(in crate::world) fn guard_retry_or_fail(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        g: u32,
        reason: usize,
    ) {
        let gd = self.res.guards[g as usize];
        let rt = &self.res.policies[gd.policy as usize];
        if gd.attempts <= rt.p.retries && !self.calls[gd.parent as usize].orphan {
            let delay = rt.p.backoff.as_nanos() as f64 * 2f64.powi(gd.attempts as i32 - 1);
            let measured = self.measured(ctx.now().as_nanos());
            self.res.policies[gd.policy as usize].retries += measured;
            let gd = &mut self.res.guards[g as usize];
            gd.token = gd.token.wrapping_add(1);
            ctx.schedule_in(SimTime::from_nanos_f64(delay), Ev::GuardRetry(g, gd.token));
            return;
        }
        self.guard_fail(ctx, g, reason);
    }
    /// The leg failed for `reason`: the fallback answers, or the failure goes to the caller.
    pub(in crate::world) fn guard_fail(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        g: u32,
        reason: usize,
    ) {
        let gd = self.res.guards[g as usize];
        let caller = self.res.policies[gd.policy as usize].caller;
        let orphan = self.calls[gd.parent as usize].orphan;
        let delay = match &self.res.policies[gd.policy as usize].p.fallback {
            Some(fb) if !orphan => Some(fb.sample(&mut self.comps[caller as usize].rng)),
            _ => None,
        };
        let Some(d) = delay else {
            return self.guard_end(ctx, g, reason as u8 + 1);
        };
        let measured = self.measured(ctx.now().as_nanos());
        self.res.policies[gd.policy as usize].fallbacks += measured;
        let gd = &mut self.res.guards[g as usize];
        gd.token = gd.token.wrapping_add(1);
        ctx.schedule_in(d, Ev::GuardFallback(g, gd.token));
    }
    /// The leg is over (`err` = 0 or reason + 1): release the guard, tell the caller.
    pub(in crate::world) fn guard_end(&mut self, ctx: &mut Context<'_, Ev>, g: u32, err: u8) {
        let gd = &mut self.res.guards[g as usize];
        gd.live = false;
        for t in &mut gd.tries {
            if *t != NONE {
                self.calls[*t as usize].cancelled = CANCEL_TIMEOUT;
                *t = NONE;
            }
        }
        let gd = *gd;
        if gd.holds_bulkhead {
            self.res.policies[gd.policy as usize].in_use[gd.caller_inst as usize] -= 1;
        }
        self.res.free_guards.push(g);
        self.leg_done(ctx, gd.parent, err);
    }
    /// One leg of call `p`'s current step is over.
    pub(in crate::world) fn leg_done(&mut self, ctx: &mut Context<'_, Ev>, p: u32, err: u8) {
        let now = ctx.now().as_nanos();
        let parent = &mut self.calls[p as usize];
        if parent.orphan {
            parent.pending -= 1;
            let last = parent.pending == 0;
            self.time.leg_ended(p, now, false);
            if last {
                self.free_call(p);
            }
            return;
        }
        if err != 0 && parent.err == 0 {
            parent.err = err;
        }
        parent.pending -= 1;
        let last = parent.pending == 0;
        self.time.leg_ended(p, now, last);
        if !last {
            return;
        }
        let parent = &self.calls[p as usize];
        // Guards sit on a service's call steps.
        let perr = parent.err;
        let step = self.svc_answered(p, perr);
        self.apply(ctx, p, step)
    }
    /// A fallback answered on the way of call `c`: its client's current attempt is degraded.
    pub(in crate::world) fn mark_degraded(&mut self, c: u32) {
        let mut x = c;
        loop {
            let call = &self.calls[x as usize];
            if call.cancelled != 0 || call.orphan || call.parent == INTERNAL {
                return;
            }
            if call.parent == NONE {
                break;
            }
            x = call.parent;
        }
        let call = self.calls[x as usize];
        if self.traffic.simple {
            return;
        }
        let r = &mut self.traffic.reqs[call.request() as usize];
        if r.live && r.gen == call.attempt_gen() {
            r.degraded = true;
        }
    }
    /// Whether work for call `c` is wanted no more: it, or a call it works for, was given up
    /// by its caller, or the client gave up on the attempt.
    pub(in crate::world) fn abandoned(&self, c: u32) -> bool {
        let mut x = c;
        loop {
            let call = &self.calls[x as usize];
            if call.cancelled != 0 || call.orphan {
                return true;
            }
            match call.parent {
                NONE => {
                    if self.traffic.simple {
                        return false;
                    }
                    let r = &self.traffic.reqs[call.request() as usize];
                    return !r.live || r.gen != call.attempt_gen();
                }
                INTERNAL => return false,
                p => x = p,
            }
        }
    }
    /// Whether call `c`, about to take the CPU, is dropped instead (then it is marked failed
    /// and counted).
    pub(in crate::world) fn should_drop(&mut self, c: u32) -> bool {
        let call = self.calls[c as usize];
        let drop = call.cancelled == CANCEL_HEDGE
            || (self.svc(call.comp).drop_expired && self.abandoned(c));
        if drop {
            self.calls[c as usize].err = TIMEOUT as u8 + 1;
            if let Body::Service(s) = &mut self.comps[call.comp as usize].body {
                s.dropped += 1;
            }
        }
        drop
    }
}
