//! Verify before serving (issue 12, Must show 1), with the real go through the shim: a mirror
//! that serves a tampered `.zip` or `.mod` is passed over for the next one, named once on
//! stderr, and its bytes never reach the module cache; with only that mirror, go fails with
//! the router's explanation and nothing is cached. Each with the hash from go.sum (the module
//! exempt from the checksum database) and from the fixture checksum database (no go.sum line).

use std::path::Path;
use std::time::Duration;

use crate::support::modules::{Module, TAMPER_LINE};
use crate::support::proxy::{Fault, Proxy};
use crate::support::sumdb::SumDb;
use crate::support::world::{PROBE, Run, World, fast_config};

const LIMIT: Duration = Duration::from_secs(60);

fn hello() -> Module {
    Module::new("example.com/hello", "v1.0.0")
        .file("hello.go", "package hello\n\nconst Greeting = \"hello\"\n")
}

fn probe() -> Module {
    let (path, version) = PROBE.split_once('@').unwrap();
    Module::new(path, version).file("probe.go", "package probe\n")
}

/// Where the router (and go) take the required hash from.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// The project's go.sum lists it; the module is exempt from the database (GONOSUMDB).
    GoSum,
    /// No go.sum line: the fixture checksum database, proxied by every mirror.
    Db,
}

/// The two mirrors' files and the database.
struct Bed {
    db: SumDb,
}

impl Bed {
    fn new() -> Bed {
        Bed {
            db: SumDb::of([&hello(), &probe()]),
        }
    }

    fn mirror(&self, fault: Fault) -> Proxy {
        let p = Proxy::serving([hello(), probe()]);
        p.proxy_sumdb(&self.db);
        p.set_fault(fault);
        p
    }

    /// A project requiring hello through these mirrors; `modcache` names its module cache.
    fn world(&self, mirrors: &[&Proxy], source: Source, modcache: &str) -> World {
        let urls: Vec<String> = mirrors.iter().map(|p| p.url()).collect();
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        let w = World::new()
            .real_go()
            .limit(LIMIT)
            .unreachable_internet()
            .user_config(&fast_config(&urls, "", ""))
            .file(
                "go.mod",
                "module example.com/app\n\ngo 1.22\n\nrequire example.com/hello v1.0.0\n",
            )
            .file(
                "main.go",
                "package main\n\nimport \"example.com/hello\"\n\nfunc main() { println(hello.Greeting) }\n",
            );
        let w = match source {
            Source::GoSum => w
                .file("go.sum", &hello().go_sum())
                .env("GONOSUMDB", "example.com"),
            Source::Db => w.env("GOSUMDB", &self.db.gosumdb()),
        };
        let dir = w.root().join(modcache).display().to_string();
        w.env("GOMODCACHE", &dir)
    }
}

fn host(p: &Proxy) -> String {
    p.url().trim_start_matches("http://").to_string()
}

/// Every file under `dir`, read whole.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

/// No file of the module cache holds the tampered bytes (zips are stored, so the changed
/// line would show in the zip file itself).
fn assert_untampered(w: &World) {
    let cache = w.gomodcache();
    let hits: Vec<String> = files(Path::new(&cache))
        .into_iter()
        .filter(|(_, b)| {
            b.windows(TAMPER_LINE.len())
                .any(|x| x == TAMPER_LINE.as_bytes())
        })
        .map(|(p, _)| p)
        .collect();
    assert!(
        hits.is_empty(),
        "tampered bytes in the module cache: {hits:?}"
    );
}

/// Exactly one stderr line names the tampering mirror, and it says the body was discarded.
fn assert_named_once(r: &Run, bad: &Proxy, ext: &str) {
    let stderr = r.stderr();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&host(bad))).collect();
    assert_eq!(lines.len(), 1, "{}", r.show());
    assert!(
        lines[0].starts_with("goshim: ")
            && lines[0].contains(&format!("example.com/hello@v1.0.0 {ext}"))
            && lines[0].ends_with("discarded it"),
        "{}",
        r.show()
    );
}

fn scenario(fault: &Fault, ext: &str, source: Source) {
    let bed = Bed::new();
    let bad = bed.mirror(fault.clone());
    let good = bed.mirror(Fault::Serve);
    let want_sum = hello().go_sum();

    // go mod download: the good mirror's bytes, the bad mirror named once.
    let w = bed.world(&[&bad, &good], source, "modcache-download");
    let r = w.go(&["mod", "download", "-json", "example.com/hello@v1.0.0"]);
    r.assert_success();
    let v = r.json();
    assert!(
        v["Error"].is_null() && want_sum.contains(v["Sum"].as_str().unwrap_or("-")),
        "{}",
        r.show()
    );
    assert!(bad.saw(&format!("/example.com/hello/@v/v1.0.0{ext}")));
    assert!(good.saw(&format!("/example.com/hello/@v/v1.0.0{ext}")));
    assert_named_once(&r, &bad, ext);
    assert_untampered(&w);

    // go build from an empty module cache (with the database: go adds the go.sum lines).
    let w = bed.world(&[&bad, &good], source, "modcache-build");
    let args: &[&str] = match source {
        Source::GoSum => &["build", "./..."],
        Source::Db => &["build", "-mod=mod", "./..."],
    };
    let r = w.go(args);
    r.assert_success();
    assert_named_once(&r, &bad, ext);
    assert_untampered(&w);

    // Only the tampering mirror: go fails with the router's reason, nothing is cached.
    let w = bed.world(&[&bad], source, "modcache-alone");
    let r = w.go(&["mod", "download", "-json", "example.com/hello@v1.0.0"]);
    assert_eq!(r.code(), Some(1), "{}", r.show());
    let from = match source {
        Source::GoSum => "go.sum",
        Source::Db => bed.db.name(),
    };
    let reason = format!(
        "server response: {}: served a {ext} whose h1: differs from {from}",
        host(&bad)
    );
    assert!(r.stdout().contains(&reason), "{}", r.show());
    let cache = Path::new(&w.gomodcache()).to_path_buf();
    assert!(
        !cache.join("example.com/hello@v1.0.0").exists()
            && !cache
                .join("cache/download/example.com/hello/@v/v1.0.0.zip")
                .exists(),
        "{:?}",
        files(&cache).iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_untampered(&w);
}

#[test]
fn a_tampered_zip_is_passed_over_with_the_hash_from_go_sum() {
    scenario(&Fault::TamperZip, ".zip", Source::GoSum);
}

#[test]
fn a_tampered_zip_is_passed_over_with_the_hash_from_the_checksum_database() {
    scenario(&Fault::TamperZip, ".zip", Source::Db);
}

#[test]
fn a_tampered_mod_is_passed_over_with_the_hash_from_go_sum() {
    scenario(&Fault::TamperMod, ".mod", Source::GoSum);
}

#[test]
fn a_tampered_mod_is_passed_over_with_the_hash_from_the_checksum_database() {
    scenario(&Fault::TamperMod, ".mod", Source::Db);
}
