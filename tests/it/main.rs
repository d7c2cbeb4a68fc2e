//! One integration-test binary (as ripgrep does) so the suite links once.

// clippy.toml keeps goshim's own code from reading the process environment directly; the test
// harness reads its own settings (GOSHIM_TEST_GO, RUSTC) as any test does.
#![allow(clippy::disallowed_methods)]

#[path = "../support/mod.rs"]
mod support;

mod ci_recipes;
mod cli;
mod config;
mod decision;
mod direnv_trust;
mod fixture_proxy;
mod fixture_sumdb;
mod goenv_diff;
mod goenv_gosrc;
mod hardening;
mod health;
mod install;
mod nested;
mod release;
mod routed;
mod routed_offline;
mod routed_progress;
mod routed_verify;
mod router;
mod shells;
mod shim_exec;
mod tools;
mod verify;
mod version_managers;
