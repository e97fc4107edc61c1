//! Operations and resilience faults: partitions, latency faults, region outages, orchestrator
//! restarts, balancer health checks, database failover, rolling deployments and regions.

use crate::common::{file, inline};
use crate::faults::BASE as LB;
use archsim::scenario::from_str;

fn events(r: &archsim::stats::SimResult) -> Vec<(f64, String, String)> {
    r.timeline
        .iter()
        .map(|e| (e.t_s, e.component.clone(), e.event.clone()))
        .collect()
}

/// Seconds (series buckets) in which some request failed.
fn error_seconds(r: &archsim::stats::SimResult) -> usize {
    r.series.error_rate.iter().filter(|e| **e > 0.0).count()
}

const DB: &str = r#"
[run]
duration = "120s"
warmup = "5s"
series_interval = "1s"

[traffic]
entry = "app"
rate = 1000
arrivals = "uniform"
keys = { count = 100000, zipf = 0.0 }
[traffic.classes.read]
weight = 0.8
[traffic.classes.write]
weight = 0.2

[components.app]
kind = "service"
[components.app.endpoints.default]
calls = ["db"]

[components.db]
kind = "database"
cores = 8
[components.db.endpoints.read]
cpu = "exp(1ms)"
[components.db.endpoints.write]
cpu = "exp(2ms)"
"#;

#[test]
fn a_single_primary_crash_is_a_write_outage_for_the_whole_crash() {
    let text = format!(
        "{DB}\n[[faults]]\nat = \"30s\"\nfor = \"20s\"\ntarget = \"db\"\nkind = \"crash\"\n"
    );
    let r = inline(&text, &[]);
    // Every request fails during the crash (reads too: there is no replica).
    let bad = error_seconds(&r);
    assert!(
        (20..=21).contains(&bad),
        "{bad} seconds with errors, crash lasts 20"
    );
    let unavailable = r.errors["unavailable"] as f64;
    assert!(
        (unavailable - 20_000.0).abs() < 50.0,
        "unavailable {unavailable}"
    );
}

fn failover_text(extra: &str) -> String {
    let db = DB.replace(
        "kind = \"database\"\ncores = 8",
        "kind = \"database\"\ncores = 8\nreplicas = 1\nreplication_lag = \"exp(200ms)\"\nfailover = { detect = \"4s\", promote = \"2s\" }",
    );
    format!("{db}{extra}\n[[faults]]\nat = \"30s\"\nfor = \"20s\"\ntarget = \"db[0]\"\nkind = \"crash\"\n")
}

#[test]
fn failover_bounds_the_write_outage_by_detect_plus_promote_and_counts_lost_writes() {
    let r = inline(&failover_text(""), &[]);
    // Writes fail from the crash until the promotion 6 s later; reads go to the replica.
    let write_errors = r.classes["write"].error_rate;
    let bad = error_seconds(&r);
    assert!(
        (6..=7).contains(&bad),
        "{bad} seconds with errors, expected 6 (detect + promote)"
    );
    let unavailable = r.errors["unavailable"] as f64;
    // 200 writes/s for 6 s, plus the few in progress at the crash.
    assert!(
        (unavailable - 1200.0).abs() < 60.0,
        "unavailable {unavailable}"
    );
    assert_eq!(r.classes["read"].error_rate, 0.0);
    assert!(write_errors > 0.0);
    // Writes shipped within the replication lag before the crash never reached the replica:
    // about rate x mean lag = 200/s x 0.2 s = 40.
    let lost = r.components["db"].extra["lost_writes"].as_u64().unwrap() as f64;
    assert!(
        (15.0..80.0).contains(&lost),
        "lost writes {lost}, expected about 40"
    );
    let ev = events(&r);
    let promote = ev.iter().find(|e| e.2 == "promote").expect("a promotion");
    assert_eq!(promote.0, 36.0);
    assert_eq!(promote.1, "db[1]");
    // After the promotion the old primary comes back as a replica: no more errors.
    let after: f64 = r.series.error_rate[40..110].iter().sum();
    assert_eq!(after, 0.0);
}

#[test]
fn a_health_check_ejects_a_dead_instance_after_its_failed_probes() {
    for policy in ["round_robin", "random", "least_outstanding", "p2c"] {
        let text = LB.replace("policy = \"round_robin\"", &format!("policy = \"{policy}\"\nhealth_check = {{ interval = \"2s\", failures = 3 }}"))
            + "\n[[faults]]\nat = \"20.5s\"\nfor = \"20s\"\ntarget = \"app[1]\"\nkind = \"crash\"\n";
        let r = inline(&text, &[]);
        let ev = events(&r);
        // Probes at 2, 4, ...: failures at 22, 24, 26 -> ejected at 26 s; readmitted at 42 s.
        assert!(
            ev.contains(&(26.0, "app[1]".into(), "eject".into())),
            "{policy}: {ev:?}"
        );
        assert!(
            ev.contains(&(42.0, "app[1]".into(), "readmit".into())),
            "{policy}: {ev:?}"
        );
        // Failed calls: the dead instance's share (1/4 of 2000/s) until ejection, 5.5 s,
        // under round robin; about as much under the others while it was picked (its
        // outstanding count stays 0, so least-loaded policies prefer it: more then).
        let failed = r.errors.get("unavailable").copied().unwrap_or(0) as f64;
        if policy == "round_robin" || policy == "random" {
            assert!((failed - 2750.0).abs() < 200.0, "{policy}: failed {failed}");
        } else {
            assert!(
                failed > 1000.0 && failed < 11_000.0,
                "{policy}: failed {failed}"
            );
        }
        // Without the health check the dead instance would take its share for all 20 s (5000).
        assert!(failed < 5000.0, "{policy}: failed {failed}");
    }
}

#[test]
fn a_restart_brings_an_instance_back_before_the_fault_ends() {
    let text = LB.replace("instances = 4", "instances = 4\nrestart = \"3s\"")
        + "\n[[faults]]\nat = \"20s\"\ntarget = \"app[2]\"\nkind = \"crash\"\n";
    let r = inline(&text, &[]);
    let ev = events(&r);
    assert!(
        ev.contains(&(23.0, "app[2]".into(), "restart".into())),
        "{ev:?}"
    );
    // One instance in four for 3 s at 2000/s.
    let failed = r.errors["unavailable"] as f64;
    assert!((failed - 1500.0).abs() < 30.0, "failed {failed}");
    let live = &r.components["app"].series.as_ref().unwrap()["live_instances"];
    assert_eq!(live[19], Some(4.0));
    assert_eq!(live[21], Some(3.0));
    assert_eq!(live[24], Some(4.0));
}

#[test]
fn a_partition_fails_calls_at_once_or_drops_them_into_timeouts() {
    let base = r#"
[run]
duration = "30s"
series_interval = "1s"
[traffic]
entry = "app"
rate = 500
arrivals = "uniform"
timeout = "1s"
[components.app]
kind = "service"
[components.app.endpoints.default]
calls = ["db"]
[components.db]
kind = "service"
[components.db.endpoints.default]
cpu = "1ms"
[[faults]]
at = "10s"
for = "5s"
target = "db"
peer = "app"
kind = "partition"
"#;
    let r = inline(base, &[]);
    let failed = r.errors["partitioned"] as f64;
    assert!((failed - 2500.0).abs() < 5.0, "partitioned {failed}");
    assert!(!r.errors.contains_key("timeout"));
    let r = inline(&format!("{base}mode = \"drop\"\n"), &[]);
    let timeouts = r.errors["timeout"] as f64;
    assert!((timeouts - 2500.0).abs() < 5.0, "timeouts {timeouts}");
    assert!(!r.errors.contains_key("partitioned"));
    // A dropped call's failure shows after the client's timeout.
    assert!(r.series.error_rate[10] == 0.0);
    assert!(r.series.error_rate[12] > 0.99);
}

#[test]
fn a_latency_fault_adds_its_delay_to_calls_to_the_target() {
    let base = r#"
[run]
duration = "40s"
[traffic]
entry = "app"
rate = 200
[components.app]
kind = "service"
[components.app.endpoints.default]
calls = ["db", "cache"]
[components.db]
kind = "service"
[components.db.endpoints.default]
cpu = "exp(2ms)"
[components.cache]
kind = "service"
[components.cache.endpoints.default]
cpu = "exp(1ms)"
"#;
    let plain = inline(base, &[]).latency_ms.mean.unwrap();
    let slow = inline(&format!(
        "{base}[[faults]]\nat = \"0s\"\nfor = \"40s\"\ntarget = \"db\"\nkind = \"latency\"\nadd = \"50ms\"\n"
    ), &[])
    .latency_ms
    .mean
    .unwrap();
    assert!((slow - plain - 50.0).abs() < 0.5, "mean {plain} -> {slow}");
    // Only from a peer: calls from `app` to `cache` are untouched, so nothing changes here.
    let other = inline(&format!(
        "{base}[[faults]]\nat = \"0s\"\nfor = \"40s\"\ntarget = \"cache\"\npeer = \"db\"\nkind = \"latency\"\nadd = \"50ms\"\n"
    ), &[])
    .latency_ms
    .mean
    .unwrap();
    assert!((other - plain).abs() < 1e-9, "mean {plain} -> {other}");
}

const DEPLOY: &str = r#"
[run]
duration = "120s"
warmup = "5s"
series_interval = "1s"
[traffic]
entry = "lb"
rate = 1000
[components.lb]
kind = "load_balancer"
targets = "app"
policy = "least_outstanding"
[components.app]
kind = "service"
instances = 6
cores = 2
queue = 50
[components.app.endpoints.default]
cpu = "exp(4ms)"
[[faults]]
at = "20s"
target = "app"
kind = "deploy"
batch = 2
start_up = "10s"
"#;

#[test]
fn a_rolling_deploy_with_spare_capacity_has_no_errors() {
    let r = inline(DEPLOY, &[]);
    assert_eq!(r.requests.failed, 0, "{:?}", r.errors);
    let ev = events(&r);
    let ins = ev.iter().filter(|e| e.2 == "deploy_batch_in").count();
    assert_eq!(ins, 3);
    assert!(ev.iter().any(|e| e.2 == "deploy_end"));
    // The capacity dip: 4 of 6 instances live during each batch.
    let live = &r.components["app"].series.as_ref().unwrap()["live_instances"];
    assert_eq!(live[25], Some(4.0));
    assert_eq!(live[15], Some(6.0));
    assert_eq!(live[100], Some(6.0));
}

#[test]
fn a_rolling_deploy_without_spare_capacity_rejects_during_the_dip() {
    // 2000/s x 4 ms = 8 cores busy of 12 (67%); with half the fleet out (batches of 3), the
    // 3 instances left have 6 cores for 8 cores of work: their queues overflow.
    let text = DEPLOY
        .replace("batch = 2", "batch = 3")
        .replace("rate = 1000", "rate = 2000");
    let r = inline(&text, &[]);
    assert!(
        r.errors.get("rejected").copied().unwrap_or(0) > 1000,
        "{:?}",
        r.errors
    );
    // Outside the deployment, no errors.
    assert_eq!(r.series.error_rate[10], 0.0);
}

const REGIONS: &str = r#"
[run]
duration = "60s"
warmup = "5s"
series_interval = "1s"
[network]
latency = "1ms"
[network.regions]
"us/eu" = "40ms"
[traffic]
entry = "global"
rate = 1000
arrivals = "uniform"
regions = { us = 0.5, eu = 0.5 }
[components.global]
kind = "load_balancer"
targets = ["app-us", "app-eu"]
health_check = { interval = "1s", failures = 2 }
[components.app-us]
kind = "service"
region = "us"
instances = 2
[components.app-us.endpoints.default]
cpu = "5ms"
[components.app-eu]
kind = "service"
region = "eu"
instances = 2
[components.app-eu.endpoints.default]
cpu = "5ms"
"#;

#[test]
fn a_global_balancer_routes_to_the_nearest_region_and_fails_over() {
    let r = inline(REGIONS, &[]);
    // Everyone is served in their own region: four 1 ms hops (user, global balancer, app and
    // back) and 5 ms of work.
    let mean = r.latency_ms.mean.unwrap();
    assert!((mean - 9.0).abs() < 0.01, "mean {mean}");
    let text = format!("{REGIONS}\n[[faults]]\nat = \"20.5s\"\nfor = \"20s\"\ntarget = \"eu\"\nkind = \"region\"\n");
    let r = inline(&text, &[]);
    // Failed calls until the balancer ejects both eu instances (probes at 21 and 22 s):
    // half the traffic for 1.5 s.
    let failed = r.errors["unavailable"] as f64;
    assert!((failed - 750.0).abs() < 30.0, "failed {failed}");
    // The eu users are then served in us: the balancer-to-app hop crosses the ocean, 40 ms
    // each way instead of 1 ms: 87 ms.
    let p = r.series.p99_ms[30].unwrap();
    assert!((p - 87.0).abs() < 0.5, "p99 during the outage {p}");
    let ev = events(&r);
    assert!(ev.iter().any(|e| e.2 == "region_down" && e.1 == "eu"));
    assert!(ev.iter().any(|e| e.2 == "region_up" && e.1 == "eu"));
    // After the region is back and readmitted, the eu users return home.
    let p = r.series.p99_ms[50].unwrap();
    assert!((p - 9.0).abs() < 0.5, "p99 after {p}");
}

#[test]
fn operations_keys_are_checked() {
    let bad = |text: &str, want: &str| {
        let e = match from_str(text, "bad.toml", &[]) {
            Ok(_) => panic!("accepted, expected `{want}`"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(want), "expected `{want}` in: {e}");
        assert!(e.contains("bad.toml:"), "no position in: {e}");
    };
    let partition = format!(
        "{LB}\n[[faults]]\nat = \"1s\"\nfor = \"1s\"\ntarget = \"app\"\nkind = \"partition\"\n"
    );
    bad(&partition, "a partition needs `peer`");
    bad(
        &format!("{partition}peer = \"app\"\n"),
        "peer must be another component",
    );
    bad(
        &format!("{partition}peer = \"lb\"\nmode = \"lost\"\n"),
        "expected one of: fail, drop",
    );
    bad(
        &format!(
            "{LB}\n[[faults]]\nat = \"1s\"\nfor = \"1s\"\ntarget = \"app\"\nkind = \"latency\"\n"
        ),
        "a latency fault needs `add`",
    );
    bad(
        &format!("{LB}\n[[faults]]\nat = \"1s\"\nfor = \"1s\"\ntarget = \"app\"\nkind = \"crash\"\nadd = \"1ms\"\n"),
        "`add` applies only to a latency fault",
    );
    bad(
        &format!("{LB}\n[[faults]]\nat = \"1s\"\ntarget = \"app\"\nkind = \"crash\"\n"),
        "a fault needs `for`",
    );
    bad(
        &format!(
            "{LB}\n[[faults]]\nat = \"1s\"\nfor = \"1s\"\ntarget = \"mars\"\nkind = \"region\"\n"
        ),
        "no component is in region `mars`",
    );
    bad(
        &format!("{LB}\n[[faults]]\nat = \"1s\"\ntarget = \"app\"\nkind = \"deploy\"\n"),
        "a deploy needs `start_up`",
    );
    bad(
        &LB.replace(
            "cores = 4",
            "cores = 4\nhealth_check = { interval = \"1s\" }",
        ),
        "`health_check` applies to a load balancer",
    );
    bad(
        &LB.replace(
            "kind = \"service\"",
            "kind = \"database\"\nfailover = { detect = \"1s\", promote = \"1s\" }",
        ),
        "needs a database with `replicas`",
    );
    bad(
        &LB.replace("kind = \"service\"", "kind = \"service\"\nregion = \"us\"")
            .replace(
                "policy = \"round_robin\"",
                "policy = \"round_robin\"\nregion = \"eu\"",
            ),
        "no latency between them",
    );
    bad(
        &LB.replace("policy = \"round_robin\"", "policy = \"nearest\""),
        "policy \"nearest\" needs several targets",
    );
    bad(
        &LB.replace("targets = \"app\"", "targets = [\"app\", \"db\"]"),
        "`db` is not a component",
    );
    // A crash may leave out `for` when the component restarts.
    let ok = LB.replace("instances = 4", "instances = 4\nrestart = \"1s\"")
        + "\n[[faults]]\nat = \"1s\"\ntarget = \"app[0]\"\nkind = \"crash\"\n";
    assert!(from_str(&ok, "ok.toml", &[]).is_ok());
}

#[test]
fn the_failure_scenarios_show_what_their_headers_say() {
    // A single primary: every request fails for the 60 s crash (12 buckets of 5 s).
    let r = file("scenarios/failures/spof-database.toml", &[]);
    let full = r.series.error_rate.iter().filter(|e| **e > 0.99).count();
    assert_eq!(full, 12, "{:?}", r.series.error_rate);
    // With failover: writes (20%) fail for detect + promote = 15 s (3 buckets), reads never.
    let r = file("scenarios/failures/spof-database-failover.toml", &[]);
    let bad = r.series.error_rate.iter().filter(|e| **e > 0.0).count();
    assert!((3..=4).contains(&bad), "{:?}", r.series.error_rate);
    assert_eq!(r.classes["read"].error_rate, 0.0);
    assert!(r.components["db"].extra["lost_writes"].as_u64().unwrap() > 0);
    // The deployment: no errors with spare capacity, rejections without.
    let r = file("scenarios/failures/rolling-deploy.toml", &[]);
    assert_eq!(r.requests.failed, 0);
    let r = file(
        "scenarios/failures/rolling-deploy.toml",
        &["traffic.rate=3200"],
    );
    assert!(r.errors["rejected"] > 0);
    // The region outage: errors only until the ejection (4 s at 400/s), then higher latency.
    let r = file("scenarios/failures/region-outage.toml", &[]);
    let failed = r.errors["unavailable"] as f64;
    assert!((failed - 1600.0).abs() < 150.0, "failed {failed}");
    let during = r.series.p99_ms[36].unwrap();
    assert!(during > 80.0, "p99 during the outage {during}");
    let before = r.series.p99_ms[20].unwrap();
    assert!(before < 20.0, "p99 before {before}");
}

#[test]
fn a_balancer_with_every_instance_ejected_fails_open() {
    // Both instances down: after ejection the balancer still sends (and calls fail
    // `unavailable`), then readmits both when they are back.
    let text = LB.replace("instances = 4", "instances = 2").replace(
        "policy = \"round_robin\"",
        "policy = \"round_robin\"\nhealth_check = { interval = \"1s\", failures = 1 }",
    )
        + "\n[[faults]]\nat = \"10.5s\"\nfor = \"5s\"\ntarget = \"app\"\nkind = \"crash\"\n";
    let r = inline(&text, &[]);
    let failed = r.errors["unavailable"] as f64;
    assert!((failed - 10_000.0).abs() < 30.0, "failed {failed}");
    assert_eq!(r.errors.len(), 1);
    let ev = events(&r);
    assert_eq!(ev.iter().filter(|e| e.2 == "eject").count(), 2, "{ev:?}");
    assert_eq!(ev.iter().filter(|e| e.2 == "readmit").count(), 2, "{ev:?}");
}

#[test]
fn a_latency_fault_on_the_entry_delays_the_clients_calls() {
    let base = "[run]\nduration = \"20s\"\n[traffic]\nentry = \"app\"\nrate = 100\n[components.app]\nkind = \"service\"\n[components.app.endpoints.default]\ncpu = \"1ms\"\n";
    let r = inline(
        &format!(
            "{base}[[faults]]\nat = \"0s\"\nfor = \"20s\"\ntarget = \"app\"\nkind = \"latency\"\nadd = \"uniform(10ms, 30ms)\"\n"
        ),
        &[],
    );
    let mean = r.latency_ms.mean.unwrap();
    assert!((mean - 21.0).abs() < 0.6, "mean {mean}");
}
