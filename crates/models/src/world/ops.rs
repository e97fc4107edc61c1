//! Operations: latency faults, partitions, crashes, restarts, health checks, failover and rolling deployments.

use super::*;

/// Operations' state: the faults of the run and the progress of rolling deployments.
pub(in crate::world) struct Ops {
    pub(in crate::world) faults: Vec<Fault>,
    /// Choosing an instance checks health and deployments.
    pub(in crate::world) pick: bool,
    pub(in crate::world) deploys: Vec<DeployState>,
}

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

/// A fault resolved to indices.
pub(in crate::world) struct Fault {
    pub(in crate::world) at: SimTime,
    pub(in crate::world) duration: SimTime,
    /// The component (a region fault: the region index).
    pub(in crate::world) comp: u32,
    /// Partition and latency: the peer component, or `NONE`.
    pub(in crate::world) peer: u32,
    pub(in crate::world) insts: std::ops::Range<u32>,
    pub(in crate::world) kind: FaultKind,
}

impl World {
    pub(super) fn fault_start(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now();
        let (comp, insts, kind, duration) = {
            let f = &self.ops.faults[i as usize];
            (f.comp, f.insts.clone(), f.kind.clone(), f.duration)
        };
        if self.ops_fault_start(ctx, i) {
            return;
        }
        ctx.schedule_in(duration, Ev::FaultEnd(i));
        if let FaultKind::Spike(x) = kind {
            self.traffic.spikes.push(x);
            self.set_spike(ctx);
            let detail = match self.traffic.load {
                Load::Open { .. } => format!("arrival rate x{x} for {duration}"),
                Load::Closed { .. } => {
                    format!(
                        "{} users instead of {} for {duration}",
                        self.traffic.user_limit, self.traffic.base_users
                    )
                }
            };
            self.rec
                .timeline(now.as_nanos(), "traffic", "spike_start", detail);
            return;
        }
        let name = self.comps[comp as usize].name.clone();
        let label = |inst: u32, n: usize| {
            if n == 1 {
                name.clone()
            } else {
                format!("{name}[{inst}]")
            }
        };
        let n = self.comps[comp as usize].insts.len();
        if let FaultKind::Reshard { to, factor } = kind {
            let c = &mut self.comps[comp as usize];
            let from = c.active;
            let start = now.as_nanos();
            let ring = ring_of(to);
            // Estimate the share of the key space that changes shard.
            let policy = c.balance;
            let moved = (0..10_000u64)
                .filter(|k| {
                    let key = mix64(*k) % self.traffic.key_count.max(1);
                    route_key(policy, key, from, self.traffic.key_count, &c.ring)
                        != route_key(policy, key, to, self.traffic.key_count, &ring)
                })
                .count();
            c.reshard = Some((start, start + duration.as_nanos(), to, ring));
            for i in &mut c.insts {
                i.slows.push(factor);
                i.slow = i.slows.iter().product();
            }
            let name = c.name.clone();
            self.rec.timeline(
                start,
                &name,
                "reshard_start",
                format!(
                    "{from} -> {to} shards over {duration}; {:.0}% of keys move; CPU x{factor} on every shard while it runs",
                    moved as f64 / 100.0
                ),
            );
            return;
        }
        for inst in insts {
            match kind {
                FaultKind::Reshard { .. }
                | FaultKind::Partition { .. }
                | FaultKind::Latency { .. }
                | FaultKind::Region
                | FaultKind::Deploy { .. }
                | FaultKind::Spike(_) => {}
                FaultKind::Slow(x) => {
                    let i = &mut self.comps[comp as usize].insts[inst as usize];
                    i.slows.push(x);
                    i.slow = i.slows.iter().product();
                    self.rec.timeline(
                        now.as_nanos(),
                        &label(inst, n),
                        "slow_start",
                        format!("CPU times x{x} for {duration}"),
                    );
                }
                FaultKind::Crash => {
                    let i = &mut self.comps[comp as usize].insts[inst as usize];
                    i.crashes += 1;
                    if i.crashes > 1 {
                        continue; // already down: the later of the overlapping ends recovers
                    }
                    let lost = self.crash(ctx, comp, inst);
                    let how_long = match self.comps[comp as usize].restart {
                        Some(r) if r < duration.as_nanos() => {
                            format!("restarted by the orchestrator after {}", SimTime(r))
                        }
                        _ => format!("down for {duration}"),
                    };
                    self.rec.timeline(
                        now.as_nanos(),
                        &label(inst, n),
                        "crash",
                        format!("{how_long}; calls in progress lost: {lost}"),
                    );
                    self.schedule_restart(ctx, comp, inst);
                }
            }
        }
        self.note_live(comp, now.as_nanos());
    }
    pub(super) fn fault_end(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now().as_nanos();
        let (comp, insts, kind) = {
            let f = &self.ops.faults[i as usize];
            (f.comp, f.insts.clone(), f.kind.clone())
        };
        if let FaultKind::Spike(x) = kind {
            if let Some(k) = self.traffic.spikes.iter().position(|f| *f == x) {
                self.traffic.spikes.remove(k);
            }
            self.set_spike(ctx);
            self.rec
                .timeline(now, "traffic", "spike_end", String::new());
            return;
        }
        if self.ops_fault_end(ctx, i) {
            return;
        }
        let n = self.comps[comp as usize].insts.len();
        if let FaultKind::Reshard { factor, .. } = kind {
            let c = &mut self.comps[comp as usize];
            if let Some((_, _, to, ring)) = c.reshard.take() {
                c.active = to;
                c.ring = ring;
            }
            for i in &mut c.insts {
                if let Some(k) = i.slows.iter().position(|f| *f == factor) {
                    i.slows.remove(k);
                }
                i.slow = i.slows.iter().product();
            }
            let (name, active) = (c.name.clone(), c.active);
            self.rec
                .timeline(now, &name, "reshard_end", format!("{active} shards"));
            return;
        }
        for inst in insts {
            let c = &mut self.comps[comp as usize];
            let label = if n == 1 {
                c.name.clone()
            } else {
                format!("{}[{inst}]", c.name)
            };
            let i = &mut c.insts[inst as usize];
            match kind {
                FaultKind::Reshard { .. }
                | FaultKind::Partition { .. }
                | FaultKind::Latency { .. }
                | FaultKind::Region
                | FaultKind::Deploy { .. }
                | FaultKind::Spike(_) => {}
                FaultKind::Slow(x) => {
                    if let Some(k) = i.slows.iter().position(|f| *f == x) {
                        i.slows.remove(k);
                    }
                    i.slow = i.slows.iter().product();
                    self.rec.timeline(now, &label, "slow_end", String::new());
                }
                FaultKind::Crash => {
                    i.crashes = i.crashes.saturating_sub(1);
                    if i.down && i.crashes == 0 && i.region_down == 0 && !i.deploying {
                        i.down = false;
                        self.rec.timeline(now, &label, "recover", String::new());
                        self.back_up(ctx, comp, inst);
                    }
                }
            }
        }
        self.note_live(comp, now);
        if matches!(self.comps[comp as usize].body, Body::Queue(_)) {
            self.consume(ctx, comp);
        }
    }
    /// Crashes one instance: calls waiting there fail at once, calls it was working on are
    /// lost (their callers get `unavailable` now), and its cores and workers are free when
    /// it comes back. Returns how many calls were lost.
    pub(super) fn crash(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) -> u64 {
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
    /// Starts the faults handled here; false for the others.
    pub(super) fn ops_fault_start(&mut self, ctx: &mut Context<'_, Ev>, i: u32) -> bool {
        let now = ctx.now().as_nanos();
        let f = &self.ops.faults[i as usize];
        let (comp, peer, duration) = (f.comp, f.peer, f.duration);
        match f.kind.clone() {
            FaultKind::Partition { drop, .. } => {
                self.net.partitions.push((comp, peer, drop));
                let (a, b) = (
                    self.comps[comp as usize].name.clone(),
                    self.comps[peer as usize].name.clone(),
                );
                let how = if drop {
                    "calls between them vanish"
                } else {
                    "calls between them fail"
                };
                self.rec.timeline(
                    now,
                    &a,
                    "partition_start",
                    format!("cut off from `{b}` for {duration}; {how}"),
                );
            }
            FaultKind::Latency { add, .. } => {
                self.net.delays.push(i);
                let from = if peer == NONE {
                    String::new()
                } else {
                    format!(" from `{}`", self.comps[peer as usize].name)
                };
                let name = self.comps[comp as usize].name.clone();
                self.rec.timeline(
                    now,
                    &name,
                    "latency_start",
                    format!(
                        "calls{from} arrive later by {:.1}ms on average, for {duration}",
                        add.mean_ns() / 1e6
                    ),
                );
            }
            FaultKind::Region => {
                let region = comp as u8;
                let mut lost = 0;
                let mut down = 0;
                for k in 0..self.comps.len() as u32 {
                    if self.comps[k as usize].region != region {
                        continue;
                    }
                    for inst in 0..self.comps[k as usize].insts.len() as u32 {
                        let i = &mut self.comps[k as usize].insts[inst as usize];
                        i.region_down += 1;
                        if i.region_down == 1 {
                            lost += self.crash(ctx, k, inst);
                            down += 1;
                        }
                    }
                    self.note_live(k, now);
                }
                let name = self.net.regions[region as usize].clone();
                self.rec.timeline(
                    now,
                    &name,
                    "region_down",
                    format!("{down} instances down for {duration}; calls in progress lost: {lost}"),
                );
            }
            FaultKind::Deploy { batch, .. } => {
                let c = &self.comps[comp as usize];
                let (name, n) = (c.name.clone(), c.insts.len());
                self.rec.timeline(
                    now,
                    &name,
                    "deploy_start",
                    format!("{n} instances in batches of {batch}"),
                );
                self.ops.deploys[i as usize] = DeployState::default();
                self.deploy_out(ctx, i);
                return true;
            }
            _ => return false,
        }
        ctx.schedule_in(duration, Ev::FaultEnd(i));
        true
    }
    /// Ends the faults handled here; false for the others.
    pub(super) fn ops_fault_end(&mut self, ctx: &mut Context<'_, Ev>, i: u32) -> bool {
        let now = ctx.now().as_nanos();
        let f = &self.ops.faults[i as usize];
        let (comp, peer) = (f.comp, f.peer);
        match f.kind.clone() {
            FaultKind::Partition { drop, .. } => {
                if let Some(k) = self
                    .net
                    .partitions
                    .iter()
                    .position(|p| *p == (comp, peer, drop))
                {
                    self.net.partitions.remove(k);
                }
                let name = self.comps[comp as usize].name.clone();
                self.rec
                    .timeline(now, &name, "partition_end", String::new());
            }
            FaultKind::Latency { .. } => {
                self.net.delays.retain(|d| *d != i);
                let name = self.comps[comp as usize].name.clone();
                self.rec.timeline(now, &name, "latency_end", String::new());
            }
            FaultKind::Region => {
                let region = comp as u8;
                for k in 0..self.comps.len() as u32 {
                    if self.comps[k as usize].region != region {
                        continue;
                    }
                    for j in 0..self.comps[k as usize].insts.len() as u32 {
                        let inst = &mut self.comps[k as usize].insts[j as usize];
                        inst.region_down = inst.region_down.saturating_sub(1);
                        if inst.down
                            && inst.region_down == 0
                            && inst.crashes == 0
                            && !inst.deploying
                        {
                            inst.down = false;
                            self.back_up(ctx, k, j);
                        }
                    }
                    self.note_live(k, now);
                    if matches!(self.comps[k as usize].body, Body::Queue(_)) {
                        self.consume(ctx, k);
                    }
                }
                let name = self.net.regions[region as usize].clone();
                self.rec.timeline(now, &name, "region_up", String::new());
            }
            FaultKind::Deploy { .. } => {}
            _ => return false,
        }
        true
    }
    /// Schedules an orchestrator restart of a crashed instance, if the component has one.
    pub(super) fn schedule_restart(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        if let Some(r) = self.comps[comp as usize].restart {
            let now = ctx.now().as_nanos();
            self.comps[comp as usize].insts[inst as usize].restart_at = now + r;
            ctx.schedule_in(SimTime(r), Ev::Restart(comp, inst));
        }
    }
    /// The orchestrator brings a crashed instance back (unless its region is still down, or a
    /// later crash moved the restart).
    pub(super) fn restart(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let now = ctx.now().as_nanos();
        let c = &mut self.comps[comp as usize];
        let n = c.insts.len();
        let i = &mut c.insts[inst as usize];
        if i.restart_at != now || !i.down || i.region_down > 0 || i.deploying {
            return;
        }
        i.restart_at = 0;
        i.down = false;
        i.crashes = 0;
        let label = if n == 1 {
            c.name.clone()
        } else {
            format!("{}[{inst}]", c.name)
        };
        self.rec.timeline(
            now,
            &label,
            "restart",
            "back after the orchestrator's restart delay".into(),
        );
        self.back_up(ctx, comp, inst);
        self.note_live(comp, now);
        if matches!(self.comps[comp as usize].body, Body::Queue(_)) {
            self.consume(ctx, comp);
        }
    }
    /// Failover: the primary has been down for detect + promote; the replica that has
    /// received the most of its writes becomes the primary, and the writes it never received
    /// are lost.
    pub(super) fn promote(&mut self, ctx: &mut Context<'_, Ev>, comp: u32) {
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
                "promotion_failed",
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
            "promote",
            format!("primary now (was [{old}]); writes lost: {lost}"),
        );
    }
    /// A deployment takes its next batch out of rotation and waits for it to drain.
    pub(super) fn deploy_out(&mut self, ctx: &mut Context<'_, Ev>, f: u32) {
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
            "deploy_batch_out",
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
    pub(super) fn deploy_step(&mut self, ctx: &mut Context<'_, Ev>, f: u32) {
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
                "deploy_batch_down",
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
                self.back_up(ctx, comp, i);
            }
        }
        self.rec.timeline(
            now,
            &name,
            "deploy_batch_in",
            format!("instances {from}..{} serve again, new version", to - 1),
        );
        self.note_live(comp, now);
        if matches!(self.comps[comp as usize].body, Body::Queue(_)) {
            self.consume(ctx, comp);
        }
        if to < n {
            self.ops.deploys[f as usize].next = to;
            self.deploy_out(ctx, f);
        } else {
            self.rec
                .timeline(now, &name, "deploy_end", format!("{n} instances updated"));
        }
    }
    /// Records the number of live instances (up and in rotation) after a change.
    pub(super) fn note_live(&mut self, comp: u32, now: u64) {
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
