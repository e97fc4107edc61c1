//! Autoscaled read replicas (`replica_autoscale` on a database with `replicas`).
//!
//! The database has its primary (instance 0) and `max` replicas from the start. `DbState::replicas`
//! replicas (`1..=replicas`) are ready: reads choose among them. The next `DbState::starting`
//! ones are starting: they restore a snapshot and apply every new write, but take no reads
//! until their `startup` has passed. The rest idle (no reads, no writes). The scaler follows
//! the HPA rule of a service's autoscaler on the ready replicas' CPU utilization; scale-in
//! stops the highest-index ready replicas. Simplification: a replica is taken as caught up
//! when it becomes ready (every write committed so far counts as applied there).
//!
//! The scaler sits in `World::scalers` with `db` set, so the `instances` series and
//! `ready_instance_ms` (primary + ready replicas) come from the services' code.

use crate::world::*;

/// A replica scaler for database component `comp`, with `replicas` ready at the start.
pub(in crate::world) fn replica_scaler(comp: u32, a: &AutoscaleSpec, replicas: u32) -> Scaler {
    Scaler::new(comp, true, a, 1 + replicas, &[])
}

impl World {
    fn replica_db(&mut self, comp: u32) -> &mut DbState {
        match &mut self.comps[comp as usize].body {
            Body::Service(Svc { db: Some(db), .. }) => db,
            _ => unreachable!("a replica scaler on a component without a database"),
        }
    }

    /// A replica scaler's evaluation, counted in replicas: `demand` is the mean busy
    /// replicas' worth of CPU, taken sample by sample (so replicas that became ready at the
    /// end of the interval do not count as if they had carried its load).
    pub(in crate::world) fn replica_evaluate(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        i: u32,
        demand: f64,
    ) {
        let now = ctx.now().as_nanos();
        let comp = self.res.scalers[i as usize].comp;
        let ready = self.replica_db(comp).replicas;
        let util = demand / ready.max(1) as f64;
        let decision = self.res.scalers[i as usize].decide(now, demand, ready);
        let a = &self.res.scalers[i as usize].spec;
        let (target, startup, stabilization) = (a.target_utilization, a.startup, a.stabilization);
        let name = self.comps[comp as usize].name.clone();
        match decision {
            Scale::Out { to, starting } => {
                for _ in 0..starting {
                    ctx.schedule_in(startup, Ev::ScaleReady(i));
                }
                self.replica_db(comp).starting += starting;
                self.rec.timeline(
                    now,
                    &name,
                    &Event::moment("scale_out", Category::Scaling),
                    format!(
                        "replica load {demand:.2} replicas busy (target {:.0}%): {ready} -> {to} replicas, new ones take reads after {startup}",
                        target * 100.0,
                    ),
                );
            }
            Scale::In { to } => {
                self.res.scalers[i as usize].changes.push((now, 1 + to));
                self.replica_db(comp).replicas = to;
                self.comps[comp as usize].active = 1 + to;
                self.rec.timeline(
                    now,
                    &name,
                    &Event::moment("scale_in", Category::Scaling),
                    format!(
                        "replica utilization {:.0}% (target {:.0}%) for {stabilization}: {ready} -> {to} replicas",
                        util * 100.0,
                        target * 100.0,
                    ),
                );
            }
            Scale::Hold => {}
        }
    }

    /// A starting replica takes reads, caught up with every write committed so far.
    pub(in crate::world) fn replica_ready(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now().as_nanos();
        let sc = &mut self.res.scalers[i as usize];
        sc.starting = sc.starting.saturating_sub(1);
        let comp = sc.comp;
        let c = &mut self.comps[comp as usize];
        let max = c.insts.len() as u32 - 1;
        let Body::Service(Svc { db: Some(db), .. }) = &mut c.body else {
            return;
        };
        db.starting = db.starting.saturating_sub(1);
        db.replicas = (db.replicas + 1).min(max);
        let r = db.replicas as usize;
        db.applied[r] = db.latest.clone();
        let ready = db.replicas;
        c.active = 1 + ready;
        self.res.scalers[i as usize].changes.push((now, 1 + ready));
        let name = c.name.clone();
        self.rec.timeline(
            now,
            &name,
            &Event::moment("instance_ready", Category::Scaling),
            format!("{ready} replicas take reads"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::world::kinds::testing::*;
    use crate::{AutoscaleSpec, Component, KindSpec, Spec};
    use archsim_engine::SimTime;

    /// Read load of 0.9 replica's worth at one ready replica, with a target of 40%: the
    /// scaler starts two more replicas (ceil(0.9 / 0.4) = 3), which take reads once ready.
    #[test]
    fn replicas_scale_out_under_read_load_and_then_take_reads() {
        // 900 reads/s of 1 ms at one-core replicas; the primary takes only the writes
        // (none here).
        let mut spec = Spec::builder("30s")
            .entry("db")
            .rate(900.0)
            .class("read", 1.0)
            .component(
                Component::database("db")
                    .replicas(1)
                    .cores(1)
                    .cpu("exp(1ms)"),
            )
            .build()
            .unwrap();
        let db = &mut spec.components[0];
        db.instances = 4;
        if let KindSpec::Service(svc) = &mut db.kind {
            svc.db.as_mut().unwrap().autoscale = Some(AutoscaleSpec {
                target_utilization: 0.4,
                interval: SimTime::from_secs(1),
                stabilization: SimTime::from_secs(60),
                min: 1,
                max: 3,
                startup: SimTime::from_secs(2),
                metric: crate::ScaleMetric::Cpu,
                idle: SimTime::from_secs(300),
                cold_start: crate::Dist::Const(0),
            });
        }
        let stats = run(&spec, 1);
        let out: Vec<_> = stats
            .timeline
            .iter()
            .filter(|e| e.event == "scale_out")
            .collect();
        assert_eq!(out.len(), 1, "{:?}", stats.timeline);
        let ready: Vec<_> = stats
            .timeline
            .iter()
            .filter(|e| e.event == "instance_ready")
            .collect();
        assert_eq!(ready.len(), 2, "{:?}", stats.timeline);
        // The decision at the first evaluation, one interval in (30 samples 33,333,333 ns
        // apart); ready a start-up later.
        assert!((out[0].t_s - 1.0).abs() < 1e-6, "{:?}", out[0]);
        assert!(ready
            .iter()
            .all(|e| (e.t_s - out[0].t_s - 2.0).abs() < 1e-9));
        // The primary and one replica for the first 3 s, the primary and three replicas
        // for the other 27 s (to the millisecond).
        let db = comp(&stats, "db");
        assert_eq!(db.ready_instance_ms, Some(2 * 3_000 + 4 * 27_000));
        // Reads waited at one replica at rho = 0.9; spread over three (rho = 0.3 each) they
        // hardly wait. Mean requests waiting, per second:
        let waiting: Vec<f64> = db.queue_series.iter().map(|a| *a as f64 / 1e9).collect();
        let before = waiting[..3].iter().sum::<f64>() / 3.0;
        let after = waiting[4..30].iter().sum::<f64>() / 26.0;
        assert!(before > 2.0, "{waiting:?}");
        assert!(after < before / 10.0, "{waiting:?}");
    }
}
