//! The fix runway applies to the component that saturates at a break, so the months after it
//! can be probed again for the next break: the saturated resource's capacity doubles at the
//! break and grows with the traffic from there (it keeps pace with room to spare).
//!
//! Per resource: CPU, workers or a queue grow the component's `cores` and `workers` (those it
//! sets); on a component that runs on a catalogue machine whose cores it does not set, CPU
//! moves it to the smallest machine of the same family with enough cores (a bigger machine
//! is how cores grow there; its memory, network and disk grow with it); memory grows
//! `memory`, a disk `disk_iops` and `disk_throughput`, the network its instances' `bandwidth`,
//! storage `storage` (and a storage autoscaler's `max`). Each key's value before the fix is
//! the one the model runs with, a machine's default included, so the fix starts from what
//! saturated.

use crate::capacity::{fmt_value, key_value};
use archsim_models::{KindSpec, Machine, Spec};
use std::path::Path;

/// How a key's value is written back in a `--set`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Unit {
    /// A whole number (cores, workers), rounded up.
    Count,
    /// A number (IOPS).
    Number,
    /// Bytes (`"8589934592B"`), rounded up.
    Bytes,
    /// Bytes a second (`"250000000B/s"`).
    Rate,
}

impl Unit {
    fn show(self, v: f64) -> String {
        match self {
            Unit::Count => fmt_value(v, true),
            Unit::Number => fmt_value(v, false),
            Unit::Bytes => bytes_text(v),
            Unit::Rate => format!("{}/s", bytes_text(v)),
        }
    }
    fn set(self, v: f64) -> String {
        match self {
            Unit::Count => fmt_value(v.ceil(), true),
            Unit::Number => fmt_value(v.ceil(), false),
            Unit::Bytes => format!("{}B", v.ceil() as u64),
            Unit::Rate => format!("{}B/s", v.ceil() as u64),
        }
    }
}

/// `4 GiB`, `125 MB`: a size for the report.
fn bytes_text(v: f64) -> String {
    const BIN: [(&str, f64); 4] = [
        ("TiB", 1099511627776.0),
        ("GiB", 1073741824.0),
        ("MiB", 1048576.0),
        ("KiB", 1024.0),
    ];
    for (unit, scale) in BIN {
        if v >= scale {
            return format!(
                "{} {unit}",
                fmt_value((v / scale * 100.0).round() / 100.0, false)
            );
        }
    }
    format!("{} B", fmt_value(v, false))
}

/// A move to a bigger machine of the same family.
#[derive(Clone, Debug)]
pub(super) struct Resize {
    from: Machine,
    /// The catalogue machines of its family, by cores.
    family: Vec<Machine>,
}

impl Resize {
    /// The smallest machine with at least `cores`, else the largest.
    fn at(&self, cores: f64) -> &Machine {
        self.family
            .iter()
            .find(|m| m.cores as f64 >= cores)
            .or(self.family.last())
            .unwrap_or(&self.from)
    }
}

/// The fix of a saturated component: each key doubles at the break and grows with the
/// traffic from there; or its machine moves up to keep pace.
#[derive(Clone, Debug)]
pub(super) struct Fix {
    pub component: String,
    /// The resource that saturated.
    pub resource: &'static str,
    /// Each key, its value before the fix and how it is written.
    pub keys: Vec<(String, f64, Unit)>,
    /// On a machine: the move to a bigger one (then `keys` are what follows the cores).
    pub resize: Option<Resize>,
    /// On a machine that cannot move up (the largest of its family, or the scenario's own):
    /// its cores, which `cores` may not pass.
    pub cores_limit: Option<f64>,
    /// The load at the break: beyond it the keys grow in proportion.
    pub at_load: f64,
}

impl Fix {
    /// `monolith's cores (8) and workers (64)`, `db's machine (memory.2xlarge: 8 cores)`.
    pub fn text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(r) = &self.resize {
            parts.push(format!("machine ({}: {} cores)", r.from.name, r.from.cores));
        }
        parts.extend(self.keys.iter().map(|(k, a, unit)| {
            format!("{} ({})", k.rsplit('.').next().unwrap_or(k), unit.show(*a))
        }));
        format!("{}'s {}", self.component, parts.join(" and "))
    }

    /// The factor at `load`: 2 at the break, growing with the load beyond it.
    fn factor(&self, load: f64) -> f64 {
        2.0 * (load / self.at_load).max(1.0)
    }

    /// The `--set`s that apply it at `load`.
    pub fn set_at(&self, load: f64) -> Vec<String> {
        let f = self.factor(load);
        let mut out = Vec::new();
        let mut cap = self.cores_limit.unwrap_or(f64::INFINITY);
        if let Some(r) = &self.resize {
            let m = r.at(self.cores_from() * f);
            out.push(format!("components.{}.machine={}", self.component, m.name));
            cap = m.cores as f64;
        }
        for (k, a, unit) in &self.keys {
            let v = if k.ends_with(".cores") {
                (a * f).min(cap)
            } else {
                a * f
            };
            out.push(format!("{k}={}", unit.set(v)));
        }
        out
    }

    /// The cores before the fix: those the scenario sets, else its machine's.
    fn cores_from(&self) -> f64 {
        self.keys
            .iter()
            .find(|(k, _, _)| k.ends_with(".cores"))
            .map(|k| k.1)
            .or(self.resize.as_ref().map(|r| r.from.cores as f64))
            .unwrap_or(1.0)
    }

    /// The machine a resize starts from.
    pub fn machine_from(&self) -> Option<&str> {
        self.resize.as_ref().map(|r| r.from.name.as_str())
    }

    /// The machine a resize runs on at `load`, for the report.
    pub fn machine_at(&self, load: f64) -> Option<&str> {
        let r = self.resize.as_ref()?;
        Some(r.at(self.cores_from() * self.factor(load)).name.as_str())
    }
}

/// The fix of `resource` on `component` (saturated at `load`), from the model `spec` the
/// scenario builds (with the run's `set`), or `None` when runway has none for it.
pub(super) fn fix_for(
    file: &Path,
    set: &[String],
    spec: &Spec,
    component: &str,
    resource: &'static str,
    load: f64,
) -> Option<Fix> {
    let c = spec.components.iter().find(|c| c.name == component)?;
    let key = |suffix: &str| format!("components.{component}.{suffix}");
    let db = match &c.kind {
        KindSpec::Service(s) => s.db.as_ref(),
        _ => None,
    };
    let mut keys: Vec<(String, f64, Unit)> = Vec::new();
    let mut resize = None;
    let mut cores_limit = None;
    match resource {
        "cpu" | "workers" | "queue" => {
            let written = |suffix: &str| {
                key_value(file, set, &key(suffix))
                    .filter(|(v, _)| *v >= 1.0)
                    .map(|(v, _)| (key(suffix), v, Unit::Count))
            };
            let mut cores = written("cores");
            // On a machine, cores grow by moving up its family; on one that cannot move
            // up, only to its own cores (more is an error of the scenario's check).
            if let Some(m) = &c.machine {
                resize = resize_of(m);
                if resize.is_none() {
                    cores_limit = Some(m.cores as f64);
                    cores = cores.filter(|(_, v, _)| *v < m.cores as f64);
                }
            }
            keys.extend(cores);
            keys.extend(written("workers"));
        }
        "memory" => {
            let cap = c.memory.as_ref().and_then(|m| m.capacity)?;
            keys.push((key("memory"), cap as f64, Unit::Bytes));
        }
        "disk" => {
            let d = db.and_then(|d| d.disk.as_ref())?;
            keys.extend(d.iops.map(|v| (key("disk_iops"), v, Unit::Number)));
            keys.extend(
                d.throughput
                    .map(|v| (key("disk_throughput"), v, Unit::Rate)),
            );
        }
        "network" => {
            let bw = spec.ops.of(component).bandwidth?;
            keys.push((key("bandwidth"), bw, Unit::Rate));
        }
        "storage" => {
            let s = db.and_then(|d| d.storage.as_ref())?;
            keys.push((key("storage"), s.capacity as f64, Unit::Bytes));
            if let Some(a) = &s.autoscale {
                keys.push((key("storage_autoscale.max"), a.max as f64, Unit::Bytes));
            }
        }
        _ => {}
    }
    (!keys.is_empty() || resize.is_some()).then(|| Fix {
        component: component.to_string(),
        resource,
        keys,
        resize,
        cores_limit,
        at_load: load,
    })
}

/// The move up from catalogue machine `m` (`general.2xlarge`) within its family; `None` for a
/// machine the catalogue does not have or one already the largest.
fn resize_of(m: &Machine) -> Option<Resize> {
    let family = m.name.split_once('.')?.0;
    let mut same: Vec<Machine> = archsim_models::catalogue()
        .into_iter()
        .filter(|x| x.name.split_once('.').is_some_and(|(f, _)| f == family))
        .collect();
    same.sort_by_key(|x| x.cores);
    let catalogued = same.iter().any(|x| x.name == m.name && x.cores == m.cores);
    let bigger = same.iter().any(|x| x.cores > m.cores);
    (catalogued && bigger).then(|| Resize {
        from: m.clone(),
        family: same,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_in_the_units_their_keys_read() {
        assert_eq!(Unit::Bytes.set(4294967296.0 * 2.0), "8589934592B");
        assert_eq!(Unit::Rate.set(1.25e8), "125000000B/s");
        assert_eq!(Unit::Count.set(8.2), "9");
        assert_eq!(Unit::Bytes.show(4294967296.0), "4 GiB");
        assert_eq!(Unit::Rate.show(1.25e8), "119.2 MiB/s");
        assert_eq!(
            archsim_models::parse_bytes(&Unit::Bytes.set(3.5e9)).unwrap(),
            3_500_000_000
        );
        assert_eq!(
            archsim_models::parse_rate(&Unit::Rate.set(1.25e8)).unwrap(),
            1.25e8
        );
    }

    #[test]
    fn a_machine_moves_up_its_family_to_the_cores_it_needs() {
        let m = Machine::named("memory.2xlarge").unwrap();
        let fix = Fix {
            component: "db".into(),
            resource: "cpu",
            keys: vec![],
            resize: resize_of(&m),
            cores_limit: None,
            at_load: 100.0,
        };
        // Twice the cores at the break, then in proportion to the load.
        assert_eq!(fix.machine_at(100.0), Some("memory.4xlarge"));
        assert_eq!(fix.machine_at(150.0), Some("memory.8xlarge"));
        assert_eq!(fix.machine_at(1e6), Some("memory.16xlarge"));
        assert_eq!(fix.set_at(100.0), ["components.db.machine=memory.4xlarge"]);
        assert!(fix.text().contains("machine (memory.2xlarge: 8 cores)"));
        // The largest of its family cannot move up; a machine of the scenario's own neither.
        assert!(resize_of(&Machine::named("memory.16xlarge").unwrap()).is_none());
        let mut own = m.clone();
        own.name = "big-iron".into();
        assert!(resize_of(&own).is_none());
        // Cores the scenario sets below its machine's: the machine follows them, and they
        // never pass the machine's.
        let part = Fix {
            keys: vec![("components.db.cores".into(), 4.0, Unit::Count)],
            ..fix.clone()
        };
        assert_eq!(
            part.set_at(100.0),
            [
                "components.db.machine=memory.2xlarge",
                "components.db.cores=8"
            ]
        );
        assert_eq!(
            part.set_at(1e6),
            [
                "components.db.machine=memory.16xlarge",
                "components.db.cores=64"
            ]
        );
        // A machine that cannot move up caps the cores at its own.
        let capped = Fix {
            keys: vec![("components.db.cores".into(), 48.0, Unit::Count)],
            resize: None,
            cores_limit: Some(64.0),
            ..fix
        };
        assert_eq!(capped.set_at(100.0), ["components.db.cores=64"]);
    }
}
