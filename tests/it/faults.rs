//! Faults of the contract: `crash` and `slow`.

use archsim::scenario::from_str;

pub const BASE: &str = r#"
[run]
duration = "60s"
warmup = "5s"
series_interval = "1s"

[traffic]
entry = "lb"
rate = 2000
arrivals = "uniform"

[components.lb]
kind = "load_balancer"
targets = "app"
policy = "round_robin"

[components.app]
kind = "service"
instances = 4
cores = 4
[components.app.endpoints.default]
cpu = "exp(1ms)"
"#;

#[test]
fn a_crashed_instance_behind_round_robin_fails_its_share_then_recovers() {
    let text = format!(
        "{BASE}\n[[faults]]\nat = \"20s\"\nfor = \"10s\"\ntarget = \"app[2]\"\nkind = \"crash\"\n"
    );
    let r = from_str(&text, "crash.toml", &[]).unwrap().run().unwrap();
    let s = &r.series;
    // The balancer has no health checks yet: one request in four goes to the dead instance.
    for (i, t) in s.t_s.iter().enumerate() {
        let e = s.error_rate[i];
        if (21.0..29.0).contains(t) {
            assert!(
                (e - 0.25).abs() < 0.01,
                "t={t}: error rate {e}, expected 0.25"
            );
        } else if *t < 19.0 || (31.0..59.0).contains(t) {
            assert_eq!(e, 0.0, "t={t}: no errors outside the crash");
        }
    }
    // 10 s x 2000/s / 4 = 5000 requests were refused, plus the few in progress at the crash.
    let unavailable = r.errors["unavailable"];
    assert!(
        (5000..5020).contains(&unavailable),
        "unavailable {unavailable}"
    );
    assert_eq!(r.components["app"].extra["unavailable"], unavailable);
    // The model's own entries (the analysis adds saturation and error-rate changes).
    let derived = ["saturated", "recovered", "errors_high", "errors_normal"];
    let faults: Vec<_> = r
        .timeline
        .iter()
        .filter(|e| !derived.contains(&e.event.as_str()))
        .collect();
    let events: Vec<&str> = faults.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, ["crash", "recover"]);
    assert_eq!(faults[0].component, "app[2]");
    assert_eq!(faults[0].t_s, 20.0);
}

#[test]
fn a_crash_loses_the_work_in_progress() {
    // A service that holds every request for exactly 1 s: at 100/s it always holds 100.
    let text = r#"
[run]
duration = "10s"
[traffic]
entry = "slow"
rate = 100
arrivals = "uniform"
[components.slow]
kind = "service"
[components.slow.endpoints.default]
cpu = "1s"
[[faults]]
at = "5.0005s"
for = "1s"
target = "slow"
kind = "crash"
"#;
    let r = from_str(text, "lost.toml", &[]).unwrap().run().unwrap();
    // In progress at the crash: arrivals in (4.0005 s, 5.0005 s], i.e. 100 requests; refused
    // while down: arrivals in (5.0005 s, 6.0005 s], another 100.
    assert_eq!(r.errors["unavailable"], 200, "{:?}", r.errors);
    assert!(
        r.timeline[0].detail.contains("lost: 100"),
        "{}",
        r.timeline[0].detail
    );
    let q = &r.requests;
    assert_eq!(q.generated, q.succeeded + q.failed + q.in_flight);
    assert_eq!(q.failed, 200);
}

#[test]
fn a_slow_fault_multiplies_cpu_times() {
    // M/M/1 at rho = 0.45, slowed x2 for the whole measured window: rho = 0.9, so the mean
    // response becomes S'/(1 - rho') = 2 ms / 0.1 = 20 ms instead of 1 ms / 0.55 = 1.8 ms.
    let text = r#"
[run]
duration = "400s"
warmup = "20s"
[traffic]
entry = "q"
rate = 450
[components.q]
kind = "service"
cores = 1
[components.q.endpoints.default]
cpu = "exp(1ms)"
[[faults]]
at = "0s"
for = "1h"
target = "q"
kind = "slow"
factor = 2.0
"#;
    let r = from_str(text, "slow.toml", &[]).unwrap().run().unwrap();
    let mean = r.latency_ms.mean.unwrap();
    // 170,000 customers at rho 0.9: the relative standard error of the mean response time is
    // about sqrt(2 (1 + rho) / ((1 - rho)^2 n)) ~ 4.7%; allow 4 of them.
    assert!(
        (mean - 20.0).abs() < 20.0 * 0.19,
        "mean {mean} ms, expected 20 ms"
    );
    let util = r.components["q"].utilization.unwrap();
    assert!((util - 0.9).abs() < 0.02, "utilization {util}");
}

#[test]
fn fault_keys_are_checked() {
    for (fault, needle) in [
        (
            "at = \"1s\"\nfor = \"1s\"\ntarget = \"nope\"\nkind = \"crash\"",
            "not a component",
        ),
        (
            "at = \"1s\"\nfor = \"1s\"\ntarget = \"app[9]\"\nkind = \"crash\"",
            "has 4 instances",
        ),
        (
            "at = \"1s\"\nfor = \"1s\"\ntarget = \"app\"\nkind = \"slow\"",
            "needs `factor`",
        ),
        (
            "at = \"1s\"\nfor = \"1s\"\ntarget = \"app\"\nkind = \"melt\"",
            "crash, slow",
        ),
        (
            "at = \"1s\"\ntarget = \"app\"\nkind = \"crash\"",
            "needs `for`",
        ),
    ] {
        let text = format!("{BASE}\n[[faults]]\n{fault}\n");
        let e = from_str(&text, "f.toml", &[]).unwrap_err().to_string();
        assert!(e.contains(needle), "expected `{needle}` in: {e}");
        assert!(e.starts_with("f.toml:"), "{e}");
    }
}
