//! Unit tests of `service`.

use std::time::{Duration, Instant, SystemTime};

use super::*;
use crate::http::Netrc;
use crate::router::fake::{Act, Fake};
use crate::router::table::{RouterSettings, Upstream};
use crate::router::upstreams::Upstreams;

fn service(table: &Table) -> Arc<Service> {
    let ctx = Ctx::new(
        reqwest::Client::builder().no_proxy().build().unwrap(),
        Netrc::default(),
        table.settings,
        Upstreams::new(table, Instant::now(), SystemTime::now()),
        crate::process::Process::with([("X", "")], "/", None)
            .temp_dir()
            .to_path_buf(),
        7,
    );
    Arc::new(Service::new(Arc::new(ctx), table))
}

fn table(public: Vec<Upstream>, private: Vec<Upstream>, sumdb: Option<SumdbRoutes>) -> Table {
    Table {
        public,
        private,
        private_patterns: "corp.example/team".into(),
        nosumdb_patterns: "nosum.example".into(),
        sumdb,
        settings: RouterSettings {
            hedge_delay: Duration::from_millis(200),
            ..RouterSettings::default()
        },
        ..Table::with_public(Vec::new())
    }
}

async fn status(s: &Arc<Service>, path: &str) -> u16 {
    s.answer(Arc::new(Request::parse(path).unwrap()))
        .await
        .status
}

#[tokio::test]
async fn private_paths_and_local_checksum_answers_never_leave_the_router() {
    let public = Fake::start(|_, _| Act::Answer(200, "text/plain", b"v1.0.0\n".to_vec()));
    let db = Fake::start(|_, _| Act::Answer(200, "text/plain", b"1\n".to_vec()));
    let s = service(&table(
        vec![Upstream::new(public.url.clone())],
        vec![],
        Some(SumdbRoutes {
            name: "sum.golang.org".into(),
            direct: vec![db.url.clone()],
            key: String::new(),
            via_router: true,
        }),
    ));
    assert_eq!(status(&s, "corp.example/team/x/@v/list").await, 404);
    assert_eq!(
        status(&s, "corp.example/@v/list").await,
        404,
        "a proper prefix"
    );
    assert_eq!(
        status(&s, "sumdb/sum.golang.org/lookup/corp.example/team/x@v1.0.0").await,
        404
    );
    assert_eq!(
        status(&s, "sumdb/sum.golang.org/lookup/nosum.example/x@v1.0.0").await,
        404
    );
    assert_eq!(status(&s, "sumdb/sum.golang.org/supported").await, 200);
    assert_eq!(status(&s, "sumdb/other.example/supported").await, 404);
    assert_eq!((public.hits(), db.hits()), (0, 0));
    assert_eq!(status(&s, "example.com/m/@v/list").await, 200);
    assert_eq!(public.hits(), 1);
}

#[tokio::test]
async fn a_proxy_that_claims_the_database_and_hangs_is_hedged_to_the_database() {
    let claims = Fake::start(|_, _| Act::Hang);
    let db = Fake::start(|path, _| {
        assert!(path.starts_with("/lookup/example.com/m@v1.0.0"), "{path}");
        Act::Answer(
            200,
            "text/plain",
            b"12\nexample.com/m v1.0.0 h1:x\n".to_vec(),
        )
    });
    let mut proxy = Upstream::new(claims.url.clone());
    proxy.sumdb = SumdbSupport::Supported;
    let s = service(&table(
        vec![proxy],
        vec![],
        Some(SumdbRoutes {
            name: "sum.golang.org".into(),
            direct: vec![db.url.clone()],
            key: String::new(),
            via_router: true,
        }),
    ));
    let t = Instant::now();
    assert_eq!(
        status(&s, "sumdb/sum.golang.org/lookup/example.com/m@v1.0.0").await,
        200
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!((claims.hits(), db.hits()), (1, 1));
}

#[test]
fn joins_with_one_slash() {
    assert_eq!(
        join("https://a.example/go/", "x/@v/list"),
        "https://a.example/go/x/@v/list"
    );
    assert_eq!(
        join("https://a.example", "x/@v/list"),
        "https://a.example/x/@v/list"
    );
}

#[tokio::test]
async fn immutable_answers_are_fetched_once_lists_again() {
    let info = br#"{"Version":"v1.0.0"}"#.to_vec();
    let up = Fake::start(move |path, _| {
        if path.ends_with("/list") {
            Act::Answer(200, "text/plain", b"v1.0.0\n".to_vec())
        } else {
            Act::Answer(200, "application/json", info.clone())
        }
    });
    let s = service(&table(vec![Upstream::new(up.url.clone())], vec![], None));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let s = Arc::clone(&s);
        tasks.spawn(async move { status(&s, "example.com/m/@v/v1.0.0.info").await });
    }
    while let Some(st) = tasks.join_next().await {
        assert_eq!(st.unwrap(), 200);
    }
    assert_eq!(status(&s, "example.com/m/@v/v1.0.0.info").await, 200);
    assert_eq!(up.hits(), 1, "one fetch for eleven requests");
    assert_eq!(status(&s, "example.com/m/@v/list").await, 200);
    assert_eq!(status(&s, "example.com/m/@v/list").await, 200);
    assert_eq!(up.hits(), 3, "a list is asked again");
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(
            format!("example.com/m@v1.0.0/{name}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A go.sum listing the good zip and go.mod; a fake serving `bad`, then one serving `good`.
#[tokio::test]
async fn a_body_go_sum_does_not_list_is_passed_over() {
    let good_zip = zip_of(&[
        ("go.mod", b"module example.com/m\n"),
        ("m.go", b"package m\n"),
    ]);
    let bad_zip = zip_of(&[
        ("go.mod", b"module example.com/m\n"),
        ("m.go", b"package evil\n"),
    ]);
    let good_mod = b"module example.com/m\n".to_vec();
    let dir = tempfile::tempdir().unwrap();
    let go_sum = dir.path().join("go.sum");
    let zip_h1 =
        crate::goenv::dirhash::hash_zip(std::io::Cursor::new(&good_zip), "example.com/m", "v1.0.0")
            .unwrap();
    std::fs::write(
        &go_sum,
        format!(
            "example.com/m v1.0.0 {zip_h1}\nexample.com/m v1.0.0/go.mod {}\n",
            crate::goenv::dirhash::hash_mod(&good_mod)
        ),
    )
    .unwrap();
    let serve = |zip: Vec<u8>, m: Vec<u8>| {
        move |path: &str, _| {
            if path.ends_with(".zip") {
                Act::Answer(200, "application/zip", zip.clone())
            } else {
                Act::Answer(200, "text/plain", m.clone())
            }
        }
    };
    let bad = Fake::start(serve(bad_zip, b"module example.com/evil\n".to_vec()));
    let good = Fake::start(serve(good_zip.clone(), good_mod.clone()));
    let mut t = table(
        vec![
            Upstream::new(bad.url.clone()),
            Upstream::new(good.url.clone()),
        ],
        vec![],
        None,
    );
    t.go_sum = Some(crate::goenv::gosum::SumFiles {
        main: go_sum.clone(),
        workspace: vec![],
    });
    for (path, want) in [
        ("example.com/m/@v/v1.0.0.zip", &good_zip),
        ("example.com/m/@v/v1.0.0.mod", &good_mod),
    ] {
        let s = service(&t);
        let (bad_before, good_before) = (bad.hits(), good.hits());
        let a = s.answer(Arc::new(Request::parse(path).unwrap())).await;
        assert_eq!(a.status, 200, "{}", a.how);
        let body = crate::router::spool::read_all(a.body).await.unwrap();
        assert_eq!(&body, want, "{path}");
        assert_eq!((bad.hits() - bad_before, good.hits() - good_before), (1, 1));
        let obs = s.ctx.upstreams.observations();
        assert_eq!((obs[0].mismatches, obs[1].mismatches), (1, 0));
    }

    // Only the tampering mirror: a 502 that says why, per upstream.
    let mut t = table(vec![Upstream::new(bad.url.clone())], vec![], None);
    t.go_sum = Some(crate::goenv::gosum::SumFiles {
        main: go_sum,
        workspace: vec![],
    });
    let s = service(&t);
    let a = s
        .answer(Arc::new(
            Request::parse("example.com/m/@v/v1.0.0.zip").unwrap(),
        ))
        .await;
    assert_eq!(a.status, 502);
    let text = String::from_utf8(crate::router::spool::read_all(a.body).await.unwrap()).unwrap();
    assert!(
        text.contains("served a .zip whose h1: differs from go.sum"),
        "{text}"
    );
}

/// Without a go.sum line or a checksum database, nothing says which hash go requires: the
/// body is served as it is.
#[tokio::test]
async fn an_unverifiable_body_is_served_as_it_is() {
    let zip = zip_of(&[("go.mod", b"module example.com/m\n")]);
    let served = zip.clone();
    let up = Fake::start(move |_, _| Act::Answer(200, "application/zip", served.clone()));
    let s = service(&table(vec![Upstream::new(up.url.clone())], vec![], None));
    let a = s
        .answer(Arc::new(
            Request::parse("example.com/m/@v/v1.0.0.zip").unwrap(),
        ))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(crate::router::spool::read_all(a.body).await.unwrap(), zip);
}

/// A zip the streaming hash cannot follow (stored entries with data descriptors, as a
/// streaming writer makes them) is hashed once complete, with the same outcome.
#[tokio::test]
async fn a_zip_that_cannot_be_hashed_while_it_streams_is_hashed_after() {
    use std::io::Write;
    let mut w = zip::ZipWriter::new_stream(Vec::new());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("example.com/m@v1.0.0/go.mod", stored).unwrap();
    w.write_all(b"module example.com/m\n").unwrap();
    let zip = w.finish().unwrap().into_inner();
    let h1 = crate::goenv::dirhash::hash_zip(std::io::Cursor::new(&zip), "example.com/m", "v1.0.0")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let go_sum = dir.path().join("go.sum");
    std::fs::write(&go_sum, format!("example.com/m v1.0.0 {h1}\n")).unwrap();
    let served = zip.clone();
    let up = Fake::start(move |_, _| Act::Answer(200, "application/zip", served.clone()));
    let mut t = table(vec![Upstream::new(up.url.clone())], vec![], None);
    t.go_sum = Some(crate::goenv::gosum::SumFiles {
        main: go_sum,
        workspace: vec![],
    });
    let a = service(&t)
        .answer(Arc::new(
            Request::parse("example.com/m/@v/v1.0.0.zip").unwrap(),
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.how);
    assert!(a.how.contains("h1: matches go.sum (hashed, +"), "{}", a.how);
}
