//! `simulate capacity`: the largest load that still meets an SLO.
//!
//! Every probe runs the scenario with the searched key set to a value, under the same seed
//! (common random numbers: the probes differ only in the load). A probe meets the objective
//! when the conservative end of the figure's 95% confidence interval over the probe's
//! replications meets it (the upper end for a latency or error rate, the lower end for the
//! SLO attainment); with one replication the pooled figure is used. The search doubles the
//! value until a probe fails (or halves it until one passes), then bisects until the bracket
//! is narrower than `--tolerance` of its low end. An overloaded run fails the objective.

use crate::multi::{emit, overrides};
use crate::out::errln;
use crate::progress::Progress;
use crate::table::{self, bottleneck, ms, num, pct};
use crate::{load_scenario, MultiArgs, EXIT_FAILURE, EXIT_INVALID};
use archsim_scenario::Scenario;
use archsim_stats::SimResult;
use std::path::Path;

/// The fewest replications per probe unless `--replications` says otherwise.
pub(crate) const DEFAULT_REPLICATIONS: u32 = 5;
/// Doublings or halvings before the search gives up.
const MAX_STEPS: u32 = 40;
/// The search stops (exit 1) when a load this many times the start still meets the
/// objective while no resource saturates: the model has nothing that load can exhaust.
const UNSATURATED_BOUND: f64 = 1024.0;
/// A resource at this utilization or more counts as saturating.
const SATURATING: f64 = 0.5;

/// What to search.
pub(crate) struct Options {
    pub slo: Vec<String>,
    pub key: Option<String>,
    pub start: Option<f64>,
    pub tolerance: f64,
    pub set: Vec<String>,
    /// `--launcher CMD`: run each probe's replications as shard tasks through it.
    pub launcher: Option<String>,
    /// `--partial DIR`: where the launched tasks' partials go.
    pub partial: Option<std::path::PathBuf>,
}

/// A figure an objective constrains.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Figure {
    Mean,
    P50,
    P90,
    P95,
    P99,
    P999,
    ErrorRate,
    /// SLO attainment (more is better).
    Attained,
}

/// One objective: `figure < limit` (or `>` for the attainment).
#[derive(Clone, Debug)]
pub(crate) struct Objective {
    pub text: String,
    pub figure: Figure,
    pub limit: f64,
    pub inclusive: bool,
}

impl Figure {
    pub(crate) fn higher_is_better(self) -> bool {
        self == Figure::Attained
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Figure::Mean => "mean",
            Figure::P50 => "p50",
            Figure::P90 => "p90",
            Figure::P95 => "p95",
            Figure::P99 => "p99",
            Figure::P999 => "p999",
            Figure::ErrorRate => "error_rate",
            Figure::Attained => "slo_attained",
        }
    }
    pub(crate) fn is_latency(self) -> bool {
        !matches!(self, Figure::ErrorRate | Figure::Attained)
    }
    /// The pooled value and its 95% confidence interval, if any.
    pub(crate) fn of(self, r: &SimResult) -> (Option<f64>, Option<[f64; 2]>) {
        let l = &r.latency_ms;
        let ci = r.ci95.as_ref();
        match self {
            Figure::Mean => (l.mean, ci.and_then(|c| c.latency_ms.mean)),
            Figure::P50 => (l.p50, ci.and_then(|c| c.latency_ms.p50)),
            Figure::P90 => (l.p90, None),
            Figure::P95 => (l.p95, ci.and_then(|c| c.latency_ms.p95)),
            Figure::P99 => (l.p99, ci.and_then(|c| c.latency_ms.p99)),
            Figure::P999 => (l.p999, ci.and_then(|c| c.latency_ms.p999)),
            Figure::ErrorRate => (Some(r.error_rate), ci.map(|c| c.error_rate)),
            Figure::Attained => (
                r.slo.as_ref().map(|s| s.attained),
                ci.and_then(|c| c.slo_attained),
            ),
        }
    }
    pub(crate) fn show(self, v: f64) -> String {
        if self.is_latency() {
            ms(Some(v))
        } else {
            pct(v)
        }
    }
}

/// Reads `p99<200ms`, `p999 <= 1s`, `mean<50ms`, `error_rate<0.01`, `error_rate<1%`,
/// `slo_attained>0.999`.
pub(crate) fn parse_objective(text: &str) -> Result<Objective, String> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let help = "expected FIGURE<LIMIT with FIGURE one of mean, p50, p90, p95, p99, p999 (a duration limit like 200ms), error_rate (a fraction like 0.01 or 1%), or slo_attained>FRACTION; e.g. --slo \"p99<200ms\"";
    let (name, op, rest) = if let Some(i) = t.find(['<', '>']) {
        let gt = t[i..].starts_with('>');
        let incl = t[i + 1..].starts_with('=');
        let rest = &t[i + 1 + incl as usize..];
        (&t[..i], (gt, incl), rest)
    } else {
        return Err(format!("--slo {text:?}: no `<` in it; {help}"));
    };
    let figure = match name.to_ascii_lowercase().as_str() {
        "mean" => Figure::Mean,
        "p50" | "median" => Figure::P50,
        "p90" => Figure::P90,
        "p95" => Figure::P95,
        "p99" => Figure::P99,
        "p999" | "p99.9" => Figure::P999,
        "error_rate" | "errors" => Figure::ErrorRate,
        "slo_attained" | "attained" | "slo" => Figure::Attained,
        other => return Err(format!("--slo {text:?}: unknown figure `{other}`; {help}")),
    };
    if op.0 != figure.higher_is_better() {
        let want = if figure.higher_is_better() { ">" } else { "<" };
        return Err(format!(
            "--slo {text:?}: `{}` must be bounded with `{want}`; {help}",
            figure.name()
        ));
    }
    let limit = if figure.is_latency() {
        let ns = archsim_models_duration(rest).ok_or_else(|| {
            format!("--slo {text:?}: `{rest}` is not a duration like 200ms; {help}")
        })?;
        ns / 1e6
    } else if let Some(p) = rest.strip_suffix('%') {
        p.parse::<f64>()
            .map(|v| v / 100.0)
            .map_err(|_| format!("--slo {text:?}: `{rest}` is not a percentage; {help}"))?
    } else {
        rest.parse::<f64>()
            .map_err(|_| format!("--slo {text:?}: `{rest}` is not a number; {help}"))?
    };
    if !limit.is_finite() || limit <= 0.0 || (!figure.is_latency() && limit > 1.0) {
        return Err(format!(
            "--slo {text:?}: the limit must be positive{}; {help}",
            if figure.is_latency() {
                ""
            } else {
                " and at most 1"
            }
        ));
    }
    Ok(Objective {
        text: text.to_string(),
        figure,
        limit,
        inclusive: op.1,
    })
}

/// A duration like `200ms` in nanoseconds.
fn archsim_models_duration(s: &str) -> Option<f64> {
    let units = [
        ("ns", 1.0),
        ("us", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
    ];
    // Longest unit suffix first: "ms" before "s" and "m".
    for (u, f) in [units[0], units[1], units[2], units[5], units[3], units[4]] {
        if let Some(n) = s.strip_suffix(u) {
            if let Ok(v) = n.parse::<f64>() {
                return Some(v * f);
            }
        }
    }
    None
}

/// The number at dotted `key`: the last `--set` of it, else the scenario's; and whether it
/// is an integer.
pub(crate) fn key_value(file: &Path, set: &[String], key: &str) -> Option<(f64, bool)> {
    let from_set = set.iter().rev().find_map(|s| {
        s.split_once('=')
            .filter(|(a, _)| a.trim() == key)
            .map(|x| x.1.trim().to_string())
    });
    from_set
        .and_then(|v| {
            v.parse::<i64>()
                .map(|i| (i as f64, true))
                .ok()
                .or_else(|| v.parse::<f64>().ok().map(|f| (f, false)))
        })
        .or_else(|| {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            archsim_scenario::number_at(&text, key)
        })
}

/// Per objective: the pooled figure, its 95% interval, and the value that was judged.
pub(crate) type Judged = (Option<f64>, Option<[f64; 2]>, Option<f64>);

/// One probe of the search.
struct Probe {
    value: f64,
    meets: bool,
    /// Per objective: pooled value, interval, and the bound that was judged.
    figures: Vec<Judged>,
    result: Result<SimResult, String>,
}

fn judge(objectives: &[Objective], r: &SimResult) -> (bool, Vec<Judged>) {
    let each = judge_each(objectives, r);
    (
        each.iter().all(|(m, _)| *m),
        each.into_iter().map(|(_, j)| j).collect(),
    )
}

/// Per objective: whether `r` meets it, and its figures.
pub(crate) fn judge_each(objectives: &[Objective], r: &SimResult) -> Vec<(bool, Judged)> {
    let mut figs = Vec::new();
    for o in objectives {
        let (v, ci) = o.figure.of(r);
        let bound = match ci {
            Some([lo, hi]) => Some(if o.figure.higher_is_better() { lo } else { hi }),
            None => v,
        };
        let meets = match bound {
            None => false,
            Some(b) if o.figure.higher_is_better() => {
                if o.inclusive {
                    b >= o.limit
                } else {
                    b > o.limit
                }
            }
            Some(b) => {
                if o.inclusive {
                    b <= o.limit
                } else {
                    b < o.limit
                }
            }
        };
        figs.push((meets, (v, ci, bound)));
    }
    figs
}

pub(crate) fn fmt_value(v: f64, integer: bool) -> String {
    if integer {
        format!("{}", v.round() as i64)
    } else {
        num(v)
    }
}

/// The objectives of `--slo` (each checked), or the scenario's `[slo]` when none is given;
/// the exit code after saying what is wrong otherwise.
pub(crate) fn objectives(
    command: &str,
    slo: &[String],
    base: &Scenario,
) -> Result<Vec<Objective>, i32> {
    let mut objectives = Vec::new();
    for s in slo {
        match parse_objective(s) {
            Ok(o) => objectives.push(o),
            Err(e) => {
                errln!("error: {e}");
                return Err(EXIT_INVALID);
            }
        }
    }
    if objectives.is_empty() {
        match base.slo {
            Some(s) => objectives.push(Objective {
                text: format!("slo_attained>={} (the scenario's [slo])", s.target),
                figure: Figure::Attained,
                limit: s.target,
                inclusive: true,
            }),
            None => {
                errln!("error: {command} needs an objective: --slo \"p99<200ms\" (or an [slo] in the scenario)");
                return Err(EXIT_INVALID);
            }
        }
    }
    if objectives.iter().any(|o| o.figure == Figure::Attained) && base.slo.is_none() {
        errln!("error: `slo_attained` needs an [slo] in the scenario (it sets the latency a good request meets)");
        return Err(EXIT_INVALID);
    }
    Ok(objectives)
}

/// What a search over loads (`capacity`, `runway`) checks before it runs: `--tolerance` a
/// fraction, the outputs writable, the scenario with its `--set`s, and the objectives.
pub(crate) fn prepare(
    command: &str,
    file: &Path,
    tolerance: f64,
    slo: &[String],
    set: &[String],
    args: &MultiArgs,
) -> Result<(Scenario, Vec<Objective>), i32> {
    if !(tolerance > 0.0 && tolerance < 1.0) {
        errln!("error: --tolerance {tolerance}: give a fraction between 0 and 1, e.g. 0.01 for 1%");
        return Err(EXIT_INVALID);
    }
    crate::check_outputs(&args.outputs(), &[file])?;
    let base = load_scenario(file, &overrides(set, args))?;
    let objectives = objectives(command, slo, &base)?;
    Ok((base, objectives))
}

/// `simulate capacity FILE --slo "p99<200ms"`.
pub(crate) fn capacity(file: &Path, opts: &Options, args: &MultiArgs) -> i32 {
    let (base, objectives) =
        match prepare("capacity", file, opts.tolerance, &opts.slo, &opts.set, args) {
            Ok(p) => p,
            Err(code) => return code,
        };
    let mut margs = args.clone();
    margs.replications = Some(
        args.replications
            .unwrap_or(base.replications.max(DEFAULT_REPLICATIONS)),
    );
    // The key and where to start.
    let (key, start, integer) = match &opts.key {
        None => {
            let (k, v, i) = base.load_key();
            (k.to_string(), opts.start.unwrap_or(v), i)
        }
        Some(k) => match (key_value(file, &opts.set, k), opts.start) {
            (Some((v, i)), s) => (k.clone(), s.unwrap_or(v), i),
            (None, Some(s)) => (k.clone(), s, s == s.trunc()),
            (None, None) => {
                errln!("error: --key {k}: the scenario has no number there; give --start VALUE");
                return EXIT_INVALID;
            }
        },
    };
    if !(start.is_finite() && start > 0.0) {
        errln!("error: the search starts at {key} = {start}; give a positive --start VALUE");
        return EXIT_INVALID;
    }
    let quiet = args.json.as_deref() == Some("-");
    let launch = match &opts.launcher {
        None => None,
        Some(l) => match crate::launch::Workspace::new(opts.partial.as_deref()) {
            Ok(ws) => Some((l.as_str(), ws)),
            Err(e) => {
                errln!("error: {e}; nothing was simulated");
                return EXIT_INVALID;
            }
        },
    };
    let search = Search {
        launch,
        file,
        key: &key,
        integer,
        set: &opts.set,
        args: &margs,
        objectives: &objectives,
        bar: Progress::start(!quiet, 0),
    };
    let mut probes: Vec<Probe> = Vec::new();
    let outcome = search.run(start, opts.tolerance, &mut probes);
    search.bar.finish();
    let (lo, hi) = match outcome {
        Ok(b) => b,
        Err(code) => return code,
    };
    report(
        &base,
        &key,
        integer,
        opts.tolerance,
        &objectives,
        &margs,
        &probes,
        lo,
        hi,
        args,
    )
}

struct Search<'a> {
    /// `--launcher` and the folder its tasks write to.
    launch: Option<(&'a str, crate::launch::Workspace)>,
    file: &'a Path,
    key: &'a str,
    integer: bool,
    set: &'a [String],
    args: &'a MultiArgs,
    objectives: &'a [Objective],
    bar: Progress,
}

impl Search<'_> {
    /// Runs (or reuses) the probe at `v`; its index.
    fn probe(&self, v: f64, probes: &mut Vec<Probe>) -> Result<usize, i32> {
        let v = if self.integer { v.round().max(1.0) } else { v };
        if let Some(i) = probes.iter().position(|p| p.value == v) {
            return Ok(i);
        }
        let shown = fmt_value(v, self.integer);
        let mut set = self.set.to_vec();
        set.push(format!("{}={shown}", self.key));
        let ov = overrides(&set, self.args);
        let s: Scenario = match load_scenario(self.file, &ov) {
            Ok(s) => s,
            Err(code) => {
                errln!("(at {} = {shown}; the search stopped)", self.key);
                return Err(code);
            }
        };
        self.bar.add_total(s.progress_total_ns());
        let n = self.objectives.len();
        let run = match &self.launch {
            None => s
                .run_with_progress(Some(self.bar.counter()))
                .map_err(|e| (e.to_string(), e.is_overload())),
            Some((launcher, ws)) => {
                let r = crate::launch::probe(launcher, ws, probes.len(), self.file, &ov, &s)?;
                self.bar
                    .counter()
                    .fetch_add(s.progress_total_ns(), std::sync::atomic::Ordering::Relaxed);
                r
            }
        };
        let (meets, figures, result) = match run {
            Ok(r) => {
                let (m, f) = judge(self.objectives, &r);
                (m, f, Ok(r))
            }
            Err((e, true)) => (false, vec![(None, None, None); n], Err(e)),
            Err((e, false)) => {
                errln!(
                    "error: simulating {} at {} = {shown}: {e}",
                    s.file,
                    self.key
                );
                return Err(EXIT_FAILURE);
            }
        };
        let mut line = format!("probe {}: {} = {shown}:", probes.len() + 1, self.key);
        for (o, (v, _, _)) in self.objectives.iter().zip(&figures) {
            let v = v.map_or("-".into(), |v| o.figure.show(v));
            line.push_str(&format!(" {} {v}", o.figure.name()));
        }
        match &result {
            Ok(r) => line.push_str(&format!(
                ", bottleneck {}",
                bottleneck(r).map_or("-".into(), |b| b.1)
            )),
            Err(_) => line.push_str(", overload"),
        }
        line.push_str(if meets { ", meets" } else { ", fails" });
        self.bar.println(&line);
        probes.push(Probe {
            value: v,
            meets,
            figures,
            result,
        });
        Ok(probes.len() - 1)
    }

    /// The bracket found: the last value that meets the objectives and the first that
    /// fails (either may be missing when the search ran out of steps).
    fn run(
        &self,
        start: f64,
        tolerance: f64,
        probes: &mut Vec<Probe>,
    ) -> Result<(Option<usize>, Option<usize>), i32> {
        let first = self.probe(start, probes)?;
        let (mut lo, mut hi) = if probes[first].meets {
            (Some(first), None)
        } else {
            (None, Some(first))
        };
        let mut x = start;
        for _ in 0..MAX_STEPS {
            if lo.is_some() && hi.is_some() {
                break;
            }
            if hi.is_none() {
                x *= 2.0;
                if x > 1e12 {
                    break;
                }
                let i = self.probe(x, probes)?;
                if probes[i].meets {
                    lo = Some(i);
                    let p = &probes[i];
                    if p.value >= start * UNSATURATED_BOUND {
                        if let Ok(r) = &p.result {
                            if !saturating(r) {
                                self.bar.println(&format!(
                                    "error: capacity: at {} = {} ({}x the start) the objective is still met and no resource saturates (no component's cores, workers or queue are near their limit: {}); this model has no limit the load can reach, so the search stopped. Give the components cores, workers or a queue, or search another --key",
                                    self.key,
                                    fmt_value(p.value, self.integer),
                                    UNSATURATED_BOUND,
                                    bottleneck(r).map_or("no bounded resource".into(), |b| format!("the busiest is {}", b.1)),
                                ));
                                return Err(EXIT_FAILURE);
                            }
                        }
                    }
                } else {
                    hi = Some(i);
                }
            } else {
                x /= 2.0;
                if x < 1e-9 || (self.integer && x < 0.5) {
                    break;
                }
                let i = self.probe(x, probes)?;
                if probes[i].meets {
                    lo = Some(i);
                } else {
                    hi = Some(i);
                }
                if self.integer && probes[i].value <= 1.0 && !probes[i].meets {
                    break;
                }
            }
        }
        let (Some(mut l), Some(mut h)) = (lo, hi) else {
            return Ok((lo, hi));
        };
        loop {
            let (a, b) = (probes[l].value, probes[h].value);
            let narrow = (b - a) <= tolerance * a;
            if narrow || (self.integer && b - a <= 1.0) {
                break;
            }
            let mid = if self.integer {
                ((a + b) / 2.0).floor()
            } else {
                (a + b) / 2.0
            };
            if mid <= a || mid >= b {
                break;
            }
            let i = self.probe(mid, probes)?;
            if probes[i].meets {
                l = i;
            } else {
                h = i;
            }
        }
        Ok((Some(l), Some(h)))
    }
}

/// Whether some resource of `r` is at or near its limit: the bottleneck's resource (cores or
/// workers, judged by the hottest instance as [`table::bottleneck_of`] judges them) at
/// [`SATURATING`] or more, a request waiting or rejected anywhere, or any error.
fn saturating(r: &SimResult) -> bool {
    r.error_rate > 0.0
        || r.components.values().any(|c| c.max_queue > 0)
        || table::bottleneck_of(r)
            .is_some_and(|b| b.full || b.utilization.is_some_and(|u| u >= SATURATING))
}

#[allow(clippy::too_many_arguments)]
fn report(
    base: &Scenario,
    key: &str,
    integer: bool,
    tolerance: f64,
    objectives: &[Objective],
    args: &MultiArgs,
    probes: &[Probe],
    lo: Option<usize>,
    hi: Option<usize>,
    out: &MultiArgs,
) -> i32 {
    let reps = args.replications.unwrap_or(DEFAULT_REPLICATIONS);
    debug_assert!(
        args.replications.is_some(),
        "capacity sets the replications"
    );
    let slo_text: Vec<String> = objectives.iter().map(|o| o.text.clone()).collect();
    let mut text = format!(
        "capacity {} | {key} | {} | seed {} | {reps} replication{} per probe, judged on the {} | tolerance {}\n\n",
        base.name,
        slo_text.join(" and "),
        base.seed,
        if reps == 1 { "" } else { "s" },
        if reps == 1 { "pooled figure" } else { "conservative end of the 95% CI" },
        pct(tolerance),
    );
    // Probes in value order.
    let mut order: Vec<usize> = (0..probes.len()).collect();
    order.sort_by(|a, b| probes[*a].value.total_cmp(&probes[*b].value));
    let mut header = vec![key.to_string()];
    for o in objectives {
        header.push(o.figure.name().to_string());
        header.push("95% CI".into());
    }
    header.extend(["req/s", "bottleneck", "meets"].map(String::from));
    let rows: Vec<Vec<String>> = order
        .iter()
        .map(|&i| {
            let p = &probes[i];
            let mut r = vec![fmt_value(p.value, integer)];
            for (o, (v, ci, _)) in objectives.iter().zip(&p.figures) {
                r.push(v.map_or("-".into(), |v| o.figure.show(v)));
                r.push(ci.map_or("-".into(), |[a, b]| {
                    format!("{} .. {}", o.figure.show(a), o.figure.show(b))
                }));
            }
            match &p.result {
                Ok(res) => {
                    r.push(format!("{:.1}", res.throughput_rps));
                    r.push(bottleneck(res).map_or("-".into(), |b| b.1));
                }
                Err(_) => {
                    r.push("overload".into());
                    r.push("-".into());
                }
            }
            r.push(if p.meets { "yes" } else { "no" }.into());
            r
        })
        .collect();
    text.push_str(&table::render(&header, &rows, 0));
    text.push('\n');
    let found = lo.map(|i| &probes[i]);
    let failed = hi.map(|i| &probes[i]);
    // The component that saturates first: the bottleneck where the objective first fails
    // (or, if that run overloaded, at the capacity).
    let neck = failed
        .and_then(|p| p.result.as_ref().ok())
        .and_then(bottleneck)
        .or_else(|| {
            found
                .and_then(|p| p.result.as_ref().ok())
                .and_then(bottleneck)
        });
    let util_at = |p: Option<&Probe>, name: &str| -> Option<f64> {
        p.and_then(|p| p.result.as_ref().ok())
            .and_then(|r| r.components.get(name))
            .and_then(|c| c.utilization)
    };
    let code = match (found, failed) {
        (Some(f), Some(h)) => {
            text.push_str(&format!(
                "capacity    {key} = {} meets the objective; {} does not\n",
                fmt_value(f.value, integer),
                fmt_value(h.value, integer)
            ));
            crate::EXIT_OK
        }
        (Some(f), None) => {
            text.push_str(&format!(
                "capacity    {key} = {} meets the objective, the largest value tried; the search stopped without a failing load\n",
                fmt_value(f.value, integer)
            ));
            crate::EXIT_OK
        }
        (None, h) => {
            text.push_str(&format!(
                "capacity    no value of {key} meets the objective (tried down to {})\n",
                h.map_or("-".into(), |p| fmt_value(p.value, integer))
            ));
            EXIT_FAILURE
        }
    };
    if let Some((name, _)) = &neck {
        let at = |p: Option<&Probe>| {
            util_at(p, name).map(|u| {
                format!(
                    "{} at {}",
                    pct(u),
                    fmt_value(p.map_or(0.0, |p| p.value), integer)
                )
            })
        };
        let parts: Vec<String> = [at(found), at(failed)].into_iter().flatten().collect();
        text.push_str(&format!(
            "saturates   {name}{}\n",
            if parts.is_empty() {
                String::new()
            } else {
                format!(" (utilization {})", parts.join(", "))
            }
        ));
    }
    let probe_json = |p: &Probe| {
        let figs: serde_json::Map<String, serde_json::Value> = objectives
            .iter()
            .zip(&p.figures)
            .map(|(o, (v, ci, b))| {
                (
                    o.figure.name().to_string(),
                    serde_json::json!({"value": v, "ci95": ci, "judged": b, "limit": o.limit}),
                )
            })
            .collect();
        serde_json::json!({
            "value": p.value,
            "meets": p.meets,
            "figures": figs,
            "throughput_rps": p.result.as_ref().ok().map(|r| r.throughput_rps),
            "bottleneck": p.result.as_ref().ok().map(table::bottleneck_json),
            "error": p.result.as_ref().err(),
        })
    };
    let emitted = emit(
        out,
        &text,
        || {
            serde_json::json!({
                "scenario": base.name,
                "file": base.file,
                "key": key,
                "slo": slo_text,
                "tolerance": tolerance,
                "replications": reps,
                "capacity": found.map(|p| p.value),
                "fails_at": failed.map(|p| p.value),
                "saturates": neck.as_ref().map(|n| n.0.clone()),
                "probes": order.iter().map(|&i| probe_json(&probes[i])).collect::<Vec<_>>(),
                "result": found.and_then(|p| p.result.as_ref().ok()),
            })
        },
        || {
            let mut h = vec![key.to_string(), "meets".to_string()];
            h.extend(table::figure_csv_header());
            let mut c = table::csv_line(&h);
            for &i in &order {
                let p = &probes[i];
                let mut r = vec![p.value.to_string(), p.meets.to_string()];
                match &p.result {
                    Ok(res) => r.extend(table::figure_csv(res)),
                    Err(_) => r.extend(vec![String::new(); table::figure_csv_header().len()]),
                }
                c.push_str(&table::csv_line(&r));
            }
            c
        },
        || {
            crate::report::capacity_html(
                &base.name,
                key,
                &order
                    .iter()
                    .map(|&i| {
                        (
                            probes[i].value,
                            probes[i].result.as_ref().ok(),
                            probes[i].meets,
                        )
                    })
                    .collect::<Vec<_>>(),
                objectives
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
