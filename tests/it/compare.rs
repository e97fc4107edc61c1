//! `simulate compare`, `sweep` and `capacity` against queueing closed forms, and their
//! command-line errors.

use crate::common::{bin, scratch_dir};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

/// A scratch folder unique to this test.
fn dir(test: &str) -> PathBuf {
    scratch_dir("compare", test)
}

/// An M/M/c queue: Poisson arrivals at `rate`, `cores` servers, exponential 10 ms service
/// (mu = 100/s per server).
fn mmc(rate: f64, cores: u32, duration_s: u32) -> String {
    format!(
        r#"
[run]
duration = "{duration_s}s"
warmup = "20s"
[traffic]
entry = "server"
rate = {rate}
[components.server]
kind = "service"
cores = {cores}
[components.server.endpoints.default]
cpu = "exp(10ms)"
"#
    )
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn json_of(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

const MU: f64 = 100.0;

/// p99 of the M/M/1 response time: ln(100) / (mu - lambda), in ms.
fn mm1_p99_ms(lambda: f64) -> f64 {
    100f64.ln() / (MU - lambda) * 1e3
}

#[test]
fn two_servers_beat_one_at_the_same_load() {
    let d = dir("order");
    // Same arrivals (one seed, same stream names); the one-server queue runs at rho 0.7, the
    // two-server queue at twice the capacity.
    std::fs::write(d.join("a-one.toml"), mmc(70.0, 1, 300)).unwrap();
    std::fs::write(d.join("b-two.toml"), mmc(70.0, 2, 300)).unwrap();
    let out = run(&["compare", d.to_str().unwrap(), "--json", "-"]);
    let v = json_of(&out);
    let runs = v.as_array().unwrap();
    assert_eq!(
        runs.len(),
        2,
        "a folder gives its .toml files in name order"
    );
    assert_eq!(runs[0]["name"], "a-one");
    assert_eq!(runs[1]["name"], "b-two");
    let p99 = |i: usize| runs[i]["result"]["latency_ms"]["p99"].as_f64().unwrap();
    assert!(
        p99(1) < p99(0) / 2.0,
        "M/M/2 p99 {} should be far below M/M/1 p99 {}",
        p99(1),
        p99(0)
    );
    // Common random numbers: both saw the same arrivals.
    assert_eq!(
        runs[0]["result"]["requests"]["generated"],
        runs[1]["result"]["requests"]["generated"]
    );
    assert_eq!(runs[0]["bottleneck"]["component"], "server");
    // The table (on stderr with --json -) names both rows and the bottleneck.
    let table = String::from_utf8_lossy(&out.stderr);
    assert!(
        table.contains("a-one") && table.contains("b-two"),
        "{table}"
    );
    assert!(table.contains("bottleneck"), "{table}");
}

#[test]
fn sweep_follows_the_mm1_hockey_stick() {
    let d = dir("sweep");
    let f = d.join("mm1.toml");
    std::fs::write(&f, mmc(10.0, 1, 2000)).unwrap();
    let rates = [20.0, 40.0, 60.0, 80.0];
    let list = rates.map(|r| r.to_string()).join(",");
    let out = run(&[
        "sweep",
        f.to_str().unwrap(),
        "--set",
        &format!("traffic.rate={list}"),
        "--replications",
        "4",
        "--json",
        "-",
    ]);
    let v = json_of(&out);
    assert_eq!(v["keys"][0], "traffic.rate");
    let pts = v["points"].as_array().unwrap();
    assert_eq!(pts.len(), rates.len());
    let mut last = 0.0;
    for (p, &lambda) in pts.iter().zip(&rates) {
        assert_eq!(p["set"]["traffic.rate"].as_f64(), Some(lambda));
        let p99 = p["result"]["latency_ms"]["p99"].as_f64().unwrap();
        let want = mm1_p99_ms(lambda);
        // 4 x 2000 s gives at least 60,000 requests per point; the p99 of a correlated queue
        // at rho 0.8 is known to a few percent; 10% is about three standard errors.
        assert!(
            (p99 - want).abs() / want < 0.10,
            "rate {lambda}: p99 {p99:.1} ms, closed form {want:.1} ms"
        );
        assert!(
            p99 > last,
            "p99 must rise with the load: {p99} after {last}"
        );
        last = p99;
    }
}

#[test]
fn capacity_of_mm1_matches_the_closed_form() {
    let d = dir("capacity");
    let f = d.join("mm1.toml");
    std::fs::write(&f, mmc(50.0, 1, 1000)).unwrap();
    let slo_s = 0.2;
    let out = run(&[
        "capacity",
        f.to_str().unwrap(),
        "--slo",
        "p99<200ms",
        "--replications",
        "8",
        "--tolerance",
        "0.01",
        "--json",
        "-",
    ]);
    let v = json_of(&out);
    let cap = v["capacity"].as_f64().unwrap();
    let fails = v["fails_at"].as_f64().unwrap();
    // lambda* = mu - ln(100) / SLO
    let want = MU - 100f64.ln() / slo_s;
    assert!(
        fails > cap && (fails - cap) / cap <= 0.01 + 1e-9,
        "bracket {cap}..{fails}"
    );
    // The search requires the CI's upper end to meet the SLO, so it lands below lambda* by
    // about the CI half-width of p99 (a few percent of its value, about 2% of the load here).
    assert!(
        cap <= want * 1.02 && cap >= want * 0.93,
        "capacity {cap:.2}, closed form {want:.2}"
    );
    assert_eq!(v["saturates"], "server");
    assert_eq!(v["key"], "traffic.rate");
    // Every probe judged a p99 that meets the verdict it got.
    for p in v["probes"].as_array().unwrap() {
        let judged = p["figures"]["p99"]["judged"].as_f64();
        let meets = p["meets"].as_bool().unwrap();
        assert_eq!(meets, judged.is_some_and(|j| j < 200.0), "{p}");
    }
}

fn expect_exit_2(args: &[&str], needle: &str) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: stderr:\n{err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected `{needle}` in:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty(), "nothing is simulated");
}

#[test]
fn bad_objectives_and_sweep_lists_exit_2() {
    let d = dir("errors");
    let f = d.join("mm1.toml");
    std::fs::write(&f, mmc(50.0, 1, 60)).unwrap();
    let f = f.to_str().unwrap();
    expect_exit_2(&["capacity", f, "--slo", "p99<abc"], "is not a duration");
    expect_exit_2(
        &["capacity", f, "--slo", "p42<10ms"],
        "unknown figure `p42`",
    );
    expect_exit_2(
        &["capacity", f, "--slo", "p99>10ms"],
        "must be bounded with `<`",
    );
    expect_exit_2(&["capacity", f, "--slo", "error_rate<2"], "at most 1");
    expect_exit_2(&["capacity", f, "--slo", "p99"], "no `<`");
    expect_exit_2(&["capacity", f], "capacity needs an objective");
    expect_exit_2(
        &["capacity", f, "--slo", "p99<1s", "--tolerance", "0"],
        "--tolerance",
    );
    expect_exit_2(
        &["sweep", f, "--set", "traffic.rate=10,,20"],
        "empty value in the list",
    );
    expect_exit_2(
        &["sweep", f, "--set", "traffic.rate=10"],
        "at least one list",
    );
    // A value the scenario rejects: the usual file:line:col message, naming the point.
    expect_exit_2(
        &["sweep", f, "--set", "traffic.rate=10,-5"],
        "in the sweep point traffic.rate=-5",
    );
    expect_exit_2(
        &["sweep", f, "--set", "traffic.rate=10,-5"],
        &format!("{f}:"),
    );
    expect_exit_2(&["compare", f, "/nonexistent/x.toml"], "x.toml");
}
