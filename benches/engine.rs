//! Throughput of the engine against a bare `std::collections::BinaryHeap` event loop.
//!
//! Every group puts one reference workload through archsim and through a hand-written loop
//! that simulates the same model with the same random streams (`archsim_engine::stream`,
//! xoshiro256++, exponential draws by `rand_distr::Exp1` through `Dist::Exp`), so the ratio of
//! the two throughputs is read in one run:
//!
//! * `w1_mm1`: M/M/1 at rho 0.9 (900 requests/s, exp(1 ms) service, one core);
//! * `w2_mm16`: M/M/16 at rho 0.9 (14,400 requests/s, exp(1 ms), 16 cores);
//! * `w3_three_tier`: Poisson 800/s, a random load balancer over 8 app nodes (M/M/4,
//!   exp(30 ms)), then one database (M/M/16, exp(12 ms));
//! * `w4_timers`: self-rearming timers (exponential delays) with 1,000 to 1,000,000 pending,
//!   bare `BinaryHeap<Reverse<(time, seq, id)>>` against `Simulation` with a tiny handler;
//! * `w5_cache`: a cache-heavy workload (an LRU cache over Zipf(0.99) keys in front of a
//!   database) with 1,000 to 1,000,000 cached entries: the cost per request must stay flat as
//!   the cache grows (O(1) lookups), so the figures should be close across sizes.
//!
//! W1 to W3 run the *full* scenario path: a TOML scenario (parsed once, outside the timing)
//! run by `Scenario::run_stats()`, with the model, its statistics (latency histograms, time
//! series, utilization) and the result pooling. Their throughput is in requests (customers)
//! per second for both sides. The bare loops record every response time in the same
//! HdrHistogram-backed `Hist` the recorder uses, and use the same stream names as the model,
//! so they reproduce the engine's response times exactly (checked before measuring).
//! W4's throughput is in events per second.
//!
//! Run: `cargo bench --bench engine` (about three minutes on 2 cores). One iteration is 0.1 to
//! 0.5 s (the bare heap with 1,000,000 timers: about 3 s), so the groups use flat sampling
//! with 10 samples.
//!
//! Criterion measures the two sides one after the other, a few seconds each, so a change in
//! the machine's speed between them moves the ratio (on the shared 2-core machine the bare W1
//! loop's own time moves by 30% between runs). W1 to W3 therefore also print a *paired* ratio:
//! single runs of the bare loop and of archsim in turn, eleven pairs after a warm-up pair,
//! and the median of the per-pair ratios, which cancels most of the drift.
//!
//! (`Dist::Exp` is `Exp1` times the mean, rounded to integer nanoseconds: the very draw the
//! model makes; `rand_distr` itself is not a dev-dependency of this crate.)

use archsim::engine::{stream, Context, Handler, SimTime, Simulation, Stream};
use archsim::models::Dist;
use archsim::scenario::Scenario;
use archsim::stats::{Hist, RunStats};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion,
    SamplingMode, Throughput,
};
use rand::Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The seed of every run (a scenario's default `run.seed`).
const SEED: u64 = 1;

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
}

/// Pairs timed by `paired_ratio`, after one warm-up pair.
const PAIRS: usize = 11;

/// Runs the bare loop and archsim in turn, `PAIRS` times, and prints the median, the lowest
/// and the highest of the per-pair ratios (archsim's time over the bare loop's: the bare
/// throughput over archsim's, as in the README's table). Skipped when criterion's filter
/// leaves `group` out, and in criterion's test, list and profile modes.
fn paired_ratio(group: &str, mut bare: impl FnMut(), mut engine: impl FnMut()) {
    if !selected(group) {
        return;
    }
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    };
    time(&mut bare);
    time(&mut engine);
    let mut ratios: Vec<f64> = (0..PAIRS)
        .map(|_| {
            let b = time(&mut bare);
            time(&mut engine) / b
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "{group}: archsim time / bare loop time, paired: median {:.2} (lowest {:.2}, highest {:.2}) over {PAIRS} pairs",
        ratios[PAIRS / 2],
        ratios[0],
        ratios[PAIRS - 1]
    );
}

/// Whether this run measures `group`: not in criterion's test, list or profile modes, and
/// the filter (its first free argument, read as `|`-separated substrings, which covers the
/// usual `w1` and `w1|w2`) matches it or there is none.
fn selected(group: &str) -> bool {
    const WITH_VALUE: [&str; 13] = [
        "--save-baseline",
        "--baseline",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
        "--output-format",
        "--color",
    ];
    let mut args = std::env::args().skip(1);
    let mut filter = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--test" | "--list" | "--profile-time" => return false,
            _ if WITH_VALUE.contains(&a.as_str()) => {
                args.next();
            }
            _ if a.starts_with('-') => {}
            _ => {
                filter.get_or_insert(a);
            }
        }
    }
    filter.is_none_or(|f| f.split('|').any(|part| group.contains(part)))
}

fn scenario(text: &str, name: &str) -> Scenario {
    archsim::scenario::from_str(text, name, &[]).expect("benchmark scenario is valid")
}

/// An exponential duration with mean `mean_ns`: exactly the engine's `exp(...)` draw.
fn exp_ns(mean_ns: f64) -> Dist {
    Dist::Exp { mean_ns }
}

/// What a bare loop measured: requests generated and their response times.
struct BareResult {
    generated: u64,
    latency: Hist,
}

/// Checks that a bare loop simulated the same model as the engine: same requests, same
/// response times (both use the same streams, draws in the same order and FIFO queues).
fn check_same(name: &str, bare: &BareResult, engine: &RunStats) {
    assert_eq!(bare.generated, engine.generated, "{name}: generated");
    assert_eq!(engine.succeeded, engine.generated, "{name}: all succeed");
    assert_eq!(
        bare.latency.count(),
        engine.overall.latency.count(),
        "{name}: completed"
    );
    assert_eq!(
        bare.latency.mean_ms(),
        engine.overall.latency.mean_ms(),
        "{name}: mean response time"
    );
    assert_eq!(
        bare.latency.max_ms(),
        engine.overall.latency.max_ms(),
        "{name}: max response time"
    );
}

// ----- W1, W2: M/M/c -------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum McEv {
    Arrival,
    /// Service ends for the customer that arrived at this time.
    Done(u64),
}

/// A bare M/M/c FIFO loop: Poisson arrivals during `[0, duration_ns)`, `cores` servers.
/// Streams and draw order are the engine's (`traffic/arrivals`, `component/<name>`).
fn bare_mmc(rate_per_s: f64, service_mean_ns: f64, cores: u32, duration_ns: u64) -> BareResult {
    let mut arrivals = stream(SEED, "traffic/arrivals");
    let mut service = stream(SEED, "component/server");
    let gap = exp_ns(1e9 / rate_per_s);
    let cpu = exp_ns(service_mean_ns);
    let mut heap: BinaryHeap<Reverse<(u64, u64, McEv)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, t: u64, ev: McEv| {
        heap.push(Reverse((t, seq, ev)));
        seq += 1;
    };
    let mut waiting: VecDeque<u64> = VecDeque::new();
    let mut busy = 0u32;
    let mut out = BareResult {
        generated: 0,
        latency: Hist::new(),
    };
    push(
        &mut heap,
        gap.sample(&mut arrivals).as_nanos(),
        McEv::Arrival,
    );
    while let Some(Reverse((now, _, ev))) = heap.pop() {
        match ev {
            McEv::Arrival => {
                if now >= duration_ns {
                    continue;
                }
                out.generated += 1;
                if busy < cores {
                    busy += 1;
                    let d = cpu.sample(&mut service).as_nanos();
                    push(&mut heap, now + d, McEv::Done(now));
                } else {
                    waiting.push_back(now);
                }
                let g = gap.sample(&mut arrivals).as_nanos();
                if now + g < duration_ns {
                    push(&mut heap, now + g, McEv::Arrival);
                }
            }
            McEv::Done(t0) => {
                match waiting.pop_front() {
                    Some(t) => {
                        let d = cpu.sample(&mut service).as_nanos();
                        push(&mut heap, now + d, McEv::Done(t));
                    }
                    None => busy -= 1,
                }
                out.latency.record(now - t0);
            }
        }
    }
    out
}

fn mmc_scenario(rate_per_s: f64, cores: u32, duration_s: u64) -> Scenario {
    let text = format!(
        r#"
[run]
duration = "{duration_s}s"
seed = {SEED}
[traffic]
entry = "server"
rate = {rate_per_s}
[components.server]
kind = "service"
cores = {cores}
[components.server.endpoints.default]
cpu = "exp(1ms)"
"#
    );
    scenario(&text, "mmc.toml")
}

/// One M/M/c group: the bare loop and the scenario path, requests per second for both.
fn mmc_group(c: &mut Criterion, group: &str, rate_per_s: f64, cores: u32, duration_s: u64) {
    let duration_ns = SimTime::from_secs(duration_s).as_nanos();
    let sc = mmc_scenario(rate_per_s, cores, duration_s);
    let bare = bare_mmc(rate_per_s, 1e6, cores, duration_ns);
    let engine = sc.run_stats().expect("runs");
    check_same(group, &bare, &engine);

    let mut g = c.benchmark_group(group);
    configure(&mut g);
    g.throughput(Throughput::Elements(bare.generated));
    g.bench_function("bare_binaryheap", |b| {
        b.iter(|| bare_mmc(black_box(rate_per_s), 1e6, cores, duration_ns).generated)
    });
    g.throughput(Throughput::Elements(engine.generated));
    g.bench_function("engine_scenario", |b| {
        b.iter(|| black_box(&sc).run_stats().expect("runs").generated)
    });
    g.finish();
    paired_ratio(
        group,
        || {
            black_box(bare_mmc(black_box(rate_per_s), 1e6, cores, duration_ns));
        },
        || {
            black_box(black_box(&sc).run_stats().expect("runs"));
        },
    );
}

/// W1: M/M/1 at rho 0.9, about 900,000 requests per iteration.
fn w1_mm1(c: &mut Criterion) {
    mmc_group(c, "w1_mm1", 900.0, 1, 1_000);
}

/// W2: M/M/16 at rho 0.9, about 864,000 requests per iteration.
fn w2_mm16(c: &mut Criterion) {
    mmc_group(c, "w2_mm16", 14_400.0, 16, 60);
}

// ----- W3: load balancer, 8 x M/M/4, M/M/16 ------------------------------------------

const W3_RATE: f64 = 800.0;
const W3_APPS: u32 = 8;
const W3_APP_CORES: u32 = 4;
const W3_APP_MEAN_NS: f64 = 30e6;
const W3_DB_CORES: u32 = 16;
const W3_DB_MEAN_NS: f64 = 12e6;
const W3_DURATION_S: u64 = 1_000;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TierEv {
    Arrival,
    /// An app node's core is done with the request that arrived at `t0`.
    AppDone {
        node: u32,
        t0: u64,
    },
    /// The database is done with the request that arrived at `t0`.
    DbDone {
        t0: u64,
    },
}

/// A bare three-tier loop. The balancer's random choice and the app CPU draws share the app
/// component's stream, in the engine's order; every queue is FIFO.
fn bare_three_tier(duration_ns: u64) -> BareResult {
    let mut arrivals = stream(SEED, "traffic/arrivals");
    let mut app_rng = stream(SEED, "component/app");
    let mut db_rng = stream(SEED, "component/db");
    let gap = exp_ns(1e9 / W3_RATE);
    let app_cpu = exp_ns(W3_APP_MEAN_NS);
    let db_cpu = exp_ns(W3_DB_MEAN_NS);
    let mut heap: BinaryHeap<Reverse<(u64, u64, TierEv)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, t: u64, ev: TierEv| {
        heap.push(Reverse((t, seq, ev)));
        seq += 1;
    };
    let mut app_busy = vec![0u32; W3_APPS as usize];
    let mut app_wait: Vec<VecDeque<u64>> = (0..W3_APPS).map(|_| VecDeque::new()).collect();
    let mut db_busy = 0u32;
    let mut db_wait: VecDeque<u64> = VecDeque::new();
    let mut out = BareResult {
        generated: 0,
        latency: Hist::new(),
    };
    push(
        &mut heap,
        gap.sample(&mut arrivals).as_nanos(),
        TierEv::Arrival,
    );
    while let Some(Reverse((now, _, ev))) = heap.pop() {
        match ev {
            TierEv::Arrival => {
                if now >= duration_ns {
                    continue;
                }
                out.generated += 1;
                let node = app_rng.random_range(0..W3_APPS);
                let n = node as usize;
                if app_busy[n] < W3_APP_CORES {
                    app_busy[n] += 1;
                    let d = app_cpu.sample(&mut app_rng).as_nanos();
                    push(&mut heap, now + d, TierEv::AppDone { node, t0: now });
                } else {
                    app_wait[n].push_back(now);
                }
                let g = gap.sample(&mut arrivals).as_nanos();
                if now + g < duration_ns {
                    push(&mut heap, now + g, TierEv::Arrival);
                }
            }
            TierEv::AppDone { node, t0 } => {
                let n = node as usize;
                match app_wait[n].pop_front() {
                    Some(t) => {
                        let d = app_cpu.sample(&mut app_rng).as_nanos();
                        push(&mut heap, now + d, TierEv::AppDone { node, t0: t });
                    }
                    None => app_busy[n] -= 1,
                }
                if db_busy < W3_DB_CORES {
                    db_busy += 1;
                    let d = db_cpu.sample(&mut db_rng).as_nanos();
                    push(&mut heap, now + d, TierEv::DbDone { t0 });
                } else {
                    db_wait.push_back(t0);
                }
            }
            TierEv::DbDone { t0 } => {
                match db_wait.pop_front() {
                    Some(t) => {
                        let d = db_cpu.sample(&mut db_rng).as_nanos();
                        push(&mut heap, now + d, TierEv::DbDone { t0: t });
                    }
                    None => db_busy -= 1,
                }
                out.latency.record(now - t0);
            }
        }
    }
    out
}

fn three_tier_scenario() -> Scenario {
    let text = format!(
        r#"
[run]
duration = "{W3_DURATION_S}s"
seed = {SEED}
[traffic]
entry = "lb"
rate = {W3_RATE}
[components.lb]
kind = "load_balancer"
targets = "app"
policy = "random"
[components.app]
kind = "service"
instances = {W3_APPS}
cores = {W3_APP_CORES}
[components.app.endpoints.default]
cpu = "exp(30ms)"
calls = ["db"]
[components.db]
kind = "database"
cores = {W3_DB_CORES}
[components.db.endpoints.default]
cpu = "exp(12ms)"
"#
    );
    scenario(&text, "three_tier.toml")
}

/// W3: the three-tier network, about 800,000 requests per iteration.
fn w3_three_tier(c: &mut Criterion) {
    let duration_ns = SimTime::from_secs(W3_DURATION_S).as_nanos();
    let sc = three_tier_scenario();
    let bare = bare_three_tier(duration_ns);
    let engine = sc.run_stats().expect("runs");
    check_same("w3_three_tier", &bare, &engine);

    let mut g = c.benchmark_group("w3_three_tier");
    configure(&mut g);
    g.throughput(Throughput::Elements(bare.generated));
    g.bench_function("bare_binaryheap", |b| {
        b.iter(|| bare_three_tier(black_box(duration_ns)).generated)
    });
    g.throughput(Throughput::Elements(engine.generated));
    g.bench_function("engine_scenario", |b| {
        b.iter(|| black_box(&sc).run_stats().expect("runs").generated)
    });
    g.finish();
    paired_ratio(
        "w3_three_tier",
        || {
            black_box(bare_three_tier(black_box(duration_ns)));
        },
        || {
            black_box(black_box(&sc).run_stats().expect("runs"));
        },
    );
}

// ----- W4: self-rearming timers --------------------------------------------------------

/// Events per iteration.
const W4_EVENTS: u64 = 2_000_000;

/// The re-arm delay for `pending` timers: exponential with a mean of `pending` microseconds,
/// so that about one timer fires per simulated microsecond at every size.
fn timer_delay(pending: u32) -> Dist {
    exp_ns(pending as f64 * 1e3)
}

/// A bare timer loop: a binary heap of `(time, seq, id)`, `pending` timers armed.
struct BareTimers {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    seq: u64,
    rng: Stream,
    delay: Dist,
}

impl BareTimers {
    fn new(pending: u32) -> Self {
        let delay = timer_delay(pending);
        let mut rng = stream(SEED, "timers");
        let mut heap = BinaryHeap::with_capacity(pending as usize);
        for id in 0..pending {
            heap.push(Reverse((delay.sample(&mut rng).as_nanos(), id as u64, id)));
        }
        Self {
            heap,
            seq: pending as u64,
            rng,
            delay,
        }
    }

    /// Fires `n` timers, each re-arming itself; returns the last firing time.
    fn run(&mut self, n: u64) -> u64 {
        let mut now = 0;
        for _ in 0..n {
            let Reverse((t, _, id)) = self.heap.pop().expect("timers never run out");
            now = t;
            let d = self.delay.sample(&mut self.rng).as_nanos();
            self.heap.push(Reverse((t + d, self.seq, black_box(id))));
            self.seq += 1;
        }
        now
    }
}

/// The engine's side: a handler that re-arms every timer it is handed.
struct Timers {
    rng: Stream,
    delay: Dist,
}

impl Handler for Timers {
    type Event = u32;
    #[inline]
    fn handle(&mut self, id: u32, ctx: &mut Context<'_, u32>) {
        let d = self.delay.sample(&mut self.rng);
        ctx.schedule_in(d, black_box(id));
    }
}

fn engine_timers(pending: u32) -> Simulation<Timers> {
    let delay = timer_delay(pending);
    let mut rng = stream(SEED, "timers");
    let mut initial = Vec::with_capacity(pending as usize);
    for id in 0..pending {
        initial.push((delay.sample(&mut rng), id));
    }
    let mut sim = Simulation::new(Timers { rng, delay });
    for (t, id) in initial {
        sim.schedule_at(t, id);
    }
    sim
}

/// Fires `n` timers through the engine; returns the last firing time.
fn run_engine_timers(sim: &mut Simulation<Timers>, n: u64) -> u64 {
    for _ in 0..n {
        sim.step();
    }
    sim.now().as_nanos()
}

/// W4: 10,000 timers is the reference; 1,000 / 100,000 / 1,000,000 show how each queue
/// scales with the number of pending events. Setup (arming the timers) is not timed.
fn w4_timers(c: &mut Criterion) {
    // Both sides fire the same timers at the same times.
    for pending in [1_000, 10_000] {
        let mut bare = BareTimers::new(pending);
        let mut sim = engine_timers(pending);
        assert_eq!(bare.run(100_000), run_engine_timers(&mut sim, 100_000));
    }

    let mut g = c.benchmark_group("w4_timers");
    configure(&mut g);
    g.throughput(Throughput::Elements(W4_EVENTS));
    for pending in [1_000u32, 10_000, 100_000, 1_000_000] {
        g.bench_with_input(
            BenchmarkId::new("bare_binaryheap", pending),
            &pending,
            |b, &p| {
                b.iter_batched(
                    || BareTimers::new(p),
                    |mut t| {
                        black_box(t.run(W4_EVENTS));
                        t
                    },
                    BatchSize::PerIteration,
                )
            },
        );
        g.bench_with_input(BenchmarkId::new("engine", pending), &pending, |b, &p| {
            b.iter_batched(
                || engine_timers(p),
                |mut sim| {
                    black_box(run_engine_timers(&mut sim, W4_EVENTS));
                    sim
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

// ----- W5: a cache-heavy workload ----------------------------------------------------

/// W5: 20,000 requests/s for 20 s through an LRU cache in front of a 16-core database, keys
/// Zipf(0.99) over 10 million, for several cache capacities.
fn w5_cache(c: &mut Criterion) {
    let mut g = c.benchmark_group("w5_cache");
    configure(&mut g);
    for capacity in [1_000u64, 100_000, 1_000_000] {
        let text = format!(
            r#"
[run]
duration = "20s"
[traffic]
entry = "cache"
rate = 20000
keys = {{ count = 10000000, zipf = 0.99 }}
[traffic.classes.read]
weight = 0.9
[traffic.classes.write]
weight = 0.1
[components.cache]
kind = "cache"
capacity = {capacity}
hit = "exp(0.2ms)"
backing = "db"
[components.db]
kind = "database"
cores = 16
[components.db.endpoints.default]
cpu = "exp(0.5ms)"
"#
        );
        let sc = scenario(&text, "w5.toml");
        let n = sc.run_stats().expect("runs").generated;
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(
            BenchmarkId::new("engine_scenario", capacity),
            &sc,
            |b, sc| b.iter(|| black_box(sc).run_stats().expect("runs").generated),
        );
    }
    g.finish();
}

criterion_group!(benches, w1_mm1, w2_mm16, w3_three_tier, w4_timers, w5_cache);
criterion_main!(benches);
