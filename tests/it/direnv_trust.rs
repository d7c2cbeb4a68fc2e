//! direnv picks up `goshim trust` without `direnv reload` (issue 13, item 5): `use goshim`
//! watches the trust store, so trusting a `.gomodrc` changes the environment at the next prompt.

use std::path::{Path, PathBuf};

use crate::support::modules::Module;
use crate::support::proxy::{Proxy, SumdbSupport};
use crate::support::shim;
use crate::support::world::{World, fast_config};

fn direnv() -> PathBuf {
    ["/usr/bin/direnv", "/usr/local/bin/direnv", "/bin/direnv"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("direnv is missing: install it (apt-get install -y direnv); scripts/test.sh does")
}

/// One prompt of a shell with direnv's hook: `direnv export json` with the environment the
/// previous prompts left, applied to it. Returns the world as the next prompt sees it, and what
/// this prompt changed.
fn prompt(w: World, direnv: &Path) -> (World, serde_json::Map<String, serde_json::Value>) {
    let mut cmd = w.command(direnv);
    cmd.args(["export", "json"]);
    let out = w.run(&mut cmd);
    out.assert_success();
    if out.stdout_bytes().is_empty() {
        return (w, serde_json::Map::new());
    }
    let changed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(out.stdout_bytes()).unwrap();
    let mut w = w;
    for (k, v) in &changed {
        w = match v.as_str() {
            Some(v) => w.env(k, v),
            None => w.env_remove(k),
        };
    }
    (w, changed)
}

#[test]
fn trusting_a_gomodrc_reloads_direnv() {
    let direnv = direnv();
    let proxy = Proxy::serving([
        Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n")
    ]);
    proxy.set_sumdb(SumdbSupport::Supported);
    let w = World::new().real_go();
    let bin = w.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(shim::binary(), bin.join("goshim")).unwrap();
    let direnvrc = Path::new(env!("CARGO_MANIFEST_DIR")).join("shims/direnvrc");
    let w = w
        .path_first(&bin)
        .user_config(&fast_config(&[&proxy.url()], "", ""))
        .gomodrc("[modules]\nprivate = [\"git.corp.example\"]\n")
        .file(
            ".envrc",
            &format!("source_env {}\nuse goshim\n", direnvrc.display()),
        );
    let mut allow = w.command(&direnv);
    allow.args(["allow", "."]);
    w.run(&mut allow).assert_success();

    let (w, first) = prompt(w, &direnv);
    assert_eq!(first.get("GOPRIVATE"), None, "untrusted: {first:?}");
    assert!(first.contains_key("GOPROXY"), "{first:?}");
    // Nothing changed: the next prompt keeps the environment as it is.
    let (w, second) = prompt(w, &direnv);
    assert!(second.is_empty(), "{second:?}");

    w.goshim(&["trust"]).assert_success();

    let (_, next) = prompt(w, &direnv);
    assert_eq!(
        next.get("GOPRIVATE").and_then(|v| v.as_str()),
        Some("git.corp.example"),
        "the prompt after `goshim trust` kept the untrusted decision: {next:?}"
    );
}
