//! A small log-linear histogram for the time series: one per series bucket, so it must be
//! cheap to record into and to merge.
//!
//! Values (microseconds) below 64 are counted exactly; above, each power of two is split into
//! 32 sub-buckets, so a reported quantile is within 1/32 (3%) of the true value, which is
//! plenty for a p99 per series interval. Recording is a leading-zeros count, a shift and an
//! increment, several times cheaper than a full HdrHistogram record; the headline figures keep
//! HdrHistogram's 3 significant digits.

const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS; // 32 sub-buckets per power of two
const EXACT: u64 = 2 * SUB as u64; // 0..64 counted exactly

/// A log-linear histogram of `u64` values.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogHist {
    counts: Vec<u32>,
    total: u64,
}

#[inline]
fn index(v: u64) -> usize {
    index_with(v, SUB_BITS)
}

/// The bucket of `v` with `2^bits` sub-buckets per power of two (values below `2^(bits+1)`
/// counted exactly).
#[inline]
pub(crate) fn index_with(v: u64, bits: u32) -> usize {
    let exact = 2u64 << bits;
    if v < exact {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= bits + 1
    let shift = exp - bits;
    let sub = ((v >> shift) as usize) & ((1 << bits) - 1);
    exact as usize + (exp as usize - (bits as usize + 1)) * (1 << bits) + sub
}

/// The smallest value that maps to bucket `i`, and the largest.
fn bounds(i: usize) -> (u64, u64) {
    if i < EXACT as usize {
        return (i as u64, i as u64);
    }
    let k = i - EXACT as usize;
    let exp = (k / SUB) as u32 + SUB_BITS + 1;
    let sub = (k % SUB) as u64;
    let shift = exp - SUB_BITS;
    let lo = (1u64 << exp) | (sub << shift);
    (lo, lo + ((1u64 << shift) - 1))
}

impl LogHist {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }
    /// Records one value.
    #[inline]
    pub fn record(&mut self, v: u64) {
        let i = index(v);
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] = self.counts[i].saturating_add(1);
        self.total += 1;
    }
    /// Number of values recorded.
    pub fn len(&self) -> u64 {
        self.total
    }
    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
    /// Adds another histogram's counts.
    pub fn merge(&mut self, o: &LogHist) {
        if self.counts.len() < o.counts.len() {
            self.counts.resize(o.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a = a.saturating_add(*b);
        }
        self.total += o.total;
    }
    /// The buckets that hold values, in increasing order: (smallest value, largest value,
    /// count). A bucket's values lie within 1/32 of each other (exact below 64).
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| {
                let (lo, hi) = bounds(i);
                (lo, hi, *c as u64)
            })
    }
    /// The value at quantile `q` (the midpoint of its bucket), `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            seen += *c as u64;
            if seen >= rank {
                let (lo, hi) = bounds(i);
                return Some(lo as f64 / 2.0 + hi as f64 / 2.0);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_tile_the_line() {
        let mut prev_hi = None;
        for i in 0..=index(u64::MAX) {
            let (lo, hi) = bounds(i);
            if let Some(p) = prev_hi {
                assert_eq!(lo, p + 1, "bucket {i}");
            }
            assert_eq!(index(lo), i);
            assert_eq!(index(hi), i);
            prev_hi = Some(hi);
        }
    }

    #[test]
    fn quantiles_are_within_three_percent() {
        let mut h = LogHist::new();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        for q in [0.5, 0.9, 0.99, 0.999] {
            let got = h.quantile(q).unwrap();
            let want = q * 100_000.0;
            assert!((got - want).abs() / want < 0.032, "q{q}: {got} vs {want}");
        }
        assert_eq!(LogHist::new().quantile(0.5), None);
    }

    #[test]
    fn buckets_list_the_counts_in_order() {
        let mut h = LogHist::new();
        for v in [3, 3, 1000, 1001, 5000] {
            h.record(v);
        }
        let b: Vec<_> = h.buckets().collect();
        assert_eq!(b, [(3, 3, 2), (992, 1007, 2), (4992, 5119, 1)]);
        assert_eq!(b.iter().map(|x| x.2).sum::<u64>(), h.len());
    }
}
