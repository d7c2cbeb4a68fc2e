//! Using goshim (issue 7): `doctor`, `env`, `explain`, `route`, `cache clear`, `completions`,
//! `--version`/`--help`, and the direnv integration with the real direnv. Every run is against
//! fixture proxies on 127.0.0.1 in a temp home; outputs are compared whole after stable
//! redactions (temp paths, fixture ports, timings).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::bounded::{self, Bounded};
use crate::support::modules::Module;
use crate::support::proxy::{Proxy, SumdbSupport};
use crate::support::sandbox::Sandbox;
use crate::support::{realgo, shim};

/// The module every healthy fixture serves, named by `health.probe`.
const PROBE: &str = "example.com/probe@v1.0.0";

/// A hang fails the test instead of stalling it.
const LIMIT: Duration = Duration::from_secs(30);

/// A home, a project, goshim linked as `go` first on PATH, fixture proxies.
struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    proj: PathBuf,
    env: Vec<(String, String)>,
    /// (url, placeholder) pairs replaced in outputs.
    names: Vec<(String, String)>,
}

impl World {
    fn new() -> World {
        let Sandbox {
            tmp,
            root,
            proj,
            env,
            ..
        } = Sandbox::new();
        World {
            _tmp: tmp,
            root,
            proj,
            env,
            names: Vec::new(),
        }
    }

    fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    fn get_env(&self, key: &str) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// A healthy fixture proxy serving the probe module; shown as `placeholder` in outputs.
    fn proxy(&mut self, placeholder: &str, sumdb: SumdbSupport) -> Proxy {
        let p = Proxy::serving([
            Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n")
        ]);
        p.set_sumdb(sumdb);
        self.names.push((p.url(), placeholder.into()));
        p
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.proj.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// The user config: these candidates in order, no direct, fast probes of [`PROBE`], `rest`.
    fn config(&self, candidates: &[&str], rest: &str) {
        let path = self.root.join("home/.config/goshim/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let list: Vec<String> = candidates.iter().map(|c| format!("{c:?}")).collect();
        let text = format!(
            "[proxy]\ncandidates = [{}]\norder = \"listed\"\ndirect = false\n\n\
             [health]\nprobe = \"{PROBE}\"\ntimeout = \"300ms\"\ndeadline = \"1s\"\n{rest}",
            list.join(", ")
        );
        std::fs::write(path, text).unwrap();
    }

    /// `goshim args…` in the project.
    fn goshim(&self, args: &[&str]) -> Bounded {
        let mut cmd = shim::command(shim::binary(), &self.env);
        cmd.args(args).current_dir(&self.proj);
        bounded::run(&mut cmd, LIMIT)
    }

    /// Output with the temp root, the real go, fixture URLs and timings replaced by stable
    /// names, runs of spaces collapsed (column widths follow the timings), and the direct
    /// checksum database rows cut after their name (their failure text depends on the
    /// machine's DNS).
    fn redact(&self, text: &str) -> String {
        let go = realgo::go();
        let goroot = go.canonicalize().unwrap();
        let goroot = goroot.parent().unwrap().parent().unwrap();
        let mut text = text.replace(&go.display().to_string(), "$GO");
        text = text.replace(&goroot.display().to_string(), "$GOROOT");
        text = text.replace(&self.root.display().to_string(), "$ROOT");
        for (url, name) in &self.names {
            text = text.replace(url, name);
        }
        let text = numbers_before(&text, &[" ms", " s"]);
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
}

/// The module every fixture serves ([`PROBE`]).
fn probe_module() -> Module {
    Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n")
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

fn show(run: &Bounded) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        run.stderr_text()
    )
}

fn stdout(run: &Bounded) -> String {
    String::from_utf8_lossy(&run.stdout).into_owned()
}

#[track_caller]
fn assert_code(run: &Bounded, code: i32) {
    assert_eq!(
        run.status.and_then(|s| s.code()),
        Some(code),
        "{}",
        show(run)
    );
}

/// A module project whose every proxy answer comes from fixtures.
fn healthy_world() -> (World, Proxy) {
    let mut w = World::new();
    let p = w.proxy("$P1", SumdbSupport::Supported);
    w.config(&[&p.url()], "");
    w.write("go.mod", "module example.com/app\n\ngo 1.22\n");
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
    assert_code(&r, 0);
    let want = "\
goshim 0.1.0

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
    assert_eq!(w.redact(&stdout(&r)), want, "{}", show(&r));
    // The second run answers from the cache.
    let r = w.goshim(&["doctor"]);
    assert_code(&r, 0);
    assert!(
        stdout(&r).contains("proxies (from the cache)"),
        "{}",
        show(&r)
    );
}

#[test]
fn doctor_numbers_every_problem_and_exits_1() {
    let mut w = World::new();
    let p = w.proxy("$P1", SumdbSupport::Supported);
    let creds = format!("http://ci:s3cret@{}", p.host());
    w.names.push((
        format!("http://ci:xxxxx@{}", p.host()),
        "http://ci:xxxxx@$P1HOST".into(),
    ));
    w.config(&[&p.url(), &creds], "");
    w.write(
        "go.mod",
        "module example.com/app\n\ngo 1.22\n\nrequire git.corp.example/team/lib v1.0.0\n",
    );
    w.write(
        ".gomodrc",
        "[proxy]\ncandidates = [\"https://mirror.example\"]\n",
    );
    w.set_env("GOPRIVATE", "*.corp.example");
    // The real go's own directory first on PATH, as an IDE does with $GOROOT/bin.
    let path = w.get_env("PATH");
    let go_dir = realgo::go().parent().unwrap().display().to_string();
    w.set_env("PATH", &format!("{go_dir}:{path}"));
    let r = w.goshim(&["doctor"]);
    assert_code(&r, 1);
    let out = w.redact(&stdout(&r));
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
    assert_eq!(warnings, want, "{}", show(&r));
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
    let (mut w, _p) = healthy_world();
    w.set_env("GOPRIVATE", "git.corp.example");
    let r = w.goshim(&["doctor", "--json"]);
    assert_code(&r, 0);
    let v: Value = serde_json::from_slice(&r.stdout).expect("doctor --json is JSON");
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
    w.write("go.mod", "module example.com/app\n\ngo 1.22\nrequire (\n");
    let r = w.goshim(&["doctor"]);
    assert_code(&r, 1);
    let out = w.redact(&stdout(&r));
    assert!(
        out.contains("1. the project cannot be inspected, go will fail the same way: go: errors parsing $ROOT/proj/go.mod"),
        "{out}"
    );

    let mut w = World::new();
    w.set_env("PATH", "/nonexistent");
    let r = w.goshim(&["doctor"]);
    assert_code(&r, 127);
    assert!(r.stderr_text().contains("goshim: error:"), "{}", show(&r));
}

#[test]
fn env_in_every_format() {
    let (w, p) = healthy_world();
    w.config(&[&p.url()], "[modules]\nprivate = [\"git.corp.example\"]\n");
    let run = |format: &str| {
        let r = w.goshim(&["env", "--format", format]);
        assert_code(&r, 0);
        w.redact(&stdout(&r))
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
             watch_file '$ROOT/home/.local/share/goshim/trust.json'\n\
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
    assert_code(&r, 2);
}

#[test]
fn env_reevaluated_elsewhere_unsets_what_it_exported() {
    let (mut w, _p) = healthy_world();
    w.set_env("GOSHIM_MANAGED", "GOPRIVATE,GONOPROXY,GONOSUMDB,GOPROXY");
    w.set_env("GOPRIVATE", "git.corp.example");
    let r = w.goshim(&["env"]);
    assert_code(&r, 0);
    assert_eq!(
        w.redact(&stdout(&r)),
        "unset GOPRIVATE\nunset GONOPROXY\nunset GONOSUMDB\nexport GOPROXY='$P1'\nexport GOSHIM_MANAGED='GOPROXY'\n"
    );
}

#[test]
fn eval_env_in_bash_gives_go_exactly_the_printed_values() {
    let (mut w, p) = healthy_world();
    w.config(
        &[&p.url()],
        "[modules]\nprivate = [\"git.corp.example\", \"*.corp.example\"]\n",
    );
    w.set_env("GOPRIVATE", "b.example");
    let r = w.goshim(&["env", "--format", "json"]);
    assert_code(&r, 0);
    let printed: serde_json::Map<String, Value> = serde_json::from_slice(&r.stdout).unwrap();
    assert!(printed.contains_key("GOPROXY"), "{printed:?}");
    let script = format!(
        "set -e; eval \"$({} env)\"; exec go env -json",
        shim::binary().display()
    );
    let mut cmd = shim::command(Path::new("/bin/bash"), &w.env);
    cmd.args(["-c", &script]).current_dir(&w.proj);
    let go = bounded::run(&mut cmd, LIMIT);
    assert_code(&go, 0);
    let seen: serde_json::Map<String, Value> = serde_json::from_slice(&go.stdout).unwrap();
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
    assert_code(&r, 0);
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
    assert_eq!(w.redact(&stdout(&r)), want, "{}", show(&r));

    let r = w.goshim(&["explain", "gosumdb"]);
    assert_code(&r, 0);
    assert!(
        w.redact(&stdout(&r))
            .starts_with("GOSUMDB=sum.golang.org (kept)\n"),
        "{}",
        show(&r)
    );
    let r = w.goshim(&["explain", "GOFLAGS"]);
    assert_code(&r, 0);
    assert_eq!(
        stdout(&r),
        "GOFLAGS=-modcacherw  (kept)\n  - goshim adds no flags: go uses your GOFLAGS as they are \
         (and never gets -mod=mod from goshim, which go rejects in workspace mode)\n  \
         without goshim: -modcacherw (your environment)\n"
    );
    let r = w.goshim(&["explain", "GOTOOLCHAIN"]);
    assert_code(&r, 0);
    assert_eq!(
        stdout(&r),
        "GOTOOLCHAIN=local (goshim leaves it alone; from your environment)\n"
    );
    let r = w.goshim(&["explain", "GOPROXIES"]);
    assert_code(&r, 2);
    assert!(
        r.stderr_text().contains("GOPROXIES is not a go variable"),
        "{}",
        show(&r)
    );
}

#[test]
fn explain_names_the_config_file_and_line() {
    let (w, p) = healthy_world();
    w.config(&[&p.url()], "[modules]\nprivate = [\"git.corp.example\"]\n");
    let r = w.goshim(&["explain", "GOPRIVATE"]);
    assert_code(&r, 0);
    assert_eq!(
        w.redact(&stdout(&r)),
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
    w.config(&[&p.url()], "[modules]\nprivate = [\"*.corp.example\"]\n");
    let r = w.goshim(&["route", "corp.example/lib@v1.0.0"]);
    assert_code(&r, 0);
    assert_eq!(
        w.redact(&stdout(&r)),
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
    assert_code(&r, 0);
    let v: Value = serde_json::from_slice(&r.stdout).unwrap();
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
    let (mut w, p) = healthy_world();
    w.set_env("GOPRIVATE", "*");
    // The user's own GOPROXY, used as is (nothing probed).
    w.set_env("GOPROXY", &format!("{},direct", p.url()));
    let r = w.goshim(&[
        "route",
        "golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64",
        "--json",
    ]);
    assert_code(&r, 0);
    let v: Value = serde_json::from_slice(&r.stdout).unwrap();
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
    assert_code(&r, 0);
    let out = w.redact(&stdout(&r));
    assert!(
        out.contains(
            "golang.org/toolchain has no repository to fetch from directly: this download fails"
        ),
        "{out}"
    );

    w.set_env("GOPRIVATE", "");
    w.set_env(
        "GOPROXY",
        "https://u:hunter2@a.example|https://b.example,direct",
    );
    let r = w.goshim(&["route", "example.com/m", "--json"]);
    assert_code(&r, 0);
    assert!(!stdout(&r).contains("hunter2"), "{}", show(&r));
    let v: Value = serde_json::from_slice(&r.stdout).unwrap();
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
    assert_code(&r, 2);
}

#[test]
fn cache_clear_forgets_the_verdicts() {
    let (w, _p) = healthy_world();
    let cache = w.root.join("home/.cache/goshim");
    assert_code(&w.goshim(&["env"]), 0);
    assert!(
        cache.is_dir(),
        "the verdicts were cached in {}",
        cache.display()
    );
    let r = w.goshim(&["cache", "clear"]);
    assert_code(&r, 0);
    assert!(!cache.exists());
    assert!(r.stderr_text().contains("removed"), "{}", show(&r));
    assert_code(&w.goshim(&["cache", "clear"]), 0);
    let r = w.goshim(&["explain", "GOPROXY"]);
    assert!(
        stdout(&r).contains("probe results (probed now)"),
        "{}",
        show(&r)
    );
}

#[test]
fn completions_version_and_help() {
    let w = World::new();
    let r = w.goshim(&["completions", "bash"]);
    assert_code(&r, 0);
    let out = stdout(&r);
    assert!(out.contains("_goshim()"), "{out}");
    for sub in ["doctor", "env", "explain", "route", "cache", "completions"] {
        assert!(out.contains(sub), "{sub} missing from the bash completion");
    }
    let r = w.goshim(&["completions", "fish"]);
    assert_code(&r, 0);
    assert!(stdout(&r).contains("complete -c goshim"));
    assert_code(&w.goshim(&["completions", "tcsh"]), 2);

    let r = w.goshim(&["--version"]);
    assert_code(&r, 0);
    // The whole line (commit, target) is checked in release.rs.
    assert!(
        stdout(&r).starts_with(&format!("goshim {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{}",
        show(&r)
    );
    let r = w.goshim(&["--help"]);
    assert_code(&r, 0);
    let out = stdout(&r);
    assert!(out.contains("Examples:"), "{out}");
    assert!(out.contains("goshim route example.com/m@v1.2.3"), "{out}");
    for sub in ["env", "doctor", "explain", "route"] {
        let r = w.goshim(&[sub, "--help"]);
        assert_code(&r, 0);
        assert!(
            stdout(&r).contains("go mod download"),
            "{sub} --help: {}",
            show(&r)
        );
    }
}

/// The direnv integration with the real direnv: `.envrc` sources `shims/direnvrc` and says
/// `use goshim`; after `direnv allow`, `direnv exec` runs the real go with goshim's variables.
#[test]
fn direnv_use_goshim() {
    let direnv = which_direnv();
    let (mut w, p) = healthy_world();
    w.config(&[&p.url()], "[modules]\nprivate = [\"git.corp.example\"]\n");
    // goshim itself on PATH, as a user has it.
    let bin = w.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(shim::binary(), bin.join("goshim")).unwrap();
    let path = w.get_env("PATH");
    w.set_env("PATH", &format!("{}:{path}", bin.display()));
    let direnvrc = Path::new(env!("CARGO_MANIFEST_DIR")).join("shims/direnvrc");
    w.write(
        ".envrc",
        &format!("source_env {}\nuse goshim\n", direnvrc.display()),
    );
    let r = w.goshim(&["env", "--format", "json"]);
    assert_code(&r, 0);
    let printed: serde_json::Map<String, Value> = serde_json::from_slice(&r.stdout).unwrap();

    let direnv_cmd = |args: &[&str]| {
        let mut cmd = shim::command(&direnv, &w.env);
        cmd.args(args).current_dir(&w.proj);
        bounded::run(&mut cmd, LIMIT)
    };
    let r = direnv_cmd(&["allow", "."]);
    assert_code(&r, 0);
    let dir = w.proj.display().to_string();
    let r = direnv_cmd(&["exec", &dir, realgo::go().to_str().unwrap(), "env", "-json"]);
    assert_code(&r, 0);
    let seen: serde_json::Map<String, Value> = serde_json::from_slice(&r.stdout).unwrap();
    for (k, v) in &printed {
        if k != "GOSHIM_MANAGED" {
            assert_eq!(seen.get(k), Some(v), "{k} under direnv: {}", show(&r));
        }
    }
    assert_eq!(seen["GOPRIVATE"], "git.corp.example");

    // `direnv export json` shows the same variables and GOSHIM_MANAGED.
    let r = direnv_cmd(&["export", "json"]);
    assert_code(&r, 0);
    let exported: serde_json::Map<String, Value> = serde_json::from_slice(&r.stdout).unwrap();
    for (k, v) in &printed {
        assert_eq!(
            exported.get(k),
            Some(v),
            "{k} in direnv export: {}",
            show(&r)
        );
    }

    // Editing the project config is noticed: .gomodrc is watched.
    let r = direnv_cmd(&["exec", &dir, direnv.to_str().unwrap(), "status"]);
    assert_code(&r, 0);
    let status = stdout(&r);
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
            show(&r)
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
    let (mut w, p) = healthy_world();
    w.write(
        "go.mod",
        "module example.com/app\n\ngo 1.22\n\nrequire example.com/probe v1.0.0\n",
    );
    // Checksums known: go does not need the checksum database.
    w.write("go.sum", &probe_module().go_sum());
    let bindir = w.root.join("image/bin");
    std::fs::create_dir_all(&bindir).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("shims/ci/install-goshim.sh");
    w.set_env("GOSHIM_BINDIR", &bindir.display().to_string());
    // An image's PATH: goshim's bin directory (still empty) before the real go.
    let go_dir = realgo::go().parent().unwrap().display().to_string();
    w.set_env(
        "PATH",
        &format!("{}:{go_dir}:/usr/bin:/bin", bindir.display()),
    );
    let mut cmd = shim::command(Path::new("/bin/sh"), &w.env);
    cmd.arg(&script).arg(shim::binary()).current_dir(&w.proj);
    let r = bounded::run(&mut cmd, LIMIT);
    assert_code(&r, 0);
    // `goshim which` printed the real go.
    assert!(
        stdout(&r).lines().any(|l| Path::new(l) == realgo::go()),
        "{}",
        show(&r)
    );
    assert!(bindir.join("goshim").is_file());
    let link = bindir.join("go");
    let path = w.get_env("PATH");
    w.set_env("PATH", &format!("{}:{path}", bindir.display()));
    w.set_env("GOSHIM_TRUST_ALL", "1");
    let mut cmd = shim::command(&link, &w.env);
    cmd.args(["mod", "download", "example.com/probe"])
        .current_dir(&w.proj);
    let r = bounded::run(&mut cmd, LIMIT);
    assert_code(&r, 0);
    assert!(p.saw("/example.com/probe/@v/v1.0.0.zip"), "{:?}", p.paths());
}

/// `shims/activate.bash` puts goshim's bin directory first on PATH, once, so `go` is the link
/// `goshim install` made there.
#[test]
fn activate_bash_puts_the_shim_first() {
    let w = World::new();
    let r = w.goshim(&["install"]);
    assert_code(&r, 0);
    let bin = w.root.join("home/.local/share/goshim/bin");
    let snippet = Path::new(env!("CARGO_MANIFEST_DIR")).join("shims/activate.bash");
    let script = format!(
        "source {0}; source {0}; echo \"$PATH\"; command -v go",
        snippet.display()
    );
    let mut cmd = shim::command(Path::new("/bin/bash"), &w.env);
    cmd.args(["-c", &script]).current_dir(&w.proj);
    let r = bounded::run(&mut cmd, LIMIT);
    assert_code(&r, 0);
    let out = stdout(&r);
    let mut lines = out.lines();
    let path = lines.next().unwrap_or_default();
    assert!(
        path.starts_with(&format!("{}:", bin.display())),
        "{}",
        show(&r)
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
    let (mut w, p) = healthy_world();
    p.add(Module::new("corp.example/lib", "v1.0.0").file("lib.go", "package lib\n"));
    p.add(Module::new("git.corp.example/lib", "v1.0.0").file("lib.go", "package lib\n"));
    w.set_env("GOPRIVATE", "*.corp.example");
    // No checksum database in this test: the fixture serves no lookups.
    w.set_env("GONOSUMDB", "corp.example");
    w.set_env("GIT_TERMINAL_PROMPT", "0");
    let route = |module: &str| {
        let r = w.goshim(&["route", module, "--json"]);
        assert_code(&r, 0);
        serde_json::from_slice::<Value>(&r.stdout).unwrap()
    };
    let go = |module: &str| {
        let mut cmd = shim::command(&w.root.join("shim/go"), &w.env);
        cmd.args(["mod", "download", module]).current_dir(&w.proj);
        bounded::run(&mut cmd, LIMIT)
    };

    let v = route("corp.example/lib@v1.0.0");
    assert_eq!(v["fetch"]["mode"], "proxies");
    assert_eq!(v["fetch"]["steps"][0]["entry"], p.url());
    assert_eq!(v["matches"]["GOPRIVATE"], Value::Null);
    assert_code(&go("corp.example/lib@v1.0.0"), 0);
    assert!(p.saw("/corp.example/lib/@v/v1.0.0.zip"), "{:?}", p.paths());

    let v = route("git.corp.example/lib@v1.0.0");
    assert_eq!(v["fetch"]["mode"], "direct");
    assert_eq!(v["fetch"]["pattern"], "*.corp.example");
    let r = go("git.corp.example/lib@v1.0.0");
    assert!(!r.timed_out(), "{}", show(&r));
    assert_code(&r, 1);
    p.assert_never_saw("git.corp.example");
}

/// The checksum database endpoints `route` lists are the ones the real go asks, in that order:
/// each proxy's `/sumdb/sum.golang.org/supported` (moving on after a 404), then the first that
/// says 200 serves the lookups.
#[test]
fn route_sumdb_endpoints_match_the_real_go() {
    let mut w = World::new();
    let a = w.proxy("$A", SumdbSupport::NotFound);
    let b = w.proxy("$B", SumdbSupport::Supported);
    w.write("go.mod", "module example.com/app\n\ngo 1.22\n");
    w.set_env("GOPROXY", &format!("{},{}", a.url(), b.url()));
    let r = w.goshim(&["route", "example.com/probe@v1.0.0"]);
    assert_code(&r, 0);
    let out = w.redact(&stdout(&r));
    let want = "\
checksum database: consulted: sum.golang.org
  1. $A/sumdb/sum.golang.org/supported 200: used for every lookup; 404/410: next; other errors: lookups fail
  2. $B/sumdb/sum.golang.org/supported 200: used for every lookup; 404/410: next; other errors: lookups fail
  3. https://sum.golang.org the database directly
";
    assert!(out.contains(want), "{out}");

    let mut cmd = shim::command(&w.root.join("shim/go"), &w.env);
    cmd.args(["mod", "download", "example.com/probe@v1.0.0"])
        .current_dir(&w.proj);
    let r = bounded::run(&mut cmd, LIMIT);
    // The fixture serves no lookups: verification fails, after asking where route said.
    assert_code(&r, 1);
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
    let (mut w, _p) = healthy_world();
    let go_dir = realgo::go().parent().unwrap().display().to_string();
    w.set_env("PATH", &format!("{go_dir}:/usr/bin:/bin"));
    let r = w.goshim(&["doctor"]);
    assert_code(&r, 1);
    assert!(
        stdout(&r).ends_with(
            "warnings\n  1. no `go` on PATH is goshim, so go commands bypass it: run `goshim install` and put the directory it prints first on PATH\n1 problem found\n"
        ),
        "{}",
        show(&r)
    );
}
