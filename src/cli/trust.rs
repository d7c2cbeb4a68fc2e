//! `goshim trust [PATH]`, `goshim trust --list`, `goshim untrust [PATH]`: the `.gomodrc` trust
//! store. PATH defaults to the nearest `.gomodrc` from the working directory upwards.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::load::{GOMODRC, trust_store_path};
use crate::config::trust::{TrustStore, digest, key};
use crate::config::{MAX_FILE_BYTES, parse_layer};
use crate::exit::{self, Exit};
use crate::fsread;
use crate::process::Process;

/// A failure of one of these commands: the message and the exit status.
struct Failure(String, Exit);

fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message, code)) => exit::fail(message, code),
    }
}

fn cwd(process: &Process) -> Result<PathBuf, Failure> {
    process
        .cwd()
        .map(Path::to_path_buf)
        .map_err(|e| Failure(e.to_string(), Exit::Usage))
}

fn store_path() -> Result<PathBuf, Failure> {
    trust_store_path().ok_or_else(|| {
        Failure(
            "cannot find the user data directory for the trust store; set HOME or XDG_DATA_HOME"
                .into(),
            Exit::Usage,
        )
    })
}

fn open_store() -> Result<TrustStore, Failure> {
    let (store, corrupt) = TrustStore::load(&store_path()?);
    if let Some(c) = corrupt {
        eprintln!("goshim: warning: {c}");
    }
    Ok(store)
}

/// Changes the store under its lock (concurrent `goshim trust` commands keep every entry).
fn update_store<T>(change: impl FnOnce(&mut TrustStore) -> T) -> Result<T, Failure> {
    let (out, corrupt) = TrustStore::update(&store_path()?, change)
        .map_err(|e| Failure(e.to_string(), Exit::Problem))?;
    if let Some(c) = corrupt {
        eprintln!("goshim: warning: {c}");
    }
    Ok(out)
}

/// The file PATH names (absolute), or the nearest `.gomodrc` from `cwd` upwards.
fn target(path: Option<PathBuf>, cwd: &Path) -> Result<PathBuf, Failure> {
    match path {
        Some(p) => Ok(cwd.join(p)),
        None => cwd
            .ancestors()
            .map(|d| d.join(GOMODRC))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Failure(
                    format!(
                        "no {GOMODRC} in {} or any parent directory; name the file: goshim trust PATH",
                        cwd.display()
                    ),
                    Exit::Problem,
                )
            }),
    }
}

/// `goshim trust [PATH]`: checks the file parses, then records its path and SHA-256.
pub fn trust(process: &Process, path: Option<PathBuf>) -> ExitCode {
    finish((|| {
        let file = target(path, &cwd(process)?)?;
        let entry = key(&file).map_err(|e| {
            Failure(
                format!("cannot trust {}: {e}", file.display()),
                Exit::Problem,
            )
        })?;
        let bytes = fsread::read(&entry, MAX_FILE_BYTES).map_err(|e| {
            Failure(
                format!("cannot trust {}: {e}", entry.display()),
                Exit::Problem,
            )
        })?;
        parse_layer(&entry, &bytes)
            .map_err(|e| Failure(format!("not trusted: {e}"), Exit::Usage))?;
        update_store(|store| store.trust(entry.clone(), &bytes))?;
        eprintln!(
            "goshim: trusted {} (sha256 {}); editing it makes it untrusted again",
            entry.display(),
            digest(&bytes)
        );
        Ok(())
    })())
}

/// `goshim untrust [PATH]`: forgets the file; a file that was not trusted is not an error.
pub fn untrust(process: &Process, path: Option<PathBuf>) -> ExitCode {
    finish((|| {
        let file = target(path, &cwd(process)?)?;
        let entry = key(&file).unwrap_or(file);
        if update_store(|store| store.untrust(&entry))? {
            eprintln!("goshim: untrusted {}", entry.display());
        } else {
            eprintln!("goshim: {} was not trusted", entry.display());
        }
        Ok(())
    })())
}

/// `goshim trust --list`: one line per trusted file on stdout, `STATE<TAB>PATH`, where STATE is
/// `trusted`, `edited` (content changed since, so untrusted) or `missing`.
pub fn list() -> ExitCode {
    finish((|| {
        let store = open_store()?;
        for (path, sum) in store.entries() {
            let state = match fsread::read(path, MAX_FILE_BYTES) {
                Ok(bytes) if digest(&bytes) == sum => "trusted",
                Ok(_) => "edited",
                Err(_) => "missing",
            };
            println!("{state}\t{}", path.display());
        }
        Ok(())
    })())
}
