//! Unit tests of `dirhash`.

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
            .last_modified_time(zip::DateTime::from_date_and_time(2001, 2, 3, 4, 5, 6).unwrap());
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
    broken[usize::midpoint(data_start, central)] ^= 0x5a;
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
    let err = hash_zip_limited(Cursor::new(&zip), "example.com/m", "v1.0.0", 5_000).unwrap_err();
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
