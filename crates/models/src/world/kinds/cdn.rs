//! The CDN kind: an edge cache in front of an origin. Every request pays the user-to-edge
//! round trip; requests of the edge's classes are served there, by a fixed hit ratio or from
//! the edge's own key store (filled from the origin as a cache's is), and the rest go on to
//! the origin. The edge's store, counters and report are a cache's ([`CacheBody`]).

use crate::world::*;

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
            cb.hits += measured as u64;
            cb.hits_per[bucket] += 1;
            let d = edge.saturating_add(cb.hit.sample(&mut cm.rng));
            return Step::ReplyIn(d);
        }
        if at_edge {
            cb.misses += measured as u64;
            cb.misses_per[bucket] += 1;
            if cdn.hit_prob.is_none() {
                // With coalescing, a miss of a key already on its way from the origin waits
                // for that answer.
                if cb.coalesces(inst, key, c, measured) {
                    return Step::Wait;
                }
                self.calls[c as usize].set_cache_mark(CacheMark::Fill);
            }
        }
        let bal = self.comps[backing as usize].balance;
        let inst = self.choose(NONE, backing, bal, key, class);
        Step::Forward { to: backing, inst }
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
