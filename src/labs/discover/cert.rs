//! The origin's certificate. The server's generated one names `localhost`;
//! a client that asks for `https://wirelab.test/` checks the certificate
//! against that name (RFC 9110 §4.3.4), and RFC 7838 §2.1 asks the same of
//! an alternative service: it must be authoritative for the origin. So
//! the lab makes its own throwaway CA and a leaf for the origin's name,
//! and hands both to the server as PEM files.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// The files written.
#[derive(Clone, Debug)]
pub struct OriginCert {
    /// The chain the server presents, leaf first.
    pub chain: PathBuf,
    /// The leaf's private key (PKCS#8).
    pub key: PathBuf,
    /// The CA the clients trust.
    pub ca: PathBuf,
    /// The CA, as PEM text.
    pub ca_pem: String,
}

/// Why the certificate could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// rcgen refused.
    #[error("cannot make the origin's certificate: {0}")]
    Make(#[from] rcgen::Error),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A CA and a leaf for `host`, written into `dir`.
///
/// # Errors
///
/// [`CertError`].
pub fn make(dir: &Path, host: &str) -> Result<OriginCert, CertError> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name
        .push(DnType::CommonName, "wirelab discovery lab CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
    let leaf_key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(vec![host.to_string()])?;
    leaf.distinguished_name.push(DnType::CommonName, host);
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = leaf.signed_by(&leaf_key, &ca)?;
    let files = OriginCert {
        chain: dir.join("origin-chain.pem"),
        key: dir.join("origin-key.pem"),
        ca: dir.join("ca.pem"),
        ca_pem: ca.pem(),
    };
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|source| CertError::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    write(&files.chain, format!("{}{}", cert.pem(), ca.pem()))?;
    write(&files.key, leaf_key.serialize_pem())?;
    write(&files.ca, files.ca_pem.clone())?;
    Ok(files)
}
