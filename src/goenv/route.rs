//! How go fetches one module under a given environment: the GOPROXY entries in the order
//! `modfetch.TryProxies` walks them (or the direct route a GONOPROXY match forces), and whether
//! and where the checksum database is consulted (`modfetch/sumdb.go: useSumDB`, `initBase`).
//!
//! [`sumdb_walk`] is go's one walk for the checksum database along GOPROXY: `goshim route`
//! lists every place it may ask, and the GOSUMDB decision follows it with the health verdicts.

use super::env::GoEnv;
use super::pattern::match_prefix_patterns;
use super::proxy::{Fallback, ProxyEntry, ProxyList, parse_proxy_list};
use super::sumdb::{SumDb, SumDbSpec, parse_gosumdb};

/// The module path of Go toolchain downloads; `go` and `toolchain` are looked up as it.
pub const TOOLCHAIN_MODULE: &str = "golang.org/toolchain";

/// The variables the route depends on, with GONOPROXY/GONOSUMDB already resolved (an empty
/// value falls back to GOPRIVATE, as go's `cfg` does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteVars {
    pub goproxy: String,
    pub gosumdb: String,
    pub goprivate: String,
    pub gonoproxy: String,
    pub gonosumdb: String,
}

impl RouteVars {
    /// The effective values of an environment.
    pub fn from_env(env: &GoEnv) -> RouteVars {
        RouteVars {
            goproxy: env.get("GOPROXY").to_string(),
            gosumdb: env.get("GOSUMDB").to_string(),
            goprivate: env.get("GOPRIVATE").to_string(),
            gonoproxy: env.get("GONOPROXY").to_string(),
            gonosumdb: env.get("GONOSUMDB").to_string(),
        }
    }
}

/// One GOPROXY entry go tries, and what makes it move on to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// A proxy URL, `direct` (the version control system) or `off` (fail).
    pub entry: ProxyEntry,
    /// `None` for the last entry; else when go moves on: only on 404/410 (`,`) or on any
    /// error (`|`).
    pub then: Option<Fallback>,
}

/// Where the module's files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// GONOPROXY matches: go fetches from the version control system, never from a proxy.
    Direct { pattern: String },
    /// The GOPROXY entries, in order.
    Proxies(Vec<Step>),
    /// go rejects the GOPROXY value (its error text).
    Invalid(String),
}

/// One place go asks for the checksum database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SumStep {
    /// `<proxy>/sumdb/<name>/supported`; a 200 makes go use `<proxy>/sumdb/<name>` only. After
    /// another answer go moves on per `then` (`None`: it is the last proxy, then direct).
    Proxy {
        supported: String,
        base: String,
        then: Fallback,
    },
    /// The database itself, `https://<name>` (after every proxy said 404/410 or fell back, or
    /// at a `direct`/`off` entry).
    Direct(String),
    /// The URL given in GOSUMDB: no proxy is asked.
    Explicit(String),
}

/// What a proxy answers for `<proxy>/sumdb/<name>/supported`, as far as the caller knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supported {
    /// 200: go sends every lookup for the database to `<proxy>/sumdb/<name>`.
    Serves,
    /// 404 or 410: go asks the next entry.
    NotFound,
    /// Any other error: go asks the next entry after `|`; after `,` the lookups fail.
    Error,
    /// Not known: go may move on, so the walk goes on to the next entry.
    Unknown,
}

/// Where go's walk for the checksum database ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SumdbEnd {
    /// This proxy serves the database: every lookup goes through it.
    Proxy(String),
    /// The database itself: a `direct` or `off` entry, or the end of the list, was reached.
    Direct,
    /// This proxy answers `supported` with an error and is followed by `,`: lookups fail.
    Fails(String),
}

/// go's walk for a checksum database along GOPROXY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumdbWalk {
    /// The places go asks, in order: each proxy's `supported` URL up to where the walk ends,
    /// then the database itself when the walk reaches it.
    pub steps: Vec<SumStep>,
    pub end: SumdbEnd,
}

/// How go finds the checksum database `spec` through `list` (`modfetch/sumdb.go: initBase`):
/// each proxy URL is asked for `/sumdb/<name>/supported` until one serves it; go moves on
/// after 404/410, and after any error only when `|` follows; a `direct` or `off` entry, or the
/// end of the list, sends it to the database itself. `answer` says what a proxy answers.
/// `spec` is reached through the proxies (no explicit URL: see [`SumDbSpec::via_proxy`]).
pub fn sumdb_walk(
    list: &ProxyList,
    spec: &SumDbSpec,
    mut answer: impl FnMut(&str) -> Supported,
) -> SumdbWalk {
    let mut steps = Vec::new();
    for s in list.explicit() {
        let ProxyEntry::Url { url, .. } = &s.entry else {
            break;
        };
        let base = format!("{}/sumdb/{}", url.trim_end_matches('/'), spec.name);
        steps.push(SumStep::Proxy {
            supported: format!("{base}/supported"),
            base,
            then: s.fallback,
        });
        let end = match answer(url) {
            Supported::Serves => SumdbEnd::Proxy(url.clone()),
            Supported::Error if s.fallback == Fallback::OnNotFound => SumdbEnd::Fails(url.clone()),
            Supported::NotFound | Supported::Error | Supported::Unknown => continue,
        };
        return SumdbWalk { steps, end };
    }
    steps.push(SumStep::Direct(spec.direct_url()));
    SumdbWalk {
        steps,
        end: SumdbEnd::Direct,
    }
}

/// Whether go verifies the module against the checksum database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SumCheck {
    /// Consulted. `forced`: the toolchain rule (golang.org/toolchain is always checked, even
    /// with GOSUMDB=off or a GONOSUMDB match).
    Consulted {
        name: String,
        steps: Vec<SumStep>,
        forced: bool,
    },
    /// GOSUMDB=off.
    Off,
    /// GONOSUMDB matches (the pattern).
    NoSumdb { pattern: String },
    /// A toolchain download needs the database but GOSUMDB=off: the download fails.
    ToolchainNeedsSumdb,
    /// go rejects the GOSUMDB value (its error text).
    Invalid(String),
}

/// How go fetches one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The path go looks up (`go`/`toolchain` become golang.org/toolchain).
    pub path: String,
    pub version: Option<String>,
    pub fetch: Fetch,
    pub sumdb: SumCheck,
    /// The first pattern of each list that matches the path, if any.
    pub goprivate_match: Option<String>,
    pub gonoproxy_match: Option<String>,
    pub gonosumdb_match: Option<String>,
}

/// The first glob of the comma-separated `globs` that matches a prefix of `path`.
pub fn matching_pattern(globs: &str, path: &str) -> Option<String> {
    globs
        .split(',')
        .find(|g| !g.is_empty() && match_prefix_patterns(g, path))
        .map(str::to_string)
}

/// How go fetches `module` (`path` or `path@version`) under `vars`.
pub fn route(module: &str, vars: &RouteVars) -> Route {
    let (path, version) = match module.split_once('@') {
        Some((p, v)) => (p, Some(v.to_string())),
        None => (module, None),
    };
    let path = match path {
        "go" | "toolchain" => TOOLCHAIN_MODULE,
        p => p,
    };
    let gonoproxy_match = matching_pattern(&vars.gonoproxy, path);
    let gonosumdb_match = matching_pattern(&vars.gonosumdb, path);
    let list = parse_proxy_list(&vars.goproxy, !vars.gonoproxy.is_empty());
    let fetch = match (&list, &gonoproxy_match) {
        (Err(e), _) => Fetch::Invalid(e.to_string()),
        (Ok(_), Some(pattern)) => Fetch::Direct {
            pattern: pattern.clone(),
        },
        (Ok(list), None) => {
            let entries: Vec<_> = list.explicit().collect();
            Fetch::Proxies(
                entries
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Step {
                        entry: s.entry.clone(),
                        then: (i + 1 < entries.len()).then_some(s.fallback),
                    })
                    .collect(),
            )
        }
    };
    // The one exception to the toolchain rule: a single file:// proxy (testing a distpack).
    let lone_file_proxy = vars.goproxy.starts_with("file://") && !vars.goproxy.contains([',', '|']);
    let forced = path == TOOLCHAIN_MODULE && !lone_file_proxy;
    let sumdb = if !forced && vars.gosumdb == "off" {
        SumCheck::Off
    } else if let (false, Some(pattern)) = (forced, &gonosumdb_match) {
        SumCheck::NoSumdb {
            pattern: pattern.clone(),
        }
    } else {
        match parse_gosumdb(&vars.gosumdb) {
            Err(e) => SumCheck::Invalid(e.to_string()),
            Ok(SumDb::Off) => SumCheck::ToolchainNeedsSumdb,
            Ok(SumDb::Db(spec)) => {
                let steps = match (&spec.url, &list) {
                    (Some(url), _) => vec![SumStep::Explicit(url.clone())],
                    (None, Err(_)) => Vec::new(),
                    // Nothing is known about the proxies' answers: every place go may ask.
                    (None, Ok(list)) => sumdb_walk(list, &spec, |_| Supported::Unknown).steps,
                };
                SumCheck::Consulted {
                    name: spec.name,
                    steps,
                    forced,
                }
            }
        }
    };
    Route {
        path: path.to_string(),
        version,
        fetch,
        sumdb,
        goprivate_match: matching_pattern(&vars.goprivate, path),
        gonoproxy_match,
        gonosumdb_match,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::goenv::env::EnvSources;
    use crate::goenv::proxy::ProxyScheme;

    const GO_ENV: &str = "GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\n";

    /// The effective variables for these process variables over the stock `$GOROOT/go.env`.
    fn vars(process: &[(&str, &str)]) -> RouteVars {
        let process: HashMap<String, String> = process
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RouteVars::from_env(&GoEnv::from_sources(EnvSources {
            process,
            user_file: None,
            goroot: Some("/goroot".into()),
            goroot_env: Some(GO_ENV.into()),
        }))
    }

    /// The fetch route in short form: `url,` / `url|` / `direct` / `off`, space-separated;
    /// `DIRECT(pattern)` for a GONOPROXY match; `ERR` for an invalid GOPROXY.
    fn fetch_text(f: &Fetch) -> String {
        match f {
            Fetch::Direct { pattern } => format!("DIRECT({pattern})"),
            Fetch::Invalid(_) => "ERR".into(),
            Fetch::Proxies(steps) => steps
                .iter()
                .map(|s| {
                    let sep = match s.then {
                        Some(Fallback::OnNotFound) => ",",
                        Some(Fallback::OnAnyError) => "|",
                        None => "",
                    };
                    format!("{}{sep}", s.entry)
                })
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// The checksum route in short form: `off`, `nosumdb(pattern)`, `fail`, `ERR`, or the
    /// endpoints space-separated (`proxy,`/`proxy|` for a proxy's supported URL, `=url` for an
    /// explicit URL, the direct URL as is), `!` first when forced by the toolchain rule.
    fn sum_text(s: &SumCheck) -> String {
        match s {
            SumCheck::Off => "off".into(),
            SumCheck::NoSumdb { pattern } => format!("nosumdb({pattern})"),
            SumCheck::ToolchainNeedsSumdb => "fail".into(),
            SumCheck::Invalid(_) => "ERR".into(),
            SumCheck::Consulted { steps, forced, .. } => {
                let text = steps
                    .iter()
                    .map(|s| match s {
                        SumStep::Proxy {
                            supported, then, ..
                        } => format!(
                            "{supported}{}",
                            if *then == Fallback::OnAnyError {
                                "|"
                            } else {
                                ","
                            }
                        ),
                        SumStep::Direct(u) => u.clone(),
                        SumStep::Explicit(u) => format!("={u}"),
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                if *forced { format!("!{text}") } else { text }
            }
        }
    }

    #[test]
    fn route_table() {
        const PG: &str = "https://proxy.golang.org";
        let pg_sum = "https://proxy.golang.org/sumdb/sum.golang.org/supported";
        struct RouteRow {
            module: &'static str,
            env: Vec<(&'static str, &'static str)>,
            fetch: String,
            sum: String,
        }
        let row = |module, env: &[(&'static str, &'static str)], fetch: &str, sum: &str| RouteRow {
            module,
            env: env.to_vec(),
            fetch: fetch.to_string(),
            sum: sum.to_string(),
        };
        let rows = vec![
            // 1. go's defaults
            row(
                "github.com/pkg/errors@v0.9.1",
                &[],
                &format!("{PG}, direct"),
                &format!("{pg_sum}, https://sum.golang.org"),
            ),
            // 2. GOPRIVATE covers both lists
            row(
                "git.corp.example/team/lib",
                &[("GOPRIVATE", "git.corp.example")],
                "DIRECT(git.corp.example)",
                "nosumdb(git.corp.example)",
            ),
            // 3. the subdomain trap: *.corp does not match corp itself
            row(
                "corp.example/lib",
                &[("GOPRIVATE", "*.corp.example")],
                &format!("{PG}, direct"),
                &format!("{pg_sum}, https://sum.golang.org"),
            ),
            // 4. ...but matches a subdomain
            row(
                "git.corp.example/lib",
                &[("GOPRIVATE", "*.corp.example")],
                "DIRECT(*.corp.example)",
                "nosumdb(*.corp.example)",
            ),
            // 5. a bare domain does not cover subdomains either
            row(
                "git.corp.example/lib",
                &[("GOPRIVATE", "corp.example")],
                &format!("{PG}, direct"),
                &format!("{pg_sum}, https://sum.golang.org"),
            ),
            // 6. the toolchain trap: GOPRIVATE=* sends golang.org/toolchain direct, but the
            //    checksum database is still required
            row(
                "golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64",
                &[("GOPRIVATE", "*")],
                "DIRECT(*)",
                &format!("!{pg_sum}, https://sum.golang.org"),
            ),
            // 7. GOSUMDB=off does not exempt toolchains: the download fails
            row(
                "golang.org/toolchain",
                &[("GOSUMDB", "off")],
                &format!("{PG}, direct"),
                "fail",
            ),
            // 8. `go` and `toolchain` are looked up as golang.org/toolchain
            row(
                "go@1.99.0",
                &[("GONOSUMDB", "golang.org")],
                &format!("{PG}, direct"),
                &format!("!{pg_sum}, https://sum.golang.org"),
            ),
            // 9. a single file:// proxy exempts toolchains from the rule
            row(
                "golang.org/toolchain",
                &[("GOPROXY", "file:///dist"), ("GOSUMDB", "off")],
                "file:///dist",
                "off",
            ),
            // 10. '|' falls back on any error, for modules and for the sumdb check
            row(
                "example.com/m",
                &[("GOPROXY", "https://a.example|https://b.example,direct")],
                "https://a.example| https://b.example, direct",
                "https://a.example/sumdb/sum.golang.org/supported| https://b.example/sumdb/sum.golang.org/supported, https://sum.golang.org",
            ),
            // 11. GOPROXY=direct
            row(
                "example.com/m",
                &[("GOPROXY", "direct")],
                "direct",
                "https://sum.golang.org",
            ),
            // 12. GOPROXY=off, no private patterns
            row(
                "example.com/m",
                &[("GOPROXY", "off")],
                "off",
                "https://sum.golang.org",
            ),
            // 13. GOPROXY=off still lets GONOPROXY modules go direct
            row(
                "git.corp.example/x",
                &[("GOPROXY", "off"), ("GONOPROXY", "git.corp.example")],
                "DIRECT(git.corp.example)",
                "https://sum.golang.org",
            ),
            // 14. an explicit GONOPROXY replaces GOPRIVATE's role for fetching only
            row(
                "git.corp.example/x",
                &[
                    ("GOPRIVATE", "git.corp.example"),
                    ("GONOPROXY", "none"),
                    ("GOPROXY", "https://athens.corp.example"),
                ],
                "https://athens.corp.example",
                "nosumdb(git.corp.example)",
            ),
            // 15. the China alias talks to its own URL, never through a proxy
            row(
                "example.com/m",
                &[("GOSUMDB", "sum.golang.google.cn")],
                &format!("{PG}, direct"),
                "=https://sum.golang.google.cn",
            ),
            // 16. name + URL form
            row(
                "example.com/m",
                &[("GOSUMDB", "sum.golang.org https://sumdb.corp.example")],
                &format!("{PG}, direct"),
                "=https://sumdb.corp.example",
            ),
            // 17. GOSUMDB=off
            row(
                "example.com/m",
                &[("GOSUMDB", "off")],
                &format!("{PG}, direct"),
                "off",
            ),
            // 18. patterns match path prefixes element-wise
            row(
                "github.com/acme/private-repo/sub",
                &[("GOPRIVATE", "github.com/acme/*")],
                "DIRECT(github.com/acme/*)",
                "nosumdb(github.com/acme/*)",
            ),
            // 19. ...and not partial elements
            row(
                "github.com/acmecorp/x",
                &[("GOPRIVATE", "github.com/acme")],
                &format!("{PG}, direct"),
                &format!("{pg_sum}, https://sum.golang.org"),
            ),
            // 20. spaces are not trimmed: " b.example" matches nothing
            row(
                "b.example/m",
                &[("GOPRIVATE", "a.example, b.example")],
                &format!("{PG}, direct"),
                &format!("{pg_sum}, https://sum.golang.org"),
            ),
            // 21. the second pattern of a list
            row(
                "b.example/m",
                &[("GOPRIVATE", "a.example,b.example")],
                "DIRECT(b.example)",
                "nosumdb(b.example)",
            ),
            // 22. a GOPROXY go rejects
            row(
                "example.com/m",
                &[("GOPROXY", "ftp://x.example")],
                "ERR",
                "",
            ),
            // 23. http and scheme-less proxies, a trailing slash
            row(
                "example.com/m",
                &[("GOPROXY", "goproxy.cn/,http://127.0.0.1:8080|off")],
                "https://goproxy.cn/, http://127.0.0.1:8080| off",
                "https://goproxy.cn/sumdb/sum.golang.org/supported, http://127.0.0.1:8080/sumdb/sum.golang.org/supported| https://sum.golang.org",
            ),
            // 24. a GONOSUMDB narrower than GOPRIVATE
            row(
                "git.corp.example/x",
                &[
                    ("GOPRIVATE", "git.corp.example"),
                    ("GONOSUMDB", "other.example"),
                ],
                "DIRECT(git.corp.example)",
                &format!("{pg_sum}, https://sum.golang.org"),
            ),
            // 25. a malformed glob matches nothing
            row(
                "a.example/m",
                &[("GOPRIVATE", "a.exa[mple")],
                &format!("{PG}, direct"),
                &format!("{pg_sum}, https://sum.golang.org"),
            ),
        ];
        for (i, r) in rows.iter().enumerate() {
            let got = route(r.module, &vars(&r.env));
            assert_eq!(
                (fetch_text(&got.fetch), sum_text(&got.sumdb)),
                (r.fetch.clone(), r.sum.clone()),
                "row {}: {} with {:?}",
                i + 1,
                r.module,
                r.env
            );
        }
    }

    #[test]
    fn route_reports_paths_versions_and_matches() {
        let r = route(
            "toolchain@v0.0.1-go1.99.0.linux-amd64",
            &vars(&[("GOPRIVATE", "golang.org,*.corp")]),
        );
        assert_eq!(r.path, TOOLCHAIN_MODULE);
        assert_eq!(r.version.as_deref(), Some("v0.0.1-go1.99.0.linux-amd64"));
        assert_eq!(r.goprivate_match.as_deref(), Some("golang.org"));
        assert_eq!(r.gonoproxy_match.as_deref(), Some("golang.org"));
        assert_eq!(r.gonosumdb_match.as_deref(), Some("golang.org"));
        let SumCheck::Consulted { name, forced, .. } = &r.sumdb else {
            panic!("{:?}", r.sumdb);
        };
        assert_eq!((name.as_str(), *forced), ("sum.golang.org", true));

        let r = route("example.com/m", &vars(&[]));
        assert_eq!(r.version, None);
        assert_eq!(
            r.fetch,
            Fetch::Proxies(vec![
                Step {
                    entry: ProxyEntry::Url {
                        url: "https://proxy.golang.org".into(),
                        scheme: ProxyScheme::Https
                    },
                    then: Some(Fallback::OnNotFound),
                },
                Step {
                    entry: ProxyEntry::Direct,
                    then: None
                },
            ])
        );
        assert_eq!(r.goprivate_match, None);
    }

    #[test]
    fn sumdb_walk_follows_the_answers_as_init_base_does() {
        use Supported::{Error, NotFound, Serves, Unknown};
        let spec = SumDbSpec {
            name: "sum.golang.org".into(),
            key: crate::goenv::sumdb::SUM_GOLANG_ORG_KEY.into(),
            url: None,
        };
        let (a, b, c) = (
            "https://a.example",
            "https://b.example/",
            "http://c.example",
        );
        let list = parse_proxy_list(&format!("{a},{b}|{c},direct"), false).unwrap();
        let direct = SumdbEnd::Direct;
        let rows: [(&[Supported], usize, SumdbEnd); 7] = [
            (&[Unknown, Unknown, Unknown], 4, direct.clone()),
            (&[Serves], 1, SumdbEnd::Proxy(a.into())),
            (&[NotFound, Serves], 2, SumdbEnd::Proxy(b.into())),
            (&[Error], 1, SumdbEnd::Fails(a.into())),
            (&[NotFound, Error, Serves], 3, SumdbEnd::Proxy(c.into())),
            (&[NotFound, Error, Error], 3, SumdbEnd::Fails(c.into())),
            (&[NotFound, NotFound, NotFound], 4, direct.clone()),
        ];
        for (answers, asked, end) in rows {
            let mut next = answers.iter();
            let walk = sumdb_walk(&list, &spec, |_| *next.next().unwrap());
            assert_eq!((walk.steps.len(), &walk.end), (asked, &end), "{answers:?}");
            assert_eq!(next.next(), None, "{answers:?}: every answer was asked for");
        }
        let walk = sumdb_walk(&list, &spec, |_| NotFound);
        assert_eq!(
            walk.steps[1],
            SumStep::Proxy {
                supported: "https://b.example/sumdb/sum.golang.org/supported".into(),
                base: "https://b.example/sumdb/sum.golang.org".into(),
                then: Fallback::OnAnyError,
            }
        );
        assert_eq!(
            walk.steps[3],
            SumStep::Direct("https://sum.golang.org".into())
        );
        let off = parse_proxy_list(&format!("{a},off"), false).unwrap();
        assert_eq!(sumdb_walk(&off, &spec, |_| NotFound).end, direct);
    }

    #[test]
    fn matching_pattern_is_the_first_that_matches() {
        assert_eq!(
            matching_pattern("x.example,*.corp,corp", "corp/a").as_deref(),
            Some("corp")
        );
        assert_eq!(matching_pattern("", "corp/a"), None);
        assert_eq!(matching_pattern(",,", "corp/a"), None);
    }
}
