//! The decision end to end (issue 6 "Must show"): the real go runs through the shim link against
//! fixture proxies configured as candidates; what go fetched, and from where, is read from the
//! fixtures' request logs (go's own requests carry `User-Agent: GoCommand/…`; goshim's probes
//! add `goshim-probe` to it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::bounded::{self, Bounded};
use crate::support::modules::{Module, ModuleSet, TOOLCHAIN_MODULE, toolchain_version};
use crate::support::proxy::{Fault, Proxy, SumdbSupport, ca_pem_path, refused_url};
use crate::support::sandbox::Sandbox;
use crate::support::{realgo, shim};

/// The module every healthy fixture serves, named by `health.probe`.
const PROBE: &str = "example.com/probe@v1.0.0";

/// Generous limit for runs expected to finish; a hang fails the test instead of stalling it.
const LIMIT: Duration = Duration::from_secs(20);

/// A home, a project directory, the shim linked as `go` first on PATH, the user config file.
struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    proj: PathBuf,
    link: PathBuf,
    env: Vec<(String, String)>,
}

impl World {
    fn new() -> World {
        let Sandbox {
            tmp,
            root,
            proj,
            link,
            env,
        } = Sandbox::new();
        World {
            _tmp: tmp,
            root,
            proj,
            link,
            env,
        }
    }

    /// Sets (or replaces) one process variable for every later run.
    fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    fn gomodcache(&self) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == "GOMODCACHE")
            .map(|(_, v)| v.clone())
            .unwrap()
    }

    /// Writes `text` to `rel` under the project directory.
    fn write(&self, rel: &str, text: &str) {
        let path = self.proj.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Starts an empty verdict cache named `name`: the next run probes again. (A `ttl` below a
    /// second is no substitute: verdict times are whole seconds, and an unhealthy verdict is
    /// kept for the back-off whatever the ttl.)
    fn fresh_verdicts(&mut self, name: &str) {
        let dir = self.root.join(name).display().to_string();
        self.set_env("XDG_CACHE_HOME", &dir);
    }

    /// The user config: `[proxy]` with `candidates` listed in order, no `direct` (every run stays
    /// on loopback) plus `proxy_extra` lines; fast probes of [`PROBE`]; then `rest` (whole extra
    /// sections).
    fn config(&self, candidates: &[&str], proxy_extra: &str, rest: &str) {
        let path = self.root.join("home/.config/goshim/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = format!(
            "[proxy]\ncandidates = {}\norder = \"listed\"\ndirect = false\n{proxy_extra}\n\
             [health]\nprobe = \"{PROBE}\"\ntimeout = \"300ms\"\ndeadline = \"1s\"\n{rest}",
            toml_list(candidates)
        );
        std::fs::write(path, text).unwrap();
    }

    /// `goshim probe` in the project: unlike a go command's own round, which stops at the first
    /// healthy candidate, it waits for every verdict and caches them.
    fn probe_all(&self) {
        let mut probe = shim::command(shim::binary(), &self.env);
        probe.arg("probe").current_dir(&self.proj);
        assert_ok(&bounded::run(&mut probe, LIMIT));
    }

    /// `go args…` through the shim link, in the project.
    fn go(&self, args: &[&str]) -> Bounded {
        let mut cmd = shim::command(&self.link, &self.env);
        cmd.args(args).current_dir(&self.proj);
        bounded::run(&mut cmd, LIMIT)
    }

    /// The values go itself ran with: `go run` through the shim of a tiny program in the project
    /// that prints these variables, one a line.
    fn go_saw(&self, names: &[&str]) -> Vec<String> {
        self.write(
            "goshim-showenv/main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\n\
             func main() {\n\tfor _, k := range os.Args[1:] {\n\t\tfmt.Println(os.Getenv(k))\n\t}\n}\n",
        );
        let mut args = vec!["run", "./goshim-showenv"];
        args.extend(names);
        let run = self.go(&args);
        assert_ok(&run);
        String::from_utf8_lossy(&run.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The real go alone (no shim) with this GOPROXY and an empty module cache of its own, for
    /// control runs.
    fn real_go(&self, goproxy: &str, args: &[&str]) -> Command {
        let mut cmd = shim::command(realgo::go(), &self.env);
        cmd.env("GOPROXY", goproxy)
            .env("GOMODCACHE", self.root.join("control-modcache"))
            .args(args)
            .current_dir(&self.proj);
        cmd
    }
}

fn toml_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

fn show(run: &Bounded) -> String {
    format!(
        "status {:?} after {:?}\nstdout:\n{}\nstderr:\n{}",
        run.status,
        run.elapsed,
        String::from_utf8_lossy(&run.stdout),
        run.stderr_text()
    )
}

#[track_caller]
fn assert_ok(run: &Bounded) {
    assert!(run.status.is_some_and(|s| s.success()), "{}", show(run));
}

#[track_caller]
fn assert_failed(run: &Bounded) {
    assert!(
        run.status.is_some_and(|s| !s.success()),
        "expected go to fail: {}",
        show(run)
    );
}

/// The paths go itself requested (not goshim's probes).
fn go_paths(p: &Proxy) -> Vec<String> {
    p.requests()
        .into_iter()
        .filter(|r| {
            r.header("user-agent")
                .is_some_and(|ua| ua.starts_with("GoCommand/") && !ua.contains("goshim-probe"))
        })
        .map(|r| r.path)
        .collect()
}

#[track_caller]
fn assert_go_fetched(p: &Proxy, module: &Module) {
    let zip = format!("/{}{}.zip", module.escaped_dir(), module.version());
    let paths = go_paths(p);
    assert!(
        paths.contains(&zip),
        "go never fetched {zip} from {}: {paths:?}",
        p.url()
    );
}

#[track_caller]
fn assert_go_never_used(p: &Proxy) {
    let paths = go_paths(p);
    assert!(paths.is_empty(), "go used {}: {paths:?}", p.url());
}

fn probe_module() -> Module {
    Module::new("example.com/probe", "v1.0.0")
}

fn hello() -> Module {
    Module::new("example.com/hello", "v1.0.0").file(
        "hello.go",
        "package hello\n\nfunc Greeting() string { return \"hello from the fixture\" }\n",
    )
}

fn world() -> Module {
    Module::new("example.com/world", "v1.1.0").file(
        "world.go",
        "package world\n\nconst Name = \"world from the fixture\"\n",
    )
}

fn secret() -> Module {
    Module::new("private.example/secret", "v1.0.0").file(
        "secret.go",
        "package secret\n\nconst Code = \"from the private proxy\"\n",
    )
}

/// A healthy fixture serving the probe module and `modules`; it says it proxies sum.golang.org,
/// so a probe round is decided without waiting for the checksum database.
fn healthy(modules: impl IntoIterator<Item = Module>) -> Proxy {
    let p = Proxy::serving(std::iter::once(probe_module()).chain(modules));
    p.set_sumdb(SumdbSupport::Supported);
    p
}

/// A main module in `dir` requiring `deps`, importing each (package name = last path element)
/// and printing `expr` of each; go.sum holds the deps' hashes.
fn write_module(w: &World, dir: &str, module: &str, go: &str, deps: &[(&Module, &str)]) {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let requires: String = deps
        .iter()
        .map(|(m, _)| format!("require {} {}\n", m.path(), m.version()))
        .collect();
    w.write(
        &format!("{prefix}go.mod"),
        &format!("module {module}\n\ngo {go}\n\n{requires}"),
    );
    let sums: String = deps.iter().map(|(m, _)| m.go_sum()).collect();
    w.write(&format!("{prefix}go.sum"), &sums);
    let imports: String = deps
        .iter()
        .map(|(m, _)| format!("\t{:?}\n", m.path()))
        .collect();
    let prints: String = deps
        .iter()
        .map(|(m, expr)| {
            let pkg = m.path().rsplit('/').next().unwrap_or_default();
            format!("\tfmt.Println({pkg}.{expr})\n")
        })
        .collect();
    w.write(
        &format!("{prefix}main.go"),
        &format!(
            "package main\n\nimport (\n\t\"fmt\"\n\n{imports})\n\nfunc main() {{\n{prints}}}\n"
        ),
    );
}

/// The project most scenarios use: an app requiring `hello`.
fn write_app(w: &World) {
    write_module(
        w,
        "",
        "example.com/app",
        "1.21",
        &[(&hello(), "Greeting()")],
    );
}

/// Runs the binary `go build -o bin` produced in the project and returns its stdout.
fn run_built(w: &World, rel: &str) -> String {
    let out = Command::new(w.proj.join(rel)).output().unwrap();
    assert!(out.status.success(), "{rel}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The failover line goshim prints when the first candidate is left out.
#[track_caller]
fn assert_failover_notice(run: &Bounded, first: &str, reason: &str, used: &str) {
    let host = first.trim_start_matches("http://");
    let expected = format!("goshim: {host} unreachable (");
    let stderr = run.stderr_text();
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&expected))
        .unwrap_or_else(|| panic!("no line starting {expected:?}: {}", show(run)));
    assert!(line.contains(reason), "reason {reason:?} in {line:?}");
    assert!(
        line.ends_with(&format!("); using {used}")),
        "failover target {used} in {line:?}"
    );
}

// ---- 1-3: the first candidate fails, the second serves ----

#[test]
fn first_candidate_refused_fails_over_to_the_second() {
    let w = World::new();
    write_app(&w);
    let refused = refused_url();
    let good = healthy([hello()]);
    w.config(&[&refused, &good.url()], "", "");

    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert_go_fetched(&good, &hello());
    assert_failover_notice(&run, &refused, "connection refused", &good.url());
    assert_eq!(
        w.go_saw(&["GOPROXY"]),
        [good.url()],
        "the refused proxy left out"
    );

    // Control: go alone stops at the refused proxy (',' falls back on 404/410 only).
    let control = bounded::run(
        &mut w.real_go(&format!("{refused},{}", good.url()), &["mod", "download"]),
        LIMIT,
    );
    assert_failed(&control);
    assert!(
        control.stderr_text().contains("connection refused"),
        "{}",
        show(&control)
    );
}

#[test]
fn first_candidate_hanging_is_left_out_and_the_command_stays_fast() {
    let w = World::new();
    write_app(&w);
    let hang = healthy([hello()]);
    hang.set_fault(Fault::Hang);
    let good = healthy([hello()]);
    w.config(&[&hang.url(), &good.url()], "", "");

    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert!(run.elapsed < Duration::from_secs(5), "{}", show(&run));
    assert_go_fetched(&good, &hello());
    assert_go_never_used(&hang);
    assert!(
        !hang.requests().is_empty(),
        "the hanging proxy was never even probed"
    );
    assert_failover_notice(&run, &hang.url(), "timed out", &good.url());

    // The verdict is cached: the next command neither probes the hanging proxy again nor waits.
    let probes = hang.requests().len();
    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert!(run.elapsed < Duration::from_secs(2), "{}", show(&run));
    assert_eq!(hang.requests().len(), probes, "{:?}", hang.paths());
    assert_failover_notice(&run, &hang.url(), "timed out", &good.url());

    // Control: go alone waits on the hanging proxy forever.
    let control = bounded::run(
        &mut w.real_go(
            &format!("{},{}", hang.url(), good.url()),
            &["mod", "download"],
        ),
        Duration::from_secs(3),
    );
    assert!(control.timed_out(), "go alone finished: {}", show(&control));
    assert!(!go_paths(&hang).is_empty());
}

#[test]
fn first_candidate_answering_503_fails_over_to_the_second() {
    let mut w = World::new();
    write_app(&w);
    let broken = healthy([hello()]);
    broken.set_fault(Fault::Status(503));
    let good = healthy([hello()]);
    w.config(&[&broken.url(), &good.url()], "", "");

    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert_go_fetched(&good, &hello());
    assert_go_never_used(&broken);
    assert_failover_notice(&run, &broken.url(), "HTTP 503", &good.url());
    w.set_env("GOSHIM_QUIET", "1");
    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert!(!run.stderr_text().contains("goshim"), "{}", show(&run));

    let control = bounded::run(
        &mut w.real_go(
            &format!("{},{}", broken.url(), good.url()),
            &["mod", "download"],
        ),
        LIMIT,
    );
    assert_failed(&control);
    assert!(control.stderr_text().contains("503"), "{}", show(&control));
}

#[test]
fn a_proxy_failing_while_its_verdict_is_fresh_is_passed_over_by_go() {
    let mut w = World::new();
    write_app(&w);
    let first = healthy([hello()]);
    let second = healthy([hello()]);
    w.config(&[&first.url(), &second.url()], "", "");
    // A go command's own round stops at the first healthy candidate (the rest are refreshed in
    // the background); `goshim probe` waits for every verdict.
    w.probe_all();
    assert_eq!(
        w.go_saw(&["GOPROXY"]),
        [format!("{}|{}", first.url(), second.url())]
    );

    // The cached verdicts still say healthy; the '|' chain lets go fail over by itself.
    first.set_fault(Fault::Status(503));
    first.clear_requests();
    w.set_env(
        "GOMODCACHE",
        &w.root.join("fresh-modcache").display().to_string(),
    );
    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert!(
        go_paths(&first)
            .iter()
            .any(|p| p.starts_with("/example.com/hello/"))
    );
    assert_go_fetched(&second, &hello());
}

#[test]
fn https_candidate_behind_basic_auth_is_used_with_netrc_credentials() {
    let mut w = World::new();
    write_app(&w);
    let p = Proxy::https_trusted();
    p.add(probe_module());
    p.add(hello());
    p.set_sumdb(SumdbSupport::Supported);
    p.set_fault(Fault::BasicAuth {
        user: "alice".into(),
        password: "s3cret".into(),
    });
    w.set_env("SSL_CERT_FILE", &ca_pem_path().display().to_string());
    w.config(&[&p.url()], "", "");
    std::fs::write(
        w.root.join("home/.netrc"),
        format!("machine {} login alice password s3cret\n", p.host()),
    )
    .unwrap();

    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert!(!run.stderr_text().contains("goshim"), "{}", show(&run));
    assert_go_fetched(&p, &hello());
    let probes: Vec<_> = p
        .requests()
        .into_iter()
        .filter(|r| {
            r.header("user-agent")
                .is_some_and(|ua| ua.contains("goshim-probe"))
        })
        .collect();
    assert!(!probes.is_empty());
    assert!(
        probes.iter().all(|r| r.header("authorization").is_some()),
        "the probes carried go's .netrc credentials"
    );
}

// ---- 4: offline from the module cache ----

#[test]
fn all_candidates_down_builds_from_the_module_cache() {
    let mut w = World::new();
    write_app(&w);
    let first = healthy([hello()]);
    let second = healthy([hello()]);
    w.config(&[&first.url(), &second.url()], "", "");

    // Populate the module cache through the shim while the proxies answer.
    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert_go_fetched(&first, &hello());

    first.set_fault(Fault::Refused);
    second.set_fault(Fault::Status(503));
    w.fresh_verdicts("cache-down");
    let notice = format!(
        "goshim: no module proxy answers; using GOPROXY=file://{}/cache/download,off",
        w.gomodcache()
    );
    for args in [&["build", "-o", "app-bin", "."][..], &["mod", "download"]] {
        let run = w.go(args);
        assert_ok(&run);
        assert!(
            run.stderr_text().lines().any(|l| l == notice),
            "expected {notice:?}: {}",
            show(&run)
        );
    }
    assert_eq!(run_built(&w, "app-bin"), "hello from the fixture\n");
    assert_eq!(
        w.go_saw(&["GOPROXY", "GOSUMDB"]),
        [
            format!("file://{}/cache/download,off", w.gomodcache()),
            // Unset: go keeps its default checksum database; offline never turns it off.
            String::new()
        ]
    );

    let before = go_paths(&second).len();
    let run = w.go(&["get", "example.com/newmod@latest"]);
    assert_failed(&run);
    assert!(run.elapsed < LIMIT, "{}", show(&run));
    let stderr = run.stderr_text();
    assert!(
        stderr.contains("example.com/newmod") && stderr.contains("GOPROXY=off"),
        "go's own error names the module and the disabled lookup: {}",
        show(&run)
    );
    assert_eq!(go_paths(&second).len(), before, "go used a 503 proxy");
}

// ---- 5: private modules from trusted config ----

#[test]
fn private_modules_come_from_the_private_proxy_and_never_reach_the_public_one() {
    let w = World::new();
    write_module(
        &w,
        "",
        "example.com/app",
        "1.21",
        &[(&hello(), "Greeting()"), (&secret(), "Code")],
    );
    let public = healthy([hello()]);
    let private = healthy([secret()]);
    w.config(
        &[&public.url()],
        &format!("private = {}\n", toml_list(&[&private.url()])),
        "[modules]\nprivate = [\"private.example\"]\n",
    );

    let run = w.go(&["build", "-o", "app-bin", "."]);
    assert_ok(&run);
    assert_eq!(
        run_built(&w, "app-bin"),
        "hello from the fixture\nfrom the private proxy\n"
    );
    assert_go_fetched(&private, &secret());
    assert_go_fetched(&public, &hello());
    public.assert_never_saw("private.example");
    assert_eq!(
        w.go_saw(&["GOPROXY", "GOPRIVATE", "GONOPROXY", "GONOSUMDB"]),
        [
            format!("{},{}", private.url(), public.url()),
            "private.example".into(),
            "none".into(),
            "private.example".into(),
        ]
    );
    public.assert_never_saw("private.example");
}

// ---- 6: a cloned .gomodrc cannot add a proxy until trusted ----

#[test]
fn an_unreachable_private_proxy_is_left_out_and_private_paths_still_never_go_public() {
    let w = World::new();
    write_module(
        &w,
        "",
        "example.com/app",
        "1.21",
        &[(&hello(), "Greeting()")],
    );
    let public = healthy([hello()]);
    let private = healthy([secret()]);
    private.set_fault(Fault::Refused);
    w.config(
        &[&public.url()],
        &format!("private = {}\n", toml_list(&[&private.url()])),
        "[modules]\nprivate = [\"private.example\"]\n",
    );
    // Every candidate probed, as after a background refresh, so the private verdict is known.
    w.probe_all();

    let run = w.go(&["build", "-o", "app-bin", "."]);
    assert_ok(&run);
    assert!(
        run.stderr_text().contains(&format!(
            "goshim: private proxy {} unreachable (connection refused); private modules are fetched directly",
            private.host()
        )),
        "{}",
        show(&run)
    );
    assert_eq!(run_built(&w, "app-bin"), "hello from the fixture\n");
    assert_eq!(
        w.go_saw(&["GOPROXY", "GONOPROXY", "GONOSUMDB"]),
        [
            public.url(),
            "private.example".into(),
            "private.example".into()
        ]
    );
    public.assert_never_saw("private.example");
}

#[test]
fn untrusted_gomodrc_proxy_is_ignored_until_trusted() {
    let mut w = World::new();
    write_app(&w);
    let allowed = healthy([hello()]);
    let added = healthy([hello()]);
    w.config(&[&allowed.url()], "", "");
    w.write(
        ".gomodrc",
        &format!("[proxy]\ncandidates = {}\n", toml_list(&[&added.url()])),
    );

    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert_go_fetched(&allowed, &hello());
    assert!(added.requests().is_empty(), "{:?}", added.paths());
    let gomodrc = w.proj.join(".gomodrc");
    let stderr = run.stderr_text();
    assert!(
        stderr.lines().any(|l| l.starts_with("goshim: ")
            && l.contains(&gomodrc.display().to_string())
            && l.contains("proxy.candidates")
            && l.contains("goshim trust")),
        "{}",
        show(&run)
    );

    let mut trust = shim::command(shim::binary(), &w.env);
    trust.args(["trust", ".gomodrc"]).current_dir(&w.proj);
    assert_ok(&bounded::run(&mut trust, LIMIT));

    allowed.clear_requests();
    w.set_env(
        "GOMODCACHE",
        &w.root.join("fresh-modcache").display().to_string(),
    );
    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert_go_fetched(&added, &hello());
    assert_go_never_used(&allowed);
    assert!(
        !run.stderr_text().contains("goshim trust"),
        "{}",
        show(&run)
    );
    assert_eq!(w.go_saw(&["GOPROXY"]), [added.url()]);
}

#[test]
fn untrusted_gomodrc_may_narrow_the_candidates_also_through_dash_c() {
    let w = World::new();
    write_app(&w);
    let first = healthy([hello()]);
    let second = healthy([hello()]);
    w.config(&[&first.url(), &second.url()], "", "");
    // Dropping a proxy the user's config already lists needs no trust.
    w.write(
        ".gomodrc",
        &format!("[proxy]\ncandidates = {}\n", toml_list(&[&second.url()])),
    );

    // From outside the project: goshim reads the configuration where go will run.
    let mut cmd = shim::command(&w.link, &w.env);
    cmd.args(["-C", "proj", "mod", "download"])
        .current_dir(&w.root);
    let run = bounded::run(&mut cmd, LIMIT);
    assert_ok(&run);
    assert!(!run.stderr_text().contains("goshim"), "{}", show(&run));
    assert_go_fetched(&second, &hello());
    assert!(first.requests().is_empty(), "{:?}", first.paths());
}

// ---- 7: the user's own GOPROXY wins ----

#[test]
fn user_exported_goproxy_is_what_go_sees() {
    let mut w = World::new();
    write_app(&w);
    let mine = healthy([hello()]);
    let configured = healthy([hello()]);
    w.config(&[&configured.url()], "", "");
    w.set_env("GOPROXY", &mine.url());

    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert_go_fetched(&mine, &hello());
    assert_go_never_used(&configured);

    let run = w.go(&["env", "GOPROXY"]);
    assert_ok(&run);
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        format!("{}\n", mine.url())
    );
    assert_eq!(w.go_saw(&["GOPROXY"]), [mine.url()]);
    assert!(configured.requests().is_empty(), "{:?}", configured.paths());

    // GOPROXY=off: go is told nothing new and nothing is probed.
    w.set_env("GOPROXY", "off");
    w.set_env(
        "GOMODCACHE",
        &w.root.join("fresh-modcache").display().to_string(),
    );
    let run = w.go(&["mod", "download"]);
    assert_failed(&run);
    assert!(
        run.stderr_text().contains("disabled by GOPROXY=off"),
        "{}",
        show(&run)
    );
    assert!(configured.requests().is_empty(), "{:?}", configured.paths());
}

#[test]
fn go_env_w_goproxy_is_the_preferred_candidate_and_fails_over_too() {
    let w = World::new();
    write_app(&w);
    let refused = refused_url();
    let configured = healthy([hello()]);
    w.config(&[&configured.url()], "", "");
    // `go env -w GOPROXY=…` writes go's own env file under the user config dir.
    let go_env_file = w.root.join("home/.config/go/env");
    std::fs::create_dir_all(go_env_file.parent().unwrap()).unwrap();
    std::fs::write(&go_env_file, format!("GOPROXY={refused}\n")).unwrap();

    let run = w.go(&["mod", "download"]);
    assert_ok(&run);
    assert_go_fetched(&configured, &hello());
    assert_failover_notice(&run, &refused, "connection refused", &configured.url());

    let run = w.go(&["env", "GOPROXY"]);
    assert_ok(&run);
    assert_eq!(String::from_utf8_lossy(&run.stdout), format!("{refused}\n"));
}

// ---- 8: vendor mode needs no network ----

#[test]
fn vendor_build_makes_no_request_at_all() {
    let w = World::new();
    write_module(
        &w,
        "",
        "example.com/app",
        "1.22",
        &[(&hello(), "Greeting()")],
    );
    let h = hello();
    w.write(
        "vendor/modules.txt",
        &format!(
            "# {} {}\n## explicit\n{}\n",
            h.path(),
            h.version(),
            h.path()
        ),
    );
    w.write(
        "vendor/example.com/hello/hello.go",
        "package hello\n\nfunc Greeting() string { return \"hello from vendor\" }\n",
    );
    let p = healthy([hello()]);
    w.config(&[&p.url()], "", "");

    let run = w.go(&["build", "-o", "app-bin", "."]);
    assert_ok(&run);
    assert_eq!(run_built(&w, "app-bin"), "hello from vendor\n");
    assert!(p.requests().is_empty(), "{:?}", p.paths());
    assert_eq!(p.connections(), 0);
}

// ---- 9: workspaces ----

#[test]
fn workspace_of_two_modules_builds() {
    let w = World::new();
    // `./...` must start in a workspace module (the root is one) and stops at nested modules
    // (`b`, the other), as in a single module.
    write_module(&w, "", "example.com/a", "1.22", &[(&hello(), "Greeting()")]);
    write_module(&w, "b", "example.com/b", "1.22", &[(&world(), "Name")]);
    w.write("go.work", "go 1.22\n\nuse (\n\t.\n\t./b\n)\n");
    let p = healthy([hello(), world()]);
    w.config(&[&p.url()], "", "");

    let run = w.go(&["build", "./...", "./b/..."]);
    assert_ok(&run);
    assert_go_fetched(&p, &hello());
    assert_go_fetched(&p, &world());

    let run = w.go(&["build", "-o", "b-bin", "./b"]);
    assert_ok(&run);
    assert_eq!(run_built(&w, "b-bin"), "world from the fixture\n");
    // Workspace mode rejects -mod=mod: go ran with the user's GOFLAGS only.
    assert_eq!(
        w.go_saw(&["GOFLAGS", "GOPROXY"]),
        ["-modcacherw".to_string(), p.url()]
    );
}

// ---- 10: toolchain switch through the chosen proxy ----

#[test]
fn newer_go_line_switches_to_the_toolchain_from_the_file_candidate() {
    let mut w = World::new();
    let download = w.root.join("download");
    let set: ModuleSet = [Module::toolchain("go1.99.0"), probe_module()]
        .into_iter()
        .collect();
    set.write_download_dir(&download).unwrap();
    w.write("go.mod", "module example.com/app\n\ngo 1.99.0\n");
    let candidate = format!("file://{}", download.display());
    w.config(&[&candidate], "", "");
    w.set_env("GOTOOLCHAIN", "auto");
    // A single file:// GOPROXY lifts the toolchain's mandatory checksum check (see
    // fixture_proxy.rs), so GONOSUMDB can exempt it; GOSUMDB stays at its default.
    w.set_env("GONOSUMDB", TOOLCHAIN_MODULE);

    let run = w.go(&["version"]);
    assert_ok(&run);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.starts_with("fake toolchain go1.99.0\nargs: version\n"),
        "{}",
        show(&run)
    );
    assert!(
        stdout.lines().any(|l| l == format!("GOPROXY={candidate}")),
        "the toolchain ran with the decided GOPROXY: {}",
        show(&run)
    );
    let unpacked = Path::new(&w.gomodcache()).join(format!(
        "{TOOLCHAIN_MODULE}@{}/bin/go",
        toolchain_version("go1.99.0")
    ));
    assert!(unpacked.is_file(), "{}", unpacked.display());
}
