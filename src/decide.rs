//! The policy: from the project, the merged configuration, what go would use on its own and the
//! health verdicts, the variables goshim sets for one go command, each with its reasons.
//!
//! Pure: no I/O, no clock, no environment. The shim gathers the inputs and applies the result;
//! `explain`, `env` and `doctor` show the same [`Decision`].

use std::collections::BTreeSet;

use crate::config::{Config, schema::Offline, schema::Order};
use crate::goenv::env::{GoEnv, GoOrigin};
use crate::goenv::pattern::match_prefix_patterns;
use crate::goenv::proxy::{ProxyEntry, ProxyList, ProxyScheme, parse_proxy_list, same_proxy};
use crate::goenv::route::{SumdbEnd, Supported, TOOLCHAIN_MODULE, sumdb_walk};
use crate::goenv::sumdb::{SumDb, parse_gosumdb};
use crate::health::{Candidate, Candidates, Status, SumdbSupport, Verdict, Verdicts};

/// What decide needs to know about the project the command runs in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectFacts {
    /// A go.work is in effect.
    pub workspace: bool,
    /// Main module paths (one, or the workspace's modules).
    pub modules: Vec<String>,
    /// Every required module path of the main modules.
    pub requires: Vec<String>,
    /// The Go version the `go`/`toolchain` lines ask for when it is newer than the real go and
    /// GOTOOLCHAIN allows switching: the command will download `golang.org/toolchain`.
    pub toolchain_switch: Option<String>,
}

/// Everything the decision depends on.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The command can reach the network (see `goenv::command`).
    pub network: bool,
    pub project: &'a ProjectFacts,
    /// What go would use without goshim.
    pub go_env: &'a GoEnv,
    /// Names a previous goshim exported (`GOSHIM_MANAGED`): their process values are not the
    /// user's own settings.
    pub managed: &'a [String],
    /// The merged, trusted configuration.
    pub config: &'a Config,
    /// Health verdicts for the candidates, when probing was allowed.
    pub verdicts: Option<&'a Verdicts>,
    /// `$GOMODCACHE/cache/download` (absolute), for the offline route; `None` when go has no
    /// module cache (no GOMODCACHE, GOPATH or home directory).
    pub download_dir: Option<&'a str>,
}

/// One variable goshim sets, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub value: String,
    pub reasons: Vec<String>,
}

/// The outcome for one go command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Variables to export, in a stable order.
    pub set: Vec<Setting>,
    /// Variables left as go would use them, and why.
    pub kept: Vec<Setting>,
    /// The one stderr line for something notable (failover, offline), if any.
    pub notice: Option<String>,
    /// Known traps and problems (doctor numbers them).
    pub warnings: Vec<String>,
}

impl Decision {
    /// The value goshim sets for `name`, if it sets one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.set
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.value.as_str())
    }

    /// The names goshim sets, comma-joined: the value of `GOSHIM_MANAGED`.
    pub fn managed(&self) -> String {
        self.set
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Adds to the one stderr line: a second notable event joins the first with `; `.
    fn notify(&mut self, line: String) {
        match &mut self.notice {
            Some(notice) => {
                notice.push_str("; ");
                notice.push_str(line.trim_start_matches("goshim: "));
            }
            None => self.notice = Some(line),
        }
    }

    fn set(&mut self, name: &'static str, value: String, reasons: Vec<String>) {
        self.set.push(Setting {
            name,
            value,
            reasons,
        });
    }

    fn keep(&mut self, name: &'static str, value: &str, reason: String) {
        self.kept.push(Setting {
            name,
            value: value.to_string(),
            reasons: vec![reason],
        });
    }
}

/// The decision for one go command.
pub fn decide(inp: &Inputs<'_>) -> Decision {
    let mut d = Decision::default();
    warn_traps(inp, &mut d);
    if !inp.network {
        for name in ["GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOPROXY", "GONOSUMDB"] {
            d.keep(
                name,
                inp.go_env.get(name),
                "this command does not reach the network; nothing to route".into(),
            );
        }
        return d;
    }
    if user_set(inp, "GOPROXY") && inp.go_env.get("GOPROXY") == "off" {
        d.keep(
            "GOPROXY",
            "off",
            "GOPROXY=off was set by you: no module downloads, nothing to route".into(),
        );
        return d;
    }
    let private = usable_private_proxies(inp, &mut d);
    let noproxy = decide_patterns(inp, &private, &mut d);
    let chain = decide_proxy(inp, &private, &mut d);
    decide_sumdb(inp, chain.as_ref(), &mut d);
    d.warnings.extend(check_toolchain(inp, &noproxy, &d));
    d.keep(
        "GOFLAGS",
        inp.go_env.get("GOFLAGS"),
        "goshim adds no flags: go uses your GOFLAGS as they are (and never gets -mod=mod from goshim, which go rejects in workspace mode)".into(),
    );
    d
}

/// Whether the decision needs health verdicts: only for a command that may reach the network,
/// when goshim chooses GOPROXY (a GOPROXY the user exported is used exactly as it is) and is
/// not offline by request.
pub fn needs_verdicts(network: bool, go_env: &GoEnv, managed: &[String], config: &Config) -> bool {
    network && !user_owns(go_env, managed, config, "GOPROXY") && !config.force_offline.value
}

/// True when `name` is a non-empty process variable the user set (not one goshim exported),
/// and explicit user settings win (`shim.respect_env`).
fn user_set(inp: &Inputs<'_>, name: &str) -> bool {
    user_owns(inp.go_env, inp.managed, inp.config, name)
}

/// True when the user exported `name` themselves and explicit settings win
/// (`shim.respect_env`): goshim leaves it exactly as it is.
pub fn user_owns(go_env: &GoEnv, managed: &[String], config: &Config, name: &str) -> bool {
    config.shim.respect_env.value && exported_by_user(go_env, managed, name)
}

/// True when `name` comes from a process variable the user exported, not from a previous goshim.
fn exported_by_user(go_env: &GoEnv, managed: &[String], name: &str) -> bool {
    go_env
        .value(name)
        .is_some_and(|v| v.origin == GoOrigin::Process)
        && !managed.iter().any(|m| m == name)
}

/// The URL entries of the user's own GOPROXY (`go env -w`, or exported by the user).
fn user_goproxy_urls(go_env: &GoEnv, managed: &[String]) -> Vec<String> {
    let own = go_env.value("GOPROXY").is_some_and(|v| {
        matches!(v.origin, GoOrigin::EnvFile(_)) || exported_by_user(go_env, managed, "GOPROXY")
    });
    if !own {
        return Vec::new();
    }
    parse_proxy_list(go_env.get("GOPROXY"), false)
        .map(|list| {
            list.explicit()
                .filter_map(|s| match &s.entry {
                    ProxyEntry::Url { url, .. } => Some(url.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The public candidates in preference order: the user's own GOPROXY URLs first, then the
/// configured candidates.
fn public_candidates(go_env: &GoEnv, managed: &[String], config: &Config) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let configured = config
        .proxy
        .candidates
        .value
        .iter()
        .map(|c| c.value.clone());
    for url in user_goproxy_urls(go_env, managed)
        .into_iter()
        .chain(configured)
    {
        let private = config
            .proxy
            .private
            .value
            .iter()
            .any(|p| same_proxy(&p.value, &url));
        if !private && !out.iter().any(|u| same_proxy(u, &url)) {
            out.push(url);
        }
    }
    out
}

/// What the health checks probe for a decision: the public candidates in rank order, then the
/// configured private proxies, and the private patterns no probe may carry. Private proxies
/// rank last: they are in the chain whatever their health, so a healthy one must not end the
/// probe round before a public candidate has answered.
pub fn candidates(go_env: &GoEnv, managed: &[String], config: &Config) -> Candidates {
    let private = config.proxy.private.value.iter().map(|p| p.value.clone());
    let patterns = union([
        go_env.get("GOPRIVATE"),
        go_env.get("GONOPROXY"),
        config_list(&config.modules.private).as_str(),
        config_list(&config.modules.no_proxy).as_str(),
    ]);
    Candidates {
        proxies: public_candidates(go_env, managed, config)
            .into_iter()
            .chain(private)
            .map(Candidate::new)
            .collect(),
        private_patterns: patterns,
    }
}

/// Where a go environment value came from, in words.
pub fn origin_text(origin: &GoOrigin) -> String {
    match origin {
        GoOrigin::Process => "your environment".into(),
        GoOrigin::EnvFile(p) => format!("{} (go env -w)", p.display()),
        GoOrigin::GoRootEnv(p) => p.display().to_string(),
        GoOrigin::Default => "go's built-in default".into(),
        GoOrigin::Derived => "derived by go from another variable".into(),
    }
}

/// Comma-separated patterns, split as go splits them, without empty elements.
fn split_patterns(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').filter(|p| !p.is_empty())
}

/// The union of pattern lists, in first-seen order, duplicates removed.
fn union<'a>(lists: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for list in lists {
        for p in split_patterns(list) {
            if seen.insert(p) {
                out.push(p);
            }
        }
    }
    out.join(",")
}

fn config_list(list: &crate::config::schema::SourcedList) -> String {
    list.value
        .iter()
        .map(|s| s.value.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The configured private proxies go may use: all but those the health checks saw fail. A
/// private proxy that hangs or refuses would stop every download behind its `,`; without it,
/// private modules are fetched directly (see [`decide_patterns`]), never through a public mirror.
fn usable_private_proxies(inp: &Inputs<'_>, d: &mut Decision) -> Vec<String> {
    let mut usable = Vec::new();
    for p in &inp.config.proxy.private.value {
        match verdict_of(inp.verdicts, &p.value) {
            Some(v) if v.status == Status::Unhealthy => {
                let line = format!(
                    "goshim: private proxy {} unreachable ({}); private modules are fetched directly",
                    host_of(&p.value),
                    v.reason
                );
                d.notify(line);
            }
            _ => usable.push(p.value.clone()),
        }
    }
    usable
}

/// Decides GOPRIVATE/GONOPROXY/GONOSUMDB; returns the GONOPROXY go will apply. `private` are the
/// usable private proxies.
fn decide_patterns(inp: &Inputs<'_>, private: &[String], d: &mut Decision) -> String {
    let env = inp.go_env;
    let modules = &inp.config.modules;
    let cfg_private = config_list(&modules.private);
    let cfg_noproxy = config_list(&modules.no_proxy);
    let cfg_nosumdb = config_list(&modules.no_sumdb);
    if cfg_private.is_empty() && cfg_noproxy.is_empty() && cfg_nosumdb.is_empty() {
        for name in ["GOPRIVATE", "GONOPROXY", "GONOSUMDB"] {
            d.keep(
                name,
                env.get(name),
                "no private modules are configured; go's own value is used".into(),
            );
        }
        return env.get("GONOPROXY").to_string();
    }
    let has_private_proxy = !private.is_empty();
    let user_private = env.get("GOPRIVATE");
    // A user's explicit GONOPROXY/GONOSUMDB (not derived from GOPRIVATE) is their base.
    let base = |name: &str| match env.value(name) {
        Some(v) if v.origin != GoOrigin::Derived => v.value.clone(),
        _ => user_private.to_string(),
    };
    let private = union([user_private, cfg_private.as_str()]);
    let noproxy_add = if !cfg_noproxy.is_empty() {
        cfg_noproxy.clone()
    } else if has_private_proxy {
        String::new()
    } else {
        cfg_private.clone()
    };
    let mut noproxy = union([base("GONOPROXY").as_str(), noproxy_add.as_str()]);
    if noproxy.is_empty() && !private.is_empty() {
        // Empty would mean "use GOPRIVATE"; a pattern that matches nothing says "none".
        noproxy = "none".into();
    }
    let nosumdb_add = if cfg_nosumdb.is_empty() {
        cfg_private.clone()
    } else {
        cfg_nosumdb.clone()
    };
    let nosumdb = union([base("GONOSUMDB").as_str(), nosumdb_add.as_str()]);

    let origin = |list: &crate::config::schema::SourcedList| {
        list.value
            .first()
            .map_or_else(|| list.origin.to_string(), |s| s.origin.to_string())
    };
    let write = |d: &mut Decision, name: &'static str, value: String, why: String| {
        if user_set(inp, name) {
            d.keep(
                name,
                env.get(name),
                format!("set in your environment; kept as is ({why} was not applied)"),
            );
        } else {
            d.set(
                name,
                value,
                vec![
                    why,
                    "goshim writes GOPRIVATE, GONOPROXY and GONOSUMDB together, because an empty GONOPROXY or GONOSUMDB means \"use GOPRIVATE\"".into(),
                ],
            );
        }
    };
    write(
        d,
        "GOPRIVATE",
        private,
        format!(
            "your patterns plus the configured private modules ({})",
            origin(&modules.private)
        ),
    );
    let noproxy_why = if !cfg_noproxy.is_empty() {
        format!(
            "narrowed by modules.no_proxy ({})",
            origin(&modules.no_proxy)
        )
    } else if has_private_proxy {
        "private modules are fetched through the configured private proxy, not directly".into()
    } else {
        "private modules are fetched directly from version control, never through a proxy".into()
    };
    write(d, "GONOPROXY", noproxy.clone(), noproxy_why);
    let nosumdb_why = if cfg_nosumdb.is_empty() {
        "private modules are never looked up in the public checksum database".into()
    } else {
        format!(
            "narrowed by modules.no_sumdb ({})",
            origin(&modules.no_sumdb)
        )
    };
    write(d, "GONOSUMDB", nosumdb.clone(), nosumdb_why);
    // What go will apply: the user's kept value where it wins.
    if user_set(inp, "GONOPROXY") {
        env.get("GONOPROXY").to_string()
    } else {
        noproxy
    }
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

fn verdict_of<'v>(verdicts: Option<&'v Verdicts>, url: &str) -> Option<&'v Verdict> {
    verdicts?
        .proxies
        .iter()
        .find(|(u, _)| u == url)
        .map(|(_, v)| v)
}

/// The GOPROXY go will use, for the checksum-database rule.
struct Chain {
    list: Option<ProxyList>,
    offline: bool,
}

fn decide_proxy(inp: &Inputs<'_>, private: &[String], d: &mut Decision) -> Option<Chain> {
    let env = inp.go_env;
    if user_set(inp, "GOPROXY") {
        d.keep(
            "GOPROXY",
            env.get("GOPROXY"),
            "set in your environment; explicit settings win (shim.respect_env)".into(),
        );
        return Some(Chain {
            list: parse_proxy_list(env.get("GOPROXY"), false).ok(),
            offline: false,
        });
    }
    let config = inp.config;
    let candidates = public_candidates(inp.go_env, inp.managed, config);
    let mut reasons = Vec::new();
    let mut healthy: Vec<(String, u64)> = Vec::new();
    let forced_offline = config.force_offline.value;
    if !forced_offline {
        for url in &candidates {
            match verdict_of(inp.verdicts, url) {
                Some(v) if v.status == Status::Healthy => {
                    healthy.push((url.clone(), v.latency_ms.unwrap_or(u64::MAX)));
                }
                Some(v) => {
                    reasons.push(format!("{url} left out: {} ({})", v.status, v.reason));
                    if v.status == Status::NeedsCredentials {
                        d.warnings.push(format!(
                            "{} answered {}; go cannot use it without credentials",
                            crate::http::redact(url),
                            v.reason
                        ));
                    }
                }
                None => reasons.push(format!("{url} left out: no health verdict")),
            }
        }
    }
    if config.proxy.order.value == Order::Latency {
        healthy.sort_by_key(|(_, ms)| *ms);
        if healthy.len() > 1 {
            reasons.push("healthy candidates ordered by measured latency".into());
        }
    }
    let mut chain = String::new();
    for p in private {
        chain.push_str(p);
        chain.push(',');
    }
    if !private.is_empty() {
        reasons.insert(
            0,
            "private proxies first, each followed by ',' so their errors never send a private path to a public mirror (go still moves on after a 404/410: a private proxy must serve every private module)".into(),
        );
    }
    let offline = healthy.is_empty();
    if !offline {
        let public: Vec<&str> = healthy.iter().map(|(u, _)| u.as_str()).collect();
        chain.push_str(&public.join("|"));
        reasons.push("healthy public proxies joined with '|': go fails over on any error".into());
        if config.proxy.direct.value {
            chain.push_str("|direct");
            reasons.push(format!(
                "direct last (proxy.direct, {})",
                config.proxy.direct.origin
            ));
        }
        let first_listed = candidates.first();
        if let Some(first) = first_listed
            && first != &healthy[0].0
            && let Some(v) = verdict_of(inp.verdicts, first)
            && v.status != Status::Healthy
        {
            d.notify(format!(
                "goshim: {} unreachable ({}); using {}",
                host_of(first),
                v.reason,
                crate::http::redact(&healthy[0].0)
            ));
        }
    } else {
        let route = if forced_offline {
            reasons.push("GOSHIM_OFFLINE=1: offline by request".into());
            Offline::Cache
        } else {
            reasons.push("no public proxy is healthy".into());
            d.warnings.push(
                "no public module proxy answers: go falls back to the module cache (proxy.offline); `goshim probe` shows why each one failed".into(),
            );
            config.proxy.offline.value
        };
        let tail = match route {
            Offline::Cache => {
                let end = if config.proxy.direct.value && !forced_offline {
                    "direct"
                } else {
                    "off"
                };
                match inp.download_dir {
                    Some(dir) => {
                        reasons.push(format!(
                            "offline route: the module cache as a file:// proxy (proxy.offline, {})",
                            config.proxy.offline.origin
                        ));
                        format!("file://{dir},{end}")
                    }
                    None => {
                        reasons.push("offline route: go has no module cache to serve from".into());
                        end.to_string()
                    }
                }
            }
            Offline::Off => "off".to_string(),
            Offline::Direct => "direct".to_string(),
        };
        chain.push_str(&tail);
        d.notify(if forced_offline {
            format!("goshim: offline mode; GOPROXY={tail}")
        } else {
            format!("goshim: no module proxy answers; using GOPROXY={tail}")
        });
    }
    let list = parse_proxy_list(&chain, false).ok();
    d.set("GOPROXY", chain, reasons);
    Some(Chain { list, offline })
}

fn sumdb_verdict<'v>(inp: &Inputs<'v>, name: &str) -> Option<&'v Verdict> {
    inp.verdicts?
        .sumdbs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

fn decide_sumdb(inp: &Inputs<'_>, chain: Option<&Chain>, d: &mut Decision) {
    let env = inp.go_env;
    let current = env.value("GOSUMDB");
    let current_value = env.get("GOSUMDB");
    if user_set(inp, "GOSUMDB") {
        d.keep(
            "GOSUMDB",
            current_value,
            "set in your environment; explicit settings win".into(),
        );
        return;
    }
    let configured = &inp.config.sumdb.name;
    if configured.origin != crate::config::Origin::Default && configured.value != current_value {
        d.set(
            "GOSUMDB",
            configured.value.clone(),
            vec![format!("sumdb.name ({})", configured.origin)],
        );
        return;
    }
    if let Some(v) = current
        && matches!(v.origin, GoOrigin::EnvFile(_))
    {
        d.keep(
            "GOSUMDB",
            current_value,
            format!("your choice in {}", origin_text(&v.origin)),
        );
        return;
    }
    if current_value != "sum.golang.org" {
        d.keep(
            "GOSUMDB",
            current_value,
            "not the default database; left as go resolves it".into(),
        );
        return;
    }
    let Some(chain) = chain else { return };
    if chain.offline {
        d.keep(
            "GOSUMDB",
            current_value,
            "offline: go only needs the database for modules missing from go.sum".into(),
        );
        return;
    }
    if inp.verdicts.is_none() {
        d.keep(
            "GOSUMDB",
            current_value,
            "nothing was probed; left as go resolves it".into(),
        );
        return;
    }
    // What each proxy answers for `supported`, from its health verdict.
    let answer = |url: &str| match verdict_of(inp.verdicts, url).map(|v| v.sumdb) {
        Some(SumdbSupport::Supported) => Supported::Serves,
        Some(SumdbSupport::NotSupported) => Supported::NotFound,
        Some(SumdbSupport::Failed) => Supported::Error,
        Some(SumdbSupport::Unknown) | None => Supported::Unknown,
    };
    let end = match (&chain.list, parse_gosumdb(current_value)) {
        (Some(list), Ok(SumDb::Db(spec))) => sumdb_walk(list, &spec, answer).end,
        _ => SumdbEnd::Direct,
    };
    let blocked = match end {
        SumdbEnd::Proxy(url) => {
            d.keep(
                "GOSUMDB",
                current_value,
                format!(
                    "{} serves /sumdb/sum.golang.org/supported: checksum lookups go through it",
                    crate::http::redact(&url)
                ),
            );
            return;
        }
        SumdbEnd::Fails(url) => Some(url),
        SumdbEnd::Direct => None,
    };
    let ok = |name| sumdb_verdict(inp, name).is_some_and(|v| v.status == Status::Healthy);
    if blocked.is_none() && ok("sum.golang.org") {
        d.keep(
            "GOSUMDB",
            current_value,
            "sum.golang.org answers directly".into(),
        );
    } else if ok("sum.golang.google.cn") {
        d.set(
            "GOSUMDB",
            "sum.golang.google.cn".into(),
            vec![match &blocked {
                Some(url) => format!(
                    "{} fails /sumdb/sum.golang.org/supported and is followed by ',', so lookups through the proxies fail; sum.golang.google.cn answers directly (same key, verified the same way)",
                    crate::http::redact(url)
                ),
                None => "no proxy serves sum.golang.org and it is unreachable directly; sum.golang.google.cn answers (same key, verified the same way)".into(),
            }],
        );
    } else {
        d.keep(
            "GOSUMDB",
            current_value,
            "no route to a checksum database answered; left as is (goshim never turns it off)"
                .into(),
        );
        d.warnings.push(
            "no checksum database is reachable: modules missing from go.sum will fail with \"verifying module\"; see README troubleshooting".into(),
        );
    }
}

/// What stops a toolchain switch the project asks for, under decision `d`.
fn check_toolchain(inp: &Inputs<'_>, noproxy: &str, d: &Decision) -> Vec<String> {
    let mut warnings = Vec::new();
    let Some(version) = &inp.project.toolchain_switch else {
        return warnings;
    };
    if match_prefix_patterns(noproxy, TOOLCHAIN_MODULE) {
        warnings.push(format!(
            "the project needs go {version}, but GONOPROXY ({}) matches {TOOLCHAIN_MODULE}: go will try to fetch the toolchain directly and fail; narrow the pattern",
            noproxy
        ));
    }
    let proxy = d
        .get("GOPROXY")
        .unwrap_or_else(|| inp.go_env.get("GOPROXY"));
    let usable = parse_proxy_list(proxy, false).is_ok_and(|l| {
        l.explicit()
            .any(|s| matches!(s.entry, ProxyEntry::Url { ref scheme, .. } if *scheme != ProxyScheme::File))
    });
    if !usable {
        warnings.push(format!(
            "the project needs go {version}, but no module proxy is usable (GOPROXY={proxy}); the toolchain download will fail unless go {version} is in the module cache"
        ));
    }
    let sumdb = d
        .get("GOSUMDB")
        .unwrap_or_else(|| inp.go_env.get("GOSUMDB"));
    if sumdb == "off" {
        warnings.push(format!(
            "the project needs go {version}: toolchain downloads require the checksum database, and GOSUMDB is off"
        ));
    }
    warnings
}

/// Hosts whose modules are public; a required module elsewhere may be private.
const PUBLIC_HOSTS: &[&str] = &[
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "golang.org",
    "google.golang.org",
    "gopkg.in",
    "go.uber.org",
    "k8s.io",
    "sigs.k8s.io",
    "go.opentelemetry.io",
    "cloud.google.com",
    "honnef.co",
    "go.etcd.io",
    "dario.cat",
    "filippo.io",
    "mvdan.cc",
    "rsc.io",
];

/// Top-level labels that only exist inside private networks.
const PRIVATE_TLDS: &[&str] = &[
    "corp", "internal", "local", "lan", "intranet", "private", "home",
];

fn warn_traps(inp: &Inputs<'_>, d: &mut Decision) {
    let env = inp.go_env;
    for name in ["GOPRIVATE", "GONOPROXY", "GONOSUMDB"] {
        let value = env.get(name);
        for p in split_patterns(value) {
            if p != p.trim() {
                d.warnings.push(format!(
                    "{name} pattern {p:?} has spaces: go splits on ',' only and does not trim, so it matches nothing; remove the spaces"
                ));
            }
            if let Some(parent) = p.strip_prefix("*.")
                && !split_patterns(value).any(|q| q == parent)
            {
                d.warnings.push(format!(
                    "{name} has {p} but not {parent}: '*.' needs a label, so {parent}/… itself is not covered; add {parent}"
                ));
            }
        }
    }
    if env.getenv("GONOSUMCHECK").origin == GoOrigin::Process {
        d.warnings.push(
            "GONOSUMCHECK is set, but go has no such variable; use GONOSUMDB (or GOPRIVATE) for per-module exceptions".into(),
        );
    }
    let noproxy = env.get("GONOPROXY");
    if match_prefix_patterns(noproxy, TOOLCHAIN_MODULE) && inp.project.toolchain_switch.is_none() {
        d.warnings.push(format!(
            "GONOPROXY ({noproxy}) matches {TOOLCHAIN_MODULE}: automatic toolchain downloads would go direct and fail"
        ));
    }
    if inp.project.workspace
        && env
            .get("GOFLAGS")
            .split_whitespace()
            .any(|f| f == "-mod=mod")
    {
        d.warnings.push(
            "GOFLAGS has -mod=mod, which go rejects in workspace mode (go.work); remove it or set GOWORK=off".into(),
        );
    }
    let covered = |path: &str| {
        match_prefix_patterns(env.get("GOPRIVATE"), path)
            || match_prefix_patterns(env.get("GONOPROXY"), path)
            || match_prefix_patterns(&config_list(&inp.config.modules.private), path)
    };
    let private_domains: Vec<String> = split_patterns(&config_list(&inp.config.modules.private))
        .chain(split_patterns(env.get("GOPRIVATE")))
        .map(|p| registrable_domain(p.trim_start_matches("*.").split('/').next().unwrap_or("")))
        .filter(|s| !s.is_empty())
        .collect();
    for req in &inp.project.requires {
        let host = req.split('/').next().unwrap_or("");
        if PUBLIC_HOSTS.contains(&host) || covered(req) {
            continue;
        }
        let tld = host.rsplit('.').next().unwrap_or("");
        if PRIVATE_TLDS.contains(&tld) || private_domains.contains(&registrable_domain(host)) {
            d.warnings.push(format!(
                "{req} looks private (host {host}) but no GOPRIVATE/GONOPROXY pattern or modules.private entry covers it: its path would be sent to public proxies; add {host} to modules.private"
            ));
        }
    }
}

/// The last two labels of a host: `git.corp.example` → `corp.example`.
fn registrable_domain(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    labels[labels.len().saturating_sub(2)..].join(".")
}

#[cfg(test)]
mod testcase;

#[cfg(test)]
mod tests {
    use super::testcase::*;
    use crate::config::schema::{Offline, Order};
    use crate::health::{SumdbSupport, Verdict};

    #[rustfmt::skip]
    #[test]
    fn goproxy_table() {
        let cache_direct = "goshim: no module proxy answers; using GOPROXY=file:///home/u/go/pkg/mod/cache/download,direct";
        Case::new("all healthy, listed order").sets("GOPROXY", LISTED).quiet().check();
        Case::new("all healthy, latency order").order(Order::Latency).sets("GOPROXY", "https://goproxy.io|https://goproxy.cn|https://proxy.golang.org|direct").quiet().check();
        Case::new("first down: left out, notice").verdicts(&[(PG, down()), (CN, healthy(20)), (IO, healthy(10))]).sets("GOPROXY", "https://goproxy.cn|https://goproxy.io|direct").notice("goshim: proxy.golang.org unreachable (timed out (response) after 1500 ms); using https://goproxy.cn").check();
        Case::new("direct not allowed").direct(false).sets("GOPROXY", "https://proxy.golang.org|https://goproxy.cn|https://goproxy.io").quiet().check();
        Case::new("nothing healthy: module cache, then direct").verdicts(&[(PG, down()), (CN, down()), (IO, down())]).sets("GOPROXY", "file:///home/u/go/pkg/mod/cache/download,direct").notice(cache_direct).check();
        Case::new("nothing healthy, offline = off").verdicts(&[(PG, down())]).offline(Offline::Off).sets("GOPROXY", "off").notice("goshim: no module proxy answers; using GOPROXY=off").check();
        Case::new("nothing healthy, offline = direct").verdicts(&[(PG, down())]).offline(Offline::Direct).sets("GOPROXY", "direct").notice("goshim: no module proxy answers; using GOPROXY=direct").check();
        Case::new("GOSHIM_OFFLINE: cache then off, nothing probed").force_offline().sets("GOPROXY", "file:///home/u/go/pkg/mod/cache/download,off").notice("goshim: offline mode; GOPROXY=file:///home/u/go/pkg/mod/cache/download,off").check();
        Case::new("user exported GOPROXY wins").user_env("GOPROXY", "https://mine.example").keeps("GOPROXY").quiet().check();
        Case::new("respect_env = false overrides an exported GOPROXY").user_env("GOPROXY", "https://mine.example").respect_env(false).sets("GOPROXY", LISTED).quiet().check();
        Case::new("a GOPROXY a previous goshim exported is recomputed").user_env("GOPROXY", "https://goproxy.io|direct").managed("GOPROXY").sets("GOPROXY", LISTED).quiet().check();
        Case::new("go env -w GOPROXY counts as the preferred candidate").env_file("GOPROXY", "https://corp.example/go,direct").verdicts(&[("https://corp.example/go", healthy(50)), (PG, healthy(30))]).sets("GOPROXY", "https://corp.example/go|https://proxy.golang.org|direct").quiet().check();
        Case::new("private proxies first with ','").private_proxy(ATHENS).sets("GOPROXY", "https://athens.corp.example,https://proxy.golang.org|https://goproxy.cn|https://goproxy.io|direct").quiet().check();
        Case::new("private proxy, no public one healthy").private_proxy(ATHENS).verdicts(&[(PG, down())]).sets("GOPROXY", "https://athens.corp.example,file:///home/u/go/pkg/mod/cache/download,direct").notice(cache_direct).check();
    }

    #[test]
    fn network_free_commands_and_goproxy_off_change_nothing() {
        let d = Case::new("no network")
            .no_network()
            .private(&["git.corp.example"])
            .check();
        assert!(d.set.is_empty(), "{:?}", d.set);
        assert!(
            d.kept
                .iter()
                .all(|k| k.reasons[0].contains("does not reach the network"))
        );

        let d = Case::new("GOPROXY=off")
            .user_env("GOPROXY", "off")
            .private(&["git.corp.example"])
            .check();
        assert!(d.set.is_empty(), "{:?}", d.set);
        assert_eq!(d.managed(), "");
    }

    #[rustfmt::skip]
    #[test]
    fn private_patterns_table() {
        const CORP: &str = "git.corp.example";
        Case::new("nothing configured: nothing written").user_env("GOPRIVATE", "a.example").patterns([None, None, None]).check();
        Case::new("configured private: all three written").private(&[CORP, "*.git.corp.example"]).patterns([Some("git.corp.example,*.git.corp.example"); 3]).check();
        Case::new("union with the user's go env -w GOPRIVATE, duplicates removed").env_file("GOPRIVATE", "b.example,git.corp.example").private(&[CORP]).patterns([Some("b.example,git.corp.example"); 3]).check();
        Case::new("user's explicit GONOPROXY is the base, not GOPRIVATE").env_file("GOPRIVATE", "b.example").env_file("GONOPROXY", "c.example").private(&[CORP]).patterns([Some("b.example,git.corp.example"), Some("c.example,git.corp.example"), Some("b.example,git.corp.example")]).check();
        Case::new("a private proxy serves private modules: GONOPROXY says none").private(&[CORP]).private_proxy(ATHENS).patterns([Some(CORP), Some("none"), Some(CORP)]).check();
        Case::new("narrowing lists").private(&[CORP, "other.corp.example"]).no_proxy(&["other.corp.example"]).no_sumdb(&[CORP]).patterns([Some("git.corp.example,other.corp.example"), Some("other.corp.example"), Some(CORP)]).check();
        Case::new("an exported GOPRIVATE is kept; the other two still written").user_env("GOPRIVATE", "mine.example").private(&[CORP]).patterns([None, Some("mine.example,git.corp.example"), Some("mine.example,git.corp.example")]).check();
    }

    #[rustfmt::skip]
    #[test]
    fn sumdb_table() {
        use SumdbSupport::{NotSupported, Supported};
        const DB: &str = "checksum database";
        let (org, cn) = ("sum.golang.org", "sum.golang.google.cn");
        Case::new("first proxy serves the database").proxies(&[(PG, serves(Supported))]).sumdbs(&[(org, down()), (cn, down())]).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("sum.golang.org answers directly").proxies(&[(PG, serves(NotSupported))]).sumdbs(&[(org, healthy(10))]).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("only the China mirror answers").proxies(&[(CN, serves(NotSupported))]).sumdbs(&[(org, down()), (cn, healthy(10))]).sets("GOSUMDB", cn).no_warning(DB).check();
        Case::new("nothing answers: kept, never off, warned").proxies(&[(CN, serves(NotSupported))]).sumdbs(&[(org, down()), (cn, down())]).keeps("GOSUMDB").warns(DB).check();
        Case::new("user's GOSUMDB wins").proxies(&[(CN, serves(NotSupported))]).sumdbs(&[(cn, healthy(10))]).user_env("GOSUMDB", org).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("trusted config names a database").proxies(&[(PG, serves(Supported))]).sumdb_name(cn).sets("GOSUMDB", cn).no_warning(DB).check();
    }

    #[rustfmt::skip]
    #[test]
    fn sumdb_follows_the_chain_as_go_does() {
        use SumdbSupport::{Failed, NotSupported, Supported};
        const DB: &str = "checksum database";
        let sumdbs = |cn: Verdict| [("sum.golang.org", down()), ("sum.golang.google.cn", cn)];
        let unprobed = Verdict::unknown("example.com/probe@v1.0.0");
        Case::new("the second proxy serves it after the first's 404").proxies(&[(PG, serves(NotSupported)), (CN, serves(Supported))]).sumdbs(&sumdbs(down())).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("an error from a proxy followed by '|' moves on").proxies(&[(PG, serves(Failed)), (CN, serves(Supported))]).sumdbs(&sumdbs(down())).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("an unprobed private proxy first, then a public one that serves it").proxies(&[(PG, serves(Supported))]).private_proxy(ATHENS).verdict(ATHENS, unprobed).sumdbs(&sumdbs(down())).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("a private proxy failing 'supported' before ',': go would fail; the China mirror bypasses the proxies").proxies(&[(PG, serves(Supported))]).private_proxy(ATHENS).verdict(ATHENS, serves(Failed)).sumdbs(&sumdbs(healthy(5))).sets("GOSUMDB", "sum.golang.google.cn").no_warning(DB).check();
        Case::new("a private proxy failing 'supported' and nothing else answers").proxies(&[(PG, serves(Supported))]).private_proxy(ATHENS).verdict(ATHENS, serves(Failed)).sumdbs(&sumdbs(down())).keeps("GOSUMDB").warns(DB).check();
    }

    #[test]
    fn an_unreachable_private_proxy_is_left_out_and_private_modules_go_direct() {
        Case::new("unreachable private proxy: private modules go direct, never public")
            .private_proxy(ATHENS)
            .private(&["git.corp.example"])
            .verdicts(&[(PG, healthy(30)), (CN, down()), (ATHENS, refused())])
            .sets("GOPROXY", "https://proxy.golang.org|direct")
            .sets("GONOPROXY", "git.corp.example")
            .sets("GONOSUMDB", "git.corp.example")
            .notice("goshim: private proxy athens.corp.example unreachable (connection refused); private modules are fetched directly")
            .check();
        Case::new("not probed yet (a cold round that ended early): kept, ahead of the public ones")
            .private_proxy(ATHENS)
            .private(&["git.corp.example"])
            .verdicts(&[(PG, healthy(30))])
            .sets(
                "GOPROXY",
                "https://athens.corp.example,https://proxy.golang.org|direct",
            )
            .sets("GONOPROXY", "none")
            .quiet()
            .check();
    }

    #[test]
    fn two_notable_events_share_the_one_notice_line() {
        Case::new("private proxy refused, first public one down")
            .private_proxy(ATHENS)
            .verdicts(&[(PG, down()), (CN, healthy(20)), (ATHENS, refused())])
            .notice("goshim: private proxy athens.corp.example unreachable (connection refused); private modules are fetched directly; proxy.golang.org unreachable (timed out (response) after 1500 ms); using https://goproxy.cn")
            .check();
    }

    #[test]
    fn falling_back_offline_is_a_problem_but_asking_for_it_is_not() {
        Case::new("nothing healthy")
            .verdicts(&[(PG, down()), (CN, down()), (IO, down())])
            .warns_first("no public module proxy answers")
            .check();
        Case::new("GOSHIM_OFFLINE")
            .force_offline()
            .no_warnings()
            .check();
    }

    #[rustfmt::skip]
    #[test]
    fn traps_are_warned_about() {
        Case::new("*. without the parent").user_env("GOPRIVATE", "*.corp.example").warns("has *.corp.example but not corp.example").check();
        Case::new("spaces in a pattern").user_env("GOPRIVATE", "a.example, b.example").warns("\" b.example\" has spaces").check();
        Case::new("a variable go does not have").user_env("GONOSUMCHECK", "1").warns("GONOSUMCHECK").check();
        Case::new("GOPRIVATE=* covers the toolchain").user_env("GOPRIVATE", "*").warns("matches golang.org/toolchain").check();
        Case::new("-mod=mod in a workspace").user_env("GOFLAGS", "-mod=mod").workspace().warns("-mod=mod").check();
        Case::new("requirements that look private").user_env("GOPRIVATE", "git.corp.example").requires(&["github.com/pkg/errors", "git.corp/team/lib", "tools.corp.example/x"]).warns_first("git.corp/team/lib looks private").warns_first("tools.corp.example/x looks private").no_warning("github.com").check();
        Case::new("nothing to warn about").no_warnings().check();
    }

    #[rustfmt::skip]
    #[test]
    fn toolchain_switch_needs_a_proxy_and_no_direct_route() {
        Case::new("GONOPROXY covers the toolchain").toolchain_switch("1.99.0").user_env("GOPRIVATE", "*").warns("needs go 1.99.0, but GONOPROXY (*) matches golang.org/toolchain").check();
        Case::new("no usable proxy").toolchain_switch("1.99.0").verdicts(&[(PG, down())]).warns("no module proxy is usable").check();
        Case::new("nothing stops the switch").toolchain_switch("1.99.0").no_warnings().check();
    }

    #[test]
    fn managed_lists_what_is_set() {
        let d = Case::new("private modules")
            .private(&["git.corp.example"])
            .check();
        assert_eq!(d.managed(), "GOPRIVATE,GONOPROXY,GONOSUMDB,GOPROXY");
        assert!(d.set.iter().all(|s| !s.reasons.is_empty()));
    }

    #[test]
    fn private_proxies_are_probed_after_the_public_candidates() {
        let probed = Case::new("private proxy")
            .private_proxy(ATHENS)
            .private(&["git.corp.example"])
            .probed();
        let urls: Vec<&str> = probed.proxies.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(urls, [PG, CN, IO, ATHENS]);
        assert_eq!(probed.private_patterns, "git.corp.example");
    }
}
