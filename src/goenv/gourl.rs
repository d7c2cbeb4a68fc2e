//! The part of Go's `net/url.Parse` that GOPROXY validation depends on: the same accept/reject
//! decisions and error texts, and `URL.Redacted` for the URLs go prints in its errors.
//!
//! `redacted` rebuilds the string from the raw (still escaped) components, which is what Go
//! prints for every URL whose escaping is already canonical.

/// The components of a parsed URL that GOPROXY validation looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GoUrl {
    pub scheme: String,
    pub opaque: String,
    /// Raw userinfo (`user` or `user:password`), when an `@` was present.
    pub user: Option<String>,
    pub raw_host: String,
    pub raw_path: String,
    pub raw_query: String,
    pub force_query: bool,
    pub raw_fragment: String,
    pub omit_host: bool,
}

impl GoUrl {
    /// True when only the scheme and the path are set (Go: `*u == url.URL{Scheme, Path, RawPath}`).
    pub fn is_path_only(&self) -> bool {
        self.opaque.is_empty()
            && self.user.is_none()
            && self.raw_host.is_empty()
            && self.raw_query.is_empty()
            && !self.force_query
            && self.raw_fragment.is_empty()
            && !self.omit_host
    }

    /// Go's `URL.Redacted`: the URL with any password replaced by `xxxxx`.
    pub fn redacted(&self) -> String {
        let mut buf = String::new();
        if !self.scheme.is_empty() {
            buf.push_str(&self.scheme);
            buf.push(':');
        }
        if self.opaque.is_empty() {
            if (!self.scheme.is_empty() || !self.raw_host.is_empty() || self.user.is_some())
                && (!self.omit_host || !self.raw_host.is_empty() || self.user.is_some())
            {
                if !self.raw_host.is_empty() || !self.raw_path.is_empty() || self.user.is_some() {
                    buf.push_str("//");
                }
                if let Some(user) = &self.user {
                    match user.split_once(':') {
                        Some((name, _)) => {
                            buf.push_str(name);
                            buf.push_str(":xxxxx");
                        }
                        None => buf.push_str(user),
                    }
                    buf.push('@');
                }
                buf.push_str(&self.raw_host);
            }
            if buf.is_empty() {
                let segment = self.raw_path.split('/').next().unwrap_or("");
                if segment.contains(':') {
                    buf.push_str("./");
                }
            }
            buf.push_str(&self.raw_path);
        } else {
            buf.push_str(&self.opaque);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push('?');
            buf.push_str(&self.raw_query);
        }
        if !self.raw_fragment.is_empty() {
            buf.push('#');
            buf.push_str(&self.raw_fragment);
        }
        buf
    }
}

/// Go's `url.Parse`; the error is the full `*url.Error` text (`parse "X": reason`).
pub(crate) fn parse(raw: &str) -> Result<GoUrl, String> {
    let (u, frag) = raw.split_once('#').unwrap_or((raw, ""));
    let mut url = parse_inner(u).map_err(|e| format!("parse {}: {e}", go_quote(u)))?;
    if !frag.is_empty() {
        unescape(frag, Mode::Fragment).map_err(|e| format!("parse {}: {e}", go_quote(raw)))?;
        url.raw_fragment = frag.to_string();
    }
    Ok(url)
}

fn parse_inner(raw: &str) -> Result<GoUrl, String> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut url = GoUrl::default();
    if raw == "*" {
        url.raw_path = "*".into();
        return Ok(url);
    }
    let (scheme, mut rest) = get_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        rest = r;
        url.raw_query = q.to_string();
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_string();
            return Ok(url);
        }
        if rest.split('/').next().unwrap_or("").contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (authority, path) = match authority.find('/') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        };
        parse_authority(&url.scheme, authority)?;
        match authority.rfind('@') {
            Some(i) => {
                url.user = Some(authority[..i].to_string());
                url.raw_host = authority[i + 1..].to_string();
            }
            None => url.raw_host = authority.to_string(),
        }
        rest = path;
    } else if !url.scheme.is_empty() && rest.starts_with('/') {
        url.omit_host = true;
    }
    unescape(rest, Mode::Path)?;
    url.raw_path = rest.to_string();
    Ok(url)
}

fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".into());
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn parse_authority(scheme: &str, authority: &str) -> Result<(), String> {
    let at = authority.rfind('@');
    let host = at.map_or(authority, |i| &authority[i + 1..]);
    parse_host(scheme, host)?;
    let Some(i) = at else { return Ok(()) };
    let userinfo = &authority[..i];
    let valid = userinfo.chars().all(|r| {
        r.is_ascii_alphanumeric()
            || matches!(
                r,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    });
    if !valid {
        return Err("net/url: invalid userinfo".into());
    }
    match userinfo.split_once(':') {
        None => unescape(userinfo, Mode::UserPassword),
        Some((name, password)) => {
            unescape(name, Mode::UserPassword)?;
            unescape(password, Mode::UserPassword)
        }
    }
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty() || (port.starts_with(':') && port[1..].bytes().all(|b| b.is_ascii_digit()))
}

fn parse_host(scheme: &str, host: &str) -> Result<(), String> {
    match host.rfind('[') {
        Some(i) if i > 0 => return Err("invalid IP-literal".into()),
        Some(_) => {
            let Some(close) = host.rfind(']') else {
                return Err("missing ']' in host".into());
            };
            let colon_port = &host[close + 1..];
            if !valid_optional_port(colon_port) {
                return Err(format!("invalid port {} after host", go_quote(colon_port)));
            }
            unescape(colon_port, Mode::Host)?;
            let hostname = &host[1..close];
            let addr = if let Some(z) = hostname.find("%25") {
                unescape(&hostname[..z], Mode::Host)?;
                unescape(&hostname[z..], Mode::Zone)?;
                &hostname[..z]
            } else {
                unescape(hostname, Mode::Host)?;
                hostname
            };
            if addr.parse::<std::net::Ipv4Addr>().is_ok() {
                return Err("invalid IP-literal".into());
            }
            if addr.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!(
                    "invalid host: ParseAddr({}): unable to parse IP",
                    go_quote(hostname)
                ));
            }
            return Ok(());
        }
        None => {}
    }
    if let Some(mut i) = host.find(':') {
        let last = host.rfind(':').unwrap_or(i);
        if last != i && scheme != "http" && scheme != "https" {
            i = last;
        }
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", go_quote(colon_port)));
        }
    }
    unescape(host, Mode::Host)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

fn should_escape_host(c: u8) -> bool {
    !(c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
                | b'-'
                | b'_'
                | b'.'
                | b'~'
        ))
}

/// The validation half of Go's `unescape`: the same errors, no decoded output.
fn unescape(s: &str, mode: Mode) -> Result<(), String> {
    let b = s.as_bytes();
    let hex = |c: u8| c.is_ascii_hexdigit();
    let unhex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() || !hex(b[i + 1]) || !hex(b[i + 2]) {
                    let end = (i + 3).min(b.len());
                    return Err(escape_error(&b[i..end]));
                }
                let esc = &b[i..i + 3];
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && esc != b"%25" {
                    return Err(escape_error(esc));
                }
                if mode == Mode::Zone {
                    let v = (unhex(b[i + 1]) << 4) | unhex(b[i + 2]);
                    if esc != b"%25" && v != b' ' && should_escape_host(v) {
                        return Err(escape_error(esc));
                    }
                }
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape_host(c) {
                    return Err(format!(
                        "invalid character {} in host name",
                        go_quote(&(c as char).to_string())
                    ));
                }
                i += 1;
            }
        }
    }
    Ok(())
}

fn escape_error(bytes: &[u8]) -> String {
    format!(
        "invalid URL escape {}",
        go_quote(&String::from_utf8_lossy(bytes))
    )
}

/// Go's `strconv.Quote` for the strings that appear in URL errors.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_match_go() {
        let rows: &[(&str, Result<&str, &str>)] = &[
            ("https://proxy.golang.org", Ok("https://proxy.golang.org")),
            (
                "https://u:secret@h.example/p",
                Ok("https://u:xxxxx@h.example/p"),
            ),
            ("https://u@h.example/p?q#f", Ok("https://u@h.example/p?q#f")),
            ("file:///srv/proxy", Ok("file:///srv/proxy")),
            ("file:/srv/proxy", Ok("file:/srv/proxy")),
            ("mailto:x", Ok("mailto:x")),
            ("https://[::1]:8080/x", Ok("https://[::1]:8080/x")),
            (
                "https://file:proxyroot",
                Err("parse \"https://file:proxyroot\": invalid port \":proxyroot\" after host"),
            ),
            (":x", Err("parse \":x\": missing protocol scheme")),
            ("a:b/c", Ok("a:b/c")),
            (
                "1a:b",
                Err("parse \"1a:b\": first path segment in URL cannot contain colon"),
            ),
            (
                "https://h/%zz",
                Err("parse \"https://h/%zz\": invalid URL escape \"%zz\""),
            ),
            (
                "https://h\n",
                Err("parse \"https://h\\n\": net/url: invalid control character in URL"),
            ),
            (
                "https://a b/",
                Err("parse \"https://a b/\": invalid character \" \" in host name"),
            ),
            (
                "https://x[::1]/",
                Err("parse \"https://x[::1]/\": invalid IP-literal"),
            ),
            (
                "https://[::1/",
                Err("parse \"https://[::1/\": missing ']' in host"),
            ),
            (
                "https://[1.2.3.4]/",
                Err("parse \"https://[1.2.3.4]/\": invalid IP-literal"),
            ),
            (
                "https://a:1:2/",
                Err("parse \"https://a:1:2/\": invalid port \":1:2\" after host"),
            ),
            ("mongodb://a:1,b:2/", Ok("mongodb://a:1,b:2/")),
            (
                "https://u^@h/",
                Err("parse \"https://u^@h/\": net/url: invalid userinfo"),
            ),
            (
                "https://h/#%zz",
                Err("parse \"https://h/#%zz\": invalid URL escape \"%zz\""),
            ),
        ];
        for &(input, want) in rows {
            let got = parse(input).map(|u| u.redacted());
            let want = want.map(String::from).map_err(String::from);
            assert_eq!(got, want, "{input:?}");
        }
    }
}
