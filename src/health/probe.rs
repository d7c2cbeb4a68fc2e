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
use crate::goenv::pattern::match_prefix_patterns;
use crate::http::{self, ClientOptions, NetEnv, Netrc};

/// The User-Agent of go 1.27, tagged so proxy operators can tell probes apart.
const USER_AGENT: &str = "GoCommand/1 (+https://go.dev/cmd/go) goshim-probe";

/// The sumdb path go asks every proxy about.
const SUMDB_NAME: &str = "sum.golang.org";

/// When a round may end before every target answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// As soon as no candidate ranked above the best healthy one and no private proxy is
    /// pending (and the checksum question is settled): what a go command waits for.
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
    if match_prefix_patterns(&candidates.private_patterns, &settings.probe_module) {
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
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the probe runtime: {e}"));
        let ctx = ProbeCtx::new(candidates, settings, net, &label, now);
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
/// every private proxy (go is only pointed at one that answered), and every checksum database
/// unless that candidate proxies sum.golang.org. `proxies` follows `candidates`; `sumdbs` says
/// which database verdicts are known. Both a round in progress and the cache ask this.
pub fn decided(candidates: &[Candidate], proxies: &[Option<&Verdict>], sumdbs: &[bool]) -> bool {
    let stakes = stakes(proxies);
    let above = &proxies[..stakes.best.unwrap_or(proxies.len())];
    let private_known = candidates
        .iter()
        .zip(proxies)
        .all(|(c, v)| !c.private || v.is_some());
    above.iter().all(Option::is_some)
        && private_known
        && (!stakes.sumdbs || sumdbs.iter().all(|known| *known))
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
    fn decided(&self, candidates: &Candidates) -> bool {
        let proxies: Vec<Option<&Verdict>> = self.proxies.iter().map(Option::as_ref).collect();
        let sumdbs: Vec<bool> = self.sumdbs.iter().map(Option::is_some).collect();
        decided(&candidates.proxies, &proxies, &sumdbs)
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
            Until::Decided => state.decided(candidates),
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
    ) -> Result<ProbeCtx, String> {
        let client = http::client(
            net,
            ClientOptions {
                connect: settings.connect_timeout,
                total: Some(settings.timeout),
                user_agent: USER_AGENT,
            },
        )?;
        let netrc = net.netrc(settings.netrc);
        Ok(ProbeCtx {
            client,
            netrc,
            label: label.to_string(),
            reach_only: label == "reachability",
            capability_allowed: !match_prefix_patterns(&candidates.private_patterns, SUMDB_NAME),
            module: settings.probe_module.clone(),
            version: settings.probe_version.clone(),
            now,
            timeout: settings.timeout,
        })
    }

    /// A verdict stamped with this round's time; `latency` is kept for an answer (healthy or
    /// reachable) only.
    fn verdict(&self, (status, reason): (Status, Reason), latency: Option<Duration>) -> Verdict {
        let answered = matches!(status, Status::Healthy | Status::Reachable);
        Verdict {
            status,
            reason,
            latency_ms: latency.filter(|_| answered).map(|d| d.as_millis() as u64),
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
                    (
                        Status::Unhealthy,
                        Reason::InvalidUrl {
                            detail: e.to_string(),
                        },
                    ),
                    None,
                );
            }
        };
        match parsed.scheme() {
            "file" => return self.probe_dir(&parsed),
            "http" if !parsed.username().is_empty() || parsed.password().is_some() => {
                return self.verdict((Status::Unhealthy, Reason::CredentialsOverHttp), None);
            }
            "http" | "https" => {}
            other => {
                return self.verdict(
                    (
                        Status::Unhealthy,
                        Reason::InvalidUrl {
                            detail: format!("scheme {other:?} (must be https, http, file)"),
                        },
                    ),
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
                Ok((status, body, sent)) => self.verdict(
                    classify(Asked::Reachability, *status, body, *sent),
                    Some(latency),
                ),
                Err(reason) => self.verdict((Status::Unhealthy, reason.clone()), None),
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
        let asked = Asked::Info {
            version: &self.version,
        };
        let mut v = match got {
            Ok((status, body, sent)) => {
                self.verdict(classify(asked, status, &body, sent), Some(latency))
            }
            Err(reason) => self.verdict((Status::Unhealthy, reason), None),
        };
        v.sumdb = match cap {
            Some(Ok((status, _, _))) => sumdb_from(status),
            Some(Err(_)) => SumdbSupport::Failed,
            None => SumdbSupport::Unknown,
        };
        v
    }

    fn probe_dir(&self, url: &Url) -> Verdict {
        let Ok(dir) = url.to_file_path() else {
            return self.verdict(
                (
                    Status::Unhealthy,
                    Reason::InvalidUrl {
                        detail: "invalid file:// proxy URL with non-path elements".into(),
                    },
                ),
                None,
            );
        };
        let start = Instant::now();
        let mut v = match std::fs::read_dir(&dir) {
            Ok(_) => self.verdict(
                (Status::Healthy, Reason::DirectoryReadable),
                Some(start.elapsed()),
            ),
            Err(e) => self.verdict(
                (
                    Status::Unhealthy,
                    Reason::Directory {
                        detail: format!("{}: {e}", dir.display()),
                    },
                ),
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
            Ok((status, body, sent)) => {
                self.verdict(classify(Asked::Latest, status, &body, sent), Some(latency))
            }
            Err(reason) => self.verdict((Status::Unhealthy, reason), None),
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
            .map_err(|e| Failure::of(&e).reason("response", start.elapsed(), self.timeout))?;
        let status = resp.status().as_u16();
        let body = if status == 200 {
            resp.bytes()
                .await
                .map_err(|e| Failure::of(&e).reason("body", start.elapsed(), self.timeout))?
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

/// Which request an answer came from: it decides what a healthy answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked<'a> {
    /// `<proxy>/<module>/@v/<version>.info`: a healthy proxy answers this version's JSON.
    Info { version: &'a str },
    /// `<proxy>/sumdb/sum.golang.org/supported`, or `<proxy>/` when even that name is private:
    /// any answer but an error status shows the proxy is there.
    Reachability,
    /// `<database>/latest`: a checksum database answers its signed tree head.
    Latest,
}

/// The verdict class and reason for an HTTP answer to `asked` (`body`: a 200's body; empty
/// otherwise).
fn classify(
    asked: Asked<'_>,
    status: u16,
    body: &[u8],
    sent_credentials: bool,
) -> (Status, Reason) {
    match (asked, status) {
        (Asked::Info { version }, 200) => classify_info(body, version),
        (Asked::Info { .. }, 404 | 410) => (Status::Reachable, Reason::NotFound { status }),
        (Asked::Reachability, 200 | 404 | 410) => (Status::Reachable, Reason::ReachabilityOnly),
        (Asked::Latest, 200) if body.starts_with(b"go.sum database tree") => {
            (Status::Healthy, Reason::Answered)
        }
        (Asked::Latest, 200) => (
            Status::Unhealthy,
            Reason::Other {
                detail: "HTTP 200 that is not a checksum database tree (captive portal?)".into(),
            },
        ),
        (_, 401 | 403) => (
            Status::NeedsCredentials,
            Reason::Denied {
                status,
                sent_credentials,
            },
        ),
        (_, 500..=599) => (Status::Unhealthy, Reason::ServerError { status }),
        _ => (Status::Unhealthy, Reason::UnexpectedStatus { status }),
    }
}

/// A 200 to the `.info` probe: JSON naming `version`, as go checks it.
fn classify_info(body: &[u8], version: &str) -> (Status, Reason) {
    let json: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => return (Status::Unhealthy, Reason::NotJson),
    };
    match json.get("Version").and_then(|v| v.as_str()) {
        Some(v) if v == version => (Status::Healthy, Reason::Answered),
        other => (
            Status::Unhealthy,
            Reason::WrongVersion {
                got: other.unwrap_or_default().to_string(),
            },
        ),
    }
}

/// What a failed request tells: reqwest's flags and the messages of its cause chain. Read from
/// the error once ([`Failure::of`]); the reason is then a pure function of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Failure {
    redirect: bool,
    timeout: bool,
    connect: bool,
    /// An io `ConnectionRefused` somewhere in the cause chain.
    refused: bool,
    /// A rustls error somewhere in the cause chain (io errors hide theirs behind `get_ref`,
    /// possibly nested).
    tls: bool,
    /// Every message of the chain, outermost first, joined with ": ".
    chain: String,
    /// The innermost cause's message (the error's own when it has no cause).
    cause: String,
}

impl Failure {
    fn of(e: &reqwest::Error) -> Failure {
        let causes = || std::iter::successors(std::error::Error::source(e), |s| s.source());
        let refused = causes().any(|s| {
            s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        });
        let chain = std::iter::once(e.to_string())
            .chain(causes().map(std::string::ToString::to_string))
            .collect::<Vec<_>>()
            .join(": ");
        Failure {
            redirect: e.is_redirect(),
            timeout: e.is_timeout(),
            connect: e.is_connect(),
            refused,
            tls: causes().any(hides_rustls),
            chain,
            cause: causes()
                .last()
                .map_or_else(|| e.to_string(), std::string::ToString::to_string),
        }
    }

    /// Names the failure the way a user can act on it. `stage` is what was awaited (response
    /// or body); a timeout reports at most `timeout`.
    fn reason(&self, stage: &str, elapsed: Duration, timeout: Duration) -> Reason {
        let detail = || self.cause.clone();
        if self.redirect {
            if self.chain.contains("insecure URL") {
                return Reason::InsecureRedirect { detail: detail() };
            }
            return Reason::TooManyRedirects;
        }
        if self.timeout {
            let stage = if self.connect { "connect" } else { stage };
            return Reason::Timeout {
                stage: stage.into(),
                ms: elapsed.min(timeout).as_millis() as u64,
            };
        }
        if self.refused {
            return Reason::Refused;
        }
        if self.chain.contains("dns error") || self.chain.contains("failed to lookup address") {
            return Reason::Dns { detail: detail() };
        }
        let lower = self.chain.to_ascii_lowercase();
        if self.tls || lower.contains("certificate") || lower.contains("handshake") {
            return Reason::Tls { detail: detail() };
        }
        if self.connect {
            return Reason::Connect { detail: detail() };
        }
        Reason::Other {
            detail: self.chain.clone(),
        }
    }
}

/// A rustls error, directly or behind (possibly nested) io errors.
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

#[cfg(test)]
mod tests;
