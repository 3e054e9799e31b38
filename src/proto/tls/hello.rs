//! The two hellos (RFC 8446 §4.1.2, §4.1.3; RFC 5246 §7.4.1) and the
//! extensions a reader of the handshake wants from them (§4.2): what the
//! client offers (versions, cipher suites, server name, ALPN list, groups,
//! NPN) and what the server chose.
//!
//! The extension block is a walk over (type, length, data) triples; every
//! extension's type is kept in order, and the ones below are read:
//! server_name (0, RFC 6066 §3), supported_groups (10, §4.2.7), ALPN (16,
//! RFC 7301 §3.1), supported_versions (43, §4.2.1), key_share (51, §4.2.8)
//! next_protocol_negotiation (13172, draft-agl-tls-nextprotoneg-04 §3), and
//! quic_transport_parameters (57, RFC 9001 §8.2), kept as bytes.

use super::ProtocolVersion;
use super::cursor::Cursor;

/// The ServerHello random that makes it a HelloRetryRequest: SHA-256 of
/// "HelloRetryRequest" (RFC 8446 §4.1.3).
pub const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Extension type numbers read here.
pub mod ext {
    /// server_name (RFC 6066 §3).
    pub const SERVER_NAME: u16 = 0;
    /// supported_groups (RFC 8446 §4.2.7).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// application_layer_protocol_negotiation (RFC 7301 §3.1).
    pub const ALPN: u16 = 16;
    /// supported_versions (RFC 8446 §4.2.1).
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// key_share (RFC 8446 §4.2.8).
    pub const KEY_SHARE: u16 = 51;
    /// next_protocol_negotiation (draft-agl-tls-nextprotoneg-04 §3; never
    /// an RFC, so never in the IANA registry's RFC column).
    pub const NPN: u16 = 13172;
    /// quic_transport_parameters (RFC 9001 §8.2): QUIC's transport
    /// parameters ride in the ClientHello and EncryptedExtensions.
    pub const QUIC_TRANSPORT_PARAMETERS: u16 = 57;
}

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

/// Which message the extensions are in: some extensions have one syntax in
/// a ClientHello and another in a ServerHello or HelloRetryRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    Client,
    Server,
    RetryRequest,
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

fn session_id(c: &mut Cursor<'_>) -> Result<Vec<u8>, HelloError> {
    let id = c.vec8("legacy_session_id")?;
    if id.len() > 32 {
        return Err(HelloError::SessionId(id.len()));
    }
    Ok(id.to_vec())
}

/// A list of u16 values filling `bytes` exactly.
fn u16s(bytes: &[u8], field: &'static str) -> Result<Vec<u16>, HelloError> {
    let mut c = Cursor::new(bytes);
    let mut out = Vec::with_capacity(bytes.len() / 2);
    while c.left() >= 2 {
        out.push(c.u16(field)?);
    }
    c.done(field)?;
    Ok(out)
}

/// Protocol names, each with a one-byte length, filling `bytes` exactly
/// (an ALPN ProtocolNameList's contents, or an NPN list).
fn names(bytes: &[u8], field: &'static str) -> Result<Vec<String>, HelloError> {
    let mut c = Cursor::new(bytes);
    let mut out = Vec::new();
    while !c.is_empty() {
        let name = c.vec8(field)?;
        if name.is_empty() {
            return Err(HelloError::EmptyProtocolName);
        }
        out.push(String::from_utf8_lossy(name).into_owned());
    }
    Ok(out)
}

fn server_name(data: &[u8]) -> Result<Option<String>, HelloError> {
    let mut c = Cursor::new(data);
    let list = c.vec16("server_name list")?;
    c.done("server_name")?;
    let mut l = Cursor::new(list);
    let mut host = None;
    while !l.is_empty() {
        let kind = l.u8("server_name type")?;
        let name = l.vec16("server_name")?;
        // 0 is host_name, the only type defined (RFC 6066 §3).
        if kind == 0 && host.is_none() {
            host = Some(String::from_utf8_lossy(name).into_owned());
        }
    }
    Ok(host)
}

fn extension(e: &mut Extensions, ty: u16, data: &[u8], from: From) -> Result<(), HelloError> {
    let mut c = Cursor::new(data);
    match (ty, from) {
        // A server's server_name is empty: it only acknowledges (RFC 6066 §3).
        (ext::SERVER_NAME, From::Client) => e.server_name = server_name(data)?,
        (ext::ALPN, From::Client | From::Server) => {
            let list = c.vec16("ALPN protocol_name_list")?;
            c.done("ALPN extension")?;
            e.alpn = Some(names(list, "ALPN protocol name")?);
        }
        (ext::SUPPORTED_VERSIONS, From::Client) => {
            let list = c.vec8("supported_versions")?;
            c.done("supported_versions")?;
            let v = u16s(list, "supported_versions")?;
            e.supported_versions = Some(v.into_iter().map(ProtocolVersion).collect());
        }
        (ext::SUPPORTED_VERSIONS, From::Server | From::RetryRequest) => {
            let v = c.u16("selected_version")?;
            c.done("supported_versions")?;
            e.supported_versions = Some(vec![ProtocolVersion(v)]);
        }
        (ext::SUPPORTED_GROUPS, From::Client) => {
            let list = c.vec16("named_group_list")?;
            c.done("supported_groups")?;
            e.supported_groups = Some(u16s(list, "named_group_list")?);
        }
        (ext::KEY_SHARE, From::Client) => {
            let list = c.vec16("client_shares")?;
            c.done("key_share")?;
            let mut l = Cursor::new(list);
            let mut groups = Vec::new();
            while !l.is_empty() {
                groups.push(l.u16("key_share group")?);
                l.vec16("key_exchange")?;
            }
            e.key_share = Some(groups);
        }
        (ext::KEY_SHARE, From::Server) => {
            let group = c.u16("key_share group")?;
            c.vec16("key_exchange")?;
            c.done("key_share")?;
            e.key_share = Some(vec![group]);
        }
        (ext::KEY_SHARE, From::RetryRequest) => {
            let group = c.u16("selected_group")?;
            c.done("key_share")?;
            e.key_share = Some(vec![group]);
        }
        // The client's is empty; the server's lists what it speaks, each
        // name with a one-byte length and no outer length
        // (draft-agl-tls-nextprotoneg-04 §3).
        (ext::NPN, _) => e.npn = Some(names(data, "NPN protocol name")?),
        (ext::QUIC_TRANSPORT_PARAMETERS, _) => e.quic_transport_parameters = Some(data.to_vec()),
        _ => {}
    }
    Ok(())
}

/// An extension block (the bytes inside its two-byte length).
fn extensions(block: &[u8], from: From) -> Result<Extensions, HelloError> {
    let mut e = Extensions::default();
    let mut c = Cursor::new(block);
    while !c.is_empty() {
        let ty = c.u16("extension type")?;
        let len = usize::from(c.u16("extension length")?);
        if len > c.left() {
            return Err(HelloError::ExtensionOverrun {
                ext: ty,
                claimed: len,
                left: c.left(),
            });
        }
        let data = c.take(len, "extension data")?;
        if e.types.contains(&ty) {
            return Err(HelloError::Duplicate(ty));
        }
        e.types.push(ty);
        extension(&mut e, ty, data, from)?;
    }
    Ok(e)
}

/// The optional extension block at the end of a hello (RFC 5246 §7.4.1.2:
/// a TLS 1.2 hello may end without one).
fn trailing_extensions(c: &mut Cursor<'_>, from: From) -> Result<Extensions, HelloError> {
    if c.is_empty() {
        return Ok(Extensions::default());
    }
    let block = c.vec16("extensions")?;
    c.done("the hello")?;
    extensions(block, from)
}

impl ClientHello {
    /// Parses a ClientHello message body (after the handshake header).
    pub fn parse(body: &[u8]) -> Result<Self, HelloError> {
        let mut c = Cursor::new(body);
        let legacy_version = ProtocolVersion(c.u16("legacy_version")?);
        let random = random(&mut c)?;
        let session_id = session_id(&mut c)?;
        let cipher_suites = u16s(c.vec16("cipher_suites")?, "cipher_suites")?;
        let compression = c.vec8("legacy_compression_methods")?.to_vec();
        let extensions = trailing_extensions(&mut c, From::Client)?;
        Ok(ClientHello {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression,
            extensions,
        })
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

impl ServerHello {
    /// Parses a ServerHello message body (after the handshake header).
    pub fn parse(body: &[u8]) -> Result<Self, HelloError> {
        let mut c = Cursor::new(body);
        let legacy_version = ProtocolVersion(c.u16("legacy_version")?);
        let random = random(&mut c)?;
        let session_id = session_id(&mut c)?;
        let cipher_suite = c.u16("cipher_suite")?;
        let compression = c.u8("legacy_compression_method")?;
        let retry_request = random == HELLO_RETRY_RANDOM;
        let from = if retry_request {
            From::RetryRequest
        } else {
            From::Server
        };
        let extensions = trailing_extensions(&mut c, from)?;
        Ok(ServerHello {
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
    extensions(block, From::Server)
}
