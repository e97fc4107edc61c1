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
//! The first component to saturate is the bottleneck of the failing probe; to fix it, the
//! capacity of the resource that saturated doubles at the break and grows with the traffic
//! from there (`fix`), and the months from the break on are probed again to find when, and on
//! what, the objective breaks next.

mod fix;

use crate::capacity::{fmt_value, judge_each, key_value, prepare, Judged, Objective};
use crate::multi::{emit, overrides};
use crate::out::errln;
use crate::progress::Progress;
use crate::table::{self, bottleneck_of, pct};
use crate::{load_scenario, MultiArgs, EXIT_FAILURE, EXIT_INVALID};
use archsim_scenario::{parse_growth, parse_horizon};
use archsim_stats::SimResult;
use fix::Fix;
use std::path::Path;

/// The horizon, in months, when neither `--horizon` nor `[growth] horizon` says one.
const DEFAULT_HORIZON: u32 = 24;

/// What to project.
pub(crate) struct Options {
    pub slo: Vec<String>,
    pub growth: Option<String>,
    pub horizon: Option<String>,
    pub tolerance: f64,
    pub set: Vec<String>,
    pub grow: Vec<String>,
    pub key: Option<String>,
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
    /// The growth rate as written (`15%/month`).
    growth: String,
    /// The keys that grow with the load: key, value at month 0, integer.
    grow: Vec<(String, f64, bool)>,
    set: &'a [String],
    /// The model as the scenario builds it (with `--set`), for the values a fix starts from.
    spec: &'a archsim_models::Spec,
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

    /// The fix of the component that saturates at a break (at `load`).
    fn fix_for(&self, b: &table::Bottleneck, load: f64) -> Option<Fix> {
        fix::fix_for(
            self.file,
            self.set,
            self.spec,
            &b.component,
            b.resource,
            load,
        )
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
/// peak), disk, its network link, storage (used / capacity at the end). A resource that ran
/// out in the run (an OOM kill, a message dropped at a full link, a write refused for want
/// of storage) counts as full, whatever its mean or pooled peak says.
fn fullest(c: &archsim_stats::ComponentResult) -> Option<(&'static str, f64)> {
    let x = |k: &str| c.extra.get(k).and_then(|v| v.as_f64());
    let ran_out = |k: &str, u: Option<f64>| {
        if x(k).is_some_and(|n| n > 0.0) {
            Some(u.map_or(1.0, |u| u.max(1.0)))
        } else {
            u
        }
    };
    let storage = match (x("storage_used_gib"), x("storage_capacity_gib")) {
        (Some(u), Some(cap)) if cap > 0.0 => Some(u / cap),
        _ => None,
    };
    [
        ("cpu", c.utilization),
        ("workers", c.worker_utilization),
        ("memory", ran_out("oom_kills", x("memory_utilization_max"))),
        ("disk", x("disk_utilization")),
        ("network", ran_out("link_dropped", x("link_utilization"))),
        ("storage", ran_out("storage_full", storage)),
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
    // The flags first (their mistakes before the scenario's), else the scenario's [growth]
    // (checked with the scenario), else the default horizon; a rate is needed from one.
    let flag = |text: &Option<String>, name: &str, parse: fn(&str) -> Result<f64, String>| {
        text.as_deref().map(|t| {
            parse(t).map_err(|e| {
                errln!("error: --{name} {e}");
                EXIT_INVALID
            })
        })
    };
    let growth_flag = match flag(&opts.growth, "growth", parse_growth).transpose() {
        Ok(g) => g,
        Err(code) => return code,
    };
    let horizon_flag = match flag(&opts.horizon, "horizon", |t| {
        parse_horizon(t).map(f64::from)
    })
    .transpose()
    {
        Ok(h) => h,
        Err(code) => return code,
    };
    let (base, objectives) =
        match prepare("runway", file, opts.tolerance, &opts.slo, &opts.set, args) {
            Ok(p) => p,
            Err(code) => return code,
        };
    let declared = base.growth.clone().unwrap_or_default();
    // A declared rate and horizon were checked with the scenario: they parse.
    let (growth, factor) = match (growth_flag, &declared.rate) {
        (Some(f), _) => (opts.growth.clone().unwrap_or_default(), f),
        (None, Some(r)) => (r.clone(), parse_growth(r).unwrap_or(1.0)),
        (None, None) => {
            errln!("error: runway needs a growth rate: write --growth 15%/month, or `rate = \"15%/month\"` under [growth] in the scenario");
            return EXIT_INVALID;
        }
    };
    let horizon = match (horizon_flag, &declared.horizon) {
        (Some(h), _) => h as u32,
        (None, Some(h)) => parse_horizon(h).unwrap_or(DEFAULT_HORIZON),
        (None, None) => DEFAULT_HORIZON,
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
    let mut keys = declared.with_traffic;
    for k in &opts.grow {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    for k in &keys {
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
        growth,
        grow,
        set: &opts.set,
        spec: &base.spec,
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
    report(&rw, &base.name, &base.file, horizon, &probes, &found)
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
        let at_load = break_load(&b, probes);
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

/// The last load that meets the objective before break `b` (the failing one's when none).
fn break_load(b: &Break, probes: &[Probe]) -> f64 {
    b.lo.map_or(probes[b.hi].load, |l| probes[l].load)
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
        rw.growth,
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
                "  then        with {} doubled and growing with the traffic: breaks {}{}{}{}\n",
                fx.text(),
                break_text(rw, nb, probes),
                fx.machine_at(break_load(nb, probes))
                    .map_or(String::new(), |m| format!(" (on {m})")),
                if break_load(nb, probes) < break_load(b, probes) {
                    " - earlier than without the fix: more of it does not help here"
                } else {
                    ""
                },
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
                        "  then        no automatic fix for {}'s {}: no limit of it that runway can grow (its keys unset, or its machine the largest of its family or not in the catalogue); raise it with --set and run again\n",
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
                    "resource": x.resource,
                    "keys": x.keys.iter().map(|(k, a, _)| serde_json::json!({"key": k, "value": a})).collect::<Vec<_>>(),
                    "machine": x.machine_at(x.at_load).map(|m| serde_json::json!({"from": x.machine_from(), "at_break": m})),
                    "sets_at_break": x.set_at(x.at_load),
                    "grows_from_load": x.at_load,
                })),
                "next": f.next.as_ref().map(break_json),
                "next_machine": f.fix.as_ref().zip(f.next.as_ref()).and_then(|(x, nb)| {
                    x.machine_at(break_load(nb, probes))
                }),
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
                "growth": rw.growth,
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
    fn months_print_without_trailing_zeros() {
        assert_eq!(month_text(3.0), "3");
        assert_eq!(month_text(3.5), "3.5");
        assert_eq!(month_text(3.25), "3.25");
        assert_eq!(month_text(10.0 / 3.0), "3.33");
    }
}
