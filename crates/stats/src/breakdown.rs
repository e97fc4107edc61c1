//! Where the time goes: each component's response time as its callers see it and the phases
//! of its calls ([`CallTimes`]), and the latency of requests split by component and phase
//! along their critical path, binned by the request's latency ([`Breakdown`]), with their
//! results (`components.NAME.latency_ms`, `components.NAME.time_ms`, `breakdown`).
//!
//! A call's time at a component (arrival to reply) is *wait* (arrival to the start of its
//! work: a worker, a row lock, a core) + *service* (its own work: CPU time, a cache's hit
//! time, a publish) + *downstream* (its calls' time at the components it called) +
//! *network* (the hops of those calls). Along a request's critical path (in a fanout step,
//! the call that answered last) these add up to the request's latency; what a request spent
//! in earlier attempts, backoff or guarded retries is *retries*.
//!
//! Everything here is integer nanoseconds that add exactly over replications; the shares
//! and percentiles are computed once, from the pooled figures.

use crate::loghist::{self, LogHist};
use crate::recorder::Hist;
use serde::{Deserialize, Serialize};

/// The phases of a call's time at a component, in the order of [`CallTimes::phase_ns`].
pub const CALL_PHASES: [&str; 4] = ["wait", "service", "downstream", "network"];
/// Index of `wait` in [`CALL_PHASES`].
pub const WAIT: usize = 0;
/// Index of `service` in [`CALL_PHASES`].
pub const SERVICE: usize = 1;
/// Index of `downstream` in [`CALL_PHASES`].
pub const DOWNSTREAM: usize = 2;
/// Index of `network` in [`CALL_PHASES`].
pub const NETWORK: usize = 3;

/// The breakdown's phases per component (a request's own time: wait, service, network; the
/// downstream time is the called components' own).
pub const PATH_PHASES: usize = 3;

/// The response time of one component's calls that arrived in the measured window.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CallTimes {
    /// Arrival to reply, in nanoseconds (3% buckets).
    pub latency: LogHist,
    /// Exact sum of the above.
    pub sum_ns: u128,
    /// Exact sums per phase ([`CALL_PHASES`]); they add up to `sum_ns`.
    pub phase_ns: [u128; 4],
    /// Per class (only with several classes): latency and its exact sum.
    pub classes: Vec<(LogHist, u128)>,
}

impl CallTimes {
    /// Times for `classes` request classes.
    pub fn new(classes: usize) -> Self {
        Self {
            classes: if classes > 1 {
                vec![(LogHist::new(), 0); classes]
            } else {
                Vec::new()
            },
            ..Self::default()
        }
    }
    /// Records a call of `class` that took `total` ns, `phases` of it in each phase.
    #[inline]
    pub fn record(&mut self, class: usize, total: u64, phases: [u64; 4]) {
        self.latency.record(total);
        self.sum_ns += total as u128;
        for (s, p) in self.phase_ns.iter_mut().zip(phases) {
            *s += p as u128;
        }
        if let Some((h, sum)) = self.classes.get_mut(class) {
            h.record(total);
            *sum += total as u128;
        }
    }
    /// Adds another run's times (exact).
    pub fn merge(&mut self, o: &CallTimes) {
        self.latency.merge(&o.latency);
        self.sum_ns += o.sum_ns;
        for (a, b) in self.phase_ns.iter_mut().zip(o.phase_ns) {
            *a += b;
        }
        if self.classes.len() < o.classes.len() {
            self.classes.resize(o.classes.len(), (LogHist::new(), 0));
        }
        for ((h, s), (oh, os)) in self.classes.iter_mut().zip(&o.classes) {
            h.merge(oh);
            *s += os;
        }
    }
}

/// Sub-buckets per power of two of the breakdown's latency bins (2^4 = 16: 4.4% wide).
const BIN_BITS: u32 = 4;

/// One latency bin of the breakdown: the requests whose latency fell in it and where their
/// time went.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Bin {
    /// Requests in the bin.
    pub count: u64,
    /// Their latencies, summed (ns).
    pub latency_ns: u128,
    /// Time summed by part (ns): component `c`'s phase `p` at `c * PATH_PHASES + p`, then
    /// retries last.
    pub parts: Vec<u64>,
}

/// The latency of measured successful requests split by component and phase along their
/// critical path, summed per latency bin so that the requests around the median and at or
/// above the p99 can be picked once the pooled latency histogram is known.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Breakdown {
    /// Parts per bin: components x [`PATH_PHASES`] + 1 (retries).
    pub width: u32,
    /// Bins by latency bin index (allocated on first use).
    pub bins: Vec<Option<Box<Bin>>>,
}

impl Breakdown {
    /// A breakdown over `components` components.
    pub fn new(components: usize) -> Self {
        Self {
            width: (components * PATH_PHASES + 1) as u32,
            bins: Vec::new(),
        }
    }
    /// The slot of component `comp`'s phase `phase` (`WAIT`, `SERVICE` or `NETWORK`).
    #[inline]
    pub fn slot(comp: u32, phase: usize) -> u32 {
        let p = match phase {
            WAIT => 0,
            SERVICE => 1,
            _ => 2,
        };
        comp * PATH_PHASES as u32 + p
    }
    /// The slot of the retries.
    #[inline]
    pub fn retries_slot(&self) -> u32 {
        self.width - 1
    }
    /// The bin of a request of latency `latency_ns`, counted in it; its parts to add to.
    #[inline]
    pub fn request(&mut self, latency_ns: u64) -> &mut [u64] {
        let i = loghist::index_with(latency_ns, BIN_BITS);
        if i >= self.bins.len() {
            self.bins.resize(i + 1, None);
        }
        let width = self.width as usize;
        let b = self.bins[i].get_or_insert_with(|| {
            Box::new(Bin {
                count: 0,
                latency_ns: 0,
                parts: vec![0; width],
            })
        });
        b.count += 1;
        b.latency_ns += latency_ns as u128;
        &mut b.parts
    }
    /// Adds another run's bins (exact).
    pub fn merge(&mut self, o: &Breakdown) {
        if self.width == 0 {
            self.width = o.width;
        }
        if self.bins.len() < o.bins.len() {
            self.bins.resize(o.bins.len(), None);
        }
        for (a, b) in self.bins.iter_mut().zip(&o.bins) {
            let Some(b) = b else { continue };
            match a {
                None => *a = Some(b.clone()),
                Some(a) => {
                    a.count += b.count;
                    a.latency_ns += b.latency_ns;
                    for (x, y) in a.parts.iter_mut().zip(&b.parts) {
                        *x = x.saturating_add(*y);
                    }
                }
            }
        }
    }
    /// The requests whose latency bins lie in `[lo_ns, hi_ns]` (bins containing either end
    /// included): their count, mean latency, and the mean time per part.
    fn group(&self, lo_ns: u64, hi_ns: u64) -> Option<(u64, f64, Vec<f64>)> {
        let (a, b) = (
            loghist::index_with(lo_ns, BIN_BITS),
            loghist::index_with(hi_ns, BIN_BITS),
        );
        let mut count = 0u64;
        let mut lat = 0u128;
        let mut parts = vec![0u128; self.width as usize];
        for bin in self.bins.iter().take(b + 1).skip(a).flatten() {
            count += bin.count;
            lat += bin.latency_ns;
            for (x, y) in parts.iter_mut().zip(&bin.parts) {
                *x += *y as u128;
            }
        }
        (count > 0).then(|| {
            let n = count as f64;
            (
                count,
                lat as f64 / n,
                parts.iter().map(|p| *p as f64 / n).collect(),
            )
        })
    }
}

/// A component's response time in the result (milliseconds).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ComponentLatency {
    /// Exact mean.
    pub mean: Option<f64>,
    /// Median (within 3%).
    pub p50: Option<f64>,
    /// 95th percentile (within 3%).
    pub p95: Option<f64>,
    /// 99th percentile (within 3%).
    pub p99: Option<f64>,
    /// 99.9th percentile (within 3%).
    pub p999: Option<f64>,
}

impl ComponentLatency {
    fn of(h: &LogHist, sum_ns: u128) -> Self {
        let q = |q: f64| h.quantile(q).map(|ns| ns / 1e6);
        Self {
            mean: (!h.is_empty()).then(|| sum_ns as f64 / h.len() as f64 / 1e6),
            p50: q(0.5),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
        }
    }
}

/// The mean time per call in each phase (milliseconds); they add up to the mean latency.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimeMs {
    /// Waiting for admission: the waiting room, a worker, a row lock, a core.
    pub wait: f64,
    /// Its own work: CPU time (or a cache's hit time, a publish).
    pub service: f64,
    /// Waiting on its downstream calls (their time at the components called).
    pub downstream: f64,
    /// The network hops of its downstream calls.
    pub network: f64,
}

/// A component's response time per class.
pub(crate) type ByClass = indexmap::IndexMap<String, ComponentLatency>;

/// A component's response time and phases as the result shows them: `(latency_ms, time_ms,
/// latency by class)`; `None` for a component no measured call reached.
pub(crate) fn component_times(
    t: &CallTimes,
    class_names: &[String],
) -> Option<(ComponentLatency, TimeMs, Option<ByClass>)> {
    let n = t.latency.len();
    if n == 0 {
        return None;
    }
    let per = |i: usize| t.phase_ns[i] as f64 / n as f64 / 1e6;
    let classes = (!t.classes.is_empty()).then(|| {
        class_names
            .iter()
            .zip(&t.classes)
            .filter(|(_, (h, _))| !h.is_empty())
            .map(|(name, (h, sum))| (name.clone(), ComponentLatency::of(h, *sum)))
            .collect()
    });
    Some((
        ComponentLatency::of(&t.latency, t.sum_ns),
        TimeMs {
            wait: per(WAIT),
            service: per(SERVICE),
            downstream: per(DOWNSTREAM),
            network: per(NETWORK),
        },
        classes,
    ))
}

/// One part of a group's latency.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Part {
    /// The component (empty for `retries`).
    pub component: String,
    /// `wait`, `service`, `network`, or `retries`.
    pub phase: String,
    /// Mean milliseconds per request of the group.
    pub ms: f64,
    /// Share of the group's mean latency.
    pub share: f64,
}

/// A group of requests picked by latency.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Group {
    /// Requests in the group.
    pub requests: u64,
    /// Their mean latency.
    pub latency_ms: f64,
}

/// Where the time of the requests around the median and at or above the p99 went.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BreakdownResult {
    /// Requests between the 45th and 55th percentiles (by latency bin), parts by share.
    pub median: Vec<Part>,
    /// Requests at or above the p99 (by latency bin), parts by share.
    pub p99: Vec<Part>,
    /// The two groups' sizes and mean latencies.
    pub groups: indexmap::IndexMap<String, Group>,
}

/// The breakdown's result from the pooled bins and the pooled latency histogram.
pub(crate) fn breakdown_result(
    b: &Breakdown,
    latency: &Hist,
    components: &[String],
) -> Option<BreakdownResult> {
    if latency.count() == 0 || b.bins.is_empty() {
        return None;
    }
    let at = |q: f64| (latency.quantile_ms(q).unwrap_or(0.0) * 1e6) as u64;
    let mut groups = indexmap::IndexMap::new();
    let mut parts_of = |name: &str, lo: u64, hi: u64| -> Vec<Part> {
        let Some((n, mean, parts)) = b.group(lo, hi) else {
            return Vec::new();
        };
        groups.insert(
            name.to_string(),
            Group {
                requests: n,
                latency_ms: mean / 1e6,
            },
        );
        let mut out: Vec<Part> = parts
            .iter()
            .enumerate()
            .filter(|(_, ns)| **ns > 0.0)
            .map(|(i, ns)| {
                let (component, phase) = if i as u32 == b.retries_slot() {
                    (String::new(), "retries")
                } else {
                    let c = i / PATH_PHASES;
                    let phase = ["wait", "service", "network"][i % PATH_PHASES];
                    (components.get(c).cloned().unwrap_or_default(), phase)
                };
                Part {
                    component,
                    phase: phase.to_string(),
                    ms: ns / 1e6,
                    share: if mean > 0.0 { ns / mean } else { 0.0 },
                }
            })
            .collect();
        // By share, largest first; ties in the components' order (stable sort).
        out.sort_by(|a, b| b.share.total_cmp(&a.share));
        out
    };
    let median = parts_of("median", at(0.45), at(0.55));
    let p99 = parts_of("p99", at(0.99), u64::MAX);
    Some(BreakdownResult {
        median,
        p99,
        groups,
    })
}

/// "71% waiting in db's queue, 12% in app's CPU, ..." for the first parts whose shares make up
/// most of the time.
pub(crate) fn sentence(parts: &[Part]) -> String {
    let mut out = Vec::new();
    let mut total = 0.0;
    for p in parts {
        if out.len() == 4 || total >= 0.95 || p.share < 0.01 {
            break;
        }
        total += p.share;
        let what = match p.phase.as_str() {
            "wait" => format!("waiting in {}'s queue", p.component),
            "service" => format!("in {}'s service time", p.component),
            "network" => format!("on the network to {}", p.component),
            _ => "in retries and backoff".to_string(),
        };
        out.push(format!("{:.0}% {what}", p.share * 100.0));
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_phases_add_up_and_merge_exactly() {
        let mut a = CallTimes::new(2);
        a.record(0, 10, [1, 2, 3, 4]);
        let mut b = CallTimes::new(2);
        b.record(1, 20, [5, 5, 5, 5]);
        a.merge(&b);
        assert_eq!(a.sum_ns, 30);
        assert_eq!(a.phase_ns.iter().sum::<u128>(), 30);
        assert_eq!(a.classes[0].0.len(), 1);
        assert_eq!(a.classes[1].1, 20);
    }

    #[test]
    fn groups_pick_the_bins_of_their_percentiles() {
        // 98 fast requests all service at component 0, 2 slow ones all waiting at 1.
        let mut b = Breakdown::new(2);
        let mut h = Hist::new();
        for _ in 0..98 {
            b.request(1_000_000)[Breakdown::slot(0, SERVICE) as usize] += 1_000_000;
            h.record(1_000_000);
        }
        for _ in 0..2 {
            let p = b.request(100_000_000);
            p[Breakdown::slot(1, WAIT) as usize] += 90_000_000;
            p[Breakdown::slot(1, SERVICE) as usize] += 10_000_000;
            h.record(100_000_000);
        }
        let names = ["app".to_string(), "db".to_string()];
        let r = breakdown_result(&b, &h, &names).unwrap();
        assert_eq!(r.median.len(), 1);
        assert_eq!(r.median[0].component, "app");
        assert!((r.median[0].share - 1.0).abs() < 1e-12);
        assert_eq!(r.p99[0].component, "db");
        assert_eq!(r.p99[0].phase, "wait");
        assert!((r.p99[0].share - 0.9).abs() < 1e-12);
        assert_eq!(r.groups["p99"].requests, 2);
        assert_eq!(
            sentence(&r.p99),
            "90% waiting in db's queue, 10% in db's service time"
        );
    }
}
