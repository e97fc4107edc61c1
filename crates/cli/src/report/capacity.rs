//! The HTML page of a capacity search: the probes and the answer.

use super::chart::{line_chart, Opts};
use super::{figure, page};
use crate::table;
use archsim_stats::SimResult;

/// The latency figure `fig` (`mean`, `p50`, `p90`, `p95`, `p999`; otherwise p99) of `r`,
/// as an objective names it.
pub(super) fn latency_figure(r: &SimResult, fig: &str) -> Option<f64> {
    match fig {
        "mean" => r.latency_ms.mean,
        "p50" => r.latency_ms.p50,
        "p90" => r.latency_ms.p90,
        "p95" => r.latency_ms.p95,
        "p999" => r.latency_ms.p999,
        _ => r.latency_ms.p99,
    }
}

/// The HTML report of a capacity search: the judged latency figure at each probe, with the
/// limit.
pub(crate) fn capacity_html(
    name: &str,
    key: &str,
    probes: &[(f64, Option<&SimResult>, bool)],
    latency: Option<(&str, f64)>,
    text: &str,
) -> anyhow::Result<String> {
    let (fig, limit) = latency.unwrap_or(("p99", f64::NAN));
    let get = |r: &SimResult| latency_figure(r, fig);
    // Sorted by the probed value: the search probes out of order (doubling, then bisecting).
    let pts = |meets: bool| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = probes
            .iter()
            .filter(|p| p.2 == meets)
            .filter_map(|(v, r, _)| r.and_then(get).map(|y| (*v, y)))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    let lines = vec![
        (format!("{fig}, meets"), pts(true)),
        (format!("{fig}, fails"), pts(false)),
    ];
    let title = format!("{fig} at each probe of {key}");
    let limit_label = format!("limit {}", table::ms(Some(limit)));
    let hline = limit.is_finite().then_some((limit, limit_label.as_str()));
    let figs = vec![figure(
        "capacity-probes",
        &title,
        line_chart(
            &title,
            key,
            "latency (ms)",
            &lines,
            &Opts {
                hline,
                ..Default::default()
            },
        )?,
    )];
    let summary: String = probes
        .iter()
        .map(|(v, r, m)| {
            format!(
                "{key} = {}: {fig} {}  {}\n",
                table::num(*v),
                table::ms(r.and_then(get)),
                if *m { "meets" } else { "fails" }
            )
        })
        .collect();
    Ok(page(
        &format!("archsim: capacity of {name}"),
        "",
        // The terminal text holds the probes and the verdict; the probe list is a fallback.
        if text.is_empty() { &summary } else { text },
        &figs,
    ))
}
