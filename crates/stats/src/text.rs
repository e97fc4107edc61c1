//! The human summary: a compact, aligned text table.

use crate::result::{LatencyMs, SimResult};
use std::fmt::Write;

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
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
        let _ = writeln!(
            s,
            "requests    {} generated, {} succeeded, {} failed, {} in flight",
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
            let _ = writeln!(s, "errors       {}", reasons.join(", "));
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
            "{:<16} {:<14} {:>5} {:>6} {:>7} {:>8} {:>7} {:>12} {:>10}",
            "component", "kind", "inst", "cores", "util", "mean q", "max q", "served", "rejected"
        );
        for (name, c) in &self.components {
            let _ = writeln!(
                s,
                "{:<16} {:<14} {:>5} {:>6} {:>7} {:>8.2} {:>7} {:>12} {:>10}",
                name,
                c.kind,
                c.instances,
                c.cores.map_or("-".into(), |c| c.to_string()),
                match (
                    c.utilization,
                    c.extra.get("hit_ratio").and_then(|v| v.as_f64())
                ) {
                    (Some(u), _) => pct(u),
                    (None, Some(h)) => format!("hit {}", pct(h)),
                    _ => "-".into(),
                },
                c.mean_queue,
                c.max_queue,
                thousands(c.served),
                thousands(c.rejected)
            );
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
                let _ = writeln!(
                    s,
                    "  {:>9.3}s  {:<16} {:<18} {}",
                    e.t_s, e.component, e.event, e.detail
                );
            }
            if self.timeline.len() > 20 {
                let _ = writeln!(
                    s,
                    "  ... {} more in the JSON result",
                    self.timeline.len() - 20
                );
            }
        }
        s
    }
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
}
