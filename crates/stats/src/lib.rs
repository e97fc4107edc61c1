//! Statistics of archsim runs.
//!
//! This crate knows nothing about the engine: times are plain `u64` nanoseconds. It holds
//!
//! * [`Recorder`]: what one run collects while it runs: end-to-end latency in HdrHistograms
//!   (overall and per class, constant memory), outcome counters, errors by reason, the time
//!   series and the timeline;
//! * [`TimeAverage`]: a time-weighted average and maximum clipped to the measured window, used
//!   for utilization and queue lengths;
//! * [`ComponentStats`]: the figures of one component: its [`Counters`] and series by name,
//!   and the derived [`Figure`]s (ratios, means, rates) it declares beside them, computed
//!   after pooling;
//! * the timeline: each [`Event`] declared by its recorder with a [`Category`] (how reports
//!   colour it) and a [`Phase`] (a moment, or the start or end of a state);
//! * where the time goes ([`CallTimes`], [`Breakdown`]): each component's response time and
//!   its phases (wait, service, downstream, network), and requests' latency split by
//!   component and phase along their critical path, binned by latency so that the median's
//!   and the p99's requests can be told apart after pooling;
//! * per instance ([`MemoryPerInstance`], [`InstanceSeries`]): each instance's memory, and
//!   when a run asks for them, each instance's series per interval;
//! * [`RunStats`]: everything one replication produced; replications merge exactly
//!   ([`RunStats::merge`]: histograms add, counters add);
//! * the incident analysis ([`Cascade`]): saturation and error-rate changes derived from the
//!   pooled series, and for each fault (or load surge) what crossed which threshold, when,
//!   and whether the system recovered, absorbed it, or stayed failing (metastable);
//! * alert rules ([`alerts`]): thresholds and SLO burn rates evaluated on each replication's
//!   series as a Prometheus server would, and each incident's time to detect;
//! * [`SimResult`]: the result of the contract, built from merged stats, with its JSON
//!   ([`SimResult::to_json`]) and text ([`SimResult::summary`]) renderings.
//!
//! ```
//! use archsim_stats::Hist;
//!
//! let mut h = Hist::new();
//! for ms in 1..=1000u64 {
//!     h.record(ms * 1_000_000); // nanoseconds
//! }
//! assert_eq!(h.count(), 1000);
//! let p99 = h.quantile_ms(0.99).unwrap();
//! assert!((p99 - 990.0).abs() < 1.0);
//! assert_eq!(h.max_ms(), Some(1000.0));
//! ```
//!
//! Accounting is exact: every request ends as succeeded, failed (with a reason) or in flight,
//! and `generated = succeeded + failed + in_flight` is checked when a result is built.
#![deny(missing_docs)]

pub mod alerts;
mod breakdown;
mod cascade;
mod ci;
mod detect;
mod figure;
mod hist;
mod instances;
mod loghist;
mod recorder;
mod result;
mod serial;
mod text;
mod time_average;
mod timeline;
pub use text::{clock, CLOCK_AFTER_S};

pub use alerts::{AlertRule, AlertsSpec, FiredAlert};
pub use breakdown::{
    Bin, Breakdown, BreakdownResult, CallTimes, ComponentLatency, Group, Part, TimeMs, CALL_PHASES,
    DOWNSTREAM, NETWORK, PATH_PHASES, SERVICE, WAIT,
};
pub use cascade::{Cascade, Crossing, Trigger};
pub use ci::{interval, t975, Ci95, Headline, Interval, LatencyCi};
pub use detect::Detection;
pub use figure::{Chart, Counters, Figure, Figures, SeriesSet};
pub use instances::{
    InstanceMemory, InstanceSeries, InstanceSeriesValues, MemoryFigures, MemoryPerInstance,
    INSTANCE_SERIES_MAX,
};
pub use loghist::LogHist;
pub use recorder::{
    ComponentStats, Hist, Outcomes, Recorder, RegionLinkStats, RunStats, SeriesBucket, TimeAverage,
    Window,
};
pub use result::{
    ClassResult, ComponentResult, Cost, LatencyMs, PerInstance, RegionLinkResult, Requests,
    ResultError, SeriesResult, SimResult, SloResult, SloSpec,
};
pub use timeline::{Category, Event, Phase, TimelineEntry};
