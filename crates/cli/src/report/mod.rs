//! CSV and HTML renderings: the time series as CSV, and one self-contained HTML page with
//! charts drawn by `plotters` (SVG backend), inlined so the page needs no network.
//!
//! Every chart sits in `<figure id="chart-NAME">` with a stable NAME: `latency`,
//! `throughput`, `errors`, `utilization`, `hit-ratio` (with caches), `timeline` (the events chart) for a run;
//! `compare-p99`, `compare-throughput`, `compare-errors` and (with costs) `compare-cost` for
//! a comparison (the same ids with `-QUESTION` per question of a suite); `sweep-p99`, `sweep-throughput`,
//! `sweep-errors` for a sweep; `capacity-probes` for a capacity search.
//!
//! `chart` draws (the only `plotters` code), `csv` writes the series, `events` lays the
//! timeline out in lanes, and each page kind has
//! its file (`run`, `compare`, `sweep`, `capacity`, `suite`); this module holds the page frame
//! and the escaping they share.

mod capacity;
mod chart;
mod compare;
mod csv;
mod events;
mod run;
mod runway;
mod suite;
mod sweep;
mod time;

pub(crate) use capacity::capacity_html;
pub(crate) use compare::compare_html;
pub(crate) use csv::series_csv;
pub(crate) use run::run_html;
pub(crate) use runway::runway_html;
pub(crate) use suite::{compare_suite_html, SuiteSection};
pub(crate) use sweep::sweep_html;

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A chart in its figure, with its id.
fn figure(id: &str, title: &str, svg: String) -> String {
    // Inline SVG needs no namespace attribute; dropping it leaves no URL in the page.
    let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    format!(
        "<figure id=\"chart-{id}\">\n<figcaption>{}</figcaption>\n{svg}\n</figure>\n",
        esc(title)
    )
}

fn page(title: &str, head: &str, summary: &str, figures: &[String]) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!("<title>{}</title>\n", esc(title)));
    s.push_str(
        "<style>body{font-family:sans-serif;margin:2em;max-width:1080px}\
         pre{background:#f6f6f6;padding:1em;white-space:pre-wrap;font-size:12px}\
         figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.3em}\
         table.headline{border-collapse:collapse;margin:1em 0}\
         table.headline th{text-align:left;padding:.25em 1.5em .25em 0;color:#555}\
         table.headline td{padding:.25em 0}.ok{color:#1a7f1a}.bad{color:#c01818}\
         .incidents li{margin:.3em 0}h2{font-size:1.15em}\
         .events{max-height:24em;overflow-y:auto}.events table{border-collapse:collapse;font-size:13px}\
         .events td,.events th{padding:.15em .8em .15em 0;text-align:left;vertical-align:top}\
         details summary{cursor:pointer;color:#555}\
         table.figures{border-collapse:collapse;margin:1em 0;font-size:14px}\
         table.figures th{text-align:right;padding:.3em .7em;border-bottom:2px solid #ccc;white-space:nowrap}\
         table.figures td{text-align:right;padding:.3em .7em;border-bottom:1px solid #eee;white-space:nowrap}\
         table.figures th.label,table.figures td.label{text-align:left}\
         table.figures tr.overload td{background:#fdf0f0;white-space:normal}.meta{color:#555}</style>\n",
    );
    s.push_str("</head>\n<body>\n");
    s.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    s.push_str(head);
    if !summary.is_empty() {
        s.push_str(&format!("<pre>{}</pre>\n", esc(summary)));
    }
    for f in figures {
        s.push_str(f);
    }
    s.push_str("</body>\n</html>");
    s
}
