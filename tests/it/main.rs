//! Integration tests of archsim, one binary with a module per concern.

mod cache;
mod cascades;
mod cli;
mod common;
mod compare;
mod compare_suite;
mod database;
mod determinism;
mod faults;
mod feedback;
mod gateway;
mod html_pages;
mod operations;
mod pooling;
mod props;
mod queue;
mod replica_autoscale;
mod replica_faults;
mod reports;
mod resilience;
mod review_fixes;
mod sharding;
mod stages;
mod stalls;
mod suite_review;
mod validation;
