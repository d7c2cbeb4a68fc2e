//! What is printed about the configuration: the `GOSHIM_LOG=debug` trace and the stderr notices
//! of a load ([`Loaded`]), the entries `goshim explain` shows under a go variable
//! ([`configured`]), and the README's key reference ([`reference`]) — the last two read from the
//! key table, so a new key appears in them without further edits.

use std::path::Path;

use super::Origin;
use super::key::Key;
use super::load::{FileKind, IgnoredReason, Loaded};
use super::schema::{Config, KEYS};

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
        lines.extend(self.foreign.iter().map(|f| {
            format!(
                "goshim: debug: config {} ignored (owned by uid {})",
                f.path.display(),
                f.owner
            )
        }));
        lines.extend(self.ignored.iter().map(|i| {
            let why = match i.reason {
                IgnoredReason::Untrusted => "the file is not trusted",
                IgnoredReason::GoOnlyInUserConfig => "only user and system config choose go",
            };
            format!(
                "goshim: debug: ignored {} = {} at {}:{} ({why})",
                i.key,
                crate::http::redact_text(&i.value),
                i.path.display(),
                i.line
            )
        }));
        lines
    }

    /// The stderr lines the shim prints: the warnings, one line for every `.gomodrc` another
    /// user owns, one line for every untrusted file with ignored settings, one line for a
    /// `[shim] go` in a `.gomodrc`.
    pub fn notices(&self) -> Vec<String> {
        self.notice_lines().into_iter().map(|(_, l)| l).collect()
    }

    /// The notices `shim.quiet` does not silence: that settings or files were ignored (an
    /// untrusted file's own `quiet = true` must not hide that its other settings were).
    pub fn unsilenced_notices(&self) -> Vec<String> {
        self.notice_lines()
            .into_iter()
            .filter(|(always, _)| *always)
            .map(|(_, l)| l)
            .collect()
    }

    /// [`Loaded::notices`], each with whether it is printed even when quiet.
    fn notice_lines(&self) -> Vec<(bool, String)> {
        let mut lines: Vec<(bool, String)> = self
            .warnings
            .iter()
            .map(|w| (false, format!("goshim: warning: {w}")))
            .collect();
        lines.extend(self.foreign.iter().map(|f| {
            (
                true,
                format!(
                    "goshim: ignoring {}: it belongs to another user (uid {}), not to you or root; remove it, or chown it if it is yours",
                    f.path.display(),
                    f.owner
                ),
            )
        }));
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
            lines.push((
                true,
                format!(
                    "goshim: ignoring settings from untrusted {}; review, then run {cmd}",
                    files.join(", ")
                ),
            ));
        }
        if !go_in_project.is_empty() {
            lines.push((
                true,
                format!(
                    "goshim: ignoring [shim] go at {}: the real go is only chosen in the user or system config, or GOSHIM_GO",
                    go_in_project.join(", ")
                ),
            ));
        }
        lines
    }
}

/// One configuration entry `goshim explain` shows under a go variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configured<'a> {
    /// `table.key`.
    pub key: &'static str,
    /// An entry of a list (shown `key: value`), or a single value (shown `key = value`).
    pub list: bool,
    /// The value (not redacted).
    pub value: String,
    pub origin: &'a Origin,
}

/// The configuration entries behind go variable `var` (upper case), in the order the variable
/// uses them: every key whose table entry `explains` it, each list item on its own.
pub fn configured<'a>(var: &str, config: &'a Config) -> Vec<Configured<'a>> {
    let mut keys: Vec<(&Key, u8)> = KEYS
        .iter()
        .filter_map(|k| {
            k.explains
                .iter()
                .find(|(v, _)| *v == var)
                .map(|(_, position)| (k, *position))
        })
        .collect();
    keys.sort_by_key(|(_, position)| *position);
    keys.into_iter()
        .flat_map(|(k, _)| {
            (k.shown)(config)
                .into_iter()
                .map(move |(value, origin)| Configured {
                    key: k.name,
                    list: k.list,
                    value,
                    origin,
                })
        })
        .collect()
}

/// The README's key reference: a Markdown table with one row per key, in table order.
pub fn reference() -> String {
    let cell = |s: String| s.replace('|', "\\|");
    let mut out = String::from(
        "| key | kind | default | in an untrusted `.gomodrc` | meaning |\n|---|---|---|---|---|\n",
    );
    for k in KEYS {
        out.push_str(&format!(
            "| `{}` | {} | `{}` | {} | {} |\n",
            k.name,
            cell((k.kind)()),
            cell((k.default)()),
            cell((k.trust)()),
            cell(k.doc().to_string()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::schema::SECTIONS;
    use crate::config::testbed::{Bed, USER};
    use crate::config::{Sourced, parse_layer};

    const README: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
    const BEGIN: &str = "<!-- keys: generated from the key table (src/config/schema.rs) -->\n";
    const END: &str = "<!-- end of keys -->\n";

    /// The README's configuration section: `## Configuration…` up to the next `## `.
    fn configuration_section() -> &'static str {
        let start = README
            .find("\n## Configuration")
            .expect("README has a Configuration section");
        let rest = &README[start + 1..];
        let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
        &rest[..end]
    }

    #[test]
    fn readme_reference_is_the_key_table() {
        let section = configuration_section();
        let start = section.find(BEGIN).expect("the reference's begin marker") + BEGIN.len();
        let end = section[start..]
            .find(END)
            .expect("the reference's end marker")
            + start;
        assert!(
            section[start..end] == reference(),
            "README.md's key reference differs from the key table; replace the lines between the markers with:\n{}",
            reference()
        );
    }

    /// Every `` `table.key` `` the Configuration section names, for a table of the key table.
    fn named_keys(section: &str) -> Vec<&str> {
        section
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|code| {
                code.split_once('.').is_some_and(|(table, key)| {
                    SECTIONS.contains(&table)
                        && !key.is_empty()
                        && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                })
            })
            .collect()
    }

    #[test]
    fn readme_documents_every_key_with_its_default_and_no_other() {
        let section = configuration_section();
        let rows: Vec<&str> = section
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once("` |").map(|(name, _)| name))
            .filter(|name| named_keys(&format!("`{name}`")).len() == 1)
            .collect();
        let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        assert_eq!(rows, names, "one row per key, in table order");
        for k in KEYS {
            let row = section
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", k.name)))
                .unwrap();
            assert!(
                row.contains(&format!("| `{}` |", (k.default)())),
                "{} is documented without its default: {row}",
                k.name
            );
        }
        let spellings: Vec<String> = KEYS
            .iter()
            .flat_map(|k| {
                k.spellings()
                    .into_iter()
                    .map(|s| format!("{}.{s}", k.table))
            })
            .collect();
        for named in named_keys(section) {
            assert!(
                spellings.iter().any(|s| s == named),
                "the README names `{named}`, which is not a key"
            );
        }
    }

    #[test]
    fn readme_toml_examples_are_valid_configuration() {
        let section = configuration_section();
        let blocks: Vec<&str> = section
            .split("```toml\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap())
            .collect();
        assert!(
            !blocks.is_empty(),
            "the Configuration section has an example"
        );
        for block in blocks {
            if let Err(e) = parse_layer(Path::new("README.md"), block.as_bytes()) {
                panic!("a README example is not valid configuration: {e}\n{block}");
            }
        }
    }

    #[test]
    fn reference_has_a_row_per_key_with_kind_default_and_trust() {
        let text = reference();
        assert_eq!(text.lines().count(), KEYS.len() + 2);
        assert!(text.contains(
            "| `proxy.direct` | boolean | `true` | only `false`, or the value the trusted layers set | "
        ));
        assert!(text.contains("| `proxy.offline` | one of \"cache\", \"off\", \"direct\" | `\"cache\"` | only `\"cache\"` or `\"off\"`, or the value the trusted layers set | "));
        assert!(text.contains(
            "| `modules.private` | list of module path patterns | `[]` | ignored until trusted | "
        ));
        assert!(text.contains("| `health.ttl` | duration | `\"10m\"` | ignored until trusted | "));
        assert!(text.contains(
            "| `proxy.order` | one of \"latency\", \"listed\" | `\"latency\"` | applies | "
        ));
        assert!(text.contains("| `shim.go` | absolute path or command name | `unset` | never read (system and user files only) | "));
        assert!(text.contains(
            "| `router.request_timeout` | duration | `\"2m\"` | ignored until trusted | "
        ));
        assert!(text.contains("| `router.retries` | whole number, 0 to 10 | `3` | ignored until trusted | extra rounds after every upstream failed once |"));
        for table in SECTIONS {
            assert!(text.contains(&format!("| `{table}.")), "{table}");
        }
    }

    #[test]
    fn configured_lists_what_feeds_a_variable_in_its_order() {
        let bed = Bed::new();
        bed.write(
            USER,
            "[proxy]\ncandidates = [\"https://a.example\"]\nprivate = [\"https://athens.example\"]\n[modules]\nprivate = [\"git.corp.example\"]\nno_proxy = [\"x.example\"]\n",
        );
        let loaded = bed.load();
        let c = &loaded.config;
        let shown = |var: &str| -> Vec<(&str, bool, String)> {
            configured(var, c)
                .into_iter()
                .map(|e| (e.key, e.list, e.value))
                .collect()
        };
        assert_eq!(
            shown("GOPROXY"),
            [
                ("proxy.private", true, "https://athens.example".to_string()),
                ("proxy.candidates", true, "https://a.example".to_string()),
            ],
            "private proxies first, as GOPROXY lists them"
        );
        assert_eq!(
            shown("GONOPROXY"),
            [
                ("modules.private", true, "git.corp.example".to_string()),
                ("modules.no_proxy", true, "x.example".to_string()),
            ]
        );
        assert_eq!(shown("GONOSUMDB").len(), 1);
        assert_eq!(
            configured("GOSUMDB", c),
            [Configured {
                key: "sumdb.name",
                list: false,
                value: "sum.golang.org".into(),
                origin: &Sourced::default_value(()).origin,
            }]
        );
        assert_eq!(configured("GOPRIVATE", c)[0].origin, &bed.at(USER, 5));
        assert!(configured("GOFLAGS", c).is_empty());
    }
}
