//! Unit tests of `tlog`.

use super::*;

/// An in-memory log built the plain way (RFC 6962 recursion over per-level hashes of
/// complete subtrees), independent of the stored index and tile code above.
struct Log {
    leaves: Vec<Hash>,
    /// `levels[l][i]`: the hash of leaves `[i << l, (i + 1) << l)`.
    levels: Vec<Vec<Hash>>,
}

impl Log {
    fn new(n: usize) -> Log {
        Log::of((0..n).map(|i| record_hash(&record(i))).collect())
    }

    fn of(leaves: Vec<Hash>) -> Log {
        let mut levels = vec![leaves.clone()];
        while levels.last().unwrap().len() > 1 {
            let next = levels
                .last()
                .unwrap()
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
            levels.push(next);
        }
        Log { leaves, levels }
    }

    fn root(&self, lo: usize, hi: usize) -> Hash {
        let n = hi - lo;
        if n == 0 {
            return Sha256::digest([]).into();
        }
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            return self.levels[n.trailing_zeros() as usize][lo / n];
        }
        let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
        node_hash(&self.root(lo, lo + k), &self.root(lo + k, hi))
    }

    fn tree(&self) -> Tree {
        Tree {
            size: self.leaves.len() as u64,
            hash: self.root(0, self.leaves.len()),
        }
    }

    /// Tile data as a server of this tree serves it (404 when beyond the tree).
    fn tile(&self, tile: &Tile) -> Result<Vec<u8>, String> {
        let level = (tile.level as u32 * tile.height) as usize;
        let stored = self.leaves.len() >> level;
        let start = (tile.index as usize) << tile.height;
        if start + tile.width as usize > stored {
            return Err(format!("404 {}", tile.path()));
        }
        Ok(self.levels[level][start..start + tile.width as usize].concat())
    }
}

fn record(i: usize) -> Vec<u8> {
    format!("example.com/m{i} v1.0.0 h1:x\nexample.com/m{i} v1.0.0/go.mod h1:y\n").into_bytes()
}

#[test]
fn stored_hash_index_round_trip() {
    // x/mod tlog_test.go TestSplitStoredHashIndex.
    for l in 0..10 {
        for n in 0..100 {
            let x = stored_hash_index(l, n);
            assert_eq!(split_stored_hash_index(x), (l, n), "level {l} n {n}");
        }
    }
    assert_eq!(stored_hash_index(0, 0), 0);
    assert_eq!(stored_hash_index(0, 1), 1);
    assert_eq!(stored_hash_index(1, 0), 2);
    assert_eq!(stored_hash_index(0, 2), 3);
}

#[test]
fn tile_paths() {
    // x/mod tile_test.go and the Tile doc comment.
    let rows = [
        ("tile/3/4/x001/x234/067", 3, 4, 1234067, 8),
        ("tile/3/4/x001/x234/067.p/1", 3, 4, 1234067, 1),
        ("tile/8/0/000", 8, 0, 0, 256),
        ("tile/8/1/488.p/229", 8, 1, 488, 229),
        ("tile/8/data/x123/x456/789", 8, -1, 123456789, 256),
    ];
    for (path, height, level, index, width) in rows {
        let tile = Tile {
            height,
            level,
            index,
            width,
        };
        assert_eq!(tile.path(), path);
        assert_eq!(Tile::parse(path), Some(tile), "{path}");
    }
    for bad in [
        "tile/8/0/1",
        "tile/8/0/0001",
        "tile/8/0/001.p/256",
        "tile/8/0/001.p/0",
        "tile/8/0/x000/001",
        "tile/0/0/000",
        "tile/31/0/000",
        "tile/8/64/000",
        "tile/8/-2/000",
        "tile/8/0",
        "tiles/8/0/000",
        "tile/8/0/001/",
        "tile/+8/0/000",
    ] {
        assert_eq!(Tile::parse(bad), None, "{bad}");
    }
}

#[test]
fn parse_tree_notes() {
    let hash = base64::encode(&[7u8; 32]);
    assert_eq!(
        parse_tree(&format!("go.sum database tree\n12345\n{hash}\n")),
        Ok(Tree {
            size: 12345,
            hash: [7; 32]
        })
    );
    assert!(parse_tree(&format!("go.sum database tree\n1\n{hash}\nextra line\n")).is_ok());
    for bad in [
        format!("go.sum database tree\n012\n{hash}\n"),
        format!("go.sum database tree\n-1\n{hash}\n"),
        format!("go.sum database tree\n+1\n{hash}\n"),
        format!("go.sum database tree\n1\n{hash}"),
        format!("go.sum database tree\n1\n{}\n", base64::encode(&[7u8; 31])),
        format!("go.sum database tree\n{}\n{hash}\n", MAX_TREE_SIZE + 1),
        format!("go.sum database trees\n1\n{hash}\n"),
        "go.sum database tree\n1\n\n".to_string(),
    ] {
        assert_eq!(parse_tree(&bad), Err(FormatError::Tree), "{bad:?}");
    }
}

#[test]
fn parse_records() {
    let body = b"42\na v1 h1:x\na v1/go.mod h1:y\n\nnote\n";
    let (id, text, rest) = parse_record(body).unwrap();
    assert_eq!(
        (id, text, rest),
        (42, "a v1 h1:x\na v1/go.mod h1:y\n", &b"note\n"[..])
    );
    for bad in [
        &b"42"[..],
        b"x\na\n\n",
        b"-1\na\n\n",
        b"42\na\n",
        b"42\na\tb\n\n",
        b"42\na\xff\n\n",
    ] {
        assert_eq!(parse_record(bad), Err(FormatError::Record), "{bad:?}");
    }
    // x/mod's isValidRecordText accepts a text that is a single newline.
    assert_eq!(parse_record(b"42\n\n\n"), Ok((42, "\n", &b""[..])));
}

#[test]
fn every_record_of_many_trees() {
    // Sizes around tile boundaries (256, 65536 = 256²) and odd ones.
    for size in [1, 2, 3, 7, 8, 9, 255, 256, 257, 300, 511, 512, 513, 1000] {
        let log = Log::new(size);
        let tree = log.tree();
        let ids: Vec<usize> = if size <= 300 {
            (0..size).collect()
        } else {
            vec![0, 1, 255, 256, 257, size / 2, size - 2, size - 1]
        };
        for id in ids {
            let mut fetched = Vec::new();
            let mut source = |t: &Tile| {
                fetched.push(*t);
                log.tile(t)
            };
            check_record(&tree, id as u64, &record(id), &mut source)
                .unwrap_or_else(|e| panic!("size {size} id {id}: {e}"));
            assert_eq!(
                fetched,
                record_tiles(&tree, id as u64),
                "size {size} id {id}"
            );
            let mut source = |t: &Tile| log.tile(t);
            let wrong = check_record(&tree, id as u64, &record(id + 1), &mut source);
            assert!(
                matches!(wrong, Err(ProofError::RecordMismatch)),
                "{wrong:?}"
            );
        }
    }
}

#[test]
fn same_tiles_as_x_mod() {
    // The tiles x/mod's TileHashReader(Tree{N}, r).ReadHashes([StoredHashIndex(0, id)])
    // asks for, in order (golang/mod @ fe2ec04 sumdb/tlog, run with Go 1.27.3). The last
    // two are sum.golang.org trees quoted in public lookup answers.
    let rows: &[(u64, u64, &str)] = &[
        (1, 0, "tile/8/0/000.p/1"),
        (2, 1, "tile/8/0/000.p/2"),
        (3, 2, "tile/8/0/000.p/3"),
        (255, 17, "tile/8/0/000.p/255"),
        (256, 255, "tile/8/1/000.p/1 tile/8/0/000"),
        (257, 256, "tile/8/1/000.p/1 tile/8/0/001.p/1"),
        (300, 5, "tile/8/1/000.p/1 tile/8/0/001.p/44 tile/8/0/000"),
        (300, 299, "tile/8/1/000.p/1 tile/8/0/001.p/44"),
        (65536, 65535, "tile/8/2/000.p/1 tile/8/1/000 tile/8/0/255"),
        (65537, 65536, "tile/8/2/000.p/1 tile/8/0/256.p/1"),
        (
            70000,
            65537,
            "tile/8/2/000.p/1 tile/8/1/001.p/17 tile/8/0/273.p/112 tile/8/0/256",
        ),
        (
            70000,
            123,
            "tile/8/2/000.p/1 tile/8/1/001.p/17 tile/8/0/273.p/112 tile/8/1/000 \
                 tile/8/0/000",
        ),
        (
            1234567,
            1234566,
            "tile/8/2/000.p/18 tile/8/1/018.p/214 tile/8/0/x004/822.p/135",
        ),
        (
            1234567,
            7,
            "tile/8/2/000.p/18 tile/8/1/018.p/214 tile/8/0/x004/822.p/135 tile/8/1/000 \
                 tile/8/0/000",
        ),
        (
            65209736,
            13544323,
            "tile/8/3/000.p/3 tile/8/2/003.p/227 tile/8/1/995.p/5 tile/8/0/x254/725.p/136 \
                 tile/8/2/000 tile/8/1/206 tile/8/0/x052/907",
        ),
        (
            3784599,
            1354545,
            "tile/8/2/000.p/57 tile/8/1/057.p/191 tile/8/0/x014/783.p/151 tile/8/1/020 \
                 tile/8/0/x005/291",
        ),
    ];
    for &(size, id, want) in rows {
        let tree = Tree {
            size,
            hash: [0; 32],
        };
        let got: Vec<String> = record_tiles(&tree, id).iter().map(Tile::path).collect();
        assert_eq!(got.join(" "), want, "size {size} id {id}");
    }
}

#[test]
fn every_tile_below_the_tree_hash_is_authenticated() {
    // x/mod's tileHashReader.ReadHashes checks tiles against their parents only from
    // position len(stx) (the number of tree-hash parts, not of their tiles), so for this
    // tree it never checks tile/8/0/000 and returns a forged leaf hash from it. Here the
    // forged tile is refused.
    let log = Log::new(300);
    let tree = log.tree();
    let forged = Tile::parse("tile/8/0/000").unwrap();
    let fake_record = b"example.com/m5 v1.0.0 h1:forged\n";
    let mut source = |t: &Tile| {
        let mut data = log.tile(t)?;
        if *t == forged {
            data[5 * HASH_SIZE..6 * HASH_SIZE].copy_from_slice(&record_hash(fake_record));
        }
        Ok::<_, String>(data)
    };
    assert!(matches!(
        check_record(&tree, 5, fake_record, &mut source),
        Err(ProofError::InconsistentTile)
    ));
}

#[test]
fn large_tree_uses_level_one_tiles() {
    let log = Log::new(70_000);
    let tree = log.tree();
    let tiles = record_tiles(&tree, 65_537);
    assert!(tiles.iter().any(|t| t.level == 1), "{tiles:?}");
    assert!(tiles.iter().any(|t| t.level == 2), "{tiles:?}");
    for id in [0, 65_535, 65_536, 65_537, 69_999] {
        let mut source = |t: &Tile| log.tile(t);
        check_record(&tree, id, &record(id as usize), &mut source)
            .unwrap_or_else(|e| panic!("id {id}: {e}"));
    }
}

#[test]
fn partial_tile_falls_back_to_full_tile() {
    // The log grew from 300 to 512 records and its server dropped the level-0 partial tile
    // an old head of 300 records asks for (tile/8/0/001.p/44): it is read from the full
    // tile that replaced it.
    let grown = Log::new(512);
    let old = Log::of(grown.leaves[..300].to_vec());
    let tree = old.tree();
    let mut asked = Vec::new();
    let mut source = |t: &Tile| {
        asked.push(t.path());
        if t.level == 0 && !t.is_full() {
            Err(format!("404 {}", t.path()))
        } else {
            grown.tile(t)
        }
    };
    check_record(&tree, 280, &record(280), &mut source).unwrap();
    assert!(
        asked.contains(&"tile/8/0/001.p/44".to_string()),
        "{asked:?}"
    );
    assert!(asked.contains(&"tile/8/0/001".to_string()), "{asked:?}");
    // No full tile either: the error names the tile asked for.
    let mut source = |t: &Tile| {
        if t.level == 0 {
            Err(format!("404 {}", t.path()))
        } else {
            grown.tile(t)
        }
    };
    let err = check_record(&tree, 280, &record(280), &mut source).unwrap_err();
    assert_eq!(
        err.to_string(),
        "reading tile/8/0/001.p/44: 404 tile/8/0/001.p/44"
    );
}

#[test]
fn tampered_or_missing_tiles() {
    let log = Log::new(300);
    let tree = log.tree();
    // A flipped byte in any tile the proof reads is caught.
    for victim in record_tiles(&tree, 5) {
        for offset in [0, 31, 32 * (victim.width as usize - 1)] {
            let mut source = |t: &Tile| {
                let mut data = log.tile(t)?;
                if *t == victim {
                    data[offset] ^= 1;
                }
                Ok::<_, String>(data)
            };
            let err = check_record(&tree, 5, &record(5), &mut source).unwrap_err();
            assert!(
                matches!(
                    err,
                    ProofError::InconsistentTile | ProofError::RecordMismatch
                ),
                "{} at {offset}: {err}",
                victim.path()
            );
        }
    }
    // Short or long tile data.
    let mut short = |t: &Tile| {
        log.tile(t).map(|mut d| {
            d.pop();
            d
        })
    };
    assert!(matches!(
        check_record(&tree, 5, &record(5), &mut short),
        Err(ProofError::TileSize { .. })
    ));
    // A source that fails.
    let mut down = |_: &Tile| Err::<Vec<u8>, _>("connection refused");
    let err = check_record(&tree, 5, &record(5), &mut down).unwrap_err();
    assert!(err.to_string().contains("connection refused"), "{err}");
    assert!(err.to_string().contains("tile/8/1/000.p/1"), "{err}");
    // Another tree hash (a tree the tiles do not belong to).
    let mut other = tree;
    other.hash[0] ^= 1;
    let mut source = |t: &Tile| log.tile(t);
    assert!(matches!(
        check_record(&other, 5, &record(5), &mut source),
        Err(ProofError::InconsistentTile)
    ));
    // A record id beyond the tree.
    let mut source = |t: &Tile| log.tile(t);
    assert!(matches!(
        check_record(&tree, 300, &record(300), &mut source),
        Err(ProofError::NotInTree { id: 300, size: 300 })
    ));
    assert!(record_tiles(&tree, 300).is_empty());
}
