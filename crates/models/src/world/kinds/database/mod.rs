//! The database kind's data side (its CPU side is a service's): its spec (replicas, reads,
//! writes, row locks, a read model's source), read models (stale reads), commits and their
//! replication to replicas, a recovered replica's catch-up (replaying the writes it missed),
//! its build and its report. Failover and replica autoscaling are the submodules.

use crate::world::*;

// ----- its spec -----

/// Where a database with replicas sends reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reads {
    /// Every read goes to the primary (never stale).
    Primary,
    /// Reads go to the replicas in turn (stale while replication lags).
    #[default]
    Replicas,
    /// Reads go to the primary and the replicas in turn.
    Any,
}

/// A database's primary/replica and locking behaviour. Instance 0 is the primary; instances
/// `1..=replicas` are asynchronous read replicas.
#[derive(Clone, Debug, Default)]
pub struct DbSpec {
    /// Read replicas.
    pub replicas: u32,
    /// Delay before a committed write starts applying on each replica.
    pub replication_lag: Option<Dist>,
    /// Where reads go.
    pub reads: Reads,
    /// Classes whose requests are writes (go to the primary, replicate, take row locks).
    pub write_classes: Vec<String>,
    /// Writes to the same key serialize on the primary (the transaction holds its connection
    /// while it waits).
    pub row_locks: bool,
    /// A queue whose consumers keep this database up to date (a CQRS read model): a read of a
    /// key with a message published but not yet consumed counts as stale.
    pub source: Option<String>,
    /// Autoscaled read replicas: `replicas` is the initial ready count, and `max` replicas
    /// are allocated up front (instances `1..=max`).
    pub autoscale: Option<AutoscaleSpec>,
    /// Its tables (row counts that writes grow).
    pub tables: Vec<TableSpec>,
    /// What its endpoints do to the tables (a lookup's cost, an insert's rows).
    pub table_ops: Vec<TableOp>,
    /// Its storage: a capacity writes fill, and its autoscaling.
    pub storage: Option<Box<StorageSpec>>,
    /// Its disk per instance: a write's commit waits for its I/O and fsync.
    pub disk: Option<Box<DiskSpec>>,
}

mod autoscale;
mod disk;
mod failover;
mod tables;
pub(in crate::world) use autoscale::replica_scaler;
pub(in crate::world) use disk::Disk;
pub use disk::{DiskSpec, DEFAULT_COMMIT_BYTES};
pub(in crate::world) use tables::Data;
pub use tables::{
    StorageAutoscale, StorageSpec, TableOp, TableSpec, DEFAULT_FANOUT, DEFAULT_INDEX_COST_NS,
    DEFAULT_INDEX_ROW_BYTES, DEFAULT_ROW_SIZE, DEFAULT_SCAN_COST_NS, DEFAULT_STORAGE_DELAY_NS,
    DEFAULT_STORAGE_THRESHOLD,
};

/// Replication and locking state of a database.
pub(in crate::world) struct DbState {
    /// Read replicas that take reads (instances `1..=replicas` while the primary is 0).
    pub(in crate::world) replicas: u32,
    /// Autoscaled replicas starting (the next instances after the ready ones): they take
    /// writes but no reads yet.
    pub(in crate::world) starting: u32,
    pub(in crate::world) lag: Dist,
    pub(in crate::world) reads: Reads,
    /// By class index.
    pub(in crate::world) is_write: Vec<bool>,
    pub(in crate::world) row_locks: bool,
    pub(in crate::world) rr: u32,
    /// Commit time of the latest write of each key at the primary.
    pub(in crate::world) latest: KeyMap<u64>,
    /// Per replica: commit time of the latest write of each key applied there.
    pub(in crate::world) applied: Vec<KeyMap<u64>>,
    /// Per instance: keys locked by a write, with the writes waiting for them.
    pub(in crate::world) locks: Vec<KeyMap<VecDeque<u32>>>,
    pub(in crate::world) stale_reads: u64,
    pub(in crate::world) replica_reads: u64,
    /// The queue feeding this read model, and reads checked against it.
    pub(in crate::world) source: Option<u32>,
    pub(in crate::world) model_reads: u64,
    pub(in crate::world) lock_waits: u64,
    pub(in crate::world) applies: u64,
    pub(in crate::world) lag_total_us: u64,
    /// Per series bucket (with replicas): replication lag of the writes applied in it,
    /// summed (ms), and how many were applied.
    pub(in crate::world) lag_ms_sum: Vec<f64>,
    pub(in crate::world) applied_per: Vec<f64>,
    /// The instance that takes writes (0 until a failover promotes another).
    pub(in crate::world) primary: u32,
    /// Failover: (detect + promote) in ns.
    pub(in crate::world) failover: Option<u64>,
    /// When the pending promotion is due (0: none).
    pub(in crate::world) promote_at: u64,
    /// Bumped at each promotion: replication from an older primary is void.
    pub(in crate::world) term: u32,
    /// Per instance: writes shipped to it and not yet arrived (lost if it is promoted).
    pub(in crate::world) undelivered: Vec<u64>,
    pub(in crate::world) lost_writes: u64,
    /// Per instance: writes it could not apply yet, in commit order (the primary's log kept
    /// for it while it is down, and while it replays): replayed when it is back.
    pub(in crate::world) behind: Vec<VecDeque<Missed>>,
    /// Per instance: replayed writes in flight.
    pub(in crate::world) replaying: Vec<u32>,
    /// Per instance: the log kept for it outgrew `BACKLOG_CAP`; it resyncs when back.
    pub(in crate::world) resync: Vec<bool>,
    /// Per instance: when its catch-up began (0: none) and the writes replayed since.
    pub(in crate::world) catchup: Vec<(u64, u64)>,
    /// Writes replayed by replicas catching up (measured window).
    pub(in crate::world) replayed: u64,
    /// Its tables and storage (`None` without).
    pub(in crate::world) data: Option<Box<Data>>,
    /// Its disks (`None` without).
    pub(in crate::world) disk: Option<Box<Disk>>,
}

/// A write a replica has still to apply.
#[derive(Clone, Copy, Debug)]
pub(in crate::world) struct Missed {
    pub(in crate::world) key: u64,
    pub(in crate::world) commit: u64,
    pub(in crate::world) class: u16,
}

/// The most writes a primary keeps in its log for one replica that cannot apply them (about
/// 24 MB); beyond, the replica resyncs from a copy of the primary's data when it is back.
pub(in crate::world) const BACKLOG_CAP: usize = 1 << 20;

impl DbState {
    /// Whether instance `inst` has writes to catch up on (a newly shipped write then queues
    /// behind them).
    #[inline]
    pub(in crate::world) fn catching_up(&self, inst: u32) -> bool {
        !self.behind[inst as usize].is_empty() || self.replaying[inst as usize] > 0
    }
}

impl World {
    /// A call reaches a database instance: a replication write shipped by a replaced
    /// primary is void, one that must wait behind a replay joins the replica's log; a read
    /// at a replica or of a read model counts as stale or not. `Some` when the database has
    /// dealt with the call, `None` when it goes on to admission.
    #[inline(never)]
    pub(in crate::world) fn db_arrive(&mut self, c: u32, now: u64) -> Option<Step> {
        let Call {
            comp, inst, class, ..
        } = self.calls[c as usize];
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body {
            let call = &self.calls[c as usize];
            if call.is_apply() {
                if db.failover.is_some() && call.term() != db.term {
                    // Shipped by a primary that has since been replaced: void.
                    return Some(Step::Void);
                }
                if !call.is_replay() && db.catching_up(inst) {
                    // Queues behind the older writes the replica is replaying: the log is
                    // applied in commit order. Its replay is the call.
                    let b = self.rec.bucket_index(now);
                    self.comps[comp as usize].calls_per[b] -= 1;
                    self.apply_missed(c, true);
                    return Some(Step::Wait);
                }
                if db.failover.is_some() {
                    let u = &mut db.undelivered[inst as usize];
                    *u = u.saturating_sub(1);
                }
            }
            if db.data.is_some() {
                if let Some(step) = self.data_arrive(c, now) {
                    return Some(step);
                }
            }
            let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body
            else {
                unreachable!()
            };
            let call = &self.calls[c as usize];
            if inst != db.primary && db.replicas > 0 && !db.is_write[class as usize] {
                // A read at a replica is stale if the primary has committed a newer write of
                // its key than the replica has applied.
                let measured = self.rec.window().contains(now);
                db.replica_reads += measured as u64;
                if call.key != NO_KEY {
                    let latest = db.latest.get(&call.key).copied().unwrap_or(0);
                    let applied = db.applied[inst as usize]
                        .get(&call.key)
                        .copied()
                        .unwrap_or(0);
                    if latest > applied && measured {
                        db.stale_reads += 1;
                    }
                }
            }
        }
        self.check_read_model(c, now);
        None
    }
    /// A read of a CQRS read model is stale if its key has a message published and not yet
    /// consumed in the queue that feeds the model.
    pub(in crate::world) fn check_read_model(&mut self, c: u32, now: u64) {
        let Call {
            comp,
            class,
            key,
            parent,
            ..
        } = self.calls[c as usize];
        let source = match &self.comps[comp as usize].body {
            Body::Service(Svc { db: Some(db), .. }) if !db.is_write[class as usize] => db.source,
            _ => None,
        };
        let Some(q) = source else { return };
        if parent == INTERNAL || !self.rec.window().contains(now) {
            return;
        }
        let pending = match &self.comps[q as usize].body {
            Body::Queue(qb) if key != NO_KEY => qb.unconsumed.get(&key).copied().unwrap_or(0),
            _ => 0,
        };
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body {
            db.model_reads += 1;
            db.stale_reads += (pending > 0) as u64;
        }
    }
    /// A write finished at a database primary: record its commit and send it to every replica,
    /// where it applies after a replication-lag draw, through the replica's own queue and cores.
    /// Called for a call answered without error, not internal, at a database.
    #[inline(never)]
    pub(in crate::world) fn commit(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        let now = ctx.now().as_nanos();
        let comp = &mut self.comps[call.comp as usize];
        let Body::Service(Svc { db: Some(db), .. }) = &mut comp.body else {
            return;
        };
        if db.replicas == 0 || !db.is_write[call.class as usize] || call.inst != db.primary {
            return;
        }
        if call.key != NO_KEY {
            db.latest.insert(call.key, now);
        }
        // Autoscaled replicas that are starting take writes too.
        let lags: Vec<SimTime> = (0..db.replicas + db.starting)
            .map(|_| db.lag.sample(&mut comp.rng))
            .collect();
        let (primary, term) = (db.primary, db.term);
        if db.failover.is_some() {
            for k in 0..db.replicas {
                db.undelivered[(k + (k >= primary) as u32) as usize] += 1;
            }
        }
        for (k, lag) in lags.into_iter().enumerate() {
            let r = k as u32 + (k as u32 >= primary) as u32;
            // An apply's `req` is the primary's term (void after a failover).
            let apply = self.new_call(Call::apply(
                false, term, call.comp, r, call.class, call.key, now,
            ));
            self.comps[call.comp as usize].insts[r as usize].outstanding += 1;
            ctx.schedule_in(lag, Ev::Deliver(apply));
        }
    }
    /// An internal call answered: a replica applied a write (or lost it in a crash).
    #[inline(never)]
    pub(in crate::world) fn internal_done(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        self.free_call(c);
        self.time.forget(c);
        let kind = call.internal();
        if kind == Some(Internal::Consume) {
            return self.consumed(ctx, call);
        }
        if kind == Some(Internal::Refresh) {
            let now = ctx.now().as_nanos();
            let comp = &mut self.comps[call.owner() as usize];
            if let Body::Cache(cb) = &mut comp.body {
                let inst = call.refresh_inst() as usize;
                cb.refreshing[inst].remove(&call.key);
                if call.err == 0 && !comp.insts[inst].down {
                    cb.stores[inst].insert(call.key, now, &mut comp.rng);
                }
            }
            return;
        }
        if kind == Some(Internal::Flush) {
            if let Body::Cache(cb) = &mut self.comps[call.owner() as usize].body {
                if call.err == 0 {
                    cb.flushed += 1;
                } else {
                    cb.lost_writes += 1;
                }
            }
            return;
        }
        let now = ctx.now().as_nanos();
        let measured = self.rec.window().contains(now);
        let bucket = self.bucket_of(now);
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[call.comp as usize].body {
            let inst = call.inst as usize;
            if call.is_replay() {
                db.replaying[inst] = db.replaying[inst].saturating_sub(1);
            }
            if call.err == 0 {
                if call.inst != db.primary && call.key != NO_KEY {
                    let applied = db.applied[inst].entry(call.key).or_insert(0);
                    *applied = (*applied).max(call.commit_ns());
                }
                if measured {
                    db.applies += 1;
                    db.lag_total_us += (now - call.commit_ns()) / 1_000;
                }
                if bucket < db.lag_ms_sum.len() {
                    db.lag_ms_sum[bucket] += (now - call.commit_ns()) as f64 / 1e6;
                    db.applied_per[bucket] += 1.0;
                }
                if call.is_replay() {
                    db.replayed += measured as u64;
                    db.catchup[inst].1 += 1;
                }
            }
        }
        if call.is_replay() {
            self.replay(ctx, call.comp, call.inst);
        }
    }
    /// A write that reached a replica unable to apply it now (down, or still replaying older
    /// writes): it joins the replica's backlog, the primary's log kept for it, to be replayed
    /// in commit order. It is no failed call: no request waits for it. Frees the call's slot
    /// unless its crashed instance still holds it (`free` false: an orphan).
    #[inline(never)]
    pub(in crate::world) fn apply_missed(&mut self, c: u32, free: bool) {
        let call = self.calls[c as usize];
        let comp = &mut self.comps[call.comp as usize];
        comp.insts[call.inst as usize].outstanding -= 1;
        if let Body::Service(Svc { db: Some(db), .. }) = &mut comp.body {
            let inst = call.inst as usize;
            let m = Missed {
                key: call.key,
                commit: call.commit_ns(),
                class: call.class,
            };
            if call.is_replay() {
                db.replaying[inst] = db.replaying[inst].saturating_sub(1);
                db.behind[inst].push_front(m);
            } else if db.failover.is_some() && call.term() != db.term {
                // Shipped by a primary that has since been replaced: void.
            } else if db.resync[inst] || db.behind[inst].len() >= BACKLOG_CAP {
                // The primary no longer keeps its log for this replica.
                db.resync[inst] = true;
                db.behind[inst] = VecDeque::new();
            } else {
                db.behind[inst].push_back(m);
            }
        }
        if free {
            self.free_call(c);
        }
    }
    /// An instance is up again: a database replica starts to catch up on the writes it
    /// missed, replaying them from the primary's log (or, when the log was not kept that
    /// long, copying the primary's data).
    pub(in crate::world) fn back_up(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let now = ctx.now().as_nanos();
        let c = &mut self.comps[comp as usize];
        let n = c.insts.len();
        let Body::Service(Svc { db: Some(db), .. }) = &mut c.body else {
            return;
        };
        let i = inst as usize;
        if c.insts[i].down || inst == db.primary {
            return;
        }
        let label = inst_label(&c.name, n, inst);
        if db.resync[i] {
            db.resync[i] = false;
            db.applied[i] = db.latest.clone();
            db.undelivered[i] = 0;
            self.rec.timeline(
                now,
                &label,
                &Event::moment("resync", Category::Other),
                format!(
                    "more than {BACKLOG_CAP} writes behind: copies the primary's data instead of replaying its log"
                ),
            );
            return;
        }
        if !db.catching_up(inst) {
            return;
        }
        if db.catchup[i].0 == 0 {
            db.catchup[i] = (now.max(1), 0);
        }
        let behind = db.behind[i].len();
        self.rec.timeline(
            now,
            &label,
            &Event::moment("catching_up", Category::Recovery),
            format!("replays {behind} writes committed while it was down"),
        );
        self.replay(ctx, comp, inst);
    }
    /// Keeps a catching-up replica's replay going: as many writes in flight as it has cores
    /// (each through its queue and cores at the write's CPU cost, beside its reads), in
    /// commit order, until the backlog is empty.
    pub(in crate::world) fn replay(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let now = ctx.now().as_nanos();
        let c = &mut self.comps[comp as usize];
        let n = c.insts.len();
        let Body::Service(s) = &mut c.body else {
            return;
        };
        let streams = s.cores.or(s.workers).unwrap_or(64).max(1);
        let Some(db) = &mut s.db else { return };
        let i = inst as usize;
        if c.insts[i].down {
            return;
        }
        if inst == db.primary {
            // Promoted while behind: what it had not applied was lost (`lost_writes`).
            db.behind[i].clear();
            db.catchup[i] = (0, 0);
            return;
        }
        let term = db.term;
        let mut next = Vec::new();
        while db.replaying[i] < streams {
            let Some(m) = db.behind[i].pop_front() else {
                break;
            };
            db.replaying[i] += 1;
            next.push(m);
        }
        if next.is_empty() && db.replaying[i] == 0 && db.catchup[i].0 != 0 {
            let (since, done) = db.catchup[i];
            db.catchup[i] = (0, 0);
            let label = inst_label(&c.name, n, inst);
            self.rec.timeline(
                now,
                &label,
                &Event::moment("caught_up", Category::Recovery),
                format!(
                    "replayed {done} writes (those shipped meanwhile included) in {:.1}s",
                    now.saturating_sub(since) as f64 / 1e9
                ),
            );
            return;
        }
        for m in next {
            let a = self.new_call(Call::apply(
                true, term, comp, inst, m.class, m.key, m.commit,
            ));
            self.comps[comp as usize].insts[i].outstanding += 1;
            ctx.schedule_in(SimTime::ZERO, Ev::Deliver(a));
        }
    }
}

impl DbState {
    /// Builds the data side of database `c` (replicas, row locks, a read model's source):
    /// `None` when it has none of them and is a plain service.
    pub(in crate::world) fn build(
        c: &ComponentSpec,
        s: &ServiceSpec,
        cx: &mut BuildCx<'_>,
    ) -> Result<Option<Box<DbState>>, ModelError> {
        let Some(d) = s.db.as_ref().filter(|d| {
            d.replicas > 0
                || d.row_locks
                || d.source.is_some()
                || !d.tables.is_empty()
                || d.storage.is_some()
                || d.disk.is_some()
        }) else {
            return Ok(None);
        };
        if let Some(a) = &d.autoscale {
            cx.scalers.push(replica_scaler(cx.index, a, d.replicas));
        }
        Ok(Some(Box::new(DbState {
            replicas: d.replicas,
            starting: 0,
            lag: d.replication_lag.clone().unwrap_or(Dist::Const(0)),
            reads: d.reads,
            is_write: cx
                .class_names
                .iter()
                .map(|n| d.write_classes.contains(n))
                .collect(),
            row_locks: d.row_locks,
            rr: 0,
            latest: KeyMap::default(),
            applied: (0..c.instances).map(|_| KeyMap::default()).collect(),
            locks: (0..c.instances).map(|_| KeyMap::default()).collect(),
            stale_reads: 0,
            replica_reads: 0,
            source: match &d.source {
                Some(q) => Some(find(cx.names, &c.name, q)?),
                None => None,
            },
            model_reads: 0,
            lock_waits: 0,
            applies: 0,
            lag_total_us: 0,
            lag_ms_sum: vec![0.0; if d.replicas > 0 { cx.buckets } else { 0 }],
            applied_per: vec![0.0; if d.replicas > 0 { cx.buckets } else { 0 }],
            primary: 0,
            failover: cx.ops[cx.index as usize]
                .failover
                .map(|f| f.detect.saturating_add(f.promote).as_nanos()),
            promote_at: 0,
            term: 0,
            undelivered: vec![0; c.instances as usize],
            lost_writes: 0,
            behind: (0..c.instances).map(|_| VecDeque::new()).collect(),
            replaying: vec![0; c.instances as usize],
            resync: vec![false; c.instances as usize],
            catchup: vec![(0, 0); c.instances as usize],
            replayed: 0,
            data: Data::build(d, &endpoint_of(s, cx.class_names), cx.buckets, 0),
            disk: d.disk.as_ref().map(|k| Disk::build(k, c.instances)),
        })))
    }
}

/// The name of the endpoint that serves each class (its own, else `default`).
fn endpoint_of<'a>(s: &'a ServiceSpec, classes: &[String]) -> Vec<Option<&'a str>> {
    classes
        .iter()
        .map(|class| {
            s.endpoints
                .iter()
                .find(|(n, _)| n == class)
                .or_else(|| s.endpoints.iter().find(|(n, _)| n == "default"))
                .map(|(n, _)| n.as_str())
        })
        .collect()
}

impl DbState {
    /// Instance `inst` crashed at `now`: writes waiting for one of its row locks join `held`
    /// (the locks die with it). A primary with failover stops its replication stream
    /// (writes not yet shipped stay on it as `undelivered`; stragglers are void under the
    /// next term) and returns when a replica is to be promoted.
    pub(in crate::world) fn on_crash(
        &mut self,
        inst: u32,
        now: u64,
        held: &mut Vec<u32>,
    ) -> Option<u64> {
        for (_, waiters) in self.locks[inst as usize].drain() {
            held.extend(waiters);
        }
        if let Some(disk) = &mut self.disk {
            disk.on_crash(inst, held);
        }
        let delay = self.failover?;
        if inst != self.primary {
            return None;
        }
        self.term = self.term.wrapping_add(1);
        self.promote_at = now + delay;
        Some(delay)
    }
}

impl DbState {
    /// Its stale reads, replication and catch-up, row locks and lost writes.
    pub(in crate::world) fn report(&self, s: &mut ComponentStats, cx: &ReportCx) {
        // `stale_reads` once, whether the stale reads come from a read model
        // (`source`), from replicas, or both (over replica reads when there are
        // replicas); listed last among the figures, as results always have.
        if self.source.is_some() || self.replicas > 0 {
            s.counters.insert("stale_reads", self.stale_reads);
            let reads = if self.replicas > 0 {
                "replica_reads"
            } else {
                "model_reads"
            };
            s.figures
                .declare(Figure::ratio("stale_read_ratio", "stale_reads", &[reads]).order(2));
        }
        if self.source.is_some() {
            s.counters.insert("model_reads", self.model_reads);
        }
        if self.replicas > 0 {
            s.counters.insert("replica_reads", self.replica_reads);
            s.counters.insert("replica_applies", self.applies);
            s.inputs
                .insert("replication_lag_us_total", self.lag_total_us);
            s.figures.declare(Figure::mean(
                "replication_lag_ms_mean",
                "replication_lag_us_total",
                "replica_applies",
                1e3,
            ));
            // The lag over time: the mean lag of the writes applied in each bucket.
            let n = cx.buckets;
            let cut = |v: &Vec<f64>| v[..n.min(v.len())].to_vec();
            s.series
                .insert("replication_lag_ms_sum", cut(&self.lag_ms_sum));
            s.series.insert("replica_applied", cut(&self.applied_per));
            s.figures.declare(Figure::series_ratio(
                "replication_lag_ms",
                "replication_lag_ms_sum",
                &["replica_applied"],
            ));
        }
        if self.replicas > 0 && cx.can_go_down {
            // Instances can go down: the writes they replayed when back.
            s.counters.insert("replayed_writes", self.replayed);
        }
        if self.row_locks {
            s.counters.insert("lock_waits", self.lock_waits);
        }
        if self.failover.is_some() {
            s.counters.insert("lost_writes", self.lost_writes);
        }
        if let Some(data) = &self.data {
            data.report(s, cx);
        }
        if let Some(disk) = &self.disk {
            disk.report(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::kinds::testing::*;
    use crate::{Component, Dist, KindSpec, Reads, Spec};

    /// A database with 2 replicas taking 500 requests/s for 20 s, 90% reads and 10% writes
    /// over `keys` uniform keys: `lag` of replication (`None`: none), reads going where
    /// `reads` says, and `cpu` per request (`None`: none).
    fn replicated(keys: u64, lag: Option<&str>, reads: Reads, cpu: Option<&str>) -> Spec {
        let mut db = Component::database("db").replicas(2).writes(["write"]);
        if let Some(cpu) = cpu {
            db = db.cpu(cpu);
        }
        let mut s = Spec::builder("20s")
            .entry("db")
            .rate(500.0)
            .keys(keys, 0.0)
            .class("read", 0.9)
            .class("write", 0.1)
            .component(db)
            .build()
            .unwrap();
        if let KindSpec::Service(svc) = &mut s.components[0].kind {
            let d = svc.db.as_mut().unwrap();
            d.replication_lag = lag.map(|l| Dist::parse(l).unwrap());
            d.reads = reads;
        }
        s
    }

    /// Writes go to the primary and replicate to every replica; reads go to the replicas in
    /// turn.
    #[test]
    fn reads_spread_over_replicas_and_writes_go_to_the_primary() {
        let stats = run(
            &replicated(100, Some("5ms"), Reads::Replicas, Some("1ms")),
            1,
        );
        let db = comp(&stats, "db");
        let (reads, writes) = (stats.classes[0].succeeded, stats.classes[1].succeeded);
        assert_eq!(reads + writes, stats.generated);
        assert!(writes > 500, "{writes} writes");
        let served = &db.per_instance_served;
        // The primary serves the writes alone; each replica half the reads (within one, in
        // turn) and an apply of every write.
        assert_eq!(served[0], writes);
        assert_eq!(served[1] + served[2], reads + 2 * writes);
        assert!(served[1].abs_diff(served[2]) <= 1, "{served:?}");
        assert_eq!(counter(db, "replica_reads"), reads);
        // Applies are counted when they land in the measured window: all but those of the
        // writes of its last 6 ms (5 ms of lag and 1 ms of CPU).
        let applies = counter(db, "replica_applies");
        assert!(
            applies <= 2 * writes && applies + 20 >= 2 * writes,
            "{applies}"
        );
        // Each apply lands after the lag plus the replica's CPU time.
        let lag = figure(db, "replication_lag_ms_mean").unwrap();
        assert!((lag - 6.0).abs() < 0.01, "mean lag {lag} ms");
    }

    /// A read at a replica is stale while a newer write of its key is still on its way
    /// there: none without replication lag, P = 1 - exp(-W L / K) with lag L.
    #[test]
    fn replication_lag_makes_stale_reads() {
        // No CPU time, so without lag a write is applied at every replica the instant it
        // commits. 50 writes/s over K = 10 keys with L = 50 ms: 1 - exp(-0.25) = 0.221.
        let lagged = run(&replicated(10, Some("50ms"), Reads::Replicas, None), 1);
        let db = comp(&lagged, "db");
        let ratio = figure(db, "stale_read_ratio").unwrap();
        let want = 1.0 - (-50.0f64 * 0.05 / 10.0).exp();
        // ~9,000 replica reads: a binomial standard deviation of 0.0044; allow 5 of them.
        assert!(
            (ratio - want).abs() < 0.022,
            "stale ratio {ratio}, expected {want}"
        );
        assert!(counter(db, "stale_reads") > 1_000);
        let prompt = run(&replicated(10, None, Reads::Replicas, None), 1);
        let db = comp(&prompt, "db");
        assert_eq!(counter(db, "stale_reads"), 0);
        assert!(counter(db, "replica_reads") > 8_000);
        // Reading from the primary is never stale, whatever the lag.
        let primary = run(&replicated(10, Some("50ms"), Reads::Primary, None), 1);
        let db = comp(&primary, "db");
        assert_eq!(counter(db, "stale_reads"), 0);
        assert_eq!(counter(db, "replica_reads"), 0);
    }

    /// Writes of one key serialize on its row lock: the key is an M/D/1 queue, where a
    /// write finds the lock held with probability rho; without locks nothing waits.
    #[test]
    fn row_locks_make_writes_of_one_key_wait() {
        // 100 writes/s of one key, 5 ms each, unlimited cores: with the lock, an M/D/1 at
        // rho = 0.5, mean wait rho s / (2 (1 - rho)) = 2.5 ms (Pollaczek-Khinchine).
        let spec = |locks: bool| {
            let mut s = Spec::builder("60s")
                .entry("db")
                .rate(100.0)
                .keys(1, 0.0)
                .class("write", 1.0)
                .component(Component::database("db").cpu("5ms").writes(["write"]))
                .build()
                .unwrap();
            if let KindSpec::Service(svc) = &mut s.components[0].kind {
                svc.db.as_mut().unwrap().row_locks = locks;
            }
            s
        };
        let locked = run(&spec(true), 1);
        let n = locked.generated as f64;
        let waits = counter(comp(&locked, "db"), "lock_waits") as f64;
        // PASTA: an arrival finds the lock held with probability rho. ~6,000 writes: a
        // binomial standard deviation of 0.0065, more with the correlation of a queue;
        // allow 0.04.
        assert!((waits / n - 0.5).abs() < 0.04, "{waits} waits of {n}");
        // The mean of ~6,000 waits of a queue at rho = 0.5 is within about 0.1 ms of its
        // expectation; allow 0.5 ms.
        let mean = mean_ms(&locked);
        assert!((mean - 7.5).abs() < 0.5, "mean latency {mean} ms");
        let free = run(&spec(false), 1);
        assert!(comp(&free, "db").counters.get("lock_waits").is_none());
        assert_eq!(free.overall.latency.max_ms(), Some(5.0));
        // The lock is per key: the same writes over 1,000 keys hardly ever meet.
        let mut spread = spec(true);
        spread.traffic.keys.as_mut().unwrap().count = 1_000;
        let spread = run(&spread, 1);
        let waits = counter(comp(&spread, "db"), "lock_waits");
        assert!(waits * 100 < spread.generated, "{waits} waits");
    }
}
