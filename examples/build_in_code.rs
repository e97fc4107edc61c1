//! Demonstrates: a model written in Rust with the builder, as short as its TOML — a balancer,
//! an app tier, a cache and a database, and a database crash — run, with its summary printed.
//!
//! ```text
//!   client ──▶ lb (least outstanding) ──▶ app ×4 (2 cores) ──▶ cache (10k entries, LRU) ──▶ db (8 cores)
//!              600 req/s, 90% reads                             writes go past the cache ──┘
//!                                                                      db crashes at 2m for 20s
//! ```
//!
//! Reads that hit the cache ride out the crash; misses and writes fail as `unavailable` for
//! those 20 seconds. Run it with `cargo run --release --example build_in_code`.

use archsim::models::{Component, Policy, Spec};
use archsim::Options;

fn main() {
    let spec = Spec::builder("5m")
        .warmup("30s")
        .slo_latency("200ms")
        .entry("lb")
        .rate(600.0)
        .timeout("2s")
        .keys(100_000, 0.99)
        .class("read", 0.9)
        .class("write", 0.1)
        .component(Component::load_balancer("lb", "app").policy(Policy::LeastOutstanding))
        .component(
            Component::service("app")
                .instances(4)
                .cores(2)
                .cpu("exp(5ms)")
                .calls(["cache"]),
        )
        .component(
            Component::cache("cache", "db")
                .capacity(10_000)
                .hit("exp(0.3ms)")
                .writes(["write"]),
        )
        .component(
            Component::database("db")
                .cores(8)
                .cpu("exp(4ms)")
                .writes(["write"]),
        )
        .crash("db", "2m", "20s")
        .build()
        .unwrap_or_else(|e| panic!("the model is invalid: {e}"));

    // One call runs it as the command would: replications pooled, the SLO, the summary.
    let report = archsim::simulate(
        &spec,
        &Options::new().name("build_in_code").slo_target(0.99),
    )
    .unwrap_or_else(|e| panic!("the run failed: {e}"));
    print!("{}", report.summary_text());

    let result = report.result();
    let unavailable = result.errors.get("unavailable").copied().unwrap_or(0);
    assert!(unavailable > 0, "the crash fails some requests");
    let hit_ratio = result.components["cache"].extra["hit_ratio"].as_f64();
    assert!(
        hit_ratio.is_some_and(|h| h > 0.5),
        "hit ratio {hit_ratio:?}"
    );
}
