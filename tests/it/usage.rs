//! Using goshim (issue 7): `doctor`, `env`, `explain`, `route`, `cache clear`, `completions`,
//! `--version`/`--help`, and the direnv integration with the real direnv. Every run is against
//! fixture proxies on 127.0.0.1 in a temp home; outputs are compared whole after stable
//! redactions (temp paths, fixture ports, timings).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::modules::Module;
use crate::support::proxy::{Proxy, SumdbSupport};
use crate::support::world::{World, fast_config};
use crate::support::{realgo, shim};

/// A home, a project, goshim linked as `go` first on PATH with the real go after it.
fn world() -> World {
    World::new().real_go()
}

/// A healthy fixture proxy serving the probe module; shown as `placeholder` in outputs.
fn proxy(w: World, placeholder: &str, sumdb: SumdbSupport) -> (World, Proxy) {
    let p = Proxy::serving([probe_module()]);
    p.set_sumdb(sumdb);
    (w.show(&p.url(), placeholder), p)
}

/// The user config: these candidates in order, no direct, fast probes, `rest`.
fn config(w: World, candidates: &[&str], rest: &str) -> World {
    w.user_config(&fast_config(candidates, "", rest))
}

/// The module every fixture serves (the probe module of `fast_config`).
fn probe_module() -> Module {
    Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n")
}

/// Output with the world's variable parts replaced by stable names, numbers before " ms" and
/// " s" replaced by N, runs of spaces collapsed (column widths follow the timings), and the
/// direct checksum database rows cut after their name (their failure text depends on the
/// machine's DNS).
fn redact(w: &World, text: &str) -> String {
    let text = numbers_before(&w.redact(text), &[" ms", " s"]);
    text.lines()
        .map(|l| {
            let indent = l.len() - l.trim_start().len();
            let words: Vec<&str> = l.split_whitespace().collect();
            let body = match words.first() {
                Some(w) if w.starts_with("sum.golang.") => {
                    format!("{} …", w.trim_end_matches(':'))
                }
                _ => words.join(" "),
            };
            format!("{}{body}\n", " ".repeat(indent))
        })
        .collect()
}

/// Every run of digits directly followed by one of `units` becomes `N`.
fn numbers_before(text: &str, units: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(|c: char| c.is_ascii_digit()) {
        let end = rest[i..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(rest.len(), |e| i + e);
        let after = &rest[end..];
        let unit = units.iter().any(|u| {
            after.starts_with(u)
                && after[u.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric())
        });
        let word_start = i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '.');
        out.push_str(&rest[..i]);
        if unit && word_start {
            out.push('N');
        } else {
            out.push_str(&rest[i..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A module project whose every proxy answer comes from fixtures.
fn healthy_world() -> (World, Proxy) {
    let (w, p) = proxy(world(), "$P1", SumdbSupport::Supported);
    let w = config(w, &[&p.url()], "").file("go.mod", "module example.com/app\n\ngo 1.22\n");
    (w, p)
}

#[test]
fn redaction_helper() {
    assert_eq!(
        numbers_before("a 12 ms, 3 s ago, 1.22 s, v1 s, 7 sec", &[" ms", " s"]),
        "a N ms, N s ago, 1.22 s, v1 s, 7 sec"
    );
}

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

/// `key` of `v` exists and has JSON type `ty` (null allowed when `nullable`).
#[track_caller]
fn has(v: &Value, key: &str, ty: &str, nullable: bool) {
    let x = v.get(key).unwrap_or_else(|| panic!("no {key:?} in {v:#}"));
    let ok = match ty {
        "string" => x.is_string(),
        "bool" => x.is_boolean(),
        "number" => x.is_u64(),
        "array" => x.is_array(),
        "object" => x.is_object(),
        _ => unreachable!(),
    } || (nullable && x.is_null());
    assert!(ok, "{key:?} is not {ty}: {x:#}");
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
fn env_in_every_format() {
    let (w, p) = healthy_world();
    let w = config(
        w,
        &[&p.url()],
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    let run = |format: &str| {
        let r = w.goshim(&["env", "--format", format]);
        r.assert_code(0);
        redact(&w, &r.stdout())
    };
    let managed = "GOPRIVATE,GONOPROXY,GONOSUMDB,GOPROXY";
    assert_eq!(
        run("sh"),
        format!(
            "export GOPRIVATE='git.corp.example'\nexport GONOPROXY='git.corp.example'\n\
             export GONOSUMDB='git.corp.example'\nexport GOPROXY='$P1'\n\
             export GOSHIM_MANAGED='{managed}'\n"
        )
    );
    assert_eq!(
        run("fish"),
        format!(
            "set -gx GOPRIVATE 'git.corp.example'\nset -gx GONOPROXY 'git.corp.example'\n\
             set -gx GONOSUMDB 'git.corp.example'\nset -gx GOPROXY '$P1'\n\
             set -gx GOSHIM_MANAGED '{managed}'\n"
        )
    );
    assert_eq!(
        run("github"),
        format!(
            "GOPRIVATE=git.corp.example\nGONOPROXY=git.corp.example\nGONOSUMDB=git.corp.example\n\
             GOPROXY=$P1\nGOSHIM_MANAGED={managed}\n"
        )
    );
    assert_eq!(
        run("direnv"),
        format!(
            "export GOPRIVATE='git.corp.example'\nexport GONOPROXY='git.corp.example'\n\
             export GONOSUMDB='git.corp.example'\nexport GOPROXY='$P1'\n\
             export GOSHIM_MANAGED='{managed}'\n\
             watch_file '$ROOT/home/.config/goshim/config.toml'\n\
             watch_file '$ROOT/proj/.gomodrc'\nwatch_file '$ROOT/proj/go.mod'\n"
        )
    );
    let json: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "GOPRIVATE": "git.corp.example",
            "GONOPROXY": "git.corp.example",
            "GONOSUMDB": "git.corp.example",
            "GOPROXY": "$P1",
            "GOSHIM_MANAGED": managed,
        })
    );
    let r = w.goshim(&["env", "--format", "csh"]);
    r.assert_code(2);
}

#[test]
fn env_reevaluated_elsewhere_unsets_what_it_exported() {
    let (w, _p) = healthy_world();
    let w = w
        .env("GOSHIM_MANAGED", "GOPRIVATE,GONOPROXY,GONOSUMDB,GOPROXY")
        .env("GOPRIVATE", "git.corp.example");
    let r = w.goshim(&["env"]);
    r.assert_code(0);
    assert_eq!(
        redact(&w, &r.stdout()),
        "unset GOPRIVATE\nunset GONOPROXY\nunset GONOSUMDB\nexport GOPROXY='$P1'\nexport GOSHIM_MANAGED='GOPROXY'\n"
    );
}

#[test]
fn eval_env_in_bash_gives_go_exactly_the_printed_values() {
    let (w, p) = healthy_world();
    let w = config(
        w,
        &[&p.url()],
        "[modules]\nprivate = [\"git.corp.example\", \"*.corp.example\"]\n",
    );
    let w = w.env("GOPRIVATE", "b.example");
    let r = w.goshim(&["env", "--format", "json"]);
    r.assert_code(0);
    let printed: serde_json::Map<String, Value> = serde_json::from_slice(r.stdout_bytes()).unwrap();
    assert!(printed.contains_key("GOPROXY"), "{printed:?}");
    let script = format!(
        "set -e; eval \"$({} env)\"; exec go env -json",
        shim::binary().display()
    );
    let mut cmd = w.command(Path::new("/bin/bash"));
    cmd.args(["-c", &script]);
    let go = w.run(&mut cmd);
    go.assert_code(0);
    let seen: serde_json::Map<String, Value> = serde_json::from_slice(go.stdout_bytes()).unwrap();
    for (k, v) in &printed {
        if k == "GOSHIM_MANAGED" {
            continue;
        }
        assert_eq!(seen.get(k), Some(v), "go env -json {k} after eval");
    }
    // The exported GOPRIVATE is the user's and stays; the other two are widened.
    assert_eq!(seen["GOPRIVATE"], "b.example");
    assert_eq!(
        seen["GONOPROXY"],
        "b.example,git.corp.example,*.corp.example"
    );
    assert_eq!(
        seen["GONOSUMDB"],
        "b.example,git.corp.example,*.corp.example"
    );
}

#[test]
fn explain_every_variable_and_one() {
    let (w, _p) = healthy_world();
    let r = w.goshim(&["explain"]);
    r.assert_code(0);
    let want = "\
GOPROXY=$P1 (set by goshim)
  - healthy public proxies joined with '|': go fails over on any error
  configured:
    proxy.candidates: $P1 ($ROOT/home/.config/goshim/config.toml:2)
  probe results (probed now):
    $P1: healthy, N ms, sumdb yes, checked N s ago: answered the probe
  without goshim: https://proxy.golang.org,direct ($GOROOT/go.env)
GOPRIVATE= (kept)
  - no private modules are configured; go's own value is used
  without goshim: empty (go's built-in default)
GONOPROXY= (kept)
  - no private modules are configured; go's own value is used
  without goshim: empty (derived by go from another variable)
GONOSUMDB= (kept)
  - no private modules are configured; go's own value is used
  without goshim: empty (derived by go from another variable)
GOSUMDB=sum.golang.org (kept)
  - $P1 serves /sumdb/sum.golang.org/supported: checksum lookups go through it
  configured:
    sumdb.name = sum.golang.org (built-in default)
  probe results (probed now):
    $P1 serves /sumdb/sum.golang.org/supported: yes
    sum.golang.org …
    sum.golang.google.cn …
  without goshim: sum.golang.org ($GOROOT/go.env)
GOFLAGS=-modcacherw (kept)
  - goshim adds no flags: go uses your GOFLAGS as they are (and never gets -mod=mod from goshim, which go rejects in workspace mode)
  without goshim: -modcacherw (your environment)
(decided as for `go mod download` in $ROOT/proj)
";
    assert_eq!(redact(&w, &r.stdout()), want, "{}", r.show());

    let r = w.goshim(&["explain", "gosumdb"]);
    r.assert_code(0);
    assert!(
        redact(&w, &r.stdout()).starts_with("GOSUMDB=sum.golang.org (kept)\n"),
        "{}",
        r.show()
    );
    let r = w.goshim(&["explain", "GOFLAGS"]);
    r.assert_code(0);
    assert_eq!(
        r.stdout(),
        "GOFLAGS=-modcacherw  (kept)\n  - goshim adds no flags: go uses your GOFLAGS as they are \
         (and never gets -mod=mod from goshim, which go rejects in workspace mode)\n  \
         without goshim: -modcacherw (your environment)\n"
    );
    let r = w.goshim(&["explain", "GOTOOLCHAIN"]);
    r.assert_code(0);
    assert_eq!(
        r.stdout(),
        "GOTOOLCHAIN=local (goshim leaves it alone; from your environment)\n"
    );
    let r = w.goshim(&["explain", "GOPROXIES"]);
    r.assert_code(2);
    assert!(
        r.stderr().contains("GOPROXIES is not a go variable"),
        "{}",
        r.show()
    );
}

#[test]
fn explain_names_the_config_file_and_line() {
    let (w, p) = healthy_world();
    let w = config(
        w,
        &[&p.url()],
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    let r = w.goshim(&["explain", "GOPRIVATE"]);
    r.assert_code(0);
    assert_eq!(
        redact(&w, &r.stdout()),
        "GOPRIVATE=git.corp.example (set by goshim)
  - your patterns plus the configured private modules ($ROOT/home/.config/goshim/config.toml:11)
  - goshim writes GOPRIVATE, GONOPROXY and GONOSUMDB together, because an empty GONOPROXY or GONOSUMDB means \"use GOPRIVATE\"
  configured:
    modules.private: git.corp.example ($ROOT/home/.config/goshim/config.toml:11)
  without goshim: empty (go's built-in default)
"
    );
}

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
    assert_eq!(
        redact(&w, &r.stdout()),
        "route for corp.example/lib@v1.0.0
fetch: the GOPROXY entries, in order:
  1. $P1 last: its errors are final
checksum database: consulted: sum.golang.org
  1. $P1/sumdb/sum.golang.org/supported 200: used for every lookup; 404/410: next; other errors: lookups fail
  2. https://sum.golang.org the database directly
patterns:
  GOPRIVATE=*.corp.example no match
  GONOPROXY=*.corp.example no match
  GONOSUMDB=*.corp.example no match
with GOPROXY=$P1 GOSUMDB=sum.golang.org
"
    );
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
    assert_eq!(v["env"]["GOPROXY"], p.url());
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

    let r = w.goshim(&["route", "golang.org/toolchain"]);
    r.assert_code(0);
    let out = redact(&w, &r.stdout());
    assert!(
        out.contains(
            "golang.org/toolchain has no repository to fetch from directly: this download fails"
        ),
        "{out}"
    );

    let w = w.env("GOPRIVATE", "").env(
        "GOPROXY",
        "https://u:hunter2@a.example|https://b.example,direct",
    );
    let r = w.goshim(&["route", "example.com/m", "--json"]);
    r.assert_code(0);
    assert!(!r.stdout().contains("hunter2"), "{}", r.show());
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

#[test]
fn cache_clear_forgets_the_verdicts() {
    let (w, _p) = healthy_world();
    let cache = w.root().join("home/.cache/goshim");
    w.goshim(&["env"]).assert_code(0);
    assert!(
        cache.is_dir(),
        "the verdicts were cached in {}",
        cache.display()
    );
    let r = w.goshim(&["cache", "clear"]);
    r.assert_code(0);
    assert!(!cache.exists());
    assert!(r.stderr().contains("removed"), "{}", r.show());
    w.goshim(&["cache", "clear"]).assert_code(0);
    let r = w.goshim(&["explain", "GOPROXY"]);
    assert!(
        r.stdout().contains("probe results (probed now)"),
        "{}",
        r.show()
    );
}

#[test]
fn completions_version_and_help() {
    let w = world();
    let r = w.goshim(&["completions", "bash"]);
    r.assert_code(0);
    let out = r.stdout();
    assert!(out.contains("_goshim()"), "{out}");
    for sub in ["doctor", "env", "explain", "route", "cache", "completions"] {
        assert!(out.contains(sub), "{sub} missing from the bash completion");
    }
    let r = w.goshim(&["completions", "fish"]);
    r.assert_code(0);
    assert!(r.stdout().contains("complete -c goshim"));
    w.goshim(&["completions", "tcsh"]).assert_code(2);

    let r = w.goshim(&["--version"]);
    r.assert_code(0);
    assert_eq!(
        r.stdout(),
        format!("goshim {}\n", env!("CARGO_PKG_VERSION"))
    );
    let r = w.goshim(&["--help"]);
    r.assert_code(0);
    let out = r.stdout();
    assert!(out.contains("Examples:"), "{out}");
    assert!(out.contains("goshim route example.com/m@v1.2.3"), "{out}");
    for sub in ["env", "doctor", "explain", "route"] {
        let r = w.goshim(&[sub, "--help"]);
        r.assert_code(0);
        assert!(
            r.stdout().contains("go mod download"),
            "{sub} --help: {}",
            r.show()
        );
    }
}

/// The direnv integration with the real direnv: `.envrc` sources `shims/direnvrc` and says
/// `use goshim`; after `direnv allow`, `direnv exec` runs the real go with goshim's variables.
#[test]
fn direnv_use_goshim() {
    let direnv = which_direnv();
    let (w, p) = healthy_world();
    let w = config(
        w,
        &[&p.url()],
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    // goshim itself on PATH, as a user has it.
    let bin = w.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(shim::binary(), bin.join("goshim")).unwrap();
    let direnvrc = Path::new(env!("CARGO_MANIFEST_DIR")).join("shims/direnvrc");
    let w = w.path_first(&bin).file(
        ".envrc",
        &format!("source_env {}\nuse goshim\n", direnvrc.display()),
    );
    let r = w.goshim(&["env", "--format", "json"]);
    r.assert_code(0);
    let printed: serde_json::Map<String, Value> = serde_json::from_slice(r.stdout_bytes()).unwrap();

    let direnv_cmd = |args: &[&str]| {
        let mut cmd = w.command(&direnv);
        cmd.args(args);
        w.run(&mut cmd)
    };
    let r = direnv_cmd(&["allow", "."]);
    r.assert_code(0);
    let dir = w.proj().display().to_string();
    let r = direnv_cmd(&["exec", &dir, realgo::go().to_str().unwrap(), "env", "-json"]);
    r.assert_code(0);
    let seen: serde_json::Map<String, Value> = serde_json::from_slice(r.stdout_bytes()).unwrap();
    for (k, v) in &printed {
        if k != "GOSHIM_MANAGED" {
            assert_eq!(seen.get(k), Some(v), "{k} under direnv: {}", r.show());
        }
    }
    assert_eq!(seen["GOPRIVATE"], "git.corp.example");

    // `direnv export json` shows the same variables and GOSHIM_MANAGED.
    let r = direnv_cmd(&["export", "json"]);
    r.assert_code(0);
    let exported: serde_json::Map<String, Value> =
        serde_json::from_slice(r.stdout_bytes()).unwrap();
    for (k, v) in &printed {
        assert_eq!(
            exported.get(k),
            Some(v),
            "{k} in direnv export: {}",
            r.show()
        );
    }

    // Editing the project config is noticed: .gomodrc is watched.
    let r = direnv_cmd(&["exec", &dir, direnv.to_str().unwrap(), "status"]);
    r.assert_code(0);
    let status = r.stdout();
    for watched in [
        "\".gomodrc\"",
        "\"go.mod\"",
        "\"go.work\"",
        "home/.config/goshim/config.toml\"",
    ] {
        assert!(
            status
                .lines()
                .any(|l| l.starts_with("Loaded watch:") && l.contains(watched)),
            "{watched} is not watched: {}",
            r.show()
        );
    }
}

/// The real direnv (Debian package `direnv`; `.ci/run` installs it). Missing: the test fails.
fn which_direnv() -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = Path::new(dir).join("direnv");
        if p.is_file() {
            return p;
        }
    }
    let out = Command::new("sh")
        .args(["-c", "command -v direnv"])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            PathBuf::from(String::from_utf8_lossy(&o.stdout).trim().to_string())
        }
        _ => panic!("direnv is missing: install it (apt-get install -y direnv); .ci/run does"),
    }
}

/// `shims/ci/install-goshim.sh` makes goshim the default `go` of an image: the link is made
/// next to goshim, the real go is found further down PATH, and a download goes through the
/// proxy goshim chose.
#[test]
fn ci_recipe_makes_goshim_the_default_go() {
    let (w, p) = healthy_world();
    let w = w
        .file(
            "go.mod",
            "module example.com/app\n\ngo 1.22\n\nrequire example.com/probe v1.0.0\n",
        )
        // Checksums known: go does not need the checksum database.
        .file("go.sum", &probe_module().go_sum());
    let bindir = w.root().join("image/bin");
    std::fs::create_dir_all(&bindir).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("shims/ci/install-goshim.sh");
    let w = w.env("GOSHIM_BINDIR", &bindir.display().to_string());
    // An image's PATH: the real go, no goshim yet.
    let go_dir = realgo::go().parent().unwrap().display().to_string();
    let w = w.env("PATH", &format!("{go_dir}:/usr/bin:/bin"));
    let mut cmd = w.command(Path::new("/bin/sh"));
    cmd.arg(&script).arg(shim::binary());
    let r = w.run(&mut cmd);
    r.assert_code(0);
    // `goshim which` printed the real go.
    assert!(
        r.stdout().lines().any(|l| Path::new(l) == realgo::go()),
        "{}",
        r.show()
    );
    assert!(bindir.join("goshim").is_file());
    let link = bindir.join("go");
    let w = w.path_first(&bindir).env("GOSHIM_TRUST_ALL", "1");
    let mut cmd = w.command(&link);
    cmd.args(["mod", "download", "example.com/probe"]);
    let r = w.run(&mut cmd);
    r.assert_code(0);
    assert!(p.saw("/example.com/probe/@v/v1.0.0.zip"), "{:?}", p.paths());
}

/// `shims/activate.bash` puts goshim's bin directory first on PATH, once, so `go` is the link
/// `goshim install` made there.
#[test]
fn activate_bash_puts_the_shim_first() {
    let w = world();
    let r = w.goshim(&["install"]);
    r.assert_code(0);
    let bin = w.root().join("home/.local/share/goshim/bin");
    let snippet = Path::new(env!("CARGO_MANIFEST_DIR")).join("shims/activate.bash");
    let script = format!(
        "source {0}; source {0}; echo \"$PATH\"; command -v go",
        snippet.display()
    );
    let mut cmd = w.command(Path::new("/bin/bash"));
    cmd.args(["-c", &script]);
    let r = w.run(&mut cmd);
    r.assert_code(0);
    let out = r.stdout();
    let mut lines = out.lines();
    let path = lines.next().unwrap_or_default();
    assert!(
        path.starts_with(&format!("{}:", bin.display())),
        "{}",
        r.show()
    );
    assert_eq!(
        path.matches(&bin.display().to_string()).count(),
        1,
        "{path}"
    );
    assert_eq!(lines.next().map(Path::new), Some(bin.join("go").as_path()));
}

/// `route` agrees with what the real go does through the shim: with GOPRIVATE=*.corp.example,
/// corp.example/lib (not covered: the subdomain trap) is fetched from the proxy, and
/// git.corp.example/lib goes direct and never reaches it.
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
    assert_eq!(v["fetch"]["steps"][0]["entry"], p.url());
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
    let (w, a) = proxy(world(), "$A", SumdbSupport::NotFound);
    let (w, b) = proxy(w, "$B", SumdbSupport::Supported);
    let w = w
        .file("go.mod", "module example.com/app\n\ngo 1.22\n")
        .env("GOPROXY", &format!("{},{}", a.url(), b.url()));
    let r = w.goshim(&["route", "example.com/probe@v1.0.0"]);
    r.assert_code(0);
    let out = redact(&w, &r.stdout());
    let want = "\
checksum database: consulted: sum.golang.org
  1. $A/sumdb/sum.golang.org/supported 200: used for every lookup; 404/410: next; other errors: lookups fail
  2. $B/sumdb/sum.golang.org/supported 200: used for every lookup; 404/410: next; other errors: lookups fail
  3. https://sum.golang.org the database directly
";
    assert!(out.contains(want), "{out}");

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
