//! Proxy health: probes, the verdict cache, credentials.
//!
//! The shim's hot path calls [`verdicts`]: it reads the cache and answers from it when the cached
//! verdicts decide the command (no tokio runtime, no TLS setup then). Only missing or expired
//! verdicts are probed, all at once under one deadline ([`probe`]); stale ones are used and
//! refreshed by one detached `goshim probe --background` ([`cache`]).

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::http::redact;

pub mod cache;
pub mod probe;

/// One proxy the decision may use, as listed (GOPROXY entry or configured candidate). Public
/// and private proxies are probed alike: with the probe module unless the private patterns
/// match it, else for reachability only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The proxy URL as written (`https://…`, `http://…`, `file:///…`); may carry userinfo.
    pub url: String,
    /// A configured private proxy: go is only pointed at it once it answered, so a round
    /// waits for its verdict (see [`probe::decided`]).
    #[serde(default)]
    pub private: bool,
}

impl Candidate {
    pub fn new(url: impl Into<String>) -> Candidate {
        Candidate {
            url: url.into(),
            private: false,
        }
    }

    /// A configured private proxy.
    pub fn private(url: impl Into<String>) -> Candidate {
        Candidate {
            url: url.into(),
            private: true,
        }
    }
}

/// The candidates of one decision, in rank order (best first), and the private patterns no
/// probe may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidates {
    pub proxies: Vec<Candidate>,
    /// The effective private patterns (GOPRIVATE ∪ GONOPROXY, comma-separated, Go syntax).
    pub private_patterns: String,
}

/// A checksum database whose `/latest` is probed directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SumdbEndpoint {
    /// The name go uses (`sum.golang.org`, `sum.golang.google.cn`).
    pub name: String,
    /// Base URL; `<base>/latest` is fetched.
    pub url: String,
}

/// How probes run and how long verdicts last. Configuration maps into this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Module path asked for in the probe (`golang.org/x/text`).
    pub probe_module: String,
    /// Version asked for (`v0.3.0`); a healthy proxy answers its `.info` with this `Version`.
    pub probe_version: String,
    /// TCP + TLS connect timeout per probe.
    pub connect_timeout: Duration,
    /// Total time per probe request, body included.
    pub timeout: Duration,
    /// One deadline for the whole round.
    pub deadline: Duration,
    /// A verdict younger than this is used as is.
    pub ttl: Duration,
    /// A verdict younger than this (and older than `ttl`) is used and refreshed in the background.
    pub stale: Duration,
    /// First back-off for a failing candidate; doubles with each further failure.
    pub backoff_base: Duration,
    /// Longest back-off.
    pub backoff_max: Duration,
    /// Checksum databases probed directly.
    pub sumdbs: Vec<SumdbEndpoint>,
    /// Send `.netrc` credentials (go's GOAUTH includes `netrc`, the default).
    pub netrc: bool,
}

/// The outcome class of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Answered the probe module correctly.
    Healthy,
    /// Answers, but does not serve the probe module (404/410), or was only checked for
    /// reachability. Fine for a private proxy.
    Reachable,
    /// 401/403: go needs credentials for it.
    NeedsCredentials,
    /// Would fail or hang a go command.
    Unhealthy,
    /// No verdict: the round was decided before this candidate answered.
    Unknown,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Healthy => "healthy",
            Status::Reachable => "reachable",
            Status::NeedsCredentials => "needs-credentials",
            Status::Unhealthy => "unhealthy",
            Status::Unknown => "unknown",
        })
    }
}

/// Why a verdict is what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// 200 with the expected `Version`.
    Answered,
    /// 404 or 410.
    NotFound { status: u16 },
    /// 401 or 403.
    Denied { status: u16, sent_credentials: bool },
    /// 5xx.
    ServerError { status: u16 },
    /// Any other status go would not accept.
    UnexpectedStatus { status: u16 },
    /// 200 whose body is not JSON (a captive portal or login page).
    NotJson,
    /// 200 with JSON naming another version.
    WrongVersion { got: String },
    /// No complete answer in time; `stage` is connect, response, body or deadline.
    Timeout { stage: String, ms: u64 },
    /// Connection refused.
    Refused,
    /// The host name did not resolve.
    Dns { detail: String },
    /// The TLS handshake or certificate check failed.
    Tls { detail: String },
    /// Another connection failure.
    Connect { detail: String },
    /// A redirect from https to http, refused as go does.
    InsecureRedirect { detail: String },
    /// More than 10 redirects.
    TooManyRedirects,
    /// `http://user:pw@…`: go refuses to send credentials over plain http.
    CredentialsOverHttp,
    /// The probe module is private: only reachability was checked.
    ReachabilityOnly,
    /// A `file://` proxy directory exists and is readable.
    DirectoryReadable,
    /// A `file://` proxy directory is missing or unreadable.
    Directory { detail: String },
    /// The candidate is not a URL go accepts.
    InvalidUrl { detail: String },
    /// The round was decided before this candidate answered.
    NotProbed,
    /// Nothing is cached for it on this network yet, and nothing probes it before go starts
    /// (the router learns as it serves).
    NotSeen,
    /// Anything else.
    Other { detail: String },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Answered => write!(f, "answered the probe"),
            Reason::NotFound { status } => write!(f, "HTTP {status}: serves no public modules"),
            Reason::Denied {
                status,
                sent_credentials: true,
            } => write!(
                f,
                "HTTP {status}: the credentials sent (.netrc or URL) were refused"
            ),
            Reason::Denied { status, .. } => write!(
                f,
                "HTTP {status}: needs credentials; add a `machine host[:port]` entry to ~/.netrc"
            ),
            Reason::ServerError { status } => write!(f, "HTTP {status}: server error"),
            Reason::UnexpectedStatus { status } => write!(f, "HTTP {status}: unexpected status"),
            Reason::NotJson => write!(
                f,
                "HTTP 200 with a body that is not JSON (captive portal or login page?)"
            ),
            Reason::WrongVersion { got } => write!(f, "HTTP 200 naming the wrong version {got:?}"),
            Reason::Timeout { stage, ms } => write!(f, "timed out ({stage}) after {ms} ms"),
            Reason::Refused => write!(f, "connection refused"),
            Reason::Dns { detail } => write!(f, "DNS error: {detail}"),
            Reason::Tls { detail } => write!(f, "TLS error: {detail}"),
            Reason::Connect { detail } => write!(f, "connection error: {detail}"),
            Reason::InsecureRedirect { detail }
            | Reason::Directory { detail }
            | Reason::Other { detail } => write!(f, "{detail}"),
            Reason::TooManyRedirects => write!(f, "stopped after 10 redirects"),
            Reason::CredentialsOverHttp => {
                write!(
                    f,
                    "go refuses to pass credentials to an insecure (http) URL"
                )
            }
            Reason::ReachabilityOnly => {
                write!(
                    f,
                    "reachable (probed without a module: the probe module is private)"
                )
            }
            Reason::DirectoryReadable => write!(f, "directory is readable"),
            Reason::InvalidUrl { detail } => write!(f, "invalid proxy URL: {detail}"),
            Reason::NotProbed => write!(f, "not probed: a better candidate answered first"),
            Reason::NotSeen => write!(f, "not seen yet on this network"),
        }
    }
}

/// What the proxy says about `/sumdb/sum.golang.org/supported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SumdbSupport {
    /// 200: go sends every checksum lookup through this proxy.
    Supported,
    /// 404/410: go moves on to the next entry, then to the database directly.
    NotSupported,
    /// Any other answer: go's checksum verification fails through this proxy.
    Failed,
    /// Not asked, or no answer.
    Unknown,
}

impl fmt::Display for SumdbSupport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SumdbSupport::Supported => "yes",
            SumdbSupport::NotSupported => "no",
            SumdbSupport::Failed => "error",
            SumdbSupport::Unknown => "?",
        })
    }
}

/// The verdict on one candidate or database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub status: Status,
    pub reason: Reason,
    /// Time to a complete answer, for healthy and reachable verdicts.
    pub latency_ms: Option<u64>,
    pub sumdb: SumdbSupport,
    /// When it was observed, in seconds since the Unix epoch.
    pub checked_at: u64,
    /// Consecutive unhealthy verdicts (drives the back-off).
    pub failures: u32,
    /// What was asked: `module@version`, or `reachability`.
    pub probe: String,
}

impl Verdict {
    /// The "no verdict yet" placeholder.
    pub fn unknown(probe: &str) -> Verdict {
        Verdict {
            status: Status::Unknown,
            reason: Reason::NotProbed,
            latency_ms: None,
            sumdb: SumdbSupport::Unknown,
            checked_at: 0,
            failures: 0,
            probe: probe.to_string(),
        }
    }
}

/// Where the verdicts of one call came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictSource {
    /// Everything needed was fresh in the cache.
    Cache,
    /// Some probing happened in this process.
    Probed,
}

/// The verdicts for a set of candidates, in rank order, and for the checksum databases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdicts {
    pub proxies: Vec<(String, Verdict)>,
    pub sumdbs: Vec<(String, Verdict)>,
    pub origin: VerdictSource,
    /// A background refresh was started by this call.
    pub refresh_started: bool,
    /// Time the call took, in microseconds (cache read, probing, refresh start).
    pub elapsed_us: u64,
}

impl Verdicts {
    /// The verdicts of a probe round, labelled by (redacted) candidate URL and database name.
    pub fn from_round(
        candidates: &Candidates,
        settings: &Settings,
        round: probe::Round,
        origin: VerdictSource,
    ) -> Verdicts {
        let mut v = Verdicts::labelled(
            candidates,
            settings,
            round.proxies,
            round.sumdbs,
            origin,
            false,
        );
        v.elapsed_us = round.elapsed.as_micros() as u64;
        v
    }

    pub(crate) fn labelled(
        candidates: &Candidates,
        settings: &Settings,
        proxies: Vec<Verdict>,
        sumdbs: Vec<Verdict>,
        origin: VerdictSource,
        refresh_started: bool,
    ) -> Verdicts {
        Verdicts {
            proxies: candidates
                .proxies
                .iter()
                .map(|c| redact(&c.url))
                .zip(proxies)
                .collect(),
            sumdbs: settings
                .sumdbs
                .iter()
                .map(|d| d.name.clone())
                .zip(sumdbs)
                .collect(),
            origin,
            refresh_started,
            elapsed_us: 0,
        }
    }

    /// The best candidate go can use: the first healthy one in rank order.
    pub fn best(&self) -> Option<&str> {
        self.proxies
            .iter()
            .find(|(_, v)| v.status == Status::Healthy)
            .map(|(u, _)| u.as_str())
    }
}

/// The verdicts the shim decides with, from the cache when it can answer, probing only what is
/// missing or expired. Never fails: an unusable cache means probing without caching.
pub fn verdicts(
    process: &crate::process::Process,
    candidates: &Candidates,
    settings: &Settings,
    now: SystemTime,
) -> Verdicts {
    cache::Store::default_location(process).verdicts(candidates, settings, now)
}

/// The cached verdicts alone, never probing ([`cache::Store::cached_verdicts`]).
pub fn cached_verdicts(
    process: &crate::process::Process,
    candidates: &Candidates,
    settings: &Settings,
    now: SystemTime,
) -> Verdicts {
    cache::Store::default_location(process).cached_verdicts(candidates, settings, now)
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
