//! The second layer: raw values checked into a typed [`Spec`], every problem collected with
//! its span.

use crate::messages;
use crate::raw::*;
use archsim_engine::SimTime;
use archsim_models::{
    parse_duration, Arrivals, AutoscaleSpec, BreakerSpec, CacheSpec, CallPolicy, CallSpec, CdnSpec,
    CompOps, ComponentSpec, DbSpec, Discipline, Dist, EndpointSpec, Eviction, Failover, FaultKind,
    FaultSpec, HealthCheck, Keys, KindSpec, Load, OpsSpec, Policy, QueueSpec, Reads, RetrySpec,
    ServiceSpec, Spec, TrafficSpec, WritePolicy,
};
use archsim_stats::SloSpec;
use std::ops::Range;
use toml::Spanned;

/// A problem at a byte range of the (possibly overridden) text.
#[derive(Clone, Debug)]
pub struct Problem {
    pub span: Range<usize>,
    pub message: String,
}

/// The checked scenario, before it gets its file name.
pub struct Checked {
    pub name: Option<String>,
    pub description: Option<String>,
    pub seed: u64,
    pub replications: u32,
    pub slo: Option<SloSpec>,
    pub spec: Spec,
}

/// A fault key, where it is written, and the fault kinds it applies to.
type KeyKinds<'a> = (&'a str, Option<Range<usize>>, &'a [&'a str]);

/// A call reference between components: (from, to, where it is written).
type Edge = (usize, usize, Range<usize>);

/// Component name -> index, so that resolving a reference is not a scan of every name (a
/// check of 50,000 components referring to others would be quadratic).
type NameIndex<'a> = std::collections::HashMap<&'a str, usize>;

/// Limits that keep a run's memory and time bounded.
pub const MAX_DURATION: SimTime = SimTime::from_secs(30 * 24 * 3600);
/// Default limit of requests live at once (about 100 bytes each).
pub const DEFAULT_MAX_IN_FLIGHT: u64 = archsim_models::DEFAULT_MAX_IN_FLIGHT;
/// Most series buckets a run may have.
pub const MAX_SERIES_BUCKETS: u64 = 1_000_000;
/// Most replications.
pub const MAX_REPLICATIONS: i64 = 10_000;
/// Most instances of one component.
pub const MAX_INSTANCES: i64 = 65_535;
/// Most closed-loop users.
pub const MAX_USERS: i64 = archsim_models::MAX_USERS as i64;
/// Highest arrival rate per second.
pub const MAX_RATE: f64 = 1e9;

struct Ck {
    problems: Vec<Problem>,
    /// Span of the whole document, for missing top-level keys.
    top: Range<usize>,
}

impl Ck {
    fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(Problem {
            span,
            message: message.into(),
        });
    }

    /// A fixed duration (`"30s"`, `"1h30m"`, or `"const(30s)"`); a distribution is refused
    /// with a message that says a fixed duration is needed here.
    fn duration(&mut self, v: &Spanned<String>, what: &str) -> Option<SimTime> {
        let text = v.get_ref();
        match parse_duration(text) {
            Ok(d) => Some(d),
            Err(e) => match Dist::parse(text) {
                Ok(Dist::Const(ns)) => Some(SimTime::from_nanos(ns)),
                Ok(_) => {
                    self.err(v.span(), messages::fixed_duration_needed(what, text));
                    None
                }
                Err(_) => {
                    self.err(v.span(), messages::bad_duration(what, text, &e.message));
                    None
                }
            },
        }
    }

    fn dist(&mut self, v: &Spanned<String>, what: &str) -> Option<Dist> {
        match Dist::parse(v.get_ref()) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(
                    v.span(),
                    format!(
                        "{what}: {e} (in \"{}\" at character {})",
                        v.get_ref(),
                        e.offset + 1
                    ),
                );
                None
            }
        }
    }

    /// A reference to another component: checked to exist, recorded as a call edge (for the
    /// cycle check), reported as missing with `missing` when absent.
    fn component_ref(
        &mut self,
        v: Option<&Spanned<String>>,
        (names, index): (&[&String], &NameIndex<'_>),
        (from, edges): (usize, &mut Vec<Edge>),
        span: &Range<usize>,
        missing: String,
    ) -> String {
        let Some(t) = v else {
            self.err(span.clone(), missing);
            return String::new();
        };
        match index.get(t.get_ref().as_str()).copied() {
            None => self.err(
                t.span(),
                format!(
                    "`{}` is not a component; components are: {}",
                    t.get_ref(),
                    list(names)
                ),
            ),
            Some(to) => edges.push((from, to, t.span())),
        }
        t.get_ref().clone()
    }

    /// A list of request class names (default: the class named `write`, if any).
    fn class_list(
        &mut self,
        v: Option<&Spanned<Vec<String>>>,
        classes: &[String],
        what: &str,
    ) -> Vec<String> {
        match v {
            None => classes
                .iter()
                .filter(|c| c.as_str() == "write")
                .cloned()
                .collect(),
            Some(w) => {
                for c in w.get_ref() {
                    if !classes.contains(c) {
                        self.err(
                            w.span(),
                            format!(
                                "{what}: `{c}` is not a request class; classes are: {}",
                                classes.join(", ")
                            ),
                        );
                    }
                }
                w.get_ref().clone()
            }
        }
    }

    fn int(&mut self, v: &Spanned<i64>, what: &str, lo: i64, hi: i64) -> Option<i64> {
        let x = *v.get_ref();
        if x < lo || x > hi {
            self.err(
                v.span(),
                format!("{what} must be between {lo} and {hi}, got {x}"),
            );
            None
        } else {
            Some(x)
        }
    }

    fn float(
        &mut self,
        v: &Spanned<f64>,
        what: &str,
        lo: f64,
        hi: f64,
        lo_open: bool,
    ) -> Option<f64> {
        let x = *v.get_ref();
        let ok = x.is_finite() && (if lo_open { x > lo } else { x >= lo }) && x <= hi;
        if !ok {
            let range = if lo_open {
                format!("greater than {lo} and at most {hi}")
            } else {
                format!("between {lo} and {hi}")
            };
            self.err(v.span(), format!("{what} must be {range}, got {x}"));
            None
        } else {
            Some(x)
        }
    }
}

/// Most regions components may be in (a run numbers them in a byte).
const MAX_REGIONS: usize = 254;

/// A pair of regions in a fixed order, for a latency given either way round.
fn region_pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

fn one_of(v: &Spanned<String>, names: &[&str]) -> Result<usize, String> {
    names.iter().position(|n| n == v.get_ref()).ok_or_else(|| {
        format!(
            "unknown value \"{}\"; expected one of: {}",
            v.get_ref(),
            names.join(", ")
        )
    })
}

/// Kinds of component and the keys each accepts beyond `kind`, `instances`, `balance`,
/// `description`.
const SERVICE_KEYS: &[&str] = &[
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
];
const DATABASE_KEYS: &[&str] = &[
    "cores",
    "workers",
    "queue",
    "endpoints",
    "shards",
    "sharding",
    "replicas",
    "replica_autoscale",
    "replication_lag",
    "reads",
    "writes",
    "row_locks",
    "source",
    "drop_expired",
    "queue_discipline",
    "lifo_above",
];
const LB_KEYS: &[&str] = &["targets", "policy"];
const CACHE_KEYS: &[&str] = &[
    "capacity",
    "eviction",
    "ttl",
    "hit",
    "backing",
    "writes",
    "write_policy",
    "flush_interval",
    "coalesce",
    "refresh_ahead",
];
const CDN_KEYS: &[&str] = &[
    "capacity",
    "eviction",
    "ttl",
    "hit",
    "backing",
    "coalesce",
    "classes",
    "hit_ratio",
    "edge_latency",
];
const QUEUE_KEYS: &[&str] = &["publish", "consumers", "consumer", "durable", "capacity"];
const KINDS: &[&str] = &[
    "service",
    "database",
    "load_balancer",
    "cache",
    "cdn",
    "gateway",
    "queue",
];
/// The keys a component of `kind` takes beyond `kind`, `instances`, `balance`,
/// `description` and the operational keys; `None` for an unknown kind.
pub fn kind_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "load_balancer" => LB_KEYS,
        "cache" => CACHE_KEYS,
        "database" => DATABASE_KEYS,
        "queue" => QUEUE_KEYS,
        "cdn" => CDN_KEYS,
        "service" | "gateway" => SERVICE_KEYS,
        _ => return None,
    })
}
/// Fault kinds, in the order the checker matches them.
const FAULT_KINDS: &[&str] = &[
    "crash",
    "slow",
    "reshard",
    "partition",
    "latency",
    "region",
    "deploy",
    "spike",
];
/// The length of a crash without `for` (a component with `restart` comes back before).
pub const FOREVER: SimTime = SimTime::from_secs(100 * 365 * 24 * 3600);
/// Kind names people reach for that are spelled another way here.
const LATER_KINDS: &[&str] = &["sharded"];

pub fn check(raw: RawScenario, doc_len: usize) -> Result<Checked, Vec<Problem>> {
    let mut ck = Ck {
        problems: Vec::new(),
        top: 0..doc_len.min(1),
    };
    let top = ck.top.clone();

    // [run]
    let mut duration = None;
    let mut warmup = SimTime::ZERO;
    let mut drain = None;
    let mut seed = 1u64;
    let mut replications = 1u32;
    let mut interval = SimTime::from_secs(1);
    let mut max_in_flight = DEFAULT_MAX_IN_FLIGHT;
    match &raw.run {
        None => ck.err(
            top.clone(),
            "missing [run] table; add `[run]` with `duration = \"10m\"`",
        ),
        Some(run) => {
            let r = run.get_ref();
            match &r.duration {
                None => ck.err(
                    run.span(),
                    "[run] needs `duration`, e.g. duration = \"10m\"",
                ),
                Some(d) => {
                    if let Some(t) = ck.duration(d, "run.duration") {
                        if t == SimTime::ZERO || t > MAX_DURATION {
                            ck.err(
                                d.span(),
                                "run.duration must be more than 0s and at most 30 days",
                            );
                        } else {
                            duration = Some((t, d.span()));
                        }
                    }
                }
            }
            if let Some(w) = &r.warmup {
                if let Some(t) = ck.duration(w, "run.warmup") {
                    warmup = t;
                    if let Some((d, _)) = duration {
                        if t >= d {
                            ck.err(
                                w.span(),
                                format!("run.warmup ({t}) must be shorter than run.duration ({d})"),
                            );
                        }
                    }
                }
            }
            if let Some(d) = &r.drain {
                drain = ck.duration(d, "run.drain");
                if drain.is_some_and(|d| d > MAX_DURATION) {
                    ck.err(d.span(), "run.drain must be at most 30 days");
                }
            }
            if let Some(s) = &r.seed {
                if let Some(v) = ck.int(s, "run.seed", 0, i64::MAX) {
                    seed = v as u64;
                }
            }
            if let Some(n) = &r.replications {
                if let Some(v) = ck.int(n, "run.replications", 1, MAX_REPLICATIONS) {
                    replications = v as u32;
                }
            }
            if let Some(m) = &r.max_in_flight {
                if let Some(v) = ck.int(m, "run.max_in_flight", 1, 100_000_000) {
                    max_in_flight = v as u64;
                }
            }
            if let Some(i) = &r.series_interval {
                if let Some(t) = ck.duration(i, "run.series_interval") {
                    if t < SimTime::from_millis(1) {
                        ck.err(i.span(), "run.series_interval must be at least 1ms");
                    } else {
                        interval = t;
                    }
                }
            }
        }
    }

    // [slo]
    let mut slo = None;
    let mut slo_latency = None;
    if let Some(s) = &raw.slo {
        let r = s.get_ref();
        let lat = match &r.latency {
            None => {
                ck.err(s.span(), "[slo] needs `latency`, e.g. latency = \"200ms\"");
                None
            }
            Some(l) => ck.duration(l, "slo.latency").filter(|t| {
                *t > SimTime::ZERO || {
                    ck.err(l.span(), "slo.latency must be more than 0s");
                    false
                }
            }),
        };
        let target = match &r.target {
            None => {
                ck.err(s.span(), "[slo] needs `target`, e.g. target = 0.999");
                None
            }
            Some(t) => ck.float(t, "slo.target", 0.0, 1.0, true),
        };
        if let (Some(l), Some(t)) = (lat, target) {
            slo_latency = Some(l);
            slo = Some(SloSpec {
                latency_ms: l.as_millis_f64(),
                target: t,
            });
        }
    }

    // [network]
    let mut network = Dist::Const(0);
    if let Some(n) = &raw.network {
        if let Some(l) = &n.latency {
            if let Some(d) = ck.dist(l, "network.latency") {
                network = d;
            }
        }
    }

    // components (checked before traffic so references can be resolved)
    let names: Vec<&String> = raw.components.keys().collect();
    // Name -> index, so resolving each call's target is not a scan of every name (a check
    // of 50,000 callers of one component would be quadratic).
    let index_of: NameIndex = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut comps: Vec<ComponentSpec> = Vec::new();
    let mut comp_spans: Vec<Range<usize>> = Vec::new();
    let mut ops = OpsSpec::default();
    // Region pairs with a latency, either way round.
    let mut known_pairs: std::collections::HashSet<(String, String)> = Default::default();
    if let Some(n) = &raw.network {
        if let Some(m) = &n.regions {
            for (pair, d) in m.get_ref() {
                match pair.split_once('/') {
                    Some((a, b)) if valid_name(a) && valid_name(b) && a != b => {
                        if !known_pairs.insert(region_pair(a, b)) {
                            ck.err(d.span(), format!("network.regions: `{pair}` is given twice (the latency is symmetric)"));
                        }
                        if let Some(dist) = ck.dist(d, &format!("network.regions.\"{pair}\"")) {
                            ops.region_latency.push((a.to_string(), b.to_string(), dist));
                        }
                    }
                    _ => ck.err(d.span(), format!("network.regions: `{pair}` must name two different regions as \"REGION/REGION\", e.g. \"us-east/eu-west\" = \"80ms\"")),
                }
            }
        }
    }
    let class_names: Vec<String> = if raw
        .traffic
        .as_ref()
        .is_some_and(|t| !t.get_ref().classes.is_empty())
    {
        raw.traffic
            .as_ref()
            .unwrap()
            .get_ref()
            .classes
            .keys()
            .cloned()
            .collect()
    } else {
        vec!["default".to_string()]
    };
    // instances per component, for fanout checks
    let instances_of = |name: &str| -> Option<u32> {
        raw.components.get(name).map(|c| {
            let c = c.get_ref();
            // An autoscaled component may scale in to its `min`.
            if let Some(a) = &c.autoscale {
                let min = a.get_ref().min.as_ref().map_or(1, |m| *m.get_ref());
                return min.clamp(1, MAX_INSTANCES) as u32;
            }
            // A database with replicas: the primary is instance 0, the replicas 1..=N.
            if let Some(r) = &c.replicas {
                return (*r.get_ref()).clamp(0, MAX_INSTANCES - 1) as u32 + 1;
            }
            c.instances
                .as_ref()
                .or(c.shards.as_ref())
                .map(|i| (*i.get_ref()).clamp(1, MAX_INSTANCES) as u32)
                .unwrap_or(1)
        })
    };
    let raw_kind = |name: &str| -> Option<&str> {
        raw.components
            .get(name)
            .and_then(|c| c.get_ref().kind.as_ref().map(|k| k.get_ref().as_str()))
    };
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
                                (&names, &index_of),
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
                let targets = ck.component_ref(one.as_ref(), (&names, &index_of), (ci, &mut edges), &span, format!("load balancer `{name}` needs `targets`, the component whose instances it spreads requests over"));
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
                    (&names, &index_of),
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
                    (&names, &index_of),
                    (ci, &mut edges),
                    &span,
                    format!(
                        "cache `{name}` needs `backing`, the component that answers its misses"
                    ),
                );
                let write_classes = ck.class_list(
                    r.writes.as_ref(),
                    &class_names,
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
                resilience_keys(&mut ck, r, name, &span, &mut s, &mut instances);
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
                                            list(&names)
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
                                    &mut ck,
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
                    replica_autoscale(&mut ck, r, name, s.cores.is_some(), &mut replicas);
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
                    &class_names,
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
        let cops = check_ops(&mut ck, r, name, kind, replicas, global_targets);
        if cops != CompOps::default() {
            ops.components.push((name.clone(), cops));
        }
        comps.push(ComponentSpec {
            name: name.clone(),
            instances,
            balance,
            kind: kind_spec,
        });
        comp_spans.push(span);
        let _ = kind;
    }

    // call cycles
    if let Some(cycle) = find_cycle(names.len(), &edges) {
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

    // [traffic]
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
                                list(&names)
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

    // regions: traffic origins, and a latency for every pair of regions in use
    let mut regions_used: Vec<String> = Vec::new();
    let mut region_set: std::collections::HashSet<String> = Default::default();
    for (_, o) in &ops.components {
        if let Some(r) = &o.region {
            if region_set.insert(r.clone()) {
                regions_used.push(r.clone());
            }
        }
    }
    if regions_used.len() > MAX_REGIONS {
        // The pairs below would be quadratic in them, and a run refuses them anyway.
        ck.err(
            top.clone(),
            format!(
                "components are in {} regions; at most {MAX_REGIONS}",
                regions_used.len()
            ),
        );
        regions_used.clear();
        region_set.clear();
    }
    let component_regions = regions_used.clone();
    let component_region_set = region_set.clone();
    if let Some(rs) = raw
        .traffic
        .as_ref()
        .and_then(|t| t.get_ref().regions.as_ref())
    {
        for (region, w) in rs.get_ref() {
            // Users may live where no component runs (then every component region needs a
            // latency from theirs), but not nowhere.
            if !component_region_set.contains(region) {
                if component_regions.is_empty() {
                    ck.err(w.span(), format!("traffic.regions: no component is in region `{region}`; regions of components: none (set `region` on components)"));
                } else {
                    for b in &component_regions {
                        if !known_pairs.contains(&region_pair(region, b)) {
                            ck.err(w.span(), format!("traffic.regions: users in `{region}` reach components in `{b}`, but [network.regions] gives no latency between them; add \"{region}/{b}\" = \"80ms\""));
                        }
                    }
                }
            }
            if let Some(w) = ck.float(w, &format!("traffic.regions.{region}"), 0.0, 1e12, true) {
                ops.origins.push((region.clone(), w));
            }
        }
        if rs.get_ref().is_empty() {
            ck.err(
                rs.span(),
                "traffic.regions needs at least one region, e.g. { us-east = 0.6, eu-west = 0.4 }",
            );
        }
    }
    let matrix_span = raw
        .network
        .as_ref()
        .and_then(|n| n.regions.as_ref().map(|m| m.span()))
        .unwrap_or(top.clone());
    for (a, b, _) in &ops.region_latency {
        for x in [a, b] {
            if region_set.insert(x.clone()) {
                regions_used.push(x.clone());
            }
        }
    }
    let all_regions = regions_used.len()
        + ops
            .origins
            .iter()
            .filter(|(r, _)| !region_set.contains(r))
            .count();
    if all_regions > MAX_REGIONS && component_regions.len() <= MAX_REGIONS {
        ck.err(
            matrix_span.clone(),
            format!("the scenario names {all_regions} regions; at most {MAX_REGIONS}"),
        );
    }
    for (i, a) in component_regions.iter().enumerate() {
        for b in &component_regions[i + 1..] {
            if !known_pairs.contains(&region_pair(a, b)) {
                ck.err(matrix_span.clone(), format!("components are in regions `{a}` and `{b}`, but [network.regions] gives no latency between them; add \"{a}/{b}\" = \"80ms\""));
            }
        }
    }

    // Components an orchestrator restarts (a crash of one may leave out `for`).
    let restarted: std::collections::HashSet<&str> = ops
        .components
        .iter()
        .filter(|(_, o)| o.restart.is_some())
        .map(|(c, _)| c.as_str())
        .collect();
    let mut faults = Vec::new();
    for f in &raw.faults {
        let span = f.span();
        let r = f.get_ref();
        let kind_name = r.kind.as_ref().map(|k| k.get_ref().as_str()).unwrap_or("");
        let at = match &r.at {
            None => {
                ck.err(
                    span.clone(),
                    "a fault needs `at`, when it starts, e.g. at = \"5m\"",
                );
                None
            }
            Some(v) => ck.duration(v, "faults.at"),
        };
        // The component named by the target, for checks that depend on it.
        let target_comp = r.target.as_ref().map(|t| {
            let text = t.get_ref().trim();
            text.split_once('[')
                .map_or(text, |(n, _)| n.trim())
                .to_string()
        });
        let restarts = kind_name == "crash"
            && target_comp
                .as_ref()
                .is_some_and(|n| restarted.contains(n.as_str()));
        let duration = match &r.for_ {
            None if kind_name == "deploy" => Some(SimTime::ZERO),
            None if restarts => Some(FOREVER),
            None => {
                ck.err(
                    span.clone(),
                    "a fault needs `for`, how long it lasts, e.g. for = \"30s\" (a crash of a component with `restart` may leave it out)",
                );
                None
            }
            Some(v) => {
                if kind_name == "deploy" {
                    ck.err(v.span(), "a deploy takes as long as its batches take; drop `for` (see `batch`, `start_up`, `drain`)");
                }
                ck.duration(v, "faults.for")
            }
        };
        let is_spike = r.kind.as_ref().is_some_and(|k| k.get_ref() == "spike");
        let target = match &r.target {
            None if is_spike => Some(("traffic".to_string(), None)),
            Some(t) if is_spike => {
                if t.get_ref().trim() != "traffic" {
                    ck.err(t.span(), format!("a spike multiplies the traffic; write target = \"traffic\" or leave it out (got `{}`)", t.get_ref()));
                }
                Some(("traffic".to_string(), None))
            }
            None => {
                ck.err(
                    span.clone(),
                    "a fault needs `target`, a component (\"db\") or one instance (\"app[2]\")",
                );
                None
            }
            Some(t) if kind_name == "region" => {
                if component_region_set.contains(t.get_ref()) {
                    Some((t.get_ref().clone(), None))
                } else {
                    ck.err(t.span(), format!("a region fault's target is a region; no component is in region `{}`; regions of components: {}", t.get_ref(), if component_regions.is_empty() { "none (set `region` on components)".to_string() } else { component_regions.join(", ") }));
                    None
                }
            }
            Some(t) => {
                let text = t.get_ref().trim();
                let (name, instance, ok) = match text.split_once('[') {
                    Some((n, rest)) => match rest
                        .strip_suffix(']')
                        .and_then(|i| i.trim().parse::<u32>().ok())
                    {
                        Some(i) => (n.trim(), Some(i), true),
                        None => (n.trim(), None, false),
                    },
                    None => (text, None, true),
                };
                if !ok {
                    ck.err(t.span(), format!("fault target `{text}`: write a component name, or name[index] for one instance"));
                    None
                } else {
                    match (index_of.get(name), instance) {
                        (None, _) => {
                            ck.err(
                                t.span(),
                                format!(
                                    "fault target `{name}` is not a component; components are: {}",
                                    list(&names)
                                ),
                            );
                            None
                        }
                        (Some(_), Some(i)) if i >= instances_of(name).unwrap_or(1) => {
                            ck.err(t.span(), format!("fault target `{text}`: `{name}` has {} instances, numbered from 0", instances_of(name).unwrap_or(1)));
                            None
                        }
                        (Some(_), Some(_))
                            if matches!(kind_name, "partition" | "latency" | "deploy") =>
                        {
                            ck.err(t.span(), format!("a {kind_name} fault applies to a whole component; target `{name}`, not one instance"));
                            None
                        }
                        (Some(_), i) => Some((name.to_string(), i)),
                    }
                }
            }
        };
        // keys that belong to some kinds only
        let only: [KeyKinds; 8] = [
            ("to", r.to.as_ref().map(|v| v.span()), &["reshard"]),
            (
                "factor",
                r.factor.as_ref().map(|v| v.span()),
                &["slow", "reshard", "spike"],
            ),
            (
                "peer",
                r.peer.as_ref().map(|v| v.span()),
                &["partition", "latency"],
            ),
            ("mode", r.mode.as_ref().map(|v| v.span()), &["partition"]),
            ("add", r.add.as_ref().map(|v| v.span()), &["latency"]),
            ("batch", r.batch.as_ref().map(|v| v.span()), &["deploy"]),
            (
                "start_up",
                r.start_up.as_ref().map(|v| v.span()),
                &["deploy"],
            ),
            ("drain", r.drain.as_ref().map(|v| v.span()), &["deploy"]),
        ];
        if r.kind.is_some() && FAULT_KINDS.contains(&kind_name) {
            for (key, sp, kinds) in only {
                if let Some(sp) = sp {
                    if !kinds.contains(&kind_name) {
                        ck.err(
                            sp,
                            format!("`{key}` applies only to a {} fault", kinds.join(" or ")),
                        );
                    }
                }
            }
        }
        let peer = r.peer.as_ref().and_then(|p| {
            if !index_of.contains_key(p.get_ref().as_str()) {
                ck.err(
                    p.span(),
                    format!(
                        "fault peer `{}` is not a component; components are: {}",
                        p.get_ref(),
                        list(&names)
                    ),
                );
                None
            } else if target_comp.as_deref() == Some(p.get_ref().as_str()) {
                ck.err(
                    p.span(),
                    "a fault's peer must be another component than its target",
                );
                None
            } else {
                Some(p.get_ref().clone())
            }
        });
        let kind = match &r.kind {
            None => {
                ck.err(
                    span.clone(),
                    format!("a fault needs `kind`: {}", FAULT_KINDS.join(", ")),
                );
                None
            }
            Some(k) if k.get_ref() == "reshard" => {
                let target_ok = match &target {
                    Some((name, None)) => {
                        let c = raw.components.get(name).map(|c| c.get_ref());
                        let sharded = c.is_some_and(|c| c.shards.is_some() || c.sharding.is_some());
                        if !sharded {
                            ck.err(k.span(), format!("a reshard needs a sharded database (`shards = N`); `{name}` is not one"));
                        }
                        sharded
                    }
                    Some((name, Some(_))) => {
                        ck.err(k.span(), format!("a reshard moves a whole component; target `{name}`, not one instance"));
                        false
                    }
                    None => false,
                };
                let to = match &r.to {
                    None => {
                        ck.err(
                            span.clone(),
                            "a reshard needs `to`, the number of shards after the move",
                        );
                        None
                    }
                    Some(t) => ck.int(t, "faults.to", 1, 10_000),
                };
                let factor = match &r.factor {
                    None => Some(1.5),
                    Some(f) => ck.float(f, "faults.factor", 0.0, 1000.0, true),
                };
                match (target_ok, to, factor) {
                    (true, Some(to), Some(factor)) => Some(FaultKind::Reshard {
                        to: to as u32,
                        factor,
                    }),
                    _ => None,
                }
            }
            Some(k) if is_spike => {
                match &r.factor {
                    None => {
                        ck.err(span.clone(), "a spike needs `factor`, the multiplier on the traffic, e.g. factor = 3.0");
                        None
                    }
                    Some(f) => ck
                        .float(f, "faults.factor", 0.0, 1000.0, true)
                        .map(FaultKind::Spike)
                        .filter(|_| k.get_ref() == "spike"),
                }
            }
            Some(k) => match one_of(k, FAULT_KINDS) {
                Ok(0) => Some(FaultKind::Crash),
                Ok(1) => match &r.factor {
                    None => {
                        ck.err(span.clone(), "a slow fault needs `factor`, the multiplier on CPU times, e.g. factor = 3.0");
                        None
                    }
                    Some(f) => ck
                        .float(f, "faults.factor", 0.0, 1000.0, true)
                        .map(FaultKind::Slow),
                },
                Ok(3) => {
                    let drop = match &r.mode {
                        None => Some(false),
                        Some(m) => match one_of(m, &["fail", "drop"]) {
                            Ok(i) => Some(i == 1),
                            Err(e) => {
                                ck.err(m.span(), format!("faults.mode: {e}"));
                                None
                            }
                        },
                    };
                    if r.peer.is_none() {
                        ck.err(
                            span.clone(),
                            "a partition needs `peer`, the component cut off from the target",
                        );
                    }
                    match (peer.clone(), drop) {
                        (Some(peer), Some(drop)) => Some(FaultKind::Partition { peer, drop }),
                        _ => None,
                    }
                }
                Ok(4) => {
                    let add = match &r.add {
                        None => {
                            ck.err(span.clone(), "a latency fault needs `add`, the extra delay on calls to the target, e.g. add = \"200ms\"");
                            None
                        }
                        Some(a) => ck.dist(a, "faults.add"),
                    };
                    match (add, r.peer.is_none() || peer.is_some()) {
                        (Some(add), true) => Some(FaultKind::Latency {
                            add,
                            peer: peer.clone(),
                        }),
                        _ => None,
                    }
                }
                Ok(5) => Some(FaultKind::Region),
                Ok(6) => {
                    let batch = match &r.batch {
                        None => Some(1),
                        Some(b) => ck.int(b, "faults.batch", 1, MAX_INSTANCES),
                    };
                    let start_up = match &r.start_up {
                        None => {
                            ck.err(span.clone(), "a deploy needs `start_up`, the time a new instance takes before it serves, e.g. start_up = \"30s\"");
                            None
                        }
                        Some(v) => ck.duration(v, "faults.start_up"),
                    };
                    let drain = match &r.drain {
                        None => Some(SimTime::from_secs(30)),
                        Some(v) => ck.duration(v, "faults.drain"),
                    };
                    match (batch, start_up, drain) {
                        (Some(b), Some(start_up), Some(drain))
                            if start_up <= MAX_DURATION && drain <= MAX_DURATION =>
                        {
                            Some(FaultKind::Deploy {
                                batch: b as u32,
                                start_up,
                                drain,
                            })
                        }
                        (Some(_), Some(_), Some(_)) => {
                            ck.err(
                                span.clone(),
                                "a deploy's start_up and drain must be at most 30 days",
                            );
                            None
                        }
                        _ => None,
                    }
                }
                Ok(_) => None, // reshard, handled above
                Err(m) => {
                    ck.err(k.span(), format!("faults.kind: {m}"));
                    None
                }
            },
        };
        if let (Some(at), Some(duration), Some((target, instance)), Some(kind)) =
            (at, duration, target, kind)
        {
            faults.push(FaultSpec {
                at,
                duration,
                target,
                instance,
                kind,
            });
        }
    }
    if raw.faults.len() > 10_000 {
        ck.err(top.clone(), "at most 10000 faults");
    }

    if raw.components.is_empty() {
        ck.err(
            top.clone(),
            "no components; add at least one, e.g. [components.app] with kind = \"service\"",
        );
    }

    let drain = drain.unwrap_or(SimTime::from_secs(60));
    if let Some((d, dspan)) = &duration {
        let buckets = d
            .saturating_add(drain)
            .as_nanos()
            .div_ceil(interval.as_nanos().max(1));
        if buckets > MAX_SERIES_BUCKETS {
            ck.err(
                dspan.clone(),
                format!(
                    "the time series would have {buckets} buckets (more than {MAX_SERIES_BUCKETS}); raise run.series_interval"
                ),
            );
        }
    }

    if !ck.problems.is_empty() {
        return Err(ck.problems);
    }
    let (duration, _) = duration.expect("checked");
    let spec = Spec {
        duration,
        warmup,
        drain,
        series_interval: interval,
        max_in_flight,
        max_backlog: u64::MAX,
        slo_latency,
        traffic: traffic.expect("checked"),
        network_latency: network,
        components: comps,
        faults,
        ops,
    };
    if let Some(why) = crate::stall::proof(&spec) {
        // At the think time, else the users (think defaults to 0).
        let at = raw
            .traffic
            .as_ref()
            .and_then(|t| {
                let t = t.get_ref();
                (t.think.as_ref().map(|v| v.span())).or_else(|| t.users.as_ref().map(|u| u.span()))
            })
            .unwrap_or(top.clone());
        ck.err(at, why);
        return Err(ck.problems);
    }
    Ok(Checked {
        name: raw.name.map(|n| n.into_inner()),
        description: raw.description,
        seed,
        replications,
        slo,
        spec,
    })
}

/// The service keys of the resilience features: autoscaling, deadline propagation and the
/// queue discipline. An autoscaled service starts with `instances` clamped to `[min, max]`.
fn resilience_keys(
    ck: &mut Ck,
    r: &crate::raw::RawComponent,
    name: &str,
    span: &Range<usize>,
    s: &mut ServiceSpec,
    instances: &mut u32,
) {
    s.drop_expired = r.drop_expired.as_ref().is_some_and(|v| *v.get_ref());
    let above = r.lifo_above.as_ref().and_then(|v| {
        ck.int(v, &format!("components.{name}.lifo_above"), 0, 100_000_000)
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
    let _ = span;
    if let Some(a) = autoscale_of(ck, a, name, "autoscale", s.cores.is_some()) {
        *instances = (*instances).clamp(a.min, a.max);
        s.autoscale = Some(a);
    }
}

/// A database's `replica_autoscale`: its read replicas scale like an autoscaled service's
/// instances. `replicas` (the initial ready count) is clamped to `[min, max]`. Not with
/// `failover` (a promotion would renumber the replicas the scaler adds and removes).
fn replica_autoscale(
    ck: &mut Ck,
    r: &crate::raw::RawComponent,
    name: &str,
    cores: bool,
    replicas: &mut u32,
) -> Option<AutoscaleSpec> {
    let a = r.replica_autoscale.as_ref()?;
    let mut ok = true;
    if r.replicas.is_none() {
        ck.err(
            a.span(),
            format!("`{name}`: replica_autoscale scales read replicas, so the database needs `replicas` (the initial count)"),
        );
        ok = false;
    }
    if let Some(f) = &r.failover {
        ck.err(
            f.span(),
            format!("`{name}`: `failover` and `replica_autoscale` do not combine (a promotion would renumber the replicas the scaler adds and removes); drop one"),
        );
        ok = false;
    }
    let spec = autoscale_of(ck, a, name, "replica_autoscale", cores)?;
    if spec.max > 100 {
        ck.err(
            a.span(),
            format!(
                "`{name}`: replica_autoscale max ({}) is above 100 replicas",
                spec.max
            ),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    *replicas = (*replicas).clamp(spec.min, spec.max);
    Some(spec)
}

/// An `autoscale` (or a database's `replica_autoscale`) table; `cores`: whether the component
/// has them (the scaler follows CPU utilization).
fn autoscale_of(
    ck: &mut Ck,
    a: &Spanned<crate::raw::RawAutoscale>,
    name: &str,
    key: &str,
    cores: bool,
) -> Option<AutoscaleSpec> {
    let asp = a.span();
    let a = a.get_ref();
    let what = |k: &str| format!("components.{name}.{key}.{k}");
    let target = match &a.target_utilization {
        None => {
            ck.err(
                asp.clone(),
                format!("`{name}`: {key} needs `target_utilization`, e.g. 0.6"),
            );
            None
        }
        Some(t) => ck.float(t, &what("target_utilization"), 0.0, 1.0, true),
    };
    let dur =
        |ck: &mut Ck, v: &Option<Spanned<String>>, k: &str, default: SimTime, min: SimTime| match v
        {
            None => Some(default),
            Some(d) => match ck.duration(d, &what(k)) {
                Some(t) if t < min => {
                    ck.err(d.span(), format!("{} must be at least {min}", what(k)));
                    None
                }
                t => t,
            },
        };
    let interval = dur(
        ck,
        &a.interval,
        "interval",
        SimTime::from_secs(30),
        SimTime::from_millis(10),
    );
    let stabilization = dur(
        ck,
        &a.stabilization,
        "stabilization",
        SimTime::from_secs(300),
        SimTime::ZERO,
    );
    let startup = dur(ck, &a.startup, "startup", SimTime::ZERO, SimTime::ZERO);
    let min = match &a.min {
        None => Some(1),
        Some(v) => ck.int(v, &what("min"), 1, 10_000),
    };
    let max = match &a.max {
        None => {
            ck.err(
                asp.clone(),
                format!(
                    "`{name}`: {key} needs `max`, the most instances (all are allocated up front)"
                ),
            );
            None
        }
        Some(v) => ck.int(v, &what("max"), 1, 10_000),
    };
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            ck.err(
                asp.clone(),
                format!("`{name}`: {key} min ({lo}) is above max ({hi})"),
            );
            return None;
        }
    }
    if !cores {
        ck.err(
            asp.clone(),
            format!(
                "`{name}`: {key} scales on CPU utilization, so the {} needs `cores`",
                if key == "autoscale" {
                    "service"
                } else {
                    "database"
                }
            ),
        );
        return None;
    }
    let (Some(t), Some(i), Some(st), Some(su), Some(lo), Some(hi)) =
        (target, interval, stabilization, startup, min, max)
    else {
        return None;
    };
    Some(AutoscaleSpec {
        target_utilization: t,
        interval: i,
        stabilization: st,
        min: lo as u32,
        max: hi as u32,
        startup: su,
    })
}

/// The policies of one call table (timeout, retries, breaker, bulkhead, hedge, fallback).
fn call_policy(ck: &mut Ck, rc: &crate::raw::RawCall, what: &str) -> Option<Box<CallPolicy>> {
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
        let bs = b.span();
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
        let _ = bs;
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

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn list(names: &[&String]) -> String {
    if names.is_empty() {
        "(none)".into()
    } else {
        names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
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

/// A component's operational keys: `restart`, `region`, `health_check` (balancers),
/// `failover` (databases with replicas).
fn check_ops(
    ck: &mut Ck,
    r: &RawComponent,
    name: &str,
    kind: &str,
    replicas: u32,
    global_targets: Vec<String>,
) -> CompOps {
    let mut o = CompOps {
        global_targets,
        ..CompOps::default()
    };
    if let Some(v) = &r.restart {
        if kind == "load_balancer" {
            ck.err(v.span(), format!("`{name}`: `restart` applies to components that crash and come back (services, databases, caches, queues), not to a load balancer"));
        }
        match ck.duration(v, &format!("components.{name}.restart")) {
            Some(d) if d > SimTime::ZERO && d <= MAX_DURATION => o.restart = Some(d),
            Some(_) => ck.err(
                v.span(),
                format!("components.{name}.restart must be more than 0s and at most 30 days"),
            ),
            None => {}
        }
    }
    if let Some(v) = &r.region {
        if valid_name(v.get_ref()) {
            o.region = Some(v.get_ref().clone());
        } else {
            ck.err(v.span(), format!("components.{name}.region: a region name is letters, digits, `_` or `-`, got \"{}\"", v.get_ref()));
        }
    }
    if let Some(h) = &r.health_check {
        if kind != "load_balancer" {
            ck.err(
                h.span(),
                format!(
                    "`{name}`: `health_check` applies to a load balancer, which probes its targets"
                ),
            );
        }
        let hr = h.get_ref();
        let interval = match &hr.interval {
            None => Some(SimTime::from_secs(5)),
            Some(i) => match ck.duration(i, &format!("components.{name}.health_check.interval")) {
                Some(d) if d >= SimTime::from_millis(1) && d <= MAX_DURATION => Some(d),
                Some(_) => {
                    ck.err(
                        i.span(),
                        "health_check.interval must be between 1ms and 30 days",
                    );
                    None
                }
                None => None,
            },
        };
        let failures = match &hr.failures {
            None => Some(3),
            Some(f) => ck.int(
                f,
                &format!("components.{name}.health_check.failures"),
                1,
                1000,
            ),
        };
        if let (Some(interval), Some(failures)) = (interval, failures) {
            o.health_check = Some(HealthCheck {
                interval,
                failures: failures as u32,
            });
        }
    }
    if let Some(f) = &r.failover {
        if kind != "database" || replicas == 0 {
            ck.err(f.span(), format!("`{name}`: `failover` promotes a replica, so it needs a database with `replicas`"));
        }
        let fr = f.get_ref();
        let get = |ck: &mut Ck, v: &S<String>, what: &str| match v {
            None => {
                ck.err(f.span(), format!("components.{name}.failover needs `{what}`, e.g. failover = {{ detect = \"10s\", promote = \"5s\" }}"));
                None
            }
            Some(v) => ck
                .duration(v, &format!("components.{name}.failover.{what}"))
                .filter(|d| {
                    *d <= MAX_DURATION || {
                        ck.err(v.span(), format!("failover.{what} must be at most 30 days"));
                        false
                    }
                }),
        };
        let detect = get(ck, &fr.detect, "detect");
        let promote = get(ck, &fr.promote, "promote");
        if let (Some(detect), Some(promote)) = (detect, promote) {
            o.failover = Some(Failover { detect, promote });
        }
    }
    o
}
