//! One integration-test binary (as ripgrep does) so the suite links once.

#[path = "../support/mod.rs"]
mod support;

mod config;
mod decision;
mod fixture_proxy;
mod goenv_diff;
mod goenv_gosrc;
mod health;
mod install;
mod shim_exec;
mod usage;
