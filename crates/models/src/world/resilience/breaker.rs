//! Circuit breakers: per caller instance and call step, a sliding window of outcomes that
//! opens the breaker, a half-open trial, and closing again.

use crate::world::*;

/// Circuit breaker states.
pub(in crate::world) const CLOSED: u8 = 0;
pub(in crate::world) const OPEN: u8 = 1;
pub(in crate::world) const HALF_OPEN: u8 = 2;

/// A circuit breaker of one caller instance on one call: outcomes in a sliding window of ten
/// sub-buckets.
#[derive(Clone, Copy, Debug, Default)]
pub(in crate::world) struct Breaker {
    pub(in crate::world) state: u8,
    /// Index of the current sub-bucket (time / width).
    pub(in crate::world) cur: u64,
    /// (calls, failures) per sub-bucket, a ring.
    pub(in crate::world) buckets: [(u32, u32); 10],
    /// Half-open: trial calls let through, and how many succeeded.
    pub(in crate::world) trials: u32,
    pub(in crate::world) trial_ok: u32,
}

impl World {
    /// Whether the breaker lets an attempt through: `Some(trial)`, or `None` when open (or
    /// half-open with its trials taken).
    pub(in crate::world) fn breaker_admit(&mut self, pi: u32, ci: u32) -> Option<bool> {
        let rt = &mut self.res.policies[pi as usize];
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
    pub(in crate::world) fn breaker_record(&mut self, ctx: &mut Context<'_, Ev>, g: u32, ok: bool) {
        let now = ctx.now().as_nanos();
        let gd = self.res.guards[g as usize];
        let rt = &mut self.res.policies[gd.policy as usize];
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
    pub(in crate::world) fn breaker_open(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        pi: u32,
        ci: u32,
        detail: String,
    ) {
        let now = ctx.now().as_nanos();
        let measured = self.measured(now);
        let rt = &mut self.res.policies[pi as usize];
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
    pub(in crate::world) fn breaker_half_open(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        pi: u32,
        ci: u32,
    ) {
        let rt = &mut self.res.policies[pi as usize];
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
}
