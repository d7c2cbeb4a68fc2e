//! Every environment variable goshim reads or writes, in one place: its own `GOSHIM_*` switches,
//! and the foreign ones it reads as go and its HTTP stack would (read through
//! [`crate::process::Process`], never `std::env`).

/// Path of the real go; skips the PATH search.
pub const GOSHIM_GO: &str = "GOSHIM_GO";
/// `1`: pure passthrough, nothing is read or decided.
pub const GOSHIM_DISABLE: &str = "GOSHIM_DISABLE";
/// `1`: no stderr notices at all (overrides `[shim] quiet`).
pub const GOSHIM_QUIET: &str = "GOSHIM_QUIET";
/// `debug`: a decision trace on stderr (`off` or unset: none).
pub const GOSHIM_LOG: &str = "GOSHIM_LOG";
/// `1`: do not probe; use the offline fallback (`[proxy] offline`).
pub const GOSHIM_OFFLINE: &str = "GOSHIM_OFFLINE";
/// `0`: no module router for this command: go gets the decided GOPROXY (overrides
/// `[router] enabled`; `1` turns it on).
pub const GOSHIM_ROUTER: &str = "GOSHIM_ROUTER";
/// `1`: every `.gomodrc` is trusted, as if `goshim trust` had been run on it (CI images).
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

/// True for a non-empty value other than `0`, `false`, `no` or `off` (any case).
pub fn is_true_value(value: &std::ffi::OsStr) -> bool {
    let v = value.to_string_lossy().to_ascii_lowercase();
    !v.is_empty() && !matches!(v.as_str(), "0" | "false" | "no" | "off")
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
