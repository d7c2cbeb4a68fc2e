//! Proxy health against the fixture proxies: every fault kind, the round deadline, the shared
//! cache under 50 concurrent cold invocations, privacy of probes.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use goshim::health::cache::{FILE_NAME, Store};
use goshim::health::probe::{self, Known, Until};
use goshim::health::{Candidate, Candidates, Settings, Status, SumdbEndpoint};
use goshim::http::NetEnv;
use serde_json::Value;

use crate::support::modules::Module;
use crate::support::proxy::{Fault, Proxy, SumdbSupport, ca_pem_path, refused_url};
use crate::support::realgo;
use crate::support::world::World;

const PROBE_MODULE: &str = "golang.org/x/text";
const PROBE_VERSION: &str = "v0.3.0";

/// A proxy that answers the probe.
fn healthy() -> Proxy {
    Proxy::serving([Module::new(PROBE_MODULE, PROBE_VERSION)])
}

fn healthy_https() -> Proxy {
    let p = Proxy::https_trusted();
    p.add(Module::new(PROBE_MODULE, PROBE_VERSION));
    p
}

/// A world without go: `goshim probe` needs none.
fn world() -> World {
    World::new().limit(Duration::from_secs(20))
}

/// `goshim probe ARGS` with `env` added to the world's, bounded.
fn probe_command(w: &World, env: &[(&str, &str)], args: &[String]) -> Command {
    let mut cmd = w.goshim_command(&["probe"]);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `goshim probe --json ARGS`, bounded; the parsed output.
fn probe(w: &World, env: &[(&str, &str)], args: &[String]) -> Value {
    let mut all = vec!["--json".to_string()];
    all.extend_from_slice(args);
    w.run(&mut probe_command(w, env, &all)).json()
}

/// The verdict cache file.
fn cache_file(w: &World) -> PathBuf {
    w.cache_dir().join(FILE_NAME)
}

/// `--candidate` flags for these URLs plus a loopback checksum database (never the internet).
fn candidate_args(urls: &[String], sumdb: &str) -> Vec<String> {
    let mut args = Vec::new();
    for u in urls {
        args.push("--candidate".to_string());
        args.push(u.clone());
    }
    args.push("--sumdb".into());
    args.push(format!("sum.golang.org={sumdb}"));
    args
}

/// (status, reason kind, reason) of the candidate listed as `url`.
fn verdict_of(v: &Value, url: &str) -> (String, String, Value) {
    let entry = v["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e[0] == url)
        .unwrap_or_else(|| panic!("no verdict for {url} in {v:#}"));
    let verdict = &entry[1];
    (
        verdict["status"].as_str().unwrap().to_string(),
        verdict["reason"]["kind"].as_str().unwrap().to_string(),
        verdict["reason"].clone(),
    )
}

fn assert_verdict(v: &Value, url: &str, status: &str, kind: &str) -> Value {
    let (s, k, reason) = verdict_of(v, url);
    assert_eq!((s.as_str(), k.as_str()), (status, kind), "{url}: {reason}");
    reason
}

#[test]
fn every_fault_kind_gets_its_verdict_and_reason() {
    let w = world();
    let ok = healthy();
    let hang = healthy();
    hang.set_fault(Fault::Hang);
    let slow = healthy();
    slow.set_fault(Fault::SlowBody(Duration::from_millis(300)));
    let status = |code: u16| {
        let p = healthy();
        p.set_fault(Fault::Status(code));
        p
    };
    let (s500, s502, s503, s401, s403, s410) = (
        status(500),
        status(502),
        status(503),
        status(401),
        status(403),
        status(410),
    );
    let empty = Proxy::start();
    let html = healthy();
    html.set_fault(Fault::Html);
    let wrong = healthy();
    wrong.set_fault(Fault::WrongVersion);
    let http_target = healthy();
    let to_http = Proxy::https_trusted();
    to_http.set_fault(Fault::Redirect(http_target.url()));
    let looping = healthy();
    looping.set_fault(Fault::Redirect(looping.url()));
    let via_redirect = healthy();
    via_redirect.set_fault(Fault::Redirect(ok.url()));
    let untrusted = Proxy::https_untrusted();
    untrusted.add(Module::new(PROBE_MODULE, PROBE_VERSION));
    let trusted = healthy_https();
    let refused = refused_url();
    let dir = w.home().join("modcache");
    std::fs::create_dir_all(&dir).unwrap();
    let file_ok = format!("file://{}", dir.display());
    let file_missing = format!("file://{}/nope", dir.display());

    let urls = vec![
        refused.clone(),
        hang.url(),
        slow.url(),
        s500.url(),
        s502.url(),
        s503.url(),
        s401.url(),
        s403.url(),
        empty.url(),
        s410.url(),
        html.url(),
        wrong.url(),
        to_http.url(),
        looping.url(),
        via_redirect.url(),
        untrusted.url(),
        trusted.url(),
        ok.url(),
        file_ok.clone(),
        file_missing.clone(),
    ];
    let mut args = candidate_args(&urls, &empty.url());
    args.extend(["--timeout-ms", "1500", "--deadline-ms", "4000"].map(String::from));
    let ca = ca_pem_path().display().to_string();
    let v = probe(&w, &[("SSL_CERT_FILE", &ca)], &args);

    assert_verdict(&v, &refused, "unhealthy", "refused");
    let r = assert_verdict(&v, &hang.url(), "unhealthy", "timeout");
    assert_eq!(r["stage"], "response");
    let r = assert_verdict(&v, &slow.url(), "unhealthy", "timeout");
    assert_eq!(r["stage"], "body", "headers came, the body trickled");
    for (p, code) in [(&s500, 500), (&s502, 502), (&s503, 503)] {
        let r = assert_verdict(&v, &p.url(), "unhealthy", "server_error");
        assert_eq!(r["status"], code);
    }
    for (p, code) in [(&s401, 401), (&s403, 403)] {
        let r = assert_verdict(&v, &p.url(), "needs_credentials", "denied");
        assert_eq!(r["status"], code);
        assert_eq!(r["sent_credentials"], false);
    }
    let r = assert_verdict(&v, &empty.url(), "reachable", "not_found");
    assert_eq!(r["status"], 404);
    let r = assert_verdict(&v, &s410.url(), "reachable", "not_found");
    assert_eq!(r["status"], 410);
    assert_verdict(&v, &html.url(), "unhealthy", "not_json");
    let r = assert_verdict(&v, &wrong.url(), "unhealthy", "wrong_version");
    assert_eq!(r["got"], crate::support::proxy::WRONG_VERSION);
    let r = assert_verdict(&v, &to_http.url(), "unhealthy", "insecure_redirect");
    assert!(
        r["detail"]
            .as_str()
            .unwrap()
            .contains("to insecure URL http://"),
        "{r}"
    );
    assert!(
        http_target.requests().is_empty(),
        "the https→http redirect must not be followed"
    );
    assert_verdict(&v, &looping.url(), "unhealthy", "too_many_redirects");
    let infos = looping
        .paths()
        .iter()
        .filter(|p| p.ends_with(".info"))
        .count();
    assert_eq!(
        infos,
        10,
        "go stops at the 10th redirect: {:?}",
        looping.paths()
    );
    assert_verdict(&v, &via_redirect.url(), "healthy", "answered");
    assert_verdict(&v, &untrusted.url(), "unhealthy", "tls");
    assert_verdict(&v, &trusted.url(), "healthy", "answered");
    assert_verdict(&v, &ok.url(), "healthy", "answered");
    assert_verdict(&v, &file_ok, "healthy", "directory_readable");
    assert_verdict(&v, &file_missing, "unhealthy", "directory");

    // Every probe asked what go asks, with go's header.
    let info = ok
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with(".info"))
        .unwrap();
    assert_eq!(info.path, "/golang.org/x/text/@v/v0.3.0.info");
    assert_eq!(info.header("Disable-Module-Fetch"), Some("true"));
    assert!(ok.saw("/sumdb/sum.golang.org/supported"));
}

#[test]
fn tls_trust_follows_ssl_cert_file_as_for_go() {
    let w = world();
    let trusted = healthy_https();
    let sumdb = Proxy::start();
    let args = candidate_args(&[trusted.url()], &sumdb.url());
    let without = probe(&w, &[], &args);
    assert_verdict(&without, &trusted.url(), "unhealthy", "tls");
    let ca = ca_pem_path().display().to_string();
    let with = probe(&w, &[("SSL_CERT_FILE", &ca)], &args);
    assert_verdict(&with, &trusted.url(), "healthy", "answered");
    // SSL_CERT_DIR works too, as for go.
    let certs = w.home().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(ca_pem_path(), certs.join("fixture.pem")).unwrap();
    let dir = certs.display().to_string();
    let with_dir = probe(&w, &[("SSL_CERT_DIR", &dir)], &args);
    assert_verdict(&with_dir, &trusted.url(), "healthy", "answered");
}

#[test]
fn credentials_are_sent_as_go_sends_them() {
    let w = world();
    let auth = |p: &Proxy| {
        p.set_fault(Fault::BasicAuth {
            user: "u".into(),
            password: "s3cret".into(),
        });
    };
    let with_port = healthy_https();
    auth(&with_port);
    let host_only = healthy_https();
    auth(&host_only);
    let userinfo = healthy_https();
    auth(&userinfo);
    let plain = healthy();
    auth(&plain);
    std::fs::write(
        w.home().join(".netrc"),
        format!(
            "machine {} login u password s3cret\nmachine 127.0.0.1 login u password s3cret\n",
            with_port.host()
        ),
    )
    .unwrap();
    let sumdb = Proxy::start();
    let urls = vec![
        with_port.url(),
        host_only.url(),
        userinfo.url_with_userinfo("u", "s3cret"),
        plain.url_with_userinfo("u", "s3cret"),
        plain.url(),
    ];
    let ca = ca_pem_path().display().to_string();
    let v = probe(
        &w,
        &[("SSL_CERT_FILE", &ca)],
        &candidate_args(&urls, &sumdb.url()),
    );
    assert_verdict(&v, &with_port.url(), "healthy", "answered");
    let r = assert_verdict(&v, &host_only.url(), "needs_credentials", "denied");
    assert_eq!(
        r["sent_credentials"], false,
        "`machine 127.0.0.1` has no port"
    );
    assert_verdict(
        &v,
        &userinfo.url_with_userinfo("u", "xxxxx"),
        "healthy",
        "answered",
    );
    assert_verdict(
        &v,
        &plain.url_with_userinfo("u", "xxxxx"),
        "unhealthy",
        "credentials_over_http",
    );
    assert_verdict(&v, &plain.url(), "needs_credentials", "denied");
    assert!(
        !plain
            .requests()
            .iter()
            .any(|r| r.header("Authorization").is_some()),
        "no credentials over plain http"
    );
    // GOAUTH=off: go sends no .netrc credentials, neither does the probe.
    let off = probe(
        &w,
        &[("SSL_CERT_FILE", &ca), ("GOAUTH", "off")],
        &candidate_args(&[with_port.url()], &sumdb.url()),
    );
    assert_verdict(&off, &with_port.url(), "needs_credentials", "denied");
    // The cache never holds a password.
    let cache = std::fs::read_to_string(cache_file(&w)).unwrap();
    assert!(!cache.contains("s3cret"), "{cache}");
}

fn settings(deadline_ms: u64, timeout_ms: u64, sumdb: &str) -> Settings {
    Settings {
        timeout: Duration::from_millis(timeout_ms),
        deadline: Duration::from_millis(deadline_ms),
        sumdbs: vec![SumdbEndpoint {
            name: "sum.golang.org".into(),
            url: sumdb.to_string(),
        }],
        ..Settings::default()
    }
}

fn candidates(urls: &[String]) -> Candidates {
    Candidates {
        proxies: urls.iter().map(|u| Candidate::new(u.clone())).collect(),
        private_patterns: String::new(),
    }
}

#[test]
fn three_hang_one_answers_within_the_deadline() {
    let hangs: Vec<Proxy> = (0..3)
        .map(|_| {
            let p = healthy();
            p.set_fault(Fault::Hang);
            p
        })
        .collect();
    let ok = healthy();
    ok.set_sumdb(SumdbSupport::Supported);
    let mut urls: Vec<String> = hangs.iter().map(Proxy::url).collect();
    urls.push(ok.url());
    let c = candidates(&urls);
    let s = settings(600, 10_000, &hangs[0].url());
    let start = Instant::now();
    let round = probe::run(
        &c,
        &s,
        &NetEnv::default(),
        Known::nothing(&c, &s),
        Until::Decided,
        SystemTime::now(),
    );
    let wall = start.elapsed();
    assert!(
        wall < Duration::from_millis(700),
        "round took {wall:?} with a 600 ms deadline"
    );
    assert!(
        round.elapsed >= Duration::from_millis(600),
        "{:?}",
        round.elapsed
    );
    for v in &round.proxies[..3] {
        assert_eq!(v.status, Status::Unhealthy);
        assert_eq!(v.reason.to_string(), "timed out (deadline) after 600 ms");
    }
    assert_eq!(round.proxies[3].status, Status::Healthy);

    // Ranked first, the healthy one decides at once; the hanging ones are left unknown.
    let mut urls = vec![ok.url()];
    urls.extend(hangs.iter().map(Proxy::url));
    let c = candidates(&urls);
    let start = Instant::now();
    let round = probe::run(
        &c,
        &s,
        &NetEnv::default(),
        Known::nothing(&c, &s),
        Until::Decided,
        SystemTime::now(),
    );
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(round.proxies[0].status, Status::Healthy);
    assert!(
        round.proxies[1..]
            .iter()
            .all(|v| v.status == Status::Unknown)
    );
}

#[test]
fn cache_answers_without_probing_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let ok = healthy();
    ok.set_sumdb(SumdbSupport::Supported);
    let down = refused_url();
    let c = candidates(&[down.clone(), ok.url()]);
    let s = settings(2000, 1000, &ok.url());
    let now = SystemTime::now();
    let first = store.verdicts(&c, &s, now);
    assert_eq!(first.origin, goshim::health::VerdictSource::Probed);
    assert_eq!(first.best(), Some(ok.url().as_str()));
    let asked = ok.requests().len();
    // Within the ttl and the failing candidate's back-off: no request at all.
    let second = store.verdicts(&c, &s, now + Duration::from_secs(20));
    assert_eq!(second.origin, goshim::health::VerdictSource::Cache);
    assert_eq!(second.best(), Some(ok.url().as_str()));
    assert_eq!(ok.requests().len(), asked);
    // Past the back-off of the refused one (30 s) it is stale: used, not probed synchronously.
    let third = store.verdicts(&c, &s, now + Duration::from_secs(45));
    assert_eq!(third.origin, goshim::health::VerdictSource::Cache);
    // Past `stale`: probed again.
    let fourth = store.verdicts(&c, &s, now + s.stale + Duration::from_secs(1));
    assert_eq!(fourth.origin, goshim::health::VerdictSource::Probed);
    assert!(ok.requests().len() > asked);
    let failures = store.load().networks.values().next().unwrap().proxies[&down].failures;
    assert_eq!(failures, 2, "consecutive failures are counted");
}

#[test]
fn corrupt_cache_is_replaced_and_unwritable_cache_is_no_error() {
    let w = world();
    let ok = healthy();
    let args = {
        let mut a = candidate_args(&[ok.url()], &ok.url());
        a.push("--cached".into());
        a
    };
    std::fs::create_dir_all(w.cache_dir()).unwrap();
    std::fs::write(cache_file(&w), "{\"version\":1,\"networks\":{\"ab").unwrap();
    let v = probe(&w, &[], &args);
    assert_verdict(&v, &ok.url(), "healthy", "answered");
    let text = std::fs::read_to_string(cache_file(&w)).unwrap();
    let parsed: Value = serde_json::from_str(&text).expect("the cache file was rewritten");
    assert_eq!(parsed["version"], 1);

    // XDG_CACHE_HOME is a file: nothing can be cached, the verdict still comes.
    let blocker = w.home().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let blocker = blocker.display().to_string();
    let mut cmd = probe_command(&w, &[("XDG_CACHE_HOME", &blocker)], &args);
    cmd.arg("--json");
    let v = w.run(&mut cmd).assert_code(0).json();
    assert_verdict(&v, &ok.url(), "healthy", "answered");
}

#[test]
fn fifty_cold_invocations_share_one_refresh() {
    let w = world();
    let ok = healthy();
    ok.set_sumdb(SumdbSupport::Supported);
    let hang = healthy();
    hang.set_fault(Fault::Hang);
    // The healthy one decides; the hanging one below it is left to the background refresh.
    let mut args = candidate_args(&[ok.url(), hang.url()], &ok.url());
    args.extend(["--cached", "--deadline-ms", "800", "--timeout-ms", "700"].map(String::from));
    let mut json_args = args.clone();
    json_args.push("--json".into());
    let children: Vec<_> = (0..50)
        .map(|_| {
            probe_command(&w, &[], &json_args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_verdict(&v, &ok.url(), "healthy", "answered");
    }
    let refreshes = w.settled_refreshes(1);
    assert_eq!(refreshes.len(), 1, "{refreshes:?}");
    let text = std::fs::read_to_string(cache_file(&w)).unwrap();
    let cache: Value = serde_json::from_str(&text).expect("valid cache file");
    assert_eq!(cache["version"], 1);
    let net = cache["networks"].as_object().unwrap();
    assert_eq!(net.len(), 1);
    let proxies = &net.values().next().unwrap()["proxies"];
    assert_eq!(proxies[ok.url()]["status"], "healthy");
    assert_eq!(proxies[hang.url()]["status"], "unhealthy", "{text}");
    // Everything is fresh now: another 10 invocations neither probe nor refresh.
    let asked = ok.requests().len();
    for _ in 0..10 {
        let v = probe(&w, &[], &args);
        assert_eq!(v["origin"], "cache");
        assert_eq!(v["refresh_started"], false);
    }
    assert_eq!(ok.requests().len(), asked);
}

#[test]
fn stale_verdicts_are_used_and_refreshed_once_in_the_background() {
    let w = world();
    let ok = healthy();
    ok.set_sumdb(SumdbSupport::Supported);
    let mut args = candidate_args(&[ok.url()], &ok.url());
    // A full probe fills the cache completely: nothing is left to a refresh.
    probe(&w, &[], &args);
    args.push("--cached".into());
    // Age every verdict past the ttl.
    let text = std::fs::read_to_string(cache_file(&w)).unwrap();
    let mut cache: Value = serde_json::from_str(&text).unwrap();
    for net in cache["networks"].as_object_mut().unwrap().values_mut() {
        for kind in ["proxies", "sumdbs"] {
            for v in net[kind].as_object_mut().unwrap().values_mut() {
                let t = v["checked_at"].as_u64().unwrap();
                v["checked_at"] = Value::from(t - 3600);
            }
        }
    }
    std::fs::write(cache_file(&w), serde_json::to_vec(&cache).unwrap()).unwrap();
    ok.clear_requests();
    let v = probe(&w, &[], &args);
    assert_eq!(v["origin"], "cache", "a stale verdict is used");
    assert_eq!(v["refresh_started"], true);
    assert_verdict(&v, &ok.url(), "healthy", "answered");
    let refreshes = w.settled_refreshes(1);
    assert_eq!(refreshes.len(), 1, "{refreshes:?}");
    assert!(
        ok.saw("/golang.org/x/text/@v/v0.3.0.info"),
        "the refresh probed"
    );
    let again = probe(&w, &[], &args);
    assert_eq!(again["refresh_started"], false, "fresh again");
}

#[test]
fn private_patterns_never_reach_a_public_proxy() {
    let w = world();
    let public = healthy();
    public.set_sumdb(SumdbSupport::Supported);
    let args = candidate_args(&[public.url()], &public.url());
    // The probe module itself is private: reachability only, no module path sent.
    let v = probe(&w, &[("GOPRIVATE", "golang.org/x")], &args);
    let (status, kind, _) = verdict_of(&v, &public.url());
    assert_eq!(
        (status.as_str(), kind.as_str()),
        ("reachable", "reachability_only")
    );
    public.assert_never_saw("golang.org/x");
    // A pattern that also covers the sumdb name: not even that path is sent.
    public.clear_requests();
    let v = probe(&w, &[("GONOPROXY", "*.org,corp.example")], &args);
    assert_verdict(&v, &public.url(), "reachable", "reachability_only");
    public.assert_never_saw(".org");
    public.assert_never_saw("corp.example");
    assert!(!public.requests().is_empty(), "reachability was checked");
    // A pattern that does not cover the probe module changes nothing.
    public.clear_requests();
    let v = probe(&w, &[("GOPRIVATE", "corp.example/*")], &args);
    assert_verdict(&v, &public.url(), "healthy", "answered");
    public.assert_never_saw("corp.example");
}

#[test]
fn environment_proxies_apply_as_for_go_but_never_to_loopback() {
    let w = world();
    let forward = healthy();
    let ok = healthy();
    let sumdb = Proxy::start();
    let remote = "http://goproxy.test".to_string();
    let v = probe(
        &w,
        &[("HTTP_PROXY", &forward.url())],
        &candidate_args(&[remote.clone(), ok.url()], &sumdb.url()),
    );
    assert!(
        forward.saw("goproxy.test"),
        "the request for a remote host went through HTTP_PROXY: {:?}",
        forward.paths()
    );
    assert!(
        !forward.saw(&ok.host()),
        "loopback is never proxied: {:?}",
        forward.paths()
    );
    assert_verdict(&v, &ok.url(), "healthy", "answered");
    let (status, _, _) = verdict_of(&v, &remote);
    assert_ne!(status, "unknown");
    // NO_PROXY exempts the host: the forward proxy sees nothing more.
    forward.clear_requests();
    probe(
        &w,
        &[("HTTP_PROXY", &forward.url()), ("NO_PROXY", "goproxy.test")],
        &candidate_args(&[remote], &sumdb.url()),
    );
    assert!(forward.requests().is_empty(), "{:?}", forward.paths());
}

/// The probe judges a proxy as the real go experiences it: for each fault, `healthy` exactly
/// when `go mod download` through that proxy alone succeeds (same TLS roots, same .netrc).
#[test]
fn probe_verdicts_agree_with_real_go() {
    let module = || Module::new("example.com/probe", "v1.0.0").file("p.go", "package probe\n");
    let serving = |p: Proxy| {
        p.add(module());
        p
    };
    let auth = Fault::BasicAuth {
        user: "u".into(),
        password: "pw".into(),
    };
    let target = serving(Proxy::start());
    let mut cases: Vec<(&str, Proxy)> = Vec::new();
    let mut case = |name, p: Proxy, fault: Option<Fault>| {
        if let Some(f) = fault {
            p.set_fault(f);
        }
        cases.push((name, p));
    };
    case("ok", serving(Proxy::start()), None);
    case("503", serving(Proxy::start()), Some(Fault::Status(503)));
    case("404", Proxy::start(), None);
    case("403", serving(Proxy::start()), Some(Fault::Status(403)));
    case("html", serving(Proxy::start()), Some(Fault::Html));
    case(
        "wrong version",
        serving(Proxy::start()),
        Some(Fault::WrongVersion),
    );
    case("https trusted", serving(Proxy::https_trusted()), None);
    case("https untrusted", serving(Proxy::https_untrusted()), None);
    case(
        "https to http",
        serving(Proxy::https_trusted()),
        Some(Fault::Redirect(target.url())),
    );
    case(
        "netrc with port",
        serving(Proxy::https_trusted()),
        Some(auth.clone()),
    );
    case(
        "netrc without port",
        serving(Proxy::https_trusted()),
        Some(auth),
    );

    let w = World::new()
        .real_go()
        .limit(Duration::from_secs(60))
        .env("GONOSUMDB", "example.com")
        .env("SSL_CERT_FILE", &ca_pem_path().display().to_string());
    let with_port = cases
        .iter()
        .find(|(n, _)| *n == "netrc with port")
        .map(|(_, p)| p.host())
        .unwrap();
    std::fs::write(
        w.home().join(".netrc"),
        format!("machine {with_port} login u password pw\nmachine 127.0.0.1 login u password pw\n"),
    )
    .unwrap();
    let sumdb = Proxy::start();
    for (name, p) in &cases {
        let mut go = w.command(realgo::go());
        go.env("GOPROXY", p.url())
            .env(
                "GOMODCACHE",
                w.home().join(format!("modcache-{}", p.addr().port())),
            )
            .args(["mod", "download", "-json", "example.com/probe@v1.0.0"]);
        let go_out = w.run_for(&mut go, Duration::from_secs(60));
        assert!(!go_out.timed_out(), "{name}: go hung");
        let go_ok = go_out.success();

        let mut args = candidate_args(&[p.url()], &sumdb.url());
        args.extend(["--json", "--module", "example.com/probe@v1.0.0"].map(String::from));
        let out = w.run_for(&mut probe_command(&w, &[], &args), Duration::from_secs(20));
        let v = out.json();
        let (status, _, reason) = verdict_of(&v, &p.url());
        assert_eq!(
            status == "healthy",
            go_ok,
            "{name}: probe says {status} ({reason}), go {}: {}",
            if go_ok { "succeeded" } else { "failed" },
            go_out.stdout()
        );
    }
}

#[test]
fn probe_uses_the_configured_candidates_and_probe_module() {
    let p = Proxy::serving([Module::new("example.com/cfg", "v1.0.0")]);
    let w = world().user_config(&format!(
        "[proxy]\ncandidates = [\"{}\"]\n[health]\nprobe = \"example.com/cfg@v1.0.0\"\n",
        p.url()
    ));
    let sumdb = Proxy::start();
    let v = probe(
        &w,
        &[],
        &["--sumdb".into(), format!("sum.golang.org={}", sumdb.url())],
    );
    assert_eq!(v["proxies"].as_array().unwrap().len(), 1, "{v:#}");
    assert_verdict(&v, &p.url(), "healthy", "answered");
    assert!(p.saw("/example.com/cfg/@v/v1.0.0.info"), "{:?}", p.paths());
}
