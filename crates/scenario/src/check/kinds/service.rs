//! A service: instances with `cores` and `workers`, a waiting room (`queue`), `endpoints`
//! per request class (a CPU time and the calls it makes, each with its policies), a rate
//! limit, and the resilience keys (autoscaling, queue discipline, dropping expired work).
//! A gateway and a database are services too (see [`super::gateway`], [`super::database`]).

use super::{Comp, Placement};
use crate::check::ck::{list, Ck};
use crate::check::resilience::{call_policy, resilience_keys};
use crate::check::{Edge, Scope, MAX_INSTANCES, MAX_RATE};
use archsim_models::{
    CallSpec, EndpointSpec, KindSpec, ServiceSpec, Usl, MAX_CORES, MAX_QUEUE, MAX_USL, MAX_WORKERS,
};

/// The keys of a service.
pub(super) const KEYS: &[&str] = &[
    "cores",
    "workers",
    "queue",
    "endpoints",
    "rate_limit",
    "burst",
    "autoscale",
    "drop_expired",
    "queue_discipline",
    "lifo_above",
    "usl",
];

/// Checks a service.
pub(super) fn check(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    place: &mut Placement,
) -> KindSpec {
    KindSpec::Service(spec(ck, scope, c, edges, place))
}

/// The service part of a service, gateway or database; an autoscaled one starts with its
/// instances clamped to the scaler's bounds.
pub(super) fn spec(
    ck: &mut Ck,
    scope: &Scope<'_>,
    c: &Comp<'_>,
    edges: &mut Vec<Edge>,
    place: &mut Placement,
) -> ServiceSpec {
    let (name, r, ci) = (c.name, c.raw, c.index);
    let (names, index_of, class_names) = (&scope.names, &scope.index, &scope.classes);
    let instances_of = |name: &str| scope.instances_of(name);
    let mut s = ServiceSpec::default();
    match (&r.rate_limit, &r.burst) {
        (Some(rate), burst) => {
            let rate = ck.float(
                rate,
                &format!("components.{name}.rate_limit"),
                0.0,
                MAX_RATE,
                true,
            );
            let burst = match burst {
                None => rate.map(|r| (r / 10.0).max(1.0)),
                Some(b) => ck.float(b, &format!("components.{name}.burst"), 1.0, 1e9, false),
            };
            if let (Some(r), Some(b)) = (rate, burst) {
                s.rate_limit = Some((r, b));
            }
        }
        (None, Some(b)) => ck.err(b.span(), format!("`{name}`: `burst` needs `rate_limit`")),
        (None, None) => {}
    }
    let machine = r
        .machine
        .as_ref()
        .and_then(|m| scope.machines.get(m.get_ref()));
    if let Some(v) = &r.cores {
        s.cores = ck
            .int(
                v,
                &format!("components.{name}.cores"),
                1,
                i64::from(MAX_CORES),
            )
            .map(|x| x as u32);
        if let (Some(k), Some(m)) = (s.cores, machine) {
            if k > m.cores {
                ck.err(
                    v.span(),
                    format!(
                        "components.{name}.cores = {k} but machine {} has {} cores; pick a bigger machine or fewer cores",
                        m.name, m.cores
                    ),
                );
            }
        }
    } else if let Some(m) = machine {
        // The machine's cores.
        s.cores = Some(m.cores);
    }
    if let Some(u) = &r.usl {
        s.usl = usl(ck, name, u, s.cores.is_some());
    }
    if let Some(v) = &r.workers {
        s.workers = ck
            .int(
                v,
                &format!("components.{name}.workers"),
                1,
                i64::from(MAX_WORKERS),
            )
            .map(|x| x as u32);
    }
    if let Some(v) = &r.queue {
        s.queue = ck
            .int(
                v,
                &format!("components.{name}.queue"),
                0,
                i64::from(MAX_QUEUE),
            )
            .map(|x| x as u32);
    }
    resilience_keys(ck, r, name, &mut s, &mut place.instances, class_names);
    if let Some(eps) = &r.endpoints {
        for (ep_name, ep) in eps {
            if ep_name != "default" && !class_names.contains(ep_name) {
                ck.err(
                    ep.span(),
                    format!(
                        "endpoint `{ep_name}` of `{name}` names no request class; classes are: {} (or use `default`)",
                        class_names.join(", ")
                    ),
                );
            }
            let e = ep.get_ref();
            let database = r.kind.as_ref().is_some_and(|k| k.get_ref() == "database");
            if let (false, Some(span)) = (
                database,
                e.table
                    .as_ref()
                    .map(|t| t.span())
                    .or(e.grows.as_ref().map(|g| g.span())),
            ) {
                ck.err(
                    span,
                    format!("components.{name}.endpoints.{ep_name}: `table` and `grows` are a database's (a table it reads or writes)"),
                );
            }
            let mut spec = EndpointSpec::default();
            if let Some(cpu) = &e.cpu {
                spec.cpu = ck.dist(cpu, &format!("components.{name}.endpoints.{ep_name}.cpu"));
            }
            if let Some(v) = &e.request_size {
                spec.request_size = ck.bytes_dist(
                    v,
                    &format!("components.{name}.endpoints.{ep_name}.request_size"),
                );
            }
            if let Some(v) = &e.response_size {
                spec.response_size = ck.bytes_dist(
                    v,
                    &format!("components.{name}.endpoints.{ep_name}.response_size"),
                );
            }
            if let Some(calls) = &e.calls {
                for call in calls.get_ref() {
                    let cspan = call.span();
                    let rc = call.get_ref();
                    let to_span = if rc.to.span().is_empty() {
                        cspan.clone()
                    } else {
                        rc.to.span()
                    };
                    let to = rc.to.get_ref();
                    let fanout = match &rc.fanout {
                        None => 1,
                        Some(f) => ck.int(f, "fanout", 1, MAX_INSTANCES).unwrap_or(1) as u32,
                    };
                    match index_of.get(to.as_str()).copied() {
                        None => ck.err(
                            to_span,
                            format!(
                                "`{name}` calls `{to}`, which is not a component; components are: {}",
                                list(names)
                            ),
                        ),
                        Some(ti) => {
                            edges.push((ci, ti, to_span.clone()));
                            let n = instances_of(to).unwrap_or(1);
                            if fanout > n {
                                let sp = rc.fanout.as_ref().map(|f| f.span()).unwrap_or(to_span);
                                ck.err(
                                    sp,
                                    format!(
                                        "fanout {fanout} needs {fanout} distinct instances of `{to}`, which has {n}; raise components.{to}.instances or lower the fanout"
                                    ),
                                );
                            }
                        }
                    }
                    let policy = call_policy(
                        ck,
                        rc,
                        &format!("components.{name}.endpoints.{ep_name}.calls"),
                    );
                    spec.calls.push(CallSpec {
                        to: to.clone(),
                        fanout,
                        policy,
                    });
                }
            }
            s.endpoints.push((ep_name.clone(), spec));
        }
    }
    s
}

/// `usl = { sigma, kappa }`: each in [0, MAX_USL] (a missing one is 0); needs cores.
fn usl(
    ck: &mut Ck,
    name: &str,
    u: &toml::Spanned<crate::raw::RawUsl>,
    has_cores: bool,
) -> Option<Usl> {
    let raw = u.get_ref();
    let mut read = |v: &Option<toml::Spanned<f64>>, key: &str| match v {
        None => Some(0.0),
        Some(v) => ck.float(
            v,
            &format!("components.{name}.usl.{key}"),
            0.0,
            MAX_USL,
            false,
        ),
    };
    let (sigma, kappa) = (read(&raw.sigma, "sigma"), read(&raw.kappa, "kappa"));
    if !has_cores {
        ck.err(
            u.span(),
            format!("components.{name}.usl needs cores to scale over: set `cores` or a `machine`"),
        );
        return None;
    }
    Some(Usl {
        sigma: sigma?,
        kappa: kappa?,
    })
}
