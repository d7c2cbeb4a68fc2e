//! Hostile input, shared machines and secrets (issue 14): every file goshim reads gets a bound
//! and a clear message, settings from strangers never apply, and no password is printed. Each
//! test runs in a fresh world; the ones that could hang on a regression run with a short limit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::modules::Module;
use crate::support::proxy::{Fault, Proxy, SumdbSupport, ca_pem_path};
use crate::support::world::{PROBE, Run, World, fast_config, write};

const HINT: &str = "(GOSHIM_DISABLE=1 runs go without goshim)";

/// The limit for a command that must answer at once (a regression hangs until it).
const AT_ONCE: Duration = Duration::from_secs(10);

/// A world with a module and the fake go, for commands that must finish at once.
fn world() -> World {
    World::new()
        .fake_go()
        .file("go.mod", "module example.com/app\n\ngo 1.22\n")
        .limit(AT_ONCE)
}

/// A world with a module and the real go, whose probes never leave loopback (anything else
/// hangs on a silent proxy until the probe's timeout).
fn real_world() -> World {
    World::new()
        .real_go()
        .unreachable_internet()
        .file("go.mod", "module example.com/app\n\ngo 1.22\n")
        .limit(AT_ONCE)
}

/// Makes a FIFO at `path`.
fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) },
        0,
        "{}",
        path.display()
    );
}

/// Makes `path` a symlink to `target`.
fn symlink(target: &str, path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, path).unwrap();
}

/// `go ARGS` through the shim with a standard input that never ends (a pipe nobody writes to,
/// as a terminal would be) and an address space capped at 2 GiB (so that reading an endless
/// file fails instead of exhausting the machine), bounded by [`AT_ONCE`].
fn go_guarded(w: &World, args: &str) -> Run {
    let stdin = w.root().join("stdin");
    let sleeper = w.root().join("sleeper");
    let _ = std::fs::remove_file(&stdin);
    mkfifo(&stdin);
    let script = format!(
        "ulimit -v 2097152; sleep 60 >'{i}' 2>/dev/null </dev/null & echo $! >'{s}'; exec '{go}' {args} <'{i}'",
        i = stdin.display(),
        s = sleeper.display(),
        go = w.link().display()
    );
    let mut cmd = w.command(Path::new("/bin/sh"));
    cmd.args(["-c", &script]);
    let out = w.run_for(&mut cmd, AT_ONCE);
    if let Ok(pid) = std::fs::read_to_string(&sleeper) {
        let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    }
    assert!(
        !out.timed_out(),
        "still running after {AT_ONCE:?}: {}",
        out.show()
    );
    out
}

/// goshim stopped with exit status 2 and exactly this one error line, and go did not run.
#[track_caller]
fn assert_stopped(w: &World, out: &Run, message: &str) {
    assert_eq!(
        out.stderr(),
        format!("goshim: error: {message}\n"),
        "{}",
        out.show()
    );
    assert_eq!(out.code(), Some(2));
    assert!(!w.go_ran(), "go ran despite the configuration error");
}

fn not_regular(path: &Path, kind: &str) -> String {
    format!(
        "{}: not a regular file ({kind}); goshim reads only regular files: replace it with a regular file or remove it {HINT}",
        path.display()
    )
}

#[test]
fn a_gomodrc_that_is_no_regular_file_is_refused_at_once() {
    // A FIFO in an ancestor directory, links into devices in the project: every go command,
    // `go version` included, ends at once with an error naming the file.
    let w = world();
    let outer = w.root().join(".gomodrc");
    mkfifo(&outer);
    assert_stopped(
        &w,
        &go_guarded(&w, "version"),
        &not_regular(&outer, "a FIFO"),
    );
    std::fs::remove_file(&outer).unwrap();
    for (target, kind) in [
        ("/dev/stdin", "a FIFO"),
        ("/dev/zero", "a character device"),
        ("/dev/urandom", "a character device"),
    ] {
        let rc = w.gomodrc_path();
        let _ = std::fs::remove_file(&rc);
        symlink(target, &rc);
        assert_stopped(&w, &go_guarded(&w, "version"), &not_regular(&rc, kind));
    }
    std::fs::remove_file(w.gomodrc_path()).unwrap();
    std::fs::create_dir(w.gomodrc_path()).unwrap();
    assert_stopped(
        &w,
        &go_guarded(&w, "version"),
        &not_regular(&w.gomodrc_path(), "a directory"),
    );
}

#[test]
fn a_go_mod_that_is_no_regular_file_is_left_to_go() {
    // go itself does not read go.mod for `go version` (GOTOOLCHAIN=local): goshim must not
    // wait on it either, and leaves the file to go.
    let w = World::new().real_go().env("GOTOOLCHAIN", "local");
    mkfifo(&w.proj().join("go.mod"));
    let out = go_guarded(&w, "version");
    assert_eq!(out.code(), Some(0), "{}", out.show());
    assert!(
        out.stdout().starts_with("go version go1."),
        "{}",
        out.show()
    );
}

#[test]
fn a_huge_gomodrc_is_refused_with_its_size() {
    let w = world();
    let rc = w.gomodrc_path();
    let f = std::fs::File::create(&rc).unwrap();
    // Sparse: 1 TiB of nothing costs no disk.
    f.set_len(1 << 40).unwrap();
    let message = format!(
        "{}: larger than 1 MiB, the most goshim reads; shorten it or remove it {HINT}",
        rc.display()
    );
    assert_stopped(&w, &go_guarded(&w, "version"), &message);
    f.set_len((1 << 20) + 1).unwrap();
    assert_stopped(&w, &go_guarded(&w, "version"), &message);
}

#[test]
fn user_and_system_config_that_are_no_regular_files_are_refused_at_once() {
    let w = world();
    mkfifo(&w.user_config_path());
    assert_stopped(
        &w,
        &go_guarded(&w, "version"),
        &not_regular(&w.user_config_path(), "a FIFO"),
    );
    std::fs::remove_file(w.user_config_path()).unwrap();
    symlink("/dev/zero", &w.system_config_path());
    assert_stopped(
        &w,
        &go_guarded(&w, "version"),
        &not_regular(&w.system_config_path(), "a character device"),
    );
}

#[test]
fn a_trust_store_that_is_no_regular_file_is_a_warning() {
    let w = world();
    write(
        &w.gomodrc_path(),
        "[sumdb]\nname = \"sum.golang.google.cn\"\n",
    );
    let store = w.trust_store_path();
    for plant in [(|p: &Path| mkfifo(p)) as fn(&Path), |p| {
        symlink("/dev/zero", p);
    }] {
        let _ = std::fs::remove_file(&store);
        plant(&store);
        let out = go_guarded(&w, "version");
        assert_eq!(out.code(), Some(0), "{}", out.show());
        assert!(w.go_ran());
        assert!(
            out.stderr().starts_with(&format!(
                "goshim: warning: the trust store {} is unreadable (not a regular file (",
                store.display()
            )),
            "{}",
            out.stderr()
        );
    }
}

/// `goshim env` against a fixture proxy with every file of the verdict cache replaced by
/// something that is no regular file: the decision is made, nothing waits.
#[test]
fn cache_files_that_are_no_regular_files_never_block() {
    let (path, version) = PROBE.split_once('@').unwrap();
    let p = Proxy::serving([Module::new(path, version)]);
    let w = real_world().user_config(&fast_config(&[&p.url()], "", ""));
    let cache = w.cache_dir();
    symlink("/dev/zero", &cache.join("health.json"));
    mkfifo(&cache.join("health.lock"));
    mkfifo(&cache.join("refresh.lock"));
    mkfifo(&cache.join("refresh.log"));
    let mut cmd = w.goshim_command(&["env", "--format", "json"]);
    let out = w.run(&mut cmd);
    out.assert_success();
    assert_eq!(out.json()["GOPROXY"], p.url(), "{}", out.show());
}

/// Gives `path` (the link itself, not its target) to uid 4242, a user that is neither this one
/// nor root: directly as root, else through passwordless sudo (as on CI runners).
fn give_away(path: &Path) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::lchown(path, Some(4242), None).unwrap();
        return;
    }
    let status = std::process::Command::new("sudo")
        .args(["-n", "chown", "-h", "4242"])
        .arg(path)
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "making a file another user owns needs root or passwordless sudo"
    );
}

#[test]
fn a_gomodrc_another_user_planted_above_the_project_is_ignored() {
    // A shared sticky directory above the project holds another user's `.gomodrc`: even with
    // every file trusted, it changes nothing, and one notice names it (quiet or not).
    let w = real_world()
        .env("GOSHIM_TRUST_ALL", "1")
        .env("GOSHIM_OFFLINE", "1");
    let planted = w.root().join(".gomodrc");
    write(
        &planted,
        "[modules]\nprivate = [\"corp.example\"]\n[shim]\nquiet = true\n",
    );
    let notice = format!(
        "goshim: ignoring {}: it belongs to another user (uid 4242), not to you or root; remove it, or chown it if it is yours\n",
        planted.display()
    );
    let env = |w: &World| {
        let out = w.goshim(&["env", "--format", "json"]);
        out.assert_success();
        out
    };
    let before = env(&w);
    assert_eq!(
        before.json()["GOPRIVATE"],
        "corp.example",
        "{}",
        before.show()
    );

    give_away(&planted);
    let out = env(&w);
    assert_eq!(
        out.json()["GOPRIVATE"],
        serde_json::Value::Null,
        "{}",
        out.show()
    );
    assert!(out.stderr().starts_with(&notice), "{}", out.show());
    let out = w.run(w.go_command(&["version"]).env("GOSHIM_QUIET", "1"));
    assert_eq!(out.stderr(), notice, "quiet never hides it");

    // A link another user planted, to a file of this user's, is another user's too.
    std::fs::remove_file(&planted).unwrap();
    let mine = w.home().join("rc");
    write(&mine, "[modules]\nprivate = [\"corp.example\"]\n");
    symlink(mine.to_str().unwrap(), &planted);
    assert_eq!(env(&w).json()["GOPRIVATE"], "corp.example");
    give_away(&planted);
    let out = env(&w);
    assert_eq!(
        out.json()["GOPRIVATE"],
        serde_json::Value::Null,
        "{}",
        out.show()
    );
    assert!(out.stderr().starts_with(&notice), "{}", out.show());
}

#[test]
fn untrusted_timings_cannot_poison_the_shared_verdicts() {
    // An untrusted `.gomodrc` asks for a 1 ms probe timeout: a proxy that takes 100 ms would be
    // recorded as failing for every project on this network. The timings need trust.

    let (path, version) = PROBE.split_once('@').unwrap();
    let p = Proxy::serving([Module::new(path, version)]);
    p.set_fault(Fault::Delay(Duration::from_millis(100)));
    let w = real_world()
        .user_config(&fast_config(&[&p.url()], "", ""))
        .gomodrc("[health]\ntimeout = \"1ms\"\ndeadline = \"1ms\"\n");
    let out = w.goshim(&["env", "--format", "json"]);
    out.assert_success();
    assert_eq!(out.json()["GOPROXY"], p.url(), "{}", out.show());
    assert!(
        out.stderr().contains("(health.timeout, health.deadline)"),
        "{}",
        out.show()
    );
    let cache = std::fs::read_to_string(w.cache_dir().join("health.json")).unwrap();
    let cache: serde_json::Value = serde_json::from_str(&cache).unwrap();
    let network = cache["networks"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(network["proxies"][p.url()]["status"], "healthy", "{cache}");
}

/// No password (every one in these tests ends in `S3CRET`) in `text`.
#[track_caller]
fn assert_no_secret(what: &str, text: &str) {
    assert!(!text.contains("S3CRET"), "{what} shows a password:\n{text}");
}

#[test]
fn passwords_never_show_in_what_goshim_prints_or_writes() {
    // A password in every place a proxy URL comes from: the user config (a public candidate and
    // a private proxy, both healthy behind basic auth), go's env file, an untrusted .gomodrc,
    // an exported GOPROXY, `--candidate`/`--sumdb`, and an invalid URL in a config error.

    let (path, version) = PROBE.split_once('@').unwrap();
    let hello = Module::new("example.com/hello", "v1.0.0").file(
        "hello.go",
        "package hello\n\nfunc Greeting() string { return \"hi\" }\n",
    );
    let behind_auth = |password: &str| {
        let p = Proxy::https_trusted();
        p.add(Module::new(path, version));
        p.add(hello.clone());
        p.set_sumdb(SumdbSupport::Supported);
        p.set_fault(Fault::BasicAuth {
            user: "u".into(),
            password: password.into(),
        });
        p
    };
    let public = behind_auth("pubS3CRET");
    let private = behind_auth("privS3CRET");
    let public_url = public.url_with_userinfo("u", "pubS3CRET");
    let private_url = private.url_with_userinfo("u", "privS3CRET");
    let w = World::new()
        .real_go()
        .unreachable_internet()
        .limit(Duration::from_secs(60))
        .env("SSL_CERT_FILE", &ca_pem_path().display().to_string())
        .file(
            "go.mod",
            "module example.com/app\n\ngo 1.21\n\nrequire example.com/hello v1.0.0\n",
        )
        .file("go.sum", &hello.go_sum())
        .user_config(&fast_config(
            &[&public_url],
            &format!("private = [{private_url:?}]"),
            "[modules]\nprivate = [\"private.example\"]\n",
        ))
        .gomodrc("[proxy]\nextend_candidates = [\"https://u:rcS3CRET@127.0.0.1:2\"]\n");
    let env_file = w.home().join("goenv");
    write(&env_file, "GOPROXY=https://u:envS3CRET@127.0.0.1:1\n");
    let w = w.env("GOENV", &env_file.display().to_string());

    let mut shown = Vec::new();
    let mut run = |what: String, cmd: &mut std::process::Command, stdout_too: bool| {
        let out = w.run(cmd.env("GOSHIM_LOG", "debug"));
        if stdout_too {
            shown.push((format!("{what} (stdout)"), out.stdout()));
        }
        shown.push((format!("{what} (stderr)"), out.stderr()));
        out
    };
    for router in ["1", "0"] {
        let out = run(
            format!("go mod download, GOSHIM_ROUTER={router}"),
            w.go_command(&["mod", "download"])
                .env("GOSHIM_ROUTER", router),
            true,
        );
        out.assert_success();
        // A module no upstream has: go prints the router's answer.
        run(
            format!("go get of a missing module, GOSHIM_ROUTER={router}"),
            w.go_command(&["get", "example.com/missing@v1.0.0"])
                .env("GOSHIM_ROUTER", router),
            true,
        );
    }
    for args in [
        &["doctor"][..],
        &["doctor", "--json"],
        &["explain"],
        &["route", "example.com/hello@v1.0.0"],
        &["route", "private.example/x@v1.0.0", "--json"],
        &["probe"],
        &["probe", "--json"],
        &["probe", "--candidate", "https://u:cliS3CRET@127.0.0.1:5"],
        &[
            "probe",
            "--json",
            "--candidate",
            &private_url,
            "--sumdb",
            "sum.golang.org=https://u:dbS3CRET@127.0.0.1:6",
        ],
        &["which"],
    ] {
        run(
            format!("goshim {}", args.join(" ")),
            &mut w.goshim_command(args),
            true,
        );
    }
    // `goshim env` prints the variables go gets (with the credentials go needs) on stdout; its
    // stderr must still be clean.
    run("goshim env".into(), &mut w.goshim_command(&["env"]), false);
    // The user's own GOPROXY, credentials and all, is kept as is, and shown redacted.
    let goproxy = "https://u:aS3CRET@127.0.0.1:3,https://u:bS3CRET@127.0.0.1:4|direct";
    run(
        "explain with an exported GOPROXY".into(),
        w.goshim_command(&["explain"]).env("GOPROXY", goproxy),
        true,
    );
    run(
        "go mod download with an exported GOPROXY".into(),
        w.go_command(&["mod", "download"]).env("GOPROXY", goproxy),
        true,
    );
    // Configuration errors quote what is wrong, never a password.
    for (file, text) in [
        (
            w.user_config_path(),
            "[proxy]\ncandidates = [\"ftp://u:errS3CRET@mirror.example\"]\n",
        ),
        (
            w.user_config_path(),
            "[proxy]\ncandidates = [\"https://u:sepS3CRET@a.example,https://b.example\"]\n",
        ),
    ] {
        write(&file, text);
        let out = run(
            format!("a config error: {text}"),
            &mut w.go_command(&["version"]),
            true,
        );
        assert_eq!(out.code(), Some(2), "{}", out.show());
    }
    w.settled_refreshes(0);
    for entry in std::fs::read_dir(w.cache_dir()).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        shown.push((path.display().to_string(), text));
    }
    for (what, text) in &shown {
        assert_no_secret(what, text);
    }
    // The password-free parts are still there to read.
    let all: String = shown.iter().map(|(_, t)| t.as_str()).collect();
    assert!(all.contains("u:xxxxx@127.0.0.1"), "{all}");
}

#[test]
fn only_exactly_1_or_true_trusts_every_gomodrc() {
    let w = real_world()
        .gomodrc("[modules]\nprivate = [\"corp.example\"]\n")
        .env("GOSHIM_OFFLINE", "1");
    let goprivate = |value: &str| {
        let out = w.run(
            w.goshim_command(&["env", "--format", "json"])
                .env("GOSHIM_TRUST_ALL", value),
        );
        out.assert_success();
        (
            out.json()["GOPRIVATE"].as_str().map(str::to_string),
            out.stderr(),
        )
    };
    for on in ["1", "true", "TRUE", "True"] {
        assert_eq!(goprivate(on).0.as_deref(), Some("corp.example"), "{on:?}");
    }
    for off in ["0", "false", "FALSE", ""] {
        let (private, stderr) = goprivate(off);
        assert_eq!(private, None, "{off:?}");
        assert!(!stderr.contains("warning"), "{off:?}: {stderr}");
    }
    for unread in [
        "n", "f", "no", "none", "disabled", " 0", "false ", " 1", "yes", "on", "2",
    ] {
        let (private, stderr) = goprivate(unread);
        assert_eq!(private, None, "{unread:?} turned trust on");
        assert!(
            stderr.contains(&format!(
                "goshim: warning: GOSHIM_TRUST_ALL={unread:?} is not 1, true, 0 or false; no .gomodrc is trusted by it\n"
            )),
            "{unread:?}: {stderr}"
        );
    }
}

#[test]
fn an_unread_goshim_router_value_leaves_the_router_to_the_configuration() {
    let w = real_world().user_config("[proxy]\ncandidates = [\"https://127.0.0.1:1\"]\n");
    let out = w.run(
        w.goshim_command(&["explain", "GOPROXY"])
            .env("GOSHIM_ROUTER", "no"),
    );
    out.assert_success();
    assert!(
        out.stdout()
            .starts_with("GOPROXY=http://127.0.0.1:<port>/<token>"),
        "{}",
        out.show()
    );
    assert!(
        out.stderr().contains(
            "goshim: warning: GOSHIM_ROUTER=\"no\" is not 1, true, 0 or false; router.enabled decides\n"
        ),
        "{}",
        out.show()
    );
}

#[test]
fn an_unknown_goshim_log_is_a_warning_and_go_runs() {
    let w = world();
    let out = w.run(w.go_command(&["version"]).env("GOSHIM_LOG", "verbose"));
    assert_eq!(out.code(), Some(0), "{}", out.show());
    assert!(w.go_ran());
    assert_eq!(
        out.stderr(),
        "goshim: warning: GOSHIM_LOG=\"verbose\" is not a log level, so there is no trace; use GOSHIM_LOG=debug for a decision trace, or unset it\n"
    );
}

#[test]
fn a_held_cache_lock_never_blocks_go() {
    // Another process holds the verdict cache's write lock and never lets go (a hung goshim, a
    // backup tool): probing and running go go on, the verdicts are just not cached.

    let (path, version) = PROBE.split_once('@').unwrap();
    let p = Proxy::serving([Module::new(path, version)]);
    let w = real_world().user_config(&fast_config(&[&p.url()], "", ""));
    std::fs::create_dir_all(w.cache_dir()).unwrap();
    let held = std::fs::File::create(w.cache_dir().join("health.lock")).unwrap();
    held.lock().unwrap();
    let out = w.goshim(&["env", "--format", "json"]);
    out.assert_success();
    assert_eq!(out.json()["GOPROXY"], p.url(), "{}", out.show());
    let out = w.goshim(&["probe", "--json"]);
    out.assert_success();
    let out = w.run(w.go_command(&["mod", "download"]).env("GOSHIM_ROUTER", "0"));
    out.assert_success();
    assert!(!w.cache_dir().join("health.json").exists());
    drop(held);
    w.goshim(&["probe"]).assert_success();
    assert!(w.cache_dir().join("health.json").exists());
}

/// A module the fixture proxies serve, and a world whose project requires it (go.sum holds its
/// hashes, so no checksum database is asked).
fn hello_module() -> Module {
    Module::new("example.com/hello", "v1.0.0").file(
        "hello.go",
        "package hello\n\nfunc Greeting() string { return \"hi\" }\n",
    )
}

/// A healthy public fixture (probe module and [`hello_module`]) and a private proxy that
/// accepts connections and never answers, with `private.example` private.
fn public_and_hanging_private() -> (World, Proxy, Proxy) {
    let (path, version) = PROBE.split_once('@').unwrap();
    let public = Proxy::serving([Module::new(path, version), hello_module()]);
    public.set_sumdb(SumdbSupport::Supported);
    let private = Proxy::start();
    private.set_fault(Fault::Hang);
    let w = World::new()
        .real_go()
        .unreachable_internet()
        .limit(Duration::from_secs(30))
        .file(
            "go.mod",
            "module example.com/app\n\ngo 1.21\n\nrequire example.com/hello v1.0.0\n",
        )
        .file("go.sum", &hello_module().go_sum())
        .user_config(&fast_config(
            &[&public.url()],
            &format!("private = [{:?}]", private.url()),
            "[modules]\nprivate = [\"private.example\"]\n\
             [router]\nattempt_timeout = \"1s\"\nrequest_timeout = \"2s\"\nhedge_delay = \"200ms\"\n",
        ));
    (w, public, private)
}

#[test]
fn a_hanging_private_proxy_never_hangs_the_first_command_on_a_network() {
    // Variables mode, nothing cached: the public candidate answers at once, the private proxy
    // never does. go must not be pointed at a private proxy that has no verdict.
    let (w, public, private) = public_and_hanging_private();
    let out = w.run(
        w.go_command(&["mod", "download", "-x"])
            .env("GOSHIM_ROUTER", "0")
            .env("GOSHIM_LOG", "debug"),
    );
    out.assert_success();
    assert!(
        out.stderr().contains(&format!(
            "goshim: private proxy {} unreachable (timed out",
            private.host()
        )),
        "{}",
        out.show()
    );
    assert!(public.saw("/example.com/hello/@v/v1.0.0.zip"));
    private.assert_never_saw("example.com/hello");
}

#[test]
fn the_router_bounds_a_hanging_private_proxy_and_keeps_private_paths_private() {
    // Router mode: the router has the private proxy as the only upstream for private paths;
    // each attempt ends after `attempt_timeout`, the request after `request_timeout`, and go
    // gets an error instead of a hang. Public modules are not held up.
    let (w, public, _private) = public_and_hanging_private();
    w.go(&["mod", "download"]).assert_success();
    let out = w.go(&["mod", "download", "private.example/secret@v1.0.0"]);
    assert!(out.code().is_some_and(|c| c != 0), "{}", out.show());
    assert!(out.elapsed() < Duration::from_secs(20), "{}", out.show());
    public.assert_never_saw("private.example");
}

#[test]
fn a_private_probe_module_does_not_disable_every_public_proxy() {
    // `[health] probe` names a private module: probing it would only check reachability, and a
    // merely reachable proxy is never used. The public candidates are probed with the default
    // public module instead, and doctor says what to change.

    let p = Proxy::serving([Module::new("golang.org/x/text", "v0.3.0")]);
    let w = real_world().user_config(&format!(
        "[proxy]\ncandidates = [{:?}]\ndirect = false\n\
         [modules]\nprivate = [\"git.corp.example\"]\n\
         [health]\nprobe = \"git.corp.example/probe@v1.0.0\"\ntimeout = \"300ms\"\ndeadline = \"1s\"\n",
        p.url()
    ));
    let out = w.goshim(&["env", "--format", "json"]);
    out.assert_success();
    assert_eq!(out.json()["GOPROXY"], p.url(), "{}", out.show());
    p.assert_never_saw("git.corp.example");
    let doctor = w.goshim(&["doctor"]);
    assert!(
        doctor.stdout().contains(&format!(
            "health.probe = git.corp.example/probe@v1.0.0 ({}:7) is a private module, which no probe may ask for: the candidates are probed with golang.org/x/text@v0.3.0 instead; set [health] probe to a module@version every public proxy serves",
            w.user_config_path().display()
        )),
        "{}",
        doctor.show()
    );
}

#[test]
fn an_untrusted_quiet_cannot_hide_that_its_other_settings_were_ignored() {
    let w = world().gomodrc("[shim]\nquiet = true\n[modules]\nprivate = [\"corp.example\"]\n");
    let out = w.go(&["version"]);
    assert_eq!(
        out.stderr(),
        format!(
            "goshim: ignoring settings from untrusted {p} (modules.private); review, then run `goshim trust {p}`\n",
            p = w.gomodrc_path().display()
        )
    );
    assert!(w.go_ran());
}

#[test]
fn parallel_trusts_keep_every_entry() {
    let w = world().limit(Duration::from_secs(60));
    let files: Vec<std::path::PathBuf> = (0..20)
        .map(|i| {
            let f = w.proj().join(format!("p{i}/.gomodrc"));
            write(&f, "[modules]\nprivate = [\"corp.example\"]\n");
            f
        })
        .collect();
    let mut children: Vec<std::process::Child> = files
        .iter()
        .map(|f| {
            w.goshim_command(&["trust", f.to_str().unwrap()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let started = std::time::Instant::now();
    while !children.is_empty() {
        children.retain_mut(|c| match c.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success(), "a goshim trust failed");
                false
            }
            None => true,
        });
        if started.elapsed() > Duration::from_secs(60) {
            for c in &mut children {
                let _ = c.kill();
            }
            panic!("{} goshim trust still running after 60 s", children.len());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let list = w.goshim(&["trust", "--list"]);
    list.assert_success();
    let stdout = list.stdout();
    let mut listed: Vec<&str> = stdout.lines().collect();
    listed.sort_unstable();
    let mut expected: Vec<String> = files
        .iter()
        .map(|f| format!("trusted\t{}", f.display()))
        .collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
}

#[test]
fn a_gomodrc_linked_to_a_file_trusted_elsewhere_is_not_trusted() {
    let w = real_world().env("GOSHIM_OFFLINE", "1");
    let trusted = w.root().join("other/.gomodrc");
    write(&trusted, "[modules]\nprivate = [\"corp.example\"]\n");
    w.goshim(&["trust", trusted.to_str().unwrap()])
        .assert_success();
    symlink(trusted.to_str().unwrap(), &w.gomodrc_path());
    let goprivate = |w: &World| {
        let out = w.goshim(&["env", "--format", "json"]);
        out.assert_success();
        (
            out.json()["GOPRIVATE"].as_str().map(str::to_string),
            out.stderr(),
        )
    };
    let (private, stderr) = goprivate(&w);
    assert_eq!(private, None);
    assert!(
        stderr.contains(&format!(
            "goshim: ignoring settings from untrusted {p} (modules.private); review, then run `goshim trust {p}`",
            p = w.gomodrc_path().display()
        )),
        "{stderr}"
    );
    // Trusting it here trusts the link, where it is.
    let out = w.goshim(&["trust"]);
    out.assert_success();
    assert!(
        out.stderr().starts_with(&format!(
            "goshim: trusted {} (sha256 ",
            w.gomodrc_path().display()
        )),
        "{}",
        out.show()
    );
    assert_eq!(goprivate(&w).0.as_deref(), Some("corp.example"));
}

#[test]
fn goshim_trust_works_in_a_directory_whose_name_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let w = real_world().env("GOSHIM_OFFLINE", "1");
    let dir = w.proj().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir_all(&dir).unwrap();
    write(
        &dir.join(".gomodrc"),
        "[modules]\nprivate = [\"corp.example\"]\n",
    );
    let in_dir = |args: &[&str]| {
        let mut cmd = w.goshim_command(args);
        cmd.current_dir(&dir);
        w.run(&mut cmd)
    };
    let out = in_dir(&["trust"]);
    out.assert_success();
    let out = in_dir(&["env", "--format", "json"]);
    out.assert_success();
    assert_eq!(out.json()["GOPRIVATE"], "corp.example", "{}", out.show());
    let list = in_dir(&["trust", "--list"]);
    assert_eq!(
        list.stdout(),
        format!("trusted\t{}\n", dir.join(".gomodrc").display())
    );
    in_dir(&["untrust"]).assert_success();
    assert_eq!(in_dir(&["trust", "--list"]).stdout(), "");
}

#[test]
fn proxies_with_passwords_meet_their_verdicts() {
    // Variables mode: a public candidate with a password that answers, and a private proxy with
    // a password that hangs. The candidate is used (not "left out: no health verdict"), the
    // private proxy is left out, and the next command decides from the cache alone.

    let (path, version) = PROBE.split_once('@').unwrap();
    let public = Proxy::https_trusted();
    public.add(Module::new(path, version));
    public.add(hello_module());
    public.set_sumdb(SumdbSupport::Supported);
    public.set_fault(Fault::BasicAuth {
        user: "u".into(),
        password: "pubS3CRET".into(),
    });
    let private = Proxy::https_trusted();
    private.set_fault(Fault::Hang);
    let w = World::new()
        .real_go()
        .unreachable_internet()
        .limit(Duration::from_secs(30))
        .env("SSL_CERT_FILE", &ca_pem_path().display().to_string())
        .env("GOSHIM_ROUTER", "0")
        .file(
            "go.mod",
            "module example.com/app\n\ngo 1.21\n\nrequire example.com/hello v1.0.0\n",
        )
        .file("go.sum", &hello_module().go_sum())
        .user_config(&fast_config(
            &[&public.url_with_userinfo("u", "pubS3CRET")],
            &format!(
                "private = [{:?}]",
                private.url_with_userinfo("u", "privS3CRET")
            ),
            "[modules]\nprivate = [\"private.example\"]\n",
        ));
    let out = w.run(
        w.go_command(&["mod", "download"])
            .env("GOSHIM_LOG", "debug"),
    );
    out.assert_success();
    let set = format!(
        "goshim: debug: set GOPROXY={} (",
        public.url_with_userinfo("u", "xxxxx")
    );
    assert!(out.stderr().contains(&set), "{}", out.show());
    assert!(public.saw("/example.com/hello/@v/v1.0.0.zip"));
    private.assert_never_saw("example.com/hello");
    // From the cache: no probe runs, the same decision.
    let probe = w.goshim(&["probe", "--cached", "--json"]).json();
    assert_eq!(probe["origin"], "cache", "{probe}");
    let statuses: Vec<&str> = probe["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["healthy", "unhealthy"], "{probe}");
    let again = w.run(
        w.go_command(&["mod", "download"])
            .env("GOSHIM_LOG", "debug"),
    );
    again.assert_success();
    assert!(again.stderr().contains(&set), "{}", again.show());
}

/// A `.gomodrc` of 1 MB (under the 1 MiB goshim reads): a `[modules] private` list with one
/// pattern per line, as scripts/bench-config.sh builds it.
fn megabyte_gomodrc() -> String {
    let mut text = String::from("[modules]\nprivate = [\n");
    let mut i = 0;
    while text.len() < 1_000_000 {
        text.push_str(&format!("  \"git{i}.corp.example\",\n"));
        i += 1;
    }
    text.push_str("]\n");
    text
}

#[test]
fn a_megabyte_gomodrc_costs_no_more_than_reading_it() {
    // Placing each of its ~40,000 values once rescanned the file from the start: quadratic, ~9 s
    // per go command in a release build. Linear now; the limit only catches a regression.
    let w = world().gomodrc(&megabyte_gomodrc());
    let out = w.go(&["version"]);
    assert_eq!(out.code(), Some(0), "{}", out.show());
    assert!(out.stderr().contains("(modules.private)"), "{}", out.show());
}

/// What a property case puts where goshim expects a file.
#[derive(Debug, Clone)]
enum Plant {
    Missing,
    Regular(Vec<u8>),
    Fifo,
    /// A symlink to `/dev/zero`: endless.
    DevZero,
    Directory,
    /// A sparse file of this many bytes (more than any limit).
    Sparse(u64),
}

fn plant_strategy() -> impl proptest::strategy::Strategy<Value = Plant> {
    use proptest::prelude::*;
    prop_oneof![
        Just(Plant::Missing),
        proptest::collection::vec(any::<u8>(), 0..600).prop_map(Plant::Regular),
        // Text close to what goshim parses (TOML, JSON, netrc, PEM, go.mod).
        "(\\[proxy\\]|\\{\"version\": ?1,|machine|-----BEGIN CERTIFICATE-----|module|[a-z_]{1,8} ?= ?|\"https://u:p@h:1\"|\\[|\\]|\\{|\\}|,|\n| ){0,40}"
            .prop_map(|s| Plant::Regular(s.into_bytes())),
        Just(Plant::Fifo),
        Just(Plant::DevZero),
        Just(Plant::Directory),
        ((1u64 << 20) + 1..(1u64 << 40)).prop_map(Plant::Sparse),
    ]
}

fn plant(path: &Path, what: &Plant) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    match what {
        Plant::Missing => {}
        Plant::Regular(bytes) => std::fs::write(path, bytes).unwrap(),
        Plant::Fifo => mkfifo(path),
        Plant::DevZero => symlink("/dev/zero", path),
        Plant::Directory => std::fs::create_dir_all(path).unwrap(),
        Plant::Sparse(len) => std::fs::File::create(path).unwrap().set_len(*len).unwrap(),
    }
}

/// Every file goshim reads (and go does not), through the library: the `.gomodrc` files, user
/// and system config and trust store (config::load), the trust store alone, the verdict cache
/// and its lock, `.netrc`, SSL_CERT_FILE/SSL_CERT_DIR, go.mod, and fsread itself. Nothing may
/// panic; every fsread answer stays within its limit.
/// Where [`read_everything`] looks (owned, for a thread that may outlive a hung read).
#[derive(Debug, Clone)]
struct Places {
    proj: PathBuf,
    system: PathBuf,
    user: PathBuf,
    trust: PathBuf,
    cache: PathBuf,
    home: PathBuf,
}

impl Places {
    fn of(w: &World) -> Places {
        Places {
            proj: w.proj(),
            system: w.system_config_path(),
            user: w.user_config_path(),
            trust: w.trust_store_path(),
            cache: w.cache_dir(),
            home: w.home(),
        }
    }
}

fn read_everything(w: &Places, files: &[(PathBuf, Plant)]) {
    use goshim::config::{LoadInput, load, load::effective_user, trust::TrustStore};
    use goshim::fsread;
    use goshim::goenv::{GoEnv, project};
    use goshim::health::cache::{Observed, Store};
    use goshim::health::{Reason, Status};
    use goshim::http::{ClientOptions, NetEnv};

    for (path, _) in files {
        for limit in [0, 64, 1 << 20] {
            if let Ok(bytes) = fsread::read(path, limit) {
                assert!(bytes.len() as u64 <= limit, "{}", path.display());
            }
        }
    }
    let input = LoadInput {
        dir: w.proj.clone(),
        env: std::collections::BTreeMap::default(),
        system_config: w.system.clone(),
        user_config: Some(w.user.clone()),
        trust_store: Some(w.trust.clone()),
        user: effective_user(),
    };
    let _ = load(&input);
    let _ = TrustStore::load(&w.trust);
    let store = Store::at(w.cache.clone());
    let _ = store.load();
    let _ = store.record_observed(
        &[Observed {
            url: "https://u:p@proxy.example".into(),
            database: false,
            status: Status::Healthy,
            reason: Reason::Answered,
            latency_ms: Some(1),
            sumdb: None,
            stats: None,
        }],
        "golang.org/x/text@v0.3.0",
        std::time::SystemTime::now(),
    );
    let net = NetEnv {
        netrc_path: Some(w.home.join(".netrc")),
        ssl_cert_file: Some(w.home.join("cert.pem").display().to_string()),
        ssl_cert_dir: Some(w.home.join("certs").display().to_string()),
        ..NetEnv::default()
    };
    let _ = net.netrc(true);
    let _ = goshim::http::client(
        &net,
        ClientOptions {
            connect: Duration::from_secs(1),
            total: Some(Duration::from_secs(1)),
            user_agent: "goshim-test",
        },
    );
    // The client reads the roots at its first TLS handshake; read them as it would.
    if let Some((files, dirs)) = goshim::http::roots::go_root_sources(
        net.ssl_cert_file.as_deref(),
        net.ssl_cert_dir.as_deref(),
    ) {
        let _ = goshim::http::roots::load(&files, &dirs);
    }
    let env = GoEnv::from_sources(goshim::goenv::EnvSources::default());
    let ctx = project::ProjectContext {
        env: &env,
        go_version: "1.27.3",
        temp_dir: Path::new("/nonexistent-temp"),
    };
    let _ = project::inspect(&w.proj, &[], &ctx);
}

proptest::proptest! {
    // A regression hangs each case for AT_ONCE: shrink only a few steps.
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 24,
        max_shrink_iters: 4,
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn every_file_goshim_reads_may_be_anything(
        plants in proptest::collection::vec(plant_strategy(), 11)
    ) {
        let w = world();
        let files: Vec<(PathBuf, Plant)> = [
            w.root().join(".gomodrc"),
            w.gomodrc_path(),
            w.user_config_path(),
            w.system_config_path(),
            w.trust_store_path(),
            w.cache_dir().join("health.json"),
            w.cache_dir().join("health.lock"),
            w.home().join(".netrc"),
            w.home().join("cert.pem"),
            w.home().join("certs/a.pem"),
            w.proj().join("sub/go.mod"),
        ]
        .into_iter()
        .zip(plants)
        .collect();
        for (path, what) in &files {
            plant(path, what);
        }
        // No hang: the reads run on a thread that must answer within the limit; a panic there
        // drops the sender.
        let (tx, rx) = std::sync::mpsc::channel();
        let (places, planted) = (Places::of(&w), files.clone());
        std::thread::spawn(move || {
            read_everything(&places, &planted);
            let _ = tx.send(());
        });
        match rx.recv_timeout(AT_ONCE) {
            Ok(()) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                panic!("reading {files:?} panicked")
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("reading {files:?} still runs after {AT_ONCE:?}")
            }
        }
        // And the binary: go version ends at once, whatever it says.
        let out = go_guarded(&w, "version");
        proptest::prop_assert!(matches!(out.code(), Some(0 | 2)), "{}", out.show());
    }
}
