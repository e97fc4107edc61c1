//! Memory per instance (issue 16 item 2): the OOM cycle of a constant leak against its closed
//! form, the memory held by calls in flight against Little's law on an M/M/c service, the
//! garbage collector's CPU factor against its formula and the death spiral it makes, and the
//! shipped memory scenarios.

use crate::common::{bin, file, inline, line_of, series};
use archsim::scenario::from_str;
use archsim::stats::SimResult;

/// One idle-ish service (10 calls a second of 1 ms, no memory per call) with `memory` of
/// capacity and `base` of base use, leaking `rate` from 10 s to the end; `restart` is the
/// component's restart line (or none).
fn leaking(memory: &str, base: &str, rate: &str, restart: &str) -> String {
    format!(
        r#"
[run]
duration = "1000s"
[traffic]
entry = "app"
rate = 10
[components.app]
kind = "service"
cores = 2
memory = "{memory}"
memory_base = "{base}"
{restart}
endpoints.default = {{ cpu = "1ms" }}
[[faults]]
kind = "leak"
target = "app"
at = "10s"
for = "2000s"
rate = "{rate}"
"#
    )
}

/// The times of the timeline events `event`.
fn times(r: &SimResult, event: &str) -> Vec<f64> {
    r.timeline
        .iter()
        .filter(|e| e.event == event)
        .map(|e| e.t_s)
        .collect()
}

fn extra(r: &SimResult, comp: &str, key: &str) -> f64 {
    r.components[comp].extra[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{comp}.{key} missing"))
}

/// A leak of `rate` bytes a second fills `capacity - base` in `(capacity - base) / rate`
/// seconds; the instance is killed then, restarts after its delay at its base use, and leaks
/// again: an OOM kill every `(capacity - base) / rate + restart` seconds, the first one
/// `(capacity - base) / rate` after the leak starts. No memory is held per call, so the
/// model's times are exact up to the nanosecond clock.
#[test]
fn a_constant_leak_kills_every_fill_time_plus_the_restart_delay() {
    let mib = 1024.0 * 1024.0;
    for (restart_line, restart_s) in [("restart = \"20s\"", 20.0), ("", 10.0)] {
        // (1 GiB - 256 MiB) / 8 MiB/s = 96 s to fill.
        let r = inline(&leaking("1GiB", "256MiB", "8MiB/s", restart_line), &[]);
        let fill = (1024.0 - 256.0) * mib / (8.0 * mib);
        let period = fill + restart_s;
        let kills = times(&r, "oom_kill");
        let restarts = times(&r, "restart");
        // Kills at 10 + fill + k period while the run lasts (1000 s, then the drain).
        let expected: Vec<f64> = (0..)
            .map(|k| 10.0 + fill + k as f64 * period)
            .take_while(|t| *t < 1000.0)
            .collect();
        assert!(expected.len() >= 8, "{expected:?}");
        assert_eq!(
            &kills[..expected.len()],
            &expected[..],
            "OOM kills every {period} s (restart {restart_s} s)"
        );
        for (k, t) in kills.iter().zip(&restarts) {
            assert!(
                (t - k - restart_s).abs() < 1e-6,
                "restart {t} after the kill at {k}"
            );
        }
        let oom = extra(&r, "app", "oom_kills");
        assert!(oom >= expected.len() as f64, "oom_kills {oom}");
        // The peak is the capacity, reached at each kill.
        assert_eq!(extra(&r, "app", "memory_utilization_max"), 1.0);
    }
    // Without a leak nothing dies, and the use is the base.
    let idle = leaking("1GiB", "256MiB", "8MiB/s", "");
    let r = inline(idle.split("[[faults]]").next().unwrap(), &[]);
    assert!(times(&r, "oom_kill").is_empty());
    assert_eq!(extra(&r, "app", "oom_kills"), 0.0);
    assert!((extra(&r, "app", "memory_utilization_mean") - 0.25).abs() < 1e-9);
}

/// Erlang C: the mean number in an M/M/c system with offered load `a` erlangs.
fn mmc_mean_in_system(c: u32, a: f64) -> f64 {
    let rho = a / c as f64;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let last = term * a / c as f64 / (1.0 - rho);
    let wait_prob = last / (sum + last);
    wait_prob * rho / (1.0 - rho) + a
}

/// Each call holds its bytes from arrival to reply, so the mean use above the base is the
/// mean number of calls in the system times the mean bytes per call (Little's law with the
/// bytes riding along), and on an M/M/4 that number is Erlang C's.
#[test]
fn memory_held_by_calls_in_flight_follows_littles_law() {
    let toml = r#"
[run]
duration = "400s"
warmup = "20s"
[traffic]
entry = "app"
rate = 300
[components.app]
kind = "service"
cores = 4
memory = "8GiB"
memory_base = "1GiB"
memory_per_request = "exp(4MiB)"
endpoints.default = { cpu = "exp(10ms)" }
"#;
    let r = inline(toml, &[]);
    let gib = 1024.0 * 1024.0 * 1024.0;
    let m = 4.0 * 1024.0 * 1024.0;
    let app = &r.components["app"];
    // Little's law on this run's own counts: L = lambda W (`served` counts the whole run,
    // warm-up included: 400 s).
    let lambda = app.served as f64 / 400.0;
    let w = app.latency_ms.as_ref().unwrap().mean.unwrap() / 1e3;
    let held = extra(&r, "app", "memory_used_bytes_mean") - gib;
    let want = lambda * w * m;
    // ~114,000 calls: the mean of their exp(4 MiB) draws is within 0.3% (one standard
    // deviation); the time average and the per-call average differ by the calls that straddle
    // the window's ends. Allow 3%.
    assert!(
        (held / want - 1.0).abs() < 0.03,
        "held {:.1} MiB, lambda W m = {:.1} MiB",
        held / m * 4.0,
        want / m * 4.0
    );
    // Against the closed form: a = 3 erlangs on 4 cores, L = 4.53. The mean number in an
    // M/M/c over 380 s at rho = 0.75 has a few percent of noise; allow 8%.
    let l = mmc_mean_in_system(4, 3.0);
    assert!(
        (held / (l * m) - 1.0).abs() < 0.08,
        "held {:.2} calls' worth, M/M/4 L = {l:.2}",
        held / m
    );
    let u = extra(&r, "app", "memory_utilization_mean");
    assert!(
        ((u * 8.0 * gib - gib) / held - 1.0).abs() < 1e-6,
        "utilization {u} and use agree"
    );
    // The series is the same level bucket by bucket: its buckets inside the window average
    // to the window's mean.
    let s = series(&r, "app", "memory_utilization");
    let inside: Vec<f64> = s[20..400].iter().map(|v| v.unwrap()).collect();
    let mean = inside.iter().sum::<f64>() / inside.len() as f64;
    assert!(
        (mean / u - 1.0).abs() < 1e-6,
        "series mean {mean}, figure {u}"
    );
}

/// A service with unlimited cores (CPU time is a pure delay) of 10 ms a call, capacity 1 GiB,
/// `gc_overhead = 0.5`, no memory per call: its occupancy is its base use over its capacity,
/// so every call takes 10 ms x (1 + 0.5 u / (1 - u)).
fn gc_service(base: &str) -> String {
    format!(
        r#"
[run]
duration = "60s"
[traffic]
entry = "app"
rate = 20
[components.app]
kind = "service"
memory = "1GiB"
memory_base = "{base}"
gc_overhead = 0.5
endpoints.default = {{ cpu = "10ms" }}
"#
    )
}

/// The collector's cost per unit of work is k u / (1 - u) (a copying collector's live /
/// (heap - live)): the latency at 80% occupancy over the latency at 10% is
/// (1 + 4k) / (1 + k / 9).
#[test]
fn gc_latency_grows_as_occupancy_over_free_heap() {
    let light = inline(&gc_service("102.4MiB"), &[]);
    let heavy = inline(&gc_service("819.2MiB"), &[]);
    let k = 0.5;
    let factor = |u: f64| 1.0 + k * u / (1.0 - u);
    let (l, h) = (
        light.latency_ms.mean.unwrap(),
        heavy.latency_ms.mean.unwrap(),
    );
    assert!((l - 10.0 * factor(0.1)).abs() < 1e-3, "light heap: {l} ms");
    assert!((h - 10.0 * factor(0.8)).abs() < 1e-3, "heavy heap: {h} ms");
    let want = factor(0.8) / factor(0.1);
    assert!(
        (h / l / want - 1.0).abs() < 1e-4,
        "latency ratio {} against (1 + 4k) / (1 + k / 9) = {want}",
        h / l
    );
    // Without a collector the heap's occupancy costs nothing.
    let none = inline(&gc_service("819.2MiB"), &["components.app.gc_overhead=0"]);
    assert!((none.latency_ms.mean.unwrap() - 10.0).abs() < 1e-3);
}

/// An M/M/4 service whose calls hold 16 MiB each, with a collector (`gc_overhead = 1`): at 100
/// calls a second it settles (occupancy about 0.26, CPU times x1.35); at 300 a second the fixed point of occupancy ->
/// GC factor -> time in system -> memory held has no solution below 1, so memory and latency
/// climb together until the instance is OOM-killed, again and again.
#[test]
fn past_its_fixed_point_a_collector_spirals_into_oom_kills() {
    let toml = r#"
[run]
duration = "300s"
warmup = "20s"
[traffic]
entry = "app"
rate = 100
[components.app]
kind = "service"
cores = 4
memory = "2GiB"
memory_base = "512MiB"
memory_per_request = "exp(16MiB)"
gc_overhead = 1.0
endpoints.default = { cpu = "exp(10ms)" }
"#;
    let calm = inline(toml, &[]);
    assert_eq!(extra(&calm, "app", "oom_kills"), 0.0);
    let u = extra(&calm, "app", "memory_utilization_mean");
    // u = (512 MiB + L x 16 MiB) / 2 GiB with L about 1.4 (a = 1 erlang, slowed by the
    // collector's 35%): 0.26.
    assert!(u > 0.255 && u < 0.265, "calm utilization {u}");
    let hot = inline(toml, &["traffic.rate=300"]);
    let kills = extra(&hot, "app", "oom_kills");
    assert!(kills >= 3.0, "OOM kills {kills}");
    // Without the collector the same load is an M/M/4 at 0.75 (4.5 calls in the system on
    // average; a kill needs about 96): no kill. With it, 4.5 calls put u at 0.285, CPU times
    // x1.4, and the cores past saturation.
    let no_gc = inline(toml, &["traffic.rate=300", "components.app.gc_overhead=0"]);
    assert_eq!(extra(&no_gc, "app", "oom_kills"), 0.0);
    assert!(
        hot.latency_ms.p99.unwrap() > 3.0 * no_gc.latency_ms.p99.unwrap(),
        "p99 {:?} ms with the collector, {:?} ms without",
        hot.latency_ms.p99,
        no_gc.latency_ms.p99
    );
    // Each kill loses the calls the instance held.
    assert!(hot.error_rate > 0.01, "error rate {}", hot.error_rate);
    assert_eq!(no_gc.error_rate, 0.0);
}

/// The shipped leak: every instance is killed about every (2 GiB - 512 MiB) / (200 KiB x 100
/// calls/s) + 15 s while the leak lasts, and never before it starts or after a restart once
/// it has ended.
#[test]
fn the_memory_leak_scenario_cycles_through_oom_kills() {
    let r = file("scenarios/resources/memory-leak.toml", &[]);
    let kills: Vec<&archsim::stats::TimelineEntry> = r
        .timeline
        .iter()
        .filter(|e| e.event == "oom_kill")
        .collect();
    assert!(!kills.is_empty());
    assert!(kills.iter().all(|e| e.t_s > 60.0 && e.t_s < 480.0 + 100.0));
    let mib = 1024.0 * 1024.0;
    let fill = 1536.0 * mib / (200.0 * 1024.0 * 100.0);
    for inst in ["api[0]", "api[1]", "api[2]"] {
        let t: Vec<f64> = kills
            .iter()
            .filter(|e| e.component == inst)
            .map(|e| e.t_s)
            .collect();
        assert!(t.len() >= 4, "{inst}: {t:?}");
        // Round robin gives each instance a third of 300 calls/s, in Poisson arrivals: the
        // fill time is a sum of ~7,800 leaks, within 2% at one standard deviation of the
        // arrivals' count; allow 5%.
        assert!(
            (t[0] - 60.0 - fill).abs() < 0.05 * fill,
            "{inst}: first kill {}",
            t[0]
        );
        for w in t.windows(2) {
            let gap = w[1] - w[0];
            assert!(
                (gap - fill - 15.0).abs() < 0.05 * fill,
                "{inst}: {gap} s between kills, expected {}",
                fill + 15.0
            );
        }
    }
    assert_eq!(extra(&r, "api", "oom_kills"), kills.len() as f64);
    assert!(r.errors["unavailable"] > 0);
    // The saw-tooth: the tier's utilization reaches 1 and drops to 0 when all are down.
    let s = series(&r, "api", "memory_utilization");
    let max = s.iter().flatten().cloned().fold(0.0, f64::max);
    assert!(max > 0.85, "peak bucket {max}");
    assert!(s.iter().flatten().any(|v| *v == 0.0));
}

/// The shipped death spiral: no kill while the ramp leaves headroom, kills once it passes
/// the collector's fixed point (after 5 minutes, about 500 req/s), with the heap's occupancy
/// and the p99 both above their calm levels just before the first one; without the
/// collector the same ramp kills nothing and fails nothing.
#[test]
fn the_gc_scenario_spirals_past_its_fixed_point_and_not_without_gc() {
    let r = file("scenarios/resources/gc-death-spiral.toml", &[]);
    let kills = times(&r, "oom_kill");
    assert!(kills.len() >= 5, "{kills:?}");
    assert!(kills[0] > 300.0, "first kill at {} s", kills[0]);
    assert!(r.error_rate > 0.05, "error rate {}", r.error_rate);
    // 5 s buckets: the calm first minute against the bucket before the first kill.
    let before = (kills[0] / 5.0) as usize - 1;
    let mem = series(&r, "api", "memory_utilization");
    let calm_mem = mem[6..12].iter().flatten().sum::<f64>() / 6.0;
    assert!(
        mem[before].unwrap() > calm_mem + 0.01,
        "{:?} then {calm_mem}",
        mem[before]
    );
    let p99 = &r.series.p99_ms;
    let calm_p99 = p99[6..12].iter().flatten().sum::<f64>() / 6.0;
    assert!(
        p99[before].unwrap() > 1.2 * calm_p99,
        "{:?} then {calm_p99}",
        p99[before]
    );
    let no_gc = file(
        "scenarios/resources/gc-death-spiral.toml",
        &["components.api.gc_overhead=0"],
    );
    assert!(times(&no_gc, "oom_kill").is_empty());
    assert_eq!(no_gc.error_rate, 0.0);
}

/// A valid scenario with every memory key, and a leak fault; the bad cases edit it.
const KEYS: &str = r#"[run]
duration = "60s"
[traffic]
entry = "app"
rate = 10
[components.app]
kind = "service"
cores = 2
memory = "4GiB"
memory_base = "512MiB"
memory_per_request = "exp(2MiB)"
gc_overhead = 0.2
endpoints.default = { cpu = "1ms", calls = ["lb"] }
[components.lb]
kind = "load_balancer"
targets = "db"
[components.db]
kind = "database"
cores = 2
endpoints.default = { cpu = "1ms" }
[[faults]]
kind = "leak"
target = "app"
at = "10s"
for = "20s"
per_request = "200KiB"
rate = "5MiB/s"
"#;

fn problems(text: &str) -> String {
    match from_str(text, "bad.toml", &[]) {
        Ok(_) => panic!("accepted an invalid scenario:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Each bad memory key is reported at its line with what to write; the scenario is accepted
/// as written.
#[test]
fn bad_memory_keys_are_reported_with_positions() {
    from_str(KEYS, "ok.toml", &[]).expect("the valid scenario");
    let cases: [(&str, &str, &str, &str); 12] = [
        // (replaced text, replacement, line of, expected message)
        (
            "memory = \"4GiB\"",
            "memory = \"4 gigs\"",
            "memory =",
            "write a size like",
        ),
        (
            "memory = \"4GiB\"",
            "memory = \"0\"",
            "memory =",
            "must be more than 0 bytes",
        ),
        (
            "memory = \"4GiB\"",
            "memory = \"100TiB\"",
            "memory =",
            "at most 64TiB",
        ),
        (
            "memory_base = \"512MiB\"",
            "memory_base = \"8GiB\"",
            "memory_base",
            "must be less than its memory",
        ),
        (
            "memory_per_request = \"exp(2MiB)\"",
            "memory_per_request = \"exp(2ms)\"",
            "memory_per_request",
            "memory_per_request",
        ),
        (
            "gc_overhead = 0.2",
            "gc_overhead = -1.0",
            "gc_overhead",
            "gc_overhead must be between 0 and 100",
        ),
        ("memory = \"4GiB\"\n", "", "gc_overhead", "set `memory`"),
        (
            "targets = \"db\"",
            "targets = \"db\"\ngc_overhead = 0.1\nmemory = \"1GiB\"",
            "gc_overhead = 0.1",
            "which a load_balancer does not spend",
        ),
        (
            "per_request = \"200KiB\"\n",
            "per_request = \"lots\"\n",
            "per_request = \"lots",
            "faults.per_request: \"lots\" is not a size",
        ),
        (
            "rate = \"5MiB/s\"",
            "rate = \"fast\"",
            "rate = \"fast",
            "write a growth like",
        ),
        (
            "rate = \"5MiB/s\"",
            "rate = \"5MiB/s\"\nper_second = \"1MiB\"",
            "rate = \"5MiB",
            "not both",
        ),
        (
            "target = \"app\"",
            "target = \"db\"",
            "target = \"db",
            "which has none",
        ),
    ];
    for (from, to, at, want) in cases {
        let text = KEYS.replacen(from, to, 1);
        assert_ne!(text, KEYS, "{from}");
        let e = problems(&text);
        let line = line_of(&text, at);
        assert!(
            e.contains(&format!("bad.toml:{line}:")),
            "{want}: no position {line} in:\n{e}"
        );
        assert!(e.contains(want), "`{want}` missing from:\n{e}");
    }
    // A leak that leaks nothing, and one without a size.
    let none = KEYS.replace("per_request = \"200KiB\"\nrate = \"5MiB/s\"\n", "");
    assert!(problems(&none).contains("a leak needs `per_request`"));
    let zero = KEYS.replace(
        "per_request = \"200KiB\"\nrate = \"5MiB/s\"\n",
        "per_request = \"0\"\n",
    );
    assert!(problems(&zero).contains("leaks nothing"));
    // `per_request` on another fault kind.
    let crash = KEYS.replace("kind = \"leak\"", "kind = \"crash\"");
    assert!(problems(&crash).contains("`per_request` applies only to a leak fault"));
}

/// The command refuses a bad memory key before simulating: exit 2.
#[test]
fn the_command_exits_2_on_a_bad_memory_key() {
    let dir = crate::common::tmp_root().join(format!("archsim-oom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.toml");
    std::fs::write(&p, KEYS.replace("memory = \"4GiB\"", "memory = \"4 gigs\"")).unwrap();
    let o = bin().arg(&p).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Three instances behind a round-robin balancer, 1 GiB each with 256 MiB of base use, one
/// of them (`api[1]`) leaking 8 MiB a second from 10 s to 460 s: it fills in 96 s and is
/// OOM-killed every 96 + 10 s (the default restart), its neighbours never. The per-instance memory figures (issue 16 item 2)
/// tell the leaking instance apart, and the component's figures are their combination.
const ONE_LEAKS: &str = r#"
[run]
duration = "500s"
warmup = "10s"
[traffic]
entry = "lb"
rate = 60
[components.lb]
kind = "load_balancer"
targets = "api"
policy = "round_robin"
[components.api]
kind = "service"
instances = 3
cores = 2
memory = "1GiB"
memory_base = "256MiB"
memory_per_request = "1MiB"
endpoints.default = { cpu = "2ms", calls = ["db"] }
[components.db]
kind = "database"
instances = 2
cores = 4
endpoints.default = { cpu = "1ms" }
[[faults]]
kind = "leak"
target = "api[1]"
at = "10s"
for = "450s"
rate = "8MiB/s"
"#;

fn per<'a>(r: &'a SimResult, comp: &str) -> &'a archsim::stats::PerInstance {
    r.components[comp]
        .per_instance
        .as_ref()
        .expect("per_instance")
}

#[test]
fn memory_per_instance_shows_the_one_that_leaks_and_pools_into_the_components() {
    let r = inline(ONE_LEAKS, &[]);
    let p = per(&r, "api");
    let mean = p.memory_utilization_mean.as_ref().unwrap();
    let max = p.memory_utilization_max.as_ref().unwrap();
    let peak = p.memory_peak_bytes.as_ref().unwrap();
    let kills = p.oom_kills.as_ref().unwrap();
    // The healthy instances hold their base and a call's MiB at times: 0.25 and a little.
    // (every 2 ms call holds 1 MiB, 20 calls a second each: 0.04 MiB on average).
    for i in [0, 2] {
        assert!((mean[i] - 0.25).abs() < 0.001, "instance {i}: {mean:?}");
        assert!(max[i] < 0.26, "instance {i}: {max:?}");
        assert_eq!(kills[i], 0, "{kills:?}");
    }
    // The leaking one: a saw-tooth from 0.25 to 1 over 96 s, then 10 s down at 0, four
    // times from 10 s; then 26 s of leak (to 0.453) and 40 s flat: over the 490 s window,
    // (4 x 0.625 x 96 + 26 x 0.352 + 40 x 0.453) / 490 = 0.545.
    assert!((mean[1] - 0.545).abs() < 0.003, "{mean:?}");
    assert!((max[1] - 1.0).abs() < 1e-6, "{max:?}");
    assert_eq!(peak[1], (1u64 << 30) as f64);
    // Kills at 10 + 96 + k x 106 < 460: k = 0..=3.
    assert_eq!(kills[1], 4, "{kills:?}");
    // The component's figures: kills add up, the peak is the highest instance's, the mean
    // is the instances' mean with equal weights (a fixed count).
    let api = &r.components["api"].extra;
    assert_eq!(api["oom_kills"].as_u64(), Some(kills.iter().sum::<u64>()));
    assert_eq!(
        api["memory_peak_bytes"].as_f64().unwrap(),
        peak.iter().cloned().fold(0.0, f64::max)
    );
    let pooled = mean.iter().sum::<f64>() / 3.0;
    let comp = api["memory_utilization_mean"].as_f64().unwrap();
    assert!((comp - pooled).abs() < 1e-6, "{comp} vs {pooled}");
    assert!((api["memory_utilization_max"].as_f64().unwrap() - 1.0).abs() < 1e-6);
    // No memory model: no memory figures per instance.
    let db = per(&r, "db");
    assert!(db.memory_utilization_mean.is_none() && db.memory_peak_bytes.is_none());
    assert!(db.oom_kills.is_none() && db.memory_utilization_max.is_none());
}

/// With replications, instance `i` pools with instance `i`: kills add, the mean peak is the
/// mean of the replications' peaks, and the mean utilization is the replications' mean.
#[test]
fn memory_per_instance_pools_instance_by_instance_over_replications() {
    let one = inline(ONE_LEAKS, &[]);
    let two = inline(ONE_LEAKS, &["run.replications=2"]);
    let (p1, p2) = (per(&one, "api"), per(&two, "api"));
    // The leak per second kills at the same times in each replication (a call's MiB moves a
    // kill by at most a call): 4 kills each, on instance 1 only.
    assert_eq!(p2.oom_kills.as_ref().unwrap(), &vec![0, 8, 0]);
    let (m1, m2) = (
        p1.memory_utilization_mean.as_ref().unwrap(),
        p2.memory_utilization_mean.as_ref().unwrap(),
    );
    for i in 0..3 {
        assert!((m1[i] - m2[i]).abs() < 0.01, "{m1:?} {m2:?}");
    }
    let comp = two.components["api"].extra["memory_utilization_mean"]
        .as_f64()
        .unwrap();
    assert!((comp - m2.iter().sum::<f64>() / 3.0).abs() < 1e-6);
}

/// The shipped leak scenario shows memory per instance: the same leak on each of the three
/// instances kills each, and the kills add up to the component's.
#[test]
fn the_shipped_leak_scenario_has_memory_per_instance() {
    let r = file("scenarios/resources/memory-leak.toml", &[]);
    let p = per(&r, "api");
    let kills = p.oom_kills.as_ref().unwrap();
    assert_eq!(
        kills.iter().sum::<u64>(),
        r.components["api"].extra["oom_kills"].as_u64().unwrap()
    );
    // The three instances take the same share of the same leak: each is killed.
    assert!(kills.iter().all(|k| *k > 0), "{kills:?}");
    assert_eq!(p.memory_utilization_mean.as_ref().unwrap().len(), 3);
}
