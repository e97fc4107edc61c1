//! `simulate runway`: at a growth rate, when each objective breaks, on which resource of which
//! component, and when and where it breaks next once that one is fixed.
//!
//! Month `m` carries the scenario's load times `g^m` (`g` = 1 + the monthly growth; a rate per
//! week, quarter or year is turned into its monthly equivalent), and the keys named with
//! `--grow` (data sizes, say) grow with it. Each whole month of the horizon is probed in order,
//! as the capacity search probes a load: the same seed in every probe (common random
//! numbers), several replications, and an objective met when the conservative end of its 95%
//! interval meets it. An objective breaks in the first month that fails it; between that month
//! and the one before, the month is bisected until the load bracket is narrower than
//! `--tolerance`, so the load at the break is the capacity search's answer along the growth
//! curve (`simulate capacity` on the same file finds the same load when nothing else grows).
//! The first component to saturate is the bottleneck of the failing probe; to fix it, its
//! cores and workers double at the break and grow with the traffic from there (it keeps pace
//! with room to spare), and the months from the break on are probed again to find when, and
//! on what, the objective breaks next.

use crate::capacity::{fmt_value, judge_each, key_value, prepare, Judged, Objective};
use crate::multi::{emit, overrides};
use crate::out::errln;
use crate::progress::Progress;
use crate::table::{self, bottleneck_of, pct};
use crate::{load_scenario, MultiArgs, EXIT_FAILURE, EXIT_INVALID};
use archsim_stats::SimResult;
use std::path::Path;

/// The longest horizon, in months (20 years).
const MAX_HORIZON: u32 = 240;

/// What to project.
pub(crate) struct Options {
    pub slo: Vec<String>,
    pub growth: String,
    pub horizon: String,
    pub tolerance: f64,
    pub set: Vec<String>,
    pub grow: Vec<String>,
    pub key: Option<String>,
}

/// The monthly growth factor of `15%/month`, `0.15/month`, `80%/year`, `5%/week`,
/// `10%/quarter`, `1%/day`.
pub(crate) fn parse_growth(text: &str) -> Result<f64, String> {
    let help = "write a growth rate per period, like 15%/month, 0.15/month, 80%/year, 5%/week or 10%/quarter";
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (rate, period) = t
        .split_once('/')
        .ok_or_else(|| format!("--growth {text:?}: no period; {help}"))?;
    let r = match rate.strip_suffix('%') {
        Some(p) => p.parse::<f64>().map(|v| v / 100.0),
        None => rate.parse::<f64>(),
    }
    .map_err(|_| format!("--growth {text:?}: `{rate}` is not a number or a percentage; {help}"))?;
    let months = match period.to_ascii_lowercase().as_str() {
        "month" | "months" | "mo" | "mon" => 1.0,
        "quarter" | "quarters" | "q" => 3.0,
        "year" | "years" | "yr" | "y" => 12.0,
        "week" | "weeks" | "wk" | "w" => 12.0 / 52.0,
        "day" | "days" | "d" => 12.0 / 365.0,
        other => {
            return Err(format!(
                "--growth {text:?}: `{other}` is not a period (month, quarter, year, week or day); {help}"
            ))
        }
    };
    if !(r.is_finite() && r > 0.0 && r <= 10.0) {
        return Err(format!(
            "--growth {text:?}: the rate must be above 0 and at most 1000% per period; {help}"
        ));
    }
    Ok((1.0 + r).powf(1.0 / months))
}

/// Whole months of `24months`, `24 months`, `18mo`, `2years`, `24`.
pub(crate) fn parse_horizon(text: &str) -> Result<u32, String> {
    let help = format!("write a horizon like 24months, 18mo or 2years (1 to {MAX_HORIZON} months)");
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u32 = t[..split]
        .parse()
        .map_err(|_| format!("--horizon {text:?}: no whole number; {help}"))?;
    let per = match t[split..].to_ascii_lowercase().as_str() {
        "" | "month" | "months" | "mo" | "mon" => 1,
        "quarter" | "quarters" | "q" => 3,
        "year" | "years" | "yr" | "y" => 12,
        other => {
            return Err(format!(
                "--horizon {text:?}: `{other}` is not a unit; {help}"
            ))
        }
    };
    match n.checked_mul(per) {
        Some(m) if (1..=MAX_HORIZON).contains(&m) => Ok(m),
        _ => Err(format!("--horizon {text:?}: out of range; {help}")),
    }
}

/// One probe: a month (of the growth curve), with or without a fix.
struct Probe {
    month: f64,
    load: f64,
    /// The component fixed in this probe (none: the scenario as given).
    fix: Option<String>,
    each: Vec<(bool, Judged)>,
    result: Result<SimResult, String>,
}

impl Probe {
    fn meets(&self, o: usize) -> bool {
        self.each[o].0
    }
    fn all(&self) -> bool {
        self.each.iter().all(|e| e.0)
    }
}

/// The fix of a saturated component: its capacity keys that are set (cores, workers) double
/// at the break and grow with the traffic from there, so it keeps pace with room to spare
/// and something else breaks next.
#[derive(Clone, Debug)]
struct Fix {
    component: String,
    /// Each key and its value before the fix.
    keys: Vec<(String, f64)>,
    /// The load at the break: beyond it the keys grow in proportion.
    at_load: f64,
}

impl Fix {
    /// `monolith's cores (8) and workers (64)`.
    fn text(&self) -> String {
        let parts: Vec<String> = self
            .keys
            .iter()
            .map(|(k, a)| {
                format!(
                    "{} ({})",
                    k.rsplit('.').next().unwrap_or(k),
                    fmt_value(*a, true)
                )
            })
            .collect();
        format!("{}'s {}", self.component, parts.join(" and "))
    }
    /// The `--set`s that apply it at `load`: each key doubled at the break and scaled by the
    /// load's growth beyond it, rounded up.
    fn set_at(&self, load: f64) -> Vec<String> {
        let f = 2.0 * (load / self.at_load).max(1.0);
        self.keys
            .iter()
            .map(|(k, a)| format!("{k}={}", fmt_value((a * f).ceil(), true)))
            .collect()
    }
}

/// Where an objective breaks along the curve.
#[derive(Clone, Debug)]
struct Break {
    /// The last month probed that meets it and the first that fails it.
    lo: Option<usize>,
    hi: usize,
}

struct Runway<'a> {
    file: &'a Path,
    key: String,
    integer: bool,
    start: f64,
    factor: f64,
    /// The keys that grow with the load: key, value at month 0, integer.
    grow: Vec<(String, f64, bool)>,
    set: &'a [String],
    args: MultiArgs,
    objectives: Vec<Objective>,
    bar: Progress,
    tolerance: f64,
}

impl Runway<'_> {
    fn scaled(&self, v: f64, integer: bool, month: f64) -> f64 {
        let x = v * self.factor.powf(month);
        if integer {
            x.round().max(1.0)
        } else {
            x
        }
    }
    fn load(&self, month: f64) -> f64 {
        self.scaled(self.start, self.integer, month)
    }

    /// Runs (or reuses) the probe at `month` with `fix`; its index.
    fn probe(&self, month: f64, fix: Option<&Fix>, probes: &mut Vec<Probe>) -> Result<usize, i32> {
        let fixed = fix.map(|f| f.component.clone());
        if let Some(i) = probes
            .iter()
            .position(|p| p.month == month && p.fix == fixed)
        {
            return Ok(i);
        }
        let load = self.load(month);
        let mut set = self.set.to_vec();
        set.push(format!("{}={}", self.key, fmt_value(load, self.integer)));
        for (k, v, integer) in &self.grow {
            set.push(format!(
                "{k}={}",
                fmt_value(self.scaled(*v, *integer, month), *integer)
            ));
        }
        if let Some(f) = fix {
            set.extend(f.set_at(load));
        }
        let ov = overrides(&set, &self.args);
        let s = match load_scenario(self.file, &ov) {
            Ok(s) => s,
            Err(code) => {
                errln!("(at month {}; runway stopped)", month_text(month));
                return Err(code);
            }
        };
        self.bar.add_total(s.progress_total_ns());
        let n = self.objectives.len();
        let (each, result) = match s.run_with_progress(Some(self.bar.counter())) {
            Ok(r) => (judge_each(&self.objectives, &r), Ok(r)),
            Err(e) if e.is_overload() => (vec![(false, (None, None, None)); n], Err(e.to_string())),
            Err(e) => {
                errln!(
                    "error: simulating {} at month {}: {e}",
                    s.file,
                    month_text(month)
                );
                return Err(EXIT_FAILURE);
            }
        };
        let mut line = format!(
            "month {}{}: {} = {}:",
            month_text(month),
            if fix.is_some() { " (fixed)" } else { "" },
            self.key,
            fmt_value(load, self.integer)
        );
        for (o, (_, (v, _, _))) in self.objectives.iter().zip(&each) {
            let v = v.map_or("-".into(), |v| o.figure.show(v));
            line.push_str(&format!(" {} {v}", o.figure.name()));
        }
        match &result {
            Ok(r) => line.push_str(&format!(
                ", bottleneck {}",
                saturated(r).map_or("-".into(), |b| b.0.label())
            )),
            Err(_) => line.push_str(", overload"),
        }
        line.push_str(if each.iter().all(|e| e.0) {
            ", meets"
        } else {
            ", fails"
        });
        self.bar.println(&line);
        probes.push(Probe {
            month,
            load,
            fix: fixed,
            each,
            result,
        });
        Ok(probes.len() - 1)
    }

    /// Probes whole months `from..=horizon` (with `fix`) until objective `o` fails (or, with
    /// `o` = None, until every objective fails), then narrows the break of `o` by bisection.
    fn find_break(
        &self,
        o: usize,
        from: u32,
        horizon: u32,
        fix: Option<&Fix>,
        probes: &mut Vec<Probe>,
    ) -> Result<Option<Break>, i32> {
        let mut lo: Option<usize> = None;
        let mut hi = None;
        for m in from..=horizon {
            let i = self.probe(m as f64, fix, probes)?;
            if probes[i].meets(o) {
                lo = Some(i);
            } else {
                hi = Some(i);
                break;
            }
        }
        let Some(mut hi) = hi else { return Ok(None) };
        if let Some(mut l) = lo {
            loop {
                let (a, b) = (probes[l].month, probes[hi].month);
                let (la, lb) = (probes[l].load, probes[hi].load);
                if lb - la <= self.tolerance * la || (self.integer && lb - la <= 1.0) {
                    break;
                }
                let mid = (a + b) / 2.0;
                let i = self.probe(mid, fix, probes)?;
                if probes[i].load <= la || probes[i].load >= lb {
                    break;
                }
                if probes[i].meets(o) {
                    l = i;
                } else {
                    hi = i;
                }
            }
            lo = Some(l);
        }
        Ok(Some(Break { lo, hi }))
    }

    /// The fix of the component that saturates at a break (at `load`): its cores and its
    /// workers, those it has, growing with the traffic (a saturated pool is often a saturated
    /// CPU behind it, and the reverse; growing both is giving it a machine that keeps pace).
    fn fix_for(&self, b: &table::Bottleneck, load: f64) -> Option<Fix> {
        if !matches!(b.resource, "cpu" | "workers" | "queue") {
            // Memory, disk, a link or storage: not cores' and workers' to fix.
            return None;
        }
        let keys: Vec<(String, f64)> = ["cores", "workers"]
            .iter()
            .filter_map(|suffix| {
                let key = format!("components.{}.{suffix}", b.component);
                let (from, _) = key_value(self.file, self.set, &key)?;
                (from >= 1.0).then_some((key, from))
            })
            .collect();
        (!keys.is_empty()).then(|| Fix {
            component: b.component.clone(),
            keys,
            at_load: load,
        })
    }
}

/// `3`, `3.5`, `3.25`: a month with at most two decimals.
fn month_text(m: f64) -> String {
    let s = format!("{m:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A tail that spends at least this share of its latency waiting at one component names
/// that component as the one saturating.
const TAIL_WAIT: f64 = 0.25;

/// What saturates in `r`: the component whose waiting room holds the p99 requests longest,
/// when they wait there for at least [`TAIL_WAIT`] of their latency (the tail is where an
/// objective breaks); but when that room is a worker pool whose holders mostly wait on their
/// downstream calls, the busiest CPU downstream (a caller that turns work away because its
/// workers wait on a slow database is not the resource that ran out); otherwise the busiest
/// resource ([`bottleneck_of`]). With the share of the p99's latency spent waiting there.
fn saturated(r: &SimResult) -> Option<(table::Bottleneck, Option<f64>)> {
    let tail = r.breakdown.as_ref().and_then(|b| {
        b.p99
            .iter()
            .filter(|p| p.phase == "wait" && p.share >= TAIL_WAIT)
            .max_by(|a, b| a.share.total_cmp(&b.share))
    });
    if let Some(part) = tail {
        if let Some(c) = r.components.get(&part.component) {
            let (resource, utilization) = match fullest(c) {
                Some((res, u)) => (res, Some(u)),
                None => ("queue", None),
            };
            // A pool whose holders spend more time waiting downstream than working is full
            // because of what they wait on: the busiest CPU downstream, when it is busy.
            let waits_downstream = resource == "workers"
                && c.time_ms.as_ref().is_some_and(|t| t.downstream > t.service);
            if waits_downstream {
                if let Some(b) = busiest_cpu(r, &part.component) {
                    return Some((b, None));
                }
            }
            return Some((
                table::Bottleneck {
                    component: part.component.clone(),
                    instance: None,
                    resource,
                    utilization,
                    rejected: c.rejected,
                    full: utilization.is_none(),
                },
                Some(part.share),
            ));
        }
    }
    // A resource beyond CPU and workers that ran out (memory, disk, a link, storage) is the
    // answer even where the tail does not wait for it (an OOM kill, a full disk or link).
    let beyond = r
        .components
        .iter()
        .filter_map(|(n, c)| fullest(c).map(|(res, u)| (n, c, res, u)))
        .filter(|(_, _, res, u)| !matches!(*res, "cpu" | "workers") && *u >= RUN_OUT)
        .max_by(|a, b| a.3.total_cmp(&b.3));
    if let Some((n, c, resource, u)) = beyond {
        return Some((
            table::Bottleneck {
                component: n.clone(),
                instance: None,
                resource,
                utilization: Some(u),
                rejected: c.rejected,
                full: false,
            },
            None,
        ));
    }
    bottleneck_of(r).map(|b| (b, None))
}

/// A resource beyond CPU and workers this full counts as run out.
const RUN_OUT: f64 = 0.95;

/// The fullest resource of a component and its utilization: CPU, workers, memory (the
/// peak), disk, its network link, storage (used / capacity at the end).
fn fullest(c: &archsim_stats::ComponentResult) -> Option<(&'static str, f64)> {
    let x = |k: &str| c.extra.get(k).and_then(|v| v.as_f64());
    let storage = match (x("storage_used_gib"), x("storage_capacity_gib")) {
        (Some(u), Some(cap)) if cap > 0.0 => Some(u / cap),
        _ => None,
    };
    [
        ("cpu", c.utilization),
        ("workers", c.worker_utilization),
        ("memory", x("memory_utilization_max")),
        ("disk", x("disk_utilization")),
        ("network", x("link_utilization")),
        ("storage", storage),
    ]
    .into_iter()
    .filter_map(|(r, u)| u.map(|u| (r, u)))
    .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The CPU of highest utilization among the components other than `except`, when it is at
/// [`DOWNSTREAM_BUSY`] or more.
fn busiest_cpu(r: &SimResult, except: &str) -> Option<table::Bottleneck> {
    r.components
        .iter()
        .filter(|(n, _)| n.as_str() != except)
        .filter_map(|(n, c)| c.utilization.map(|u| (n, c, u)))
        .filter(|(_, _, u)| *u >= DOWNSTREAM_BUSY)
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(n, c, u)| table::Bottleneck {
            component: n.clone(),
            instance: None,
            resource: "cpu",
            utilization: Some(u),
            rejected: c.rejected,
            full: false,
        })
}

/// A downstream CPU this busy is what keeps a caller's workers waiting.
const DOWNSTREAM_BUSY: f64 = 0.7;

/// `db cpu 72.5%; p99 requests wait there 60% of their latency`.
fn saturated_text((b, share): &(table::Bottleneck, Option<f64>)) -> String {
    match share {
        Some(s) => format!(
            "{}; p99 requests wait there {} of their latency",
            b.label(),
            pct(*s)
        ),
        None => b.label(),
    }
}

/// What saturates at the break `b`: in the failing probe (in the last probe that met the
/// objective when the failing one overloaded).
fn neck(b: &Break, probes: &[Probe]) -> Option<(table::Bottleneck, Option<f64>)> {
    probes[b.hi]
        .result
        .as_ref()
        .ok()
        .and_then(saturated)
        .or_else(|| {
            b.lo.and_then(|l| probes[l].result.as_ref().ok())
                .and_then(saturated)
        })
}

/// `simulate runway FILE --growth 15%/month [--horizon 24months]`.
pub(crate) fn runway(file: &Path, opts: &Options, args: &MultiArgs) -> i32 {
    let factor = match parse_growth(&opts.growth) {
        Ok(f) => f,
        Err(e) => {
            errln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    let horizon = match parse_horizon(&opts.horizon) {
        Ok(h) => h,
        Err(e) => {
            errln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    let (base, objectives) =
        match prepare("runway", file, opts.tolerance, &opts.slo, &opts.set, args) {
            Ok(p) => p,
            Err(code) => return code,
        };
    let (key, start, integer) = match &opts.key {
        None => {
            let (k, v, i) = base.load_key();
            (k.to_string(), v, i)
        }
        Some(k) => match key_value(file, &opts.set, k) {
            Some((v, i)) => (k.clone(), v, i),
            None => {
                errln!("error: --key {k}: the scenario has no number there");
                return EXIT_INVALID;
            }
        },
    };
    if !(start.is_finite() && start > 0.0) {
        errln!("error: runway grows {key} = {start}; it must be a positive number");
        return EXIT_INVALID;
    }
    let mut grow = Vec::new();
    for k in &opts.grow {
        match key_value(file, &opts.set, k) {
            Some((v, i)) if v.is_finite() && v > 0.0 => grow.push((k.clone(), v, i)),
            Some((v, _)) => {
                errln!("error: --grow {k}: its value {v} cannot grow (it must be positive)");
                return EXIT_INVALID;
            }
            None => {
                errln!("error: --grow {k}: the scenario has no number there; name a key that holds one, like components.db.tables.orders.rows");
                return EXIT_INVALID;
            }
        }
    }
    let mut margs = args.clone();
    margs.replications = Some(
        args.replications
            .unwrap_or(base.replications.max(crate::capacity::DEFAULT_REPLICATIONS)),
    );
    let quiet = args.json.as_deref() == Some("-");
    let mut rw = Runway {
        file,
        key,
        integer,
        start,
        factor,
        grow,
        set: &opts.set,
        args: margs,
        objectives,
        bar: Progress::start(!quiet, 0),
        tolerance: opts.tolerance,
    };
    let mut probes = Vec::new();
    let found = project(&rw, horizon, &mut probes);
    // The bar's line is done before the report prints.
    std::mem::replace(&mut rw.bar, Progress::start(false, 0)).finish();
    let found = match found {
        Ok(f) => f,
        Err(code) => return code,
    };
    report(&rw, &base.name, &base.file, opts, horizon, &probes, &found)
}

/// What was found for one objective: its break, what saturates, the fix, and the break after
/// the fix.
struct Found {
    brk: Option<Break>,
    first: Option<(table::Bottleneck, Option<f64>)>,
    fix: Option<Fix>,
    next: Option<Break>,
    /// After the fix, when the objective holds to the horizon: the busiest resource then.
    next_neck: Option<(table::Bottleneck, Option<f64>)>,
}

fn project(rw: &Runway, horizon: u32, probes: &mut Vec<Probe>) -> Result<Vec<Found>, i32> {
    // Every whole month in order, until a month fails every objective.
    for m in 0..=horizon {
        let i = rw.probe(m as f64, None, probes)?;
        if probes[i].each.iter().all(|e| !e.0) {
            break;
        }
    }
    let mut out = Vec::new();
    for o in 0..rw.objectives.len() {
        let brk = rw.find_break(o, 0, horizon, None, probes)?;
        let Some(b) = brk else {
            out.push(Found {
                brk: None,
                first: None,
                fix: None,
                next: None,
                next_neck: None,
            });
            continue;
        };
        let first = neck(&b, probes);
        let at_load = b.lo.map_or(probes[b.hi].load, |l| probes[l].load);
        let fix = first.as_ref().and_then(|n| rw.fix_for(&n.0, at_load));
        let (mut next, mut next_neck) = (None, None);
        if let Some(f) = &fix {
            let from = b.lo.map_or(0, |l| probes[l].month.floor() as u32);
            next = rw.find_break(o, from, horizon, Some(f), probes)?;
            next_neck = match &next {
                Some(nb) => neck(nb, probes),
                None => probes
                    .iter()
                    .filter(|p| p.fix.as_deref() == Some(f.component.as_str()))
                    .max_by(|a, b| a.month.total_cmp(&b.month))
                    .and_then(|p| p.result.as_ref().ok())
                    .and_then(saturated),
            };
        }
        out.push(Found {
            brk: Some(b),
            first,
            fix,
            next,
            next_neck,
        });
    }
    Ok(out)
}

/// The sentence of one objective's break.
fn break_text(rw: &Runway, b: &Break, probes: &[Probe]) -> String {
    let h = &probes[b.hi];
    match b.lo {
        None => format!(
            "fails already at month {} ({} = {})",
            month_text(h.month),
            rw.key,
            fmt_value(h.load, rw.integer)
        ),
        Some(l) => {
            let p = &probes[l];
            format!(
                "after {} months (during month {}), at {} = {} ({:.2}x today); {} = {} fails",
                month_text(p.month),
                h.month.ceil() as u32,
                rw.key,
                fmt_value(p.load, rw.integer),
                p.load / rw.start,
                rw.key,
                fmt_value(h.load, rw.integer)
            )
        }
    }
}

fn report(
    rw: &Runway,
    name: &str,
    file: &str,
    opts: &Options,
    horizon: u32,
    probes: &[Probe],
    found: &[Found],
) -> i32 {
    let reps = rw.args.replications.unwrap_or(1);
    let slo_text: Vec<String> = rw.objectives.iter().map(|o| o.text.clone()).collect();
    let monthly = rw.factor - 1.0;
    let mut text = format!(
        "runway {name} | {} = {} growing {} ({} a month) | horizon {horizon} months | {} | {reps} replication{} per probe, judged on the {} | tolerance {}\n",
        rw.key,
        fmt_value(rw.start, rw.integer),
        opts.growth,
        pct(monthly),
        slo_text.join(" and "),
        if reps == 1 { "" } else { "s" },
        if reps == 1 { "pooled figure" } else { "conservative end of the 95% CI" },
        pct(rw.tolerance),
    );
    for (k, v, i) in &rw.grow {
        text.push_str(&format!(
            "growing with it: {k} = {} at month 0\n",
            fmt_value(*v, *i)
        ));
    }
    text.push('\n');
    // The earliest break's load: the headroom of every month is measured against it.
    let limit_load = found
        .iter()
        .filter_map(|f| f.brk.as_ref())
        .map(|b| b.lo.map_or(0.0, |l| probes[l].load))
        .min_by(f64::total_cmp);
    let headroom = |load: f64| limit_load.map(|l| l / load - 1.0);
    let months: Vec<&Probe> = {
        let mut v: Vec<&Probe> = probes
            .iter()
            .filter(|p| p.fix.is_none() && p.month == p.month.trunc())
            .collect();
        v.sort_by(|a, b| a.month.total_cmp(&b.month));
        v
    };
    let mut header = vec!["month".to_string(), rw.key.clone()];
    for o in &rw.objectives {
        header.push(o.figure.name().to_string());
    }
    header.extend(["req/s", "bottleneck", "headroom", "meets"].map(String::from));
    let rows: Vec<Vec<String>> = months
        .iter()
        .map(|p| {
            let mut r = vec![month_text(p.month), fmt_value(p.load, rw.integer)];
            for (o, (_, (v, _, _))) in rw.objectives.iter().zip(&p.each) {
                r.push(v.map_or("-".into(), |v| o.figure.show(v)));
            }
            match &p.result {
                Ok(res) => {
                    r.push(format!("{:.1}", res.throughput_rps));
                    r.push(saturated(res).map_or("-".into(), |b| b.0.label()));
                }
                Err(_) => {
                    r.push("overload".into());
                    r.push("-".into());
                }
            }
            r.push(match headroom(p.load) {
                Some(h) => format!("{:+.0}%", h * 100.0),
                None => format!(">{:+.0}%", (rw.load(horizon as f64) / p.load - 1.0) * 100.0),
            });
            r.push(if p.all() { "yes" } else { "no" }.into());
            r
        })
        .collect();
    text.push_str(&table::render(&header, &rows, 0));
    if let Some(last) = months.last() {
        if (last.month as u32) < horizon {
            text.push_str(&format!(
                "(months after {} not run: every objective fails there already)\n",
                month_text(last.month)
            ));
        }
    }
    let mut code = crate::EXIT_OK;
    for (o, f) in rw.objectives.iter().zip(found) {
        text.push_str(&format!("\n{}\n", o.text));
        let Some(b) = &f.brk else {
            text.push_str(&format!(
                "  holds       through month {horizon} ({} = {}, {:.2}x today)\n",
                rw.key,
                fmt_value(rw.load(horizon as f64), rw.integer),
                rw.load(horizon as f64) / rw.start
            ));
            continue;
        };
        if b.lo.is_none() {
            code = EXIT_FAILURE;
        }
        text.push_str(&format!("  breaks      {}\n", break_text(rw, b, probes)));
        if let Some(n) = &f.first {
            text.push_str(&format!(
                "  first       {} saturates ({})\n",
                n.0.component,
                saturated_text(n)
            ));
        }
        match (&f.fix, &f.next) {
            (Some(fx), Some(nb)) => text.push_str(&format!(
                "  then        with {} doubled and growing with the traffic: breaks {}{}\n",
                fx.text(),
                break_text(rw, nb, probes),
                f.next_neck
                    .as_ref()
                    .map_or(String::new(), |n| format!("; then {} saturates ({})", n.0.component, saturated_text(n)))
            )),
            (Some(fx), None) => text.push_str(&format!(
                "  then        with {} doubled and growing with the traffic: holds through month {horizon}{}\n",
                fx.text(),
                f.next_neck
                    .as_ref()
                    .map_or(String::new(), |n| format!("; busiest then {}", saturated_text(n)))
            )),
            (None, _) => {
                if let Some(n) = &f.first {
                    text.push_str(&format!(
                        "  then        no automatic fix for {}'s {} (runway grows a component's cores and workers); raise it with --set and run again\n",
                        n.0.component, n.0.resource
                    ));
                }
            }
        }
    }
    let probe_json = |p: &Probe| {
        let figs: serde_json::Map<String, serde_json::Value> = rw
            .objectives
            .iter()
            .zip(&p.each)
            .map(|(o, (m, (v, ci, b)))| {
                (
                    o.figure.name().to_string(),
                    serde_json::json!({"value": v, "ci95": ci, "judged": b, "limit": o.limit, "meets": m}),
                )
            })
            .collect();
        serde_json::json!({
            "month": p.month,
            "load": p.load,
            "meets": p.all(),
            "headroom": headroom(p.load),
            "figures": figs,
            "throughput_rps": p.result.as_ref().ok().map(|r| r.throughput_rps),
            "bottleneck": p.result.as_ref().ok().map(table::bottleneck_json),
            "error": p.result.as_ref().err(),
        })
    };
    let break_json = |b: &Break| {
        let h = &probes[b.hi];
        serde_json::json!({
            "after_months": b.lo.map(|l| probes[l].month),
            "month": h.month.ceil(),
            "load": b.lo.map(|l| probes[l].load),
            "load_fails": h.load,
            "factor": b.lo.map(|l| probes[l].load / rw.start),
            "saturates": neck(b, probes).map(|(n, share)| serde_json::json!({
                "component": n.component, "instance": n.instance, "resource": n.resource,
                "utilization": n.utilization, "rejected": n.rejected, "full": n.full,
                "p99_wait_share": share,
            })),
        })
    };
    let objectives_json: Vec<serde_json::Value> = rw
        .objectives
        .iter()
        .zip(found)
        .map(|(o, f)| {
            serde_json::json!({
                "slo": o.text,
                "breaks": f.brk.as_ref().map(break_json),
                "fix": f.fix.as_ref().map(|x| serde_json::json!({
                    "component": x.component,
                    "keys": x.keys.iter().map(|(k, a)| serde_json::json!({"key": k, "value": a})).collect::<Vec<_>>(),
                    "grows_from_load": x.at_load,
                })),
                "next": f.next.as_ref().map(break_json),
                "next_saturates": f.next_neck.as_ref().map(saturated_text),
            })
        })
        .collect();
    let mut all: Vec<&Probe> = probes.iter().collect();
    all.sort_by(|a, b| {
        (a.fix.is_some(), &a.fix)
            .cmp(&(b.fix.is_some(), &b.fix))
            .then(a.month.total_cmp(&b.month))
    });
    let emitted = emit(
        &rw.args,
        &text,
        || {
            serde_json::json!({
                "scenario": name,
                "file": file,
                "key": rw.key,
                "start": rw.start,
                "growth": opts.growth,
                "growth_per_month": monthly,
                "horizon_months": horizon,
                "grow": rw.grow.iter().map(|(k, v, _)| serde_json::json!({"key": k, "start": v})).collect::<Vec<_>>(),
                "slo": slo_text,
                "tolerance": rw.tolerance,
                "replications": reps,
                "months": months.iter().map(|p| probe_json(p)).collect::<Vec<_>>(),
                "objectives": objectives_json,
                "probes": all.iter().map(|p| {
                    let mut j = probe_json(p);
                    j["fix"] = serde_json::json!(p.fix);
                    j
                }).collect::<Vec<_>>(),
            })
        },
        || {
            let mut h = vec![
                "month".to_string(),
                rw.key.clone(),
                "meets".to_string(),
                "headroom".to_string(),
            ];
            h.extend(table::figure_csv_header());
            let mut c = table::csv_line(&h);
            for p in &months {
                let mut r = vec![
                    p.month.to_string(),
                    p.load.to_string(),
                    p.all().to_string(),
                    headroom(p.load).map_or(String::new(), |h| h.to_string()),
                ];
                match &p.result {
                    Ok(res) => r.extend(table::figure_csv(res)),
                    Err(_) => r.extend(vec![String::new(); table::figure_csv_header().len()]),
                }
                c.push_str(&table::csv_line(&r));
            }
            c
        },
        || {
            crate::report::runway_html(
                name,
                &rw.key,
                &months
                    .iter()
                    .map(|p| (p.month, p.load, p.result.as_ref().ok(), p.all()))
                    .collect::<Vec<_>>(),
                limit_load,
                rw.objectives
                    .iter()
                    .find(|o| o.figure.is_latency())
                    .map(|o| (o.figure.name(), o.limit)),
                &text,
            )
        },
    );
    if emitted != crate::EXIT_OK {
        emitted
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_rates_in_any_period_become_monthly_factors() {
        assert_eq!(parse_growth("15%/month").unwrap(), 1.15);
        assert_eq!(parse_growth("0.15/mo").unwrap(), 1.15);
        let y = parse_growth("100%/year").unwrap();
        assert!((y.powi(12) - 2.0).abs() < 1e-12, "{y}");
        let w = parse_growth("1%/week").unwrap();
        assert!((w - 1.01f64.powf(52.0 / 12.0)).abs() < 1e-12, "{w}");
        for bad in [
            "15%",
            "15%/fortnight",
            "-5%/month",
            "0%/month",
            "lots/month",
            "2000%/month",
        ] {
            assert!(parse_growth(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn horizons_are_whole_months() {
        assert_eq!(parse_horizon("24months"), Ok(24));
        assert_eq!(parse_horizon("18 mo"), Ok(18));
        assert_eq!(parse_horizon("2years"), Ok(24));
        assert_eq!(parse_horizon("6"), Ok(6));
        for bad in ["0months", "300months", "2decades", "soon", "1.5years"] {
            assert!(parse_horizon(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn months_print_without_trailing_zeros() {
        assert_eq!(month_text(3.0), "3");
        assert_eq!(month_text(3.5), "3.5");
        assert_eq!(month_text(3.25), "3.25");
        assert_eq!(month_text(10.0 / 3.0), "3.33");
    }
}
