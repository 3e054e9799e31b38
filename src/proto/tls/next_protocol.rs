//! The client's NPN choice (draft-agl-tls-nextprotoneg-04 §3): a
//! NextProtocol handshake message (type 67) sent after the client's
//! ChangeCipherSpec and before its Finished, so always encrypted. NPN never
//! became an RFC; ALPN (RFC 7301) replaced it.
//!
//! ```text
//! struct {
//!     opaque selected_protocol<0..255>;
//!     opaque padding<0..255>;
//! } NextProtocol;
//! ```
//!
//! The padding hides the name's length (OpenSSL's client pads the body to
//! a multiple of 32 bytes).

use super::cursor::Cursor;
use super::hello::HelloError;

/// A NextProtocol message read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextProtocol<'a> {
    /// The protocol the client chose, as sent (the server's list is only
    /// advice: the client may choose one it does not hold).
    pub selected_protocol: &'a [u8],
    /// Bytes of padding.
    pub padding: usize,
}

impl<'a> NextProtocol<'a> {
    /// Reads a NextProtocol message body (after the handshake header).
    ///
    /// # Errors
    ///
    /// A length that runs past the body, or bytes after the padding.
    pub fn parse(body: &'a [u8]) -> Result<Self, HelloError> {
        let mut c = Cursor::new(body);
        let selected_protocol = c.vec8("selected_protocol")?;
        let padding = c.vec8("padding")?.len();
        c.done("NextProtocol")?;
        Ok(NextProtocol {
            selected_protocol,
            padding,
        })
    }
}
