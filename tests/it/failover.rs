//! A database failover: once a replica is promoted, the database's error series, its
//! counters and the incident verdict agree with what requests saw (issue 11 item 7).

use crate::common::{bin, conserved, file, series};

const FAILOVER: &str = "scenarios/failures/spof-database-failover.toml";

#[test]
fn after_the_promotion_the_database_is_back_to_normal() {
    let r = file(FAILOVER, &[]);
    conserved(&r);
    let promoted = r
        .timeline
        .iter()
        .find(|e| e.event == "promote")
        .expect("a promotion")
        .t_s;
    assert_eq!(promoted, 135.0);
    // The error series: writes fail from the crash to the promotion, then nothing fails,
    // though the old primary stays down until 180 s (replication to it is no failed call).
    let errors = series(&r, "db", "errors");
    let iv = r.series.interval_s;
    for (b, e) in errors.iter().enumerate() {
        let t = b as f64 * iv;
        let e = e.unwrap_or(0.0);
        if (120.0..135.0).contains(&t) {
            assert!(e > 150.0, "{t}s: {e} failing calls/s");
        } else {
            assert_eq!(e, 0.0, "{t}s: {e} failing calls/s ({errors:?})");
        }
    }
    // `unavailable` counts the calls that failed for requests: the failed writes.
    let unavailable = r.components["db"].extra["unavailable"].as_u64().unwrap();
    assert_eq!(unavailable, r.errors["unavailable"], "{:?}", r.errors);
    assert_eq!(r.requests.failed, r.errors["unavailable"]);
    // The incident is over at the promotion.
    assert_eq!(r.cascades.len(), 1, "{:?}", r.cascades);
    let c = &r.cascades[0];
    assert_eq!(c.verdict, "recovered");
    assert_eq!(c.normal_at_s, Some(135.0), "{c:?}");
    // The old primary catches up on the new primary's writes when it is back.
    let t = |event: &str| {
        r.timeline
            .iter()
            .find(|e| e.component == "db[0]" && e.event == event)
            .unwrap_or_else(|| panic!("no {event}: {:?}", r.timeline))
            .t_s
    };
    assert_eq!(t("catching_up"), 180.0);
    assert!(t("caught_up") < 190.0, "{}", t("caught_up"));
}

#[test]
fn the_incident_line_says_it_recovered_at_the_promotion() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FAILOVER);
    let out = bin().arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("incident 1:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.ends_with("recovered 15.0s after it began, before the trigger ended"),
        "{line}"
    );
}
