//! go's HTTP client as seen from the outside, for everything goshim sends upstream (the health
//! probes and the module router):
//!
//! - proxies from `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` as `net/http.ProxyFromEnvironment` reads
//!   them (loopback never proxied);
//! - go's TLS roots on Linux, `SSL_CERT_FILE`/`SSL_CERT_DIR` included (`crypto/x509`,
//!   `roots`);
//! - credentials as `cmd/go/internal/web` and `cmd/go/internal/auth` attach them: https userinfo,
//!   else `.netrc` by go's host:port prefix rule ([`netrc`]), never over http;
//! - at most 10 redirects and never https→http (`web/http.go` `checkRedirect`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, RequestBuilder, Url};

use crate::env_vars::{
    HTTP_PROXY, HTTPS_PROXY, NETRC, NO_PROXY, REQUEST_METHOD, SSL_CERT_DIR, SSL_CERT_FILE,
};
use crate::process::Process;

pub mod netrc;
pub mod roots;

pub use netrc::Netrc;

/// What go's HTTP stack reads from the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetEnv {
    /// `HTTP_PROXY` (upper case wins); `None` under CGI (`REQUEST_METHOD` set), as in net/http.
    pub http_proxy: Option<String>,
    /// `HTTPS_PROXY` (upper case wins).
    pub https_proxy: Option<String>,
    /// `NO_PROXY` (upper case wins).
    pub no_proxy: Option<String>,
    /// `SSL_CERT_FILE`.
    pub ssl_cert_file: Option<String>,
    /// `SSL_CERT_DIR`.
    pub ssl_cert_dir: Option<String>,
    /// The `.netrc` go would read (`NETRC`, else in the home directory).
    pub netrc_path: Option<PathBuf>,
}

impl NetEnv {
    /// The settings of this process.
    pub fn of(process: &Process) -> NetEnv {
        let get = |[upper, lower]: [&str; 2]| {
            process
                .non_empty_str(upper)
                .or_else(|| process.non_empty_str(lower))
                .map(str::to_string)
        };
        let home = process
            .non_empty(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
            .map(PathBuf::from);
        NetEnv {
            http_proxy: get(HTTP_PROXY).filter(|_| process.var_os(REQUEST_METHOD).is_none()),
            https_proxy: get(HTTPS_PROXY),
            no_proxy: get(NO_PROXY),
            ssl_cert_file: process.var(SSL_CERT_FILE).map(str::to_string),
            ssl_cert_dir: process.var(SSL_CERT_DIR).map(str::to_string),
            netrc_path: netrc::path(process.var(NETRC), home.as_deref()),
        }
    }

    /// The `.netrc` credentials go would send (none when `use_netrc` is false: `GOAUTH=off`).
    pub fn netrc(&self, use_netrc: bool) -> Netrc {
        if !use_netrc {
            return Netrc::default();
        }
        match self
            .netrc_path
            .as_deref()
            .and_then(|p| crate::fsread::read_text_lossy(p, netrc::MAX_BYTES))
        {
            Some(text) => Netrc::from_lines(netrc::parse(&text)),
            None => Netrc::default(),
        }
    }

    /// `http.ProxyFromEnvironment` as reqwest proxies: a value without a scheme means
    /// `http://`, and loopback hosts are never proxied.
    fn proxies(&self) -> Vec<reqwest::Proxy> {
        let no_proxy = format!(
            "localhost,127.0.0.0/8,::1,{}",
            self.no_proxy.as_deref().unwrap_or_default()
        );
        let with_scheme = |v: &str| {
            if v.contains("://") {
                v.to_string()
            } else {
                format!("http://{v}")
            }
        };
        let mut out = Vec::new();
        if let Some(p) = &self.http_proxy
            && let Ok(p) = reqwest::Proxy::http(with_scheme(p))
        {
            out.push(p.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
        }
        if let Some(p) = &self.https_proxy
            && let Ok(p) = reqwest::Proxy::https(with_scheme(p))
        {
            out.push(p.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
        }
        out
    }
}

/// How a client is built.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    /// TCP + TLS connect timeout.
    pub connect: Duration,
    /// The whole request, body included; `None`: the caller bounds it.
    pub total: Option<Duration>,
    pub user_agent: &'static str,
}

/// The reqwest client go's HTTP stack corresponds to.
pub fn client(net: &NetEnv, opts: ClientOptions) -> Result<Client, String> {
    let mut builder = Client::builder()
        .connect_timeout(opts.connect)
        .user_agent(opts.user_agent)
        .redirect(go_redirect_policy())
        .no_proxy();
    if let Some(total) = opts.total {
        builder = builder.timeout(total);
    }
    for proxy in net.proxies() {
        builder = builder.proxy(proxy);
    }
    if let Some((files, dirs)) =
        roots::go_root_sources(net.ssl_cert_file.as_deref(), net.ssl_cert_dir.as_deref())
    {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let roots = roots::LazyRoots::new(files, dirs, Arc::clone(&provider));
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(roots))
            .with_no_client_auth();
        // HTTP/2 when the server offers it, as net/http's ForceAttemptHTTP2 (reqwest leaves
        // a preconfigured TLS setup's ALPN list alone).
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        builder = builder.tls_backend_preconfigured(config);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// At most 10 redirects, and never from https to http (`web/http.go`).
fn go_redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let previous = attempt.previous();
        if previous.first().is_some_and(|u| u.scheme() == "https")
            && attempt.url().scheme() != "https"
        {
            let last = previous
                .last()
                .map(|u| redact(u.as_str()))
                .unwrap_or_default();
            let next = redact(attempt.url().as_str());
            return attempt.error(format!(
                "redirected from secure URL {last} to insecure URL {next}"
            ));
        }
        if previous.len() >= 10 {
            return attempt.error("stopped after 10 redirects");
        }
        attempt.follow()
    })
}

/// Adds the credentials go would send for `url`: its own userinfo (reqwest sends it), else the
/// `.netrc` entry for an https URL. Returns the request and whether credentials go with it.
pub fn with_credentials(req: RequestBuilder, url: &str, netrc: &Netrc) -> (RequestBuilder, bool) {
    let has_userinfo =
        Url::parse(url).is_ok_and(|u| !u.username().is_empty() || u.password().is_some());
    if has_userinfo {
        return (req, true);
    }
    match netrc.lookup(url) {
        Some((login, password)) => (req.basic_auth(login, Some(password)), true),
        None => (req, false),
    }
}

/// `url` split around its userinfo: `(scheme://, userinfo, host and the rest)`; `None` when it
/// has no scheme or no userinfo. The authority ends at the first `/`; the userinfo at the
/// last `@` in it.
fn split_userinfo(url: &str) -> Option<(&str, &str, &str)> {
    let start = url.find("://")? + 3;
    let authority_end = url[start..].find('/').map_or(url.len(), |i| start + i);
    let at = start + url[start..authority_end].rfind('@')?;
    Some((&url[..start], &url[start..at], &url[at + 1..]))
}

/// `url` without its userinfo: the key a proxy's verdicts are kept and looked up under, so the
/// same proxy is the same entry whatever credentials a configuration gives it.
pub fn without_userinfo(url: &str) -> String {
    match split_userinfo(url) {
        Some((scheme, _, rest)) => format!("{scheme}{rest}"),
        None => url.to_string(),
    }
}

/// `url` with any password replaced by `xxxxx`, as go's `URL.Redacted`.
pub fn redact(url: &str) -> String {
    match split_userinfo(url) {
        Some((scheme, userinfo, rest)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}{user}:xxxxx@{rest}"),
            None => format!("{scheme}{userinfo}@{rest}"),
        },
        None => url.to_string(),
    }
}

/// `text` with the password of every URL in it replaced by `xxxxx` (as [`redact`] does for
/// one URL): for free text that may quote URLs — a GOPROXY list (`a,b|c`), a reason, an error
/// message, a configuration value. Everything goshim prints passes through this or
/// [`redact`]; only `goshim env`'s output (the variables go is given) keeps credentials.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (before, after) = rest.split_at(i + 3);
        out.push_str(before);
        // The authority ends where a path, query or fragment starts, or where the text goes
        // on (space, quote, GOPROXY's '|'); ',' may be part of a password, so a GOPROXY list's
        // next entry is found by its own "://".
        let mut end = after
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(c, '/' | '?' | '#' | '"' | '\'' | '|' | '<' | '>' | '`')
            })
            .unwrap_or(after.len());
        if let Some(next) = after.find("://").filter(|&j| j < end) {
            // The next URL starts inside (`a.example,https://…`): stop at its scheme.
            end = after[..next]
                .char_indices()
                .rev()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
                .map_or(0, |(k, c)| k + c.len_utf8());
        }
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":xxxxx");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_variables_read_like_net_http() {
        let p = Process::with(
            [
                ("HTTP_PROXY", "up:1"),
                ("http_proxy", "low:1"),
                ("https_proxy", "low:2"),
                ("NO_PROXY", ""),
                ("no_proxy", "corp"),
                ("NETRC", "/n/.netrc"),
            ],
            "/",
            None,
        );
        let net = NetEnv::of(&p);
        assert_eq!(net.http_proxy.as_deref(), Some("up:1"));
        assert_eq!(net.https_proxy.as_deref(), Some("low:2"));
        assert_eq!(net.no_proxy.as_deref(), Some("corp"));
        assert_eq!(net.netrc_path, Some(PathBuf::from("/n/.netrc")));
        let cgi = Process::with(
            [("HTTP_PROXY", "up:1"), ("REQUEST_METHOD", "GET")],
            "/",
            None,
        );
        assert_eq!(NetEnv::of(&cgi).http_proxy, None);
    }

    #[test]
    fn verdict_keys_drop_the_userinfo() {
        assert_eq!(
            without_userinfo("https://u:secret@h.example:8443/p"),
            "https://h.example:8443/p"
        );
        assert_eq!(
            without_userinfo("https://u@h.example/a@b"),
            "https://h.example/a@b"
        );
        assert_eq!(
            without_userinfo("https://h.example/a@b"),
            "https://h.example/a@b"
        );
        assert_eq!(without_userinfo("file:///x"), "file:///x");
    }

    #[test]
    fn redacts_every_password_in_a_text() {
        assert_eq!(
            redact_text("using https://u:pw@a.example,https://b.example|direct now"),
            "using https://u:xxxxx@a.example,https://b.example|direct now"
        );
        assert_eq!(
            redact_text(
                "GOPROXY=https://a.example,https://u:p,w@b.example/go|http://v:p@ss@c:1 (x)"
            ),
            "GOPROXY=https://a.example,https://u:xxxxx@b.example/go|http://v:xxxxx@c:1 (x)"
        );
        assert_eq!(
            redact_text("proxy URL \"ftp://u:pw@m.example\": bad (https://t@h.example)"),
            "proxy URL \"ftp://u:xxxxx@m.example\": bad (https://t@h.example)"
        );
        assert_eq!(redact_text("no urls: a,b|c @ x:y"), "no urls: a,b|c @ x:y");
        assert_eq!(redact_text("https://"), "https://");
        assert_eq!(redact_text("é://u:p@h ü"), "é://u:xxxxx@h ü");
        assert_eq!(
            redact_text("https://a.example,ähttps://u:p@b"),
            "https://a.example,ähttps://u:xxxxx@b"
        );
    }

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact("https://u:secret@h.example:8443/p"),
            "https://u:xxxxx@h.example:8443/p"
        );
        assert_eq!(redact("https://u@h.example/p"), "https://u@h.example/p");
        assert_eq!(redact("https://h.example/a@b"), "https://h.example/a@b");
        assert_eq!(redact("file:///x"), "file:///x");
    }
}
