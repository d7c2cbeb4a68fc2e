//! Module paths and versions as they travel in GOPROXY URLs: a port of x/mod
//! `module/module.go` — `UnescapePath`, `UnescapeVersion` (`unescapeString`), `CheckPath`
//! (`checkPath`, `checkElem`, `firstPathOK`, `pathOK`, `fileNameOK`, `SplitPathVersion`).
//! The escaping direction is [`super::escape_module_path`].

/// Why an escaped path or version is refused (x/mod's error texts, without the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModuleError {
    #[error("invalid escaping")]
    Escaping,
    #[error("malformed module path: {0}")]
    Path(&'static str),
    #[error("disallowed version string: {0}")]
    Version(&'static str),
}

/// `module.UnescapePath`: undoes the `!x` case-encoding, then checks the result with
/// [`check_path`].
pub fn unescape_path(escaped: &str) -> Result<String, ModuleError> {
    let path = unescape_string(escaped).ok_or(ModuleError::Escaping)?;
    check_path(&path)?;
    Ok(path)
}

/// `module.UnescapeVersion`: undoes the `!x` case-encoding; the version must be a valid file
/// name element (queries such as `master` are allowed, `/` is not).
pub fn unescape_version(escaped: &str) -> Result<String, ModuleError> {
    let v = unescape_string(escaped).ok_or(ModuleError::Escaping)?;
    check_elem(&v, true).map_err(ModuleError::Version)?;
    Ok(v)
}

/// `unescapeString`: ASCII only; `!` must be followed by a lower-case letter; no upper case.
fn unescape_string(escaped: &str) -> Option<String> {
    let mut out = String::with_capacity(escaped.len());
    let mut bang = false;
    for c in escaped.chars() {
        if !c.is_ascii() {
            return None;
        }
        if bang {
            bang = false;
            if !c.is_ascii_lowercase() {
                return None;
            }
            out.push(c.to_ascii_uppercase());
            continue;
        }
        match c {
            '!' => bang = true,
            c if c.is_ascii_uppercase() => return None,
            c => out.push(c),
        }
    }
    (!bang).then_some(out)
}

/// `module.CheckPath`: a valid import path whose first element is a lower-case domain-like
/// name with a dot, and whose `/vN` (or gopkg.in `.vN`) suffix is well formed.
pub fn check_path(path: &str) -> Result<(), ModuleError> {
    check_general_path(path).map_err(ModuleError::Path)?;
    let first = path.split('/').next().unwrap_or_default();
    if first.is_empty() {
        return Err(ModuleError::Path("leading slash"));
    }
    if !first.contains('.') {
        return Err(ModuleError::Path("missing dot in first path element"));
    }
    if first.starts_with('-') {
        return Err(ModuleError::Path("leading dash in first path element"));
    }
    if !first
        .bytes()
        .all(|b| b == b'-' || b == b'.' || b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        return Err(ModuleError::Path("invalid char in first path element"));
    }
    if path_major(path).is_none() {
        return Err(ModuleError::Path("invalid version"));
    }
    Ok(())
}

/// `checkPath(path, false)`.
fn check_general_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("empty string");
    }
    if path.contains("..") {
        return Err("double dot");
    }
    if path.contains("//") {
        return Err("double slash");
    }
    if path.ends_with('/') {
        return Err("trailing slash");
    }
    path.split('/').try_for_each(|e| check_elem(e, false))
}

const BAD_WINDOWS_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// `checkElem`: non-empty, not only dots, no leading dot (directories), no trailing dot,
/// allowed characters only, not a reserved Windows name.
fn check_elem(elem: &str, file_name: bool) -> Result<(), &'static str> {
    if elem.is_empty() {
        return Err("empty path element");
    }
    if elem.bytes().all(|b| b == b'.') {
        return Err("invalid path element");
    }
    if elem.starts_with('.') && !file_name {
        return Err("leading dot in path element");
    }
    if elem.ends_with('.') {
        return Err("trailing dot in path element");
    }
    let ok = if file_name { file_name_ok } else { path_ok };
    if !elem.chars().all(ok) {
        return Err("invalid char");
    }
    let short = elem.split('.').next().unwrap_or(elem);
    if BAD_WINDOWS_NAMES
        .iter()
        .any(|bad| bad.eq_ignore_ascii_case(short))
    {
        return Err("disallowed as path element component on Windows");
    }
    Ok(())
}

/// `pathOK`: ASCII letters, digits and `+ - . _ ~`.
fn path_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_' | '~')
}

/// `fileNameOK`: ASCII letters, digits, `!#$%&()+,-.=@[]^_{}~` and space; any Unicode letter.
fn file_name_ok(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || "!#$%&()+,-.=@[]^_{}~ ".contains(c)
    } else {
        c.is_alphabetic()
    }
}

/// `module.SplitPathVersion`'s major suffix (`/v2`, `.v1` for gopkg.in, empty for none);
/// `None` when the path's version suffix is malformed (its `ok` is false).
pub fn path_major(path: &str) -> Option<&str> {
    let b = path.as_bytes();
    if path.starts_with("gopkg.in/") {
        let mut i = b.len();
        if path.ends_with("-unstable") {
            i -= "-unstable".len();
        }
        while i > 0 && b[i - 1].is_ascii_digit() {
            i -= 1;
        }
        if i <= 1 || b[i - 1] != b'v' || b[i - 2] != b'.' {
            return None;
        }
        let major = &path[i - 2..];
        if major.len() <= 2 || (major.as_bytes()[2] == b'0' && major != ".v0") {
            return None;
        }
        return Some(major);
    }
    let mut i = b.len();
    let mut dot = false;
    while i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
        dot |= b[i - 1] == b'.';
        i -= 1;
    }
    if i <= 1 || i == b.len() || b[i - 1] != b'v' || b[i - 2] != b'/' {
        return Some("");
    }
    let major = &path[i - 2..];
    if dot || major.len() <= 2 || major.as_bytes()[2] == b'0' || major == "/v1" {
        return None;
    }
    Some(major)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_path_table() {
        for (escaped, want) in [
            (
                "github.com/!burnt!sushi/toml",
                Ok("github.com/BurntSushi/toml"),
            ),
            ("golang.org/x/text", Ok("golang.org/x/text")),
            ("golang.org/toolchain", Ok("golang.org/toolchain")),
            ("gopkg.in/yaml.v3", Ok("gopkg.in/yaml.v3")),
            ("example.com/m/v2", Ok("example.com/m/v2")),
            ("github.com", Ok("github.com")),
            ("github.com/Burnt", Err(ModuleError::Escaping)),
            ("github.com/!", Err(ModuleError::Escaping)),
            ("github.com/!1", Err(ModuleError::Escaping)),
            ("github.com/é", Err(ModuleError::Escaping)),
            ("example.com/../x", Err(ModuleError::Path("double dot"))),
            ("example.com//x", Err(ModuleError::Path("double slash"))),
            ("example.com/x/", Err(ModuleError::Path("trailing slash"))),
            ("/example.com", Err(ModuleError::Path("empty path element"))),
            ("", Err(ModuleError::Path("empty string"))),
            (
                "localhost/x",
                Err(ModuleError::Path("missing dot in first path element")),
            ),
            (
                "-x.com/y",
                Err(ModuleError::Path("leading dash in first path element")),
            ),
            (
                "ex_ample.com/y",
                Err(ModuleError::Path("invalid char in first path element")),
            ),
            (
                "example.com/.hidden",
                Err(ModuleError::Path("leading dot in path element")),
            ),
            ("example.com/a b", Err(ModuleError::Path("invalid char"))),
            (
                "example.com/con",
                Err(ModuleError::Path(
                    "disallowed as path element component on Windows",
                )),
            ),
            (
                "example.com/m/v1",
                Err(ModuleError::Path("invalid version")),
            ),
            (
                "example.com/m/v0",
                Err(ModuleError::Path("invalid version")),
            ),
            (
                "example.com/m/v2.1",
                Err(ModuleError::Path("invalid version")),
            ),
            ("gopkg.in/yaml", Err(ModuleError::Path("invalid version"))),
        ] {
            assert_eq!(
                unescape_path(escaped),
                want.map(str::to_string),
                "{escaped}"
            );
        }
    }

    #[test]
    fn unescape_version_table() {
        for (escaped, want) in [
            ("v1.2.3", Ok("v1.2.3")),
            ("v2.0.0+incompatible", Ok("v2.0.0+incompatible")),
            ("v1.0.0-!r!c1", Ok("v1.0.0-RC1")),
            ("master", Ok("master")),
            ("1234abcd", Ok("1234abcd")),
            ("v1.0.0-RC1", Err(ModuleError::Escaping)),
            ("..", Err(ModuleError::Version("invalid path element"))),
            ("", Err(ModuleError::Version("empty path element"))),
            ("a/b", Err(ModuleError::Version("invalid char"))),
            ("a*b", Err(ModuleError::Version("invalid char"))),
        ] {
            assert_eq!(
                unescape_version(escaped),
                want.map(str::to_string),
                "{escaped}"
            );
        }
    }
}
