//! `goshim doctor`: everything goshim knows about this directory — the real go, the project,
//! the configuration and its trust, the proxy verdicts, what the last runs' module routers saw
//! of each upstream, the variables it would set and why — and numbered warnings for every
//! problem found. Exit status 1 when there is one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use super::explain::undecided;
use super::report::{self, age_secs, network_plan, redact_text};
use crate::config::load::{FileKind, IgnoredReason, Loaded};
use crate::env_vars::PATH;
use crate::exit::{self, Exit};
use crate::goenv::project::{Project, ProjectContext, WorkFile};
use crate::goenv::{ProxyEntry, ProxyScheme, parse_proxy_list};
use crate::health::cache::{RouterStats, Store};
use crate::health::{Verdict, Verdicts};
use crate::http::redact;
use crate::plan::{Decided, Plan};
use crate::process::Process;

pub fn run(process: &Process, as_json: bool) -> ExitCode {
    let plan = match network_plan(process, crate::plan::Mode::Diagnose) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let now = report::now_secs();
    let warnings = warnings(process, &plan);
    let vendor = plan.decided.as_ref().map(|d| build_vendor_mode(process, d));
    let routers = Store::default_location(process).router_stats();
    if as_json {
        match serde_json::to_string_pretty(&to_json(&plan, vendor, &routers, &warnings, now)) {
            Ok(text) => println!("{text}"),
            Err(err) => return exit::fail(err, Exit::Problem),
        }
    } else {
        print!("{}", text(&plan, vendor, &routers, &warnings, now));
    }
    if warnings.is_empty() {
        ExitCode::SUCCESS
    } else {
        Exit::Problem.into()
    }
}

/// Whether a build (not the download the plan was made for) runs in vendor mode.
fn build_vendor_mode(process: &Process, d: &Decided) -> bool {
    let argv = vec!["build".to_string()];
    let ctx = ProjectContext {
        env: &d.go_env,
        go_version: &d.go_version,
        temp_dir: process.temp_dir(),
    };
    let cwd = process.cwd().map_or_else(
        |_| d.project.layout.invocation.dir.clone(),
        Path::to_path_buf,
    );
    crate::goenv::project::inspect(&cwd, &argv, &ctx).is_ok_and(|p| p.vendor_mode())
}

/// Every problem, in a stable order: the project, the configuration, the decision's traps,
/// PATH order, credentials over http.
pub fn warnings(process: &Process, plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(err) = &plan.project_error {
        out.push(format!(
            "the project cannot be inspected, go will fail the same way: {err}"
        ));
    }
    if let Some(loaded) = &plan.loaded {
        out.extend(loaded.warnings.iter().cloned());
    }
    if let Some(d) = &plan.decided {
        out.extend(d.decision.warnings.iter().map(|w| redact_text(w)));
    }
    let path = process.var_os(PATH).unwrap_or_default();
    let me = process.current_exe().unwrap_or(Path::new(""));
    out.extend(path_warning(path, me, &plan.real.path));
    let mut urls: Vec<String> = Vec::new();
    if let Some(d) = &plan.decided {
        let goproxy = d
            .decision
            .get("GOPROXY")
            .unwrap_or_else(|| d.go_env.get("GOPROXY"));
        if let Ok(list) = parse_proxy_list(goproxy, false) {
            urls.extend(list.explicit().filter_map(|s| match &s.entry {
                ProxyEntry::Url {
                    url,
                    scheme: ProxyScheme::Http,
                } => Some(url.clone()),
                _ => None,
            }));
        }
    }
    if let Some(loaded) = &plan.loaded {
        let proxy = &loaded.config.proxy;
        urls.extend(
            proxy
                .candidates
                .value
                .iter()
                .chain(&proxy.private.value)
                .map(|c| c.value.clone()),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for url in urls {
        if has_http_credentials(&url) && seen.insert(url.clone()) {
            out.push(format!(
                "{} puts credentials in a plain http URL: go refuses to send them over http and anyone on the network can read them; use https (or a .netrc entry with an https proxy)",
                redact(&url)
            ));
        }
    }
    out
}

/// True for `http://user[:password]@host…`.
fn has_http_credentials(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    authority.contains('@')
}

/// The PATH problem, if any: goshim is not the first `go`, or not on PATH at all. `real` is the
/// go goshim runs; when it comes first from its own `$GOROOT/bin`, that is what IDEs do.
pub fn path_warning(path: &std::ffi::OsStr, me: &Path, real: &Path) -> Option<String> {
    let gos: Vec<PathBuf> = std::env::split_paths(path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(if cfg!(windows) { "go.exe" } else { "go" }))
        .filter(|g| g.is_file())
        .collect();
    let shim = gos.iter().position(|g| crate::realgo::same_file(g, me));
    match (shim, gos.first()) {
        (Some(0), _) => None,
        (Some(i), Some(first)) => {
            let goroot_bin = crate::realgo::same_file(first, real)
                && first
                    .parent()
                    .and_then(Path::parent)
                    .is_some_and(|root| root.join("VERSION").is_file());
            Some(format!(
                "PATH order: {} comes before goshim's link {}, so go commands bypass goshim{}; put {} first on PATH",
                first.display(),
                gos[i].display(),
                if goroot_bin {
                    " (a $GOROOT/bin placed first, as IDEs do: point the IDE's GOROOT/go binary at the shim instead)"
                } else {
                    ""
                },
                gos[i].parent().unwrap_or(Path::new("")).display()
            ))
        }
        _ => Some(
            "no `go` on PATH is goshim, so go commands bypass it: run `goshim install` and put the directory it prints first on PATH".into(),
        ),
    }
}

fn project_json(p: &Project, vendor: Option<bool>) -> Value {
    let layout = &p.layout;
    json!({
        "dir": layout.invocation.dir.display().to_string(),
        "go_mod": layout.gomod.as_ref().map(|g| g.display().to_string()),
        "module": p.module.as_ref().and_then(|m| m.module.clone()),
        "go": p.go_line(),
        "toolchain": p.toolchain_line(),
        "workspace": match &layout.work_file {
            WorkFile::File(f) => Some(f.display().to_string()),
            _ => None,
        },
        "workspace_modules": p.workspace.as_ref().map(|w| w.modules.iter()
            .map(|m| m.module_path.clone().unwrap_or_else(|| m.dir.display().to_string()))
            .collect::<Vec<_>>()).unwrap_or_default(),
        "vendor": vendor.unwrap_or(false),
    })
}

fn config_json(loaded: Option<&Loaded>) -> (Value, Value) {
    let Some(l) = loaded else {
        return (json!([]), json!([]));
    };
    let files = l
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path.display().to_string(),
                "kind": kind_word(f.kind),
                "trusted": f.trusted,
            })
        })
        .collect::<Vec<_>>();
    let ignored = l
        .ignored
        .iter()
        .map(|i| {
            json!({
                "path": i.path.display().to_string(),
                "line": i.line,
                "key": i.key,
                "value": redact_text(&i.value),
                "reason": match i.reason {
                    IgnoredReason::Untrusted => "untrusted",
                    IgnoredReason::GoOnlyInUserConfig => "go_only_in_user_config",
                },
            })
        })
        .collect::<Vec<_>>();
    (Value::Array(files), Value::Array(ignored))
}

fn kind_word(k: FileKind) -> &'static str {
    match k {
        FileKind::System => "system",
        FileKind::User => "user",
        FileKind::Project => "project",
    }
}

fn verdict_json(label: &str, v: &Verdict, now: u64) -> Value {
    json!({
        "name": redact(label),
        "status": v.status.to_string(),
        "reason": redact_text(&v.reason.to_string()),
        "latency_ms": v.latency_ms,
        "sumdb": v.sumdb,
        "age_s": age_secs(v, now),
    })
}

fn verdicts_json(v: Option<&Verdicts>, now: u64) -> (Value, Value, Value) {
    let Some(v) = v else {
        return (json!([]), json!([]), Value::Null);
    };
    let proxies = v
        .proxies
        .iter()
        .map(|(u, x)| verdict_json(u, x, now))
        .collect();
    let sumdbs = v
        .sumdbs
        .iter()
        .map(|(n, x)| verdict_json(n, x, now))
        .collect();
    let origin = match v.origin {
        crate::health::VerdictSource::Cache => "cache",
        crate::health::VerdictSource::Probed => "probed",
    };
    (Value::Array(proxies), Value::Array(sumdbs), json!(origin))
}

/// The whole report as JSON.
pub fn to_json(
    plan: &Plan,
    vendor: Option<bool>,
    routers: &BTreeMap<String, RouterStats>,
    warnings: &[String],
    now: u64,
) -> Value {
    let d = plan.decided.as_ref();
    let (files, ignored) = config_json(plan.loaded.as_ref());
    let (proxies, sumdbs, origin) = verdicts_json(d.and_then(|d| d.verdicts.as_ref()), now);
    let variables: Vec<Value> = d
        .map(|d| {
            let set = d.decision.set.iter().map(|s| (s, "set"));
            let kept = d.decision.kept.iter().map(|s| (s, "kept"));
            set.chain(kept)
                .map(|(s, action)| {
                    json!({
                        "name": s.name,
                        "value": redact_text(&s.value),
                        "action": action,
                        "reasons": s.reasons.iter().map(|r| redact_text(r)).collect::<Vec<_>>(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let go_env: serde_json::Map<String, Value> = d
        .map(|d| {
            d.go_env
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        json!({
                            "value": redact_text(&v.value),
                            "origin": report::origin_kind(&v.origin),
                            "file": report::origin_file(&v.origin),
                        }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "goshim_version": env!("CARGO_PKG_VERSION"),
        "ok": warnings.is_empty(),
        "decided_for": format!("go {}", report::NETWORK_ARGV.join(" ")),
        "go": {
            "path": plan.real.path.display().to_string(),
            "version": d.map(|d| d.go_version.clone()),
        },
        "project": d.map(|d| project_json(&d.project, vendor)),
        "project_error": plan.project_error,
        "config": files,
        "ignored": ignored,
        "verdicts_from": origin,
        "proxies": proxies,
        "sumdbs": sumdbs,
        "router": router_json(routers, now),
        "variables": variables,
        "notice": d.and_then(|d| d.decision.notice.clone()),
        "warnings": warnings,
        "go_env": go_env,
    })
}

fn or_dash(v: Option<&str>) -> String {
    v.map_or_else(|| "-".to_string(), str::to_string)
}

/// The whole report in words.
pub fn text(
    plan: &Plan,
    vendor: Option<bool>,
    routers: &BTreeMap<String, RouterStats>,
    warnings: &[String],
    now: u64,
) -> String {
    let d = plan.decided.as_ref();
    let mut out = format!("goshim {}\n\n", env!("CARGO_PKG_VERSION"));
    out.push_str(&format!(
        "go\n  path     {}\n  version  {}\n\n",
        plan.real.path.display(),
        or_dash(d.map(|d| d.go_version.as_str()).filter(|v| !v.is_empty()))
    ));
    match d {
        Some(d) => {
            let p = &d.project;
            let rows = vec![
                vec![
                    "  dir".into(),
                    p.layout.invocation.dir.display().to_string(),
                ],
                vec![
                    "  module".into(),
                    or_dash(p.module.as_ref().and_then(|m| m.module.as_deref())),
                ],
                vec![
                    "  go.mod".into(),
                    or_dash(
                        p.layout
                            .gomod
                            .as_ref()
                            .map(|g| g.display().to_string())
                            .as_deref(),
                    ),
                ],
                vec!["  go".into(), or_dash(p.go_line())],
                vec!["  toolchain".into(), or_dash(p.toolchain_line())],
                vec![
                    "  workspace".into(),
                    match &p.layout.work_file {
                        WorkFile::File(f) => f.display().to_string(),
                        _ => "-".into(),
                    },
                ],
                vec![
                    "  vendor".into(),
                    if vendor == Some(true) {
                        "yes (builds use vendor/)".into()
                    } else {
                        "no".into()
                    },
                ],
            ];
            out.push_str("project\n");
            out.push_str(&report::columns(&rows));
        }
        None => out.push_str(&format!("project\n  {}\n", undecided(plan))),
    }
    out.push_str("\nconfiguration\n");
    match &plan.loaded {
        Some(l) if !l.files.is_empty() => {
            let rows: Vec<Vec<String>> = l
                .files
                .iter()
                .map(|f| {
                    let state = match (f.kind, f.trusted) {
                        (FileKind::Project, true) => "project, trusted".to_string(),
                        (FileKind::Project, false) => {
                            "project, NOT trusted (`goshim trust` applies all of it)".to_string()
                        }
                        (k, _) => kind_word(k).to_string(),
                    };
                    vec![format!("  {}", f.path.display()), state]
                })
                .collect();
            out.push_str(&report::columns(&rows));
            for i in &l.ignored {
                out.push_str(&format!(
                    "  ignored {} = {} at {}:{}\n",
                    i.key,
                    redact_text(&i.value),
                    i.path.display(),
                    i.line
                ));
            }
        }
        Some(_) => out.push_str("  no configuration files; built-in defaults\n"),
        None => out.push_str("  not read (GOSHIM_DISABLE)\n"),
    }
    if let Some(d) = d {
        out.push_str(&verdicts_text(d.verdicts.as_ref(), now));
        out.push_str(&router_text(routers, now));
        out.push_str(&format!(
            "\nvariables (for `go {}` here)\n",
            report::NETWORK_ARGV.join(" ")
        ));
        for (s, action) in d
            .decision
            .set
            .iter()
            .map(|s| (s, "set "))
            .chain(d.decision.kept.iter().map(|s| (s, "kept")))
        {
            out.push_str(&format!(
                "  {action} {}={}\n",
                s.name,
                redact_text(&s.value)
            ));
            for r in &s.reasons {
                out.push_str(&format!("         - {}\n", redact_text(r)));
            }
        }
        if let Some(n) = &d.decision.notice {
            out.push_str(&format!("  notice: {}\n", redact_text(n)));
        }
    }
    out.push('\n');
    if warnings.is_empty() {
        out.push_str("no problems found\n");
    } else {
        out.push_str("warnings\n");
        for (i, w) in warnings.iter().enumerate() {
            out.push_str(&format!("  {}. {w}\n", i + 1));
        }
        out.push_str(&format!(
            "{} problem{} found\n",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        ));
    }
    out
}

fn verdicts_text(v: Option<&Verdicts>, now: u64) -> String {
    let Some(v) = v else {
        return "\nproxies\n  not probed: GOPROXY is yours (set in the environment) or goshim is offline\n"
            .into();
    };
    let from = match v.origin {
        crate::health::VerdictSource::Cache => "from the cache",
        crate::health::VerdictSource::Probed => "probed now",
    };
    let mut rows = vec![vec![
        "  CANDIDATE".to_string(),
        "VERDICT".into(),
        "LATENCY".into(),
        "SUMDB".into(),
        "AGE".into(),
        "REASON".into(),
    ]];
    let row = |name: String, x: &Verdict, sumdb: String| {
        vec![
            format!("  {name}"),
            x.status.to_string(),
            x.latency_ms.map_or("-".into(), |ms| format!("{ms} ms")),
            sumdb,
            age_secs(x, now).map_or("-".into(), |s| format!("{s} s")),
            redact_text(&x.reason.to_string()),
        ]
    };
    for (u, x) in &v.proxies {
        rows.push(row(redact(u), x, x.sumdb.to_string()));
    }
    for (n, x) in &v.sumdbs {
        rows.push(row(format!("{n} (direct)"), x, "-".into()));
    }
    format!("\nproxies ({from})\n{}", report::columns(&rows))
}

/// What the module routers of the last runs saw of each upstream (this network).
fn router_json(stats: &BTreeMap<String, RouterStats>, now: u64) -> Value {
    Value::Array(
        stats
            .iter()
            .map(|(url, s)| {
                let t = s.total();
                json!({
                    "name": redact(url),
                    "runs": s.runs.len(),
                    "requests": t.requests,
                    "failures": t.failures,
                    "p50_ms": s.latency(50),
                    "p95_ms": s.latency(95),
                    "passed_over": t.passed_over,
                    "mismatches": t.mismatches,
                    "age_s": (t.at > 0).then(|| now.saturating_sub(t.at)),
                })
            })
            .collect(),
    )
}

fn router_text(stats: &BTreeMap<String, RouterStats>, now: u64) -> String {
    if stats.is_empty() {
        return "\nrouter (the last runs)\n  no module router has run on this network yet\n".into();
    }
    let ms = |v: Option<u64>| v.map_or("-".into(), |ms| format!("{ms} ms"));
    let mut rows = vec![
        [
            "  UPSTREAM",
            "RUNS",
            "REQUESTS",
            "FAILED",
            "LATENCY P50",
            "LATENCY P95",
            "PASSED OVER",
            "MISMATCHES",
            "AGE",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (url, s) in stats {
        let t = s.total();
        rows.push(vec![
            format!("  {}", redact(url)),
            s.runs.len().to_string(),
            t.requests.to_string(),
            t.failures.to_string(),
            ms(s.latency(50)),
            ms(s.latency(95)),
            t.passed_over.to_string(),
            t.mismatches.to_string(),
            if t.at > 0 {
                format!("{} s", now.saturating_sub(t.at))
            } else {
                "-".into()
            },
        ]);
    }
    format!(
        "\nrouter (the last runs, counted together)\n{}",
        report::columns(&rows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_http_urls() {
        assert!(has_http_credentials("http://u:p@h.example/x"));
        assert!(has_http_credentials("http://token@h.example"));
        assert!(!has_http_credentials("https://u:p@h.example"));
        assert!(!has_http_credentials("http://h.example/a@b"));
    }
}
