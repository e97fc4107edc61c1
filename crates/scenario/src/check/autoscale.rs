//! Autoscaling: an `autoscale` table (a service's instances: on CPU utilization, waiting
//! calls, answered calls per second or a response-time percentile, and with `min = 0` to
//! zero after `idle`, with cold starts) or a database's `replica_autoscale` (its read
//! replicas, see [`super::kinds`], on CPU utilization).

use super::ck::Ck;
use crate::raw::RawAutoscale;
use archsim_engine::SimTime;
use archsim_models::{AutoscaleSpec, Dist, ScaleMetric, MAX_AUTOSCALE, MAX_RATE_PER_S};
use toml::Spanned;

/// The signals an `autoscale` may follow.
const METRICS: &[&str] = &["cpu", "queue", "rate", "latency", "memory"];

/// An `autoscale` (or a database's `replica_autoscale`) table; `cores`: whether the component
/// has them (the CPU signal needs them); `classes`: the request classes (a latency signal
/// may follow one).
pub(super) fn autoscale_of(
    ck: &mut Ck,
    a: &Spanned<RawAutoscale>,
    name: &str,
    key: &str,
    cores: bool,
    classes: &[String],
) -> Option<AutoscaleSpec> {
    let asp = a.span();
    let a = a.get_ref();
    let what = |k: &str| format!("components.{name}.{key}.{k}");
    let service = key == "autoscale";
    let metric_name = match &a.metric {
        None => "cpu",
        Some(m) => match super::ck::one_of(m, if service { METRICS } else { &METRICS[..1] }) {
            Ok(i) => METRICS[i],
            Err(e) => {
                ck.err(m.span(), format!("{}: {e}", what("metric")));
                return None;
            }
        },
    };
    let cpu = metric_name == "cpu";
    let target = if cpu {
        if let Some(t) = &a.target {
            ck.err(
                t.span(),
                format!(
                    "{}: the CPU signal's target is `target_utilization` (e.g. 0.6)",
                    what("target")
                ),
            );
        }
        match &a.target_utilization {
            None => {
                ck.err(
                    asp.clone(),
                    format!("`{name}`: {key} needs `target_utilization`, e.g. 0.6"),
                );
                None
            }
            Some(t) => ck.float(t, &what("target_utilization"), 0.0, 1.0, true),
        }
    } else {
        if let Some(t) = &a.target_utilization {
            ck.err(
                t.span(),
                format!("{}: `target_utilization` is the CPU signal's; with metric = \"{metric_name}\" write `target`", what("target_utilization")),
            );
        }
        Some(1.0)
    };
    let metric = if cpu {
        Some(ScaleMetric::Cpu)
    } else {
        scale_metric(ck, a, metric_name, &asp, &what, classes)
    };
    let dur =
        |ck: &mut Ck, v: &Option<Spanned<String>>, k: &str, default: SimTime, min: SimTime| match v
        {
            None => Some(default),
            Some(d) => match ck.duration(d, &what(k)) {
                Some(t) if t < min => {
                    ck.err(d.span(), format!("{} must be at least {min}", what(k)));
                    None
                }
                t => t,
            },
        };
    let interval = dur(
        ck,
        &a.interval,
        "interval",
        SimTime::from_secs(30),
        SimTime::from_millis(10),
    );
    let stabilization = dur(
        ck,
        &a.stabilization,
        "stabilization",
        SimTime::from_secs(300),
        SimTime::ZERO,
    );
    let startup = dur(ck, &a.startup, "startup", SimTime::ZERO, SimTime::ZERO);
    let min = match &a.min {
        None => Some(1),
        // A service may scale to zero; a database keeps a replica.
        Some(v) => ck.int(
            v,
            &what("min"),
            i64::from(!service),
            i64::from(MAX_AUTOSCALE),
        ),
    };
    let idle = dur(
        ck,
        &a.idle,
        "idle",
        SimTime::from_secs(300),
        SimTime::from_millis(1),
    );
    let cold_start = match &a.cold_start {
        None => Some(Dist::Const(SimTime::from_secs(1).as_nanos())),
        Some(d) => ck.dist(d, &what("cold_start")),
    };
    if min != Some(0) {
        for (k, v) in [("idle", &a.idle), ("cold_start", &a.cold_start)] {
            if let Some(v) = v {
                ck.err(
                    v.span(),
                    format!(
                        "{} applies to a scaler that may scale to zero: set min = 0",
                        what(k)
                    ),
                );
            }
        }
    }
    let max = match &a.max {
        None => {
            ck.err(
                asp.clone(),
                format!(
                    "`{name}`: {key} needs `max`, the most instances (all are allocated up front)"
                ),
            );
            None
        }
        Some(v) => ck.int(v, &what("max"), 1, i64::from(MAX_AUTOSCALE)),
    };
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            ck.err(
                asp.clone(),
                format!("`{name}`: {key} min ({lo}) is above max ({hi})"),
            );
            return None;
        }
    }
    if cpu && !cores {
        ck.err(
            asp.clone(),
            format!(
                "`{name}`: {key} scales on CPU utilization, so the {} needs `cores`",
                if key == "autoscale" {
                    "service"
                } else {
                    "database"
                }
            ),
        );
        return None;
    }
    let (Some(t), Some(i), Some(st), Some(su), Some(lo), Some(hi)) =
        (target, interval, stabilization, startup, min, max)
    else {
        return None;
    };
    Some(AutoscaleSpec {
        target_utilization: t,
        interval: i,
        stabilization: st,
        min: lo as u32,
        max: hi as u32,
        startup: su,
        metric: metric?,
        idle: idle?,
        cold_start: cold_start?,
    })
}

/// A signal other than CPU with its `target` (and for latency its `percentile` and
/// `class`).
fn scale_metric(
    ck: &mut Ck,
    a: &RawAutoscale,
    metric: &str,
    asp: &std::ops::Range<usize>,
    what: &dyn Fn(&str) -> String,
    classes: &[String],
) -> Option<ScaleMetric> {
    let latency = metric == "latency";
    if !latency {
        for (k, v) in [
            ("percentile", a.percentile.as_ref().map(|v| v.span())),
            ("class", a.class.as_ref().map(|v| v.span())),
        ] {
            if let Some(sp) = v {
                ck.err(sp, format!("{}: applies to metric = \"latency\"", what(k)));
            }
        }
    }
    let example = match metric {
        "memory" => "target = 0.7 (memory utilization, use / capacity)",
        "queue" => "target = 4 (calls waiting per instance)",
        "rate" => "target = 200 (calls per second per instance)",
        _ => "target = \"200ms\" with percentile = 99",
    };
    let Some(t) = &a.target else {
        ck.err(
            asp.clone(),
            format!(
                "{}: metric = \"{metric}\" needs `target`, e.g. {example}",
                what("target")
            ),
        );
        return None;
    };
    if latency {
        let target = match t.get_ref() {
            toml::Value::String(s) => {
                ck.duration(&Spanned::new(t.span(), s.clone()), &what("target"))
            }
            _ => {
                ck.err(
                    t.span(),
                    format!(
                        "{}: a latency target is a duration, e.g. \"200ms\"",
                        what("target")
                    ),
                );
                None
            }
        };
        if target == Some(SimTime::ZERO) {
            ck.err(t.span(), format!("{} must be more than 0s", what("target")));
            return None;
        }
        let quantile = match &a.percentile {
            None => Some(0.99),
            Some(p) => ck
                .float(p, &what("percentile"), 0.0, 99.999, true)
                .map(|p| p / 100.0),
        };
        let class = match &a.class {
            None => None,
            Some(c) if classes.contains(c.get_ref()) => Some(c.get_ref().clone()),
            Some(c) => {
                ck.err(
                    c.span(),
                    format!(
                        "{}: `{}` is not a request class; classes are: {}",
                        what("class"),
                        c.get_ref(),
                        classes.join(", ")
                    ),
                );
                return None;
            }
        };
        return Some(ScaleMetric::Latency {
            quantile: quantile?,
            target: target?,
            class,
        });
    }
    let x = match t.get_ref() {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        _ => f64::NAN,
    };
    if metric == "memory" {
        if !(x > 0.0 && x <= 1.0) {
            ck.err(
                t.span(),
                format!(
                    "{} must be a utilization in (0, 1], e.g. {example}",
                    what("target")
                ),
            );
            return None;
        }
        return Some(ScaleMetric::Memory { utilization: x });
    }
    if !(x.is_finite() && x > 0.0 && x <= MAX_RATE_PER_S) {
        ck.err(
            t.span(),
            format!(
                "{} must be a number more than 0, e.g. {example}",
                what("target")
            ),
        );
        return None;
    }
    Some(if metric == "queue" {
        ScaleMetric::Queue { per_instance: x }
    } else {
        ScaleMetric::Rate {
            per_instance_per_s: x,
        }
    })
}
