//! One QUIC connection's state while its datagrams arrive: the Initial
//! keys (re-derived after a Retry), each direction's CRYPTO stream and
//! handshake messages, the counts, and the close.

use crate::capture::Timestamp;
use crate::proto::quic::frame::Frame;
use crate::proto::quic::header::{self, PacketHeader};
use crate::proto::quic::initial::retry_tag_valid;
use crate::proto::quic::{
    ConnectionId, CryptoStream, Frames, InitialKeys, LongType, QuicError, Side, TransportParameter,
    TransportParameters,
};
use crate::proto::tls::{ClientHello, HandshakeReader, HandshakeType, ServerHello};
use crate::wire::Endpoint;

use super::report::{
    CloseSeen, MAX_PROBLEMS, PacketCounts, QuicEnding, QuicProblem, QuicReport, RetrySeen,
    ServerHelloSeen,
};

/// One direction's Initial CRYPTO stream and the handshake messages in it.
#[derive(Default)]
struct Handshake {
    crypto: CryptoStream,
    messages: HandshakeReader,
    largest_pn: Option<u64>,
}

pub(super) struct QuicConnection {
    report: QuicReport,
    keys: Option<InitialKeys>,
    /// A Retry came: the client's next Initial brings new keys.
    rekey: bool,
    client: Handshake,
    server: Handshake,
    /// Which sides sent packets that need more than the Initial keys.
    encrypted: bool,
}

impl QuicConnection {
    pub(super) fn new(client: Endpoint, server: Endpoint, frame: u64, ts: Timestamp) -> Self {
        QuicConnection {
            report: QuicReport {
                client,
                server,
                first_frame: frame,
                first_ts: ts,
                last_ts: ts,
                version: None,
                negotiation: None,
                original_dcid: ConnectionId::default(),
                client_scid: None,
                server_scid: None,
                retry: None,
                token_len: 0,
                sni: None,
                alpn_offered: Vec::new(),
                transport_parameters: Vec::new(),
                server_hello: None,
                client_packets: PacketCounts::default(),
                server_packets: PacketCounts::default(),
                handshake_completed: false,
                close: None,
                ending: QuicEnding::Open,
                silent_past_idle: false,
                problems: Vec::new(),
            },
            keys: None,
            rekey: false,
            client: Handshake::default(),
            server: Handshake::default(),
            encrypted: false,
        }
    }

    pub(super) fn side_of(&self, src: &Endpoint) -> Side {
        if *src == self.report.client {
            Side::Client
        } else {
            Side::Server
        }
    }

    fn problem(&mut self, frame: u64, from: Side, error: QuicError) {
        if self.report.problems.len() < MAX_PROBLEMS {
            self.report
                .problems
                .push(QuicProblem { frame, from, error });
        }
    }

    /// One datagram's payload from `from`.
    pub(super) fn datagram(&mut self, frame: u64, ts: Timestamp, from: Side, payload: &[u8]) {
        self.report.last_ts = self.report.last_ts.max(ts);
        // RFC 9287: a server may clear the fixed bit in packets to a client
        // that advertised grease_quic_bit. The server's own parameters are
        // encrypted, so packets to it are read as if it had too, once it
        // answered: only the first Initials must show the bit.
        let greased = match from {
            Side::Server => self
                .report
                .transport_parameters
                .contains(&TransportParameter::GreaseQuicBit),
            Side::Client => self.report.server_scid.is_some(),
        };
        let d = header::datagram(payload, greased);
        for p in &d.packets {
            self.packet(frame, from, p);
        }
        if let Some(e) = d.error {
            self.problem(frame, from, e);
        }
    }

    fn counts(&mut self, from: Side) -> &mut PacketCounts {
        match from {
            Side::Client => &mut self.report.client_packets,
            Side::Server => &mut self.report.server_packets,
        }
    }

    fn packet(&mut self, frame: u64, from: Side, p: &header::Packet<'_>) {
        match &p.header {
            PacketHeader::VersionNegotiation { versions, .. } => {
                self.counts(from).version_negotiation += 1;
                self.report.negotiation = Some(versions.clone());
            }
            PacketHeader::Retry {
                version,
                scid,
                token,
                ..
            } => {
                self.counts(from).retry += 1;
                let tag_valid = retry_tag_valid(*version, &self.report.original_dcid.0, p.bytes);
                self.report.retry = Some(RetrySeen {
                    frame,
                    token_len: token.len(),
                    scid: scid.clone(),
                    tag_valid,
                });
                self.rekey = true;
            }
            PacketHeader::UnknownVersion {
                version,
                dcid,
                scid,
            } => {
                self.counts(from).unknown_version += 1;
                if from == Side::Client && self.report.version.is_none() {
                    self.report.version = Some(*version);
                    self.report.original_dcid = dcid.clone();
                    self.report.client_scid = Some(scid.clone());
                }
                self.problem(frame, from, QuicError::UnknownVersion(*version));
            }
            PacketHeader::Short => {
                self.counts(from).one_rtt += 1;
                self.encrypted = true;
            }
            PacketHeader::Long {
                kind,
                version,
                dcid,
                scid,
                token,
            } => {
                match kind {
                    LongType::Initial => self.counts(from).initial += 1,
                    LongType::Handshake => self.counts(from).handshake += 1,
                    _ => self.counts(from).zero_rtt += 1,
                }
                if from == Side::Server && self.report.server_scid.is_none() {
                    self.report.server_scid = Some(scid.clone());
                }
                if *kind != LongType::Initial {
                    self.encrypted = true;
                    return;
                }
                if from == Side::Client {
                    if self.report.version.is_none() {
                        self.report.version = Some(*version);
                        self.report.original_dcid = dcid.clone();
                        self.report.client_scid = Some(scid.clone());
                    }
                    self.report.token_len = token.len();
                    // RFC 9001 §5.2: the Initial keys come from the DCID of
                    // the client's first Initial, and again from its first
                    // Initial after a Retry (the Retry's SCID).
                    if self.keys.is_none() || self.rekey {
                        self.rekey = false;
                        match InitialKeys::new(*version, &dcid.0) {
                            Ok(k) => self.keys = Some(k),
                            Err(e) => return self.problem(frame, from, e),
                        }
                    }
                }
                self.initial(frame, from, p);
            }
        }
    }

    /// An Initial packet: opened, its frames read.
    fn initial(&mut self, frame: u64, from: Side, p: &header::Packet<'_>) {
        let Some(keys) = &self.keys else {
            return;
        };
        let hs = match from {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        };
        let opened = match keys.open(from, p, hs.largest_pn) {
            Ok(o) => o,
            Err(e) => return self.problem(frame, from, e),
        };
        hs.largest_pn = Some(
            hs.largest_pn
                .map_or(opened.packet_number, |l| l.max(opened.packet_number)),
        );
        let mut messages = Vec::new();
        let mut failure = None;
        for f in Frames::new(&opened.payload) {
            match f {
                Ok(Frame::Crypto { offset, data }) => {
                    let reader = &mut hs.messages;
                    let mut fed = Ok(());
                    let r = hs.crypto.insert(offset, data, &mut |bytes| {
                        if fed.is_ok() {
                            fed = reader
                                .feed(bytes, &mut |t, body| messages.push((t, body.to_vec())));
                        }
                    });
                    if let Err(e) = r {
                        failure = Some(e);
                    }
                    if fed.is_err() {
                        // A handshake message too long to hold: not a
                        // ClientHello this reader can show.
                        failure = Some(QuicError::CryptoTooFar {
                            offset: hs.crypto.delivered(),
                            max: crate::proto::quic::crypto::MAX_CRYPTO,
                        });
                    }
                }
                Ok(Frame::Close(close)) => {
                    if self.report.close.is_none() {
                        self.report.close = Some(CloseSeen {
                            by: from,
                            frame,
                            packet: LongType::Initial,
                            close,
                        });
                    }
                }
                Ok(_) => {}
                Err(e) => failure = Some(e),
            }
        }
        for (t, body) in messages {
            self.message(frame, from, t, &body);
        }
        if let Some(e) = failure {
            self.problem(frame, from, e);
        }
    }

    /// A whole handshake message from the Initial CRYPTO stream.
    fn message(&mut self, frame: u64, from: Side, t: HandshakeType, body: &[u8]) {
        match (from, t) {
            (Side::Client, HandshakeType::ClientHello) => {
                let Ok(hello) = ClientHello::parse(body) else {
                    return;
                };
                let e = hello.extensions;
                self.report.sni = e.server_name;
                self.report.alpn_offered = e.alpn.unwrap_or_default();
                if let Some(tp) = e.quic_transport_parameters {
                    match TransportParameters::parse(&tp) {
                        Ok(tp) => self.report.transport_parameters = tp.0,
                        Err(err) => self.problem(frame, from, err),
                    }
                }
            }
            (Side::Server, HandshakeType::ServerHello) => {
                if let Ok(hello) = ServerHello::parse(body) {
                    self.report.server_hello = Some(ServerHelloSeen {
                        version: hello.version(),
                        cipher_suite: hello.cipher_suite,
                    });
                }
            }
            _ => {}
        }
    }

    /// The report, with the ending judged at `end` (the capture's last
    /// time).
    pub(super) fn finish(mut self, end: Timestamp) -> QuicReport {
        let r = &mut self.report;
        r.handshake_completed = r.client_packets.one_rtt > 0 && r.server_packets.one_rtt > 0;
        let idle_ms = r.transport_parameters.iter().find_map(|p| match p {
            TransportParameter::MaxIdleTimeout(ms) if *ms > 0 => Some(*ms),
            _ => None,
        });
        let silent_ns = end.0.saturating_sub(r.last_ts.0);
        r.silent_past_idle =
            idle_ms.is_some_and(|ms| i128::from(silent_ns) > i128::from(ms) * 1_000_000);
        r.ending = if r.close.is_some() {
            QuicEnding::ConnectionClose
        } else if r.negotiation.is_some() && r.client_packets.initial == 0 && !self.encrypted {
            QuicEnding::VersionNegotiation
        } else if self.encrypted {
            QuicEnding::UnknownEncrypted
        } else if r.silent_past_idle {
            QuicEnding::IdleTimeout
        } else {
            QuicEnding::Open
        };
        self.report
    }
}
