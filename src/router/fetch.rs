//! One request across its upstreams: per-attempt deadlines, hedged copies when an attempt
//! stalls, failover, jittered retries within a budget, and the final answer (router-facts §8,
//! §10, §11.4–7).
//!
//! Every attempt runs as a task of a [`JoinSet`]: the first complete, checked answer wins and
//! dropping the set cancels the others (a client that disconnects drops the whole request the
//! same way).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::health::SumdbSupport;
use crate::http::Netrc;

use super::attempt::{AttemptResult, Failure, attempt};
use super::policy::{self, ErrorAnswer, Outcome};
use super::progress::{Progress, Report};
use super::request::{Kind, Request};
use super::spool::Spooled;
use super::table::{RouterSettings, ZIP_CAP};
use super::upstreams::{Role, Upstreams};
use super::verify::Check;

/// First retry back-off, doubled per attempt up to [`BACKOFF_MAX`], jittered ±50%.
const BACKOFF_BASE: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How often a waiting request looks again (ejections by other requests, budget).
const TICK: Duration = Duration::from_millis(250);

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum St {
    Untried,
    Running,
    Waiting(Instant),
    NotFound,
    Failed,
}

pub(super) struct Run {
    pub(super) upstream: usize,
    pub(super) url: String,
    /// Suspect when the request started: tried after the others, not waited for.
    pub(super) fallback: bool,
    /// Passed over while running (sent nothing for its hedge delay): not waited for.
    pub(super) stalled: bool,
    pub(super) st: St,
    pub(super) attempts: u32,
    pub(super) progress: Option<Arc<Progress>>,
    pub(super) failure: Option<Failure>,
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

#[cfg(test)]
mod tests;
