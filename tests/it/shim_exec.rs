//! The shim runs the real go exactly as if it were called directly: argv byte for byte, cwd,
//! environment, stdin, exit status and signals, the same process; and it finds the real go
//! behind links to itself without looping.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::fake_go::{self, Report};
use crate::support::shim;

/// A temp dir with a fake go in `real/` and goshim linked as `go` in `shim/`.
struct Bed {
    tmp: tempfile::TempDir,
    real_dir: PathBuf,
    shim_dir: PathBuf,
    link: PathBuf,
    report: PathBuf,
}

impl Bed {
    fn new() -> Bed {
        let tmp = tempfile::tempdir().unwrap();
        let real_dir = tmp.path().join("real");
        fake_go::install(&real_dir);
        let shim_dir = tmp.path().join("shim");
        let link = shim::link_as_go(&shim_dir);
        let report = tmp.path().join("report.json");
        Bed {
            tmp,
            real_dir,
            shim_dir,
            link,
            report,
        }
    }

    fn path(&self) -> String {
        shim::path_of(&[&self.shim_dir, &self.real_dir])
    }

    /// The base environment: PATH, where the fake go reports, and no probing (these tests are
    /// about the hand-over, not the decision).
    fn vars(&self) -> Vec<(String, String)> {
        vec![
            ("PATH".into(), self.path()),
            ("FAKE_GO_OUT".into(), self.report.display().to_string()),
            ("GOSHIM_OFFLINE".into(), "1".into()),
        ]
    }

    fn go(&self) -> Command {
        shim::command(&self.link, &self.vars())
    }

    fn read(&self) -> Report {
        Report::read(&self.report)
    }
}

/// Runs `cmd` and fails the test if it has not finished within `limit`.
fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output().unwrap()));
    rx.recv_timeout(limit).unwrap_or_else(|_| {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        panic!("command still running after {limit:?}: it hangs")
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn argv_reaches_go_byte_for_byte() {
    let bed = Bed::new();
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
    let status = bed.go().args(&args).status().unwrap();
    assert!(status.success());
    let report = bed.read();
    let want: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    assert_eq!(report.args, want);
    assert_eq!(report.argv0, bed.link.display().to_string());
}

#[test]
fn goshim_exec_passes_args_after_double_dash() {
    let bed = Bed::new();
    let status = shim::command(shim::binary(), &bed.vars())
        .args(["exec", "--", "mod", "download", "-x", "--help"])
        .status()
        .unwrap();
    assert!(status.success());
    let args: Vec<String> = bed
        .read()
        .args
        .into_iter()
        .map(|a| String::from_utf8(a).unwrap())
        .collect();
    assert_eq!(args, ["mod", "download", "-x", "--help"]);
}

#[test]
fn cwd_and_environment_are_kept_and_only_markers_added() {
    let bed = Bed::new();
    let work = bed.tmp.path().join("work dir");
    std::fs::create_dir_all(&work).unwrap();
    let mut vars = bed.vars();
    vars.extend([
        (
            "GOTOOLCHAIN_INTERNAL_SWITCH_VERSION".into(),
            "go1.99.0".into(),
        ),
        ("GOTOOLCHAIN_INTERNAL_SWITCH_COUNT".into(), "3".into()),
        ("GOFLAGS".into(), "-mod=mod".into()),
        ("EMPTY".into(), String::new()),
        ("WITH_NEWLINE".into(), "a\nb".into()),
    ]);
    let status = shim::command(&bed.link, &vars)
        .current_dir(&work)
        .arg("env")
        .status()
        .unwrap();
    assert!(status.success());
    let report = bed.read();
    assert_eq!(Path::new(&report.cwd), work.canonicalize().unwrap());
    let mut expected: std::collections::BTreeMap<String, String> = vars.into_iter().collect();
    expected.insert("GOSHIM_DEPTH".into(), "1".into());
    assert_eq!(
        report.env, expected,
        "go must see the caller's environment plus the depth marker"
    );
    assert!(!report.env.contains_key("GOROOT"));
}

#[test]
fn exit_codes_are_gos_own() {
    let bed = Bed::new();
    for code in [0, 1, 3, 255] {
        let status = bed
            .go()
            .arg("test")
            .env("FAKE_GO_EXIT", code.to_string())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "exit code {code}");
    }
}

#[test]
fn a_signal_death_is_gos_own() {
    let bed = Bed::new();
    let status = bed
        .go()
        .arg("test")
        .env("FAKE_GO_SIGNAL", "TERM")
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(15), "go died of SIGTERM: {status:?}");
}

#[test]
fn go_replaces_the_shim_process() {
    let bed = Bed::new();
    let child = bed.go().arg("version").spawn().unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(bed.read().pid, pid, "exec keeps the pid: no extra process");
}

#[test]
fn stdin_is_passed_through() {
    let bed = Bed::new();
    let mut child = bed
        .go()
        .args(["run", "."])
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
    let bed = Bed::new();
    let sub = bed.tmp.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let status = bed
        .go()
        .current_dir(bed.tmp.path())
        .args(["-C", "sub", "build", "./..."])
        .status()
        .unwrap();
    assert!(status.success());
    let report = bed.read();
    let args: Vec<String> = report
        .args
        .into_iter()
        .map(|a| String::from_utf8(a).unwrap())
        .collect();
    assert_eq!(args, ["-C", "sub", "build", "./..."]);
    assert_eq!(
        Path::new(&report.cwd),
        bed.tmp.path().canonicalize().unwrap(),
        "the shim must not change directory itself; go applies -C"
    );
}

#[test]
fn a_hard_linked_go_is_recognised_as_the_shim() {
    let bed = Bed::new();
    let hard_dir = bed.tmp.path().join("hard");
    let hard = shim::hardlink_as_go(&hard_dir);
    let path = shim::path_of(&[&hard_dir, &bed.real_dir]);
    let out = output_within(
        shim::command(
            &hard,
            &[
                ("PATH".into(), path),
                ("FAKE_GO_OUT".into(), bed.report.display().to_string()),
            ],
        )
        .arg("version"),
        Duration::from_secs(10),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(Path::new(&bed.read().exe), bed.real_dir.join("go"));
}

#[test]
fn the_shim_twice_on_path_is_skipped_both_times() {
    let bed = Bed::new();
    // A second link in another directory, and the first directory again through a symlink.
    let other = bed.tmp.path().join("other");
    shim::link_as_go(&other);
    let alias = bed.tmp.path().join("alias");
    std::os::unix::fs::symlink(&bed.shim_dir, &alias).unwrap();
    let path = shim::path_of(&[&bed.shim_dir, &other, &alias, &bed.real_dir]);
    let vars = vec![
        ("PATH".to_string(), path),
        ("FAKE_GO_OUT".to_string(), bed.report.display().to_string()),
    ];
    let out = output_within(
        shim::command(&bed.link, &vars).arg("version"),
        Duration::from_secs(10),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(Path::new(&bed.read().exe), bed.real_dir.join("go"));

    let out = output_within(
        shim::command(shim::binary(), &vars).arg("which"),
        Duration::from_secs(10),
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        bed.real_dir.join("go").display().to_string()
    );
    let err = stderr(&out);
    assert_eq!(err.matches("goshim: skipped").count(), 3, "{err}");
    assert!(err.contains("is goshim itself"), "{err}");
    assert!(
        err.contains("is in a directory goshim is installed in"),
        "{err}"
    );
}

#[test]
fn goshim_go_pointing_at_the_shim_is_an_error_not_a_hang() {
    let bed = Bed::new();
    let mut vars = bed.vars();
    vars.push(("GOSHIM_GO".into(), bed.link.display().to_string()));
    let out = output_within(
        shim::command(&bed.link, &vars).arg("version"),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(127));
    let err = stderr(&out);
    assert!(err.contains("GOSHIM_GO points at goshim itself"), "{err}");
    assert!(!bed.report.exists(), "go must not run");
}

#[test]
fn goshim_go_selects_the_real_go() {
    let bed = Bed::new();
    let elsewhere = bed.tmp.path().join("elsewhere");
    let chosen = fake_go::install(&elsewhere);
    let mut vars = bed.vars();
    vars.push(("GOSHIM_GO".into(), chosen.display().to_string()));
    let status = shim::command(&bed.link, &vars)
        .arg("version")
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(Path::new(&bed.read().exe), chosen);

    let out = shim::command(shim::binary(), &vars)
        .arg("which")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        chosen.display().to_string()
    );
    assert!(stderr(&out).contains("chosen by GOSHIM_GO"));
}

#[test]
fn a_loop_through_a_wrapper_script_stops_with_a_clear_error() {
    let bed = Bed::new();
    let script = bed.tmp.path().join("loop-go");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec '{}' exec -- \"$@\"\n",
            shim::binary().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut vars = bed.vars();
    vars.push(("GOSHIM_GO".into(), script.display().to_string()));
    let start = Instant::now();
    let out = output_within(
        shim::command(&bed.link, &vars).arg("version"),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("goshim was entered 8 times in a row"), "{err}");
    assert!(err.contains("GOSHIM_GO"), "{err}");
    assert!(!bed.report.exists(), "go must not run");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn no_real_go_exits_127_naming_what_was_skipped() {
    let bed = Bed::new();
    let vars = vec![("PATH".to_string(), shim::path_of(&[&bed.shim_dir]))];
    let out = output_within(
        shim::command(&bed.link, &vars).arg("version"),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(127));
    let err = stderr(&out);
    assert!(
        err.starts_with("goshim: error: no real go found on PATH; skipped "),
        "{err}"
    );
    assert!(err.contains(&bed.link.display().to_string()), "{err}");
    assert!(err.contains("set GOSHIM_GO"), "{err}");
    assert_eq!(err.lines().count(), 1, "one message: {err}");
}

#[test]
fn goshim_disable_is_a_pure_passthrough() {
    let bed = Bed::new();
    let mut vars = bed.vars();
    vars.push(("GOSHIM_DISABLE".into(), "1".into()));
    vars.push(("GOPROXY".into(), "off".into()));
    let status = shim::command(&bed.link, &vars)
        .args(["mod", "download"])
        .status()
        .unwrap();
    assert!(status.success());
    let report = bed.read();
    let mut expected: std::collections::BTreeMap<String, String> = vars.into_iter().collect();
    expected.insert("GOSHIM_DEPTH".into(), "1".into());
    assert_eq!(report.env, expected);
}

#[test]
fn the_debug_trace_shows_the_decision_and_workspace_requirements_feed_it() {
    let bed = Bed::new();
    let ws = bed.tmp.path().join("ws");
    std::fs::create_dir_all(ws.join("a")).unwrap();
    std::fs::write(ws.join("go.work"), "go 1.22\n\nuse ./a\n").unwrap();
    std::fs::write(
        ws.join("a/go.mod"),
        "module example.com/a\n\ngo 1.22\n\nrequire tools.corp/lib v1.0.0\n",
    )
    .unwrap();
    let mut vars = bed.vars();
    vars.push(("GOSHIM_LOG".into(), "debug".into()));
    vars.push((
        "HOME".into(),
        bed.tmp.path().join("home").display().to_string(),
    ));
    // The fake go has no Go tree beside it; go's own inspection needs one.
    let goroot = crate::support::realgo::go()
        .parent()
        .unwrap()
        .parent()
        .unwrap();
    vars.push(("GOROOT".into(), goroot.display().to_string()));
    let out = output_within(
        shim::command(&bed.link, &vars)
            .arg("version")
            .current_dir(&ws),
        Duration::from_secs(10),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("goshim: debug: kept GOPROXY="), "{err}");
    assert!(
        err.contains("this command does not reach the network"),
        "{err}"
    );
    assert!(
        err.contains("goshim: debug: warning: tools.corp/lib looks private (host tools.corp)"),
        "a workspace module's requirement is checked like go.mod's: {err}"
    );
    let report = bed.read();
    assert!(
        !report.env.contains_key("GOPROXY"),
        "go version is left alone"
    );
}

#[test]
fn another_goshim_build_on_path_is_skipped() {
    let bed = Bed::new();
    // An older goshim (a copy, so not the same file) linked as `go` before the real go.
    let old = bed.tmp.path().join("old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::copy(shim::binary(), old.join("goshim-0.0.9")).unwrap();
    std::os::unix::fs::symlink(old.join("goshim-0.0.9"), old.join("go")).unwrap();
    let vars = vec![
        (
            "PATH".to_string(),
            shim::path_of(&[&bed.shim_dir, &old, &bed.real_dir]),
        ),
        ("FAKE_GO_OUT".to_string(), bed.report.display().to_string()),
    ];
    let out = output_within(
        shim::command(shim::binary(), &vars).arg("which"),
        Duration::from_secs(10),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        bed.real_dir.join("go").display().to_string()
    );
    assert!(
        stderr(&out).contains(&format!(
            "goshim: skipped {} (is another goshim binary)",
            old.join("go").display()
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_variable_that_is_not_utf8_passes_through_and_breaks_nothing() {
    let bed = Bed::new();
    let bad = OsStr::from_bytes(b"caf\xe9");
    let status = bed
        .go()
        .arg("mod")
        .arg("download")
        .env("LATIN1_VALUE", bad)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        bed.read().env.get("LATIN1_VALUE").map(String::as_str),
        Some("caf\u{fffd}")
    );
    for args in [
        &["route", "example.com/x"][..],
        &["probe", "--candidate", "file:///nonexistent"][..],
    ] {
        let out = shim::command(shim::binary(), &bed.vars())
            .args(args)
            .env("LATIN1_VALUE", bad)
            .output()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "goshim {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.code().is_some_and(|c| c <= 2),
            "goshim {args:?}: {out:?}"
        );
    }
}
