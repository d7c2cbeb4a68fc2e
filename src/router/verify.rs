//! Verify before serving: a `.mod` or `.zip` is served only when its `h1:` hash is the one go
//! will require — the project's go.sum files when they list one (`goenv::gosum`, go's rules
//! for several files), else the checksum database's record, fetched through the router's own
//! routes and trusted only once its tree note carries a valid signature by the GOSUMDB key and
//! hash tiles prove the record in that tree (`goenv::sumdb::verify_lookup`). A body with
//! another hash is discarded and the next upstream is asked, where go would stop with
//! "SECURITY ERROR" although another mirror has the right bytes.
//!
//! Nothing here weakens go: go gets the same GOSUMDB, GONOSUMDB and flags, and checks
//! everything itself. Where neither go.sum nor the database can say which hash go requires (a
//! GONOSUMDB path go.sum does not list, GOSUMDB=off, a database that cannot be reached), the
//! body is served unverified, as go will take it.
//!
//! The hash is go's (`goenv::dirhash`): of a `.mod` as a one-file tree, of a zip over its
//! entries' names and contents — computed while the zip arrives (`goenv::zipstream`) when it
//! can be, else over the spooled body on every CPU.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::lock;
use super::memo::Answer;
use super::request::Request;
use super::service::Service;
use super::spool::Spooled;
use crate::goenv::dirhash;
use crate::goenv::gosum::{GoSum, SumCheck, SumFiles, SumKind};
use crate::goenv::sumdb::{LookupRecord, SignedTree, VerifiedRecord, VerifierKey, verify_lookup};
use crate::goenv::tlog;
use crate::goenv::zipstream::ZipStream;

/// The checksum database's say on one module version, resolved once per router.
#[derive(Debug)]
pub enum DbRecord {
    /// A lookup signed by the GOSUMDB key and proved in its tree.
    Verified(VerifiedRecord),
    /// No usable record, and why (not reachable, 404, a lookup that does not verify).
    Unavailable(String),
}

/// What a body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Its hash is the one required (`from`: `go.sum`, or the database's name).
    Match { from: String },
    /// Another hash is required (`from`: the go.sum file's name, or the database's).
    Mismatch {
        got: String,
        want: String,
        from: String,
    },
    /// Nothing says which hash go requires: served as go will take it.
    Unverified { why: String },
}

/// What the router checks bodies with: the go.sum files (read once, when first needed), the
/// verifier key, and the database records found so far.
#[derive(Debug)]
pub struct Sums {
    files: Option<SumFiles>,
    read: OnceCell<Option<Arc<GoSum>>>,
    pub key: Option<Arc<VerifierKey>>,
    records: Mutex<HashMap<String, Arc<OnceCell<Arc<DbRecord>>>>>,
}

impl Sums {
    pub fn new(files: Option<SumFiles>, key: Option<VerifierKey>) -> Sums {
        Sums {
            files,
            read: OnceCell::new(),
            key: key.map(Arc::new),
            records: Mutex::new(HashMap::new()),
        }
    }

    /// The go.sum lines, read on first use (a file go would refuse to read counts as none:
    /// go reports it itself).
    pub async fn go_sum(&self) -> Option<Arc<GoSum>> {
        self.read
            .get_or_init(|| async {
                let files = self.files.clone()?;
                tokio::task::spawn_blocking(move || GoSum::read(&files).ok().map(Arc::new))
                    .await
                    .ok()
                    .flatten()
            })
            .await
            .clone()
    }

    /// The cell holding `module@version`'s database record.
    pub fn record_cell(&self, module: &str, version: &str) -> Arc<OnceCell<Arc<DbRecord>>> {
        let mut g = lock(&self.records);
        Arc::clone(
            g.entry(format!("{module}@{version}"))
                .or_insert_with(|| Arc::new(OnceCell::new())),
        )
    }
}

/// How one request's bodies are checked.
#[derive(Debug)]
pub struct Check {
    pub module: String,
    pub version: String,
    pub kind: SumKind,
    gosum: Option<Arc<GoSum>>,
    /// The database's record, when the database may be asked about this module.
    db: Option<Arc<OnceCell<Arc<DbRecord>>>>,
    service: Arc<Service>,
}

impl Check {
    pub fn new(
        service: Arc<Service>,
        module: String,
        version: String,
        kind: SumKind,
        gosum: Option<Arc<GoSum>>,
        db: Option<Arc<OnceCell<Arc<DbRecord>>>>,
    ) -> Check {
        Check {
            module,
            version,
            kind,
            gosum,
            db,
            service,
        }
    }

    /// go.sum lists an `h1:` hash for it: the database is not asked (go does not ask either).
    fn listed(&self) -> bool {
        self.gosum
            .as_ref()
            .is_some_and(|g| g.expected(&self.module, &self.version, self.kind).is_some())
    }

    /// Whether a hash may be required: false when go.sum lists none and the database may not
    /// be asked (nothing to hash for).
    pub fn may_require(&self) -> bool {
        self.listed() || self.db.is_some()
    }

    /// Starts asking the database now (while the body downloads), when it will be needed.
    pub fn prefetch(self: &Arc<Self>) {
        if !self.listed() && self.db.is_some() {
            let this = Arc::clone(self);
            tokio::spawn(async move {
                this.record().await;
            });
        }
    }

    async fn record(&self) -> Option<Arc<DbRecord>> {
        let cell = self.db.as_ref()?;
        let record = cell
            .get_or_init(|| self.service.db_record(&self.module, &self.version))
            .await;
        Some(Arc::clone(record))
    }

    /// `Ok` when go will require a particular hash; else why not (the body is then served as
    /// it is, unhashed).
    async fn requirement(&self) -> Result<(), String> {
        if self.listed() {
            return Ok(());
        }
        let db = self.service.db_name().unwrap_or_default();
        match self.record().await.as_deref() {
            None => Err("go.sum lists no hash and the checksum database is not asked".into()),
            Some(DbRecord::Unavailable(why)) => Err(format!("{db}: {why}")),
            Some(DbRecord::Verified(r)) => r
                .expected(&self.module, &self.version, self.kind)
                .map(|_| ())
                .ok_or_else(|| format!("the record of {db} has no line for it")),
        }
    }

    /// What go decides for a body whose hash is `h1`: go.sum first (`haveModSumLocked`),
    /// then the database's record (`checkSumDB`).
    pub async fn judge(&self, h1: &str) -> Judgement {
        if let Some(g) = &self.gosum {
            match g.check(&self.module, &self.version, self.kind, h1) {
                SumCheck::Listed => {
                    return Judgement::Match {
                        from: "go.sum".into(),
                    };
                }
                SumCheck::Mismatch { file, listed } => {
                    return Judgement::Mismatch {
                        got: h1.to_string(),
                        want: listed.to_string(),
                        from: file_name(file),
                    };
                }
                SumCheck::NotListed => {}
            }
        }
        let db = self.service.db_name().unwrap_or_default();
        match self.record().await.as_deref() {
            None => Judgement::Unverified {
                why: "go.sum lists no hash and the checksum database is not asked for it".into(),
            },
            Some(DbRecord::Unavailable(why)) => Judgement::Unverified { why: why.clone() },
            Some(DbRecord::Verified(r)) => match r.expected(&self.module, &self.version, self.kind)
            {
                Some(want) if want == h1 => Judgement::Match { from: db },
                Some(want) => Judgement::Mismatch {
                    got: h1.to_string(),
                    want: want.to_string(),
                    from: db,
                },
                None => Judgement::Unverified {
                    why: format!("the record of {db} has no line for it"),
                },
            },
        }
    }

    /// Checks a complete body. `streamed`: the zip's hash computed while it arrived, if that
    /// worked. `Err`: a zip go cannot use at all.
    pub async fn verify(
        &self,
        body: &Spooled,
        streamed: Option<String>,
    ) -> Result<Judgement, String> {
        if let Err(why) = self.requirement().await {
            return Ok(Judgement::Unverified { why });
        }
        let h1 = match self.kind {
            SumKind::GoMod => {
                let bytes = read_small(body)?;
                dirhash::hash_mod(&bytes)
            }
            SumKind::Zip => match &streamed {
                Some(h1) => h1.clone(),
                None => self.hash_zip(body).await?,
            },
        };
        let judgement = self.judge(&h1).await;
        if streamed.is_some() && matches!(judgement, Judgement::Mismatch { .. }) {
            // Rare: confirm with the complete zip before an upstream is blamed.
            let h1 = self.hash_zip(body).await?;
            return Ok(self.judge(&h1).await);
        }
        Ok(judgement)
    }

    /// The zip's hash over the spooled body, on every CPU.
    async fn hash_zip(&self, body: &Spooled) -> Result<String, String> {
        let (body, module, version) = (body.clone(), self.module.clone(), self.version.clone());
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        tokio::task::spawn_blocking(move || {
            dirhash::hash_zip_parallel(|| Ok(body.reader()), &module, &version, threads)
        })
        .await
        .map_err(|e| format!("hashing the zip failed ({e})"))?
        .map_err(|e| format!("served a zip go cannot use ({e})"))
    }
}

/// A small body's bytes.
fn read_small(body: &Spooled) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    body.reader()
        .read_to_end(&mut out)
        .map_err(|e| format!("reading the body failed ({e})"))?;
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A zip hashed on a blocking thread as its chunks arrive.
#[derive(Debug)]
pub struct Streamer {
    tx: Option<tokio::sync::mpsc::Sender<bytes::Bytes>>,
    task: tokio::task::JoinHandle<Option<String>>,
}

impl Streamer {
    pub fn start(module: &str, version: &str) -> Streamer {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(32);
        let mut zip = ZipStream::new(module, version);
        let task = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = rx.blocking_recv() {
                zip.update(&chunk);
                if zip.stopped() {
                    break;
                }
            }
            zip.finish().ok()
        });
        Streamer { tx: Some(tx), task }
    }

    /// The next chunk (waits while the hasher is behind: it bounds what is held in memory).
    pub async fn push(&mut self, chunk: bytes::Bytes) {
        if let Some(tx) = &self.tx
            && tx.send(chunk).await.is_err()
        {
            // The hasher gave up on this zip: the complete body will be hashed instead.
            self.tx = None;
        }
    }

    /// The hash, once every chunk was pushed; `None` when the complete zip must be hashed.
    pub async fn finish(mut self) -> Option<String> {
        self.tx = None;
        (&mut self.task).await.ok().flatten()
    }
}

/// Resolves `module@version`'s record: the lookup through the router's own routes, its tree
/// note opened with `key`, the record proved through hash tiles (fetched in parallel through
/// the router first, then any other the proof needs).
pub async fn db_record(
    service: &Arc<Service>,
    name: &str,
    key: Arc<VerifierKey>,
    module: &str,
    version: &str,
) -> DbRecord {
    let lookup = Request::SumdbLookup {
        name: name.to_string(),
        module: module.to_string(),
        version: version.to_string(),
    };
    let answer = service.answer(Arc::new(lookup)).await;
    if answer.status != 200 {
        return DbRecord::Unavailable(format!("its lookup answered {}", answer.status));
    }
    let body = match read_small(&answer.body) {
        Ok(b) => b,
        Err(e) => return DbRecord::Unavailable(e),
    };
    let tiles = match LookupRecord::parse(&body)
        .ok()
        .and_then(|r| Some((r.id, SignedTree::open(&r.note, &key).ok()?)))
    {
        Some((id, tree)) => tlog::record_tiles(&tree.tree, id),
        None => return DbRecord::Unavailable("its lookup does not verify".into()),
    };
    let mut fetched: HashMap<String, Vec<u8>> = HashMap::new();
    let mut set = tokio::task::JoinSet::new();
    for tile in tiles {
        let service = Arc::clone(service);
        let path = tile.path();
        let name = name.to_string();
        set.spawn(async move {
            let answer = get_tile(&service, &name, &path).await;
            (path, answer)
        });
    }
    while let Some(Ok((path, Some(bytes)))) = set.join_next().await {
        fetched.insert(path, bytes);
    }
    let service = Arc::clone(service);
    let name = name.to_string();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut source = |tile: &tlog::Tile| -> Result<Vec<u8>, String> {
            let path = tile.path();
            if let Some(b) = fetched.get(&path) {
                return Ok(b.clone());
            }
            handle
                .block_on(get_tile(&service, &name, &path))
                .ok_or_else(|| format!("{path} not found"))
        };
        match verify_lookup(&body, &key, &mut source) {
            Ok(r) => DbRecord::Verified(r),
            Err(e) => DbRecord::Unavailable(format!("its lookup does not verify ({e})")),
        }
    })
    .await
    .unwrap_or_else(|e| DbRecord::Unavailable(format!("checking its lookup failed ({e})")))
}

/// A hash tile (`tile/8/0/000.p/5`) through the router, when it answers 200.
async fn get_tile(service: &Arc<Service>, name: &str, path: &str) -> Option<Vec<u8>> {
    let req = Request::parse(&format!("sumdb/{name}/{path}")).ok()?;
    let answer: Answer = service.answer(Arc::new(req)).await;
    (answer.status == 200)
        .then(|| read_small(&answer.body).ok())
        .flatten()
}
