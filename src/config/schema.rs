//! The key table: every configuration key, once.
//!
//! Each entry is its meaning in `///` lines (one sentence, shown in the README), then
//! `name: Kind = default, trust Gate`, and — for a key that feeds a go variable —
//! `explains &[(VARIABLE, position)]` (the variables `goshim explain` shows it under, and its
//! place among the keys shown there). [`super::key`] explains what the `config_keys!` macro
//! makes of it: the typed [`Config`] (`config.proxy.direct.value`), its defaults, the per-file
//! [`Layer`], parsing, merging through the trust gates, and [`KEYS`] for "did you mean",
//! `goshim explain` and the README's reference. The order of the entries is the order of error
//! messages, of the merge and of the reference.
//!
//! Trust gates (what an untrusted `.gomodrc` may set): `Always`, `Trusted` (ignored until the
//! file is trusted), `Narrowing(values)` (only these values, or what the trusted layers already
//! have; for lists: only entries they list), `UserFilesOnly` (never from a `.gomodrc`).

use std::time::Duration;

use super::Sourced;
use super::key::config_keys;
use super::kinds::{Choice, Count, GoCommand, ModuleVersion, SumdbName};
use super::lists::{List, Pattern, ProxyUrl};

/// A list value: the list's own origin (the layer that last set it) and each item's origin.
pub type SourcedList = Sourced<Vec<Sourced<String>>>;

/// The public mirrors tried when nothing is configured, in preference order.
pub const DEFAULT_CANDIDATES: [&str; 3] = [
    "https://proxy.golang.org",
    "https://goproxy.cn",
    "https://goproxy.io",
];

config_keys! {
    /// `[proxy]`: the proxies go may use, and what to do when none is healthy.
    [proxy] ProxyConfig, ProxyLayer {
        /// public mirrors goshim probes, in preference order
        candidates: List<ProxyUrl> = &DEFAULT_CANDIDATES, trust Narrowing(&[]),
            explains &[("GOPROXY", 1)];
        /// company proxies, tried before the public mirrors
        private: List<ProxyUrl> = &[], trust Narrowing(&[]), explains &[("GOPROXY", 0)];
        /// end GOPROXY with `direct` (fetch from version control when every proxy fails)
        direct: bool = true, trust Narrowing(&[false]);
        /// nothing healthy: "cache" (the module cache as a `file://` proxy), "off" or "direct"
        offline: Offline = Offline::Cache, trust Narrowing(&[Offline::Cache, Offline::Off]);
        /// healthy public proxies: "latency" (fastest first) or "listed" (as listed)
        order: Order = Order::Latency, trust Always;
    }

    /// `[modules]`: which module paths are private.
    [modules] ModulesConfig, ModulesLayer {
        /// private module patterns: added to GOPRIVATE, and by default to GONOPROXY and GONOSUMDB
        private: List<Pattern> = &[], trust Trusted,
            explains &[("GOPRIVATE", 0), ("GONOPROXY", 0), ("GONOSUMDB", 0)];
        /// the private patterns go fetches directly, never through a proxy (GONOPROXY;
        /// default: `modules.private`, unless a private proxy is configured)
        no_proxy: List<Pattern> = &[], trust Trusted, explains &[("GONOPROXY", 0)];
        /// the private patterns the checksum database is not asked about (GONOSUMDB;
        /// default: `modules.private`)
        no_sumdb: List<Pattern> = &[], trust Trusted, explains &[("GONOSUMDB", 0)];
    }

    /// `[sumdb]`: the checksum database.
    [sumdb] SumdbConfig, SumdbLayer {
        /// the checksum database (GOSUMDB): a name or a full verifier key; "off" is refused
        name: SumdbName = "sum.golang.org".into(), trust Trusted, explains &[("GOSUMDB", 0)];
    }

    /// `[health]`: probing the candidates. Every key needs trust: the verdicts are shared by
    /// every project on the network, and a timing from a stranger's file (`timeout = "1ms"`)
    /// would record false failures for all of them.
    [health] HealthConfig, HealthLayer {
        /// the module@version every public proxy has cached, fetched to probe a proxy
        probe: ModuleVersion = "golang.org/x/text@v0.3.0".into(), trust Trusted;
        /// the longest one probe may take
        timeout: Duration = Duration::from_millis(1500), trust Trusted;
        /// the longest one probing round may take
        deadline: Duration = Duration::from_secs(2), trust Trusted;
        /// a verdict is fresh this long
        ttl: Duration = Duration::from_secs(600), trust Trusted;
        /// a stale verdict is still used (and refreshed in the background) this long
        stale: Duration = Duration::from_secs(86_400), trust Trusted;
    }

    /// `[shim]`: the shim itself.
    [shim] ShimConfig, ShimLayer {
        /// the real go, an absolute path or a command on PATH
        /// (unset: the first go on PATH that is not goshim)
        go: GoCommand = None, trust UserFilesOnly;
        /// a `GO*` variable you set yourself is never overridden
        respect_env: bool = true, trust Trusted;
        /// no stderr notices, except that a `.gomodrc` or some of its settings were ignored
        quiet: bool = false, trust Always;
    }

    /// `[router]`: the loopback module router go's downloads go through.
    [router] RouterConfig, RouterLayer {
        /// route go's downloads through goshim's loopback router
        /// (false: hand go the decided GOPROXY)
        enabled: bool = true, trust Narrowing(&[false]);
        /// the floor of the hedge delay before a request is also sent to the next upstream;
        /// the learned p95 latency raises it
        hedge_delay: Duration = Duration::from_secs(1), trust Trusted;
        /// an attempt that sends nothing for this long has failed
        attempt_timeout: Duration = Duration::from_secs(30), trust Trusted;
        /// the longest a whole metadata or checksum request may take, over all attempts
        request_timeout: Duration = Duration::from_secs(120), trust Trusted;
        /// extra rounds after every upstream failed once
        retries: Count<10> = 3, trust Trusted;
    }

    variables {
        /// `GOSHIM_OFFLINE=1`: skip probing and use the offline fallback.
        force_offline: Sourced<bool> = Sourced::default_value(false),
        /// `GOSHIM_LOG=debug`: print a decision trace on stderr.
        debug_log: Sourced<bool> = Sourced::default_value(false),
    }
}

/// What to do when no proxy is healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offline {
    /// The module cache as a `file://` proxy.
    Cache,
    /// `off`: no module downloads.
    Off,
    /// `direct`: fetch from version control.
    Direct,
}

impl Choice for Offline {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("cache", Offline::Cache),
        ("off", Offline::Off),
        ("direct", Offline::Direct),
    ];
}

/// How healthy public candidates are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Fastest healthy first.
    Latency,
    /// As listed.
    Listed,
}

impl Choice for Order {
    const WORDS: &'static [(&'static str, Self)] =
        &[("latency", Order::Latency), ("listed", Order::Listed)];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_described_and_named_once() {
        let mut names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KEYS.len(), "a key is defined twice");
        for k in KEYS {
            assert!(!k.doc().is_empty(), "{} has no meaning", k.name);
            assert!(
                !k.doc().contains('|'),
                "{}'s meaning would break the README table",
                k.name
            );
            assert_eq!(k.name, format!("{}.{}", k.table, k.leaf));
            assert!(SECTIONS.contains(&k.table));
        }
    }

    #[test]
    fn defaults_are_what_the_table_says() {
        let c = Config::default();
        assert!(c.proxy.direct.value);
        assert_eq!(c.proxy.offline.value, Offline::Cache);
        assert_eq!(c.health.timeout.value, Duration::from_millis(1500));
        assert_eq!(c.shim.go, None);
        assert!(c.router.enabled.value);
        assert_eq!(c.router.hedge_delay.value, Duration::from_secs(1));
        assert_eq!(c.router.attempt_timeout.value, Duration::from_secs(30));
        assert_eq!(c.router.request_timeout.value, Duration::from_secs(120));
        assert_eq!(
            c.router.request_timeout.origin,
            super::super::Origin::Default
        );
        assert_eq!(c.router.retries.value, 3);
        assert_eq!(c.router.retries.origin, super::super::Origin::Default);
        let written = |name: &str| (KEYS.iter().find(|k| k.name == name).unwrap().default)();
        assert_eq!(
            written("proxy.candidates"),
            r#"["https://proxy.golang.org", "https://goproxy.cn", "https://goproxy.io"]"#
        );
        assert_eq!(written("proxy.private"), "[]");
        assert_eq!(written("proxy.offline"), "\"cache\"");
        assert_eq!(written("health.timeout"), "\"1500ms\"");
        assert_eq!(written("health.stale"), "\"24h\"");
        assert_eq!(written("router.request_timeout"), "\"2m\"");
        assert_eq!(written("router.retries"), "3");
        assert_eq!(written("shim.go"), "unset");
    }
}
