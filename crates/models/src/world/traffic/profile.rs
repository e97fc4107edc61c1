//! The load's shape over time: spikes (a factor on the open-loop rate or the closed-loop
//! users) and the traffic profile (a load curve, updated every second).

use crate::world::*;

impl World {
    /// Applies the active spikes: the open-loop rate factor, or the closed-loop user count
    /// (users beyond it leave the loop at their next reply or wake-up; users brought in start
    /// after a think time).
    pub(in crate::world) fn set_spike(&mut self, ctx: &mut Context<'_, Ev>) {
        self.traffic.rate_factor =
            self.traffic.spikes.iter().product::<f64>() * self.traffic.profile_factor;
        if let Load::Open { .. } = &self.traffic.load {
            // Redraw the pending arrival at the new rate (exact for Poisson arrivals, which are
            // memoryless); at a factor of 0 nothing is pending until the factor rises again.
            self.traffic.arrival_gen = self.traffic.arrival_gen.wrapping_add(1);
            let now = ctx.now().as_nanos();
            if self.traffic.rate_factor > 0.0 && now < self.duration {
                let gap = self
                    .traffic
                    .arrival_gap
                    .as_ref()
                    .expect("open loop")
                    .sample(&mut self.traffic.rng_arrivals);
                let gap = SimTime::from_nanos_f64(gap.as_nanos() as f64 / self.traffic.rate_factor);
                if now.saturating_add(gap.as_nanos()) < self.duration {
                    ctx.schedule_in(gap, Ev::Arrival(self.traffic.arrival_gen));
                }
            }
            return;
        }
        let Load::Closed { think, .. } = &self.traffic.load else {
            return;
        };
        let limit = (self.traffic.base_users as f64 * self.traffic.rate_factor)
            .round()
            .clamp(0.0, crate::spec::MAX_USERS as f64) as u32;
        self.traffic.user_limit = limit;
        if self.traffic.in_loop.len() < limit as usize {
            self.traffic.in_loop.resize(limit as usize, false);
        }
        for u in 0..limit {
            if !self.traffic.in_loop[u as usize] {
                self.traffic.in_loop[u as usize] = true;
                let t = think.sample(&mut self.traffic.rng_think);
                ctx.schedule_in(t, Ev::Wake(u));
            }
        }
    }
    /// The traffic profile's factor at `t_ns`: linear between points, constant outside.
    pub(in crate::world) fn profile_at(&self, t_ns: u64) -> f64 {
        let p = &self.traffic.profile;
        match p.iter().position(|q| q.0 > t_ns) {
            Some(0) => p[0].1,
            None => p.last().map_or(1.0, |q| q.1),
            Some(k) => {
                let (a, b) = (p[k - 1], p[k]);
                a.1 + (b.1 - a.1) * (t_ns - a.0) as f64 / (b.0 - a.0) as f64
            }
        }
    }
    /// Applies the profile's factor now and schedules the next update (every second, or
    /// at the next point when the curve is flat until then).
    pub(in crate::world) fn profile_step(&mut self, ctx: &mut Context<'_, Ev>) {
        let now = ctx.now().as_nanos();
        let f = self.profile_at(now);
        if f != self.traffic.profile_factor {
            self.traffic.profile_factor = f;
            self.set_spike(ctx);
        }
        let next = now.saturating_add(1_000_000_000);
        if next < self.duration && self.traffic.profile.last().is_some_and(|l| now < l.0) {
            ctx.schedule_at(SimTime(next), Ev::Profile);
        }
    }
}
