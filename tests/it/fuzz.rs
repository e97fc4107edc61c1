//! A bounded, seeded fuzz loop (issue 11, "what it must show"): shipped scenarios mutated
//! (lines deleted, duplicated and swapped, numbers set to extremes, junk bytes), `--set`
//! values and extreme but accepted values, each run by the binary with a short duration
//! under an address-space limit of its memory estimate plus a margin, and killed after a time
//! budget. Every case must exit 0, 1 or 2 (no signal, no panic), exit 2 only with a located
//! message, and finish in time. `ARCHSIM_FUZZ_CASES` sets the number of cases (default 150,
//! a few seconds); `ARCHSIM_FUZZ_SEED` the seed.

use crate::common::bin;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Killed after this: a failure.
const TIME_BUDGET: Duration = Duration::from_secs(20);
/// Cases whose estimated work is above this many events are checked, not run (they are
/// long by design, not hung).
const MAX_EVENTS: f64 = 3e6;
/// Address space beyond the estimate: the binary, its threads' arenas and stacks.
const MARGIN_KIB: u64 = 768 * 1024;

/// SplitMix64: a seeded stream with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1",
    "1e308",
    "-1e308",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
    "65535",
    "65536",
    "100000000",
    "50000000",
    "1e-9",
    "0.5",
    "nan",
    "inf",
    "\"0ms\"",
    "\"1ns\"",
    "\"30d\"",
    "\"1ms\"",
    "\"exp(0ms)\"",
    "\"\"",
    "[]",
    "{}",
];

const JUNK: &[&str] = &[
    "\u{0}",
    "\u{7}",
    "\u{f}",
    "\u{1b}[31m",
    "é",
    "\u{feff}",
    "[",
    "]",
    "=",
    "\"",
    "'",
    "{",
    "#",
    "\\",
    "\n",
    "[[",
    "\u{202e}",
];

/// `--set` keys worth pushing to their limits; `C` is replaced by a component of the file.
const SET_KEYS: &[&str] = &[
    "run.duration",
    "run.warmup",
    "run.drain",
    "run.series_interval",
    "run.max_in_flight",
    "run.replications",
    "run.seed",
    "run.memory_limit",
    "traffic.rate",
    "traffic.users",
    "traffic.think",
    "traffic.timeout",
    "traffic.keys.count",
    "traffic.keys.zipf",
    "components.C.instances",
    "components.C.cores",
    "components.C.workers",
    "components.C.queue",
    "components.C.capacity",
    "components.C.endpoints.default.cpu",
    "network.latency",
];

const SET_VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "1e308",
    "9223372036854775807",
    "65535",
    "50000000",
    "100000000",
    "1e9",
    "0ms",
    "1ns",
    "1ms",
    "100ms",
    "30d",
    "exp(0ms)",
    "normal(0ms, 0ms)",
    "1MB",
    "100GB",
    "abc",
    "\"\"",
    "[1,2]",
];

/// Extreme values `check` accepts: set on unmutated scenarios, one to three at a time.
const ACCEPTED: &[&str] = &[
    "components.C.instances=65535",
    "components.C.instances=1000",
    "components.C.capacity=100000000",
    "components.C.queue=1",
    "components.C.workers=1",
    "components.C.cores=1",
    "run.series_interval=1ms",
    "run.max_in_flight=1",
    "run.max_in_flight=100000000",
    "run.memory_limit=1MB",
    "run.memory_limit=64MB",
    "run.replications=64",
    "run.seed=9223372036854775807",
    "traffic.users=50000000",
    "traffic.users=1",
    "traffic.rate=1e9",
    "traffic.rate=0.001",
    "traffic.keys.count=9223372036854775807",
    "traffic.keys.zipf=0",
    "traffic.timeout=1ns",
    "traffic.think=0ms",
    "network.latency=30d",
];

fn shipped() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "toml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        &mut out,
    );
    out
}

/// Replaces the `k`-th number token of `line` (if any) with `with`.
fn replace_number(line: &str, rng: &mut Rng, with: &str) -> Option<String> {
    let bytes = line.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            spans.push(start..i);
        } else {
            i += 1;
        }
    }
    if spans.is_empty() {
        return None;
    }
    let s = rng.pick(&spans).clone();
    // Inside a string ("5ms") keep the text a string: put a bare number only.
    let with = with.trim_matches('"');
    Some(format!("{}{}{}", &line[..s.start], with, &line[s.end..]))
}

/// One mutation of `text`.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    for _ in 0..1 + rng.below(3) {
        let i = rng.below(lines.len());
        match rng.below(6) {
            0 => {
                lines.remove(i);
                if lines.is_empty() {
                    break;
                }
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            3 | 4 => {
                // A number to an extreme, else the value of `key = value` to one.
                let with = *rng.pick(EXTREMES);
                match replace_number(&lines[i], rng, with) {
                    Some(l) => lines[i] = l,
                    None => {
                        if let Some(eq) = lines[i].find('=') {
                            lines[i] = format!("{} {}", &lines[i][..=eq], with);
                        }
                    }
                }
            }
            _ => {
                let l = &lines[i];
                let mut at = rng.below(l.len() + 1);
                while !l.is_char_boundary(at) {
                    at -= 1;
                }
                lines[i] = format!("{}{}{}", &l[..at], rng.pick(JUNK), &l[at..]);
            }
        }
    }
    lines.join("\n") + "\n"
}

/// A component name of `text`, for `--set components.C...`.
fn a_component(text: &str, rng: &mut Rng) -> String {
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("[components."))
        .filter_map(|l| l.strip_suffix(']'))
        .filter(|n| !n.contains('.'))
        .collect();
    if names.is_empty() {
        "app".to_string()
    } else {
        rng.pick(&names).to_string()
    }
}

/// Whether an exit-2 message is located: `file:line:col: ...`, or names the `--set`.
fn located(err: &str, file: &str) -> bool {
    let Some(first) = err.lines().find(|l| l.starts_with("error: ")) else {
        return false;
    };
    let rest = &first["error: ".len()..];
    if rest.contains("--set") {
        return rest.trim().len() > "--set".len();
    }
    let Some(after) = rest.strip_prefix(file).and_then(|r| r.strip_prefix(':')) else {
        return false;
    };
    let mut parts = after.splitn(3, ':');
    let (l, c, msg) = (parts.next(), parts.next(), parts.next());
    l.is_some_and(|l| l.parse::<usize>().is_ok())
        && c.is_some_and(|c| c.parse::<usize>().is_ok())
        && msg.is_some_and(|m| !m.trim().is_empty())
}

#[test]
fn mutated_scenarios_and_sets_exit_cleanly_located_in_time_and_in_memory() {
    let cases: usize = std::env::var("ARCHSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let seed: u64 = std::env::var("ARCHSIM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(11);
    let seeds = shipped();
    assert!(seeds.len() > 10);
    let mut rng = Rng(seed);
    let dir = crate::common::tmp_root().join(format!("archsim-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut ran, mut refused, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for case in 0..cases {
        let src = rng.pick(&seeds).clone();
        let text = std::fs::read_to_string(&src).unwrap();
        let pristine = rng.below(4) == 0;
        let text = if pristine {
            text.clone()
        } else {
            mutate(&text, &mut rng)
        };
        // Short runs, unless the case pushes the duration itself.
        let mut sets: Vec<String> = vec![
            "run.duration=2s".into(),
            "run.warmup=0s".into(),
            "run.drain=2s".into(),
            "run.replications=1".into(),
        ];
        if pristine {
            for _ in 0..1 + rng.below(3) {
                let c = a_component(&text, &mut rng);
                sets.push(rng.pick(ACCEPTED).replace(".C.", &format!(".{c}.")));
            }
        } else {
            for _ in 0..rng.below(3) {
                let key = rng
                    .pick(SET_KEYS)
                    .replace('C', &a_component(&text, &mut rng));
                sets.push(format!("{key}={}", rng.pick(SET_VALUES)));
            }
        }
        let file = dir.join(format!("case-{case}.toml"));
        std::fs::write(&file, &text).unwrap();
        let fname = file.to_str().unwrap().to_string();
        // What the library says first: invalid, or how much work and memory.
        let loaded = archsim::scenario::load(&file, &sets);
        let mut args: Vec<String> = vec![fname.clone()];
        for s in &sets {
            args.push("--set".into());
            args.push(s.clone());
        }
        let (limit_kib, run) = match &loaded {
            Ok(s) => {
                // Building a run costs about 20 us an instance (its hashing ring, its state),
                // and closing it about 100 ns an instance and series bucket (its busy and
                // queue integrals), which the work estimate leaves out: 65,535 instances over
                // 4,000 buckets of 1 ms take some 20 s (a case the shipped alert scenario's
                // arrival in the seed list brought up, as slow with the build before it).
                let instances: f64 = s.spec.components.iter().map(|c| c.instances as f64).sum();
                let span = s.spec.duration.saturating_add(s.spec.drain).as_nanos() as f64;
                let buckets = span / s.spec.series_interval.as_nanos().max(1) as f64 + 1.0;
                let setup = instances * s.replications as f64 * (10.0 + 0.05 * buckets);
                if s.estimate_work().events + setup > MAX_EVENTS {
                    skipped += 1;
                    args.insert(0, "check".into());
                }
                let est = s.memory.as_ref().map_or(0, |m| m.estimate);
                (est / 1024 + MARGIN_KIB, true)
            }
            // Refused for memory: the binary's budget is read apart, it may differ a little.
            Err(archsim::scenario::ScenarioError::Invalid(ds))
                if ds.iter().all(|d| d.message.contains("needs about")) =>
            {
                (4 * 1024 * 1024, true)
            }
            Err(_) => (4 * 1024 * 1024, false),
        };
        let what = format!(
            "case {case} (seed {seed}) from {}: simulate {args:?}",
            src.display()
        );
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v {limit_kib} && exec \"$0\" \"$@\""))
            .arg(bin().get_program())
            .args(&args)
            .env_remove("CLICOLOR_FORCE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        let mut killed = false;
        while child.try_wait().unwrap().is_none() {
            if t0.elapsed() > TIME_BUDGET {
                child.kill().unwrap();
                killed = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        let keep = |failures: &mut Vec<String>, why: &str| {
            let kept = dir.join(format!("failed-{case}.toml"));
            let _ = std::fs::copy(&file, &kept);
            failures.push(format!("{what}: {why} (kept as {})\n{err}", kept.display()));
        };
        if killed {
            keep(
                &mut failures,
                &format!("still running after {TIME_BUDGET:?}"),
            );
            continue;
        }
        match out.status.code() {
            None => keep(
                &mut failures,
                &format!("killed by a signal: {:?}", out.status),
            ),
            Some(c) if err.contains("panicked") || c == 101 => keep(&mut failures, "panicked"),
            Some(0 | 1) if !run => {
                keep(&mut failures, "the library refused it, the binary did not")
            }
            Some(0 | 1) => ran += 1,
            Some(2) => {
                refused += 1;
                if !located(&err, &fname) {
                    keep(&mut failures, "exit 2 without a located message");
                } else if run && !err.contains("needs about") {
                    keep(&mut failures, "exit 2 for a scenario the library accepted");
                }
            }
            Some(c) => keep(&mut failures, &format!("exit {c}")),
        }
        let _ = std::fs::remove_file(&file);
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed ({ran} ran, {refused} refused, {skipped} checked only):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
    println!("{cases} cases: {ran} ran, {refused} refused, {skipped} checked only");
    assert!(ran > 0 && refused > 0, "{ran} ran, {refused} refused");
}
