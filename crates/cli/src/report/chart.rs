//! Chart drawing: line, bar and legend drawing with `plotters` (SVG backend); the only
//! plotters code of the crate.

use super::thousands;
use anyhow::anyhow;
use plotters::coord::ranged1d::{SegmentValue, SegmentedCoord, ValueFormatter};
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
/// The colour type of the charts, for the pages that colour their tables alike.
pub(super) use plotters::style::RGBColor;

pub(super) const W: u32 = 1060;
pub(super) const H: u32 = 360;

pub(super) type Line = (String, Vec<(f64, f64)>);

/// A labelled vertical line on a time chart (one or more timeline events at one moment).
pub(super) struct Marker {
    pub(super) x: f64,
    pub(super) label: String,
    pub(super) color: RGBColor,
}

/// What a line chart shows besides its lines.
#[derive(Clone, Copy, Default)]
pub(super) struct Opts<'a> {
    /// Vertical event lines.
    pub(super) markers: &'a [Marker],
    /// A horizontal reference line (a limit) and its legend label.
    pub(super) hline: Option<(f64, &'a str)>,
    /// The x range, when several charts share one time axis.
    pub(super) x_range: Option<(f64, f64)>,
    /// Whether the y axis may turn logarithmic when the values span orders of magnitude.
    pub(super) log_ok: bool,
    /// A fixed top of the y axis (utilization: 100%).
    pub(super) y_max: Option<f64>,
    /// A shaded x interval with its label (the warm-up).
    pub(super) shade: Option<(f64, f64, &'a str)>,
    /// No tick labels above this (a percentage axis stretched to make room for marker
    /// labels should not read 120%).
    pub(super) y_label_max: Option<f64>,
    /// Legend entries for the marker colours, as shown (`event: fault`, `spike_end (absorbed)`).
    pub(super) marker_kinds: &'a [(String, RGBColor)],
}

/// Width of a chart, and of the legend panel at its right (outside the plot, so it never
/// covers data).
pub(super) const LEGEND_W: u32 = 210;
/// Height of a row of marker labels, as a fraction of the plot.
pub(super) const ROW_FRAC: f64 = 0.065;
/// Rows of marker labels at most (further labels share the last row).
pub(super) const MAX_ROWS: usize = 4;

/// Series colours: distinct and readable on white (the first is not yellow).
pub(super) fn color(i: usize) -> RGBColor {
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
pub(super) fn tick(v: f64) -> String {
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

pub(super) fn bounds(lines: &[Line], markers: &[Marker]) -> (f64, f64, f64) {
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
pub(super) fn min_positive(lines: &[Line]) -> Option<f64> {
    lines
        .iter()
        .flat_map(|l| l.1.iter().map(|p| p.1))
        .filter(|y| y.is_finite() && *y > 0.0)
        .min_by(f64::total_cmp)
}

/// A line chart with its legend in a panel at the right; see [`Opts`].
pub(super) fn line_chart(
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
    let (rows, n_rows) = marker_rows(o.markers, x0, x1);
    // The room made above the data for marker labels gets no tick labels.
    let cap = o.y_label_max.map_or(y1, |m| m.min(y1));
    let o = &Opts {
        y_label_max: Some(cap),
        ..*o
    };
    let head = if o.markers.is_empty() {
        0.0
    } else {
        ROW_FRAC * (n_rows as f64) + 0.02
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

/// Width in pixels of the plot of a time chart (the chart less its legend and axis labels).
const PLOT_W: f64 = (W - LEGEND_W - 110) as f64;

/// The row of each marker's label above the data, and the rows used: a label goes down a
/// row while it would touch the previous label of its row.
fn marker_rows(markers: &[Marker], x0: f64, x1: f64) -> (Vec<usize>, usize) {
    let mut row_end: Vec<f64> = Vec::new();
    let rows = markers
        .iter()
        .map(|m| {
            let at = (m.x - x0) / (x1 - x0) * PLOT_W;
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
    (rows, row_end.len().min(MAX_ROWS))
}

/// The events chart (see `events`): a lane per component over the time axis of the line
/// charts (same width, margins and x range, so times line up down the page), a bar per
/// state, a dot per event, the event's name where there is room, and the numbered markers
/// of the events table. The legend names the colours.
pub(super) fn lanes_chart(
    l: &super::events::Lanes,
    x_range: (f64, f64),
    shade: Option<(f64, f64, &str)>,
    kinds: &[(String, RGBColor)],
) -> anyhow::Result<String> {
    let (x0, x1) = (x_range.0, x_range.1.max(x_range.0 + 1e-9));
    let n = l.names.len().max(1) as f64;
    let (rows, n_rows) = marker_rows(l.markers, x0, x1);
    // A lane is 34 px; a row of marker numbers a little over half a lane.
    const LANE_PX: f64 = 34.0;
    const ROW: f64 = 0.55;
    let top = n + ROW * n_rows as f64 + 0.05;
    let h = (16.0 + 10.0 + 48.0 + LANE_PX * top).round().max(150.0) as u32;
    let px = |x: f64| (x - x0) / (x1 - x0) * PLOT_W;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (W, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let (left, right) = root.split_horizontally(W - LEGEND_W);
        let mut chart = ChartBuilder::on(&left)
            .margin(10)
            .margin_top(16)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, 0f64..top)
            .map_err(|e| anyhow!("{e}"))?;
        let clock = x1 > archsim_stats::CLOCK_AFTER_S;
        chart
            .configure_mesh()
            .x_desc(if clock { "time (h:mm:ss)" } else { "time (s)" })
            .y_desc("component")
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .x_label_formatter(&|v| {
                if clock {
                    archsim_stats::clock(*v, 0)
                } else {
                    tick(*v)
                }
            })
            .y_labels(0)
            .disable_y_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(RGBColor(0, 0, 0).mix(0.1))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        // Lane i (0 on top) spans y from n - 1 - i to n - i; every other lane is shaded.
        let bottom = |lane: usize| n - 1.0 - lane as f64;
        for i in (1..l.names.len()).step_by(2) {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, bottom(i)), (x1, bottom(i) + 1.0)],
                    RGBColor(0, 0, 0).mix(0.035).filled(),
                )))
                .map_err(|e| anyhow!("{e}"))?;
        }
        // The warm-up is shaded but not labelled here: the charts above label it, and its
        // label would sit on a marker number at 0 s.
        if let Some((a, b, _)) = shade {
            let b = b.min(x1);
            if b > a {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a, 0.0), (b, n)],
                        RGBColor(0, 0, 0).mix(0.06).filled(),
                    )))
                    .map_err(|e| anyhow!("{e}"))?;
            }
        }
        for (m, row) in l.markers.iter().zip(&rows) {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(m.x, 0.0), (m.x, n)],
                    m.color.mix(0.35).stroke_width(1),
                )))
                .map_err(|e| anyhow!("{e}"))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    m.label.clone(),
                    (m.x, top - 0.02 - ROW * *row as f64),
                    ("sans-serif", 12)
                        .into_font()
                        .style(FontStyle::Bold)
                        .color(&m.color),
                )))
                .map_err(|e| anyhow!("{e}"))?;
        }
        for s in &l.spans {
            let b = bottom(s.lane);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(s.x0, b + 0.14), (s.x1.max(s.x0), b + 0.48)],
                    s.color.mix(0.3).filled(),
                )))
                .map_err(|e| anyhow!("{e}"))?;
        }
        for p in &l.points {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (p.x, bottom(p.lane) + 0.31),
                    4,
                    p.color.filled(),
                )))
                .map_err(|e| anyhow!("{e}"))?;
        }
        // Names: the lane's at its left; an event's above its dot while it does not touch
        // the previous name in the lane.
        let grey = ("sans-serif", 12)
            .into_font()
            .color(&RGBColor(80, 80, 80))
            .pos(Pos::new(HPos::Left, VPos::Top));
        let mut name_end: Vec<f64> = Vec::new();
        for (i, name) in l.names.iter().enumerate() {
            chart
                .draw_series(std::iter::once(Text::new(
                    name.clone(),
                    (x0, bottom(i) + 0.95),
                    grey.clone(),
                )))
                .map_err(|e| anyhow!("{e}"))?;
            name_end.push(7.0 * name.chars().count() as f64 + 10.0);
        }
        for p in &l.points {
            let at = px(p.x);
            let w = 6.5 * p.label.chars().count() as f64 + 8.0;
            if p.label.is_empty() || at < name_end[p.lane] || at + w > PLOT_W + 20.0 {
                continue;
            }
            name_end[p.lane] = at + w;
            chart
                .draw_series(std::iter::once(Text::new(
                    p.label.clone(),
                    (p.x, bottom(p.lane) + 0.95),
                    ("sans-serif", 11)
                        .into_font()
                        .color(&p.color)
                        .pos(Pos::new(HPos::Left, VPos::Top)),
                )))
                .map_err(|e| anyhow!("{e}"))?;
        }
        let entries: Vec<(String, ShapeStyle)> = kinds
            .iter()
            .map(|(k, c)| (k.clone(), c.mix(0.6).stroke_width(6)))
            .collect();
        legend(&right, &entries)?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(buf)
}

/// Draws the mesh, lines, markers, limit and shading of [`line_chart`] on either y scale;
/// pushes the legend entries.
#[allow(clippy::too_many_arguments)]
pub(super) fn draw<Y>(
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
    // A time axis past an hour reads h:mm:ss (issue 12 item 13).
    let clock = x_desc == "time (s)" && x1 > archsim_stats::CLOCK_AFTER_S;
    let x_desc = if clock { "time (h:mm:ss)" } else { x_desc };
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .x_label_formatter(&|v| {
            if clock {
                archsim_stats::clock(*v, 0)
            } else {
                tick(*v)
            }
        })
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
        entries.push((name.clone(), c.mix(0.7).stroke_width(1)));
    }
    Ok(())
}

/// The legend panel: a swatch and a name per series.
pub(super) fn legend(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    entries: &[(String, ShapeStyle)],
) -> anyhow::Result<()> {
    let mut y = 48;
    for (name, style) in entries {
        area.draw(&PathElement::new(vec![(4, y), (26, y)], *style))
            .map_err(|e| anyhow!("{e}"))?;
        // A long name wraps onto further lines rather than being cut (issue 12 item 16).
        let lines = wrap(name, LEGEND_CHARS);
        for (j, line) in lines.iter().enumerate() {
            area.draw(&Text::new(
                line.clone(),
                (32, y - 7 + 16 * j as i32),
                ("sans-serif", 13).into_font(),
            ))
            .map_err(|e| anyhow!("{e}"))?;
        }
        y += 22 + 16 * (lines.len() as i32 - 1);
    }
    Ok(())
}

/// Characters of a legend line in the legend panel.
pub(super) const LEGEND_CHARS: usize = 26;

/// `text` in lines of at most `width` characters, broken at spaces, else after a `.`, `=`
/// or `,`, else anywhere.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let len = cur.chars().count();
            let sep = usize::from(len > 0);
            if len + sep + word.chars().count() <= width {
                if sep == 1 {
                    cur.push(' ');
                }
                cur.push_str(&word);
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut cur));
                continue;
            }
            // A word longer than a line: break it after a separator within the width.
            let chars: Vec<char> = word.chars().collect();
            let cut = (1..width)
                .rev()
                .find(|&i| matches!(chars[i - 1], '.' | '=' | ','))
                .unwrap_or(width);
            lines.push(chars[..cut].iter().collect());
            word = chars[cut..].iter().collect();
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A bar chart of one value per name, each bar labelled by `label(index, value)`. With
/// `log_ok`, the y axis turns logarithmic when the positive values span more than a factor
/// of 30, so a 50 ms bar stays visible beside a 2.6 s one (issue 12 item 20).
pub(super) fn bar_chart(
    _title: &str,
    y_desc: &str,
    bars: &[(String, f64)],
    log_ok: bool,
    label: &dyn Fn(usize, f64) -> String,
) -> anyhow::Result<String> {
    let mut buf = String::new();
    let ymax = bars
        .iter()
        .map(|b| b.1)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let lo = bars
        .iter()
        .map(|b| b.1)
        .filter(|v| v.is_finite() && *v > 0.0)
        .min_by(f64::total_cmp);
    let log = lo
        .filter(|lo| log_ok && ymax / lo > 30.0)
        .map(|lo| 10f64.powf((lo * 0.9).log10().floor()));
    {
        let root = SVGBackend::with_string(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        // A segmented 0..k range has k + 1 slots: 0..n-1 gives one slot per bar.
        let n = bars.len().max(2) as i32;
        let mut builder = ChartBuilder::on(&root);
        builder
            .margin(10)
            .margin_right(24)
            .x_label_area_size(40)
            .y_label_area_size(72);
        match log {
            Some(lo) => {
                // Room above the tallest bar for its label: a fifth of a decade.
                let y1 = ymax * 10f64.powf(0.2);
                let mut chart = builder
                    .build_cartesian_2d((0..n - 1).into_segmented(), (lo..y1).log_scale())
                    .map_err(|e| anyhow!("{e}"))?;
                draw_bars(
                    &mut chart,
                    &format!("{y_desc}, log scale"),
                    bars,
                    lo,
                    &|v| v * (y1 / lo).powf(0.01),
                    label,
                )?;
            }
            None => {
                let y1 = if ymax > 0.0 { ymax * 1.15 } else { 1.0 };
                let mut chart = builder
                    .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..y1)
                    .map_err(|e| anyhow!("{e}"))?;
                draw_bars(&mut chart, y_desc, bars, 0.0, &|v| v + y1 * 0.01, label)?;
            }
        }
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(buf)
}

/// The mesh, bars and value labels of [`bar_chart`] on either y scale: bars rise from `y0`,
/// a value's label sits at `above(value)`.
fn draw_bars<Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<SegmentedCoord<RangedCoordi32>, Y>>,
    y_desc: &str,
    bars: &[(String, f64)],
    y0: f64,
    above: &dyn Fn(f64) -> f64,
    label: &dyn Fn(usize, f64) -> String,
) -> anyhow::Result<()>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
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
    let top = |v: f64| if v.is_finite() { v.max(y0) } else { y0 };
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            let i = i as i32;
            let mut r = Rectangle::new(
                [
                    (SegmentValue::Exact(i), y0),
                    (SegmentValue::Exact(i + 1), top(*v)),
                ],
                color(i as usize).filled(),
            );
            r.set_margin(0, 0, 24, 24);
            r
        }))
        .map_err(|e| anyhow!("{e}"))?;
    let style = ("sans-serif", 14)
        .into_font()
        .into_text_style(chart.plotting_area())
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            Text::new(
                if v.is_finite() {
                    label(i, *v)
                } else {
                    "-".into()
                },
                (SegmentValue::CenterOf(i as i32), above(top(*v))),
                style.clone(),
            )
        }))
        .map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

pub(super) fn pairs(t: &[f64], v: &[Option<f64>]) -> Vec<(f64, f64)> {
    t.iter()
        .zip(v)
        .filter_map(|(t, v)| v.filter(|v| v.is_finite()).map(|v| (*t, v)))
        .collect()
}

/// A horizontal stacked bar chart: one bar per `(name, segments)`, each segment `(label,
/// value)` coloured by its label (the same label has the same colour on every bar), with a
/// legend of the labels at the right. Values are in `x_desc` units from zero.
pub(super) fn stacked_bars(
    x_desc: &str,
    bars: &[(String, Vec<(String, f64)>)],
) -> anyhow::Result<String> {
    let mut labels: Vec<String> = Vec::new();
    for (_, segs) in bars {
        for (l, _) in segs {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
    }
    let total = |segs: &[(String, f64)]| -> f64 { segs.iter().map(|s| s.1.max(0.0)).sum() };
    let xmax = bars.iter().map(|b| total(&b.1)).fold(0.0, f64::max);
    let x1 = if xmax > 0.0 { xmax * 1.05 } else { 1.0 };
    // Room for every bar, and for every legend entry at the right.
    let h = (80 + 46 * bars.len() as u32)
        .max(70 + 22 * labels.len() as u32)
        .max(160);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (W, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let (plot, side) = root.split_horizontally(W - LEGEND_W);
        let n = bars.len().max(1) as i32;
        // The first bar at the top: the y axis counts upwards.
        let names: Vec<String> = bars.iter().rev().map(|b| b.0.clone()).collect();
        let mut chart = ChartBuilder::on(&plot)
            .margin(10)
            .margin_right(24)
            .x_label_area_size(40)
            .y_label_area_size(120)
            .build_cartesian_2d(0f64..x1, (0..n - 1).into_segmented())
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(RGBColor(0, 0, 0).mix(0.1))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .x_desc(x_desc)
            .x_label_formatter(&|v| tick(*v))
            .y_labels(names.len().max(1))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (k, (_, segs)) in bars.iter().enumerate() {
            let i = bars.len() - 1 - k;
            let mut x = 0.0;
            for (label, v) in segs {
                let v = v.max(0.0);
                if v <= 0.0 {
                    continue;
                }
                let k = labels.iter().position(|l| l == label).unwrap_or(0);
                let mut r = Rectangle::new(
                    [
                        (x, SegmentValue::Exact(i as i32)),
                        (x + v, SegmentValue::Exact(i as i32 + 1)),
                    ],
                    color(k).filled(),
                );
                r.set_margin(8, 8, 0, 0);
                chart
                    .draw_series(std::iter::once(r))
                    .map_err(|e| anyhow!("{e}"))?;
                x += v;
            }
        }
        let entries: Vec<(String, ShapeStyle)> = labels
            .iter()
            .enumerate()
            .map(|(k, l)| (l.clone(), color(k).stroke_width(8)))
            .collect();
        legend(&side, &entries)?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn legend_names_wrap_instead_of_being_cut() {
        assert_eq!(wrap("p99 policy=p2c", 26), ["p99 policy=p2c"]);
        assert_eq!(
            wrap("p99 components.lb.policy=least_outstanding", 26),
            ["p99", "components.lb.policy=", "least_outstanding"]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 26), [""]);
        let long = "error rate components.app.instances=12 traffic.users=150000";
        let lines = wrap(long, 26);
        assert!(lines.iter().all(|l| l.chars().count() <= 26), "{lines:?}");
        assert_eq!(lines.join(" ").replace("= ", "="), long);
    }
}
