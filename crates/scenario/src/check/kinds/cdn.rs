//! A CDN: a cache at the edge for some request `classes`, with a fixed `hit_ratio` or a keyed
//! cache of its own (`capacity`, or `max_memory` bytes of entries of `entry_size`), an `edge_latency` to reach it, and its misses sent to its
//! `backing` component; the cache part is [`super::cache`]'s.

use super::{cache, Comp, Placement};
use crate::check::ck::Ck;
use crate::check::{Edge, Scope};
use archsim_models::{CdnSpec, Dist, KindSpec};

/// The keys of a CDN.
pub(super) const KEYS: &[&str] = &[
    "capacity",
    "eviction",
    "ttl",
    "hit",
    "backing",
    "coalesce",
    "entry_size",
    "max_memory",
    "classes",
    "hit_ratio",
    "edge_latency",
];

/// Checks a CDN: its cache part (where `capacity` may be left out), then its edge.
pub(super) fn check(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    _: &mut Placement,
) -> KindSpec {
    let mut spec = cache::spec(ck, scope, c, edges, false);
    spec.cdn = Some(edge(ck, scope, c));
    KindSpec::Cache(spec)
}

/// The edge: the classes it serves, its hit ratio and its latency.
fn edge(ck: &mut Ck, scope: &Scope<'_>, c: &Comp<'_>) -> CdnSpec {
    let (name, r, span, class_names) = (c.name, c.raw, &c.span, &scope.classes);
    let classes = match &r.classes {
        None => {
            ck.err(span.clone(), format!("cdn `{name}` needs `classes`, the request classes served at the edge (e.g. [\"static\"])"));
            Vec::new()
        }
        Some(c) => {
            for x in c.get_ref() {
                if !class_names.contains(x) {
                    ck.err(c.span(), format!("components.{name}.classes: `{x}` is not a request class; classes are: {}", class_names.join(", ")));
                }
            }
            c.get_ref().clone()
        }
    };
    let hit_ratio = r
        .hit_ratio
        .as_ref()
        .and_then(|h| ck.float(h, &format!("components.{name}.hit_ratio"), 0.0, 1.0, false));
    let by_bytes = r.max_memory.is_some() || (r.entry_size.is_some() && r.machine.is_some());
    if r.hit_ratio.is_none() && r.capacity.is_none() && !by_bytes {
        ck.err(span.clone(), format!("cdn `{name}` needs `hit_ratio` (a fixed edge hit ratio) or `capacity` (a keyed edge cache; or `max_memory` with `entry_size`)"));
    }
    if let (Some(_), Some(e)) = (&r.hit_ratio, &r.entry_size) {
        ck.err(
            e.span(),
            format!("`{name}`: entry_size sizes the entries of a keyed edge store, and a cdn with hit_ratio has none; drop hit_ratio (and give `capacity` or `max_memory`) or drop entry_size"),
        );
    }
    let edge = match &r.edge_latency {
        None => Dist::Const(0),
        Some(e) => ck
            .dist(e, &format!("components.{name}.edge_latency"))
            .unwrap_or(Dist::Const(0)),
    };
    CdnSpec {
        classes,
        hit_ratio,
        edge,
    }
}
