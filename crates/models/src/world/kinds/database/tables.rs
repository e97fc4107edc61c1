//! A database's data (issue 16, items 4 and 5): its tables (row counts that writes grow,
//! never rows in memory), the cost of an operation that reads or writes a table (a B-tree
//! lookup with an index, a scan without), and its storage (used bytes, a capacity that
//! refuses writes when full, and storage autoscaling).

use crate::world::*;

// ----- its spec -----

/// A table of a database: a row count that writes grow, a row size, and whether the
/// operations on it have an index.
#[derive(Clone, Debug, PartialEq)]
pub struct TableSpec {
    /// Its name (`[components.db.tables.NAME]`).
    pub name: String,
    /// Rows at the start of the run.
    pub rows: u64,
    /// Bytes per row on storage.
    pub row_size: u64,
    /// An index serves the lookups (a B-tree): cost logarithmic in the rows, else a scan.
    pub index: bool,
    /// Bytes per row the index adds to storage.
    pub index_row_bytes: u64,
    /// CPU time per B-tree level of a lookup, and of each row's index maintenance.
    pub index_cost: SimTime,
    /// Entries per B-tree node: a lookup visits `ceil(log_fanout(rows))` levels (at least 1).
    pub fanout: u64,
    /// CPU time of a scan per 1,000 rows.
    pub scan_cost: SimTime,
}

/// Default bytes per row (`row_size`).
pub const DEFAULT_ROW_SIZE: u64 = 1024;
/// Default index bytes per row (`index_size`): a key and a pointer, with the B-tree's slack.
pub const DEFAULT_INDEX_ROW_BYTES: u64 = 32;
/// Default CPU time per B-tree level (`index_cost`), in ns.
pub const DEFAULT_INDEX_COST_NS: u64 = 20_000;
/// Default B-tree fanout (`index_fanout`).
pub const DEFAULT_FANOUT: u64 = 100;
/// Default scan time per 1,000 rows (`scan_cost`), in ns (40 million rows a second).
pub const DEFAULT_SCAN_COST_NS: u64 = 25_000;

impl TableSpec {
    /// A table of `rows` rows with the default constants and no index.
    pub fn new(name: &str, rows: u64) -> Self {
        TableSpec {
            name: name.to_string(),
            rows,
            row_size: DEFAULT_ROW_SIZE,
            index: false,
            index_row_bytes: DEFAULT_INDEX_ROW_BYTES,
            index_cost: SimTime::from_nanos(DEFAULT_INDEX_COST_NS),
            fanout: DEFAULT_FANOUT,
            scan_cost: SimTime::from_nanos(DEFAULT_SCAN_COST_NS),
        }
    }
    /// Levels a B-tree lookup visits at `rows` rows: `ceil(log_fanout(rows))`, at least 1.
    pub fn levels(&self, rows: u64) -> u64 {
        let (mut levels, mut reach) = (1u64, self.fanout.max(2));
        while reach < rows {
            levels += 1;
            reach = reach.saturating_mul(self.fanout.max(2));
        }
        levels
    }
    /// CPU time of a lookup at `rows` rows, in ns: `index_cost x levels` with an index,
    /// `scan_cost x rows / 1000` without.
    pub fn lookup_ns(&self, rows: u64) -> u64 {
        if self.index {
            self.index_cost.as_nanos().saturating_mul(self.levels(rows))
        } else {
            (self.scan_cost.as_nanos() as u128 * rows as u128 / 1000).min(u64::MAX as u128) as u64
        }
    }
    /// CPU time of inserting `n` rows at `rows` rows, in ns: each row's index maintenance
    /// (`index_cost x levels`), nothing without an index.
    pub fn insert_ns(&self, rows: u64, n: u64) -> u64 {
        if self.index {
            self.lookup_ns(rows).saturating_mul(n)
        } else {
            0
        }
    }
    /// Bytes per row on storage, the index's included.
    pub fn bytes_per_row(&self) -> u64 {
        self.row_size + if self.index { self.index_row_bytes } else { 0 }
    }
}

/// What an endpoint of a database does to a table.
#[derive(Clone, Debug, PartialEq)]
pub struct TableOp {
    /// The endpoint (a class name, or `"default"`).
    pub endpoint: String,
    /// The table it reads (or writes).
    pub table: String,
    /// Rows each call adds (an insert: pays the index's maintenance, not a lookup); `None`
    /// for a lookup (a read, or an update in place).
    pub grows: Option<Dist>,
}

/// A database's storage: a capacity that writes fill, and its autoscaling.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageSpec {
    /// Capacity in bytes at the start.
    pub capacity: u64,
    /// Bytes used besides the tables (the system's own files).
    pub base: u64,
    /// Grows the capacity when it fills, as managed databases do.
    pub autoscale: Option<StorageAutoscale>,
}

/// Storage autoscaling: once used storage passes `threshold x capacity`, the capacity grows
/// by `step` after `delay`, up to `max`.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageAutoscale {
    /// Fraction of the capacity in use that starts a growth.
    pub threshold: f64,
    /// Bytes added per growth.
    pub step: u64,
    /// From crossing the threshold to the larger capacity.
    pub delay: SimTime,
    /// Capacity it never grows beyond, in bytes.
    pub max: u64,
}

/// Default `storage_autoscale.threshold`.
pub const DEFAULT_STORAGE_THRESHOLD: f64 = 0.9;
/// Default `storage_autoscale.delay`, in ns (5 minutes).
pub const DEFAULT_STORAGE_DELAY_NS: u64 = 300_000_000_000;

// ----- its state -----

/// A table during a run.
pub(in crate::world) struct Table {
    pub(in crate::world) spec: TableSpec,
    pub(in crate::world) rows: u64,
    pub(in crate::world) series: Level,
}

/// An endpoint's operation on a table, by class.
pub(in crate::world) struct OpRt {
    pub(in crate::world) table: u32,
    pub(in crate::world) grows: Option<Dist>,
}

/// Storage during a run.
pub(in crate::world) struct Storage {
    pub(in crate::world) capacity: u64,
    pub(in crate::world) base: u64,
    pub(in crate::world) autoscale: Option<StorageAutoscale>,
    /// A growth is on its way.
    pub(in crate::world) growing: bool,
    /// The timeline has the storage's filling up (again noted after a growth).
    pub(in crate::world) full_noted: bool,
    pub(in crate::world) refused: u64,
    pub(in crate::world) grown: u64,
    pub(in crate::world) reason: u32,
    pub(in crate::world) used_series: Level,
    pub(in crate::world) capacity_series: Level,
}

/// A level sampled at the end of each series bucket (the last value set in it).
pub(in crate::world) struct Level {
    vals: Vec<f64>,
    /// The last bucket written.
    mark: usize,
    cur: f64,
}

impl Level {
    fn new(buckets: usize, v: f64) -> Level {
        let mut vals = vec![0.0; buckets];
        if let Some(x) = vals.first_mut() {
            *x = v;
        }
        Level {
            vals,
            mark: 0,
            cur: v,
        }
    }
    /// The level is `v` from bucket `b` on.
    fn set(&mut self, b: usize, v: f64) {
        let b = b.min(self.vals.len().saturating_sub(1));
        for x in self.vals.iter_mut().take(b).skip(self.mark + 1) {
            *x = self.cur;
        }
        if let Some(x) = self.vals.get_mut(b) {
            *x = v;
        }
        self.mark = self.mark.max(b);
        self.cur = v;
    }
    /// The first `n` buckets, the last value carried to the end.
    fn series(&self, n: usize) -> Vec<f64> {
        let mut v = self.vals[..n.min(self.vals.len())].to_vec();
        for x in v.iter_mut().skip(self.mark + 1) {
            *x = self.cur;
        }
        v
    }
}

/// A database's tables, operations and storage.
pub(in crate::world) struct Data {
    pub(in crate::world) tables: Vec<Table>,
    /// By class index.
    pub(in crate::world) ops: Vec<Option<OpRt>>,
    pub(in crate::world) storage: Option<Storage>,
}

const GIB: f64 = (1u64 << 30) as f64;

impl Data {
    /// Builds the data of a database (`None` without tables or storage); `classes` maps a
    /// class to the name of the endpoint that serves it.
    pub(in crate::world) fn build(
        d: &DbSpec,
        endpoint_of: &[Option<&str>],
        buckets: usize,
        storage_reason: u32,
    ) -> Option<Box<Data>> {
        if d.tables.is_empty() && d.storage.is_none() {
            return None;
        }
        let tables: Vec<Table> = d
            .tables
            .iter()
            .map(|t| Table {
                spec: t.clone(),
                rows: t.rows,
                series: Level::new(buckets, t.rows as f64),
            })
            .collect();
        let ops = endpoint_of
            .iter()
            .map(|ep| {
                let op = d
                    .table_ops
                    .iter()
                    .find(|o| Some(o.endpoint.as_str()) == *ep)?;
                let table = d.tables.iter().position(|t| t.name == op.table)? as u32;
                Some(OpRt {
                    table,
                    grows: op.grows.clone(),
                })
            })
            .collect();
        let mut data = Data {
            tables,
            ops,
            storage: None,
        };
        data.storage = d.storage.as_ref().map(|s| {
            let used = s.base + data.table_bytes();
            Storage {
                capacity: s.capacity,
                base: s.base,
                autoscale: s.autoscale.clone(),
                growing: false,
                full_noted: false,
                refused: 0,
                grown: 0,
                reason: storage_reason,
                used_series: Level::new(buckets, used as f64 / GIB),
                capacity_series: Level::new(buckets, s.capacity as f64 / GIB),
            }
        });
        Some(Box::new(data))
    }
    /// Bytes the tables use (rows and index entries).
    fn table_bytes(&self) -> u64 {
        self.tables
            .iter()
            .map(|t| t.rows.saturating_mul(t.spec.bytes_per_row()))
            .fold(0u64, u64::saturating_add)
    }
    /// Bytes used on storage.
    pub(in crate::world) fn used(&self) -> u64 {
        self.storage.as_ref().map_or(0, |s| s.base) + self.table_bytes()
    }
    /// Whether storage is too full for a write of class `class` to add a row.
    fn full_for(&self, class: u16) -> bool {
        let (Some(s), Some(Some(op))) = (&self.storage, self.ops.get(class as usize)) else {
            return false;
        };
        op.grows.is_some()
            && self
                .used()
                .saturating_add(self.tables[op.table as usize].spec.bytes_per_row())
                > s.capacity
    }
}

impl World {
    /// Registers `storage_full` when a database has storage (after the reasons every run
    /// has, so replications list them in the same order).
    pub(in crate::world) fn data_reasons(&mut self) {
        let has = |c: &Comp| match &c.body {
            Body::Service(Svc { db: Some(db), .. }) => {
                db.data.as_ref().is_some_and(|d| d.storage.is_some())
            }
            _ => false,
        };
        if !self.comps.iter().any(has) {
            return;
        }
        let reason = self.rec.reason("storage_full") as u32;
        for c in &mut self.comps {
            if let Body::Service(Svc { db: Some(db), .. }) = &mut c.body {
                if let Some(s) = db.data.as_mut().and_then(|d| d.storage.as_mut()) {
                    s.reason = reason;
                }
            }
        }
    }
    /// A call reaches a database with data: a write that would add a row to full storage
    /// fails with `storage_full` (at the primary; a replica applies what its primary wrote).
    #[inline(never)]
    pub(in crate::world) fn data_arrive(&mut self, c: u32, now: u64) -> Option<Step> {
        let Call {
            comp,
            inst,
            class,
            parent,
            ..
        } = self.calls[c as usize];
        if parent == INTERNAL {
            return None;
        }
        let measured = self.rec.window().contains(now);
        let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body else {
            return None;
        };
        let primary = db.primary;
        let data = db.data.as_mut()?;
        if inst != primary || !data.full_for(class) {
            return None;
        }
        let s = data.storage.as_mut()?;
        s.refused += measured as u64;
        let reason = s.reason;
        if !s.full_noted {
            s.full_noted = true;
            let name = self.comps[comp as usize].name.clone();
            self.rec.timeline(
                now,
                &name,
                &Event::moment("storage_full", Category::Fault),
                "storage full: writes fail with storage_full".to_string(),
            );
        }
        Some(Step::Fail(reason))
    }
    /// CPU time `d` of call `c` with its table work added (out of line: the CPU path of
    /// every other call does not carry it).
    #[cold]
    #[inline(never)]
    pub(in crate::world) fn with_table_work(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        c: u32,
        d: SimTime,
    ) -> SimTime {
        SimTime::from_nanos(d.as_nanos().saturating_add(self.table_work(ctx, c)))
    }
    /// The extra CPU time, in ns, of call `c`'s operation on its table: a lookup's index
    /// levels or scan, an insert's index maintenance. An insert at the primary adds its rows
    /// (as many as storage holds), and may start storage autoscaling.
    #[inline(never)]
    pub(in crate::world) fn table_work(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> u64 {
        let Call {
            comp,
            inst,
            class,
            parent,
            ..
        } = self.calls[c as usize];
        let now = ctx.now().as_nanos();
        let bucket = self.bucket_of(now);
        let cp = &mut self.comps[comp as usize];
        // A sharded database (instances reached by key) spreads each table evenly over the
        // shards callers reach: an operation costs at one shard's share of the rows, and a
        // write at any shard adds its rows to the table.
        let shards = if cp.balance.by_key() {
            u64::from(cp.active.max(1))
        } else {
            1
        };
        let Body::Service(Svc { db: Some(db), .. }) = &mut cp.body else {
            return 0;
        };
        let primary = db.primary;
        let Some(data) = db.data.as_mut() else {
            return 0;
        };
        let Some(Some(op)) = data.ops.get(class as usize) else {
            return 0;
        };
        let ti = op.table as usize;
        let Some(g) = &op.grows else {
            let t = &data.tables[ti];
            return t.spec.lookup_ns(t.rows / shards);
        };
        let mut n = g.sample(&mut cp.rng).as_nanos();
        let rows = data.tables[ti].rows / shards;
        let cost = data.tables[ti].spec.insert_ns(rows, n);
        if parent == INTERNAL || (shards == 1 && inst != primary) || n == 0 {
            // A replica applying the write maintains its index too; the rows are counted
            // once, at the primary.
            return cost;
        }
        let per_row = data.tables[ti].spec.bytes_per_row().max(1);
        if let Some(s) = &data.storage {
            let room = s.capacity.saturating_sub(data.used()) / per_row;
            n = n.min(room);
        }
        if let Some(disk) = db.disk.as_mut() {
            disk.bytes.insert(c as u64, n.saturating_mul(per_row));
        }
        let t = &mut data.tables[ti];
        t.rows = t.rows.saturating_add(n);
        t.series.set(bucket, t.rows as f64);
        let used = data.used();
        let Some(s) = data.storage.as_mut() else {
            return cost;
        };
        s.used_series.set(bucket, used as f64 / GIB);
        let start = match &s.autoscale {
            Some(a) => {
                !s.growing && s.capacity < a.max && used as f64 > a.threshold * s.capacity as f64
            }
            None => false,
        };
        if start {
            s.growing = true;
            let delay = s.autoscale.as_ref().map_or(SimTime::ZERO, |a| a.delay);
            let name = cp.name.clone();
            let pct = 100.0 * used as f64 / s.capacity as f64;
            ctx.schedule_in(delay, Ev::StorageGrow(comp));
            self.rec.timeline(
                now,
                &name,
                &Event::opens("storage_threshold", Category::Scaling),
                format!(
                    "storage {pct:.1}% used: grows in {:.0}s",
                    delay.as_nanos() as f64 / 1e9
                ),
            );
        }
        cost
    }
    /// A database's storage autoscaling is due: its capacity grows by a step (up to its
    /// max), and grows again later if it is still above the threshold.
    #[cold]
    #[inline(never)]
    pub(in crate::world) fn storage_grow(&mut self, ctx: &mut Context<'_, Ev>, comp: u32) {
        let now = ctx.now().as_nanos();
        let bucket = self.bucket_of(now);
        let cp = &mut self.comps[comp as usize];
        let Body::Service(Svc { db: Some(db), .. }) = &mut cp.body else {
            return;
        };
        let Some(data) = db.data.as_mut() else { return };
        let used = data.used();
        let Some(s) = data.storage.as_mut() else {
            return;
        };
        let Some(a) = s.autoscale.clone() else { return };
        let before = s.capacity;
        s.capacity = s.capacity.saturating_add(a.step).min(a.max.max(before));
        s.grown += 1;
        s.full_noted = false;
        s.capacity_series.set(bucket, s.capacity as f64 / GIB);
        let again = s.capacity < a.max && used as f64 > a.threshold * s.capacity as f64;
        s.growing = again;
        if again {
            ctx.schedule_in(a.delay, Ev::StorageGrow(comp));
        }
        let name = cp.name.clone();
        self.rec.timeline(
            now,
            &name,
            &Event::ends("storage_grown", Category::Scaling, "storage_threshold"),
            format!(
                "storage {:.1} GiB -> {:.1} GiB ({:.1} GiB used)",
                before as f64 / GIB,
                s.capacity as f64 / GIB,
                used as f64 / GIB
            ),
        );
    }
}

impl Data {
    /// Rows per table at the end (a mean over replications) and over time; storage used,
    /// free and its capacity at the end and over time, writes refused when full.
    pub(in crate::world) fn report(&self, s: &mut ComponentStats, cx: &ReportCx) {
        s.inputs.insert("data_reports", 1);
        for t in &self.tables {
            let total = format!("rows_{}_total", t.spec.name);
            let name = format!("rows_{}", t.spec.name);
            s.inputs.insert(total.clone(), t.rows);
            s.figures
                .declare(Figure::mean(&name, &total, "data_reports", 1.0));
            s.series.insert(name.clone(), t.series.series(cx.buckets));
            s.figures.declare(Figure::series(&name));
        }
        let Some(st) = &self.storage else { return };
        let used = self.used();
        s.counters.insert("storage_full", st.refused);
        if st.autoscale.is_some() {
            s.counters.insert("storage_grown", st.grown);
        }
        s.inputs.insert("storage_used_bytes", used);
        s.inputs.insert("storage_capacity_bytes", st.capacity);
        s.inputs
            .insert("storage_free_bytes", st.capacity.saturating_sub(used));
        for (fig, input) in [
            ("storage_used_gib", "storage_used_bytes"),
            ("storage_free_gib", "storage_free_bytes"),
            ("storage_capacity_gib", "storage_capacity_bytes"),
        ] {
            s.figures
                .declare(Figure::mean(fig, input, "data_reports", GIB));
        }
        s.series
            .insert("storage_used_gib", st.used_series.series(cx.buckets));
        s.series.insert(
            "storage_capacity_gib",
            st.capacity_series.series(cx.buckets),
        );
        s.figures.declare(Figure::series("storage_used_gib"));
        s.figures.declare(Figure::series("storage_capacity_gib"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn btree_levels_are_the_ceiling_of_the_log() {
        let t = TableSpec::new("t", 0);
        assert_eq!(t.levels(0), 1);
        assert_eq!(t.levels(100), 1);
        assert_eq!(t.levels(101), 2);
        assert_eq!(t.levels(10_000), 2);
        assert_eq!(t.levels(10_001), 3);
        assert_eq!(t.levels(10_000_000), 4);
        assert_eq!(t.levels(u64::MAX), 10);
    }

    #[test]
    fn a_scan_is_linear_and_an_index_logarithmic() {
        let mut t = TableSpec::new("t", 0);
        assert_eq!(t.lookup_ns(10_000), 250_000);
        assert_eq!(t.lookup_ns(10_000_000), 250_000_000);
        assert_eq!(t.insert_ns(10_000, 3), 0);
        t.index = true;
        assert_eq!(t.lookup_ns(10_000), 40_000);
        assert_eq!(t.lookup_ns(10_000_000), 80_000);
        assert_eq!(t.insert_ns(10_000_000, 3), 240_000);
        assert_eq!(t.bytes_per_row(), 1024 + 32);
    }

    #[test]
    fn a_level_carries_its_last_value_over_empty_buckets() {
        let mut l = Level::new(6, 1.0);
        l.set(2, 3.0);
        l.set(2, 4.0);
        l.set(4, 5.0);
        assert_eq!(l.series(6), vec![1.0, 1.0, 4.0, 4.0, 5.0, 5.0]);
        assert_eq!(l.series(3), vec![1.0, 1.0, 4.0]);
    }
}
