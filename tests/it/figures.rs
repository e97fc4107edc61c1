//! The figures the documentation quotes, checked against real runs (issue 12 item 2): every
//! headline table of `scenarios/README.md` (p50 / p99, req/s, errors, SLO, cost and the
//! per-class column) against a seed-1 run of the row's scenario, the app utilization that
//! `scenarios/stage3.toml`'s header quotes, and the README's ci95 example against the command
//! printed above it.
//!
//! With `ARCHSIM_WRITE_FIGURES=1` the tests rewrite those figures from the runs instead of
//! failing: `scripts/figures.sh` does that for every row. The stage-4 rows take about 40 s
//! each in a release build, so the everyday test leaves them to an ignored test that CI runs.

use crate::common::{bin, file, ok};
use archsim::stats::SimResult;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The scenarios whose rows only the ignored test checks.
const SLOW: &[&str] = &["stage4.toml", "stage4-warning.toml"];

/// Serialises rewrites of the documentation files by the tests of this module.
static WRITE: Mutex<()> = Mutex::new(());

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn writing() -> bool {
    std::env::var_os("ARCHSIM_WRITE_FIGURES").is_some_and(|v| v != "0" && !v.is_empty())
}

/// One row of a headline table: its 0-based line in the README, its scenario (relative to
/// `scenarios/`), the table's column names and the row's cells.
struct Row {
    line: usize,
    scenario: String,
    columns: Vec<String>,
    cells: Vec<String>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// The rows of the README's tables whose first cell names a scenario file. A
/// `**`compare/NAME/`**` paragraph sets the folder of the tables after it, up to the next
/// heading.
fn rows(text: &str) -> Vec<Row> {
    let mut out = Vec::new();
    let mut folder = String::new();
    let mut columns: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            folder.clear();
        } else if let Some(rest) = line.strip_prefix("**`compare/") {
            if let Some(name) = rest.split('`').next() {
                folder = format!("compare/{name}");
            }
        } else if line.starts_with("| scenario |") {
            columns = cells(line);
        } else if line.starts_with("| `") {
            let c = cells(line);
            let name = c[0].trim_matches('`');
            if name.ends_with(".toml") {
                out.push(Row {
                    line: i,
                    scenario: format!("{folder}{name}"),
                    columns: columns.clone(),
                    cells: c,
                });
            }
        }
    }
    out
}

/// A latency as the tables write it: one decimal under 100 ms, whole milliseconds under a
/// second, then seconds with two decimals; and its unit.
fn latency(ms: f64) -> (String, &'static str) {
    if ms >= 1000.0 {
        (format!("{:.2}", ms / 1000.0), "s")
    } else if ms >= 100.0 {
        (format!("{ms:.0}"), "ms")
    } else {
        (format!("{ms:.1}"), "ms")
    }
}

fn one_latency(ms: f64) -> String {
    let (v, u) = latency(ms);
    format!("{v} {u}")
}

/// `5.7 / 72.4 ms`, `32.1 ms / 1.45 s`.
fn latency_pair(a: f64, b: f64) -> String {
    let ((a, ua), (b, ub)) = (latency(a), latency(b));
    if ua == ub {
        format!("{a} / {b} {ub}")
    } else {
        format!("{a} {ua} / {b} {ub}")
    }
}

/// A fraction as the terminal prints it (`0%`, `0.13%`, `2.5%`).
fn pct(v: f64) -> String {
    if v == 0.0 {
        "0%".into()
    } else if v < 0.0001 {
        format!("{:.4}%", v * 100.0)
    } else if v < 0.01 {
        format!("{:.2}%", v * 100.0)
    } else {
        format!("{:.1}%", v * 100.0)
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The cell of column `column` for result `r`, or `None` for a column of words (`look at`).
fn expected(column: &str, r: &SimResult) -> Option<String> {
    let l = &r.latency_ms;
    Some(match column {
        "p50 / p99" => latency_pair(l.p50?, l.p99?),
        "req/s" => thousands(r.throughput_rps.round() as u64),
        "errors" => pct(r.error_rate),
        "slo" => {
            let s = r.slo.as_ref()?;
            let a = s.attained * 100.0;
            match (s.met, a == 0.0) {
                (true, _) => format!("{a:.2}%"),
                (false, true) => "0% missed".into(),
                (false, false) => format!("{a:.1}% missed"),
            }
        }
        "cost/h, per M req" => {
            let c = r.cost.as_ref()?;
            format!("{:.2}, {:.3}", c.per_hour, c.per_million_requests?)
        }
        _ => {
            // `CLASS p99, errors`: that class's p99 and error rate.
            let class = column.strip_suffix(" p99, errors")?;
            let c = r.classes.get(class)?;
            format!("{}, {}", one_latency(c.latency_ms.p99?), pct(c.error_rate))
        }
    })
}

/// Runs each scenario (relative to `scenarios/`) at seed 1, on a few threads.
fn run_all(scenarios: &[String]) -> Vec<SimResult> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<SimResult>>> = Mutex::new(scenarios.iter().map(|_| None).collect());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(name) = scenarios.get(i) else { break };
                let r = file(&format!("scenarios/{name}"), &["run.seed=1"]);
                done.lock().unwrap()[i] = Some(r);
            });
        }
    });
    done.into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every scenario ran"))
        .collect()
}

/// Replaces line `line` of the file at `path` by `text`.
fn rewrite_line(path: &Path, line: usize, text: &str) {
    let old = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = old.split('\n').collect();
    lines[line] = text;
    std::fs::write(path, lines.join("\n")).unwrap();
}

/// Checks (or with `ARCHSIM_WRITE_FIGURES`, rewrites) the rows of the slow or of the other
/// scenarios; returns the results by scenario for further checks.
fn check_rows(slow: bool) -> Vec<(String, SimResult)> {
    let path = root().join("scenarios/README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Row> = rows(&text)
        .into_iter()
        .filter(|r| SLOW.contains(&r.scenario.as_str()) == slow)
        .collect();
    assert!(
        rows.len() >= if slow { 2 } else { 30 },
        "the README's tables were not found: {} rows",
        rows.len()
    );
    let names: Vec<String> = rows.iter().map(|r| r.scenario.clone()).collect();
    let results = run_all(&names);
    let mut wrong: Vec<String> = Vec::new();
    let _guard = WRITE.lock().unwrap_or_else(|e| e.into_inner());
    for (row, r) in rows.iter().zip(&results) {
        let mut cells = row.cells.clone();
        let mut checked = 0;
        for (i, col) in row.columns.iter().enumerate() {
            let (Some(want), Some(have)) = (expected(col, r), cells.get(i)) else {
                continue;
            };
            checked += 1;
            if *have != want {
                wrong.push(format!(
                    "scenarios/README.md:{}: {} `{col}`: the README says `{have}`, a seed-1 run gives `{want}`",
                    row.line + 1,
                    row.scenario
                ));
                cells[i] = want;
            }
        }
        assert!(checked >= 3, "{}: no figures checked", row.scenario);
        if writing() && cells != row.cells {
            rewrite_line(&path, row.line, &format!("| {} |", cells.join(" | ")));
        }
    }
    assert!(
        writing() || wrong.is_empty(),
        "{} figures of scenarios/README.md no longer match their runs:\n{}\n\
         (scripts/figures.sh rewrites them from the runs)",
        wrong.len(),
        wrong.join("\n")
    );
    names.into_iter().zip(results).collect()
}

/// The headline tables of scenarios/README.md match seed-1 runs (every row but stage 4's);
/// so does the app utilization in stage3.toml's header.
#[test]
fn scenario_readme_tables_match_seed_1_runs() {
    let results = check_rows(false);
    let (_, s3) = results
        .iter()
        .find(|(n, _)| n == "stage3.toml")
        .expect("stage 3 has a row");
    let util = s3.components["app"].utilization.expect("app has cores") * 100.0;
    let path = root().join("scenarios/stage3.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text
        .find("utilization of `app` (")
        .expect("stage3.toml's header quotes the app utilization");
    let line = text[..at].matches('\n').count();
    let old = text.lines().nth(line).unwrap();
    let start = old.find("utilization of `app` (").unwrap() + "utilization of `app` (".len();
    let end = start + old[start..].find(')').unwrap();
    let want = format!("{util:.1}% at seed 1");
    if writing() {
        let _guard = WRITE.lock().unwrap_or_else(|e| e.into_inner());
        rewrite_line(
            &path,
            line,
            &format!("{}{want}{}", &old[..start], &old[end..]),
        );
    } else {
        assert_eq!(
            &old[start..end],
            want,
            "scenarios/stage3.toml:{}: the app utilization",
            line + 1
        );
    }
}

/// The stage-4 rows (about 40 s each in a release build; CI runs this test).
#[test]
#[ignore = "slow: runs stage 4 twice; CI and scripts/figures.sh run it"]
fn scenario_readme_stage4_rows_match_seed_1_runs() {
    check_rows(true);
}

/// The README's ci95 example is what the command above it prints.
#[test]
fn readme_ci95_example_is_the_output_of_its_command() {
    let path: PathBuf = root().join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text
        .find("### Confidence intervals")
        .expect("the README has the section");
    let lines: Vec<&str> = text[at..].lines().collect();
    let cmd_at = lines
        .iter()
        .position(|l| l.starts_with("$ simulate "))
        .expect("the example names its command");
    let ci_at = cmd_at
        + lines[cmd_at..]
            .iter()
            .position(|l| l.starts_with("ci95 "))
            .expect("the example shows the ci95 line");
    let args: Vec<&str> = lines[cmd_at]["$ simulate ".len()..]
        .split_whitespace()
        .collect();
    let out = bin().args(&args).current_dir(root()).output().unwrap();
    ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let got = stdout
        .lines()
        .find(|l| l.starts_with("ci95 "))
        .expect("the command prints a ci95 line");
    if writing() {
        let _guard = WRITE.lock().unwrap_or_else(|e| e.into_inner());
        let line = text[..at].matches('\n').count() + ci_at;
        rewrite_line(&path, line, got);
    } else {
        assert_eq!(lines[ci_at], got, "README.md: the ci95 example");
    }
}

#[test]
fn figures_are_written_as_the_tables_write_them() {
    assert_eq!(latency_pair(5.68, 72.4), "5.7 / 72.4 ms");
    assert_eq!(latency_pair(32.1, 1453.0), "32.1 ms / 1.45 s");
    assert_eq!(latency_pair(1520.0, 1930.0), "1.52 / 1.93 s");
    assert_eq!(latency_pair(422.2, 446.0), "422 / 446 ms");
    assert_eq!(pct(0.0), "0%");
    assert_eq!(pct(0.0013), "0.13%");
    assert_eq!(pct(0.861), "86.1%");
    assert_eq!(thousands(16959), "16,959");
    let readme = "## Stages\n\n| scenario | p50 / p99 | req/s |\n|---|---|---|\n| `a.toml` | 1 / 2 ms | 3 |\n\n\
                  ## Q\n\n**`compare/q/`**: why.\n\n| scenario | p50 / p99 |\n|---|---|\n| `b.toml` | 4 / 5 ms |\n";
    let r = rows(readme);
    assert_eq!(r.len(), 2);
    assert_eq!((r[0].scenario.as_str(), r[0].line), ("a.toml", 4));
    assert_eq!(r[0].columns, ["scenario", "p50 / p99", "req/s"]);
    assert_eq!(r[0].cells, ["`a.toml`", "1 / 2 ms", "3"]);
    assert_eq!(r[1].scenario, "compare/q/b.toml");
}
