//! A version manager's shim as the real go (issue 13, item 1): the first `go` after goshim on
//! PATH is a wrapper script (asdf, goenv) or a link to the manager's binary (mise) that execs the
//! real go. goshim cannot derive GOROOT from such a path; it learns it once from the wrapper and
//! then decides exactly as for a plain install.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::bounded::{self, Bounded};
use crate::support::modules::Module;
use crate::support::proxy::{Proxy, SumdbSupport};
use crate::support::sandbox::Sandbox;
use crate::support::{realgo, shim};

const LIMIT: Duration = Duration::from_secs(30);

/// The shapes of the wrappers users have first on PATH after goshim.
#[derive(Clone, Copy, Debug)]
enum Manager {
    /// `~/.asdf/shims/go`: a bash script that runs `asdf exec go "$@"`.
    Asdf,
    /// `~/.goenv/shims/go`: a bash script that runs `goenv exec go "$@"`.
    Goenv,
    /// `~/.local/share/mise/shims/go`: a symlink to the `mise` binary, which dispatches on argv[0].
    Mise,
}

struct Bed {
    sandbox: Sandbox,
    env: Vec<(String, String)>,
    /// Every invocation of the real go through the wrapper, one line of arguments each.
    calls: PathBuf,
    proxy: Proxy,
}

fn executable(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

impl Bed {
    fn new(manager: Manager) -> Bed {
        let sandbox = Sandbox::new();
        let root = sandbox.root.clone();
        let go = realgo::go().display().to_string();
        let calls = root.join("calls.log");
        let log = format!("echo \"$*\" >> '{}'\n", calls.display());
        let shims = match manager {
            Manager::Asdf => {
                let asdf = root.join("home/.asdf/bin/asdf");
                executable(
                    &asdf,
                    &format!(
                        "#!/usr/bin/env bash\n# asdf exec CMD ARGS\nshift\nshift\n{log}exec '{go}' \"$@\"\n"
                    ),
                );
                let shim = root.join("home/.asdf/shims/go");
                executable(
                    &shim,
                    &format!(
                        "#!/usr/bin/env bash\n# asdf-plugin: golang 1.27.3\nexec '{}' exec \"go\" \"$@\"\n",
                        asdf.display()
                    ),
                );
                shim.parent().unwrap().to_path_buf()
            }
            Manager::Goenv => {
                let libexec = root.join("home/.goenv/libexec/goenv");
                executable(
                    &libexec,
                    &format!(
                        "#!/usr/bin/env bash\nset -e\nshift\nshift\n{log}exec '{go}' \"$@\"\n"
                    ),
                );
                let shim = root.join("home/.goenv/shims/go");
                executable(
                    &shim,
                    &format!(
                        "#!/usr/bin/env bash\nset -e\n[ -n \"$GOENV_DEBUG\" ] && set -x\nprogram=\"${{0##*/}}\"\nexport GOENV_ROOT='{}'\nexec \"$GOENV_ROOT/libexec/goenv\" exec \"$program\" \"$@\"\n",
                        root.join("home/.goenv").display()
                    ),
                );
                shim.parent().unwrap().to_path_buf()
            }
            Manager::Mise => {
                let mise = root.join("home/.local/bin/mise");
                executable(
                    &mise,
                    &format!(
                        "#!/bin/sh\ncase \"${{0##*/}}\" in\n  go) {log}exec '{go}' \"$@\" ;;\n  *) echo mise: unknown tool >&2; exit 1 ;;\nesac\n"
                    ),
                );
                let shims = root.join("home/.local/share/mise/shims");
                std::fs::create_dir_all(&shims).unwrap();
                std::os::unix::fs::symlink(&mise, shims.join("go")).unwrap();
                shims
            }
        };
        let mut env = sandbox.env.clone();
        for (k, v) in &mut env {
            if k == "PATH" {
                // goshim first, then the manager's shims; the real go is not on PATH at all.
                *v = format!(
                    "{}:{}:/usr/bin:/bin",
                    sandbox.link.parent().unwrap().display(),
                    shims.display()
                );
            }
        }
        let proxy = Proxy::serving([
            Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n"),
            Module::new("example.com/m", "v1.0.0").file("m.go", "package m\n"),
        ]);
        // It proxies the checksum database too, so doctor has nothing to warn about.
        proxy.set_sumdb(SumdbSupport::Supported);
        let config = root.join("home/.config/goshim/config.toml");
        std::fs::create_dir_all(config.parent().unwrap()).unwrap();
        std::fs::write(
            &config,
            format!(
                "[proxy]\ncandidates = [\"{}\"]\ndirect = false\n\n[health]\nprobe = \"example.com/probe@v1.0.0\"\ntimeout = \"1s\"\ndeadline = \"2s\"\n",
                proxy.url()
            ),
        )
        .unwrap();
        Bed {
            sandbox,
            env,
            calls,
            proxy,
        }
    }

    fn run(&self, program: &Path, args: &[&str]) -> Bounded {
        let mut cmd = shim::command(program, &self.env);
        cmd.args(args).current_dir(&self.sandbox.proj);
        bounded::run(&mut cmd, LIMIT)
    }

    fn goshim(&self, args: &[&str]) -> Bounded {
        self.run(shim::binary(), args)
    }

    fn go(&self, args: &[&str]) -> Bounded {
        self.run(&self.sandbox.link, args)
    }

    /// How often goshim asked the wrapper for its GOROOT.
    fn goroot_questions(&self) -> usize {
        std::fs::read_to_string(&self.calls)
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == "env GOROOT")
            .count()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_ok(out: &Bounded, what: &str) {
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(0),
        "{what}: stdout {}\nstderr {}",
        text(&out.stdout),
        out.stderr_text()
    );
}

fn decides_through(manager: Manager) {
    let bed = Bed::new(manager);
    let proxy = bed.proxy.url();

    let env = bed.goshim(&["env"]);
    assert_ok(&env, "goshim env");
    let exports = text(&env.stdout);
    assert!(
        exports.contains(&format!("export GOPROXY='{proxy}'")),
        "{manager:?}: goshim env decided nothing:\n{exports}{}",
        env.stderr_text()
    );

    let doctor = bed.goshim(&["doctor"]);
    let report = text(&doctor.stdout);
    assert!(
        !report.contains("will fail") && !report.contains("cannot find GOROOT"),
        "{manager:?}: doctor predicts a failure go does not have:\n{report}"
    );
    assert_ok(&doctor, "goshim doctor");

    let route = bed.goshim(&["route", "example.com/m@v1.0.0"]);
    assert_ok(&route, "goshim route");
    let route = text(&route.stdout);
    assert!(!route.contains("rejects"), "{manager:?}: {route}");
    assert!(route.contains(&proxy), "{manager:?}: {route}");

    let mut bed = bed;
    bed.env.push(("GONOSUMDB".into(), "example.com".into()));
    let download = bed.go(&["mod", "download", "-json", "example.com/m@v1.0.0"]);
    assert_ok(&download, "go mod download through goshim and the wrapper");
    assert!(bed.proxy.saw("/example.com/m/@v/v1.0.0.zip"));

    assert_eq!(
        bed.goroot_questions(),
        1,
        "{manager:?}: the wrapper's GOROOT is learned once and cached"
    );
}

#[test]
fn an_asdf_shim_is_a_real_go() {
    decides_through(Manager::Asdf);
}

#[test]
fn a_goenv_shim_is_a_real_go() {
    decides_through(Manager::Goenv);
}

#[test]
fn a_mise_shim_is_a_real_go() {
    decides_through(Manager::Mise);
}

#[test]
fn a_new_version_file_asks_the_wrapper_again() {
    let bed = Bed::new(Manager::Asdf);
    assert_ok(&bed.goshim(&["env"]), "goshim env");
    std::fs::write(bed.sandbox.proj.join(".tool-versions"), "golang 1.27.3\n").unwrap();
    assert_ok(&bed.goshim(&["env"]), "goshim env");
    assert_ok(&bed.goshim(&["env"]), "goshim env");
    assert_eq!(bed.goroot_questions(), 2);
}

#[test]
fn a_broken_wrapper_is_named_and_go_still_runs() {
    let bed = Bed::new(Manager::Asdf);
    // asdf without a version chosen for this directory: every command fails, go included.
    let asdf = bed.sandbox.root.join("home/.asdf/bin/asdf");
    executable(
        &asdf,
        "#!/usr/bin/env bash\necho 'No version is set for command go' >&2\nexit 126\n",
    );
    let doctor = bed.goshim(&["doctor"]);
    let report = text(&doctor.stdout);
    assert!(
        report.contains("env GOROOT` failed: No version is set for command go"),
        "{report}"
    );
    let version = bed.go(&["version"]);
    assert_eq!(version.status.and_then(|s| s.code()), Some(126));
    assert!(
        version
            .stderr_text()
            .contains("No version is set for command go"),
        "{}",
        version.stderr_text()
    );
}
