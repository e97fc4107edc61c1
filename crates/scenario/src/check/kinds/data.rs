//! A database's data: its `tables` (rows, row size, index and the cost constants), what its
//! endpoints do to them (`table`, `grows`), its `storage` (capacity, `storage_base`,
//! `storage_autoscale`) and its disk (`disk_iops`, `disk_throughput`, `wal_fsync`,
//! `group_commit`).

use super::Comp;
use crate::check::ck::{list, valid_name, Ck};
use crate::raw::RawEndpoint;
use archsim_engine::SimTime;
use archsim_models::{
    parse_bytes, parse_rate, DiskSpec, Dist, StorageAutoscale, StorageSpec, TableOp, TableSpec,
    DEFAULT_FANOUT, DEFAULT_INDEX_COST_NS, DEFAULT_INDEX_ROW_BYTES, DEFAULT_ROW_SIZE,
    DEFAULT_SCAN_COST_NS, DEFAULT_STORAGE_DELAY_NS, DEFAULT_STORAGE_THRESHOLD, MAX_DISK_IOPS,
    MAX_INDEX_FANOUT, MAX_ROWS_PER_WRITE, MAX_ROW_SIZE, MAX_STORAGE, MAX_TABLES, MAX_TABLE_ROWS,
};
use toml::Spanned;

/// What a database's data comes to: its tables, its endpoints' operations, its storage.
pub(super) struct DataSpec {
    pub(super) tables: Vec<TableSpec>,
    pub(super) table_ops: Vec<TableOp>,
    pub(super) storage: Option<Box<StorageSpec>>,
    pub(super) disk: Option<Box<DiskSpec>>,
}

/// A size in bytes (`"1KiB"`, `"100GiB"`, or a whole number of bytes) in `[lo, hi]`.
fn size(ck: &mut Ck, v: &Spanned<toml::Value>, what: &str, lo: u64, hi: u64) -> Option<u64> {
    let b = match v.get_ref() {
        toml::Value::Integer(n) if *n >= 0 => Some(*n as u64),
        toml::Value::String(s) => match parse_bytes(s) {
            Ok(b) => Some(b),
            Err(e) => {
                ck.err(
                    v.span(),
                    format!("{what}: {e}; write a size like \"1KiB\" or \"100GiB\""),
                );
                return None;
            }
        },
        _ => None,
    };
    match b {
        Some(b) if (lo..=hi).contains(&b) => Some(b),
        Some(b) => {
            ck.err(
                v.span(),
                format!("{what} must be between {lo} and {hi} bytes, got {b}"),
            );
            None
        }
        None => {
            ck.err(
                v.span(),
                format!(
                    "{what}: write a size like \"1KiB\" or \"100GiB\" (a whole number is bytes)"
                ),
            );
            None
        }
    }
}

/// A fixed duration of at most one second (a cost constant).
fn cost(ck: &mut Ck, v: Option<&Spanned<String>>, what: &str, default_ns: u64) -> SimTime {
    let Some(v) = v else {
        return SimTime::from_nanos(default_ns);
    };
    match ck.duration(v, what) {
        Some(d) if d <= SimTime::from_secs(1) => d,
        Some(_) => {
            ck.err(v.span(), format!("{what} must be at most 1s"));
            SimTime::from_nanos(default_ns)
        }
        None => SimTime::from_nanos(default_ns),
    }
}

/// Checks a database's tables, its endpoints' table operations and its storage.
pub(super) fn check(ck: &mut Ck, c: &Comp<'_>) -> DataSpec {
    let (name, r) = (c.name, c.raw);
    let mut tables = Vec::new();
    if let Some(ts) = &r.tables {
        if ts.len() > MAX_TABLES {
            let span = ts.values().next().map_or(c.span.clone(), |t| t.span());
            ck.err(
                span,
                format!("`{name}` has {} tables; at most {MAX_TABLES}", ts.len()),
            );
        }
        for (tname, t) in ts {
            let what = |k: &str| format!("components.{name}.tables.{tname}.{k}");
            if !valid_name(tname) {
                ck.err(
                    t.span(),
                    format!("table name `{tname}`: use letters, digits, `_` and `-`"),
                );
            }
            let rt = t.get_ref();
            let mut spec = TableSpec::new(tname, 0);
            if let Some(v) = &rt.rows {
                spec.rows = ck
                    .int(v, &what("rows"), 0, MAX_TABLE_ROWS as i64)
                    .unwrap_or(0) as u64;
            }
            if let Some(v) = &rt.row_size {
                spec.row_size =
                    size(ck, v, &what("row_size"), 1, MAX_ROW_SIZE).unwrap_or(DEFAULT_ROW_SIZE);
            }
            spec.index = rt.index.as_ref().is_some_and(|v| *v.get_ref());
            if let Some(v) = &rt.index_size {
                spec.index_row_bytes = size(ck, v, &what("index_size"), 0, MAX_ROW_SIZE)
                    .unwrap_or(DEFAULT_INDEX_ROW_BYTES);
            }
            spec.index_cost = cost(
                ck,
                rt.index_cost.as_ref(),
                &what("index_cost"),
                DEFAULT_INDEX_COST_NS,
            );
            spec.scan_cost = cost(
                ck,
                rt.scan_cost.as_ref(),
                &what("scan_cost"),
                DEFAULT_SCAN_COST_NS,
            );
            if let Some(v) = &rt.index_fanout {
                spec.fanout = ck
                    .int(v, &what("index_fanout"), 2, MAX_INDEX_FANOUT as i64)
                    .map_or(DEFAULT_FANOUT, |x| x as u64);
            }
            tables.push(spec);
        }
    }
    let mut table_ops = Vec::new();
    if let Some(eps) = &r.endpoints {
        for (ep_name, ep) in eps {
            if let Some(op) = table_op(ck, name, ep_name, ep.get_ref(), &tables) {
                table_ops.push(op);
            }
        }
    }
    DataSpec {
        tables,
        table_ops,
        storage: storage(ck, c).map(Box::new),
        disk: disk(ck, c).map(Box::new),
    }
}

/// `disk_iops`, `disk_throughput`, `wal_fsync` and `group_commit`: `None` without any.
fn disk(ck: &mut Ck, c: &Comp<'_>) -> Option<DiskSpec> {
    let (name, r) = (c.name, c.raw);
    let what = |k: &str| format!("components.{name}.{k}");
    if r.disk_iops.is_none()
        && r.disk_throughput.is_none()
        && r.wal_fsync.is_none()
        && r.group_commit.is_none()
    {
        return None;
    }
    let mut d = DiskSpec::default();
    if let Some(v) = &r.disk_iops {
        d.iops = ck.float(v, &what("disk_iops"), 0.0, MAX_DISK_IOPS, true);
    }
    if let Some(v) = &r.disk_throughput {
        match parse_rate(v.get_ref()) {
            Ok(b) if b > 0.0 && b.is_finite() => d.throughput = Some(b),
            Ok(_) => ck.err(
                v.span(),
                format!("{} must be above 0", what("disk_throughput")),
            ),
            Err(e) => ck.err(v.span(), format!("{}: {e}", what("disk_throughput"))),
        }
    }
    if let Some(v) = &r.wal_fsync {
        d.wal_fsync = ck.dist(v, &what("wal_fsync"));
    }
    if let Some(v) = &r.group_commit {
        if r.wal_fsync.is_none() {
            ck.err(
                v.span(),
                format!("`{name}`: group_commit shares the write-ahead log's fsync among commits: set `wal_fsync` (like \"2ms\")"),
            );
        }
        match ck.duration(v, &what("group_commit")) {
            Some(w) if w > SimTime::ZERO && w <= SimTime::from_secs(1) => d.group_commit = Some(w),
            Some(_) => ck.err(
                v.span(),
                format!("{} must be above 0 and at most 1s", what("group_commit")),
            ),
            None => {}
        }
    }
    Some(d)
}

/// An endpoint's `table` and `grows`.
fn table_op(
    ck: &mut Ck,
    name: &str,
    ep_name: &str,
    e: &RawEndpoint,
    tables: &[TableSpec],
) -> Option<TableOp> {
    let what = format!("components.{name}.endpoints.{ep_name}");
    let grows = e.grows.as_ref().and_then(|g| {
        let d = match g.get_ref() {
            toml::Value::Integer(n) if (0..=MAX_ROWS_PER_WRITE as i64).contains(n) => {
                Some(Dist::Const(*n as u64))
            }
            toml::Value::String(s) => match Dist::parse_bytes(s) {
                Ok(d) if d.mean_ns() <= MAX_ROWS_PER_WRITE as f64 => Some(d),
                Ok(_) => None,
                Err(e) => {
                    ck.err(
                        g.span(),
                        format!("{what}.grows: {e} (in \"{s}\" at character {})", e.offset + 1),
                    );
                    return None;
                }
            },
            _ => None,
        };
        if d.is_none() {
            ck.err(
                g.span(),
                format!("{what}.grows: rows each call adds, a whole number from 0 to {MAX_ROWS_PER_WRITE} or a distribution like \"exp(3)\" with a mean up to that"),
            );
        }
        d
    });
    let Some(t) = &e.table else {
        if let Some(g) = &e.grows {
            ck.err(
                g.span(),
                format!("{what}.grows adds rows to a table: name it with `table = \"...\"`"),
            );
        }
        return None;
    };
    if !tables.iter().any(|x| &x.name == t.get_ref()) {
        let names: Vec<&String> = tables.iter().map(|x| &x.name).collect();
        let known = if names.is_empty() {
            format!("declare it as [components.{name}.tables.{}]", t.get_ref())
        } else {
            format!("tables are: {}", list(&names))
        };
        ck.err(
            t.span(),
            format!(
                "{what}.table: `{}` is not a table of `{name}`; {known}",
                t.get_ref()
            ),
        );
        return None;
    }
    Some(TableOp {
        endpoint: ep_name.to_string(),
        table: t.get_ref().clone(),
        grows,
    })
}

/// `storage`, `storage_base` and `storage_autoscale`.
fn storage(ck: &mut Ck, c: &Comp<'_>) -> Option<StorageSpec> {
    let (name, r) = (c.name, c.raw);
    let what = |k: &str| format!("components.{name}.{k}");
    let Some(cap) = &r.storage else {
        for (k, span) in [
            ("storage_base", r.storage_base.as_ref().map(|v| v.span())),
            (
                "storage_autoscale",
                r.storage_autoscale.as_ref().map(|v| v.span()),
            ),
        ] {
            if let Some(span) = span {
                ck.err(
                    span,
                    format!("`{name}`: {k} needs `storage` (the capacity, like \"100GiB\")"),
                );
            }
        }
        return None;
    };
    let capacity = size(ck, cap, &what("storage"), 1, MAX_STORAGE)?;
    let base = match &r.storage_base {
        Some(v) => size(ck, v, &what("storage_base"), 0, MAX_STORAGE)?,
        None => 0,
    };
    let autoscale = match &r.storage_autoscale {
        None => None,
        Some(a) => {
            let ra = a.get_ref();
            let w = |k: &str| format!("components.{name}.storage_autoscale.{k}");
            let threshold = match &ra.threshold {
                Some(t) => ck.float(t, &w("threshold"), 0.0, 1.0, true)?,
                None => DEFAULT_STORAGE_THRESHOLD,
            };
            let Some(step) = &ra.step else {
                ck.err(
                    a.span(),
                    format!("`{name}`: storage_autoscale needs `step`, the size it grows by (like \"50GiB\")"),
                );
                return None;
            };
            let step = size(ck, step, &w("step"), 1, MAX_STORAGE)?;
            let delay = match &ra.delay {
                Some(d) => ck.duration(d, &w("delay"))?,
                None => SimTime::from_nanos(DEFAULT_STORAGE_DELAY_NS),
            };
            let max = match &ra.max {
                Some(m) => {
                    let m = size(ck, m, &w("max"), 1, MAX_STORAGE)?;
                    if m < capacity {
                        ck.err(
                            ra.max.as_ref().map_or(a.span(), |v| v.span()),
                            format!("{}: {m} bytes is below the storage it starts with ({capacity} bytes)", w("max")),
                        );
                        return None;
                    }
                    m
                }
                None => MAX_STORAGE,
            };
            Some(StorageAutoscale {
                threshold,
                step,
                delay,
                max,
            })
        }
    };
    Some(StorageSpec {
        capacity,
        base,
        autoscale,
    })
}
