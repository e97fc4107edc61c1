//! Resilience: per-call policies (timeout, retries, circuit breaker, bulkhead, hedging,
//! fallback), traffic spikes, deadline propagation and autoscaling.
//!
//! # Guarded calls
//!
//! A call step with policies sends each leg through a *guard* instead of a plain call. The
//! guard owns the leg's attempts: it sends a copy (after the bulkhead and the breaker let it),
//! arms the timeout and the hedge timer, and on the copy's answer decides: success ends the
//! leg (a hedge copy still out is cancelled); a failure or timeout retries after the backoff,
//! or fails the leg, or hands it to the fallback, which answers after its delay and marks the
//! request degraded. The caller's `pending` counts guards, not copies, so a copy the caller
//! gave up on runs on at its callee (servers keep working on abandoned requests) and its late
//! answer is dropped. Where `drop_expired` is set, such work is dropped instead when it
//! reaches the CPU; a losing hedge copy is always dropped there.

use super::*;

/// Time between two utilization samples of an autoscaler.
pub(super) fn scale_period(a: &AutoscaleSpec) -> SimTime {
    SimTime::from_nanos((a.interval.as_nanos() / SCALE_SAMPLES as u64).max(1))
}

/// What an autoscaler's evaluation decided.
pub(super) enum Scale {
    /// Scale out to `to` ready units; `starting` more start now (ready after `startup`).
    Out {
        to: u32,
        starting: u32,
    },
    /// Scale in at once to `to` ready units.
    In {
        to: u32,
    },
    Hold,
}

impl Scaler {
    /// Adds a utilization sample; at the end of an interval, returns the interval's mean.
    pub(super) fn sample(&mut self, x: f64) -> Option<f64> {
        self.sum += x;
        self.n += 1;
        if self.n < SCALE_SAMPLES {
            return None;
        }
        let mean = self.sum / self.n as f64;
        self.sum = 0.0;
        self.n = 0;
        Some(mean)
    }

    /// The HPA rule, in the units the scaler counts (instances or replicas): desired =
    /// ceil(load / target), clamped to [min, max], where `load` is the ready units' busy
    /// worth (ready x utilization). Scale out at once to the desired count (counting the
    /// units already starting); scale in, when nothing is starting, to the highest
    /// recommendation of the stabilization window.
    pub(super) fn decide(&mut self, now: u64, load: f64, ready: u32) -> Scale {
        let a = &self.spec;
        let desired = ((load / a.target_utilization) - 1e-9)
            .ceil()
            .clamp(a.min as f64, a.max as f64) as u32;
        let window = a.stabilization.as_nanos();
        self.history.push_back((now, desired));
        while self
            .history
            .front()
            .is_some_and(|(t, _)| t.saturating_add(window) < now)
        {
            self.history.pop_front();
        }
        if desired > ready + self.starting {
            let k = desired - ready - self.starting;
            self.starting += k;
            return Scale::Out {
                to: desired,
                starting: k,
            };
        }
        if self.starting == 0 {
            let rec = self.history.iter().map(|h| h.1).max().unwrap_or(desired);
            if rec < ready {
                return Scale::In { to: rec };
            }
        }
        Scale::Hold
    }
}

impl World {
    fn measured(&self, now: u64) -> u64 {
        self.rec.window().contains(now) as u64
    }

    /// `comp` or `comp[i]` when it has several instances.
    fn inst_label(&self, comp: u32, inst: u32) -> String {
        let c = &self.comps[comp as usize];
        if c.insts.len() == 1 {
            c.name.clone()
        } else {
            format!("{}[{inst}]", c.name)
        }
    }

    pub(super) fn guard_current(&self, g: u32, token: u32) -> bool {
        let gd = &self.guards[g as usize];
        gd.live && gd.token == token
    }

    /// Starts one guarded leg from call `parent` to instance `inst` of the policy's target.
    pub(super) fn guard_start(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        parent: u32,
        pi: u32,
        inst: u32,
    ) {
        let measured = self.measured(ctx.now().as_nanos());
        let caller_inst = self.calls[parent as usize].inst;
        let rt = &mut self.policies[pi as usize];
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
        let g = match self.free_guards.pop() {
            Some(g) => {
                // Keep the token growing across reuse so stale timers never match.
                let token = self.guards[g as usize].token;
                self.guards[g as usize] = Guard { token, ..gd };
                g
            }
            None => {
                self.guards.push(gd);
                (self.guards.len() - 1) as u32
            }
        };
        let rt = &mut self.policies[pi as usize];
        if let Some(b) = rt.p.bulkhead {
            let used = &mut rt.in_use[caller_inst as usize];
            if *used >= b {
                rt.bulkhead_rejects += measured;
                let reason = self.reason_bulkhead;
                return self.guard_fail(ctx, g, reason);
            }
            *used += 1;
            self.guards[g as usize].holds_bulkhead = true;
        }
        self.guard_attempt(ctx, g, Some(inst));
    }

    /// Sends an attempt of guard `g` (to `inst`, or an instance the balancer picks).
    pub(super) fn guard_attempt(&mut self, ctx: &mut Context<'_, Ev>, g: u32, inst: Option<u32>) {
        let Guard {
            parent,
            policy,
            caller_inst,
            to,
            ..
        } = self.guards[g as usize];
        let Some(trial) = self.breaker_admit(policy, caller_inst) else {
            let measured = self.measured(ctx.now().as_nanos());
            self.policies[policy as usize].open_rejects += measured;
            let reason = self.reason_open;
            return self.guard_fail(ctx, g, reason);
        };
        let p = self.calls[parent as usize];
        let inst = match inst {
            Some(i) => i,
            // A pinned leg (its key's shard, or its scatter-gather shard) retries there.
            None if self.guards[g as usize].pinned => self.guards[g as usize].first_inst,
            None => {
                let bal = self.comps[to as usize].balance;
                self.choose(NONE, to, bal, p.key, p.class)
            }
        };
        let mut call = Call::new(parent, p.req, p.gen, to, inst, p.class, p.key, 0);
        call.guard = g;
        let c = self.new_call(call);
        self.comps[to as usize].insts[inst as usize].outstanding += 1;
        let gd = &mut self.guards[g as usize];
        gd.attempts += 1;
        gd.token = gd.token.wrapping_add(1);
        gd.tries = [c, NONE];
        gd.first_inst = inst;
        gd.hedged = false;
        gd.trial = trial;
        let token = gd.token;
        let pol = &self.policies[policy as usize].p;
        if let Some(t) = pol.timeout {
            ctx.schedule_in(t, Ev::GuardTimeout(g, token));
        }
        if let Some(h) = pol.hedge {
            ctx.schedule_in(h, Ev::GuardHedge(g, token));
        }
        self.hop(ctx, Ev::Deliver(c));
    }

    /// A copy sent by a guard answered (or its stand-in, after a crash).
    pub(super) fn guard_reply(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        self.free_call(c);
        let g = call.guard;
        let gd = &mut self.guards[g as usize];
        if !gd.live {
            return;
        }
        let k = if gd.tries[0] == c {
            0
        } else if gd.tries[1] == c {
            1
        } else {
            return; // a copy the guard gave up on
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
            return self.guard_end(ctx, g, 0);
        }
        if other != NONE {
            return; // the hedge copy may still succeed
        }
        self.breaker_record(ctx, g, false);
        self.guard_retry_or_fail(ctx, g, call.err as usize - 1);
    }

    /// The attempt of guard `g` timed out: the caller gives up on its copies.
    pub(super) fn guard_timeout(&mut self, ctx: &mut Context<'_, Ev>, g: u32) {
        let measured = self.measured(ctx.now().as_nanos());
        let gd = &mut self.guards[g as usize];
        for t in &mut gd.tries {
            if *t != NONE {
                self.calls[*t as usize].cancelled = CANCEL_TIMEOUT;
                *t = NONE;
            }
        }
        self.policies[gd.policy as usize].timeouts += measured;
        self.breaker_record(ctx, g, false);
        self.guard_retry_or_fail(ctx, g, TIMEOUT);
    }

    /// No answer yet after the hedge delay: a second copy goes to another instance.
    pub(super) fn guard_hedge(&mut self, ctx: &mut Context<'_, Ev>, g: u32) {
        let gd = self.guards[g as usize];
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
        let mut call = Call::new(gd.parent, p.req, p.gen, to, inst, p.class, p.key, 0);
        call.guard = g;
        let c = self.new_call(call);
        self.comps[to as usize].insts[inst as usize].outstanding += 1;
        let measured = self.measured(ctx.now().as_nanos());
        self.policies[gd.policy as usize].hedges += measured;
        let gd = &mut self.guards[g as usize];
        gd.tries[1] = c;
        gd.hedged = true;
        self.hop(ctx, Ev::Deliver(c));
    }

    fn guard_retry_or_fail(&mut self, ctx: &mut Context<'_, Ev>, g: u32, reason: usize) {
        let gd = self.guards[g as usize];
        let rt = &self.policies[gd.policy as usize];
        if gd.attempts <= rt.p.retries && !self.calls[gd.parent as usize].orphan {
            let delay = rt.p.backoff.as_nanos() as f64 * 2f64.powi(gd.attempts as i32 - 1);
            let measured = self.measured(ctx.now().as_nanos());
            self.policies[gd.policy as usize].retries += measured;
            let gd = &mut self.guards[g as usize];
            gd.token = gd.token.wrapping_add(1);
            ctx.schedule_in(SimTime::from_nanos_f64(delay), Ev::GuardRetry(g, gd.token));
            return;
        }
        self.guard_fail(ctx, g, reason);
    }

    /// The leg failed for `reason`: the fallback answers, or the failure goes to the caller.
    fn guard_fail(&mut self, ctx: &mut Context<'_, Ev>, g: u32, reason: usize) {
        let gd = self.guards[g as usize];
        let caller = self.policies[gd.policy as usize].caller;
        let orphan = self.calls[gd.parent as usize].orphan;
        let delay = match &self.policies[gd.policy as usize].p.fallback {
            Some(fb) if !orphan => Some(fb.sample(&mut self.comps[caller as usize].rng)),
            _ => None,
        };
        let Some(d) = delay else {
            return self.guard_end(ctx, g, reason as u8 + 1);
        };
        let measured = self.measured(ctx.now().as_nanos());
        self.policies[gd.policy as usize].fallbacks += measured;
        let gd = &mut self.guards[g as usize];
        gd.token = gd.token.wrapping_add(1);
        ctx.schedule_in(d, Ev::GuardFallback(g, gd.token));
    }

    /// The leg is over (`err` = 0 or reason + 1): release the guard, tell the caller.
    pub(super) fn guard_end(&mut self, ctx: &mut Context<'_, Ev>, g: u32, err: u8) {
        let gd = &mut self.guards[g as usize];
        gd.live = false;
        for t in &mut gd.tries {
            if *t != NONE {
                self.calls[*t as usize].cancelled = CANCEL_TIMEOUT;
                *t = NONE;
            }
        }
        let gd = *gd;
        if gd.holds_bulkhead {
            self.policies[gd.policy as usize].in_use[gd.caller_inst as usize] -= 1;
        }
        self.free_guards.push(g);
        self.leg_done(ctx, gd.parent, err);
    }

    /// One leg of call `p`'s current step is over.
    fn leg_done(&mut self, ctx: &mut Context<'_, Ev>, p: u32, err: u8) {
        let parent = &mut self.calls[p as usize];
        if parent.orphan {
            parent.pending -= 1;
            if parent.pending == 0 {
                self.free_call(p);
            }
            return;
        }
        if err != 0 && parent.err == 0 {
            parent.err = err;
        }
        parent.pending -= 1;
        if parent.pending > 0 {
            return;
        }
        if parent.err != 0 {
            self.finish_call(ctx, p)
        } else {
            self.continue_calls(ctx, p)
        }
    }

    /// A fallback answered on the way of call `c`: its client's current attempt is degraded.
    pub(super) fn mark_degraded(&mut self, c: u32) {
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
        if self.simple {
            return;
        }
        let r = &mut self.reqs[call.req as usize];
        if r.live && r.gen == call.gen {
            r.degraded = true;
        }
    }

    /// Whether work for call `c` is wanted no more: it, or a call it works for, was given up
    /// by its caller, or the client gave up on the attempt.
    fn abandoned(&self, c: u32) -> bool {
        let mut x = c;
        loop {
            let call = &self.calls[x as usize];
            if call.cancelled != 0 || call.orphan {
                return true;
            }
            match call.parent {
                NONE => {
                    if self.simple {
                        return false;
                    }
                    let r = &self.reqs[call.req as usize];
                    return !r.live || r.gen != call.gen;
                }
                INTERNAL => return false,
                p => x = p,
            }
        }
    }

    /// Whether call `c`, about to take the CPU, is dropped instead (then it is marked failed
    /// and counted).
    pub(super) fn should_drop(&mut self, c: u32) -> bool {
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

    // ----- circuit breaker -----

    /// Whether the breaker lets an attempt through: `Some(trial)`, or `None` when open (or
    /// half-open with its trials taken).
    fn breaker_admit(&mut self, pi: u32, ci: u32) -> Option<bool> {
        let rt = &mut self.policies[pi as usize];
        let Some(bs) = &rt.p.breaker else {
            return Some(false);
        };
        let b = &mut rt.breakers[ci as usize];
        match b.state {
            CLOSED => Some(false),
            OPEN => None,
            _ if b.trials < bs.half_open => {
                b.trials += 1;
                Some(true)
            }
            _ => None,
        }
    }

    /// Records an attempt's outcome in guard `g`'s breaker.
    fn breaker_record(&mut self, ctx: &mut Context<'_, Ev>, g: u32, ok: bool) {
        let now = ctx.now().as_nanos();
        let gd = self.guards[g as usize];
        let rt = &mut self.policies[gd.policy as usize];
        let Some(bs) = rt.p.breaker.clone() else {
            return;
        };
        let b = &mut rt.breakers[gd.caller_inst as usize];
        match b.state {
            CLOSED => {
                let width = (bs.window.as_nanos() / 10).max(1);
                let k = now / width;
                if k > b.cur {
                    for j in 1..=(k - b.cur).min(10) {
                        b.buckets[((b.cur + j) % 10) as usize] = (0, 0);
                    }
                    b.cur = k;
                }
                let e = &mut b.buckets[(k % 10) as usize];
                e.0 += 1;
                e.1 += !ok as u32;
                let (n, f) = b
                    .buckets
                    .iter()
                    .fold((0u32, 0u32), |(n, f), e| (n + e.0, f + e.1));
                if n >= bs.min_calls && f as f64 >= bs.failure_rate * n as f64 {
                    let detail = format!(
                        "calls to {}: {f} of the last {n} failed (window {}); open for {}",
                        self.comps[gd.to as usize].name, bs.window, bs.open_for
                    );
                    self.breaker_open(ctx, gd.policy, gd.caller_inst, detail);
                }
            }
            HALF_OPEN if gd.trial => {
                if ok {
                    b.trial_ok += 1;
                    if b.trial_ok >= bs.half_open {
                        *b = Breaker::default();
                        let caller = rt.caller;
                        let label = self.inst_label(caller, gd.caller_inst);
                        let detail = format!(
                            "calls to {}: {} trial calls succeeded",
                            self.comps[gd.to as usize].name, bs.half_open
                        );
                        self.rec.timeline(
                            now,
                            &label,
                            &Event::ends("breaker_close", Category::Breaker, "breaker_open"),
                            detail,
                        );
                    }
                } else {
                    let detail = format!(
                        "calls to {}: a trial call failed; open for {}",
                        self.comps[gd.to as usize].name, bs.open_for
                    );
                    self.breaker_open(ctx, gd.policy, gd.caller_inst, detail);
                }
            }
            _ => {}
        }
    }

    fn breaker_open(&mut self, ctx: &mut Context<'_, Ev>, pi: u32, ci: u32, detail: String) {
        let now = ctx.now().as_nanos();
        let measured = self.measured(now);
        let rt = &mut self.policies[pi as usize];
        let b = &mut rt.breakers[ci as usize];
        b.state = OPEN;
        rt.opens += measured;
        let open_for = rt.p.breaker.as_ref().map_or(SimTime::ZERO, |b| b.open_for);
        let caller = rt.caller;
        ctx.schedule_in(open_for, Ev::BreakerHalfOpen(pi, ci));
        let label = self.inst_label(caller, ci);
        self.rec.timeline(
            now,
            &label,
            &Event::opens("breaker_open", Category::Breaker),
            detail,
        );
    }

    pub(super) fn breaker_half_open(&mut self, ctx: &mut Context<'_, Ev>, pi: u32, ci: u32) {
        let rt = &mut self.policies[pi as usize];
        let b = &mut rt.breakers[ci as usize];
        if b.state != OPEN {
            return;
        }
        b.state = HALF_OPEN;
        b.trials = 0;
        b.trial_ok = 0;
        let trials = rt.p.breaker.as_ref().map_or(0, |b| b.half_open);
        let (caller, to) = (rt.caller, rt.to);
        let label = self.inst_label(caller, ci);
        let detail = format!(
            "calls to {}: {trials} trial calls let through",
            self.comps[to as usize].name
        );
        self.rec.timeline(
            ctx.now().as_nanos(),
            &label,
            &Event::moment("breaker_half_open", Category::Breaker),
            detail,
        );
    }

    // ----- spikes -----

    /// Applies the active spikes: the open-loop rate factor, or the closed-loop user count
    /// (users beyond it leave the loop at their next reply or wake-up; users brought in start
    /// after a think time).
    pub(super) fn set_spike(&mut self, ctx: &mut Context<'_, Ev>) {
        self.rate_factor = self.spikes.iter().product::<f64>() * self.profile_factor;
        if let Load::Open { .. } = &self.load {
            // Redraw the pending arrival at the new rate (exact for Poisson arrivals, which are
            // memoryless); at a factor of 0 nothing is pending until the factor rises again.
            self.arrival_gen = self.arrival_gen.wrapping_add(1);
            let now = ctx.now().as_nanos();
            if self.rate_factor > 0.0 && now < self.duration {
                let gap = self
                    .arrival_gap
                    .as_ref()
                    .expect("open loop")
                    .sample(&mut self.rng_arrivals);
                let gap = SimTime::from_nanos_f64(gap.as_nanos() as f64 / self.rate_factor);
                if now.saturating_add(gap.as_nanos()) < self.duration {
                    ctx.schedule_in(gap, Ev::Arrival(self.arrival_gen));
                }
            }
            return;
        }
        let Load::Closed { think, .. } = &self.load else {
            return;
        };
        let limit = (self.base_users as f64 * self.rate_factor)
            .round()
            .clamp(0.0, crate::spec::MAX_USERS as f64) as u32;
        self.user_limit = limit;
        if self.in_loop.len() < limit as usize {
            self.in_loop.resize(limit as usize, false);
        }
        for u in 0..limit {
            if !self.in_loop[u as usize] {
                self.in_loop[u as usize] = true;
                let t = think.sample(&mut self.rng_think);
                ctx.schedule_in(t, Ev::Wake(u));
            }
        }
    }

    /// The traffic profile's factor at `t_ns`: linear between points, constant outside.
    fn profile_at(&self, t_ns: u64) -> f64 {
        let p = &self.profile;
        match p.iter().position(|q| q.0 > t_ns) {
            Some(0) => p[0].1,
            None => p.last().map_or(1.0, |q| q.1),
            Some(k) => {
                let (a, b) = (p[k - 1], p[k]);
                a.1 + (b.1 - a.1) * (t_ns - a.0) as f64 / (b.0 - a.0) as f64
            }
        }
    }

    /// Applies the profile's factor now and schedules the next update (every second, or
    /// at the next point when the curve is flat until then).
    pub(super) fn profile_step(&mut self, ctx: &mut Context<'_, Ev>) {
        let now = ctx.now().as_nanos();
        let f = self.profile_at(now);
        if f != self.profile_factor {
            self.profile_factor = f;
            self.set_spike(ctx);
        }
        let next = now.saturating_add(1_000_000_000);
        if next < self.duration && self.profile.last().is_some_and(|l| now < l.0) {
            ctx.schedule_at(SimTime(next), Ev::Profile);
        }
    }

    // ----- autoscaling -----

    /// Samples an autoscaler's utilization: a service's ready instances, or a database's
    /// ready replicas (see `replica_scale`).
    pub(super) fn scale_tick(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now().as_nanos();
        let sc = &self.scalers[i as usize];
        let comp = &self.comps[sc.comp as usize];
        let (cores, db) = match &comp.body {
            Body::Service(s) => (s.cores.unwrap_or(1), s.db.as_ref()),
            _ => (1, None),
        };
        let x = match db {
            Some(db) if sc.db => {
                // Busy replicas' worth of CPU: the demand the ready replicas served.
                let ready = db.replicas.max(1) as usize;
                let busy: u32 = comp.insts[1..=ready].iter().map(|x| x.busy_cores).sum();
                busy as f64 / cores as f64
            }
            _ => {
                let active = comp.active.max(1);
                let busy: u32 = comp.insts[..active as usize]
                    .iter()
                    .map(|x| x.busy_cores)
                    .sum();
                busy as f64 / (cores as f64 * active as f64)
            }
        };
        if let Some(mean) = self.scalers[i as usize].sample(x) {
            if self.scalers[i as usize].db {
                self.replica_evaluate(ctx, i, mean);
            } else {
                self.scale_evaluate(ctx, i, mean);
            }
        }
        let period = scale_period(&self.scalers[i as usize].spec);
        if now.saturating_add(period.as_nanos()) < self.duration {
            ctx.schedule_in(period, Ev::ScaleTick(i));
        }
    }

    /// A service's evaluation: `util` is the mean utilization of its ready instances.
    fn scale_evaluate(&mut self, ctx: &mut Context<'_, Ev>, i: u32, util: f64) {
        let now = ctx.now().as_nanos();
        let comp = self.scalers[i as usize].comp;
        let active = self.comps[comp as usize].active;
        let decision = self.scalers[i as usize].decide(now, active as f64 * util, active);
        let a = &self.scalers[i as usize].spec;
        let (target, startup, stabilization) = (a.target_utilization, a.startup, a.stabilization);
        let name = self.comps[comp as usize].name.clone();
        match decision {
            Scale::Out { to, starting } => {
                for _ in 0..starting {
                    ctx.schedule_in(startup, Ev::ScaleReady(i));
                }
                self.rec.timeline(
                    now,
                    &name,
                    &Event::moment("scale_out", Category::Scaling),
                    format!(
                        "utilization {:.0}% (target {:.0}%): {active} -> {to} instances, new ones take traffic after {startup}",
                        util * 100.0,
                        target * 100.0,
                    ),
                );
            }
            Scale::In { to } => {
                self.scalers[i as usize].changes.push((now, to));
                let c = &mut self.comps[comp as usize];
                c.active = to;
                c.rr = 0;
                if c.balance == Policy::Consistent {
                    c.ring = ring_of(to);
                }
                self.rec.timeline(
                    now,
                    &name,
                    &Event::moment("scale_in", Category::Scaling),
                    format!(
                        "utilization {:.0}% (target {:.0}%) for {stabilization}: {active} -> {to} instances",
                        util * 100.0,
                        target * 100.0,
                    ),
                );
            }
            Scale::Hold => {}
        }
    }

    pub(super) fn scale_ready(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now().as_nanos();
        let sc = &mut self.scalers[i as usize];
        sc.starting = sc.starting.saturating_sub(1);
        let c = &mut self.comps[sc.comp as usize];
        c.active = (c.active + 1).min(c.insts.len() as u32);
        if c.balance == Policy::Consistent {
            c.ring = ring_of(c.active);
        }
        let active = c.active;
        sc.changes.push((now, active));
        let name = c.name.clone();
        self.rec.timeline(
            now,
            &name,
            &Event::moment("instance_ready", Category::Scaling),
            format!("{active} instances take traffic"),
        );
    }

    /// Adds the resilience counters and series to the component figures.
    pub(super) fn resilience_stats(&self, comps: &mut [ComponentStats], end_ns: u64) {
        for rt in &self.policies {
            let s = &mut comps[rt.caller as usize];
            let p = &rt.p;
            // A caller's policies (one per callee) add into one set of counters.
            s.counters.add("guarded_calls", rt.calls);
            if p.timeout.is_some() {
                s.counters.add("call_timeouts", rt.timeouts);
            }
            if p.retries > 0 {
                s.counters.add("call_retries", rt.retries);
            }
            if p.hedge.is_some() {
                s.counters.add("hedges", rt.hedges);
                s.figures.declare(
                    Figure::ratio("hedge_extra_load", "hedges", &["guarded_calls"])
                        .unless_zero()
                        .order(1),
                );
            }
            if p.fallback.is_some() {
                s.counters.add("fallbacks", rt.fallbacks);
            }
            if p.breaker.is_some() {
                s.counters.add("breaker_opens", rt.opens);
                s.counters.add("circuit_open", rt.open_rejects);
            }
            if p.bulkhead.is_some() {
                s.counters.add("bulkhead_full", rt.bulkhead_rejects);
            }
        }
        if self.drop_work {
            for (c, s) in self.comps.iter().zip(comps.iter_mut()) {
                if let Body::Service(svc) = &c.body {
                    if svc.drop_expired || svc.dropped > 0 {
                        s.counters.insert("dropped_work", svc.dropped);
                    }
                }
            }
        }
        for sc in &self.scalers {
            let n = (end_ns / self.interval_ns + 1) as usize;
            let mut v = Vec::with_capacity(n);
            let mut k = 0;
            let mut cur = sc.changes.first().map_or(0, |c| c.1);
            for b in 0..n {
                let t_end = (b as u64 + 1) * self.interval_ns;
                while k < sc.changes.len() && sc.changes[k].0 < t_end {
                    cur = sc.changes[k].1;
                    k += 1;
                }
                v.push(cur as f64);
            }
            // Ready-instance time over the measured window: the denominator of utilization
            // and mean queue for an autoscaled service.
            let w = self.rec.window();
            let mut ready_ns: u128 = 0;
            for (k, &(t, n)) in sc.changes.iter().enumerate() {
                let next = sc.changes.get(k + 1).map_or(end_ns, |c| c.0);
                let (lo, hi) = (t.max(w.warmup_ns), next.min(w.end_ns));
                if hi > lo {
                    ready_ns += n as u128 * (hi - lo) as u128;
                }
            }
            // Ready-instance time per series bucket (instance x ns), over the whole run like
            // the busy and queue series it divides.
            let mut ready = vec![0u128; n];
            for (k, &(t, m)) in sc.changes.iter().enumerate() {
                let next = sc.changes.get(k + 1).map_or(end_ns, |c| c.0).min(end_ns);
                let mut lo = t;
                while lo < next {
                    let b = (lo / self.interval_ns) as usize;
                    let hi = next.min((b as u64 + 1) * self.interval_ns);
                    if let Some(r) = ready.get_mut(b) {
                        *r += m as u128 * (hi - lo) as u128;
                    }
                    lo = hi;
                }
            }
            let s = &mut comps[sc.comp as usize];
            s.ready_series = ready;
            s.series.insert("instances", v);
            s.figures.declare(Figure::series("instances"));
            let ready_ms = (ready_ns / 1_000_000) as u64;
            s.counters.insert("ready_instance_ms", ready_ms);
            s.ready_instance_ms = Some(ready_ms);
            // Instances that took traffic, on average over the measured window (what an
            // autoscaled component costs).
            s.figures.declare(Figure::time_mean(
                "mean_instances",
                "ready_instance_ms",
                1e3,
            ));
            // Instances that were ready longer are busier by design: no per-instance figures
            // (and no hot-instance warning) for an autoscaled service.
            s.per_instance_served.clear();
            s.per_instance_busy.clear();
        }
    }
}
