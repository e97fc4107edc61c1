//! The `simulate` command: parse arguments, load the scenario, run, render, exit code.
//!
//! Exit codes: 0 success; 2 the scenario or the command line is invalid (nothing is
//! simulated); 3 the runs finished and an SLO was missed (only with `--fail-on-slo`); 1 any
//! other failure.
#![deny(missing_docs)]

use anyhow::Context as _;
use archsim_scenario::{load, Scenario, ScenarioError};
use clap::{Args, CommandFactory as _, Parser, Subcommand};
use out::{errln, errp, outln};
pub use outputs::write_atomically;
use std::path::{Path, PathBuf};

mod capacity;
mod colour;
mod epoch;
mod launch;
mod merge;
mod metrics;
mod multi;
mod out;
mod outcome;
mod outputs;
mod partial;
mod progress;
mod report;
mod rules;
mod runway;
mod shard;
mod suite;
mod table;
mod traces;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: a failure other than invalid input.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: invalid scenario or command line; nothing was simulated.
pub const EXIT_INVALID: i32 = 2;
/// Exit code: the runs finished, every output was written, and an SLO was missed (only with
/// `--fail-on-slo`).
pub const EXIT_SLO_MISSED: i32 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "simulate",
    version,
    about = "Simulate a distributed software architecture described in a TOML scenario",
    long_about = "Simulate a distributed software architecture described in a TOML scenario.\n\n\
        Prints a summary of latency, throughput, errors and per-component load.\n\
        Exit codes: 0 success, 2 invalid scenario or command line, 3 SLO missed (with\n\
        --fail-on-slo), 1 other failure.",
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
    /// Write the time series as OpenMetrics text with timestamps to PATH (for
    /// `promtool tsdb create-blocks-from openmetrics`).
    #[arg(long, value_name = "PATH")]
    metrics: Option<PathBuf>,
    /// The wall-clock time that simulated time 0 maps to in timestamped outputs (--metrics):
    /// an RFC 3339 date-time, a date (midnight UTC) or Unix seconds.
    #[arg(long, value_name = "DATE", value_parser = epoch::Epoch::parse, default_value = epoch::DEFAULT)]
    trace_epoch: epoch::Epoch,
    /// Exit with code 3 when the scenario's [slo] is missed (after writing every output).
    #[arg(long)]
    fail_on_slo: bool,
    /// Run replications on at most N threads (default: RAYON_NUM_THREADS, else one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    threads: Option<u32>,
    /// Write the scenario's [[alerts]] as a Prometheus rules file (YAML) to PATH, over the
    /// metric names of --metrics.
    #[arg(long = "alerts-rules", value_name = "PATH")]
    alerts_rules: Option<PathBuf>,
    #[command(flatten)]
    shard: shard::ShardArgs,
    #[command(flatten)]
    trace: traces::TraceArgs,
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
    /// Run replications on at most N threads (default: RAYON_NUM_THREADS, else one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub threads: Option<u32>,
    /// Refused: `--metrics` writes one run's series (taken only to say so clearly).
    #[arg(long, value_name = "PATH", hide = true)]
    pub metrics: Option<PathBuf>,
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
        /// Exit with code 3 when a scenario misses its [slo] (after writing every output).
        #[arg(long)]
        fail_on_slo: bool,
        #[command(flatten)]
        args: MultiArgs,
        #[command(flatten)]
        shard: shard::ShardArgs,
    },
    /// Run a scenario over a list (or a grid) of values: --set KEY=V1,V2,V3.
    Sweep {
        /// The scenario file.
        file: PathBuf,
        /// KEY=VALUE, or KEY=V1,V2,... to sweep (several lists make a grid; repeatable).
        #[arg(long = "set", value_name = "KEY=V1,V2,...")]
        set: Vec<String>,
        /// Exit with code 3 when a point misses the [slo] (after writing every output).
        #[arg(long)]
        fail_on_slo: bool,
        #[command(flatten)]
        args: MultiArgs,
        #[command(flatten)]
        shard: shard::ShardArgs,
    },
    /// Pool the partial results of a sharded command (`--shard I/N --partial DIR`) into the
    /// output the command gives in one process.
    Merge(merge::MergeArgs),
    /// Print a shell completion script: `simulate completions bash > /etc/bash_completion.d/simulate`.
    Completions {
        /// The shell: bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
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
        /// Run each probe's replications as shard tasks through a batch launcher, e.g.
        /// 'srun -n1 -c1 --exact' (one launch per task) or 'parallel -j8 :::' (one launch,
        /// every task after the `:::`), then merge them; the figures are those of one process.
        #[arg(long, value_name = "CMD")]
        launcher: Option<String>,
        /// With --launcher: the (shared) folder the tasks' partials go to (default: a folder
        /// under the working directory); removed afterwards.
        #[arg(long, value_name = "DIR", requires = "launcher")]
        partial: Option<PathBuf>,
        #[command(flatten)]
        args: MultiArgs,
    },
    /// At a growth rate, when each objective breaks, what saturates first, and what breaks
    /// next once that is fixed: `simulate runway FILE --growth 15%/month --horizon 24months`.
    Runway {
        /// The scenario file.
        file: PathBuf,
        /// How fast the traffic grows: 15%/month, 0.15/month, 80%/year, 5%/week, 10%/quarter.
        /// Default: the scenario's `[growth] rate`.
        #[arg(long, value_name = "RATE/PERIOD", allow_hyphen_values = true)]
        growth: Option<String>,
        /// How far ahead to look: 24months, 18mo, 2years (at most 240 months). Default: the
        /// scenario's `[growth] horizon`, else 24 months.
        #[arg(long, value_name = "MONTHS")]
        horizon: Option<String>,
        /// The objective, e.g. "p99<200ms" (repeatable: each gets its own answer). Default:
        /// the scenario's [slo].
        #[arg(long, value_name = "FIGURE<LIMIT")]
        slo: Vec<String>,
        /// The key that carries the traffic (default traffic.rate for an open loop,
        /// traffic.users closed).
        #[arg(long, value_name = "KEY")]
        key: Option<String>,
        /// Another key that grows with the traffic, e.g. a table's rows (repeatable; beside
        /// the scenario's `[growth] with_traffic`).
        #[arg(long, value_name = "KEY")]
        grow: Vec<String>,
        /// Stop narrowing a break when the load bracket is narrower than this fraction.
        #[arg(long, value_name = "FRACTION", default_value_t = 0.02)]
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
            // `--help` and `--version` go to stdout as clap styles them; a usage error
            // quotes what was typed, so it goes to stderr plain and escaped.
            if !e.use_stderr() {
                if let Err(w) = e.print() {
                    out::stdout_failed(&w);
                }
                return EXIT_OK;
            }
            errp!("{}", e.render());
            return EXIT_INVALID;
        }
    };
    if let Some(
        Command::Compare { args, .. }
        | Command::Sweep { args, .. }
        | Command::Capacity { args, .. }
        | Command::Runway { args, .. },
    ) = &cli.command
    {
        if args.metrics.is_some() {
            errln!("error: --metrics writes the time series of one run, and compare, sweep and capacity make several; run `simulate FILE.toml --metrics PATH` for each run you want; nothing was simulated");
            return EXIT_INVALID;
        }
    }
    let threads = match &cli.command {
        None => cli.run.threads,
        Some(Command::Compare { args, .. })
        | Some(Command::Sweep { args, .. })
        | Some(Command::Capacity { args, .. })
        | Some(Command::Runway { args, .. }) => args.threads,
        _ => None,
    };
    if let Some(n) = threads {
        // Fails only when a pool was already built (a library caller's); that one stays.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n as usize)
            .build_global();
    }
    let mode = |s: &shard::ShardArgs| {
        s.mode().map_err(|e| {
            errln!("error: {e}; nothing was simulated");
            EXIT_INVALID
        })
    };
    match cli.command {
        Some(Command::Merge(m)) => merge::merge(&m),
        Some(Command::Check { file, set }) => match load_scenario(&file, &set) {
            Ok(s) => {
                outln!("ok");
                if let Some(m) = &s.memory {
                    errln!(
                        "memory: about {} (estimate) of {}",
                        archsim_scenario::human_bytes(m.estimate),
                        m.budget
                    );
                }
                EXIT_OK
            }
            Err(code) => code,
        },
        Some(Command::Compare {
            files,
            set,
            fail_on_slo,
            args,
            shard,
        }) => {
            let mode = match mode(&shard) {
                Ok(m) => m,
                Err(code) => return code,
            };
            // A folder of question folders, given alone, is a suite: one table per question.
            let suite = match files.as_slice() {
                [dir] => suite::questions(dir).map(|qs| (dir, qs)),
                _ => None,
            };
            match suite {
                Some((dir, qs)) => suite::compare_suite(dir, &qs, &set, &args, fail_on_slo, &mode),
                None => multi::compare(&files, &set, &args, fail_on_slo, &mode),
            }
        }
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "simulate", &mut script);
            out::stdout_bytes(&script);
            EXIT_OK
        }
        Some(Command::Sweep {
            file,
            set,
            fail_on_slo,
            args,
            shard,
        }) => match mode(&shard) {
            Ok(m) => multi::sweep(&file, &set, &args, fail_on_slo, &m),
            Err(code) => code,
        },
        Some(Command::Capacity {
            file,
            slo,
            key,
            start,
            tolerance,
            set,
            launcher,
            partial,
            args,
        }) => capacity::capacity(
            &file,
            &capacity::Options {
                slo,
                key,
                start,
                tolerance,
                set,
                launcher,
                partial,
            },
            &args,
        ),
        Some(Command::Runway {
            file,
            growth,
            horizon,
            slo,
            key,
            grow,
            tolerance,
            set,
            args,
        }) => runway::runway(
            &file,
            &runway::Options {
                slo,
                growth,
                horizon,
                tolerance,
                set,
                grow,
                key,
            },
            &args,
        ),
        None => {
            let file = cli.file.clone().expect("clap requires FILE");
            let mut overrides = cli.run.set.clone();
            if let Some(seed) = cli.run.seed {
                overrides.push(format!("run.seed={seed}"));
            }
            if let Some(n) = cli.run.replications {
                overrides.push(format!("run.replications={n}"));
            }
            match mode(&cli.run.shard) {
                Ok(m) => run_file(&file, &overrides, &cli.run, &m),
                Err(code) => code,
            }
        }
    }
}

/// `simulate FILE`: loads the scenario with `overrides`, runs it as `mode` says, writes what
/// was asked for; the exit code.
pub(crate) fn run_file(
    file: &Path,
    overrides: &[String],
    args: &RunArgs,
    mode: &shard::Mode,
) -> i32 {
    if args.trace.traces.is_some() && !matches!(mode, shard::Mode::Local) {
        errln!("error: --traces traces a run in one process; drop it from --shard and merge runs; nothing was simulated");
        return EXIT_INVALID;
    }
    if let Err(code) = mode.check_outputs(&args.outputs(), &[file]) {
        return code;
    }
    let mut scenario = match mode.load(file, overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // --metrics writes each instance's series: the run keeps them (nothing else reads them).
    scenario.spec.instance_series = args.metrics.is_some();
    if args.alerts_rules.is_some() && scenario.spec.alerts.rules.is_empty() {
        errln!(
            "error: --alerts-rules: {} has no [[alerts]] to write; add one or drop the option; nothing was simulated",
            scenario.file
        );
        return EXIT_INVALID;
    }
    if args.fail_on_slo {
        if let Err(code) = check_slo_gate(&[&scenario]) {
            return code;
        }
    }
    let result = match mode {
        shard::Mode::Local => return run(&scenario, args),
        shard::Mode::Shard(slice) => {
            let job = partial::Job::Run {
                file: file.display().to_string(),
                set: overrides.to_vec(),
            };
            return shard::run(job, std::slice::from_ref(&scenario), slice, false);
        }
        shard::Mode::Merge(m) => match m.results(std::slice::from_ref(&scenario)) {
            Ok(mut r) => r.pop().expect("one scenario, one result"),
            Err(code) => return code,
        },
    };
    match result {
        Ok(r) => report_run(&scenario, &r, args),
        Err((message, _)) => {
            errln!("error: simulating {}: {message}", scenario.file);
            EXIT_FAILURE
        }
    }
}

/// Loads a scenario, printing its problems; the error is the exit code to use.
pub(crate) fn load_scenario(file: &Path, overrides: &[String]) -> Result<Scenario, i32> {
    load(file, overrides).map_err(report_scenario_error)
}

/// Prints why a scenario cannot be loaded; the exit code to use.
pub(crate) fn report_scenario_error(e: ScenarioError) -> i32 {
    {
        {
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
                        errln!("error: {d}");
                    }
                    if ds.len() > 1 {
                        errln!("{} problems found; nothing was simulated", ds.len());
                    }
                }
                _ => errln!("error: {e}"),
            }
            code
        }
    }
}

impl RunArgs {
    fn outputs(&self) -> outputs::Outputs<'_> {
        outputs::Outputs {
            json: self.json.as_deref(),
            csv: self.csv.as_deref(),
            html: self.html.as_deref(),
            traces: self.trace.traces.as_deref(),
            metrics: self.metrics.as_deref(),
            alerts_rules: self.alerts_rules.as_deref(),
        }
    }
}

impl MultiArgs {
    pub(crate) fn outputs(&self) -> outputs::Outputs<'_> {
        outputs::Outputs {
            json: self.json.as_deref(),
            csv: self.csv.as_deref(),
            html: self.html.as_deref(),
            traces: None,
            metrics: None,
            alerts_rules: None,
        }
    }
}

/// Checks the output paths of a command over the scenario files `inputs` before anything
/// runs; the error is the exit code to use (the message is printed).
pub(crate) fn check_outputs(outputs: &outputs::Outputs, inputs: &[&Path]) -> Result<(), i32> {
    outputs::check(outputs, inputs).map_err(|e| {
        errln!("error: {e}; nothing was simulated");
        EXIT_INVALID
    })
}

/// `--fail-on-slo` needs an [slo] to judge: refuses (exit 2) when no scenario has one.
pub(crate) fn check_slo_gate(scenarios: &[&Scenario]) -> Result<(), i32> {
    if scenarios.iter().any(|s| s.slo.is_some()) {
        return Ok(());
    }
    let files: Vec<&str> = scenarios.iter().map(|s| s.file.as_str()).collect();
    errln!(
        "error: --fail-on-slo: {} {} no [slo] to judge; add one (latency, target) or drop the option; nothing was simulated",
        files.join(", "),
        if files.len() == 1 { "has" } else { "have" }
    );
    Err(EXIT_INVALID)
}

/// The exit code after every output was written: `code` unless it is success and `missed`
/// (the runs that missed their SLO, under `--fail-on-slo`) is not empty.
pub(crate) fn slo_gate(code: i32, missed: &[String]) -> i32 {
    if code != EXIT_OK || missed.is_empty() {
        return code;
    }
    errln!(
        "slo missed: {} (--fail-on-slo: exit {EXIT_SLO_MISSED})",
        missed.join(", ")
    );
    EXIT_SLO_MISSED
}

/// The labels of the outcomes that missed their SLO: a finished run whose [slo] is not met,
/// or an overloaded run of a scenario with an [slo].
pub(crate) fn missed_slo(
    labels: &[String],
    scenarios: &[Scenario],
    outcomes: &[outcome::Outcome],
) -> Vec<String> {
    labels
        .iter()
        .zip(scenarios)
        .zip(outcomes)
        .filter(|((_, s), o)| match o {
            Ok(r) => r.slo.as_ref().is_some_and(|slo| !slo.met),
            Err(_) => s.slo.is_some(),
        })
        .map(|((l, _), _)| l.clone())
        .collect()
}

/// Runs one scenario and writes what was asked for; the exit code.
fn run(scenario: &Scenario, args: &RunArgs) -> i32 {
    let quiet = args.json.as_deref() == Some("-");
    progress::announce(!quiet, scenario.estimate_work());
    let bar = progress::Progress::start(!quiet, scenario.progress_total_ns());
    let traced = match &args.trace.traces {
        None => None,
        Some(path) => match traces::start(path, &args.trace, scenario, args.trace_epoch.ns) {
            Ok(t) => Some(t),
            Err(e) => {
                errln!(
                    "error: --traces {}: {e}; nothing was simulated",
                    path.display()
                );
                return EXIT_INVALID;
            }
        },
    };
    let result = match &traced {
        None => scenario.run_with_stats(Some(bar.counter())),
        Some(file) => scenario.run_traced(
            Some(bar.counter()),
            args.trace.options(),
            Box::new(traces::Sink(file.clone())),
        ),
    };
    bar.finish();
    let traces_done = traced.map(|f| traces::finish(&f, result.is_ok()));
    let (result, stats) = match result.with_context(|| format!("simulating {}", scenario.file)) {
        Ok(r) => r,
        Err(e) => {
            errln!("error: {e:#}");
            return EXIT_FAILURE;
        }
    };
    let code = report_run_with(scenario, &result, Some(&stats), args);
    match (traces_done, &args.trace.traces) {
        (Some(Ok(n)), Some(path)) => {
            errln!("traces: {n} requests written to {}", path.display());
            code
        }
        (Some(Err(e)), Some(path)) => {
            errln!("error: --traces: writing {}: {e:#}", path.display());
            if code == EXIT_OK {
                EXIT_FAILURE
            } else {
                code
            }
        }
        _ => code,
    }
}

/// Writes one scenario's result as asked; the exit code.
fn report_run(scenario: &Scenario, result: &archsim_stats::SimResult, args: &RunArgs) -> i32 {
    report_run_with(scenario, result, None, args)
}

/// [`report_run`] with the pooled statistics the result was built from, which `--metrics`
/// needs (the series buckets' latency histograms).
fn report_run_with(
    scenario: &Scenario,
    result: &archsim_stats::SimResult,
    stats: Option<&archsim_stats::RunStats>,
    args: &RunArgs,
) -> i32 {
    let extra = args
        .metrics
        .as_deref()
        .map(|path| outputs::Extra {
            opt: "--metrics",
            path,
            render: Box::new(move || {
                let stats = stats.context("the run's series are not at hand here")?;
                Ok(metrics::openmetrics(result, stats, args.trace_epoch.ns))
            }),
        })
        .into_iter()
        .collect();
    let mut code = outputs::emit(
        &args.outputs(),
        &result.summary(),
        || Ok(result.to_json()?),
        || report::series_csv(result),
        || report::run_html(result),
        extra,
    );
    if let Some(path) = &args.alerts_rules {
        let spec = &scenario.spec;
        let text = rules::prometheus_rules(
            &scenario.name,
            &spec.alerts,
            spec.series_interval.as_nanos(),
            spec.traffic.classes.len(),
        );
        if let Err(e) = outputs::write_atomically(path, text.trim_end().as_bytes()) {
            errln!("error: --alerts-rules: writing {}: {e}", path.display());
            code = EXIT_FAILURE;
        }
    }
    let missed = if args.fail_on_slo && result.slo.as_ref().is_some_and(|s| !s.met) {
        vec![scenario.name.clone()]
    } else {
        Vec::new()
    };
    slo_gate(code, &missed)
}
