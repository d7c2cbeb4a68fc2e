//! `goshim explain`: every variable, one variable, the config file and line behind a value.

use super::{config, healthy_world};
use crate::support::snap::assert_snapshot;

#[test]
fn explain_every_variable_and_one() {
    let (w, _p) = healthy_world();
    // The checksum databases hang behind the unreachable internet: the proxy answers for
    // sum.golang.org, so they stay unknown.
    let w = w.unreachable_internet();
    let r = w.goshim(&["explain"]);
    r.assert_code(0);
    // As the shim: the router ranks by what the cache knows; nothing is probed before go.
    assert!(
        r.stdout().contains("probe results (cached)"),
        "{}",
        r.show()
    );
    assert_snapshot!(w, "every_variable", r.stdout());

    // (A background refresh may be probing the databases now: only the first line is stable.)
    let r = w.goshim(&["explain", "gosumdb"]);
    r.assert_code(0);
    assert!(
        r.stdout().starts_with("GOSUMDB=sum.golang.org  (kept)\n"),
        "{}",
        r.show()
    );
    let r = w.goshim(&["explain", "GOFLAGS"]);
    r.assert_code(0);
    assert_eq!(
        r.stdout(),
        "GOFLAGS=-modcacherw  (kept)\n  - goshim adds no flags: go uses your GOFLAGS as they are \
         (and never gets -mod=mod from goshim, which go rejects in workspace mode)\n  \
         without goshim: -modcacherw (your environment)\n"
    );
    let r = w.goshim(&["explain", "GOTOOLCHAIN"]);
    r.assert_code(0);
    assert_eq!(
        r.stdout(),
        "GOTOOLCHAIN=local (goshim leaves it alone; from your environment)\n"
    );
    let r = w.goshim(&["explain", "GOPROXIES"]);
    r.assert_code(2);
    assert!(
        r.stderr().contains("GOPROXIES is not a go variable"),
        "{}",
        r.show()
    );
}

#[test]
fn explain_names_the_config_file_and_line() {
    let (w, p) = healthy_world();
    let w = config(
        w,
        &[&p.url()],
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    let r = w.goshim(&["explain", "GOPRIVATE"]);
    r.assert_code(0);
    assert_snapshot!(w, "config_file_and_line", r.stdout());
}
