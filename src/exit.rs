//! goshim's own exit statuses, and the one way it reports an error that stops it.
//!
//! Once the real go runs, its status is the status (the shim `exec`s it); these are for what
//! goshim ends itself.

use std::fmt;
use std::process::ExitCode;

/// Every status goshim exits with on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Done.
    Success = 0,
    /// The command ran and found a problem (doctor warnings, no healthy proxy, a file it could not
    /// change).
    Problem = 1,
    /// Unusable input: configuration, arguments, the working directory, a loop of shims.
    Usage = 2,
    /// The real go was found but could not be started.
    CannotRun = 126,
    /// No real go was found.
    NoGo = 127,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Prints `goshim: error: <err>` on stderr and returns `code`.
pub fn fail(err: impl fmt::Display, code: Exit) -> ExitCode {
    eprintln!("goshim: error: {err}");
    code.into()
}
