//! The module cache as the router's last upstream (issue 12, Must show 2), with the real go
//! through the shim: once every upstream is down (one refuses connections, one hangs), the
//! versions in the module cache still build, test, list and download — and version lists and
//! `@latest`, which go alone with `GOPROXY=off` cannot answer, come from the cache too; a
//! version that is not cached fails with the router's "offline" reason. `GOSHIM_OFFLINE=1`
//! does the same without asking any upstream.

use std::time::Duration;

use crate::support::modules::Module;
use crate::support::proxy::{Fault, Proxy};
use crate::support::realgo;
use crate::support::sumdb::SumDb;
use crate::support::world::{PROBE, Run, World, fast_config};

const LIMIT: Duration = Duration::from_secs(90);

fn hello(version: &str) -> Module {
    Module::new("example.com/hello", version)
        .file("hello.go", "package hello\n\nconst Greeting = \"hello\"\n")
}

fn probe() -> Module {
    let (path, version) = PROBE.split_once('@').unwrap();
    Module::new(path, version).file("probe.go", "package probe\n")
}

/// Short router deadlines, so that the hanging mirror costs seconds, not minutes.
const ROUTER: &str = "[router]\nattempt_timeout = \"2s\"\nrequest_timeout = \"4s\"\n";

fn modules() -> Vec<Module> {
    vec![hello("v1.0.0"), hello("v1.1.0"), probe()]
}

/// A project using example.com/hello v1.0.0 (with a test), through `mirrors`.
fn world(mirrors: &[&Proxy], db: &SumDb) -> World {
    let urls: Vec<String> = mirrors.iter().map(|p| p.url()).collect();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    World::new()
        .real_go()
        .limit(LIMIT)
        .unreachable_internet()
        .user_config(&fast_config(&urls, "", ROUTER))
        .env("GOSUMDB", &db.gosumdb())
        .file(
            "go.mod",
            "module example.com/app\n\ngo 1.22\n\nrequire example.com/hello v1.0.0\n",
        )
        .file("go.sum", &hello("v1.0.0").go_sum())
        .file(
            "main.go",
            "package main\n\nimport \"example.com/hello\"\n\nfunc main() { println(hello.Greeting) }\n",
        )
        .file(
            "main_test.go",
            "package main\n\nimport \"testing\"\n\nfunc TestGreeting(t *testing.T) {}\n",
        )
}

/// The real go alone, `GOPROXY=off`, on the same module cache (the control).
fn go_off(w: &World, args: &[&str]) -> Run {
    let mut cmd = w.command(realgo::go());
    cmd.env("GOPROXY", "off").args(args);
    w.run(&mut cmd)
}

/// What every routed run below must do: the versions in the cache build, test, list and
/// download; the cached versions are listed and the latest of them is taken.
fn assert_cached_versions_work(w: &World) {
    for args in [
        &["build", "./..."][..],
        &["test", "./..."],
        &["list", "-m", "all"],
        &["mod", "download", "-json", "example.com/hello@v1.0.0"],
    ] {
        let r = w.go(args);
        r.assert_success();
    }
    let r = w.go(&["list", "-m", "-versions", "example.com/hello"]);
    r.assert_success();
    assert_eq!(
        r.stdout().trim(),
        "example.com/hello v1.0.0 v1.1.0",
        "{}",
        r.show()
    );
    let r = w.go(&["list", "-m", "-json", "example.com/hello@latest"]);
    r.assert_success();
    assert_eq!(r.json()["Version"], "v1.1.0", "{}", r.show());
}

#[test]
fn with_every_upstream_down_the_module_cache_answers() {
    let db = SumDb::of(&modules());
    let refused = Proxy::serving(modules());
    let hangs = Proxy::serving(modules());
    for p in [&refused, &hangs] {
        p.proxy_sumdb(&db);
    }
    let w = world(&[&refused, &hangs], &db);
    // Online: the cache gets both versions (v1.1.0 as `go mod download` leaves it, v1.0.0 as
    // a build does).
    w.go(&["mod", "download", "-json", "example.com/hello@v1.1.0"])
        .assert_success();
    w.go(&["build", "./..."]).assert_success();

    refused.set_fault(Fault::Refused);
    hangs.set_fault(Fault::Hang);
    assert_cached_versions_work(&w);
    let r = w.go(&["list", "-m", "-versions", "example.com/hello"]);
    assert!(
        r.stderr()
            .contains("; serving what the module cache holds (offline)"),
        "{}",
        r.show()
    );

    // go alone with GOPROXY=off: the cached versions build, test, list and download, but it
    // cannot list versions or find the latest.
    for args in [
        &["build", "./..."][..],
        &["test", "./..."],
        &["list", "-m", "all"],
        &["mod", "download", "-json", "example.com/hello@v1.0.0"],
    ] {
        go_off(&w, args).assert_success();
    }
    for args in [
        &["list", "-m", "-versions", "example.com/hello"][..],
        &["list", "-m", "-json", "example.com/hello@latest"],
    ] {
        let r = go_off(&w, args);
        let disabled = "module lookup disabled by GOPROXY=off";
        assert!(
            !r.success() && (r.stdout().contains(disabled) || r.stderr().contains(disabled)),
            "{}",
            r.show()
        );
    }

    // A version that is not cached: the router says why, "offline" included.
    let r = w.go(&["mod", "download", "-json", "example.com/hello@v1.2.0"]);
    assert_eq!(r.code(), Some(1), "{}", r.show());
    let out = r.stdout();
    assert!(
        out.contains("offline: example.com/hello@v1.2.0 .info is not in the module cache"),
        "{}",
        r.show()
    );
    assert!(
        out.contains(&format!("{}: refused the connection", host(&refused))),
        "{}",
        r.show()
    );
}

#[test]
fn offline_mode_serves_the_module_cache_and_asks_no_upstream() {
    let db = SumDb::of(&modules());
    let mirror = Proxy::serving(modules());
    mirror.proxy_sumdb(&db);
    let w = world(&[&mirror], &db);
    w.go(&["mod", "download", "-json", "example.com/hello@v1.1.0"])
        .assert_success();
    w.go(&["build", "./..."]).assert_success();
    mirror.clear_requests();

    let w = w.env("GOSHIM_OFFLINE", "1");
    assert_cached_versions_work(&w);
    let r = w.go(&["mod", "download", "-json", "example.com/hello@v1.2.0"]);
    assert_eq!(r.code(), Some(1), "{}", r.show());
    assert!(
        r.stdout().contains(
            "offline (GOSHIM_OFFLINE=1): example.com/hello@v1.2.0 .info is not in the module cache"
        ),
        "{}",
        r.show()
    );
    assert!(mirror.paths().is_empty(), "{:?}", mirror.paths());
    // `goshim env` keeps the offline variables for tools that run the real go themselves.
    let r = w.goshim(&["env", "--format", "json"]);
    r.assert_success();
    assert!(
        r.json()["GOPROXY"]
            .as_str()
            .is_some_and(|v| v.starts_with("file://") && v.ends_with("/cache/download,off")),
        "{}",
        r.show()
    );
}

fn host(p: &Proxy) -> String {
    p.url().trim_start_matches("http://").to_string()
}
