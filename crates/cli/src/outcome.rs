//! What the multi-run commands (compare, sweep, suites, capacity) carry between running and
//! reporting: one scenario's outcome, and a swept key with its values. Both `multi` and
//! `report` use these, so neither depends on the other's internals.

use archsim_stats::SimResult;

/// One run's outcome: a result, or why the architecture could not keep up (overload).
pub(crate) type Outcome = Result<SimResult, String>;

/// A swept key and its values.
pub(crate) struct Axis {
    pub key: String,
    pub values: Vec<String>,
}
