//! The built-in component kinds, one module each: how a call is handled when it arrives at
//! an instance of the kind and when its downstream calls answer, what an instance of the
//! kind loses in a crash, and the one list of kinds ([`Body`]).

pub(crate) mod cache;
pub(crate) mod cdn;
pub(crate) mod custom;
pub(crate) mod database;
pub(crate) mod load_balancer;
pub(crate) mod queue;
mod rate_limit;
pub(crate) mod service;
#[cfg(test)]
mod testing;

pub(in crate::world) use cache::*;
pub(in crate::world) use cdn::*;
pub(in crate::world) use custom::*;
pub(in crate::world) use database::*;
pub(in crate::world) use load_balancer::*;
pub(in crate::world) use queue::*;
pub(in crate::world) use rate_limit::*;
pub(in crate::world) use service::*;

use crate::world::*;
use archsim_stats::TimeAverage;

/// The contract between the flow and a kind: what the flow asks of a kind, by static
/// dispatch through the one list of kinds ([`kinds!`]). A kind answers with [`Step`]s the
/// flow applies; the defaults serve the kinds that have nothing to do there.
pub(in crate::world) trait Kind {
    /// Whether the kind leaves follow-ups ([`Then`]) that run after its answer.
    const FOLLOW_UPS: bool = false;
    /// Whether the kind still refers to a call after its instance crashed (a custom
    /// component's behaviour holds call ids), so an orphan's slot is never freed.
    const KEEPS_ORPHANS: bool = false;
    /// A call reaches an instance of the kind (the flow has counted it): what becomes of
    /// it.
    fn arrive(w: &mut World, ctx: &mut Context<'_, Ev>, c: u32) -> Step;
    /// Every downstream call of call `p`'s current step has answered (the first error
    /// `perr`, or 0): what becomes of `p`.
    fn answered(_w: &mut World, _ctx: &mut Context<'_, Ev>, _p: u32, _perr: u8) -> Step {
        Step::Reply
    }
    /// Whether the kind acts when it answers a call without error (see
    /// [`Kind::on_success`]).
    fn acts_on_success(&self) -> bool {
        false
    }
    /// The component answered call `c` (not an internal one) without error.
    fn on_success(_w: &mut World, _ctx: &mut Context<'_, Ev>, _c: u32) {}
    /// Instance `inst` crashed at `now`: the calls waiting in the kind's own rooms join
    /// `held` (they fail at once with the rest), and the instance drops what it kept in
    /// memory.
    fn on_crash(&mut self, _inst: u32, _now: u64, _held: &mut Vec<u32>) -> Crashed {
        Crashed::default()
    }
    /// Instance `inst` of component `comp` is up again (after a crash, a region outage or
    /// a deployment's start-up).
    fn on_up(_w: &mut World, _ctx: &mut Context<'_, Ev>, _comp: u32, _inst: u32) {}
    /// The levels instance `inst` keeps over time, for the report.
    fn levels(&mut self, _inst: u32) -> Levels<'_> {
        Levels::NONE
    }
    /// The part of call `call`'s own time at the kind that is network rather than work (a
    /// CDN's user-to-edge round trip), for where the time goes.
    fn network_in_call(&self, _call: &Call) -> u64 {
        0
    }
    /// The kind's own figures at the end of the run: its counters and series, and the
    /// figures derived from them (ratios, means), declared where they are counted.
    fn report(&self, _s: &mut ComponentStats, _cx: &ReportCx) {}
}

/// Declares the one list of kinds: the [`Body`] enum (a component's kind and its state) and
/// the dispatch of every [`Kind`] method over it. A kind is one line here.
macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident($ty:ty)),* $(,)?) => {
        /// A component's kind and its kind's state: the one list of the built-in kinds.
        pub(in crate::world) enum Body {
            $($(#[$doc])* $variant($ty)),*
        }

        /// Which kind a [`Body`] is, without its state: what dispatch matches on once the
        /// component has been looked up.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(in crate::world) enum KindTag {
            $($variant),*
        }

        impl Body {
            /// Which kind it is.
            #[inline(always)]
            pub(in crate::world) fn tag(&self) -> KindTag {
                match self {
                    $(Body::$variant(_) => KindTag::$variant),*
                }
            }
            /// See [`Kind::on_crash`].
            pub(in crate::world) fn on_crash(
                &mut self,
                inst: u32,
                now: u64,
                held: &mut Vec<u32>,
            ) -> Crashed {
                match self {
                    $(Body::$variant(k) => k.on_crash(inst, now, held)),*
                }
            }
            /// See [`Kind::levels`].
            pub(in crate::world) fn levels(&mut self, inst: u32) -> Levels<'_> {
                match self {
                    $(Body::$variant(k) => k.levels(inst)),*
                }
            }
            /// See [`Kind::report`].
            pub(in crate::world) fn report(&self, s: &mut ComponentStats, cx: &ReportCx) {
                match self {
                    $(Body::$variant(k) => k.report(s, cx)),*
                }
            }
            /// See [`Kind::network_in_call`].
            #[inline(always)]
            pub(in crate::world) fn network_in_call(&self, call: &Call) -> u64 {
                match self {
                    $(Body::$variant(k) => k.network_in_call(call)),*
                }
            }
            /// See [`Kind::acts_on_success`].
            #[inline(always)]
            pub(in crate::world) fn acts_on_success(&self) -> bool {
                match self {
                    $(Body::$variant(k) => k.acts_on_success()),*
                }
            }
            /// See [`Kind::KEEPS_ORPHANS`].
            pub(in crate::world) fn keeps_orphans(&self) -> bool {
                match self {
                    $(Body::$variant(_) => <$ty as Kind>::KEEPS_ORPHANS),*
                }
            }
        }

        impl World {
            /// Call `c` arrives at its component's kind, `kind`.
            #[inline(always)]
            pub(in crate::world) fn arrive_at(&mut self, ctx: &mut Context<'_, Ev>, c: u32, kind: KindTag) {
                match kind {
                    $(KindTag::$variant => self.arrive_kind::<$ty>(ctx, c)),*
                }
            }
            /// The calls of call `p`'s current step have answered, at its component's kind,
            /// `kind`.
            #[inline(always)]
            pub(in crate::world) fn answered_at(
                &mut self,
                ctx: &mut Context<'_, Ev>,
                p: u32,
                perr: u8,
                kind: KindTag,
            ) {
                match kind {
                    $(KindTag::$variant => self.answered_kind::<$ty>(ctx, p, perr)),*
                }
            }
            /// See [`Kind::on_success`].
            #[inline(never)]
            pub(in crate::world) fn on_success(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
                match &self.comps[self.calls[c as usize].comp as usize].body {
                    $(Body::$variant(_) => <$ty as Kind>::on_success(self, ctx, c)),*
                }
            }
            /// See [`Kind::on_up`].
            pub(in crate::world) fn on_up(&mut self, ctx: &mut Context<'_, Ev>, comp: u32, inst: u32) {
                if self.comps[comp as usize].heap.is_some() {
                    self.heap_up(ctx, comp, inst);
                }
                match &self.comps[comp as usize].body {
                    $(Body::$variant(_) => <$ty as Kind>::on_up(self, ctx, comp, inst)),*
                }
            }
        }
    };
}

kinds! {
    Service(Svc),
    Lb(Lb),
    Cache(CacheBody),
    Cdn(Cdn),
    Queue(QueueBody),
    Custom(Custom),
}

impl World {
    /// A call arrives at a kind `K`: the kind's answer, then its follow-ups.
    #[inline(never)]
    fn arrive_kind<K: Kind>(&mut self, ctx: &mut Context<'_, Ev>, c: u32) {
        let mark = self.then.len();
        let step = K::arrive(self, ctx, c);
        if K::FOLLOW_UPS {
            self.apply_then(ctx, c, step, mark)
        } else {
            self.apply(ctx, c, step)
        }
    }
    /// Call `p`'s step has answered at a kind `K`: the kind's answer, then its follow-ups.
    #[inline(always)]
    fn answered_kind<K: Kind>(&mut self, ctx: &mut Context<'_, Ev>, p: u32, perr: u8) {
        let mark = self.then.len();
        let step = K::answered(self, ctx, p, perr);
        if K::FOLLOW_UPS {
            self.apply_then(ctx, p, step, mark)
        } else {
            self.apply(ctx, p, step)
        }
    }
}

/// What follows from a crash, as the instance's kind tells it.
#[derive(Default)]
pub(in crate::world) struct Crashed {
    /// A database primary with failover: a replica is promoted after this many ns.
    pub(in crate::world) promote_in: Option<u64>,
}

/// The levels an instance of a kind keeps over time (busy cores, calls waiting, busy
/// workers), for the report; `None` where the kind has no such level.
pub(in crate::world) struct Levels<'a> {
    pub(in crate::world) busy: Option<&'a mut TimeAverage>,
    pub(in crate::world) queue: Option<&'a mut TimeAverage>,
    pub(in crate::world) workers: Option<&'a mut TimeAverage>,
}

impl Levels<'_> {
    /// No level at all.
    pub(in crate::world) const NONE: Levels<'static> = Levels {
        busy: None,
        queue: None,
        workers: None,
    };
}
