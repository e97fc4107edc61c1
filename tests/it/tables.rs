//! A database's data: the cost of a query against the closed forms of a scan (linear in the
//! rows) and a B-tree lookup (logarithmic), a table growing during a run, storage that fills
//! and refuses writes, and storage autoscaling.

use crate::common::{conserved, file, inline, series};
use archsim::stats::SimResult;

/// A database taking `rate` requests/s for `duration`, with unlimited cores (a read's CPU
/// time is its latency): reads of `orders` (`rows` rows, `index`, the table's `extra` keys)
/// with a base CPU time of `read_cpu`, and `writes` of the requests inserting `grows` rows.
fn db(duration: &str, rate: f64, writes: f64, table: &str, read_cpu: &str, grows: &str) -> String {
    let text = format!(
        r#"
[run]
duration = "{duration}"
warmup = "0s"
series_interval = "30s"
[traffic]
entry = "db"
rate = {rate}
[traffic.classes.read]
weight = {reads}
[traffic.classes.write]
weight = {writes}
[components.db]
kind = "database"
[components.db.tables.orders]
{table}
[components.db.endpoints.read]
cpu = "{read_cpu}"
table = "orders"
[components.db.endpoints.write]
cpu = "0.1ms"
table = "orders"
grows = {grows}
"#,
        reads = 1.0 - writes,
    );
    if writes == 0.0 {
        // Reads only.
        return text
            .replace("[traffic.classes.write]\nweight = 0\n", "")
            .split("[components.db.endpoints.write]")
            .next()
            .unwrap_or_default()
            .to_string();
    }
    if writes < 1.0 {
        return text;
    }
    // Writes only.
    text.replace("[traffic.classes.read]\nweight = 0\n", "")
        .replace(
            &format!("[components.db.endpoints.read]\ncpu = \"{read_cpu}\"\ntable = \"orders\"\n"),
            "",
        )
}

fn extra(r: &SimResult, key: &str) -> f64 {
    r.components["db"].extra[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key}"))
}

/// The mean read latency at several table sizes: a base of exp(1 ms) plus a scan's
/// `scan_cost x rows / 1000` without an index, plus `index_cost x ceil(log_fanout(rows))`
/// with one; the constants as documented, and as a scenario sets them.
#[test]
fn query_cost_is_linear_in_the_rows_without_an_index_and_logarithmic_with_one() {
    let levels = |rows: f64, fanout: f64| (rows.ln() / fanout.ln() - 1e-9).ceil().max(1.0);
    type ExtraMs = Box<dyn Fn(f64) -> f64>;
    let cases: [(&str, ExtraMs); 4] = [
        ("index = false", Box::new(|rows| 0.025 * rows / 1000.0)),
        (
            "index = true",
            Box::new(move |rows| 0.020 * levels(rows, 100.0)),
        ),
        (
            "index = false\nscan_cost = \"4us\"",
            Box::new(|rows| 0.004 * rows / 1000.0),
        ),
        (
            "index = true\nindex_cost = \"0.5ms\"\nindex_fanout = 10",
            Box::new(move |rows| 0.5 * levels(rows, 10.0)),
        ),
    ];
    for (keys, extra_ms) in &cases {
        for rows in [1_000.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0] {
            let r = inline(
                &db(
                    "60s",
                    100.0,
                    0.0,
                    &format!("rows = {rows}\n{keys}"),
                    "exp(1ms)",
                    "0",
                ),
                &[],
            );
            conserved(&r);
            let got = r.classes["read"].latency_ms.mean.unwrap();
            let want = 1.0 + extra_ms(rows);
            // ~6,000 reads: the mean of their exp(1 ms) draws has a standard deviation of
            // 0.013 ms; allow 6 of them.
            assert!(
                (got - want).abs() < 0.08,
                "{keys}, {rows} rows: mean read {got:.4} ms, expected {want:.4} ms"
            );
        }
    }
}

/// A table growing during the run: `W` inserts a second of `g` rows make it
/// `rows(t) = r0 + W g t`, and a read at time t costs its base plus a scan of rows(t), so the
/// median latency of each bucket follows the scan's line through the run.
#[test]
fn a_growing_table_makes_a_scan_slower_as_predicted_over_time() {
    let (r0, w, g) = (10_000.0, 20.0, 1_000.0);
    let r = inline(
        &db(
            "600s",
            200.0,
            w / 200.0,
            &format!("rows = {r0}\nindex = false"),
            "1ms",
            &format!("{g}"),
        ),
        &[],
    );
    conserved(&r);
    let rows = series(&r, "db", "rows_orders");
    let p50 = &r.series.p50_ms;
    let dt = r.series.interval_s;
    assert_eq!(rows.len(), p50.len());
    let mut checked = 0;
    for (b, (n, m)) in rows.iter().zip(p50).enumerate().take(20) {
        let end = (b + 1) as f64 * dt;
        // Inserts by the end of the bucket: Poisson with mean W t, standard deviation
        // sqrt(W t) inserts of g rows; allow 5 of them.
        let want_rows = r0 + w * g * end;
        let n = n.unwrap();
        let tol = 5.0 * (w * end).sqrt() * g;
        assert!(
            (n - want_rows).abs() < tol,
            "bucket {b}: {n} rows, expected {want_rows} +- {tol}"
        );
        // The median request of the bucket is a read (writes, 10%, take 0.1 ms, less than
        // any read): the read at (0.5 - 0.1) / 0.9 of the bucket's reads, which come in
        // time order, so the one at that fraction of the bucket: 1 ms plus a scan of the
        // rows then. The spread of the arrivals moves it by well under a tenth of the
        // bucket; allow 8% of the scan, and the histogram's resolution.
        let mid = (b as f64 + (0.5 - 0.1) / 0.9) * dt;
        let want = 1.0 + 0.025 * (r0 + w * g * mid) / 1000.0;
        let m = m.unwrap();
        assert!(
            (m - want).abs() < 0.08 * (want - 1.0) + 0.05,
            "bucket {b}: median {m:.2} ms, expected {want:.2} ms"
        );
        checked += 1;
    }
    assert_eq!(checked, 20);
    // At the end: the rows are the last bucket's.
    let last = rows.last().unwrap().unwrap();
    assert_eq!(extra(&r, "rows_orders"), last);
}

/// Storage fills: inserts stop at the last row that fits (used never passes the capacity),
/// and every write after that fails with `storage_full`.
#[test]
fn full_storage_refuses_writes() {
    // 50 writes/s of 100 rows of 1,000 bytes: 5 MB/s into 1 GB (10^9) with 100 MB used by the
    // system and 100,000 rows at the start: full after (10^9 - 2x10^8) / 5x10^6 = 160 s.
    let text = db(
        "300s",
        50.0,
        1.0,
        "rows = 100000\nrow_size = 1000",
        "1ms",
        "100",
    )
    .replace(
        "[components.db.tables.orders]",
        "storage = \"1GB\"\nstorage_base = \"100MB\"\n[components.db.tables.orders]",
    );
    let r = inline(&text, &[]);
    conserved(&r);
    // The last rows that fit: (10^9 - 10^8) / 1000 in all.
    assert_eq!(extra(&r, "rows_orders"), 900_000.0);
    let free = extra(&r, "storage_free_gib");
    assert!((0.0..1e-6).contains(&free), "free {free} GiB");
    let gib = (1u64 << 30) as f64;
    assert!((extra(&r, "storage_used_gib") - 1e9 / gib).abs() < 1e-9);
    // Writes of the last 140 s fail: ~7,000, Poisson; allow 5 standard deviations.
    let full = r.errors["storage_full"] as f64;
    assert!((full - 7_000.0).abs() < 5.0 * 7_000f64.sqrt(), "{full}");
    assert_eq!(extra(&r, "storage_full"), full);
    assert!(r.timeline.iter().any(|e| e.event == "storage_full"));
    // Used storage over time: 5 MB/s until full, then flat.
    let used = series(&r, "db", "storage_used_gib");
    let at = |b: usize| used[b].unwrap() * gib;
    assert!((at(1) - (2e8 + 5e6 * 60.0)).abs() < 5e6 * 5.0, "{}", at(1));
    assert_eq!(at(used.len() - 1), 1e9);
}

/// Storage autoscaling: each time used storage passes `threshold x capacity`, the capacity
/// grows by `step` after `delay`, up to `max`; with steady inserts the growths fall where
/// the arithmetic says, and writes never fail.
#[test]
fn storage_autoscaling_grows_by_steps_after_a_delay_up_to_max() {
    // Uniform arrivals, writes only: 10 MB/s from 0 into 1 GB, threshold 0.8, step 500 MB,
    // delay 20 s, max 2 GB.
    let text = db("300s", 100.0, 1.0, "row_size = 1000", "1ms", "100")
        .replace(
            "[components.db.tables.orders]",
            "storage = \"1GB\"\nstorage_autoscale = { threshold = 0.8, step = \"500MB\", delay = \"20s\", max = \"2GB\" }\n[components.db.tables.orders]",
        )
        .replace("rate = 100\n", "rate = 100\narrivals = \"uniform\"\n");
    let r = inline(&text, &[]);
    conserved(&r);
    // The threshold is passed at 0.8 C / v, the capacity grows 20 s later; it is passed
    // again right away if the used storage then is above 0.8 of the new capacity.
    let v = 1e7;
    let mut want = Vec::new();
    let (mut cap, mut t): (f64, f64) = (1e9, 0.0);
    while cap < 2e9 {
        t = t.max(0.8 * cap / v) + 20.0;
        cap = (cap + 5e8).min(2e9);
        want.push((t, cap));
    }
    let grown: Vec<f64> = r
        .timeline
        .iter()
        .filter(|e| e.event == "storage_grown")
        .map(|e| e.t_s)
        .collect();
    assert_eq!(grown.len(), want.len(), "{grown:?} vs {want:?}");
    for (got, (t, _)) in grown.iter().zip(&want) {
        // One arrival every 10 ms: the crossing is within one insert.
        assert!((got - t).abs() < 0.02, "grew at {got} s, expected {t} s");
    }
    assert_eq!(extra(&r, "storage_grown"), want.len() as f64);
    let gib = (1u64 << 30) as f64;
    assert_eq!(extra(&r, "storage_capacity_gib"), 2e9 / gib);
    // 3 GB arrive in 300 s: the last 1 GB finds the 2 GB maximum full.
    assert!(r.errors["storage_full"] > 0);
    let cap = series(&r, "db", "storage_capacity_gib");
    assert_eq!(cap[0].unwrap(), 1e9 / gib);
    assert_eq!(cap.last().unwrap().unwrap(), 2e9 / gib);
}

/// The shipped story: the scan's cost grows with the table until the database saturates
/// and reads time out; `--set components.db.tables.orders.index=true` keeps them flat.
#[test]
fn the_missing_index_scenario_and_its_fix() {
    let slow = file("scenarios/resources/missing-index.toml", &[]);
    let fixed = file(
        "scenarios/resources/missing-index.toml",
        &["components.db.tables.orders.index=true"],
    );
    conserved(&slow);
    conserved(&fixed);
    // The table passes 5 million rows in both runs (fewer writes succeed in the slow one).
    assert!(extra(&fixed, "rows_orders") > 9e6);
    assert!(extra(&slow, "rows_orders") > 5e6);
    // Without the index: fast at the start, then the database saturates and requests fail.
    let p50 = &slow.series.p50_ms;
    assert!(p50[0].unwrap() < 5.0, "{:?}", p50[0]);
    assert!(slow.error_rate > 0.1, "{}", slow.error_rate);
    assert!(slow.timeline.iter().any(|e| e.event == "saturated"));
    // With it: no errors, reads stay in milliseconds at the end.
    assert_eq!(fixed.error_rate, 0.0);
    let read = fixed.classes["read"].latency_ms.p99.unwrap();
    assert!(read < 20.0, "p99 read {read} ms");
    let last = fixed.series.p50_ms.iter().rev().flatten().next().unwrap();
    assert!(*last < 5.0, "{last}");
}

/// Bad table and storage keys are refused before the run, each at its line with what to
/// write.
#[test]
fn bad_table_and_storage_keys_are_located() {
    use archsim::scenario::{from_str, ScenarioError};
    let text = r#"
[run]
duration = "10s"
[traffic]
entry = "app"
rate = 10
[traffic.classes.read]
weight = 1
[components.app]
kind = "service"
[components.app.endpoints.read]
cpu = "1ms"
table = "orders"
calls = ["db"]
[components.db]
kind = "database"
storage = "lots"
storage_autoscale = { threshold = 1.5, step = "1GiB" }
[components.db.tables.orders]
rows = -3
row_size = "big"
index_fanout = 1
scan_cost = "exp(1us)"
index_cost = "2s"
[components.db.endpoints.read]
cpu = "1ms"
table = "users"
grows = "exp(x)"
[components.other]
kind = "database"
storage_base = "1GiB"
[components.other.endpoints.read]
grows = 2
"#;
    let Err(ScenarioError::Invalid(ds)) = from_str(text, "bad.toml", &[]) else {
        panic!("accepted");
    };
    let all: Vec<String> = ds.iter().map(|d| d.to_string()).collect();
    let has = |line_pat: &str, msg: &str| {
        let line = crate::common::line_of(text, line_pat);
        assert!(
            all.iter()
                .any(|d| d.starts_with(&format!("bad.toml:{line}:")) && d.contains(msg)),
            "no `{msg}` at line {line}: {all:#?}"
        );
    };
    has("table = \"orders\"", "`table` and `grows` are a database's");
    has("storage = \"lots\"", "components.db.storage: ");
    has(
        "rows = -3",
        "components.db.tables.orders.rows must be between 0",
    );
    has("row_size = \"big\"", "write a size like \"1KiB\"");
    has("index_fanout = 1", "index_fanout must be between 2");
    has("scan_cost = \"exp(1us)\"", "scan_cost");
    has("index_cost = \"2s\"", "index_cost must be at most 1s");
    has(
        "table = \"users\"",
        "`users` is not a table of `db`; tables are: orders",
    );
    has("grows = \"exp(x)\"", "components.db.endpoints.read.grows");
    has("storage_base = \"1GiB\"", "storage_base needs `storage`");
    has(
        "grows = 2",
        "grows adds rows to a table: name it with `table",
    );
}

/// The shipped story: storage autoscaling grows the volume twice, then it reaches its
/// maximum and writes (only writes) fail with `storage_full`; without that maximum they
/// never do.
#[test]
fn the_disk_fills_scenario_autoscales_then_refuses_writes() {
    let r = file("scenarios/resources/disk-fills.toml", &[]);
    conserved(&r);
    let grown = r
        .timeline
        .iter()
        .filter(|e| e.event == "storage_grown")
        .count();
    assert_eq!(grown, 2);
    assert_eq!(extra(&r, "storage_capacity_gib"), 200.0);
    assert_eq!(
        extra(&r, "storage_used_gib"),
        extra(&r, "storage_capacity_gib")
    );
    assert!(r.errors["storage_full"] > 10_000);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.classes["read"].error_rate, 0.0);
    assert!(extra(&r, "disk_utilization") > 0.0);
    let free = file(
        "scenarios/resources/disk-fills.toml",
        &["components.db.storage_autoscale.max=\"1TiB\""],
    );
    assert_eq!(free.error_rate, 0.0);
    assert_eq!(extra(&free, "storage_grown"), 3.0);
    assert!(extra(&free, "storage_free_gib") > 0.0);
}

/// A sharded database spreads each table over its shards: a keyed read scans one shard's
/// share of the rows (a quarter on 4 shards), and every shard's inserts add to the table
/// (the rows grow by the writes at all shards, not only at instance 0's).
#[test]
fn a_sharded_table_is_split_over_the_shards_and_grows_at_every_shard() {
    let text = db(
        "60s",
        100.0,
        0.5,
        "rows = 4000000\nindex = false",
        "exp(1ms)",
        "10",
    )
    .replace(
        "kind = \"database\"\n",
        "kind = \"database\"\nshards = 4\nsharding = \"hash\"\n",
    )
    .replace(
        "rate = 100\n",
        "rate = 100\nkeys = { count = 100000, zipf = 0.0 }\n",
    );
    let r = inline(&text, &[]);
    conserved(&r);
    // 50 writes a second of 10 rows each over 60 s, at whichever shard holds the key.
    let rows = extra(&r, "rows_orders");
    let writes = r.classes["write"].throughput_rps * 60.0;
    assert!(
        (rows - 4_000_000.0 - 10.0 * writes).abs() < 1.0,
        "{rows} rows after {writes} writes"
    );
    // A read scans a quarter of the table: 25 us per 1,000 of ~1,000,000 rows = 25 ms (the
    // table grows by 0.75% over the run: +0.2 ms at the end), plus exp(1 ms).
    let got = r.classes["read"].latency_ms.mean.unwrap();
    assert!((got - 26.1).abs() < 0.3, "mean read {got:.3} ms");
}
