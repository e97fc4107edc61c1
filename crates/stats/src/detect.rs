//! Time to detect: for each incident, the first alert that fired while it lasted.
//!
//! An incident lasts from its trigger's start until it was over: for `recovered`, until all
//! was normal again; for `absorbed`, until its trigger ended; otherwise until the end of the
//! run. An alert *detects* it when it starts firing within that span (an alert already
//! firing when the incident began does not: it was raised by something else). With
//! replications the incidents are the pooled ones and the earliest firing in any
//! replication counts, named with its replication.

use crate::alerts::FiredAlert;
use crate::cascade::Cascade;
use serde::Serialize;

/// How an incident was detected, present only when the model has alert rules.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Detection {
    /// The first alert that fired during the incident; `null`: none did.
    pub detected_by: Option<String>,
    /// When it fired, in seconds.
    pub detected_at_s: Option<f64>,
    /// From the trigger's start (a load incident's start) to that firing, in seconds.
    pub time_to_detect_s: Option<f64>,
    /// With replications: the replication it fired in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected_replication: Option<u32>,
}

/// Fills each incident's [`Detection`] from the alerts that fired (`run_end_s`: the end of
/// the run; `replications`: how many are pooled).
pub(crate) fn detect(
    cascades: &mut [Cascade],
    alerts: &[FiredAlert],
    run_end_s: f64,
    replications: u32,
) {
    for c in cascades {
        let start = c.trigger.start_s;
        let end = match c.verdict.as_str() {
            "recovered" => c.normal_at_s.unwrap_or(run_end_s),
            "absorbed" => c.trigger.end_s.unwrap_or(run_end_s),
            _ => run_end_s,
        }
        .max(start);
        let first = alerts
            .iter()
            .filter(|a| a.fired_at_s >= start && a.fired_at_s <= end)
            .min_by(|a, b| a.fired_at_s.total_cmp(&b.fired_at_s));
        c.detection = Some(Detection {
            detected_by: first.map(|a| a.name.clone()),
            detected_at_s: first.map(|a| a.fired_at_s),
            time_to_detect_s: first.map(|a| a.fired_at_s - start),
            detected_replication: first.filter(|_| replications > 1).map(|a| a.replication),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cascade::Trigger;

    fn incident(start_s: f64, verdict: &str, normal_at_s: Option<f64>) -> Cascade {
        Cascade {
            trigger: Trigger {
                kind: "fault".into(),
                component: "db".into(),
                event: "crash".into(),
                detail: String::new(),
                start_s,
                end_s: Some(start_s + 30.0),
                verb: "crashed".into(),
            },
            more_triggers: Vec::new(),
            crossings: Vec::new(),
            peak_error_rate: 0.0,
            peak_error_t_s: None,
            verdict: verdict.into(),
            recovered_after_s: None,
            normal_at_s,
            still_failing_after_s: None,
            detection: None,
        }
    }

    fn fired(name: &str, at: f64, replication: u32) -> FiredAlert {
        FiredAlert {
            name: name.into(),
            fired_at_s: at,
            resolved_at_s: None,
            peak: 1.0,
            replication,
        }
    }

    #[test]
    fn the_first_alert_within_the_incident_detects_it() {
        let mut cs = [
            incident(100.0, "recovered", Some(140.0)),
            incident(300.0, "recovered", Some(320.0)),
        ];
        let alerts = [
            fired("Early", 90.0, 1), // before the incident: raised by something else
            fired("Slow", 130.0, 1),
            fired("Fast", 112.0, 1),
            fired("Late", 325.0, 1), // after the second incident was over
        ];
        detect(&mut cs, &alerts, 600.0, 1);
        let d = cs[0].detection.as_ref().unwrap();
        assert_eq!(d.detected_by.as_deref(), Some("Fast"));
        assert_eq!(d.time_to_detect_s, Some(12.0));
        assert_eq!(d.detected_replication, None);
        let d = cs[1].detection.as_ref().unwrap();
        assert_eq!(d.detected_by, None);
        assert_eq!(d.time_to_detect_s, None);
        let json = serde_json::to_string(&cs[1]).unwrap();
        assert!(
            json.contains(r#""detected_by":null,"detected_at_s":null,"time_to_detect_s":null"#),
            "{json}"
        );
    }

    #[test]
    fn with_replications_the_earliest_names_its_replication() {
        let mut cs = [incident(100.0, "metastable", None)];
        detect(
            &mut cs,
            &[fired("A", 150.0, 1), fired("A", 120.0, 2)],
            600.0,
            2,
        );
        let d = cs[0].detection.as_ref().unwrap();
        assert_eq!(
            (d.detected_at_s, d.detected_replication),
            (Some(120.0), Some(2))
        );
    }
}
