//! The two hellos (RFC 8446 §4.1.2, §4.1.3; RFC 5246 §7.4.1) and what a
//! reader of the handshake wants from their extensions (§4.2): what the
//! client offers (versions, cipher suites, server name, ALPN list, groups,
//! NPN) and what the server chose.
//!
//! Each hello is read in place first ([`ClientHelloView`],
//! [`ServerHelloView`]: every length checked, slices kept, nothing
//! allocated; the extension block by [`super::extensions`]); the owned
//! [`ClientHello`] and [`ServerHello`] are made from a view, so both say
//! the same of the same bytes, errors included.

use super::ProtocolVersion;
use super::cursor::Cursor;
pub use super::extensions::ext;
use super::extensions::{ExtensionsView, HelloKind, check_u16s};

/// The ServerHello random that makes it a HelloRetryRequest: SHA-256 of
/// "HelloRetryRequest" (RFC 8446 §4.1.3).
pub const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A hello that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelloError {
    /// A field runs past the message.
    #[error("{field} needs {needed} bytes, {left} left")]
    Truncated {
        /// Which field.
        field: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes there were.
        left: usize,
    },
    /// A vector's declared length leaves bytes its contents do not use.
    #[error("{extra} bytes left over in {field}")]
    Trailing {
        /// Which field.
        field: &'static str,
        /// The bytes left over.
        extra: usize,
    },
    /// An extension's length runs past the extension block.
    #[error("extension {ext} claims {claimed} bytes, {left} left in the extension block")]
    ExtensionOverrun {
        /// Its type.
        ext: u16,
        /// The length it claims.
        claimed: usize,
        /// Bytes left in the block.
        left: usize,
    },
    /// RFC 8446 §4.2: at most one extension of each type.
    #[error("extension {0} appears twice")]
    Duplicate(u16),
    /// RFC 7301 §3.1: protocol names are one byte or more.
    #[error("an empty ALPN protocol name")]
    EmptyProtocolName,
    /// RFC 8446 §4.1.2: a session id is at most 32 bytes.
    #[error("a session id of {0} bytes (at most 32)")]
    SessionId(usize),
}

/// What the extensions of one hello said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// Every extension's type, in the order sent.
    pub types: Vec<u16>,
    /// The `host_name` of server_name.
    pub server_name: Option<String>,
    /// ALPN protocol names in order (the client's preference order; a
    /// server's has exactly one).
    pub alpn: Option<Vec<String>>,
    /// supported_versions: the client's list, or the server's one choice.
    pub supported_versions: Option<Vec<ProtocolVersion>>,
    /// supported_groups (client).
    pub supported_groups: Option<Vec<u16>>,
    /// key_share: the groups of the client's shares, the server's group,
    /// or a HelloRetryRequest's selected group.
    pub key_share: Option<Vec<u16>>,
    /// NPN: empty from a client (it only says it speaks NPN); the server's
    /// advertised list.
    pub npn: Option<Vec<String>>,
    /// quic_transport_parameters, as sent: their syntax is QUIC's (RFC
    /// 9000 §18), read by `proto::quic`.
    pub quic_transport_parameters: Option<Vec<u8>>,
}

/// A ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` (0x0303 from a TLS 1.3 client, §4.1.2).
    pub legacy_version: ProtocolVersion,
    /// The client random (what an NSS key log line is keyed by).
    pub random: [u8; 32],
    /// `legacy_session_id`.
    pub session_id: Vec<u8>,
    /// Cipher suites in the client's order of preference.
    pub cipher_suites: Vec<u16>,
    /// Compression methods (only `null`, 0, in any current client).
    pub compression: Vec<u8>,
    /// The extensions.
    pub extensions: Extensions,
}

/// A ServerHello (or a HelloRetryRequest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// `legacy_version` (0x0303 from a TLS 1.3 server).
    pub legacy_version: ProtocolVersion,
    /// The server random.
    pub random: [u8; 32],
    /// `legacy_session_id_echo`.
    pub session_id: Vec<u8>,
    /// The cipher suite chosen.
    pub cipher_suite: u16,
    /// The compression method chosen.
    pub compression: u8,
    /// The extensions.
    pub extensions: Extensions,
    /// It is a HelloRetryRequest (its random is [`HELLO_RETRY_RANDOM`]).
    pub retry_request: bool,
}

fn random(c: &mut Cursor<'_>) -> Result<[u8; 32], HelloError> {
    let mut r = [0; 32];
    r.copy_from_slice(c.take(32, "random")?);
    Ok(r)
}

fn session_id<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8], HelloError> {
    let id = c.vec8("legacy_session_id")?;
    if id.len() > 32 {
        return Err(HelloError::SessionId(id.len()));
    }
    Ok(id)
}

/// The optional extension block at the end of a hello (RFC 5246 §7.4.1.2:
/// a TLS 1.2 hello may end without one).
fn trailing_extensions<'a>(
    c: &mut Cursor<'a>,
    from: HelloKind,
) -> Result<ExtensionsView<'a>, HelloError> {
    if c.is_empty() {
        return Ok(ExtensionsView::none(from));
    }
    let block = c.vec16("extensions")?;
    c.done("the hello")?;
    ExtensionsView::parse(block, from)
}

fn lossy(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

impl From<ExtensionsView<'_>> for Extensions {
    fn from(v: ExtensionsView<'_>) -> Self {
        Extensions {
            types: v.types().collect(),
            server_name: v.server_name().map(lossy),
            alpn: v.alpn().map(|n| n.map(lossy).collect()),
            supported_versions: v
                .supported_versions()
                .map(|l| l.map(ProtocolVersion).collect()),
            supported_groups: v.supported_groups().map(Iterator::collect),
            key_share: v.key_share_groups().map(Iterator::collect),
            npn: v.npn().map(|n| n.map(lossy).collect()),
            quic_transport_parameters: v.quic_transport_parameters().map(<[u8]>::to_vec),
        }
    }
}

/// A ClientHello read in place.
#[derive(Debug, Clone, Copy)]
pub struct ClientHelloView<'a> {
    /// `legacy_version` (0x0303 from a TLS 1.3 client, §4.1.2).
    pub legacy_version: ProtocolVersion,
    /// The client random (what an NSS key log line is keyed by).
    pub random: [u8; 32],
    /// `legacy_session_id`.
    pub session_id: &'a [u8],
    /// The cipher suites' bytes (an even count, checked).
    cipher_suites: &'a [u8],
    /// Compression methods.
    pub compression: &'a [u8],
    /// The extensions.
    pub extensions: ExtensionsView<'a>,
}

impl<'a> ClientHelloView<'a> {
    /// Reads a ClientHello message body (after the handshake header).
    pub fn parse(body: &'a [u8]) -> Result<Self, HelloError> {
        let mut c = Cursor::new(body);
        let legacy_version = ProtocolVersion(c.u16("legacy_version")?);
        let random = random(&mut c)?;
        let session_id = session_id(&mut c)?;
        let cipher_suites = c.vec16("cipher_suites")?;
        check_u16s(cipher_suites, "cipher_suites")?;
        let compression = c.vec8("legacy_compression_methods")?;
        let extensions = trailing_extensions(&mut c, HelloKind::Client)?;
        Ok(ClientHelloView {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression,
            extensions,
        })
    }

    /// Cipher suites in the client's order of preference.
    pub fn cipher_suites(&self) -> impl Iterator<Item = u16> + 'a {
        self.cipher_suites
            .chunks_exact(2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]))
    }

    /// The versions the client offers, best first as sent: its
    /// supported_versions without GREASE values, or else its
    /// legacy_version alone (a client before TLS 1.3).
    pub fn versions_offered(&self) -> Vec<ProtocolVersion> {
        match self.extensions.supported_versions() {
            Some(v) => v.map(ProtocolVersion).filter(|v| !v.is_grease()).collect(),
            None => vec![self.legacy_version],
        }
    }
}

impl From<ClientHelloView<'_>> for ClientHello {
    fn from(v: ClientHelloView<'_>) -> Self {
        ClientHello {
            legacy_version: v.legacy_version,
            random: v.random,
            session_id: v.session_id.to_vec(),
            cipher_suites: v.cipher_suites().collect(),
            compression: v.compression.to_vec(),
            extensions: v.extensions.into(),
        }
    }
}

impl ClientHello {
    /// Parses a ClientHello message body (after the handshake header).
    pub fn parse(body: &[u8]) -> Result<Self, HelloError> {
        ClientHelloView::parse(body).map(ClientHello::from)
    }

    /// The versions the client offers, best first as sent: its
    /// supported_versions without GREASE values, or else its
    /// legacy_version alone (a client before TLS 1.3).
    pub fn versions_offered(&self) -> Vec<ProtocolVersion> {
        match &self.extensions.supported_versions {
            Some(v) => v.iter().copied().filter(|v| !v.is_grease()).collect(),
            None => vec![self.legacy_version],
        }
    }
}

/// A ServerHello (or a HelloRetryRequest) read in place.
#[derive(Debug, Clone, Copy)]
pub struct ServerHelloView<'a> {
    /// `legacy_version` (0x0303 from a TLS 1.3 server).
    pub legacy_version: ProtocolVersion,
    /// The server random.
    pub random: [u8; 32],
    /// `legacy_session_id_echo`.
    pub session_id: &'a [u8],
    /// The cipher suite chosen.
    pub cipher_suite: u16,
    /// The compression method chosen.
    pub compression: u8,
    /// The extensions.
    pub extensions: ExtensionsView<'a>,
    /// It is a HelloRetryRequest (its random is [`HELLO_RETRY_RANDOM`]).
    pub retry_request: bool,
}

impl<'a> ServerHelloView<'a> {
    /// Reads a ServerHello message body (after the handshake header).
    pub fn parse(body: &'a [u8]) -> Result<Self, HelloError> {
        let mut c = Cursor::new(body);
        let legacy_version = ProtocolVersion(c.u16("legacy_version")?);
        let random = random(&mut c)?;
        let session_id = session_id(&mut c)?;
        let cipher_suite = c.u16("cipher_suite")?;
        let compression = c.u8("legacy_compression_method")?;
        let retry_request = random == HELLO_RETRY_RANDOM;
        let from = if retry_request {
            HelloKind::RetryRequest
        } else {
            HelloKind::Server
        };
        let extensions = trailing_extensions(&mut c, from)?;
        Ok(ServerHelloView {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression,
            extensions,
            retry_request,
        })
    }

    /// The version chosen: supported_versions when present (TLS 1.3,
    /// RFC 8446 §4.2.1), else legacy_version.
    pub fn version(&self) -> ProtocolVersion {
        match self.extensions.supported_versions() {
            Some(mut v) => ProtocolVersion(v.next().unwrap_or(self.legacy_version.0)),
            None => self.legacy_version,
        }
    }
}

impl From<ServerHelloView<'_>> for ServerHello {
    fn from(v: ServerHelloView<'_>) -> Self {
        ServerHello {
            legacy_version: v.legacy_version,
            random: v.random,
            session_id: v.session_id.to_vec(),
            cipher_suite: v.cipher_suite,
            compression: v.compression,
            extensions: v.extensions.into(),
            retry_request: v.retry_request,
        }
    }
}

impl ServerHello {
    /// Parses a ServerHello message body (after the handshake header).
    pub fn parse(body: &[u8]) -> Result<Self, HelloError> {
        ServerHelloView::parse(body).map(ServerHello::from)
    }

    /// The version chosen: supported_versions when present (TLS 1.3,
    /// RFC 8446 §4.2.1), else legacy_version.
    pub fn version(&self) -> ProtocolVersion {
        match self.extensions.supported_versions.as_deref() {
            Some([v]) => *v,
            _ => self.legacy_version,
        }
    }
}

/// The extensions of an EncryptedExtensions message (RFC 8446 §4.3.1):
/// the server's answers that need no key exchange, sent under the
/// handshake keys; ALPN's choice among them.
///
/// # Errors
///
/// A block that does not parse, as for a ServerHello's.
pub fn encrypted_extensions(body: &[u8]) -> Result<Extensions, HelloError> {
    let mut c = Cursor::new(body);
    let block = c.vec16("extensions")?;
    c.done("EncryptedExtensions")?;
    ExtensionsView::parse(block, HelloKind::Server).map(Extensions::from)
}
