//! `simulate compare SUITE/`: a folder of question folders, one comparison table per question.
//!
//! A folder given alone to `compare` is a *suite* when it holds no `.toml` files of its own
//! and at least one of its subfolders does. Each such subfolder (in name order) is one
//! question: its `.toml` files are compared like a flat folder, and the first line of its
//! `README.md` (without leading `#`) is the question. A folder with `.toml` files of its own
//! stays a flat comparison of those files (as before suites existed). Every scenario of every
//! question runs under the same seed.

use crate::multi;
use crate::out::errln;
use crate::outcome::Outcome;
use crate::partial::{Job, QuestionJob};
use crate::shard::{self, Mode};
use crate::table;
use crate::{report, MultiArgs, EXIT_INVALID};
use archsim_scenario::Scenario;
use archsim_stats::SimResult;
use std::path::{Path, PathBuf};

/// One question of a suite: its folder, title and scenario files.
pub(crate) struct Question {
    /// The folder name.
    pub name: String,
    /// The first line of the folder's README.md, if any.
    pub question: Option<String>,
    /// The folder.
    pub dir: PathBuf,
    /// Its `.toml` files in name order.
    pub files: Vec<PathBuf>,
}

fn tomls(dir: &Path) -> Vec<PathBuf> {
    multi::toml_files(dir).unwrap_or_default()
}

/// The first non-empty line of `dir/README.md`, without leading `#` and spaces.
fn question_text(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("README.md")).ok()?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = line.trim_start_matches('#').trim();
    (!line.is_empty()).then(|| line.to_string())
}

/// The questions of `dir` when it is a suite (no `.toml` files of its own, and a subfolder
/// holds some), else `None`.
pub(crate) fn questions(dir: &Path) -> Option<Vec<Question>> {
    if !dir.is_dir() || !tomls(dir).is_empty() {
        return None;
    }
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    subs.sort();
    let name_of = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    let qs: Vec<Question> = subs
        .into_iter()
        .filter_map(|d| {
            let files = tomls(&d);
            (!files.is_empty()).then(|| Question {
                name: name_of(&d),
                question: question_text(&d),
                dir: d,
                files,
            })
        })
        .collect();
    (!qs.is_empty()).then_some(qs)
}

/// Whether `dir` or a folder below it (at most `depth` levels down) holds `.toml` files.
fn tomls_below(dir: &Path, depth: u32) -> bool {
    !tomls(dir).is_empty()
        || (depth > 0
            && std::fs::read_dir(dir).is_ok_and(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .any(|p| p.is_dir() && tomls_below(&p, depth - 1))
            }))
}

/// The subfolders of the suite `dir` that are not questions although scenarios sit deeper
/// in them (a suite is one level deep), in name order.
fn nested_only(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() && tomls(p).is_empty() && tomls_below(p, 4))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// What the figures of one question say: the lowest p99, and the cheapest run per million
/// requests among those that meet their SLO (or, without costs, those that meet it).
pub(crate) struct Verdict {
    /// Label, p99 (ms) and error rate of the run with the lowest p99 (p99 is over the
    /// requests that succeeded, so its errors are shown beside it).
    pub lowest_p99: Option<(String, f64, f64)>,
    /// Labels of the runs that meet their SLO (`None`: no run has an SLO).
    pub meets_slo: Option<Vec<String>>,
    /// Label and cost per million requests of the cheapest run that meets its SLO (any run
    /// when no run has an SLO).
    pub cheapest: Option<(String, f64)>,
    /// With more than one class: per class, the label and p99 (ms) of the run with its
    /// lowest p99.
    pub by_class: Vec<(String, String, f64)>,
}

pub(crate) fn verdict(names: &[String], outcomes: &[Outcome]) -> Verdict {
    let ok: Vec<(&String, &SimResult)> = names
        .iter()
        .zip(outcomes)
        .filter_map(|(n, o)| o.as_ref().ok().map(|r| (n, r)))
        .collect();
    let lowest_p99 = ok
        .iter()
        .filter_map(|(n, r)| r.latency_ms.p99.map(|p| ((*n).clone(), p, r.error_rate)))
        .fold(None::<(String, f64, f64)>, |best, c| match best {
            Some(b) if b.1 <= c.1 => Some(b),
            _ => Some(c),
        });
    let any_slo = ok.iter().any(|(_, r)| r.slo.is_some());
    let eligible: Vec<&(&String, &SimResult)> = ok
        .iter()
        .filter(|(_, r)| !any_slo || r.slo.as_ref().is_some_and(|s| s.met))
        .collect();
    let meets_slo = any_slo.then(|| eligible.iter().map(|(n, _)| (*n).clone()).collect());
    let cheapest = eligible
        .iter()
        .filter_map(|(n, r)| {
            r.cost
                .as_ref()
                .and_then(|c| c.per_million_requests)
                .map(|c| ((*n).clone(), c))
        })
        .fold(None::<(String, f64)>, |best, c| match best {
            Some(b) if b.1 <= c.1 => Some(b),
            _ => Some(c),
        });
    let classes = class_names(outcomes);
    let by_class = if classes.len() < 2 {
        Vec::new()
    } else {
        classes
            .iter()
            .filter_map(|c| {
                ok.iter()
                    .filter_map(|(n, r)| {
                        r.classes
                            .get(c)
                            .and_then(|cr| cr.latency_ms.p99)
                            .map(|p| ((*n).clone(), p))
                    })
                    .fold(None::<(String, f64)>, |best, x| match best {
                        Some(b) if b.1 <= x.1 => Some(b),
                        _ => Some(x),
                    })
                    .map(|(n, p)| (c.clone(), n, p))
            })
            .collect()
    };
    Verdict {
        lowest_p99,
        meets_slo,
        cheapest,
        by_class,
    }
}

impl Verdict {
    fn text(&self) -> String {
        let mut parts = Vec::new();
        if let Some((n, p, e)) = &self.lowest_p99 {
            let errors = if *e > 0.0 {
                format!(", with {} errors", table::pct(*e))
            } else {
                String::new()
            };
            parts.push(format!("lowest p99: {n} ({}{errors})", table::ms(Some(*p))));
        }
        match (&self.meets_slo, &self.cheapest) {
            (Some(m), _) if m.is_empty() => parts.push("none meets the SLO".into()),
            (Some(_), Some((n, c))) => parts.push(format!(
                "cheapest per million requests that meets the SLO: {n} ({c:.3})"
            )),
            (Some(m), None) => parts.push(format!("meets the SLO: {}", m.join(", "))),
            (None, Some((n, c))) => {
                parts.push(format!("cheapest per million requests: {n} ({c:.3})"))
            }
            (None, None) => {}
        }
        if !self.by_class.is_empty() {
            let per: Vec<String> = self
                .by_class
                .iter()
                .map(|(c, n, p)| format!("{c} {n} ({})", table::ms(Some(*p))))
                .collect();
            let main = if parts.is_empty() {
                "verdict: no run finished".to_string()
            } else {
                format!("verdict: {}", parts.join(" · "))
            };
            return format!("{main}\n         lowest p99 by class: {}", per.join(", "));
        }
        if parts.is_empty() {
            "verdict: no run finished".into()
        } else {
            format!("verdict: {}", parts.join(" · "))
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "lowest_p99": self.lowest_p99.as_ref().map(|(n, p, e)| serde_json::json!({"name": n, "p99_ms": p, "error_rate": e})),
            "meets_slo": self.meets_slo,
            "cheapest_meeting_slo": self.cheapest.as_ref().map(|(n, c)| serde_json::json!({"name": n, "per_million_requests": c})),
            "lowest_p99_by_class": self.by_class.iter().map(|(c, n, p)| (c.clone(), serde_json::json!({"name": n, "p99_ms": p}))).collect::<serde_json::Map<String, serde_json::Value>>(),
        })
    }
}

/// The classes of the runs in order of first appearance.
fn class_names(outcomes: &[Outcome]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for r in outcomes.iter().filter_map(|o| o.as_ref().ok()) {
        for c in r.classes.keys() {
            if !v.contains(c) {
                v.push(c.clone());
            }
        }
    }
    v
}

/// p99 and error rate per class, when the runs have more than one class.
fn class_table(names: &[String], outcomes: &[Outcome]) -> Option<String> {
    let classes = class_names(outcomes);
    if classes.len() < 2 {
        return None;
    }
    let mut header = vec!["by class".to_string()];
    for c in &classes {
        header.push(format!("{c} p99"));
        header.push(format!("{c} errors"));
    }
    let rows: Vec<Vec<String>> = names
        .iter()
        .zip(outcomes)
        .map(|(n, o)| {
            let mut r = vec![n.clone()];
            for c in &classes {
                match o.as_ref().ok().and_then(|res| res.classes.get(c)) {
                    Some(cr) => {
                        r.push(table::ms(cr.latency_ms.p99));
                        r.push(table::pct(cr.error_rate));
                    }
                    None => {
                        r.push("-".into());
                        r.push("-".into());
                    }
                }
            }
            r
        })
        .collect();
    Some(table::render(&header, &rows, 1))
}

/// One question's runs, as shown and written.
pub(crate) struct Answered<'a> {
    pub q: &'a Question,
    pub scenarios: &'a [Scenario],
    pub names: Vec<String>,
    pub outcomes: &'a [Outcome],
}

/// `simulate compare SUITE/`.
pub(crate) fn compare_suite(
    dir: &Path,
    qs: &[Question],
    set: &[String],
    args: &MultiArgs,
    fail_on_slo: bool,
    mode: &Mode,
) -> i32 {
    let inputs: Vec<&Path> = qs
        .iter()
        .flat_map(|q| q.files.iter().map(PathBuf::as_path))
        .collect();
    if let Err(code) = mode.check_outputs(&args.outputs(), &inputs) {
        return code;
    }
    let ov = multi::overrides(set, args);
    // Load (and check) everything before anything runs.
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut bounds = Vec::with_capacity(qs.len());
    for q in qs {
        let start = scenarios.len();
        for p in &q.files {
            match mode.load(p, &ov) {
                Ok(s) => scenarios.push(s),
                Err(code) => {
                    errln!("(in the question {}; nothing was simulated)", q.name);
                    return code;
                }
            }
        }
        bounds.push(start..scenarios.len());
    }
    if scenarios.is_empty() {
        errln!("error: {}: no scenarios", dir.display());
        return EXIT_INVALID;
    }
    for d in nested_only(dir) {
        errln!(
            "note: {} is not a question: it holds no .toml files of its own, only in its subfolders (a question's scenarios sit directly in its folder)",
            d.display()
        );
    }
    if fail_on_slo {
        if let Err(code) = crate::check_slo_gate(&scenarios.iter().collect::<Vec<_>>()) {
            return code;
        }
    }
    multi::note_mixed_runs(&scenarios);
    let job = || Job::Suite {
        dir: dir.display().to_string(),
        questions: qs
            .iter()
            .map(|q| QuestionJob {
                name: q.name.clone(),
                question: q.question.clone(),
                dir: q.dir.display().to_string(),
                files: q.files.iter().map(|f| f.display().to_string()).collect(),
            })
            .collect(),
        set: set.to_vec(),
        seed: args.seed,
        replications: args.replications,
    };
    let outcomes = match shard::outcomes(mode, job, &scenarios, args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let answered: Vec<Answered> = qs
        .iter()
        .zip(&bounds)
        .map(|(q, b)| Answered {
            q,
            scenarios: &scenarios[b.clone()],
            names: multi::labels(&scenarios[b.clone()]),
            outcomes: &outcomes[b.clone()],
        })
        .collect();
    let first = &scenarios[0];
    let mut text = format!(
        "compare suite {} | seed {} | {} replication{} each | {} question{}\n",
        dir.display(),
        first.seed,
        first.replications,
        if first.replications == 1 { "" } else { "s" },
        qs.len(),
        if qs.len() == 1 { "" } else { "s" },
    );
    let mut header = vec!["scenario".to_string()];
    header.extend(table::figure_header());
    for a in &answered {
        text.push_str(&format!("\n== {} ==\n", a.q.name));
        if let Some(q) = &a.q.question {
            text.push_str(q);
            text.push('\n');
        }
        text.push('\n');
        let rows: Vec<Vec<String>> = a
            .names
            .iter()
            .zip(a.outcomes)
            .map(|(n, o)| {
                let mut r = vec![n.clone()];
                r.extend(multi::figure_row(o));
                r
            })
            .collect();
        text.push_str(&table::render(&header, &rows, 1));
        if let Some(t) = class_table(&a.names, a.outcomes) {
            text.push('\n');
            text.push_str(&t);
        }
        for (n, o) in a.names.iter().zip(a.outcomes) {
            if let Err(e) = o {
                text.push_str(&format!("{n}: {e}\n"));
            }
        }
        text.push_str(&verdict(&a.names, a.outcomes).text());
        text.push('\n');
    }
    let missed: Vec<String> = if fail_on_slo {
        answered
            .iter()
            .flat_map(|a| {
                let labels: Vec<String> = a
                    .names
                    .iter()
                    .map(|n| format!("{}/{n}", a.q.name))
                    .collect();
                crate::missed_slo(&labels, a.scenarios, a.outcomes)
            })
            .collect()
    } else {
        Vec::new()
    };
    let code = multi::emit(
        args,
        &text,
        || {
            let qs: Vec<serde_json::Value> = answered
                .iter()
                .map(|a| {
                    let runs: Vec<serde_json::Value> = a
                        .scenarios
                        .iter()
                        .zip(&a.names)
                        .zip(a.outcomes)
                        .map(|((s, n), o)| {
                            multi::result_json(serde_json::json!({"file": s.file, "name": n}), o)
                        })
                        .collect();
                    serde_json::json!({
                        "name": a.q.name,
                        "question": a.q.question,
                        "folder": a.q.dir.display().to_string(),
                        "verdict": verdict(&a.names, a.outcomes).json(),
                        "scenarios": runs,
                    })
                })
                .collect();
            serde_json::json!({
                "suite": dir.display().to_string(),
                "seed": first.seed,
                "replications": first.replications,
                "questions": qs,
            })
        },
        || {
            let mut h = vec![
                "question".to_string(),
                "scenario".to_string(),
                "file".to_string(),
            ];
            h.extend(table::figure_csv_header());
            let mut c = table::csv_line(&h);
            for a in &answered {
                for ((s, n), o) in a.scenarios.iter().zip(&a.names).zip(a.outcomes) {
                    let mut r = vec![a.q.name.clone(), n.clone(), s.file.clone()];
                    r.extend(multi::figure_csv_row(o));
                    c.push_str(&table::csv_line(&r));
                }
            }
            c
        },
        || {
            let sections: Vec<report::SuiteSection> = answered
                .iter()
                .map(|a| report::SuiteSection {
                    name: a.q.name.clone(),
                    question: a.q.question.clone(),
                    verdict: verdict(&a.names, a.outcomes).text(),
                    names: a.names.clone(),
                    outcomes: a.outcomes,
                })
                .collect();
            report::compare_suite_html(&dir.display().to_string(), &sections)
        },
    );
    crate::slo_gate(code, &missed)
}
