//! A fixture Go checksum database: a real, signed, append-only transparency log of fixture
//! [`Module`]s, answering the paths golang.org/x/mod/sumdb's server answers (`/latest`,
//! `/lookup/<path>@<version>`, `/tile/<H>/<L>/<NNN>[.p/<W>]`, `/tile/<H>/data/...`), so the
//! real go verifies fixture modules with it exactly as it does with sum.golang.org. This file
//! is a test oracle written from the x/mod formats (`sumdb/tlog`, `sumdb/note`,
//! `sumdb/server.go`); it shares no code with goshim.
//!
//! ```ignore
//! let db = SumDb::new();                      // named FIXTURE_SUMDB_NAME
//! db.add(&module);                            // one record: the module's two go.sum lines
//! let direct = db.start_server();             // GOSUMDB = db.gosumdb_at(&direct.url())
//! proxy.proxy_sumdb(&db);                     // GOSUMDB = db.gosumdb(), GOPROXY = proxy.url()
//! ```
//!
//! The name: go accepts any `host[/path]` name when GOSUMDB holds a full verifier key
//! (`cmd/go/internal/modfetch/sumdb.go dbDial`; `key.go knownGOSUMDB` only expands the bare
//! name `sum.golang.org` to Google's key). [`FIXTURE_SUMDB_NAME`] is under the reserved `.test`
//! domain, so a go that finds no route to it fails on DNS instead of reaching the internet.
//! [`SumDb::named`]`("sum.golang.org")` gives a fixture-keyed database under the default name
//! (GOSUMDB = its verifier key), for code that treats that name specially; beware that a go
//! that finds no proxy for it then connects to `https://sum.golang.org`.
//!
//! go keeps the newest tree head it verified in `$GOPATH/pkg/sumdb/<name>/latest` and checks
//! that every later head extends it; the log only ever grows, so one home can keep using a
//! database that gains modules.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use sha2::{Digest, Sha256};

use super::modules::{Module, escape_path, unescape_path};
use super::proxy::{Proxy, base64};

/// The name of [`SumDb::new`]'s database.
pub const FIXTURE_SUMDB_NAME: &str = "sum.fixture.test";

type Hash = [u8; 32];

/// A checksum database. Clones share the same log (a proxy serving it sees later additions).
#[derive(Clone)]
pub struct SumDb {
    inner: Arc<Db>,
}

struct Db {
    name: String,
    key: Ed25519KeyPair,
    key_hash: [u8; 4],
    vkey: String,
    log: Mutex<Log>,
}

#[derive(Default)]
struct Log {
    /// Record texts, by record id.
    records: Vec<String>,
    /// `SHA-256(0x00 || record)`, by record id.
    leaves: Vec<Hash>,
    /// (module path, version) → record id.
    ids: HashMap<(String, String), usize>,
    /// The signed note for the tree of the given size, made when first asked for.
    signed: Option<(usize, Vec<u8>)>,
}

/// One answer of the database: status, content type, body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbAnswer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl DbAnswer {
    fn ok(content_type: &'static str, body: Vec<u8>) -> DbAnswer {
        DbAnswer {
            status: 200,
            content_type,
            body,
        }
    }

    fn error(status: u16, message: &str) -> DbAnswer {
        DbAnswer {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{message}\n").into_bytes(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Default for SumDb {
    fn default() -> SumDb {
        SumDb::new()
    }
}

impl SumDb {
    /// An empty database named [`FIXTURE_SUMDB_NAME`].
    pub fn new() -> SumDb {
        SumDb::named(FIXTURE_SUMDB_NAME)
    }

    /// An empty database with this name (`host[/path]`). Its Ed25519 key is derived from the
    /// name, so the verifier key is the same on every run.
    pub fn named(name: &str) -> SumDb {
        assert!(
            !name.is_empty()
                && !name.contains('+')
                && !name.chars().any(char::is_whitespace)
                && !name.starts_with('/')
                && !name.ends_with('/'),
            "{name:?} is not a checksum database name go accepts (host[/path])"
        );
        let seed = Sha256::digest(format!("goshim fixture checksum database\n{name}"));
        let key = Ed25519KeyPair::from_seed_unchecked(&seed).expect("an Ed25519 key from a seed");
        let mut public = vec![0x01]; // x/mod/sumdb/note's algorithm byte for Ed25519
        public.extend_from_slice(key.public_key().as_ref());
        let mut hasher = Sha256::new();
        hasher.update(name.as_bytes());
        hasher.update(b"\n");
        hasher.update(&public);
        let digest = hasher.finalize();
        let key_hash = [digest[0], digest[1], digest[2], digest[3]];
        let vkey = format!(
            "{name}+{:08x}+{}",
            u32::from_be_bytes(key_hash),
            base64(&public)
        );
        SumDb {
            inner: Arc::new(Db {
                name: name.to_string(),
                key,
                key_hash,
                vkey,
                log: Mutex::new(Log::default()),
            }),
        }
    }

    /// A database named [`FIXTURE_SUMDB_NAME`] holding `modules`, in order.
    pub fn of<'a>(modules: impl IntoIterator<Item = &'a Module>) -> SumDb {
        let db = SumDb::new();
        db.add_all(modules);
        db
    }

    /// Appends the record of `module` (its two go.sum lines) and returns its record id; the
    /// tree grows and gets a new signed head. Adding the same path and version again returns
    /// the existing id; adding it with other hashes panics (a log never changes a record).
    pub fn add(&self, module: &Module) -> u64 {
        let text = module.go_sum();
        let key = (module.path().to_string(), module.version().to_string());
        let mut log = lock(&self.inner.log);
        if let Some(&id) = log.ids.get(&key) {
            assert_eq!(
                log.records[id], text,
                "{}@{} is already in the checksum database with other hashes",
                key.0, key.1
            );
            return id as u64;
        }
        let id = log.records.len();
        let mut leaf = Sha256::new();
        leaf.update([0x00]);
        leaf.update(text.as_bytes());
        log.leaves.push(leaf.finalize().into());
        log.records.push(text);
        log.ids.insert(key, id);
        id as u64
    }

    /// [`SumDb::add`] for each module, in order.
    pub fn add_all<'a>(&self, modules: impl IntoIterator<Item = &'a Module>) {
        for m in modules {
            self.add(m);
        }
    }

    /// The database name, e.g. `sum.fixture.test`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The verifier key in go's format: `<name>+<8 hex key hash>+<base64(0x01 || pubkey)>`.
    pub fn vkey(&self) -> &str {
        &self.inner.vkey
    }

    /// GOSUMDB for reaching this database through a proxy ([`Proxy::proxy_sumdb`]): the
    /// verifier key alone.
    pub fn gosumdb(&self) -> String {
        self.inner.vkey.clone()
    }

    /// GOSUMDB for reaching this database at `url` directly ([`SumDb::start_server`],
    /// [`Proxy::serve_sumdb`]): `<verifier key> <url>`.
    pub fn gosumdb_at(&self, url: &str) -> String {
        format!("{} {url}", self.inner.vkey)
    }

    /// A new fixture server on 127.0.0.1 serving this database at its root
    /// (GOSUMDB = `self.gosumdb_at(&server.url())`); its request log records go's lookups.
    pub fn start_server(&self) -> Proxy {
        let server = Proxy::start();
        server.serve_sumdb(self);
        server
    }

    /// The number of records (the tree size).
    pub fn size(&self) -> u64 {
        lock(&self.inner.log).records.len() as u64
    }

    /// The record id of `path@version`, if it is in the log.
    pub fn record_id(&self, path: &str, version: &str) -> Option<u64> {
        lock(&self.inner.log)
            .ids
            .get(&(path.to_string(), version.to_string()))
            .map(|&id| id as u64)
    }

    /// The signed tree head (what `/latest` serves, and what go stores in
    /// `$GOPATH/pkg/sumdb/<name>/latest` once it has verified it).
    pub fn signed_tree(&self) -> Vec<u8> {
        let mut log = lock(&self.inner.log);
        self.signed(&mut log)
    }

    /// Answers a request path relative to the database root (`latest`, `lookup/...`,
    /// `tile/...`, no leading `/`, already percent-decoded); `None` for any other path.
    pub fn serve(&self, path: &str) -> Option<DbAnswer> {
        let mut log = lock(&self.inner.log);
        if path == "latest" {
            return Some(DbAnswer::ok(
                "text/plain; charset=UTF-8",
                self.signed(&mut log),
            ));
        }
        if let Some(target) = path.strip_prefix("lookup/") {
            return Some(self.lookup(&mut log, target));
        }
        if path.starts_with("tile/") {
            return Some(match Tile::parse(path) {
                Some(tile) => serve_tile(&log, tile),
                None => DbAnswer::error(400, "invalid tile syntax"),
            });
        }
        None
    }

    fn lookup(&self, log: &mut Log, target: &str) -> DbAnswer {
        let parsed = target.split_once('@').and_then(|(p, v)| {
            let (p, v) = (unescape_path(p)?, unescape_path(v)?);
            (!p.is_empty() && v.starts_with('v') && !v.contains('@')).then_some((p, v))
        });
        let Some((path, version)) = parsed else {
            return DbAnswer::error(400, "invalid module@version syntax");
        };
        let Some(&id) = log.ids.get(&(path.clone(), version.clone())) else {
            return DbAnswer::error(
                404,
                &format!("not found: {path}@{version}: not in the fixture checksum database"),
            );
        };
        // tlog.FormatRecord: the id, the record text, a blank line; then the signed head.
        let mut body = format!("{id}\n{}\n", log.records[id]).into_bytes();
        body.extend(self.signed(log));
        DbAnswer::ok("text/plain; charset=UTF-8", body)
    }

    /// The signed note of the current tree (x/mod/sumdb/note format, one Ed25519 signature).
    fn signed(&self, log: &mut Log) -> Vec<u8> {
        let size = log.records.len();
        if let Some((n, note)) = &log.signed
            && *n == size
        {
            return note.clone();
        }
        let text = format!(
            "go.sum database tree\n{size}\n{}\n",
            base64(&tree_hash(&log.leaves))
        );
        let signature = self.inner.key.sign(text.as_bytes());
        let mut sig = self.inner.key_hash.to_vec();
        sig.extend_from_slice(signature.as_ref());
        let note = format!("{text}\n\u{2014} {} {}\n", self.inner.name, base64(&sig)).into_bytes();
        log.signed = Some((size, note.clone()));
        note
    }
}

/// A tile's coordinates, as x/mod's `tlog.Tile`: height `h`, level `l` (`None` for a data
/// tile, `tile/<h>/data/...`), index `n`, width `w` (`w < 2^h` for a partial tile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    pub h: u32,
    pub l: Option<u32>,
    pub n: u64,
    pub w: u64,
}

impl Tile {
    /// `tile/<h>/<l>/<NNN>[.p/<w>]`, with `NNN` in 3-digit groups, each but the last prefixed
    /// by `x` (`tlog.Tile.Path`): index 1234067 is `x001/x234/067`.
    pub fn path(&self) -> String {
        let mut n = self.n;
        let mut nnn = format!("{:03}", n % 1000);
        while n >= 1000 {
            n /= 1000;
            nnn = format!("x{:03}/{nnn}", n % 1000);
        }
        let level = self.l.map_or("data".to_string(), |l| l.to_string());
        let partial = if self.w == 1 << self.h {
            String::new()
        } else {
            format!(".p/{}", self.w)
        };
        format!("tile/{}/{level}/{nnn}{partial}", self.h)
    }

    /// The inverse of [`Tile::path`] (as strict as `tlog.ParseTilePath`).
    pub fn parse(path: &str) -> Option<Tile> {
        let mut parts: Vec<&str> = path.strip_prefix("tile/")?.split('/').collect();
        if parts.len() < 3 {
            return None;
        }
        let h: u32 = canonical_number(parts[0])?;
        if !(1..=30).contains(&h) {
            return None;
        }
        let l = match parts[1] {
            "data" => None,
            level => Some(canonical_number(level)?),
        };
        let mut w = 1u64 << h;
        let second_last = parts[parts.len() - 2];
        if parts.len() >= 4
            && let Some(group) = second_last.strip_suffix(".p")
        {
            w = canonical_number(parts[parts.len() - 1])?;
            if w == 0 || w >= 1 << h {
                return None;
            }
            parts.pop();
            let last = parts.len() - 1;
            parts[last] = group;
        }
        let groups = &parts[2..];
        let mut n: u64 = 0;
        for (i, group) in groups.iter().enumerate() {
            let digits = if i + 1 < groups.len() {
                group.strip_prefix('x')?
            } else {
                group
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            n = n
                .checked_mul(1000)?
                .checked_add(digits.parse::<u64>().ok()?)?;
        }
        Some(Tile { h, l, n, w })
    }
}

/// A decimal number without a sign or leading zeros.
fn canonical_number<T: std::str::FromStr + ToString>(s: &str) -> Option<T> {
    let n: T = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}

/// The tile's bytes: W hashes (hash tile) or W records each followed by a blank line's
/// newline (data tile); 404 when the tree does not hold them (yet).
fn serve_tile(log: &Log, tile: Tile) -> DbAnswer {
    let size = log.leaves.len() as u64;
    let start = tile.n.checked_shl(tile.h).filter(|s| s >> tile.h == tile.n);
    let missing = || DbAnswer::error(404, &format!("{}: no such tile in this tree", tile.path()));
    let Some(start) = start else {
        return missing();
    };
    match tile.l {
        None => {
            if start.checked_add(tile.w).is_none_or(|end| end > size) {
                return missing();
            }
            let body: String = log.records[start as usize..(start + tile.w) as usize]
                .iter()
                .map(|r| format!("{r}\n"))
                .collect();
            DbAnswer::ok("text/plain; charset=UTF-8", body.into_bytes())
        }
        Some(l) => {
            let level = u64::from(tile.h) * u64::from(l);
            let stored = if level >= 64 { 0 } else { size >> level };
            if start.checked_add(tile.w).is_none_or(|end| end > stored) {
                return missing();
            }
            let width = 1usize << level;
            let mut body = Vec::with_capacity(tile.w as usize * 32);
            for index in start..start + tile.w {
                let first = index as usize * width;
                body.extend_from_slice(&tree_hash(&log.leaves[first..first + width]));
            }
            DbAnswer::ok("application/octet-stream", body)
        }
    }
}

/// RFC 6962's Merkle tree hash of these leaf hashes (`tlog.TreeHash`): SHA-256 of nothing for
/// no leaves, the leaf itself for one, else `SHA-256(0x01 || left || right)` split at the
/// largest power of two below the count.
fn tree_hash(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => leaves[0],
        n => {
            let split = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            let mut node = Sha256::new();
            node.update([0x01]);
            node.update(tree_hash(&leaves[..split]));
            node.update(tree_hash(&leaves[split..]));
            node.finalize().into()
        }
    }
}

/// `lookup/<escaped path>@<escaped version>` for a module (relative to the database root).
pub fn lookup_path(path: &str, version: &str) -> String {
    format!("lookup/{}@{}", escape_path(path), escape_path(version))
}
