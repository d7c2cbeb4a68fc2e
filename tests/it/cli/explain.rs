//! `goshim explain`: every variable, one variable, the config file and line behind a value.

use super::{config, healthy_world, redact};

#[test]
fn explain_every_variable_and_one() {
    let (w, _p) = healthy_world();
    let r = w.goshim(&["explain"]);
    r.assert_code(0);
    let want = "\
GOPROXY=$P1 (set by goshim)
  - healthy public proxies joined with '|': go fails over on any error
  configured:
    proxy.candidates: $P1 ($ROOT/home/.config/goshim/config.toml:2)
  probe results (probed now):
    $P1: healthy, N ms, sumdb yes, checked N s ago: answered the probe
  without goshim: https://proxy.golang.org,direct ($GOROOT/go.env)
GOPRIVATE= (kept)
  - no private modules are configured; go's own value is used
  without goshim: empty (go's built-in default)
GONOPROXY= (kept)
  - no private modules are configured; go's own value is used
  without goshim: empty (derived by go from another variable)
GONOSUMDB= (kept)
  - no private modules are configured; go's own value is used
  without goshim: empty (derived by go from another variable)
GOSUMDB=sum.golang.org (kept)
  - $P1 serves /sumdb/sum.golang.org/supported: checksum lookups go through it
  configured:
    sumdb.name = sum.golang.org (built-in default)
  probe results (probed now):
    $P1 serves /sumdb/sum.golang.org/supported: yes
    sum.golang.org …
    sum.golang.google.cn …
  without goshim: sum.golang.org ($GOROOT/go.env)
GOFLAGS=-modcacherw (kept)
  - goshim adds no flags: go uses your GOFLAGS as they are (and never gets -mod=mod from goshim, which go rejects in workspace mode)
  without goshim: -modcacherw (your environment)
(decided as for `go mod download` in $ROOT/proj)
";
    assert_eq!(redact(&w, &r.stdout()), want, "{}", r.show());

    let r = w.goshim(&["explain", "gosumdb"]);
    r.assert_code(0);
    assert!(
        redact(&w, &r.stdout()).starts_with("GOSUMDB=sum.golang.org (kept)\n"),
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
    assert_eq!(
        redact(&w, &r.stdout()),
        "GOPRIVATE=git.corp.example (set by goshim)
  - your patterns plus the configured private modules ($ROOT/home/.config/goshim/config.toml:11)
  - goshim writes GOPRIVATE, GONOPROXY and GONOSUMDB together, because an empty GONOPROXY or GONOSUMDB means \"use GOPRIVATE\"
  configured:
    modules.private: git.corp.example ($ROOT/home/.config/goshim/config.toml:11)
  without goshim: empty (go's built-in default)
"
    );
}
