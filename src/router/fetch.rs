//! One request across its upstreams: per-attempt deadlines, hedged copies when an attempt
//! stalls, failover, jittered retries within a budget, and the final answer (router-facts §8,
//! §10, §11.4–7).
//!
//! Every attempt runs as a task of a [`JoinSet`]: the first complete, checked answer wins and
//! dropping the set cancels the others (a client that disconnects drops the whole request the
//! same way).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::health::SumdbSupport;
use crate::http::Netrc;

use super::policy::{self, ErrorAnswer, Outcome};
use super::request::{Kind, Request};
use super::spool::{MAX_METADATA, MAX_ZIP, Spool, Spooled};
use super::table::{RouterSettings, ZIP_CAP};
use super::upstreams::{Role, Upstreams, sanitize};
use super::verify::{Check, Judgement, Streamer};
use crate::goenv::gosum::SumKind;

/// A body slower than this (bytes per second, averaged since the headers) counts as stalled
/// for hedging once the hedge delay has passed: a mirror trickling a zip is passed over even
/// though a byte arrives now and then.
const MIN_RATE: f64 = 8.0 * 1024.0;
/// First retry back-off, doubled per attempt up to [`BACKOFF_MAX`], jittered ±50%.
const BACKOFF_BASE: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How often a waiting request looks again (ejections by other requests, budget).
const TICK: Duration = Duration::from_millis(250);
/// A zip download still running after this long gets progress lines (with `Ctx::progress`),
/// one per [`PROGRESS_EVERY`].
const PROGRESS_AFTER: Duration = Duration::from_secs(2);
const PROGRESS_EVERY: Duration = Duration::from_secs(3);

/// What every request of one router shares.
#[derive(Debug)]
pub struct Ctx {
    pub client: reqwest::Client,
    pub netrc: Netrc,
    pub settings: RouterSettings,
    pub upstreams: Upstreams,
    /// Where spooled zips go (unlinked at once).
    pub spool_dir: PathBuf,
    /// Print progress lines for long zip downloads (goshim decided: stderr is a terminal and
    /// not quiet, or `GOSHIM_LOG=debug`).
    pub progress: bool,
    rng: AtomicU64,
}

impl Ctx {
    pub fn new(
        client: reqwest::Client,
        netrc: Netrc,
        settings: RouterSettings,
        upstreams: Upstreams,
        spool_dir: PathBuf,
        seed: u64,
    ) -> Ctx {
        Ctx {
            client,
            netrc,
            settings,
            upstreams,
            spool_dir,
            progress: false,
            rng: AtomicU64::new(seed | 1),
        }
    }

    /// A factor in [0.5, 1.5) for jitter (xorshift64).
    fn jitter(&self) -> f64 {
        let mut x = self.rng.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.store(x, Ordering::Relaxed);
        0.5 + (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Where one request may go: an upstream and the full URL to ask it.
#[derive(Debug, Clone)]
pub struct Route {
    pub upstream: usize,
    pub url: String,
}

/// The result of one request.
#[derive(Debug)]
pub enum Fetched {
    /// A complete, checked body from upstream `via`; `checked` says how its `h1:` was
    /// checked (for the debug trace).
    Found {
        body: Spooled,
        via: usize,
        attempts: u32,
        checked: Option<String>,
    },
    /// No upstream had it, or none could tell.
    Error { answer: ErrorAnswer, attempts: u32 },
}

/// Why an attempt did not produce an answer.
#[derive(Debug, Clone)]
struct Failure {
    what: String,
    timeout: bool,
    retryable: bool,
    retry_after: Option<Duration>,
    /// It served a body whose `h1:` hash is not the one go requires.
    mismatch: bool,
}

impl Failure {
    fn retry(what: impl Into<String>) -> Failure {
        Failure {
            what: what.into(),
            timeout: false,
            retryable: true,
            retry_after: None,
            mismatch: false,
        }
    }

    fn fatal(what: impl Into<String>) -> Failure {
        Failure {
            retryable: false,
            ..Failure::retry(what)
        }
    }

    fn timeout(what: impl Into<String>) -> Failure {
        Failure {
            timeout: true,
            ..Failure::retry(what)
        }
    }
}

enum AttemptResult {
    Found(Spooled, Option<String>),
    NotFound,
    Failed(Failure),
}

/// How far an attempt got, watched by the driver for hedging.
#[derive(Debug)]
struct Progress {
    started: Instant,
    m: Mutex<ProgressInner>,
}

#[derive(Debug, Clone, Copy)]
struct ProgressInner {
    headers: Option<Instant>,
    last: Instant,
    bytes: u64,
    /// The announced `Content-Length`.
    total: Option<u64>,
    /// The body is complete and being checked: not stalled, whatever the time.
    checking: bool,
}

impl Progress {
    fn new(now: Instant) -> Progress {
        Progress {
            started: now,
            m: Mutex::new(ProgressInner {
                headers: None,
                last: now,
                bytes: 0,
                total: None,
                checking: false,
            }),
        }
    }

    fn get(&self) -> ProgressInner {
        *self
            .m
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn headers(&self, total: Option<u64>) {
        let mut g = self
            .m
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        g.headers = Some(now);
        g.last = now;
        g.total = total;
    }

    fn bytes(&self, n: usize) {
        let mut g = self
            .m
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.last = Instant::now();
        g.bytes += n as u64;
    }

    fn checking(&self) {
        self.m
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .checking = true;
    }

    /// When this attempt counts as stalled for hedging if nothing changes: no bytes for
    /// `delay`, or a body slower than [`MIN_RATE`] once `delay` has passed since its headers.
    /// A body being checked never stalls.
    fn stall_at(&self, delay: Duration, now: Instant) -> Instant {
        let p = self.get();
        if p.checking {
            return now + ZIP_CAP;
        }
        let silent = p.last + delay;
        match p.headers {
            Some(h) if now >= h + delay => {
                let secs = now.duration_since(h).as_secs_f64().max(1e-3);
                if (p.bytes as f64) / secs < MIN_RATE {
                    now
                } else {
                    silent
                }
            }
            Some(h) => silent.min(h + delay),
            None => silent,
        }
    }
}

/// Progress lines of one zip request: after [`PROGRESS_AFTER`], one per [`PROGRESS_EVERY`]
/// for the attempt that got furthest (module@version, bytes of total, rate, upstream), and a
/// last line once it is done. Upstreams are named by label: never a token or credentials.
struct Report {
    next: Instant,
    printed: bool,
}

impl Report {
    fn new(started: Instant) -> Report {
        Report {
            next: started + PROGRESS_AFTER,
            printed: false,
        }
    }

    /// The furthest running attempt: its upstream and progress.
    fn furthest(runs: &[Run]) -> Option<(usize, ProgressInner)> {
        runs.iter()
            .filter(|r| r.st == St::Running)
            .filter_map(|r| Some((r.upstream, r.progress.as_ref()?.get())))
            .filter(|(_, p)| p.headers.is_some())
            .max_by_key(|(_, p)| p.bytes)
    }

    fn tick(&mut self, ctx: &Ctx, req: &Request, runs: &[Run], now: Instant) {
        if now < self.next {
            return;
        }
        self.next = now + PROGRESS_EVERY;
        let Some((u, p)) = Report::furthest(runs) else {
            return;
        };
        let label = ctx.upstreams.label(u);
        let what = req.describe();
        let line = if p.checking {
            format!("goshim: checking {what} ({}) from {label}", mb(p.bytes))
        } else {
            let secs = p
                .headers
                .map_or(0.0, |h| now.duration_since(h).as_secs_f64());
            let rate = if secs > 0.0 {
                format!(", {}/s", mb((p.bytes as f64 / secs) as u64))
            } else {
                String::new()
            };
            let of = match p.total {
                Some(t) if t > 0 => format!(" of {} ({}%)", mb(t), p.bytes.saturating_mul(100) / t),
                _ => String::new(),
            };
            format!(
                "goshim: downloading {what}: {}{of}{rate} from {label}",
                mb(p.bytes)
            )
        };
        eprintln!("{}", sanitize(&line));
        self.printed = true;
    }

    /// The closing line, when progress was shown.
    fn done(&self, ctx: &Ctx, req: &Request, via: usize, bytes: u64, started: Instant) {
        if self.printed {
            eprintln!(
                "goshim: downloaded {}: {} in {:.1} s from {}",
                sanitize(&req.describe()),
                mb(bytes),
                started.elapsed().as_secs_f64(),
                ctx.upstreams.label(via)
            );
        }
    }
}

/// `12.3 MB` (decimal megabytes).
fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Untried,
    Running,
    Waiting(Instant),
    NotFound,
    Failed,
}

struct Run {
    upstream: usize,
    url: String,
    /// Suspect when the request started: tried after the others, not waited for.
    fallback: bool,
    /// Passed over while running (sent nothing for its hedge delay): not waited for.
    stalled: bool,
    st: St,
    attempts: u32,
    progress: Option<Arc<Progress>>,
    failure: Option<Failure>,
}

/// Asks `routes` (in preference order) for `req` and returns the first complete, valid answer
/// (checked with `check` when there is one), or the answer go should get when there is none.
pub async fn fetch(
    ctx: &Arc<Ctx>,
    req: &Arc<Request>,
    routes: Vec<Route>,
    check: Option<Arc<Check>>,
) -> Fetched {
    let started = Instant::now();
    ctx.upstreams.request_arrived(started);
    let ids: Vec<usize> = routes.iter().map(|r| r.upstream).collect();
    let ranked = ctx.upstreams.rank(&ids, started);
    let mut runs: Vec<Run> = ranked
        .into_iter()
        .filter_map(|(u, fallback)| {
            let route = routes.iter().find(|r| r.upstream == u)?;
            Some(Run {
                upstream: u,
                url: route.url.clone(),
                fallback,
                stalled: false,
                st: St::Untried,
                attempts: 0,
                progress: None,
                failure: None,
            })
        })
        .collect();
    let zip = matches!(
        **req,
        Request::Module {
            kind: Kind::Zip,
            ..
        }
    );
    let mut set: JoinSet<(usize, AttemptResult)> = JoinSet::new();
    let mut deadline = started + ctx.settings.request_timeout;
    let mut attempts = 0u32;
    let mut report = (zip && ctx.progress).then(|| Report::new(started));
    loop {
        let now = Instant::now();
        if let Some(r) = &mut report {
            r.tick(ctx, req, &runs, now);
        }
        if let Some(answer) = conclude(ctx, req, &runs, now) {
            return Fetched::Error { answer, attempts };
        }
        if now >= deadline {
            // Past the deadline, a zip still receiving bytes goes on, and so does any body
            // being checked (its checksum lookup has deadlines of its own), up to ZIP_CAP.
            let progressing = now < started + ZIP_CAP
                && runs.iter().any(|r| {
                    r.st == St::Running
                        && r.progress.as_ref().is_some_and(|p| {
                            let p = p.get();
                            p.checking
                                || (zip
                                    && p.headers.is_some()
                                    && now.duration_since(p.last) < ctx.settings.attempt_timeout)
                        })
                });
            if !progressing {
                return Fetched::Error {
                    answer: give_up(ctx, req, &runs),
                    attempts,
                };
            }
            deadline = now + TICK;
        }
        let running = runs.iter().filter(|r| r.st == St::Running).count();
        // Failover: nothing running, an upstream not tried yet.
        if running == 0
            && let Some(j) = runs.iter().position(|r| r.st == St::Untried)
        {
            start(
                ctx,
                req,
                check.as_ref(),
                &mut runs,
                j,
                &mut set,
                &mut attempts,
            );
            continue;
        }
        // Retries that are due.
        let mut retried = false;
        for j in 0..runs.len() {
            if let St::Waiting(at) = runs[j].st
                && at <= now
            {
                if ctx.upstreams.withdraw(now) {
                    start(
                        ctx,
                        req,
                        check.as_ref(),
                        &mut runs,
                        j,
                        &mut set,
                        &mut attempts,
                    );
                    retried = true;
                } else {
                    runs[j].st = St::Failed;
                }
            }
        }
        if retried {
            continue;
        }
        // Hedging: every running attempt has stalled.
        if running > 0
            && hedge(
                ctx,
                req,
                check.as_ref(),
                &mut runs,
                &mut set,
                &mut attempts,
                now,
            )
        {
            continue;
        }
        let mut wake = next_wake(ctx, &runs, now, deadline);
        if let Some(r) = &report {
            wake = wake.min(r.next.max(now + Duration::from_millis(1)));
        }
        tokio::select! {
            Some(joined) = set.join_next(), if !set.is_empty() => {
                let Ok((j, result)) = joined else { continue };
                if let Some((body, checked)) = finish_attempt(ctx, req, &mut runs, j, result, deadline) {
                    let via = runs[j].upstream;
                    if let Some(r) = &report {
                        let bytes = runs[j].progress.as_ref().map_or(0, |p| p.get().bytes);
                        r.done(ctx, req, via, bytes, started);
                    }
                    return Fetched::Found { body, via, attempts, checked };
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

/// Starts an attempt on route `j`, with a notice for the upstreams it replaces.
fn start(
    ctx: &Arc<Ctx>,
    req: &Arc<Request>,
    check: Option<&Arc<Check>>,
    runs: &mut [Run],
    j: usize,
    set: &mut JoinSet<(usize, AttemptResult)>,
    attempts: &mut u32,
) {
    for r in runs.iter() {
        if r.upstream != runs[j].upstream {
            if let Some(f) = &r.failure
                && matches!(r.st, St::Failed | St::Waiting(_))
            {
                ctx.upstreams.notice(r.upstream, &f.what, runs[j].upstream);
            } else if r.stalled {
                let delay = ctx.upstreams.hedge_delay(r.upstream);
                let what = format!("sent nothing for {:.1} s", delay.as_secs_f64());
                ctx.upstreams.notice(r.upstream, &what, runs[j].upstream);
            }
        }
    }
    let run = &mut runs[j];
    run.st = St::Running;
    run.attempts += 1;
    *attempts += 1;
    let progress = Arc::new(Progress::new(Instant::now()));
    run.progress = Some(Arc::clone(&progress));
    ctx.upstreams.attempt_started(run.upstream);
    let (ctx, req, check, url, upstream) = (
        Arc::clone(ctx),
        Arc::clone(req),
        check.cloned(),
        run.url.clone(),
        run.upstream,
    );
    set.spawn(async move {
        let result = attempt(&ctx, &req, upstream, &url, &progress, check.as_deref()).await;
        (j, result)
    });
}

/// Marks stalled attempts and starts a hedged copy on the next untried route. True when
/// something changed.
fn hedge(
    ctx: &Arc<Ctx>,
    req: &Arc<Request>,
    check: Option<&Arc<Check>>,
    runs: &mut [Run],
    set: &mut JoinSet<(usize, AttemptResult)>,
    attempts: &mut u32,
    now: Instant,
) -> bool {
    let all_stalled = runs.iter().filter(|r| r.st == St::Running).all(|r| {
        r.progress
            .as_ref()
            .is_some_and(|p| p.stall_at(ctx.upstreams.hedge_delay(r.upstream), now) <= now)
    });
    let fresh: Vec<usize> = (0..runs.len())
        .filter(|&j| runs[j].st == St::Running && !runs[j].stalled)
        .collect();
    if !all_stalled || fresh.is_empty() {
        return false;
    }
    let target = runs.iter().position(|r| r.st == St::Untried);
    let answered = runs.iter().any(|r| r.st == St::NotFound);
    let free = runs
        .iter()
        .filter(|r| r.st == St::Running)
        .all(|r| ctx.upstreams.ejected(r.upstream, now));
    let hedging = target.is_some() && (free || ctx.upstreams.withdraw(now));
    if !hedging && !answered {
        return false;
    }
    for j in fresh {
        runs[j].stalled = true;
        ctx.upstreams.stalled(runs[j].upstream, now);
    }
    if hedging && let Some(t) = target {
        start(ctx, req, check, runs, t, set, attempts);
    }
    true
}

/// When the driver must look again: the deadline, due retries, the next possible stall.
fn next_wake(ctx: &Ctx, runs: &[Run], now: Instant, deadline: Instant) -> Instant {
    let mut wake = deadline;
    let mut ticking = false;
    for r in runs {
        match r.st {
            St::Waiting(at) => wake = wake.min(at),
            St::Running => {
                ticking = true;
                if !r.stalled
                    && let Some(p) = &r.progress
                {
                    let at = p.stall_at(ctx.upstreams.hedge_delay(r.upstream), now);
                    if at > now {
                        wake = wake.min(at);
                    }
                }
            }
            _ => {}
        }
    }
    if ticking {
        wake = wake.min(now + TICK);
    }
    wake.max(now + Duration::from_millis(1))
}

/// Records an attempt's result; returns the body when it won.
fn finish_attempt(
    ctx: &Ctx,
    req: &Request,
    runs: &mut [Run],
    j: usize,
    result: AttemptResult,
    deadline: Instant,
) -> Option<(Spooled, Option<String>)> {
    let now = Instant::now();
    let u = runs[j].upstream;
    match result {
        AttemptResult::Found(body, checked) => {
            ctx.upstreams.answered(u, true);
            if matches!(req, Request::SumdbLookup { .. } | Request::SumdbTile { .. }) {
                learn_sumdb(ctx, runs, u);
            }
            Some((body, checked))
        }
        AttemptResult::NotFound => {
            ctx.upstreams.answered(u, false);
            runs[j].st = St::NotFound;
            None
        }
        AttemptResult::Failed(f) => {
            ctx.upstreams
                .failed(u, &f.what, f.timeout, f.retry_after, now);
            if f.mismatch {
                ctx.upstreams.mismatched(u);
            }
            let run = &mut runs[j];
            run.st = St::Failed;
            if f.retryable && run.attempts <= ctx.settings.retries {
                let exp = 2u32.saturating_pow(run.attempts.saturating_sub(1));
                let backoff = BACKOFF_BASE
                    .saturating_mul(exp)
                    .min(BACKOFF_MAX)
                    .mul_f64(ctx.jitter());
                let at = now + backoff.max(f.retry_after.unwrap_or_default());
                if at < deadline {
                    run.st = St::Waiting(at);
                }
            }
            run.failure = Some(f);
            None
        }
    }
}

/// A checksum answer through a proxy proves it proxies the database; a proxy that said "not
/// found" to what the database itself served does not.
fn learn_sumdb(ctx: &Ctx, runs: &[Run], winner: usize) {
    let up = &ctx.upstreams;
    if up.with_role(Role::Public).contains(&winner) {
        up.learn_sumdb(winner, SumdbSupport::Supported);
    } else {
        for r in runs.iter().filter(|r| r.st == St::NotFound) {
            if up.with_role(Role::Public).contains(&r.upstream) {
                up.learn_sumdb(r.upstream, SumdbSupport::NotSupported);
            }
        }
    }
}

/// A 404 once some upstream said "not found" and no upstream that counts is still unresolved;
/// the final error once nothing is left to try.
fn conclude(ctx: &Ctx, req: &Request, runs: &[Run], now: Instant) -> Option<ErrorAnswer> {
    let not_found = runs.iter().any(|r| r.st == St::NotFound);
    let blocking = |r: &Run| !r.fallback && !r.stalled && !ctx.upstreams.ejected(r.upstream, now);
    let unresolved = runs
        .iter()
        .any(|r| blocking(r) && !matches!(r.st, St::NotFound));
    if not_found && !unresolved {
        return Some(policy::error_answer(&req.describe(), &[]));
    }
    let open = runs
        .iter()
        .any(|r| matches!(r.st, St::Untried | St::Running | St::Waiting(_)));
    (!open).then(|| give_up(ctx, req, runs))
}

/// The answer from what each tried upstream did.
fn give_up(ctx: &Ctx, req: &Request, runs: &[Run]) -> ErrorAnswer {
    let outcomes: Vec<(String, Outcome)> = runs
        .iter()
        .filter(|r| r.st != St::Untried)
        .map(|r| {
            let outcome = match (&r.st, &r.failure) {
                (St::NotFound, _) => Outcome::NotFound,
                (St::Running, _) => Outcome::Failed {
                    what: format!(
                        "no complete answer within {} s",
                        ctx.settings.request_timeout.as_secs()
                    ),
                    timeout: true,
                },
                (_, Some(f)) => Outcome::Failed {
                    what: f.what.clone(),
                    timeout: f.timeout,
                },
                (_, None) => Outcome::Failed {
                    what: "failed".into(),
                    timeout: false,
                },
            };
            (ctx.upstreams.label(r.upstream), outcome)
        })
        .collect();
    policy::error_answer(&req.describe(), &outcomes)
}

/// One GET of `url`: deadlines for the headers and for each body chunk, size limits, exact
/// length, and the body checked (its `h1:` hash too, with `check`) before it can win.
async fn attempt(
    ctx: &Ctx,
    req: &Request,
    upstream: usize,
    url: &str,
    progress: &Progress,
    check: Option<&Check>,
) -> AttemptResult {
    let limit = ctx.settings.attempt_timeout;
    if url.starts_with("http://") && crate::http::without_userinfo(url) != url {
        // go refuses to send credentials over plain http (router-facts §1.4); so does the router.
        return AttemptResult::Failed(Failure::fatal("refused: credentials over plain http"));
    }
    let (builder, _) = crate::http::with_credentials(ctx.client.get(url), url, &ctx.netrc);
    let mut resp = match timeout(limit, builder.send()).await {
        Err(_) => {
            return AttemptResult::Failed(Failure::timeout(format!(
                "sent no response within {} s",
                limit.as_secs()
            )));
        }
        Ok(Err(e)) => return AttemptResult::Failed(classify(&e)),
        Ok(Ok(r)) => r,
    };
    progress.headers(resp.content_length());
    ctx.upstreams.headers(upstream, progress.started.elapsed());
    let status = resp.status().as_u16();
    match status {
        200 => {}
        400 | 404 | 410 => return AttemptResult::NotFound,
        429 => {
            let mut f = Failure::retry("answered 429 Too Many Requests");
            f.retry_after = retry_after(resp.headers());
            return AttemptResult::Failed(f);
        }
        500..=599 => return AttemptResult::Failed(Failure::retry(format!("answered {status}"))),
        401 | 403 => {
            return AttemptResult::Failed(Failure::fatal(format!(
                "answered {status} (credentials: .netrc or URL userinfo)"
            )));
        }
        _ => return AttemptResult::Failed(Failure::fatal(format!("answered {status}"))),
    }
    if resp
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .is_some_and(|e| e.as_bytes() != b"identity")
    {
        // Never asked for; passing it on would hand go compressed bytes as the file.
        return AttemptResult::Failed(Failure::retry("answered an encoded body"));
    }
    let zip = matches!(
        req,
        Request::Module {
            kind: Kind::Zip,
            ..
        }
    );
    let max = if zip { MAX_ZIP } else { MAX_METADATA };
    let expected = resp.content_length();
    if expected.is_some_and(|n| n > max) {
        return AttemptResult::Failed(Failure::fatal("answered a body larger than go accepts"));
    }
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut spool = zip.then(|| Spool::new(&ctx.spool_dir));
    let mut streamer = check
        .filter(|c| zip && c.may_require())
        .map(|c| Streamer::start(&c.module, &c.version));
    let mut buf: Vec<u8> = Vec::new();
    let mut received: u64 = 0;
    loop {
        match timeout(limit, resp.chunk()).await {
            Err(_) => {
                return AttemptResult::Failed(Failure::timeout(format!(
                    "body stalled for {} s",
                    limit.as_secs()
                )));
            }
            Ok(Err(e)) => {
                return AttemptResult::Failed(Failure::retry(format!(
                    "body cut off ({})",
                    root_cause(&e)
                )));
            }
            Ok(Ok(None)) => break,
            Ok(Ok(Some(chunk))) => {
                let n = chunk.len();
                received += n as u64;
                if received > max {
                    return AttemptResult::Failed(Failure::fatal(
                        "answered a body larger than go accepts",
                    ));
                }
                match &mut spool {
                    Some(s) => {
                        if let Err(e) = s.push(&chunk).await {
                            return AttemptResult::Failed(Failure::fatal(format!(
                                "cannot spool the zip: {e}"
                            )));
                        }
                        if let Some(st) = &mut streamer {
                            st.push(chunk).await;
                        }
                    }
                    None => buf.extend_from_slice(&chunk),
                }
                // Counted once taken in: a hash that lags behind the download slows the
                // reading, and that is not the upstream stalling.
                progress.bytes(n);
            }
        }
    }
    if expected.is_some_and(|n| n != received) {
        return AttemptResult::Failed(Failure::retry("body cut off (short read)"));
    }
    match spool {
        Some(s) => {
            if content_type
                .as_deref()
                .is_some_and(|ct| ct.trim_start().starts_with("text/html"))
            {
                return AttemptResult::Failed(Failure::retry("answered HTML for a zip"));
            }
            let (head, tail) = s.ends();
            if let Err(what) = policy::check_zip(head, tail) {
                return AttemptResult::Failed(Failure::retry(what));
            }
            match s.finish().await {
                Ok(body) => {
                    let streamed = match streamer {
                        Some(st) => st.finish().await,
                        None => None,
                    };
                    verified(ctx, upstream, body, check, streamed, progress).await
                }
                Err(e) => {
                    AttemptResult::Failed(Failure::fatal(format!("cannot spool the zip: {e}")))
                }
            }
        }
        None => match policy::check_body(req, content_type.as_deref(), &buf) {
            Ok(()) => {
                let body = Spooled::Memory(buf.into());
                verified(ctx, upstream, body, check, None, progress).await
            }
            Err(what) => AttemptResult::Failed(Failure::retry(what)),
        },
    }
}

/// A complete body that passed its checks wins once its `h1:` hash is the one go requires
/// (or nothing says which one go requires); with another hash, the upstream is named on
/// stderr — always: a mirror serving other bytes is a security matter, not a notice — and
/// the body discarded.
async fn verified(
    ctx: &Ctx,
    upstream: usize,
    body: Spooled,
    check: Option<&Check>,
    streamed: Option<String>,
    progress: &Progress,
) -> AttemptResult {
    let Some(check) = check else {
        return AttemptResult::Found(body, None);
    };
    progress.checking();
    let started = Instant::now();
    let while_streaming = streamed.is_some();
    match check.verify(&body, streamed).await {
        Ok(Judgement::Mismatch { got, want, from }) => {
            let ext = match check.kind {
                SumKind::Zip => ".zip",
                SumKind::GoMod => ".mod",
            };
            ctx.upstreams.tampered(
                upstream,
                &format!(
                    "served {}@{} {ext} with {got}, but {from} has {want}; discarded it",
                    check.module, check.version
                ),
            );
            AttemptResult::Failed(Failure {
                mismatch: true,
                ..Failure::fatal(format!("served a {ext} whose h1: differs from {from}"))
            })
        }
        Ok(Judgement::Match { from }) => {
            let how = if while_streaming {
                "hashed while it streamed"
            } else {
                "hashed"
            };
            AttemptResult::Found(
                body,
                Some(format!(
                    "h1: matches {from} ({how}, +{} ms)",
                    started.elapsed().as_millis()
                )),
            )
        }
        Ok(Judgement::Unverified { why }) => {
            AttemptResult::Found(body, Some(format!("h1: not checked ({why})")))
        }
        Err(what) => AttemptResult::Failed(Failure::fatal(what)),
    }
}

/// `Retry-After`: delay-seconds or an HTTP-date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// A transport error as a short, credential-free reason.
fn classify(e: &reqwest::Error) -> Failure {
    if e.is_redirect() {
        return Failure::fatal("refused a redirect (https to http, or more than 10)");
    }
    if e.is_timeout() {
        return Failure::timeout("timed out connecting");
    }
    let refused = {
        let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
        let mut found = false;
        while let Some(s) = src {
            if let Some(io) = s.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::ConnectionRefused
            {
                found = true;
            }
            src = s.source();
        }
        found
    };
    if refused {
        return Failure::retry("refused the connection");
    }
    if e.is_connect() {
        return Failure::retry(format!("could not connect ({})", root_cause(e)));
    }
    Failure::retry(format!("request failed ({})", root_cause(e)))
}

/// The innermost error's text, printable and short, without any URL.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(s) = last.source() {
        last = s;
    }
    let mut text = sanitize(&last.to_string());
    if text.contains("://") {
        text = "transport error".into();
    }
    text.truncate(60);
    text
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::router::fake::{Act, Fake};
    use crate::router::policy::check_zip;
    use crate::router::spool::read_all;
    use crate::router::table::{Table, Upstream};

    fn settings() -> RouterSettings {
        RouterSettings {
            hedge_delay: Duration::from_millis(200),
            attempt_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(6),
            retries: 3,
        }
    }

    fn ctx(fakes: &[&Fake], settings: RouterSettings) -> Arc<Ctx> {
        let table = Table {
            settings,
            ..Table::with_public(fakes.iter().map(|f| Upstream::new(f.url.clone())).collect())
        };
        Arc::new(Ctx::new(
            reqwest::Client::builder().no_proxy().build().unwrap(),
            Netrc::default(),
            settings,
            Upstreams::new(&table, Instant::now(), SystemTime::now()),
            crate::process::Process::with([("X", "")], "/", None)
                .temp_dir()
                .to_path_buf(),
            42,
        ))
    }

    async fn get(ctx: &Arc<Ctx>, path: &str) -> Fetched {
        let req = Arc::new(Request::parse(path).unwrap());
        let n = ctx.upstreams.with_role(Role::Public).len();
        let routes = (0..n)
            .map(|i| Route {
                upstream: i,
                url: format!("{}/{}", ctx.upstreams.url(i), req.proxy_path()),
            })
            .collect();
        fetch(ctx, &req, routes, None).await
    }

    const INFO: &str = "example.com/m/@v/v1.0.0.info";

    fn info() -> Act {
        Act::Answer(200, "application/json", br#"{"Version":"v1.0.0"}"#.to_vec())
    }

    fn not_found() -> Act {
        Act::Answer(404, "text/plain", b"not found".to_vec())
    }

    async fn found(f: Fetched) -> (Vec<u8>, usize, u32) {
        match f {
            Fetched::Found {
                body,
                via,
                attempts,
                ..
            } => (read_all(body).await.unwrap(), via, attempts),
            Fetched::Error { answer, .. } => panic!("no answer: {answer:?}"),
        }
    }

    fn error(f: Fetched) -> ErrorAnswer {
        match f {
            Fetched::Error { answer, .. } => answer,
            Fetched::Found { via, .. } => panic!("found via {via}"),
        }
    }

    #[tokio::test]
    async fn a_hanging_first_upstream_is_hedged_around() {
        let a = Fake::start(|_, _| Act::Hang);
        let b = Fake::start(|_, _| info());
        let c = ctx(&[&a, &b], settings());
        let t = Instant::now();
        let (body, via, attempts) = found(get(&c, INFO).await).await;
        assert_eq!((via, attempts), (1, 2));
        assert!(body.starts_with(b"{"));
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "hedged, not timed out"
        );
        assert!(
            c.upstreams.suspect(0, Instant::now()),
            "the hanging one is passed over"
        );
        // The next request goes to the reliable upstream first.
        let (_, via, attempts) = found(get(&c, INFO).await).await;
        assert_eq!((via, attempts), (1, 1));
    }

    #[tokio::test]
    async fn a_transient_502_is_retried_not_passed_to_go() {
        let a = Fake::start(|_, n| {
            if n % 2 == 0 {
                Act::Answer(502, "text/plain", b"bad gateway".to_vec())
            } else {
                info()
            }
        });
        let c = ctx(&[&a], settings());
        let (_, via, attempts) = found(get(&c, INFO).await).await;
        assert_eq!((via, attempts), (0, 2));
    }

    #[tokio::test]
    async fn not_found_everywhere_is_404_and_a_stalled_one_is_not_waited_for() {
        let a = Fake::start(|_, _| not_found());
        let b = Fake::start(|_, _| Act::Answer(410, "text/plain", vec![]));
        let c = ctx(&[&a, &b], settings());
        assert_eq!(error(get(&c, INFO).await).status, 404);

        let hang = Fake::start(|_, _| Act::Hang);
        let nf = Fake::start(|_, _| not_found());
        let c = ctx(&[&hang, &nf], settings());
        let t = Instant::now();
        assert_eq!(error(get(&c, INFO).await).status, 404);
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_failing_upstream_beside_a_404_means_could_not_determine() {
        let a = Fake::start(|_, _| Act::Answer(503, "text/plain", b"busy".to_vec()));
        let b = Fake::start(|_, _| not_found());
        let c = ctx(&[&a, &b], settings());
        let e = error(get(&c, INFO).await);
        assert_eq!(e.status, 502);
        assert!(e.body.contains("answered 503"), "{}", e.body);
        assert!(e.body.contains("not found"), "{}", e.body);
        assert!(a.hits() >= 2, "retried before giving up");
    }

    #[tokio::test]
    async fn everything_timing_out_is_504_within_the_request_deadline() {
        let a = Fake::start(|_, _| Act::Hang);
        let b = Fake::start(|_, _| Act::Hang);
        let mut s = settings();
        s.attempt_timeout = Duration::from_millis(400);
        s.request_timeout = Duration::from_millis(1500);
        let c = ctx(&[&a, &b], s);
        let t = Instant::now();
        let e = error(get(&c, INFO).await);
        assert_eq!(e.status, 504, "{}", e.body);
        assert!(t.elapsed() < Duration::from_secs(5));
        assert_eq!(e.body.lines().count(), 2, "{}", e.body);
    }

    #[tokio::test]
    async fn retry_after_is_honoured() {
        let a = Fake::start(|_, n| {
            if n == 0 {
                Act::AnswerWith(429, vec![("Retry-After", "1".into())], vec![])
            } else {
                info()
            }
        });
        let c = ctx(&[&a], settings());
        let t = Instant::now();
        let (_, _, attempts) = found(get(&c, INFO).await).await;
        assert_eq!(attempts, 2);
        assert!(t.elapsed() >= Duration::from_millis(900));
    }

    #[tokio::test]
    async fn invalid_and_truncated_bodies_never_win() {
        let html =
            Fake::start(|_, _| Act::Answer(200, "text/html", b"<html>portal</html>".to_vec()));
        let wrong = Fake::start(|_, _| {
            Act::Answer(200, "application/json", br#"{"Version":"v9.9.9"}"#.to_vec())
        });
        let cut = Fake::start(|_, _| Act::Truncate(100, b"{\"Version\"".to_vec()));
        let gzip = Fake::start(|_, _| {
            Act::AnswerWith(
                200,
                vec![("Content-Encoding", "gzip".into())],
                vec![0x1f, 0x8b],
            )
        });
        let good = Fake::start(|_, _| info());
        let c = ctx(&[&html, &wrong, &cut, &gzip, &good], settings());
        let (body, via, _) = found(get(&c, INFO).await).await;
        assert_eq!(via, 4);
        assert_eq!(body, br#"{"Version":"v1.0.0"}"#);
    }

    fn zip_bytes() -> Vec<u8> {
        let mut z = b"PK\x03\x04".to_vec();
        z.extend(std::iter::repeat_n(b'z', 2000));
        z.extend(b"PK\x05\x06");
        z.extend([0u8; 18]);
        z
    }

    #[tokio::test]
    async fn a_trickling_zip_is_passed_over_and_bytes_are_never_spliced() {
        let z = zip_bytes();
        let slow = z.clone();
        let a = Fake::start(move |_, _| Act::Trickle(slow.clone(), Duration::from_millis(20)));
        let fast = z.clone();
        let b = Fake::start(move |_, _| Act::Answer(200, "application/zip", fast.clone()));
        let c = ctx(&[&a, &b], settings());
        let (body, via, _) = found(get(&c, "example.com/m/@v/v1.0.0.zip").await).await;
        assert_eq!(via, 1);
        assert_eq!(body, z);
        assert!(check_zip(&body[..4], &body).is_ok());
    }

    #[tokio::test]
    async fn the_budget_stops_retries_when_it_is_spent() {
        let a = Fake::start(|_, _| Act::Answer(500, "text/plain", vec![]));
        let c = ctx(&[&a], settings());
        while c.upstreams.withdraw(Instant::now()) {}
        let e = error(get(&c, INFO).await);
        assert_eq!(e.status, 502);
        assert!(a.hits() <= 2, "{} attempts with no budget", a.hits());
    }
}
