//! The second layer: raw values checked into a typed [`Spec`], every problem collected with
//! its span.
//!
//! [`check`] runs the parts in a fixed order (the order problems are found in, which the
//! sort by position in the file keeps for problems at one place): `[run]` and `[slo]`, the
//! network, every component, the call cycle, `[traffic]`, the regions in use, the faults,
//! the alert rules, and last the checks of the whole (no components, too many series buckets, a closed loop
//! that can never finish).

mod alerts;
mod autoscale;
mod ck;
mod components;
mod faults;
mod kinds;
mod memory;
mod network;
mod ops;
mod resilience;
mod run;
mod traffic;

use crate::raw::*;
use archsim_engine::SimTime;
use archsim_models::{OpsSpec, Spec};
use archsim_stats::SloSpec;
use ck::Ck;
use std::ops::Range;

/// A problem at a byte range of the (possibly overridden) text.
#[derive(Clone, Debug)]
pub struct Problem {
    pub span: Range<usize>,
    pub message: String,
}

/// The checked scenario, before it gets its file name.
pub struct Checked {
    pub name: Option<String>,
    pub description: Option<String>,
    pub seed: u64,
    pub replications: u32,
    pub slo: Option<SloSpec>,
    pub spec: Spec,
}

/// A call reference between components: (from, to, where it is written).
type Edge = (usize, usize, Range<usize>);

/// Component name -> index, so that resolving a reference is not a scan of every name (a
/// check of 50,000 components referring to others would be quadratic).
type NameIndex<'a> = std::collections::HashMap<&'a str, usize>;

/// Longest run (and longest restart, failover step or deploy step): one of the limits that
/// keep a run's memory and time bounded.
pub const MAX_DURATION: SimTime = SimTime::from_secs(30 * 24 * 3600);
/// Default limit of requests live at once (about 100 bytes each).
pub const DEFAULT_MAX_IN_FLIGHT: u64 = archsim_models::DEFAULT_MAX_IN_FLIGHT;
/// Most series buckets a run may have.
pub const MAX_SERIES_BUCKETS: u64 = 1_000_000;
/// Most replications.
pub const MAX_REPLICATIONS: i64 = 10_000;
/// Most instances of one component ([`archsim_models::MAX_INSTANCES`]).
pub const MAX_INSTANCES: i64 = archsim_models::MAX_INSTANCES as i64;
/// Most closed-loop users ([`archsim_models::MAX_USERS`]).
pub const MAX_USERS: i64 = archsim_models::MAX_USERS as i64;
/// Highest arrival rate per second ([`archsim_models::MAX_RATE_PER_S`]).
pub const MAX_RATE: f64 = archsim_models::MAX_RATE_PER_S;

/// The keys a component of `kind` takes beyond `kind`, `instances`, `balance`,
/// `description` and the operational keys; `None` for an unknown kind.
pub fn kind_keys(kind: &str) -> Option<&'static [&'static str]> {
    kinds::find(kind).map(|k| k.keys)
}

/// What every part may look up: the raw scenario, the component names and their index, and
/// the request classes.
struct Scope<'a> {
    raw: &'a RawScenario,
    /// Component names, in the order written.
    names: Vec<&'a String>,
    index: NameIndex<'a>,
    /// The request classes (`default` when `[traffic]` names none).
    classes: Vec<String>,
    /// The machine types (the catalogue and `[machines]`), when some component names one.
    machines: indexmap::IndexMap<String, archsim_models::Machine>,
    /// Some endpoint gives its messages a size (so links carry bytes, and a machine's
    /// network bandwidth applies).
    sized: bool,
}

impl<'a> Scope<'a> {
    fn new(raw: &'a RawScenario) -> Self {
        let names: Vec<&String> = raw.components.keys().collect();
        // Name -> index, so resolving each call's target is not a scan of every name (a check
        // of 50,000 callers of one component would be quadratic).
        let index: NameIndex = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let class_names: Vec<String> = if raw
            .traffic
            .as_ref()
            .is_some_and(|t| !t.get_ref().classes.is_empty())
        {
            raw.traffic
                .as_ref()
                .unwrap()
                .get_ref()
                .classes
                .keys()
                .cloned()
                .collect()
        } else {
            vec!["default".to_string()]
        };
        let sized = raw.components.values().any(|c| {
            c.get_ref().endpoints.as_ref().is_some_and(|e| {
                e.values().any(|e| {
                    let e = e.get_ref();
                    e.request_size.is_some() || e.response_size.is_some()
                })
            })
        });
        Scope {
            raw,
            names,
            index,
            classes: class_names,
            machines: Default::default(),
            sized,
        }
    }

    /// The instances of component `name` at the least (for fanout checks and fault targets),
    /// `None` when there is no such component.
    fn instances_of(&self, name: &str) -> Option<u32> {
        self.raw.components.get(name).map(|c| {
            let c = c.get_ref();
            // An autoscaled component may scale in to its `min`.
            if let Some(a) = &c.autoscale {
                let min = a.get_ref().min.as_ref().map_or(1, |m| *m.get_ref());
                return min.clamp(1, MAX_INSTANCES) as u32;
            }
            // A database with replicas: the primary is instance 0, the replicas 1..=N.
            if let Some(r) = &c.replicas {
                return (*r.get_ref()).clamp(0, MAX_INSTANCES - 1) as u32 + 1;
            }
            c.instances
                .as_ref()
                .or(c.shards.as_ref())
                .map(|i| (*i.get_ref()).clamp(1, MAX_INSTANCES) as u32)
                .unwrap_or(1)
        })
    }

    /// The kind written for component `name`, if any.
    fn kind_of(&self, name: &str) -> Option<&'a str> {
        self.raw
            .components
            .get(name)
            .and_then(|c| c.get_ref().kind.as_ref().map(|k| k.get_ref().as_str()))
    }
}

/// Checks a scenario, collecting every problem.
pub fn check(raw: RawScenario, doc_len: usize) -> Result<Checked, Vec<Problem>> {
    let mut ck = Ck::new(doc_len);
    let top = ck.top.clone();
    let run = run::check_run(&mut ck, &raw);
    let (slo, slo_latency) = run::check_slo(&mut ck, &raw);
    let network = network::latency(&mut ck, &raw);
    // components (checked before traffic so references can be resolved)
    let mut scope = Scope::new(&raw);
    if !raw.machines.is_empty()
        || raw
            .components
            .values()
            .any(|c| c.get_ref().machine.is_some())
    {
        let (machines, problems) = crate::machines::table(&raw);
        ck.problems.extend(problems);
        scope.machines = machines;
    }
    let mut ops = OpsSpec::default();
    let known_pairs = network::region_matrix(&mut ck, &raw, &mut ops);
    let (comps, edges) = components::check_all(&mut ck, &scope, &mut ops);
    components::cycle(&mut ck, &scope.names, &edges);
    let traffic = traffic::check(&mut ck, &scope);
    let regions = network::regions(&mut ck, &raw, &mut ops, &known_pairs);
    let faults = faults::check(&mut ck, &scope, &ops, &regions);

    if raw.components.is_empty() {
        ck.err(
            top.clone(),
            "no components; add at least one, e.g. [components.app] with kind = \"service\"",
        );
    }

    let drain = run.drain.unwrap_or(SimTime::from_secs(60));
    run::series_buckets(&mut ck, &run, drain);
    let duration = run.duration.as_ref().map(|d| d.0);
    let span_ns = duration
        .unwrap_or(SimTime::ZERO)
        .saturating_add(drain)
        .as_nanos();
    let alerts = alerts::check(&mut ck, &scope, slo.as_ref(), duration, span_ns);

    if !ck.problems.is_empty() {
        return Err(ck.problems);
    }
    let (duration, _) = run.duration.expect("checked");
    let spec = Spec {
        duration,
        warmup: run.warmup,
        drain,
        series_interval: run.interval,
        max_in_flight: run.max_in_flight,
        max_backlog: u64::MAX,
        slo_latency,
        traffic: traffic.expect("checked"),
        network_latency: network,
        components: comps,
        faults,
        ops,
        alerts,
        breakdown: raw
            .run
            .as_ref()
            .and_then(|r| r.get_ref().breakdown.as_ref())
            .is_none_or(|b| *b.get_ref()),
        // Set by `simulate --metrics`; a scenario has no key for it.
        instance_series: false,
    };
    if let Some(why) = crate::stall::proof(&spec) {
        // At the think time, else the users (think defaults to 0).
        let at = raw
            .traffic
            .as_ref()
            .and_then(|t| {
                let t = t.get_ref();
                (t.think.as_ref().map(|v| v.span())).or_else(|| t.users.as_ref().map(|u| u.span()))
            })
            .unwrap_or(top.clone());
        ck.err(at, why);
        return Err(ck.problems);
    }
    // The check refuses, with a place, everything the model's own rules refuse; a spec it
    // accepts always validates (a test and the fuzz loop hold the two to it).
    debug_assert!(
        spec.validate().is_ok(),
        "check accepted a spec the model refuses: {:?}",
        spec.validate()
    );
    Ok(Checked {
        name: raw.name.map(|n| n.into_inner()),
        description: raw.description,
        seed: run.seed,
        replications: run.replications,
        slo,
        spec,
    })
}
