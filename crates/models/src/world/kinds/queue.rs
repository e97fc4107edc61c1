//! The queue kind: its spec, publishing, consumers taking messages, finished messages, what
//! a crash loses, its build and its report.

use crate::world::*;

// ----- its spec -----

/// A message broker with one consumer group. A producer's request is acknowledged after
/// `publish`; the message waits in the backlog until one of `consumers` takes it and calls
/// `consumer` with it (the message keeps the request's class and key). Consumer lag is the time
/// from publish to the end of that call.
#[derive(Clone, Debug)]
pub struct QueueSpec {
    /// Time to acknowledge a publish.
    pub publish: Dist,
    /// Concurrent consumers.
    pub consumers: u32,
    /// The component each message is handed to.
    pub consumer: String,
    /// Whether the backlog survives a crash of the broker (if not, it is lost and counted).
    pub durable: bool,
    /// Most messages the backlog holds; a publish beyond it is rejected.
    pub capacity: Option<u64>,
}

pub(in crate::world) struct Msg {
    pub(in crate::world) class: u16,
    pub(in crate::world) key: u64,
    pub(in crate::world) published: u64,
}

pub(in crate::world) struct QueueBody {
    pub(in crate::world) backlog: VecDeque<Msg>,
    /// Messages waiting, over time (the broker's queue figures).
    pub(in crate::world) depth: TimeAverage,
    pub(in crate::world) publish: Dist,
    pub(in crate::world) consumers: u32,
    pub(in crate::world) busy: u32,
    pub(in crate::world) target: u32,
    pub(in crate::world) durable: bool,
    pub(in crate::world) capacity: Option<u64>,
    /// Messages published and not yet consumed, by key (for CQRS staleness).
    pub(in crate::world) unconsumed: KeyMap<u32>,
    pub(in crate::world) published: u64,
    pub(in crate::world) consumed: u64,
    pub(in crate::world) failed: u64,
    pub(in crate::world) lost: u64,
    pub(in crate::world) lag_total_us: u64,
    pub(in crate::world) lag_samples: u64,
    /// Per series bucket: most messages waiting, sum of lag (ms), messages consumed.
    pub(in crate::world) backlog_max: Vec<f64>,
    pub(in crate::world) lag_ms_sum: Vec<f64>,
    pub(in crate::world) consumed_per: Vec<f64>,
}

impl World {
    /// A producer publishes: the message joins the backlog, the producer gets its
    /// acknowledgement after the publish latency, and an idle consumer takes the message.
    #[inline(always)]
    pub(in crate::world) fn queue_publish(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
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
            return Step::Reject;
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
        qb.depth.set(now, depth);
        // An idle consumer takes the message once the acknowledgement is on its way.
        self.then.push(Then::Consume(comp));
        Step::ReplyIn(ack)
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
            qb.depth.set(now, depth);
            let bal = self.comps[target as usize].balance;
            let inst = self.choose(NONE, target, bal, msg.key, msg.class);
            let call = self.new_call(Call::consume(
                comp,
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
        let queue = call.owner();
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
                let lag = now - call.published_ns();
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

impl QueueBody {
    /// Builds queue `c`: one broker, its consumers on `q.consumer`.
    pub(in crate::world) fn build(
        c: &ComponentSpec,
        q: &QueueSpec,
        cx: &mut BuildCx<'_>,
    ) -> Result<QueueBody, ModelError> {
        let buckets = cx
            .span_ns
            .div_ceil(cx.spec.series_interval.as_nanos().max(1)) as usize
            + 1;
        Ok(QueueBody {
            backlog: VecDeque::new(),
            depth: TimeAverage::with_series(cx.window, cx.spec.series_interval.as_nanos()),
            publish: q.publish.clone(),
            consumers: q.consumers.max(1),
            busy: 0,
            target: find(cx.names, &c.name, &q.consumer)?,
            durable: q.durable,
            capacity: q.capacity,
            unconsumed: KeyMap::default(),
            published: 0,
            consumed: 0,
            failed: 0,
            lost: 0,
            lag_total_us: 0,
            lag_samples: 0,
            backlog_max: vec![0.0; buckets],
            lag_ms_sum: vec![0.0; buckets],
            consumed_per: vec![0.0; buckets],
        })
    }
}

impl Kind for QueueBody {
    const FOLLOW_UPS: bool = true;
    #[inline(always)]
    fn arrive(w: &mut World, ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        w.queue_publish(ctx, c)
    }
    /// The broker crashed: without durability it loses its backlog.
    fn on_crash(&mut self, _inst: u32, now: u64, _held: &mut Vec<u32>) -> Crashed {
        if !self.durable {
            self.lost += self.backlog.len() as u64;
            for m in self.backlog.drain(..) {
                if let Some(n) = self.unconsumed.get_mut(&m.key) {
                    *n -= 1;
                    if *n == 0 {
                        self.unconsumed.remove(&m.key);
                    }
                }
            }
        }
        self.depth.set(now, self.backlog.len() as u64);
        Crashed::default()
    }
    /// The broker is back: idle consumers take the messages waiting.
    fn on_up(w: &mut World, ctx: &mut Context<'_, Ev>, comp: u32, _inst: u32) {
        w.consume(ctx, comp);
    }
    /// Messages published, consumed, failed and lost, its lag, and its backlog over time.
    fn report(&self, s: &mut ComponentStats, cx: &ReportCx) {
        s.counters.extend([
            ("published".to_string(), self.published),
            ("consumed".to_string(), self.consumed),
            ("failed_messages".to_string(), self.failed),
            ("lost_messages".to_string(), self.lost),
            ("backlog_end".to_string(), self.backlog.len() as u64),
        ]);
        s.inputs.insert("lag_us_total", self.lag_total_us);
        s.inputs.insert("lag_samples", self.lag_samples);
        s.figures.declare(Figure::mean(
            "lag_ms_mean",
            "lag_us_total",
            "lag_samples",
            1e3,
        ));
        let n = cx.buckets;
        let cut = |v: &Vec<f64>| v[..n.min(v.len())].to_vec();
        s.series.insert("backlog", cut(&self.backlog_max));
        s.series.insert("lag_ms_sum", cut(&self.lag_ms_sum));
        s.series.insert("consumed", cut(&self.consumed_per));
        s.figures.extend([
            Figure::series("backlog"),
            Figure::series_ratio("lag_ms", "lag_ms_sum", &["consumed"]),
            Figure::series_rate("consumed_per_s", "consumed"),
        ]);
    }
    /// The broker's queue figures are its backlog.
    fn levels(&mut self, _inst: u32) -> Levels<'_> {
        Levels {
            busy: None,
            queue: Some(&mut self.depth),
            workers: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::kinds::testing::*;
    use crate::{Arrivals, Component, ComponentSpec, Dist, KindSpec, QueueSpec, Spec, SpecBuilder};
    use archsim_engine::SimTime;

    /// A queue `q` acknowledging a publish in 1 ms, with one consumer handing each message
    /// to `worker`, holding at most `capacity` messages.
    fn queue(capacity: Option<u64>) -> Component {
        Component::from(ComponentSpec {
            name: "q".into(),
            kind: KindSpec::Queue(QueueSpec {
                publish: Dist::Const(SimTime::from_millis(1).as_nanos()),
                consumers: 1,
                consumer: "worker".into(),
                durable: true,
                capacity,
            }),
            ..ComponentSpec::default()
        })
    }

    /// 100 messages/s, evenly spaced, for 10 s into `q`, consumed by a worker taking 20 ms
    /// each: half what comes in; the run follows them for 2 s more.
    fn overloaded(capacity: Option<u64>) -> SpecBuilder {
        Spec::builder("10s")
            .drain("2s")
            .entry("q")
            .rate(100.0)
            .arrivals(Arrivals::Uniform)
            .component(queue(capacity))
            .component(Component::service("worker").cpu("20ms"))
    }

    /// Every message published is consumed or still waits at the end, bar the one in the
    /// consumer's hands; the producer waits only for the acknowledgement.
    #[test]
    fn published_messages_are_consumed_or_wait() {
        let stats = run(&overloaded(None).build().unwrap(), 1);
        let q = comp(&stats, "q");
        let (published, consumed, left) = (
            counter(q, "published"),
            counter(q, "consumed"),
            counter(q, "backlog_end"),
        );
        assert_eq!(published, 1_000);
        assert_eq!(
            counter(q, "failed_messages") + counter(q, "lost_messages"),
            0
        );
        assert!(
            published - consumed - left <= 1,
            "{published} {consumed} {left}"
        );
        // One consumer back to back for 12 s at 20 ms: 600 messages.
        assert!(consumed.abs_diff(600) <= 1, "{consumed} consumed");
        assert_eq!(stats.overall.succeeded, 1_000);
        assert_eq!(stats.overall.latency.max_ms(), Some(1.0));
        // Lag grows with the backlog: message k, published at 10k ms, is consumed at
        // 20(k + 1) ms. The 499 consumed in the measured 10 s (k <= 498) lag 2,510 ms on
        // average.
        let lag = figure(q, "lag_ms_mean").unwrap();
        assert!((lag - 2_510.0).abs() < 1.0, "mean lag {lag} ms");
    }

    /// A queue at its capacity rejects the publish: the backlog never holds more.
    #[test]
    fn a_full_queue_rejects_publishes() {
        let stats = run(&overloaded(Some(10)).build().unwrap(), 1);
        let q = comp(&stats, "q");
        let published = counter(q, "published");
        assert_eq!(published + q.rejected, stats.generated);
        assert_eq!(errors(&stats, "rejected"), q.rejected);
        // The worker takes 50/s of the 100/s: about half are turned away.
        assert!(q.rejected.abs_diff(490) <= 10, "{} rejected", q.rejected);
        let backlog = q.series.get("backlog").unwrap();
        assert_eq!(backlog.iter().cloned().fold(0.0, f64::max), 10.0);
        assert!(published - counter(q, "consumed") - counter(q, "backlog_end") <= 1);
    }

    /// The consumer is called once per message, with the message's class: a class whose
    /// endpoint calls on reaches its target once per message of the class.
    #[test]
    fn the_consumer_is_called_once_per_message() {
        let spec = Spec::builder("10s")
            .entry("q")
            .rate(200.0)
            .class("plain", 0.7)
            .class("audited", 0.3)
            .component(queue(None))
            .component(Component::service("worker").cpu("1ms").endpoint(
                "audited",
                "1ms",
                ["audit"],
            ))
            .component(Component::service("audit").cpu("1ms"))
            .build()
            .unwrap();
        let stats = run(&spec, 1);
        let q = comp(&stats, "q");
        let published = counter(q, "published");
        assert_eq!(published, stats.generated);
        assert_eq!(counter(q, "consumed"), published);
        assert_eq!(counter(q, "backlog_end"), 0);
        assert_eq!(comp(&stats, "worker").served, published);
        assert_eq!(comp(&stats, "audit").served, stats.classes[1].succeeded);
    }
}
