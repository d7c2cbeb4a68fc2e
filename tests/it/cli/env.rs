//! `goshim env`: every output format, unsetting what it exported, and go seeing exactly the
//! printed values.

use std::path::Path;

use serde_json::Value;

use super::{config, healthy_world};
use crate::support::shim;
use crate::support::snap::assert_snapshot;

#[test]
fn env_in_every_format() {
    let (w, p) = healthy_world();
    let w = config(
        w,
        &[&p.url()],
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    for format in ["sh", "fish", "github", "direnv", "json"] {
        let r = w.goshim(&["env", "--format", format]);
        r.assert_code(0);
        assert_snapshot!(w, format!("every_format_{format}"), r.stdout());
    }
    let json = w.goshim(&["env", "--format", "json"]).assert_code(0).json();
    assert_eq!(
        json,
        serde_json::json!({
            "GOPRIVATE": "git.corp.example",
            "GONOPROXY": "git.corp.example",
            "GONOSUMDB": "git.corp.example",
            "GOPROXY": p.url(),
            "GOSHIM_MANAGED": "GOPRIVATE,GONOPROXY,GONOSUMDB,GOPROXY",
        })
    );
    let r = w.goshim(&["env", "--format", "csh"]);
    r.assert_code(2);
}

#[test]
fn env_reevaluated_elsewhere_unsets_what_it_exported() {
    let (w, _p) = healthy_world();
    let w = w
        .env("GOSHIM_MANAGED", "GOPRIVATE,GONOPROXY,GONOSUMDB,GOPROXY")
        .env("GOPRIVATE", "git.corp.example");
    let r = w.goshim(&["env"]);
    r.assert_code(0);
    assert_snapshot!(w, "reevaluated_elsewhere", r.stdout());
}

#[test]
fn eval_env_in_bash_gives_go_exactly_the_printed_values() {
    let (w, p) = healthy_world();
    let w = config(
        w,
        &[&p.url()],
        "[modules]\nprivate = [\"git.corp.example\", \"*.corp.example\"]\n",
    );
    let w = w.env("GOPRIVATE", "b.example");
    let r = w.goshim(&["env", "--format", "json"]);
    r.assert_code(0);
    let printed: serde_json::Map<String, Value> = serde_json::from_slice(r.stdout_bytes()).unwrap();
    assert!(printed.contains_key("GOPROXY"), "{printed:?}");
    let script = format!(
        "set -e; eval \"$({} env)\"; exec go env -json",
        shim::binary().display()
    );
    let mut cmd = w.command(Path::new("/bin/bash"));
    cmd.args(["-c", &script]);
    let go = w.run(&mut cmd);
    go.assert_code(0);
    let seen: serde_json::Map<String, Value> = serde_json::from_slice(go.stdout_bytes()).unwrap();
    for (k, v) in &printed {
        if k == "GOSHIM_MANAGED" {
            continue;
        }
        assert_eq!(seen.get(k), Some(v), "go env -json {k} after eval");
    }
    // The exported GOPRIVATE is the user's and stays; the other two are widened.
    assert_eq!(seen["GOPRIVATE"], "b.example");
    assert_eq!(
        seen["GONOPROXY"],
        "b.example,git.corp.example,*.corp.example"
    );
    assert_eq!(
        seen["GONOSUMDB"],
        "b.example,git.corp.example,*.corp.example"
    );
}
