//! The queue kind: publishing, consumers taking messages, and finished messages.

use crate::world::*;

impl World {
    /// A producer publishes: the message joins the backlog, the producer gets its
    /// acknowledgement after the publish latency, and an idle consumer takes the message.
    #[inline(never)]
    pub(in crate::world) fn queue_publish(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let now = ctx.now().as_nanos();
        let Call {
            comp, class, key, ..
        } = self.calls[c as usize];
        let bucket = self.bucket_of(now);
        let cm = &mut self.comps[comp as usize];
        let Body::Queue(qb) = &mut cm.body else {
            unreachable!()
        };
        if qb
            .capacity
            .is_some_and(|cap| qb.backlog.len() as u64 >= cap)
        {
            return self.reject(ctx, c, REJECTED);
        }
        qb.backlog.push_back(Msg {
            class,
            key,
            published: now,
        });
        if qb.backlog.len() as u64 > self.max_backlog && self.overload.is_none() {
            // Beyond what memory has room for: stop as overloaded before it runs out.
            self.overload = Some(ctx.now());
            self.overload_queue = Some(comp);
            ctx.stop();
        }
        qb.published += 1;
        if key != NO_KEY {
            *qb.unconsumed.entry(key).or_insert(0) += 1;
        }
        let b = &mut qb.backlog_max[bucket];
        *b = b.max(qb.backlog.len() as f64);
        let ack = qb.publish.sample(&mut cm.rng);
        // The broker's queue figures are its backlog.
        let depth = qb.backlog.len() as u64;
        cm.insts[0].queue.set(now, depth);
        if ack == SimTime::ZERO {
            self.finish_call(ctx, c);
        } else {
            ctx.schedule_in(ack, Ev::Finish(c));
        }
        self.consume(ctx, comp);
    }
    /// Idle consumers take messages while there are any and the broker is up.
    pub(in crate::world) fn consume(&mut self, ctx: &mut Context<'_, Ev>, comp: u32) {
        loop {
            if self.comps[comp as usize].insts[0].down {
                return;
            }
            let Body::Queue(qb) = &mut self.comps[comp as usize].body else {
                return;
            };
            if qb.busy >= qb.consumers {
                return;
            }
            let Some(msg) = qb.backlog.pop_front() else {
                return;
            };
            qb.busy += 1;
            let target = qb.target;
            let now = ctx.now().as_nanos();
            let depth = qb.backlog.len() as u64;
            self.comps[comp as usize].insts[0].queue.set(now, depth);
            let bal = self.comps[target as usize].balance;
            let inst = self.choose(NONE, target, bal, msg.key, msg.class);
            let call = self.new_call(Call::new(
                INTERNAL,
                comp,
                CONSUME,
                target,
                inst,
                msg.class,
                msg.key,
                msg.published,
            ));
            self.comps[target as usize].insts[inst as usize].outstanding += 1;
            self.hop(ctx, Ev::Deliver(call));
        }
    }
    /// A consumer finished a message (or failed it).
    pub(in crate::world) fn consumed(&mut self, ctx: &mut Context<'_, Ev>, call: Call) {
        let now = ctx.now().as_nanos();
        let measured = self.rec.window().contains(now);
        let bucket = self.bucket_of(now);
        let queue = call.req;
        if let Body::Queue(qb) = &mut self.comps[queue as usize].body {
            qb.busy -= 1;
            if call.key != NO_KEY {
                if let Some(n) = qb.unconsumed.get_mut(&call.key) {
                    *n -= 1;
                    if *n == 0 {
                        qb.unconsumed.remove(&call.key);
                    }
                }
            }
            if call.err != 0 {
                qb.failed += 1;
            } else {
                qb.consumed += 1;
                let lag = now - call.aux;
                if measured {
                    qb.lag_total_us += lag / 1_000;
                    qb.lag_samples += 1;
                }
                if bucket < qb.lag_ms_sum.len() {
                    qb.lag_ms_sum[bucket] += lag as f64 / 1e6;
                    qb.consumed_per[bucket] += 1.0;
                }
            }
        }
        self.consume(ctx, queue);
    }
}
