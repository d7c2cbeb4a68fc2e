//! One fetch per thing: identical requests in flight share one fetch ([`Flights`]), and
//! immutable answers are kept for the router's lifetime ([`Memo`]) — go's prefix probes, the
//! go processes a command starts (tests, `go generate`, a toolchain switch) and parallel
//! builds all ask the same questions (router-facts §1.5, §10.12, §11.9).
//!
//! Immutable: a canonical version's `.info`, `.mod` and `.zip`, checksum-database lookups
//! and full tiles. `list`, `@latest`, queries (`@v/master.info`) and partial tiles change and
//! are only shared while in flight. Only 200 answers are kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::lock;
use super::request::{Kind, Request};
use super::spool::Spooled;
use crate::goenv::semver::canonical_version;

/// Kept in memory at most: metadata, and zips small enough to stay in memory.
const MEMORY_BUDGET: usize = 32 << 20;
/// Kept in spool files at most (their disk space is held until the router exits).
const FILE_BUDGET: u64 = 1 << 30;

/// What go gets for one request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Spooled,
    /// Where it came from, for the debug trace (`via proxy.golang.org (1 attempts)`).
    pub how: String,
}

impl Answer {
    /// A short `text/plain; charset=utf-8` answer.
    pub fn plain(status: u16, text: impl Into<String>, how: impl Into<String>) -> Answer {
        Answer {
            status,
            content_type: "text/plain; charset=utf-8",
            body: Spooled::Memory(bytes::Bytes::from(text.into())),
            how: how.into(),
        }
    }
}

/// Whether the answer to `req` never changes once it was 200.
pub fn immutable(req: &Request) -> bool {
    match req {
        Request::Module {
            kind: Kind::Mod | Kind::Zip,
            ..
        }
        | Request::SumdbLookup { .. } => true,
        Request::Module {
            kind: Kind::Info,
            version: Some(v),
            ..
        } => canonical_version(v).as_deref() == Some(v.as_str()),
        Request::Module { .. } | Request::SumdbSupported { .. } => false,
        Request::SumdbTile { tile, .. } => tile.partial.is_none(),
    }
}

/// Immutable answers, within [`MEMORY_BUDGET`] and [`FILE_BUDGET`]; once a budget is spent,
/// later answers are not kept (the router lives as long as one go command).
#[derive(Debug, Default)]
pub struct Memo {
    inner: Mutex<MemoInner>,
}

#[derive(Debug, Default)]
struct MemoInner {
    answers: HashMap<String, Answer>,
    memory: usize,
    files: u64,
}

impl Memo {
    pub fn get(&self, key: &str) -> Option<Answer> {
        lock(&self.inner).answers.get(key).cloned()
    }

    /// Keeps a 200 answer to an immutable request, if the budget allows.
    pub fn put(&self, key: &str, answer: &Answer) {
        if answer.status != 200 {
            return;
        }
        let mut g = lock(&self.inner);
        if g.answers.contains_key(key) {
            return;
        }
        match &answer.body {
            Spooled::Memory(b) => {
                if g.memory + b.len() > MEMORY_BUDGET {
                    return;
                }
                g.memory += b.len();
            }
            Spooled::File { len, .. } => {
                if g.files + len > FILE_BUDGET {
                    return;
                }
                g.files += len;
            }
        }
        g.answers.insert(key.to_string(), answer.clone());
    }
}

/// Requests in flight, by key: the first one fetches, the others wait for its answer. If the
/// first is dropped (go hung up), a waiting one takes over.
#[derive(Debug, Default)]
pub struct Flights {
    inner: Mutex<HashMap<String, Arc<OnceCell<Answer>>>>,
}

impl Flights {
    /// The answer for `key`: `make`'s, or the one an identical request in flight gets.
    pub async fn share<F>(&self, key: &str, make: F) -> Answer
    where
        F: Future<Output = Answer>,
    {
        let cell = Arc::clone(
            lock(&self.inner)
                .entry(key.to_string())
                .or_insert_with(|| Arc::new(OnceCell::new())),
        );
        let answer = cell.get_or_init(|| make).await.clone();
        let mut g = lock(&self.inner);
        if g.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            g.remove(key);
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    fn req(raw: &str) -> Request {
        Request::parse(raw).unwrap()
    }

    #[test]
    fn what_is_immutable() {
        for (raw, want) in [
            ("example.com/m/@v/v1.0.0.info", true),
            ("example.com/m/@v/v1.0.info", false),
            ("example.com/m/@v/master.info", false),
            ("example.com/m/@v/v1.0.0.mod", true),
            ("example.com/m/@v/v1.0.0.zip", true),
            ("example.com/m/@v/list", false),
            ("example.com/m/@latest", false),
            ("sumdb/sum.golang.org/lookup/example.com/m@v1.0.0", true),
            ("sumdb/sum.golang.org/tile/8/0/001", true),
            ("sumdb/sum.golang.org/tile/8/0/001.p/3", false),
            ("sumdb/sum.golang.org/supported", false),
        ] {
            assert_eq!(immutable(&req(raw)), want, "{raw}");
        }
    }

    #[test]
    fn only_ok_answers_within_the_budget_are_kept() {
        let m = Memo::default();
        m.put("a", &Answer::plain(404, "not found", ""));
        assert!(m.get("a").is_none());
        m.put("a", &Answer::plain(200, "v1.0.0\n", ""));
        assert!(m.get("a").is_some());
        let big = Answer::plain(200, "x".repeat(MEMORY_BUDGET), "");
        m.put("big", &big);
        assert!(m.get("big").is_none(), "over the budget");
    }

    #[tokio::test]
    async fn identical_requests_in_flight_share_one_fetch() {
        let flights = Arc::new(Flights::default());
        let made = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (flights, made) = (Arc::clone(&flights), Arc::clone(&made));
            tasks.spawn(async move {
                flights
                    .share("k", async {
                        made.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Answer::plain(200, "one", "")
                    })
                    .await
            });
        }
        while let Some(a) = tasks.join_next().await {
            let a = a.unwrap();
            assert!(matches!(&a.body, Spooled::Memory(b) if b.as_ref() == b"one"));
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        // Done: the next request fetches again (a list is not kept).
        flights
            .share("k", async {
                made.fetch_add(1, Ordering::SeqCst);
                Answer::plain(200, "two", "")
            })
            .await;
        assert_eq!(made.load(Ordering::SeqCst), 2);
    }
}
