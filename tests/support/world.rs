//! The test world: a temp root with a home, a project directory and goshim linked as `go` first
//! on PATH, in a clean environment (nothing of the developer's leaks in, the system config is
//! under the root). Built fluently, then run:
//!
//! ```ignore
//! let w = World::new()
//!     .real_go()
//!     .proxy(&p)
//!     .user_config(&fast_config(&[&p.url()], "", ""))
//!     .file("go.mod", "module example.com/app\n\ngo 1.22\n");
//! w.go(&["mod", "download"]).assert_success();
//! let out = w.goshim(&["doctor"]).assert_code(0).stdout();
//! ```
//!
//! Builder methods take and return the world; to change it between runs, rebind it
//! (`let w = w.env("GOPROXY", "off");`). Every run is bounded ([`World::limit`]).

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use goshim::health::cache::REFRESH_LOG;

use serde_json::Value;

use super::bounded::{self, Bounded};
use super::fake_go::{self, Report};
use super::proxy::Proxy;
use super::{realgo, shim};

/// The module the fixture proxies of [`fast_config`] are probed with.
pub const PROBE: &str = "example.com/probe@v1.0.0";

/// A temp root with `home/`, `proj/` (where commands run) and goshim linked as `shim/go`.
pub struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    env: Vec<(String, String)>,
    /// (text, placeholder) pairs [`World::redact`] replaces, in order.
    shown: Vec<(String, String)>,
    /// How many proxies [`World::proxy`] named.
    proxies: usize,
    /// Ports the world keeps open and never answers on ([`World::unreachable_internet`]).
    silent: Vec<TcpListener>,
    limit: Duration,
}

impl World {
    /// A root with an empty project and home, goshim linked as `go` first on PATH (then
    /// `/usr/bin:/bin`, so no go at all), HOME, the XDG directories, NETRC and the system config
    /// (`GOSHIM_SYSTEM_CONFIG`) all under the root.
    pub fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        std::fs::create_dir_all(root.join("proj")).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        shim::link_as_go(&root.join("shim"));
        let dir = |p: PathBuf| p.display().to_string();
        let env = vec![
            (
                "PATH".into(),
                format!("{}:/usr/bin:/bin", dir(root.join("shim"))),
            ),
            ("HOME".into(), dir(home.clone())),
            ("XDG_CONFIG_HOME".into(), dir(home.join(".config"))),
            ("XDG_CACHE_HOME".into(), dir(home.join(".cache"))),
            ("XDG_DATA_HOME".into(), dir(home.join(".local/share"))),
            ("NETRC".into(), dir(home.join(".netrc"))),
            (
                "GOSHIM_SYSTEM_CONFIG".into(),
                dir(root.join("etc/goshim/config.toml")),
            ),
        ];
        World {
            _tmp: tmp,
            root,
            env,
            shown: Vec::new(),
            proxies: 0,
            silent: Vec::new(),
            limit: Duration::from_secs(30),
        }
    }

    /// The fake go (it reports what it received, see `fake_go_main.rs`) in `real/`, after the
    /// shim on PATH; it reports to [`World::report`].
    pub fn fake_go(self) -> World {
        fake_go::install(&self.real_dir());
        let path = shim::path_of(&[
            &self.shim_dir(),
            &self.real_dir(),
            Path::new("/usr/bin"),
            Path::new("/bin"),
        ]);
        let report = self.report_path().display().to_string();
        self.env("PATH", &path).env("FAKE_GO_OUT", &report)
    }

    /// The real go after the shim on PATH, with a hermetic go environment (`realgo::hermetic_env`:
    /// GOPATH and the module cache under the home, the shared build cache, GOTOOLCHAIN=local,
    /// GOFLAGS=-modcacherw, CGO_ENABLED=0).
    pub fn real_go(mut self) -> World {
        for (k, v) in realgo::hermetic_env(&self.home()) {
            let v = if k == "PATH" {
                format!("{}:{v}", self.shim_dir().display())
            } else {
                v
            };
            self = self.env(&k, &v);
        }
        self
    }

    /// Sets (or replaces) a variable for every later run.
    pub fn env(mut self, key: &str, value: &str) -> World {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    /// Removes a variable for every later run.
    pub fn env_remove(mut self, key: &str) -> World {
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// Puts `dir` first on PATH.
    pub fn path_first(self, dir: &Path) -> World {
        let path = format!("{}:{}", dir.display(), self.var("PATH").unwrap_or_default());
        self.env("PATH", &path)
    }

    /// The real go behind a wrapper that runs `go` from PATH again, with goshim first: goshim is
    /// reached twice in one command tree (a nested goshim), then the real go runs. PATH becomes
    /// the shim, the wrapper, `/usr/bin:/bin`.
    pub fn go_again_wrapper(self) -> World {
        let go_dir = realgo::go().parent().unwrap();
        let wrapper = self.root().join("wrapper/go");
        write(
            &wrapper,
            &format!(
                "#!/bin/sh\nPATH='{}:{}:/usr/bin:/bin' exec go \"$@\"\n",
                self.shim_dir().display(),
                go_dir.display()
            ),
        );
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!(
            "{}:{}:/usr/bin:/bin",
            self.shim_dir().display(),
            wrapper.parent().unwrap().display()
        );
        self.env("PATH", &path)
    }

    /// Writes a file under the project directory (`rel` may have directories).
    pub fn file(self, rel: &str, text: &str) -> World {
        write(&self.proj().join(rel), text);
        self
    }

    /// Writes the project's `.gomodrc`.
    pub fn gomodrc(self, text: &str) -> World {
        write(&self.gomodrc_path(), text);
        self
    }

    /// Writes the user config (`~/.config/goshim/config.toml`).
    pub fn user_config(self, text: &str) -> World {
        write(&self.user_config_path(), text);
        self
    }

    /// Writes the system config (`GOSHIM_SYSTEM_CONFIG`).
    pub fn system_config(self, text: &str) -> World {
        write(&self.system_config_path(), text);
        self
    }

    /// Names a fixture proxy in [`World::redact`]ed output: the n-th proxy named shows its port
    /// as `PORTn` (five characters, as every ephemeral port has, so columns keep their width).
    pub fn proxy(mut self, p: &Proxy) -> World {
        self.proxies += 1;
        let port = p.addr().port().to_string();
        let label = format!("PORT{}", self.proxies);
        assert_eq!(
            (port.len(), label.len()),
            (5, 5),
            "a named proxy needs a five-digit port and at most 9 proxies"
        );
        self.show(&format!("127.0.0.1:{port}"), &format!("127.0.0.1:{label}"))
    }

    /// Shows `text` as `placeholder` in [`World::redact`]ed output (rules apply in the order
    /// given, after the paths).
    pub fn show(mut self, text: &str, placeholder: &str) -> World {
        self.shown.push((text.into(), placeholder.into()));
        self
    }

    /// HTTP_PROXY and HTTPS_PROXY point at a loopback port that takes connections (the kernel
    /// completes them) and never answers: a request for any host outside loopback
    /// (sum.golang.org) hangs until its timeout, the same on every machine, and nothing leaves
    /// 127.0.0.1. (Loopback itself is never proxied, by goshim or go.)
    pub fn unreachable_internet(mut self) -> World {
        let silent = TcpListener::bind("127.0.0.1:0").expect("bind a silent port");
        let url = format!("http://{}", silent.local_addr().unwrap());
        self.silent.push(silent);
        self.env("HTTP_PROXY", &url).env("HTTPS_PROXY", &url)
    }

    /// The longest a run may take before it is killed and the test fails (default 30 s).
    pub fn limit(mut self, limit: Duration) -> World {
        self.limit = limit;
        self
    }

    /// `go args…` through the shim link, in the project.
    pub fn go(&self, args: &[&str]) -> Run {
        self.run(&mut self.go_command(args))
    }

    /// `goshim args…`, in the project.
    pub fn goshim(&self, args: &[&str]) -> Run {
        self.run(&mut self.goshim_command(args))
    }

    /// The command [`World::go`] runs, to adjust before [`World::run`] (or to spawn). With the
    /// fake go, a report left by an earlier run is removed first.
    pub fn go_command(&self, args: &[&str]) -> Command {
        let _ = std::fs::remove_file(self.report_path());
        let mut cmd = self.command(&self.link());
        cmd.args(args);
        cmd
    }

    /// The command [`World::goshim`] runs.
    pub fn goshim_command(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(shim::binary());
        cmd.args(args);
        cmd
    }

    /// `program` with exactly this world's environment, in the project.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = shim::command(program, &self.env);
        cmd.current_dir(self.proj());
        cmd
    }

    /// Runs `cmd` (stdin closed) within the limit; a run still going then is killed and fails
    /// the test.
    #[track_caller]
    pub fn run(&self, cmd: &mut Command) -> Run {
        let run = self.run_for(cmd, self.limit);
        assert!(
            !run.timed_out(),
            "still running after {:?}: {}",
            self.limit,
            run.show()
        );
        run
    }

    /// Runs `cmd` (stdin closed) for at most `limit`, then kills it and what it started; the
    /// caller checks [`Run::timed_out`] (a control run may be expected to hang).
    #[allow(
        clippy::unused_self,
        reason = "a method like the other runs, for the builder's fluency"
    )]
    pub fn run_for(&self, cmd: &mut Command, limit: Duration) -> Run {
        Run(bounded::run(cmd, limit))
    }

    /// Waits until goshim's background refresh log (in [`World::cache_dir`]) has `at_least`
    /// lines and no refresh holds the refresh lock, then half a second longer (a late duplicate
    /// would show up); returns the log's lines. Fails the test after 30 s.
    pub fn settled_refreshes(&self, at_least: usize) -> Vec<String> {
        let dir = self.cache_dir();
        let lock = dir.join("refresh.lock");
        let read = || {
            std::fs::read_to_string(dir.join(REFRESH_LOG))
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let free = || std::fs::File::open(&lock).map_or(true, |f| f.try_lock().is_ok());
        let start = Instant::now();
        while read().len() < at_least || !free() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no refresh ended: {:?}",
                read()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(500));
        while !free() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "a refresh never ended"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        read()
    }

    /// What the fake go received on its last run.
    pub fn report(&self) -> Report {
        Report::read(&self.report_path())
    }

    /// Whether the fake go ran since the last [`World::go`].
    pub fn go_ran(&self) -> bool {
        self.report_path().exists()
    }

    /// `text` with this world's variable parts replaced by stable names: the real go binary
    /// (`$GO`) and its GOROOT (`$GOROOT`), the shared build cache (`$GOCACHE`), the temp root
    /// (`$ROOT`), goshim's version (`$VERSION`), then the [`World::proxy`] and [`World::show`]
    /// names.
    pub fn redact(&self, text: &str) -> String {
        let go = realgo::go();
        let goroot = go.canonicalize().unwrap();
        let goroot = goroot.parent().unwrap().parent().unwrap();
        let mut text = text
            .replace(&go.display().to_string(), "$GO")
            .replace(&goroot.display().to_string(), "$GOROOT")
            .replace(&realgo::gocache().display().to_string(), "$GOCACHE")
            .replace(&self.root.display().to_string(), "$ROOT")
            .replace(
                &format!("goshim {}", env!("CARGO_PKG_VERSION")),
                "goshim $VERSION",
            )
            .replace(
                &format!("\"goshim_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
                "\"goshim_version\": \"$VERSION\"",
            );
        for (from, to) in &self.shown {
            text = text.replace(from, to);
        }
        text
    }

    /// The temp root (canonical, so paths in outputs compare equal).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `root/proj`: the project, where commands run.
    pub fn proj(&self) -> PathBuf {
        self.root.join("proj")
    }

    /// `root/home`: HOME.
    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    /// `root/shim`: the directory of the `go` link, first on PATH.
    pub fn shim_dir(&self) -> PathBuf {
        self.root.join("shim")
    }

    /// `root/shim/go`: the link to goshim.
    pub fn link(&self) -> PathBuf {
        self.shim_dir().join("go")
    }

    /// `root/real`: the fake go's directory ([`World::fake_go`]).
    pub fn real_dir(&self) -> PathBuf {
        self.root.join("real")
    }

    /// Where the fake go reports (`FAKE_GO_OUT`).
    pub fn report_path(&self) -> PathBuf {
        self.root.join("report.json")
    }

    /// The project's `.gomodrc`.
    pub fn gomodrc_path(&self) -> PathBuf {
        self.proj().join(".gomodrc")
    }

    /// The user config file.
    pub fn user_config_path(&self) -> PathBuf {
        self.home().join(".config/goshim/config.toml")
    }

    /// The system config file.
    pub fn system_config_path(&self) -> PathBuf {
        self.root.join("etc/goshim/config.toml")
    }

    /// The trust store `goshim trust` writes.
    pub fn trust_store_path(&self) -> PathBuf {
        self.home().join(".local/share/goshim/trust.json")
    }

    /// goshim's cache directory (the verdict cache).
    pub fn cache_dir(&self) -> PathBuf {
        PathBuf::from(self.var("XDG_CACHE_HOME").unwrap_or_default()).join("goshim")
    }

    /// The module cache of a [`World::real_go`] world.
    pub fn gomodcache(&self) -> String {
        self.var("GOMODCACHE")
            .expect("GOMODCACHE: a real_go() world")
            .to_string()
    }

    /// The value every run gets for `key`.
    pub fn var(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The environment every run gets, exactly.
    pub fn vars(&self) -> &[(String, String)] {
        &self.env
    }
}

/// Writes `text` to `path`, creating its directories.
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A user config for fixture proxies: `[proxy]` with these candidates in order, no direct (every
/// run stays on loopback) and the `proxy_extra` lines; fast probes of [`PROBE`]; then `rest`
/// (whole extra sections).
pub fn fast_config(candidates: &[&str], proxy_extra: &str, rest: &str) -> String {
    format!(
        "[proxy]\ncandidates = {}\norder = \"listed\"\ndirect = false\n{proxy_extra}\n\
         [health]\nprobe = \"{PROBE}\"\ntimeout = \"300ms\"\ndeadline = \"1s\"\n{rest}",
        toml_list(candidates)
    )
}

/// `["a", "b"]`.
pub fn toml_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// What a bounded run produced.
#[derive(Debug)]
pub struct Run(pub Bounded);

impl Run {
    /// Standard output, lossily decoded.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    /// Standard error, lossily decoded.
    pub fn stderr(&self) -> String {
        self.0.stderr_text()
    }

    /// Standard output, as bytes.
    pub fn stdout_bytes(&self) -> &[u8] {
        &self.0.stdout
    }

    /// Standard output parsed as JSON (the test fails when it is not).
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.0.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.show()))
    }

    /// The exit code (`None`: killed by a signal, or by the limit).
    pub fn code(&self) -> Option<i32> {
        self.0.status.and_then(|s| s.code())
    }

    /// The exit status (`None`: killed at the limit).
    pub fn status(&self) -> Option<ExitStatus> {
        self.0.status
    }

    /// Exited 0.
    pub fn success(&self) -> bool {
        self.0.status.is_some_and(|s| s.success())
    }

    /// Killed at the limit.
    pub fn timed_out(&self) -> bool {
        self.0.timed_out()
    }

    /// How long it ran.
    pub fn elapsed(&self) -> Duration {
        self.0.elapsed
    }

    /// Exit status, time, stdout and stderr, for failure messages.
    pub fn show(&self) -> String {
        format!(
            "status {:?} after {:?}\nstdout:\n{}\nstderr:\n{}",
            self.0.status,
            self.0.elapsed,
            self.stdout(),
            self.stderr()
        )
    }

    /// Fails the test unless it exited 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Run {
        assert!(self.success(), "expected success: {}", self.show());
        self
    }

    /// Fails the test unless it exited with a non-zero code.
    #[track_caller]
    pub fn assert_failure(&self) -> &Run {
        assert!(
            self.code().is_some_and(|c| c != 0),
            "expected a failure: {}",
            self.show()
        );
        self
    }

    /// Fails the test unless it exited with `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code(), Some(code), "{}", self.show());
        self
    }
}
