//! The cache and CDN kinds: lookups, fills, refresh-ahead and write-behind flushes.

use crate::world::*;

impl World {
    /// Refreshes `key` in a cache instance from the backing store, in the background.
    pub(in crate::world) fn refresh(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        comp: u32,
        inst: u32,
        class: u16,
        key: u64,
    ) {
        let Body::Cache(cb) = &mut self.comps[comp as usize].body else {
            return;
        };
        cb.refreshes += self.rec.window().contains(ctx.now().as_nanos()) as u64;
        let backing = cb.backing;
        let bal = self.comps[backing as usize].balance;
        let i = self.pick(backing, bal, key, class);
        let call = self.new_call(Call::new(
            INTERNAL,
            comp,
            REFRESH,
            backing,
            i,
            class,
            key,
            inst as u64,
        ));
        self.comps[backing as usize].insts[i as usize].outstanding += 1;
        self.hop(ctx, Ev::Deliver(call));
    }
    /// A write-behind cache instance sends its buffered writes to the backing store.
    pub(in crate::world) fn flush(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let Body::Cache(cb) = &mut self.comps[comp as usize].body else {
            return;
        };
        let writes = std::mem::take(&mut cb.dirty[inst as usize]);
        cb.dirty_set[inst as usize].clear();
        cb.flushing[inst as usize] = false;
        let backing = cb.backing;
        if self.comps[comp as usize].insts[inst as usize].down {
            return;
        }
        for (key, class) in writes {
            let bal = self.comps[backing as usize].balance;
            let i = self.pick(backing, bal, key, class);
            let call = self.new_call(Call::new(INTERNAL, comp, FLUSH, backing, i, class, key, 0));
            self.comps[backing as usize].insts[i as usize].outstanding += 1;
            self.hop(ctx, Ev::Deliver(call));
        }
    }
    /// A request reaches a cache instance.
    #[inline(never)]
    pub(in crate::world) fn cache_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
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
        let Body::Cache(cb) = &mut cm.body else {
            unreachable!()
        };
        let backing = cb.backing;
        if let Some(edge_class) = &cb.edge_class {
            // A CDN: the user-to-edge round trip first, then the edge serves its classes (by
            // probability or from its store) and passes the rest to the origin.
            let edge = cb.edge.sample(&mut cm.rng);
            self.calls[c as usize].aux = edge.as_nanos();
            let at_edge = edge_class[class as usize];
            let hit = at_edge
                && match cb.hit_prob {
                    Some(p) => cm.rng.random::<f64>() < p,
                    None => key != NO_KEY && cb.stores[inst as usize].get(key, now) == Lookup::Hit,
                };
            if hit {
                cb.hits += measured as u64;
                cb.hits_per[bucket] += 1;
                let d = edge.saturating_add(cb.hit.sample(&mut cm.rng));
                if d == SimTime::ZERO {
                    return self.finish_call(ctx, c);
                }
                ctx.schedule_in(d, Ev::Finish(c));
                return;
            }
            if at_edge {
                cb.misses += measured as u64;
                cb.misses_per[bucket] += 1;
                if cb.hit_prob.is_none() {
                    self.calls[c as usize].step = 1;
                }
            }
            let bal = self.comps[backing as usize].balance;
            let i = self.choose(NONE, backing, bal, key, class);
            self.calls[c as usize].pending = 1;
            return self.call_out(ctx, c, backing, i);
        }
        if cb.is_write[class as usize] {
            cb.writes += measured as u64;
            match cb.policy {
                WritePolicy::Aside => {
                    if key != NO_KEY {
                        cb.stores[inst as usize].remove(key);
                    }
                }
                // step 2 marks a write whose key is stored once the backing store has it.
                WritePolicy::Through => self.calls[c as usize].step = 2,
                WritePolicy::Behind if key != NO_KEY => {
                    cb.stores[inst as usize].insert(key, now, &mut cm.rng);
                    if cb.dirty_set[inst as usize].insert(key, ()).is_none() {
                        cb.dirty[inst as usize].push((key, class));
                    }
                    if !cb.flushing[inst as usize] {
                        cb.flushing[inst as usize] = true;
                        ctx.schedule_in(cb.flush_interval, Ev::Flush(comp, inst));
                    }
                    let d = cb.hit.sample(&mut cm.rng);
                    if d == SimTime::ZERO {
                        return self.finish_call(ctx, c);
                    }
                    ctx.schedule_in(d, Ev::Finish(c));
                    return;
                }
                WritePolicy::Behind => {}
            }
        } else if key != NO_KEY && cb.stores[inst as usize].get(key, now) == Lookup::Hit {
            cb.hits += measured as u64;
            cb.hits_per[bucket] += 1;
            let d = cb.hit.sample(&mut cm.rng);
            let refresh = cb.refresh_after_ns.is_some_and(|after| {
                let stored = cb.stores[inst as usize].stored_at(key).unwrap_or(now);
                now - stored > after && cb.refreshing[inst as usize].insert(key, ()).is_none()
            });
            if d == SimTime::ZERO {
                self.finish_call(ctx, c);
            } else {
                ctx.schedule_in(d, Ev::Finish(c));
            }
            if refresh {
                self.refresh(ctx, comp, inst, class, key);
            }
            return;
        } else {
            cb.misses += measured as u64;
            cb.misses_per[bucket] += 1;
            if cb.coalesce && key != NO_KEY {
                if let Some(w) = cb.waiting[inst as usize].get_mut(&key) {
                    // Another miss of this key is on its way to the backing store: wait for it.
                    w.push(c);
                    cb.coalesced += measured as u64;
                    return;
                }
                cb.waiting[inst as usize].insert(key, Vec::new());
            }
            // step 1 marks a read miss whose key is stored when the answer comes back.
            self.calls[c as usize].step = 1;
        }
        let bal = self.comps[backing as usize].balance;
        let i = self.choose(NONE, backing, bal, key, class);
        self.calls[c as usize].pending = 1;
        self.call_out(ctx, c, backing, i);
    }
    /// The backing store answered cache call `p` (its error `perr`, or 0).
    #[inline(never)]
    pub(in crate::world) fn cache_answered(&mut self, ctx: &mut Context<'_, Ev>, p: u32, perr: u8) {
        // A read miss stores its key once the backing store has answered.
        let pc = self.calls[p as usize];
        let (pcomp, pinst) = (pc.comp, pc.inst);
        let now = ctx.now().as_nanos();
        let mut waiters = Vec::new();
        let comp = &mut self.comps[pcomp as usize];
        if let Body::Cache(cb) = &mut comp.body {
            if pc.key != NO_KEY && pc.step == 1 && cb.coalesce {
                waiters = cb.waiting[pinst as usize]
                    .remove(&pc.key)
                    .unwrap_or_default();
            }
            if perr == 0 && (pc.step == 1 || pc.step == 2) && pc.key != NO_KEY {
                cb.stores[pinst as usize].insert(pc.key, now, &mut comp.rng);
            }
        }
        // A CDN answers after the user-to-edge round trip drawn on arrival.
        if pc.aux > 0
            && matches!(&self.comps[pcomp as usize].body, Body::Cache(cb) if cb.edge_class.is_some())
        {
            ctx.schedule_in(SimTime(pc.aux), Ev::Finish(p));
            return;
        }
        self.finish_call(ctx, p);
        // Misses that waited on this one get its answer.
        for w in waiters {
            self.calls[w as usize].err = perr;
            self.finish_call(ctx, w);
        }
    }
}
