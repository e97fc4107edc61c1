//! The time series of one run as CSV.

use crate::table::csv_line;
use archsim_stats::SimResult;

/// The time series as CSV: `t_s`, the top-level series, then each component series as
/// `COMPONENT.SERIES`; one row per bucket, empty cells where a value is missing.
pub(crate) fn series_csv(r: &SimResult) -> String {
    let s = &r.series;
    let mut header: Vec<String> = [
        "t_s",
        "rps",
        "goodput_rps",
        "error_rate",
        "p50_ms",
        "p95_ms",
        "p99_ms",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect();
    let mut comp: Vec<&Vec<Option<f64>>> = Vec::new();
    for (name, c) in &r.components {
        if let Some(series) = &c.series {
            for (sname, v) in series {
                header.push(format!("{name}.{sname}"));
                comp.push(v);
            }
        }
    }
    let o = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    let at = |v: &Vec<Option<f64>>, i: usize| v.get(i).copied().flatten();
    let mut out = csv_line(&header);
    for i in 0..s.t_s.len() {
        let mut row = vec![
            s.t_s[i].to_string(),
            o(s.rps.get(i).copied()),
            o(s.goodput_rps.get(i).copied()),
            o(s.error_rate.get(i).copied()),
            o(at(&s.p50_ms, i)),
            o(at(&s.p95_ms, i)),
            o(at(&s.p99_ms, i)),
        ];
        for v in &comp {
            row.push(o(at(v, i)));
        }
        out.push_str(&csv_line(&row));
    }
    out
}
