//! What `env`, `explain`, `doctor` and `route` share: the plan they all show, made as for a
//! command that downloads modules in the working directory, and small text helpers.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::exit;
use crate::plan::{self, Mode, Plan};
use crate::process::Process;

use crate::goenv::GoOrigin;
use crate::health::Verdict;

/// The go command the reporting subcommands decide for: one that reaches the network, so the
/// variables shown are the ones a download from this directory would get.
pub const NETWORK_ARGV: &[&str] = &["mod", "download"];

/// The plan for [`NETWORK_ARGV`] here, its notices (and debug trace) printed on stderr as the
/// shim would print them; on failure prints the error and returns the exit code.
pub fn network_plan(process: &Process, mode: Mode) -> Result<Plan, ExitCode> {
    let argv: Vec<OsString> = NETWORK_ARGV.iter().map(OsString::from).collect();
    let plan = plan::plan(process, &argv, mode).map_err(|err| exit::fail(&err, err.exit()))?;
    plan.report(process);
    Ok(plan)
}

/// A go environment origin as a short machine word.
pub fn origin_kind(origin: &GoOrigin) -> &'static str {
    match origin {
        GoOrigin::Process => "environment",
        GoOrigin::EnvFile(_) => "go_env_file",
        GoOrigin::GoRootEnv(_) => "goroot_go_env",
        GoOrigin::Default => "default",
        GoOrigin::Derived => "derived",
    }
}

/// The file an origin names, if any.
pub fn origin_file(origin: &GoOrigin) -> Option<String> {
    match origin {
        GoOrigin::EnvFile(p) | GoOrigin::GoRootEnv(p) => Some(p.display().to_string()),
        _ => None,
    }
}

/// How long ago a verdict was observed, in seconds (`None` for a verdict never observed).
pub fn age_secs(v: &Verdict, now: u64) -> Option<u64> {
    (v.checked_at > 0).then(|| now.saturating_sub(v.checked_at))
}

/// Seconds since the Unix epoch now.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// One verdict in words: `healthy, 12 ms, sumdb yes, checked 3 s ago: answered the probe`.
pub fn verdict_text(v: &Verdict, now: u64, with_sumdb: bool) -> String {
    let mut parts = vec![v.status.to_string()];
    if let Some(ms) = v.latency_ms {
        parts.push(format!("{ms} ms"));
    }
    if with_sumdb {
        parts.push(format!("sumdb {}", v.sumdb));
    }
    if let Some(age) = age_secs(v, now) {
        parts.push(format!("checked {age} s ago"));
    }
    format!(
        "{}: {}",
        parts.join(", "),
        redact_text(&v.reason.to_string())
    )
}

pub use crate::http::redact_text;

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let rows = vec![
            vec!["A".to_string(), "BB".into(), "x".into()],
            vec!["CCC".to_string(), "D".into(), "yy".into()],
        ];
        assert_eq!(columns(&rows), "A    BB  x\nCCC  D   yy\n");
    }
}
