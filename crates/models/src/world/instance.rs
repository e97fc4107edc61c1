//! What every component and every instance has, whatever its kind: the component's name,
//! routing state, random stream, instances and per-bucket call counts; an instance's
//! outstanding calls and whether it is up, slowed or in rotation.

use super::*;

/// What every instance has, whatever its kind: calls outstanding, and whether it is up,
/// slowed or in rotation. A kind keeps its own per-instance state (a service's cores and
/// waiting rooms, a cache's key store) in its own state.
pub(in crate::world) struct Inst {
    /// Calls sent to this instance and not yet replied (what balancers look at).
    pub(in crate::world) outstanding: u32,
    /// Crashed: every call to it fails at once.
    pub(in crate::world) down: bool,
    /// Factor on every CPU time drawn: the product of the active `slow` faults.
    pub(in crate::world) slow: f64,
    /// Active slow factors, and active crash faults (faults may overlap).
    pub(in crate::world) slows: Vec<f64>,
    pub(in crate::world) crashes: u32,
    /// Calls answered.
    pub(in crate::world) served: u64,
    /// Taken out of rotation by a rolling deployment: callers choose other instances.
    pub(in crate::world) out: bool,
    /// Down for a deployment's start-up.
    pub(in crate::world) deploying: bool,
    /// Active region outages covering this instance.
    pub(in crate::world) region_down: u32,
    /// When an orchestrator restart is due (0: none).
    pub(in crate::world) restart_at: u64,
}

pub(in crate::world) struct Comp {
    pub(in crate::world) name: String,
    pub(in crate::world) kind: String,
    pub(in crate::world) balance: Policy,
    pub(in crate::world) rr: u32,
    /// Consistent-hashing ring over the active instances: (point, instance), sorted.
    pub(in crate::world) ring: Vec<(u64, u32)>,
    /// Instances that callers spread over (fewer than allocated before a reshard ends).
    pub(in crate::world) active: u32,
    /// A reshard in progress: (start ns, end ns, shards after, ring after).
    pub(in crate::world) reshard: Option<(u64, u64, u32, Ring)>,
    pub(in crate::world) rng: Stream,
    pub(in crate::world) insts: Vec<Inst>,
    pub(in crate::world) body: Body,
    pub(in crate::world) served: u64,
    pub(in crate::world) rejected: u64,
    /// Calls failed because an instance was down (refused, or lost in a crash).
    pub(in crate::world) unavailable: u64,
    /// Orchestrator restart delay (ns).
    pub(in crate::world) restart: Option<u64>,
    /// Region index, or `NO_REGION`.
    pub(in crate::world) region: u8,
    /// Changes of the number of live instances (time, live), when faults touch the component.
    pub(in crate::world) live_changes: Option<Vec<(u64, u32)>>,
    /// Per series bucket: calls that reached the component, and calls that failed there.
    pub(in crate::world) calls_per: Vec<u64>,
    pub(in crate::world) errors_per: Vec<u64>,
    /// Its memory model, if it has one (see [`heap`](super::heap)).
    pub(in crate::world) heap: Option<Box<heap::Heap>>,
    /// A plain service (see `Svc::plain`) without a memory model: an arriving call goes
    /// straight to core admission. Fixed at build, like the next.
    pub(in crate::world) plain: bool,
    /// Its kind acts when it answers a call without error (`Kind::acts_on_success`).
    pub(in crate::world) on_success: bool,
}

/// How the timeline and messages name instance `inst` of a component called `name` with `n`
/// instances: the name alone when it has one, else `name[inst]`.
pub(in crate::world) fn inst_label(name: &str, n: usize, inst: u32) -> String {
    if n == 1 {
        name.to_string()
    } else {
        format!("{name}[{inst}]")
    }
}

impl Inst {
    /// A slow fault of factor `x` starts: CPU times are the product of the active factors.
    pub(in crate::world) fn slow_down(&mut self, x: f64) {
        self.slows.push(x);
        self.slow = self.slows.iter().product();
    }
    /// A slow fault of factor `x` ends.
    pub(in crate::world) fn slow_end(&mut self, x: f64) {
        if let Some(k) = self.slows.iter().position(|f| *f == x) {
            self.slows.remove(k);
        }
        self.slow = self.slows.iter().product();
    }
}

impl Comp {
    /// Names instance `inst` (see [`inst_label`]).
    pub(in crate::world) fn label(&self, inst: u32) -> String {
        inst_label(&self.name, self.insts.len(), inst)
    }
}
