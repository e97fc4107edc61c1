//! The run page's "where the time goes" figures: each component's mean response time split
//! into its phases, and the latency of the median's and the p99's requests split by
//! component and phase.

use super::chart::stacked_bars;
use super::figure;
use archsim_stats::SimResult;

/// Parts of a breakdown group shown on their own; the rest is summed as "other".
const SHOWN: usize = 7;

/// The figures, or none when the run has no component times.
pub(super) fn time_figures(r: &SimResult) -> anyhow::Result<Vec<String>> {
    let mut figs = Vec::new();
    let comps: Vec<(String, Vec<(String, f64)>)> = r
        .components
        .iter()
        .filter_map(|(name, c)| {
            let t = c.time_ms.as_ref()?;
            Some((
                name.clone(),
                vec![
                    ("wait".to_string(), t.wait),
                    ("service".to_string(), t.service),
                    ("downstream".to_string(), t.downstream),
                    ("network".to_string(), t.network),
                ],
            ))
        })
        .collect();
    if !comps.is_empty() {
        let title = "Mean response time of each component, by phase";
        figs.push(figure(
            "component-time",
            title,
            stacked_bars("mean time per call (ms)", &comps)?,
        ));
    }
    if let Some(b) = &r.breakdown {
        let group = |parts: &[archsim_stats::Part]| -> Vec<(String, f64)> {
            let mut out: Vec<(String, f64)> = parts
                .iter()
                .take(SHOWN)
                .map(|p| {
                    let label = if p.component.is_empty() {
                        p.phase.clone()
                    } else {
                        format!("{} {}", p.component, p.phase)
                    };
                    (label, p.share * 100.0)
                })
                .collect();
            let rest: f64 = parts.iter().skip(SHOWN).map(|p| p.share * 100.0).sum();
            if rest > 0.0 {
                out.push(("other".to_string(), rest));
            }
            out
        };
        let bars = vec![
            ("median requests".to_string(), group(&b.median)),
            ("p99 requests".to_string(), group(&b.p99)),
        ];
        let title = "Where the time of the median's and the p99's requests goes";
        figs.push(figure(
            "breakdown",
            title,
            stacked_bars("share of the requests' latency (%)", &bars)?,
        ));
    }
    Ok(figs)
}
