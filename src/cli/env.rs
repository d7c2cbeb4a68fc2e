//! `goshim env`: the variables goshim would export for a download in the working directory, as
//! shell exports, JSON, `GITHUB_ENV` lines or for direnv.

use std::process::ExitCode;

use clap::ValueEnum;

use super::report;
use crate::config::load::FileKind;
use crate::env_vars::GOSHIM_MANAGED;
use crate::exit::{self, Exit};
use crate::plan::Plan;
use crate::process::Process;

/// The output form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    // These lines are also the completion scripts' value descriptions: clap_complete puts
    // them inside double quotes unescaped (fish, zsh), so no double quote, dollar sign or
    // backslash (src/cli/completions.rs tests this).
    /// export lines for sh, bash and zsh (eval the output).
    Sh,
    /// set -gx lines for fish (pipe the output to source).
    Fish,
    /// One JSON object of NAME: value.
    Json,
    /// NAME=value lines for the GITHUB_ENV file.
    Github,
    /// sh exports plus `watch_file` for every file the decision read (for `.envrc`).
    Direnv,
}

pub fn run(process: &Process, format: Format) -> ExitCode {
    let plan = match report::network_plan(process, crate::plan::Mode::Variables) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let vars = variables(&plan);
    let stale = stale_names(process.var(GOSHIM_MANAGED).unwrap_or_default(), &vars);
    let out = match format {
        Format::Sh => sh(&vars, &stale),
        Format::Fish => fish(&vars, &stale),
        Format::Json => match json(&vars) {
            Ok(text) => text,
            Err(err) => return exit::fail(err, Exit::Problem),
        },
        Format::Github => github(&vars),
        Format::Direnv => {
            let mut text = sh(&vars, &[]);
            for file in watched(&plan) {
                text.push_str(&format!("watch_file {}\n", sh_quote(&file)));
            }
            text
        }
    };
    print!("{out}");
    ExitCode::SUCCESS
}

/// The exported variables as UTF-8 pairs, in the decision's order, `GOSHIM_MANAGED` last.
fn variables(plan: &Plan) -> Vec<(String, String)> {
    plan.variables()
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// Names a previous `goshim env` exported (`GOSHIM_MANAGED`) that this one does not set: a
/// re-evaluation unsets them so they do not linger after leaving a project.
fn stale_names(previous: &str, vars: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = previous
        .split(',')
        .filter(|n| is_go_var_name(n))
        .filter(|n| !vars.iter().any(|(k, _)| k == n))
        .map(str::to_string)
        .collect();
    if vars.is_empty() && !previous.is_empty() {
        names.push(GOSHIM_MANAGED.to_string());
    }
    names
}

/// `GO` followed by capitals, digits and `_` only: a name safe to write unquoted.
fn is_go_var_name(name: &str) -> bool {
    name.starts_with("GO")
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `value` in single quotes for sh: `'` becomes `'\''`.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `value` in single quotes for fish: `\` and `'` are escaped.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

fn sh(vars: &[(String, String)], stale: &[String]) -> String {
    let mut out = String::new();
    for name in stale {
        out.push_str(&format!("unset {name}\n"));
    }
    for (k, v) in vars {
        out.push_str(&format!("export {k}={}\n", sh_quote(v)));
    }
    out
}

fn fish(vars: &[(String, String)], stale: &[String]) -> String {
    let mut out = String::new();
    for name in stale {
        out.push_str(&format!("set -e {name}\n"));
    }
    for (k, v) in vars {
        out.push_str(&format!("set -gx {k} {}\n", fish_quote(v)));
    }
    out
}

fn json(vars: &[(String, String)]) -> Result<String, serde_json::Error> {
    let map: serde_json::Map<String, serde_json::Value> = vars
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    Ok(format!("{}\n", serde_json::to_string_pretty(&map)?))
}

/// `NAME=value`, or the heredoc form GitHub documents for a value with a line break.
fn github(vars: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in vars {
        if v.contains(['\n', '\r']) {
            out.push_str(&format!("{k}<<GOSHIM_EOF\n{v}\nGOSHIM_EOF\n"));
        } else {
            out.push_str(&format!("{k}={v}\n"));
        }
    }
    out
}

/// Files whose change changes the decision: the configuration files read, the user
/// configuration, the trust store, the project's `.gomodrc`, go.mod and go.work.
fn watched(plan: &Plan) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    if let Some(loaded) = &plan.loaded {
        files.extend(
            loaded
                .files
                .iter()
                .filter(|f| f.kind != FileKind::System)
                .map(|f| f.path.display().to_string()),
        );
    }
    if let Some(path) = crate::config::load::user_config_path() {
        files.push(path.display().to_string());
    }
    // `goshim trust` changes what a .gomodrc may do: reload once the store changes.
    if let Some(path) = crate::config::load::trust_store_path() {
        files.push(path.display().to_string());
    }
    if let Some(d) = &plan.decided {
        let layout = &d.project.layout;
        files.push(layout.invocation.dir.join(".gomodrc").display().to_string());
        if let Some(gomod) = &layout.gomod {
            files.push(gomod.display().to_string());
        }
        if let crate::goenv::project::WorkFile::File(work) = &layout.work_file {
            files.push(work.display().to_string());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|f| seen.insert(f.clone()));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vec<(String, String)> {
        vec![
            ("GOPROXY".into(), "https://a.example|direct".into()),
            ("GOPRIVATE".into(), "it's,$HOME\\x".into()),
        ]
    }

    #[test]
    fn only_plain_names_are_unset() {
        assert!(is_go_var_name("GONOSUMDB"));
        assert!(!is_go_var_name("GO;rm -rf ~"));
        assert!(!is_go_var_name("PATH"));
    }

    #[test]
    fn shells_quote_safely() {
        assert_eq!(
            sh(&vars(), &["GONOSUMDB".into()]),
            "unset GONOSUMDB\nexport GOPROXY='https://a.example|direct'\nexport GOPRIVATE='it'\\''s,$HOME\\x'\n"
        );
        assert_eq!(
            fish(&vars(), &[]),
            "set -gx GOPROXY 'https://a.example|direct'\nset -gx GOPRIVATE 'it\\'s,$HOME\\\\x'\n"
        );
        assert_eq!(
            github(&vars()),
            "GOPROXY=https://a.example|direct\nGOPRIVATE=it's,$HOME\\x\n"
        );
        assert_eq!(
            github(&[("A".into(), "x\ny".into())]),
            "A<<GOSHIM_EOF\nx\ny\nGOSHIM_EOF\n"
        );
    }
}
