//! Autoscaled read replicas (`replica_autoscale` on a database): the ready replica count
//! follows the read load with its start-up delay, reads only go to ready replicas, writes to
//! ready and starting ones, and bad keys are reported with their positions.

use crate::common::{conserved, file, line_of};
use archsim::scenario::from_str;
use archsim::stats::SimResult;

fn replica_scenario(set: &[&str]) -> SimResult {
    file("scenarios/failures/replica-autoscale.toml", set)
}

fn extra(r: &SimResult, key: &str) -> f64 {
    r.components["db"].extra[key]
        .as_f64()
        .unwrap_or_else(|| panic!("db.{key}"))
}

/// The first timeline entry of `db` with `event` at or after `from` seconds.
fn first(r: &SimResult, event: &str, from: f64) -> f64 {
    r.timeline
        .iter()
        .find(|e| e.component == "db" && e.event == event && e.t_s >= from)
        .unwrap_or_else(|| panic!("no {event} after {from} s"))
        .t_s
}

#[test]
fn ready_replicas_follow_the_read_load_with_the_startup_delay() {
    let r = replica_scenario(&[]);
    conserved(&r);
    let inst = &r.components["db"].series.as_ref().unwrap()["instances"];
    // Primary + ready replicas in the 5 s bucket holding `t`.
    let at = |t: f64| inst[(t / 5.0) as usize].unwrap();
    // 300 req/s: one replica is enough (the initial two scale in to the minimum).
    assert_eq!(at(170.0), 2.0);
    // The load rises from 180 s; the first evaluation that sees it is at 195 s, and the new
    // replica takes reads 30 s (startup) later, not before.
    let out = first(&r, "scale_out", 0.0);
    assert!((180.0..=195.0 + 1e-9).contains(&out), "scale_out at {out}");
    let ready = first(&r, "instance_ready", out);
    assert!((ready - out - 30.0).abs() < 1e-9, "ready at {ready}");
    assert_eq!(at(out + 25.0), 2.0, "not ready before the start-up delay");
    assert!(at(out + 30.0) > 2.0);
    // 1,140 reads/s x 3 ms = 3.4 busy cores, plus 60 writes/s x 4 ms on every replica: at
    // 60% of 2 cores, 3.3 replicas; the scaler settles on 4 to 6 (never the primary only,
    // never more than max).
    let plateau: Vec<f64> = (300..360).step_by(5).map(|t| at(t as f64)).collect();
    assert!(
        plateau.iter().all(|n| (5.0..=7.0).contains(n)),
        "{plateau:?}"
    );
    let peak = inst.iter().map(|x| x.unwrap()).fold(0.0, f64::max);
    assert!(peak <= 7.0, "peak {peak}");
    // Back in after the load falls at 360 s and the 1-minute stabilization window.
    let scale_in = first(&r, "scale_in", 300.0);
    assert!(scale_in >= 420.0, "scale_in at {scale_in}");
    assert!(at(590.0) <= 3.0);
    // Reads keep being served once the replicas are up.
    let errs: Vec<f64> = r
        .series
        .t_s
        .iter()
        .zip(&r.series.error_rate)
        .filter(|(t, _)| (300.0..600.0).contains(*t))
        .map(|(_, e)| *e)
        .collect();
    assert!(errs.iter().all(|e| *e < 0.01), "{errs:?}");
    // Cost: the primary plus the ready replicas on average (mean_instances is over the
    // measured window), not the six allocated ones.
    let mean = extra(&r, "mean_instances");
    assert!(mean > 2.0 && mean < 5.0, "mean_instances {mean}");
    let cost = extra(&r, "cost_per_hour");
    assert!(
        (cost - (1.2 + 0.6 * (mean - 1.0))).abs() < 1e-9,
        "cost {cost}"
    );
}

#[test]
fn writes_replicate_to_ready_and_starting_replicas_only() {
    let r = replica_scenario(&[]);
    // Each measured write is applied on the replicas that were ready or starting: at least
    // the minimum (1), at most the most that were ever ready (ready + starting never exceeds
    // the count they lead to), which is below the six allocated.
    let writes = r.classes["write"].succeeded as f64;
    let applies = extra(&r, "replica_applies");
    let per_write = applies / writes;
    let inst = &r.components["db"].series.as_ref().unwrap()["instances"];
    let peak = inst.iter().map(|x| x.unwrap()).fold(0.0, f64::max) - 1.0;
    assert!(peak < 6.0, "peak {peak} replicas");
    assert!(
        per_write > 1.0 && per_write <= peak + 0.05,
        "{per_write} applies per write, at most {peak} replicas"
    );
    // A replica takes reads only once ready and caught up: stale reads stay as rare as with
    // a fixed replica count (replication lag exp(20 ms) against 100,000 keys).
    let stale = extra(&r, "stale_read_ratio");
    assert!(stale < 0.1, "stale_read_ratio {stale}");
}

const PLATEAU: &str = r#"
[run]
duration = "12m"
warmup = "4m"

[traffic]
entry = "db"
rate = 4000
profile = [{ at = "0s", factor = 0.25 }, { at = "2m", factor = 1.0 }]

[components.db]
kind = "database"
replicas = 1
cores = 8
replica_autoscale = { target_utilization = 0.6, interval = "10s", stabilization = "1m", min = 1, max = 6, startup = "20s" }
[components.db.endpoints.default]
cpu = "exp(2ms)"
"#;

#[test]
fn replica_utilization_settles_near_the_target() {
    // Reads only (no write classes): the primary is idle, so the replicas' utilization is
    // the busy time over the ready replicas. 4,000 reads/s x 2 ms = 8 busy cores: at 60% of
    // 8 cores, 1.7 replicas, so 2 at 50% (the HPA rule rounds up: the utilization ends
    // between target x (n - 1) / n and the target).
    let r = from_str(PLATEAU, "plateau.toml", &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .run()
        .unwrap_or_else(|e| panic!("{e}"));
    conserved(&r);
    let db = &r.components["db"];
    let mean = extra(&r, "mean_instances");
    let u = db.utilization.unwrap() * mean / (mean - 1.0);
    assert!(
        (0.45..=0.6).contains(&u),
        "replica utilization {u}, {mean} instances"
    );
    // Primary + 2 replicas over the measured window (the load rose before it).
    assert!((2.9..=3.1).contains(&mean), "mean_instances {mean}");
}

/// The problems `text` is rejected with (it must be rejected).
fn problems(text: &str) -> String {
    match from_str(text, "bad.toml", &[]) {
        Ok(_) => panic!("accepted an invalid scenario:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_replica_autoscale_keys_are_reported_with_positions() {
    let cases: [(&str, &str, &str); 7] = [
        // (replaced text, replacement, expected message)
        ("replicas = 1\n", "", "needs `replicas`"),
        ("cores = 8\n", "", "so the database needs `cores`"),
        (
            "min = 1, max = 6",
            "min = 4, max = 3",
            "min (4) is above max (3)",
        ),
        (
            "target_utilization = 0.6",
            "target_utilization = 1.5",
            "replica_autoscale.target_utilization must be",
        ),
        ("max = 6", "max = 200", "above 100 replicas"),
        (
            "startup = \"20s\"",
            "startup = \"20s\", warmup = \"1s\"",
            "unknown key `warmup`",
        ),
        (
            "interval = \"10s\"",
            "interval = \"1ms\"",
            "replica_autoscale.interval must be at least",
        ),
    ];
    for (from, to, want) in cases {
        let text = PLATEAU.replacen(from, to, 1);
        let e = problems(&text);
        let line = line_of(&text, "replica_autoscale");
        assert!(
            e.contains(&format!("bad.toml:{line}:")),
            "{want}: no position in:\n{e}"
        );
        assert!(e.contains(want), "`{want}` missing from:\n{e}");
    }
    // On a service, and together with failover.
    let text = PLATEAU.replace("kind = \"database\"", "kind = \"service\"");
    let e = problems(&text);
    assert!(
        e.contains("`replica_autoscale` does not apply to a component of kind \"service\""),
        "{e}"
    );
    let text = PLATEAU.replace(
        "replicas = 1\n",
        "replicas = 1\nfailover = { detect = \"5s\", promote = \"5s\" }\n",
    );
    let e = problems(&text);
    let line = line_of(&text, "failover");
    assert!(e.contains(&format!("bad.toml:{line}:")), "{e}");
    assert!(
        e.contains("`failover` and `replica_autoscale` do not combine"),
        "{e}"
    );
}

#[test]
fn the_command_exits_2_on_a_bad_replica_autoscale() {
    let dir =
        crate::common::tmp_root().join(format!("archsim-replica-autoscale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.toml");
    let text = PLATEAU.replacen("max = 6", "max = 0", 1);
    std::fs::write(&p, &text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simulate"))
        .arg("check")
        .arg(&p)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let loc = format!("{}:{}:", p.display(), line_of(&text, "replica_autoscale"));
    assert!(
        err.contains(&loc) && err.contains("replica_autoscale.max"),
        "{err}"
    );
}
