//! Unit tests of `fetch`.

use std::time::SystemTime;

use super::*;
use crate::router::fake::{Act, Fake};
use crate::router::policy::check_zip;
use crate::router::spool::read_all;
use crate::router::table::{Table, Upstream};

fn settings() -> RouterSettings {
    RouterSettings {
        hedge_delay: Duration::from_millis(200),
        attempt_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(6),
        retries: 3,
    }
}

fn ctx(fakes: &[&Fake], settings: RouterSettings) -> Arc<Ctx> {
    let table = Table {
        settings,
        ..Table::with_public(fakes.iter().map(|f| Upstream::new(f.url.clone())).collect())
    };
    Arc::new(Ctx::new(
        reqwest::Client::builder().no_proxy().build().unwrap(),
        Netrc::default(),
        settings,
        Upstreams::new(&table, Instant::now(), SystemTime::now()),
        crate::process::Process::with([("X", "")], "/", None)
            .temp_dir()
            .to_path_buf(),
        42,
    ))
}

async fn get(ctx: &Arc<Ctx>, path: &str) -> Fetched {
    let req = Arc::new(Request::parse(path).unwrap());
    let n = ctx.upstreams.with_role(Role::Public).len();
    let routes = (0..n)
        .map(|i| Route {
            upstream: i,
            url: format!("{}/{}", ctx.upstreams.url(i), req.proxy_path()),
        })
        .collect();
    fetch(ctx, &req, routes, None).await
}

const INFO: &str = "example.com/m/@v/v1.0.0.info";

fn info() -> Act {
    Act::Answer(200, "application/json", br#"{"Version":"v1.0.0"}"#.to_vec())
}

fn not_found() -> Act {
    Act::Answer(404, "text/plain", b"not found".to_vec())
}

async fn found(f: Fetched) -> (Vec<u8>, usize, u32) {
    match f {
        Fetched::Found {
            body,
            via,
            attempts,
            ..
        } => (read_all(body).await.unwrap(), via, attempts),
        Fetched::Error { answer, .. } => panic!("no answer: {answer:?}"),
    }
}

fn error(f: Fetched) -> ErrorAnswer {
    match f {
        Fetched::Error { answer, .. } => answer,
        Fetched::Found { via, .. } => panic!("found via {via}"),
    }
}

#[tokio::test]
async fn a_hanging_first_upstream_is_hedged_around() {
    let a = Fake::start(|_, _| Act::Hang);
    let b = Fake::start(|_, _| info());
    let c = ctx(&[&a, &b], settings());
    let t = Instant::now();
    let (body, via, attempts) = found(get(&c, INFO).await).await;
    assert_eq!((via, attempts), (1, 2));
    assert!(body.starts_with(b"{"));
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "hedged, not timed out"
    );
    assert!(
        c.upstreams.suspect(0, Instant::now()),
        "the hanging one is passed over"
    );
    // The next request goes to the reliable upstream first.
    let (_, via, attempts) = found(get(&c, INFO).await).await;
    assert_eq!((via, attempts), (1, 1));
}

#[tokio::test]
async fn a_transient_502_is_retried_not_passed_to_go() {
    let a = Fake::start(|_, n| {
        if n % 2 == 0 {
            Act::Answer(502, "text/plain", b"bad gateway".to_vec())
        } else {
            info()
        }
    });
    let c = ctx(&[&a], settings());
    let (_, via, attempts) = found(get(&c, INFO).await).await;
    assert_eq!((via, attempts), (0, 2));
}

#[tokio::test]
async fn not_found_everywhere_is_404_and_a_stalled_one_is_not_waited_for() {
    let a = Fake::start(|_, _| not_found());
    let b = Fake::start(|_, _| Act::Answer(410, "text/plain", vec![]));
    let c = ctx(&[&a, &b], settings());
    assert_eq!(error(get(&c, INFO).await).status, 404);

    let hang = Fake::start(|_, _| Act::Hang);
    let nf = Fake::start(|_, _| not_found());
    let c = ctx(&[&hang, &nf], settings());
    let t = Instant::now();
    assert_eq!(error(get(&c, INFO).await).status, 404);
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_failing_upstream_beside_a_404_means_could_not_determine() {
    let a = Fake::start(|_, _| Act::Answer(503, "text/plain", b"busy".to_vec()));
    let b = Fake::start(|_, _| not_found());
    let c = ctx(&[&a, &b], settings());
    let e = error(get(&c, INFO).await);
    assert_eq!(e.status, 502);
    assert!(e.body.contains("answered 503"), "{}", e.body);
    assert!(e.body.contains("not found"), "{}", e.body);
    assert!(a.hits() >= 2, "retried before giving up");
}

#[tokio::test]
async fn everything_timing_out_is_504_within_the_request_deadline() {
    let a = Fake::start(|_, _| Act::Hang);
    let b = Fake::start(|_, _| Act::Hang);
    let mut s = settings();
    s.attempt_timeout = Duration::from_millis(400);
    s.request_timeout = Duration::from_millis(1500);
    let c = ctx(&[&a, &b], s);
    let t = Instant::now();
    let e = error(get(&c, INFO).await);
    assert_eq!(e.status, 504, "{}", e.body);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(e.body.lines().count(), 2, "{}", e.body);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let a = Fake::start(|_, n| {
        if n == 0 {
            Act::AnswerWith(429, vec![("Retry-After", "1".into())], vec![])
        } else {
            info()
        }
    });
    let c = ctx(&[&a], settings());
    let t = Instant::now();
    let (_, _, attempts) = found(get(&c, INFO).await).await;
    assert_eq!(attempts, 2);
    assert!(t.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn invalid_and_truncated_bodies_never_win() {
    let html = Fake::start(|_, _| Act::Answer(200, "text/html", b"<html>portal</html>".to_vec()));
    let wrong = Fake::start(|_, _| {
        Act::Answer(200, "application/json", br#"{"Version":"v9.9.9"}"#.to_vec())
    });
    let cut = Fake::start(|_, _| Act::Truncate(100, b"{\"Version\"".to_vec()));
    let gzip = Fake::start(|_, _| {
        Act::AnswerWith(
            200,
            vec![("Content-Encoding", "gzip".into())],
            vec![0x1f, 0x8b],
        )
    });
    let good = Fake::start(|_, _| info());
    let c = ctx(&[&html, &wrong, &cut, &gzip, &good], settings());
    let (body, via, _) = found(get(&c, INFO).await).await;
    assert_eq!(via, 4);
    assert_eq!(body, br#"{"Version":"v1.0.0"}"#);
}

fn zip_bytes() -> Vec<u8> {
    let mut z = b"PK\x03\x04".to_vec();
    z.extend(std::iter::repeat_n(b'z', 2000));
    z.extend(b"PK\x05\x06");
    z.extend([0u8; 18]);
    z
}

#[tokio::test]
async fn a_trickling_zip_is_passed_over_and_bytes_are_never_spliced() {
    let z = zip_bytes();
    let slow = z.clone();
    let a = Fake::start(move |_, _| Act::Trickle(slow.clone(), Duration::from_millis(20)));
    let fast = z.clone();
    let b = Fake::start(move |_, _| Act::Answer(200, "application/zip", fast.clone()));
    let c = ctx(&[&a, &b], settings());
    let (body, via, _) = found(get(&c, "example.com/m/@v/v1.0.0.zip").await).await;
    assert_eq!(via, 1);
    assert_eq!(body, z);
    assert!(check_zip(&body[..4], &body).is_ok());
}

#[tokio::test]
async fn the_budget_stops_retries_when_it_is_spent() {
    let a = Fake::start(|_, _| Act::Answer(500, "text/plain", vec![]));
    let c = ctx(&[&a], settings());
    while c.upstreams.withdraw(Instant::now()) {}
    let e = error(get(&c, INFO).await);
    assert_eq!(e.status, 502);
    assert!(a.hits() <= 2, "{} attempts with no budget", a.hits());
}
