//! Property tests: request conservation and determinism on random valid scenarios, and no
//! panic on mangled scenario text.

use proptest::prelude::*;
use std::fmt::Write;

#[derive(Debug, Clone)]
struct Svc {
    lb: bool,
    instances: u32,
    cores: Option<u32>,
    workers: Option<u32>,
    queue: Option<u32>,
    cpu: &'static str,
    calls: Vec<(usize, u32)>,
}

#[derive(Debug, Clone)]
struct Gen {
    comps: Vec<Svc>,
    open: bool,
    rate: u32,
    users: u32,
    think_ms: u32,
    timeout_ms: Option<u32>,
    retry: Option<(u32, bool, Option<f64>)>,
    two_classes: bool,
    keys: bool,
    net: bool,
    warmup_ms: u32,
    drain_ms: u32,
    /// (target component, one instance?, kind (index in FAULTS), start ms, length ms)
    faults: Vec<(usize, bool, u8, u32, u32)>,
    /// Per component, a bit set of resilience features on its calls and itself (timeout,
    /// retries, breaker, bulkhead, hedge, fallback, drop_expired, lifo); and a traffic spike
    /// (start ms, length ms, factor).
    policies: Vec<u16>,
    spike: Option<(u32, u32, f64)>,
}

const FAULTS: &[&str] = &["crash", "slow", "partition", "latency", "region", "deploy"];

const CPUS: &[&str] = &[
    "exp(2ms)",
    "\"1ms\"",
    "uniform(0ms, 4ms)",
    "lognormal(p50=1ms, p99=10ms)",
    "pareto(0.5ms, 2.5)",
    "mix(0.9: exp(1ms), 0.1: exp(20ms))",
    "normal(2ms, 1ms)",
];

fn svc(index: usize, n: usize) -> impl Strategy<Value = Svc> {
    let later = (index + 1)..n.max(index + 1);
    let can_lb = index + 1 < n;
    (
        any::<bool>(),
        1u32..4,
        proptest::option::of(1u32..4),
        proptest::option::of(1u32..8),
        proptest::option::of(0u32..6),
        0..CPUS.len(),
        proptest::collection::vec((0usize..8, 1u32..3), 0..3),
    )
        .prop_map(move |(lb, instances, cores, workers, queue, cpu, calls)| {
            let later = later.clone();
            let calls = if later.is_empty() {
                Vec::new()
            } else {
                calls
                    .into_iter()
                    .map(|(t, f)| (later.start + t % later.len(), f))
                    .collect()
            };
            Svc {
                lb: lb && can_lb,
                instances,
                cores,
                workers,
                queue,
                cpu: CPUS[cpu],
                calls,
            }
        })
}

fn gen() -> impl Strategy<Value = Gen> {
    (1usize..5)
        .prop_flat_map(|n| {
            let comps: Vec<_> = (0..n).map(|i| svc(i, n)).collect();
            (
                comps,
                (any::<bool>(), 10u32..400, 1u32..40, 1u32..100),
                (
                    proptest::option::of(5u32..200),
                    proptest::option::of((
                        0u32..3,
                        any::<bool>(),
                        proptest::option::of(0.05f64..1.0),
                    )),
                ),
                (
                    any::<bool>(),
                    any::<bool>(),
                    any::<bool>(),
                    0u32..500,
                    0u32..2000,
                ),
                proptest::collection::vec(
                    (
                        0usize..8,
                        any::<bool>(),
                        0u8..FAULTS.len() as u8,
                        0u32..2500,
                        1u32..1000,
                    ),
                    0..3,
                ),
                (
                    proptest::collection::vec(0u16..256, 4),
                    proptest::option::of((0u32..2000, 1u32..1000, 0.2f64..4.0)),
                ),
            )
        })
        .prop_map(
            |(
                comps,
                (open, rate, users, think_ms),
                (timeout_ms, retry),
                (two, keys, net, warmup_ms, drain_ms),
                faults,
                (policies, spike),
            )| Gen {
                policies,
                spike,
                faults: faults
                    .into_iter()
                    .map(|(t, one, kind, at, len)| (t % comps.len(), one, kind, at, len))
                    .collect(),
                comps,
                open,
                rate,
                users,
                think_ms,
                timeout_ms,
                retry,
                two_classes: two,
                keys,
                net,
                warmup_ms,
                drain_ms,
            },
        )
}

fn toml(g: &Gen) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "[run]\nduration = \"2s\"\nwarmup = \"{}ms\"\ndrain = \"{}ms\"\nseries_interval = \"100ms\"\n",
        g.warmup_ms, g.drain_ms
    );
    let _ = writeln!(s, "[slo]\nlatency = \"20ms\"\ntarget = 0.9\n");
    let _ = writeln!(s, "[traffic]\nentry = \"c0\"");
    if g.open {
        let _ = writeln!(s, "rate = {}", g.rate);
    } else {
        let _ = writeln!(s, "users = {}\nthink = \"exp({}ms)\"", g.users, g.think_ms);
    }
    if let Some(t) = g.timeout_ms {
        let _ = writeln!(s, "timeout = \"{t}ms\"");
    }
    if g.keys {
        let _ = writeln!(s, "keys = {{ count = 500, zipf = 0.8 }}");
    }
    if let Some((max, jitter, budget)) = g.retry {
        let _ = writeln!(
            s,
            "[traffic.retry]\nmax = {max}\nbackoff = \"3ms\"\njitter = \"{}\"",
            if jitter { "full" } else { "none" }
        );
        if let Some(b) = budget {
            let _ = writeln!(s, "budget = {b}");
        }
    }
    if g.two_classes {
        let _ = writeln!(
            s,
            "[traffic.classes.read]\nweight = 0.7\n[traffic.classes.write]\nweight = 0.3"
        );
    }
    if g.net {
        let _ = writeln!(s, "[network]\nlatency = \"exp(0.1ms)\"");
    }
    // Regions when a region fault is drawn: components alternate between two.
    let regions = g.faults.iter().any(|f| FAULTS[f.2 as usize] == "region");
    if regions {
        let _ = writeln!(s, "[network.regions]\n\"r0/r1\" = \"exp(2ms)\"");
    }
    for &(t, one, kind, at, len) in &g.faults {
        let n = g.comps.len();
        let mut kind = FAULTS[kind as usize];
        if kind == "partition" && n < 2 {
            kind = "crash";
        }
        let whole = matches!(kind, "partition" | "latency" | "deploy" | "region");
        let target = if kind == "region" {
            format!("r{}", t % n.min(2))
        } else if one && !whole && !g.comps[t].lb {
            format!("c{t}[{}]", g.comps[t].instances - 1)
        } else {
            format!("c{t}")
        };
        let extra = match kind {
            "slow" => "factor = 4.0".to_string(),
            "partition" => format!(
                "peer = \"c{}\"\nmode = \"{}\"",
                (t + 1) % n,
                if len % 2 == 0 { "fail" } else { "drop" }
            ),
            "latency" => "add = \"exp(3ms)\"".to_string(),
            "deploy" => format!(
                "batch = {}\nstart_up = \"{}ms\"\ndrain = \"20ms\"",
                1 + len % 2,
                len / 4
            ),
            _ => String::new(),
        };
        let duration = if kind == "deploy" {
            String::new()
        } else {
            format!("for = \"{len}ms\"\n")
        };
        let _ = writeln!(
            s,
            "[[faults]]\nat = \"{at}ms\"\n{duration}target = \"{target}\"\nkind = \"{kind}\"\n{extra}"
        );
    }
    if let Some((at, len, factor)) = g.spike {
        let _ = writeln!(
            s,
            "[[faults]]\nkind = \"spike\"\nat = \"{at}ms\"\nfor = \"{len}ms\"\nfactor = {factor}"
        );
    }
    for (i, c) in g.comps.iter().enumerate() {
        let _ = writeln!(s, "\n[components.c{i}]");
        if regions {
            let _ = writeln!(s, "region = \"r{}\"", i % 2);
        }
        // Health checks and restarts, in some of the scenarios with faults.
        if g.faults.len() >= 2 {
            if c.lb {
                let _ = writeln!(s, "health_check = {{ interval = \"50ms\", failures = 2 }}");
            } else {
                let _ = writeln!(s, "restart = \"300ms\"");
            }
        }
        if c.lb {
            let _ = writeln!(
                s,
                "kind = \"load_balancer\"\ntargets = \"c{}\"\npolicy = \"{}\"",
                i + 1,
                ["round_robin", "random", "least_outstanding", "p2c"][c.instances as usize % 4]
            );
            continue;
        }
        let _ = writeln!(s, "kind = \"service\"\ninstances = {}", c.instances);
        if let Some(v) = c.cores {
            let _ = writeln!(s, "cores = {v}");
        }
        if let Some(v) = c.workers {
            let _ = writeln!(s, "workers = {v}");
        }
        if let Some(v) = c.queue {
            let _ = writeln!(s, "queue = {v}");
        }
        let bits = g.policies[i % g.policies.len()];
        if bits & 64 != 0 {
            let _ = writeln!(s, "drop_expired = true");
        }
        if bits & 128 != 0 {
            let _ = writeln!(s, "queue_discipline = \"adaptive_lifo\"\nlifo_above = 2");
        }
        let mut policy = String::new();
        for (bit, text) in [
            (1, ", timeout = \"5ms\""),
            (2, ", retries = 1, backoff = \"1ms\""),
            (
                4,
                ", breaker = { failure_rate = 0.3, window = \"200ms\", min_calls = 3, open_for = \"50ms\", half_open = 2 }",
            ),
            (8, ", bulkhead = 2"),
            (16, ", hedge = \"1ms\""),
            (32, ", fallback = \"exp(1ms)\""),
        ] {
            if bits & bit != 0 {
                policy.push_str(text);
            }
        }
        let _ = writeln!(
            s,
            "[components.c{i}.endpoints.default]\ncpu = {}",
            fmt_cpu(c.cpu)
        );
        let calls: Vec<String> = c
            .calls
            .iter()
            .map(|(t, f)| {
                let inst = g.comps[*t].instances;
                if g.comps[*t].lb || *f == 1 || *f > inst {
                    format!("{{ to = \"c{t}\"{policy} }}")
                } else {
                    format!("{{ to = \"c{t}\", fanout = {f}{policy} }}")
                }
            })
            .collect();
        let _ = writeln!(s, "calls = [{}]", calls.join(", "));
    }
    s
}

fn fmt_cpu(c: &str) -> String {
    if c.starts_with('"') {
        c.to_string()
    } else {
        format!("\"{c}\"")
    }
}

fn run(text: &str) -> archsim::stats::SimResult {
    let sc = archsim::scenario::from_str(text, "prop.toml", &[])
        .unwrap_or_else(|e| panic!("generated scenario is invalid: {e}\n{text}"));
    let mut r = sc.run().expect("runs");
    r.wall_s = 0.0;
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Every request ends succeeded, failed or in flight, and the run is a pure function of
    /// the scenario and seed.
    #[test]
    fn conservation_and_determinism(g in gen()) {
        let text = toml(&g);
        if std::env::var_os("ARCHSIM_PROPS_DUMP").is_some() {
            std::fs::write("/tmp/props-case.toml", &text).unwrap();
        }
        let a = run(&text);
        let r = &a.requests;
        prop_assert_eq!(r.generated, r.succeeded + r.failed + r.in_flight, "{}", text);
        let measured: u64 = a.classes.values().map(|c| c.succeeded + c.failed).sum();
        prop_assert!(measured <= r.succeeded + r.failed);
        let errors: u64 = a.errors.values().sum();
        let failed: u64 = a.classes.values().map(|c| c.failed).sum();
        prop_assert_eq!(errors, failed);
        prop_assert!(r.degraded <= r.succeeded);
        if g.drain_ms >= 1000 && g.timeout_ms.is_some() && g.retry.is_none() {
            // Every attempt ends within its timeout, and the drain outlasts it.
            prop_assert_eq!(r.in_flight, 0);
        }
        let b = run(&text);
        prop_assert_eq!(a, b);
    }

    /// Whatever is done to the text, loading answers with a scenario or a typed error.
    #[test]
    fn mangled_text_never_panics(
        edits in proptest::collection::vec((0usize..2000, 0usize..12, "[ -~\n]{0,8}"), 1..6)
    ) {
        let mut text = super::cli::GOOD.to_string();
        for (pos, del, ins) in edits {
            let mut at = pos % (text.len() + 1);
            while !text.is_char_boundary(at) { at -= 1; }
            let mut end = (at + del).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(at..end, &ins);
        }
        match archsim::scenario::from_str(&text, "mangled.toml", &[]) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// Random `--set` overrides never panic either.
    #[test]
    fn random_overrides_never_panic(key in "[a-z_.0-9]{1,24}", value in "[ -~]{0,12}") {
        let arg = format!("{key}={value}");
        let _ = archsim::scenario::from_str(super::cli::GOOD, "set.toml", &[arg]);
    }
}
