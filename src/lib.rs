//! goshim: a `go` shim that chooses working module proxies, checksum database and private-module
//! settings for each project, then hands over to the real `go`.
//!
//! ARCHITECTURE.md maps the modules: `shim` is the hot path, `plan` gathers what one go
//! invocation needs, `decide` is the policy, `goenv` holds Go's own rules, `config` the layered
//! configuration, `health` the proxy probes, `http` go's HTTP client, `realgo` finds the real
//! go, `cli` has one file per subcommand.

pub mod cli;
pub mod config;
pub mod decide;
pub mod env_vars;
pub mod exit;
pub mod fsread;
pub mod goenv;
pub mod goroot;
pub mod health;
pub mod hex;
pub mod http;
pub mod plan;
pub mod process;
pub mod realgo;
pub mod router;
pub mod shim;
