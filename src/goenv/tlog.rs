//! The checksum database's transparency log, as x/mod `sumdb/tlog` defines it: RFC 6962
//! hashing and record proofs (`tlog.go`), hash tiles and their paths (`tile.go`,
//! `TileHashReader`), tree notes and lookup records (`note.go` `ParseTree`, `ParseRecord`).
//!
//! A record is proved to be in a signed tree by reading hash tiles: [`check_record`] asks a
//! tile source for each tile it needs (the router fetches them through its own routes and may
//! cache them: a tile at a given path never changes), authenticates every tile against the
//! tree hash, and compares the record's leaf hash with the one the tiles hold — what x/mod's
//! `Client.checkRecord` does. [`record_tiles`] lists the same tiles up front, for fetching them
//! in parallel.
//!
//! ```
//! use goshim::goenv::tlog::{self, Tile, Tree};
//!
//! // A log with one record: its tree hash is the record's leaf hash.
//! let record = b"example.com/m v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
//! let tree = Tree { size: 1, hash: tlog::record_hash(record) };
//! let mut source = |tile: &Tile| -> Result<Vec<u8>, std::io::Error> {
//!     assert_eq!(tile.path(), "tile/8/0/000.p/1");
//!     Ok(tlog::record_hash(record).to_vec())
//! };
//! tlog::check_record(&tree, 0, record, &mut source).unwrap();
//! ```

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use thiserror::Error;

use super::base64;

/// A node or record hash.
pub type Hash = [u8; 32];

/// Bytes of one hash in a tile.
pub const HASH_SIZE: usize = 32;

/// The tile height go's checksum database client reads (x/mod `sumdb/client.go`).
pub const TILE_HEIGHT: u32 = 8;

/// The largest tree size accepted. x/mod takes any int64; this bound keeps every index
/// computation within u64 (sum.golang.org holds under 2^27 records).
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// A tree head: the number of records and the root hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tree {
    pub size: u64,
    pub hash: Hash,
}

/// A note or record text that is not in the checksum database's format.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormatError {
    #[error("malformed tree note")]
    Tree,
    #[error("malformed record data")]
    Record,
}

/// Why a record could not be proved to be in a tree.
#[derive(Debug, Error)]
pub enum ProofError<E> {
    #[error("cannot validate record {id} in tree of size {size}")]
    NotInTree { id: u64, size: u64 },
    #[error("reading {tile}: {source}")]
    Fetch {
        tile: String,
        #[source]
        source: E,
    },
    #[error("{tile}: {got} bytes of tile data, want {want}")]
    TileSize {
        tile: String,
        got: usize,
        want: usize,
    },
    #[error("downloaded inconsistent tile")]
    InconsistentTile,
    #[error("cannot authenticate record data in server response")]
    RecordMismatch,
}

/// `RecordHash`: SHA-256(0x00 || data).
pub fn record_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// `NodeHash`: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// `StoredHashIndex`: where hash `n` of `level` sits in the log's linear hash storage.
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    let mut n = n;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut i = 0;
    while n > 0 {
        i += n;
        n >>= 1;
    }
    i + u64::from(level)
}

/// `SplitStoredHashIndex`, the inverse of [`stored_hash_index`]: (level, n).
fn split_stored_hash_index(index: u64) -> (u32, u64) {
    let mut n = index / 2;
    let mut index_n = stored_hash_index(0, n);
    loop {
        let x = index_n + 1 + u64::from((n + 1).trailing_zeros());
        if x > index {
            break;
        }
        n += 1;
        index_n = x;
    }
    let level = (index - index_n) as u32;
    (level, n >> level)
}

/// `maxpow2`: the largest power of two smaller than `n` (1 for `n` ≤ 2), and its log₂.
fn max_pow2(n: u64) -> (u64, u32) {
    if n <= 2 {
        return (1, 0);
    }
    let l = (n - 1).ilog2();
    (1 << l, l)
}

/// `subTreeIndex`: the stored indexes whose hashes make up records [lo, hi).
fn sub_tree_index(mut lo: u64, hi: u64, need: &mut Vec<u64>) {
    while lo < hi {
        let (k, level) = max_pow2(hi - lo + 1);
        need.push(stored_hash_index(level, lo >> level));
        lo += k;
    }
}

/// `tileHash`: the subtree hash of 2^k consecutive hashes.
fn tile_hash(data: &[u8]) -> Hash {
    if data.len() == HASH_SIZE {
        let mut h = [0u8; HASH_SIZE];
        h.copy_from_slice(data);
        return h;
    }
    let half = data.len() / 2;
    node_hash(&tile_hash(&data[..half]), &tile_hash(&data[half..]))
}

/// A tile of the log (x/mod `tlog.Tile`): `width` consecutive hashes at tree level
/// `height * level`, starting at hash `index << height`; a full tile has `2^height` hashes.
/// Level -1 holds record data (`data` in paths) instead of hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tile {
    pub height: u32,
    pub level: i32,
    pub index: u64,
    pub width: u32,
}

impl Tile {
    /// `Tile.Path`: `tile/<H>/<L>/<NNN>[.p/<W>]`, `NNN` in 3-digit groups with an `x` before
    /// each but the last (`tile/8/0/x001/x234/067.p/5`).
    pub fn path(&self) -> String {
        let mut n = self.index;
        let mut nnn = format!("{:03}", n % 1000);
        while n >= 1000 {
            n /= 1000;
            nnn = format!("x{:03}/{nnn}", n % 1000);
        }
        let level = if self.level == -1 {
            "data".to_string()
        } else {
            self.level.to_string()
        };
        let partial = if self.is_full() {
            String::new()
        } else {
            format!(".p/{}", self.width)
        };
        format!("tile/{}/{level}/{nnn}{partial}", self.height)
    }

    /// `ParseTilePath`: the tile of a canonical tile path (relative to the database root).
    pub fn parse(path: &str) -> Option<Tile> {
        let mut f: Vec<&str> = path.split('/').collect();
        if f.len() < 4 || f[0] != "tile" {
            return None;
        }
        let height = go_atoi(f[1])?;
        let level = if f[2] == "data" { -1 } else { go_atoi(f[2])? };
        if !(1..=30).contains(&height) || !(-1..=63).contains(&level) {
            return None;
        }
        let full = 1i64 << height;
        let mut width = full;
        let last = f.len() - 1;
        if let Some(group) = f[last - 1].strip_suffix(".p") {
            let w = go_atoi(f[last])?;
            if w <= 0 || w >= full {
                return None;
            }
            width = w;
            f[last - 1] = group;
            f.pop();
        }
        let mut index: u64 = 0;
        for group in &f[3..] {
            let nn = go_atoi(group.strip_prefix('x').unwrap_or(group))?;
            if !(0..1000).contains(&nn) {
                return None;
            }
            index = index.checked_mul(1000)?.checked_add(nn as u64)?;
        }
        let tile = Tile {
            height: height as u32,
            level: level as i32,
            index,
            width: width as u32,
        };
        (tile.path() == path).then_some(tile)
    }

    /// Whether the tile holds all `2^height` hashes (a full tile is immutable and can be
    /// cached forever; a partial one is a prefix of it).
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == 1u64 << self.height
    }

    fn full(&self) -> Tile {
        Tile {
            width: 1 << self.height,
            ..*self
        }
    }
}

/// `strconv.Atoi` for the numbers of a tile path: optional sign, decimal digits, fits i64.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `tileForIndex`: the least-width tile of height `h` holding stored hash `index`, and the
/// byte range within its data whose tile hash is that hash.
fn tile_for_index(h: u32, index: u64) -> (Tile, usize, usize) {
    let (level, n) = split_stored_hash_index(index);
    let tile_level = level / h;
    let level = level - tile_level * h;
    let tile_index = n << level >> h;
    let n = n - (tile_index << h >> level);
    let tile = Tile {
        height: h,
        level: tile_level as i32,
        index: tile_index,
        width: ((n + 1) << level) as u32,
    };
    (
        tile,
        (n << level) as usize * HASH_SIZE,
        ((n + 1) << level) as usize * HASH_SIZE,
    )
}

/// `HashFromTile`: the hash at stored `index` from `tile`'s data.
fn hash_from_tile(tile: &Tile, data: &[u8], index: u64) -> Option<Hash> {
    let (t, start, end) = tile_for_index(tile.height, index);
    if t.level != tile.level || t.index != tile.index || t.width > tile.width || data.len() < end {
        return None;
    }
    Some(tile_hash(&data[start..end]))
}

/// `tileParent`: `tile`'s `k`-th parent in the tiles of a tree of `size` records.
fn tile_parent(tile: &Tile, k: u32, size: u64) -> Option<Tile> {
    let level = tile.level as u32 + k;
    let shift = u64::from(k * tile.height);
    let index = if shift >= 64 { 0 } else { tile.index >> shift };
    let mut width = 1u64 << tile.height;
    let max = if level * tile.height >= 64 {
        0
    } else {
        size >> (level * tile.height)
    };
    let start = index << tile.height;
    if start + width >= max {
        if start >= max {
            return None;
        }
        width = max - start;
    }
    Some(Tile {
        height: tile.height,
        level: level as i32,
        index,
        width: width as u32,
    })
}

/// `ParseTree`: the tree a checksum database's signed tree note states
/// (`go.sum database tree\n<size>\n<base64 hash>\n`, extra lines ignored).
pub fn parse_tree(text: &str) -> Result<Tree, FormatError> {
    let rest = text
        .strip_prefix("go.sum database tree\n")
        .ok_or(FormatError::Tree)?;
    if text.matches('\n').count() < 3 || text.len() > 1_000_000 {
        return Err(FormatError::Tree);
    }
    let mut lines = rest.splitn(3, '\n');
    let size_line = lines.next().ok_or(FormatError::Tree)?;
    let hash_line = lines.next().ok_or(FormatError::Tree)?;
    let size: u64 = size_line.parse().map_err(|_| FormatError::Tree)?;
    if size.to_string() != size_line || size > MAX_TREE_SIZE {
        return Err(FormatError::Tree);
    }
    let hash = base64::decode(hash_line)
        .and_then(|h| Hash::try_from(h.as_slice()).ok())
        .ok_or(FormatError::Tree)?;
    Ok(Tree { size, hash })
}

/// `ParseRecord`: a lookup answer's record id, record text (ending in `\n`) and the rest (the
/// signed tree note).
pub fn parse_record(msg: &[u8]) -> Result<(u64, &str, &[u8]), FormatError> {
    let newline = msg
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(FormatError::Record)?;
    let id_text = std::str::from_utf8(&msg[..newline]).map_err(|_| FormatError::Record)?;
    let id = go_atoi(id_text).ok_or(FormatError::Record)?;
    let id = u64::try_from(id).map_err(|_| FormatError::Record)?;
    let msg = &msg[newline + 1..];
    let end = msg
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or(FormatError::Record)?;
    let (text, rest) = (&msg[..=end], &msg[end + 2..]);
    let text = std::str::from_utf8(text).map_err(|_| FormatError::Record)?;
    if text.chars().any(|c| c < ' ' && c != '\n') || text.contains("\n\n") {
        return Err(FormatError::Record);
    }
    Ok((id, text, rest))
}

/// The tiles [`check_record`] reads, in the order it reads them: first those that rebuild the
/// tree hash, then those that lead down to record `id`. Empty when `id` is not in the tree.
pub fn record_tiles(tree: &Tree, id: u64) -> Vec<Tile> {
    if id >= tree.size || tree.size > MAX_TREE_SIZE {
        return Vec::new();
    }
    plan(tree, stored_hash_index(0, id)).map_or_else(Vec::new, |p| p.tiles)
}

/// `Client.checkRecord`: proves that record `id` with text `record` is in `tree`, reading hash
/// tiles of height [`TILE_HEIGHT`] from `tiles`. A partial tile the source cannot give is read
/// as a prefix of its full tile, as go does when a tile has filled up meanwhile.
pub fn check_record<E>(
    tree: &Tree,
    id: u64,
    record: &[u8],
    tiles: &mut dyn FnMut(&Tile) -> Result<Vec<u8>, E>,
) -> Result<(), ProofError<E>> {
    if id >= tree.size || tree.size > MAX_TREE_SIZE {
        return Err(ProofError::NotInTree {
            id,
            size: tree.size,
        });
    }
    let leaf = read_hash(tree, stored_hash_index(0, id), tiles)?;
    if leaf == record_hash(record) {
        Ok(())
    } else {
        Err(ProofError::RecordMismatch)
    }
}

/// What `tileHashReader.ReadHashes` fetches for one stored hash index.
struct Plan {
    tiles: Vec<Tile>,
    /// The stored indexes that make up the tree hash (`subTreeIndex(0, N)`), and the tile
    /// holding each.
    tree_indexes: Vec<(u64, usize)>,
    /// The tile holding the wanted hash.
    target: usize,
}

fn plan(tree: &Tree, index: u64) -> Option<Plan> {
    let h = TILE_HEIGHT;
    let mut order: HashMap<Tile, usize> = HashMap::new();
    let mut tiles = Vec::new();
    let mut stx = Vec::new();
    sub_tree_index(0, tree.size, &mut stx);
    let mut tree_indexes = Vec::with_capacity(stx.len());
    for x in stx {
        let (tile, _, _) = tile_for_index(h, x);
        let tile = tile_parent(&tile, 0, tree.size)?;
        let j = *order.entry(tile).or_insert_with(|| {
            tiles.push(tile);
            tiles.len() - 1
        });
        tree_indexes.push((x, j));
    }
    let (tile, _, _) = tile_for_index(h, index);
    // Walk up until a tile already planned (it will be authenticated), then plan the tiles
    // below it, parents first.
    let mut k = 0;
    let target = loop {
        let parent = tile_parent(&tile, k, tree.size)?;
        if let Some(&j) = order.get(&parent) {
            break (k == 0).then_some(j);
        }
        k += 1;
        if k > 64 {
            return None;
        }
    };
    let target = if let Some(j) = target {
        j
    } else {
        let mut last = 0;
        for k in (0..k).rev() {
            let t = tile_parent(&tile, k, tree.size)?;
            if !t.is_full() {
                return None;
            }
            order.insert(t, tiles.len());
            tiles.push(t);
            last = tiles.len() - 1;
        }
        last
    };
    Some(Plan {
        tiles,
        tree_indexes,
        target,
    })
}

/// `tileHashReader.ReadHashes` for one index: fetch, authenticate against the tree hash and
/// return the hash at `index`.
fn read_hash<E>(
    tree: &Tree,
    index: u64,
    tiles: &mut dyn FnMut(&Tile) -> Result<Vec<u8>, E>,
) -> Result<Hash, ProofError<E>> {
    let plan = plan(tree, index).ok_or(ProofError::InconsistentTile)?;
    let mut data = Vec::with_capacity(plan.tiles.len());
    for tile in &plan.tiles {
        let bytes = fetch(tile, tiles)?;
        let want = tile.width as usize * HASH_SIZE;
        if bytes.len() != want {
            return Err(ProofError::TileSize {
                tile: tile.path(),
                got: bytes.len(),
                want,
            });
        }
        data.push(bytes);
    }
    let at = |j: usize, x: u64| hash_from_tile(&plan.tiles[j], &data[j], x);
    // The tiles holding the tree hash's parts must rebuild the signed tree hash.
    let mut parts = plan.tree_indexes.iter().rev();
    let &(x, j) = parts.next().ok_or(ProofError::InconsistentTile)?;
    let mut th = at(j, x).ok_or(ProofError::InconsistentTile)?;
    for &(x, j) in parts {
        th = node_hash(&at(j, x).ok_or(ProofError::InconsistentTile)?, &th);
    }
    if th != tree.hash {
        return Err(ProofError::InconsistentTile);
    }
    // Every further (full) tile must hash to the entry its parent tile holds for it.
    let order: HashMap<Tile, usize> = plan
        .tiles
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, i))
        .collect();
    let first_extra = plan
        .tree_indexes
        .iter()
        .map(|&(_, j)| j + 1)
        .max()
        .unwrap_or(0);
    for (i, tile) in plan.tiles.iter().enumerate().skip(first_extra) {
        let parent = tile_parent(tile, 1, tree.size).ok_or(ProofError::InconsistentTile)?;
        let &j = order.get(&parent).ok_or(ProofError::InconsistentTile)?;
        let level = (parent.level as u32) * parent.height;
        let expected = hash_from_tile(&parent, &data[j], stored_hash_index(level, tile.index))
            .ok_or(ProofError::InconsistentTile)?;
        if expected != tile_hash(&data[i]) {
            return Err(ProofError::InconsistentTile);
        }
    }
    at(plan.target, index).ok_or(ProofError::InconsistentTile)
}

/// One tile from the source; a partial tile it cannot give is cut from the full tile
/// (`Client.readTile`).
fn fetch<E>(
    tile: &Tile,
    tiles: &mut dyn FnMut(&Tile) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, ProofError<E>> {
    match tiles(tile) {
        Ok(data) => Ok(data),
        Err(source) => {
            if !tile.is_full() {
                let full = tile.full();
                if let Ok(mut data) = tiles(&full) {
                    data.truncate(data.len() / full.width as usize * tile.width as usize);
                    return Ok(data);
                }
            }
            Err(ProofError::Fetch {
                tile: tile.path(),
                source,
            })
        }
    }
}

#[cfg(test)]
mod tests;
