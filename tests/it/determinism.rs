//! Same scenario and seed, same bytes of result, whatever the thread count.

use std::process::Command;

fn run_json(args: &[&str], threads: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_simulate"))
        .args(args)
        .args(["--json", "-"])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The only figure allowed to differ: wall-clock time.
    v.as_object_mut().unwrap().remove("wall_s");
    serde_json::to_string(&v).unwrap()
}

fn scenario() -> String {
    let p = crate::common::tmp_root().join(format!("archsim-det-{}.toml", std::process::id()));
    // Retries, timeouts, network jitter, random balancing and a fanout: every random stream.
    let text = super::cli::GOOD
        .replace(
            "rate = 200",
            "rate = 300\ntimeout = \"50ms\"\nkeys = { count = 1000, zipf = 0.9 }\n\
             [traffic.retry]\nmax = 2\nbackoff = \"5ms\"\njitter = \"full\"\n\
             [traffic.classes.read]\nweight = 0.8\n[traffic.classes.write]\nweight = 0.2\n\
             [network]\nlatency = \"exp(0.2ms)\"",
        )
        .replace("targets = \"app\"", "targets = \"app\"\npolicy = \"p2c\"")
        .replace(
            "calls = [\"db\"]",
            "calls = [\"db\", { to = \"db\", fanout = 2 }]",
        )
        .replace(
            "kind = \"database\"",
            "kind = \"database\"\ninstances = 2\nbalance = \"random\"",
        );
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn same_seed_same_bytes() {
    let p = scenario();
    let a = run_json(&[&p], "2");
    let b = run_json(&[&p], "2");
    assert_eq!(a, b);
    let c = run_json(&[&p, "--seed", "2"], "2");
    assert_ne!(a, c, "another seed gives another run");
}

#[test]
fn replications_are_identical_whatever_the_thread_count() {
    let p = scenario();
    let a = run_json(&[&p, "--replications", "4"], "1");
    let b = run_json(&[&p, "--replications", "4"], "3");
    let c = run_json(&[&p, "--replications", "4"], "2");
    assert_eq!(a, b);
    assert_eq!(a, c);
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["replications"], 4);
}
