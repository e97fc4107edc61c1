//! Aligned text tables and the figures that compare and sweep show.

use archsim_stats::SimResult;

/// An aligned table: the first `left` columns are left-aligned, the rest right-aligned.
/// Cost columns without any cost are left out.
pub(crate) fn render(header: &[String], rows: &[Vec<String>], left: usize) -> String {
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| {
            !header[i].starts_with("cost")
                || rows.iter().any(|r| r.get(i).is_some_and(|c| c != "-"))
        })
        .collect();
    let header: Vec<String> = keep.iter().map(|&i| header[i].clone()).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| keep.iter().filter_map(|&i| r.get(i).cloned()).collect())
        .collect();
    let (header, rows) = (&header[..], &rows[..]);
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate().take(n) {
            if i > 0 {
                l.push_str("  ");
            }
            let pad = width[i] - c.chars().count();
            if i < left {
                l.push_str(c);
                l.push_str(&" ".repeat(pad));
            } else {
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for r in rows {
        line(r);
    }
    out
}

/// A latency in ms with sensible precision.
pub(crate) fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v >= 1000.0 => format!("{:.2}s", v / 1000.0),
        Some(v) if v >= 100.0 => format!("{v:.0}ms"),
        Some(v) if v >= 10.0 => format!("{v:.1}ms"),
        Some(v) => format!("{v:.2}ms"),
    }
}

/// A fraction as a percentage with sensible precision.
pub(crate) fn pct(v: f64) -> String {
    if v == 0.0 {
        "0%".into()
    } else if v < 0.0001 {
        format!("{:.4}%", v * 100.0)
    } else if v < 0.01 {
        format!("{:.2}%", v * 100.0)
    } else {
        format!("{:.1}%", v * 100.0)
    }
}

/// A number with up to 4 significant digits, no trailing zeros.
pub(crate) fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// What limits an architecture: the most exhausted bounded resource of any component.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bottleneck {
    /// The component.
    pub component: String,
    /// The instance, when one instance is markedly hotter than the component's mean.
    pub instance: Option<usize>,
    /// `cpu` (cores), `workers` (a worker or connection pool) or `queue` (a waiting room,
    /// for a component with neither bound).
    pub resource: &'static str,
    /// How full the resource was over the measured window (the hottest instance's figure).
    pub utilization: Option<f64>,
    /// Calls the component turned away.
    pub rejected: u64,
    /// Chosen because its full waiting room turned calls away (its resource was exhausted
    /// at times, whatever its mean over the window).
    pub full: bool,
}

impl Bottleneck {
    /// `app[3] cpu 100%`, `app workers 97.1%`, `db queue full (120 rejected)`.
    pub fn label(&self) -> String {
        let at = match self.instance {
            Some(i) => format!("{}[{i}]", self.component),
            None => self.component.clone(),
        };
        match (self.full, self.utilization) {
            (true, _) | (_, None) => {
                format!("{at} {} full, {} rejected", self.resource, self.rejected)
            }
            (false, Some(u)) => format!("{at} {} {}", self.resource, pct(u)),
        }
    }
}

/// A resource this full counts as exhausted, whatever else turned calls away.
const SATURATED: f64 = 0.95;

/// The hottest instance's figure of `per` (the component mean `mean` when there is no
/// per-instance figure), and the instance when it is hotter than the mean by over 5%.
fn hottest(mean: f64, per: Option<&Vec<f64>>) -> (f64, Option<usize>) {
    let Some((i, &max)) = per.and_then(|v| {
        v.iter()
            .enumerate()
            .fold(None::<(usize, &f64)>, |best, (i, u)| match best {
                Some((_, b)) if b >= u => best,
                _ => Some((i, u)),
            })
    }) else {
        return (mean, None);
    };
    (max, (max > mean * 1.05).then_some(i))
}

/// The resource that limits the architecture. Every component's cores and workers are
/// judged by their hottest instance; the fullest resource wins, unless none is saturated
/// and some component turned calls away from a full queue (then the one that turned away
/// the most). `None` when nothing is bounded and nothing was rejected.
pub(crate) fn bottleneck_of(r: &SimResult) -> Option<Bottleneck> {
    let mut best: Option<Bottleneck> = None;
    for (n, c) in &r.components {
        let per = c.per_instance.as_ref();
        let candidates = [
            (
                "cpu",
                c.utilization,
                per.and_then(|p| p.utilization.as_ref()),
            ),
            (
                "workers",
                c.worker_utilization,
                per.and_then(|p| p.worker_utilization.as_ref()),
            ),
        ];
        for (resource, mean, per) in candidates {
            let Some(mean) = mean else { continue };
            let (u, instance) = hottest(mean, per);
            if best
                .as_ref()
                .is_none_or(|b| b.utilization.is_some_and(|bu| u > bu))
            {
                best = Some(Bottleneck {
                    component: n.clone(),
                    instance,
                    resource,
                    utilization: Some(u),
                    rejected: c.rejected,
                    full: false,
                });
            }
        }
    }
    if best
        .as_ref()
        .is_some_and(|b| b.utilization.is_some_and(|u| u >= SATURATED))
    {
        return best;
    }
    let by_rej = r.components.iter().filter(|(_, c)| c.rejected > 0).fold(
        None::<(&String, u64)>,
        |best, (n, c)| match best {
            Some((_, b)) if b >= c.rejected => best,
            _ => Some((n, c.rejected)),
        },
    );
    // A call waits in the room only while every worker (without workers: every core) is
    // taken, so a rejection shows that resource exhausted.
    match by_rej {
        Some((n, k)) => {
            let c = &r.components[n];
            let per = c.per_instance.as_ref();
            let (resource, figure) = match (c.worker_utilization, c.utilization) {
                (Some(w), _) => (
                    "workers",
                    Some(hottest(w, per.and_then(|p| p.worker_utilization.as_ref()))),
                ),
                (None, Some(u)) => (
                    "cpu",
                    Some(hottest(u, per.and_then(|p| p.utilization.as_ref()))),
                ),
                (None, None) => ("queue", None),
            };
            Some(Bottleneck {
                component: n.clone(),
                instance: figure.and_then(|f| f.1),
                resource,
                utilization: figure.map(|f| f.0),
                rejected: k,
                full: true,
            })
        }
        None => best,
    }
}

/// The bottleneck's component and its label ([`Bottleneck::label`]).
pub(crate) fn bottleneck(r: &SimResult) -> Option<(String, String)> {
    bottleneck_of(r).map(|b| (b.component.clone(), b.label()))
}

/// The bottleneck as JSON: `{component, instance, resource, utilization, rejected}` or
/// `null`.
pub(crate) fn bottleneck_json(r: &SimResult) -> serde_json::Value {
    match bottleneck_of(r) {
        Some(b) => serde_json::json!({
            "component": b.component,
            "instance": b.instance,
            "resource": b.resource,
            "utilization": b.utilization,
            "rejected": b.rejected,
            "full": b.full,
        }),
        None => serde_json::Value::Null,
    }
}

/// A figure with its 95% confidence half-width when there is one, in the figure's unit:
/// `212ms ±8.1`, `1.25s ±0.007`.
fn with_ci(v: Option<f64>, ci: Option<[f64; 2]>) -> String {
    match (v, ci) {
        (Some(x), Some([lo, hi])) => {
            let h = (hi - lo) / 2.0;
            let h = if x >= 1000.0 {
                half(h / 1000.0)
            } else {
                half(h)
            };
            format!("{} ±{h}", ms(v))
        }
        _ => ms(v),
    }
}

fn half(h: f64) -> String {
    if h >= 100.0 {
        format!("{h:.0}")
    } else if h >= 1.0 {
        format!("{h:.1}")
    } else if h >= 0.01 {
        format!("{h:.2}")
    } else {
        format!("{h:.3}")
    }
}

/// The header of the figures columns ([`figure_cells`]).
pub(crate) fn figure_header() -> Vec<String> {
    [
        "p50",
        "p95",
        "p99",
        "p99.9",
        "req/s",
        "errors",
        "slo",
        "bottleneck",
        "cost/h",
        "cost/M req",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The figures of one run, as table cells.
pub(crate) fn figure_cells(r: &SimResult) -> Vec<String> {
    let ci = r.ci95.as_ref();
    let l = &r.latency_ms;
    vec![
        with_ci(l.p50, ci.and_then(|c| c.latency_ms.p50)),
        with_ci(l.p95, ci.and_then(|c| c.latency_ms.p95)),
        with_ci(l.p99, ci.and_then(|c| c.latency_ms.p99)),
        with_ci(l.p999, ci.and_then(|c| c.latency_ms.p999)),
        format!("{:.1}", r.throughput_rps),
        pct(r.error_rate),
        r.slo.as_ref().map_or("-".into(), |s| {
            format!("{}{}", pct(s.attained), if s.met { "" } else { " MISSED" })
        }),
        bottleneck(r).map_or("-".into(), |b| b.1),
        r.cost
            .as_ref()
            .map_or("-".into(), |c| format!("{:.2}", c.per_hour)),
        r.cost
            .as_ref()
            .and_then(|c| c.per_million_requests)
            .map_or("-".into(), |c| format!("{c:.3}")),
    ]
}

/// A CSV line from `cells` (quoted where needed).
pub(crate) fn csv_line(cells: &[String]) -> String {
    let mut l = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    l.push('\n');
    l
}

/// The numeric figures of one run for a CSV table: p50, p95, p99, p999 (ms), throughput,
/// error rate, SLO attainment, bottleneck, cost per hour, cost per million requests.
pub(crate) fn figure_csv(r: &SimResult) -> Vec<String> {
    let o = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    let l = &r.latency_ms;
    vec![
        o(l.p50),
        o(l.p95),
        o(l.p99),
        o(l.p999),
        r.throughput_rps.to_string(),
        r.error_rate.to_string(),
        o(r.slo.as_ref().map(|s| s.attained)),
        bottleneck(r).map_or(String::new(), |b| b.0),
        bottleneck_of(r).map_or(String::new(), |b| b.label()),
        o(bottleneck_of(r).and_then(|b| b.utilization)),
        o(r.cost.as_ref().map(|c| c.per_hour)),
        o(r.cost.as_ref().and_then(|c| c.per_million_requests)),
    ]
}

/// The CSV header matching [`figure_csv`].
pub(crate) fn figure_csv_header() -> Vec<String> {
    [
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "p999_ms",
        "throughput_rps",
        "error_rate",
        "slo_attained",
        "bottleneck",
        "bottleneck_resource",
        "bottleneck_utilization",
        "cost_per_hour",
        "cost_per_million_requests",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare_file(rel: &str) -> SimResult {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scenarios/compare")
            .join(rel);
        archsim_scenario::load(&path, &[]).unwrap().run().unwrap()
    }

    /// The bottleneck is judged by the hottest instance and by every bounded resource,
    /// not by the CPU mean over instances (issue 11 item 9).
    #[test]
    fn the_bottleneck_names_the_exhausted_resource() {
        // One replica at 93% while the database's mean is near 50%.
        let b = bottleneck_of(&compare_file("how-many-replicas/a-one-replica.toml")).unwrap();
        assert_eq!(
            (b.component.as_str(), b.instance, b.resource),
            ("db", Some(1), "cpu")
        );
        assert!(b.utilization.unwrap() > 0.9, "{b:?}");
        // Round robin over unequal instances: app[3] saturates while the mean is ~72%.
        let b = bottleneck_of(&compare_file("lb-policy/a-round-robin.toml")).unwrap();
        assert_eq!(
            (b.component.as_str(), b.instance, b.resource),
            ("app", Some(3), "cpu")
        );
        assert_eq!(
            b.label(),
            format!("app[3] cpu {}", pct(b.utilization.unwrap()))
        );
        // The monolith's limit is its worker pool (CPU is at 12%).
        let b = bottleneck_of(&compare_file("monolith-or-services/a-monolith.toml")).unwrap();
        // Its workers are taken for the 20 s of a slow catalog, and its waiting room turns
        // requests away: a mean of 63% over the window, but exhausted.
        assert_eq!(
            (b.component.as_str(), b.resource, b.full),
            ("app", "workers", true)
        );
        assert!(b.label().starts_with("app workers full, "), "{}", b.label());
    }

    #[test]
    fn a_half_width_is_in_the_unit_of_its_figure() {
        assert_eq!(with_ci(Some(212.0), Some([203.9, 220.1])), "212ms ±8.1");
        assert_eq!(with_ci(Some(27.5), Some([27.23, 27.77])), "27.5ms ±0.27");
        assert_eq!(
            with_ci(Some(1250.0), Some([1243.1, 1256.9])),
            "1.25s ±0.007"
        );
        assert_eq!(with_ci(Some(2400.0), Some([2100.0, 2700.0])), "2.40s ±0.30");
        assert_eq!(with_ci(Some(5.0), None), "5.00ms");
        // 2.43 s ± 147 ms reads as 2.43s ±0.15, not 2.43s ±147.
        assert_eq!(with_ci(Some(2430.0), Some([2283.0, 2577.0])), "2.43s ±0.15");
    }
}
