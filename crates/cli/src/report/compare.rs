//! The HTML page of a comparison, and the figures table that comparisons, sweeps and
//! suites share.

use super::chart::bar_chart;
use super::{esc, figure, page};
use crate::outcome::Outcome;
use crate::table;
use archsim_stats::SimResult;

/// The bar charts of a comparison (the runs that did not overload): p99 (log scale when the
/// bars span orders of magnitude), throughput, error rate, and cost per million requests
/// when some run has a cost; ids `compare-p99{id_suffix}`, `compare-throughput{id_suffix}`,
/// `compare-errors{id_suffix}`, `compare-cost{id_suffix}`, captions after `caption_prefix`.
pub(super) fn compare_charts(
    names: &[String],
    outcomes: &[Outcome],
    id_suffix: &str,
    caption_prefix: &str,
) -> anyhow::Result<Vec<String>> {
    let ok: Vec<(String, &SimResult)> = names
        .iter()
        .zip(outcomes)
        .filter_map(|(n, o)| o.as_ref().ok().map(|r| (n.clone(), r)))
        .collect();
    let bars = |f: &dyn Fn(&SimResult) -> f64| -> Vec<(String, f64)> {
        ok.iter().map(|(n, r)| (n.clone(), f(r))).collect()
    };
    let p99 = bars(&|r| r.latency_ms.p99.unwrap_or(f64::NAN));
    let thr = bars(&|r| r.throughput_rps);
    let err = bars(&|r| r.error_rate * 100.0);
    let mut figs = vec![
        figure(
            &format!("compare-p99{id_suffix}"),
            &format!("{caption_prefix}p99 latency per architecture"),
            bar_chart(
                "p99 latency per architecture",
                "p99 (ms)",
                &p99,
                true,
                &|_, v| table::ms(Some(v)),
            )?,
        ),
        figure(
            &format!("compare-throughput{id_suffix}"),
            &format!("{caption_prefix}Throughput per architecture"),
            bar_chart(
                "Throughput per architecture",
                "requests per second",
                &thr,
                false,
                &|_, v| format!("{v:.0}"),
            )?,
        ),
        figure(
            &format!("compare-errors{id_suffix}"),
            &format!("{caption_prefix}Error rate per architecture"),
            bar_chart(
                "Error rate per architecture",
                "failed requests (%)",
                &err,
                false,
                &|_, v| table::pct(v / 100.0),
            )?,
        ),
    ];
    if ok.iter().any(|(_, r)| r.cost.is_some()) {
        let per_m = bars(&|r| {
            r.cost
                .as_ref()
                .and_then(|c| c.per_million_requests)
                .unwrap_or(f64::NAN)
        });
        let per_h: Vec<Option<f64>> = ok
            .iter()
            .map(|(_, r)| r.cost.as_ref().map(|c| c.per_hour))
            .collect();
        figs.push(figure(
            &format!("compare-cost{id_suffix}"),
            &format!(
                "{caption_prefix}Cost per million requests per architecture (per hour in brackets)"
            ),
            bar_chart(
                "Cost per million requests per architecture",
                "cost per million requests",
                &per_m,
                false,
                &|i, v| match per_h.get(i).copied().flatten() {
                    Some(h) => format!("{v:.3} ({h:.2}/h)"),
                    None => format!("{v:.3}"),
                },
            )?,
        ));
    }
    Ok(figs)
}

/// The HTML report of a comparison: the figures table ([`figures_table`]), then p99 and
/// throughput per architecture.
pub(crate) fn compare_html(names: &[String], outcomes: &[Outcome]) -> anyhow::Result<String> {
    let figs = compare_charts(names, outcomes, "", "")?;
    let head = format!(
        "{}{}",
        run_meta(outcomes, "each"),
        figures_table(names, outcomes)
    );
    Ok(page("archsim: comparison", &head, "", &figs))
}

/// `seed 1 · 3 replications each` from the first result, as a paragraph (empty when every
/// run overloaded).
pub(super) fn run_meta(outcomes: &[Outcome], per: &str) -> String {
    let Some(r) = outcomes.iter().find_map(|o| o.as_ref().ok()) else {
        return String::new();
    };
    format!(
        "<p class=\"meta\">seed {} · {} replication{} {per}</p>\n",
        r.seed,
        r.replications,
        if r.replications == 1 { "" } else { "s" }
    )
}

/// The summary table of a comparison: one row per scenario (named by `names`) with the
/// figures of the terminal table ([`table::figure_header`]); an overloaded run's row says so.
pub(super) fn figures_table(names: &[String], outcomes: &[Outcome]) -> String {
    let labels: Vec<Vec<String>> = names.iter().map(|n| vec![n.clone()]).collect();
    labelled_figures_table(&["scenario".to_string()], &labels, outcomes)
}

/// [`figures_table`] with several label columns (a sweep's swept keys): `labels[i]` holds
/// the label cells of row `i`, under `label_header`. Cost columns appear only when some run
/// has a cost.
pub(super) fn labelled_figures_table(
    label_header: &[String],
    labels: &[Vec<String>],
    outcomes: &[Outcome],
) -> String {
    let header = table::figure_header();
    let cells: Vec<Option<Vec<String>>> = outcomes
        .iter()
        .map(|o| o.as_ref().ok().map(table::figure_cells))
        .collect();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| {
            !header[i].starts_with("cost")
                || cells
                    .iter()
                    .flatten()
                    .any(|c| c.get(i).is_some_and(|v| v != "-"))
        })
        .collect();
    let mut s = String::from("<table class=\"figures\">\n<tr>");
    for h in label_header {
        s.push_str(&format!("<th class=\"label\">{}</th>", esc(h)));
    }
    for &i in &keep {
        s.push_str(&format!("<th>{}</th>", esc(&header[i])));
    }
    s.push_str("</tr>\n");
    for ((label, o), c) in labels.iter().zip(outcomes).zip(&cells) {
        let class = if o.is_err() {
            " class=\"overload\""
        } else {
            ""
        };
        s.push_str(&format!("<tr{class}>"));
        for l in label {
            s.push_str(&format!("<td class=\"label\">{}</td>", esc(l)));
        }
        match (o, c) {
            (Ok(_), Some(c)) => {
                for &i in &keep {
                    let v = c.get(i).map_or("-", |v| v.as_str());
                    let bad = header[i] == "slo" && v.ends_with("MISSED");
                    s.push_str(&if bad {
                        format!("<td class=\"bad\">{}</td>", esc(v))
                    } else {
                        format!("<td>{}</td>", esc(v))
                    });
                }
            }
            _ => {
                let why = o.as_ref().err().map_or("", |e| e.as_str());
                let why = why.strip_prefix("overload: ").unwrap_or(why);
                s.push_str(&format!(
                    "<td class=\"label bad\" colspan=\"{}\"><b>overload</b>: {}</td>",
                    keep.len(),
                    esc(why)
                ));
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}
