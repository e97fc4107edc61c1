//! Review of the compare suite: unique HTML ids when folder names collide once sanitized,
//! the seed line of the page when the first question overloads, notes on stderr for folders
//! nested too deep to be questions and for scenarios that set their own seeds.

use crate::common::{bin, ok, scratch_dir};
use std::path::Path;

/// A small scenario named `name` (two classes, 5 s), with extra `[run]` lines.
fn scenario(dir: &Path, file: &str, name: &str, run: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join(file),
        format!(
            r#"name = "{name}"
[run]
duration = "5s"
{run}
[traffic]
entry = "app"
rate = 200
[traffic.classes.one]
weight = 0.5
[traffic.classes.two]
weight = 0.5
[components.app]
kind = "service"
cores = 2
[components.app.endpoints.default]
cpu = "exp(1ms)"
"#
        ),
    )
    .unwrap();
}

fn ids(html: &str) -> Vec<&str> {
    html.match_indices("id=\"")
        .map(|(i, _)| {
            let rest = &html[i + 4..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

#[test]
fn question_folders_whose_names_sanitize_alike_get_distinct_ids() {
    let d = scratch_dir("suite-review", "ids");
    scenario(&d.join("a b"), "x.toml", "x", "");
    scenario(&d.join("a-b"), "y.toml", "y", "");
    let html = d.join("page.html");
    let out = bin()
        .arg("compare")
        .arg(&d)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    ok(&out);
    let page = std::fs::read_to_string(&html).unwrap();
    let all = ids(&page);
    let mut uniq = all.clone();
    uniq.sort_unstable();
    uniq.dedup();
    assert_eq!(all.len(), uniq.len(), "duplicate ids: {all:?}");
    // The first question keeps the plain id; the second one is told apart.
    for id in ["q-a-b", "q-a-b-2", "chart-compare-p99-a-b-2"] {
        assert!(all.contains(&id), "{id} in {all:?}");
    }
}

#[test]
fn the_page_shows_the_seed_when_the_first_question_overloads() {
    let d = scratch_dir("suite-review", "seed-line");
    // 200 requests per second cannot stay under 2 calls in flight.
    scenario(&d.join("a-overloads"), "x.toml", "x", "max_in_flight = 2");
    scenario(&d.join("b-fine"), "y.toml", "y", "");
    let html = d.join("page.html");
    let out = bin()
        .arg("compare")
        .arg(&d)
        .args(["--seed", "5", "--html"])
        .arg(&html)
        .output()
        .unwrap();
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("overload"), "{text}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<p class=\"meta\">seed 5 "), "{page}");
}

#[test]
fn folders_nested_below_a_question_level_are_named_on_stderr() {
    let d = scratch_dir("suite-review", "nested");
    scenario(&d.join("q1"), "x.toml", "x", "");
    scenario(&d.join("group").join("q2"), "y.toml", "y", "");
    let out = bin()
        .arg("compare")
        .arg(&d)
        .args(["--json", "-"])
        .output()
        .unwrap();
    ok(&out);
    // stdout stays pure JSON, with the one question.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["questions"].as_array().unwrap().len(), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    let group = d.join("group");
    assert!(
        err.contains(&format!("note: {} is not a question", group.display())),
        "{err}"
    );
    assert!(!err.contains("q1 is not"), "{err}");
}

#[test]
fn scenarios_with_their_own_seeds_are_named_on_stderr() {
    let d = scratch_dir("suite-review", "seeds");
    scenario(&d.join("q"), "a.toml", "a", "");
    scenario(&d.join("q"), "b.toml", "b", "seed = 7");
    let out = bin().arg("compare").arg(&d).output().unwrap();
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("different run.seed values (1, 7)"), "{err}");
    // The same in the flat comparison of the question folder; --seed makes them alike.
    let out = bin().arg("compare").arg(d.join("q")).output().unwrap();
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("different run.seed"));
    let out = bin()
        .arg("compare")
        .arg(&d)
        .args(["--seed", "3"])
        .output()
        .unwrap();
    ok(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("different run.seed"));
}
