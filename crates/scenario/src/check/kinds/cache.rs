//! A cache: answers from its entries (`capacity` per instance, `eviction`, `ttl`, a `hit`
//! time) and sends misses to its `backing` component; writes (`writes`, `write_policy`,
//! `flush_interval`) go aside, through or behind it. A CDN is a cache at the edge (see
//! [`super::cdn`]).

use super::{Comp, Placement};
use crate::check::ck::{one_of, Ck};
use crate::check::{Edge, Scope};
use archsim_engine::SimTime;
use archsim_models::{CacheSpec, Dist, Eviction, KindSpec, WritePolicy, MAX_CACHE_CAPACITY};

/// The keys of a cache.
pub(super) const KEYS: &[&str] = &[
    "capacity",
    "eviction",
    "ttl",
    "hit",
    "backing",
    "writes",
    "write_policy",
    "flush_interval",
    "coalesce",
    "refresh_ahead",
];

/// Checks a cache.
pub(super) fn check(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    _: &mut Placement,
) -> KindSpec {
    KindSpec::Cache(spec(ck, scope, c, edges, true))
}

/// The cache part of a cache or a CDN (`cdn` left `None`); `capacity_required`: whether a
/// missing `capacity` is a problem (a CDN may give a `hit_ratio` instead).
pub(super) fn spec(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    capacity_required: bool,
) -> CacheSpec {
    let (name, r, span, ci) = (c.name, c.raw, &c.span, c.index);
    let (names, index_of, class_names) = (&scope.names, &scope.index, &scope.classes);
    let capacity = match &r.capacity {
        None if !capacity_required => 0,
        None => {
            ck.err(
                span.clone(),
                format!("cache `{name}` needs `capacity`, the entries each instance holds"),
            );
            0
        }
        Some(c) => ck
            .int(
                c,
                &format!("components.{name}.capacity"),
                0,
                MAX_CACHE_CAPACITY as i64,
            )
            .unwrap_or(0) as u64,
    };
    let eviction = match &r.eviction {
        None => Eviction::Lru,
        Some(e) => match one_of(e, Eviction::NAMES) {
            Ok(i) => Eviction::parse(Eviction::NAMES[i]).expect("listed"),
            Err(m) => {
                ck.err(e.span(), format!("components.{name}.eviction: {m}"));
                Eviction::Lru
            }
        },
    };
    let ttl = r
        .ttl
        .as_ref()
        .and_then(|t| ck.duration(t, &format!("components.{name}.ttl")));
    let hit = match &r.hit {
        None => Dist::Const(0),
        Some(h) => ck
            .dist(h, &format!("components.{name}.hit"))
            .unwrap_or(Dist::Const(0)),
    };
    let backing = ck.component_ref(
        r.backing.as_ref(),
        (names, index_of),
        (ci, &mut *edges),
        span,
        format!("cache `{name}` needs `backing`, the component that answers its misses"),
    );
    let write_classes = ck.class_list(
        r.writes.as_ref(),
        class_names,
        &format!("components.{name}.writes"),
    );
    let write_policy = match &r.write_policy {
        None => WritePolicy::Aside,
        Some(w) => match one_of(w, &["aside", "through", "behind"]) {
            Ok(0) => WritePolicy::Aside,
            Ok(1) => WritePolicy::Through,
            Ok(_) => WritePolicy::Behind,
            Err(m) => {
                ck.err(w.span(), format!("components.{name}.write_policy: {m}"));
                WritePolicy::Aside
            }
        },
    };
    let flush_interval = match &r.flush_interval {
        None => SimTime::from_secs(1),
        Some(f) => {
            if write_policy != WritePolicy::Behind {
                ck.err(
                    f.span(),
                    format!("`{name}`: flush_interval applies to write_policy = \"behind\""),
                );
            }
            match ck.duration(f, &format!("components.{name}.flush_interval")) {
                Some(d) if d >= SimTime::from_millis(1) => d,
                Some(_) => {
                    ck.err(f.span(), "flush_interval must be at least 1ms");
                    SimTime::from_secs(1)
                }
                None => SimTime::from_secs(1),
            }
        }
    };
    CacheSpec {
        write_policy,
        flush_interval,
        coalesce: r.coalesce.as_ref().is_some_and(|c| *c.get_ref()),
        refresh_ahead: r.refresh_ahead.as_ref().and_then(|f| {
            if r.ttl.is_none() {
                ck.err(f.span(), format!("`{name}`: refresh_ahead needs a `ttl`"));
            }
            ck.float(
                f,
                &format!("components.{name}.refresh_ahead"),
                0.0,
                1.0,
                true,
            )
        }),
        cdn: None,
        capacity,
        eviction,
        ttl,
        hit,
        backing,
        write_classes,
    }
}
