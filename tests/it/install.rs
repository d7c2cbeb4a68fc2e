//! `goshim install` / `uninstall`: the `go` link, idempotence, never replacing a real go, and
//! the PATH advice.

use std::path::Path;
use std::process::Output;

use crate::support::{fake_go, shim};

fn run(args: &[&str], vars: &[(String, String)]) -> Output {
    shim::command(shim::binary(), vars)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn base_vars(tmp: &Path, path: &str) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), path.into()),
        ("HOME".into(), tmp.display().to_string()),
        (
            "XDG_DATA_HOME".into(),
            tmp.join("data").display().to_string(),
        ),
        ("SHELL".into(), "/bin/bash".into()),
    ]
}

#[test]
fn install_links_go_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    fake_go::install(&real);
    let dir = tmp.path().join("data/goshim/bin");
    let vars = base_vars(tmp.path(), &shim::path_of(&[&dir, &real]));

    let out = run(&["install"], &vars);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let link = dir.join("go");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        shim::binary().canonicalize().unwrap()
    );
    assert_eq!(
        text(&out.stdout),
        format!("export PATH=\"{}:$PATH\"\n", dir.display())
    );
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );

    let again = run(&["install"], &vars);
    assert!(again.status.success());
    assert!(text(&again.stderr).contains("already links to goshim"));

    let out = run(&["uninstall"], &vars);
    assert!(out.status.success());
    assert!(std::fs::symlink_metadata(&link).is_err(), "link removed");
}

#[test]
fn install_prints_the_fish_line_for_fish_users() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bin");
    let mut vars = base_vars(tmp.path(), &shim::path_of(&[&dir]));
    vars.push(("SHELL".into(), "/usr/bin/fish".into()));
    let out = run(&["install", "--dir", dir.to_str().unwrap()], &vars);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        format!("fish_add_path --prepend --path '{}'\n", dir.display())
    );
}

#[test]
fn install_never_replaces_a_real_go() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bin");
    let real = fake_go::install(&dir);
    let before = std::fs::read(&real).unwrap();
    let vars = base_vars(tmp.path(), &shim::path_of(&[&dir]));
    for args in [vec!["install"], vec!["install", "--force"]] {
        let mut args = args;
        args.extend(["--dir", dir.to_str().unwrap()]);
        let out = run(&args, &vars);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).contains("is not goshim (a real go?); not overwriting it"));
    }
    assert_eq!(
        std::fs::read(&real).unwrap(),
        before,
        "the real go is untouched"
    );

    let out = run(&["uninstall", "--dir", dir.to_str().unwrap()], &vars);
    assert_eq!(out.status.code(), Some(1));
    assert!(real.exists(), "uninstall leaves a real go alone");
}

#[test]
fn a_stale_link_is_replaced_only_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("old/goshim"), dir.join("go")).unwrap();
    let vars = base_vars(tmp.path(), &shim::path_of(&[&dir]));
    let out = run(&["install", "--dir", dir.to_str().unwrap()], &vars);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("rerun with --force"));
    let out = run(
        &["install", "--force", "--dir", dir.to_str().unwrap()],
        &vars,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_link(dir.join("go")).unwrap(),
        shim::binary().canonicalize().unwrap()
    );
}

#[test]
fn install_warns_when_the_real_go_comes_first_or_dir_is_not_on_path() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    fake_go::install(&real);
    let dir = tmp.path().join("bin");

    let vars = base_vars(tmp.path(), &shim::path_of(&[&real, &dir]));
    let out = run(&["install", "--dir", dir.to_str().unwrap()], &vars);
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "warning: {} comes before {} on PATH",
            real.canonicalize().unwrap().display(),
            dir.display()
        )),
        "{err}"
    );

    let vars = base_vars(tmp.path(), &shim::path_of(&[&real]));
    let out = run(&["install", "--dir", dir.to_str().unwrap()], &vars);
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("is not on PATH yet"));
}
