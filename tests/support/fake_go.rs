//! The fake `go`: compiled once per test run from `fake_go_main.rs`, copied into test dirs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;

/// The compiled fake go binary.
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fake_go_main.rs");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fake-go-bin");
        let tmp = out.with_extension(format!("{}", std::process::id()));
        let status = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .args(["--edition", "2021", "-O", "-o"])
            .arg(&tmp)
            .arg(&src)
            .status()
            .expect("run rustc for the fake go");
        assert!(status.success(), "compiling the fake go failed");
        std::fs::rename(&tmp, &out).unwrap();
        out
    })
}

/// Puts a fake go named `go` in `dir` and returns its path.
pub fn install(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let dest = dir.join("go");
    std::fs::copy(binary(), &dest).unwrap();
    dest
}

/// What the fake go received.
#[derive(Debug, Deserialize)]
pub struct Report {
    pub argv0: String,
    pub args: Vec<Vec<u8>>,
    pub cwd: String,
    pub exe: String,
    pub pid: u32,
    pub env: BTreeMap<String, String>,
}

impl Report {
    pub fn read(path: &Path) -> Report {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("the fake go left no report at {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap()
    }
}
