//! `goshim route`: the final environment, the toolchain trap, the JSON form, and agreement with
//! what the real go does.

use serde_json::Value;

use super::{config, has, healthy_world, proxy, world};
use crate::support::modules::Module;
use crate::support::proxy::SumdbSupport;
use crate::support::snap::assert_snapshot;

#[test]
fn route_uses_the_final_environment() {
    let (w, p) = healthy_world();
    let w = config(
        w,
        &[&p.url()],
        "[modules]\nprivate = [\"*.corp.example\"]\n",
    );
    let r = w.goshim(&["route", "corp.example/lib@v1.0.0"]);
    r.assert_code(0);
    assert_snapshot!(w, "final_environment", r.stdout());
    let r = w.goshim(&["route", "git.corp.example/team/lib", "--json"]);
    r.assert_code(0);
    let v: Value = serde_json::from_slice(r.stdout_bytes()).unwrap();
    assert_eq!(v["path"], "git.corp.example/team/lib");
    assert_eq!(v["version"], Value::Null);
    assert_eq!(v["fetch"]["mode"], "direct");
    assert_eq!(v["fetch"]["pattern"], "*.corp.example");
    assert_eq!(v["sumdb"]["consulted"], false);
    assert_eq!(v["sumdb"]["reason"], "gonosumdb");
    assert_eq!(v["matches"]["GONOPROXY"], "*.corp.example");
    assert_eq!(v["env"]["GOPROXY"], "http://127.0.0.1:<port>/<token>");
    // A private path without private proxies: go fetches it itself, the router never sees it.
    assert_eq!(v["router"]["private"], true);
    assert_eq!(v["router"]["upstreams"], serde_json::json!([]));
    assert_eq!(v["router"]["sumdb"]["local"], true);
    assert_snapshot!(w, "final_environment_json", r.stdout());
}

#[test]
fn route_toolchain_trap_and_json_schema() {
    let (w, p) = healthy_world();
    let w = w.env("GOPRIVATE", "*");
    // The user's own GOPROXY, used as is (nothing probed).
    let w = w.env("GOPROXY", &format!("{},direct", p.url()));
    let r = w.goshim(&[
        "route",
        "golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64",
        "--json",
    ]);
    r.assert_code(0);
    let v: Value = serde_json::from_slice(r.stdout_bytes()).unwrap();
    for (k, ty) in [
        ("module", "string"),
        ("path", "string"),
        ("env", "object"),
        ("fetch", "object"),
        ("sumdb", "object"),
        ("matches", "object"),
    ] {
        has(&v, k, ty, false);
    }
    has(&v, "version", "string", true);
    for (k, ty, null) in [
        ("mode", "string", false),
        ("pattern", "string", true),
        ("error", "string", true),
        ("steps", "array", false),
    ] {
        has(&v["fetch"], k, ty, null);
    }
    for (k, ty, null) in [
        ("consulted", "bool", false),
        ("reason", "string", false),
        ("name", "string", true),
        ("pattern", "string", true),
        ("error", "string", true),
        ("endpoints", "array", false),
    ] {
        has(&v["sumdb"], k, ty, null);
    }
    assert_eq!(v["fetch"]["mode"], "direct");
    assert_eq!(v["fetch"]["pattern"], "*");
    assert_eq!(v["sumdb"]["consulted"], true);
    assert_eq!(v["sumdb"]["reason"], "toolchain");
    let endpoints = v["sumdb"]["endpoints"].as_array().unwrap();
    assert_eq!(
        endpoints[0]["url"],
        format!("{}/sumdb/sum.golang.org/supported", p.url())
    );
    assert_eq!(endpoints[0]["kind"], "proxy");
    assert_eq!(endpoints[1]["url"], "https://sum.golang.org");
    assert_eq!(endpoints[1]["kind"], "direct");

    assert_snapshot!(w, "toolchain_json", r.stdout());

    let r = w.goshim(&["route", "golang.org/toolchain"]);
    r.assert_code(0);
    assert!(
        r.stdout().contains(
            "golang.org/toolchain has no repository to fetch from directly: this download fails"
        ),
        "{}",
        r.show()
    );
    assert_snapshot!(w, "toolchain_direct", r.stdout());

    let w = w.env("GOPRIVATE", "").env(
        "GOPROXY",
        "https://u:hunter2@a.example|https://b.example,direct",
    );
    let r = w.goshim(&["route", "example.com/m", "--json"]);
    r.assert_code(0);
    assert!(!r.stdout().contains("hunter2"), "{}", r.show());
    assert_snapshot!(w, "credentials_redacted_json", r.stdout());
    let v: Value = serde_json::from_slice(r.stdout_bytes()).unwrap();
    let steps: Vec<(String, String)> = v["fetch"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["entry"].as_str().unwrap().to_string(),
                s["then"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                "https://u:xxxxx@a.example".to_string(),
                "\"any_error\"".to_string()
            ),
            ("https://b.example".into(), "\"not_found\"".into()),
            ("direct".into(), "null".into()),
        ]
    );

    let r = w.goshim(&["route", "--", "-x"]);
    r.assert_code(2);
}

/// `route` agrees with what the real go does through the shim: with GOPRIVATE=*.corp.example,
/// corp.example/lib (not covered: the subdomain trap) is fetched through the router from the
/// proxy, and git.corp.example/lib goes direct and never reaches either.
#[test]
fn route_matches_what_the_real_go_does() {
    let (w, p) = healthy_world();
    p.add(Module::new("corp.example/lib", "v1.0.0").file("lib.go", "package lib\n"));
    p.add(Module::new("git.corp.example/lib", "v1.0.0").file("lib.go", "package lib\n"));
    let w = w.env("GOPRIVATE", "*.corp.example");
    // No checksum database in this test: the fixture serves no lookups.
    let w = w
        .env("GONOSUMDB", "corp.example")
        .env("GIT_TERMINAL_PROMPT", "0");
    let route = |module: &str| {
        let r = w.goshim(&["route", module, "--json"]);
        r.assert_code(0);
        serde_json::from_slice::<Value>(r.stdout_bytes()).unwrap()
    };
    let go = |module: &str| w.go(&["mod", "download", module]);

    let v = route("corp.example/lib@v1.0.0");
    assert_eq!(v["fetch"]["mode"], "proxies");
    assert_eq!(
        v["fetch"]["steps"][0]["entry"],
        "http://127.0.0.1:<port>/<token>"
    );
    assert_eq!(v["router"]["private"], false);
    assert_eq!(v["router"]["upstreams"][0]["url"], p.url());
    assert_eq!(v["matches"]["GOPRIVATE"], Value::Null);
    go("corp.example/lib@v1.0.0").assert_code(0);
    assert!(p.saw("/corp.example/lib/@v/v1.0.0.zip"), "{:?}", p.paths());

    let v = route("git.corp.example/lib@v1.0.0");
    assert_eq!(v["fetch"]["mode"], "direct");
    assert_eq!(v["fetch"]["pattern"], "*.corp.example");
    let r = go("git.corp.example/lib@v1.0.0");
    assert!(!r.timed_out(), "{}", r.show());
    r.assert_code(1);
    p.assert_never_saw("git.corp.example");
}

/// The checksum database endpoints `route` lists are the ones the real go asks, in that order:
/// each proxy's `/sumdb/sum.golang.org/supported` (moving on after a 404), then the first that
/// says 200 serves the lookups.
#[test]
fn route_sumdb_endpoints_match_the_real_go() {
    let (w, a) = proxy(world(), SumdbSupport::NotFound);
    let (w, b) = proxy(w, SumdbSupport::Supported);
    let w = w
        .file("go.mod", "module example.com/app\n\ngo 1.22\n")
        .env("GOPROXY", &format!("{},{}", a.url(), b.url()));
    let r = w.goshim(&["route", "example.com/probe@v1.0.0"]);
    r.assert_code(0);
    assert_snapshot!(w, "sumdb_endpoints", r.stdout());

    let r = w.go(&["mod", "download", "example.com/probe@v1.0.0"]);
    // The fixture serves no lookups: verification fails, after asking where route said.
    r.assert_code(1);
    assert!(a.saw("/sumdb/sum.golang.org/supported"), "{:?}", a.paths());
    assert!(b.saw("/sumdb/sum.golang.org/supported"), "{:?}", b.paths());
    assert!(
        b.saw("/sumdb/sum.golang.org/lookup/example.com/probe@v1.0.0"),
        "{:?}",
        b.paths()
    );
    assert!(!a.saw("/sumdb/sum.golang.org/lookup"), "{:?}", a.paths());
}
