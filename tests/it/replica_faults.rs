//! Read replicas are instances 1..=N of their database and can be fault targets: crashing
//! one moves its reads to the others, and a recovered one catches up on the writes it missed
//! (issue 11 item 8).

use crate::common::{bin, conserved, inline, scratch_dir, series};

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

/// db[2] down from 10 s to 30 s; the run goes on to 60 s.
const CRASH_EARLY: &str = r#"
[[faults]]
kind = "crash"
target = "db[2]"
at = "10s"
for = "20s"
"#;

#[test]
fn writes_shipped_to_a_down_replica_are_no_failed_calls() {
    // Replication is the database's own traffic: no request waits for it, so a write that
    // cannot reach a down replica fails no call (issue 11 item 8, the question of item 7).
    let r = inline(&format!("{DB}{CRASH_EARLY}"), &[]);
    conserved(&r);
    assert_eq!(r.requests.failed, 0);
    let extra = &r.components["db"].extra;
    assert_eq!(extra["unavailable"].as_u64(), Some(0), "{extra:?}");
    let errors = series(&r, "db", "errors");
    assert!(errors.iter().all(|e| *e == Some(0.0)), "{errors:?}");
    // The writes db[2] missed were replayed when it was back.
    let replayed = extra["replayed_writes"].as_u64().unwrap();
    assert!(
        (1_000..2_400).contains(&replayed),
        "about 80 writes/s x 20 s replayed: {replayed}"
    );
}

#[test]
fn a_recovered_replica_catches_up_on_the_writes_it_missed() {
    let r = inline(&format!("{DB}{CRASH_EARLY}"), &[]);
    let at = |event: &str| {
        r.timeline
            .iter()
            .find(|e| e.component == "db[2]" && e.event == event)
            .unwrap_or_else(|| panic!("no {event} in {:?}", r.timeline))
            .t_s
    };
    // It starts replaying when it is back and has caught up within seconds (4 cores at
    // 3 ms a write: about 1,300 writes a second, well above the 80 a second shipped).
    assert_eq!(at("recover"), 30.0);
    assert_eq!(at("catching_up"), 30.0);
    let caught_up = at("caught_up");
    assert!(
        caught_up > 30.0 && caught_up < 35.0,
        "caught up at {caught_up}"
    );
    // Measured from 40 s on (the warm-up only moves the window, not the run): lag and stale
    // reads are back at the level of a run without the crash, where without the catch-up
    // every key written during the outage stayed stale at db[2] until written again.
    let after = |text: &str| inline(text, &["run.warmup=\"40s\""]);
    let (base, crashed) = (after(DB), after(&format!("{DB}{CRASH_EARLY}")));
    let fig =
        |r: &archsim::stats::SimResult, k: &str| r.components["db"].extra[k].as_f64().unwrap();
    let (b, c) = (
        fig(&base, "stale_read_ratio"),
        fig(&crashed, "stale_read_ratio"),
    );
    assert!(
        c < b * 1.5 + 0.005,
        "stale read ratio {c} after vs {b} without the crash"
    );
    let (b, c) = (
        fig(&base, "replication_lag_ms_mean"),
        fig(&crashed, "replication_lag_ms_mean"),
    );
    assert!(c < b * 1.3, "lag {c} ms after vs {b} ms without the crash");
    // While it replays, its lag is the age of the writes it replays: far above the normal.
    let during = inline(&format!("{DB}{CRASH_EARLY}"), &["run.warmup=\"30s\""]);
    assert!(fig(&during, "replication_lag_ms_mean") > b * 3.0);
}
