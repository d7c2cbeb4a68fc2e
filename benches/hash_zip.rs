//! Benchmark (not a test): goenv::dirhash's `h1:` of a 100 MiB module zip next to the time
//! the same zip takes to download over loopback with reqwest (the router's client). Run it
//! through scripts/bench-hash.sh.
//!
//! `hash_zip [--bench] run <dir> [runs [source tree]]` builds zips of about 100 MiB in `dir`
//! and prints the figures:
//! - stored: pseudo Go source, stored as the fixture proxy stores entries
//!   (tests/support/modules.rs);
//! - deflated: the same kind of text, deflated as proxy.golang.org's zips are;
//! - go-source: the files of a real source tree (e.g. Go's own `src`), deflated, repeated
//!   until the zip is 100 MiB.
//!
//! `hash_zip [--bench] file <zip> <module path> <version> [threads]` hashes one zip file once
//! (for measuring time and memory with /usr/bin/time -v).

// clippy.toml keeps goshim's own code from reading argv outside main.rs; this binary's main
// reads its own arguments.
#![allow(clippy::disallowed_methods)]

use std::io::{Cursor, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use goshim::goenv::dirhash;
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

const PATH: &str = "example.com/bench";
const VERSION: &str = "v1.0.0";
const TARGET: usize = 100 << 20;

/// The files of a benchmark zip, by index: (name below the module root, contents).
type FileSource = Box<dyn FnMut(usize) -> (String, Vec<u8>)>;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["run", dir, rest @ ..] => {
            let runs = rest
                .first()
                .map_or(5, |r| r.parse().expect("runs is a number"));
            run(Path::new(dir), runs, rest.get(1).map(Path::new));
        }
        ["file", zip, path, version, rest @ ..] => {
            let threads = rest
                .first()
                .map_or(1, |t| t.parse().expect("threads is a number"));
            let t = Instant::now();
            let open = || std::fs::File::open(zip);
            let h1 =
                dirhash::hash_zip_parallel(open, path, version, threads).expect("hash the zip");
            println!("{h1} in {:.1} ms ({threads} threads)", ms(t.elapsed()));
        }
        _ => {
            eprintln!(
                "usage: hash_zip run <dir> [runs [source tree]] | \
                 hash_zip file <zip> <path> <version> [threads]"
            );
            std::process::exit(2);
        }
    }
}

fn run(dir: &Path, runs: usize, source_tree: Option<&Path>) {
    std::fs::create_dir_all(dir).expect("create the output directory");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client");
    println!("runs: {runs} (median), machine: {} CPUs", cpus());
    let mut cases: Vec<(&str, CompressionMethod, FileSource)> = vec![
        ("stored", CompressionMethod::Stored, Box::new(synthetic())),
        (
            "deflated",
            CompressionMethod::Deflated,
            Box::new(synthetic()),
        ),
    ];
    if let Some(src) = source_tree {
        cases.push((
            "go-source",
            CompressionMethod::Deflated,
            Box::new(tree(src)),
        ));
    }
    for (name, method, mut files) in cases {
        let t = Instant::now();
        let (zip, content) = build(method, &mut files);
        let file = dir.join(format!("{name}.zip"));
        std::fs::write(&file, &zip).expect("write the zip");
        println!(
            "\n{name}: zip {:.1} MiB, contents {:.1} MiB (built in {:.1} s) -> {}",
            mib(zip.len()),
            mib(content),
            t.elapsed().as_secs_f64(),
            file.display()
        );
        let zip = Arc::new(zip);
        let addr = serve(zip.clone());
        let url = format!("http://{addr}/{PATH}/@v/{VERSION}.zip");
        let spool = dir.join(format!("{name}.spool"));
        let to_memory = median(runs, || {
            rt.block_on(async {
                let t = Instant::now();
                let body = client
                    .get(&url)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                assert_eq!(body.len(), zip.len());
                t.elapsed()
            })
        });
        let to_file = median(runs, || {
            rt.block_on(async {
                let t = Instant::now();
                let mut resp = client.get(&url).send().await.unwrap();
                let mut out = std::fs::File::create(&spool).unwrap();
                while let Some(chunk) = resp.chunk().await.unwrap() {
                    out.write_all(&chunk).unwrap();
                }
                t.elapsed()
            })
        });
        let expected = dirhash::hash_zip(Cursor::new(zip.as_slice()), PATH, VERSION).unwrap();
        let from_memory = median(runs, || {
            let t = Instant::now();
            let h1 = dirhash::hash_zip(Cursor::new(zip.as_slice()), PATH, VERSION).unwrap();
            assert_eq!(h1, expected);
            t.elapsed()
        });
        let from_file = median(runs, || {
            let t = Instant::now();
            let f = std::fs::File::open(&spool).unwrap();
            let h1 = dirhash::hash_zip(f, PATH, VERSION).unwrap();
            assert_eq!(h1, expected);
            t.elapsed()
        });
        let threads = cpus();
        let parallel_memory = median(runs, || {
            let t = Instant::now();
            let open = || Ok(Cursor::new(zip.as_slice()));
            let h1 = dirhash::hash_zip_parallel(open, PATH, VERSION, threads).unwrap();
            assert_eq!(h1, expected);
            t.elapsed()
        });
        let parallel_file = median(runs, || {
            let t = Instant::now();
            let open = || std::fs::File::open(&spool);
            let h1 = dirhash::hash_zip_parallel(open, PATH, VERSION, threads).unwrap();
            assert_eq!(h1, expected);
            t.elapsed()
        });
        let _ = std::fs::remove_file(&spool);
        let rate = |d: Duration, bytes: usize| mib(bytes) / d.as_secs_f64();
        println!(
            "  download to memory  {:8.1} ms  {:7.0} MiB/s",
            ms(to_memory),
            rate(to_memory, zip.len())
        );
        println!(
            "  download to file    {:8.1} ms  {:7.0} MiB/s",
            ms(to_file),
            rate(to_file, zip.len())
        );
        let parallel_memory_label = format!("{threads} threads, memory");
        let parallel_file_label = format!("{threads} threads, file");
        for (what, d) in [
            ("hash from memory", from_memory),
            ("hash from file", from_file),
            (parallel_memory_label.as_str(), parallel_memory),
            (parallel_file_label.as_str(), parallel_file),
        ] {
            println!(
                "  {what:<18}  {:8.1} ms  {:7.0} MiB/s of zip, {:7.0} MiB/s of contents",
                ms(d),
                rate(d, zip.len()),
                rate(d, content)
            );
        }
        let pct = |hash: Duration, download: Duration| {
            100.0 * hash.as_secs_f64() / download.as_secs_f64()
        };
        println!(
            "  hash / download (goal <= 5%): 1 thread {:.0}% (memory spool), {:.0}% (file \
             spool); {threads} threads {:.0}%, {:.0}%",
            pct(from_memory, to_memory),
            pct(from_file, to_file),
            pct(parallel_memory, to_memory),
            pct(parallel_file, to_file)
        );
    }
}

/// A module zip of about [`TARGET`] bytes from `files` (name, contents), taken in turn until
/// the zip is that large; also the total size of the contents.
fn build(
    method: CompressionMethod,
    files: &mut dyn FnMut(usize) -> (String, Vec<u8>),
) -> (Vec<u8>, usize) {
    let prefix = format!("{PATH}@{VERSION}/");
    let mut w = ZipWriter::new(Cursor::new(Vec::with_capacity(TARGET + (1 << 20))));
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .unix_permissions(0o644);
    w.start_file(format!("{prefix}go.mod"), options).unwrap();
    w.write_all(format!("module {PATH}\n\ngo 1.21\n").as_bytes())
        .unwrap();
    let mut content = 0;
    let mut i = 0;
    while w.get_ref().map_or(0, |c| c.get_ref().len()) < TARGET {
        let (name, data) = files(i);
        w.start_file(format!("{prefix}{name}"), options).unwrap();
        w.write_all(&data).unwrap();
        content += data.len();
        i += 1;
    }
    (w.finish().unwrap().into_inner(), content)
}

/// Files of pseudo Go source, 64 KiB each.
fn synthetic() -> impl FnMut(usize) -> (String, Vec<u8>) {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    move |i| {
        (
            format!("pkg{}/file{i}.go", i % 50),
            source(&mut rng, 64 << 10),
        )
    }
}

/// The regular files under `root`, again and again (in `copy<N>/` directories).
fn tree(root: &Path) -> impl FnMut(usize) -> (String, Vec<u8>) + use<> {
    let root = root.to_path_buf();
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the source tree") {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no files under {}", root.display());
    move |i| {
        let path = &files[i % files.len()];
        let rel = path.strip_prefix(&root).unwrap().display();
        (
            format!("copy{}/{rel}", i / files.len()),
            std::fs::read(path).unwrap(),
        )
    }
}

/// About `len` bytes of Go-like text (deflates about as well as real source code).
fn source(rng: &mut u64, len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "func",
        "return",
        "if",
        "err",
        "!=",
        "nil",
        "{",
        "}",
        "(",
        ")",
        ":=",
        "for",
        "range",
        "string",
        "int",
        "byte",
        "struct",
        "type",
        "var",
        "const",
        "package",
        "import",
        "ctx",
        "context.Context",
        "fmt.Errorf",
        "len",
        "append",
        "make",
        "map",
        "[]byte",
        "true",
        "false",
        "switch",
        "case",
        "default",
        "defer",
        "go",
        "select",
        "chan",
        "else",
    ];
    let mut out = Vec::with_capacity(len + 100);
    while out.len() < len {
        let indent = next(rng) % 4;
        out.extend(std::iter::repeat_n(b'\t', indent as usize));
        for _ in 0..3 + next(rng) % 8 {
            let r = next(rng);
            if r.is_multiple_of(5) {
                out.extend_from_slice(format!("name{}", r % 997).as_bytes());
            } else {
                out.extend_from_slice(WORDS[(r % WORDS.len() as u64) as usize].as_bytes());
            }
            out.push(b' ');
        }
        out.push(b'\n');
    }
    out
}

fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// An HTTP/1.1 server on 127.0.0.1 answering every request with `body`.
fn serve(body: Arc<Vec<u8>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if conn.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let header = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(header.as_bytes());
                let _ = conn.write_all(&body);
            });
        }
    });
    addr
}

fn median(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(1)).map(|_| f()).collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
