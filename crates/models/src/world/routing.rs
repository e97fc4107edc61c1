//! Routing: choosing the instance a call goes to (balancing policies, key rings, rotation, global targets).

use super::*;

/// A consistent-hashing ring: (point, instance), sorted by point.
pub(in crate::world) type Ring = Vec<(u64, u32)>;

/// A consistent-hashing ring of `n` instances, 64 virtual nodes each.
pub(in crate::world) fn ring_of(n: u32) -> Ring {
    let mut ring: Vec<(u64, u32)> = (0..n)
        .flat_map(|i| (0..64u64).map(move |v| (mix64((i as u64) << 32 | v), i)))
        .collect();
    ring.sort_unstable();
    ring
}

/// The instance of `key` among `n` under a key policy.
#[inline]
pub(in crate::world) fn route_key(
    policy: Policy,
    key: u64,
    n: u32,
    key_count: u64,
    ring: &[(u64, u32)],
) -> u32 {
    match policy {
        Policy::Range => ((key.min(key_count - 1) as u128 * n as u128) / key_count as u128) as u32,
        Policy::Consistent => {
            let h = mix64(key ^ 0x5851_f42d_4c95_7f2d);
            let i = ring.partition_point(|(p, _)| *p < h);
            ring[i % ring.len()].1
        }
        _ => (mix64(key) % n as u64) as u32,
    }
}

/// A key's position in [0, 1), for choosing which keys have moved during a reshard.
#[inline]
pub(in crate::world) fn key_unit(key: u64) -> f64 {
    (mix64(key ^ 0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
}

/// SplitMix64 finalizer: spreads keys for hash routing.
#[inline]
pub(in crate::world) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl World {
    // ----- routing -----

    /// Chooses an instance of `comp` by `policy`.
    pub(in crate::world) fn pick(
        &mut self,
        comp: u32,
        policy: Policy,
        key: u64,
        class: u16,
    ) -> u32 {
        let key_count = self.traffic.key_count;
        let now = self.now;
        let c = &mut self.comps[comp as usize];
        let n = c.active;
        if n == 1 && c.reshard.is_none() {
            return 0;
        }
        if let Body::Service(Svc { db: Some(db), .. }) = &mut c.body {
            if db.replicas > 0 {
                // Writes go to the primary; reads where the read policy says.
                if db.is_write[class as usize] {
                    return db.primary;
                }
                db.rr = db.rr.wrapping_add(1);
                let r = match db.reads {
                    Reads::Primary => db.primary,
                    Reads::Replicas => {
                        // The k-th replica: instances other than the primary, in order.
                        let k = db.rr % db.replicas;
                        k + (k >= db.primary) as u32
                    }
                    Reads::Any => db.rr % (db.replicas + 1),
                };
                // Reads avoid a replica that is down: the next replica that is up takes
                // them, else the primary (as a driver or proxy with health checks does).
                if c.insts[r as usize].down && !matches!(db.reads, Reads::Primary) {
                    let total = db.replicas + 1;
                    let any = matches!(db.reads, Reads::Any);
                    return (1..total)
                        .map(|k| (r + k) % total)
                        .find(|&i| (any || i != db.primary) && !c.insts[i as usize].down)
                        .unwrap_or(db.primary);
                }
                return r;
            }
        }
        match policy {
            Policy::Hash | Policy::Range | Policy::Consistent if key != NO_KEY => {
                if let Some((start, end, to, ring)) = &c.reshard {
                    // Keys move in a hash-chosen order as the reshard progresses.
                    let done = (now - start) as f64 / (end - start).max(1) as f64;
                    if key_unit(key) < done {
                        return route_key(policy, key, *to, key_count, ring);
                    }
                }
                route_key(policy, key, n, key_count, &c.ring)
            }
            Policy::RoundRobin | Policy::Hash | Policy::Range | Policy::Consistent => {
                let i = c.rr;
                c.rr = (c.rr + 1) % n;
                i
            }
            Policy::Random => c.rng.random_range(0..n),
            Policy::LeastOutstanding => {
                // Scan from a rotating start so ties spread instead of piling on instance 0.
                let start = c.rr;
                c.rr = (c.rr + 1) % n;
                let mut best = start;
                let mut best_load = u32::MAX;
                for k in 0..n {
                    let i = (start + k) % n;
                    let load = c.insts[i as usize].outstanding;
                    if load < best_load {
                        best = i;
                        best_load = load;
                    }
                }
                best
            }
            Policy::P2c => {
                let a = c.rng.random_range(0..n);
                let mut b = c.rng.random_range(0..n - 1);
                if b >= a {
                    b += 1;
                }
                if c.insts[b as usize].outstanding < c.insts[a as usize].outstanding {
                    b
                } else {
                    a
                }
            }
        }
    }
    /// Chooses an instance of `to` like `pick`, then avoids instances out of rotation (a
    /// deployment) or ejected by balancer `lb`'s health check. When every instance is to be
    /// avoided, the first choice stands (fail open).
    #[inline(always)]
    pub(in crate::world) fn choose(
        &mut self,
        lb: u32,
        to: u32,
        policy: Policy,
        key: u64,
        class: u16,
    ) -> u32 {
        let c = &self.comps[to as usize];
        if c.active == 1 && c.reshard.is_none() && !self.ops.pick {
            return 0; // what `pick` comes to, without the calls
        }
        self.choose_among(lb, to, policy, key, class)
    }
    pub(in crate::world) fn choose_among(
        &mut self,
        lb: u32,
        to: u32,
        policy: Policy,
        key: u64,
        class: u16,
    ) -> u32 {
        let i = self.pick(to, policy, key, class);
        if !self.ops.pick || self.usable(lb, to, i) {
            return i;
        }
        self.repick(lb, to, policy, i)
    }
    pub(in crate::world) fn usable(&self, lb: u32, to: u32, i: u32) -> bool {
        if self.comps[to as usize].insts[i as usize].out {
            return false;
        }
        if lb == NONE {
            return true;
        }
        !self.lb(lb).ejects(to, i)
    }
    pub(in crate::world) fn repick(&mut self, lb: u32, to: u32, policy: Policy, first: u32) -> u32 {
        // Only the instances callers spread over (an autoscaler's idle ones are not ready).
        let n = self.comps[to as usize].active;
        let ok: Vec<u32> = (0..n).filter(|&j| self.usable(lb, to, j)).collect();
        if ok.is_empty() {
            return first;
        }
        let c = &mut self.comps[to as usize];
        match policy {
            Policy::Random => ok[c.rng.random_range(0..ok.len())],
            Policy::LeastOutstanding => *ok
                .iter()
                .min_by_key(|j| c.insts[**j as usize].outstanding)
                .expect("not empty"),
            Policy::P2c if ok.len() > 1 => {
                let a = c.rng.random_range(0..ok.len());
                let mut b = c.rng.random_range(0..ok.len() - 1);
                if b >= a {
                    b += 1;
                }
                let (a, b) = (ok[a], ok[b]);
                if c.insts[b as usize].outstanding < c.insts[a as usize].outstanding {
                    b
                } else {
                    a
                }
            }
            // In turn, and by key: the next instance that takes calls.
            _ => ok.iter().copied().find(|j| *j > first).unwrap_or(ok[0]),
        }
    }
}
