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
    // Lines are told apart by the values that differ between them, under keys shortened to
    // their last distinct segments (issue 12 item 16): `p99 policy=p2c`, not a legend cut
    // to `p99 components.lb.policy=…` on every line.
    let keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
    let short = short_keys(&keys);
    let label = |rest: &Vec<usize>| -> String {
        axes[1..]
            .iter()
            .zip(&short[1..])
            .zip(rest)
            .filter(|((a, _), _)| a.values.len() > 1)
            .map(|((a, k), &i)| format!("{k}={}", a.values[i]))
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
    // The caption names in full the keys the legend shortens.
    let per: Vec<&str> = axes[1..]
        .iter()
        .filter(|a| a.values.len() > 1)
        .map(|a| a.key.as_str())
        .collect();
    let lines_note = if per.is_empty() {
        String::new()
    } else {
        format!(" (a line per {})", per.join(" × "))
    };
    let figs = vec![
        figure(
            "sweep-p99",
            &format!("Latency vs {}{lines_note}", a0.key),
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
            &format!("Throughput vs {}{lines_note}", a0.key),
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
            &format!("Error rate vs {}{lines_note}", a0.key),
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

/// Each dotted key cut to its shortest suffix of segments that no other key ends with:
/// `components.lb.policy` -> `policy`, but `components.app.cores` and `components.db.cores`
/// -> `app.cores` and `db.cores`.
pub(super) fn short_keys(keys: &[&str]) -> Vec<String> {
    let suffix = |k: &str, n: usize| -> String {
        let parts: Vec<&str> = k.split('.').collect();
        parts[parts.len().saturating_sub(n)..].join(".")
    };
    keys.iter()
        .map(|k| {
            let segments = k.split('.').count();
            (1..=segments)
                .map(|n| suffix(k, n))
                .find(|s| {
                    keys.iter()
                        .filter(|o| *o != k)
                        .all(|o| *o != s.as_str() && !o.ends_with(&format!(".{s}")))
                })
                .unwrap_or_else(|| k.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::short_keys;

    #[test]
    fn keys_shorten_to_their_last_distinct_segments() {
        assert_eq!(
            short_keys(&["traffic.rate", "components.lb.policy"]),
            ["rate", "policy"]
        );
        assert_eq!(
            short_keys(&[
                "traffic.rate",
                "components.app.cores",
                "components.db.cores"
            ]),
            ["rate", "app.cores", "db.cores"]
        );
        assert_eq!(short_keys(&["a.b", "b"]), ["a.b", "b"]);
    }
}
