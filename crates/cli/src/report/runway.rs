//! The HTML page of a runway projection: headroom over time, the judged latency against its
//! limit, and the utilization of the busiest components, month by month.

use super::chart::{line_chart, Line, Opts};
use super::{figure, page};
use crate::table;
use archsim_stats::SimResult;

/// One month of the projection: month, load, its result (none when it overloaded), whether
/// it meets every objective.
pub(crate) type Month<'a> = (f64, f64, Option<&'a SimResult>, bool);

/// The HTML report of `simulate runway`: headroom over time (the load the system can still
/// take before the earliest break, relative to the month's load), the judged latency figure
/// with its limit, and the CPU or worker utilization of the four busiest components.
pub(crate) fn runway_html(
    name: &str,
    key: &str,
    months: &[Month],
    limit_load: Option<f64>,
    latency: Option<(&str, f64)>,
    text: &str,
) -> anyhow::Result<String> {
    let _ = key;
    let mut figs = Vec::new();
    if let Some(l) = limit_load {
        let pts: Vec<(f64, f64)> = months
            .iter()
            .map(|(m, load, _, _)| (*m, (l / load - 1.0) * 100.0))
            // Past the break the headroom is negative: the chart ends where it runs out.
            .filter(|p| p.1 >= 0.0)
            .collect();
        let title = "headroom over time (traffic growth left before the first break)";
        figs.push(figure(
            "runway-headroom",
            title,
            line_chart(
                title,
                "month",
                "headroom (%)",
                &[("headroom".to_string(), pts)],
                &Opts {
                    hline: Some((0.0, "no headroom left")),
                    ..Default::default()
                },
            )?,
        ));
    }
    if let Some((fig, limit)) = latency {
        let get = |r: &SimResult| super::capacity::latency_figure(r, fig);
        let pts: Vec<(f64, f64)> = months
            .iter()
            .filter_map(|(m, _, r, _)| r.and_then(get).map(|y| (*m, y)))
            .collect();
        let title = format!("{fig} month by month");
        let label = format!("limit {}", table::ms(Some(limit)));
        figs.push(figure(
            "runway-latency",
            &title,
            line_chart(
                &title,
                "month",
                "latency (ms)",
                &[(fig.to_string(), pts)],
                &Opts {
                    hline: Some((limit, label.as_str())),
                    log_ok: true,
                    ..Default::default()
                },
            )?,
        ));
    }
    // The busiest components at the last month run, by CPU (else worker) utilization.
    let util = |r: &SimResult, c: &str| {
        r.components
            .get(c)
            .and_then(|x| x.utilization.or(x.worker_utilization))
    };
    if let Some(last) = months.iter().rev().find_map(|m| m.2) {
        let mut names: Vec<(&String, f64)> = last
            .components
            .iter()
            .filter_map(|(n, c)| c.utilization.or(c.worker_utilization).map(|u| (n, u)))
            .collect();
        names.sort_by(|a, b| b.1.total_cmp(&a.1));
        let lines: Vec<Line> = names
            .iter()
            .take(4)
            .map(|(n, _)| {
                let pts = months
                    .iter()
                    .filter_map(|(m, _, r, _)| r.and_then(|r| util(r, n)).map(|u| (*m, u * 100.0)))
                    .collect();
                (n.to_string(), pts)
            })
            .collect();
        if !lines.is_empty() {
            let title = "utilization of the busiest components (CPU, else workers)";
            figs.push(figure(
                "runway-utilization",
                title,
                line_chart(
                    title,
                    "month",
                    "utilization (%)",
                    &lines,
                    &Opts {
                        y_max: Some(100.0),
                        ..Default::default()
                    },
                )?,
            ));
        }
    }
    Ok(page(&format!("archsim: runway of {name}"), "", text, &figs))
}
