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
