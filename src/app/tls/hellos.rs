//! What the report keeps of the two hellos, taken from them in place when
//! they come: the handful of fields it prints, not the hellos themselves
//! (an owned ClientHello is a dozen allocations for cipher suites, groups
//! and extension types nobody reads here; keeping its bytes to read again
//! later is a copy and a second walk).

use crate::proto::tls::extensions::{Names, U16s};
use crate::proto::tls::{ClientHelloView, ProtocolVersion, ServerHelloView};

use super::report::AlpnChosen;

fn lossy(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// What the (first) ClientHello offered: the bytes of the three fields
/// the report prints, copied into one buffer (one allocation where the
/// strings and lists would be five) and made into strings only by the
/// report.
#[derive(Debug, Clone)]
pub(super) struct Offer {
    /// supported_versions' list (or legacy_version's two bytes),
    /// server_name's host_name and ALPN's protocol list, as sent, one
    /// after another.
    bytes: Box<[u8]>,
    /// Where each of the three ends in `bytes`.
    ends: [usize; 3],
    /// The versions are supported_versions' list, whose GREASE values
    /// (RFC 8701) are left out, rather than legacy_version.
    listed: bool,
    /// server_name had a host_name.
    sni: bool,
    /// ALPN was offered.
    alpn: bool,
    /// The (empty) NPN extension was there.
    pub(super) npn: bool,
    /// TLS 1.3 is among the versions.
    pub(super) tls13: bool,
}

impl Offer {
    pub(super) fn of(hello: &ClientHelloView<'_>) -> Self {
        let e = &hello.extensions;
        let legacy = hello.legacy_version.0.to_be_bytes();
        let listed = e.supported_versions();
        let versions = listed.as_ref().map_or(&legacy[..], U16s::bytes);
        let sni = e.server_name();
        let alpn = e.alpn().map(|n| n.bytes());
        let fields = [versions, sni.unwrap_or_default(), alpn.unwrap_or_default()];
        let mut bytes = Vec::with_capacity(fields.iter().map(|f| f.len()).sum());
        let ends = fields.map(|f| {
            bytes.extend_from_slice(f);
            bytes.len()
        });
        Offer {
            bytes: bytes.into_boxed_slice(),
            ends,
            listed: listed.is_some(),
            sni: sni.is_some(),
            alpn: alpn.is_some(),
            npn: e.npn().is_some(),
            tls13: U16s::new(versions).any(|v| v == ProtocolVersion::TLS13.0),
        }
    }

    /// The versions offered, best first as sent
    /// ([`ClientHelloView::versions_offered`]).
    pub(super) fn versions(&self) -> Vec<ProtocolVersion> {
        let all = U16s::new(&self.bytes[..self.ends[0]]).map(ProtocolVersion);
        all.filter(|v| !(self.listed && v.is_grease())).collect()
    }

    /// server_name's host_name.
    pub(super) fn sni(&self) -> Option<String> {
        self.sni
            .then(|| lossy(&self.bytes[self.ends[0]..self.ends[1]]))
    }

    /// ALPN's list, in the client's order.
    pub(super) fn alpn(&self) -> Option<Vec<String>> {
        let list = &self.bytes[self.ends[1]..self.ends[2]];
        self.alpn.then(|| Names::new(list).map(lossy).collect())
    }
}

/// What the ServerHello (not a HelloRetryRequest) chose in the clear.
#[derive(Debug, Clone, Default)]
pub(super) struct Choice {
    /// The version chosen.
    pub(super) version: Option<ProtocolVersion>,
    /// ALPN: `None` without the extension, else the first name of its list
    /// (RFC 7301 §3.1: exactly one; `None` inside for an empty list).
    pub(super) alpn: Option<Option<String>>,
    /// The server's NPN list.
    pub(super) npn: Option<Vec<String>>,
}

impl Choice {
    pub(super) fn of(hello: &ServerHelloView<'_>) -> Self {
        let e = &hello.extensions;
        Choice {
            version: Some(hello.version()),
            alpn: e.alpn().map(|mut n| n.next().map(lossy)),
            npn: e.npn().map(|n| n.map(lossy).collect()),
        }
    }

    /// The ALPN choice as far as the clear text tells, given what the
    /// client offered.
    pub(super) fn alpn_chosen(&self, offered: Option<&[String]>) -> AlpnChosen {
        match (&self.alpn, offered) {
            (Some(Some(p)), _) => AlpnChosen::Clear(p.clone()),
            (Some(None), _) | (None, None) => AlpnChosen::NotNegotiated,
            (None, Some(_)) if self.version == Some(ProtocolVersion::TLS13) => {
                AlpnChosen::Encrypted
            }
            (None, Some(_)) => AlpnChosen::NotNegotiated,
        }
    }
}
