//! One attempt of one request on one upstream: a GET with deadlines for the headers and for
//! each body chunk, size limits, the exact length, the body checked (and its `h1:` verified)
//! before it may win, and every failure named the way go's users can act on it.

use std::time::{Duration, Instant};

use tokio::time::timeout;

use super::fetch::Ctx;
use super::policy;
use super::progress::Progress;
use super::request::{Kind, Request};
use super::spool::{MAX_METADATA, MAX_ZIP, Spool, Spooled};
use super::upstreams::sanitize;
use super::verify::{Check, Judgement, Streamer};
use crate::goenv::gosum::SumKind;

/// Why an attempt did not produce an answer.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) what: String,
    pub(super) timeout: bool,
    pub(super) retryable: bool,
    pub(super) retry_after: Option<Duration>,
    /// It served a body whose `h1:` hash is not the one go requires.
    pub(super) mismatch: bool,
}

impl Failure {
    pub(super) fn retry(what: impl Into<String>) -> Failure {
        Failure {
            what: what.into(),
            timeout: false,
            retryable: true,
            retry_after: None,
            mismatch: false,
        }
    }

    pub(super) fn fatal(what: impl Into<String>) -> Failure {
        Failure {
            retryable: false,
            ..Failure::retry(what)
        }
    }

    pub(super) fn timeout(what: impl Into<String>) -> Failure {
        Failure {
            timeout: true,
            ..Failure::retry(what)
        }
    }
}

pub(super) enum AttemptResult {
    Found(Spooled, Option<String>),
    NotFound,
    Failed(Failure),
}

/// One GET of `url`: deadlines for the headers and for each body chunk, size limits, exact
/// length, and the body checked (its `h1:` hash too, with `check`) before it can win.
pub(super) async fn attempt(
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
pub(super) async fn verified(
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
pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
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
pub(super) fn classify(e: &reqwest::Error) -> Failure {
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

/// The longest error text a notice or a 502 body quotes.
const MAX_CAUSE: usize = 100;

/// The innermost error's text, printable and short, without any URL.
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(s) = last.source() {
        last = s;
    }
    let text = sanitize(&last.to_string());
    if text.contains("://") {
        return "transport error".into();
    }
    shorten(text)
}

/// `text` cut to [`MAX_CAUSE`] at a word boundary, `...` marking the cut (a word cut in half,
/// "Name or service not kn", reads as a typo). `text` is ASCII (see [`sanitize`]).
fn shorten(mut text: String) -> String {
    if text.len() <= MAX_CAUSE {
        return text;
    }
    let cut = text[..MAX_CAUSE - 3].rfind(' ').unwrap_or(MAX_CAUSE - 3);
    text.truncate(cut);
    text.push_str("...");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Chain(&'static str, Option<Box<Chain>>);

    impl std::fmt::Display for Chain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Chain {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|c| c as _)
        }
    }

    fn cause(inner: &'static str) -> String {
        root_cause(&Chain(
            "client error (Connect)",
            Some(Box::new(Chain(inner, None))),
        ))
    }

    #[test]
    fn root_cause_keeps_a_resolver_error_whole() {
        assert_eq!(
            cause("failed to lookup address information: Name or service not known"),
            "failed to lookup address information: Name or service not known"
        );
    }

    #[test]
    fn root_cause_cuts_a_long_text_between_words() {
        let long = cause(
            "the upstream said something very long about why it cannot serve this request, \
             and it goes on and on past any reasonable length for one line",
        );
        assert_eq!(
            long,
            "the upstream said something very long about why it cannot serve this request, and it goes on and..."
        );
        assert!(long.len() <= MAX_CAUSE);
    }

    #[test]
    fn root_cause_never_quotes_a_url() {
        assert_eq!(
            cause("error sending request for url (https://u:p@corp.example/x)"),
            "transport error"
        );
        assert_eq!(cause("bad\u{7}byte\nline"), "bad?byte?line");
    }
}
