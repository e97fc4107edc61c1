//! Confidence intervals, and the CSV and HTML reports.

use crate::common::{bin, ok, scratch_dir};
use serde_json::Value;
use std::path::PathBuf;

fn dir(test: &str) -> PathBuf {
    scratch_dir("reports", test)
}

/// M/M/1 with mu = 100/s at `rate`.
fn mm1(rate: f64, duration_s: u32, replications: u32) -> String {
    format!(
        r#"
[run]
duration = "{duration_s}s"
warmup = "10s"
replications = {replications}
series_interval = "5s"
[slo]
latency = "100ms"
target = 0.9
[traffic]
entry = "server"
rate = {rate}
[components.server]
kind = "service"
cores = 1
[components.server.endpoints.default]
cpu = "exp(10ms)"
"#
    )
}

#[test]
fn ci_of_the_mean_covers_the_mm1_closed_form() {
    let d = dir("ci");
    let f = d.join("mm1.toml");
    std::fs::write(&f, mm1(50.0, 300, 10)).unwrap();
    let out = bin().arg(&f).args(["--json", "-"]).output().unwrap();
    ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ci = &v["ci95"];
    assert_eq!(ci["replications"], 10);
    // Mean response time of M/M/1: 1 / (mu - lambda) = 20 ms.
    let [lo, hi] = [0, 1].map(|i| ci["latency_ms"]["mean"][i].as_f64().unwrap());
    assert!(
        lo < 20.0 && 20.0 < hi,
        "95% CI [{lo:.2}, {hi:.2}] ms misses 20 ms"
    );
    assert!(
        hi - lo < 4.0,
        "10 x 290 s should pin the mean to a few percent: [{lo}, {hi}]"
    );
    // The pooled figure sits in its interval; every headline figure has one.
    let mean = v["latency_ms"]["mean"].as_f64().unwrap();
    assert!(lo <= mean && mean <= hi);
    for k in ["p50", "p95", "p99", "p999"] {
        let i = &ci["latency_ms"][k];
        assert!(i[0].as_f64().unwrap() <= i[1].as_f64().unwrap(), "{k}: {i}");
    }
    let thr = &ci["throughput_rps"];
    assert!(
        thr[0].as_f64().unwrap() < 50.5 && thr[1].as_f64().unwrap() > 49.5,
        "{thr}"
    );
    assert!(ci["error_rate"].is_array() && ci["slo_attained"].is_array());
    // The summary shows the half-widths.
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("ci95") && summary.contains("p99 "),
        "{summary}"
    );
    assert!(summary.contains(" ± "), "{summary}");
    // One replication: no interval.
    let out = bin()
        .arg(&f)
        .args(["--replications", "1", "--json", "-"])
        .output()
        .unwrap();
    ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("ci95").is_none());
}

#[test]
fn intervals_do_not_depend_on_thread_count() {
    let d = dir("threads");
    let f = d.join("mm1.toml");
    std::fs::write(&f, mm1(60.0, 60, 5)).unwrap();
    let run = |threads: &str| {
        let out = bin()
            .arg(&f)
            .args(["--json", "-"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        ok(&out);
        let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["wall_s"] = Value::Null;
        v
    };
    assert_eq!(run("1"), run("3"));
}

#[test]
fn csv_has_one_row_per_bucket() {
    let d = dir("csv");
    let f = d.join("mm1.toml");
    std::fs::write(&f, mm1(50.0, 60, 1)).unwrap();
    let csv = d.join("series.csv");
    let json = d.join("r.json");
    let out = bin()
        .arg(&f)
        .arg("--csv")
        .arg(&csv)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    ok(&out);
    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let t = v["series"]["t_s"].as_array().unwrap();
    // 60 s of traffic in 5 s buckets, and the bucket the run ends in.
    assert!(t.len() >= 12 && t.len() <= 14, "{} buckets", t.len());
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0][..7],
        [
            "t_s",
            "rps",
            "goodput_rps",
            "error_rate",
            "p50_ms",
            "p95_ms",
            "p99_ms"
        ]
    );
    assert_eq!(rows.len(), t.len() + 1, "header plus one row per bucket");
    for (i, r) in rows[1..].iter().enumerate() {
        assert_eq!(r.len(), rows[0].len());
        assert_eq!(r[0].parse::<f64>().unwrap(), t[i].as_f64().unwrap());
        let rps: f64 = r[1].parse().unwrap();
        assert_eq!(rps, v["series"]["rps"][i].as_f64().unwrap());
    }
    // No temporary file is left beside the outputs.
    for e in std::fs::read_dir(&d).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "{name}");
    }
}

#[test]
fn csv_includes_component_series() {
    let d = dir("csv-comp");
    let f = d.join("q.toml");
    std::fs::write(
        &f,
        r#"
[run]
duration = "30s"
series_interval = "1s"
[traffic]
entry = "broker"
rate = 100
[components.broker]
kind = "queue"
publish = "1ms"
consumers = 2
consumer = "worker"
[components.worker]
kind = "service"
cores = 2
[components.worker.endpoints.default]
cpu = "exp(5ms)"
"#,
    )
    .unwrap();
    let csv = d.join("s.csv");
    let out = bin().arg(&f).arg("--csv").arg(&csv).output().unwrap();
    ok(&out);
    let text = std::fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert!(header.contains(&"broker.backlog"), "{header:?}");
    let n = header.len();
    assert!(text.lines().all(|l| l.split(',').count() == n));
}

/// Checks that `html` holds each chart id with an inline <svg> and refers to nothing outside.
fn check_html(html: &str, ids: &[&str]) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for id in ids {
        let at = html
            .find(&format!("<figure id=\"chart-{id}\">"))
            .unwrap_or_else(|| panic!("chart {id} missing"));
        let end = at + html[at..].find("</figure>").expect("figure closed");
        let fig = &html[at..end];
        assert!(
            fig.contains("<svg") && fig.contains("</svg>"),
            "chart {id} has no svg"
        );
        assert!(fig.contains("<path") || fig.contains("<polyline") || fig.contains("<rect"));
    }
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "external reference"
    );
    assert!(
        !lower.contains("<script") && !lower.contains("<link"),
        "needs nothing else"
    );
}

#[test]
fn html_reports_are_self_contained() {
    let d = dir("html");
    let f = d.join("mm1.toml");
    std::fs::write(&f, mm1(50.0, 60, 2)).unwrap();
    let html = d.join("run.html");
    ok(&bin().arg(&f).arg("--html").arg(&html).output().unwrap());
    check_html(
        &std::fs::read_to_string(&html).unwrap(),
        &["latency", "throughput", "errors", "utilization", "timeline"],
    );
    let g = d.join("mm2.toml");
    std::fs::write(&g, mm1(50.0, 60, 1).replace("cores = 1", "cores = 2")).unwrap();
    let cmp = d.join("compare.html");
    ok(&bin()
        .args(["compare"])
        .arg(&f)
        .arg(&g)
        .arg("--html")
        .arg(&cmp)
        .output()
        .unwrap());
    check_html(
        &std::fs::read_to_string(&cmp).unwrap(),
        &["compare-p99", "compare-throughput"],
    );
    let sw = d.join("sweep.html");
    let sw_csv = d.join("sweep.csv");
    ok(&bin()
        .arg("sweep")
        .arg(&f)
        .args(["--set", "traffic.rate=20,40,60"])
        .arg("--html")
        .arg(&sw)
        .arg("--csv")
        .arg(&sw_csv)
        .output()
        .unwrap());
    check_html(
        &std::fs::read_to_string(&sw).unwrap(),
        &["sweep-p99", "sweep-throughput", "sweep-errors"],
    );
    let rows = std::fs::read_to_string(&sw_csv).unwrap();
    assert_eq!(rows.lines().count(), 4, "{rows}");
    assert!(rows.starts_with("traffic.rate,p50_ms"));
}

const PRICED: &str = r#"
[run]
duration = "60s"
[traffic]
entry = "app"
rate = 100
[components.app]
kind = "service"
instances = 3
cores = 2
cost_per_hour = 0.20
[components.app.endpoints.default]
cpu = "exp(5ms)"
calls = ["db"]
[components.db]
kind = "database"
replicas = 2
cores = 4
cost_per_hour = 1.0
replica_cost_per_hour = 0.5
[components.db.endpoints.default]
cpu = "exp(2ms)"
"#;

#[test]
fn cost_counts_instances_and_replicas() {
    let d = dir("cost");
    let f = d.join("priced.toml");
    std::fs::write(&f, PRICED).unwrap();
    let run = |extra: &[&str]| -> Value {
        let out = bin()
            .arg(&f)
            .args(["--json", "-"])
            .args(extra)
            .output()
            .unwrap();
        ok(&out);
        let s = String::from_utf8_lossy(&out.stderr);
        assert!(s.contains("per hour"), "summary shows the cost:\n{s}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = run(&[]);
    // 3 app instances at 0.20, the primary at 1.0 and two replicas at 0.5.
    let per_hour = v["cost"]["per_hour"].as_f64().unwrap();
    assert!((per_hour - 2.6).abs() < 1e-9, "{per_hour}");
    assert!((v["components"]["db"]["cost_per_hour"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    let thr = v["throughput_rps"].as_f64().unwrap();
    let per_m = v["cost"]["per_million_requests"].as_f64().unwrap();
    assert!((per_m - 2.6 / (thr * 3600.0) * 1e6).abs() < 1e-9);
    // More instances cost more.
    let v = run(&["--set", "components.app.instances=6"]);
    assert!((v["cost"]["per_hour"].as_f64().unwrap() - 3.2).abs() < 1e-9);
    // Bad cost keys are reported with their place.
    let bad = d.join("bad.toml");
    let text = PRICED.replace("cost_per_hour = 0.20", "cost_per_hour = -1");
    std::fs::write(&bad, &text).unwrap();
    let out = bin().arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = text[..text.find("cost_per_hour = -1").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert!(err.contains(&format!("bad.toml:{line}:")), "{err}");
    assert!(err.contains("cost_per_hour must be"), "{err}");
    let text = PRICED.replace("replicas = 2\n", "");
    std::fs::write(&bad, &text).unwrap();
    let out = bin().arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("applies to a database with `replicas`"));
}

/// Two hours at a low rate with a crash at 1:30:00 (issue 12 item 13).
const TWO_HOURS: &str = r#"
name = "two-hours"
[run]
duration = "2h"
series_interval = "60s"
[traffic]
entry = "app"
rate = 2
[[faults]]
kind = "crash"
target = "app"
at = "90m"
for = "10m"
[components.app]
kind = "service"
cores = 1
[components.app.endpoints.default]
cpu = "exp(5ms)"
"#;

#[test]
fn runs_longer_than_an_hour_show_times_as_h_mm_ss() {
    let d = dir("two-hours");
    let f = d.join("two-hours.toml");
    std::fs::write(&f, TWO_HOURS).unwrap();
    let html = d.join("r.html");
    let out = bin().arg(&f).arg("--html").arg(&html).output().unwrap();
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\n   1:30:00.000  app              crash "),
        "{text}"
    );
    assert!(
        text.contains("\n   1:40:00.000  app              recover"),
        "{text}"
    );
    assert!(
        text.contains("incident 1: app crashed at 1:30:00 for 600s"),
        "{text}"
    );
    assert!(!text.contains("5400.0"), "{text}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<li>app crashed at 1:30:00 for 600s"));
    assert!(page.contains("<th>time (h:mm:ss)</th>"));
    assert!(page.contains("<td>1:30:00.000</td>"));
    // The chart axes: h:mm:ss ticks and their caption.
    assert!(page.contains(">\ntime (h:mm:ss)\n<"));
    assert!(page.contains(">\n0:50:00\n<") || page.contains(">\n1:00:00\n<"));
    // An hour or less keeps seconds.
    let short = d.join("short.toml");
    let text = TWO_HOURS
        .replace("\"2h\"", "\"50m\"")
        .replace("\"90m\"", "\"20m\"");
    std::fs::write(&short, text).unwrap();
    let out = bin().arg(&short).output().unwrap();
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\n   1200.000s  app              crash "),
        "{text}"
    );
    assert!(
        text.contains("incident 1: app crashed at 1200.0s for 600s"),
        "{text}"
    );
}

#[test]
fn the_summary_labels_the_window_of_each_figure_when_they_differ() {
    let text = r#"
[run]
duration = "20s"
warmup = "5s"
[traffic]
entry = "app"
rate = 300
[components.app]
kind = "service"
cores = 1
queue = 2
[components.app.endpoints.default]
cpu = "exp(5ms)"
"#;
    let d = dir("windows");
    let f = d.join("w.toml");
    std::fs::write(&f, text).unwrap();
    let out = bin().arg(&f).output().unwrap();
    ok(&out);
    let s = String::from_utf8_lossy(&out.stdout);
    let line = |p: &str| {
        s.lines()
            .find(|l| l.starts_with(p))
            .unwrap_or("")
            .to_string()
    };
    assert!(line("requests ").ends_with(" in flight (whole run)"), "{s}");
    let errors = line("errors ");
    assert!(errors.starts_with("errors       rejected "), "{s}");
    assert!(
        errors.ends_with(" (measured window, after the 5s warm-up)"),
        "{s}"
    );
    // Without a warm-up there is one window and no label.
    let f0 = d.join("w0.toml");
    std::fs::write(&f0, text.replace("warmup = \"5s\"\n", "")).unwrap();
    let out = bin().arg(&f0).output().unwrap();
    ok(&out);
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        !s.contains("(whole run)") && !s.contains("measured window"),
        "{s}"
    );
    assert!(
        s.lines().any(|l| l.starts_with("errors       rejected ")),
        "{s}"
    );
}
