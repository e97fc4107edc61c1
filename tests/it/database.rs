//! Databases: replicas, stale reads, row locks.

use crate::common::{file, series, zipf};
use archsim::scenario::from_str;
use archsim::stats::SimResult;

fn replicated(lag: &str, reads: &str) -> String {
    format!(
        r#"
[run]
duration = "300s"
warmup = "20s"
[traffic]
entry = "db"
rate = 2000
keys = {{ count = 1000, zipf = 0.8 }}
[traffic.classes.read]
weight = 0.9
[traffic.classes.write]
weight = 0.1
[components.db]
kind = "database"
replicas = 2
replication_lag = "{lag}"
reads = "{reads}"
[components.db.endpoints.default]
cpu = "0.1ms"
"#
    )
}

fn extra(r: &SimResult, key: &str) -> f64 {
    r.components["db"].extra[key].as_f64().unwrap_or(0.0)
}

#[test]
fn stale_reads_follow_the_replication_lag() {
    // Writes of key k arrive as a Poisson stream of rate W p_k. A read of k at a replica is
    // stale if a write of k committed within the last L (lag plus the 0.1 ms apply), so
    // P(stale) = sum_k p_k (1 - exp(-W p_k L)) for reads and writes over the same keys.
    let p = zipf(1000, 0.8);
    let w = 2000.0 * 0.1;
    let mut last = 0.0;
    for lag_ms in [10.0, 50.0, 200.0] {
        let r = from_str(
            &replicated(&format!("{lag_ms}ms"), "replicas"),
            "r.toml",
            &[],
        )
        .unwrap()
        .run()
        .unwrap();
        let l = (lag_ms + 0.1) / 1000.0;
        let want: f64 = p.iter().map(|pk| pk * (1.0 - (-w * pk * l).exp())).sum();
        let got = extra(&r, "stale_read_ratio");
        // ~490,000 replica reads: binomial error below 0.001; allow 0.01.
        assert!(
            (got - want).abs() < 0.01,
            "lag {lag_ms} ms: stale ratio {got:.4}, expected {want:.4}"
        );
        assert!(got > last, "stale reads grow with the lag");
        last = got;
        let lag = extra(&r, "replication_lag_ms_mean");
        assert!((lag - (lag_ms + 0.1)).abs() < 0.05, "mean lag {lag}");
    }
    // Reading from the primary is never stale; the replicas only apply writes.
    let r = from_str(&replicated("200ms", "primary"), "r.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(r.components["db"].extra["stale_reads"], 0);
    let served = &r.components["db"].per_instance.as_ref().unwrap().served;
    assert!(served[0] > 5 * served[1], "{served:?}");
}

#[test]
fn writes_to_one_key_serialize_on_its_row_lock() {
    // 150 writes/s, all to one key, 5 ms each, on an 8-core primary. With row locks the key
    // is a single server: M/M/1 at rho = 0.75, mean response 1/(200 - 150) s = 20 ms.
    // Without locks the 8 cores barely notice: about the 5 ms service time.
    let text = |locks: bool| {
        format!(
            r#"
[run]
duration = "400s"
warmup = "20s"
[traffic]
entry = "db"
rate = 150
keys = {{ count = 1, zipf = 0 }}
[traffic.classes.write]
weight = 1
[components.db]
kind = "database"
cores = 8
row_locks = {locks}
[components.db.endpoints.default]
cpu = "exp(5ms)"
"#
        )
    };
    let locked = from_str(&text(true), "l.toml", &[]).unwrap().run().unwrap();
    let mean = locked.latency_ms.mean.unwrap();
    // 57,000 requests at rho 0.75: relative standard error ~2.6%; allow 4 of them.
    assert!(
        (mean - 20.0).abs() < 20.0 * 0.104,
        "with row locks: mean {mean:.2} ms, expected 20"
    );
    assert!(
        locked.components["db"].extra["lock_waits"]
            .as_u64()
            .unwrap()
            > 20_000
    );
    let free = from_str(&text(false), "nl.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    let mean = free.latency_ms.mean.unwrap();
    assert!(
        (mean - 5.0).abs() < 0.3,
        "without row locks: mean {mean:.2} ms, expected ~5"
    );
}

#[test]
fn replica_keys_are_checked() {
    let text =
        replicated("50ms", "replicas").replace("replicas = 2", "replicas = 2\ninstances = 3");
    let e = from_str(&text, "x.toml", &[]).unwrap_err().to_string();
    assert!(e.contains("drop `instances`"), "{e}");
    let text = replicated("50ms", "nearest");
    let e = from_str(&text, "x.toml", &[]).unwrap_err().to_string();
    assert!(e.contains("primary, replicas, any"), "{e}");
}

#[test]
fn vertical_scaling_is_more_cores() {
    // The same database at 1,900 queries/s of 4 ms: 7.6 busy cores. With 8 cores it runs at
    // 95% and queues; with 16 at 47.5%, and queueing all but vanishes.
    let text = |cores: u32| {
        format!(
            "[run]\nduration = \"120s\"\nwarmup = \"10s\"\n[traffic]\nentry = \"db\"\nrate = 1900\n\
             [components.db]\nkind = \"database\"\ncores = {cores}\n\
             [components.db.endpoints.default]\ncpu = \"exp(4ms)\"\n"
        )
    };
    let small = from_str(&text(8), "v.toml", &[]).unwrap().run().unwrap();
    let big = from_str(&text(16), "v.toml", &[]).unwrap().run().unwrap();
    let u = |r: &SimResult| r.components["db"].utilization.unwrap();
    assert!((u(&small) - 0.95).abs() < 0.015, "{}", u(&small));
    assert!((u(&big) - 0.475).abs() < 0.01, "{}", u(&big));
    let (p99s, p99b) = (small.latency_ms.p99.unwrap(), big.latency_ms.p99.unwrap());
    assert!(
        p99b < p99s * 0.6,
        "p99 {p99s:.1} ms on 8 cores, {p99b:.1} ms on 16"
    );
    // On 16 cores the response is nearly the bare service time: exp(4 ms), p99 = 18.4 ms.
    assert!((p99b - 18.42).abs() < 1.0, "p99 on 16 cores {p99b:.2}");
}

#[test]
fn replication_lag_has_a_series_whose_mean_is_the_runs_mean() {
    // Each bucket's value is the mean lag of the writes applied in it; at a steady write
    // rate their average is the run's replication_lag_ms_mean (the figure counts the
    // measured window only, the series the whole run: close, not equal).
    let r = file("scenarios/read-replicas.toml", &[]);
    let db = &r.components["db"];
    let lag = series(&r, "db", "replication_lag_ms");
    let values: Vec<f64> = lag.iter().flatten().copied().collect();
    assert!(values.len() > 10, "{lag:?}");
    let avg = values.iter().sum::<f64>() / values.len() as f64;
    let mean = db.extra["replication_lag_ms_mean"].as_f64().unwrap();
    assert!((avg - mean).abs() < 0.05 * mean, "{avg} vs {mean}");
}
