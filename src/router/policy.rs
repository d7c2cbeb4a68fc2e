//! The router's rules as pure functions: which paths are private, which answers are valid,
//! and what go is told when no upstream had the answer (router-facts §2.1–§2.3, §10, §11).

use crate::goenv::pattern::{match_prefix_patterns, path_match};
use crate::goenv::semver::canonical_version;

use super::request::{Kind, Request};

/// Whether `path` may only go to private upstreams: it matches a private pattern (x/mod
/// `MatchPrefixPatterns`), or it is a proper prefix of one, element by element — go probes
/// `corp.example/@v/list` while resolving `corp.example/team/x` (§10.7).
pub fn is_private(patterns: &str, path: &str) -> bool {
    if match_prefix_patterns(patterns, path) {
        return true;
    }
    let elems: Vec<&str> = path.split('/').collect();
    patterns.split(',').any(|glob| {
        let glob = glob.strip_suffix('/').unwrap_or(glob);
        let globs: Vec<&str> = glob.split('/').collect();
        !glob.is_empty()
            && elems.len() < globs.len()
            && elems
                .iter()
                .zip(&globs)
                .all(|(e, g)| path_match(g, e) == Ok(true))
    })
}

/// The module go always verifies with the checksum database, whatever GONOSUMDB says
/// (`modfetch/sumdb.go useSumDB`, router-facts §6).
pub const TOOLCHAIN: &str = "golang.org/toolchain";

/// Whether a checksum lookup for `path` must never leave the router: a private path, or one
/// go itself does not verify (GONOSUMDB; never the toolchain, which go always verifies).
pub fn lookup_is_local(private_patterns: &str, nosumdb_patterns: &str, path: &str) -> bool {
    is_private(private_patterns, path)
        || (path != TOOLCHAIN && match_prefix_patterns(nosumdb_patterns, path))
}

/// The `Content-Type` of a 200 answer (what goproxy/goproxy sends, §2.2).
pub fn content_type(req: &Request) -> &'static str {
    match req {
        Request::Module {
            kind: Kind::Info | Kind::Latest,
            ..
        } => "application/json",
        Request::Module {
            kind: Kind::Zip, ..
        } => "application/zip",
        Request::SumdbTile { .. } => "application/octet-stream",
        _ => "text/plain; charset=utf-8",
    }
}

/// Checks a complete metadata body (everything but zips) before go sees it: go memoises what
/// it is given, and a captive portal's HTML would become a checksum mismatch (§10.11).
pub fn check_body(req: &Request, content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
    if content_type.is_some_and(|ct| ct.trim_start().starts_with("text/html")) {
        return Err("answered HTML".into());
    }
    match req {
        Request::Module { kind, version, .. } => match kind {
            Kind::List => check_list(body),
            Kind::Info | Kind::Latest => check_info(body, version.as_deref()),
            Kind::Mod => {
                if body.trim_ascii_start().starts_with(b"<") {
                    Err("answered HTML for a go.mod".into())
                } else {
                    Ok(())
                }
            }
            Kind::Zip => Ok(()),
        },
        Request::SumdbLookup { .. } => {
            let first = body.split(|&b| b == b'\n').next().unwrap_or_default();
            if !first.is_empty() && first.iter().all(u8::is_ascii_digit) {
                Ok(())
            } else {
                Err("answered a lookup that is not a checksum database record".into())
            }
        }
        Request::SumdbTile { tile, .. } => {
            if body.len() == tile.size() {
                Ok(())
            } else {
                Err(format!(
                    "answered a tile of {} bytes, not {}",
                    body.len(),
                    tile.size()
                ))
            }
        }
        Request::SumdbSupported { .. } => Ok(()),
    }
}

/// `@v/list`: each line's first field is a semantic version, an optional second field an
/// RFC 3339 time (`proxy.go Versions`).
fn check_list(body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "answered a list that is not UTF-8")?;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some(v) = fields.next() else { continue };
        if canonical_version(v).is_none() {
            return Err("answered a list line that is not a version".into());
        }
        if let Some(t) = fields.next()
            && !is_rfc3339(t)
        {
            return Err("answered a list line with a bad time".into());
        }
    }
    Ok(())
}

/// `.info`/`@latest`: JSON with a semantic `Version`, the requested one when a canonical
/// version was asked for ("proxy returned info for version X instead of requested version").
fn check_info(body: &[u8], requested: Option<&str>) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Info {
        #[serde(rename = "Version")]
        version: String,
    }
    let info: Info = serde_json::from_slice(body).map_err(|_| "answered invalid JSON")?;
    if canonical_version(&info.version).is_none() {
        return Err("answered info without a valid version".into());
    }
    if let Some(req) = requested
        && canonical_version(req).as_deref() == Some(req)
        && info.version != req
    {
        return Err("answered info for another version".into());
    }
    Ok(())
}

/// `2006-01-02T15:04:05[.frac](Z|±hh:mm)`.
fn is_rfc3339(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10))
        || !matches!(b[10], b'T' | b't')
        || !(digits(11..13) && b[13] == b':' && digits(14..16) && b[16] == b':' && digits(17..19))
    {
        return false;
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// A zip's first bytes and last bytes (up to 64 KiB + 22) look like a complete zip: a local
/// file header (or an empty archive) at the start, an end-of-central-directory record near the
/// end.
pub fn check_zip(head: &[u8], tail: &[u8]) -> Result<(), String> {
    const LOCAL: &[u8] = b"PK\x03\x04";
    const END: &[u8] = b"PK\x05\x06";
    if !(head.starts_with(LOCAL) || head.starts_with(END)) {
        return Err("answered something that is not a zip".into());
    }
    if !tail.windows(END.len()).any(|w| w == END) {
        return Err("answered a truncated zip".into());
    }
    Ok(())
}

/// What one upstream finally did for a request that got no 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 404 or 410 (or 400, which goproxy/goproxy also reads as "not found", §7.2).
    NotFound,
    /// Could not tell: `what` says why; `timeout` when it never answered in time.
    Failed { what: String, timeout: bool },
}

/// The answer go gets when no upstream gave a 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorAnswer {
    pub status: u16,
    /// `text/plain; charset=utf-8`, within go's `server response:` limits.
    pub body: String,
}

/// Most lines go shows under `server response:`, and most bytes (`maxErrorDetailLines`,
/// `maxErrorDetailBytes`, §2.3).
const MAX_LINES: usize = 8;
const MAX_LINE_BYTES: usize = 80;

/// 404 when every counted upstream said not found; else 504 when every failure was a
/// timeout, 502 otherwise, with one line per upstream (`label: what`). Lines are printable
/// ASCII, at most 80 bytes, at most 8 of them (go drops the whole detail on a non-graphic
/// rune and truncates past 8 lines or 648 bytes).
pub fn error_answer(what: &str, outcomes: &[(String, Outcome)]) -> ErrorAnswer {
    if outcomes.iter().all(|(_, o)| *o == Outcome::NotFound) {
        return ErrorAnswer {
            status: 404,
            body: format!("{}\n", line(&format!("not found: {what}"))),
        };
    }
    let all_timeouts = outcomes
        .iter()
        .all(|(_, o)| matches!(o, Outcome::Failed { timeout: true, .. }));
    let mut lines: Vec<String> = outcomes
        .iter()
        .map(|(label, o)| match o {
            Outcome::NotFound => line(&format!("{label}: not found")),
            Outcome::Failed { what, .. } => line(&format!("{label}: {what}")),
        })
        .collect();
    if lines.is_empty() {
        lines.push(line(&format!("no upstream for {what}")));
    }
    if lines.len() > MAX_LINES {
        let more = lines.len() - (MAX_LINES - 1);
        lines.truncate(MAX_LINES - 1);
        lines.push(format!("and {more} more upstreams"));
    }
    ErrorAnswer {
        status: if all_timeouts { 504 } else { 502 },
        body: lines.iter().map(|l| format!("{l}\n")).collect(),
    }
}

/// `body` (an error answer's lines) with `extra` as its last line, within go's limits (the
/// eighth line gives way).
pub fn with_line(body: &str, extra: &str) -> String {
    let mut lines: Vec<String> = body.lines().map(str::to_string).collect();
    lines.truncate(MAX_LINES - 1);
    lines.push(line(extra));
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// One line: printable ASCII only (anything else becomes `?`), at most 80 bytes.
fn line(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if out.len() > MAX_LINE_BYTES {
        out.truncate(MAX_LINE_BYTES - 3);
        out.push_str("...");
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_prefix_rule_table() {
        for (patterns, path, private) in [
            ("corp.example", "corp.example", true),
            ("corp.example", "corp.example/x/y", true),
            ("corp.example/team/*", "corp.example", true),
            ("corp.example/team/*", "corp.example/team", true),
            ("corp.example/team/*", "corp.example/team/lib", true),
            ("corp.example/team/*", "corp.example/team/lib/v2", true),
            ("corp.example/team/*", "corp.example/other", false),
            ("corp.example/team/*", "corp.examples", false),
            ("*.corp.example/x", "git.corp.example", true),
            ("*.corp.example/x", "corp.example", false),
            ("github.com/corp/*", "github.com", true),
            ("github.com/corp/*", "github.com/other/x", false),
            ("github.com/corp/", "github.com", true),
            ("", "github.com", false),
            ("a.example,,b.example/x", "b.example", true),
            ("[bad/x", "a", false),
            ("Corp.example", "corp.example", false),
        ] {
            assert_eq!(is_private(patterns, path), private, "{patterns} {path}");
        }
        assert!(lookup_is_local("corp.example", "", "corp.example/x"));
        assert!(lookup_is_local("", "nosum.example", "nosum.example/x"));
        assert!(!lookup_is_local(
            "corp.example",
            "nosum.example",
            "golang.org/x/text"
        ));
        assert!(
            !lookup_is_local("", "golang.org", TOOLCHAIN),
            "go always checks it"
        );
    }

    fn req(raw: &str) -> Request {
        Request::parse(raw).unwrap()
    }

    #[test]
    fn body_checks() {
        let list = req("example.com/m/@v/list");
        assert!(check_body(&list, None, b"").is_ok());
        assert!(check_body(&list, None, b"v1.0.0\nv1.1.0 2024-01-02T03:04:05Z\n\n").is_ok());
        assert!(check_body(&list, None, b"v1.0.0 2024-01-02T03:04:05.123+01:00\n").is_ok());
        assert!(check_body(&list, None, b"<html>\n").is_err());
        assert!(check_body(&list, None, b"v1.0.0 yesterday\n").is_err());
        assert!(check_body(&list, Some("text/html; charset=utf-8"), b"v1.0.0\n").is_err());

        let info = req("example.com/m/@v/v1.0.0.info");
        assert!(check_body(&info, None, br#"{"Version":"v1.0.0","Time":"x"}"#).is_ok());
        assert!(check_body(&info, None, br#"{"Version":"v1.0.1"}"#).is_err());
        assert!(check_body(&info, None, b"<!DOCTYPE html>").is_err());
        let query = req("example.com/m/@v/master.info");
        assert!(
            check_body(
                &query,
                None,
                br#"{"Version":"v0.0.0-20240101000000-abcdefabcdef"}"#
            )
            .is_ok()
        );
        assert!(check_body(&query, None, br#"{"Version":"master"}"#).is_err());
        let latest = req("example.com/m/@latest");
        assert!(check_body(&latest, None, br#"{"Version":"v1.2.3"}"#).is_ok());

        let m = req("example.com/m/@v/v1.0.0.mod");
        assert!(check_body(&m, None, b"module example.com/m\n").is_ok());
        assert!(check_body(&m, None, b"\n <html>").is_err());

        let lookup = req("sumdb/sum.golang.org/lookup/example.com/m@v1.0.0");
        assert!(check_body(&lookup, None, b"123\nexample.com/m v1.0.0 h1:x\n").is_ok());
        assert!(check_body(&lookup, None, b"<html>").is_err());
        let tile = req("sumdb/sum.golang.org/tile/8/0/001.p/2");
        assert!(check_body(&tile, None, &[0; 64]).is_ok());
        assert!(check_body(&tile, None, &[0; 65]).is_err());
    }

    #[test]
    fn zip_checks() {
        assert!(check_zip(b"PK\x03\x04rest", b"...PK\x05\x06....").is_ok());
        assert!(check_zip(b"PK\x05\x06", b"PK\x05\x06").is_ok());
        assert!(check_zip(b"<html>", b"PK\x05\x06").is_err());
        assert!(check_zip(b"PK\x03\x04", b"no end record").is_err());
    }

    fn failed(what: &str, timeout: bool) -> Outcome {
        Outcome::Failed {
            what: what.into(),
            timeout,
        }
    }

    #[test]
    fn status_mapping_table() {
        let nf = Outcome::NotFound;
        for (outcomes, status) in [
            (vec![nf.clone()], 404),
            (vec![nf.clone(), nf.clone()], 404),
            (vec![nf.clone(), failed("answered 503", false)], 502),
            (
                vec![failed("timed out", true), failed("timed out", true)],
                504,
            ),
            (
                vec![failed("timed out", true), failed("answered 502", false)],
                502,
            ),
            (vec![nf.clone(), failed("timed out", true)], 502),
            (vec![], 404),
        ] {
            let labelled: Vec<(String, Outcome)> = outcomes
                .into_iter()
                .enumerate()
                .map(|(i, o)| (format!("p{i}.example"), o))
                .collect();
            assert_eq!(
                error_answer("m list", &labelled).status,
                status,
                "{labelled:?}"
            );
        }
    }

    #[test]
    fn error_bodies_stay_within_go_s_limits() {
        let many: Vec<(String, Outcome)> = (0..20)
            .map(|i| {
                (
                    format!("proxy{i}.example.com/a/very/long/base/path/that/keeps/going/on"),
                    failed(
                        &format!("connection error: résumé\u{7}\ttab {}", "x".repeat(100)),
                        false,
                    ),
                )
            })
            .collect();
        let a = error_answer("example.com/m list", &many);
        assert_eq!(a.status, 502);
        assert!(a.body.len() <= 648, "{}", a.body.len());
        let lines: Vec<&str> = a.body.lines().collect();
        assert_eq!(lines.len(), 8);
        assert!(lines.iter().all(|l| !l.is_empty() && l.len() <= 80));
        assert!(
            a.body
                .chars()
                .all(|c| c == '\n' || c == ' ' || c.is_ascii_graphic())
        );
        assert_eq!(lines[7], "and 13 more upstreams");
        let nf = error_answer("example.com/m list", &[("a".into(), Outcome::NotFound)]);
        assert_eq!(nf.body, "not found: example.com/m list\n");
        let more = with_line(
            &a.body,
            "offline: example.com/m list is not in the module cache",
        );
        assert_eq!(more.lines().count(), 8);
        assert!(more.ends_with("offline: example.com/m list is not in the module cache\n"));
        assert_eq!(with_line("a: x\n", "b"), "a: x\nb\n");
    }
}
