//! The programs the shell, CI-recipe and release tests run besides goshim and go. Each one is
//! installed by `scripts/test.sh`; a missing one fails the test with the command that installs
//! it, never skips it.

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The PyPI packages scripts/test.sh installs with `pip --target .tools/py`.
pub fn python_dir() -> PathBuf {
    let dir = repo().join(".tools/py");
    assert!(
        dir.join("bin").is_dir(),
        "{} is missing: run scripts/test.sh (it pip-installs the linters there)",
        dir.display()
    );
    dir
}

/// A command from those PyPI packages, with PYTHONPATH set so its Python modules load.
pub fn python_tool(name: &str) -> Command {
    let dir = python_dir();
    let program = dir.join("bin").join(name);
    assert!(
        program.is_file(),
        "{} is missing: run scripts/test.sh",
        program.display()
    );
    let mut cmd = Command::new(program);
    cmd.env("PYTHONPATH", &dir);
    cmd
}

/// Validates a GitHub Actions workflow file: against GitHub's workflow schema (check-jsonschema's
/// vendored copy, offline) and with actionlint (expressions, contexts, runner labels, action
/// inputs, and shellcheck on every `run:` script). Panics with their findings.
pub fn lint_workflow(path: &Path) {
    let r = python_tool("check-jsonschema")
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "check-jsonschema rejects {}:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    let shellcheck = system("shellcheck", "shellcheck");
    let r = python_tool("actionlint")
        .arg("-no-color")
        .arg(format!("-shellcheck={}", shellcheck.display()))
        .arg(path)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "actionlint rejects {}:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
}
