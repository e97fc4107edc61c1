//! CSV and HTML renderings: the time series as CSV, and one self-contained HTML page with
//! charts drawn by `plotters` (SVG backend), inlined so the page needs no network.
//!
//! Every chart sits in `<figure id="chart-NAME">` with a stable NAME: `latency`,
//! `throughput`, `errors`, `utilization`, `hit-ratio` (with caches), `timeline` for a run;
//! `compare-p99`, `compare-throughput` for a comparison (`compare-p99-QUESTION` and
//! `compare-throughput-QUESTION` per question of a suite); `sweep-p99`, `sweep-throughput`,
//! `sweep-errors` for a sweep; `capacity-probes` for a capacity search.

use crate::multi::{Axis, Outcome};
use crate::table::{self, csv_line};
use anyhow::anyhow;
use archsim_stats::SimResult;
use plotters::coord::ranged1d::{SegmentValue, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const W: u32 = 1060;
const H: u32 = 360;

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

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
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

type Line = (String, Vec<(f64, f64)>);

/// A labelled vertical line on a time chart (one or more timeline events at one moment).
struct Marker {
    x: f64,
    label: String,
    color: RGBColor,
}

/// What a line chart shows besides its lines.
#[derive(Clone, Copy, Default)]
struct Opts<'a> {
    /// Vertical event lines.
    markers: &'a [Marker],
    /// A horizontal reference line (a limit) and its legend label.
    hline: Option<(f64, &'a str)>,
    /// The x range, when several charts share one time axis.
    x_range: Option<(f64, f64)>,
    /// Whether the y axis may turn logarithmic when the values span orders of magnitude.
    log_ok: bool,
    /// A fixed top of the y axis (utilization: 100%).
    y_max: Option<f64>,
    /// A shaded x interval with its label (the warm-up).
    shade: Option<(f64, f64, &'a str)>,
    /// No tick labels above this (a percentage axis stretched to make room for marker
    /// labels should not read 120%).
    y_label_max: Option<f64>,
    /// Legend entries for the marker colours.
    marker_kinds: &'a [(&'static str, RGBColor)],
}

/// Width of a chart, and of the legend panel at its right (outside the plot, so it never
/// covers data).
const LEGEND_W: u32 = 210;
/// Height of a row of marker labels, as a fraction of the plot.
const ROW_FRAC: f64 = 0.065;
/// Rows of marker labels at most (further labels share the last row).
const MAX_ROWS: usize = 4;

/// Series colours: distinct and readable on white (the first is not yellow).
fn color(i: usize) -> RGBColor {
    const C: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    C[i % C.len()]
}

/// A tick label without needless decimals: `0`, `2.5`, `150,000`.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 && v.fract().abs() < 1e-9 && a < 1e15 {
        let sign = if v < 0.0 { "-" } else { "" };
        return format!("{sign}{}", thousands(a as u64));
    }
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

fn bounds(lines: &[Line], markers: &[Marker]) -> (f64, f64, f64) {
    let mut x0 = f64::INFINITY;
    let mut x1 = f64::NEG_INFINITY;
    let mut y1: f64 = 0.0;
    for (_, pts) in lines {
        for &(x, y) in pts {
            x0 = x0.min(x);
            x1 = x1.max(x);
            if y.is_finite() {
                y1 = y1.max(y);
            }
        }
    }
    for m in markers {
        x0 = x0.min(m.x);
        x1 = x1.max(m.x);
    }
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= 0.0 {
        y1 = 1.0;
    }
    (x0, x1, y1 * 1.1)
}

/// Smallest positive y of the lines.
fn min_positive(lines: &[Line]) -> Option<f64> {
    lines
        .iter()
        .flat_map(|l| l.1.iter().map(|p| p.1))
        .filter(|y| y.is_finite() && *y > 0.0)
        .min_by(f64::total_cmp)
}

/// A line chart with its legend in a panel at the right; see [`Opts`].
fn line_chart(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    lines: &[Line],
    o: &Opts,
) -> anyhow::Result<String> {
    let mut buf = String::new();
    let (mut x0, mut x1, mut y1) = bounds(lines, o.markers);
    if let Some((a, b)) = o.x_range {
        (x0, x1) = (a, b.max(a + 1e-9));
    }
    if let Some((y, _)) = o.hline {
        y1 = y1.max(y * 1.2);
    }
    if let Some(m) = o.y_max {
        y1 = y1.max(m);
    }
    // Log scale when the values span more than a factor of 30 (a latency that jumps from
    // milliseconds to seconds would otherwise flatten everything else to the floor).
    let log = o
        .log_ok
        .then(|| min_positive(lines))
        .flatten()
        .filter(|lo| y1 / 1.1 / lo > 30.0);
    // Marker labels sit in rows above the data: a label goes down a row while it would
    // touch the previous label of its row.
    let plot_w = (W - LEGEND_W - 110) as f64;
    let mut row_end: Vec<f64> = Vec::new();
    let rows: Vec<usize> = o
        .markers
        .iter()
        .map(|m| {
            let at = (m.x - x0) / (x1 - x0) * plot_w;
            let w = 7.0 * m.label.len() as f64 + 6.0;
            let row = row_end
                .iter()
                .position(|&e| e <= at)
                .unwrap_or_else(|| {
                    row_end.push(f64::NEG_INFINITY);
                    row_end.len() - 1
                })
                .min(MAX_ROWS - 1);
            row_end[row] = row_end[row].max(at + w);
            row
        })
        .collect();
    // The room made above the data for marker labels gets no tick labels.
    let cap = o.y_label_max.map_or(y1, |m| m.min(y1));
    let o = &Opts {
        y_label_max: Some(cap),
        ..*o
    };
    let head = if o.markers.is_empty() {
        0.0
    } else {
        ROW_FRAC * (row_end.len().min(MAX_ROWS) as f64) + 0.02
    };
    {
        let root = SVGBackend::with_string(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let (left, right) = root.split_horizontally(W - LEGEND_W);
        // The title is the figure's caption, outside the picture.
        let _ = title;
        let mut builder = ChartBuilder::on(&left);
        builder
            .margin(10)
            .margin_top(16)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(72);
        let mut entries: Vec<(String, ShapeStyle)> = Vec::new();
        match log {
            Some(lo) => {
                let lo = 10f64.powf((lo * 0.9).log10().floor());
                let y1 = y1 * (y1 / lo).powf(head / (1.0 - head));
                let mut chart = builder
                    .build_cartesian_2d(x0..x1, (lo..y1).log_scale())
                    .map_err(|e| anyhow!("{e}"))?;
                draw(
                    &mut chart,
                    x_desc,
                    &format!("{y_desc}, log scale"),
                    lines,
                    o,
                    lo,
                    y1,
                    &rows,
                    &mut entries,
                )?;
            }
            None => {
                let y1 = y1 / (1.0 - head);
                let mut chart = builder
                    .build_cartesian_2d(x0..x1, 0f64..y1)
                    .map_err(|e| anyhow!("{e}"))?;
                draw(
                    &mut chart,
                    x_desc,
                    y_desc,
                    lines,
                    o,
                    0.0,
                    y1,
                    &rows,
                    &mut entries,
                )?;
            }
        }
        legend(&right, &entries)?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(buf)
}

/// Draws the mesh, lines, markers, limit and shading of [`line_chart`] on either y scale;
/// pushes the legend entries.
#[allow(clippy::too_many_arguments)]
fn draw<Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<RangedCoordf64, Y>>,
    x_desc: &str,
    y_desc: &str,
    lines: &[Line],
    o: &Opts,
    y0: f64,
    y1: f64,
    rows: &[usize],
    entries: &mut Vec<(String, ShapeStyle)>,
) -> anyhow::Result<()>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (x0, x1) = {
        let r = chart.x_range();
        (r.start, r.end)
    };
    if let Some((a, b, label)) = o.shade {
        let b = b.min(x1);
        if b > a {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, y0), (b, y1)],
                    RGBColor(0, 0, 0).mix(0.06).filled(),
                )))
                .map_err(|e| anyhow!("{e}"))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.to_string(),
                    (a, y1),
                    ("sans-serif", 12).into_font().color(&RGBColor(90, 90, 90)),
                )))
                .map_err(|e| anyhow!("{e}"))?;
        }
    }
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| match o.y_label_max {
            Some(m) if *v > m + 1e-9 => String::new(),
            _ => tick(*v),
        })
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(RGBColor(0, 0, 0).mix(0.1))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for (i, (name, pts)) in lines.iter().enumerate() {
        let c = color(i);
        let pts: Vec<(f64, f64)> = pts.iter().copied().filter(|p| p.1 >= y0).collect();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
            .map_err(|e| anyhow!("{e}"))?;
        if pts.len() <= 40 {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))
                .map_err(|e| anyhow!("{e}"))?;
        }
        entries.push((name.clone(), c.stroke_width(2)));
    }
    for (m, row) in o.markers.iter().zip(rows) {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(m.x, y0), (m.x, y1)],
                m.color.mix(0.6).stroke_width(1),
            )))
            .map_err(|e| anyhow!("{e}"))?;
        let frac = 1.0 - 0.005 - ROW_FRAC * *row as f64;
        let y = if y0 > 0.0 {
            // Log scale: rows spaced evenly in log space.
            y0 * (y1 / y0).powf(frac)
        } else {
            y1 * frac
        };
        chart
            .draw_series(std::iter::once(Text::new(
                m.label.clone(),
                (m.x, y),
                ("sans-serif", 12)
                    .into_font()
                    .style(FontStyle::Bold)
                    .color(&m.color),
            )))
            .map_err(|e| anyhow!("{e}"))?;
    }
    if let Some((y, label)) = o.hline {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x0, y), (x1, y)],
                BLACK.mix(0.7).stroke_width(1),
            )))
            .map_err(|e| anyhow!("{e}"))?;
        entries.push((label.to_string(), BLACK.mix(0.7).stroke_width(1)));
    }
    for (name, c) in o.marker_kinds {
        entries.push((format!("event: {name}"), c.mix(0.7).stroke_width(1)));
    }
    Ok(())
}

/// The legend panel: a swatch and a name per series.
fn legend(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    entries: &[(String, ShapeStyle)],
) -> anyhow::Result<()> {
    for (i, (name, style)) in entries.iter().enumerate() {
        let y = 48 + 22 * i as i32;
        area.draw(&PathElement::new(vec![(4, y), (26, y)], *style))
            .map_err(|e| anyhow!("{e}"))?;
        let mut name = name.clone();
        if name.chars().count() > 26 {
            name = name.chars().take(25).collect::<String>() + "…";
        }
        area.draw(&Text::new(
            name,
            (32, y - 7),
            ("sans-serif", 13).into_font(),
        ))
        .map_err(|e| anyhow!("{e}"))?;
    }
    Ok(())
}

/// A bar chart of one value per name, each bar labelled with its value.
fn bar_chart(
    _title: &str,
    y_desc: &str,
    bars: &[(String, f64)],
    fmt: fn(f64) -> String,
) -> anyhow::Result<String> {
    let mut buf = String::new();
    // A segmented 0..k range has k + 1 slots: 0..n-1 gives one slot per bar.
    let n = bars.len().max(2) as i32;
    let ymax = bars
        .iter()
        .map(|b| b.1)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let y1 = if ymax > 0.0 { ymax * 1.15 } else { 1.0 };
    let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    {
        let root = SVGBackend::with_string(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_right(24)
            .x_label_area_size(40)
            .y_label_area_size(72)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..y1)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(RGBColor(0, 0, 0).mix(0.1))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .y_desc(y_desc)
            .y_label_formatter(&|v| tick(*v))
            .x_labels(names.len().max(1))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let i = i as i32;
                let mut r = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), v.max(0.0)),
                    ],
                    color(i as usize).filled(),
                );
                r.set_margin(0, 0, 24, 24);
                r
            }))
            .map_err(|e| anyhow!("{e}"))?;
        let label = ("sans-serif", 14)
            .into_font()
            .into_text_style(&root)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                Text::new(
                    if v.is_finite() { fmt(*v) } else { "-".into() },
                    (SegmentValue::CenterOf(i as i32), v.max(0.0) + y1 * 0.01),
                    label.clone(),
                )
            }))
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(buf)
}

fn pairs(t: &[f64], v: &[Option<f64>]) -> Vec<(f64, f64)> {
    t.iter()
        .zip(v)
        .filter_map(|(t, v)| v.filter(|v| v.is_finite()).map(|v| (*t, v)))
        .collect()
}

/// The kind of a timeline event and its colour on the charts: faults red, recoveries
/// green, scaling blue, saturation orange, breakers purple, anything else grey.
fn event_kind(event: &str) -> (&'static str, RGBColor) {
    let e = event;
    let has = |words: &[&str]| words.iter().any(|w| e.contains(w));
    if has(&["breaker", "circuit"]) {
        ("breaker", RGBColor(148, 103, 189))
    } else if e.starts_with("scale") || e.starts_with("instance") || e.starts_with("deploy") {
        ("scaling / deploy", RGBColor(31, 119, 180))
    } else if has(&["saturat", "errors_high", "spike_start", "backlog_start"]) {
        ("overload", RGBColor(230, 110, 0))
    } else if has(&[
        "crash",
        "fault_start",
        "down",
        "slow_start",
        "kill",
        "eject",
        "failed",
    ]) || (e.ends_with("_start") && !e.starts_with("spike"))
    {
        ("fault", RGBColor(200, 30, 30))
    } else if has(&["recover", "normal", "readmit", "restart", "promote"])
        || e.ends_with("_end")
        || e.ends_with("_up")
    {
        ("recovery", RGBColor(44, 140, 44))
    } else {
        ("other event", RGBColor(110, 110, 110))
    }
}

fn event_color(event: &str) -> RGBColor {
    event_kind(event).1
}

/// Timeline events grouped into numbered markers (events closer than 1% of the time axis
/// share one), and the HTML table that explains the numbers.
fn timeline_markers(r: &SimResult, span: f64) -> (Vec<Marker>, String) {
    let mut markers: Vec<Marker> = Vec::new();
    let mut rows = String::new();
    let mut last_x = f64::NEG_INFINITY;
    for e in &r.timeline {
        if markers.is_empty() || e.t_s - last_x > span * 0.01 {
            markers.push(Marker {
                x: e.t_s,
                label: (markers.len() + 1).to_string(),
                color: event_color(&e.event),
            });
            last_x = e.t_s;
        }
        let c = event_color(&e.event);
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td style=\"color:rgb({},{},{})\">{}</td><td>{}</td></tr>\n",
            markers.len(),
            tick(e.t_s),
            esc(&e.component),
            c.0,
            c.1,
            c.2,
            esc(&e.event),
            esc(&e.detail)
        ));
    }
    let table = if rows.is_empty() {
        String::new()
    } else {
        format!(
            "<div class=\"events\"><table>\n<tr><th>#</th><th>time (s)</th><th>component</th>\
             <th>event</th><th>detail</th></tr>\n{rows}</table></div>\n"
        )
    };
    (markers, table)
}

/// The headline table at the top of a run report: the figures a reader looks for first,
/// then the incidents as sentences.
fn headline(r: &SimResult) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    let q = &r.requests;
    rows.push((
        "requests".into(),
        format!(
            "{} generated, {} succeeded, {} failed, {} in flight",
            thousands(q.generated),
            thousands(q.succeeded),
            thousands(q.failed),
            thousands(q.in_flight)
        ),
    ));
    let l = &r.latency_ms;
    rows.push((
        "latency".into(),
        format!(
            "p50 {} · p95 {} · p99 {} · p99.9 {} · max {}",
            table::ms(l.p50),
            table::ms(l.p95),
            table::ms(l.p99),
            table::ms(l.p999),
            table::ms(l.max)
        ),
    ));
    rows.push((
        "throughput".into(),
        format!("{:.1} requests per second", r.throughput_rps),
    ));
    let mut err = table::pct(r.error_rate);
    if !r.errors.is_empty() {
        let reasons: Vec<String> = r
            .errors
            .iter()
            .map(|(k, v)| format!("{} {}", esc(k), thousands(*v)))
            .collect();
        err.push_str(&format!(" ({})", reasons.join(", ")));
    }
    rows.push(("errors".into(), err));
    if let Some(slo) = &r.slo {
        rows.push((
            "SLO".into(),
            format!(
                "{:.3}% good (ok within {}), target {:.3}%: <b class=\"{}\">{}</b>",
                slo.attained * 100.0,
                table::ms(Some(slo.latency_ms)),
                slo.target * 100.0,
                if slo.met { "ok" } else { "bad" },
                if slo.met { "met" } else { "MISSED" }
            ),
        ));
    }
    if let Some((_, b)) = table::bottleneck(r) {
        rows.push(("busiest".into(), esc(&b)));
    }
    if let Some(c) = &r.cost {
        rows.push((
            "cost".into(),
            format!(
                "{:.2} per hour, {} per million requests",
                c.per_hour,
                c.per_million_requests
                    .map_or("-".into(), |v| format!("{v:.3}"))
            ),
        ));
    }
    let mut s = String::from("<table class=\"headline\">\n");
    for (k, v) in rows {
        // Values are escaped where they hold names; the SLO cell carries its own markup.
        s.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>\n"));
    }
    s.push_str("</table>\n");
    if !r.cascades.is_empty() {
        s.push_str("<h2>Incidents</h2>\n<ol class=\"incidents\">\n");
        for c in &r.cascades {
            s.push_str(&format!("<li>{}</li>\n", esc(&c.sentence())));
        }
        s.push_str("</ol>\n");
    }
    s
}

/// The HTML report of one run: latency, throughput, errors, utilization, timeline.
pub(crate) fn run_html(r: &SimResult) -> anyhow::Result<String> {
    let s = &r.series;
    // Buckets after the last arrival are the drain after traffic ended: drawn, they read as
    // a collapse of throughput and utilization to zero.
    let n = s
        .rps
        .iter()
        .rposition(|v| *v > 0.0)
        .map_or(s.t_s.len(), |i| i + 1);
    let t = &s.t_s[..n.min(s.t_s.len())];
    let some = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
    let t_end = t
        .last()
        .copied()
        .unwrap_or(1.0)
        .max(r.timeline.iter().map(|e| e.t_s).fold(0.0, f64::max));
    let x_range = Some((0.0, t_end.max(1.0)));
    let (markers, events_table) = timeline_markers(r, t_end.max(1.0));
    let shade = (r.warmup_s > 0.0).then_some((0.0, r.warmup_s, " warm-up"));
    let mut kinds: Vec<(&'static str, RGBColor)> = Vec::new();
    for e in &r.timeline {
        let k = event_kind(&e.event);
        if !kinds.iter().any(|x| x.0 == k.0) {
            kinds.push(k);
        }
    }
    let base = Opts {
        x_range,
        shade,
        markers: &markers,
        marker_kinds: &kinds,
        ..Default::default()
    };
    let mut figs = Vec::new();
    let lat = vec![
        ("p50".to_string(), pairs(t, &s.p50_ms)),
        ("p95".to_string(), pairs(t, &s.p95_ms)),
        ("p99".to_string(), pairs(t, &s.p99_ms)),
    ];
    figs.push(figure(
        "latency",
        "Latency percentiles over time",
        line_chart(
            "Latency percentiles over time",
            "time (s)",
            "latency (ms)",
            &lat,
            &Opts {
                log_ok: true,
                ..base
            },
        )?,
    ));
    let thr = vec![
        ("offered (req/s)".to_string(), pairs(t, &some(&s.rps))),
        (
            "goodput (req/s)".to_string(),
            pairs(t, &some(&s.goodput_rps)),
        ),
    ];
    figs.push(figure(
        "throughput",
        "Throughput over time",
        line_chart(
            "Throughput over time",
            "time (s)",
            "requests per second",
            &thr,
            &base,
        )?,
    ));
    let err = vec![(
        "error rate (%)".to_string(),
        pairs(
            t,
            &s.error_rate
                .iter()
                .map(|x| Some(x * 100.0))
                .collect::<Vec<_>>(),
        ),
    )];
    let err_title = if r.requests.failed == 0 {
        "Errors over time (no request failed)"
    } else {
        "Errors over time"
    };
    figs.push(figure(
        "errors",
        err_title,
        line_chart(
            err_title,
            "time (s)",
            "failed requests (%)",
            &err,
            &Opts {
                y_label_max: Some(100.0),
                ..base
            },
        )?,
    ));
    // Utilization per component: its series when the run has one, else the run's average.
    let util_lines: Vec<Line> = r
        .components
        .iter()
        .filter_map(|(n, c)| {
            let u = c.series.as_ref()?.get("utilization")?;
            Some((
                n.clone(),
                pairs(
                    t,
                    &u.iter().map(|x| x.map(|x| x * 100.0)).collect::<Vec<_>>(),
                ),
            ))
        })
        .collect();
    let util_svg = if util_lines.is_empty() {
        let bars: Vec<(String, f64)> = r
            .components
            .iter()
            .filter_map(|(n, c)| c.utilization.map(|u| (n.clone(), u * 100.0)))
            .collect();
        bar_chart(
            "Utilization per component (measured window)",
            "utilization (%)",
            &bars,
            |v| format!("{v:.1}%"),
        )?
    } else {
        line_chart(
            "Utilization per component over time",
            "time (s)",
            "utilization (%)",
            &util_lines,
            &Opts {
                y_max: Some(100.0),
                y_label_max: Some(100.0),
                ..base
            },
        )?
    };
    figs.push(figure("utilization", "Utilization per component", util_svg));
    // Cache hit ratio per cache (and CDN edge) over time; no chart without caches.
    let hit_lines: Vec<Line> = r
        .components
        .iter()
        .filter_map(|(n, c)| Some((n.clone(), pairs(t, c.series.as_ref()?.get("hit_ratio")?))))
        .collect();
    if !hit_lines.is_empty() {
        let title = "Cache hit ratio over time";
        figs.push(figure(
            "hit-ratio",
            title,
            line_chart(
                title,
                "time (s)",
                "hit ratio (hits / lookups)",
                &hit_lines,
                &Opts {
                    y_max: Some(1.0),
                    y_label_max: Some(1.0),
                    ..base
                },
            )?,
        ));
    }
    let title = if markers.is_empty() {
        "Fault and scaling timeline (no events)"
    } else {
        "Fault and scaling timeline (numbers refer to the table below)"
    };
    let mut timeline_fig = figure(
        "timeline",
        title,
        line_chart(title, "time (s)", "requests per second", &thr, &base)?,
    );
    if !events_table.is_empty() {
        let at = timeline_fig
            .rfind("</figure>")
            .unwrap_or(timeline_fig.len());
        timeline_fig.insert_str(at, &events_table);
    }
    figs.push(timeline_fig);
    Ok(page(
        &format!("archsim: {}", r.scenario),
        &headline(r),
        &r.summary(),
        &figs,
    ))
}

/// The p99 and throughput bar charts of a comparison (the runs that did not overload), with
/// ids `compare-p99{id_suffix}` and `compare-throughput{id_suffix}` and captions after
/// `caption_prefix`.
fn compare_charts(
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
    let p99: Vec<(String, f64)> = ok
        .iter()
        .map(|(n, r)| (n.clone(), r.latency_ms.p99.unwrap_or(f64::NAN)))
        .collect();
    let thr: Vec<(String, f64)> = ok
        .iter()
        .map(|(n, r)| (n.clone(), r.throughput_rps))
        .collect();
    Ok(vec![
        figure(
            &format!("compare-p99{id_suffix}"),
            &format!("{caption_prefix}p99 latency per architecture"),
            bar_chart("p99 latency per architecture", "p99 (ms)", &p99, |v| {
                table::ms(Some(v))
            })?,
        ),
        figure(
            &format!("compare-throughput{id_suffix}"),
            &format!("{caption_prefix}Throughput per architecture"),
            bar_chart(
                "Throughput per architecture",
                "requests per second",
                &thr,
                |v| format!("{v:.0}"),
            )?,
        ),
    ])
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
fn run_meta(outcomes: &[Outcome], per: &str) -> String {
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
pub(crate) fn figures_table(names: &[String], outcomes: &[Outcome]) -> String {
    let labels: Vec<Vec<String>> = names.iter().map(|n| vec![n.clone()]).collect();
    labelled_figures_table(&["scenario".to_string()], &labels, outcomes)
}

/// [`figures_table`] with several label columns (a sweep's swept keys): `labels[i]` holds
/// the label cells of row `i`, under `label_header`. Cost columns appear only when some run
/// has a cost.
pub(crate) fn labelled_figures_table(
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

/// Sweep points sharing the values of the other axes: those values, and (first-axis index,
/// result) of each point.
type Group<'a> = (Vec<usize>, Vec<(usize, &'a SimResult)>);

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
    let get = |r: &SimResult| match fig {
        "mean" => r.latency_ms.mean,
        "p50" => r.latency_ms.p50,
        "p90" => r.latency_ms.p90,
        "p95" => r.latency_ms.p95,
        "p999" => r.latency_ms.p999,
        _ => r.latency_ms.p99,
    };
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

/// One question of a comparison suite, for [`compare_suite_html`].
pub(crate) struct SuiteSection<'a> {
    /// The question's folder name.
    pub name: String,
    /// The question, from the folder's README.md.
    pub question: Option<String>,
    /// The verdict line.
    pub verdict: String,
    /// Row labels.
    pub names: Vec<String>,
    /// The runs.
    pub outcomes: &'a [Outcome],
}

/// The HTML report of a comparison suite: per question, its table, verdict, and p99 and
/// throughput bars (`chart-compare-p99-NAME`, `chart-compare-throughput-NAME`, NAME the
/// folder name with characters other than letters, digits, `-` and `_` replaced by `-`, and
/// `-2`, `-3`... appended when an earlier question already took that NAME).
pub(crate) fn compare_suite_html(suite: &str, sections: &[SuiteSection]) -> anyhow::Result<String> {
    let mut body = String::new();
    // The seed line comes from the first run that finished, whichever question it is in.
    if let Some(s) = sections
        .iter()
        .find(|s| s.outcomes.iter().any(|o| o.is_ok()))
    {
        body.push_str(&run_meta(s.outcomes, "each"));
    }
    let mut used: Vec<String> = Vec::new();
    for s in sections {
        let base: String = s
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        // Two folder names can map to one id (`a b` and `a-b`): later ones get `-2`, `-3`...
        let mut id = base.clone();
        let mut k = 1;
        while used.contains(&id) {
            k += 1;
            id = format!("{base}-{k}");
        }
        used.push(id.clone());
        body.push_str(&format!("<h2 id=\"q-{id}\">{}</h2>\n", esc(&s.name)));
        if let Some(q) = &s.question {
            body.push_str(&format!("<p>{}</p>\n", esc(q)));
        }
        body.push_str(&figures_table(&s.names, s.outcomes));
        body.push_str(&format!(
            "<p class=\"verdict\">{}</p>\n",
            esc(&s.verdict).replace('\n', "<br>")
        ));
        for f in compare_charts(
            &s.names,
            s.outcomes,
            &format!("-{id}"),
            &format!("{}: ", s.name),
        )? {
            body.push_str(&f);
        }
    }
    Ok(page(
        &format!("archsim: comparison suite {suite}"),
        &body,
        "",
        &[],
    ))
}
