//! GOSUMDB as a typed value, parsed as `modfetch/sumdb.go: dbDial` does, and its verifier
//! key (x/mod `sumdb/note` `NewVerifier`).

use aws_lc_rs::signature;
use sha2::{Digest, Sha256};
use thiserror::Error;

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
}
