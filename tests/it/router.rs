//! The module router through its real process path (`goshim __router --table FILE -- go …`:
//! start the router, exec the command with GOPROXY pointing at it) in front of fixture proxies
//! that fail the way real mirrors fail, with the real go.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use goshim::router::{Table, Upstream};

use crate::support::bounded::{self, Bounded};
use crate::support::modules::Module;
use crate::support::proxy::{Fault, Proxy, refused_url};
use crate::support::{realgo, shim};

fn hello() -> Module {
    Module::new("example.com/hello", "v1.0.0").file(
        "hello.go",
        "package hello\n\nfunc Greeting() string { return \"hello through the router\" }\n",
    )
}

/// A large enough zip that a trickle is noticed.
fn big() -> Module {
    Module::new("example.com/big", "v1.2.0").file("data.txt", "x".repeat(64 * 1024))
}

fn table(public: &[String], private: &[String], private_patterns: &str) -> Table {
    Table {
        private: private.iter().map(Upstream::new).collect(),
        private_patterns: private_patterns.into(),
        nosumdb_patterns: private_patterns.into(),
        quiet: false,
        ..Table::with_public(public.iter().map(Upstream::new).collect())
    }
}

/// A sandbox: a home for go, the table file, and go's environment.
struct Bed {
    tmp: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Bed {
    fn new(table: &Table) -> Bed {
        let tmp = tempfile::tempdir().unwrap();
        let mut env = realgo::hermetic_env(&tmp.path().join("home"));
        let private = &table.private_patterns;
        let mut nosumdb = "example.com".to_string();
        if !private.is_empty() {
            env.push(("GOPRIVATE".into(), private.clone()));
            env.push(("GONOPROXY".into(), "none".into()));
            nosumdb = format!("{private},{nosumdb}");
        }
        env.push(("GONOSUMDB".into(), nosumdb));
        std::fs::write(
            tmp.path().join("table.json"),
            serde_json::to_string(table).unwrap(),
        )
        .unwrap();
        Bed { tmp, env }
    }

    fn table_path(&self) -> PathBuf {
        self.tmp.path().join("table.json")
    }

    /// `goshim __router --table … -- <program> <args>` with go's environment.
    fn command(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = shim::command(shim::binary(), &self.env);
        cmd.arg("__router")
            .arg("--table")
            .arg(self.table_path())
            .arg("--")
            .arg(program)
            .args(args)
            .current_dir(self.tmp.path());
        cmd
    }

    fn go(&self, args: &[&str], limit: Duration) -> Bounded {
        bounded::run(&mut self.command(realgo::go(), args), limit)
    }

    fn module_dir(&self, m: &Module) -> PathBuf {
        self.tmp
            .path()
            .join("home/gopath/pkg/mod")
            .join(format!("{}@{}", m.path(), m.version()))
    }
}

fn show(b: &Bounded) -> String {
    format!(
        "status {:?} after {:?}\nstdout:\n{}\nstderr:\n{}",
        b.status,
        b.elapsed,
        String::from_utf8_lossy(&b.stdout),
        b.stderr_text()
    )
}

fn ok(b: &Bounded) {
    assert!(b.status.is_some_and(|s| s.success()), "{}", show(b));
}

#[test]
fn a_hanging_first_upstream_is_passed_over_within_the_hedge_delay() {
    let hang = Proxy::serving([hello()]);
    hang.set_fault(Fault::Hang);
    let good = Proxy::serving([hello()]);
    let mut t = table(&[hang.url(), good.url()], &[], "");
    t.probe_label = "golang.org/x/text@v0.3.0".into();
    let bed = Bed::new(&t);
    let b = bed.go(
        &["mod", "download", "-json", "example.com/hello@v1.0.0"],
        Duration::from_secs(60),
    );
    ok(&b);
    assert!(bed.module_dir(&hello()).join("hello.go").is_file());
    assert!(
        b.elapsed < Duration::from_secs(20),
        "hedged, not waiting for the 30 s attempt timeout: {:?}",
        b.elapsed
    );
    let notice = format!("goshim: 127.0.0.1:{} ", hang.addr().port());
    assert_eq!(
        b.stderr_text().matches(&notice).count(),
        1,
        "one notice for the passed-over upstream: {}",
        show(&b)
    );
    // Once go has exited, the router records what it saw for the next command.
    let cache = bed.tmp.path().join("home/.cache/goshim/health.json");
    let until = Instant::now() + Duration::from_secs(5);
    let verdicts = loop {
        if let Ok(text) = std::fs::read_to_string(&cache) {
            break serde_json::from_str::<serde_json::Value>(&text).unwrap();
        }
        assert!(Instant::now() < until, "no verdict cache written");
        std::thread::sleep(Duration::from_millis(20));
    };
    let proxies = &verdicts["networks"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["proxies"];
    assert_eq!(proxies[hang.url()]["status"], "unhealthy", "{verdicts}");
    assert_eq!(proxies[good.url()]["status"], "healthy", "{verdicts}");
}

#[test]
fn a_zip_that_hangs_or_trickles_comes_from_the_other_upstream() {
    let zip_hang = Proxy::serving([hello(), big()]);
    zip_hang.set_fault_under("example.com/hello/@v/v1.0.0.zip", Fault::Hang);
    let trickle = Proxy::serving([hello(), big()]);
    trickle.set_fault_under(
        "example.com/big/@v/",
        Fault::SlowBody(Duration::from_millis(50)),
    );
    let good = Proxy::serving([hello(), big()]);
    let bed = Bed::new(&table(
        &[zip_hang.url(), trickle.url(), good.url()],
        &[],
        "",
    ));
    let b = bed.go(
        &[
            "mod",
            "download",
            "-json",
            "example.com/hello@v1.0.0",
            "example.com/big@v1.2.0",
        ],
        Duration::from_secs(90),
    );
    ok(&b);
    assert!(zip_hang.saw("/example.com/hello/@v/v1.0.0.zip"));
    assert!(bed.module_dir(&hello()).join("hello.go").is_file());
    assert_eq!(
        std::fs::read(bed.module_dir(&big()).join("data.txt")).unwrap(),
        "x".repeat(64 * 1024).as_bytes()
    );
}

#[test]
fn errors_on_alternate_requests_are_absorbed() {
    // Every request fails on one of the two upstreams: .info and .zip on the first, .mod and
    // the list on the second.
    let a = Proxy::serving([hello()]);
    a.set_fault_under("example.com/hello/@v/v1.0.0.info", Fault::Status(502));
    a.set_fault_under("example.com/hello/@v/v1.0.0.zip", Fault::Status(503));
    let b = Proxy::serving([hello()]);
    b.set_fault_under("example.com/hello/@v/v1.0.0.mod", Fault::Status(502));
    b.set_fault_under("example.com/hello/@v/list", Fault::Status(500));
    let bed = Bed::new(&table(&[a.url(), b.url()], &[], ""));
    let r = bed.go(
        &["mod", "download", "-json", "example.com/hello@latest"],
        Duration::from_secs(60),
    );
    ok(&r);
    assert!(bed.module_dir(&hello()).join("hello.go").is_file());
}

#[test]
fn private_paths_and_their_prefixes_never_reach_a_public_upstream() {
    let public = Proxy::serving([hello()]);
    let private = Proxy::start();
    let bed = Bed::new(&table(
        &[public.url()],
        &[private.url()],
        "corp.example/team/*",
    ));
    let app = bed.tmp.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("go.mod"), "module example.com/app\n\ngo 1.21\n").unwrap();
    let mut cmd = bed.command(realgo::go(), &["get", "corp.example/team/lib/sub@latest"]);
    cmd.current_dir(&app);
    let r = bounded::run(&mut cmd, Duration::from_secs(60));
    assert!(r.status.is_some_and(|s| !s.success()), "{}", show(&r));
    assert!(r.stderr_text().contains("404 Not Found"), "{}", show(&r));
    // go probed the path and its prefixes; all of them went to the private upstream only.
    for probe in [
        "/corp.example/team/lib/sub/@v/list",
        "/corp.example/team/lib/@v/list",
        "/corp.example/team/@v/list",
        "/corp.example/@v/list",
    ] {
        assert!(
            private.saw(probe),
            "{probe} not asked: {:?}",
            private.paths()
        );
    }
    public.assert_never_saw("corp.example");
    assert!(public.paths().is_empty(), "{:?}", public.paths());
}

#[test]
fn when_every_upstream_fails_go_prints_the_router_s_reasons_and_no_token_leaks() {
    let busy = Proxy::serving([hello()]);
    busy.set_fault(Fault::Status(503));
    let refused = refused_url();
    let bed = Bed::new(&table(&[busy.url(), refused], &[], ""));
    let r = bed.go(
        &["mod", "download", "-json", "example.com/hello@v1.0.0"],
        Duration::from_secs(60),
    );
    assert!(r.status.is_some_and(|s| !s.success()), "{}", show(&r));
    let out = format!("{}{}", String::from_utf8_lossy(&r.stdout), r.stderr_text());
    assert!(out.contains("502 Bad Gateway"), "{out}");
    assert!(out.contains("answered 503"), "{out}");
    assert!(out.contains("refused the connection"), "{out}");
    // go names the router URL (token included) in its own messages; goshim's lines never do.
    let token = out
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').nth(1))
        .expect("go names the router URL")
        .to_string();
    assert_eq!(token.len(), 32, "{out}");
    let stderr = r.stderr_text();
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("goshim:"))
        .collect();
    assert!(
        !ours.is_empty(),
        "a notice names the failing upstream: {out}"
    );
    assert!(ours.iter().all(|l| !l.contains(&token)), "{ours:?}");
}

/// The router processes started with this marker in their environment, by /proc.
fn routers_with(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let is_router = cmdline.split(|&b| b == 0).any(|a| a == b"__router");
        let marked = environ
            .split(|&b| b == 0)
            .any(|kv| kv == format!("ROUTER_TEST_MARKER={marker}").as_bytes());
        let zombie = std::fs::read_to_string(entry.path().join("stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        });
        if is_router && marked && !zombie {
            found.push(pid);
        }
    }
    found
}

fn raw_get(port: u16, host: &str, path: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    raw.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_router_checks_token_and_host_and_dies_with_go() {
    let good = Proxy::serving([hello()]);
    let mut bed = Bed::new(&table(&[good.url()], &[], ""));
    let marker = format!("{}-{:?}", std::process::id(), Instant::now());
    bed.env.push(("ROUTER_TEST_MARKER".into(), marker.clone()));
    let url_file = bed.tmp.path().join("url");
    let done = bed.tmp.path().join("done");
    let script = format!(
        "printf '%s' \"$GOPROXY\" > '{}'; i=0; while [ ! -e '{}' ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; exit 3",
        url_file.display(),
        done.display()
    );
    // goshim inherits a descriptor from its caller (fd 7, left open by a shell); the router
    // must not hold it.
    let leaked = bed.tmp.path().join("leaked");
    let inner = bed.command(Path::new("/bin/sh"), &["-c", &script]);
    let quote = |s: &std::ffi::OsStr| format!(" '{}'", s.to_string_lossy().replace('\'', "'\\''"));
    let mut line = format!("exec 7>{}; exec", quote(leaked.as_os_str()));
    line.push_str(&quote(inner.get_program()));
    for a in inner.get_args() {
        line.push_str(&quote(a));
    }
    let mut child = shim::command(Path::new("/bin/sh"), &bed.env)
        .args(["-c", &line])
        .current_dir(bed.tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    let url = loop {
        if let Ok(u) = std::fs::read_to_string(&url_file)
            && !u.is_empty()
        {
            break u;
        }
        assert!(Instant::now() < until, "the command never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    let rest = url.strip_prefix("http://127.0.0.1:").unwrap();
    let (port, token) = rest.split_once('/').unwrap();
    let port: u16 = port.parse().unwrap();
    let host = format!("127.0.0.1:{port}");
    let path = format!("/{token}/example.com/hello/@v/list");
    assert_eq!(raw_get(port, &host, &path), 200);
    assert_eq!(raw_get(port, &format!("localhost:{port}"), &path), 200);
    assert_eq!(raw_get(port, "evil.example", &path), 404);
    let mut wrong = token.to_string().into_bytes();
    wrong[0] = if wrong[0] == b'a' { b'b' } else { b'a' };
    let wrong = String::from_utf8(wrong).unwrap();
    assert_eq!(
        raw_get(port, &host, &format!("/{wrong}/example.com/hello/@v/list")),
        404
    );
    assert_eq!(raw_get(port, &host, "/example.com/hello/@v/list"), 404);
    assert_eq!(
        raw_get(
            port,
            &host,
            &format!("/{token}/sumdb/sum.golang.org/supported")
        ),
        404
    );

    let routers = routers_with(&marker);
    assert_eq!(routers.len(), 1, "one router while the command runs");
    let fds: Vec<PathBuf> = std::fs::read_dir(format!("/proc/{}/fd", routers[0]))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .collect();
    assert!(
        !fds.contains(&leaked),
        "the router holds an inherited descriptor: {fds:?}"
    );
    let parent_fds = std::fs::read_dir(format!("/proc/{}/fd", child.id()))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .collect::<Vec<_>>();
    assert!(
        parent_fds.contains(&leaked),
        "the command itself keeps it: {parent_fds:?}"
    );
    std::fs::write(&done, "").unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < until, "the command did not exit");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(3), "the command's own exit status");
    let exited = Instant::now();
    while !routers_with(&marker).is_empty() {
        assert!(
            exited.elapsed() < Duration::from_secs(2),
            "the router outlived the command"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port is closed"
    );
}

#[test]
fn a_captured_go_command_returns_when_go_exits() {
    let good = Proxy::serving([hello()]);
    let bed = Bed::new(&table(&[good.url()], &[], ""));
    let script = format!(
        "x=$('{}' __router --table '{}' -- '{}' mod download -json example.com/hello@v1.0.0) && printf '%s' \"$x\"",
        shim::binary().display(),
        bed.table_path().display(),
        realgo::go().display()
    );
    let mut cmd = shim::command(Path::new("/bin/sh"), &bed.env);
    cmd.args(["-c", &script]).current_dir(bed.tmp.path());
    let r = bounded::run(&mut cmd, Duration::from_secs(60));
    ok(&r);
    let json: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(json["Version"], "v1.0.0", "{}", show(&r));
}

#[test]
fn an_http_upstream_may_redirect_to_https() {
    // go follows http → https; the router's roots are read at that first handshake, also when
    // every upstream in its table is plain http.
    let target = Proxy::https_trusted();
    target.add(hello());
    let front = Proxy::start();
    front.set_fault(Fault::Redirect(target.url()));
    let mut bed = Bed::new(&table(&[front.url()], &[], ""));
    bed.env.push((
        "SSL_CERT_FILE".into(),
        crate::support::proxy::ca_pem_path().display().to_string(),
    ));
    let r = bed.go(
        &["mod", "download", "-json", "example.com/hello@v1.0.0"],
        Duration::from_secs(60),
    );
    ok(&r);
    assert!(
        front.saw("/example.com/hello/@v/v1.0.0.zip"),
        "{}",
        show(&r)
    );
    assert!(
        target.saw("/example.com/hello/@v/v1.0.0.zip"),
        "{}",
        show(&r)
    );
}

#[test]
fn credentials_do_not_come_back_after_a_redirect_through_another_host() {
    // go#70530: A (with credentials) → B → A again; neither B nor the second request to A
    // may carry A's Authorization.
    let a = Proxy::https_trusted();
    let b = Proxy::https_trusted();
    a.set_fault_under("example.com/", Fault::Redirect(b.url()));
    b.set_fault_under(
        "example.com/",
        Fault::Redirect(format!("{}/again", a.url())),
    );
    let mut bed = Bed::new(&table(&[a.url_with_userinfo("user", "s3cret")], &[], ""));
    bed.env.push((
        "SSL_CERT_FILE".into(),
        crate::support::proxy::ca_pem_path().display().to_string(),
    ));
    let r = bed.go(
        &["mod", "download", "-json", "example.com/hello@v1.0.0"],
        Duration::from_secs(60),
    );
    assert!(r.status.is_some_and(|s| !s.success()), "{}", show(&r));
    let first = a.requests();
    let to_a: Vec<_> = first
        .iter()
        .filter(|q| q.path.starts_with("/example.com/"))
        .collect();
    assert!(
        !to_a.is_empty() && to_a.iter().all(|q| q.header("authorization").is_some()),
        "A gets its credentials: {first:?}"
    );
    let back: Vec<_> = first
        .iter()
        .filter(|q| q.path.starts_with("/again/"))
        .collect();
    assert!(!back.is_empty(), "the redirect came back to A: {first:?}");
    assert!(
        back.iter().all(|q| q.header("authorization").is_none()),
        "{back:?}"
    );
    assert!(!b.requests().is_empty());
    assert!(
        b.requests()
            .iter()
            .all(|q| q.header("authorization").is_none())
    );
    assert!(
        !format!("{}{}", r.stderr_text(), String::from_utf8_lossy(&r.stdout)).contains("s3cret")
    );
}

/// One router, 20 go processes at once, each with a module cache of its own (so go's own cache
/// cannot hide a second request): ten list five module versions, ten download them. Each
/// immutable file (`.info`, `.mod`, `.zip` of a version) reaches the upstream once.
#[test]
fn twenty_parallel_go_processes_fetch_each_immutable_file_once() {
    let modules: Vec<Module> = (0..5)
        .map(|i| {
            Module::new(&format!("example.com/shared{i}"), "v1.0.0")
                .file("x.go", format!("package shared{i}\n"))
        })
        .collect();
    let up = Proxy::serving(modules.clone());
    let bed = Bed::new(&table(&[up.url()], &[], ""));
    let targets: Vec<String> = modules
        .iter()
        .map(|m| format!("{}@{}", m.path(), m.version()))
        .collect();
    let script = format!(
        "i=1; while [ $i -le 20 ]; do \
           if [ $i -le 10 ]; then c='list -m -json'; else c='mod download -json'; fi; \
           (GOMODCACHE=\"$PWD/mc$i\" go $c {targets} > out$i 2> err$i; echo $? > code$i) & \
           i=$((i+1)); \
         done; wait",
        targets = targets.join(" ")
    );
    let r = bounded::run(
        &mut bed.command(Path::new("/bin/sh"), &["-c", &script]),
        Duration::from_secs(120),
    );
    ok(&r);
    for i in 1..=20 {
        let read = |name: &str| {
            std::fs::read_to_string(bed.tmp.path().join(format!("{name}{i}"))).unwrap_or_default()
        };
        assert_eq!(read("code").trim(), "0", "go #{i}: {}", read("err"));
        let out = read("out");
        assert_eq!(out.matches("\"Version\": \"v1.0.0\"").count(), 5, "{out}");
        assert!(!out.contains("\"Error\""), "{out}");
    }
    let mut counts = std::collections::BTreeMap::<String, usize>::default();
    for path in up.paths() {
        *counts.entry(path).or_default() += 1;
    }
    for m in &modules {
        for ext in ["info", "mod", "zip"] {
            let path = format!("/{}/@v/v1.0.0.{ext}", m.path());
            assert_eq!(counts.get(&path), Some(&1), "{path}: {counts:?}");
        }
    }
}
