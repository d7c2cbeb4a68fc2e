//! One configuration file → one [`Layer`]: what it sets, every value with its file and line.
//!
//! The parser walks toml's span-carrying document by hand (rather than through serde) so that
//! every value keeps its line and every error points at the exact key or value. Which keys
//! exist and how each value is read comes from the key table ([`super::schema`]); an unknown key
//! gets a "did you mean" from it.
//!
//! Positions: the file's line starts are found once ([`Lines`]), so each value's line is a binary
//! search — a `.gomodrc` of a million list entries costs linear time, not quadratic.

use std::path::Path;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::schema::{KEYS, Layer, SECTIONS, SourcedList};
use super::{ConfigError, Origin, Sourced};

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
        let Some(&table) = SECTIONS.iter().find(|t| **t == name) else {
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
            if !layer.set(&file, table, k, v)? {
                return Err(file.unknown(k, Some(table)));
            }
        }
    }
    Ok(layer)
}

/// Entries in file order (toml's map is sorted by key).
fn sorted<'a, 'i>(
    table: &'a DeTable<'i>,
) -> Vec<(&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// How errors name a TOML value's type.
pub fn type_name(v: &DeValue<'_>) -> &'static str {
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

/// The key inside its table: `candidates` of `proxy.candidates`.
pub fn leaf(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}

/// Checks one list entry of key `full`: the entry as goshim stores it, or (what is wrong, how to
/// fix it).
pub type CheckEntry = fn(full: &str, entry: &str) -> Result<String, (String, String)>;

/// Where each line of a file starts, found once, so a byte offset's line is a binary search.
pub struct Lines<'a> {
    bytes: &'a [u8],
    /// Byte offset of every line's first byte; the first is 0.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let starts = std::iter::once(0)
            .chain(
                bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Lines { bytes, starts }
    }

    /// 1-based line of byte `offset`; offsets past the end are on the last line.
    pub fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.bytes.len());
        self.starts.partition_point(|&start| start <= offset)
    }

    /// 1-based line and column (in characters) of byte `offset`; offsets past the end point
    /// just after the last character.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.bytes.len());
        let line = self.line(offset);
        let start = self.starts[line - 1];
        let col = String::from_utf8_lossy(&self.bytes[start..offset])
            .chars()
            .count()
            + 1;
        (line, col)
    }

    /// The error for `what` at byte `offset` of the file at `path`.
    fn invalid_at(
        &self,
        path: &Path,
        offset: usize,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        let (line, col) = self.line_col(offset);
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            col,
            what: what.into(),
            fix: fix.into(),
        }
    }
}

/// One file being parsed: what the kinds ([`super::kinds`]) read values through.
pub struct File<'a> {
    path: &'a Path,
    lines: Lines<'a>,
}

impl File<'_> {
    /// The error for `what` at `spanned`, with `fix`.
    pub fn at<T>(&self, spanned: &Spanned<T>, what: String, fix: String) -> ConfigError {
        self.lines
            .invalid_at(self.path, spanned.span().start, what, fix)
    }

    /// The origin of `spanned`: this file, at its line.
    pub fn origin<T>(&self, spanned: &Spanned<T>) -> Origin {
        Origin::File {
            path: self.path.to_path_buf(),
            line: self.lines.line(spanned.span().start),
        }
    }

    /// `value` with the origin of `spanned`.
    pub fn sourced<T, U>(&self, spanned: &Spanned<T>, value: U) -> Sourced<U> {
        Sourced {
            value,
            origin: self.origin(spanned),
        }
    }

    fn unknown(&self, key: &Spanned<DeString<'_>>, table: Option<&str>) -> ConfigError {
        let name = key.get_ref().as_ref();
        let (full, valid): (String, Vec<String>) = match table {
            Some(t) => (
                format!("{t}.{name}"),
                KEYS.iter()
                    .filter(|k| k.table == t)
                    .flat_map(super::key::Key::spellings)
                    .collect(),
            ),
            None => (
                name.to_string(),
                SECTIONS.iter().map(|t| format!("[{t}]")).collect(),
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

    /// The string value of key `full`.
    pub fn string<'v>(
        &self,
        v: &'v Spanned<DeValue<'_>>,
        full: &str,
    ) -> Result<&'v str, ConfigError> {
        match v.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            other => Err(self.at(
                v,
                format!("{full} must be a string, not {}", type_name(other)),
                format!("put the value in double quotes: {} = \"...\"", leaf(full)),
            )),
        }
    }

    /// The value of key `full`, which must be one of `allowed`.
    pub fn word<'v>(
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

    /// The array of strings of key `full`, each entry through `check` and with its own line.
    pub fn list(
        &self,
        key: &Spanned<DeString<'_>>,
        v: &Spanned<DeValue<'_>>,
        full: &str,
        check: CheckEntry,
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
        let mut items = Vec::with_capacity(array.len());
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
            let value = check(full, s).map_err(|(what, fix)| self.at(element, what, fix))?;
            items.push(self.sourced(element, value));
        }
        Ok(self.sourced(key, items))
    }
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

/// What the parsing tests of every config file share: one `.gomodrc` at a fixed path.
#[cfg(test)]
pub(super) mod test_support {
    use std::path::Path;

    use super::parse_layer;
    use crate::config::schema::Layer;

    /// The hint every config error ends with, as users read it.
    pub const HINT: &str = "(GOSHIM_DISABLE=1 runs go without goshim)";

    /// `text` parsed as `/p/.gomodrc`, or its error as printed.
    pub fn parse(text: &str) -> Result<Layer, String> {
        parse_layer(Path::new("/p/.gomodrc"), text.as_bytes()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::test_support::{HINT, parse};
    use super::*;
    use crate::config::schema::{Offline, Order};

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
        let cands = layer.proxy.candidates.replace.unwrap();
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
        assert!(layer.proxy.candidates.extend.is_none());
        assert_eq!(
            layer.proxy.private.extend.unwrap().value[0].value,
            "https://athens.corp.example"
        );
        assert_eq!(
            layer.proxy.direct,
            Some(Sourced {
                value: false,
                origin: at(8)
            })
        );
        assert_eq!(layer.proxy.offline.unwrap().value, Offline::Off);
        assert_eq!(layer.proxy.order.unwrap().value, Order::Listed);
        assert_eq!(layer.modules.private.replace.unwrap().value.len(), 2);
        assert_eq!(layer.modules.no_proxy.replace.unwrap().value, vec![]);
        assert_eq!(layer.modules.no_sumdb.extend.unwrap().value.len(), 1);
        assert_eq!(layer.sumdb.name.unwrap().value, "sum.golang.google.cn");
        assert_eq!(layer.health.probe.unwrap().value, "golang.org/x/mod@v0.1.0");
        assert_eq!(
            layer.health.timeout.unwrap().value,
            Duration::from_millis(500)
        );
        assert_eq!(layer.health.deadline.unwrap().value, Duration::from_secs(3));
        assert_eq!(layer.health.ttl.unwrap().value, Duration::from_secs(300));
        assert_eq!(
            layer.health.stale,
            Some(Sourced {
                value: Duration::from_secs(3600),
                origin: at(25)
            })
        );
        assert_eq!(
            layer.shim.go.unwrap().value,
            PathBuf::from("/usr/local/go/bin/go")
        );
        assert!(!layer.shim.respect_env.unwrap().value);
        assert!(layer.shim.quiet.unwrap().value);
    }

    #[test]
    fn empty_and_dotted_files() {
        assert_eq!(parse("").unwrap(), Layer::default());
        assert_eq!(parse("# nothing\n").unwrap(), Layer::default());
        let layer = parse("shim.quiet = true\n").unwrap();
        assert_eq!(
            layer.shim.quiet,
            Some(Sourced {
                value: true,
                origin: at(1)
            })
        );
    }

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
                "/p/.gomodrc:1:1: unknown key colour; remove it; the sections are [proxy], [modules], [sumdb], [health], [shim], [router] {HINT}"
            )
        );
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
            .map(std::string::ToString::to_string)
            .collect();
        assert_eq!(closest("candidate", &keys), Some(0));
        assert_eq!(closest("Direct", &keys), Some(2));
        assert_eq!(closest("zzz", &keys), None);
    }

    #[test]
    fn line_col_counts_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        let lines = Lines::new(text.as_bytes());
        assert_eq!(lines.line_col(0), (1, 1));
        assert_eq!(lines.line_col(6), (2, 1));
        // after "bé " (é is two bytes)
        assert_eq!(lines.line_col(10), (2, 4));
        assert_eq!(lines.line_col(1000), (3, 1));
    }

    #[test]
    #[allow(clippy::naive_bytecount, reason = "the oracle counts the obvious way")]
    fn line_lookup_agrees_with_counting_newlines() {
        for text in ["", "x", "\n", "x\n\n  yé\nz\n\n", "\n\nab\r\nc"] {
            let lines = Lines::new(text.as_bytes());
            for offset in 0..=text.len() + 2 {
                let before = &text.as_bytes()[..offset.min(text.len())];
                let counted = before.iter().filter(|&&b| b == b'\n').count() + 1;
                assert_eq!(lines.line(offset), counted, "{text:?} at {offset}");
            }
        }
    }

    #[test]
    fn every_entry_of_a_long_list_keeps_its_own_line() {
        let entries: Vec<String> = (0..20_000)
            .map(|i| format!("  \"m{i}.example\","))
            .collect();
        let text = format!("[modules]\nprivate = [\n{}\n]\n", entries.join("\n"));
        let list = parse(&text).unwrap().modules.private.replace.unwrap();
        assert_eq!(list.origin, at(2));
        assert_eq!(list.value.len(), 20_000);
        for (i, entry) in list.value.iter().enumerate() {
            assert_eq!(entry.origin, at(i + 3));
        }
    }

    #[test]
    fn parses_the_router_keys() {
        let layer = parse(
            "[router]\nenabled = false\nhedge_delay = \"250ms\"\nattempt_timeout = \"10s\"\nrequest_timeout = \"5m\"\nretries = 0\n",
        )
        .unwrap();
        let r = layer.router;
        assert_eq!(
            r.enabled,
            Some(Sourced {
                value: false,
                origin: at(2)
            })
        );
        assert_eq!(r.hedge_delay.unwrap().value, Duration::from_millis(250));
        assert_eq!(r.attempt_timeout.unwrap().value, Duration::from_secs(10));
        assert_eq!(
            r.request_timeout,
            Some(Sourced {
                value: Duration::from_secs(300),
                origin: at(5)
            })
        );
        assert_eq!(
            r.retries,
            Some(Sourced {
                value: 0,
                origin: at(6)
            })
        );
        assert_eq!(
            parse("[router]\nhedge_dealy = \"1s\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:1: unknown key router.hedge_dealy; did you mean hedge_delay? {HINT}"
            )
        );
        assert_eq!(
            parse("[router]\nretrys = 2\n").unwrap_err(),
            format!("/p/.gomodrc:2:1: unknown key router.retrys; did you mean retries? {HINT}")
        );
        assert_eq!(
            parse("[router]\nhedge = 2\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:1: unknown key router.hedge; remove it; [router] takes enabled, hedge_delay, attempt_timeout, request_timeout, retries {HINT}"
            )
        );
    }
}
