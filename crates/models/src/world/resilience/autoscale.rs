//! The autoscaler of a service (and, through `kinds::database::autoscale`, of a database's
//! read replicas): samples of its signal (CPU utilization, waiting calls, answered calls per
//! second, a response-time percentile: [`ScaleMetric`]), the HPA rule, scaling out and in,
//! and the ready-instance figures it reports. Scaling to zero is `super::cold`.

use crate::world::*;
use crate::ScaleMetric;

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
    /// Calls the component had answered at the last evaluation (the rate signal).
    pub(in crate::world) last_served: u64,
    /// Response times of the interval (the latency signal), and the class they are of.
    pub(in crate::world) lat: Option<Box<(archsim_stats::LogHist, Option<u32>)>>,
}

impl Scaler {
    /// A scaler of component `comp` starting with `ready` units; `classes`: the request
    /// class names, for a latency signal of one class.
    pub(in crate::world) fn new(
        comp: u32,
        db: bool,
        spec: &AutoscaleSpec,
        ready: u32,
        classes: &[String],
    ) -> Scaler {
        let lat = match &spec.metric {
            ScaleMetric::Latency { class, .. } => Some(Box::new((
                archsim_stats::LogHist::new(),
                class
                    .as_ref()
                    .and_then(|n| classes.iter().position(|c| c == n))
                    .map(|k| k as u32),
            ))),
            _ => None,
        };
        Scaler {
            comp,
            db,
            spec: spec.clone(),
            starting: 0,
            sum: 0.0,
            n: 0,
            history: VecDeque::new(),
            changes: vec![(0, ready)],
            last_served: 0,
            lat,
        }
    }
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
        // At least one: only `cold` scales to zero, after its idle time.
        let desired = ((load / a.target()) - 1e-9)
            .ceil()
            .clamp(a.min.max(1) as f64, a.max as f64) as u32;
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
        if sc.spec.min == 0 && !sc.db && !self.cold_tick(now, i) {
            // At zero instances or starting one: nothing to sample.
            let period = scale_period(&self.res.scalers[i as usize].spec);
            if now.saturating_add(period.as_nanos()) < self.duration {
                ctx.schedule_in(period, Ev::ScaleTick(i));
            }
            return;
        }
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
            _ if sc.spec.metric == ScaleMetric::Cpu => {
                let active = comp.active.max(1);
                let busy: u32 = s.insts[..active as usize]
                    .iter()
                    .map(|x| x.busy_cores)
                    .sum();
                busy as f64 / (cores as f64 * active as f64)
            }
            _ => self.scale_sample(i),
        };
        if let Some(mean) = self.res.scalers[i as usize].sample(x) {
            if self.res.scalers[i as usize].db {
                self.replica_evaluate(ctx, i, mean);
            } else {
                let value = self.scale_reading(i, mean);
                self.scale_evaluate(ctx, i, value);
            }
        }
        let period = scale_period(&self.res.scalers[i as usize].spec);
        if now.saturating_add(period.as_nanos()) < self.duration {
            ctx.schedule_in(period, Ev::ScaleTick(i));
        }
    }
    /// A sample of a signal other than CPU, taken at each tick: the calls waiting per ready
    /// instance (queue); 0 for the signals read once per interval (rate, latency).
    #[inline(never)]
    fn scale_sample(&self, i: u32) -> f64 {
        let sc = &self.res.scalers[i as usize];
        let comp = &self.comps[sc.comp as usize];
        let Body::Service(s) = &comp.body else {
            unreachable!("an autoscaler on a component that is no service")
        };
        let active = comp.active.max(1);
        match sc.spec.metric {
            ScaleMetric::Queue { .. } => {
                let waiting: usize = s.insts[..active as usize]
                    .iter()
                    .map(|x| x.wait_q.len() + x.cpu_q.len())
                    .sum();
                waiting as f64 / active as f64
            }
            ScaleMetric::Memory { .. } => {
                let used: f64 = (0..active)
                    .filter_map(|inst| self.memory_utilization(sc.comp, inst))
                    .sum();
                used / active as f64
            }
            _ => 0.0,
        }
    }
    /// The interval's value of scaler `i`'s signal per ready instance, from the mean of its
    /// samples (`mean`, the value itself for CPU and queue). A memory signal is one more arm
    /// here (and a sample in `scale_sample`).
    fn scale_reading(&mut self, i: u32, mean: f64) -> f64 {
        let sc = &mut self.res.scalers[i as usize];
        let comp = &self.comps[sc.comp as usize];
        match &sc.spec.metric {
            ScaleMetric::Cpu | ScaleMetric::Queue { .. } | ScaleMetric::Memory { .. } => mean,
            ScaleMetric::Rate { .. } => {
                let answered = comp.served - sc.last_served;
                sc.last_served = comp.served;
                answered as f64 / sc.spec.interval.as_secs_f64() / comp.active.max(1) as f64
            }
            ScaleMetric::Latency { quantile, .. } => {
                let (h, _) = &mut **sc.lat.as_mut().expect("a latency scaler keeps its times");
                // No call finished: no reason to move (the target itself holds).
                let v = h.quantile(*quantile).unwrap_or(sc.spec.target());
                *h = archsim_stats::LogHist::new();
                // Latency does not divide over instances: ready x (latency / target) is the
                // HPA's desired count for an object metric.
                v
            }
        }
    }
    /// A finished call of `comp` (class `class`, `ns` from arrival to answer) for the
    /// latency signals on it.
    #[cold]
    pub(in crate::world) fn scale_latency_sample(&mut self, comp: u32, class: u32, ns: u64) {
        for sc in &mut self.res.scalers {
            if sc.comp != comp {
                continue;
            }
            if let Some(l) = &mut sc.lat {
                if l.1.is_none_or(|k| k == class) {
                    l.0.record(ns);
                }
            }
        }
    }
    /// How an evaluation's signal reads in the timeline: CPU as before, the others with
    /// their unit.
    fn scale_reason(metric: &ScaleMetric, value: f64, target: f64) -> String {
        match metric {
            ScaleMetric::Cpu => format!(
                "utilization {:.0}% (target {:.0}%)",
                value * 100.0,
                target * 100.0
            ),
            ScaleMetric::Queue { .. } => {
                format!("{value:.1} calls waiting per instance (target {target})")
            }
            ScaleMetric::Rate { .. } => {
                format!("{value:.1} calls/s per instance (target {target})")
            }
            ScaleMetric::Latency { quantile, .. } => format!(
                "p{} {:.0}ms (target {:.0}ms)",
                quantile * 100.0,
                value / 1e6,
                target / 1e6
            ),
            ScaleMetric::Memory { .. } => format!(
                "memory {:.0}% (target {:.0}%)",
                value * 100.0,
                target * 100.0
            ),
        }
    }
    /// A service's evaluation: `util` is the mean value of its signal per ready instance.
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
        let (startup, stabilization) = (a.startup, a.stabilization);
        let reason = World::scale_reason(&a.metric, util, a.target());
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
                        "{reason}: {active} -> {to} instances, new ones take traffic after {startup}"
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
                    format!("{reason} for {stabilization}: {active} -> {to} instances"),
                );
            }
            Scale::Hold => {}
        }
    }
    pub(in crate::world) fn scale_ready(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        if self.res.scalers[i as usize].spec.min == 0 && self.cold_starting(i) {
            return self.cold_ready(ctx, i);
        }
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
