//! The server's certificate: made at start by rcgen, or read from PEM
//! files.
//!
//! The generated one is a two-level chain, as a real deployment has: a
//! throwaway CA (its PEM is what `--write-ca` writes, for `curl --cacert`)
//! and an ECDSA P-256 leaf for `localhost`, `127.0.0.1` and `::1` signed by
//! it. A self-signed leaf alone would do for rustls clients, but OpenSSL
//! (curl) only trusts it as its own CA if its extensions allow that; a real
//! CA certificate avoids the question.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{Identity, TlsSetupError};

/// The names the generated certificate is valid for.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

pub(super) struct Loaded {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub ca_pem: Option<String>,
}

pub(super) fn load(identity: &Identity) -> Result<Loaded, TlsSetupError> {
    match identity {
        Identity::Generated => generate(),
        Identity::Files { cert, key } => {
            let pem_err =
                |path: &std::path::Path, e: rustls::pki_types::pem::Error| TlsSetupError::Pem {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                };
            let chain = CertificateDer::pem_file_iter(cert)
                .map_err(|e| pem_err(cert, e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| pem_err(cert, e))?;
            if chain.is_empty() {
                return Err(TlsSetupError::Pem {
                    path: cert.clone(),
                    reason: "no CERTIFICATE section".into(),
                });
            }
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_err(key, e))?;
            Ok(Loaded {
                chain,
                key,
                ca_pem: None,
            })
        }
    }
}

fn generate() -> Result<Loaded, TlsSetupError> {
    // KeyPair::generate() is ECDSA P-256 with SHA-256, the certificate
    // type the benchmark gives nginx too.
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name
        .push(DnType::CommonName, "wirelab teaching CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;

    let leaf_key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(NAMES.map(String::from).to_vec())?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = leaf.signed_by(&leaf_key, &ca)?;

    Ok(Loaded {
        chain: vec![cert.der().clone(), ca.der().clone()],
        key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
        ca_pem: Some(ca.pem()),
    })
}
