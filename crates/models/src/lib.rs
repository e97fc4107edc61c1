//! Component models of archsim: traffic sources, services, load balancers, distributions and
//! the flow of a request through them.
//!
//! A model is described by a [`Spec`] (the `scenario` crate builds one from TOML; you can
//! write one in Rust, most shortly with [`Spec::builder`], see [`SpecBuilder`]) and run by
//! [`run`], which returns the statistics of one replication. Written out in full:
//!
//! ```
//! use archsim_engine::SimTime;
//! use archsim_models::*;
//!
//! // An M/M/1 queue: Poisson arrivals at 0.9/s, one core, exponential 1 s service.
//! let spec = Spec {
//!     duration: SimTime::from_secs(2_000),
//!     warmup: SimTime::from_secs(100),
//!     drain: SimTime::from_secs(60),
//!     series_interval: SimTime::from_secs(10),
//!     max_in_flight: 1_000_000,
//!     max_backlog: u64::MAX,
//!     slo_latency: None,
//!     traffic: TrafficSpec {
//!         entry: "server".into(),
//!         load: Load::Open { rate_per_s: 0.9, arrivals: Arrivals::Poisson },
//!         timeout: None,
//!         keys: None,
//!         classes: vec![("default".into(), 1.0)],
//!         unkeyed: vec![],
//!         retry: None,
//!         profile: vec![],
//!     },
//!     network_latency: Dist::Const(0),
//!     components: vec![ComponentSpec {
//!         name: "server".into(),
//!         instances: 1,
//!         balance: Policy::RoundRobin,
//!         machine: None,
//!         memory: None,
//!         kind: KindSpec::Service(ServiceSpec {
//!             cores: Some(1),
//!             endpoints: vec![("default".into(), EndpointSpec {
//!                 cpu: Some(Dist::exp(SimTime::from_secs(1))),
//!                 calls: vec![],
//!                 ..EndpointSpec::default()
//!             })],
//!             ..ServiceSpec::default()
//!         }),
//!     }],
//!     faults: vec![],
//!     ops: OpsSpec::default(),
//!     alerts: Default::default(),
//!     breakdown: true,
//!     instance_series: false,
//! };
//! let stats = run(&spec, 42).unwrap();
//! assert!(stats.accounting_holds());
//! assert!(stats.overall.succeeded > 1_500);
//! ```
#![deny(missing_docs)]

mod behavior;
mod build;
mod cache;
mod dist;
pub mod limits;
pub mod machine;
mod spec;
mod validate;
mod world;

pub use behavior::{Behavior, BehaviorCtx, CallId, Effect, Request};
pub use build::{BuildError, Component, IntoDist, IntoTime, SpecBuilder};
pub use cache::{EntrySizes, Eviction, KeyHasher, KeyStore, Lookup, MAX_ENTRY_DRAW};
pub use dist::{
    inverse_normal_cdf, parse_bytes, parse_duration, parse_rate, std_normal_cdf, Dist, DistError,
};
pub use limits::*;
pub use machine::{catalogue, Machine, Usl, CATALOGUE_LEN};
pub use spec::{
    Arrivals, AutoscaleSpec, BreakerSpec, CacheSpec, CallPolicy, CallSpec, CdnSpec, CompOps,
    ComponentSpec, DbSpec, Discipline, DiskSpec, EndpointSpec, Failover, FaultKind, FaultSpec,
    GcSpec, HealthCheck, Keys, KindSpec, Load, MemorySpec, ModelError, OpsSpec, Policy, QueueSpec,
    Reads, RegionLink, RetrySpec, ScaleMetric, ServiceSpec, Spec, StorageAutoscale, StorageSpec,
    TableOp, TableSpec, TrafficSpec, WritePolicy, DEFAULT_COMMIT_BYTES, DEFAULT_FANOUT,
    DEFAULT_INDEX_COST_NS, DEFAULT_INDEX_ROW_BYTES, DEFAULT_MAX_IN_FLIGHT, DEFAULT_ROW_SIZE,
    DEFAULT_SCAN_COST_NS, DEFAULT_STORAGE_DELAY_NS, DEFAULT_STORAGE_THRESHOLD, MAX_USERS,
};
pub use world::{
    estimate_memory, in_flight_reserve, run, run_traced, run_with_progress, Ev, Kept,
    MemoryEstimate, MemoryPart, Span, Trace, TraceOptions, TraceSink, World, IN_FLIGHT_RESERVE,
    REJECTED, TIMEOUT, UNAVAILABLE,
};

/// The components each component calls (services' endpoint calls, a balancer's targets, a
/// global balancer's every target, a custom component's declared calls), by index.
pub fn call_graph(spec: &Spec) -> Vec<Vec<usize>> {
    // Name -> index (the first component of a name), so a model of 50,000 components that
    // call each other is not a quadratic scan of every name.
    let mut index: std::collections::HashMap<&str, usize> = Default::default();
    for (i, c) in spec.components.iter().enumerate() {
        index.entry(c.name.as_str()).or_insert(i);
    }
    let idx = |n: &str| index.get(n).copied();
    // A global balancer's targets after the first are in its operational settings.
    let mut global: std::collections::HashMap<&str, &[String]> = Default::default();
    for (name, o) in &spec.ops.components {
        if !o.global_targets.is_empty() {
            global.insert(name.as_str(), &o.global_targets);
        }
    }
    spec.components
        .iter()
        .map(|c| {
            let mut out: Vec<usize> = match &c.kind {
                KindSpec::Service(s) => s
                    .endpoints
                    .iter()
                    .flat_map(|(_, e)| e.calls.iter().filter_map(|call| idx(&call.to)))
                    .collect(),
                KindSpec::LoadBalancer { targets, .. } => idx(targets)
                    .into_iter()
                    .chain(
                        global
                            .get(c.name.as_str())
                            .into_iter()
                            .flat_map(|ts| ts.iter().filter_map(|t| idx(t))),
                    )
                    .collect(),
                KindSpec::Cache(c) => idx(&c.backing).into_iter().collect(),
                KindSpec::Queue(q) => idx(&q.consumer).into_iter().collect(),
                KindSpec::Custom { factory, .. } => {
                    factory().calls().iter().filter_map(|n| idx(n)).collect()
                }
            };
            out.sort_unstable();
            out.dedup();
            out
        })
        .collect()
}

/// Finds a cycle of calls, if any, as the names along it (first name repeated at the end):
/// the first cycle [`cycle_in`] finds in the [`call_graph`].
pub fn find_cycle(spec: &Spec) -> Option<Vec<String>> {
    let cycle = cycle_in(&call_graph(spec))?;
    let mut names: Vec<String> = cycle
        .iter()
        .map(|&(v, _)| spec.components[v].name.clone())
        .collect();
    names.push(names[0].clone());
    Some(names)
}

/// The first cycle of a directed graph given as adjacency lists (`graph[v]`: the vertices
/// `v` has edges to), if any. The search is depth first, from vertex 0 upwards, trying each
/// vertex's edges in their order. The cycle comes as its edges, each `(v, k)` for the edge
/// from `v` to `graph[v][k]`, starting at the vertex where the search closed it; the last
/// edge leads back to the first vertex.
///
/// It runs in time linear in vertices plus edges, with an explicit stack: a chain of 50,000
/// calls must not overflow the thread's stack.
///
/// ```
/// // 0 -> 1 -> 2 -> 1: the cycle is 1 -> 2 -> 1, closed by the edge from 2.
/// let graph = vec![vec![1], vec![2], vec![3, 1], vec![]];
/// assert_eq!(archsim_models::cycle_in(&graph), Some(vec![(1, 0), (2, 1)]));
/// // A chain of a million vertices has none.
/// let chain: Vec<Vec<usize>> = (1..=1_000_000).map(|v| vec![v]).chain([vec![]]).collect();
/// assert_eq!(archsim_models::cycle_in(&chain), None);
/// ```
pub fn cycle_in(graph: &[Vec<usize>]) -> Option<Vec<(usize, usize)>> {
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut state = vec![0u8; graph.len()];
    // (vertex, next edge to try): below the top, `next - 1` is the edge the search took.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..graph.len() {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        stack.push((root, 0));
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            let Some(&w) = graph[v].get(*next) else {
                state[v] = 2;
                stack.pop();
                continue;
            };
            *next += 1;
            match state[w] {
                1 => {
                    let start = stack.iter().position(|&(x, _)| x == w).unwrap_or(0);
                    return Some(stack[start..].iter().map(|&(x, n)| (x, n - 1)).collect());
                }
                0 => {
                    state[w] = 1;
                    stack.push((w, 0));
                }
                _ => {}
            }
        }
    }
    None
}

pub(crate) fn check_cycles(spec: &Spec) -> Result<(), ModelError> {
    match find_cycle(spec) {
        Some(c) => Err(ModelError::Cycle(c)),
        None => Ok(()),
    }
}
