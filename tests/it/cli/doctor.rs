//! `goshim doctor`: the report, every problem numbered, the JSON form.

use serde_json::Value;

use super::{config, has, healthy_world, proxy, redact, world};
use crate::support::proxy::SumdbSupport;
use crate::support::realgo;

#[test]
fn doctor_on_a_healthy_project() {
    let (w, _p) = healthy_world();
    let r = w.goshim(&["doctor"]);
    r.assert_code(0);
    let want = "\
goshim $VERSION

go
  path $GO
  version 1.27.3

project
  dir $ROOT/proj
  module example.com/app
  go.mod $ROOT/proj/go.mod
  go 1.22
  toolchain -
  workspace -
  vendor no

configuration
  $ROOT/home/.config/goshim/config.toml user

proxies (probed now)
  CANDIDATE VERDICT LATENCY SUMDB AGE REASON
  $P1 healthy N ms yes N s answered the probe
  sum.golang.org …
  sum.golang.google.cn …

variables (for `go mod download` here)
  set GOPROXY=$P1
         - healthy public proxies joined with '|': go fails over on any error
  kept GOPRIVATE=
         - no private modules are configured; go's own value is used
  kept GONOPROXY=
         - no private modules are configured; go's own value is used
  kept GONOSUMDB=
         - no private modules are configured; go's own value is used
  kept GOSUMDB=sum.golang.org
         - $P1 serves /sumdb/sum.golang.org/supported: checksum lookups go through it
  kept GOFLAGS=-modcacherw
         - goshim adds no flags: go uses your GOFLAGS as they are (and never gets -mod=mod from goshim, which go rejects in workspace mode)

no problems found
";
    assert_eq!(redact(&w, &r.stdout()), want, "{}", r.show());
    // The second run answers from the cache.
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
    let (w, p) = proxy(world(), "$P1", SumdbSupport::Supported);
    let creds = format!("http://ci:s3cret@{}", p.host());
    let w = w.show(
        &format!("http://ci:xxxxx@{}", p.host()),
        "http://ci:xxxxx@$P1HOST",
    );
    let w = config(w, &[&p.url(), &creds], "")
        .file(
            "go.mod",
            "module example.com/app\n\ngo 1.22\n\nrequire git.corp.example/team/lib v1.0.0\n",
        )
        .gomodrc("[proxy]\ncandidates = [\"https://mirror.example\"]\n")
        .env("GOPRIVATE", "*.corp.example")
        // The real go's own directory first on PATH, as an IDE does with $GOROOT/bin.
        .path_first(realgo::go().parent().unwrap());
    let r = w.goshim(&["doctor"]);
    r.assert_code(1);
    let out = redact(&w, &r.stdout());
    assert!(!out.contains("s3cret"), "a password leaked:\n{out}");
    let warnings = &out[out.find("\nwarnings\n").expect("a warnings section")..];
    let want = "
warnings
  1. GOPRIVATE has *.corp.example but not corp.example: '*.' needs a label, so corp.example/… itself is not covered; add corp.example
  2. GONOPROXY has *.corp.example but not corp.example: '*.' needs a label, so corp.example/… itself is not covered; add corp.example
  3. GONOSUMDB has *.corp.example but not corp.example: '*.' needs a label, so corp.example/… itself is not covered; add corp.example
  4. PATH order: $GO comes before goshim's link $ROOT/shim/go, so go commands bypass goshim (a $GOROOT/bin placed first, as IDEs do: point the IDE's GOROOT/go binary at the shim instead); put $ROOT/shim first on PATH
  5. http://ci:xxxxx@$P1HOST puts credentials in a plain http URL: go refuses to send them over http and anyone on the network can read them; use https (or a .netrc entry with an https proxy)
5 problems found
";
    assert_eq!(warnings, want, "{}", r.show());
    assert!(
        out.contains("$ROOT/proj/.gomodrc project, NOT trusted (`goshim trust` applies all of it)"),
        "{out}"
    );
    assert!(
        out.contains("ignored proxy.candidates = https://mirror.example at $ROOT/proj/.gomodrc:2"),
        "{out}"
    );
}

#[test]
fn doctor_json_schema() {
    let (w, _p) = healthy_world();
    let w = w.env("GOPRIVATE", "git.corp.example");
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
}

#[test]
fn doctor_reports_a_broken_project_and_a_missing_go() {
    let (w, _p) = healthy_world();
    let w = w.file("go.mod", "module example.com/app\n\ngo 1.22\nrequire (\n");
    let r = w.goshim(&["doctor"]);
    r.assert_code(1);
    let out = redact(&w, &r.stdout());
    assert!(
        out.contains("1. the project cannot be inspected, go will fail the same way: go: errors parsing $ROOT/proj/go.mod"),
        "{out}"
    );

    let w = world();
    let w = w.env("PATH", "/nonexistent");
    let r = w.goshim(&["doctor"]);
    r.assert_code(127);
    assert!(r.stderr().contains("goshim: error:"), "{}", r.show());
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
