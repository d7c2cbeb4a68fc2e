//! The checksum database: GOSUMDB as a typed value, parsed as cmd/go `modfetch/sumdb.go:
//! dbDial` does; its verifier key (x/mod `sumdb/note` `NewVerifier`); and a lookup answer
//! checked as x/mod `sumdb/client.go` `Client.Lookup` and `checkRecord` check it, then read as
//! cmd/go `modfetch/fetch.go` `checkSumDB` reads it.
//!
//! A lookup answer (`<base>/lookup/<path>@<version>`) is the record id, the record text (the
//! module version's go.sum lines), a blank line and a signed tree note. [`verify_lookup`]
//! trusts it only when the note carries a valid signature by the GOSUMDB key and hash tiles
//! prove the record to be in that tree; [`VerifiedRecord::expected`] then gives the `h1:` go
//! will require. go still checks everything itself (and that the tree extends the newest one it
//! has seen, which only go knows).
//!
//! ```no_run
//! use goshim::goenv::gosum::SumKind;
//! use goshim::goenv::sumdb::{self, VerifierKey, SUM_GOLANG_ORG_KEY};
//! use goshim::goenv::tlog::Tile;
//!
//! let key = VerifierKey::parse(SUM_GOLANG_ORG_KEY).unwrap();
//! # let body: Vec<u8> = Vec::new();
//! # fn get(_: &str) -> Result<Vec<u8>, std::io::Error> { unimplemented!() }
//! // body = GET <base>/lookup/golang.org/x/text@v0.3.0
//! let mut tiles = |tile: &Tile| get(&format!("<base>/{}", tile.path()));
//! let record = sumdb::verify_lookup(&body, &key, &mut tiles).unwrap();
//! let want: Option<&str> = record.expected("golang.org/x/text", "v0.3.0", SumKind::Zip);
//! # let _ = want;
//! ```

use aws_lc_rs::signature;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::gosum::SumKind;
use super::note::{self, NoteError};
use super::tlog::{self, FormatError, ProofError, Tile, Tree};
use super::{base64, gourl};

/// The verifier key of `sum.golang.org` (`modfetch/key.go: knownGOSUMDB`).
pub const SUM_GOLANG_ORG_KEY: &str =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

/// The mainland-China alias go rewrites to `sum.golang.org https://sum.golang.google.cn`.
pub const SUM_GOLANG_GOOGLE_CN: &str = "sum.golang.google.cn";

/// An effective GOSUMDB value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SumDb {
    /// `off`: no checksum database (toolchain downloads then fail, see go-semantics.md §3.5).
    Off,
    /// A checksum database.
    Db(SumDbSpec),
}

/// A checksum database go would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumDbSpec {
    /// The database name (`sum.golang.org`), used in `<proxy>/sumdb/<name>/...`.
    pub name: String,
    /// The full verifier key `name+hash+key`.
    pub key: String,
    /// An explicit base URL (`name url` form, or the `sum.golang.google.cn` alias): go then
    /// talks to it directly and never asks the GOPROXY entries.
    pub url: Option<String>,
}

impl SumDbSpec {
    /// True when go reaches the database through the GOPROXY entries first
    /// (`<proxy>/sumdb/<name>/supported`), i.e. no explicit URL was given.
    pub fn via_proxy(&self) -> bool {
        self.url.is_none()
    }

    /// The URL go falls back to when no proxy serves the database: `https://<name>`.
    pub fn direct_url(&self) -> String {
        format!("https://{}", self.name)
    }

    /// The verifier key that signs this database's tree notes.
    pub fn verifier(&self) -> Result<VerifierKey, SumDbError> {
        VerifierKey::parse(&self.key)
    }
}

/// A GOSUMDB value go rejects, with go's text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SumDbError {
    #[error("missing GOSUMDB")]
    Missing,
    #[error("invalid GOSUMDB: too many fields")]
    TooManyFields,
    #[error("invalid GOSUMDB: malformed verifier id")]
    MalformedVerifier,
    #[error("invalid GOSUMDB: unknown verifier algorithm")]
    UnknownAlgorithm,
    #[error("invalid GOSUMDB: invalid verifier hash")]
    BadHash,
    /// go also prints the parsed URL struct after the name; goshim prints the name only.
    #[error("invalid sumdb name (must be host[/path]): {0}")]
    BadName(String),
    #[error("invalid GOSUMDB URL: {0}")]
    BadUrl(String),
}

/// Parses an effective GOSUMDB value as go does when it first needs the database.
pub fn parse_gosumdb(value: &str) -> Result<SumDb, SumDbError> {
    let value = if value == SUM_GOLANG_GOOGLE_CN {
        "sum.golang.org https://sum.golang.google.cn"
    } else {
        value
    };
    if value == "off" {
        return Ok(SumDb::Off);
    }
    let fields: Vec<&str> = value
        .split(char::is_whitespace)
        .filter(|f| !f.is_empty())
        .collect();
    let key = match fields.first() {
        None => return Err(SumDbError::Missing),
        Some(&"sum.golang.org") => SUM_GOLANG_ORG_KEY,
        Some(k) => k,
    };
    if fields.len() > 2 {
        return Err(SumDbError::TooManyFields);
    }
    let verifier = VerifierKey::parse(key)?;
    let name = verifier.name();
    check_name(name)?;
    let url = match fields.get(1) {
        Some(u) => {
            gourl::parse(u).map_err(SumDbError::BadUrl)?;
            Some((*u).to_string())
        }
        None => None,
    };
    Ok(SumDb::Db(SumDbSpec {
        name: name.to_string(),
        key: key.to_string(),
        url,
    }))
}

/// A checksum database's verifier key, `<name>+<hash>+<base64(0x01 || Ed25519 public key)>`,
/// as x/mod `note.NewVerifier` accepts it: `hash` is the first 4 bytes (big-endian, 8 hex
/// digits) of SHA-256(`name` "\n" key data), the key data's first byte the algorithm (1,
/// Ed25519).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    hash: u32,
    public_key: [u8; 32],
}

impl VerifierKey {
    /// Parses and checks a verifier key (`note.NewVerifier`), with go's errors.
    pub fn parse(vkey: &str) -> Result<VerifierKey, SumDbError> {
        let (name, rest) = vkey.split_once('+').unwrap_or((vkey, ""));
        let (hash16, key64) = rest.split_once('+').unwrap_or((rest, ""));
        let hash = u32::from_str_radix(hash16, 16).ok();
        let key = base64::decode(key64);
        let (Some(hash), Some(key)) = (hash, key) else {
            return Err(SumDbError::MalformedVerifier);
        };
        if hash16.len() != 8 || hash16.starts_with('+') || !is_valid_name(name) || key.is_empty() {
            return Err(SumDbError::MalformedVerifier);
        }
        if key_hash(name, &key) != hash {
            return Err(SumDbError::BadHash);
        }
        match key[0] {
            1 => Ok(VerifierKey {
                name: name.to_string(),
                hash,
                public_key: key[1..]
                    .try_into()
                    .map_err(|_| SumDbError::MalformedVerifier)?,
            }),
            _ => Err(SumDbError::UnknownAlgorithm),
        }
    }

    /// The database name (`sum.golang.org`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hash that signature lines carry in their first 4 bytes.
    pub fn key_hash(&self) -> u32 {
        self.hash
    }

    /// Whether `sig` is this key's Ed25519 signature of `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&signature::ED25519, &self.public_key)
            .verify(msg, sig)
            .is_ok()
    }
}

/// x/mod `note.isValidName`: non-empty, no white space, no `+`.
pub(super) fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

/// x/mod `note.keyHash`.
fn key_hash(name: &str, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key);
    let sum = h.finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

/// Why a tree note is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TreeNoteError {
    #[error("verifying tree note: {0}")]
    Note(#[from] NoteError),
    #[error(transparent)]
    Format(#[from] FormatError),
}

/// Why a lookup answer is not trusted.
#[derive(Debug, Error)]
pub enum LookupError<E> {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Tree(#[from] TreeNoteError),
    #[error(transparent)]
    Proof(#[from] ProofError<E>),
}

/// A lookup answer, parsed but not yet trusted (`tlog.ParseRecord`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRecord {
    pub id: u64,
    /// The record text: go.sum lines, each ending in `\n`.
    pub text: String,
    /// The signed tree note that follows the record.
    pub note: Vec<u8>,
}

impl LookupRecord {
    /// Splits a lookup answer's body.
    pub fn parse(body: &[u8]) -> Result<LookupRecord, FormatError> {
        let (id, text, note) = tlog::parse_record(body)?;
        Ok(LookupRecord {
            id,
            text: text.to_string(),
            note: note.to_vec(),
        })
    }
}

/// A tree head whose note is signed by the database's key (`note.Open`, then
/// `tlog.ParseTree`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedTree {
    pub tree: Tree,
}

impl SignedTree {
    /// Opens a signed tree note (as `/latest` serves it, or the end of a lookup answer).
    pub fn open(note: &[u8], key: &VerifierKey) -> Result<SignedTree, TreeNoteError> {
        let text = note::open(note, key)?;
        Ok(SignedTree {
            tree: tlog::parse_tree(text)?,
        })
    }
}

/// A lookup answer proved to be in a tree signed by the database's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRecord {
    pub id: u64,
    pub tree: Tree,
    /// The record text: go.sum lines, each ending in `\n`.
    pub text: String,
}

impl VerifiedRecord {
    /// The record's lines for `path@version` (`kind`), as `Client.Lookup` returns them.
    pub fn lines<'a>(
        &'a self,
        path: &str,
        version: &str,
        kind: SumKind,
    ) -> impl Iterator<Item = &'a str> {
        let prefix = format!("{path} {} ", kind.sum_version(version));
        self.text
            .split('\n')
            .filter(move |line| line.starts_with(&prefix))
    }

    /// The `h1:` hash go requires for `path@version` (`kind`) by this record: the first line
    /// `<path> <version> h1:…` decides (`checkSumDB`). `None` when the record has no such
    /// line; go then accepts the download as it is.
    pub fn expected(&self, path: &str, version: &str, kind: SumKind) -> Option<&str> {
        let prefix = format!("{path} {} ", kind.sum_version(version));
        self.lines(path, version, kind)
            .map(|line| &line[prefix.len()..])
            .find(|hash| hash.starts_with("h1:"))
    }
}

/// Checks a lookup answer as go's checksum database client does: the tree note must carry a
/// valid signature by `key`, and the hash tiles read from `tiles` must prove the record to be
/// in that tree ([`tlog::check_record`]).
pub fn verify_lookup<E>(
    body: &[u8],
    key: &VerifierKey,
    tiles: &mut dyn FnMut(&Tile) -> Result<Vec<u8>, E>,
) -> Result<VerifiedRecord, LookupError<E>> {
    let record = LookupRecord::parse(body)?;
    let tree = SignedTree::open(&record.note, key)?.tree;
    tlog::check_record(&tree, record.id, record.text.as_bytes(), tiles)?;
    Ok(VerifiedRecord {
        id: record.id,
        tree,
        text: record.text,
    })
}

/// "No funny business in the database name": `https://<name>` must be host[/path] only.
fn check_name(name: &str) -> Result<(), SumDbError> {
    let bad = || SumDbError::BadName(name.to_string());
    let url = gourl::parse(&format!("https://{name}")).map_err(|_| bad())?;
    let path_needs_raw = url.raw_path.contains('%') || url.raw_path.contains(['?', '#']);
    if name.ends_with('/')
        || url.user.is_some()
        || url.raw_host.is_empty()
        || !url.raw_query.is_empty()
        || url.force_query
        || !url.raw_fragment.is_empty()
        || path_needs_raw
    {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(name: &str, key: &str, url: Option<&str>) -> SumDb {
        SumDb::Db(SumDbSpec {
            name: name.into(),
            key: key.into(),
            url: url.map(String::from),
        })
    }

    #[test]
    fn parse_table() {
        let rows: Vec<(&str, Result<SumDb, SumDbError>)> = vec![
            ("off", Ok(SumDb::Off)),
            (
                "sum.golang.org",
                Ok(db("sum.golang.org", SUM_GOLANG_ORG_KEY, None)),
            ),
            (
                "sum.golang.google.cn",
                Ok(db(
                    "sum.golang.org",
                    SUM_GOLANG_ORG_KEY,
                    Some("https://sum.golang.google.cn"),
                )),
            ),
            (
                SUM_GOLANG_ORG_KEY,
                Ok(db("sum.golang.org", SUM_GOLANG_ORG_KEY, None)),
            ),
            (
                "sum.golang.org http://127.0.0.1:9/directsum",
                Ok(db(
                    "sum.golang.org",
                    SUM_GOLANG_ORG_KEY,
                    Some("http://127.0.0.1:9/directsum"),
                )),
            ),
            (
                "  sum.golang.org\t",
                Ok(db("sum.golang.org", SUM_GOLANG_ORG_KEY, None)),
            ),
            ("", Err(SumDbError::Missing)),
            ("   ", Err(SumDbError::Missing)),
            ("OFF", Err(SumDbError::MalformedVerifier)),
            (" off", Err(SumDbError::MalformedVerifier)),
            ("sum.example.com", Err(SumDbError::MalformedVerifier)),
            ("https://sum.golang.org", Err(SumDbError::MalformedVerifier)),
            ("a b c", Err(SumDbError::TooManyFields)),
            (
                "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn9",
                Err(SumDbError::BadHash),
            ),
            (
                "sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
                Err(SumDbError::BadHash),
            ),
            (
                "sum.golang.org :bad",
                Err(SumDbError::BadUrl(
                    "parse \":bad\": missing protocol scheme".into(),
                )),
            ),
        ];
        for (input, want) in rows {
            assert_eq!(parse_gosumdb(input), want, "GOSUMDB={input:?}");
        }
    }

    #[test]
    fn via_proxy_only_without_url() {
        let Ok(SumDb::Db(plain)) = parse_gosumdb("sum.golang.org") else {
            panic!("sum.golang.org must parse")
        };
        assert!(plain.via_proxy());
        assert_eq!(plain.direct_url(), "https://sum.golang.org");
        let Ok(SumDb::Db(cn)) = parse_gosumdb("sum.golang.google.cn") else {
            panic!("alias must parse")
        };
        assert!(!cn.via_proxy());
    }

    #[test]
    fn no_panic_on_junk() {
        let mut rng = crate::goenv::testgen::XorShift::new(0x5d8);
        let pieces = [
            "sum.golang.org",
            "+",
            "033de0ae",
            "Ac4z",
            "==",
            " ",
            "http://",
            ":",
            "off",
        ];
        for _ in 0..5000 {
            let mut s = String::new();
            for _ in 0..rng.below(6) {
                if rng.below(2) == 0 {
                    s.push_str(pieces[rng.below(pieces.len())]);
                } else {
                    s.push_str(&rng.junk(6));
                }
            }
            if let Ok(SumDb::Db(spec)) = parse_gosumdb(&s) {
                assert!(
                    !spec.name.is_empty() && spec.key.starts_with(&spec.name),
                    "{s:?}"
                );
            }
        }
    }

    /// A sum.golang.org lookup answer for github.com/libp2p/go-libp2p-blankhost@v0.2.0 (record
    /// 1354545 in tree 3784599), as quoted from https://sum.golang.org/lookup/ in a public
    /// design note on serving Go modules over IPFS.
    const BLANKHOST_LOOKUP: &str = "1354545\n\
        github.com/libp2p/go-libp2p-blankhost v0.2.0 h1:3EsGAi0CBGcZ33GwRuXEYJLLPoVWyXJ1bcJzAJjINkk=\n\
        github.com/libp2p/go-libp2p-blankhost v0.2.0/go.mod h1:eduNKXGTioTuQAUcZ5epXi9vMl+t4d8ugUBRQ4SqaNQ=\n\
        \n\
        go.sum database tree\n\
        3784599\n\
        7uvxIZ67TZygcq/AehTD8iHYt81Ih+Zl2Y7vXZbfszQ=\n\
        \n\
        — sum.golang.org Az3grn972wXskjQrsZhVGc93fTU2uOsmSTiId1Wn1lxDCup5z4ggl1/4gaUqOkMa6cMbYvjB7hn7yemNr7Zqanol/go=\n";

    /// A sum.golang.org tree head from transparency-dev/trillian-tessera
    /// internal/parse/parse_test.go (BenchmarkCheckpointUnsafe), final newline restored.
    const TESSERA_TREE: &str = "go.sum database tree\n31700353\n\
        qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\
        \n\
        — sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n";

    fn golang_key() -> VerifierKey {
        VerifierKey::parse(SUM_GOLANG_ORG_KEY).unwrap()
    }

    #[test]
    fn verifier_keys() {
        let key = golang_key();
        assert_eq!(key.name(), "sum.golang.org");
        assert_eq!(key.key_hash(), 0x033de0ae);
        let Ok(SumDb::Db(spec)) = parse_gosumdb("sum.golang.google.cn") else {
            panic!("alias must parse")
        };
        assert_eq!(spec.verifier(), Ok(key));
        // x/mod note_test.go's key (golang/mod @ fe2ec04).
        let peter = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        assert_eq!(peter.name(), "PeterNeumann");
        for bad in [
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
            "PeterNeumann+c74f20a3",
            "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ] {
            assert!(VerifierKey::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            VerifierKey::parse(
                "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(SumDbError::BadHash)
        );
    }

    #[test]
    fn real_sum_golang_org_tree_heads() {
        let key = golang_key();
        let tree = SignedTree::open(TESSERA_TREE.as_bytes(), &key)
            .unwrap()
            .tree;
        assert_eq!(tree.size, 31700353);
        assert_eq!(
            base64::encode(&tree.hash),
            "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs="
        );
        let tampered = TESSERA_TREE.replace("31700353", "31700354");
        assert_eq!(
            SignedTree::open(tampered.as_bytes(), &key),
            Err(TreeNoteError::Note(NoteError::InvalidSignature {
                name: "sum.golang.org".into(),
                hash: 0x033de0ae
            }))
        );
        // The right note, the wrong key.
        let other = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        assert_eq!(
            SignedTree::open(TESSERA_TREE.as_bytes(), &other),
            Err(TreeNoteError::Note(NoteError::Unverified))
        );
    }

    #[test]
    fn real_sum_golang_org_lookup() {
        let key = golang_key();
        let record = LookupRecord::parse(BLANKHOST_LOOKUP.as_bytes()).unwrap();
        assert_eq!(record.id, 1354545);
        let tree = SignedTree::open(&record.note, &key).unwrap().tree;
        assert_eq!(tree.size, 3784599);
        // No tiles here (no network): the proof asks for the tiles x/mod would, and fails on
        // the first.
        let mut asked = Vec::new();
        let mut offline = |t: &Tile| {
            asked.push(t.path());
            Err::<Vec<u8>, _>("offline")
        };
        let err = verify_lookup(BLANKHOST_LOOKUP.as_bytes(), &key, &mut offline).unwrap_err();
        assert_eq!(err.to_string(), "reading tile/8/2/000.p/57: offline");
        assert_eq!(asked[0], "tile/8/2/000.p/57");
        // Reading the lines as go does, once verified.
        let verified = VerifiedRecord {
            id: record.id,
            tree,
            text: record.text,
        };
        let path = "github.com/libp2p/go-libp2p-blankhost";
        assert_eq!(
            verified.expected(path, "v0.2.0", SumKind::Zip),
            Some("h1:3EsGAi0CBGcZ33GwRuXEYJLLPoVWyXJ1bcJzAJjINkk=")
        );
        assert_eq!(
            verified.expected(path, "v0.2.0", SumKind::GoMod),
            Some("h1:eduNKXGTioTuQAUcZ5epXi9vMl+t4d8ugUBRQ4SqaNQ=")
        );
        assert_eq!(verified.lines(path, "v0.2.0", SumKind::Zip).count(), 1);
        assert_eq!(verified.expected(path, "v0.2.1", SumKind::Zip), None);
        assert_eq!(
            verified.expected("github.com/libp2p", "v0.2.0", SumKind::Zip),
            None
        );
        // Tampered record text or note: refused before any tile is read.
        let forged = BLANKHOST_LOOKUP.replace("h1:3EsG", "h1:4EsG");
        let mut never = |_: &Tile| -> Result<Vec<u8>, &str> { panic!("no tile needed") };
        let forged_note = BLANKHOST_LOOKUP.replace("3784599", "3784600");
        assert!(matches!(
            verify_lookup(forged_note.as_bytes(), &key, &mut never),
            Err(LookupError::Tree(TreeNoteError::Note(
                NoteError::InvalidSignature { .. }
            )))
        ));
        let mut offline = |_: &Tile| Err::<Vec<u8>, _>("offline");
        assert!(matches!(
            verify_lookup(forged.as_bytes(), &key, &mut offline),
            Err(LookupError::Proof(ProofError::Fetch { .. }))
        ));
        assert!(matches!(
            verify_lookup(b"1354545\nno blank line", &key, &mut never),
            Err(LookupError::Format(FormatError::Record))
        ));
    }

    #[test]
    fn expected_takes_the_first_h1_line() {
        let record = VerifiedRecord {
            id: 0,
            tree: Tree {
                size: 1,
                hash: [0; 32],
            },
            text: "m v1 h2:future\nm v1 h1:first\nm v1 h1:second\nm v1/go.mod h1:mod\n".into(),
        };
        assert_eq!(record.expected("m", "v1", SumKind::Zip), Some("h1:first"));
        assert_eq!(record.expected("m", "v1", SumKind::GoMod), Some("h1:mod"));
        assert_eq!(record.lines("m", "v1", SumKind::Zip).count(), 3);
    }
}
