//! archsim: a discrete-event simulator for distributed software architectures.
//!
//! This facade re-exports the workspace's crates:
//!
//! * [`engine`]: simulated time, the event queue, the run loop, seeded random streams;
//! * [`models`]: component kinds, distributions, the flow of a request;
//! * [`stats`]: histograms, counters, series, the result and its renderings;
//! * [`scenario`]: TOML scenarios, checking, replications;
//!
//! and adds [`simulate`]: one call from a [`models::Spec`] (written with
//! [`models::Spec::builder`], or loaded from a scenario) to the result the `simulate` command
//! prints.
//!
//! ```
//! let scenario = archsim::scenario::from_str(r#"
//!     [run]
//!     duration = "30s"
//!     [traffic]
//!     entry = "app"
//!     rate = 100
//!     [components.app]
//!     kind = "service"
//!     cores = 2
//!     [components.app.endpoints.default]
//!     cpu = "exp(5ms)"
//! "#, "inline.toml", &[]).unwrap();
//! let result = scenario.run().unwrap();
//! println!("{}", result.summary());
//! ```
#![deny(missing_docs)]

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

mod simulate;

pub use archsim_engine as engine;
pub use archsim_models as models;
pub use archsim_scenario as scenario;
pub use archsim_stats as stats;
pub use simulate::{simulate, Error, Options, Report};
