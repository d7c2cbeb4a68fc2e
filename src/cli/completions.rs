//! `goshim completions SHELL`: the completion script for a shell, on stdout; and the hidden
//! `goshim man DIR`: the man pages, generated from the same command definition.

use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

pub fn run(shell: Shell) -> ExitCode {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "goshim", &mut std::io::stdout());
    ExitCode::SUCCESS
}

pub fn man(dir: &Path) -> ExitCode {
    let written =
        std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(Cli::command(), dir));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "goshim: error: cannot write the man pages into {}: {err}",
                dir.display()
            );
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every possible value's help, with the command path it belongs to.
    fn value_helps(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
        for arg in cmd.get_arguments() {
            for value in arg.get_possible_values() {
                if let Some(help) = value.get_help() {
                    let at = format!("{path} --{} {}", arg.get_id(), value.get_name());
                    out.push((at, help.to_string()));
                }
            }
        }
        for sub in cmd.get_subcommands() {
            value_helps(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    /// clap_complete writes a possible value's help inside double quotes without escaping a
    /// `"` (zsh: clap-rs/clap#4053; fish likewise, and fish expands `$` there): a `"` ends the
    /// string early, and in fish a `$(…)` after it runs whenever the completion is loaded. The
    /// real shells load the scripts in tests/it/shells.rs; this names the offending text.
    #[test]
    fn value_help_is_safe_inside_double_quotes() {
        let mut helps = Vec::new();
        value_helps(&Cli::command(), "goshim", &mut helps);
        assert!(helps.iter().any(|(at, _)| at == "goshim env --format sh"));
        for (at, help) in helps {
            assert!(
                !help.contains(['"', '$', '\\']),
                "{at}: the help {help:?} breaks the fish and zsh completions"
            );
        }
    }
}
