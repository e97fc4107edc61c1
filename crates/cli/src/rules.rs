//! `--alerts-rules PATH`: a scenario's `[[alerts]]` as a Prometheus rules file (YAML), with
//! PromQL over the metric names `--metrics` writes, so the rules the simulation evaluated can
//! be loaded into a real Prometheus (`promtool check rules PATH` checks the file).
//!
//! The YAML is written by hand: every string is a double-quoted scalar with JSON escaping,
//! which YAML reads as written, so no name or expression can break the document.

use archsim_stats::alerts::{fmt_window, Condition, Series, Subject};
use archsim_stats::{AlertRule, AlertsSpec};

/// A YAML double-quoted scalar (JSON string escaping is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serializes")
}

/// A label matcher value in PromQL: `"..."` with `\` and `"` escaped.
fn label(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A number in PromQL (never an exponent: Rust's `Display` of `f64` writes digits).
fn num(v: f64) -> String {
    format!("{v}")
}

/// The PromQL expression of a rule; `series_ns` is the series interval, the scrape interval
/// of `--metrics` (a request series is read over two of them: `rate` then sees the last
/// bucket, as the simulation's evaluation does).
/// `every`: the selector of every request's series (`{class="all"}` with several classes,
/// nothing with one: its class's series is the run's).
fn expr(rule: &AlertRule, series_ns: u64, every: &str) -> String {
    match &rule.condition {
        Condition::Threshold {
            subject,
            series,
            op,
            value,
        } => {
            let cmp = format!("{} {}", op.symbol(), num(*value));
            let w = fmt_window(2 * series_ns);
            let sel = match subject {
                Subject::Component(c) => format!("{{component={}}}", label(c)),
                Subject::Class(c) => format!("{{class={}}}", label(c)),
                Subject::System => every.to_string(),
            };
            let m = |metric: &str| format!("{metric}{sel}");
            let e = match series {
                Series::Utilization => m("archsim_component_utilization_ratio"),
                Series::Queue => m("archsim_component_queue_length"),
                Series::Errors => m("archsim_component_errors_per_second"),
                Series::ErrorRatio => format!(
                    "{} / {}",
                    m("archsim_component_errors_per_second"),
                    m("archsim_component_calls_per_second")
                ),
                Series::Calls => m("archsim_component_calls_per_second"),
                Series::HitRatio => m("archsim_cache_hit_ratio"),
                Series::ConsumerLag => m("archsim_consumer_lag_seconds"),
                Series::P99 => format!(
                    "histogram_quantile(0.99, sum by (le) (rate(archsim_request_duration_seconds_bucket{sel}[{w}])))"
                ),
                Series::ErrorRate => m("archsim_error_ratio"),
                Series::Rps => m("archsim_request_rate_per_second"),
                Series::Goodput => m("archsim_goodput_per_second"),
            };
            format!("{e} {cmp}")
        }
        Condition::BurnRate {
            class,
            target,
            long_ns,
            short_ns,
            factor,
        } => {
            let sel = class
                .as_deref()
                .map_or(every.to_string(), |c| format!("{{class={}}}", label(c)));
            let ratio = |w: u64| {
                let w = fmt_window(w);
                format!(
                    "(sum(rate(archsim_requests_failed_total{sel}[{w}])) + sum(rate(archsim_requests_slow_total{sel}[{w}]))) / sum(rate(archsim_requests_total{sel}[{w}]))"
                )
            };
            let limit = format!("{} * (1 - {})", num(*factor), num(*target));
            format!(
                "{} > {limit} and {} > {limit}",
                ratio(*long_ns),
                ratio(*short_ns)
            )
        }
    }
}

/// The rules file of scenario `name`'s alerts; `series_ns` is the series interval (the
/// evaluation interval unless the scenario sets `run.alert_interval`).
/// `classes`: the scenario's request classes (with several, every request's series is
/// `class="all"`).
pub(crate) fn prometheus_rules(
    name: &str,
    alerts: &AlertsSpec,
    series_ns: u64,
    classes: usize,
) -> String {
    let every = if classes > 1 { "{class=\"all\"}" } else { "" };
    let eval_ns = if alerts.interval_ns == 0 {
        series_ns
    } else {
        alerts.interval_ns
    };
    let mut s = String::new();
    s.push_str("# Prometheus alerting rules written by `simulate --alerts-rules` from the\n");
    s.push_str("# scenario's [[alerts]], over the metric names of `simulate --metrics`.\n");
    s.push_str("# Check with: promtool check rules FILE\n");
    s.push_str("groups:\n");
    s.push_str(&format!("  - name: {}\n", q(&format!("archsim-{name}"))));
    s.push_str(&format!("    interval: {}\n", fmt_window(eval_ns)));
    s.push_str("    rules:\n");
    for rule in &alerts.rules {
        s.push_str(&format!("      - alert: {}\n", q(&rule.name)));
        s.push_str(&format!(
            "        expr: {}\n",
            q(&expr(rule, series_ns, every))
        ));
        if rule.for_ns > 0 {
            s.push_str(&format!("        for: {}\n", fmt_window(rule.for_ns)));
        }
        s.push_str("        labels:\n");
        s.push_str(&format!("          scenario: {}\n", q(name)));
        if let Some(sev) = &rule.severity {
            s.push_str(&format!("          severity: {}\n", q(sev)));
        }
        s.push_str("        annotations:\n");
        s.push_str(&format!("          summary: {}\n", q(&rule.summary())));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use archsim_stats::alerts::Op;

    fn rule(name: &str, condition: Condition) -> AlertRule {
        AlertRule {
            name: name.into(),
            severity: Some("page".into()),
            for_ns: 30_000_000_000,
            condition,
        }
    }

    #[test]
    fn a_threshold_and_a_burn_rate_read_as_promql() {
        let spec = AlertsSpec {
            rules: vec![
                rule(
                    "DbSaturated",
                    Condition::Threshold {
                        subject: Subject::Component("db".into()),
                        series: Series::Utilization,
                        op: Op::Above,
                        value: 0.9,
                    },
                ),
                AlertRule {
                    for_ns: 0,
                    severity: None,
                    ..rule(
                        "SloBurn",
                        Condition::BurnRate {
                            class: Some("read".into()),
                            target: 0.999,
                            long_ns: 100_000_000_000,
                            short_ns: 8_333_000_000,
                            factor: 14.4,
                        },
                    )
                },
            ],
            interval_ns: 0,
        };
        let y = prometheus_rules("shop \"v2\"", &spec, 1_000_000_000, 2);
        assert!(
            y.contains("  - name: \"archsim-shop \\\"v2\\\"\"\n    interval: 1s\n"),
            "{y}"
        );
        assert!(y.contains(
            "      - alert: \"DbSaturated\"\n        expr: \"archsim_component_utilization_ratio{component=\\\"db\\\"} > 0.9\"\n        for: 30s\n        labels:\n          scenario: \"shop \\\"v2\\\"\"\n          severity: \"page\"\n"
        ), "{y}");
        assert!(
            y.contains("sum(rate(archsim_requests_failed_total{class=\\\"read\\\"}[100s]))"),
            "{y}"
        );
        assert!(y.contains("[8333ms]"), "{y}");
        assert!(y.contains(" > 14.4 * (1 - 0.999) and "), "{y}");
        // No `for` line for a rule without one.
        assert_eq!(y.matches("for: ").count(), 1);
        // Every line is a comment, a key or a list item, indented by two per level.
        for line in y.lines() {
            let t = line.trim_start();
            assert!(
                t.starts_with('#') || t.contains(": ") || t.ends_with(':'),
                "{line}"
            );
            assert_eq!((line.len() - t.len()) % 2, 0, "{line}");
        }
    }

    #[test]
    fn every_requests_series_is_class_all_only_with_several_classes() {
        let spec = AlertsSpec {
            rules: vec![rule(
                "Burn",
                Condition::BurnRate {
                    class: None,
                    target: 0.99,
                    long_ns: 60_000_000_000,
                    short_ns: 5_000_000_000,
                    factor: 14.4,
                },
            )],
            interval_ns: 0,
        };
        let several = prometheus_rules("s", &spec, 1_000_000_000, 3);
        assert!(
            several.contains("rate(archsim_requests_total{class=\\\"all\\\"}[1m])"),
            "{several}"
        );
        let one = prometheus_rules("s", &spec, 1_000_000_000, 1);
        assert!(one.contains("rate(archsim_requests_total[1m])"), "{one}");
    }
}
