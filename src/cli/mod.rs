//! The `goshim` command line: one file per subcommand.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod exec;
mod install;
pub mod probe;
mod trust;
mod which;

/// A `go` shim that picks working module proxies, checksum database and private-module settings
/// for each project, then runs the real go.
#[derive(Debug, Parser)]
#[command(
    name = "goshim",
    version,
    after_help = "Examples:\n  goshim exec -- build ./...   run the real go through the shim\n  goshim which                 show which go would run and why\n  goshim install               link `go` to goshim in ~/.local/share/goshim/bin\n  goshim trust                 trust the nearest .gomodrc after reviewing it"
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
    /// Link `go` to goshim in a bin directory and print the line that puts it first on PATH.
    Install {
        /// The bin directory (default: the user data directory's goshim/bin).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Replace a stale link to another goshim (a real go is never replaced).
        #[arg(long)]
        force: bool,
    },
    /// Remove the `go` link that `goshim install` made.
    Uninstall {
        /// The bin directory (default: the user data directory's goshim/bin).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
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
    /// Probe the candidate proxies and checksum databases now; update the verdict cache.
    #[command(
        after_help = "Candidates: the --candidate flags, else the effective GOPROXY entries, then the configured [proxy] private and candidates (default proxy.golang.org, goproxy.cn, goproxy.io). Timings and the probe module come from [health].\nExit status: 0 when a candidate is healthy, 1 when none is, 2 on bad arguments or configuration.\nExamples:\n  goshim probe\n  goshim probe --json --candidate https://goproxy.corp.example"
    )]
    Probe(probe::ProbeArgs),
}

/// Parses the command line and runs the subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Exec { args } => exec::run(args),
        Command::Which => which::run(),
        Command::Install { dir, force } => install::install(dir, force),
        Command::Uninstall { dir } => install::uninstall(dir),
        Command::Trust { list: true, .. } => trust::list(),
        Command::Trust { path, .. } => trust::trust(path),
        Command::Untrust { path } => trust::untrust(path),
        Command::Probe(args) => probe::run(args),
    }
}
