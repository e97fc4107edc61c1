//! The `simulate` command as a user meets it: exit codes and error messages.

use crate::common::{bin, line_of};
use std::path::PathBuf;
use std::process::{Command, Output};

/// A scratch file holding `text`, unique per test.
fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = crate::common::tmp_root().join(format!("archsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub const GOOD: &str = r#"
[run]
duration = "20s"
warmup = "2s"

[traffic]
entry = "lb"
rate = 200

[components.lb]
kind = "load_balancer"
targets = "app"

[components.app]
kind = "service"
instances = 2
cores = 2
[components.app.endpoints.default]
cpu = "exp(5ms)"
calls = ["db"]

[components.db]
kind = "database"
cores = 4
[components.db.endpoints.default]
cpu = "exp(2ms)"
"#;

/// Runs `simulate FILE` on `text` and expects exit 2 with `file:line:col:` and `needle`.
fn expect_invalid(name: &str, text: &str, line: usize, needle: &str) {
    let p = scratch(name, text);
    let out = bin().arg(&p).output().unwrap();
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{name}: exit code; stderr:\n{err}"
    );
    let loc = format!("{}:{line}:", p.display());
    assert!(err.contains(&loc), "{name}: expected `{loc}` in:\n{err}");
    assert!(
        err.contains(needle),
        "{name}: expected `{needle}` in:\n{err}"
    );
    assert!(!err.contains("panicked"), "{name}: panic:\n{err}");
    assert!(out.stdout.is_empty(), "{name}: nothing is simulated");
    // `check` reports the same problem with the same exit code.
    let out = bin().arg("check").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{name}: check exit code");
    assert!(stderr(&out).contains(&loc));
}

#[test]
fn a_valid_scenario_runs_and_checks() {
    let p = scratch("good.toml", GOOD);
    let out = bin().arg("check").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    let out = bin().arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["p99", "lb", "app", "db", "generated"] {
        assert!(text.contains(needle), "summary lacks {needle}:\n{text}");
    }
}

#[test]
fn syntax_error() {
    let text = GOOD.replace("rate = 200", "rate = = 200");
    expect_invalid("syntax.toml", &text, line_of(&text, "rate = ="), "");
}

#[test]
fn unknown_key() {
    let text = GOOD.replace("rate = 200", "rate = 200\nrat = 5");
    expect_invalid(
        "unknown.toml",
        &text,
        line_of(&text, "rat = 5"),
        "unknown key `rat` in [traffic]; did you mean `rate`?",
    );
}

/// An unknown key suggests the nearest key of its table and of that component kind only,
/// instead of listing the keys of every kind.
#[test]
fn unknown_key_suggests_the_nearest_of_its_kind() {
    let text = GOOD.replace("cores = 4", "coers = 4");
    let line = line_of(&text, "coers = 4");
    expect_invalid(
        "coers.toml",
        &text,
        line,
        "unknown key `coers` in components.db (a database); did you mean `cores`?",
    );
    let text = GOOD.replace(
        "targets = \"app\"",
        "targets = \"app\"\ncores = 2\nbogus = 1",
    );
    let p = scratch("lb-bogus.toml", &text);
    let err = stderr(&bin().arg("check").arg(&p).output().unwrap());
    assert!(err.contains("unknown key `bogus` in components.lb (a load_balancer); its keys are: kind, description, instances, balance, targets, policy, restart, region, bandwidth, link_buffer, health_check, memory, memory_base, memory_per_request, cost_per_hour, machine"), "{err}");
    assert!(!err.contains("eviction"), "{err}");
}

#[test]
fn bad_reference() {
    let text = GOOD.replace(r#"calls = ["db"]"#, r#"calls = ["dbb"]"#);
    expect_invalid(
        "badref.toml",
        &text,
        line_of(&text, "calls = [\"dbb\"]"),
        "`dbb`, which is not a component",
    );
    let text = GOOD.replace(r#"entry = "lb""#, r#"entry = "nope""#);
    expect_invalid(
        "badentry.toml",
        &text,
        line_of(&text, "entry"),
        "`nope` is not a component",
    );
}

#[test]
fn bad_distribution() {
    let text = GOOD.replace("exp(5ms)", "expo(5ms)");
    expect_invalid(
        "baddist.toml",
        &text,
        line_of(&text, "expo"),
        "unknown distribution `expo`",
    );
    let text = GOOD.replace("exp(5ms)", "exp(5)");
    expect_invalid("nounit.toml", &text, line_of(&text, "exp(5)"), "no unit");
}

#[test]
fn out_of_range_value() {
    let text = GOOD.replace("rate = 200", "rate = -3");
    expect_invalid(
        "range.toml",
        &text,
        line_of(&text, "rate = -3"),
        "traffic.rate must be",
    );
    let text = GOOD.replace("warmup = \"2s\"", "warmup = \"30s\"");
    expect_invalid(
        "warmup.toml",
        &text,
        line_of(&text, "warmup"),
        "shorter than run.duration",
    );
    let text = GOOD.replace("cores = 4", "cores = 0");
    expect_invalid(
        "cores.toml",
        &text,
        line_of(&text, "cores = 0"),
        "cores must be between",
    );
}

#[test]
fn call_cycle() {
    let text = GOOD.replace(
        "[components.db.endpoints.default]\ncpu = \"exp(2ms)\"",
        "[components.db.endpoints.default]\ncpu = \"exp(2ms)\"\ncalls = [\"app\"]",
    );
    expect_invalid(
        "cycle.toml",
        &text,
        line_of(&text, "calls = [\"app\"]"),
        "cycle",
    );
}

#[test]
fn empty_file() {
    expect_invalid("empty.toml", "", 1, "missing [run]");
}

#[test]
fn several_problems_are_reported_together() {
    let text = GOOD
        .replace("rate = 200", "rate = 0")
        .replace("exp(2ms)", "exp(2 ms)x");
    let p = scratch("several.toml", &text);
    let out = bin().arg(&p).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("traffic.rate"), "{err}");
    assert!(err.contains("exp(2 ms)x"), "{err}");
    assert!(err.contains("2 problems"), "{err}");
}

#[test]
fn missing_file_and_bad_arguments_exit_2() {
    let out = bin().arg("/nonexistent/scenario.toml").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/scenario.toml"));
    let out = bin().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let p = scratch("good2.toml", GOOD);
    let out = bin().arg(&p).args(["--seed", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .arg(&p)
        .args(["--set", "traffic.rate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("KEY=VALUE"));
}

#[test]
fn set_overrides_keys_and_reports_its_own_errors() {
    let p = scratch("set.toml", GOOD);
    let out = bin()
        .arg(&p)
        .args([
            "--json",
            "-",
            "--set",
            "traffic.rate=50",
            "--set",
            "components.app.instances=3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["components"]["app"]["instances"], 3);
    let tput = v["throughput_rps"].as_f64().unwrap();
    assert!((tput - 50.0).abs() < 8.0, "throughput {tput}");
    // The summary went to stderr.
    assert!(stderr(&out).contains("p99"));

    let out = bin()
        .arg(&p)
        .args(["--set", "traffic.rate=-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--set traffic.rate=-1"),
        "{}",
        stderr(&out)
    );

    // An unknown key is reported at its table; the message still names the --set.
    let out = bin()
        .arg(&p)
        .args(["--set", "run.bogus=1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("unknown key `bogus` in [run]"), "{e}");
    assert!(e.contains("(from --set run.bogus=1)"), "{e}");
}

#[test]
fn json_file_is_written_whole() {
    let p = scratch("json.toml", GOOD);
    let dir = p.parent().unwrap().join("out");
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("result.json");
    let out = bin().arg(&p).arg("--json").arg(&json).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    for key in [
        "scenario",
        "seed",
        "replications",
        "simulated_s",
        "wall_s",
        "events",
        "requests",
        "latency_ms",
        "throughput_rps",
        "error_rate",
        "errors",
        "classes",
        "components",
        "timeline",
        "series",
    ] {
        assert!(v.get(key).is_some(), "result lacks `{key}`");
    }
    let r = &v["requests"];
    let n = |k: &str| r[k].as_u64().unwrap();
    assert_eq!(
        n("generated"),
        n("succeeded") + n("failed") + n("in_flight")
    );
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1);
    // A path in a missing folder is refused before anything runs (exit 2) and leaves nothing.
    let out = bin()
        .arg(&p)
        .arg("--json")
        .arg("/nonexistent-dir/result.json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn runaway_overload_stops_with_a_clear_error_not_a_full_memory() {
    let p = scratch("overload.toml", GOOD);
    let out = bin()
        .arg(&p)
        .args([
            "--set",
            "traffic.rate=5000",
            "--set",
            "run.max_in_flight=20000",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("overload: more than 20000 calls"), "{err}");
    assert!(!err.contains("panicked"));
}

/// `--json` to a named pipe (as to `/dev/null` or `/dev/stdout`) writes into it: renaming a
/// temporary file over it, as for a regular file, would replace the pipe (or the device).
#[cfg(unix)]
#[test]
fn json_to_a_pipe_writes_into_the_pipe() {
    use std::os::unix::fs::FileTypeExt;
    let p = scratch("pipe.toml", GOOD);
    let fifo = p.parent().unwrap().join("result.fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("no mkfifo here; skipped");
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read_to_string(&reader));
    });
    let out = bin().arg(&p).arg("--json").arg(&fifo).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by a {kind:?}");
    let text = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the reader got the JSON")
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["requests"]["generated"].as_u64().unwrap() > 0);
}

// ---- Failed writes to stdout and stderr (issue 11 item 1) ----

/// The calls of every command that prints, on a small fast scenario `p`.
fn printing_commands(p: &std::path::Path) -> Vec<Vec<String>> {
    let p = p.display().to_string();
    let short = ["--set", "run.duration=3s", "--set", "run.warmup=0s"];
    let with = |head: &[&str]| -> Vec<String> {
        head.iter()
            .map(|s| s.to_string())
            .chain(short.iter().map(|s| s.to_string()))
            .collect()
    };
    vec![
        vec!["check".into(), p.clone()],
        with(&[&p]),
        with(&[&p, "--json", "-"]),
        with(&["compare", &p, &p]),
        with(&["sweep", &p, "--set", "traffic.rate=50,100"]),
        with(&[
            "capacity",
            &p,
            "--slo",
            "p99<40ms",
            "--replications",
            "1",
            "--tolerance",
            "0.3",
        ]),
    ]
}

#[cfg(target_os = "linux")]
#[test]
fn stdout_on_a_full_disk_exits_1_with_a_message_not_a_panic() {
    let p = scratch("full.toml", GOOD);
    for args in printing_commands(&p) {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = bin().args(&args).stdout(full).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.contains("writing to stdout") && err.contains("No space left"),
            "{args:?}: {err}"
        );
    }
    // The shipped scenario of the issue.
    let stage1 = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/stage1.toml");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = bin().args(["check", stage1]).stdout(full).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn a_closed_stdout_ends_the_program_quietly_with_exit_0() {
    let p = scratch("closed.toml", GOOD);
    let mut calls = printing_commands(&p);
    calls.push(vec![concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/stage1.toml"
    )
    .into()]);
    calls.push(vec!["--help".into()]);
    for args in calls {
        let mut child = bin()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before anything is written (`| head -c 0`).
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
    // `| head -c 10`: the reader takes a little, then goes away.
    let mut child = bin()
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/stage1.toml"
        ))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[cfg(target_os = "linux")]
#[test]
fn stderr_on_a_full_disk_keeps_the_exit_code() {
    let bad = scratch("bad-full.toml", &GOOD.replace("rate = 200", "rate = = 200"));
    let good = scratch("good-full.toml", GOOD);
    let cases: Vec<(Vec<String>, i32)> = vec![
        (vec![bad.display().to_string()], 2),
        (vec!["check".into(), bad.display().to_string()], 2),
        (vec!["compare".into(), bad.display().to_string()], 2),
        (vec!["--no-such-flag".into()], 2),
        (
            vec![
                good.display().to_string(),
                "--json".into(),
                "-".into(),
                "--set".into(),
                "run.duration=2s".into(),
                "--set".into(),
                "run.warmup=0s".into(),
            ],
            0,
        ),
    ];
    for (args, code) in cases {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = bin().args(&args).stderr(full).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
    }
}

/// The class stays fixed: no `print!`-family macro (they panic when the write fails) and no
/// direct write to `stdout()` in the command's sources outside `out.rs`.
#[test]
fn the_command_prints_only_through_its_output_module() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("crates/cli/src"), root.join("src")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 5, "{files:?}");
    let mut found = Vec::new();
    for f in files.iter().filter(|f| !f.ends_with("out.rs")) {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for bad in [
                "print!(",
                "println!(",
                "eprint!(",
                "eprintln!(",
                "dbg!(",
                "io::stdout().lock",
                "io::stdout().write",
            ] {
                let hit = code.match_indices(bad).any(|(at, _)| {
                    // `outp!(`/`errp!(` and friends are fine; a bare `print!(` is not.
                    !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                if hit {
                    found.push(format!("{}:{}: {line}", f.display(), i + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "print outside out.rs:\n{}",
        found.join("\n")
    );
}

// ---- Output paths (issue 11 item 15) ----

/// `simulate ARGS` exits 2 at once, naming `needles` on stderr, with nothing on stdout.
fn refused_before_running(args: &[&str], needles: &[&str]) {
    let t0 = std::time::Instant::now();
    let out = bin().args(args).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: expected `{n}` in:\n{err}");
    }
    assert!(err.contains("nothing was simulated"), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}: something ran");
    assert!(
        t0.elapsed().as_secs() < 5,
        "{args:?}: took {:?}",
        t0.elapsed()
    );
}

#[test]
fn output_paths_are_checked_before_anything_runs() {
    let p = scratch("outputs.toml", GOOD);
    let dir = crate::common::scratch_dir("cli", "outputs");
    let f = p.display().to_string();
    let d = dir.display().to_string();
    let before = std::fs::read_to_string(&p).unwrap();
    // A long run: were anything simulated, the test would notice the time.
    let long = ["--set", "run.duration=2h"];
    let with = |a: &[&str]| -> Vec<String> {
        a.iter().chain(long.iter()).map(|s| s.to_string()).collect()
    };
    let cases: Vec<(Vec<String>, Vec<String>)> = vec![
        (
            with(&[&f, "--csv", "/nonexistent-dir/x.csv"]),
            vec![
                "--csv /nonexistent-dir/x.csv".into(),
                "does not exist".into(),
            ],
        ),
        (
            with(&[&f, "--json", &d]),
            vec![format!("--json {d}"), "is a folder".into()],
        ),
        (
            with(&[&f, "--html", "/proc/archsim-x.html"]),
            vec!["--html /proc/archsim-x.html".into(), "cannot write".into()],
        ),
        (
            with(&[&f, "--json", &f]),
            vec![format!("--json {f}"), "scenario file".into()],
        ),
        (
            with(&[
                &f,
                "--csv",
                &format!("{d}/same.out"),
                "--html",
                &format!("{d}/./same.out"),
            ]),
            vec!["--csv".into(), "--html".into(), "the same file".into()],
        ),
        (
            with(&["compare", &f, &f, "--json", &f]),
            vec![format!("--json {f}"), "scenario file".into()],
        ),
        (
            with(&[
                "sweep",
                &f,
                "--set",
                "traffic.rate=1,2",
                "--csv",
                "/nonexistent-dir/s.csv",
            ]),
            vec!["--csv /nonexistent-dir/s.csv".into()],
        ),
        (
            with(&[
                "capacity",
                &f,
                "--slo",
                "p99<50ms",
                "--csv",
                "/nonexistent/x.csv",
            ]),
            vec!["--csv /nonexistent/x.csv".into(), "does not exist".into()],
        ),
    ];
    for (args, needles) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        refused_before_running(&args, &needles);
    }
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        before,
        "the scenario was overwritten"
    );
    // The probe of each folder leaves nothing behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_output_loses_neither_the_others_nor_the_summary() {
    let p = scratch("one-fails.toml", GOOD);
    let dir = crate::common::scratch_dir("cli", "one-fails");
    let json = dir.join("r.json");
    let html = dir.join("r.html");
    let short = ["--set", "run.duration=3s", "--set", "run.warmup=0s"];
    for cmd in [vec![], vec!["compare"]] {
        let _ = std::fs::remove_file(&json);
        let _ = std::fs::remove_file(&html);
        let out = bin()
            .args(&cmd)
            .arg(&p)
            .args(short)
            // /dev/full passes the check (a device is written in place), then fails.
            .args(["--csv", "/dev/full", "--json"])
            .arg(&json)
            .arg("--html")
            .arg(&html)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{cmd:?}: {err}");
        assert!(err.contains("--csv") && err.contains("/dev/full"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("p99"),
            "no summary"
        );
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).expect("the JSON was written")).unwrap();
        assert!(v.is_object() || v.is_array());
        assert!(std::fs::read_to_string(&html).unwrap().contains("<html"));
    }
}

// ---- Terminal escapes in user strings (issue 11 item 16) ----

#[test]
fn control_characters_in_names_are_escaped_in_the_text() {
    // A title-setting OSC sequence and a colour in the name (component names are refused
    // unless letters, digits, `_` or `-`).
    let text = format!("name = \"evil\\u001b]0;pwned\\u0007\\u001b[31mred\"\n{GOOD}");
    let p = scratch("escapes.toml", &text);
    let check = bin().arg("check").arg(&p).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let short = ["--set", "run.duration=2s", "--set", "run.warmup=0s"];
    for args in [
        vec![p.display().to_string()],
        vec!["compare".into(), p.display().to_string()],
        vec![
            "sweep".into(),
            p.display().to_string(),
            "--set".into(),
            "traffic.rate=50,100".into(),
        ],
    ] {
        let out = bin().args(&args).args(short).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            !out.stdout.iter().any(|&b| b == 0x1b || b == 0x07),
            "{args:?}: raw control bytes in:\n{shown}"
        );
        assert!(
            shown.contains("evil\\u{1b}]0;pwned\\u{7}\\u{1b}[31mred"),
            "{args:?}:\n{shown}"
        );
    }
    // The JSON keeps the name as it is (JSON escapes it).
    let out = bin()
        .arg(&p)
        .args(short)
        .args(["--json", "-"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scenario"], "evil\u{1b}]0;pwned\u{7}\u{1b}[31mred");
    // Errors that quote what was typed are escaped too.
    let out = bin()
        .arg(&p)
        .args(["--set", "traffic.entry=\"\u{1b}[2J\""])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.contains(&0x1b), "{}", stderr(&out));
    assert!(stderr(&out).contains("\\u{1b}[2J"), "{}", stderr(&out));
    let out = bin().arg(&p).arg("--bogus\u{1b}[2J").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.contains(&0x1b), "{}", stderr(&out));
}

// ---- Temporary files of the final write (issue 11 item 17) ----

#[test]
fn partial_files_of_dead_processes_are_removed_on_the_next_write() {
    let p = scratch("partials.toml", GOOD);
    let dir = crate::common::scratch_dir("cli", "partials");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
    let make = |name: &str, aged: bool| {
        let f = std::fs::File::create(dir.join(name)).unwrap();
        if aged {
            f.set_modified(old).unwrap();
        }
    };
    // Left by a process that is gone (no such PID), long ago: removed.
    make(".r.json.simulate-partial-999999999.tmp", true);
    make(".other.csv.simulate-partial-999999998.tmp", true);
    // A live process (this test), or a fresh file: kept.
    let live = format!(".r.json.simulate-partial-{}.tmp", std::process::id());
    make(&live, true);
    make(".r.json.simulate-partial-999999997.tmp", false);
    // Not ours: kept.
    make(".r.json.12345.tmp", true);
    let out = bin()
        .arg(&p)
        .args([
            "--set",
            "run.duration=2s",
            "--set",
            "run.warmup=0s",
            "--json",
        ])
        .arg(dir.join("r.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut want = vec![
        ".r.json.12345.tmp".to_string(),
        ".r.json.simulate-partial-999999997.tmp".to_string(),
        live,
        "r.json".to_string(),
    ];
    want.sort();
    assert_eq!(left, want);
}

// ---- `--fail-on-slo` (issue 12 item 11) ----

#[test]
fn fail_on_slo_exits_3_after_writing_every_output() {
    let slo = |latency: &str| format!("{GOOD}\n[slo]\nlatency = \"{latency}\"\ntarget = 0.99\n");
    let missed = scratch("slo-missed.toml", &slo("1ms"));
    let met = scratch("slo-met.toml", &slo("10s"));
    let none = scratch("slo-none.toml", GOOD);
    let dir = crate::common::scratch_dir("cli", "fail-on-slo");
    let short = ["--set", "run.duration=3s", "--set", "run.warmup=0s"];
    let run = |args: &[&std::ffi::OsStr]| bin().args(args).args(short).output().unwrap();
    let os = |s: &str| std::ffi::OsString::from(s);
    let (m, k, n) = (
        missed.as_os_str().to_owned(),
        met.as_os_str().to_owned(),
        none.as_os_str().to_owned(),
    );
    let json = dir.join("r.json").into_os_string();
    let flag = os("--fail-on-slo");
    let cases: Vec<(Vec<std::ffi::OsString>, i32)> = vec![
        (vec![m.clone()], 0),
        (vec![m.clone(), flag.clone(), os("--json"), json.clone()], 3),
        (vec![k.clone(), flag.clone()], 0),
        (vec![n.clone(), flag.clone()], 2),
        (vec![os("compare"), k.clone(), m.clone(), flag.clone()], 3),
        (vec![os("compare"), k.clone(), n.clone(), flag.clone()], 0),
        (vec![os("compare"), k.clone(), m.clone()], 0),
        (
            vec![
                os("sweep"),
                k.clone(),
                flag.clone(),
                os("--set"),
                os("slo.latency=\"1ms\",\"10s\""),
            ],
            3,
        ),
        (
            vec![
                os("sweep"),
                k.clone(),
                flag.clone(),
                os("--set"),
                os("traffic.rate=50,100"),
            ],
            0,
        ),
    ];
    for (args, code) in &cases {
        let _ = std::fs::remove_file(&json);
        let a: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_os_str()).collect();
        let out = run(&a);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        match code {
            3 => {
                assert!(err.contains("--fail-on-slo"), "{err}");
                assert!(String::from_utf8_lossy(&out.stdout).contains("p99"));
            }
            2 => {
                assert!(err.contains("no [slo]"), "{err}");
                assert!(out.stdout.is_empty());
            }
            _ => {}
        }
        if args.contains(&json) {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&json).expect("JSON written")).unwrap();
            assert_eq!(v["slo"]["met"], false);
        }
    }
}

// ---- Shell completions (issue 12 item 10) ----

#[test]
fn completions_print_a_script_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("simulate"), "{shell}:\n{script}");
        for sub in ["check", "compare", "sweep", "capacity"] {
            assert!(script.contains(sub), "{shell}: no `{sub}` in:\n{script}");
        }
        assert!(script.contains("fail-on-slo"), "{shell}: options too");
    }
    let out = bin().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bash"), "{}", stderr(&out));
}

// ---- Colour on a terminal only (issue 12 item 14) ----

#[test]
fn colour_only_when_asked_for_or_on_a_terminal_and_never_with_no_color() {
    let missed = scratch(
        "colour.toml",
        &format!("{GOOD}\n[slo]\nlatency = \"1ms\"\ntarget = 0.99\n"),
    );
    let short = ["--set", "run.duration=3s", "--set", "run.warmup=0s"];
    let run = |env: &[(&str, &str)]| {
        let mut c = bin();
        c.arg(&missed).args(short).env_remove("NO_COLOR");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // A pipe: plain, byte for byte the same with NO_COLOR (apart from the wall time).
    let wall = |o: &Output| {
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        let first = s.find('\n').unwrap();
        s[first..].to_string()
    };
    let plain = run(&[]);
    assert!(!plain.stdout.contains(&0x1b));
    assert!(String::from_utf8_lossy(&plain.stdout).contains(": MISSED"));
    assert_eq!(wall(&plain), wall(&run(&[("NO_COLOR", "1")])));
    // Forced (as a terminal would get it): MISSED is red.
    let forced = run(&[("CLICOLOR_FORCE", "1")]);
    assert!(
        String::from_utf8_lossy(&forced.stdout).contains(": \x1b[1;31mMISSED\x1b[0m"),
        "{}",
        String::from_utf8_lossy(&forced.stdout)
    );
    // NO_COLOR wins.
    let both = run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!both.stdout.contains(&0x1b));
    // Errors on stderr.
    let bad = scratch(
        "colour-bad.toml",
        &GOOD.replace("rate = 200", "rate = = 200"),
    );
    let out = bin()
        .arg(&bad)
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(
        stderr(&out).starts_with("\x1b[1;31merror:\x1b[0m"),
        "{}",
        stderr(&out)
    );
    let out = bin().arg(&bad).output().unwrap();
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
}

/// Serde's words ("invalid type", "expected f64") never reach a user: each type error names
/// the key by its dotted path, what to write there with an example, and what was got.
#[test]
fn type_errors_say_what_to_write() {
    let text = GOOD.replace("rate = 200", "rate = \"100\"");
    expect_invalid(
        "rate-string.toml",
        &text,
        line_of(&text, "rate = \"100\""),
        "traffic.rate must be a number of requests per second, like 900; got the string \"100\"",
    );
    let text = GOOD.replace("cpu = \"exp(5ms)\"", "cpu = 5");
    expect_invalid(
        "cpu-number.toml",
        &text,
        line_of(&text, "cpu = 5"),
        "components.app.endpoints.default.cpu must be a duration or a distribution, like \"5ms\" or \"exp(5ms)\"; got 5",
    );
    let p = scratch("users-word.toml", GOOD);
    let out = bin()
        .arg("check")
        .arg(&p)
        .args(["--set", "traffic.users=abc"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "traffic.users must be a whole number of users, like 500; got the string \"abc\""
        ),
        "{err}"
    );
    assert!(err.contains("(from --set traffic.users=abc)"), "{err}");
    for word in [
        "invalid type",
        "expected i64",
        "expected f64",
        "expected a string",
    ] {
        assert!(!err.contains(word), "{err}");
    }
}

/// Durations may be compound (`"1h30m"`, `"2m30s"`, `"1m0.5s"`), units from largest to
/// smallest; anything else is refused with a located message that shows the form.
#[test]
fn compound_durations() {
    let text = GOOD
        .replace("duration = \"20s\"", "duration = \"1m0.5s\"")
        .replace("warmup = \"2s\"", "warmup = \"0m2s\"")
        .replace("exp(5ms)", "exp(1ms500us)");
    let p = scratch("compound.toml", &text);
    let out = bin()
        .arg("check")
        .arg(&p)
        .args(["--set", "traffic.timeout=1h30m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for bad in ["30m1h", "1h1h"] {
        let text = GOOD.replace("duration = \"20s\"", &format!("duration = \"{bad}\""));
        expect_invalid(
            &format!("compound-{bad}.toml"),
            &text,
            line_of(&text, bad),
            "units go from largest to smallest, each once",
        );
    }
}

/// A problem in a `--set` value points at the `--set`, not at a place in the file (the end
/// of the file or a blank line where the override landed); `replicas` on a service is one
/// error, not a second one about databases.
#[test]
fn set_errors_point_at_the_set() {
    let p = scratch("set-place.toml", GOOD);
    for arg in [
        "components.app.coers=3",
        "traffic.users=abc",
        "components.extra.cores=2",
    ] {
        let out = bin()
            .arg("check")
            .arg(&p)
            .args(["--set", arg])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("error: {}: ", p.display())),
            "no file position for {arg}:\n{err}"
        );
        assert!(err.contains(&format!("(from --set {arg})")), "{err}");
    }
    let out = bin()
        .arg("check")
        .arg(&p)
        .args(["--set", "components.app.replicas=2"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("`replicas` does not apply to a component of kind \"service\""),
        "{err}"
    );
    assert!(!err.contains("database with"), "{err}");
}

/// Where only a fixed duration is allowed, a distribution is refused with a message saying a
/// fixed duration is needed (not one listing distribution syntax as valid); `const(5ms)` is a
/// fixed duration.
#[test]
fn fixed_duration_where_a_distribution_is_given() {
    let text = GOOD.replace("rate = 200", "rate = 200\ntimeout = \"exp(5ms)\"");
    expect_invalid(
        "timeout-dist.toml",
        &text,
        line_of(&text, "timeout"),
        "traffic.timeout must be a fixed duration, like \"30s\"",
    );
    let p = scratch("timeout-dist.toml", &text);
    let err = stderr(&bin().arg("check").arg(&p).output().unwrap());
    assert!(!err.contains("uniform("), "{err}");
    let p = scratch("timeout-const.toml", GOOD);
    let out = bin()
        .arg("check")
        .arg(&p)
        .args(["--set", "traffic.timeout=const(5ms)"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A file that is not UTF-8 is invalid input (exit 2) located at its first bad byte; a
/// control character in a comment gives a located message that says what is wrong.
#[test]
fn non_utf8_and_control_characters_are_located() {
    let dir = crate::common::tmp_root().join(format!("archsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("latin1.toml");
    let mut bytes = GOOD.as_bytes().to_vec();
    let at = GOOD.find("rate = 200").unwrap() + "rate = 200".len();
    bytes.splice(at..at, b" # caf\xe9".iter().copied());
    std::fs::write(&p, &bytes).unwrap();
    for args in [vec![], vec!["check"]] {
        let out = bin().args(&args).arg(&p).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        let loc = format!("{}:{}:17: ", p.display(), line_of(GOOD, "rate = 200"));
        assert!(err.contains(&loc), "{loc} in\n{err}");
        assert!(err.contains("not UTF-8"), "{err}");
    }
    for c in ['\u{0}', '\u{f}'] {
        let text = GOOD.replace("rate = 200", &format!("rate = 200 # a{c}b"));
        expect_invalid(
            "control.toml",
            &text,
            line_of(&text, "rate = 200"),
            &format!("control character U+{:04X} is not allowed", c as u32),
        );
    }
}

/// Valid TOML for the same data is accepted: calls as `[[...calls]]` tables. A table written
/// as an array of tables (`[[run]]`) is refused in plain words.
#[test]
fn array_of_tables_forms() {
    let text = GOOD.replace(
        "calls = [\"db\"]",
        "[[components.app.endpoints.default.calls]]\nto = \"db\"",
    );
    let p = scratch("calls-tables.toml", &text);
    let out = bin().arg(&p).args(["--json", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["components"]["db"]["served"].as_u64().unwrap() > 0);
    let text = GOOD.replace("[run]", "[[run]]");
    expect_invalid(
        "run-array.toml",
        &text,
        line_of(&text, "[[run]]"),
        "`run` must be a table, written [run], not an array of tables ([[run]])",
    );
    let text = format!("{GOOD}\n[[traffic.classes.a]]\nweight = 1\n");
    expect_invalid(
        "class-array.toml",
        &text,
        line_of(&text, "[[traffic.classes.a]]"),
        "`traffic.classes.a` must be a table",
    );
}

/// A seed beyond `run.seed`'s range is refused as `--seed` (exit 2), not as a `--set`
/// nobody typed; a directory given as the scenario is invalid input (exit 2) with a clear
/// message, like a missing file.
#[test]
fn out_of_range_seed_and_a_directory_as_scenario() {
    let p = scratch("seed.toml", GOOD);
    for seed in ["18446744073709551615", "9223372036854775808"] {
        for cmd in [vec![], vec!["sweep"]] {
            let out = bin()
                .args(&cmd)
                .arg(&p)
                .args(["--seed", seed])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
            let err = stderr(&out);
            assert!(err.contains("--seed"), "{err}");
            assert!(
                !err.contains("--set") && !err.contains("run.seed="),
                "{err}"
            );
        }
    }
    let out = bin()
        .arg("check")
        .arg(&p)
        .args(["--set", "run.seed=9223372036854775807"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = p.parent().unwrap().join("a-folder");
    std::fs::create_dir_all(&dir).unwrap();
    for (cmd, extra) in [
        (vec![], vec![]),
        (vec!["check"], vec![]),
        (vec!["sweep"], vec!["--set", "traffic.rate=100,200"]),
        (vec!["capacity"], vec![]),
    ] {
        let out = bin().args(&cmd).arg(&dir).args(&extra).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "{} is a directory, not a scenario file",
                dir.display()
            )),
            "{cmd:?}: {err}"
        );
    }
}

/// `check` is near-linear in the number of components calling one component (it was
/// quadratic: 40,000 callers took over 20 s); 50,000 callers check at once.
#[test]
fn fifty_thousand_callers_of_one_component_check() {
    let mut text = String::from(
        "[run]\nduration = \"10s\"\n[traffic]\nentry = \"c0\"\nrate = 10\n\
         [components.db]\nkind = \"database\"\n",
    );
    for i in 0..50_000 {
        text.push_str(&format!(
            "[components.c{i}]\nkind = \"service\"\n\
             [components.c{i}.endpoints.default]\ncalls = [{{ to = \"db\" }}]\n"
        ));
    }
    let sc = archsim::scenario::from_str(&text, "callers.toml", &[]).unwrap();
    assert_eq!(sc.spec.components.len(), 50_001);
}

/// Every by-name reference `check` resolves goes through the name index: balancer targets,
/// fault targets and peers, restarts (it was quadratic: 25,000 balancers and 10,000
/// partitions took 6.7 s of CPU in release, now 0.4 s).
#[test]
fn fifty_thousand_components_referring_by_name_check() {
    let mut text =
        String::from("[run]\nduration = \"10s\"\n[traffic]\nentry = \"lb0\"\nrate = 10\n");
    for i in 0..25_000 {
        text.push_str(&format!(
            "[components.lb{i}]\nkind = \"load_balancer\"\ntargets = \"s{i}\"\n\
             [components.s{i}]\nkind = \"service\"\nrestart = \"1s\"\n"
        ));
    }
    for i in 0..10_000 {
        text.push_str(&format!(
            "[[faults]]\nkind = \"partition\"\ntarget = \"lb{i}\"\npeer = \"s{i}\"\n\
             at = \"1s\"\nfor = \"1s\"\n"
        ));
    }
    let t0 = std::time::Instant::now();
    let sc = archsim::scenario::from_str(&text, "refs.toml", &[]).unwrap();
    assert_eq!(sc.spec.components.len(), 50_000);
    assert_eq!(sc.spec.faults.len(), 10_000);
    // Generous for a debug build on a busy machine; quadratic took minutes there.
    assert!(t0.elapsed().as_secs() < 60, "{:?}", t0.elapsed());
}

/// Components in more regions than a run can number are refused by `check` (the pairs of
/// regions it checks for a latency would be quadratic in them).
#[test]
fn more_than_254_component_regions_are_refused() {
    let mut text =
        String::from("[run]\nduration = \"10s\"\n[traffic]\nentry = \"c0\"\nrate = 10\n");
    for i in 0..300 {
        text.push_str(&format!(
            "[components.c{i}]\nkind = \"service\"\nregion = \"r{i}\"\n"
        ));
    }
    let Err(err) = archsim::scenario::from_str(&text, "regions.toml", &[]) else {
        panic!("300 regions accepted");
    };
    let err = err.to_string();
    assert!(
        err.contains("components are in 300 regions; at most 254"),
        "{err}"
    );
}
