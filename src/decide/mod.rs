//! The policy: from the project, the merged configuration, what go would use on its own and the
//! health verdicts, the variables goshim sets for one go command, each with its reasons.
//!
//! Pure: no I/O, no clock, no environment. The shim gathers the inputs and applies the result;
//! `explain`, `env` and `doctor` show the same [`Decision`]. One part per thing decided, each
//! following go's rules in [`crate::goenv`]:
//!
//! - `proxy.rs`: GOPROXY, from the candidates' health (and which private proxies are usable);
//! - `patterns.rs`: GOPRIVATE, GONOPROXY and GONOSUMDB, from the configured private modules;
//! - `sumdb.rs`: GOSUMDB, along go's walk for the checksum database through that GOPROXY;
//! - `warnings.rs`: the traps in the user's settings, and what stops a toolchain switch.

use crate::config::Config;
use crate::goenv::env::{GoEnv, GoOrigin};
use crate::health::{Candidate, Candidates, Verdict, Verdicts};
use proxy::public_candidates;

mod patterns;
mod proxy;
mod router;
mod sumdb;
mod warnings;

pub use router::{ROUTER_URL, RankedUpstream, Routing};

#[cfg(test)]
mod testcase;

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
    /// The caller can run the module router for this command (the shim, and the commands that
    /// describe what it does); `goshim env` and `GOSHIM_ROUTER=0` decide variables only.
    pub router: bool,
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
    /// Router mode: where the router sends what. GOPROXY then names [`ROUTER_URL`], which the
    /// shim replaces with the running router's URL.
    pub routing: Option<Routing>,
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
    warnings::warn_traps(inp, &mut d);
    if inp.network {
        d.warnings.extend(probe_warning(inp));
    }
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
    if router::applies(inp) {
        let private: Vec<String> = inp
            .config
            .proxy
            .private
            .value
            .iter()
            .map(|p| p.value.clone())
            .collect();
        let noproxy = patterns::decide_patterns(inp, &private, &mut d);
        d.routing = Some(router::decide_routed(inp, &private, &mut d));
        d.warnings
            .extend(warnings::check_toolchain(inp, &noproxy, &d));
        keep_goflags(inp, &mut d);
        return d;
    }
    let private = proxy::usable_private_proxies(inp, &mut d);
    let noproxy = patterns::decide_patterns(inp, &private, &mut d);
    let chain = proxy::decide_proxy(inp, &private, &mut d);
    sumdb::decide_sumdb(inp, &chain, &mut d);
    d.warnings
        .extend(warnings::check_toolchain(inp, &noproxy, &d));
    keep_goflags(inp, &mut d);
    d
}

fn keep_goflags(inp: &Inputs<'_>, d: &mut Decision) {
    d.keep(
        "GOFLAGS",
        inp.go_env.get("GOFLAGS"),
        "goshim adds no flags: go uses your GOFLAGS as they are (and never gets -mod=mod from goshim, which go rejects in workspace mode)".into(),
    );
}

/// Whether the decision needs health verdicts: only for a command that may reach the network,
/// when goshim chooses GOPROXY (a GOPROXY the user exported is used exactly as it is) and is
/// not offline by request.
pub fn needs_verdicts(network: bool, go_env: &GoEnv, managed: &[String], config: &Config) -> bool {
    network && !user_owns(go_env, managed, config, "GOPROXY") && !config.force_offline.value
}

/// Whether a command goes through the module router: the caller can run one (`router`: the shim
/// and the commands describing it, not `goshim env`), `[router] enabled` (`GOSHIM_ROUTER=0`
/// turns it off), the command reaches the network, and goshim chooses GOPROXY (not the user's
/// own). Then nothing is probed before go starts. Offline (`GOSHIM_OFFLINE`), the router's only
/// upstream is the module cache.
pub fn routed(
    router: bool,
    network: bool,
    go_env: &GoEnv,
    managed: &[String],
    config: &Config,
) -> bool {
    router
        && config.router.enabled.value
        && network
        && !user_owns(go_env, managed, config, "GOPROXY")
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

/// What the health checks probe for a decision: the public candidates in rank order, then the
/// configured private proxies, and the private patterns no probe may carry. Private proxies
/// rank last: a healthy one must not end the probe round before a public candidate has
/// answered; the round still waits for them (go is only pointed at one that answered).
pub fn candidates(go_env: &GoEnv, managed: &[String], config: &Config) -> Candidates {
    let private = config
        .proxy
        .private
        .value
        .iter()
        .map(|p| Candidate::private(&p.value));
    let patterns = patterns::private_patterns(go_env, config);
    Candidates {
        proxies: public_candidates(go_env, managed, config)
            .into_iter()
            .map(Candidate::new)
            .chain(private)
            .collect(),
        private_patterns: patterns,
    }
}

/// The module@version the candidates are probed with: `[health] probe`, unless that module is
/// private. A probe never carries a private path, so it would only check reachability, and a
/// proxy that is merely reachable is never healthy: every public candidate would be left out.
/// Then the built-in default probe module is used, unless it is private too (everything is,
/// e.g. `GOPRIVATE=*`). The decision warns about it (`probe_warning`).
pub fn probe_module(config: &Config, private_patterns: &str) -> String {
    let configured = &config.health.probe.value;
    let default = Config::default().health.probe.value;
    let private = |probe: &str| {
        let module = probe.rsplit_once('@').map_or(probe, |(m, _)| m);
        crate::goenv::pattern::match_prefix_patterns(private_patterns, module)
    };
    if private(configured) && !private(&default) {
        default
    } else {
        configured.clone()
    }
}

/// The warning for a private `[health] probe`: what is probed instead, and what to change.
fn probe_warning(inp: &Inputs<'_>) -> Option<String> {
    let probe = &inp.config.health.probe;
    let patterns = patterns::private_patterns(inp.go_env, inp.config);
    let module = probe
        .value
        .rsplit_once('@')
        .map_or(probe.value.as_str(), |(m, _)| m);
    if !crate::goenv::pattern::match_prefix_patterns(&patterns, module) {
        return None;
    }
    let used = probe_module(inp.config, &patterns);
    let instead = if used == probe.value {
        "every module is private here, so proxies are only checked for reachability".to_string()
    } else {
        format!("the candidates are probed with {used} instead")
    };
    Some(format!(
        "health.probe = {} ({}) is a private module, which no probe may ask for: {instead}; set [health] probe to a module@version every public proxy serves",
        probe.value, probe.origin
    ))
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

/// The health verdict for the proxy at `url`, if it was probed.
/// Verdicts are labelled with redacted URLs and kept per URL without userinfo, so a proxy with
/// credentials meets its verdict; its own label first, when two candidates differ only in
/// their credentials.
fn verdict_of<'v>(verdicts: Option<&'v Verdicts>, url: &str) -> Option<&'v Verdict> {
    let proxies = &verdicts?.proxies;
    let label = crate::http::redact(url);
    let key = crate::http::without_userinfo(url);
    proxies
        .iter()
        .find(|(u, _)| *u == label)
        .or_else(|| {
            proxies
                .iter()
                .find(|(u, _)| crate::http::without_userinfo(u) == key)
        })
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::testcase::*;

    #[test]
    fn two_notable_events_share_the_one_notice_line() {
        Case::new("private proxy refused, first public one down")
            .private_proxy(ATHENS)
            .verdicts(&[(PG, down()), (CN, healthy(20)), (ATHENS, refused())])
            .notice("goshim: private proxy athens.corp.example unreachable (connection refused); private modules are fetched directly; proxy.golang.org unreachable (timed out (response) after 1500 ms); using https://goproxy.cn")
            .check();
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

    #[test]
    fn managed_lists_what_is_set() {
        let d = Case::new("private modules")
            .private(&["git.corp.example"])
            .check();
        assert_eq!(d.managed(), "GOPRIVATE,GONOPROXY,GONOSUMDB,GOPROXY");
        assert!(d.set.iter().all(|s| !s.reasons.is_empty()));
    }

    #[test]
    fn a_private_probe_module_is_replaced_by_the_default_and_said_so() {
        use super::probe_module;
        let mut c = crate::config::Config::default();
        c.health.probe.value = "git.corp.example/probe@v1.0.0".into();
        assert_eq!(
            probe_module(&c, "git.corp.example"),
            "golang.org/x/text@v0.3.0"
        );
        assert_eq!(
            probe_module(&c, "other.example"),
            "git.corp.example/probe@v1.0.0"
        );
        assert_eq!(
            probe_module(&c, "*"),
            "git.corp.example/probe@v1.0.0",
            "everything private: reachability only"
        );
        Case::new("private probe module")
            .private(&["git.corp.example"])
            .probe("git.corp.example/probe@v1.0.0")
            .sets("GOPROXY", LISTED)
            .warns("health.probe = git.corp.example/probe@v1.0.0 (/etc/goshim/config.toml:3) is a private module, which no probe may ask for: the candidates are probed with golang.org/x/text@v0.3.0 instead; set [health] probe to a module@version every public proxy serves")
            .check();
        Case::new("everything private")
            .user_env("GOPRIVATE", "*")
            .probe("git.corp.example/probe@v1.0.0")
            .warns("every module is private here, so proxies are only checked for reachability")
            .check();
        Case::new("a public probe module")
            .probe("example.com/m@v1.0.0")
            .no_warnings()
            .check();
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
