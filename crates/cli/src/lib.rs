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
    /// Override `run.seed`.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Override `run.replications` (run in parallel, pooled exactly).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    replications: Option<u32>,
    /// Override any scenario key by its dotted path, e.g. traffic.rate=2000 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
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
fn load_scenario(file: &Path, overrides: &[String]) -> Result<Scenario, i32> {
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
    let result = scenario
        .run()
        .with_context(|| format!("simulating {}", scenario.file))?;
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
/// file is written whole or not at all.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
