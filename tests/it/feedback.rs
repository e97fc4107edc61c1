//! Feedback during long runs (issue 11 item 4): the estimated work before a long run,
//! progress lines on a stderr that is not a terminal, and `capacity`'s probes as they go.

use crate::common::{bin, scratch_dir};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A model with nothing that load can exhaust: no cores, workers or queue.
const UNBOUNDED: &str = r#"
[run]
duration = "2s"
[traffic]
entry = "app"
rate = 10
[components.app]
kind = "service"
[components.app.endpoints.default]
cpu = "exp(1ms)"
"#;

#[test]
fn a_huge_run_announces_its_work_and_reports_progress_without_a_terminal() {
    let d = scratch_dir("feedback", "huge");
    let f = d.join("huge.toml");
    std::fs::write(&f, UNBOUNDED).unwrap();
    let mut child = bin()
        .arg(&f)
        .args(["--set", "traffic.rate=1e9"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let t0 = Instant::now();
    let mut seen = Vec::new();
    while t0.elapsed() < Duration::from_secs(60) {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(l) => {
                let done = l.starts_with("progress: ");
                seen.push(l);
                if done {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen[0].starts_with(
            "estimated work: about 2.0 billion requests, 7.0 billion simulated events"
        ),
        "{seen:?}"
    );
    let last = seen.last().unwrap();
    assert!(
        last.starts_with("progress: ") && last.contains("s of 62s simulated ("),
        "{seen:?}"
    );
}

#[test]
fn a_short_run_prints_nothing_on_stderr() {
    let d = scratch_dir("feedback", "short");
    let f = d.join("short.toml");
    std::fs::write(&f, UNBOUNDED).unwrap();
    let out = bin().arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn capacity_prints_each_probe_and_stops_when_nothing_saturates() {
    let d = scratch_dir("feedback", "capacity");
    let f = d.join("unbounded.toml");
    std::fs::write(&f, UNBOUNDED).unwrap();
    let out = bin()
        .args(["capacity"])
        .arg(&f)
        .args(["--slo", "p99<100ms", "--replications", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("probe 1: traffic.rate = 10: p99 "), "{err}");
    assert!(
        err.contains("\nprobe 11: traffic.rate = 10240: p99 "),
        "{err}"
    );
    assert!(
        err.contains("error: capacity: at traffic.rate = 10240 (1024x the start) the objective is still met and no resource saturates"),
        "{err}"
    );
    assert_eq!(err.matches("probe ").count(), 11, "{err}");
    // With a limit, the search ends as before and the probes are still shown.
    let bounded = d.join("bounded.toml");
    std::fs::write(
        &bounded,
        UNBOUNDED.replace("kind = \"service\"", "kind = \"service\"\ncores = 1"),
    )
    .unwrap();
    let out = bin()
        .args(["capacity"])
        .arg(&bounded)
        .args(["--slo", "p99<20ms", "--replications", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(", fails\n"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("capacity    traffic.rate = "));
}

/// A model whose only limit is its workers, busy but never queueing (even arrivals, a fixed
/// CPU time), is not "a model with no limit": capacity judges saturation by the bottleneck
/// (cores or workers, hottest instance), as the compare table does, and searches on. The
/// old test looked at cores only and stopped at 1024x the start with "no resource
/// saturates" while the workers were 64% busy.
#[test]
fn capacity_counts_busy_workers_as_a_limit() {
    let d = scratch_dir("feedback", "workers");
    let f = d.join("workers.toml");
    std::fs::write(
        &f,
        UNBOUNDED
            .replace("rate = 10", "rate = 10\narrivals = \"uniform\"")
            .replace("kind = \"service\"", "kind = \"service\"\nworkers = 16")
            .replace("exp(1ms)", "const(1ms)"),
    )
    .unwrap();
    let out = bin()
        .args(["capacity"])
        .arg(&f)
        .args(["--slo", "p99<100ms", "--replications", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("no resource saturates"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("\nprobe 12: traffic.rate = 20480: p99 "),
        "{err}"
    );
}
