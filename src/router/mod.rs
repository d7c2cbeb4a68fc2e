//! The loopback module router: go gets `GOPROXY=http://127.0.0.1:<port>/<token>` and the
//! router forwards every request to the real upstreams with deadlines, hedging, retries,
//! failover and per-module rules (DESIGN.md "The module router"; the facts behind every rule
//! are in router-facts.md).
//!
//! - [`table`]: what the router is told (upstreams, patterns, checksum routes, timings).
//! - `request`: the GOPROXY and checksum-database paths, parsed and validated.
//! - `policy`: private paths, body checks, the answer when nothing was found (pure).
//! - `upstreams`: ranking, learned latency, ejection, budget, notices, observations.
//! - `service`: what each request gets (local answers, routes); `memo`: one fetch per thing.
//! - `fetch`: one request across its upstreams; `spool`: bodies; `server`: hyper.
//! - `verify`: `.mod` and `.zip` bodies checked against go.sum and the checksum database.
//! - `modcache`: the module cache as the last upstream (the only one offline).
//!
//! Process model. Unix: [`start`] binds the listener in goshim and forks (no exec: the table,
//! token and socket are already in the child's memory — never in argv or the environment),
//! then returns; goshim then execs go. The router holds no stdin or stdout, ignores
//! SIGINT/SIGQUIT, lets go of stderr the moment go (its parent after the exec) exits, and is
//! gone shortly after. Windows: the router runs on a thread of the goshim that waits for go
//! ([`Running::stop`]).
//!
//! What the caller sets in go's environment: `GOPROXY=<Running::url>` (`,direct` after it
//! only where direct is allowed), `GONOPROXY=none` when there are private upstreams (else go
//! bypasses the router for GOPRIVATE paths), `GONOSUMDB` = the private patterns, GOSUMDB as the
//! user has it, and `GOSHIM_ROUTER_URL=<Running::env_value>` so a nested goshim can [`reuse`] it.

use std::ffi::OsString;
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::env_vars::GOSHIM_ROUTER_URL;
use crate::health::cache::{Observed, RunStats, Store};
use crate::health::{Reason, Status};
use crate::http::{self, ClientOptions, NetEnv};
use crate::process::Process;

mod attempt;
#[cfg(test)]
mod fake;
mod fetch;
mod memo;
mod modcache;
mod policy;
mod progress;
mod request;
mod server;
mod service;
mod spool;
pub mod table;
mod upstreams;
mod verify;

/// A mutex's guard, also after a panic elsewhere held it: the router's shared state stays
/// usable (every update is a whole assignment or counter step).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub use policy::{is_private, lookup_is_local};
pub use table::{RouterSettings, Seed, SumdbRoutes, Table, Upstream};

/// The User-Agent upstreams see: go's own (master, router-facts §1.3), tagged.
const USER_AGENT: &str = "GoCommand/1 (+https://go.dev/cmd/go) goshim-router";
/// The largest table accepted on stdin or from a file.
const MAX_INPUT: u64 = 4 << 20;

/// A router serving go.
#[derive(Debug)]
pub struct Running {
    /// `http://127.0.0.1:<port>/<token>`: go's GOPROXY. Contains the secret token: never print
    /// it.
    pub url: String,
    fingerprint: String,
    /// The router process (Unix).
    #[cfg(unix)]
    pub pid: u32,
    #[cfg(windows)]
    stop: Option<(
        tokio::sync::oneshot::Sender<()>,
        std::thread::JoinHandle<()>,
    )>,
}

impl Running {
    /// The value of `GOSHIM_ROUTER_URL` for go's environment: the URL and the table's fingerprint.
    pub fn env_value(&self) -> String {
        format!("{} {}", self.url, self.fingerprint)
    }

    /// Windows: stops the router thread once go has exited, recording what it observed
    /// (waits at most a second).
    #[cfg(windows)]
    pub fn stop(mut self) {
        if let Some((tx, handle)) = self.stop.take() {
            let _ = tx.send(());
            let until = Instant::now() + Duration::from_secs(1);
            while !handle.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Why no router could be started (the caller then falls back to the env-var decision).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
    #[error("cannot make a random token: {0}")]
    Token(String),
    #[error("cannot start the router process: {0}")]
    Spawn(std::io::Error),
}

/// A new token of 128 random bits, hex.
fn new_token() -> Result<String, StartError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StartError::Token(e.to_string()))?;
    Ok(crate::hex::hex(&bytes))
}

fn bind() -> Result<(TcpListener, u16), StartError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(StartError::Bind)?;
    let port = listener.local_addr().map_err(StartError::Bind)?.port();
    Ok((listener, port))
}

/// Starts a router for `table` and returns at once. Unix: a child process forked from this one
/// (no exec: nothing to load, and nothing to hand over — the table, token and bound socket are
/// already in its memory), which serves until its parent — goshim, then go after the exec —
/// is gone. Call it while goshim has one thread (forking a threaded process copies only the
/// calling thread).
#[cfg(unix)]
pub fn start(process: &Process, table: &Table) -> Result<Running, StartError> {
    use std::os::fd::AsRawFd;

    let (listener, port) = bind()?;
    let token = new_token()?;
    let parent = std::process::id();
    // SAFETY: fork in a process with a single thread (see above); the child only calls
    // `serve_forked`, which never returns.
    match unsafe { libc::fork() } {
        -1 => Err(StartError::Spawn(std::io::Error::last_os_error())),
        0 => {
            let fd = listener.as_raw_fd();
            serve_forked(process, table, token, port, listener, fd, parent)
        }
        pid => Ok(Running {
            url: format!("http://127.0.0.1:{port}/{token}"),
            fingerprint: table.fingerprint(),
            pid: pid as u32,
        }),
    }
}

/// Starts a router for `table` on a thread of this process (Windows: goshim waits for go).
#[cfg(windows)]
pub fn start(process: &Process, table: &Table) -> Result<Running, StartError> {
    let (listener, port) = bind()?;
    let token = new_token()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (process, table_copy, token_copy) = (process.clone(), table.clone(), token.clone());
    let handle = std::thread::Builder::new()
        .name("goshim-router".into())
        .spawn(move || {
            run(&process, &table_copy, token_copy, port, listener, async {
                let _ = rx.await;
            });
        })
        .map_err(StartError::Spawn)?;
    Ok(Running {
        url: format!("http://127.0.0.1:{port}/{token}"),
        fingerprint: table.fingerprint(),
        stop: Some((tx, handle)),
    })
}

/// The live router a goshim further up the process tree started for the same table, if any:
/// `GOSHIM_ROUTER_URL` names it, its fingerprint matches `table`, and its port accepts a
/// connection.
pub fn reuse(process: &Process, table: &Table) -> Option<String> {
    let value = process.non_empty_str(GOSHIM_ROUTER_URL)?;
    let (url, fingerprint) = value.rsplit_once(' ')?;
    if fingerprint != table.fingerprint() {
        return None;
    }
    let rest = url.strip_prefix("http://127.0.0.1:")?;
    let (port, token) = rest.split_once('/')?;
    let port: u16 = port.parse().ok()?;
    if token.len() < 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    Some(url.to_string())
}

/// The router process, in the child [`start`] forked: stdin and stdout let go of (go's output
/// is go's alone), every other inherited descriptor closed, serving until its parent is gone,
/// then recording what it observed. Never returns.
#[cfg(unix)]
fn serve_forked(
    process: &Process,
    table: &Table,
    token: String,
    port: u16,
    listener: TcpListener,
    fd: i32,
    parent: u32,
) -> ! {
    watch::prepare();
    watch::detach_stdio();
    watch::close_inherited(fd);
    // Most commands that may reach the network never do (a build with every module cached):
    // the runtime and the client are paid for only once go connects (the TLS roots only at the
    // first https handshake).
    if watch::first_connection(fd, parent) {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("goshim-router-watch".into())
            .spawn(move || watch::until_parent_exits(parent, tx));
        if spawned.is_ok() {
            run(process, table, token, port, listener, async {
                let _ = rx.await;
            });
        }
    }
    // SAFETY: _exit ends this forked child without running the parent's exit handlers.
    unsafe { libc::_exit(0) }
}

/// Serves on `listener` until `shutdown` resolves, then records the observations.
fn run(
    process: &Process,
    table: &Table,
    token: String,
    port: u16,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("goshim: router: cannot start: {e}");
            return;
        }
    };
    let ctx = match context(process, table) {
        Ok(ctx) => Arc::new(ctx),
        Err(e) => {
            eprintln!("goshim: router: {e}");
            return;
        }
    };
    let service = Arc::new(service::Service::new(Arc::clone(&ctx), table));
    let server = Arc::new(server::Server::new(service, token, port, table.debug));
    runtime.block_on(async {
        if listener.set_nonblocking(true).is_err() {
            return;
        }
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        server.serve(listener, shutdown).await;
    });
    runtime.shutdown_timeout(Duration::from_millis(50));
    record(process, table, &ctx.upstreams.observations());
}

fn context(process: &Process, table: &Table) -> Result<fetch::Ctx, String> {
    let net = NetEnv::of(process);
    let client = http::client(
        &net,
        ClientOptions {
            connect: table.settings.attempt_timeout,
            total: None,
            user_agent: USER_AGENT,
        },
    )?;
    let seed = getrandom::u64().unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut ctx = fetch::Ctx::new(
        client,
        net.netrc(table.netrc),
        table.settings,
        upstreams::Upstreams::new(table, Instant::now(), SystemTime::now()),
        process.temp_dir().to_path_buf(),
        seed,
    );
    ctx.progress = table.progress;
    Ok(ctx)
}

/// Writes the observations into the verdict cache (skipped when another process holds it).
fn record(process: &Process, table: &Table, observations: &[upstreams::Observation]) {
    let observed: Vec<Observed> = observations.iter().filter_map(observed).collect();
    if observed.is_empty() {
        return;
    }
    let _ = Store::default_location(process).record_observed(
        &observed,
        &table.probe_label,
        SystemTime::now(),
    );
}

/// One upstream's run as a verdict — it answered (healthy), or its last attempts failed
/// (unhealthy, with the last reason) — and its counts for doctor. A run where it only said
/// "not found" says nothing about the proxy (go asks for modules that exist nowhere: prefix
/// probes, typos) and leaves its verdict as it was: a "reachable" verdict would drop a healthy
/// public proxy from the variables. `None` for an upstream the run never involved.
fn observed(o: &upstreams::Observation) -> Option<Observed> {
    let database = o.role == upstreams::Role::SumdbDirect;
    let (status, reason) = match &o.failing {
        Some((what, timeout)) => (
            Status::Unhealthy,
            if *timeout {
                Reason::Timeout {
                    stage: "router".into(),
                    ms: 0,
                }
            } else {
                Reason::Other {
                    detail: format!("router: {what}"),
                }
            },
        ),
        None if o.successes > 0 => (Status::Healthy, Reason::Answered),
        None if o.requests + o.passed_over > 0 => (Status::Unknown, Reason::NotProbed),
        None => return None,
    };
    let stats = RunStats {
        at: 0,
        requests: o.requests,
        failures: o.failures,
        passed_over: o.passed_over,
        mismatches: o.mismatches,
    };
    Some(Observed {
        url: o.url.clone(),
        database,
        status,
        reason,
        latency_ms: o.p50_ms,
        sumdb: o.sumdb,
        stats: Some((stats, o.samples.clone())),
    })
}

/// The hidden `goshim __router` subcommand's arguments.
#[derive(Debug, clap::Args)]
pub struct RouterArgs {
    /// Start a router for the table in this JSON file, then run the command after `--` with
    /// GOPROXY and GOSHIM_ROUTER_URL pointing at it (exec on Unix).
    #[arg(long)]
    table: PathBuf,
    /// Run the command without a router (the benchmark's baseline).
    #[arg(long)]
    no_start: bool,
    /// The command to run after the router started.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<OsString>,
}

/// `goshim __router --table FILE -- CMD…`: the test and benchmark entry.
pub fn cli(process: &Process, args: RouterArgs) -> ExitCode {
    let path = args.table;
    let table: Table = match std::fs::File::open(&path).and_then(|f| {
        let mut text = Vec::new();
        f.take(MAX_INPUT).read_to_end(&mut text)?;
        serde_json::from_slice(&text).map_err(std::io::Error::other)
    }) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("goshim: error: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let Some((program, rest)) = args.command.split_first() else {
        eprintln!("goshim: error: __router --table needs a command after --");
        return ExitCode::from(2);
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    let started = Instant::now();
    let running = if args.no_start {
        None
    } else {
        match start(process, &table) {
            Ok(r) => {
                cmd.env("GOPROXY", &r.url)
                    .env(GOSHIM_ROUTER_URL, r.env_value());
                Some(r)
            }
            Err(e) => {
                eprintln!("goshim: error: {e}");
                return ExitCode::from(1);
            }
        }
    };
    if table.debug {
        eprintln!(
            "goshim: debug: router {} in {} us",
            if running.is_some() {
                "started"
            } else {
                "skipped"
            },
            started.elapsed().as_micros()
        );
    }
    hand_over(cmd, running)
}

#[cfg(unix)]
fn hand_over(mut cmd: std::process::Command, _running: Option<Running>) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    eprintln!("goshim: error: cannot run the command: {err}");
    ExitCode::from(126)
}

#[cfg(windows)]
fn hand_over(mut cmd: std::process::Command, running: Option<Running>) -> ExitCode {
    let status = cmd.status();
    if let Some(r) = running {
        r.stop();
    }
    match status {
        Ok(s) => std::process::exit(s.code().unwrap_or(1)),
        Err(e) => {
            eprintln!("goshim: error: cannot run the command: {e}");
            ExitCode::from(126)
        }
    }
}

/// The router process's bond to go: terminal signals ignored, and a watcher that ends the
/// router when go (its parent) has gone.
#[cfg(unix)]
mod watch {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    /// How often the parent is looked at when no pidfd is available.
    const POLL: Duration = Duration::from_millis(50);

    static TERMINATED: AtomicBool = AtomicBool::new(false);

    extern "C" fn on_term(_: libc::c_int) {
        TERMINATED.store(true, Ordering::SeqCst);
    }

    /// SIGINT and SIGQUIT from the terminal are go's to act on: ignored. SIGTERM (also sent
    /// when the parent dies, Linux `PR_SET_PDEATHSIG`) ends the router the orderly way.
    pub fn prepare() {
        // SAFETY: installing handlers at startup, before any other thread exists; the SIGTERM
        // handler only stores to an atomic (async-signal-safe).
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGQUIT, libc::SIG_IGN);
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_term as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&raw mut action.sa_mask);
            libc::sigaction(libc::SIGTERM, &raw const action, std::ptr::null_mut());
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
        }
    }

    /// The router reads nothing and writes no output of go's: stdin and stdout become
    /// /dev/null (so `x=$(go …)` never waits for it), and the process is named `goshim-router`
    /// for ps and top.
    pub fn detach_stdio() {
        null_onto(&[libc::STDIN_FILENO, libc::STDOUT_FILENO]);
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_NAME reads a NUL-terminated name of at most 16 bytes.
        unsafe {
            libc::prctl(libc::PR_SET_NAME, c"goshim-router".as_ptr());
        }
    }

    /// Points these descriptors at /dev/null.
    fn null_onto(fds: &[libc::c_int]) {
        // SAFETY: open and dup2 on a constant path and descriptors this process owns.
        unsafe {
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            if null < 0 {
                return;
            }
            for &fd in fds {
                libc::dup2(null, fd);
            }
            if !fds.contains(&null) {
                libc::close(null);
            }
        }
    }

    /// Closes every descriptor the router inherited (goshim's open files, pipes a caller may
    /// wait on for EOF), except stdio and the listening socket (always above 2: Rust's runtime
    /// opens /dev/null on closed stdio before `main`).
    pub fn close_inherited(keep: i32) {
        #[cfg(target_os = "linux")]
        if let Ok(keep) = libc::c_uint::try_from(keep)
            && keep > 2
        {
            // SAFETY: close_range on ranges that hold no descriptor this process uses (stdio
            // and `keep` are outside them); nothing else has been opened yet.
            unsafe {
                libc::syscall(libc::SYS_close_range, 3 as libc::c_uint, keep - 1, 0);
                libc::syscall(libc::SYS_close_range, keep + 1, libc::c_uint::MAX, 0);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = keep;
    }

    /// Whether `parent` is still this process's parent (it may have died before the death
    /// signal was armed).
    pub fn parent_alive(parent: u32) -> bool {
        // SAFETY: getppid has no preconditions.
        let ppid = unsafe { libc::getppid() };
        u32::try_from(ppid).is_ok_and(|p| p == parent)
    }

    /// The parent as a pollable descriptor (Linux pidfd), or -1.
    fn pidfd(parent: u32) -> i32 {
        #[cfg(target_os = "linux")]
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        return unsafe { libc::syscall(libc::SYS_pidfd_open, parent as libc::pid_t, 0) } as i32;
        #[cfg(not(target_os = "linux"))]
        return -1;
    }

    /// Waits until go connects to the listening socket `fd` (true) or the parent has exited or
    /// SIGTERM arrived (false), without a thread or a runtime.
    pub fn first_connection(fd: i32, parent: u32) -> bool {
        let pidfd = pidfd(parent);
        let ended = loop {
            if TERMINATED.load(Ordering::SeqCst) || !parent_alive(parent) {
                break true;
            }
            let mut fds = [
                libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: pidfd,
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            let n = if pidfd >= 0 { 2 } else { 1 };
            // SAFETY: `n` valid pollfds; a timeout keeps SIGTERM and the parent noticed.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), n, POLL.as_millis() as libc::c_int) };
            if ready > 0 {
                break fds[1].revents != 0 && fds[0].revents == 0;
            }
        };
        if pidfd >= 0 {
            // SAFETY: closing the descriptor opened above.
            unsafe { libc::close(pidfd) };
        }
        !ended
    }

    /// Blocks until the parent has exited (or SIGTERM arrived), then tells the server.
    pub fn until_parent_exits(parent: u32, tx: tokio::sync::oneshot::Sender<()>) {
        let pidfd = pidfd(parent);
        while !TERMINATED.load(Ordering::SeqCst) && parent_alive(parent) {
            if pidfd >= 0 {
                let mut fds = libc::pollfd {
                    fd: pidfd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd; a timeout keeps SIGTERM noticed.
                let n = unsafe { libc::poll(&raw mut fds, 1, POLL.as_millis() as libc::c_int) };
                if n > 0 {
                    break;
                }
            } else {
                std::thread::sleep(POLL);
            }
        }
        // Go is gone: whoever reads its stderr (`2>&1 | …`) gets EOF now, not after the
        // observations are written.
        null_onto(&[libc::STDERR_FILENO]);
        let _ = tx.send(());
        // The orderly exit (observations into the cache) gets two seconds.
        std::thread::sleep(Duration::from_secs(2));
        // SAFETY: _exit ends this forked child without running the parent's exit handlers.
        unsafe { libc::_exit(0) }
    }
}

#[cfg(test)]
mod tests;
