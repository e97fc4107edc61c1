//! The built-in component kinds, one module each: how a call is handled when it arrives at
//! an instance of the kind and when its downstream calls answer, what an instance of the
//! kind loses in a crash, and the one list of kinds ([`Body`]).

mod cache;
mod custom;
mod database;
mod load_balancer;
mod queue;
mod service;

pub(in crate::world) use cache::*;
pub(in crate::world) use custom::*;
pub(in crate::world) use database::*;
pub(in crate::world) use load_balancer::*;
pub(in crate::world) use queue::*;
pub(in crate::world) use service::*;

use archsim_stats::TimeAverage;

/// A component's kind and its kind's state: the one list of the built-in kinds.
pub(in crate::world) enum Body {
    Queue(QueueBody),
    Service(Svc),
    Lb(Lb),
    Cache(CacheBody),
    Custom(Custom),
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

impl Body {
    /// Instance `inst` crashed at `now`: the kind adds the calls waiting in its own rooms to
    /// `held` (they fail at once with the rest of the waiting room) and drops what the
    /// instance kept in memory.
    pub(in crate::world) fn on_crash(
        &mut self,
        inst: u32,
        now: u64,
        held: &mut Vec<u32>,
    ) -> Crashed {
        match self {
            Body::Service(s) => {
                s.insts[inst as usize].on_crash(now, held);
                Crashed {
                    promote_in: s.db.as_mut().and_then(|db| db.on_crash(inst, now, held)),
                }
            }
            Body::Cache(cb) => {
                cb.on_crash(inst, held);
                Crashed::default()
            }
            Body::Queue(qb) => {
                qb.on_crash(now);
                Crashed::default()
            }
            Body::Lb(_) | Body::Custom(_) => Crashed::default(),
        }
    }
    /// The levels instance `inst` keeps over time.
    pub(in crate::world) fn levels(&mut self, inst: u32) -> Levels<'_> {
        match self {
            Body::Service(s) => {
                let limited = s.workers.is_some();
                let i = &mut s.insts[inst as usize];
                Levels {
                    busy: Some(&mut i.busy),
                    queue: Some(&mut i.queue),
                    workers: limited.then_some(&mut i.workers),
                }
            }
            // The broker's queue figures are its backlog.
            Body::Queue(qb) => Levels {
                busy: None,
                queue: Some(&mut qb.depth),
                workers: None,
            },
            Body::Lb(_) | Body::Cache(_) | Body::Custom(_) => Levels {
                busy: None,
                queue: None,
                workers: None,
            },
        }
    }
}
