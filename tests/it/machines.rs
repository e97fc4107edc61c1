//! Machine sizes and the Universal Scalability Law: saturated throughput against the USL's
//! closed form `X(N) = N X(1) / (1 + sigma (N - 1) + kappa N (N - 1))`, more cores past the
//! peak `N* = sqrt((1 - sigma) / kappa)` lowering it, cost and cores following the machine,
//! and the located errors of the keys.
//!
//! # Tolerances
//!
//! Every instance is kept saturated by a closed loop of `4 N` users who never think, so all
//! N cores are always busy and each serves exponential CPU times of mean `S f(N)` back to
//! back: the completions of each core are a Poisson process, and those of the instance a
//! Poisson process of rate `X(N)`. The count over a window of `T` seconds is then Poisson
//! with mean `X(N) T`: its relative standard error is `1 / sqrt(X(N) T)`, and each check
//! allows `K = 4` of them, plus `N` calls for the edges of the window (a call that started
//! before it and ends in it).

use crate::common::{file, inline, line_of};
use archsim::scenario::from_str;

/// Tolerances are this many standard errors.
const K: f64 = 4.0;
/// The mean CPU time of one call on one core, in seconds (X(1) = 100 calls per second).
const S: f64 = 0.010;

/// A database of `cores` cores with `usl` (a TOML inline table, or "" for none), saturated
/// by a closed loop, measured over `secs` seconds after a 2 s warm-up.
fn saturated(cores: u32, usl: &str, secs: u32) -> String {
    let users = 4 * cores;
    let usl = if usl.is_empty() {
        String::new()
    } else {
        format!("usl = {usl}")
    };
    format!(
        r#"
[run]
duration = "{secs}s"
warmup = "2s"
[traffic]
entry = "db"
users = {users}
think = "0s"
[components.db]
kind = "database"
cores = {cores}
{usl}
[components.db.endpoints.default]
cpu = "exp(10ms)"
"#
    )
}

/// The USL's throughput of `n` cores, in calls per second.
fn usl_x(n: u32, sigma: f64, kappa: f64) -> f64 {
    let n = n as f64;
    n / S / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

/// Runs `cores` under saturation and checks the throughput against the USL; returns it.
fn check_usl(cores: u32, sigma: f64, kappa: f64, secs: u32) -> f64 {
    let r = inline(
        &saturated(
            cores,
            &format!("{{ sigma = {sigma}, kappa = {kappa} }}"),
            secs,
        ),
        &[],
    );
    let x = r.throughput_rps;
    let want = usl_x(cores, sigma, kappa);
    let count = want * secs as f64;
    let tol = K / count.sqrt() + cores as f64 / count;
    assert!(
        (x / want - 1.0).abs() < tol,
        "{cores} cores: {x:.1}/s, USL {want:.1}/s (tolerance {:.2}%)",
        tol * 100.0
    );
    x
}

/// Saturated throughput at 1, 4, 16 and 64 cores is the USL's, for a database with the
/// contention and coherency of a typical OLTP engine (Gunther's fits give sigma of a few
/// percent and kappa of a few in ten thousand).
#[test]
fn saturated_throughput_follows_the_usl_at_1_4_16_and_64_cores() {
    let (sigma, kappa) = (0.03, 0.0005);
    let mut last = 0.0;
    for (cores, secs) in [(1, 200), (4, 100), (16, 60), (64, 40)] {
        let x = check_usl(cores, sigma, kappa, secs);
        // Below the peak (44 cores) more cores still help, less and less.
        assert!(x > last, "{cores} cores: {x} after {last}");
        last = x;
    }
    // Without `usl` the same 64 cores scale linearly: 6,400 calls per second.
    let r = inline(&saturated(64, "", 20), &[]);
    let linear = 64.0 / S;
    let tol = K / (linear * 20.0).sqrt() + 64.0 / (linear * 20.0);
    assert!(
        (r.throughput_rps / linear - 1.0).abs() < tol,
        "{}",
        r.throughput_rps
    );
}

/// Past the peak N* = sqrt((1 - sigma) / kappa) = 22 cores, more cores lower throughput.
#[test]
fn past_the_peak_more_cores_lower_throughput() {
    let (sigma, kappa) = (0.03, 0.002);
    let peak = ((1.0f64 - sigma) / kappa).sqrt();
    assert!((peak - 22.0).abs() < 0.1);
    let at_peak = check_usl(22, sigma, kappa, 60);
    let x32 = check_usl(32, sigma, kappa, 60);
    let x64 = check_usl(64, sigma, kappa, 60);
    assert!(
        at_peak > x32 && x32 > x64,
        "22 cores {at_peak:.0}/s, 32 cores {x32:.0}/s, 64 cores {x64:.0}/s"
    );
}

/// One call alone on a big machine runs at full speed: the stretch follows the cores busy,
/// not the cores owned. A USL of zeros is the linear model, to the byte.
#[test]
fn a_lone_call_pays_no_coherency_and_zero_usl_is_linear() {
    let text = |usl: &str| {
        format!(
            r#"
[run]
duration = "20s"
[traffic]
entry = "db"
rate = 1
arrivals = "uniform"
[components.db]
kind = "database"
machine = "general.16xlarge"
{usl}
[components.db.endpoints.default]
cpu = "10ms"
"#
        )
    };
    let r = inline(&text("usl = { sigma = 0.1, kappa = 0.01 }"), &[]);
    assert_eq!(r.components["db"].cores, Some(64));
    // Uniform arrivals 1 s apart, 10 ms each: every call is alone, one core busy, f(1) = 1.
    assert_eq!(r.latency_ms.max, Some(10.0));
    assert_eq!(r.latency_ms.mean, Some(10.0));
    let json = |t: &str| {
        let mut r = inline(t, &[]);
        r.wall_s = 0.0;
        serde_json::to_string(&r).unwrap()
    };
    assert_eq!(
        json(&text("usl = { sigma = 0, kappa = 0 }")),
        json(&text(""))
    );
}

/// Cost follows the machine: the catalogue's price per instance, a `[machines]` override
/// of it, and an explicit `cost_per_hour` over both; cores default to the machine's.
#[test]
fn cost_and_cores_follow_the_machine() {
    let text = r#"
[run]
duration = "5s"
[traffic]
entry = "app"
rate = 10
[machines."compute.xlarge"]
cost_per_hour = 0.2
[machines."big-box"]
cores = 96
memory = "768GiB"
cost_per_hour = 6.5
[components.app]
kind = "service"
instances = 3
machine = "general.2xlarge"
[components.app.endpoints.default]
cpu = "1ms"
calls = ["db", "worker"]
[components.worker]
kind = "service"
machine = "compute.xlarge"
[components.worker.endpoints.default]
cpu = "1ms"
[components.db]
kind = "database"
machine = "big-box"
replicas = 1
cost_per_hour = 10
[components.db.endpoints.default]
cpu = "1ms"
"#;
    let r = inline(text, &[]);
    let app = archsim::models::Machine::named("general.2xlarge").unwrap();
    let cost = r.cost.as_ref().expect("cost");
    assert!((cost.components["app"] - 3.0 * app.cost_per_hour).abs() < 1e-9);
    assert!((cost.components["worker"] - 0.2).abs() < 1e-9);
    // An explicit price wins over the machine's, for the primary and its replica.
    assert!((cost.components["db"] - 20.0).abs() < 1e-9);
    assert_eq!(r.components["app"].cores, Some(app.cores));
    assert_eq!(r.components["worker"].cores, Some(4));
    assert_eq!(r.components["db"].cores, Some(96));
    // The typed machine reaches the model's spec.
    let sc = from_str(text, "m.toml", &[]).unwrap();
    let db = sc.spec.components.iter().find(|c| c.name == "db").unwrap();
    let m = db.machine.as_ref().expect("machine");
    assert_eq!((m.cores, m.memory_bytes), (96, 768 << 30));
    // A new type's unwritten resources take the documented defaults.
    assert_eq!(m.network_bytes_per_s, 10e9 / 8.0);
    assert_eq!((m.disk_iops, m.disk_bytes_per_s), (3_000.0, 125e6));
}

/// Each mistake is reported at its key with what to write.
#[test]
fn machine_and_usl_mistakes_are_located() {
    let text = r#"
[run]
duration = "10s"
[traffic]
entry = "db"
rate = 10
[machines."tiny"]
memory = "4GB"
[machines."big"]
cores = 8
cost_per_hour = 1
disk_iop = 5
[components.db]
kind = "database"
machine = "general.16xlarge"
cores = 500
usl = { sigma = -0.1, kappa = 2 }
[components.db.endpoints.default]
cpu = "1ms"
[components.app]
kind = "service"
machine = "general.16xlarg"
usl = { sigma = 0.1 }
"#;
    let Err(e) = from_str(text, "bad.toml", &[]) else {
        panic!("accepted an invalid scenario")
    };
    let e = e.to_string();
    let at = |pat: &str| format!("bad.toml:{}:", line_of(text, pat));
    for want in [
        format!(
            "{}9: components.db.cores = 500 but machine general.16xlarge has 64 cores; pick a bigger machine or fewer cores",
            at("cores = 500")
        ),
        format!("{}17: components.db.usl.sigma must be between 0 and 1, got -0.1", at("usl = { sigma = -0.1")),
        "components.db.usl.kappa must be between 0 and 1, got 2".into(),
        format!(
            "{}11: components.app.machine: no machine type \"general.16xlarg\"; did you mean \"general.16xlarge\"?",
            at("machine = \"general.16xlarg\"")
        ),
        "components.app.usl needs cores to scale over: set `cores` or a `machine`".into(),
        "machines.tiny is not in the catalogue, so it needs `cores`".into(),
        "machines.tiny is not in the catalogue, so it needs `cost_per_hour`".into(),
        "machines.big: unknown key `disk_iop`; did you mean `disk_iops`?".into(),
    ] {
        assert!(e.contains(&want), "`{want}` missing from:\n{e}");
    }
    // A dotted name unquoted is a table of tables to TOML: the message says to quote it.
    let dotted = text.replace("[machines.\"tiny\"]", "[machines.general.xlarge]");
    let e = from_str(&dotted, "bad.toml", &[])
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("write it in quotes: [machines.\"general.xlarge\"]"),
        "{e}"
    );
}

/// The shipped story: a bigger database helps less and less and then hurts, and the same
/// money on read replicas does better.
#[test]
fn the_vertical_scaling_scenario_peaks_at_32_cores_and_replicas_beat_it() {
    const F: &str = "scenarios/resources/vertical-scaling-usl.toml";
    let on = |m: &str| file(F, &[&format!("components.db.machine={m}")]);
    let x = |r: &archsim::stats::SimResult| r.throughput_rps;
    let db_cost = |r: &archsim::stats::SimResult| r.cost.as_ref().unwrap().components["db"];
    let (c16, c32, c64) = (on("memory.4xlarge"), file(F, &[]), on("memory.16xlarge"));
    // 16 cores: saturated at the USL's X(16) = 4,466/s (60 s of Poisson completions: a
    // standard error of 0.2%; allow 1%).
    let usl = |n: f64| n * 500.0 / (1.0 + 0.04 * (n - 1.0) + 0.0008 * n * (n - 1.0));
    assert!((x(&c16) / usl(16.0) - 1.0).abs() < 0.01, "{}", x(&c16));
    assert!((x(&c64) / usl(64.0) - 1.0).abs() < 0.01, "{}", x(&c64));
    assert!(c16.error_rate > 0.05 && c64.error_rate > 0.01);
    // 32 cores serve the offered 5,000/s and meet the SLO; 64 cores, at twice the price,
    // serve less.
    assert_eq!(c32.error_rate, 0.0);
    assert!(c32.slo.as_ref().unwrap().met);
    assert!(x(&c64) < x(&c32));
    assert!((db_cost(&c64) / db_cost(&c32) - 2.0).abs() < 1e-9);
    // A primary and three 8-core replicas: the same price as the one 32-core box, a lower
    // p99.
    let rep = file(
        F,
        &[
            "components.db.machine=memory.2xlarge",
            "components.db.replicas=3",
        ],
    );
    assert!((db_cost(&rep) - db_cost(&c32)).abs() < 1e-9);
    assert_eq!(rep.error_rate, 0.0);
    assert!(rep.latency_ms.p99.unwrap() < 0.6 * c32.latency_ms.p99.unwrap());
}
