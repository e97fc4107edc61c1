//! User-defined component kinds.
//!
//! A [`Behavior`] decides what happens to each request that reaches one instance of a custom
//! component. It does not touch the simulation directly: it pushes effects into a
//! [`BehaviorCtx`] (reply after a delay, fail with a reason, call another component, set a
//! timer, record a timeline event), which the world applies after the handler returns.
//! Handlers can therefore be tested alone, with a context made by hand.

use archsim_engine::{SimTime, Stream};
use archsim_stats::{Event, Figure};

/// A request as a custom component sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Handle to answer with (valid until the component replies or fails it).
    pub id: CallId,
    /// Request class index (in the order of the scenario's classes).
    pub class: usize,
    /// The request key, if the traffic has keys.
    pub key: Option<u64>,
    /// When it reached this component.
    pub arrived: SimTime,
}

/// Handle of a call in flight at a custom component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallId(pub(crate) u32);

/// An effect a behaviour asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Answer the call successfully after `delay`.
    Reply(CallId, SimTime),
    /// Fail the call now with an error reason (a short snake_case word).
    Fail(CallId, String),
    /// Call component `to` on behalf of the call; [`Behavior::on_reply`] follows.
    Call(CallId, String),
    /// Run [`Behavior::on_timer`] with `tag` after `delay`.
    Timer(SimTime, u64),
    /// Record `event` in the timeline now, with a detail (the component is this instance:
    /// `name`, or `name[i]` when the component has several).
    Event(Event, String),
}

/// What a behaviour sees and can do while it handles something.
pub struct BehaviorCtx<'a> {
    pub(crate) now: SimTime,
    pub(crate) rng: &'a mut Stream,
    pub(crate) effects: &'a mut Vec<Effect>,
}

impl<'a> BehaviorCtx<'a> {
    /// A context for testing a behaviour alone.
    pub fn new(now: SimTime, rng: &'a mut Stream, effects: &'a mut Vec<Effect>) -> Self {
        Self { now, rng, effects }
    }
    /// The current time.
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// This instance's random stream (derived from the component's name).
    pub fn rng(&mut self) -> &mut Stream {
        self.rng
    }
    /// Answers `call` successfully after `delay`.
    pub fn reply(&mut self, call: CallId, delay: SimTime) {
        self.effects.push(Effect::Reply(call, delay));
    }
    /// Fails `call` now with `reason` (counted under that name in `errors`).
    pub fn fail(&mut self, call: CallId, reason: &str) {
        self.effects.push(Effect::Fail(call, reason.to_string()));
    }
    /// Calls the component named `to` for `call`; the answer comes to `on_reply`.
    pub fn call(&mut self, call: CallId, to: &str) {
        self.effects.push(Effect::Call(call, to.to_string()));
    }
    /// Asks for `on_timer(tag)` after `delay`.
    pub fn timer(&mut self, delay: SimTime, tag: u64) {
        self.effects.push(Effect::Timer(delay, tag));
    }
    /// Records `event` in the timeline now: its category colours it in the reports, and an
    /// event that [starts](archsim_stats::Phase::Starts) a state is an incident trigger
    /// (`Event::named("warmed_up", Category::Other)` for a plain moment).
    pub fn event(&mut self, event: Event, detail: impl Into<String>) {
        self.effects.push(Effect::Event(event, detail.into()));
    }
}

/// The behaviour of one instance of a custom component kind.
pub trait Behavior: Send {
    /// A request arrives. Every request must eventually get a `reply` or a `fail`.
    fn on_request(&mut self, req: Request, ctx: &mut BehaviorCtx<'_>);
    /// A downstream call made with [`BehaviorCtx::call`] answered; `error` is its failure
    /// reason, if any. The default passes the answer through.
    fn on_reply(&mut self, req: Request, error: Option<&str>, ctx: &mut BehaviorCtx<'_>) {
        match error {
            None => ctx.reply(req.id, SimTime::ZERO),
            Some(e) => ctx.fail(req.id, e),
        }
    }
    /// A timer set with [`BehaviorCtx::timer`] fired.
    fn on_timer(&mut self, _tag: u64, _ctx: &mut BehaviorCtx<'_>) {}
    /// Counters to report under `components.NAME` (added over instances and replications).
    fn counters(&self) -> Vec<(String, u64)> {
        Vec::new()
    }
    /// Figures derived from those counters, computed after they are pooled over instances
    /// and replications (`Figure::ratio("hit_ratio", "hits", &["hits", "misses"])`); they
    /// follow the counters under `components.NAME`.
    fn figures(&self) -> Vec<Figure> {
        Vec::new()
    }
    /// Names of the components this behaviour may call (checked when the model is built).
    fn calls(&self) -> Vec<String> {
        Vec::new()
    }
}
