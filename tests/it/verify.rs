//! The building blocks of "verify before serving" against the real go and the fixture
//! checksum database: `goenv::dirhash` computes the `h1:` hashes go computes (`go mod download
//! -json` `Sum`/`GoModSum`, go.sum lines go accepts) for stored, deflated and
//! directory-entry zips, and refuses the zips go refuses; `goenv::gosum` finds the lines go
//! wrote, in module and workspace mode; `goenv::sumdb` verifies lookup answers of the fixture
//! log (signatures, inclusion in trees of many sizes, partial tiles, stale heads) and refuses
//! wrong keys, tampered records, notes and tiles, and records outside the tree.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use goshim::goenv::GoEnv;
use goshim::goenv::dirhash::{self, ZipHashError};
use goshim::goenv::gosum::{GoSum, SumCheck, SumFiles, SumKind};
use goshim::goenv::note::NoteError;
use goshim::goenv::project::{self, ProjectContext};
use goshim::goenv::sumdb::{
    LookupError, LookupRecord, SignedTree, TreeNoteError, VerifierKey, verify_lookup,
};
use goshim::goenv::tlog::{self, ProofError, Tile};
use serde_json::Value;
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::support::bounded::{self, Bounded};
use crate::support::modules::{Module, ModuleSet, escape_path};
use crate::support::proxy::{Proxy, base64};
use crate::support::sumdb::{FIXTURE_SUMDB_NAME, SumDb, lookup_path};
use crate::support::{realgo, shim};

const FINISHES: Duration = Duration::from_secs(120);

/// Modules with upper-case paths, nested and binary files, empty files, a pre-release and a
/// major-version suffix.
fn modules() -> Vec<Module> {
    let blob: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 256) as u8).collect();
    let mut many = Module::new("example.net/many/v2", "v2.1.0")
        .go_mod("module example.net/many/v2\n\ngo 1.21\n");
    for i in 0..40 {
        many = many.file(
            &format!("pkg{}/file{i}.go", i % 4),
            format!("package pkg{}\n\nconst N{i} = {i}\n", i % 4),
        );
    }
    vec![
        Module::new("example.com/hello", "v1.0.0")
            .file("hello.go", "package hello\n\nconst Greeting = \"hello\"\n"),
        Module::new("example.com/Fixture/Greet", "v0.2.0")
            .file("greet.go", "package greet\n\nconst Name = \"greet\"\n")
            .file("internal/deep/dir/x.go", "package dir\n"),
        Module::new("example.org/data", "v1.3.0-pre.1")
            .file("data.go", "package data\n")
            .file("testdata/blob.bin", blob)
            .file("testdata/empty.txt", ""),
        many,
    ]
}

/// The fixture's own `go.sum` lines: (zip hash, go.mod hash).
fn fixture_sums(m: &Module) -> (String, String) {
    let text = m.go_sum();
    let hashes: Vec<&str> = text
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    (hashes[0].to_string(), hashes[1].to_string())
}

/// The hermetic environment with verification on (no GONOSUMDB, GOPRIVATE, GONOPROXY,
/// GOINSECURE, GOSUMDB=off).
fn verified_env(home: &Path, goproxy: &str, gosumdb: &str) -> Vec<(String, String)> {
    let mut env = realgo::hermetic_env(home);
    env.push(("GOPROXY".into(), goproxy.into()));
    env.push(("GOSUMDB".into(), gosumdb.into()));
    env
}

fn go(env: &[(String, String)], dir: &Path, args: &[&str]) -> Bounded {
    let mut cmd: Command = shim::command(realgo::go(), env);
    cmd.args(args).current_dir(dir);
    bounded::run(&mut cmd, FINISHES)
}

/// `go mod download -json` output: one JSON object per module, by `Path`.
fn download_json(run: &Bounded) -> HashMap<String, Value> {
    serde_json::Deserializer::from_slice(&run.stdout)
        .into_iter::<Value>()
        .map(|v| {
            let v = v.expect("go mod download -json prints JSON objects");
            (v["Path"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// A copy of `zip` with every entry deflated, in reverse order, with explicit directory
/// entries (`<prefix>` and every parent directory of a file) and `extra` entries appended.
fn repack(zip: &[u8], directories: bool, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut entries = Vec::new();
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        entries.push((f.name().unwrap().to_string(), data));
    }
    entries.reverse();
    let mut dirs: Vec<String> = Vec::new();
    if directories {
        for (name, _) in &entries {
            let mut cut = name.as_str();
            while let Some((parent, _)) = cut.rsplit_once('/') {
                let dir = format!("{parent}/");
                if !dirs.contains(&dir) && parent.contains('@') {
                    dirs.push(dir);
                }
                cut = parent;
            }
        }
    }
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for dir in dirs {
        w.add_directory(dir, options).unwrap();
    }
    for (name, data) in entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .chain(extra.iter().copied())
    {
        w.start_file(name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn hash_bytes(zip: &[u8], m: &Module) -> Result<String, ZipHashError> {
    dirhash::hash_zip(Cursor::new(zip), m.path(), m.version())
}

/// A tile source over the fixture database's own answers.
fn db_tiles(db: &SumDb) -> impl FnMut(&Tile) -> Result<Vec<u8>, String> + '_ {
    move |tile: &Tile| match db.serve(&tile.path()) {
        Some(a) if a.status == 200 => Ok(a.body),
        Some(a) => Err(format!("{} {}", a.status, String::from_utf8_lossy(&a.body))),
        None => Err("no such path".to_string()),
    }
}

fn lookup_body(db: &SumDb, m: &Module) -> Vec<u8> {
    let answer = db
        .serve(&lookup_path(m.path(), m.version()))
        .expect("a lookup path");
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.body
}

fn key(db: &SumDb) -> VerifierKey {
    VerifierKey::parse(db.vkey()).expect("the fixture's verifier key parses")
}

// ---- dirhash against the real go ----

#[test]
fn go_mod_download_sums_equal_dirhash() {
    let mods = modules();
    let db = SumDb::of(&mods);
    let proxy = Proxy::serving(mods.clone());
    proxy.proxy_sumdb(&db);
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let env = verified_env(&home, &proxy.url(), &db.gosumdb());

    let targets: Vec<String> = mods
        .iter()
        .map(|m| format!("{}@{}", m.path(), m.version()))
        .collect();
    let mut args = vec!["mod", "download", "-json"];
    args.extend(targets.iter().map(String::as_str));
    let run = go(&env, tmp.path(), &args);
    assert!(run.succeeded(), "{}", run.show());
    let got = download_json(&run);
    assert!(proxy.saw(&format!("/sumdb/{FIXTURE_SUMDB_NAME}/lookup/")));

    for m in &mods {
        let info = &got[m.path()];
        assert!(info.get("Error").is_none(), "{info}");
        let (fixture_zip, fixture_mod) = fixture_sums(m);
        let go_zip = info["Sum"].as_str().unwrap();
        let go_mod = info["GoModSum"].as_str().unwrap();
        assert_eq!(go_zip, fixture_zip, "{}", m.path());
        assert_eq!(go_mod, fixture_mod, "{}", m.path());
        // The served bytes, from memory and from go's cached copy on disk.
        assert_eq!(hash_bytes(&m.zip_bytes(), m).unwrap(), go_zip);
        let cached_zip = info["Zip"].as_str().unwrap();
        let cached = std::fs::File::open(cached_zip).unwrap();
        assert_eq!(
            dirhash::hash_zip(cached, m.path(), m.version()).unwrap(),
            go_zip
        );
        let open = || std::fs::File::open(cached_zip);
        assert_eq!(
            dirhash::hash_zip_parallel(open, m.path(), m.version(), 3).unwrap(),
            go_zip
        );
        assert_eq!(dirhash::hash_mod(m.mod_file().as_bytes()), go_mod);
        let cached_mod = std::fs::read(info["GoMod"].as_str().unwrap()).unwrap();
        assert_eq!(dirhash::hash_mod(&cached_mod), go_mod);

        // The lookup answer go verified and cached verifies here too, and says the same.
        let cached_lookup = home
            .join("gopath/pkg/mod/cache/download/sumdb")
            .join(db.name())
            .join("lookup")
            .join(format!(
                "{}@{}",
                escape_path(m.path()),
                escape_path(m.version())
            ));
        let body = std::fs::read(&cached_lookup)
            .unwrap_or_else(|e| panic!("go cached its lookup at {}: {e}", cached_lookup.display()));
        let mut tiles = db_tiles(&db);
        let record = verify_lookup(&body, &key(&db), &mut tiles).unwrap();
        assert_eq!(
            record.expected(m.path(), m.version(), SumKind::Zip),
            Some(go_zip)
        );
        assert_eq!(
            record.expected(m.path(), m.version(), SumKind::GoMod),
            Some(go_mod)
        );
    }
}

/// Writes module `path` in `dir`, requiring `mods`, with `go_sum` as its go.sum.
fn write_module(dir: &Path, path: &str, mods: &[Module], go_sum: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let requires: String = mods
        .iter()
        .map(|m| format!("\t{} {}\n", m.path(), m.version()))
        .collect();
    std::fs::write(
        dir.join("go.mod"),
        format!("module {path}\n\ngo 1.21\n\nrequire (\n{requires})\n"),
    )
    .unwrap();
    std::fs::write(dir.join("go.sum"), go_sum).unwrap();
}

#[test]
fn deflated_and_directory_entry_zips_hash_as_go_does() {
    // Zips as other proxies build them: deflated, another order, explicit directory entries
    // (which go hashes as empty files). go accepts each only if go.sum holds exactly its hash,
    // and the go.sum lines here are dirhash's.
    let mods = modules();
    let tmp = tempfile::tempdir().unwrap();
    let download = tmp.path().join("download");
    let set: ModuleSet = mods.iter().cloned().collect();
    set.write_download_dir(&download).unwrap();
    let mut go_sum = String::new();
    let mut ours = HashMap::new();
    for m in &mods {
        let zip = repack(&m.zip_bytes(), true, &[]);
        let h1 = hash_bytes(&zip, m).unwrap();
        let (stored_h1, _) = fixture_sums(m);
        assert_ne!(h1, stored_h1, "directory entries are part of the hash");
        let plain = repack(&m.zip_bytes(), false, &[]);
        assert_eq!(hash_bytes(&plain, m).unwrap(), stored_h1);
        let zip_path = download
            .join(m.escaped_dir())
            .join(format!("{}.zip", escape_path(m.version())));
        std::fs::write(&zip_path, &zip).unwrap();
        let mod_h1 = dirhash::hash_mod(m.mod_file().as_bytes());
        go_sum.push_str(&format!("{} {} {h1}\n", m.path(), m.version()));
        go_sum.push_str(&format!("{} {}/go.mod {mod_h1}\n", m.path(), m.version()));
        ours.insert(m.path().to_string(), (h1, mod_h1));
    }
    let proj = tmp.path().join("proj");
    write_module(&proj, "example.com/main", &mods, &go_sum);
    // The database knows only the stored zips' hashes: go must not need it here.
    let db = SumDb::of(&mods);
    let server = db.start_server();
    let home = tmp.path().join("home");
    let env = verified_env(
        &home,
        &format!("file://{}", download.display()),
        &db.gosumdb_at(&server.url()),
    );
    let run = go(&env, &proj, &["mod", "download", "-json"]);
    assert!(run.succeeded(), "{}", run.show());
    let got = download_json(&run);
    for m in &mods {
        let info = &got[m.path()];
        let (h1, mod_h1) = &ours[m.path()];
        assert_eq!(info["Sum"].as_str(), Some(h1.as_str()), "{info}");
        assert_eq!(info["GoModSum"].as_str(), Some(mod_h1.as_str()), "{info}");
    }
    assert!(
        server.requests().is_empty(),
        "go.sum decided everything: {:?}",
        server.paths()
    );
    // And go.sum as gosum reads it lists them.
    let sums = GoSum::read(&SumFiles::module(&proj.join("go.mod"))).unwrap();
    for m in &mods {
        let (h1, mod_h1) = &ours[m.path()];
        assert_eq!(
            sums.check(m.path(), m.version(), SumKind::Zip, h1),
            SumCheck::Listed
        );
        assert_eq!(
            sums.check(m.path(), m.version(), SumKind::GoMod, mod_h1),
            SumCheck::Listed
        );
    }
}

#[test]
fn zips_go_refuses_are_refused() {
    let m = Module::new("example.com/odd", "v1.0.0").file("odd.go", "package odd\n");
    let cases: &[(&str, &[u8])] = &[
        ("example.com/odd@v1.0.1/odd.go", b"package odd\n"),
        ("other/file.go", b"package other\n"),
        ("example.com/odd@v1.0.0", b"no slash\n"),
    ];
    for (extra, data) in cases {
        let zip = repack(&m.zip_bytes(), false, &[(extra, data)]);
        let ours = hash_bytes(&zip, &m).unwrap_err();
        assert!(
            matches!(ours, ZipHashError::UnexpectedFile { .. }),
            "{ours}"
        );

        let tmp = tempfile::tempdir().unwrap();
        let download = tmp.path().join("download");
        let set: ModuleSet = [m.clone()].into_iter().collect();
        set.write_download_dir(&download).unwrap();
        std::fs::write(download.join(m.escaped_dir()).join("v1.0.0.zip"), &zip).unwrap();
        let db = SumDb::of([&m]);
        let server = db.start_server();
        let env = verified_env(
            &tmp.path().join("home"),
            &format!("file://{}", download.display()),
            &db.gosumdb_at(&server.url()),
        );
        let run = go(
            &env,
            tmp.path(),
            &["mod", "download", "example.com/odd@v1.0.0"],
        );
        assert!(!run.succeeded(), "{}", run.show());
        assert!(
            run.stderr_text().contains(&ours.to_string()),
            "go's error should be ours ({ours}):\n{}",
            run.show()
        );
    }
}

// ---- go.sum files go wrote ----

fn inspect(cwd: &Path, env: &[(String, String)]) -> project::Project {
    let process: HashMap<String, String> = env.iter().cloned().collect();
    let goenv = GoEnv::load(process, Some(realgo::go()), cwd);
    let temp_dir = PathBuf::from("/nonexistent-temp");
    let ctx = ProjectContext {
        env: &goenv,
        go_version: "1.27.3",
        temp_dir: &temp_dir,
    };
    project::inspect(cwd, &["build".to_string()], &ctx).unwrap()
}

#[test]
fn go_sum_lines_go_wrote() {
    let mods = modules();
    let db = SumDb::of(&mods);
    let proxy = Proxy::serving(mods.clone());
    proxy.proxy_sumdb(&db);
    let tmp = tempfile::tempdir().unwrap();
    let env = verified_env(&tmp.path().join("home"), &proxy.url(), &db.gosumdb());

    // Module mode: go get writes go.sum.
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(proj.join("go.mod"), "module example.com/main\n\ngo 1.21\n").unwrap();
    let mut args = vec!["get".to_string()];
    args.extend(mods.iter().map(|m| format!("{}@{}", m.path(), m.version())));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = go(&env, &proj, &args);
    assert!(run.succeeded(), "{}", run.show());
    let files = SumFiles::of(&inspect(&proj, &env)).expect("a module");
    assert_eq!(files.main, proj.join("go.sum"));
    assert!(files.workspace.is_empty());
    let sums = GoSum::read(&files).unwrap();
    for m in &mods {
        let (zip_h1, mod_h1) = fixture_sums(m);
        assert_eq!(
            sums.expected(m.path(), m.version(), SumKind::Zip),
            Some(zip_h1.as_str())
        );
        assert_eq!(
            sums.expected(m.path(), m.version(), SumKind::GoMod),
            Some(mod_h1.as_str())
        );
        let tampered = hash_bytes(&m.tampered().zip_bytes(), m).unwrap();
        assert!(matches!(
            sums.check(m.path(), m.version(), SumKind::Zip, &tampered),
            SumCheck::Mismatch { listed, .. } if listed == zip_h1
        ));
    }

    // Workspace mode: module a's go.sum holds its lines; go writes the others to go.work.sum.
    let ws = tmp.path().join("ws");
    let (first, rest) = mods.split_first().unwrap();
    write_module(
        &ws.join("a"),
        "example.com/a",
        std::slice::from_ref(first),
        &first.go_sum(),
    );
    write_module(&ws.join("b"), "example.com/b", rest, "");
    std::fs::write(ws.join("go.work"), "go 1.21\n\nuse (\n\t./a\n\t./b\n)\n").unwrap();
    let run = go(&env, &ws, &["mod", "download"]);
    assert!(run.succeeded(), "{}", run.show());
    // go keeps a's lines in a/go.sum and writes the others to go.work.sum.
    let work_sum = std::fs::read_to_string(ws.join("go.work.sum")).unwrap();
    assert!(!work_sum.contains(first.path()), "{work_sum}");
    for m in rest {
        assert!(work_sum.contains(&m.go_sum()), "{work_sum}");
    }
    let files = SumFiles::of(&inspect(&ws, &env)).expect("a workspace");
    assert_eq!(files.main, ws.join("go.work.sum"));
    assert_eq!(
        files.workspace,
        vec![ws.join("a/go.sum"), ws.join("b/go.sum")]
    );
    let sums = GoSum::read(&files).unwrap();
    for m in &mods {
        let (zip_h1, mod_h1) = fixture_sums(m);
        assert_eq!(
            sums.check(m.path(), m.version(), SumKind::Zip, &zip_h1),
            SumCheck::Listed,
            "{}",
            m.path()
        );
        assert_eq!(
            sums.expected(m.path(), m.version(), SumKind::GoMod),
            Some(mod_h1.as_str())
        );
    }
    let tampered = hash_bytes(&first.tampered().zip_bytes(), first).unwrap();
    assert!(matches!(
        sums.check(first.path(), first.version(), SumKind::Zip, &tampered),
        SumCheck::Mismatch { file, .. } if file == ws.join("a/go.sum")
    ));
}

// ---- checksum-database lookups against the fixture log ----

/// `count` modules that fill the log.
fn fillers(count: usize) -> Vec<Module> {
    (0..count)
        .map(|i| Module::new(&format!("example.net/filler{i}"), "v1.0.0"))
        .collect()
}

#[test]
fn lookups_verify_in_trees_of_many_sizes() {
    for size in [1, 2, 3, 8, 255, 256, 257, 300, 513] {
        let mods = fillers(size);
        let db = SumDb::of(&mods);
        let k = key(&db);
        let mut ids = vec![0, size / 2, size - 1];
        ids.dedup();
        for id in ids {
            let m = &mods[id];
            let body = lookup_body(&db, m);
            let mut asked = Vec::new();
            let mut source = db_tiles(&db);
            let mut tiles = |t: &Tile| {
                asked.push(*t);
                source(t)
            };
            let record = verify_lookup(&body, &k, &mut tiles)
                .unwrap_or_else(|e| panic!("size {size} id {id}: {e}"));
            assert_eq!(record.id, id as u64);
            assert_eq!(record.tree.size, size as u64);
            assert_eq!(asked, tlog::record_tiles(&record.tree, id as u64));
            let (zip_h1, mod_h1) = fixture_sums(m);
            assert_eq!(
                record.expected(m.path(), m.version(), SumKind::Zip),
                Some(zip_h1.as_str())
            );
            assert_eq!(
                record.expected(m.path(), m.version(), SumKind::GoMod),
                Some(mod_h1.as_str())
            );
            assert_eq!(record.text, m.go_sum());
        }
    }
}

#[test]
fn a_stale_head_verifies_against_the_grown_log() {
    // A mirror answers with the record and the tree head of when it cached it; the log has
    // grown since, and its tiles (full ones replacing partial ones) still prove it.
    let mods = fillers(600);
    let db = SumDb::of(&mods[..300]);
    let old_body = lookup_body(&db, &mods[280]);
    db.add_all(&mods[300..]);
    let record = verify_lookup(&old_body, &key(&db), &mut db_tiles(&db)).unwrap();
    assert_eq!(record.tree.size, 300);
    // Even when only full tiles are left for the old head's partial ones.
    let mut source = db_tiles(&db);
    let mut full_only = |t: &Tile| {
        if t.level == 0 && !t.is_full() {
            Err("410 gone".to_string())
        } else {
            source(t)
        }
    };
    verify_lookup(&old_body, &key(&db), &mut full_only).unwrap();
}

#[test]
fn wrong_keys_are_refused() {
    let mods = fillers(5);
    let db = SumDb::of(&mods);
    let body = lookup_body(&db, &mods[2]);
    let mut never = |_: &Tile| -> Result<Vec<u8>, String> { panic!("no tile before the note") };
    let unverified = |err: LookupError<String>| {
        assert!(
            matches!(
                err,
                LookupError::Tree(TreeNoteError::Note(NoteError::Unverified))
            ),
            "{err}"
        );
    };
    // Another database's key.
    let other = SumDb::named("sum.other.test");
    unverified(verify_lookup(&body, &key(&other), &mut never).unwrap_err());
    // A key under the database's name that is not its key.
    let impostor = VerifierKey::parse(&impostor_vkey(FIXTURE_SUMDB_NAME)).unwrap();
    assert_eq!(impostor.name(), FIXTURE_SUMDB_NAME);
    unverified(verify_lookup(&body, &impostor, &mut never).unwrap_err());
    // A fixture database named like Google's, checked with Google's key.
    let golang = VerifierKey::parse(goshim::goenv::sumdb::SUM_GOLANG_ORG_KEY).unwrap();
    let lookalike = SumDb::named("sum.golang.org");
    let m = Module::new("example.com/hello", "v1.0.0").file("hello.go", "package hello\n");
    lookalike.add(&m);
    unverified(verify_lookup(&lookup_body(&lookalike, &m), &golang, &mut never).unwrap_err());
}

/// A verifier key for `name` with an Ed25519 key of its own (not the fixture's).
fn impostor_vkey(name: &str) -> String {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    use sha2::{Digest, Sha256};
    let pair = Ed25519KeyPair::from_seed_unchecked(&[0x42; 32]).unwrap();
    let mut public = vec![0x01];
    public.extend_from_slice(pair.public_key().as_ref());
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(&public);
    let hash = h.finalize();
    format!(
        "{name}+{:08x}+{}",
        u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]),
        base64(&public)
    )
}

#[test]
fn tampering_is_refused() {
    let mods = fillers(300);
    let db = SumDb::of(&mods);
    let k = key(&db);
    let m = &mods[123];
    let body = String::from_utf8(lookup_body(&db, m)).unwrap();
    let (zip_h1, _) = fixture_sums(m);
    let forged_h1 = dirhash::hash_mod(b"forged");

    // A record with another hash: its leaf is not in the tree.
    let forged = body.replace(&zip_h1, &forged_h1);
    let err = verify_lookup(forged.as_bytes(), &k, &mut db_tiles(&db)).unwrap_err();
    assert!(
        matches!(err, LookupError::Proof(ProofError::RecordMismatch)),
        "{err}"
    );
    // Another record's text under this id.
    let swapped = body.replace(&m.go_sum(), &mods[124].go_sum());
    let err = verify_lookup(swapped.as_bytes(), &k, &mut db_tiles(&db)).unwrap_err();
    assert!(
        matches!(err, LookupError::Proof(ProofError::RecordMismatch)),
        "{err}"
    );
    // A note whose tree size or hash was changed after signing.
    let record = LookupRecord::parse(body.as_bytes()).unwrap();
    let note = String::from_utf8(record.note.clone()).unwrap();
    let tree = SignedTree::open(note.as_bytes(), &k).unwrap().tree;
    for bad_note in [
        note.replacen("\n300\n", "\n299\n", 1),
        note.replacen(&base64(&tree.hash), &base64(&[0x55; 32]), 1),
    ] {
        assert_ne!(bad_note, note);
        let bad = format!("{}\n{}\n{bad_note}", record.id, record.text);
        let err = verify_lookup(bad.as_bytes(), &k, &mut db_tiles(&db)).unwrap_err();
        assert!(
            matches!(
                err,
                LookupError::Tree(TreeNoteError::Note(NoteError::InvalidSignature { .. }))
            ),
            "{err}"
        );
    }
    // Tiles from a mirror that altered one hash.
    for victim in tlog::record_tiles(&tree, 123) {
        let mut source = db_tiles(&db);
        let mut altered = |t: &Tile| {
            let mut data = source(t)?;
            if *t == victim {
                let last = data.len() - 1;
                data[last] ^= 0x80;
            }
            Ok::<_, String>(data)
        };
        let err = verify_lookup(body.as_bytes(), &k, &mut altered).unwrap_err();
        assert!(
            matches!(
                err,
                LookupError::Proof(ProofError::InconsistentTile | ProofError::RecordMismatch)
            ),
            "{}: {err}",
            victim.path()
        );
    }
    // A mirror that cannot give a tile.
    let mut down = |_: &Tile| Err::<Vec<u8>, _>("502 bad gateway".to_string());
    let err = verify_lookup(body.as_bytes(), &k, &mut down).unwrap_err();
    assert!(err.to_string().contains("502 bad gateway"), "{err}");
}

#[test]
fn a_record_outside_the_tree_is_refused() {
    // The record of a module added after the tree head the answer carries.
    let mods = fillers(10);
    let db = SumDb::of(&mods[..9]);
    let old_note = LookupRecord::parse(&lookup_body(&db, &mods[0]))
        .unwrap()
        .note;
    db.add(&mods[9]);
    let new = LookupRecord::parse(&lookup_body(&db, &mods[9])).unwrap();
    assert_eq!(new.id, 9);
    let mut spliced = format!("{}\n{}\n", new.id, new.text).into_bytes();
    spliced.extend_from_slice(&old_note);
    let err = verify_lookup(&spliced, &key(&db), &mut db_tiles(&db)).unwrap_err();
    assert!(
        matches!(
            err,
            LookupError::Proof(ProofError::NotInTree { id: 9, size: 9 })
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "cannot validate record 9 in tree of size 9"
    );
}
