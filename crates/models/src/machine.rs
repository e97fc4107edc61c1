//! Machine sizes and how cores scale: the typed [`Machine`] a component runs on (its cores,
//! memory, network and disk, and what it costs), the shipped [`CATALOGUE`] of cloud-like
//! sizes, and the Universal Scalability Law ([`Usl`]) that makes more cores pay less and
//! less.
//!
//! # The catalogue
//!
//! Three families of six sizes, named generically after the way the big clouds name theirs
//! (`FAMILY.SIZE`, the size doubling from `large` = 2 vCPU to `16xlarge` = 64 vCPU):
//!
//! | family | memory per vCPU | price per vCPU-hour | modelled on |
//! |---|---|---|---|
//! | `general` | 4 GiB | $0.048 | a general-purpose family (x86, current generation) |
//! | `compute` | 2 GiB | $0.0425 | a compute-optimised family |
//! | `memory` | 8 GiB | $0.063 | a memory-optimised family |
//!
//! A vCPU is one core here (a core serves one call's CPU time at a time). Prices are
//! on-demand, per instance and hour, in the spirit of the published US-East prices of the
//! big clouds' current x86 families (2023-2024); the network bandwidth is the *baseline*
//! (sustained) figure, not the "up to" burst, and the disk is a network-attached volume
//! whose IOPS and throughput are capped by the instance size, as those clouds publish
//! them. They are round figures a capacity planner would use for a first answer, not a
//! price list: a scenario overrides any of them in `[machines.NAME]`.
//!
//! | size | vCPU | network | disk IOPS | disk throughput |
//! |---|---|---|---|---|
//! | `large` | 2 | 0.78 Gbps | 3,600 | 81.25 MB/s (650 Mbps) |
//! | `xlarge` | 4 | 1.56 Gbps | 6,000 | 156.25 MB/s |
//! | `2xlarge` | 8 | 3.125 Gbps | 12,000 | 312.5 MB/s |
//! | `4xlarge` | 16 | 6.25 Gbps | 20,000 | 625 MB/s |
//! | `8xlarge` | 32 | 12.5 Gbps | 40,000 | 1.25 GB/s |
//! | `16xlarge` | 64 | 25 Gbps | 80,000 | 2.5 GB/s |
//!
//! # The Universal Scalability Law
//!
//! Gunther's USL gives the throughput of N cores relative to one as
//! `X(N) = N X(1) / (1 + sigma (N - 1) + kappa N (N - 1))`: `sigma` is contention (the
//! serial fraction: locks, a shared log), `kappa` coherency (the cost of keeping N copies
//! of shared state in step: cache lines, latches). With `kappa > 0` throughput peaks at
//! `N* = sqrt((1 - sigma) / kappa)` cores and falls beyond.
//!
//! The service model ([`crate::ServiceSpec::usl`]) stretches the CPU time drawn for a call
//! by [`Usl::factor`]`(n)`, where `n` is the number of the instance's cores busy when the
//! call takes its core (itself included). Under saturation every call starts with all N
//! cores busy, so every CPU time is stretched by exactly `f(N) = 1 + sigma (N - 1) +
//! kappa N (N - 1)`, and N cores complete `N / (E[S] f(N)) = N X(1) / f(N)` calls per
//! second: the USL's throughput, exactly. Below saturation fewer cores are busy and the
//! stretch is smaller (one call alone on a 64-core machine runs at full speed), which is
//! what contention and coherency costs do: they grow with the concurrency in effect. A
//! call keeps the stretch it started with (its CPU time is drawn once), so a burst that
//! ends does not speed up the calls already running; the saturated throughput does not
//! depend on this.

/// A machine type: what one instance of a component has, and what it costs.
///
/// A component with `machine = "NAME"` carries its type in
/// [`crate::ComponentSpec::machine`]; its `cores` default to the machine's (and may not
/// exceed them), and its cost per instance-hour defaults to the machine's price. Memory,
/// network and disk are the defaults the resource models read from it.
#[derive(Clone, Debug, PartialEq)]
pub struct Machine {
    /// The type's name (`general.4xlarge`, or a scenario's own).
    pub name: String,
    /// vCPUs: the cores one instance has.
    pub cores: u32,
    /// Memory per instance, in bytes.
    pub memory_bytes: u64,
    /// Network bandwidth per instance (baseline), in bytes per second.
    pub network_bytes_per_s: f64,
    /// Disk operations per second per instance.
    pub disk_iops: f64,
    /// Disk throughput per instance, in bytes per second.
    pub disk_bytes_per_s: f64,
    /// On-demand price per instance and hour (dollars, or the scenario's currency).
    pub cost_per_hour: f64,
}

/// One family of the catalogue: memory per vCPU (GiB) and price per vCPU-hour.
const FAMILIES: &[(&str, u64, f64)] = &[
    ("general", 4, 0.048),
    ("compute", 2, 0.0425),
    ("memory", 8, 0.063),
];

/// One size of the catalogue: vCPUs, network (Gbps), disk IOPS, disk throughput (Mbps).
const SIZES: &[(&str, u32, f64, f64, f64)] = &[
    ("large", 2, 0.78125, 3_600.0, 650.0),
    ("xlarge", 4, 1.5625, 6_000.0, 1_250.0),
    ("2xlarge", 8, 3.125, 12_000.0, 2_500.0),
    ("4xlarge", 16, 6.25, 20_000.0, 5_000.0),
    ("8xlarge", 32, 12.5, 40_000.0, 10_000.0),
    ("16xlarge", 64, 25.0, 80_000.0, 20_000.0),
];

/// Number of machine types in the shipped catalogue.
pub const CATALOGUE_LEN: usize = FAMILIES.len() * SIZES.len();

/// The shipped catalogue, family by family, smallest size first (see the module doc).
pub fn catalogue() -> Vec<Machine> {
    let mut out = Vec::with_capacity(CATALOGUE_LEN);
    for &(family, gib_per_vcpu, price) in FAMILIES {
        for &(size, vcpu, gbps, iops, disk_mbps) in SIZES {
            out.push(Machine {
                name: format!("{family}.{size}"),
                cores: vcpu,
                memory_bytes: (u64::from(vcpu) * gib_per_vcpu) << 30,
                network_bytes_per_s: gbps * 1e9 / 8.0,
                disk_iops: iops,
                disk_bytes_per_s: disk_mbps * 1e6 / 8.0,
                // Rounded to a tenth of a cent, as price lists are.
                cost_per_hour: (f64::from(vcpu) * price * 1000.0).round() / 1000.0,
            });
        }
    }
    out
}

impl Machine {
    /// The catalogue's machine `name`, if there is one.
    pub fn named(name: &str) -> Option<Machine> {
        catalogue().into_iter().find(|m| m.name == name)
    }
}

/// The Universal Scalability Law's pair for one component (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Usl {
    /// Contention: the serial fraction (0 = none).
    pub sigma: f64,
    /// Coherency: the pairwise cost of keeping cores in step (0 = none).
    pub kappa: f64,
}

impl Usl {
    /// The stretch of a CPU time that starts with `n` cores busy (itself included):
    /// `1 + sigma (n - 1) + kappa n (n - 1)`; 1 for `n <= 1`.
    pub fn factor(&self, n: u32) -> f64 {
        let n = f64::from(n.max(1));
        1.0 + self.sigma * (n - 1.0) + self.kappa * n * (n - 1.0)
    }
    /// The USL's throughput of `n` cores relative to one core's: `n / factor(n)`.
    pub fn relative_throughput(&self, n: u32) -> f64 {
        f64::from(n) / self.factor(n)
    }
    /// The core count of peak throughput, `sqrt((1 - sigma) / kappa)`; `None` without
    /// coherency cost (throughput then only grows, towards `1 / sigma`).
    pub fn peak_cores(&self) -> Option<f64> {
        (self.kappa > 0.0).then(|| ((1.0 - self.sigma).max(0.0) / self.kappa).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_doubles_each_size_and_keeps_its_family_ratio() {
        let all = catalogue();
        assert_eq!(all.len(), CATALOGUE_LEN);
        let m = Machine::named("general.16xlarge").unwrap();
        assert_eq!(m.cores, 64);
        assert_eq!(m.memory_bytes, 256 << 30);
        assert!((m.cost_per_hour - 3.072).abs() < 1e-9);
        assert!((m.network_bytes_per_s - 25e9 / 8.0).abs() < 1e-3);
        let r = Machine::named("memory.large").unwrap();
        assert_eq!((r.cores, r.memory_bytes), (2, 16 << 30));
        for w in all.windows(2) {
            if w[0].name.split('.').next() == w[1].name.split('.').next() {
                assert_eq!(w[1].cores, 2 * w[0].cores, "{} -> {}", w[0].name, w[1].name);
                assert!(w[1].cost_per_hour > w[0].cost_per_hour);
            }
        }
    }

    #[test]
    fn usl_peaks_at_its_closed_form_core_count() {
        let u = Usl {
            sigma: 0.03,
            kappa: 0.002,
        };
        let peak = u.peak_cores().unwrap();
        assert!((peak - (0.97f64 / 0.002).sqrt()).abs() < 1e-12);
        let below = u.relative_throughput(peak.floor() as u32);
        assert!(u.relative_throughput(peak.floor() as u32 - 4) < below);
        assert!(u.relative_throughput(peak.ceil() as u32 + 4) < below);
        assert_eq!(u.factor(1), 1.0);
        assert_eq!(u.factor(0), 1.0);
    }
}
