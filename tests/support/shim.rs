//! Running goshim the ways users do: as `goshim`, or through a link named `go`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The goshim binary under test.
pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_goshim"))
}

/// Symlinks `go` in `dir` to goshim and returns the link.
pub fn link_as_go(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let link = dir.join("go");
    std::os::unix::fs::symlink(binary(), &link).unwrap();
    link
}

/// Hard-links `go` in `dir` to a copy of goshim (hard links cannot cross into target/).
pub fn hardlink_as_go(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let copy = dir.join("goshim");
    std::fs::copy(binary(), &copy).unwrap();
    let link = dir.join("go");
    std::fs::hard_link(&copy, &link).unwrap();
    link
}

/// A command with an empty environment apart from `vars`.
pub fn command(program: &Path, vars: &[(String, String)]) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

/// Joins directories into a PATH value.
pub fn path_of(dirs: &[&Path]) -> String {
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}
