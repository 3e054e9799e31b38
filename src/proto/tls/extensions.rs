//! An extension block (RFC 8446 §4.2) read in place: one walk over its
//! (type, length, data) triples checks every length and the syntax of the
//! extensions read here, and keeps a slice of each. Nothing is allocated
//! and nothing is copied: a passive reader meets one ClientHello per
//! connection and reports a handful of its fields, so the owned
//! [`Extensions`](super::hello::Extensions) are made only when asked for.
//!
//! Read: server_name (0, RFC 6066 §3), supported_groups (10, §4.2.7), ALPN
//! (16, RFC 7301 §3.1), supported_versions (43, §4.2.1), key_share (51,
//! §4.2.8), next_protocol_negotiation (13172, draft-agl-tls-nextprotoneg-04
//! §3) and quic_transport_parameters (57, RFC 9001 §8.2), kept as bytes.

use super::cursor::Cursor;
use super::hello::HelloError;

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

/// Which message the extensions are in: some extensions have one syntax in
/// a ClientHello and another in a ServerHello or HelloRetryRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HelloKind {
    Client,
    Server,
    RetryRequest,
}

/// An extension block whose syntax was checked, with a slice of each
/// extension read here.
#[derive(Debug, Clone, Copy)]
pub struct ExtensionsView<'a> {
    block: &'a [u8],
    from: HelloKind,
    /// The first `host_name` of server_name.
    server_name: Option<&'a [u8]>,
    /// A ProtocolNameList's contents.
    alpn: Option<&'a [u8]>,
    /// The client's version list, or the server's two bytes.
    supported_versions: Option<&'a [u8]>,
    supported_groups: Option<&'a [u8]>,
    /// The client's `client_shares`, or the server's group (two bytes).
    key_share: Option<&'a [u8]>,
    /// The NPN names (no outer length).
    npn: Option<&'a [u8]>,
    quic_transport_parameters: Option<&'a [u8]>,
}

impl<'a> ExtensionsView<'a> {
    /// No extension block (RFC 5246 §7.4.1.2: a TLS 1.2 hello may end
    /// without one).
    pub(super) fn none(from: HelloKind) -> Self {
        ExtensionsView {
            block: &[],
            from,
            server_name: None,
            alpn: None,
            supported_versions: None,
            supported_groups: None,
            key_share: None,
            npn: None,
            quic_transport_parameters: None,
        }
    }

    /// The bytes inside an extension block's two-byte length.
    pub(super) fn parse(block: &'a [u8], from: HelloKind) -> Result<Self, HelloError> {
        let mut v = ExtensionsView {
            block,
            ..ExtensionsView::none(from)
        };
        // RFC 8446 §4.2 allows one extension of each type. A 64-bit filter
        // of the types seen answers "new" for almost every one; only a hit
        // looks back over the block.
        let mut seen = 0u64;
        let mut rest = block;
        while !rest.is_empty() {
            let at = block.len() - rest.len();
            // The four header bytes read where they lie (this loop runs
            // for every extension of every hello).
            let [t0, t1, l0, l1, tail @ ..] = rest else {
                return Err(short_header(rest.len()));
            };
            let ty = u16::from_be_bytes([*t0, *t1]);
            let len = usize::from(u16::from_be_bytes([*l0, *l1]));
            let Some((data, after)) = tail.split_at_checked(len) else {
                return Err(HelloError::ExtensionOverrun {
                    ext: ty,
                    claimed: len,
                    left: tail.len(),
                });
            };
            rest = after;
            let bit = 1u64 << ((u32::from(ty).wrapping_mul(0x9e37_79b1)) >> 26);
            if seen & bit != 0 && types(&block[..at]).any(|t| t == ty) {
                return Err(HelloError::Duplicate(ty));
            }
            seen |= bit;
            v.read(ty, data)?;
        }
        Ok(v)
    }

    fn read(&mut self, ty: u16, data: &'a [u8]) -> Result<(), HelloError> {
        let mut c = Cursor::new(data);
        match (ty, self.from) {
            // A server's server_name is empty: it only acknowledges (RFC
            // 6066 §3).
            (ext::SERVER_NAME, HelloKind::Client) => self.server_name = host_name(data)?,
            (ext::ALPN, HelloKind::Client | HelloKind::Server) => {
                let list = c.vec16("ALPN protocol_name_list")?;
                c.done("ALPN extension")?;
                check_names(list, "ALPN protocol name")?;
                self.alpn = Some(list);
            }
            (ext::SUPPORTED_VERSIONS, HelloKind::Client) => {
                let list = c.vec8("supported_versions")?;
                c.done("supported_versions")?;
                check_u16s(list, "supported_versions")?;
                self.supported_versions = Some(list);
            }
            (ext::SUPPORTED_VERSIONS, HelloKind::Server | HelloKind::RetryRequest) => {
                c.u16("selected_version")?;
                c.done("supported_versions")?;
                self.supported_versions = Some(data);
            }
            (ext::SUPPORTED_GROUPS, HelloKind::Client) => {
                let list = c.vec16("named_group_list")?;
                c.done("supported_groups")?;
                check_u16s(list, "named_group_list")?;
                self.supported_groups = Some(list);
            }
            (ext::KEY_SHARE, HelloKind::Client) => {
                let list = c.vec16("client_shares")?;
                c.done("key_share")?;
                let mut l = Cursor::new(list);
                while !l.is_empty() {
                    l.u16("key_share group")?;
                    l.vec16("key_exchange")?;
                }
                self.key_share = Some(list);
            }
            (ext::KEY_SHARE, HelloKind::Server) => {
                c.u16("key_share group")?;
                c.vec16("key_exchange")?;
                c.done("key_share")?;
                self.key_share = Some(&data[..2]);
            }
            (ext::KEY_SHARE, HelloKind::RetryRequest) => {
                c.u16("selected_group")?;
                c.done("key_share")?;
                self.key_share = Some(data);
            }
            // The client's is empty; the server's lists what it speaks,
            // each name with a one-byte length and no outer length
            // (draft-agl-tls-nextprotoneg-04 §3).
            (ext::NPN, _) => {
                check_names(data, "NPN protocol name")?;
                self.npn = Some(data);
            }
            (ext::QUIC_TRANSPORT_PARAMETERS, _) => self.quic_transport_parameters = Some(data),
            _ => {}
        }
        Ok(())
    }

    /// Every extension's type, in the order sent.
    pub fn types(&self) -> impl Iterator<Item = u16> + 'a {
        types(self.block)
    }

    /// The `host_name` of server_name (RFC 6066 §3), as sent.
    pub fn server_name(&self) -> Option<&'a [u8]> {
        self.server_name
    }

    /// ALPN protocol names in order (the client's preference order; a
    /// server's has exactly one).
    pub fn alpn(&self) -> Option<Names<'a>> {
        self.alpn.map(Names)
    }

    /// NPN: no names from a client (it only says it speaks NPN); the
    /// server's advertised list.
    pub fn npn(&self) -> Option<Names<'a>> {
        self.npn.map(Names)
    }

    /// supported_versions: the client's list, or the server's one choice.
    pub fn supported_versions(&self) -> Option<U16s<'a>> {
        self.supported_versions.map(U16s)
    }

    /// supported_groups (client).
    pub fn supported_groups(&self) -> Option<U16s<'a>> {
        self.supported_groups.map(U16s)
    }

    /// key_share: the groups of the client's shares, the server's group,
    /// or a HelloRetryRequest's selected group.
    pub fn key_share_groups(&self) -> Option<KeyShareGroups<'a>> {
        self.key_share.map(|bytes| KeyShareGroups {
            bytes,
            shares: self.from == HelloKind::Client,
        })
    }

    /// quic_transport_parameters, as sent (QUIC's syntax, RFC 9000 §18).
    pub fn quic_transport_parameters(&self) -> Option<&'a [u8]> {
        self.quic_transport_parameters
    }
}

/// An extension header cut short after `left` bytes: the field that ran
/// out, as a cursor reading it would say.
fn short_header(left: usize) -> HelloError {
    let (field, left) = if left < 2 {
        ("extension type", left)
    } else {
        ("extension length", left - 2)
    };
    HelloError::Truncated {
        field,
        needed: 2,
        left,
    }
}

/// The types of a block already walked once.
fn types(block: &[u8]) -> impl Iterator<Item = u16> + '_ {
    let mut rest = block;
    std::iter::from_fn(move || {
        let [a, b, l0, l1, tail @ ..] = rest else {
            return None;
        };
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        rest = tail.get(len..).unwrap_or_default();
        Some(u16::from_be_bytes([*a, *b]))
    })
}

fn host_name(data: &[u8]) -> Result<Option<&[u8]>, HelloError> {
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
            host = Some(name);
        }
    }
    Ok(host)
}

/// A list of u16 values must fill its bytes exactly.
pub(super) fn check_u16s(bytes: &[u8], field: &'static str) -> Result<(), HelloError> {
    match bytes.len() % 2 {
        0 => Ok(()),
        extra => Err(HelloError::Trailing { field, extra }),
    }
}

/// Protocol names, each with a one-byte length, filling `bytes` exactly,
/// none empty (RFC 7301 §3.1).
fn check_names(bytes: &[u8], field: &'static str) -> Result<(), HelloError> {
    let mut c = Cursor::new(bytes);
    while !c.is_empty() {
        if c.vec8(field)?.is_empty() {
            return Err(HelloError::EmptyProtocolName);
        }
    }
    Ok(())
}

/// Protocol names, each with a one-byte length (an ALPN
/// ProtocolNameList's contents, or an NPN list): each as sent. Over bytes
/// that were not checked it still ends, with a short last name.
#[derive(Debug, Clone)]
pub struct Names<'a>(&'a [u8]);

impl<'a> Names<'a> {
    /// The names in `list`.
    pub fn new(list: &'a [u8]) -> Self {
        Names(list)
    }

    /// The bytes not yet read.
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }
}

impl<'a> Iterator for Names<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&n, rest) = self.0.split_first()?;
        let (name, rest) = rest.split_at_checked(usize::from(n)).unwrap_or((rest, &[]));
        self.0 = rest;
        Some(name)
    }
}

/// Big-endian u16 values, one after another (an odd last byte is left
/// out).
#[derive(Debug, Clone)]
pub struct U16s<'a>(&'a [u8]);

impl<'a> U16s<'a> {
    /// The values in `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        U16s(bytes)
    }

    /// The bytes not yet read.
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }
}

impl Iterator for U16s<'_> {
    type Item = u16;
    fn next(&mut self) -> Option<u16> {
        let [a, b, rest @ ..] = self.0 else {
            return None;
        };
        self.0 = rest;
        Some(u16::from_be_bytes([*a, *b]))
    }
}

/// The groups of a key_share already checked: each client share's, or
/// the server's one.
#[derive(Debug, Clone)]
pub struct KeyShareGroups<'a> {
    bytes: &'a [u8],
    /// The client's `client_shares` (group, key_exchange), rather than
    /// one group.
    shares: bool,
}

impl Iterator for KeyShareGroups<'_> {
    type Item = u16;
    fn next(&mut self) -> Option<u16> {
        let [a, b, rest @ ..] = self.bytes else {
            return None;
        };
        self.bytes = match (self.shares, rest) {
            (true, [l0, l1, tail @ ..]) => tail
                .get(usize::from(u16::from_be_bytes([*l0, *l1]))..)
                .unwrap_or_default(),
            _ => &[],
        };
        Some(u16::from_be_bytes([*a, *b]))
    }
}
