//! Handshake messages (RFC 8446 §4, RFC 5246 §7.4): a one-byte type and a
//! three-byte length, carried in handshake records that may split one
//! message over many records or put several messages in one (§5.1). The
//! [`HandshakeReader`] puts the messages of one direction back together.

use std::fmt;

/// Largest handshake message put together (a ClientHello is below 2^16 by
/// its own length fields; a certificate chain can run to tens of
/// kilobytes). A longer one stops the direction: holding it would let one
/// connection claim 16 MiB.
pub const MAX_MESSAGE: usize = 256 * 1024;

/// A handshake message type (RFC 8446 §4, the TLS HandshakeType registry;
/// NextProtocol from draft-agl-tls-nextprotoneg-04 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandshakeType {
    /// 0 (TLS ≤ 1.2).
    HelloRequest,
    /// 1.
    ClientHello,
    /// 2 (and HelloRetryRequest, which is a ServerHello with a special random).
    ServerHello,
    /// 4.
    NewSessionTicket,
    /// 5.
    EndOfEarlyData,
    /// 8.
    EncryptedExtensions,
    /// 11.
    Certificate,
    /// 12 (TLS ≤ 1.2).
    ServerKeyExchange,
    /// 13.
    CertificateRequest,
    /// 14 (TLS ≤ 1.2).
    ServerHelloDone,
    /// 15.
    CertificateVerify,
    /// 16 (TLS ≤ 1.2).
    ClientKeyExchange,
    /// 20.
    Finished,
    /// 22 (RFC 6066 §8, TLS ≤ 1.2).
    CertificateStatus,
    /// 24.
    KeyUpdate,
    /// 67: the client's NPN choice, sent after ChangeCipherSpec.
    NextProtocol,
    /// 254.
    MessageHash,
    /// Anything else.
    Other(u8),
}

impl HandshakeType {
    /// The type of a byte.
    pub fn from_u8(b: u8) -> Self {
        match b {
            0 => HandshakeType::HelloRequest,
            1 => HandshakeType::ClientHello,
            2 => HandshakeType::ServerHello,
            4 => HandshakeType::NewSessionTicket,
            5 => HandshakeType::EndOfEarlyData,
            8 => HandshakeType::EncryptedExtensions,
            11 => HandshakeType::Certificate,
            12 => HandshakeType::ServerKeyExchange,
            13 => HandshakeType::CertificateRequest,
            14 => HandshakeType::ServerHelloDone,
            15 => HandshakeType::CertificateVerify,
            16 => HandshakeType::ClientKeyExchange,
            20 => HandshakeType::Finished,
            22 => HandshakeType::CertificateStatus,
            24 => HandshakeType::KeyUpdate,
            67 => HandshakeType::NextProtocol,
            254 => HandshakeType::MessageHash,
            other => HandshakeType::Other(other),
        }
    }
}

impl fmt::Display for HandshakeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            HandshakeType::HelloRequest => "HelloRequest",
            HandshakeType::ClientHello => "ClientHello",
            HandshakeType::ServerHello => "ServerHello",
            HandshakeType::NewSessionTicket => "NewSessionTicket",
            HandshakeType::EndOfEarlyData => "EndOfEarlyData",
            HandshakeType::EncryptedExtensions => "EncryptedExtensions",
            HandshakeType::Certificate => "Certificate",
            HandshakeType::ServerKeyExchange => "ServerKeyExchange",
            HandshakeType::CertificateRequest => "CertificateRequest",
            HandshakeType::ServerHelloDone => "ServerHelloDone",
            HandshakeType::CertificateVerify => "CertificateVerify",
            HandshakeType::ClientKeyExchange => "ClientKeyExchange",
            HandshakeType::Finished => "Finished",
            HandshakeType::CertificateStatus => "CertificateStatus",
            HandshakeType::KeyUpdate => "KeyUpdate",
            HandshakeType::NextProtocol => "NextProtocol",
            HandshakeType::MessageHash => "MessageHash",
            HandshakeType::Other(n) => return write!(f, "handshake type {n}"),
        };
        f.write_str(name)
    }
}

/// A handshake message too long to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {kind} message of {length} bytes, more than the {max} held")]
pub struct TooLong {
    /// Its type.
    pub kind: HandshakeType,
    /// Its announced length.
    pub length: usize,
    /// [`MAX_MESSAGE`].
    pub max: usize,
}

/// Puts one direction's handshake messages together from the fragments of
/// its handshake records.
#[derive(Debug, Clone, Default)]
pub struct HandshakeReader {
    /// Bytes of a message not yet whole (its header included).
    held: Vec<u8>,
}

impl HandshakeReader {
    /// Bytes held for a message not yet whole.
    pub fn buffered(&self) -> usize {
        self.held.len()
    }

    /// One handshake record's fragment; `out` gets each message completed
    /// (its type and body).
    pub fn feed(
        &mut self,
        mut fragment: &[u8],
        out: &mut impl FnMut(HandshakeType, &[u8]),
    ) -> Result<(), TooLong> {
        // A message continued from earlier records: complete it first (its
        // header itself may have been split).
        while !self.held.is_empty() && !fragment.is_empty() {
            let n = self
                .needed()
                .saturating_sub(self.held.len())
                .min(fragment.len());
            self.held.extend_from_slice(&fragment[..n]);
            fragment = &fragment[n..];
            self.check()?;
            if self.held.len() >= 4 && self.held.len() == self.needed() {
                let held = std::mem::take(&mut self.held);
                out(HandshakeType::from_u8(held[0]), &held[4..]);
            }
        }
        if !self.held.is_empty() {
            return Ok(());
        }
        // Whole messages straight from the fragment, no copy.
        while fragment.len() >= 4 {
            let len = usize::from(fragment[1]) << 16
                | usize::from(fragment[2]) << 8
                | usize::from(fragment[3]);
            if fragment.len() < 4 + len {
                break;
            }
            let (msg, rest) = fragment.split_at(4 + len);
            out(HandshakeType::from_u8(msg[0]), &msg[4..]);
            fragment = rest;
        }
        self.held.extend_from_slice(fragment);
        self.check()
    }

    /// Bytes the held message needs, header included (4 until the header
    /// is whole).
    fn needed(&self) -> usize {
        match self.held.get(..4) {
            Some(h) => 4 + (usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3])),
            None => 4,
        }
    }

    fn check(&mut self) -> Result<(), TooLong> {
        let need = self.needed();
        if need - 4 > MAX_MESSAGE {
            let kind = HandshakeType::from_u8(self.held[0]);
            self.held = Vec::new();
            return Err(TooLong {
                kind,
                length: need - 4,
                max: MAX_MESSAGE,
            });
        }
        Ok(())
    }
}
