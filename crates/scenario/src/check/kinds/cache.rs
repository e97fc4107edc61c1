//! A cache: answers from its entries (`capacity` per instance and/or `max_memory` bytes of
//! entries sized by `entry_size`, `eviction`, `ttl`, a `hit` time) and sends misses to its
//! `backing` component; writes (`writes`, `write_policy`,
//! `flush_interval`) go aside, through or behind it. A CDN is a cache at the edge (see
//! [`super::cdn`]).

use super::{Comp, Placement};
use crate::check::ck::{one_of, Ck};
use crate::check::{Edge, Scope};
use archsim_engine::SimTime;
use archsim_models::{
    CacheSpec, Dist, Eviction, KindSpec, WritePolicy, MAX_CACHE_CAPACITY, MAX_CACHE_ENTRY_BYTES,
};
use toml::Spanned;

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
    "entry_size",
    "max_memory",
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
/// missing `capacity` (or `max_memory`) is a problem (a CDN may give a `hit_ratio` instead).
/// A cache with `entry_size` and a `machine` but no `max_memory` takes the machine's memory
/// as its budget (set by the caller, as every machine limit is).
pub(super) fn spec(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    capacity_required: bool,
) -> CacheSpec {
    let (name, r, span, ci) = (c.name, c.raw, &c.span, c.index);
    let (names, index_of, class_names) = (&scope.names, &scope.index, &scope.classes);
    let entry_size = r
        .entry_size
        .as_ref()
        .and_then(|v| entry_size(ck, v, &format!("components.{name}.entry_size")));
    let max_memory = r.max_memory.as_ref().and_then(|v| {
        let b = crate::check::memory::size(ck, v, &format!("components.{name}.max_memory"))?;
        if b == 0 {
            ck.err(
                v.span(),
                format!("components.{name}.max_memory must be more than 0 bytes, like \"1GiB\""),
            );
            return None;
        }
        if r.entry_size.is_none() {
            ck.err(
                v.span(),
                format!("components.{name}.max_memory: a budget in bytes needs the size of an entry; add `entry_size` (e.g. entry_size = \"4KiB\" or \"lognormal(p50=2KiB, p99=64KiB)\")"),
            );
            return None;
        }
        Some(b)
    });
    if let Some(e) = &r.entry_size {
        if r.memory.is_some() || r.memory_base.is_some() || r.memory_per_request.is_some() {
            ck.err(
                e.span(),
                format!("`{name}`: a cache with entry_size reports its memory from the bytes of the entries it holds; drop `memory`, `memory_base` and `memory_per_request` and set its budget with `max_memory` (or a `machine`)"),
            );
        }
    }
    // Sized entries bounded by bytes alone: by `max_memory`, or by the machine's memory.
    let by_bytes = r.max_memory.is_some() || (r.entry_size.is_some() && r.machine.is_some());
    let capacity = match &r.capacity {
        None if by_bytes => MAX_CACHE_CAPACITY,
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
        entry_size,
        max_memory,
        eviction,
        ttl,
        hit,
        backing,
        write_classes,
    }
}

/// An entry's size: a size or a distribution of sizes (`"4KiB"`, `"lognormal(p50=2KiB,
/// p99=64KiB)"`) with a mean from 1 byte to [`MAX_CACHE_ENTRY_BYTES`].
fn entry_size(ck: &mut Ck, v: &Spanned<String>, what: &str) -> Option<Dist> {
    match Dist::parse_bytes(v.get_ref()) {
        Ok(d) if d.mean_ns() >= 1.0 && d.mean_ns() <= MAX_CACHE_ENTRY_BYTES as f64 => Some(d),
        Ok(_) => {
            ck.err(
                v.span(),
                format!(
                    "{what}: \"{}\" is out of range; an entry needs a positive size with a mean of at most 1GiB, like \"4KiB\" or \"exp(16KiB)\"",
                    v.get_ref()
                ),
            );
            None
        }
        Err(e) => {
            ck.err(
                v.span(),
                format!(
                    "{what}: {e} (in \"{}\" at character {}); write a size or a distribution of sizes, like \"4KiB\" or \"lognormal(p50=2KiB, p99=64KiB)\"",
                    v.get_ref(),
                    e.offset + 1
                ),
            );
            None
        }
    }
}
