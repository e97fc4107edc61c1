//! Shards of the work and `simulate merge` (issue 15): any cut of a command's runs, merged
//! in any order, gives the one-process output byte for byte (apart from `wall_s`); bad
//! shard options and mismatched partials are refused before anything runs or merges.

use crate::common::{bin, ok, scratch_dir, without_wall};
use std::path::{Path, PathBuf};
use std::process::Output;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Short runs: the identity does not depend on length, CI time does.
const SHORT: [&str; 4] = ["--set", "run.duration=20s", "--set", "run.warmup=5s"];

fn run(args: &[&str]) -> Output {
    bin().current_dir(ROOT).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn refused(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    assert!(
        stderr(o).contains(needle),
        "{needle:?} not in: {}",
        stderr(o)
    );
}

/// Runs `cmd` (the command's arguments, without outputs) in one process, then as `cut.len()`
/// shards in the order `cut` gives, merges the partials (given as files, in that order) and
/// checks JSON, CSV, HTML and the summary are the same apart from wall-clock time.
fn identity(dir: &Path, cmd: &[&str], cut: &[u32]) {
    let n = cut.len();
    let out = |name: &str| dir.join(name).display().to_string();
    let mut one: Vec<&str> = cmd.to_vec();
    let (j, c, h) = (out("one.json"), out("one.csv"), out("one.html"));
    one.extend(["--json", &j, "--csv", &c, "--html", &h]);
    let first = run(&one);
    ok(&first);
    let parts = dir.join(format!("parts-{n}"));
    std::fs::create_dir_all(&parts).unwrap();
    let mut files = Vec::new();
    for &i in cut {
        let s = format!("{i}/{n}");
        let mut a: Vec<&str> = cmd.to_vec();
        let p = parts.display().to_string();
        a.extend(["--shard", &s, "--partial", &p]);
        ok(&run(&a));
        files.push(parts.join(format!(
            "shard-{i:0w$}-of-{n}.json",
            w = n.to_string().len()
        )));
    }
    let (mj, mc, mh) = (out("m.json"), out("m.csv"), out("m.html"));
    let mut m: Vec<String> = vec!["merge".into()];
    m.extend(files.iter().map(|f| f.display().to_string()));
    m.extend(["--json", &mj, "--csv", &mc, "--html", &mh].map(String::from));
    let merged = bin().current_dir(ROOT).args(&m).output().unwrap();
    ok(&merged);
    for (a, b) in [(&j, &mj), (&c, &mc), (&h, &mh)] {
        let (a_text, b_text) = (
            std::fs::read_to_string(a).unwrap(),
            std::fs::read_to_string(b).unwrap(),
        );
        assert_eq!(
            without_wall(&a_text),
            without_wall(&b_text),
            "{cmd:?} cut {cut:?}: {b} differs from {a}"
        );
    }
    // The summary differs only in the measured wall-clock time of the header line.
    let text = |o: &Output| without_wall(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(text(&first), text(&merged), "{cmd:?} summary");
}

fn scenarios() -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&Path::new(ROOT).join("scenarios"), &mut v);
    v.sort();
    v
}

#[test]
fn every_shipped_scenario_merges_to_its_one_process_result_whatever_the_cut() {
    let dir = scratch_dir("partials", "every");
    let all = scenarios();
    assert!(all.len() >= 20, "{} scenarios", all.len());
    for (k, f) in all.iter().enumerate() {
        let rel = f.strip_prefix(ROOT).unwrap().display().to_string();
        let d = dir.join(k.to_string());
        std::fs::create_dir_all(&d).unwrap();
        let mut cmd = vec![rel.as_str(), "--replications", "3"];
        cmd.extend(SHORT);
        // One slice; two given backwards; and, by turns, an uneven three-way cut.
        let cut: &[u32] = match k % 3 {
            0 => &[0],
            1 => &[1, 0],
            _ => &[2, 0, 1],
        };
        identity(&d, &cmd, cut);
    }
}

#[test]
fn sweeps_compares_and_suites_merge_to_their_one_process_output() {
    let dir = scratch_dir("partials", "multi");
    let mut sweep = vec![
        "sweep",
        "scenarios/stage2.toml",
        "--set",
        "traffic.users=2000,6000,12000",
        "--set",
        "components.monolith.cores=8,16",
        "--replications",
        "2",
    ];
    sweep.extend(SHORT);
    // 12 runs in 5 slices of 2 or 3, given in shuffled order.
    let d = dir.join("sweep");
    std::fs::create_dir_all(&d).unwrap();
    identity(&d, &sweep, &[3, 0, 4, 1, 2]);
    let mut compare = vec![
        "compare",
        "scenarios/compare/lb-policy",
        "--replications",
        "2",
    ];
    compare.extend(SHORT);
    let d = dir.join("compare");
    std::fs::create_dir_all(&d).unwrap();
    identity(&d, &compare, &[1, 2, 0]);
    // A whole failure scenario: a crash, a breaker, incidents, each replication's timeline.
    let d = dir.join("failure");
    std::fs::create_dir_all(&d).unwrap();
    identity(
        &d,
        &["scenarios/failures/cache-crash.toml", "--replications", "3"],
        &[1, 0],
    );
    let mut suite = vec!["compare", "scenarios/compare"];
    suite.extend(SHORT);
    let d = dir.join("suite");
    std::fs::create_dir_all(&d).unwrap();
    identity(&d, &suite, &[2, 0, 3, 1]);
}

#[test]
fn bad_shard_options_are_refused_before_anything_runs() {
    let dir = scratch_dir("partials", "options");
    let p = dir.display().to_string();
    let f = "scenarios/stage1.toml";
    refused(&run(&[f, "--shard", "4/4", "--partial", &p]), "below 4");
    refused(&run(&[f, "--shard", "1/0", "--partial", &p]), "at least 1");
    refused(
        &run(&[f, "--shard", "half", "--partial", &p]),
        "expected I/N",
    );
    refused(
        &run(&[f, "--replications", "3", "--shard", "0/4", "--partial", &p]),
        "only 3 runs",
    );
    refused(&run(&[f, "--shard", "0/2"]), "needs --partial DIR");
    refused(&run(&[f, "--partial", &p]), "needs --shard");
    let missing = dir.join("nope").display().to_string();
    refused(
        &run(&[f, "--shard", "0/2", "--partial", &missing]),
        "does not exist",
    );
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    refused(
        &run(&[
            f,
            "--shard",
            "0/2",
            "--partial",
            &file.display().to_string(),
        ]),
        "is not a folder",
    );
    refused(
        &run(&[f, "--shard", "0/2", "--partial", &p, "--json", "x.json"]),
        "give --json, --csv and --html to `simulate merge`",
    );
    let no_env = bin()
        .current_dir(ROOT)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .args([f, "--shard-from-env", "--partial", &p])
        .output()
        .unwrap();
    refused(&no_env, "no batch engine variable");
    let both = bin()
        .current_dir(ROOT)
        .env("SLURM_ARRAY_TASK_ID", "0")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .env("JOB_COMPLETION_INDEX", "0")
        .args([f, "--shard-from-env", "--partial", &p])
        .output()
        .unwrap();
    refused(&both, "both");
    // Nothing was written by any of them.
    let written: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("shard-"))
        .collect();
    assert!(written.is_empty());
}

#[test]
fn engine_variables_pick_the_slice_and_a_done_slice_is_skipped() {
    let dir = scratch_dir("partials", "env");
    let p = dir.display().to_string();
    let mut args = vec!["scenarios/stage1.toml", "--replications", "2"];
    args.extend(SHORT);
    args.extend(["--shard-from-env", "--partial", &p]);
    let slurm = |id: &str| {
        bin()
            .current_dir(ROOT)
            .env_remove("JOB_COMPLETION_INDEX")
            .env("SLURM_ARRAY_TASK_ID", id)
            .env("SLURM_ARRAY_TASK_COUNT", "2")
            .args(&args)
            .output()
            .unwrap()
    };
    ok(&slurm("1"));
    let one = dir.join("shard-1-of-2.json");
    let before = std::fs::metadata(&one).unwrap().modified().unwrap();
    let again = slurm("1");
    ok(&again);
    assert!(
        stderr(&again).contains("already done; skipped"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::metadata(&one).unwrap().modified().unwrap(), before);
    let k8s = bin()
        .current_dir(ROOT)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env("JOB_COMPLETION_INDEX", "0")
        .args(&args)
        .args(["--shard-count", "2"])
        .output()
        .unwrap();
    ok(&k8s);
    assert!(dir.join("shard-0-of-2.json").exists());
    ok(&run(&["merge", &p]));
}

/// Writes the two slices of a small run into `dir`; returns their paths.
fn two_slices(dir: &Path, set: &[&str]) -> (PathBuf, PathBuf) {
    let p = dir.display().to_string();
    for i in ["0/2", "1/2"] {
        let mut a = vec!["scenarios/stage1.toml", "--replications", "2"];
        a.extend(SHORT);
        a.extend(set);
        a.extend(["--shard", i, "--partial", &p]);
        ok(&run(&a));
    }
    (dir.join("shard-0-of-2.json"), dir.join("shard-1-of-2.json"))
}

#[test]
fn missing_duplicate_foreign_corrupt_and_mixed_partials_are_refused() {
    let dir = scratch_dir("partials", "refuse");
    let a = dir.join("a");
    let b = dir.join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let (a0, a1) = two_slices(&a, &[]);
    let (_, b1) = two_slices(&b, &["--seed", "9"]);
    let s = |p: &PathBuf| p.display().to_string();
    refused(
        &run(&["merge", &s(&a0)]),
        "1 of 2 slices missing: 1/2 (runs 1..2)",
    );
    refused(
        &run(&["merge", &s(&a0), &s(&a0)]),
        "slice 0/2 is given twice",
    );
    refused(
        &run(&["merge", &s(&a0), &s(&b1)]),
        "belongs to another command",
    );
    let c = dir.join("corrupt.json");
    let text = std::fs::read_to_string(&a1).unwrap();
    std::fs::write(&c, &text[..text.len() / 2]).unwrap();
    refused(&run(&["merge", &s(&a0), &s(&c)]), "corrupt partial result");
    std::fs::write(&c, "{\"hello\": 1}").unwrap();
    refused(&run(&["merge", &s(&a0), &s(&c)]), "not a partial result");
    let edited = text.replacen("\"float_check\":\"", "\"float_check\":\"ff", 1);
    std::fs::write(&c, edited).unwrap();
    refused(&run(&["merge", &s(&a0), &s(&c)]), "another build");
    ok(&run(&["merge", &s(&a0), &s(&c), "--allow-mixed-builds"]));
    // The inputs are fingerprinted: a scenario text edited inside a partial is caught.
    let foreign = text.replacen("users = ", "users = 1", 1);
    std::fs::write(&c, foreign).unwrap();
    refused(&run(&["merge", &s(&a0), &s(&c)]), "corrupt partial result");
    refused(
        &run(&["merge", &s(&dir.join("nothing-here"))]),
        "no such file",
    );
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    refused(
        &run(&["merge", &s(&empty)]),
        "no partial results in this folder",
    );
    // A merge output must not overwrite a partial.
    refused(&run(&["merge", &s(&a), "--json", &s(&a0)]), "overwrite");
    ok(&run(&["merge", &s(&a)]));
}

#[test]
fn capacity_through_a_launcher_finds_what_one_process_finds() {
    let dir = scratch_dir("partials", "launcher");
    let cmd = [
        "capacity",
        "scenarios/stage1.toml",
        "--slo",
        "p99<150ms",
        "--replications",
        "2",
        "--set",
        "run.duration=20s",
        "--set",
        "run.warmup=5s",
        "--tolerance",
        "0.05",
    ];
    let one_json = dir.join("one.json").display().to_string();
    let mut a = cmd.to_vec();
    a.extend(["--json", &one_json]);
    let one = run(&a);
    ok(&one);
    // `env TASK` runs each task as it is: a launcher in the form `srun -n1 ...` takes.
    let launched_json = dir.join("launched.json").display().to_string();
    let p = dir.display().to_string();
    let mut b = cmd.to_vec();
    b.extend([
        "--launcher",
        "env",
        "--partial",
        &p,
        "--json",
        &launched_json,
    ]);
    let launched = run(&b);
    ok(&launched);
    assert_eq!(
        without_wall(&std::fs::read_to_string(&one_json).unwrap()),
        without_wall(&std::fs::read_to_string(&launched_json).unwrap())
    );
    assert_eq!(
        String::from_utf8_lossy(&one.stdout),
        String::from_utf8_lossy(&launched.stdout)
    );
    // Nothing is left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    // A launcher that fails stops the search with exit 1 and says which task.
    let mut c = cmd.to_vec();
    c.extend(["--launcher", "false", "--partial", &p]);
    let failed = run(&c);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("a task failed"),
        "{}",
        stderr(&failed)
    );
}
