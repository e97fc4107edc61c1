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
pub(in crate::world) use queue::*;
pub(in crate::world) use service::*;

use crate::behavior::Behavior;
use crate::spec::Policy;

/// A component's kind and its kind's state: the one list of the built-in kinds.
pub(in crate::world) enum Body {
    Queue(QueueBody),
    Service(Svc),
    Lb { target: u32, policy: Policy },
    Cache(CacheBody),
    Custom(Vec<Box<dyn Behavior>>),
}

/// What is left of an instance after a crash, as its kind tells it.
#[derive(Default)]
pub(in crate::world) struct Crashed {
    /// Messages still waiting (a durable queue keeps its backlog).
    pub(in crate::world) backlog: u64,
    /// A database primary with failover: a replica is promoted after this many ns.
    pub(in crate::world) promote_in: Option<u64>,
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
            Body::Service(s) => Crashed {
                backlog: 0,
                promote_in: s.db.as_mut().and_then(|db| db.on_crash(inst, now, held)),
            },
            Body::Cache(cb) => {
                cb.on_crash(inst, held);
                Crashed::default()
            }
            Body::Queue(qb) => Crashed {
                backlog: qb.on_crash(),
                promote_in: None,
            },
            Body::Lb { .. } | Body::Custom(_) => Crashed::default(),
        }
    }
}
