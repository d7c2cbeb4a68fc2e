//! goshim: a `go` shim that chooses working module proxies, checksum database and private-module
//! settings for each project, then hands over to the real `go`.
//!
//! The layout follows DESIGN.md: `shim` is the hot path, `exec` finds and starts the real go,
//! `goenv` holds Go's own rules, `config` the layered configuration, `health` the proxy probes,
//! `cli` one file per subcommand.

pub mod cli;
pub mod config;
pub mod decide;
pub mod env_vars;
pub mod exec;
pub mod goenv;
pub mod health;
pub mod shim;
