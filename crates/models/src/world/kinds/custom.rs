//! Custom kinds: user `Behavior`s, their effects and their answers.

use crate::world::*;

/// A custom component: one behaviour per instance, the timers they set, and a buffer for
/// the effects a behaviour asks for.
pub(in crate::world) struct Custom {
    pub(in crate::world) behaviors: Vec<Box<dyn Behavior>>,
    /// Pending timers: (instance, tag); free slots are reused.
    pub(in crate::world) timers: Vec<(u32, u64)>,
    pub(in crate::world) free_timers: Vec<u32>,
    pub(in crate::world) effects: Vec<Effect>,
}

impl World {
    /// Timer `t` of custom component `comp` is due.
    pub(in crate::world) fn custom_timer(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, t: u32) {
        let Body::Custom(cu) = &mut self.comps[comp as usize].body else {
            unreachable!()
        };
        let (inst, tag) = cu.timers[t as usize];
        cu.free_timers.push(t);
        self.run_behavior(ctx, comp, inst, |b, bctx| b.on_timer(tag, bctx));
    }
}

impl World {
    /// A custom component's behaviour gets call `c`.
    #[inline(always)]
    pub(in crate::world) fn custom_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        let call = self.calls[c as usize];
        let req = Request {
            id: CallId(c),
            class: call.class as usize,
            key: (call.key != NO_KEY).then_some(call.key),
            arrived: ctx.now(),
        };
        self.run_behavior(ctx, call.comp, call.inst, |b, bctx| b.on_request(req, bctx));
        // The behaviour's effects have said what becomes of the call.
        Step::Wait
    }
    /// A downstream call of custom component call `p` answered (its error `perr`, or 0).
    #[inline(never)]
    pub(in crate::world) fn custom_answered(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        p: u32,
        perr: u8,
    ) -> Step {
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
        Step::Wait
    }
    pub(in crate::world) fn run_behavior(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        comp: u32,
        inst: u32,
        f: impl FnOnce(&mut dyn Behavior, &mut BehaviorCtx<'_>),
    ) {
        let mut effects = {
            let c = &mut self.comps[comp as usize];
            let Body::Custom(cu) = &mut c.body else {
                unreachable!()
            };
            let mut effects = std::mem::take(&mut cu.effects);
            let mut bctx = BehaviorCtx {
                now: ctx.now(),
                rng: &mut c.rng,
                effects: &mut effects,
            };
            f(cu.behaviors[inst as usize].as_mut(), &mut bctx);
            effects
        };
        for e in effects.drain(..) {
            match e {
                Effect::Reply(id, delay) => self.apply(ctx, id.0, Step::ReplyIn(delay)),
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
                            let inst = self.pick(t, bal, key, class);
                            self.apply(ctx, id.0, Step::Forward { to: t, inst });
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
                    let Body::Custom(cu) = &mut self.comps[comp as usize].body else {
                        unreachable!()
                    };
                    let t = match cu.free_timers.pop() {
                        Some(t) => {
                            cu.timers[t as usize] = (inst, tag);
                            t
                        }
                        None => {
                            cu.timers.push((inst, tag));
                            (cu.timers.len() - 1) as u32
                        }
                    };
                    ctx.schedule_in(delay, Ev::Timer(comp, t));
                }
                Effect::Event(event, detail) => {
                    let label = self.comps[comp as usize].label(inst);
                    self.rec
                        .timeline(ctx.now().as_nanos(), &label, &event, detail);
                }
            }
        }
        if let Body::Custom(cu) = &mut self.comps[comp as usize].body {
            cu.effects = effects;
        }
    }
}

/// Builds custom component `c`: one behaviour per instance from its factory.
pub(in crate::world) fn build_custom(
    c: &ComponentSpec,
    factory: &std::sync::Arc<dyn Fn() -> Box<dyn Behavior> + Send + Sync>,
    cx: &BuildCx<'_>,
) -> Result<Custom, ModelError> {
    let behaviors: Vec<Box<dyn Behavior>> = (0..c.instances).map(|_| factory()).collect();
    for b in &behaviors {
        for to in b.calls() {
            find(cx.names, &c.name, &to)?;
        }
    }
    Ok(Custom {
        behaviors,
        timers: Vec::new(),
        free_timers: Vec::new(),
        effects: Vec::new(),
    })
}

impl Kind for Custom {
    const KEEPS_ORPHANS: bool = true;
    /// The instances' counters add up; each behaviour declares the same figures.
    fn report(&self, s: &mut ComponentStats, _cx: &ReportCx) {
        for b in &self.behaviors {
            for (k, v) in b.counters() {
                s.counters.add(&k, v);
            }
            s.figures.extend(b.figures());
        }
    }
    #[inline(always)]
    fn arrive(w: &mut World, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        w.custom_arrive(ctx, c)
    }
    #[inline(always)]
    fn answered(w: &mut World, ctx: &mut Context<'_, Ev>, p: u32, perr: u8) -> Step {
        w.custom_answered(ctx, p, perr)
    }
}
