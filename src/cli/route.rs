//! `goshim route MODULE[@VERSION]`: how go will fetch that module from here, under the final
//! environment (go's own values with goshim's decision applied) — and, when go talks to
//! goshim's module router, which upstreams the router tries for it, in what order, and where
//! its checksum lookups go.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::report::{self, network_plan, redact_text};
use crate::decide::{ROUTER_URL, RankedUpstream, Routing};
use crate::exit::{self, Exit};
use crate::goenv::route::{Fetch, Route, RouteVars, SumCheck, SumStep, route};
use crate::goenv::{Fallback, ProxyEntry};
use crate::health::{Status, SumdbSupport};
use crate::http::redact;
use crate::process::Process;
use crate::router;

pub fn run(process: &Process, module: &str, as_json: bool) -> ExitCode {
    if module.is_empty() || module.starts_with('-') || module.contains(char::is_whitespace) {
        return exit::fail(
            format_args!(
                "{module:?} is not a module path; pass MODULE or MODULE@VERSION, e.g. golang.org/x/text@v0.3.0"
            ),
            Exit::Usage,
        );
    }
    let plan = match network_plan(process, crate::plan::Mode::Router) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let env = plan.final_go_env(process);
    let mut vars = RouteVars::from_env(&env);
    let routing = plan
        .decided
        .as_ref()
        .and_then(|d| d.decision.routing.as_ref());
    if routing.is_some() {
        // The router's URL is only known once it runs; go's walk is the same for any.
        vars.goproxy = vars.goproxy.replacen(ROUTER_URL, STAND_IN, 1);
    }
    let r = route(module, &vars);
    let out = if as_json {
        let mut value = to_json(module, &vars, &r);
        value["router"] = routing.map_or(Value::Null, |routing| router_json(&r.path, routing));
        match serde_json::to_string_pretty(&value) {
            Ok(text) => format!("{text}\n"),
            Err(err) => return exit::fail(err, Exit::Problem),
        }
    } else {
        let mut out = text(module, &vars, &r);
        if let Some(routing) = routing {
            out.push_str(&router_text(&r.path, routing));
        }
        out
    };
    print!("{}", out.replace(STAND_IN, ROUTER_URL));
    ExitCode::SUCCESS
}

/// A valid URL standing for the router in go's walk; shown as [`ROUTER_URL`].
const STAND_IN: &str = "http://127.0.0.1:1/goshim-router-token";

/// Where the router sends a module path: only private upstreams for a private path (or a
/// proper prefix of a private pattern), else the public ones in rank order.
fn router_upstreams<'r>(path: &str, routing: &'r Routing) -> (bool, &'r [RankedUpstream]) {
    if router::is_private(&routing.private_patterns, path) {
        (true, &routing.private)
    } else {
        (false, &routing.public)
    }
}

/// What the cache says of an upstream, in words.
fn standing(u: &RankedUpstream) -> String {
    match &u.verdict {
        Some(v) if v.status == Status::Healthy => match v.latency_ms {
            Some(ms) => format!("healthy, {ms} ms"),
            None => "healthy".into(),
        },
        Some(v) if v.status != Status::Unknown => format!("seen {}: {}", v.status, v.reason),
        _ => "no verdict yet".into(),
    }
}

/// The router's checksum-database routes for `path`: `None` when its lookups never leave the
/// router (private, or GONOSUMDB), else the bases it races.
fn router_sumdb_routes(path: &str, routing: &Routing) -> Option<Vec<(String, &'static str)>> {
    let db = routing.sumdb.as_ref()?;
    if router::lookup_is_local(&routing.private_patterns, &routing.nosumdb_patterns, path) {
        return None;
    }
    let mut routes: Vec<(String, &'static str)> = routing
        .public
        .iter()
        .filter(|u| {
            u.verdict
                .as_ref()
                .is_none_or(|v| v.sumdb != SumdbSupport::NotSupported)
        })
        .map(|u| {
            let proxies = u
                .verdict
                .as_ref()
                .is_some_and(|v| v.sumdb == SumdbSupport::Supported);
            (
                format!("{}/sumdb/{}", redact(u.url.trim_end_matches('/')), db.name),
                if proxies {
                    "proxies it"
                } else {
                    "may proxy it"
                },
            )
        })
        .collect();
    routes.extend(
        db.direct
            .iter()
            .map(|d| (redact(d), "the database directly")),
    );
    Some(routes)
}

/// The router's part of the route, in words.
fn router_text(path: &str, routing: &Routing) -> String {
    let (private, upstreams) = router_upstreams(path, routing);
    let mut out = String::from("router: go talks only to goshim's module router on loopback;");
    if private {
        out.push_str(" a private path, so only the private proxies, in order:\n");
    } else {
        out.push_str(" it tries, in order (hedging to the next when one stalls):\n");
    }
    let mut rows: Vec<Vec<String>> = upstreams
        .iter()
        .enumerate()
        .map(|(i, u)| vec![format!("  {}.", i + 1), redact(&u.url), standing(u)])
        .collect();
    if rows.is_empty() {
        out.push_str(if routing.offline {
            "  none (GOSHIM_OFFLINE=1): the router serves what the module cache holds, else 404\n"
        } else if private {
            "  none: the router answers 404 and go fetches it directly (GONOPROXY)\n"
        } else {
            "  none: the router answers 404\n"
        });
    }
    if routing.direct {
        rows.push(vec![
            "  then".into(),
            "direct".into(),
            "go's own fallback after the router's 404".into(),
        ]);
    }
    out.push_str(&report::columns(&rows));
    match (router_sumdb_routes(path, routing), &routing.sumdb) {
        (_, None) => {}
        (None, Some(db)) => out.push_str(&format!(
            "router checksum lookups ({}): answered locally with 404, never sent on\n",
            db.name
        )),
        (Some(routes), Some(db)) => {
            out.push_str(&format!(
                "router checksum lookups ({}): the first of these that answers:\n",
                db.name
            ));
            let rows: Vec<Vec<String>> = routes
                .into_iter()
                .enumerate()
                .map(|(i, (url, what))| vec![format!("  {}.", i + 1), url, what.to_string()])
                .collect();
            out.push_str(&report::columns(&rows));
        }
    }
    out
}

/// The router's part of the route, as JSON.
fn router_json(path: &str, routing: &Routing) -> Value {
    let (private, upstreams) = router_upstreams(path, routing);
    let sumdb = match (router_sumdb_routes(path, routing), &routing.sumdb) {
        (_, None) => Value::Null,
        (routes, Some(db)) => json!({
            "name": db.name,
            "local": routes.is_none(),
            "routes": routes.unwrap_or_default().into_iter()
                .map(|(url, what)| json!({"url": url, "kind": what})).collect::<Vec<_>>(),
        }),
    };
    json!({
        "private": private,
        "upstreams": upstreams.iter().map(|u| json!({
            "url": redact(&u.url),
            "verdict": u.verdict.as_ref().map(|v| v.status.to_string()),
        })).collect::<Vec<_>>(),
        "direct": routing.direct,
        "sumdb": sumdb,
    })
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
