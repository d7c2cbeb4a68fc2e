//! The `goshim` command line: one file per subcommand.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod exec;
pub mod probe;
mod which;

/// A `go` shim that picks working module proxies, checksum database and private-module settings
/// for each project, then runs the real go.
#[derive(Debug, Parser)]
#[command(
    name = "goshim",
    version,
    after_help = "Examples:\n  goshim exec -- build ./...   run the real go through the shim\n  goshim which                 show which go would run and why"
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
    /// Probe the candidate proxies and checksum databases now; update the verdict cache.
    #[command(
        after_help = "Candidates: the --candidate flags, else the effective GOPROXY entries plus proxy.golang.org, goproxy.cn, goproxy.io.\nExit status: 0 when a candidate is healthy, 1 when none is, 2 on bad arguments.\nExamples:\n  goshim probe\n  goshim probe --json --candidate https://goproxy.corp.example"
    )]
    Probe(probe::ProbeArgs),
}

/// Parses the command line and runs the subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Exec { args } => exec::run(args),
        Command::Which => which::run(),
        Command::Probe(args) => probe::run(args),
    }
}
