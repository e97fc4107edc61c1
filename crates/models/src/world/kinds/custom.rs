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

#[cfg(test)]
mod tests {
    use crate::world::kinds::testing::*;
    use crate::{Behavior, BehaviorCtx, Component, Request, Spec};
    use archsim_engine::SimTime;
    use archsim_stats::Figure;

    /// Replies after 7 ms, counting the requests it answers and the delay it gave them.
    #[derive(Default)]
    struct Delay {
        answered: u64,
        delay_us: u64,
    }

    impl Behavior for Delay {
        fn on_request(&mut self, req: Request, ctx: &mut BehaviorCtx<'_>) {
            let d = SimTime::from_millis(7);
            self.answered += 1;
            self.delay_us += d.as_nanos() / 1_000;
            ctx.reply(req.id, d);
        }
        fn counters(&self) -> Vec<(String, u64)> {
            vec![
                ("answered".into(), self.answered),
                ("delay_us_total".into(), self.delay_us),
            ]
        }
        fn figures(&self) -> Vec<Figure> {
            vec![Figure::mean(
                "delay_ms_mean",
                "delay_us_total",
                "answered",
                1e3,
            )]
        }
    }

    /// Fails the requests of class 1 with its own reason, answers the others at once.
    struct Picky;

    impl Behavior for Picky {
        fn on_request(&mut self, req: Request, ctx: &mut BehaviorCtx<'_>) {
            if req.class == 1 {
                ctx.fail(req.id, "teapot");
            } else {
                ctx.reply(req.id, SimTime::ZERO);
            }
        }
    }

    /// Calls `db` for every request and passes its answer on (the default `on_reply`).
    struct Proxy;

    impl Behavior for Proxy {
        fn on_request(&mut self, req: Request, ctx: &mut BehaviorCtx<'_>) {
            ctx.call(req.id, "db");
        }
        fn calls(&self) -> Vec<String> {
            vec!["db".into()]
        }
    }

    /// A behaviour that replies after a delay gives that latency; its instances' counters
    /// add up, and the figure it declares is computed from their sums.
    #[test]
    fn a_delayed_reply_is_the_latency() {
        let spec = Spec::builder("10s")
            .entry("c")
            .rate(200.0)
            .component(Component::custom("c", "delay", || Box::<Delay>::default()).instances(2))
            .build()
            .unwrap();
        let stats = run(&spec, 1);
        assert_eq!(stats.overall.succeeded, stats.generated);
        assert!((mean_ms(&stats) - 7.0).abs() < 1e-9, "{}", mean_ms(&stats));
        assert_eq!(stats.overall.latency.max_ms(), Some(7.0));
        let c = comp(&stats, "c");
        assert_eq!(c.kind, "delay");
        assert_eq!(counter(c, "answered"), stats.generated);
        assert!(c
            .per_instance_served
            .iter()
            .all(|s| s.abs_diff(stats.generated / 2) <= 1));
        assert_eq!(figure(c, "delay_ms_mean"), Some(7.0));
    }

    /// A behaviour that fails a request fails it with its own reason, counted at the
    /// component.
    #[test]
    fn a_failure_carries_its_reason() {
        let spec = Spec::builder("10s")
            .entry("c")
            .rate(200.0)
            .class("fine", 0.75)
            .class("brewing", 0.25)
            .component(Component::custom("c", "picky", || Box::new(Picky)))
            .build()
            .unwrap();
        let stats = run(&spec, 1);
        let (fine, brewing) = (&stats.classes[0], &stats.classes[1]);
        assert_eq!((fine.failed, brewing.succeeded), (0, 0));
        assert!(brewing.failed > 300, "{}", brewing.failed);
        assert_eq!(errors(&stats, "teapot"), brewing.failed);
        assert_eq!(stats.overall.failed, brewing.failed);
        let c = comp(&stats, "c");
        assert_eq!(c.errors_series.iter().sum::<u64>(), brewing.failed);
    }

    /// A behaviour that calls another component reaches it, and the answer comes back
    /// through it: the callee's latency, and its failures with their reason.
    #[test]
    fn a_call_reaches_its_target() {
        let spec = Spec::builder("20s")
            .entry("proxy")
            .rate(200.0)
            .component(Component::custom("proxy", "proxy", || Box::new(Proxy)))
            .component(Component::service("db").cpu("3ms"))
            .crash("db", "10s", "5s")
            .build()
            .unwrap();
        let stats = run(&spec, 1);
        let db = comp(&stats, "db");
        // Every request reached the database: served there, or refused while it was down.
        assert_eq!(db.served + counter(db, "unavailable"), stats.generated);
        assert_eq!(comp(&stats, "proxy").served, stats.generated);
        assert_eq!(stats.overall.latency.max_ms(), Some(3.0));
        assert_eq!(stats.overall.latency.fraction_at_or_below(2_990_000), 0.0);
        // The crash's 5 s of 20: Poisson(1,000) failures, standard deviation 32; allow 4.
        let failed = errors(&stats, "unavailable");
        assert_eq!(stats.overall.failed, failed);
        assert!(failed.abs_diff(1_000) <= 130, "{failed} failed");
    }
}
