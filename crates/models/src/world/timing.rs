//! Where each call's time goes. For every call in flight: when it was sent, when its work
//! began, when its current call step began, and its downstream and network time so far; and
//! the *trail* it carries: the pieces of its critical path (its own wait and service, its
//! hop, and the trails of the calls that answered its steps last). When a call ends, its
//! component's [`CallTimes`] get its response time and phases; when a measured request
//! succeeds, its trail goes into the run's [`Breakdown`] under its latency.
//!
//! The flow calls the hooks below at fixed points of a call's way (sent, work starts, a step
//! starts, done, answered, request done); no kind knows of them. Trails live in one entry
//! log with a free list, so nothing is allocated per call once the run is warm.

use super::*;
use archsim_stats::{Breakdown, CallTimes, DOWNSTREAM, NETWORK, SERVICE, WAIT};

/// No time yet (a call whose work has not begun).
const UNSET: u64 = u64::MAX;

/// A list of trail entries (`NONE` = empty).
#[derive(Clone, Copy, Debug)]
struct Trail {
    head: u32,
    tail: u32,
}

const EMPTY: Trail = Trail {
    head: NONE,
    tail: NONE,
};

/// The times of a call in flight, by its arena slot. Three fields change meaning when the
/// call is done (what they held is then spent), which keeps the record at 48 bytes.
#[derive(Clone, Copy, Debug)]
struct CallTime {
    /// When its caller (or the client) sent it.
    sent: u64,
    /// When its work began (`UNSET` before); once done, when it was done. A call answered
    /// with `UNSET` here was never done at its component (lost or refused on the way).
    mark: u64,
    /// Until done: when its current downstream step began. Once done: its own wait.
    a: u64,
    /// Until done: time spent in its steps beyond the network (its calls' time at their
    /// components). Once done: its own service time.
    b: u64,
    /// Until done: the network hops of the calls that answered its steps last. Once done:
    /// the network time within its own time (a CDN's user-to-edge round trip).
    c: u64,
    /// The critical paths of the calls it made (its own pieces join only when it answers).
    trail: Trail,
}

/// Memory per call in flight, for the estimate: its times (the vector may double as it
/// grows) and a few trail entries (a call's own three pieces, doubled likewise).
pub(in crate::world) const PER_CALL_BYTES: u64 =
    2 * (std::mem::size_of::<CallTime>() + 3 * std::mem::size_of::<Entry>()) as u64;

// A call's times stay within 48 bytes (they are written on every call).
const _: () = assert!(std::mem::size_of::<CallTime>() <= 48);

/// One piece of a critical path: a breakdown slot and its nanoseconds.
#[derive(Clone, Copy, Debug)]
struct Entry {
    slot: u32,
    next: u32,
    ns: u64,
}

/// The timing part of the world.
pub(in crate::world) struct Timing {
    /// Whether the run keeps where the time goes (`Spec::breakdown`); off, every hook
    /// returns at once.
    pub(in crate::world) on: bool,
    calls: Vec<CallTime>,
    log: Vec<Entry>,
    /// Free log entries, linked through `next`.
    free: u32,
    /// By component.
    pub(in crate::world) comps: Vec<CallTimes>,
    pub(in crate::world) breakdown: Breakdown,
    /// The trail (and hop time) of a guarded call that answered its leg, until the leg's end
    /// hands it to the caller.
    carry: Option<(Trail, u64)>,
}

impl Timing {
    pub(in crate::world) fn new(components: usize, classes: usize, on: bool) -> Timing {
        Timing {
            on,
            calls: Vec::new(),
            log: Vec::new(),
            free: NONE,
            comps: (0..components).map(|_| CallTimes::new(classes)).collect(),
            breakdown: Breakdown::new(components),
            carry: None,
        }
    }
    /// Call slot `c` is sent at `now`.
    #[inline(always)]
    pub(in crate::world) fn sent(&mut self, c: u32, now: u64) {
        if !self.on {
            return;
        }
        let t = CallTime {
            sent: now,
            mark: UNSET,
            a: now,
            b: 0,
            c: 0,
            trail: EMPTY,
        };
        match self.calls.get_mut(c as usize) {
            Some(old) => {
                if old.trail.head != NONE {
                    // A slot freed without its trail handed on (a call lost in a crash).
                    let tr = old.trail;
                    self.drop_trail(tr);
                }
                self.calls[c as usize] = t;
            }
            None => {
                debug_assert_eq!(c as usize, self.calls.len());
                self.calls.push(t);
            }
        }
    }
    /// Call `c`'s work begins (the first time only).
    #[inline(always)]
    pub(in crate::world) fn work_starts(&mut self, c: u32, now: u64) {
        if !self.on {
            return;
        }
        let t = &mut self.calls[c as usize];
        if t.mark == UNSET {
            t.mark = now;
        }
    }
    /// When call `c`'s work began, if it has (before it is done).
    pub(in crate::world) fn work_started(&self, c: u32) -> Option<u64> {
        let m = self.calls.get(c as usize)?.mark;
        (m != UNSET).then_some(m)
    }
    /// Call `c` starts a downstream step.
    #[inline(always)]
    pub(in crate::world) fn step_starts(&mut self, c: u32, now: u64) {
        if !self.on {
            return;
        }
        self.calls[c as usize].a = now;
    }
    /// Call `c` (at `comp`, of `class`, arrived at `arrived`) is done at `now`, `edge` of
    /// its own time on the network (a CDN's user-to-edge round trip): its component records
    /// it if `measured`, and its trail gets its own wait, service and network.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(in crate::world) fn done(
        &mut self,
        c: u32,
        comp: u32,
        class: u16,
        arrived: u64,
        edge: u64,
        now: u64,
        measured: bool,
    ) {
        if !self.on {
            return;
        }
        let t = self.calls[c as usize];
        let total = now.saturating_sub(arrived);
        let wait = if t.mark == UNSET {
            0
        } else {
            t.mark.saturating_sub(arrived).min(total)
        };
        let (down, net) = (t.b, t.c);
        let edge = edge.min(total.saturating_sub(wait + down + net));
        let service = total.saturating_sub(wait + down + net + edge);
        if measured {
            let mut p = [0; 4];
            p[WAIT] = wait;
            p[SERVICE] = service;
            p[DOWNSTREAM] = down;
            p[NETWORK] = net + edge;
            self.comps[comp as usize].record(class as usize, total, p);
        }
        let t = &mut self.calls[c as usize];
        t.mark = now;
        t.a = wait;
        t.b = service;
        t.c = edge;
    }
    /// Call `c` (to `comp`, arrived at `arrived`) answered its caller `p` at `now`. When it
    /// was the last of `p`'s step (`last`), its hop and trail join `p`'s; otherwise its trail
    /// is off the critical path and dropped.
    #[inline]
    pub(in crate::world) fn answered(
        &mut self,
        c: u32,
        comp: u32,
        arrived: u64,
        p: u32,
        now: u64,
        last: bool,
    ) {
        if !self.on {
            return;
        }
        let t = self.calls[c as usize];
        self.calls[c as usize].trail = EMPTY;
        if !last {
            return self.drop_trail(t.trail);
        }
        let (tr, net) = self.whole_trail(&t, comp, arrived, now);
        self.join(p, tr, net, now);
    }
    /// Call `t`'s trail with its own pieces (wait, service, network within, and the hop
    /// there and back: `net`, returned too) added, as it answers at `now`.
    fn whole_trail(&mut self, t: &CallTime, comp: u32, arrived: u64, now: u64) -> (Trail, u64) {
        let net = self.hop_time(t, arrived, now);
        let mut tr = t.trail;
        if t.mark != UNSET {
            if t.a > 0 {
                tr = self.append(tr, Breakdown::slot(comp, WAIT), t.a);
            }
            if t.b > 0 {
                tr = self.append(tr, Breakdown::slot(comp, SERVICE), t.b);
            }
        }
        let own_net = net + if t.mark != UNSET { t.c } else { 0 };
        if own_net > 0 {
            tr = self.append(tr, Breakdown::slot(comp, NETWORK), own_net);
        }
        (tr, net)
    }
    /// The network time of call `t` (sent, arrived, done at `t.mark`), answered at `now`.
    #[inline]
    fn hop_time(&self, t: &CallTime, arrived: u64, now: u64) -> u64 {
        let own = if t.mark == UNSET {
            0
        } else {
            t.mark.saturating_sub(arrived)
        };
        now.saturating_sub(t.sent).saturating_sub(own)
    }
    /// The step of `p` ends with the whole trail `tr` of the call (hop time `net`) that
    /// answered it last.
    fn join(&mut self, p: u32, tr: Trail, net: u64, now: u64) {
        let pt = &mut self.calls[p as usize];
        let step = now.saturating_sub(pt.a);
        pt.c += net;
        pt.b += step.saturating_sub(net);
        if tr.head == NONE {
            return;
        }
        let ptr = pt.trail;
        if ptr.head == NONE {
            pt.trail = tr;
        } else {
            self.log[ptr.tail as usize].next = tr.head;
            self.calls[p as usize].trail.tail = tr.tail;
        }
    }
    /// A guarded call `c` answered its leg: its trail waits for the leg's end.
    pub(in crate::world) fn carry(&mut self, c: u32, comp: u32, arrived: u64, now: u64) {
        if !self.on {
            return;
        }
        let t = self.calls[c as usize];
        self.calls[c as usize].trail = EMPTY;
        let (tr, net) = self.whole_trail(&t, comp, arrived, now);
        if let Some((old, _)) = self.carry.replace((tr, net)) {
            self.drop_trail(old);
        }
    }
    /// A guarded leg of `p` ended at `now`; when it was the last of `p`'s step (`last`),
    /// the carried trail (if the leg ended with an answer) joins `p`'s, and the step's time
    /// is downstream time either way.
    pub(in crate::world) fn leg_ended(&mut self, p: u32, now: u64, last: bool) {
        if !self.on {
            return;
        }
        let carried = self.carry.take();
        if !last {
            if let Some((tr, _)) = carried {
                self.drop_trail(tr);
            }
            return;
        }
        let (tr, net) = carried.unwrap_or((EMPTY, 0));
        self.join(p, tr, net, now)
    }
    /// Drops whatever a call carried (its caller no longer waits for it).
    #[inline]
    pub(in crate::world) fn forget(&mut self, c: u32) {
        if !self.on {
            return;
        }
        let tr = self.calls[c as usize].trail;
        if tr.head != NONE {
            self.calls[c as usize].trail = EMPTY;
            self.drop_trail(tr);
        }
    }
    /// The client's call `c` (at `comp`, arrived at `arrived`) answered a measured request
    /// that succeeded at `now` after `latency`: its trail goes into the breakdown.
    pub(in crate::world) fn request_done(
        &mut self,
        c: u32,
        comp: u32,
        arrived: u64,
        now: u64,
        latency: u64,
    ) {
        if !self.on {
            return;
        }
        let t = self.calls[c as usize];
        self.calls[c as usize].trail = EMPTY;
        let net = self.hop_time(&t, arrived, now);
        let retries_slot = self.breakdown.retries_slot() as usize;
        let parts = self.breakdown.request(latency);
        // Its own pieces straight into the bin (a request of one call touches no trail).
        let (wait, service, within) = if t.mark != UNSET {
            (t.a, t.b, t.c)
        } else {
            (0, 0, 0)
        };
        parts[Breakdown::slot(comp, WAIT) as usize] += wait;
        parts[Breakdown::slot(comp, SERVICE) as usize] += service;
        parts[Breakdown::slot(comp, NETWORK) as usize] += net + within;
        let mut sum = net + within + wait + service;
        let mut e = t.trail.head;
        while e != NONE {
            let en = self.log[e as usize];
            parts[en.slot as usize] += en.ns;
            sum += en.ns;
            e = en.next;
        }
        // Earlier attempts, backoff, and the gaps of guarded retries.
        parts[retries_slot] += latency.saturating_sub(sum);
        self.drop_trail(t.trail);
    }
    #[inline]
    fn append(&mut self, tr: Trail, slot: u32, ns: u64) -> Trail {
        let en = Entry {
            slot,
            next: NONE,
            ns,
        };
        let i = if self.free != NONE {
            let i = self.free;
            self.free = self.log[i as usize].next;
            self.log[i as usize] = en;
            i
        } else {
            self.log.push(en);
            (self.log.len() - 1) as u32
        };
        if tr.head == NONE {
            Trail { head: i, tail: i }
        } else {
            self.log[tr.tail as usize].next = i;
            Trail {
                head: tr.head,
                tail: i,
            }
        }
    }
    /// Returns a trail's entries to the free list.
    #[inline]
    fn drop_trail(&mut self, tr: Trail) {
        if tr.head == NONE {
            return;
        }
        self.log[tr.tail as usize].next = self.free;
        self.free = tr.head;
    }
}
