//! The library API: a model built in Rust runs exactly like its TOML scenario.

use archsim::models::{Component, Policy, Spec};
use archsim::scenario::from_str;

/// The scenario that [`built`] writes in Rust, key for key.
const TOML: &str = r#"
[run]
duration = "60s"
warmup = "10s"

[slo]
latency = "100ms"
target = 0.99

[traffic]
entry = "lb"
rate = 400
timeout = "2s"
keys = { count = 10000, zipf = 0.9 }
[traffic.classes.read]
weight = 0.9
[traffic.classes.write]
weight = 0.1
[traffic.retry]

[components.lb]
kind = "load_balancer"
targets = "app"
policy = "p2c"

[components.app]
kind = "service"
instances = 3
cores = 2
queue = 100
[components.app.endpoints.default]
cpu = "exp(4ms)"
calls = ["cache"]
[components.app.endpoints.write]
cpu = "exp(6ms)"
calls = ["db"]

[components.cache]
kind = "cache"
capacity = 2000
hit = "exp(0.3ms)"
backing = "db"
writes = ["write"]

[components.db]
kind = "database"
replicas = 1
cores = 4
writes = ["write"]
[components.db.endpoints.default]
cpu = "exp(3ms)"

[[faults]]
at = "20s"
for = "5s"
target = "app[1]"
kind = "crash"

[[faults]]
at = "30s"
for = "5s"
target = "app"
kind = "slow"
factor = 2.0

[[faults]]
at = "40s"
for = "5s"
kind = "spike"
factor = 1.5
"#;

/// [`TOML`] built in Rust.
fn built() -> Spec {
    Spec::builder("60s")
        .warmup("10s")
        .slo_latency("100ms")
        .entry("lb")
        .rate(400.0)
        .timeout("2s")
        .keys(10_000, 0.9)
        .class("read", 0.9)
        .class("write", 0.1)
        .retry(Default::default())
        .component(Component::load_balancer("lb", "app").policy(Policy::P2c))
        .component(
            Component::service("app")
                .instances(3)
                .cores(2)
                .queue(100)
                .cpu("exp(4ms)")
                .calls(["cache"])
                .endpoint("write", "exp(6ms)", ["db"]),
        )
        .component(
            Component::cache("cache", "db")
                .capacity(2000)
                .hit("exp(0.3ms)")
                .writes(["write"]),
        )
        .component(
            Component::database("db")
                .replicas(1)
                .cores(4)
                .writes(["write"])
                .cpu("exp(3ms)"),
        )
        .crash("app[1]", "20s", "5s")
        .slow("app", "30s", "5s", 2.0)
        .spike("40s", "5s", 1.5)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn without_wall(json: &str) -> String {
    json.lines()
        .filter(|l| !l.contains("\"wall_s\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_builder_made_spec_runs_byte_identical_to_its_toml() {
    let scenario = from_str(TOML, "library.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    let spec = built();
    // The same model, field for field (a difference here names the field) ...
    assert_eq!(format!("{spec:#?}"), format!("{:#?}", scenario.spec));
    // ... so the same result, byte for byte.
    let mut from_code = scenario.clone();
    from_code.spec = spec;
    let a = scenario.run().unwrap().to_json().unwrap();
    let b = from_code.run().unwrap().to_json().unwrap();
    assert_eq!(without_wall(&a), without_wall(&b));
    assert!(a.contains("\"unavailable\""), "the crash shows: {a}");
}

#[test]
fn builder_problems_name_their_keys() {
    let e = Spec::builder("1m")
        .warmup("2m")
        .entry("app")
        .component(Component::service("app").cpu("exp(5)"))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("run.warmup (120s) must be shorter than run.duration (60s)"),
        "{e}"
    );
    assert!(e.contains("components.app.endpoints.default.cpu:"), "{e}");
}
