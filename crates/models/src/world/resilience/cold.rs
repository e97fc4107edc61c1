//! Scale to zero and cold starts (an autoscaler with `min = 0`, serverless-like): after
//! `idle` with no request and nothing in flight, the service has no instance (it costs
//! nothing); the next request starts one, which takes traffic after a `cold_start` draw,
//! and every request arriving meanwhile waits with it. The waiting is part of their
//! response time, so cold starts show in latency.
//!
//! The service keeps one instance in its routing while at zero (callers still choose
//! instance 0): the requests routed to it are held here, in arrival order, until the cold
//! start ends, then admitted as if they had just arrived. The ready-instance count (the
//! `instances` series, `mean_instances`, the cost) is 0 while at zero and during the cold
//! start.

use crate::world::*;

/// Where a service that may scale to zero stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::world) enum Warmth {
    /// Instances take traffic.
    Warm,
    /// No instance: the next request starts one.
    Zero,
    /// An instance is starting; requests wait for it.
    Starting,
}

/// The scale-to-zero state of one service.
pub(in crate::world) struct Cold {
    /// Its autoscaler (index into `Res::scalers`).
    pub(in crate::world) scaler: u32,
    pub(in crate::world) warmth: Warmth,
    /// The latest arrival (ns).
    pub(in crate::world) last_arrival: u64,
    /// Requests waiting for the cold start, in arrival order.
    pub(in crate::world) held: VecDeque<u32>,
    /// When the current cold start began (ns).
    pub(in crate::world) started: u64,
    /// Cold starts begun in the measured window.
    pub(in crate::world) cold_starts: u64,
}

impl Cold {
    pub(in crate::world) fn new(scaler: u32) -> Cold {
        Cold {
            scaler,
            warmth: Warmth::Warm,
            last_arrival: 0,
            held: VecDeque::new(),
            started: 0,
            cold_starts: 0,
        }
    }
}

impl World {
    /// A call reaches a service that may scale to zero: noted as an arrival, and held (a
    /// cold start begun if none is) unless an instance is warm.
    #[inline(never)]
    pub(in crate::world) fn cold_arrive(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        now: u64,
    ) -> Step {
        let comp = self.calls[c as usize].comp;
        let measured = self.rec.window().contains(now) as u64;
        let cm = &mut self.comps[comp as usize];
        let Body::Service(Svc { cold: Some(z), .. }) = &mut cm.body else {
            return self.svc_arrive_warm(ctx, c);
        };
        z.last_arrival = now;
        match z.warmth {
            Warmth::Warm => return self.svc_arrive_warm(ctx, c),
            Warmth::Starting => {}
            Warmth::Zero => {
                z.warmth = Warmth::Starting;
                z.started = now;
                z.cold_starts += measured;
                let i = z.scaler;
                let d = self.res.scalers[i as usize]
                    .spec
                    .cold_start
                    .sample(&mut cm.rng);
                ctx.schedule_in(d, Ev::ScaleReady(i));
                let name = cm.name.clone();
                self.rec.timeline(
                    now,
                    &name,
                    &Event::opens("cold_start", Category::Scaling),
                    format!("a request at zero instances starts one (ready in {d})"),
                );
            }
        }
        let Body::Service(Svc { cold: Some(z), .. }) = &mut self.comps[comp as usize].body else {
            unreachable!()
        };
        z.held.push_back(c);
        Step::Wait
    }

    /// Whether autoscaler `i`'s service is starting an instance from zero.
    pub(in crate::world) fn cold_starting(&self, i: u32) -> bool {
        let comp = self.res.scalers[i as usize].comp;
        matches!(
            &self.comps[comp as usize].body,
            Body::Service(Svc { cold: Some(z), .. }) if z.warmth == Warmth::Starting
        )
    }

    /// The cold start of autoscaler `i`'s service ended: one instance takes traffic and
    /// the held requests are admitted in arrival order.
    pub(in crate::world) fn cold_ready(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now().as_nanos();
        let comp = self.res.scalers[i as usize].comp;
        let cm = &mut self.comps[comp as usize];
        let Body::Service(Svc { cold: Some(z), .. }) = &mut cm.body else {
            unreachable!("a cold start of a service that cannot scale to zero")
        };
        z.warmth = Warmth::Warm;
        let held: Vec<u32> = z.held.drain(..).collect();
        let waited = now - z.started;
        cm.active = 1;
        self.res.scalers[i as usize].changes.push((now, 1));
        let name = cm.name.clone();
        // A crash during the start failed the requests held for it; the instance takes
        // traffic when it is back.
        let down = cm.insts.first().is_some_and(|x| x.down);
        self.rec.timeline(
            now,
            &name,
            &Event::ends("cold_ready", Category::Scaling, "cold_start"),
            if down {
                format!(
                    "1 instance started after a cold start of {}, but it is down (a crash during its start): it takes traffic when it is back",
                    SimTime::from_nanos(waited),
                )
            } else {
                format!(
                    "1 instance takes traffic after a cold start of {}; {} requests waited for it",
                    SimTime::from_nanos(waited),
                    held.len()
                )
            },
        );
        for c in held {
            self.resume_later(ctx, c, Resume::Arrive);
        }
    }

    /// At a tick of autoscaler `i`: scales its service to zero when it has had no request
    /// for `idle` and has nothing in flight. Returns whether the service is warm (the
    /// scaler then samples and evaluates as usual).
    #[inline(never)]
    pub(in crate::world) fn cold_tick(&mut self, now: u64, i: u32) -> bool {
        let sc = &self.res.scalers[i as usize];
        let (comp, idle, starting) = (sc.comp, sc.spec.idle.as_nanos(), sc.starting);
        let cm = &mut self.comps[comp as usize];
        let active = cm.active as usize;
        let busy = cm.insts[..active].iter().any(|x| x.outstanding > 0);
        let Body::Service(Svc { cold: Some(z), .. }) = &mut cm.body else {
            return true;
        };
        if z.warmth != Warmth::Warm {
            return false;
        }
        if starting > 0 || busy || now < z.last_arrival.saturating_add(idle) {
            return true;
        }
        z.warmth = Warmth::Zero;
        let since = (now - z.last_arrival) as f64 / 1e9;
        cm.active = 1;
        cm.rr = 0;
        if cm.balance == Policy::Consistent {
            cm.ring = ring_of(1);
        }
        let name = cm.name.clone();
        let sc = &mut self.res.scalers[i as usize];
        sc.changes.push((now, 0));
        sc.history.clear();
        sc.sum = 0.0;
        sc.n = 0;
        self.rec.timeline(
            now,
            &name,
            &Event::moment("scale_to_zero", Category::Scaling),
            format!("no request for {since:.1}s: {active} -> 0 instances"),
        );
        false
    }
}
