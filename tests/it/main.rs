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
mod gateway;
mod html_pages;
mod library;
mod operations;
mod props;
mod queue;
mod replica_autoscale;
mod reports;
mod resilience;
mod review_fixes;
mod sharding;
mod stages;
mod suite_review;
mod validation;
