//! `[machines.NAME]`: the machine types a scenario may name, the shipped catalogue
//! ([`archsim_models::catalogue`]) with the scenario's own types and overrides on top.
//!
//! A table under `[machines]` whose name is in the catalogue overrides the keys it writes
//! and keeps the others; a new name needs `cores` and `cost_per_hour`, and its other keys
//! default to memory 4 GiB per core, network 10 Gbps, disk 3,000 IOPS and 125 MB/s (a
//! general-purpose SSD volume's baseline). The names hold dots (`general.xlarge`), so a
//! table is written with its name in quotes, `[machines."general.xlarge"]` (unquoted, TOML
//! reads a table `xlarge` inside a table `general`; the message says to quote it).
//!
//! Both the check (which reports problems) and the cost (which only reads prices) build
//! the table from the raw scenario with [`table`].

use crate::check::Problem;
use crate::raw::RawScenario;
use archsim_models::{catalogue, parse_bytes, parse_rate, Machine, MAX_CORES};
use indexmap::IndexMap;
use std::ops::Range;

/// The keys of a machine table.
pub const MACHINE_KEYS: &[&str] = &[
    "description",
    "cores",
    "memory",
    "network",
    "disk_iops",
    "disk_throughput",
    "cost_per_hour",
];

/// Largest memory of a machine type (64 TiB).
const MAX_MEMORY: u64 = 64 << 40;
/// Largest bandwidth (network or disk) of a machine type: 10 Tbps in bytes per second.
const MAX_BANDWIDTH: f64 = 1.25e12;
/// Most disk operations per second of a machine type.
const MAX_IOPS: f64 = 1e9;

/// The machine types by name: the catalogue, then the scenario's own (overrides keep their
/// place), with the problems found in `[machines]`.
pub(crate) fn table(raw: &RawScenario) -> (IndexMap<String, Machine>, Vec<Problem>) {
    let mut out: IndexMap<String, Machine> = catalogue()
        .into_iter()
        .map(|m| (m.name.clone(), m))
        .collect();
    let mut problems = Vec::new();
    for (name, v) in &raw.machines {
        let span = v.span();
        one(name, v.get_ref(), &span, &mut out, &mut problems);
    }
    (out, problems)
}

/// One machine under `[machines]`.
fn one(
    name: &str,
    v: &toml::Value,
    span: &Range<usize>,
    out: &mut IndexMap<String, Machine>,
    problems: &mut Vec<Problem>,
) {
    let mut err = |message: String| {
        problems.push(Problem {
            span: span.clone(),
            message,
        })
    };
    let Some(t) = v.as_table() else {
        err(format!(
            "machines.{name} must be a table like [machines.{name}] with cores = 8 and cost_per_hour = 0.4"
        ));
        return;
    };
    let known = out.get(name).cloned();
    for k in t.keys() {
        if !MACHINE_KEYS.contains(&k.as_str()) {
            let hint = crate::suggest::nearest(k, MACHINE_KEYS)
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            err(format!(
                "machines.{name}: unknown key `{k}`; {hint}a machine's keys are: {}",
                MACHINE_KEYS.join(", ")
            ));
        }
    }
    if known.is_none() {
        for k in ["cores", "cost_per_hour"] {
            if !t.contains_key(k) {
                err(format!(
                    "machines.{name} is not in the catalogue, so it needs `{k}` (or name a catalogue type such as general.xlarge to override)"
                ));
            }
        }
    }
    let mut m = known.unwrap_or(Machine {
        name: name.to_string(),
        cores: 1,
        memory_bytes: 0,
        network_bytes_per_s: 10e9 / 8.0,
        disk_iops: 3_000.0,
        disk_bytes_per_s: 125e6,
        cost_per_hour: 0.0,
    });
    let mut memory_written = false;
    let num = |k: &str| {
        t.get(k)
            .map(|x| x.as_float().or(x.as_integer().map(|i| i as f64)))
    };
    if let Some(c) = t.get("cores") {
        match c.as_integer() {
            Some(c) if (1..=i64::from(MAX_CORES)).contains(&c) => m.cores = c as u32,
            _ => err(format!(
                "machines.{name}.cores must be a whole number between 1 and {MAX_CORES}, got {c}"
            )),
        }
    }
    if let Some(x) = t.get("memory") {
        memory_written = true;
        let bytes = match x {
            toml::Value::String(s) => parse_bytes(s).map_err(|e| e.message),
            toml::Value::Integer(i) if *i >= 0 => Ok(*i as u64),
            _ => Err(format!("{x} is not a size")),
        };
        match bytes {
            Ok(b) if (1..=MAX_MEMORY).contains(&b) => m.memory_bytes = b,
            Ok(b) => err(format!(
                "machines.{name}.memory must be between 1 byte and 64TiB, got {b} bytes"
            )),
            Err(e) => err(format!(
                "machines.{name}.memory: {e}; write a size like \"16GiB\""
            )),
        }
    }
    for (key, field) in [("network", 0), ("disk_throughput", 1)] {
        let Some(x) = t.get(key) else { continue };
        let rate = match x {
            toml::Value::String(s) => parse_rate(s).map_err(|e| e.message),
            toml::Value::Integer(i) => Ok(*i as f64),
            toml::Value::Float(f) => Ok(*f),
            _ => Err(format!("{x} is not a bandwidth")),
        };
        match rate {
            Ok(r) if r.is_finite() && r > 0.0 && r <= MAX_BANDWIDTH => {
                if field == 0 {
                    m.network_bytes_per_s = r
                } else {
                    m.disk_bytes_per_s = r
                }
            }
            Ok(r) => err(format!(
                "machines.{name}.{key} must be more than 0 and at most 10Tbps, got {r} bytes/s"
            )),
            Err(e) => err(format!(
                "machines.{name}.{key}: {e}; write a bandwidth like \"10Gbps\" or \"500MB/s\""
            )),
        }
    }
    match num("disk_iops") {
        Some(Some(x)) if x > 0.0 && x <= MAX_IOPS => m.disk_iops = x,
        Some(_) => err(format!(
            "machines.{name}.disk_iops must be a number of operations per second, more than 0 and at most 1e9"
        )),
        None => {}
    }
    match num("cost_per_hour") {
        Some(Some(x)) if x.is_finite() && x >= 0.0 => m.cost_per_hour = x,
        Some(_) => err(format!(
            "machines.{name}.cost_per_hour must be a cost per hour of at least 0"
        )),
        None => {}
    }
    if !memory_written && m.memory_bytes == 0 {
        m.memory_bytes = u64::from(m.cores) * (4 << 30);
    }
    out.insert(name.to_string(), m);
}

/// The names of every machine type, for a "did you mean" and the list in a message.
pub(crate) fn names(machines: &IndexMap<String, Machine>) -> Vec<&str> {
    machines.keys().map(String::as_str).collect()
}
