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

use super::memo::Answer;
use super::request::{Refusal, Request};
use super::service::Service;
use super::spool::ResponseBody;

/// A connection that sends no complete request head for this long is closed.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// What the server checks, and what answers.
#[derive(Debug)]
pub struct Server {
    pub service: Arc<Service>,
    pub token: String,
    pub port: u16,
    pub debug: bool,
}

impl Server {
    pub fn new(service: Arc<Service>, token: String, port: u16, debug: bool) -> Server {
        Server {
            service,
            token,
            port,
            debug,
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
                accepted = listener.accept() => if let Ok((stream, _)) = accepted { stream } else {
                    // Out of file descriptors and the like: let in-flight requests finish.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
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
        let answer = self.service.answer(Arc::clone(&parsed)).await;
        if self.debug {
            eprintln!(
                "goshim: router: {} -> {} {} ({} ms)",
                parsed.describe(),
                answer.status,
                answer.how,
                started.elapsed().as_millis()
            );
        }
        respond(answer)
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
}

/// The HTTP response for an answer: a 200 with its exact `Content-Length` and content type,
/// or a short text.
fn respond(answer: Answer) -> Response<ResponseBody> {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = ResponseBody::from(answer.body);
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, answer.content_type)
        .header(CONTENT_LENGTH, body.len())
        .body(body)
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, ""))
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
    use super::*;

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }
}
