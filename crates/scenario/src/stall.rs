//! The static stall proof: a closed loop whose think time is always zero, with a way from the
//! entry to a reply that takes no simulated time for every class, can never let simulated
//! time advance (a user answered at once asks again at once). `check` refuses what this
//! proves; the run loop's stall guard catches the rest (issue 11 item 2).
//!
//! The proof is conservative: it says yes only when the way is certain to be repeatable at
//! one instant. A way takes no time when every hop is free (no network or region latency)
//! and every component on it answers at once: a service (or database, or gateway) without
//! CPU time whose call steps all answer at once, or one with a rate limit when there are more
//! users than the model's rate limits admit at one instant (every user asks at time 0, and
//! tokens refill only as time passes: the rest are rejected at once, again and again); a
//! load balancer whose target
//! answers at once; a queue whose publish takes no time; a component that a crash fault
//! takes down whole (from the crash on, calls to it fail at once, and the calls it held are
//! answered at the crash). Failures count only when
//! the client does not wait before retrying. Caches, custom kinds and calls with policies
//! are never taken to answer at once.

use archsim_engine::SimTime;
use archsim_models::{Dist, FaultKind, KindSpec, Load, Spec};
use std::collections::HashMap;

/// Whether every draw of `d` is zero.
fn always_zero(d: &Dist) -> bool {
    match d {
        Dist::Const(ns) => *ns == 0,
        Dist::Uniform { hi_ns, .. } => *hi_ns <= 0.0,
        Dist::Normal { mean_ns, sd_ns } => *sd_ns == 0.0 && *mean_ns <= 0.0,
        Dist::Mix(parts) => parts.iter().all(|(_, p)| always_zero(p)),
        _ => false,
    }
}

/// A way to a reply in no simulated time: the components passed, and why the last answers
/// at once.
struct Way {
    path: Vec<String>,
    why: String,
    /// The answer is a failure (a rate limit, a crashed component).
    error: bool,
}

struct Prover<'a> {
    spec: &'a Spec,
    /// Failures answer at once (no client backoff before a retry).
    errors_count: bool,
    /// Closed-loop users.
    users: f64,
    /// Most requests the rate limits of the model admit at one instant (their bursts).
    admits: f64,
    /// Components by name.
    index: HashMap<&'a str, usize>,
    /// Components that a crash fault takes down whole before traffic ends: from when.
    crashed: HashMap<&'a str, SimTime>,
}

impl Prover<'_> {
    /// A way that a call of `class` to component `name` is answered in no time.
    fn way(&self, name: &str, class: &str, depth: usize) -> Option<Way> {
        if depth > self.spec.components.len() {
            return None; // no cycles pass `check`; the bound is a guard
        }
        let c = &self.spec.components[*self.index.get(name)?];
        let here = |why: String, error: bool| Way {
            path: vec![name.to_string()],
            why,
            error,
        };
        if self.errors_count {
            if let Some(at) = self.crashed.get(name) {
                return Some(here(
                    format!("`{name}` is down from {at} on and fails calls at once"),
                    true,
                ));
            }
        }
        let then = |mut w: Way| {
            w.path.insert(0, name.to_string());
            w
        };
        match &c.kind {
            KindSpec::Service(s) => {
                if s.rate_limit.is_some() && self.errors_count && self.users > self.admits {
                    return Some(here(
                        format!("`{name}`'s rate limit rejects at once: all {} users ask at time 0, more than the rate limits' bursts admit, and tokens refill only as time passes", self.users),
                        true,
                    ));
                }
                let ep = s
                    .endpoints
                    .iter()
                    .find(|(n, _)| n == class)
                    .or_else(|| s.endpoints.iter().find(|(n, _)| n == "default"))
                    .map(|(_, e)| e);
                if ep
                    .and_then(|e| e.cpu.as_ref())
                    .is_some_and(|d| !always_zero(d))
                {
                    return None;
                }
                let mut last = here(format!("`{name}` has no CPU time"), false);
                for call in ep.map_or(&[][..], |e| &e.calls[..]) {
                    if call.policy.is_some() {
                        return None;
                    }
                    let w = self.way(&call.to, class, depth + 1)?;
                    if w.error {
                        // The step fails at once, and so does the call.
                        return Some(then(w));
                    }
                    last = then(w);
                }
                Some(last)
            }
            KindSpec::LoadBalancer { targets, .. } => self.way(targets, class, depth + 1).map(then),
            KindSpec::Queue(q) if always_zero(&q.publish) => Some(here(
                format!("`{name}` acknowledges a publish at once"),
                false,
            )),
            _ => None,
        }
    }
}

/// Why `spec` can never advance simulated time, if that can be proven: the message for the
/// closed loop's think time (or its users, when think is not given).
pub(crate) fn proof(spec: &Spec) -> Option<String> {
    let Load::Closed { think, users } = &spec.traffic.load else {
        return None;
    };
    let free_hops = always_zero(&spec.network_latency)
        && spec.ops.region_latency.is_empty()
        && spec.ops.origins.is_empty();
    if !always_zero(think) || !free_hops {
        return None;
    }
    let admits = spec
        .components
        .iter()
        .filter_map(|c| match &c.kind {
            KindSpec::Service(s) => s.rate_limit.map(|(_, burst)| {
                let n = s.autoscale.as_ref().map_or(0, |a| a.max).max(c.instances);
                burst.ceil() * n as f64
            }),
            _ => None,
        })
        .sum();
    let index: HashMap<&str, usize> = spec
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut crashed: HashMap<&str, SimTime> = HashMap::new();
    for f in &spec.faults {
        let whole = f.instance.is_none()
            || index
                .get(f.target.as_str())
                .is_some_and(|&i| spec.components[i].instances == 1);
        if f.kind == FaultKind::Crash && whole && f.at < spec.duration && f.duration > SimTime::ZERO
        {
            let at = crashed.entry(f.target.as_str()).or_insert(f.at);
            *at = (*at).min(f.at);
        }
    }
    let p = Prover {
        spec,
        index,
        crashed,
        users: *users as f64,
        admits,
        errors_count: spec
            .traffic
            .retry
            .as_ref()
            .is_none_or(|r| r.max == 0 || r.backoff == SimTime::ZERO),
    };
    // Every class needs such a way: a user who draws a class that takes time leaves the
    // instant.
    let mut first = None;
    for (class, weight) in &spec.traffic.classes {
        if *weight <= 0.0 {
            continue;
        }
        let w = p.way(&spec.traffic.entry, class, 0)?;
        first.get_or_insert((class.clone(), w));
    }
    let (class, w) = first?;
    let of_class = if spec.traffic.classes.len() > 1 {
        format!(" (class `{class}`)")
    } else {
        String::new()
    };
    Some(format!(
        "simulated time cannot advance: `traffic.think` is always 0 and a request{of_class} gets its answer in no simulated time ({}: {}), so a user answered at once asks again at once, forever. Give `traffic.think` a positive minimum (e.g. \"exp(1s)\"), or the way a cost (CPU time, network latency)",
        w.path.join(" -> "),
        w.why
    ))
}
