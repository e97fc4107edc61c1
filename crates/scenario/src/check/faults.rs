//! `[[faults]]`: when each fault starts and how long it lasts, what it targets (a component, one
//! instance, a region, or the traffic), the keys each fault kind takes, and its kind.

use super::ck::{list, one_of, Ck};
use super::network::ComponentRegions;
use super::{Scope, MAX_DURATION, MAX_INSTANCES};
use archsim_engine::SimTime;
use archsim_models::{FaultKind, FaultSpec, OpsSpec, MAX_SHARDS};
use std::ops::Range;

/// A fault key, where it is written, and the fault kinds it applies to.
type KeyKinds<'a> = (&'a str, Option<Range<usize>>, &'a [&'a str]);

/// The length of a crash without `for` (a component with `restart` comes back before).
const FOREVER: SimTime = SimTime::from_secs(100 * 365 * 24 * 3600);

/// Fault kinds, in the order the checker matches them.
const FAULT_KINDS: &[&str] = &[
    "crash",
    "slow",
    "reshard",
    "partition",
    "latency",
    "region",
    "deploy",
    "spike",
    "leak",
];

/// Checks every fault; `ops` tells which components restart (a crash of one may leave out
/// `for`), `regions` which regions a region fault may target.
pub(super) fn check(
    ck: &mut Ck,
    scope: &Scope<'_>,
    ops: &OpsSpec,
    regions: &ComponentRegions,
) -> Vec<FaultSpec> {
    let (raw, names, index_of) = (scope.raw, &scope.names, &scope.index);
    let instances_of = |name: &str| scope.instances_of(name);
    let (component_regions, component_region_set) = (&regions.list, &regions.set);
    let top = ck.top.clone();
    // Components an orchestrator restarts (a crash of one may leave out `for`).
    let restarted: std::collections::HashSet<&str> = ops
        .components
        .iter()
        .filter(|(_, o)| o.restart.is_some())
        .map(|(c, _)| c.as_str())
        .collect();
    let mut faults = Vec::new();
    for f in &raw.faults {
        let span = f.span();
        let r = f.get_ref();
        let kind_name = r.kind.as_ref().map(|k| k.get_ref().as_str()).unwrap_or("");
        let at = match &r.at {
            None => {
                ck.err(
                    span.clone(),
                    "a fault needs `at`, when it starts, e.g. at = \"5m\"",
                );
                None
            }
            Some(v) => ck.duration(v, "faults.at"),
        };
        // The component named by the target, for checks that depend on it.
        let target_comp = r.target.as_ref().map(|t| {
            let text = t.get_ref().trim();
            text.split_once('[')
                .map_or(text, |(n, _)| n.trim())
                .to_string()
        });
        let restarts = kind_name == "crash"
            && target_comp
                .as_ref()
                .is_some_and(|n| restarted.contains(n.as_str()));
        let duration = match &r.for_ {
            None if kind_name == "deploy" => Some(SimTime::ZERO),
            None if restarts => Some(FOREVER),
            None => {
                ck.err(
                    span.clone(),
                    "a fault needs `for`, how long it lasts, e.g. for = \"30s\" (a crash of a component with `restart` may leave it out)",
                );
                None
            }
            Some(v) => {
                if kind_name == "deploy" {
                    ck.err(v.span(), "a deploy takes as long as its batches take; drop `for` (see `batch`, `start_up`, `drain`)");
                }
                ck.duration(v, "faults.for")
            }
        };
        let is_spike = r.kind.as_ref().is_some_and(|k| k.get_ref() == "spike");
        let target = match &r.target {
            None if is_spike => Some(("traffic".to_string(), None)),
            Some(t) if is_spike => {
                if t.get_ref().trim() != "traffic" {
                    ck.err(t.span(), format!("a spike multiplies the traffic; write target = \"traffic\" or leave it out (got `{}`)", t.get_ref()));
                }
                Some(("traffic".to_string(), None))
            }
            None => {
                ck.err(
                    span.clone(),
                    "a fault needs `target`, a component (\"db\") or one instance (\"app[2]\")",
                );
                None
            }
            Some(t) if kind_name == "region" => {
                if component_region_set.contains(t.get_ref()) {
                    Some((t.get_ref().clone(), None))
                } else {
                    ck.err(t.span(), format!("a region fault's target is a region; no component is in region `{}`; regions of components: {}", t.get_ref(), if component_regions.is_empty() { "none (set `region` on components)".to_string() } else { component_regions.join(", ") }));
                    None
                }
            }
            Some(t) => {
                let text = t.get_ref().trim();
                let (name, instance, ok) = match text.split_once('[') {
                    Some((n, rest)) => match rest
                        .strip_suffix(']')
                        .and_then(|i| i.trim().parse::<u32>().ok())
                    {
                        Some(i) => (n.trim(), Some(i), true),
                        None => (n.trim(), None, false),
                    },
                    None => (text, None, true),
                };
                if !ok {
                    ck.err(t.span(), format!("fault target `{text}`: write a component name, or name[index] for one instance"));
                    None
                } else {
                    match (index_of.get(name), instance) {
                        (None, _) => {
                            ck.err(
                                t.span(),
                                format!(
                                    "fault target `{name}` is not a component; components are: {}",
                                    list(names)
                                ),
                            );
                            None
                        }
                        (Some(_), Some(i)) if i >= instances_of(name).unwrap_or(1) => {
                            ck.err(t.span(), format!("fault target `{text}`: `{name}` has {} instances, numbered from 0", instances_of(name).unwrap_or(1)));
                            None
                        }
                        (Some(_), Some(_))
                            if matches!(kind_name, "partition" | "latency" | "deploy") =>
                        {
                            ck.err(t.span(), format!("a {kind_name} fault applies to a whole component; target `{name}`, not one instance"));
                            None
                        }
                        (Some(_), i) => Some((name.to_string(), i)),
                    }
                }
            }
        };
        // keys that belong to some kinds only
        let only: [KeyKinds; 11] = [
            (
                "per_request",
                r.per_request.as_ref().map(|v| v.span()),
                &["leak"],
            ),
            (
                "per_second",
                r.per_second.as_ref().map(|v| v.span()),
                &["leak"],
            ),
            ("rate", r.rate.as_ref().map(|v| v.span()), &["leak"]),
            ("to", r.to.as_ref().map(|v| v.span()), &["reshard"]),
            (
                "factor",
                r.factor.as_ref().map(|v| v.span()),
                &["slow", "reshard", "spike"],
            ),
            (
                "peer",
                r.peer.as_ref().map(|v| v.span()),
                &["partition", "latency"],
            ),
            ("mode", r.mode.as_ref().map(|v| v.span()), &["partition"]),
            ("add", r.add.as_ref().map(|v| v.span()), &["latency"]),
            ("batch", r.batch.as_ref().map(|v| v.span()), &["deploy"]),
            (
                "start_up",
                r.start_up.as_ref().map(|v| v.span()),
                &["deploy"],
            ),
            ("drain", r.drain.as_ref().map(|v| v.span()), &["deploy"]),
        ];
        if r.kind.is_some() && FAULT_KINDS.contains(&kind_name) {
            for (key, sp, kinds) in only {
                if let Some(sp) = sp {
                    if !kinds.contains(&kind_name) {
                        ck.err(
                            sp,
                            format!("`{key}` applies only to a {} fault", kinds.join(" or ")),
                        );
                    }
                }
            }
        }
        let peer = r.peer.as_ref().and_then(|p| {
            if !index_of.contains_key(p.get_ref().as_str()) {
                ck.err(
                    p.span(),
                    format!(
                        "fault peer `{}` is not a component; components are: {}",
                        p.get_ref(),
                        list(names)
                    ),
                );
                None
            } else if target_comp.as_deref() == Some(p.get_ref().as_str()) {
                ck.err(
                    p.span(),
                    "a fault's peer must be another component than its target",
                );
                None
            } else {
                Some(p.get_ref().clone())
            }
        });
        let kind = match &r.kind {
            None => {
                ck.err(
                    span.clone(),
                    format!("a fault needs `kind`: {}", FAULT_KINDS.join(", ")),
                );
                None
            }
            Some(k) if k.get_ref() == "reshard" => {
                let target_ok = match &target {
                    Some((name, None)) => {
                        let c = raw.components.get(name).map(|c| c.get_ref());
                        let sharded = c.is_some_and(|c| c.shards.is_some() || c.sharding.is_some());
                        if !sharded {
                            ck.err(k.span(), format!("a reshard needs a sharded database (`shards = N`); `{name}` is not one"));
                        }
                        sharded
                    }
                    Some((name, Some(_))) => {
                        ck.err(k.span(), format!("a reshard moves a whole component; target `{name}`, not one instance"));
                        false
                    }
                    None => false,
                };
                let to = match &r.to {
                    None => {
                        ck.err(
                            span.clone(),
                            "a reshard needs `to`, the number of shards after the move",
                        );
                        None
                    }
                    Some(t) => ck.int(t, "faults.to", 1, i64::from(MAX_SHARDS)),
                };
                let factor = match &r.factor {
                    None => Some(1.5),
                    Some(f) => ck.float(f, "faults.factor", 0.0, 1000.0, true),
                };
                match (target_ok, to, factor) {
                    (true, Some(to), Some(factor)) => Some(FaultKind::Reshard {
                        to: to as u32,
                        factor,
                    }),
                    _ => None,
                }
            }
            Some(k) if is_spike => {
                match &r.factor {
                    None => {
                        ck.err(span.clone(), "a spike needs `factor`, the multiplier on the traffic, e.g. factor = 3.0");
                        None
                    }
                    Some(f) => ck
                        .float(f, "faults.factor", 0.0, 1000.0, true)
                        .map(FaultKind::Spike)
                        .filter(|_| k.get_ref() == "spike"),
                }
            }
            Some(k) => match one_of(k, FAULT_KINDS) {
                Ok(0) => Some(FaultKind::Crash),
                Ok(1) => match &r.factor {
                    None => {
                        ck.err(span.clone(), "a slow fault needs `factor`, the multiplier on CPU times, e.g. factor = 3.0");
                        None
                    }
                    Some(f) => ck
                        .float(f, "faults.factor", 0.0, 1000.0, true)
                        .map(FaultKind::Slow),
                },
                Ok(3) => {
                    let drop = match &r.mode {
                        None => Some(false),
                        Some(m) => match one_of(m, &["fail", "drop"]) {
                            Ok(i) => Some(i == 1),
                            Err(e) => {
                                ck.err(m.span(), format!("faults.mode: {e}"));
                                None
                            }
                        },
                    };
                    if r.peer.is_none() {
                        ck.err(
                            span.clone(),
                            "a partition needs `peer`, the component cut off from the target",
                        );
                    }
                    match (peer.clone(), drop) {
                        (Some(peer), Some(drop)) => Some(FaultKind::Partition { peer, drop }),
                        _ => None,
                    }
                }
                Ok(4) => {
                    let add = match &r.add {
                        None => {
                            ck.err(span.clone(), "a latency fault needs `add`, the extra delay on calls to the target, e.g. add = \"200ms\"");
                            None
                        }
                        Some(a) => ck.dist(a, "faults.add"),
                    };
                    match (add, r.peer.is_none() || peer.is_some()) {
                        (Some(add), true) => Some(FaultKind::Latency {
                            add,
                            peer: peer.clone(),
                        }),
                        _ => None,
                    }
                }
                Ok(5) => Some(FaultKind::Region),
                Ok(6) => {
                    let batch = match &r.batch {
                        None => Some(1),
                        Some(b) => ck.int(b, "faults.batch", 1, MAX_INSTANCES),
                    };
                    let start_up = match &r.start_up {
                        None => {
                            ck.err(span.clone(), "a deploy needs `start_up`, the time a new instance takes before it serves, e.g. start_up = \"30s\"");
                            None
                        }
                        Some(v) => ck.duration(v, "faults.start_up"),
                    };
                    let drain = match &r.drain {
                        None => Some(SimTime::from_secs(30)),
                        Some(v) => ck.duration(v, "faults.drain"),
                    };
                    match (batch, start_up, drain) {
                        (Some(b), Some(start_up), Some(drain))
                            if start_up <= MAX_DURATION && drain <= MAX_DURATION =>
                        {
                            Some(FaultKind::Deploy {
                                batch: b as u32,
                                start_up,
                                drain,
                            })
                        }
                        (Some(_), Some(_), Some(_)) => {
                            ck.err(
                                span.clone(),
                                "a deploy's start_up and drain must be at most 30 days",
                            );
                            None
                        }
                        _ => None,
                    }
                }
                Ok(8) => leak(ck, r, &span, raw, target.as_ref()),
                Ok(_) => None, // reshard, handled above
                Err(m) => {
                    ck.err(k.span(), format!("faults.kind: {m}"));
                    None
                }
            },
        };
        if let (Some(at), Some(duration), Some((target, instance)), Some(kind)) =
            (at, duration, target, kind)
        {
            faults.push(FaultSpec {
                at,
                duration,
                target,
                instance,
                kind,
            });
        }
    }
    if raw.faults.len() > 10_000 {
        ck.err(top.clone(), "at most 10000 faults");
    }
    faults
}

/// A `leak` fault: `per_request` (a size leaked by each call arriving) and a growth per
/// second, as `per_second` (a size) or `rate` (a rate such as "5MiB/s"), on a component that
/// has a memory model.
fn leak(
    ck: &mut Ck,
    r: &crate::raw::RawFault,
    span: &Range<usize>,
    raw: &crate::raw::RawScenario,
    target: Option<&(String, Option<u32>)>,
) -> Option<FaultKind> {
    if let Some((name, _)) = target {
        let c = raw.components.get(name).map(|c| c.get_ref());
        let has_memory = c.is_some_and(|c| {
            c.memory.is_some() || c.memory_base.is_some() || c.memory_per_request.is_some()
        });
        if !has_memory {
            ck.err(
                r.target.as_ref().map_or(span.clone(), |t| t.span()),
                format!("a leak grows the memory of `{name}`, which has none; give it `memory` (e.g. memory = \"4GiB\")"),
            );
            return None;
        }
    }
    let per_request = r
        .per_request
        .as_ref()
        .and_then(|v| super::memory::size(ck, v, "faults.per_request"));
    let per_second = match (&r.per_second, &r.rate) {
        (Some(_), Some(v)) => {
            ck.err(
                v.span(),
                "a leak grows by `per_second` or by `rate`, not both",
            );
            None
        }
        (Some(v), None) => super::memory::size(ck, v, "faults.per_second").map(|b| b as f64),
        (None, Some(v)) => match archsim_models::parse_rate(v.get_ref()) {
            Ok(b) if b.is_finite() && b <= archsim_models::MAX_MEMORY_BYTES as f64 => Some(b),
            Ok(_) => {
                ck.err(v.span(), "faults.rate must be at most 64TiB/s");
                None
            }
            Err(e) => {
                ck.err(
                    v.span(),
                    format!(
                        "faults.rate: {} (got \"{}\"); write a growth like \"5MiB/s\"",
                        e.message,
                        v.get_ref()
                    ),
                );
                None
            }
        },
        (None, None) => Some(0.0),
    };
    if r.per_request.is_none() && r.per_second.is_none() && r.rate.is_none() {
        ck.err(
            span.clone(),
            "a leak needs `per_request` (e.g. \"200KiB\" per call) or a growth per second (`rate = \"5MiB/s\"` or `per_second = \"5MiB\"`)",
        );
        return None;
    }
    let (per_request, per_second) = (
        per_request.or(r.per_request.is_none().then_some(0))?,
        per_second?,
    );
    if per_request == 0 && per_second == 0.0 {
        ck.err(
            span.clone(),
            "a leak of 0 bytes leaks nothing; give `per_request` or a growth per second above 0",
        );
        return None;
    }
    Some(FaultKind::Leak {
        per_request,
        per_second,
    })
}
