//! Configuration: layered `.gomodrc`, user and system config with provenance, and the trust store.
//!
//! Every key is defined once, in the key table in [`schema`]; everything else is driven by it:
//!
//! - [`schema`]: **the key table** — one entry per key with its name, kind, default, trust gate
//!   and one-line meaning — and the typed [`Config`] and per-file [`schema::Layer`] it generates.
//! - [`key`]: the machinery behind the table: the [`key::Key`] metadata every consumer reads,
//!   the trust [`key::Gate`]s, the [`key::Kind`] trait, and the `config_keys!` macro.
//! - [`kinds`]: the kinds of single value (booleans, durations, choices, counts, checked
//!   strings): how each is read from TOML, checked, shown and merged; [`lists`]: the lists of
//!   proxy URLs or module patterns, with their `extend_` form.
//! - [`parse`]: one TOML file → one [`schema::Layer`], every value with its file and line,
//!   unknown keys with a "did you mean".
//! - [`merge`]: the layers lowest first, each `.gomodrc` through the trust gates, then the
//!   `GOSHIM_*` variables.
//! - [`load`]: finds and reads the files, decides which `.gomodrc` is trusted, and merges them.
//! - [`report`]: what is printed about the configuration: the debug trace, the notices, the
//!   entries `goshim explain` shows under a variable, and the README's key reference.
//! - [`trust`]: the store of trusted `.gomodrc` files (absolute path + SHA-256 of the content).
//! - [`duration`]: durations as written in configuration (`1500ms`, `2s`, `1m30s`).
//!
//! # Adding a key
//!
//! Add one entry to the table in [`schema`]: a `///` line (its meaning, shown in the README),
//! `name: Kind = default`, the trust gate, and — when it feeds a go variable — the variables
//! `goshim explain` shows it under. That gives the typed field `config.<table>.<name>`, parsing
//! with errors that point at the value, the "did you mean" list, the trust gate with its
//! ignored-setting notice, explain's entries and the README row (a test fails until the README
//! shows it). Then use the field where it matters. A new kind of value is one type implementing
//! [`kinds::ScalarKind`] (or [`lists::ListItem`] for a list).

pub mod duration;
pub mod key;
pub mod kinds;
pub mod lists;
pub mod load;
pub mod merge;
pub mod parse;
pub mod report;
pub mod schema;
pub mod trust;

#[cfg(test)]
mod testbed;

use std::fmt;
use std::path::PathBuf;

pub use load::{Foreign, Ignored, IgnoredReason, LoadInput, Loaded, load};
pub use parse::parse_layer;
pub use schema::Config;

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// goshim's built-in default.
    Default,
    /// A configuration file, at this 1-based line.
    File { path: PathBuf, line: usize },
    /// A `GOSHIM_*` environment variable.
    Env(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "built-in default"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Env(var) => write!(f, "{var}"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    /// A built-in default.
    pub fn default_value(value: T) -> Self {
        Sourced {
            value,
            origin: Origin::Default,
        }
    }
}

/// The most goshim reads of one configuration file (`.gomodrc`, user or system config) or of
/// the trust store: far more than any real configuration, little enough to parse at once.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The fix that is always available: bypass goshim for one command.
pub const BYPASS_HINT: &str = "(GOSHIM_DISABLE=1 runs go without goshim)";

/// A configuration problem that stops the shim: exit status 2, go is not run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A problem at a known place in a file (`what` may quote the value: a URL's password is
    /// redacted).
    #[error(
        "{}:{line}:{col}: {}; {fix} {BYPASS_HINT}",
        .path.display(),
        crate::http::redact_text(.what)
    )]
    Invalid {
        path: PathBuf,
        line: usize,
        col: usize,
        what: String,
        fix: String,
    },
    /// A file that exists but cannot be read.
    #[error(
        "{}: cannot read this configuration file: {source}; fix its permissions or remove it {BYPASS_HINT}",
        .path.display()
    )]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A FIFO, a device, a socket or a directory where a configuration file should be (a cloned
    /// repository may ship `.gomodrc -> /dev/zero`).
    #[error(
        "{}: {what}; goshim reads only regular files: replace it with a regular file or remove it {BYPASS_HINT}",
        .path.display()
    )]
    NotRegular { path: PathBuf, what: String },
    /// A configuration file larger than goshim reads.
    #[error("{}: {what}; shorten it or remove it {BYPASS_HINT}", .path.display())]
    TooLarge { path: PathBuf, what: String },
}

impl ConfigError {
    /// The exit status the shim ends with.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_display() {
        assert_eq!(Origin::Default.to_string(), "built-in default");
        assert_eq!(
            Origin::File {
                path: PathBuf::from("/p/.gomodrc"),
                line: 3
            }
            .to_string(),
            "/p/.gomodrc:3"
        );
        assert_eq!(Origin::Env("GOSHIM_QUIET").to_string(), "GOSHIM_QUIET");
    }
}
