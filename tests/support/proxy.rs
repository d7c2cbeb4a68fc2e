//! A fixture GOPROXY server on 127.0.0.1, started per test, that serves [`Module`]s and injects
//! faults. Blocking std::net with one thread per connection; everything stops when the
//! [`Proxy`] is dropped (hanging and trickling connections included).
//!
//! ```ignore
//! let p = Proxy::start();
//! p.add(Module::new("example.com/hello", "v1.0.0").file("hello.go", "package hello\n"));
//! // GOPROXY=p.url() ...
//! p.set_fault(Fault::Status(503));                       // every path now answers 503
//! p.set_fault_under("private.example/", Fault::Hang);   // only these paths hang
//! p.set_fault(Fault::Hang.on_zips());                   // zips hang, the rest is served
//! assert!(p.saw("/example.com/hello/@v/v1.0.0.zip"));
//! p.assert_never_saw("private.example");
//! ```
//!
//! TLS: [`Proxy::https_trusted`] presents a certificate for `127.0.0.1`/`localhost` issued by a
//! fixture CA whose PEM is at [`ca_pem_path`] (point `SSL_CERT_FILE` at it);
//! [`Proxy::https_untrusted`] presents a self-signed one that no bundle holds.
//!
//! Checksum database: [`Proxy::proxy_sumdb`] proxies a fixture [`SumDb`] at
//! `/sumdb/<name>/...` as a GOPROXY does; [`Proxy::serve_sumdb`] (or [`SumDb::start_server`])
//! serves it directly at the root.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::modules::{Module, ModuleSet, ProxyRequest, TAMPER_LINE};
use super::sumdb::SumDb;

/// The `.info` `Version` served under [`Fault::WrongVersion`].
pub const WRONG_VERSION: &str = "v0.0.0-fixture-wrong";

/// The body served under [`Fault::Html`].
pub const CAPTIVE_PORTAL_HTML: &str =
    "<!DOCTYPE html><html><head><title>Log in</title></head><body>Captive portal</body></html>\n";

/// How a proxy (or the paths under one prefix) behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Serve the modules (the default).
    Serve,
    /// Whole proxy: the port is closed, connections are refused (it reopens on the same port
    /// when the fault is lifted). Under a prefix: the connection is closed without an answer.
    Refused,
    /// Read the request, never answer (until the proxy is dropped).
    Hang,
    /// Send the headers of the normal answer, then its body one byte per `Duration`.
    SlowBody(Duration),
    /// Answer with this status (204 without a body; 401 with `WWW-Authenticate`).
    Status(u16),
    /// Answer 200 `text/html` with [`CAPTIVE_PORTAL_HTML`] to everything.
    Html,
    /// Serve normally, but `.info` and `@latest` answer 200 with `Version` [`WRONG_VERSION`].
    WrongVersion,
    /// Answer 302 with `Location: <target><request path below the base path>` (e.g. another
    /// proxy's `url()`).
    Redirect(String),
    /// Serve normally only with `Authorization: Basic base64(user:password)`; else 401.
    BasicAuth { user: String, password: String },
    /// Apply the inner fault to `.zip` requests only and serve every other path normally
    /// (build it with [`Fault::on_zips`]; `Fault::Hang.on_zips()` hangs on zips only).
    ZipOnly(Box<Fault>),
    /// Send the headers of the normal answer (with its full `Content-Length`) and the first
    /// half of its body (rounded down), then stall until the proxy is dropped.
    StallMidBody,
    /// Answer 502 to every Nth request this fault governs (the Nth, 2Nth, ...; `FailEvery(1)`
    /// fails them all), serve the others. Requests are counted per proxy from the last
    /// `set_fault*`/`clear_faults` call.
    FailEvery(u64),
    /// Answer 429 with `Retry-After: <retry_after_secs>` to the first `first` requests this
    /// fault governs (every request when `None`), then serve normally. Counted as
    /// [`Fault::FailEvery`] counts.
    TooManyRequests {
        retry_after_secs: u64,
        first: Option<u64>,
    },
    /// Answer everything normally after waiting this long (the connection stays silent).
    Delay(Duration),
    /// Send the normal answer at this many bytes per second (in chunks of about 64 KiB), as a
    /// slow link does.
    Throttle(u64),
    /// Serve normally, except that a module's `.zip` holds other bytes
    /// ([`Module::tampered`]: a file changed, `Content-Length` exact), so go's h1 check fails.
    TamperZip,
    /// Serve normally, except that a module's `.mod` gains [`TAMPER_LINE`] (`Content-Length`
    /// exact), so go's go.mod h1 check fails.
    TamperMod,
    /// Claim a checksum database and never deliver: `/sumdb/<any name>/supported` answers
    /// 200, every other checksum-database request (`/sumdb/...`, and on a database served at
    /// the root `/lookup/...`, `/tile/...`, `/latest`) hangs until the proxy is dropped;
    /// module files are served normally.
    SumdbLookupHang,
}

impl Fault {
    /// This fault for `.zip` requests only ([`Fault::ZipOnly`]).
    pub fn on_zips(self) -> Fault {
        Fault::ZipOnly(Box::new(self))
    }
}

/// What `/sumdb/sum.golang.org/supported` answers when the proxy serves normally (unless a
/// database named `sum.golang.org` is attached with [`Proxy::proxy_sumdb`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SumdbSupport {
    /// 200: the proxy says it proxies sum.golang.org.
    Supported,
    /// 404 (the default): go then contacts the checksum database directly.
    NotFound,
    /// The connection is closed without any answer.
    NoAnswer,
}

/// One request the proxy received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The request target, percent-decoded (go sends `!` as `%21`), e.g.
    /// `/example.com/!burnt!sushi/@v/list`.
    pub path: String,
    /// Every header, names as sent.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// A header's value (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn mentions(&self, needle: &str) -> bool {
        self.path.contains(needle) || self.headers.iter().any(|(_, v)| v.contains(needle))
    }
}

/// A running fixture proxy. Dropping it stops every thread it started.
pub struct Proxy {
    inner: Arc<Inner>,
    accept: Option<JoinHandle<()>>,
    addr: SocketAddr,
}

struct State {
    modules: ModuleSet,
    /// (path prefix without the leading `/`, fault); the longest matching prefix wins.
    faults: Vec<(String, Fault)>,
    sumdb: SumdbSupport,
    /// Checksum databases attached with [`Proxy::proxy_sumdb`] and [`Proxy::serve_sumdb`].
    sumdbs: Vec<SumdbMount>,
    /// The base path (`/api/go`, or empty) every served path starts with.
    base: String,
    /// Whether the port is open (false while a whole-proxy [`Fault::Refused`] holds).
    listening: bool,
}

/// A checksum database served at `prefix` (empty: the root; `sumdb/<name>/` when proxied,
/// which also answers `supported`).
struct SumdbMount {
    prefix: String,
    db: SumDb,
}

impl State {
    fn refused(&self) -> bool {
        self.faults
            .iter()
            .any(|(p, f)| p.is_empty() && *f == Fault::Refused)
    }
}

struct Inner {
    state: Mutex<State>,
    /// Signalled when the proxy stops, to wake hanging and trickling connections.
    wake: Condvar,
    stopping: AtomicBool,
    log: Mutex<Vec<Request>>,
    /// Requests governed by a counting fault ([`Fault::FailEvery`],
    /// [`Fault::TooManyRequests`]) since the faults last changed.
    counted: AtomicU64,
    accepted: AtomicUsize,
    next_conn: AtomicU64,
    conns: Mutex<HashMap<u64, TcpStream>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    tls: Option<Arc<ServerConfig>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Proxy {
    /// An http proxy on 127.0.0.1 with a free port, serving nothing yet.
    pub fn start() -> Proxy {
        Proxy::launch(None)
    }

    /// An https proxy whose certificate is issued by the fixture CA ([`ca_pem_path`]).
    pub fn https_trusted() -> Proxy {
        Proxy::launch(Some(tls_fixtures().trusted.clone()))
    }

    /// An https proxy with a self-signed certificate that no CA bundle holds.
    pub fn https_untrusted() -> Proxy {
        Proxy::launch(Some(tls_fixtures().untrusted.clone()))
    }

    /// An http proxy already serving `modules`.
    pub fn serving(modules: impl IntoIterator<Item = Module>) -> Proxy {
        let p = Proxy::start();
        for m in modules {
            p.add(m);
        }
        p
    }

    fn launch(tls: Option<Arc<ServerConfig>>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a fixture proxy port");
        let addr = listener.local_addr().expect("fixture proxy address");
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                modules: ModuleSet::new(),
                faults: Vec::new(),
                sumdb: SumdbSupport::NotFound,
                sumdbs: Vec::new(),
                base: String::new(),
                listening: true,
            }),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            log: Mutex::new(Vec::new()),
            counted: AtomicU64::new(0),
            accepted: AtomicUsize::new(0),
            next_conn: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            threads: Mutex::new(Vec::new()),
            tls,
        });
        let accept_inner = Arc::clone(&inner);
        let accept = std::thread::Builder::new()
            .name(format!("fixture-proxy-{}", addr.port()))
            .spawn(move || accept_loop(&accept_inner, listener, addr))
            .expect("spawn the fixture proxy thread");
        Proxy {
            inner,
            accept: Some(accept),
            addr,
        }
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT` (no trailing `/`).
    pub fn url(&self) -> String {
        let scheme = if self.inner.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let base = lock(&self.inner.state).base.clone();
        format!("{scheme}://127.0.0.1:{}{base}", self.addr.port())
    }

    /// Serves under a base path, like a repository manager (`/api/go/repo`): [`Proxy::url`]
    /// then ends with it, requests outside it get 404 (and are still logged), and fault
    /// prefixes are relative to it.
    pub fn set_base_path(&self, base: &str) {
        let trimmed = base.trim_matches('/');
        lock(&self.inner.state).base = if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        };
    }

    /// [`Proxy::url`] with `user:password@` before the host (go sends it as Basic auth over
    /// https, and refuses to send it over http).
    pub fn url_with_userinfo(&self, user: &str, password: &str) -> String {
        self.url()
            .replacen("://", &format!("://{user}:{password}@"), 1)
    }

    /// `127.0.0.1:PORT` (the `machine` a `.netrc` entry needs; add the base path for a
    /// path-scoped entry).
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.addr.port())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `module` from now on.
    pub fn add(&self, module: Module) {
        lock(&self.inner.state).modules.add(module);
    }

    /// Sets the behaviour for every path not covered by [`Proxy::set_fault_under`].
    pub fn set_fault(&self, fault: Fault) {
        self.set_fault_under("", fault);
    }

    /// Sets the behaviour for request paths starting with `prefix` (without the leading `/`,
    /// e.g. `private.example/` or `sumdb/`). The longest matching prefix wins.
    pub fn set_fault_under(&self, prefix: &str, fault: Fault) {
        let prefix = prefix.trim_start_matches('/').to_string();
        let mut state = lock(&self.inner.state);
        state.faults.retain(|(p, _)| *p != prefix);
        state.faults.push((prefix, fault));
        self.inner.counted.store(0, Ordering::SeqCst);
        drop(state);
        self.sync_listener();
    }

    /// Back to serving normally everywhere.
    pub fn clear_faults(&self) {
        lock(&self.inner.state).faults.clear();
        self.inner.counted.store(0, Ordering::SeqCst);
        self.sync_listener();
    }

    /// Returns once the port is closed (whole-proxy [`Fault::Refused`]) or open (otherwise).
    fn sync_listener(&self) {
        let mut state = lock(&self.inner.state);
        if state.listening && state.refused() {
            drop(state);
            // Wakes the accept thread, which then closes the port.
            let _ = TcpStream::connect(self.addr);
            state = lock(&self.inner.state);
        }
        self.inner.wake.notify_all();
        let (state, waited) = self
            .inner
            .wake
            .wait_timeout_while(state, Duration::from_secs(10), |s| {
                s.listening == s.refused()
            })
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(
            !waited.timed_out(),
            "fixture proxy {}: the port did not {} within 10 s",
            self.addr,
            if state.refused() { "close" } else { "reopen" }
        );
    }

    /// What `/sumdb/sum.golang.org/supported` answers (default [`SumdbSupport::NotFound`]).
    pub fn set_sumdb(&self, support: SumdbSupport) {
        lock(&self.inner.state).sumdb = support;
    }

    /// Proxies the checksum database `db` as a GOPROXY does: `/sumdb/<name>/supported`
    /// answers 200 and `/sumdb/<name>/{latest,lookup/...,tile/...}` come from `db` (which may
    /// keep growing). go reaches it with GOSUMDB = [`SumDb::gosumdb`] and GOPROXY = this proxy.
    pub fn proxy_sumdb(&self, db: &SumDb) {
        self.mount_sumdb(format!("sumdb/{}/", db.name()), db);
    }

    /// Serves the checksum database `db` itself at the root (below the base path): `/latest`,
    /// `/lookup/...`, `/tile/...`. go reaches it with GOSUMDB = [`SumDb::gosumdb_at`]`(url())`.
    pub fn serve_sumdb(&self, db: &SumDb) {
        self.mount_sumdb(String::new(), db);
    }

    fn mount_sumdb(&self, prefix: String, db: &SumDb) {
        let mut state = lock(&self.inner.state);
        state.sumdbs.retain(|m| m.prefix != prefix);
        state.sumdbs.push(SumdbMount {
            prefix,
            db: db.clone(),
        });
    }

    /// Every request received so far, in order (TLS handshakes that failed are not requests).
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.inner.log).clone()
    }

    /// The request paths received so far, in order.
    pub fn paths(&self) -> Vec<String> {
        lock(&self.inner.log)
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }

    /// Forgets the requests logged so far.
    pub fn clear_requests(&self) {
        lock(&self.inner.log).clear();
    }

    /// TCP connections accepted so far (counts failed TLS handshakes too).
    pub fn connections(&self) -> usize {
        self.inner.accepted.load(Ordering::SeqCst)
    }

    /// Whether any request's path or header value contains `needle`.
    pub fn saw(&self, needle: &str) -> bool {
        lock(&self.inner.log).iter().any(|r| r.mentions(needle))
    }

    /// Panics if any request's path or header value contained `needle`.
    pub fn assert_never_saw(&self, needle: &str) {
        let hits: Vec<String> = lock(&self.inner.log)
            .iter()
            .filter(|r| r.mentions(needle))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(
            hits.is_empty(),
            "fixture proxy {} saw {needle:?} in: {hits:?}",
            self.url()
        );
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        let listening = {
            let state = lock(&self.inner.state);
            self.inner.wake.notify_all();
            state.listening
        };
        if listening {
            // Wakes the accept thread, which then sees `stopping`.
            let _ = TcpStream::connect(self.addr);
        }
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        for conn in lock(&self.inner.conns).values() {
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
        let threads = std::mem::take(&mut *lock(&self.inner.threads));
        for t in threads {
            let _ = t.join();
        }
    }
}

/// A `http://127.0.0.1:PORT` URL where nothing listens (the port was bound, then closed).
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port to close");
    let port = listener.local_addr().expect("closed port address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Accepts connections (blocking) until the proxy stops. Under a whole-proxy
/// [`Fault::Refused`] it closes the listener and waits to be told to reopen it. Other threads
/// wake a blocked `accept` by connecting to the port.
fn accept_loop(inner: &Arc<Inner>, listener: TcpListener, addr: SocketAddr) {
    let mut listener = listener;
    loop {
        let accepted = listener.accept();
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        if !inner.whole_proxy_refused() {
            if let Ok((stream, _)) = accepted {
                spawn_conn(inner, stream);
            }
            continue;
        }
        drop(accepted);
        drop(listener);
        let mut state = lock(&inner.state);
        state.listening = false;
        inner.wake.notify_all();
        while !inner.stopping.load(Ordering::SeqCst) && state.refused() {
            state = inner
                .wake
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        drop(state);
        listener = rebind(addr);
        lock(&inner.state).listening = true;
        inner.wake.notify_all();
        // Drop sets `stopping` before it reads `listening`: one of the two sees the other.
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
    }
}

/// Binds `addr` again (the port was ours a moment ago; retry briefly while the kernel lets go).
fn rebind(addr: SocketAddr) -> TcpListener {
    let mut tries = 0;
    loop {
        match TcpListener::bind(addr) {
            Ok(l) => return l,
            Err(e) if tries >= 500 => panic!("fixture proxy could not reopen {addr}: {e}"),
            Err(_) => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

fn spawn_conn(inner: &Arc<Inner>, stream: TcpStream) {
    inner.accepted.fetch_add(1, Ordering::SeqCst);
    let id = inner.next_conn.fetch_add(1, Ordering::SeqCst);
    let setup = stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(Duration::from_secs(60))))
        .and_then(|()| stream.set_write_timeout(Some(Duration::from_secs(60))))
        .and_then(|()| stream.try_clone());
    let Ok(clone) = setup else { return };
    lock(&inner.conns).insert(id, clone);
    let conn_inner = Arc::clone(inner);
    let spawned = std::thread::Builder::new()
        .name(format!("fixture-conn-{id}"))
        .spawn(move || {
            handle_conn(&conn_inner, stream);
            lock(&conn_inner.conns).remove(&id);
        });
    if let Ok(handle) = spawned {
        let mut threads = lock(&inner.threads);
        threads.retain(|t| !t.is_finished());
        threads.push(handle);
    }
}

fn handle_conn(inner: &Inner, stream: TcpStream) {
    if let Some(config) = &inner.tls {
        let Ok(conn) = rustls::ServerConnection::new(Arc::clone(config)) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(conn, stream);
        serve_conn(inner, &mut tls);
        tls.conn.send_close_notify();
        let _ = tls.flush();
    } else {
        let mut stream = stream;
        serve_conn(inner, &mut stream);
    }
}

impl Inner {
    fn whole_proxy_refused(&self) -> bool {
        lock(&self.state).refused()
    }

    fn fault_for(&self, path: &str) -> Fault {
        let path = path.trim_start_matches('/');
        lock(&self.state)
            .faults
            .iter()
            .filter(|(p, _)| path.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
            .map_or(Fault::Serve, |(_, f)| f.clone())
    }

    /// Waits `timeout` or until the proxy stops; true when it stopped.
    fn wait_or_stop(&self, timeout: Duration) -> bool {
        let state = lock(&self.state);
        let (_state, _) = self
            .wake
            .wait_timeout_while(state, timeout, |_| !self.stopping.load(Ordering::SeqCst))
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.stopping.load(Ordering::SeqCst)
    }

    /// The normal answer for a path: (status, content type, body), or `None` for no answer.
    fn normal_answer(&self, path: &str) -> Option<Answer> {
        let path = path.trim_start_matches('/');
        let state = lock(&self.state);
        for mount in &state.sumdbs {
            let Some(rest) = path.strip_prefix(mount.prefix.as_str()) else {
                continue;
            };
            if !mount.prefix.is_empty() && rest == "supported" {
                return Some(Answer::new(200, "text/plain; charset=utf-8", b""));
            }
            if let Some(a) = mount.db.serve(rest) {
                return Some(Answer {
                    status: a.status,
                    content_type: a.content_type,
                    body: a.body,
                    extra: Vec::new(),
                });
            }
        }
        if let Some(rest) = path.strip_prefix("sumdb/") {
            if rest == "sum.golang.org/supported" {
                return match state.sumdb {
                    SumdbSupport::Supported => Some(Answer::new(200, "text/plain", b"")),
                    SumdbSupport::NotFound => Some(not_found()),
                    SumdbSupport::NoAnswer => None,
                };
            }
            return Some(not_found());
        }
        Some(match state.modules.serve(path) {
            Some(served) => Answer {
                status: 200,
                content_type: served.content_type,
                body: served.body,
                extra: Vec::new(),
            },
            None => not_found(),
        })
    }
}

struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    extra: Vec<(String, String)>,
}

impl Answer {
    fn new(status: u16, content_type: &'static str, body: &[u8]) -> Answer {
        Answer {
            status,
            content_type,
            body: body.to_vec(),
            extra: Vec::new(),
        }
    }
}

fn not_found() -> Answer {
    Answer::new(404, "text/plain; charset=utf-8", b"not found\n")
}

fn serve_conn<S: Read + Write>(inner: &Inner, stream: &mut S) {
    let Some(req) = read_request(stream) else {
        return;
    };
    let authorization = req.header("authorization").map(str::to_string);
    let full_path = req.path.clone();
    lock(&inner.log).push(req);
    let base = lock(&inner.state).base.clone();
    let Some(path) = full_path
        .strip_prefix(base.as_str())
        .filter(|rest| rest.starts_with('/'))
        .map(str::to_string)
    else {
        let a = not_found();
        let _ = stream.write_all(&head(&a));
        let _ = stream.write_all(&a.body);
        let _ = stream.flush();
        return;
    };
    let answer = match resolve(inner.fault_for(&path), &path) {
        Fault::Refused => None,
        Fault::Hang => {
            inner.wait_or_stop(Duration::from_secs(3600));
            None
        }
        Fault::Status(code) => {
            let mut a = Answer::new(code, "text/plain; charset=utf-8", b"");
            if code != 204 {
                a.body = format!("fixture: status {code}\n").into_bytes();
            }
            if code == 401 {
                a.extra
                    .push(("WWW-Authenticate".into(), "Basic realm=\"fixture\"".into()));
            }
            Some(a)
        }
        Fault::Html => Some(Answer::new(
            200,
            "text/html; charset=utf-8",
            CAPTIVE_PORTAL_HTML.as_bytes(),
        )),
        Fault::Redirect(base) => {
            let mut a = Answer::new(302, "text/plain; charset=utf-8", b"redirect\n");
            a.extra.push((
                "Location".into(),
                format!("{}{}", base.trim_end_matches('/'), path),
            ));
            Some(a)
        }
        Fault::BasicAuth { user, password } => {
            let expected = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
            if authorization.as_deref() == Some(expected.as_str()) {
                inner.normal_answer(&path)
            } else {
                let mut a = Answer::new(401, "text/plain; charset=utf-8", b"unauthorized\n");
                a.extra
                    .push(("WWW-Authenticate".into(), "Basic realm=\"fixture\"".into()));
                Some(a)
            }
        }
        Fault::WrongVersion => {
            let wants_info = matches!(
                ProxyRequest::parse(path.trim_start_matches('/')),
                Some(ProxyRequest::Info { .. } | ProxyRequest::Latest { .. })
            );
            inner.normal_answer(&path).map(|mut a| {
                if wants_info && a.status == 200 {
                    a.body = serde_json::json!({
                        "Version": WRONG_VERSION,
                        "Time": "2024-01-02T03:04:05Z",
                    })
                    .to_string()
                    .into_bytes();
                }
                a
            })
        }
        Fault::Serve => inner.normal_answer(&path),
        Fault::SlowBody(delay) => {
            if let Some(a) = inner.normal_answer(&path) {
                trickle(inner, stream, &a, delay);
            }
            return;
        }
        Fault::StallMidBody => {
            if let Some(a) = inner.normal_answer(&path) {
                let half = &a.body[..a.body.len() / 2];
                let sent = stream.write_all(&head(&a)).is_ok()
                    && stream.write_all(half).is_ok()
                    && stream.flush().is_ok();
                if sent {
                    inner.wait_or_stop(Duration::from_secs(3600));
                }
            }
            return;
        }
        Fault::FailEvery(n) => {
            let count = inner.counted.fetch_add(1, Ordering::SeqCst) + 1;
            if count.is_multiple_of(n.max(1)) {
                Some(Answer::new(
                    502,
                    "text/plain; charset=utf-8",
                    format!("fixture: request {count} fails (every {n})\n").as_bytes(),
                ))
            } else {
                inner.normal_answer(&path)
            }
        }
        Fault::TooManyRequests {
            retry_after_secs,
            first,
        } => {
            let count = inner.counted.fetch_add(1, Ordering::SeqCst) + 1;
            if first.is_none_or(|k| count <= k) {
                let mut a = Answer::new(429, "text/plain; charset=utf-8", b"fixture: slow down\n");
                a.extra
                    .push(("Retry-After".into(), retry_after_secs.to_string()));
                Some(a)
            } else {
                inner.normal_answer(&path)
            }
        }
        Fault::Delay(delay) => {
            if inner.wait_or_stop(delay) {
                return;
            }
            inner.normal_answer(&path)
        }
        Fault::Throttle(rate) => {
            if let Some(a) = inner.normal_answer(&path) {
                throttle(inner, stream, &a, rate);
            }
            return;
        }
        Fault::TamperZip => inner.tampered_answer(&path, Tamper::Zip),
        Fault::TamperMod => inner.tampered_answer(&path, Tamper::Mod),
        Fault::SumdbLookupHang => {
            let p = path.trim_start_matches('/');
            if p.starts_with("sumdb/") && p.ends_with("/supported") {
                Some(Answer::new(200, "text/plain; charset=utf-8", b""))
            } else if p.starts_with("sumdb/")
                || p.starts_with("lookup/")
                || p.starts_with("tile/")
                || p == "latest"
            {
                inner.wait_or_stop(Duration::from_secs(3600));
                None
            } else {
                inner.normal_answer(&path)
            }
        }
        Fault::ZipOnly(_) => unreachable!("resolve() unwraps ZipOnly"),
    };
    if let Some(a) = answer {
        let _ = stream.write_all(&head(&a));
        let _ = stream.write_all(&a.body);
        let _ = stream.flush();
    }
}

/// The fault that applies to `path`: [`Fault::ZipOnly`]'s inner fault for a zip, else `Serve`.
fn resolve(fault: Fault, path: &str) -> Fault {
    match fault {
        Fault::ZipOnly(inner) => {
            let zip = matches!(
                ProxyRequest::parse(path.trim_start_matches('/')),
                Some(ProxyRequest::Zip { .. })
            );
            if zip {
                resolve(*inner, path)
            } else {
                Fault::Serve
            }
        }
        other => other,
    }
}

/// Which file [`Fault::TamperZip`] / [`Fault::TamperMod`] alters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tamper {
    Zip,
    Mod,
}

impl Inner {
    /// The normal answer, with the module's zip or `.mod` (per `which`) altered.
    fn tampered_answer(&self, path: &str, which: Tamper) -> Option<Answer> {
        let tampered = {
            let state = lock(&self.state);
            match ProxyRequest::parse(path.trim_start_matches('/')) {
                Some(ProxyRequest::Zip { module, version }) if which == Tamper::Zip => state
                    .modules
                    .find(&module, &version)
                    .map(|m| ("application/zip", m.tampered().zip_bytes())),
                Some(ProxyRequest::Mod { module, version }) if which == Tamper::Mod => {
                    state.modules.find(&module, &version).map(|m| {
                        let text = m.mod_file() + TAMPER_LINE;
                        ("text/plain; charset=utf-8", text.into_bytes())
                    })
                }
                _ => None,
            }
        };
        match tampered {
            Some((content_type, body)) => Some(Answer {
                status: 200,
                content_type,
                body,
                extra: Vec::new(),
            }),
            None => self.normal_answer(path),
        }
    }
}

fn trickle<S: Write>(inner: &Inner, stream: &mut S, answer: &Answer, delay: Duration) {
    if stream.write_all(&head(answer)).is_err() || stream.flush().is_err() {
        return;
    }
    for byte in &answer.body {
        if inner.wait_or_stop(delay)
            || stream.write_all(std::slice::from_ref(byte)).is_err()
            || stream.flush().is_err()
        {
            return;
        }
    }
}

fn throttle<S: Write>(inner: &Inner, stream: &mut S, answer: &Answer, bytes_per_sec: u64) {
    if stream.write_all(&head(answer)).is_err() || stream.flush().is_err() {
        return;
    }
    let chunk = 64 * 1024;
    let pause = Duration::from_secs_f64(chunk as f64 / bytes_per_sec.max(1) as f64);
    for part in answer.body.chunks(chunk) {
        if stream.write_all(part).is_err() || stream.flush().is_err() || inner.wait_or_stop(pause) {
            return;
        }
    }
}

fn head(a: &Answer) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", a.status, reason(a.status));
    if a.status != 204 {
        head.push_str(&format!(
            "Content-Type: {}\r\nContent-Length: {}\r\n",
            a.content_type,
            a.body.len()
        ));
    }
    for (k, v) in &a.extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    head.into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Reads one request head (request line and headers); `None` if the client sent none.
fn read_request<S: Read>(stream: &mut S) -> Option<Request> {
    let mut reader = BufReader::new(stream.take(64 * 1024));
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = percent_decode(parts.next()?);
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Some(Request {
        method,
        path,
        headers,
    })
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 with padding (for `Authorization: Basic`).
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

struct TlsFixtures {
    ca_pem: PathBuf,
    trusted: Arc<ServerConfig>,
    untrusted: Arc<ServerConfig>,
}

/// The fixture CA certificate (PEM) that issued [`Proxy::https_trusted`]'s certificate: set
/// `SSL_CERT_FILE` to it to make go (and rustls' platform verifier) trust that proxy.
pub fn ca_pem_path() -> &'static Path {
    &tls_fixtures().ca_pem
}

fn tls_fixtures() -> &'static TlsFixtures {
    static FIXTURES: OnceLock<TlsFixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let ca_key = KeyPair::generate().expect("fixture CA key");
        let mut ca_params = CertificateParams::new(Vec::new()).expect("fixture CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "goshim fixture CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("fixture CA cert");
        let ca_pem = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("fixture-ca-{}.pem", std::process::id()));
        std::fs::write(&ca_pem, ca.pem()).expect("write the fixture CA PEM");

        let (leaf_params, leaf_key) = server_params("goshim fixture proxy");
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca)
            .expect("fixture server cert");
        let trusted = server_config(
            vec![leaf.der().clone(), ca.der().clone()],
            leaf_key.serialize_der(),
        );

        let (self_params, self_key) = server_params("goshim untrusted fixture proxy");
        let self_signed = self_params
            .self_signed(&self_key)
            .expect("self-signed fixture cert");
        let untrusted = server_config(vec![self_signed.der().clone()], self_key.serialize_der());
        TlsFixtures {
            ca_pem,
            trusted,
            untrusted,
        }
    })
}

fn server_params(common_name: &str) -> (CertificateParams, KeyPair) {
    let key = KeyPair::generate().expect("fixture server key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("fixture server params");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    (params, key)
}

fn server_config(chain: Vec<CertificateDer<'static>>, key_der: Vec<u8>) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der));
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("fixture TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("fixture TLS config");
    Arc::new(config)
}
