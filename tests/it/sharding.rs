//! Key routing: sharded databases, hot shards and scatter-gather.

use archsim::scenario::from_str;

fn sharded(sharding: &str, zipf: f64, rate: u32, extra: &str) -> String {
    format!(
        r#"
[run]
duration = "200s"
warmup = "20s"
[traffic]
entry = "db"
rate = {rate}
keys = {{ count = 1000000, zipf = {zipf} }}
{extra}
[components.db]
kind = "database"
shards = 8
sharding = "{sharding}"
cores = 1
queue = 1000
[components.db.endpoints.default]
cpu = "exp(1ms)"
"#
    )
}

#[test]
fn a_hot_key_range_saturates_one_shard_while_the_others_idle() {
    // 4000/s over 8 one-core shards of 1 ms is 50% load if spread evenly. With Zipf(1.1)
    // keys and range sharding, shard 0 holds every popular key.
    let r = from_str(&sharded("range", 1.1, 4000, ""), "hot.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    let per = r.components["db"].per_instance.as_ref().unwrap();
    let util = per.utilization.as_ref().unwrap();
    assert!(util[0] > 0.99, "shard 0 saturated: {util:?}");
    for (i, u) in util.iter().enumerate().skip(1) {
        assert!(*u < 0.15, "shard {i} idles: {util:?}");
    }
    assert!(r.errors.get("rejected").copied().unwrap_or(0) > 0);
    assert!(r.summary().contains("hot instance: db[0]"));

    // Hashing spreads the popular keys: every shard works. The single hottest key (9% of all
    // requests under Zipf 1.1) still makes its shard the busiest: a hot key, not a hot range.
    let r = from_str(&sharded("hash", 1.1, 4000, ""), "hash.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    let util = r.components["db"]
        .per_instance
        .as_ref()
        .unwrap()
        .utilization
        .clone()
        .unwrap();
    assert!(util.iter().all(|u| *u > 0.25 && *u < 0.99), "{util:?}");
}

#[test]
fn consistent_hashing_spreads_uniform_keys_evenly() {
    let r = from_str(&sharded("consistent", 0.0, 2000, ""), "ring.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    let served = &r.components["db"].per_instance.as_ref().unwrap().served;
    let mean = served.iter().sum::<u64>() as f64 / served.len() as f64;
    // 64 virtual nodes per shard: arc lengths vary by about 1/sqrt(64) = 12.5%.
    for s in served {
        let dev = (*s as f64 - mean).abs() / mean;
        assert!(dev < 0.35, "shard loads {served:?}");
    }
}

#[test]
fn scatter_gather_latency_follows_the_slowest_shard() {
    // A request without a key asks all 8 shards at once and waits for all. With unlimited
    // cores each shard is a pure exp(1 ms) delay, so the latency is the maximum of 8
    // exponentials: mean H_8 = 1 + 1/2 + ... + 1/8 = 2.718 ms, p99 = -ln(1 - 0.99^(1/8)) ms.
    let text = r#"
[run]
duration = "100s"
[traffic]
entry = "app"
rate = 1000
[components.app]
kind = "service"
[components.app.endpoints.default]
calls = ["db"]
[components.db]
kind = "database"
shards = 8
[components.db.endpoints.default]
cpu = "exp(1ms)"
"#;
    let r = from_str(text, "sg.toml", &[]).unwrap().run().unwrap();
    let h8: f64 = (1..=8).map(|k| 1.0 / k as f64).sum();
    let mean = r.latency_ms.mean.unwrap();
    // 100,000 requests; the max of 8 exp(1) has sd sqrt(sum 1/k^2) = 1.24 ms, so the standard
    // error of the mean is 0.004 ms; allow 5 of them.
    assert!(
        (mean - h8).abs() < 0.02,
        "mean {mean:.4} ms, expected {h8:.4}"
    );
    let p99_want = -(1.0 - 0.99f64.powf(1.0 / 8.0)).ln();
    let p99 = r.latency_ms.p99.unwrap();
    assert!(
        (p99 - p99_want).abs() / p99_want < 0.03,
        "p99 {p99:.3} ms, expected {p99_want:.3}"
    );
    assert_eq!(r.components["db"].served, 8 * r.components["app"].served);
}

#[test]
fn unkeyed_classes_scatter_while_keyed_ones_route() {
    let extra = "[traffic.classes.get]\nweight = 0.9\n[traffic.classes.scan]\nweight = 0.1\nkeyed = false\n\
                 [components.app]\nkind = \"service\"\n[components.app.endpoints.default]\ncalls = [\"db\"]\n";
    let text = sharded("hash", 0.0, 1000, extra).replace("entry = \"db\"", "entry = \"app\"");
    let r = from_str(&text, "mix.toml", &[]).unwrap().run().unwrap();
    // Each get is one call; each scan is eight.
    let db = &r.components["db"];
    let gets = r.classes["get"].succeeded as f64;
    let scans = r.classes["scan"].succeeded as f64;
    let want = (gets + 8.0 * scans) / (gets + scans);
    let calls_per_request = db.served as f64 / r.requests.succeeded as f64;
    assert!(
        (calls_per_request - want).abs() < 0.05,
        "{calls_per_request} vs {want}"
    );
}

#[test]
fn a_reshard_moves_keys_to_new_shards_at_a_capacity_cost() {
    // 4 shards at 70% load; from 60 s to 120 s the data moves to 8 shards, every shard paying
    // 1.5x CPU for the copying (105%: overloaded while it runs); then 8 shards at 35%.
    let text = r#"
[run]
duration = "180s"
series_interval = "10s"
[traffic]
entry = "db"
rate = 2800
keys = { count = 1000000, zipf = 0 }
[components.db]
kind = "database"
shards = 4
sharding = "consistent"
cores = 1
queue = 100
[components.db.endpoints.default]
cpu = "exp(1ms)"
[[faults]]
at = "60s"
for = "60s"
target = "db"
kind = "reshard"
to = 8
factor = 1.5
"#;
    let r = from_str(text, "reshard.toml", &[]).unwrap().run().unwrap();
    // The model's own entries (the analysis adds saturation and error-rate changes: the
    // overloaded shards saturate while the move runs).
    let derived = ["saturated", "recovered", "errors_high", "errors_normal"];
    let faults: Vec<_> = r
        .timeline
        .iter()
        .filter(|e| !derived.contains(&e.event.as_str()))
        .collect();
    let events: Vec<&str> = faults.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, ["reshard_start", "reshard_end"]);
    assert!(
        faults[0].detail.contains("4 -> 8 shards"),
        "{}",
        faults[0].detail
    );
    let served = &r.components["db"].per_instance.as_ref().unwrap().served;
    assert_eq!(served.len(), 8);
    // The new shards took keys during and after the move: about half of the last 90 s.
    let new: u64 = served[4..].iter().sum();
    let total: u64 = served.iter().sum();
    let share = new as f64 / total as f64;
    assert!((share - 0.25).abs() < 0.06, "new shards' share {share}");
    // The move's cost shows in the latency while it runs and is gone after.
    let p99 = &r.series.p99_ms;
    let during = p99[9].unwrap(); // 90-100 s
    let after = p99[15].unwrap(); // 150-160 s
    let before = p99[3].unwrap(); // 30-40 s
    assert!(
        during > 2.0 * before,
        "p99 during {during:.1} ms, before {before:.1} ms"
    );
    assert!(
        after < before,
        "p99 after {after:.1} ms, before {before:.1} ms"
    );
}

#[test]
fn a_reshard_needs_a_sharded_target() {
    let text = sharded("hash", 0.0, 100, "").replace("shards = 8\nsharding = \"hash\"\n", "")
        + "[[faults]]\nat = \"1s\"\nfor = \"1s\"\ntarget = \"db\"\nkind = \"reshard\"\nto = 4\n";
    let e = from_str(&text, "x.toml", &[]).unwrap_err().to_string();
    assert!(e.contains("needs a sharded database"), "{e}");
}
