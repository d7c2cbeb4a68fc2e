//! The module router through the shim (issue 11 "Must show"): the real go runs through the `go`
//! link, goshim starts its router, and fixture proxies fail the way real mirrors fail. Each
//! scenario of the table succeeds, where go alone hangs or fails (control runs with a
//! bound), and private paths never reach a public fixture.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::modules::{Module, toolchain_version};
use crate::support::proxy::{Fault, Proxy};
use crate::support::realgo;
use crate::support::sumdb::SumDb;
use crate::support::world::{PROBE, Run, World, fast_config, toml_list};

/// A run expected to finish; a hang fails the test instead of stalling it.
const LIMIT: Duration = Duration::from_secs(60);
/// How long a control run of go alone, expected to hang, is given.
const HANG: Duration = Duration::from_secs(4);
/// The router's default hedge delay floor, plus room for a loaded machine.
const HEDGED: Duration = Duration::from_secs(1 + 14);

fn hello() -> Module {
    Module::new("example.com/hello", "v1.0.0")
        .file("hello.go", "package hello\n\nconst Greeting = \"hello\"\n")
}

fn probe() -> Module {
    let (path, version) = PROBE.split_once('@').unwrap();
    Module::new(path, version).file("probe.go", "package probe\n")
}

/// A fixture proxy serving `hello` and the probe module, with `fault` on it.
fn mirror(fault: Fault) -> Proxy {
    let p = Proxy::serving([hello(), probe()]);
    p.set_fault(fault);
    p
}

/// The real go behind the shim, these candidates in order, the router on with its defaults,
/// and the fixture modules exempt from the checksum database (their scenarios are not about
/// it; the ones that are use [`verified`]).
fn world(candidates: &[&Proxy], extra: &str) -> World {
    let urls: Vec<String> = candidates.iter().map(|p| p.url()).collect();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    World::new()
        .real_go()
        .limit(LIMIT)
        .user_config(&fast_config(&urls, "", extra))
        .env("GONOSUMDB", "example.com")
}

fn download(w: &World) -> Run {
    w.go(&["mod", "download", "-json", "example.com/hello@v1.0.0"])
}

/// The real go alone with this GOPROXY and a module cache of its own (the control run).
fn go_alone(w: &World, goproxy: &str, limit: Duration) -> Run {
    let mut cmd = w.command(realgo::go());
    cmd.env("GOPROXY", goproxy)
        .env("GOMODCACHE", w.root().join("control-modcache"))
        .args(["mod", "download", "-json", "example.com/hello@v1.0.0"]);
    w.run_for(&mut cmd, limit)
}

/// The download succeeded: go's JSON names the module and no error.
fn assert_downloaded(r: &Run) {
    r.assert_success();
    let v = r.json();
    assert_eq!(v["Path"], "example.com/hello", "{}", r.show());
    assert!(v["Error"].is_null(), "{}", r.show());
}

fn host(p: &Proxy) -> String {
    p.url().trim_start_matches("http://").to_string()
}

/// At most one stderr line names the passed-over upstream, and it says who served instead.
fn assert_one_notice(r: &Run, bad: &Proxy, good: &Proxy) {
    let stderr = r.stderr();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&host(bad))).collect();
    assert_eq!(lines.len(), 1, "{}", r.show());
    assert!(lines[0].contains(&host(good)), "{}", r.show());
}

#[test]
fn a_proxy_that_hangs_on_the_zip_is_passed_over_within_the_hedge_delay() {
    let bad = mirror(Fault::Hang.on_zips());
    let good = mirror(Fault::Serve);
    let w = world(&[&bad, &good], "");
    assert!(go_alone(&w, &bad.url(), HANG).timed_out(), "go alone hangs");
    let started = Instant::now();
    let r = download(&w);
    assert_downloaded(&r);
    assert!(started.elapsed() < HEDGED, "{:?}", started.elapsed());
    assert!(bad.saw("/example.com/hello/@v/v1.0.0.zip"));
    assert!(good.saw("/example.com/hello/@v/v1.0.0.zip"));
    assert_one_notice(&r, &bad, &good);
}

#[test]
fn half_a_zip_then_a_stall_is_passed_over() {
    let bad = mirror(Fault::StallMidBody.on_zips());
    let good = mirror(Fault::Serve);
    let w = world(&[&bad, &good], "");
    assert!(go_alone(&w, &bad.url(), HANG).timed_out(), "go alone hangs");
    let started = Instant::now();
    let r = download(&w);
    assert_downloaded(&r);
    assert!(started.elapsed() < HEDGED, "{:?}", started.elapsed());
    assert!(good.saw("/example.com/hello/@v/v1.0.0.zip"));
}

#[test]
fn a_proxy_failing_every_other_request_with_502_serves_every_download() {
    let flaky = mirror(Fault::FailEvery(2));
    let w = world(&[&flaky], "");
    let alone = go_alone(&w, &flaky.url(), LIMIT);
    assert_eq!(
        alone.code(),
        Some(1),
        "go alone fails at once: {}",
        alone.show()
    );
    assert!(alone.stdout().contains("502"), "{}", alone.show());
    flaky.clear_requests();
    let r = download(&w);
    assert_downloaded(&r);
    assert!(
        flaky
            .requests()
            .iter()
            .filter(|r| r.path.ends_with(".zip"))
            .count()
            >= 1
    );
}

#[test]
fn a_slow_proxy_that_misses_the_probe_deadline_is_as_fast_as_go_alone() {
    let slow = mirror(Fault::Delay(Duration::from_secs(2)));
    // Probes time out after 300 ms (fast_config): the variables decision left this proxy out.
    let w = world(&[&slow], "");
    let started = Instant::now();
    go_alone(&w, &slow.url(), LIMIT).assert_success();
    let alone = started.elapsed();
    let started = Instant::now();
    let r = download(&w);
    assert_downloaded(&r);
    let routed = started.elapsed();
    assert!(
        routed < alone * 2 + Duration::from_secs(3),
        "through the router {routed:?}, go alone {alone:?}"
    );
    // Without the router (and without what the router just learned: a cache of its own), the
    // probe's timeout decides this proxy is down and go gets only the module cache.
    let modcache = w.root().join("off-modcache").display().to_string();
    let cache = w.root().join("off-cache").display().to_string();
    let off = w
        .env("GOSHIM_ROUTER", "0")
        .env("GOMODCACHE", &modcache)
        .env("XDG_CACHE_HOME", &cache);
    let r = download(&off);
    assert_eq!(r.code(), Some(1), "{}", r.show());
}

/// The company proxy lacks one private module (404): the router answers 404 without asking any
/// public mirror, go cannot fetch it from version control here (no network), and fails
/// cleanly; the public fixture's log never contains the private path, prefix probes included.
#[test]
fn a_private_module_missing_from_the_company_proxy_never_reaches_a_public_mirror() {
    let private = Proxy::serving([
        Module::new("corp.example/other", "v1.0.0").file("other.go", "package other\n")
    ]);
    // The public mirror would even serve it: a leak would succeed, and show in its log.
    let public = Proxy::serving([
        Module::new("corp.example/lib", "v1.0.0").file("lib.go", "package lib\n"),
        hello(),
        probe(),
    ]);
    let w = World::new()
        .real_go()
        .limit(LIMIT)
        .user_config(&fast_config(
            &[&public.url()],
            &format!("private = {}\n", toml_list(&[&private.url()])),
            "[modules]\nprivate = [\"corp.example\"]\n",
        ))
        .env("GIT_TERMINAL_PROMPT", "0")
        .file("go.mod", "module example.com/app\n\ngo 1.22\n")
        .file(
            "main.go",
            "package main\n\nimport _ \"corp.example/lib/pkg\"\n\nfunc main() {}\n",
        );
    let r = w.go(&["mod", "download", "-json", "corp.example/other@v1.0.0"]);
    r.assert_success();
    assert!(private.saw("/corp.example/other/@v/v1.0.0.zip"));

    let r = w.go(&["mod", "download", "-json", "corp.example/lib@v1.0.0"]);
    assert_eq!(r.code(), Some(1), "{}", r.show());
    assert!(r.stdout().contains("404"), "{}", r.show());
    // Package resolution: go asks for corp.example/lib/pkg, corp.example/lib and corp.example.
    let r = w.go(&["get", "corp.example/lib/pkg@v1.0.0"]);
    assert!(!r.timed_out() && r.code() == Some(1), "{}", r.show());
    assert!(
        private.saw("/corp.example/lib/pkg/@v/v1.0.0.info")
            || private.saw("/corp.example/lib/pkg/@v/list"),
        "{:?}",
        private.paths()
    );
    public.assert_never_saw("corp.example");
}

/// A mirror that claims to proxy the checksum database and then hangs on every lookup: go
/// alone hangs; through the router the lookups go to the mirror that answers, and go verifies
/// every module against the fixture database (no GONOSUMDB).
#[test]
fn a_mirror_hanging_on_checksum_lookups_is_passed_over_and_go_verifies() {
    let db = SumDb::of([&hello(), &probe()]);
    let bad = mirror(Fault::SumdbLookupHang);
    let good = mirror(Fault::Serve);
    good.proxy_sumdb(&db);
    let w = world(&[&bad, &good], "")
        .env_remove("GONOSUMDB")
        .env("GOSUMDB", &db.gosumdb());
    let mut alone = w.command(realgo::go());
    alone
        .env("GOPROXY", bad.url())
        .env("GOMODCACHE", w.root().join("control-modcache"))
        .args(["mod", "download", "example.com/hello@v1.0.0"]);
    assert!(w.run_for(&mut alone, HANG).timed_out(), "go alone hangs");
    let started = Instant::now();
    let r = download(&w);
    assert_downloaded(&r);
    assert!(started.elapsed() < HEDGED, "{:?}", started.elapsed());
    assert!(
        good.saw(&format!(
            "/sumdb/{}/lookup/example.com/hello@v1.0.0",
            db.name()
        )),
        "{:?}",
        good.paths()
    );
    // go asked the router, not the mirrors, whether the database is proxied.
    let supported = format!("/sumdb/{}/supported", db.name());
    assert!(!good.saw(&supported), "{:?}", good.paths());
    let sum = r.json()["Sum"].as_str().unwrap_or_default().to_string();
    assert!(hello().go_sum().contains(&sum), "{sum}");
}

/// A go.mod asking for a newer go: go downloads `golang.org/toolchain` through the router and
/// verifies it (always, whatever GONOSUMDB says) through the mirror that answers lookups, the
/// first one hanging on them. The fake toolchain then runs as go: same pid, stdin, exit status
/// and death by signal as the shim was started with, and the router is gone once it exits.
#[test]
fn a_toolchain_switch_is_verified_through_the_router_and_go_stays_exact() {
    let toolchain = Module::toolchain("go1.99.0");
    let db = SumDb::of([&toolchain, &hello(), &probe()]);
    let bad = mirror(Fault::SumdbLookupHang);
    bad.add(toolchain.clone());
    let good = mirror(Fault::Serve);
    good.add(toolchain.clone());
    good.proxy_sumdb(&db);
    let w = world(&[&bad, &good], "")
        .env("GOSUMDB", &db.gosumdb())
        .env("GOTOOLCHAIN", "auto")
        .file("go.mod", "module example.com/app\n\ngo 1.99.0\n");

    let mut cmd = w.go_command(&["env", "GOVERSION"]);
    cmd.env("FAKE_TOOLCHAIN_EXIT", "3");
    let child_pid;
    let r = {
        let started = Instant::now();
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child_pid = child.id();
        let out = wait_bounded(&mut child, LIMIT);
        assert!(started.elapsed() < LIMIT);
        out
    };
    let stdout = String::from_utf8_lossy(&r.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&r.stderr).into_owned();
    assert_eq!(r.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("fake toolchain go1.99.0\nargs: env GOVERSION\n"),
        "{stdout}{stderr}"
    );
    assert!(
        stdout.contains(&format!("\npid: {child_pid}\n")),
        "go kept the shim's pid: {stdout}"
    );
    assert!(
        good.saw(&format!(
            "/sumdb/{}/lookup/golang.org/toolchain@{}",
            db.name(),
            toolchain_version("go1.99.0")
        )),
        "{:?}",
        good.paths()
    );
    let goproxy = env_line(&stdout, "GOPROXY");
    assert!(goproxy.starts_with("http://127.0.0.1:"), "{goproxy}");
    let token = goproxy.rsplit('/').next().unwrap_or_default().to_string();
    assert!(token.len() >= 32, "{goproxy}");
    assert!(!stderr.contains(&token), "the token leaked: {stderr}");
    assert_router_gone(&goproxy);

    // stdin reaches go; a death by signal is go's.
    let mut cmd = w.go_command(&["env", "GOVERSION"]);
    cmd.env("FAKE_TOOLCHAIN_STDIN", "1");
    let out = piped_stdin(&mut cmd, b"to go\n");
    assert!(out.ends_with("to go\n"), "{out}");
    let mut cmd = w.go_command(&["env", "GOVERSION"]);
    cmd.env("FAKE_TOOLCHAIN_SIGNAL", "TERM");
    let r = w.run(&mut cmd);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        r.status().and_then(|s| s.signal()),
        Some(15),
        "{}",
        r.show()
    );
}

/// `x=$(go mod download -json …)` returns as soon as go exits: the router holds none of go's
/// stdout. A nested goshim (a wrapper that runs go from PATH again) reuses the live router.
#[test]
fn capture_returns_with_go_and_a_nested_goshim_reuses_the_router() {
    let good = mirror(Fault::Serve);
    let w = world(&[&good], "").env("GOSHIM_LOG", "debug");
    let mut sh = w.command(Path::new("/bin/sh"));
    sh.args([
        "-c",
        "x=$(go mod download -json example.com/hello@v1.0.0) && printf '%s' \"$x\"",
    ]);
    let started = Instant::now();
    let r = w.run(&mut sh);
    r.assert_success();
    assert!(
        r.stdout().contains("\"Path\": \"example.com/hello\""),
        "{}",
        r.show()
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );

    let fresh = w.root().join("nested-modcache").display().to_string();
    let nested = w.go_again_wrapper().env("GOMODCACHE", &fresh);
    let r = download(&nested);
    assert_downloaded(&r);
    let started = r
        .stderr()
        .lines()
        .filter(|l| l.starts_with("goshim: debug: router on ") && l.ends_with("(started)"))
        .count();
    let reused = r
        .stderr()
        .lines()
        .filter(|l| l.starts_with("goshim: debug: router on ") && l.ends_with("(reused)"))
        .count();
    assert_eq!((started, reused), (1, 1), "{}", r.show());
}

/// A `NAME=value` line of `env` output.
fn env_line(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
        .to_string()
}

/// The router behind `goproxy` stops accepting connections within a second or two of go's exit.
fn assert_router_gone(goproxy: &str) {
    let port: u16 = goproxy
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a loopback port");
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            return;
        }
        assert!(Instant::now() < until, "the router on {port} outlived go");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Waited {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Waits for a spawned child with piped output, killing it at the limit.
fn wait_bounded(child: &mut std::process::Child, limit: Duration) -> Waited {
    use std::io::Read;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let ereader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let until = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("go did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Waited {
        status,
        stdout: reader.join().unwrap(),
        stderr: ereader.join().unwrap(),
    }
}

/// Runs `cmd` with `input` on its stdin; its stdout.
fn piped_stdin(cmd: &mut std::process::Command, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let w = wait_bounded(&mut child, LIMIT);
    assert!(w.status.success(), "{}", String::from_utf8_lossy(&w.stderr));
    String::from_utf8_lossy(&w.stdout).into_owned()
}

/// A module that exists nowhere (a typo, one of go's prefix probes) gets 404 from every proxy:
/// that says nothing about the proxies, so the cache does not learn "serves no public
/// modules" from it and the variables decision keeps the proxy afterwards.
#[test]
fn a_module_found_nowhere_does_not_mark_the_proxy_down() {
    let good = mirror(Fault::Serve);
    let w = world(&[&good], "");
    let r = w.go(&["mod", "download", "-json", "example.com/nowhere@v1.0.0"]);
    assert_eq!(r.code(), Some(1), "{}", r.show());
    assert!(r.stdout().contains("404"), "{}", r.show());
    let off = w.env("GOSHIM_ROUTER", "0");
    let env = off.goshim(&["env"]);
    env.assert_success();
    assert!(
        env.stdout()
            .contains(&format!("export GOPROXY='{}'", good.url())),
        "{}",
        env.show()
    );
    assert_downloaded(&download(&off));
}
