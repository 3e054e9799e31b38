//! TLS as a passive reader sees it before any key is known (RFC 8446, and
//! RFC 5246 for TLS 1.2): the record layer ([`record`]), handshake messages
//! put back together from record fragments ([`handshake`]), the two hellos
//! ([`hello`]) and their extensions ([`extensions`]), alerts ([`alert`]),
//! the client's NPN choice ([`next_protocol`], read once decrypted), and
//! the IANA names of cipher suites, groups and alerts ([`names`]).
//!
//! Pure syntax over byte slices: every length is checked against the bytes
//! there are, every error is a value, nothing panics on any input (the
//! `tls_records` fuzz target holds it to that).

pub mod alert;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod build;
mod cursor;
pub mod extensions;
pub mod handshake;
pub mod hello;
pub mod names;
pub mod next_protocol;
pub mod record;
#[cfg(test)]
mod tests;

use std::fmt;

pub use alert::{Alert, AlertDescription, AlertLevel};
pub use extensions::ExtensionsView;
pub use handshake::{HandshakeReader, HandshakeType};
pub use hello::{
    ClientHello, ClientHelloView, Extensions, HelloError, ServerHello, ServerHelloView,
    encrypted_extensions,
};
pub use next_protocol::NextProtocol;
pub use record::{ContentType, Record, RecordError, RecordHeader, RecordReader};

/// A `ProtocolVersion` value (RFC 8446 §4.1.2, Appendix B.1): on the
/// record layer and in the hellos' legacy fields, and in
/// `supported_versions` (§4.2.1), which is where TLS 1.3 is really chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// TLS 1.2 (RFC 5246).
    pub const TLS12: ProtocolVersion = ProtocolVersion(0x0303);
    /// TLS 1.3 (RFC 8446).
    pub const TLS13: ProtocolVersion = ProtocolVersion(0x0304);

    /// A GREASE value (RFC 8701 §2: 0x0A0A, 0x1A1A … 0xFAFA), which a
    /// client offers so that servers keep ignoring what they do not know.
    pub fn is_grease(self) -> bool {
        is_grease(self.0)
    }
}

/// RFC 8701 §2: both bytes equal, low nibble 0xA.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

impl ProtocolVersion {
    /// The name of a version this crate knows, as [`fmt::Display`] writes
    /// it; `None` for GREASE and unknown values (written in hex).
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0300 => "SSL 3.0",
            0x0301 => "TLS 1.0",
            0x0302 => "TLS 1.1",
            0x0303 => "TLS 1.2",
            0x0304 => "TLS 1.3",
            _ => return None,
        })
    }

    /// What [`fmt::Display`] writes, borrowed for a known version (a
    /// string is made only for the others).
    pub fn text(self) -> std::borrow::Cow<'static, str> {
        match self.name() {
            Some(name) => name.into(),
            None => self.to_string().into(),
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(name), _) => f.write_str(name),
            (None, v) if is_grease(v) => write!(f, "GREASE 0x{v:04x}"),
            (None, v) => write!(f, "0x{v:04x}"),
        }
    }
}
