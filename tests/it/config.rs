//! Configuration through the real binary: errors stop go with exit status 2, untrusted
//! `.gomodrc` settings are ignored with one notice, and the trust commands.

use std::path::{Path, PathBuf};
use std::process::Output;

use proptest::prelude::*;

use crate::support::{fake_go, shim};

const HINT: &str = "(GOSHIM_DISABLE=1 runs go without goshim)";

/// A home with a project in it, a fake go on PATH behind the shim link, and private config dirs.
struct Bed {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    proj: PathBuf,
    link: PathBuf,
    out: PathBuf,
    path: String,
}

impl Bed {
    fn new() -> Bed {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let proj = root.join("home/proj");
        std::fs::create_dir_all(&proj).unwrap();
        fake_go::install(&root.join("real"));
        let link = shim::link_as_go(&root.join("shim"));
        let path = shim::path_of(&[&root.join("shim"), &root.join("real")]);
        Bed {
            out: root.join("report.json"),
            _tmp: tmp,
            root,
            proj,
            link,
            path,
        }
    }

    fn gomodrc(&self) -> PathBuf {
        self.proj.join(".gomodrc")
    }

    fn write(&self, path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn user_config(&self) -> PathBuf {
        self.root.join("home/.config/goshim/config.toml")
    }

    fn system_config(&self) -> PathBuf {
        self.root.join("etc/goshim/config.toml")
    }

    fn store(&self) -> PathBuf {
        self.root.join("home/.local/share/goshim/trust.json")
    }

    fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let home = self.root.join("home");
        let mut env = vec![
            ("PATH".to_string(), self.path.clone()),
            ("HOME".into(), home.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.join(".config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME".into(),
                home.join(".local/share").display().to_string(),
            ),
            (
                "GOSHIM_SYSTEM_CONFIG".into(),
                self.system_config().display().to_string(),
            ),
            ("FAKE_GO_OUT".into(), self.out.display().to_string()),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    /// Runs `go version` through the shim link in the project.
    fn go(&self, extra: &[(&str, &str)]) -> Output {
        let _ = std::fs::remove_file(&self.out);
        shim::command(&self.link, &self.env(extra))
            .arg("version")
            .current_dir(&self.proj)
            .output()
            .unwrap()
    }

    /// Runs `goshim ARGS` in the project.
    fn goshim(&self, args: &[&str]) -> Output {
        shim::command(shim::binary(), &self.env(&[]))
            .args(args)
            .current_dir(&self.proj)
            .output()
            .unwrap()
    }

    fn go_ran(&self) -> bool {
        self.out.exists()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// go runs, exits 0, and stderr is exactly `expected`.
fn assert_ran(bed: &Bed, out: &Output, expected: &str) {
    assert_eq!(stderr(out), expected);
    assert_eq!(out.status.code(), Some(0));
    assert!(bed.go_ran(), "the fake go did not run");
}

/// goshim stops with exit status 2 and exactly `message`, and go does not run.
fn assert_stopped(bed: &Bed, out: &Output, message: &str) {
    assert_eq!(stderr(out), format!("goshim: error: {message}\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(!bed.go_ran(), "go ran despite the configuration error");
}

#[test]
fn no_configuration_runs_go_silently() {
    let bed = Bed::new();
    let out = bed.go(&[]);
    assert_ran(&bed, &out, "");
}

#[test]
fn each_file_error_stops_go_with_exit_2() {
    let bed = Bed::new();
    let rc = bed.gomodrc();
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
        bed.write(&rc, text);
        let out = bed.go(&[]);
        assert_stopped(&bed, &out, message);
    }
}

#[test]
fn errors_in_user_and_system_config_stop_go_too() {
    let bed = Bed::new();
    bed.write(&bed.user_config(), "[shim]\nquiet = \"yes\"\n");
    let out = bed.go(&[]);
    assert_stopped(
        &bed,
        &out,
        &format!(
            "{}:2:9: shim.quiet must be true or false, not a string; write quiet = true or quiet = false (no quotes) {HINT}",
            bed.user_config().display()
        ),
    );
    std::fs::remove_file(bed.user_config()).unwrap();
    bed.write(&bed.system_config(), "[sumdb]\nname = \"off\"\n");
    let out = bed.go(&[]);
    assert_stopped(
        &bed,
        &out,
        &format!(
            "{}:2:8: sumdb.name = \"off\" would turn checksum verification off, which goshim never does; remove it; to skip the checksum database for private modules list them in [modules] no_sumdb {HINT}",
            bed.system_config().display()
        ),
    );
}

#[test]
fn an_unreadable_gomodrc_stops_go() {
    let bed = Bed::new();
    std::fs::create_dir(bed.gomodrc()).unwrap();
    let out = bed.go(&[]);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "goshim: error: {}: cannot read this configuration file: ",
            bed.gomodrc().display()
        )),
        "{err}"
    );
    assert!(err.ends_with(&format!("; fix its permissions or remove it {HINT}\n")));
    assert_eq!(out.status.code(), Some(2));
    assert!(!bed.go_ran());
}

#[test]
fn goshim_disable_skips_a_broken_configuration() {
    let bed = Bed::new();
    bed.write(&bed.gomodrc(), "this is not toml");
    let out = bed.go(&[("GOSHIM_DISABLE", "1")]);
    assert_ran(&bed, &out, "");
}

#[test]
fn trust_life_cycle() {
    let bed = Bed::new();
    let rc = bed.gomodrc();
    bed.write(&rc, "[sumdb]\nname = \"sum.golang.google.cn\"\n");
    let notice = format!(
        "goshim: ignoring settings from untrusted {p} (sumdb.name); review, then run `goshim trust {p}`\n",
        p = rc.display()
    );

    let out = bed.go(&[]);
    assert_ran(&bed, &out, &notice);

    let out = bed.goshim(&["trust"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!("goshim: trusted {} (sha256 ", rc.display())),
        "{}",
        stderr(&out)
    );
    let list = bed.goshim(&["trust", "--list"]);
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        format!("trusted\t{}\n", rc.display())
    );

    let out = bed.go(&[]);
    assert_ran(&bed, &out, "");

    bed.write(&rc, "[sumdb]\nname = \"sum.golang.google.cn\"\n# edited\n");
    let out = bed.go(&[]);
    assert_ran(&bed, &out, &notice);
    let list = bed.goshim(&["trust", "--list"]);
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        format!("edited\t{}\n", rc.display())
    );

    let out = bed.goshim(&["trust", rc.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_ran(&bed, &bed.go(&[]), "");

    let out = bed.goshim(&["untrust"]);
    assert_eq!(
        stderr(&out),
        format!("goshim: untrusted {}\n", rc.display())
    );
    assert_ran(&bed, &bed.go(&[]), &notice);
    assert_eq!(bed.goshim(&["trust", "--list"]).stdout, b"");
}

#[test]
fn trust_refuses_a_broken_file_and_a_missing_one() {
    let bed = Bed::new();
    let out = bed.goshim(&["trust"]);
    assert_eq!(
        stderr(&out),
        format!(
            "goshim: error: no .gomodrc in {} or any parent directory; name the file: goshim trust PATH\n",
            bed.proj.display()
        )
    );
    assert_eq!(out.status.code(), Some(1));
    bed.write(&bed.gomodrc(), "[proxy]\ndirect = 1\n");
    let out = bed.goshim(&["trust"]);
    assert_eq!(
        stderr(&out),
        format!(
            "goshim: error: not trusted: {}:2:10: proxy.direct must be true or false, not an integer; write direct = true or direct = false (no quotes) {HINT}\n",
            bed.gomodrc().display()
        )
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!bed.store().exists());
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
    let bed = Bed::new();
    let evil = fake_go::install(&bed.root.join("evil"));
    let rc = bed.gomodrc();
    bed.write(&rc, &DANGEROUS.replace("EVIL_GO", evil.to_str().unwrap()));
    let out = bed.go(&[]);
    assert_ran(
        &bed,
        &out,
        &format!(
            "goshim: ignoring settings from untrusted {p} (proxy.candidates, proxy.extend_private, proxy.offline, modules.private, modules.no_sumdb, sumdb.name, health.probe, shim.respect_env); review, then run `goshim trust {p}`\n\
             goshim: ignoring [shim] go at {p}:13: the real go is only chosen in the user or system config, or GOSHIM_GO\n",
            p = rc.display()
        ),
    );
    let report = fake_go::Report::read(&bed.out);
    assert_eq!(
        Path::new(&report.exe),
        bed.root.join("real/go"),
        "[shim] go from a .gomodrc must not choose the binary"
    );
    for var in ["GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOSUMDB", "GONOPROXY"] {
        assert!(!report.env.contains_key(var), "{var} was set");
    }
}

#[test]
fn shim_go_from_user_config_chooses_the_binary() {
    let bed = Bed::new();
    let other = fake_go::install(&bed.root.join("other"));
    bed.write(
        &bed.user_config(),
        &format!("[shim]\ngo = \"{}\"\n", other.display()),
    );
    let out = bed.go(&[]);
    assert_ran(&bed, &out, "");
    let report = fake_go::Report::read(&bed.out);
    assert_eq!(Path::new(&report.exe), other);
}

#[test]
fn trust_all_trusts_every_file() {
    let bed = Bed::new();
    bed.write(
        &bed.gomodrc(),
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    let out = bed.go(&[("GOSHIM_TRUST_ALL", "1")]);
    assert_ran(&bed, &out, "");
    let out = bed.go(&[("GOSHIM_TRUST_ALL", "0")]);
    assert!(stderr(&out).contains("untrusted"), "{}", stderr(&out));
}

#[test]
fn debug_log_traces_the_configuration_files() {
    let bed = Bed::new();
    bed.write(&bed.gomodrc(), "[health]\nttl = \"1m\"\n");
    let out = bed.go(&[("GOSHIM_LOG", "debug")]);
    assert_ran(
        &bed,
        &out,
        &format!(
            "goshim: debug: config {} (project, untrusted)\n\
             goshim: debug: project not inspected, nothing decided (go reports it): \
             go: cannot find GOROOT directory: 'go' binary is trimmed and GOROOT is not set \
             (`{}/real/go env GOROOT` printed \"\", which is not a Go installation)\n",
            bed.gomodrc().display(),
            bed.root.display()
        ),
    );
}

#[test]
fn quiet_silences_the_notice() {
    let bed = Bed::new();
    bed.write(
        &bed.gomodrc(),
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    assert_ran(&bed, &bed.go(&[("GOSHIM_QUIET", "1")]), "");
    bed.write(&bed.user_config(), "[shim]\nquiet = true\n");
    assert_ran(&bed, &bed.go(&[]), "");
}

#[test]
fn a_corrupt_trust_store_is_reported_and_go_still_runs() {
    let bed = Bed::new();
    bed.write(&bed.gomodrc(), "[sumdb]\nname = \"sum.golang.google.cn\"\n");
    bed.write(&bed.store(), "{\"version\": 1, \"trusted\": [");
    let out = bed.go(&[]);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "goshim: warning: the trust store {} is unreadable (",
            bed.store().display()
        )),
        "{err}"
    );
    assert!(err.contains("treating it as empty"), "{err}");
    assert!(err.ends_with(&format!(
        "goshim: ignoring settings from untrusted {p} (sumdb.name); review, then run `goshim trust {p}`\n",
        p = bed.gomodrc().display()
    )));
    assert_eq!(out.status.code(), Some(0));
    assert!(bed.go_ran());

    let out = bed.goshim(&["trust"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_ran(&bed, &bed.go(&[]), "");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = goshim::config::schema::parse_layer(Path::new("/p/.gomodrc"), &bytes);
    }

    #[test]
    fn arbitrary_toml_like_text_never_panics(
        text in "(\\[(proxy|modules|sumdb|health|shim)\\]\n|[a-z_]{1,12} = (\"[ -~]{0,20}\"|\\[(\"[ -~]{0,12}\",? ?){0,3}\\]|true|1|\\{\\})\n|#.*\n){0,8}"
    ) {
        let _ = goshim::config::schema::parse_layer(Path::new("/p/.gomodrc"), text.as_bytes());
    }
}
