//! The `goshim` command line: one file per subcommand.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::process::Process;

mod cache;
mod completions;
mod doctor;
mod env;
mod exec;
mod explain;
mod install;
pub mod probe;
mod report;
mod route;
mod trust;
mod which;

/// The version line: the package version, the commit and the target triple (from build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("GOSHIM_COMMIT"),
    ", ",
    env!("GOSHIM_TARGET"),
    ")"
);

/// A `go` shim that picks working module proxies, checksum database and private-module settings
/// for each project, then runs the real go.
#[derive(Debug, Parser)]
#[command(
    name = "goshim",
    version = VERSION,
    // Plain text like go's, also on a terminal (clap would colour help and errors there).
    color = clap::ColorChoice::Never,
    after_help = "Examples:\n  goshim install                    link `go` to goshim in ~/.local/share/goshim/bin\n  goshim doctor                     what goshim sees here, and every problem\n  eval \"$(goshim env)\"              export the variables for this directory (bash, zsh)\n  goshim explain GOPROXY            why GOPROXY gets its value\n  goshim route example.com/m@v1.2.3 how go would fetch and verify that module\n  goshim exec -- build ./...        run the real go through the shim\n  goshim which                      show which go would run and why\n  goshim trust                      trust the nearest .gomodrc after reviewing it\n\nenv, explain, doctor and route decide as for `go mod download` in the working directory."
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
    /// Check the real go, the project, the configuration, the proxies and PATH; number every
    /// problem (exit status 1 when there is one).
    #[command(
        after_help = "Decides as for `go mod download` here.\nExit status: 0 when nothing is wrong, 1 when a problem is listed, 2 on bad configuration, 127 without a real go.\nExamples:\n  goshim doctor\n  goshim doctor --json | jq .warnings"
    )]
    Doctor {
        /// Print JSON (includes `go_env`: go's own values and their origins).
        #[arg(long)]
        json: bool,
    },
    /// Print the variables goshim sets in this directory, as exports for a shell, JSON,
    /// GITHUB_ENV lines or direnv.
    #[command(
        after_help = "The variables are those a download (`go mod download`) here would get, with GOSHIM_MANAGED naming them. Cached proxy verdicts are used; without any, the proxies are probed.\nExamples:\n  eval \"$(goshim env)\"                         bash, zsh\n  goshim env --format fish | source\n  goshim env --format github >> \"$GITHUB_ENV\"\n  goshim env --format json"
    )]
    Env {
        /// Output form.
        #[arg(long, value_enum, default_value = "sh")]
        format: env::Format,
    },
    /// Show every variable goshim would set or keep, its value, and the reasons and sources.
    #[command(
        after_help = "Decides as for `go mod download` here.\nExamples:\n  goshim explain\n  goshim explain GOSUMDB"
    )]
    Explain {
        /// Only this variable (GOPROXY, GOSUMDB, GOPRIVATE, GONOPROXY, GONOSUMDB, ...).
        var: Option<String>,
    },
    /// Show how go would fetch a module from here: proxies in order with their fallback rule, or
    /// direct; whether and where the checksum database is asked; the patterns that matched.
    #[command(
        after_help = "Uses the final environment: go's own values with goshim's decision for `go mod download` here.\nExamples:\n  goshim route golang.org/x/text@v0.3.0\n  goshim route git.corp.example/team/lib --json\n  goshim route golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64"
    )]
    Route {
        /// MODULE or MODULE@VERSION.
        module: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage the proxy verdict cache.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Print a completion script for SHELL (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  goshim completions bash > ~/.local/share/bash-completion/completions/goshim\n  goshim completions fish > ~/.config/fish/completions/goshim.fish"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print goshim's version, commit and target, as --version does.
    Version,
    /// Write the man pages (goshim.1 and goshim-SUBCOMMAND.1) into DIR; release archives ship
    /// them.
    #[command(hide = true)]
    Man { dir: PathBuf },
    /// The module router process (started by goshim itself).
    #[command(name = "__router", hide = true)]
    Router(crate::router::RouterArgs),
}

#[derive(Debug, Subcommand)]
enum CacheAction {
    /// Delete every cached verdict: the next go command probes again.
    Clear,
}

/// Parses the command line and runs the subcommand.
pub fn run(process: &Process) -> ExitCode {
    let cli = Cli::parse_from(process_args());
    match cli.command {
        Command::Exec { args } => exec::run(process, &args),
        Command::Which => which::run(process),
        Command::Install { dir, force } => install::install(process, dir, force),
        Command::Uninstall { dir } => install::uninstall(process, dir),
        Command::Trust { list: true, .. } => trust::list(),
        Command::Trust { path, .. } => trust::trust(process, path),
        Command::Untrust { path } => trust::untrust(process, path),
        Command::Probe(args) => probe::run(process, &args),
        Command::Doctor { json } => doctor::run(process, json),
        Command::Env { format } => env::run(process, format),
        Command::Explain { var } => explain::run(process, var),
        Command::Route { module, json } => route::run(process, &module, json),
        Command::Cache {
            action: CacheAction::Clear,
        } => cache::clear(process),
        Command::Completions { shell } => completions::run(shell),
        Command::Version => {
            print!(
                "{}",
                <Cli as clap::CommandFactory>::command().render_version()
            );
            ExitCode::SUCCESS
        }
        Command::Man { dir } => completions::man(&dir),
        Command::Router(args) => crate::router::cli(process, args),
    }
}

/// The command line, read once.
#[allow(clippy::disallowed_methods)] // argv is not part of the environment `Process` carries
fn process_args() -> Vec<OsString> {
    std::env::args_os().collect()
}
