//! Go version comparison, as `internal/gover` does it (`1.21 < 1.21rc1 < 1.21.0 < 1.21.1`).

use std::cmp::Ordering;

// gover's `cutInt` is the same rule as semver's `parseInt`.
use super::semver::parse_int;

#[derive(Default)]
struct Version<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    kind: &'a str,
    pre: &'a str,
}

fn parse(x: &str) -> Version<'_> {
    parse_opt(x).unwrap_or_default()
}

fn parse_opt(x: &str) -> Option<Version<'_>> {
    let mut v = Version::default();
    let (major, x) = parse_int(x)?;
    v.major = major;
    if x.is_empty() {
        v.minor = "0";
        v.patch = "0";
        return Some(v);
    }
    let (minor, x) = parse_int(x.strip_prefix('.')?)?;
    v.minor = minor;
    if x.is_empty() {
        if cmp_int(minor, "21") == Ordering::Less {
            v.patch = "0";
        }
        return Some(v);
    }
    if let Some(rest) = x.strip_prefix('.') {
        let (patch, rest) = parse_int(rest)?;
        if !rest.is_empty() {
            return None;
        }
        v.patch = patch;
        return Some(v);
    }
    let i = x.bytes().take_while(|b| !b.is_ascii_digit()).count();
    if i == 0 || !x[..i].bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    v.kind = &x[..i];
    let x = &x[i..];
    if x.is_empty() {
        return Some(v);
    }
    let (pre, rest) = parse_int(x)?;
    if !rest.is_empty() {
        return None;
    }
    v.pre = pre;
    Some(v)
}

/// `gover.IsValid`.
pub fn is_valid(x: &str) -> bool {
    parse_opt(x).is_some()
}

/// `gover.IsLang`: a language version such as `1.22` (no patch, no prerelease), from 1.21 on.
pub fn is_lang(x: &str) -> bool {
    parse_opt(x).is_some_and(|v| v.patch.is_empty() && v.kind.is_empty() && v.pre.is_empty())
}

/// `gover.FromToolchain`: `go1.22.3` → `1.22.3`, custom suffixes after `-`, space or tab
/// dropped; `None` for anything that is not a go toolchain name.
pub fn from_toolchain(name: &str) -> Option<&str> {
    if name.contains(['\\', '/']) {
        return None;
    }
    let v = name.strip_prefix("go")?;
    let v = v.split([' ', '\t', '-']).next().unwrap_or(v);
    is_valid(v).then_some(v)
}

fn cmp_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

/// `gover.Compare` on versions without the `go` prefix (`1.22.3`, `1.23rc1`); invalid versions
/// compare as the zero version, as in Go.
pub fn compare(x: &str, y: &str) -> Ordering {
    let (a, b) = (parse(x), parse(y));
    cmp_int(a.major, b.major)
        .then_with(|| cmp_int(a.minor, b.minor))
        .then_with(|| cmp_int(a.patch, b.patch))
        .then_with(|| a.kind.cmp(b.kind))
        .then_with(|| cmp_int(a.pre, b.pre))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_names() {
        assert_eq!(from_toolchain("go1.22.3"), Some("1.22.3"));
        assert_eq!(from_toolchain("go1.22.3-custom"), Some("1.22.3"));
        assert_eq!(from_toolchain("go1.23rc1"), Some("1.23rc1"));
        assert_eq!(from_toolchain("1.22"), None);
        assert_eq!(from_toolchain("go1.2x"), Some("1.2x"));
        assert_eq!(from_toolchain("go1.x"), None);
        assert_eq!(from_toolchain("go1.22/x"), None);
        assert!(is_lang("1.22") && !is_lang("1.20") && !is_lang("1.22.0") && !is_lang("1.22rc1"));
    }

    #[test]
    fn compare_table() {
        use Ordering::*;
        for (x, y, want) in [
            ("1.14", "1.14", Equal),
            ("1.13", "1.14", Less),
            ("1.13.15", "1.14", Less),
            ("1.14", "1.14.0", Equal),
            ("1.21", "1.21.0", Less),
            ("1.21", "1.21rc1", Less),
            ("1.21rc1", "1.21.0", Less),
            ("1.21rc2", "1.21rc10", Less),
            ("1.21beta1", "1.21rc1", Less),
            ("1.22", "1.9", Greater),
            ("2", "1.99.99", Greater),
            ("junk", "1.0", Less),
            ("", "junk", Equal),
            ("1.21.3rc1", "1.0", Less),
        ] {
            assert_eq!(compare(x, y), want, "{x} vs {y}");
        }
    }
}
