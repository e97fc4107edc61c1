//! Simulated time that cannot advance: `check` refuses what it can prove (exit 2, located at
//! the think time, naming the way to a reply that takes no time), and the run loop's guard
//! ends the rest with exit 1 and a message naming the time, the components and the likely
//! cause, instead of spinning forever (issue 11 item 2).

use crate::common::{bin, scratch_dir};
use std::process::Stdio;
use std::time::{Duration, Instant};

const ZERO_THINK: &str = r#"
[run]
duration = "10s"
[traffic]
entry = "app"
users = 10
think = "0ms"
[components.app]
kind = "service"
cores = 2
"#;

/// Runs `text` and returns (exit code, stderr), failing if it takes over a minute.
fn run(name: &str, text: &str) -> (Option<i32>, String) {
    let dir = scratch_dir("stalls", name);
    let f = dir.join(format!("{name}.toml"));
    std::fs::write(&f, text).unwrap();
    let mut child = bin()
        .arg(&f)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    // A stall used to spin forever: give up (and kill it) after a minute.
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{name}: still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stalled(name: &str, text: &str, at: &str, comps: &str) {
    let (code, err) = run(name, text);
    assert_eq!(code, Some(1), "{name}: {err}");
    assert!(
        err.contains("simulated time stopped advancing"),
        "{name}: {err}"
    );
    assert!(err.contains(&format!("t = {at}")), "{name}: {err}");
    assert!(
        err.contains(&format!("handled by {comps}.")),
        "{name}: {err}"
    );
    assert!(err.contains("Likely cause"), "{name}: {err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
}

/// `simulate check` (and a run) refuse `text` with exit 2: located at the think time (line
/// 7 of every input here), naming the way that takes no time and why.
fn refused(name: &str, text: &str, way: &str, why: &str) {
    let dir = scratch_dir("stalls", name);
    let f = dir.join(format!("{name}.toml"));
    std::fs::write(&f, text).unwrap();
    for check in [true, false] {
        let mut cmd = bin();
        if check {
            cmd.arg("check");
        }
        let out = cmd.arg(&f).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(&format!("{name}.toml:7:9: ")), "{name}: {err}");
        assert!(
            err.contains("simulated time cannot advance: `traffic.think` is always 0"),
            "{name}: {err}"
        );
        assert!(err.contains(&format!("({way}: {why}")), "{name}: {err}");
        assert!(
            err.contains("Give `traffic.think` a positive minimum"),
            "{name}: {err}"
        );
    }
}

const CRASH: &str = r#"
[run]
duration = "10s"
[traffic]
entry = "lb"
users = 10
think = "0ms"
[components.lb]
kind = "load_balancer"
targets = "app"
[components.app]
kind = "service"
cores = 2
[components.app.endpoints.default]
cpu = "1ms"
[[faults]]
kind = "crash"
target = "app"
at = "2s"
for = "5s"
"#;

#[test]
fn check_refuses_zero_think_and_a_service_without_cost() {
    refused("nocost", ZERO_THINK, "app", "`app` has no CPU time");
}

#[test]
fn check_refuses_zero_spread_normal_think_and_zero_cpu() {
    let text = ZERO_THINK.replace("\"0ms\"", "\"normal(0ms, 0ms)\"")
        + "[components.app.endpoints.default]\ncpu = \"0ms\"\n";
    refused("normal", &text, "app", "`app` has no CPU time");
}

#[test]
fn check_refuses_zero_think_and_a_rate_limit_that_rejects_at_once() {
    // 10 users ask at time 0; a burst of 1 admits one, the rest are rejected again and again.
    let text = ZERO_THINK.to_string()
        + "rate_limit = 1\n[components.app.endpoints.default]\ncpu = \"1ms\"\n";
    refused(
        "ratelimit",
        &text,
        "app",
        "`app`'s rate limit rejects at once",
    );
}

#[test]
fn check_refuses_zero_think_and_a_crashed_target_failing_calls_at_once() {
    refused("crash", CRASH, "lb -> app", "`app` is down from 2s on");
}

/// What `check` cannot prove is left to the run loop's guard.
#[test]
fn the_guard_stops_a_rate_limit_that_one_user_exhausts() {
    // One user within the burst: admitted at 0, back at 1 ms with the bucket still empty.
    let text = ZERO_THINK.replace("users = 10", "users = 1")
        + "rate_limit = 1\n[components.app.endpoints.default]\ncpu = \"1ms\"\n";
    stalled("ratelimit1", &text, "0.001s", "app");
}

#[test]
fn the_guard_stops_a_partition_failing_calls_at_once() {
    let text = CRASH.replace("kind = \"crash\"", "kind = \"partition\"\npeer = \"lb\"");
    stalled("partition", &text, "2.000s", "lb");
}

/// Zero think time is accepted when the way to a reply takes time, or may: a network latency
/// (exp draws are never exactly 0), a client that backs off before retrying a failure, or a
/// rate limit whose burst admits every user.
#[test]
fn check_accepts_what_it_cannot_prove() {
    let dir = scratch_dir("stalls", "accepted");
    let cases = [
        ZERO_THINK.replace(
            "[components.app]",
            "[network]\nlatency = \"exp(1ms)\"\n[components.app]",
        ),
        ZERO_THINK.replace("think = \"0ms\"", "think = \"exp(1ms)\""),
        CRASH.replace(
            "think = \"0ms\"",
            "think = \"0ms\"\nretry = { max = 2, backoff = \"10ms\" }",
        ),
        ZERO_THINK.replace("users = 10", "users = 2")
            + "rate_limit = 10\nburst = 2\n[components.app.endpoints.default]\ncpu = \"1ms\"\n",
    ];
    for (i, text) in cases.iter().enumerate() {
        let f = dir.join(format!("case{i}.toml"));
        std::fs::write(&f, text).unwrap();
        let out = bin().arg("check").arg(&f).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "case {i}: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Zero think time is fine when the way to a reply takes time.
#[test]
fn zero_think_with_a_costly_path_runs() {
    let text = ZERO_THINK.to_string() + "[components.app.endpoints.default]\ncpu = \"1ms\"\n";
    let (code, err) = run("fine", &text);
    assert_eq!(code, Some(0), "{err}");
}
