//! Incidents: per-component series, saturation timeline and the cascade verdicts.

use crate::common::{inline, series};

/// An app tier in front of a database; the database crashes for 10 s.
const CRASH: &str = r#"
[run]
duration = "120s"
warmup = "10s"
series_interval = "1s"
[traffic]
entry = "app"
rate = 1000
timeout = "1s"
[components.app]
kind = "service"
instances = 4
cores = 2
workers = 50
queue = 200
[components.app.endpoints.default]
cpu = "exp(2ms)"
calls = ["db"]
[components.db]
kind = "database"
cores = 8
workers = 64
queue = 500
[components.db.endpoints.default]
cpu = "exp(4ms)"
[[faults]]
at = "40.5s"
for = "10s"
target = "db"
kind = "crash"
"#;

#[test]
fn a_crash_that_recovers_at_once() {
    let r = inline(CRASH, &[]);
    assert_eq!(r.cascades.len(), 1, "{:#?}", r.cascades);
    let c = &r.cascades[0];
    assert_eq!(c.trigger.kind, "fault");
    assert_eq!(
        (c.trigger.component.as_str(), c.trigger.event.as_str()),
        ("db", "crash")
    );
    assert_eq!((c.trigger.start_s, c.trigger.end_s), (40.5, Some(50.5)));
    // The database fails every call from the start; the app only passes the errors on.
    let first = &c.crossings[0];
    assert_eq!(
        (first.component.as_str(), first.reason.as_str()),
        ("db", "errors")
    );
    assert_eq!(first.after_s, 0.0);
    assert!(c.crossings.iter().all(|x| x.component != "app"));
    assert!(c
        .crossings
        .iter()
        .any(|x| x.component == "system" && x.event == "errors_high"));
    // Every request fails while the database is down.
    assert!(c.peak_error_rate > 0.99, "{}", c.peak_error_rate);
    assert_eq!(c.verdict, "recovered");
    // Nothing queued up behind the crash: normal within the bucket after the recovery.
    let after = c.recovered_after_s.unwrap();
    assert!((0.0..=1.0).contains(&after), "recovered after {after} s");
    // The derived entries are in the timeline, in time order.
    let at = |event: &str, comp: &str| {
        r.timeline
            .iter()
            .find(|e| e.event == event && e.component == comp)
            .map(|e| e.t_s)
    };
    assert_eq!(at("saturated", "db"), Some(40.5));
    assert_eq!(at("errors_high", "system"), Some(40.5));
    assert!(at("recovered", "db").unwrap() >= 50.5);
    assert!(r.timeline.windows(2).all(|w| w[0].t_s <= w[1].t_s));
    // The summary tells the story.
    let s = r.summary();
    assert!(
        s.contains("incident 1: db crashed at 40.5s for 10s -> db failing +0.0s"),
        "{s}"
    );
    assert!(s.contains("after the trigger ended"), "{s}");
}

/// The per-bucket series add up to the component's totals over the measured window (warm-up
/// and duration are whole buckets), with replications pooled exactly.
#[test]
fn component_series_agree_with_the_totals() {
    for reps in ["1", "3"] {
        let r = inline(CRASH, &[&format!("run.replications={reps}")]);
        let reps: f64 = reps.parse().unwrap();
        let iv = r.series.interval_s;
        let n = r.series.t_s.len();
        let measured = |v: &Vec<Option<f64>>| -> f64 {
            let (from, to) = ((r.warmup_s / iv) as usize, (r.duration_s / iv) as usize);
            v[from..to].iter().map(|x| x.unwrap()).sum::<f64>() / (to - from) as f64
        };
        for comp in ["app", "db"] {
            let c = &r.components[comp];
            let u = series(&r, comp, "utilization");
            let q = series(&r, comp, "queue");
            assert_eq!(u.len(), n);
            assert_eq!(q.len(), n);
            let (mu, total) = (measured(u), c.utilization.unwrap());
            assert!((mu - total).abs() < 1e-9, "{comp}: {mu} vs {total}");
            let (mq, total) = (measured(q), c.mean_queue);
            assert!((mq - total).abs() < 1e-9, "{comp}: {mq} vs {total}");
        }
        // Failures at the database: the calls refused while it was down and those it lost.
        let errors: f64 = series(&r, "db", "errors").iter().map(|x| x.unwrap()).sum();
        let db = &r.components["db"];
        let failed = db.rejected + db.extra["unavailable"].as_u64().unwrap();
        assert!(
            (errors * iv * reps - failed as f64).abs() < 1e-6,
            "{errors} vs {failed}"
        );
        assert!(failed > 9_000, "{failed}");
        // Every request reaches the app once and is answered there.
        let calls: f64 = series(&r, "app", "calls_per_s")
            .iter()
            .map(|x| x.unwrap())
            .sum();
        let app = &r.components["app"];
        assert!((calls * iv * reps - app.served as f64).abs() < 1e-6);
        assert_eq!(app.served, r.requests.generated);
        // Replications run the same fault: one incident.
        assert_eq!(r.cascades.len(), 1);
        assert_eq!(r.cascades[0].verdict, "recovered");
    }
}

/// One server at 85% utilization (1 ms exponential CPU times, 850 requests/s), a waiting room
/// of 2,000 (2 s of work), a 1 s client timeout and retries without backoff; the server keeps
/// working on requests whose client gave up. A slowdown x2 for 20 s fills the room.
const STORM: &str = r#"
[run]
duration = "300s"
warmup = "10s"
series_interval = "1s"
[traffic]
entry = "api"
rate = 850
timeout = "1s"
[traffic.retry]
max = 3
backoff = "0ms"
[components.api]
kind = "service"
cores = 1
queue = 2000
[components.api.endpoints.default]
cpu = "exp(1ms)"
[[faults]]
at = "60s"
for = "20s"
target = "api"
kind = "slow"
factor = 2.0
"#;

#[test]
fn a_retry_storm_outlives_its_trigger() {
    let r = inline(STORM, &[]);
    // By hand: from shortly after the slowdown to the end of traffic, (nearly) every request
    // fails, while the server is as busy as it can be (on abandoned work and retries).
    let u = series(&r, "api", "utilization");
    for (b, t) in r.series.t_s.iter().enumerate() {
        if (65.0..300.0).contains(t) {
            let e = r.series.error_rate[b];
            assert!(e > 0.9, "t = {t}: error rate {e}");
            assert!(u[b].unwrap() > 0.99, "t = {t}: utilization {:?}", u[b]);
        }
    }
    assert_eq!(r.cascades.len(), 1, "{:#?}", r.cascades);
    let c = &r.cascades[0];
    assert_eq!(c.trigger.event, "slow_start");
    assert_eq!(c.crossings[0].component, "api");
    assert_eq!(c.crossings[0].after_s, 0.0);
    assert_eq!(c.verdict, "metastable");
    assert_eq!(c.still_failing_after_s, Some(220.0));
    assert_eq!(c.recovered_after_s, None);
    let s = r.summary();
    assert!(
        s.contains("still failing 220s after the trigger ended: metastable"),
        "{s}"
    );

    // Without the slowdown the same load runs clean: no incident at all.
    let calm = inline(STORM.split("[[faults]]").next().unwrap(), &[]);
    assert!(calm.cascades.is_empty(), "{:#?}", calm.cascades);
    assert_eq!(calm.error_rate, 0.0);
}

#[test]
fn a_retry_budget_with_jittered_backoff_recovers() {
    let sets = [
        "traffic.retry.backoff=\"100ms\"",
        "traffic.retry.jitter=\"full\"",
        "traffic.retry.budget=0.1",
    ];
    let r = inline(STORM, &sets);
    assert_eq!(r.cascades.len(), 1, "{:#?}", r.cascades);
    let c = &r.cascades[0];
    assert_eq!(c.verdict, "recovered");
    // Retries at most 10% of first attempts: 935/s offered against 1000/s served, so the
    // full room (2,000) drains in about 2,000 / 65 = 31 s, while it fails requests.
    let after = c.recovered_after_s.unwrap();
    assert!((5.0..60.0).contains(&after), "recovered after {after} s");
    let normal = c.normal_at_s.unwrap();
    for (b, t) in r.series.t_s.iter().enumerate() {
        if *t >= normal + 5.0 && *t < 300.0 {
            assert!(r.series.error_rate[b] < 0.05, "t = {t}");
        }
    }
}

#[test]
fn a_fault_that_changes_nothing_is_absorbed() {
    // The app runs at 25% utilization; 1.5x slower CPU takes it to 37%.
    let text = CRASH
        .replace("kind = \"crash\"", "kind = \"slow\"\nfactor = 1.5")
        .replace("target = \"db\"", "target = \"app\"");
    let r = inline(&text, &[]);
    assert_eq!(r.cascades.len(), 1, "{:#?}", r.cascades);
    let c = &r.cascades[0];
    assert_eq!(c.trigger.event, "slow_start");
    assert!(c.crossings.is_empty(), "{:#?}", c.crossings);
    assert_eq!(c.verdict, "absorbed");
    assert_eq!(c.peak_error_rate, 0.0);
    assert!(r
        .summary()
        .contains("no threshold crossed, no errors; absorbed"));
}

#[test]
fn a_slow_database_saturates_before_the_app_tier_in_front_of_it() {
    // The database runs at 60% (1,200/s x 2 ms over 4 cores); slowed x2 it can serve
    // 1,000/s. The app's 2 x 100 workers wait on it and fill in about a second, then the
    // app's waiting room grows and overflows.
    let text = r#"
[run]
duration = "120s"
warmup = "10s"
series_interval = "500ms"
[traffic]
entry = "app"
rate = 1200
[components.app]
kind = "service"
instances = 2
cores = 4
workers = 100
queue = 100
[components.app.endpoints.default]
cpu = "exp(1ms)"
calls = ["db"]
[components.db]
kind = "database"
cores = 4
[components.db.endpoints.default]
cpu = "exp(2ms)"
[[faults]]
at = "60s"
for = "30s"
target = "db"
kind = "slow"
factor = 2.0
"#;
    let r = inline(text, &[]);
    assert_eq!(r.cascades.len(), 1, "{:#?}", r.cascades);
    let c = &r.cascades[0];
    let when = |comp: &str| {
        c.crossings
            .iter()
            .find(|x| x.component == comp)
            .unwrap_or_else(|| panic!("{comp} did not cross: {:#?}", c.crossings))
    };
    let (db, app) = (when("db"), when("app"));
    assert_eq!(db.reason, "utilization");
    assert_eq!(db.after_s, 0.0);
    assert!(
        app.after_s >= 0.5 && app.after_s <= 3.0,
        "app crossed at +{} s",
        app.after_s
    );
    // Its waiting room fills, then turns requests away.
    assert!(
        ["queue", "errors"].contains(&app.reason.as_str()),
        "{app:?}"
    );
    let order: Vec<&str> = c.crossings.iter().map(|x| x.component.as_str()).collect();
    let (i_db, i_app) = (
        order.iter().position(|n| *n == "db").unwrap(),
        order.iter().position(|n| *n == "app").unwrap(),
    );
    assert!(i_db < i_app, "{order:?}");
    assert_eq!(c.verdict, "recovered");
}
