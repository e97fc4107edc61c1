//! `[traffic]`: the entry, the load (open loop at a `rate`, or a closed loop of `users`), the
//! client's timeout and retries, keys, request classes and the load profile.

use super::ck::{list, one_of, valid_name, Ck};
use super::{Scope, MAX_RATE, MAX_USERS};
use archsim_engine::SimTime;
use archsim_models::{Arrivals, Dist, Keys, Load, RetrySpec, TrafficSpec};

/// Checks `[traffic]` (`None` when it is missing or wrong, reported).
pub(super) fn check(ck: &mut Ck, scope: &Scope<'_>) -> Option<TrafficSpec> {
    let (raw, names, index_of) = (scope.raw, &scope.names, &scope.index);
    let top = ck.top.clone();
    let mut traffic = None;
    match &raw.traffic {
        None => ck.err(
            top.clone(),
            "missing [traffic] table; add `[traffic]` with `entry` and `rate` (or `users`)",
        ),
        Some(t) => {
            let tr = t.get_ref();
            let entry = match &tr.entry {
                None => {
                    ck.err(
                        t.span(),
                        "[traffic] needs `entry`, the component that receives every request",
                    );
                    None
                }
                Some(e) => {
                    if !index_of.contains_key(e.get_ref().as_str()) {
                        ck.err(
                            e.span(),
                            format!(
                                "traffic.entry: `{}` is not a component; components are: {}",
                                e.get_ref(),
                                list(names)
                            ),
                        );
                        None
                    } else {
                        Some(e.get_ref().clone())
                    }
                }
            };
            let load = match (&tr.rate, &tr.users) {
                (Some(_), Some(u)) => {
                    ck.err(
                        u.span(),
                        "give either `rate` (open loop) or `users` (closed loop), not both",
                    );
                    None
                }
                (None, None) => {
                    ck.err(
                        t.span(),
                        "[traffic] needs `rate` (arrivals per second) or `users` (a closed loop)",
                    );
                    None
                }
                (Some(rate), None) => {
                    if let Some(u) = &tr.think {
                        ck.err(u.span(), "`think` applies only to a closed loop (`users`)");
                    }
                    let arrivals = match &tr.arrivals {
                        None => Some(Arrivals::Poisson),
                        Some(a) => match one_of(a, &["poisson", "uniform"]) {
                            Ok(0) => Some(Arrivals::Poisson),
                            Ok(_) => Some(Arrivals::Uniform),
                            Err(m) => {
                                ck.err(a.span(), format!("traffic.arrivals: {m}"));
                                None
                            }
                        },
                    };
                    match (
                        ck.float(rate, "traffic.rate", 0.0, MAX_RATE, true),
                        arrivals,
                    ) {
                        (Some(r), Some(a)) => Some(Load::Open {
                            rate_per_s: r,
                            arrivals: a,
                        }),
                        _ => None,
                    }
                }
                (None, Some(users)) => {
                    if let Some(a) = &tr.arrivals {
                        ck.err(a.span(), "`arrivals` applies only to an open loop (`rate`)");
                    }
                    let n = ck.int(users, "traffic.users", 1, MAX_USERS);
                    let think = match &tr.think {
                        None => Some(Dist::Const(0)),
                        Some(th) => ck.dist(th, "traffic.think"),
                    };
                    match (n, think) {
                        (Some(n), Some(think)) => Some(Load::Closed {
                            users: n as u32,
                            think,
                        }),
                        _ => None,
                    }
                }
            };
            let timeout = tr.timeout.as_ref().and_then(|v| {
                let d = ck.duration(v, "traffic.timeout")?;
                if d == SimTime::ZERO {
                    ck.err(v.span(), "traffic.timeout must be more than 0s");
                    None
                } else {
                    Some(d)
                }
            });
            let keys = tr.keys.as_ref().and_then(|k| {
                let kr = k.get_ref();
                let count = match &kr.count {
                    None => {
                        ck.err(k.span(), "traffic.keys needs `count`, e.g. keys = { count = 100000, zipf = 0.99 }");
                        None
                    }
                    Some(c) => ck.int(c, "traffic.keys.count", 1, 1_000_000_000_000),
                };
                let zipf = match &kr.zipf {
                    None => Some(0.0),
                    Some(z) => ck.float(z, "traffic.keys.zipf", 0.0, 10.0, false),
                };
                Some(Keys {
                    count: count? as u64,
                    zipf: zipf?,
                })
            });
            let mut classes = Vec::new();
            let mut unkeyed = Vec::new();
            for (cname, c) in &tr.classes {
                if let Some(k) = &c.get_ref().keyed {
                    if !*k.get_ref() {
                        unkeyed.push(cname.clone());
                    }
                }
                if !valid_name(cname) {
                    ck.err(
                        c.span(),
                        format!("class name `{cname}` must be letters, digits, `_` or `-`"),
                    );
                }
                match &c.get_ref().weight {
                    None => ck.err(
                        c.span(),
                        format!("class `{cname}` needs `weight`, e.g. weight = 0.8"),
                    ),
                    Some(w) => {
                        if let Some(w) = ck.float(
                            w,
                            &format!("traffic.classes.{cname}.weight"),
                            0.0,
                            1e12,
                            true,
                        ) {
                            classes.push((cname.clone(), w));
                        }
                    }
                }
            }
            if tr.classes.is_empty() {
                classes.push(("default".to_string(), 1.0));
            }
            if tr.classes.len() > 200 {
                ck.err(t.span(), "at most 200 request classes");
            }
            let mut profile: Vec<(SimTime, f64)> = Vec::new();
            if let Some(points) = &tr.profile {
                if points.get_ref().len() > 100_000 {
                    ck.err(points.span(), "traffic.profile: at most 100000 points");
                }
                for p in points.get_ref().iter().take(100_000) {
                    let pr = p.get_ref();
                    let at = match &pr.at {
                        None => {
                            ck.err(
                                p.span(),
                                "a traffic.profile point needs `at`, a time such as \"5m\"",
                            );
                            None
                        }
                        Some(a) => ck.duration(a, "traffic.profile.at").map(|d| (d, a.span())),
                    };
                    let factor = match &pr.factor {
                        None => {
                            ck.err(p.span(), "a traffic.profile point needs `factor`, the multiplier on the traffic at that time, e.g. factor = 0.5");
                            None
                        }
                        Some(f) => ck.float(f, "traffic.profile.factor", 0.0, 1000.0, false),
                    };
                    if let (Some((at, sp)), Some(f)) = (at, factor) {
                        if profile.last().is_some_and(|l| l.0 >= at) {
                            ck.err(sp, "traffic.profile: each point's `at` must be later than the previous one's");
                        } else {
                            profile.push((at, f));
                        }
                    }
                }
                if profile.iter().all(|p| p.1 == 0.0) && !profile.is_empty() {
                    ck.err(
                        points.span(),
                        "traffic.profile: every factor is 0, so no request would ever arrive",
                    );
                }
            }
            let retry = tr.retry.as_ref().and_then(|r| {
                let rr = r.get_ref();
                let max = match &rr.max {
                    None => Some(3),
                    Some(m) => ck.int(m, "traffic.retry.max", 0, 100),
                };
                let backoff = match &rr.backoff {
                    None => Some(SimTime::from_millis(100)),
                    Some(b) => ck.duration(b, "traffic.retry.backoff"),
                };
                let multiplier = match &rr.multiplier {
                    None => Some(2.0),
                    Some(m) => ck.float(m, "traffic.retry.multiplier", 1.0, 100.0, false),
                };
                let jitter = match &rr.jitter {
                    None => Some(false),
                    Some(j) => match one_of(j, &["none", "full"]) {
                        Ok(i) => Some(i == 1),
                        Err(m) => {
                            ck.err(j.span(), format!("traffic.retry.jitter: {m}"));
                            None
                        }
                    },
                };
                let budget = match &rr.budget {
                    None => Some(None),
                    Some(b) => ck
                        .float(b, "traffic.retry.budget", 0.0, 1.0, true)
                        .map(Some),
                };
                Some(RetrySpec {
                    max: max? as u32,
                    backoff: backoff?,
                    multiplier: multiplier?,
                    jitter: jitter?,
                    budget: budget?,
                })
            });
            if let (Some(entry), Some(load)) = (entry, load) {
                traffic = Some(TrafficSpec {
                    entry,
                    load,
                    timeout,
                    keys,
                    classes,
                    unkeyed,
                    retry,
                    profile,
                });
            }
        }
    }
    traffic
}
