//! The database kind's data side: read models (stale reads), commits and their replication to replicas.

use crate::world::*;

impl World {
    /// A read of a CQRS read model is stale if its key has a message published and not yet
    /// consumed in the queue that feeds the model.
    pub(in crate::world) fn check_read_model(&mut self, c: u32, now: u64) {
        let Call {
            comp,
            class,
            key,
            parent,
            ..
        } = self.calls[c as usize];
        let source = match &self.comps[comp as usize].body {
            Body::Service(Svc { db: Some(db), .. }) if !db.is_write[class as usize] => db.source,
            _ => None,
        };
        let Some(q) = source else { return };
        if parent == INTERNAL || !self.rec.window().contains(now) {
            return;
        }
        let pending = match &self.comps[q as usize].body {
            Body::Queue(qb) if key != NO_KEY => qb.unconsumed.get(&key).copied().unwrap_or(0),
            _ => 0,
        };
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[comp as usize].body {
            db.model_reads += 1;
            db.stale_reads += (pending > 0) as u64;
        }
    }
    /// A write finished at a database primary: record its commit and send it to every replica,
    /// where it applies after a replication-lag draw, through the replica's own queue and cores.
    /// Called for a call answered without error, not internal, at a database.
    #[inline(never)]
    pub(in crate::world) fn commit(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        let now = ctx.now().as_nanos();
        let comp = &mut self.comps[call.comp as usize];
        let Body::Service(Svc { db: Some(db), .. }) = &mut comp.body else {
            return;
        };
        if db.replicas == 0 || !db.is_write[call.class as usize] || call.inst != db.primary {
            return;
        }
        if call.key != NO_KEY {
            db.latest.insert(call.key, now);
        }
        // Autoscaled replicas that are starting take writes too.
        let lags: Vec<SimTime> = (0..db.replicas + db.starting)
            .map(|_| db.lag.sample(&mut comp.rng))
            .collect();
        let (primary, term) = (db.primary, db.term);
        if db.failover.is_some() {
            for k in 0..db.replicas {
                db.undelivered[(k + (k >= primary) as u32) as usize] += 1;
            }
        }
        for (k, lag) in lags.into_iter().enumerate() {
            let r = k as u32 + (k as u32 >= primary) as u32;
            // An apply's `req` is the primary's term (void after a failover).
            let apply = self.new_call(Call::new(
                INTERNAL, term, APPLY, call.comp, r, call.class, call.key, now,
            ));
            self.comps[call.comp as usize].insts[r as usize].outstanding += 1;
            ctx.schedule_in(lag, Ev::Deliver(apply));
        }
    }
    /// An internal call answered: a replica applied a write (or lost it in a crash).
    #[inline(never)]
    pub(in crate::world) fn internal_done(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let call = self.calls[c as usize];
        self.free_call(c);
        if call.gen == CONSUME {
            return self.consumed(ctx, call);
        }
        if call.gen == REFRESH {
            let now = ctx.now().as_nanos();
            let comp = &mut self.comps[call.req as usize];
            if let Body::Cache(cb) = &mut comp.body {
                let inst = call.aux as usize;
                cb.refreshing[inst].remove(&call.key);
                if call.err == 0 && !comp.insts[inst].down {
                    cb.stores[inst].insert(call.key, now, &mut comp.rng);
                }
            }
            return;
        }
        if call.gen == FLUSH {
            if let Body::Cache(cb) = &mut self.comps[call.req as usize].body {
                if call.err == 0 {
                    cb.flushed += 1;
                } else {
                    cb.lost_writes += 1;
                }
            }
            return;
        }
        if call.err != 0 {
            return;
        }
        let now = ctx.now().as_nanos();
        let measured = self.rec.window().contains(now);
        if let Body::Service(Svc { db: Some(db), .. }) = &mut self.comps[call.comp as usize].body {
            if call.inst != db.primary && call.key != NO_KEY {
                let applied = db.applied[call.inst as usize].entry(call.key).or_insert(0);
                *applied = (*applied).max(call.aux);
            }
            if measured {
                db.applies += 1;
                db.lag_total_us += (now - call.aux) / 1_000;
            }
        }
    }
}
