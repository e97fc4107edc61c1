//! Custom kinds: user `Behavior`s, their effects and their answers.

use crate::world::*;

impl World {
    /// A custom component's behaviour gets call `c`.
    #[inline(never)]
    pub(in crate::world) fn custom_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        let req = Request {
            id: CallId(c),
            class: call.class as usize,
            key: (call.key != NO_KEY).then_some(call.key),
            arrived: ctx.now(),
        };
        self.run_behavior(ctx, call.comp, call.inst, |b, bctx| b.on_request(req, bctx));
    }
    /// A downstream call of custom component call `p` answered (its error `perr`, or 0).
    #[inline(never)]
    pub(in crate::world) fn custom_answered(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        p: u32,
        perr: u8,
    ) {
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
    pub(in crate::world) fn run_behavior(
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
                Effect::Event(event, detail) => {
                    let c = &self.comps[comp as usize];
                    let label = if c.insts.len() == 1 {
                        c.name.clone()
                    } else {
                        format!("{}[{inst}]", c.name)
                    };
                    self.rec
                        .timeline(ctx.now().as_nanos(), &label, &event, detail);
                }
            }
        }
        self.effects = effects;
    }
}
