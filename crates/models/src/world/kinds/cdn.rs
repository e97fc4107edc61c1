//! The CDN kind: an edge cache in front of an origin. Every request pays the user-to-edge
//! round trip; requests of the edge's classes are served there, by a fixed hit ratio or from
//! the edge's own key store (filled from the origin as a cache's is), and the rest go on to
//! the origin. The edge's store, counters and report are a cache's ([`CacheBody`]).

use crate::world::*;

// ----- its spec -----

/// A CDN edge: a cache that serves some classes at the edge and passes the rest to the origin.
#[derive(Clone, Debug)]
pub struct CdnSpec {
    /// Classes served at the edge (static assets); other classes pass through to the origin.
    pub classes: Vec<String>,
    /// Serve edge classes by this hit probability instead of a keyed store.
    pub hit_ratio: Option<f64>,
    /// Round trip between the user and the edge, paid by every request through the CDN (a
    /// mixture models users in several regions).
    pub edge: Dist,
}

/// A CDN: its edge store and the edge's own parts.
pub(in crate::world) struct Cdn {
    /// The edge's store, its hit time, its origin (`backing`) and its lookup counters.
    pub(in crate::world) edge_store: CacheBody,
    /// By class index: served at the edge.
    pub(in crate::world) edge_class: Vec<bool>,
    /// A fixed hit probability, in place of the store.
    pub(in crate::world) hit_prob: Option<f64>,
    /// The user-to-edge round trip.
    pub(in crate::world) edge: Dist,
}

impl Cdn {
    /// Builds CDN `c`: a cache's store per instance over its origin, and its edge.
    pub(in crate::world) fn build(
        c: &ComponentSpec,
        cs: &CacheSpec,
        cdn: &CdnSpec,
        cx: &mut BuildCx<'_>,
    ) -> Result<Cdn, ModelError> {
        Ok(Cdn {
            edge_store: CacheBody::build(c, cs, cx)?,
            edge_class: cx
                .class_names
                .iter()
                .map(|n| cdn.classes.contains(n))
                .collect(),
            hit_prob: cdn.hit_ratio,
            edge: cdn.edge.clone(),
        })
    }
}

impl World {
    /// A request reaches an edge: the user-to-edge round trip first, then the edge serves its
    /// classes (by probability or from its store) and passes the rest to the origin.
    #[inline(always)]
    pub(in crate::world) fn cdn_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        let now = ctx.now().as_nanos();
        let measured = self.rec.window().contains(now);
        let bucket = self.rec.bucket_index(now);
        let Call {
            comp,
            inst,
            class,
            key,
            ..
        } = self.calls[c as usize];
        let cm = &mut self.comps[comp as usize];
        let Body::Cdn(cdn) = &mut cm.body else {
            unreachable!()
        };
        let cb = &mut cdn.edge_store;
        let backing = cb.backing;
        let edge = cdn.edge.sample(&mut cm.rng);
        self.calls[c as usize].set_edge_ns(edge.as_nanos());
        let at_edge = cdn.edge_class[class as usize];
        let hit = at_edge
            && match cdn.hit_prob {
                Some(p) => cm.rng.random::<f64>() < p,
                None => key != NO_KEY && cb.stores[inst as usize].get(key, now) == Lookup::Hit,
            };
        if hit {
            cb.count_lookup(true, measured, bucket);
            let d = edge.saturating_add(cb.hit.sample(&mut cm.rng));
            return Step::ReplyIn(d);
        }
        if at_edge {
            cb.count_lookup(false, measured, bucket);
            if cdn.hit_prob.is_none() {
                // The lookup may have dropped an expired entry.
                cb.note_bytes(inst, now);
                // With coalescing, a miss of a key already on its way from the origin waits
                // for that answer.
                if cb.coalesces(inst, key, c, measured) {
                    return Step::Wait;
                }
                self.calls[c as usize].set_cache_mark(CacheMark::Fill);
            }
        }
        self.pass_to_backing(backing, key, class)
    }
    /// The origin answered edge call `p` (its error `perr`, or 0): the edge stores what a
    /// miss fetched, and the answer travels back over the user-to-edge round trip drawn on
    /// arrival.
    #[inline(always)]
    pub(in crate::world) fn cdn_answered(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        p: u32,
        perr: u8,
    ) -> Step {
        let pc = self.calls[p as usize];
        let now = ctx.now().as_nanos();
        let comp = &mut self.comps[pc.comp as usize];
        let Body::Cdn(cdn) = &mut comp.body else {
            unreachable!()
        };
        let waiters = cdn.edge_store.fill(&mut comp.rng, &pc, perr, now);
        // Misses that waited on this one get its answer after it, each over its own
        // user-to-edge round trip.
        for w in waiters {
            let after = SimTime(self.calls[w as usize].edge_ns());
            self.then.push(Then::Answer {
                call: w,
                err: perr,
                after,
            });
        }
        Step::ReplyIn(SimTime(pc.edge_ns()))
    }
}

impl Kind for Cdn {
    const FOLLOW_UPS: bool = true;
    /// The user-to-edge round trip drawn on arrival is network time.
    #[inline]
    fn network_in_call(&self, call: &Call) -> u64 {
        call.edge_ns()
    }
    #[inline(always)]
    fn arrive(w: &mut World, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        w.cdn_arrive(ctx, c)
    }
    #[inline(always)]
    fn answered(w: &mut World, ctx: &mut Context<'_, Ev>, p: u32, perr: u8) -> Step {
        w.cdn_answered(ctx, p, perr)
    }
    /// A crashed edge comes back empty, as a cache does.
    fn on_crash(&mut self, inst: u32, now: u64, held: &mut Vec<u32>) -> Crashed {
        self.edge_store.on_crash(inst, now, held)
    }
    /// Its lookups, as a cache's.
    fn report(&self, s: &mut ComponentStats, cx: &ReportCx) {
        self.edge_store.report(s, cx)
    }
}

#[cfg(test)]
mod tests {
    use crate::world::kinds::testing::*;
    use crate::{CdnSpec, Component, ComponentSpec, Dist, KindSpec, Spec};
    use archsim_engine::SimTime;

    /// 500 requests/s for 20 s, 70% `static` and 30% `api`, over 50 uniform keys, at a CDN
    /// serving `static` at its edge (by `hit_ratio`, or from a store of 100 entries) with
    /// a 20 ms user-to-edge round trip, in front of an origin answering in 5 ms.
    fn edge(hit_ratio: Option<f64>) -> Spec {
        let mut cdn: ComponentSpec = Component::cache("cdn", "origin").capacity(100).into();
        if let KindSpec::Cache(c) = &mut cdn.kind {
            c.cdn = Some(CdnSpec {
                classes: vec!["static".into()],
                hit_ratio,
                edge: Dist::Const(SimTime::from_millis(20).as_nanos()),
            });
        }
        Spec::builder("20s")
            .entry("cdn")
            .rate(500.0)
            .keys(50, 0.0)
            .class("static", 0.7)
            .class("api", 0.3)
            .component(cdn.into())
            .component(Component::service("origin").cpu("5ms"))
            .build()
            .unwrap()
    }

    /// The edge serves its classes at the configured hit ratio and passes their misses and
    /// every other class to the origin.
    #[test]
    fn the_edge_hits_at_its_ratio_and_passes_the_rest_to_the_origin() {
        let stats = run(&edge(Some(0.8)), 1);
        let cdn = comp(&stats, "cdn");
        let (statics, api) = (stats.classes[0].succeeded, stats.classes[1].succeeded);
        assert_eq!(statics + api, stats.generated);
        let (hits, misses) = (counter(cdn, "hits"), counter(cdn, "misses"));
        // Only the edge's class is looked up.
        assert_eq!(hits + misses, statics);
        assert_eq!(comp(&stats, "origin").served, misses + api);
        // ~7,000 lookups: a binomial standard deviation of 0.005; allow 0.02.
        let ratio = figure(cdn, "hit_ratio").unwrap();
        assert!((ratio - 0.8).abs() < 0.02, "hit ratio {ratio}");
    }

    /// Every request pays the user-to-edge round trip: a hit takes exactly it, a request
    /// that goes on to the origin takes it plus the origin's 5 ms.
    #[test]
    fn every_request_pays_the_edge_round_trip() {
        let stats = run(&edge(Some(0.8)), 1);
        let lat = &stats.overall.latency;
        // Nothing faster than the round trip (19.9 ms: within the histogram's precision).
        assert_eq!(lat.fraction_at_or_below(19_900_000), 0.0);
        assert_eq!(lat.max_ms(), Some(25.0));
        let n = stats.overall.succeeded as f64;
        let origin = comp(&stats, "origin").served as f64;
        let want = 20.0 + 5.0 * origin / n;
        assert!((lat.mean_ms().unwrap() - want).abs() < 1e-9, "{lat:?}");
    }

    /// Without a fixed ratio the edge keeps what it fetched: it misses each of the 50 keys
    /// about once, then every request of its class hits.
    #[test]
    fn an_edge_store_fills_from_the_origin() {
        let stats = run(&edge(None), 1);
        let cdn = comp(&stats, "cdn");
        let (statics, api) = (stats.classes[0].succeeded, stats.classes[1].succeeded);
        let (hits, misses) = (counter(cdn, "hits"), counter(cdn, "misses"));
        assert_eq!(hits + misses, statics);
        assert_eq!(comp(&stats, "origin").served, misses + api);
        // Each key once, and the few reads of a key that came while its fill was on its way.
        assert!((50..=60).contains(&misses), "{misses} misses");
        // 1,750 static requests in the first 5 s over 50 keys: each key is read in them but
        // with probability 50 x (49/50)^1750, about 1e-14.
        let per_second = cdn.series.get("lookup_misses").unwrap();
        assert!(per_second[5..].iter().all(|m| *m == 0.0), "{per_second:?}");
    }
}
