//! Finding and reading the configuration files, and deciding which `.gomodrc` is trusted.
//!
//! Layers, lowest first: built-in defaults, the system file (`/etc/goshim/config.toml`, or
//! `GOSHIM_SYSTEM_CONFIG`), the user file (`$XDG_CONFIG_HOME/goshim/config.toml` on Linux, as the
//! `directories` crate resolves it), every `.gomodrc` from the filesystem root down to the
//! working directory (nearer wins), then the `GOSHIM_*` variables; [`super::merge`] merges them.
//!
//! Trust: system and user files are the user's own and always apply. A `.gomodrc` applies in full
//! only when trusted (see [`super::trust`]) or when `GOSHIM_TRUST_ALL` is exactly `1` or `true`;
//! until then each key's trust gate in the key table ([`super::schema`]) decides, and what it
//! refuses is reported in [`Loaded::ignored`]. A `.gomodrc` another user owns (neither this
//! one nor root) does not apply at all ([`Loaded::foreign`]).
//!
//! Every file is read through [`crate::fsread`]: regular files of at most
//! [`MAX_FILE_BYTES`] only, never waited on.

use crate::fsread::{self, ReadError};
use crate::process::Process;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::merge::{Authority, Merge};
use super::parse::parse_layer;
use super::schema::Config;
use super::trust::TrustStore;
use super::{ConfigError, MAX_FILE_BYTES};
use crate::env_vars::{GOSHIM_SYSTEM_CONFIG, GOSHIM_TRUST_ALL, strict_switch, unread_switch};

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
    /// The user goshim runs as (effective uid): a `.gomodrc` owned by anyone else but root is
    /// ignored. `None` where files have no owner goshim checks (Windows).
    pub user: Option<u32>,
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
            user: effective_user(),
        }
    }

    /// A variable's value, when set and not empty.
    pub(super) fn var(&self, name: &str) -> Option<&OsString> {
        self.env.get(name).filter(|v| !v.is_empty())
    }
}

/// The effective uid of this process.
#[cfg(unix)]
pub fn effective_user() -> Option<u32> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    Some(unsafe { libc::geteuid() })
}

/// Files have no owner goshim checks here.
#[cfg(not(unix))]
pub fn effective_user() -> Option<u32> {
    None
}

/// The owner of a `.gomodrc` that is neither `user` nor root, as git's `safe.directory` rule:
/// another user's file above the project (in a shared sticky directory such as `/tmp`) must
/// not configure this user's go. Both the file read (`opened`, after symlinks) and the
/// directory entry where it was found (the symlink itself) count.
fn foreign_owner(path: &Path, opened: &std::fs::Metadata, user: Option<u32>) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let user = user?;
        let entry = std::fs::symlink_metadata(path).ok().map(|m| m.uid());
        [Some(opened.uid()), entry]
            .into_iter()
            .flatten()
            .find(|&owner| owner != user && owner != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = (path, opened, user);
        None
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

/// A `.gomodrc` that was not applied at all: another user owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    pub path: PathBuf,
    /// The owner's uid.
    pub owner: u32,
}

/// The merged configuration and what happened on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// Every file read, lowest layer first.
    pub files: Vec<LoadedFile>,
    /// Every `.gomodrc` ignored because another user owns it.
    pub foreign: Vec<Foreign>,
    /// Settings from `.gomodrc` files that did not take effect.
    pub ignored: Vec<Ignored>,
    /// Problems that do not stop go (e.g. a corrupt trust store).
    pub warnings: Vec<String>,
}

/// Reads a configuration file that may be absent: `Ok(None)` when it (or a parent directory)
/// does not exist. Only a regular file of at most [`MAX_FILE_BYTES`] is read: a FIFO or a
/// device in its place is refused at once, never waited on. The metadata is the file's that
/// was read.
fn read_optional(path: &Path) -> Result<Option<(Vec<u8>, std::fs::Metadata)>, ConfigError> {
    let path_buf = || path.to_path_buf();
    match fsread::read_with_metadata(path, MAX_FILE_BYTES) {
        Ok(read) => Ok(Some(read)),
        Err(ReadError::NotFound) => Ok(None),
        Err(e @ ReadError::NotRegular(_)) => Err(ConfigError::NotRegular {
            path: path_buf(),
            what: e.to_string(),
        }),
        Err(e @ ReadError::TooLarge(_)) => Err(ConfigError::TooLarge {
            path: path_buf(),
            what: e.to_string(),
        }),
        Err(ReadError::Io(source)) => Err(ConfigError::Unreadable {
            path: path_buf(),
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
        if let Some((bytes, _)) = read_optional(path)? {
            merge.apply(parse_layer(path, &bytes)?, Authority::Admin);
            files.push(LoadedFile {
                path: path.clone(),
                kind,
                trusted: true,
            });
        }
    }

    let trust_all = match input.env.get(GOSHIM_TRUST_ALL) {
        None => false,
        Some(v) => strict_switch(v).unwrap_or_else(|| {
            warnings.push(unread_switch(
                GOSHIM_TRUST_ALL,
                v,
                "no .gomodrc is trusted by it",
            ));
            false
        }),
    };
    let mut store: Option<Option<TrustStore>> = None;
    let mut foreign = Vec::new();
    let mut dirs: Vec<&Path> = input.dir.ancestors().collect();
    dirs.reverse();
    for dir in dirs {
        let path = dir.join(GOMODRC);
        let Some((bytes, meta)) = read_optional(&path)? else {
            continue;
        };
        if let Some(owner) = foreign_owner(&path, &meta, input.user) {
            foreign.push(Foreign { path, owner });
            continue;
        }
        let layer = parse_layer(&path, &bytes)?;
        let trusted = trust_all || {
            let store = store.get_or_insert_with(|| {
                input.trust_store.as_ref().map(|p| {
                    let (store, corrupt) = TrustStore::load(p);
                    warnings.extend(corrupt.map(|c| c.to_string()));
                    store
                })
            });
            let key = super::trust::key(&path).unwrap_or_else(|_| path.clone());
            store.as_ref().is_some_and(|s| s.is_trusted(&key, &bytes))
        };
        merge.apply(layer, Authority::Project { trusted });
        files.push(LoadedFile {
            path,
            kind: FileKind::Project,
            trusted,
        });
    }

    warnings.extend(merge.apply_env(input));
    Ok(Loaded {
        config: merge.config,
        files,
        foreign,
        ignored: merge.ignored,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::config::schema::{Offline, Order};
    use crate::config::testbed::{Bed, OUTER, PROJ, SYS, USER, urls};
    use crate::config::{Origin, Sourced};
    use crate::env_vars::{GOSHIM_GO, GOSHIM_LOG, GOSHIM_OFFLINE, GOSHIM_QUIET, GOSHIM_ROUTER};

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
        bed.write(OUTER, "[proxy]\norder = \"listed\"\n[shim]\nquiet = true\n");
        bed.write(PROJ, "[proxy]\norder = \"latency\"\n");
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
        assert_eq!(
            c.proxy.order,
            Sourced {
                value: Order::Latency,
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
        assert!(loaded.ignored.is_empty(), "the order needs no trust");
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
    fn trust_all_trusts_every_file() {
        let mut bed = Bed::new();
        bed.write(PROJ, "[modules]\nprivate = [\"git.corp.example\"]\n");
        bed.set(GOSHIM_TRUST_ALL, "1");
        let loaded = bed.load();
        assert_eq!(urls(&loaded.config.modules.private), ["git.corp.example"]);
        assert!(loaded.ignored.is_empty());
        bed.set(GOSHIM_TRUST_ALL, "0");
        assert!(bed.load().config.modules.private.value.is_empty());
        bed.set(GOSHIM_TRUST_ALL, "n");
        let loaded = bed.load();
        assert!(loaded.config.modules.private.value.is_empty());
        assert_eq!(
            loaded.notices()[0],
            "goshim: warning: GOSHIM_TRUST_ALL=\"n\" is not 1, true, 0 or false; no .gomodrc is trusted by it"
        );
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
        let loaded = bed.load();
        assert!(!loaded.config.debug_log.value);
        assert_eq!(
            loaded.notices(),
            [
                "goshim: warning: GOSHIM_LOG=\"verbose\" is not a log level, so there is no trace; use GOSHIM_LOG=debug for a decision trace, or unset it"
            ]
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
    fn a_file_that_is_no_regular_file_is_an_error() {
        let bed = Bed::new();
        std::fs::create_dir_all(bed.root.join(PROJ)).unwrap();
        assert_eq!(
            load(&bed.input).unwrap_err().to_string(),
            format!(
                "{}: not a regular file (a directory); goshim reads only regular files: replace it with a regular file or remove it (GOSHIM_DISABLE=1 runs go without goshim)",
                bed.root.join(PROJ).display()
            )
        );
    }

    #[test]
    fn a_path_through_a_file_is_no_file() {
        let bed = Bed::new();
        std::fs::create_dir_all(bed.root.join(PROJ).parent().unwrap()).unwrap();
        bed.write(USER, "");
        let mut input = bed.input.clone();
        input.user_config = Some(bed.root.join(USER).join("config.toml"));
        assert!(load(&input).unwrap().files.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_gomodrc_of_another_user_is_ignored_whole() {
        use std::os::unix::fs::MetadataExt;
        let mut bed = Bed::new();
        let rc = bed.write(OUTER, "[modules]\nprivate = [\"corp.example\"]\n");
        bed.set(GOSHIM_TRUST_ALL, "1");
        let mut owner = std::fs::metadata(&rc).unwrap().uid();
        if owner == 0 {
            // Running as root: make the file another user's.
            std::os::unix::fs::chown(&rc, Some(4242), None).unwrap();
            owner = 4242;
        }
        bed.input.user = Some(owner);
        assert_eq!(urls(&bed.load().config.modules.private), ["corp.example"]);
        bed.input.user = Some(owner + 1);
        let loaded = bed.load();
        assert!(loaded.config.modules.private.value.is_empty());
        assert!(loaded.files.is_empty());
        assert_eq!(
            loaded.foreign,
            [crate::config::Foreign {
                path: rc.clone(),
                owner
            }]
        );
        let notice = format!(
            "goshim: ignoring {}: it belongs to another user (uid {owner}), not to you or root; remove it, or chown it if it is yours",
            rc.display()
        );
        assert_eq!(loaded.unsilenced_notices(), loaded.notices());
        assert_eq!(loaded.notices(), [notice]);
        bed.input.user = None;
        assert_eq!(bed.load().files.len(), 1, "no owner check without a user");
    }

    #[test]
    fn goshim_router_overrides_router_enabled() {
        let mut bed = Bed::new();
        bed.write(USER, "[router]\nenabled = false\n");
        bed.set(GOSHIM_ROUTER, "1");
        assert_eq!(
            bed.load().config.router.enabled,
            Sourced {
                value: true,
                origin: Origin::Env(GOSHIM_ROUTER)
            }
        );
        bed.write(USER, "");
        bed.set(GOSHIM_ROUTER, "0");
        assert_eq!(
            bed.load().config.router.enabled,
            Sourced {
                value: false,
                origin: Origin::Env(GOSHIM_ROUTER)
            }
        );
        bed.set(GOSHIM_ROUTER, "");
        assert_eq!(bed.load().config.router.enabled.origin, Origin::Default);
    }
}
