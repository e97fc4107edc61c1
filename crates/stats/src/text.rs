//! The human summary: a compact, aligned text table.

use crate::cascade::{Cascade, Trigger};
use crate::result::{LatencyMs, SimResult};
use std::fmt::Write;

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A latency in ms with sensible precision.
fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v >= 1000.0 => format!("{:.2}s", v / 1000.0),
        Some(v) if v >= 100.0 => format!("{v:.0}ms"),
        Some(v) if v >= 10.0 => format!("{v:.1}ms"),
        Some(v) => format!("{v:.2}ms"),
    }
}

/// Milliseconds in a few characters: "0", "0.42", "3.1", "120".
fn short_ms(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v < 0.005 {
        "<0.01".into()
    } else if v < 1.0 {
        format!("{v:.2}")
    } else if v < 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

fn pct(v: f64) -> String {
    if v == 0.0 {
        "0%".into()
    } else if v < 0.0001 {
        format!("{:.4}%", v * 100.0)
    } else if v < 0.01 {
        format!("{:.2}%", v * 100.0)
    } else {
        format!("{:.1}%", v * 100.0)
    }
}

fn latency_cells(l: &LatencyMs) -> [String; 7] {
    [
        ms(l.mean),
        ms(l.p50),
        ms(l.p90),
        ms(l.p95),
        ms(l.p99),
        ms(l.p999),
        ms(l.max),
    ]
}

impl SimResult {
    /// The human summary printed by `simulate`.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let long = self.simulated_s > CLOCK_AFTER_S;
        let reps = if self.replications == 1 {
            "1 replication".to_string()
        } else {
            format!("{} replications", self.replications)
        };
        let _ = writeln!(
            s,
            "{} | seed {} | {} | {:.0}s simulated ({:.0}s warm-up) | {} events in {:.2}s",
            self.scenario,
            self.seed,
            reps,
            self.simulated_s,
            self.warmup_s,
            thousands(self.events),
            self.wall_s
        );
        let r = &self.requests;
        // With a warm-up the figures cover two windows; each says which (issue 12 item 4).
        let (whole, measured) = if self.warmup_s > 0.0 {
            (
                " (whole run)".to_string(),
                format!(
                    " (measured window, after the {} warm-up)",
                    span(self.warmup_s)
                ),
            )
        } else {
            (String::new(), String::new())
        };
        let _ = writeln!(
            s,
            "requests    {} generated, {} succeeded, {} failed, {} in flight{whole}",
            thousands(r.generated),
            thousands(r.succeeded),
            thousands(r.failed),
            thousands(r.in_flight)
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8}",
            "latency", "mean", "p50", "p90", "p95", "p99", "p99.9", "max", "req/s", "errors"
        );
        let row = |s: &mut String, name: &str, l: &LatencyMs, rps: f64, err: f64| {
            let c = latency_cells(l);
            let _ = writeln!(
                s,
                "{:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10.1} {:>8}",
                name,
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                c[5],
                c[6],
                rps,
                pct(err)
            );
        };
        row(
            &mut s,
            "all",
            &self.latency_ms,
            self.throughput_rps,
            self.error_rate,
        );
        if self.classes.len() > 1 {
            for (name, c) in &self.classes {
                row(
                    &mut s,
                    &format!("  {name}"),
                    &c.latency_ms,
                    c.throughput_rps,
                    c.error_rate,
                );
            }
        }
        if let Some(ci) = &self.ci95 {
            s.push_str(&ci_line(self, ci));
        }
        if self.requests.degraded > 0 {
            let _ = writeln!(
                s,
                "degraded     {} of measured requests answered by a fallback (counted as succeeded, never good)",
                pct(self.degraded_rate)
            );
        }
        if !self.errors.is_empty() {
            let reasons: Vec<String> = self
                .errors
                .iter()
                .map(|(k, v)| format!("{k} {}", thousands(*v)))
                .collect();
            let _ = writeln!(s, "errors       {}{measured}", reasons.join(", "));
        }
        if let Some(slo) = &self.slo {
            let _ = writeln!(
                s,
                "slo          {:.3}% of requests good (ok within {}), target {:.3}%: {}",
                slo.attained * 100.0,
                ms(Some(slo.latency_ms)),
                slo.target * 100.0,
                if slo.met { "met" } else { "MISSED" }
            );
        }
        if let Some(c) = &self.cost {
            let parts: Vec<String> = c
                .components
                .iter()
                .map(|(n, v)| format!("{n} {v:.2}"))
                .collect();
            let _ = writeln!(
                s,
                "cost         {:.2} per hour, {} per million requests ({})",
                c.per_hour,
                c.per_million_requests
                    .map_or("-".into(), |v| format!("{v:.3}")),
                parts.join(", ")
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<16} {:<14} {:>5} {:>6} {:>9} {:>8} {:>7} {:>12} {:>10} {:>9} {:>9}  wait/service/down/net ms",
            "component",
            "kind",
            "inst",
            "cores",
            "util",
            "mean q",
            "max q",
            "served",
            "rejected",
            "mean ms",
            "p99 ms",
        );
        for (name, c) in &self.components {
            let (mean, p99) = c
                .latency_ms
                .as_ref()
                .map_or((None, None), |l| (l.mean, l.p99));
            let phases = c.time_ms.as_ref().map_or("-".to_string(), |t| {
                format!(
                    "{}/{}/{}/{}",
                    short_ms(t.wait),
                    short_ms(t.service),
                    short_ms(t.downstream),
                    short_ms(t.network)
                )
            });
            let line = format!(
                "{:<16} {:<14} {:>5} {:>6} {:>9} {:>8.2} {:>7} {:>12} {:>10} {:>9} {:>9}  {}",
                name,
                c.kind,
                c.instances,
                c.cores.map_or("-".into(), |c| c.to_string()),
                match (c.utilization, &c.summary_figure) {
                    (Some(u), _) => pct(u),
                    (None, Some((label, Some(v)))) => format!("{label} {}", pct(*v)),
                    _ => "-".into(),
                },
                c.mean_queue,
                c.max_queue,
                thousands(c.served),
                thousands(c.rejected),
                ms(mean),
                ms(p99),
                phases
            );
            let _ = writeln!(s, "{}", line.trim_end());
        }
        if let Some(b) = &self.breakdown {
            let _ = writeln!(s);
            for (label, key, parts) in [
                ("median requests", "median", &b.median),
                ("p99 requests", "p99", &b.p99),
            ] {
                if let Some(g) = b.groups.get(key) {
                    let _ = writeln!(
                        s,
                        "{label}: {} (mean {} ms over {} requests)",
                        crate::breakdown::sentence(parts),
                        short_ms(g.latency_ms),
                        thousands(g.requests)
                    );
                }
            }
        }
        // Hot instances: one instance taking far more than its share (hot shards, bad balance).
        for (name, c) in &self.components {
            if let Some((i, share)) = c.per_instance.as_ref().and_then(|p| p.hottest()) {
                let n = c.instances as f64;
                if n >= 2.0 && share > 1.5 / n {
                    let util = c
                        .per_instance
                        .as_ref()
                        .and_then(|p| p.utilization.as_ref())
                        .map_or(String::new(), |u| format!(", utilization {}", pct(u[i])));
                    let _ = writeln!(
                        s,
                        "  hot instance: {name}[{i}] answers {} of {name}'s calls (even share {}){util}",
                        pct(share),
                        pct(1.0 / n)
                    );
                }
            }
        }
        if !self.timeline.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(s, "timeline");
            for e in self.timeline.iter().take(20) {
                let t = if long {
                    format!("{:>12}", clock(e.t_s, 3))
                } else {
                    format!("{:>9.3}s", e.t_s)
                };
                let line = format!("  {t}  {:<16} {:<18} {}", e.component, e.event, e.detail);
                // No trailing blanks when an event has no detail.
                let _ = writeln!(s, "{}", line.trim_end());
            }
            if self.timeline.len() > 20 {
                let _ = writeln!(
                    s,
                    "  ... {} more in the JSON result",
                    self.timeline.len() - 20
                );
            }
        }
        if let Some(alerts) = &self.alerts {
            let _ = writeln!(s);
            let _ = writeln!(s, "{}", alerts_line(alerts, self.replications, long));
        }
        if !self.cascades.is_empty() {
            let _ = writeln!(s);
            for (i, c) in self.cascades.iter().enumerate().take(10) {
                let _ = writeln!(s, "incident {}: {}", i + 1, story(c, long));
            }
            if self.cascades.len() > 10 {
                let _ = writeln!(
                    s,
                    "... {} more incidents in the JSON result",
                    self.cascades.len() - 10
                );
            }
        }
        s
    }
}

/// `alerts  DbSaturated 135.0s-185.0s, SloSlowBurn 125.0s-end`: each firing with its
/// span (and replication, with several), at most 10; `none fired` when none did.
fn alerts_line(alerts: &[crate::alerts::FiredAlert], replications: u32, long: bool) -> String {
    if alerts.is_empty() {
        return "alerts       none fired".into();
    }
    let shown: Vec<String> = alerts
        .iter()
        .take(10)
        .map(|a| {
            let end = a.resolved_at_s.map_or("end".into(), |t| secs(t, long));
            let rep = if replications > 1 {
                format!(" (replication {})", a.replication)
            } else {
                String::new()
            };
            format!("{} {}-{end}{rep}", a.name, secs(a.fired_at_s, long))
        })
        .collect();
    let more = if alerts.len() > 10 {
        format!(", ... {} more in the JSON result", alerts.len() - 10)
    } else {
        String::new()
    };
    format!("alerts       {}{more}", shown.join(", "))
}

/// The half-width of an interval, with sensible precision.
fn half_width(ci: [f64; 2]) -> String {
    let h = (ci[1] - ci[0]) / 2.0;
    if h >= 100.0 {
        format!("{h:.0}")
    } else if h >= 1.0 {
        format!("{h:.1}")
    } else {
        format!("{h:.2}")
    }
}

/// `ci95 (10 replications)  mean 9.40 ms ± 0.05  p50 ...`: pooled figures with the
/// half-width of their 95% confidence interval over replications.
fn ci_line(r: &SimResult, ci: &crate::Ci95) -> String {
    let mut parts = Vec::new();
    let l = &r.latency_ms;
    let c = &ci.latency_ms;
    for (name, v, i) in [
        ("mean", l.mean, c.mean),
        ("p50", l.p50, c.p50),
        ("p95", l.p95, c.p95),
        ("p99", l.p99, c.p99),
        ("p99.9", l.p999, c.p999),
    ] {
        if let (Some(v), Some(i)) = (v, i) {
            let v = if v < 10.0 {
                format!("{v:.2}")
            } else {
                format!("{v:.1}")
            };
            parts.push(format!("{name} {v} ms ± {}", half_width(i)));
        }
    }
    parts.push(format!(
        "req/s {:.1} ± {}",
        r.throughput_rps,
        half_width(ci.throughput_rps)
    ));
    parts.push(format!(
        "errors {} ± {}",
        pct(r.error_rate),
        pct((ci.error_rate[1] - ci.error_rate[0]) / 2.0)
    ));
    if let (Some(slo), Some(i)) = (&r.slo, ci.slo_attained) {
        parts.push(format!(
            "slo {:.3}% ± {:.3}",
            slo.attained * 100.0,
            (i[1] - i[0]) / 2.0 * 100.0
        ));
    }
    format!(
        "ci95         over {} replications: {}\n",
        ci.replications,
        parts.join(", ")
    )
}

/// A moment with one decimal: `2.1s`, or `14:00:00` (`14:00:00.5`) in a run longer than
/// an hour (issue 12 item 13).
fn secs(v: f64, long: bool) -> String {
    if long {
        let c = clock(v, 1);
        c.strip_suffix(".0").map_or(c.clone(), str::to_string)
    } else {
        format!("{v:.1}s")
    }
}

/// Runs longer than this show their moments as `h:mm:ss`.
pub const CLOCK_AFTER_S: f64 = 3600.0;

/// `t_s` seconds as `h:mm:ss` with `decimals` decimals of a second: `14:00:00.000`,
/// `1:02:03` (the hours are not padded and go past 24).
pub fn clock(t_s: f64, decimals: usize) -> String {
    let scale = 10f64.powi(decimals as i32);
    let units = (t_s.max(0.0) * scale).round();
    let whole = (units / scale).floor();
    let frac = units - whole * scale;
    let w = whole as u64;
    let mut s = format!("{}:{:02}:{:02}", w / 3600, w / 60 % 60, w % 60);
    if decimals > 0 {
        s.push_str(&format!(".{:0width$}", frac as u64, width = decimals));
    }
    s
}

/// A duration with one decimal: `2.1s`.
fn span1(v: f64) -> String {
    format!("{v:.1}s")
}

/// A duration, without decimals when whole: `30s`, `2.5s`.
fn span(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}s")
    } else {
        format!("{v:.1}s")
    }
}

impl Cascade {
    /// The incident as the sentence the summary prints after `incident N:` (times in
    /// seconds).
    pub fn sentence(&self) -> String {
        story(self, false)
    }

    /// The sentence of an incident of a run of `run_s` seconds: times as `h:mm:ss` when the
    /// run is longer than an hour.
    pub fn sentence_in(&self, run_s: f64) -> String {
        story(self, run_s > CLOCK_AFTER_S)
    }
}

/// One incident as a sentence: trigger -> crossings, peak errors; verdict.
pub(crate) fn story(c: &Cascade, long: bool) -> String {
    let t = &c.trigger;
    let mut s = if t.kind == "load" {
        format!("load at {}", secs(t.start_s, long))
    } else {
        // Triggers of one kind at one time (a fault on every instance) read as one.
        let same: Vec<&Trigger> = c
            .more_triggers
            .iter()
            .filter(|m| m.event == t.event && m.start_s == t.start_s && m.end_s == t.end_s)
            .collect();
        let mut who = t.component.clone();
        for m in &same {
            who.push_str(", ");
            who.push_str(&m.component);
        }
        let dur = match t.end_s {
            Some(e) => format!(" for {}", span(e - t.start_s)),
            None => " until the end".to_string(),
        };
        let mut s = format!("{who} {} at {}{dur}", t.verb, secs(t.start_s, long));
        let others = c.more_triggers.len() - same.len();
        if others > 0 {
            let _ = write!(
                s,
                " (+{others} more trigger{})",
                if others == 1 { "" } else { "s" }
            );
        }
        s
    };
    let steps: Vec<String> = c
        .crossings
        .iter()
        .filter(|x| x.event == *crate::cascade::SATURATED.name)
        .map(|x| {
            let what = if x.reason == "errors" {
                "failing"
            } else {
                "saturated"
            };
            format!("{} {what} +{}", x.component, span1(x.after_s))
        })
        .collect();
    s.push_str(" -> ");
    if c.crossings.is_empty() {
        s.push_str("no threshold crossed");
    } else if !steps.is_empty() {
        s.push_str(&steps.join(", "));
    } else {
        s.push_str("no component saturated");
    }
    match c.peak_error_t_s {
        Some(at) if c.peak_error_rate > 0.0 => {
            let _ = write!(
                s,
                ", errors peaked at {} (+{})",
                pct(c.peak_error_rate),
                span1((at - t.start_s).max(0.0))
            );
        }
        _ => s.push_str(", no errors"),
    }
    let since = if t.kind == "load" {
        "it began"
    } else {
        "the trigger ended"
    };
    match c.verdict.as_str() {
        // Back to normal while the trigger was still on (a failover, a balancer's ejection).
        "recovered" if matches!((c.normal_at_s, t.end_s), (Some(n), Some(e)) if n < e) => {
            let _ = write!(
                s,
                "; recovered {} after it began, before the trigger ended",
                span1((c.normal_at_s.unwrap_or(t.start_s) - t.start_s).max(0.0))
            );
        }
        "recovered" => {
            let _ = write!(
                s,
                "; recovered {} after {since}",
                span1(c.recovered_after_s.unwrap_or(0.0))
            );
        }
        "metastable" => {
            let _ = write!(
                s,
                "; still failing {} after {since}: metastable",
                span(c.still_failing_after_s.unwrap_or(0.0))
            );
        }
        "absorbed" => s.push_str("; absorbed"),
        "unresolved" if t.kind == "load" => {
            s.push_str("; still on when traffic ended (unresolved)");
        }
        v => {
            let _ = write!(s, "; {v} when traffic ended");
        }
    }
    if let Some(d) = &c.detection {
        match (&d.detected_by, d.time_to_detect_s) {
            (Some(name), Some(after)) => {
                let _ = write!(
                    s,
                    "; detected by alert {name} {} after it began",
                    span1(after)
                );
                if let Some(r) = d.detected_replication {
                    let _ = write!(s, " (replication {r})");
                }
            }
            _ => s.push_str("; no alert fired during this incident"),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(ms(Some(1234.0)), "1.23s");
        assert_eq!(ms(Some(3.14659)), "3.15ms");
        assert_eq!(pct(0.5), "50.0%");
    }

    #[test]
    fn an_incident_reads_as_a_sentence() {
        use crate::cascade::Crossing;
        let crossing = |component: &str, reason: &str, after_s: f64| Crossing {
            component: component.into(),
            event: "saturated".into(),
            reason: reason.into(),
            t_s: 120.0 + after_s,
            after_s,
            detail: String::new(),
        };
        let mut c = Cascade {
            trigger: Trigger {
                kind: "fault".into(),
                component: "db".into(),
                event: "crash".into(),
                detail: String::new(),
                start_s: 120.0,
                end_s: Some(150.0),
                verb: "crashed".into(),
            },
            more_triggers: Vec::new(),
            crossings: vec![crossing("db", "errors", 0.0), crossing("app", "queue", 2.1)],
            peak_error_rate: 0.43,
            peak_error_t_s: Some(125.0),
            verdict: "recovered".into(),
            recovered_after_s: Some(4.0),
            normal_at_s: Some(154.0),
            still_failing_after_s: None,
            detection: None,
        };
        assert_eq!(
            story(&c, false),
            "db crashed at 120.0s for 30s -> db failing +0.0s, app saturated +2.1s, \
             errors peaked at 43.0% (+5.0s); recovered 4.0s after the trigger ended"
        );
        // Normal again before the trigger ended (a failover): said from the trigger's start.
        let mut early = c.clone();
        early.recovered_after_s = Some(0.0);
        early.normal_at_s = Some(135.0);
        assert!(
            story(&early, false)
                .ends_with("; recovered 15.0s after it began, before the trigger ended"),
            "{}",
            story(&early, false)
        );
        c.verdict = "metastable".into();
        c.still_failing_after_s = Some(240.0);
        assert!(
            story(&c, false).ends_with("; still failing 240s after the trigger ended: metastable")
        );
    }

    #[test]
    fn clock_reads_hours_minutes_seconds() {
        assert_eq!(clock(50400.0, 3), "14:00:00.000");
        assert_eq!(clock(3723.4567, 3), "1:02:03.457");
        assert_eq!(clock(59.9996, 3), "0:01:00.000");
        assert_eq!(clock(7200.0, 0), "2:00:00");
        assert_eq!(secs(5400.5, true), "1:30:00.5");
        assert_eq!(secs(5400.0, true), "1:30:00");
        assert_eq!(secs(5400.0, false), "5400.0s");
    }
}
