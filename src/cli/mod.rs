//! The `goshim` command line: one file per subcommand.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod exec;
mod trust;
mod which;

/// A `go` shim that picks working module proxies, checksum database and private-module settings
/// for each project, then runs the real go.
#[derive(Debug, Parser)]
#[command(
    name = "goshim",
    version,
    after_help = "Examples:\n  goshim exec -- build ./...   run the real go through the shim\n  goshim which                 show which go would run and why\n  goshim trust                 trust the nearest .gomodrc after reviewing it"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the real go through the shim, exactly as a `go` link would.
    Exec {
        /// Arguments for go, after `--`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Print the real go that would run, and why.
    Which,
    /// Trust a .gomodrc after reviewing it, so all its settings apply (editing it untrusts it).
    Trust {
        /// The file; default: the nearest .gomodrc from the working directory upwards.
        path: Option<PathBuf>,
        /// List the trusted files instead.
        #[arg(long, conflicts_with = "path")]
        list: bool,
    },
    /// Forget that a .gomodrc was trusted.
    Untrust {
        /// The file; default: the nearest .gomodrc from the working directory upwards.
        path: Option<PathBuf>,
    },
}

/// Parses the command line and runs the subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Exec { args } => exec::run(args),
        Command::Which => which::run(),
        Command::Trust { list: true, .. } => trust::list(),
        Command::Trust { path, .. } => trust::trust(path),
        Command::Untrust { path } => trust::untrust(path),
    }
}
