//! The guard against simulated time that cannot advance: how many events may pass at one
//! instant before a run counts as stalled, and the error that names the time, the
//! components caught in the loop and the likely cause.

use super::World;
use crate::spec::{Load, ModelError, Spec};
use archsim_engine::Simulation;

/// Events at one instant that end a run as stalled: far more than any real burst (every
/// closed-loop user starting at once, a spike's arrivals) yet a second or two of work.
pub(in crate::world) fn stall_budget(spec: &Spec) -> u64 {
    let users = match spec.traffic.load {
        Load::Closed { users, .. } => users as u64,
        Load::Open { .. } => 0,
    };
    10_000_000u64.saturating_add(users.saturating_mul(16))
}

/// Events followed after a stall to see which components take part in it.
const SAMPLE: u32 = 100_000;

/// Describes a stall at the current instant: runs a sample of further events and names
/// the components whose counts moved.
pub(in crate::world) fn stall(sim: &mut Simulation<World>, spec: &Spec, budget: u64) -> ModelError {
    let at = sim.now();
    let before = activity(sim.handler());
    for _ in 0..SAMPLE {
        if !sim.step() {
            break;
        }
    }
    let after = activity(sim.handler());
    let components: Vec<String> = sim
        .handler()
        .comps
        .iter()
        .zip(before.iter().zip(&after))
        .filter(|(_, (b, a))| a > b)
        .map(|(c, _)| c.name.clone())
        .collect();
    let cause = match &spec.traffic.load {
        Load::Closed { think, .. } if think.min_ns() == 0.0 => {
            "closed-loop users think for no time (traffic.think can be 0) and their way to a \
             reply takes no time either (no cpu, delay or network latency on it, or an \
             immediate refusal): give the think time a minimum above zero, or the path a \
             duration"
        }
        _ => {
            "a way to a reply that takes no time (no cpu, delay or network latency on it, or \
             an immediate refusal) feeding work back at the same instant: give the path a \
             duration"
        }
    };
    ModelError::Stalled {
        at,
        events: budget,
        components,
        cause: cause.to_string(),
    }
}

/// Per component, a count that moves whenever the component handles a call.
fn activity(w: &World) -> Vec<u64> {
    w.comps
        .iter()
        .map(|c| c.calls_per.iter().sum::<u64>() + c.served + c.rejected + c.unavailable)
        .collect()
}
