//! `[network]`: the latency of every hop, the latency matrix between regions (and the
//! bandwidth of a pair's link, with its buffer), and the regions in use (where components run and where users come from), each pair of which needs a
//! latency; at most [`MAX_REGIONS`] of them.

use super::ck::{valid_name, Ck};
use crate::raw::{RawRegionLink, RawScenario};
use archsim_models::{Dist, OpsSpec, RegionLink, MAX_REGIONS};
use std::collections::HashSet;
use std::ops::Range;
use toml::Spanned;

/// Region pairs with a latency, each in the order of [`region_pair`].
pub(super) type Pairs = HashSet<(String, String)>;

/// The regions components are in, in the order first named, and as a set.
pub(super) struct ComponentRegions {
    pub(super) list: Vec<String>,
    pub(super) set: HashSet<String>,
}

/// A pair of regions in a fixed order, for a latency given either way round.
fn region_pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

/// `network.latency`: the one-way delay of every hop (default 0).
pub(super) fn latency(ck: &mut Ck, raw: &RawScenario) -> Dist {
    let mut network = Dist::Const(0);
    if let Some(n) = &raw.network {
        if let Some(l) = &n.latency {
            if let Some(d) = ck.dist(l, "network.latency") {
                network = d;
            }
        }
    }
    network
}

/// `[network.regions]`: the latency between two regions, into `ops.region_latency`; returns
/// the pairs given.
pub(super) fn region_matrix(ck: &mut Ck, raw: &RawScenario, ops: &mut OpsSpec) -> Pairs {
    // Region pairs with a latency, either way round.
    let mut known_pairs: Pairs = Default::default();
    if let Some(n) = &raw.network {
        if let Some(m) = &n.regions {
            for (pair, d) in m.get_ref() {
                match pair.split_once('/') {
                    Some((a, b)) if valid_name(a) && valid_name(b) && a != b => {
                        if !known_pairs.insert(region_pair(a, b)) {
                            ck.err(d.span(), format!("network.regions: `{pair}` is given twice (the latency is symmetric)"));
                        }
                        let link = d.get_ref();
                        let what = format!("network.regions.\"{pair}\"");
                        match &link.latency {
                            Some(l) => {
                                // A bare string has no span of its own: the entry's.
                                let l = if l.span().is_empty() {
                                    Spanned::new(d.span(), l.get_ref().clone())
                                } else {
                                    l.clone()
                                };
                                if let Some(dist) = ck.dist(&l, &what) {
                                    ops.region_latency.push((a.to_string(), b.to_string(), dist));
                                }
                            }
                            None => ck.err(d.span(), format!("{what} needs a `latency`, e.g. {{ latency = \"80ms\", bandwidth = \"1Gbps\" }}")),
                        }
                        region_link(ck, link, &what, (a, b), d.span(), ops);
                    }
                    _ => ck.err(d.span(), format!("network.regions: `{pair}` must name two different regions as \"REGION/REGION\", e.g. \"us-east/eu-west\" = \"80ms\"")),
                }
            }
        }
    }
    known_pairs
}

/// A region pair's `bandwidth` and `buffer`, into `ops.region_links`.
fn region_link(
    ck: &mut Ck,
    link: &RawRegionLink,
    what: &str,
    (a, b): (&str, &str),
    span: Range<usize>,
    ops: &mut OpsSpec,
) {
    let buffer = link
        .buffer
        .as_ref()
        .and_then(|v| ck.size(v, &format!("{what}.buffer")));
    match &link.bandwidth {
        Some(v) => {
            if let Some(bandwidth) = ck.bandwidth(v, &format!("{what}.bandwidth")) {
                ops.region_links.push(RegionLink {
                    a: a.to_string(),
                    b: b.to_string(),
                    bandwidth,
                    buffer,
                });
            }
        }
        None if link.buffer.is_some() => ck.err(
            span,
            format!("{what}: `buffer` bounds the queue of a link with a `bandwidth`; add one, e.g. bandwidth = \"1Gbps\""),
        ),
        None => {}
    }
}

/// The regions in use: components' (at most [`MAX_REGIONS`]), `traffic.regions` (users may
/// live where no component runs, but then need a latency to every component region), and
/// every pair of component regions needs a latency. Adds the origins to `ops.origins`.
pub(super) fn regions(
    ck: &mut Ck,
    raw: &RawScenario,
    ops: &mut OpsSpec,
    known_pairs: &Pairs,
) -> ComponentRegions {
    let top = ck.top.clone();
    let mut regions_used: Vec<String> = Vec::new();
    let mut region_set: std::collections::HashSet<String> = Default::default();
    for (_, o) in &ops.components {
        if let Some(r) = &o.region {
            if region_set.insert(r.clone()) {
                regions_used.push(r.clone());
            }
        }
    }
    if regions_used.len() > MAX_REGIONS {
        // The pairs below would be quadratic in them, and a run refuses them anyway.
        ck.err(
            top.clone(),
            format!(
                "components are in {} regions; at most {MAX_REGIONS}",
                regions_used.len()
            ),
        );
        regions_used.clear();
        region_set.clear();
    }
    let component_regions = regions_used.clone();
    let component_region_set = region_set.clone();
    if let Some(rs) = raw
        .traffic
        .as_ref()
        .and_then(|t| t.get_ref().regions.as_ref())
    {
        for (region, w) in rs.get_ref() {
            // Users may live where no component runs (then every component region needs a
            // latency from theirs), but not nowhere.
            if !component_region_set.contains(region) {
                if component_regions.is_empty() {
                    ck.err(w.span(), format!("traffic.regions: no component is in region `{region}`; regions of components: none (set `region` on components)"));
                } else {
                    for b in &component_regions {
                        if !known_pairs.contains(&region_pair(region, b)) {
                            ck.err(w.span(), format!("traffic.regions: users in `{region}` reach components in `{b}`, but [network.regions] gives no latency between them; add \"{region}/{b}\" = \"80ms\""));
                        }
                    }
                }
            }
            if let Some(w) = ck.float(w, &format!("traffic.regions.{region}"), 0.0, 1e12, true) {
                ops.origins.push((region.clone(), w));
            }
        }
        if rs.get_ref().is_empty() {
            ck.err(
                rs.span(),
                "traffic.regions needs at least one region, e.g. { us-east = 0.6, eu-west = 0.4 }",
            );
        }
    }
    let matrix_span = raw
        .network
        .as_ref()
        .and_then(|n| n.regions.as_ref().map(|m| m.span()))
        .unwrap_or(top.clone());
    for (a, b, _) in &ops.region_latency {
        for x in [a, b] {
            if region_set.insert(x.clone()) {
                regions_used.push(x.clone());
            }
        }
    }
    let all_regions = regions_used.len()
        + ops
            .origins
            .iter()
            .filter(|(r, _)| !region_set.contains(r))
            .count();
    if all_regions > MAX_REGIONS && component_regions.len() <= MAX_REGIONS {
        ck.err(
            matrix_span.clone(),
            format!("the scenario names {all_regions} regions; at most {MAX_REGIONS}"),
        );
    }
    for (i, a) in component_regions.iter().enumerate() {
        for b in &component_regions[i + 1..] {
            if !known_pairs.contains(&region_pair(a, b)) {
                ck.err(matrix_span.clone(), format!("components are in regions `{a}` and `{b}`, but [network.regions] gives no latency between them; add \"{a}/{b}\" = \"80ms\""));
            }
        }
    }
    ComponentRegions {
        list: component_regions,
        set: component_region_set,
    }
}
