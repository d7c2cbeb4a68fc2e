//! goshim reached again in one command tree — here a wrapper script after goshim on PATH that
//! sets something up and runs `go` from PATH again — says what it has to say once (issue 13,
//! item 6). (`go run`, `go test` and `go generate` put `$GOROOT/bin` first on PATH, so the go
//! they start never reaches goshim.)

use std::os::unix::fs::PermissionsExt;

use crate::support::realgo;
use crate::support::world::{World, write};

#[test]
fn an_untrusted_gomodrc_notice_is_printed_once_per_command_tree() {
    let w = World::new().real_go();
    let go_dir = realgo::go().parent().unwrap();
    let wrapper = w.root().join("wrapper/go");
    write(
        &wrapper,
        &format!(
            "#!/bin/sh\nexport CGO_ENABLED=0\nPATH='{}:{}:/usr/bin:/bin' exec go \"$@\"\n",
            w.shim_dir().display(),
            go_dir.display()
        ),
    );
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}:/usr/bin:/bin",
        w.shim_dir().display(),
        wrapper.parent().unwrap().display()
    );
    let w = w
        .env("PATH", &path)
        .gomodrc("[modules]\nprivate = [\"git.corp.example\"]\n");
    let out = w.go(&["version"]);
    out.assert_success();
    assert!(
        out.stdout().starts_with("go version go1.27.3"),
        "{}",
        out.show()
    );
    let notices = out
        .stderr()
        .lines()
        .filter(|l| l.contains("untrusted"))
        .count();
    assert_eq!(notices, 1, "{}", out.show());
}
