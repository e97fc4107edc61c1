//! Integration tests of archsim, one binary with a module per concern.

mod cache;
mod cascades;
mod cli;
mod database;
mod determinism;
mod faults;
mod gateway;
mod props;
mod queue;
mod sharding;
mod validation;
