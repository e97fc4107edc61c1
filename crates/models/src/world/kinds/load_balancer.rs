//! The load balancer kind: forwards each call to an instance of its target; a global
//! balancer first picks the nearest target with a healthy instance. Its health checks probe
//! its targets' instances and eject those that fail.

use crate::world::*;

/// A load balancer.
pub(in crate::world) struct Lb {
    /// The component whose instances it spreads calls over (a global balancer: the first of
    /// its targets).
    pub(in crate::world) target: u32,
    pub(in crate::world) policy: Policy,
    /// A global balancer: its targets by origin region (index `regions` = no region), nearest
    /// first; empty otherwise.
    pub(in crate::world) global: Vec<Vec<u32>>,
    /// Its health checks of its targets.
    pub(in crate::world) health: Option<Box<Health>>,
}

/// A balancer's view of its targets' health.
pub(in crate::world) struct Health {
    pub(in crate::world) interval: u64,
    pub(in crate::world) failures: u32,
    /// Components probed.
    pub(in crate::world) targets: Vec<u32>,
    /// Per target, per instance: consecutive failed probes, and ejected.
    pub(in crate::world) fails: Vec<Vec<u32>>,
    pub(in crate::world) ejected: Vec<Vec<bool>>,
}

/// Where every component is, for wiring balancers: names, regions and instance counts.
pub(in crate::world) struct Placement<'a> {
    pub(in crate::world) names: &'a [String],
    /// How many regions there are.
    pub(in crate::world) regions: usize,
    /// Each component's region (`NO_REGION`: none).
    pub(in crate::world) region: &'a [u8],
    /// Each component's instances.
    pub(in crate::world) sizes: &'a [usize],
    /// The mean one-way latency between two regions (ns).
    pub(in crate::world) mean_between: &'a dyn Fn(u8, u8) -> f64,
}

impl Lb {
    /// Builds balancer `c` over `targets`; its global order and health checks come with
    /// [`Lb::connect`], once every component and region is known.
    pub(in crate::world) fn build(
        c: &ComponentSpec,
        targets: &str,
        policy: Policy,
        cx: &BuildCx<'_>,
    ) -> Result<Lb, ModelError> {
        Ok(Lb {
            target: find(cx.names, &c.name, targets)?,
            policy,
            global: Vec::new(),
            health: None,
        })
    }
    /// Orders a global balancer's targets by distance from each origin region, and sets up
    /// the health checks of `o`.
    pub(in crate::world) fn connect(
        &mut self,
        c: &ComponentSpec,
        o: &CompOps,
        at: &Placement<'_>,
    ) -> Result<(), ModelError> {
        let probed: Vec<u32> = if !o.global_targets.is_empty() {
            let ts: Vec<u32> = o
                .global_targets
                .iter()
                .map(|t| find(at.names, &c.name, t))
                .collect::<Result<_, _>>()?;
            self.global = (0..=at.regions)
                .map(|origin| {
                    let origin = if origin == at.regions {
                        NO_REGION
                    } else {
                        origin as u8
                    };
                    let mut order = ts.clone();
                    // Stable: equal latencies keep the declared order.
                    order.sort_by(|x, y| {
                        let (dx, dy) = (
                            (at.mean_between)(origin, at.region[*x as usize]),
                            (at.mean_between)(origin, at.region[*y as usize]),
                        );
                        dx.total_cmp(&dy)
                    });
                    order
                })
                .collect();
            ts
        } else {
            vec![self.target]
        };
        if let Some(h) = o.health_check {
            self.health = Some(Box::new(Health {
                interval: h.interval.as_nanos(),
                failures: h.failures,
                fails: probed
                    .iter()
                    .map(|t| vec![0; at.sizes[*t as usize]])
                    .collect(),
                ejected: probed
                    .iter()
                    .map(|t| vec![false; at.sizes[*t as usize]])
                    .collect(),
                targets: probed,
            }));
        }
        Ok(())
    }
    /// Whether its health check has ejected instance `i` of `to`.
    #[inline]
    pub(in crate::world) fn ejects(&self, to: u32, i: u32) -> bool {
        match &self.health {
            Some(h) => match h.targets.iter().position(|t| *t == to) {
                Some(t) => h.ejected[t][i as usize],
                None => false,
            },
            None => false,
        }
    }
}

impl World {
    pub(in crate::world) fn lb(&self, comp: u32) -> &Lb {
        match &self.comps[comp as usize].body {
            Body::Lb(l) => l,
            _ => unreachable!("not a load balancer"),
        }
    }
    pub(in crate::world) fn lb_mut(&mut self, comp: u32) -> &mut Lb {
        match &mut self.comps[comp as usize].body {
            Body::Lb(l) => l,
            _ => unreachable!("not a load balancer"),
        }
    }
    /// A balancer passes call `c` on to an instance of its target.
    #[inline(always)]
    pub(in crate::world) fn lb_arrive(&mut self, c: u32) -> Step {
        let Call {
            comp, key, class, ..
        } = self.calls[c as usize];
        let l = self.lb(comp);
        let (mut target, mut policy) = (l.target, l.policy);
        if !l.global.is_empty() {
            target = self.global_target(comp, c);
            policy = self.comps[target as usize].balance;
        }
        let inst = self.choose(comp, target, policy, key, class);
        Step::Forward { to: target, inst }
    }
    /// A global balancer's target for call `c`: the nearest to the call's origin with an
    /// instance that is up, in rotation and not ejected; the nearest if none is.
    pub(in crate::world) fn global_target(&self, lb: u32, c: u32) -> u32 {
        let origin = self.region_from(c);
        let l = self.lb(lb);
        let g = &l.global;
        let order = &g[if origin == NO_REGION {
            g.len() - 1
        } else {
            origin as usize
        }];
        for &t in order {
            let n = self.comps[t as usize].active;
            let healthy = (0..n).any(|i| {
                let inst = &self.comps[t as usize].insts[i as usize];
                !inst.out
                    && match &l.health {
                        Some(_) => self.usable(lb, t, i),
                        None => !inst.down,
                    }
            });
            if healthy {
                return t;
            }
        }
        order[0]
    }
    /// A balancer probes every instance of its targets: an instance that is down (or cut off
    /// from the balancer) fails the probe; `failures` failures in a row eject it, one success
    /// admits it again. Probing stops with the traffic.
    pub(in crate::world) fn probe(&mut self, ctx: &mut Context<'_, Ev>, lb: u32) {
        let now = ctx.now().as_nanos();
        let Some(mut h) = self.lb_mut(lb).health.take() else {
            return;
        };
        let lb_name = self.comps[lb as usize].name.clone();
        for (t, &target) in h.targets.iter().enumerate() {
            let cut = self
                .net
                .partitions
                .iter()
                .any(|(a, b, _)| (*a == lb && *b == target) || (*a == target && *b == lb));
            let c = &self.comps[target as usize];
            let n = c.insts.len();
            for i in 0..n {
                let ok = !c.insts[i].down && !cut;
                let label = || inst_label(&c.name, n, i as u32);
                if ok {
                    h.fails[t][i] = 0;
                    if h.ejected[t][i] {
                        h.ejected[t][i] = false;
                        self.rec.timeline(
                            now,
                            &label(),
                            &Event::ends("readmit", Category::Recovery, "eject"),
                            format!("`{lb_name}` sends it calls again: a probe succeeded"),
                        );
                    }
                } else {
                    h.fails[t][i] += 1;
                    if h.fails[t][i] >= h.failures && !h.ejected[t][i] {
                        h.ejected[t][i] = true;
                        self.rec.timeline(
                            now,
                            &label(),
                            &Event::opens("eject", Category::Fault),
                            format!(
                                "`{lb_name}` stops sending it calls: {} failed probes",
                                h.failures
                            ),
                        );
                    }
                }
            }
        }
        let interval = h.interval;
        self.lb_mut(lb).health = Some(h);
        if now + interval < self.duration {
            ctx.schedule_in(SimTime(interval), Ev::Probe(lb));
        }
    }
}

impl Kind for Lb {
    #[inline(always)]
    fn arrive(w: &mut World, _ctx: &mut Context<'_, Ev>, c: u32) -> Step {
        w.lb_arrive(c)
    }
}

#[cfg(test)]
mod tests {
    use crate::world::kinds::testing::*;
    use crate::{CompOps, Component, Dist, Policy, Spec};
    use archsim_engine::SimTime;

    /// 1,000 requests/s for 20 s through balancer `lb` over 4 one-core instances of `app`
    /// at 2 ms of CPU each (rho = 0.5), the first instance `slow` times slower.
    fn balanced(policy: Policy, slow: f64) -> Spec {
        let mut b = Spec::builder("20s")
            .entry("lb")
            .rate(1_000.0)
            .component(Component::load_balancer("lb", "app").policy(policy))
            .component(
                Component::service("app")
                    .instances(4)
                    .cores(1)
                    .cpu("exp(2ms)"),
            );
        if slow != 1.0 {
            b = b.slow("app[0]", "0s", "60s", slow);
        }
        b.build().unwrap()
    }

    /// Round robin gives every instance the same number of calls, within one.
    #[test]
    fn round_robin_spreads_calls_evenly() {
        let stats = run(&balanced(Policy::RoundRobin, 1.0), 1);
        let served = &comp(&stats, "app").per_instance_served;
        assert_eq!(served.iter().sum::<u64>(), stats.generated);
        let (lo, hi) = (served.iter().min().unwrap(), served.iter().max().unwrap());
        assert!(hi - lo <= 1, "{served:?}");
        assert_eq!(comp(&stats, "lb").served, stats.generated);
    }

    /// Least outstanding and power of two choices starve no instance of equal ones, and
    /// both steer calls away from a slow instance, which round robin keeps feeding its share.
    #[test]
    fn load_aware_policies_starve_none_and_spare_a_slow_instance() {
        for policy in [Policy::LeastOutstanding, Policy::P2c] {
            let stats = run(&balanced(policy, 1.0), 1);
            let served = &comp(&stats, "app").per_instance_served;
            // ~20,000 calls: a quarter each is 5,000; a starved instance would be far below.
            for s in served {
                assert!(*s * 4 * 10 > stats.generated * 9, "{policy:?}: {served:?}");
            }
        }
        // Instance 0 at 3x the CPU time: at rho = 1.5 on its own share, it cannot keep up.
        let rr = run(&balanced(Policy::RoundRobin, 3.0), 1);
        let rr_share = comp(&rr, "app").per_instance_served[0] as f64 / rr.generated as f64;
        assert!(
            (rr_share - 0.25).abs() < 0.01,
            "round robin share {rr_share}"
        );
        for policy in [Policy::LeastOutstanding, Policy::P2c] {
            let stats = run(&balanced(policy, 3.0), 1);
            let share = comp(&stats, "app").per_instance_served[0] as f64 / stats.generated as f64;
            assert!(share < 0.2, "{policy:?}: the slow instance takes {share}");
            assert!(
                mean_ms(&stats) < mean_ms(&rr) / 2.0,
                "{policy:?}: {} ms against round robin's {} ms",
                mean_ms(&stats),
                mean_ms(&rr)
            );
        }
    }

    /// A global balancer sends calls to the nearest target with a healthy instance: the
    /// origin's own region while it is up, the other one while it is down.
    #[test]
    fn a_global_balancer_fails_over_to_the_next_region() {
        let mut spec = Spec::builder("20s")
            .entry("lb")
            .rate(100.0)
            .component(Component::load_balancer("lb", "eu_app"))
            .component(Component::service("eu_app").cpu("1ms"))
            .component(Component::service("us_app").cpu("1ms"))
            .crash("eu_app", "5s", "5s")
            .build()
            .unwrap();
        let region = |r: &str| CompOps {
            region: Some(r.into()),
            ..CompOps::default()
        };
        spec.ops.components = vec![
            (
                "lb".into(),
                CompOps {
                    // Nearest first, whatever the order they are listed in.
                    global_targets: vec!["us_app".into(), "eu_app".into()],
                    ..region("eu")
                },
            ),
            ("eu_app".into(), region("eu")),
            ("us_app".into(), region("us")),
        ];
        spec.ops.region_latency = vec![(
            "eu".into(),
            "us".into(),
            Dist::Const(SimTime::from_millis(40).as_nanos()),
        )];
        spec.ops.origins = vec![("eu".into(), 1.0)];
        let stats = run(&spec, 1);
        assert_eq!(stats.overall.failed, 0);
        let (eu, us) = (comp(&stats, "eu_app").served, comp(&stats, "us_app").served);
        assert_eq!(eu + us, stats.generated);
        // 5 s of 20 go to the US: Poisson(500), standard deviation 22; allow 4 of them.
        assert!(us.abs_diff(500) <= 90, "eu {eu}, us {us}");
        // Those pay the round trip across the ocean.
        let slow = 1.0 - stats.overall.latency.fraction_at_or_below(2_000_000);
        assert!(
            (slow - us as f64 / stats.generated as f64).abs() < 1e-3,
            "{slow}"
        );
    }
}
