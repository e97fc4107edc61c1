//! The run page's events chart (issue 12 item 18): the timeline laid out on the time axis of
//! the other charts, a lane per component, a bar for each state that has a start and an end
//! (a crash until its recovery, a spike, a saturation, an open breaker, an ejection) and a
//! dot for each moment (a scale-out, an instance ready, a promotion). This module pairs the
//! events into spans; `chart::lanes_chart` draws them.

use super::chart::{Marker, RGBColor};
use super::run::event_color;
use archsim_stats::SimResult;

/// Lanes at most; components beyond share the last lane, named `other`.
pub(super) const MAX_LANES: usize = 12;

/// A state on a lane from `x0` to `x1` (its first event is a [`Point`] with its name).
pub(super) struct Span {
    pub(super) lane: usize,
    pub(super) x0: f64,
    pub(super) x1: f64,
    pub(super) color: RGBColor,
}

/// A moment on a lane.
pub(super) struct Point {
    pub(super) lane: usize,
    pub(super) x: f64,
    pub(super) color: RGBColor,
    pub(super) label: String,
}

/// What the events chart draws: lane names top to bottom, spans, points, and the numbered
/// markers that the events table below the chart refers to.
pub(super) struct Lanes<'a> {
    pub(super) names: Vec<String>,
    pub(super) spans: Vec<Span>,
    pub(super) points: Vec<Point>,
    pub(super) markers: &'a [Marker],
}

/// The lane of a component: its name without an instance index (`app[2]` -> `app`).
fn lane_name(component: &str) -> &str {
    component
        .split_once('[')
        .map_or(component, |(base, _)| base)
}

/// The timeline of `r` as lanes, spans and points; a state still open at the end of the
/// run lasts to `t_end`.
pub(super) fn lanes<'a>(r: &SimResult, t_end: f64, markers: &'a [Marker]) -> Lanes<'a> {
    let mut names: Vec<String> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut points: Vec<Point> = Vec::new();
    // Open states: (component with its instance, state) -> index into `spans`.
    let mut open: Vec<((String, String), usize)> = Vec::new();
    for e in &r.timeline {
        let base = lane_name(&e.component);
        let lane = match names.iter().position(|n| n == base) {
            Some(i) => i,
            None if names.len() < MAX_LANES - 1 => {
                names.push(base.to_string());
                names.len() - 1
            }
            None => {
                if names.len() < MAX_LANES {
                    names.push("other".into());
                }
                MAX_LANES - 1
            }
        };
        let color = event_color(e);
        let point = |label: &str| Point {
            lane,
            x: e.t_s,
            color,
            label: label.to_string(),
        };
        // Bars pair an event that opens a state with the one that closes it (their phases,
        // declared where they were recorded).
        match e.state() {
            Some((state, true)) => {
                let key = (e.component.clone(), state.to_string());
                if open.iter().any(|(k, _)| *k == key) {
                    // Opened again while open (a breaker that half-opened and tripped
                    // again): the state goes on; the event is a moment within it.
                    points.push(point(""));
                } else {
                    open.push((key, spans.len()));
                    spans.push(Span {
                        lane,
                        x0: e.t_s,
                        x1: t_end,
                        color,
                    });
                    points.push(point(&e.event));
                }
            }
            Some((state, false)) => {
                let key = (e.component.clone(), state.to_string());
                match open.iter().position(|(k, _)| *k == key) {
                    Some(i) => {
                        let (_, s) = open.remove(i);
                        spans[s].x1 = e.t_s;
                    }
                    // An end without a start: a moment.
                    None => points.push(point(&e.event)),
                }
            }
            None => points.push(point(&e.event)),
        }
    }
    Lanes {
        names,
        spans,
        points,
        markers,
    }
}
