//! The HTML page of a sweep: the figures along the swept axes.

use super::chart::{line_chart, Line, Opts};
use super::compare::{labelled_figures_table, run_meta};
use super::{figure, page};
use crate::outcome::{Axis, Outcome};
use archsim_stats::SimResult;

/// Sweep points sharing the values of the other axes: those values, and (first-axis index,
/// result) of each point.
pub(super) type Group<'a> = (Vec<usize>, Vec<(usize, &'a SimResult)>);

/// The HTML report of a sweep: the figures table (one row per point, labelled by the swept
/// values), then p50/p95/p99, throughput and errors against the first swept key (one line per
/// combination of the other keys).
pub(crate) fn sweep_html(
    name: &str,
    axes: &[Axis],
    points: &[Vec<usize>],
    outcomes: &[Outcome],
) -> anyhow::Result<String> {
    let a0 = &axes[0];
    let numeric = a0.values.iter().all(|v| v.parse::<f64>().is_ok());
    let x_of = |i: usize| {
        if numeric {
            a0.values[i].parse::<f64>().unwrap_or(i as f64)
        } else {
            i as f64
        }
    };
    // Group points by the values of the other axes.
    let mut groups: Vec<Group> = Vec::new();
    for (p, o) in points.iter().zip(outcomes) {
        let Ok(r) = o else { continue };
        let rest = p[1..].to_vec();
        match groups.iter_mut().find(|g| g.0 == rest) {
            Some(g) => g.1.push((p[0], r)),
            None => groups.push((rest, vec![(p[0], r)])),
        }
    }
    let label = |rest: &Vec<usize>| -> String {
        axes[1..]
            .iter()
            .zip(rest)
            .map(|(a, &i)| format!("{}={}", a.key, a.values[i]))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let line = |f: &dyn Fn(&SimResult) -> Option<f64>, name: &str| -> Vec<Line> {
        groups
            .iter()
            .map(|(rest, pts)| {
                let l = label(rest);
                (
                    if l.is_empty() {
                        name.to_string()
                    } else {
                        format!("{name} {l}")
                    },
                    pts.iter()
                        .filter_map(|(i, r)| f(r).map(|v| (x_of(*i), v)))
                        .collect(),
                )
            })
            .collect()
    };
    let mut lat: Vec<Line> = Vec::new();
    if groups.len() <= 1 {
        lat.extend(line(&|r| r.latency_ms.p50, "p50"));
        lat.extend(line(&|r| r.latency_ms.p95, "p95"));
    }
    lat.extend(line(&|r| r.latency_ms.p99, "p99"));
    let x_desc = if numeric {
        a0.key.clone()
    } else {
        format!("{} (point index)", a0.key)
    };
    let figs = vec![
        figure(
            "sweep-p99",
            &format!("Latency vs {}", a0.key),
            line_chart(
                &format!("Latency vs {}", a0.key),
                &x_desc,
                "latency (ms)",
                &lat,
                &Opts {
                    log_ok: true,
                    ..Default::default()
                },
            )?,
        ),
        figure(
            "sweep-throughput",
            &format!("Throughput vs {}", a0.key),
            line_chart(
                &format!("Throughput vs {}", a0.key),
                &x_desc,
                "requests per second",
                &line(&|r| Some(r.throughput_rps), "throughput"),
                &Opts::default(),
            )?,
        ),
        figure(
            "sweep-errors",
            &format!("Error rate vs {}", a0.key),
            line_chart(
                &format!("Error rate vs {}", a0.key),
                &x_desc,
                "failed requests (%)",
                &line(&|r| Some(r.error_rate * 100.0), "error rate"),
                &Opts::default(),
            )?,
        ),
    ];
    let keys: Vec<String> = axes.iter().map(|a| a.key.clone()).collect();
    let labels: Vec<Vec<String>> = points
        .iter()
        .map(|p| {
            axes.iter()
                .zip(p)
                .map(|(a, &i)| a.values[i].clone())
                .collect()
        })
        .collect();
    let head = format!(
        "{}{}",
        run_meta(outcomes, "per point"),
        labelled_figures_table(&keys, &labels, outcomes)
    );
    Ok(page(&format!("archsim: sweep of {name}"), &head, "", &figs))
}
