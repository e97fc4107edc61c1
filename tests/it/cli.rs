//! The `simulate` command as a user meets it: exit codes and error messages.

use crate::common::{bin, line_of};
use std::path::PathBuf;
use std::process::{Command, Output};

/// A scratch file holding `text`, unique per test.
fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("archsim-cli-{}", std::process::id()));
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
    assert!(err.contains("unknown key `bogus` in components.lb (a load_balancer); its keys are: kind, description, instances, balance, targets, policy, restart, region, health_check, cost_per_hour"), "{err}");
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
    // An unwritable path fails with exit 1 and leaves nothing.
    let out = bin()
        .arg(&p)
        .arg("--json")
        .arg("/nonexistent-dir/result.json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
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
    let dir = std::env::temp_dir().join(format!("archsim-cli-{}", std::process::id()));
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
