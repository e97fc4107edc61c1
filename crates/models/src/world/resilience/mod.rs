//! Resilience: per-call policies (timeout, retries, circuit breaker, bulkhead, hedging,
//! fallback), traffic spikes, deadline propagation and autoscaling.
//!
//! # Guarded calls
//!
//! A call step with policies sends each leg through a *guard* instead of a plain call. The
//! guard owns the leg's attempts: it sends a copy (after the bulkhead and the breaker let it),
//! arms the timeout and the hedge timer, and on the copy's answer decides: success ends the
//! leg (a hedge copy still out is cancelled); a failure or timeout retries after the backoff,
//! or fails the leg, or hands it to the fallback, which answers after its delay and marks the
//! request degraded. The caller's `pending` counts guards, not copies, so a copy the caller
//! gave up on runs on at its callee (servers keep working on abandoned requests) and its late
//! answer is dropped. Where `drop_expired` is set, such work is dropped instead when it
//! reaches the CPU; a losing hedge copy is always dropped there.

use super::*;

mod autoscale;
mod breaker;
mod cold;
mod guard;
pub(in crate::world) use autoscale::*;
pub(in crate::world) use breaker::*;
pub(in crate::world) use cold::*;
pub(in crate::world) use guard::*;

/// Resilience's state: call policies with their guards, and autoscalers (all idle unless
/// a scenario uses them).
pub(in crate::world) struct Res {
    /// Some call has policies: replies check for a guard.
    pub(in crate::world) has_policies: bool,
    /// Some work may be dropped before its CPU time (hedges, `drop_expired`).
    pub(in crate::world) drop_work: bool,
    pub(in crate::world) policies: Vec<PolicyRt>,
    pub(in crate::world) guards: Vec<Guard>,
    pub(in crate::world) free_guards: Vec<u32>,
    pub(in crate::world) reason_open: usize,
    pub(in crate::world) reason_bulkhead: usize,
    pub(in crate::world) scalers: Vec<Scaler>,
    /// Some autoscaler scales on a response-time percentile: finished calls are sampled.
    pub(in crate::world) latency_scaling: bool,
}

impl World {
    fn measured(&self, now: u64) -> u64 {
        self.rec.window().contains(now) as u64
    }

    /// `comp` or `comp[i]` when it has several instances.
    fn inst_label(&self, comp: u32, inst: u32) -> String {
        self.comps[comp as usize].label(inst)
    }

    // ----- circuit breaker -----

    // ----- spikes -----

    // ----- autoscaling -----

    /// Adds the resilience counters and series to the component figures.
    pub(in crate::world) fn resilience_stats(&self, comps: &mut [ComponentStats], end_ns: u64) {
        for rt in &self.res.policies {
            let s = &mut comps[rt.caller as usize];
            let p = &rt.p;
            // A caller's policies (one per callee) add into one set of counters.
            s.counters.add("guarded_calls", rt.calls);
            if p.timeout.is_some() {
                s.counters.add("call_timeouts", rt.timeouts);
            }
            if p.retries > 0 {
                s.counters.add("call_retries", rt.retries);
            }
            if p.hedge.is_some() {
                s.counters.add("hedges", rt.hedges);
                s.figures.declare(
                    Figure::ratio("hedge_extra_load", "hedges", &["guarded_calls"])
                        .unless_zero()
                        .order(1),
                );
            }
            if p.fallback.is_some() {
                s.counters.add("fallbacks", rt.fallbacks);
            }
            if p.breaker.is_some() {
                s.counters.add("breaker_opens", rt.opens);
                s.counters.add("circuit_open", rt.open_rejects);
            }
            if p.bulkhead.is_some() {
                s.counters.add("bulkhead_full", rt.bulkhead_rejects);
            }
        }
        if self.res.drop_work {
            for (c, s) in self.comps.iter().zip(comps.iter_mut()) {
                if let Body::Service(svc) = &c.body {
                    if svc.drop_expired || svc.dropped > 0 {
                        s.counters.insert("dropped_work", svc.dropped);
                    }
                }
            }
        }
        for sc in &self.res.scalers {
            let n = (end_ns / self.interval_ns + 1) as usize;
            let mut v = Vec::with_capacity(n);
            let mut k = 0;
            let mut cur = sc.changes.first().map_or(0, |c| c.1);
            for b in 0..n {
                let t_end = (b as u64 + 1) * self.interval_ns;
                while k < sc.changes.len() && sc.changes[k].0 < t_end {
                    cur = sc.changes[k].1;
                    k += 1;
                }
                v.push(cur as f64);
            }
            // Ready-instance time over the measured window: the denominator of utilization
            // and mean queue for an autoscaled service.
            let w = self.rec.window();
            let mut ready_ns: u128 = 0;
            for (k, &(t, n)) in sc.changes.iter().enumerate() {
                let next = sc.changes.get(k + 1).map_or(end_ns, |c| c.0);
                let (lo, hi) = (t.max(w.warmup_ns), next.min(w.end_ns));
                if hi > lo {
                    ready_ns += n as u128 * (hi - lo) as u128;
                }
            }
            // Ready-instance time per series bucket (instance x ns), over the whole run like
            // the busy and queue series it divides.
            let mut ready = vec![0u128; n];
            for (k, &(t, m)) in sc.changes.iter().enumerate() {
                let next = sc.changes.get(k + 1).map_or(end_ns, |c| c.0).min(end_ns);
                let mut lo = t;
                while lo < next {
                    let b = (lo / self.interval_ns) as usize;
                    let hi = next.min((b as u64 + 1) * self.interval_ns);
                    if let Some(r) = ready.get_mut(b) {
                        *r += m as u128 * (hi - lo) as u128;
                    }
                    lo = hi;
                }
            }
            let s = &mut comps[sc.comp as usize];
            if let Body::Service(Svc { cold: Some(z), .. }) = &self.comps[sc.comp as usize].body {
                s.counters.insert("cold_starts", z.cold_starts);
            }
            s.ready_series = ready;
            s.series.insert("instances", v);
            s.figures.declare(Figure::series("instances"));
            let ready_ms = (ready_ns / 1_000_000) as u64;
            s.counters.insert("ready_instance_ms", ready_ms);
            s.ready_instance_ms = Some(ready_ms);
            // Instances that took traffic, on average over the measured window (what an
            // autoscaled component costs).
            s.figures.declare(Figure::time_mean(
                "mean_instances",
                "ready_instance_ms",
                1e3,
            ));
            // Instances that were ready longer are busier by design: no per-instance figures
            // (and no hot-instance warning) for an autoscaled service.
            s.per_instance_served.clear();
            s.per_instance_busy.clear();
            s.per_instance_memory = None;
            s.instance_series = None;
        }
    }
}
