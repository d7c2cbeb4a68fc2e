//! A version manager's shim as the real go (issue 13, item 1): the first `go` after goshim on
//! PATH is a wrapper script (asdf, goenv) or a link to the manager's binary (mise) that execs the
//! real go. goshim cannot derive GOROOT from such a path; it learns it once from the wrapper and
//! then decides exactly as for a plain install.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::modules::Module;
use crate::support::proxy::{Proxy, SumdbSupport};
use crate::support::realgo;
use crate::support::world::{Run, World, fast_config, write};

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
    w: World,
    /// Every invocation of the real go through the wrapper, one line of arguments each.
    calls: PathBuf,
    proxy: Proxy,
}

fn executable(path: &Path, text: &str) {
    write(path, text);
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

impl Bed {
    fn new(manager: Manager) -> Bed {
        let w = World::new().real_go();
        let home = w.home();
        let go = realgo::go().display().to_string();
        let calls = w.root().join("calls.log");
        let log = format!("echo \"$*\" >> '{}'\n", calls.display());
        let shims = match manager {
            Manager::Asdf => {
                let asdf = home.join(".asdf/bin/asdf");
                executable(
                    &asdf,
                    &format!(
                        "#!/usr/bin/env bash\n# asdf exec CMD ARGS\nshift\nshift\n{log}exec '{go}' \"$@\"\n"
                    ),
                );
                let shim = home.join(".asdf/shims/go");
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
                let libexec = home.join(".goenv/libexec/goenv");
                executable(
                    &libexec,
                    &format!(
                        "#!/usr/bin/env bash\nset -e\nshift\nshift\n{log}exec '{go}' \"$@\"\n"
                    ),
                );
                let shim = home.join(".goenv/shims/go");
                executable(
                    &shim,
                    &format!(
                        "#!/usr/bin/env bash\nset -e\n[ -n \"$GOENV_DEBUG\" ] && set -x\nprogram=\"${{0##*/}}\"\nexport GOENV_ROOT='{}'\nexec \"$GOENV_ROOT/libexec/goenv\" exec \"$program\" \"$@\"\n",
                        home.join(".goenv").display()
                    ),
                );
                shim.parent().unwrap().to_path_buf()
            }
            Manager::Mise => {
                let mise = home.join(".local/bin/mise");
                executable(
                    &mise,
                    &format!(
                        "#!/bin/sh\ncase \"${{0##*/}}\" in\n  go) {log}exec '{go}' \"$@\" ;;\n  *) echo mise: unknown tool >&2; exit 1 ;;\nesac\n"
                    ),
                );
                let shims = home.join(".local/share/mise/shims");
                std::fs::create_dir_all(&shims).unwrap();
                std::os::unix::fs::symlink(&mise, shims.join("go")).unwrap();
                shims
            }
        };
        let proxy = Proxy::serving([
            Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n"),
            Module::new("example.com/m", "v1.0.0").file("m.go", "package m\n"),
        ]);
        // It proxies the checksum database too, so doctor has nothing to warn about.
        proxy.set_sumdb(SumdbSupport::Supported);
        // goshim first, then the manager's shims; the real go is not on PATH at all.
        let path = format!(
            "{}:{}:/usr/bin:/bin",
            w.shim_dir().display(),
            shims.display()
        );
        let w = w
            .env("PATH", &path)
            .user_config(&fast_config(&[&proxy.url()], "", ""));
        Bed { w, calls, proxy }
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

fn assert_ok(out: &Run, what: &str) {
    assert_eq!(out.code(), Some(0), "{what}: {}", out.show());
}

fn decides_through(manager: Manager) {
    let bed = Bed::new(manager);
    let proxy = bed.proxy.url();

    let env = bed.w.goshim(&["env"]);
    assert_ok(&env, "goshim env");
    let exports = env.stdout();
    assert!(
        exports.contains(&format!("export GOPROXY='{proxy}'")),
        "{manager:?}: goshim env decided nothing: {}",
        env.show()
    );

    let doctor = bed.w.goshim(&["doctor"]);
    let report = doctor.stdout();
    assert!(
        !report.contains("will fail") && !report.contains("cannot find GOROOT"),
        "{manager:?}: doctor predicts a failure go does not have:\n{report}"
    );
    assert_ok(&doctor, "goshim doctor");

    let route = bed.w.goshim(&["route", "example.com/m@v1.0.0"]);
    assert_ok(&route, "goshim route");
    let route = route.stdout();
    assert!(!route.contains("rejects"), "{manager:?}: {route}");
    assert!(route.contains(&proxy), "{manager:?}: {route}");

    let Bed { w, calls, proxy: p } = bed;
    let bed = Bed {
        w: w.env("GONOSUMDB", "example.com"),
        calls,
        proxy: p,
    };
    let download = bed
        .w
        .go(&["mod", "download", "-json", "example.com/m@v1.0.0"]);
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
    assert_ok(&bed.w.goshim(&["env"]), "goshim env");
    write(&bed.w.proj().join(".tool-versions"), "golang 1.27.3\n");
    assert_ok(&bed.w.goshim(&["env"]), "goshim env");
    assert_ok(&bed.w.goshim(&["env"]), "goshim env");
    assert_eq!(bed.goroot_questions(), 2);
}

#[test]
fn a_broken_wrapper_is_named_and_go_still_runs() {
    let bed = Bed::new(Manager::Asdf);
    // asdf without a version chosen for this directory: every command fails, go included.
    let asdf = bed.w.home().join(".asdf/bin/asdf");
    executable(
        &asdf,
        "#!/usr/bin/env bash\necho 'No version is set for command go' >&2\nexit 126\n",
    );
    let doctor = bed.w.goshim(&["doctor"]);
    let report = doctor.stdout();
    assert!(
        report.contains("env GOROOT` failed: No version is set for command go"),
        "{report}"
    );
    let version = bed.w.go(&["version"]);
    assert_eq!(version.code(), Some(126));
    assert!(
        version
            .stderr()
            .contains("No version is set for command go"),
        "{}",
        version.show()
    );
}
