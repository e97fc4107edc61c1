//! The HTML page of one run: headline table, incidents, time charts and the events chart
//! with the table of timeline events.

use super::chart::{bar_chart, lanes_chart, line_chart, pairs, tick, Line, Marker, Opts, RGBColor};
use super::events;
use super::{esc, figure, page, thousands};
use crate::table;
use archsim_stats::{Category, Phase, SimResult, TimelineEntry};

/// How the reports show a timeline event's category (chosen where the event is recorded):
/// its legend name and its colour on the charts: faults red, recoveries green, scaling and
/// deployments blue, overload orange, breakers purple, alerts pink, anything else grey.
pub(super) fn category_style(c: Category) -> (&'static str, RGBColor) {
    match c {
        Category::Fault => ("fault", RGBColor(200, 30, 30)),
        Category::Recovery => ("recovery", RGBColor(44, 140, 44)),
        Category::Scaling => ("scaling / deploy", RGBColor(31, 119, 180)),
        Category::Overload => ("overload", RGBColor(230, 110, 0)),
        Category::Breaker => ("breaker", RGBColor(148, 103, 189)),
        Category::Alert => ("alert", RGBColor(227, 119, 194)),
        Category::Other => ("other event", RGBColor(110, 110, 110)),
    }
}

/// The legend name of a timeline event's colour: its kind for faults, scaling and breakers;
/// for the events the kinds would misname (a spike that was absorbed is no "overload", its
/// end no "recovery" when it never recovered) the event's own name, and at the end of an
/// incident's trigger the incident's verdict (issue 12 item 17).
pub(super) fn legend_label(r: &SimResult, e: &TimelineEntry) -> String {
    if !matches!(e.category, Category::Overload | Category::Recovery) {
        return format!("event: {}", category_style(e.category).0);
    }
    let verdict = r.cascades.iter().find_map(|c| {
        let t = &c.trigger;
        let at_end = t.end_s.is_some_and(|end| (end - e.t_s).abs() < 1e-9);
        // The event that ends the trigger's state, as it was declared where it was recorded.
        let ends_it = matches!(&e.phase, Phase::Ends { of } if *of == t.event);
        (at_end && t.component == e.component && ends_it).then(|| c.verdict.clone())
    });
    match verdict {
        Some(v) => format!("{} ({v})", e.event),
        None => e.event.clone(),
    }
}

pub(super) fn event_color(e: &TimelineEntry) -> RGBColor {
    category_style(e.category).1
}

/// Timeline events grouped into numbered markers (events closer than 1% of the time axis
/// share one), and the HTML table that explains the numbers.
pub(super) fn timeline_markers(r: &SimResult, span: f64) -> (Vec<Marker>, String) {
    let mut markers: Vec<Marker> = Vec::new();
    let mut rows = String::new();
    let mut last_x = f64::NEG_INFINITY;
    let long = r.simulated_s > archsim_stats::CLOCK_AFTER_S;
    for e in &r.timeline {
        if markers.is_empty() || e.t_s - last_x > span * 0.01 {
            markers.push(Marker {
                x: e.t_s,
                label: (markers.len() + 1).to_string(),
                color: event_color(e),
            });
            last_x = e.t_s;
        }
        let c = event_color(e);
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td style=\"color:rgb({},{},{})\">{}</td><td>{}</td></tr>\n",
            markers.len(),
            if long {
                archsim_stats::clock(e.t_s, 3)
            } else {
                tick(e.t_s)
            },
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
            "<div class=\"events\"><table>\n<tr><th>#</th><th>{}</th><th>component</th>\
             <th>event</th><th>detail</th></tr>\n{rows}</table></div>\n",
            if long { "time (h:mm:ss)" } else { "time (s)" }
        )
    };
    (markers, table)
}

/// The headline table at the top of a run report: the figures a reader looks for first,
/// then the incidents as sentences.
pub(super) fn headline(r: &SimResult) -> String {
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
            s.push_str(&format!(
                "<li>{}</li>\n",
                esc(&c.sentence_in(r.simulated_s))
            ));
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
    let mut kinds: Vec<(String, RGBColor)> = Vec::new();
    for e in &r.timeline {
        let k = (legend_label(r, e), event_color(e));
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
    // Stretches where requests arrived and none succeeded: the lines stop there, so the
    // caption says why (issue 12 item 19).
    let mut gaps: Vec<(f64, f64)> = Vec::new();
    let w = s.interval_s;
    for (i, &x) in t.iter().enumerate() {
        if s.p50_ms.get(i).is_some_and(|v| v.is_none()) && s.rps.get(i).is_some_and(|r| *r > 0.0) {
            match gaps.last_mut() {
                Some(g) if (g.1 - x).abs() < 1e-9 => g.1 = x + w,
                _ => gaps.push((x, x + w)),
            }
        }
    }
    let lat_title = if gaps.is_empty() {
        "Latency percentiles over time".to_string()
    } else {
        let parts: Vec<String> = gaps
            .iter()
            .map(|(a, b)| format!("{}–{} s", tick(*a), tick(*b)))
            .collect();
        format!(
            "Latency percentiles over time (no successful requests {})",
            parts.join(", ")
        )
    };
    figs.push(figure(
        "latency",
        &lat_title,
        line_chart(
            &lat_title,
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
            false,
            &|_, v| format!("{v:.1}%"),
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
    // The series the components asked to be charted (a cache's and a CDN edge's hit ratio),
    // a chart each, a line per component, in the order the charts first appear.
    let mut charts: Vec<(&archsim_stats::Chart, Vec<Line>)> = Vec::new();
    for (n, c) in &r.components {
        for (series, chart) in &c.charts {
            let Some(values) = c.series.as_ref().and_then(|s| s.get(series)) else {
                continue;
            };
            let line = (n.clone(), pairs(t, values));
            match charts.iter_mut().find(|(ch, _)| ch.id == chart.id) {
                Some((_, lines)) => lines.push(line),
                None => charts.push((chart, vec![line])),
            }
        }
    }
    for (chart, lines) in charts {
        figs.push(figure(
            &chart.id,
            &chart.title,
            line_chart(
                &chart.title,
                "time (s)",
                &chart.y_label,
                &lines,
                &Opts {
                    y_max: chart.y_max,
                    y_label_max: chart.y_max,
                    ..base
                },
            )?,
        ));
    }
    // The timeline's events on the shared time axis, a lane per component (issue 12 item
    // 18): it used to repeat the throughput chart with markers.
    let title = if markers.is_empty() {
        "Events (none: no fault, crash, scaling, breaker or spike)"
    } else {
        "Events: a lane per component, bars for states with a start and an end, dots for \
         events (numbers refer to the table below)"
    };
    let lanes = events::lanes(r, t_end.max(1.0), &markers);
    let mut timeline_fig = figure(
        "timeline",
        title,
        lanes_chart(&lanes, (0.0, t_end.max(1.0)), shade, &kinds)?,
    );
    if !events_table.is_empty() {
        let at = timeline_fig
            .rfind("</figure>")
            .unwrap_or(timeline_fig.len());
        timeline_fig.insert_str(at, &events_table);
    }
    figs.push(timeline_fig);
    figs.extend(super::time::time_figures(r)?);
    Ok(page(
        &format!("archsim: {}", r.scenario),
        &headline(r),
        &r.summary(),
        &figs,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use archsim_stats::Event;

    const ALL: [Category; 7] = [
        Category::Fault,
        Category::Recovery,
        Category::Scaling,
        Category::Overload,
        Category::Breaker,
        Category::Alert,
        Category::Other,
    ];

    /// A short run's result, its timeline replaced by `events`.
    fn result_with(events: &[(f64, &str, Event)]) -> SimResult {
        let toml = r#"
[run]
duration = "5s"
warmup = "1s"
[traffic]
entry = "app"
rate = 50
[components.app]
kind = "service"
cores = 2
[components.app.endpoints.default]
cpu = "exp(2ms)"
"#;
        let sc = archsim_scenario::from_str(toml, "t.toml", &[]).unwrap();
        let mut r = sc.run().unwrap();
        r.timeline = events
            .iter()
            .map(|(t, c, e)| TimelineEntry::new(*t, c, e, String::new()))
            .collect();
        r
    }

    #[test]
    fn a_category_reaches_its_colour_whatever_the_event_is_called() {
        // Names that say nothing: only the category can give the colour.
        let events: Vec<(f64, &str, Event)> = ALL
            .iter()
            .enumerate()
            .map(|(i, c)| (i as f64 * 0.5, "app", Event::named(format!("zz{i}"), *c)))
            .collect();
        let r = result_with(&events);
        let html = run_html(&r).unwrap();
        for (i, c) in ALL.iter().enumerate() {
            let RGBColor(red, green, blue) = category_style(*c).1;
            let cell = format!("<td style=\"color:rgb({red},{green},{blue})\">zz{i}</td>");
            assert!(html.contains(&cell), "{c:?}: no {cell}");
        }
        // A name that reads like a fault is still the category its recorder chose.
        let r = result_with(&[(1.0, "app", Event::named("crash", Category::Scaling))]);
        assert_eq!(
            event_color(&r.timeline[0]),
            category_style(Category::Scaling).1
        );
        assert_eq!(legend_label(&r, &r.timeline[0]), "event: scaling / deploy");
    }

    #[test]
    fn bars_pair_events_by_their_phases_not_their_names() {
        let r = result_with(&[
            (
                1.0,
                "db",
                Event::starts("boom", Category::Fault, "went boom"),
            ),
            (1.5, "db", Event::moment("slow_start", Category::Other)),
            (
                2.0,
                "db",
                Event::ends("all_good", Category::Recovery, "boom"),
            ),
            (3.0, "app", Event::opens("odd", Category::Breaker)),
        ]);
        let lanes = super::super::events::lanes(&r, 4.0, &[]);
        assert_eq!(lanes.names, ["db", "app"]);
        let spans: Vec<(usize, f64, f64)> =
            lanes.spans.iter().map(|s| (s.lane, s.x0, s.x1)).collect();
        // `boom` until `all_good`; `odd` still open at the end; `slow_start` a moment.
        assert_eq!(spans, [(0, 1.0, 2.0), (1, 3.0, 4.0)]);
        let points: Vec<&str> = lanes.points.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(points, ["boom", "slow_start", "odd"]);
    }
}
