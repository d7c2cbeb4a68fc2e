//! The probe engine: every target at once on a current-thread tokio runtime, one deadline.
//!
//! Per proxy: `GET <proxy>/<escaped module>/@v/<escaped version>.info` with
//! `Disable-Module-Fetch: true`, and `GET <proxy>/sumdb/sum.golang.org/supported` alongside.
//! Per checksum database: `GET <base>/latest`. Requests carry what go sends: https userinfo,
//! `.netrc` credentials (go's host:port prefix match), `HTTP(S)_PROXY`/`NO_PROXY` (loopback never
//! proxied), go's TLS roots (`SSL_CERT_FILE`/`SSL_CERT_DIR` as go reads them), at most 10
//! redirects and never https→http.
//!
//! This is the only place a tokio runtime or a TLS configuration is built.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::{Client, Url};
use tokio::task::JoinSet;

use super::{
    Candidate, Candidates, Reason, Settings, Status, SumdbEndpoint, SumdbSupport, Verdict,
    unix_secs,
};
use crate::goenv::escape_module_path;
use crate::http::{self, ClientOptions, NetEnv, Netrc};

/// The User-Agent of go 1.27, tagged so proxy operators can tell probes apart.
const USER_AGENT: &str = "GoCommand/1 (+https://go.dev/cmd/go) goshim-probe";

/// The sumdb path go asks every proxy about.
const SUMDB_NAME: &str = "sum.golang.org";

/// When a round may end before every target answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// As soon as no candidate ranked above the best healthy one is pending (and the checksum
    /// question is settled): what a go command waits for.
    Decided,
    /// Every target answered or the deadline passed: what a refresh waits for.
    All,
}

/// The verdicts already known (fresh in the cache); `None` entries are probed.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub proxies: Vec<Option<Verdict>>,
    pub sumdbs: Vec<Option<Verdict>>,
}

impl Known {
    /// Nothing known: probe everything.
    pub fn nothing(candidates: &Candidates, settings: &Settings) -> Known {
        Known {
            proxies: vec![None; candidates.proxies.len()],
            sumdbs: vec![None; settings.sumdbs.len()],
        }
    }
}

/// The outcome of a round: one verdict per candidate and per database, in input order.
#[derive(Debug, Clone)]
pub struct Round {
    pub proxies: Vec<Verdict>,
    pub sumdbs: Vec<Verdict>,
    /// Which verdicts were observed in this round (the rest came from `Known` or are unknown).
    pub observed_proxies: Vec<bool>,
    pub observed_sumdbs: Vec<bool>,
    pub elapsed: Duration,
}

/// What a candidate's probe asks: the probe module, or only reachability when that module is
/// private (a probe never carries a private path).
pub fn probe_label(candidates: &Candidates, settings: &Settings) -> String {
    if is_private(&candidates.private_patterns, &settings.probe_module) {
        "reachability".to_string()
    } else {
        format!("{}@{}", settings.probe_module, settings.probe_version)
    }
}

/// Runs one round. Targets with a `Known` verdict are not probed. Never fails: a target that
/// cannot be probed gets an unhealthy verdict with the reason.
pub fn run(
    candidates: &Candidates,
    settings: &Settings,
    net: &NetEnv,
    known: Known,
    until: Until,
    now: SystemTime,
) -> Round {
    let started = Instant::now();
    let label = probe_label(candidates, settings);
    let mut proxies: Vec<Option<Verdict>> = known.proxies;
    proxies.resize(candidates.proxies.len(), None);
    let mut sumdbs: Vec<Option<Verdict>> = known.sumdbs;
    sumdbs.resize(settings.sumdbs.len(), None);
    let observed_proxies: Vec<bool> = proxies.iter().map(Option::is_none).collect();
    let observed_sumdbs: Vec<bool> = sumdbs.iter().map(Option::is_none).collect();

    let mut state = RoundState { proxies, sumdbs };
    if !state.all_done() {
        let to_probe = ToProbe {
            proxies: &observed_proxies,
            sumdbs: &observed_sumdbs,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the probe runtime: {e}"));
        let ctx = ProbeCtx::new(candidates, settings, net, &label, now, to_probe);
        match runtime.and_then(|rt| Ok((rt, ctx?))) {
            Ok((rt, ctx)) => {
                let deadline = tokio::time::Instant::from_std(started + settings.deadline);
                rt.block_on(drive(
                    &mut state,
                    Arc::new(ctx),
                    candidates,
                    settings,
                    until,
                    deadline,
                ));
                // Pending DNS lookups run on blocking threads: never wait for them.
                rt.shutdown_background();
            }
            Err(detail) => state.fill_pending(&label, now, || Reason::Other {
                detail: detail.clone(),
            }),
        }
    }
    Round {
        proxies: state
            .proxies
            .into_iter()
            .map(|v| v.unwrap_or_else(|| Verdict::unknown(&label)))
            .collect(),
        sumdbs: state
            .sumdbs
            .into_iter()
            .map(|v| v.unwrap_or_else(|| Verdict::unknown("latest")))
            .collect(),
        observed_proxies,
        observed_sumdbs,
        elapsed: started.elapsed(),
    }
}

/// What a go command's decision depends on, given the proxy verdicts known so far (`None`: not
/// known yet), in rank order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stakes {
    /// The first healthy candidate: the one go is pointed at (those below it only matter for a
    /// refresh).
    pub best: Option<usize>,
    /// The checksum databases matter: no healthy candidate says it proxies sum.golang.org.
    pub sumdbs: bool,
}

/// What the decision depends on (see [`Stakes`]).
pub fn stakes(proxies: &[Option<&Verdict>]) -> Stakes {
    let best = proxies
        .iter()
        .position(|v| v.is_some_and(|v| v.status == Status::Healthy));
    let through_proxy =
        best.is_some_and(|b| proxies[b].is_some_and(|v| v.sumdb == SumdbSupport::Supported));
    Stakes {
        best,
        sumdbs: !through_proxy,
    }
}

/// Whether a round is decided: no verdict the go command's decision needs is missing. That is
/// every candidate ranked above the first healthy one (every candidate when none is healthy),
/// and every checksum database unless that candidate proxies sum.golang.org. `sumdbs` says which
/// database verdicts are known. Both a round in progress and the cache ask this.
pub fn decided(proxies: &[Option<&Verdict>], sumdbs: &[bool]) -> bool {
    let stakes = stakes(proxies);
    let above = &proxies[..stakes.best.unwrap_or(proxies.len())];
    above.iter().all(Option::is_some) && (!stakes.sumdbs || sumdbs.iter().all(|known| *known))
}

struct RoundState {
    proxies: Vec<Option<Verdict>>,
    sumdbs: Vec<Option<Verdict>>,
}

impl RoundState {
    fn all_done(&self) -> bool {
        self.proxies.iter().all(Option::is_some) && self.sumdbs.iter().all(Option::is_some)
    }

    /// True when the go command's decision cannot change any more ([`decided`]).
    fn decided(&self) -> bool {
        let proxies: Vec<Option<&Verdict>> = self.proxies.iter().map(Option::as_ref).collect();
        let sumdbs: Vec<bool> = self.sumdbs.iter().map(Option::is_some).collect();
        decided(&proxies, &sumdbs)
    }

    fn fill_pending(&mut self, label: &str, now: SystemTime, reason: impl Fn() -> Reason) {
        let make = |probe: &str| Verdict {
            status: Status::Unhealthy,
            reason: reason(),
            latency_ms: None,
            sumdb: SumdbSupport::Unknown,
            checked_at: unix_secs(now),
            failures: 0,
            probe: probe.to_string(),
        };
        for v in self.proxies.iter_mut().filter(|v| v.is_none()) {
            *v = Some(make(label));
        }
        for v in self.sumdbs.iter_mut().filter(|v| v.is_none()) {
            *v = Some(make("latest"));
        }
    }
}

enum Job {
    Proxy(usize),
    SumDb(usize),
}

async fn drive(
    state: &mut RoundState,
    ctx: Arc<ProbeCtx>,
    candidates: &Candidates,
    settings: &Settings,
    until: Until,
    deadline: tokio::time::Instant,
) {
    let mut set = JoinSet::new();
    for (i, c) in candidates.proxies.iter().enumerate() {
        if state.proxies[i].is_none() {
            let (ctx, c) = (Arc::clone(&ctx), c.clone());
            set.spawn(async move { (Job::Proxy(i), ctx.probe_proxy(&c).await) });
        }
    }
    for (i, db) in settings.sumdbs.iter().enumerate() {
        if state.sumdbs[i].is_none() {
            let (ctx, db) = (Arc::clone(&ctx), db.clone());
            set.spawn(async move { (Job::SumDb(i), ctx.probe_sumdb(&db).await) });
        }
    }
    let mut hit_deadline = false;
    loop {
        let done = match until {
            Until::Decided => state.decided(),
            Until::All => state.all_done(),
        };
        if done {
            break;
        }
        match tokio::time::timeout_at(deadline, set.join_next()).await {
            Ok(Some(Ok((Job::Proxy(i), v)))) => state.proxies[i] = Some(v),
            Ok(Some(Ok((Job::SumDb(i), v)))) => state.sumdbs[i] = Some(v),
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                hit_deadline = true;
                break;
            }
        }
    }
    set.abort_all();
    if hit_deadline {
        let ms = settings.deadline.as_millis() as u64;
        state.fill_pending(&ctx.label, ctx.now, || Reason::Timeout {
            stage: "deadline".into(),
            ms,
        });
    }
}

/// Which targets a round probes (the others are known).
#[derive(Clone, Copy)]
struct ToProbe<'a> {
    proxies: &'a [bool],
    sumdbs: &'a [bool],
}

/// Everything a probe needs, shared by the tasks of one round.
struct ProbeCtx {
    client: Client,
    netrc: Netrc,
    label: String,
    reach_only: bool,
    capability_allowed: bool,
    module: String,
    version: String,
    now: SystemTime,
    timeout: Duration,
}

impl ProbeCtx {
    fn new(
        candidates: &Candidates,
        settings: &Settings,
        net: &NetEnv,
        label: &str,
        now: SystemTime,
        to_probe: ToProbe<'_>,
    ) -> Result<ProbeCtx, String> {
        let https = |url: &str| url.starts_with("https:");
        let needs_tls = candidates
            .proxies
            .iter()
            .zip(to_probe.proxies)
            .any(|(c, probe)| *probe && https(&c.url))
            || settings
                .sumdbs
                .iter()
                .zip(to_probe.sumdbs)
                .any(|(d, probe)| *probe && https(&d.url));
        let client = http::client(
            net,
            ClientOptions {
                connect: settings.connect_timeout,
                total: Some(settings.timeout),
                needs_tls,
                user_agent: USER_AGENT,
            },
        )?;
        let netrc = net.netrc(settings.netrc);
        Ok(ProbeCtx {
            client,
            netrc,
            label: label.to_string(),
            reach_only: label == "reachability",
            capability_allowed: !is_private(&candidates.private_patterns, SUMDB_NAME),
            module: settings.probe_module.clone(),
            version: settings.probe_version.clone(),
            now,
            timeout: settings.timeout,
        })
    }

    fn verdict(&self, status: Status, reason: Reason, latency: Option<Duration>) -> Verdict {
        Verdict {
            status,
            reason,
            latency_ms: latency.map(|d| d.as_millis() as u64),
            sumdb: SumdbSupport::Unknown,
            checked_at: unix_secs(self.now),
            failures: 0,
            probe: self.label.clone(),
        }
    }

    async fn probe_proxy(&self, c: &Candidate) -> Verdict {
        let base = c.url.trim_end_matches('/');
        let parsed = match Url::parse(base) {
            Ok(u) => u,
            Err(e) => {
                return self.verdict(
                    Status::Unhealthy,
                    Reason::InvalidUrl {
                        detail: e.to_string(),
                    },
                    None,
                );
            }
        };
        match parsed.scheme() {
            "file" => return self.probe_dir(&parsed),
            "http" if !parsed.username().is_empty() || parsed.password().is_some() => {
                return self.verdict(Status::Unhealthy, Reason::CredentialsOverHttp, None);
            }
            "http" | "https" => {}
            other => {
                return self.verdict(
                    Status::Unhealthy,
                    Reason::InvalidUrl {
                        detail: format!("scheme {other:?} (must be https, http, file)"),
                    },
                    None,
                );
            }
        }
        let supported_url = format!("{base}/sumdb/{SUMDB_NAME}/supported");
        if self.reach_only {
            let url = if self.capability_allowed {
                supported_url
            } else {
                format!("{base}/")
            };
            let start = Instant::now();
            let got = self.fetch(&url, false).await;
            let latency = start.elapsed();
            let mut v = match &got {
                Ok((200 | 404 | 410, _, _)) => {
                    self.verdict(Status::Reachable, Reason::ReachabilityOnly, Some(latency))
                }
                Ok((status, _, sent)) => self.classify_status(*status, *sent),
                Err(reason) => self.verdict(Status::Unhealthy, reason.clone(), None),
            };
            if self.capability_allowed {
                v.sumdb = match &got {
                    Ok((status, _, _)) => sumdb_from(*status),
                    Err(_) => SumdbSupport::Failed,
                };
            }
            return v;
        }
        let info_url = format!(
            "{base}/{}/@v/{}.info",
            escape_module_path(&self.module),
            escape_module_path(&self.version)
        );
        let info = async {
            let start = Instant::now();
            let got = self.fetch(&info_url, true).await;
            (got, start.elapsed())
        };
        let capability = async {
            if self.capability_allowed {
                Some(self.fetch(&supported_url, false).await)
            } else {
                None
            }
        };
        let ((got, latency), cap) = tokio::join!(info, capability);
        let mut v = match got {
            Ok((200, body, _)) => self.classify_info(&body, latency),
            Ok((status @ (404 | 410), _, _)) => self.verdict(
                Status::Reachable,
                Reason::NotFound { status },
                Some(latency),
            ),
            Ok((status, _, sent)) => self.classify_status(status, sent),
            Err(reason) => self.verdict(Status::Unhealthy, reason, None),
        };
        v.sumdb = match cap {
            Some(Ok((status, _, _))) => sumdb_from(status),
            Some(Err(_)) => SumdbSupport::Failed,
            None => SumdbSupport::Unknown,
        };
        v
    }

    fn classify_info(&self, body: &[u8], latency: Duration) -> Verdict {
        let json: serde_json::Value = match serde_json::from_slice(body) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            _ => return self.verdict(Status::Unhealthy, Reason::NotJson, None),
        };
        match json.get("Version").and_then(|v| v.as_str()) {
            Some(v) if v == self.version => {
                self.verdict(Status::Healthy, Reason::Answered, Some(latency))
            }
            other => self.verdict(
                Status::Unhealthy,
                Reason::WrongVersion {
                    got: other.unwrap_or_default().to_string(),
                },
                None,
            ),
        }
    }

    fn classify_status(&self, status: u16, sent_credentials: bool) -> Verdict {
        match status {
            401 | 403 => self.verdict(
                Status::NeedsCredentials,
                Reason::Denied {
                    status,
                    sent_credentials,
                },
                None,
            ),
            500..=599 => self.verdict(Status::Unhealthy, Reason::ServerError { status }, None),
            _ => self.verdict(Status::Unhealthy, Reason::UnexpectedStatus { status }, None),
        }
    }

    fn probe_dir(&self, url: &Url) -> Verdict {
        let Ok(dir) = url.to_file_path() else {
            return self.verdict(
                Status::Unhealthy,
                Reason::InvalidUrl {
                    detail: "invalid file:// proxy URL with non-path elements".into(),
                },
                None,
            );
        };
        let start = Instant::now();
        let mut v = match std::fs::read_dir(&dir) {
            Ok(_) => self.verdict(
                Status::Healthy,
                Reason::DirectoryReadable,
                Some(start.elapsed()),
            ),
            Err(e) => self.verdict(
                Status::Unhealthy,
                Reason::Directory {
                    detail: format!("{}: {e}", dir.display()),
                },
                None,
            ),
        };
        if v.status == Status::Healthy {
            v.sumdb = if dir
                .join("sumdb")
                .join(SUMDB_NAME)
                .join("supported")
                .is_file()
            {
                SumdbSupport::Supported
            } else {
                SumdbSupport::NotSupported
            };
        }
        v
    }

    async fn probe_sumdb(&self, db: &SumdbEndpoint) -> Verdict {
        let url = format!("{}/latest", db.url.trim_end_matches('/'));
        let start = Instant::now();
        let got = self.fetch(&url, false).await;
        let latency = start.elapsed();
        let mut v = match got {
            Ok((200, body, _)) if body.starts_with(b"go.sum database tree") => {
                self.verdict(Status::Healthy, Reason::Answered, Some(latency))
            }
            Ok((200, _, _)) => self.verdict(
                Status::Unhealthy,
                Reason::Other {
                    detail: "HTTP 200 that is not a checksum database tree (captive portal?)"
                        .into(),
                },
                None,
            ),
            Ok((status, _, sent)) => self.classify_status(status, sent),
            Err(reason) => self.verdict(Status::Unhealthy, reason, None),
        };
        v.probe = "latest".into();
        v
    }

    /// One GET as go would send it: `(status, body of a 200, credentials sent)`.
    async fn fetch(&self, url: &str, module_fetch: bool) -> Result<(u16, Vec<u8>, bool), Reason> {
        let mut req = self.client.get(url);
        if module_fetch {
            req = req.header("Disable-Module-Fetch", "true");
        }
        let (req, sent) = http::with_credentials(req, url, &self.netrc);
        let start = Instant::now();
        let resp = req
            .send()
            .await
            .map_err(|e| classify_error(&e, "response", start.elapsed(), self.timeout))?;
        let status = resp.status().as_u16();
        let body = if status == 200 {
            resp.bytes()
                .await
                .map_err(|e| classify_error(&e, "body", start.elapsed(), self.timeout))?
                .to_vec()
        } else {
            Vec::new()
        };
        Ok((status, body, sent))
    }
}

fn sumdb_from(status: u16) -> SumdbSupport {
    match status {
        200 => SumdbSupport::Supported,
        404 | 410 => SumdbSupport::NotSupported,
        _ => SumdbSupport::Failed,
    }
}

/// Names the failure the way a user can act on it.
fn classify_error(e: &reqwest::Error, stage: &str, elapsed: Duration, timeout: Duration) -> Reason {
    let chain = error_chain(e);
    if e.is_redirect() {
        if chain.contains("insecure URL") {
            return Reason::InsecureRedirect {
                detail: last_cause(e),
            };
        }
        return Reason::TooManyRedirects;
    }
    if e.is_timeout() {
        let stage = if e.is_connect() { "connect" } else { stage };
        let ms = elapsed.min(timeout).as_millis() as u64;
        return Reason::Timeout {
            stage: stage.into(),
            ms,
        };
    }
    let refused = std::iter::successors(std::error::Error::source(e), |s| s.source()).any(|s| {
        s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    });
    if refused {
        return Reason::Refused;
    }
    let detail = last_cause(e);
    if chain.contains("dns error") || chain.contains("failed to lookup address") {
        return Reason::Dns { detail };
    }
    let lower = chain.to_ascii_lowercase();
    if is_tls_error(e) || lower.contains("certificate") || lower.contains("handshake") {
        return Reason::Tls { detail };
    }
    if e.is_connect() {
        return Reason::Connect { detail };
    }
    Reason::Other { detail: chain }
}

/// A rustls error anywhere in the chain (io errors hide theirs behind `get_ref`, possibly
/// nested).
fn is_tls_error(e: &reqwest::Error) -> bool {
    fn hides_rustls(mut err: &(dyn std::error::Error + 'static)) -> bool {
        loop {
            if err.is::<rustls::Error>() {
                return true;
            }
            match err
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => err = inner,
                None => return false,
            }
        }
    }
    std::iter::successors(std::error::Error::source(e), |s| s.source()).any(hides_rustls)
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = std::error::Error::source(e);
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.join(": ")
}

fn last_cause(e: &reqwest::Error) -> String {
    std::iter::successors(std::error::Error::source(e), |s| s.source())
        .last()
        .map_or_else(|| e.to_string(), |s| s.to_string())
}

/// Whether `path` matches the private patterns (Go's `MatchPrefixPatterns`).
fn is_private(patterns: &str, path: &str) -> bool {
    crate::goenv::pattern::match_prefix_patterns(patterns, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "v0.3.0";

    fn verdict(status: Status, sumdb: SumdbSupport) -> Option<Verdict> {
        Some(Verdict {
            status,
            reason: Reason::Answered,
            latency_ms: None,
            sumdb,
            checked_at: 1,
            failures: 0,
            probe: V.into(),
        })
    }

    /// Proxy verdicts in rank order, which database verdicts are known; the expected best
    /// candidate, whether the databases matter, whether the round is decided.
    type DecidedRow<'a> = (&'a [Option<Verdict>], &'a [bool], Option<usize>, bool, bool);

    #[test]
    fn a_round_is_decided_when_no_needed_verdict_is_missing() {
        use Status::*;
        use SumdbSupport::{NotSupported as NoDb, Supported as Db};
        let (ok, ok_nodb) = (verdict(Healthy, Db), verdict(Healthy, NoDb));
        let (down, reach) = (verdict(Unhealthy, NoDb), verdict(Reachable, Db));
        let dbs_known = &[true, true][..];
        let dbs_pending = &[true, false][..];
        #[rustfmt::skip]
        let rows: &[DecidedRow<'_>] = &[
            (&[ok.clone(), None], dbs_pending, Some(0), false, true),
            (&[None, ok.clone()], dbs_known, Some(1), false, false),
            (&[down.clone(), ok.clone(), None], dbs_pending, Some(1), false, true),
            (&[ok_nodb.clone(), None], dbs_pending, Some(0), true, false),
            (&[ok_nodb.clone(), None], dbs_known, Some(0), true, true),
            (&[ok_nodb.clone(), ok.clone()], dbs_pending, Some(0), true, false),
            (&[reach.clone(), ok.clone()], dbs_pending, Some(1), false, true),
            (&[reach.clone(), None], dbs_known, None, true, false),
            (&[down.clone(), reach.clone()], dbs_known, None, true, true),
            (&[down.clone(), reach.clone()], dbs_pending, None, true, false),
            (&[verdict(Unknown, Db), ok.clone()], dbs_known, Some(1), false, true),
            (&[], dbs_known, None, true, true),
            (&[], &[], None, true, true),
            (&[None], &[], None, true, false),
        ];
        for (proxies, dbs, best, sumdbs, want) in rows {
            let view: Vec<Option<&Verdict>> = proxies.iter().map(Option::as_ref).collect();
            let row = format!(
                "{:?} {dbs:?}",
                view.iter()
                    .map(|v| v.map(|v| (v.status, v.sumdb)))
                    .collect::<Vec<_>>()
            );
            assert_eq!(
                stakes(&view),
                Stakes {
                    best: *best,
                    sumdbs: *sumdbs
                },
                "{row}"
            );
            assert_eq!(decided(&view, dbs), *want, "{row}");
        }
    }
}
