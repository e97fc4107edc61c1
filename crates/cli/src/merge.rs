//! `simulate merge DIR|FILES...`: checks that partial results belong to one command and
//! cover its work exactly once, then reports that command as if it had run in one process.
//! The command's own code reports it (see [`crate::shard::Mode`]); only the runs come from
//! the partials, pooled in replication order, so the output is the one-process output byte
//! for byte (apart from `wall_s`, here the sum of the runs' own wall-clock times).

use crate::out::errln;
use crate::partial::{self, Job, Partial, Unit, UnitOutcome};
use crate::shard::Mode;
use crate::{MultiArgs, RunArgs, EXIT_INVALID};
use archsim_scenario::Scenario;
use archsim_stats::{RunStats, SimResult};
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `simulate merge`'s options.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct MergeArgs {
    /// Folders of partial results (their shard-*-of-*.json files) or partial files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write the result as JSON to PATH (`-` = stdout; the summary then goes to stderr).
    #[arg(long, value_name = "PATH")]
    pub json: Option<String>,
    /// Write the CSV the command writes to PATH.
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Write the HTML report to PATH.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Exit with code 3 when an SLO is missed (after writing every output).
    #[arg(long)]
    pub fail_on_slo: bool,
    /// Merge partials made by different builds (versions, targets or maths libraries),
    /// whose figures may differ in the last digits.
    #[arg(long)]
    pub allow_mixed_builds: bool,
}

/// The runs of a command, read from its partials, in the command's order.
pub(crate) struct Merged {
    texts: BTreeMap<String, String>,
    units: Vec<Unit>,
}

/// A point's pooled outcome: its result, or the failure (message, whether an overload).
pub(crate) type PointResult = Result<SimResult, (String, bool)>;

impl Merged {
    /// Loads scenario `file` from the text the shards ran, with `overrides`.
    pub(crate) fn load(&self, file: &Path, overrides: &[String]) -> Result<Scenario, i32> {
        let name = file.display().to_string();
        match self.texts.get(&name) {
            Some(text) => archsim_scenario::from_str(text, &name, overrides)
                .map_err(crate::report_scenario_error),
            None => {
                errln!("error: the partial results hold no text for {name}");
                Err(EXIT_INVALID)
            }
        }
    }

    /// Each scenario's pooled outcome, in order; the same as running it in one process.
    pub(crate) fn results(&self, scenarios: &[Scenario]) -> Result<Vec<PointResult>, i32> {
        let want = crate::shard::units(scenarios);
        let have: Vec<(u32, u32)> = self
            .units
            .iter()
            .map(|u| (u.point, u.replication))
            .collect();
        if want != have {
            errln!(
                "error: the partial results hold {} runs that do not match the command's {} runs",
                have.len(),
                want.len()
            );
            return Err(EXIT_INVALID);
        }
        let mut at = 0;
        let mut out = Vec::with_capacity(scenarios.len());
        for s in scenarios {
            let mine = &self.units[at..at + s.replications as usize];
            at += s.replications as usize;
            // The first failure in replication order decides, as in one process.
            let failed = mine.iter().find_map(|u| match &u.outcome {
                UnitOutcome::Failed { message, overload } => Some((message.clone(), *overload)),
                UnitOutcome::Stats(_) => None,
            });
            if let Some(f) = failed {
                out.push(Err(f));
                continue;
            }
            let stats: Vec<&RunStats> = mine
                .iter()
                .filter_map(|u| match &u.outcome {
                    UnitOutcome::Stats(s) => Some(s.as_ref()),
                    UnitOutcome::Failed { .. } => None,
                })
                .collect();
            let wall: f64 = mine.iter().map(|u| u.wall_s).sum();
            out.push(
                s.result_of(stats, wall)
                    .map_err(|e| (e.to_string(), e.is_overload())),
            );
        }
        Ok(out)
    }
}

/// The partial files named by `paths`: a folder gives its `shard-*-of-*.json` files.
fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && f.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(partial::is_partial_name)
                })
                .collect();
            v.sort();
            if v.is_empty() {
                return Err(format!(
                    "{}: no partial results in this folder (shard-I-of-N.json files written by --shard I/N --partial {})",
                    p.display(),
                    p.display()
                ));
            }
            out.extend(v);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    Ok(out)
}

/// What differs between the inputs of two partials, for the refusal.
fn difference(a: &Partial, b: &Partial) -> String {
    if a.job.command() != b.job.command() {
        return format!(
            "it comes from `simulate {}`, the other from `simulate {}`",
            b.job.command(),
            a.job.command()
        );
    }
    if a.job.files() != b.job.files() {
        return format!(
            "it ran {}, the other {}",
            b.job.files().join(", "),
            a.job.files().join(", ")
        );
    }
    if let Some(f) = a.texts.keys().find(|f| a.texts.get(*f) != b.texts.get(*f)) {
        return format!("the text of {f} differs (the scenario was edited between the shards)");
    }
    "the overrides (--set, --seed, --replications) or the swept values differ".into()
}

/// Partials read, checked and put in order.
pub(crate) struct Gathered {
    pub job: Job,
    pub merged: Merged,
    /// The partial files.
    pub files: Vec<PathBuf>,
}

/// `simulate merge`.
pub(crate) fn merge(args: &MergeArgs) -> i32 {
    let Gathered { job, merged, files } = match gather(&args.paths, args.allow_mixed_builds) {
        Ok(g) => g,
        Err(code) => return code,
    };
    // Outputs must not overwrite a partial or a scenario file.
    let mut inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let job_files: Vec<String> = job.files().into_iter().map(String::from).collect();
    inputs.extend(job_files.iter().map(Path::new));
    let multi = MultiArgs {
        json: args.json.clone(),
        csv: args.csv.clone(),
        html: args.html.clone(),
        ..MultiArgs::default()
    };
    if let Err(code) = crate::check_outputs(&multi.outputs(), &inputs) {
        return code;
    }
    replay(job, &Mode::Merge(merged), args, multi)
}

/// Reads the partials named by `paths` and checks that they belong to one command (and
/// build, unless `allow_mixed_builds`) and hold each slice once. Problems are printed (the
/// error is exit 2).
pub(crate) fn gather(paths: &[PathBuf], allow_mixed_builds: bool) -> Result<Gathered, i32> {
    let files = match files(paths) {
        Ok(f) => f,
        Err(e) => {
            errln!("error: {e}; nothing was merged");
            return Err(EXIT_INVALID);
        }
    };
    let mut parts: Vec<(PathBuf, Partial)> = Vec::with_capacity(files.len());
    for f in files {
        match partial::read(&f) {
            Ok(p) => parts.push((f, p)),
            Err(e) => {
                errln!("error: {}: {e}; nothing was merged", f.display());
                return Err(EXIT_INVALID);
            }
        }
    }
    let (f0, p0) = &parts[0];
    for (f, p) in &parts[1..] {
        if p.fingerprint != p0.fingerprint {
            errln!(
                "error: {} belongs to another command than {}: {}; nothing was merged",
                f.display(),
                f0.display(),
                difference(p0, p)
            );
            return Err(EXIT_INVALID);
        }
        if p.build != p0.build && !allow_mixed_builds {
            let b = |x: &partial::Build| {
                format!("{} {} float check {}", x.version, x.target, x.float_check)
            };
            errln!(
                "error: {} was made by another build than {} ({} against {}); figures may differ in the last digits; pass --allow-mixed-builds to merge them anyway; nothing was merged",
                f.display(),
                f0.display(),
                b(&p.build),
                b(&p0.build)
            );
            return Err(EXIT_INVALID);
        }
        if p.shard.count != p0.shard.count || p.shard.total != p0.shard.total {
            errln!(
                "error: {} is slice {}/{} and {} slice {}/{}: the shards were cut differently; merge the slices of one cut; nothing was merged",
                f.display(),
                p.shard.index,
                p.shard.count,
                f0.display(),
                p0.shard.index,
                p0.shard.count
            );
            return Err(EXIT_INVALID);
        }
    }
    let count = p0.shard.count;
    let mut by_index: Vec<Option<usize>> = vec![None; count as usize];
    for (k, (f, p)) in parts.iter().enumerate() {
        let slot = &mut by_index[p.shard.index as usize];
        if let Some(j) = *slot {
            errln!(
                "error: slice {}/{count} is given twice: {} and {}; nothing was merged",
                p.shard.index,
                parts[j].0.display(),
                f.display()
            );
            return Err(EXIT_INVALID);
        }
        *slot = Some(k);
    }
    let missing: Vec<String> = by_index
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| {
            let (a, b) = partial::slice(i as u32, count, p0.shard.total);
            format!("{i}/{count} (runs {a}..{b})")
        })
        .collect();
    if !missing.is_empty() {
        errln!(
            "error: {} of {count} slices missing: {}; run those shards (a re-run skips the slices already done), then merge again; nothing was merged",
            missing.len(),
            missing.join(", ")
        );
        return Err(EXIT_INVALID);
    }
    let files: Vec<PathBuf> = parts.iter().map(|(f, _)| f.clone()).collect();
    let job = p0.job.clone();
    let texts = p0.texts.clone();
    let mut units = Vec::with_capacity(p0.shard.total as usize);
    let mut parts: Vec<Option<Partial>> = parts.into_iter().map(|(_, p)| Some(p)).collect();
    for k in by_index.into_iter().flatten() {
        if let Some(p) = parts[k].take() {
            units.extend(p.units);
        }
    }
    Ok(Gathered {
        job,
        merged: Merged { texts, units },
        files,
    })
}

/// Reports `job` with the runs of `mode`, through the command's own code.
fn replay(job: Job, mode: &Mode, args: &MergeArgs, multi: MultiArgs) -> i32 {
    let fail = args.fail_on_slo;
    // The outputs asked of merge, with the seed and replications the shards ran under.
    let with = |seed, replications| MultiArgs {
        seed,
        replications,
        ..multi.clone()
    };
    match job {
        Job::Run { file, set } => {
            let run = RunArgs {
                json: args.json.clone(),
                csv: args.csv.clone(),
                html: args.html.clone(),
                fail_on_slo: fail,
                ..RunArgs::default()
            };
            crate::run_file(Path::new(&file), &set, &run, mode)
        }
        Job::Sweep {
            file,
            set,
            seed,
            replications,
        } => {
            let multi = with(seed, replications);
            crate::multi::sweep(Path::new(&file), &set, &multi, fail, mode)
        }
        Job::Compare {
            files,
            set,
            seed,
            replications,
        } => {
            let multi = with(seed, replications);
            let files: Vec<PathBuf> = files.into_iter().map(PathBuf::from).collect();
            crate::multi::compare(&files, &set, &multi, fail, mode)
        }
        Job::Suite {
            dir,
            questions,
            set,
            seed,
            replications,
        } => {
            let multi = with(seed, replications);
            let qs: Vec<crate::suite::Question> = questions
                .into_iter()
                .map(|q| crate::suite::Question {
                    name: q.name,
                    question: q.question,
                    dir: PathBuf::from(q.dir),
                    files: q.files.into_iter().map(PathBuf::from).collect(),
                })
                .collect();
            crate::suite::compare_suite(Path::new(&dir), &qs, &set, &multi, fail, mode)
        }
    }
}
