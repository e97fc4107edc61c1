//! Incidents explained from what the recorder saw.
//!
//! The analysis works on the pooled series only (per-bucket error rate, and per component:
//! utilization, mean queue, calls and failures), and on the timeline, so it explains any
//! trigger that records itself there.
//!
//! # Triggers
//!
//! A timeline entry opens a trigger when its event [`Phase::Starts`] a state (a crash, a
//! slowdown, a partition, a region outage, a spike, a deployment: whatever the model declares
//! so where it records it). It is closed by the next entry of the same component (label,
//! e.g. `app[2]`) whose event [`Phase::Ends`] that state (`recover` or `restart` for `crash`,
//! `slow_end` for `slow_start`). A trigger without an end lasts past the end of traffic.
//! Entries repeated by replications (same time, component and event) count once.
//!
//! # Signals
//!
//! Every series bucket that starts before the end of traffic is classed, per component, as
//! *hot*, *cold* or neither:
//!
//! * utilization (components with cores): hot at [`UTIL_HOT`] or more, else cold;
//! * failures: the calls that failed at the component (rejected, unavailable, rate limited)
//!   over the calls it received: hot at [`ERROR_HOT`] or more, else cold;
//! * queue: the mean queue per instance against its normal level (the median bucket before
//!   the first trigger, or over the measured window when fewer than 5 buckets precede it):
//!   hot when at least `max(1, 3 x normal)` and higher than in the bucket before (growing);
//!   cold below that level; neither when high but not growing.
//!
//! A component bucket is hot for saturation if utilization or the queue is hot, cold if both
//! are cold; the failure criterion stands alone. The component is *saturated* from the first
//! hot bucket of a run of hot buckets lasting [`SATURATION_SUSTAIN_S`] (or, for failures,
//! [`ERROR_SUSTAIN_S`]), at least one bucket, and *recovered* from the first cold bucket of a
//! run as long (hysteresis in time: a busy second of a server near capacity neither starts
//! nor ends a saturation); the two criteria's spans are joined. The system's error rate
//! (failed over finished requests in the bucket; neither when none finished) gives
//! `errors_high` / `errors_normal` the same way, hot at [`ERROR_HOT`] or more, sustained
//! [`ERROR_SUSTAIN_S`].
//!
//! # Incidents
//!
//! A trigger opens an incident (a trigger starting while one is still open joins it). A signal
//! turning on while an incident is open is a *crossing* of that incident (a signal turning on
//! in the bucket where the trigger starts counts, at the trigger's start); one turning on with
//! no incident open starts a `load` incident (one that began less than
//! [`SATURATION_SUSTAIN_S`] before a trigger becomes the trigger's: at bucket resolution a
//! busy bucket just before the onset cannot be told from the onset). Signals already on when a trigger starts are
//! left out. The incident is over once every trigger has ended, one bucket of grace has
//! passed, and every signal it crossed is off again. Verdicts:
//!
//! * `absorbed`: no signal crossed;
//! * `recovered`: all back to normal; `recovered_after_s` is the time from the end of the
//!   last trigger (for a load incident, from its start) until the last crossed signal was
//!   normal again (0 if it was before the trigger ended);
//! * `metastable`: a crossed signal is still on at the end of traffic, at least
//!   [`METASTABLE_AFTER_S`] seconds (and 5 buckets) after every trigger ended;
//! * `unresolved`: traffic ended before the incident could be judged (a trigger still on, a
//!   load incident still on, or too little time after the trigger), or another trigger's
//!   incident superseded a load incident still on.

use crate::timeline::{Category, Event, Phase, TimelineEntry};
use serde::Serialize;

/// A component saturated (or failing its calls), as the analysis records it.
pub(crate) static SATURATED: Event = Event::opens("saturated", Category::Overload);
/// A saturated component back to normal.
static RECOVERED: Event = Event::ends("recovered", Category::Recovery, "saturated");
/// The system's error rate high.
static ERRORS_HIGH: Event = Event::opens("errors_high", Category::Overload);
/// The system's error rate back to normal.
static ERRORS_NORMAL: Event = Event::ends("errors_normal", Category::Recovery, "errors_high");

/// Utilization at or above this is hot.
pub const UTIL_HOT: f64 = 0.9;
/// An error ratio at or above this is hot (the system's error rate, or a component's failed
/// calls over its calls).
pub const ERROR_HOT: f64 = 0.05;
/// Seconds that an error rate must stay hot, or cold, to turn its signal on or off (two
/// buckets of the default 1 s series; one bucket of 2 s or more).
pub const ERROR_SUSTAIN_S: f64 = 2.0;
/// Seconds that utilization or a queue must stay hot, or cold, to start or end a saturation
/// (five buckets of 1 s, one of 5 s or more): shorter bursts are busy moments of a server
/// run near capacity, not saturation.
pub const SATURATION_SUSTAIN_S: f64 = 5.0;

/// Consecutive buckets that last at least `s` seconds (at least one).
fn sustain_buckets(s: f64, interval_s: f64) -> usize {
    ((s / interval_s - 1e-9).ceil() as usize).max(1)
}
/// Seconds after the trigger ended before a still-failing incident is called metastable.
pub const METASTABLE_AFTER_S: f64 = 60.0;

/// What started an incident.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trigger {
    /// `fault` (a timeline trigger) or `load` (a threshold crossed with no trigger open).
    pub kind: String,
    /// The component (or instance) of the fault; for load, the first to cross.
    pub component: String,
    /// The timeline event that started it (`crash`, `slow_start`, ...); `load` for load.
    pub event: String,
    /// The timeline entry's detail.
    pub detail: String,
    /// When it started, in seconds.
    pub start_s: f64,
    /// When it ended (`null`: still on at the end of traffic, or a load incident).
    pub end_s: Option<f64>,
    /// How the incident's sentence tells it (`crashed`, the verb its event declares); empty
    /// for load. Not part of the JSON.
    #[serde(skip)]
    pub verb: String,
}

/// A signal crossing its threshold during an incident.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Crossing {
    /// The component, or `system` for the error rate.
    pub component: String,
    /// `saturated` or `errors_high`.
    pub event: String,
    /// What crossed: `utilization`, `queue` or `errors`.
    pub reason: String,
    /// When, in seconds (the bucket's start, or the trigger's start if later).
    pub t_s: f64,
    /// Seconds after the incident's start.
    pub after_s: f64,
    /// The figure that crossed.
    pub detail: String,
}

/// One incident: a trigger, what crossed which threshold, and how it ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cascade {
    /// The first trigger.
    pub trigger: Trigger,
    /// Triggers that started while the incident was open.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_triggers: Vec<Trigger>,
    /// Threshold crossings in time order.
    pub crossings: Vec<Crossing>,
    /// Highest bucket error rate from the incident's start to its end (or the end of
    /// traffic).
    pub peak_error_rate: f64,
    /// Start of that bucket (`null` when no request finished in the incident).
    pub peak_error_t_s: Option<f64>,
    /// `recovered`, `metastable`, `absorbed` or `unresolved`.
    pub verdict: String,
    /// `recovered`: seconds from the trigger's end until all was normal.
    pub recovered_after_s: Option<f64>,
    /// `recovered`: when all was normal again.
    pub normal_at_s: Option<f64>,
    /// `metastable`: seconds from the trigger's end to the end of traffic, still failing.
    pub still_failing_after_s: Option<f64>,
    /// Only when the model has alert rules: the first alert that fired during the incident,
    /// or none (see [`crate::alerts`]).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub detection: Option<crate::detect::Detection>,
}

/// One component's pooled series, as the analysis reads them.
pub(crate) struct CompSeries<'a> {
    pub name: &'a str,
    /// Busy fraction per bucket (`None`: no cores, or an empty bucket).
    pub utilization: Option<&'a [Option<f64>]>,
    /// Mean queue per instance per bucket.
    pub queue: &'a [Option<f64>],
    /// Calls failed at the component per bucket.
    pub errors: &'a [u64],
    /// Calls received per bucket.
    pub calls: &'a [u64],
}

/// What the analysis reads.
pub(crate) struct Input<'a> {
    pub interval_s: f64,
    /// Start of the measured window, in seconds.
    pub warmup_s: f64,
    /// End of traffic, in seconds.
    pub end_s: f64,
    /// Requests that succeeded / failed per bucket.
    pub succeeded: Vec<u64>,
    pub failed: Vec<u64>,
    pub components: Vec<CompSeries<'a>>,
    pub timeline: &'a [TimelineEntry],
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Heat {
    Hot,
    Cold,
    Neither,
}

/// A signal's on-interval in buckets: `[on, off)`, `off = None` if on at the end.
#[derive(Clone, Debug)]
struct Span {
    on: usize,
    off: Option<usize>,
    reason: &'static str,
    detail: String,
}

/// Hysteresis over bucket heat: on from the first of `sustain` hot buckets, off from the
/// first of `sustain` cold ones. `why(b)` names the reason and figure at a bucket.
fn spans(
    heat: &[Heat],
    sustain: usize,
    why: impl Fn(usize) -> (&'static str, String),
) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut on = false;
    let mut run = 0usize;
    for (b, h) in heat.iter().enumerate() {
        let wanted = if on { Heat::Cold } else { Heat::Hot };
        if *h == wanted {
            run += 1;
        } else {
            run = 0;
        }
        if run >= sustain {
            let first = b + 1 - sustain;
            if on {
                if let Some(s) = out.last_mut() {
                    s.off = Some(first);
                }
            } else {
                let (reason, detail) = why(first);
                out.push(Span {
                    on: first,
                    off: None,
                    reason,
                    detail,
                });
            }
            on = !on;
            run = 0;
        }
    }
    out
}

/// The union of two lists of spans, each in time order; a merged span keeps the reason of
/// the one that started first.
fn union(a: Vec<Span>, b: Vec<Span>) -> Vec<Span> {
    let mut all: Vec<Span> = a.into_iter().chain(b).collect();
    all.sort_by_key(|s| s.on);
    let mut out: Vec<Span> = Vec::new();
    for sp in all {
        match out.last_mut() {
            Some(last) if last.off.is_none_or(|off| sp.on <= off) => {
                last.off = match (last.off, sp.off) {
                    (Some(x), Some(y)) => Some(x.max(y)),
                    _ => None,
                };
            }
            _ => out.push(sp),
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// A trigger found in the timeline.
#[derive(Clone, Debug)]
struct Trig {
    component: String,
    event: String,
    detail: String,
    start_s: f64,
    end_s: Option<f64>,
    verb: String,
}

/// The detail of a timeline entry without the replication note pooling appends.
fn strip_replication(d: &str) -> &str {
    match d.rfind(" (replication ") {
        Some(i) if d.ends_with(')') => &d[..i],
        _ => d,
    }
}

fn triggers(timeline: &[TimelineEntry]) -> Vec<Trig> {
    let mut out: Vec<Trig> = Vec::new();
    let mut used = vec![false; timeline.len()];
    for (i, e) in timeline.iter().enumerate() {
        let Phase::Starts { verb } = &e.phase else {
            continue;
        };
        if out
            .iter()
            .any(|t| t.start_s == e.t_s && t.component == e.component && t.event == e.event)
        {
            continue; // the same fault in another replication
        }
        let end = timeline
            .iter()
            .enumerate()
            .find(|(j, x)| !used[*j] && x.ends(e) && x.t_s >= e.t_s);
        let end_s = end.map(|(j, x)| {
            used[j] = true;
            x.t_s
        });
        used[i] = true;
        out.push(Trig {
            component: e.component.clone(),
            event: e.event.clone(),
            detail: strip_replication(&e.detail).to_string(),
            start_s: e.t_s,
            end_s,
            verb: verb.to_string(),
        });
    }
    out.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    out
}

/// Signals: index 0 is the system's error rate, then one per component.
struct Signal {
    component: String,
    on: &'static Event,
    off: &'static Event,
    spans: Vec<Span>,
}

fn signals(inp: &Input<'_>, nb: usize, first_trigger_s: Option<f64>) -> Vec<Signal> {
    let mut out = Vec::new();
    let iv = inp.interval_s;
    // Saturation must last long enough not to be a busy moment.
    let sat_sustain = sustain_buckets(SATURATION_SUSTAIN_S, iv);
    let err_sustain = sustain_buckets(ERROR_SUSTAIN_S, iv);
    let rate = |b: usize| {
        let (s, f) = (inp.succeeded[b], inp.failed[b]);
        (s + f > 0).then(|| f as f64 / (s + f) as f64)
    };
    // Buckets that set a queue's normal level.
    let b0 = (inp.warmup_s / inp.interval_s).ceil() as usize;
    let before = first_trigger_s.map_or(nb, |s| ((s / inp.interval_s).floor() as usize).min(nb));
    let normal_range = if before >= b0 + 5 {
        b0..before
    } else {
        b0.min(nb)..nb
    };
    for c in &inp.components {
        let q = |b: usize| c.queue.get(b).copied().flatten().unwrap_or(0.0);
        let normal = median(normal_range.clone().map(q).collect());
        let q_hot = (3.0 * normal).max(1.0);
        let util = |b: usize| c.utilization.and_then(|u| u.get(b).copied().flatten());
        let err = |b: usize| {
            let (e, n) = (
                c.errors.get(b).copied().unwrap_or(0),
                c.calls.get(b).copied().unwrap_or(0),
            );
            if e == 0 {
                0.0
            } else {
                e as f64 / n.max(e) as f64
            }
        };
        let crit = |b: usize| {
            let u = util(b).map_or(Heat::Cold, |u| {
                if u >= UTIL_HOT {
                    Heat::Hot
                } else {
                    Heat::Cold
                }
            });
            let qb = q(b);
            let prev = if b == 0 { 0.0 } else { q(b - 1) };
            let qh = if qb < q_hot {
                Heat::Cold
            } else if qb > prev {
                Heat::Hot
            } else {
                Heat::Neither
            };
            let e = if err(b) >= ERROR_HOT {
                Heat::Hot
            } else {
                Heat::Cold
            };
            [u, qh, e]
        };
        let sat: Vec<Heat> = (0..nb)
            .map(|b| match crit(b) {
                [u, q, _] if u == Heat::Hot || q == Heat::Hot => Heat::Hot,
                [Heat::Cold, Heat::Cold, _] => Heat::Cold,
                _ => Heat::Neither,
            })
            .collect();
        let failing: Vec<Heat> = (0..nb).map(|b| crit(b)[2]).collect();
        let saturated = spans(&sat, sat_sustain, |b| {
            if crit(b)[0] == Heat::Hot {
                (
                    "utilization",
                    format!("utilization {}", pct(util(b).unwrap_or(0.0))),
                )
            } else {
                (
                    "queue",
                    format!(
                        "queue {:.1} per instance and growing (normal {normal:.1})",
                        q(b)
                    ),
                )
            }
        });
        let failed = spans(&failing, err_sustain, |b| {
            ("errors", format!("failing {} of its calls", pct(err(b))))
        });
        out.push(Signal {
            component: c.name.to_string(),
            on: &SATURATED,
            off: &RECOVERED,
            spans: union(saturated, failed),
        });
    }
    let heat: Vec<Heat> = (0..nb)
        .map(|b| match rate(b) {
            None => Heat::Neither,
            Some(r) if r >= ERROR_HOT => Heat::Hot,
            Some(_) => Heat::Cold,
        })
        .collect();
    out.push(Signal {
        component: "system".into(),
        on: &ERRORS_HIGH,
        off: &ERRORS_NORMAL,
        spans: spans(&heat, err_sustain, |b| {
            (
                "errors",
                format!("error rate {}", pct(rate(b).unwrap_or(0.0))),
            )
        }),
    });
    out
}

/// An incident being followed.
struct Open {
    trigger: Trigger,
    more: Vec<Trigger>,
    /// Triggers still on.
    open: usize,
    /// Latest end among the triggers (the start, for load).
    end_s: f64,
    /// Signals crossed in this incident, and whether each is on now.
    crossed: Vec<(usize, bool)>,
    crossings: Vec<Crossing>,
    /// Latest time a crossed signal went off.
    last_off_s: f64,
    load: bool,
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    /// A signal goes off (at its first cold bucket's start).
    Off(usize),
    TrigStart(usize),
    TrigEnd(usize),
    /// A signal goes on (known at the end of its first hot bucket).
    On(usize, usize),
}

/// The analysis: timeline entries for saturation and error-rate changes, and the incidents.
pub(crate) fn analyze(inp: &Input<'_>) -> (Vec<TimelineEntry>, Vec<Cascade>) {
    let iv = inp.interval_s;
    let n = inp.succeeded.len().min(inp.failed.len());
    let nb = if iv > 0.0 {
        ((inp.end_s / iv).ceil() as usize).min(n)
    } else {
        0
    };
    let trigs: Vec<Trig> = triggers(inp.timeline)
        .into_iter()
        .filter(|t| t.start_s < inp.end_s)
        .collect();
    let sigs = signals(inp, nb, trigs.first().map(|t| t.start_s));
    // Events keyed by (time, order). A signal's on is known at the end of its first hot
    // bucket: a trigger that starts inside that bucket comes first and claims the crossing,
    // and at equal times the on (about the bucket before) comes first. An off is at the start
    // of the first cold bucket.
    let mut evs: Vec<(f64, u8, Ev)> = Vec::new();
    for (i, t) in trigs.iter().enumerate() {
        evs.push((t.start_s, 3, Ev::TrigStart(i)));
        if let Some(e) = t.end_s.filter(|e| *e < inp.end_s) {
            evs.push((e, 2, Ev::TrigEnd(i)));
        }
    }
    for (s, sig) in sigs.iter().enumerate() {
        for (k, sp) in sig.spans.iter().enumerate() {
            evs.push(((sp.on + 1) as f64 * iv, 0, Ev::On(s, k)));
            if let Some(off) = sp.off {
                evs.push((off as f64 * iv, 1, Ev::Off(s)));
            }
        }
    }
    evs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));

    let lookback = SATURATION_SUSTAIN_S.max(iv);
    let mut timeline = Vec::new();
    let mut done: Vec<Cascade> = Vec::new();
    let mut cur: Option<Open> = None;
    let trigger_of = |t: &Trig| Trigger {
        kind: "fault".into(),
        component: t.component.clone(),
        event: t.event.clone(),
        detail: t.detail.clone(),
        start_s: t.start_s,
        end_s: t.end_s,
        verb: t.verb.clone(),
    };
    let grace = |o: &Open| if o.load { 0.0 } else { iv };
    let settled =
        |o: &Open, t: f64| o.open == 0 && o.crossed.iter().all(|c| !c.1) && t >= o.end_s + grace(o);
    // When a settled incident was over: its last crossed signal normal, and the grace passed.
    let over_at = |o: &Open| o.last_off_s.max(o.end_s + grace(o));
    let peak = |from: f64, to: f64| {
        let mut best: (f64, Option<f64>) = (0.0, None);
        let first = (from / iv).floor() as usize;
        for b in first..nb {
            let t = b as f64 * iv;
            if t > to {
                break;
            }
            let (s, f) = (inp.succeeded[b], inp.failed[b]);
            if s + f > 0 {
                let r = f as f64 / (s + f) as f64;
                if best.1.is_none() || r > best.0 {
                    best = (r, Some(t));
                }
            }
        }
        best
    };
    let close = |o: Open, verdict: &str, at: f64| {
        let (peak_error_rate, peak_error_t_s) = peak(o.trigger.start_s, at);
        let recovered = verdict == "recovered";
        let metastable = verdict == "metastable";
        Cascade {
            trigger: o.trigger,
            more_triggers: o.more,
            crossings: o.crossings,
            peak_error_rate,
            peak_error_t_s,
            verdict: verdict.to_string(),
            recovered_after_s: recovered.then(|| (o.last_off_s - o.end_s).max(0.0)),
            normal_at_s: recovered.then_some(o.last_off_s),
            still_failing_after_s: metastable.then_some(inp.end_s - o.end_s),
            detection: None,
        }
    };
    let verdict_now = |o: &Open| {
        if o.crossings.is_empty() {
            "absorbed"
        } else {
            "recovered"
        }
    };
    for (t, _, ev) in evs {
        if let Some(o) = cur.take() {
            if settled(&o, t) {
                let (v, at) = (verdict_now(&o), over_at(&o));
                done.push(close(o, v, at));
            } else {
                cur = Some(o);
            }
        }
        match ev {
            Ev::TrigStart(i) => {
                let tr = trigger_of(&trigs[i]);
                match cur.as_mut() {
                    Some(o) if !o.load => {
                        o.open += 1;
                        o.more.push(tr);
                    }
                    // A load incident that began within one sustain window before the
                    // trigger is the trigger's: at bucket resolution, a noisy busy bucket
                    // just before the onset cannot be told apart from the onset.
                    Some(o) if o.trigger.start_s >= t - lookback => {
                        for x in &mut o.crossings {
                            x.t_s = x.t_s.max(tr.start_s);
                            x.after_s = x.t_s - tr.start_s;
                        }
                        o.end_s = tr.start_s;
                        o.last_off_s = o.last_off_s.max(tr.start_s);
                        o.trigger = tr;
                        o.open = 1;
                        o.load = false;
                    }
                    _ => {
                        if let Some(o) = cur.take() {
                            done.push(close(o, "unresolved", t));
                        }
                        cur = Some(Open {
                            end_s: tr.start_s,
                            trigger: tr,
                            more: Vec::new(),
                            open: 1,
                            crossed: Vec::new(),
                            crossings: Vec::new(),
                            last_off_s: t,
                            load: false,
                        });
                    }
                }
            }
            Ev::TrigEnd(i) => {
                if let Some(o) = cur.as_mut() {
                    let ours = o.trigger.start_s == trigs[i].start_s
                        && o.trigger.component == trigs[i].component
                        && o.trigger.event == trigs[i].event
                        || o.more.iter().any(|m| {
                            m.start_s == trigs[i].start_s
                                && m.component == trigs[i].component
                                && m.event == trigs[i].event
                        });
                    if ours {
                        o.open = o.open.saturating_sub(1);
                        o.end_s = o.end_s.max(t);
                    }
                }
            }
            Ev::On(s, k) => {
                let sig = &sigs[s];
                let sp = &sig.spans[k];
                let bucket_start = sp.on as f64 * iv;
                // A trigger that starts inside the bucket is the earliest the signal can
                // have crossed.
                let at = match &cur {
                    Some(o) if o.trigger.start_s > bucket_start => o.trigger.start_s,
                    _ => bucket_start,
                };
                timeline.push(TimelineEntry::new(
                    at,
                    &sig.component,
                    sig.on,
                    sp.detail.clone(),
                ));
                if cur.is_none() {
                    cur = Some(Open {
                        trigger: Trigger {
                            kind: "load".into(),
                            component: sig.component.clone(),
                            event: "load".into(),
                            detail: String::new(),
                            start_s: at,
                            end_s: None,
                            verb: String::new(),
                        },
                        more: Vec::new(),
                        open: 0,
                        end_s: at,
                        crossed: Vec::new(),
                        crossings: Vec::new(),
                        last_off_s: at,
                        load: true,
                    });
                }
                let o = cur.as_mut().expect("an incident is open");
                match o.crossed.iter_mut().find(|c| c.0 == s) {
                    Some(c) => c.1 = true,
                    None => {
                        o.crossed.push((s, true));
                        o.crossings.push(Crossing {
                            component: sig.component.clone(),
                            event: sig.on.name.to_string(),
                            reason: sp.reason.to_string(),
                            t_s: at,
                            after_s: at - o.trigger.start_s,
                            detail: sp.detail.clone(),
                        });
                    }
                }
            }
            Ev::Off(s) => {
                let sig = &sigs[s];
                timeline.push(TimelineEntry::new(
                    t,
                    &sig.component,
                    sig.off,
                    String::new(),
                ));
                if let Some(o) = cur.as_mut() {
                    if let Some(c) = o.crossed.iter_mut().find(|c| c.0 == s) {
                        c.1 = false;
                        o.last_off_s = o.last_off_s.max(t);
                    }
                }
            }
        }
    }
    if let Some(o) = cur.take() {
        let end = inp.end_s;
        let (verdict, end) = if o.open == 0 && o.crossed.iter().all(|c| !c.1) {
            (verdict_now(&o), over_at(&o).min(end))
        } else if o.open == 0 && !o.load && end - o.end_s >= METASTABLE_AFTER_S.max(5.0 * iv) {
            ("metastable", end)
        } else {
            ("unresolved", end)
        };
        done.push(close(o, verdict, end));
    }
    (timeline, done)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry as the model declares it: the faults start, their ends end them.
    fn entry(t_s: f64, component: &str, event: &'static str) -> TimelineEntry {
        let e = match event {
            "crash" => Event::starts(event, Category::Fault, "crashed"),
            "recover" => Event::ends(event, Category::Recovery, "crash"),
            "partition_start" | "slow_start" => Event::starts(event, Category::Fault, "x"),
            "partition_end" => Event::ends(event, Category::Recovery, "partition_start"),
            "slow_end" => Event::ends(event, Category::Recovery, "slow_start"),
            "fault_start" => Event::starts(event, Category::Fault, "fault"),
            _ => Event::moment(event, Category::Other),
        };
        TimelineEntry::new(t_s, component, &e, String::new())
    }

    /// 100 one-second buckets of 100 requests; `bad` buckets fail `f` of them.
    fn input<'a>(
        timeline: &'a [TimelineEntry],
        comps: Vec<CompSeries<'a>>,
        bad: std::ops::Range<usize>,
        f: u64,
    ) -> Input<'a> {
        let failed: Vec<u64> = (0..100)
            .map(|b| if bad.contains(&b) { f } else { 0 })
            .collect();
        Input {
            interval_s: 1.0,
            warmup_s: 0.0,
            end_s: 100.0,
            succeeded: failed.iter().map(|f| 100 - f).collect(),
            failed,
            components: comps,
            timeline,
        }
    }

    #[test]
    fn hysteresis_needs_two_buckets_each_way() {
        use Heat::*;
        let h = [Hot, Cold, Hot, Hot, Cold, Hot, Cold, Cold, Hot];
        let s = spans(&h, 2, |_| ("x", String::new()));
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].on, s[0].off), (2, Some(6)));
    }

    #[test]
    fn triggers_pair_starts_with_ends_and_drop_replica_copies() {
        let mut tl = vec![
            entry(10.0, "db", "crash"),
            entry(12.0, "app[1]", "partition_start"),
            entry(20.0, "db", "recover"),
            entry(25.0, "app[1]", "partition_end"),
            entry(30.0, "x", "fault_start"),
        ];
        tl.push(TimelineEntry {
            detail: "down (replication 2)".into(),
            ..entry(10.0, "db", "crash")
        });
        tl.push(entry(20.0, "db", "recover"));
        let t = triggers(&tl);
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].start_s, t[0].end_s), (10.0, Some(20.0)));
        assert_eq!((t[1].start_s, t[1].end_s), (12.0, Some(25.0)));
        assert_eq!(t[2].end_s, None);
    }

    #[test]
    fn triggers_are_the_events_that_start_a_state_whatever_their_names() {
        let at = |t: f64, e: Event| TimelineEntry::new(t, "db", &e, String::new());
        let tl = [
            at(10.0, Event::starts("boom", Category::Fault, "went boom")),
            // Named like a trigger, declared a moment: no trigger.
            at(12.0, Event::moment("fault_start", Category::Other)),
            at(15.0, Event::ends("all_good", Category::Recovery, "boom")),
        ];
        let t = triggers(&tl);
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].start_s, t[0].end_s, t[0].verb.as_str()),
            (10.0, Some(15.0), "went boom")
        );
    }

    #[test]
    fn a_crash_that_recovers() {
        let tl = [entry(20.5, "db", "crash"), entry(30.5, "db", "recover")];
        let q = vec![Some(0.0); 100];
        let errors: Vec<u64> = (0..100)
            .map(|b| if (20..31).contains(&b) { 50 } else { 0 })
            .collect();
        let calls = vec![50u64; 100];
        let comps = vec![CompSeries {
            name: "db",
            utilization: None,
            queue: &q,
            errors: &errors,
            calls: &calls,
        }];
        let inp = input(&tl, comps, 20..33, 50);
        let (timeline, c) = analyze(&inp);
        assert_eq!(c.len(), 1, "{c:#?}");
        let c = &c[0];
        assert_eq!(c.verdict, "recovered");
        assert_eq!(c.crossings.len(), 2);
        assert_eq!(c.crossings[0].t_s, 20.5);
        // Errors normal from bucket 33: 2.5 s after the end.
        assert_eq!(c.recovered_after_s, Some(2.5));
        assert_eq!(c.peak_error_rate, 0.5);
        let ev: Vec<&str> = timeline.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(
            ev,
            ["saturated", "errors_high", "recovered", "errors_normal"]
        );
    }

    #[test]
    fn still_failing_long_after_the_trigger_is_metastable() {
        let tl = [
            entry(10.0, "api", "slow_start"),
            entry(20.0, "api", "slow_end"),
        ];
        let inp = input(&tl, Vec::new(), 12..100, 60);
        let (_, c) = analyze(&inp);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].verdict, "metastable");
        assert_eq!(c[0].still_failing_after_s, Some(80.0));
    }

    #[test]
    fn nothing_crossed_is_absorbed_and_load_alone_is_load() {
        let tl = [
            entry(10.0, "api", "slow_start"),
            entry(20.0, "api", "slow_end"),
        ];
        let inp = input(&tl, Vec::new(), 50..60, 30);
        let (_, c) = analyze(&inp);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].verdict, "absorbed");
        assert_eq!(c[1].trigger.kind, "load");
        assert_eq!(c[1].verdict, "recovered");
        assert_eq!(c[1].recovered_after_s, Some(10.0));
    }
}
