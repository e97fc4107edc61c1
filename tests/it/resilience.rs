//! Resilience: traffic spikes, per-call policies (timeout, breaker, fallback, hedge,
//! bulkhead), deadline propagation, queue discipline and autoscaling, each asserted on the
//! scenarios under `scenarios/failures/` or on small inline scenarios.

use crate::common::{conserved, file, inline};
use archsim::scenario::from_str;
use archsim::stats::SimResult;

fn scenario(name: &str, set: &[&str]) -> SimResult {
    file(&format!("scenarios/failures/{name}"), set)
}

/// Error rate over the series buckets starting in `[from, to)` seconds, weighted by requests.
fn bucket_errors(r: &SimResult, from: f64, to: f64) -> Vec<f64> {
    let s = &r.series;
    s.t_s
        .iter()
        .zip(&s.error_rate)
        .filter(|(t, _)| **t >= from && **t < to)
        .map(|(_, e)| *e)
        .collect()
}

fn counter(r: &SimResult, comp: &str, key: &str) -> u64 {
    r.components[comp].extra[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{comp}.{key}"))
}

#[test]
fn a_spike_multiplies_the_open_loop_rate_for_its_duration() {
    let r = scenario("retry-storm.toml", &[]);
    conserved(&r);
    let s = &r.series;
    // 5 s buckets at 280/s: about 1,400 arrivals each, so a 10% band is over 3 sigma.
    for (t, rps) in s.t_s.iter().zip(&s.rps) {
        let want = if (60.0..70.0).contains(t) {
            560.0
        } else {
            280.0
        };
        if *t < 240.0 {
            assert!(
                (rps - want).abs() < want * 0.1,
                "t={t}: {rps} req/s, want {want}"
            );
        }
    }
    // The storm's saturation entries are there too; the spike's own are exactly two.
    let events: Vec<&str> = r
        .timeline
        .iter()
        .map(|e| e.event.as_str())
        .filter(|e| e.starts_with("spike"))
        .collect();
    assert_eq!(events, ["spike_start", "spike_end"]);
    assert_eq!(r.cascades[0].verdict, "metastable", "{:?}", r.cascades);
}

#[test]
fn a_spike_in_a_closed_loop_multiplies_the_users() {
    let text = r#"
[run]
duration = "60s"
series_interval = "5s"
[traffic]
entry = "app"
users = 100
think = "exp(100ms)"
[components.app]
kind = "service"
[components.app.endpoints.default]
cpu = "exp(1ms)"
[[faults]]
kind = "spike"
at = "20s"
for = "20s"
factor = 3.0
"#;
    let r = inline(text, &[]);
    conserved(&r);
    // About 100 / 0.101 s = 990 req/s, and three times that in the spike.
    let rate = |from: f64, to: f64| {
        let v: Vec<f64> = r
            .series
            .t_s
            .iter()
            .zip(&r.series.rps)
            .filter(|(t, _)| **t >= from && **t < to)
            .map(|(_, x)| *x)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (before, during, after) = (rate(5.0, 20.0), rate(25.0, 40.0), rate(45.0, 60.0));
    assert!((during / before - 3.0).abs() < 0.15, "{before} -> {during}");
    assert!((after / before - 1.0).abs() < 0.05, "{before} -> {after}");
}

#[test]
fn immediate_retries_make_a_storm_that_outlives_its_trigger_and_a_budget_ends_it() {
    // The spike ends at 70 s; traffic runs to 240 s.
    let storm = scenario("retry-storm.toml", &[]);
    let fixed = scenario("retry-storm-budget.toml", &[]);
    conserved(&storm);
    conserved(&fixed);
    for (t0, t1) in [(0.0, 55.0)] {
        for e in bucket_errors(&storm, t0, t1).into_iter().skip(2) {
            assert!(e < 0.01, "healthy before the spike: {e}");
        }
    }
    // Metastable: the last two minutes, long after the spike, still fail almost entirely.
    let late = bucket_errors(&storm, 120.0, 240.0);
    assert_eq!(late.len(), 24);
    for e in &late {
        assert!(*e > 0.9, "storm error rate {e} in {late:?}");
    }
    // With a budget and jittered backoff it recovers within 15 s of the spike's end.
    for e in bucket_errors(&fixed, 85.0, 240.0) {
        assert!(e < 0.01, "budgeted error rate {e}");
    }
    assert!(storm.error_rate > 0.6 && fixed.error_rate < 0.15);
}

#[test]
fn deadline_propagation_drops_abandoned_work_in_a_storm() {
    let plain = scenario("retry-storm.toml", &[]);
    let drop = scenario("retry-storm.toml", &["components.api.drop_expired=true"]);
    conserved(&drop);
    let dropped = counter(&drop, "api", "dropped_work");
    assert!(dropped > 10_000, "dropped {dropped}");
    // CPU spent per request that succeeded: the same busy cores now serve far more live work.
    let cpu_per_success =
        |r: &SimResult| r.components["api"].utilization.unwrap() / r.requests.succeeded as f64;
    let gain = cpu_per_success(&plain) / cpu_per_success(&drop);
    assert!(gain > 1.5, "wasted work only cut by {gain}");
    assert!(drop.requests.succeeded as f64 > 1.5 * plain.requests.succeeded as f64);
    // Without it, most CPU goes to attempts nobody waits for: over 5 calls served per success.
    let served_per_success =
        plain.components["api"].served as f64 / plain.requests.succeeded as f64;
    assert!(served_per_success > 4.0, "{served_per_success}");
}

#[test]
fn serving_the_newest_first_ends_the_retry_storm() {
    // Immediate retries of rejected attempts keep the room full; under LIFO the newest attempts
    // are served within their timeout, so requests succeed again and the retries stop.
    let lifo = scenario(
        "retry-storm.toml",
        &["components.api.queue_discipline=\"lifo\""],
    );
    conserved(&lifo);
    for e in bucket_errors(&lifo, 90.0, 240.0) {
        assert!(e < 0.02, "error rate {e}");
    }
}

#[test]
fn a_cache_crash_spreads_and_a_breaker_with_fallback_keeps_errors_within_one_percent() {
    let bare = scenario("cache-crash.toml", &[]);
    let guarded = scenario("cache-crash-breaker.toml", &[]);
    conserved(&bare);
    conserved(&guarded);
    // Without protection: the crash (20 s of 150 measured) and the cold cache afterwards.
    assert!(bare.error_rate > 0.1, "{}", bare.error_rate);
    let after = bucket_errors(&bare, 80.0, 90.0);
    assert!(
        after.iter().all(|e| *e > 0.2),
        "cold-cache overload: {after:?}"
    );
    // The overload reached the app tier: its own waiting room turned requests away.
    assert!(bare.components["app"].rejected > 1000);
    // The stated bound.
    assert!(guarded.error_rate <= 0.01, "{}", guarded.error_rate);
    // Paid for with degraded answers, which are never good.
    assert!(guarded.degraded_rate > 0.1 && guarded.degraded_rate < 0.3);
    let slo = guarded.slo.as_ref().unwrap();
    assert!(slo.attained <= 1.0 - guarded.degraded_rate + 1e-9);
    assert!(counter(&guarded, "app", "breaker_opens") > 0);
    assert!(counter(&guarded, "app", "circuit_open") > 1000);
    let ev: Vec<&str> = guarded.timeline.iter().map(|e| e.event.as_str()).collect();
    for e in [
        "crash",
        "breaker_open",
        "breaker_half_open",
        "breaker_close",
        "recover",
    ] {
        assert!(ev.contains(&e), "{e} missing from {ev:?}");
    }
    // Every call fails at once after the crash; the breaker opens when the failures reach half
    // of its 5 s window, about 2.5 s later.
    let open_after_crash = guarded
        .timeline
        .iter()
        .find(|e| e.event == "breaker_open" && e.t_s >= 60.0)
        .unwrap();
    assert!(
        (62.0..63.5).contains(&open_after_crash.t_s),
        "{open_after_crash:?}"
    );
}

#[test]
fn hedging_cuts_the_fanout_tail_for_a_small_reported_extra_load() {
    let hedged = scenario("hedging.toml", &[]);
    let plain = scenario(
        "hedging.toml",
        &["components.search.endpoints.default.calls=[{ to = \"leaf\", fanout = 20 }]"],
    );
    conserved(&hedged);
    let (h, p) = (
        hedged.latency_ms.p999.unwrap(),
        plain.latency_ms.p999.unwrap(),
    );
    assert!(p / h > 3.0, "p99.9 {p} -> {h}");
    let (h99, p99) = (
        hedged.latency_ms.p99.unwrap(),
        plain.latency_ms.p99.unwrap(),
    );
    assert!(p99 / h99 > 3.0, "p99 {p99} -> {h99}");
    let load = hedged.components["search"].extra["hedge_extra_load"]
        .as_f64()
        .unwrap();
    let hedges = counter(&hedged, "search", "hedges") as f64;
    let calls = counter(&hedged, "search", "guarded_calls") as f64;
    assert!((load - hedges / calls).abs() < 1e-12);
    // Leaf calls slower than 10 ms: 0.3% stalls plus exp(2ms) beyond 10 ms (0.7%).
    assert!(load > 0.005 && load < 0.02, "extra load {load}");
    // The leaves did about that much more work.
    let extra = hedged.components["leaf"].served as f64 / plain.components["leaf"].served as f64;
    assert!(extra > 1.0 && extra < 1.02, "{extra}");
}

#[test]
fn the_autoscaler_scales_out_after_the_spike_with_its_startup_delay_and_back_in() {
    let r = scenario("autoscale-spike.toml", &[]);
    conserved(&r);
    let inst = &r.components["web"].series.as_ref().unwrap()["instances"];
    let at = |t: f64| inst[(t / 5.0) as usize].unwrap();
    assert_eq!(at(100.0), 4.0);
    // The spike starts at 180 s; the first evaluation sees it at 195 s, and the new instances
    // take traffic 30 s later.
    let out = r.timeline.iter().find(|e| e.event == "scale_out").unwrap();
    assert!(out.t_s >= 180.0 && out.t_s <= 195.0 + 1e-9, "{out:?}");
    let ready = r
        .timeline
        .iter()
        .find(|e| e.event == "instance_ready")
        .unwrap();
    assert!((ready.t_s - out.t_s - 30.0).abs() < 1e-9, "{ready:?}");
    assert_eq!(
        at(out.t_s + 25.0),
        4.0,
        "not ready before the start-up delay"
    );
    assert!(at(out.t_s + 30.0) > 4.0);
    // 1,200 req/s x 10 ms = 12 busy cores: at 60%, 10 two-core instances.
    let peak = inst.iter().map(|x| x.unwrap()).fold(0.0, f64::max);
    assert!((10.0..=20.0).contains(&peak), "peak {peak}");
    // Errors while only the original instances serve the spike, none once scaled.
    assert!(bucket_errors(&r, 185.0, 225.0).iter().all(|e| *e > 0.1));
    assert!(bucket_errors(&r, 260.0, 300.0).iter().all(|e| *e < 0.01));
    // Back in after the spike (ends at 300 s) and the 2-minute stabilization window.
    let scale_in = r.timeline.iter().find(|e| e.event == "scale_in").unwrap();
    assert!(scale_in.t_s > 300.0, "{scale_in:?}");
    assert_eq!(at(590.0), 4.0);
    // Utilization is over ready instances: about 2,950 busy core-seconds over about 4,275
    // ready instance-seconds of two cores in the measured 540 s.
    let u = r.components["web"].utilization.unwrap();
    assert!((0.3..0.4).contains(&u), "utilization {u}");
    assert!(r.components["web"].per_instance.is_none());
}

const BULKHEAD: &str = r#"
[run]
duration = "60s"
warmup = "10s"

[traffic]
entry = "app"
rate = 200
timeout = "5s"
[traffic.classes.fast]
weight = 0.8
[traffic.classes.slow]
weight = 0.2

[components.app]
kind = "service"
cores = 4
workers = 30
queue = 1000
[components.app.endpoints.fast]
cpu = "exp(1ms)"
calls = ["fastdep"]
[components.app.endpoints.slow]
cpu = "exp(1ms)"
calls = [{ to = "slowdep", bulkhead = 10 }]

[components.fastdep]
kind = "service"
[components.fastdep.endpoints.default]
cpu = "exp(2ms)"

[components.slowdep]
kind = "service"
[components.slowdep.endpoints.default]
cpu = "const(1s)"
"#;

#[test]
fn a_bulkhead_keeps_a_slow_dependency_from_taking_every_worker() {
    // 40 slow calls/s x 1 s need 40 workers of 30: without a bulkhead they hold them all and
    // the fast class queues behind them.
    let guarded = inline(BULKHEAD, &[]);
    let bare = inline(
        BULKHEAD,
        &["components.app.endpoints.slow.calls=[\"slowdep\"]"],
    );
    conserved(&guarded);
    let fast = |r: &SimResult| r.classes["fast"].latency_ms.p99.unwrap();
    assert!(fast(&bare) > 1000.0, "unprotected fast p99 {}", fast(&bare));
    assert!(
        fast(&guarded) < 20.0,
        "protected fast p99 {}",
        fast(&guarded)
    );
    assert_eq!(guarded.classes["fast"].error_rate, 0.0);
    // The slow class pays: calls beyond 10 at once fail at once.
    assert!(guarded.errors["bulkhead_full"] > 1000);
    assert_eq!(
        counter(&guarded, "app", "bulkhead_full"),
        guarded.errors["bulkhead_full"]
    );
}

const OVERLOAD: &str = r#"
[run]
duration = "60s"
warmup = "20s"

[traffic]
entry = "api"
rate = 150
timeout = "1s"

[components.api]
kind = "service"
cores = 1
queue = 1000
[components.api.endpoints.default]
cpu = "exp(10ms)"
"#;

#[test]
fn lifo_keeps_serving_under_overload_where_fifo_serves_only_the_abandoned() {
    // 150 req/s against 100 req/s of capacity: FIFO's full room waits 10 s, longer than the
    // client's 1 s timeout, so every answer is too late. LIFO serves the newest first.
    let fifo = inline(OVERLOAD, &[]);
    let lifo = inline(OVERLOAD, &["components.api.queue_discipline=\"lifo\""]);
    let adaptive = inline(
        OVERLOAD,
        &[
            "components.api.queue_discipline=\"adaptive_lifo\"",
            "components.api.lifo_above=50",
        ],
    );
    conserved(&lifo);
    assert!(
        fifo.throughput_rps < 5.0,
        "fifo goodput {}",
        fifo.throughput_rps
    );
    for r in [&lifo, &adaptive] {
        // Nearly all the capacity goes to requests still wanted: about 100 of 150 per second.
        assert!(r.throughput_rps > 85.0, "goodput {}", r.throughput_rps);
        assert!(r.error_rate < 0.45, "{}", r.error_rate);
    }
}

#[test]
fn a_per_call_timeout_with_retries_and_fallback_degrades_instead_of_failing() {
    let text = r#"
[run]
duration = "30s"
[traffic]
entry = "app"
rate = 100
[components.app]
kind = "service"
[components.app.endpoints.default]
calls = [{ to = "db", timeout = "20ms", retries = 2, backoff = "5ms", fallback = "1ms" }]
[components.db]
kind = "service"
instances = 2
[components.db.endpoints.default]
cpu = "exp(2ms)"
[[faults]]
target = "db"
kind = "slow"
factor = 100.0
at = "10s"
for = "10s"
"#;
    let r = inline(text, &[]);
    conserved(&r);
    assert_eq!(r.requests.failed, 0);
    // In the slow third, exp(200ms) misses a 20 ms timeout nine times in ten, three times.
    assert!((r.degraded_rate - 0.24).abs() < 0.05, "{}", r.degraded_rate);
    assert_eq!(r.requests.degraded, counter(&r, "app", "fallbacks"));
    assert!(counter(&r, "app", "call_timeouts") > 2 * r.requests.degraded);
    assert!(counter(&r, "app", "call_retries") > 0);
    // Without the fallback the same requests fail with `timeout`.
    let bare = inline(
        text,
        &["components.app.endpoints.default.calls=[{ to = \"db\", timeout = \"20ms\", retries = 2, backoff = \"5ms\" }]"],
    );
    conserved(&bare);
    assert!((bare.error_rate - r.degraded_rate).abs() < 0.03);
    assert_eq!(bare.errors.keys().collect::<Vec<_>>(), ["timeout"]);
}

#[test]
fn bad_policy_keys_are_reported_with_their_place() {
    let text = r#"
[run]
duration = "10s"
[traffic]
entry = "app"
rate = 10
[components.app]
kind = "service"
autoscale = { target_utilization = 1.5, max = 4 }
[components.app.endpoints.default]
calls = [{ to = "db", timeout = "0ms", breaker = { failure_rate = 2.0 }, bulkhead = 0 }]
[components.db]
kind = "service"
[[faults]]
kind = "spike"
target = "db"
at = "1s"
for = "1s"
"#;
    let Err(e) = from_str(text, "bad.toml", &[]) else {
        panic!("accepted an invalid scenario")
    };
    let e = e.to_string();
    for want in [
        "bad.toml:9:",
        "target_utilization must be",
        "needs `cores`",
        "timeout must be more than 0s",
        "failure_rate must be",
        "bulkhead must be between 1",
        "write target = \"traffic\"",
        "a spike needs `factor`",
    ] {
        assert!(e.contains(want), "`{want}` missing from:\n{e}");
    }
}
