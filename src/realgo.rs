//! Finding the real `go`.
//!
//! The real go is `GOSHIM_GO` when set, else the first `go` on `PATH` that is not goshim itself.
//! "Itself" means the same canonical file or the same device and inode as the running binary
//! (symlinks and hard links both), and once such a link is seen in a directory, every later
//! `PATH` entry that resolves to that directory is skipped too.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::env_vars::{GOSHIM_DEPTH, GOSHIM_GO, MAX_DEPTH, PATH};
use crate::exit::Exit;
use crate::process::{CwdError, Process};

/// What the search needs from the process, gathered once so the search itself is testable.
#[derive(Debug, Clone)]
pub struct SearchInput {
    /// `GOSHIM_GO` (or config `shim.go`), when set and non-empty.
    pub explicit: Option<(PathBuf, ExplicitSource)>,
    /// The `PATH` value.
    pub path: Option<OsString>,
    /// The working directory, for relative `PATH` entries.
    pub cwd: PathBuf,
    /// The running goshim binary.
    pub current_exe: PathBuf,
}

/// Why the search cannot even start.
#[derive(Debug, thiserror::Error)]
pub enum SearchInputError {
    #[error(transparent)]
    Cwd(#[from] CwdError),
    #[error("cannot tell where the running goshim binary is")]
    CurrentExe,
}

/// Where an explicit real-go path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplicitSource {
    /// The `GOSHIM_GO` variable.
    Env,
    /// `shim.go` in a configuration file.
    Config,
}

impl fmt::Display for ExplicitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExplicitSource::Env => write!(f, "{GOSHIM_GO}"),
            ExplicitSource::Config => write!(f, "shim.go in the configuration"),
        }
    }
}

impl SearchInput {
    /// The inputs as the process sees them.
    pub fn from_process(process: &Process) -> Result<Self, SearchInputError> {
        Ok(SearchInput {
            explicit: process
                .non_empty(GOSHIM_GO)
                .map(|p| (PathBuf::from(p), ExplicitSource::Env)),
            path: process.var_os(PATH).map(OsStr::to_os_string),
            cwd: process.cwd()?.to_path_buf(),
            current_exe: process
                .current_exe()
                .ok_or(SearchInputError::CurrentExe)?
                .to_path_buf(),
        })
    }
}

/// Why a `go` on `PATH` was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The file is goshim (same canonical path, or same device and inode).
    IsShim,
    /// The directory already held a link to goshim.
    ShimDir,
    /// Another goshim binary (another version or build), by its file name.
    OtherShim,
}

/// A `go` on `PATH` that was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: SkipReason,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.reason {
            SkipReason::IsShim => "is goshim itself",
            SkipReason::ShimDir => "is in a directory goshim is installed in",
            SkipReason::OtherShim => "is another goshim binary",
        };
        write!(f, "{} ({why})", self.path.display())
    }
}

/// How the real go was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Explicit(ExplicitSource),
    Path,
}

/// The real go and the story of how it was chosen.
#[derive(Debug, Clone)]
pub struct RealGo {
    pub path: PathBuf,
    pub found: Found,
    pub skipped: Vec<Skipped>,
}

/// Why no real go can be run.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error("{}", not_found_message(.skipped))]
    NotFound { skipped: Vec<Skipped> },
    #[error(
        "{source_name} points at goshim itself ({}); set it to the real go binary, e.g. /usr/local/go/bin/go",
        .path.display()
    )]
    ExplicitIsShim {
        path: PathBuf,
        source_name: ExplicitSource,
    },
    #[error("{source_name} is {}, which is not an executable file; set it to the real go binary", .path.display())]
    ExplicitMissing {
        path: PathBuf,
        source_name: ExplicitSource,
    },
    #[error("cannot locate the running goshim binary: {0}")]
    CurrentExe(io::Error),
}

fn not_found_message(skipped: &[Skipped]) -> String {
    let mut msg = String::from("no real go found on PATH");
    if !skipped.is_empty() {
        let list: Vec<String> = skipped.iter().map(ToString::to_string).collect();
        msg.push_str(&format!("; skipped {}", list.join(", ")));
    }
    msg.push_str(
        "; install Go or set GOSHIM_GO to the real go binary (e.g. GOSHIM_GO=/usr/local/go/bin/go)",
    );
    msg
}

impl FindError {
    /// The exit status the shim ends with: 127, as a shell does for a missing command.
    pub fn exit(&self) -> Exit {
        Exit::NoGo
    }
}

/// The identity of a file: its canonical path and, on Unix, its device and inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileId {
    canonical: PathBuf,
    #[cfg(unix)]
    dev_ino: (u64, u64),
}

impl FileId {
    fn of(path: &Path) -> Option<FileId> {
        let canonical = path.canonicalize().ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(&canonical).ok()?;
            Some(FileId {
                canonical,
                dev_ino: (meta.dev(), meta.ino()),
            })
        }
        #[cfg(not(unix))]
        Some(FileId { canonical })
    }

    fn same_file(&self, other: &FileId) -> bool {
        #[cfg(unix)]
        if self.dev_ino == other.dev_ino {
            return true;
        }
        self.canonical == other.canonical
    }
}

/// True when both paths name the same file, after following links (hard links included).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (FileId::of(a), FileId::of(b)) {
        (Some(a), Some(b)) => a.same_file(&b),
        _ => false,
    }
}

/// Finds the real go for these inputs.
pub fn find_real_go(input: &SearchInput) -> Result<RealGo, FindError> {
    let me = FileId::of(&input.current_exe).ok_or_else(|| {
        FindError::CurrentExe(io::Error::new(
            io::ErrorKind::NotFound,
            input.current_exe.display().to_string(),
        ))
    })?;

    if let Some((path, source)) = &input.explicit {
        let path = if path.is_absolute() || path.components().count() > 1 {
            input.cwd.join(path)
        } else {
            which::which_in(path, input.path.as_ref(), &input.cwd).map_err(|_| {
                FindError::ExplicitMissing {
                    path: path.clone(),
                    source_name: *source,
                }
            })?
        };
        let id = FileId::of(&path)
            .filter(|_| is_executable(&path))
            .ok_or_else(|| FindError::ExplicitMissing {
                path: path.clone(),
                source_name: *source,
            })?;
        if id.same_file(&me) || is_goshim_name(&id.canonical) {
            return Err(FindError::ExplicitIsShim {
                path,
                source_name: *source,
            });
        }
        return Ok(RealGo {
            path,
            found: Found::Explicit(*source),
            skipped: Vec::new(),
        });
    }

    let mut skipped = Vec::new();
    let mut shim_dirs: Vec<PathBuf> = Vec::new();
    let candidates = which::which_in_all(go_file_name(), input.path.as_ref(), &input.cwd)
        .map(std::iter::Iterator::collect::<Vec<_>>)
        .unwrap_or_default();
    for candidate in candidates {
        let dir = candidate
            .parent()
            .and_then(|d| d.canonicalize().ok())
            .unwrap_or_default();
        if shim_dirs.contains(&dir) {
            skipped.push(Skipped {
                path: candidate,
                reason: SkipReason::ShimDir,
            });
            continue;
        }
        match FileId::of(&candidate) {
            Some(id) if id.same_file(&me) => {
                shim_dirs.push(dir);
                skipped.push(Skipped {
                    path: candidate,
                    reason: SkipReason::IsShim,
                });
            }
            Some(id) if is_goshim_name(&id.canonical) => {
                skipped.push(Skipped {
                    path: candidate,
                    reason: SkipReason::OtherShim,
                });
            }
            Some(_) => {
                return Ok(RealGo {
                    path: candidate,
                    found: Found::Path,
                    skipped,
                });
            }
            None => {}
        }
    }
    Err(FindError::NotFound { skipped })
}

/// True when the file, links resolved, is named like goshim (`goshim`, `goshim.exe`,
/// `goshim-0.2`): another goshim build on PATH, which would only hand over again.
fn is_goshim_name(canonical: &Path) -> bool {
    canonical
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("goshim"))
}

fn go_file_name() -> &'static str {
    if cfg!(windows) { "go.exe" } else { "go" }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// The current hop count from `GOSHIM_DEPTH`; anything unparsable counts as zero.
pub fn current_depth(process: &Process) -> u32 {
    process
        .var(GOSHIM_DEPTH)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// goshim was entered more than [`MAX_DEPTH`] times in one chain of processes.
#[derive(Debug, thiserror::Error)]
#[error(
    "goshim was entered {depth} times in a row ({GOSHIM_DEPTH}={depth}): something runs it in a loop; \
     check that GOSHIM_GO and shim.go name the real go binary, not a script that calls goshim \
     (`goshim which` shows the chain)"
)]
pub struct LoopError {
    pub depth: u32,
}

/// Refuses to go on past the depth limit.
pub fn check_depth(depth: u32) -> Result<(), LoopError> {
    if depth >= MAX_DEPTH {
        Err(LoopError { depth })
    } else {
        Ok(())
    }
}
