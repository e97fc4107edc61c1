//! Autoscaling: an `autoscale` table (a service's instances) or a database's
//! `replica_autoscale` (its read replicas, see [`super::kinds`]), both scaled on CPU
//! utilization.

use super::ck::Ck;
use crate::raw::RawAutoscale;
use archsim_engine::SimTime;
use archsim_models::{AutoscaleSpec, MAX_AUTOSCALE};
use toml::Spanned;

/// An `autoscale` (or a database's `replica_autoscale`) table; `cores`: whether the component
/// has them (the scaler follows CPU utilization).
pub(super) fn autoscale_of(
    ck: &mut Ck,
    a: &Spanned<RawAutoscale>,
    name: &str,
    key: &str,
    cores: bool,
) -> Option<AutoscaleSpec> {
    let asp = a.span();
    let a = a.get_ref();
    let what = |k: &str| format!("components.{name}.{key}.{k}");
    let target = match &a.target_utilization {
        None => {
            ck.err(
                asp.clone(),
                format!("`{name}`: {key} needs `target_utilization`, e.g. 0.6"),
            );
            None
        }
        Some(t) => ck.float(t, &what("target_utilization"), 0.0, 1.0, true),
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
        Some(v) => ck.int(v, &what("min"), 1, i64::from(MAX_AUTOSCALE)),
    };
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
    if !cores {
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
    })
}
