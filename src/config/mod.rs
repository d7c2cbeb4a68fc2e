//! Configuration: layered `.gomodrc`, user and system config with provenance, and the trust store.
//!
//! - [`schema`]: the typed configuration, its built-in defaults, and the parser that turns one
//!   TOML file into a [`schema::Layer`] (every value with its file and line).
//! - [`load`]: finds the files, merges the layers lowest first, applies the trust rules to each
//!   `.gomodrc`, then the `GOSHIM_*` variables.
//! - [`trust`]: the store of trusted `.gomodrc` files (absolute path + SHA-256 of the content).

pub mod duration;
pub mod load;
pub mod schema;
pub mod trust;

use std::fmt;
use std::path::{Path, PathBuf};

pub use load::{Ignored, IgnoredReason, LoadInput, Loaded, load};
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

/// The fix that is always available: bypass goshim for one command.
pub const BYPASS_HINT: &str = "(GOSHIM_DISABLE=1 runs go without goshim)";

/// A configuration problem that stops the shim: exit status 2, go is not run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A problem at a known place in a file.
    #[error("{}:{line}:{col}: {what}; {fix} {BYPASS_HINT}", .path.display())]
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
    /// A `GOSHIM_*` variable with a value goshim does not understand.
    #[error("{var}={value}: {what}; {fix} {BYPASS_HINT}")]
    Env {
        var: &'static str,
        value: String,
        what: String,
        fix: String,
    },
}

impl ConfigError {
    /// The exit status the shim ends with.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// Where each line of a file starts, found once, so a byte offset's line is a binary search: a
/// `.gomodrc` of a million list entries costs linear time to place, not quadratic.
pub struct Lines<'a> {
    bytes: &'a [u8],
    /// Byte offset of every line's first byte; the first is 0.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let starts = std::iter::once(0)
            .chain(
                bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Lines { bytes, starts }
    }

    /// 1-based line of byte `offset`; offsets past the end are on the last line.
    pub fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.bytes.len());
        self.starts.partition_point(|&start| start <= offset)
    }

    /// 1-based line and column (in characters) of byte `offset`; offsets past the end point
    /// just after the last character.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.bytes.len());
        let line = self.line(offset);
        let start = self.starts[line - 1];
        let col = String::from_utf8_lossy(&self.bytes[start..offset])
            .chars()
            .count()
            + 1;
        (line, col)
    }

    /// The error for `what` at byte `offset` of the file at `path`.
    pub(crate) fn invalid_at(
        &self,
        path: &Path,
        offset: usize,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        let (line, col) = self.line_col(offset);
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            col,
            what: what.into(),
            fix: fix.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        let lines = Lines::new(text.as_bytes());
        assert_eq!(lines.line_col(0), (1, 1));
        assert_eq!(lines.line_col(6), (2, 1));
        // after "bé " (é is two bytes)
        assert_eq!(lines.line_col(10), (2, 4));
        assert_eq!(lines.line_col(1000), (3, 1));
    }

    #[test]
    fn line_lookup_agrees_with_counting_newlines() {
        for text in ["", "x", "\n", "x\n\n  yé\nz\n\n", "\n\nab\r\nc"] {
            let lines = Lines::new(text.as_bytes());
            for offset in 0..=text.len() + 2 {
                let before = &text.as_bytes()[..offset.min(text.len())];
                let counted = before.iter().filter(|&&b| b == b'\n').count() + 1;
                assert_eq!(lines.line(offset), counted, "{text:?} at {offset}");
            }
        }
    }

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
