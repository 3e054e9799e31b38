//! One QUIC connection's state while its datagrams arrive: the Initial
//! keys (re-derived after a Retry, dropped once the handshake is done),
//! each direction's CRYPTO stream and handshake messages, the counts, the
//! close; with a key log, the Handshake and 1-RTT packets too
//! ([`protected`]). Each packet by its header is in [`packets`], the hellos
//! in [`hellos`], the report at the end in [`ending`].

mod ending;
mod hellos;
mod packets;
mod protected;

use std::sync::Arc;

use crate::capture::Timestamp;
use crate::proto::quic::frame::Frame;
use crate::proto::quic::header;
use crate::proto::quic::{ConnectionId, CryptoStream, Frames, InitialKeys, QuicError, Side};
use crate::proto::tls::{HandshakeReader, HandshakeType};
use crate::tls_decrypt::KeyLog;
use crate::wire::{Endpoint, UdpUnreachable};

use super::keyed::Keyed;
use super::ladder::Recorder;
use super::report::{
    IcmpSeen, MAX_PROBLEMS, PacketCounts, PacketKind, QuicEnding, QuicProblem, QuicReport,
    ResetSeen, idle_timeout_ms,
};

/// One direction's CRYPTO stream in a packet number space and the
/// handshake messages in it.
#[derive(Default)]
struct Handshake {
    crypto: CryptoStream,
    messages: HandshakeReader,
    largest_pn: Option<u64>,
}

/// What one Initial or Handshake packet carried ([`Handshake::packet`]).
#[derive(Default)]
struct CryptoPacket {
    /// The handshake messages its CRYPTO frames completed, in order, with
    /// the body of those of the type asked for: the others (a Certificate
    /// among them) are only named, not copied.
    messages: Vec<(HandshakeType, Option<Vec<u8>>)>,
    closes: Vec<crate::proto::quic::ConnectionClose>,
    failure: Option<QuicError>,
}

impl Handshake {
    /// A CRYPTO frame's bytes; the messages they complete go to `out`,
    /// with their body when they are of type `wanted`.
    fn crypto(
        &mut self,
        offset: u64,
        data: &[u8],
        wanted: Option<HandshakeType>,
        out: &mut Vec<(HandshakeType, Option<Vec<u8>>)>,
    ) -> Result<(), QuicError> {
        let reader = &mut self.messages;
        let mut fed = Ok(());
        self.crypto.insert(offset, data, &mut |bytes| {
            if fed.is_ok() {
                fed = reader.feed(bytes, &mut |t, body| {
                    out.push((t, (Some(t) == wanted).then(|| body.to_vec())));
                });
            }
        })?;
        // A handshake message too long to hold: not one this reader can
        // show.
        fed.map_err(|_| QuicError::CryptoTooFar {
            offset: self.crypto.delivered(),
            max: crate::proto::quic::crypto::MAX_CRYPTO,
        })
    }

    /// The frames of one opened Initial or Handshake packet (RFC 9000
    /// §12.4: both spaces carry CRYPTO and CONNECTION_CLOSE): the handshake
    /// messages its CRYPTO frames complete (the bodies of type `wanted`),
    /// its closes, and the last error.
    fn packet(&mut self, payload: &[u8], wanted: Option<HandshakeType>) -> CryptoPacket {
        let mut p = CryptoPacket::default();
        for f in Frames::new(payload) {
            match f {
                Ok(Frame::Crypto { offset, data }) => {
                    if let Err(e) = self.crypto(offset, data, wanted, &mut p.messages) {
                        p.failure = Some(e);
                    }
                }
                Ok(Frame::Close(close)) => p.closes.push(close),
                Ok(_) => {}
                Err(e) => p.failure = Some(e),
            }
        }
        p
    }

    /// Its packet number after `pn`.
    fn saw(&mut self, pn: u64) {
        self.largest_pn = Some(self.largest_pn.map_or(pn, |l| l.max(pn)));
    }
}

fn at(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

/// The keys and the HTTP/3 decoder are boxed: their AES key schedules
/// and tables are kilobytes, which a connection whose handshake is done
/// (the Initial keys dropped) or that has no key log should not carry
/// while it waits to be finished ([`super::held`]).
pub(super) struct QuicConnection {
    report: QuicReport,
    keys: Option<Box<InitialKeys>>,
    /// A Retry came: the client's next Initial brings new keys.
    rekey: bool,
    /// The handshake is done: the Initial keys and streams are gone (RFC
    /// 9001 §4.9.1), later Initials are only counted.
    initial_dropped: bool,
    client: Handshake,
    server: Handshake,
    /// Packets were sent that need more than the Initial keys, and there
    /// were none to open them.
    encrypted: bool,
    /// The key log, shared by every connection (`--keylog`).
    keylog: Option<Arc<KeyLog>>,
    /// ClientHello.random: what the key log is keyed by.
    client_random: Option<[u8; 32]>,
    /// The Handshake and 1-RTT keys, once the ServerHello named the suite.
    keyed: Option<Box<Keyed>>,
    /// Each direction's Handshake CRYPTO stream.
    handshake: [Handshake; 2],
    /// Each direction's largest 1-RTT packet number.
    app_largest: [Option<u64>; 2],
    /// Some Handshake or 1-RTT packet opened with the key log's secrets.
    opened_protected: bool,
    /// The last packet of the connection did not open (with keys).
    unread_last: bool,
    /// Capture frame of the last packet that opened, and of each side's
    /// last datagram.
    last_opened: u64,
    last_from: [u64; 2],
    /// A short-header packet that did not open and ends in a token its
    /// sender issued.
    reset: Option<ResetSeen>,
    /// HTTP/3 on the streams, from the first STREAM frame on.
    h3: Option<Box<crate::app::h3::H3Decoder>>,
    /// The packets worth drawing, when a ladder was asked for.
    record: Option<Box<Recorder>>,
    /// The client's transport parameters hold grease_quic_bit (RFC 9287
    /// §3): noted when they are read rather than looked up in every
    /// datagram of the server's.
    client_greases: bool,
}

impl QuicConnection {
    pub(super) fn new(
        client: Endpoint,
        server: Endpoint,
        frame: u64,
        ts: Timestamp,
        keylog: Option<Arc<KeyLog>>,
        ladder: bool,
    ) -> Self {
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
                keys: None,
                alpn: None,
                server_transport_parameters: Vec::new(),
                handshake_done: None,
                new_connection_ids: Vec::new(),
                key_updates: [0, 0],
                stateless_reset: None,
                icmp: None,
                datagrams: 0,
                idle_timeout_ms: None,
                http3: None,
                ending: QuicEnding::Open,
                silent_past_idle: false,
                problems: Vec::new(),
                ladder: None,
            },
            keys: None,
            rekey: false,
            initial_dropped: false,
            client: Handshake::default(),
            server: Handshake::default(),
            encrypted: false,
            keylog,
            client_random: None,
            keyed: None,
            handshake: Default::default(),
            app_largest: [None, None],
            opened_protected: false,
            unread_last: false,
            last_opened: 0,
            last_from: [0, 0],
            reset: None,
            h3: None,
            record: ladder.then(Box::default),
            client_greases: false,
        }
    }

    /// An ICMP error quoting a datagram of this connection: the first is
    /// kept (a sender that goes on gets more of them).
    pub(super) fn icmp(&mut self, frame: u64, u: &UdpUnreachable) {
        if self.report.icmp.is_some() {
            return;
        }
        self.report.icmp = Some(IcmpSeen {
            frame,
            reporter: u.reporter,
            about: self.side_of(&u.src),
            kind: u.kind,
        });
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

    /// A packet that was not opened, for the ladder.
    fn sealed(&mut self, frame: u64, from: Side, packet: PacketKind) {
        if let Some(r) = &mut self.record {
            r.sealed(frame, from, packet);
        }
    }

    /// One datagram's payload from `from`.
    pub(super) fn datagram(&mut self, frame: u64, ts: Timestamp, from: Side, payload: &[u8]) {
        self.report.last_ts = self.report.last_ts.max(ts);
        self.report.datagrams += 1;
        self.last_from[at(from)] = frame;
        // RFC 9287: a server may clear the fixed bit in packets to a client
        // that advertised grease_quic_bit. The server's own parameters are
        // encrypted, so packets to it are read as if it had too, once it
        // answered: only the first Initials must show the bit.
        let greased = match from {
            Side::Server => self.client_greases,
            Side::Client => self.report.server_scid.is_some(),
        };
        let mut packets = header::coalesced(payload, greased);
        for p in packets.by_ref() {
            self.packet(frame, from, &p);
        }
        if let Some(e) = packets.error {
            self.problem(frame, from, e);
        }
    }

    fn counts(&mut self, from: Side) -> &mut PacketCounts {
        match from {
            Side::Client => &mut self.report.client_packets,
            Side::Server => &mut self.report.server_packets,
        }
    }

    /// Time of its last datagram.
    pub(super) fn last_ts(&self) -> Timestamp {
        self.report.last_ts
    }

    /// A CONNECTION_CLOSE was read or a stateless reset recognised: what
    /// remains is the draining period (RFC 9000 §10.2).
    pub(super) fn closing(&self) -> bool {
        self.report.close.is_some() || self.reset.is_some()
    }

    /// The effective idle timeout from the parameters read so far.
    pub(super) fn idle_timeout_ms(&self) -> Option<u64> {
        idle_timeout_ms(
            &self.report.transport_parameters,
            &self.report.server_transport_parameters,
        )
    }
}
