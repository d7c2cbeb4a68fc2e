//! The trust store: which `.gomodrc` files the user reviewed, as the path where each was found
//! ([`key`]) + SHA-256 of the content it had then. An edited file no longer matches and is
//! untrusted again.
//!
//! The store is one JSON file, `trust.json` in goshim's data directory
//! (`$XDG_DATA_HOME/goshim/trust.json` on Linux). Writes go to a temporary file that is renamed
//! over the store, so a crash never leaves half a store. A store that cannot be read or parsed
//! is reported and treated as empty; it never stops go.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::MAX_FILE_BYTES;
use crate::fsread::{self, ReadError};

const STORE_VERSION: u32 = 1;
/// The longest `goshim trust` waits for another one to finish writing the store.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    /// Absolute path ([`encode_path`]) → lower-case hex SHA-256 of the content that was trusted.
    trusted: BTreeMap<String, String>,
}

/// Marks a path stored as hex bytes (an absolute path never starts with it).
const HEX_PATH: &str = "hex:";

/// A path as the store writes it: the path itself when it is UTF-8 (JSON strings are), else
/// `hex:` and its bytes in hex — a Unix path is any bytes, and a directory whose name is not
/// UTF-8 holds a `.gomodrc` like any other.
#[cfg_attr(
    unix,
    allow(
        clippy::unnecessary_wraps,
        reason = "None only where paths are not bytes (not Unix)"
    )
)]
fn encode_path(path: &Path) -> Option<String> {
    if let Some(text) = path.to_str() {
        return Some(text.to_string());
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(format!(
            "{HEX_PATH}{}",
            crate::hex::hex(path.as_os_str().as_bytes())
        ))
    }
    #[cfg(not(unix))]
    None
}

/// The path [`encode_path`] wrote.
fn decode_path(text: &str) -> Option<PathBuf> {
    let Some(hex) = text.strip_prefix(HEX_PATH) else {
        return Some(PathBuf::from(text));
    };
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        let _ = hex;
        None
    }
}

/// The trusted files, loaded from (and saved to) one store file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustStore {
    path: PathBuf,
    trusted: BTreeMap<PathBuf, String>,
}

/// The store could not be read; it is treated as empty.
#[derive(Debug, thiserror::Error)]
#[error(
    "the trust store {} is unreadable ({reason}); treating it as empty, so every .gomodrc is untrusted until `goshim trust` rewrites it",
    .path.display()
)]
pub struct CorruptStore {
    pub path: PathBuf,
    pub reason: String,
}

/// The store could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the trust store {}: {source}", .path.display())]
pub struct SaveError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// The key a `.gomodrc` is trusted under: where it was found, its directory resolved (a
/// symlinked directory leads to the same entry) and its own name kept. A `.gomodrc` that is a
/// symlink is trusted where the link is, not where it points: a repository that links its
/// `.gomodrc` to a file trusted elsewhere does not inherit that trust.
pub fn key(path: &Path) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("not a file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Ok(dir.canonicalize()?.join(name))
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    crate::hex::hex(&Sha256::digest(bytes))
}

impl TrustStore {
    /// An empty store that will be saved at `path`.
    pub fn empty(path: PathBuf) -> Self {
        TrustStore {
            path,
            trusted: BTreeMap::new(),
        }
    }

    /// Loads the store at `path`. A missing store is empty; an unreadable or corrupt one is empty
    /// too, and the reason comes back alongside.
    pub fn load(path: &Path) -> (TrustStore, Option<CorruptStore>) {
        let corrupt = |reason: String| {
            Some(CorruptStore {
                path: path.to_path_buf(),
                reason,
            })
        };
        let bytes = match fsread::read(path, MAX_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(ReadError::NotFound) => {
                return (TrustStore::empty(path.to_path_buf()), None);
            }
            Err(e) => {
                return (
                    TrustStore::empty(path.to_path_buf()),
                    corrupt(e.to_string()),
                );
            }
        };
        match serde_json::from_slice::<StoreFile>(&bytes) {
            Ok(file) if file.version == STORE_VERSION => (
                TrustStore {
                    path: path.to_path_buf(),
                    trusted: file
                        .trusted
                        .into_iter()
                        .filter_map(|(p, sum)| Some((decode_path(&p)?, sum)))
                        .collect(),
                },
                None,
            ),
            Ok(file) => (
                TrustStore::empty(path.to_path_buf()),
                corrupt(format!("unknown version {}", file.version)),
            ),
            Err(e) => (
                TrustStore::empty(path.to_path_buf()),
                corrupt(e.to_string()),
            ),
        }
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when `file` (its [`key`]) was trusted with exactly this content.
    pub fn is_trusted(&self, file: &Path, content: &[u8]) -> bool {
        self.trusted
            .get(file)
            .is_some_and(|sum| *sum == digest(content))
    }

    /// Records `file` (its [`key`]) as trusted with this content.
    pub fn trust(&mut self, file: PathBuf, content: &[u8]) {
        self.trusted.insert(file, digest(content));
    }

    /// Forgets `file`; false when it was not in the store.
    pub fn untrust(&mut self, file: &Path) -> bool {
        self.trusted.remove(file).is_some()
    }

    /// Every trusted path with the SHA-256 it was trusted with.
    pub fn entries(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.trusted.iter().map(|(p, s)| (p.as_path(), s.as_str()))
    }

    /// Loads the store at `path`, lets `change` edit it and saves it, all under the store's
    /// lock (`trust.json.lock` beside it), so that concurrent `goshim trust` commands never
    /// lose each other's entries. Waits at most [`LOCK_WAIT`] for another writer. Returns what
    /// `change` returned, and the reason the store was treated as empty, if it was.
    pub fn update<T>(
        path: &Path,
        change: impl FnOnce(&mut TrustStore) -> T,
    ) -> Result<(T, Option<CorruptStore>), SaveError> {
        let err = |source| SaveError {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let lock_path = path.with_extension("json.lock");
        let lock = fsread::open_for_write(&lock_path, false).map_err(err)?;
        if !fsread::lock_within(&lock, LOCK_WAIT) {
            return Err(err(io::Error::other(format!(
                "another goshim holds {} for more than {} s; try again",
                lock_path.display(),
                LOCK_WAIT.as_secs()
            ))));
        }
        let (mut store, corrupt) = TrustStore::load(path);
        let out = change(&mut store);
        store.save()?;
        Ok((out, corrupt))
    }

    /// Writes the store atomically: a temporary file in the same directory, renamed over it.
    /// (A read-modify-write goes through [`TrustStore::update`].)
    pub fn save(&self) -> Result<(), SaveError> {
        let err = |source| SaveError {
            path: self.path.clone(),
            source,
        };
        let trusted = self
            .trusted
            .iter()
            .map(|(p, sum)| match encode_path(p) {
                Some(key) => Ok((key, sum.clone())),
                None => Err(err(io::Error::other(format!(
                    "{} is not valid Unicode, which the store cannot record",
                    p.display()
                )))),
            })
            .collect::<Result<_, _>>()?;
        let file = StoreFile {
            version: STORE_VERSION,
            trusted,
        };
        let mut text = serde_json::to_string_pretty(&file).map_err(|e| err(e.into()))?;
        text.push('\n');
        crate::fsread::write_atomically(&self.path, text.as_bytes()).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn trust_save_load_untrust() {
        let tmp = tempfile::tempdir().unwrap();
        let store_path = tmp.path().join("data/goshim/trust.json");
        let (mut store, warn) = TrustStore::load(&store_path);
        assert!(warn.is_none());
        let file = tmp.path().join(".gomodrc");
        store.trust(file.clone(), b"a = 1");
        store.save().unwrap();

        let (mut store, warn) = TrustStore::load(&store_path);
        assert!(warn.is_none());
        assert!(store.is_trusted(&file, b"a = 1"));
        assert!(!store.is_trusted(&file, b"a = 2"), "edited content");
        assert!(!store.is_trusted(&tmp.path().join("other"), b"a = 1"));
        assert!(store.untrust(&file));
        assert!(!store.untrust(&file));
        store.save().unwrap();
        let (store, _) = TrustStore::load(&store_path);
        assert_eq!(store.entries().count(), 0);
        let leftovers: Vec<_> = std::fs::read_dir(store_path.parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(leftovers.len(), 1, "only trust.json, no temporary file");
    }

    #[cfg(unix)]
    #[test]
    fn files_are_keyed_where_they_are_found() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/.gomodrc"), "").unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("via")).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::os::unix::fs::symlink(root.join("a/.gomodrc"), root.join("b/.gomodrc")).unwrap();
        assert_eq!(
            key(&root.join("via/.gomodrc")).unwrap(),
            root.join("a/.gomodrc"),
            "a linked directory is resolved"
        );
        assert_eq!(
            key(&root.join("b/.gomodrc")).unwrap(),
            root.join("b/.gomodrc"),
            "a linked file is keyed where the link is"
        );
        assert_eq!(
            key(&root.join("a/../b/.gomodrc")).unwrap(),
            root.join("b/.gomodrc")
        );
    }

    #[cfg(unix)]
    #[test]
    fn paths_that_are_not_utf8_are_stored_as_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().unwrap();
        let store_path = tmp.path().join("trust.json");
        let odd = tmp
            .path()
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9/.gomodrc"));
        let plain = tmp.path().join("plain/.gomodrc");
        let mut store = TrustStore::empty(store_path.clone());
        store.trust(odd.clone(), b"a");
        store.trust(plain.clone(), b"b");
        store.save().unwrap();
        let text = std::fs::read_to_string(&store_path).unwrap();
        assert!(text.contains("\"hex:2f"), "{text}");
        assert!(
            text.contains(&format!("{:?}", plain.to_str().unwrap())),
            "{text}"
        );
        let (store, warn) = TrustStore::load(&store_path);
        assert!(warn.is_none());
        assert!(store.is_trusted(&odd, b"a"));
        assert!(store.is_trusted(&plain, b"b"));
        assert_eq!(decode_path("hex:zz"), None);
        assert_eq!(decode_path("hex:2"), None);
    }

    #[test]
    fn corrupt_store_is_reported_and_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let store_path = tmp.path().join("trust.json");
        std::fs::write(&store_path, "{not json").unwrap();
        let (store, warn) = TrustStore::load(&store_path);
        assert_eq!(store.entries().count(), 0);
        let warn = warn.unwrap().to_string();
        assert!(
            warn.starts_with(&format!(
                "the trust store {} is unreadable (",
                store_path.display()
            )),
            "{warn}"
        );

        std::fs::write(&store_path, r#"{"version": 9, "trusted": {}}"#).unwrap();
        let (_, warn) = TrustStore::load(&store_path);
        assert!(warn.unwrap().to_string().contains("(unknown version 9)"));
    }
}
