//! What go asks the router for: the path after `/<token>/`, percent-decoded exactly once, the
//! `!x` case-encoding undone and the module path and version validated (router-facts §1.1,
//! §1.2, §4.2). Everything else is refused before it can reach an upstream URL.

use crate::goenv::escape_module_path;
use crate::goenv::module::{unescape_path, unescape_version};

/// The module endpoints of the GOPROXY protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `@v/list`.
    List,
    /// `@v/<version>.info` (the version may be a query such as `master`).
    Info,
    /// `@v/<version>.mod`.
    Mod,
    /// `@v/<version>.zip`.
    Zip,
    /// `@latest`.
    Latest,
}

/// One request, parsed and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A module endpoint; `version` is set for `.info`, `.mod` and `.zip`.
    Module {
        module: String,
        kind: Kind,
        version: Option<String>,
    },
    /// `sumdb/<name>/supported`.
    SumdbSupported { name: String },
    /// `sumdb/<name>/lookup/<module>@<version>`.
    SumdbLookup {
        name: String,
        module: String,
        version: String,
    },
    /// `sumdb/<name>/tile/<H>/<L>/<NNN>[.p/<W>]` (hash tiles only: go never asks for data
    /// tiles).
    SumdbTile { name: String, tile: Tile },
}

/// A hash tile of the checksum database's log (x/mod `sumdb/tlog` `Tile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub height: u32,
    pub level: u32,
    pub index: u64,
    /// `Some(w)` for a partial tile `.p/<w>`; `None` for a full one (width 2^height).
    pub partial: Option<u32>,
}

impl Tile {
    /// The tile's size in bytes: one 32-byte hash per entry.
    pub fn size(&self) -> usize {
        let width = self.partial.unwrap_or(1 << self.height);
        width as usize * 32
    }

    /// `tlog.Tile.Path` without the `tile/` prefix: `8/1/x001/234.p/5`.
    fn path(&self) -> String {
        let mut n = self.index;
        let mut groups = vec![format!("{:03}", n % 1000)];
        n /= 1000;
        while n > 0 {
            groups.push(format!("x{:03}", n % 1000));
            n /= 1000;
        }
        groups.reverse();
        let mut p = format!("{}/{}/{}", self.height, self.level, groups.join("/"));
        if let Some(w) = self.partial {
            p.push_str(&format!(".p/{w}"));
        }
        p
    }
}

/// Why a path is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a GOPROXY or checksum database path: 404.
    NotFound,
    /// Malformed escaping that go never sends: 400.
    BadRequest,
}

impl Request {
    /// Parses the raw (still percent-encoded) path after `/<token>/`.
    pub fn parse(raw: &str) -> Result<Request, Refusal> {
        let path = percent_decode(raw)?;
        if let Some(rest) = path.strip_prefix("sumdb/") {
            return parse_sumdb(rest);
        }
        if let Some(module) = path.strip_suffix("/@latest") {
            return Ok(Request::Module {
                module: module_path(module)?,
                kind: Kind::Latest,
                version: None,
            });
        }
        let (module, file) = path.split_once("/@v/").ok_or(Refusal::NotFound)?;
        let module = module_path(module)?;
        if file == "list" {
            return Ok(Request::Module {
                module,
                kind: Kind::List,
                version: None,
            });
        }
        let (version, ext) = file.rsplit_once('.').ok_or(Refusal::NotFound)?;
        let kind = match ext {
            "info" => Kind::Info,
            "mod" => Kind::Mod,
            "zip" => Kind::Zip,
            _ => return Err(Refusal::NotFound),
        };
        let version = unescape_version(version).map_err(|_| Refusal::NotFound)?;
        Ok(Request::Module {
            module,
            kind,
            version: Some(version),
        })
    }

    /// The module path this request is about (`None` for `supported` and tiles).
    pub fn module(&self) -> Option<&str> {
        match self {
            Request::Module { module, .. } | Request::SumdbLookup { module, .. } => Some(module),
            Request::SumdbSupported { .. } | Request::SumdbTile { .. } => None,
        }
    }

    /// The path to request from a module proxy, below its base URL (no leading `/`),
    /// escaped as go escapes it.
    pub fn proxy_path(&self) -> String {
        match self {
            Request::Module {
                module,
                kind,
                version,
            } => {
                let m = escape_module_path(module);
                let v = version
                    .as_deref()
                    .map(escape_module_path)
                    .unwrap_or_default();
                let tail = match kind {
                    Kind::List => "@v/list".to_string(),
                    Kind::Latest => "@latest".to_string(),
                    Kind::Info => format!("@v/{v}.info"),
                    Kind::Mod => format!("@v/{v}.mod"),
                    Kind::Zip => format!("@v/{v}.zip"),
                };
                path_escape(&format!("{m}/{tail}"))
            }
            Request::SumdbSupported { name } => path_escape(&format!("sumdb/{name}/supported")),
            Request::SumdbLookup { name, .. } | Request::SumdbTile { name, .. } => format!(
                "{}/{}",
                path_escape(&format!("sumdb/{name}")),
                self.sumdb_path().unwrap_or_default()
            ),
        }
    }

    /// For lookups and tiles: the path below a checksum database's own base URL
    /// (`lookup/<m>@<v>`, `tile/8/1/488.p/229`), escaped.
    pub fn sumdb_path(&self) -> Option<String> {
        match self {
            Request::SumdbLookup {
                module, version, ..
            } => Some(path_escape(&format!(
                "lookup/{}@{}",
                escape_module_path(module),
                escape_module_path(version)
            ))),
            Request::SumdbTile { tile, .. } => Some(format!("tile/{}", tile.path())),
            _ => None,
        }
    }

    /// A short description for traces and error bodies (`example.com/m@v1.0.0 .zip`).
    pub fn describe(&self) -> String {
        match self {
            Request::Module {
                module,
                kind,
                version,
            } => match (kind, version) {
                (Kind::List, _) => format!("{module} list"),
                (Kind::Latest, _) => format!("{module}@latest"),
                (k, Some(v)) => format!("{module}@{v} {}", kind_ext(*k)),
                (_, None) => module.clone(),
            },
            Request::SumdbSupported { name } => format!("{name} supported"),
            Request::SumdbLookup {
                name,
                module,
                version,
            } => format!("{name} lookup {module}@{version}"),
            Request::SumdbTile { name, tile } => format!("{name} tile {}", tile.path()),
        }
    }
}

fn kind_ext(kind: Kind) -> &'static str {
    match kind {
        Kind::Info => ".info",
        Kind::Mod => ".mod",
        Kind::Zip => ".zip",
        Kind::List => "list",
        Kind::Latest => "@latest",
    }
}

fn module_path(escaped: &str) -> Result<String, Refusal> {
    unescape_path(escaped).map_err(|_| Refusal::NotFound)
}

fn parse_sumdb(rest: &str) -> Result<Request, Refusal> {
    let (name, rest) = rest.split_once('/').ok_or(Refusal::NotFound)?;
    if name.is_empty()
        || name.starts_with('.')
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    {
        return Err(Refusal::NotFound);
    }
    let name = name.to_string();
    if rest == "supported" {
        return Ok(Request::SumdbSupported { name });
    }
    if let Some(key) = rest.strip_prefix("lookup/") {
        // A module path never contains `@`; a version may.
        let (module, version) = key.split_once('@').ok_or(Refusal::NotFound)?;
        return Ok(Request::SumdbLookup {
            name,
            module: module_path(module)?,
            version: unescape_version(version).map_err(|_| Refusal::NotFound)?,
        });
    }
    if let Some(tile) = rest.strip_prefix("tile/") {
        return Ok(Request::SumdbTile {
            name,
            tile: parse_tile(tile).ok_or(Refusal::NotFound)?,
        });
    }
    Err(Refusal::NotFound)
}

/// `tlog.ParseTilePath` for hash tiles: `H/L/[xNNN/...]NNN[.p/W]`, 1 ≤ H ≤ 30, L ≤ 63,
/// 0 < W < 2^H.
fn parse_tile(s: &str) -> Option<Tile> {
    let (s, partial) = match s.split_once(".p/") {
        Some((head, w)) => (head, Some(w)),
        None => (s, None),
    };
    let mut parts = s.split('/');
    let height: u32 = small_number(parts.next()?)?;
    let level: u32 = small_number(parts.next()?)?;
    if !(1..=30).contains(&height) || level > 63 {
        return None;
    }
    let groups: Vec<&str> = parts.collect();
    let (last, rest) = groups.split_last()?;
    let mut index: u64 = 0;
    for g in rest {
        let digits = g.strip_prefix('x')?;
        index = index
            .checked_mul(1000)?
            .checked_add(three_digits(digits)?)?;
    }
    index = index.checked_mul(1000)?.checked_add(three_digits(last)?)?;
    let partial = match partial {
        Some(w) => {
            let w: u32 = small_number(w)?;
            if w == 0 || w >= 1 << height {
                return None;
            }
            Some(w)
        }
        None => None,
    };
    Some(Tile {
        height,
        level,
        index,
        partial,
    })
}

fn three_digits(s: &str) -> Option<u64> {
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A decimal without sign or leading zeros (`0` itself allowed), at most 9 digits.
fn small_number<T: std::str::FromStr>(s: &str) -> Option<T> {
    let ok = !s.is_empty()
        && s.len() <= 9
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

/// Decodes `%XX` once; `+` stays `+`. Malformed escapes and non-UTF-8 results are refused.
fn percent_decode(s: &str) -> Result<String, Refusal> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(Refusal::BadRequest)?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Refusal::BadRequest)
}

/// Go's `pathEscape` for proxy URLs (`url.PathEscape`, then `%2F` back to `/`): unreserved
/// characters and `$&+:=@` stay, everything else is `%XX`.
pub fn path_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$&+:=@/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(
        clippy::unnecessary_wraps,
        reason = "compared with Request::parse's result"
    )]
    fn module(m: &str, kind: Kind, v: Option<&str>) -> Result<Request, Refusal> {
        Ok(Request::Module {
            module: m.into(),
            kind,
            version: v.map(str::to_string),
        })
    }

    #[test]
    fn parse_table() {
        use Kind::*;
        use Refusal::*;
        for (raw, want) in [
            (
                "golang.org/x/text/@v/list",
                module("golang.org/x/text", List, None),
            ),
            (
                "github.com/%21burnt%21sushi/toml/@v/v1.2.3.info",
                module("github.com/BurntSushi/toml", Info, Some("v1.2.3")),
            ),
            (
                "github.com/!burnt!sushi/toml/@v/v1.2.3.mod",
                module("github.com/BurntSushi/toml", Mod, Some("v1.2.3")),
            ),
            (
                "example.com/m/@v/v2.0.0+incompatible.zip",
                module("example.com/m", Zip, Some("v2.0.0+incompatible")),
            ),
            (
                "example.com/m/@v/master.info",
                module("example.com/m", Info, Some("master")),
            ),
            (
                "example.com/m/@v/1234abcd.info",
                module("example.com/m", Info, Some("1234abcd")),
            ),
            (
                "example.com/m/@latest",
                module("example.com/m", Latest, None),
            ),
            ("github.com/@v/list", module("github.com", List, None)),
            (
                "golang.org/toolchain/@v/v0.0.1-go1.25.0.linux-amd64.zip",
                module(
                    "golang.org/toolchain",
                    Zip,
                    Some("v0.0.1-go1.25.0.linux-amd64"),
                ),
            ),
            (
                "sumdb/sum.golang.org/supported",
                Ok(Request::SumdbSupported {
                    name: "sum.golang.org".into(),
                }),
            ),
            (
                "sumdb/sum.golang.org/lookup/github.com/!burnt!sushi/toml@v1.2.3",
                Ok(Request::SumdbLookup {
                    name: "sum.golang.org".into(),
                    module: "github.com/BurntSushi/toml".into(),
                    version: "v1.2.3".into(),
                }),
            ),
            (
                "sumdb/sum.golang.org/tile/8/1/488.p/229",
                Ok(Request::SumdbTile {
                    name: "sum.golang.org".into(),
                    tile: Tile {
                        height: 8,
                        level: 1,
                        index: 488,
                        partial: Some(229),
                    },
                }),
            ),
            (
                "sumdb/sum.golang.org/tile/8/0/x001/x234/567",
                Ok(Request::SumdbTile {
                    name: "sum.golang.org".into(),
                    tile: Tile {
                        height: 8,
                        level: 0,
                        index: 1_234_567,
                        partial: None,
                    },
                }),
            ),
            ("sumdb/sum.golang.org/tile/8/data/001", Err(NotFound)),
            ("sumdb/sum.golang.org/tile/8/0/1", Err(NotFound)),
            ("sumdb/sum.golang.org/tile/8/0/001.p/256", Err(NotFound)),
            ("sumdb/sum.golang.org/tile/8/0/001.p/0", Err(NotFound)),
            ("sumdb/sum.golang.org/latest", Err(NotFound)),
            ("sumdb/../x/supported", Err(NotFound)),
            ("sumdb/../supported", Err(NotFound)),
            ("example.com/../m/@v/list", Err(NotFound)),
            ("example.com/%2E%2E/m/@v/list", Err(NotFound)),
            ("example.com//m/@v/list", Err(NotFound)),
            ("/example.com/m/@v/list", Err(NotFound)),
            ("example.com/M/@v/list", Err(NotFound)),
            ("example.com/m/@v/v1.0.0.txt", Err(NotFound)),
            ("example.com/m/@v/../../x.info", Err(NotFound)),
            ("example.com/m/@v/a%2Fb.info", Err(NotFound)),
            ("example.com/m/@v/..info", Err(NotFound)),
            ("example.com/m", Err(NotFound)),
            ("", Err(NotFound)),
            ("example.com/m/@v/list%zz", Err(BadRequest)),
            ("example.com/%ff/@v/list", Err(BadRequest)),
        ] {
            assert_eq!(Request::parse(raw), want, "{raw}");
        }
    }

    #[test]
    fn percent_decoding_happens_once() {
        // `%2521` decodes to `%21`, which is not an escape any more: `%` is no path character.
        assert_eq!(
            Request::parse("example.com/%2521x/@v/list"),
            Err(Refusal::NotFound)
        );
        // `+` is not a space.
        assert_eq!(
            Request::parse("example.com/a+b/@v/list"),
            module("example.com/a+b", Kind::List, None)
        );
    }

    #[test]
    fn upstream_paths_are_escaped_as_go_escapes_them() {
        let r = Request::parse("github.com/!burnt!sushi/toml/@v/v1.0.0-!r!c1.zip").unwrap();
        assert_eq!(
            r.proxy_path(),
            "github.com/%21burnt%21sushi/toml/@v/v1.0.0-%21r%21c1.zip"
        );
        let r = Request::parse("sumdb/sum.golang.org/lookup/github.com/!a/b@v1.0.0").unwrap();
        assert_eq!(r.sumdb_path().unwrap(), "lookup/github.com/%21a/b@v1.0.0");
        assert_eq!(
            r.proxy_path(),
            "sumdb/sum.golang.org/lookup/github.com/%21a/b@v1.0.0"
        );
        let r = Request::parse("sumdb/sum.golang.org/tile/8/0/x001/x234/567.p/3").unwrap();
        assert_eq!(r.sumdb_path().unwrap(), "tile/8/0/x001/x234/567.p/3");
        let r = Request::parse("example.com/m/@v/a%20b.info").unwrap();
        assert_eq!(r.proxy_path(), "example.com/m/@v/a%20b.info");
    }
}
