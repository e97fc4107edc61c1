//! Helpers for the kinds' unit tests: run a model built in code and read what a component
//! reports (its counters, its declared figures) and the run's errors by reason.

use crate::Spec;
use archsim_stats::{ComponentStats, RunStats};

/// Runs `spec` with `seed`; the run must succeed and its accounting hold.
pub(super) fn run(spec: &Spec, seed: u64) -> RunStats {
    let stats = crate::run(spec, seed).expect("the model runs");
    assert!(
        stats.accounting_holds(),
        "generated = succeeded + failed + in flight"
    );
    stats
}

/// The figures of component `name`.
pub(super) fn comp<'a>(stats: &'a RunStats, name: &str) -> &'a ComponentStats {
    stats
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component `{name}`"))
}

/// Counter `name` of component `c`, which must report it.
pub(super) fn counter(c: &ComponentStats, name: &str) -> u64 {
    c.counters
        .get(name)
        .unwrap_or_else(|| panic!("`{}` reports no `{name}`: {:?}", c.name, c.counters))
}

/// The value of scalar figure `name` that component `c` declares, computed from its
/// counters as the result does (`None` when undefined).
pub(super) fn figure(c: &ComponentStats, name: &str) -> Option<f64> {
    let mut inputs = c.counters.clone();
    inputs.merge(&c.inputs);
    let f = c
        .figures
        .scalars()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("`{}` declares no figure `{name}`", c.name));
    f.value(&inputs, c.window_ns as f64 / 1e9)
        .unwrap_or_else(|| panic!("figure `{name}` of `{}` is left out", c.name))
}

/// Measured requests that failed with `reason`.
pub(super) fn errors(stats: &RunStats, reason: &str) -> u64 {
    match stats.reasons.iter().position(|r| r == reason) {
        Some(i) => stats.overall.errors.get(i).copied().unwrap_or(0),
        None => 0,
    }
}

/// Mean latency of the measured successful requests, in ms.
pub(super) fn mean_ms(stats: &RunStats) -> f64 {
    stats
        .overall
        .latency
        .mean_ms()
        .expect("some request succeeded")
}
