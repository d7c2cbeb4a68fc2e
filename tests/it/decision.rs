//! The variables decision end to end (issue 6 "Must show"), with the module router off
//! (`GOSHIM_ROUTER=0`: what go gets when goshim hands it variables — `goshim env`, direnv, and
//! the shim when no router can start): the real go runs through the shim link against fixture
//! proxies configured as candidates; what go fetched, and from where, is read from the
//! fixtures' request logs (go's own requests carry `User-Agent: GoCommand/…`; goshim's probes
//! add `goshim-probe` to it). tests/it/routed.rs runs the same kind of scenarios through the
//! router.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::modules::{Module, ModuleSet, TOOLCHAIN_MODULE, toolchain_version};
use crate::support::proxy::{Fault, Proxy, SumdbSupport, ca_pem_path, refused_url};
use crate::support::realgo;
use crate::support::world::{Run, World, fast_config, toml_list, write};

/// Generous limit for runs expected to finish; a hang fails the test instead of stalling it.
const LIMIT: Duration = Duration::from_secs(20);

/// The real go behind the shim link, in a home of its own, the router off.
fn world() -> World {
    World::new()
        .real_go()
        .limit(LIMIT)
        .env("GOSHIM_ROUTER", "0")
}

/// Starts an empty verdict cache named `name`: the next run probes again. (A `ttl` below a
/// second is no substitute: verdict times are whole seconds, and an unhealthy verdict is kept
/// for the back-off whatever the ttl.)
fn fresh_verdicts(w: World, name: &str) -> World {
    let dir = w.root().join(name).display().to_string();
    w.env("XDG_CACHE_HOME", &dir)
}

/// A module cache of its own, named `name`: go downloads again.
fn fresh_modcache(w: World, name: &str) -> World {
    let dir = w.root().join(name).display().to_string();
    w.env("GOMODCACHE", &dir)
}

/// `goshim probe` in the project: unlike a go command's own round, which stops at the first
/// healthy candidate, it waits for every verdict and caches them.
fn probe_all(w: &World) {
    w.goshim(&["probe"]).assert_success();
}

/// The values go itself ran with: `go run` through the shim of a tiny program in the project
/// that prints these variables, one a line.
fn go_saw(w: &World, names: &[&str]) -> Vec<String> {
    write(
        &w.proj().join("goshim-showenv/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\n\
         func main() {\n\tfor _, k := range os.Args[1:] {\n\t\tfmt.Println(os.Getenv(k))\n\t}\n}\n",
    );
    let mut args = vec!["run", "./goshim-showenv"];
    args.extend(names);
    w.go(&args)
        .assert_success()
        .stdout()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The real go alone (no shim) with this GOPROXY and an empty module cache of its own, for
/// control runs.
fn go_alone(w: &World, goproxy: &str, args: &[&str]) -> Command {
    let mut cmd = w.command(realgo::go());
    cmd.env("GOPROXY", goproxy)
        .env("GOMODCACHE", w.root().join("control-modcache"))
        .args(args);
    cmd
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

fn world_module() -> Module {
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
fn write_module(w: World, dir: &str, module: &str, go: &str, deps: &[(&Module, &str)]) -> World {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let requires: String = deps
        .iter()
        .map(|(m, _)| format!("require {} {}\n", m.path(), m.version()))
        .collect();
    let sums: String = deps.iter().map(|(m, _)| m.go_sum()).collect();
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
    w.file(
        &format!("{prefix}go.mod"),
        &format!("module {module}\n\ngo {go}\n\n{requires}"),
    )
    .file(&format!("{prefix}go.sum"), &sums)
    .file(
        &format!("{prefix}main.go"),
        &format!(
            "package main\n\nimport (\n\t\"fmt\"\n\n{imports})\n\nfunc main() {{\n{prints}}}\n"
        ),
    )
}

/// The project most scenarios use: an app requiring `hello`.
fn write_app(w: World) -> World {
    write_module(
        w,
        "",
        "example.com/app",
        "1.21",
        &[(&hello(), "Greeting()")],
    )
}

/// Runs the binary `go build -o bin` produced in the project and returns its stdout.
fn run_built(w: &World, rel: &str) -> String {
    let out = Command::new(w.proj().join(rel)).output().unwrap();
    assert!(out.status.success(), "{rel}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The failover line goshim prints when the first candidate is left out.
#[track_caller]
fn assert_failover_notice(run: &Run, first: &str, reason: &str, used: &str) {
    let host = first.trim_start_matches("http://");
    let expected = format!("goshim: {host} unreachable (");
    let stderr = run.stderr();
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&expected))
        .unwrap_or_else(|| panic!("no line starting {expected:?}: {}", run.show()));
    assert!(line.contains(reason), "reason {reason:?} in {line:?}");
    assert!(
        line.ends_with(&format!("); using {used}")),
        "failover target {used} in {line:?}"
    );
}

// ---- 1-3: the first candidate fails, the second serves ----

#[test]
fn first_candidate_refused_fails_over_to_the_second() {
    let w = write_app(world());
    let refused = refused_url();
    let good = healthy([hello()]);
    let w = w.user_config(&fast_config(&[&refused, &good.url()], "", ""));

    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert_go_fetched(&good, &hello());
    assert_failover_notice(&run, &refused, "connection refused", &good.url());
    assert_eq!(
        go_saw(&w, &["GOPROXY"]),
        [good.url()],
        "the refused proxy left out"
    );

    // Control: go alone stops at the refused proxy (',' falls back on 404/410 only).
    let control = w.run_for(
        &mut go_alone(
            &w,
            &format!("{refused},{}", good.url()),
            &["mod", "download"],
        ),
        LIMIT,
    );
    control.assert_failure();
    assert!(
        control.stderr().contains("connection refused"),
        "{}",
        control.show()
    );
}

#[test]
fn first_candidate_hanging_is_left_out_and_the_command_stays_fast() {
    let w = write_app(world());
    let hang = healthy([hello()]);
    hang.set_fault(Fault::Hang);
    let good = healthy([hello()]);
    let w = w.user_config(&fast_config(&[&hang.url(), &good.url()], "", ""));

    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert!(run.elapsed() < Duration::from_secs(5), "{}", run.show());
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
    run.assert_success();
    assert!(run.elapsed() < Duration::from_secs(2), "{}", run.show());
    assert_eq!(hang.requests().len(), probes, "{:?}", hang.paths());
    assert_failover_notice(&run, &hang.url(), "timed out", &good.url());

    // Control: go alone waits on the hanging proxy forever.
    let control = w.run_for(
        &mut go_alone(
            &w,
            &format!("{},{}", hang.url(), good.url()),
            &["mod", "download"],
        ),
        Duration::from_secs(3),
    );
    assert!(control.timed_out(), "go alone finished: {}", control.show());
    assert!(!go_paths(&hang).is_empty());
}

#[test]
fn first_candidate_answering_503_fails_over_to_the_second() {
    let w = write_app(world());
    let broken = healthy([hello()]);
    broken.set_fault(Fault::Status(503));
    let good = healthy([hello()]);
    let w = w.user_config(&fast_config(&[&broken.url(), &good.url()], "", ""));

    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert_go_fetched(&good, &hello());
    assert_go_never_used(&broken);
    assert_failover_notice(&run, &broken.url(), "HTTP 503", &good.url());
    let w = w.env("GOSHIM_QUIET", "1");
    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert!(!run.stderr().contains("goshim"), "{}", run.show());

    let control = w.run_for(
        &mut go_alone(
            &w,
            &format!("{},{}", broken.url(), good.url()),
            &["mod", "download"],
        ),
        LIMIT,
    );
    control.assert_failure();
    assert!(control.stderr().contains("503"), "{}", control.show());
}

#[test]
fn a_proxy_failing_while_its_verdict_is_fresh_is_passed_over_by_go() {
    let w = write_app(world());
    let first = healthy([hello()]);
    let second = healthy([hello()]);
    let w = w.user_config(&fast_config(&[&first.url(), &second.url()], "", ""));
    // A go command's own round stops at the first healthy candidate (the rest are refreshed in
    // the background); `goshim probe` waits for every verdict.
    probe_all(&w);
    assert_eq!(
        go_saw(&w, &["GOPROXY"]),
        [format!("{}|{}", first.url(), second.url())]
    );

    // The cached verdicts still say healthy; the '|' chain lets go fail over by itself.
    first.set_fault(Fault::Status(503));
    first.clear_requests();
    let w = fresh_modcache(w, "fresh-modcache");
    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert!(
        go_paths(&first)
            .iter()
            .any(|p| p.starts_with("/example.com/hello/"))
    );
    assert_go_fetched(&second, &hello());
}

#[test]
fn https_candidate_behind_basic_auth_is_used_with_netrc_credentials() {
    let w = write_app(world());
    let p = Proxy::https_trusted();
    p.add(probe_module());
    p.add(hello());
    p.set_sumdb(SumdbSupport::Supported);
    p.set_fault(Fault::BasicAuth {
        user: "alice".into(),
        password: "s3cret".into(),
    });
    let w = w
        .env("SSL_CERT_FILE", &ca_pem_path().display().to_string())
        .user_config(&fast_config(&[&p.url()], "", ""));
    std::fs::write(
        w.root().join("home/.netrc"),
        format!("machine {} login alice password s3cret\n", p.host()),
    )
    .unwrap();

    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert!(!run.stderr().contains("goshim"), "{}", run.show());
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
    let w = write_app(world());
    let first = healthy([hello()]);
    let second = healthy([hello()]);
    let w = w.user_config(&fast_config(&[&first.url(), &second.url()], "", ""));

    // Populate the module cache through the shim while the proxies answer.
    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert_go_fetched(&first, &hello());

    first.set_fault(Fault::Refused);
    second.set_fault(Fault::Status(503));
    let w = fresh_verdicts(w, "cache-down");
    let notice = format!(
        "goshim: no module proxy answers; using GOPROXY=file://{}/cache/download,off",
        w.gomodcache()
    );
    for args in [&["build", "-o", "app-bin", "."][..], &["mod", "download"]] {
        let run = w.go(args);
        run.assert_success();
        assert!(
            run.stderr().lines().any(|l| l == notice),
            "expected {notice:?}: {}",
            run.show()
        );
    }
    assert_eq!(run_built(&w, "app-bin"), "hello from the fixture\n");
    assert_eq!(
        go_saw(&w, &["GOPROXY", "GOSUMDB"]),
        [
            format!("file://{}/cache/download,off", w.gomodcache()),
            // Unset: go keeps its default checksum database; offline never turns it off.
            String::new()
        ]
    );

    let before = go_paths(&second).len();
    let run = w.go(&["get", "example.com/newmod@latest"]);
    run.assert_failure();
    assert!(run.elapsed() < LIMIT, "{}", run.show());
    let stderr = run.stderr();
    assert!(
        stderr.contains("example.com/newmod") && stderr.contains("GOPROXY=off"),
        "go's own error names the module and the disabled lookup: {}",
        run.show()
    );
    assert_eq!(go_paths(&second).len(), before, "go used a 503 proxy");
}

// ---- 5: private modules from trusted config ----

#[test]
fn private_modules_come_from_the_private_proxy_and_never_reach_the_public_one() {
    let w = write_module(
        world(),
        "",
        "example.com/app",
        "1.21",
        &[(&hello(), "Greeting()"), (&secret(), "Code")],
    );
    let public = healthy([hello()]);
    let private = healthy([secret()]);
    let w = w.user_config(&fast_config(
        &[&public.url()],
        &format!("private = {}\n", toml_list(&[&private.url()])),
        "[modules]\nprivate = [\"private.example\"]\n",
    ));

    let run = w.go(&["build", "-o", "app-bin", "."]);
    run.assert_success();
    assert_eq!(
        run_built(&w, "app-bin"),
        "hello from the fixture\nfrom the private proxy\n"
    );
    assert_go_fetched(&private, &secret());
    assert_go_fetched(&public, &hello());
    public.assert_never_saw("private.example");
    assert_eq!(
        go_saw(&w, &["GOPROXY", "GOPRIVATE", "GONOPROXY", "GONOSUMDB"]),
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
    let w = write_module(
        world(),
        "",
        "example.com/app",
        "1.21",
        &[(&hello(), "Greeting()")],
    );
    let public = healthy([hello()]);
    let private = healthy([secret()]);
    private.set_fault(Fault::Refused);
    let w = w.user_config(&fast_config(
        &[&public.url()],
        &format!("private = {}\n", toml_list(&[&private.url()])),
        "[modules]\nprivate = [\"private.example\"]\n",
    ));
    // Every candidate probed, as after a background refresh, so the private verdict is known.
    probe_all(&w);

    let run = w.go(&["build", "-o", "app-bin", "."]);
    run.assert_success();
    assert!(
        run.stderr().contains(&format!(
            "goshim: private proxy {} unreachable (connection refused); private modules are fetched directly",
            private.host()
        )),
        "{}",
        run.show()
    );
    assert_eq!(run_built(&w, "app-bin"), "hello from the fixture\n");
    assert_eq!(
        go_saw(&w, &["GOPROXY", "GONOPROXY", "GONOSUMDB"]),
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
    let w = write_app(world());
    let allowed = healthy([hello()]);
    let added = healthy([hello()]);
    let w = w
        .user_config(&fast_config(&[&allowed.url()], "", ""))
        .gomodrc(&format!(
            "[proxy]\ncandidates = {}\n",
            toml_list(&[&added.url()])
        ));

    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert_go_fetched(&allowed, &hello());
    assert!(added.requests().is_empty(), "{:?}", added.paths());
    let gomodrc = w.proj().join(".gomodrc");
    let stderr = run.stderr();
    assert!(
        stderr.lines().any(|l| l.starts_with("goshim: ")
            && l.contains(&gomodrc.display().to_string())
            && l.contains("proxy.candidates")
            && l.contains("goshim trust")),
        "{}",
        run.show()
    );

    w.goshim(&["trust", ".gomodrc"]).assert_success();

    allowed.clear_requests();
    let w = fresh_modcache(w, "fresh-modcache");
    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert_go_fetched(&added, &hello());
    assert_go_never_used(&allowed);
    assert!(!run.stderr().contains("goshim trust"), "{}", run.show());
    assert_eq!(go_saw(&w, &["GOPROXY"]), [added.url()]);
}

#[test]
fn untrusted_gomodrc_may_narrow_the_candidates_also_through_dash_c() {
    let w = write_app(world());
    let first = healthy([hello()]);
    let second = healthy([hello()]);
    let w = w.user_config(&fast_config(&[&first.url(), &second.url()], "", ""));
    // Dropping a proxy the user's config already lists needs no trust.
    let w = w.gomodrc(&format!(
        "[proxy]\ncandidates = {}\n",
        toml_list(&[&second.url()])
    ));

    // From outside the project: goshim reads the configuration where go will run.
    let mut cmd = w.go_command(&["-C", "proj", "mod", "download"]);
    cmd.current_dir(w.root());
    let run = w.run(&mut cmd);
    run.assert_success();
    assert!(!run.stderr().contains("goshim"), "{}", run.show());
    assert_go_fetched(&second, &hello());
    assert!(first.requests().is_empty(), "{:?}", first.paths());
}

// ---- 7: the user's own GOPROXY wins ----

#[test]
fn user_exported_goproxy_is_what_go_sees() {
    let w = write_app(world());
    let mine = healthy([hello()]);
    let configured = healthy([hello()]);
    let w = w
        .user_config(&fast_config(&[&configured.url()], "", ""))
        .env("GOPROXY", &mine.url());

    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert_go_fetched(&mine, &hello());
    assert_go_never_used(&configured);

    let run = w.go(&["env", "GOPROXY"]);
    run.assert_success();
    assert_eq!(run.stdout(), format!("{}\n", mine.url()));
    assert_eq!(go_saw(&w, &["GOPROXY"]), [mine.url()]);
    assert!(configured.requests().is_empty(), "{:?}", configured.paths());

    // GOPROXY=off: go is told nothing new and nothing is probed.
    let w = w.env("GOPROXY", "off");
    let w = fresh_modcache(w, "fresh-modcache");
    let run = w.go(&["mod", "download"]);
    run.assert_failure();
    assert!(
        run.stderr().contains("disabled by GOPROXY=off"),
        "{}",
        run.show()
    );
    assert!(configured.requests().is_empty(), "{:?}", configured.paths());
}

#[test]
fn go_env_w_goproxy_is_the_preferred_candidate_and_fails_over_too() {
    let w = write_app(world());
    let refused = refused_url();
    let configured = healthy([hello()]);
    let w = w.user_config(&fast_config(&[&configured.url()], "", ""));
    // `go env -w GOPROXY=…` writes go's own env file under the user config dir.
    let go_env_file = w.root().join("home/.config/go/env");
    std::fs::create_dir_all(go_env_file.parent().unwrap()).unwrap();
    std::fs::write(&go_env_file, format!("GOPROXY={refused}\n")).unwrap();

    let run = w.go(&["mod", "download"]);
    run.assert_success();
    assert_go_fetched(&configured, &hello());
    assert_failover_notice(&run, &refused, "connection refused", &configured.url());

    let run = w.go(&["env", "GOPROXY"]);
    run.assert_success();
    assert_eq!(run.stdout(), format!("{refused}\n"));
}

// ---- 8: vendor mode needs no network ----

#[test]
fn vendor_build_makes_no_request_at_all() {
    let w = write_module(
        world(),
        "",
        "example.com/app",
        "1.22",
        &[(&hello(), "Greeting()")],
    );
    let h = hello();
    let w = w
        .file(
            "vendor/modules.txt",
            &format!(
                "# {} {}\n## explicit\n{}\n",
                h.path(),
                h.version(),
                h.path()
            ),
        )
        .file(
            "vendor/example.com/hello/hello.go",
            "package hello\n\nfunc Greeting() string { return \"hello from vendor\" }\n",
        );
    let p = healthy([hello()]);
    let w = w.user_config(&fast_config(&[&p.url()], "", ""));

    let run = w.go(&["build", "-o", "app-bin", "."]);
    run.assert_success();
    assert_eq!(run_built(&w, "app-bin"), "hello from vendor\n");
    assert!(p.requests().is_empty(), "{:?}", p.paths());
    assert_eq!(p.connections(), 0);
}

// ---- 9: workspaces ----

#[test]
fn workspace_of_two_modules_builds() {
    let w = world();
    // `./...` must start in a workspace module (the root is one) and stops at nested modules
    // (`b`, the other), as in a single module.
    let w = write_module(w, "", "example.com/a", "1.22", &[(&hello(), "Greeting()")]);
    let w = write_module(
        w,
        "b",
        "example.com/b",
        "1.22",
        &[(&world_module(), "Name")],
    );
    let w = w.file("go.work", "go 1.22\n\nuse (\n\t.\n\t./b\n)\n");
    let p = healthy([hello(), world_module()]);
    let w = w.user_config(&fast_config(&[&p.url()], "", ""));

    let run = w.go(&["build", "./...", "./b/..."]);
    run.assert_success();
    assert_go_fetched(&p, &hello());
    assert_go_fetched(&p, &world_module());

    let run = w.go(&["build", "-o", "b-bin", "./b"]);
    run.assert_success();
    assert_eq!(run_built(&w, "b-bin"), "world from the fixture\n");
    // Workspace mode rejects -mod=mod: go ran with the user's GOFLAGS only.
    assert_eq!(
        go_saw(&w, &["GOFLAGS", "GOPROXY"]),
        ["-modcacherw".to_string(), p.url()]
    );
}

// ---- 10: toolchain switch through the chosen proxy ----

#[test]
fn newer_go_line_switches_to_the_toolchain_from_the_file_candidate() {
    let w = world();
    let download = w.root().join("download");
    let set: ModuleSet = [Module::toolchain("go1.99.0"), probe_module()]
        .into_iter()
        .collect();
    set.write_download_dir(&download).unwrap();
    let w = w.file("go.mod", "module example.com/app\n\ngo 1.99.0\n");
    let candidate = format!("file://{}", download.display());
    let w = w
        .user_config(&fast_config(&[&candidate], "", ""))
        .env("GOTOOLCHAIN", "auto");
    // A single file:// GOPROXY lifts the toolchain's mandatory checksum check (see
    // fixture_proxy.rs), so GONOSUMDB can exempt it; GOSUMDB stays at its default.
    let w = w.env("GONOSUMDB", TOOLCHAIN_MODULE);

    let run = w.go(&["version"]);
    run.assert_success();
    let stdout = run.stdout();
    assert!(
        stdout.starts_with("fake toolchain go1.99.0\nargs: version\n"),
        "{}",
        run.show()
    );
    assert!(
        stdout.lines().any(|l| l == format!("GOPROXY={candidate}")),
        "the toolchain ran with the decided GOPROXY: {}",
        run.show()
    );
    let unpacked = Path::new(&w.gomodcache()).join(format!(
        "{TOOLCHAIN_MODULE}@{}/bin/go",
        toolchain_version("go1.99.0")
    ));
    assert!(unpacked.is_file(), "{}", unpacked.display());
}
