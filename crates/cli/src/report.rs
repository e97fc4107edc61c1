//! CSV and HTML renderings: the time series as CSV, and one self-contained HTML page with
//! charts drawn by `plotters` (SVG backend), inlined so the page needs no network.
//!
//! Every chart sits in `<figure id="chart-NAME">` with a stable NAME: `latency`,
//! `throughput`, `errors`, `utilization`, `timeline` for a run; `compare-p99`,
//! `compare-throughput` for a comparison; `sweep-p99`, `sweep-throughput`, `sweep-errors` for a
//! sweep; `capacity-probes` for a capacity search.

use crate::multi::{Axis, Outcome};
use crate::table::{self, csv_line};
use anyhow::anyhow;
use archsim_stats::SimResult;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

const W: u32 = 860;
const H: u32 = 340;

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

fn page(title: &str, summary: &str, figures: &[String]) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!("<title>{}</title>\n", esc(title)));
    s.push_str(
        "<style>body{font-family:sans-serif;margin:2em;max-width:960px}\
         pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}\
         figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.3em}</style>\n",
    );
    s.push_str("</head>\n<body>\n");
    s.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    s.push_str(&format!("<pre>{}</pre>\n", esc(summary)));
    for f in figures {
        s.push_str(f);
    }
    s.push_str("</body>\n</html>");
    s
}

type Line = (String, Vec<(f64, f64)>);

fn bounds(lines: &[Line], markers: &[(f64, String)]) -> (f64, f64, f64) {
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
    for (x, _) in markers {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
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

/// A line chart; `markers` draw labelled vertical lines (timeline events); `hline` a
/// horizontal reference line (a limit).
fn line_chart(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    lines: &[Line],
    markers: &[(f64, String)],
    hline: Option<(f64, &str)>,
) -> anyhow::Result<String> {
    let mut buf = String::new();
    let (x0, x1, mut y1) = bounds(lines, markers);
    if let Some((y, _)) = hline {
        y1 = y1.max(y * 1.2);
    }
    {
        let root = SVGBackend::with_string(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, 0f64..y1)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (i, (name, pts)) in lines.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                .map_err(|e| anyhow!("{e}"))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            if pts.len() <= 40 {
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| anyhow!("{e}"))?;
            }
        }
        for (k, (x, label)) in markers.iter().enumerate() {
            // Staggered so that labels of close events do not overprint each other.
            let label_y = y1 * (0.97 - 0.07 * (k % 5) as f64);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*x, 0.0), (*x, y1)],
                    RED.mix(0.6).stroke_width(1),
                )))
                .map_err(|e| anyhow!("{e}"))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (*x, label_y),
                    ("sans-serif", 11).into_font().color(&RED),
                )))
                .map_err(|e| anyhow!("{e}"))?;
        }
        if let Some((y, label)) = hline {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x0, y), (x1, y)],
                    BLACK.mix(0.7).stroke_width(1),
                )))
                .map_err(|e| anyhow!("{e}"))?
                .label(label.to_string())
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(1))
                });
        }
        if !lines.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(|e| anyhow!("{e}"))?;
        }
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(buf)
}

/// A bar chart of one value per name.
fn bar_chart(
    title: &str,
    y_desc: &str,
    bars: &[(String, f64)],
    fmt: fn(f64) -> String,
) -> anyhow::Result<String> {
    let mut buf = String::new();
    let n = bars.len().max(1) as i32;
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
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d((0..n).into_segmented(), 0f64..y1)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .y_desc(y_desc)
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
                    Palette99::pick(i as usize).to_rgba().filled(),
                );
                r.set_margin(0, 0, 12, 12);
                r
            }))
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                Text::new(
                    fmt(*v),
                    (SegmentValue::CenterOf(i as i32), v.max(0.0) + y1 * 0.02),
                    ("sans-serif", 12).into_font(),
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

/// The HTML report of one run: latency, throughput, errors, utilization, timeline.
pub(crate) fn run_html(r: &SimResult) -> anyhow::Result<String> {
    let s = &r.series;
    let t = &s.t_s;
    let some = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
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
            &[],
            None,
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
            &[],
            None,
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
    figs.push(figure(
        "errors",
        "Errors over time",
        line_chart(
            "Errors over time",
            "time (s)",
            "failed requests (%)",
            &err,
            &[],
            None,
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
            &[],
            None,
        )?
    };
    figs.push(figure("utilization", "Utilization per component", util_svg));
    let markers: Vec<(f64, String)> = r
        .timeline
        .iter()
        .map(|e| (e.t_s, format!("{} {}", e.component, e.event)))
        .collect();
    let title = if markers.is_empty() {
        "Fault and scaling timeline (no events)"
    } else {
        "Fault and scaling timeline"
    };
    figs.push(figure(
        "timeline",
        title,
        line_chart(
            title,
            "time (s)",
            "goodput (req/s)",
            &thr[1..],
            &markers,
            None,
        )?,
    ));
    Ok(page(
        &format!("archsim: {}", r.scenario),
        &r.summary(),
        &figs,
    ))
}

/// The HTML report of a comparison: p99 and throughput per architecture.
pub(crate) fn compare_html(names: &[String], outcomes: &[Outcome]) -> anyhow::Result<String> {
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
    let figs = vec![
        figure(
            "compare-p99",
            "p99 latency per architecture",
            bar_chart("p99 latency per architecture", "p99 (ms)", &p99, |v| {
                table::ms(Some(v))
            })?,
        ),
        figure(
            "compare-throughput",
            "Throughput per architecture",
            bar_chart(
                "Throughput per architecture",
                "requests per second",
                &thr,
                |v| format!("{v:.0}"),
            )?,
        ),
    ];
    let mut header = vec!["scenario".to_string()];
    header.extend(table::figure_header());
    let rows: Vec<Vec<String>> = names
        .iter()
        .zip(outcomes)
        .map(|(n, o)| {
            let mut r = vec![n.clone()];
            match o {
                Ok(res) => r.extend(table::figure_cells(res)),
                Err(e) => r.push(e.clone()),
            }
            r
        })
        .collect();
    Ok(page(
        "archsim: comparison",
        &table::render(&header, &rows, 1),
        &figs,
    ))
}

/// Sweep points sharing the values of the other axes: those values, and (first-axis index,
/// result) of each point.
type Group<'a> = (Vec<usize>, Vec<(usize, &'a SimResult)>);

/// The HTML report of a sweep: p50/p95/p99, throughput and errors against the first swept
/// key (one line per combination of the other keys).
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
                &[],
                None,
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
                &[],
                None,
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
                &[],
                None,
            )?,
        ),
    ];
    let mut header: Vec<String> = axes.iter().map(|a| a.key.clone()).collect();
    header.extend(table::figure_header());
    let rows: Vec<Vec<String>> = points
        .iter()
        .zip(outcomes)
        .map(|(p, o)| {
            let mut r: Vec<String> = axes
                .iter()
                .zip(p)
                .map(|(a, &i)| a.values[i].clone())
                .collect();
            match o {
                Ok(res) => r.extend(table::figure_cells(res)),
                Err(e) => r.push(e.clone()),
            }
            r
        })
        .collect();
    Ok(page(
        &format!("archsim: sweep of {name}"),
        &table::render(&header, &rows, 0),
        &figs,
    ))
}

/// The HTML report of a capacity search: the judged latency figure at each probe, with the
/// limit.
pub(crate) fn capacity_html(
    name: &str,
    key: &str,
    probes: &[(f64, Option<&SimResult>, bool)],
    latency: Option<(&str, f64)>,
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
    let pts = |meets: bool| -> Vec<(f64, f64)> {
        probes
            .iter()
            .filter(|p| p.2 == meets)
            .filter_map(|(v, r, _)| r.and_then(get).map(|y| (*v, y)))
            .collect()
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
        line_chart(&title, key, "latency (ms)", &lines, &[], hline)?,
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
        &summary,
        &figs,
    ))
}
