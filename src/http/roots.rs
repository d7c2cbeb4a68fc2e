//! The TLS roots go trusts, so a probe trusts exactly what go will.
//!
//! rustls-platform-verifier (reqwest's default with rustls) reads roots through
//! rustls-native-certs, which uses *only* `SSL_CERT_FILE`/`SSL_CERT_DIR` when either is set and
//! drops the system directories. Go (`crypto/x509.loadOnDiskRoots`) differs: `SSL_CERT_FILE`
//! replaces only the list of bundle files and `SSL_CERT_DIR` only the list of directories, and it
//! loads both. On macOS and Windows go uses the platform verifier unless one of the variables is
//! set. This module rebuilds go's on-disk set; `None` means "use the platform verifier".

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

/// Go's bundle files, first readable wins (`crypto/x509/root_linux.go`).
const CERT_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Go's certificate directories, every file in each is read.
const CERT_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];

/// Where go would read roots from, given `SSL_CERT_FILE` and `SSL_CERT_DIR`; `None` when go uses
/// the platform verifier (macOS and Windows without either variable).
pub fn go_root_sources(
    cert_file: Option<&str>,
    cert_dir: Option<&str>,
) -> Option<(Vec<PathBuf>, Vec<PathBuf>)> {
    let cert_file = cert_file.filter(|v| !v.is_empty());
    let cert_dir = cert_dir.filter(|v| !v.is_empty());
    let platform = cfg!(any(target_os = "macos", target_os = "ios", windows));
    if platform && cert_file.is_none() && cert_dir.is_none() {
        return None;
    }
    let files = match cert_file {
        Some(f) => vec![PathBuf::from(f)],
        None => CERT_FILES.iter().map(PathBuf::from).collect(),
    };
    let dirs = match cert_dir {
        Some(d) => std::env::split_paths(d).collect(),
        None => CERT_DIRS.iter().map(PathBuf::from).collect(),
    };
    Some((files, dirs))
}

/// The most read of one certificate file (a full CA bundle is about 200 KiB).
const MAX_CERT_FILE: u64 = 16 << 20;

/// The DER certificates go would trust from these sources, deduplicated. Only regular files
/// are read: a FIFO or device named by `SSL_CERT_FILE` is skipped, never waited on.
pub fn load(files: &[PathBuf], dirs: &[PathBuf]) -> Vec<Vec<u8>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut add = |data: &[u8]| {
        for der in pem_certificates(data) {
            if seen.insert(der.clone()) {
                out.push(der);
            }
        }
    };
    if let Some(data) = files
        .iter()
        .find_map(|f| crate::fsread::read(f, MAX_CERT_FILE).ok())
    {
        add(&data);
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if is_same_dir_symlink(&entry.path()) {
                continue;
            }
            if let Ok(data) = crate::fsread::read(&entry.path(), MAX_CERT_FILE) {
                add(&data);
            }
        }
    }
    out
}

/// Go's roots, read at the first TLS handshake and kept: as go's `crypto/x509` loads its pool
/// once, on first use, so a client that only speaks plain http (an intranet proxy, a run served
/// from memory) never reads the ~150 certificate files, and one that redirects from http to
/// https still meets the roots. Every check is webpki's ([`WebPkiServerVerifier`]); only when
/// the roots are read differs.
#[derive(Debug)]
pub struct LazyRoots {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    provider: Arc<CryptoProvider>,
    /// `None`: no root could be read (every certificate is then unknown, as in go).
    verifier: OnceLock<Option<Arc<WebPkiServerVerifier>>>,
}

impl LazyRoots {
    pub fn new(
        files: Vec<PathBuf>,
        dirs: Vec<PathBuf>,
        provider: Arc<CryptoProvider>,
    ) -> LazyRoots {
        LazyRoots {
            files,
            dirs,
            provider,
            verifier: OnceLock::new(),
        }
    }

    fn verifier(&self) -> Option<&Arc<WebPkiServerVerifier>> {
        self.verifier
            .get_or_init(|| {
                let mut store = rustls::RootCertStore::empty();
                store.add_parsable_certificates(
                    load(&self.files, &self.dirs)
                        .into_iter()
                        .map(CertificateDer::from),
                );
                WebPkiServerVerifier::builder_with_provider(
                    Arc::new(store),
                    Arc::clone(&self.provider),
                )
                .build()
                .ok()
            })
            .as_ref()
    }
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.verifier() {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Go skips symlinks whose target has no slash (the `openssl rehash` links).
fn is_same_dir_symlink(path: &Path) -> bool {
    std::fs::read_link(path).is_ok_and(|t| !t.to_string_lossy().contains('/'))
}

/// The DER bodies of every `CERTIFICATE` PEM block in `data`.
fn pem_certificates(data: &[u8]) -> Vec<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let Some(end) = body.find(END) else { break };
        if let Some(der) = pem_body(&body[..end]) {
            out.push(der);
        }
        rest = &body[end + END.len()..];
    }
    out
}

/// A PEM body's bytes as go's `encoding/pem` reads them: spaces and tabs removed, then
/// `base64.StdEncoding` (which skips CR and LF); `None` where go drops the block.
fn pem_body(s: &str) -> Option<Vec<u8>> {
    crate::goenv::base64::decode(&s.replace([' ', '\t'], ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_bodies_as_go_reads_them() {
        assert_eq!(pem_body("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(
            pem_body("\naGVs\r\n bG8h\t\n").as_deref(),
            Some(&b"hello!"[..])
        );
        assert_eq!(pem_body("a*b"), None);
        // Padding go refuses (encoding/pem then skips the block).
        assert_eq!(pem_body("aGVsbG8"), None);
    }

    #[test]
    fn sources_follow_go() {
        let (files, dirs) = go_root_sources(Some("/x/ca.pem"), None).unwrap();
        assert_eq!(files, vec![PathBuf::from("/x/ca.pem")]);
        assert_eq!(
            dirs.len(),
            CERT_DIRS.len(),
            "SSL_CERT_FILE keeps the default dirs"
        );
        let (files, dirs) = go_root_sources(Some(""), Some("/a:/b")).unwrap();
        assert_eq!(files.len(), CERT_FILES.len());
        assert_eq!(dirs, vec![PathBuf::from("/a"), PathBuf::from("/b")]);
    }

    #[test]
    fn pem_blocks_and_dedup() {
        let dir = tempfile::tempdir().unwrap();
        let pem = "junk\n-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n\
                   -----BEGIN CERTIFICATE-----\nd29ybGQ=\n-----END CERTIFICATE-----\n";
        std::fs::write(dir.path().join("a.pem"), pem).unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d/b.pem"), pem).unwrap();
        let certs = load(&[dir.path().join("a.pem")], &[dir.path().join("d")]);
        assert_eq!(certs, vec![b"hello".to_vec(), b"world".to_vec()]);
    }
}
