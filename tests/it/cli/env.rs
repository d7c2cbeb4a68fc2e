//! `goshim env`: every output format, unsetting what it exported, and go seeing exactly the
//! printed values.

use std::path::Path;

use serde_json::Value;

use super::{config, healthy_world, redact};
use crate::support::shim;

#[test]
fn env_in_every_format() {
    let (w, p) = healthy_world();
    let w = config(
        w,
        &[&p.url()],
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    );
    let run = |format: &str| {
        let r = w.goshim(&["env", "--format", format]);
        r.assert_code(0);
        redact(&w, &r.stdout())
    };
    let managed = "GOPRIVATE,GONOPROXY,GONOSUMDB,GOPROXY";
    assert_eq!(
        run("sh"),
        format!(
            "export GOPRIVATE='git.corp.example'\nexport GONOPROXY='git.corp.example'\n\
             export GONOSUMDB='git.corp.example'\nexport GOPROXY='$P1'\n\
             export GOSHIM_MANAGED='{managed}'\n"
        )
    );
    assert_eq!(
        run("fish"),
        format!(
            "set -gx GOPRIVATE 'git.corp.example'\nset -gx GONOPROXY 'git.corp.example'\n\
             set -gx GONOSUMDB 'git.corp.example'\nset -gx GOPROXY '$P1'\n\
             set -gx GOSHIM_MANAGED '{managed}'\n"
        )
    );
    assert_eq!(
        run("github"),
        format!(
            "GOPRIVATE=git.corp.example\nGONOPROXY=git.corp.example\nGONOSUMDB=git.corp.example\n\
             GOPROXY=$P1\nGOSHIM_MANAGED={managed}\n"
        )
    );
    assert_eq!(
        run("direnv"),
        format!(
            "export GOPRIVATE='git.corp.example'\nexport GONOPROXY='git.corp.example'\n\
             export GONOSUMDB='git.corp.example'\nexport GOPROXY='$P1'\n\
             export GOSHIM_MANAGED='{managed}'\n\
             watch_file '$ROOT/home/.config/goshim/config.toml'\n\
             watch_file '$ROOT/proj/.gomodrc'\nwatch_file '$ROOT/proj/go.mod'\n"
        )
    );
    let json: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "GOPRIVATE": "git.corp.example",
            "GONOPROXY": "git.corp.example",
            "GONOSUMDB": "git.corp.example",
            "GOPROXY": "$P1",
            "GOSHIM_MANAGED": managed,
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
    assert_eq!(
        redact(&w, &r.stdout()),
        "unset GOPRIVATE\nunset GONOPROXY\nunset GONOSUMDB\nexport GOPROXY='$P1'\nexport GOSHIM_MANAGED='GOPROXY'\n"
    );
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
