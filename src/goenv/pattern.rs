//! Module path patterns (`GOPRIVATE`, `GONOPROXY`, `GONOSUMDB`, `GOINSECURE`): a byte-exact port
//! of x/mod `module.MatchPrefixPatterns` and of Go's `path.Match`.

use thiserror::Error;

/// `path.Match` met a malformed pattern (`path.ErrBadPattern`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

/// Reports whether any comma-separated glob in `globs` matches a prefix of `target`, exactly as
/// x/mod `module.MatchPrefixPatterns` does: split on `,` only, no trimming, no case folding, one
/// trailing `/` dropped, a glob with N slashes matched against the first N+1 path elements of
/// `target`; a malformed glob silently matches nothing.
pub fn match_prefix_patterns(globs: &str, target: &str) -> bool {
    globs.split(',').any(|glob| {
        let glob = glob.strip_suffix('/').unwrap_or(glob);
        if glob.is_empty() {
            return false;
        }
        let mut n = glob.bytes().filter(|&b| b == b'/').count();
        let mut prefix = target;
        for (i, b) in target.bytes().enumerate() {
            if b == b'/' {
                if n == 0 {
                    prefix = &target[..i];
                    break;
                }
                n -= 1;
            }
        }
        n == 0 && path_match(glob, prefix) == Ok(true)
    })
}

/// The globs of a pattern list that can never match because `path.Match` rejects them (go
/// ignores them silently), after the split and trailing-slash rule of
/// [`match_prefix_patterns`].
pub fn malformed_globs(globs: &str) -> Vec<&str> {
    globs
        .split(',')
        .map(|g| g.strip_suffix('/').unwrap_or(g))
        .filter(|g| !g.is_empty() && path_match(g, "").is_err())
        .collect()
}

/// Go's `path.Match`: `*` matches any run of non-`/` bytes, `?` one non-`/` character, `[...]`
/// a class (ranges, `^` negation), `\` escapes. The whole pattern is checked for syntax even when
/// the match fails early, as Go does since 1.16.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains(&b'/'));
        }
        let (t, ok, err) = match_chunk(chunk, name);
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if let Some(e) = err {
            return Err(e);
        }
        if star {
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                let (t, ok, err) = match_chunk(chunk, &name[i + 1..]);
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                if let Some(e) = err {
                    return Err(e);
                }
                i += 1;
            }
        }
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            if let (_, _, Some(e)) = match_chunk(chunk, b"") {
                return Err(e);
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Next segment of the pattern: a non-star string possibly preceded by stars.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut inrange = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => inrange = true,
            b']' => inrange = false,
            b'*' if !inrange => return (star, &pattern[..i], &pattern[i..]),
            _ => {}
        }
        i += 1;
    }
    (star, pattern, &[])
}

/// Go's `utf8.DecodeRune`: (rune, width); invalid or empty input gives U+FFFD with width 1
/// (width 0 when empty).
fn decode_rune(s: &[u8]) -> (u32, usize) {
    if s.is_empty() {
        return (0xFFFD, 0);
    }
    for len in 1..=s.len().min(4) {
        if let Ok(st) = std::str::from_utf8(&s[..len])
            && let Some(c) = st.chars().next()
        {
            return (c as u32, len);
        }
    }
    (0xFFFD, 1)
}

type ChunkResult<'a> = (&'a [u8], bool, Option<BadPattern>);

/// Whether `chunk` (literals, classes, `?`) matches the start of `s`; returns the rest of `s`.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> ChunkResult<'a> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        failed = failed || s.is_empty();
        match c {
            b'[' => {
                let mut r = 0u32;
                if !failed {
                    let (rr, n) = decode_rune(s);
                    r = rr;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if chunk.first() == Some(&b'^') {
                    negated = true;
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = match get_esc(chunk) {
                        Ok(v) => v,
                        Err(e) => return (&[], false, Some(e)),
                    };
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        match get_esc(&chunk[1..]) {
                            Ok((h, rest)) => {
                                hi = h;
                                chunk = rest;
                            }
                            Err(e) => return (&[], false, Some(e)),
                        }
                    }
                    matched = matched || (lo <= r && r <= hi);
                    nrange += 1;
                }
                failed = failed || matched == negated;
            }
            b'?' => {
                if !failed {
                    failed = s[0] == b'/';
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return (&[], false, Some(BadPattern));
                    }
                }
                if !failed {
                    failed = chunk[0] != s[0];
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        (&[], false, None)
    } else {
        (s, true, None)
    }
}

/// A possibly escaped character of a class; the class must go on after it.
fn get_esc(mut chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    match chunk.first() {
        None | Some(b'-' | b']') => return Err(BadPattern),
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        _ => {}
    }
    let (r, n) = decode_rune(chunk);
    let rest = &chunk[n..];
    if (r == 0xFFFD && n == 1) || rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every vector of go-semantics.md §2.4 (rows 1–26 are x/mod's own TestMatchPrefixPatterns).
    #[test]
    fn match_prefix_patterns_vectors() {
        let rows: &[(u32, &str, &str, bool)] = &[
            (1, "", "rsc.io/quote", false),
            (2, "/", "rsc.io/quote", false),
            (3, "*/quote", "rsc.io/quote", true),
            (4, "*/quo", "rsc.io/quote", false),
            (5, "*/quo??", "rsc.io/quote", true),
            (6, "*/quo*", "rsc.io/quote", true),
            (7, "*quo*", "rsc.io/quote", false),
            (8, "rsc.io", "rsc.io/quote", true),
            (9, "*.io", "rsc.io/quote", true),
            (10, "rsc.io/", "rsc.io/quote", true),
            (11, "rsc", "rsc.io/quote", false),
            (12, "rsc*", "rsc.io/quote", true),
            (13, "rsc.io", "rsc.io/quote/v3", true),
            (14, "*/quote", "rsc.io/quote/v3", true),
            (15, "*/quote/", "rsc.io/quote/v3", true),
            (16, "*/quote/*", "rsc.io/quote/v3", true),
            (17, "*/quote/*/", "rsc.io/quote/v3", true),
            (18, "*/v3", "rsc.io/quote/v3", false),
            (19, "*/*/v3", "rsc.io/quote/v3", true),
            (20, "*/*/*", "rsc.io/quote/v3", true),
            (21, "*/*/*/", "rsc.io/quote/v3", true),
            (22, "*/*/*", "rsc.io/quote", false),
            (23, "*/*/*/", "rsc.io/quote", false),
            (24, "*/*/*,,", "rsc.io/quote", false),
            (25, "*/*/*,,*/quote", "rsc.io/quote", true),
            (26, ",,*/quote", "rsc.io/quote", true),
            (27, "git.example.com", "git.example.com", true),
            (28, "git.example.com", "git.example.com/team/repo", true),
            (
                29,
                "git.example.com",
                "sub.git.example.com/team/repo",
                false,
            ),
            (30, "*.git.example.com", "git.example.com/team/repo", false),
            (
                31,
                "*.git.example.com",
                "sub.git.example.com/team/repo",
                true,
            ),
            (32, "*.git.example.com", "a.b.git.example.com/x", true),
            (
                33,
                "git.example.com,*.git.example.com",
                "sub.git.example.com/x",
                true,
            ),
            (
                34,
                "git.example.com,*.git.example.com",
                "git.example.com/x",
                true,
            ),
            (35, "*.example.com", "example.com/x", false),
            (36, "*example.com", "example.com/x", true),
            (37, "*example.com", "notexample.com/x", true),
            (38, "example.com", "example.com.evil.io/x", false),
            (39, "example.com", "example.community/x", false),
            (40, "github.com/acme", "github.com/acme/tool", true),
            (41, "github.com/acme", "github.com/acme-corp/tool", false),
            (42, "github.com/acme*", "github.com/acme-corp/tool", true),
            (43, "github.com/acme/*", "github.com/acme", false),
            (44, "github.com/acme/*", "github.com/acme/tool/v2", true),
            (45, "github.com/*/tool", "github.com/acme/tool/v2", true),
            (64, "golang.org/x/*", "golang.org/x/mod", true),
            (65, "golang.org/x", "golang.org/x/mod/module", true),
            // §2.3 prose: no trimming, no case folding, double slash, malformed globs.
            (100, " example.com", "example.com/x", false),
            (101, "x.org, example.com", "example.com/x", false),
            (102, "EXAMPLE.COM", "example.com/x", false),
            (103, "example.com//", "example.com/x", false),
            (104, "[", "example.com/x", false),
            (105, "[,example.com", "example.com/x", true),
            (106, "ex[a-c]mple.com", "example.com/x", true),
            (107, "ex[^a-c]mple.com", "example.com/x", false),
            (108, "ex\\ample.com", "example.com/x", true),
            (109, "none", "example.com/x", false),
        ];
        for &(n, globs, target, want) in rows {
            assert_eq!(
                match_prefix_patterns(globs, target),
                want,
                "row {n}: MatchPrefixPatterns({globs:?}, {target:?})"
            );
        }
    }

    #[test]
    fn malformed_globs_are_reported() {
        assert_eq!(
            malformed_globs("corp.example,*.corp.example"),
            Vec::<&str>::new()
        );
        assert_eq!(malformed_globs("a[,b,[x-]/,c\\"), vec!["a[", "[x-]", "c\\"]);
        for g in ["a[", "[x-]", "c\\", "x/[^"] {
            assert!(!match_prefix_patterns(g, "a"), "{g}");
        }
    }

    /// No pattern or name panics (the Go-source differential test checks the answers).
    #[test]
    fn no_panic_on_junk() {
        let mut rng = crate::goenv::testgen::XorShift::new(0xa7);
        for _ in 0..20000 {
            let (glob, name) = (rng.junk(10), rng.junk(10));
            let _ = match_prefix_patterns(&glob, &name);
            let _ = path_match(&glob, &name);
        }
    }

    /// Rows from Go's `path/match_test.go`.
    #[test]
    fn path_match_go_vectors() {
        let bad = Err(BadPattern);
        let rows: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", bad),
            ("[-]", "-", bad),
            ("[x-]", "x", bad),
            ("[x-]", "-", bad),
            ("[x-]", "z", bad),
            ("[-x]", "x", bad),
            ("[-x]", "-", bad),
            ("[-x]", "a", bad),
            ("\\", "a", bad),
            ("[a-b-c]", "a", bad),
            ("[", "a", bad),
            ("[^", "a", bad),
            ("[^bc", "a", bad),
            ("a[", "a", bad),
            ("a[", "ab", bad),
            ("a[", "x", bad),
            ("a/b[", "x", bad),
            ("*x", "xxx", Ok(true)),
        ];
        for &(pattern, name, want) in rows {
            assert_eq!(
                path_match(pattern, name),
                want,
                "path.Match({pattern:?}, {name:?})"
            );
        }
    }
}
