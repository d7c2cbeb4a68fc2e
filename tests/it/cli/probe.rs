//! `goshim probe`: the table and the JSON, one candidate of each kind (healthy, server error,
//! serving nothing, hanging, refused) and a checksum database that is not one.

use std::time::Duration;

use crate::support::proxy::{Fault, Proxy, SumdbSupport, refused_url};
use crate::support::snap::assert_snapshot;
use crate::support::world::World;

use super::probe_module;

/// `--candidate` flags for `urls` (in rank order), `sumdb` as sum.golang.org, the fixtures'
/// probe module and a short timeout (the hanging candidate ends the round after it).
fn args<'a>(urls: &'a [String], sumdb: &'a str) -> Vec<&'a str> {
    let mut args = vec!["probe", "--module", "example.com/probe@v1.0.0"];
    for u in urls {
        args.extend(["--candidate", u.as_str()]);
    }
    args.extend([
        "--sumdb",
        sumdb,
        "--timeout-ms",
        "300",
        "--deadline-ms",
        "5000",
    ]);
    args
}

#[test]
fn probe_table_and_json() {
    let healthy = Proxy::serving([probe_module()]);
    healthy.set_sumdb(SumdbSupport::Supported);
    let broken = Proxy::serving([probe_module()]);
    broken.set_fault(Fault::Status(503));
    let empty = Proxy::start();
    let hang = Proxy::serving([probe_module()]);
    hang.set_fault(Fault::Hang);
    let w = World::new()
        .limit(Duration::from_secs(20))
        .proxy(&healthy)
        .proxy(&broken)
        .proxy(&empty)
        .proxy(&hang);
    let urls = [
        healthy.url(),
        broken.url(),
        empty.url(),
        hang.url(),
        refused_url(),
    ];
    let sumdb = format!("sum.golang.org={}", empty.url());

    let r = w.goshim(&args(&urls, &sumdb));
    r.assert_code(0);
    assert_snapshot!(w, "table", r.stdout());

    let mut json = args(&urls, &sumdb);
    json.push("--json");
    let r = w.goshim(&json);
    r.assert_code(0);
    assert_eq!(r.json()["proxies"][0][1]["status"], "healthy");
    assert_snapshot!(w, "json", r.stdout());
}

#[test]
fn probe_without_a_healthy_candidate_exits_1() {
    let empty = Proxy::start();
    let w = World::new().proxy(&empty);
    let urls = [empty.url(), refused_url()];
    let sumdb = format!("sum.golang.org={}", empty.url());
    let r = w.goshim(&args(&urls, &sumdb));
    r.assert_code(1);
    assert!(
        r.stdout()
            .ends_with("no healthy candidate: go commands would fail or hang with these proxies\n"),
        "{}",
        r.show()
    );
    assert_snapshot!(w, "no_healthy_candidate", r.stdout());
}
