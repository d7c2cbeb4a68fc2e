//! GOPROXY: the chain go walks for module downloads. Private proxies first, each followed by
//! `,` (their errors must never send a private path on to a public mirror), then the healthy
//! public candidates joined with `|` (go fails over on any error), then `direct`; with no
//! healthy public proxy, the offline route. Follows go's GOPROXY list rules
//! (`goenv::proxy`, `modfetch/proxy.go`) and the health verdicts.

use super::{Decision, Inputs, exported_by_user, user_set, verdict_of};
use crate::config::Config;
use crate::config::schema::{Offline, Order};
use crate::goenv::env::{GoEnv, GoOrigin};
use crate::goenv::proxy::{ProxyEntry, ProxyList, parse_proxy_list, same_proxy};
use crate::health::Status;

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
pub(super) fn public_candidates(
    go_env: &GoEnv,
    managed: &[String],
    config: &Config,
) -> Vec<String> {
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

/// The configured private proxies go may use: those the health checks saw answer. A private
/// proxy that hangs or refuses would stop every download behind its `,` (go has no timeout),
/// and one without a verdict may be just that, so both are left out; private modules are then
/// fetched directly (see [`decide_patterns`](super::patterns::decide_patterns)), never through
/// a public mirror. (The probe round waits for the private proxies, so a missing verdict means
/// it was not probed at all: offline mode, or a round cut short.)
pub(super) fn usable_private_proxies(inp: &Inputs<'_>, d: &mut Decision) -> Vec<String> {
    let mut usable = Vec::new();
    for p in &inp.config.proxy.private.value {
        let why = match verdict_of(inp.verdicts, &p.value) {
            Some(v) if v.status == Status::Unhealthy => format!("unreachable ({})", v.reason),
            Some(v) if v.status == Status::Unknown => format!("not checked ({})", v.reason),
            None if inp.config.force_offline.value => "not checked (offline mode)".to_string(),
            None => "not checked (no health verdict)".to_string(),
            Some(_) => {
                usable.push(p.value.clone());
                continue;
            }
        };
        d.notify(format!(
            "goshim: private proxy {} {why}; private modules are fetched directly",
            host_of(&p.value)
        ));
    }
    usable
}

/// The host of a proxy URL, without userinfo, for notices.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// The GOPROXY go will use, for the checksum-database rule.
pub(super) struct Chain {
    /// The parsed GOPROXY; `None` when go rejects it.
    pub list: Option<ProxyList>,
    /// No public proxy is healthy: the offline route.
    pub offline: bool,
}

/// Decides GOPROXY; `private` are the usable private proxies. Returns the GOPROXY go will use.
pub(super) fn decide_proxy(inp: &Inputs<'_>, private: &[String], d: &mut Decision) -> Chain {
    let env = inp.go_env;
    if user_set(inp, "GOPROXY") {
        d.keep(
            "GOPROXY",
            env.get("GOPROXY"),
            "set in your environment; explicit settings win (shim.respect_env)".into(),
        );
        return Chain {
            list: parse_proxy_list(env.get("GOPROXY"), false).ok(),
            offline: false,
        };
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
                    reasons.push(format!(
                        "{} left out: {} ({})",
                        crate::http::redact(url),
                        v.status,
                        v.reason
                    ));
                    if v.status == Status::NeedsCredentials {
                        d.warnings.push(format!(
                            "{} answered {}; go cannot use it without credentials",
                            crate::http::redact(url),
                            v.reason
                        ));
                    }
                }
                None => reasons.push(format!(
                    "{} left out: no health verdict",
                    crate::http::redact(url)
                )),
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
    if offline {
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
                if let Some(dir) = inp.download_dir {
                    reasons.push(format!(
                        "offline route: the module cache as a file:// proxy (proxy.offline, {})",
                        config.proxy.offline.origin
                    ));
                    format!("file://{dir},{end}")
                } else {
                    reasons.push("offline route: go has no module cache to serve from".into());
                    end.to_string()
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
    } else {
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
    }
    let list = parse_proxy_list(&chain, false).ok();
    d.set("GOPROXY", chain, reasons);
    Chain { list, offline }
}

#[cfg(test)]
mod tests {
    use super::super::testcase::*;
    use crate::config::schema::{Offline, Order};

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
        Case::new("private proxies first with ','").private_proxy(ATHENS).verdict(ATHENS, reachable()).sets("GOPROXY", "https://athens.corp.example,https://proxy.golang.org|https://goproxy.cn|https://goproxy.io|direct").quiet().check();
        Case::new("private proxy, no public one healthy").private_proxy(ATHENS).verdicts(&[(PG, down()), (ATHENS, reachable())]).sets("GOPROXY", "https://athens.corp.example,file:///home/u/go/pkg/mod/cache/download,direct").notice(cache_direct).check();
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
        Case::new("not probed (a round cut short): left out too, go could hang on it")
            .private_proxy(ATHENS)
            .private(&["git.corp.example"])
            .verdicts(&[(PG, healthy(30))])
            .sets("GOPROXY", "https://proxy.golang.org|direct")
            .sets("GONOPROXY", "git.corp.example")
            .notice("goshim: private proxy athens.corp.example not checked (no health verdict); private modules are fetched directly")
            .check();
        Case::new("probe round ended before it answered: left out")
            .private_proxy(ATHENS)
            .private(&["git.corp.example"])
            .verdicts(&[(PG, healthy(30)), (ATHENS, crate::health::Verdict::unknown("x"))])
            .sets("GOPROXY", "https://proxy.golang.org|direct")
            .notice("goshim: private proxy athens.corp.example not checked (not probed: a better candidate answered first); private modules are fetched directly")
            .check();
        Case::new("it answered: first, behind ','")
            .private_proxy(ATHENS)
            .private(&["git.corp.example"])
            .verdicts(&[(PG, healthy(30)), (ATHENS, reachable())])
            .sets(
                "GOPROXY",
                "https://athens.corp.example,https://proxy.golang.org|direct",
            )
            .sets("GONOPROXY", "none")
            .quiet()
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
}
