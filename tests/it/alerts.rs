//! Alert rules (issue 14 item 5): the shipped scenario's alerts and time to detect, their
//! replications, the located messages of bad rules, and `--alerts-rules`.

use crate::common::{bin, file, line_of, ok, scratch_dir};
use archsim::scenario::{from_str, ScenarioError};

const SHIPPED: &str = "scenarios/failures/alerts-db-slowdown.toml";

fn shipped_text() -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SHIPPED)).unwrap()
}

#[test]
fn the_shipped_scenario_detects_its_incident_and_one_alert_never_fires() {
    let r = file(SHIPPED, &[]);
    let alerts = r
        .alerts
        .as_ref()
        .expect("a scenario with [[alerts]] lists them");
    let named = |n: &str| alerts.iter().find(|a| a.name == n);
    // The slowdown starts at 120 s and ends at 180 s.
    let db = named("DbSaturated").expect("DbSaturated fires");
    assert!(db.fired_at_s > 120.0 && db.fired_at_s <= 140.0, "{db:?}");
    assert!(db.resolved_at_s.is_some_and(|t| t > 180.0), "{db:?}");
    assert!(db.peak > 0.9 && db.peak <= 1.0);
    assert!(named("AppRejecting").is_none(), "{alerts:?}");
    assert!(alerts.iter().all(|a| a.replication == 1));
    // Time to detect: the first alert within the incident.
    let c = &r.cascades[0];
    let d = c.detection.as_ref().expect("detection with rules");
    let first = alerts
        .iter()
        .map(|a| a.fired_at_s)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(d.detected_at_s, Some(first));
    assert_eq!(d.time_to_detect_s, Some(first - c.trigger.start_s));
    let summary = r.summary();
    assert!(
        summary.contains(&format!(
            "detected by alert {} {:.1}s after it began",
            d.detected_by.as_deref().unwrap(),
            first - 120.0
        )),
        "{summary}"
    );
    let line = format!(
        "\nalerts       {} {:.1}s-{:.1}s, ",
        alerts[0].name,
        alerts[0].fired_at_s,
        alerts[0].resolved_at_s.unwrap()
    );
    assert!(summary.contains(&line), "{summary}");
    // Firing and resolving are typed timeline entries, named by the alert.
    let firing: Vec<_> = r
        .timeline
        .iter()
        .filter(|e| e.event == "alert_firing")
        .collect();
    assert_eq!(firing.len(), alerts.len());
    assert!(firing
        .iter()
        .all(|e| e.category == archsim::stats::Category::Alert));
    // The JSON keeps the contract's keys and names the replication.
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    let a = &json["alerts"][0];
    for k in ["name", "fired_at_s", "resolved_at_s", "peak", "replication"] {
        assert!(a.get(k).is_some(), "{k}: {a}");
    }
    assert!(json["cascades"][0]["time_to_detect_s"].is_number());
}

#[test]
fn an_incident_no_alert_catches_says_so() {
    // Only the rule that never fires.
    let text = shipped_text();
    let cut = text.find("\n[[alerts]]\n").unwrap() + 1;
    let text = format!(
        "{}[[alerts]]\nname = \"AppRejecting\"\ncomponent = \"app\"\nseries = \"errors\"\nabove = 1.0\nfor = \"30s\"\n",
        &text[..cut]
    );
    let r = from_str(&text, "one.toml", &[]).unwrap().run().unwrap();
    assert_eq!(r.alerts.as_deref(), Some(&[][..]));
    let d = r.cascades[0].detection.as_ref().unwrap();
    assert_eq!(d.detected_by, None);
    let summary = r.summary();
    assert!(summary.contains("; no alert fired during this incident"));
    assert!(summary.contains("\nalerts       none fired\n"), "{summary}");
    let json = r.to_json().unwrap();
    assert!(json.contains("\"alerts\": []"), "{json}");
    assert!(json.contains("\"time_to_detect_s\": null"));
}

#[test]
fn alerts_are_evaluated_per_replication_and_name_it() {
    let r = file(SHIPPED, &["run.replications=2", "run.seed=7"]);
    let alerts = r.alerts.as_ref().unwrap();
    for rep in [1, 2] {
        assert!(
            alerts
                .iter()
                .any(|a| a.replication == rep && a.name == "DbSaturated"),
            "{alerts:?}"
        );
    }
    // In order of firing.
    assert!(alerts
        .windows(2)
        .all(|w| w[0].fired_at_s <= w[1].fired_at_s));
    // The timeline says which replication an entry comes from, as for every event.
    assert!(r
        .timeline
        .iter()
        .any(|e| e.event == "alert_firing" && e.detail.ends_with("(replication 2)")));
}

/// Each bad rule is reported at its place, all at once, with what to write.
#[test]
fn bad_rules_get_located_messages() {
    let base = shipped_text();
    let cut = base.find("\n[[alerts]]\n").unwrap() + 1;
    let rules = r#"[[alerts]]
name = "A"
component = "nope"
series = "utilization"
above = 0.9

[[alerts]]
name = "A"
component = "db"
series = "latency"
above = 1

[[alerts]]
name = "C"
component = "db"
series = "p99"
above = "1s"

[[alerts]]
name = "D"
component = "app"
series = "hit_ratio"
below = 0.5

[[alerts]]
name = "E"
component = "lb"
series = "utilization"
above = 0.5

[[alerts]]
name = "F"
component = "db"
series = "queue"
above = 5
for = "-5s"

[[alerts]]
name = "G"
class = "nope"
series = "error_rate"
above = 0.1

[[alerts]]
name = "H"
component = "db"
series = "queue"
above = 5
below = 1

[[alerts]]
name = "I"
component = "db"
series = "queue"
above = 5
long = "1m"

[[alerts]]
name = "J"
burn_rate = "fast"
component = "db"
"#;
    let text = format!("{}{rules}", &base[..cut]);
    let Err(ScenarioError::Invalid(ds)) = from_str(&text, "bad.toml", &[]) else {
        panic!("accepted");
    };
    let all: Vec<String> = ds.iter().map(|d| d.to_string()).collect();
    let has = |line_pat: &str, msg: &str| {
        let line = line_of(&text, line_pat);
        assert!(
            all.iter()
                .any(|d| d.starts_with(&format!("bad.toml:{line}:")) && d.contains(msg)),
            "no `{msg}` at line {line}: {all:#?}"
        );
    };
    has("component = \"nope\"", "`nope` is not a component");
    has(
        "series = \"latency\"",
        "unknown series \"latency\"; expected one of",
    );
    has(
        "component = \"db\"\nseries = \"p99\"",
        "is a series of requests, not of a component",
    );
    has(
        "series = \"hit_ratio\"",
        "`app` is a service, which has no `hit_ratio` series",
    );
    has(
        "series = \"utilization\"\nabove = 0.5",
        "`lb` has no `cores`",
    );
    has("for = \"-5s\"", "alerts.for");
    has("class = \"nope\"", "`nope` is not a request class");
    has("below = 1", "`above` or `below`, not both");
    has("long = \"1m\"", "`long` applies to burn-rate alerts only");
    let last = text.rfind("component = \"db\"").unwrap();
    let last_line = text[..last].matches('\n').count() + 1;
    assert!(
        all.iter()
            .any(|d| d.starts_with(&format!("bad.toml:{last_line}:"))
                && d.contains("`component` does not apply to a burn-rate alert")),
        "{all:#?}"
    );
    let dup = text.match_indices("name = \"A\"").nth(1).unwrap().0;
    let dup_line = text[..dup].matches('\n').count() + 1;
    assert!(
        all.iter()
            .any(|d| d.starts_with(&format!("bad.toml:{dup_line}:")) && d.contains("defined twice")),
        "{all:#?}"
    );
    // A burn-rate alert needs [slo]; threshold keys do not apply to it.
    let no_slo = base.replace("[slo]\nlatency = \"100ms\"\ntarget = 0.999\n", "");
    let Err(ScenarioError::Invalid(ds)) = from_str(&no_slo, "noslo.toml", &[]) else {
        panic!("accepted without [slo]");
    };
    let line = line_of(&no_slo, "burn_rate = \"fast\"");
    assert!(
        ds.iter()
            .any(|d| d.line == line && d.message.contains("needs [slo]")),
        "{ds:?}"
    );
    // The command says where, and exits 2 without simulating.
    let dir = scratch_dir("alerts", "bad");
    let path = dir.join("bad.toml");
    std::fs::write(&path, &text).unwrap();
    let o = bin().arg(&path).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing was simulated"));
}

#[test]
fn alerts_rules_are_written_atomically_and_checked_before_the_run() {
    let dir = scratch_dir("alerts", "rules");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = root.join(SHIPPED);
    let out = dir.join("rules.yml");
    let o = bin()
        .arg(&scenario)
        .args(["--set", "run.duration=150s"])
        .arg("--alerts-rules")
        .arg(&out)
        .output()
        .unwrap();
    ok(&o);
    let y = std::fs::read_to_string(&out).unwrap();
    assert!(y.starts_with("# Prometheus alerting rules"), "{y}");
    assert!(y.contains("groups:\n  - name: \"archsim-alerts-db-slowdown\"\n    interval: 5s\n"));
    assert_eq!(y.matches("      - alert: ").count(), 5);
    assert!(y.contains("archsim_requests_slow_total"));
    // Nothing but the rules file beside it (no temporary file left).
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // An unwritable path: exit 2 before anything runs.
    let o = bin()
        .arg(&scenario)
        .arg("--alerts-rules")
        .arg(dir.join("missing/rules.yml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--alerts-rules") && err.contains("does not exist"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
    // A scenario without [[alerts]]: exit 2, nothing simulated.
    let o = bin()
        .arg(root.join("scenarios/failures/spof-database.toml"))
        .arg("--alerts-rules")
        .arg(dir.join("none.yml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has no [[alerts]]"));
    assert!(!dir.join("none.yml").exists());
}
