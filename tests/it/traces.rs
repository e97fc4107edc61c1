//! `--traces` (issue 14 item 3): traces leave the results alone, are deterministic, have the
//! OTLP shape (one root per request, children inside their parents), keep the failed and
//! the slowest requests, and bad options are refused before anything runs. The official
//! OpenTelemetry definitions decode them in `scripts/otlp-test.sh` (run by `.ci/run`).

use crate::common::{bin, scratch_dir, without_wall};
use serde_json::Value;
use std::collections::HashMap;

fn run(args: &[&str]) -> std::process::Output {
    bin().args(args).output().unwrap()
}

#[test]
fn traces_change_no_result_and_are_the_same_on_every_run() {
    let dir = scratch_dir("traces", "same");
    let p = |n: &str| dir.join(n).display().to_string();
    let f = "scenarios/failures/retry-storm.toml";
    assert!(run(&[f, "--json", &p("plain.json")]).status.success());
    for i in 0..2 {
        let o = run(&[
            f,
            "--json",
            &p(&format!("traced{i}.json")),
            "--traces",
            &p(&format!("t{i}.jsonl")),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stderr).contains("requests written to"));
    }
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    assert_eq!(
        without_wall(&read("plain.json")),
        without_wall(&read("traced0.json"))
    );
    assert_eq!(read("t0.jsonl"), read("t1.jsonl"));
}

#[test]
fn every_trace_has_one_root_and_children_inside_their_parents() {
    let dir = scratch_dir("traces", "shape");
    let t = dir.join("t.jsonl");
    let r = dir.join("r.json");
    let o = run(&[
        "scenarios/failures/retry-storm.toml",
        "--traces",
        t.to_str().unwrap(),
        "--json",
        r.to_str().unwrap(),
        "--trace-sample",
        "0.001",
        "--trace-failed",
        "50",
        "--trace-slowest",
        "20",
    ]);
    assert!(o.status.success());
    let result: Value = serde_json::from_str(&std::fs::read_to_string(&r).unwrap()).unwrap();
    let mut kept: HashMap<String, usize> = HashMap::new();
    let mut slowest_ms: f64 = 0.0;
    for line in std::fs::read_to_string(&t).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let mut spans: Vec<&Value> = Vec::new();
        for rs in v["resourceSpans"].as_array().unwrap() {
            assert!(rs["resource"]["attributes"][0]["key"] == "service.name");
            for s in rs["scopeSpans"][0]["spans"].as_array().unwrap() {
                spans.push(s);
            }
        }
        let t = |s: &Value, k: &str| s[k].as_str().unwrap().parse::<u64>().unwrap();
        let by_id: HashMap<&str, &Value> = spans
            .iter()
            .map(|s| (s["spanId"].as_str().unwrap(), *s))
            .collect();
        assert_eq!(by_id.len(), spans.len());
        let roots: Vec<&&Value> = spans
            .iter()
            .filter(|s| s.get("parentSpanId").is_none())
            .collect();
        assert_eq!(roots.len(), 1, "{line}");
        for s in &spans {
            assert_eq!(s["traceId"].as_str().unwrap().len(), 32);
            if let Some(p) = s.get("parentSpanId") {
                let p = by_id[p.as_str().unwrap()];
                assert!(t(p, "startTimeUnixNano") <= t(s, "startTimeUnixNano"));
                assert!(t(s, "endTimeUnixNano") <= t(p, "endTimeUnixNano"));
            }
        }
        let root = roots[0];
        let attr = |k: &str| {
            root["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["key"] == k)
                .map(|a| a["value"].clone())
        };
        let why = attr("archsim.kept").unwrap()["stringValue"]
            .as_str()
            .unwrap()
            .to_string();
        if why == "failed" {
            assert_eq!(root["status"]["code"], 2);
        }
        if why == "slowest" {
            let d = t(root, "endTimeUnixNano") - t(root, "startTimeUnixNano");
            slowest_ms = slowest_ms.max(d as f64 / 1e6);
        }
        *kept.entry(why).or_default() += 1;
    }
    assert_eq!(kept["failed"], 50, "{kept:?}");
    assert_eq!(kept["slowest"], 20, "{kept:?}");
    // The slowest request of the run is among the traces.
    let max = result["latency_ms"]["max"].as_f64().unwrap();
    assert!(slowest_ms >= max - 1e-6, "{slowest_ms} < {max}");
}

#[test]
fn chrome_traces_are_one_json_document() {
    let dir = scratch_dir("traces", "chrome");
    let t = dir.join("t.json");
    let o = run(&[
        "scenarios/stage1.toml",
        "--traces",
        t.to_str().unwrap(),
        "--trace-format",
        "chrome",
    ]);
    assert!(o.status.success());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    assert!(events
        .iter()
        .any(|e| e["ph"] == "X" && e["cat"] == "request"));
    assert!(events.iter().any(|e| e["ph"] == "M"));
}

#[test]
fn bad_trace_options_are_refused_before_the_run() {
    let o = run(&[
        "scenarios/stage1.toml",
        "--traces",
        "/tmp/x.jsonl",
        "--trace-sample",
        "1.5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("outside 0..1"));
    let o = run(&[
        "scenarios/stage1.toml",
        "--traces",
        "/no/such/folder/t.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--traces") && err.contains("does not exist"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "nothing was simulated");
}

#[test]
fn traces_to_a_device_are_written_in_place() {
    // `/dev/null` stays the device it is (no temporary file renamed over it).
    let o = run(&["scenarios/stage1.toml", "--traces", "/dev/null"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = std::fs::metadata("/dev/null").unwrap();
    assert!(!m.is_file());
}
