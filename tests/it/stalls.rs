//! Simulated time that cannot advance ends the run with exit 1 and a message naming the
//! time, the components and the likely cause, instead of spinning forever (issue 11 item 2).

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

#[test]
fn zero_think_and_a_service_without_cost() {
    stalled("nocost", ZERO_THINK, "0.000s", "app");
}

#[test]
fn zero_spread_normal_think_and_zero_cpu() {
    let text = ZERO_THINK.replace("\"0ms\"", "\"normal(0ms, 0ms)\"")
        + "[components.app.endpoints.default]\ncpu = \"0ms\"\n";
    stalled("normal", &text, "0.000s", "app");
}

#[test]
fn zero_think_and_a_rate_limit_that_rejects_at_once() {
    let text = ZERO_THINK.to_string()
        + "rate_limit = 1\n[components.app.endpoints.default]\ncpu = \"1ms\"\n";
    stalled("ratelimit", &text, "0.000s", "app");
}

#[test]
fn zero_think_and_a_crashed_target_failing_calls_at_once() {
    let text = r#"
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
    stalled("crash", text, "2.000s", "lb, app");
}

/// Zero think time is fine when the way to a reply takes time.
#[test]
fn zero_think_with_a_costly_path_runs() {
    let text = ZERO_THINK.to_string() + "[components.app.endpoints.default]\ncpu = \"1ms\"\n";
    let (code, err) = run("fine", &text);
    assert_eq!(code, Some(0), "{err}");
}
