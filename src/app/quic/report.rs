//! What the analyzer says about one QUIC connection without its TLS
//! secrets: the typed facts [`super::QuicTracker`] hands out.

use crate::capture::Timestamp;
use crate::proto::quic::{
    ConnectionClose, ConnectionId, LongType, QuicError, Side, TransportParameter, Version,
};
use crate::proto::tls::ProtocolVersion;
use crate::wire::Endpoint;

/// How a QUIC connection ended, as far as packets without 1-RTT keys can
/// tell (RFC 9000 §10: there is no FIN or RST in QUIC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuicEnding {
    /// A CONNECTION_CLOSE frame in a packet whose keys are public (an
    /// Initial): the code and reason are in [`QuicReport::close`].
    ConnectionClose,
    /// The server answered with Version Negotiation and the client sent
    /// nothing more on this path (RFC 9000 §6.2: it abandons the attempt).
    VersionNegotiation,
    /// No packet was ever encrypted beyond the Initial keys, and the
    /// capture went on silent past the client's max_idle_timeout, which
    /// bounds the effective one (RFC 9000 §10.1: the smaller of the two
    /// sides'): nothing could have hidden a close.
    IdleTimeout,
    /// Handshake or 1-RTT packets flowed: a close, if any, is inside them.
    /// [`QuicReport::silent_past_idle`] tells whether it is over at least.
    UnknownEncrypted,
    /// Only Initials, and the capture ended before any timeout could
    /// pass.
    Open,
}

impl QuicEnding {
    /// Its name in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            QuicEnding::ConnectionClose => "connection_close",
            QuicEnding::VersionNegotiation => "version_negotiation",
            QuicEnding::IdleTimeout => "idle_timeout",
            QuicEnding::UnknownEncrypted => "unknown (encrypted)",
            QuicEnding::Open => "open",
        }
    }
}

/// A CONNECTION_CLOSE seen in clear-keyed packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseSeen {
    /// Who sent it.
    pub by: Side,
    /// The capture frame that carried it.
    pub frame: u64,
    /// The packet type it was in.
    pub packet: LongType,
    /// The frame.
    pub close: ConnectionClose,
}

/// The server's Retry (RFC 9000 §17.2.5, §8.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySeen {
    /// The capture frame.
    pub frame: u64,
    /// The Retry Token's length.
    pub token_len: usize,
    /// The Retry's SCID: the client's next DCID, and the source of its
    /// next Initial keys (RFC 9001 §5.2).
    pub scid: ConnectionId,
    /// The Retry Integrity Tag verifies with the client's original DCID
    /// (RFC 9001 §5.8).
    pub tag_valid: bool,
}

/// What a ServerHello in a server Initial chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerHelloSeen {
    /// supported_versions' choice (or the legacy version).
    pub version: ProtocolVersion,
    /// The cipher suite.
    pub cipher_suite: u16,
}

/// Packets one side sent, by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketCounts {
    /// Initial packets.
    pub initial: u32,
    /// 0-RTT packets.
    pub zero_rtt: u32,
    /// Handshake packets.
    pub handshake: u32,
    /// Short-header (1-RTT) packets.
    pub one_rtt: u32,
    /// Retry packets.
    pub retry: u32,
    /// Version Negotiation packets.
    pub version_negotiation: u32,
    /// Long-header packets of a version this reader does not know.
    pub unknown_version: u32,
}

/// Something in a datagram of this connection that did not parse or open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicProblem {
    /// The capture frame.
    pub frame: u64,
    /// Who sent it.
    pub from: Side,
    /// What went wrong.
    pub error: QuicError,
}

/// One QUIC connection (one client and server address pair; connection
/// migration is not followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicReport {
    /// The side that sent the first Initial.
    pub client: Endpoint,
    /// The other side.
    pub server: Endpoint,
    /// The capture frame of its first packet.
    pub first_frame: u64,
    /// Time of its first packet.
    pub first_ts: Timestamp,
    /// Time of its last packet.
    pub last_ts: Timestamp,
    /// The version of the client's first Initial.
    pub version: Option<Version>,
    /// The versions a Version Negotiation packet offered.
    pub negotiation: Option<Vec<Version>>,
    /// The DCID of the client's first Initial (its Initial keys' source).
    pub original_dcid: ConnectionId,
    /// The client's SCID.
    pub client_scid: Option<ConnectionId>,
    /// The server's SCID, from its first Initial or Handshake packet.
    pub server_scid: Option<ConnectionId>,
    /// The Retry, if the server sent one.
    pub retry: Option<RetrySeen>,
    /// The Initial token's length in the client's last Initial (non-zero
    /// after a Retry or with a NEW_TOKEN token).
    pub token_len: usize,
    /// The ClientHello's server_name.
    pub sni: Option<String>,
    /// The ClientHello's ALPN list.
    pub alpn_offered: Vec<String>,
    /// The client's transport parameters (RFC 9000 §18.2).
    pub transport_parameters: Vec<TransportParameter>,
    /// The ServerHello, from the server's Initial.
    pub server_hello: Option<ServerHelloSeen>,
    /// The client's packets.
    pub client_packets: PacketCounts,
    /// The server's packets.
    pub server_packets: PacketCounts,
    /// Short-header packets went both ways (RFC 9001 §4.1.1: a client
    /// sends 1-RTT only once its handshake is complete).
    pub handshake_completed: bool,
    /// A CONNECTION_CLOSE in clear-keyed packets.
    pub close: Option<CloseSeen>,
    /// How it ended.
    pub ending: QuicEnding,
    /// The capture went on silent past the client's max_idle_timeout after
    /// the last packet: the connection is over, whatever ended it.
    pub silent_past_idle: bool,
    /// Datagrams or packets that did not parse or open, in order (the
    /// first [`MAX_PROBLEMS`] of them).
    pub problems: Vec<QuicProblem>,
}

/// Problems kept per connection.
pub const MAX_PROBLEMS: usize = 8;
