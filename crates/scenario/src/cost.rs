//! What an architecture costs: `cost_per_hour` per instance of a component (default: the
//! price of its `machine`, if it names one), and for a database with replicas
//! `replica_cost_per_hour` per replica (default: the same).

use crate::check::Problem;
use crate::raw::RawScenario;
use archsim_stats::{Cost, SimResult};
use indexmap::IndexMap;

/// The cost keys of one component.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentCost {
    /// The component.
    pub component: String,
    /// Per instance and hour (the primary, each shard, each instance).
    pub per_instance_hour: f64,
    /// Per replica and hour (databases with `replicas`); `None` = `per_instance_hour`.
    pub per_replica_hour: Option<f64>,
    /// The database's replicas (instances `1..=replicas`).
    pub replicas: u32,
}

/// Reads and checks the cost keys of every component.
pub(crate) fn collect(raw: &RawScenario) -> (Vec<ComponentCost>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    // The machine types' problems are the check's to report.
    let machines = if raw.machines.is_empty()
        && raw
            .components
            .values()
            .all(|c| c.get_ref().machine.is_none())
    {
        Default::default()
    } else {
        crate::machines::table(raw).0
    };
    for (name, c) in &raw.components {
        let c = c.get_ref();
        let check = |v: &toml::Spanned<f64>, key: &str, problems: &mut Vec<Problem>| {
            let x = *v.get_ref();
            if !(x.is_finite() && x >= 0.0) {
                problems.push(Problem {
                    span: v.span(),
                    message: format!(
                        "components.{name}.{key} must be a cost per hour of at least 0, got {x}"
                    ),
                });
                None
            } else {
                Some(x)
            }
        };
        let replicas = c
            .replicas
            .as_ref()
            .map_or(0, |r| (*r.get_ref()).clamp(0, u32::MAX as i64) as u32);
        // Autoscaled replicas: up to `max` of them may run (paid at the replica rate).
        let replicas = match c
            .replica_autoscale
            .as_ref()
            .and_then(|a| a.get_ref().max.as_ref())
        {
            Some(m) if replicas > 0 => {
                replicas.max((*m.get_ref()).clamp(0, u32::MAX as i64) as u32)
            }
            _ => replicas,
        };
        let per_instance = match &c.cost_per_hour {
            Some(v) => check(v, "cost_per_hour", &mut problems),
            // The machine's price (an unknown machine is the check's to report).
            None => c
                .machine
                .as_ref()
                .and_then(|m| machines.get(m.get_ref()))
                .map(|m| m.cost_per_hour),
        };
        let per_replica = match &c.replica_cost_per_hour {
            Some(v) if replicas == 0 => {
                problems.push(Problem {
                    span: v.span(),
                    message: format!(
                        "`replica_cost_per_hour` applies to a database with `replicas`; `{name}` has none (use `cost_per_hour`)"
                    ),
                });
                None
            }
            Some(v) => {
                if per_instance.is_none() && c.cost_per_hour.is_none() {
                    problems.push(Problem {
                        span: v.span(),
                        message: format!(
                            "`{name}`: `replica_cost_per_hour` needs `cost_per_hour` or a `machine` (the primary's cost)"
                        ),
                    });
                }
                check(v, "replica_cost_per_hour", &mut problems)
            }
            None => None,
        };
        if let Some(p) = per_instance {
            out.push(ComponentCost {
                component: name.clone(),
                per_instance_hour: p,
                per_replica_hour: per_replica,
                replicas,
            });
        }
    }
    (out, problems)
}

/// Adds `cost` to `result` (and `cost_per_hour` to each component with a cost), from the
/// instances each component ran with.
pub(crate) fn apply(costs: &[ComponentCost], result: &mut SimResult) {
    if costs.is_empty() {
        return;
    }
    let mut by_component = IndexMap::new();
    for c in costs {
        let Some(comp) = result.components.get_mut(&c.component) else {
            continue;
        };
        // An autoscaled service pays for the instances it ran on average, not its maximum.
        let instances = comp
            .extra
            .get("mean_instances")
            .and_then(|v| v.as_f64())
            .unwrap_or(comp.instances as f64);
        let replicas = (c.replicas as f64).min((instances - 1.0).max(0.0));
        let primaries = instances - replicas;
        let per_hour = c.per_instance_hour * primaries
            + c.per_replica_hour.unwrap_or(c.per_instance_hour) * replicas;
        comp.extra
            .insert("cost_per_hour".into(), serde_json::json!(per_hour));
        by_component.insert(c.component.clone(), per_hour);
    }
    let per_hour: f64 = by_component.values().sum();
    let per_million_requests =
        (result.throughput_rps > 0.0).then(|| per_hour / (result.throughput_rps * 3600.0) * 1e6);
    result.cost = Some(Cost {
        per_hour,
        per_million_requests,
        components: by_component,
    });
}
