//! Demonstrates: adding your own component kind through the Rust API — a token-bucket rate
//! limiter placed in front of a service described in TOML.
//!
//! ```text
//!   client ──▶ limiter (custom: token bucket, 300 req/s, burst 20) ──▶ app (4 cores)
//!                 │ over the limit
//!                 ▼
//!            error "rate_limited"
//! ```
//!
//! Offered load is 500 requests/s; the limiter lets about 300/s through, so throughput settles
//! near 300/s with about 40% of requests failing as `rate_limited`, and the app stays lightly
//! loaded. Run it with `cargo run --release --example custom_component`.

use archsim::engine::SimTime;
use archsim::models::{Behavior, BehaviorCtx, ComponentSpec, KindSpec, Policy, Request};
use std::sync::Arc;

/// A token bucket: `rate` tokens per second, at most `burst` saved up. A request takes a
/// token and is forwarded to `to`; without a token it fails at once.
struct TokenBucket {
    rate_per_s: f64,
    burst: f64,
    tokens: f64,
    last: SimTime,
    to: String,
    limited: u64,
}

impl Behavior for TokenBucket {
    fn on_request(&mut self, req: Request, ctx: &mut BehaviorCtx<'_>) {
        let now = ctx.now();
        let dt = now.saturating_sub(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.rate_per_s).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            ctx.call(req.id, &self.to);
        } else {
            self.limited += 1;
            ctx.fail(req.id, "rate_limited");
        }
    }

    // on_reply keeps its default: pass the downstream answer back to the caller.

    fn counters(&self) -> Vec<(String, u64)> {
        vec![("limited".into(), self.limited)]
    }

    fn calls(&self) -> Vec<String> {
        vec![self.to.clone()]
    }
}

const SCENARIO: &str = r#"
[run]
duration = "60s"
warmup = "5s"

[traffic]
entry = "app"           # replaced by the limiter below
rate = 500

[components.app]
kind = "service"
instances = 2
cores = 4
[components.app.endpoints.default]
cpu = "exp(4ms)"
"#;

fn main() {
    let mut scenario = archsim::scenario::from_str(SCENARIO, "custom_component.toml", &[])
        .expect("the scenario is valid");

    // Put the custom component in front of the app and send the traffic to it.
    scenario.spec.components.insert(
        0,
        ComponentSpec {
            name: "limiter".into(),
            instances: 1,
            balance: Policy::RoundRobin,
            machine: None,
            memory: None,
            kind: KindSpec::Custom {
                kind: "token_bucket".into(),
                factory: Arc::new(|| {
                    Box::new(TokenBucket {
                        rate_per_s: 300.0,
                        burst: 20.0,
                        tokens: 20.0,
                        last: SimTime::ZERO,
                        to: "app".into(),
                        limited: 0,
                    })
                }),
            },
        },
    );
    scenario.spec.traffic.entry = "limiter".into();

    let result = scenario.run().expect("the model builds");
    print!("{}", result.summary());

    let limited = result.errors.get("rate_limited").copied().unwrap_or(0);
    println!(
        "\nthroughput {:.0} req/s of 500 offered; {limited} requests rate-limited in the measured window",
        result.throughput_rps
    );
    assert!((result.throughput_rps - 300.0).abs() < 15.0);
}
