//! Using goshim (issue 7), one file per subcommand: `doctor`, `env`, `explain`, `route`,
//! `cache clear`, `completions`, `--version`/`--help`, and the shell and CI recipes. Every run is
//! against fixture proxies on 127.0.0.1 in a temp home; outputs are compared whole after stable
//! redactions (temp paths, fixture ports, timings).

use serde_json::Value;

use crate::support::modules::Module;
use crate::support::proxy::{Proxy, SumdbSupport};
use crate::support::world::{World, fast_config};

mod cache;
mod doctor;
mod env;
mod explain;
mod help;
mod recipes;
mod route;

/// A home, a project, goshim linked as `go` first on PATH with the real go after it.
fn world() -> World {
    World::new().real_go()
}

/// A healthy fixture proxy serving the probe module; shown as `placeholder` in outputs.
fn proxy(w: World, placeholder: &str, sumdb: SumdbSupport) -> (World, Proxy) {
    let p = Proxy::serving([probe_module()]);
    p.set_sumdb(sumdb);
    (w.show(&p.url(), placeholder), p)
}

/// The user config: these candidates in order, no direct, fast probes, `rest`.
fn config(w: World, candidates: &[&str], rest: &str) -> World {
    w.user_config(&fast_config(candidates, "", rest))
}

/// The module every fixture serves (the probe module of `fast_config`).
fn probe_module() -> Module {
    Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n")
}

/// Output with the world's variable parts replaced by stable names, numbers before " ms" and
/// " s" replaced by N, runs of spaces collapsed (column widths follow the timings), and the
/// direct checksum database rows cut after their name (their failure text depends on the
/// machine's DNS).
fn redact(w: &World, text: &str) -> String {
    let text = numbers_before(&w.redact(text), &[" ms", " s"]);
    text.lines()
        .map(|l| {
            let indent = l.len() - l.trim_start().len();
            let words: Vec<&str> = l.split_whitespace().collect();
            let body = match words.first() {
                Some(w) if w.starts_with("sum.golang.") => {
                    format!("{} …", w.trim_end_matches(':'))
                }
                _ => words.join(" "),
            };
            format!("{}{body}\n", " ".repeat(indent))
        })
        .collect()
}

/// Every run of digits directly followed by one of `units` becomes `N`.
fn numbers_before(text: &str, units: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(|c: char| c.is_ascii_digit()) {
        let end = rest[i..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(rest.len(), |e| i + e);
        let after = &rest[end..];
        let unit = units.iter().any(|u| {
            after.starts_with(u)
                && after[u.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric())
        });
        let word_start = i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '.');
        out.push_str(&rest[..i]);
        if unit && word_start {
            out.push('N');
        } else {
            out.push_str(&rest[i..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A module project whose every proxy answer comes from fixtures.
fn healthy_world() -> (World, Proxy) {
    let (w, p) = proxy(world(), "$P1", SumdbSupport::Supported);
    let w = config(w, &[&p.url()], "").file("go.mod", "module example.com/app\n\ngo 1.22\n");
    (w, p)
}

/// `key` of `v` exists and has JSON type `ty` (null allowed when `nullable`).
#[track_caller]
fn has(v: &Value, key: &str, ty: &str, nullable: bool) {
    let x = v.get(key).unwrap_or_else(|| panic!("no {key:?} in {v:#}"));
    let ok = match ty {
        "string" => x.is_string(),
        "bool" => x.is_boolean(),
        "number" => x.is_u64(),
        "array" => x.is_array(),
        "object" => x.is_object(),
        _ => unreachable!(),
    } || (nullable && x.is_null());
    assert!(ok, "{key:?} is not {ty}: {x:#}");
}

#[test]
fn redaction_helper() {
    assert_eq!(
        numbers_before("a 12 ms, 3 s ago, 1.22 s, v1 s, 7 sec", &[" ms", " s"]),
        "a N ms, N s ago, 1.22 s, v1 s, 7 sec"
    );
}
