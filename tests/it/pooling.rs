//! Pooled figures equal the sum of their parts: every kind counter of a run with two
//! replications is the sum of the two replications' own counters, and every ratio in the
//! result is the ratio of the pooled counts (issue 11 item 6); every figure a component
//! declares is computed from the pooled counts (issue 13).

use archsim::engine::SimTime;
use archsim::models::run;
use archsim::scenario::{load, replication_seed, Scenario};
use archsim::stats::{Counters, RunStats, SimResult};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn scenarios(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            scenarios(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// (component, counter) -> value, failing on a name that a component emits twice.
fn counters(s: &RunStats) -> BTreeMap<(String, String), u64> {
    let mut m = BTreeMap::new();
    for c in &s.components {
        for (n, v) in &c.counters {
            let old = m.insert((c.name.clone(), n.clone()), *v);
            assert!(old.is_none(), "{}: counter {n} emitted twice", c.name);
        }
    }
    m
}

fn num(r: &SimResult, comp: &str, key: &str) -> Option<f64> {
    r.components[comp].extra.get(key)?.as_f64()
}

/// Checks the pooling of `sc` run with two replications (pooled as the command pools them:
/// the second merged into the first); returns the pooled result.
fn check_pooling(name: &str, mut sc: Scenario) -> SimResult {
    sc.replications = 2;
    let parts: Vec<RunStats> = (0..2)
        .map(|r| run(&sc.spec, replication_seed(sc.seed, r)).unwrap())
        .collect();
    let mut pooled = parts[0].clone();
    pooled.merge(&parts[1]);
    let (a, b, p) = (counters(&parts[0]), counters(&parts[1]), counters(&pooled));
    assert_eq!(p.len(), a.len().max(b.len()), "{name}: counter names");
    for (k, v) in &p {
        let sum = a.get(k).copied().unwrap_or(0) + b.get(k).copied().unwrap_or(0);
        assert_eq!(
            *v, sum,
            "{name}: pooled {k:?} is not the sum of its replications"
        );
    }
    assert_eq!(
        pooled.generated,
        parts[0].generated + parts[1].generated,
        "{name}"
    );
    let r = SimResult::build(&sc.name, sc.seed, &pooled, sc.slo, 0.0).unwrap();
    for (comp, c) in &r.components {
        let get = |k: &str| p.get(&(comp.clone(), k.to_string())).map(|&v| v as f64);
        let close = |key: &str, want: f64| {
            let got = num(&r, comp, key).unwrap_or_else(|| panic!("{name}: {comp}.{key}"));
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{name}: {comp}.{key} = {got}, pooled counts give {want}"
            );
        };
        if let (Some(stale), Some(reads)) = (
            get("stale_reads"),
            get("replica_reads").or(get("model_reads")),
        ) {
            if reads > 0.0 {
                close("stale_read_ratio", stale / reads);
            }
        }
        if let (Some(h), Some(m)) = (get("hits"), get("misses")) {
            if h + m > 0.0 && c.extra.contains_key("hit_ratio") {
                close("hit_ratio", h / (h + m));
            }
        }
    }
    // Every figure a component declares, recomputed from its counts summed here over the
    // two replications, is the figure the pooled result shows.
    let window_s = pooled.window.len_ns() as f64 / 1e9 * 2.0;
    for c in &pooled.components {
        let mut sum = Counters::new();
        for part in &parts {
            for pc in part.components.iter().filter(|pc| pc.name == c.name) {
                for (n, v) in pc.counters.iter().chain(pc.inputs.iter()) {
                    sum.add(n, *v);
                }
            }
        }
        for f in c.figures.scalars() {
            let got = r.components[&c.name].extra.get(f.name());
            match f.value(&sum, window_s) {
                None => assert!(got.is_none(), "{name}: {}.{} shown", c.name, f.name()),
                Some(want) => assert_eq!(
                    got.map(|v| v.as_f64()),
                    Some(want),
                    "{name}: {}.{} is not computed from the pooled counts",
                    c.name,
                    f.name()
                ),
            }
        }
    }
    r
}

#[test]
fn pooled_counters_are_sums_for_every_shipped_scenario() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    scenarios(&root.join("scenarios"), &mut files);
    files.sort();
    assert!(files.len() > 20, "found {} scenarios", files.len());
    for f in files {
        let name = f.strip_prefix(root).unwrap().display().to_string();
        let mut sc = load(&f, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        // 20 s past the warm-up are enough to exercise every kind's counters and keep this fast.
        let short = SimTime::from_nanos(sc.spec.warmup.as_nanos() + 20_000_000_000);
        sc.spec.duration = sc.spec.duration.min(short);
        check_pooling(&name, sc);
    }
}

/// The defect that started it: a database with both a `source` (a read model) and
/// `replicas` emitted `stale_reads` twice, so pooling kept a wrong figure.
#[test]
fn read_model_with_replicas_pools_stale_reads_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = [
        "components.read_model.replicas=1".to_string(),
        "run.duration=\"60s\"".to_string(),
    ];
    let sc = load(&root.join("scenarios/event-driven.toml"), &set).unwrap();
    let r = check_pooling("event-driven with a replica", sc);
    assert!(num(&r, "read_model", "stale_reads").unwrap() > 0.0);
}
