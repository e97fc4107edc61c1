//! Crashes and restarts: an instance going down (what it held fails or is lost, its kind
//! drops what it kept), an orchestrator bringing it back, and the live-instance count.

use crate::world::*;

impl World {
    /// Crashes one instance: calls waiting there fail at once, calls it was working on are
    /// lost (their callers get `unavailable` now), and its cores and workers are free when
    /// it comes back. Returns how many calls were lost.
    pub(in crate::world) fn crash(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        comp: u32,
        inst: u32,
    ) -> u64 {
        let now = ctx.now().as_nanos();
        let i = &mut self.comps[comp as usize].insts[inst as usize];
        if i.down {
            return 0;
        }
        i.down = true;
        // The kind gives up what the instance held: the calls waiting in its own rooms join
        // `held`, to fail at once.
        let mut held: Vec<u32> = Vec::new();
        let crashed = self.comps[comp as usize]
            .body
            .on_crash(inst, now, &mut held);
        // Deterministic order whatever the hash maps did.
        held.sort_unstable();
        for &c in &held {
            // Marked now so the scan below skips them; `fail_now` answers them.
            self.calls[c as usize].done = true;
        }
        if let Some(delay) = crashed.promote_in {
            ctx.schedule_in(SimTime(delay), Ev::Promote(comp));
        }
        let queued = held.len();
        let heap_held = self.comps[comp as usize].heap.is_some();
        // Calls in progress: in CPU, or waiting for their downstream calls.
        for (c, call) in self.calls.iter().enumerate() {
            if call.comp == comp
                && call.inst == inst
                && call.delivered
                && !call.done
                && !call.free
                && !call.orphan
            {
                held.push(c as u32);
            }
        }
        if heap_held {
            self.heap_down(comp, inst, now, &held);
        }
        let mut lost = 0;
        for (k, c) in held.into_iter().enumerate() {
            let call = &mut self.calls[c as usize];
            if call.is_apply() {
                // A write the replica was applying: it replays it when it is back.
                call.holds_worker = false;
                call.holds_lock = false;
                if k >= queued {
                    call.orphan = true;
                }
                self.apply_missed(c, k < queued);
                continue;
            }
            lost += 1;
            if k < queued {
                let call = &mut self.calls[c as usize];
                call.holds_worker = false;
                call.holds_lock = false;
                call.done = false;
                self.fail_now(ctx, c, UNAVAILABLE);
            } else {
                // Tell the caller now through a stand-in slot; the original lives on as an
                // orphan until its pending CPU-done or downstream replies have run.
                let mut proxy = self.calls[c as usize];
                proxy.pending = 0;
                proxy.holds_worker = false;
                let call = &mut self.calls[c as usize];
                call.orphan = true;
                call.done = true;
                call.holds_worker = false;
                let p = self.new_call(proxy);
                if proxy.guard != NONE {
                    // The guard waits for the stand-in now.
                    for t in &mut self.res.guards[proxy.guard as usize].tries {
                        if *t == c {
                            *t = p;
                        }
                    }
                }
                self.fail_now(ctx, p, UNAVAILABLE);
            }
        }
        lost
    }
    /// Schedules an orchestrator restart of a crashed instance, if the component has one.
    pub(in crate::world) fn schedule_restart(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        comp: u32,
        inst: u32,
    ) {
        if let Some(r) = self.comps[comp as usize].restart {
            let now = ctx.now().as_nanos();
            self.comps[comp as usize].insts[inst as usize].restart_at = now + r;
            ctx.schedule_in(SimTime(r), Ev::Restart(comp, inst));
        }
    }
    /// The orchestrator brings a crashed instance back (unless its region is still down, or a
    /// later crash moved the restart).
    pub(in crate::world) fn restart(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let now = ctx.now().as_nanos();
        let c = &mut self.comps[comp as usize];
        let n = c.insts.len();
        let i = &mut c.insts[inst as usize];
        if !i.down && c.heap.is_some() {
            return self.heap_check(ctx, comp, inst);
        }
        if i.restart_at != now || !i.down || i.region_down > 0 || i.deploying {
            return;
        }
        i.restart_at = 0;
        i.down = false;
        i.crashes = 0;
        let label = inst_label(&c.name, n, inst);
        let event = if self.oom_killed(comp, inst) {
            Event::ends("restart", Category::Recovery, "oom_kill")
        } else {
            Event::ends("restart", Category::Recovery, "crash")
        };
        self.rec.timeline(
            now,
            &label,
            &event,
            "back after the orchestrator's restart delay".into(),
        );
        self.on_up(ctx, comp, inst);
        self.note_live(comp, now);
    }
    /// Records the number of live instances (up and in rotation) after a change.
    pub(in crate::world) fn note_live(&mut self, comp: u32, now: u64) {
        let c = &mut self.comps[comp as usize];
        if let Some(v) = &mut c.live_changes {
            let live = c.insts[..c.active as usize]
                .iter()
                .filter(|i| !i.down && !i.out)
                .count() as u32;
            v.push((now, live));
        }
    }
}
