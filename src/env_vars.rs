//! Every `GOSHIM_*` variable goshim reads or writes, in one place.

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
/// `1`: every `.gomodrc` is trusted, as if `goshim trust` had been run on it (CI images).
pub const GOSHIM_TRUST_ALL: &str = "GOSHIM_TRUST_ALL";
/// The system configuration file, instead of `/etc/goshim/config.toml`.
pub const GOSHIM_SYSTEM_CONFIG: &str = "GOSHIM_SYSTEM_CONFIG";
/// How many goshim hops led to this process; exported incremented to the real go.
pub const GOSHIM_DEPTH: &str = "GOSHIM_DEPTH";
/// The go variables goshim set for this process, comma-separated: their values are goshim's,
/// not the user's, so a nested goshim may recompute them.
pub const GOSHIM_MANAGED: &str = "GOSHIM_MANAGED";

/// Past this many nested goshim hops the shim refuses to go on: something execs it in a loop.
pub const MAX_DEPTH: u32 = 8;

/// A variable's value, with an empty value treated as unset (as cmd/go and rustup do).
pub fn non_empty(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// True when a boolean switch variable is set to a true-looking value.
pub fn is_true(name: &str) -> bool {
    non_empty(name).is_some_and(|v| is_true_value(&v))
}

/// True for a non-empty value other than `0`, `false`, `no` or `off` (any case).
pub fn is_true_value(value: &std::ffi::OsStr) -> bool {
    let v = value.to_string_lossy().to_ascii_lowercase();
    !v.is_empty() && !matches!(v.as_str(), "0" | "false" | "no" | "off")
}

/// Set by goshim for its own `goshim probe --background` child: the candidates and settings to
/// refresh, as JSON (in the environment, not argv, so proxy credentials never show in `ps`).
pub const GOSHIM_PROBE_REQUEST: &str = "GOSHIM_PROBE_REQUEST";

/// The process environment as go reads it (variables that are not UTF-8 are left out: go's
/// settings never are, and `std::env::vars` would panic on them).
pub fn process_env() -> std::collections::HashMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}
