//! The fixture proxy serves each behaviour as documented (raw HTTP requests), and the real go
//! downloads and builds fixture modules through the shim.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::support::http::{self, Response, parse_response, request_text};
use crate::support::modules::{
    Module, ModuleSet, TOOLCHAIN_MODULE, escape_path, toolchain_version, unescape_path,
};
use crate::support::proxy::{
    CAPTIVE_PORTAL_HTML, Fault, Proxy, SumdbSupport, WRONG_VERSION, base64, ca_pem_path,
    refused_url,
};
use crate::support::{bounded, realgo, shim};

/// One raw HTTP/1.1 GET to the fixture, read to EOF.
fn get_with(p: &Proxy, path: &str, headers: &[(&str, &str)]) -> Response {
    http::get_with(p.addr(), path, headers)
}

fn get(p: &Proxy, path: &str) -> Response {
    get_with(p, path, &[])
}

/// The entry names of a zip, sorted.
fn zip_names(bytes: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    names
}

fn hello() -> Module {
    Module::new("example.com/hello", "v1.0.0").file(
        "hello.go",
        "package hello\n\nfunc Greeting() string { return \"hello from the fixture\" }\n",
    )
}

#[test]
fn serves_list_info_mod_zip_and_latest() {
    let p = Proxy::serving([
        hello(),
        Module::new("example.com/hello", "v1.2.0").time("2025-05-06T07:08:09Z"),
        Module::new("example.com/hello", "v1.10.0-rc.1"),
    ]);

    let list = get(&p, "/example.com/hello/@v/list");
    assert_eq!(list.status, 200);
    assert_eq!(list.text(), "v1.0.0\nv1.2.0\nv1.10.0-rc.1\n");

    let info = get(&p, "/example.com/hello/@v/v1.2.0.info");
    assert_eq!(info.status, 200);
    assert_eq!(
        info.header("content-type").as_deref(),
        Some("application/json")
    );
    let json: serde_json::Value = serde_json::from_slice(&info.body).unwrap();
    assert_eq!(json["Version"], "v1.2.0");
    assert_eq!(json["Time"], "2025-05-06T07:08:09Z");

    let latest: serde_json::Value =
        serde_json::from_slice(&get(&p, "/example.com/hello/@latest").body).unwrap();
    assert_eq!(latest["Version"], "v1.10.0-rc.1");

    let m = get(&p, "/example.com/hello/@v/v1.0.0.mod");
    assert_eq!(m.text(), "module example.com/hello\n\ngo 1.21\n");

    let zip = get(&p, "/example.com/hello/@v/v1.0.0.zip");
    assert_eq!(zip.status, 200);
    assert_eq!(
        zip_names(&zip.body),
        [
            "example.com/hello@v1.0.0/go.mod",
            "example.com/hello@v1.0.0/hello.go"
        ]
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body)).unwrap();
    let mut src = String::new();
    archive
        .by_name("example.com/hello@v1.0.0/hello.go")
        .unwrap()
        .read_to_string(&mut src)
        .unwrap();
    assert!(src.contains("hello from the fixture"));

    assert_eq!(get(&p, "/example.com/hello/@v/v9.9.9.info").status, 404);
    assert_eq!(get(&p, "/example.com/other/@v/list").status, 404);
    assert_eq!(get(&p, "/not-a-proxy-path").status, 404);
}

#[test]
fn upper_case_paths_are_escaped() {
    assert_eq!(
        escape_path("github.com/BurntSushi/toml"),
        "github.com/!burnt!sushi/toml"
    );
    assert_eq!(
        unescape_path("github.com/!burnt!sushi/toml").as_deref(),
        Some("github.com/BurntSushi/toml")
    );
    assert_eq!(unescape_path("github.com/BurntSushi"), None);
    assert_eq!(unescape_path("bad!/x"), None);

    let p = Proxy::serving([Module::new("example.com/Upper/Mod", "v1.0.0-RC")]);
    let info = get(&p, "/example.com/!upper/!mod/@v/v1.0.0-!r!c.info");
    assert_eq!(info.status, 200, "{}", info.text());
    assert!(info.text().contains("v1.0.0-RC"));
    assert_eq!(get(&p, "/example.com/Upper/Mod/@v/list").status, 404);
    let zip = get(&p, "/example.com/!upper/!mod/@v/v1.0.0-!r!c.zip");
    assert_eq!(
        zip_names(&zip.body),
        ["example.com/Upper/Mod@v1.0.0-RC/go.mod"]
    );
}

#[test]
fn go_mod_file_given_replaces_the_generated_one() {
    let m = Module::new("example.com/v2mod/v2", "v2.0.0")
        .file("go.mod", "module example.com/v2mod/v2\n\ngo 1.22\n");
    assert_eq!(m.mod_file(), "module example.com/v2mod/v2\n\ngo 1.22\n");
    assert_eq!(
        zip_names(&m.zip_bytes()),
        ["example.com/v2mod/v2@v2.0.0/go.mod"]
    );
}

#[test]
fn download_dir_has_the_module_cache_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let set: ModuleSet = [hello(), Module::new("example.com/Big", "v0.1.0")]
        .into_iter()
        .collect();
    set.write_download_dir(tmp.path()).unwrap();
    let v = tmp.path().join("example.com/hello/@v");
    assert_eq!(std::fs::read_to_string(v.join("list")).unwrap(), "v1.0.0\n");
    assert!(
        std::fs::read_to_string(v.join("v1.0.0.info"))
            .unwrap()
            .contains("\"Version\":\"v1.0.0\"")
    );
    assert!(v.join("v1.0.0.mod").is_file());
    assert!(v.join("v1.0.0.zip").is_file());
    assert!(tmp.path().join("example.com/!big/@v/v0.1.0.zip").is_file());
}

#[test]
fn toolchain_module_has_go_s_layout() {
    let m = Module::toolchain("go1.99.0");
    assert_eq!(m.path(), TOOLCHAIN_MODULE);
    assert_eq!(m.version(), toolchain_version("go1.99.0"));
    let names = zip_names(&m.zip_bytes());
    let prefix = format!("golang.org/toolchain@{}/", m.version());
    for file in ["bin/go", "src/_go.mod", "go.mod"] {
        let name = format!("{prefix}{file}");
        assert!(names.contains(&name), "missing {name} in {names:?}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with(&format!("{prefix}lib/")))
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with(&format!("{prefix}pkg/tool/")))
    );
}

#[test]
fn refused_closes_the_port_and_reopens_it() {
    let url = refused_url();
    let addr = url.trim_start_matches("http://");
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);

    let p = Proxy::serving([hello()]);
    p.set_fault(Fault::Refused);
    let err = TcpStream::connect(p.addr()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    // Scoped faults leave the port closed; lifting the fault reopens it at once.
    p.set_fault_under("private.example/", Fault::Status(403));
    assert!(TcpStream::connect(p.addr()).is_err());
    p.clear_faults();
    assert_eq!(get(&p, "/example.com/hello/@v/list").status, 200);

    // Dropping a refused proxy does not wait for anything.
    p.set_fault(Fault::Refused);
    let started = Instant::now();
    drop(p);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn hang_reads_the_request_never_answers_and_drop_frees_it() {
    let p = Proxy::serving([hello()]);
    p.set_fault(Fault::Hang);
    let mut s = TcpStream::connect(p.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    s.write_all(request_text("/example.com/hello/@v/list", &[]).as_bytes())
        .unwrap();
    let mut buf = [0u8; 16];
    let err = s.read(&mut buf).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    assert_eq!(p.paths(), ["/example.com/hello/@v/list"]);

    let started = Instant::now();
    drop(p);
    assert!(started.elapsed() < Duration::from_secs(2));
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    assert_eq!(s.read(&mut buf).unwrap_or(0), 0, "closed after drop");
}

#[test]
fn slow_body_sends_headers_then_trickles() {
    let p = Proxy::serving([hello()]);
    let delay = Duration::from_millis(20);
    p.set_fault(Fault::SlowBody(delay));
    let expected = hello().info_json();
    let started = Instant::now();
    let mut s = TcpStream::connect(p.addr()).unwrap();
    s.write_all(request_text("/example.com/hello/@v/v1.0.0.info", &[]).as_bytes())
        .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0);
        raw.extend_from_slice(&buf[..n]);
    }
    let headers_after = started.elapsed();
    s.read_to_end(&mut raw).unwrap();
    let total = started.elapsed();
    let resp = parse_response(&raw);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), expected);
    assert!(
        headers_after * 4 < total,
        "headers took {headers_after:?} of {total:?}"
    );
    assert!(
        total >= delay * (expected.len() as u32 - 1),
        "body took only {total:?}"
    );

    // A long trickle stops when the proxy is dropped.
    p.set_fault(Fault::SlowBody(Duration::from_secs(30)));
    let mut s = TcpStream::connect(p.addr()).unwrap();
    s.write_all(request_text("/example.com/hello/@v/v1.0.0.zip", &[]).as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    drop(p);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn status_faults_answer_that_status() {
    let p = Proxy::serving([hello()]);
    for code in [500, 502, 503, 401, 403, 404, 410, 204] {
        p.set_fault(Fault::Status(code));
        let r = get(&p, "/example.com/hello/@v/v1.0.0.info");
        assert_eq!(r.status, code);
        if code == 204 {
            assert!(r.body.is_empty());
        } else {
            assert_eq!(r.text(), format!("fixture: status {code}\n"));
        }
        assert_eq!(r.header("www-authenticate").is_some(), code == 401);
    }
}

#[test]
fn html_and_wrong_version_look_like_200s() {
    let p = Proxy::serving([hello()]);
    p.set_fault(Fault::Html);
    let r = get(&p, "/example.com/hello/@v/v1.0.0.info");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(r.text(), CAPTIVE_PORTAL_HTML);

    p.set_fault(Fault::WrongVersion);
    let r = get(&p, "/example.com/hello/@v/v1.0.0.info");
    assert_eq!(r.status, 200);
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(json["Version"], WRONG_VERSION);
    assert_eq!(
        get(&p, "/example.com/hello/@v/v1.0.0.mod").text(),
        hello().mod_file()
    );
}

#[test]
fn redirect_points_at_the_target_with_the_same_path() {
    let target = Proxy::serving([hello()]);
    let p = Proxy::start();
    p.set_fault(Fault::Redirect(target.url()));
    let r = get(&p, "/example.com/hello/@v/list");
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some(format!("{}/example.com/hello/@v/list", target.url()))
    );
}

#[test]
fn base_path_mounts_the_proxy_below_a_prefix() {
    let p = Proxy::serving([hello()]);
    p.set_base_path("/api/go/");
    assert_eq!(p.url(), format!("http://{}/api/go", p.host()));
    assert_eq!(
        get(&p, "/api/go/example.com/hello/@v/list").text(),
        "v1.0.0\n"
    );
    assert_eq!(get(&p, "/example.com/hello/@v/list").status, 404);
    assert_eq!(get(&p, "/api/goexample.com/hello/@v/list").status, 404);
    p.set_fault_under("example.com/", Fault::Status(410));
    assert_eq!(get(&p, "/api/go/example.com/hello/@v/list").status, 410);
    let target = Proxy::start();
    p.clear_faults();
    p.set_fault(Fault::Redirect(target.url()));
    let r = get(&p, "/api/go/example.com/hello/@v/list");
    assert_eq!(
        r.header("location"),
        Some(format!("{}/example.com/hello/@v/list", target.url()))
    );
    assert_eq!(p.paths().len(), 5);
}

#[test]
fn basic_auth_requires_the_right_authorization() {
    let p = Proxy::serving([hello()]);
    p.set_fault(Fault::BasicAuth {
        user: "alice".into(),
        password: "s3cret".into(),
    });
    let path = "/example.com/hello/@v/list";
    let denied = get(&p, path);
    assert_eq!(denied.status, 401);
    assert!(denied.header("www-authenticate").is_some());
    let wrong = format!("Basic {}", base64(b"alice:wrong"));
    assert_eq!(get_with(&p, path, &[("Authorization", &wrong)]).status, 401);
    let right = format!("Basic {}", base64(b"alice:s3cret"));
    assert_eq!(right, "Basic YWxpY2U6czNjcmV0");
    let ok = get_with(&p, path, &[("Authorization", &right)]);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.text(), "v1.0.0\n");
    assert_eq!(
        p.requests()[2].header("authorization"),
        Some(right.as_str())
    );
}

#[test]
fn sumdb_supported_is_configurable() {
    let p = Proxy::start();
    let path = "/sumdb/sum.golang.org/supported";
    assert_eq!(get(&p, path).status, 404);
    p.set_sumdb(SumdbSupport::Supported);
    assert_eq!(get(&p, path).status, 200);
    p.set_sumdb(SumdbSupport::NoAnswer);
    let mut s = TcpStream::connect(p.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request_text(path, &[]).as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    assert!(raw.is_empty(), "{raw:?}");
}

#[test]
fn faults_can_be_scoped_to_a_path_prefix() {
    let p = Proxy::serving([hello(), Module::new("private.example/secret", "v1.0.0")]);
    p.set_fault_under("private.example/", Fault::Status(403));
    assert_eq!(get(&p, "/private.example/secret/@v/list").status, 403);
    assert_eq!(get(&p, "/example.com/hello/@v/list").status, 200);
    p.set_fault(Fault::Status(503));
    assert_eq!(get(&p, "/example.com/hello/@v/list").status, 503);
    assert_eq!(get(&p, "/private.example/secret/@v/list").status, 403);
    p.set_fault_under("/private.example/", Fault::Serve);
    assert_eq!(get(&p, "/private.example/secret/@v/list").status, 200);
}

#[test]
fn request_log_keeps_method_path_and_headers() {
    let p = Proxy::serving([hello()]);
    get_with(
        &p,
        "/example.com/hello/@v/v1.0.0.info",
        &[("User-Agent", "probe/1"), ("Disable-Module-Fetch", "true")],
    );
    let reqs = p.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, "/example.com/hello/@v/v1.0.0.info");
    assert_eq!(reqs[0].header("user-agent"), Some("probe/1"));
    assert_eq!(reqs[0].header("DISABLE-MODULE-FETCH"), Some("true"));
    assert!(p.saw("example.com/hello"));
    assert!(p.saw("probe/1"));
    p.assert_never_saw("private.example");
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.assert_never_saw("hello")));
    assert!(caught.is_err());
    p.clear_requests();
    assert!(p.requests().is_empty());
}

fn tls_client_config() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_pem_path()).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn tls_get(p: &Proxy, path: &str) -> std::io::Result<Response> {
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(tls_client_config(), name).unwrap();
    let tcp = TcpStream::connect(p.addr())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(request_text(path, &[]).as_bytes())?;
    let mut raw = Vec::new();
    tls.read_to_end(&mut raw)?;
    Ok(parse_response(&raw))
}

#[test]
fn https_trusted_is_verified_by_the_fixture_ca_and_untrusted_is_not() {
    let trusted = Proxy::https_trusted();
    trusted.add(hello());
    assert!(trusted.url().starts_with("https://127.0.0.1:"));
    let r = tls_get(&trusted, "/example.com/hello/@v/list").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "v1.0.0\n");

    let untrusted = Proxy::https_untrusted();
    untrusted.add(hello());
    let err = tls_get(&untrusted, "/example.com/hello/@v/list")
        .err()
        .expect("the self-signed certificate must be rejected");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    assert!(untrusted.requests().is_empty());
    assert_eq!(untrusted.connections(), 1);
}

#[test]
fn https_can_redirect_to_http() {
    let target = Proxy::serving([hello()]);
    let p = Proxy::https_trusted();
    p.set_fault(Fault::Redirect(target.url()));
    let r = tls_get(&p, "/example.com/hello/@v/list").unwrap();
    assert_eq!(r.status, 302);
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
}

#[test]
fn bounded_runs_finish_or_are_killed_with_their_children() {
    let done = bounded::run(
        Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
        Duration::from_secs(10),
    );
    assert_eq!(done.status.and_then(|s| s.code()), Some(3));
    assert_eq!(done.stdout, b"out\n");
    assert_eq!(done.stderr_text(), "err\n");

    let hung = bounded::run(
        Command::new("sh").args(["-c", "sleep 30 & sleep 30"]),
        Duration::from_millis(300),
    );
    assert!(hung.timed_out());
    assert!(hung.elapsed < Duration::from_secs(5), "{:?}", hung.elapsed);
}

// ---- the real go through the shim ----

/// A project in `dir` whose main package prints the fixture modules' greetings; its go.sum
/// holds the fixture modules' hashes, so go verifies every download against them.
fn write_app(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("go.sum"), hello().go_sum() + &greet().go_sum()).unwrap();
    std::fs::write(
        dir.join("go.mod"),
        "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/hello v1.0.0\n\texample.com/Fixture/Greet v0.2.0\n)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\tgreet \"example.com/Fixture/Greet\"\n\t\"example.com/hello\"\n)\n\nfunc main() {\n\tfmt.Println(hello.Greeting())\n\tfmt.Println(greet.Name)\n}\n",
    )
    .unwrap();
}

fn greet() -> Module {
    Module::new("example.com/Fixture/Greet", "v0.2.0").file(
        "greet.go",
        "package greet\n\nconst Name = \"upper-case path ok\"\n",
    )
}

/// The hermetic environment plus the fixture's GOPROXY; fixture modules skip the checksum
/// database through GONOSUMDB (GOSUMDB stays at its default).
fn fixture_env(home: &Path, goproxy: &str) -> Vec<(String, String)> {
    let mut env = realgo::hermetic_env(home);
    env.push(("GOPROXY".into(), goproxy.into()));
    env.push(("GONOSUMDB".into(), "example.com".into()));
    env
}

fn run(mut cmd: Command) -> Output {
    cmd.output().unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn real_go_downloads_and_builds_fixture_modules_through_the_shim() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let app = tmp.path().join("app");
    write_app(&app);
    let p = Proxy::serving([hello(), greet()]);
    let env = fixture_env(&home, &p.url());

    let mut download = shim::command(shim::binary(), &env);
    download
        .args(["exec", "--", "mod", "download"])
        .current_dir(&app);
    let out = run(download);
    assert!(out.status.success(), "{}", show(&out));
    for path in [
        "/example.com/hello/@v/v1.0.0.mod",
        "/example.com/hello/@v/v1.0.0.zip",
        "/example.com/!fixture/!greet/@v/v0.2.0.zip",
    ] {
        assert!(p.saw(path), "go never asked for {path}: {:?}", p.paths());
    }
    let ua = p.requests()[0]
        .header("user-agent")
        .unwrap_or("")
        .to_string();
    assert!(ua.starts_with("GoCommand/"), "User-Agent {ua:?}");
    assert!(
        home.join("gopath/pkg/mod/example.com/hello@v1.0.0/hello.go")
            .is_file()
    );

    // `go build` through a `go` link first on PATH, the real go after it.
    let shim_dir = tmp.path().join("shim");
    let link = shim::link_as_go(&shim_dir);
    let mut env = env;
    for (k, v) in &mut env {
        if k == "PATH" {
            *v = format!("{}:{v}", shim_dir.display());
        }
    }
    let mut build = shim::command(&link, &env);
    build
        .args(["build", "-o", "app-bin", "."])
        .current_dir(&app);
    let out = run(build);
    assert!(out.status.success(), "{}", show(&out));
    let out = Command::new(app.join("app-bin")).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello from the fixture\nupper-case path ok\n"
    );
    p.assert_never_saw("sumdb");
}

#[test]
fn real_go_trusts_the_https_fixture_through_ssl_cert_file() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let p = Proxy::https_trusted();
    p.add(hello());
    let mut env = fixture_env(&home, &p.url());
    env.push(("SSL_CERT_FILE".into(), ca_pem_path().display().to_string()));
    let mut cmd = shim::command(shim::binary(), &env);
    cmd.args([
        "exec",
        "--",
        "mod",
        "download",
        "-json",
        "example.com/hello@v1.0.0",
    ])
    .current_dir(tmp.path());
    let out = run(cmd);
    assert!(out.status.success(), "{}", show(&out));
    assert!(p.saw("/example.com/hello/@v/v1.0.0.zip"), "{:?}", p.paths());
}

#[test]
fn real_go_rejects_the_untrusted_https_fixture_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let p = Proxy::https_untrusted();
    p.add(hello());
    let mut env = fixture_env(&home, &p.url());
    env.push(("SSL_CERT_FILE".into(), ca_pem_path().display().to_string()));
    let mut cmd = shim::command(shim::binary(), &env);
    cmd.args(["exec", "--", "mod", "download", "example.com/hello@v1.0.0"])
        .current_dir(tmp.path());
    let started = Instant::now();
    let out = run(cmd);
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("certificate"), "{}", show(&out));
    assert!(p.requests().is_empty());
    assert!(p.connections() >= 1);
}

#[test]
fn real_go_run_reads_stdin_piped_through_the_shim() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let app = tmp.path().join("echo");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("go.mod"), "module example.com/echo\n\ngo 1.21\n").unwrap();
    std::fs::write(
        app.join("main.go"),
        "package main\n\nimport (\n\t\"io\"\n\t\"os\"\n\t\"strings\"\n)\n\nfunc main() {\n\tb, _ := io.ReadAll(os.Stdin)\n\tos.Stdout.WriteString(strings.ToUpper(string(b)))\n}\n",
    )
    .unwrap();
    let mut env = realgo::hermetic_env(&home);
    env.push(("GOPROXY".into(), "off".into()));
    let mut cmd = shim::command(shim::binary(), &env);
    cmd.args(["exec", "--", "run", "."])
        .current_dir(&app)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped through goshim\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "PIPED THROUGH GOSHIM\n"
    );
}

#[test]
fn real_go_switches_to_the_fake_toolchain_from_a_file_proxy() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let download = tmp.path().join("download");
    let set: ModuleSet = [Module::toolchain("go1.99.0")].into_iter().collect();
    set.write_download_dir(&download).unwrap();
    let app = tmp.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("go.mod"), "module example.com/app\n\ngo 1.99.0\n").unwrap();
    let mut env = realgo::hermetic_env(&home);
    env.retain(|(k, _)| k != "GOTOOLCHAIN");
    env.push(("GOTOOLCHAIN".into(), "auto".into()));
    // A single file:// GOPROXY lifts the toolchain's mandatory checksum check, so GONOSUMDB
    // can exempt it (GOSUMDB itself stays at its default).
    env.push(("GOPROXY".into(), format!("file://{}", download.display())));
    env.push(("GONOSUMDB".into(), TOOLCHAIN_MODULE.into()));
    let mut cmd = shim::command(shim::binary(), &env);
    cmd.args(["exec", "--", "version"]).current_dir(&app);
    let out = run(cmd);
    assert!(out.status.success(), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("fake toolchain go1.99.0\nargs: version\n"),
        "{}",
        show(&out)
    );
    let goroot = home.join(format!(
        "gopath/pkg/mod/golang.org/toolchain@{}",
        toolchain_version("go1.99.0")
    ));
    assert!(
        stdout.contains(&format!("GOROOT={}", goroot.display())),
        "{}",
        show(&out)
    );
}

/// `go mod download example.com/hello@v1.0.0` through the shim in `dir`.
fn mod_download(env: &[(String, String)], dir: &Path) -> Command {
    let mut cmd = shim::command(shim::binary(), env);
    cmd.args(["exec", "--", "mod", "download", "example.com/hello@v1.0.0"])
        .current_dir(dir);
    cmd
}

#[test]
fn real_go_hangs_on_an_accept_then_hang_proxy() {
    let tmp = tempfile::tempdir().unwrap();
    let p = Proxy::serving([hello()]);
    p.set_fault(Fault::Hang);
    let env = fixture_env(&tmp.path().join("home"), &p.url());
    let run = bounded::run(&mut mod_download(&env, tmp.path()), Duration::from_secs(4));
    assert!(run.timed_out(), "go finished: {}", run.stderr_text());
    assert_eq!(p.paths(), ["/example.com/hello/@v/v1.0.0.info"]);
    let started = Instant::now();
    drop(p);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn real_go_sends_netrc_credentials_to_the_basic_auth_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let p = Proxy::https_trusted();
    p.add(hello());
    p.set_fault(Fault::BasicAuth {
        user: "alice".into(),
        password: "s3cret".into(),
    });
    let mut env = fixture_env(&home, &p.url());
    env.push(("SSL_CERT_FILE".into(), ca_pem_path().display().to_string()));

    let out = mod_download(&env, tmp.path()).output().unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401 Unauthorized"),
        "{}",
        show(&out)
    );

    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join(".netrc"),
        format!("machine {} login alice password s3cret\n", p.host()),
    )
    .unwrap();
    p.clear_requests();
    let out = mod_download(&env, tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let expected = format!("Basic {}", base64(b"alice:s3cret"));
    let reqs = p.requests();
    assert!(!reqs.is_empty());
    assert!(
        reqs.iter()
            .all(|r| r.header("authorization") == Some(expected.as_str())),
        "{:?}",
        p.paths()
    );
}

#[test]
fn real_go_refuses_an_https_to_http_redirect() {
    let tmp = tempfile::tempdir().unwrap();
    let target = Proxy::serving([hello()]);
    let p = Proxy::https_trusted();
    p.set_fault(Fault::Redirect(target.url()));
    let mut env = fixture_env(&tmp.path().join("home"), &p.url());
    env.push(("SSL_CERT_FILE".into(), ca_pem_path().display().to_string()));
    let out = mod_download(&env, tmp.path()).output().unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("redirected from secure URL"),
        "{}",
        show(&out)
    );
    assert!(p.saw("/example.com/hello/@v/v1.0.0.info"));
    assert!(target.requests().is_empty());
}

#[test]
fn real_go_downloads_from_a_fixture_below_a_base_path() {
    let tmp = tempfile::tempdir().unwrap();
    let p = Proxy::serving([hello()]);
    p.set_base_path("/artifactory/api/go/golang-remote");
    let env = fixture_env(&tmp.path().join("home"), &p.url());
    let out = mod_download(&env, tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(p.saw("/artifactory/api/go/golang-remote/example.com/hello/@v/v1.0.0.zip"));
}

#[test]
fn real_go_follows_a_redirect_to_another_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let target = Proxy::serving([hello()]);
    let p = Proxy::start();
    p.set_fault(Fault::Redirect(target.url()));
    let env = fixture_env(&tmp.path().join("home"), &p.url());
    let out = mod_download(&env, tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(target.saw("/example.com/hello/@v/v1.0.0.zip"));
    assert!(p.saw("/example.com/hello/@v/v1.0.0.zip"));
}
