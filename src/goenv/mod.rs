//! Go's own rules, exactly as cmd/go applies them: module path patterns, GOPROXY lists, GOSUMDB,
//! the effective go environment, go.mod/go.work and the project shape, command classes.
//!
//! Nothing here decides policy: every function answers "what would the real go do".

pub mod command;
pub mod env;
pub mod gomod;
mod gourl;
pub mod gover;
pub mod pattern;
pub mod project;
pub mod proxy;
pub mod route;
pub mod semver;
pub mod sumdb;
#[cfg(test)]
mod testgen;

pub use env::{EnvSources, EnvValue, GoEnv, Origin};
pub use pattern::{BadPattern, match_prefix_patterns, path_match};
pub use proxy::{
    Fallback, ProxyEntry, ProxyList, ProxyListError, ProxyScheme, ProxySpec, parse_proxy_list,
    validate_proxy_url,
};
pub use sumdb::{SumDb, SumDbError, SumDbSpec, parse_gosumdb};
