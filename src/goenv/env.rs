//! The effective go environment, resolved as `internal/cfg/cfg.go` does, without running
//! `go env`: non-empty process variable, then the user env file, then `$GOROOT/go.env`, then
//! go's built-in default. Every value carries its origin.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoOrigin {
    /// A non-empty process environment variable.
    Process,
    /// The user env file (`go env -w`), at this path.
    EnvFile(PathBuf),
    /// `$GOROOT/go.env` of the real go, at this path.
    GoRootEnv(PathBuf),
    /// go's built-in default (`$HOME/go` for GOPATH, `netrc` for GOAUTH, "" for the rest).
    Default,
    /// Computed from another value (GONOPROXY/GONOSUMDB from GOPRIVATE, GOMODCACHE from GOPATH,
    /// GOROOT from the executable's location, GOENV from the user config dir).
    Derived,
}

/// One effective value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvValue {
    pub value: String,
    pub origin: GoOrigin,
}

/// The variables [`GoEnv`] resolves as go's `cfg` package does.
pub const RESOLVED_KEYS: &[&str] = &[
    "GO111MODULE",
    "GOAUTH",
    "GOENV",
    "GOFLAGS",
    "GOINSECURE",
    "GOMODCACHE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOPATH",
    "GOPRIVATE",
    "GOPROXY",
    "GOROOT",
    "GOSUMDB",
    "GOTOOLCHAIN",
    "GOVCS",
    "GOWORK",
];

/// The inputs of the resolution; everything else is a pure function of these.
#[derive(Debug, Clone, Default)]
pub struct EnvSources {
    /// The process environment.
    pub process: HashMap<String, String>,
    /// The user env file's path and content, when it was found and readable.
    pub user_file: Option<(PathBuf, String)>,
    /// The GOROOT go would use to find go.env, and the content of its `go.env` when readable.
    pub goroot: Option<PathBuf>,
    pub goroot_env: Option<String>,
}

/// The effective go environment.
#[derive(Debug, Clone)]
pub struct GoEnv {
    values: BTreeMap<&'static str, EnvValue>,
    user: HashMap<String, String>,
    user_path: Option<PathBuf>,
    goroot_vars: HashMap<String, String>,
    goroot_path: Option<PathBuf>,
    process: HashMap<String, String>,
}

impl GoEnv {
    /// Resolves the environment go would see: reads the user env file and `$GOROOT/go.env`
    /// (at most two small files). `real_go` is the path of the real go binary, used to derive
    /// GOROOT as go does; `cwd` resolves a relative GOENV and must be the directory go starts
    /// in, before `-C` (go reads its env files at package init, before it changes directory).
    pub fn load(process: HashMap<String, String>, real_go: Option<&Path>, cwd: &Path) -> GoEnv {
        GoEnv::load_from(process, cwd, |file_goroot, process| {
            find_goroot(file_goroot, process, real_go)
        })
    }

    /// [`GoEnv::load`] for a go whose GOROOT cannot be derived from its path (a version
    /// manager's wrapper script) and was learned by asking it: `goroot` stands where go would
    /// derive its own, below an explicit GOROOT of the environment or the user env file.
    pub fn load_with_goroot(process: HashMap<String, String>, goroot: &Path, cwd: &Path) -> GoEnv {
        GoEnv::load_from(process, cwd, |file_goroot, process| {
            find_goroot(file_goroot, process, None).or_else(|| Some(clean(goroot)))
        })
    }

    fn load_from(
        process: HashMap<String, String>,
        cwd: &Path,
        goroot: impl FnOnce(Option<&str>, &HashMap<String, String>) -> Option<PathBuf>,
    ) -> GoEnv {
        let user_file = user_env_file(&process).and_then(|p| {
            let path = if p.is_absolute() { p } else { cwd.join(p) };
            let text = std::fs::read(&path).ok()?;
            Some((path, String::from_utf8_lossy(&text).into_owned()))
        });
        let file_goroot = user_file
            .as_ref()
            .and_then(|(_, text)| parse_env_file(text).remove("GOROOT"));
        let goroot = goroot(file_goroot.as_deref(), &process);
        let goroot_env = goroot.as_ref().and_then(|g| {
            let text = std::fs::read(g.join("go.env")).ok()?;
            Some(String::from_utf8_lossy(&text).into_owned())
        });
        GoEnv::from_sources(EnvSources {
            process,
            user_file,
            goroot,
            goroot_env,
        })
    }

    /// The pure part of [`GoEnv::load`].
    pub fn from_sources(src: EnvSources) -> GoEnv {
        let (user_path, user) = match src.user_file {
            Some((p, text)) => (Some(p), parse_env_file(&text)),
            None => (None, HashMap::new()),
        };
        let goroot_path = src.goroot.as_ref().map(|g| g.join("go.env"));
        let mut goroot_vars = src
            .goroot_env
            .as_deref()
            .map(parse_env_file)
            .unwrap_or_default();
        goroot_vars.remove("GOROOT");
        let mut env = GoEnv {
            values: BTreeMap::new(),
            user,
            user_path,
            goroot_vars,
            goroot_path,
            process: src.process,
        };
        for key in [
            "GO111MODULE",
            "GOFLAGS",
            "GOINSECURE",
            "GOPRIVATE",
            "GOPROXY",
            "GOSUMDB",
            "GOTOOLCHAIN",
            "GOVCS",
            "GOWORK",
        ] {
            let v = env.getenv(key);
            env.values.insert(key, v);
        }
        let auth = env.or_default("GOAUTH", "netrc", GoOrigin::Default);
        env.values.insert("GOAUTH", auth);
        let private = env.values["GOPRIVATE"].value.clone();
        for key in ["GONOPROXY", "GONOSUMDB"] {
            let v = env.or_default(key, &private, GoOrigin::Derived);
            env.values.insert(key, v);
        }
        let home = env.process.get(home_var()).filter(|h| !h.is_empty());
        let default_gopath = home
            .map(|h| clean(&Path::new(h).join("go")).display().to_string())
            .unwrap_or_default();
        let gopath = env.or_default("GOPATH", &default_gopath, GoOrigin::Default);
        let first = std::env::split_paths(&gopath.value).next();
        let default_modcache = match first {
            Some(p) if !p.as_os_str().is_empty() => clean(&p.join("pkg/mod")).display().to_string(),
            _ => String::new(),
        };
        let modcache = env.or_default("GOMODCACHE", &default_modcache, GoOrigin::Derived);
        env.values.insert("GOMODCACHE", modcache);
        // main.go: a GOPATH inferred from a relative $HOME is dropped rather than fatal.
        let relative = std::env::split_paths(&gopath.value)
            .any(|p| !p.as_os_str().is_empty() && !p.is_absolute());
        let gopath = if relative && gopath.origin == GoOrigin::Default {
            EnvValue {
                value: String::new(),
                origin: GoOrigin::Default,
            }
        } else {
            gopath
        };
        env.values.insert("GOPATH", gopath);
        let goenv = match env.process.get("GOENV").filter(|v| !v.is_empty()) {
            Some(v) if v == "off" => EnvValue {
                value: String::new(),
                origin: GoOrigin::Process,
            },
            Some(v) => EnvValue {
                value: v.clone(),
                origin: GoOrigin::Process,
            },
            None => EnvValue {
                value: user_env_file(&env.process)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                origin: GoOrigin::Derived,
            },
        };
        env.values.insert("GOENV", goenv);
        let goroot = if let Some(v) = env.process.get("GOROOT").filter(|v| !v.is_empty()) {
            EnvValue {
                value: v.clone(),
                origin: GoOrigin::Process,
            }
        } else {
            // findGOROOT: the user file's GOROOT (cleaned) wins over the executable's.
            let from_file = env.user.get("GOROOT").is_some_and(|v| !v.is_empty());
            EnvValue {
                value: src
                    .goroot
                    .map(|g| g.display().to_string())
                    .unwrap_or_default(),
                origin: match (&env.user_path, from_file) {
                    (Some(p), true) => GoOrigin::EnvFile(p.clone()),
                    _ => GoOrigin::Derived,
                },
            }
        };
        env.values.insert("GOROOT", goroot);
        env
    }

    /// `cfg.Getenv` for any key: non-empty process value, else the user file (even empty),
    /// else go.env, else "" with [`GoOrigin::Default`].
    pub fn getenv(&self, key: &str) -> EnvValue {
        if let Some(v) = self.process.get(key).filter(|v| !v.is_empty()) {
            return EnvValue {
                value: v.clone(),
                origin: GoOrigin::Process,
            };
        }
        if let (Some(v), Some(p)) = (self.user.get(key), &self.user_path) {
            return EnvValue {
                value: v.clone(),
                origin: GoOrigin::EnvFile(p.clone()),
            };
        }
        if let (Some(v), Some(p)) = (self.goroot_vars.get(key), &self.goroot_path) {
            return EnvValue {
                value: v.clone(),
                origin: GoOrigin::GoRootEnv(p.clone()),
            };
        }
        EnvValue {
            value: String::new(),
            origin: GoOrigin::Default,
        }
    }

    /// `cfg.EnvOrAndChanged`: the Getenv value when non-empty, else `def`.
    fn or_default(&self, key: &str, def: &str, origin: GoOrigin) -> EnvValue {
        let v = self.getenv(key);
        if v.value.is_empty() {
            EnvValue {
                value: def.to_string(),
                origin,
            }
        } else {
            v
        }
    }

    /// The effective value of one of [`RESOLVED_KEYS`] (or "" for any other key).
    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map_or("", |v| v.value.as_str())
    }

    /// The effective value of one of [`RESOLVED_KEYS`] with its origin.
    pub fn value(&self, key: &str) -> Option<&EnvValue> {
        self.values.get(key)
    }

    /// Every resolved value, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &EnvValue)> {
        self.values.iter().map(|(k, v)| (*k, v))
    }

    /// The checks `main.go` makes before running any command but `help`: GOROOT must be a
    /// directory, GOPATH entries must be absolute and not start with `~`. Returns go's message.
    pub fn startup_error(&self) -> Option<String> {
        let goroot = self.get("GOROOT");
        if goroot.is_empty() {
            return Some(
                "go: cannot find GOROOT directory: 'go' binary is trimmed and GOROOT is not set"
                    .into(),
            );
        }
        if !Path::new(goroot).is_dir() {
            return Some(format!("go: cannot find GOROOT directory: {goroot}"));
        }
        let gopath = self.get("GOPATH");
        if clean(Path::new(gopath)) == clean(Path::new(goroot)) {
            return None;
        }
        for p in std::env::split_paths(gopath) {
            let text = p.display().to_string();
            if text.is_empty() {
                continue;
            }
            if text.starts_with('~') {
                return Some(format!(
                    "go: GOPATH entry cannot start with shell metacharacter '~': {text:?}"
                ));
            }
            if !p.is_absolute() {
                return Some(format!(
                    "go: GOPATH entry is relative; must be absolute path: {text:?}.\nFor more details see: 'go help gopath'"
                ));
            }
        }
        None
    }

    /// The user env file go reads, if it exists and was readable.
    pub fn user_file(&self) -> Option<&Path> {
        self.user_path.as_deref()
    }
}

fn home_var() -> &'static str {
    if cfg!(windows) { "USERPROFILE" } else { "HOME" }
}

/// `cfg.EnvFile`: the user env file's path from the process environment, `None` for
/// `GOENV=off` or when `os.UserConfigDir` fails (e.g. a relative XDG_CONFIG_HOME).
pub fn user_env_file(process: &HashMap<String, String>) -> Option<PathBuf> {
    let get = |k: &str| process.get(k).filter(|v| !v.is_empty());
    if let Some(file) = get("GOENV") {
        return (file != "off").then(|| PathBuf::from(file));
    }
    user_config_dir(&get).map(|dir| clean(&dir.join("go/env")))
}

/// `os.UserConfigDir` for the OS goshim runs on.
fn user_config_dir<'a>(get: &dyn Fn(&str) -> Option<&'a String>) -> Option<PathBuf> {
    if cfg!(windows) {
        get("AppData").map(PathBuf::from)
    } else if cfg!(target_vendor = "apple") {
        get("HOME").map(|h| PathBuf::from(format!("{h}/Library/Application Support")))
    } else {
        match get("XDG_CONFIG_HOME") {
            Some(x) if Path::new(x).is_absolute() => Some(PathBuf::from(x)),
            Some(_) => None,
            None => get("HOME").map(|h| PathBuf::from(format!("{h}/.config"))),
        }
    }
}

/// `cfg.readEnvFile`'s format: lines split on `\n`, used only when they contain `=` and start
/// with `A`–`Z`; split at the first `=`; no trimming or quote processing; the last duplicate
/// wins.
pub fn parse_env_file(text: &str) -> HashMap<String, String> {
    text.split('\n')
        .filter(|line| line.as_bytes().first().is_some_and(u8::is_ascii_uppercase))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `cfg.findGOROOT`: the user file's GOROOT, else the process GOROOT (cleaned), else the
/// directory above the real go's `bin/` (or `bin/GOOS_GOARCH/`) that has `pkg/tool`, first as
/// given and then with symlinks resolved.
pub fn find_goroot(
    file_goroot: Option<&str>,
    process: &HashMap<String, String>,
    real_go: Option<&Path>,
) -> Option<PathBuf> {
    let explicit = file_goroot.filter(|v| !v.is_empty()).or_else(|| {
        process
            .get("GOROOT")
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    });
    if let Some(g) = explicit {
        return Some(clean(Path::new(g)));
    }
    let exe = real_go?;
    // os.Executable: Linux reads /proc/self/exe, which has every symlink resolved already.
    let exe = if cfg!(any(target_os = "linux", target_os = "android")) {
        std::fs::canonicalize(exe).ok()?
    } else {
        std::path::absolute(exe).ok()?
    };
    let is_goroot = |d: &Path| d.join("pkg").join("tool").is_dir();
    let candidates = |e: &Path| [clean(&e.join("../..")), clean(&e.join("../../.."))];
    if let Some(d) = candidates(&exe).into_iter().find(|d| is_goroot(d)) {
        return Some(d);
    }
    let real = std::fs::canonicalize(&exe).ok()?;
    candidates(&real).into_iter().find(|d| is_goroot(d))
}

/// Go's `filepath.Clean` (lexical: drops `.`, resolves `..`, collapses separators).
pub fn clean(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests;
