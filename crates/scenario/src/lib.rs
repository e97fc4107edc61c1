//! TOML scenarios for archsim.
//!
//! A scenario file describes an architecture and its traffic (see the README for every key).
//! [`load`] reads one, applies `--set` overrides, and checks it in two layers: serde structs
//! that keep source positions, then a checker that collects every problem it can find, each
//! as `file:line:column: what is wrong`. The result, a [`Scenario`], holds a typed
//! [`archsim_models::Spec`]; [`Scenario::run`] runs its replications in parallel (rayon) and
//! pools them exactly, in replication order, so the result does not depend on thread count.
//!
//! ```
//! let text = r#"
//! [run]
//! duration = "60s"
//! [traffic]
//! entry = "app"
//! rate = 50
//! [components.app]
//! kind = "service"
//! cores = 2
//! [components.app.endpoints.default]
//! cpu = "exp(10ms)"
//! "#;
//! let scenario = archsim_scenario::from_str(text, "inline.toml", &[]).unwrap();
//! let result = scenario.run().unwrap();
//! assert_eq!(result.requests.generated,
//!            result.requests.succeeded + result.requests.failed + result.requests.in_flight);
//! ```
#![deny(missing_docs)]

mod check;
mod cost;
mod growth;
mod locate;
mod machines;
mod memory;
mod messages;
mod overrides;
mod raw;
mod stall;
mod suggest;
mod work;

use archsim_engine::derive_seed;
use archsim_models::{ModelError, Spec};
use archsim_stats::{Ci95, Headline, ResultError, RunStats, SimResult, SloSpec};
use rayon::prelude::*;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

pub use archsim_models::{Kept, Span, Trace, TraceOptions, TraceSink};
pub use check::{MAX_DURATION, MAX_INSTANCES, MAX_RATE, MAX_REPLICATIONS, MAX_USERS};
pub use cost::ComponentCost;
pub use growth::{parse_growth, parse_horizon, Growth, MAX_HORIZON};
pub use memory::{
    human as human_bytes, machine_budget, parse_size, Budget, BudgetSource, MemoryPlan,
    ASSUMED_BUDGET,
};
pub use work::WorkEstimate;

/// One problem in a scenario, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The scenario file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong and what to change.
    pub message: String,
    /// The `--set KEY=VALUE` argument the problem is in, if it is in one; then `line` and
    /// `column` are 0 (the value is on the command line, not in the file).
    pub set: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.set {
            Some(arg) => write!(f, "{}: {} (from --set {arg})", self.file, self.message),
            None => write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            ),
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The scenario is invalid; every problem found, in file order.
    Invalid(Vec<Diagnostic>),
    /// The path is a directory, not a scenario file.
    NotAFile {
        /// The path.
        file: String,
    },
    /// A `--set` argument is malformed.
    BadOverride {
        /// The argument as given.
        arg: String,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Read { file, source } => write!(f, "{file}: cannot read: {source}"),
            ScenarioError::Invalid(ds) => {
                for (i, d) in ds.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{d}")?;
                }
                Ok(())
            }
            ScenarioError::NotAFile { file } => write!(
                f,
                "{file} is a directory, not a scenario file; give a .toml file (`simulate compare {file}` runs every scenario in a folder)"
            ),
            ScenarioError::BadOverride { arg, message } => {
                write!(f, "--set {arg}: {message}")
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Why a run failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunError {
    /// The model could not be built.
    Model(ModelError),
    /// The result could not be built.
    Result(ResultError),
    /// No replication to pool (`replications = 0`, or [`Scenario::result_of`] given none).
    NoReplications,
    /// More calls were in the system than the memory budget has room for (fewer than
    /// `run.max_in_flight`): the run stopped before memory ran out.
    MemoryBound {
        /// When the bound was crossed.
        at: archsim_engine::SimTime,
        /// The calls the budget has room for.
        limit: u64,
        /// The budget.
        budget: Budget,
        /// Bytes a call in flight costs at most.
        per_call: u64,
    },
    /// A queue without a `capacity` held more messages than the memory budget has room
    /// for: the run stopped before memory ran out.
    BacklogBound {
        /// When the bound was crossed.
        at: archsim_engine::SimTime,
        /// The queue.
        queue: String,
        /// The messages the budget has room for.
        limit: u64,
        /// The budget.
        budget: Budget,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Model(e) => write!(f, "{e}"),
            RunError::Result(e) => write!(f, "{e}"),
            RunError::NoReplications => write!(f, "no replication to pool"),
            RunError::MemoryBound {
                at,
                limit,
                budget,
                per_call,
            } => write!(
                f,
                "overload: more than {limit} calls in the system at t = {:.3}s, as many as fit in \
                 {budget} (up to {per_call} bytes a call); it cannot keep up with its traffic \
                 and its queues are unbounded. Bound them (`queue`), or give it more memory \
                 with run.memory_limit",
                at.as_secs_f64()
            ),
            RunError::BacklogBound {
                at,
                queue,
                limit,
                budget,
            } => write!(
                f,
                "overload: queue `{queue}` held more than {limit} messages at t = {:.3}s, as \
                 many as fit in its share of {budget}; its consumers cannot keep up and it has \
                 no `capacity`. Bound it (`capacity`), or give it more memory with \
                 run.memory_limit",
                at.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for RunError {}

impl RunError {
    /// Whether the run stopped because more calls than `run.max_in_flight` were in the
    /// system (the architecture cannot keep up): an outcome of the load, not a fault.
    pub fn is_overload(&self) -> bool {
        matches!(
            self,
            RunError::Model(ModelError::Overload { .. } | ModelError::Backlog { .. })
                | RunError::MemoryBound { .. }
                | RunError::BacklogBound { .. }
        )
    }
}

/// The number at dotted `key` in scenario `text` (an integer or a float), and whether it is
/// an integer; `None` when the key is absent or not a number.
pub fn number_at(text: &str, key: &str) -> Option<(f64, bool)> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let mut cur = doc.get(key.split('.').next()?)?;
    for seg in key.split('.').skip(1) {
        cur = match cur {
            toml::Value::Table(t) => t.get(seg)?,
            toml::Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match cur {
        toml::Value::Integer(i) => Some((*i as f64, true)),
        toml::Value::Float(f) => Some((*f, false)),
        _ => None,
    }
}

/// A checked scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `name`, or the file's stem.
    pub name: String,
    /// `description`, if any.
    pub description: Option<String>,
    /// The file it came from.
    pub file: String,
    /// `run.seed`.
    pub seed: u64,
    /// `run.replications`.
    pub replications: u32,
    /// `[slo]`, if any.
    pub slo: Option<SloSpec>,
    /// The model.
    pub spec: Spec,
    /// Component costs (`cost_per_hour`, `replica_cost_per_hour`).
    pub costs: Vec<ComponentCost>,
    /// Its memory estimate and budget (`None`: not checked, e.g. a spec written in Rust).
    pub memory: Option<MemoryPlan>,
    /// `[growth]`, for `simulate runway` (`None`: the scenario has none).
    pub growth: Option<Growth>,
}

/// Reads and checks the scenario at `path`, with `--set KEY=VALUE` overrides applied.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    if path.is_dir() {
        return Err(ScenarioError::NotAFile { file });
    }
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read {
        file: file.clone(),
        source,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // Invalid input, located at its first bad byte.
            let bad = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let valid = std::str::from_utf8(&bytes[..bad]).expect("valid up to here");
            let (line, column) = position(valid, valid.len());
            return Err(ScenarioError::Invalid(vec![Diagnostic {
                file,
                line,
                column,
                message: messages::not_utf8(bytes[bad]),
                set: None,
            }]));
        }
    };
    from_str(&text, &file, overrides)
}

/// Checks scenario `text` (named `file` in messages), with overrides applied.
pub fn from_str(
    written: &str,
    file: &str,
    overrides: &[String],
) -> Result<Scenario, ScenarioError> {
    if let Some((at, c)) = messages::first_forbidden_control(written) {
        let (line, column) = position(written, at);
        return Err(ScenarioError::Invalid(vec![Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: messages::control_message(c),
            set: None,
        }]));
    }
    let (text, applied) = overrides::apply(written, overrides)?;
    let origins = overrides::Origins::new(written, &text, applied);
    let diag = |span: Range<usize>, message: String| match origins.of(span.start) {
        // The value is on the command line: no place in the file to point at.
        overrides::Origin::Set(arg) => Diagnostic {
            file: file.to_string(),
            line: 0,
            column: 0,
            message,
            set: Some(arg),
        },
        overrides::Origin::File(offset) => {
            let (line, column) = position(written, offset);
            Diagnostic {
                file: file.to_string(),
                line,
                column,
                message,
                set: None,
            }
        }
    };
    let raw: raw::RawScenario = match toml::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = messages::explain(&text, e.message(), &span);
            return Err(ScenarioError::Invalid(vec![diag(span, msg)]));
        }
    };
    let (costs, mut cost_problems) = cost::collect(&raw);
    let (growth, growth_problems) = growth::collect(&raw, &text);
    cost_problems.extend(growth_problems);
    let spans = memory::spans(&raw, &mut cost_problems);
    let to_invalid = |problems: Vec<check::Problem>| {
        let mut ds: Vec<Diagnostic> = problems
            .into_iter()
            .map(|p| diag(p.span, p.message))
            .collect();
        ds.sort_by_key(|d| (d.line, d.column));
        ScenarioError::Invalid(ds)
    };
    let checked = match check::check(raw, text.len()) {
        Ok(c) if cost_problems.is_empty() => c,
        Ok(_) => return Err(to_invalid(cost_problems)),
        Err(mut problems) => {
            problems.extend(cost_problems);
            return Err(to_invalid(problems));
        }
    };
    let stem = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let mut scenario = Scenario {
        name: checked.name.unwrap_or(stem),
        description: checked.description,
        file: file.to_string(),
        seed: checked.seed,
        replications: checked.replications,
        slo: checked.slo,
        spec: checked.spec,
        costs,
        memory: None,
        growth,
    };
    memory::plan(&mut scenario, &spans).map_err(|p| to_invalid(vec![p]))?;
    Ok(scenario)
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

/// The seed of replication `r` (replication 0 uses the base seed itself).
pub fn replication_seed(seed: u64, r: u32) -> u64 {
    if r == 0 {
        seed
    } else {
        derive_seed(seed, &format!("replication/{r}"))
    }
}

/// Replications pooled one by one, in replication order, with each one's headline figures.
struct Pool {
    pooled: Option<RunStats>,
    headlines: Vec<Headline>,
    with_slo: bool,
}

impl Pool {
    fn new(s: &Scenario) -> Self {
        Pool {
            pooled: None,
            headlines: Vec::with_capacity(s.replications as usize),
            with_slo: s.slo.is_some(),
        }
    }
    fn add(&mut self, run: RunStats) {
        self.headlines.push(Headline::of(&run, self.with_slo));
        match &mut self.pooled {
            None => self.pooled = Some(run),
            Some(p) => p.merge(&run),
        }
    }
    fn add_ref(&mut self, run: &RunStats) {
        match &mut self.pooled {
            None => self.add(run.clone()),
            Some(p) => {
                self.headlines.push(Headline::of(run, self.with_slo));
                p.merge(run);
            }
        }
    }
    fn finish(self) -> Option<(RunStats, Vec<Headline>)> {
        Some((self.pooled?, self.headlines))
    }
}

impl Scenario {
    /// Estimates the memory this scenario needs against a budget (`limit` bytes, else the
    /// machine's, as for a scenario file without `run.memory_limit`): refuses it when it needs
    /// more, else bounds its calls in flight (and unbounded queues) by what the budget leaves,
    /// so that the run stops with an overload instead of running out of memory. Loading a
    /// scenario file does this already; a scenario built in code calls it before running.
    pub fn plan_memory(&mut self, limit: Option<u64>) -> Result<(), String> {
        memory::plan(self, &memory::KeySpans::none(limit)).map_err(|p| p.message)
    }

    /// Runs every replication (in parallel) and pools them in replication order.
    pub fn run_stats(&self) -> Result<RunStats, RunError> {
        self.run_replications(None).map(|(pooled, _)| pooled)
    }

    /// Runs every replication (in parallel) and returns them pooled in replication order,
    /// with each replication's own headline figures (for confidence intervals). `progress`,
    /// if given, gains the simulated nanoseconds covered as the runs go (see
    /// [`Scenario::progress_total_ns`]).
    pub fn run_replications(
        &self,
        progress: Option<&AtomicU64>,
    ) -> Result<(RunStats, Vec<Headline>), RunError> {
        self.run_replications_after(Pool::new(self), 0, progress)
    }

    /// Runs replications `start..` (in parallel) into `pool`, in replication order.
    fn run_replications_after(
        &self,
        mut pool: Pool,
        mut start: u32,
        progress: Option<&AtomicU64>,
    ) -> Result<(RunStats, Vec<Headline>), RunError> {
        // Chunks bound the memory held at once; merging in order keeps results identical
        // whatever the number of threads.
        let chunk = (rayon::current_num_threads() * 2).max(2) as u32;
        while start < self.replications {
            let end = (start + chunk).min(self.replications);
            let runs: Vec<Result<RunStats, RunError>> = (start..end)
                .into_par_iter()
                .map(|r| self.run_one(r, progress))
                .collect();
            for run in runs {
                pool.add(run?);
            }
            start = end;
        }
        pool.finish().ok_or(RunError::NoReplications)
    }

    /// Runs replication `r` alone (its seed is [`replication_seed`]), unpooled: the unit of
    /// work a shard of a multi-run command runs.
    pub fn run_one(&self, r: u32, progress: Option<&AtomicU64>) -> Result<RunStats, RunError> {
        archsim_models::run_with_progress(&self.spec, replication_seed(self.seed, r), progress)
            .map_err(|e| self.run_error(e))
    }

    /// The result of replications already run (by [`Scenario::run_one`], here or in other
    /// processes), pooled in the order given, which must be replication order: the same
    /// figures as [`Scenario::run_with_progress`], byte for byte. `wall_s` is reported as is.
    pub fn result_of<'a>(
        &self,
        runs: impl IntoIterator<Item = &'a RunStats>,
        wall_s: f64,
    ) -> Result<SimResult, RunError> {
        let mut pool = Pool::new(self);
        for run in runs {
            pool.add_ref(run);
        }
        let (stats, headlines) = pool.finish().ok_or(RunError::NoReplications)?;
        self.build_result(&stats, &headlines, wall_s)
    }

    fn build_result(
        &self,
        stats: &RunStats,
        headlines: &[Headline],
        wall_s: f64,
    ) -> Result<SimResult, RunError> {
        let mut result = SimResult::build(&self.name, self.seed, stats, self.slo, wall_s)
            .map_err(RunError::Result)?;
        result.ci95 = Ci95::of(headlines);
        cost::apply(&self.costs, &mut result);
        Ok(result)
    }

    /// A model error as a run error: an overload at the bound the memory budget set is the
    /// budget's.
    fn run_error(&self, e: ModelError) -> RunError {
        match (&e, &self.memory) {
            (
                ModelError::Overload { at, limit },
                Some(MemoryPlan {
                    in_flight_cap: Some(cap),
                    budget,
                    per_call,
                    ..
                }),
            ) if limit == cap => RunError::MemoryBound {
                at: *at,
                limit: *limit,
                budget: *budget,
                per_call: *per_call,
            },
            (
                ModelError::Backlog { at, queue, limit },
                Some(MemoryPlan {
                    backlog_cap: Some(_),
                    budget,
                    ..
                }),
            ) => RunError::BacklogBound {
                at: *at,
                queue: queue.clone(),
                limit: *limit,
                budget: *budget,
            },
            _ => RunError::Model(e),
        }
    }

    /// The simulated nanoseconds a whole run adds to its progress counter: every
    /// replication's `duration + drain`.
    pub fn progress_total_ns(&self) -> u64 {
        self.spec
            .duration
            .saturating_add(self.spec.drain)
            .as_nanos()
            .saturating_mul(self.replications as u64)
    }

    /// [`Scenario::run_with_stats`], tracing the requests of the first replication: the
    /// traces `options` keep go to `sink` as the run decides them. The result is the same as
    /// without tracing, byte for byte.
    pub fn run_traced(
        &self,
        progress: Option<&AtomicU64>,
        options: archsim_models::TraceOptions,
        sink: Box<dyn archsim_models::TraceSink>,
    ) -> Result<(SimResult, RunStats), RunError> {
        let t0 = Instant::now();
        let first = archsim_models::run_traced(
            &self.spec,
            replication_seed(self.seed, 0),
            progress,
            options,
            sink,
        )
        .map_err(|e| self.run_error(e))?;
        let mut pool = Pool::new(self);
        pool.add(first);
        let (stats, headlines) = self.run_replications_after(pool, 1, progress)?;
        let result = self.build_result(&stats, &headlines, t0.elapsed().as_secs_f64())?;
        Ok((result, stats))
    }

    /// Runs the scenario and builds its result.
    pub fn run(&self) -> Result<SimResult, RunError> {
        self.run_with_progress(None)
    }

    /// Runs the scenario and builds its result, counting simulated time in `progress`.
    /// With two replications or more the result has 95% confidence intervals (`ci95`); with
    /// component costs it has `cost`.
    pub fn run_with_progress(&self, progress: Option<&AtomicU64>) -> Result<SimResult, RunError> {
        self.run_with_stats(progress).map(|(result, _)| result)
    }

    /// As [`Scenario::run_with_progress`], also handing back the pooled statistics the result
    /// was built from (the series buckets' histograms, for renderings such as OpenMetrics).
    pub fn run_with_stats(
        &self,
        progress: Option<&AtomicU64>,
    ) -> Result<(SimResult, RunStats), RunError> {
        let t0 = Instant::now();
        let (stats, headlines) = self.run_replications(progress)?;
        let result = self.build_result(&stats, &headlines, t0.elapsed().as_secs_f64())?;
        Ok((result, stats))
    }

    /// The key that sets this scenario's load (`traffic.rate` for an open loop,
    /// `traffic.users` for a closed one), its value, and whether it takes integers.
    pub fn load_key(&self) -> (&'static str, f64, bool) {
        match &self.spec.traffic.load {
            archsim_models::Load::Open { rate_per_s, .. } => ("traffic.rate", *rate_per_s, false),
            archsim_models::Load::Closed { users, .. } => ("traffic.users", *users as f64, true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
[run]
duration = "60s"
[traffic]
entry = "app"
rate = 50
[components.app]
kind = "service"
cores = 2
[components.app.endpoints.default]
cpu = "exp(10ms)"
"#;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position("ab\ncd", 0), (1, 1));
        assert_eq!(position("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn overrides_set_existing_and_new_keys() {
        let s = from_str(
            OK,
            "x.toml",
            &[
                "traffic.rate=200".into(),
                "components.app.instances=3".into(),
                "run.warmup=10s".into(),
            ],
        )
        .unwrap();
        assert_eq!(s.spec.components[0].instances, 3);
        assert_eq!(s.spec.warmup.as_secs_f64(), 10.0);
        match s.spec.traffic.load {
            archsim_models::Load::Open { rate_per_s, .. } => assert_eq!(rate_per_s, 200.0),
            _ => panic!(),
        }
    }

    #[test]
    fn override_errors_name_the_override() {
        let e = from_str(OK, "x.toml", &["traffic.rate=-5".into()]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("--set traffic.rate=-5"), "{msg}");
        assert!(msg.starts_with("x.toml:"), "{msg}");
        let e = from_str(OK, "x.toml", &["traffic".into()]).unwrap_err();
        assert!(matches!(e, ScenarioError::BadOverride { .. }));
    }

    fn problems(text: &str, set: &[&str]) -> Vec<Diagnostic> {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        match from_str(text, "x.toml", &set) {
            Err(ScenarioError::Invalid(ds)) => ds,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn set_errors_point_at_the_set_not_into_the_file() {
        for (arg, needle) in [
            ("components.app.coers=3", "unknown key `coers`"),
            ("traffic.rate=abc", "traffic.rate must be a number"),
            ("traffic.rate=-1", "traffic.rate must be"),
            ("components.extra.cores=1", "component `extra` needs `kind`"),
        ] {
            let ds = problems(OK, &[arg]);
            assert_eq!(ds.len(), 1, "{ds:?}");
            let d = &ds[0];
            assert_eq!(d.set.as_deref(), Some(arg), "{d:?}");
            assert_eq!((d.line, d.column), (0, 0));
            let shown = d.to_string();
            assert!(shown.starts_with(&format!("x.toml: {needle}")), "{shown}");
            assert!(shown.ends_with(&format!("(from --set {arg})")), "{shown}");
        }
    }

    #[test]
    fn file_errors_keep_their_place_in_the_file_as_written() {
        let text = OK.replace("cpu = \"exp(10ms)\"", "cpu = \"expo(10ms)\"");
        let line = text[..text.find("expo").unwrap()].matches('\n').count() + 1;
        // The inserted key shifts the lines below it in the overridden text.
        let ds = problems(&text, &["components.app.workers=5", "run.warmup=1s"]);
        assert_eq!(ds.len(), 1, "{ds:?}");
        assert_eq!(
            (ds[0].line, ds[0].column, ds[0].set.as_deref()),
            (line, 7, None)
        );
    }

    #[test]
    fn replicas_on_a_service_is_one_error() {
        let text = OK.replace("cores = 2", "cores = 2\ninstances = 2");
        let ds = problems(&text, &["components.app.replicas=2"]);
        assert_eq!(ds.len(), 1, "{ds:?}");
        assert!(ds[0]
            .message
            .contains("`replicas` does not apply to a component of kind \"service\""));
        let ds = problems(
            &text.replace("instances = 2", "instances = 2\nreplicas = 2\nshards = 2"),
            &[],
        );
        assert_eq!(ds.len(), 2, "{ds:?}");
        assert!(ds.iter().all(|d| !d.message.contains("database")), "{ds:?}");
    }

    #[test]
    fn a_fixed_duration_accepts_const_and_refuses_a_distribution() {
        let s = from_str(OK, "x.toml", &["traffic.timeout=const(5ms)".into()]).unwrap();
        assert_eq!(
            s.spec.traffic.timeout,
            Some(archsim_engine::SimTime::from_millis(5))
        );
        let s = from_str(OK, "x.toml", &["traffic.timeout=1m30s".into()]).unwrap();
        assert_eq!(
            s.spec.traffic.timeout,
            Some(archsim_engine::SimTime::from_secs(90))
        );
        let text = OK.replace("[traffic]", "[traffic]\ntimeout = \"exp(5ms)\"");
        let ds = problems(&text, &[]);
        assert_eq!(ds.len(), 1, "{ds:?}");
        assert!(
            ds[0]
                .message
                .starts_with("traffic.timeout must be a fixed duration"),
            "{ds:?}"
        );
        assert_eq!(ds[0].line, 5);
    }

    #[test]
    fn control_characters_are_located_and_named() {
        for c in ['\u{0}', '\u{f}', '\u{7f}'] {
            let text = OK.replace("[traffic]", &format!("[traffic] # a{c}b"));
            let ds = problems(&text, &[]);
            assert_eq!(ds.len(), 1);
            assert_eq!((ds[0].line, ds[0].column), (4, 14), "{ds:?}");
            assert!(
                ds[0].message.contains(&format!("U+{:04X}", c as u32)),
                "{ds:?}"
            );
        }
    }

    #[test]
    fn a_file_that_is_not_utf8_is_invalid_at_its_first_bad_byte() {
        let dir = std::env::temp_dir().join(format!("archsim-utf8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("latin1.toml");
        std::fs::write(&p, b"[run]\nduration = \"20s\" # caf\xe9\n").unwrap();
        let Err(ScenarioError::Invalid(ds)) = load(&p, &[]) else {
            panic!("not invalid")
        };
        assert_eq!((ds[0].line, ds[0].column), (2, 23), "{ds:?}");
        assert!(ds[0].message.contains("not UTF-8"), "{ds:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_array_of_tables_where_a_table_is_meant_says_so() {
        for (table, extra) in [
            ("run", ""),
            ("traffic", ""),
            ("slo", "latency = \"1s\"\ntarget = 0.9\n"),
            ("network", "latency = \"1ms\"\n"),
            ("traffic.retry", "max = 1\n"),
            ("traffic.keys", "count = 10\n"),
            ("traffic.classes.a", "weight = 1\n"),
            ("components.x", "kind = \"service\"\n"),
            ("components.app.endpoints.default", "cpu = \"1ms\"\n"),
        ] {
            let header = format!("[{table}]");
            let text = if OK.contains(&header) {
                OK.replace(&header, &format!("[{header}]"))
            } else {
                format!("{OK}[{header}]\n{extra}")
            };
            let ds = problems(&text, &[]);
            assert_eq!(ds.len(), 1, "{table}: {ds:?}");
            assert_eq!(
                ds[0].message,
                format!("`{table}` must be a table, written [{table}], not an array of tables ([[{table}]])"),
                "{table}"
            );
            let line = text[..text.find(&format!("[{header}]")).unwrap()]
                .matches('\n')
                .count()
                + 1;
            assert_eq!(ds[0].line, line, "{table}");
        }
    }

    #[test]
    fn calls_as_an_array_of_tables_are_the_same_as_inline_calls() {
        let inline = OK.replace(
            "cpu = \"exp(10ms)\"",
            "cpu = \"exp(10ms)\"\ncalls = [{ to = \"db\", timeout = \"1s\" }, \"db\"]",
        ) + "[components.db]\nkind = \"database\"\ncores = 1\n[components.db.endpoints.default]\ncpu = \"exp(1ms)\"\n";
        let tables = OK.replace(
            "cpu = \"exp(10ms)\"",
            "cpu = \"exp(10ms)\"\n[[components.app.endpoints.default.calls]]\nto = \"db\"\ntimeout = \"1s\"\n[[components.app.endpoints.default.calls]]\nto = \"db\"",
        ) + "[components.db]\nkind = \"database\"\ncores = 1\n[components.db.endpoints.default]\ncpu = \"exp(1ms)\"\n";
        let a = from_str(&inline, "a.toml", &[]).unwrap();
        let b = from_str(&tables, "a.toml", &[]).unwrap();
        assert_eq!(format!("{:?}", a.spec), format!("{:?}", b.spec));
        let (ra, rb) = (a.run_stats().unwrap(), b.run_stats().unwrap());
        assert_eq!(format!("{ra:?}"), format!("{rb:?}"));
    }

    #[test]
    fn a_directory_is_not_a_scenario_file() {
        let e = load(&std::env::temp_dir(), &[]).unwrap_err();
        assert!(matches!(e, ScenarioError::NotAFile { .. }), "{e:?}");
        assert!(
            e.to_string()
                .contains("is a directory, not a scenario file"),
            "{e}"
        );
    }

    #[test]
    fn several_problems_are_collected() {
        let text = OK
            .replace("rate = 50", "rate = -1")
            .replace("cores = 2", "cores = 0");
        let ScenarioError::Invalid(ds) = from_str(&text, "x.toml", &[]).unwrap_err() else {
            panic!()
        };
        assert_eq!(ds.len(), 2, "{ds:?}");
    }
}
