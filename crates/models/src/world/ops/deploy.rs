//! Rolling deployments: batches taken out of rotation, drained, restarted for their start-up
//! and brought back, one after another.

use crate::world::*;

/// Progress of a rolling deployment.
#[derive(Clone, Copy, Default)]
pub(in crate::world) struct DeployState {
    /// First instance of the current batch.
    pub(in crate::world) next: u32,
    /// Draining (false) or starting up (true).
    pub(in crate::world) starting: bool,
    /// When draining gives up waiting.
    pub(in crate::world) drain_until: u64,
}

impl World {
    /// A deployment takes its next batch out of rotation and waits for it to drain.
    pub(in crate::world) fn deploy_out(&mut self, ctx: &mut Context<'_, Ev>, f: u32) {
        let now = ctx.now().as_nanos();
        let (comp, FaultKind::Deploy { batch, drain, .. }) = (
            self.ops.faults[f as usize].comp,
            self.ops.faults[f as usize].kind.clone(),
        ) else {
            return;
        };
        let st = &mut self.ops.deploys[f as usize];
        let c = &mut self.comps[comp as usize];
        let n = c.active;
        let (from, to) = (st.next, (st.next + batch).min(n));
        st.starting = false;
        st.drain_until = now + drain.as_nanos();
        for i in from..to {
            c.insts[i as usize].out = true;
        }
        let name = c.name.clone();
        self.rec.timeline(
            now,
            &name,
            &Event::moment("deploy_batch_out", Category::Scaling),
            format!(
                "instances {from}..{} stop taking new calls and drain",
                to - 1
            ),
        );
        self.note_live(comp, now);
        self.deploy_step(ctx, f);
    }
    /// The next step of a deployment: a drained batch goes down for its start-up; a started
    /// batch comes back and the next one goes out.
    pub(in crate::world) fn deploy_step(&mut self, ctx: &mut Context<'_, Ev>, f: u32) {
        let now = ctx.now().as_nanos();
        let (
            comp,
            FaultKind::Deploy {
                batch, start_up, ..
            },
        ) = (
            self.ops.faults[f as usize].comp,
            self.ops.faults[f as usize].kind.clone(),
        )
        else {
            return;
        };
        let st = self.ops.deploys[f as usize];
        let n = self.comps[comp as usize].active;
        let (from, to) = (st.next, (st.next + batch).min(n));
        let name = self.comps[comp as usize].name.clone();
        if !st.starting {
            let drained =
                (from..to).all(|i| self.comps[comp as usize].insts[i as usize].outstanding == 0);
            if !drained && now < st.drain_until {
                // Check again shortly (every 10 ms, at most until the drain timeout).
                let next = (now + 10_000_000).min(st.drain_until);
                ctx.schedule_in(SimTime(next - now), Ev::Deploy(f));
                return;
            }
            let mut lost = 0;
            for i in from..to {
                self.comps[comp as usize].insts[i as usize].deploying = true;
                lost += self.crash(ctx, comp, i);
            }
            self.rec.timeline(
                now,
                &name,
                &Event::opens("deploy_batch_down", Category::Scaling),
                format!(
                    "instances {from}..{} restart for {start_up}; calls cut off: {lost}",
                    to - 1
                ),
            );
            self.ops.deploys[f as usize].starting = true;
            self.note_live(comp, now);
            ctx.schedule_in(start_up, Ev::Deploy(f));
            return;
        }
        for i in from..to {
            let inst = &mut self.comps[comp as usize].insts[i as usize];
            inst.deploying = false;
            inst.out = false;
            if inst.crashes == 0 && inst.region_down == 0 {
                inst.down = false;
                self.on_up(ctx, comp, i);
            }
        }
        self.rec.timeline(
            now,
            &name,
            &Event::ends("deploy_batch_in", Category::Scaling, "deploy_batch_down"),
            format!("instances {from}..{} serve again, new version", to - 1),
        );
        self.note_live(comp, now);
        if to < n {
            self.ops.deploys[f as usize].next = to;
            self.deploy_out(ctx, f);
        } else {
            self.rec.timeline(
                now,
                &name,
                &Event::ends("deploy_end", Category::Scaling, "deploy_start"),
                format!("{n} instances updated"),
            );
        }
    }
}
