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
fn summary_hash(mut files: Vec<(&[u8], [u8; 32])>) -> Result<String, &[u8]> {
    files.sort_by(|a, b| a.0.cmp(b.0));
    let mut summary = Sha256::new();
    for (name, digest) in files {
        if name.contains(&b'\n') {
            return Err(name);
        }
        summary.update(hex(&digest));
        summary.update(b"  ");
        summary.update(name);
        summary.update(b"\n");
    }
    Ok(format!("h1:{}", base64::encode(&summary.finalize())))
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::CompressionMethod;
    use zip::write::{SimpleFileOptions, ZipWriter};

    use super::*;

    /// The independent definition: `find . -type f | sort | xargs sha256sum | sha256sum`.
    fn expected(files: &[(&[u8], &[u8])]) -> String {
        let mut lines: Vec<Vec<u8>> = files
            .iter()
            .map(|(name, data)| {
                let mut line = format!("{:x}  ", Sha256::digest(data)).into_bytes();
                line.extend_from_slice(name);
                line.push(b'\n');
                line
            })
            .collect();
        lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
        format!("h1:{}", base64::encode(&Sha256::digest(lines.concat())))
    }

    fn build(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(method);
        for (name, data) in entries {
            if name.ends_with('/') && data.is_empty() {
                w.add_directory(*name, options).unwrap();
            } else {
                w.start_file(*name, options).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    fn hash(bytes: &[u8], path: &str, version: &str) -> Result<String, ZipHashError> {
        hash_zip(Cursor::new(bytes), path, version)
    }

    /// x/mod `zip/testdata/unzip/simple.txt` (golang/mod @ fe2ec04): its files and the hash
    /// x/mod's tests expect.
    const SIMPLE: &[(&str, &[u8])] = &[
        (
            "example.com/m@v1.0.0/go.mod",
            b"module example.com/m\n\ngo 1.13\n",
        ),
        (
            "example.com/m@v1.0.0/m.go",
            b"package m\n\nfunc Foo() int { return 42 }\n",
        ),
        (
            "example.com/m@v1.0.0/cmd/hello/hello.go",
            b"package main\n\nimport (\n  \"fmt\"\n  \"example.com/m\"\n)\n\nfunc main() {\n  fmt.Println(m.Foo())\n}\n",
        ),
    ];
    const SIMPLE_H1: &str = "h1:tpqYOOmuilagXzyqoJ3roUjp8gneQeTv5YVpL6BG7/k=";

    #[test]
    fn x_mod_vectors() {
        for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
            let zip = build(SIMPLE, method);
            assert_eq!(hash(&zip, "example.com/m", "v1.0.0").unwrap(), SIMPLE_H1);
            // x/mod zip/testdata/unzip/go_mod_dir.txt: a directory named go.mod.
            let zip = build(
                &[("example.com/m@v1.0.0/go.mod/a.go", b"package a\n")],
                method,
            );
            assert_eq!(
                hash(&zip, "example.com/m", "v1.0.0").unwrap(),
                "h1:Mun5l9cBlDnnV6JasTpio2aZJSbFj++h+814mnKC/OM="
            );
        }
        // x/mod zip/testdata/unzip/empty.txt: no files at all.
        assert_eq!(
            hash(
                &build(&[], CompressionMethod::Stored),
                "example.com/empty",
                "v1.0.0"
            )
            .unwrap(),
            "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn go_mod_hash() {
        // cmd/go modfetch/fetch.go emptyGoModHash.
        assert_eq!(
            hash_mod(b""),
            "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="
        );
        let text = b"module example.com/m\n\ngo 1.13\n";
        assert_eq!(hash_mod(text), expected(&[(b"go.mod", text)]));
        // The same go.mod inside a zip hashes differently: the name carries the prefix.
        assert_ne!(
            hash_mod(text),
            expected(&[(b"example.com/m@v1.0.0/go.mod", text)])
        );
    }

    #[test]
    fn order_compression_and_metadata_do_not_matter() {
        let mut reversed = SIMPLE.to_vec();
        reversed.reverse();
        let zip = build(&reversed, CompressionMethod::Deflated);
        assert_eq!(hash(&zip, "example.com/m", "v1.0.0").unwrap(), SIMPLE_H1);
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for (i, (name, data)) in SIMPLE.iter().enumerate() {
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(i as i64 + 1))
                .unix_permissions(0o755)
                .last_modified_time(
                    zip::DateTime::from_date_and_time(2001, 2, 3, 4, 5, 6).unwrap(),
                );
            w.start_file(*name, options).unwrap();
            w.write_all(data).unwrap();
        }
        w.set_comment("a comment go ignores").unwrap();
        let zip = w.finish().unwrap().into_inner();
        assert_eq!(hash(&zip, "example.com/m", "v1.0.0").unwrap(), SIMPLE_H1);
    }

    #[test]
    fn a_changed_byte_changes_the_hash() {
        let mut files = SIMPLE.to_vec();
        files[1].1 = b"package m\n\nfunc Foo() int { return 43 }\n";
        let zip = build(&files, CompressionMethod::Deflated);
        let got = hash(&zip, "example.com/m", "v1.0.0").unwrap();
        assert_ne!(got, SIMPLE_H1);
        let pairs: Vec<(&[u8], &[u8])> = files.iter().map(|(n, d)| (n.as_bytes(), *d)).collect();
        assert_eq!(got, expected(&pairs));
    }

    #[test]
    fn directory_entries_hash_as_empty_files() {
        let files: &[(&str, &[u8])] = &[
            ("example.com/m@v1.0.0/", b""),
            ("example.com/m@v1.0.0/sub/", b""),
            ("example.com/m@v1.0.0/sub/a.go", b"package sub\n"),
        ];
        let zip = build(files, CompressionMethod::Stored);
        let pairs: Vec<(&[u8], &[u8])> = files.iter().map(|(n, d)| (n.as_bytes(), *d)).collect();
        assert_eq!(
            hash(&zip, "example.com/m", "v1.0.0").unwrap(),
            expected(&pairs)
        );
    }

    #[test]
    fn names_are_raw_bytes() {
        // A name that is not UTF-8 and has no UTF-8 flag: go keeps the bytes as they are
        // (the zip crate's `name()` would decode them as CP437).
        let zip = build(
            &[("example.com/m@v1.0.0/X.go", b"package m\n")],
            CompressionMethod::Stored,
        );
        let patched = replace_all(&zip, b"/X.go", b"/\xff.go");
        assert_eq!(
            hash(&patched, "example.com/m", "v1.0.0").unwrap(),
            expected(&[(b"example.com/m@v1.0.0/\xff.go", b"package m\n")])
        );
    }

    fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        assert_eq!(from.len(), to.len());
        let mut out = haystack.to_vec();
        let mut replaced = 0;
        for i in 0..=out.len() - from.len() {
            if &out[i..i + from.len()] == from {
                out[i..i + from.len()].copy_from_slice(to);
                replaced += 1;
            }
        }
        assert!(replaced > 0, "pattern not found");
        out
    }

    #[test]
    fn entries_outside_the_module_prefix() {
        let cases: &[(&str, &str)] = &[
            ("example.com/m@v1.0.1/go.mod", "example.com/m@v1.0.1/go.mod"),
            ("example.com/m@v1.0.0", "example.com/m@v1.0.0"),
            ("go.mod", "go.mod"),
            ("example.com/M@v1.0.0/go.mod", "example.com/M@v1.0.0/go.mod"),
        ];
        for (name, shown) in cases {
            let mut files = SIMPLE.to_vec();
            files.push((name, b"x\n"));
            let zip = build(&files, CompressionMethod::Deflated);
            let err = hash(&zip, "example.com/m", "v1.0.0").unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("zip for example.com/m@v1.0.0 has unexpected file {shown}")
            );
        }
        let zip = build(SIMPLE, CompressionMethod::Stored);
        assert!(matches!(
            hash(&zip, "example.com/m", "v1.0.1"),
            Err(ZipHashError::UnexpectedFile { .. })
        ));
    }

    #[test]
    fn duplicate_names_are_refused() {
        // The zip crate refuses to write two entries with one name: rename one afterwards.
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        w.start_file("example.com/m@v1.0.0/a.go", options).unwrap();
        w.write_all(b"package a\n").unwrap();
        w.start_file("example.com/m@v1.0.0/b.go", options).unwrap();
        w.write_all(b"package b\n").unwrap();
        let zip = w.finish().unwrap().into_inner();
        let dup = replace_all(&zip, b"/b.go", b"/a.go");
        let err = hash(&dup, "example.com/m", "v1.0.0").unwrap_err();
        assert!(
            matches!(err, ZipHashError::DuplicateEntries { .. }),
            "{err}"
        );
    }

    #[test]
    fn newline_in_a_name() {
        let zip = build(
            &[("example.com/m@v1.0.0/a\nb.go", b"package m\n")],
            CompressionMethod::Stored,
        );
        let err = hash(&zip, "example.com/m", "v1.0.0").unwrap_err();
        assert!(matches!(err, ZipHashError::NewlineInName { .. }), "{err}");
        assert!(err.to_string().contains("filenames with newlines"), "{err}");
    }

    #[test]
    fn directory_with_data() {
        let zip = build(
            &[("example.com/m@v1.0.0/X/", b"data")],
            CompressionMethod::Stored,
        );
        let err = hash(&zip, "example.com/m", "v1.0.0").unwrap_err();
        assert!(
            matches!(err, ZipHashError::DirectoryWithData { .. }),
            "{err}"
        );
    }

    #[test]
    fn damaged_zips() {
        let zip = build(SIMPLE, CompressionMethod::Stored);
        // A flipped content byte: the CRC-32 no longer matches.
        let flipped = replace_all(&zip, b"return 42", b"return 24");
        let err = hash(&flipped, "example.com/m", "v1.0.0").unwrap_err();
        assert!(matches!(err, ZipHashError::Entry { .. }), "{err}");
        // Truncated: no end of central directory.
        let err = hash(&zip[..zip.len() - 30], "example.com/m", "v1.0.0").unwrap_err();
        assert!(matches!(err, ZipHashError::Format { .. }), "{err}");
        for junk in [&b""[..], b"not a zip", &[0u8; 4096]] {
            let err = hash(junk, "example.com/m", "v1.0.0").unwrap_err();
            assert!(matches!(err, ZipHashError::Format { .. }), "{err}");
        }
        // Damaged deflate data (the CRC-32 or the inflater notices).
        let data: Vec<u8> = (0..100_000u64).map(|i| (i * i % 251) as u8).collect();
        let deflated = build(
            &[("example.com/m@v1.0.0/big", &data[..])],
            CompressionMethod::Deflated,
        );
        let name_len = "example.com/m@v1.0.0/big".len();
        let extra_len = usize::from(u16::from_le_bytes([deflated[28], deflated[29]]));
        let data_start = 30 + name_len + extra_len;
        let central = deflated
            .windows(4)
            .position(|w| w == b"PK\x01\x02")
            .unwrap();
        let mut broken = deflated.clone();
        broken[(data_start + central) / 2] ^= 0x5a;
        let err = hash(&broken, "example.com/m", "v1.0.0").unwrap_err();
        assert!(matches!(err, ZipHashError::Entry { .. }), "{err}");
    }

    #[test]
    fn size_limits() {
        let zip = build(
            &[("example.com/m@v1.0.0/zeros", &[0u8; 10_000][..])],
            CompressionMethod::Deflated,
        );
        assert!(zip.len() < 1000, "zeros deflate well");
        let err =
            hash_zip_limited(Cursor::new(&zip), "example.com/m", "v1.0.0", 5_000).unwrap_err();
        assert!(
            matches!(err, ZipHashError::ContentsTooLarge { limit: 5_000, .. }),
            "{err}"
        );
        assert!(hash_zip_limited(Cursor::new(&zip), "example.com/m", "v1.0.0", 10_000).is_ok());
        let err = hash_zip_limited(Cursor::new(&zip), "example.com/m", "v1.0.0", 100).unwrap_err();
        assert!(matches!(err, ZipHashError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("too large"), "{err}");
    }

    fn many_files(count: usize, method: CompressionMethod) -> (Vec<u8>, String) {
        let files: Vec<(String, Vec<u8>)> = (0..count)
            .map(|i| {
                let name = format!("example.com/m@v1.0.0/d{}/f{i}.go", i % 7);
                (
                    name,
                    format!("package d\n// {}\n", "x".repeat(i * 37 % 5000)).into_bytes(),
                )
            })
            .collect();
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let pairs: Vec<(&[u8], &[u8])> = files
            .iter()
            .map(|(n, d)| (n.as_bytes(), d.as_slice()))
            .collect();
        (build(&refs, method), expected(&pairs))
    }

    fn parallel(bytes: &[u8], threads: usize) -> Result<String, ZipHashError> {
        hash_zip_parallel(
            || Ok(Cursor::new(bytes)),
            "example.com/m",
            "v1.0.0",
            threads,
        )
    }

    #[test]
    fn parallel_equals_sequential() {
        for count in [0, 1, 2, 5, 64, 300] {
            for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
                let (zip, want) = many_files(count, method);
                assert_eq!(hash(&zip, "example.com/m", "v1.0.0").unwrap(), want);
                for threads in [0, 1, 2, 3, 8] {
                    assert_eq!(
                        parallel(&zip, threads).unwrap(),
                        want,
                        "{count} files, {threads} threads"
                    );
                }
            }
        }
        // From a file, each thread with its own handle.
        let (zip, want) = many_files(100, CompressionMethod::Deflated);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.zip");
        std::fs::write(&path, &zip).unwrap();
        let got = hash_zip_parallel(|| std::fs::File::open(&path), "example.com/m", "v1.0.0", 4);
        assert_eq!(got.unwrap(), want);
    }

    #[test]
    fn runs_are_balanced_and_cover_every_entry() {
        let (zip, _) = many_files(300, CompressionMethod::Stored);
        let archive = ZipArchive::new(Cursor::new(&zip)).unwrap();
        for threads in [1, 2, 3, 8, 1000] {
            let ranges = split(&archive, threads);
            assert!(ranges.len() <= threads);
            assert_eq!(ranges.first().unwrap().start, 0);
            assert_eq!(ranges.last().unwrap().end, 300);
            assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        }
        let sizes: Vec<u64> = split(&archive, 2)
            .into_iter()
            .map(|r| {
                r.map(|i| archive.by_index_data(i).unwrap().compressed_size())
                    .sum()
            })
            .collect();
        let (a, b) = (sizes[0] as f64, sizes[1] as f64);
        assert!((a - b).abs() / (a + b) < 0.1, "{sizes:?}");
    }

    #[test]
    fn parallel_faults() {
        let (zip, _) = many_files(200, CompressionMethod::Stored);
        // The last entry's data damaged (its run is the last one): the CRC-32 check fails
        // and the error names it, whatever the number of threads.
        let name = b"example.com/m@v1.0.0/d3/f199.go";
        let pos = zip.windows(name.len()).position(|w| w == name).unwrap();
        let extra = usize::from(u16::from_le_bytes([zip[pos - 2], zip[pos - 1]]));
        let mut damaged = zip.clone();
        damaged[pos + name.len() + extra + 2] ^= 0x20;
        for threads in [1, 2, 4] {
            let err = parallel(&damaged, threads).unwrap_err();
            assert!(
                matches!(&err, ZipHashError::Entry { name, .. } if name.ends_with("d3/f199.go")),
                "{threads}: {err}"
            );
        }
        let err =
            hash_zip_parallel(|| Ok(Cursor::new(&zip)), "example.com/m", "v1.0.1", 4).unwrap_err();
        assert!(matches!(err, ZipHashError::UnexpectedFile { .. }), "{err}");
        let limit = 10_000;
        let err = hash_zip_parallel_limited(
            || Ok(Cursor::new(&zip)),
            "example.com/m",
            "v1.0.0",
            4,
            limit,
        )
        .unwrap_err();
        assert!(matches!(err, ZipHashError::TooLarge { .. }), "{err}");
        let (small, _) = many_files(200, CompressionMethod::Deflated);
        let content: u64 = {
            let mut a = ZipArchive::new(Cursor::new(&small)).unwrap();
            (0..a.len()).map(|i| a.by_index(i).unwrap().size()).sum()
        };
        let limit = (small.len() as u64).max(content / 2);
        let err = hash_zip_parallel_limited(
            || Ok(Cursor::new(&small)),
            "example.com/m",
            "v1.0.0",
            4,
            limit,
        )
        .unwrap_err();
        assert!(
            matches!(err, ZipHashError::ContentsTooLarge { .. }),
            "{err}"
        );
        // A reader that cannot be opened again.
        let calls = AtomicU64::new(0);
        let err = hash_zip_parallel(
            || {
                if calls.fetch_add(1, Ordering::Relaxed) == 0 {
                    Ok(Cursor::new(&zip[..]))
                } else {
                    Err(io::Error::other("spool gone"))
                }
            },
            "example.com/m",
            "v1.0.0",
            4,
        )
        .unwrap_err();
        assert!(err.to_string().contains("spool gone"), "{err}");
    }
}
