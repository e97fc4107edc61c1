//! `[components.*]`: each component's name, its kind (looked up in [`kinds::KINDS`]), the
//! keys that kind takes, its instances and balancing, what its kind says about it, and its
//! operational keys; then the one check that needs them all, that calls form no cycle.

use super::ck::{one_of, valid_name, Ck};
use super::kinds::{self, Comp, Placement};
use super::ops::check_ops;
use super::{Edge, Scope, LATER_KINDS, MAX_INSTANCES};
use archsim_models::{CompOps, ComponentSpec, OpsSpec, Policy};
use std::ops::Range;

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
    // Spans of each call reference, for cycle reports: (from, to, span)
    let mut edges: Vec<(usize, usize, Range<usize>)> = Vec::new();
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
            (Some(sh), Some(b)) => {
                ck.err(b.span(), format!("`{name}`: `sharding` already says how callers reach the shards; drop `balance`"));
                let _ = sh;
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
        if cops != CompOps::default() {
            ops.components.push((name.clone(), cops));
        }
        comps.push(ComponentSpec {
            name: name.clone(),
            instances: place.instances,
            balance,
            kind: kind_spec,
        });
    }
    (comps, edges)
}

/// Reports the first cycle of calls, if any, at the call that closes it.
pub(super) fn cycle(ck: &mut Ck, names: &[&String], edges: &[Edge]) {
    if let Some(cycle) = find_cycle(names.len(), edges) {
        let path: Vec<&str> = cycle.iter().map(|&(f, _, _)| names[f].as_str()).collect();
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

/// A cycle in the call edges, as the edges along it.
fn find_cycle(
    n: usize,
    edges: &[(usize, usize, Range<usize>)],
) -> Option<Vec<(usize, usize, Range<usize>)>> {
    // Out-edges per vertex, in the order given: the search visits them as a scan of the
    // edge list would, in time linear in vertices plus edges, with an explicit stack (a
    // chain of 50,000 calls must not overflow the thread's stack).
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        out[e.0].push(i);
    }
    let mut state = vec![0u8; n];
    // (vertex, next out-edge to try); `path[k]` is the edge that entered `stack[k + 1]`.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut path: Vec<usize> = Vec::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        stack.push((root, 0));
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            let Some(&e) = out[v].get(*next) else {
                state[v] = 2;
                stack.pop();
                path.pop();
                continue;
            };
            *next += 1;
            let to = edges[e].1;
            match state[to] {
                1 => {
                    path.push(e);
                    let pos = path.iter().position(|&i| edges[i].0 == to).unwrap_or(0);
                    return Some(path[pos..].iter().map(|&i| edges[i].clone()).collect());
                }
                0 => {
                    state[to] = 1;
                    path.push(e);
                    stack.push((to, 0));
                }
                _ => {}
            }
        }
    }
    None
}
