//! go.sum files as go reads them to check a download: cmd/go `modfetch/fetch.go`
//! (`readGoSum`, `initGoSum`, `haveModSumLocked`, `checkModSum`) and `modload/init.go`
//! `loadModFile` (which files it reads).
//!
//! Which files: in module mode the main module's `go.sum` (next to its go.mod); in workspace
//! mode `go.work.sum` (next to go.work) as the main file, plus every workspace module's `go.sum`.
//! Outside a module go reads none. A missing file counts as empty, as in go.
//!
//! A line is `<module path> <version> <hash>` (`<version>/go.mod` for the `.mod` file's hash),
//! fields split on white space; blank lines are skipped. go stops on a line with another number
//! of fields ("malformed go.sum"), except in `go mod tidy`; this reader skips such lines, so go
//! stays the one that reports them. The hash of an empty go.mod that an old go bug wrote
//! (`emptyGoModHash`) is dropped, as go drops it.
//!
//! Several hashes for one module version (`haveModSumLocked`), for a downloaded hash `h`:
//! - main file: the listed hashes are tried in file order; `h` itself means "listed"; the first
//!   other `h1:` hash means "checksum mismatch" (go stops, SECURITY ERROR) even when a later
//!   line lists `h`. Hashes of other algorithms (`h2:`…) are skipped.
//! - workspace modules' files (only when the main file decided nothing): every `h1:` hash in
//!   every file must equal `h`; any other is a mismatch. `h` in any file means "listed".
//! - nothing listed: go asks the checksum database (`checkSumDB`), unless GONOSUMDB or
//!   GOSUMDB=off says not to.
//!
//! ```no_run
//! use std::path::Path;
//! use goshim::goenv::gosum::{GoSum, SumCheck, SumFiles, SumKind};
//!
//! let files = SumFiles::module(Path::new("/src/app/go.mod"));
//! let sums = GoSum::read(&files).unwrap();
//! let h1 = "h1:tpqYOOmuilagXzyqoJ3roUjp8gneQeTv5YVpL6BG7/k=";
//! match sums.check("example.com/m", "v1.0.0", SumKind::Zip, h1) {
//!     SumCheck::Listed => {}                              // go accepts it
//!     SumCheck::Mismatch { file, listed } => { let _ = (file, listed); } // go refuses it
//!     SumCheck::NotListed => {}                           // the checksum database decides
//! }
//! let expected: Option<&str> = sums.expected("example.com/m", "v1.0.0", SumKind::GoMod);
//! # let _ = expected;
//! ```

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::project::Project;

/// The largest go.sum (or go.work.sum) read: 64 MiB. Real ones are a few MB at most.
pub const MAX_GO_SUM_BYTES: u64 = 64 << 20;

/// The hash of a 1-file tree holding an empty go.mod, which an old go bug wrote into go.sum
/// files; go ignores such lines (`modfetch/fetch.go emptyGoModHash`).
const EMPTY_GO_MOD_HASH: &str = "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=";

/// Which download a hash is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SumKind {
    /// The module zip: go.sum line `<path> <version> h1:…`.
    Zip,
    /// The `.mod` file: go.sum line `<path> <version>/go.mod h1:…`.
    GoMod,
}

impl SumKind {
    /// The version field go.sum (and the checksum database) uses: `v1.2.3` or `v1.2.3/go.mod`.
    pub fn sum_version(self, version: &str) -> String {
        match self {
            SumKind::Zip => version.to_string(),
            SumKind::GoMod => format!("{version}/go.mod"),
        }
    }
}

/// The go.sum files go reads for a project (also in the router's table, hence serde).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SumFiles {
    /// `go.sum` of the main module, or `go.work.sum` in workspace mode.
    pub main: PathBuf,
    /// In workspace mode, each workspace module's `go.sum`.
    pub workspace: Vec<PathBuf>,
}

impl SumFiles {
    /// Module mode: the `go.sum` next to `go_mod`.
    pub fn module(go_mod: &Path) -> SumFiles {
        SumFiles {
            main: go_mod.with_extension("sum"),
            workspace: Vec::new(),
        }
    }

    /// The files go reads for `project`; `None` outside a module (go then reads no go.sum).
    pub fn of(project: &Project) -> Option<SumFiles> {
        if let Some(ws) = &project.workspace {
            let mut main = ws.file.clone().into_os_string();
            main.push(".sum");
            return Some(SumFiles {
                main: main.into(),
                workspace: ws.modules.iter().map(|m| m.dir.join("go.sum")).collect(),
            });
        }
        project.layout.gomod.as_deref().map(SumFiles::module)
    }
}

/// A go.sum file that cannot be read safely.
#[derive(Debug, Error)]
pub enum GoSumError {
    #[error(
        "{}: not a regular file; go.sum must be the text file go writes (remove it and run \
         `go mod tidy`)", path.display()
    )]
    NotRegular { path: PathBuf },
    #[error(
        "{}: larger than {MAX_GO_SUM_BYTES} bytes, far beyond any real go.sum (remove it and \
         run `go mod tidy`)", path.display()
    )]
    TooLarge { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What go.sum says about a downloaded hash (`haveModSumLocked`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SumCheck<'a> {
    /// go.sum lists the hash: go accepts the download without asking the checksum database.
    Listed,
    /// go.sum lists another `h1:` hash: go stops with "checksum mismatch" (SECURITY ERROR).
    Mismatch { file: &'a Path, listed: &'a str },
    /// go.sum lists no `h1:` hash for it: the checksum database decides.
    NotListed,
}

#[derive(Debug, Clone, Default)]
struct SumFile {
    path: PathBuf,
    /// (path, version or version/go.mod) → hashes, in file order.
    sums: HashMap<(String, String), Vec<String>>,
}

impl SumFile {
    fn parse(path: &Path, data: &[u8]) -> SumFile {
        let mut sums: HashMap<(String, String), Vec<String>> = HashMap::new();
        for line in data.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [module, version, hash] = fields[..] else {
                continue;
            };
            if hash == EMPTY_GO_MOD_HASH {
                continue;
            }
            sums.entry((module.to_string(), version.to_string()))
                .or_default()
                .push(hash.to_string());
        }
        SumFile {
            path: path.to_path_buf(),
            sums,
        }
    }

    fn read(path: &Path) -> Result<SumFile, GoSumError> {
        let io = |source| GoSumError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Check the type before opening: opening a FIFO for reading would block.
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(GoSumError::NotRegular {
                    path: path.to_path_buf(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SumFile::parse(path, b""));
            }
            Err(e) => return Err(io(e)),
        }
        let file = std::fs::File::open(path).map_err(io)?;
        if !file.metadata().map_err(io)?.is_file() {
            return Err(GoSumError::NotRegular {
                path: path.to_path_buf(),
            });
        }
        let mut data = Vec::new();
        file.take(MAX_GO_SUM_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(io)?;
        if data.len() as u64 > MAX_GO_SUM_BYTES {
            return Err(GoSumError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        Ok(SumFile::parse(path, &data))
    }

    fn hashes(&self, path: &str, version: &str) -> &[String] {
        self.sums
            .get(&(path.to_string(), version.to_string()))
            .map_or(&[], Vec::as_slice)
    }
}

/// The go.sum lines go checks downloads against.
#[derive(Debug, Clone, Default)]
pub struct GoSum {
    main: SumFile,
    workspace: Vec<SumFile>,
}

impl GoSum {
    /// Reads the files (missing ones count as empty), each at most [`MAX_GO_SUM_BYTES`] and
    /// only if it is a regular file.
    pub fn read(files: &SumFiles) -> Result<GoSum, GoSumError> {
        Ok(GoSum {
            main: SumFile::read(&files.main)?,
            workspace: files
                .workspace
                .iter()
                .map(|p| SumFile::read(p))
                .collect::<Result<_, _>>()?,
        })
    }

    /// What go decides for a download of `path@version` (`kind`) whose hash is `h1`.
    pub fn check(&self, path: &str, version: &str, kind: SumKind, h1: &str) -> SumCheck<'_> {
        let version = kind.sum_version(version);
        for listed in self.main.hashes(path, &version) {
            if listed == h1 {
                return SumCheck::Listed;
            }
            if listed.starts_with("h1:") {
                return SumCheck::Mismatch {
                    file: &self.main.path,
                    listed,
                };
            }
        }
        let mut found = false;
        for file in &self.workspace {
            for listed in file.hashes(path, &version) {
                if listed == h1 {
                    found = true;
                } else if listed.starts_with("h1:") {
                    return SumCheck::Mismatch {
                        file: &file.path,
                        listed,
                    };
                }
            }
        }
        if found {
            SumCheck::Listed
        } else {
            SumCheck::NotListed
        }
    }

    /// The `h1:` hash go.sum requires for `path@version` (`kind`), if it requires one: the
    /// main file's first `h1:` line, else the first in the workspace modules' files. When the
    /// workspace files disagree, go accepts no hash at all; [`GoSum::check`] says so.
    pub fn expected(&self, path: &str, version: &str, kind: SumKind) -> Option<&str> {
        let version = kind.sum_version(version);
        std::iter::once(&self.main)
            .chain(&self.workspace)
            .flat_map(|f| f.hashes(path, &version))
            .find(|h| h.starts_with("h1:"))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const B: &str = "h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=";
    const C: &str = "h1:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC=";

    struct Files {
        dir: tempfile::TempDir,
    }

    impl Files {
        fn new() -> Files {
            Files {
                dir: tempfile::tempdir().unwrap(),
            }
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }
    }

    fn module_sum(text: &str) -> (Files, GoSum) {
        let files = Files::new();
        files.write("go.sum", text);
        let sums = GoSum::read(&SumFiles::module(&files.path("go.mod"))).unwrap();
        (files, sums)
    }

    #[test]
    fn lines_zip_and_go_mod() {
        let (_f, sums) = module_sum(&format!(
            "example.com/m v1.0.0 {A}\nexample.com/m v1.0.0/go.mod {B}\n\
             example.com/other v0.1.0/go.mod {C}\n"
        ));
        assert_eq!(
            sums.expected("example.com/m", "v1.0.0", SumKind::Zip),
            Some(A)
        );
        assert_eq!(
            sums.expected("example.com/m", "v1.0.0", SumKind::GoMod),
            Some(B)
        );
        assert_eq!(
            sums.expected("example.com/other", "v0.1.0", SumKind::Zip),
            None
        );
        assert_eq!(
            sums.expected("example.com/other", "v0.1.0", SumKind::GoMod),
            Some(C)
        );
        assert_eq!(
            sums.check("example.com/m", "v1.0.0", SumKind::Zip, A),
            SumCheck::Listed
        );
        assert!(matches!(
            sums.check("example.com/m", "v1.0.0", SumKind::Zip, B),
            SumCheck::Mismatch { listed, .. } if listed == A
        ));
        assert_eq!(
            sums.check("example.com/m", "v1.0.1", SumKind::Zip, A),
            SumCheck::NotListed
        );
        // Paths and versions compare exactly (go does not canonicalise them here).
        assert_eq!(
            sums.check("example.com/M", "v1.0.0", SumKind::Zip, B),
            SumCheck::NotListed
        );
    }

    #[test]
    fn whitespace_blank_and_malformed_lines() {
        let (_f, sums) = module_sum(&format!(
            "\n  \t\nexample.com/a\tv1.0.0   {A}  \r\n\
             example.com/b v1.0.0\n\
             example.com/c v1.0.0 {B} extra\n\
             example.com/d v1.0.0 {C}"
        ));
        assert_eq!(
            sums.expected("example.com/a", "v1.0.0", SumKind::Zip),
            Some(A)
        );
        assert_eq!(sums.expected("example.com/b", "v1.0.0", SumKind::Zip), None);
        assert_eq!(sums.expected("example.com/c", "v1.0.0", SumKind::Zip), None);
        // The last line needs no newline.
        assert_eq!(
            sums.expected("example.com/d", "v1.0.0", SumKind::Zip),
            Some(C)
        );
    }

    #[test]
    fn several_hashes_in_the_main_file() {
        // The first h1: line decides; unknown algorithms are skipped.
        let (_f, sums) = module_sum(&format!(
            "example.com/m v1.0.0 h2:future\nexample.com/m v1.0.0 {A}\nexample.com/m v1.0.0 {B}\n"
        ));
        assert_eq!(
            sums.expected("example.com/m", "v1.0.0", SumKind::Zip),
            Some(A)
        );
        assert_eq!(
            sums.check("example.com/m", "v1.0.0", SumKind::Zip, A),
            SumCheck::Listed
        );
        assert!(matches!(
            sums.check("example.com/m", "v1.0.0", SumKind::Zip, B),
            SumCheck::Mismatch { listed, .. } if listed == A
        ));
        let (_f, only_unknown) = module_sum("example.com/m v1.0.0 h2:future\n");
        assert_eq!(
            only_unknown.check("example.com/m", "v1.0.0", SumKind::Zip, A),
            SumCheck::NotListed
        );
        assert_eq!(
            only_unknown.expected("example.com/m", "v1.0.0", SumKind::Zip),
            None
        );
    }

    #[test]
    fn empty_go_mod_hash_is_dropped() {
        let (_f, sums) = module_sum(&format!(
            "example.com/m v1.0.0/go.mod {EMPTY_GO_MOD_HASH}\n"
        ));
        assert_eq!(
            sums.check("example.com/m", "v1.0.0", SumKind::GoMod, A),
            SumCheck::NotListed
        );
    }

    #[test]
    fn workspace_files() {
        let files = Files::new();
        files.write("go.work.sum", &format!("example.com/main v1.0.0 {A}\n"));
        files.write(
            "a/go.sum",
            &format!("example.com/ws v1.0.0 {B}\nexample.com/bad v1.0.0 {B}\n"),
        );
        files.write(
            "b/go.sum",
            &format!("example.com/ws v1.0.0 {B}\nexample.com/bad v1.0.0 {C}\n"),
        );
        let set = SumFiles {
            main: files.path("go.work.sum"),
            workspace: vec![
                files.path("a/go.sum"),
                files.path("b/go.sum"),
                files.path("c/go.sum"),
            ],
        };
        let sums = GoSum::read(&set).unwrap();
        assert_eq!(
            sums.check("example.com/main", "v1.0.0", SumKind::Zip, A),
            SumCheck::Listed
        );
        assert_eq!(
            sums.check("example.com/ws", "v1.0.0", SumKind::Zip, B),
            SumCheck::Listed
        );
        assert!(matches!(
            sums.check("example.com/ws", "v1.0.0", SumKind::Zip, C),
            SumCheck::Mismatch { file, listed } if listed == B && file.ends_with("a/go.sum")
        ));
        assert_eq!(
            sums.expected("example.com/ws", "v1.0.0", SumKind::Zip),
            Some(B)
        );
        // Files that disagree: no hash satisfies go.
        for h in [B, C] {
            assert!(matches!(
                sums.check("example.com/bad", "v1.0.0", SumKind::Zip, h),
                SumCheck::Mismatch { .. }
            ));
        }
        // The main file decides before the workspace files are looked at.
        let files2 = Files::new();
        files2.write("go.work.sum", &format!("example.com/x v1.0.0 {A}\n"));
        files2.write("a/go.sum", &format!("example.com/x v1.0.0 {B}\n"));
        let sums = GoSum::read(&SumFiles {
            main: files2.path("go.work.sum"),
            workspace: vec![files2.path("a/go.sum")],
        })
        .unwrap();
        assert_eq!(
            sums.check("example.com/x", "v1.0.0", SumKind::Zip, A),
            SumCheck::Listed
        );
        assert!(matches!(
            sums.check("example.com/x", "v1.0.0", SumKind::Zip, B),
            SumCheck::Mismatch { file, .. } if file.ends_with("go.work.sum")
        ));
    }

    #[test]
    fn missing_files_are_empty() {
        let files = Files::new();
        let sums = GoSum::read(&SumFiles::module(&files.path("go.mod"))).unwrap();
        assert_eq!(
            sums.check("example.com/m", "v1.0.0", SumKind::Zip, A),
            SumCheck::NotListed
        );
        assert_eq!(
            GoSum::default().check("example.com/m", "v1.0.0", SumKind::Zip, A),
            SumCheck::NotListed
        );
    }

    #[test]
    fn hostile_files() {
        let files = Files::new();
        std::fs::create_dir(files.path("go.sum")).unwrap();
        let err = GoSum::read(&SumFiles::module(&files.path("go.mod"))).unwrap_err();
        assert!(matches!(err, GoSumError::NotRegular { .. }), "{err}");
        assert!(err.to_string().contains("go.sum"), "{err}");

        let fifo = Files::new();
        let status = std::process::Command::new("mkfifo")
            .arg(fifo.path("go.sum"))
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        let err = GoSum::read(&SumFiles::module(&fifo.path("go.mod"))).unwrap_err();
        assert!(matches!(err, GoSumError::NotRegular { .. }), "{err}");

        let big = Files::new();
        let f = std::fs::File::create(big.path("go.sum")).unwrap();
        f.set_len(MAX_GO_SUM_BYTES + 1).unwrap();
        let err = GoSum::read(&SumFiles::module(&big.path("go.mod"))).unwrap_err();
        assert!(matches!(err, GoSumError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("go mod tidy"), "{err}");
    }

    #[test]
    fn sum_version() {
        assert_eq!(SumKind::Zip.sum_version("v1.2.3"), "v1.2.3");
        assert_eq!(SumKind::GoMod.sum_version("v1.2.3"), "v1.2.3/go.mod");
    }
}
