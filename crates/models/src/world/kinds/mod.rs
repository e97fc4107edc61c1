//! The built-in component kinds, one module each: how a call is handled when it arrives at
//! an instance of the kind and when its downstream calls answer.

mod cache;
mod custom;
mod database;
mod load_balancer;
mod queue;
mod service;
