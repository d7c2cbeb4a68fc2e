//! List values: `key = [...]` and `extend_key = [...]`, each entry checked on its own and kept
//! with its own line. A list is [`List`] of a [`ListItem`]: [`ProxyUrl`] or [`Pattern`].

use std::marker::PhantomData;

use toml::Spanned;
use toml::de::{DeString, DeValue};

use super::key::{Gate, Kind};
use super::kinds::common_trust_text;
use super::merge::Merging;
use super::parse::File;
use super::schema::{Config, SourcedList};
use super::{ConfigError, Origin, Sourced};

/// A list key as one file sets it: `key = [...]` replaces, `extend_key = [...]` appends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListSetting {
    pub replace: Option<SourcedList>,
    pub extend: Option<SourcedList>,
}

/// What one entry of a list is.
pub trait ListItem: 'static {
    /// How the README names the entries.
    const KIND: &'static str;
    /// The entry as goshim stores it, or why it cannot be used, as (what is wrong, how to fix
    /// it); `full` is the key as written.
    fn check(full: &str, entry: &str) -> Result<String, (String, String)>;
}

/// A list of `I`.
#[derive(Debug)]
pub struct List<I>(PhantomData<I>);

impl<I: ListItem> Kind for List<I> {
    type Merged = SourcedList;
    type Layered = ListSetting;
    type Item = String;
    type Default = &'static [&'static str];
    const LIST: bool = true;

    fn kind() -> String {
        format!("list of {}", I::KIND)
    }

    fn merged(default: Self::Default) -> SourcedList {
        Sourced::default_value(
            default
                .iter()
                .map(|s| Sourced::default_value((*s).to_string()))
                .collect(),
        )
    }

    fn parse(
        file: &File<'_>,
        key: &Spanned<DeString<'_>>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
        extend: bool,
        slot: &mut ListSetting,
    ) -> Result<(), ConfigError> {
        let list = file.list(key, value, full, I::check)?;
        if extend {
            slot.extend = Some(list);
        } else {
            slot.replace = Some(list);
        }
        Ok(())
    }

    fn apply(
        m: &mut Merging<'_>,
        key: &'static str,
        new: ListSetting,
        gate: &Gate<String>,
        slot: fn(&mut Config) -> &mut SourcedList,
        trusted: fn(&Config) -> &SourcedList,
    ) {
        m.list(key, new, gate, slot, trusted);
    }

    fn shown(merged: &SourcedList) -> Vec<(String, &Origin)> {
        merged
            .value
            .iter()
            .map(|s| (s.value.clone(), &s.origin))
            .collect()
    }

    fn written(merged: &SourcedList) -> String {
        let items: Vec<String> = merged
            .value
            .iter()
            .map(|s| format!("{:?}", s.value))
            .collect();
        format!("[{}]", items.join(", "))
    }

    fn trust_text(gate: &Gate<String>) -> String {
        match gate {
            Gate::Narrowing(extra) => {
                let mut text = "may only reorder or drop what the trusted layers list".to_string();
                if !extra.is_empty() {
                    text.push_str(&format!(", or add {}", extra.join(", ")));
                }
                text
            }
            other => common_trust_text(other),
        }
    }
}

/// A proxy URL, stored as go would use it (`goproxy.cn` is `https://goproxy.cn`).
#[derive(Debug)]
pub struct ProxyUrl;

impl ListItem for ProxyUrl {
    const KIND: &'static str = "proxy URLs";

    /// Go's GOPROXY rules decide (`goenv::proxy`).
    fn check(full: &str, entry: &str) -> Result<String, (String, String)> {
        use crate::goenv::proxy::{ProxyListError, validate_proxy_url};
        validate_proxy_url(entry).map_err(|e| {
            let fix = match e {
                ProxyListError::Keyword(_) => {
                    "remove it; use direct = true or offline = \"off\" in [proxy]"
                }
                ProxyListError::Separator(_) => {
                    "write one proxy URL per string: [\"https://a.example\", \"https://b.example\"]"
                }
                _ => {
                    "write an http(s) URL such as \"https://goproxy.example\" or \"file:///abs/dir\""
                }
            };
            (format!("{full}: {e}"), fix.to_string())
        })
    }
}

/// A module path pattern (go's glob, one per entry).
#[derive(Debug)]
pub struct Pattern;

impl ListItem for Pattern {
    const KIND: &'static str = "module path patterns";

    fn check(full: &str, entry: &str) -> Result<String, (String, String)> {
        match pattern_problem(entry) {
            None => Ok(entry.to_string()),
            Some((what, fix)) => Err((format!("{full} entry {entry:?} {what}"), fix)),
        }
    }
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

#[cfg(test)]
mod tests {
    use crate::config::parse::test_support::{HINT, parse};

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
            .proxy
            .candidates
            .replace
            .unwrap()
            .value
            .into_iter()
            .map(|s| s.value)
            .collect();
        assert_eq!(urls, ["https://goproxy.cn", "http://127.0.0.1:8080/p"]);
    }
}
