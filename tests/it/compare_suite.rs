//! The architecture comparison suite `scenarios/compare/` through `simulate compare`: one
//! entry per question, and each question shows the behaviour it exists to show. The scenarios
//! run as written (seed 1); margins are wide (factors of two or more where the effect is a
//! saturation, 5% and more elsewhere), so a small change of the model does not flip them,
//! but each assertion fails if the architecture stops making the difference.

use crate::common::{bin, TINY};
use serde_json::Value;
use std::path::PathBuf;

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/compare")
}

/// The question folders: subfolders holding .toml files, in name order.
fn question_dirs() -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = std::fs::read_dir(suite_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .map(|p| {
            let n = std::fs::read_dir(&p)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .count();
            (p.file_name().unwrap().to_string_lossy().into_owned(), n)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    v.sort();
    v
}

struct Suite {
    json: Value,
    text: String,
    csv: String,
    html: String,
}

fn run_suite() -> Suite {
    let csv = crate::common::tmp_root().join(format!("archsim-suite-{}.csv", std::process::id()));
    let html = csv.with_extension("html");
    let out = bin()
        .args([
            "compare",
            suite_dir().to_str().unwrap(),
            "--json",
            "-",
            "--csv",
        ])
        .arg(&csv)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "stderr:\n{text}");
    let json = serde_json::from_slice(&out.stdout).unwrap();
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    let html_text = std::fs::read_to_string(&html).unwrap();
    let _ = std::fs::remove_file(&csv);
    let _ = std::fs::remove_file(&html);
    Suite {
        json,
        text,
        csv: csv_text,
        html: html_text,
    }
}

fn question<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .unwrap_or_else(|| panic!("no question {name}"))
}

/// The result of scenario `name` in a question.
fn res<'a>(q: &'a Value, name: &str) -> &'a Value {
    let s = q["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name} in {}", q["name"]));
    &s["result"]
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn p99(r: &Value) -> f64 {
    f(&r["latency_ms"]["p99"])
}

fn class_p99(r: &Value, class: &str) -> f64 {
    f(&r["classes"][class]["latency_ms"]["p99"])
}

fn cost_per_m(r: &Value) -> f64 {
    f(&r["cost"]["per_million_requests"])
}

fn slo_met(r: &Value) -> bool {
    r["slo"]["met"].as_bool().unwrap()
}

#[test]
fn the_suite_answers_each_question() {
    let s = run_suite();
    let v = &s.json;

    // One entry per question folder, in name order, each with one run per scenario file.
    let dirs = question_dirs();
    let qs = v["questions"].as_array().unwrap();
    assert_eq!(qs.len(), dirs.len(), "one entry per question folder");
    assert!(dirs.len() >= 5, "{dirs:?}");
    for (q, (name, n)) in qs.iter().zip(&dirs) {
        assert_eq!(q["name"], name.as_str());
        assert_eq!(q["scenarios"].as_array().unwrap().len(), *n, "{name}");
        assert!(
            q["question"].is_string(),
            "{name}: README.md gives the question"
        );
        assert!(s.text.contains(&format!("== {name} ==")), "{}", s.text);
        // One HTML section per question, with its own chart ids.
        for id in [
            format!("id=\"q-{name}\""),
            format!("id=\"chart-compare-p99-{name}\""),
            format!("id=\"chart-compare-throughput-{name}\""),
        ] {
            assert_eq!(s.html.matches(&id).count(), 1, "{id}");
        }
        // Common random numbers: every scenario of a question saw the same arrivals.
        let gen: Vec<&Value> = q["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["result"]["requests"]["generated"])
            .collect();
        assert!(gen.windows(2).all(|w| w[0] == w[1]), "{name}: {gen:?}");
    }
    assert_eq!(s.text.matches("verdict:").count(), dirs.len(), "{}", s.text);
    assert_eq!(v["seed"], 1);
    let rows = s.csv.lines().count();
    let runs: usize = dirs.iter().map(|d| d.1).sum();
    assert_eq!(rows, runs + 1, "{}", s.csv);
    assert!(s.csv.starts_with("question,scenario,file,"), "{}", s.csv);
    assert!(s.csv.contains("\nlb-policy,a-round-robin,"), "{}", s.csv);

    // Cache or replicas: the baseline misses the SLO; a cache beats replicas on p99 and on
    // cost; only replicas serve stale reads.
    let q = question(v, "cache-or-replicas");
    let (base, cache, repl) = (
        res(q, "a-baseline"),
        res(q, "b-cache"),
        res(q, "c-replicas"),
    );
    assert!(!slo_met(base) && slo_met(cache) && slo_met(repl));
    assert!(
        p99(cache) < 0.95 * p99(repl),
        "cache p99 {} vs replicas {}",
        p99(cache),
        p99(repl)
    );
    assert!(cost_per_m(cache) < 0.75 * cost_per_m(repl));
    assert!(f(&repl["components"]["db"]["stale_read_ratio"]) > 0.01);
    assert!(cache["components"]["db"]["stale_read_ratio"].is_null());
    assert!(f(&cache["components"]["cache"]["hit_ratio"]) > 0.5);
    assert_eq!(q["verdict"]["cheapest_meeting_slo"]["name"], "b-cache");

    // How many replicas: one saturates; two cut p99 by more than half; four buy little
    // more p99 for a higher bill.
    let q = question(v, "how-many-replicas");
    let (one, two, four) = (
        res(q, "a-one-replica"),
        res(q, "b-two-replicas"),
        res(q, "c-four-replicas"),
    );
    let util = |r: &Value| f(&r["components"]["db"]["utilization"]);
    assert!(
        util(four) < 0.7 * util(one),
        "{} vs {}",
        util(four),
        util(one)
    );
    assert!(f(&four["cost"]["per_hour"]) > f(&one["cost"]["per_hour"]));
    assert!(p99(two) < 0.5 * p99(one), "{} vs {}", p99(two), p99(one));
    assert!(
        (p99(two) - p99(four)).abs() < 0.25 * (p99(one) - p99(two)),
        "diminishing returns: 1 -> 2 replicas {} -> {}, 4 replicas {}",
        p99(one),
        p99(two),
        p99(four)
    );
    assert!(cost_per_m(four) > 1.3 * cost_per_m(two));
    assert_eq!(
        q["verdict"]["cheapest_meeting_slo"]["name"],
        "b-two-replicas"
    );

    // Shard or scale up: the biggest single machine saturates on writes; shards do not.
    let q = question(v, "shard-or-scale-up");
    let up = res(q, "a-scale-up");
    for sh in [res(q, "b-four-shards"), res(q, "c-eight-shards")] {
        assert!(
            class_p99(sh, "write") * 5.0 < class_p99(up, "write"),
            "write p99 shards {} vs scale-up {}",
            class_p99(sh, "write"),
            class_p99(up, "write")
        );
        assert!(f(&sh["error_rate"]) < 0.001);
        assert!(slo_met(sh));
    }
    assert!(f(&up["error_rate"]) > 0.01, "{}", up["error_rate"]);
    assert!(f(&up["components"]["db"]["utilization"]) > 0.97);
    assert!(!slo_met(up));

    // Monolith or services: with the catalog slow, the split keeps checkout fast and
    // error-free; in the monolith checkout waits behind browse for workers.
    let q = question(v, "monolith-or-services");
    let (mono, svc) = (res(q, "a-monolith"), res(q, "b-services"));
    assert!(
        class_p99(svc, "checkout") * 5.0 < class_p99(mono, "checkout"),
        "checkout p99 split {} vs monolith {}",
        class_p99(svc, "checkout"),
        class_p99(mono, "checkout")
    );
    let cerr = |r: &Value| f(&r["classes"]["checkout"]["error_rate"]);
    assert!(
        cerr(svc) < 0.001 && cerr(mono) > 0.01,
        "{} {}",
        cerr(svc),
        cerr(mono)
    );
    assert_eq!(
        q["verdict"]["lowest_p99_by_class"]["checkout"]["name"],
        "b-services"
    );
    // The verdict's lowest p99 carries its run's error rate (p99 counts successes only).
    let lowest = &q["verdict"]["lowest_p99"];
    let name = lowest["name"].as_str().unwrap();
    assert_eq!(f(&lowest["error_rate"]), f(&res(q, name)["error_rate"]));
    assert!(f(&lowest["error_rate"]) > 0.0);

    // Load-balancing policy: with one slow instance, policies that see load beat blind ones.
    let q = question(v, "lb-policy");
    let (rr, rnd) = (res(q, "a-round-robin"), res(q, "b-random"));
    for smart in [res(q, "c-least-outstanding"), res(q, "d-p2c")] {
        for blind in [rr, rnd] {
            assert!(
                p99(smart) * 5.0 < p99(blind),
                "p99 {} vs {}",
                p99(smart),
                p99(blind)
            );
            assert!(f(&smart["error_rate"]) < f(&blind["error_rate"]));
        }
    }
    assert!(f(&rr["error_rate"]) > 0.01);
}

#[test]
fn a_question_folder_alone_is_a_flat_comparison() {
    // The folder of one question has no subfolders: the flat mode, an array of runs.
    let dir = suite_dir().join("lb-policy");
    let out = bin()
        .args(["compare", dir.to_str().unwrap(), "--json", "-"])
        .args(["--set", "run.duration=20s", "--set", "run.warmup=5s"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 4);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("verdict"));
}

fn scratch(test: &str) -> PathBuf {
    let d = crate::common::tmp_root().join(format!("archsim-suite-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn suites_need_a_folder_without_scenarios_of_its_own_and_are_checked_first() {
    // Own .toml files: flat, as before suites existed (subfolders ignored).
    let d = scratch("own");
    std::fs::write(d.join("top.toml"), TINY).unwrap();
    std::fs::create_dir_all(d.join("q")).unwrap();
    std::fs::write(d.join("q/inner.toml"), TINY).unwrap();
    let out = bin()
        .args(["compare", d.to_str().unwrap(), "--json", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["name"], "top");

    // A suite with a bad scenario in its second question: exit 2 before anything runs.
    let d = scratch("bad");
    for q in ["q1", "q2"] {
        std::fs::create_dir_all(d.join(q)).unwrap();
    }
    std::fs::write(d.join("q1/a.toml"), TINY).unwrap();
    std::fs::write(d.join("q2/b.toml"), TINY.replace("rate = 50", "rate = -1")).unwrap();
    let out = bin()
        .args(["compare", d.to_str().unwrap(), "--json", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("b.toml:") && err.contains("in the question q2"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // The same suite fixed: two questions; no README, so no question text.
    std::fs::write(d.join("q2/b.toml"), TINY).unwrap();
    let out = bin()
        .args(["compare", d.to_str().unwrap(), "--json", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let qs = v["questions"].as_array().unwrap();
    assert_eq!(qs.len(), 2);
    assert_eq!(qs[1]["name"], "q2");
    assert!(qs[1]["question"].is_null());
    assert_eq!(qs[0]["scenarios"][0]["name"], "a");
}
