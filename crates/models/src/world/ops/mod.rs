//! Operations: latency faults, partitions, crashes, restarts, health checks, failover and rolling deployments.

use super::*;

mod crash;
mod deploy;
pub(in crate::world) use deploy::*;

/// Operations' state: the faults of the run and the progress of rolling deployments.
pub(in crate::world) struct Ops {
    pub(in crate::world) faults: Vec<Fault>,
    /// Choosing an instance checks health and deployments.
    pub(in crate::world) pick: bool,
    pub(in crate::world) deploys: Vec<DeployState>,
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
    pub(in crate::world) fn fault_start(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
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
            self.rec.timeline(
                now.as_nanos(),
                "traffic",
                &Event::starts("spike_start", Category::Overload, "spike"),
                detail,
            );
            return;
        }
        let name = self.comps[comp as usize].name.clone();
        let label = |inst: u32, n: usize| inst_label(&name, n, inst);
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
                i.slow_down(factor);
            }
            let name = c.name.clone();
            self.rec.timeline(
                start,
                &name,
                &Event::starts("reshard_start", Category::Fault, "resharded"),
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
                    i.slow_down(x);
                    self.rec.timeline(
                        now.as_nanos(),
                        &label(inst, n),
                        &Event::starts("slow_start", Category::Fault, "slowed"),
                        format!("CPU times x{x} for {duration}"),
                    );
                }
                FaultKind::Leak {
                    per_request,
                    per_second,
                } => {
                    self.heap_leak(ctx, comp, inst, (per_request, per_second), true);
                    let mut how = Vec::new();
                    if per_request > 0 {
                        how.push(format!("{} per call", heap::bytes_text(per_request)));
                    }
                    if per_second > 0.0 {
                        how.push(format!("{}/s", heap::bytes_text(per_second as u64)));
                    }
                    self.rec.timeline(
                        now.as_nanos(),
                        &label(inst, n),
                        &Event::starts("leak_start", Category::Fault, "leaking memory"),
                        format!(
                            "leaks {} for {duration}; freed only by a restart",
                            how.join(" and ")
                        ),
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
                        &Event::starts("crash", Category::Fault, "crashed"),
                        format!("{how_long}; calls in progress lost: {lost}"),
                    );
                    self.schedule_restart(ctx, comp, inst);
                }
            }
        }
        self.note_live(comp, now.as_nanos());
    }
    pub(in crate::world) fn fault_end(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
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
            self.rec.timeline(
                now,
                "traffic",
                &Event::ends("spike_end", Category::Recovery, "spike_start"),
                String::new(),
            );
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
                i.slow_end(factor);
            }
            let (name, active) = (c.name.clone(), c.active);
            self.rec.timeline(
                now,
                &name,
                &Event::ends("reshard_end", Category::Recovery, "reshard_start"),
                format!("{active} shards"),
            );
            return;
        }
        for inst in insts {
            if let FaultKind::Leak {
                per_request,
                per_second,
            } = kind
            {
                self.heap_leak(ctx, comp, inst, (per_request, per_second), false);
                let label = inst_label(&self.comps[comp as usize].name, n, inst);
                self.rec.timeline(
                    now,
                    &label,
                    &Event::ends("leak_end", Category::Recovery, "leak_start"),
                    "what leaked stays until a restart".into(),
                );
                continue;
            }
            let c = &mut self.comps[comp as usize];
            let label = inst_label(&c.name, n, inst);
            let i = &mut c.insts[inst as usize];
            match kind {
                FaultKind::Reshard { .. }
                | FaultKind::Partition { .. }
                | FaultKind::Latency { .. }
                | FaultKind::Region
                | FaultKind::Deploy { .. }
                | FaultKind::Leak { .. }
                | FaultKind::Spike(_) => {}
                FaultKind::Slow(x) => {
                    i.slow_end(x);
                    self.rec.timeline(
                        now,
                        &label,
                        &Event::ends("slow_end", Category::Recovery, "slow_start"),
                        String::new(),
                    );
                }
                FaultKind::Crash => {
                    i.crashes = i.crashes.saturating_sub(1);
                    if i.down && i.crashes == 0 && i.region_down == 0 && !i.deploying {
                        i.down = false;
                        self.rec.timeline(
                            now,
                            &label,
                            &Event::ends("recover", Category::Recovery, "crash"),
                            String::new(),
                        );
                        self.on_up(ctx, comp, inst);
                    }
                }
            }
        }
        self.note_live(comp, now);
    }
    /// Starts the faults handled here; false for the others.
    pub(in crate::world) fn ops_fault_start(&mut self, ctx: &mut Context<'_, Ev>, i: u32) -> bool {
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
                    &Event::starts("partition_start", Category::Fault, "partition"),
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
                    &Event::starts("latency_start", Category::Fault, "latency"),
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
                    &Event::starts("region_down", Category::Fault, "went down (region outage)"),
                    format!("{down} instances down for {duration}; calls in progress lost: {lost}"),
                );
            }
            FaultKind::Deploy { batch, .. } => {
                let c = &self.comps[comp as usize];
                let (name, n) = (c.name.clone(), c.insts.len());
                self.rec.timeline(
                    now,
                    &name,
                    &Event::starts("deploy_start", Category::Scaling, "deploy"),
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
    pub(in crate::world) fn ops_fault_end(&mut self, ctx: &mut Context<'_, Ev>, i: u32) -> bool {
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
                self.rec.timeline(
                    now,
                    &name,
                    &Event::ends("partition_end", Category::Recovery, "partition_start"),
                    String::new(),
                );
            }
            FaultKind::Latency { .. } => {
                self.net.delays.retain(|d| *d != i);
                let name = self.comps[comp as usize].name.clone();
                self.rec.timeline(
                    now,
                    &name,
                    &Event::ends("latency_end", Category::Recovery, "latency_start"),
                    String::new(),
                );
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
                            self.on_up(ctx, k, j);
                        }
                    }
                    self.note_live(k, now);
                }
                let name = self.net.regions[region as usize].clone();
                self.rec.timeline(
                    now,
                    &name,
                    &Event::ends("region_up", Category::Recovery, "region_down"),
                    String::new(),
                );
            }
            FaultKind::Deploy { .. } => {}
            _ => return false,
        }
        true
    }
}
