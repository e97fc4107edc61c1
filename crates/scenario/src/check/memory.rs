//! A component's memory keys, which any kind may have: `memory` (the capacity of an
//! instance), `memory_base`, `memory_per_request` (a distribution of bytes), and
//! `gc_overhead` (where there is CPU time); and the sizes a `leak` fault reads.

use super::ck::Ck;
use crate::raw::RawComponent;
use archsim_models::{parse_bytes, Dist, GcSpec, MemorySpec, MAX_GC_OVERHEAD, MAX_MEMORY_BYTES};
use toml::Spanned;

/// The kinds whose calls spend CPU time, where a garbage collector can slow them.
const GC_KINDS: &[&str] = &["service", "database", "gateway"];

/// A size in bytes (`"4GiB"`, `"512MiB"`, `"200KiB"`), at most [`MAX_MEMORY_BYTES`].
pub(super) fn size(ck: &mut Ck, v: &Spanned<String>, what: &str) -> Option<u64> {
    match parse_bytes(v.get_ref()) {
        Ok(b) if b <= MAX_MEMORY_BYTES => Some(b),
        Ok(_) => {
            ck.err(
                v.span(),
                format!("{what} must be at most 64TiB, got \"{}\"", v.get_ref()),
            );
            None
        }
        Err(_) => {
            ck.err(
                v.span(),
                format!(
                    "{what}: \"{}\" is not a size; write a size like \"4GiB\", \"512MiB\" or \"200KiB\" (units B, kB, MB, GB, KiB, MiB, GiB, TiB)",
                    v.get_ref()
                ),
            );
            None
        }
    }
}

/// The memory model of component `name` of kind `kind`, if it sets any memory key.
pub(super) fn check_memory(
    ck: &mut Ck,
    r: &RawComponent,
    name: &str,
    kind: &str,
) -> Option<MemorySpec> {
    if r.memory.is_none()
        && r.memory_base.is_none()
        && r.memory_per_request.is_none()
        && r.gc_overhead.is_none()
    {
        return None;
    }
    let capacity = r
        .memory
        .as_ref()
        .and_then(|v| size(ck, v, &format!("components.{name}.memory")));
    if let (Some(v), Some(0)) = (&r.memory, capacity) {
        ck.err(
            v.span(),
            format!("components.{name}.memory must be more than 0 bytes"),
        );
    }
    let base = r
        .memory_base
        .as_ref()
        .and_then(|v| size(ck, v, &format!("components.{name}.memory_base")))
        .unwrap_or(0);
    if let (Some(cap), Some(v)) = (capacity, &r.memory_base) {
        if base >= cap {
            ck.err(
                v.span(),
                format!(
                    "components.{name}.memory_base ({}) must be less than its memory ({}): an instance would be killed as it starts",
                    v.get_ref(),
                    r.memory.as_ref().map_or("", |m| m.get_ref())
                ),
            );
        }
    }
    let per_request = r.memory_per_request.as_ref().and_then(|v| {
        let what = format!("components.{name}.memory_per_request");
        match Dist::parse_bytes(v.get_ref()) {
            Ok(d) if d.mean_ns().is_finite() && d.mean_ns() <= MAX_MEMORY_BYTES as f64 => Some(d),
            Ok(_) => {
                ck.err(v.span(), format!("{what} needs a finite mean of at most 64TiB, got \"{}\"", v.get_ref()));
                None
            }
            Err(e) => {
                ck.err(
                    v.span(),
                    format!(
                        "{what}: {e} (in \"{}\" at character {}); write a size or a distribution of sizes like \"2MiB\" or \"exp(2MiB)\"",
                        v.get_ref(),
                        e.offset + 1
                    ),
                );
                None
            }
        }
    });
    let gc = r.gc_overhead.as_ref().and_then(|v| {
        if !GC_KINDS.contains(&kind) {
            ck.err(
                v.span(),
                format!("`{name}`: `gc_overhead` slows CPU time, which a {kind} does not spend; it applies to a service, database or gateway"),
            );
            return None;
        }
        if r.memory.is_none() {
            ck.err(
                v.span(),
                format!("`{name}`: a collector's cost grows with the heap's occupancy; set `memory`, the capacity of an instance (e.g. memory = \"4GiB\")"),
            );
            return None;
        }
        ck.float(
            v,
            &format!("components.{name}.gc_overhead"),
            0.0,
            MAX_GC_OVERHEAD,
            false,
        )
        .map(|overhead| GcSpec { overhead })
    });
    Some(MemorySpec {
        capacity,
        base,
        per_request,
        gc,
    })
}
