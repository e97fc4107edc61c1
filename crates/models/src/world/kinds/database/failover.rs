//! A database's failover: when its primary has been down for detect + promote, the replica
//! that received the most of its writes is promoted; the writes it never received are lost.

use crate::world::*;

impl World {
    /// Failover: the primary has been down for detect + promote; the replica that has
    /// received the most of its writes becomes the primary, and the writes it never received
    /// are lost.
    pub(in crate::world) fn promote(&mut self, ctx: &mut Context<'_, Ev>, comp: u32) {
        let now = ctx.now().as_nanos();
        let c = &mut self.comps[comp as usize];
        let Body::Service(Svc { db: Some(db), .. }) = &mut c.body else {
            return;
        };
        if db.promote_at != now || !c.insts[db.primary as usize].down {
            return;
        }
        db.promote_at = 0;
        let old = db.primary;
        let best = (0..c.insts.len() as u32)
            .filter(|i| *i != old && !c.insts[*i as usize].down)
            .min_by_key(|i| db.undelivered[*i as usize]);
        let Some(p) = best else {
            let name = c.name.clone();
            self.rec.timeline(
                now,
                &name,
                &Event::moment("promotion_failed", Category::Fault),
                "no replica is up to take over".into(),
            );
            return;
        };
        let lost = db.undelivered[p as usize];
        db.lost_writes += lost;
        db.undelivered.iter_mut().for_each(|u| *u = 0);
        // The new primary's backlog was in the lost writes; the old primary, a replica when
        // it is back, holds every write it committed and catches up from there.
        db.behind[p as usize].clear();
        db.catchup[p as usize] = (0, 0);
        db.applied[old as usize] = db.latest.clone();
        db.term = db.term.wrapping_add(1);
        db.primary = p;
        let label = format!("{}[{p}]", c.name);
        self.rec.timeline(
            now,
            &label,
            &Event::moment("promote", Category::Recovery),
            format!("primary now (was [{old}]); writes lost: {lost}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::world::kinds::testing::*;
    use crate::{CompOps, Component, Dist, Failover, KindSpec, Spec};
    use archsim_engine::SimTime;

    /// 500 requests/s for 15 s, 10% of them writes, at a database with 2 replicas and
    /// failover after 1 s + 1 s, whose primary crashes at 5 s for the rest of the run;
    /// writes replicate after `lag`.
    fn failing_over(lag: &str) -> Spec {
        let mut s = Spec::builder("15s")
            .entry("db")
            .rate(500.0)
            .keys(1_000, 0.0)
            .class("read", 0.9)
            .class("write", 0.1)
            .component(
                Component::database("db")
                    .replicas(2)
                    .cpu("1ms")
                    .writes(["write"]),
            )
            .crash("db[0]", "5s", "60s")
            .build()
            .unwrap();
        if let KindSpec::Service(svc) = &mut s.components[0].kind {
            svc.db.as_mut().unwrap().replication_lag = Some(Dist::parse(lag).unwrap());
        }
        s.ops.components.push((
            "db".into(),
            CompOps {
                failover: Some(Failover {
                    detect: SimTime::from_secs(1),
                    promote: SimTime::from_secs(1),
                }),
                ..CompOps::default()
            },
        ));
        s
    }

    /// Writes fail only while the failover detects and promotes; reads, at the replicas,
    /// never fail; the writes the promoted replica had not received are lost, none when
    /// replication has no lag.
    #[test]
    fn a_replica_takes_over_and_the_writes_it_missed_are_lost() {
        let stats = run(&failing_over("200ms"), 1);
        assert_eq!(stats.classes[0].failed, 0, "reads fail");
        // 50 writes/s reach the crashed primary for 2 s: Poisson(100), standard deviation
        // 10; allow 4 of them.
        let failed = stats.classes[1].failed;
        assert!(failed.abs_diff(100) <= 40, "{failed} writes failed");
        assert_eq!(errors(&stats, "unavailable"), failed);
        assert!(stats.classes[1].succeeded > 600);
        let promoted: Vec<_> = stats
            .timeline
            .iter()
            .filter(|e| e.event == "promote")
            .collect();
        assert_eq!(promoted.len(), 1, "{:?}", stats.timeline);
        assert!((promoted[0].t_s - 7.0).abs() < 1e-9, "{:?}", promoted[0]);
        // The writes committed in the last 200 ms before the crash had not reached it:
        // Poisson(10).
        let lost = counter(comp(&stats, "db"), "lost_writes");
        assert!((1..=25).contains(&lost), "{lost} writes lost");
        let prompt = run(&failing_over("0ms"), 1);
        assert_eq!(counter(comp(&prompt, "db"), "lost_writes"), 0);
        assert_eq!(prompt.classes[0].failed, 0);
    }
}
