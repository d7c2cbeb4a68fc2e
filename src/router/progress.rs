//! How far an attempt got: bytes and time, watched for stalls (an attempt silent for the
//! hedge delay, or trickling below [`MIN_RATE`], gets a hedged copy), and the progress lines of
//! a long zip download on a terminal.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::fetch::{Ctx, Run, St};
use super::lock;
use super::request::Request;
use super::table::ZIP_CAP;
use super::upstreams::sanitize;

/// A body slower than this (bytes per second, averaged since the headers) counts as stalled
/// for hedging once the hedge delay has passed: a mirror trickling a zip is passed over even
/// though a byte arrives now and then.
const MIN_RATE: f64 = 8.0 * 1024.0;
/// A zip download still running after this long gets progress lines (with `Ctx::progress`),
/// one per [`PROGRESS_EVERY`].
const PROGRESS_AFTER: Duration = Duration::from_secs(2);
const PROGRESS_EVERY: Duration = Duration::from_secs(3);

/// How far an attempt got, watched by the driver for hedging.
#[derive(Debug)]
pub(super) struct Progress {
    pub(super) started: Instant,
    pub(super) m: Mutex<ProgressInner>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct ProgressInner {
    pub(super) headers: Option<Instant>,
    pub(super) last: Instant,
    pub(super) bytes: u64,
    /// The announced `Content-Length`.
    pub(super) total: Option<u64>,
    /// The body is complete and being checked: not stalled, whatever the time.
    pub(super) checking: bool,
}

impl Progress {
    pub(super) fn new(now: Instant) -> Progress {
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

    pub(super) fn get(&self) -> ProgressInner {
        *lock(&self.m)
    }

    pub(super) fn headers(&self, total: Option<u64>) {
        let mut g = lock(&self.m);
        let now = Instant::now();
        g.headers = Some(now);
        g.last = now;
        g.total = total;
    }

    pub(super) fn bytes(&self, n: usize) {
        let mut g = lock(&self.m);
        g.last = Instant::now();
        g.bytes += n as u64;
    }

    pub(super) fn checking(&self) {
        lock(&self.m).checking = true;
    }

    /// When this attempt counts as stalled for hedging if nothing changes: no bytes for
    /// `delay`, or a body slower than [`MIN_RATE`] once `delay` has passed since its headers.
    /// A body being checked never stalls.
    pub(super) fn stall_at(&self, delay: Duration, now: Instant) -> Instant {
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
pub(super) struct Report {
    pub(super) next: Instant,
    pub(super) printed: bool,
}

impl Report {
    pub(super) fn new(started: Instant) -> Report {
        Report {
            next: started + PROGRESS_AFTER,
            printed: false,
        }
    }

    /// The furthest running attempt: its upstream and progress.
    pub(super) fn furthest(runs: &[Run]) -> Option<(usize, ProgressInner)> {
        runs.iter()
            .filter(|r| r.st == St::Running)
            .filter_map(|r| Some((r.upstream, r.progress.as_ref()?.get())))
            .filter(|(_, p)| p.headers.is_some())
            .max_by_key(|(_, p)| p.bytes)
    }

    pub(super) fn tick(&mut self, ctx: &Ctx, req: &Request, runs: &[Run], now: Instant) {
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
    pub(super) fn done(&self, ctx: &Ctx, req: &Request, via: usize, bytes: u64, started: Instant) {
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
pub(super) fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
