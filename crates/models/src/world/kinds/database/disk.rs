//! A database's disk (issue 16, item 4): the write path after a write's CPU time. Each
//! instance has one disk, a FIFO server: a commit's I/O takes `max(1 / iops, bytes /
//! throughput)` plus its write-ahead log's fsync; with group commit, the commits that arrive
//! within the window (and those that arrive while the disk is busy) share one I/O and one
//! fsync.

use crate::world::*;

// ----- its spec -----

/// A database's disk, per instance. The limits are `Option`s: a machine type may supply
/// them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiskSpec {
    /// I/O operations a second; `None` = no limit.
    pub iops: Option<f64>,
    /// Bytes a second; `None` = no limit.
    pub throughput: Option<f64>,
    /// The write-ahead log's fsync per commit (per group with group commit); `None` = none.
    pub wal_fsync: Option<Dist>,
    /// Group commit: a commit reaching an idle disk waits this long for others to share
    /// its I/O and fsync; `None` = every commit alone.
    pub group_commit: Option<SimTime>,
}

/// Bytes a commit writes when its operation names no table: one 4 KiB page.
pub const DEFAULT_COMMIT_BYTES: u64 = 4096;

// ----- its state -----

/// One instance's disk.
#[derive(Default)]
pub(in crate::world) struct DiskInst {
    /// Commits waiting for the disk: (call, bytes).
    pending: VecDeque<(u32, u64)>,
    /// The commits of the I/O in progress.
    in_op: Vec<u32>,
    busy: bool,
    /// A group commit's window is open.
    window: bool,
    /// Bumped when the instance crashes: the answer of an older I/O is void.
    gen: u16,
    /// When the I/O in progress started.
    since: u64,
}

/// A database's disks.
pub(in crate::world) struct Disk {
    spec: DiskSpec,
    insts: Vec<DiskInst>,
    /// By call slot: the bytes its insert wrote (set by its table work).
    pub(in crate::world) bytes: KeyMap<u64>,
    /// Measured: I/Os, fsyncs, commits written, busy time (ns, within the window).
    ops: u64,
    fsyncs: u64,
    commits: u64,
    busy_ns: u64,
}

impl Disk {
    pub(in crate::world) fn build(spec: &DiskSpec, instances: u32) -> Box<Disk> {
        Box::new(Disk {
            spec: spec.clone(),
            insts: (0..instances).map(|_| DiskInst::default()).collect(),
            bytes: KeyMap::default(),
            ops: 0,
            fsyncs: 0,
            commits: 0,
            busy_ns: 0,
        })
    }
    /// Instance `inst` crashed: the commits waiting for its disk and those being written
    /// join `held`; the I/O in progress is void.
    pub(in crate::world) fn on_crash(&mut self, inst: u32, held: &mut Vec<u32>) {
        let d = &mut self.insts[inst as usize];
        held.append(&mut d.in_op);
        held.extend(d.pending.drain(..).map(|(c, _)| c));
        d.busy = false;
        d.window = false;
        d.gen = d.gen.wrapping_add(1);
    }
    /// Service time of one I/O of `bytes` with an fsync, in ns.
    fn service_ns(&self, bytes: u64, rng: &mut Stream) -> u64 {
        let by_ops = self.spec.iops.map_or(0.0, |i| 1e9 / i);
        let by_bytes = self.spec.throughput.map_or(0.0, |t| bytes as f64 * 1e9 / t);
        let fsync = self
            .spec
            .wal_fsync
            .as_ref()
            .map_or(0, |f| f.sample(rng).as_nanos());
        (by_ops.max(by_bytes).round() as u64).saturating_add(fsync)
    }
}

/// The event argument naming instance `inst` of a disk in generation `gen`.
fn tag(inst: u32, gen: u16) -> u32 {
    inst | (gen as u32) << 16
}

impl World {
    /// A write at a database with a disk finished its CPU time: it waits for its commit's
    /// I/O (`true`), else (not a write) it answers now (`false`).
    #[inline(never)]
    pub(in crate::world) fn commit_to_disk(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> bool {
        let Call {
            comp, inst, class, ..
        } = self.calls[c as usize];
        let now = ctx.now().as_nanos();
        let cp = &mut self.comps[comp as usize];
        let Body::Service(Svc { db: Some(db), .. }) = &mut cp.body else {
            return false;
        };
        if !db.is_write[class as usize] {
            return false;
        }
        let bytes_of_op = db
            .data
            .as_ref()
            .and_then(|d| d.ops.get(class as usize)?.as_ref().map(|o| (d, o)))
            .map(|(d, o)| d.tables[o.table as usize].spec.bytes_per_row());
        let Some(disk) = db.disk.as_mut() else {
            return false;
        };
        let bytes = disk
            .bytes
            .remove(&(c as u64))
            .or(bytes_of_op)
            .unwrap_or(DEFAULT_COMMIT_BYTES);
        let group = disk.spec.group_commit;
        let d = &mut disk.insts[inst as usize];
        d.pending.push_back((c, bytes));
        if d.busy || d.window {
            return true;
        }
        match group {
            Some(w) => {
                d.window = true;
                let t = tag(inst, d.gen);
                ctx.schedule_in(w, Ev::DiskWindow(comp, t));
            }
            None => self.disk_start(ctx, comp, inst, now),
        }
        true
    }
    /// The disk of instance `inst` starts its next I/O: the first commit waiting, or with
    /// group commit all of them.
    fn disk_start(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32, now: u64) {
        let window = self.rec.window();
        let cp = &mut self.comps[comp as usize];
        let Body::Service(Svc { db: Some(db), .. }) = &mut cp.body else {
            return;
        };
        let Some(disk) = db.disk.as_mut() else { return };
        let group = disk.spec.group_commit.is_some();
        let d = &mut disk.insts[inst as usize];
        if d.pending.is_empty() {
            return;
        }
        let mut bytes = 0u64;
        while let Some((c, b)) = d.pending.pop_front() {
            d.in_op.push(c);
            bytes = bytes.saturating_add(b);
            if !group {
                break;
            }
        }
        d.busy = true;
        d.since = now;
        let (n, t) = (d.in_op.len() as u64, tag(inst, d.gen));
        let s = disk.service_ns(bytes, &mut cp.rng);
        if window.contains(now) {
            disk.ops += 1;
            disk.fsyncs += disk.spec.wal_fsync.is_some() as u64;
            disk.commits += n;
        }
        ctx.schedule_in(SimTime::from_nanos(s), Ev::DiskDone(comp, t));
    }
    /// A disk's I/O ended (or a group commit's window closed): its commits answer, and the
    /// next I/O starts.
    #[cold]
    #[inline(never)]
    pub(in crate::world) fn disk_event(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        comp: u32,
        t: u32,
        done: bool,
    ) {
        let (inst, gen) = (t & 0xffff, (t >> 16) as u16);
        let now = ctx.now().as_nanos();
        let window = self.rec.window();
        let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body else {
            return;
        };
        let Some(disk) = db.disk.as_mut() else { return };
        let d = &mut disk.insts[inst as usize];
        if d.gen != gen {
            return;
        }
        let mut answered = Vec::new();
        if done {
            d.busy = false;
            answered = std::mem::take(&mut d.in_op);
            let (a, b) = (d.since.max(window.warmup_ns), now.min(window.end_ns));
            disk.busy_ns += b.saturating_sub(a);
        } else {
            d.window = false;
        }
        let d = &disk.insts[inst as usize];
        if !d.busy && !d.window && !d.pending.is_empty() {
            self.disk_start(ctx, comp, inst, now);
        }
        for c in answered {
            self.apply(ctx, c, Step::Reply);
        }
    }
}

impl Disk {
    /// Its I/Os, fsyncs and commits, and its utilization (busy time over the measured
    /// window, averaged over instances).
    pub(in crate::world) fn report(&self, s: &mut ComponentStats) {
        s.counters.insert("disk_ops", self.ops);
        s.counters.insert("disk_commits", self.commits);
        if self.spec.wal_fsync.is_some() {
            s.counters.insert("fsyncs", self.fsyncs);
        }
        let n = self.insts.len().max(1) as u64;
        s.inputs.insert("disk_busy_us", self.busy_ns / 1_000 / n);
        s.figures
            .declare(Figure::time_mean("disk_utilization", "disk_busy_us", 1e6));
        s.figures.declare(Figure::mean(
            "commits_per_disk_op",
            "disk_commits",
            "disk_ops",
            1.0,
        ));
    }
}
