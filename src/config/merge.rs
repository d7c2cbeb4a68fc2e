//! Merging: the layers lowest first into one [`Config`], every `.gomodrc` value through its key's
//! trust gate ([`Gate`]), then the `GOSHIM_*` variables.
//!
//! Lists: `key = [...]` replaces the list from lower layers, `extend_key = [...]` appends to it
//! (entries already present are not repeated; `https://a/` and `https://a` are the same); a file
//! may use both, replace first.
//!
//! Trust: system and user files are the user's own and pass every gate but
//! [`Gate::UserFilesOnly`]'s; so does a trusted `.gomodrc`. An untrusted one passes `Always`;
//! `Narrowing` only with one of its values or the value the trusted layers (those below it)
//! already have — for a list, only entries they list; a refused setting is recorded in
//! [`Ignored`], never applied. Every step is linear in the size of the lists.

use std::collections::HashSet;
use std::path::PathBuf;

use super::key::Gate;
use super::kinds::Slot;
use super::lists::ListSetting;
use super::load::{Ignored, IgnoredReason, LoadInput};
use super::schema::{Config, Layer, SourcedList};
use super::{Origin, Sourced};
// Proxies (and patterns) compare equal with or without a trailing slash.
use crate::env_vars::{
    GOSHIM_GO, GOSHIM_LOG, GOSHIM_OFFLINE, GOSHIM_QUIET, GOSHIM_ROUTER, is_true_value,
    strict_switch, unread_switch,
};
use crate::goenv::proxy::proxy_key as same_key;

/// Whose file a layer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// System or user configuration.
    Admin,
    /// A `.gomodrc`.
    Project { trusted: bool },
}

/// The configuration being built, layer by layer.
pub(super) struct Merge {
    pub(super) config: Config,
    /// The configuration as of the last trusted layer: what untrusted files may narrow.
    trusted: Config,
    pub(super) ignored: Vec<Ignored>,
}

impl Merge {
    pub(super) fn new() -> Self {
        let config = Config::default();
        Merge {
            trusted: config.clone(),
            config,
            ignored: Vec::new(),
        }
    }

    /// Merges one file's layer.
    pub(super) fn apply(&mut self, layer: Layer, authority: Authority) {
        let mut m = Merging {
            config: &mut self.config,
            trusted: &self.trusted,
            ignored: &mut self.ignored,
            authority,
        };
        layer.apply(&mut m);
        if m.full() {
            self.trusted = self.config.clone();
        }
    }

    /// The `GOSHIM_*` layer: the variables beat every file. Returns the warnings about values
    /// it did not read (those variables are then as if unset: a goshim setting never stops go).
    pub(super) fn apply_env(&mut self, input: &LoadInput) -> Vec<String> {
        let mut warnings = Vec::new();
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
        if let Some(v) = input.var(GOSHIM_ROUTER) {
            match strict_switch(v) {
                Some(value) => {
                    self.config.router.enabled = Sourced {
                        value,
                        origin: Origin::Env(GOSHIM_ROUTER),
                    };
                }
                None => warnings.push(unread_switch(GOSHIM_ROUTER, v, "router.enabled decides")),
            }
        }
        if let Some(v) = input.var(GOSHIM_LOG) {
            let value = match v.to_str() {
                Some("debug") => Some(true),
                Some("off") => Some(false),
                _ => {
                    warnings.push(format!(
                        "{GOSHIM_LOG}={:?} is not a log level, so there is no trace; use {GOSHIM_LOG}=debug for a decision trace, or unset it",
                        v.to_string_lossy()
                    ));
                    None
                }
            };
            if let Some(value) = value {
                self.config.debug_log = Sourced {
                    value,
                    origin: Origin::Env(GOSHIM_LOG),
                };
            }
        }
        warnings
    }
}

/// One layer being merged: what each key's [`super::key::Kind::apply`] works on.
pub struct Merging<'a> {
    config: &'a mut Config,
    trusted: &'a Config,
    ignored: &'a mut Vec<Ignored>,
    authority: Authority,
}

impl Merging<'_> {
    /// System and user files and trusted `.gomodrc` files pass every gate but `UserFilesOnly`.
    fn full(&self) -> bool {
        matches!(
            self.authority,
            Authority::Admin | Authority::Project { trusted: true }
        )
    }

    /// Why `gate` refuses a value from this layer (`narrowed`: the value is one an untrusted
    /// file may choose), or `None` when it applies.
    fn refusal<T>(&self, gate: &Gate<T>, narrowed: impl FnOnce() -> bool) -> Option<IgnoredReason> {
        match gate {
            Gate::UserFilesOnly if self.authority == Authority::Admin => None,
            Gate::UserFilesOnly => Some(IgnoredReason::GoOnlyInUserConfig),
            _ if self.full() => None,
            Gate::Always => None,
            Gate::Trusted => Some(IgnoredReason::Untrusted),
            Gate::Narrowing(_) => (!narrowed()).then_some(IgnoredReason::Untrusted),
        }
    }

    fn ignore(&mut self, origin: &Origin, key: &str, value: String, reason: IgnoredReason) {
        let (path, line) = match origin {
            Origin::File { path, line } => (path.clone(), *line),
            Origin::Default | Origin::Env(_) => (PathBuf::new(), 0),
        };
        self.ignored.push(Ignored {
            path,
            line,
            key: key.to_string(),
            value,
            reason,
        });
    }

    /// Sets a single value when its gate lets it through, else records it as ignored.
    pub(super) fn scalar<V: Eq, S: Slot<V>>(
        &mut self,
        key: &str,
        new: Option<Sourced<V>>,
        gate: &Gate<V>,
        slot: fn(&mut Config) -> &mut S,
        trusted: fn(&Config) -> &S,
        written: fn(&V) -> String,
    ) {
        let Some(new) = new else { return };
        let narrowed = || match gate {
            Gate::Narrowing(values) => {
                values.contains(&new.value)
                    || trusted(self.trusted)
                        .get()
                        .is_some_and(|t| t.value == new.value)
            }
            _ => false,
        };
        match self.refusal(gate, narrowed) {
            None => slot(self.config).set(new),
            Some(reason) => {
                let value = written(&new.value);
                self.ignore(&new.origin, key, value, reason);
            }
        }
    }

    /// Applies a list setting through its gate. A narrowing list from an untrusted file may only
    /// hold entries the trusted layers list: a replacing list naming anything else is ignored
    /// whole, extending entries outside it are ignored one by one.
    pub(super) fn list(
        &mut self,
        key: &str,
        setting: ListSetting,
        gate: &Gate<String>,
        slot: fn(&mut Config) -> &mut SourcedList,
        trusted: fn(&Config) -> &SourcedList,
    ) {
        let allowed: Option<HashSet<&str>> = match gate {
            Gate::Narrowing(extra) if !self.full() => Some(
                trusted(self.trusted)
                    .value
                    .iter()
                    .map(|s| same_key(&s.value))
                    .chain(extra.iter().map(|s| same_key(s)))
                    .collect(),
            ),
            _ => None,
        };
        // A narrowing list is checked entry by entry below.
        if let Some(reason) = self.refusal(gate, || true) {
            self.refuse_list(key, setting, reason);
            return;
        }
        let permitted = |s: &str| allowed.as_ref().is_none_or(|a| a.contains(same_key(s)));
        let mut ignored = Vec::new();
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
                    .filter(|item| seen.insert(same_key(&item.value).to_string()))
                    .collect();
                *slot(self.config) = Sourced {
                    value: items,
                    origin: new.origin,
                };
            } else {
                ignored.push((new.origin.clone(), key.to_string(), refused.join(", ")));
            }
        }
        if let Some(new) = setting.extend {
            let target = slot(self.config);
            let mut present: HashSet<String> = target
                .value
                .iter()
                .map(|i| same_key(&i.value).to_string())
                .collect();
            let mut refused = Vec::new();
            let mut extended = false;
            for item in new.value {
                if !permitted(&item.value) {
                    refused.push(item.value);
                } else if present.insert(same_key(&item.value).to_string()) {
                    target.value.push(item);
                    extended = true;
                }
            }
            if extended {
                target.origin = new.origin.clone();
            }
            if !refused.is_empty() {
                ignored.push((new.origin, extend_key(key), refused.join(", ")));
            }
        }
        for (origin, key, value) in ignored {
            self.ignore(&origin, &key, value, IgnoredReason::Untrusted);
        }
    }

    /// Records every part of a list setting as ignored.
    fn refuse_list(&mut self, key: &str, setting: ListSetting, reason: IgnoredReason) {
        let joined = |list: &SourcedList| {
            let values: Vec<&str> = list.value.iter().map(|s| s.value.as_str()).collect();
            values.join(", ")
        };
        if let Some(new) = setting.replace {
            self.ignore(&new.origin, key, joined(&new), reason);
        }
        if let Some(new) = setting.extend {
            self.ignore(&new.origin, &extend_key(key), joined(&new), reason);
        }
    }
}

/// `proxy.extend_candidates` for `proxy.candidates`.
fn extend_key(key: &str) -> String {
    key.replacen('.', ".extend_", 1)
}

#[cfg(test)]
mod tests {
    use crate::config::schema::{Config, Offline, Order};
    use crate::config::testbed::{Bed, OUTER, PROJ, SYS, USER, urls};
    use crate::config::{IgnoredReason, Sourced};
    use std::time::Duration;

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
timeout = "1ms"
deadline = "1ms"
ttl = "1000h"
stale = "1s"
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
                ("health.timeout", U),
                ("health.deadline", U),
                ("health.ttl", U),
                ("health.stale", U),
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
                    "goshim: ignoring settings from untrusted {p} (proxy.candidates, proxy.extend_candidates, proxy.private, proxy.direct, proxy.offline, modules.private, modules.no_proxy, modules.extend_no_sumdb, sumdb.name, health.probe, health.timeout, health.deadline, health.ttl, health.stale, shim.respect_env); review, then run `goshim trust {p}`",
                    p = proj.display()
                ),
                format!(
                    "goshim: ignoring [shim] go at {}:20: the real go is only chosen in the user or system config, or GOSHIM_GO",
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
            "[proxy]\ncandidates = [\"https://goproxy.cn/\", \"https://proxy.golang.org\"]\nprivate = [\"https://b.corp.example\"]\ndirect = false\noffline = \"direct\"\norder = \"listed\"\n[shim]\nquiet = true\n",
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
    fn an_untrusted_file_may_turn_the_router_off_but_not_tune_it() {
        let bed = Bed::new();
        bed.write(
            PROJ,
            "[router]\nenabled = false\nhedge_delay = \"5s\"\nattempt_timeout = \"1m\"\nrequest_timeout = \"10m\"\nretries = 7\n",
        );
        let loaded = bed.load();
        let r = &loaded.config.router;
        assert_eq!(
            r.enabled,
            Sourced {
                value: false,
                origin: bed.at(PROJ, 2)
            }
        );
        assert_eq!(r.hedge_delay, Config::default().router.hedge_delay);
        assert_eq!(r.request_timeout, Config::default().router.request_timeout);
        assert_eq!(r.retries, Config::default().router.retries);
        let ignored: Vec<(&str, &str, usize)> = loaded
            .ignored
            .iter()
            .map(|i| (i.key.as_str(), i.value.as_str(), i.line))
            .collect();
        assert_eq!(
            ignored,
            [
                ("router.hedge_delay", "\"5s\"", 3),
                ("router.attempt_timeout", "\"1m\"", 4),
                ("router.request_timeout", "\"10m\"", 5),
                ("router.retries", "7", 6),
            ]
        );
        assert_eq!(
            loaded.notices(),
            [format!(
                "goshim: ignoring settings from untrusted {p} (router.hedge_delay, router.attempt_timeout, router.request_timeout, router.retries); review, then run `goshim trust {p}`",
                p = bed.root.join(PROJ).display()
            )]
        );

        bed.trust(PROJ);
        let loaded = bed.load();
        let r = &loaded.config.router;
        assert!(loaded.ignored.is_empty());
        assert_eq!(r.hedge_delay.value, Duration::from_secs(5));
        assert_eq!(r.attempt_timeout.value, Duration::from_secs(60));
        assert_eq!(
            r.request_timeout,
            Sourced {
                value: Duration::from_secs(600),
                origin: bed.at(PROJ, 5)
            }
        );
        assert_eq!(
            r.retries,
            Sourced {
                value: 7,
                origin: bed.at(PROJ, 6)
            }
        );
    }

    #[test]
    fn an_untrusted_file_cannot_turn_the_router_back_on() {
        let bed = Bed::new();
        bed.write(USER, "[router]\nenabled = false\n");
        bed.write(PROJ, "[router]\nenabled = true\n");
        let loaded = bed.load();
        assert_eq!(
            loaded.config.router.enabled,
            Sourced {
                value: false,
                origin: bed.at(USER, 2)
            }
        );
        assert_eq!(loaded.ignored.len(), 1);
        assert_eq!(loaded.ignored[0].key, "router.enabled");
        assert_eq!(loaded.ignored[0].value, "true");
        assert_eq!(loaded.ignored[0].reason, IgnoredReason::Untrusted);
        bed.write(USER, "[router]\nenabled = true\n");
        let loaded = bed.load();
        assert!(loaded.ignored.is_empty());
        assert_eq!(loaded.config.router.enabled.origin, bed.at(PROJ, 2));
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
