//! The call and request arena: the `Call` and `Req` records, taking and freeing their slots,
//! and the named accessors for what a call's identity fields mean for each kind of call.
//!
//! A call record fits one cache line, so a few of its fields mean different things for
//! different calls: the request it serves (a client call), the start time (a call of the
//! simple client, which keeps no request record), the component it works for (a queue's
//! consumer, a cache's flush or refresh), the primary's term (a replica applying a write).
//! Those fields are private to this module: everything else reads and writes them through
//! the constructors and accessors below, which say what they mean.

use super::*;

/// No call, guard or component: a call's parent when it comes from the client, an empty
/// guard slot, a call step without policies.
pub(in crate::world) const NONE: u32 = u32::MAX;
/// Parent of a call the system makes on its own behalf (see [`Internal`]).
pub(in crate::world) const INTERNAL: u32 = u32::MAX - 1;

/// `Call::cancelled`: the caller timed out on it (dropped only where `drop_expired` is set).
pub(in crate::world) const CANCEL_TIMEOUT: u8 = 1;
/// `Call::cancelled`: a hedge copy that lost (dropped before its CPU time).
pub(in crate::world) const CANCEL_HEDGE: u8 = 2;

/// What a call the system makes on its own behalf (parent [`INTERNAL`]) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(in crate::world) enum Internal {
    /// A replica applying a write shipped by the primary.
    Apply = 0,
    /// A queue's consumer handling a message.
    Consume = 1,
    /// A write-behind cache flushing a buffered write to its backing store.
    Flush = 2,
    /// A cache refreshing an entry ahead of its TTL.
    Refresh = 3,
    /// A replica that was down (or is still catching up) replaying a write from the
    /// primary's log.
    Replay = 4,
}

/// What a cache marks on a call that goes to its backing store: what to do with the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub(in crate::world) enum CacheMark {
    /// Nothing to store (a write-aside write, an edge miss with a hit probability).
    None = 0,
    /// A read miss: store the key once the backing store has answered.
    Fill = 1,
    /// A write-through write: store the key once the backing store has it.
    WriteThrough = 2,
}

#[derive(Clone, Copy, Debug)]
pub(in crate::world) struct Call {
    pub(in crate::world) parent: u32,
    /// A client call: the request's index (the start time's high half for the simple
    /// client); an internal call: the component it works for, or the primary's term.
    req: u32,
    /// A client call: the attempt's generation (the start time's low half for the simple
    /// client); an internal call: its [`Internal`] kind.
    gen: u32,
    pub(in crate::world) comp: u32,
    pub(in crate::world) inst: u32,
    /// Downstream calls outstanding (at most `u16::MAX`: instances are capped at 65,535).
    pub(in crate::world) pending: u16,
    pub(in crate::world) class: u16,
    /// A service: the next downstream call step; a cache: its [`CacheMark`].
    step: u16,
    /// 0 = no error, else reason index + 1.
    pub(in crate::world) err: u8,
    pub(in crate::world) holds_worker: bool,
    /// Holds the row lock of its key.
    pub(in crate::world) holds_lock: bool,
    /// The component has answered (or failed) this call.
    pub(in crate::world) done: bool,
    /// Its instance crashed while holding it: its caller was told, and the slot lives on only
    /// until the events that still refer to it have run.
    pub(in crate::world) orphan: bool,
    /// Reached its instance.
    pub(in crate::world) delivered: bool,
    /// The slot is on the free list.
    pub(in crate::world) free: bool,
    /// The client's region (requests from the client only; `NO_REGION` otherwise).
    pub(in crate::world) origin: u8,
    /// The caller gave up on it (`CANCEL_*`), or 0.
    pub(in crate::world) cancelled: u8,
    /// The guard (policies) it answers to, or `NONE`.
    pub(in crate::world) guard: u32,
    pub(in crate::world) key: u64,
    pub(in crate::world) arrived: u64,
    /// An internal call: the write's commit time (apply, replay), the message's publish time
    /// (consume), the cache instance (refresh). A CDN call: the user-to-edge round trip.
    aux: u64,
}

// A call record fits one cache line (the arena is the hot path's main memory traffic).
const _: () = assert!(std::mem::size_of::<Call>() <= 64);

impl Call {
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn new(
        parent: u32,
        req: u32,
        gen: u32,
        comp: u32,
        inst: u32,
        class: u16,
        key: u64,
        aux: u64,
    ) -> Call {
        Call {
            parent,
            req,
            gen,
            comp,
            inst,
            pending: 0,
            class,
            step: 0,
            err: 0,
            holds_worker: false,
            holds_lock: false,
            done: false,
            orphan: false,
            delivered: false,
            free: false,
            origin: NO_REGION,
            cancelled: 0,
            guard: NONE,
            key,
            arrived: 0,
            aux,
        }
    }

    // ----- constructors -----

    /// An attempt (generation `gen`) of client request `r`.
    #[inline]
    pub(in crate::world) fn attempt(
        r: u32,
        gen: u32,
        comp: u32,
        inst: u32,
        class: u16,
        key: u64,
    ) -> Call {
        Call::new(NONE, r, gen, comp, inst, class, key, 0)
    }
    /// A request of the simple client (no request record), which started at `start_ns`.
    #[inline]
    pub(in crate::world) fn simple(
        start_ns: u64,
        comp: u32,
        inst: u32,
        class: u16,
        key: u64,
    ) -> Call {
        Call::new(
            NONE,
            (start_ns >> 32) as u32,
            start_ns as u32,
            comp,
            inst,
            class,
            key,
            0,
        )
    }
    /// A downstream call of call `p` (slot `parent`) to an instance of `to`: it serves the
    /// same request, class and key.
    #[inline]
    pub(in crate::world) fn child(p: &Call, parent: u32, to: u32, inst: u32) -> Call {
        Call::new(parent, p.req, p.gen, to, inst, p.class, p.key, 0)
    }
    /// A replica `inst` of database `db` applying (or replaying, `replay`) a write of
    /// `key` committed at `commit_ns` by the primary of `term`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(in crate::world) fn apply(
        replay: bool,
        term: u32,
        db: u32,
        inst: u32,
        class: u16,
        key: u64,
        commit_ns: u64,
    ) -> Call {
        let kind = if replay {
            Internal::Replay
        } else {
            Internal::Apply
        };
        Call::new(INTERNAL, term, kind as u32, db, inst, class, key, commit_ns)
    }
    /// A consumer (instance `inst` of `target`) handling a message of `queue` published at
    /// `published_ns`.
    #[inline]
    pub(in crate::world) fn consume(
        queue: u32,
        target: u32,
        inst: u32,
        class: u16,
        key: u64,
        published_ns: u64,
    ) -> Call {
        Call::new(
            INTERNAL,
            queue,
            Internal::Consume as u32,
            target,
            inst,
            class,
            key,
            published_ns,
        )
    }
    /// Cache `cache` flushing a buffered write to instance `inst` of its backing store.
    #[inline]
    pub(in crate::world) fn flush(
        cache: u32,
        backing: u32,
        inst: u32,
        class: u16,
        key: u64,
    ) -> Call {
        Call::new(
            INTERNAL,
            cache,
            Internal::Flush as u32,
            backing,
            inst,
            class,
            key,
            0,
        )
    }
    /// Instance `cache_inst` of cache `cache` refreshing `key` from instance `inst` of its
    /// backing store.
    #[inline]
    pub(in crate::world) fn refresh(
        cache: u32,
        cache_inst: u32,
        backing: u32,
        inst: u32,
        class: u16,
        key: u64,
    ) -> Call {
        Call::new(
            INTERNAL,
            cache,
            Internal::Refresh as u32,
            backing,
            inst,
            class,
            key,
            cache_inst as u64,
        )
    }

    // ----- what the identity fields mean -----

    /// What an internal call does; `None` for a call with a caller.
    #[inline]
    pub(in crate::world) fn internal(&self) -> Option<Internal> {
        if self.parent != INTERNAL {
            return None;
        }
        Some(match self.gen {
            0 => Internal::Apply,
            1 => Internal::Consume,
            2 => Internal::Flush,
            3 => Internal::Refresh,
            _ => Internal::Replay,
        })
    }
    /// Whether the call applies (or replays) a write at a replica.
    #[inline]
    pub(in crate::world) fn is_apply(&self) -> bool {
        self.parent == INTERNAL
            && (self.gen == Internal::Apply as u32 || self.gen == Internal::Replay as u32)
    }
    /// Whether the call is a replica replaying a write from the primary's log.
    #[inline]
    pub(in crate::world) fn is_replay(&self) -> bool {
        self.parent == INTERNAL && self.gen == Internal::Replay as u32
    }
    /// A client call: the index of the request it is an attempt of.
    #[inline]
    pub(in crate::world) fn request(&self) -> u32 {
        self.req
    }
    /// A client call: the generation of the attempt (stale when the request's has moved on).
    #[inline]
    pub(in crate::world) fn attempt_gen(&self) -> u32 {
        self.gen
    }
    /// A call of the simple client: when its request started.
    #[inline]
    pub(in crate::world) fn start_ns(&self) -> u64 {
        (self.req as u64) << 32 | self.gen as u64
    }
    /// An apply or replay: the term of the primary that shipped it.
    #[inline]
    pub(in crate::world) fn term(&self) -> u32 {
        self.req
    }
    /// A consume, flush or refresh: the queue or cache it works for.
    #[inline]
    pub(in crate::world) fn owner(&self) -> u32 {
        self.req
    }
    /// An apply or replay: when the primary committed the write.
    #[inline]
    pub(in crate::world) fn commit_ns(&self) -> u64 {
        self.aux
    }
    /// A consume: when the message was published.
    #[inline]
    pub(in crate::world) fn published_ns(&self) -> u64 {
        self.aux
    }
    /// A refresh: the cache instance whose entry it refreshes.
    #[inline]
    pub(in crate::world) fn refresh_inst(&self) -> u32 {
        self.aux as u32
    }
    /// A call at a CDN: the user-to-edge round trip drawn on arrival (0 if none).
    #[inline]
    pub(in crate::world) fn edge_ns(&self) -> u64 {
        self.aux
    }
    #[inline]
    pub(in crate::world) fn set_edge_ns(&mut self, ns: u64) {
        self.aux = ns;
    }
    /// A call at a service: the next downstream call step.
    #[inline]
    pub(in crate::world) fn step(&self) -> u16 {
        self.step
    }
    #[inline]
    pub(in crate::world) fn advance_step(&mut self) {
        self.step += 1;
    }
    /// A call at a cache: what to do with the backing store's answer.
    #[inline]
    pub(in crate::world) fn cache_mark(&self) -> CacheMark {
        match self.step {
            1 => CacheMark::Fill,
            2 => CacheMark::WriteThrough,
            _ => CacheMark::None,
        }
    }
    #[inline]
    pub(in crate::world) fn set_cache_mark(&mut self, m: CacheMark) {
        self.step = m as u16;
    }
}

/// A client request: its attempts, its outcome so far, and the closed-loop user it belongs
/// to.
#[derive(Clone, Copy, Debug)]
pub(in crate::world) struct Req {
    pub(in crate::world) start: u64,
    pub(in crate::world) key: u64,
    pub(in crate::world) user: u32,
    /// Grows with every attempt (and across reuse of the slot) so stale events never match.
    pub(in crate::world) gen: u32,
    pub(in crate::world) attempts: u32,
    pub(in crate::world) class: u16,
    pub(in crate::world) origin: u8,
    pub(in crate::world) live: bool,
    /// A fallback answered for a failed call of the current attempt.
    pub(in crate::world) degraded: bool,
}

impl World {
    #[inline]
    pub(in crate::world) fn new_call(&mut self, call: Call) -> u32 {
        let i = match self.free_calls.pop() {
            Some(i) => {
                self.calls[i as usize] = call;
                i
            }
            None => {
                self.calls.push(call);
                (self.calls.len() - 1) as u32
            }
        };
        self.made(i);
        i
    }
    /// Call slot `c` was just filled, sent now: its times (and its span) start. (It reads
    /// the call from its slot: a reference to the new record would keep a copy of it.)
    #[inline(always)]
    fn made(&mut self, c: u32) {
        if self.watch_made {
            self.made_observed(c);
        }
    }
    #[inline(never)]
    fn made_observed(&mut self, c: u32) {
        self.time.sent(c, self.now);
        if let Some(t) = &mut self.tracer {
            t.call_made(c, &self.calls[c as usize], self.traffic.simple, self.now);
        }
    }
    #[inline]
    pub(in crate::world) fn free_call(&mut self, c: u32) {
        debug_assert!(!self.calls[c as usize].free, "call freed twice");
        self.calls[c as usize].free = true;
        self.free_calls.push(c);
    }
}
