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
