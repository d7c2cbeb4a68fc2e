//! `goshim cache clear`.

use super::healthy_world;

#[test]
fn cache_clear_forgets_the_verdicts() {
    let (w, _p) = healthy_world();
    let w = w.unreachable_internet();
    let cache = w.root().join("home/.cache/goshim");
    w.goshim(&["env"]).assert_code(0);
    assert!(
        cache.is_dir(),
        "the verdicts were cached in {}",
        cache.display()
    );
    // The checksum databases hang behind the unreachable internet: `env` leaves them unknown and
    // starts a background refresh for them. Once it has ended, nothing writes to the cache.
    w.settled_refreshes(1);
    let r = w.goshim(&["cache", "clear"]);
    r.assert_code(0);
    assert!(!cache.exists());
    assert!(r.stderr().contains("removed"), "{}", r.show());
    w.goshim(&["cache", "clear"]).assert_code(0);
    let r = w.goshim(&["explain", "GOPROXY"]);
    assert!(
        r.stdout().contains("not seen yet on this network"),
        "{}",
        r.show()
    );
}
