//! Configuration through the real binary: errors stop go with exit status 2, untrusted
//! `.gomodrc` settings are ignored with one notice, and the trust commands.

use std::path::Path;

use proptest::prelude::*;

use crate::support::fake_go;
use crate::support::world::{Run, World, write};

const HINT: &str = "(GOSHIM_DISABLE=1 runs go without goshim)";

/// A home with a project in it and a fake go on PATH behind the shim link.
fn world() -> World {
    World::new().fake_go()
}

/// `go version` through the shim link in the project, with `extra` variables.
fn go_version(w: &World, extra: &[(&str, &str)]) -> Run {
    let mut cmd = w.go_command(&["version"]);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    w.run(&mut cmd)
}

/// go runs, exits 0, and stderr is exactly `expected`.
#[track_caller]
fn assert_ran(w: &World, out: &Run, expected: &str) {
    assert_eq!(out.stderr(), expected);
    assert_eq!(out.code(), Some(0));
    assert!(w.go_ran(), "the fake go did not run");
}

/// goshim stops with exit status 2 and exactly `message`, and go does not run.
#[track_caller]
fn assert_stopped(w: &World, out: &Run, message: &str) {
    assert_eq!(out.stderr(), format!("goshim: error: {message}\n"));
    assert_eq!(out.code(), Some(2));
    assert!(!w.go_ran(), "go ran despite the configuration error");
}

#[test]
fn no_configuration_runs_go_silently() {
    let w = world();
    let out = go_version(&w, &[]);
    assert_ran(&w, &out, "");
}

#[test]
fn each_file_error_stops_go_with_exit_2() {
    let w = world();
    let rc = w.gomodrc_path();
    let p = rc.display();
    let cases: &[(&str, String)] = &[
        (
            "[proxy\n",
            format!(
                "{p}:1:7: invalid TOML: unclosed table, expected `]`; fix the TOML syntax {HINT}"
            ),
        ),
        (
            "[proxy]\ncandidate = [\"https://goproxy.cn\"]\n",
            format!("{p}:2:1: unknown key proxy.candidate; did you mean candidates? {HINT}"),
        ),
        (
            "[health]\nttl = \"10 minutes\"\n",
            format!(
                "{p}:2:7: bad duration \"10 minutes\" for health.ttl; write a whole number and a unit, e.g. \"1500ms\", \"2s\", \"10m\" or \"24h\" {HINT}"
            ),
        ),
        (
            "[proxy]\ncandidates = [\"goproxy\"]\n",
            format!(
                "{p}:2:15: proxy.candidates: invalid proxy URL missing scheme: goproxy; write an http(s) URL such as \"https://goproxy.example\" or \"file:///abs/dir\" {HINT}"
            ),
        ),
        (
            "[modules]\nprivate = [\"git.corp.example *.git.corp.example\"]\n",
            format!(
                "{p}:2:12: modules.private entry \"git.corp.example *.git.corp.example\" contains a space; go matches patterns literally, so it would never match; remove the spaces and write one pattern per string: [\"a.example\", \"*.a.example\"] {HINT}"
            ),
        ),
    ];
    for (text, message) in cases {
        write(&rc, text);
        let out = go_version(&w, &[]);
        assert_stopped(&w, &out, message);
    }
}

#[test]
fn errors_in_user_and_system_config_stop_go_too() {
    let w = world();
    write(&w.user_config_path(), "[shim]\nquiet = \"yes\"\n");
    let out = go_version(&w, &[]);
    assert_stopped(
        &w,
        &out,
        &format!(
            "{}:2:9: shim.quiet must be true or false, not a string; write quiet = true or quiet = false (no quotes) {HINT}",
            w.user_config_path().display()
        ),
    );
    std::fs::remove_file(w.user_config_path()).unwrap();
    write(&w.system_config_path(), "[sumdb]\nname = \"off\"\n");
    let out = go_version(&w, &[]);
    assert_stopped(
        &w,
        &out,
        &format!(
            "{}:2:8: sumdb.name = \"off\" would turn checksum verification off, which goshim never does; remove it; to skip the checksum database for private modules list them in [modules] no_sumdb {HINT}",
            w.system_config_path().display()
        ),
    );
}

#[test]
fn an_unreadable_gomodrc_stops_go() {
    let w = world();
    std::fs::create_dir(w.gomodrc_path()).unwrap();
    let out = go_version(&w, &[]);
    assert_eq!(
        out.stderr(),
        format!(
            "goshim: error: {}: not a regular file (a directory); goshim reads only regular files: replace it with a regular file or remove it {HINT}\n",
            w.gomodrc_path().display()
        )
    );
    assert_eq!(out.code(), Some(2));
    assert!(!w.go_ran());
}

#[test]
fn goshim_disable_skips_a_broken_configuration() {
    let w = world();
    write(&w.gomodrc_path(), "this is not toml");
    let out = go_version(&w, &[("GOSHIM_DISABLE", "1")]);
    assert_ran(&w, &out, "");
}

#[test]
fn trust_life_cycle() {
    let w = world();
    let rc = w.gomodrc_path();
    write(&rc, "[sumdb]\nname = \"sum.golang.google.cn\"\n");
    let notice = format!(
        "goshim: ignoring settings from untrusted {p} (sumdb.name); review, then run `goshim trust {p}`\n",
        p = rc.display()
    );

    let out = go_version(&w, &[]);
    assert_ran(&w, &out, &notice);

    let out = w.goshim(&["trust"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    assert!(
        out.stderr()
            .starts_with(&format!("goshim: trusted {} (sha256 ", rc.display())),
        "{}",
        out.stderr()
    );
    let list = w.goshim(&["trust", "--list"]);
    assert_eq!(list.stdout(), format!("trusted\t{}\n", rc.display()));

    let out = go_version(&w, &[]);
    assert_ran(&w, &out, "");

    write(&rc, "[sumdb]\nname = \"sum.golang.google.cn\"\n# edited\n");
    let out = go_version(&w, &[]);
    assert_ran(&w, &out, &notice);
    let list = w.goshim(&["trust", "--list"]);
    assert_eq!(list.stdout(), format!("edited\t{}\n", rc.display()));

    let out = w.goshim(&["trust", rc.to_str().unwrap()]);
    assert_eq!(out.code(), Some(0));
    assert_ran(&w, &go_version(&w, &[]), "");

    let out = w.goshim(&["untrust"]);
    assert_eq!(
        out.stderr(),
        format!("goshim: untrusted {}\n", rc.display())
    );
    assert_ran(&w, &go_version(&w, &[]), &notice);
    assert_eq!(w.goshim(&["trust", "--list"]).stdout_bytes(), b"");
}

#[test]
fn trust_refuses_a_broken_file_and_a_missing_one() {
    let w = world();
    let out = w.goshim(&["trust"]);
    assert_eq!(
        out.stderr(),
        format!(
            "goshim: error: no .gomodrc in {} or any parent directory; name the file: goshim trust PATH\n",
            w.proj().display()
        )
    );
    assert_eq!(out.code(), Some(1));
    write(&w.gomodrc_path(), "[proxy]\ndirect = 1\n");
    let out = w.goshim(&["trust"]);
    assert_eq!(
        out.stderr(),
        format!(
            "goshim: error: not trusted: {}:2:10: proxy.direct must be true or false, not an integer; write direct = true or direct = false (no quotes) {HINT}\n",
            w.gomodrc_path().display()
        )
    );
    assert_eq!(out.code(), Some(2));
    assert!(!w.trust_store_path().exists());
}

const DANGEROUS: &str = r#"[proxy]
candidates = ["https://evil.example"]
extend_private = ["https://evil-private.example"]
offline = "direct"
[modules]
private = ["*"]
no_sumdb = ["*"]
[sumdb]
name = "sum.evil.example+12345678+AAAA"
[health]
probe = "git.corp.example/secret@v1.0.0"
[shim]
go = "EVIL_GO"
respect_env = false
"#;

#[test]
fn untrusted_dangerous_settings_do_not_take_effect() {
    let w = world();
    let evil = fake_go::install(&w.root().join("evil"));
    let rc = w.gomodrc_path();
    write(&rc, &DANGEROUS.replace("EVIL_GO", evil.to_str().unwrap()));
    let out = go_version(&w, &[]);
    assert_ran(
        &w,
        &out,
        &format!(
            "goshim: ignoring settings from untrusted {p} (proxy.candidates, proxy.extend_private, proxy.offline, modules.private, modules.no_sumdb, sumdb.name, health.probe, shim.respect_env); review, then run `goshim trust {p}`\n\
             goshim: ignoring [shim] go at {p}:13: the real go is only chosen in the user or system config, or GOSHIM_GO\n",
            p = rc.display()
        ),
    );
    let report = w.report();
    assert_eq!(
        Path::new(&report.exe),
        w.root().join("real/go"),
        "[shim] go from a .gomodrc must not choose the binary"
    );
    for var in ["GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOSUMDB", "GONOPROXY"] {
        assert!(!report.env.contains_key(var), "{var} was set");
    }
}

#[test]
fn shim_go_from_user_config_chooses_the_binary() {
    let w = world();
    let other = fake_go::install(&w.root().join("other"));
    write(
        &w.user_config_path(),
        &format!("[shim]\ngo = \"{}\"\n", other.display()),
    );
    let out = go_version(&w, &[]);
    assert_ran(&w, &out, "");
    let report = w.report();
    assert_eq!(Path::new(&report.exe), other);
}

#[test]
fn trust_all_trusts_every_file() {
    let w = world();
    write(
        &w.gomodrc_path(),
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    let out = go_version(&w, &[("GOSHIM_TRUST_ALL", "1")]);
    assert_ran(&w, &out, "");
    let out = go_version(&w, &[("GOSHIM_TRUST_ALL", "0")]);
    assert!(out.stderr().contains("untrusted"), "{}", out.stderr());
}

#[test]
fn debug_log_traces_the_configuration_files() {
    let w = world();
    write(&w.gomodrc_path(), "[proxy]\norder = \"listed\"\n");
    let out = go_version(&w, &[("GOSHIM_LOG", "debug")]);
    assert_ran(
        &w,
        &out,
        &format!(
            "goshim: debug: config {} (project, untrusted)\n\
             goshim: debug: project not inspected, nothing decided (go reports it): \
             go: cannot find GOROOT directory: 'go' binary is trimmed and GOROOT is not set \
             (`{}/real/go env GOROOT` printed \"\", which is not a Go installation)\n",
            w.gomodrc_path().display(),
            w.root().display()
        ),
    );
}

#[test]
fn quiet_never_silences_the_notice_about_ignored_settings() {
    let w = world();
    write(
        &w.gomodrc_path(),
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    let notice = format!(
        "goshim: ignoring settings from untrusted {p} (modules.private); review, then run `goshim trust {p}`\n",
        p = w.gomodrc_path().display()
    );
    assert_ran(&w, &go_version(&w, &[("GOSHIM_QUIET", "1")]), &notice);
    write(&w.user_config_path(), "[shim]\nquiet = true\n");
    assert_ran(&w, &go_version(&w, &[]), &notice);
}

#[test]
fn a_corrupt_trust_store_is_reported_and_go_still_runs() {
    let w = world();
    write(
        &w.gomodrc_path(),
        "[sumdb]\nname = \"sum.golang.google.cn\"\n",
    );
    write(&w.trust_store_path(), "{\"version\": 1, \"trusted\": [");
    let out = go_version(&w, &[]);
    let err = out.stderr();
    assert!(
        err.starts_with(&format!(
            "goshim: warning: the trust store {} is unreadable (",
            w.trust_store_path().display()
        )),
        "{err}"
    );
    assert!(err.contains("treating it as empty"), "{err}");
    assert!(err.ends_with(&format!(
        "goshim: ignoring settings from untrusted {p} (sumdb.name); review, then run `goshim trust {p}`\n",
        p = w.gomodrc_path().display()
    )));
    assert_eq!(out.code(), Some(0));
    assert!(w.go_ran());

    let out = w.goshim(&["trust"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    assert_ran(&w, &go_version(&w, &[]), "");
}

#[test]
fn router_keys_follow_the_trust_rules_and_stop_go_when_wrong() {
    let w = world();
    let rc = w.gomodrc_path();
    write(
        &rc,
        "[router]\nenabled = false\nhedge_delay = \"100ms\"\nattempt_timeout = \"5s\"\nretries = 5\n",
    );
    let out = go_version(&w, &[]);
    assert_ran(
        &w,
        &out,
        &format!(
            "goshim: ignoring settings from untrusted {p} (router.hedge_delay, router.attempt_timeout, router.retries); review, then run `goshim trust {p}`\n",
            p = rc.display()
        ),
    );
    let out = w.goshim(&["trust"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    assert_ran(&w, &go_version(&w, &[]), "");

    write(&rc, "[router]\nattempt_timeout = 30\n");
    let out = go_version(&w, &[]);
    assert_stopped(
        &w,
        &out,
        &format!(
            "{}:2:19: router.attempt_timeout must be a string, not an integer; put the value in double quotes: attempt_timeout = \"...\" {HINT}",
            rc.display()
        ),
    );
    write(&rc, "[router]\nretries = 11\n");
    let out = go_version(&w, &[]);
    assert_stopped(
        &w,
        &out,
        &format!(
            "{}:2:11: router.retries = 11 is out of range; use a whole number from 0 to 10 {HINT}",
            rc.display()
        ),
    );
    write(&rc, "[router]\nenable = false\n");
    let out = go_version(&w, &[("GOSHIM_ROUTER", "0")]);
    assert_stopped(
        &w,
        &out,
        &format!(
            "{}:2:1: unknown key router.enable; did you mean enabled? {HINT}",
            rc.display()
        ),
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = goshim::config::parse_layer(Path::new("/p/.gomodrc"), &bytes);
    }

    #[test]
    fn arbitrary_toml_like_text_never_panics(
        text in "(\\[(proxy|modules|sumdb|health|shim|router)\\]\n|[a-z_]{1,12} = (\"[ -~]{0,20}\"|\\[(\"[ -~]{0,12}\",? ?){0,3}\\]|true|1|\\{\\})\n|#.*\n){0,8}"
    ) {
        let _ = goshim::config::parse_layer(Path::new("/p/.gomodrc"), text.as_bytes());
    }
}
