//! The GOROOT of a go that is a wrapper script — the shims of version managers (asdf, mise,
//! goenv), which exec the real binary they select.
//!
//! go derives its GOROOT from its own executable's location (`cfg.findGOROOT`), and so does
//! goshim, from the go it found. A wrapper lives outside any GOROOT, so goshim asks it once —
//! `go env GOROOT` with `GOTOOLCHAIN=local` — and caches the answer in the user cache dir,
//! keyed by the wrapper (path, size, modification time) and by what version managers choose a
//! version from: their variables and the nearest version files above the working directory.
//! Only this case pays for a process; a go inside its GOROOT never gets here.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::env_vars::{GOSHIM_DEPTH, GOSHIM_DISABLE};
use crate::process::Process;

/// How long the wrapper may take to answer `go env GOROOT`.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The cache file in goshim's cache dir.
const FILE_NAME: &str = "goroot.json";
/// Entries kept (the most recently learned).
const MAX_ENTRIES: usize = 64;
/// A cache file larger than this is ignored (and replaced).
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// Variables version managers choose a Go version by.
const SELECTION_VARS: &[&str] = &[
    "ASDF_GO_VERSION",
    "ASDF_DATA_DIR",
    "MISE_GO_VERSION",
    "MISE_ENV",
    "GOENV_VERSION",
    "GOENV_ROOT",
];

/// Files version managers choose a Go version by, nearest first in each directory up the tree.
const SELECTION_FILES: &[&str] = &[
    ".tool-versions",
    ".go-version",
    "mise.toml",
    ".mise.toml",
    "mise.local.toml",
    ".mise.local.toml",
    ".config/mise.toml",
    ".config/mise/config.toml",
];

/// Why the wrapper's GOROOT is unknown.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error("cannot run `{go} env GOROOT`: {err}")]
    Run { go: String, err: std::io::Error },
    #[error("`{go} env GOROOT` did not answer within {} s", TIMEOUT.as_secs())]
    Timeout { go: String },
    #[error("`{go} env GOROOT` failed{}", if .detail.is_empty() { String::new() } else { format!(": {}", .detail) })]
    Failed { go: String, detail: String },
    #[error("`{go} env GOROOT` printed {answer:?}, which is not a Go installation")]
    NotGoroot { go: String, answer: String },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    entries: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    goroot: PathBuf,
    /// Unix seconds when it was learned, to keep the newest entries.
    learned_at: u64,
}

/// The GOROOT of `go` run from `dir`, from the cache or by asking it. `cache_dir` is goshim's
/// cache directory (`None`: ask every time).
pub fn learn(
    process: &Process,
    go: &Path,
    dir: &Path,
    cache_dir: Option<&Path>,
) -> Result<PathBuf, LearnError> {
    let key = cache_key(process, go, dir);
    let file = cache_dir.map(|d| d.join(FILE_NAME));
    let mut cache = file.as_deref().map(read_cache).unwrap_or_default();
    if let Some(key) = &key
        && let Some(entry) = cache.entries.get(key)
        && is_goroot(&entry.goroot)
    {
        return Ok(entry.goroot.clone());
    }
    let goroot = ask(process, go, dir)?;
    if let (Some(key), Some(file)) = (key, file) {
        let learned_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        cache.entries.insert(
            key,
            Entry {
                goroot: goroot.clone(),
                learned_at,
            },
        );
        while cache.entries.len() > MAX_ENTRIES {
            let oldest = cache
                .entries
                .iter()
                .min_by_key(|(_, e)| e.learned_at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => cache.entries.remove(&k),
                None => break,
            };
        }
        // An unwritable cache only means asking again next time.
        let _ = write_cache(&file, &cache);
    }
    Ok(goroot)
}

/// A directory go could run from: it has `pkg/tool`, as `cfg.findGOROOT` requires.
fn is_goroot(dir: &Path) -> bool {
    dir.is_absolute() && dir.join("pkg").join("tool").is_dir()
}

/// Runs `go env GOROOT` in `dir` with the local toolchain (never a download), goshim disabled
/// for any goshim the wrapper reaches, and a bounded wait.
fn ask(process: &Process, go: &Path, dir: &Path) -> Result<PathBuf, LearnError> {
    let name = go.display().to_string();
    let depth = crate::realgo::current_depth(process);
    let mut child = Command::new(go)
        .args(["env", "GOROOT"])
        .current_dir(dir)
        .env("GOTOOLCHAIN", "local")
        .env_remove("GOFLAGS")
        .env(GOSHIM_DISABLE, "1")
        .env(GOSHIM_DEPTH, (depth + 1).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| LearnError::Run {
            go: name.clone(),
            err,
        })?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < TIMEOUT => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(LearnError::Timeout { go: name });
            }
            Err(err) => return Err(LearnError::Run { go: name, err }),
        }
    };
    let read = |stream: Option<&mut dyn Read>| {
        let mut text = String::new();
        if let Some(s) = stream {
            let _ = s.take(4096).read_to_string(&mut text);
        }
        text
    };
    let out = read(child.stdout.as_mut().map(|s| s as &mut dyn Read));
    if !status.success() {
        let err = read(child.stderr.as_mut().map(|s| s as &mut dyn Read));
        return Err(LearnError::Failed {
            go: name,
            detail: err.lines().next().unwrap_or_default().trim().to_string(),
        });
    }
    let answer = out.lines().next().unwrap_or_default().trim().to_string();
    let goroot = PathBuf::from(&answer);
    if is_goroot(&goroot) {
        Ok(goroot)
    } else {
        Err(LearnError::NotGoroot { go: name, answer })
    }
}

/// What decides the wrapper's answer: the wrapper file itself, the version managers' variables
/// and the nearest version files above `dir`. `None` when the wrapper cannot be read.
fn cache_key(process: &Process, go: &Path, dir: &Path) -> Option<String> {
    let mut h = Sha256::new();
    let mut add = |part: &[u8]| {
        h.update(part);
        h.update([0]);
    };
    let stamp = |path: &Path| -> Option<String> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime = meta
            .modified()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos();
        Some(format!("{} {} {mtime}", path.display(), meta.len()))
    };
    add(stamp(go)?.as_bytes());
    for var in SELECTION_VARS {
        add(var.as_bytes());
        add(process.var_os(var).unwrap_or_default().as_encoded_bytes());
    }
    for name in SELECTION_FILES {
        if let Some(found) = dir.ancestors().find_map(|d| stamp(&d.join(name))) {
            add(found.as_bytes());
        }
    }
    Some(crate::hex::hex(&h.finalize()[..16]))
}

fn read_cache(file: &Path) -> CacheFile {
    crate::fsread::read(file, MAX_FILE_BYTES)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write_cache(file: &Path, cache: &CacheFile) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(cache).map_err(std::io::Error::other)?;
    crate::fsread::write_atomically(file, &text)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(path: &Path, body: &str) {
        std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn fake_goroot(root: &Path) -> PathBuf {
        let goroot = root.join("goroot");
        std::fs::create_dir_all(goroot.join("pkg/tool")).unwrap();
        goroot
    }

    #[test]
    fn asks_once_then_answers_from_the_cache_until_the_selection_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let goroot = fake_goroot(root);
        let count = root.join("count");
        let go = root.join("go");
        script(
            &go,
            &format!(
                "echo x >> '{}'\n[ \"$GOTOOLCHAIN\" = local ] || exit 3\necho '{}'",
                count.display(),
                goroot.display()
            ),
        );
        let proj = root.join("proj");
        std::fs::create_dir_all(&proj).unwrap();
        let cache = root.join("cache");
        let p = Process::with([("PATH", "/usr/bin:/bin")], &proj, None);
        let asks = || std::fs::read_to_string(&count).unwrap_or_default().len() / 2;
        assert_eq!(learn(&p, &go, &proj, Some(&cache)).unwrap(), goroot);
        assert_eq!(learn(&p, &go, &proj, Some(&cache)).unwrap(), goroot);
        assert_eq!(asks(), 1);
        std::fs::write(proj.join(".tool-versions"), "golang 1.27.3\n").unwrap();
        assert_eq!(learn(&p, &go, &proj, Some(&cache)).unwrap(), goroot);
        assert_eq!(asks(), 2);
        let p2 = Process::with([("GOENV_VERSION", "1.26.0")], &proj, None);
        assert_eq!(learn(&p2, &go, &proj, Some(&cache)).unwrap(), goroot);
        assert_eq!(asks(), 3);
    }

    #[test]
    fn a_wrong_answer_or_a_failure_is_an_error_that_names_the_wrapper() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let p = Process::with([("PATH", "/usr/bin:/bin")], root, None);
        let go = root.join("go");
        script(&go, "echo /nonexistent/goroot");
        let err = learn(&p, &go, root, None).unwrap_err().to_string();
        assert!(err.contains("is not a Go installation"), "{err}");
        script(&go, "echo 'asdf: no version set for golang' >&2; exit 126");
        let err = learn(&p, &go, root, None).unwrap_err().to_string();
        assert!(
            err.ends_with("env GOROOT` failed: asdf: no version set for golang"),
            "{err}"
        );
    }
}
