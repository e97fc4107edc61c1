//! `[components.*]`: each component's name, its kind (looked up in [`kinds::KINDS`]), the
//! keys that kind takes, its instances and balancing, what its kind says about it, and its
//! operational keys; then the one check that needs them all, that calls form no cycle.

use super::ck::{one_of, valid_name, Ck};
use super::kinds::{self, Comp, Placement};
use super::ops::check_ops;
use super::{Edge, Scope, MAX_INSTANCES};
use archsim_models::{cycle_in, CompOps, ComponentSpec, OpsSpec, Policy};

/// Kind names people reach for that are spelled another way here.
const LATER_KINDS: &[&str] = &["sharded"];

/// Checks every component, in the order written, into `ops` (their operational keys) and
/// the returned specs; also returns every call reference between them, for [`cycle`].
pub(super) fn check_all(
    ck: &mut Ck,
    scope: &Scope<'_>,
    ops: &mut OpsSpec,
) -> (Vec<ComponentSpec>, Vec<Edge>) {
    let raw = scope.raw;
    let kind_names = kinds::names();
    let mut comps: Vec<ComponentSpec> = Vec::new();
    // Every call reference, for the cycle check.
    let mut edges: Vec<Edge> = Vec::new();
    for (ci, (name, c)) in raw.components.iter().enumerate() {
        let span = c.span();
        let r = c.get_ref();
        if !valid_name(name) {
            ck.err(
                span.clone(),
                format!("component name `{name}` must be letters, digits, `_` or `-`"),
            );
        }
        let kind = match &r.kind {
            None => {
                ck.err(
                    span.clone(),
                    format!(
                        "component `{name}` needs `kind`; one of: {}",
                        kind_names.join(", ")
                    ),
                );
                continue;
            }
            Some(k) => {
                if LATER_KINDS.contains(&k.get_ref().as_str()) {
                    ck.err(
                        k.span(),
                        format!(
                            "there is no kind \"{}\": a sharded database is kind = \"database\" with `shards = N` (and `sharding = \"hash\" | \"range\" | \"consistent\"`)",
                            k.get_ref()
                        ),
                    );
                    continue;
                }
                match one_of(k, &kind_names) {
                    Ok(i) => &kinds::KINDS[i],
                    Err(m) => {
                        ck.err(k.span(), format!("component `{name}`: {m}"));
                        continue;
                    }
                }
            }
        };
        // keys that do not belong to this kind
        let allowed = kind.keys;
        for (key, sp) in r.present(&span) {
            if !allowed.contains(&key) {
                ck.err(
                    sp,
                    format!(
                        "`{key}` does not apply to a component of kind \"{}\" (`{name}`); its keys are: kind, instances, balance, {}",
                        kind.name,
                        allowed.join(", ")
                    ),
                );
            }
        }
        let instances = r
            .instances
            .as_ref()
            .and_then(|i| ck.int(i, &format!("components.{name}.instances"), 1, MAX_INSTANCES))
            .unwrap_or(1) as u32;
        let comp = Comp {
            name,
            raw: r,
            span,
            index: ci,
        };
        let mut place = Placement {
            instances,
            replicas: 0,
            global_targets: Vec::new(),
        };
        if let Some(count) = kind.place {
            count(ck, &comp, &mut place);
        }
        // `sharding` is read whatever the kind (a key that does not apply has been
        // reported above).
        let sharding = match (&r.sharding, &r.balance) {
            (Some(_), Some(b)) => {
                ck.err(b.span(), format!("`{name}`: `sharding` already says how callers reach the shards; drop `balance`"));
                None
            }
            (Some(sh), None) => match one_of(sh, &["hash", "range", "consistent"]) {
                Ok(i) => Policy::parse(["hash", "range", "consistent"][i]),
                Err(m) => {
                    ck.err(sh.span(), format!("components.{name}.sharding: {m}"));
                    None
                }
            },
            (None, _) if r.shards.is_some() => Some(Policy::Hash),
            _ => None,
        };
        let balance = match &r.balance {
            _ if sharding.is_some() => sharding.expect("checked"),
            None => Policy::RoundRobin,
            Some(b) => match one_of(b, Policy::NAMES) {
                Ok(i) => Policy::parse(Policy::NAMES[i]).expect("listed"),
                Err(m) => {
                    ck.err(b.span(), format!("components.{name}.balance: {m}"));
                    Policy::RoundRobin
                }
            },
        };
        let kind_spec = (kind.check)(ck, scope, &comp, &mut edges, &mut place);
        let cops = check_ops(ck, r, name, kind.name, place.replicas, place.global_targets);
        let memory = super::memory::check_memory(ck, r, name, kind.name);
        let machine = r.machine.as_ref().and_then(|m| machine(ck, scope, name, m));
        let (mut kind_spec, mut memory, mut cops) = (kind_spec, memory, cops);
        if let Some(m) = &machine {
            machine_limits(m, &mut kind_spec, &mut memory, &mut cops, scope.sized);
        }
        if let (archsim_models::KindSpec::Service(s), Some(a)) = (&kind_spec, &r.autoscale) {
            let on_memory = s
                .autoscale
                .as_ref()
                .is_some_and(|x| matches!(x.metric, archsim_models::ScaleMetric::Memory { .. }));
            if let (true, None, Some(m)) = (on_memory, &memory, &machine) {
                // Scaling on memory models it: the machine's memory, nothing held per call.
                memory = Some(archsim_models::MemorySpec {
                    capacity: Some(m.memory_bytes),
                    ..Default::default()
                });
            }
            if on_memory && memory.as_ref().is_none_or(|m| m.capacity.is_none()) {
                ck.err(
                    a.span(),
                    format!("`{name}`: autoscale on metric = \"memory\" needs the memory of an instance: set `memory` (e.g. memory = \"4GiB\") or a `machine`"),
                );
            }
        }
        if cops != CompOps::default() {
            ops.components.push((name.clone(), cops));
        }
        comps.push(ComponentSpec {
            name: name.clone(),
            instances: place.instances,
            balance,
            machine,
            kind: kind_spec,
            memory,
        });
    }
    (comps, edges)
}

/// A machine's limits where the model of that resource is on and the scenario leaves the
/// limit unset: an instance's memory capacity (when the component has memory keys), a
/// cache's byte budget `max_memory` (when its entries have an `entry_size`), its
/// link's bandwidth (when any message in the scenario has a size), and a database's disk
/// IOPS and throughput (when it has disk keys). A resource that is not modelled stays off,
/// so naming a machine changes only cores and cost.
fn machine_limits(
    m: &archsim_models::Machine,
    kind: &mut archsim_models::KindSpec,
    memory: &mut Option<archsim_models::MemorySpec>,
    cops: &mut CompOps,
    sized: bool,
) {
    if let Some(mem) = memory.as_mut() {
        mem.capacity.get_or_insert(m.memory_bytes);
    }
    if sized && cops.bandwidth.is_none() {
        cops.bandwidth = Some(m.network_bytes_per_s);
    }
    if let archsim_models::KindSpec::Cache(c) = kind {
        // A cache of sized entries holds them in the machine's memory.
        if c.entry_size.is_some() {
            c.max_memory.get_or_insert(m.memory_bytes);
        }
    }
    if let archsim_models::KindSpec::Service(s) = kind {
        if let Some(disk) = s.db.as_mut().and_then(|d| d.disk.as_mut()) {
            disk.iops.get_or_insert(m.disk_iops);
            disk.throughput.get_or_insert(m.disk_bytes_per_s);
        }
    }
}

/// The machine type `m` names, or a problem with the nearest name.
fn machine(
    ck: &mut Ck,
    scope: &Scope<'_>,
    name: &str,
    m: &toml::Spanned<String>,
) -> Option<archsim_models::Machine> {
    if let Some(found) = scope.machines.get(m.get_ref()) {
        return Some(found.clone());
    }
    let names = crate::machines::names(&scope.machines);
    let hint = match crate::suggest::nearest(m.get_ref(), &names) {
        Some(n) => format!("did you mean \"{n}\"? "),
        None => String::new(),
    };
    ck.err(
        m.span(),
        format!(
            "components.{name}.machine: no machine type \"{}\"; {hint}types are: {} (or define it in [machines.\"{}\"] with cores and cost_per_hour)",
            m.get_ref(),
            names.join(", "),
            m.get_ref()
        ),
    );
    None
}

/// Reports the first cycle of calls, if any, at the call that closes it.
pub(super) fn cycle(ck: &mut Ck, names: &[&String], edges: &[Edge]) {
    // Each component's call references, in the order written: the search tries them in
    // that order.
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for (i, e) in edges.iter().enumerate() {
        out[e.0].push(i);
    }
    let graph: Vec<Vec<usize>> = out
        .iter()
        .map(|es| es.iter().map(|&i| edges[i].1).collect())
        .collect();
    if let Some(found) = cycle_in(&graph) {
        let cycle: Vec<&Edge> = found.iter().map(|&(v, k)| &edges[out[v][k]]).collect();
        let path: Vec<&str> = cycle.iter().map(|&&(f, _, _)| names[f].as_str()).collect();
        let first = cycle[0].0;
        let span = cycle[cycle.len() - 1].2.clone();
        ck.err(
            span,
            format!(
                "calls form a cycle: {} -> {}; a request would never finish",
                path.join(" -> "),
                names[first]
            ),
        );
    }
}
