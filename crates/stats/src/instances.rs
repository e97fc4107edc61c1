//! Figures per instance beyond calls answered and utilization: each instance's memory (its
//! use over the measured window, its peak, its OOM kills) and, when a run asks for them
//! ([`INSTANCE_SERIES_MAX`]), each instance's series per interval (busy cores, calls
//! waiting, memory in use). It owns what a run keeps of them, how they pool over
//! replications (instance `i` of one replication with instance `i` of the others, by adding),
//! and the figures computed from the pooled sums for the result and the OpenMetrics export.

use serde::{Deserialize, Serialize};

/// The most instances a component may have for its per-instance series to be kept (the
/// series cost `instances x buckets` values each; past this, a dashboard of instances is
/// unreadable anyway, and the component's pooled series remain).
pub const INSTANCE_SERIES_MAX: u32 = 16;

/// One instance's memory over a run (or several pooled).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceMemory {
    /// Bytes in use integrated over the measured window (byte x ns), summed over
    /// replications.
    pub used_area: u128,
    /// The largest use in the measured window (bytes), summed over replications.
    pub peak_bytes_total: u64,
    /// OOM kills of the instance over the whole run.
    pub oom_kills: u64,
}

/// The memory of each instance of a component with a memory model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryPerInstance {
    /// Memory of one instance (bytes); `None` without a capacity (no utilization, no OOM
    /// kills).
    pub capacity: Option<u64>,
    /// Replications pooled.
    pub replications: u64,
    /// By instance.
    pub insts: Vec<InstanceMemory>,
}

impl MemoryPerInstance {
    /// Adds another replication's figures, instance by instance.
    pub(crate) fn merge(&mut self, o: &MemoryPerInstance) {
        self.replications += o.replications;
        for (a, b) in self.insts.iter_mut().zip(&o.insts) {
            a.used_area += b.used_area;
            a.peak_bytes_total += b.peak_bytes_total;
            a.oom_kills += b.oom_kills;
        }
    }
    /// The figures of each instance: mean and peak utilization (with a capacity), mean peak
    /// use and OOM kills; `window_ns` is the measured window summed over replications.
    pub fn figures(&self, window_ns: u128) -> MemoryFigures {
        let reps = self.replications.max(1) as f64;
        let peak: Vec<f64> = self
            .insts
            .iter()
            .map(|i| i.peak_bytes_total as f64 / reps)
            .collect();
        let Some(cap) = self.capacity.map(|c| c as f64).filter(|c| *c > 0.0) else {
            return MemoryFigures {
                peak_bytes: peak,
                ..MemoryFigures::default()
            };
        };
        let denom = cap * window_ns as f64;
        MemoryFigures {
            utilization_mean: Some(
                self.insts
                    .iter()
                    .map(|i| {
                        if denom > 0.0 {
                            i.used_area as f64 / denom
                        } else {
                            0.0
                        }
                    })
                    .collect(),
            ),
            utilization_max: Some(peak.iter().map(|p| p / cap).collect()),
            peak_bytes: peak,
            oom_kills: Some(self.insts.iter().map(|i| i.oom_kills).collect()),
        }
    }
}

/// The memory figures of each instance, for the result's `per_instance`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemoryFigures {
    /// Mean memory in use over capacity in the measured window (with a capacity).
    pub utilization_mean: Option<Vec<f64>>,
    /// Peak memory in use over capacity in the window, mean over replications.
    pub utilization_max: Option<Vec<f64>>,
    /// Peak memory in use in the window (bytes), mean over replications.
    pub peak_bytes: Vec<f64>,
    /// OOM kills over the whole run, summed over replications (with a capacity).
    pub oom_kills: Option<Vec<u64>>,
}

/// Each instance's levels per series bucket (kept only when the run asks for them, for
/// components with 2 to [`INSTANCE_SERIES_MAX`] instances and a fixed instance count).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceSeries {
    /// By instance, per bucket: busy core time (core x ns); empty for a kind without cores.
    pub busy: Vec<Vec<u128>>,
    /// By instance, per bucket: requests waiting integrated over time (request x ns).
    pub queue: Vec<Vec<u128>>,
    /// By instance, per bucket: bytes in use integrated over time (byte x ns), with a memory
    /// capacity; empty otherwise.
    pub memory: Vec<Vec<u128>>,
    /// Memory of one instance (bytes), with [`InstanceSeries::memory`].
    pub memory_capacity: Option<u64>,
}

/// Adds `b` into `a` element by element, growing `a`.
fn add(a: &mut Vec<u128>, b: &[u128]) {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x += *y;
    }
}

impl InstanceSeries {
    /// Adds another replication's levels, instance by instance and bucket by bucket.
    pub(crate) fn merge(&mut self, o: &InstanceSeries) {
        for (a, b) in [
            (&mut self.busy, &o.busy),
            (&mut self.queue, &o.queue),
            (&mut self.memory, &o.memory),
        ] {
            if a.len() < b.len() {
                a.resize(b.len(), Vec::new());
            }
            for (x, y) in a.iter_mut().zip(b) {
                add(x, y);
            }
        }
    }
    /// The series of each instance over `n` buckets, as the component's own are computed
    /// (`result::component_series`): utilization is busy time over `cores` x the bucket's
    /// time (`bucket_ns`, summed over replications), the queue is requests waiting over the
    /// bucket's time, memory utilization is bytes in use over capacity x `interval_ns` x
    /// `reps` (as the component's `memory_utilization`). The component's figure of a bucket
    /// is the mean of its instances' (equal weights).
    pub fn values(
        &self,
        cores: Option<u32>,
        interval_ns: u64,
        reps: f64,
        bucket_ns: &[u64],
        n: usize,
    ) -> InstanceSeriesValues {
        let time = |b: usize| bucket_ns.get(b).copied().unwrap_or(0) as f64;
        let per = |v: &Vec<u128>, den: &dyn Fn(usize) -> f64| -> Vec<Option<f64>> {
            (0..n)
                .map(|b| {
                    let d = den(b);
                    (d > 0.0).then(|| v.get(b).copied().unwrap_or(0) as f64 / d)
                })
                .collect()
        };
        let utilization = cores.filter(|_| !self.busy.is_empty()).map(|k| {
            let den = |b: usize| time(b) * k as f64;
            self.busy.iter().map(|v| per(v, &den)).collect()
        });
        let queue = self.queue.iter().map(|v| per(v, &time)).collect();
        let memory_utilization = self
            .memory_capacity
            .filter(|_| !self.memory.is_empty())
            .map(|cap| {
                let den = |_: usize| cap as f64 * interval_ns as f64 * reps;
                self.memory.iter().map(|v| per(v, &den)).collect()
            });
        InstanceSeriesValues {
            utilization,
            queue,
            memory_utilization,
        }
    }
}

/// Each instance's series, by instance then bucket (`None`: no time in the bucket).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InstanceSeriesValues {
    /// Utilization (components with cores).
    pub utilization: Option<Vec<Vec<Option<f64>>>>,
    /// Mean requests waiting.
    pub queue: Vec<Vec<Option<f64>>>,
    /// Memory in use over capacity (a memory model with a capacity).
    pub memory_utilization: Option<Vec<Vec<Option<f64>>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_pools_instance_by_instance() {
        let one = |area, peak, kills| InstanceMemory {
            used_area: area,
            peak_bytes_total: peak,
            oom_kills: kills,
        };
        let mut a = MemoryPerInstance {
            capacity: Some(100),
            replications: 1,
            insts: vec![one(50 * 10, 60, 0), one(90 * 10, 100, 1)],
        };
        let b = MemoryPerInstance {
            capacity: Some(100),
            replications: 1,
            insts: vec![one(30 * 10, 40, 0), one(70 * 10, 100, 2)],
        };
        a.merge(&b);
        let f = a.figures(20);
        assert_eq!(f.utilization_mean, Some(vec![0.4, 0.8]));
        assert_eq!(f.utilization_max, Some(vec![0.5, 1.0]));
        assert_eq!(f.peak_bytes, vec![50.0, 100.0]);
        assert_eq!(f.oom_kills, Some(vec![0, 3]));
        let no_cap = MemoryPerInstance {
            capacity: None,
            ..a.clone()
        };
        let f = no_cap.figures(20);
        assert_eq!((f.utilization_mean, f.oom_kills), (None, None));
        assert_eq!(f.peak_bytes, vec![50.0, 100.0]);
    }

    #[test]
    fn series_pool_and_divide_as_the_components() {
        let mut a = InstanceSeries {
            busy: vec![vec![10, 20], vec![0, 40]],
            queue: vec![vec![5, 0], vec![0, 0]],
            memory: vec![vec![50, 50], vec![100, 0]],
            memory_capacity: Some(10),
        };
        a.merge(&a.clone());
        // Two replications of two 10 ns buckets, 2 cores.
        let v = a.values(Some(2), 10, 2.0, &[20, 20], 2);
        let u = v.utilization.unwrap();
        assert_eq!(u[0], vec![Some(0.5), Some(1.0)]);
        assert_eq!(u[1], vec![Some(0.0), Some(2.0)]);
        assert_eq!(v.queue[0], vec![Some(0.5), Some(0.0)]);
        let m = v.memory_utilization.unwrap();
        assert_eq!(m[0], vec![Some(0.5), Some(0.5)]);
        assert_eq!(m[1], vec![Some(1.0), Some(0.0)]);
        // No cores: no utilization; a bucket without time: no value.
        let v = a.values(None, 10, 2.0, &[20, 0], 3);
        assert!(v.utilization.is_none());
        assert_eq!(v.queue[0], vec![Some(0.5), None, None]);
    }
}
