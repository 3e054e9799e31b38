//! TLS for the teaching server: what the user chooses ([`TlsSettings`]),
//! turned once at start into rustls's `ServerConfig` (certificate, ALPN
//! list, versions, key log), and the handshake that ALPN decides
//! ([`handshake`]).
//!
//! ALPN (RFC 7301) lets the server pick the application protocol inside the
//! handshake: `h2` runs the HTTP/2 code, `http/1.1` (or no ALPN at all) the
//! HTTP/1.x code, with the same read modes. `h2c` is the cleartext token and
//! is never offered or accepted over TLS (RFC 9113 §3.2).

pub(super) mod handshake;
mod identity;
pub(crate) mod keylog;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use rustls::ServerConfig;

use super::Http2;

/// Where TLS is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsListen {
    /// On the server's address, instead of cleartext (`--tls`).
    Only,
    /// On a second address beside the cleartext one (`--tls-port`).
    Beside(SocketAddr),
}

/// An application protocol the server can serve over TLS, by its ALPN
/// token (RFC 7301 §6 registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Alpn {
    /// HTTP/2 over TLS (RFC 9113 §3.2).
    #[serde(rename = "h2")]
    H2,
    /// HTTP/1.1 (RFC 9112).
    #[serde(rename = "http/1.1")]
    Http11,
}

impl Alpn {
    /// The token on the wire.
    pub fn token(self) -> &'static [u8] {
        match self {
            Alpn::H2 => b"h2",
            Alpn::Http11 => b"http/1.1",
        }
    }

    fn from_token(token: &[u8]) -> Option<Alpn> {
        [Alpn::H2, Alpn::Http11]
            .into_iter()
            .find(|a| a.token() == token)
    }
}

impl fmt::Display for Alpn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Alpn::H2 => "h2",
            Alpn::Http11 => "http/1.1",
        })
    }
}

/// A token `--alpn` cannot serve.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AlpnError {
    /// The cleartext HTTP/2 token.
    #[error("h2c is never used over TLS (RFC 9113 §3.2): use h2")]
    H2c,
    /// Anything else.
    #[error("`{0}` is not a protocol this server speaks: use h2 or http/1.1")]
    Unknown(String),
}

impl FromStr for Alpn {
    type Err = AlpnError;
    fn from_str(s: &str) -> Result<Alpn, AlpnError> {
        match s {
            "h2" => Ok(Alpn::H2),
            "http/1.1" => Ok(Alpn::Http11),
            "h2c" => Err(AlpnError::H2c),
            other => Err(AlpnError::Unknown(other.to_string())),
        }
    }
}

/// The TLS versions accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsVersions {
    /// TLS 1.2 only: the chosen ALPN goes in the clear ServerHello.
    Tls12,
    /// TLS 1.3 only: the chosen ALPN goes in EncryptedExtensions.
    Tls13,
    /// Both; the client's highest wins.
    Both,
}

impl fmt::Display for TlsVersions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsVersions::Tls12 => "1.2",
            TlsVersions::Tls13 => "1.3",
            TlsVersions::Both => "1.2,1.3",
        })
    }
}

/// The certificate the server presents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// Made at start: a throwaway CA and an ECDSA P-256 leaf for
    /// `localhost`, `127.0.0.1` and `::1`, signed by it. The CA's PEM is
    /// [`ServerHandle::ca_pem`](super::ServerHandle::ca_pem), for clients'
    /// trust stores (`curl --cacert`).
    Generated,
    /// PEM files: the chain (leaf first) and its private key.
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key (PKCS#8, SEC1 or PKCS#1).
        key: PathBuf,
    },
}

/// Everything TLS, as chosen by the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    /// Which port serves TLS.
    pub listen: TlsListen,
    /// The certificate.
    pub identity: Identity,
    /// ALPN protocols offered, in the server's order of preference; `h2`
    /// is left out when HTTP/2 is off.
    pub alpn: Vec<Alpn>,
    /// Versions accepted.
    pub versions: TlsVersions,
    /// Append the NSS key log (the format Wireshark and tshark read) here.
    pub keylog: Option<PathBuf>,
    /// Our close sends close_notify (RFC 8446 §6.1); off, it is a bare
    /// FIN: the truncation a client must notice.
    pub close_notify: bool,
    /// `Alt-Svc` on every HTTP/1.1 and HTTP/2 response of this listener
    /// (RFC 7838 §3), such as `h3=":8443"; ma=86400`. None by default: a
    /// server must not advertise an alternative it does not serve.
    pub alt_svc: Option<crate::http::AltSvc>,
    /// Write the generated CA's PEM here (nothing with the user's own
    /// certificate). Written while the configuration is built, before any
    /// port listens: a client that can connect can also read the file,
    /// which a script waiting on the port relies on.
    pub write_ca: Option<PathBuf>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            listen: TlsListen::Only,
            identity: Identity::Generated,
            alpn: vec![Alpn::H2, Alpn::Http11],
            versions: TlsVersions::Both,
            keylog: None,
            close_notify: true,
            alt_svc: None,
            write_ca: None,
        }
    }
}

impl TlsSettings {
    /// The ALPN list actually offered: without `h2` when HTTP/2 is off.
    pub fn offered(&self, http2: Http2) -> Vec<Alpn> {
        self.alpn
            .iter()
            .copied()
            .filter(|a| *a != Alpn::H2 || http2 != Http2::Off)
            .collect()
    }
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// rcgen failed to make the certificate.
    #[error("cannot make a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A PEM file could not be read or held nothing usable.
    #[error("cannot read {path}: {reason}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused the configuration (a key that does not match the
    /// certificate, for instance).
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
    /// The key log file cannot be opened.
    #[error("cannot open key log {path}: {source}")]
    Keylog {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The generated CA cannot be written where `write_ca` says.
    #[error("cannot write the CA to {path}: {source}")]
    WriteCa {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// rustls's configuration and what the user may need from it.
pub(super) struct Built {
    pub config: Arc<ServerConfig>,
    /// The configuration of the HTTP/3 endpoint's TLS, when asked for:
    /// the same certificate and key log, TLS 1.3 only (RFC 9001 §4.2) and
    /// ALPN `h3` alone (RFC 9114 §3.1).
    pub quic: Option<Arc<ServerConfig>>,
    /// The generated CA, PEM-encoded.
    pub ca_pem: Option<String>,
    /// The ALPN list offered.
    pub alpn: Vec<Alpn>,
}

/// The ALPN token of HTTP/3 (RFC 9114 §3.1).
pub(super) const H3_ALPN: &[u8] = b"h3";

/// Builds rustls's configuration (once, at start), and the HTTP/3
/// endpoint's too when `quic` is set.
pub(super) fn build(
    settings: &TlsSettings,
    http2: Http2,
    quic: bool,
) -> Result<Built, TlsSetupError> {
    let identity = identity::load(&settings.identity)?;
    if let (Some(path), Some(pem)) = (&settings.write_ca, &identity.ca_pem) {
        std::fs::write(path, pem).map_err(|source| TlsSetupError::WriteCa {
            path: path.clone(),
            source,
        })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key_log: Option<Arc<dyn rustls::KeyLog>> = match &settings.keylog {
        Some(path) => Some(Arc::new(keylog::NssKeyLog::open(path).map_err(
            |source| TlsSetupError::Keylog {
                path: path.clone(),
                source,
            },
        )?)),
        None => None,
    };
    let quic = if quic {
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_no_client_auth()
            .with_single_cert(identity.chain.clone(), identity.key.clone_key())?;
        config.alpn_protocols = vec![H3_ALPN.to_vec()];
        // QUIC's handshake and 1-RTT secrets go to the same file, with
        // the same labels, so tshark and the analyzer open them too.
        if let Some(log) = &key_log {
            config.key_log = log.clone();
        }
        Some(Arc::new(config))
    } else {
        None
    };
    let versions: &[&'static rustls::SupportedProtocolVersion] = match settings.versions {
        TlsVersions::Tls12 => &[&rustls::version::TLS12],
        TlsVersions::Tls13 => &[&rustls::version::TLS13],
        TlsVersions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)?;
    let alpn = settings.offered(http2);
    config.alpn_protocols = alpn.iter().map(|a| a.token().to_vec()).collect();
    if let Some(log) = key_log {
        config.key_log = log;
    }
    Ok(Built {
        config: Arc::new(config),
        quic,
        ca_pem: identity.ca_pem,
        alpn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h2c_is_refused_as_an_alpn_token_with_the_rfc_named() {
        assert_eq!("h2c".parse::<Alpn>(), Err(AlpnError::H2c));
        assert!(AlpnError::H2c.to_string().contains("RFC 9113 §3.2"));
        assert_eq!("http/1.1".parse::<Alpn>(), Ok(Alpn::Http11));
        assert!(matches!(
            "spdy/3".parse::<Alpn>(),
            Err(AlpnError::Unknown(_))
        ));
    }

    #[test]
    fn http2_off_takes_h2_out_of_the_offer() {
        let s = TlsSettings::default();
        assert_eq!(s.offered(Http2::Both), vec![Alpn::H2, Alpn::Http11]);
        assert_eq!(s.offered(Http2::Off), vec![Alpn::Http11]);
        assert_eq!(Alpn::from_token(b"h2"), Some(Alpn::H2));
        assert_eq!(Alpn::from_token(b"h2c"), None);
    }

    #[test]
    fn the_generated_identity_builds_a_config_with_the_alpn_order_kept() {
        let s = TlsSettings {
            alpn: vec![Alpn::Http11, Alpn::H2],
            ..TlsSettings::default()
        };
        let built = build(&s, Http2::Both, false).unwrap();
        assert_eq!(
            built.config.alpn_protocols,
            vec![b"http/1.1".to_vec(), b"h2".to_vec()]
        );
        assert!(
            built
                .ca_pem
                .unwrap()
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
    }
}
