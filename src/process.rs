//! Everything goshim reads from its own process — the environment, the working directory, the
//! path of the running binary, the temp directory — gathered once in `main.rs` and passed down.
//!
//! No other module reads `std::env` (`clippy.toml` forbids it), so every decision is a function
//! of a [`Process`] that a test can build by hand.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The process inputs. Cheap to clone (the environment is shared).
#[derive(Debug, Clone)]
pub struct Process {
    env: Arc<BTreeMap<OsString, OsString>>,
    cwd: Result<PathBuf, Arc<std::io::Error>>,
    current_exe: Option<PathBuf>,
    temp_dir: PathBuf,
}

impl Process {
    /// The running process as it is now. Called once, by `main`.
    #[allow(clippy::disallowed_methods)] // the one place that reads the real process
    pub fn current() -> Process {
        Process {
            env: Arc::new(std::env::vars_os().collect()),
            cwd: std::env::current_dir().map_err(Arc::new),
            current_exe: std::env::current_exe().ok(),
            temp_dir: std::env::temp_dir(),
        }
    }

    /// A process with exactly these variables, working directory and binary (tests, and the
    /// subcommands that look at a directory other than their own).
    pub fn with(
        env: impl IntoIterator<Item = (impl Into<OsString>, impl Into<OsString>)>,
        cwd: impl Into<PathBuf>,
        current_exe: Option<PathBuf>,
    ) -> Process {
        Process {
            env: Arc::new(env.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
            cwd: Ok(cwd.into()),
            current_exe,
            temp_dir: PathBuf::from("/tmp"),
        }
    }

    /// A variable's raw value.
    pub fn var_os(&self, name: &str) -> Option<&OsStr> {
        self.env.get(OsStr::new(name)).map(OsString::as_os_str)
    }

    /// A variable's value when it is UTF-8.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.var_os(name).and_then(OsStr::to_str)
    }

    /// A variable's value, with an empty value treated as unset (as cmd/go and rustup do).
    pub fn non_empty(&self, name: &str) -> Option<&OsStr> {
        self.var_os(name).filter(|v| !v.is_empty())
    }

    /// A UTF-8 variable's value, empty treated as unset.
    pub fn non_empty_str(&self, name: &str) -> Option<&str> {
        self.var(name).filter(|v| !v.is_empty())
    }

    /// True when a switch variable is set to a true-looking value (see
    /// [`crate::env_vars::is_true_value`]).
    pub fn is_true(&self, name: &str) -> bool {
        self.non_empty(name)
            .is_some_and(crate::env_vars::is_true_value)
    }

    /// Every variable, raw.
    pub fn vars_os(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.env.iter().map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    /// The environment as go's settings are read from it: every variable whose name and value
    /// are UTF-8. A value that is not UTF-8 is left out rather than altered (go's own settings
    /// never are, and a lossy copy would be a value nobody set).
    pub fn go_view(&self) -> HashMap<String, String> {
        self.env
            .iter()
            .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v.to_str()?.to_string())))
            .collect()
    }

    /// The working directory.
    pub fn cwd(&self) -> Result<&Path, CwdError> {
        self.cwd
            .as_deref()
            .map_err(|e| CwdError(std::io::Error::new(e.kind(), e.to_string())))
    }

    /// The running goshim binary, when the OS says.
    pub fn current_exe(&self) -> Option<&Path> {
        self.current_exe.as_deref()
    }

    /// The temp directory (`os.TempDir`: `TMPDIR`, else `/tmp`).
    pub fn temp_dir(&self) -> &Path {
        &self.temp_dir
    }
}

/// The working directory cannot be read (deleted, or no permission).
#[derive(Debug, thiserror::Error)]
#[error("cannot read the working directory: {0}")]
pub struct CwdError(pub std::io::Error);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_unset_and_switches_read_like_go_s() {
        let p = Process::with(
            [("A", ""), ("B", "x"), ("T", "1"), ("F", "false")],
            "/",
            None,
        );
        assert_eq!(p.non_empty("A"), None);
        assert_eq!(p.var("A"), Some(""));
        assert_eq!(p.non_empty_str("B"), Some("x"));
        assert!(p.is_true("T"));
        assert!(!p.is_true("F"));
        assert!(!p.is_true("missing"));
    }

    #[cfg(unix)]
    #[test]
    fn go_view_leaves_out_values_that_are_not_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![b'a', 0xff]);
        let p = Process::with(
            [
                (OsString::from("GOOD"), OsString::from("v")),
                (OsString::from("BAD"), bad),
            ],
            "/",
            None,
        );
        let view = p.go_view();
        assert_eq!(view.get("GOOD").map(String::as_str), Some("v"));
        assert!(!view.contains_key("BAD"));
        assert!(p.var_os("BAD").is_some());
    }
}
