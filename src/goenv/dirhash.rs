//! go's `h1:` hashes of module zips and go.mod files, as go computes them before it accepts a
//! download: x/mod `sumdb/dirhash/hash.go` (`Hash1`, `HashZip`) and cmd/go
//! `modfetch/fetch.go` (`downloadZip`'s entry-prefix check, `hashZip`, `goModSum`).
//!
//! `h1:` is base64(SHA-256(summary)), where the summary has one line `<sha256 hex>  <name>\n`
//! per file, sorted by name (bytewise). A zip is hashed over its entries' names and
//! uncompressed contents, never over its bytes, so two zips of one module version that differ in
//! compression, order or timestamps have the same hash. A `.mod` is hashed as a one-file tree
//! whose only file is named `go.mod`.
//!
//! ```
//! use std::io::Cursor;
//! use goshim::goenv::dirhash;
//!
//! // The hash cmd/go knows as the empty go.mod's (`modfetch/fetch.go emptyGoModHash`).
//! assert_eq!(dirhash::hash_mod(b""), "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=");
//!
//! # fn zip_bytes() -> Vec<u8> {
//! #     use std::io::Write;
//! #     let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
//! #     w.start_file("example.com/m@v1.0.0/go.mod", zip::write::SimpleFileOptions::default())
//! #         .unwrap();
//! #     w.write_all(b"module example.com/m\n").unwrap();
//! #     w.finish().unwrap().into_inner()
//! # }
//! // The spooled body of `example.com/m/@v/v1.0.0.zip` (a `File` works the same way).
//! let body: Vec<u8> = zip_bytes();
//! let h1 = dirhash::hash_zip(Cursor::new(&body), "example.com/m", "v1.0.0").unwrap();
//! assert!(h1.starts_with("h1:"));
//! ```
//!
//! [`hash_zip_parallel`] spreads the entries over several threads, each with its own reader
//! of the spool; the zip's contents must be inflated and hashed in full, and that work, not
//! the reading, is what takes time.
//!
//! Checks on the zip, each where go makes it:
//! - larger than 500 MiB ([`MAX_ZIP_FILE`]): go stops reading with "downloaded zip file too
//!   large" (`modfetch/proxy.go Zip`);
//! - not a zip archive go's `archive/zip` reads (no end of central directory, bad offsets,
//!   compression other than Store/Deflate, a CRC-32 or size that does not match the data):
//!   go's `zip.NewReader` or the read of the entry fails;
//! - an entry whose name does not start with `<path>@<version>/`: go's "zip for
//!   `<path>@<version>` has unexpected file `<name>`" (`downloadZip`);
//! - a name with a newline: `Hash1`'s "filenames with newlines are not supported";
//! - a directory entry (name ending in `/`) with data: `archive/zip` `File.Open` gives
//!   `ErrFormat`. An empty directory entry is hashed as an empty file, as `HashZip` does.
//!
//! Two checks go makes only later, when it extracts the zip (x/mod `zip.Unzip`), are made here
//! too because the hash alone cannot settle them: two entries with the same name (go hashes
//! the last one's contents under both lines, then refuses to extract "multiple entries for
//! file"), and uncompressed contents over 500 MiB (go refuses to extract them; hashing them
//! would be unbounded work). A zip rejected for either could never be used by go.

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use thiserror::Error;
use zip::ZipArchive;
use zip::result::ZipError;

use super::base64;

/// The largest module zip go downloads, and the largest total size of its extracted files
/// (`modfetch/codehost.MaxZipFile`, x/mod `zip.MaxZipFile`): 500 MiB.
pub const MAX_ZIP_FILE: u64 = 500 << 20;

/// Why a module zip has no `h1:` hash go would accept.
#[derive(Debug, Error)]
pub enum ZipHashError {
    #[error("downloaded zip file too large ({size} bytes, go accepts at most {MAX_ZIP_FILE})")]
    TooLarge { size: u64 },
    #[error("zip for {module} has unexpected file {name}")]
    UnexpectedFile { module: String, name: String },
    #[error("zip for {module} has more than one entry with the same name")]
    DuplicateEntries { module: String },
    #[error("zip for {module}: {name}: dirhash: filenames with newlines are not supported")]
    NewlineInName { module: String, name: String },
    #[error("zip for {module}: {name}: directory entry holds data")]
    DirectoryWithData { module: String, name: String },
    #[error(
        "zip for {module}: uncompressed contents larger than {limit} bytes (go would refuse to \
         extract them)"
    )]
    ContentsTooLarge { module: String, limit: u64 },
    #[error("zip for {module}: not a zip file go can read: {source}")]
    Format {
        module: String,
        #[source]
        source: ZipError,
    },
    #[error("zip for {module}: {name}: {source}")]
    Entry {
        module: String,
        name: String,
        #[source]
        source: io::Error,
    },
    #[error("zip for {module}: reading the zip: {source}")]
    Io {
        module: String,
        #[source]
        source: io::Error,
    },
}

/// The `h1:` hash of a go.mod file served as `<version>.mod` (`modfetch goModSum`).
pub fn hash_mod(data: &[u8]) -> String {
    summary_hash(vec![(b"go.mod", Sha256::digest(data).into())])
        .unwrap_or_else(|_| unreachable!("\"go.mod\" has no newline"))
}

/// The `h1:` hash go computes for the module zip of `path@version` (`dirhash.HashZip` after
/// `downloadZip`'s checks). `zip` is the spooled body: a `File`, or a `Cursor` over bytes.
/// Reads only the central directory into memory, then each entry once, in archive order.
pub fn hash_zip<R: Read + Seek>(zip: R, path: &str, version: &str) -> Result<String, ZipHashError> {
    hash_zip_limited(zip, path, version, MAX_ZIP_FILE)
}

/// [`hash_zip`] on up to `threads` threads, each reading its own run of entries (balanced by
/// compressed size) through its own reader from `open`: `|| File::open(&spool)`, or
/// `|| Ok(Cursor::new(&bytes[..]))`. Same result as [`hash_zip`]; for a zip with several
/// faults, which one is reported may differ.
pub fn hash_zip_parallel<R, F>(
    open: F,
    path: &str,
    version: &str,
    threads: usize,
) -> Result<String, ZipHashError>
where
    R: Read + Seek,
    F: Fn() -> io::Result<R> + Sync,
{
    hash_zip_parallel_limited(open, path, version, threads, MAX_ZIP_FILE)
}

fn hash_zip_limited<R: Read + Seek>(
    zip: R,
    path: &str,
    version: &str,
    limit: u64,
) -> Result<String, ZipHashError> {
    let module = format!("{path}@{version}");
    let mut archive = open_checked(zip, &module, limit)?;
    let budget = Budget::new(limit);
    let range = 0..archive.len();
    let digests =
        hash_range(&mut archive, range, &module, &budget).map_err(|e| e.into_error(&module))?;
    summarize(&archive, digests, module)
}

fn hash_zip_parallel_limited<R, F>(
    open: F,
    path: &str,
    version: &str,
    threads: usize,
    limit: u64,
) -> Result<String, ZipHashError>
where
    R: Read + Seek,
    F: Fn() -> io::Result<R> + Sync,
{
    let module = format!("{path}@{version}");
    let io_error = |source| ZipHashError::Io {
        module: module.clone(),
        source,
    };
    let mut first = open_checked(open().map_err(io_error)?, &module, limit)?;
    let ranges = split(&first, threads.max(1));
    let budget = Budget::new(limit);
    let results: Vec<Result<Digests, Stop>> = std::thread::scope(|scope| {
        let others: Vec<_> = ranges[1..]
            .iter()
            .map(|range| {
                let (open, module, budget) = (&open, &module, &budget);
                scope.spawn(move || {
                    let zip = open().map_err(|source| {
                        budget.stop();
                        Stop::Failed(ZipHashError::Io {
                            module: module.clone(),
                            source,
                        })
                    })?;
                    let mut archive = ZipArchive::new(zip).map_err(|source| {
                        budget.stop();
                        Stop::Failed(ZipHashError::Format {
                            module: module.clone(),
                            source,
                        })
                    })?;
                    hash_range(&mut archive, range.clone(), module, budget)
                })
            })
            .collect();
        let mine = hash_range(&mut first, ranges[0].clone(), &module, &budget);
        std::iter::once(mine)
            .chain(others.into_iter().map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }))
            .collect()
    });
    // The first real fault in archive order; runs stopped because of it carry none.
    let mut digests = Vec::with_capacity(first.len());
    let mut stopped = false;
    for result in results {
        match result {
            Ok(run) => digests.extend(run),
            Err(Stop::Failed(e)) => return Err(e),
            Err(Stop::Stopped) => stopped = true,
        }
    }
    if stopped {
        return Err(Stop::Stopped.into_error(&module));
    }
    summarize(&first, digests, module)
}

/// The SHA-256 of each entry's contents, in archive order.
type Digests = Vec<[u8; 32]>;

/// Why a run of entries ended early.
enum Stop {
    Failed(ZipHashError),
    /// Another run failed.
    Stopped,
}

impl Stop {
    fn into_error(self, module: &str) -> ZipHashError {
        match self {
            Stop::Failed(e) => e,
            Stop::Stopped => ZipHashError::Io {
                module: module.to_string(),
                source: io::Error::other("stopped without a fault"),
            },
        }
    }
}

/// The uncompressed bytes every run may still read, shared, and whether a run failed.
struct Budget {
    limit: u64,
    used: AtomicU64,
    failed: AtomicBool,
}

impl Budget {
    fn new(limit: u64) -> Budget {
        Budget {
            limit,
            used: AtomicU64::new(0),
            failed: AtomicBool::new(false),
        }
    }

    fn stop(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }
}

/// Opens the zip and makes the checks that need only its size and central directory.
fn open_checked<R: Read + Seek>(
    mut zip: R,
    module: &str,
    limit: u64,
) -> Result<ZipArchive<R>, ZipHashError> {
    let size = zip
        .seek(SeekFrom::End(0))
        .map_err(|source| ZipHashError::Io {
            module: module.to_string(),
            source,
        })?;
    if size > limit {
        return Err(ZipHashError::TooLarge { size });
    }
    let archive = ZipArchive::new(zip).map_err(|source| ZipHashError::Format {
        module: module.to_string(),
        source,
    })?;
    let prefix = format!("{module}/");
    if let Some(name) = archive
        .file_names_raw()
        .find(|name| !name.starts_with(prefix.as_bytes()))
    {
        return Err(ZipHashError::UnexpectedFile {
            module: module.to_string(),
            name: String::from_utf8_lossy(name).into_owned(),
        });
    }
    if archive.has_duplicate_names() {
        return Err(ZipHashError::DuplicateEntries {
            module: module.to_string(),
        });
    }
    Ok(archive)
}

/// Up to `threads` consecutive runs of entries of about equal compressed size.
fn split<R: Read + Seek>(archive: &ZipArchive<R>, threads: usize) -> Vec<Range<usize>> {
    let weight = |i: usize| {
        archive
            .by_index_data(i)
            .map_or(0, |e| e.compressed_size())
            .saturating_add(512)
    };
    let n = archive.len();
    let total: u64 = (0..n).map(weight).fold(0, u64::saturating_add);
    let share = total / threads as u64 + 1;
    let mut ranges = Vec::with_capacity(threads);
    let (mut start, mut acc) = (0, 0u64);
    for i in 0..n {
        acc = acc.saturating_add(weight(i));
        if acc >= share * (ranges.len() as u64 + 1) && ranges.len() + 1 < threads {
            ranges.push(start..i + 1);
            start = i + 1;
        }
    }
    ranges.push(start..n);
    ranges
}

/// Hashes the contents of the entries in `range`. Nothing is kept per entry but its digest:
/// a small allocation that outlives each entry's inflater would fragment the heap (hundreds of
/// MB for tens of thousands of entries).
fn hash_range<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    range: Range<usize>,
    module: &str,
    budget: &Budget,
) -> Result<Digests, Stop> {
    let fail = |e: ZipHashError| {
        budget.stop();
        Stop::Failed(e)
    };
    let mut digests = Vec::with_capacity(range.len());
    let mut buf = vec![0u8; 64 << 10];
    for index in range {
        let mut entry = archive.by_index(index).map_err(|source| {
            fail(ZipHashError::Format {
                module: module.to_string(),
                source,
            })
        })?;
        if entry.name_raw().ends_with(b"/") && entry.size() != 0 {
            return Err(fail(ZipHashError::DirectoryWithData {
                module: module.to_string(),
                name: String::from_utf8_lossy(entry.name_raw()).into_owned(),
            }));
        }
        let mut sha = Sha256::new();
        loop {
            if budget.failed.load(Ordering::Relaxed) {
                return Err(Stop::Stopped);
            }
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(fail(ZipHashError::Entry {
                        module: module.to_string(),
                        name: String::from_utf8_lossy(entry.name_raw()).into_owned(),
                        source,
                    }));
                }
            };
            let used = budget.used.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
            if used > budget.limit {
                return Err(fail(ZipHashError::ContentsTooLarge {
                    module: module.to_string(),
                    limit: budget.limit,
                }));
            }
            sha.update(&buf[..n]);
        }
        digests.push(sha.finalize().into());
    }
    Ok(digests)
}

/// The `h1:` of the archive's entries (names from its central directory) and their digests.
fn summarize<R: Read + Seek>(
    archive: &ZipArchive<R>,
    digests: Digests,
    module: String,
) -> Result<String, ZipHashError> {
    summary_hash(archive.file_names_raw().zip(digests).collect()).map_err(|name| {
        ZipHashError::NewlineInName {
            module,
            name: String::from_utf8_lossy(name).into_owned(),
        }
    })
}

/// `dirhash.Hash1` over (name, SHA-256 of contents) pairs in any order; a name with a newline
/// is returned as the error.
pub(super) fn summary_hash(mut files: Vec<(&[u8], [u8; 32])>) -> Result<String, &[u8]> {
    files.sort_by(|a, b| a.0.cmp(b.0));
    let mut summary = Sha256::new();
    for (name, digest) in files {
        if name.contains(&b'\n') {
            return Err(name);
        }
        summary.update(crate::hex::hex(&digest));
        summary.update(b"  ");
        summary.update(name);
        summary.update(b"\n");
    }
    Ok(format!("h1:{}", base64::encode(&summary.finalize())))
}

#[cfg(test)]
mod tests;
