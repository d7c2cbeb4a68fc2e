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

use crate::process::Process;
use std::collections::{BTreeMap, HashSet};
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
use crate::goenv::proxy::same_proxy;

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
    /// The inputs as the process sees them, for working directory `dir`.
    pub fn from_process(process: &Process, dir: PathBuf) -> Self {
        let env: BTreeMap<String, OsString> = process
            .vars_os()
            .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v.to_os_string())))
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
    /// The configuration part of the `GOSHIM_LOG=debug` trace: every file read (with its trust)
    /// and every ignored setting.
    pub fn trace(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .files
            .iter()
            .map(|f| {
                let kind = match (f.kind, f.trusted) {
                    (FileKind::System, _) => "system",
                    (FileKind::User, _) => "user",
                    (FileKind::Project, true) => "project, trusted",
                    (FileKind::Project, false) => "project, untrusted",
                };
                format!("goshim: debug: config {} ({kind})", f.path.display())
            })
            .collect();
        lines.extend(self.ignored.iter().map(|i| {
            let why = match i.reason {
                IgnoredReason::Untrusted => "the file is not trusted",
                IgnoredReason::GoOnlyInUserConfig => "only user and system config choose go",
            };
            format!(
                "goshim: debug: ignored {} = {} at {}:{} ({why})",
                i.key,
                i.value,
                i.path.display(),
                i.line
            )
        }));
        lines
    }

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

/// Proxies compare equal with or without a trailing slash: equal proxies have equal keys.
fn same_proxy_key(s: &str) -> &str {
    s.trim_end_matches('/')
}

/// A value as it would be written in a configuration file, for reports.
trait TomlValue {
    fn toml(&self) -> String;
}

impl TomlValue for bool {
    fn toml(&self) -> String {
        self.to_string()
    }
}

impl TomlValue for String {
    fn toml(&self) -> String {
        format!("{self:?}")
    }
}

impl TomlValue for Offline {
    fn toml(&self) -> String {
        match self {
            Offline::Cache => "\"cache\"",
            Offline::Off => "\"off\"",
            Offline::Direct => "\"direct\"",
        }
        .into()
    }
}

impl TomlValue for super::schema::Order {
    fn toml(&self) -> String {
        match self {
            super::schema::Order::Latency => "\"latency\"",
            super::schema::Order::Listed => "\"listed\"",
        }
        .into()
    }
}

impl TomlValue for std::time::Duration {
    fn toml(&self) -> String {
        format!("\"{}ms\"", self.as_millis())
    }
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
    fn gate<T: TomlValue>(
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
            let value = new.value.toml();
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
    /// is ignored as a whole, and extending entries outside it are ignored one by one. Linear in
    /// the lists' sizes.
    fn list(
        &mut self,
        key: &str,
        setting: ListSetting,
        allowed: Option<&[String]>,
        pick: fn(&mut Config) -> &mut SourcedList,
    ) {
        let allowed: Option<HashSet<&str>> =
            allowed.map(|a| a.iter().map(|x| same_proxy_key(x)).collect());
        let permitted = |s: &str| {
            allowed
                .as_ref()
                .is_none_or(|a| a.contains(same_proxy_key(s)))
        };
        if let Some(new) = setting.replace {
            let refused: Vec<&str> = new
                .value
                .iter()
                .map(|s| s.value.as_str())
                .filter(|s| !permitted(s))
                .collect();
            if refused.is_empty() {
                let mut seen = HashSet::new();
                let items: Vec<Sourced<String>> = new
                    .value
                    .into_iter()
                    .filter(|item| seen.insert(same_proxy_key(&item.value).to_string()))
                    .collect();
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
            let target = pick(&mut self.config);
            let mut present: HashSet<String> = target
                .value
                .iter()
                .map(|i| same_proxy_key(&i.value).to_string())
                .collect();
            let mut refused = Vec::new();
            let mut extended = false;
            for item in new.value {
                if !permitted(&item.value) {
                    refused.push(item.value);
                } else if present.insert(same_proxy_key(&item.value).to_string()) {
                    target.value.push(item);
                    extended = true;
                }
            }
            if extended {
                target.origin = new.origin.clone();
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::schema::Order;

    /// A directory tree with system, user and project files, and a trust store.
    struct Bed {
        _tmp: tempfile::TempDir,
        root: PathBuf,
        input: LoadInput,
    }

    impl Bed {
        fn new() -> Bed {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().canonicalize().unwrap();
            let dir = root.join("home/proj/sub");
            std::fs::create_dir_all(&dir).unwrap();
            let input = LoadInput {
                dir,
                env: BTreeMap::new(),
                system_config: root.join("etc/goshim/config.toml"),
                user_config: Some(root.join("config/goshim/config.toml")),
                trust_store: Some(root.join("data/goshim/trust.json")),
            };
            Bed {
                _tmp: tmp,
                root,
                input,
            }
        }

        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let path = self.root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }

        fn set(&mut self, var: &str, value: &str) {
            self.input.env.insert(var.into(), value.into());
        }

        fn trust(&self, rel: &str) {
            let path = self.root.join(rel);
            let (mut store, _) = TrustStore::load(self.input.trust_store.as_ref().unwrap());
            store.trust(path.clone(), &std::fs::read(&path).unwrap());
            store.save().unwrap();
        }

        fn load(&self) -> Loaded {
            load(&self.input).unwrap()
        }

        fn at(&self, rel: &str, line: usize) -> Origin {
            Origin::File {
                path: self.root.join(rel),
                line,
            }
        }
    }

    fn urls(list: &SourcedList) -> Vec<&str> {
        list.value.iter().map(|s| s.value.as_str()).collect()
    }

    const SYS: &str = "etc/goshim/config.toml";
    const USER: &str = "config/goshim/config.toml";
    const OUTER: &str = "home/.gomodrc";
    const PROJ: &str = "home/proj/.gomodrc";

    #[test]
    fn nothing_configured_gives_the_defaults() {
        let bed = Bed::new();
        let loaded = bed.load();
        assert_eq!(loaded.config, Config::default());
        assert!(loaded.files.is_empty());
        assert!(loaded.ignored.is_empty());
        assert!(loaded.notices().is_empty());
        assert_eq!(
            urls(&loaded.config.proxy.candidates),
            [
                "https://proxy.golang.org",
                "https://goproxy.cn",
                "https://goproxy.io"
            ]
        );
        assert_eq!(loaded.config.proxy.offline.value, Offline::Cache);
        assert_eq!(loaded.config.proxy.order.value, Order::Latency);
        assert_eq!(loaded.config.sumdb.name.value, "sum.golang.org");
        assert_eq!(
            loaded.config.health.timeout.value,
            Duration::from_millis(1500)
        );
        assert_eq!(loaded.config.health.stale.origin, Origin::Default);
    }

    #[test]
    fn layers_override_in_order_with_provenance() {
        let mut bed = Bed::new();
        bed.write(
            SYS,
            "[health]\ntimeout = \"3s\"\nttl = \"1h\"\n[sumdb]\nname = \"sum.golang.google.cn\"\n",
        );
        bed.write(USER, "[health]\ntimeout = \"1s\"\n[shim]\nquiet = true\n");
        bed.write(OUTER, "[health]\ndeadline = \"5s\"\nstale = \"2h\"\n");
        bed.write(PROJ, "[health]\nstale = \"3h\"\n");
        bed.set(GOSHIM_QUIET, "0");
        let loaded = bed.load();
        let c = &loaded.config;
        assert_eq!(
            c.health.timeout,
            Sourced {
                value: Duration::from_secs(1),
                origin: bed.at(USER, 2)
            }
        );
        assert_eq!(
            c.health.ttl,
            Sourced {
                value: Duration::from_secs(3600),
                origin: bed.at(SYS, 3)
            }
        );
        assert_eq!(c.sumdb.name.origin, bed.at(SYS, 5));
        assert_eq!(c.health.deadline.origin, bed.at(OUTER, 2));
        assert_eq!(
            c.health.stale,
            Sourced {
                value: Duration::from_secs(3 * 3600),
                origin: bed.at(PROJ, 2)
            },
            "the nearer .gomodrc wins"
        );
        assert_eq!(
            c.shim.quiet,
            Sourced {
                value: false,
                origin: Origin::Env(GOSHIM_QUIET)
            },
            "variables beat every file"
        );
        assert_eq!(c.health.probe.origin, Origin::Default);
        let kinds: Vec<(FileKind, bool)> =
            loaded.files.iter().map(|f| (f.kind, f.trusted)).collect();
        assert_eq!(
            kinds,
            [
                (FileKind::System, true),
                (FileKind::User, true),
                (FileKind::Project, false),
                (FileKind::Project, false)
            ]
        );
        assert!(loaded.ignored.is_empty(), "timings need no trust");
        assert_eq!(
            loaded.trace(),
            [
                format!(
                    "goshim: debug: config {} (system)",
                    bed.root.join(SYS).display()
                ),
                format!(
                    "goshim: debug: config {} (user)",
                    bed.root.join(USER).display()
                ),
                format!(
                    "goshim: debug: config {} (project, untrusted)",
                    bed.root.join(OUTER).display()
                ),
                format!(
                    "goshim: debug: config {} (project, untrusted)",
                    bed.root.join(PROJ).display()
                ),
            ]
        );
    }

    #[test]
    fn lists_replace_and_extend_appends() {
        let bed = Bed::new();
        bed.write(
            SYS,
            "[proxy]\ncandidates = [\"https://a.example\", \"https://b.example\"]\n[modules]\nprivate = [\"git.corp.example\"]\n",
        );
        bed.write(
            USER,
            "[proxy]\nextend_candidates = [\"https://b.example/\", \"https://c.example\"]\n[modules]\nprivate = [\"x.example\"]\nextend_private = [\"*.x.example\"]\n",
        );
        let c = bed.load().config;
        assert_eq!(
            urls(&c.proxy.candidates),
            [
                "https://a.example",
                "https://b.example",
                "https://c.example"
            ]
        );
        assert_eq!(c.proxy.candidates.origin, bed.at(USER, 2));
        assert_eq!(c.proxy.candidates.value[0].origin, bed.at(SYS, 2));
        assert_eq!(c.proxy.candidates.value[2].origin, bed.at(USER, 2));
        assert_eq!(urls(&c.modules.private), ["x.example", "*.x.example"]);
        assert_eq!(c.modules.private.value[1].origin, bed.at(USER, 5));
    }

    const DANGEROUS: &str = r#"[proxy]
candidates = ["https://evil.example", "https://proxy.golang.org"]
extend_candidates = ["https://evil2.example"]
private = ["https://evil3.example"]
direct = true
offline = "direct"
[modules]
private = ["*"]
no_proxy = ["*"]
extend_no_sumdb = ["*"]
[sumdb]
name = "sum.evil.example+12345678+AAAA"
[health]
probe = "git.corp.example/secret@v1.0.0"
[shim]
go = "/tmp/evil/go"
respect_env = false
"#;

    #[test]
    fn untrusted_file_with_every_dangerous_setting_changes_nothing() {
        let bed = Bed::new();
        bed.write(USER, "[proxy]\ndirect = false\n");
        bed.write(PROJ, DANGEROUS);
        let loaded = bed.load();
        let mut expected = Config::default();
        expected.proxy.direct = Sourced {
            value: false,
            origin: bed.at(USER, 2),
        };
        assert_eq!(loaded.config, expected);
        let keys: Vec<(&str, IgnoredReason)> = loaded
            .ignored
            .iter()
            .map(|i| (i.key.as_str(), i.reason))
            .collect();
        use IgnoredReason::{GoOnlyInUserConfig as Go, Untrusted as U};
        assert_eq!(
            keys,
            [
                ("proxy.candidates", U),
                ("proxy.extend_candidates", U),
                ("proxy.private", U),
                ("proxy.direct", U),
                ("proxy.offline", U),
                ("modules.private", U),
                ("modules.no_proxy", U),
                ("modules.extend_no_sumdb", U),
                ("sumdb.name", U),
                ("health.probe", U),
                ("shim.go", Go),
                ("shim.respect_env", U),
            ]
        );
        assert_eq!(loaded.ignored[0].value, "https://evil.example");
        assert_eq!(loaded.ignored[4].value, "\"direct\"");
        assert_eq!(
            loaded.ignored[8].value,
            "\"sum.evil.example+12345678+AAAA\""
        );
        assert_eq!(loaded.ignored[0].line, 2);
        assert_eq!(
            loaded.trace()[2],
            format!(
                "goshim: debug: ignored proxy.candidates = https://evil.example at {}:2 (the file is not trusted)",
                bed.root.join(PROJ).display()
            )
        );
        let proj = bed.root.join(PROJ);
        assert_eq!(
            loaded.notices(),
            [
                format!(
                    "goshim: ignoring settings from untrusted {p} (proxy.candidates, proxy.extend_candidates, proxy.private, proxy.direct, proxy.offline, modules.private, modules.no_proxy, modules.extend_no_sumdb, sumdb.name, health.probe, shim.respect_env); review, then run `goshim trust {p}`",
                    p = proj.display()
                ),
                format!(
                    "goshim: ignoring [shim] go at {}:16: the real go is only chosen in the user or system config, or GOSHIM_GO",
                    proj.display()
                ),
            ]
        );
    }

    #[test]
    fn untrusted_file_may_reorder_drop_and_tune() {
        let bed = Bed::new();
        bed.write(
            USER,
            "[proxy]\nprivate = [\"https://athens.corp.example\", \"https://b.corp.example\"]\noffline = \"direct\"\n",
        );
        bed.write(
            PROJ,
            "[proxy]\ncandidates = [\"https://goproxy.cn/\", \"https://proxy.golang.org\"]\nprivate = [\"https://b.corp.example\"]\ndirect = false\noffline = \"direct\"\norder = \"listed\"\n[health]\ntimeout = \"800ms\"\n[shim]\nquiet = true\n",
        );
        let loaded = bed.load();
        let c = &loaded.config;
        assert!(loaded.ignored.is_empty(), "{:?}", loaded.ignored);
        assert_eq!(
            urls(&c.proxy.candidates),
            ["https://goproxy.cn/", "https://proxy.golang.org"]
        );
        assert_eq!(urls(&c.proxy.private), ["https://b.corp.example"]);
        assert!(!c.proxy.direct.value);
        assert_eq!(c.proxy.offline.origin, bed.at(PROJ, 5));
        assert_eq!(c.proxy.order.value, Order::Listed);
        assert_eq!(c.health.timeout.value, Duration::from_millis(800));
        assert!(c.shim.quiet.value);
    }

    #[test]
    fn several_untrusted_files_share_one_notice_line() {
        let bed = Bed::new();
        bed.write(OUTER, "[sumdb]\nname = \"a.example\"\n");
        bed.write(
            PROJ,
            "[modules]\nprivate = [\"x.example\"]\nextend_private = [\"y.example\"]\n",
        );
        assert_eq!(
            bed.load().notices(),
            [format!(
                "goshim: ignoring settings from untrusted {} (sumdb.name), {} (modules.private, modules.extend_private); review, then run `goshim trust PATH` for each",
                bed.root.join(OUTER).display(),
                bed.root.join(PROJ).display()
            )]
        );
    }

    #[test]
    fn untrusted_file_cannot_move_a_public_mirror_into_private() {
        let bed = Bed::new();
        bed.write(PROJ, "[proxy]\nprivate = [\"https://goproxy.cn\"]\n");
        let loaded = bed.load();
        assert!(loaded.config.proxy.private.value.is_empty());
        assert_eq!(loaded.ignored[0].key, "proxy.private");
    }

    #[test]
    fn trust_life_cycle() {
        let bed = Bed::new();
        bed.write(PROJ, "[sumdb]\nname = \"sum.golang.google.cn\"\n");
        assert_eq!(bed.load().config.sumdb.name.origin, Origin::Default);

        bed.trust(PROJ);
        let loaded = bed.load();
        assert_eq!(
            loaded.config.sumdb.name,
            Sourced {
                value: "sum.golang.google.cn".into(),
                origin: bed.at(PROJ, 2)
            }
        );
        assert!(loaded.ignored.is_empty());
        assert!(loaded.files[0].trusted);

        bed.write(PROJ, "[sumdb]\nname = \"sum.golang.google.cn\"\n# edited\n");
        let loaded = bed.load();
        assert_eq!(loaded.config.sumdb.name.origin, Origin::Default);
        assert_eq!(loaded.ignored.len(), 1);
        assert!(!loaded.files[0].trusted);
    }

    #[test]
    fn trusted_file_applies_everything_but_shim_go() {
        let bed = Bed::new();
        bed.write(PROJ, DANGEROUS);
        bed.trust(PROJ);
        let loaded = bed.load();
        let c = &loaded.config;
        assert_eq!(
            urls(&c.proxy.candidates),
            [
                "https://evil.example",
                "https://proxy.golang.org",
                "https://evil2.example"
            ]
        );
        assert_eq!(c.proxy.offline.value, Offline::Direct);
        assert_eq!(urls(&c.modules.no_sumdb), ["*"]);
        assert!(!c.shim.respect_env.value);
        assert_eq!(c.shim.go, None);
        assert_eq!(loaded.ignored.len(), 1);
        assert_eq!(loaded.ignored[0].reason, IgnoredReason::GoOnlyInUserConfig);
    }

    #[test]
    fn a_trusted_outer_file_widens_what_inner_untrusted_files_may_pick() {
        let bed = Bed::new();
        bed.write(
            OUTER,
            "[proxy]\nextend_candidates = [\"https://team.example\"]\n",
        );
        bed.trust(OUTER);
        bed.write(PROJ, "[proxy]\ncandidates = [\"https://team.example\"]\n");
        let loaded = bed.load();
        assert_eq!(
            urls(&loaded.config.proxy.candidates),
            ["https://team.example"]
        );
        assert!(loaded.ignored.is_empty());
    }

    #[test]
    fn trust_all_trusts_every_file() {
        let mut bed = Bed::new();
        bed.write(PROJ, "[modules]\nprivate = [\"git.corp.example\"]\n");
        bed.set(GOSHIM_TRUST_ALL, "1");
        let loaded = bed.load();
        assert_eq!(urls(&loaded.config.modules.private), ["git.corp.example"]);
        assert!(loaded.ignored.is_empty());
        bed.set(GOSHIM_TRUST_ALL, "0");
        assert!(bed.load().config.modules.private.value.is_empty());
    }

    #[test]
    fn corrupt_trust_store_is_a_warning_not_an_error() {
        let bed = Bed::new();
        bed.write(PROJ, "[modules]\nprivate = [\"git.corp.example\"]\n");
        bed.write("data/goshim/trust.json", "garbage");
        let loaded = bed.load();
        assert!(loaded.config.modules.private.value.is_empty());
        assert_eq!(loaded.warnings.len(), 1);
        assert!(
            loaded.notices()[0].starts_with(&format!(
                "goshim: warning: the trust store {} is unreadable (",
                bed.root.join("data/goshim/trust.json").display()
            )),
            "{:?}",
            loaded.notices()
        );
    }

    #[test]
    fn shim_go_from_user_config_and_variable() {
        let mut bed = Bed::new();
        bed.write(USER, "[shim]\ngo = \"/opt/go/bin/go\"\n");
        assert_eq!(
            bed.load().config.shim.go,
            Some(Sourced {
                value: PathBuf::from("/opt/go/bin/go"),
                origin: bed.at(USER, 2)
            })
        );
        bed.set(GOSHIM_GO, "/usr/local/go/bin/go");
        assert_eq!(
            bed.load().config.shim.go.unwrap().origin,
            Origin::Env(GOSHIM_GO)
        );
    }

    #[test]
    fn variables_offline_and_log() {
        let mut bed = Bed::new();
        bed.set(GOSHIM_OFFLINE, "1");
        bed.set(GOSHIM_LOG, "debug");
        let c = bed.load().config;
        assert!(c.force_offline.value);
        assert!(c.debug_log.value);
        assert_eq!(c.debug_log.origin, Origin::Env(GOSHIM_LOG));
        bed.set(GOSHIM_LOG, "verbose");
        assert_eq!(
            load(&bed.input).unwrap_err().to_string(),
            "GOSHIM_LOG=verbose: unknown log level; use GOSHIM_LOG=debug for a decision trace, or unset it (GOSHIM_DISABLE=1 runs go without goshim)"
        );
    }

    #[test]
    fn errors_name_the_file_that_has_them() {
        let bed = Bed::new();
        bed.write(OUTER, "[proxy]\norder = \"random\"\n");
        assert_eq!(
            load(&bed.input).unwrap_err().to_string(),
            format!(
                "{}:2:9: proxy.order = \"random\" is not a known value; use one of \"latency\", \"listed\" (GOSHIM_DISABLE=1 runs go without goshim)",
                bed.root.join(OUTER).display()
            )
        );
    }

    #[test]
    fn an_unreadable_file_is_an_error() {
        let bed = Bed::new();
        std::fs::create_dir_all(bed.root.join(PROJ)).unwrap();
        let err = load(&bed.input).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "{}: cannot read this configuration file: ",
                bed.root.join(PROJ).display()
            )),
            "{err}"
        );
        assert!(err.ends_with(
            "; fix its permissions or remove it (GOSHIM_DISABLE=1 runs go without goshim)"
        ));
    }

    #[test]
    fn a_huge_untrusted_list_is_ignored_whole() {
        let bed = Bed::new();
        let entries: Vec<String> = (0..20_000).map(|i| format!("\"m{i}.example\"")).collect();
        bed.write(
            PROJ,
            &format!("[modules]\nprivate = [{}]\n", entries.join(",\n")),
        );
        let loaded = bed.load();
        assert!(loaded.config.modules.private.value.is_empty());
        assert_eq!(loaded.ignored.len(), 1);
        assert!(
            loaded.ignored[0]
                .value
                .starts_with("m0.example, m1.example, ")
        );
        assert!(loaded.ignored[0].value.ends_with(", m19999.example"));
    }

    #[test]
    fn a_trusted_list_with_many_repeats_keeps_each_entry_once() {
        let bed = Bed::new();
        let entries: Vec<String> = (0..20_000)
            .map(|i| {
                format!(
                    "\"https://p{}.example{}\"",
                    i % 3,
                    if i % 2 == 0 { "/" } else { "" }
                )
            })
            .collect();
        bed.write(USER, &format!("[proxy]\ncandidates = [{}]\nextend_candidates = [\"https://p1.example/\", \"https://p4.example\"]\n", entries.join(", ")));
        let c = bed.load().config;
        assert_eq!(
            urls(&c.proxy.candidates),
            [
                "https://p0.example/",
                "https://p1.example",
                "https://p2.example/",
                "https://p4.example"
            ]
        );
    }
}
