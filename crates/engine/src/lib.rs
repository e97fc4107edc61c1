//! The event-queue core of archsim.
//!
//! This crate knows nothing about TOML, files or the component catalogue. It owns:
//!
//! * simulated time, [`SimTime`], an integer count of nanoseconds;
//! * the event queue, [`EventQueue`], ordered by time and then by insertion sequence: a
//!   short unordered array while a few events are pending, a monotone radix heap beyond;
//! * the run loop, [`Simulation`], which pops events and hands them to one [`Handler`]
//!   together with a [`Context`] (`now`, `schedule_at`, `schedule_in`);
//! * component ids, [`ComponentId`], and a name registry, [`Registry`];
//! * seeded random streams, [`stream`], derived from a run seed and a stable name so that
//!   adding a component changes nobody else's draws.
//!
//! # Example
//!
//! A timer that re-arms itself every 10 ms, run for one simulated second:
//!
//! ```
//! use archsim_engine::{Context, Handler, SimTime, Simulation};
//!
//! struct Ticker { ticks: u64 }
//! impl Handler for Ticker {
//!     type Event = ();
//!     fn handle(&mut self, _ev: (), ctx: &mut Context<'_, ()>) {
//!         self.ticks += 1;
//!         ctx.schedule_in(SimTime::from_millis(10), ());
//!     }
//! }
//!
//! let mut sim = Simulation::new(Ticker { ticks: 0 });
//! sim.schedule_at(SimTime::ZERO, ());
//! sim.run_until(SimTime::from_secs(1));
//! assert_eq!(sim.handler().ticks, 101); // t = 0, 10 ms, ..., 1000 ms
//! assert_eq!(sim.events_processed(), 101);
//! ```
//!
//! # Guarantees
//!
//! * **Order.** Events run in increasing time; events at the same time run in the order they
//!   were scheduled (insertion sequence). This is a total order, so a run is a pure function
//!   of its inputs.
//! * **Time never goes backwards.** Scheduling an event before `now` is a bug in the caller
//!   and panics (an invariant, not a user-input error: models clamp their draws to be
//!   non-negative).
//! * **No allocation per event** once the queue's buckets have grown to their working size.
#![deny(missing_docs)]

mod queue;
mod rng;
mod time;

pub use queue::EventQueue;
pub use rng::{derive_seed, stream, Stream};
pub use time::SimTime;

/// Identifies a component inside one simulation; an index into the model's component table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentId(pub u32);

impl ComponentId {
    /// The index of this component in its table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Names components and hands out their ids in registration order.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    names: Vec<String>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }
    /// Registers `name` and returns its id; a name registered twice gets its first id back.
    pub fn register(&mut self, name: &str) -> ComponentId {
        if let Some(id) = self.lookup(name) {
            return id;
        }
        self.names.push(name.to_string());
        ComponentId((self.names.len() - 1) as u32)
    }
    /// The id of `name`, if registered.
    pub fn lookup(&self, name: &str) -> Option<ComponentId> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| ComponentId(i as u32))
    }
    /// The name of `id`.
    pub fn name(&self, id: ComponentId) -> &str {
        &self.names[id.index()]
    }
    /// How many components are registered.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    /// Whether no component is registered.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// What a handler sees while it handles one event: the current time and a way to schedule.
pub struct Context<'a, E> {
    now: SimTime,
    queue: &'a mut EventQueue<E>,
    halt: &'a mut Halt,
}

/// When a run loop returns: on a handler's stop request, or once the event count reaches
/// `limit` (the loops test only the count, so a stop also lowers the limit to zero).
#[derive(Debug)]
pub struct Halt {
    stopped: bool,
    limit: u64,
}

impl Default for Halt {
    fn default() -> Self {
        Self {
            stopped: false,
            limit: u64::MAX,
        }
    }
}

impl Halt {
    /// Whether a stop was asked for.
    pub fn stopped(&self) -> bool {
        self.stopped
    }
}

impl<'a, E> Context<'a, E> {
    /// A context at `now` over `queue` (for testing handlers alone).
    pub fn new(now: SimTime, queue: &'a mut EventQueue<E>, halt: &'a mut Halt) -> Self {
        Self { now, queue, halt }
    }
    /// Asks the run loop to stop after this event (the queue keeps what is pending).
    pub fn stop(&mut self) {
        self.halt.stopped = true;
        self.halt.limit = 0;
    }
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// Schedules `event` at absolute time `at`, which must not be before `now`.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        assert!(
            at >= self.now,
            "event scheduled in the past: {at:?} < {:?}",
            self.now
        );
        self.queue.push(at, event);
    }
    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        self.queue.push(self.now.saturating_add(delay), event);
    }
    /// Number of events waiting in the queue.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
}

/// The model side of a simulation: receives every event in order.
pub trait Handler {
    /// The plain value that an event carries (kept small: it is copied through the queue).
    type Event;
    /// Handles one event at `ctx.now()`.
    fn handle(&mut self, event: Self::Event, ctx: &mut Context<'_, Self::Event>);
}

/// A run: an event queue, a clock and one handler.
pub struct Simulation<H: Handler> {
    queue: EventQueue<H::Event>,
    now: SimTime,
    events: u64,
    halt: Halt,
    handler: H,
}

impl<H: Handler> Simulation<H> {
    /// A simulation at time zero with an empty queue.
    pub fn new(handler: H) -> Self {
        Self {
            queue: EventQueue::new(),
            now: SimTime::ZERO,
            events: 0,
            halt: Halt::default(),
            handler,
        }
    }
    /// Schedules an event from outside a handler (initial events); `at` must not be before now.
    pub fn schedule_at(&mut self, at: SimTime, event: H::Event) {
        assert!(at >= self.now, "event scheduled in the past");
        self.queue.push(at, event);
    }
    /// Whether a handler asked the run to stop ([`Context::stop`]); the run loops then
    /// return, and [`Simulation::resume`] clears the flag.
    pub fn stopped(&self) -> bool {
        self.halt.stopped
    }
    /// Clears a stop request.
    pub fn resume(&mut self) {
        self.halt = Halt::default();
    }
    /// Runs the earliest event, if any; returns whether one ran.
    pub fn step(&mut self) -> bool {
        match self.queue.pop() {
            Some((t, ev)) => {
                self.dispatch(t, ev);
                true
            }
            None => false,
        }
    }
    /// Runs one popped event at its time.
    #[inline]
    fn dispatch(&mut self, t: SimTime, ev: H::Event) {
        debug_assert!(t >= self.now, "time went backwards");
        self.now = t;
        self.events += 1;
        let mut ctx = Context {
            now: t,
            queue: &mut self.queue,
            halt: &mut self.halt,
        };
        self.handler.handle(ev, &mut ctx);
    }
    /// Runs every event at or before `end`, then sets the clock to `end` (if it is later).
    pub fn run_until(&mut self, end: SimTime) {
        while let Some(t) = self.queue.peek_time() {
            if t > end || self.halt.stopped {
                break;
            }
            self.step();
        }
        if end > self.now && !self.halt.stopped {
            self.now = end;
        }
    }
    /// The time of the next event, if any.
    pub fn next_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }
    /// Runs every event at or before `end` without moving the clock past the last event run;
    /// returns whether events remain (all after `end`).
    pub fn run_through(&mut self, end: SimTime) -> bool {
        while self.events < self.halt.limit {
            let Some((t, ev)) = self.queue.pop_until(end) else {
                return !self.queue.is_empty();
            };
            self.dispatch(t, ev);
        }
        true
    }
    /// [`Simulation::run_through`] for at most `budget` events: `None` when the budget ran
    /// out first (events at or before `end` may remain), else what `run_through` returns.
    /// A caller guards against time that cannot advance by checking the clock between
    /// budgets; the check costs one comparison per event.
    pub fn run_through_budget(&mut self, end: SimTime, budget: u64) -> Option<bool> {
        if self.halt.stopped {
            return Some(true);
        }
        self.halt.limit = self.events.saturating_add(budget);
        let more = self.run_through(end);
        if self.halt.stopped {
            return Some(true);
        }
        let out_of_budget = self.events >= self.halt.limit;
        self.halt.limit = u64::MAX;
        if out_of_budget {
            None
        } else {
            Some(more)
        }
    }
    /// Runs until the queue is empty.
    pub fn run(&mut self) {
        while !self.halt.stopped && self.step() {}
    }
    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events
    }
    /// Events waiting.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }
    /// The handler, mutably.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }
    /// Gives back the handler.
    pub fn into_handler(self) -> H {
        self.handler
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reschedules itself at the same instant forever: time cannot advance.
    struct Spin;
    impl Handler for Spin {
        type Event = ();
        fn handle(&mut self, _: (), ctx: &mut Context<'_, ()>) {
            ctx.schedule_in(SimTime::ZERO, ());
        }
    }

    /// Ticks once per millisecond.
    struct Tick;
    impl Handler for Tick {
        type Event = ();
        fn handle(&mut self, _: (), ctx: &mut Context<'_, ()>) {
            ctx.schedule_in(SimTime::from_millis(1), ());
        }
    }

    #[test]
    fn a_budget_ends_a_run_that_cannot_advance() {
        let mut sim = Simulation::new(Spin);
        sim.schedule_at(SimTime::from_millis(5), ());
        assert_eq!(sim.run_through_budget(SimTime::from_secs(1), 1000), None);
        assert_eq!(sim.events_processed(), 1000);
        assert_eq!(sim.now(), SimTime::from_millis(5));
        assert_eq!(sim.run_through_budget(SimTime::from_secs(1), 10), None);
        assert_eq!(sim.events_processed(), 1010);
    }

    #[test]
    fn a_budget_larger_than_the_work_runs_like_run_through() {
        let mut a = Simulation::new(Tick);
        let mut b = Simulation::new(Tick);
        a.schedule_at(SimTime::ZERO, ());
        b.schedule_at(SimTime::ZERO, ());
        let end = SimTime::from_millis(100);
        assert_eq!(a.run_through_budget(end, 1_000), Some(b.run_through(end)));
        assert_eq!(a.events_processed(), b.events_processed());
        assert_eq!(a.now(), b.now());
        // A budget that runs out part way, then resumes, reaches the same point.
        let mut c = Simulation::new(Tick);
        c.schedule_at(SimTime::ZERO, ());
        assert_eq!(c.run_through_budget(end, 40), None);
        assert_eq!(c.run_through_budget(end, 1_000), Some(true));
        assert_eq!(c.events_processed(), a.events_processed());
    }
}
