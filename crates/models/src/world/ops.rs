//! Operations: latency faults, partitions, crashes, restarts, health checks, failover and rolling deployments.

use super::*;

impl World {
    pub(super) fn fault_start(&mut self, ctx: &mut Context<'_, Ev>, i: u32) {
        let now = ctx.now();
        let (comp, insts, kind, duration) = {
            let f = &self.faults[i as usize];
            (f.comp, f.insts.clone(), f.kind.clone(), f.duration)
        };
        if self.ops_fault_start(ctx, i) {
            return;
        }
        ctx.schedule_in(duration, Ev::FaultEnd(i));
        if let FaultKind::Spike(x) = kind {
            self.spikes.push(x);
            self.set_spike(ctx);
            let detail = match self.load {
                Load::Open { .. } => format!("arrival rate x{x} for {duration}"),
                Load::Closed { .. } => {
                    format!(
                        "{} users instead of {} for {duration}",
                        self.user_limit, self.base_users
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
                    let key = mix64(*k) % self.key_count.max(1);
                    route_key(policy, key, from, self.key_count, &c.ring)
                        != route_key(policy, key, to, self.key_count, &ring)
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
                    i.slows.push(x);
                    i.slow = i.slows.iter().product();
                    self.rec.timeline(
                        now.as_nanos(),
                        &label(inst, n),
                        &Event::starts("slow_start", Category::Fault, "slowed"),
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
                        &Event::starts("crash", Category::Fault, "crashed"),
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
            let f = &self.faults[i as usize];
            (f.comp, f.insts.clone(), f.kind.clone())
        };
        if let FaultKind::Spike(x) = kind {
            if let Some(k) = self.spikes.iter().position(|f| *f == x) {
                self.spikes.remove(k);
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
                if let Some(k) = i.slows.iter().position(|f| *f == factor) {
                    i.slows.remove(k);
                }
                i.slow = i.slows.iter().product();
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
        let mut held: Vec<u32> = i.wait_q.drain(..).chain(i.cpu_q.drain(..)).collect();
        match &mut self.comps[comp as usize].body {
            // Writes waiting for a row lock, and misses waiting on a coalesced call, fail at
            // once like the rest of the waiting room.
            Body::Service(Svc { db: Some(db), .. }) => {
                for (_, waiters) in db.locks[inst as usize].drain() {
                    held.extend(waiters);
                }
            }
            Body::Cache(cb) => {
                for (_, waiters) in cb.waiting[inst as usize].drain() {
                    held.extend(waiters);
                }
            }
            _ => {}
        }
        // Deterministic order whatever the hash maps did.
        let from_queues = held.len();
        held[..from_queues].sort_unstable();
        for &c in &held {
            // Marked now so the scan below skips them; `fail_now` answers them.
            self.calls[c as usize].done = true;
        }
        match &mut self.comps[comp as usize].body {
            // A crashed cache comes back empty, and loses the writes it had not flushed.
            Body::Cache(cb) => {
                cb.stores[inst as usize].clear();
                cb.lost_writes += cb.dirty[inst as usize].len() as u64;
                cb.dirty[inst as usize].clear();
                cb.dirty_set[inst as usize].clear();
            }
            // Row locks die with the instance; the writes waiting for them are lost below.
            Body::Service(Svc { db: Some(db), .. }) => db.locks[inst as usize].clear(),
            // A broker without durability loses its backlog.
            Body::Queue(qb) if !qb.durable => {
                qb.lost += qb.backlog.len() as u64;
                for m in qb.backlog.drain(..) {
                    if let Some(n) = qb.unconsumed.get_mut(&m.key) {
                        *n -= 1;
                        if *n == 0 {
                            qb.unconsumed.remove(&m.key);
                        }
                    }
                }
            }
            _ => {}
        }
        let backlog = match &self.comps[comp as usize].body {
            Body::Queue(qb) => qb.backlog.len() as u64,
            _ => 0,
        };
        let i = &mut self.comps[comp as usize].insts[inst as usize];
        i.busy_cores = 0;
        i.busy_workers = 0;
        i.workers.set(now, 0);
        i.busy.set(now, 0);
        i.queue.set(now, backlog);
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
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body {
            if let Some(delay) = db.failover {
                if inst == db.primary {
                    // Its replication stream stops: writes not yet shipped to a replica stay
                    // on the crashed primary (`undelivered`), and stragglers are void.
                    db.term = db.term.wrapping_add(1);
                    db.promote_at = now + delay;
                    ctx.schedule_in(SimTime(delay), Ev::Promote(comp));
                }
            }
        }
        let mut lost = 0;
        for (k, c) in held.into_iter().enumerate() {
            let call = &mut self.calls[c as usize];
            if call.parent == INTERNAL && is_apply(call.gen) {
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
                    for t in &mut self.guards[proxy.guard as usize].tries {
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
        let f = &self.faults[i as usize];
        let (comp, peer, duration) = (f.comp, f.peer, f.duration);
        match f.kind.clone() {
            FaultKind::Partition { drop, .. } => {
                self.partitions.push((comp, peer, drop));
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
                self.delays.push(i);
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
                let name = self.regions[region as usize].clone();
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
                self.deploys[i as usize] = DeployState::default();
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
        let f = &self.faults[i as usize];
        let (comp, peer) = (f.comp, f.peer);
        match f.kind.clone() {
            FaultKind::Partition { drop, .. } => {
                if let Some(k) = self
                    .partitions
                    .iter()
                    .position(|p| *p == (comp, peer, drop))
                {
                    self.partitions.remove(k);
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
                self.delays.retain(|d| *d != i);
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
                            self.back_up(ctx, k, j);
                        }
                    }
                    self.note_live(k, now);
                    if matches!(self.comps[k as usize].body, Body::Queue(_)) {
                        self.consume(ctx, k);
                    }
                }
                let name = self.regions[region as usize].clone();
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
            &Event::ends("restart", Category::Recovery, "crash"),
            "back after the orchestrator's restart delay".into(),
        );
        self.back_up(ctx, comp, inst);
        self.note_live(comp, now);
        if matches!(self.comps[comp as usize].body, Body::Queue(_)) {
            self.consume(ctx, comp);
        }
    }
    /// A balancer probes every instance of its targets: an instance that is down (or cut off
    /// from the balancer) fails the probe; `failures` failures in a row eject it, one success
    /// admits it again. Probing stops with the traffic.
    pub(super) fn probe(&mut self, ctx: &mut Context<'_, Ev>, lb: u32) {
        let now = ctx.now().as_nanos();
        let Some(mut h) = self.comps[lb as usize].health.take() else {
            return;
        };
        let lb_name = self.comps[lb as usize].name.clone();
        for (t, &target) in h.targets.iter().enumerate() {
            let cut = self
                .partitions
                .iter()
                .any(|(a, b, _)| (*a == lb && *b == target) || (*a == target && *b == lb));
            let c = &self.comps[target as usize];
            let n = c.insts.len();
            for i in 0..n {
                let ok = !c.insts[i].down && !cut;
                let label = || {
                    if n == 1 {
                        c.name.clone()
                    } else {
                        format!("{}[{i}]", c.name)
                    }
                };
                if ok {
                    h.fails[t][i] = 0;
                    if h.ejected[t][i] {
                        h.ejected[t][i] = false;
                        self.rec.timeline(
                            now,
                            &label(),
                            &Event::ends("readmit", Category::Recovery, "eject"),
                            format!("`{lb_name}` sends it calls again: a probe succeeded"),
                        );
                    }
                } else {
                    h.fails[t][i] += 1;
                    if h.fails[t][i] >= h.failures && !h.ejected[t][i] {
                        h.ejected[t][i] = true;
                        self.rec.timeline(
                            now,
                            &label(),
                            &Event::opens("eject", Category::Fault),
                            format!(
                                "`{lb_name}` stops sending it calls: {} failed probes",
                                h.failures
                            ),
                        );
                    }
                }
            }
        }
        let interval = h.interval;
        self.comps[lb as usize].health = Some(h);
        if now + interval < self.duration {
            ctx.schedule_in(SimTime(interval), Ev::Probe(lb));
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
    /// A deployment takes its next batch out of rotation and waits for it to drain.
    pub(super) fn deploy_out(&mut self, ctx: &mut Context<'_, Ev>, f: u32) {
        let now = ctx.now().as_nanos();
        let (comp, FaultKind::Deploy { batch, drain, .. }) = (
            self.faults[f as usize].comp,
            self.faults[f as usize].kind.clone(),
        ) else {
            return;
        };
        let st = &mut self.deploys[f as usize];
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
    pub(super) fn deploy_step(&mut self, ctx: &mut Context<'_, Ev>, f: u32) {
        let now = ctx.now().as_nanos();
        let (
            comp,
            FaultKind::Deploy {
                batch, start_up, ..
            },
        ) = (
            self.faults[f as usize].comp,
            self.faults[f as usize].kind.clone(),
        )
        else {
            return;
        };
        let st = self.deploys[f as usize];
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
            self.deploys[f as usize].starting = true;
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
            &Event::ends("deploy_batch_in", Category::Scaling, "deploy_batch_down"),
            format!("instances {from}..{} serve again, new version", to - 1),
        );
        self.note_live(comp, now);
        if matches!(self.comps[comp as usize].body, Body::Queue(_)) {
            self.consume(ctx, comp);
        }
        if to < n {
            self.deploys[f as usize].next = to;
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
