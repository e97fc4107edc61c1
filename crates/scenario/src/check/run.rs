//! `[run]` (duration, warm-up, drain, seed, replications, in-flight bound, series interval)
//! and `[slo]`, and the bound on the number of series buckets they make together.

use super::ck::Ck;
use super::{DEFAULT_MAX_IN_FLIGHT, MAX_DURATION, MAX_REPLICATIONS, MAX_SERIES_BUCKETS};
use crate::raw::RawScenario;
use archsim_engine::SimTime;
use archsim_models::MAX_IN_FLIGHT;
use archsim_stats::SloSpec;
use std::ops::Range;

/// The checked `[run]` table, with defaults for what it leaves out.
pub(super) struct Run {
    /// The duration and where it is written (`None`: missing or wrong, reported).
    pub(super) duration: Option<(SimTime, Range<usize>)>,
    pub(super) warmup: SimTime,
    /// `None`: not given (the default is applied at the end) or wrong.
    pub(super) drain: Option<SimTime>,
    pub(super) seed: u64,
    pub(super) replications: u32,
    pub(super) interval: SimTime,
    pub(super) max_in_flight: u64,
}

/// Checks `[run]`.
pub(super) fn check_run(ck: &mut Ck, raw: &RawScenario) -> Run {
    let top = ck.top.clone();
    let mut duration = None;
    let mut warmup = SimTime::ZERO;
    let mut drain = None;
    let mut seed = 1u64;
    let mut replications = 1u32;
    let mut interval = SimTime::from_secs(1);
    let mut max_in_flight = DEFAULT_MAX_IN_FLIGHT;
    match &raw.run {
        None => ck.err(
            top.clone(),
            "missing [run] table; add `[run]` with `duration = \"10m\"`",
        ),
        Some(run) => {
            let r = run.get_ref();
            match &r.duration {
                None => ck.err(
                    run.span(),
                    "[run] needs `duration`, e.g. duration = \"10m\"",
                ),
                Some(d) => {
                    if let Some(t) = ck.duration(d, "run.duration") {
                        if t == SimTime::ZERO || t > MAX_DURATION {
                            ck.err(
                                d.span(),
                                "run.duration must be more than 0s and at most 30 days",
                            );
                        } else {
                            duration = Some((t, d.span()));
                        }
                    }
                }
            }
            if let Some(w) = &r.warmup {
                if let Some(t) = ck.duration(w, "run.warmup") {
                    warmup = t;
                    if let Some((d, _)) = duration {
                        if t >= d {
                            ck.err(
                                w.span(),
                                format!("run.warmup ({t}) must be shorter than run.duration ({d})"),
                            );
                        }
                    }
                }
            }
            if let Some(d) = &r.drain {
                drain = ck.duration(d, "run.drain");
                if drain.is_some_and(|d| d > MAX_DURATION) {
                    ck.err(d.span(), "run.drain must be at most 30 days");
                }
            }
            if let Some(s) = &r.seed {
                if let Some(v) = ck.int(s, "run.seed", 0, i64::MAX) {
                    seed = v as u64;
                }
            }
            if let Some(n) = &r.replications {
                if let Some(v) = ck.int(n, "run.replications", 1, MAX_REPLICATIONS) {
                    replications = v as u32;
                }
            }
            if let Some(m) = &r.max_in_flight {
                if let Some(v) = ck.int(m, "run.max_in_flight", 1, MAX_IN_FLIGHT as i64) {
                    max_in_flight = v as u64;
                }
            }
            if let Some(i) = &r.series_interval {
                if let Some(t) = ck.duration(i, "run.series_interval") {
                    if t < SimTime::from_millis(1) {
                        ck.err(i.span(), "run.series_interval must be at least 1ms");
                    } else {
                        interval = t;
                    }
                }
            }
        }
    }
    Run {
        duration,
        warmup,
        drain,
        seed,
        replications,
        interval,
        max_in_flight,
    }
}

/// Checks `[slo]`: the SLO for the results, and its latency for the model.
pub(super) fn check_slo(ck: &mut Ck, raw: &RawScenario) -> (Option<SloSpec>, Option<SimTime>) {
    let mut slo = None;
    let mut slo_latency = None;
    if let Some(s) = &raw.slo {
        let r = s.get_ref();
        let lat = match &r.latency {
            None => {
                ck.err(s.span(), "[slo] needs `latency`, e.g. latency = \"200ms\"");
                None
            }
            Some(l) => ck.duration(l, "slo.latency").filter(|t| {
                *t > SimTime::ZERO || {
                    ck.err(l.span(), "slo.latency must be more than 0s");
                    false
                }
            }),
        };
        let target = match &r.target {
            None => {
                ck.err(s.span(), "[slo] needs `target`, e.g. target = 0.999");
                None
            }
            Some(t) => ck.float(t, "slo.target", 0.0, 1.0, true),
        };
        if let (Some(l), Some(t)) = (lat, target) {
            slo_latency = Some(l);
            slo = Some(SloSpec {
                latency_ms: l.as_millis_f64(),
                target: t,
            });
        }
    }
    (slo, slo_latency)
}

/// The time series of a run must not have more than [`MAX_SERIES_BUCKETS`] buckets.
pub(super) fn series_buckets(ck: &mut Ck, run: &Run, drain: SimTime) {
    let interval = run.interval;
    if let Some((d, dspan)) = &run.duration {
        let buckets = d
            .saturating_add(drain)
            .as_nanos()
            .div_ceil(interval.as_nanos().max(1));
        if buckets > MAX_SERIES_BUCKETS {
            ck.err(
                dspan.clone(),
                format!(
                    "the time series would have {buckets} buckets (more than {MAX_SERIES_BUCKETS}); raise run.series_interval"
                ),
            );
        }
    }
}
