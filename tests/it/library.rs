//! The library API: a model built in Rust runs exactly like its TOML scenario, and one call
//! gives what the command prints.

use crate::common::{bin, without_wall};
use archsim::models::{Component, Policy, Spec};
use archsim::scenario::{from_str, load};
use archsim::{simulate, Options};
use std::path::Path;

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

#[test]
fn simulate_gives_the_commands_json_and_summary() {
    // A shipped scenario with an SLO, costs and a fault; two replications at seed 7 (so
    // confidence intervals too), given as options rather than as --set.
    let rel = "scenarios/compare/lb-policy/a-round-robin.toml";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let scenario = load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let options = Options::of(&scenario).seed(7).replications(2);
    let report = simulate(&scenario.spec, &options).unwrap_or_else(|e| panic!("{e}"));

    let out = bin()
        .arg(&path)
        .args(["--seed", "7", "--replications", "2", "--json", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let command_json = String::from_utf8(out.stdout).unwrap();
    let json = report.to_json().unwrap();
    assert_eq!(without_wall(&json), without_wall(command_json.trim_end()));
    assert!(
        json.contains("\"ci95\"") && json.contains("\"cost\""),
        "{json}"
    );
    // The summary is the command's, apart from the wall time in its first line.
    let summary = report.summary_text();
    let command_summary = String::from_utf8(out.stderr).unwrap();
    let tail = |s: &str| s.split_once('\n').map(|(_, t)| t.to_string());
    assert_eq!(tail(&summary), tail(&command_summary));
    assert_eq!(report.replications, 2);
}

#[test]
fn simulate_refuses_options_that_do_not_fit() {
    let spec = built();
    let e = simulate(&spec, &Options::new()).unwrap_err().to_string();
    assert!(e.contains("no SLO target"), "{e}");
    let e = simulate(&spec, &Options::new().slo_target(0.99).replications(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("replications must be between 1 and"), "{e}");
    let report = simulate(&spec, &Options::new().name("built").slo_target(0.99)).unwrap();
    assert_eq!(report.scenario, "built");
    assert!(report
        .summary_text()
        .starts_with("built | seed 1 | 1 replication"));
}

#[test]
fn simulate_holds_a_model_in_code_to_the_memory_budget() {
    // 50 million closed-loop users need gigabytes: refused before anything runs, like the
    // same model in a scenario file, instead of running out of memory.
    let big = Spec::builder("10s")
        .entry("app")
        .users(50_000_000, "1s")
        .component(Component::service("app").cpu("exp(1ms)"))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let e = simulate(&big, &Options::new().memory_limit(500_000_000)).unwrap_err();
    assert!(matches!(e, archsim::Error::Memory(_)), "{e}");
    let e = e.to_string();
    assert!(e.contains("traffic.users = 50000000 needs about"), "{e}");
    assert!(e.contains("run.memory_limit"), "{e}");
    // A model that fits runs as before, and a scenario's own limit carries over.
    let spec = built();
    let opts = Options::new().slo_target(0.99).memory_limit(2_000_000_000);
    assert!(simulate(&spec, &opts).is_ok());
    let s = from_str(
        &format!("{TOML}\n"),
        "inline.toml",
        &["run.memory_limit=\"3GB\"".to_string()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Options::of(&s).memory_limit, Some(3_000_000_000));
}

/// One cycle finder serves the check and the model: a cycle of calls built in code is refused
/// with the names along it, as the check names them, and a chain of 50,000 calls is no cycle
/// (the search keeps its own stack, so a long chain cannot overflow the thread's).
#[test]
fn a_model_in_code_is_refused_for_a_call_cycle_and_walks_a_long_chain() {
    let cyclic = Spec::builder("1m")
        .entry("app")
        .rate(10.0)
        .component(Component::service("app").cpu("1ms").calls(["db"]))
        .component(Component::service("db").cpu("1ms").calls(["app"]))
        .build()
        .unwrap();
    let names = archsim::models::find_cycle(&cyclic).unwrap();
    assert_eq!(names, ["app", "db", "app"]);
    let e = archsim::models::run(&cyclic, 1).unwrap_err();
    assert_eq!(e.to_string(), "calls form a cycle: app -> db -> app");

    let n = 50_000;
    let mut chain = Spec::builder("1m").entry("s0").rate(10.0);
    for i in 0..n {
        let next = format!("s{}", i + 1);
        chain = chain.component(Component::service(&format!("s{i}")).calls([next.as_str()]));
    }
    let chain = chain
        .component(Component::service(&format!("s{n}")))
        .build()
        .unwrap();
    assert_eq!(archsim::models::find_cycle(&chain), None);
}

/// A custom kind declares its figures and records its own timeline events (issue 13): the
/// figure is computed from the counts pooled over instances and replications, and an event
/// that starts a state is an incident trigger told with the behaviour's verb.
#[test]
fn a_custom_kind_declares_figures_and_records_events() {
    use archsim::engine::SimTime;
    use archsim::models::{Behavior, BehaviorCtx, ComponentSpec, KindSpec, Request};
    use archsim::stats::{Category, Event, Figure};
    use std::sync::Arc;

    /// Answers every request; every third one is a "hit". Out of service from 5 s to 8 s
    /// (it says so in the timeline), though it keeps answering.
    struct Thirds {
        seen: u64,
        said: bool,
    }
    impl Behavior for Thirds {
        fn on_request(&mut self, req: Request, ctx: &mut BehaviorCtx<'_>) {
            self.seen += 1;
            if !self.said && ctx.now() >= SimTime::from_secs(5) {
                self.said = true;
                ctx.event(
                    Event::starts(
                        "maintenance_start",
                        Category::Fault,
                        "went into maintenance",
                    ),
                    "planned",
                );
                ctx.timer(SimTime::from_secs(3), 0);
            }
            ctx.reply(req.id, SimTime::from_millis(1));
        }
        fn on_timer(&mut self, _tag: u64, ctx: &mut BehaviorCtx<'_>) {
            ctx.event(
                Event::ends("maintenance_end", Category::Recovery, "maintenance_start"),
                "",
            );
        }
        fn counters(&self) -> Vec<(String, u64)> {
            vec![
                ("hits".into(), self.seen / 3),
                ("misses".into(), self.seen - self.seen / 3),
            ]
        }
        fn figures(&self) -> Vec<Figure> {
            vec![Figure::ratio("hit_ratio", "hits", &["hits", "misses"])]
        }
    }
    let toml = r#"
[run]
duration = "20s"
warmup = "1s"
replications = 2
[traffic]
entry = "app"           # replaced by the custom component below
rate = 200
[components.app]
kind = "service"
[components.app.endpoints.default]
cpu = "exp(1ms)"
"#;
    let mut sc = from_str(toml, "custom.toml", &[]).unwrap();
    sc.spec.components.insert(
        0,
        ComponentSpec {
            name: "thirds".into(),
            instances: 1,
            balance: Policy::RoundRobin,
            machine: None,
            memory: None,
            kind: KindSpec::Custom {
                kind: "thirds".into(),
                factory: Arc::new(|| {
                    Box::new(Thirds {
                        seen: 0,
                        said: false,
                    })
                }),
            },
        },
    );
    sc.spec.traffic.entry = "thirds".into();
    let r = sc.run().unwrap();
    let c = &r.components["thirds"];
    let (hits, misses) = (
        c.extra["hits"].as_f64().unwrap(),
        c.extra["misses"].as_f64().unwrap(),
    );
    assert_eq!(c.extra["hit_ratio"].as_f64(), Some(hits / (hits + misses)));
    // The figure follows the counters.
    let keys: Vec<&String> = c.extra.keys().collect();
    assert_eq!(keys[keys.len() - 1], "hit_ratio");
    let start = r
        .timeline
        .iter()
        .find(|e| e.event == "maintenance_start")
        .expect("the behaviour's event is in the timeline");
    assert_eq!(
        (start.component.as_str(), start.category),
        ("thirds", Category::Fault)
    );
    let incident = r
        .cascades
        .iter()
        .find(|c| c.trigger.event == "maintenance_start")
        .expect("the behaviour's state is an incident trigger");
    assert_eq!(incident.trigger.end_s, Some(start.t_s + 3.0));
    assert!(
        incident
            .sentence()
            .starts_with("thirds went into maintenance at "),
        "{}",
        incident.sentence()
    );
}
