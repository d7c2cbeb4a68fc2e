//! Signed notes of a checksum database, opened as x/mod `sumdb/note` `Open` does with one
//! known verifier key (the GOSUMDB key).
//!
//! A signed note is: text ending in `\n`; a blank line; one or more signature lines
//! `— <name> <base64(4-byte big-endian key hash || signature)>\n`. The whole note is UTF-8
//! without control characters other than `\n`. A signature whose name and key hash are not the
//! known key's is left unverified (notes may carry witnesses' signatures); a signature by the
//! known key must verify (Ed25519 over the text, final newline included); at least one must.
//!
//! ```
//! use goshim::goenv::{note, sumdb::VerifierKey};
//!
//! // x/mod sumdb/note/note_test.go (golang/mod @ fe2ec04).
//! let key = VerifierKey::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
//!     .unwrap();
//! let msg = "If you think cryptography is the answer to your problem,\n\
//!            then you don't know what your problem is.\n\
//!            \n\
//!            — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
//! let text = note::open(msg.as_bytes(), &key).unwrap();
//! assert!(text.ends_with("what your problem is.\n"));
//! ```

use thiserror::Error;

use super::base64;
use super::sumdb::{VerifierKey, is_valid_name};

/// Why a note is not accepted, with x/mod's texts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NoteError {
    #[error("malformed note")]
    Malformed,
    #[error("invalid signature for key {name}+{hash:08x}")]
    InvalidSignature { name: String, hash: u32 },
    #[error("note has no verifiable signatures")]
    Unverified,
}

/// The most signature lines read, as x/mod's `Open`.
const MAX_SIGNATURES: usize = 100;

/// Opens a signed note: checks its form and `key`'s signature, and returns the signed text
/// (ending in `\n`).
pub fn open<'a>(msg: &'a [u8], key: &VerifierKey) -> Result<&'a str, NoteError> {
    let msg = std::str::from_utf8(msg).map_err(|_| NoteError::Malformed)?;
    if msg.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed);
    }
    let split = msg.rfind("\n\n").ok_or(NoteError::Malformed)?;
    let (text, sigs) = (&msg[..=split], &msg[split + 2..]);
    if !sigs.ends_with('\n') {
        return Err(NoteError::Malformed);
    }
    let mut verified = false;
    for (count, line) in sigs[..sigs.len() - 1].split('\n').enumerate() {
        let line = line.strip_prefix("— ").ok_or(NoteError::Malformed)?;
        let (name, b64) = line.split_once(' ').unwrap_or((line, ""));
        let sig = base64::decode(b64).ok_or(NoteError::Malformed)?;
        if !is_valid_name(name) || b64.is_empty() || sig.len() < 5 {
            return Err(NoteError::Malformed);
        }
        if count >= MAX_SIGNATURES {
            return Err(NoteError::Malformed);
        }
        let hash = u32::from_be_bytes([sig[0], sig[1], sig[2], sig[3]]);
        if name != key.name() || hash != key.key_hash() || verified {
            continue;
        }
        if !key.verify(text.as_bytes(), &sig[4..]) {
            return Err(NoteError::InvalidSignature {
                name: name.to_string(),
                hash,
            });
        }
        verified = true;
    }
    if verified {
        Ok(text)
    } else {
        Err(NoteError::Unverified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // x/mod sumdb/note/note_test.go and example_test.go (golang/mod @ fe2ec04).
    const PETER_KEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const ENOCH_KEY_NAME: &str = "EnochRoot";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    fn peter() -> VerifierKey {
        VerifierKey::parse(PETER_KEY).unwrap()
    }

    #[test]
    fn x_mod_vector() {
        let msg = format!("{TEXT}\n{PETER_SIG}");
        assert_eq!(open(msg.as_bytes(), &peter()), Ok(TEXT));
        // A second, unknown signer (x/mod's doubly-signed example) is ignored.
        for msg in [
            format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}"),
            format!("{TEXT}\n{ENOCH_SIG}{PETER_SIG}"),
            format!("{TEXT}\n{PETER_SIG}{PETER_SIG}"),
        ] {
            assert_eq!(open(msg.as_bytes(), &peter()), Ok(TEXT), "{msg}");
        }
        let only_enoch = format!("{TEXT}\n{ENOCH_SIG}");
        assert_eq!(
            open(only_enoch.as_bytes(), &peter()),
            Err(NoteError::Unverified)
        );
        assert!(ENOCH_SIG.contains(ENOCH_KEY_NAME));
    }

    #[test]
    fn tampered_text_or_signature() {
        let msg = format!(
            "{}\n{PETER_SIG}",
            TEXT.replace("cryptography", "cryptographY")
        );
        assert_eq!(
            open(msg.as_bytes(), &peter()),
            Err(NoteError::InvalidSignature {
                name: "PeterNeumann".into(),
                hash: 0xc74f20a3
            })
        );
        let sig = PETER_SIG.replace("x08go/ZJ", "x08go/ZK");
        let msg = format!("{TEXT}\n{sig}");
        assert!(matches!(
            open(msg.as_bytes(), &peter()),
            Err(NoteError::InvalidSignature { .. })
        ));
        // Another key hash under the same name: not this key's signature.
        let sig = PETER_SIG.replace("x08go", "AAAAA");
        let msg = format!("{TEXT}\n{sig}");
        assert_eq!(open(msg.as_bytes(), &peter()), Err(NoteError::Unverified));
    }

    #[test]
    fn malformed_notes() {
        let bad = [
            String::new(),
            TEXT.to_string(),
            format!("{TEXT}{PETER_SIG}"),
            format!("{TEXT}\n{}", PETER_SIG.trim_end()),
            format!("{TEXT}\n{}", PETER_SIG.replace("— ", "- ")),
            format!(
                "{TEXT}\n{}",
                PETER_SIG.replace("PeterNeumann ", "Peter+Neumann ")
            ),
            format!("{TEXT}\n— PeterNeumann\n"),
            format!("{TEXT}\n— PeterNeumann AAAA\n"),
            format!("{TEXT}\n— PeterNeumann not*base64\n"),
            format!("{}\n{PETER_SIG}", TEXT.replace('\n', "\r\n")),
            format!("tab\there\n\n{PETER_SIG}"),
            format!("{TEXT}\n{PETER_SIG}\n"),
        ];
        for msg in bad {
            assert_eq!(
                open(msg.as_bytes(), &peter()),
                Err(NoteError::Malformed),
                "{msg:?}"
            );
        }
        let mut invalid_utf8 = format!("{TEXT}\n{PETER_SIG}").into_bytes();
        invalid_utf8[3] = 0xff;
        assert_eq!(open(&invalid_utf8, &peter()), Err(NoteError::Malformed));
        let many = format!("{TEXT}\n{}{PETER_SIG}", ENOCH_SIG.repeat(MAX_SIGNATURES));
        assert_eq!(open(many.as_bytes(), &peter()), Err(NoteError::Malformed));
    }
}
