//! The shell and CI recipes in `shims/`: direnv's `use goshim` with the real direnv,
//! `shims/ci/install-goshim.sh` and `shims/activate.bash`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{config, healthy_world, probe_module, world};
use crate::support::{realgo, shim};

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
    // An image's PATH: goshim's bin directory (still empty) before the real go.
    let go_dir = realgo::go().parent().unwrap().display().to_string();
    let w = w.env(
        "PATH",
        &format!("{}:{go_dir}:/usr/bin:/bin", bindir.display()),
    );
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
    let w = w.env("GOSHIM_TRUST_ALL", "1");
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
