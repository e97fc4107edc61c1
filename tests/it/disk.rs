//! A database's disk: a commit's I/O and fsync as a FIFO server per instance (against the
//! M/D/1 and M/M/1 closed forms), and group commit's shared fsyncs.

use crate::common::{conserved, inline};
use archsim::stats::SimResult;

/// Writes only, Poisson at `rate`, to a database with unlimited cores (0.1 ms of CPU each),
/// and the disk keys `disk`.
fn writes(rate: f64, duration: &str, disk: &str) -> String {
    format!(
        r#"
[run]
duration = "{duration}"
warmup = "10s"
[traffic]
entry = "db"
rate = {rate}
timeout = "1s"
[traffic.classes.write]
weight = 1
[components.db]
kind = "database"
{disk}
[components.db.endpoints.write]
cpu = "0.1ms"
"#
    )
}

fn extra(r: &SimResult, key: &str) -> f64 {
    r.components["db"].extra[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key}"))
}

/// IOPS alone make each commit a constant 1/iops: an M/D/1 queue, whose mean wait is
/// rho s / (2 (1 - rho)) (Pollaczek-Khinchine).
#[test]
fn an_iops_limited_disk_is_an_md1_queue() {
    let r = inline(&writes(700.0, "300s", "disk_iops = 1000"), &[]);
    conserved(&r);
    let (s, rho) = (1.0, 0.7);
    let want = 0.1 + s + rho * s / (2.0 * (1.0 - rho));
    let got = r.latency_ms.mean.unwrap();
    // ~200,000 commits, correlated over the queue's busy periods (tens of ms): the mean
    // is good to about 1%; allow 4%.
    assert!(
        (got - want).abs() < 0.04 * want,
        "mean {got:.4} ms, M/D/1 {want:.4} ms"
    );
    let u = extra(&r, "disk_utilization");
    // The work that arrived: 700/s x 1 ms, Poisson over 290 s: within 0.005; allow 0.015.
    assert!((u - rho).abs() < 0.015, "disk utilization {u}");
    assert_eq!(extra(&r, "commits_per_disk_op"), 1.0);
}

/// An exponential fsync and no other limit: an M/M/1 queue, mean time 1 / (mu - lambda).
#[test]
fn an_exponential_fsync_is_an_mm1_queue() {
    let r = inline(&writes(700.0, "300s", "wal_fsync = \"exp(1ms)\""), &[]);
    conserved(&r);
    let want = 0.1 + 1.0 / (1000.0 - 700.0) * 1e3;
    let got = r.latency_ms.mean.unwrap();
    // The M/M/1 at rho = 0.7 relaxes in ~40 ms: ~3,600 independent stretches in 290 s, a
    // standard error of about 2% of the mean; allow 7%.
    assert!(
        (got - want).abs() < 0.07 * want,
        "mean {got:.4} ms, M/M/1 {want:.4} ms"
    );
    assert_eq!(extra(&r, "fsyncs"), extra(&r, "disk_commits"));
}

/// Group commit: 2,000 commits/s against a 2 ms fsync, 4 times what one fsync per commit
/// can do. Alone, the disk commits at most 500 a second and the rest time out; grouped,
/// the disk is busy back to back, and idle only when no commit came during an fsync
/// (probability exp(-lambda 2 ms)), when it waits for one and for the 1 ms window: an
/// fsync every 2 + exp(-4) (0.5 + 1) ms, each for lambda times that many commits.
#[test]
fn group_commit_shares_fsyncs_and_multiplies_throughput() {
    let alone = inline(&writes(2000.0, "60s", "wal_fsync = \"2ms\""), &[]);
    conserved(&alone);
    // The measured window is 50 s: at most 500 fsyncs (and commits) a second.
    assert!(extra(&alone, "fsyncs") <= 500.0 * 50.0 + 1.0);
    assert!(alone.throughput_rps < 510.0, "{}", alone.throughput_rps);
    assert!(alone.error_rate > 0.5, "{}", alone.error_rate);

    let grouped = inline(
        &writes(2000.0, "60s", "wal_fsync = \"2ms\"\ngroup_commit = \"1ms\""),
        &[],
    );
    conserved(&grouped);
    assert_eq!(grouped.error_rate, 0.0);
    let cycle_ms = 2.0 + (-4.0f64).exp() * (0.5 + 1.0);
    let rate = extra(&grouped, "fsyncs") / 50.0;
    // ~25,000 fsyncs: the idle gaps are rare (2%), so the count is within 0.5%; allow 1.5%.
    assert!(
        (rate - 1e3 / cycle_ms).abs() < 0.015 * 1e3 / cycle_ms,
        "{rate} fsyncs/s, expected {}",
        1e3 / cycle_ms
    );
    let per = extra(&grouped, "commits_per_disk_op");
    assert!(
        (per - 2.0 * cycle_ms).abs() < 0.06 * 2.0 * cycle_ms,
        "{per} commits per fsync, expected {}",
        2.0 * cycle_ms
    );
    assert!((grouped.throughput_rps - 2000.0).abs() < 40.0);
}
