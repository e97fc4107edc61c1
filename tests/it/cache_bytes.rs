//! A cache sized in bytes (`entry_size`, `max_memory`): LRU against the size-aware Che
//! approximation, small entries against big ones in one budget, the byte budget against the
//! entry count it amounts to with one size, a machine's memory as the budget, and the checks.

use crate::common::{inline, series, zipf};
use archsim::models::{Dist, EntrySizes};
use archsim::scenario::from_str;
use archsim::stats::SimResult;

/// A client at 1,000 requests/s for 600 s (100 s of warm-up) over `keys` Zipf(`s`) keys, one
/// cache instance with the keys `cache` (besides `kind`, `hit` and `backing`) and a 2 ms
/// database behind it.
fn scenario(keys: u64, s: f64, cache: &str) -> String {
    format!(
        r#"
[run]
duration = "600s"
warmup = "100s"
[traffic]
entry = "cache"
rate = 1000
keys = {{ count = {keys}, zipf = {s} }}
[components.cache]
kind = "cache"
hit = "0.2ms"
backing = "db"
{cache}
[components.db]
kind = "database"
[components.db.endpoints.default]
cpu = "2ms"
"#
    )
}

fn run(text: &str) -> SimResult {
    inline(text, &[])
}

fn extra(r: &SimResult, key: &str) -> f64 {
    r.components["cache"].extra[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no {key}"))
}

/// The size-aware Che approximation for LRU: the characteristic time T solves
/// sum_i s_i (1 - e^{-p_i T}) = C bytes; item i hits with probability 1 - e^{-p_i T}, so the
/// hit ratio is sum_i p_i (1 - e^{-p_i T}). (Time is in requests, so rates are p_i.)
pub(crate) fn che_bytes_hit_ratio(p: &[f64], sizes: &[f64], capacity: f64) -> f64 {
    let bytes = |t: f64| {
        p.iter()
            .zip(sizes)
            .map(|(pi, si)| si * (1.0 - (-pi * t).exp()))
            .sum::<f64>()
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while bytes(hi) < capacity {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if bytes(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    p.iter().map(|pi| pi * (1.0 - (-pi * lo).exp())).sum()
}

#[test]
fn lru_by_bytes_matches_the_size_aware_che_approximation() {
    // 500,000 measured lookups: the binomial standard error of the hit ratio is below 0.001
    // (a little more with the correlation of successive lookups); the size-aware Che
    // approximation is accurate to a few thousandths when entries are small against the
    // budget (here the largest is under 2% of it). Allow 0.01, as the entry-count test does.
    // The sizes are the model's own: one draw per key, from the run's seed (1) and the
    // component's name.
    for (n, s, size, budget) in [
        (10_000u64, 0.8, "lognormal(p50=4KiB, p99=64KiB)", 8u64 << 20),
        (
            5_000,
            1.0,
            "mix(0.7: const(1KiB), 0.3: const(16KiB))",
            4 << 20,
        ),
    ] {
        let cache = format!("entry_size = \"{size}\"\nmax_memory = \"{budget}B\"");
        let r = run(&scenario(n, s, &cache));
        let sizes = EntrySizes::new(Dist::parse_bytes(size).unwrap(), 1, "cache");
        let sizes: Vec<f64> = (0..n).map(|k| sizes.of(k) as f64).collect();
        let want = che_bytes_hit_ratio(&zipf(n as usize, s), &sizes, budget as f64);
        let got = extra(&r, "hit_ratio");
        println!("LRU n={n} s={s} {size} in {budget} bytes: Che {want:.4}, model {got:.4}");
        assert!(
            (got - want).abs() < 0.01,
            "LRU n={n} s={s} {size} in {budget} bytes: expected {want:.4} +- 0.01 (Che), got {got:.4}"
        );
        // The store is full in the measured window: the mean use within one big entry of
        // the budget.
        let u = extra(&r, "memory_utilization_mean");
        assert!(u > 0.97 && u <= 1.0, "utilization {u}");
        assert_eq!(extra(&r, "entries_too_big"), 0.0);
    }
}

#[test]
fn the_same_budget_holds_more_small_entries_than_big_ones() {
    // 1 GiB of Redis: rows of 2 KiB against rendered pages of 64 KiB, 100,000 keys (Zipf
    // 0.9). Rows all fit (200 MiB); pages do not (6.1 GiB): the hit ratio falls.
    let hit = |size: &str| {
        let r = run(&scenario(
            100_000,
            0.9,
            &format!("entry_size = \"{size}\"\nmax_memory = \"1GiB\""),
        ));
        let u = series(&r, "cache", "memory_utilization");
        assert!(u.iter().flatten().all(|x| (0.0..=1.0).contains(x)), "{u:?}");
        assert!(extra(&r, "memory_utilization_mean") <= 1.0);
        (extra(&r, "hit_ratio"), extra(&r, "memory_peak_bytes"), r)
    };
    let (rows, rows_peak, _) = hit("2KiB");
    let (pages, pages_peak, r) = hit("64KiB");
    assert!(rows > pages + 0.1, "rows {rows:.3}, pages {pages:.3}");
    // Rows never fill the budget: at most every key, 100,000 x 2 KiB.
    assert!(rows_peak <= 100_000.0 * 2048.0, "{rows_peak}");
    // Pages fill it to the last whole page.
    assert!(
        pages_peak <= (1u64 << 30) as f64 && pages_peak > (1u64 << 30) as f64 - 65536.0,
        "{pages_peak}"
    );
    assert!(extra(&r, "evictions") > 0.0);
}

/// Removes the bytes-only figures (memory and entries too big) from a result's JSON, and its
/// wall-clock time.
fn without_bytes(r: &SimResult) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| !k.starts_with("memory_") && k != "entries_too_big");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(r).unwrap();
    v["wall_s"] = serde_json::Value::Null;
    strip(&mut v);
    v
}

#[test]
fn a_byte_budget_with_one_size_is_the_entry_count_it_amounts_to() {
    // 1,000 KiB of 3 KiB entries is 333 entries (1,024,000 / 3,072 = 333.3): the byte budget
    // must evict exactly when the entry count would, for every policy, with TTLs and writes.
    for eviction in ["lru", "lfu", "fifo", "random"] {
        for extra_keys in ["", "ttl = \"20s\"\nwrites = [\"write\"]"] {
            let text = |cache: &str| {
                scenario(2_000, 0.8, &format!("eviction = \"{eviction}\"\n{extra_keys}\n{cache}"))
                    .replace("duration = \"600s\"", "duration = \"60s\"")
                    .replace("warmup = \"100s\"", "warmup = \"10s\"")
                    .replace(
                        "[components.cache]",
                        "[traffic.classes.read]\nweight = 0.9\n[traffic.classes.write]\nweight = 0.1\n[components.cache]",
                    )
            };
            let by_bytes = run(&text("entry_size = \"3KiB\"\nmax_memory = \"1000KiB\""));
            let by_count = run(&text("capacity = 333"));
            assert!(extra(&by_count, "evictions") > 1000.0);
            assert_eq!(
                without_bytes(&by_bytes),
                without_bytes(&by_count),
                "{eviction} {extra_keys}"
            );
            // The bytes held never pass 333 entries.
            assert!(extra(&by_bytes, "memory_peak_bytes") <= 333.0 * 3072.0);
        }
    }
}

#[test]
fn entries_bigger_than_the_budget_are_counted_not_stored() {
    // Half the entries are 2 MiB, over a 1 MiB budget: never stored, always missed.
    let r = run(&scenario(
        100,
        0.0,
        "entry_size = \"mix(0.5: const(1KiB), 0.5: const(2MiB))\"\nmax_memory = \"1MiB\"",
    ));
    let too_big = extra(&r, "entries_too_big");
    let misses = extra(&r, "misses");
    // Each big key misses on every read (about half the 600,000 reads, warm-up included).
    assert!(
        too_big > 200_000.0 && too_big >= misses * 0.8,
        "{too_big} {misses}"
    );
    let h = extra(&r, "hit_ratio");
    assert!(h > 0.3 && h < 0.7, "hit ratio {h}");
}

#[test]
fn a_machine_gives_its_memory_as_the_budget() {
    // memory.large: 2 vCPUs with 8 GiB each, 16 GiB.
    let text = scenario(
        1_000,
        0.8,
        "machine = \"memory.large\"\nentry_size = \"1MiB\"",
    );
    let r = run(&text);
    // 1,000 keys of 1 MiB, every one read in the 100 s of warm-up (with probability
    // 1 - 1000 x (1 - p_1000)^100000, p_1000 = 2.6e-4: 1 - 7e-9), fill 1000/16384 of it.
    let u = extra(&r, "memory_utilization_mean");
    assert!((u - 1000.0 / 16384.0).abs() < 1e-9, "utilization {u}");
    // An explicit budget wins.
    let r = run(&text.replace("entry_size", "max_memory = \"100MiB\"\nentry_size"));
    let u = extra(&r, "memory_utilization_mean");
    assert!(u > 0.99, "utilization {u}");
}

#[test]
fn bad_sizes_and_budgets_are_located_errors() {
    let err = |cache: &str| {
        let text = scenario(100, 0.8, cache);
        match from_str(&text, "bytes.toml", &[]) {
            Ok(_) => panic!("accepted: {cache}"),
            Err(e) => e.to_string(),
        }
    };
    // The line of the cache's keys (the first after `backing`).
    let at = "bytes.toml:13:";
    let e = err("max_memory = \"1GiB\"");
    assert!(e.contains(at) && e.contains("add `entry_size`"), "{e}");
    let e = err("entry_size = \"0B\"\nmax_memory = \"1GiB\"");
    assert!(e.contains(at) && e.contains("positive size"), "{e}");
    let e = err("entry_size = \"4KB/s\"\nmax_memory = \"1GiB\"");
    assert!(e.contains(at) && e.contains("entry_size"), "{e}");
    let e = err("entry_size = \"4KiB\"\nmax_memory = \"0B\"");
    assert!(
        e.contains("bytes.toml:14:") && e.contains("more than 0 bytes"),
        "{e}"
    );
    let e = err("entry_size = \"4KiB\"\nmax_memory = \"1XB\"");
    assert!(
        e.contains("bytes.toml:14:") && e.contains("not a size"),
        "{e}"
    );
    let e = err("entry_size = \"2GiB\"\nmax_memory = \"1TiB\"");
    assert!(e.contains(at) && e.contains("at most 1GiB"), "{e}");
    let e = err("entry_size = \"4KiB\"\nmax_memory = \"1GiB\"\nmemory = \"2GiB\"");
    assert!(e.contains(at) && e.contains("drop `memory`"), "{e}");
    // Neither a capacity nor a budget: the old message.
    let e = err("entry_size = \"4KiB\"");
    assert!(
        e.contains("needs `capacity`, the entries each instance holds"),
        "{e}"
    );
    let e = err("");
    assert!(
        e.contains("needs `capacity`, the entries each instance holds"),
        "{e}"
    );
}

#[test]
fn a_cdn_edge_store_is_sized_in_bytes_as_a_cache_is() {
    // 1,000 static assets of 1 MiB (Zipf 0.8) at an edge of 100 MiB: it holds 100 of them,
    // full after the warm-up; the API class passes through uncounted.
    let text = r#"
[run]
duration = "120s"
warmup = "20s"
[traffic]
entry = "cdn"
rate = 500
keys = { count = 1000, zipf = 0.8 }
[traffic.classes.static]
weight = 0.7
[traffic.classes.api]
weight = 0.3
[components.cdn]
kind = "cdn"
classes = ["static"]
entry_size = "1MiB"
max_memory = "100MiB"
edge_latency = "20ms"
backing = "origin"
[components.origin]
kind = "database"
[components.origin.endpoints.default]
cpu = "5ms"
"#;
    let r = run(text);
    let c = &r.components["cdn"].extra;
    let u = c["memory_utilization_mean"].as_f64().unwrap();
    assert!(u > 0.999 && u <= 1.0, "utilization {u}");
    assert_eq!(c["memory_peak_bytes"].as_f64(), Some((100u64 << 20) as f64));
    assert!(c["evictions"].as_u64().unwrap() > 1_000);
    // The same edge counted in entries: identical lookups.
    let by_count = run(&text.replace(
        "entry_size = \"1MiB\"\nmax_memory = \"100MiB\"",
        "capacity = 100",
    ));
    assert_eq!(
        c["hit_ratio"],
        by_count.components["cdn"].extra["hit_ratio"]
    );
    assert_eq!(
        c["evictions"],
        by_count.components["cdn"].extra["evictions"]
    );
    // A fixed hit ratio has no entries to size.
    let fixed = text.replace("entry_size", "hit_ratio = 0.9\nentry_size");
    let Err(e) = from_str(&fixed, "cdn.toml", &[]) else {
        panic!("accepted: a cdn with hit_ratio and entry_size");
    };
    let e = e.to_string();
    assert!(
        e.contains("cdn.toml:17:") && e.contains("drop hit_ratio"),
        "{e}"
    );
}
