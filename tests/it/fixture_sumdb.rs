//! The fixture checksum database is a real one: the real go (run directly, no goshim)
//! verifies fixture modules against it, directly and through a fixture proxy, as it grows;
//! it catches tampered downloads; it switches to the fake toolchain with verification on.
//! And the fixture-proxy faults added for the module router behave as documented.

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::support::bounded::{self, Bounded};
use crate::support::http::{Response, get, parse_response, send};
use crate::support::modules::{
    Module, TAMPER_LINE, TOOLCHAIN_MODULE, escape_path, toolchain_version,
};
use crate::support::proxy::{Fault, Proxy, base64};
use crate::support::sumdb::{FIXTURE_SUMDB_NAME, SumDb, Tile, lookup_path};
use crate::support::{realgo, shim};

fn hello() -> Module {
    Module::new("example.com/hello", "v1.0.0")
        .file("hello.go", "package hello\n\nconst Greeting = \"hello\"\n")
}

/// Upper-case letters: go escapes them (`!fixture/!greet`) in proxy and lookup paths.
fn greet() -> Module {
    Module::new("example.com/Fixture/Greet", "v0.2.0")
        .file("greet.go", "package greet\n\nconst Name = \"greet\"\n")
}

fn third() -> Module {
    Module::new("example.org/third", "v1.1.0").file("third.go", "package third\n")
}

/// Records that only fill the log (no proxy serves them).
fn fillers(from: usize, count: usize) -> Vec<Module> {
    (from..from + count)
        .map(|i| Module::new(&format!("example.net/filler{i}"), "v1.0.0"))
        .collect()
}

/// The hermetic environment with verification on: GOPROXY and GOSUMDB as given, and none of
/// GONOSUMDB, GOPRIVATE, GONOPROXY, GOINSECURE, GOFLAGS=-insecure.
fn verified_env(home: &Path, goproxy: &str, gosumdb: &str) -> Vec<(String, String)> {
    let mut env = realgo::hermetic_env(home);
    env.push(("GOPROXY".into(), goproxy.into()));
    env.push(("GOSUMDB".into(), gosumdb.into()));
    for (k, v) in &env {
        assert!(
            !matches!(
                k.as_str(),
                "GONOSUMDB" | "GOPRIVATE" | "GONOPROXY" | "GOINSECURE"
            ) && !v.contains("-insecure"),
            "{k}={v} would weaken verification"
        );
    }
    env
}

/// The real go with `args` in `dir`, killed after `limit`.
fn go(env: &[(String, String)], dir: &Path, args: &[&str], limit: Duration) -> Bounded {
    let mut cmd: Command = shim::command(realgo::go(), env);
    cmd.args(args).current_dir(dir);
    bounded::run(&mut cmd, limit)
}

const FINISHES: Duration = Duration::from_secs(120);
/// How long a go that should hang is left running before it is killed.
const HANGS: Duration = Duration::from_secs(4);

/// `go mod download <path@version>...` outside any module, killed after `limit`.
fn mod_download(
    env: &[(String, String)],
    dir: &Path,
    modules: &[&Module],
    limit: Duration,
) -> Bounded {
    let targets: Vec<String> = modules
        .iter()
        .map(|m| format!("{}@{}", m.path(), m.version()))
        .collect();
    let mut args = vec!["mod", "download"];
    args.extend(targets.iter().map(String::as_str));
    go(env, dir, &args, limit)
}

/// The tree head go stored after verifying it.
fn go_latest(home: &Path, db: &SumDb) -> Vec<u8> {
    std::fs::read(home.join("gopath/pkg/sumdb").join(db.name()).join("latest"))
        .expect("go stored the checksum database's tree head")
}

/// Where go extracts `m` in the module cache (escaped path).
fn extracted(home: &Path, m: &Module) -> std::path::PathBuf {
    home.join("gopath/pkg/mod")
        .join(format!("{}@{}", escape_path(m.path()), m.version()))
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

fn leaf(record: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(record.as_bytes());
    h.finalize().into()
}

fn node(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

// ---- the database's own answers ----

#[test]
fn tile_paths_use_x_mod_encoding() {
    // The examples of x/mod/sumdb/tlog/tile.go's documentation.
    let partial = Tile {
        h: 3,
        l: Some(4),
        n: 1_234_067,
        w: 1,
    };
    assert_eq!(partial.path(), "tile/3/4/x001/x234/067.p/1");
    let full = Tile { w: 8, ..partial };
    assert_eq!(full.path(), "tile/3/4/x001/x234/067");
    let data = Tile {
        h: 8,
        l: None,
        n: 0,
        w: 2,
    };
    assert_eq!(data.path(), "tile/8/data/000.p/2");
    for t in [partial, full, data] {
        assert_eq!(Tile::parse(&t.path()), Some(t));
    }
    for bad in [
        "tile/8/0/1.p/3",
        "tile/8/0/000.p/256",
        "tile/8/0/000.p/0",
        "tile/8/0/x001",
        "tile/8/0/001/002",
        "tile/8/00/000",
        "tile/0/0/000",
        "tile/8/0",
    ] {
        assert_eq!(Tile::parse(bad), None, "{bad}");
    }
}

#[test]
fn database_answers_as_x_mod_s_server_does() {
    let db = SumDb::of(&[hello(), greet()]);
    let srv = db.start_server();

    let vkey = db.vkey();
    let fields: Vec<&str> = vkey.splitn(3, '+').collect();
    assert_eq!(fields.len(), 3, "{vkey}");
    assert_eq!(fields[0], FIXTURE_SUMDB_NAME);
    assert!(
        fields[1].len() == 8 && fields[1].bytes().all(|b| b.is_ascii_hexdigit()),
        "{vkey}"
    );
    assert_eq!(SumDb::new().vkey(), vkey, "the key is deterministic");
    assert_ne!(SumDb::named("sum.golang.org").vkey(), vkey);

    // /latest: the signed tree note, whose root is RFC 6962's hash of the two records.
    let latest = get(srv.addr(), "/latest");
    assert_eq!(latest.status, 200);
    let root = node(&leaf(&hello().go_sum()), &leaf(&greet().go_sum()));
    let text = format!("go.sum database tree\n2\n{}\n", base64(&root));
    let note = latest.text();
    assert!(note.starts_with(&format!("{text}\n\u{2014} {FIXTURE_SUMDB_NAME} ")));
    assert_eq!(latest.body, db.signed_tree());

    // A lookup: record id, record, blank line, signed note.
    let lookup = get(srv.addr(), "/lookup/example.com/!fixture/!greet@v0.2.0");
    assert_eq!(lookup.status, 200);
    assert_eq!(lookup.text(), format!("1\n{}\n{note}", greet().go_sum()));
    assert_eq!(
        lookup_path("example.com/Fixture/Greet", "v0.2.0"),
        "lookup/example.com/!fixture/!greet@v0.2.0"
    );
    let missing = get(srv.addr(), "/lookup/example.com/nope@v1.0.0");
    assert_eq!(missing.status, 404);
    assert!(
        missing
            .text()
            .starts_with("not found: example.com/nope@v1.0.0")
    );

    // Hash and data tiles hold what the tree holds, no more.
    let tile = get(srv.addr(), "/tile/8/0/000.p/2");
    assert_eq!(tile.status, 200);
    assert_eq!(
        tile.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(tile.body[..32], leaf(&hello().go_sum()));
    assert_eq!(tile.body[32..], leaf(&greet().go_sum()));
    assert_eq!(get(srv.addr(), "/tile/8/0/000.p/3").status, 404);
    assert_eq!(get(srv.addr(), "/tile/8/0/000").status, 404);
    assert_eq!(get(srv.addr(), "/tile/8/1/000.p/1").status, 404);
    assert_eq!(get(srv.addr(), "/tile/8/0/0").status, 400);
    let data = get(srv.addr(), "/tile/8/data/000.p/2");
    assert_eq!(
        data.text(),
        format!("{}\n{}\n", hello().go_sum(), greet().go_sum())
    );

    // It grows: a new head; old tiles unchanged; re-adding a record is a no-op.
    assert_eq!(db.add(&third()), 2);
    assert_eq!(db.add(&greet()), 1);
    assert_eq!(db.size(), 3);
    assert!(
        get(srv.addr(), "/latest")
            .text()
            .starts_with("go.sum database tree\n3\n")
    );
    assert_eq!(get(srv.addr(), "/tile/8/0/000.p/2").body, tile.body);
    assert_eq!(db.record_id("example.org/third", "v1.1.0"), Some(2));
    assert!(srv.saw("/lookup/example.com/!fixture/!greet@v0.2.0"));
}

#[test]
#[should_panic(expected = "already in the checksum database with other hashes")]
fn a_record_never_changes() {
    let db = SumDb::of(&[hello()]);
    db.add(&hello().tampered());
}

// ---- the real go against it ----

#[test]
fn real_go_verifies_fixture_modules_against_the_database_directly() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let modules = [hello(), greet(), third()];
    let p = Proxy::serving(modules.clone());
    let db = SumDb::of(&modules);
    let dbsrv = db.start_server();
    let env = verified_env(&home, &p.url(), &db.gosumdb_at(&dbsrv.url()));

    let run = mod_download(
        &env,
        tmp.path(),
        &modules.iter().collect::<Vec<_>>(),
        FINISHES,
    );
    assert!(run.succeeded(), "{}", run.show());
    for lookup in [
        "/lookup/example.com/hello@v1.0.0",
        "/lookup/example.com/!fixture/!greet@v0.2.0",
        "/lookup/example.org/third@v1.1.0",
    ] {
        assert!(dbsrv.saw(lookup), "no {lookup}: {:?}", dbsrv.paths());
    }
    assert!(
        dbsrv.paths().iter().any(|p| p.starts_with("/tile/8/0/")),
        "{:?}",
        dbsrv.paths()
    );
    p.assert_never_saw("sumdb");
    assert_eq!(go_latest(&home, &db), db.signed_tree());
    assert!(extracted(&home, &greet()).join("greet.go").is_file());

    // go get writes the fixture's go.sum lines, no others.
    let app = tmp.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("go.mod"), "module example.com/app\n\ngo 1.21\n").unwrap();
    let run = go(
        &env,
        &app,
        &[
            "get",
            "example.com/hello@v1.0.0",
            "example.com/Fixture/Greet@v0.2.0",
            "example.org/third@v1.1.0",
        ],
        FINISHES,
    );
    assert!(run.succeeded(), "{}", run.show());
    let go_sum = std::fs::read_to_string(app.join("go.sum")).unwrap();
    let expected: String = modules.iter().map(Module::go_sum).collect();
    assert_eq!(sorted_lines(&go_sum), sorted_lines(&expected));
}

#[test]
fn real_go_verifies_through_a_proxy_that_proxies_the_database() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let p = Proxy::serving([hello(), greet()]);
    let db = SumDb::of(&[hello(), greet()]);
    p.proxy_sumdb(&db);
    let env = verified_env(&home, &p.url(), &db.gosumdb());

    let run = mod_download(&env, tmp.path(), &[&hello(), &greet()], FINISHES);
    assert!(run.succeeded(), "{}", run.show());
    for path in [
        "/sumdb/sum.fixture.test/supported",
        "/sumdb/sum.fixture.test/lookup/example.com/hello@v1.0.0",
        "/sumdb/sum.fixture.test/lookup/example.com/!fixture/!greet@v0.2.0",
        "/sumdb/sum.fixture.test/tile/8/0/000.p/2",
    ] {
        assert!(p.saw(path), "no {path}: {:?}", p.paths());
    }
    assert_eq!(go_latest(&home, &db), db.signed_tree());
}

#[test]
fn real_go_accepts_a_fixture_key_under_the_default_name() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let p = Proxy::serving([hello()]);
    let db = SumDb::named("sum.golang.org");
    db.add(&hello());
    p.proxy_sumdb(&db);
    let env = verified_env(&home, &p.url(), &db.gosumdb());

    let run = mod_download(&env, tmp.path(), &[&hello()], FINISHES);
    assert!(run.succeeded(), "{}", run.show());
    assert!(
        p.saw("/sumdb/sum.golang.org/lookup/example.com/hello@v1.0.0"),
        "{:?}",
        p.paths()
    );
}

#[test]
fn real_go_follows_the_database_as_it_grows_and_catches_a_fork() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let p = Proxy::serving([hello(), greet()]);
    // 301 records: a full level-0 tile, a partial one, and a level-1 tile.
    let db = SumDb::of(&[hello()]);
    db.add_all(&fillers(0, 300));
    p.proxy_sumdb(&db);
    let env = verified_env(&home, &p.url(), &db.gosumdb());

    let run = mod_download(&env, tmp.path(), &[&hello()], FINISHES);
    assert!(run.succeeded(), "{}", run.show());
    let tiles: Vec<String> = p
        .paths()
        .into_iter()
        .filter(|p| p.contains("/tile/"))
        .collect();
    assert!(
        tiles.iter().any(|t| t.ends_with("/tile/8/0/000")),
        "{tiles:?}"
    );
    assert!(tiles.iter().any(|t| t.contains("/tile/8/1/")), "{tiles:?}");
    let first_head = go_latest(&home, &db);
    assert!(first_head.starts_with(b"go.sum database tree\n301\n"));

    // The log grows; go proves the new head extends the one it stored.
    db.add(&greet());
    db.add_all(&fillers(300, 20));
    let run = mod_download(&env, tmp.path(), &[&greet()], FINISHES);
    assert!(run.succeeded(), "{}", run.show());
    assert_eq!(go_latest(&home, &db), db.signed_tree());
    assert!(db.signed_tree().starts_with(b"go.sum database tree\n322\n"));

    // The same key signing a different history: go, holding the head it verified, finds
    // that the fork's tiles do not lead to it, and refuses.
    let fork = SumDb::new();
    fork.add_all(&fillers(1000, 330));
    fork.add(&third());
    let p2 = Proxy::serving([third()]);
    p2.proxy_sumdb(&fork);
    let env = verified_env(&home, &p2.url(), &fork.gosumdb());
    let run = mod_download(&env, tmp.path(), &[&third()], FINISHES);
    assert!(!run.succeeded(), "{}", run.show());
    assert!(
        run.stderr_text().contains("downloaded inconsistent tile"),
        "{}",
        run.show()
    );
    assert!(!extracted(&home, &third()).exists());
}

#[test]
fn real_go_rejects_a_tampered_zip_or_mod_the_database_vouches_against() {
    for (fault, what) in [(Fault::TamperZip, "zip"), (Fault::TamperMod, "go.mod")] {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let p = Proxy::serving([hello()]);
        let db = SumDb::of(&[hello()]);
        p.proxy_sumdb(&db);
        p.set_fault(fault);
        let env = verified_env(&home, &p.url(), &db.gosumdb());

        let run = mod_download(&env, tmp.path(), &[&hello()], FINISHES);
        assert!(!run.succeeded(), "{what}: {}", run.show());
        let stderr = run.stderr_text();
        assert!(
            stderr.contains("SECURITY ERROR") && stderr.contains("checksum mismatch"),
            "{what}: {}",
            run.show()
        );
        assert!(p.saw("/sumdb/sum.fixture.test/lookup/example.com/hello@v1.0.0"));
        assert!(
            !extracted(&home, &hello()).exists(),
            "{what}: the tampered module was extracted"
        );
    }
}

#[test]
fn real_go_switches_to_the_fake_toolchain_with_verification_on() {
    let toolchain = Module::toolchain("go1.99.0");
    for in_db in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let app = tmp.path().join("app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::write(
            app.join("go.mod"),
            "module example.com/app\n\ngo 1.99.0\n\ntoolchain go1.99.0\n",
        )
        .unwrap();
        let p = Proxy::serving([toolchain.clone()]);
        let db = SumDb::of(&[hello()]);
        if in_db {
            db.add(&toolchain);
        }
        p.proxy_sumdb(&db);
        let mut env = verified_env(&home, &p.url(), &db.gosumdb());
        env.retain(|(k, _)| k != "GOTOOLCHAIN");
        env.push(("GOTOOLCHAIN".into(), "auto".into()));

        let run = go(&env, &app, &["version"], FINISHES);
        let lookup = format!(
            "/sumdb/sum.fixture.test/lookup/{TOOLCHAIN_MODULE}@{}",
            toolchain_version("go1.99.0")
        );
        assert!(p.saw(&lookup), "no {lookup}: {:?}", p.paths());
        let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
        if in_db {
            assert!(run.succeeded(), "{}", run.show());
            assert!(
                stdout.starts_with("fake toolchain go1.99.0\nargs: version\n"),
                "{}",
                run.show()
            );
        } else {
            // Not in the database: go refuses the toolchain it downloaded.
            assert!(!run.succeeded(), "{}", run.show());
            assert!(
                run.stderr_text().contains("404 Not Found"),
                "{}",
                run.show()
            );
            assert!(!stdout.contains("fake toolchain"), "{}", run.show());
        }
    }
}

// ---- the faults for the module router ----

#[test]
fn hang_on_zips_serves_the_rest_and_go_hangs_on_the_zip() {
    let tmp = tempfile::tempdir().unwrap();
    let p = Proxy::serving([hello()]);
    let db = SumDb::of(&[hello()]);
    p.proxy_sumdb(&db);
    p.set_fault(Fault::Hang.on_zips());
    let mod_file = get(p.addr(), "/example.com/hello/@v/v1.0.0.mod");
    assert_eq!(mod_file.status, 200);
    assert_eq!(mod_file.text(), hello().mod_file());

    let env = verified_env(&tmp.path().join("home"), &p.url(), &db.gosumdb());
    let run = mod_download(&env, tmp.path(), &[&hello()], HANGS);
    assert!(run.timed_out(), "go finished: {}", run.show());
    for path in [
        "/example.com/hello/@v/v1.0.0.info",
        "/example.com/hello/@v/v1.0.0.zip",
    ] {
        assert!(p.saw(path), "no {path}: {:?}", p.paths());
    }
    let started = Instant::now();
    drop(p);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn stall_mid_body_sends_the_full_length_and_half_the_body() {
    let p = Proxy::serving([hello()]);
    p.set_fault(Fault::StallMidBody);
    let zip = hello().zip_bytes();
    let half = zip.len() / 2;
    let mut s = send(p.addr(), "/example.com/hello/@v/v1.0.0.zip", &[]);
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let received_half = |raw: &[u8]| {
        raw.windows(4)
            .position(|w| w == b"\r\n\r\n")
            .is_some_and(|end| raw.len() - end - 4 >= half)
    };
    while !received_half(&raw) {
        match s.read(&mut buf) {
            Ok(0) => panic!("the connection ended: {:?}", String::from_utf8_lossy(&raw)),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) => panic!("{e} after {:?}", String::from_utf8_lossy(&raw)),
        }
    }
    let r = parse_response(&raw);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some(zip.len().to_string()));
    assert_eq!(r.body, zip[..half]);
    // Nothing more comes, and the connection stays open.
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let more = s.read(&mut buf);
    assert!(
        more.as_ref().is_err_and(|e| matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )),
        "{more:?}"
    );
    assert_eq!(p.paths(), ["/example.com/hello/@v/v1.0.0.zip"]);

    // Dropping the proxy ends the stalled connection.
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    drop(p);
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty());
}

#[test]
fn stall_mid_zip_hangs_go() {
    let tmp = tempfile::tempdir().unwrap();
    let p = Proxy::serving([hello()]);
    let db = SumDb::of(&[hello()]);
    p.proxy_sumdb(&db);
    p.set_fault(Fault::StallMidBody.on_zips());
    let env = verified_env(&tmp.path().join("home"), &p.url(), &db.gosumdb());
    let run = mod_download(&env, tmp.path(), &[&hello()], HANGS);
    assert!(run.timed_out(), "go finished: {}", run.show());
    assert!(p.saw("/example.com/hello/@v/v1.0.0.zip"), "{:?}", p.paths());
    assert!(!extracted(&tmp.path().join("home"), &hello()).exists());
}

#[test]
fn fail_every_nth_request_answers_502() {
    let p = Proxy::serving([hello()]);
    p.set_fault(Fault::FailEvery(3));
    let path = "/example.com/hello/@v/v1.0.0.info";
    let statuses: Vec<u16> = (0..7).map(|_| get(p.addr(), path).status).collect();
    assert_eq!(statuses, [200, 200, 502, 200, 200, 502, 200]);
    assert_eq!(p.paths().len(), 7);

    // The count starts again when the faults change; paths the fault does not govern are not
    // counted.
    p.clear_faults();
    p.set_fault_under("example.com/hello/", Fault::FailEvery(2));
    assert_eq!(get(p.addr(), "/example.com/other/@v/list").status, 404);
    let statuses: Vec<u16> = (0..4).map(|_| get(p.addr(), path).status).collect();
    assert_eq!(statuses, [200, 502, 200, 502]);
    let served = get(p.addr(), path);
    assert_eq!(served.text(), hello().info_json());
}

#[test]
fn too_many_requests_sends_retry_after() {
    let p = Proxy::serving([hello()]);
    let path = "/example.com/hello/@v/v1.0.0.info";
    p.set_fault(Fault::TooManyRequests {
        retry_after_secs: 7,
        first: Some(2),
    });
    let answers: Vec<Response> = (0..3).map(|_| get(p.addr(), path)).collect();
    assert_eq!(
        answers.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 429, 200]
    );
    assert_eq!(answers[0].header("retry-after").as_deref(), Some("7"));
    assert!(
        answers[0]
            .head
            .starts_with("HTTP/1.1 429 Too Many Requests")
    );
    assert_eq!(answers[2].text(), hello().info_json());

    p.set_fault(Fault::TooManyRequests {
        retry_after_secs: 1,
        first: None,
    });
    for _ in 0..3 {
        let r = get(p.addr(), path);
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    }
    assert_eq!(p.paths().len(), 6);
}

#[test]
fn delay_answers_correctly_after_waiting() {
    let p = Proxy::serving([hello()]);
    let delay = Duration::from_millis(300);
    p.set_fault(Fault::Delay(delay));
    let started = Instant::now();
    let zip = get(p.addr(), "/example.com/hello/@v/v1.0.0.zip");
    assert!(started.elapsed() >= delay);
    assert_eq!(zip.status, 200);
    assert_eq!(zip.body, hello().zip_bytes());
    assert_eq!(p.paths(), ["/example.com/hello/@v/v1.0.0.zip"]);
}

#[test]
fn tampered_files_differ_and_keep_exact_lengths() {
    let m = hello();
    let p = Proxy::serving([m.clone()]);
    let zip_path = "/example.com/hello/@v/v1.0.0.zip";
    let mod_path = "/example.com/hello/@v/v1.0.0.mod";

    p.set_fault(Fault::TamperZip);
    let zip = get(p.addr(), zip_path);
    assert_eq!(zip.status, 200);
    assert_ne!(zip.body, m.zip_bytes());
    assert_eq!(zip.body, m.tampered().zip_bytes());
    assert_eq!(
        zip.header("content-length"),
        Some(zip.body.len().to_string())
    );
    assert_ne!(m.tampered().go_sum(), m.go_sum());
    assert_eq!(get(p.addr(), mod_path).text(), m.mod_file());

    p.set_fault(Fault::TamperMod);
    let tampered = get(p.addr(), mod_path);
    assert_eq!(tampered.text(), m.mod_file() + TAMPER_LINE);
    assert_eq!(
        tampered.header("content-length"),
        Some(tampered.body.len().to_string())
    );
    assert_eq!(get(p.addr(), zip_path).body, m.zip_bytes());
    assert_eq!(p.paths().len(), 4);
}

#[test]
fn sumdb_lookup_hang_claims_the_database_and_hangs_go() {
    let tmp = tempfile::tempdir().unwrap();
    let p = Proxy::serving([hello()]);
    let db = SumDb::of(&[hello()]);
    p.proxy_sumdb(&db);
    p.set_fault(Fault::SumdbLookupHang);
    let supported = get(p.addr(), "/sumdb/sum.other.test/supported");
    assert_eq!(supported.status, 200);
    assert_eq!(
        get(p.addr(), "/example.com/hello/@v/v1.0.0.info").text(),
        hello().info_json()
    );

    let env = verified_env(&tmp.path().join("home"), &p.url(), &db.gosumdb());
    let run = mod_download(&env, tmp.path(), &[&hello()], HANGS);
    assert!(run.timed_out(), "go finished: {}", run.show());
    for path in [
        "/sumdb/sum.fixture.test/supported",
        "/sumdb/sum.fixture.test/lookup/example.com/hello@v1.0.0",
    ] {
        assert!(p.saw(path), "no {path}: {:?}", p.paths());
    }
    let started = Instant::now();
    drop(p);
    assert!(started.elapsed() < Duration::from_secs(5));
}
