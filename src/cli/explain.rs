//! `goshim explain [VAR]`: every variable goshim would set or keep for a download in the working
//! directory, its value, and the reasons, sources and probe results behind it.

use std::process::ExitCode;

use super::report::{self, network_plan, redact_text, verdict_text};
use crate::config::Config;
use crate::decide::{Setting, origin_text};
use crate::exit::{self, Exit};
use crate::goenv::GoEnv;
use crate::health::Verdicts;
use crate::plan::{Decided, Plan};
use crate::process::Process;

pub fn run(process: &Process, var: Option<String>) -> ExitCode {
    let plan = match network_plan(process, crate::plan::Mode::Router) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let Some(decided) = &plan.decided else {
        eprintln!("goshim: {}", undecided(&plan));
        return Exit::Problem.into();
    };
    let var = var.map(|v| v.to_ascii_uppercase());
    let now = report::now_secs();
    let settings: Vec<(&Setting, bool)> = decided
        .decision
        .set
        .iter()
        .map(|s| (s, true))
        .chain(decided.decision.kept.iter().map(|s| (s, false)))
        .filter(|(s, _)| var.as_deref().is_none_or(|v| v == s.name))
        .collect();
    if let Some(name) = &var
        && settings.is_empty()
    {
        return match decided.go_env.value(name) {
            Some(v) => {
                println!(
                    "{name}={} (goshim leaves it alone; from {})",
                    redact_text(&v.value),
                    origin_text(&v.origin)
                );
                ExitCode::SUCCESS
            }
            None => exit::fail(
                format_args!(
                    "{name} is not a go variable goshim knows; try GOPROXY, GOSUMDB, GOPRIVATE, GONOPROXY or GONOSUMDB"
                ),
                Exit::Usage,
            ),
        };
    }
    let mut out = String::new();
    let config = plan.loaded.as_ref().map(|l| &l.config);
    for (setting, set) in settings {
        out.push_str(&explain(setting, set, decided, config, now));
    }
    if var.is_none() {
        out.push_str(&format!(
            "(decided as for `go {}` in {})\n",
            report::NETWORK_ARGV.join(" "),
            decided.project.layout.invocation.dir.display()
        ));
    }
    print!("{out}");
    ExitCode::SUCCESS
}

/// Why there is no decision to show.
pub fn undecided(plan: &Plan) -> String {
    match &plan.project_error {
        Some(err) => format!("nothing decided: the project cannot be inspected: {err}"),
        None => "nothing decided: GOSHIM_DISABLE is set, go runs without goshim".into(),
    }
}

/// One variable: value, reasons, probe results, and go's own value without goshim.
fn explain(s: &Setting, set: bool, d: &Decided, config: Option<&Config>, now: u64) -> String {
    let mut out = format!(
        "{}={}  ({})\n",
        s.name,
        redact_text(&s.value),
        if set { "set by goshim" } else { "kept" }
    );
    for r in &s.reasons {
        out.push_str(&format!("  - {}\n", redact_text(r)));
    }
    if let Some(c) = config {
        out.push_str(&configured(s.name, c));
    }
    if let Some(v) = &d.verdicts {
        out.push_str(&probes(s.name, v, now));
    }
    out.push_str(&format!(
        "  without goshim: {}\n",
        without(&d.go_env, s.name)
    ));
    out
}

/// The configuration entries behind a variable, each with its file and line (the key table
/// says which keys feed which variable).
fn configured(name: &str, c: &Config) -> String {
    let mut out = String::new();
    for entry in crate::config::report::configured(name, c) {
        let sep = if entry.list { ":" } else { " =" };
        out.push_str(&format!(
            "    {}{sep} {} ({})\n",
            entry.key,
            redact_text(&entry.value),
            entry.origin
        ));
    }
    if out.is_empty() {
        String::new()
    } else {
        format!("  configured:\n{out}")
    }
}

/// The probe results behind GOPROXY (the candidates) and GOSUMDB (the databases).
fn probes(name: &str, v: &Verdicts, now: u64) -> String {
    let (list, sumdb) = match name {
        "GOPROXY" => (&v.proxies, true),
        "GOSUMDB" => (&v.sumdbs, false),
        _ => return String::new(),
    };
    let from = match v.origin {
        crate::health::VerdictSource::Cache => "cached",
        crate::health::VerdictSource::Probed => "probed now",
    };
    let mut out = format!("  probe results ({from}):\n");
    if name == "GOSUMDB" {
        for (url, verdict) in &v.proxies {
            out.push_str(&format!(
                "    {} serves /sumdb/sum.golang.org/supported: {}\n",
                redact_text(url),
                verdict.sumdb
            ));
        }
    }
    for (label, verdict) in list {
        out.push_str(&format!(
            "    {}: {}\n",
            redact_text(label),
            verdict_text(verdict, now, sumdb)
        ));
    }
    out
}

/// go's own value of `name` and where it comes from.
fn without(env: &GoEnv, name: &str) -> String {
    match env.value(name) {
        Some(v) if v.value.is_empty() => format!("empty ({})", origin_text(&v.origin)),
        Some(v) => format!("{} ({})", redact_text(&v.value), origin_text(&v.origin)),
        None => "unset".into(),
    }
}
