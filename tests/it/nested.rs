//! goshim reached again in one command tree — here a wrapper script after goshim on PATH that
//! sets something up and runs `go` from PATH again — says what it has to say once (issue 13,
//! item 6). (`go run`, `go test` and `go generate` put `$GOROOT/bin` first on PATH, so the go
//! they start never reaches goshim.)

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::support::bounded;
use crate::support::sandbox::Sandbox;
use crate::support::{realgo, shim};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn an_untrusted_gomodrc_notice_is_printed_once_per_command_tree() {
    let sb = Sandbox::new();
    let shim_dir = sb.link.parent().unwrap();
    let go_dir = realgo::go().parent().unwrap();
    let wrapper = sb.root.join("wrapper/go");
    std::fs::create_dir_all(wrapper.parent().unwrap()).unwrap();
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexport CGO_ENABLED=0\nPATH='{}:{}:/usr/bin:/bin' exec go \"$@\"\n",
            shim_dir.display(),
            go_dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut env = sb.env.clone();
    for (k, v) in &mut env {
        if k == "PATH" {
            *v = format!(
                "{}:{}:/usr/bin:/bin",
                shim_dir.display(),
                wrapper.parent().unwrap().display()
            );
        }
    }
    std::fs::write(
        sb.proj.join(".gomodrc"),
        "[modules]\nprivate = [\"git.corp.example\"]\n",
    )
    .unwrap();
    let mut cmd = shim::command(&sb.link, &env);
    cmd.arg("version").current_dir(&sb.proj);
    let out = bounded::run(&mut cmd, LIMIT);
    let stderr = out.stderr_text();
    assert_eq!(out.status.and_then(|s| s.code()), Some(0), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("go version go1.27.3"),
        "{stderr}"
    );
    let notices = stderr.lines().filter(|l| l.contains("untrusted")).count();
    assert_eq!(notices, 1, "{stderr}");
}
