//! Read replicas are instances 1..=N of their database and can be fault targets: crashing
//! one moves its reads to the others (issue 11 item 8).

use crate::common::{bin, conserved, inline, scratch_dir};

const DB: &str = r#"
[run]
duration = "60s"
warmup = "5s"
[traffic]
entry = "db"
rate = 400
keys = { count = 1000 }
[traffic.classes.read]
weight = 0.8
[traffic.classes.write]
weight = 0.2
[components.db]
kind = "database"
replicas = 2
replication_lag = "exp(50ms)"
reads = "replicas"
cores = 4
[components.db.endpoints.read]
cpu = "exp(2ms)"
[components.db.endpoints.write]
cpu = "exp(3ms)"
"#;

const CRASH_REPLICA: &str = r#"
[[faults]]
kind = "crash"
target = "db[2]"
at = "20s"
for = "20s"
"#;

#[test]
fn a_crashed_replica_hands_its_reads_to_the_others() {
    let base = inline(DB, &[]);
    let crashed = inline(&format!("{DB}{CRASH_REPLICA}"), &[]);
    conserved(&crashed);
    // No request fails: the other replica serves the reads while db[2] is down.
    assert_eq!(crashed.requests.failed, 0, "{:?}", crashed.errors);
    let served = |r: &archsim::stats::SimResult| {
        r.components["db"]
            .per_instance
            .as_ref()
            .unwrap()
            .served
            .clone()
    };
    let (b, c) = (served(&base), served(&crashed));
    // A third of the run without db[2]: it serves about a third less, db[1] takes it.
    assert!(c[2] < b[2] * 8 / 10, "db[2] served {} vs {}", c[2], b[2]);
    assert!(c[1] > b[1] * 11 / 10, "db[1] served {} vs {}", c[1], b[1]);
    // The primary still takes only writes.
    let ratio = c[0] as f64 / b[0] as f64;
    assert!((0.9..1.1).contains(&ratio), "primary {} vs {}", c[0], b[0]);
    // Replication still runs to the live replica: lag and stale reads are still measured.
    let extra = &crashed.components["db"].extra;
    assert!(extra["replica_reads"].as_u64().unwrap() > 0);
    assert!(extra["replication_lag_ms_mean"].as_f64().unwrap() > 0.0);
}

#[test]
fn replica_indexes_are_checked() {
    let dir = scratch_dir("replica_faults", "index");
    let ok = dir.join("ok.toml");
    std::fs::write(&ok, format!("{DB}{CRASH_REPLICA}")).unwrap();
    let out = bin().arg("check").arg(&ok).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        format!("{DB}{}", CRASH_REPLICA.replace("db[2]", "db[3]")),
    )
    .unwrap();
    let out = bin().arg("check").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`db` has 3 instances, numbered from 0"),
        "{err}"
    );
}
