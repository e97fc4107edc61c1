//! The component kinds: [`KINDS`] is the one table of them, each with the keys it takes and
//! the function that checks a component of it into a [`KindSpec`].
//!
//! Adding a kind is a file here (its keys, its check, and its placement if it counts its
//! instances its own way) and one line in [`KINDS`]; a key no kind had before is also one
//! line in `crate::raw`'s `RawComponent`.

mod cache;
mod cdn;
mod data;
mod database;
mod gateway;
mod load_balancer;
mod queue;
mod service;

use super::ck::Ck;
use super::{Edge, Scope};
use crate::raw::RawComponent;
use archsim_models::KindSpec;
use std::ops::Range;

/// The component being checked.
pub(super) struct Comp<'a> {
    pub(super) name: &'a str,
    pub(super) raw: &'a RawComponent,
    /// Where its table is written.
    pub(super) span: Range<usize>,
    /// Its index among the components (the `from` of its call references).
    pub(super) index: usize,
}

/// What a kind decides about a component besides its spec.
pub(super) struct Placement {
    /// Its instances (`instances`, else 1, until its kind says otherwise).
    pub(super) instances: u32,
    /// A database's read replicas (instances `1..=replicas`; the primary is instance 0).
    pub(super) replicas: u32,
    /// A global balancer's targets.
    pub(super) global_targets: Vec<String>,
}

/// Checks a component of one kind into its spec, recording its references to other
/// components into the call edges.
type CheckFn = fn(&mut Ck, &Scope<'_>, &Comp<'_>, &mut Vec<Edge>, &mut Placement) -> KindSpec;

/// Counts the instances of a kind that counts them its own way (a database's replicas and
/// shards); runs before the component's balancing is read.
type PlaceFn = fn(&mut Ck, &Comp<'_>, &mut Placement);

/// One kind of component.
#[derive(Clone, Copy)]
pub(super) struct Kind {
    /// Its name, as `kind = "..."` writes it.
    pub(super) name: &'static str,
    /// The keys it takes beyond `kind`, `instances`, `balance`, `description` and the
    /// operational keys.
    pub(super) keys: &'static [&'static str],
    pub(super) place: Option<PlaceFn>,
    pub(super) check: CheckFn,
    /// The series of its own an `[[alerts]]` rule may watch (beyond every component's
    /// utilization, queue, errors, error_ratio and calls).
    pub(super) series: &'static [&'static str],
}

impl Kind {
    const fn new(name: &'static str, keys: &'static [&'static str], check: CheckFn) -> Kind {
        Kind {
            name,
            keys,
            place: None,
            check,
            series: &[],
        }
    }

    const fn with_series(self, series: &'static [&'static str]) -> Kind {
        Kind { series, ..self }
    }

    const fn placed_by(self, place: PlaceFn) -> Kind {
        Kind {
            place: Some(place),
            ..self
        }
    }
}

/// Every kind, in the order messages list them.
pub(super) const KINDS: &[Kind] = &[
    Kind::new("service", service::KEYS, service::check),
    Kind::new("database", database::KEYS, database::check).placed_by(database::place),
    Kind::new("load_balancer", load_balancer::KEYS, load_balancer::check),
    Kind::new("cache", cache::KEYS, cache::check).with_series(&["hit_ratio"]),
    Kind::new("cdn", cdn::KEYS, cdn::check).with_series(&["hit_ratio"]),
    Kind::new("gateway", gateway::KEYS, gateway::check),
    Kind::new("queue", queue::KEYS, queue::check).with_series(&["consumer_lag"]),
];

/// The kind named `name`.
pub(super) fn find(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// The kinds that have series `name` of their own; empty when it is every component's.
pub(super) fn with_series(name: &str) -> Vec<&'static str> {
    KINDS
        .iter()
        .filter(|k| k.series.contains(&name))
        .map(|k| k.name)
        .collect()
}

/// The names of the kinds, in the order of [`KINDS`].
pub(super) fn names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::Applies;

    /// A kind's own series are series an alert may watch.
    #[test]
    fn kind_series_are_alert_series() {
        for kind in KINDS {
            for s in kind.series {
                let series = archsim_stats::alerts::Series::named(s);
                assert!(
                    series.is_some_and(|x| !x.of_requests()),
                    "{}: {s}",
                    kind.name
                );
            }
        }
    }

    #[test]
    fn kinds_are_named_once() {
        let mut names = names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
    }

    /// A kind's keys are keys of a component table that the kind table decides on, and each
    /// such key belongs to some kind.
    #[test]
    fn kind_keys_are_the_component_keys_the_table_decides_on() {
        let decided: Vec<&str> = RawComponent::KEYS
            .iter()
            .filter(|(_, to)| *to == Applies::Kind)
            .map(|(k, _)| *k)
            .collect();
        for kind in KINDS {
            for (i, key) in kind.keys.iter().enumerate() {
                assert!(decided.contains(key), "{}: `{key}`", kind.name);
                assert!(
                    !kind.keys[..i].contains(key),
                    "{}: `{key}` twice",
                    kind.name
                );
            }
        }
        for key in decided {
            assert!(KINDS.iter().any(|k| k.keys.contains(&key)), "`{key}`");
        }
    }
}
