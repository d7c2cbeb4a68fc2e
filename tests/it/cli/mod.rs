//! Using goshim (issue 7), one file per subcommand: `doctor`, `env`, `explain`, `route`,
//! `probe`, `cache clear`, `completions`, `--version`/`--help`, and the shell and CI recipes.
//! Every run is against fixture proxies on 127.0.0.1 in a temp home; user-facing text and JSON
//! are compared whole with insta snapshots (`snapshots/`, see `support::snap`) after stable
//! redactions (temp paths, fixture ports, timings), so column alignment is tested too.

use serde_json::Value;

use crate::support::modules::Module;
use crate::support::proxy::{Proxy, SumdbSupport};
use crate::support::world::{World, fast_config};

mod cache;
mod doctor;
mod env;
mod explain;
mod help;
mod probe;
mod recipes;
mod route;

/// A home, a project, goshim linked as `go` first on PATH with the real go after it.
fn world() -> World {
    World::new().real_go()
}

/// A healthy fixture proxy serving the probe module, named in the world's outputs (the n-th
/// proxy's port shows as `PORTn`).
fn proxy(w: World, sumdb: SumdbSupport) -> (World, Proxy) {
    let p = Proxy::serving([probe_module()]);
    p.set_sumdb(sumdb);
    (w.proxy(&p), p)
}

/// The user config: these candidates in order, no direct, fast probes, `rest`.
fn config(w: World, candidates: &[&str], rest: &str) -> World {
    w.user_config(&fast_config(candidates, "", rest))
}

/// The module every fixture serves (the probe module of `fast_config`).
fn probe_module() -> Module {
    Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n")
}

/// A module project whose every proxy answer comes from fixtures.
fn healthy_world() -> (World, Proxy) {
    let (w, p) = proxy(world(), SumdbSupport::Supported);
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
