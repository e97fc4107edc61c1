//! The timeline's vocabulary: what an event is, declared by whoever records it.
//!
//! An [`Event`] has a name (what the summary and the JSON show), a [`Category`] (how the
//! reports colour it) and a [`Phase`]: a moment, or the start or end of a state (a crash
//! until its recovery, an open breaker). Phases pair events on the events chart, and the
//! states that [`Phase::Starts`] are the triggers the incident analysis explains. The model
//! declares its events where it records them; nothing here knows their names.
//!
//! ```
//! use archsim_stats::{Category, Event, Phase};
//!
//! const SLOW: Event = Event::starts("slow_start", Category::Fault, "slowed");
//! const SLOW_END: Event = Event::ends("slow_end", Category::Recovery, "slow_start");
//! assert_eq!(SLOW.name, "slow_start");
//! assert!(matches!(SLOW_END.phase, Phase::Ends { ref of } if of == "slow_start"));
//! ```

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// What kind of change an event is, chosen where it is recorded: the reports colour events
/// by it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Something broke or was taken away: a crash, a slowdown, a partition, an ejection.
    Fault,
    /// Something came back: a recovery, a restart, the end of a fault, a promotion.
    Recovery,
    /// Capacity changed on purpose: scaling out or in, an instance ready, a deployment.
    Scaling,
    /// More load than usual: a traffic spike, a saturation, a high error rate.
    Overload,
    /// A circuit breaker opened, half-opened or closed.
    Breaker,
    /// An alert fired or cleared (for alerting rules; nothing records one yet).
    Alert,
    /// Anything else.
    #[default]
    Other,
}

/// An event's part in a state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// A moment: it neither starts nor ends anything.
    #[default]
    Moment,
    /// Opens a state (named by the event) that the incident analysis does not explain: an
    /// ejection, an open breaker, a saturation.
    Opens,
    /// Opens a state that triggers an incident (a fault, a spike, a deployment); `verb`
    /// tells it in the incident's sentence (`db crashed at ...`).
    Starts {
        /// A verb phrase: `crashed`, `slowed`, `went down (region outage)`.
        verb: Cow<'static, str>,
    },
    /// Closes, on the same component label, the state that the event named `of` opened.
    Ends {
        /// The name of the event that opened the state.
        of: Cow<'static, str>,
    },
}

/// A kind of timeline event, as its recorder declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Its name in the timeline (`crash`, `scale_out`).
    pub name: Cow<'static, str>,
    /// How the reports colour it.
    pub category: Category,
    /// What it starts or ends.
    pub phase: Phase,
}

impl Event {
    /// A moment.
    pub const fn moment(name: &'static str, category: Category) -> Self {
        Self {
            name: Cow::Borrowed(name),
            category,
            phase: Phase::Moment,
        }
    }
    /// The start of a state that is no incident trigger ([`Phase::Opens`]).
    pub const fn opens(name: &'static str, category: Category) -> Self {
        Self {
            name: Cow::Borrowed(name),
            category,
            phase: Phase::Opens,
        }
    }
    /// The start of a state that triggers an incident, told as `verb` ([`Phase::Starts`]).
    pub const fn starts(name: &'static str, category: Category, verb: &'static str) -> Self {
        Self {
            name: Cow::Borrowed(name),
            category,
            phase: Phase::Starts {
                verb: Cow::Borrowed(verb),
            },
        }
    }
    /// The end of the state that event `of` opened ([`Phase::Ends`]).
    pub const fn ends(name: &'static str, category: Category, of: &'static str) -> Self {
        Self {
            name: Cow::Borrowed(name),
            category,
            phase: Phase::Ends {
                of: Cow::Borrowed(of),
            },
        }
    }
    /// A moment named at run time (a custom component's own event).
    pub fn named(name: impl Into<String>, category: Category) -> Self {
        Self {
            name: Cow::Owned(name.into()),
            category,
            phase: Phase::Moment,
        }
    }
}

/// One state change in the timeline.
///
/// Its `category` and `phase` travel with the run's statistics (and its partial results),
/// but the result's JSON keeps the keys `t_s`, `component`, `event` and `detail` (see
/// [`public_keys`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When, in simulated seconds.
    pub t_s: f64,
    /// The component concerned.
    pub component: String,
    /// What happened: the event's name (`crash`, `recover`, `saturated`, ...).
    pub event: String,
    /// Free text.
    pub detail: String,
    /// How the reports colour it.
    #[serde(default)]
    pub category: Category,
    /// What it starts or ends.
    #[serde(default)]
    pub phase: Phase,
}

impl TimelineEntry {
    /// An entry of `event` at `t_s` seconds.
    pub fn new(t_s: f64, component: &str, event: &Event, detail: String) -> Self {
        Self {
            t_s,
            component: component.to_string(),
            event: event.name.to_string(),
            detail,
            category: event.category,
            phase: event.phase.clone(),
        }
    }
    /// The name of the state this entry opens (`Some((name, true))`) or closes
    /// (`Some((name, false))`); `None` for a moment.
    pub fn state(&self) -> Option<(&str, bool)> {
        match &self.phase {
            Phase::Moment => None,
            Phase::Opens | Phase::Starts { .. } => Some((&self.event, true)),
            Phase::Ends { of } => Some((of, false)),
        }
    }
    /// Whether this entry closes the state that `opener` opened (same component label).
    pub fn ends(&self, opener: &TimelineEntry) -> bool {
        self.component == opener.component
            && matches!(&self.phase, Phase::Ends { of } if *of == opener.event)
    }
}

/// Writes timeline entries with the result's keys only (`t_s`, `component`, `event`,
/// `detail`): the JSON result keeps its contract; category and phase are for the reports.
pub(crate) fn public_keys<S: serde::Serializer>(
    entries: &[TimelineEntry],
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Public<'a> {
        t_s: f64,
        component: &'a str,
        event: &'a str,
        detail: &'a str,
    }
    s.collect_seq(entries.iter().map(|e| Public {
        t_s: e.t_s,
        component: &e.component,
        event: &e.event,
        detail: &e.detail,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_pair_by_phase_not_by_name() {
        let open = TimelineEntry::new(
            1.0,
            "db",
            &Event::starts("x", Category::Fault, "broke"),
            String::new(),
        );
        let close = TimelineEntry::new(
            2.0,
            "db",
            &Event::ends("y", Category::Recovery, "x"),
            String::new(),
        );
        let elsewhere = TimelineEntry {
            component: "app".into(),
            ..close.clone()
        };
        assert_eq!(open.state(), Some(("x", true)));
        assert_eq!(close.state(), Some(("x", false)));
        assert!(close.ends(&open));
        assert!(!elsewhere.ends(&open));
        assert!(!open.ends(&close));
    }

    #[test]
    fn the_result_json_keeps_four_keys_and_the_stats_carry_all() {
        let e = TimelineEntry::new(
            1.5,
            "app[2]",
            &Event::opens("breaker_open", Category::Breaker),
            "d".into(),
        );
        let mut out = Vec::new();
        public_keys(
            std::slice::from_ref(&e),
            &mut serde_json::Serializer::new(&mut out),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"[{"t_s":1.5,"component":"app[2]","event":"breaker_open","detail":"d"}]"#
        );
        let full = serde_json::to_string(&e).unwrap();
        let back: TimelineEntry = serde_json::from_str(&full).unwrap();
        assert_eq!(back, e);
    }
}
