//! The autoscaler of a service (and, through `kinds::database::autoscale`, of a database's
//! read replicas): utilization samples, the HPA rule, scaling out and in, and the
//! ready-instance figures it reports.

use crate::world::*;

/// An autoscaler on one service.
pub(in crate::world) struct Scaler {
    pub(in crate::world) comp: u32,
    /// Scales a database's read replicas (counts below are replicas, not instances).
    pub(in crate::world) db: bool,
    pub(in crate::world) spec: AutoscaleSpec,
    /// Instances started and not yet ready.
    pub(in crate::world) starting: u32,
    /// Utilization samples summed since the last evaluation, and their count.
    pub(in crate::world) sum: f64,
    pub(in crate::world) n: u32,
    /// Recommendations in the stabilization window: (time, instances).
    pub(in crate::world) history: VecDeque<(u64, u32)>,
    /// Ready instance count after each change: (time, instances).
    pub(in crate::world) changes: Vec<(u64, u32)>,
}

/// Utilization samples per autoscaler interval.
pub(in crate::world) const SCALE_SAMPLES: u32 = 30;

/// Time between two utilization samples of an autoscaler.
pub(in crate::world) fn scale_period(a: &AutoscaleSpec) -> SimTime {
    SimTime::from_nanos((a.interval.as_nanos() / SCALE_SAMPLES as u64).max(1))
}

/// What an autoscaler's evaluation decided.
pub(in crate::world) enum Scale {
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
    pub(in crate::world) fn sample(&mut self, x: f64) -> Option<f64> {
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
    pub(in crate::world) fn decide(&mut self, now: u64, load: f64, ready: u32) -> Scale {
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
    /// Samples an autoscaler's utilization: a service's ready instances, or a database's
    /// ready replicas (see `replica_scale`).
    pub(in crate::world) fn scale_tick(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now().as_nanos();
        let sc = &self.res.scalers[i as usize];
        let comp = &self.comps[sc.comp as usize];
        // An autoscaler is on a service (or a database's replicas): built so.
        let Body::Service(s) = &comp.body else {
            unreachable!("an autoscaler on a component that is no service")
        };
        let cores = s.cores.unwrap_or(1);
        let x = match &s.db {
            Some(db) if sc.db => {
                // Busy replicas' worth of CPU: the demand the ready replicas served.
                let ready = db.replicas.max(1) as usize;
                let busy: u32 = s.insts[1..=ready].iter().map(|x| x.busy_cores).sum();
                busy as f64 / cores as f64
            }
            _ => {
                let active = comp.active.max(1);
                let busy: u32 = s.insts[..active as usize]
                    .iter()
                    .map(|x| x.busy_cores)
                    .sum();
                busy as f64 / (cores as f64 * active as f64)
            }
        };
        if let Some(mean) = self.res.scalers[i as usize].sample(x) {
            if self.res.scalers[i as usize].db {
                self.replica_evaluate(ctx, i, mean);
            } else {
                self.scale_evaluate(ctx, i, mean);
            }
        }
        let period = scale_period(&self.res.scalers[i as usize].spec);
        if now.saturating_add(period.as_nanos()) < self.duration {
            ctx.schedule_in(period, Ev::ScaleTick(i));
        }
    }
    /// A service's evaluation: `util` is the mean utilization of its ready instances.
    pub(in crate::world) fn scale_evaluate(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        i: u32,
        util: f64,
    ) {
        let now = ctx.now().as_nanos();
        let comp = self.res.scalers[i as usize].comp;
        let active = self.comps[comp as usize].active;
        let decision = self.res.scalers[i as usize].decide(now, active as f64 * util, active);
        let a = &self.res.scalers[i as usize].spec;
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
                self.res.scalers[i as usize].changes.push((now, to));
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
    pub(in crate::world) fn scale_ready(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now().as_nanos();
        let sc = &mut self.res.scalers[i as usize];
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
}
