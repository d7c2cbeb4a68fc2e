//! Every `GOSHIM_*` variable goshim reads or writes, in one place.

/// Path of the real go; skips the PATH search.
pub const GOSHIM_GO: &str = "GOSHIM_GO";
/// `1`: pure passthrough, nothing is read or decided.
pub const GOSHIM_DISABLE: &str = "GOSHIM_DISABLE";
/// How many goshim hops led to this process; exported incremented to the real go.
pub const GOSHIM_DEPTH: &str = "GOSHIM_DEPTH";

/// Past this many nested goshim hops the shim refuses to go on: something execs it in a loop.
pub const MAX_DEPTH: u32 = 8;

/// A variable's value, with an empty value treated as unset (as cmd/go and rustup do).
pub fn non_empty(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// True when a boolean switch variable is set to a true-looking value.
pub fn is_true(name: &str) -> bool {
    non_empty(name).is_some_and(|v| {
        let v = v.to_string_lossy().to_ascii_lowercase();
        !matches!(v.as_str(), "0" | "false" | "no" | "off")
    })
}

/// Set by goshim for its own `goshim probe --background` child: the candidates and settings to
/// refresh, as JSON (in the environment, not argv, so proxy credentials never show in `ps`).
pub const GOSHIM_PROBE_REQUEST: &str = "GOSHIM_PROBE_REQUEST";
