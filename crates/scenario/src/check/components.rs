//! `[components.*]`: each component's name, kind, the keys its kind takes, its instances and
//! balancing, what its kind says about it, and its operational keys; then the one check
//! that needs them all, that calls form no cycle.

use super::autoscale::replica_autoscale;
use super::ck::{list, one_of, valid_name, Ck};
use super::ops::check_ops;
use super::resilience::{call_policy, resilience_keys};
use super::{kind_keys, Edge, Scope, MAX_INSTANCES, MAX_RATE};
use super::{KINDS, LATER_KINDS, SERVICE_KEYS};
use crate::raw::RawTargets;
use archsim_engine::SimTime;
use archsim_models::{
    CacheSpec, CallSpec, CdnSpec, CompOps, ComponentSpec, DbSpec, Dist, EndpointSpec, Eviction,
    KindSpec, OpsSpec, Policy, QueueSpec, Reads, ServiceSpec, WritePolicy,
};
use std::ops::Range;
use toml::Spanned;

/// Checks every component, in the order written, into `ops` (their operational keys) and
/// the returned specs; also returns every call reference between them, for [`cycle`].
pub(super) fn check_all(
    ck: &mut Ck,
    scope: &Scope<'_>,
    ops: &mut OpsSpec,
) -> (Vec<ComponentSpec>, Vec<Edge>) {
    let (raw, names, index_of, class_names) =
        (scope.raw, &scope.names, &scope.index, &scope.classes);
    let instances_of = |name: &str| scope.instances_of(name);
    let raw_kind = |name: &str| scope.kind_of(name);
    let mut comps: Vec<ComponentSpec> = Vec::new();
    // Spans of each call reference, for cycle reports: (from, to, span)
    let mut edges: Vec<(usize, usize, Range<usize>)> = Vec::new();
    for (ci, (name, c)) in raw.components.iter().enumerate() {
        let span = c.span();
        let r = c.get_ref();
        if !valid_name(name) {
            ck.err(
                span.clone(),
                format!("component name `{name}` must be letters, digits, `_` or `-`"),
            );
        }
        let kind = match &r.kind {
            None => {
                ck.err(
                    span.clone(),
                    format!(
                        "component `{name}` needs `kind`; one of: {}",
                        KINDS.join(", ")
                    ),
                );
                continue;
            }
            Some(k) => {
                if LATER_KINDS.contains(&k.get_ref().as_str()) {
                    ck.err(
                        k.span(),
                        format!(
                            "there is no kind \"{}\": a sharded database is kind = \"database\" with `shards = N` (and `sharding = \"hash\" | \"range\" | \"consistent\"`)",
                            k.get_ref()
                        ),
                    );
                    continue;
                }
                match one_of(k, KINDS) {
                    Ok(i) => KINDS[i],
                    Err(m) => {
                        ck.err(k.span(), format!("component `{name}`: {m}"));
                        continue;
                    }
                }
            }
        };
        // keys that do not belong to this kind
        let allowed: &[&str] = kind_keys(kind).unwrap_or(SERVICE_KEYS);
        let present: [(&str, Option<Range<usize>>); 37] = [
            ("cores", r.cores.as_ref().map(|v| v.span())),
            ("workers", r.workers.as_ref().map(|v| v.span())),
            ("queue", r.queue.as_ref().map(|v| v.span())),
            (
                "endpoints",
                r.endpoints
                    .as_ref()
                    .map(|v| v.values().next().map_or(span.clone(), |e| e.span())),
            ),
            ("targets", r.targets.as_ref().map(|v| v.span())),
            ("policy", r.policy.as_ref().map(|v| v.span())),
            ("capacity", r.capacity.as_ref().map(|v| v.span())),
            ("eviction", r.eviction.as_ref().map(|v| v.span())),
            ("ttl", r.ttl.as_ref().map(|v| v.span())),
            ("hit", r.hit.as_ref().map(|v| v.span())),
            ("backing", r.backing.as_ref().map(|v| v.span())),
            ("writes", r.writes.as_ref().map(|v| v.span())),
            ("shards", r.shards.as_ref().map(|v| v.span())),
            ("sharding", r.sharding.as_ref().map(|v| v.span())),
            ("replicas", r.replicas.as_ref().map(|v| v.span())),
            (
                "replication_lag",
                r.replication_lag.as_ref().map(|v| v.span()),
            ),
            ("reads", r.reads.as_ref().map(|v| v.span())),
            ("row_locks", r.row_locks.as_ref().map(|v| v.span())),
            ("rate_limit", r.rate_limit.as_ref().map(|v| v.span())),
            ("burst", r.burst.as_ref().map(|v| v.span())),
            ("publish", r.publish.as_ref().map(|v| v.span())),
            ("consumers", r.consumers.as_ref().map(|v| v.span())),
            ("consumer", r.consumer.as_ref().map(|v| v.span())),
            ("durable", r.durable.as_ref().map(|v| v.span())),
            ("source", r.source.as_ref().map(|v| v.span())),
            ("write_policy", r.write_policy.as_ref().map(|v| v.span())),
            (
                "flush_interval",
                r.flush_interval.as_ref().map(|v| v.span()),
            ),
            ("coalesce", r.coalesce.as_ref().map(|v| v.span())),
            ("refresh_ahead", r.refresh_ahead.as_ref().map(|v| v.span())),
            ("classes", r.classes.as_ref().map(|v| v.span())),
            ("hit_ratio", r.hit_ratio.as_ref().map(|v| v.span())),
            ("edge_latency", r.edge_latency.as_ref().map(|v| v.span())),
            ("autoscale", r.autoscale.as_ref().map(|v| v.span())),
            (
                "replica_autoscale",
                r.replica_autoscale.as_ref().map(|v| v.span()),
            ),
            ("drop_expired", r.drop_expired.as_ref().map(|v| v.span())),
            (
                "queue_discipline",
                r.queue_discipline.as_ref().map(|v| v.span()),
            ),
            ("lifo_above", r.lifo_above.as_ref().map(|v| v.span())),
        ];
        for (key, sp) in present {
            if let Some(sp) = sp {
                if !allowed.contains(&key) {
                    ck.err(
                        sp,
                        format!(
                            "`{key}` does not apply to a component of kind \"{kind}\" (`{name}`); its keys are: kind, instances, balance, {}",
                            allowed.join(", ")
                        ),
                    );
                }
            }
        }
        let mut instances = r
            .instances
            .as_ref()
            .and_then(|i| ck.int(i, &format!("components.{name}.instances"), 1, MAX_INSTANCES))
            .unwrap_or(1) as u32;
        let mut replicas = 0u32;
        // A key that does not apply to this kind has been reported above; checking it
        // further would only add a second, misleading message.
        let applies = |key: &str| allowed.contains(&key);
        if let Some(rp) = r.replicas.as_ref().filter(|_| applies("replicas")) {
            if r.instances.is_some() || r.shards.is_some() {
                ck.err(rp.span(), format!("`{name}`: a database with `replicas` has one primary plus its replicas; drop `instances`/`shards`"));
            }
            if let Some(n) = ck.int(rp, &format!("components.{name}.replicas"), 0, 100) {
                replicas = n as u32;
                instances = 1 + replicas;
            }
        }
        if let Some(sh) = r.shards.as_ref().filter(|_| applies("shards")) {
            if r.instances.is_some() {
                ck.err(sh.span(), format!("`{name}`: give `shards` or `instances`, not both (each shard is one instance)"));
            }
            if let Some(n) = ck.int(sh, &format!("components.{name}.shards"), 1, 10_000) {
                instances = n as u32;
            }
        }
        let sharding = match (&r.sharding, &r.balance) {
            (Some(sh), Some(b)) => {
                ck.err(b.span(), format!("`{name}`: `sharding` already says how callers reach the shards; drop `balance`"));
                let _ = sh;
                None
            }
            (Some(sh), None) => match one_of(sh, &["hash", "range", "consistent"]) {
                Ok(i) => Policy::parse(["hash", "range", "consistent"][i]),
                Err(m) => {
                    ck.err(sh.span(), format!("components.{name}.sharding: {m}"));
                    None
                }
            },
            (None, _) if r.shards.is_some() => Some(Policy::Hash),
            _ => None,
        };
        let balance = match &r.balance {
            _ if sharding.is_some() => sharding.expect("checked"),
            None => Policy::RoundRobin,
            Some(b) => match one_of(b, Policy::NAMES) {
                Ok(i) => Policy::parse(Policy::NAMES[i]).expect("listed"),
                Err(m) => {
                    ck.err(b.span(), format!("components.{name}.balance: {m}"));
                    Policy::RoundRobin
                }
            },
        };
        let mut global_targets: Vec<String> = Vec::new();
        let kind_spec = match kind {
            "load_balancer" => {
                let one = match r.targets.as_ref().map(|t| (t.span(), t.get_ref())) {
                    Some((sp, RawTargets::One(t))) => Some(Spanned::new(sp, t.clone())),
                    Some((sp, RawTargets::Many(list))) => {
                        // A global balancer: the nearest target with a healthy instance.
                        if list.len() < 2 {
                            ck.err(sp.clone(), format!("`{name}`: a list of targets makes a global balancer and needs at least two components (or give one as a string)"));
                        }
                        let mut seen = std::collections::HashMap::new();
                        for t in list {
                            ck.component_ref(
                                Some(&Spanned::new(sp.clone(), t.clone())),
                                (names, index_of),
                                (ci, &mut edges),
                                &span,
                                String::new(),
                            );
                            *seen.entry(t.as_str()).or_insert(0u32) += 1;
                            if seen[t.as_str()] == 2 {
                                ck.err(
                                    sp.clone(),
                                    format!("`{name}`: target `{t}` is listed twice"),
                                );
                            }
                        }
                        if let Some(p) = &r.policy {
                            if p.get_ref() != "nearest" {
                                ck.err(p.span(), format!("`{name}`: a balancer over several components routes by region; its policy is \"nearest\" (or leave it out)"));
                            }
                        }
                        global_targets = list.clone();
                        list.first().map(|t| Spanned::new(sp, t.clone()))
                    }
                    None => None,
                };
                let targets = ck.component_ref(one.as_ref(), (names, index_of), (ci, &mut edges), &span, format!("load balancer `{name}` needs `targets`, the component whose instances it spreads requests over"));
                let policy = match &r.policy {
                    _ if !global_targets.is_empty() => Policy::RoundRobin,
                    Some(p) if p.get_ref() == "nearest" => {
                        ck.err(p.span(), format!("`{name}`: policy \"nearest\" needs several targets, e.g. targets = [\"app-us\", \"app-eu\"]"));
                        Policy::RoundRobin
                    }
                    None => Policy::RoundRobin,
                    Some(p) => match one_of(p, Policy::NAMES) {
                        Ok(i) => Policy::parse(Policy::NAMES[i]).expect("listed"),
                        Err(m) => {
                            ck.err(p.span(), format!("components.{name}.policy: {m}"));
                            Policy::RoundRobin
                        }
                    },
                };
                KindSpec::LoadBalancer { targets, policy }
            }
            "queue" => {
                let publish = match &r.publish {
                    None => Dist::Const(0),
                    Some(p) => ck
                        .dist(p, &format!("components.{name}.publish"))
                        .unwrap_or(Dist::Const(0)),
                };
                let consumers = r
                    .consumers
                    .as_ref()
                    .and_then(|c| ck.int(c, &format!("components.{name}.consumers"), 1, 100_000))
                    .unwrap_or(1) as u32;
                let consumer = ck.component_ref(
                    r.consumer.as_ref(),
                    (names, index_of),
                    (ci, &mut edges),
                    &span,
                    format!(
                        "queue `{name}` needs `consumer`, the component each message is handed to"
                    ),
                );
                if let Some(i) = &r.instances {
                    if *i.get_ref() != 1 {
                        ck.err(i.span(), format!("queue `{name}` is one broker; raise `consumers` instead of `instances`"));
                    }
                }
                let capacity = r
                    .capacity
                    .as_ref()
                    .and_then(|c| ck.int(c, &format!("components.{name}.capacity"), 0, 100_000_000))
                    .map(|c| c as u64);
                KindSpec::Queue(QueueSpec {
                    publish,
                    consumers,
                    consumer,
                    durable: r.durable.as_ref().is_none_or(|d| *d.get_ref()),
                    capacity,
                })
            }
            "cache" | "cdn" => {
                let capacity = match &r.capacity {
                    None if kind == "cdn" => 0,
                    None => {
                        ck.err(
                            span.clone(),
                            format!(
                                "cache `{name}` needs `capacity`, the entries each instance holds"
                            ),
                        );
                        0
                    }
                    Some(c) => ck
                        .int(c, &format!("components.{name}.capacity"), 0, 50_000_000)
                        .unwrap_or(0) as u64,
                };
                let eviction = match &r.eviction {
                    None => Eviction::Lru,
                    Some(e) => match one_of(e, Eviction::NAMES) {
                        Ok(i) => Eviction::parse(Eviction::NAMES[i]).expect("listed"),
                        Err(m) => {
                            ck.err(e.span(), format!("components.{name}.eviction: {m}"));
                            Eviction::Lru
                        }
                    },
                };
                let ttl = r
                    .ttl
                    .as_ref()
                    .and_then(|t| ck.duration(t, &format!("components.{name}.ttl")));
                let hit = match &r.hit {
                    None => Dist::Const(0),
                    Some(h) => ck
                        .dist(h, &format!("components.{name}.hit"))
                        .unwrap_or(Dist::Const(0)),
                };
                let backing = ck.component_ref(
                    r.backing.as_ref(),
                    (names, index_of),
                    (ci, &mut edges),
                    &span,
                    format!(
                        "cache `{name}` needs `backing`, the component that answers its misses"
                    ),
                );
                let write_classes = ck.class_list(
                    r.writes.as_ref(),
                    class_names,
                    &format!("components.{name}.writes"),
                );
                let write_policy = match &r.write_policy {
                    None => WritePolicy::Aside,
                    Some(w) => match one_of(w, &["aside", "through", "behind"]) {
                        Ok(0) => WritePolicy::Aside,
                        Ok(1) => WritePolicy::Through,
                        Ok(_) => WritePolicy::Behind,
                        Err(m) => {
                            ck.err(w.span(), format!("components.{name}.write_policy: {m}"));
                            WritePolicy::Aside
                        }
                    },
                };
                let flush_interval = match &r.flush_interval {
                    None => SimTime::from_secs(1),
                    Some(f) => {
                        if write_policy != WritePolicy::Behind {
                            ck.err(
                                f.span(),
                                format!(
                                    "`{name}`: flush_interval applies to write_policy = \"behind\""
                                ),
                            );
                        }
                        match ck.duration(f, &format!("components.{name}.flush_interval")) {
                            Some(d) if d >= SimTime::from_millis(1) => d,
                            Some(_) => {
                                ck.err(f.span(), "flush_interval must be at least 1ms");
                                SimTime::from_secs(1)
                            }
                            None => SimTime::from_secs(1),
                        }
                    }
                };
                KindSpec::Cache(CacheSpec {
                    write_policy,
                    flush_interval,
                    coalesce: r.coalesce.as_ref().is_some_and(|c| *c.get_ref()),
                    refresh_ahead: r.refresh_ahead.as_ref().and_then(|f| {
                        if r.ttl.is_none() {
                            ck.err(f.span(), format!("`{name}`: refresh_ahead needs a `ttl`"));
                        }
                        ck.float(f, &format!("components.{name}.refresh_ahead"), 0.0, 1.0, true)
                    }),
                    cdn: (kind == "cdn").then(|| {
                        let classes = match &r.classes {
                            None => {
                                ck.err(span.clone(), format!("cdn `{name}` needs `classes`, the request classes served at the edge (e.g. [\"static\"])"));
                                Vec::new()
                            }
                            Some(c) => {
                                for x in c.get_ref() {
                                    if !class_names.contains(x) {
                                        ck.err(c.span(), format!("components.{name}.classes: `{x}` is not a request class; classes are: {}", class_names.join(", ")));
                                    }
                                }
                                c.get_ref().clone()
                            }
                        };
                        let hit_ratio = r.hit_ratio.as_ref().and_then(|h| ck.float(h, &format!("components.{name}.hit_ratio"), 0.0, 1.0, false));
                        if r.hit_ratio.is_none() && r.capacity.is_none() {
                            ck.err(span.clone(), format!("cdn `{name}` needs `hit_ratio` (a fixed edge hit ratio) or `capacity` (a keyed edge cache)"));
                        }
                        let edge = match &r.edge_latency {
                            None => Dist::Const(0),
                            Some(e) => ck.dist(e, &format!("components.{name}.edge_latency")).unwrap_or(Dist::Const(0)),
                        };
                        CdnSpec { classes, hit_ratio, edge }
                    }),
                    capacity,
                    eviction,
                    ttl,
                    hit,
                    backing,
                    write_classes,
                })
            }
            _ => {
                let mut s = ServiceSpec {
                    gateway: kind == "gateway",
                    ..ServiceSpec::default()
                };
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
                            Some(b) => {
                                ck.float(b, &format!("components.{name}.burst"), 1.0, 1e9, false)
                            }
                        };
                        if let (Some(r), Some(b)) = (rate, burst) {
                            s.rate_limit = Some((r, b));
                        }
                    }
                    (None, Some(b)) => {
                        ck.err(b.span(), format!("`{name}`: `burst` needs `rate_limit`"))
                    }
                    (None, None) => {}
                }
                if let Some(v) = &r.cores {
                    s.cores = ck
                        .int(v, &format!("components.{name}.cores"), 1, 100_000)
                        .map(|x| x as u32);
                }
                if let Some(v) = &r.workers {
                    s.workers = ck
                        .int(v, &format!("components.{name}.workers"), 1, 10_000_000)
                        .map(|x| x as u32);
                }
                if let Some(v) = &r.queue {
                    s.queue = ck
                        .int(v, &format!("components.{name}.queue"), 0, 100_000_000)
                        .map(|x| x as u32);
                }
                resilience_keys(ck, r, name, &span, &mut s, &mut instances);
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
                        let mut spec = EndpointSpec::default();
                        if let Some(cpu) = &e.cpu {
                            spec.cpu =
                                ck.dist(cpu, &format!("components.{name}.endpoints.{ep_name}.cpu"));
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
                                    Some(f) => {
                                        ck.int(f, "fanout", 1, MAX_INSTANCES).unwrap_or(1) as u32
                                    }
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
                KindSpec::Service(s)
            }
        };
        let kind_spec = match (kind, kind_spec) {
            ("database", KindSpec::Service(s)) => {
                let replica_autoscale =
                    replica_autoscale(ck, r, name, s.cores.is_some(), &mut replicas);
                if replica_autoscale.is_some() {
                    instances = 1 + replicas;
                }
                let replication_lag = r
                    .replication_lag
                    .as_ref()
                    .and_then(|l| ck.dist(l, &format!("components.{name}.replication_lag")));
                if let (Some(l), 0) = (&r.replication_lag, replicas) {
                    ck.err(
                        l.span(),
                        format!("`{name}`: replication_lag needs `replicas`"),
                    );
                }
                let reads = match &r.reads {
                    None => Reads::Replicas,
                    Some(v) => match one_of(v, &["primary", "replicas", "any"]) {
                        Ok(0) => Reads::Primary,
                        Ok(1) => Reads::Replicas,
                        Ok(_) => Reads::Any,
                        Err(m) => {
                            ck.err(v.span(), format!("components.{name}.reads: {m}"));
                            Reads::Replicas
                        }
                    },
                };
                let write_classes = ck.class_list(
                    r.writes.as_ref(),
                    class_names,
                    &format!("components.{name}.writes"),
                );
                KindSpec::Service(ServiceSpec {
                    database: true,
                    db: Some(DbSpec {
                        replicas,
                        replication_lag,
                        reads,
                        write_classes,
                        row_locks: r.row_locks.as_ref().is_none_or(|v| *v.get_ref()),
                        source: r.source.as_ref().and_then(|q| match raw_kind(q.get_ref()) {
                            Some("queue") => Some(q.get_ref().clone()),
                            _ => {
                                ck.err(
                                    q.span(),
                                    format!(
                                        "components.{name}.source: `{}` is not a queue",
                                        q.get_ref()
                                    ),
                                );
                                None
                            }
                        }),
                        autoscale: replica_autoscale,
                    }),
                    ..s
                })
            }
            (_, k) => k,
        };
        let cops = check_ops(ck, r, name, kind, replicas, global_targets);
        if cops != CompOps::default() {
            ops.components.push((name.clone(), cops));
        }
        comps.push(ComponentSpec {
            name: name.clone(),
            instances,
            balance,
            kind: kind_spec,
        });
    }
    (comps, edges)
}

/// Reports the first cycle of calls, if any, at the call that closes it.
pub(super) fn cycle(ck: &mut Ck, names: &[&String], edges: &[Edge]) {
    if let Some(cycle) = find_cycle(names.len(), edges) {
        let path: Vec<&str> = cycle.iter().map(|&(f, _, _)| names[f].as_str()).collect();
        let first = cycle[0].0;
        let span = cycle[cycle.len() - 1].2.clone();
        ck.err(
            span,
            format!(
                "calls form a cycle: {} -> {}; a request would never finish",
                path.join(" -> "),
                names[first]
            ),
        );
    }
}

/// A cycle in the call edges, as the edges along it.
fn find_cycle(
    n: usize,
    edges: &[(usize, usize, Range<usize>)],
) -> Option<Vec<(usize, usize, Range<usize>)>> {
    // Out-edges per vertex, in the order given: the search visits them as a scan of the
    // edge list would, in time linear in vertices plus edges, with an explicit stack (a
    // chain of 50,000 calls must not overflow the thread's stack).
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        out[e.0].push(i);
    }
    let mut state = vec![0u8; n];
    // (vertex, next out-edge to try); `path[k]` is the edge that entered `stack[k + 1]`.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut path: Vec<usize> = Vec::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        stack.push((root, 0));
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            let Some(&e) = out[v].get(*next) else {
                state[v] = 2;
                stack.pop();
                path.pop();
                continue;
            };
            *next += 1;
            let to = edges[e].1;
            match state[to] {
                1 => {
                    path.push(e);
                    let pos = path.iter().position(|&i| edges[i].0 == to).unwrap_or(0);
                    return Some(path[pos..].iter().map(|&i| edges[i].clone()).collect());
                }
                0 => {
                    state[to] = 1;
                    path.push(e);
                    stack.push((to, 0));
                }
                _ => {}
            }
        }
    }
    None
}
