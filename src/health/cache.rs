//! The verdict cache: one JSON file in the user cache dir, verdicts per network fingerprint.
//!
//! - Fresh (younger than `ttl`, or inside a failing candidate's back-off) → used as is.
//! - Stale (younger than `stale`) → used, and one detached `goshim probe --background` refreshes
//!   it. The refresh holds `refresh.lock` (`File::try_lock`) and re-reads the cache once it has
//!   the lock, so any number of concurrent go commands cause at most one refresh.
//! - Older or missing → probed synchronously, in the command's own round.
//!
//! Writes are read-merge-write under `health.lock`, to a temp file renamed over the old one; a
//! lock another process holds for more than 100 ms means no caching this time, never a wait. A
//! corrupt, truncated or foreign-version file is ignored and replaced; an unwritable directory
//! means probing without caching, never an error for go.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::probe::{self, Known, Round, Until};
use super::{Candidates, Reason, Settings, Status, Verdict, VerdictSource, Verdicts, unix_secs};
use crate::env_vars::GOSHIM_PROBE_REQUEST;
use crate::fsread;
use crate::http::{NetEnv, without_userinfo};
use crate::process::Process;

/// The cache file format version; any other version is ignored and replaced.
pub const FORMAT_VERSION: u32 = 1;
/// The cache file's name inside the cache dir.
pub const FILE_NAME: &str = "health.json";
/// One line per background refresh that ran.
pub const REFRESH_LOG: &str = "refresh.log";
const WRITE_LOCK: &str = "health.lock";
const REFRESH_LOCK: &str = "refresh.lock";
/// Networks remembered at most (the most recently used are kept).
const MAX_NETWORKS: usize = 8;
/// The longest a write waits for another process's `health.lock` before it skips caching.
const LOCK_WAIT: Duration = Duration::from_millis(100);
/// The most of a cache file goshim reads: a few hundred verdicts take a few dozen KiB.
const MAX_FILE_BYTES: u64 = 4 << 20;
/// The refresh log is started afresh past this size.
const MAX_LOG_BYTES: u64 = 64 * 1024;

/// The cache file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CacheFile {
    pub version: u32,
    pub networks: BTreeMap<String, Network>,
}

/// The verdicts seen on one network.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Network {
    /// Last time this network's verdicts were written (Unix seconds).
    pub used_at: u64,
    /// By candidate URL, password redacted.
    pub proxies: BTreeMap<String, Verdict>,
    /// By checksum database base URL, without userinfo.
    pub sumdbs: BTreeMap<String, Verdict>,
    /// What the module routers of the last runs saw, by upstream (keyed as the verdicts are).
    /// Absent from files written before the router kept it: read as empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub router: BTreeMap<String, RouterStats>,
}

/// Router runs kept per upstream, and latency samples (the newest).
const MAX_RUNS: usize = 8;
const MAX_SAMPLES: usize = 64;

/// One router run's counts for one upstream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    /// When the run ended (Unix seconds).
    pub at: u64,
    /// Attempts sent to it.
    pub requests: u64,
    /// Attempts that failed (errors, timeouts, bodies that did not pass the checks).
    pub failures: u64,
    /// Times it was passed over: it sent nothing for its hedge delay, or was ejected.
    pub passed_over: u64,
    /// Bodies whose `h1:` hash was not the one go requires.
    pub mismatches: u64,
}

/// What the routers of the last runs saw of one upstream: at most [`MAX_RUNS`] runs, and the
/// newest [`MAX_SAMPLES`] latencies (time to response headers, ms).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterStats {
    pub runs: Vec<RunStats>,
    pub latency_ms: Vec<u64>,
}

impl RouterStats {
    fn add(&mut self, run: RunStats, samples: &[u64]) {
        self.runs.push(run);
        let extra = self.runs.len().saturating_sub(MAX_RUNS);
        self.runs.drain(..extra);
        self.latency_ms.extend_from_slice(samples);
        let extra = self.latency_ms.len().saturating_sub(MAX_SAMPLES);
        self.latency_ms.drain(..extra);
    }

    /// The runs' counts added up (`at`: the last run's end).
    pub fn total(&self) -> RunStats {
        self.runs.iter().fold(RunStats::default(), |t, r| RunStats {
            at: t.at.max(r.at),
            requests: t.requests + r.requests,
            failures: t.failures + r.failures,
            passed_over: t.passed_over + r.passed_over,
            mismatches: t.mismatches + r.mismatches,
        })
    }

    /// The `p`th percentile (nearest rank) of the latency samples.
    pub fn latency(&self, p: usize) -> Option<u64> {
        percentile(self.latency_ms.iter().copied(), p)
    }
}

/// The `p`th percentile (nearest rank) of `samples`; `None` when there are none. The router's
/// hedge delay and doctor's p50/p95 both read latencies through this.
pub fn percentile(samples: impl IntoIterator<Item = u64>, p: usize) -> Option<u64> {
    let mut v: Vec<u64> = samples.into_iter().collect();
    v.sort_unstable();
    let rank = (p * v.len()).div_ceil(100).max(1);
    v.get(rank - 1).copied()
}

/// How usable a cached verdict is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Stale,
    Expired,
}

/// How long a failing candidate is left alone after `failures` consecutive failures.
pub fn backoff(settings: &Settings, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    settings
        .backoff_base
        .saturating_mul(1 << exp)
        .min(settings.backoff_max)
}

/// Fresh, stale or expired at `now` (Unix seconds). A verdict from the future (clock change) is
/// expired.
pub fn freshness(v: &Verdict, settings: &Settings, now: u64) -> Freshness {
    if v.checked_at > now.saturating_add(60) || v.status == Status::Unknown {
        return Freshness::Expired;
    }
    let age = Duration::from_secs(now.saturating_sub(v.checked_at));
    let fresh_for = if v.status == Status::Unhealthy {
        backoff(settings, v.failures.max(1))
    } else {
        settings.ttl
    };
    if age < fresh_for {
        Freshness::Fresh
    } else if age < settings.stale.max(fresh_for) {
        Freshness::Stale
    } else {
        Freshness::Expired
    }
}

/// The network this machine is on now: proxy and TLS settings, resolver configuration, local
/// interface addresses. Reading it costs a few small /proc files.
pub fn fingerprint(net: &NetEnv) -> String {
    let vars = [
        &net.http_proxy,
        &net.https_proxy,
        &net.no_proxy,
        &net.ssl_cert_file,
        &net.ssl_cert_dir,
    ];
    let mut h = Sha256::new();
    for v in vars {
        h.update(v.as_deref().unwrap_or_default().as_bytes());
        h.update([0]);
    }
    h.update(fsread::read(Path::new("/etc/resolv.conf"), 64 * 1024).unwrap_or_default());
    h.update([0]);
    h.update(local_addresses().as_bytes());
    crate::hex::hex(&h.finalize()[..8])
}

/// Local addresses from /proc (IPv4 `LOCAL` entries of the FIB, IPv6 interface addresses);
/// empty where /proc does not exist.
fn local_addresses() -> String {
    let mut all: Vec<String> = Vec::new();
    if let Ok(trie) = std::fs::read_to_string("/proc/net/fib_trie") {
        let mut last = "";
        for line in trie.lines() {
            let t = line.trim_start();
            if let Some(addr) = t.strip_prefix("|-- ") {
                last = addr;
            } else if t.ends_with("host LOCAL") && !all.iter().any(|a| a == last) {
                all.push(last.to_string());
            }
        }
    }
    let v6 = std::fs::read_to_string("/proc/net/if_inet6").unwrap_or_default();
    all.extend(v6.lines().filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        Some(format!("{} {}", f.first()?, f.last()?))
    }));
    all.sort();
    all.join("\n")
}

/// goshim's cache directory: `<user cache dir>/goshim` (`$XDG_CACHE_HOME/goshim` on Linux).
pub fn default_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.cache_dir().join("goshim"))
}

/// What a module router saw of one upstream during its run, as a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The upstream URL as configured (a proxy: without userinfo once it is a key; a checksum
    /// database: its base URL).
    pub url: String,
    /// A checksum database's own URL rather than a proxy.
    pub database: bool,
    pub status: Status,
    pub reason: super::Reason,
    pub latency_ms: Option<u64>,
    /// Learned: whether the proxy proxies the checksum database (`None`: keep what is cached).
    pub sumdb: Option<super::SumdbSupport>,
    /// This run's counts (`at` is set when recorded) and latency samples, for doctor. With
    /// `status` [`Status::Unknown`] only these are recorded.
    pub stats: Option<(RunStats, Vec<u64>)>,
}

/// The request a background refresh works on, passed in `GOSHIM_PROBE_REQUEST`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRequest {
    pub candidates: Candidates,
    pub settings: Settings,
}

/// The cache at one location (`dir: None`: no usable cache dir; probe without caching).
#[derive(Debug, Clone)]
pub struct Store {
    dir: Option<PathBuf>,
    /// The goshim binary that runs `probe --background`; `None`: never refresh in the background.
    refresher: Option<PathBuf>,
    /// The HTTP settings probes use, and the network fingerprint is made of.
    net: NetEnv,
}

impl Store {
    /// `<user cache dir>/goshim` (`$XDG_CACHE_HOME/goshim` on Linux), refreshed in the background
    /// by this very binary.
    pub fn default_location(process: &Process) -> Store {
        Store {
            dir: default_dir(),
            refresher: process.current_exe().map(Path::to_path_buf),
            net: NetEnv::of(process),
        }
    }

    /// A cache in `dir`, without background refreshes (stale verdicts are still used).
    pub fn at(dir: impl Into<PathBuf>) -> Store {
        Store {
            dir: Some(dir.into()),
            refresher: None,
            net: NetEnv::default(),
        }
    }

    /// The cache directory.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The cache file's path.
    pub fn file(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(FILE_NAME))
    }

    /// The cache file's content; anything unreadable, corrupt or of another version is empty.
    pub fn load(&self) -> CacheFile {
        let parsed = self
            .file()
            .and_then(|f| fsread::read(&f, MAX_FILE_BYTES).ok())
            .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok());
        match parsed {
            Some(c) if c.version == FORMAT_VERSION => c,
            _ => CacheFile {
                version: FORMAT_VERSION,
                networks: BTreeMap::new(),
            },
        }
    }

    /// What the shim decides with: cached verdicts when they decide the command, else a round
    /// for what is missing or expired. Starts a background refresh when something is stale.
    pub fn verdicts(
        &self,
        candidates: &Candidates,
        settings: &Settings,
        now: SystemTime,
    ) -> Verdicts {
        let started = Instant::now();
        let fp = fingerprint(&self.net);
        let file = self.load();
        let net = file.networks.get(&fp);
        let label = probe::probe_label(candidates, settings);
        let plan = CachePlan::make(candidates, settings, net, &label, unix_secs(now));
        let mut refresh = plan.refresh;
        let (proxies, sumdbs, origin) = if plan.sync {
            let round = probe::run(
                candidates,
                settings,
                &self.net,
                plan.fresh_known(),
                Until::Decided,
                now,
            );
            // Fire and forget: an unwritable cache only means no caching.
            let _ = self.record(&fp, candidates, settings, &round);
            refresh |= round.proxies.iter().any(|v| v.status == Status::Unknown)
                || round.sumdbs.iter().any(|v| v.status == Status::Unknown);
            (round.proxies, round.sumdbs, VerdictSource::Probed)
        } else {
            (
                plan.usable_proxies(&label),
                plan.usable_sumdbs(),
                VerdictSource::Cache,
            )
        };
        let refresh_started = refresh && self.spawn_refresh(candidates, settings);
        let mut v = Verdicts::labelled(
            candidates,
            settings,
            proxies,
            sumdbs,
            origin,
            refresh_started,
        );
        v.elapsed_us = started.elapsed().as_micros() as u64;
        v
    }

    /// What the cache knows now, without probing anything (the router mode: no probe ever
    /// blocks go; the router ranks by these and learns as it serves). Missing or stale verdicts
    /// start one background refresh for the next command.
    pub fn cached_verdicts(
        &self,
        candidates: &Candidates,
        settings: &Settings,
        now: SystemTime,
    ) -> Verdicts {
        let started = Instant::now();
        let file = self.load();
        let net = file.networks.get(&fingerprint(&self.net));
        let label = probe::probe_label(candidates, settings);
        let plan = CachePlan::make(candidates, settings, net, &label, unix_secs(now));
        let refresh_started =
            (plan.sync || plan.refresh) && self.spawn_refresh(candidates, settings);
        let unseen = |mut v: Verdict| {
            if v.status == Status::Unknown && v.checked_at == 0 {
                v.reason = Reason::NotSeen;
            }
            v
        };
        let mut v = Verdicts::labelled(
            candidates,
            settings,
            plan.usable_proxies(&label)
                .into_iter()
                .map(unseen)
                .collect(),
            plan.usable_sumdbs().into_iter().map(unseen).collect(),
            VerdictSource::Cache,
            refresh_started,
        );
        v.elapsed_us = started.elapsed().as_micros() as u64;
        v
    }

    /// Probes everything now (what `goshim probe` does) and records the result.
    pub fn probe_now(
        &self,
        candidates: &Candidates,
        settings: &Settings,
        now: SystemTime,
    ) -> Round {
        let round = probe::run(
            candidates,
            settings,
            &self.net,
            Known::nothing(candidates, settings),
            Until::All,
            now,
        );
        let _ = self.record(&fingerprint(&self.net), candidates, settings, &round);
        round
    }

    /// The background refresh: under the refresh lock, probes whatever is not fresh any more and
    /// records it. `Ok(None)` when another refresh holds the lock or nothing needed probing.
    pub fn refresh(
        &self,
        candidates: &Candidates,
        settings: &Settings,
        now: SystemTime,
    ) -> std::io::Result<Option<Round>> {
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
        std::fs::create_dir_all(dir)?;
        let lock = open_lock(&dir.join(REFRESH_LOCK))?;
        if lock.try_lock().is_err() {
            return Ok(None);
        }
        let started = Instant::now();
        let fp = fingerprint(&self.net);
        let file = self.load();
        let label = probe::probe_label(candidates, settings);
        let plan = CachePlan::make(
            candidates,
            settings,
            file.networks.get(&fp),
            &label,
            unix_secs(now),
        );
        let known = plan.fresh_known();
        if known.proxies.iter().all(Option::is_some) && known.sumdbs.iter().all(Option::is_some) {
            return Ok(None);
        }
        let round = probe::run(candidates, settings, &self.net, known, Until::All, now);
        self.record(&fp, candidates, settings, &round)?;
        let probed = round.observed_proxies.iter().filter(|o| **o).count()
            + round.observed_sumdbs.iter().filter(|o| **o).count();
        append_log(
            &dir.join(REFRESH_LOG),
            &format!(
                "{} pid={} probed={probed} ms={}\n",
                unix_secs(now),
                std::process::id(),
                started.elapsed().as_millis()
            ),
        );
        drop(lock);
        Ok(Some(round))
    }

    /// Merges a round's observations into the cache file, atomically.
    pub fn record(
        &self,
        fp: &str,
        candidates: &Candidates,
        settings: &Settings,
        round: &Round,
    ) -> std::io::Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        std::fs::create_dir_all(dir)?;
        let lock = open_lock(&dir.join(WRITE_LOCK))?;
        if !fsread::lock_within(&lock, LOCK_WAIT) {
            // Another process holds the cache: go never waits for it, the verdicts are just
            // not cached this time.
            return Ok(());
        }
        let mut file = self.load();
        let now = round
            .proxies
            .iter()
            .chain(&round.sumdbs)
            .map(|v| v.checked_at)
            .max()
            .unwrap_or(0);
        let net = file.networks.entry(fp.to_string()).or_default();
        net.used_at = net.used_at.max(now);
        let proxies = candidates.proxies.iter().map(|c| without_userinfo(&c.url));
        for ((key, v), observed) in proxies.zip(&round.proxies).zip(&round.observed_proxies) {
            if *observed {
                merge(&mut net.proxies, key, v);
            }
        }
        let dbs = settings.sumdbs.iter().map(|d| without_userinfo(&d.url));
        for ((key, v), observed) in dbs.zip(&round.sumdbs).zip(&round.observed_sumdbs) {
            if *observed {
                merge(&mut net.sumdbs, key, v);
            }
        }
        while file.networks.len() > MAX_NETWORKS {
            let oldest = file
                .networks
                .iter()
                .min_by_key(|(_, n)| n.used_at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => file.networks.remove(&k),
                None => break,
            };
        }
        let text = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        fsread::write_atomically(&dir.join(FILE_NAME), &text)
    }

    /// Merges what a module router observed while it served (one entry per upstream it used)
    /// into the cache, so the next command ranks from it, and its counts for doctor. Bounded in time: when another
    /// process holds the write lock, nothing is written (`Ok(false)`). A proxy the cache does
    /// not know yet is recorded under `probe_label`; with an empty label it is left out.
    pub fn record_observed(
        &self,
        observed: &[Observed],
        probe_label: &str,
        now: SystemTime,
    ) -> std::io::Result<bool> {
        let Some(dir) = &self.dir else {
            return Ok(false);
        };
        std::fs::create_dir_all(dir)?;
        let lock = open_lock(&dir.join(WRITE_LOCK))?;
        if !fsread::lock_within(&lock, LOCK_WAIT) {
            return Ok(false);
        }
        let mut file = self.load();
        let checked_at = unix_secs(now);
        let net = file.networks.entry(fingerprint(&self.net)).or_default();
        net.used_at = net.used_at.max(checked_at);
        for o in observed {
            if let Some((run, samples)) = &o.stats {
                let run = RunStats {
                    at: checked_at,
                    ..run.clone()
                };
                net.router
                    .entry(without_userinfo(&o.url))
                    .or_default()
                    .add(run, samples);
            }
            if o.status == Status::Unknown {
                continue;
            }
            let key = without_userinfo(&o.url);
            let map = if o.database {
                &mut net.sumdbs
            } else {
                &mut net.proxies
            };
            let old = map.get(&key);
            let probe = match old {
                Some(old) => old.probe.clone(),
                None if o.database => "latest".to_string(),
                None if probe_label.is_empty() => continue,
                None => probe_label.to_string(),
            };
            let sumdb = o
                .sumdb
                .or(old.map(|v| v.sumdb))
                .unwrap_or(super::SumdbSupport::Unknown);
            let v = Verdict {
                status: o.status,
                reason: o.reason.clone(),
                latency_ms: o.latency_ms,
                sumdb,
                checked_at,
                failures: 0,
                probe,
            };
            merge(map, key, &v);
        }
        let text = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        fsread::write_atomically(&dir.join(FILE_NAME), &text)?;
        Ok(true)
    }

    /// What the module routers of the last runs saw on this network, by upstream.
    pub fn router_stats(&self) -> BTreeMap<String, RouterStats> {
        self.load()
            .networks
            .remove(&fingerprint(&self.net))
            .map(|n| n.router)
            .unwrap_or_default()
    }

    /// Starts one detached `goshim probe --background` unless a refresh is already running.
    fn spawn_refresh(&self, candidates: &Candidates, settings: &Settings) -> bool {
        let (Some(dir), Some(exe)) = (&self.dir, &self.refresher) else {
            return false;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return false;
        }
        let Ok(lock) = open_lock(&dir.join(REFRESH_LOCK)) else {
            return false;
        };
        if lock.try_lock().is_err() {
            return false;
        }
        drop(lock);
        let request = RefreshRequest {
            candidates: candidates.clone(),
            settings: settings.clone(),
        };
        let Ok(json) = serde_json::to_string(&request) else {
            return false;
        };
        let mut cmd = std::process::Command::new(exe);
        cmd.args(["probe", "--background"])
            .env(GOSHIM_PROBE_REQUEST, json)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        cmd.spawn().is_ok()
    }
}

/// A lock file; a FIFO or device planted in its place is an error, never waited on.
fn open_lock(path: &Path) -> std::io::Result<File> {
    fsread::open_for_write(path, false)
}

fn append_log(path: &Path, line: &str) {
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file() || m.len() > MAX_LOG_BYTES) {
        let _ = std::fs::remove_file(path);
    }
    if let Ok(mut f) = fsread::open_for_write(path, true) {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Keeps the newer observation; counts consecutive failures once per observation time.
fn merge(map: &mut BTreeMap<String, Verdict>, key: String, new: &Verdict) {
    if new.status == Status::Unknown {
        return;
    }
    let mut v = new.clone();
    match map.get(&key) {
        Some(old) if old.checked_at > v.checked_at => return,
        Some(old) if old.checked_at == v.checked_at && old.status == v.status => return,
        Some(old) if v.status == Status::Unhealthy && old.status == Status::Unhealthy => {
            v.failures = old.failures.saturating_add(1);
        }
        _ if v.status == Status::Unhealthy => v.failures = 1,
        _ => v.failures = 0,
    }
    map.insert(key, v);
}

/// What the cache says about one call's candidates.
struct CachePlan {
    proxies: Vec<Option<(Verdict, Freshness)>>,
    sumdbs: Vec<Option<(Verdict, Freshness)>>,
    /// Something the decision needs is missing or expired.
    sync: bool,
    /// Something is stale, or ranked below the decision and unknown.
    refresh: bool,
}

impl CachePlan {
    fn make(
        candidates: &Candidates,
        settings: &Settings,
        net: Option<&Network>,
        label: &str,
        now: u64,
    ) -> CachePlan {
        let lookup = |map: Option<&BTreeMap<String, Verdict>>, key: &str, probe: &str| {
            map.and_then(|m| m.get(key))
                .filter(|v| v.probe == probe)
                .map(|v| (v.clone(), freshness(v, settings, now)))
                .filter(|(_, f)| *f != Freshness::Expired)
        };
        let proxies: Vec<_> = candidates
            .proxies
            .iter()
            .map(|c| lookup(net.map(|n| &n.proxies), &without_userinfo(&c.url), label))
            .collect();
        let sumdbs: Vec<_> = settings
            .sumdbs
            .iter()
            .map(|d| lookup(net.map(|n| &n.sumdbs), &without_userinfo(&d.url), "latest"))
            .collect();
        let known: Vec<Option<&Verdict>> =
            proxies.iter().map(|e| e.as_ref().map(|(v, _)| v)).collect();
        let known_sumdbs: Vec<bool> = sumdbs.iter().map(Option::is_some).collect();
        let sync = !probe::decided(&candidates.proxies, &known, &known_sumdbs);
        let stakes = probe::stakes(&known);
        let stale = |e: &Option<(Verdict, Freshness)>| matches!(e, Some((_, Freshness::Stale)));
        let unknown_below_best = stakes
            .best
            .is_some_and(|b| proxies[b + 1..].iter().any(Option::is_none));
        let refresh = unknown_below_best
            || proxies.iter().any(stale)
            || (stakes.sumdbs && sumdbs.iter().any(stale));
        CachePlan {
            proxies,
            sumdbs,
            sync,
            refresh,
        }
    }

    /// Only the fresh verdicts: what a synchronous round need not probe again.
    fn fresh_known(&self) -> Known {
        let fresh = |e: &Option<(Verdict, Freshness)>| {
            e.as_ref()
                .filter(|(_, f)| *f == Freshness::Fresh)
                .map(|(v, _)| v.clone())
        };
        Known {
            proxies: self.proxies.iter().map(fresh).collect(),
            sumdbs: self.sumdbs.iter().map(fresh).collect(),
        }
    }

    fn usable_proxies(&self, label: &str) -> Vec<Verdict> {
        self.proxies
            .iter()
            .map(|e| {
                e.as_ref()
                    .map_or_else(|| Verdict::unknown(label), |(v, _)| v.clone())
            })
            .collect()
    }

    fn usable_sumdbs(&self) -> Vec<Verdict> {
        self.sumdbs
            .iter()
            .map(|e| {
                e.as_ref()
                    .map_or_else(|| Verdict::unknown("latest"), |(v, _)| v.clone())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
