//! `goshim completions SHELL`: the completion script for a shell, on stdout.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

pub fn run(shell: Shell) -> ExitCode {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "goshim", &mut std::io::stdout());
    ExitCode::SUCCESS
}
