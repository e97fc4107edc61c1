//! The cache kind against theory: Che's approximation for LRU under Zipf, LFU against LRU, and
//! the hit ratio of a TTL cache under independent (Poisson) requests.

use crate::common::zipf;
use archsim::scenario::from_str;
use archsim::stats::SimResult;

/// A client, one cache instance and a zero-time database behind it.
fn scenario(keys: u64, zipf: f64, capacity: u64, eviction: &str, ttl: Option<&str>) -> String {
    let ttl = ttl.map_or(String::new(), |t| format!("ttl = \"{t}\"\n"));
    format!(
        r#"
[run]
duration = "600s"
warmup = "100s"
[traffic]
entry = "cache"
rate = 1000
keys = {{ count = {keys}, zipf = {zipf} }}
[components.cache]
kind = "cache"
capacity = {capacity}
eviction = "{eviction}"
{ttl}hit = "0.2ms"
backing = "db"
[components.db]
kind = "database"
[components.db.endpoints.default]
cpu = "2ms"
"#
    )
}

fn hit_ratio(r: &SimResult) -> f64 {
    r.components["cache"].extra["hit_ratio"].as_f64().unwrap()
}

/// Che's approximation: the characteristic time T solves sum_i (1 - e^{-p_i T}) = C; the hit
/// ratio is sum_i p_i (1 - e^{-p_i T}): the size-aware form with every entry of size 1.
fn che_lru_hit_ratio(p: &[f64], capacity: f64) -> f64 {
    crate::cache_bytes::che_bytes_hit_ratio(p, &vec![1.0; p.len()], capacity)
}

#[test]
fn lru_hit_ratio_matches_che() {
    // 500,000 measured lookups: the binomial standard error of the hit ratio is below 0.001
    // (inflated a little by correlation between successive lookups); Che's approximation is
    // accurate to a few thousandths at these sizes. The issue asks for 0.01.
    for (n, s, c) in [
        (10_000usize, 0.8, 1_000u64),
        (20_000, 1.0, 500),
        (5_000, 0.6, 2_000),
    ] {
        let r = from_str(&scenario(n as u64, s, c, "lru", None), "che.toml", &[])
            .unwrap()
            .run()
            .unwrap();
        let want = che_lru_hit_ratio(&zipf(n, s), c as f64);
        let got = hit_ratio(&r);
        assert!(
            (got - want).abs() < 0.01,
            "LRU n={n} s={s} C={c}: expected {want:.4} +- 0.01 (Che), got {got:.4}"
        );
    }
}

#[test]
fn lfu_beats_lru_on_a_static_zipf_workload() {
    let run = |ev: &str| {
        let r = from_str(&scenario(10_000, 0.8, 1_000, ev, None), "lfu.toml", &[])
            .unwrap()
            .run()
            .unwrap();
        hit_ratio(&r)
    };
    let (lru, lfu) = (run("lru"), run("lfu"));
    // No policy beats holding the C most popular keys. In-cache LFU (counts are forgotten on
    // eviction) settles on a set close to it; LRU keeps churning.
    let ideal: f64 = zipf(10_000, 0.8)[..1_000].iter().sum();
    assert!(lfu > lru + 0.05, "LFU {lfu:.4} should beat LRU {lru:.4}");
    assert!(
        lfu <= ideal + 0.005,
        "LFU {lfu:.4} above the top-C ideal {ideal:.4}"
    );
    let fifo = run("fifo");
    let random = run("random");
    // FIFO and random ignore recency; under independent requests both behave alike and
    // below LRU.
    assert!(
        fifo < lru && random < lru,
        "fifo {fifo:.4} random {random:.4} lru {lru:.4}"
    );
}

#[test]
fn ttl_hit_ratio_follows_the_renewal_formula() {
    // With room for every key, a key requested at Poisson rate l_i is stored at a miss and
    // serves every request in the next TTL: its hit ratio is l_i T / (1 + l_i T).
    let (n, s, rate, ttl_s) = (10_000usize, 0.8, 1000.0, 1.0);
    let r = from_str(
        &scenario(n as u64, s, n as u64, "lru", Some("1s")),
        "ttl.toml",
        &[],
    )
    .unwrap()
    .run()
    .unwrap();
    let want: f64 = zipf(n, s)
        .iter()
        .map(|p| {
            let x = p * rate * ttl_s;
            p * x / (1.0 + x)
        })
        .sum();
    let got = hit_ratio(&r);
    assert!(
        (got - want).abs() < 0.01,
        "TTL: expected {want:.4} +- 0.01, got {got:.4}"
    );
    // ... and lower than without a TTL.
    let no_ttl = from_str(&scenario(n as u64, s, n as u64, "lru", None), "t.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    assert!(hit_ratio(&no_ttl) > got + 0.1);
    assert!(r.components["cache"].extra["expirations"].as_u64().unwrap() > 0);
}

#[test]
fn writes_invalidate_and_reads_without_keys_miss() {
    let text = r#"
[run]
duration = "100s"
warmup = "10s"
[traffic]
entry = "cache"
rate = 500
keys = { count = 10, zipf = 0 }
[traffic.classes.read]
weight = 0.9
[traffic.classes.write]
weight = 0.1
[components.cache]
kind = "cache"
capacity = 100
backing = "db"
[components.db]
kind = "database"
[components.db.endpoints.default]
cpu = "1ms"
"#;
    let r = from_str(text, "w.toml", &[]).unwrap().run().unwrap();
    let c = &r.components["cache"];
    let (hits, misses, writes) = (
        c.extra["hits"].as_u64().unwrap(),
        c.extra["misses"].as_u64().unwrap(),
        c.extra["writes"].as_u64().unwrap(),
    );
    // A write removes its key if present, i.e. when the key's previous request was a read
    // (probability 0.9); the next read of the key then misses. Reads arriving while that miss
    // waits for the database (1 ms, at 45 reads/s per key) miss too: 4.5% more.
    assert!(writes > 4000, "writes {writes}");
    let want = 0.9 * writes as f64 * 1.045;
    let rel = (misses as f64 - want).abs() / want;
    assert!(rel < 0.05, "misses {misses}, expected {want:.0} +- 5%");
    assert!(hits > 30_000);
    // Writes took the database's time, hits the cache's (zero here).
    assert!(r.classes["write"].latency_ms.p50.unwrap() >= 1.0);
    assert!(r.classes["read"].latency_ms.p50.unwrap() < 0.01);

    // Without keys, every read misses.
    let text = text.replace("keys = { count = 10, zipf = 0 }", "");
    let r = from_str(&text, "w.toml", &[]).unwrap().run().unwrap();
    assert_eq!(r.components["cache"].extra["hits"], 0);
}

#[test]
fn write_behind_loses_exactly_the_unflushed_writes_in_a_crash() {
    // 100 writes/s evenly spaced, each to a fresh key; the buffer is flushed every 10 s,
    // counted from the first write after a flush (t = 0, 10, 20, ...). A crash at 25 s finds
    // the writes of [20 s, 25 s) in the buffer: exactly 500.
    let text = r#"
[run]
duration = "60s"
[traffic]
entry = "cache"
rate = 100
arrivals = "uniform"
keys = { count = 1000000000000, zipf = 0 }
[traffic.classes.write]
weight = 1
[components.cache]
kind = "cache"
capacity = 100000
backing = "db"
write_policy = "behind"
flush_interval = "10s"
hit = "0.1ms"
[components.db]
kind = "database"
[components.db.endpoints.default]
cpu = "2ms"
[[faults]]
at = "25s"
for = "1s"
target = "cache"
kind = "crash"
"#;
    let r = from_str(text, "wb.toml", &[]).unwrap().run().unwrap();
    let c = &r.components["cache"].extra;
    let n = |k: &str| c[k].as_u64().unwrap();
    assert_eq!(n("lost_writes"), 500);
    // Every write is flushed, lost, or still buffered at the end.
    let writes = r.requests.generated - r.requests.failed;
    assert_eq!(
        n("flushed_writes") + n("lost_writes") + n("unflushed_writes"),
        writes
    );
    // Writes were answered by the cache, not the database.
    assert!(r.latency_ms.p99.unwrap() < 0.2);
}

#[test]
fn coalescing_cuts_backing_calls_in_a_stampede() {
    // One hot key, cached for 1 s; the database takes 50 ms to answer. Each expiry lets every
    // read of the next 50 ms miss (about 50 at 1000/s) unless concurrent misses coalesce.
    let text = |coalesce: bool| {
        format!(
            r#"
[run]
duration = "60s"
[traffic]
entry = "cache"
rate = 1000
keys = {{ count = 1, zipf = 0 }}
[components.cache]
kind = "cache"
capacity = 10
ttl = "1s"
backing = "db"
coalesce = {coalesce}
[components.db]
kind = "database"
[components.db.endpoints.default]
cpu = "50ms"
"#
        )
    };
    let plain = from_str(&text(false), "s.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    let merged = from_str(&text(true), "s.toml", &[]).unwrap().run().unwrap();
    let (a, b) = (
        plain.components["db"].served,
        merged.components["db"].served,
    );
    // About 58 expiries (every 1.05 s): ~2900 calls without coalescing, ~58 with.
    assert!(a > 2_500, "stampede: {a} database calls");
    assert!(b < 70, "coalesced: {b} database calls");
    assert!(
        merged.components["cache"].extra["coalesced"]
            .as_u64()
            .unwrap()
            > 2_400
    );
    assert_eq!(merged.error_rate, 0.0);
}

/// A CDN with its own store takes `coalesce` as a cache does: concurrent misses of one key
/// at the edge share one call to the origin, and each waiting request still pays its own
/// user-to-edge round trip. (The key was accepted and ignored before: every miss went to
/// the origin.)
#[test]
fn a_cdn_coalesces_misses_of_one_key() {
    let text = |coalesce: bool| {
        format!(
            r#"
[run]
duration = "60s"
[traffic]
entry = "cdn"
rate = 1000
keys = {{ count = 1, zipf = 0 }}
[components.cdn]
kind = "cdn"
classes = ["default"]
capacity = 10
ttl = "1s"
edge_latency = "20ms"
backing = "db"
coalesce = {coalesce}
[components.db]
kind = "database"
[components.db.endpoints.default]
cpu = "50ms"
"#
        )
    };
    let plain = from_str(&text(false), "s.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    let merged = from_str(&text(true), "s.toml", &[]).unwrap().run().unwrap();
    let (a, b) = (
        plain.components["db"].served,
        merged.components["db"].served,
    );
    // About 57 expiries (every 1.05 s): ~2,900 origin calls without coalescing, ~57 with.
    assert!(a > 2_500, "stampede: {a} origin calls");
    assert!(b < 70, "coalesced: {b} origin calls");
    assert!(
        merged.components["cdn"].extra["coalesced"]
            .as_u64()
            .unwrap()
            > 2_400
    );
    assert_eq!(merged.error_rate, 0.0);
    // Every request pays the 20 ms edge round trip, those that waited included.
    let p50 = merged.latency_ms.p50.unwrap();
    assert!(p50 >= 19.9, "p50 {p50}");
    assert!(merged.latency_ms.max.unwrap() >= 70.0);
}

#[test]
fn write_through_keeps_written_keys_cached() {
    let text = |policy: &str| {
        format!(
            r#"
[run]
duration = "60s"
warmup = "5s"
[traffic]
entry = "cache"
rate = 500
keys = {{ count = 20, zipf = 0 }}
[traffic.classes.read]
weight = 0.8
[traffic.classes.write]
weight = 0.2
[components.cache]
kind = "cache"
capacity = 100
backing = "db"
write_policy = "{policy}"
[components.db]
kind = "database"
[components.db.endpoints.default]
cpu = "1ms"
"#
        )
    };
    let through = from_str(&text("through"), "t.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    let aside = from_str(&text("aside"), "a.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    let ratio = |r: &SimResult| hit_ratio(r);
    // Write-through: once warm, a read always finds its key (the write stored it).
    assert!(ratio(&through) > 0.999, "through {}", ratio(&through));
    // Cache-aside: each write invalidates; the key's next read misses.
    assert!(ratio(&aside) < 0.85, "aside {}", ratio(&aside));
    // Write-through writes still wait for the database.
    assert!(through.classes["write"].latency_ms.p50.unwrap() >= 1.0);
}

#[test]
fn a_cdn_serves_static_classes_at_the_edge() {
    let text = r#"
[run]
duration = "100s"
warmup = "10s"
[traffic]
entry = "cdn"
rate = 1000
[traffic.classes.static]
weight = 0.7
[traffic.classes.api]
weight = 0.3
[components.cdn]
kind = "cdn"
classes = ["static"]
hit_ratio = 0.9
edge_latency = "20ms"
backing = "origin"
[components.origin]
kind = "service"
[components.origin.endpoints.default]
cpu = "30ms"
"#;
    let r = from_str(text, "cdn.toml", &[]).unwrap().run().unwrap();
    // The origin sees 10% of static requests and every API request: 0.07 + 0.3 of the load.
    let origin = r.components["origin"].served as f64 / r.requests.succeeded as f64;
    assert!((origin - 0.37).abs() < 0.01, "origin share {origin}");
    let h = r.components["cdn"].extra["hit_ratio"].as_f64().unwrap();
    assert!((h - 0.9).abs() < 0.01, "edge hit ratio {h}");
    // Static: 90% answered at the edge (20 ms), the rest 20 + 30 ms; API always 50 ms.
    let s = &r.classes["static"].latency_ms;
    assert!((s.p50.unwrap() - 20.0).abs() < 0.1, "{s:?}");
    assert!((s.mean.unwrap() - 23.0).abs() < 0.3, "{s:?}");
    assert!((r.classes["api"].latency_ms.p50.unwrap() - 50.0).abs() < 0.1);
    assert_eq!(r.components["cdn"].kind, "cdn");
}

#[test]
fn refresh_ahead_keeps_popular_entries_from_expiring() {
    let text = |refresh: &str| {
        format!(
            r#"
[run]
duration = "60s"
warmup = "5s"
[traffic]
entry = "cache"
rate = 1000
keys = {{ count = 10, zipf = 0 }}
[components.cache]
kind = "cache"
capacity = 100
ttl = "1s"
{refresh}
backing = "db"
[components.db]
kind = "database"
[components.db.endpoints.default]
cpu = "5ms"
"#
        )
    };
    let plain = from_str(&text(""), "r.toml", &[]).unwrap().run().unwrap();
    let ahead = from_str(&text("refresh_ahead = 0.8"), "r.toml", &[])
        .unwrap()
        .run()
        .unwrap();
    let c = |r: &SimResult, k: &str| r.components["cache"].extra[k].as_u64().unwrap();
    // Without refresh-ahead each of the 10 keys expires about once a second and its next
    // reads miss; with it, a read after 0.8 s refreshes the entry in the background.
    assert!(
        c(&plain, "expirations") > 400,
        "{}",
        c(&plain, "expirations")
    );
    assert_eq!(c(&ahead, "expirations"), 0);
    assert_eq!(
        c(&ahead, "misses"),
        0,
        "warm and refreshed: every measured read hits"
    );
    let refreshes = c(&ahead, "refreshes");
    assert!(
        (refreshes as f64 - 55.0 * 10.0 / 0.8).abs() < 60.0,
        "refreshes {refreshes}"
    );
}
