//! Router mode: go gets one GOPROXY entry — goshim's module router on loopback — and the router
//! gets every upstream, ranked, and routes each request itself (deadlines, hedging, retries,
//! failover, private paths only to private upstreams). Nothing is left out of the chain for a
//! bad verdict: the router ranks a proxy seen failing last and ejects it while it keeps failing,
//! so a proxy that was merely slow when probed still serves.
//!
//! go's side of it (router-facts.md §10, §11): one `http://` entry (`,direct` after it only where
//! direct is allowed), `GONOPROXY=none` when there are private upstreams (an empty GONOPROXY
//! means "use GOPRIVATE", which would send private modules around the router), GONOSUMDB the
//! private patterns (patterns.rs decides both), GOSUMDB as the user has it: the router answers
//! `/sumdb/<name>/supported` itself and reaches the database through any working route.

use super::patterns::private_patterns;
use super::proxy::public_candidates;
use super::{Decision, Inputs, user_set, verdict_of};
use crate::goenv::sumdb::{SUM_GOLANG_GOOGLE_CN, SumDb, parse_gosumdb};
use crate::health::{Status, Verdict};
use crate::router::table::SumdbRoutes;

/// What goshim shows for the router's URL until it runs (the port and token are new each run).
pub const ROUTER_URL: &str = "http://127.0.0.1:<port>/<token>";

/// One upstream the router may use, with what the cache knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedUpstream {
    /// As configured; may carry userinfo (the router attaches it, go never sees it).
    pub url: String,
    /// The cached health verdict, if any.
    pub verdict: Option<Verdict>,
}

/// Where the router may send what, for one go command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routing {
    /// Public upstreams in rank order: healthy (fastest first, or as listed), not yet seen, then
    /// the ones seen failing.
    pub public: Vec<RankedUpstream>,
    /// The private proxies, as listed: the only upstreams that ever see a private path.
    pub private: Vec<RankedUpstream>,
    /// Paths (and their proper prefixes) that are private: GOPRIVATE, GONOPROXY and the
    /// configured private modules, in Go pattern syntax.
    pub private_patterns: String,
    /// Paths whose checksum lookups the router answers locally with 404 (GONOSUMDB as go
    /// applies it).
    pub nosumdb_patterns: String,
    /// The checksum database go verifies with through the router, and its direct URLs;
    /// `None` when go never asks the router (GOSUMDB off, or with its own URL).
    pub sumdb: Option<SumdbRoutes>,
    /// A GOSUMDB that names its own URL: go reaches the database itself; the router asks that
    /// URL only to check downloads before serving them.
    pub own_url_sumdb: Option<SumdbRoutes>,
    /// go falls back to version control after the router's 404 (`,direct`).
    pub direct: bool,
    /// Offline by request (`GOSHIM_OFFLINE=1`): no upstream at all, the router serves what the
    /// module cache holds.
    pub offline: bool,
}

/// Whether this command is routed: see [`super::routed`].
pub(super) fn applies(inp: &Inputs<'_>) -> bool {
    super::routed(inp.router, inp.network, inp.go_env, inp.managed, inp.config)
}

/// The public candidates ranked by their cached verdicts. Without verdicts, the configured
/// order.
fn rank(inp: &Inputs<'_>, urls: Vec<String>) -> Vec<RankedUpstream> {
    let mut ranked: Vec<(u8, u64, usize, RankedUpstream)> = urls
        .into_iter()
        .enumerate()
        .map(|(i, url)| {
            let verdict = verdict_of(inp.verdicts, &url).cloned();
            let (class, latency) = match &verdict {
                Some(v) if v.status == Status::Healthy => (0, v.latency_ms.unwrap_or(u64::MAX)),
                None => (1, u64::MAX),
                Some(v) if v.status == Status::Unknown => (1, u64::MAX),
                Some(_) => (2, u64::MAX),
            };
            (class, latency, i, RankedUpstream { url, verdict })
        })
        .collect();
    let by_latency = inp.config.proxy.order.value == crate::config::schema::Order::Latency;
    ranked
        .sort_by_key(|(class, latency, i, _)| (*class, if by_latency { *latency } else { 0 }, *i));
    ranked.into_iter().map(|(.., u)| u).collect()
}

/// One line per upstream for the reasons: its place and what the cache says of it.
fn describe(u: &RankedUpstream) -> String {
    let url = crate::http::redact(&u.url);
    match &u.verdict {
        Some(v) if v.status == Status::Healthy => match v.latency_ms {
            Some(ms) => format!("{url} (healthy, {ms} ms)"),
            None => format!("{url} (healthy)"),
        },
        Some(v) if v.status != Status::Unknown => {
            format!("{url} (seen {}: {}; tried last)", v.status, v.reason)
        }
        _ => format!("{url} (no verdict yet; the router learns as it serves)"),
    }
}

/// The checksum database of GOSUMDB as go will resolve it, with its verifier key (go's
/// built-in one for `sum.golang.org`); `via_router` false when GOSUMDB names its own URL (go
/// then never asks the router). `None` for `off` (or a GOSUMDB go rejects).
fn sumdb_routes(gosumdb: &str) -> Option<SumdbRoutes> {
    match parse_gosumdb(gosumdb).ok()? {
        SumDb::Off => None,
        SumDb::Db(spec) => {
            let direct = match &spec.url {
                Some(url) => vec![url.clone()],
                None if spec.name == "sum.golang.org" => {
                    vec![spec.direct_url(), format!("https://{SUM_GOLANG_GOOGLE_CN}")]
                }
                None => vec![spec.direct_url()],
            };
            Some(SumdbRoutes {
                via_router: spec.url.is_none(),
                name: spec.name,
                direct,
                key: spec.key,
            })
        }
    }
}

/// Decides GOPROXY (the router) and GOSUMDB for a routed command, after patterns.rs decided
/// the private patterns, and returns the routing. `private` are the configured private
/// proxies. Offline by request, the router has no upstream but the module cache.
pub(super) fn decide_routed(inp: &Inputs<'_>, private: &[String], d: &mut Decision) -> Routing {
    let config = inp.config;
    let offline = config.force_offline.value;
    if offline {
        return decide_offline(inp, d);
    }
    let public = rank(inp, public_candidates(inp.go_env, inp.managed, config));
    let private: Vec<RankedUpstream> = private
        .iter()
        .map(|url| RankedUpstream {
            url: url.clone(),
            verdict: verdict_of(inp.verdicts, url).cloned(),
        })
        .collect();
    let direct = config.proxy.direct.value;
    let mut reasons = vec![
        "go talks only to goshim's module router on loopback (a new port and token each run); the router routes every request with deadlines, hedging and retries".to_string(),
    ];
    if !private.is_empty() {
        let list: Vec<String> = private.iter().map(describe).collect();
        reasons.push(format!(
            "private modules only ever go to: {}",
            list.join(", ")
        ));
    }
    let list: Vec<String> = public.iter().map(describe).collect();
    reasons.push(if list.is_empty() {
        "no public proxy is configured: public modules get 404 from the router".into()
    } else {
        format!("public modules, in this order: {}", list.join(", "))
    });
    let mut value = ROUTER_URL.to_string();
    if direct {
        value.push_str(",direct");
        reasons.push(format!(
            "direct after the router's 404 (proxy.direct, {})",
            config.proxy.direct.origin
        ));
    }
    d.set("GOPROXY", value, reasons);
    let (sumdb, own_url_sumdb) = decide_sumdb(inp, d);
    Routing {
        public,
        private,
        private_patterns: private_patterns(inp.go_env, config),
        nosumdb_patterns: nosumdb_patterns(inp, d),
        sumdb,
        own_url_sumdb,
        direct,
        offline: false,
    }
}

/// `GOSHIM_OFFLINE=1`: go gets the router alone, and the router only the module cache — exact
/// files, lists rebuilt from it, checksum data go cached — so nothing leaves the machine.
fn decide_offline(inp: &Inputs<'_>, d: &mut Decision) -> Routing {
    d.set(
        "GOPROXY",
        ROUTER_URL.to_string(),
        vec![
            "GOSHIM_OFFLINE=1: offline by request; go talks only to goshim's module router on loopback, which serves what the module cache holds (exact files; version lists and @latest rebuilt from it; checksum lookups go cached) and asks no upstream".into(),
        ],
    );
    d.notify(
        "goshim: offline mode; go gets what the module cache holds, through the router".into(),
    );
    let (mut sumdb, mut own_url_sumdb) = decide_sumdb(inp, d);
    for db in sumdb.iter_mut().chain(own_url_sumdb.iter_mut()) {
        db.direct.clear();
    }
    Routing {
        public: Vec::new(),
        private: Vec::new(),
        private_patterns: private_patterns(inp.go_env, inp.config),
        nosumdb_patterns: nosumdb_patterns(inp, d),
        sumdb,
        own_url_sumdb,
        direct: false,
        offline: true,
    }
}

/// GONOSUMDB as go will apply it.
fn nosumdb_patterns(inp: &Inputs<'_>, d: &Decision) -> String {
    d.get("GONOSUMDB")
        .unwrap_or_else(|| inp.go_env.get("GONOSUMDB"))
        .to_string()
}

/// Decides GOSUMDB (left as go resolves it, or `sumdb.name`) and returns the database go
/// asks the router about, or the one with its own URL the router checks downloads with.
fn decide_sumdb(inp: &Inputs<'_>, d: &mut Decision) -> (Option<SumdbRoutes>, Option<SumdbRoutes>) {
    let config = inp.config;
    let gosumdb = d
        .get("GOSUMDB")
        .unwrap_or_else(|| inp.go_env.get("GOSUMDB"))
        .to_string();
    if !user_set(inp, "GOSUMDB") && d.get("GOSUMDB").is_none() {
        let configured = &config.sumdb.name;
        if configured.origin != crate::config::Origin::Default && configured.value != gosumdb {
            d.set(
                "GOSUMDB",
                configured.value.clone(),
                vec![format!("sumdb.name ({})", configured.origin)],
            );
        } else {
            d.keep(
                "GOSUMDB",
                &gosumdb,
                "left as go resolves it: the router answers /sumdb/…/supported itself and reaches the checksum database through every proxy that serves it and the database's own addresses".into(),
            );
        }
    } else if user_set(inp, "GOSUMDB") {
        d.keep(
            "GOSUMDB",
            &gosumdb,
            "set in your environment; explicit settings win".into(),
        );
    }
    let final_sumdb = d.get("GOSUMDB").unwrap_or(&gosumdb).to_string();
    match sumdb_routes(&final_sumdb) {
        Some(db) if db.via_router => (Some(db), None),
        own => (None, own),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testcase::*;
    use super::*;

    const ROUTED: &str = "http://127.0.0.1:<port>/<token>,direct";

    fn urls(list: &[RankedUpstream]) -> Vec<&str> {
        list.iter().map(|u| u.url.as_str()).collect()
    }

    #[rustfmt::skip]
    #[test]
    fn router_mode_table() {
        let d = Case::new("all healthy: go gets the router, the router every candidate").routed().sets("GOPROXY", ROUTED).keeps("GOSUMDB").quiet().check();
        let r = d.routing.unwrap();
        assert_eq!(urls(&r.public), [PG, CN, IO]);
        assert!(r.private.is_empty() && r.direct);
        assert_eq!(r.sumdb, Some(SumdbRoutes { name: "sum.golang.org".into(), direct: vec!["https://sum.golang.org".into(), "https://sum.golang.google.cn".into()], key: crate::goenv::sumdb::SUM_GOLANG_ORG_KEY.into(), via_router: true }));

        let d = Case::new("down last, no verdict in between, nothing left out").routed().verdicts(&[(PG, down()), (IO, healthy(10))]).sets("GOPROXY", ROUTED).quiet().check();
        assert_eq!(urls(&d.routing.unwrap().public), [IO, CN, PG]);

        let d = Case::new("latency order among the healthy").routed().order(crate::config::schema::Order::Latency).sets("GOPROXY", ROUTED).check();
        assert_eq!(urls(&d.routing.unwrap().public), [IO, CN, PG]);

        let d = Case::new("no verdicts at all: configured order").routed().no_verdicts().sets("GOPROXY", ROUTED).check();
        assert_eq!(urls(&d.routing.unwrap().public), [PG, CN, IO]);

        let d = Case::new("no direct: the router alone").routed().direct(false).sets("GOPROXY", ROUTER_URL).check();
        assert!(!d.routing.unwrap().direct);

        let d = Case::new("private proxy: GONOPROXY=none sends private paths to the router").routed().private_proxy(ATHENS).private(&["git.corp.example"]).verdicts(&[(ATHENS, down())])
            .sets("GONOPROXY", "none").sets("GONOSUMDB", "git.corp.example").sets("GOPRIVATE", "git.corp.example").quiet().check();
        let r = d.routing.unwrap();
        assert_eq!(urls(&r.private), [ATHENS], "a private proxy seen failing stays: the router handles its failures");
        assert_eq!(urls(&r.public), [PG, CN, IO]);
        assert_eq!((r.private_patterns.as_str(), r.nosumdb_patterns.as_str()), ("git.corp.example", "git.corp.example"));

        let d = Case::new("GOSUMDB off: the router never sees checksum lookups").routed().user_env("GOSUMDB", "off").keeps("GOSUMDB").check();
        let r = d.routing.unwrap();
        assert_eq!((r.sumdb, r.own_url_sumdb), (None, None));
        let d = Case::new("GOSUMDB with its own URL bypasses proxies").routed().user_env("GOSUMDB", "sum.golang.org https://sum.example").check();
        let r = d.routing.unwrap();
        assert_eq!(r.sumdb, None);
        assert_eq!(r.own_url_sumdb, Some(SumdbRoutes { name: "sum.golang.org".into(), direct: vec!["https://sum.example".into()], key: crate::goenv::sumdb::SUM_GOLANG_ORG_KEY.into(), via_router: false }), "the router checks downloads with that URL only");
        let d = Case::new("the mainland China alias is the same database at its own URL").routed().user_env("GOSUMDB", "sum.golang.google.cn").check();
        assert_eq!(d.routing.unwrap().own_url_sumdb.map(|s| s.direct), Some(vec!["https://sum.golang.google.cn".to_string()]));

        let d = Case::new("offline by request: the router with the module cache alone").routed().force_offline().sets("GOPROXY", ROUTER_URL).notice("goshim: offline mode; go gets what the module cache holds, through the router").check();
        let r = d.routing.unwrap();
        assert!(r.offline && r.public.is_empty() && r.private.is_empty() && !r.direct);
        assert_eq!(r.sumdb.map(|s| (s.name, s.direct)), Some(("sum.golang.org".into(), vec![])), "lookups from the cache, never the network");

        for case in [
            Case::new("the user's own GOPROXY: no router").routed().user_env("GOPROXY", "https://mine.example").keeps("GOPROXY"),
            Case::new("no network: no router").routed().no_network(),
            Case::new("goshim env: variables only").sets("GOPROXY", LISTED),
        ] {
            assert_eq!(case.check().routing, None);
        }
    }
}
