//! What the router answers, request by request: the answers it gives itself (`supported`,
//! private and GONOSUMDB lookups), where everything else may go (private paths only to private
//! upstreams, checksum data through the proxies that serve the database and the database's
//! own addresses), and one fetch per thing (memo.rs). The HTTP side is server.rs; this part is
//! also what the router's own checks ask (verify.rs), so they share go's fetches.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::fetch::{Ctx, Fetched, Route, fetch};
use super::memo::{Answer, Flights, Memo, immutable};
use super::modcache::ModCache;
use super::policy;
use super::request::{Kind, Request};
use super::table::{SumdbRoutes, Table};
use super::upstreams::Role;
use super::verify::{self, Check, DbRecord, Judgement, Sums};
use crate::goenv::gosum::SumKind;
use crate::goenv::sumdb::VerifierKey;
use crate::health::SumdbSupport;

/// A boxed future: [`Service::answer`] is reached again from inside its own checks.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Everything the router answers with.
#[derive(Debug)]
pub struct Service {
    pub ctx: Arc<Ctx>,
    private_patterns: String,
    nosumdb_patterns: String,
    sumdb: Option<SumdbRoutes>,
    memo: Memo,
    flights: Flights,
    sums: Sums,
    /// The module cache, the last upstream; the only one when `offline`.
    cache: Option<ModCache>,
    offline: bool,
    quiet: bool,
    /// The one "serving from the module cache" notice of this run was printed.
    cache_noticed: AtomicBool,
}

impl Service {
    pub fn new(ctx: Arc<Ctx>, table: &Table) -> Service {
        Service {
            ctx,
            private_patterns: table.private_patterns.clone(),
            nosumdb_patterns: table.nosumdb_patterns.clone(),
            sumdb: table.sumdb.clone(),
            memo: Memo::default(),
            flights: Flights::default(),
            sums: Sums::new(
                table.go_sum.clone(),
                table
                    .sumdb
                    .as_ref()
                    .and_then(|s| VerifierKey::parse(&s.key).ok()),
            ),
            cache: table.modcache.as_deref().and_then(ModCache::open),
            offline: table.offline,
            quiet: table.quiet,
            cache_noticed: AtomicBool::new(false),
        }
    }

    /// The checksum database's name, if there is one.
    pub fn db_name(&self) -> Option<String> {
        self.sumdb.as_ref().map(|s| s.name.clone())
    }

    /// The database's record of `module@version` (see [`verify::db_record`]).
    pub fn db_record(
        self: &Arc<Self>,
        module: &str,
        version: &str,
    ) -> BoxFuture<'static, Arc<DbRecord>> {
        let this = Arc::clone(self);
        let (module, version) = (module.to_string(), version.to_string());
        Box::pin(async move {
            let (Some(db), Some(key)) = (&this.sumdb, &this.sums.key) else {
                return Arc::new(DbRecord::Unavailable("no verifier key".into()));
            };
            let name = db.name.clone();
            Arc::new(verify::db_record(&this, &name, Arc::clone(key), &module, &version).await)
        })
    }

    /// How the bodies of `req` are checked: `.mod` and `.zip` of a module version.
    async fn check(self: &Arc<Self>, req: &Request) -> Option<Arc<Check>> {
        let Request::Module {
            module,
            kind,
            version: Some(version),
        } = req
        else {
            return None;
        };
        let kind = match kind {
            Kind::Mod => SumKind::GoMod,
            Kind::Zip => SumKind::Zip,
            _ => return None,
        };
        let gosum = self.sums.go_sum().await;
        let asks_db = self.sumdb.is_some()
            && self.sums.key.is_some()
            && !policy::lookup_is_local(&self.private_patterns, &self.nosumdb_patterns, module);
        let db = asks_db.then(|| self.sums.record_cell(module, version));
        Some(Arc::new(Check::new(
            Arc::clone(self),
            module.clone(),
            version.clone(),
            kind,
            gosum,
            db,
        )))
    }

    /// The answer for `req`: given locally, kept from an earlier identical request, shared
    /// with one in flight, or fetched.
    pub fn answer(self: &Arc<Self>, req: Arc<Request>) -> BoxFuture<'static, Answer> {
        let this = Arc::clone(self);
        Box::pin(async move {
            if let Some(local) = this.local(&req) {
                return local;
            }
            let key = req.proxy_path();
            let keep = immutable(&req);
            if keep && let Some(mut kept) = this.memo.get(&key) {
                kept.how = "kept from an earlier request".into();
                return kept;
            }
            this.flights
                .share(&key, async {
                    let answer = this.fetch(&req).await;
                    if keep {
                        this.memo.put(&key, &answer);
                    }
                    answer
                })
                .await
        })
    }

    /// The answers the router gives without asking anyone.
    fn local(&self, req: &Request) -> Option<Answer> {
        match req {
            Request::SumdbSupported { name } => Some(if self.serves_db(name) {
                Answer::plain(200, "", "answered locally")
            } else {
                not_this_db()
            }),
            Request::SumdbLookup { name, .. } | Request::SumdbTile { name, .. } => {
                if !self.serves_db(name) {
                    return Some(not_this_db());
                }
                let module = req.module()?;
                policy::lookup_is_local(&self.private_patterns, &self.nosumdb_patterns, module)
                    .then(|| {
                        Answer::plain(
                            404,
                            format!("not found: {} is not checked here\n", req.describe()),
                            "private or GONOSUMDB: never forwarded",
                        )
                    })
            }
            Request::Module { .. } => None,
        }
    }

    fn serves_db(&self, name: &str) -> bool {
        self.sumdb.as_ref().is_some_and(|s| s.name == name)
    }

    /// Where `req` may go, in preference order.
    fn routes(&self, req: &Request) -> Vec<Route> {
        let up = &self.ctx.upstreams;
        match req {
            Request::Module { module, .. } => {
                let role = if policy::is_private(&self.private_patterns, module) {
                    Role::Private
                } else {
                    Role::Public
                };
                let path = req.proxy_path();
                up.with_role(role)
                    .into_iter()
                    .map(|i| Route {
                        upstream: i,
                        url: join(&up.url(i), &path),
                    })
                    .collect()
            }
            Request::SumdbLookup { .. } | Request::SumdbTile { .. } => self.sumdb_routes(req),
            Request::SumdbSupported { .. } => Vec::new(),
        }
    }

    /// Checksum routes: public proxies that proxy the database (or might), then the
    /// database's own URLs; only those when GOSUMDB names its own URL.
    fn sumdb_routes(&self, req: &Request) -> Vec<Route> {
        let up = &self.ctx.upstreams;
        let proxy_path = req.proxy_path();
        let db_path = req.sumdb_path().unwrap_or_default();
        let public = if self.sumdb.as_ref().is_some_and(|s| s.via_router) {
            up.with_role(Role::Public)
        } else {
            Vec::new()
        };
        let mut routes: Vec<Route> = Vec::new();
        for wanted in [SumdbSupport::Supported, SumdbSupport::Unknown] {
            routes.extend(
                public
                    .iter()
                    .filter(|&&i| up.sumdb(i) == wanted)
                    .map(|&i| Route {
                        upstream: i,
                        url: join(&up.url(i), &proxy_path),
                    }),
            );
        }
        routes.extend(up.with_role(Role::SumdbDirect).into_iter().map(|i| Route {
            upstream: i,
            url: join(&up.url(i), &db_path),
        }));
        routes
    }

    /// Asks the upstreams (checking `.mod` and `.zip` bodies before one can win), then the
    /// module cache: when every upstream failed (a definite 404 stays a 404), when every
    /// upstream is ejected, and alone offline.
    async fn fetch(self: &Arc<Self>, req: &Arc<Request>) -> Answer {
        let routes = self.routes(req);
        let check = self.check(req).await;
        if let Some(c) = &check {
            c.prefetch();
        }
        if routes.is_empty() {
            if let Some(answer) = self.cached(req, check.as_deref(), "module cache").await {
                return answer;
            }
            let what = req.describe();
            return match req.module() {
                _ if self.offline => Answer::plain(
                    404,
                    format!("offline (GOSHIM_OFFLINE=1): {what} is not in the module cache\n"),
                    "offline, not in the module cache",
                ),
                Some(m) if policy::is_private(&self.private_patterns, m) => Answer::plain(
                    404,
                    format!("not found: {what}\n"),
                    "private path, no private upstream",
                ),
                _ => Answer::plain(404, format!("not found: {what}\n"), "no upstream"),
            };
        }
        let up = &self.ctx.upstreams;
        let now = Instant::now();
        if routes.iter().all(|r| up.ejected(r.upstream, now))
            && let Some(answer) = self
                .cached(
                    req,
                    check.as_deref(),
                    "module cache, every upstream ejected",
                )
                .await
        {
            self.notice_cache(req);
            return answer;
        }
        match fetch(&self.ctx, req, routes, check.clone()).await {
            Fetched::Found {
                body,
                via,
                attempts,
                checked,
            } => Answer {
                status: 200,
                content_type: policy::content_type(req),
                body,
                how: match checked {
                    Some(c) => format!("via {} ({attempts} attempts); {c}", up.label(via)),
                    None => format!("via {} ({attempts} attempts)", up.label(via)),
                },
            },
            Fetched::Error { answer, attempts } if answer.status == 404 => {
                Answer::plain(404, answer.body, format!("({attempts} attempts)"))
            }
            Fetched::Error { answer, attempts } => {
                if let Some(cached) = self
                    .cached(req, check.as_deref(), "module cache, no upstream answered")
                    .await
                {
                    self.notice_cache(req);
                    return cached;
                }
                let mut body = answer.body;
                if self.cache.is_some() {
                    body = policy::with_line(
                        &body,
                        &format!("offline: {} is not in the module cache", req.describe()),
                    );
                }
                Answer::plain(answer.status, body, format!("({attempts} attempts)"))
            }
        }
    }

    /// The one notice of a run that upstreams failed and the module cache answers.
    fn notice_cache(&self, req: &Request) {
        if !self.quiet && !self.cache_noticed.swap(true, Ordering::Relaxed) {
            eprintln!(
                "goshim: no upstream answers ({}); serving what the module cache holds (offline)",
                req.describe()
            );
        }
    }

    /// The module cache's answer to `req`, when it has one that passes the checks a fetched
    /// body passes (for a zip, the hash go recorded with it).
    async fn cached(&self, req: &Arc<Request>, check: Option<&Check>, how: &str) -> Option<Answer> {
        let cache = self.cache.clone()?;
        let r = Arc::clone(req);
        let found = tokio::task::spawn_blocking(move || cache.answer(&r))
            .await
            .ok()
            .flatten()?;
        if let Some(check) = check {
            let judgement = match &found.ziphash {
                Some(h1) => check.judge(h1).await,
                None => check.verify(&found.body, None).await.ok()?,
            };
            if matches!(judgement, Judgement::Mismatch { .. }) {
                return None;
            }
        }
        Some(Answer {
            status: 200,
            content_type: policy::content_type(req),
            body: found.body,
            how: how.to_string(),
        })
    }
}

fn not_this_db() -> Answer {
    Answer::plain(404, "not found\n", "not this router's checksum database")
}

/// `base` + `/` + `path`, with exactly one slash between.
fn join(base: &str, path: &str) -> String {
    format!("{}/{path}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests;
