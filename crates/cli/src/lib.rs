//! The `simulate` command: parse arguments, load the scenario, run, render, exit code.
//!
//! Exit codes: 0 success; 2 the scenario or the command line is invalid (nothing is
//! simulated); 1 any other failure.
#![deny(missing_docs)]

use anyhow::Context as _;
use archsim_scenario::{load, Scenario, ScenarioError};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

mod capacity;
mod multi;
mod outcome;
mod progress;
mod report;
mod suite;
mod table;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: a failure other than invalid input.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: invalid scenario or command line; nothing was simulated.
pub const EXIT_INVALID: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "simulate",
    version,
    about = "Simulate a distributed software architecture described in a TOML scenario",
    long_about = "Simulate a distributed software architecture described in a TOML scenario.\n\n\
        Prints a summary of latency, throughput, errors and per-component load.\n\
        Exit codes: 0 success, 2 invalid scenario or command line, 1 other failure.",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The scenario file to run.
    #[arg(required = true)]
    file: Option<PathBuf>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args, Debug, Default)]
struct RunArgs {
    /// Also write the full result as JSON to PATH (`-` = stdout; the summary then goes to stderr).
    #[arg(long, value_name = "PATH")]
    json: Option<String>,
    /// Override `run.seed` (0 to 9223372036854775807, like `run.seed` in a file).
    #[arg(long, value_name = "N", value_parser = seed_parser())]
    seed: Option<u64>,
    /// Override `run.replications` (run in parallel, pooled exactly).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    replications: Option<u32>,
    /// Override any scenario key by its dotted path, e.g. traffic.rate=2000 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Write the time series (and per-component series) as CSV to PATH.
    #[arg(long, value_name = "PATH")]
    csv: Option<PathBuf>,
    /// Write a self-contained HTML report with charts to PATH.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
}

/// Options shared by the commands that run several scenarios or points.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct MultiArgs {
    /// Write the results as JSON to PATH (`-` = stdout; the table then goes to stderr).
    #[arg(long, value_name = "PATH")]
    pub json: Option<String>,
    /// Override `run.seed` in every run (0 to 9223372036854775807).
    #[arg(long, value_name = "N", value_parser = seed_parser())]
    pub seed: Option<u64>,
    /// Override `run.replications` in every run.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Write the table as CSV to PATH.
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Write a self-contained HTML report with charts to PATH.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
}

/// `--seed`: the range of `run.seed` (a TOML integer), so an out-of-range seed is refused
/// as `--seed`, not later as an override nobody typed.
fn seed_parser() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(0..=i64::MAX as u64)
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate a scenario without simulating; prints `ok` or the errors.
    Check {
        /// The scenario file.
        file: PathBuf,
        /// Override any scenario key by its dotted path (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Run several scenarios under the same seed and compare them side by side.
    Compare {
        /// Scenario files, or folders whose .toml files are all compared (in name order);
        /// a folder of question folders, given alone, is a suite: one table per question.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override a key in every scenario (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        args: MultiArgs,
    },
    /// Run a scenario over a list (or a grid) of values: --set KEY=V1,V2,V3.
    Sweep {
        /// The scenario file.
        file: PathBuf,
        /// KEY=VALUE, or KEY=V1,V2,... to sweep (several lists make a grid; repeatable).
        #[arg(long = "set", value_name = "KEY=V1,V2,...")]
        set: Vec<String>,
        #[command(flatten)]
        args: MultiArgs,
    },
    /// Find the largest load that still meets an SLO (exponential search, then bisection).
    Capacity {
        /// The scenario file.
        file: PathBuf,
        /// The objective, e.g. "p99<200ms", "p999<1s", "mean<50ms", "error_rate<0.01"
        /// (repeatable: all must hold). Default: the scenario's [slo].
        #[arg(long, value_name = "FIGURE<LIMIT")]
        slo: Vec<String>,
        /// The key to search (default traffic.rate for an open loop, traffic.users closed).
        #[arg(long, value_name = "KEY")]
        key: Option<String>,
        /// Where to start when the key is not in the scenario.
        #[arg(long, value_name = "VALUE")]
        start: Option<f64>,
        /// Stop bisecting when the bracket is narrower than this fraction of its low end.
        #[arg(long, value_name = "FRACTION", default_value_t = 0.01)]
        tolerance: f64,
        /// Override a key (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        args: MultiArgs,
    },
}

/// Runs `simulate` with `args` (including the program name) and returns the exit code.
pub fn main_with_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_INVALID
            } else {
                EXIT_OK
            };
        }
    };
    match cli.command {
        Some(Command::Check { file, set }) => match load_scenario(&file, &set) {
            Ok(_) => {
                println!("ok");
                EXIT_OK
            }
            Err(code) => code,
        },
        Some(Command::Compare { files, set, args }) => {
            // A folder of question folders, given alone, is a suite: one table per question.
            let suite = match files.as_slice() {
                [dir] => suite::questions(dir).map(|qs| (dir, qs)),
                _ => None,
            };
            match suite {
                Some((dir, qs)) => suite::compare_suite(dir, &qs, &set, &args),
                None => multi::compare(&files, &set, &args),
            }
        }
        Some(Command::Sweep { file, set, args }) => multi::sweep(&file, &set, &args),
        Some(Command::Capacity {
            file,
            slo,
            key,
            start,
            tolerance,
            set,
            args,
        }) => capacity::capacity(
            &file,
            &capacity::Options {
                slo,
                key,
                start,
                tolerance,
                set,
            },
            &args,
        ),
        None => {
            let file = cli.file.expect("clap requires FILE");
            let mut overrides = cli.run.set.clone();
            if let Some(seed) = cli.run.seed {
                overrides.push(format!("run.seed={seed}"));
            }
            if let Some(n) = cli.run.replications {
                overrides.push(format!("run.replications={n}"));
            }
            let scenario = match load_scenario(&file, &overrides) {
                Ok(s) => s,
                Err(code) => return code,
            };
            match run(&scenario, &cli.run) {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    EXIT_FAILURE
                }
            }
        }
    }
}

/// Loads a scenario, printing its problems; the error is the exit code to use.
pub(crate) fn load_scenario(file: &Path, overrides: &[String]) -> Result<Scenario, i32> {
    match load(file, overrides) {
        Ok(s) => Ok(s),
        Err(e) => {
            let code = match &e {
                ScenarioError::Read { source, .. }
                    if source.kind() != std::io::ErrorKind::NotFound =>
                {
                    EXIT_FAILURE
                }
                _ => EXIT_INVALID,
            };
            match &e {
                ScenarioError::Invalid(ds) => {
                    for d in ds {
                        eprintln!("error: {d}");
                    }
                    if ds.len() > 1 {
                        eprintln!("{} problems found; nothing was simulated", ds.len());
                    }
                }
                _ => eprintln!("error: {e}"),
            }
            Err(code)
        }
    }
}

fn run(scenario: &Scenario, args: &RunArgs) -> anyhow::Result<()> {
    let quiet = args.json.as_deref() == Some("-");
    let bar = progress::Progress::start(!quiet, scenario.progress_total_ns());
    let result = scenario.run_with_progress(Some(bar.counter()));
    bar.finish();
    let result = result.with_context(|| format!("simulating {}", scenario.file))?;
    if let Some(path) = &args.csv {
        write_atomically(path, report::series_csv(&result).trim_end().as_bytes())
            .with_context(|| format!("writing the CSV series to {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        let html = report::run_html(&result)?;
        write_atomically(path, html.as_bytes())
            .with_context(|| format!("writing the HTML report to {}", path.display()))?;
    }
    let summary = result.summary();
    match args.json.as_deref() {
        Some("-") => {
            let json = result.to_json()?;
            eprint!("{summary}");
            let mut out = std::io::stdout().lock();
            out.write_all(json.as_bytes())?;
            out.write_all(b"\n")?;
            out.flush()?;
        }
        Some(path) => {
            let json = result.to_json()?;
            write_atomically(Path::new(path), json.as_bytes())
                .with_context(|| format!("writing the JSON result to {path}"))?;
            print!("{summary}");
        }
        None => print!("{summary}"),
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so the
/// file is written whole or not at all. A device or pipe at `path` is written in place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // A device or a pipe (`--json /dev/null`, `--csv /dev/stdout`, a named pipe) is written
    // in place: renaming a file over it would replace the device itself.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.write_all(bytes)?;
        f.write_all(b"\n")?;
        return f.flush();
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "result".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}
