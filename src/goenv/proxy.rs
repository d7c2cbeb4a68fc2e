//! GOPROXY lists, parsed exactly as `modfetch/proxy.go: proxyList` does, and written back in
//! canonical form.

use std::fmt;

use thiserror::Error;

use super::gourl;

/// What go does after an error from an entry: decided by the separator that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fallback {
    /// Followed by `,` (or last): move on only on "not found" (HTTP 404/410).
    OnNotFound,
    /// Followed by `|`: move on after any error.
    OnAnyError,
}

/// Scheme of a proxy URL go accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProxyScheme {
    Http,
    Https,
    File,
}

/// One GOPROXY entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProxyEntry {
    /// The implicit first entry go adds when GONOPROXY is non-empty and GOPROXY is not exactly
    /// `direct`: modules matching GONOPROXY are fetched directly.
    Noproxy,
    /// `direct`: fetch from the VCS; ends the list.
    Direct,
    /// `off`: fail; ends the list.
    Off,
    /// A proxy URL, after go's `https://` inference.
    Url { url: String, scheme: ProxyScheme },
}

/// An entry with its fallback mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProxySpec {
    pub entry: ProxyEntry,
    pub fallback: Fallback,
}

/// A parsed GOPROXY list. `Display` writes it back canonically (`url,url|direct`), without the
/// implicit `noproxy` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProxyList {
    pub entries: Vec<ProxySpec>,
}

impl ProxyList {
    /// The entries go will actually walk, without the implicit `noproxy`.
    pub fn explicit(&self) -> impl Iterator<Item = &ProxySpec> {
        self.entries
            .iter()
            .filter(|s| s.entry != ProxyEntry::Noproxy)
    }
}

/// A GOPROXY value go would reject, with go's own error text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProxyListError {
    #[error("{0}")]
    Parse(String),
    #[error("invalid proxy URL missing scheme: {0}")]
    MissingScheme(String),
    #[error("invalid proxy URL scheme (must be https, http, file): {0}")]
    BadScheme(String),
    #[error("invalid file:// proxy URL with non-path elements: {0}")]
    FileNonPath(String),
    #[error("GOPROXY list is not the empty string, but contains no entries")]
    NoEntries,
    /// Only from [`validate_proxy_url`]: a keyword where a URL was expected.
    #[error("{0:?} is a GOPROXY keyword, not a proxy URL")]
    Keyword(String),
    /// Only from [`validate_proxy_url`]: a separator inside what should be one URL.
    #[error("proxy URL {0:?} contains a GOPROXY list separator (',' or '|')")]
    Separator(String),
}

/// Parses a GOPROXY value as go does at the first module lookup. `gonoproxy_nonempty` is whether
/// the effective GONOPROXY (after its GOPRIVATE fallback) is non-empty; it adds the implicit
/// `noproxy` entry unless GOPROXY is exactly `direct`. An empty `goproxy` gives the
/// "contains no entries" error, as go's fetch does.
pub fn parse_proxy_list(
    goproxy: &str,
    gonoproxy_nonempty: bool,
) -> Result<ProxyList, ProxyListError> {
    let mut entries = Vec::new();
    if gonoproxy_nonempty && goproxy != "direct" {
        entries.push(ProxySpec {
            entry: ProxyEntry::Noproxy,
            fallback: Fallback::OnNotFound,
        });
    }
    let mut rest = goproxy;
    while !rest.is_empty() {
        let (raw, fallback) = if let Some(i) = rest.find([',', '|']) {
            let f = if rest.as_bytes()[i] == b'|' {
                Fallback::OnAnyError
            } else {
                Fallback::OnNotFound
            };
            let raw = &rest[..i];
            rest = &rest[i + 1..];
            (raw, f)
        } else {
            let raw = rest;
            rest = "";
            (raw, Fallback::OnNotFound)
        };
        let raw = raw.trim_matches(is_go_space);
        if raw.is_empty() {
            continue;
        }
        let entry = parse_entry(raw)?;
        let stop = matches!(entry, ProxyEntry::Off | ProxyEntry::Direct);
        let fallback = if stop { Fallback::OnNotFound } else { fallback };
        entries.push(ProxySpec { entry, fallback });
        if stop {
            break;
        }
    }
    if entries.is_empty() || (entries.len() == 1 && entries[0].entry == ProxyEntry::Noproxy) {
        return Err(ProxyListError::NoEntries);
    }
    Ok(ProxyList { entries })
}

/// Validates ONE proxy URL as a GOPROXY entry: go's `https://` inference, then `url.Parse` and
/// the scheme and `file://` checks. Returns the URL go would use.
pub fn validate_proxy_url(s: &str) -> Result<String, ProxyListError> {
    if s.contains([',', '|']) {
        return Err(ProxyListError::Separator(s.to_string()));
    }
    match parse_entry(s.trim_matches(is_go_space))? {
        ProxyEntry::Url { url, .. } => Ok(url),
        _ => Err(ProxyListError::Keyword(s.to_string())),
    }
}

/// Whether two proxy URLs name the same proxy: a trailing `/` makes no difference to the
/// requests go sends (it joins `/<module>/@v/...` and `/sumdb/...` onto either form alike).
pub fn same_proxy(a: &str, b: &str) -> bool {
    proxy_key(a) == proxy_key(b)
}

/// A proxy URL as [`same_proxy`] compares it: equal proxies have equal keys (for sets).
pub fn proxy_key(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// Whitespace as Go's `strings.TrimSpace` sees it (Unicode White_Space).
fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

/// One trimmed, non-empty entry: keywords, inference, `newProxyRepo`'s checks.
fn parse_entry(raw: &str) -> Result<ProxyEntry, ProxyListError> {
    match raw {
        "off" => return Ok(ProxyEntry::Off),
        "direct" => return Ok(ProxyEntry::Direct),
        _ => {}
    }
    let url = if raw.contains(['.', ':', '/'])
        && !raw.contains(":/")
        && !std::path::Path::new(raw).is_absolute()
        && !raw.starts_with('/')
    {
        format!("https://{raw}")
    } else {
        raw.to_string()
    };
    let parsed = gourl::parse(&url).map_err(ProxyListError::Parse)?;
    let scheme = match parsed.scheme.as_str() {
        "http" => ProxyScheme::Http,
        "https" => ProxyScheme::Https,
        "file" => {
            if !parsed.is_path_only() {
                return Err(ProxyListError::FileNonPath(parsed.redacted()));
            }
            ProxyScheme::File
        }
        "" => return Err(ProxyListError::MissingScheme(parsed.redacted())),
        _ => return Err(ProxyListError::BadScheme(parsed.redacted())),
    };
    Ok(ProxyEntry::Url { url, scheme })
}

impl fmt::Display for ProxyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyEntry::Noproxy => f.write_str("noproxy"),
            ProxyEntry::Direct => f.write_str("direct"),
            ProxyEntry::Off => f.write_str("off"),
            ProxyEntry::Url { url, .. } => f.write_str(url),
        }
    }
}

impl fmt::Display for ProxyList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<&ProxySpec> = self.explicit().collect();
        for (i, spec) in entries.iter().enumerate() {
            write!(f, "{}", spec.entry)?;
            match spec.fallback {
                Fallback::OnAnyError => f.write_str("|")?,
                Fallback::OnNotFound if i + 1 < entries.len() => f.write_str(",")?,
                Fallback::OnNotFound => {}
            }
        }
        Ok(())
    }
}

/// The GOPROXY protocol's module path escaping (`module.EscapePath` for valid paths): each upper-case letter becomes `!` and its lower case.
pub fn escape_module_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn module_paths_escape_upper_case() {
        assert_eq!(
            escape_module_path("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
        assert_eq!(escape_module_path("golang.org/x/text"), "golang.org/x/text");
    }

    use super::*;
    use crate::goenv::testgen::XorShift;

    fn url(u: &str, scheme: ProxyScheme, fallback: Fallback) -> ProxySpec {
        ProxySpec {
            entry: ProxyEntry::Url {
                url: u.to_string(),
                scheme,
            },
            fallback,
        }
    }
    fn kw(entry: ProxyEntry) -> ProxySpec {
        ProxySpec {
            entry,
            fallback: Fallback::OnNotFound,
        }
    }
    use Fallback::{OnAnyError as Any, OnNotFound as Nf};
    use ProxyScheme::{File, Http, Https};

    #[test]
    fn parse_table() {
        type Row = (&'static str, bool, Result<Vec<ProxySpec>, &'static str>);
        let rows: Vec<Row> = vec![
            (
                "https://proxy.golang.org,direct",
                false,
                Ok(vec![
                    url("https://proxy.golang.org", Https, Nf),
                    kw(ProxyEntry::Direct),
                ]),
            ),
            (
                "https://proxy.golang.org,direct",
                true,
                Ok(vec![
                    kw(ProxyEntry::Noproxy),
                    url("https://proxy.golang.org", Https, Nf),
                    kw(ProxyEntry::Direct),
                ]),
            ),
            ("direct", true, Ok(vec![kw(ProxyEntry::Direct)])),
            (
                " direct",
                true,
                Ok(vec![kw(ProxyEntry::Noproxy), kw(ProxyEntry::Direct)]),
            ),
            (
                "off",
                true,
                Ok(vec![kw(ProxyEntry::Noproxy), kw(ProxyEntry::Off)]),
            ),
            (
                "A.example|b.example,http://c.example",
                false,
                Ok(vec![
                    url("https://A.example", Https, Any),
                    url("https://b.example", Https, Nf),
                    url("http://c.example", Http, Nf),
                ]),
            ),
            (
                ", a.example ,, b.example ",
                false,
                Ok(vec![
                    url("https://a.example", Https, Nf),
                    url("https://b.example", Https, Nf),
                ]),
            ),
            (
                "proxy.corp:8080/go",
                false,
                Ok(vec![url("https://proxy.corp:8080/go", Https, Nf)]),
            ),
            (
                "a.example|direct|ignored bogus",
                false,
                Ok(vec![
                    url("https://a.example", Https, Any),
                    kw(ProxyEntry::Direct),
                ]),
            ),
            (
                "s404,off,ok.example",
                false,
                Err("invalid proxy URL missing scheme: s404"),
            ),
            (
                "a.example,off,ftp://x",
                false,
                Ok(vec![
                    url("https://a.example", Https, Nf),
                    kw(ProxyEntry::Off),
                ]),
            ),
            (
                "a.example|",
                false,
                Ok(vec![url("https://a.example", Https, Any)]),
            ),
            (
                "file:///srv/goproxy",
                false,
                Ok(vec![url("file:///srv/goproxy", File, Nf)]),
            ),
            ("OFF", false, Err("invalid proxy URL missing scheme: OFF")),
            (
                "Direct",
                false,
                Err("invalid proxy URL missing scheme: Direct"),
            ),
            (
                "myproxy",
                false,
                Err("invalid proxy URL missing scheme: myproxy"),
            ),
            (
                "/abs/path",
                false,
                Err("invalid proxy URL missing scheme: /abs/path"),
            ),
            (
                "file:proxyroot",
                false,
                Err("parse \"https://file:proxyroot\": invalid port \":proxyroot\" after host"),
            ),
            (
                "ftp://x.example",
                false,
                Err("invalid proxy URL scheme (must be https, http, file): ftp://x.example"),
            ),
            (
                "file://localhost/srv",
                false,
                Err("invalid file:// proxy URL with non-path elements: file://localhost/srv"),
            ),
            (
                "https://u:pw@h.example,ftp://u:pw@h.example",
                false,
                Err(
                    "invalid proxy URL scheme (must be https, http, file): ftp://u:xxxxx@h.example",
                ),
            ),
            (
                ",",
                false,
                Err("GOPROXY list is not the empty string, but contains no entries"),
            ),
            (
                " ",
                true,
                Err("GOPROXY list is not the empty string, but contains no entries"),
            ),
            (
                "",
                false,
                Err("GOPROXY list is not the empty string, but contains no entries"),
            ),
        ];
        for (input, nonempty, want) in rows {
            let got = parse_proxy_list(input, nonempty)
                .map(|l| l.entries)
                .map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(String::from), "GOPROXY={input:?}");
        }
    }

    #[test]
    fn same_proxy_ignores_a_trailing_slash_only() {
        assert!(same_proxy("https://goproxy.cn", "https://goproxy.cn/"));
        assert!(same_proxy("https://a.example/go//", "https://a.example/go"));
        assert!(!same_proxy("https://a.example/go", "https://a.example"));
        assert!(!same_proxy("https://goproxy.cn", "http://goproxy.cn"));
    }

    #[test]
    fn format_canonical() {
        let rows = [
            (
                "https://a.example , b.example|direct",
                "https://a.example,https://b.example|direct",
            ),
            ("a.example|", "https://a.example|"),
            ("off", "off"),
            ("x.example|,direct", "https://x.example|direct"),
        ];
        for (input, want) in rows {
            let list = parse_proxy_list(input, true).expect(input);
            assert_eq!(list.to_string(), want, "{input:?}");
        }
    }

    #[test]
    fn validate_one_url() {
        assert_eq!(
            validate_proxy_url("goproxy.cn").as_deref(),
            Ok("https://goproxy.cn")
        );
        assert_eq!(
            validate_proxy_url("http://127.0.0.1:3000/p").as_deref(),
            Ok("http://127.0.0.1:3000/p")
        );
        assert_eq!(
            validate_proxy_url("direct"),
            Err(ProxyListError::Keyword("direct".into()))
        );
        assert_eq!(
            validate_proxy_url("a.example,b.example"),
            Err(ProxyListError::Separator("a.example,b.example".into()))
        );
        assert!(matches!(
            validate_proxy_url("ftp://x"),
            Err(ProxyListError::BadScheme(_))
        ));
    }

    /// parse(format(x)) == x for lists built from random pieces; no input panics.
    #[test]
    fn round_trip_and_no_panic() {
        let pieces = [
            "a.example",
            "https://b.example/p",
            "http://c.example:8080",
            "file:///srv/p",
            "direct",
            "off",
            " ",
            "",
            "ftp://x",
            "file://h/x",
            "bare",
            "OFF",
            "[",
            "%zz",
            "https://u:pw@h.example",
            "é.example",
            "\t",
            "https://[::1]:1/",
        ];
        let seps = [",", "|", ", ", " |", ",,"];
        let mut rng = XorShift::new(0x5eed_0001);
        for _ in 0..4000 {
            let mut s = String::new();
            for _ in 0..rng.below(6) {
                s.push_str(pieces[rng.below(pieces.len())]);
                s.push_str(seps[rng.below(seps.len())]);
            }
            if rng.below(2) == 0 {
                s.push_str(&rng.junk(8));
            }
            let nonempty = rng.below(2) == 0;
            if let Ok(list) = parse_proxy_list(&s, nonempty) {
                let text = list.to_string();
                let again = parse_proxy_list(&text, false).expect(&text);
                assert_eq!(
                    again.explicit().collect::<Vec<_>>(),
                    list.explicit().collect::<Vec<_>>(),
                    "{s:?} -> {text:?}"
                );
            }
        }
    }
}
