//! Traffic: a client's request from its first attempt to its outcome (attempts, retries, closing, closed-loop users).

use super::*;

mod client;
mod profile;

/// The clients' state: how requests arrive, what they ask for, their records while they
/// are live, and the shape of the load over time.
pub(in crate::world) struct Traffic {
    pub(in crate::world) timeout: Option<SimTime>,
    pub(in crate::world) retry: Option<RetrySpec>,
    pub(in crate::world) retry_tokens: f64,
    pub(in crate::world) entry: u32,
    pub(in crate::world) load: Load,
    pub(in crate::world) arrival_gap: Option<Dist>,
    pub(in crate::world) class_cum: Vec<f64>,
    /// By class index: requests of this class carry no key.
    pub(in crate::world) unkeyed: Vec<bool>,
    pub(in crate::world) zipf: Option<Zipf<f64>>,
    pub(in crate::world) key_count: u64,
    /// Open loop without timeout or retry: requests need no client record.
    pub(in crate::world) simple: bool,
    pub(in crate::world) rng_arrivals: Stream,
    pub(in crate::world) rng_class: Stream,
    pub(in crate::world) rng_keys: Stream,
    pub(in crate::world) rng_think: Stream,
    pub(in crate::world) rng_retry: Stream,
    pub(in crate::world) reqs: Vec<Req>,
    pub(in crate::world) free_reqs: Vec<u32>,
    /// Product of the active spike factors, and the factors.
    pub(in crate::world) rate_factor: f64,
    /// The traffic profile `(at ns, factor)`, and its factor now (1 without a profile).
    pub(in crate::world) profile: Vec<(u64, f64)>,
    pub(in crate::world) profile_factor: f64,
    /// The generation of the pending open-loop arrival.
    pub(in crate::world) arrival_gen: u32,
    pub(in crate::world) spikes: Vec<f64>,
    /// Closed loop under spikes: users in the spec, users allowed now, and per user whether
    /// it is in the loop (a user beyond the limit leaves it at its next wake-up or reply).
    pub(in crate::world) base_users: u32,
    pub(in crate::world) user_limit: u32,
    pub(in crate::world) in_loop: Vec<bool>,
}

impl World {
    // ----- traffic -----
}
