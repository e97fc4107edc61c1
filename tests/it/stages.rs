//! The growth stages: each stage's architecture meets its SLO on its own traffic, and each
//! "warning signs" twin (a stage's traffic on the previous stage's architecture) shows the signs
//! that stage is known for. The scenarios run exactly as shipped (seed 1), as the README's
//! command runs them.

use archsim::scenario::load;
use archsim::stats::SimResult;
use std::sync::OnceLock;

/// Stage 3 as designed, shared by the tests that compare with it.
fn stage3() -> &'static SimResult {
    static R: OnceLock<SimResult> = OnceLock::new();
    R.get_or_init(|| run("stage3.toml"))
}

fn run(file: &str) -> SimResult {
    let path = format!("{}/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let r = load(path.as_ref(), &[])
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .run()
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let q = &r.requests;
    assert_eq!(q.generated, q.succeeded + q.failed + q.in_flight, "{file}");
    r
}

fn slo_met(r: &SimResult) -> bool {
    r.slo.as_ref().expect("stage scenarios have an SLO").met
}

fn util(r: &SimResult, comp: &str) -> f64 {
    r.components[comp].utilization.expect("has cores")
}

fn extra(r: &SimResult, comp: &str, key: &str) -> f64 {
    r.components[comp].extra[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{comp}.{key}"))
}

/// The mean of a series over buckets starting in `[from, to)` seconds.
fn mean_over(r: &SimResult, s: &[f64], from: f64, to: f64) -> f64 {
    let v: Vec<f64> = r
        .series
        .t_s
        .iter()
        .zip(s)
        .filter(|(t, _)| (from..to).contains(*t))
        .map(|(_, x)| *x)
        .collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// The worst p99 over buckets starting in `[from, to)` seconds.
fn worst_p99(r: &SimResult, from: f64, to: f64) -> f64 {
    r.series
        .t_s
        .iter()
        .zip(&r.series.p99_ms)
        .filter(|(t, _)| (from..to).contains(*t))
        .filter_map(|(_, p)| *p)
        .fold(0.0, f64::max)
}

fn saturated(r: &SimResult, comp: &str) -> bool {
    r.timeline
        .iter()
        .any(|e| e.component == comp && e.event == "saturated")
}

/// The incident the traffic spike (at 6 minutes in every stage scenario) started.
fn spike_incident(r: &SimResult) -> &archsim::stats::Cascade {
    r.cascades
        .iter()
        .find(|c| c.trigger.event == "spike_start")
        .expect("the spike is a trigger")
}

#[test]
fn stage1_mvp_is_far_from_its_limits() {
    let r = run("stage1.toml");
    assert!(slo_met(&r));
    assert_eq!(r.requests.failed, 0);
    assert!(util(&r, "monolith") < 0.2 && util(&r, "db") < 0.2);
    assert_eq!(spike_incident(&r).verdict, "absorbed");
}

#[test]
fn stage2_traffic_on_the_stage1_architecture_slows_down_and_fails_in_the_spike() {
    let ours = run("stage2-warning.toml");
    let fixed = run("stage2.toml");
    // Slow pages and downtime under spikes: fine before the spike, p99 over the 500 ms SLO
    // latency and errors while it lasts, so the SLO is missed.
    assert!(!slo_met(&ours));
    assert!(worst_p99(&ours, 60.0, 300.0) < 500.0);
    assert!(worst_p99(&ours, 360.0, 420.0) > 500.0);
    assert!(mean_over(&ours, &ours.series.error_rate, 60.0, 300.0) < 0.001);
    assert!(mean_over(&ours, &ours.series.error_rate, 370.0, 420.0) > 0.05);
    assert!(saturated(&ours, "monolith") && saturated(&ours, "db"));
    let inc = spike_incident(&ours);
    assert!(inc.peak_error_rate > 0.1, "{inc:?}");
    // The stage-2 architecture takes the same traffic, spike included.
    assert!(slo_met(&fixed));
    assert_eq!(fixed.requests.failed, 0);
    assert_eq!(spike_incident(&fixed).verdict, "absorbed");
    assert!((extra(&fixed, "cdn", "hit_ratio") - 0.95).abs() < 0.005);
    assert!(extra(&fixed, "cache", "hit_ratio") > 0.5);
    assert!(util(&fixed, "db") < 0.5 * util(&ours, "db"));
}

#[test]
fn stage3_traffic_on_the_stage2_architecture_melts_the_database_in_the_spike() {
    let ours = run("stage3-warning.toml");
    let fixed = stage3();
    // Database locks and a cascade: the one primary saturates in the spike, writes wait on row
    // locks, and the app tier behind it saturates too.
    assert!(!slo_met(&ours));
    assert!(saturated(&ours, "db") && saturated(&ours, "monolith"));
    assert!(extra(&ours, "db", "lock_waits") > 2.0 * extra(fixed, "db", "lock_waits"));
    assert!(worst_p99(&ours, 360.0, 420.0) > 1000.0);
    let inc = spike_incident(&ours);
    let crossed: Vec<&str> = inc.crossings.iter().map(|c| c.component.as_str()).collect();
    assert!(
        crossed.contains(&"db") && crossed.contains(&"monolith"),
        "{crossed:?}"
    );
    // Stage 3 as designed: SLO met, spike absorbed, replicas take the reads.
    assert!(slo_met(fixed));
    assert_eq!(fixed.requests.failed, 0);
    assert_eq!(spike_incident(fixed).verdict, "absorbed");
    assert!(extra(fixed, "db", "replica_reads") > 0.0);
}

#[test]
fn stage4_traffic_on_the_stage3_architecture_shows_lag_stale_reads_and_a_cascade() {
    let ours = run("stage4-warning.toml");
    let fixed = run("stage4.toml");
    let stage3 = stage3();
    // Consistency: the replicas run hot and fall behind, so reads are stale far more often.
    assert!(extra(&ours, "db", "stale_read_ratio") > 3.0 * extra(stage3, "db", "stale_read_ratio"));
    assert!(
        extra(&ours, "db", "replication_lag_ms_mean")
            > 2.0 * extra(stage3, "db", "replication_lag_ms_mean")
    );
    // A complex incident: the database saturates, then the app tier in the spike; errors.
    assert!(!slo_met(&ours));
    assert!(saturated(&ours, "db") && saturated(&ours, "app"));
    assert!(ours.error_rate > 0.01);
    // Stage 4 as designed: SLO met, the autoscaler follows the ramp and the spike.
    assert!(slo_met(&fixed), "{:?}", fixed.slo);
    assert!(fixed.error_rate < 0.001);
    let inst = &fixed.components["app-us"].series.as_ref().unwrap()["instances"];
    let inst: Vec<f64> = inst.iter().flatten().copied().collect();
    let first = inst[0];
    let most = inst.iter().copied().fold(0.0, f64::max);
    assert!(most >= first + 4.0, "app-us instances {inst:?}");
    assert!(fixed.timeline.iter().any(|e| e.event == "scale_out"));
    let cost = fixed.cost.as_ref().expect("stage 4 is priced");
    assert!(cost.per_hour > 0.0 && cost.per_million_requests.is_some());
}

/// Runs an inline scenario: one service, the given traffic lines, 10 s buckets.
fn inline(traffic: &str) -> SimResult {
    let text = format!(
        r#"
[run]
duration = "120s"
series_interval = "10s"
[traffic]
entry = "s"
{traffic}
[components.s]
kind = "service"
[components.s.endpoints.default]
cpu = "1ms"
"#
    );
    archsim::scenario::from_str(&text, "profile.toml", &[])
        .unwrap()
        .run()
        .unwrap()
}

#[test]
fn a_traffic_profile_shapes_the_open_loop_rate_and_can_pause_it() {
    // 0.5 -> 1.5 over 60 s, then 0 for 20 s, then 1.
    let r = inline(
        r#"rate = 1000
profile = [{ at = "0s", factor = 0.5 }, { at = "60s", factor = 1.5 }, { at = "70s", factor = 0 }, { at = "90s", factor = 0 }, { at = "91s", factor = 1 }]"#,
    );
    for (t, rps) in r.series.t_s.iter().zip(&r.series.rps) {
        // The mean factor over the bucket [t, t+10): the curve is linear inside it (updated
        // every second, so the mean is off by at most half a step).
        let want = match *t as u32 {
            t if t < 60 => 1000.0 * (0.5 + (t as f64 + 5.0) / 60.0),
            60 => 1000.0 * 0.75, // 1.5 -> 0 over the bucket
            70 | 80 => 0.0,
            90 => 1000.0 * 0.9,
            t if t < 120 => 1000.0,
            _ => continue,
        };
        // Poisson counts over 10 s: 4 standard errors plus the one-second steps.
        let tol = 4.0 * (want / 10.0).sqrt() + 0.06 * want + 1.0;
        assert!((rps - want).abs() < tol, "t={t}: {rps} req/s, want {want}");
    }
}

#[test]
fn a_traffic_profile_sets_how_many_closed_loop_users_take_part() {
    // 1,000 users thinking 1 s: about 1,000 req/s at factor 1.
    let r = inline(
        r#"users = 1000
think = "exp(1s)"
profile = [{ at = "0s", factor = 0.25 }, { at = "60s", factor = 0.25 }, { at = "61s", factor = 1 }]"#,
    );
    let at = |t: f64| r.series.rps[r.series.t_s.iter().position(|x| *x == t).unwrap()];
    assert!((at(30.0) - 250.0).abs() < 30.0, "{}", at(30.0));
    assert!((at(100.0) - 1000.0).abs() < 60.0, "{}", at(100.0));
}
