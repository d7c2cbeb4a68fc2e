//! The programs the shell, CI-recipe and release tests run besides goshim and go. Each one is
//! installed by `scripts/test.sh`; a missing one fails the test with the command that installs
//! it, never skips it.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A program from a Debian package, e.g. `zsh`, `fish`, `script` (util-linux).
pub fn system(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/bin", "/bin", "/usr/local/bin"] {
        let path = Path::new(dir).join(name);
        if path.is_file() {
            return path;
        }
    }
    panic!("{name} is missing: apt-get install -y {package} (scripts/test.sh installs it)")
}
