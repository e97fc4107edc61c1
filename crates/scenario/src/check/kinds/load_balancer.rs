//! A load balancer: spreads requests over the instances of its `targets` by a `policy`; with a
//! list of targets, a global balancer that sends each request to the nearest region with a
//! healthy instance.

use super::{Comp, Placement};
use crate::check::ck::{one_of, Ck};
use crate::check::{Edge, Scope};
use crate::raw::RawTargets;
use archsim_models::{KindSpec, Policy};
use toml::Spanned;

/// The keys of a load balancer.
pub(super) const KEYS: &[&str] = &["targets", "policy"];

/// Checks a load balancer; a global one's targets go to `place.global_targets`.
pub(super) fn check(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    place: &mut Placement,
) -> KindSpec {
    let (name, r, span, ci) = (c.name, c.raw, &c.span, c.index);
    let (names, index_of) = (&scope.names, &scope.index);
    let global_targets = &mut place.global_targets;
    let one = match r.targets.as_ref().map(|t| (t.span(), t.get_ref())) {
        Some((sp, RawTargets::One(t))) => Some(Spanned::new(sp, t.clone())),
        Some((sp, RawTargets::Many(list))) => {
            // A global balancer: the nearest target with a healthy instance.
            if list.len() < 2 {
                ck.err(sp.clone(), format!("`{name}`: a list of targets makes a global balancer and needs at least two components (or give one as a string)"));
            }
            let mut seen = std::collections::HashMap::new();
            for t in list {
                ck.component_ref(
                    Some(&Spanned::new(sp.clone(), t.clone())),
                    (names, index_of),
                    (ci, &mut *edges),
                    span,
                    String::new(),
                );
                *seen.entry(t.as_str()).or_insert(0u32) += 1;
                if seen[t.as_str()] == 2 {
                    ck.err(
                        sp.clone(),
                        format!("`{name}`: target `{t}` is listed twice"),
                    );
                }
            }
            if let Some(p) = &r.policy {
                if p.get_ref() != "nearest" {
                    ck.err(p.span(), format!("`{name}`: a balancer over several components routes by region; its policy is \"nearest\" (or leave it out)"));
                }
            }
            *global_targets = list.clone();
            list.first().map(|t| Spanned::new(sp, t.clone()))
        }
        None => None,
    };
    let targets = ck.component_ref(one.as_ref(), (names, index_of), (ci, &mut *edges), span, format!("load balancer `{name}` needs `targets`, the component whose instances it spreads requests over"));
    let policy = match &r.policy {
        _ if !global_targets.is_empty() => Policy::RoundRobin,
        Some(p) if p.get_ref() == "nearest" => {
            ck.err(p.span(), format!("`{name}`: policy \"nearest\" needs several targets, e.g. targets = [\"app-us\", \"app-eu\"]"));
            Policy::RoundRobin
        }
        None => Policy::RoundRobin,
        Some(p) => match one_of(p, Policy::NAMES) {
            Ok(i) => Policy::parse(Policy::NAMES[i]).expect("listed"),
            Err(m) => {
                ck.err(p.span(), format!("components.{name}.policy: {m}"));
                Policy::RoundRobin
            }
        },
    };
    KindSpec::LoadBalancer { targets, policy }
}
