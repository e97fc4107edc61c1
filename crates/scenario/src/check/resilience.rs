//! The resilience keys: a service's queue discipline and deadline propagation (plus its
//! `autoscale`, see [`super::autoscale`]), and the policies of a call (timeout, retries,
//! backoff, breaker, bulkhead, hedge, fallback).

use super::autoscale::autoscale_of;
use super::ck::{one_of, Ck};
use crate::raw::{RawCall, RawComponent};
use archsim_engine::SimTime;
use archsim_models::{BreakerSpec, CallPolicy, Discipline, ServiceSpec, MAX_QUEUE};
use toml::Spanned;

/// The service keys of the resilience features: autoscaling, deadline propagation and the
/// queue discipline. An autoscaled service starts with `instances` clamped to `[min, max]`.
pub(super) fn resilience_keys(
    ck: &mut Ck,
    r: &RawComponent,
    name: &str,
    s: &mut ServiceSpec,
    instances: &mut u32,
    classes: &[String],
) {
    s.drop_expired = r.drop_expired.as_ref().is_some_and(|v| *v.get_ref());
    let above = r.lifo_above.as_ref().and_then(|v| {
        ck.int(
            v,
            &format!("components.{name}.lifo_above"),
            0,
            i64::from(MAX_QUEUE),
        )
        .map(|x| x as u32)
    });
    s.discipline = match &r.queue_discipline {
        None => Discipline::Fifo,
        Some(d) => match one_of(d, &["fifo", "lifo", "adaptive_lifo"]) {
            Ok(0) => Discipline::Fifo,
            Ok(1) => Discipline::Lifo,
            Ok(_) => Discipline::AdaptiveLifo {
                // Default: LIFO once a tenth of the waiting room (or 10 requests) is full.
                above: above.unwrap_or(s.queue.map_or(10, |q| (q / 10).max(1))),
            },
            Err(m) => {
                ck.err(d.span(), format!("components.{name}.queue_discipline: {m}"));
                Discipline::Fifo
            }
        },
    };
    if let Some(v) = &r.lifo_above {
        if !matches!(s.discipline, Discipline::AdaptiveLifo { .. }) {
            ck.err(
                v.span(),
                format!("`{name}`: lifo_above applies to queue_discipline = \"adaptive_lifo\""),
            );
        }
    }
    let Some(a) = &r.autoscale else { return };
    if let Some(a) = autoscale_of(ck, a, name, "autoscale", s.cores.is_some(), classes) {
        *instances = (*instances).clamp(a.min, a.max);
        s.autoscale = Some(a);
    }
}

/// The policies of one call table (timeout, retries, breaker, bulkhead, hedge, fallback).
pub(super) fn call_policy(ck: &mut Ck, rc: &RawCall, what: &str) -> Option<Box<CallPolicy>> {
    let any = rc.timeout.is_some()
        || rc.retries.is_some()
        || rc.backoff.is_some()
        || rc.breaker.is_some()
        || rc.bulkhead.is_some()
        || rc.hedge.is_some()
        || rc.fallback.is_some();
    if !any {
        return None;
    }
    let mut p = CallPolicy::default();
    let positive = |ck: &mut Ck, v: &Spanned<String>, k: &str| -> Option<SimTime> {
        let t = ck.duration(v, &format!("{what}.{k}"))?;
        if t == SimTime::ZERO {
            ck.err(v.span(), format!("{what}.{k} must be more than 0s"));
            return None;
        }
        Some(t)
    };
    p.timeout = rc.timeout.as_ref().and_then(|t| positive(ck, t, "timeout"));
    p.hedge = rc.hedge.as_ref().and_then(|t| positive(ck, t, "hedge"));
    if let Some(r) = &rc.retries {
        p.retries = ck.int(r, &format!("{what}.retries"), 0, 100).unwrap_or(0) as u32;
    }
    if let Some(b) = &rc.backoff {
        if rc.retries.is_none() {
            ck.err(b.span(), format!("{what}: `backoff` needs `retries`"));
        }
        p.backoff = ck
            .duration(b, &format!("{what}.backoff"))
            .unwrap_or(SimTime::ZERO);
    }
    if let Some(b) = &rc.bulkhead {
        p.bulkhead = ck
            .int(b, &format!("{what}.bulkhead"), 1, 10_000_000)
            .map(|x| x as u32);
    }
    if let Some(f) = &rc.fallback {
        p.fallback = ck.dist(f, &format!("{what}.fallback"));
    }
    if let Some(b) = &rc.breaker {
        let b = b.get_ref();
        let k = |x: &str| format!("{what}.breaker.{x}");
        let failure_rate = match &b.failure_rate {
            None => Some(0.5),
            Some(f) => ck.float(f, &k("failure_rate"), 0.0, 1.0, true),
        };
        let dur = |ck: &mut Ck, v: &Option<Spanned<String>>, x: &str, d: SimTime| match v {
            None => Some(d),
            Some(v) => {
                let t = ck.duration(v, &k(x))?;
                if t < SimTime::from_millis(1) {
                    ck.err(v.span(), format!("{} must be at least 1ms", k(x)));
                    return None;
                }
                Some(t)
            }
        };
        let window = dur(ck, &b.window, "window", SimTime::from_secs(10));
        let open_for = dur(ck, &b.open_for, "open_for", SimTime::from_secs(5));
        let min_calls = match &b.min_calls {
            None => Some(20),
            Some(v) => ck.int(v, &k("min_calls"), 1, 1_000_000),
        };
        let half_open = match &b.half_open {
            None => Some(3),
            Some(v) => ck.int(v, &k("half_open"), 1, 1_000_000),
        };
        if let (
            Some(failure_rate),
            Some(window),
            Some(open_for),
            Some(min_calls),
            Some(half_open),
        ) = (failure_rate, window, open_for, min_calls, half_open)
        {
            p.breaker = Some(BreakerSpec {
                failure_rate,
                window,
                min_calls: min_calls as u32,
                open_for,
                half_open: half_open as u32,
            });
        }
    }
    Some(Box::new(p))
}
