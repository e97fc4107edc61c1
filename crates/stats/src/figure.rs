//! A component's counts and the figures derived from them.
//!
//! A component reports its counts by name ([`Counters`], [`SeriesSet`]) and declares, where it
//! reports them, the figures the result shows ([`Figure`]: a ratio, a mean, a rate, a series
//! as it is). Replications pool the counts exactly (each name once, values added); the
//! figures are computed here, once, from the pooled counts, so a pooled ratio is the ratio of
//! pooled counts by construction. Nothing in this crate knows a kind's counter names: a new
//! figure is a declaration beside the counters it reads.
//!
//! ```
//! use archsim_stats::{Counters, Figure, Figures};
//!
//! // One replication of a cache...
//! let mut a = Counters::new();
//! a.insert("hits", 90);
//! a.insert("misses", 10);
//! // ...and another.
//! let mut b = Counters::new();
//! b.insert("hits", 10);
//! b.insert("misses", 90);
//! a.merge(&b);
//! let mut figures = Figures::default();
//! figures.declare(Figure::ratio("hit_ratio", "hits", &["hits", "misses"]));
//! let hit_ratio = figures.iter().next().unwrap();
//! // The pooled ratio is 100 hits over 200 lookups, not the mean of 0.9 and 0.1.
//! assert_eq!(hit_ratio.value(&a, 0.0), Some(Some(0.5)));
//! ```

use serde::{Deserialize, Serialize};

/// Counts by name, each name once, in the order first reported.
///
/// A name is reported once per component ([`Counters::insert`], checked in debug builds): a
/// name reported twice would be pooled twice. Counts that several sources add into (the
/// call policies of one caller, the instances of a custom component) use [`Counters::add`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<(String, u64)>", into = "Vec<(String, u64)>")]
pub struct Counters(Vec<(String, u64)>);

impl Counters {
    /// No counters.
    pub fn new() -> Self {
        Self::default()
    }
    /// Reports counter `name` with `value`. The name must be new here (a debug build panics
    /// otherwise; a release build adds the value to the existing counter).
    pub fn insert(&mut self, name: impl Into<String>, value: u64) {
        let name = name.into();
        debug_assert!(
            self.get(&name).is_none(),
            "counter `{name}` reported twice: it would be pooled twice"
        );
        self.add(&name, value);
    }
    /// Adds `value` to counter `name`, which starts at 0 if new.
    pub fn add(&mut self, name: &str, value: u64) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v += value,
            None => self.0.push((name.to_string(), value)),
        }
    }
    /// The value of counter `name`.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
    /// The counters in the order first reported.
    pub fn iter(&self) -> std::slice::Iter<'_, (String, u64)> {
        self.0.iter()
    }
    /// How many counters.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// No counters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Pools another replication's counters: values of one name add; names new here come
    /// after the others, in `o`'s order.
    pub fn merge(&mut self, o: &Counters) {
        for (name, v) in &o.0 {
            self.add(name, *v);
        }
    }
}

impl From<Vec<(String, u64)>> for Counters {
    /// Counters from (name, value) pairs; a name given twice adds up.
    fn from(v: Vec<(String, u64)>) -> Self {
        let mut c = Counters::new();
        for (name, value) in v {
            c.add(&name, value);
        }
        c
    }
}

impl From<Counters> for Vec<(String, u64)> {
    fn from(c: Counters) -> Self {
        c.0
    }
}

impl Extend<(String, u64)> for Counters {
    /// Reports each counter as [`Counters::insert`] does.
    fn extend<I: IntoIterator<Item = (String, u64)>>(&mut self, iter: I) {
        for (name, value) in iter {
            self.insert(name, value);
        }
    }
}

impl<'a> IntoIterator for &'a Counters {
    type Item = &'a (String, u64);
    type IntoIter = std::slice::Iter<'a, (String, u64)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Time series by name (one value per series bucket), each name once, in the order first
/// reported; pooling adds them bucket by bucket. A series shows in the result only through a
/// figure ([`Figure::series`], [`Figure::series_ratio`], [`Figure::series_rate`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<(String, Vec<f64>)>", into = "Vec<(String, Vec<f64>)>")]
pub struct SeriesSet(Vec<(String, Vec<f64>)>);

impl SeriesSet {
    /// Reports series `name`. The name must be new here (a debug build panics otherwise; a
    /// release build adds it to the existing series).
    pub fn insert(&mut self, name: impl Into<String>, values: Vec<f64>) {
        let name = name.into();
        debug_assert!(
            self.get(&name).is_none(),
            "series `{name}` reported twice: it would be pooled twice"
        );
        self.add(&name, &values);
    }
    /// Adds `values` to series `name` bucket by bucket (growing it), new if absent.
    fn add(&mut self, name: &str, values: &[f64]) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, mine)) => {
                if mine.len() < values.len() {
                    mine.resize(values.len(), 0.0);
                }
                for (a, b) in mine.iter_mut().zip(values) {
                    *a += b;
                }
            }
            None => self.0.push((name.to_string(), values.to_vec())),
        }
    }
    /// The series `name`.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
    /// The series in the order first reported.
    pub fn iter(&self) -> std::slice::Iter<'_, (String, Vec<f64>)> {
        self.0.iter()
    }
    /// No series.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Pools another replication's series: one name's values add bucket by bucket.
    pub fn merge(&mut self, o: &SeriesSet) {
        for (name, v) in &o.0 {
            self.add(name, v);
        }
    }
}

impl From<Vec<(String, Vec<f64>)>> for SeriesSet {
    /// Series from (name, values) pairs; a name given twice adds up.
    fn from(v: Vec<(String, Vec<f64>)>) -> Self {
        let mut s = SeriesSet::default();
        for (name, values) in v {
            s.add(&name, &values);
        }
        s
    }
}

impl From<SeriesSet> for Vec<(String, Vec<f64>)> {
    fn from(s: SeriesSet) -> Self {
        s.0
    }
}

impl Extend<(String, Vec<f64>)> for SeriesSet {
    /// Reports each series as [`SeriesSet::insert`] does.
    fn extend<I: IntoIterator<Item = (String, Vec<f64>)>>(&mut self, iter: I) {
        for (name, values) in iter {
            self.insert(name, values);
        }
    }
}

/// How a figure is computed from the pooled counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Rule {
    /// Counter `num` over the sum of counters `den`; `null` when that sum is 0. With
    /// `unless_zero`, no figure at all while `num` is 0.
    Ratio {
        num: String,
        den: Vec<String>,
        unless_zero: bool,
    },
    /// Counter `total` over counter `count`, divided by `unit`; `null` when `count` is 0.
    Mean {
        total: String,
        count: String,
        unit: f64,
    },
    /// Counter `area` (a level integrated over the measured window, in level x 1/`unit`
    /// seconds) divided by `unit` and by the measured seconds (pooled over replications):
    /// the level's mean; `null` without a measured window.
    TimeMean { area: String, unit: f64 },
    /// Series `of`, per replication.
    Series { of: String },
    /// Per bucket, series `num` over the sum of series `den`; `null` where that sum is 0.
    SeriesRatio { num: String, den: Vec<String> },
    /// Series `of` per second of each bucket's width, per replication.
    SeriesRate { of: String },
}

/// A figure a component declares beside the counters it reads, computed after pooling.
///
/// Scalar figures ([`Figure::ratio`], [`Figure::mean`], [`Figure::time_mean`]) come after the
/// component's counters in the result, by [`Figure::order`] and then in the order declared;
/// series figures ([`Figure::series`], ...) come after the common series, in the order
/// declared. A counter or series that only feeds figures is reported among the hidden inputs
/// (`ComponentStats::inputs`, or a series without a [`Figure::series`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    name: String,
    rule: Rule,
    /// Place among the component's scalar figures (0 first).
    order: u8,
    /// Label in the summary's utilization column for a component without utilization.
    summary: Option<String>,
    /// A series figure the HTML report draws over time, on the chart it names.
    #[serde(default)]
    chart: Option<Chart>,
}

/// A chart a series figure is drawn on in the HTML report: every component that declares a
/// series for the same chart is a line on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// The chart's id in the page.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What its vertical axis shows.
    pub y_label: String,
    /// The top of the vertical axis, where the series has one (1 for a ratio).
    pub y_max: Option<f64>,
}

impl Figure {
    fn new(name: &str, rule: Rule) -> Self {
        Self {
            name: name.to_string(),
            rule,
            order: 0,
            summary: None,
            chart: None,
        }
    }
    /// `name` = counter `num` / (sum of counters `den`), `null` when that sum is 0:
    /// `Figure::ratio("hit_ratio", "hits", &["hits", "misses"])`.
    pub fn ratio(name: &str, num: &str, den: &[&str]) -> Self {
        Self::new(
            name,
            Rule::Ratio {
                num: num.to_string(),
                den: den.iter().map(|d| d.to_string()).collect(),
                unless_zero: false,
            },
        )
    }
    /// A ratio that is left out of the result while its numerator is 0 (pooled).
    pub fn unless_zero(mut self) -> Self {
        if let Rule::Ratio { unless_zero, .. } = &mut self.rule {
            *unless_zero = true;
        }
        self
    }
    /// `name` = counter `total` / counter `count` / `unit`, `null` when `count` is 0:
    /// `Figure::mean("lag_ms_mean", "lag_us_total", "lag_samples", 1e3)` (microseconds
    /// summed, milliseconds shown).
    pub fn mean(name: &str, total: &str, count: &str, unit: f64) -> Self {
        Self::new(
            name,
            Rule::Mean {
                total: total.to_string(),
                count: count.to_string(),
                unit,
            },
        )
    }
    /// `name` = counter `area` / `unit` / measured seconds: the mean level of something
    /// whose integral over the measured window is `area`, counted in level x 1/`unit`
    /// seconds (`unit` 1e3 for level x milliseconds); `null` without a measured window.
    pub fn time_mean(name: &str, area: &str, unit: f64) -> Self {
        Self::new(
            name,
            Rule::TimeMean {
                area: area.to_string(),
                unit,
            },
        )
    }
    /// Series `name` as reported, averaged over replications.
    pub fn series(name: &str) -> Self {
        Self::new(
            name,
            Rule::Series {
                of: name.to_string(),
            },
        )
    }
    /// Series `name` = per bucket, series `num` / (sum of series `den`), `null` where that
    /// sum is 0 (pooled over replications, so a ratio of pooled counts).
    pub fn series_ratio(name: &str, num: &str, den: &[&str]) -> Self {
        Self::new(
            name,
            Rule::SeriesRatio {
                num: num.to_string(),
                den: den.iter().map(|d| d.to_string()).collect(),
            },
        )
    }
    /// Series `name` = series `of` per second of the bucket width, per replication.
    pub fn series_rate(name: &str, of: &str) -> Self {
        Self::new(name, Rule::SeriesRate { of: of.to_string() })
    }
    /// Places a scalar figure among the component's figures: lower orders first, then the
    /// order declared (default 0). It keeps a figure where results have always shown it,
    /// whatever order the reporting code declares it in.
    pub fn order(mut self, order: u8) -> Self {
        self.order = order;
        self
    }
    /// Shows this ratio, as `LABEL 95.0%`, in the summary's utilization column when the
    /// component has no utilization of its own (a cache's `hit`).
    pub fn in_summary(mut self, label: &str) -> Self {
        self.summary = Some(label.to_string());
        self
    }
    /// Draws this series figure over time in the HTML report, as a line on `chart`.
    pub fn charted(mut self, chart: Chart) -> Self {
        self.chart = Some(chart);
        self
    }
    /// The chart set by [`Figure::charted`].
    pub fn chart(&self) -> Option<&Chart> {
        self.chart.as_ref()
    }
    /// The figure's name (its key in the result).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Whether it is a time series (else a single value).
    pub fn is_series(&self) -> bool {
        matches!(
            self.rule,
            Rule::Series { .. } | Rule::SeriesRatio { .. } | Rule::SeriesRate { .. }
        )
    }
    /// The summary label set by [`Figure::in_summary`].
    pub fn summary_label(&self) -> Option<&str> {
        self.summary.as_deref()
    }
    /// The scalar order set by [`Figure::order`].
    pub fn place(&self) -> u8 {
        self.order
    }
    /// The counters (or series) this figure reads.
    pub fn inputs(&self) -> Vec<&str> {
        match &self.rule {
            Rule::Ratio { num, den, .. } | Rule::SeriesRatio { num, den } => {
                std::iter::once(num.as_str())
                    .chain(den.iter().map(String::as_str))
                    .collect()
            }
            Rule::Mean { total, count, .. } => vec![total, count],
            Rule::TimeMean { area, .. } => vec![area],
            Rule::Series { of } | Rule::SeriesRate { of } => vec![of],
        }
    }
    /// A scalar figure's value from pooled counters (`window_s`: the measured seconds pooled
    /// over replications): `None` when it is left out (a missing input, a zero numerator
    /// with [`Figure::unless_zero`], or a series figure), `Some(None)` when undefined
    /// (`null`: nothing to divide by).
    pub fn value(&self, counters: &Counters, window_s: f64) -> Option<Option<f64>> {
        let get = |n: &str| counters.get(n);
        match &self.rule {
            Rule::Ratio {
                num,
                den,
                unless_zero,
            } => {
                let n = get(num)?;
                let d = den.iter().map(|d| get(d)).sum::<Option<u64>>()?;
                if *unless_zero && n == 0 {
                    return None;
                }
                Some((d > 0).then(|| n as f64 / d as f64))
            }
            Rule::Mean { total, count, unit } => {
                let (t, n) = (get(total)?, get(count)?);
                Some((n > 0).then(|| t as f64 / n as f64 / unit))
            }
            Rule::TimeMean { area, unit } => {
                let a = get(area)?;
                Some((window_s > 0.0).then(|| a as f64 / unit / window_s))
            }
            Rule::Series { .. } | Rule::SeriesRatio { .. } | Rule::SeriesRate { .. } => None,
        }
    }
    /// A series figure's values from pooled series (`reps` replications, buckets
    /// `interval_s` wide): `None` for a scalar figure or a missing input.
    pub fn series_values(
        &self,
        series: &SeriesSet,
        reps: f64,
        interval_s: f64,
    ) -> Option<Vec<Option<f64>>> {
        match &self.rule {
            Rule::Series { of } => Some(series.get(of)?.iter().map(|x| Some(x / reps)).collect()),
            Rule::SeriesRate { of } => {
                let per_s = interval_s * reps;
                Some(series.get(of)?.iter().map(|x| Some(x / per_s)).collect())
            }
            Rule::SeriesRatio { num, den } => {
                let num = series.get(num)?;
                let den = den
                    .iter()
                    .map(|d| series.get(d))
                    .collect::<Option<Vec<&[f64]>>>()?;
                let n = den.iter().map(|d| d.len()).fold(num.len(), usize::min);
                Some(
                    (0..n)
                        .map(|b| {
                            let d: f64 = den.iter().map(|d| d[b]).sum();
                            (d > 0.0).then(|| num[b] / d)
                        })
                        .collect(),
                )
            }
            Rule::Ratio { .. } | Rule::Mean { .. } | Rule::TimeMean { .. } => None,
        }
    }
}

/// The figures a component declares, each name once, in the order declared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Figures(Vec<Figure>);

impl Figures {
    /// Declares `f`. Declaring the same figure again is a no-op (several call policies of
    /// one caller declare theirs); another figure under a taken name is a mistake (a debug
    /// build panics; a release build keeps the first). A scalar and a series figure may
    /// share a name (a cache's `hit_ratio` over the run and per bucket).
    pub fn declare(&mut self, f: Figure) {
        match self
            .0
            .iter()
            .find(|g| g.name == f.name && g.is_series() == f.is_series())
        {
            Some(g) => debug_assert!(
                *g == f,
                "figure `{}` declared twice, differently: {g:?} and {f:?}",
                f.name
            ),
            None => self.0.push(f),
        }
    }
    /// The figures in the order declared.
    pub fn iter(&self) -> std::slice::Iter<'_, Figure> {
        self.0.iter()
    }
    /// The scalar figures in the order the result lists them: by [`Figure::order`], then
    /// as declared.
    pub fn scalars(&self) -> Vec<&Figure> {
        let mut v: Vec<&Figure> = self.0.iter().filter(|f| !f.is_series()).collect();
        v.sort_by_key(|f| f.order);
        v
    }
    /// The series figures in the order declared.
    pub fn series(&self) -> impl Iterator<Item = &Figure> {
        self.0.iter().filter(|f| f.is_series())
    }
    /// Pools another replication's declarations: the figures not declared here yet are added.
    pub fn merge(&mut self, o: &Figures) {
        for f in &o.0 {
            self.declare(f.clone());
        }
    }
}

impl Extend<Figure> for Figures {
    /// Declares each figure as [`Figures::declare`] does.
    fn extend<I: IntoIterator<Item = Figure>>(&mut self, iter: I) {
        for f in iter {
            self.declare(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(pairs: &[(&str, u64)]) -> Counters {
        let mut c = Counters::new();
        for (n, v) in pairs {
            c.insert(*n, *v);
        }
        c
    }

    #[test]
    fn a_ratio_pooled_over_two_replications_is_the_ratio_of_sums() {
        let mut a = counters(&[("hits", 9), ("misses", 1)]);
        let b = counters(&[("hits", 1), ("misses", 29)]);
        let f = Figure::ratio("hit_ratio", "hits", &["hits", "misses"]);
        assert_eq!(f.value(&a, 1.0), Some(Some(0.9)));
        a.merge(&b);
        assert_eq!(a.get("hits"), Some(10));
        assert_eq!(a.get("misses"), Some(30));
        // 10 / 40, not the mean of 0.9 and 1/30.
        assert_eq!(f.value(&a, 1.0), Some(Some(0.25)));
    }

    #[test]
    fn an_undefined_ratio_is_null_and_a_missing_input_leaves_it_out() {
        let c = counters(&[("hits", 0), ("misses", 0), ("hedges", 0), ("calls", 0)]);
        let f = Figure::ratio("hit_ratio", "hits", &["hits", "misses"]);
        assert_eq!(f.value(&c, 1.0), Some(None));
        let missing = Figure::ratio("r", "hits", &["lookups"]);
        assert_eq!(missing.value(&c, 1.0), None);
        // Left out while the numerator is 0, null while the denominator is.
        let hedge = Figure::ratio("extra", "hedges", &["calls"]).unless_zero();
        assert_eq!(hedge.value(&c, 1.0), None);
        let c = counters(&[("hedges", 3), ("calls", 0)]);
        assert_eq!(hedge.value(&c, 1.0), Some(None));
    }

    #[test]
    fn means_divide_by_count_and_unit_and_time_means_by_the_window() {
        let c = counters(&[("lag_us", 3_000), ("n", 2), ("inst_ms", 6_000), ("zero", 0)]);
        let m = Figure::mean("lag_ms_mean", "lag_us", "n", 1e3);
        assert_eq!(m.value(&c, 0.0), Some(Some(1.5)));
        assert_eq!(
            Figure::mean("x", "lag_us", "zero", 1e3).value(&c, 0.0),
            Some(None)
        );
        // 6 instance-seconds over 2 measured seconds: 3 instances on average.
        let t = Figure::time_mean("mean_instances", "inst_ms", 1e3);
        assert_eq!(t.value(&c, 2.0), Some(Some(3.0)));
        assert_eq!(t.value(&c, 0.0), Some(None));
    }

    #[test]
    fn series_figures_pool_before_dividing() {
        let mut a = SeriesSet::default();
        a.insert("h", vec![1.0, 0.0, 4.0]);
        a.insert("m", vec![1.0, 0.0, 0.0]);
        let mut b = SeriesSet::default();
        b.insert("h", vec![0.0, 0.0, 2.0, 5.0]);
        b.insert("m", vec![2.0, 0.0, 2.0, 5.0]);
        a.merge(&b);
        assert_eq!(a.get("h"), Some(&[1.0, 0.0, 6.0, 5.0][..]));
        let r = Figure::series_ratio("hit_ratio", "h", &["h", "m"]);
        assert_eq!(
            r.series_values(&a, 2.0, 1.0),
            Some(vec![Some(0.25), None, Some(0.75), Some(0.5)])
        );
        let mean = Figure::series("h");
        assert_eq!(
            mean.series_values(&a, 2.0, 1.0),
            Some(vec![Some(0.5), Some(0.0), Some(3.0), Some(2.5)])
        );
        let rate = Figure::series_rate("h_per_s", "h");
        assert_eq!(
            rate.series_values(&a, 2.0, 0.5),
            Some(vec![Some(1.0), Some(0.0), Some(6.0), Some(5.0)])
        );
        assert_eq!(r.value(&Counters::new(), 1.0), None);
    }

    #[test]
    fn counters_pool_each_name_once() {
        let mut a = counters(&[("x", 1), ("y", 2)]);
        a.add("y", 3);
        let b = counters(&[("z", 7), ("x", 10)]);
        a.merge(&b);
        let got: Vec<(String, u64)> = a.iter().cloned().collect();
        assert_eq!(
            got,
            [("x".into(), 11), ("y".into(), 5), ("z".into(), 7)].to_vec()
        );
        // A list with a name twice reads back as one counter.
        let c = Counters::from(vec![("x".to_string(), 1), ("x".to_string(), 2)]);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get("x"), Some(3));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "reported twice")]
    fn a_counter_reported_twice_is_refused() {
        let mut c = Counters::new();
        c.insert("stale_reads", 1);
        c.insert("stale_reads", 1);
    }

    #[test]
    fn figures_order_by_place_then_declaration_and_declare_once() {
        let mut f = Figures::default();
        f.declare(Figure::ratio("last", "a", &["b"]).order(2));
        f.declare(Figure::series("s"));
        f.declare(Figure::ratio("first", "a", &["b"]));
        f.declare(Figure::ratio("first", "a", &["b"]));
        f.declare(Figure::mean("second", "a", "b", 1.0));
        // A series may share a scalar's name.
        f.declare(Figure::series_ratio("first", "a", &["b"]));
        let names: Vec<&str> = f.scalars().iter().map(|f| f.name()).collect();
        assert_eq!(names, ["first", "second", "last"]);
        assert_eq!(
            f.series().map(|f| f.name()).collect::<Vec<_>>(),
            ["s", "first"]
        );
    }
}
