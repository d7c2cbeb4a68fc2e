//! direnv picks up `goshim trust` without `direnv reload` (issue 13, item 5): `use goshim`
//! watches the trust store, so trusting a `.gomodrc` changes the environment at the next prompt.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::bounded;
use crate::support::modules::Module;
use crate::support::proxy::{Proxy, SumdbSupport};
use crate::support::sandbox::Sandbox;
use crate::support::shim;

const LIMIT: Duration = Duration::from_secs(30);

fn direnv() -> PathBuf {
    ["/usr/bin/direnv", "/usr/local/bin/direnv", "/bin/direnv"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("direnv is missing: install it (apt-get install -y direnv); scripts/test.sh does")
}

/// One prompt of a shell with direnv's hook: `direnv export json` with the environment the
/// previous prompts left, applied to it. Returns what this prompt changed.
fn prompt(
    sb: &Sandbox,
    env: &mut Vec<(String, String)>,
    direnv: &Path,
) -> serde_json::Map<String, serde_json::Value> {
    let mut cmd = shim::command(direnv, env);
    cmd.args(["export", "json"]).current_dir(&sb.proj);
    let out = bounded::run(&mut cmd, LIMIT);
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(0),
        "{}",
        out.stderr_text()
    );
    if out.stdout.is_empty() {
        return serde_json::Map::new();
    }
    let changed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap();
    for (k, v) in &changed {
        env.retain(|(name, _)| name != k);
        if let Some(v) = v.as_str() {
            env.push((k.clone(), v.to_string()));
        }
    }
    changed
}

#[test]
fn trusting_a_gomodrc_reloads_direnv() {
    let direnv = direnv();
    let sb = Sandbox::new();
    let proxy = Proxy::serving([
        Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n")
    ]);
    proxy.set_sumdb(SumdbSupport::Supported);
    let config = sb.root.join("home/.config/goshim/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!(
            "[proxy]\ncandidates = [\"{}\"]\ndirect = false\n\n[health]\nprobe = \"example.com/probe@v1.0.0\"\ntimeout = \"1s\"\ndeadline = \"2s\"\n",
            proxy.url()
        ),
    )
    .unwrap();
    let bin = sb.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(shim::binary(), bin.join("goshim")).unwrap();
    let mut env = sb.env.clone();
    for (k, v) in &mut env {
        if k == "PATH" {
            *v = format!("{}:{v}", bin.display());
        }
    }
    std::fs::write(
        sb.proj.join(".gomodrc"),
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    )
    .unwrap();
    let direnvrc = Path::new(env!("CARGO_MANIFEST_DIR")).join("shims/direnvrc");
    std::fs::write(
        sb.proj.join(".envrc"),
        format!("source_env {}\nuse goshim\n", direnvrc.display()),
    )
    .unwrap();
    let mut allow = shim::command(&direnv, &env);
    allow.args(["allow", "."]).current_dir(&sb.proj);
    assert_eq!(
        bounded::run(&mut allow, LIMIT)
            .status
            .and_then(|s| s.code()),
        Some(0)
    );

    let first = prompt(&sb, &mut env, &direnv);
    assert_eq!(first.get("GOPRIVATE"), None, "untrusted: {first:?}");
    assert!(first.contains_key("GOPROXY"), "{first:?}");
    // Nothing changed: the next prompt keeps the environment as it is.
    assert!(prompt(&sb, &mut env, &direnv).is_empty());

    let mut trust = shim::command(shim::binary(), &env);
    trust.arg("trust").current_dir(&sb.proj);
    assert_eq!(
        bounded::run(&mut trust, LIMIT)
            .status
            .and_then(|s| s.code()),
        Some(0)
    );

    let next = prompt(&sb, &mut env, &direnv);
    assert_eq!(
        next.get("GOPRIVATE").and_then(|v| v.as_str()),
        Some("git.corp.example"),
        "the prompt after `goshim trust` kept the untrusted decision: {next:?}"
    );
}
