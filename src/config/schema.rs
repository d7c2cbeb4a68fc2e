//! The configuration schema: typed values with their origin, the built-in defaults, and the
//! parser from one TOML file to a [`Layer`].
//!
//! The parser walks toml's span-carrying document by hand (rather than through serde) so that
//! every value keeps its line and every error points at the exact key or value.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{ConfigError, Lines, Origin, Sourced, duration};

/// A list value: the list's own origin (the layer that last set it) and each item's origin.
pub type SourcedList = Sourced<Vec<Sourced<String>>>;

/// What to do when no proxy is healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offline {
    /// The module cache as a `file://` proxy.
    Cache,
    /// `off`: no module downloads.
    Off,
    /// `direct`: fetch from version control.
    Direct,
}

/// How healthy public candidates are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Fastest healthy first.
    Latency,
    /// As listed.
    Listed,
}

/// `[proxy]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    pub candidates: SourcedList,
    pub private: SourcedList,
    pub direct: Sourced<bool>,
    pub offline: Sourced<Offline>,
    pub order: Sourced<Order>,
}

/// `[modules]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModulesConfig {
    pub private: SourcedList,
    pub no_proxy: SourcedList,
    pub no_sumdb: SourcedList,
}

/// `[sumdb]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumdbConfig {
    pub name: Sourced<String>,
}

/// `[health]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthConfig {
    pub probe: Sourced<String>,
    pub timeout: Sourced<Duration>,
    pub deadline: Sourced<Duration>,
    pub ttl: Sourced<Duration>,
    pub stale: Sourced<Duration>,
}

/// `[shim]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShimConfig {
    /// The real go; only from user or system config, or `GOSHIM_GO`.
    pub go: Option<Sourced<PathBuf>>,
    pub respect_env: Sourced<bool>,
    pub quiet: Sourced<bool>,
}

/// The merged configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub proxy: ProxyConfig,
    pub modules: ModulesConfig,
    pub sumdb: SumdbConfig,
    pub health: HealthConfig,
    pub shim: ShimConfig,
    /// `GOSHIM_OFFLINE=1`: skip probing and use the offline fallback.
    pub force_offline: Sourced<bool>,
    /// `GOSHIM_LOG=debug`: print a decision trace on stderr.
    pub debug_log: Sourced<bool>,
}

/// The public mirrors tried when nothing is configured, in preference order.
pub const DEFAULT_CANDIDATES: [&str; 3] = [
    "https://proxy.golang.org",
    "https://goproxy.cn",
    "https://goproxy.io",
];

fn default_list(items: &[&str]) -> SourcedList {
    Sourced::default_value(
        items
            .iter()
            .map(|s| Sourced::default_value((*s).to_string()))
            .collect(),
    )
}

impl Default for Config {
    fn default() -> Self {
        let d = Sourced::default_value;
        Config {
            proxy: ProxyConfig {
                candidates: default_list(&DEFAULT_CANDIDATES),
                private: default_list(&[]),
                direct: d(true),
                offline: Sourced::default_value(Offline::Cache),
                order: Sourced::default_value(Order::Latency),
            },
            modules: ModulesConfig {
                private: default_list(&[]),
                no_proxy: default_list(&[]),
                no_sumdb: default_list(&[]),
            },
            sumdb: SumdbConfig {
                name: Sourced::default_value("sum.golang.org".into()),
            },
            health: HealthConfig {
                probe: Sourced::default_value("golang.org/x/text@v0.3.0".into()),
                timeout: Sourced::default_value(Duration::from_millis(1500)),
                deadline: Sourced::default_value(Duration::from_secs(2)),
                ttl: Sourced::default_value(Duration::from_secs(600)),
                stale: Sourced::default_value(Duration::from_secs(86_400)),
            },
            shim: ShimConfig {
                go: None,
                respect_env: d(true),
                quiet: d(false),
            },
            force_offline: d(false),
            debug_log: d(false),
        }
    }
}

/// A list key as one file sets it: `key = [...]` replaces, `extend_key = [...]` appends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListSetting {
    pub replace: Option<SourcedList>,
    pub extend: Option<SourcedList>,
}

/// What one configuration file sets; `None` means "not set here".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    pub proxy_candidates: ListSetting,
    pub proxy_private: ListSetting,
    pub proxy_direct: Option<Sourced<bool>>,
    pub proxy_offline: Option<Sourced<Offline>>,
    pub proxy_order: Option<Sourced<Order>>,
    pub modules_private: ListSetting,
    pub modules_no_proxy: ListSetting,
    pub modules_no_sumdb: ListSetting,
    pub sumdb_name: Option<Sourced<String>>,
    pub health_probe: Option<Sourced<String>>,
    pub health_timeout: Option<Sourced<Duration>>,
    pub health_deadline: Option<Sourced<Duration>>,
    pub health_ttl: Option<Sourced<Duration>>,
    pub health_stale: Option<Sourced<Duration>>,
    pub shim_go: Option<Sourced<PathBuf>>,
    pub shim_respect_env: Option<Sourced<bool>>,
    pub shim_quiet: Option<Sourced<bool>>,
}

/// Every table and its keys, for "unknown key" errors and their suggestions.
pub const KEYS: &[(&str, &[&str])] = &[
    (
        "proxy",
        &[
            "candidates",
            "extend_candidates",
            "private",
            "extend_private",
            "direct",
            "offline",
            "order",
        ],
    ),
    (
        "modules",
        &[
            "private",
            "extend_private",
            "no_proxy",
            "extend_no_proxy",
            "no_sumdb",
            "extend_no_sumdb",
        ],
    ),
    ("sumdb", &["name"]),
    ("health", &["probe", "timeout", "deadline", "ttl", "stale"]),
    ("shim", &["go", "respect_env", "quiet"]),
];

/// Parses one configuration file's bytes.
pub fn parse_layer(path: &Path, bytes: &[u8]) -> Result<Layer, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Lines::new(bytes).invalid_at(
            path,
            e.valid_up_to(),
            "the file is not valid UTF-8",
            "save it as UTF-8 text",
        )
    })?;
    let file = File {
        path,
        lines: Lines::new(bytes),
    };
    let doc = DeTable::parse(text).map_err(|e| {
        let first = e.message().lines().next().unwrap_or("syntax error").trim();
        file.lines.invalid_at(
            path,
            e.span().map_or(0, |s| s.start),
            format!("invalid TOML: {first}"),
            "fix the TOML syntax",
        )
    })?;
    let mut layer = Layer::default();
    for (key, value) in sorted(doc.get_ref()) {
        let name = key.get_ref().as_ref();
        let Some((table, _)) = KEYS.iter().find(|(t, _)| *t == name) else {
            return Err(file.unknown(key, None));
        };
        let entries = match value.get_ref() {
            DeValue::Table(t) => t,
            other => {
                return Err(file.at(
                    value,
                    format!("{name} must be a table, not {}", type_name(other)),
                    format!("write it as a [{name}] section"),
                ));
            }
        };
        for (k, v) in sorted(entries) {
            file.set(&mut layer, table, k, v)?;
        }
    }
    Ok(layer)
}

/// Entries in file order (toml's map is sorted by key).
fn sorted<'a, 'i>(
    table: &'a DeTable<'i>,
) -> Vec<(
    &'a Spanned<toml::de::DeString<'i>>,
    &'a Spanned<DeValue<'i>>,
)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// One file being parsed.
struct File<'a> {
    path: &'a Path,
    lines: Lines<'a>,
}

impl File<'_> {
    fn at<T>(&self, spanned: &Spanned<T>, what: String, fix: String) -> ConfigError {
        self.lines
            .invalid_at(self.path, spanned.span().start, what, fix)
    }

    fn origin<T>(&self, spanned: &Spanned<T>) -> Origin {
        Origin::File {
            path: self.path.to_path_buf(),
            line: self.lines.line(spanned.span().start),
        }
    }

    fn sourced<T, U>(&self, spanned: &Spanned<T>, value: U) -> Sourced<U> {
        Sourced {
            value,
            origin: self.origin(spanned),
        }
    }

    fn unknown(&self, key: &Spanned<toml::de::DeString<'_>>, table: Option<&str>) -> ConfigError {
        let name = key.get_ref().as_ref();
        let (full, valid): (String, Vec<String>) = match table {
            Some(t) => (
                format!("{t}.{name}"),
                KEYS.iter()
                    .find(|(n, _)| *n == t)
                    .map(|(_, keys)| keys.iter().map(|k| (*k).to_string()).collect())
                    .unwrap_or_default(),
            ),
            None => (
                name.to_string(),
                KEYS.iter().map(|(t, _)| format!("[{t}]")).collect(),
            ),
        };
        let bare: Vec<String> = valid
            .iter()
            .map(|v| v.trim_matches(['[', ']']).to_string())
            .collect();
        let fix = match closest(name, &bare) {
            Some(i) => format!("did you mean {}?", valid[i]),
            None => match table {
                Some(t) => format!("remove it; [{t}] takes {}", valid.join(", ")),
                None => format!("remove it; the sections are {}", valid.join(", ")),
            },
        };
        self.at(key, format!("unknown key {full}"), fix)
    }

    fn set(
        &self,
        layer: &mut Layer,
        table: &str,
        key: &Spanned<toml::de::DeString<'_>>,
        v: &Spanned<DeValue<'_>>,
    ) -> Result<(), ConfigError> {
        let name = key.get_ref().as_ref();
        let full = format!("{table}.{name}");
        match (table, name) {
            ("proxy", "candidates") => {
                layer.proxy_candidates.replace = Some(self.list(key, v, &full, Item::Proxy)?);
            }
            ("proxy", "extend_candidates") => {
                layer.proxy_candidates.extend = Some(self.list(key, v, &full, Item::Proxy)?);
            }
            ("proxy", "private") => {
                layer.proxy_private.replace = Some(self.list(key, v, &full, Item::Proxy)?);
            }
            ("proxy", "extend_private") => {
                layer.proxy_private.extend = Some(self.list(key, v, &full, Item::Proxy)?);
            }
            ("proxy", "direct") => layer.proxy_direct = Some(self.boolean(key, v, &full)?),
            ("proxy", "offline") => {
                let word = self.word(v, &full, &["cache", "off", "direct"])?;
                let value = match word {
                    "cache" => Offline::Cache,
                    "off" => Offline::Off,
                    _ => Offline::Direct,
                };
                layer.proxy_offline = Some(self.sourced(key, value));
            }
            ("proxy", "order") => {
                let word = self.word(v, &full, &["latency", "listed"])?;
                let value = if word == "latency" {
                    Order::Latency
                } else {
                    Order::Listed
                };
                layer.proxy_order = Some(self.sourced(key, value));
            }
            ("modules", "private") => {
                layer.modules_private.replace = Some(self.list(key, v, &full, Item::Pattern)?);
            }
            ("modules", "extend_private") => {
                layer.modules_private.extend = Some(self.list(key, v, &full, Item::Pattern)?);
            }
            ("modules", "no_proxy") => {
                layer.modules_no_proxy.replace = Some(self.list(key, v, &full, Item::Pattern)?);
            }
            ("modules", "extend_no_proxy") => {
                layer.modules_no_proxy.extend = Some(self.list(key, v, &full, Item::Pattern)?);
            }
            ("modules", "no_sumdb") => {
                layer.modules_no_sumdb.replace = Some(self.list(key, v, &full, Item::Pattern)?);
            }
            ("modules", "extend_no_sumdb") => {
                layer.modules_no_sumdb.extend = Some(self.list(key, v, &full, Item::Pattern)?);
            }
            ("sumdb", "name") => {
                let s = self.string(v, &full)?;
                sumdb_problem(s).map_or(Ok(()), |(what, fix)| Err(self.at(v, what, fix)))?;
                layer.sumdb_name = Some(self.sourced(key, s.to_string()));
            }
            ("health", "probe") => {
                let s = self.string(v, &full)?;
                let ok = s.split_once('@').is_some_and(|(m, ver)| {
                    !m.is_empty() && !ver.is_empty() && !s.contains(char::is_whitespace)
                });
                if !ok {
                    return Err(self.at(
                        v,
                        format!("{full} {s:?} is not module@version"),
                        "write a module every public proxy has, e.g. probe = \"golang.org/x/text@v0.3.0\"".into(),
                    ));
                }
                layer.health_probe = Some(self.sourced(key, s.to_string()));
            }
            ("health", "timeout" | "deadline" | "ttl" | "stale") => {
                let s = self.string(v, &full)?;
                let d = duration::parse(s).ok_or_else(|| {
                    self.at(
                        v,
                        format!("bad duration {s:?} for {full}"),
                        "write a whole number and a unit, e.g. \"1500ms\", \"2s\", \"10m\" or \"24h\"".into(),
                    )
                })?;
                let slot = match name {
                    "timeout" => &mut layer.health_timeout,
                    "deadline" => &mut layer.health_deadline,
                    "ttl" => &mut layer.health_ttl,
                    _ => &mut layer.health_stale,
                };
                *slot = Some(self.sourced(key, d));
            }
            ("shim", "go") => {
                let s = self.string(v, &full)?;
                let path = Path::new(s);
                if s.is_empty() || (!path.is_absolute() && path.components().count() > 1) {
                    return Err(self.at(
                        v,
                        format!("{full} = {s:?} is neither an absolute path nor a command name"),
                        "write the real go's absolute path, e.g. go = \"/usr/local/go/bin/go\", or a name found on PATH such as \"go1.22.4\"".into(),
                    ));
                }
                layer.shim_go = Some(self.sourced(key, PathBuf::from(s)));
            }
            ("shim", "respect_env") => {
                layer.shim_respect_env = Some(self.boolean(key, v, &full)?);
            }
            ("shim", "quiet") => layer.shim_quiet = Some(self.boolean(key, v, &full)?),
            _ => return Err(self.unknown(key, Some(table))),
        }
        Ok(())
    }

    fn boolean(
        &self,
        key: &Spanned<toml::de::DeString<'_>>,
        v: &Spanned<DeValue<'_>>,
        full: &str,
    ) -> Result<Sourced<bool>, ConfigError> {
        match v.get_ref() {
            DeValue::Boolean(b) => Ok(self.sourced(key, *b)),
            other => Err(self.at(
                v,
                format!("{full} must be true or false, not {}", type_name(other)),
                format!(
                    "write {} = true or {} = false (no quotes)",
                    leaf(full),
                    leaf(full)
                ),
            )),
        }
    }

    fn string<'v>(&self, v: &'v Spanned<DeValue<'_>>, full: &str) -> Result<&'v str, ConfigError> {
        match v.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            other => Err(self.at(
                v,
                format!("{full} must be a string, not {}", type_name(other)),
                format!("put the value in double quotes: {} = \"...\"", leaf(full)),
            )),
        }
    }

    fn word<'v>(
        &self,
        v: &'v Spanned<DeValue<'_>>,
        full: &str,
        allowed: &[&str],
    ) -> Result<&'v str, ConfigError> {
        let s = self.string(v, full)?;
        if allowed.contains(&s) {
            return Ok(s);
        }
        let quoted: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
        Err(self.at(
            v,
            format!("{full} = {s:?} is not a known value"),
            format!("use one of {}", quoted.join(", ")),
        ))
    }

    fn list(
        &self,
        key: &Spanned<toml::de::DeString<'_>>,
        v: &Spanned<DeValue<'_>>,
        full: &str,
        item: Item,
    ) -> Result<SourcedList, ConfigError> {
        let DeValue::Array(array) = v.get_ref() else {
            return Err(self.at(
                v,
                format!(
                    "{full} must be an array of strings, not {}",
                    type_name(v.get_ref())
                ),
                format!("write {} = [\"...\", \"...\"]", leaf(full)),
            ));
        };
        let mut items = Vec::new();
        for element in array {
            let s = match element.get_ref() {
                DeValue::String(s) => s.as_ref(),
                other => {
                    return Err(self.at(
                        element,
                        format!("{full} must hold strings, not {}", type_name(other)),
                        "put each entry in double quotes".into(),
                    ));
                }
            };
            let checked = match item {
                Item::Proxy => check_proxy(full, s),
                Item::Pattern => pattern_problem(s).map_or_else(
                    || Ok(s.to_string()),
                    |(what, fix)| Err((format!("{full} entry {s:?} {what}"), fix)),
                ),
            };
            let value = checked.map_err(|(what, fix)| self.at(element, what, fix))?;
            items.push(self.sourced(element, value));
        }
        Ok(self.sourced(key, items))
    }
}

#[derive(Clone, Copy)]
enum Item {
    Proxy,
    Pattern,
}

fn leaf(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}

/// The URL go would use for a proxy entry, or why go would reject it as (what is wrong, how to
/// fix it). Go's GOPROXY rules decide (`goenv::proxy`).
fn check_proxy(full: &str, s: &str) -> Result<String, (String, String)> {
    use crate::goenv::proxy::{ProxyListError, validate_proxy_url};
    validate_proxy_url(s).map_err(|e| {
        let fix = match e {
            ProxyListError::Keyword(_) => {
                "remove it; use direct = true or offline = \"off\" in [proxy]"
            }
            ProxyListError::Separator(_) => {
                "write one proxy URL per string: [\"https://a.example\", \"https://b.example\"]"
            }
            _ => "write an http(s) URL such as \"https://goproxy.example\" or \"file:///abs/dir\"",
        };
        (format!("{full}: {e}"), fix.to_string())
    })
}

/// Why a module path pattern cannot be used, as (what is wrong, how to fix it).
fn pattern_problem(s: &str) -> Option<(String, String)> {
    if s.contains(char::is_whitespace) {
        return Some((
            "contains a space; go matches patterns literally, so it would never match".into(),
            "remove the spaces and write one pattern per string: [\"a.example\", \"*.a.example\"]"
                .into(),
        ));
    }
    if s.contains(',') {
        return Some((
            "contains a comma".into(),
            "write one pattern per string: [\"a.example\", \"*.a.example\"]".into(),
        ));
    }
    if s.is_empty() {
        return Some((
            "is empty".into(),
            "remove it or write a module path pattern such as \"git.corp.example\"".into(),
        ));
    }
    let glob = s.strip_suffix('/').unwrap_or(s);
    if crate::goenv::pattern::path_match(glob, "").is_err() {
        return Some((
            "is a malformed glob, which go silently never matches".into(),
            "close every [ ] class and escape a literal [ as \\\\[".into(),
        ));
    }
    None
}

/// Why a `[sumdb] name` cannot be used, as (what is wrong, how to fix it).
fn sumdb_problem(s: &str) -> Option<(String, String)> {
    if s == "off" {
        return Some((
            "sumdb.name = \"off\" would turn checksum verification off, which goshim never does"
                .into(),
            "remove it; to skip the checksum database for private modules list them in [modules] no_sumdb"
                .into(),
        ));
    }
    if s.trim().is_empty() {
        return Some((
            "sumdb.name is empty".into(),
            "write a checksum database name such as \"sum.golang.org\"".into(),
        ));
    }
    None
}

/// Index of the candidate closest to `word` by edit distance, if it is close enough.
fn closest(word: &str, candidates: &[String]) -> Option<usize> {
    let word = word.to_ascii_lowercase().replace('-', "_");
    candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (i, edit_distance(&word, c)))
        .filter(|(_, d)| *d <= 2.max(word.chars().count() / 3))
        .min_by_key(|(_, d)| *d)
        .map(|(i, _)| i)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Layer, String> {
        parse_layer(Path::new("/p/.gomodrc"), text.as_bytes()).map_err(|e| e.to_string())
    }

    fn at(line: usize) -> Origin {
        Origin::File {
            path: PathBuf::from("/p/.gomodrc"),
            line,
        }
    }

    #[test]
    fn parses_every_key_with_its_line() {
        let layer = parse(
            r#"
[proxy]
candidates = [
  "https://goproxy.cn",
  "https://proxy.golang.org",
]
extend_private = ["https://athens.corp.example"]
direct = false
offline = "off"
order = "listed"

[modules]
private = ["git.corp.example", "*.git.corp.example"]
no_proxy = []
extend_no_sumdb = ["git.corp.example"]

[sumdb]
name = "sum.golang.google.cn"

[health]
probe = "golang.org/x/mod@v0.1.0"
timeout = "500ms"
deadline = "3s"
ttl = "5m"
stale = "1h"

[shim]
go = "/usr/local/go/bin/go"
respect_env = false
quiet = true
"#,
        )
        .unwrap();
        let cands = layer.proxy_candidates.replace.unwrap();
        assert_eq!(cands.origin, at(3));
        assert_eq!(
            cands.value,
            vec![
                Sourced {
                    value: "https://goproxy.cn".into(),
                    origin: at(4)
                },
                Sourced {
                    value: "https://proxy.golang.org".into(),
                    origin: at(5)
                },
            ]
        );
        assert!(layer.proxy_candidates.extend.is_none());
        assert_eq!(
            layer.proxy_private.extend.unwrap().value[0].value,
            "https://athens.corp.example"
        );
        assert_eq!(
            layer.proxy_direct,
            Some(Sourced {
                value: false,
                origin: at(8)
            })
        );
        assert_eq!(layer.proxy_offline.unwrap().value, Offline::Off);
        assert_eq!(layer.proxy_order.unwrap().value, Order::Listed);
        assert_eq!(layer.modules_private.replace.unwrap().value.len(), 2);
        assert_eq!(layer.modules_no_proxy.replace.unwrap().value, vec![]);
        assert_eq!(layer.modules_no_sumdb.extend.unwrap().value.len(), 1);
        assert_eq!(layer.sumdb_name.unwrap().value, "sum.golang.google.cn");
        assert_eq!(layer.health_probe.unwrap().value, "golang.org/x/mod@v0.1.0");
        assert_eq!(
            layer.health_timeout.unwrap().value,
            Duration::from_millis(500)
        );
        assert_eq!(layer.health_deadline.unwrap().value, Duration::from_secs(3));
        assert_eq!(layer.health_ttl.unwrap().value, Duration::from_secs(300));
        assert_eq!(
            layer.health_stale,
            Some(Sourced {
                value: Duration::from_secs(3600),
                origin: at(25)
            })
        );
        assert_eq!(
            layer.shim_go.unwrap().value,
            PathBuf::from("/usr/local/go/bin/go")
        );
        assert!(!layer.shim_respect_env.unwrap().value);
        assert!(layer.shim_quiet.unwrap().value);
    }

    #[test]
    fn empty_and_dotted_files() {
        assert_eq!(parse("").unwrap(), Layer::default());
        assert_eq!(parse("# nothing\n").unwrap(), Layer::default());
        let layer = parse("shim.quiet = true\n").unwrap();
        assert_eq!(
            layer.shim_quiet,
            Some(Sourced {
                value: true,
                origin: at(1)
            })
        );
    }

    const HINT: &str = "(GOSHIM_DISABLE=1 runs go without goshim)";

    #[test]
    fn error_malformed_toml() {
        assert_eq!(
            parse("[proxy]\ndirect = \n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:10: invalid TOML: string values must be quoted, expected literal string; fix the TOML syntax {HINT}"
            )
        );
    }

    #[test]
    fn error_unknown_key_with_suggestion() {
        assert_eq!(
            parse("[proxy]\ncandidate = []\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:1: unknown key proxy.candidate; did you mean candidates? {HINT}"
            )
        );
        assert_eq!(
            parse("[proxy]\nno-proxy = []\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:1: unknown key proxy.no-proxy; remove it; [proxy] takes candidates, extend_candidates, private, extend_private, direct, offline, order {HINT}"
            )
        );
        assert_eq!(
            parse("[modules]\nno-proxy = []\n").unwrap_err(),
            format!("/p/.gomodrc:2:1: unknown key modules.no-proxy; did you mean no_proxy? {HINT}")
        );
        assert_eq!(
            parse("\n[helth]\n").unwrap_err(),
            format!("/p/.gomodrc:2:2: unknown key helth; did you mean [health]? {HINT}")
        );
        assert_eq!(
            parse("colour = 1\n").unwrap_err(),
            format!(
                "/p/.gomodrc:1:1: unknown key colour; remove it; the sections are [proxy], [modules], [sumdb], [health], [shim] {HINT}"
            )
        );
    }

    #[test]
    fn error_bad_duration() {
        assert_eq!(
            parse("[health]\ntimeout = \"2 seconds\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:11: bad duration \"2 seconds\" for health.timeout; write a whole number and a unit, e.g. \"1500ms\", \"2s\", \"10m\" or \"24h\" {HINT}"
            )
        );
    }

    #[test]
    fn error_pattern_with_spaces() {
        assert_eq!(
            parse("[modules]\nprivate = [\"a.example\", \"b.example, c.example\"]\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:25: modules.private entry \"b.example, c.example\" contains a space; go matches patterns literally, so it would never match; remove the spaces and write one pattern per string: [\"a.example\", \"*.a.example\"] {HINT}"
            )
        );
    }

    #[test]
    fn error_malformed_glob() {
        assert_eq!(
            parse("[modules]\nno_sumdb = [\"git.corp.example/[abc\"]\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:13: modules.no_sumdb entry \"git.corp.example/[abc\" is a malformed glob, which go silently never matches; close every [ ] class and escape a literal [ as \\\\[ {HINT}"
            )
        );
    }

    #[test]
    fn error_wrong_types_and_values() {
        assert_eq!(
            parse("[proxy]\ndirect = \"yes\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:10: proxy.direct must be true or false, not a string; write direct = true or direct = false (no quotes) {HINT}"
            )
        );
        assert_eq!(
            parse("[proxy]\noffline = \"never\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:11: proxy.offline = \"never\" is not a known value; use one of \"cache\", \"off\", \"direct\" {HINT}"
            )
        );
        assert_eq!(
            parse("proxy = 3\n").unwrap_err(),
            format!(
                "/p/.gomodrc:1:9: proxy must be a table, not an integer; write it as a [proxy] section {HINT}"
            )
        );
        assert_eq!(
            parse("[proxy]\ncandidates = \"https://goproxy.cn\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:14: proxy.candidates must be an array of strings, not a string; write candidates = [\"...\", \"...\"] {HINT}"
            )
        );
        assert_eq!(
            parse("[sumdb]\nname = \"off\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:8: sumdb.name = \"off\" would turn checksum verification off, which goshim never does; remove it; to skip the checksum database for private modules list them in [modules] no_sumdb {HINT}"
            )
        );
        assert_eq!(
            parse("[health]\nprobe = \"golang.org/x/text\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:9: health.probe \"golang.org/x/text\" is not module@version; write a module every public proxy has, e.g. probe = \"golang.org/x/text@v0.3.0\" {HINT}"
            )
        );
    }

    #[test]
    fn error_proxy_entries_that_are_not_one_proxy() {
        assert_eq!(
            parse("[proxy]\ncandidates = [\"https://a.example,https://b.example\"]\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:15: proxy.candidates: proxy URL \"https://a.example,https://b.example\" contains a GOPROXY list separator (',' or '|'); write one proxy URL per string: [\"https://a.example\", \"https://b.example\"] {HINT}"
            )
        );
        assert_eq!(
            parse("[proxy]\nprivate = [\"direct\"]\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:12: proxy.private: \"direct\" is a GOPROXY keyword, not a proxy URL; remove it; use direct = true or offline = \"off\" in [proxy] {HINT}"
            )
        );
    }

    #[test]
    fn error_relative_shim_go() {
        assert_eq!(
            parse("[shim]\ngo = \"bin/go\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:6: shim.go = \"bin/go\" is neither an absolute path nor a command name; write the real go's absolute path, e.g. go = \"/usr/local/go/bin/go\", or a name found on PATH such as \"go1.22.4\" {HINT}"
            )
        );
        assert!(parse("[shim]\ngo = \"go1.22.4\"\n").is_ok());
    }

    #[test]
    fn error_proxy_url_go_rejects() {
        assert_eq!(
            parse("[proxy]\ncandidates = [\"ftp://mirror.example\"]\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:15: proxy.candidates: invalid proxy URL scheme (must be https, http, file): ftp://mirror.example; write an http(s) URL such as \"https://goproxy.example\" or \"file:///abs/dir\" {HINT}"
            )
        );
        assert_eq!(
            parse("[proxy]\nprivate = [\"athens\"]\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:12: proxy.private: invalid proxy URL missing scheme: athens; write an http(s) URL such as \"https://goproxy.example\" or \"file:///abs/dir\" {HINT}"
            )
        );
        assert_eq!(
            parse("[proxy]\nprivate = [\"file://host/dir\"]\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:12: proxy.private: invalid file:// proxy URL with non-path elements: file://host/dir; write an http(s) URL such as \"https://goproxy.example\" or \"file:///abs/dir\" {HINT}"
            )
        );
    }

    #[test]
    fn proxy_entries_are_stored_as_go_would_use_them() {
        let layer =
            parse("[proxy]\ncandidates = [\"goproxy.cn\", \"http://127.0.0.1:8080/p\"]\n").unwrap();
        let urls: Vec<String> = layer
            .proxy_candidates
            .replace
            .unwrap()
            .value
            .into_iter()
            .map(|s| s.value)
            .collect();
        assert_eq!(urls, ["https://goproxy.cn", "http://127.0.0.1:8080/p"]);
    }

    #[test]
    fn error_not_utf8() {
        assert_eq!(
            parse_layer(Path::new("/p/.gomodrc"), b"[proxy]\ndi\xffrect = true\n")
                .unwrap_err()
                .to_string(),
            format!("/p/.gomodrc:2:3: the file is not valid UTF-8; save it as UTF-8 text {HINT}")
        );
    }

    #[test]
    fn closest_suggests_only_near_names() {
        let keys: Vec<String> = ["candidates", "private", "direct"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("candidate", &keys), Some(0));
        assert_eq!(closest("Direct", &keys), Some(2));
        assert_eq!(closest("zzz", &keys), None);
    }

    #[test]
    fn every_entry_of_a_long_list_keeps_its_own_line() {
        let entries: Vec<String> = (0..20_000)
            .map(|i| format!("  \"m{i}.example\","))
            .collect();
        let text = format!("[modules]\nprivate = [\n{}\n]\n", entries.join("\n"));
        let list = parse(&text).unwrap().modules_private.replace.unwrap();
        assert_eq!(list.origin, at(2));
        assert_eq!(list.value.len(), 20_000);
        for (i, entry) in list.value.iter().enumerate() {
            assert_eq!(entry.origin, at(i + 3));
        }
    }
}
