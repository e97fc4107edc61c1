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
//!         kind: KindSpec::Service(ServiceSpec {
//!             cores: Some(1),
//!             endpoints: vec![("default".into(), EndpointSpec {
//!                 cpu: Some(Dist::exp(SimTime::from_secs(1))),
//!                 calls: vec![],
//!             })],
//!             ..ServiceSpec::default()
//!         }),
//!     }],
//!     faults: vec![],
//!     ops: OpsSpec::default(),
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
mod spec;
mod world;

pub use behavior::{Behavior, BehaviorCtx, CallId, Effect, Request};
pub use build::{BuildError, Component, IntoDist, IntoTime, SpecBuilder};
pub use cache::{Eviction, KeyHasher, KeyStore, Lookup};
pub use dist::{inverse_normal_cdf, parse_duration, std_normal_cdf, Dist, DistError};
pub use spec::{
    Arrivals, AutoscaleSpec, BreakerSpec, CacheSpec, CallPolicy, CallSpec, CdnSpec, CompOps,
    ComponentSpec, DbSpec, Discipline, EndpointSpec, Failover, FaultKind, FaultSpec, HealthCheck,
    Keys, KindSpec, Load, ModelError, OpsSpec, Policy, QueueSpec, Reads, RetrySpec, ServiceSpec,
    Spec, TrafficSpec, WritePolicy, DEFAULT_MAX_IN_FLIGHT, MAX_USERS,
};
pub use world::{
    estimate_memory, in_flight_reserve, run, run_with_progress, Ev, MemoryEstimate, MemoryPart,
    World, IN_FLIGHT_RESERVE, REJECTED, TIMEOUT, UNAVAILABLE,
};

/// The components each component calls (services' endpoint calls, a balancer's targets, a
/// custom component's declared calls), by index.
pub fn call_graph(spec: &Spec) -> Vec<Vec<usize>> {
    let idx = |n: &str| spec.components.iter().position(|c| c.name == n);
    spec.components
        .iter()
        .map(|c| {
            let mut out: Vec<usize> = match &c.kind {
                KindSpec::Service(s) => s
                    .endpoints
                    .iter()
                    .flat_map(|(_, e)| e.calls.iter().filter_map(|call| idx(&call.to)))
                    .collect(),
                KindSpec::LoadBalancer { targets, .. } => idx(targets).into_iter().collect(),
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

/// Finds a cycle of calls, if any, as the names along it (first name repeated at the end).
pub fn find_cycle(spec: &Spec) -> Option<Vec<String>> {
    let g = call_graph(spec);
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut state = vec![0u8; g.len()];
    let mut stack: Vec<usize> = Vec::new();
    fn dfs(v: usize, g: &[Vec<usize>], state: &mut [u8], stack: &mut Vec<usize>) -> Option<usize> {
        state[v] = 1;
        stack.push(v);
        for &w in &g[v] {
            if state[w] == 1 {
                return Some(w);
            }
            if state[w] == 0 {
                if let Some(x) = dfs(w, g, state, stack) {
                    return Some(x);
                }
            }
        }
        stack.pop();
        state[v] = 2;
        None
    }
    for v in 0..g.len() {
        if state[v] == 0 {
            if let Some(start) = dfs(v, &g, &mut state, &mut stack) {
                let pos = stack.iter().position(|&x| x == start).unwrap_or(0);
                let mut names: Vec<String> = stack[pos..]
                    .iter()
                    .map(|&i| spec.components[i].name.clone())
                    .collect();
                names.push(spec.components[start].name.clone());
                return Some(names);
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
