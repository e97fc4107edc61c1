//! The memory budget of a scenario (issue 11 item 3): `run.memory_limit`, or what the machine
//! has available (`MemAvailable`, a cgroup limit, the address-space limit of `ulimit -v`); the
//! estimate of what the runs that go at once need (from
//! [`archsim_models::estimate_memory`]); the refusal, located at the key that dominates, of a
//! scenario that needs more; and the bound on calls in flight that the rest of the budget
//! leaves, which the run's overload guard enforces.

use crate::check::Problem;
use crate::raw::RawScenario;
use crate::Scenario;
use archsim_models::{
    estimate_memory, in_flight_reserve, KindSpec, Load, MemoryEstimate, MemoryPart,
};
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;
use toml::Spanned;

/// Where a budget comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetSource {
    /// `run.memory_limit`.
    Limit,
    /// `MemAvailable` of `/proc/meminfo`.
    Available,
    /// The cgroup's `memory.max` less its `memory.current`.
    Cgroup,
    /// The address-space limit (`ulimit -v`) less what the process and its threads take.
    AddressSpace,
    /// Nothing could be read: [`ASSUMED_BUDGET`].
    Assumed,
}

/// The budget when the machine cannot be asked (no `/proc`): 4 GiB.
pub const ASSUMED_BUDGET: u64 = 4 << 30;

/// Address space a worker thread may take beyond the data it holds: a malloc arena (64 MiB
/// reserved by glibc per thread) and a stack.
const PER_THREAD_SPACE: u64 = 66 << 20;

/// The memory a scenario may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Bytes.
    pub bytes: u64,
    /// Where they come from.
    pub source: BudgetSource,
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = human(self.bytes);
        match self.source {
            BudgetSource::Limit => write!(f, "the {b} of run.memory_limit"),
            BudgetSource::Available => write!(f, "the {b} available"),
            BudgetSource::Cgroup => write!(f, "the {b} the cgroup's memory limit leaves"),
            BudgetSource::AddressSpace => {
                write!(f, "the {b} the address-space limit (ulimit -v) leaves")
            }
            BudgetSource::Assumed => write!(
                f,
                "the {b} assumed (the machine's available memory could not be read)"
            ),
        }
    }
}

/// A scenario's memory: its estimate, its budget, and the bound on calls in flight.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryPlan {
    /// Estimated bytes of the runs that go at once (calls in flight: the reserve only).
    pub estimate: u64,
    /// The budget.
    pub budget: Budget,
    /// Bytes each call in flight costs at most.
    pub per_call: u64,
    /// Replications that run at once.
    pub concurrent: u32,
    /// `Some(n)` when the budget, not `run.max_in_flight`, bounds the calls in flight: `n`.
    pub in_flight_cap: Option<u64>,
    /// The messages each queue without a `capacity` may hold, from the budget (`None`: no
    /// such queue).
    pub backlog_cap: Option<u64>,
}

/// `bytes` for a reader: `850 MB`, `3.9 GB` (powers of 1000).
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e12 {
        format!("{:.1} TB", b / 1e12)
    } else if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} kB", (b / 1e3).max(1.0))
    }
}

/// Parses a size: a whole number of bytes, or a number and a unit (`"8GiB"`, `"500MB"`,
/// `"1.5 GB"`); units B, kB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB (powers of
/// 1024), in any case.
pub fn parse_size(text: &str) -> Result<u64, String> {
    archsim_models::parse_bytes(text).map_err(|e| e.message)
}

const SIZE_HELP: &str = "a size such as \"8GiB\" or \"500MB\" (units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB; a bare number is bytes)";

/// A component's name and the places of its table, `instances` and `capacity`.
type CompSpans = (
    String,
    Range<usize>,
    Option<Range<usize>>,
    Option<Range<usize>>,
);

/// The places of the keys a memory refusal may point at.
pub(crate) struct KeySpans {
    limit: Option<(u64, Range<usize>)>,
    users: Option<Range<usize>>,
    interval: Option<Range<usize>>,
    duration: Option<Range<usize>>,
    max_in_flight: Option<Range<usize>>,
    keys: Option<Range<usize>>,
    run: Option<Range<usize>>,
    /// By component name: (table, instances, capacity).
    comps: Vec<CompSpans>,
}

impl KeySpans {
    /// No places (a model built in code), with the budget `limit` if given.
    pub(crate) fn none(limit: Option<u64>) -> KeySpans {
        KeySpans {
            limit: limit.map(|b| (b, 0..0)),
            users: None,
            interval: None,
            duration: None,
            max_in_flight: None,
            keys: None,
            run: None,
            comps: Vec::new(),
        }
    }
}

/// Reads `run.memory_limit` and the places of the keys the estimate names; a bad limit is a
/// problem.
pub(crate) fn spans(raw: &RawScenario, problems: &mut Vec<Problem>) -> KeySpans {
    let run = raw.run.as_ref().map(|r| r.get_ref());
    let limit = run.and_then(|r| r.memory_limit.as_ref()).and_then(|v| {
        let parsed = match v.get_ref() {
            toml::Value::Integer(i) if *i > 0 => Ok(*i as u64),
            toml::Value::String(s) => parse_size(s),
            other => Err(format!("got {other}")),
        };
        match parsed {
            Ok(b) if b >= 1_000_000 => Some((b, v.span())),
            Ok(b) => {
                problems.push(Problem {
                    span: v.span(),
                    message: format!("run.memory_limit must be at least 1MB, got {b} bytes"),
                });
                None
            }
            Err(e) => {
                problems.push(Problem {
                    span: v.span(),
                    message: format!("run.memory_limit must be {SIZE_HELP}: {e}"),
                });
                None
            }
        }
    });
    let span = |s: &Option<Spanned<String>>| s.as_ref().map(|v| v.span());
    let traffic = raw.traffic.as_ref().map(|t| t.get_ref());
    KeySpans {
        limit,
        users: traffic.and_then(|t| t.users.as_ref()).map(|v| v.span()),
        interval: run.and_then(|r| span(&r.series_interval)),
        duration: run.and_then(|r| span(&r.duration)),
        max_in_flight: run.and_then(|r| r.max_in_flight.as_ref()).map(|v| v.span()),
        keys: traffic.and_then(|t| t.keys.as_ref()).map(|v| v.span()),
        run: raw.run.as_ref().map(|r| r.span()),
        comps: raw
            .components
            .iter()
            .map(|(n, c)| {
                let r = c.get_ref();
                (
                    n.clone(),
                    c.span(),
                    r.instances.as_ref().map(|v| v.span()),
                    r.capacity.as_ref().map(|v| v.span()),
                )
            })
            .collect(),
    }
}

/// What the machine offers, read once per process: the least of `MemAvailable`, the
/// cgroup's free allowance and the address space `ulimit -v` leaves.
pub fn machine_budget() -> Budget {
    static MACHINE: OnceLock<Budget> = OnceLock::new();
    *MACHINE.get_or_init(|| {
        let mut best: Option<Budget> = None;
        let mut take = |bytes: Option<u64>, source| {
            if let Some(bytes) = bytes {
                if best.is_none_or(|b| bytes < b.bytes) {
                    best = Some(Budget { bytes, source });
                }
            }
        };
        take(mem_available(), BudgetSource::Available);
        take(cgroup_free(), BudgetSource::Cgroup);
        take(address_space_free(), BudgetSource::AddressSpace);
        best.unwrap_or(Budget {
            bytes: ASSUMED_BUDGET,
            source: BudgetSource::Assumed,
        })
    })
}

/// The number of kB on the line of `/proc` file text that starts with `key`.
fn kb_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kb * 1024)
}

fn mem_available() -> Option<u64> {
    kb_field(
        &std::fs::read_to_string("/proc/meminfo").ok()?,
        "MemAvailable:",
    )
}

fn cgroup_free() -> Option<u64> {
    let max = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok()?;
    let max: u64 = max.trim().parse().ok()?; // "max": no limit
    let cur: u64 = std::fs::read_to_string("/sys/fs/cgroup/memory.current")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(max.saturating_sub(cur))
}

/// The soft address-space limit less the address space in use and what each worker thread
/// will take.
fn address_space_free() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    let soft: u64 = line["Max address space".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()?; // "unlimited"
    let used = kb_field(
        &std::fs::read_to_string("/proc/self/status").ok()?,
        "VmSize:",
    )?;
    let threads = rayon::current_num_threads() as u64 + 1;
    Some(
        soft.saturating_sub(used)
            .saturating_sub(threads * PER_THREAD_SPACE),
    )
}

/// Replications that run at once (one per worker thread).
fn concurrent(replications: u32) -> u32 {
    replications.clamp(1, rayon::current_num_threads().max(1) as u32)
}

/// Estimates the memory of `scenario`; refuses it (a problem at the key that dominates) when
/// it needs more than its budget, else bounds its calls in flight by what the budget leaves.
pub(crate) fn plan(scenario: &mut Scenario, spans: &KeySpans) -> Result<(), Problem> {
    let budget = match &spans.limit {
        Some((bytes, _)) => Budget {
            bytes: *bytes,
            source: BudgetSource::Limit,
        },
        None => machine_budget(),
    };
    let work = scenario.estimate_work();
    let per_run = work.requests / scenario.replications.max(1) as f64;
    let e = estimate_memory(&scenario.spec, per_run, work.hops);
    let conc = concurrent(scenario.replications);
    let chunk = (rayon::current_num_threads() * 2).max(2) as u32;
    // Finished replications wait for the rest of their chunk, and the pooled statistics
    // grow beside them.
    let reps = scenario.replications.max(1);
    let waiting = (reps.min(chunk) - conc) as u64 + u64::from(reps > 1);
    let total = e
        .total()
        .saturating_mul(conc as u64)
        .saturating_add(e.kept.saturating_mul(waiting));
    if total > budget.bytes {
        return Err(refusal(scenario, spans, &e, conc, total, &budget));
    }
    // What is left goes to the calls in flight, or half of it when queues without a
    // `capacity` may grow too (the other half shared by them).
    let left = (budget.bytes - total) / conc as u64;
    let unbounded = scenario
        .spec
        .components
        .iter()
        .filter(|c| matches!(&c.kind, KindSpec::Queue(q) if q.capacity.is_none()))
        .count() as u64;
    let (left, backlog_cap) = match (left / 2).checked_div(unbounded) {
        Some(share) => {
            let cap = (share / e.per_message.max(1)).max(1);
            scenario.spec.max_backlog = cap;
            (left / 2, Some(cap))
        }
        None => (left, None),
    };
    let calls = left / e.per_call.max(1);
    let cap = calls.saturating_add(in_flight_reserve(&scenario.spec));
    let in_flight_cap = (cap < scenario.spec.max_in_flight).then(|| {
        scenario.spec.max_in_flight = cap.max(1);
        cap.max(1)
    });
    scenario.memory = Some(MemoryPlan {
        estimate: total,
        budget,
        per_call: e.per_call,
        concurrent: conc,
        in_flight_cap,
        backlog_cap,
    });
    Ok(())
}

/// The refusal: the part that needs the most, its key and value, and the estimate.
fn refusal(
    scenario: &Scenario,
    spans: &KeySpans,
    e: &MemoryEstimate,
    conc: u32,
    total: u64,
    budget: &Budget,
) -> Problem {
    let spec = &scenario.spec;
    let (part, bytes) = e
        .parts
        .iter()
        .filter(|(p, _)| *p != MemoryPart::Base)
        .max_by_key(|(_, b)| *b)
        .cloned()
        .unwrap_or((MemoryPart::Base, e.total()));
    let top = spans.run.clone().unwrap_or(0..1);
    let comp = |i: usize| {
        let name = &spec.components[i].name;
        let s = spans.comps.iter().find(|c| &c.0 == name);
        (name.as_str(), s)
    };
    let (span, what, fix) = match part {
        MemoryPart::Users => {
            let users = match spec.traffic.load {
                Load::Closed { users, .. } => users,
                Load::Open { .. } => 0,
            };
            (
                spans.users.clone(),
                format!("traffic.users = {users}"),
                "lower it",
            )
        }
        MemoryPart::Series => {
            let shape = format!(
                "{} buckets x {} series: the run, each component and each instance",
                e.buckets, e.series
            );
            match &spans.interval {
                Some(s) => (
                    Some(s.clone()),
                    format!(
                        "run.series_interval = \"{}\" ({shape})",
                        spec.series_interval
                    ),
                    "raise it",
                ),
                None => (
                    spans.duration.clone(),
                    format!(
                        "run.duration = \"{}\" at the series interval of {} ({shape})",
                        spec.duration, spec.series_interval
                    ),
                    "raise run.series_interval",
                ),
            }
        }
        MemoryPart::Instances(i) => {
            let (name, s) = comp(i);
            (
                s.and_then(|s| s.2.clone().or(Some(s.1.clone()))),
                format!(
                    "components.{name}.instances = {}",
                    spec.components[i].instances
                ),
                "lower it",
            )
        }
        MemoryPart::CacheEntries(i) => {
            let (name, s) = comp(i);
            let c = &spec.components[i];
            let cap = match &c.kind {
                archsim_models::KindSpec::Cache(cs) => cs.capacity,
                _ => 0,
            };
            (
                s.and_then(|s| s.3.clone().or(Some(s.1.clone()))),
                format!(
                    "components.{name}.capacity = {cap} (x {} instances)",
                    c.instances
                ),
                "lower it",
            )
        }
        MemoryPart::Keys => (
            spans.keys.clone(),
            format!(
                "traffic.keys.count = {} (stored by databases with replicas or row locks and by queues)",
                spec.traffic.keys.map_or(0, |k| k.count)
            ),
            "lower it",
        ),
        MemoryPart::InFlight | MemoryPart::Base | _ => (
            spans.max_in_flight.clone(),
            format!("run.max_in_flight = {}", spec.max_in_flight),
            "lower it",
        ),
    };
    let at_once = if conc > 1 {
        format!(" for {conc} replications at once")
    } else {
        String::new()
    };
    let whole = if bytes.saturating_mul(conc as u64) * 10 < total * 9 {
        format!("; the whole run about {}", human(total))
    } else {
        String::new()
    };
    Problem {
        span: span.unwrap_or(top),
        message: format!(
            "{what} needs about {}{at_once} (estimate{whole}), more than {budget}; {fix} or set run.memory_limit",
            human(bytes.saturating_mul(conc as u64))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("1.5 gb"), Ok(1_500_000_000));
        assert_eq!(parse_size("2048"), Ok(2048));
        assert_eq!(parse_size("64KiB"), Ok(65536));
        assert!(parse_size("8 apples").is_err());
        assert!(parse_size("GiB").is_err());
        assert!(parse_size("1e308GB").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human(3_900_000_000), "3.9 GB");
        assert_eq!(human(850_000_000), "850 MB");
        assert_eq!(human(2_100_000_000_000), "2.1 TB");
    }

    const CLOSED: &str = r#"[run]
duration = "10s"
[traffic]
entry = "app"
users = 50000000
think = "exp(30s)"
[components.app]
kind = "service"
cores = 4
[components.app.endpoints.default]
cpu = "exp(1ms)"
"#;

    fn invalid(text: &str, set: &[&str]) -> Vec<crate::Diagnostic> {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        match crate::from_str(text, "m.toml", &set) {
            Err(crate::ScenarioError::Invalid(ds)) => ds,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_scenario_beyond_its_budget_is_refused_at_the_key_that_dominates() {
        let ds = invalid(CLOSED, &["run.memory_limit=2GB"]);
        assert_eq!(ds.len(), 1, "{ds:?}");
        assert_eq!((ds[0].line, ds[0].column), (5, 9), "{ds:?}");
        assert!(
            ds[0]
                .message
                .starts_with("traffic.users = 50000000 needs about 4.5 GB (estimate)"),
            "{}",
            ds[0].message
        );
        assert!(
            ds[0].message.ends_with(
                "more than the 2.0 GB of run.memory_limit; lower it or set run.memory_limit"
            ),
            "{}",
            ds[0].message
        );
        // Series: buckets times series, at run.series_interval.
        let text = CLOSED
            .replace("users = 50000000", "users = 10")
            .replace(
                "duration = \"10s\"",
                "duration = \"10s\"\nseries_interval = \"1ms\"",
            )
            .replace("cores = 4", "cores = 4\ninstances = 5000");
        let ds = invalid(&text, &["run.memory_limit=1GB"]);
        assert_eq!((ds[0].line, ds[0].column), (3, 19), "{ds:?}");
        assert!(
            ds[0].message.starts_with(
                "run.series_interval = \"1ms\" (70001 buckets x 5002 series: the run, each component and each instance) needs about"
            ),
            "{}",
            ds[0].message
        );
    }

    #[test]
    fn memory_limit_takes_a_size_and_says_what_is_wrong_where() {
        let text = CLOSED.replace("users = 50000000", "users = 10");
        for (v, needle) in [
            ("\"8 apples\"", "`apples` is not a unit of size"),
            ("0", "got 0"),
            ("\"10kB\"", "at least 1MB"),
            ("true", "got true"),
        ] {
            let t = text.replace("[run]", &format!("[run]\nmemory_limit = {v}"));
            let ds = invalid(&t, &[]);
            assert_eq!((ds[0].line, ds[0].column), (2, 16), "{ds:?}");
            assert!(
                ds[0].message.starts_with("run.memory_limit must be"),
                "{ds:?}"
            );
            assert!(ds[0].message.contains(needle), "{ds:?}");
        }
        let ds = invalid(&text, &["run.memory_limit=lots"]);
        assert_eq!(
            ds[0].set.as_deref(),
            Some("run.memory_limit=lots"),
            "{ds:?}"
        );
        let s = crate::from_str(&text, "m.toml", &["run.memory_limit=8GiB".into()]).unwrap();
        let m = s.memory.unwrap();
        assert_eq!(m.budget.bytes, 8 << 30);
        assert_eq!(m.budget.source, BudgetSource::Limit);
    }

    #[test]
    fn the_budget_bounds_the_calls_in_flight() {
        let text = CLOSED.replace("users = 50000000", "users = 10");
        let s = crate::from_str(&text, "m.toml", &["run.memory_limit=100MB".into()]).unwrap();
        let m = s.memory.clone().unwrap();
        let cap = m.in_flight_cap.expect("bounded by the budget");
        assert_eq!(s.spec.max_in_flight, cap);
        assert!(cap < archsim_models::DEFAULT_MAX_IN_FLIGHT, "{cap}");
        // What is left of the budget after the estimate, at the cost of a call.
        let left = (100_000_000 - m.estimate) / m.per_call;
        assert!(
            cap >= left && cap <= left + archsim_models::IN_FLIGHT_RESERVE,
            "{cap} {left}"
        );
        let s = crate::from_str(&text, "m.toml", &["run.memory_limit=1TB".into()]).unwrap();
        assert_eq!(s.memory.unwrap().in_flight_cap, None);
        assert_eq!(s.spec.max_in_flight, archsim_models::DEFAULT_MAX_IN_FLIGHT);
    }

    #[test]
    fn the_budget_bounds_the_backlog_of_a_queue_without_capacity() {
        let text = r#"[run]
duration = "10s"
[traffic]
entry = "events"
rate = 10
[components.events]
kind = "queue"
consumer = "worker"
[components.worker]
kind = "service"
[components.worker.endpoints.default]
cpu = "1ms"
"#;
        let s = crate::from_str(text, "q.toml", &["run.memory_limit=100MB".into()]).unwrap();
        let m = s.memory.clone().unwrap();
        let cap = m.backlog_cap.expect("a queue without capacity");
        assert_eq!(s.spec.max_backlog, cap);
        // Half of what is left, at 48 bytes a message.
        let half = (100_000_000 - m.estimate) / 2;
        assert_eq!(cap, half / 48);
        let bounded = text.replace("consumer = ", "capacity = 1000\nconsumer = ");
        let s = crate::from_str(&bounded, "q.toml", &[]).unwrap();
        assert_eq!(s.memory.unwrap().backlog_cap, None);
        assert_eq!(s.spec.max_backlog, u64::MAX);
    }

    #[test]
    fn the_machine_budget_is_positive() {
        let b = machine_budget();
        assert!(
            b.bytes > 0 || b.source == BudgetSource::AddressSpace,
            "{b:?}"
        );
    }
}
