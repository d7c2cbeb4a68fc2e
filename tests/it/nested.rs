//! goshim reached again in one command tree — here a wrapper script after goshim on PATH that
//! sets something up and runs `go` from PATH again — says what it has to say once (issue 13,
//! item 6). (`go run`, `go test` and `go generate` put `$GOROOT/bin` first on PATH, so the go
//! they start never reaches goshim.)

use crate::support::world::World;

#[test]
fn an_untrusted_gomodrc_notice_is_printed_once_per_command_tree() {
    let w = World::new()
        .real_go()
        .go_again_wrapper()
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
