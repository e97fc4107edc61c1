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

/// The component that limits the architecture: the highest utilization, or (when no
/// component has limited cores) the most rejections. Returns its name and why.
pub(crate) fn bottleneck(r: &SimResult) -> Option<(String, String)> {
    let by_util = r
        .components
        .iter()
        .filter_map(|(n, c)| c.utilization.map(|u| (n, u)))
        .fold(None::<(&String, f64)>, |best, (n, u)| match best {
            Some((_, b)) if b >= u => best,
            _ => Some((n, u)),
        });
    if let Some((n, u)) = by_util {
        return Some((n.clone(), format!("{n} {}", pct(u))));
    }
    let by_rej = r.components.iter().filter(|(_, c)| c.rejected > 0).fold(
        None::<(&String, u64)>,
        |best, (n, c)| match best {
            Some((_, b)) if b >= c.rejected => best,
            _ => Some((n, c.rejected)),
        },
    );
    by_rej.map(|(n, k)| (n.clone(), format!("{n} ({k} rejected)")))
}

/// The bottleneck as JSON: `{component, utilization, rejected}` or `null`.
pub(crate) fn bottleneck_json(r: &SimResult) -> serde_json::Value {
    match bottleneck(r) {
        Some((n, _)) => {
            let c = &r.components[&n];
            serde_json::json!({"component": n, "utilization": c.utilization, "rejected": c.rejected})
        }
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
