//! The HTML pages: the figures table on top of compare and sweep pages, and the cache hit
//! ratio series with its chart.

use crate::common::{bin, ok, scratch_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn dir(test: &str) -> PathBuf {
    scratch_dir("html", test)
}

/// M/M/c with mu = 100/s per core at `rate`.
fn mmc(rate: f64, cores: u32) -> String {
    format!(
        r#"
[run]
duration = "30s"
warmup = "5s"
series_interval = "5s"
[slo]
latency = "100ms"
target = 0.9
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

/// The cells of each row of the page's figures table: (header cells, body rows), each row as
/// (the row's attributes, its cells' text with tags removed).
fn figures_table(html: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let at = html
        .find("<table class=\"figures\">")
        .expect("the page has a figures table");
    let end = at + html[at..].find("</table>").expect("table closed");
    let first_fig = html.find("<figure").expect("the page has charts");
    assert!(end < first_fig, "the table comes before the charts");
    let body = &html[at..end];
    let strip = |s: &str| {
        let mut out = String::new();
        let mut tag = false;
        for c in s.chars() {
            match c {
                '<' => tag = true,
                '>' => tag = false,
                _ if !tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&amp;", "&")
    };
    let mut rows = body.split("<tr").skip(1).map(|r| {
        let attrs = r[..r.find('>').unwrap()].to_string();
        let cells: Vec<String> = r
            .split("<t")
            .skip(1)
            .filter(|c| c.starts_with('d') || c.starts_with('h'))
            .map(|c| strip(&format!("<t{c}")).trim().to_string())
            .collect();
        (attrs, cells)
    });
    let header = rows.next().expect("a header row").1;
    (header, rows.collect())
}

#[test]
fn compare_page_opens_with_one_row_per_scenario() {
    let d = dir("compare");
    let one = d.join("one-core.toml");
    let two = d.join("two-cores.toml");
    // Far beyond one core's capacity with unbounded queues: overloads at a low call limit.
    let over = d.join("overloaded.toml");
    std::fs::write(&one, mmc(50.0, 1)).unwrap();
    std::fs::write(&two, mmc(50.0, 2)).unwrap();
    std::fs::write(
        &over,
        mmc(500.0, 1).replace(
            "series_interval = \"5s\"",
            "series_interval = \"5s\"\nmax_in_flight = 200",
        ),
    )
    .unwrap();
    let page = d.join("compare.html");
    let out = bin()
        .arg("compare")
        .args([&one, &two, &over])
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap();
    ok(&out);
    let html = std::fs::read_to_string(&page).unwrap();
    let (header, rows) = figures_table(&html);
    assert_eq!(
        header,
        [
            "scenario",
            "p50",
            "p95",
            "p99",
            "p99.9",
            "req/s",
            "errors",
            "slo",
            "bottleneck"
        ],
        "no cost columns without costs"
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    let names: Vec<&str> = rows.iter().map(|r| r.1[0].as_str()).collect();
    assert_eq!(names, ["one-core", "two-cores", "overloaded"]);
    for (attrs, cells) in &rows[..2] {
        assert!(!attrs.contains("overload"), "{attrs}");
        assert_eq!(cells.len(), header.len(), "{cells:?}");
        assert!(cells[3].ends_with("ms"), "p99 in ms: {cells:?}");
        assert!(cells[8].starts_with("server "), "bottleneck: {cells:?}");
    }
    // The figures are those of the terminal table.
    let text = String::from_utf8_lossy(&out.stdout);
    for (_, cells) in &rows[..2] {
        let line = text
            .lines()
            .find(|l| l.starts_with(cells[0].as_str()))
            .unwrap_or_else(|| panic!("{} in\n{text}", cells[0]));
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[1..6], cells[1..6], "{line}");
    }
    // Twice the cores at the same load: a lower p99 in the table.
    let ms = |c: &str| c.trim_end_matches("ms").parse::<f64>().unwrap();
    assert!(ms(&rows[1].1[3]) < ms(&rows[0].1[3]), "{rows:?}");
    let (attrs, cells) = &rows[2];
    assert!(attrs.contains("overload"), "{attrs}");
    assert!(cells[1].starts_with("overload"), "{cells:?}");
    // The chart ids stay.
    assert!(html.contains("<figure id=\"chart-compare-p99\">"));
    assert!(html.contains("<figure id=\"chart-compare-throughput\">"));
}

#[test]
fn sweep_page_labels_rows_with_the_swept_values() {
    let d = dir("sweep");
    let f = d.join("mm1.toml");
    std::fs::write(&f, mmc(20.0, 1)).unwrap();
    let page = d.join("sweep.html");
    ok(&bin()
        .arg("sweep")
        .arg(&f)
        .args([
            "--set",
            "traffic.rate=20,50,80",
            "--set",
            "components.server.cores=1,2",
        ])
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap());
    let html = std::fs::read_to_string(&page).unwrap();
    let (header, rows) = figures_table(&html);
    assert_eq!(
        header[..3],
        ["traffic.rate", "components.server.cores", "p50"]
    );
    assert_eq!(header.len(), 2 + 8, "{header:?}");
    assert_eq!(rows.len(), 6, "one row per point");
    let labels: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.1[0].as_str(), r.1[1].as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("20", "1"),
            ("20", "2"),
            ("50", "1"),
            ("50", "2"),
            ("80", "1"),
            ("80", "2")
        ]
    );
    // Throughput follows the swept rate.
    for (_, cells) in &rows {
        let rate: f64 = cells[0].parse().unwrap();
        let thr: f64 = cells[6].parse().unwrap();
        assert!((thr - rate).abs() < rate * 0.15, "{cells:?}");
    }
    for id in ["sweep-p99", "sweep-throughput", "sweep-errors"] {
        assert!(
            html.contains(&format!("<figure id=\"chart-{id}\">")),
            "{id}"
        );
    }
}

/// A cold cache in front of a database, Zipf keys: it fills during the run.
const COLD_CACHE: &str = r#"
[run]
duration = "60s"
warmup = "10s"
series_interval = "5s"
replications = 2
[traffic]
entry = "app"
rate = 400
keys = { count = 20000, zipf = 0.99 }
[components.app]
kind = "service"
cores = 4
[components.app.endpoints.default]
cpu = "exp(1ms)"
calls = ["cache"]
[components.cache]
kind = "cache"
capacity = 2000
hit = "exp(0.3ms)"
backing = "db"
[components.db]
kind = "database"
cores = 4
[components.db.endpoints.default]
cpu = "exp(2ms)"
"#;

/// The chart's figure, or `None`.
fn chart<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let at = html.find(&format!("<figure id=\"chart-{id}\">"))?;
    let end = at + html[at..].find("</figure>").expect("figure closed");
    Some(&html[at..end])
}

#[test]
fn cache_hit_ratio_rises_as_a_cold_cache_warms() {
    let d = dir("hit");
    let f = d.join("cache.toml");
    std::fs::write(&f, COLD_CACHE).unwrap();
    let (json, csv, page) = (d.join("r.json"), d.join("s.csv"), d.join("r.html"));
    ok(&bin()
        .arg(&f)
        .arg("--json")
        .arg(&json)
        .arg("--csv")
        .arg(&csv)
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap());
    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let t: Vec<f64> = v["series"]["t_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let cache = &v["components"]["cache"];
    let hr = cache["series"]["hit_ratio"].as_array().expect("hit_ratio");
    assert_eq!(hr.len(), t.len());
    // Pooled over both replications (not added up): a share in every bucket with lookups.
    let vals: Vec<Option<f64>> = hr.iter().map(|x| x.as_f64()).collect();
    for (i, x) in vals.iter().enumerate() {
        if t[i] < 60.0 {
            let x = x.unwrap_or_else(|| panic!("bucket {i} has lookups"));
            assert!((0.0..=1.0).contains(&x), "bucket {i}: {x}");
        }
    }
    // The bucket after the last arrival has no lookup.
    assert!(vals.last().unwrap().is_none(), "{vals:?}");
    // Cold start: the first bucket hits clearly less than the warm second half.
    let late: Vec<f64> = t
        .iter()
        .zip(&vals)
        .filter(|(t, _)| **t >= 30.0 && **t < 60.0)
        .map(|(_, v)| v.unwrap())
        .collect();
    let late_mean = late.iter().sum::<f64>() / late.len() as f64;
    let first = vals[0].unwrap();
    assert!(
        first + 0.08 < late_mean,
        "first bucket {first:.3} vs warm {late_mean:.3}: {vals:?}"
    );
    // Over the measured window the buckets (about equal lookups each) average to the run's
    // hit ratio.
    let measured: Vec<f64> = t
        .iter()
        .zip(&vals)
        .filter(|(t, _)| **t >= 10.0 && **t < 60.0)
        .map(|(_, v)| v.unwrap())
        .collect();
    let mean = measured.iter().sum::<f64>() / measured.len() as f64;
    let overall = cache["hit_ratio"].as_f64().unwrap();
    assert!((mean - overall).abs() < 0.02, "{mean:.4} vs {overall:.4}");
    // In the CSV as `cache.hit_ratio`, matching the JSON.
    let text = std::fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "cache.hit_ratio")
        .unwrap_or_else(|| panic!("{header:?}"));
    let row1: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    assert!((row1[col].parse::<f64>().unwrap() - first).abs() < 1e-12);
    // Only caches have the series.
    for n in ["app", "db"] {
        assert!(v["components"][n]["series"].get("hit_ratio").is_none());
    }
    // The page charts it, one line per cache.
    let html = std::fs::read_to_string(&page).unwrap();
    let fig = chart(&html, "hit-ratio").expect("chart-hit-ratio");
    assert!(fig.contains("<svg") && fig.contains("</svg>"), "{fig}");
    let texts: Vec<&str> = fig
        .split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..t.find("</text>")?];
            Some(body.trim())
        })
        .collect();
    assert!(
        texts.contains(&"cache"),
        "legend names the cache: {texts:?}"
    );
    assert!(
        !texts.contains(&"app") && !texts.contains(&"db"),
        "{texts:?}"
    );
}

#[test]
fn no_hit_ratio_chart_without_caches() {
    let d = dir("nocache");
    let f = d.join("mm1.toml");
    std::fs::write(&f, mmc(50.0, 1)).unwrap();
    let (json, page) = (d.join("r.json"), d.join("r.html"));
    ok(&bin()
        .arg(&f)
        .arg("--json")
        .arg(&json)
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap());
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(chart(&html, "utilization").is_some());
    assert!(chart(&html, "hit-ratio").is_none());
    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(v["components"]["server"]["series"]
        .get("hit_ratio")
        .is_none());
}

#[test]
fn the_event_legend_names_the_event_and_the_incident_verdict() {
    let d = scratch_dir("html", "legend");
    let html = d.join("s2.html");
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/stage2.toml");
    let out = bin().arg(&f).arg("--html").arg(&html).output().unwrap();
    ok(&out);
    let page = std::fs::read_to_string(&html).unwrap();
    // stage 2's spike is absorbed: its start is no "overload", its end no "recovery".
    assert!(page.contains(">\nspike_start\n<"), "legend");
    assert!(page.contains(">\nspike_end (absorbed)\n<"), "legend");
    assert!(!page.contains("event: overload") && !page.contains("event: recovery"));
}

/// The end of a crash is named with its incident's verdict too: the legend matched a
/// trigger's end by the part of its name before `_`, so `recover` never met its `crash`; it
/// now pairs them by the phase declared where the events are recorded.
#[test]
fn the_legend_names_a_crash_recovery_with_its_verdict() {
    let d = scratch_dir("html", "crash-legend");
    let html = d.join("crash.html");
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/failures/cache-crash.toml");
    let out = bin().arg(&f).arg("--html").arg(&html).output().unwrap();
    ok(&out);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains(">\nrecover (recovered)\n<"), "legend");
}

#[test]
fn a_stretch_without_successes_is_named_on_the_latency_chart() {
    let d = scratch_dir("html", "no-success");
    let html = d.join("rs.html");
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/failures/retry-storm.toml");
    let out = bin().arg(&f).arg("--html").arg(&html).output().unwrap();
    ok(&out);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("Latency percentiles over time (no successful requests 65–240 s)"),
        "caption"
    );
    let s2 = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/stage2.toml");
    let html2 = d.join("s2.html");
    ok(&bin().arg(&s2).arg("--html").arg(&html2).output().unwrap());
    assert!(!std::fs::read_to_string(&html2)
        .unwrap()
        .contains("no successful requests"));
}

/// Regression (issue 12 item 16): with a second swept key the legend cut every line to
/// `p99 components.lb.policy=…`; lines are now named by the values that differ, under the
/// key's last segment, and the caption names the key in full.
#[test]
fn sweep_legend_names_each_line_by_the_values_that_differ() {
    let d = dir("sweep-legend");
    let f = d.join("lb.toml");
    std::fs::write(
        &f,
        r#"
[run]
duration = "20s"
warmup = "5s"
series_interval = "5s"
[traffic]
entry = "lb"
rate = 50
[components.lb]
kind = "load_balancer"
targets = "server"
[components.server]
kind = "service"
instances = 2
cores = 1
[components.server.endpoints.default]
cpu = "exp(10ms)"
"#,
    )
    .unwrap();
    let page = d.join("sweep.html");
    ok(&bin()
        .arg("sweep")
        .arg(&f)
        .args([
            "--set",
            "traffic.rate=50,100",
            "--set",
            "components.lb.policy=round_robin,least_outstanding",
            "--set",
            "components.server.cores=1",
        ])
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap());
    let html = std::fs::read_to_string(&page).unwrap();
    for id in ["sweep-p99", "sweep-throughput", "sweep-errors"] {
        let fig = chart(&html, id).unwrap_or_else(|| panic!("{id}"));
        assert!(
            fig.contains("(a line per components.lb.policy)</figcaption>"),
            "{id}: caption"
        );
        assert!(!fig.contains('…'), "{id}: a cut legend");
        // The single-valued key names no line.
        assert!(!fig.contains("cores=1"), "{id}");
    }
    let p99 = chart(&html, "sweep-p99").unwrap();
    assert!(p99.contains(">\np99 policy=round_robin\n<"), "legend");
    // 28 characters: wrapped onto a second line of the legend, not cut.
    assert!(
        p99.contains(">\np99\n<") && p99.contains(">\npolicy=least_outstanding\n<"),
        "legend"
    );
    let thr = chart(&html, "sweep-throughput").unwrap();
    assert!(thr.contains(">\npolicy=round_robin\n<"), "legend");
}

/// The terminal's millisecond format (`49.7ms`, `2.65s`).
fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2}s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0}ms")
    } else if v >= 10.0 {
        format!("{v:.1}ms")
    } else {
        format!("{v:.2}ms")
    }
}

/// The heights of the coloured bars of a bar chart, left to right.
fn bar_heights(fig: &str) -> Vec<f64> {
    fig.split("<rect ")
        .skip(1)
        .filter(|r| !r.contains("fill=\"#FFFFFF\""))
        .filter_map(|r| {
            let h = r.split("height=\"").nth(1)?;
            h[..h.find('"')?].parse().ok()
        })
        .collect()
}

/// Regression (issue 12 item 20): p99 bars of 49.7 ms and 58.6 ms beside 2.65 s were a
/// few pixels on a linear axis. The axis turns logarithmic, every bar carries its value, and
/// error-rate and cost bars follow.
#[test]
fn compare_bars_show_small_p99s_beside_large_ones_with_errors_and_cost() {
    let d = dir("compare-bars");
    let (json, page) = (d.join("c.json"), d.join("c.html"));
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/compare/lb-policy");
    ok(&bin()
        .arg("compare")
        .arg(&folder)
        .arg("--json")
        .arg(&json)
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap());
    let html = std::fs::read_to_string(&page).unwrap();
    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let runs: Vec<&Value> = v.as_array().unwrap().iter().map(|s| &s["result"]).collect();
    assert_eq!(runs.len(), 4);
    let p99: Vec<f64> = runs
        .iter()
        .map(|r| r["latency_ms"]["p99"].as_f64().unwrap())
        .collect();
    let (lo, hi) = (
        p99.iter().copied().fold(f64::INFINITY, f64::min),
        p99.iter().copied().fold(0.0, f64::max),
    );
    assert!(
        hi / lo > 30.0,
        "the folder still spans orders of magnitude: {p99:?}"
    );
    let fig = chart(&html, "compare-p99").expect("p99 bars");
    assert!(fig.contains("p99 (ms), log scale"), "log axis");
    for p in &p99 {
        assert!(
            fig.contains(&format!(">\n{}\n<", ms(*p))),
            "label {}",
            ms(*p)
        );
    }
    let h = bar_heights(fig);
    assert_eq!(h.len(), 4, "{h:?}");
    let (hmin, hmax) = (
        h.iter().copied().fold(f64::INFINITY, f64::min),
        h.iter().copied().fold(0.0, f64::max),
    );
    assert!(hmin > 0.2 * hmax, "the smallest bar is visible: {h:?}");
    let fig = chart(&html, "compare-errors").expect("error-rate bars");
    for r in &runs {
        let e = r["error_rate"].as_f64().unwrap();
        let label = if e == 0.0 {
            "0%".to_string()
        } else {
            format!("{:.1}%", e * 100.0)
        };
        assert!(fig.contains(&format!(">\n{label}\n<")), "label {label}");
    }
    assert_eq!(bar_heights(fig).len(), 4);
    let fig = chart(&html, "compare-cost").expect("cost bars");
    for r in &runs {
        let c = &r["cost"];
        let label = format!(
            "{:.3} ({:.2}/h)",
            c["per_million_requests"].as_f64().unwrap(),
            c["per_hour"].as_f64().unwrap()
        );
        assert!(fig.contains(&format!(">\n{label}\n<")), "label {label}");
    }
    // Throughput stays linear: its bars are close in value.
    let fig = chart(&html, "compare-throughput").unwrap();
    assert!(!fig.contains("log scale"));
}

/// Regression (issue 12 item 18): the "timeline" chart repeated the throughput chart. It now
/// lays the timeline's events on the time axis, a lane per component: a bar for the crash
/// of the database from 120 s to its recovery, dots and names for the events, and the
/// numbered markers of the events table below it.
#[test]
fn the_timeline_chart_lays_out_the_events_in_lanes() {
    let d = dir("events");
    let (json, page) = (d.join("r.json"), d.join("r.html"));
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/failures/spof-database-failover.toml");
    ok(&bin()
        .arg(&f)
        .arg("--json")
        .arg(&json)
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap());
    let html = std::fs::read_to_string(&page).unwrap();
    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let timeline = v["timeline"].as_array().unwrap();
    let fig = chart(&html, "timeline").expect("the events chart");
    assert!(fig.contains("a lane per component"), "caption");
    // Not the throughput chart again.
    assert!(!fig.contains("requests per second") && !fig.contains("goodput"));
    // A lane per component (instances share their component's lane).
    for lane in ["db", "system"] {
        assert!(fig.contains(&format!(">\n{lane}\n<")), "lane {lane}");
    }
    assert!(!fig.contains(">\ndb[0]\n<"), "instances share a lane");
    // The crash is named on its lane, and drawn as a bar in the fault colour.
    assert!(fig.contains(">\ncrash\n<"), "event name");
    assert!(
        fig.split("<rect ")
            .any(|r| r.contains("fill=\"#C81E1E\"") && !r.contains("width=\"0\"")),
        "the crash as a bar"
    );
    // A dot per event.
    assert!(fig.matches("<circle").count() >= timeline.len() - 3, "dots");
    // The numbered markers, and the table they refer to.
    assert!(
        fig.contains(">\n1\n<") && fig.contains(">\n2\n<"),
        "markers"
    );
    assert!(fig.contains("<div class=\"events\">"), "the events table");
    for e in timeline {
        let name = e["event"].as_str().unwrap();
        assert!(fig.contains(&format!(">{name}</td>")), "table row {name}");
    }
}
