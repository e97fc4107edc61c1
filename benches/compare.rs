//! The architecture comparison suite (`scenarios/compare/`): one benchmark per question
//! folder, running all of its scenarios as `simulate compare scenarios/compare` does (load
//! with the scenario crate, run each scenario with all its replications, one after another).
//! Reports simulated requests per wall-clock second (criterion's "elements" are the requests
//! the question's scenarios generate, counted in a first run).
//!
//! `cargo bench --bench compare`; 10 samples per question.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Question folders of `scenarios/compare/` with their `.toml` files, in name order.
fn questions() -> Vec<(String, Vec<PathBuf>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/compare");
    let list = |d: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    list(&dir)
        .into_iter()
        .filter(|p| p.is_dir())
        .map(|d| {
            let files: Vec<PathBuf> = list(&d)
                .into_iter()
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
                .collect();
            let name = d.file_name().unwrap().to_string_lossy().into_owned();
            (name, files)
        })
        .filter(|(_, f)| !f.is_empty())
        .collect()
}

fn compare(c: &mut Criterion) {
    let qs = questions();
    if qs.is_empty() {
        eprintln!("no scenarios/compare/*/ folders found; nothing to benchmark");
        return;
    }
    let mut g = c.benchmark_group("compare");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    for (name, files) in qs {
        let scenarios: Vec<archsim::scenario::Scenario> = match files
            .iter()
            .map(|f| archsim::scenario::load(f, &[]))
            .collect::<Result<_, _>>()
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("skipping {name}: {e}");
                continue;
            }
        };
        let run = || -> u64 {
            scenarios
                .iter()
                .map(|s| s.run().map_or(0, |r| r.requests.generated))
                .sum()
        };
        g.throughput(Throughput::Elements(run().max(1)));
        g.bench_function(&name, |b| b.iter(|| std::hint::black_box(run())));
    }
    g.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
