//! One call from a [`Spec`] to the result the `simulate` command prints: [`simulate`] runs the
//! replications, pools them, and adds the SLO, confidence intervals and costs, exactly as the
//! command does for a scenario file.

use crate::models::Spec;
use crate::scenario::{ComponentCost, RunError, Scenario, MAX_REPLICATIONS};
use crate::stats::{ResultError, SimResult, SloSpec};
use std::fmt;

/// How to run a [`Spec`]: what a scenario file says besides its model.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// The name shown in the summary and the JSON (`name`; default `"model"`).
    pub name: String,
    /// `run.seed` (default 1).
    pub seed: u64,
    /// `run.replications`: independent runs with seeds derived from `seed`, pooled (default 1).
    pub replications: u32,
    /// `slo.target`: the fraction of good requests to reach; a request is good when it
    /// succeeds within the spec's `slo_latency`. Give both or neither.
    pub slo_target: Option<f64>,
    /// Component costs (`cost_per_hour` keys), for the cost figures.
    pub costs: Vec<ComponentCost>,
    /// `run.memory_limit` in bytes: the memory budget (default: what the machine has free).
    pub memory_limit: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            name: "model".to_string(),
            seed: 1,
            replications: 1,
            slo_target: None,
            costs: Vec::new(),
            memory_limit: None,
        }
    }
}

impl Options {
    /// The defaults: name `model`, seed 1, one replication, no SLO, no costs.
    pub fn new() -> Self {
        Options::default()
    }

    /// The options a scenario file gives (its name, seed, replications, SLO target, costs):
    /// `simulate(&s.spec, &Options::of(&s))` is `s.run()`.
    pub fn of(scenario: &Scenario) -> Self {
        Options {
            name: scenario.name.clone(),
            seed: scenario.seed,
            replications: scenario.replications,
            slo_target: scenario.slo.map(|s| s.target),
            costs: scenario.costs.clone(),
            memory_limit: scenario
                .memory
                .as_ref()
                .filter(|m| m.budget.source == crate::scenario::BudgetSource::Limit)
                .map(|m| m.budget.bytes),
        }
    }

    /// Sets the name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of replications.
    pub fn replications(mut self, n: u32) -> Self {
        self.replications = n;
        self
    }

    /// Sets the SLO target (the spec gives its latency).
    pub fn slo_target(mut self, target: f64) -> Self {
        self.slo_target = Some(target);
        self
    }

    /// Sets the memory budget in bytes (`run.memory_limit`).
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Sets the component costs.
    pub fn costs(mut self, costs: Vec<ComponentCost>) -> Self {
        self.costs = costs;
        self
    }
}

/// Why [`simulate`] gave no report.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The options do not fit the model (what is wrong).
    Options(String),
    /// The model needs more memory than the budget (the estimate and the key that costs most).
    Memory(String),
    /// The model could not be built, overloaded (see [`RunError::is_overload`]), or gave an
    /// inconsistent result.
    Run(RunError),
    /// The result could not be written as JSON.
    Json(ResultError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Options(m) | Error::Memory(m) => f.write_str(m),
            Error::Run(e) => write!(f, "{e}"),
            Error::Json(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

/// The result of [`simulate`]: every figure the command prints (it dereferences to the
/// [`SimResult`]), its summary and its JSON.
#[derive(Clone, Debug)]
pub struct Report {
    result: SimResult,
}

impl Report {
    /// The human summary, as `simulate FILE.toml` prints it.
    pub fn summary_text(&self) -> String {
        self.result.summary()
    }

    /// The full result as JSON, as `simulate FILE.toml --json PATH` writes it.
    pub fn to_json(&self) -> Result<String, Error> {
        self.result.to_json().map_err(Error::Json)
    }

    /// The figures.
    pub fn result(&self) -> &SimResult {
        &self.result
    }

    /// The figures, owned.
    pub fn into_result(self) -> SimResult {
        self.result
    }
}

impl std::ops::Deref for Report {
    type Target = SimResult;
    fn deref(&self) -> &SimResult {
        &self.result
    }
}

/// Runs `spec` with `options` (replications in parallel, pooled in order) and returns what
/// the `simulate` command would print and write for the same model in a scenario file: the
/// same seed gives the same figures, byte for byte.
pub fn simulate(spec: &Spec, options: &Options) -> Result<Report, Error> {
    if options.replications == 0 || i64::from(options.replications) > MAX_REPLICATIONS {
        return Err(Error::Options(format!(
            "replications must be between 1 and {MAX_REPLICATIONS}, got {}",
            options.replications
        )));
    }
    let slo = match (spec.slo_latency, options.slo_target) {
        (Some(latency), Some(target)) if (0.0..=1.0).contains(&target) => Some(SloSpec {
            latency_ms: latency.as_millis_f64(),
            target,
        }),
        (Some(_), Some(target)) => {
            return Err(Error::Options(format!(
                "the SLO target must be between 0 and 1, got {target}"
            )))
        }
        (None, None) => None,
        (Some(_), None) => return Err(Error::Options(
            "the spec has an SLO latency but the options give no SLO target (Options::slo_target)"
                .into(),
        )),
        (None, Some(_)) => return Err(Error::Options(
            "an SLO target needs the spec's SLO latency (Spec::builder(..).slo_latency(\"200ms\"))"
                .into(),
        )),
    };
    let mut scenario = Scenario {
        name: options.name.clone(),
        description: None,
        file: options.name.clone(),
        seed: options.seed,
        replications: options.replications,
        slo,
        spec: spec.clone(),
        costs: options.costs.clone(),
        memory: None,
        growth: None,
    };
    scenario
        .plan_memory(options.memory_limit)
        .map_err(Error::Memory)?;
    let result = scenario.run().map_err(Error::Run)?;
    Ok(Report { result })
}
