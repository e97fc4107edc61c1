//! Memory (issue 11 item 3): the accepted maxima that aborted the process under a 4 GiB
//! address-space limit are refused before simulating (exit 2, located, with the estimate), run
//! (lazily allocated caches), or stop as an overload before memory runs out; never a signal.

use crate::common::bin;
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// A closed loop of 50 million users (3.9 GB resident before).
const USERS: &str = r#"[run]
duration = "10s"
[traffic]
entry = "app"
users = 50000000
think = "exp(30s)"
[components.app]
kind = "service"
cores = 4
[components.app.endpoints.default]
cpu = "exp(1ms)"
"#;

/// 1000 cache instances of 100,000 entries (4.45 GB of address space reserved at start-up).
const CACHE: &str = r#"[run]
duration = "10s"
[traffic]
entry = "cache"
rate = 100
keys = { count = 1000000, zipf = 0.9 }
[components.cache]
kind = "cache"
instances = 1000
capacity = 100000
hit = "exp(0.3ms)"
backing = "db"
[components.db]
kind = "database"
cores = 8
[components.db.endpoints.default]
cpu = "exp(2ms)"
"#;

/// 10x overload into an unbounded queue with `run.max_in_flight = 100000000`.
const IN_FLIGHT: &str = r#"[run]
duration = "120s"
max_in_flight = 100000000
[traffic]
entry = "app"
rate = 1000000
[components.app]
kind = "service"
cores = 10
[components.app.endpoints.default]
cpu = "0.1ms"
"#;

/// 100 components, 1 ms series buckets over 960 s.
fn series() -> String {
    let mut s = String::from(
        "[run]\nduration = \"900s\"\nseries_interval = \"1ms\"\n[traffic]\nentry = \"c0\"\nrate = 10\n",
    );
    for i in 0..100 {
        s += &format!("[components.c{i}]\nkind = \"service\"\n[components.c{i}.endpoints.default]\ncpu = \"1ms\"\n");
        if i < 99 {
            s += &format!("calls = [\"c{}\"]\n", i + 1);
        }
    }
    s
}

fn write(name: &str, text: &str) -> PathBuf {
    let dir = crate::common::tmp_root().join(format!("archsim-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `simulate ARGS` under `ulimit -v kib`, killed after `secs`.
fn limited(kib: u64, args: &[&str], secs: u64) -> Output {
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(bin().get_program())
        .args(args)
        .env_remove("CLICOLOR_FORCE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            panic!("simulate {args:?} still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn code(o: &Output, what: &str) -> i32 {
    let err = String::from_utf8_lossy(&o.stderr);
    match o.status.code() {
        Some(c) => {
            assert!(!err.contains("panicked"), "{what}: {err}");
            c
        }
        None => panic!("{what}: killed by a signal: {:?}\n{err}", o.status),
    }
}

const FOUR_GIB: u64 = 4 * 1024 * 1024;

#[test]
fn fifty_million_users_are_refused_under_4gib_with_the_key_and_the_estimate() {
    let p = write("users.toml", USERS);
    for cmd in [&["check"][..], &[]] {
        let mut args = cmd.to_vec();
        args.push(p.to_str().unwrap());
        let o = limited(FOUR_GIB, &args, 60);
        assert_eq!(code(&o, "users"), 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("users.toml:5:9: traffic.users = 50000000 needs about"),
            "{err}"
        );
        assert!(err.contains("(estimate"), "{err}");
        assert!(err.contains("address-space limit (ulimit -v)"), "{err}");
        assert!(err.contains("set run.memory_limit"), "{err}");
    }
}

#[test]
fn one_millisecond_series_over_100_components_are_refused_under_4gib() {
    let p = write("series.toml", &series());
    let o = limited(FOUR_GIB, &[p.to_str().unwrap()], 60);
    assert_eq!(code(&o, "series"), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "series.toml:3:19: run.series_interval = \"1ms\" (960001 buckets x 201 series"
        ),
        "{err}"
    );
}

#[test]
fn a_thousand_large_cache_instances_run_under_4gib() {
    let p = write("cache.toml", CACHE);
    let o = limited(FOUR_GIB, &[p.to_str().unwrap()], 120);
    assert_eq!(
        code(&o, "cache"),
        0,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn an_unbounded_queue_stops_as_an_overload_before_memory_runs_out() {
    let p = write("in-flight.toml", IN_FLIGHT);
    // 1 GiB keeps the test short; before, it aborted at any limit below ~15 GB.
    let o = limited(1024 * 1024, &[p.to_str().unwrap()], 120);
    assert_eq!(code(&o, "in flight"), 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("overload: more than"), "{err}");
    assert!(
        err.contains("the address-space limit (ulimit -v) leaves"),
        "{err}"
    );
    assert!(err.contains("run.memory_limit"), "{err}");
}

#[test]
fn memory_limit_is_a_key_of_run_and_of_set() {
    let p = write("users-small.toml", &USERS.replace("50000000", "5000000"));
    let o = bin()
        .args([
            "check",
            p.to_str().unwrap(),
            "--set",
            "run.memory_limit=100MB",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("traffic.users = 5000000 needs about")
            && err.contains("more than the 100 MB of run.memory_limit"),
        "{err}"
    );
    let o = bin()
        .args([
            "check",
            p.to_str().unwrap(),
            "--set",
            "run.memory_limit=2GiB",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A queue without a `capacity` whose consumers fall behind: its backlog grew until the
/// process aborted (the in-flight guard does not see messages).
const BACKLOG: &str = r#"[run]
duration = "600s"
[traffic]
entry = "events"
rate = 1000000
[components.events]
kind = "queue"
consumers = 1
consumer = "worker"
[components.worker]
kind = "service"
cores = 1
[components.worker.endpoints.default]
cpu = "1ms"
"#;

#[test]
fn an_unbounded_queue_backlog_stops_as_an_overload_before_memory_runs_out() {
    let p = write("backlog.toml", BACKLOG);
    let o = limited(1024 * 1024, &[p.to_str().unwrap()], 120);
    assert_eq!(code(&o, "backlog"), 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("overload: queue `events` held more than"),
        "{err}"
    );
    assert!(err.contains("Bound it (`capacity`)"), "{err}");
}
