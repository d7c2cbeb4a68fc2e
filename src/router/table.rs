//! What the router is told: its upstreams, the private and no-checksum patterns, the checksum
//! database routes and its timings. Serialised as JSON because it crosses a process boundary
//! (goshim → `goshim __router`, through a pipe).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::goenv::gosum::SumFiles;
use crate::health::SumdbSupport;
use crate::http::without_userinfo;

/// The routing table of one router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Public upstreams, in rank order (best first).
    pub public: Vec<Upstream>,
    /// Private upstreams, in rank order: the only ones that ever see a private path.
    pub private: Vec<Upstream>,
    /// Go pattern list (GOPRIVATE ∪ GONOPROXY ∪ configured private), comma-separated. A path
    /// matching it, or a proper prefix of one of its patterns, is private.
    pub private_patterns: String,
    /// GONOSUMDB as go will apply it: checksum lookups of matching paths get a local 404.
    pub nosumdb_patterns: String,
    /// The checksum database go verifies with; `None` with `GOSUMDB=off`. With a GOSUMDB that
    /// names its own URL, go never asks the router ([`SumdbRoutes::via_router`] false) and the
    /// router uses that URL only for its own checks.
    pub sumdb: Option<SumdbRoutes>,
    /// The go.sum files go checks downloads against (`None` outside a module): the router
    /// checks `.mod` and `.zip` bodies against them before serving.
    #[serde(default)]
    pub go_sum: Option<SumFiles>,
    /// `$GOMODCACHE/cache/download`: the last upstream, read-only, for what every upstream
    /// failed to answer (`None`: go has no module cache).
    #[serde(default)]
    pub modcache: Option<PathBuf>,
    /// Offline (`GOSHIM_OFFLINE=1`): the module cache is the only upstream.
    #[serde(default)]
    pub offline: bool,
    pub settings: RouterSettings,
    /// Send `.netrc` credentials to https upstreams (GOAUTH uses netrc).
    pub netrc: bool,
    /// No notices on stderr (`[shim] quiet`, `GOSHIM_QUIET`).
    #[serde(default)]
    pub quiet: bool,
    /// Trace every request's route on stderr (`GOSHIM_LOG=debug`), without token or
    /// credentials.
    #[serde(default)]
    pub debug: bool,
    /// Progress lines for zip downloads running longer than a few seconds: goshim decided it
    /// before starting the router (stderr is a terminal and not quiet, or `GOSHIM_LOG=debug`).
    #[serde(default)]
    pub progress: bool,
    /// The verdict cache's probe label (`health::probe::probe_label`) under which the router
    /// records what it saw of an upstream the cache does not know yet; empty: only verdicts
    /// already cached are updated.
    #[serde(default)]
    pub probe_label: String,
}

impl Table {
    /// A table sending every path to `public`, in that order: nothing private, no checksum
    /// database, no go.sum or module cache, the default settings, no notices. The starting
    /// point the tests and the benchmark fill in with struct update syntax.
    pub fn with_public(public: Vec<Upstream>) -> Table {
        Table {
            public,
            private: Vec::new(),
            private_patterns: String::new(),
            nosumdb_patterns: String::new(),
            sumdb: None,
            go_sum: None,
            modcache: None,
            offline: false,
            settings: RouterSettings::default(),
            netrc: false,
            quiet: true,
            debug: false,
            progress: false,
            probe_label: String::new(),
        }
    }
}

/// One upstream module proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// Base URL (`https://proxy.golang.org`, `https://user:pw@corp.example/go`); may carry
    /// userinfo, which is sent to that origin only and never printed.
    pub url: String,
    /// Whether it proxies the checksum database (`/sumdb/<name>/...`).
    pub sumdb: SumdbSupport,
    /// What the verdict cache knew about it when the router started.
    pub seed: Option<Seed>,
}

impl Upstream {
    /// An upstream with nothing known about it.
    pub fn new(url: impl Into<String>) -> Upstream {
        Upstream {
            url: url.into(),
            sumdb: SumdbSupport::Unknown,
            seed: None,
        }
    }
}

/// A cached verdict, as a starting point for ranking and hedging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seed {
    /// The last verdict was healthy (or reachable); false: it failed.
    pub healthy: bool,
    /// Its measured latency, when known (a prior for the hedge delay).
    pub latency_ms: Option<u64>,
    /// Left alone until then (Unix seconds): the cache's back-off of a failing upstream.
    pub ejected_until: Option<u64>,
}

/// The routes to one checksum database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SumdbRoutes {
    /// The database name go uses in `/sumdb/<name>/...` (`sum.golang.org`).
    pub name: String,
    /// Base URLs serving it directly (`https://sum.golang.org`, `https://sum.golang.google.cn`):
    /// `<base>/lookup/...` and `<base>/tile/...`.
    pub direct: Vec<String>,
    /// Its verifier key (`<name>+<hash>+<key>`; for `sum.golang.org` go's built-in key): the
    /// router takes a hash from a lookup only once the lookup's tree note carries a valid
    /// signature by it and hash tiles prove the record. Empty: no checks with the database.
    #[serde(default)]
    pub key: String,
    /// go asks the router for it (GOSUMDB names no URL of its own). False: go reaches
    /// `direct` itself; the router asks only `direct`, for its own checks.
    #[serde(default = "yes")]
    pub via_router: bool,
}

fn yes() -> bool {
    true
}

/// Timings and budgets. Every default comes from a fact in router-facts.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterSettings {
    /// The least time an attempt may send nothing before a hedged copy starts on the next
    /// upstream; the delay actually used is the larger of this and the upstream's learned p95.
    ///
    /// Default 1 s: proxy.golang.org answers metadata in 0.15–0.17 s, a first `@v/list` in
    /// 1.19 s and sum.golang.org lookups in 1.03 s (router-facts §1.6, §8); "The Tail at
    /// Scale" hedges after the 95th percentile, and §11.6 puts the start "around 1 s".
    pub hedge_delay: Duration,
    /// An attempt that receives no response headers, or no body bytes, for this long has
    /// failed.
    ///
    /// Default 30 s: net/http's own dial timeout (§1.5) and goproxy/goproxy's connect timeout
    /// (§7.2); zips from goproxy.cn take 1.5–1.7 s to headers (§8), so only a stall this long
    /// is a failure rather than a slow mirror.
    pub attempt_timeout: Duration,
    /// The whole request, every attempt and retry included (zips: as long as bytes keep
    /// arriving, up to [`ZIP_CAP`]).
    ///
    /// Default 120 s: a cold mirror's origin fetch can take about 60 s (go#73403, §8); twice
    /// that still ends long before any CI step timeout (§11.12).
    pub request_timeout: Duration,
    /// Retries per upstream after a retryable failure (5xx, 429, reset, truncated or invalid
    /// body), with jittered exponential back-off.
    ///
    /// Default 3: goproxy/goproxy retries upstream GETs (§7.2); gRPC caps attempts at 5 (§8);
    /// with several upstreams each gets 1 + 3 attempts within `request_timeout`.
    pub retries: u32,
}

/// How long a zip request may take while bytes keep arriving: go reads at most 500 MiB + 1
/// (`codehost.MaxZipFile`, §2.2), and toolchain zips are tens of MB (§6); half an hour covers
/// the largest at about 300 KB/s.
pub const ZIP_CAP: Duration = Duration::from_secs(30 * 60);

/// Base ejection time of an upstream with consecutive failures, multiplied by the number of
/// times it was ejected: Envoy's outlier detection `base_ejection_time` 30 s (§8).
pub const EJECTION_BASE: Duration = Duration::from_secs(30);

/// Consecutive failures that eject an upstream: Envoy's `consecutive_5xx` default 5 (§8).
pub const EJECT_AFTER: u32 = 5;

impl Default for RouterSettings {
    fn default() -> RouterSettings {
        RouterSettings {
            hedge_delay: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(120),
            retries: 3,
        }
    }
}

impl Table {
    /// A fingerprint of what the router does with requests, without secrets: upstream URLs
    /// with their userinfo removed, patterns, checksum routes, settings. Two tables with the
    /// same fingerprint route every request alike, so a nested go may reuse the router. The
    /// go.sum files are left out: a module version has one hash in every go.sum, and what
    /// a nested go's go.sum lists beyond the router's is checked with the database.
    pub fn fingerprint(&self) -> String {
        let strip = |u: &Upstream| {
            (
                without_userinfo(&u.url),
                serde_json::to_string(&u.sumdb).unwrap_or_default(),
            )
        };
        let shape = serde_json::json!({
            "public": self.public.iter().map(strip).collect::<Vec<_>>(),
            "private": self.private.iter().map(strip).collect::<Vec<_>>(),
            "private_patterns": self.private_patterns,
            "nosumdb_patterns": self.nosumdb_patterns,
            "sumdb": self.sumdb,
            "modcache": self.modcache,
            "offline": self.offline,
            "settings": self.settings,
            "netrc": self.netrc,
        });
        let digest = Sha256::digest(shape.to_string().as_bytes());
        crate::hex::hex(&digest[..8])
    }
}

/// How an upstream is named in notices and error bodies: host, port and path, no scheme, no
/// userinfo (`proxy.golang.org`, `corp.example/go`).
pub fn label(url: &str) -> String {
    let stripped = without_userinfo(url);
    let rest = stripped
        .split_once("://")
        .map_or(stripped.as_str(), |(_, r)| r);
    rest.trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            private_patterns: "corp.example".into(),
            nosumdb_patterns: "corp.example".into(),
            netrc: true,
            quiet: false,
            ..Table::with_public(vec![Upstream::new("https://u:secret@a.example/go")])
        }
    }

    #[test]
    fn fingerprint_ignores_secrets_seeds_and_output_flags_only() {
        let a = table();
        let mut b = table();
        b.public[0].url = "https://other:pw@a.example/go".into();
        b.public[0].seed = Some(Seed {
            healthy: false,
            latency_ms: Some(5),
            ejected_until: None,
        });
        b.quiet = true;
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert!(!a.fingerprint().contains("secret"));
        let mut c = table();
        c.private_patterns = "other.example".into();
        assert_ne!(a.fingerprint(), c.fingerprint());
        let mut d = table();
        d.public.push(Upstream::new("https://b.example"));
        assert_ne!(a.fingerprint(), d.fingerprint());
    }

    #[test]
    fn labels_hide_scheme_and_userinfo() {
        assert_eq!(
            label("https://u:pw@corp.example:8443/go/"),
            "corp.example:8443/go"
        );
        assert_eq!(label("https://proxy.golang.org"), "proxy.golang.org");
    }

    #[test]
    fn json_round_trip() {
        let t = table();
        let back: Table = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}
