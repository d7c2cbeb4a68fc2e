//! The HTTP/1.1 side go talks to: 127.0.0.1 only, the path token and the `Host` header
//! checked, every request parsed and routed (router-facts §9, §11.14).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST};
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use super::fetch::{Ctx, Fetched, Route, fetch};
use super::policy;
use super::request::{Refusal, Request};
use super::spool::ResponseBody;
use super::table::Table;
use super::upstreams::Role;
use crate::health::SumdbSupport;

/// A connection that sends no complete request head for this long is closed.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// What the server checks and routes with.
#[derive(Debug)]
pub struct Server {
    pub ctx: Arc<Ctx>,
    pub token: String,
    pub port: u16,
    pub private_patterns: String,
    pub nosumdb_patterns: String,
    pub sumdb_name: Option<String>,
    pub debug: bool,
}

impl Server {
    pub fn new(ctx: Arc<Ctx>, table: &Table, token: String, port: u16) -> Server {
        Server {
            ctx,
            token,
            port,
            private_patterns: table.private_patterns.clone(),
            nosumdb_patterns: table.nosumdb_patterns.clone(),
            sumdb_name: table.sumdb.as_ref().map(|s| s.name.clone()),
            debug: table.debug,
        }
    }

    /// Accepts connections until `shutdown` resolves.
    pub async fn serve(
        self: Arc<Server>,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors and the like: let in-flight requests finish.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => return,
            };
            let _ = stream.set_nodelay(true);
            let server = Arc::clone(&self);
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let server = Arc::clone(&server);
                    async move { Ok::<_, Infallible>(server.handle(req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    /// One request from go.
    pub async fn handle(&self, req: hyper::Request<Incoming>) -> Response<ResponseBody> {
        if !self.host_ok(req.headers().get(HOST).and_then(|h| h.to_str().ok())) {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        }
        let Some(rest) = self.strip_token(req.uri().path()) else {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        if req.method() != Method::GET {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
        }
        if req.uri().query().is_some() {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        }
        let parsed = match Request::parse(rest) {
            Ok(p) => p,
            Err(Refusal::NotFound) => return plain(StatusCode::NOT_FOUND, "not found\n"),
            Err(Refusal::BadRequest) => return plain(StatusCode::BAD_REQUEST, "bad request\n"),
        };
        let started = Instant::now();
        let parsed = Arc::new(parsed);
        let (resp, route) = self.route(&parsed).await;
        if self.debug {
            eprintln!(
                "goshim: router: {} -> {} {route} ({} ms)",
                parsed.describe(),
                resp.status().as_u16(),
                started.elapsed().as_millis()
            );
        }
        resp
    }

    /// `Host` must name this listener (DNS rebinding, router-facts §9).
    fn host_ok(&self, host: Option<&str>) -> bool {
        let Some(host) = host else { return false };
        host == format!("127.0.0.1:{}", self.port) || host == format!("localhost:{}", self.port)
    }

    /// The path after `/<token>/`, when the token matches (compared in constant time).
    fn strip_token<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix('/')?;
        let (given, rest) = rest.split_once('/')?;
        constant_time_eq(given.as_bytes(), self.token.as_bytes()).then_some(rest)
    }

    /// Decides where `req` goes and answers it; the second value describes the route for
    /// the debug trace.
    async fn route(&self, req: &Arc<Request>) -> (Response<ResponseBody>, String) {
        let up = &self.ctx.upstreams;
        let routes: Vec<Route> = match &**req {
            Request::Module { module, .. } => {
                let private = policy::is_private(&self.private_patterns, module);
                let role = if private { Role::Private } else { Role::Public };
                let ids = up.with_role(role);
                if ids.is_empty() {
                    let why = if private {
                        "private path, no private upstream"
                    } else {
                        "no public upstream"
                    };
                    return (
                        plain(
                            StatusCode::NOT_FOUND,
                            &format!("not found: {}\n", req.describe()),
                        ),
                        why.into(),
                    );
                }
                let path = req.proxy_path();
                ids.into_iter()
                    .map(|i| Route {
                        upstream: i,
                        url: join(&up.url(i), &path),
                    })
                    .collect()
            }
            Request::SumdbSupported { name } => {
                return if self.sumdb_name.as_deref() == Some(name) {
                    (plain(StatusCode::OK, ""), "answered locally".into())
                } else {
                    (
                        plain(StatusCode::NOT_FOUND, "not found\n"),
                        "not this router's checksum database".into(),
                    )
                };
            }
            Request::SumdbLookup { name, .. } | Request::SumdbTile { name, .. } => {
                if self.sumdb_name.as_deref() != Some(name) {
                    return (
                        plain(StatusCode::NOT_FOUND, "not found\n"),
                        "not this router's checksum database".into(),
                    );
                }
                if let Some(module) = req.module()
                    && policy::lookup_is_local(
                        &self.private_patterns,
                        &self.nosumdb_patterns,
                        module,
                    )
                {
                    return (
                        plain(
                            StatusCode::NOT_FOUND,
                            &format!("not found: {} is not checked here\n", req.describe()),
                        ),
                        "private or GONOSUMDB: never forwarded".into(),
                    );
                }
                self.sumdb_routes(req)
            }
        };
        match fetch(&self.ctx, req, routes).await {
            Fetched::Found {
                body,
                via,
                attempts,
            } => {
                let body = ResponseBody::from(body);
                let resp = Response::builder()
                    .status(StatusCode::OK)
                    .header(CONTENT_TYPE, policy::content_type(req))
                    .header(CONTENT_LENGTH, body.len())
                    .body(body)
                    .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, ""));
                (resp, format!("via {} ({attempts} attempts)", up.label(via)))
            }
            Fetched::Error { answer, attempts } => (
                plain(
                    StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY),
                    &answer.body,
                ),
                format!("({attempts} attempts)"),
            ),
        }
    }

    /// Checksum routes: public proxies that proxy the database (or might), then the
    /// database's own URLs.
    fn sumdb_routes(&self, req: &Request) -> Vec<Route> {
        let up = &self.ctx.upstreams;
        let proxy_path = req.proxy_path();
        let db_path = req.sumdb_path().unwrap_or_default();
        let public = up.with_role(Role::Public);
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
}

/// `base` + `/` + `path`, with exactly one slash between.
fn join(base: &str, path: &str) -> String {
    format!("{}/{path}", base.trim_end_matches('/'))
}

/// A short `text/plain; charset=utf-8` answer.
fn plain(status: StatusCode, body: &str) -> Response<ResponseBody> {
    let mut resp = Response::new(ResponseBody::Full(Some(Bytes::from(body.to_string()))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// Equal length and equal bytes, without an early exit on the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::http::Netrc;
    use crate::router::fake::{Act, Fake};
    use crate::router::table::{RouterSettings, SumdbRoutes, Upstream};
    use crate::router::upstreams::Upstreams;

    fn server(table: &Table) -> Server {
        let ctx = Ctx::new(
            reqwest::Client::builder().no_proxy().build().unwrap(),
            Netrc::default(),
            table.settings,
            Upstreams::new(table, Instant::now(), SystemTime::now()),
            crate::process::Process::with([("X", "")], "/", None)
                .temp_dir()
                .to_path_buf(),
            7,
        );
        Server::new(Arc::new(ctx), table, "t".repeat(32), 1)
    }

    fn table(public: Vec<Upstream>, private: Vec<Upstream>, sumdb: Option<SumdbRoutes>) -> Table {
        Table {
            public,
            private,
            private_patterns: "corp.example/team".into(),
            nosumdb_patterns: "nosum.example".into(),
            sumdb,
            settings: RouterSettings {
                hedge_delay: Duration::from_millis(200),
                ..RouterSettings::default()
            },
            netrc: false,
            quiet: true,
            debug: false,
            probe_label: String::new(),
        }
    }

    async fn status(s: &Server, path: &str) -> u16 {
        let req = Arc::new(Request::parse(path).unwrap());
        s.route(&req).await.0.status().as_u16()
    }

    #[tokio::test]
    async fn private_paths_and_local_checksum_answers_never_leave_the_router() {
        let public = Fake::start(|_, _| Act::Answer(200, "text/plain", b"v1.0.0\n".to_vec()));
        let db = Fake::start(|_, _| Act::Answer(200, "text/plain", b"1\n".to_vec()));
        let s = server(&table(
            vec![Upstream::new(public.url.clone())],
            vec![],
            Some(SumdbRoutes {
                name: "sum.golang.org".into(),
                direct: vec![db.url.clone()],
            }),
        ));
        assert_eq!(status(&s, "corp.example/team/x/@v/list").await, 404);
        assert_eq!(
            status(&s, "corp.example/@v/list").await,
            404,
            "a proper prefix"
        );
        assert_eq!(
            status(&s, "sumdb/sum.golang.org/lookup/corp.example/team/x@v1.0.0").await,
            404
        );
        assert_eq!(
            status(&s, "sumdb/sum.golang.org/lookup/nosum.example/x@v1.0.0").await,
            404
        );
        assert_eq!(status(&s, "sumdb/sum.golang.org/supported").await, 200);
        assert_eq!(status(&s, "sumdb/other.example/supported").await, 404);
        assert_eq!((public.hits(), db.hits()), (0, 0));
        assert_eq!(status(&s, "example.com/m/@v/list").await, 200);
        assert_eq!(public.hits(), 1);
    }

    #[tokio::test]
    async fn a_proxy_that_claims_the_database_and_hangs_is_hedged_to_the_database() {
        let claims = Fake::start(|_, _| Act::Hang);
        let db = Fake::start(|path, _| {
            assert!(path.starts_with("/lookup/example.com/m@v1.0.0"), "{path}");
            Act::Answer(
                200,
                "text/plain",
                b"12\nexample.com/m v1.0.0 h1:x\n".to_vec(),
            )
        });
        let mut proxy = Upstream::new(claims.url.clone());
        proxy.sumdb = SumdbSupport::Supported;
        let s = server(&table(
            vec![proxy],
            vec![],
            Some(SumdbRoutes {
                name: "sum.golang.org".into(),
                direct: vec![db.url.clone()],
            }),
        ));
        let t = Instant::now();
        assert_eq!(
            status(&s, "sumdb/sum.golang.org/lookup/example.com/m@v1.0.0").await,
            200
        );
        assert!(t.elapsed() < Duration::from_secs(5));
        assert_eq!((claims.hits(), db.hits()), (1, 1));
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn joins_with_one_slash() {
        assert_eq!(
            join("https://a.example/go/", "x/@v/list"),
            "https://a.example/go/x/@v/list"
        );
        assert_eq!(
            join("https://a.example", "x/@v/list"),
            "https://a.example/x/@v/list"
        );
    }
}
