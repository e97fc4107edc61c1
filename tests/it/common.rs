//! Helpers shared by the test modules.

use archsim::scenario::{from_str, load};
use archsim::stats::SimResult;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `simulate` binary built for these tests (never told to colour a pipe).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_simulate"));
    c.env_remove("CLICOLOR_FORCE");
    c
}

fn owned(set: &[&str]) -> Vec<String> {
    set.iter().map(|s| s.to_string()).collect()
}

/// Runs scenario `text` with `--set` overrides `set`; panics with the diagnostic on an
/// invalid scenario or a failed run.
pub fn inline(text: &str, set: &[&str]) -> SimResult {
    from_str(text, "inline.toml", &owned(set))
        .unwrap_or_else(|e| panic!("{e}"))
        .run()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs the scenario file `rel` (relative to the repository root) with overrides `set`.
pub fn file(rel: &str, set: &[&str]) -> SimResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    load(&path, &owned(set))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
        .run()
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every request is accounted for: generated = succeeded + failed + in flight, and the
/// degraded answers are among the successes.
pub fn conserved(r: &SimResult) {
    let q = &r.requests;
    assert_eq!(q.generated, q.succeeded + q.failed + q.in_flight);
    assert!(q.degraded <= q.succeeded);
}

/// The per-component series `name` of component `comp`.
pub fn series<'a>(r: &'a SimResult, comp: &str, name: &str) -> &'a Vec<Option<f64>> {
    &r.components[comp].series.as_ref().expect("series")[name]
}

/// The 1-based line of the first occurrence of `pat` in `text`.
pub fn line_of(text: &str, pat: &str) -> usize {
    text[..text.find(pat).expect("pattern in text")]
        .matches('\n')
        .count()
        + 1
}

/// Zipf(s) popularities over `n` keys (rank 1 first).
pub fn zipf(n: usize, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
    let t: f64 = w.iter().sum();
    w.into_iter().map(|x| x / t).collect()
}

/// Where the tests write their files: cargo's scratch folder for integration tests
/// (`target/tmp`), not the system's temporary folder, which nothing would clean.
pub fn tmp_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// An empty scratch folder unique to this process and `test` (`group` names the module).
pub fn scratch_dir(group: &str, test: &str) -> PathBuf {
    let d = tmp_root().join(format!("archsim-{group}-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The command exited 0 (else: fails with its stderr).
pub fn ok(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A tiny one-class scenario: M/M/1 at 50 requests/s for 5 s.
pub const TINY: &str = r#"
[run]
duration = "5s"
[traffic]
entry = "server"
rate = 50
[components.server]
kind = "service"
cores = 1
[components.server.endpoints.default]
cpu = "exp(5ms)"
"#;

/// `text` without the wall-clock time: JSON `wall_s` lines, and the summary header's
/// "N events in 1.23s" (also in the HTML report, which quotes the summary).
pub fn without_wall(text: &str) -> String {
    text.lines()
        .filter(|l| !l.contains("\"wall_s\""))
        .map(|l| match l.find(" events in ") {
            Some(k) => {
                let rest = &l[k + " events in ".len()..];
                let end = rest.find('s').map_or(rest.len(), |e| e + 1);
                format!("{} events in (time){}", &l[..k], &rest[end..])
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
