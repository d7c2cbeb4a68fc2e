//! Unit tests of `env`.

use super::*;

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const GO_ENV: &str = "# comment\nGOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\nGOTOOLCHAIN=auto\nGOROOT=/elsewhere\n";

fn env(process: &[(&str, &str)], user: Option<&str>, go_env: Option<&str>) -> GoEnv {
    GoEnv::from_sources(EnvSources {
        process: map(process),
        user_file: user.map(|t| (PathBuf::from("/h/.config/go/env"), t.to_string())),
        goroot: Some(PathBuf::from("/goroot")),
        goroot_env: go_env.map(String::from),
    })
}

#[test]
fn env_file_format_quirks() {
    let text = "GOPROXY=\"https://q.example\"\nGOPRIVATE = corp.example\n# GOSUMDB=off\nlower=1\n=x\nGOFLAGS=-a\nGOFLAGS=-b=c=d\nNOEQ\nGOINSECURE= spaced \r\n\n";
    let m = parse_env_file(text);
    assert_eq!(m["GOPROXY"], "\"https://q.example\"");
    assert_eq!(m["GOPRIVATE "], " corp.example");
    assert!(!m.contains_key("GOPRIVATE"));
    assert!(!m.contains_key("# GOSUMDB"));
    assert!(!m.contains_key("lower"));
    assert!(!m.contains_key(""));
    assert_eq!(m["GOFLAGS"], "-b=c=d");
    assert!(!m.contains_key("NOEQ"));
    assert_eq!(m["GOINSECURE"], " spaced \r");
}

#[test]
fn precedence_table() {
    let file = PathBuf::from("/h/.config/go/env");
    let gofile = PathBuf::from("/goroot/go.env");
    type Row<'a> = (
        &'a [(&'a str, &'a str)],
        Option<&'a str>,
        &'a str,
        &'a str,
        GoOrigin,
    );
    let rows: Vec<Row> = vec![
        (
            &[],
            None,
            "GOPROXY",
            "https://proxy.golang.org,direct",
            GoOrigin::GoRootEnv(gofile.clone()),
        ),
        (
            &[("GOPROXY", "")],
            None,
            "GOPROXY",
            "https://proxy.golang.org,direct",
            GoOrigin::GoRootEnv(gofile.clone()),
        ),
        (
            &[("GOPROXY", "off")],
            Some("GOPROXY=direct"),
            "GOPROXY",
            "off",
            GoOrigin::Process,
        ),
        (
            &[],
            Some("GOPROXY=direct"),
            "GOPROXY",
            "direct",
            GoOrigin::EnvFile(file.clone()),
        ),
        (
            &[],
            Some("GOPROXY="),
            "GOPROXY",
            "",
            GoOrigin::EnvFile(file.clone()),
        ),
        (&[], None, "GOAUTH", "netrc", GoOrigin::Default),
        (&[], Some("GOAUTH="), "GOAUTH", "netrc", GoOrigin::Default),
        (
            &[("GOPRIVATE", "corp.example")],
            None,
            "GONOPROXY",
            "corp.example",
            GoOrigin::Derived,
        ),
        (
            &[("GOPRIVATE", "corp.example"), ("GONOPROXY", "")],
            None,
            "GONOSUMDB",
            "corp.example",
            GoOrigin::Derived,
        ),
        (
            &[("GOPRIVATE", "env.example")],
            Some("GONOPROXY=file.example"),
            "GONOPROXY",
            "file.example",
            GoOrigin::EnvFile(file.clone()),
        ),
        (
            &[("GOPRIVATE", "env.example")],
            Some("GONOPROXY=file.example"),
            "GONOSUMDB",
            "env.example",
            GoOrigin::Derived,
        ),
        (
            &[("GOPRIVATE", "p"), ("GONOPROXY", "none")],
            None,
            "GONOPROXY",
            "none",
            GoOrigin::Process,
        ),
        (
            &[("HOME", "/h")],
            None,
            "GOPATH",
            "/h/go",
            GoOrigin::Default,
        ),
        (
            &[("HOME", "/h/")],
            None,
            "GOMODCACHE",
            "/h/go/pkg/mod",
            GoOrigin::Derived,
        ),
        (
            &[("HOME", "/h"), ("GOPATH", "/a:/b")],
            None,
            "GOMODCACHE",
            "/a/pkg/mod",
            GoOrigin::Derived,
        ),
        (
            &[("HOME", "/h"), ("GOPATH", ":/b")],
            None,
            "GOMODCACHE",
            "",
            GoOrigin::Derived,
        ),
        (
            &[],
            Some("GOPATH=/f"),
            "GOMODCACHE",
            "/f/pkg/mod",
            GoOrigin::Derived,
        ),
        (&[], None, "GOPATH", "", GoOrigin::Default),
        (
            &[("GOMODCACHE", "/m")],
            None,
            "GOMODCACHE",
            "/m",
            GoOrigin::Process,
        ),
        (&[], None, "GOROOT", "/goroot", GoOrigin::Derived),
        (
            &[("GOROOT", "/r/")],
            None,
            "GOROOT",
            "/r/",
            GoOrigin::Process,
        ),
        (&[("GOENV", "off")], None, "GOENV", "", GoOrigin::Process),
        (
            &[("GOENV", "rel/env")],
            None,
            "GOENV",
            "rel/env",
            GoOrigin::Process,
        ),
        (
            &[("HOME", "/h")],
            None,
            "GOENV",
            "/h/.config/go/env",
            GoOrigin::Derived,
        ),
        (
            &[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x/")],
            None,
            "GOENV",
            "/x/go/env",
            GoOrigin::Derived,
        ),
        (
            &[("HOME", "/h"), ("XDG_CONFIG_HOME", "rel")],
            None,
            "GOENV",
            "",
            GoOrigin::Derived,
        ),
        (
            &[],
            Some("GOWORK=off"),
            "GOWORK",
            "off",
            GoOrigin::EnvFile(file.clone()),
        ),
        (
            &[],
            None,
            "GOTOOLCHAIN",
            "auto",
            GoOrigin::GoRootEnv(gofile.clone()),
        ),
        (
            &[],
            Some("GOFLAGS=-mod=mod"),
            "GOFLAGS",
            "-mod=mod",
            GoOrigin::EnvFile(file.clone()),
        ),
        (
            &[("GOFLAGS", "-x")],
            Some("GOFLAGS=-mod=mod"),
            "GOFLAGS",
            "-x",
            GoOrigin::Process,
        ),
    ];
    for (process, user, key, want, origin) in rows {
        let e = env(process, user, Some(GO_ENV));
        let got = e.value(key).cloned();
        let want = Some(EnvValue {
            value: want.to_string(),
            origin,
        });
        assert_eq!(got, want, "{key} with env {process:?} file {user:?}");
    }
}

#[test]
fn missing_go_env_leaves_goproxy_empty() {
    let e = env(&[], None, None);
    assert_eq!(e.get("GOPROXY"), "");
    assert_eq!(
        e.value("GOSUMDB").map(|v| &v.origin),
        Some(&GoOrigin::Default)
    );
}

#[test]
fn goroot_from_user_file_is_reported_as_such() {
    let e = GoEnv::from_sources(EnvSources {
        user_file: Some((PathBuf::from("/f/env"), "GOROOT=/custom/go/\n".into())),
        goroot: find_goroot(Some("/custom/go/"), &HashMap::new(), None),
        ..EnvSources::default()
    });
    assert_eq!(
        e.value("GOROOT"),
        Some(&EnvValue {
            value: "/custom/go".into(),
            origin: GoOrigin::EnvFile(PathBuf::from("/f/env")),
        })
    );
}

#[test]
fn goroot_line_in_go_env_is_ignored() {
    let e = env(&[], None, Some(GO_ENV));
    assert_eq!(e.getenv("GOROOT").origin, GoOrigin::Default);
    assert_eq!(e.get("GOROOT"), "/goroot");
}

#[test]
fn startup_checks_like_main_go() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let with = |pairs: &[(&str, &str)]| {
        let mut e = env(pairs, None, None);
        e.values.get_mut("GOROOT").expect("GOROOT").value = dir.to_string();
        e.startup_error()
    };
    assert_eq!(with(&[("GOPATH", "/abs:/other")]), None);
    assert_eq!(with(&[("GOPATH", "::/abs")]), None);
    assert_eq!(
            with(&[("GOPATH", "/abs:rel")]),
            Some("go: GOPATH entry is relative; must be absolute path: \"rel\".\nFor more details see: 'go help gopath'".into())
        );
    assert_eq!(
        with(&[("GOPATH", "~/go")]),
        Some("go: GOPATH entry cannot start with shell metacharacter '~': \"~/go\"".into())
    );
    assert!(with(&[("GOPATH", "rel"), ("GOROOT", "ignored")]).is_some());
    let missing = env(&[("GOROOT", "/nonexistent/goroot")], None, None);
    assert_eq!(
        missing.startup_error(),
        Some("go: cannot find GOROOT directory: /nonexistent/goroot".into())
    );
    // A GOPATH inferred from a relative HOME is dropped, not fatal.
    let rel_home = env(&[("HOME", "relhome")], None, None);
    assert_eq!(rel_home.get("GOPATH"), "");
    assert_eq!(rel_home.get("GOMODCACHE"), "relhome/go/pkg/mod");
}

#[test]
fn clean_matches_filepath_clean() {
    for (input, want) in [
        ("/a/b/../c/./d/", "/a/c/d"),
        ("/../a", "/a"),
        ("a/../..", ".."),
        ("", "."),
        ("/x/go/bin/go/../..", "/x/go"),
    ] {
        assert_eq!(clean(Path::new(input)), PathBuf::from(want), "{input}");
    }
}

#[test]
fn env_file_parser_never_panics() {
    let mut rng = crate::goenv::testgen::XorShift::new(7);
    for _ in 0..3000 {
        let text = rng.junk(40);
        for (k, _) in parse_env_file(&text) {
            assert!(k.as_bytes()[0].is_ascii_uppercase());
        }
    }
}
