//! The latency histogram of the headline figures: HdrHistogram (3 significant digits,
//! constant memory) with an exact sum, count and maximum beside it.

use hdrhistogram::Histogram;

/// A latency histogram in nanoseconds (HdrHistogram, 3 significant digits, constant memory)
/// with an exact sum, count and maximum beside it.
#[derive(Clone, Debug)]
pub struct Hist {
    // Serialized in `crate::serial` (HdrHistogram V2, compressed).
    pub(crate) h: Histogram<u64>,
    pub(crate) sum_ns: u128,
    pub(crate) max_ns: u64,
}

impl Default for Hist {
    fn default() -> Self {
        Self::new()
    }
}

impl Hist {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            h: Histogram::new(3).expect("3 significant digits is valid"),
            sum_ns: 0,
            max_ns: 0,
        }
    }
    /// Records one value.
    #[inline]
    pub fn record(&mut self, v_ns: u64) {
        // Auto-resizing: recording cannot fail for any u64.
        let _ = self.h.record(v_ns);
        self.sum_ns += v_ns as u128;
        self.max_ns = self.max_ns.max(v_ns);
    }
    /// Adds another histogram's counts (exact).
    pub fn merge(&mut self, other: &Hist) {
        self.h
            .add(&other.h)
            .expect("auto-resizing histograms always add");
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
    }
    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.h.len()
    }
    /// Exact mean in milliseconds, `None` when empty.
    pub fn mean_ms(&self) -> Option<f64> {
        let n = self.count();
        (n > 0).then(|| self.sum_ns as f64 / n as f64 / 1e6)
    }
    /// The value at quantile `q` in milliseconds (within 0.1%), `None` when empty.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        (self.count() > 0).then(|| {
            let v = self.h.value_at_quantile(q);
            self.h.median_equivalent(v).min(self.max_ns) as f64 / 1e6
        })
    }
    /// Exact maximum in milliseconds, `None` when empty.
    pub fn max_ms(&self) -> Option<f64> {
        (self.count() > 0).then(|| self.max_ns as f64 / 1e6)
    }
    /// The fraction of recorded values at or below `v_ns` (within the histogram's precision).
    pub fn fraction_at_or_below(&self, v_ns: u64) -> f64 {
        let n = self.count();
        if n == 0 {
            return 0.0;
        }
        self.h.count_between(0, v_ns) as f64 / n as f64
    }
}
