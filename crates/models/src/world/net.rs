//! The network: request origins, regions and the links a hop crosses (their bandwidth, and
//! the sizes of what crosses them, in `links.rs`).

use super::*;

/// The network's state: hop latency, regions and the links between them, partitions and
/// latency faults in force.
pub(in crate::world) struct Net {
    pub(in crate::world) latency: Dist,
    pub(in crate::world) zero: bool,
    pub(in crate::world) rng: Stream,
    /// Hops go through `hop_links` (partitions, latency faults, regions).
    pub(in crate::world) links: bool,
    /// Zero latency and no links: a hop is a direct call (one test on every hop).
    pub(in crate::world) direct: bool,
    /// Active partitions (a, b, drop) and latency faults (fault indices).
    pub(in crate::world) partitions: Vec<(u32, u32, bool)>,
    pub(in crate::world) delays: Vec<u32>,
    pub(in crate::world) partitioned_reason: usize,
    /// Region names; one-way latency between regions (`regions x regions`).
    pub(in crate::world) regions: Vec<String>,
    pub(in crate::world) region_net: Vec<Option<Dist>>,
    /// Cumulative weights of the traffic's origin regions (region index, cumulative).
    pub(in crate::world) origins: Vec<(u8, f64)>,
    pub(in crate::world) rng_origin: Stream,
    /// Message sizes and bandwidths (`None`: the scenario has none, and hops never ask).
    pub(in crate::world) bw: Option<Box<Bandwidth>>,
}

impl World {
    pub(in crate::world) fn draw_origin(&mut self) -> u8 {
        let u: f64 = self.net.rng_origin.random();
        self.net
            .origins
            .iter()
            .find(|(_, cum)| u < *cum)
            .or(self.net.origins.last())
            .map_or(NO_REGION, |o| o.0)
    }
    /// The component a call comes from (`NONE`: the client).
    pub(in crate::world) fn source_of(&self, c: u32) -> u32 {
        let call = &self.calls[c as usize];
        match call.parent {
            NONE => NONE,
            INTERNAL if call.is_apply() => call.comp,
            INTERNAL => call.owner(),
            p => self.calls[p as usize].comp,
        }
    }
    /// The region a call comes from.
    /// A component without a region is where its caller is (a global balancer forwards
    /// from the user's region).
    pub(in crate::world) fn region_from(&self, c: u32) -> u8 {
        if self.net.regions.is_empty() {
            return NO_REGION;
        }
        // Up the chain of callers; a chain is never longer than the components (calls form
        // no cycles), and the bound keeps a slot reused after its caller gave up from looping.
        let mut c = c;
        for _ in 0..=self.comps.len() {
            let call = &self.calls[c as usize];
            match self.source_of(c) {
                NONE => return call.origin,
                s => match self.comps[s as usize].region {
                    NO_REGION if call.parent != INTERNAL && call.parent != NONE => c = call.parent,
                    r => return r,
                },
            }
        }
        NO_REGION
    }
    /// A hop when partitions, latency faults or regions are in play.
    pub(in crate::world) fn hop_links(&mut self, ctx: &mut Context<'_, Ev>, ev: Ev) {
        let (c, deliver) = match ev {
            Ev::Deliver(c) => (c, true),
            Ev::Reply(c) => (c, false),
            other => {
                let d = self.net.latency.sample(&mut self.net.rng);
                return ctx.schedule_in(d, other);
            }
        };
        let src = self.source_of(c);
        let dst = self.calls[c as usize].comp;
        if deliver && !self.net.partitions.is_empty() && src != NONE {
            let cut = self
                .net
                .partitions
                .iter()
                .find(|(a, b, _)| (*a == src && *b == dst) || (*a == dst && *b == src))
                .map(|p| p.2);
            match cut {
                // Lost in the network: never answered; the caller's timeout decides. The
                // instance never sees it, so it is not outstanding there (balancers and
                // deploy drains look at that count).
                Some(true) => {
                    let inst = self.calls[c as usize].inst;
                    let o = &mut self.comps[dst as usize].insts[inst as usize].outstanding;
                    *o = o.saturating_sub(1);
                    return;
                }
                // Refused at once.
                Some(false) => {
                    let reason = self.net.partitioned_reason;
                    let call = &mut self.calls[c as usize];
                    call.err = reason as u8 + 1;
                    call.done = true;
                    return self.reply(ctx, c);
                }
                None => {}
            }
        }
        let (ra, rb) = (self.region_from(c), self.comps[dst as usize].region);
        let mut d = if ra != rb && ra != NO_REGION && rb != NO_REGION {
            let nr = self.net.regions.len();
            match &self.net.region_net[ra as usize * nr + rb as usize] {
                Some(dist) => dist.sample(&mut self.net.rng),
                None => self.net.latency.sample(&mut self.net.rng),
            }
        } else if self.net.zero {
            SimTime::ZERO
        } else {
            self.net.latency.sample(&mut self.net.rng)
        };
        if deliver {
            for k in 0..self.net.delays.len() {
                let f = &self.ops.faults[self.net.delays[k] as usize];
                if f.comp == dst && (f.peer == NONE || f.peer == src) {
                    if let FaultKind::Latency { add, .. } = &f.kind {
                        d = d.saturating_add(add.sample(&mut self.net.rng));
                    }
                }
            }
        }
        if self.net.bw.is_some() {
            match self.transmit(c, deliver, ra, rb) {
                Sent::After(t) => d = d.saturating_add(SimTime::from_nanos(t)),
                Sent::Dropped => return self.link_full(ctx, c),
            }
        }
        if d == SimTime::ZERO {
            match ev {
                Ev::Deliver(c) => self.deliver(ctx, c),
                _ => self.reply(ctx, c),
            }
        } else {
            ctx.schedule_in(d, ev);
        }
    }
    /// Call `c`'s message was dropped at a full link: the call fails at once with
    /// `link_full`, answered to its caller without a hop.
    #[cold]
    fn link_full(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let reason = self.net.bw.as_ref().map_or(0, |b| b.reason_full);
        let call = &mut self.calls[c as usize];
        call.err = reason as u8 + 1;
        call.done = true;
        self.reply(ctx, c)
    }
}
