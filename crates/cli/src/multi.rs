//! `simulate compare` and `simulate sweep`: many runs, one table.

use crate::out::errln;
use crate::outcome::{Axis, Outcome};
use crate::partial::Job;
use crate::progress::Progress;
use crate::shard::{self, Mode};
use crate::table::{self, bottleneck_json};
use crate::{check_slo_gate, missed_slo, report, slo_gate, MultiArgs, EXIT_FAILURE, EXIT_INVALID};
use archsim_scenario::{Scenario, WorkEstimate};
use std::path::{Path, PathBuf};

/// The most points a sweep may have.
const MAX_POINTS: usize = 10_000;

/// `--seed` and `--replications` as overrides, after the user's `--set`s.
pub(crate) fn overrides(set: &[String], args: &MultiArgs) -> Vec<String> {
    let mut o = set.to_vec();
    if let Some(seed) = args.seed {
        o.push(format!("run.seed={seed}"));
    }
    if let Some(n) = args.replications {
        o.push(format!("run.replications={n}"));
    }
    o
}

/// Runs `scenarios` one after another (each runs its replications in parallel), with one
/// progress bar over all of them. An overload is an outcome; any other failure stops.
pub(crate) fn run_all(scenarios: &[Scenario], args: &MultiArgs) -> Result<Vec<Outcome>, i32> {
    let quiet = args.json.as_deref() == Some("-");
    let total = scenarios.iter().map(|s| s.progress_total_ns()).sum();
    let works = scenarios.iter().map(|s| s.estimate_work());
    crate::progress::announce(
        !quiet,
        works.fold(WorkEstimate::default(), |a, w| a.plus(&w)),
    );
    let bar = Progress::start(!quiet, total);
    let mut out = Vec::with_capacity(scenarios.len());
    for s in scenarios {
        match s.run_with_progress(Some(bar.counter())) {
            Ok(r) => out.push(Ok(r)),
            Err(e) if e.is_overload() => out.push(Err(e.to_string())),
            Err(e) => {
                bar.finish();
                errln!("error: simulating {}: {e}", s.file);
                return Err(EXIT_FAILURE);
            }
        }
    }
    bar.finish();
    Ok(out)
}

/// Writes the JSON, CSV and HTML outputs that were asked for, each on its own, and prints
/// `text` (to stderr when the JSON goes to stdout); see [`crate::outputs::emit`].
pub(crate) fn emit(
    args: &MultiArgs,
    text: &str,
    json: impl FnOnce() -> serde_json::Value,
    csv: impl FnOnce() -> String,
    html: impl FnOnce() -> anyhow::Result<String>,
) -> i32 {
    crate::outputs::emit(
        &args.outputs(),
        text,
        || Ok(serde_json::to_string_pretty(&json())?),
        csv,
        html,
        Vec::new(),
    )
}

/// A run's result as JSON with extra keys first.
pub(crate) fn result_json(extra: serde_json::Value, o: &Outcome) -> serde_json::Value {
    let mut m = match extra {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    match o {
        Ok(r) => {
            m.insert("bottleneck".into(), bottleneck_json(r));
            m.insert(
                "result".into(),
                serde_json::to_value(r).unwrap_or(serde_json::Value::Null),
            );
        }
        Err(e) => {
            m.insert("error".into(), serde_json::Value::from(e.as_str()));
        }
    }
    serde_json::Value::Object(m)
}

pub(crate) fn figure_row(o: &Outcome) -> Vec<String> {
    match o {
        Ok(r) => table::figure_cells(r),
        Err(_) => {
            let mut v = vec!["overload".to_string()];
            v.resize(table::figure_header().len(), "-".into());
            v
        }
    }
}

pub(crate) fn figure_csv_row(o: &Outcome) -> Vec<String> {
    match o {
        Ok(r) => table::figure_csv(r),
        Err(_) => vec![String::new(); table::figure_csv_header().len()],
    }
}

/// The `.toml` files directly in `dir`, in name order.
pub(crate) fn toml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    Ok(v)
}

/// The scenario files named by `files`: folders give their `.toml` files in name order.
fn expand(files: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for f in files {
        if f.is_dir() {
            let v = toml_files(f).map_err(|e| format!("{}: {e}", f.display()))?;
            if v.is_empty() {
                return Err(format!("{}: no .toml files in this folder", f.display()));
            }
            out.extend(v);
        } else {
            out.push(f.clone());
        }
    }
    Ok(out)
}

/// Row labels: scenario names, or files where two scenarios share a name.
pub(crate) fn labels(scenarios: &[Scenario]) -> Vec<String> {
    scenarios
        .iter()
        .map(|s| {
            if scenarios.iter().filter(|o| o.name == s.name).count() > 1 {
                s.file.clone()
            } else {
                s.name.clone()
            }
        })
        .collect()
}

/// Warns (on stderr) when the scenarios do not share one seed and one replication count:
/// the header shows the first scenario's, and runs under different seeds do not see the
/// same arrivals.
pub(crate) fn note_mixed_runs(scenarios: &[Scenario]) {
    let Some(first) = scenarios.first() else {
        return;
    };
    let mixed = |what: &str, differs: bool, vals: Vec<String>, key: &str| {
        if differs {
            let mut vals = vals;
            vals.dedup();
            errln!(
                "note: the scenarios set different {what} ({}); the header shows the first scenario's; pass {key} to run them all alike",
                vals.join(", ")
            );
        }
    };
    let mut seeds: Vec<u64> = scenarios.iter().map(|s| s.seed).collect();
    seeds.sort_unstable();
    mixed(
        "run.seed values",
        scenarios.iter().any(|s| s.seed != first.seed),
        seeds.iter().map(|s| s.to_string()).collect(),
        "--seed",
    );
    let mut reps: Vec<u32> = scenarios.iter().map(|s| s.replications).collect();
    reps.sort_unstable();
    mixed(
        "run.replications values",
        scenarios
            .iter()
            .any(|s| s.replications != first.replications),
        reps.iter().map(|s| s.to_string()).collect(),
        "--replications",
    );
}

/// `simulate compare A.toml B.toml ...`.
pub(crate) fn compare(
    files: &[PathBuf],
    set: &[String],
    args: &MultiArgs,
    fail_on_slo: bool,
    mode: &Mode,
) -> i32 {
    let paths = match expand(files) {
        Ok(p) => p,
        Err(e) => {
            errln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    let inputs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    if let Err(code) = mode.check_outputs(&args.outputs(), &inputs) {
        return code;
    }
    let ov = overrides(set, args);
    let mut scenarios = Vec::new();
    for p in &paths {
        match mode.load(p, &ov) {
            Ok(s) => scenarios.push(s),
            Err(code) => return code,
        }
    }
    if fail_on_slo {
        if let Err(code) = check_slo_gate(&scenarios.iter().collect::<Vec<_>>()) {
            return code;
        }
    }
    note_mixed_runs(&scenarios);
    let job = || Job::Compare {
        files: paths.iter().map(|p| p.display().to_string()).collect(),
        set: set.to_vec(),
        seed: args.seed,
        replications: args.replications,
    };
    let outcomes = match shard::outcomes(mode, job, &scenarios, args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let names = labels(&scenarios);
    let mut header = vec!["scenario".to_string()];
    header.extend(table::figure_header());
    let rows: Vec<Vec<String>> = names
        .iter()
        .zip(&outcomes)
        .map(|(n, o)| {
            let mut r = vec![n.clone()];
            r.extend(figure_row(o));
            r
        })
        .collect();
    let first = &scenarios[0];
    let mut text = format!(
        "compare | seed {} | {} replication{} each\n\n",
        first.seed,
        first.replications,
        if first.replications == 1 { "" } else { "s" }
    );
    text.push_str(&table::render(&header, &rows, 1));
    for (n, o) in names.iter().zip(&outcomes) {
        if let Err(e) = o {
            text.push_str(&format!("{n}: {e}\n"));
        }
    }
    let missed = if fail_on_slo {
        missed_slo(&names, &scenarios, &outcomes)
    } else {
        Vec::new()
    };
    let code = emit(
        args,
        &text,
        || {
            serde_json::Value::Array(
                scenarios
                    .iter()
                    .zip(&names)
                    .zip(&outcomes)
                    .map(|((s, n), o)| {
                        result_json(serde_json::json!({"file": s.file, "name": n}), o)
                    })
                    .collect(),
            )
        },
        || {
            let mut h = vec!["scenario".to_string(), "file".to_string()];
            h.extend(table::figure_csv_header());
            let mut c = table::csv_line(&h);
            for ((s, n), o) in scenarios.iter().zip(&names).zip(&outcomes) {
                let mut r = vec![n.clone(), s.file.clone()];
                r.extend(figure_csv_row(o));
                c.push_str(&table::csv_line(&r));
            }
            c
        },
        || report::compare_html(&names, &outcomes),
    );
    slo_gate(code, &missed)
}

/// Splits a `--set` value at its top-level commas (not inside brackets, braces or quotes).
pub(crate) fn split_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in value.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                cur.push(c);
            }
            None => match c {
                '"' | '\'' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '[' | '{' => {
                    depth += 1;
                    cur.push(c);
                }
                ']' | '}' => {
                    depth -= 1;
                    cur.push(c);
                }
                ',' if depth == 0 => out.push(std::mem::take(&mut cur).trim().to_string()),
                _ => cur.push(c),
            },
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// Splits sweep `--set`s into fixed overrides and axes (values given as lists).
pub(crate) fn parse_axes(set: &[String]) -> Result<(Vec<String>, Vec<Axis>), String> {
    let mut fixed = Vec::new();
    let mut axes = Vec::new();
    for arg in set {
        let Some((key, value)) = arg.split_once('=') else {
            return Err(format!(
                "--set {arg}: expected KEY=VALUE or KEY=V1,V2,..., e.g. --set traffic.rate=1000,2000,4000"
            ));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("--set {arg}: the key is empty"));
        }
        let values = split_list(value);
        if values.iter().any(|v| v.is_empty()) {
            return Err(format!(
                "--set {arg}: empty value in the list; give values separated by commas, e.g. {key}=1000,2000,4000"
            ));
        }
        if values.len() == 1 {
            fixed.push(arg.clone());
        } else {
            if axes.iter().any(|a: &Axis| a.key == key) {
                return Err(format!("--set {arg}: `{key}` is swept twice"));
            }
            axes.push(Axis {
                key: key.to_string(),
                values,
            });
        }
    }
    if axes.is_empty() {
        return Err(
            "sweep needs at least one list to sweep: --set KEY=V1,V2,... (e.g. --set traffic.rate=1000,2000,4000)"
                .into(),
        );
    }
    let points: usize = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .unwrap_or(usize::MAX);
    if points > MAX_POINTS {
        return Err(format!(
            "the sweep has {points} points; at most {MAX_POINTS} are allowed"
        ));
    }
    Ok((fixed, axes))
}

/// Every point of the grid, the last axis varying fastest.
pub(crate) fn grid(axes: &[Axis]) -> Vec<Vec<usize>> {
    let mut pts = vec![vec![]];
    for a in axes {
        pts = pts
            .into_iter()
            .flat_map(|p| {
                (0..a.values.len()).map(move |i| {
                    let mut q = p.clone();
                    q.push(i);
                    q
                })
            })
            .collect();
    }
    pts
}

/// A swept value as JSON: a number when it reads as one, else the text.
pub(crate) fn value_json(v: &str) -> serde_json::Value {
    if let Ok(i) = v.parse::<i64>() {
        return i.into();
    }
    if let Ok(f) = v.parse::<f64>() {
        return f.into();
    }
    serde_json::Value::from(v.trim_matches('"'))
}

/// `simulate sweep FILE --set KEY=V1,V2,...`.
pub(crate) fn sweep(
    file: &Path,
    set: &[String],
    args: &MultiArgs,
    fail_on_slo: bool,
    mode: &Mode,
) -> i32 {
    if let Err(code) = mode.check_outputs(&args.outputs(), &[file]) {
        return code;
    }
    let (fixed, axes) = match parse_axes(set) {
        Ok(x) => x,
        Err(e) => {
            errln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    let points = grid(&axes);
    let mut scenarios = Vec::with_capacity(points.len());
    for p in &points {
        let mut ov = fixed.clone();
        for (a, &i) in axes.iter().zip(p) {
            ov.push(format!("{}={}", a.key, a.values[i]));
        }
        match mode.load(file, &overrides(&ov, args)) {
            Ok(s) => scenarios.push(s),
            Err(code) => {
                let at: Vec<String> = axes
                    .iter()
                    .zip(p)
                    .map(|(a, &i)| format!("{}={}", a.key, a.values[i]))
                    .collect();
                errln!(
                    "(in the sweep point {}; nothing was simulated)",
                    at.join(" ")
                );
                return code;
            }
        }
    }
    if fail_on_slo {
        if let Err(code) = check_slo_gate(&scenarios.iter().collect::<Vec<_>>()) {
            return code;
        }
    }
    let job = || Job::Sweep {
        file: file.display().to_string(),
        set: set.to_vec(),
        seed: args.seed,
        replications: args.replications,
    };
    let outcomes = match shard::outcomes(mode, job, &scenarios, args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut header: Vec<String> = axes.iter().map(|a| a.key.clone()).collect();
    header.extend(table::figure_header());
    let rows: Vec<Vec<String>> = points
        .iter()
        .zip(&outcomes)
        .map(|(p, o)| {
            let mut r: Vec<String> = axes
                .iter()
                .zip(p)
                .map(|(a, &i)| a.values[i].clone())
                .collect();
            r.extend(figure_row(o));
            r
        })
        .collect();
    let first = &scenarios[0];
    let mut text = format!(
        "sweep {} | seed {} | {} replication{} per point | {} points\n\n",
        first.name,
        first.seed,
        first.replications,
        if first.replications == 1 { "" } else { "s" },
        points.len()
    );
    text.push_str(&table::render(&header, &rows, 0));
    let missed = if fail_on_slo {
        let at: Vec<String> = points
            .iter()
            .map(|p| {
                axes.iter()
                    .zip(p)
                    .map(|(a, &i)| format!("{}={}", a.key, a.values[i]))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        missed_slo(&at, &scenarios, &outcomes)
    } else {
        Vec::new()
    };
    let code = emit(
        args,
        &text,
        || {
            let pts: Vec<serde_json::Value> = points
                .iter()
                .zip(&outcomes)
                .map(|(p, o)| {
                    let set: serde_json::Map<String, serde_json::Value> = axes
                        .iter()
                        .zip(p)
                        .map(|(a, &i)| (a.key.clone(), value_json(&a.values[i])))
                        .collect();
                    result_json(serde_json::json!({ "set": set }), o)
                })
                .collect();
            serde_json::json!({
                "scenario": first.name,
                "file": first.file,
                "keys": axes.iter().map(|a| a.key.clone()).collect::<Vec<_>>(),
                "points": pts,
            })
        },
        || {
            let mut h: Vec<String> = axes.iter().map(|a| a.key.clone()).collect();
            h.extend(table::figure_csv_header());
            let mut c = table::csv_line(&h);
            for (p, o) in points.iter().zip(&outcomes) {
                let mut r: Vec<String> = axes
                    .iter()
                    .zip(p)
                    .map(|(a, &i)| a.values[i].clone())
                    .collect();
                r.extend(figure_csv_row(o));
                c.push_str(&table::csv_line(&r));
            }
            c
        },
        || report::sweep_html(&first.name, &axes, &points, &outcomes),
    );
    slo_gate(code, &missed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_at_top_level_commas() {
        assert_eq!(split_list("1,2, 3"), vec!["1", "2", "3"]);
        assert_eq!(split_list("[1,2],[3]"), vec!["[1,2]", "[3]"]);
        assert_eq!(split_list("\"a,b\",c"), vec!["\"a,b\"", "c"]);
        assert_eq!(split_list("5"), vec!["5"]);
    }

    #[test]
    fn grids_vary_the_last_axis_fastest() {
        let (fixed, axes) = parse_axes(&["a=1,2".into(), "b=x".into(), "c=3,4,5".into()]).unwrap();
        assert_eq!(fixed, vec!["b=x"]);
        let g = grid(&axes);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec![0, 0]);
        assert_eq!(g[1], vec![0, 1]);
        assert_eq!(g[5], vec![1, 2]);
        assert!(parse_axes(&["a=1,,2".into()]).is_err());
        assert!(parse_axes(&["a=1".into()]).is_err());
    }
}
