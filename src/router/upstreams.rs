//! What the router knows about its upstreams while it runs: rank, learned latency, consecutive
//! failures and ejection (Envoy-style outlier detection), `Retry-After`, the retry/hedge
//! budget (a token bucket, tower `Budget` / gRPC throttling style), per-run notices, and the
//! observations written to the verdict cache when the router exits (router-facts §8, §11.5).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::health::SumdbSupport;
use crate::health::cache::percentile;

use super::lock;
use super::table::{EJECT_AFTER, EJECTION_BASE, RouterSettings, Seed, Table, label};

/// Which part of the table an upstream comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Public,
    Private,
    /// A checksum database's own base URL.
    SumdbDirect,
}

/// Latency samples kept per upstream (time to response headers).
const SAMPLES: usize = 64;

/// The budget: tokens deposited per request, refilled per second, held at most. A hedge or a
/// retry on an upstream already tried costs one token. About 10% of requests plus a floor of
/// 3 per second (§8: tower `Budget`, gRPC `tokenRatio`, hedging at a few percent of traffic),
/// with room for one burst of go's parallel prefix probes.
const BUDGET_PER_REQUEST: f64 = 0.1;
const BUDGET_PER_SECOND: f64 = 3.0;
const BUDGET_MAX: f64 = 30.0;

/// The longest `Retry-After` honoured (a longer one is capped: the request deadline rules).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct State {
    url: String,
    label: String,
    role: Role,
    sumdb: SumdbSupport,
    sumdb_learned: bool,
    consecutive: u32,
    ejections: u32,
    ejected_until: Option<Instant>,
    retry_after: Option<Instant>,
    /// The cached verdict said it failed, and nothing since said otherwise.
    seed_unhealthy: bool,
    samples: VecDeque<u64>,
    requests: u64,
    successes: u64,
    not_found: u64,
    failures: u64,
    passed_over: u64,
    /// Bodies whose `h1:` hash was not the one go requires.
    mismatches: u64,
    /// The last failure, and whether anything succeeded after it.
    last_failure: Option<(String, bool)>,
    last_ok: bool,
    noticed: bool,
}

#[derive(Debug)]
struct Budget {
    tokens: f64,
    at: Instant,
}

/// Shared by every request of one router.
#[derive(Debug)]
pub struct Upstreams {
    inner: Mutex<(Vec<State>, Budget)>,
    settings: RouterSettings,
    quiet: bool,
}

/// What one upstream did during the run, for the verdict cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub url: String,
    pub role: Role,
    pub requests: u64,
    pub successes: u64,
    pub not_found: u64,
    pub failures: u64,
    pub passed_over: u64,
    pub mismatches: u64,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    /// Its latency samples (time to response headers, ms), oldest first.
    pub samples: Vec<u64>,
    /// The last failure (`what`, whether it was a timeout) when nothing succeeded after it.
    pub failing: Option<(String, bool)>,
    /// Learned during the run: whether it proxies the checksum database.
    pub sumdb: Option<SumdbSupport>,
    /// Ejected at least once.
    pub ejected: bool,
}

impl Upstreams {
    /// Public upstreams first, then private ones, then the checksum database's direct URLs;
    /// their indices are the route indices used everywhere else.
    pub fn new(table: &Table, now: Instant, wall: SystemTime) -> Upstreams {
        let unix_now = crate::health::unix_secs(wall);
        let mut states = Vec::new();
        let mut add = |url: &str, role: Role, sumdb: SumdbSupport, seed: Option<&Seed>| {
            let mut s = State {
                url: url.to_string(),
                label: label(url),
                role,
                sumdb,
                sumdb_learned: false,
                consecutive: 0,
                ejections: 0,
                ejected_until: None,
                retry_after: None,
                seed_unhealthy: false,
                samples: VecDeque::new(),
                requests: 0,
                successes: 0,
                not_found: 0,
                failures: 0,
                passed_over: 0,
                mismatches: 0,
                last_failure: None,
                last_ok: false,
                noticed: false,
            };
            if let Some(seed) = seed {
                s.seed_unhealthy = !seed.healthy;
                if let Some(ms) = seed.latency_ms {
                    s.samples.push_back(ms);
                }
                if let Some(until) = seed.ejected_until.filter(|u| *u > unix_now) {
                    s.ejected_until = Some(now + Duration::from_secs(until - unix_now));
                }
            }
            states.push(s);
        };
        for u in &table.public {
            add(&u.url, Role::Public, u.sumdb, u.seed.as_ref());
        }
        for u in &table.private {
            add(&u.url, Role::Private, u.sumdb, u.seed.as_ref());
        }
        for url in table.sumdb.iter().flat_map(|s| &s.direct) {
            add(url, Role::SumdbDirect, SumdbSupport::Supported, None);
        }
        Upstreams {
            inner: Mutex::new((
                states,
                Budget {
                    tokens: BUDGET_MAX,
                    at: now,
                },
            )),
            settings: table.settings,
            quiet: table.quiet,
        }
    }

    /// Indices of the upstreams with this role, in table order.
    pub fn with_role(&self, role: Role) -> Vec<usize> {
        let g = lock(&self.inner);
        (0..g.0.len()).filter(|&i| g.0[i].role == role).collect()
    }

    pub fn url(&self, i: usize) -> String {
        lock(&self.inner).0[i].url.clone()
    }

    pub fn label(&self, i: usize) -> String {
        lock(&self.inner).0[i].label.clone()
    }

    pub fn sumdb(&self, i: usize) -> SumdbSupport {
        lock(&self.inner).0[i].sumdb
    }

    /// Learned: whether upstream `i` proxies the checksum database.
    pub fn learn_sumdb(&self, i: usize, support: SumdbSupport) {
        let mut g = lock(&self.inner);
        g.0[i].sumdb = support;
        g.0[i].sumdb_learned = true;
    }

    /// Whether `i` should not be relied on now (see [`suspect`]).
    #[cfg(test)]
    pub fn suspect(&self, i: usize, now: Instant) -> bool {
        let g = lock(&self.inner);
        suspect(&g.0[i], now)
    }

    pub fn ejected(&self, i: usize, now: Instant) -> bool {
        lock(&self.inner).0[i]
            .ejected_until
            .is_some_and(|t| t > now)
    }

    /// `candidates` ordered for one request: the reliable ones in table order, then the suspect
    /// ones (ejected last). Returns the order and, per entry, whether it was suspect; a request
    /// starting with only suspect upstreams treats them all as reliable.
    pub fn rank(&self, candidates: &[usize], now: Instant) -> Vec<(usize, bool)> {
        let mut g = lock(&self.inner);
        let mut ranked: Vec<(usize, bool, bool)> = candidates
            .iter()
            .map(|&i| {
                let s = &g.0[i];
                (i, suspect(s, now), s.ejected_until.is_some_and(|t| t > now))
            })
            .collect();
        ranked.sort_by_key(|&(i, suspect, ejected)| {
            (ejected, suspect, candidates.iter().position(|&c| c == i))
        });
        let all_suspect = ranked.iter().all(|r| r.1);
        for &(i, _, ejected) in &ranked {
            if ejected {
                g.0[i].passed_over += 1;
            }
        }
        ranked
            .into_iter()
            .map(|(i, s, _)| (i, s && !all_suspect))
            .collect()
    }

    /// The hedge delay of `i`: the larger of the floor and its learned p95, at most the
    /// attempt timeout.
    pub fn hedge_delay(&self, i: usize) -> Duration {
        let g = lock(&self.inner);
        let p95 = percentile(g.0[i].samples.iter().copied(), 95).map(Duration::from_millis);
        p95.unwrap_or_default()
            .max(self.settings.hedge_delay)
            .min(self.settings.attempt_timeout)
    }

    /// A request arrived: it deposits into the budget.
    pub fn request_arrived(&self, now: Instant) {
        let mut g = lock(&self.inner);
        refill(&mut g.1, now);
        g.1.tokens = (g.1.tokens + BUDGET_PER_REQUEST).min(BUDGET_MAX);
    }

    /// Takes one token for a hedge or a retry; false when the budget is spent.
    pub fn withdraw(&self, now: Instant) -> bool {
        let mut g = lock(&self.inner);
        refill(&mut g.1, now);
        // Tenths add up to a little less than one in floating point.
        if g.1.tokens >= 1.0 - 1e-9 {
            g.1.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// An attempt on `i` started.
    pub fn attempt_started(&self, i: usize) {
        lock(&self.inner).0[i].requests += 1;
    }

    /// `i` sent response headers after `elapsed`.
    pub fn headers(&self, i: usize, elapsed: Duration) {
        let mut g = lock(&self.inner);
        let samples = &mut g.0[i].samples;
        if samples.len() == SAMPLES {
            samples.pop_front();
        }
        samples.push_back(elapsed.as_millis() as u64);
    }

    /// `i` answered: with content, or with a definite "not found".
    pub fn answered(&self, i: usize, found: bool) {
        let mut g = lock(&self.inner);
        let s = &mut g.0[i];
        if found {
            s.successes += 1;
        } else {
            s.not_found += 1;
        }
        s.consecutive = 0;
        s.seed_unhealthy = false;
        s.last_ok = true;
    }

    /// An attempt on `i` failed (`retry_after`: it said 429 with that delay).
    pub fn failed(
        &self,
        i: usize,
        what: &str,
        timeout: bool,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        let mut g = lock(&self.inner);
        let s = &mut g.0[i];
        s.failures += 1;
        s.last_failure = Some((what.to_string(), timeout));
        s.last_ok = false;
        if let Some(ra) = retry_after {
            s.retry_after = Some(now + ra.min(MAX_RETRY_AFTER));
        }
        count_failure(s, now);
    }

    /// `i` sent nothing for its hedge delay and a hedged copy went elsewhere: passed over, and
    /// one more consecutive failure (a hanging upstream is ejected after a few).
    pub fn stalled(&self, i: usize, now: Instant) {
        let mut g = lock(&self.inner);
        let s = &mut g.0[i];
        s.passed_over += 1;
        count_failure(s, now);
    }

    /// The one notice per upstream per run: `goshim: <from> <what>; using <to>`.
    pub fn notice(&self, from: usize, what: &str, to: usize) {
        let mut g = lock(&self.inner);
        if self.quiet || g.0[from].noticed || g.0[from].label == g.0[to].label {
            return;
        }
        g.0[from].noticed = true;
        eprintln!(
            "goshim: {} {}; using {}",
            g.0[from].label,
            sanitize(what),
            g.0[to].label
        );
    }

    /// `i` served a body whose `h1:` hash is not the one go requires.
    pub fn mismatched(&self, i: usize) {
        lock(&self.inner).0[i].mismatches += 1;
    }

    /// `goshim: <label> <what>`, whether quiet or not (a mirror serving other bytes than the
    /// checksums say is a security matter); the upstream's passed-over notice is then not
    /// repeated.
    pub fn tampered(&self, i: usize, what: &str) {
        let mut g = lock(&self.inner);
        g.0[i].noticed = true;
        eprintln!("goshim: {} {}", g.0[i].label, sanitize(what));
    }

    /// Everything observed, for the verdict cache (upstreams never asked are left out).
    pub fn observations(&self) -> Vec<Observation> {
        let g = lock(&self.inner);
        g.0.iter()
            .filter(|s| s.requests + s.successes + s.not_found + s.failures + s.passed_over > 0)
            .map(|s| Observation {
                url: s.url.clone(),
                role: s.role,
                requests: s.requests,
                successes: s.successes,
                not_found: s.not_found,
                failures: s.failures,
                passed_over: s.passed_over,
                mismatches: s.mismatches,
                p50_ms: percentile(s.samples.iter().copied(), 50),
                p95_ms: percentile(s.samples.iter().copied(), 95),
                samples: s.samples.iter().copied().collect(),
                failing: (!s.last_ok)
                    .then(|| s.last_failure.clone())
                    .flatten()
                    .or_else(|| {
                        (!s.last_ok && s.passed_over > 0)
                            .then(|| ("did not answer in time".to_string(), true))
                    }),
                sumdb: s.sumdb_learned.then_some(s.sumdb),
                ejected: s.ejections > 0,
            })
            .collect()
    }
}

/// Whether an upstream should not be relied on now: ejected, told to wait (`Retry-After`),
/// failing at its last attempt, or failing in the cache and not heard from since.
fn suspect(s: &State, now: Instant) -> bool {
    s.ejected_until.is_some_and(|t| t > now)
        || s.retry_after.is_some_and(|t| t > now)
        || s.consecutive > 0
        || s.seed_unhealthy
}

/// One more consecutive failure; at [`EJECT_AFTER`] the upstream is ejected for
/// [`EJECTION_BASE`] × the number of its ejections, and its count starts again.
fn count_failure(s: &mut State, now: Instant) {
    s.consecutive += 1;
    if s.consecutive >= EJECT_AFTER {
        s.ejections += 1;
        s.ejected_until = Some(now + EJECTION_BASE * s.ejections);
        s.consecutive = 0;
    }
}

fn refill(b: &mut Budget, now: Instant) {
    let secs = now.saturating_duration_since(b.at).as_secs_f64();
    b.tokens = (b.tokens + secs * BUDGET_PER_SECOND).min(BUDGET_MAX);
    b.at = now;
}

/// Printable ASCII only, for anything that came from upstream.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::table::Upstream;

    fn table(n: usize) -> Table {
        Table::with_public(
            (0..n)
                .map(|i| Upstream::new(format!("https://p{i}.example")))
                .collect(),
        )
    }

    #[test]
    fn consecutive_failures_eject_for_growing_times() {
        let now = Instant::now();
        let u = Upstreams::new(&table(2), now, SystemTime::now());
        assert_eq!(u.rank(&[0, 1], now), vec![(0, false), (1, false)]);
        u.failed(0, "answered 502", false, None, now);
        assert!(u.suspect(0, now));
        assert_eq!(u.rank(&[0, 1], now), vec![(1, false), (0, true)]);
        for _ in 0..4 {
            u.stalled(0, now);
        }
        assert!(u.ejected(0, now));
        assert!(u.ejected(0, now + Duration::from_secs(29)));
        assert!(!u.ejected(0, now + Duration::from_secs(31)));
        let later = now + Duration::from_secs(31);
        for _ in 0..5 {
            u.failed(0, "answered 502", false, None, later);
        }
        assert!(u.ejected(0, later + Duration::from_secs(59)), "30 s × 2");
        u.answered(1, true);
        let obs = u.observations();
        assert_eq!(obs.len(), 2);
        assert!(obs[0].ejected && obs[0].failing.is_some());
        assert_eq!(obs[1].failing, None);
    }

    #[test]
    fn only_suspects_are_all_treated_as_reliable() {
        let now = Instant::now();
        let u = Upstreams::new(&table(2), now, SystemTime::now());
        u.failed(0, "x", false, None, now);
        u.failed(1, "x", false, None, now);
        assert_eq!(u.rank(&[0, 1], now), vec![(0, false), (1, false)]);
    }

    #[test]
    fn seeds_rank_and_retry_after_passes_over() {
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut t = table(3);
        t.public[0].seed = Some(Seed {
            healthy: false,
            latency_ms: None,
            ejected_until: Some(crate::health::unix_secs(wall) + 100),
        });
        t.public[1].seed = Some(Seed {
            healthy: true,
            latency_ms: Some(2500),
            ejected_until: None,
        });
        let u = Upstreams::new(&t, now, wall);
        assert!(u.ejected(0, now));
        assert_eq!(u.hedge_delay(1), Duration::from_millis(2500));
        assert_eq!(u.hedge_delay(2), Duration::from_secs(1));
        u.failed(2, "answered 429", false, Some(Duration::from_secs(5)), now);
        u.answered(2, true);
        assert!(u.suspect(2, now + Duration::from_secs(4)));
        assert!(!u.suspect(2, now + Duration::from_secs(6)));
        assert_eq!(
            u.rank(&[0, 1, 2], now)
                .iter()
                .map(|r| r.0)
                .collect::<Vec<_>>(),
            vec![1, 2, 0]
        );
    }

    #[test]
    fn the_budget_allows_bursts_then_a_trickle() {
        let now = Instant::now();
        let u = Upstreams::new(&table(1), now, SystemTime::now());
        let granted = (0..100).filter(|_| u.withdraw(now)).count();
        assert_eq!(granted, BUDGET_MAX as usize);
        for _ in 0..10 {
            u.request_arrived(now);
        }
        assert!(u.withdraw(now), "ten requests buy one retry");
        assert!(!u.withdraw(now));
        assert!(u.withdraw(now + Duration::from_millis(400)), "3 per second");
    }
}
