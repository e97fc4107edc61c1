//! Shards of a multi-run command (`--shard I/N --partial DIR`, `--shard-from-env`): which
//! slice of the work this process runs, running it, and writing its partial result. The
//! work of a command is its runs in a fixed order (scenarios or sweep points in the command's
//! order, each one's replications in order), cut into N near-equal contiguous slices.
//!
//! [`Mode`] is how a command gets its outcomes: run here (the default, unchanged), run one
//! slice and stop, or pool slices already run (`simulate merge`).

use crate::merge::Merged;
use crate::out::errln;
use crate::outcome::Outcome;
use crate::partial::{self, Build, Job, Partial, ShardInfo, Unit, UnitOutcome};
use crate::progress::Progress;
use crate::{EXIT_FAILURE, EXIT_INVALID, EXIT_OK};
use archsim_scenario::Scenario;
use clap::Args;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The options that make a command one shard of a larger job.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct ShardArgs {
    /// Run only slice I of N of the work (I from 0) and write its partial result into
    /// --partial DIR; `simulate merge DIR` then pools the slices.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Take the slice from the batch engine: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT
    /// (Slurm job arrays), or JOB_COMPLETION_INDEX with --shard-count (Kubernetes Indexed
    /// Jobs).
    #[arg(long)]
    pub shard_from_env: bool,
    /// The number of slices, with --shard-from-env where the engine gives only the index.
    #[arg(long, value_name = "N")]
    pub shard_count: Option<u32>,
    /// The folder (it must exist) that the shard's partial result is written into.
    #[arg(long, value_name = "DIR")]
    pub partial: Option<PathBuf>,
}

/// A resolved slice: index, count and the folder of partials.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slice {
    pub index: u32,
    pub count: u32,
    pub dir: PathBuf,
}

/// How a command gets its outcomes.
pub(crate) enum Mode {
    /// Run every run here (the default).
    Local,
    /// Run one slice and write its partial result.
    Shard(Slice),
    /// Pool the runs of partial results (`simulate merge`).
    Merge(Merged),
}

impl Mode {
    /// Loads scenario `file` with `overrides`: from disk, or in a merge from the text the
    /// shards ran. Problems are printed; the error is the exit code.
    pub(crate) fn load(&self, file: &Path, overrides: &[String]) -> Result<Scenario, i32> {
        match self {
            Mode::Merge(m) => m.load(file, overrides),
            _ => crate::load_scenario(file, overrides),
        }
    }

    /// Checks the outputs before anything runs (see [`crate::check_outputs`]; `inputs` are
    /// the scenario files) and, on a shard, refuses any (exit 2): a shard writes only its
    /// partial.
    pub(crate) fn check_outputs(
        &self,
        outputs: &crate::outputs::Outputs,
        inputs: &[&Path],
    ) -> Result<(), i32> {
        if matches!(self, Mode::Shard(_)) && outputs.any() {
            errln!("error: a shard writes only its partial result; give --json, --csv and --html to `simulate merge`; nothing was simulated");
            return Err(EXIT_INVALID);
        }
        crate::check_outputs(outputs, inputs)
    }
}

/// Parses `I/N`.
fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!("--shard {text}: expected I/N, the slice's index (from 0) and the number of slices, e.g. --shard 0/8")
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let i: u32 = i.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(format!(
            "--shard {text}: the number of slices must be at least 1"
        ));
    }
    if i >= n {
        return Err(format!(
            "--shard {text}: the index counts from 0, so it must be below {n} (0 to {})",
            n - 1
        ));
    }
    Ok((i, n))
}

/// Index and count from a batch engine's variables (`get` reads one).
pub(crate) fn from_env(
    get: impl Fn(&str) -> Option<String>,
    shard_count: Option<u32>,
) -> Result<(u32, u32), String> {
    let slurm = get("SLURM_ARRAY_TASK_ID");
    let k8s = get("JOB_COMPLETION_INDEX");
    let num = |name: &str, v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("--shard-from-env: {name}={v:?} is not a whole number"))
    };
    let (index, count) = match (slurm, k8s) {
        (Some(_), Some(_)) => {
            return Err("--shard-from-env: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; unset one, or give --shard I/N".into())
        }
        (None, None) => {
            return Err("--shard-from-env: no batch engine variable is set (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT for a Slurm job array, JOB_COMPLETION_INDEX with --shard-count for a Kubernetes Indexed Job); give --shard I/N otherwise".into())
        }
        (Some(id), None) => {
            let id = num("SLURM_ARRAY_TASK_ID", &id)?;
            let min = match get("SLURM_ARRAY_TASK_MIN") {
                Some(m) => num("SLURM_ARRAY_TASK_MIN", &m)?,
                None => 0,
            };
            let count = match get("SLURM_ARRAY_TASK_COUNT") {
                Some(c) => num("SLURM_ARRAY_TASK_COUNT", &c)?,
                None => shard_count.ok_or("--shard-from-env: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shard-count N")?,
            };
            if let Some(n) = shard_count.filter(|&n| n != count) {
                return Err(format!("--shard-from-env: --shard-count {n} disagrees with SLURM_ARRAY_TASK_COUNT={count}"));
            }
            if id < min {
                return Err(format!("--shard-from-env: SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"));
            }
            (id - min, count)
        }
        (None, Some(ix)) => {
            let ix = num("JOB_COMPLETION_INDEX", &ix)?;
            let count = shard_count.ok_or("--shard-from-env: JOB_COMPLETION_INDEX is set; give the number of slices with --shard-count N (the Job's completions)")?;
            (ix, count)
        }
    };
    if count == 0 {
        return Err("--shard-from-env: the number of slices is 0".into());
    }
    if index >= count {
        return Err(format!(
            "--shard-from-env: slice {index} of {count}: the index must be below the count (a Slurm array should be --array=0-{})",
            count - 1
        ));
    }
    Ok((index, count))
}

impl ShardArgs {
    /// The mode these options ask for; the error is the message (exit 2).
    pub(crate) fn mode(&self) -> Result<Mode, String> {
        let asked = self.shard.is_some() || self.shard_from_env;
        if self.shard.is_some() && self.shard_from_env {
            return Err("--shard and --shard-from-env both give the slice; use one".into());
        }
        if self.shard_count.is_some() && !self.shard_from_env {
            return Err(
                "--shard-count goes with --shard-from-env (with --shard, write I/N)".into(),
            );
        }
        let dir = match (&self.partial, asked) {
            (None, false) => return Ok(Mode::Local),
            (Some(_), false) => {
                return Err(
                    "--partial DIR needs --shard I/N or --shard-from-env: which slice to run"
                        .into(),
                )
            }
            (None, true) => {
                return Err(
                    "--shard needs --partial DIR: the folder its partial result goes to".into(),
                )
            }
            (Some(d), true) => d.clone(),
        };
        let (index, count) = match &self.shard {
            Some(s) => parse_shard(s)?,
            None => from_env(|k| std::env::var(k).ok(), self.shard_count)?,
        };
        check_dir(&dir)?;
        Ok(Mode::Shard(Slice { index, count, dir }))
    }
}

/// The folder of partials exists, is a folder, and takes new files.
fn check_dir(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    match std::fs::metadata(dir) {
        Err(_) => {
            return Err(format!(
                "--partial {shown}: the folder does not exist; create it first (mkdir -p {shown})"
            ))
        }
        Ok(m) if !m.is_dir() => return Err(format!("--partial {shown}: is not a folder")),
        Ok(_) => {}
    }
    let probe = dir.join(format!(".simulate-probe-{}.tmp", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(f) => {
            drop(f);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!(
            "--partial {shown}: cannot write in the folder: {e}"
        )),
    }
}

/// Every run of a command in order: (point, replication).
pub(crate) fn units(scenarios: &[Scenario]) -> Vec<(u32, u32)> {
    scenarios
        .iter()
        .enumerate()
        .flat_map(|(p, s)| (0..s.replications).map(move |r| (p as u32, r)))
        .collect()
}

/// The scenario texts a job reads, by the path given.
fn texts(job: &Job) -> Result<BTreeMap<String, String>, String> {
    job.files()
        .into_iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map(|t| (f.to_string(), t))
                .map_err(|e| format!("{f}: {e}"))
        })
        .collect()
}

/// Runs the slice of `job` (whose runs are those of `scenarios`) and writes its partial;
/// the exit code.
pub(crate) fn run(job: Job, scenarios: &[Scenario], slice: &Slice, quiet: bool) -> i32 {
    let all = units(scenarios);
    let total = all.len() as u64;
    if slice.count as u64 > total {
        errln!(
            "error: --shard {}/{}: the work has only {total} run{} ({} scenario{} or points and their replications); use at most {total} slices; nothing was simulated",
            slice.index,
            slice.count,
            if total == 1 { "" } else { "s" },
            scenarios.len(),
            if scenarios.len() == 1 { "" } else { "s" },
        );
        return EXIT_INVALID;
    }
    let texts = match texts(&job) {
        Ok(t) => t,
        Err(e) => {
            errln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let (first, end) = partial::slice(slice.index, slice.count, total);
    let info = ShardInfo {
        index: slice.index,
        count: slice.count,
        first,
        end,
        total,
    };
    let fingerprint = partial::fingerprint(&job, &texts);
    let build = Build::current();
    let path = slice.dir.join(partial::file_name(slice.index, slice.count));
    if path.exists() {
        match partial::read(&path) {
            Ok(p) if p.fingerprint == fingerprint && p.build == build && p.shard == info => {
                errln!(
                    "shard {}/{}: {} is already done; skipped",
                    slice.index,
                    slice.count,
                    path.display()
                );
                return EXIT_OK;
            }
            Ok(_) => errln!(
                "note: replacing {}: it holds another command's, input's or build's slice",
                path.display()
            ),
            Err(e) => errln!("note: replacing {}: {e}", path.display()),
        }
    }
    let mine = &all[first as usize..end as usize];
    let total_ns = mine
        .iter()
        .map(|&(p, _)| {
            let s = &scenarios[p as usize];
            s.spec.duration.saturating_add(s.spec.drain).as_nanos()
        })
        .fold(0u64, u64::saturating_add);
    let bar = Progress::start(!quiet, total_ns);
    let done: Vec<Unit> = mine
        .par_iter()
        .map(|&(p, r)| {
            let t0 = Instant::now();
            let outcome = match scenarios[p as usize].run_one(r, Some(bar.counter())) {
                Ok(stats) => UnitOutcome::Stats(Box::new(stats)),
                Err(e) => UnitOutcome::Failed {
                    message: e.to_string(),
                    overload: e.is_overload(),
                },
            };
            Unit {
                point: p,
                replication: r,
                wall_s: t0.elapsed().as_secs_f64(),
                outcome,
            }
        })
        .collect();
    bar.finish();
    let fatal = done.iter().find_map(|u| match &u.outcome {
        UnitOutcome::Failed {
            message,
            overload: false,
        } => Some((u.point, u.replication, message.clone())),
        _ => None,
    });
    let p = Partial {
        format: partial::FORMAT.into(),
        version: partial::VERSION,
        fingerprint,
        job,
        texts,
        build,
        shard: info,
        units: done,
    };
    let bytes = match serde_json::to_vec(&p) {
        Ok(b) => b,
        Err(e) => {
            errln!("error: encoding the partial result: {e}");
            return EXIT_FAILURE;
        }
    };
    if let Err(e) = crate::write_atomically(&path, &bytes) {
        errln!("error: writing {}: {e}", path.display());
        return EXIT_FAILURE;
    }
    errln!(
        "shard {}/{}: runs {first}..{end} of {total} written to {} ({})",
        slice.index,
        slice.count,
        path.display(),
        size(bytes.len())
    );
    if let Some((point, r, message)) = fatal {
        errln!(
            "error: simulating {} (replication {r}): {message}",
            scenarios[point as usize].file
        );
        return EXIT_FAILURE;
    }
    EXIT_OK
}

/// A byte count for people.
fn size(n: usize) -> String {
    match n {
        n if n >= 10 << 20 => format!("{} MB", n >> 20),
        n if n >= 10 << 10 => format!("{} kB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// The outcomes a command reports, as its mode gets them: `Err` is the exit code to return
/// at once (a shard has written its partial; a run failed).
pub(crate) fn outcomes(
    mode: &Mode,
    job: impl FnOnce() -> Job,
    scenarios: &[Scenario],
    args: &crate::MultiArgs,
) -> Result<Vec<Outcome>, i32> {
    match mode {
        Mode::Local => crate::multi::run_all(scenarios, args),
        Mode::Shard(slice) => Err(run(
            job(),
            scenarios,
            slice,
            args.json.as_deref() == Some("-"),
        )),
        Mode::Merge(m) => {
            let mut out = Vec::with_capacity(scenarios.len());
            for (s, r) in scenarios.iter().zip(m.results(scenarios)?) {
                match r {
                    Ok(r) => out.push(Ok(r)),
                    Err((message, true)) => out.push(Err(message)),
                    Err((message, false)) => {
                        errln!("error: simulating {}: {message}", s.file);
                        return Err(EXIT_FAILURE);
                    }
                }
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shard_options_parse_and_refuse_what_cannot_be() {
        assert_eq!(parse_shard("0/1"), Ok((0, 1)));
        assert_eq!(parse_shard("3/8"), Ok((3, 8)));
        for bad in ["4/4", "1/0", "x/2", "1", "-1/3", "1/2/3"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
        assert!(parse_shard("4/4").unwrap_err().contains("below 4"));
    }

    #[test]
    fn slices_come_from_slurm_or_kubernetes_and_never_from_both() {
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ];
        assert_eq!(from_env(env(&slurm), None), Ok((5, 8)));
        let offset = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ];
        assert_eq!(from_env(env(&offset), None), Ok((4, 8)));
        assert!(from_env(env(&slurm), Some(4)).is_err());
        let k8s = [("JOB_COMPLETION_INDEX", "2")];
        assert_eq!(from_env(env(&k8s), Some(3)), Ok((2, 3)));
        assert!(from_env(env(&k8s), None)
            .unwrap_err()
            .contains("--shard-count"));
        assert!(from_env(env(&k8s), Some(2)).is_err());
        let both = [("SLURM_ARRAY_TASK_ID", "0"), ("JOB_COMPLETION_INDEX", "0")];
        assert!(from_env(env(&both), Some(2)).unwrap_err().contains("both"));
        assert!(from_env(env(&[]), None)
            .unwrap_err()
            .contains("no batch engine"));
        let junk = [
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ];
        assert!(from_env(env(&junk), None).is_err());
    }
}
