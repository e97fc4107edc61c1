//! A client's request from its first attempt to its outcome: attempts, timeouts, retries,
//! closing, and closed-loop users thinking between requests.

use crate::world::*;

impl World {
    pub(in crate::world) fn start_request(&mut self, ctx: &mut Context<'_, Ev>, user: u32) {
        let now = ctx.now().as_nanos();
        let u: f64 = if self.traffic.class_cum.len() > 1 {
            self.traffic.rng_class.random()
        } else {
            0.0
        };
        let class = self
            .traffic
            .class_cum
            .iter()
            .position(|c| u < *c)
            .unwrap_or(0) as u16;
        // The key is drawn for every request, so that which classes carry keys does not
        // shift anyone's draws.
        let key = match &self.traffic.zipf {
            Some(z) => z.sample(&mut self.traffic.rng_keys) as u64 - 1,
            None => NO_KEY,
        };
        let key = if self.traffic.unkeyed[class as usize] {
            NO_KEY
        } else {
            key
        };
        if self.traffic.simple {
            // Open loop without timeout or retry: no client state beyond the call itself,
            // which carries the start time in (req, gen).
            self.live += 1;
            if self.calls.len() as u64 > self.max_in_flight && self.overload.is_none() {
                self.overload = Some(ctx.now());
                ctx.stop();
            }
            self.rec.arrival(class as usize, now);
            let entry = self.traffic.entry;
            let inst = self.choose(NONE, entry, self.comps[entry as usize].balance, key, class);
            let c = self.new_call(Call::simple(now, entry, inst, class, key));
            self.comps[entry as usize].insts[inst as usize].outstanding += 1;
            if !self.net.origins.is_empty() {
                self.calls[c as usize].origin = self.draw_origin();
            }
            return self.hop(ctx, Ev::Deliver(c));
        }
        let req = Req {
            start: now,
            key,
            user,
            gen: 0,
            attempts: 0,
            class,
            origin: if self.net.origins.is_empty() {
                NO_REGION
            } else {
                self.draw_origin()
            },
            live: true,
            degraded: false,
        };
        let r = match self.traffic.free_reqs.pop() {
            Some(i) => {
                // Keep the generation counter growing across reuse so stale events never match.
                let gen = self.traffic.reqs[i as usize].gen.wrapping_add(1);
                self.traffic.reqs[i as usize] = Req { gen, ..req };
                i
            }
            None => {
                self.traffic.reqs.push(req);
                (self.traffic.reqs.len() - 1) as u32
            }
        };
        self.live += 1;
        // The arena only grows when every slot is in use, so its length is the number of
        // calls in the system (including work the client gave up on) at its peak.
        if self.calls.len() as u64 > self.max_in_flight && self.overload.is_none() {
            self.overload = Some(ctx.now());
            ctx.stop();
        }
        self.rec.arrival(class as usize, now);
        if let Some(t) = &mut self.tracer {
            t.request_starts(r, class, key, now);
        }
        if let Some(b) = self.traffic.retry.as_ref().and_then(|r| r.budget) {
            self.traffic.retry_tokens = (self.traffic.retry_tokens + b).min(10.0_f64.max(b));
        }
        self.send_attempt(ctx, r);
    }
    pub(in crate::world) fn send_attempt(&mut self, ctx: &mut Context<'_, Ev>, r: u32) {
        let req = &mut self.traffic.reqs[r as usize];
        req.attempts += 1;
        req.degraded = false;
        let (gen, class, key, origin) = (req.gen, req.class, req.key, req.origin);
        let entry = self.traffic.entry;
        let inst = self.choose(NONE, entry, self.comps[entry as usize].balance, key, class);
        let c = self.new_call(Call::attempt(r, gen, entry, inst, class, key));
        self.calls[c as usize].origin = origin;
        self.comps[entry as usize].insts[inst as usize].outstanding += 1;
        if let Some(t) = self.traffic.timeout {
            ctx.schedule_in(t, Ev::Timeout(r, gen));
        }
        self.hop(ctx, Ev::Deliver(c));
    }
    /// An attempt ended in error `reason`: retry if the policy allows, else fail the request.
    pub(in crate::world) fn attempt_failed(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        r: u32,
        reason: usize,
    ) {
        let req = &mut self.traffic.reqs[r as usize];
        // Invalidate the attempt's pending timeout and any late reply.
        req.gen = req.gen.wrapping_add(1);
        if let Some(rp) = &self.traffic.retry {
            let retries_done = req.attempts - 1;
            let budget_ok = rp.budget.is_none_or(|_| self.traffic.retry_tokens >= 1.0);
            if retries_done < rp.max && budget_ok {
                if rp.budget.is_some() {
                    self.traffic.retry_tokens -= 1.0;
                }
                let base = rp.backoff.as_nanos() as f64 * rp.multiplier.powi(retries_done as i32);
                let delay = if rp.jitter {
                    base * self.traffic.rng_retry.random::<f64>()
                } else {
                    base
                };
                ctx.schedule_in(SimTime::from_nanos_f64(delay), Ev::Retry(r, req.gen));
                return;
            }
        }
        let (class, start) = (req.class as usize, req.start);
        if self.tracer.is_some() {
            self.trace_request(SlotOf::Request(r), Some(reason));
        }
        self.rec.failure(class, reason, start, ctx.now().as_nanos());
        self.close(ctx, r);
    }
    pub(in crate::world) fn close(&mut self, ctx: &mut Context<'_, Ev>, r: u32) {
        let req = &mut self.traffic.reqs[r as usize];
        req.live = false;
        req.gen = req.gen.wrapping_add(1);
        let user = req.user;
        self.live -= 1;
        self.traffic.free_reqs.push(r);
        if user != NONE && user >= self.traffic.user_limit {
            // Beyond the users a spike allows: this user leaves the loop for now.
            if let Some(l) = self.traffic.in_loop.get_mut(user as usize) {
                *l = false;
            }
            return;
        }
        if user != NONE {
            if let Load::Closed { think, .. } = &self.traffic.load {
                let t = think.sample(&mut self.traffic.rng_think);
                ctx.schedule_in(t, Ev::Wake(user));
            }
        }
    }
    pub(in crate::world) fn client_done(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        self.free_call(c);
        let now = ctx.now().as_nanos();
        if self.traffic.simple {
            self.live -= 1;
            let call = &self.calls[c as usize];
            let (start, err, class) = (call.start_ns(), call.err, call.class as usize);
            if self.watch_made {
                self.request_watched(SlotOf::Call(c), c, start, now);
            }
            if err == 0 {
                self.rec.success(class, start, now);
            } else {
                self.rec.failure(class, err as usize - 1, start, now);
            }
            return;
        }
        let call = self.calls[c as usize];
        let r = call.request();
        let req = self.traffic.reqs[r as usize];
        if !req.live || req.gen != call.attempt_gen() {
            self.time.forget(c);
            return; // the client gave up on this attempt already
        }
        if call.err == 0 {
            if self.watch_made {
                self.request_watched(SlotOf::Request(r), c, req.start, now);
            }
            if req.degraded {
                self.rec
                    .success_degraded(req.class as usize, req.start, ctx.now().as_nanos());
            } else {
                self.rec
                    .success(req.class as usize, req.start, ctx.now().as_nanos());
            }
            self.close(ctx, r);
        } else {
            self.attempt_failed(ctx, r, call.err as usize - 1);
        }
    }
    /// A request (`of`) that started at `start` ended at `now` through call `c`: its trace is
    /// kept or dropped, and a success's trail goes to the breakdown.
    #[inline(always)]
    fn request_watched(&mut self, of: SlotOf, c: u32, start: u64, now: u64) {
        let call = &self.calls[c as usize];
        let (err, comp, arrived) = (call.err, call.comp, call.arrived);
        let reason = (err != 0).then(|| err as usize - 1);
        if self.tracer.is_some() {
            self.trace_request(of, reason);
        }
        if reason.is_none() && self.time.on {
            // A measured request adds its trail to the breakdown.
            if self.rec.window().contains(start) {
                self.time.request_done(c, comp, arrived, now, now - start);
            } else {
                self.time.forget(c);
            }
        }
    }
}
