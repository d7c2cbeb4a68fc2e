//! `goshim doctor`: the report, every problem numbered, the JSON form.

use serde_json::Value;

use super::{config, has, healthy_world, proxy, world};
use crate::support::proxy::SumdbSupport;
use crate::support::realgo;
use crate::support::snap::assert_snapshot;

/// The first run probes (the checksum databases hang behind the unreachable internet, so they
/// stay unknown: the proxy answers for sum.golang.org); the second answers from the cache.
#[test]
fn doctor_on_a_healthy_project() {
    let (w, _p) = healthy_world();
    let w = w.unreachable_internet();
    let r = w.goshim(&["doctor"]);
    r.assert_code(0);
    assert!(r.stdout().contains("proxies (probed now)"), "{}", r.show());
    assert_snapshot!(w, "healthy", r.stdout());
    let r = w.goshim(&["doctor"]);
    r.assert_code(0);
    assert!(
        r.stdout().contains("proxies (from the cache)"),
        "{}",
        r.show()
    );
}

#[test]
fn doctor_numbers_every_problem_and_exits_1() {
    let (w, p) = proxy(world(), SumdbSupport::Supported);
    let creds = format!("http://ci:s3cret@{}", p.host());
    let w = config(w, &[&p.url(), &creds], "")
        .file(
            "go.mod",
            "module example.com/app\n\ngo 1.22\n\nrequire git.corp.example/team/lib v1.0.0\n",
        )
        .gomodrc("[proxy]\ncandidates = [\"https://mirror.example\"]\n")
        .env("GOPRIVATE", "*.corp.example")
        // The real go's own directory first on PATH, as an IDE does with $GOROOT/bin.
        .path_first(realgo::go().parent().unwrap())
        .unreachable_internet();
    let r = w.goshim(&["doctor"]);
    r.assert_code(1);
    assert!(
        !r.stdout().contains("s3cret"),
        "a password leaked: {}",
        r.show()
    );
    assert!(r.stdout().contains("\n5 problems found\n"), "{}", r.show());
    assert_snapshot!(w, "five_problems", r.stdout());
}

#[test]
fn doctor_json_schema() {
    let (w, _p) = healthy_world();
    let w = w
        .env("GOPRIVATE", "git.corp.example")
        .unreachable_internet();
    let r = w.goshim(&["doctor", "--json"]);
    r.assert_code(0);
    let v: Value = serde_json::from_slice(r.stdout_bytes()).expect("doctor --json is JSON");
    for (k, ty, null) in [
        ("goshim_version", "string", false),
        ("ok", "bool", false),
        ("decided_for", "string", false),
        ("go", "object", false),
        ("project", "object", false),
        ("project_error", "string", true),
        ("config", "array", false),
        ("ignored", "array", false),
        ("verdicts_from", "string", false),
        ("proxies", "array", false),
        ("sumdbs", "array", false),
        ("router", "array", false),
        ("variables", "array", false),
        ("notice", "string", true),
        ("warnings", "array", false),
        ("go_env", "object", false),
    ] {
        has(&v, k, ty, null);
    }
    assert_eq!(v["ok"], true);
    assert_eq!(v["go"]["version"], "1.27.3");
    has(&v["go"], "path", "string", false);
    let p = &v["project"];
    for (k, ty, null) in [
        ("dir", "string", false),
        ("go_mod", "string", true),
        ("module", "string", true),
        ("go", "string", true),
        ("toolchain", "string", true),
        ("workspace", "string", true),
        ("workspace_modules", "array", false),
        ("vendor", "bool", false),
    ] {
        has(p, k, ty, null);
    }
    assert_eq!(p["module"], "example.com/app");
    let c = &v["config"][0];
    has(c, "path", "string", false);
    assert_eq!(
        (c["kind"].as_str(), c["trusted"].as_bool()),
        (Some("user"), Some(true))
    );
    for x in v["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["sumdbs"].as_array().unwrap())
    {
        has(x, "name", "string", false);
        has(x, "status", "string", false);
        has(x, "reason", "string", false);
        has(x, "latency_ms", "number", true);
        has(x, "sumdb", "string", false);
        has(x, "age_s", "number", true);
    }
    assert_eq!(v["proxies"][0]["status"], "healthy");
    assert_eq!(v["proxies"][0]["sumdb"], "supported");
    for x in v["variables"].as_array().unwrap() {
        has(x, "name", "string", false);
        has(x, "value", "string", false);
        has(x, "action", "string", false);
        has(x, "reasons", "array", false);
    }
    assert_eq!(v["variables"][0]["name"], "GOPROXY");
    assert_eq!(v["variables"][0]["action"], "set");
    // go_env: go's own values without goshim, each with its origin.
    let env = &v["go_env"];
    assert_eq!(env["GOPROXY"]["value"], "https://proxy.golang.org,direct");
    assert_eq!(env["GOPROXY"]["origin"], "goroot_go_env");
    assert!(
        env["GOPROXY"]["file"]
            .as_str()
            .unwrap()
            .ends_with("/go.env")
    );
    assert_eq!(env["GOPRIVATE"]["origin"], "environment");
    assert_eq!(env["GONOPROXY"]["value"], "git.corp.example");
    assert_eq!(env["GONOPROXY"]["origin"], "derived");
    assert_eq!(env["GOFLAGS"]["value"], "-modcacherw");
    for (_, x) in env.as_object().unwrap() {
        has(x, "value", "string", false);
        has(x, "origin", "string", false);
        has(x, "file", "string", true);
    }
    assert_snapshot!(w, "json", r.stdout());
}

#[test]
fn doctor_reports_a_broken_project_and_a_missing_go() {
    let (w, _p) = healthy_world();
    let w = w.file("go.mod", "module example.com/app\n\ngo 1.22\nrequire (\n");
    let r = w.goshim(&["doctor"]);
    r.assert_code(1);
    let parse_error = format!(
        "1. the project cannot be inspected, go will fail the same way: go: errors parsing {}",
        w.proj().join("go.mod").display()
    );
    assert!(r.stdout().contains(&parse_error), "{}", r.show());
    assert_snapshot!(w, "broken_project", r.stdout());

    let w = world().env("PATH", "/nonexistent");
    let r = w.goshim(&["doctor"]);
    r.assert_code(127);
    assert!(r.stderr().contains("goshim: error:"), "{}", r.show());
    assert_snapshot!(w, "missing_go", r.stderr());
}

#[test]
fn doctor_warns_when_no_go_on_path_is_goshim() {
    let (w, _p) = healthy_world();
    let go_dir = realgo::go().parent().unwrap().display().to_string();
    let w = w.env("PATH", &format!("{go_dir}:/usr/bin:/bin"));
    let r = w.goshim(&["doctor"]);
    r.assert_code(1);
    assert!(
        r.stdout().ends_with(
            "warnings\n  1. no `go` on PATH is goshim, so go commands bypass it: run `goshim install` and put the directory it prints first on PATH\n1 problem found\n"
        ),
        "{}",
        r.show()
    );
}

/// After a download through the router, doctor shows what that router saw of the upstream:
/// runs, requests, failures, latency, passed over, mismatches — from the verdict cache.
#[test]
fn doctor_shows_what_the_last_routers_saw() {
    let (w, p) = healthy_world();
    p.add(
        crate::support::modules::Module::new("example.com/hello", "v1.0.0")
            .file("hello.go", "package hello\n"),
    );
    let w = w.env("GONOSUMDB", "example.com").unreachable_internet();
    let r = w.goshim(&["doctor"]);
    assert!(
        r.stdout()
            .contains("router (the last runs)\n  no module router has run on this network yet\n"),
        "{}",
        r.show()
    );
    w.go(&["mod", "download", "-json", "example.com/hello@v1.0.0"])
        .assert_success();
    // The router records what it saw once go has exited.
    let cache = w.cache_dir().join("health.json");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(&cache).is_ok_and(|t| t.contains("\"router\"")) {
        assert!(
            std::time::Instant::now() < until,
            "no router stats recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let r = w.goshim(&["doctor"]);
    r.assert_code(0);
    assert_snapshot!(w, "router_stats", r.stdout());
    let r = w.goshim(&["doctor", "--json"]);
    let v: Value = serde_json::from_slice(r.stdout_bytes()).expect("doctor --json is JSON");
    let router = v["router"].as_array().expect("a router array");
    assert_eq!(router.len(), 1, "{v:#}");
    let u = &router[0];
    assert_eq!(u["name"], p.url());
    for (k, want) in [
        ("runs", 1),
        ("requests", 3),
        ("failures", 0),
        ("passed_over", 0),
        ("mismatches", 0),
    ] {
        assert_eq!(u[k], want, "{k}: {u:#}");
    }
    for k in ["p50_ms", "p95_ms", "age_s"] {
        has(u, k, "number", false);
    }
}
