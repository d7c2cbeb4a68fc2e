//! `goshim route MODULE[@VERSION]`: how go will fetch that module from here, under the final
//! environment (go's own values with goshim's decision applied).

use std::process::ExitCode;

use serde_json::{Value, json};

use super::report::{self, network_plan, redact_text};
use crate::exit::{self, Exit};
use crate::goenv::route::{Fetch, Route, RouteVars, SumCheck, SumStep, route};
use crate::goenv::{Fallback, ProxyEntry};
use crate::http::redact;
use crate::process::Process;

pub fn run(process: &Process, module: String, as_json: bool) -> ExitCode {
    if module.is_empty() || module.starts_with('-') || module.contains(char::is_whitespace) {
        return exit::fail(
            format_args!(
                "{module:?} is not a module path; pass MODULE or MODULE@VERSION, e.g. golang.org/x/text@v0.3.0"
            ),
            Exit::Usage,
        );
    }
    let plan = match network_plan(process) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let env = plan.final_go_env(process);
    let vars = RouteVars::from_env(&env);
    let r = route(&module, &vars);
    if as_json {
        match serde_json::to_string_pretty(&to_json(&module, &vars, &r)) {
            Ok(text) => println!("{text}"),
            Err(err) => return exit::fail(err, Exit::Problem),
        }
    } else {
        print!("{}", text(&module, &vars, &r));
    }
    ExitCode::SUCCESS
}

fn then_word(then: Option<Fallback>) -> Option<&'static str> {
    then.map(|f| match f {
        Fallback::OnNotFound => "not_found",
        Fallback::OnAnyError => "any_error",
    })
}

fn entry_kind(e: &ProxyEntry) -> &'static str {
    match e {
        ProxyEntry::Url { .. } => "proxy",
        ProxyEntry::Direct => "direct",
        ProxyEntry::Off => "off",
        ProxyEntry::Noproxy => "noproxy",
    }
}

/// The route as JSON (every URL redacted).
pub fn to_json(module: &str, vars: &RouteVars, r: &Route) -> Value {
    let fetch = match &r.fetch {
        Fetch::Direct { pattern } => json!({
            "mode": "direct", "pattern": pattern, "error": null, "steps": [],
        }),
        Fetch::Invalid(e) => json!({
            "mode": "invalid", "pattern": null, "error": redact_text(e), "steps": [],
        }),
        Fetch::Proxies(steps) => json!({
            "mode": "proxies", "pattern": null, "error": null,
            "steps": steps.iter().map(|s| json!({
                "entry": redact(&s.entry.to_string()),
                "kind": entry_kind(&s.entry),
                "then": then_word(s.then),
            })).collect::<Vec<_>>(),
        }),
    };
    let sumdb = match &r.sumdb {
        SumCheck::Consulted {
            name,
            steps,
            forced,
        } => json!({
            "consulted": true, "reason": if *forced { "toolchain" } else { "default" },
            "name": name, "pattern": null, "error": null,
            "endpoints": steps.iter().map(|s| match s {
                SumStep::Proxy { supported, base, then } => json!({
                    "kind": "proxy", "url": redact(supported), "base": redact(base),
                    "then": then_word(Some(*then)),
                }),
                SumStep::Direct(u) => json!({"kind": "direct", "url": redact(u), "base": redact(u), "then": null}),
                SumStep::Explicit(u) => json!({"kind": "explicit", "url": redact(u), "base": redact(u), "then": null}),
            }).collect::<Vec<_>>(),
        }),
        SumCheck::Off => json!({
            "consulted": false, "reason": "gosumdb_off", "name": null, "pattern": null,
            "error": null, "endpoints": [],
        }),
        SumCheck::NoSumdb { pattern } => json!({
            "consulted": false, "reason": "gonosumdb", "name": null, "pattern": pattern,
            "error": null, "endpoints": [],
        }),
        SumCheck::ToolchainNeedsSumdb => json!({
            "consulted": false, "reason": "toolchain_needs_sumdb", "name": null,
            "pattern": null,
            "error": "toolchain downloads require the checksum database, and GOSUMDB=off",
            "endpoints": [],
        }),
        SumCheck::Invalid(e) => json!({
            "consulted": false, "reason": "invalid", "name": null, "pattern": null,
            "error": e, "endpoints": [],
        }),
    };
    json!({
        "module": module,
        "path": r.path,
        "version": r.version,
        "env": {
            "GOPROXY": redact_text(&vars.goproxy),
            "GOSUMDB": vars.gosumdb,
            "GOPRIVATE": vars.goprivate,
            "GONOPROXY": vars.gonoproxy,
            "GONOSUMDB": vars.gonosumdb,
        },
        "fetch": fetch,
        "sumdb": sumdb,
        "matches": {
            "GOPRIVATE": r.goprivate_match,
            "GONOPROXY": r.gonoproxy_match,
            "GONOSUMDB": r.gonosumdb_match,
        },
    })
}

/// The route in words.
pub fn text(module: &str, vars: &RouteVars, r: &Route) -> String {
    let mut out = format!("route for {module}");
    if r.path != module.split('@').next().unwrap_or(module) {
        out.push_str(&format!(" (looked up as {})", r.path));
    }
    out.push('\n');
    match &r.fetch {
        Fetch::Direct { pattern } => {
            out.push_str(&format!(
                "fetch: directly from version control, never a proxy (GONOPROXY pattern {pattern} matches)\n"
            ));
            if r.path == crate::goenv::route::TOOLCHAIN_MODULE {
                out.push_str(&format!(
                    "  {} has no repository to fetch from directly: this download fails; narrow the pattern so it does not match golang.org\n",
                    r.path
                ));
            }
        }
        Fetch::Invalid(e) => out.push_str(&format!(
            "fetch: fails: go rejects GOPROXY: {}\n",
            redact_text(e)
        )),
        Fetch::Proxies(steps) => {
            out.push_str("fetch: the GOPROXY entries, in order:\n");
            let rows: Vec<Vec<String>> = steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let what = match &s.entry {
                        ProxyEntry::Url { url, .. } => redact(url),
                        ProxyEntry::Direct => "direct (version control)".into(),
                        ProxyEntry::Off => "off (the lookup fails: GOPROXY=off)".into(),
                        ProxyEntry::Noproxy => "noproxy".into(),
                    };
                    let then = match s.then {
                        Some(Fallback::OnNotFound) => "then the next only on 404/410 (',')",
                        Some(Fallback::OnAnyError) => "then the next on any error ('|')",
                        None if matches!(s.entry, ProxyEntry::Url { .. }) => {
                            "last: its errors are final"
                        }
                        None => "",
                    };
                    vec![format!("  {}.", i + 1), what, then.to_string()]
                })
                .collect();
            out.push_str(&report::columns(&rows));
        }
    }
    match &r.sumdb {
        SumCheck::Off => out.push_str("checksum database: not consulted (GOSUMDB=off)\n"),
        SumCheck::NoSumdb { pattern } => out.push_str(&format!(
            "checksum database: not consulted (GONOSUMDB pattern {pattern} matches)\n"
        )),
        SumCheck::ToolchainNeedsSumdb => out.push_str(
            "checksum database: required for golang.org/toolchain, but GOSUMDB=off: the download fails\n",
        ),
        SumCheck::Invalid(e) => out.push_str(&format!(
            "checksum database: go rejects GOSUMDB: {e}\n"
        )),
        SumCheck::Consulted {
            name,
            steps,
            forced,
        } => {
            out.push_str(&format!("checksum database: consulted: {name}"));
            if *forced {
                out.push_str(
                    " (always for golang.org/toolchain, whatever GONOSUMDB or GOPRIVATE say)",
                );
            }
            out.push('\n');
            if steps.is_empty() {
                out.push_str("  no route: GOPROXY is invalid\n");
            }
            let rows: Vec<Vec<String>> = steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let n = format!("  {}.", i + 1);
                    match s {
                        SumStep::Proxy {
                            supported, then, ..
                        } => vec![
                            n,
                            redact(supported),
                            match then {
                                Fallback::OnNotFound => {
                                    "200: used for every lookup; 404/410: next; other errors: lookups fail"
                                }
                                Fallback::OnAnyError => {
                                    "200: used for every lookup; any error: next"
                                }
                            }
                            .to_string(),
                        ],
                        SumStep::Direct(u) => vec![n, redact(u), "the database directly".into()],
                        SumStep::Explicit(u) => {
                            vec![n, redact(u), "the URL in GOSUMDB; no proxy is asked".into()]
                        }
                    }
                })
                .collect();
            out.push_str(&report::columns(&rows));
        }
    }
    out.push_str("patterns:\n");
    let rows: Vec<Vec<String>> = [
        ("GOPRIVATE", &vars.goprivate, &r.goprivate_match),
        ("GONOPROXY", &vars.gonoproxy, &r.gonoproxy_match),
        ("GONOSUMDB", &vars.gonosumdb, &r.gonosumdb_match),
    ]
    .into_iter()
    .map(|(name, value, m)| {
        vec![
            format!("  {name}={value}"),
            match m {
                Some(p) => format!("matches: {p}"),
                None => "no match".into(),
            },
        ]
    })
    .collect();
    out.push_str(&report::columns(&rows));
    out.push_str(&format!(
        "with GOPROXY={} GOSUMDB={}\n",
        redact_text(&vars.goproxy),
        vars.gosumdb
    ));
    out
}
