//! One integration-test binary (as ripgrep does) so the suite links once.

#[path = "../support/mod.rs"]
mod support;

mod goenv_diff;
mod goenv_gosrc;
mod shim_exec;
