//! What the analyzer says about one QUIC connection without its TLS
//! secrets: the typed facts [`super::QuicTracker`] hands out.

use crate::capture::Timestamp;
use crate::proto::quic::{
    ConnectionClose, ConnectionId, LongType, QuicError, Side, TransportParameter, Version,
};
use crate::proto::tls::ProtocolVersion;
use crate::wire::Endpoint;

/// How a QUIC connection ended (RFC 9000 §10: there is no FIN or RST in
/// QUIC): a close, a stateless reset, an idle timeout, an ICMP error, or
/// not yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuicEnding {
    /// A CONNECTION_CLOSE frame in a packet whose keys are public (an
    /// Initial) or that the key log opened: the code and reason are in
    /// [`QuicReport::close`].
    ConnectionClose,
    /// A stateless reset (RFC 9000 §10.3): a short-header packet that does
    /// not open, whose last 16 bytes are a stateless reset token its sender
    /// had issued, after which nothing opened: [`QuicReport::stateless_reset`].
    StatelessReset,
    /// An ICMP or ICMPv6 destination unreachable quoting a datagram of the
    /// connection (RFC 9000 §14.2.1 lets an endpoint stop on it), after
    /// which nothing came: [`QuicReport::icmp`].
    IcmpUnreachable,
    /// The server answered with Version Negotiation and the client sent
    /// nothing more on this path (RFC 9000 §6.2: it abandons the attempt).
    VersionNegotiation,
    /// Every packet was read (no keys were missing), none closed, and the
    /// capture went on silent past the effective idle timeout (RFC 9000
    /// §10.1: the smaller of the two sides' max_idle_timeout; the client's
    /// alone bounds it when the server's is encrypted).
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
            QuicEnding::StatelessReset => "stateless_reset",
            QuicEnding::IcmpUnreachable => "icmp_unreachable",
            QuicEnding::VersionNegotiation => "version_negotiation",
            QuicEnding::IdleTimeout => "idle_timeout",
            QuicEnding::UnknownEncrypted => "unknown (encrypted)",
            QuicEnding::Open => "open",
        }
    }
}

/// The kinds of packet whose frames are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// Initial (public keys).
    Initial,
    /// Handshake (the key log's handshake secrets).
    Handshake,
    /// Short header (the key log's application secrets).
    OneRtt,
}

impl PacketKind {
    /// Its name, as RFC 9000 writes it.
    pub fn name(self) -> &'static str {
        match self {
            PacketKind::Initial => LongType::Initial.name(),
            PacketKind::Handshake => LongType::Handshake.name(),
            PacketKind::OneRtt => "1-RTT",
        }
    }

    /// "an Initial", "a Handshake", "a 1-RTT".
    pub fn with_article(self) -> &'static str {
        match self {
            PacketKind::Initial => "an Initial",
            PacketKind::Handshake => "a Handshake",
            PacketKind::OneRtt => "a 1-RTT",
        }
    }
}

/// A CONNECTION_CLOSE seen in a packet that was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseSeen {
    /// Who sent it.
    pub by: Side,
    /// The capture frame that carried it.
    pub frame: u64,
    /// The packet type it was in.
    pub packet: PacketKind,
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

/// What the key log did for a connection (`--keylog` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeysStatus {
    /// Handshake and 1-RTT packets opened.
    Ok,
    /// No secrets for the ClientHello's random, or not all four.
    Missing,
    /// Secrets that do not open the connection's first protected packet.
    Mismatch,
    /// No ServerHello was seen, or its suite is not one QUIC is opened
    /// with here.
    Unusable,
}

impl KeysStatus {
    /// Its name in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            KeysStatus::Ok => "ok",
            KeysStatus::Missing => "missing",
            KeysStatus::Mismatch => "mismatch",
            KeysStatus::Unusable => "unusable",
        }
    }
}

/// The key log's verdict on one connection, with why when not ok.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysSeen {
    /// What the key log did.
    pub status: KeysStatus,
    /// Why, when the status is not ok.
    pub reason: String,
}

/// A NEW_CONNECTION_ID frame (RFC 9000 §19.15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCidSeen {
    /// Who issued the connection ID (and the token: it is this side that
    /// may send a stateless reset with it).
    pub by: Side,
    /// The capture frame.
    pub frame: u64,
    /// Sequence number.
    pub sequence: u64,
    /// The connection ID.
    pub cid: ConnectionId,
    /// Its stateless reset token.
    pub token: [u8; 16],
}

/// A stateless reset (RFC 9000 §10.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetSeen {
    /// Who sent it: the side that lost the connection's state.
    pub by: Side,
    /// The capture frame.
    pub frame: u64,
    /// Where the matching token was issued: the server's transport
    /// parameter, or a NEW_CONNECTION_ID frame's sequence number.
    pub token_from: TokenSource,
}

/// Where a stateless reset token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// The server's stateless_reset_token transport parameter (§18.2).
    TransportParameter,
    /// A NEW_CONNECTION_ID frame, by its sequence number.
    NewConnectionId(u64),
}

/// An ICMP or ICMPv6 error about a datagram of the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcmpSeen {
    /// The capture frame.
    pub frame: u64,
    /// The address that sent the error (the host or router that refused).
    pub reporter: std::net::IpAddr,
    /// Whose datagram it quotes.
    pub about: Side,
    /// What it says.
    pub kind: crate::wire::Unreachable,
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
    /// The first CONNECTION_CLOSE in a packet that opened.
    pub close: Option<CloseSeen>,
    /// What the key log did (`--keylog` only).
    pub keys: Option<KeysSeen>,
    /// The ALPN protocol the server chose (EncryptedExtensions).
    pub alpn: Option<String>,
    /// The server's transport parameters (EncryptedExtensions).
    pub server_transport_parameters: Vec<TransportParameter>,
    /// The capture frame of the server's HANDSHAKE_DONE (RFC 9001 §4.1.2:
    /// the handshake is confirmed).
    pub handshake_done: Option<u64>,
    /// NEW_CONNECTION_ID frames, both ways (the first [`MAX_NEW_CIDS`]).
    pub new_connection_ids: Vec<NewCidSeen>,
    /// Key updates (RFC 9001 §6) by the client and by the server.
    pub key_updates: [u32; 2],
    /// A stateless reset, when one was recognised.
    pub stateless_reset: Option<ResetSeen>,
    /// An ICMP error quoting one of its datagrams.
    pub icmp: Option<IcmpSeen>,
    /// UDP datagrams of the connection.
    pub datagrams: u64,
    /// The effective idle timeout in milliseconds: the smaller non-zero
    /// max_idle_timeout of the sides whose parameters were read.
    pub idle_timeout_ms: Option<u64>,
    /// HTTP/3 on the connection's streams (1-RTT keys only).
    pub http3: Option<crate::app::h3::H3Report>,
    /// How it ended.
    pub ending: QuicEnding,
    /// The capture went on silent past the effective idle timeout after
    /// the last packet: the connection is over, whatever ended it.
    pub silent_past_idle: bool,
    /// Datagrams or packets that did not parse or open, in order (the
    /// first [`MAX_PROBLEMS`] of them).
    pub problems: Vec<QuicProblem>,
    /// The packets worth drawing (`--ladder`, `--frames`, `--annotate`
    /// only).
    pub ladder: Option<Box<super::QuicLadder>>,
}

/// Problems kept per connection.
pub const MAX_PROBLEMS: usize = 8;

/// NEW_CONNECTION_ID frames kept per connection (an endpoint issues a
/// handful, RFC 9000 §5.1.1; a hostile one cannot make the report grow).
pub const MAX_NEW_CIDS: usize = 32;

/// RFC 9000 §10.1: each side's max_idle_timeout, 0 or absent for none;
/// the effective timeout is the smaller of those given.
pub(super) fn idle_timeout_ms(
    client: &[TransportParameter],
    server: &[TransportParameter],
) -> Option<u64> {
    [client, server]
        .iter()
        .filter_map(|ps| {
            ps.iter().find_map(|p| match p {
                TransportParameter::MaxIdleTimeout(ms) if *ms > 0 => Some(*ms),
                _ => None,
            })
        })
        .min()
}

impl QuicReport {
    /// Judges the silence after its last packet at `end`, the capture's
    /// last time: past the idle timeout, a connection that would be open
    /// timed out. Judged again at a later `end`, it can only go from open
    /// to timed out, so a connection finished early (at the network time
    /// then) is judged once more at the end of the capture and reads as
    /// if it had been finished there.
    pub(super) fn judge_silence(&mut self, end: Timestamp) {
        let silent_ns = end.0.saturating_sub(self.last_ts.0);
        self.silent_past_idle = self
            .idle_timeout_ms
            .is_some_and(|ms| i128::from(silent_ns) > i128::from(ms) * 1_000_000);
        if self.silent_past_idle && self.ending == QuicEnding::Open {
            self.ending = QuicEnding::IdleTimeout;
        }
    }

    /// The close's error name: an application's code named by HTTP/3
    /// (RFC 9114 §8.1) when the server chose h3, else as
    /// [`ConnectionClose::code_name`] says.
    pub fn close_name(&self) -> Option<String> {
        let c = self.close.as_ref()?;
        let h3 = self.alpn.as_deref() == Some("h3");
        Some(
            match crate::proto::h3::error_name(c.close.code).filter(|_| c.close.application && h3) {
                Some(name) => format!("{name} (application 0x{:x})", c.close.code),
                None => c.close.code_name(),
            },
        )
    }
}
