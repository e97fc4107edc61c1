//! The first layer: serde structs that mirror the TOML and keep source positions.
//!
//! Every value that can be wrong on its own carries its span (`Spanned`), so the second layer
//! ([`crate::check`]) can say where it is. Unknown keys are rejected by serde.

use indexmap::IndexMap;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::ops::Range;
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
    #[serde(default)]
    pub alerts: Vec<Spanned<RawAlert>>,
    /// `[machines.NAME]`: machine types of the scenario's own, or overrides of the
    /// catalogue's (read by [`crate::machines::table`]).
    #[serde(default)]
    pub machines: IndexMap<String, Spanned<toml::Value>>,
    /// `[growth]`: what `simulate runway` grows (read by [`crate::growth::collect`]).
    pub growth: S<RawGrowth>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawGrowth {
    pub rate: S<String>,
    pub horizon: S<String>,
    pub with_traffic: Option<Vec<Spanned<String>>>,
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
    /// How often alert rules are evaluated (default: `series_interval`).
    pub alert_interval: S<String>,
    /// Where the time goes: per-component response times and the latency breakdown (default
    /// true).
    pub breakdown: S<bool>,
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
    /// One-way latency between regions: `"us-east/eu-west" = "80ms"`, or with a bandwidth:
    /// `"us-east/eu-west" = { latency = "80ms", bandwidth = "1Gbps" }`.
    pub regions: S<IndexMap<String, Spanned<RawRegionLink>>>,
}

/// A region pair's link: its latency (a bare string), or a table with a bandwidth too.
#[derive(Debug)]
pub struct RawRegionLink {
    /// Without a span of its own (written as a bare string), the caller uses the entry's.
    pub latency: Option<Spanned<String>>,
    pub bandwidth: S<String>,
    pub buffer: S<String>,
}

impl<'de> Deserialize<'de> for RawRegionLink {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRegionLink;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a latency like \"80ms\", or a table like { latency = \"80ms\", bandwidth = \"1Gbps\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawRegionLink, E> {
                Ok(RawRegionLink {
                    latency: Some(Spanned::new(0..0, v.to_string())),
                    bandwidth: None,
                    buffer: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRegionLink, A::Error> {
                let mut link = RawRegionLink {
                    latency: None,
                    bandwidth: None,
                    buffer: None,
                };
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        "latency" => link.latency = Some(map.next_value()?),
                        "bandwidth" => link.bandwidth = Some(map.next_value()?),
                        "buffer" => link.buffer = Some(map.next_value()?),
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["latency", "bandwidth", "buffer"],
                            ));
                        }
                    }
                }
                Ok(link)
            }
        }
        d.deserialize_any(V)
    }
}

/// Where a component key applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// To every kind.
    Any,
    /// To the kinds whose entry in the kind table (`check::kinds::KINDS`) lists it; the
    /// check refuses it elsewhere by [`RawComponent::present`].
    Kind,
    /// To these kinds only; the check that reads the key refuses it elsewhere, with its own
    /// message.
    Only(&'static [&'static str]),
}

/// Where a key of a component table is written.
trait KeySpan {
    /// `None` when the key is not written; `whole` is the component table's span, for a key
    /// without a span of its own.
    fn key_span(&self, whole: &Range<usize>) -> Option<Range<usize>>;
}

impl<T> KeySpan for S<T> {
    fn key_span(&self, _: &Range<usize>) -> Option<Range<usize>> {
        self.as_ref().map(|v| v.span())
    }
}

/// A table of subtables (`endpoints`): where its first entry is written.
impl<T> KeySpan for Option<IndexMap<String, Spanned<T>>> {
    fn key_span(&self, whole: &Range<usize>) -> Option<Range<usize>> {
        self.as_ref()
            .map(|v| v.values().next().map_or(whole.clone(), |e| e.span()))
    }
}

/// [`Applies`] from the words of [`component_keys!`].
macro_rules! applies {
    (any) => {
        Applies::Any
    };
    (kind) => {
        Applies::Kind
    };
    (only($($kind:literal),+)) => {
        Applies::Only(&[$($kind),+])
    };
}

/// The span of a key the kind table decides on (`kind`), else `None` (not asked for).
macro_rules! kind_key_span {
    (kind, $value:expr, $whole:expr) => {
        KeySpan::key_span(&$value, $whole)
    };
    ($other:ident, $value:expr, $whole:expr) => {
        None
    };
}

/// Declares the keys of a component table once: the fields of [`RawComponent`] (serde lists
/// them in this order when it meets an unknown key), [`RawComponent::KEYS`] with where each
/// applies, and [`RawComponent::present`]. A field's name is its key (no serde renames).
macro_rules! component_keys {
    ($(
        $(#[$attr:meta])*
        $field:ident: $ty:ty => $applies:ident $(($($kind:literal),+))?,
    )*) => {
        /// A component table.
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        pub struct RawComponent {
            $(
                $(#[$attr])*
                pub $field: $ty,
            )*
        }

        impl RawComponent {
            /// Every key of a component table, in the order declared, with where it applies.
            pub const KEYS: &'static [(&'static str, Applies)] =
                &[$((stringify!($field), applies!($applies $(($($kind),+))?))),*];

            /// The keys written here that the kind table decides on ([`Applies::Kind`]), in
            /// the order of [`Self::KEYS`], each with where it is written (`whole`: the span
            /// of this component's table).
            pub fn present(
                &self,
                whole: &Range<usize>,
            ) -> impl Iterator<Item = (&'static str, Range<usize>)> {
                let spans: [Option<Range<usize>>; Self::KEYS.len()] =
                    [$(kind_key_span!($applies, self.$field, whole)),*];
                Self::KEYS
                    .iter()
                    .zip(spans)
                    .filter_map(|(&(key, _), span)| Some((key, span?)))
            }
        }
    };
}

component_keys! {
    kind: S<String> => any,
    /// Free text for the reader; not used by the model.
    #[allow(dead_code)]
    description: Option<String> => any,
    instances: S<i64> => any,
    balance: S<String> => any,
    // service / database
    cores: S<i64> => kind,
    workers: S<i64> => kind,
    queue: S<i64> => kind,
    endpoints: Option<IndexMap<String, Spanned<RawEndpoint>>> => kind,
    // load balancer
    targets: S<RawTargets> => kind,
    policy: S<String> => kind,
    // cache
    capacity: S<i64> => kind,
    eviction: S<String> => kind,
    ttl: S<String> => kind,
    hit: S<String> => kind,
    backing: S<String> => kind,
    writes: S<Vec<String>> => kind,
    // sharded database
    shards: S<i64> => kind,
    sharding: S<String> => kind,
    // database replicas and locks
    replicas: S<i64> => kind,
    replication_lag: S<String> => kind,
    reads: S<String> => kind,
    row_locks: S<bool> => kind,
    // database data: tables, storage
    tables: Option<IndexMap<String, Spanned<RawTable>>> => kind,
    storage: Option<Spanned<toml::Value>> => kind,
    storage_base: Option<Spanned<toml::Value>> => kind,
    storage_autoscale: S<RawStorageAutoscale> => kind,
    // database disk
    disk_iops: S<f64> => kind,
    disk_throughput: S<String> => kind,
    wal_fsync: S<String> => kind,
    group_commit: S<String> => kind,
    // gateway / service rate limit
    rate_limit: S<f64> => kind,
    burst: S<f64> => kind,
    // queue
    publish: S<String> => kind,
    consumers: S<i64> => kind,
    consumer: S<String> => kind,
    durable: S<bool> => kind,
    // read model fed by a queue
    source: S<String> => kind,
    // cache write policies
    write_policy: S<String> => kind,
    flush_interval: S<String> => kind,
    coalesce: S<bool> => kind,
    refresh_ahead: S<f64> => kind,
    // cache entries sized in bytes
    entry_size: S<String> => kind,
    max_memory: S<String> => kind,
    // cdn
    classes: S<Vec<String>> => kind,
    hit_ratio: S<f64> => kind,
    edge_latency: S<String> => kind,
    // operations
    restart: S<String> => any,
    region: S<String> => any,
    // network: each instance's link
    bandwidth: S<String> => any,
    link_buffer: S<String> => any,
    health_check: S<RawHealthCheck> => only("load_balancer"),
    failover: S<RawFailover> => only("database"),
    // resilience: autoscaling, deadline propagation, queue discipline
    autoscale: S<RawAutoscale> => kind,
    replica_autoscale: S<RawAutoscale> => kind,
    drop_expired: S<bool> => kind,
    queue_discipline: S<String> => kind,
    lifo_above: S<i64> => kind,
    // memory per instance (any kind; a collector where there is CPU time)
    memory: S<String> => any,
    memory_base: S<String> => any,
    memory_per_request: S<String> => any,
    gc_overhead: S<f64> => only("service", "database", "gateway"),
    // cost (any kind; a database's replicas may cost another price)
    cost_per_hour: S<f64> => any,
    replica_cost_per_hour: S<f64> => only("database"),
    // machine sizes and sub-linear scaling with cores
    machine: S<String> => any,
    usl: S<RawUsl> => kind,
}

/// `usl = { sigma = 0.03, kappa = 0.0005 }`: the Universal Scalability Law's pair.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawUsl {
    pub sigma: S<f64>,
    pub kappa: S<f64>,
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
    /// `cpu` (default), `queue`, `rate` or `latency`.
    pub metric: S<String>,
    /// The target of a metric other than CPU: a number, or a duration for latency.
    pub target: Option<Spanned<toml::Value>>,
    pub percentile: S<f64>,
    pub class: S<String>,
    pub idle: S<String>,
    pub cold_start: S<String>,
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
    /// Bytes of a request to it: a size or a distribution of sizes (`"exp(2KiB)"`).
    pub request_size: S<String>,
    /// Bytes of its response.
    pub response_size: S<String>,
    /// A database's table the operation reads (or writes, with `grows`).
    pub table: S<String>,
    /// Rows each call adds to `table`: a count or a distribution (`"exp(3)"`).
    pub grows: Option<Spanned<toml::Value>>,
}

/// A database's table: `[components.db.tables.orders]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    pub rows: S<i64>,
    pub row_size: Option<Spanned<toml::Value>>,
    pub index: S<bool>,
    pub index_size: Option<Spanned<toml::Value>>,
    pub index_cost: S<String>,
    pub index_fanout: S<i64>,
    pub scan_cost: S<String>,
}

/// A database's storage autoscaling.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawStorageAutoscale {
    pub threshold: S<f64>,
    pub step: Option<Spanned<toml::Value>>,
    pub delay: S<String>,
    pub max: Option<Spanned<toml::Value>>,
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
    // leak
    pub per_request: S<String>,
    pub per_second: S<String>,
    pub rate: S<String>,
}

/// An `[[alerts]]` rule: a threshold on a series, or an SLO burn rate.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAlert {
    pub name: S<String>,
    pub component: S<String>,
    pub class: S<String>,
    pub series: S<String>,
    /// A number, or a duration for a series in seconds (`p99`, `consumer_lag`).
    pub above: Option<Spanned<toml::Value>>,
    pub below: Option<Spanned<toml::Value>>,
    #[serde(rename = "for")]
    pub for_: S<String>,
    pub severity: S<String>,
    /// `fast` or `slow`.
    pub burn_rate: S<String>,
    pub long: S<String>,
    pub short: S<String>,
    pub factor: S<f64>,
}
