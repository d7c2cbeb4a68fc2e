//! Every environment variable goshim reads or writes, in one place: its own `GOSHIM_*` switches,
//! and the foreign ones it reads as go and its HTTP stack would (read through
//! [`crate::process::Process`], never `std::env`).

/// Path of the real go; skips the PATH search.
pub const GOSHIM_GO: &str = "GOSHIM_GO";
/// `1`: pure passthrough, nothing is read or decided.
pub const GOSHIM_DISABLE: &str = "GOSHIM_DISABLE";
/// `1`: no stderr notices but those about ignored `.gomodrc` settings (overrides `[shim]
/// quiet`).
pub const GOSHIM_QUIET: &str = "GOSHIM_QUIET";
/// `debug`: a decision trace on stderr (`off` or unset: none).
pub const GOSHIM_LOG: &str = "GOSHIM_LOG";
/// `1`: do not probe; use the offline fallback (`[proxy] offline`).
pub const GOSHIM_OFFLINE: &str = "GOSHIM_OFFLINE";
/// `0`: no module router for this command: go gets the decided GOPROXY (overrides
/// `[router] enabled`; `1` turns it on).
pub const GOSHIM_ROUTER: &str = "GOSHIM_ROUTER";
/// `1` or `true` (exactly; see [`strict_switch`]): every `.gomodrc` is trusted, as if
/// `goshim trust` had been run on it (CI images).
pub const GOSHIM_TRUST_ALL: &str = "GOSHIM_TRUST_ALL";
/// The system configuration file, instead of `/etc/goshim/config.toml`.
pub const GOSHIM_SYSTEM_CONFIG: &str = "GOSHIM_SYSTEM_CONFIG";
/// How many goshim hops led to this process; exported incremented to the real go.
pub const GOSHIM_DEPTH: &str = "GOSHIM_DEPTH";
/// The go variables goshim set for this process, comma-separated: their values are goshim's,
/// not the user's, so a nested goshim may recompute them.
pub const GOSHIM_MANAGED: &str = "GOSHIM_MANAGED";

/// A digest of the notices goshim printed before running go: a nested goshim (a go started by
/// `go generate`, a test, a toolchain switch) does not print the same notices again.
pub const GOSHIM_NOTICES: &str = "GOSHIM_NOTICES";

/// Set by goshim for go: the live module router (`<url> <table fingerprint>`) a nested goshim
/// may reuse.
pub const GOSHIM_ROUTER_URL: &str = "GOSHIM_ROUTER_URL";

/// Past this many nested goshim hops the shim refuses to go on: something execs it in a loop.
pub const MAX_DEPTH: u32 = 8;

/// True for a non-empty value other than `0`, `false`, `no` or `off` (any case): how the
/// switches whose misreading is harmless read (`GOSHIM_DISABLE`, `GOSHIM_QUIET`,
/// `GOSHIM_OFFLINE`: each only runs go as without goshim, prints less, or skips probing; none
/// widens what a `.gomodrc` may do or what go's children may see).
pub fn is_true_value(value: &std::ffi::OsStr) -> bool {
    let v = value.to_string_lossy().to_ascii_lowercase();
    !v.is_empty() && !matches!(v.as_str(), "0" | "false" | "no" | "off")
}

/// How a security switch reads (`GOSHIM_TRUST_ALL`, `GOSHIM_ROUTER`): exactly `1` or `true`
/// (any case) is on, `0`, `false` (any case) or empty is off, anything else — ` 1`, `yes`,
/// `n`, `none` — is `None`: the caller warns and keeps the safe setting. A typo must never
/// turn trust on.
pub fn strict_switch(value: &std::ffi::OsStr) -> Option<bool> {
    let v = value.to_str()?;
    if v == "1" || v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The warning for a security switch `var` set to `value`, which [`strict_switch`] does not
/// read, and what goshim does instead.
pub fn unread_switch(var: &str, value: &std::ffi::OsStr, instead: &str) -> String {
    format!(
        "{var}={:?} is not 1, true, 0 or false; {instead}",
        value.to_string_lossy()
    )
}

/// Set by goshim for its own `goshim probe --background` child: the candidates and settings to
/// refresh, as JSON (in the environment, not argv, so proxy credentials never show in `ps`).
pub const GOSHIM_PROBE_REQUEST: &str = "GOSHIM_PROBE_REQUEST";

// Foreign variables goshim reads.

/// The search path for the real go.
pub const PATH: &str = "PATH";
/// The user's shell, for the line `goshim install` prints.
pub const SHELL: &str = "SHELL";
/// go's `.netrc` location override (`GOAUTH=netrc`).
pub const NETRC: &str = "NETRC";
/// crypto/x509's root certificate file override.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
/// crypto/x509's root certificate directories override (a path list).
pub const SSL_CERT_DIR: &str = "SSL_CERT_DIR";
/// net/http's proxy variables, upper case first (`http.ProxyFromEnvironment`).
pub const HTTP_PROXY: [&str; 2] = ["HTTP_PROXY", "http_proxy"];
/// See [`HTTP_PROXY`].
pub const HTTPS_PROXY: [&str; 2] = ["HTTPS_PROXY", "https_proxy"];
/// See [`HTTP_PROXY`].
pub const NO_PROXY: [&str; 2] = ["NO_PROXY", "no_proxy"];
/// Set under CGI: net/http then ignores `HTTP_PROXY`.
pub const REQUEST_METHOD: &str = "REQUEST_METHOD";

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn security_switches_read_exactly_1_true_0_false_or_empty() {
        for on in ["1", "true", "TRUE", "tRuE"] {
            assert_eq!(strict_switch(OsStr::new(on)), Some(true), "{on:?}");
        }
        for off in ["", "0", "false", "False"] {
            assert_eq!(strict_switch(OsStr::new(off)), Some(false), "{off:?}");
        }
        for unread in [
            "n", "f", "none", "disabled", " 0", "false ", "yes", "on", "01", "t",
        ] {
            assert_eq!(strict_switch(OsStr::new(unread)), None, "{unread:?}");
        }
        assert_eq!(
            unread_switch("GOSHIM_TRUST_ALL", OsStr::new("yes"), "nothing is trusted"),
            "GOSHIM_TRUST_ALL=\"yes\" is not 1, true, 0 or false; nothing is trusted"
        );
    }
}
