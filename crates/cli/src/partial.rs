//! The partial result format: what one shard of a multi-run command writes and
//! `simulate merge` reads back. Versioned (`format`, `version`) and self-describing: it
//! carries the command and its inputs (the scenario texts as they were run, the overrides,
//! the axes), a fingerprint of them, the build that ran it, which slice of the work it holds,
//! and each run's own unpooled statistics (histograms in HdrHistogram's V2 compressed form,
//! floats written so they read back exactly). Pooling happens once, in merge, in replication
//! order, exactly as in one process.

use archsim_stats::RunStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The `format` field of every partial.
pub(crate) const FORMAT: &str = "archsim-partial";
/// The version of the layout below; a reader refuses any other. Version 2: a component's
/// statistics carry its hidden `inputs` and declared `figures`, and timeline entries their
/// `category` and `phase` (version 1 had neither, and its figures were derived by name).
pub(crate) const VERSION: u32 = 2;

/// The command whose work is sharded, with everything that decides its runs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "command", rename_all = "snake_case")]
pub(crate) enum Job {
    /// `simulate FILE` (its replications).
    Run {
        /// The scenario file as given.
        file: String,
        /// Overrides in order, `--seed` and `--replications` included.
        set: Vec<String>,
    },
    /// `simulate sweep FILE --set ...`.
    Sweep {
        file: String,
        /// Every `--set` as given (lists are the axes).
        set: Vec<String>,
        seed: Option<u64>,
        replications: Option<u32>,
    },
    /// `simulate compare FILES...` (folders expanded to their files).
    Compare {
        files: Vec<String>,
        set: Vec<String>,
        seed: Option<u64>,
        replications: Option<u32>,
    },
    /// `simulate compare SUITE/`.
    Suite {
        dir: String,
        questions: Vec<QuestionJob>,
        set: Vec<String>,
        seed: Option<u64>,
        replications: Option<u32>,
    },
}

/// One question of a suite, as found when the shard ran.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct QuestionJob {
    pub name: String,
    pub question: Option<String>,
    pub dir: String,
    pub files: Vec<String>,
}

impl Job {
    /// The command's name as typed.
    pub(crate) fn command(&self) -> &'static str {
        match self {
            Job::Run { .. } => "run",
            Job::Sweep { .. } => "sweep",
            Job::Compare { .. } | Job::Suite { .. } => "compare",
        }
    }
    /// The scenario files the command reads.
    pub(crate) fn files(&self) -> Vec<&str> {
        match self {
            Job::Run { file, .. } | Job::Sweep { file, .. } => vec![file.as_str()],
            Job::Compare { files, .. } => files.iter().map(String::as_str).collect(),
            Job::Suite { questions, .. } => questions
                .iter()
                .flat_map(|q| q.files.iter().map(String::as_str))
                .collect(),
        }
    }
}

/// The build that ran a shard. Floating-point results may differ between maths libraries,
/// so a small check value computed with them is part of it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct Build {
    pub version: String,
    pub target: String,
    /// Bits of a few `ln`, `exp`, `powf`, `sin` results, in hex.
    pub float_check: String,
}

impl Build {
    pub(crate) fn current() -> Build {
        // The functions the samplers use (`ln` for exponentials, `exp`/`powf` for lognormal
        // and Pareto, `sin`/`cos` for Box-Muller normals), at arguments that round hard.
        let x = std::hint::black_box(0.7316_f64);
        let v = x.ln() * 1.1_f64.exp() + x.powf(2.3) - (x * 7.0).sin() * (x * 3.0).cos()
            + (1.0 - x).ln_1p()
            + x.sqrt().atan();
        Build {
            version: env!("CARGO_PKG_VERSION").to_string(),
            target: env!("ARCHSIM_TARGET").to_string(),
            float_check: format!("{:016x}", v.to_bits()),
        }
    }
}

/// Which slice of the work a partial holds: units `[first, end)` of `total`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ShardInfo {
    pub index: u32,
    pub count: u32,
    pub first: u64,
    pub end: u64,
    pub total: u64,
}

/// Slice `index` of `count` near-equal contiguous slices of `total` units.
pub(crate) fn slice(index: u32, count: u32, total: u64) -> (u64, u64) {
    let at = |i: u64| (i as u128 * total as u128 / count as u128) as u64;
    (at(index as u64), at(index as u64 + 1))
}

/// One run's outcome: its statistics, or why it stopped.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UnitOutcome {
    Stats(Box<RunStats>),
    Failed { message: String, overload: bool },
}

/// One unit of work: replication `replication` of point (scenario) `point`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct Unit {
    pub point: u32,
    pub replication: u32,
    /// Wall-clock seconds the run took.
    pub wall_s: f64,
    pub outcome: UnitOutcome,
}

/// A partial result file.
#[derive(Serialize, Deserialize, Debug)]
pub(crate) struct Partial {
    pub format: String,
    pub version: u32,
    /// [`fingerprint`] of the job and texts.
    pub fingerprint: String,
    pub job: Job,
    /// Each scenario file's text as it was run, by the path given.
    pub texts: BTreeMap<String, String>,
    pub build: Build,
    pub shard: ShardInfo,
    pub units: Vec<Unit>,
}

/// The first fields of a partial, read before the rest so that another format or version is
/// named as such.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

/// A stable hash (FNV-1a, 64 bits) of the job and the scenario texts, in hex: two shards
/// belong to one command exactly when their fingerprints are equal.
pub(crate) fn fingerprint(job: &Job, texts: &BTreeMap<String, String>) -> String {
    let canonical = serde_json::to_string(&(VERSION, job, texts)).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in canonical.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The file name of slice `index` of `count` (zero-padded, so names sort in slice order).
pub(crate) fn file_name(index: u32, count: u32) -> String {
    let w = count.to_string().len();
    format!("shard-{index:0w$}-of-{count}.json")
}

/// Whether `name` looks like a partial's file name (what `merge DIR` reads).
pub(crate) fn is_partial_name(name: &str) -> bool {
    name.starts_with("shard-") && name.ends_with(".json") && name.contains("-of-")
}

/// Reads and parses a partial; the error says what is wrong with the file.
pub(crate) fn read(path: &Path) -> Result<Partial, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let full = serde_json::from_str::<Partial>(&text);
    let header = match &full {
        Ok(p) => Ok(Header {
            format: p.format.clone(),
            version: p.version,
        }),
        Err(_) => serde_json::from_str::<Header>(&text),
    };
    match header {
        Ok(h) if h.format != FORMAT => {
            return Err(format!(
                "not a partial result of `simulate --shard` (format {:?})",
                h.format
            ))
        }
        Ok(h) if h.version != VERSION => {
            return Err(format!(
            "partial format version {} cannot be read by this build (it reads version {VERSION})",
            h.version
        ))
        }
        Ok(_) => {}
        // Unreadable as a whole: a partial cut short, or another file.
        Err(_)
            if !text
                .trim_start()
                .starts_with(&format!("{{\"format\":\"{FORMAT}\"")) =>
        {
            return Err("not a partial result of `simulate --shard`".into())
        }
        Err(_) => {}
    }
    let p = full.map_err(|e| format!("corrupt partial result: {e}"))?;
    if p.fingerprint != fingerprint(&p.job, &p.texts) {
        return Err("corrupt partial result: its fingerprint does not match its contents".into());
    }
    let s = p.shard;
    if s.count == 0 || s.index >= s.count || (s.first, s.end) != slice(s.index, s.count, s.total) {
        return Err(format!(
            "corrupt partial result: slice {}/{} of {} runs cannot hold runs {}..{}",
            s.index, s.count, s.total, s.first, s.end
        ));
    }
    if p.units.len() as u64 != s.end - s.first {
        return Err(format!(
            "corrupt partial result: slice {}/{} should hold {} runs, it holds {}",
            s.index,
            s.count,
            s.end - s.first,
            p.units.len()
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_tile_the_work_and_differ_by_at_most_one() {
        for total in [1u64, 2, 7, 64, 1000] {
            for count in 1..=total.min(70) as u32 {
                let mut next = 0;
                let mut sizes = Vec::new();
                for i in 0..count {
                    let (a, b) = slice(i, count, total);
                    assert_eq!(a, next);
                    sizes.push(b - a);
                    next = b;
                }
                assert_eq!(next, total);
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1 && *lo >= 1, "{total}/{count}: {sizes:?}");
            }
        }
    }

    #[test]
    fn names_sort_in_slice_order() {
        assert_eq!(file_name(3, 12), "shard-03-of-12.json");
        assert_eq!(file_name(0, 1), "shard-0-of-1.json");
        assert!(is_partial_name(&file_name(7, 100)));
        assert!(!is_partial_name("merged.json"));
    }

    #[test]
    fn the_fingerprint_follows_the_inputs() {
        let job = Job::Run {
            file: "a.toml".into(),
            set: vec![],
        };
        let mut texts = BTreeMap::new();
        texts.insert("a.toml".to_string(), "x = 1".to_string());
        let a = fingerprint(&job, &texts);
        assert_eq!(a, fingerprint(&job.clone(), &texts.clone()));
        texts.insert("a.toml".to_string(), "x = 2".to_string());
        assert_ne!(a, fingerprint(&job, &texts));
    }
}
