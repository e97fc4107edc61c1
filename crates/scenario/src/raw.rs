//! The first layer: serde structs that mirror the TOML and keep source positions.
//!
//! Every value that can be wrong on its own carries its span (`Spanned`), so the second layer
//! ([`crate::check`]) can say where it is. Unknown keys are rejected by serde.

use indexmap::IndexMap;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

pub type S<T> = Option<Spanned<T>>;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: S<String>,
    pub description: Option<String>,
    pub run: S<RawRun>,
    pub slo: S<RawSlo>,
    pub traffic: S<RawTraffic>,
    #[serde(default)]
    pub components: IndexMap<String, Spanned<RawComponent>>,
    /// Not spanned: `[network.regions]` alone defines `[network]` implicitly, which has no span.
    pub network: Option<RawNetwork>,
    #[serde(default)]
    pub faults: Vec<Spanned<RawFault>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    pub duration: S<String>,
    pub warmup: S<String>,
    pub drain: S<String>,
    pub seed: S<i64>,
    pub replications: S<i64>,
    pub series_interval: S<String>,
    pub max_in_flight: S<i64>,
    /// A size: `"8GiB"`, `"500MB"`, or a number of bytes (see [`crate::memory::parse_size`]).
    pub memory_limit: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub latency: S<String>,
    pub target: S<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawTraffic {
    pub entry: S<String>,
    pub rate: S<f64>,
    pub arrivals: S<String>,
    pub users: S<i64>,
    pub think: S<String>,
    pub timeout: S<String>,
    pub keys: S<RawKeys>,
    #[serde(default)]
    pub classes: IndexMap<String, Spanned<RawClass>>,
    pub retry: S<RawRetry>,
    /// A load curve: `[{ at = "0s", factor = 0.6 }, { at = "5m", factor = 1.0 }]`.
    pub profile: S<Vec<Spanned<RawProfilePoint>>>,
    /// Where requests come from: `{ us-east = 0.6, eu-west = 0.4 }`.
    pub regions: S<IndexMap<String, Spanned<f64>>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawKeys {
    pub count: S<i64>,
    pub zipf: S<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawClass {
    pub weight: S<f64>,
    pub keyed: S<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawProfilePoint {
    pub at: S<String>,
    pub factor: S<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    pub max: S<i64>,
    pub backoff: S<String>,
    pub multiplier: S<f64>,
    pub jitter: S<String>,
    pub budget: S<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub latency: S<String>,
    /// One-way latency between regions: `"us-east/eu-west" = "80ms"`.
    pub regions: S<IndexMap<String, Spanned<String>>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawComponent {
    pub kind: S<String>,
    /// Free text for the reader; not used by the model.
    #[allow(dead_code)]
    pub description: Option<String>,
    pub instances: S<i64>,
    pub balance: S<String>,
    // service / database
    pub cores: S<i64>,
    pub workers: S<i64>,
    pub queue: S<i64>,
    pub endpoints: Option<IndexMap<String, Spanned<RawEndpoint>>>,
    // load balancer
    pub targets: S<RawTargets>,
    pub policy: S<String>,
    // cache (contract keys; the kind itself arrives with the data tier)
    pub capacity: S<i64>,
    pub eviction: S<String>,
    pub ttl: S<String>,
    pub hit: S<String>,
    pub backing: S<String>,
    pub writes: S<Vec<String>>,
    // sharded database
    pub shards: S<i64>,
    pub sharding: S<String>,
    // database replicas and locks
    pub replicas: S<i64>,
    pub replication_lag: S<String>,
    pub reads: S<String>,
    pub row_locks: S<bool>,
    // gateway / service rate limit
    pub rate_limit: S<f64>,
    pub burst: S<f64>,
    // queue
    pub publish: S<String>,
    pub consumers: S<i64>,
    pub consumer: S<String>,
    pub durable: S<bool>,
    // read model fed by a queue
    pub source: S<String>,
    // cache write policies
    pub write_policy: S<String>,
    pub flush_interval: S<String>,
    pub coalesce: S<bool>,
    pub refresh_ahead: S<f64>,
    // cdn
    pub classes: S<Vec<String>>,
    pub hit_ratio: S<f64>,
    pub edge_latency: S<String>,
    // operations
    pub restart: S<String>,
    pub region: S<String>,
    pub health_check: S<RawHealthCheck>,
    pub failover: S<RawFailover>,
    // resilience: autoscaling, deadline propagation, queue discipline
    pub autoscale: S<RawAutoscale>,
    pub replica_autoscale: S<RawAutoscale>,
    pub drop_expired: S<bool>,
    pub queue_discipline: S<String>,
    pub lifo_above: S<i64>,
    // cost (any kind)
    pub cost_per_hour: S<f64>,
    pub replica_cost_per_hour: S<f64>,
}

/// A balancer's targets: one component, or a list (a global balancer).
#[derive(Deserialize, Debug)]
#[serde(untagged)]
pub enum RawTargets {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawHealthCheck {
    pub interval: S<String>,
    pub failures: S<i64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAutoscale {
    pub target_utilization: S<f64>,
    pub interval: S<String>,
    pub stabilization: S<String>,
    pub min: S<i64>,
    pub max: S<i64>,
    pub startup: S<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawFailover {
    pub detect: S<String>,
    pub promote: S<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawBreaker {
    pub failure_rate: S<f64>,
    pub window: S<String>,
    pub min_calls: S<i64>,
    pub open_for: S<String>,
    pub half_open: S<i64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    pub cpu: S<String>,
    pub calls: S<Vec<Spanned<RawCall>>>,
}

/// A downstream call: `"db"` or `{ to = "index", fanout = 20 }`, with optional policies.
#[derive(Debug)]
pub struct RawCall {
    pub to: Spanned<String>,
    pub fanout: S<i64>,
    pub timeout: S<String>,
    pub retries: S<i64>,
    pub backoff: S<String>,
    pub breaker: S<RawBreaker>,
    pub bulkhead: S<i64>,
    pub hedge: S<String>,
    pub fallback: S<String>,
}

impl Default for RawCall {
    fn default() -> Self {
        RawCall {
            to: Spanned::new(0..0, String::new()),
            fanout: None,
            timeout: None,
            retries: None,
            backoff: None,
            breaker: None,
            bulkhead: None,
            hedge: None,
            fallback: None,
        }
    }
}

/// Keys of a call table.
const CALL_KEYS: &[&str] = &[
    "to", "fanout", "timeout", "retries", "backoff", "breaker", "bulkhead", "hedge", "fallback",
];

impl<'de> Deserialize<'de> for RawCall {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCall;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a component name, or a table like { to = \"index\", fanout = 20 }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawCall, E> {
                // A bare string: no span of its own here; the caller falls back to the list's.
                Ok(RawCall {
                    to: Spanned::new(0..0, v.to_string()),
                    ..RawCall::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawCall, A::Error> {
                let mut to = None;
                let mut call = RawCall::default();
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        "to" => to = Some(map.next_value::<Spanned<String>>()?),
                        "fanout" => call.fanout = Some(map.next_value()?),
                        "timeout" => call.timeout = Some(map.next_value()?),
                        "retries" => call.retries = Some(map.next_value()?),
                        "backoff" => call.backoff = Some(map.next_value()?),
                        "breaker" => call.breaker = Some(map.next_value()?),
                        "bulkhead" => call.bulkhead = Some(map.next_value()?),
                        "hedge" => call.hedge = Some(map.next_value()?),
                        "fallback" => call.fallback = Some(map.next_value()?),
                        other => {
                            return Err(de::Error::unknown_field(other, CALL_KEYS));
                        }
                    }
                }
                call.to = to.ok_or_else(|| de::Error::missing_field("to"))?;
                Ok(call)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    pub at: S<String>,
    #[serde(rename = "for")]
    pub for_: S<String>,
    pub target: S<String>,
    pub kind: S<String>,
    pub factor: S<f64>,
    pub to: S<i64>,
    // partition / latency
    pub peer: S<String>,
    pub mode: S<String>,
    pub add: S<String>,
    // deploy
    pub batch: S<i64>,
    pub start_up: S<String>,
    pub drain: S<String>,
}
