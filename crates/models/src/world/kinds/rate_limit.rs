//! The rate limit of a service, an API gateway's token bucket: per instance, tokens come at
//! `rate` a second up to `burst`; a request that finds no token fails at once with
//! `rate_limited`. A service with a rate limit is shown as a `gateway` when its spec says so.

use crate::world::*;

/// A service's token bucket, per instance.
pub(in crate::world) struct RateLimit {
    /// Tokens per nanosecond, and the most an instance saves.
    rate_per_ns: f64,
    burst: f64,
    /// Per instance: tokens, and when they were last counted.
    tokens: Vec<(f64, u64)>,
    /// Requests turned away in the measured window.
    pub(in crate::world) limited: u64,
    /// The error reason `rate_limited`.
    pub(in crate::world) reason: usize,
}

impl RateLimit {
    /// A bucket of `burst` tokens per instance of `instances`, filled at `rate_per_s`.
    pub(in crate::world) fn build(rate_per_s: f64, burst: f64, instances: u32) -> RateLimit {
        RateLimit {
            rate_per_ns: rate_per_s / 1e9,
            burst,
            tokens: vec![(f64::INFINITY, 0); instances as usize],
            limited: 0,
            reason: 0,
        }
    }
    /// Whether instance `inst` lets a request in at `now`, taking a token.
    #[inline]
    pub(in crate::world) fn admit(&mut self, inst: u32, now: u64) -> bool {
        let (tokens, at) = &mut self.tokens[inst as usize];
        *tokens = (tokens.min(self.burst) + (now - *at) as f64 * self.rate_per_ns).min(self.burst);
        *at = now;
        if *tokens < 1.0 {
            return false;
        }
        *tokens -= 1.0;
        true
    }
    /// The requests it turned away.
    pub(in crate::world) fn report(&self, s: &mut ComponentStats) {
        s.counters.insert("rate_limited", self.limited);
    }
}
