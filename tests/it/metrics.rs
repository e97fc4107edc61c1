//! `--metrics`: the OpenMetrics export checked without Prometheus: its format (every family
//! typed once, names, increasing timestamps, cumulative histograms and counters, `# EOF`) and
//! its figures against the run's JSON; `--trace-epoch`; the refusals.

use crate::common::{bin, ok, scratch_dir, TINY};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// One sample line: metric name, labels (as written, without braces), value, timestamp (s).
#[derive(Debug)]
struct Sample {
    name: String,
    labels: String,
    value: f64,
    ts: f64,
}

/// The families (name to type, in order) and the samples of an OpenMetrics text, checking
/// the layout on the way: `# EOF` last, each family's `# TYPE` once and before its samples,
/// every sample of a family right after its header, every name `archsim_[a-z_]+`.
fn parse(text: &str) -> (Vec<(String, String)>, Vec<Sample>) {
    assert!(
        text.ends_with("# EOF\n") || text.ends_with("# EOF"),
        "no # EOF at the end"
    );
    let valid = |n: &str| {
        n.strip_prefix("archsim_").is_some_and(|r| {
            !r.is_empty() && r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
    };
    let mut families: Vec<(String, String)> = Vec::new();
    let mut samples = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line == "# EOF" {
            assert!(lines.peek().is_none(), "text after # EOF");
            break;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(valid(name), "family name {name}");
            assert!(
                families.iter().all(|(n, _)| n != name),
                "family {name} typed twice"
            );
            assert!(["gauge", "counter", "histogram"].contains(&kind), "{line}");
            families.push((name.to_string(), kind.to_string()));
            continue;
        }
        if line.starts_with("# UNIT ") || line.starts_with("# HELP ") {
            let name = line.split(' ').nth(2).unwrap();
            assert_eq!(Some(name), families.last().map(|f| f.0.as_str()), "{line}");
            if line.starts_with("# UNIT ") {
                let unit = line.split(' ').nth(3).unwrap();
                assert!(name.ends_with(unit), "unit not a suffix: {line}");
            }
            continue;
        }
        assert!(!line.starts_with('#'), "unknown line {line}");
        let mut parts = line.rsplitn(3, ' ');
        let ts: f64 = parts.next().unwrap().parse().expect(line);
        let value: f64 = parts.next().unwrap().parse().expect(line);
        let series = parts.next().unwrap();
        let (name, labels) = series.split_once('{').expect(line);
        let labels = labels.strip_suffix('}').expect(line);
        assert!(valid(name), "sample name {name}");
        let (family, kind) = families.last().expect("a sample before any # TYPE");
        let belongs = match kind.as_str() {
            "counter" => name == format!("{family}_total"),
            "histogram" => ["_bucket", "_count", "_sum"]
                .iter()
                .any(|s| name == format!("{family}{s}")),
            _ => name == family,
        };
        assert!(belongs, "{name} under the header of {family} ({kind})");
        assert!(value.is_finite() && value >= 0.0, "{line}");
        samples.push(Sample {
            name: name.to_string(),
            labels: labels.to_string(),
            value,
            ts,
        });
    }
    (families, samples)
}

/// Samples by series (name and labels), in file order.
fn by_series(samples: &[Sample]) -> BTreeMap<(String, String), Vec<&Sample>> {
    let mut m: BTreeMap<(String, String), Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        m.entry((s.name.clone(), s.labels.clone()))
            .or_default()
            .push(s);
    }
    m
}

/// The values of series `name{labels}`.
fn values(samples: &[Sample], name: &str, labels: &str) -> Vec<f64> {
    samples
        .iter()
        .filter(|s| s.name == name && s.labels == labels)
        .map(|s| s.value)
        .collect()
}

/// Runs `simulate FILE ARGS --metrics --json` and returns (metrics text, JSON).
fn run(dir: &Path, file: &Path, args: &[&str]) -> (String, Value) {
    let (m, j) = (dir.join("run.om"), dir.join("run.json"));
    let out = bin()
        .arg(file)
        .args(args)
        .arg("--metrics")
        .arg(&m)
        .arg("--json")
        .arg(&j)
        .output()
        .unwrap();
    ok(&out);
    let json = serde_json::from_str(&std::fs::read_to_string(&j).unwrap()).unwrap();
    (std::fs::read_to_string(&m).unwrap(), json)
}

fn stage3() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/stage3.toml")
}

const SHORT: [&str; 6] = [
    "--set",
    "run.duration=20s",
    "--set",
    "run.warmup=5s",
    "--set",
    "run.series_interval=1s",
];

#[test]
fn the_export_is_well_formed_cumulative_and_agrees_with_the_json() {
    let d = scratch_dir("metrics", "stage3");
    let mut args = SHORT.to_vec();
    args.extend(["--trace-epoch", "2026-03-01T00:00:00Z"]);
    let (text, r) = run(&d, &stage3(), &args);
    let (families, samples) = parse(&text);
    let n = r["series"]["t_s"].as_array().unwrap().len();
    let epoch = 1_772_323_200.0; // 2026-03-01T00:00:00Z

    // Timestamps: every series has one sample per interval, at the interval ends.
    for ((name, labels), s) in by_series(&samples) {
        let ts: Vec<f64> = s.iter().map(|s| s.ts).collect();
        assert!(
            ts.windows(2).all(|w| w[0] < w[1]),
            "{name}{{{labels}}}: {ts:?}"
        );
        assert!(ts[0] >= epoch + 1.0 && *ts.last().unwrap() <= epoch + n as f64);
    }

    // Counters never decrease; histogram buckets never decrease over time either.
    for ((name, labels), s) in by_series(&samples) {
        let cumulative = name.ends_with("_total")
            || name.ends_with("_bucket")
            || name.ends_with("_count")
            || name.ends_with("_sum");
        if cumulative {
            assert!(
                s.windows(2).all(|w| w[0].value <= w[1].value),
                "{name}{{{labels}}} decreases"
            );
        }
    }

    // At every timestamp the buckets are cumulative in `le`, and `_count` is the +Inf bucket.
    let hist = "archsim_request_duration_seconds";
    let mut points: BTreeMap<(String, u64), Vec<(f64, f64)>> = BTreeMap::new();
    let mut counts: BTreeMap<(String, u64), f64> = BTreeMap::new();
    for s in &samples {
        let key_ts = (s.ts * 1e3) as u64;
        if s.name == format!("{hist}_bucket") {
            let (class, le) = s.labels.split_once(",le=").unwrap();
            let le = le.trim_matches('"');
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            points
                .entry((class.to_string(), key_ts))
                .or_default()
                .push((le, s.value));
        } else if s.name == format!("{hist}_count") {
            counts.insert((s.labels.clone(), key_ts), s.value);
        }
    }
    // Several classes: the overall series (class="all") and each class's own.
    let classes = r["classes"].as_object().unwrap().len();
    let labels = if classes > 1 { classes + 1 } else { 1 };
    assert_eq!(
        points.len(),
        n * labels,
        "one histogram point per interval and class label"
    );
    for (key, b) in &points {
        assert!(
            b.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{key:?}: {b:?}"
        );
        assert_eq!(b.last().unwrap().0, f64::INFINITY);
        assert_eq!(Some(&b.last().unwrap().1), counts.get(key), "{key:?}");
    }

    // The families: stage 3 has components with cores, a cache and several classes.
    let names: Vec<&str> = families.iter().map(|f| f.0.as_str()).collect();
    for f in [
        "archsim_component_utilization_ratio",
        "archsim_component_queue_length",
        "archsim_component_calls_per_second",
        "archsim_component_errors_per_second",
        "archsim_cache_hit_ratio",
        "archsim_component_instances",
        "archsim_request_rate_per_second",
        "archsim_goodput_per_second",
        "archsim_error_ratio",
        "archsim_requests",
        "archsim_requests_failed",
        hist,
    ] {
        assert!(names.contains(&f), "{f} missing: {names:?}");
    }

    // Figures: the gauges are the JSON series, interval by interval (identical numbers).
    let json_series = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x.as_f64())
            .collect()
    };
    let c = &r["components"];
    assert_eq!(
        values(
            &samples,
            "archsim_component_utilization_ratio",
            "component=\"app\""
        ),
        json_series(&c["app"]["series"]["utilization"])
    );
    assert_eq!(
        values(
            &samples,
            "archsim_component_queue_length",
            "component=\"db\""
        ),
        json_series(&c["db"]["series"]["queue"])
    );
    assert_eq!(
        values(&samples, "archsim_cache_hit_ratio", "component=\"cache\""),
        json_series(&c["cache"]["series"]["hit_ratio"])
    );
    assert_eq!(
        values(
            &samples,
            "archsim_component_calls_per_second",
            "component=\"app\""
        ),
        json_series(&c["app"]["series"]["calls_per_s"])
    );
    assert_eq!(
        values(&samples, "archsim_component_instances", "component=\"app\""),
        vec![c["app"]["instances"].as_f64().unwrap(); n]
    );
    // Several classes: the overall series is class="all", then each class's own.
    let all = "class=\"all\"";
    assert_eq!(
        values(&samples, "archsim_request_rate_per_second", all),
        json_series(&r["series"]["rps"])
    );
    assert_eq!(
        values(&samples, "archsim_goodput_per_second", all),
        json_series(&r["series"]["goodput_rps"])
    );
    assert_eq!(
        values(&samples, "archsim_error_ratio", all),
        json_series(&r["series"]["error_rate"])
    );
    // The counters end at the whole run's outcomes (every outcome falls in some interval).
    let q = &r["requests"];
    let done = q["succeeded"].as_f64().unwrap() + q["failed"].as_f64().unwrap();
    assert_eq!(
        values(&samples, "archsim_requests_total", all).last(),
        Some(&done)
    );
    assert_eq!(
        values(&samples, "archsim_requests_failed_total", all).last(),
        Some(&q["failed"].as_f64().unwrap())
    );
    assert_eq!(
        values(&samples, &format!("{hist}_count"), all).last(),
        Some(&q["succeeded"].as_f64().unwrap())
    );
    // The classes' own counters add up to the overall ones, at the end and on the way.
    for name in ["archsim_requests_total", "archsim_requests_failed_total"] {
        let overall = values(&samples, name, all);
        let mut summed = vec![0.0; overall.len()];
        for class in r["classes"].as_object().unwrap().keys() {
            let own = values(&samples, name, &format!("class=\"{class}\""));
            assert_eq!(own.len(), overall.len(), "{name} {class}");
            for (a, b) in summed.iter_mut().zip(own) {
                *a += b;
            }
        }
        assert_eq!(summed, overall, "{name}");
    }
    // The mean latency from _sum / _count: bucket midpoints (within 1.5%) over the whole run
    // against the measured window's exact mean.
    let sum = values(&samples, &format!("{hist}_sum"), all)
        .last()
        .copied()
        .unwrap();
    let mean_ms = sum / q["succeeded"].as_f64().unwrap() * 1e3;
    let want = r["latency_ms"]["mean"].as_f64().unwrap();
    assert!((mean_ms - want).abs() < 0.03 * want, "{mean_ms} vs {want}");
}

#[test]
fn one_class_is_labelled_with_its_name_and_replications_are_means() {
    let d = scratch_dir("metrics", "one-class");
    let f = d.join("tiny.toml");
    std::fs::write(&f, TINY).unwrap();
    let set = [
        "--set",
        "run.duration=20s",
        "--set",
        "run.series_interval=2s",
    ];
    let (text, r) = run(&d, &f, &[&set[..], &["--replications", "2"]].concat());
    let (_, samples) = parse(&text);
    assert!(samples
        .iter()
        .filter(|s| s.name.starts_with("archsim_request"))
        .all(|s| s.labels.starts_with("class=\"default\"")));
    // The default epoch, 2026-01-01T00:00:00Z; samples at the ends of 2 s intervals.
    let first = samples.iter().map(|s| s.ts).fold(f64::INFINITY, f64::min);
    assert_eq!(first, 1_767_225_602.0);
    // Two replications: counts are means over them (halves), rates as in the JSON.
    let q = &r["requests"];
    let done = q["succeeded"].as_f64().unwrap() + q["failed"].as_f64().unwrap();
    let total = values(&samples, "archsim_requests_total", "class=\"default\"");
    assert_eq!(total.last(), Some(&(done / 2.0)));
    let rps: Vec<f64> = r["series"]["rps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(
        values(
            &samples,
            "archsim_request_rate_per_second",
            "class=\"default\""
        ),
        rps
    );
}

#[test]
fn bad_epochs_paths_and_commands_are_refused_before_anything_runs() {
    let d = scratch_dir("metrics", "refusals");
    let s3 = stage3();
    let refused = |args: &[&str], says: &str| {
        let out = bin().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} simulated");
    };
    let m = d.join("m.om");
    let m = m.to_str().unwrap();
    let s3 = s3.to_str().unwrap();
    refused(
        &[s3, "--metrics", m, "--trace-epoch", "yesterday"],
        "--trace-epoch",
    );
    refused(
        &[s3, "--metrics", m, "--trace-epoch", "2026-02-30"],
        "expected an RFC 3339 date-time",
    );
    refused(&[s3, "--metrics", "/no/such/folder/m.om"], "--metrics");
    refused(&[s3, "--metrics", d.to_str().unwrap()], "is a folder");
    refused(&[s3, "--metrics", m, "--csv", m], "write to the same file");
    let several = "compare, sweep and capacity make several";
    refused(&["compare", s3, s3, "--metrics", m], several);
    refused(
        &["sweep", s3, "--set", "traffic.users=10,20", "--metrics", m],
        several,
    );
    refused(&["capacity", s3, "--metrics", m], several);
    assert!(!Path::new(m).exists());
}

/// A balancer over `api` (3 instances, 1 GiB each, `api[1]` leaking 16 MiB a second from
/// 10 s to 55 s, short of its OOM kill at 58 s) calling `big` (17 instances: past the limit of 16 for per-instance series) and `db`
/// (one instance).
const INSTANCES: &str = r#"
[run]
duration = "60s"
warmup = "10s"
series_interval = "2s"
[traffic]
entry = "lb"
rate = 300
[components.lb]
kind = "load_balancer"
targets = "api"
policy = "round_robin"
[components.api]
kind = "service"
instances = 3
cores = 2
memory = "1GiB"
memory_base = "256MiB"
memory_per_request = "1MiB"
endpoints.default = { cpu = "exp(4ms)", calls = ["big", "db"] }
[components.big]
kind = "service"
instances = 17
cores = 1
endpoints.default = { cpu = "exp(10ms)" }
[components.db]
kind = "database"
cores = 4
endpoints.default = { cpu = "exp(1ms)" }
[[faults]]
kind = "leak"
target = "api[1]"
at = "10s"
for = "45s"
rate = "16MiB/s"
"#;

fn json_series(r: &Value, comp: &str, name: &str) -> Vec<f64> {
    r["components"][comp]["series"][name]
        .as_array()
        .unwrap_or_else(|| panic!("{comp}.{name}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Each instance's utilization, queue and memory utilization (issue 14 item 4, issue 16 item
/// 2): one sample per series bucket, ratios in [0, 1], the component's gauge of a bucket the
/// mean of its instances' (a fixed count: equal weights), an instance's mean over the
/// measured window its JSON `per_instance` figure; nothing per instance for a component of
/// one instance or of more than 16.
#[test]
fn instances_have_their_own_gauges_beside_the_components() {
    let d = scratch_dir("metrics", "instances");
    let f = d.join("instances.toml");
    std::fs::write(&f, INSTANCES).unwrap();
    let (text, r) = run(&d, &f, &[]);
    let (families, samples) = parse(&text);
    let n = r["series"]["t_s"].as_array().unwrap().len();
    assert!(n >= 30, "60 s of 2 s buckets and the drain's: {n}");
    let help = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("# HELP {name} ")))
            .unwrap_or_else(|| panic!("{name}"))
            .to_string()
    };
    for (family, component) in [
        ("archsim_instance_utilization_ratio", "utilization"),
        ("archsim_instance_queue_length", "queue"),
        (
            "archsim_instance_memory_utilization_ratio",
            "memory_utilization",
        ),
    ] {
        assert!(families.iter().any(|(f, k)| f == family && k == "gauge"));
        assert!(
            help(family).contains("2 to 16 instances"),
            "{}",
            help(family)
        );
        let per: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                values(
                    &samples,
                    family,
                    &format!("component=\"api\",instance=\"{i}\""),
                )
            })
            .collect();
        let pooled = json_series(&r, "api", component);
        for v in &per {
            assert_eq!(v.len(), n, "{family}: one sample per bucket");
            if family.ends_with("_ratio") {
                assert!(v.iter().all(|x| (0.0..=1.0).contains(x)), "{family}: {v:?}");
            }
        }
        for b in 0..n {
            let mean = (per[0][b] + per[1][b] + per[2][b]) / 3.0;
            assert!(
                (mean - pooled[b]).abs() <= 1e-12 * (1.0 + pooled[b]),
                "{family} bucket {b}: instances' mean {mean}, component {}",
                pooled[b]
            );
        }
        // Over the limit, or a single instance: only the component's gauges.
        for comp in ["big", "db"] {
            let label = format!("component=\"{comp}\",");
            assert!(
                !samples
                    .iter()
                    .any(|s| s.name == family && s.labels.starts_with(&label)),
                "{family} for {comp}"
            );
        }
    }
    assert!(!values(
        &samples,
        "archsim_component_utilization_ratio",
        "component=\"big\""
    )
    .is_empty());
    // The pooled memory gauge is the JSON's series.
    assert_eq!(
        values(
            &samples,
            "archsim_component_memory_utilization_ratio",
            "component=\"api\""
        ),
        json_series(&r, "api", "memory_utilization")
    );
    // The leaking instance's memory climbs past its neighbours' (16 MiB/s x 2 s a bucket).
    let mem = |i: u32| {
        values(
            &samples,
            "archsim_instance_memory_utilization_ratio",
            &format!("component=\"api\",instance=\"{i}\""),
        )
    };
    let (m0, m1) = (mem(0), mem(1));
    assert!(m1[20] > m0[20] + 0.4, "{} vs {}", m1[20], m0[20]);
    // An instance's utilization over the measured window (buckets 5..30: 10 s to 60 s) is
    // its JSON `per_instance.utilization`.
    let per = r["components"]["api"]["per_instance"]["utilization"]
        .as_array()
        .unwrap();
    for (i, want) in per.iter().enumerate() {
        let v = values(
            &samples,
            "archsim_instance_utilization_ratio",
            &format!("component=\"api\",instance=\"{i}\""),
        );
        let got = v[5..30].iter().sum::<f64>() / 25.0;
        let want = want.as_f64().unwrap();
        assert!((got - want).abs() <= 1e-9, "instance {i}: {got} vs {want}");
    }
}

/// A run without `--metrics` keeps no per-instance series; with it, the JSON is the same.
#[test]
fn instance_series_are_kept_only_for_the_export() {
    let s = archsim::scenario::from_str(INSTANCES, "instances.toml", &[]).unwrap();
    let (_, stats) = s.run_with_stats(None).unwrap();
    assert!(stats.components.iter().all(|c| c.instance_series.is_none()));
    let d = scratch_dir("metrics", "instances-json");
    let f = d.join("instances.toml");
    std::fs::write(&f, INSTANCES).unwrap();
    let (_, with) = run(&d, &f, &[]);
    let plain = d.join("plain.json");
    ok(&bin().arg(&f).arg("--json").arg(&plain).output().unwrap());
    let without: Value = serde_json::from_str(&std::fs::read_to_string(&plain).unwrap()).unwrap();
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("wall_s");
        v
    };
    assert_eq!(strip(with), strip(without));
}
