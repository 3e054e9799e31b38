//! What the report keeps of the two hellos, taken from them in place when
//! they come: the handful of fields it prints, not the hellos themselves
//! (an owned ClientHello is a dozen allocations for cipher suites, groups
//! and extension types nobody reads here; keeping its bytes to read again
//! later is a copy and a second walk).

use std::borrow::Cow;
use std::sync::Arc;

use crate::proto::tls::extensions::{Names, U16s};
use crate::proto::tls::{ClientHelloView, ProtocolVersion, ServerHelloView};

use super::report::AlpnChosen;

fn lossy(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// What the (first) ClientHello offered: the bytes of the three fields
/// a report prints, copied once into one shared buffer when the hello
/// comes. A report holds the buffer, not strings and lists made from it:
/// the strings cost five allocations per connection (the versions, SNI,
/// ALPN's list and each of its names), and the output that prints them
/// reads the bytes in place (valid UTF-8, the usual case, is borrowed,
/// not copied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    /// supported_versions' list (or legacy_version's two bytes),
    /// server_name's host_name and ALPN's protocol list, as sent, one
    /// after another. Shared (the decoder and each report it makes hold
    /// the same bytes): a report costs no copy.
    bytes: Arc<[u8]>,
    /// Where each of the three ends in `bytes`.
    ends: [usize; 3],
    /// The versions are supported_versions' list, whose GREASE values
    /// (RFC 8701) are left out, rather than legacy_version.
    listed: bool,
    /// server_name had a host_name.
    has_sni: bool,
    /// ALPN was offered.
    has_alpn: bool,
    /// The (empty) NPN extension was there.
    pub(super) npn: bool,
    /// TLS 1.3 is among the versions.
    pub(super) tls13: bool,
}

impl Offered {
    pub(super) fn of(hello: &ClientHelloView<'_>) -> Self {
        let e = &hello.extensions;
        let legacy = hello.legacy_version.0.to_be_bytes();
        let listed = e.supported_versions();
        let versions = listed.as_ref().map_or(&legacy[..], U16s::bytes);
        let sni = e.server_name();
        let alpn = e.alpn().map(|n| n.bytes());
        let mut o = Offered::from_fields(
            [versions, sni.unwrap_or_default(), alpn.unwrap_or_default()],
            listed.is_some(),
            sni.is_some(),
            alpn.is_some(),
        );
        o.npn = e.npn().is_some();
        o
    }

    /// An offer made by hand (tests, and reports built without a
    /// capture): the versions as a supported_versions list, the ALPN
    /// names in their wire form (RFC 7301 §3.1: a length byte each; a
    /// longer name than 255 bytes is cut there).
    pub fn new(versions: &[ProtocolVersion], sni: Option<&str>, alpn: Option<&[&str]>) -> Self {
        let versions: Vec<u8> = versions.iter().flat_map(|v| v.0.to_be_bytes()).collect();
        let mut list = Vec::new();
        for name in alpn.unwrap_or_default() {
            let name = &name.as_bytes()[..name.len().min(255)];
            list.push(name.len() as u8);
            list.extend_from_slice(name);
        }
        let sni_bytes = sni.map(str::as_bytes).unwrap_or_default();
        Offered::from_fields(
            [&versions, sni_bytes, &list],
            true,
            sni.is_some(),
            alpn.is_some(),
        )
    }

    fn from_fields(fields: [&[u8]; 3], listed: bool, has_sni: bool, has_alpn: bool) -> Self {
        let mut at = 0;
        let ends = fields.map(|f| {
            at += f.len();
            at
        });
        // Put together on the stack when small (as the three nearly always
        // are), so that the shared buffer is the one allocation: a `Vec`
        // made into an `Arc` would be a second one, and a copy.
        let mut small = [0u8; 256];
        let bytes: Arc<[u8]> = match small.get_mut(..at) {
            Some(buf) => {
                let mut start = 0;
                for (f, end) in fields.iter().zip(ends) {
                    buf[start..end].copy_from_slice(f);
                    start = end;
                }
                Arc::from(&*buf)
            }
            None => fields.concat().into(),
        };
        let tls13 = U16s::new(fields[0]).any(|v| v == ProtocolVersion::TLS13.0);
        Offered {
            bytes,
            ends,
            listed,
            has_sni,
            has_alpn,
            npn: false,
            tls13,
        }
    }

    /// The versions offered, best first as sent
    /// ([`ClientHelloView::versions_offered`]).
    pub fn versions(&self) -> impl Iterator<Item = ProtocolVersion> + '_ {
        let all = U16s::new(&self.bytes[..self.ends[0]]).map(ProtocolVersion);
        all.filter(|v| !(self.listed && v.is_grease()))
    }

    /// server_name's host_name (bytes that are not UTF-8 with U+FFFD, as
    /// `String::from_utf8_lossy` makes them).
    pub fn sni(&self) -> Option<Cow<'_, str>> {
        self.has_sni
            .then(|| String::from_utf8_lossy(&self.bytes[self.ends[0]..self.ends[1]]))
    }

    /// ALPN's list, in the client's order; `None` without the extension.
    pub fn alpn(&self) -> Option<impl Iterator<Item = Cow<'_, str>> + '_> {
        let list = &self.bytes[self.ends[1]..self.ends[2]];
        self.has_alpn
            .then(|| Names::new(list).map(String::from_utf8_lossy))
    }

    /// ALPN's list as owned strings, for a caller that keeps it.
    pub fn alpn_list(&self) -> Option<Vec<String>> {
        Some(self.alpn()?.map(Cow::into_owned).collect())
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
    pub(super) fn alpn_chosen(&self, offered: bool) -> AlpnChosen {
        match (&self.alpn, offered) {
            (Some(Some(p)), _) => AlpnChosen::Clear(p.clone()),
            (Some(None), _) | (None, false) => AlpnChosen::NotNegotiated,
            (None, true) if self.version == Some(ProtocolVersion::TLS13) => AlpnChosen::Encrypted,
            (None, true) => AlpnChosen::NotNegotiated,
        }
    }
}
