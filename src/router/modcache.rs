//! The module cache as the router's last upstream, read-only: `$GOMODCACHE/cache/download`,
//! whose layout is the GOPROXY URL space (router-facts §5). Used when every upstream failed,
//! and alone in offline mode (`GOSHIM_OFFLINE=1`).
//!
//! Only files go finished writing are served: `.info` and `.mod` (go writes them to a temp
//! file and renames it), a `.zip` only with its `.ziphash` (written before the zip is renamed
//! into place); `.lock`, `.partial` and temp files are never opened. `@v/list` is rebuilt
//! from the cached `.mod` names (go's own `list` file may be mid-rewrite), `@latest` chosen
//! from it; checksum-database lookups and tiles come from `cache/download/sumdb/<name>/` (a
//! partial tile also from a wider one: a tile only ever grows at its end). Every file is a
//! regular file inside the cache (a symbolic link leading out is refused), read within the
//! size limits of the router's upstream answers.

use std::cmp::Ordering;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::policy;
use super::request::{Kind, Request};
use super::spool::{MAX_METADATA, MAX_ZIP, Spooled};
use crate::goenv::escape_module_path;
use crate::goenv::module::unescape_version;
use crate::goenv::semver::canonical_version;

/// Versions listed from one module's cache directory, at most.
const MAX_VERSIONS: usize = 100_000;

/// What the cache holds for a request.
#[derive(Debug)]
pub struct Cached {
    pub body: Spooled,
    /// For a zip: the `h1:` go recorded when it accepted the zip (`.ziphash`).
    pub ziphash: Option<String>,
}

/// `$GOMODCACHE/cache/download`, canonical.
#[derive(Debug, Clone)]
pub struct ModCache {
    root: PathBuf,
}

impl ModCache {
    /// The cache at `dir` (`$GOMODCACHE/cache/download`); `None` when it does not exist.
    pub fn open(dir: &Path) -> Option<ModCache> {
        let root = dir.canonicalize().ok()?;
        root.is_dir().then_some(ModCache { root })
    }

    /// What the cache holds for `req` (blocking: call it on the blocking pool).
    pub fn answer(&self, req: &Request) -> Option<Cached> {
        match req {
            Request::Module {
                module,
                kind,
                version,
            } => {
                let dir = format!("{}/@v", escape_module_path(module));
                match (kind, version) {
                    (Kind::List, _) => self.list(&dir).map(|body| memory(body.into_bytes())),
                    (Kind::Latest, _) => self.latest(&dir),
                    (Kind::Info, Some(v)) if canonical_version(v).as_deref() == Some(v) => {
                        let body = self.small(&format!("{dir}/{}.info", escape_module_path(v)))?;
                        policy::check_body(req, None, &body).ok()?;
                        Some(memory(body))
                    }
                    (Kind::Mod, Some(v)) => self
                        .small(&format!("{dir}/{}.mod", escape_module_path(v)))
                        .map(memory),
                    (Kind::Zip, Some(v)) => self.zip(&dir, &escape_module_path(v)),
                    _ => None,
                }
            }
            Request::SumdbLookup { name, .. } => {
                let path = format!("sumdb/{name}/{}", req.sumdb_path()?);
                let body = self.small(&path)?;
                policy::check_body(req, None, &body).ok()?;
                Some(memory(body))
            }
            Request::SumdbTile { name, tile } => {
                // The tile itself; for a partial tile also the full one and wider partial ones,
                // whose first hashes it is.
                let exact = format!("sumdb/{name}/{}", req.sumdb_path()?);
                let mut candidates = vec![exact.clone()];
                if let Some(width) = tile.partial {
                    let full = exact.split(".p/").next().unwrap_or(&exact).to_string();
                    let wider = self.partials(&format!("{full}.p"));
                    candidates.extend(
                        wider
                            .into_iter()
                            .filter(|w| *w > width)
                            .map(|w| format!("{full}.p/{w}")),
                    );
                    candidates.push(full);
                }
                let want = tile.size();
                candidates.into_iter().find_map(|path| {
                    let mut body = self.small(&path)?;
                    if body.len() < want || body.len() % 32 != 0 {
                        return None;
                    }
                    body.truncate(want);
                    Some(memory(body))
                })
            }
            Request::SumdbSupported { .. } => None,
        }
    }

    /// `rel` inside the cache, if it is a regular file there (a link may not lead out).
    fn file(&self, rel: &str) -> Option<(PathBuf, u64)> {
        let path = self.root.join(rel).canonicalize().ok()?;
        if !path.starts_with(&self.root) {
            return None;
        }
        let meta = std::fs::metadata(&path).ok()?;
        meta.is_file().then_some((path, meta.len()))
    }

    /// A small file's bytes (metadata, lookups, tiles).
    fn small(&self, rel: &str) -> Option<Vec<u8>> {
        let (path, _) = self.file(rel)?;
        crate::fsread::read(&path, MAX_METADATA).ok()
    }

    /// A zip go finished: its `.ziphash` is there.
    fn zip(&self, dir: &str, version: &str) -> Option<Cached> {
        let ziphash = self.small(&format!("{dir}/{version}.ziphash"))?;
        let ziphash = String::from_utf8(ziphash).ok()?.trim().to_string();
        let (path, len) = self.file(&format!("{dir}/{version}.zip"))?;
        if len > MAX_ZIP {
            return None;
        }
        let file = File::open(&path).ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        Some(Cached {
            body: Spooled::File {
                file: Arc::new(file),
                len,
            },
            ziphash: ziphash.starts_with("h1:").then_some(ziphash),
        })
    }

    /// The versions with a cached `.mod`, in semantic version order.
    fn versions(&self, dir: &str) -> Option<Vec<String>> {
        let path = self.root.join(dir).canonicalize().ok()?;
        if !path.starts_with(&self.root) {
            return None;
        }
        let mut versions: Vec<String> = std::fs::read_dir(&path)
            .ok()?
            .take(MAX_VERSIONS)
            .filter_map(|e| {
                let e = e.ok()?;
                let name = e.file_name().into_string().ok()?;
                let v = unescape_version(name.strip_suffix(".mod")?).ok()?;
                (canonical_version(&v).as_deref() == Some(v.as_str())).then_some(v)
            })
            .collect();
        versions.sort_by(|a, b| compare(a, b));
        versions.dedup();
        Some(versions)
    }

    /// `@v/list` rebuilt from the cached `.mod` names (`None`: nothing cached).
    fn list(&self, dir: &str) -> Option<String> {
        let versions = self.versions(dir)?;
        if versions.is_empty() {
            return None;
        }
        Some(versions.iter().map(|v| format!("{v}\n")).collect())
    }

    /// `@latest` from the cached versions: the highest release, else the highest
    /// pre-release, else the highest pseudo-version; its cached `.info` when go wrote one.
    fn latest(&self, dir: &str) -> Option<Cached> {
        let versions = self.versions(dir)?;
        let best = latest(&versions)?;
        let info = self
            .small(&format!("{dir}/{}.info", escape_module_path(best)))
            .filter(|b| {
                serde_json::from_slice::<serde_json::Value>(b)
                    .is_ok_and(|v| v["Version"].as_str() == Some(best))
            });
        let body = info.unwrap_or_else(|| format!("{{\"Version\":\"{best}\"}}").into_bytes());
        Some(memory(body))
    }

    /// The widths `W` of the cached partial tiles `<dir>/W`.
    fn partials(&self, rel: &str) -> Vec<u32> {
        let Some(path) = self.root.join(rel).canonicalize().ok() else {
            return Vec::new();
        };
        if !path.starts_with(&self.root) {
            return Vec::new();
        }
        std::fs::read_dir(path)
            .map(|d| {
                d.take(256)
                    .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn memory(body: Vec<u8>) -> Cached {
    Cached {
        body: Spooled::Memory(Bytes::from(body)),
        ziphash: None,
    }
}

/// The version `@latest` names among `versions` (x/mod `semver` order).
fn latest(versions: &[String]) -> Option<&str> {
    let best = |keep: &dyn Fn(&str) -> bool| {
        versions
            .iter()
            .map(String::as_str)
            .filter(|v| keep(v))
            .max_by(|a, b| compare(a, b))
    };
    best(&|v| prerelease(v).is_empty())
        .or_else(|| best(&|v| !is_pseudo(v)))
        .or_else(|| best(&|_| true))
}

/// The pre-release part of a canonical version (`-rc.1`), or "".
fn prerelease(v: &str) -> &str {
    let core = v.split('+').next().unwrap_or(v);
    core.find('-').map_or("", |i| &core[i..])
}

/// x/mod `module.IsPseudoVersion`: a pre-release ending in a 14-digit time and a revision.
fn is_pseudo(v: &str) -> bool {
    let pre = prerelease(v);
    let mut parts = pre.rsplitn(2, '-');
    let (Some(rev), Some(rest)) = (parts.next(), parts.next()) else {
        return false;
    };
    let time = rest.rsplit(['-', '.']).next().unwrap_or_default();
    v.matches('-').count() >= 2
        && !rev.is_empty()
        && rev.bytes().all(|b| b.is_ascii_alphanumeric())
        && time.len() == 14
        && time.bytes().all(|b| b.is_ascii_digit())
}

/// x/mod `semver.Compare` for canonical versions (build metadata ignored).
fn compare(a: &str, b: &str) -> Ordering {
    let split = |v: &str| {
        let core = v
            .trim_start_matches('v')
            .split('+')
            .next()
            .unwrap_or_default();
        let (nums, pre) = core.split_once('-').unwrap_or((core, ""));
        let nums: Vec<u64> = nums.split('.').map(|n| n.parse().unwrap_or(0)).collect();
        (nums, pre.to_string())
    };
    let ((an, ap), (bn, bp)) = (split(a), split(b));
    an.cmp(&bn)
        .then_with(|| match (ap.is_empty(), bp.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => compare_pre(&ap, &bp),
        })
}

/// Pre-release identifiers: numeric ones numerically and below alphanumeric ones; a shorter
/// list of equal identifiers first.
fn compare_pre(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let num = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
                let o = match (num(p), num(q)) {
                    (true, true) => p.len().cmp(&q.len()).then_with(|| p.cmp(q)),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(raw: &str) -> Request {
        Request::parse(raw).unwrap()
    }

    fn text(c: Cached) -> String {
        match c.body {
            Spooled::Memory(b) => String::from_utf8(b.to_vec()).unwrap(),
            Spooled::File { .. } => panic!("a file"),
        }
    }

    fn write(root: &Path, rel: &str, data: &[u8]) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }

    #[test]
    fn semver_order_and_latest() {
        let mut v: Vec<String> = [
            "v1.10.0",
            "v1.2.0",
            "v1.2.0-rc.10",
            "v1.2.0-rc.2",
            "v1.2.0-beta",
            "v2.0.0+incompatible",
            "v0.0.0-20240101000000-abcdefabcdef",
        ]
        .map(String::from)
        .to_vec();
        v.sort_by(|a, b| compare(a, b));
        assert_eq!(
            v,
            [
                "v0.0.0-20240101000000-abcdefabcdef",
                "v1.2.0-beta",
                "v1.2.0-rc.2",
                "v1.2.0-rc.10",
                "v1.2.0",
                "v1.10.0",
                "v2.0.0+incompatible",
            ]
        );
        assert_eq!(latest(&v), Some("v2.0.0+incompatible"));
        let pre = [
            "v1.0.0-rc.1".to_string(),
            "v0.0.0-20240101000000-abcdefabcdef".into(),
        ];
        assert_eq!(latest(&pre), Some("v1.0.0-rc.1"));
        let pseudo = [
            "v0.0.0-20230101000000-abcdefabcdef".to_string(),
            "v0.0.0-20240101000000-abcdefabcdef".into(),
        ];
        assert_eq!(latest(&pseudo), Some("v0.0.0-20240101000000-abcdefabcdef"));
        assert!(is_pseudo("v1.2.4-0.20240101000000-abcdefabcdef"));
        assert!(is_pseudo("v1.2.3-pre.0.20240101000000-abcdefabcdef"));
        assert!(!is_pseudo("v1.2.3-rc.1"));
    }

    #[test]
    fn only_what_go_finished_is_served() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let v = "example.com/!m/@v";
        write(
            root,
            &format!("{v}/v1.0.0.info"),
            br#"{"Version":"v1.0.0"}"#,
        );
        write(root, &format!("{v}/v1.0.0.mod"), b"module example.com/M\n");
        write(root, &format!("{v}/v1.0.0.zip"), b"PK\x05\x06 zip");
        write(root, &format!("{v}/v1.0.0.ziphash"), b"h1:abc=\n");
        write(root, &format!("{v}/v1.1.0.mod"), b"module example.com/M\n");
        write(
            root,
            &format!("{v}/v1.1.0.zip"),
            b"half a zip, still being written",
        );
        write(root, &format!("{v}/v1.2.0.mod1234.tmp"), b"temp");
        write(root, &format!("{v}/v1.0.0.lock"), b"");
        write(root, &format!("{v}/list"), b"v9.9.9\n");
        let c = ModCache::open(root).unwrap();
        assert_eq!(
            text(c.answer(&req("example.com/!m/@v/list")).unwrap()),
            "v1.0.0\nv1.1.0\n"
        );
        assert_eq!(
            text(c.answer(&req("example.com/!m/@latest")).unwrap()),
            r#"{"Version":"v1.1.0"}"#,
            "no .info for v1.1.0: the version alone"
        );
        assert!(c.answer(&req("example.com/!m/@v/v1.0.0.info")).is_some());
        assert!(c.answer(&req("example.com/!m/@v/v1.1.0.info")).is_none());
        assert!(c.answer(&req("example.com/!m/@v/master.info")).is_none());
        let zip = c.answer(&req("example.com/!m/@v/v1.0.0.zip")).unwrap();
        assert_eq!(zip.ziphash.as_deref(), Some("h1:abc="));
        assert!(
            c.answer(&req("example.com/!m/@v/v1.1.0.zip")).is_none(),
            "no .ziphash"
        );
        assert!(c.answer(&req("example.com/other/@v/list")).is_none());
    }

    #[test]
    fn checksum_data_and_tiles_from_wider_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let db = "sumdb/sum.example";
        write(
            root,
            &format!("{db}/lookup/example.com/m@v1.0.0"),
            b"5\nexample.com/m v1.0.0 h1:x\n",
        );
        let tile: Vec<u8> = (0..7 * 32).map(|i| i as u8).collect();
        write(root, &format!("{db}/tile/8/0/000.p/7"), &tile);
        let c = ModCache::open(root).unwrap();
        assert!(
            c.answer(&req("sumdb/sum.example/lookup/example.com/m@v1.0.0"))
                .is_some()
        );
        let three = c
            .answer(&req("sumdb/sum.example/tile/8/0/000.p/3"))
            .unwrap();
        assert!(matches!(three.body, Spooled::Memory(b) if b.as_ref() == &tile[..96]));
        assert!(
            c.answer(&req("sumdb/sum.example/tile/8/0/000.p/9"))
                .is_none()
        );
        assert!(c.answer(&req("sumdb/sum.example/tile/8/0/000")).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_cache_and_fifos_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"module secret\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let v = dir.path().join("example.com/m/@v");
        std::fs::create_dir_all(&v).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), v.join("v1.0.0.mod")).unwrap();
        let fifo = v.join("v1.1.0.mod");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let c = ModCache::open(dir.path()).unwrap();
        assert!(c.answer(&req("example.com/m/@v/v1.0.0.mod")).is_none());
        assert!(c.answer(&req("example.com/m/@v/v1.1.0.mod")).is_none());
    }
}
