//! The cache kind: its spec, lookups, fills, coalesced misses, refresh-ahead and write-behind
//! flushes, per instance, over a backing component, its build and its report. Its key store and counters also serve
//! the CDN's edge (`super::cdn`).

use crate::world::*;

// ----- its spec -----

/// A cache (Redis/Memcached-like), per instance: a bounded key store in front of a backing
/// component. A read whose key is present and fresh is answered after `hit`; any other read
/// goes to the backing component, and its key is stored when the answer comes back. A write
/// goes to the backing component and removes its key (cache-aside). Requests without a key
/// always go to the backing component.
#[derive(Clone, Debug)]
pub struct CacheSpec {
    /// Entries per instance (with only a `max_memory`, [`crate::MAX_CACHE_CAPACITY`]).
    pub capacity: u64,
    /// The size of each key's entry, a distribution of bytes drawn once per key in a run
    /// ([`crate::EntrySizes`]); `None`: entries have no size (counted, not weighed).
    pub entry_size: Option<Dist>,
    /// Bytes of entries per instance (Redis' `maxmemory`): at the budget, the store evicts by
    /// its policy until a new entry fits. Needs `entry_size`.
    pub max_memory: Option<u64>,
    /// Which entry to evict when full.
    pub eviction: crate::cache::Eviction,
    /// Entries older than this miss.
    pub ttl: Option<SimTime>,
    /// Time to answer a hit.
    pub hit: Dist,
    /// The component behind the cache.
    pub backing: String,
    /// Classes whose requests are writes.
    pub write_classes: Vec<String>,
    /// What a write does.
    pub write_policy: WritePolicy,
    /// Write-behind: how often the buffered writes are flushed to the backing store.
    pub flush_interval: SimTime,
    /// Concurrent read misses of one key share one backing call (the stampede fix).
    pub coalesce: bool,
    /// Refresh-ahead: a hit on an entry older than this fraction of the TTL refreshes it from
    /// the backing store in the background, so popular entries never expire.
    pub refresh_ahead: Option<f64>,
    /// Edge-cache (CDN) behaviour; `None` for an ordinary cache.
    pub cdn: Option<CdnSpec>,
}

/// How a cache handles writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WritePolicy {
    /// Cache-aside: the write goes to the backing store and the key is removed.
    #[default]
    Aside,
    /// Write-through: the write goes to the backing store, then the key is stored; the reply
    /// waits for both.
    Through,
    /// Write-behind: the key is stored and the write answered at once; writes are flushed to
    /// the backing store every `flush_interval`. A crash loses what was not flushed.
    Behind,
}

pub(in crate::world) struct CacheBody {
    pub(in crate::world) stores: Vec<KeyStore>,
    /// Entries sized in bytes: their sizes and the bytes each instance holds over time.
    pub(in crate::world) mem: Option<Box<EntryBytes>>,
    pub(in crate::world) policy: WritePolicy,
    pub(in crate::world) flush_interval: SimTime,
    pub(in crate::world) coalesce: bool,
    /// Write-behind, per instance: buffered writes (key, class) in order, and membership.
    pub(in crate::world) dirty: Vec<Vec<(u64, u16)>>,
    pub(in crate::world) dirty_set: Vec<KeyMap<()>>,
    pub(in crate::world) flushing: Vec<bool>,
    /// Coalescing, per instance: read misses waiting on another miss of their key.
    pub(in crate::world) waiting: Vec<KeyMap<Vec<u32>>>,
    pub(in crate::world) coalesced: u64,
    pub(in crate::world) flushed: u64,
    pub(in crate::world) lost_writes: u64,
    /// Refresh-ahead: age (ns) past which a hit refreshes; keys being refreshed.
    pub(in crate::world) refresh_after_ns: Option<u64>,
    pub(in crate::world) refreshing: Vec<KeyMap<()>>,
    pub(in crate::world) refreshes: u64,
    pub(in crate::world) hit: Dist,
    pub(in crate::world) backing: u32,
    /// By class index.
    pub(in crate::world) is_write: Vec<bool>,
    pub(in crate::world) hits: u64,
    pub(in crate::world) misses: u64,
    pub(in crate::world) writes: u64,
    /// Lookups that hit / missed, per series bucket (warm-up included), for `hit_ratio`.
    pub(in crate::world) hits_per: Vec<u64>,
    pub(in crate::world) misses_per: Vec<u64>,
}

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
        let call = self.new_call(Call::refresh(comp, inst, backing, i, class, key));
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
            let call = self.new_call(Call::flush(comp, backing, i, class, key));
            self.comps[backing as usize].insts[i as usize].outstanding += 1;
            self.hop(ctx, Ev::Deliver(call));
        }
    }
    /// A request reaches a cache instance.
    #[inline(always)]
    pub(in crate::world) fn cache_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
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
        if cb.is_write[class as usize] {
            cb.writes += measured as u64;
            match cb.policy {
                WritePolicy::Aside => {
                    if key != NO_KEY && cb.stores[inst as usize].remove(key) {
                        cb.note_bytes(inst, now);
                    }
                }
                WritePolicy::Through => {
                    self.calls[c as usize].set_cache_mark(CacheMark::WriteThrough)
                }
                WritePolicy::Behind if key != NO_KEY => {
                    cb.store(inst, key, now, &mut cm.rng);
                    if cb.dirty_set[inst as usize].insert(key, ()).is_none() {
                        cb.dirty[inst as usize].push((key, class));
                    }
                    if !cb.flushing[inst as usize] {
                        cb.flushing[inst as usize] = true;
                        ctx.schedule_in(cb.flush_interval, Ev::Flush(comp, inst));
                    }
                    return Step::ReplyIn(cb.hit.sample(&mut cm.rng));
                }
                WritePolicy::Behind => {}
            }
        } else if key != NO_KEY && cb.stores[inst as usize].get(key, now) == Lookup::Hit {
            cb.count_lookup(true, measured, bucket);
            let d = cb.hit.sample(&mut cm.rng);
            let refresh = cb.refresh_after_ns.is_some_and(|after| {
                let stored = cb.stores[inst as usize].stored_at(key).unwrap_or(now);
                now - stored > after && cb.refreshing[inst as usize].insert(key, ()).is_none()
            });
            if refresh {
                // After the answer: the refresh goes out once the hit is on its way.
                self.then.push(Then::Refresh {
                    cache: comp,
                    inst,
                    class,
                    key,
                });
            }
            return Step::ReplyIn(d);
        } else {
            cb.count_lookup(false, measured, bucket);
            // The lookup may have dropped an expired entry.
            cb.note_bytes(inst, now);
            if cb.coalesces(inst, key, c, measured) {
                return Step::Wait;
            }
            self.calls[c as usize].set_cache_mark(CacheMark::Fill);
        }
        self.pass_to_backing(backing, key, class)
    }
    /// Passes a lookup on to an instance of the backing component (the CDN's origin).
    #[inline(always)]
    pub(in crate::world) fn pass_to_backing(&mut self, backing: u32, key: u64, class: u16) -> Step {
        let bal = self.comps[backing as usize].balance;
        let inst = self.choose(NONE, backing, bal, key, class);
        Step::Forward { to: backing, inst }
    }
    /// The backing store answered cache call `p` (its error `perr`, or 0).
    #[inline(never)]
    pub(in crate::world) fn cache_answered(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        p: u32,
        perr: u8,
    ) -> Step {
        let pc = self.calls[p as usize];
        let now = ctx.now().as_nanos();
        let comp = &mut self.comps[pc.comp as usize];
        let Body::Cache(cb) = &mut comp.body else {
            unreachable!()
        };
        let waiters = cb.fill(&mut comp.rng, &pc, perr, now);
        // Misses that waited on this one get its answer, after it.
        if !waiters.is_empty() {
            self.then.extend(waiters.into_iter().map(|w| Then::Answer {
                call: w,
                err: perr,
                after: SimTime::ZERO,
            }));
        }
        Step::Reply
    }
}

impl CacheBody {
    /// The backing store answered call `pc` (its error `perr`, or 0) at `now`: a read miss or
    /// a write-through stores its key. Returns the misses that waited on this one (they get
    /// its answer after it).
    /// Counts a lookup in bucket `bucket` that hit or missed (over the run when `measured`).
    #[inline(always)]
    pub(in crate::world) fn count_lookup(&mut self, hit: bool, measured: bool, bucket: usize) {
        if hit {
            self.hits += measured as u64;
            self.hits_per[bucket] += 1;
        } else {
            self.misses += measured as u64;
            self.misses_per[bucket] += 1;
        }
    }
    #[inline]
    pub(in crate::world) fn fill(
        &mut self,
        rng: &mut Stream,
        pc: &Call,
        perr: u8,
        now: u64,
    ) -> Vec<u32> {
        let mark = pc.cache_mark();
        let mut waiters = Vec::new();
        if pc.key != NO_KEY && mark == CacheMark::Fill && self.coalesce {
            waiters = self.waiting[pc.inst as usize]
                .remove(&pc.key)
                .unwrap_or_default();
        }
        if perr == 0 && mark != CacheMark::None && pc.key != NO_KEY {
            self.store(pc.inst, pc.key, now, rng);
        }
        waiters
    }
    /// Stores `key` at instance `inst` (with its size when entries are sized).
    #[inline]
    pub(in crate::world) fn store(&mut self, inst: u32, key: u64, now: u64, rng: &mut Stream) {
        match self.mem.as_deref_mut() {
            None => self.stores[inst as usize].insert(key, now, rng),
            Some(m) => {
                let s = &mut self.stores[inst as usize];
                s.insert_sized(key, m.sizes.of(key), now, rng);
                m.levels[inst as usize].set(now, s.used_bytes());
            }
        }
    }
    /// Records instance `inst`'s bytes held now, when entries are sized.
    #[inline]
    pub(in crate::world) fn note_bytes(&mut self, inst: u32, now: u64) {
        if let Some(m) = self.mem.as_deref_mut() {
            m.levels[inst as usize].set(now, self.stores[inst as usize].used_bytes());
        }
    }
    /// Call `c`, a miss of `key` at instance `inst`: with coalescing, it waits when another
    /// miss of its key is on its way to the backing store (true), else it becomes that miss.
    #[inline(always)]
    pub(in crate::world) fn coalesces(
        &mut self,
        inst: u32,
        key: u64,
        c: u32,
        measured: bool,
    ) -> bool {
        if !self.coalesce || key == NO_KEY {
            return false;
        }
        let w = &mut self.waiting[inst as usize];
        if let Some(w) = w.get_mut(&key) {
            // Another miss of this key is on its way to the backing store: wait for it.
            w.push(c);
            self.coalesced += measured as u64;
            return true;
        }
        w.insert(key, Vec::new());
        false
    }
}

impl CacheBody {
    /// Builds cache `c` (or a CDN's edge store): a key store per instance over its backing
    /// component.
    pub(in crate::world) fn build(
        c: &ComponentSpec,
        cs: &CacheSpec,
        cx: &mut BuildCx<'_>,
    ) -> Result<CacheBody, ModelError> {
        Ok(CacheBody {
            stores: (0..c.instances)
                .map(|_| {
                    KeyStore::with_budget(
                        cs.eviction,
                        cs.capacity as usize,
                        cs.ttl.map(|t| t.as_nanos()),
                        cs.max_memory.unwrap_or(u64::MAX),
                    )
                })
                .collect(),
            mem: cs.entry_size.as_ref().map(|d| {
                let interval = cx.spec.series_interval.as_nanos();
                Box::new(EntryBytes {
                    sizes: EntrySizes::new(d.clone(), cx.seed, &c.name),
                    budget: cs.max_memory,
                    levels: (0..c.instances)
                        .map(|_| TimeAverage::with_series(cx.window, interval))
                        .collect(),
                })
            }),
            hit: cs.hit.clone(),
            backing: find(cx.names, &c.name, &cs.backing)?,
            is_write: cx
                .class_names
                .iter()
                .map(|n| cs.write_classes.contains(n))
                .collect(),
            hits: 0,
            misses: 0,
            writes: 0,
            hits_per: vec![0; cx.buckets],
            misses_per: vec![0; cx.buckets],
            policy: cs.write_policy,
            flush_interval: cs.flush_interval.max(SimTime::from_micros(1)),
            coalesce: cs.coalesce,
            dirty: (0..c.instances).map(|_| Vec::new()).collect(),
            dirty_set: (0..c.instances).map(|_| KeyMap::default()).collect(),
            flushing: vec![false; c.instances as usize],
            waiting: (0..c.instances).map(|_| KeyMap::default()).collect(),
            coalesced: 0,
            flushed: 0,
            lost_writes: 0,
            refresh_after_ns: match (cs.refresh_ahead, cs.ttl) {
                (Some(f), Some(ttl)) => Some((ttl.as_nanos() as f64 * f) as u64),
                _ => None,
            },
            refreshing: (0..c.instances).map(|_| KeyMap::default()).collect(),
            refreshes: 0,
        })
    }
}

/// A cache's entries sized in bytes: the size of each key's entry, the byte budget, and the
/// bytes each instance holds over time (for the memory figures, as `heap.rs` reports them).
pub(in crate::world) struct EntryBytes {
    pub(in crate::world) sizes: EntrySizes,
    pub(in crate::world) budget: Option<u64>,
    pub(in crate::world) levels: Vec<TimeAverage>,
}

impl EntryBytes {
    /// The memory figures of the bytes held (the heap's names, over the entries' bytes, with
    /// the budget as the capacity) and the entries too big to store.
    fn report(&self, stores: &[KeyStore], s: &mut ComponentStats, cx: &ReportCx) {
        s.counters.insert(
            "entries_too_big",
            stores.iter().map(|s| s.too_big).sum::<u64>(),
        );
        let mut levels = self.levels.clone();
        memory_figures(
            s,
            levels.iter_mut(),
            self.budget,
            false,
            (cx.end_ns, cx.buckets, cx.interval_ns),
        );
    }
}

impl Kind for CacheBody {
    const FOLLOW_UPS: bool = true;
    #[inline(always)]
    fn arrive(w: &mut World, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        w.cache_arrive(ctx, c)
    }
    #[inline(always)]
    fn answered(w: &mut World, ctx: &mut Context<'_, Ev>, p: u32, perr: u8) -> Step {
        w.cache_answered(ctx, p, perr)
    }
    /// Its lookups (hits and misses, over the run and per bucket), writes, coalesced
    /// misses, refreshes, flushes and evictions.
    fn report(&self, s: &mut ComponentStats, cx: &ReportCx) {
        let evictions: u64 = self.stores.iter().map(|s| s.evictions).sum();
        let expirations: u64 = self.stores.iter().map(|s| s.expirations).sum();
        s.counters.extend([
            ("hits".to_string(), self.hits),
            ("misses".to_string(), self.misses),
            ("writes".to_string(), self.writes),
            ("coalesced".to_string(), self.coalesced),
            ("refreshes".to_string(), self.refreshes),
            ("flushed_writes".to_string(), self.flushed),
            ("lost_writes".to_string(), self.lost_writes),
            (
                "unflushed_writes".to_string(),
                self.dirty.iter().map(|d| d.len() as u64).sum(),
            ),
            ("evictions".to_string(), evictions),
            ("expirations".to_string(), expirations),
        ]);
        if let Some(m) = &self.mem {
            m.report(&self.stores, s, cx);
        }
        s.figures
            .declare(Figure::ratio("hit_ratio", "hits", &["hits", "misses"]).in_summary("hit"));
        let cut = |v: &Vec<u64>| {
            v[..cx.buckets.min(v.len())]
                .iter()
                .map(|x| *x as f64)
                .collect()
        };
        s.series.insert("lookup_hits", cut(&self.hits_per));
        s.series.insert("lookup_misses", cut(&self.misses_per));
        s.figures.declare(
            Figure::series_ratio(
                "hit_ratio",
                "lookup_hits",
                &["lookup_hits", "lookup_misses"],
            )
            .charted(Chart {
                id: "hit-ratio".into(),
                title: "Cache hit ratio over time".into(),
                y_label: "hit ratio (hits / lookups)".into(),
                y_max: Some(1.0),
            }),
        );
    }
    /// Misses waiting on a coalesced call join `held`; the instance comes back empty, and
    /// loses the writes it had not flushed.
    fn on_crash(&mut self, inst: u32, now: u64, held: &mut Vec<u32>) -> Crashed {
        let i = inst as usize;
        for (_, waiters) in self.waiting[i].drain() {
            held.extend(waiters);
        }
        self.stores[i].clear();
        self.note_bytes(inst, now);
        self.lost_writes += self.dirty[i].len() as u64;
        self.dirty[i].clear();
        self.dirty_set[i].clear();
        Crashed::default()
    }
}

#[cfg(test)]
mod tests {
    use crate::world::kinds::testing::*;
    use crate::{Component, Spec, SpecBuilder};

    /// 1,000 requests/s for 30 s (10 s of warm-up) of `keys` uniform keys to `cache`.
    fn traffic(keys: u64) -> SpecBuilder {
        Spec::builder("30s")
            .warmup("10s")
            .entry("cache")
            .rate(1_000.0)
            .keys(keys, 0.0)
    }

    /// Reads of `keys` uniform keys at a cache of `capacity` entries over a database
    /// answering in 1 ms.
    fn cached(keys: u64, capacity: u64) -> SpecBuilder {
        traffic(keys)
            .component(Component::cache("cache", "db").capacity(capacity))
            .component(Component::database("db").cpu("1ms"))
    }

    /// With room for every key, every read after the warm-up hits, and the database sees
    /// little more than one read per key.
    #[test]
    fn the_hit_ratio_reaches_one_when_every_key_fits() {
        let stats = run(&cached(100, 1_000).build().unwrap(), 1);
        let cache = comp(&stats, "cache");
        // 10,000 warm-up reads of 100 keys: each key is read in it but with probability
        // 100 x 0.99^10000, about 1e-42.
        assert_eq!(counter(cache, "misses"), 0);
        assert!(counter(cache, "hits") > 19_000);
        assert_eq!(figure(cache, "hit_ratio"), Some(1.0));
        // The misses that went to the database: one per key, and a few more that arrived
        // while the first one's answer was on its way.
        let db = comp(&stats, "db").served;
        assert!((100..150).contains(&db), "{db} reads at the database");
    }

    /// A cache smaller than the key space hits less: LRU under uniform keys holds a
    /// capacity / keys share of them.
    #[test]
    fn a_capacity_below_the_key_space_hits_less() {
        let stats = run(&cached(1_000, 100).build().unwrap(), 1);
        let cache = comp(&stats, "cache");
        let ratio = figure(cache, "hit_ratio").unwrap();
        // ~20,000 measured lookups: a binomial standard deviation of 0.002; allow 0.02.
        assert!((ratio - 0.1).abs() < 0.02, "hit ratio {ratio}");
        assert!(counter(cache, "evictions") > 15_000);
        let roomy = run(&cached(1_000, 1_000).build().unwrap(), 1);
        assert!(figure(comp(&roomy, "cache"), "hit_ratio").unwrap() > 0.99);
        assert_eq!(counter(comp(&roomy, "cache"), "evictions"), 0);
    }

    /// A cache-aside write goes to the database and removes its key: the next read misses.
    #[test]
    fn an_aside_write_removes_its_key() {
        // One key, 10% writes, a database that answers at once: a read misses exactly when
        // the request before it was a write, so the hit ratio is 0.9.
        let spec = |writes: bool| {
            let mut cache = Component::cache("cache", "db").capacity(10);
            if writes {
                cache = cache.writes(["write"]);
            }
            traffic(1)
                .class("read", 0.9)
                .class("write", 0.1)
                .component(cache)
                .component(Component::service("db"))
                .build()
                .unwrap()
        };
        let stats = run(&spec(true), 1);
        let cache = comp(&stats, "cache");
        let ratio = figure(cache, "hit_ratio").unwrap();
        // ~18,000 measured reads: a binomial standard deviation of 0.0022; allow 0.015.
        assert!((ratio - 0.9).abs() < 0.015, "hit ratio {ratio}");
        let writes = counter(cache, "writes");
        assert_eq!(writes, stats.classes[1].succeeded);
        // Each miss follows a write (consecutive writes leave one miss).
        assert!(counter(cache, "misses") <= writes + 1);
        let stats = run(&spec(false), 1);
        assert_eq!(counter(comp(&stats, "cache"), "misses"), 0);
    }

    /// Coalescing lets the misses of one key share one backing call: a stampede on an
    /// expiring hot key costs one database read instead of one per waiting request.
    #[test]
    fn coalescing_cuts_backing_calls() {
        // One hot key, a 100 ms TTL and a 50 ms database read: every ~150 ms the key
        // expires and the reads of the next 50 ms miss.
        let spec = |coalesce: bool| {
            Spec::builder("10s")
                .drain("1s")
                .entry("cache")
                .rate(1_000.0)
                .keys(1, 0.0)
                .component(
                    Component::cache("cache", "db")
                        .capacity(10)
                        .ttl("100ms")
                        .coalesce(coalesce),
                )
                .component(Component::database("db").cpu("50ms"))
                .build()
                .unwrap()
        };
        let alone = run(&spec(false), 1);
        let shared = run(&spec(true), 1);
        let (n_alone, n_shared) = (comp(&alone, "db").served, comp(&shared, "db").served);
        // With coalescing: one read per expiry, 10 s / (100 ms + 50 ms + ~1 ms) = 66.
        assert!(n_shared.abs_diff(66) <= 3, "{n_shared} database reads");
        // Without: the ~50 reads that arrive during each fill go too.
        assert!(n_alone > 20 * n_shared, "{n_alone} against {n_shared}");
        let coalesced = counter(comp(&shared, "cache"), "coalesced");
        assert_eq!(
            counter(comp(&shared, "cache"), "misses"),
            n_shared + coalesced
        );
        assert_eq!(counter(comp(&alone, "cache"), "coalesced"), 0);
        // The requests that waited got the shared answer.
        assert_eq!(shared.overall.failed, 0);
        assert_eq!(shared.overall.succeeded, shared.generated);
    }
}
