//! The growth-stage scenarios (`scenarios/stage*.toml`) through the whole path: TOML,
//! model, statistics, pooling. Reports simulated seconds per wall-clock second
//! (criterion's "elements" are simulated seconds). Stage files that are absent are skipped;
//! the warning-sign twins (`stage2-warning.toml`, ...) are not benchmarked.
//!
//! `cargo bench --bench stages`; each stage runs its scenario as written (all its
//! replications), 10 samples.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `scenarios/stageN.toml`, in name order.
fn stage_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "toml")
                        && p.file_stem()
                            .and_then(|n| n.to_str())
                            .and_then(|n| n.strip_prefix("stage"))
                            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn stages(c: &mut Criterion) {
    let files = stage_files();
    if files.is_empty() {
        eprintln!("no scenarios/stage*.toml found; nothing to benchmark");
        return;
    }
    let mut g = c.benchmark_group("stages");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let scenario = match archsim::scenario::load(&f, &[]) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("skipping {}: {e}", f.display());
                continue;
            }
        };
        // Simulated seconds of one run: every replication's duration and drain (at most;
        // a run that drains early covers less).
        let simulated_s = (scenario.progress_total_ns() / 1_000_000_000).max(1);
        g.throughput(Throughput::Elements(simulated_s));
        g.bench_function(&name, |b| {
            b.iter(|| {
                let r = scenario.run_stats().expect("stage scenario runs");
                std::hint::black_box(r.events)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
