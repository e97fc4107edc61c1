//! Autoscaling on any signal (CPU, waiting calls, answered rate, a latency percentile) and
//! scale to zero with cold starts: counts against the gaps of a constructed load curve, the
//! cold start in the latency of the requests that waited for it, each signal driving the
//! scale-out, and the located errors of the keys.

use crate::common::{file, inline};
use archsim::scenario::from_str;
use archsim::stats::SimResult;

const SERVERLESS: &str = "scenarios/resources/serverless-scale-to-zero.toml";

/// The quiet gaps of the serverless scenario's load curve, in seconds: the factor drops
/// from 1 to 0 over one second and rises back over one, and is updated every second, so
/// a gap runs from the ramp-down's end to the ramp-up's start (6 -> 100, 106 -> 115,
/// 121 -> 205, 211 -> 305).
const GAPS_S: [f64; 4] = [94.0, 9.0, 84.0, 94.0];

fn events(r: &SimResult, comp: &str, name: &str) -> usize {
    r.timeline
        .iter()
        .filter(|e| e.component == comp && e.event == name)
        .count()
}

fn cold_starts(r: &SimResult) -> u64 {
    r.components["webhook"].extra["cold_starts"]
        .as_u64()
        .expect("cold_starts")
}

/// One cold start per quiet gap longer than `idle` (the scaler looks every interval / 30
/// = 0.33 s, so a gap must beat `idle` by that much: every gap here is seconds away from
/// each `idle` tried), each after a scale to zero.
#[test]
fn cold_starts_count_the_gaps_longer_than_idle() {
    for idle in [5.0, 30.0, 90.0, 100.0] {
        let r = file(
            SERVERLESS,
            &[&format!("components.webhook.autoscale.idle={idle}s")],
        );
        let want = GAPS_S.iter().filter(|g| **g > idle + 1.0).count();
        assert_eq!(cold_starts(&r), want as u64, "idle {idle}s");
        assert_eq!(events(&r, "webhook", "scale_to_zero"), want, "idle {idle}s");
        assert_eq!(events(&r, "webhook", "cold_start"), want, "idle {idle}s");
        assert_eq!(events(&r, "webhook", "cold_ready"), want, "idle {idle}s");
        assert_eq!(r.requests.failed, 0);
    }
}

/// The first request after a gap waits the whole cold start (800 ms) before its 10 ms of
/// CPU and its call to the store; the ones after it wait less; a warm instance answers in
/// 10 ms plus the store's time. The instance costs only while it exists.
#[test]
fn the_first_request_after_a_gap_waits_for_the_cold_start() {
    let r = file(SERVERLESS, &[]);
    let max = r.latency_ms.max.unwrap();
    // 800 + 10 ms, plus an exp(3 ms) store call (the largest of 3: well under 30 ms).
    assert!((810.0..840.0).contains(&max), "max {max} ms");
    let p50 = r.latency_ms.p50.unwrap();
    assert!((10.0..20.0).contains(&p50), "p50 {p50} ms");
    // At 20 requests per second, uniform, 16 arrive during each 800 ms cold start.
    let waited: Vec<&str> = r
        .timeline
        .iter()
        .filter(|e| e.event == "cold_ready")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(waited.len(), 3);
    for w in waited {
        assert!(w.contains("16 requests waited"), "{w}");
    }
    // Ready instance time: the instance exists through each burst and for `idle` after it,
    // never in a gap beyond that.
    let mean = r.components["webhook"].extra["mean_instances"]
        .as_f64()
        .unwrap();
    assert!(mean < 0.5, "mean instances {mean}");
    let series = &r.components["webhook"].series.as_ref().unwrap()["instances"];
    assert!(series.contains(&Some(0.0)));
    // With min = 1 it never scales to zero: no cold start, no key.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let always_on = std::fs::read_to_string(root.join(SERVERLESS))
        .unwrap()
        .replace(
            r#"min = 0, max = 4, interval = "10s", idle = "30s", cold_start = "800ms""#,
            r#"min = 1, max = 4, interval = "10s""#,
        );
    let warm = inline(&always_on, &[]);
    assert!(!warm.components["webhook"].extra.contains_key("cold_starts"));
    assert!(warm.latency_ms.max.unwrap() < 50.0);
    assert_eq!(warm.requests.generated, r.requests.generated);
}

/// A scaler that follows a signal scales out when the signal is over its target; a CPU
/// scaler on an I/O-bound service does not see the overload.
#[test]
fn each_signal_scales_an_io_bound_service_that_cpu_does_not() {
    let text = |autoscale: &str| {
        format!(
            r#"
[run]
duration = "60s"
seed = 1
[traffic]
entry = "api"
rate = 600
timeout = "5s"
[components.api]
kind = "service"
instances = 2
cores = 2
workers = 32
autoscale = {{ {autoscale}, min = 2, max = 8, interval = "5s", startup = "5s" }}
[components.api.endpoints.default]
cpu = "exp(2ms)"
calls = ["slow"]
[components.slow]
kind = "service"
[components.slow.endpoints.default]
cpu = "150ms"
"#
        )
    };
    let scale_outs = |r: &SimResult| events(r, "api", "scale_out");
    // Two instances serve 2 x 32 / 0.152 s = 421 per second: 600 overloads the workers
    // while the CPU is 600 x 2 ms / 4 cores = 30% busy.
    let cpu = inline(&text("target_utilization = 0.6"), &[]);
    assert_eq!(scale_outs(&cpu), 0);
    assert!(cpu.error_rate > 0.1, "{}", cpu.error_rate);
    for signal in [
        r#"metric = "queue", target = 4"#,
        r#"metric = "rate", target = 100"#,
        r#"metric = "latency", percentile = 99, target = "300ms""#,
    ] {
        let r = inline(&text(signal), &[]);
        assert!(scale_outs(&r) > 0, "{signal}");
        let out = r.timeline.iter().find(|e| e.event == "scale_out").unwrap();
        // The timeline says which signal, in its unit.
        let unit = match signal.split('"').nth(1).unwrap() {
            "queue" => "calls waiting per instance",
            "rate" => "calls/s per instance",
            _ => "p99 ",
        };
        assert!(out.detail.contains(unit), "{}", out.detail);
        assert!(
            r.error_rate < cpu.error_rate / 2.0,
            "{signal}: {} against {}",
            r.error_rate,
            cpu.error_rate
        );
    }
}

/// The rate signal is the answered calls per second per ready instance: with 400 per second
/// on a target of 100, the HPA rule asks for exactly 4 instances.
#[test]
fn the_rate_signal_asks_for_rate_over_target_instances() {
    let r = inline(
        r#"
[run]
duration = "60s"
[traffic]
entry = "api"
rate = 400
arrivals = "uniform"
[components.api]
kind = "service"
autoscale = { metric = "rate", target = 100, max = 10, interval = "10s" }
[components.api.endpoints.default]
cpu = "1ms"
"#,
        &[],
    );
    let series = &r.components["api"].series.as_ref().unwrap()["instances"];
    let last = series.iter().rev().find_map(|x| *x).unwrap();
    assert_eq!(last, 4.0, "{series:?}");
}

/// Each mistake is reported at its place with what to write.
#[test]
fn bad_signal_keys_are_located() {
    let text = r#"
[run]
duration = "10s"
[traffic]
entry = "api"
rate = 10
[components.api]
kind = "service"
autoscale = { metric = "memroy", max = 4 }
[components.b]
kind = "service"
autoscale = { metric = "latency", target = 5, class = "nope", max = 4 }
[components.c]
kind = "service"
autoscale = { metric = "queue", max = 4, idle = "1m" }
[components.d]
kind = "service"
cores = 1
autoscale = { target_utilization = 0.5, target = 3, max = 4, min = 0, cold_start = "expo(1s)" }
[components.e]
kind = "database"
cores = 1
replicas = 1
replica_autoscale = { target_utilization = 0.5, metric = "rate", max = 2 }
"#;
    let Err(e) = from_str(text, "bad.toml", &[]) else {
        panic!("accepted an invalid scenario")
    };
    let e = e.to_string();
    for want in [
        "bad.toml:9:",
        "components.api.autoscale.metric: unknown value \"memroy\"; expected one of: cpu, queue, rate, latency",
        "components.b.autoscale.target: a latency target is a duration",
        "components.b.autoscale.class: `nope` is not a request class",
        "components.c.autoscale.target: metric = \"queue\" needs `target`, e.g. target = 4",
        "components.c.autoscale.idle applies to a scaler that may scale to zero: set min = 0",
        "components.d.autoscale.target: the CPU signal's target is `target_utilization`",
        "components.d.autoscale.cold_start:",
        "components.e.replica_autoscale.metric: unknown value \"rate\"; expected one of: cpu",
    ] {
        assert!(e.contains(want), "`{want}` missing from:\n{e}");
    }
}

/// The shipped latency story: scaling on the p99 keeps an I/O-bound API without errors
/// through a ramp that the same API pinned at its starting size fails.
#[test]
fn the_latency_scaler_carries_the_ramp_the_pinned_api_fails() {
    const F: &str = "scenarios/resources/autoscale-on-latency.toml";
    let r = file(F, &[]);
    assert_eq!(r.requests.failed, 0);
    assert!(events(&r, "api", "scale_out") > 0);
    let series = &r.components["api"].series.as_ref().unwrap()["instances"];
    let most = series.iter().filter_map(|x| *x).fold(0.0, f64::max);
    assert!(most >= 6.0, "{series:?}");
    let pinned = file(F, &["components.api.autoscale.max=3"]);
    assert_eq!(events(&pinned, "api", "scale_out"), 0);
    assert!(pinned.error_rate > 0.3, "{}", pinned.error_rate);
}

/// A service whose calls hold memory while they wait on a slow store (CPU nearly idle):
/// scaling on memory adds instances as the traffic climbs and keeps them below their
/// capacity; scaling on CPU never moves, and the lone instance is OOM-killed.
#[test]
fn memory_signal_scales_out_before_the_instances_run_out_of_memory() {
    let text = |metric: &str| {
        format!(
            r#"
[run]
duration = "300s"
[traffic]
entry = "api"
rate = 50
profile = [{{ at = "0s", factor = 1.0 }}, {{ at = "100s", factor = 4.0 }}]
[components.api]
kind = "service"
cores = 8
workers = 400
memory = "1GiB"
memory_base = "128MiB"
memory_per_request = "16MiB"
autoscale = {{ {metric}, min = 1, max = 8, interval = "10s", stabilization = "30s" }}
[components.api.endpoints.default]
cpu = "exp(1ms)"
calls = ["store"]
[components.store]
kind = "database"
[components.store.endpoints.default]
cpu = "const(200ms)"
"#
        )
    };
    // 200/s x 0.2 s = 40 calls in flight x 16 MiB = 640 MiB on one 1 GiB instance (+128
    // MiB base): 75%. With 50/s it is 10 calls, 160 MiB: 28%.
    let r = inline(&text("metric = \"memory\", target = 0.4"), &[]);
    let outs: Vec<&str> = r
        .timeline
        .iter()
        .filter(|e| e.component == "api" && e.event == "scale_out")
        .map(|e| e.detail.as_str())
        .collect();
    assert!(!outs.is_empty(), "no scale-out");
    assert!(outs[0].contains("memory"), "{outs:?}");
    assert_eq!(
        r.components["api"]
            .extra
            .get("oom_kills")
            .and_then(|v| v.as_u64()),
        Some(0)
    );
    let max = r.components["api"].extra["memory_utilization_max"]
        .as_f64()
        .unwrap();
    assert!(max < 1.0, "max memory utilization {max}");
    // The CPU (under 5%) never asks for more: the same climb kills the lone instance.
    let r = inline(&text("target_utilization = 0.6"), &[]);
    assert_eq!(events(&r, "api", "scale_out"), 0);
    assert!(
        r.components["api"].extra["oom_kills"].as_u64().unwrap() > 0,
        "no OOM kill without memory scaling"
    );
    // Without a memory capacity the signal is refused where it is written.
    let bad = text("metric = \"memory\", target = 0.4").replace("memory = \"1GiB\"\n", "");
    let e = from_str(&bad, "m.toml", &[]).unwrap_err().to_string();
    assert!(e.contains("needs the memory of an instance"), "{e}");
    let bad = text("metric = \"memory\", target = 1.5");
    let e = from_str(&bad, "m.toml", &[]).unwrap_err().to_string();
    assert!(e.contains("must be a utilization in (0, 1]"), "{e}");
}

/// A crash while an instance starts from zero: the requests held for it fail (counted), the
/// start ends with the instance down, it takes traffic when it is back, and the next gaps
/// scale to zero and cold-start as before. Every request is accounted for.
#[test]
fn a_crash_during_a_cold_start_fails_the_held_requests_and_the_service_recovers() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(SERVERLESS)).unwrap()
        + "\n[[faults]]\nkind = \"crash\"\ntarget = \"webhook\"\nat = \"101.2s\"\nfor = \"2s\"\n";
    let r = inline(&text, &[]);
    let q = &r.requests;
    assert_eq!(q.generated, q.succeeded + q.failed + q.in_flight);
    assert_eq!(q.in_flight, 0);
    // The burst's first requests arrive from 101.05 s at the ramp's rate; those held for the
    // start (3) and those arriving while it is down (about 2 s x 20/s) fail, no others.
    assert!((30..=50).contains(&q.failed), "failed {}", q.failed);
    let ready: Vec<&str> = r
        .timeline
        .iter()
        .filter(|e| e.event == "cold_ready")
        .map(|e| e.detail.as_str())
        .collect();
    assert!(
        ready[0].contains("it is down (a crash during its start)"),
        "{ready:?}"
    );
    // The later gaps: scale to zero and a cold start each, as without the crash.
    assert_eq!(events(&r, "webhook", "cold_start"), 3);
    assert!(ready[1].contains("16 requests waited"), "{ready:?}");
    // After the crash ends (103.2 s) nothing fails: every bucket from 105 s is clean.
    for (t, e) in r.series.t_s.iter().zip(&r.series.error_rate) {
        if *t >= 105.0 {
            assert_eq!(*e, 0.0, "errors at {t} s");
        }
    }
}
