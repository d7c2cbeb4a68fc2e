//! The shim runs the real go exactly as if it were called directly: argv byte for byte, cwd,
//! environment, stdin, exit status and signals, the same process; and it finds the real go
//! behind links to itself without looping.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::world::World;
use crate::support::{fake_go, realgo, shim};

/// A fake go in `real/` behind goshim linked as `go` in `shim/`, and no probing (these tests are
/// about the hand-over, not the decision). A run still going after 10 s fails: it hangs.
fn world() -> World {
    World::new()
        .fake_go()
        .env("GOSHIM_OFFLINE", "1")
        .limit(Duration::from_secs(10))
}

/// The arguments go received, as text.
fn args_of(w: &World) -> Vec<String> {
    w.report()
        .args
        .into_iter()
        .map(|a| String::from_utf8(a).unwrap())
        .collect()
}

#[test]
fn argv_reaches_go_byte_for_byte() {
    let w = world();
    let args: Vec<&OsStr> = vec![
        OsStr::new("build"),
        OsStr::new("-ldflags=-s -w"),
        OsStr::new("with space"),
        OsStr::new("\"double\" 'single'"),
        OsStr::new(""),
        OsStr::new("--"),
        OsStr::new("$HOME;`x`"),
        OsStr::from_bytes(b"bad\xff\xfeutf8"),
    ];
    let mut go = w.go_command(&[]);
    go.args(&args);
    w.run(&mut go).assert_success();
    let report = w.report();
    let want: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    assert_eq!(report.args, want);
    assert_eq!(report.argv0, w.link().display().to_string());
}

#[test]
fn goshim_exec_passes_args_after_double_dash() {
    let w = world();
    w.goshim(&["exec", "--", "mod", "download", "-x", "--help"])
        .assert_success();
    assert_eq!(args_of(&w), ["mod", "download", "-x", "--help"]);
}

#[test]
fn cwd_and_environment_are_kept_and_only_markers_added() {
    let w = world()
        .env("GOTOOLCHAIN_INTERNAL_SWITCH_VERSION", "go1.99.0")
        .env("GOTOOLCHAIN_INTERNAL_SWITCH_COUNT", "3")
        .env("GOFLAGS", "-mod=mod")
        .env("EMPTY", "")
        .env("WITH_NEWLINE", "a\nb");
    let work = w.root().join("work dir");
    std::fs::create_dir_all(&work).unwrap();
    let mut go = w.go_command(&["env"]);
    go.current_dir(&work);
    w.run(&mut go).assert_success();
    let report = w.report();
    assert_eq!(Path::new(&report.cwd), work.canonicalize().unwrap());
    let mut expected: std::collections::BTreeMap<String, String> =
        w.vars().iter().cloned().collect();
    expected.insert("GOSHIM_DEPTH".into(), "1".into());
    assert_eq!(
        report.env, expected,
        "go must see the caller's environment plus the depth marker"
    );
    assert!(!report.env.contains_key("GOROOT"));
}

#[test]
fn exit_codes_are_gos_own() {
    let w = world();
    for code in [0, 1, 3, 255] {
        let mut go = w.go_command(&["test"]);
        go.env("FAKE_GO_EXIT", code.to_string());
        assert_eq!(w.run(&mut go).code(), Some(code), "exit code {code}");
    }
}

#[test]
fn a_signal_death_is_gos_own() {
    let w = world();
    let mut go = w.go_command(&["test"]);
    go.env("FAKE_GO_SIGNAL", "TERM");
    let status = w.run(&mut go).status().unwrap();
    assert_eq!(status.signal(), Some(15), "go died of SIGTERM: {status:?}");
}

#[test]
fn go_replaces_the_shim_process() {
    let w = world();
    let child = w.go_command(&["version"]).spawn().unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(w.report().pid, pid, "exec keeps the pid: no extra process");
}

#[test]
fn stdin_is_passed_through() {
    let w = world();
    let mut child = w
        .go_command(&["run", "."])
        .env("FAKE_GO_STDIN", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"line one\nline two\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.ends_with("line one\nline two\n"),
        "go echoed stdin: {stdout:?}"
    );
}

#[test]
fn dash_c_is_left_for_go() {
    let w = world();
    std::fs::create_dir_all(w.root().join("sub")).unwrap();
    let mut go = w.go_command(&["-C", "sub", "build", "./..."]);
    go.current_dir(w.root());
    w.run(&mut go).assert_success();
    assert_eq!(args_of(&w), ["-C", "sub", "build", "./..."]);
    assert_eq!(
        Path::new(&w.report().cwd),
        w.root(),
        "the shim must not change directory itself; go applies -C"
    );
}

#[test]
fn a_hard_linked_go_is_recognised_as_the_shim() {
    let w = world().env_remove("GOSHIM_OFFLINE");
    let hard_dir = w.root().join("hard");
    let hard = shim::hardlink_as_go(&hard_dir);
    let path = shim::path_of(&[&hard_dir, &w.real_dir()]);
    let w = w.env("PATH", &path);
    let mut go = w.command(&hard);
    go.arg("version");
    w.run(&mut go).assert_success();
    assert_eq!(Path::new(&w.report().exe), w.real_dir().join("go"));
}

#[test]
fn the_shim_twice_on_path_is_skipped_both_times() {
    let w = world().env_remove("GOSHIM_OFFLINE");
    // A second link in another directory, and the first directory again through a symlink.
    let other = w.root().join("other");
    shim::link_as_go(&other);
    let alias = w.root().join("alias");
    std::os::unix::fs::symlink(w.shim_dir(), &alias).unwrap();
    let path = shim::path_of(&[&w.shim_dir(), &other, &alias, &w.real_dir()]);
    let w = w.env("PATH", &path);
    w.go(&["version"]).assert_success();
    assert_eq!(Path::new(&w.report().exe), w.real_dir().join("go"));

    let out = w.goshim(&["which"]);
    out.assert_success();
    assert_eq!(
        out.stdout().trim(),
        w.real_dir().join("go").display().to_string()
    );
    let err = out.stderr();
    assert_eq!(err.matches("goshim: skipped").count(), 3, "{err}");
    assert!(err.contains("is goshim itself"), "{err}");
    assert!(
        err.contains("is in a directory goshim is installed in"),
        "{err}"
    );
}

#[test]
fn goshim_go_pointing_at_the_shim_is_an_error_not_a_hang() {
    let w = world();
    let link = w.link().display().to_string();
    let w = w.env("GOSHIM_GO", &link);
    let out = w.go(&["version"]);
    out.assert_code(127);
    let err = out.stderr();
    assert!(err.contains("GOSHIM_GO points at goshim itself"), "{err}");
    assert!(!w.go_ran(), "go must not run");
}

#[test]
fn goshim_go_selects_the_real_go() {
    let w = world();
    let chosen = fake_go::install(&w.root().join("elsewhere"));
    let w = w.env("GOSHIM_GO", &chosen.display().to_string());
    w.go(&["version"]).assert_success();
    assert_eq!(Path::new(&w.report().exe), chosen);

    let out = w.goshim(&["which"]);
    assert_eq!(out.stdout().trim(), chosen.display().to_string());
    assert!(out.stderr().contains("chosen by GOSHIM_GO"));
}

#[test]
fn a_loop_through_a_wrapper_script_stops_with_a_clear_error() {
    let w = world();
    let script = w.root().join("loop-go");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec '{}' exec -- \"$@\"\n",
            shim::binary().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let w = w.env("GOSHIM_GO", &script.display().to_string());
    let start = Instant::now();
    let out = w.run_for(&mut w.go_command(&["version"]), Duration::from_secs(20));
    assert!(!out.timed_out(), "it hangs: {}", out.show());
    out.assert_code(2);
    let err = out.stderr();
    assert!(err.contains("goshim was entered 8 times in a row"), "{err}");
    assert!(err.contains("GOSHIM_GO"), "{err}");
    assert!(!w.go_ran(), "go must not run");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn no_real_go_exits_127_naming_what_was_skipped() {
    let w = world();
    let path = shim::path_of(&[&w.shim_dir()]);
    let w = w.env("PATH", &path);
    let out = w.go(&["version"]);
    out.assert_code(127);
    let err = out.stderr();
    assert!(
        err.starts_with("goshim: error: no real go found on PATH; skipped "),
        "{err}"
    );
    assert!(err.contains(&w.link().display().to_string()), "{err}");
    assert!(err.contains("set GOSHIM_GO"), "{err}");
    assert_eq!(err.lines().count(), 1, "one message: {err}");
}

#[test]
fn goshim_disable_is_a_pure_passthrough() {
    let w = world().env("GOSHIM_DISABLE", "1").env("GOPROXY", "off");
    w.go(&["mod", "download"]).assert_success();
    let report = w.report();
    let mut expected: std::collections::BTreeMap<String, String> =
        w.vars().iter().cloned().collect();
    expected.insert("GOSHIM_DEPTH".into(), "1".into());
    assert_eq!(report.env, expected);
}

#[test]
fn the_debug_trace_shows_the_decision_and_workspace_requirements_feed_it() {
    // The fake go has no Go tree beside it; go's own inspection needs one.
    let goroot = realgo::go().parent().unwrap().parent().unwrap();
    let w = world()
        .env("GOSHIM_LOG", "debug")
        .env("GOROOT", &goroot.display().to_string())
        .file("ws/go.work", "go 1.22\n\nuse ./a\n")
        .file(
            "ws/a/go.mod",
            "module example.com/a\n\ngo 1.22\n\nrequire tools.corp/lib v1.0.0\n",
        );
    let mut go = w.go_command(&["version"]);
    go.current_dir(w.proj().join("ws"));
    let out = w.run(&mut go);
    out.assert_success();
    let err = out.stderr();
    assert!(err.contains("goshim: debug: kept GOPROXY="), "{err}");
    assert!(
        err.contains("this command does not reach the network"),
        "{err}"
    );
    assert!(
        err.contains("goshim: debug: warning: tools.corp/lib looks private (host tools.corp)"),
        "a workspace module's requirement is checked like go.mod's: {err}"
    );
    assert!(
        !w.report().env.contains_key("GOPROXY"),
        "go version is left alone"
    );
}

#[test]
fn another_goshim_build_on_path_is_skipped() {
    let w = world().env_remove("GOSHIM_OFFLINE");
    // An older goshim (a copy, so not the same file) linked as `go` before the real go.
    let old = w.root().join("old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::copy(shim::binary(), old.join("goshim-0.0.9")).unwrap();
    std::os::unix::fs::symlink(old.join("goshim-0.0.9"), old.join("go")).unwrap();
    let path = shim::path_of(&[&w.shim_dir(), &old, &w.real_dir()]);
    let w = w.env("PATH", &path);
    let out = w.goshim(&["which"]);
    out.assert_success();
    assert_eq!(
        out.stdout().trim(),
        w.real_dir().join("go").display().to_string()
    );
    assert!(
        out.stderr().contains(&format!(
            "goshim: skipped {} (is another goshim binary)",
            old.join("go").display()
        )),
        "{}",
        out.show()
    );
}

#[test]
fn a_variable_that_is_not_utf8_passes_through_and_breaks_nothing() {
    let w = world();
    let bad = OsStr::from_bytes(b"caf\xe9");
    let mut go = w.go_command(&["mod", "download"]);
    go.env("LATIN1_VALUE", bad);
    w.run(&mut go).assert_success();
    assert_eq!(
        w.report().env.get("LATIN1_VALUE").map(String::as_str),
        Some("caf\u{fffd}")
    );
    for args in [
        &["route", "example.com/x"][..],
        &["probe", "--candidate", "file:///nonexistent"][..],
    ] {
        let mut cmd = w.goshim_command(args);
        cmd.env("LATIN1_VALUE", bad);
        let out = w.run(&mut cmd);
        assert!(
            !out.stderr().contains("panicked"),
            "goshim {args:?}: {}",
            out.stderr()
        );
        assert!(
            out.code().is_some_and(|c| c <= 2),
            "goshim {args:?}: {}",
            out.show()
        );
    }
}
