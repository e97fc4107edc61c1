//! Confidence intervals over replications.
//!
//! The pooled figures of a result come from merged histograms. Beside them, each replication
//! keeps its own headline figures ([`Headline`]); with two replications or more, [`Ci95`] gives
//! for each figure the 95% confidence interval of its mean over replications (Student t with
//! `n - 1` degrees of freedom): `mean ± t(0.975, n-1) · s / √n`.

use crate::recorder::RunStats;
use serde::Serialize;

/// The headline figures of one replication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Headline {
    /// Mean latency of measured successes, ms.
    pub mean_ms: Option<f64>,
    /// Median latency, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// 99.9th percentile, ms.
    pub p999_ms: Option<f64>,
    /// Measured successes per second of the measured window.
    pub throughput_rps: f64,
    /// failed / (succeeded + failed) over measured requests.
    pub error_rate: f64,
    /// Good / (succeeded + failed), only with an SLO.
    pub slo_attained: Option<f64>,
}

impl Headline {
    /// The headline figures of `stats` (one replication, or several pooled). `with_slo` says
    /// whether the scenario has an SLO (the recorder counted `good` against it).
    pub fn of(stats: &RunStats, with_slo: bool) -> Headline {
        let o = &stats.overall;
        let h = &o.latency;
        let reps = stats.replications.max(1) as f64;
        let window_s = stats.window.len_ns() as f64 / 1e9 * reps;
        let done = o.succeeded + o.failed;
        let ratio = |a: u64| {
            if done == 0 {
                0.0
            } else {
                a as f64 / done as f64
            }
        };
        Headline {
            mean_ms: h.mean_ms(),
            p50_ms: h.quantile_ms(0.5),
            p95_ms: h.quantile_ms(0.95),
            p99_ms: h.quantile_ms(0.99),
            p999_ms: h.quantile_ms(0.999),
            throughput_rps: if window_s > 0.0 {
                o.succeeded as f64 / window_s
            } else {
                0.0
            },
            error_rate: ratio(o.failed),
            slo_attained: with_slo.then(|| ratio(o.good)),
        }
    }
}

/// A 95% confidence interval `[low, high]`.
pub type Interval = [f64; 2];

/// 95% confidence intervals of the latency figures, ms (`null` when some replication had no
/// successes).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyCi {
    /// Of the mean.
    pub mean: Option<Interval>,
    /// Of the median.
    pub p50: Option<Interval>,
    /// Of the 95th percentile.
    pub p95: Option<Interval>,
    /// Of the 99th percentile.
    pub p99: Option<Interval>,
    /// Of the 99.9th percentile.
    pub p999: Option<Interval>,
}

/// 95% confidence intervals of the headline figures over replications.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ci95 {
    /// Replications the intervals come from.
    pub replications: u32,
    /// Latency figures, ms.
    pub latency_ms: LatencyCi,
    /// Throughput, successes per second.
    pub throughput_rps: Interval,
    /// Error rate.
    pub error_rate: Interval,
    /// SLO attainment, only with an SLO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo_attained: Option<Interval>,
}

impl Ci95 {
    /// The intervals over `reps` (one entry per replication, in replication order); `None`
    /// with fewer than two replications.
    pub fn of(reps: &[Headline]) -> Option<Ci95> {
        if reps.len() < 2 {
            return None;
        }
        // Latency and throughput cannot be negative, rates not above 1: the t interval of a
        // few spread replications can reach past those, so it is cut at them.
        let clamp = |[lo, hi]: Interval, max: f64| [lo.clamp(0.0, max), hi.clamp(0.0, max)];
        let opt = |f: fn(&Headline) -> Option<f64>| -> Option<Interval> {
            let v: Option<Vec<f64>> = reps.iter().map(f).collect();
            v.map(|v| clamp(interval(&v), f64::INFINITY))
        };
        let all = |f: fn(&Headline) -> f64| -> Interval {
            clamp(
                interval(&reps.iter().map(f).collect::<Vec<_>>()),
                f64::INFINITY,
            )
        };
        let rate = |f: fn(&Headline) -> Option<f64>| -> Option<Interval> {
            let v: Option<Vec<f64>> = reps.iter().map(f).collect();
            v.map(|v| clamp(interval(&v), 1.0))
        };
        Some(Ci95 {
            replications: reps.len() as u32,
            latency_ms: LatencyCi {
                mean: opt(|h| h.mean_ms),
                p50: opt(|h| h.p50_ms),
                p95: opt(|h| h.p95_ms),
                p99: opt(|h| h.p99_ms),
                p999: opt(|h| h.p999_ms),
            },
            throughput_rps: all(|h| h.throughput_rps),
            error_rate: rate(|h| Some(h.error_rate)).expect("every replication has one"),
            slo_attained: rate(|h| h.slo_attained),
        })
    }
}

/// `mean ± t · s / √n` over `v` (at least two values).
pub fn interval(v: &[f64]) -> Interval {
    let n = v.len();
    if n == 0 {
        return [f64::NAN, f64::NAN];
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return [mean, mean];
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t975(n as u32 - 1) * (var / n as f64).sqrt();
    [mean - half, mean + half]
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: u32) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => T[df as usize - 1],
        _ => {
            // Cornish-Fisher expansion around the normal quantile (error < 1e-4 beyond 30).
            let z: f64 = 1.959964;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles() {
        assert_eq!(t975(1), 12.706);
        assert!((t975(40) - 2.021).abs() < 1e-3, "{}", t975(40));
        assert!((t975(120) - 1.980).abs() < 1e-3, "{}", t975(120));
        assert!((t975(100_000) - 1.96).abs() < 1e-3);
    }

    #[test]
    fn interval_of_known_values() {
        // mean 2, s = 1, n = 3: half-width 4.303 / sqrt(3)
        let [lo, hi] = interval(&[1.0, 2.0, 3.0]);
        let half = 4.303 / 3f64.sqrt();
        assert!((lo - (2.0 - half)).abs() < 1e-12 && (hi - (2.0 + half)).abs() < 1e-12);
    }

    #[test]
    fn intervals_stay_within_what_the_figures_can_be() {
        let h = |ms: f64, rps: f64, err: f64| Headline {
            mean_ms: Some(ms),
            p99_ms: Some(ms),
            throughput_rps: rps,
            error_rate: err,
            slo_attained: Some(1.0 - err),
            ..Headline::default()
        };
        let ci = Ci95::of(&[h(1.0, 0.0, 0.0), h(100.0, 50.0, 0.9)]).expect("two replications");
        let lat = ci.latency_ms.mean.expect("mean");
        assert_eq!(lat[0], 0.0);
        assert!(lat[1] > 100.0);
        assert_eq!(ci.latency_ms.p99.expect("p99")[0], 0.0);
        assert_eq!(ci.throughput_rps[0], 0.0);
        assert_eq!(ci.error_rate, [0.0, 1.0]);
        assert_eq!(ci.slo_attained, Some([0.0, 1.0]));
    }
}
