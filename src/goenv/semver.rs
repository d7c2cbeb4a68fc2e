//! Module versions as x/mod `semver` and `module.CanonicalVersion` read them.

struct Parsed<'a> {
    major: &'a str,
    short: &'static str,
    build: &'a str,
}

/// The decimal number `v` starts with (no leading zero but `0` itself), and the rest.
pub(super) fn parse_int(v: &str) -> Option<(&str, &str)> {
    let n = v.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || (v.starts_with('0') && n != 1) {
        return None;
    }
    Some((&v[..n], &v[n..]))
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn is_bad_num(v: &str) -> bool {
    v.len() > 1 && v.starts_with('0') && v.bytes().all(|b| b.is_ascii_digit())
}

/// Dot-separated identifiers after `-` (prerelease) or `+` (build), up to `stop`.
fn parse_idents(v: &str, check_num: bool, stop: Option<u8>) -> Option<(&str, &str)> {
    let b = v.as_bytes();
    let mut i = 1;
    let mut start = 1;
    while i < b.len() && Some(b[i]) != stop {
        if !is_ident(b[i]) && b[i] != b'.' {
            return None;
        }
        if b[i] == b'.' {
            if start == i || (check_num && is_bad_num(&v[start..i])) {
                return None;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start == i || (check_num && is_bad_num(&v[start..i])) {
        return None;
    }
    Some((&v[..i], &v[i..]))
}

fn parse(v: &str) -> Option<Parsed<'_>> {
    let rest = v.strip_prefix('v')?;
    let (major, rest) = parse_int(rest)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            short: ".0.0",
            build: "",
        });
    }
    let (_, rest) = parse_int(rest.strip_prefix('.')?)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            short: ".0",
            build: "",
        });
    }
    let (_, mut rest) = parse_int(rest.strip_prefix('.')?)?;
    if rest.starts_with('-') {
        rest = parse_idents(rest, true, Some(b'+'))?.1;
    }
    let mut build = "";
    if rest.starts_with('+') {
        let (b, r) = parse_idents(rest, false, None)?;
        build = b;
        rest = r;
    }
    rest.is_empty().then_some(Parsed {
        major,
        short: "",
        build,
    })
}

/// `semver.Major`: `v2` for `v2.1.0`, "" when invalid.
pub fn major(v: &str) -> String {
    parse(v).map_or_else(String::new, |p| format!("v{}", p.major))
}

/// `module.CanonicalVersion`: `v1.2` → `v1.2.0`, build metadata dropped except
/// `+incompatible`; `None` when `v` is not a semantic version.
pub fn canonical_version(v: &str) -> Option<String> {
    let p = parse(v)?;
    let mut cv = if p.build.is_empty() {
        format!("{v}{}", p.short)
    } else {
        v[..v.len() - p.build.len()].to_string()
    };
    if p.build == "+incompatible" {
        cv.push_str("+incompatible");
    }
    Some(cv)
}

/// `semver.Build`.
pub fn build(v: &str) -> &str {
    parse(v).map_or("", |p| p.build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_table() {
        for (v, want) in [
            ("v1", Some("v1.0.0")),
            ("v1.2", Some("v1.2.0")),
            ("v1.2.3", Some("v1.2.3")),
            ("v1.2.3-pre.1", Some("v1.2.3-pre.1")),
            ("v1.2.3+meta", Some("v1.2.3")),
            ("v2.0.0+incompatible", Some("v2.0.0+incompatible")),
            (
                "v0.0.0-20240101000000-abcdef123456",
                Some("v0.0.0-20240101000000-abcdef123456"),
            ),
            ("v1-pre", None),
            ("v1.2-pre", None),
            ("1.2.3", None),
            ("v01.2.3", None),
            ("v1.2.3-01", None),
            ("v1.2.3-", None),
            ("v1.2.3-a..b", None),
            ("v1.2.3+", None),
            ("", None),
            ("master", None),
        ] {
            assert_eq!(canonical_version(v).as_deref(), want, "{v}");
        }
        assert_eq!(major("v2.3.4"), "v2");
        assert_eq!(major("bad"), "");
        assert_eq!(build("v2.0.0+incompatible"), "+incompatible");
    }
}
