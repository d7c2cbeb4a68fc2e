//! `.netrc` credentials, read and matched exactly as cmd/go does (`cmd/go/internal/auth`).
//!
//! - The file is `$NETRC` when set and non-empty, else `~/.netrc` (Windows: `%USERPROFILE%\_netrc`
//!   when it exists, else `.netrc`). A missing file means no credentials.
//! - Parsing follows `parseNetrc`: tokens are taken in pairs per line, `machine` starts an entry,
//!   an entry counts once it has machine, login and password, `macdef` skips the following lines
//!   up to an empty one, and a lone `default` ends the file.
//! - Matching follows `loadCredential`: the request URL without `https://` is tried as a prefix,
//!   walking up one `/` at a time (`host:port/a/b`, `host:port/a`, `host:port`). The machine must
//!   therefore name a non-default port (`machine 127.0.0.1` does not match `https://127.0.0.1:8443`).
//!   When a machine is listed twice, the first entry wins.
//! - Credentials only ever go to `https` URLs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The most read of a `.netrc` (a FIFO, a device or a larger file gives no credentials).
pub const MAX_BYTES: u64 = 1 << 20;

/// One complete `machine` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetrcLine {
    pub machine: String,
    pub login: String,
    pub password: String,
}

/// Parses `.netrc` text the way cmd/go's `parseNetrc` does.
pub fn parse(data: &str) -> Vec<NetrcLine> {
    let mut out = Vec::new();
    let mut machine = String::new();
    let mut login = String::new();
    let mut password = String::new();
    let mut in_macro = false;
    for line in data.split('\n') {
        if in_macro {
            if line.is_empty() {
                in_macro = false;
            }
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let mut i = 0;
        while i + 1 < f.len() {
            match f[i] {
                "machine" => {
                    machine = f[i + 1].to_string();
                    login.clear();
                    password.clear();
                }
                "login" => login = f[i + 1].to_string(),
                "password" => password = f[i + 1].to_string(),
                "macdef" => in_macro = true,
                _ => {}
            }
            if !machine.is_empty() && !login.is_empty() && !password.is_empty() {
                out.push(NetrcLine {
                    machine: std::mem::take(&mut machine),
                    login: std::mem::take(&mut login),
                    password: std::mem::take(&mut password),
                });
            }
            i += 2;
        }
        if i < f.len() && f[i] == "default" {
            break;
        }
    }
    out
}

/// The `.netrc` file go would read, from the given `NETRC` and home directory.
pub fn path(netrc_env: Option<&str>, home: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = netrc_env.filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let home = home?;
    if cfg!(windows) {
        let legacy = home.join("_netrc");
        if legacy.exists() {
            return Some(legacy);
        }
    }
    Some(home.join(".netrc"))
}

/// Credentials by machine prefix, ready for lookups.
#[derive(Debug, Clone, Default)]
pub struct Netrc {
    by_prefix: HashMap<String, (String, String)>,
}

impl Netrc {
    /// Builds the lookup table; the first entry for a machine wins, as in go.
    pub fn from_lines(lines: Vec<NetrcLine>) -> Netrc {
        let mut by_prefix = HashMap::new();
        for l in lines {
            let key = l.machine.trim_end_matches('/').to_string();
            by_prefix.entry(key).or_insert((l.login, l.password));
        }
        Netrc { by_prefix }
    }

    /// True when there are no credentials at all.
    pub fn is_empty(&self) -> bool {
        self.by_prefix.is_empty()
    }

    /// The login and password for an `https` URL, by go's prefix walk; `None` for any other
    /// scheme.
    pub fn lookup(&self, url: &str) -> Option<(&str, &str)> {
        let rest = url.strip_prefix("https://")?;
        let mut prefix = rest.trim_end_matches('/');
        loop {
            if let Some((l, p)) = self.by_prefix.get(prefix) {
                return Some((l.as_str(), p.as_str()));
            }
            prefix = &prefix[..prefix.rfind('/')?];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vector from cmd/go/internal/auth/netrc_test.go.
    const GO_TEST_NETRC: &str = "
machine incomplete
password none

machine api.github.com
  login user
  password pwd

machine incomlete.host
  login justlogin

machine test.host
login user2
password pwd2

machine oneline login user3 password pwd3

machine ignore.host macdef ignore
  login nobody
  password nothing

machine hasmacro.too macdef ignore-next-lines login user4 password pwd4
  login nobody
  password nothing

default
login anonymous
password gopher@golang.org

machine after.default
login oops
password too-late-in-file
";

    fn line(m: &str, l: &str, p: &str) -> NetrcLine {
        NetrcLine {
            machine: m.into(),
            login: l.into(),
            password: p.into(),
        }
    }

    #[test]
    fn parses_like_go() {
        assert_eq!(
            parse(GO_TEST_NETRC),
            vec![
                line("api.github.com", "user", "pwd"),
                line("test.host", "user2", "pwd2"),
                line("oneline", "user3", "pwd3"),
                line("hasmacro.too", "user4", "pwd4"),
            ]
        );
    }

    #[test]
    fn port_must_match() {
        let n = Netrc::from_lines(parse("machine 127.0.0.1 login a password b\n"));
        assert_eq!(n.lookup("https://127.0.0.1:18443/x/@v/list"), None);
        assert_eq!(n.lookup("https://127.0.0.1/x/@v/list"), Some(("a", "b")));
        let n = Netrc::from_lines(parse("machine 127.0.0.1:18443 login a password b\n"));
        assert_eq!(
            n.lookup("https://127.0.0.1:18443/x/@v/list"),
            Some(("a", "b"))
        );
        assert_eq!(n.lookup("https://127.0.0.1/x"), None);
    }

    #[test]
    fn path_prefixes_and_first_entry_wins() {
        let n = Netrc::from_lines(parse(
            "machine h.example/needauth login a password b\n\
             machine h.example login c password d\n\
             machine h.example login e password f\n",
        ));
        assert_eq!(
            n.lookup("https://h.example/needauth/golang.org/x/text/@v/v0.3.0.info"),
            Some(("a", "b"))
        );
        assert_eq!(n.lookup("https://h.example/other"), Some(("c", "d")));
        assert_eq!(n.lookup("https://h.example.evil/other"), None);
    }

    #[test]
    fn never_for_plain_http() {
        let n = Netrc::from_lines(parse("machine h.example login a password b\n"));
        assert_eq!(n.lookup("http://h.example/x"), None);
    }

    #[test]
    fn file_location() {
        assert_eq!(
            path(Some("/x/netrc"), Some(Path::new("/home/u"))),
            Some(PathBuf::from("/x/netrc"))
        );
        if !cfg!(windows) {
            assert_eq!(
                path(Some(""), Some(Path::new("/home/u"))),
                Some(PathBuf::from("/home/u/.netrc"))
            );
        }
        assert_eq!(path(None, None), None);
    }
}
