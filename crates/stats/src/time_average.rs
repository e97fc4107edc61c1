//! A time-weighted average and maximum of an integer level, clipped to the measured window,
//! with its integral per series bucket: utilization, queue length, instances.

use crate::recorder::Window;

/// A time-weighted average and maximum of an integer level (busy cores, queue length),
/// clipped to a window; optionally also its integral over each series bucket.
///
/// Changes come often (twice per request at each instance), so a change costs one
/// comparison, one multiply-add and one `max` while the level stays between two
/// *boundaries*: the window's start and end and the series buckets' ends. Crossing one
/// closes the running integral and hands it to the bucket and (inside the window) to the
/// window's figures.
#[derive(Clone, Debug)]
pub struct TimeAverage {
    start: u64,
    end: u64,
    last_t: u64,
    value: u64,
    /// Integral of the level over the window, in level x nanoseconds (complete after
    /// [`TimeAverage::finish`]).
    pub area: u128,
    /// Largest level the window saw (complete after [`TimeAverage::finish`]).
    pub max: u64,
    /// Series bucket width (`u64::MAX`: no series).
    interval: u64,
    /// End of the bucket that holds `last_t`.
    bucket_end: u64,
    /// The last boundary crossed (0 at first).
    seg_start: u64,
    /// The next boundary: none lies in `(seg_start, next)`.
    next: u64,
    /// Integral of the level from `seg_start` to `last_t`.
    acc: u128,
    /// Largest level since `seg_start` (the level held across it included).
    seg_max: u64,
    /// Integral of the level from the current bucket's start to `seg_start`.
    bucket_area: u128,
    /// Integral of the level over each earlier bucket (from time zero, whole run).
    buckets: Vec<u128>,
}

impl TimeAverage {
    /// A level of zero from time zero, measured over `[start, end)`.
    pub fn new(w: Window) -> Self {
        Self::with_interval(w, u64::MAX)
    }
    /// As [`TimeAverage::new`], also integrating the level over every series bucket of
    /// `interval_ns` from time zero (see [`TimeAverage::bucket_areas`]).
    pub fn with_series(w: Window, interval_ns: u64) -> Self {
        Self::with_interval(w, interval_ns.max(1))
    }
    fn with_interval(w: Window, interval: u64) -> Self {
        let mut a = Self {
            start: w.warmup_ns,
            end: w.end_ns,
            last_t: 0,
            value: 0,
            area: 0,
            max: 0,
            interval,
            bucket_end: interval,
            seg_start: 0,
            next: 0,
            acc: 0,
            seg_max: 0,
            bucket_area: 0,
            buckets: Vec::new(),
        };
        a.next = a.boundary_after(0);
        a
    }
    /// The first boundary (window start or end, bucket end) after `t`; `u64::MAX` if none.
    fn boundary_after(&self, t: u64) -> u64 {
        [self.bucket_end, self.start, self.end]
            .into_iter()
            .filter(|&b| b > t)
            .min()
            .unwrap_or(u64::MAX)
    }
    /// The current level.
    #[inline]
    pub fn value(&self) -> u64 {
        self.value
    }
    /// The level changes to `v` at time `t_ns` (times must not decrease).
    #[inline(always)]
    pub fn set(&mut self, t_ns: u64, v: u64) {
        if t_ns < self.next {
            self.acc += self.value as u128 * t_ns.saturating_sub(self.last_t) as u128;
            self.seg_max = self.seg_max.max(v);
        } else {
            self.cross(t_ns, v);
        }
        self.last_t = t_ns;
        self.value = v;
    }
    /// Closes the running integral at every boundary up to `t_ns` (at the old level), then
    /// starts the next one with the change to `v`.
    #[cold]
    #[inline(never)]
    fn cross(&mut self, t_ns: u64, v: u64) {
        let level = self.value as u128;
        while self.next <= t_ns {
            let b = self.next;
            let seg = self.acc + level * b.saturating_sub(self.last_t) as u128;
            if self.in_window() {
                self.area += seg;
                self.max = self.max.max(self.seg_max);
            }
            if b == self.bucket_end {
                self.buckets.push(self.bucket_area + seg);
                self.bucket_area = 0;
                self.bucket_end = b.saturating_add(self.interval);
            } else {
                self.bucket_area += seg;
            }
            self.acc = 0;
            self.last_t = b;
            self.seg_start = b;
            self.seg_max = self.value;
            if b == u64::MAX {
                break;
            }
            self.next = self.boundary_after(b);
        }
        self.acc = level * t_ns.saturating_sub(self.last_t) as u128;
        // The old level counts if it was held for some time after the boundary.
        self.seg_max = if t_ns == self.seg_start {
            v
        } else {
            self.seg_max.max(v)
        };
    }
    /// Whether the running segment lies in the window (boundaries split it at both ends).
    fn in_window(&self) -> bool {
        self.seg_start >= self.start && self.seg_start < self.end
    }
    /// Closes the integral at `t_ns` (call once, at the end of the run).
    pub fn finish(&mut self, t_ns: u64) {
        self.set(t_ns, self.value);
        if self.in_window() {
            self.area += self.acc;
            self.max = self.max.max(self.seg_max);
        }
    }
    /// The integral of the level over each series bucket up to the last change (the last
    /// one partial), in level x nanoseconds; empty without a series.
    pub fn bucket_areas(&self) -> impl Iterator<Item = u128> + '_ {
        let series = self.interval != u64::MAX;
        self.buckets
            .iter()
            .copied()
            .chain(std::iter::once(self.bucket_area + self.acc))
            .filter(move |_| series)
    }
    /// Adds [`TimeAverage::bucket_areas`] into `out`, element by element (growing it).
    pub fn add_bucket_areas(&self, out: &mut Vec<u128>) {
        for (i, a) in self.bucket_areas().enumerate() {
            if i == out.len() {
                out.push(0);
            }
            out[i] += a;
        }
    }
}

/// Edge cases outside the ranges of the proptest above: times near `u64::MAX`, a window
/// that ends before the warm-up, several boundaries at one instant.
#[cfg(test)]
mod time_average_edges {
    use super::*;

    #[test]
    fn times_near_the_end_of_u64_neither_panic_nor_loop() {
        let m = u64::MAX;
        let w = Window {
            warmup_ns: m - 100,
            end_ns: m - 10,
        };
        // Four buckets, the last one ending at u64::MAX (saturated).
        let mut a = TimeAverage::with_series(w, m / 4);
        a.set(5, 3);
        a.set(m - 50, 7); // held for no time: counts for the maximum only
        a.set(m - 50, 2);
        a.set(m, 1);
        a.finish(m);
        // [m-100, m-50) at 3, [m-50, m-10) at 2.
        assert_eq!(a.area, 3 * 50 + 2 * 40);
        assert_eq!(a.max, 7);
        let b: Vec<u128> = a.bucket_areas().collect();
        let i = (m / 4) as u128;
        assert_eq!(&b[..4], &[3 * (i - 5), 3 * i, 3 * i, 3 * (i - 47) + 2 * 47]);
        // The last bucket, [4i, m) = [m-3, m), at 2.
        assert_eq!(b[4], 6);
        let mut plain = TimeAverage::new(w);
        plain.set(m - 20, 5);
        plain.finish(m);
        assert_eq!((plain.area, plain.max), (5 * 10, 5));
    }

    #[test]
    fn a_window_ending_before_the_warm_up_measures_nothing() {
        let w = Window {
            warmup_ns: 50,
            end_ns: 20,
        };
        let mut a = TimeAverage::with_series(w, 1000);
        a.set(10, 4);
        a.set(30, 9);
        a.finish(100);
        assert_eq!((a.area, a.max), (0, 0));
        // The series still covers the run: [10, 30) at 4, [30, 100) at 9.
        assert_eq!(a.bucket_areas().collect::<Vec<_>>(), [4 * 20 + 9 * 70]);
    }

    #[test]
    fn a_change_on_a_bucket_end_and_the_window_start_at_once() {
        // The window starts where the second bucket starts; the level changes there twice.
        let w = Window {
            warmup_ns: 10,
            end_ns: 30,
        };
        let mut a = TimeAverage::with_series(w, 10);
        a.set(4, 8);
        a.set(10, 5);
        a.set(10, 1);
        a.set(30, 6); // on the window end and a bucket end: outside the window
        a.finish(30);
        assert_eq!(a.area, 20);
        assert_eq!(a.max, 5);
        assert_eq!(a.bucket_areas().collect::<Vec<_>>(), [8 * 6, 10, 10, 0]);
    }
}
