//! Unit tests of `plan`.

use super::*;

#[test]
fn goauth_netrc() {
    assert!(goauth_uses_netrc(""));
    assert!(goauth_uses_netrc("netrc"));
    assert!(goauth_uses_netrc("git /x; netrc"));
    assert!(!goauth_uses_netrc("off"));
    assert!(!goauth_uses_netrc("git /x"));
}

#[test]
fn probe_settings_follow_the_configuration() {
    let mut h = crate::config::Config::default().health;
    h.timeout.value = Duration::from_millis(400);
    let s = probe_settings(
        &h,
        &GoEnv::from_sources(goenv::env::EnvSources::default()),
        "example.com/m@v1.2.3",
    );
    assert_eq!(
        (s.probe_module.as_str(), s.probe_version.as_str()),
        ("example.com/m", "v1.2.3")
    );
    assert_eq!(s.connect_timeout, Duration::from_millis(400));
    assert_eq!(Settings::default().probe_module, "golang.org/x/text");
}

#[test]
fn managed_names_are_split_once_without_empties() {
    let p = Process::with([(GOSHIM_MANAGED, "GOPROXY,,GOSUMDB")], "/", None);
    assert_eq!(managed(&p), ["GOPROXY", "GOSUMDB"]);
    assert!(managed(&Process::with([("X", "1")], "/", None)).is_empty());
}
