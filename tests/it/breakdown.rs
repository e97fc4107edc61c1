//! Where the time goes (issue 14 items 1 and 2): each component's response time and its
//! phases, against queueing theory where there is a closed form, and the breakdown of the
//! median's and the p99's requests.

use crate::common::{file, inline};

/// An app whose own work is long and steady in front of a database near saturation.
const TWO_TIER: &str = r#"
[run]
duration = "300s"
warmup = "20s"
[traffic]
entry = "app"
rate = 80
[components.app]
kind = "service"
cores = 64
[components.app.endpoints.default]
cpu = "50ms"
calls = ["db"]
[components.db]
kind = "database"
cores = 1
[components.db.endpoints.default]
cpu = "exp(10ms)"
"#;

#[test]
fn the_saturated_database_queue_dominates_the_p99_and_not_the_median() {
    let r = inline(TWO_TIER, &[]);
    let b = r.breakdown.as_ref().expect("a breakdown");
    let top = &b.p99[0];
    assert_eq!(
        (top.component.as_str(), top.phase.as_str()),
        ("db", "wait"),
        "{:?}",
        b.p99
    );
    assert!(top.share > 0.5, "db's queue holds {:.2} of p99", top.share);
    let med = &b.median[0];
    assert_eq!(
        (med.component.as_str(), med.phase.as_str()),
        ("app", "service"),
        "{:?}",
        b.median
    );
    let db_wait_median = b
        .median
        .iter()
        .find(|p| p.component == "db" && p.phase == "wait")
        .map_or(0.0, |p| p.share);
    assert!(db_wait_median < 0.5, "{db_wait_median}");
    // Each group's parts make up its latency.
    for parts in [&b.median, &b.p99] {
        let total: f64 = parts.iter().map(|p| p.share).sum();
        assert!((total - 1.0).abs() < 1e-9, "shares add to {total}");
    }
    // The p99 group's mean latency is at or above the p99 (within the 4.4% bins).
    let p99 = r.latency_ms.p99.unwrap();
    assert!(b.groups["p99"].latency_ms >= p99 * 0.95);
}

#[test]
fn a_components_time_matches_mm1_and_its_phases_add_up() {
    // db is M/M/1 at rho = 0.8 (10 ms mean service): mean wait rho/(mu - lambda) = 40 ms,
    // mean response 1/(mu - lambda) = 50 ms. The tolerance follows from the run: 280 s
    // measured at 80/s is 22,400 calls; at rho 0.8 the batch-means half-width of the mean
    // response is about 6%, so 10% (5 ms) holds.
    let r = inline(TWO_TIER, &[]);
    let db = &r.components["db"];
    let l = db.latency_ms.as_ref().unwrap();
    let t = db.time_ms.as_ref().unwrap();
    let mean = l.mean.unwrap();
    assert!((mean - 50.0).abs() < 5.0, "db mean {mean}");
    assert!((t.wait - 40.0).abs() < 5.0, "db wait {}", t.wait);
    assert!((t.service - 10.0).abs() < 0.5, "db service {}", t.service);
    assert_eq!((t.downstream, t.network), (0.0, 0.0));
    // The app's time: its 50 ms, then db's whole response as its downstream time.
    let app = &r.components["app"];
    let at = app.time_ms.as_ref().unwrap();
    assert!((at.service - 50.0).abs() < 1e-6, "{}", at.service);
    assert!(
        (at.downstream - mean).abs() / mean < 0.01,
        "{} {mean}",
        at.downstream
    );
    let sum = at.wait + at.service + at.downstream + at.network;
    let app_mean = app.latency_ms.as_ref().unwrap().mean.unwrap();
    assert!((sum - app_mean).abs() < 1e-6, "{sum} vs {app_mean}");
    // The entry's response time is the request's latency (no network here).
    assert!((app_mean - r.latency_ms.mean.unwrap()).abs() / app_mean < 0.01);
    // Percentiles are ordered.
    let l = app.latency_ms.as_ref().unwrap();
    assert!(l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999);
}

#[test]
fn network_and_retries_are_their_own_parts() {
    // A 2 ms network on every hop; a client that times out at 60 ms and retries once (a
    // retry storm follows, which does not matter here: some requests still succeed).
    let r = inline(
        TWO_TIER,
        &[
            "traffic.rate=50",
            "components.app.endpoints.default.cpu=\"5ms\"",
            "network.latency=\"2ms\"",
            "traffic.timeout=\"60ms\"",
            "traffic.retry.max=1",
        ],
    );
    let b = r.breakdown.as_ref().unwrap();
    let net: f64 = b
        .median
        .iter()
        .filter(|p| p.phase == "network")
        .map(|p| p.ms)
        .sum();
    // Two round trips (client-app, app-db): 8 ms.
    assert!((net - 8.0).abs() < 1e-6, "median network {net}");
    assert!(
        b.p99.iter().any(|p| p.phase == "retries"),
        "timeouts and retries show in the p99: {:?}",
        b.p99
    );
}

#[test]
fn fanout_counts_the_critical_path_once() {
    // The app asks 4 instances of a store at once; a request's time is the slowest answer,
    // so the shares still add up to its latency.
    let r = inline(
        r#"
[run]
duration = "60s"
[traffic]
entry = "app"
rate = 100
[components.app]
kind = "service"
cores = 8
[components.app.endpoints.default]
cpu = "exp(1ms)"
calls = [{ to = "store", fanout = 4 }]
[components.store]
kind = "service"
instances = 4
cores = 2
[components.store.endpoints.default]
cpu = "exp(5ms)"
"#,
        &[],
    );
    let b = r.breakdown.as_ref().unwrap();
    for parts in [&b.median, &b.p99] {
        let total: f64 = parts.iter().map(|p| p.share).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(!parts.iter().any(|p| p.phase == "retries"), "{parts:?}");
    }
    let store = r.components["store"].time_ms.as_ref().unwrap();
    let app = r.components["app"].time_ms.as_ref().unwrap();
    // The app waits for the slowest of 4: longer than one store call on average.
    assert!(app.downstream > store.wait + store.service);
}

#[test]
fn every_stage_scenario_has_component_times_and_a_breakdown() {
    let r = file(
        "scenarios/stage2.toml",
        &["run.duration=\"90s\"", "run.warmup=\"10s\""],
    );
    assert!(r.breakdown.is_some());
    for (name, c) in &r.components {
        if c.served > 0 {
            let t = c.time_ms.as_ref().unwrap_or_else(|| panic!("{name}"));
            let l = c.latency_ms.as_ref().unwrap().mean.unwrap();
            let sum = t.wait + t.service + t.downstream + t.network;
            assert!((sum - l).abs() < 1e-6 * l.max(1.0), "{name}: {sum} vs {l}");
        }
    }
    let text = r.summary();
    assert!(text.contains("p99 requests:"), "{text}");
}

#[test]
fn the_breakdown_can_be_turned_off_and_changes_nothing_else() {
    let on = inline(TWO_TIER, &["run.duration=\"60s\""]);
    let off = inline(TWO_TIER, &["run.duration=\"60s\"", "run.breakdown=false"]);
    assert!(off.breakdown.is_none());
    assert!(off.components["db"].latency_ms.is_none());
    assert!(off.components["db"].time_ms.is_none());
    let strip = |r: &archsim::stats::SimResult| {
        let mut v: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("breakdown");
        o.remove("wall_s");
        for c in o["components"].as_object_mut().unwrap().values_mut() {
            let c = c.as_object_mut().unwrap();
            c.remove("latency_ms");
            c.remove("time_ms");
        }
        v
    };
    assert_eq!(strip(&on), strip(&off));
}
