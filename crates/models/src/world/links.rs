//! Bandwidth: message sizes and the links a message queues on. A request to a component and
//! its response have sizes (its endpoint's `request_size`, `response_size`: bytes drawn per
//! message; an error carries none). Each instance of a component with a `bandwidth` has a
//! link that carries what it sends (the requests it makes and the responses it gives; the
//! link is full duplex and what an instance receives is paid on its sender's link, so an
//! ingress of its own is not modelled), and each pair of regions with a bandwidth has one link
//! per direction that carries what crosses between them. A link is a FIFO queue with one
//! server: a message waits until the link has sent what came before it, then takes
//! size / bandwidth. A message crossing two links (its sender's, then a region link) is
//! pipelined: the second link starts once the first has started and finishes no earlier than
//! the first has. The time a message spends on its links is part of its hop, so it counts as
//! network in the latency breakdown. A link with a `buffer` drops a message that finds more
//! bytes waiting than that (unless it is idle): its call fails at once with `link_full`.
//!
//! Each link keeps the time it is busy until (`free_at`), so a message costs a few
//! operations and no event of its own. Nothing here runs unless a scenario has a size or a
//! bandwidth (`World::net.bw` is `None` otherwise, and the hop never asks).

use super::*;

/// No link.
const NO_LINK: u32 = u32::MAX;

/// One link: a FIFO queue with one server, sending `rate` bytes per nanosecond.
struct Link {
    rate: f64,
    /// When it has sent everything it was given so far (ns).
    free_at: u64,
    /// Most bytes waiting before a message is dropped.
    buffer: Option<u64>,
}

impl Link {
    /// Whether a message of `bytes` that reaches the link at `at` finds it too full.
    fn full(&self, at: u64, bytes: u64) -> bool {
        match self.buffer {
            Some(buf) if self.free_at > at => {
                let waiting = (self.free_at - at) as f64 * self.rate;
                waiting + bytes as f64 > buf as f64
            }
            _ => false,
        }
    }
    /// A message of `bytes` reaches the link at `first` (its first byte) and is wholly there
    /// by `last`: returns when its transmission starts and when its last byte is sent.
    fn send(&mut self, first: u64, last: u64, bytes: u64) -> (u64, u64) {
        let start = first.max(self.free_at);
        let tx = SimTime::from_nanos_f64(bytes as f64 / self.rate).as_nanos();
        let end = last.max(start.saturating_add(tx));
        self.free_at = end;
        (start, end)
    }
}

/// What a link (an instance's or a region pair's direction) counts over the measured window.
#[derive(Clone, Debug, Default)]
struct LinkCount {
    /// Bytes whose transmission started in the window.
    bytes: u64,
    /// Messages that started in the window, and the nanoseconds they waited for the link.
    messages: u64,
    wait_ns: u64,
    /// Messages dropped because the buffer was full (whole run).
    dropped: u64,
}

impl LinkCount {
    #[inline]
    fn add(&mut self, window: &Window, start: u64, waited: u64, bytes: u64) {
        if window.contains(start) {
            // Saturating: a heavy-tailed size may draw an absurd value.
            self.bytes = self.bytes.saturating_add(bytes);
            self.messages += 1;
            self.wait_ns = self.wait_ns.saturating_add(waited);
        }
    }
}

/// A component's network: its sizes' stream, its instances' links and what they counted.
struct CompNet {
    /// Its instances' links start here in `Bandwidth::links` (`NO_LINK`: no bandwidth).
    link: u32,
    bandwidth: Option<f64>,
    rng: Stream,
    /// What its instances sent (on their links or, without a bandwidth, free of one).
    sent: LinkCount,
    /// Bytes sent to it, in the window.
    received: u64,
    /// By series bucket: bytes sent by it and to it.
    sent_per: Vec<u64>,
    received_per: Vec<u64>,
}

/// The bandwidth part of the network (`Net::bw`): sizes, links and their counts.
pub(in crate::world) struct Bandwidth {
    links: Vec<Link>,
    comps: Vec<CompNet>,
    /// By component and class (`comp * classes + class`): request and response sizes.
    sizes: Vec<(Option<Dist>, Option<Dist>)>,
    classes: usize,
    /// By region pair (`from * regions + to`): its entry in `region_links`, or `NO_LINK`.
    region_link: Vec<u32>,
    /// The region links: (from, to, link index, its counts).
    region_links: Vec<(u8, u8, u32, LinkCount)>,
    /// The error reason of a dropped message (`link_full`), when a link has a buffer.
    pub(in crate::world) reason_full: usize,
    window: Window,
    interval_ns: u64,
}

impl Bandwidth {
    /// The bandwidth part of a model, or `None` when no endpoint has a size and no component
    /// or region pair a bandwidth (nothing here then runs). `regions`: the model's region
    /// names, in the network's order.
    pub(in crate::world) fn build(
        spec: &Spec,
        ops: &[CompOps],
        regions: &[String],
        class_names: &[String],
        seed: u64,
        window: Window,
        buckets: usize,
    ) -> Option<Box<Bandwidth>> {
        let classes = class_names.len().max(1);
        let mut sizes = vec![(None, None); spec.components.len() * classes];
        let mut any_size = false;
        for (ci, c) in spec.components.iter().enumerate() {
            if let KindSpec::Service(s) = &c.kind {
                for (k, class) in class_names.iter().enumerate() {
                    let ep = s
                        .endpoints
                        .iter()
                        .find(|(n, _)| n == class)
                        .or_else(|| s.endpoints.iter().find(|(n, _)| n == "default"));
                    if let Some((_, e)) = ep {
                        let nz = |d: &Option<Dist>| d.clone().filter(|d| !d.is_zero());
                        let pair = (nz(&e.request_size), nz(&e.response_size));
                        any_size |= pair.0.is_some() || pair.1.is_some();
                        sizes[ci * classes + k] = pair;
                    }
                }
            }
        }
        let any_bw = ops.iter().any(|o| o.bandwidth.is_some());
        if !any_size && !any_bw && spec.ops.region_links.is_empty() {
            return None;
        }
        let mut links = Vec::new();
        let mut comps = Vec::with_capacity(spec.components.len());
        for (c, o) in spec.components.iter().zip(ops) {
            let link = match o.bandwidth {
                Some(bw) => {
                    let first = links.len() as u32;
                    for _ in 0..c.instances {
                        links.push(Link {
                            rate: bw / 1e9,
                            free_at: 0,
                            buffer: o.link_buffer,
                        });
                    }
                    first
                }
                None => NO_LINK,
            };
            comps.push(CompNet {
                link,
                bandwidth: o.bandwidth,
                rng: stream(seed, &format!("network/{}", c.name)),
                sent: LinkCount::default(),
                received: 0,
                sent_per: vec![0; buckets],
                received_per: vec![0; buckets],
            });
        }
        let nr = regions.len();
        let ridx = |r: &str| regions.iter().position(|x| x == r);
        let mut region_link = vec![NO_LINK; nr * nr];
        let mut region_links = Vec::new();
        for l in &spec.ops.region_links {
            let (Some(a), Some(b)) = (ridx(&l.a), ridx(&l.b)) else {
                continue;
            };
            for (from, to) in [(a, b), (b, a)] {
                region_link[from * nr + to] = region_links.len() as u32;
                region_links.push((
                    from as u8,
                    to as u8,
                    links.len() as u32,
                    LinkCount::default(),
                ));
                links.push(Link {
                    rate: l.bandwidth / 1e9,
                    free_at: 0,
                    buffer: l.buffer,
                });
            }
        }
        Some(Box::new(Bandwidth {
            links,
            comps,
            sizes,
            classes,
            region_link,
            region_links,
            reason_full: 0,
            window,
            interval_ns: spec.series_interval.as_nanos().max(1),
        }))
    }
    /// Whether a link may drop a message (its error reason is then registered).
    pub(in crate::world) fn bounded(&self) -> bool {
        self.links.iter().any(|l| l.buffer.is_some())
    }
    #[inline]
    fn bucket(&self, t: u64, len: usize) -> usize {
        ((t / self.interval_ns) as usize).min(len.saturating_sub(1))
    }
    /// Component `ci`'s network figures: what it sent and received (per second, and over
    /// time), and with a bandwidth its links' utilization, wait and drops.
    pub(in crate::world) fn report(&self, ci: usize, s: &mut ComponentStats, end_ns: u64) {
        let bw = self;
        let cn = &bw.comps[ci];
        let buckets = (end_ns / bw.interval_ns + 1) as usize;
        let cut = |v: &Vec<u64>| -> Vec<f64> {
            v[..buckets.min(v.len())]
                .iter()
                .map(|x| *x as f64)
                .collect()
        };
        s.inputs.insert("net_sent_bytes", cn.sent.bytes);
        s.inputs.insert("net_received_bytes", cn.received);
        s.figures
            .declare(Figure::time_mean("net_sent_bytes_per_s", "net_sent_bytes", 1.0).order(3));
        s.figures.declare(
            Figure::time_mean("net_received_bytes_per_s", "net_received_bytes", 1.0).order(3),
        );
        s.series.insert("net_sent_bytes", cut(&cn.sent_per));
        s.series.insert("net_received_bytes", cut(&cn.received_per));
        s.figures.declare(Figure::series_rate(
            "net_sent_bytes_per_s",
            "net_sent_bytes",
        ));
        s.figures.declare(Figure::series_rate(
            "net_received_bytes_per_s",
            "net_received_bytes",
        ));
        let Some(rate) = cn.bandwidth else {
            return;
        };
        let n = s.instances as f64;
        let window_s = bw.window.len_ns() as f64 / 1e9;
        s.inputs
            .insert("link_capacity_bytes", (rate * n * window_s).round() as u64);
        s.figures.declare(
            Figure::ratio(
                "link_utilization",
                "net_sent_bytes",
                &["link_capacity_bytes"],
            )
            .order(3),
        );
        s.inputs.insert("link_wait_ns", cn.sent.wait_ns);
        s.inputs.insert("link_messages", cn.sent.messages);
        s.figures.declare(
            Figure::mean("link_wait_ms_mean", "link_wait_ns", "link_messages", 1e6).order(3),
        );
        if bw.links[cn.link as usize].buffer.is_some() {
            s.counters.insert("link_dropped", cn.sent.dropped);
        }
        // Capacity per bucket (the last one is cut at the run's end).
        let capacity: Vec<f64> = (0..buckets as u64)
            .map(|b| {
                let start = b * bw.interval_ns;
                let width = ((b + 1) * bw.interval_ns).min(end_ns).saturating_sub(start);
                rate * n * width as f64 / 1e9
            })
            .collect();
        s.series.insert("link_capacity_bytes", capacity);
        s.figures.declare(
            Figure::series_ratio(
                "link_utilization",
                "net_sent_bytes",
                &["link_capacity_bytes"],
            )
            .charted(Chart {
                id: "link-utilization".into(),
                title: "Network link utilization over time".into(),
                y_label: "utilization (bytes sent / bandwidth)".into(),
                y_max: Some(1.0),
            }),
        );
    }
}

/// What became of a message given to the links.
pub(in crate::world) enum Sent {
    /// It reaches the far end of its links this long after now (before the hop's latency).
    After(u64),
    /// A link's buffer was full.
    Dropped,
}

impl World {
    /// The message of call `c` (its request when `deliver`, else its response) crosses the
    /// links between region `ra` (the caller's side) and `rb` (the callee's) now.
    #[inline(never)]
    pub(in crate::world) fn transmit(&mut self, c: u32, deliver: bool, ra: u8, rb: u8) -> Sent {
        let now = self.now;
        let call = self.calls[c as usize];
        let parent = match call.parent {
            NONE | INTERNAL => None,
            p => Some(self.calls[p as usize]),
        };
        // Who sends it (component, instance), who receives it (component).
        let (from, to) = if deliver {
            (parent.map(|p| (p.comp, p.inst)), Some(call.comp))
        } else {
            (Some((call.comp, call.inst)), parent.map(|p| p.comp))
        };
        let Some(bw) = self.net.bw.as_deref_mut() else {
            return Sent::After(0);
        };
        let slot = call.comp as usize * bw.classes + call.class as usize;
        let size = match (&bw.sizes[slot], deliver) {
            ((Some(d), _), true) => Some(d),
            ((_, Some(d)), false) if call.err == 0 => Some(d),
            _ => None,
        };
        let Some(size) = size else {
            return Sent::After(0);
        };
        // Drawn from the callee's stream, whichever way the message goes.
        let bytes = size
            .sample(&mut bw.comps[call.comp as usize].rng)
            .as_nanos();
        if bytes == 0 {
            return Sent::After(0);
        }
        // The links it crosses: its sender's, then the region link.
        let own = from
            .map(|(comp, _)| bw.comps[comp as usize].link)
            .filter(|l| *l != NO_LINK)
            .map(|l| l + from.map_or(0, |f| f.1));
        let (rf, rt) = if deliver { (ra, rb) } else { (rb, ra) };
        let nr = self.net.regions.len();
        // The region link's entry in `region_links`, and its link.
        let region_entry = if rf != rt && rf != NO_REGION && rt != NO_REGION {
            Some(bw.region_link[rf as usize * nr + rt as usize]).filter(|l| *l != NO_LINK)
        } else {
            None
        };
        let region = region_entry.map(|e| bw.region_links[e as usize].2);
        let own_full = own.is_some_and(|l| bw.links[l as usize].full(now, bytes));
        if own_full || region.is_some_and(|l| bw.links[l as usize].full(now, bytes)) {
            return self.dropped(
                if own_full { from.map(|f| f.0) } else { None },
                region_entry,
            );
        }
        let (mut first, mut last) = (now, now);
        let window = bw.window;
        if let Some(l) = own {
            let (start, end) = bw.links[l as usize].send(first, last, bytes);
            (first, last) = (start, end);
        }
        if let Some((comp, _)) = from {
            let b = bw.bucket(first, bw.comps[comp as usize].sent_per.len());
            let cn = &mut bw.comps[comp as usize];
            cn.sent.add(&window, first, first - now, bytes);
            cn.sent_per[b] = cn.sent_per[b].saturating_add(bytes);
        }
        if let Some(l) = region {
            let (start, end) = bw.links[l as usize].send(first, last, bytes);
            let waited = start - first;
            (first, last) = (start, end);
            if let Some(e) = region_entry {
                bw.region_links[e as usize]
                    .3
                    .add(&window, start, waited, bytes);
            }
        }
        if let Some(comp) = to {
            let b = bw.bucket(first, bw.comps[comp as usize].received_per.len());
            let cn = &mut bw.comps[comp as usize];
            if window.contains(first) {
                cn.received = cn.received.saturating_add(bytes);
            }
            cn.received_per[b] = cn.received_per[b].saturating_add(bytes);
        }
        Sent::After(last - now)
    }
    /// A message dropped at a full link: its sender's (`own`: the sending component), or
    /// else the region link (`region`: its entry in `region_links`).
    #[cold]
    fn dropped(&mut self, own: Option<u32>, region: Option<u32>) -> Sent {
        if let Some(bw) = self.net.bw.as_deref_mut() {
            match (own, region) {
                (Some(comp), _) => bw.comps[comp as usize].sent.dropped += 1,
                (None, Some(e)) => bw.region_links[e as usize].3.dropped += 1,
                (None, None) => {}
            }
        }
        Sent::Dropped
    }
    /// The region links' counts, for the run's result (empty without region bandwidths).
    pub(in crate::world) fn region_link_stats(&self) -> Vec<archsim_stats::RegionLinkStats> {
        let Some(bw) = self.net.bw.as_deref() else {
            return Vec::new();
        };
        bw.region_links
            .iter()
            .map(|(a, b, l, n)| archsim_stats::RegionLinkStats {
                from: self.net.regions[*a as usize].clone(),
                to: self.net.regions[*b as usize].clone(),
                bandwidth: bw.links[*l as usize].rate * 1e9,
                bytes: n.bytes,
                messages: n.messages,
                wait_ns: n.wait_ns,
                dropped: n.dropped,
                window_ns: bw.window.len_ns() as u128,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(bytes_per_s: f64, buffer: Option<u64>) -> Link {
        Link {
            rate: bytes_per_s / 1e9,
            free_at: 0,
            buffer,
        }
    }

    /// FIFO: a message waits for what is ahead of it, then takes size / bandwidth.
    #[test]
    fn a_link_sends_in_order_of_arrival() {
        let mut l = link(1e6, None); // 1 byte per microsecond
        assert_eq!(l.send(0, 0, 1_000), (0, 1_000_000));
        // Arrives while the first is on the wire: starts when it is done.
        assert_eq!(l.send(500_000, 500_000, 2_000), (1_000_000, 3_000_000));
        // Arrives after the link went idle: starts at once.
        assert_eq!(l.send(5_000_000, 5_000_000, 1_000), (5_000_000, 6_000_000));
    }

    /// Two links in a row are pipelined: the second starts once the first has started and
    /// ends no earlier than the first, so the slower one sets the pace.
    #[test]
    fn two_links_are_pipelined() {
        let (mut fast, mut slow) = (link(1e9, None), link(1e6, None));
        let (s, e) = fast.send(0, 0, 1_000); // 1 us
        assert_eq!(slow.send(s, e, 1_000), (0, 1_000_000)); // 1 ms, not 1 ms + 1 us
        let (mut slow, mut fast) = (link(1e6, None), link(1e9, None));
        let (s, e) = slow.send(0, 0, 1_000);
        assert_eq!(fast.send(s, e, 1_000), (0, 1_000_000));
    }

    /// A buffer refuses a message that finds more bytes waiting than it holds, never one
    /// that finds the link idle.
    #[test]
    fn a_buffer_bounds_the_bytes_waiting() {
        let mut l = link(1e6, Some(2_500));
        assert!(!l.full(0, 10_000), "an idle link takes any message");
        l.send(0, 0, 1_000); // busy until 1 ms
        l.send(0, 0, 1_000); // until 2 ms: 2,000 bytes waiting at 0
        assert!(!l.full(0, 500));
        assert!(l.full(0, 501));
        // Half a millisecond later 500 bytes have left.
        assert!(!l.full(500_000, 1_000));
    }
}
