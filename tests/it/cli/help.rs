//! `goshim completions`, `--version` and `--help`.

use super::world;

#[test]
fn completions_version_and_help() {
    let w = world();
    let r = w.goshim(&["completions", "bash"]);
    r.assert_code(0);
    let out = r.stdout();
    assert!(out.contains("_goshim()"), "{out}");
    for sub in ["doctor", "env", "explain", "route", "cache", "completions"] {
        assert!(out.contains(sub), "{sub} missing from the bash completion");
    }
    let r = w.goshim(&["completions", "fish"]);
    r.assert_code(0);
    assert!(r.stdout().contains("complete -c goshim"));
    w.goshim(&["completions", "tcsh"]).assert_code(2);

    let r = w.goshim(&["--version"]);
    r.assert_code(0);
    // The whole line (commit, target) is checked in release.rs.
    assert!(
        r.stdout()
            .starts_with(&format!("goshim {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{}",
        r.show()
    );
    let r = w.goshim(&["--help"]);
    r.assert_code(0);
    let out = r.stdout();
    assert!(out.contains("Examples:"), "{out}");
    assert!(out.contains("goshim route example.com/m@v1.2.3"), "{out}");
    for sub in ["env", "doctor", "explain", "route"] {
        let r = w.goshim(&[sub, "--help"]);
        r.assert_code(0);
        assert!(
            r.stdout().contains("go mod download"),
            "{sub} --help: {}",
            r.show()
        );
    }
}
