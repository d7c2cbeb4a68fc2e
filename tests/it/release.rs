//! Releases (issue 13): the version line (`--version`, `goshim version`) with its commit and
//! target, the build script's answer without `.git`, the man pages, the release archive and its
//! agreement with `cargo binstall`'s metadata, and the release workflow's validity.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::tools;
use crate::support::shim;

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// `goshim 0.1.0 (commit 0123456789ab, x86_64-unknown-linux-gnu)` → (version, commit, target).
fn parse_version(line: &str) -> (String, String, String) {
    let rest = line
        .strip_prefix("goshim ")
        .and_then(|r| r.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{line:?}"));
    let (version, rest) = rest.split_once(" (commit ").unwrap();
    let (commit, target) = rest.split_once(", ").unwrap();
    (version.into(), commit.into(), target.into())
}

/// The version line names the package version, the commit the binary was built from (HEAD of
/// this work tree) and the target triple; `goshim version` (as Go users type it) prints the
/// same line.
#[test]
fn version_names_commit_and_target() {
    let line = stdout(&run(Command::new(shim::binary()).arg("--version")));
    assert_eq!(
        stdout(&run(Command::new(shim::binary()).arg("version"))),
        line
    );
    let (version, commit, target) = parse_version(&line);
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let head = run(Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(tools::repo()));
    assert_eq!(commit, stdout(&head).trim(), "{line}");
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains(std::env::consts::OS),
        "{line}"
    );
}

/// The build script alone (compiled with rustc, as cargo would), run the way cargo runs it for
/// a source tarball without `.git`, for a tarball unpacked inside another repository, with the
/// `GOSHIM_BUILD_COMMIT` override, and in a git work tree.
#[test]
fn build_script_commit_without_git() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let script = root.join("build-script");
    run(Command::new("rustc")
        .args(["--edition", "2024", "-o"])
        .arg(&script)
        .arg(tools::repo().join("build.rs")));
    let commit_of = |dir: &Path, commit_override: Option<&str>| -> (String, Vec<String>) {
        let mut cmd = Command::new(&script);
        cmd.env("CARGO_MANIFEST_DIR", dir)
            .env("TARGET", "riscv64gc-unknown-linux-musl")
            .env_remove("GOSHIM_BUILD_COMMIT")
            .env_remove("GIT_DIR")
            .current_dir(dir);
        if let Some(commit) = commit_override {
            cmd.env("GOSHIM_BUILD_COMMIT", commit);
        }
        let out = stdout(&run(&mut cmd));
        assert!(
            out.contains("cargo:rustc-env=GOSHIM_TARGET=riscv64gc-unknown-linux-musl\n"),
            "{out}"
        );
        assert!(
            out.contains("cargo:rerun-if-env-changed=GOSHIM_BUILD_COMMIT\n"),
            "{out}"
        );
        let commit = out
            .lines()
            .find_map(|l| l.strip_prefix("cargo:rustc-env=GOSHIM_COMMIT="))
            .unwrap_or_else(|| panic!("{out}"))
            .to_string();
        let watched = out
            .lines()
            .filter_map(|l| l.strip_prefix("cargo:rerun-if-changed="))
            .map(str::to_string)
            .collect();
        (commit, watched)
    };
    let git = |dir: &Path, args: &[&str]| {
        stdout(&run(Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)))
    };

    let tarball = root.join("goshim-0.1.0");
    std::fs::create_dir_all(&tarball).unwrap();
    assert_eq!(commit_of(&tarball, None), ("unknown".into(), vec![]));
    assert_eq!(commit_of(&tarball, Some("0123abc")).0, "0123abc");

    // Unpacked inside another repository: that repository's HEAD is not goshim's commit.
    let outer = root.join("outer");
    let inside = outer.join("vendor/goshim-0.1.0");
    std::fs::create_dir_all(&inside).unwrap();
    git(&outer, &["init", "-q"]);
    git(&outer, &["commit", "-q", "--allow-empty", "-m", "outer"]);
    assert_eq!(commit_of(&inside, None).0, "unknown");

    // A work tree whose top is the package: its HEAD, and HEAD's files are watched.
    let (commit, watched) = commit_of(&outer, None);
    assert_eq!(
        commit,
        git(&outer, &["rev-parse", "--short=12", "HEAD"]).trim()
    );
    let head = outer.join(".git/HEAD").display().to_string();
    assert!(watched.contains(&head), "{watched:?}");
}

/// `goshim man DIR` writes goshim.1 and a page per visible subcommand (the hidden `man` has
/// none), each a man(7) page whose title is its own name.
#[test]
fn man_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man");
    run(Command::new(shim::binary()).arg("man").arg(&dir));
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    for page in [
        "goshim.1",
        "goshim-env.1",
        "goshim-doctor.1",
        "goshim-version.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{page} missing: {pages:?}");
    }
    assert!(!pages.iter().any(|p| p == "goshim-man.1"), "{pages:?}");
    for page in &pages {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        let title = page.strip_suffix(".1").unwrap();
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!(".TH {title} 1 "))),
            "{page}:\n{text}"
        );
        assert!(text.contains("\n.SH NAME\n"), "{page}");
    }
    let top = std::fs::read_to_string(dir.join("goshim.1")).unwrap();
    assert!(top.contains("goshim\\-env(1)"), "{top}");
}

/// `[package.metadata.binstall]`: pkg-url and bin-dir with binstall's placeholders filled in.
fn binstall_paths(version: &str, target: &str) -> (String, String) {
    let manifest: toml::Table = std::fs::read_to_string(tools::repo().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let package = manifest["package"].as_table().unwrap();
    let repo = package["repository"].as_str().unwrap();
    assert_eq!(repo, "https://github.com/goshim/goshim");
    assert_eq!(package["homepage"].as_str(), Some(repo));
    let binstall = package["metadata"]["binstall"].as_table().unwrap();
    assert_eq!(binstall["pkg-fmt"].as_str(), Some("tgz"));
    let fill = |template: &str| {
        template
            .replace("{ repo }", repo)
            .replace("{ name }", "goshim")
            .replace("{ version }", version)
            .replace("{ target }", target)
            .replace("{ bin }", "goshim")
            .replace("{ binary-ext }", "")
    };
    let url = fill(binstall["pkg-url"].as_str().unwrap());
    let bin = fill(binstall["bin-dir"].as_str().unwrap());
    assert!(!url.contains('{') && !bin.contains('{'), "{url} {bin}");
    (url, bin)
}

/// scripts/release-archive.sh (what the release workflow runs for each target) packs the built
/// binary as `cargo binstall` will look for it: the archive's name is the last part of the
/// metadata's pkg-url under the release tag, the binary sits at its bin-dir and runs, the man
/// pages and README are in it, and the .sha256 file checks with `shasum -a 256 -c`.
#[test]
fn release_archive_is_what_binstall_expects() {
    let line = stdout(&run(Command::new(shim::binary()).arg("--version")));
    let (version, _, target) = parse_version(&line);
    let (url, bin_dir) = binstall_paths(&version, &target);
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    let out = run(
        Command::new(tools::repo().join("scripts/release-archive.sh"))
            .arg(shim::binary())
            .arg(&target)
            .arg(&dist),
    );
    let archive = PathBuf::from(stdout(&out).trim());
    let name = archive.file_name().unwrap().to_str().unwrap();
    assert_eq!(
        url,
        format!("https://github.com/goshim/goshim/releases/download/v{version}/{name}")
    );
    run(Command::new("shasum")
        .args(["-a", "256", "-c"])
        .arg(format!("{name}.sha256"))
        .current_dir(&dist));

    let unpacked = tmp.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked));
    let installed = unpacked.join(&bin_dir);
    assert_eq!(
        stdout(&run(Command::new(&installed).arg("--version"))),
        line
    );
    let top = Path::new(&bin_dir).parent().unwrap();
    for file in ["man/goshim.1", "man/goshim-env.1", "README.md"] {
        assert!(unpacked.join(top).join(file).is_file(), "{file} missing");
    }

    // A binary for another target, or a Linux musl build that is not static, is refused.
    let r = Command::new(tools::repo().join("scripts/release-archive.sh"))
        .arg(shim::binary())
        .arg("aarch64-apple-darwin")
        .arg(&dist)
        .output()
        .unwrap();
    assert!(!r.status.success());
    assert!(
        String::from_utf8_lossy(&r.stderr).contains(&format!("was built for {target}")),
        "{r:?}"
    );
    let fake = tmp.path().join("goshim");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'goshim 0.1.0 (commit 0123456789ab, x86_64-unknown-linux-musl)'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = Command::new(tools::repo().join("scripts/release-archive.sh"))
        .arg(&fake)
        .arg("x86_64-unknown-linux-musl")
        .arg(&dist)
        .output()
        .unwrap();
    assert!(!r.status.success());
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("is not statically linked"),
        "{r:?}"
    );
}

/// The release workflow is a valid workflow (GitHub's schema, actionlint with shellcheck), and
/// it builds each target with the packing script above and uploads what that script writes.
#[test]
fn release_workflow_is_valid() {
    let workflow = tools::repo().join(".github/workflows/release.yml");
    tools::lint_workflow(&workflow);
    let text = std::fs::read_to_string(&workflow).unwrap();
    for needle in [
        "target: x86_64-unknown-linux-musl",
        "target: aarch64-unknown-linux-musl",
        "target: x86_64-apple-darwin",
        "target: aarch64-apple-darwin",
        "scripts/release-archive.sh \"target/$TARGET/release/goshim\" \"$TARGET\" dist",
        "gh release upload \"$TAG\" dist/*.tar.gz dist/*.tar.gz.sha256",
    ] {
        assert!(text.contains(needle), "{needle:?} not in release.yml");
    }
}
