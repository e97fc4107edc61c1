//! Memory per instance: a component's memory model (capacity, base use, memory held by each
//! call in flight, leaks, garbage collection), the OOM kill of an instance whose use would
//! pass its capacity, and the memory figures of the report.
//!
//! **Use.** An instance's memory in use is `base + held + leaked`: `base` from its start,
//! `held` the sum of the bytes each call in flight there holds (one draw of
//! `per_request` per call, from its arrival to its reply: a call waiting for a core, a worker
//! or its downstream calls holds it too, so Little's law gives the mean: `base + lambda x R x
//! E[per_request]`), and `leaked` what a `leak` fault added (per call arriving, or per second
//! while it lasts). A crash frees everything; a restarted instance starts again at `base`.
//!
//! **OOM kill.** A call whose bytes would take the use past the capacity kills the instance,
//! as the kernel's OOM killer does a container over its limit: a crash (the call and every
//! call the instance held fail with `unavailable`, as with a `crash` fault), recorded as
//! `oom_kill` in the timeline, then a restart after the component's `restart` delay, or 10 s
//! without one (Kubernetes' first back-off after a container dies; its later back-offs
//! double, which this model does not do). A leak per second kills it at the moment the use
//! reaches the capacity, so a constant leak of `rate` bytes a second on an idle instance
//! cycles every `(capacity - base) / rate + restart` seconds.
//!
//! **Garbage collection** (`gc_overhead = k`). The cost of a copying (or mark-compact)
//! collector per allocated byte is proportional to `live / (heap - live)`: each collection
//! traces the live set `L`, and one happens every `H - L` bytes allocated (Appel, "Garbage
//! collection can be faster than stack allocation", 1987; Jones and Lins, *Garbage
//! Collection*, 1996, ch. 6). With the occupancy `u = use / capacity` as the live share, the
//! CPU time of a call, drawn when its CPU time starts, is multiplied by
//! `1 + k x u / (1 - u)`: `k` is the overhead at half occupancy, and it grows without bound
//! as the heap fills. That is the death spiral: under load, slower calls stay in flight
//! longer, hold more memory (Little's law), raise the occupancy, and slow every call further;
//! past the load where `u = (base + lambda x s x (1 + k u / (1 - u)) x m) / capacity` has no
//! solution below 1, latency and memory climb together until an OOM kill.
//!
//! A component without a memory model pays nothing: the flow asks one `Option` per arrival
//! and one flag per answer, and every memory step is out of line.

use crate::world::*;

/// A component's memory model, per instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemorySpec {
    /// Memory of one instance, in bytes; `None`: no limit (no OOM kill, no utilization).
    /// A machine type may supply it.
    pub capacity: Option<u64>,
    /// Memory an instance uses from its start, in bytes.
    pub base: u64,
    /// Bytes each call holds at the instance from its arrival to its reply.
    pub per_request: Option<Dist>,
    /// Garbage collection's CPU overhead; `None`: none.
    pub gc: Option<GcSpec>,
}

/// A garbage collector whose CPU overhead grows with the heap's occupancy `u`: a call's CPU
/// time is multiplied by `1 + overhead x u / (1 - u)` (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GcSpec {
    /// The overhead at half occupancy (0.1: CPU times 10% longer with the heap half full).
    pub overhead: f64,
}

impl GcSpec {
    /// The factor on a CPU time at occupancy `u` (clamped to `[0, MAX_OCCUPANCY]`).
    pub fn factor(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, MAX_OCCUPANCY);
        1.0 + self.overhead * u / (1.0 - u)
    }
}

/// The highest occupancy the collector's cost is computed at (an instance past its capacity
/// is killed before it gets there; this keeps the factor finite).
const MAX_OCCUPANCY: f64 = 0.999;

/// The restart delay of an OOM-killed instance whose component has no `restart`.
pub const OOM_RESTART_DEFAULT: SimTime = SimTime::from_secs(10);

/// A component's memory state.
pub(in crate::world) struct Heap {
    /// Bytes; `u64::MAX` without a capacity.
    capacity: u64,
    has_capacity: bool,
    base: u64,
    per_request: Option<Dist>,
    gc: Option<GcSpec>,
    rng: Stream,
    /// Delay before an OOM-killed instance restarts (ns).
    restart_ns: u64,
    insts: Vec<HeapInst>,
    oom_kills: u64,
}

/// One instance's memory.
pub(in crate::world) struct HeapInst {
    /// Bytes held by the calls in flight.
    held: u64,
    /// Bytes leaked since the instance started (folded up to `since`).
    leaked: f64,
    /// Active leaks: bytes per arriving call, and bytes per nanosecond.
    leak_per_call: u64,
    leak_rate: f64,
    /// Time up to which `leaked` counts the leak per second.
    since: u64,
    /// Down (crashed): its memory is gone.
    down: bool,
    /// Down because of an OOM kill (its restart says so).
    oom: bool,
    /// Time of the pending OOM check of a leak per second (0: none).
    due: u64,
    /// Bytes in use over time.
    level: TimeAverage,
    /// OOM kills of this instance.
    kills: u64,
}

impl HeapInst {
    /// Bytes in use at `now` (with the leak per second up to `now`).
    fn used_at(&self, base: u64, now: u64) -> f64 {
        if self.down {
            return 0.0;
        }
        let growing = self.leak_rate * now.saturating_sub(self.since) as f64;
        (base + self.held) as f64 + self.leaked + growing
    }
    /// Folds the leak per second into `leaked` up to `now`.
    fn fold(&mut self, now: u64) {
        if !self.down {
            self.leaked += self.leak_rate * now.saturating_sub(self.since) as f64;
        }
        self.since = now;
    }
    /// Records the level now.
    fn note(&mut self, base: u64, now: u64) {
        let u = self.used_at(base, now);
        self.level.set(now, u as u64);
    }
}

impl Heap {
    /// The memory state of component `c` (`None` without a memory model).
    pub(in crate::world) fn build(
        c: &ComponentSpec,
        cx: &BuildCx<'_>,
        seed: u64,
    ) -> Option<Box<Heap>> {
        let m = c.memory.as_ref()?;
        let interval = cx.spec.series_interval.as_nanos();
        let restart_ns = cx.ops[cx.index as usize]
            .restart
            .unwrap_or(OOM_RESTART_DEFAULT)
            .as_nanos();
        let insts = (0..c.instances)
            .map(|_| {
                let mut level = TimeAverage::with_series(cx.window, interval);
                level.set(0, m.base);
                HeapInst {
                    held: 0,
                    leaked: 0.0,
                    leak_per_call: 0,
                    leak_rate: 0.0,
                    since: 0,
                    down: false,
                    oom: false,
                    due: 0,
                    level,
                    kills: 0,
                }
            })
            .collect();
        Some(Box::new(Heap {
            capacity: m.capacity.unwrap_or(u64::MAX),
            has_capacity: m.capacity.is_some(),
            base: m.base,
            per_request: m.per_request.clone().filter(|d| !d.is_zero()),
            gc: m.gc,
            rng: stream(seed, &format!("component/{}/memory", c.name)),
            restart_ns,
            insts,
            oom_kills: 0,
        }))
    }
    /// Whether it has a capacity (so its instances can be OOM-killed).
    pub(in crate::world) fn has_capacity(&self) -> bool {
        self.has_capacity
    }
    /// Instance `inst`'s occupancy at `now` (use over capacity); `None` without a capacity.
    pub(in crate::world) fn utilization(&self, inst: u32, now: u64) -> Option<f64> {
        self.has_capacity
            .then(|| self.insts[inst as usize].used_at(self.base, now) / self.capacity as f64)
    }
    /// The factor garbage collection puts on a CPU time starting now at instance `inst`.
    fn gc_factor(&self, inst: u32, now: u64) -> f64 {
        match (&self.gc, self.utilization(inst, now)) {
            (Some(gc), Some(u)) => gc.factor(u),
            _ => 1.0,
        }
    }
}

/// The memory the flow keeps per call: what each call in flight holds at its instance.
#[derive(Default)]
pub(in crate::world) struct CallBytes {
    /// Some component has a memory model (every answer releases its call's bytes).
    pub(in crate::world) on: bool,
    /// By call slot: the bytes the call holds (0 when it holds none).
    bytes: Vec<u64>,
}

impl World {
    /// Call `c` arrives at an instance of a component with a memory model: it takes its
    /// bytes (and a leak's); true when that kills the instance (the call then fails as at a
    /// down instance).
    #[inline(never)]
    pub(in crate::world) fn heap_arrive(&mut self, ctx: &mut Context<'_, Ev>, c: u32) -> bool {
        let now = ctx.now().as_nanos();
        let Call { comp, inst, .. } = self.calls[c as usize];
        let h = self.comps[comp as usize]
            .heap
            .as_mut()
            .expect("memory model");
        let bytes = match &h.per_request {
            Some(d) => d.sample(&mut h.rng).as_nanos(),
            None => 0,
        };
        let (base, cap) = (h.base, h.capacity);
        let i = &mut h.insts[inst as usize];
        let leak = i.leak_per_call;
        if i.used_at(base, now) + (bytes + leak) as f64 > cap as f64 {
            // Not one of the calls the instance held: it fails on its own.
            self.calls[c as usize].delivered = false;
            self.oom_kill(ctx, comp, inst);
            return true;
        }
        i.held += bytes;
        i.leaked += leak as f64;
        i.note(base, now);
        let rate = i.leak_rate > 0.0;
        let k = c as usize;
        if self.call_bytes.bytes.len() <= k {
            self.call_bytes.bytes.resize(k + 1, 0);
        }
        self.call_bytes.bytes[k] = bytes;
        if rate {
            self.heap_schedule(ctx, comp, inst);
        }
        false
    }
    /// Call `c` is answered: its instance frees the bytes it held.
    #[inline(never)]
    pub(in crate::world) fn heap_release(&mut self, c: u32) {
        let Some(b) = self.call_bytes.bytes.get_mut(c as usize) else {
            return;
        };
        let bytes = std::mem::take(b);
        let Call { comp, inst, .. } = self.calls[c as usize];
        let Some(h) = self.comps[comp as usize].heap.as_mut() else {
            return;
        };
        let base = h.base;
        let i = &mut h.insts[inst as usize];
        if i.down || bytes == 0 {
            return;
        }
        i.held = i.held.saturating_sub(bytes);
        i.note(base, self.now);
    }
    /// Instance `inst` of `comp` crashed: its memory is gone, and the calls it held (`held`)
    /// hold none any more.
    #[inline(never)]
    pub(in crate::world) fn heap_down(&mut self, comp: u32, inst: u32, now: u64, held: &[u32]) {
        for &c in held {
            if let Some(b) = self.call_bytes.bytes.get_mut(c as usize) {
                *b = 0;
            }
        }
        let Some(h) = self.comps[comp as usize].heap.as_mut() else {
            return;
        };
        let i = &mut h.insts[inst as usize];
        i.fold(now);
        i.down = true;
        i.held = 0;
        i.leaked = 0.0;
        i.due = 0;
        i.level.set(now, 0);
    }
    /// Instance `inst` of `comp` is up again: a new process at its base use (a leak still
    /// active goes on leaking).
    #[inline(never)]
    pub(in crate::world) fn heap_up(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let now = ctx.now().as_nanos();
        let Some(h) = self.comps[comp as usize].heap.as_mut() else {
            return;
        };
        let base = h.base;
        let i = &mut h.insts[inst as usize];
        i.down = false;
        i.oom = false;
        i.held = 0;
        i.leaked = 0.0;
        i.since = now;
        i.due = 0;
        i.note(base, now);
        if i.leak_rate > 0.0 {
            self.heap_schedule(ctx, comp, inst);
        }
    }
    /// Whether instance `inst` of `comp` went down in an OOM kill (read before it is up).
    pub(in crate::world) fn oom_killed(&self, comp: u32, inst: u32) -> bool {
        self.comps[comp as usize]
            .heap
            .as_ref()
            .is_some_and(|h| h.insts[inst as usize].oom)
    }
    /// A leak per second is active at instance `inst`: checks for an OOM kill when the use
    /// would reach the capacity (earlier than any check pending; a later one is ignored).
    fn heap_schedule(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let now = ctx.now().as_nanos();
        let Some(h) = self.comps[comp as usize].heap.as_mut() else {
            return;
        };
        if !h.has_capacity {
            return;
        }
        let (base, cap) = (h.base, h.capacity as f64);
        let i = &mut h.insts[inst as usize];
        if i.down || i.leak_rate <= 0.0 {
            return;
        }
        let room = (cap - i.used_at(base, now)).max(0.0);
        let at = now.saturating_add((room / i.leak_rate).ceil() as u64);
        if i.due == 0 || at < i.due {
            i.due = at;
            // An up instance's `Restart` event is its memory check.
            ctx.schedule_at(SimTime(at), Ev::Restart(comp, inst));
        }
    }
    /// The check a leak per second scheduled: the use reached the capacity (an OOM kill), or
    /// calls have since freed some (check again later).
    pub(in crate::world) fn heap_check(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let now = ctx.now().as_nanos();
        let Some(h) = self.comps[comp as usize].heap.as_mut() else {
            return;
        };
        let (base, cap) = (h.base, h.capacity as f64);
        let i = &mut h.insts[inst as usize];
        if i.due != now || i.down {
            return;
        }
        i.due = 0;
        // Within a byte of the capacity: the check was scheduled for this moment.
        if i.used_at(base, now) >= cap - 1.0 {
            self.oom_kill(ctx, comp, inst);
        } else {
            self.heap_schedule(ctx, comp, inst);
        }
    }
    /// Instance `inst` of `comp` passed its capacity: it is killed (a crash: what it held
    /// fails or is lost) and restarts after the component's delay.
    #[cold]
    fn oom_kill(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
        let now = ctx.now().as_nanos();
        let h = self.comps[comp as usize]
            .heap
            .as_mut()
            .expect("memory model");
        h.oom_kills += 1;
        let (cap, delay) = (h.capacity, h.restart_ns);
        let i = &mut h.insts[inst as usize];
        i.kills += 1;
        i.fold(now);
        // It reached its capacity at this moment.
        i.level.set(now, cap);
        i.oom = true;
        let lost = self.crash(ctx, comp, inst);
        let label = self.comps[comp as usize].label(inst);
        self.rec.timeline(
            now,
            &label,
            &Event::starts("oom_kill", Category::Fault, "was OOM-killed"),
            format!(
                "memory reached its capacity of {}; calls in progress lost: {lost}; restarts in {}",
                bytes_text(cap),
                SimTime(delay)
            ),
        );
        let i = &mut self.comps[comp as usize].insts[inst as usize];
        i.restart_at = now + delay;
        ctx.schedule_in(SimTime(delay), Ev::Restart(comp, inst));
        self.note_live(comp, now);
    }
    /// A leak fault starts (`start`) or ends at instance `inst` of `comp`.
    pub(in crate::world) fn heap_leak(
        &mut self,
        ctx: &mut Context<'_, Ev>,
        comp: u32,
        inst: u32,
        (per_request, per_second): (u64, f64),
        start: bool,
    ) {
        let now = ctx.now().as_nanos();
        let Some(h) = self.comps[comp as usize].heap.as_mut() else {
            return;
        };
        let i = &mut h.insts[inst as usize];
        i.fold(now);
        let rate = per_second / 1e9;
        if start {
            i.leak_per_call += per_request;
            i.leak_rate += rate;
        } else {
            i.leak_per_call = i.leak_per_call.saturating_sub(per_request);
            i.leak_rate = (i.leak_rate - rate).max(0.0);
            if i.leak_rate < 1e-18 {
                i.leak_rate = 0.0;
            }
        }
        if start && rate > 0.0 {
            self.heap_schedule(ctx, comp, inst);
        }
    }
    /// CPU time `d` starting now at `inst` of `comp`, stretched by garbage collection (as it
    /// is without a collector).
    #[inline(never)]
    pub(in crate::world) fn gc_stretch(&self, comp: u32, inst: u32, d: SimTime) -> SimTime {
        let f = self.comps[comp as usize]
            .heap
            .as_ref()
            .map_or(1.0, |h| h.gc_factor(inst, self.now));
        if f == 1.0 {
            d
        } else {
            SimTime::from_nanos_f64(d.as_nanos() as f64 * f)
        }
    }
    /// Instance `inst` of component `comp`'s memory utilization now (use over capacity), for
    /// an autoscaler or any other reader; `None` without a memory model with a capacity.
    pub fn memory_utilization(&self, comp: u32, inst: u32) -> Option<f64> {
        let h = self.comps.get(comp as usize)?.heap.as_ref()?;
        if inst as usize >= h.insts.len() {
            return None;
        }
        h.utilization(inst, self.now)
    }
}

/// A size as people write it (`512 MiB`, `4.0 GiB`).
pub(in crate::world) fn bytes_text(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

impl Heap {
    /// The memory figures: mean and peak use, and with a capacity the utilization (mean over
    /// the measured window, peak, per series bucket) and the OOM kills; the same per
    /// instance, and each instance's use per series bucket into `per_inst` (with a capacity)
    /// when the run keeps instances' series.
    pub(in crate::world) fn report(
        &mut self,
        s: &mut ComponentStats,
        end_ns: u64,
        buckets: usize,
        interval_ns: u64,
        per_inst: Option<&mut InstanceSeries>,
    ) {
        let cap = self.has_capacity.then_some(self.capacity);
        let levels = self.insts.iter_mut().map(|i| &mut i.level);
        memory_figures(s, levels, cap, true, (end_ns, buckets, interval_ns));
        if self.has_capacity {
            s.counters.insert("oom_kills", self.oom_kills);
        }
        s.per_instance_memory = Some(Box::new(MemoryPerInstance {
            capacity: self.has_capacity.then_some(self.capacity),
            replications: 1,
            insts: self
                .insts
                .iter()
                .map(|i| InstanceMemory {
                    used_area: i.level.area,
                    peak_bytes_total: i.level.max,
                    oom_kills: i.kills,
                })
                .collect(),
        }));
        if let Some(p) = per_inst.filter(|_| self.has_capacity) {
            p.memory_capacity = Some(self.capacity);
            p.memory = self
                .insts
                .iter()
                .map(|i| super::report::bucket_areas(&i.level, buckets))
                .collect();
        }
    }
}

/// The memory figures of a component from each instance's bytes in use over time (`levels`),
/// for a memory model (`heap.rs`) and a cache's sized entries alike: mean and peak use
/// (`memory_used_bytes_mean`, `memory_peak_bytes`), and with a capacity `cap` the utilization
/// (`memory_utilization_mean`, the series `memory_utilization`, and with `with_max` the mean
/// of each replication's peak, `memory_utilization_max`); without one, the series
/// `memory_used_bytes`. `(end_ns, buckets, interval_ns)`: the run's end and its series.
pub(in crate::world) fn memory_figures<'a>(
    s: &mut ComponentStats,
    levels: impl ExactSizeIterator<Item = &'a mut TimeAverage>,
    cap: Option<u64>,
    with_max: bool,
    (end_ns, buckets, interval_ns): (u64, usize, u64),
) {
    let n = levels.len() as f64;
    let mut area = 0.0; // bytes x ns, averaged over instances
    let mut peak = 0u64;
    let mut per_bucket = vec![0.0f64; buckets];
    for level in levels {
        level.finish(end_ns);
        area += level.area as f64 / n;
        peak = peak.max(level.max);
        for (b, a) in level.bucket_areas().take(buckets).enumerate() {
            per_bucket[b] += a as f64 / n;
        }
    }
    // Counters pool by adding: a peak is pooled as a sum over replications, with the
    // count of replications beside it, so its figure is the mean peak.
    s.inputs.extend([
        // bytes x ms
        ("memory_used_area".to_string(), (area / 1e6).round() as u64),
        ("memory_peak_bytes_total".to_string(), peak),
        ("memory_replications".to_string(), 1),
    ]);
    s.figures
        .declare(Figure::time_mean("memory_used_bytes_mean", "memory_used_area", 1e3).order(5));
    s.figures.declare(
        Figure::mean(
            "memory_peak_bytes",
            "memory_peak_bytes_total",
            "memory_replications",
            1.0,
        )
        .order(5),
    );
    let Some(cap) = cap else {
        s.series.insert(
            "memory_used_bytes",
            per_bucket.iter().map(|a| a / interval_ns as f64).collect(),
        );
        s.figures.declare(Figure::series("memory_used_bytes"));
        return;
    };
    let cap = cap as f64;
    // utilization x ns = ppm x ms
    s.inputs.insert(
        "memory_utilization_area".to_string(),
        (area / cap).round() as u64,
    );
    if with_max {
        s.inputs.insert(
            "memory_peak_ppm".to_string(),
            (peak as f64 / cap * 1e6).round() as u64,
        );
    }
    s.figures.declare(
        Figure::time_mean("memory_utilization_mean", "memory_utilization_area", 1e9).order(5),
    );
    if with_max {
        s.figures.declare(
            Figure::mean(
                "memory_utilization_max",
                "memory_peak_ppm",
                "memory_replications",
                1e6,
            )
            .order(5),
        );
    }
    s.series.insert(
        "memory_utilization",
        per_bucket
            .iter()
            .map(|a| a / cap / interval_ns as f64)
            .collect(),
    );
    s.figures
        .declare(Figure::series("memory_utilization").charted(Chart {
            id: "memory-utilization".into(),
            title: "Memory utilization over time".into(),
            y_label: "memory in use / capacity".into(),
            y_max: Some(1.0),
        }));
}
