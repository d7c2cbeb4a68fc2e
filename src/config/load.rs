//! Finding, reading and merging the configuration layers.
//!
//! Layers, lowest first: built-in defaults, the system file (`/etc/goshim/config.toml`, or
//! `GOSHIM_SYSTEM_CONFIG`), the user file (`$XDG_CONFIG_HOME/goshim/config.toml` on Linux, as the
//! `directories` crate resolves it), every `.gomodrc` from the filesystem root down to the
//! working directory (nearer wins), then the `GOSHIM_*` variables.
//!
//! Lists: `key = [...]` replaces the list from lower layers, `extend_key = [...]` appends to it
//! (entries already present are not repeated); a file may use both, replace first.
//!
//! Trust: system and user files are the user's own and always apply. A `.gomodrc` applies in full
//! only when trusted (see [`super::trust`]) or when `GOSHIM_TRUST_ALL=1`. Until then it may only
//! reorder or drop proxies that the trusted layers below it allow, turn `direct` off, choose
//! `offline = "cache"` or `"off"`, and change `order`, the `[health]` timings and `quiet`;
//! everything else it sets is ignored and reported in [`Loaded::ignored`]. `[shim] go` is only
//! read from the system and user files.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use super::schema::{Config, Layer, ListSetting, Offline, SourcedList, parse_layer};
use super::trust::TrustStore;
use super::{ConfigError, Origin, Sourced};
use crate::env_vars::{
    GOSHIM_GO, GOSHIM_LOG, GOSHIM_OFFLINE, GOSHIM_QUIET, GOSHIM_SYSTEM_CONFIG, GOSHIM_TRUST_ALL,
    is_true_value,
};

/// The project configuration file's name.
pub const GOMODRC: &str = ".gomodrc";

/// The system configuration file when `GOSHIM_SYSTEM_CONFIG` is not set.
#[cfg(unix)]
pub const DEFAULT_SYSTEM_CONFIG: &str = "/etc/goshim/config.toml";
/// The system configuration file when `GOSHIM_SYSTEM_CONFIG` is not set.
#[cfg(not(unix))]
pub const DEFAULT_SYSTEM_CONFIG: &str = r"C:\ProgramData\goshim\config.toml";

/// Everything loading reads from the process, gathered once so loading is testable.
#[derive(Debug, Clone)]
pub struct LoadInput {
    /// The directory go runs in (absolute); `.gomodrc` files are read from the root down to it.
    pub dir: PathBuf,
    /// The `GOSHIM_*` variables (others are not consulted).
    pub env: BTreeMap<String, OsString>,
    /// The system configuration file.
    pub system_config: PathBuf,
    /// The user configuration file, when a home directory is known.
    pub user_config: Option<PathBuf>,
    /// The trust store, when a data directory is known.
    pub trust_store: Option<PathBuf>,
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "goshim")
}

/// The user configuration file: `config.toml` in goshim's config directory.
pub fn user_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// The trust store: `trust.json` in goshim's data directory.
pub fn trust_store_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().join("trust.json"))
}

impl LoadInput {
    /// The inputs as the running process sees them, for working directory `dir`.
    pub fn from_process(dir: PathBuf) -> Self {
        let env: BTreeMap<String, OsString> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
            .filter(|(k, _)| k.starts_with("GOSHIM_"))
            .collect();
        let system_config = env
            .get(GOSHIM_SYSTEM_CONFIG)
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_SYSTEM_CONFIG), PathBuf::from);
        LoadInput {
            dir,
            env,
            system_config,
            user_config: user_config_path(),
            trust_store: trust_store_path(),
        }
    }

    fn var(&self, name: &str) -> Option<&OsString> {
        self.env.get(name).filter(|v| !v.is_empty())
    }
}

/// Which layer a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    System,
    User,
    Project,
}

/// A configuration file that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFile {
    pub path: PathBuf,
    pub kind: FileKind,
    /// False for a `.gomodrc` that is neither trusted nor covered by `GOSHIM_TRUST_ALL`.
    pub trusted: bool,
}

/// Why a setting was ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoredReason {
    /// The `.gomodrc` is not trusted and the setting needs trust.
    Untrusted,
    /// `[shim] go` is only read from user and system configuration.
    GoOnlyInUserConfig,
}

/// A setting a `.gomodrc` made that did not take effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub path: PathBuf,
    pub line: usize,
    /// `table.key`, e.g. `proxy.candidates`.
    pub key: String,
    /// The ignored value, as written (list entries joined with `, `).
    pub value: String,
    pub reason: IgnoredReason,
}

/// The merged configuration and what happened on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// Every file read, lowest layer first.
    pub files: Vec<LoadedFile>,
    /// Settings from `.gomodrc` files that did not take effect.
    pub ignored: Vec<Ignored>,
    /// Problems that do not stop go (e.g. a corrupt trust store).
    pub warnings: Vec<String>,
}

impl Loaded {
    /// The stderr lines the shim prints (unless quiet): the warnings, one line for every
    /// untrusted file with ignored settings, one line for a `[shim] go` in a `.gomodrc`.
    pub fn notices(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .warnings
            .iter()
            .map(|w| format!("goshim: warning: {w}"))
            .collect();
        let mut untrusted: Vec<(&Path, Vec<&str>)> = Vec::new();
        let mut go_in_project: Vec<String> = Vec::new();
        for i in &self.ignored {
            match i.reason {
                IgnoredReason::Untrusted => {
                    match untrusted.iter_mut().find(|(p, _)| *p == i.path.as_path()) {
                        Some((_, keys)) if keys.contains(&i.key.as_str()) => {}
                        Some((_, keys)) => keys.push(&i.key),
                        None => untrusted.push((&i.path, vec![&i.key])),
                    }
                }
                IgnoredReason::GoOnlyInUserConfig => {
                    go_in_project.push(format!("{}:{}", i.path.display(), i.line));
                }
            }
        }
        if !untrusted.is_empty() {
            let files: Vec<String> = untrusted
                .iter()
                .map(|(p, keys)| format!("{} ({})", p.display(), keys.join(", ")))
                .collect();
            let cmd = if untrusted.len() == 1 {
                format!("`goshim trust {}`", untrusted[0].0.display())
            } else {
                "`goshim trust PATH` for each".to_string()
            };
            lines.push(format!(
                "goshim: ignoring settings from untrusted {}; review, then run {cmd}",
                files.join(", ")
            ));
        }
        if !go_in_project.is_empty() {
            lines.push(format!(
                "goshim: ignoring [shim] go at {}: the real go is only chosen in the user or system config, or GOSHIM_GO",
                go_in_project.join(", ")
            ));
        }
        lines
    }
}

/// Reads a file that may be absent: `Ok(None)` when it (or a parent directory) does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, ConfigError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(source) => Err(ConfigError::Unreadable {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Loads and merges every layer. A missing file is skipped; a file that exists but cannot be
/// read or parsed is an error.
pub fn load(input: &LoadInput) -> Result<Loaded, ConfigError> {
    let mut merge = Merge::new();
    let mut files = Vec::new();
    let mut warnings = Vec::new();

    let admin = [
        (Some(&input.system_config), FileKind::System),
        (input.user_config.as_ref(), FileKind::User),
    ];
    for (path, kind) in admin {
        let Some(path) = path else { continue };
        if let Some(bytes) = read_optional(path)? {
            merge.apply(parse_layer(path, &bytes)?, Authority::Admin);
            files.push(LoadedFile {
                path: path.clone(),
                kind,
                trusted: true,
            });
        }
    }

    let trust_all = input
        .var(GOSHIM_TRUST_ALL)
        .is_some_and(|v| is_true_value(v));
    let mut store: Option<Option<TrustStore>> = None;
    let mut dirs: Vec<&Path> = input.dir.ancestors().collect();
    dirs.reverse();
    for dir in dirs {
        let path = dir.join(GOMODRC);
        let Some(bytes) = read_optional(&path)? else {
            continue;
        };
        let layer = parse_layer(&path, &bytes)?;
        let trusted = trust_all || {
            let store = store.get_or_insert_with(|| {
                input.trust_store.as_ref().map(|p| {
                    let (store, corrupt) = TrustStore::load(p);
                    warnings.extend(corrupt.map(|c| c.to_string()));
                    store
                })
            });
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            store
                .as_ref()
                .is_some_and(|s| s.is_trusted(&canonical, &bytes))
        };
        merge.apply(layer, Authority::Project { trusted });
        files.push(LoadedFile {
            path,
            kind: FileKind::Project,
            trusted,
        });
    }

    merge.apply_env(input)?;
    Ok(Loaded {
        config: merge.config,
        files,
        ignored: merge.ignored,
        warnings,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Authority {
    /// System or user configuration.
    Admin,
    /// A `.gomodrc`.
    Project { trusted: bool },
}

/// What the trusted layers so far allow an untrusted `.gomodrc` to choose from.
#[derive(Debug, Clone)]
struct Allowed {
    candidates: Vec<String>,
    private: Vec<String>,
    direct: bool,
    offline: Offline,
}

impl Allowed {
    fn of(config: &Config) -> Self {
        Allowed {
            candidates: values(&config.proxy.candidates),
            private: values(&config.proxy.private),
            direct: config.proxy.direct.value,
            offline: config.proxy.offline.value,
        }
    }
}

fn values(list: &SourcedList) -> Vec<String> {
    list.value.iter().map(|s| s.value.clone()).collect()
}

/// Proxies compare equal with or without a trailing slash.
fn same_proxy(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

struct Merge {
    config: Config,
    allowed: Allowed,
    ignored: Vec<Ignored>,
}

fn line_of(origin: &Origin) -> (PathBuf, usize) {
    match origin {
        Origin::File { path, line } => (path.clone(), *line),
        Origin::Default | Origin::Env(_) => (PathBuf::new(), 0),
    }
}

impl Merge {
    fn new() -> Self {
        let config = Config::default();
        Merge {
            allowed: Allowed::of(&config),
            config,
            ignored: Vec::new(),
        }
    }

    fn ignore(&mut self, origin: &Origin, key: &str, value: String, reason: IgnoredReason) {
        let (path, line) = line_of(origin);
        self.ignored.push(Ignored {
            path,
            line,
            key: key.to_string(),
            value,
            reason,
        });
    }

    /// Sets `slot` to `new` when `ok`, else records it as ignored.
    fn gate<T: std::fmt::Debug>(
        &mut self,
        slot_key: &str,
        new: Option<Sourced<T>>,
        ok: impl FnOnce(&T) -> bool,
        slot: impl FnOnce(&mut Config) -> &mut Sourced<T>,
    ) {
        let Some(new) = new else { return };
        if ok(&new.value) {
            *slot(&mut self.config) = new;
        } else {
            let value = format!("{:?}", new.value);
            self.ignore(&new.origin, slot_key, value, IgnoredReason::Untrusted);
        }
    }

    fn apply(&mut self, layer: Layer, authority: Authority) {
        let full = matches!(
            authority,
            Authority::Admin | Authority::Project { trusted: true }
        );
        let allowed = self.allowed.clone();

        let cands_allowed = (!full).then_some(allowed.candidates.as_slice());
        let private_allowed = (!full).then_some(allowed.private.as_slice());
        self.list(
            "proxy.candidates",
            layer.proxy_candidates,
            cands_allowed,
            |c| &mut c.proxy.candidates,
        );
        self.list("proxy.private", layer.proxy_private, private_allowed, |c| {
            &mut c.proxy.private
        });
        self.gate(
            "proxy.direct",
            layer.proxy_direct,
            |&d| full || !d || allowed.direct,
            |c| &mut c.proxy.direct,
        );
        self.gate(
            "proxy.offline",
            layer.proxy_offline,
            |&o| full || o != Offline::Direct || allowed.offline == Offline::Direct,
            |c| &mut c.proxy.offline,
        );
        self.gate(
            "proxy.order",
            layer.proxy_order,
            |_| true,
            |c| &mut c.proxy.order,
        );
        for (key, setting, pick) in [
            (
                "modules.private",
                layer.modules_private,
                (|c: &mut Config| &mut c.modules.private) as fn(&mut Config) -> &mut SourcedList,
            ),
            ("modules.no_proxy", layer.modules_no_proxy, |c| {
                &mut c.modules.no_proxy
            }),
            ("modules.no_sumdb", layer.modules_no_sumdb, |c| {
                &mut c.modules.no_sumdb
            }),
        ] {
            if full {
                self.list(key, setting, None, pick);
            } else {
                self.refuse_list(key, setting);
            }
        }
        self.gate(
            "sumdb.name",
            layer.sumdb_name,
            |_| full,
            |c| &mut c.sumdb.name,
        );
        self.gate(
            "health.probe",
            layer.health_probe,
            |_| full,
            |c| &mut c.health.probe,
        );
        self.gate(
            "health.timeout",
            layer.health_timeout,
            |_| true,
            |c| &mut c.health.timeout,
        );
        self.gate(
            "health.deadline",
            layer.health_deadline,
            |_| true,
            |c| &mut c.health.deadline,
        );
        self.gate(
            "health.ttl",
            layer.health_ttl,
            |_| true,
            |c| &mut c.health.ttl,
        );
        self.gate(
            "health.stale",
            layer.health_stale,
            |_| true,
            |c| &mut c.health.stale,
        );
        if let Some(go) = layer.shim_go {
            if authority == Authority::Admin {
                self.config.shim.go = Some(go);
            } else {
                let value = go.value.display().to_string();
                self.ignore(
                    &go.origin,
                    "shim.go",
                    value,
                    IgnoredReason::GoOnlyInUserConfig,
                );
            }
        }
        self.gate(
            "shim.respect_env",
            layer.shim_respect_env,
            |_| full,
            |c| &mut c.shim.respect_env,
        );
        self.gate(
            "shim.quiet",
            layer.shim_quiet,
            |_| true,
            |c| &mut c.shim.quiet,
        );

        if full {
            self.allowed = Allowed::of(&self.config);
        }
    }

    /// Applies a list setting. With `allowed`, a replacing list that names anything outside it
    /// is ignored as a whole, and extending entries outside it are ignored one by one.
    fn list(
        &mut self,
        key: &str,
        setting: ListSetting,
        allowed: Option<&[String]>,
        pick: fn(&mut Config) -> &mut SourcedList,
    ) {
        let permitted = |s: &str| allowed.is_none_or(|a| a.iter().any(|x| same_proxy(x, s)));
        if let Some(new) = setting.replace {
            let refused: Vec<&str> = new
                .value
                .iter()
                .map(|s| s.value.as_str())
                .filter(|s| !permitted(s))
                .collect();
            if refused.is_empty() {
                let mut items: Vec<Sourced<String>> = Vec::new();
                for item in new.value {
                    if !items.iter().any(|i| same_proxy(&i.value, &item.value)) {
                        items.push(item);
                    }
                }
                *pick(&mut self.config) = Sourced {
                    value: items,
                    origin: new.origin,
                };
            } else {
                let value = refused.join(", ");
                self.ignore(&new.origin, key, value, IgnoredReason::Untrusted);
            }
        }
        if let Some(new) = setting.extend {
            let mut refused = Vec::new();
            let mut extended = false;
            for item in new.value {
                if !permitted(&item.value) {
                    refused.push(item.value);
                    continue;
                }
                let target = pick(&mut self.config);
                if !target
                    .value
                    .iter()
                    .any(|i| same_proxy(&i.value, &item.value))
                {
                    target.value.push(item);
                    extended = true;
                }
            }
            if extended {
                pick(&mut self.config).origin = new.origin.clone();
            }
            if !refused.is_empty() {
                let extend_key = key.replacen('.', ".extend_", 1);
                self.ignore(
                    &new.origin,
                    &extend_key,
                    refused.join(", "),
                    IgnoredReason::Untrusted,
                );
            }
        }
    }

    /// Records every part of a list setting as ignored.
    fn refuse_list(&mut self, key: &str, setting: ListSetting) {
        if let Some(new) = setting.replace {
            self.ignore(
                &new.origin,
                key,
                values(&new).join(", "),
                IgnoredReason::Untrusted,
            );
        }
        if let Some(new) = setting.extend {
            let extend_key = key.replacen('.', ".extend_", 1);
            self.ignore(
                &new.origin,
                &extend_key,
                values(&new).join(", "),
                IgnoredReason::Untrusted,
            );
        }
    }

    /// The `GOSHIM_*` layer.
    fn apply_env(&mut self, input: &LoadInput) -> Result<(), ConfigError> {
        if let Some(go) = input.var(GOSHIM_GO) {
            self.config.shim.go = Some(Sourced {
                value: PathBuf::from(go),
                origin: Origin::Env(GOSHIM_GO),
            });
        }
        if let Some(v) = input.var(GOSHIM_QUIET) {
            self.config.shim.quiet = Sourced {
                value: is_true_value(v),
                origin: Origin::Env(GOSHIM_QUIET),
            };
        }
        if let Some(v) = input.var(GOSHIM_OFFLINE) {
            self.config.force_offline = Sourced {
                value: is_true_value(v),
                origin: Origin::Env(GOSHIM_OFFLINE),
            };
        }
        if let Some(v) = input.var(GOSHIM_LOG) {
            let value = match v.to_str() {
                Some("debug") => true,
                Some("off") => false,
                _ => {
                    return Err(ConfigError::Env {
                        var: GOSHIM_LOG,
                        value: v.to_string_lossy().into_owned(),
                        what: "unknown log level".into(),
                        fix: format!("use {GOSHIM_LOG}=debug for a decision trace, or unset it"),
                    });
                }
            };
            self.config.debug_log = Sourced {
                value,
                origin: Origin::Env(GOSHIM_LOG),
            };
        }
        Ok(())
    }
}
