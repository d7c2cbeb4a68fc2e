//! Build script: the commit and target triple that `goshim --version` prints.
//!
//! The commit is `GOSHIM_BUILD_COMMIT` when set (release builds, or a build from a source
//! tarball whose commit is known), else HEAD of the git work tree whose top is this package
//! (abbreviated to 12 hex digits), else `unknown` — a tarball without `.git`, or one unpacked
//! inside some other repository. Only std: the tests compile this file alone with rustc.

// clippy.toml keeps goshim itself from reading the environment directly; a build script's
// inputs are cargo's environment variables.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=GOSHIM_BUILD_COMMIT");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let commit = match std::env::var("GOSHIM_BUILD_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_string(),
        _ => head_commit(&dir).unwrap_or_else(|| "unknown".into()),
    };
    println!("cargo:rustc-env=GOSHIM_COMMIT={commit}");
    let target = std::env::var("TARGET").expect("TARGET");
    println!("cargo:rustc-env=GOSHIM_TARGET={target}");
}

/// `git args…` in `dir`: its trimmed stdout, or None when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

/// HEAD's commit when `dir` is the top of a git work tree. Asks cargo to run this script again
/// when HEAD moves (a commit, checkout or reset writes HEAD's reflog or the branch's ref).
fn head_commit(dir: &Path) -> Option<String> {
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let mut watched = vec!["HEAD".to_string(), "logs/HEAD".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", &name]) {
            let path = dir.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    git(dir, &["rev-parse", "--short=12", "HEAD"])
}
