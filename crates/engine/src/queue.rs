//! A monotone priority queue of events over `(time, sequence)` keys: a short unordered array
//! while a few events are pending, a radix heap beyond.
//!
//! # Why a radix heap
//!
//! Simulated time never goes backwards: every event scheduled while the simulation runs is at
//! or after the event being handled. A radix heap exploits exactly that. Each key lives in the
//! bucket numbered by the highest bit in which it differs from the last key popped; popping
//! takes the lowest non-empty bucket, finds its minimum by a linear scan and spreads the rest
//! into lower buckets. Every element moves down at most once per bucket level, so the cost is
//! amortized `O(log span)` with sequential, cache-friendly memory access, where a binary heap
//! does `O(log n)` random accesses. With a million pending events the difference is large
//! (see the `engine` benchmark).
//!
//! # Few pending events
//!
//! While at most [`SMALL`] events are pending (an M/M/1 server has two: the next arrival and
//! the next departure) they sit unordered in one short array and a pop scans it for the
//! minimum: a handful of comparisons and no bucket work, cheaper than any heap at that size.
//! The first push beyond [`SMALL`] moves them into the radix heap, which then serves until the
//! queue is empty again.
//!
//! # Order
//!
//! The key is `time << 64 | sequence`, where the sequence is a counter incremented on every
//! push. Keys are therefore unique, events at equal times pop in insertion order, and the order
//! is total.

use crate::SimTime;

const BUCKETS: usize = 129;

/// Pending events held in the unordered array before the radix heap takes over.
const SMALL: usize = 8;

/// A priority queue of events ordered by time, then insertion sequence.
///
/// Pushing a time earlier than the last popped time is allowed (it costs one `O(n)` rebuild),
/// which only happens when events are scheduled from outside a run; handlers never do it.
pub struct EventQueue<E> {
    /// While not `spilled`: every pending event, unordered (at most [`SMALL`]).
    small: Vec<(u128, E)>,
    /// The events are in the radix heap (`buckets` and `front`), not in `small`.
    spilled: bool,
    /// `buckets[b]` holds the keys whose highest bit differing from `last` is bit `b - 1`.
    /// Bucket 0 (keys equal to `last`) holds at most one element, since keys are unique: it
    /// is `front` instead, and `buckets[0]` stays empty.
    buckets: Vec<Vec<(u128, E)>>,
    /// Bit `b` of word `b / 64` is set when `buckets[b]` is non-empty.
    nonempty: [u64; 3],
    /// The element whose key is `last`, once settled: the minimum.
    front: Option<(u128, E)>,
    last: u128,
    len: usize,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// Index of the smallest key (keys are unique).
#[inline]
fn min_index<E>(events: &[(u128, E)]) -> Option<usize> {
    let mut it = events.iter().enumerate();
    let (mut best, &(mut min, _)) = it.next()?;
    for (i, &(k, _)) in it {
        if k < min {
            (best, min) = (i, k);
        }
    }
    Some(best)
}

/// The time part of a key.
#[inline]
fn time_of(key: u128) -> SimTime {
    SimTime((key >> 64) as u64)
}

#[inline]
fn bucket_of(key: u128, last: u128) -> usize {
    (128 - (key ^ last).leading_zeros()) as usize
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self {
            small: Vec::with_capacity(SMALL),
            spilled: false,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            nonempty: [0; 3],
            front: None,
            last: 0,
            len: 0,
            seq: 0,
        }
    }

    /// Number of queued events.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the queue is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `event` at `time`.
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, event: E) {
        let key = ((time.0 as u128) << 64) | self.seq as u128;
        self.seq += 1;
        self.len += 1;
        if !self.spilled {
            if self.small.len() < SMALL {
                return self.small.push((key, event));
            }
            self.spill();
        }
        if key < self.last {
            return self.rebase(key, event);
        }
        // A fresh sequence number makes the key differ from `last`: bucket 1 or above.
        let b = bucket_of(key, self.last);
        self.buckets[b].push((key, event));
        self.nonempty[b >> 6] |= 1 << (b & 63);
    }

    /// Makes `key`, smaller than every queued key, the new `last` and front, and re-buckets
    /// everything else relative to it (only from outside a run).
    #[cold]
    fn rebase(&mut self, key: u128, event: E) {
        let mut all = Vec::with_capacity(self.len);
        all.extend(self.front.take());
        for b in &mut self.buckets {
            all.append(b);
        }
        self.reset_to(key, event, all);
    }

    /// Moves the small array's events into the (empty) radix heap: the smallest becomes
    /// `last` and the front.
    #[cold]
    fn spill(&mut self) {
        debug_assert!(self.front.is_none() && self.nonempty == [0; 3]);
        self.spilled = true;
        let mut small = std::mem::take(&mut self.small);
        if let Some(i) = min_index(&small) {
            let (key, event) = small.swap_remove(i);
            self.reset_to(key, event, small.drain(..));
        }
        self.small = small; // keeps its allocation
    }

    /// With the buckets empty: makes `key` the new `last` and `(key, event)` the front, and
    /// buckets `rest` (all greater) relative to it.
    fn reset_to(&mut self, key: u128, event: E, rest: impl IntoIterator<Item = (u128, E)>) {
        self.last = key;
        self.nonempty = [0; 3];
        for (k, e) in rest {
            let b = bucket_of(k, key);
            self.buckets[b].push((k, e));
            self.nonempty[b >> 6] |= 1 << (b & 63);
        }
        self.front = Some((key, event));
    }

    /// Index of the smallest key in the small array.
    #[inline]
    fn small_min(&self) -> Option<usize> {
        min_index(&self.small)
    }

    /// Takes the small array's event at `i`.
    #[inline]
    fn take_small(&mut self, i: usize) -> (SimTime, E) {
        let (k, e) = self.small.swap_remove(i);
        self.len -= 1;
        (time_of(k), e)
    }

    /// After a pop from the radix heap: back to the small array once it is empty.
    #[inline]
    fn popped(&mut self, k: u128, e: E) -> (SimTime, E) {
        self.len -= 1;
        if self.len == 0 {
            self.spilled = false;
        }
        (time_of(k), e)
    }

    #[inline]
    fn lowest_nonempty(&self) -> Option<usize> {
        for (w, &bits) in self.nonempty.iter().enumerate() {
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
        }
        None
    }

    /// Makes sure the minimum is in `front`; false when the queue is empty.
    #[inline(always)]
    fn settle(&mut self) -> bool {
        self.front.is_some() || self.refill()
    }

    /// Moves the minimum to `front`: takes the lowest non-empty bucket, makes its minimum the
    /// new `last` and spreads the other elements over the (empty) buckets below it.
    #[inline]
    fn refill(&mut self) -> bool {
        let Some(b) = self.lowest_nonempty() else {
            return false;
        };
        self.nonempty[b >> 6] &= !(1 << (b & 63));
        // Every element moves strictly down (keys are unique), so the source bucket and the
        // destinations are disjoint: redistribute in place, keeping every allocation.
        let (lower, upper) = self.buckets.split_at_mut(b);
        let bucket = &mut upper[0];
        if bucket.len() == 1 {
            // The common case near the front of the queue: the element is the minimum.
            let (k, e) = bucket.pop().expect("non-empty");
            self.last = k;
            self.front = Some((k, e));
            return true;
        }
        let min = bucket.iter().map(|(k, _)| *k).min().expect("non-empty");
        self.last = min;
        // Order inside a bucket does not matter (minima are found by scanning).
        while let Some((k, e)) = bucket.pop() {
            if k == min {
                self.front = Some((k, e));
                continue;
            }
            let nb = bucket_of(k, min);
            debug_assert!(0 < nb && nb < b);
            lower[nb].push((k, e));
            self.nonempty[nb >> 6] |= 1 << (nb & 63);
        }
        true
    }

    /// The time of the earliest event, without removing it.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if !self.spilled {
            return self.small_min().map(|i| time_of(self.small[i].0));
        }
        if self.settle() {
            Some(time_of(self.last))
        } else {
            None
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if !self.spilled {
            let i = self.small_min()?;
            return Some(self.take_small(i));
        }
        if !self.settle() {
            return None;
        }
        let (k, e) = self.front.take().expect("settled");
        Some(self.popped(k, e))
    }

    /// Removes and returns the earliest event if it is at or before `end`.
    #[inline]
    pub fn pop_until(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        if !self.spilled {
            let i = self.small_min()?;
            if time_of(self.small[i].0) > end {
                return None;
            }
            return Some(self.take_small(i));
        }
        if self.front.is_none() {
            // Fast path: a lowest bucket holding one element holds the minimum; take it
            // straight out, without a trip through `front`.
            let b = self.lowest_nonempty()?;
            if self.buckets[b].len() == 1 {
                let k = self.buckets[b][0].0;
                if time_of(k) > end {
                    return None;
                }
                let (k, e) = self.buckets[b].pop().expect("one element");
                self.nonempty[b >> 6] &= !(1 << (b & 63));
                self.last = k;
                return Some(self.popped(k, e));
            }
            self.refill();
        }
        if time_of(self.last) > end {
            return None;
        }
        let (k, e) = self.front.take().expect("settled");
        Some(self.popped(k, e))
    }

    /// Removes every event (keeps the allocations and the sequence counter).
    pub fn clear(&mut self) {
        self.small.clear();
        self.spilled = false;
        for b in &mut self.buckets {
            b.clear();
        }
        self.front = None;
        self.nonempty = [0; 3];
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        for i in 0..10u32 {
            q.push(SimTime(5), i);
        }
        q.push(SimTime(1), 99);
        assert_eq!(q.pop(), Some((SimTime(1), 99)));
        for i in 0..10u32 {
            assert_eq!(q.pop(), Some((SimTime(5), i)));
        }
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn push_before_last_after_peek_is_handled() {
        let mut q = EventQueue::new();
        q.push(SimTime(100), 'a');
        assert_eq!(q.peek_time(), Some(SimTime(100)));
        q.push(SimTime(50), 'b');
        assert_eq!(q.pop(), Some((SimTime(50), 'b')));
        assert_eq!(q.pop(), Some((SimTime(100), 'a')));
    }

    #[test]
    fn spills_into_the_radix_heap_and_comes_back_when_empty() {
        let mut q = EventQueue::new();
        let n = SMALL as u64 * 3;
        // Decreasing times: every push is the new minimum, in both modes.
        for i in 0..n {
            q.push(SimTime(1_000 - i), i);
            assert_eq!(q.spilled, i >= SMALL as u64, "after {} pushes", i + 1);
        }
        assert_eq!(q.peek_time(), Some(SimTime(1_000 - (n - 1))));
        for i in (0..n).rev() {
            assert_eq!(q.pop_until(SimTime(2_000)), Some((SimTime(1_000 - i), i)));
        }
        assert!(!q.spilled && q.is_empty());
        // Small again: a later run of a few events, with a tie kept in insertion order.
        q.push(SimTime(5), 1);
        q.push(SimTime(3), 2);
        q.push(SimTime(5), 3);
        assert_eq!(q.pop_until(SimTime(2)), None);
        assert_eq!(q.pop(), Some((SimTime(3), 2)));
        assert_eq!(q.pop(), Some((SimTime(5), 1)));
        assert_eq!(q.pop(), Some((SimTime(5), 3)));
        assert_eq!(q.pop(), None);
        assert!(!q.spilled);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(u64),
        Pop,
        PopUntil(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u64..1_000).prop_map(Op::Push),
            1 => (0u64..u64::MAX / 2).prop_map(Op::Push),
            2 => (0u64..1_500).prop_map(Op::PopUntil),
            3 => Just(Op::Pop),
        ]
    }

    proptest! {
        /// The queue against a naive model: a BTreeMap keyed by (time, sequence). Pushes are
        /// relative to the last popped time, as in a simulation, so time never goes backwards.
        #[test]
        fn matches_naive_model(ops in proptest::collection::vec(op(), 0..400)) {
            let mut q = EventQueue::new();
            let mut model: BTreeMap<(u64, u64), u64> = BTreeMap::new();
            let mut now = 0u64;
            let mut seq = 0u64;
            for op in ops {
                match op {
                    Op::Push(dt) => {
                        let t = now.saturating_add(dt);
                        q.push(SimTime(t), seq);
                        model.insert((t, seq), seq);
                        seq += 1;
                    }
                    Op::PopUntil(dt) => {
                        let end = now.saturating_add(dt);
                        let want = match model.first_key_value() {
                            Some((&(t, _), _)) if t <= end => {
                                model.pop_first().map(|((t, _), v)| (SimTime(t), v))
                            }
                            _ => None,
                        };
                        let got = q.pop_until(SimTime(end));
                        prop_assert_eq!(got, want);
                        if let Some((t, _)) = got {
                            prop_assert!(t.0 >= now, "time went backwards");
                            now = t.0;
                        }
                    }
                    Op::Pop => {
                        let want = model.pop_first().map(|((t, _), v)| (SimTime(t), v));
                        let got = q.pop();
                        prop_assert_eq!(got, want);
                        if let Some((t, _)) = got {
                            prop_assert!(t.0 >= now, "time went backwards");
                            now = t.0;
                        }
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            while let Some(want) = model.pop_first() {
                prop_assert_eq!(q.pop(), Some((SimTime(want.0 .0), want.1)));
            }
            prop_assert!(q.is_empty());
        }

        /// Peeks and pushes at any time (also before the last popped or peeked time, as from
        /// outside a run), with clears, against the naive model.
        #[test]
        fn matches_naive_model_with_any_times(
            ops in proptest::collection::vec((0u8..8, 0u64..64), 0..400)
        ) {
            let mut q = EventQueue::new();
            let mut model: BTreeMap<(u64, u64), u64> = BTreeMap::new();
            let mut seq = 0u64;
            for (kind, t) in ops {
                match kind {
                    0..=3 => {
                        q.push(SimTime(t), seq);
                        model.insert((t, seq), seq);
                        seq += 1;
                    }
                    4 | 5 => {
                        let want = model.pop_first().map(|((t, _), v)| (SimTime(t), v));
                        prop_assert_eq!(q.pop(), want);
                    }
                    6 => {
                        let want = model.first_key_value().map(|((t, _), _)| SimTime(*t));
                        prop_assert_eq!(q.peek_time(), want);
                    }
                    _ => {
                        if t == 0 {
                            q.clear();
                            model.clear();
                        }
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            while let Some(want) = model.pop_first() {
                prop_assert_eq!(q.pop(), Some((SimTime(want.0 .0), want.1)));
            }
            prop_assert_eq!(q.pop(), None);
        }
    }
}
