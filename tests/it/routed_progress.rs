//! Progress lines for long downloads (issue 12, Must show 4), with the real go through the
//! shim: a 50 MB zip throttled to a few seconds shows `goshim: downloading …` lines while
//! stderr is a terminal (a pty, from util-linux `script`), and none when it is a pipe.

use std::path::Path;
use std::time::Duration;

use crate::support::modules::Module;
use crate::support::proxy::{Fault, Proxy};
use crate::support::world::{PROBE, World, fast_config};

const SIZE: usize = 50 << 20;
/// 50 MB in about five seconds.
const RATE: u64 = 10 << 20;

fn big() -> Module {
    Module::new("example.com/big", "v1.0.0").file("data.bin", vec![b'x'; SIZE])
}

fn probe() -> Module {
    let (path, version) = PROBE.split_once('@').unwrap();
    Module::new(path, version).file("probe.go", "package probe\n")
}

fn world(p: &Proxy, modcache: &str) -> World {
    let w = World::new()
        .real_go()
        .limit(Duration::from_secs(90))
        .user_config(&fast_config(&[&p.url()], "", ""))
        .env("GONOSUMDB", "example.com");
    let dir = w.root().join(modcache).display().to_string();
    w.env("GOMODCACHE", &dir)
}

const DOWNLOAD: &str = "go mod download -json example.com/big@v1.0.0";

#[test]
fn a_slow_zip_shows_progress_on_a_terminal_and_not_on_a_pipe() {
    let p = Proxy::serving([big(), probe()]);
    p.set_fault(Fault::Throttle(RATE).on_zips());
    let host = p.url().trim_start_matches("http://").to_string();
    let total = format!("{:.1} MB", big().zip_bytes().len() as f64 / 1e6);

    // A terminal: `script` runs the command on a pty (stdin, stdout and stderr).
    let w = world(&p, "modcache-tty");
    let mut cmd = w.command(Path::new("/usr/bin/script"));
    cmd.args(["-qfec", DOWNLOAD, "/dev/null"]);
    let r = w.run(&mut cmd);
    r.assert_success();
    let out = r.stdout();
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("goshim: downloading example.com/big@v1.0.0 .zip: "))
        .collect();
    assert!(!lines.is_empty(), "{}", r.show());
    for l in &lines {
        assert!(
            l.contains(&format!(" of {total} ("))
                && l.contains(" MB/s from ")
                && l.ends_with(&host),
            "{l}"
        );
    }
    assert!(
        out.lines().any(|l| l.starts_with(&format!(
            "goshim: downloaded example.com/big@v1.0.0 .zip: {total} in "
        ))),
        "{}",
        r.show()
    );

    // A pipe: nothing.
    let w = world(&p, "modcache-pipe");
    let r = w.go(&["mod", "download", "-json", "example.com/big@v1.0.0"]);
    r.assert_success();
    assert!(!r.stderr().contains("goshim: download"), "{}", r.show());
}
