//! One QUIC connection's state while its datagrams arrive: the Initial
//! keys (re-derived after a Retry, dropped once the handshake is done),
//! each direction's CRYPTO stream and handshake messages, the counts, the
//! close; with a key log, the Handshake and 1-RTT packets too
//! ([`protected`]).

mod protected;

use std::sync::Arc;

use crate::capture::Timestamp;
use crate::proto::quic::frame::Frame;
use crate::proto::quic::header::{self, PacketHeader};
use crate::proto::quic::initial::retry_tag_valid;
use crate::proto::quic::{
    ConnectionId, CryptoStream, Frames, InitialKeys, LongType, QuicError, Scratch, Side,
    TransportParameter, TransportParameters,
};
use crate::proto::tls::{ClientHelloView, HandshakeReader, HandshakeType, ServerHello};
use crate::tls_decrypt::KeyLog;
use crate::wire::{Endpoint, UdpUnreachable};

use super::keyed::Keyed;
use super::ladder::Recorder;
use super::report::{
    CloseSeen, IcmpSeen, KeysSeen, KeysStatus, MAX_PROBLEMS, PacketCounts, PacketKind, QuicEnding,
    QuicProblem, QuicReport, ResetSeen, RetrySeen, ServerHelloSeen, idle_timeout_ms,
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

    fn packet(&mut self, frame: u64, from: Side, p: &header::Packet<'_>) {
        match &p.header {
            PacketHeader::VersionNegotiation { versions, .. } => {
                self.counts(from).version_negotiation += 1;
                if let Some(r) = &mut self.record {
                    r.version_negotiation(frame, from);
                }
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
                self.short(frame, from, p.bytes);
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
                match kind {
                    LongType::Initial if self.initial_dropped => return,
                    LongType::Initial => {}
                    LongType::Handshake => return self.handshake_packet(frame, from, p),
                    _ => {
                        // 0-RTT: the key log's early secret is not used.
                        self.encrypted = true;
                        self.unread_last = true;
                        return;
                    }
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
                            Ok(k) => self.keys = Some(Box::new(k)),
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
        let mut scratch = Scratch::default();
        let opened = match keys.open(from, p, hs.largest_pn, &mut scratch) {
            Ok(o) => o,
            Err(e) => return self.problem(frame, from, e),
        };
        hs.saw(opened.packet_number);
        self.unread_last = false;
        // Only the hellos are read (`message`).
        let wanted = match from {
            Side::Client => HandshakeType::ClientHello,
            Side::Server => HandshakeType::ServerHello,
        };
        let CryptoPacket {
            messages,
            closes,
            failure,
        } = hs.packet(opened.payload, Some(wanted));
        for close in closes {
            self.closed(frame, from, PacketKind::Initial, close);
        }
        if let Some(r) = &mut self.record {
            r.crypto(frame, from, PacketKind::Initial, &messages);
        }
        for (t, body) in messages {
            if let Some(body) = body {
                self.message(frame, from, t, &body);
            }
        }
        if let Some(e) = failure {
            self.problem(frame, from, e);
        }
    }

    /// The first CONNECTION_CLOSE is the one that ended the connection;
    /// the other side's answer or repeats (RFC 9000 §10.2) are not.
    fn closed(
        &mut self,
        frame: u64,
        from: Side,
        packet: PacketKind,
        close: crate::proto::quic::ConnectionClose,
    ) {
        if self.report.close.is_none() {
            self.report.close = Some(CloseSeen {
                by: from,
                frame,
                packet,
                close,
            });
        }
    }

    /// A whole handshake message from the Initial CRYPTO stream.
    fn message(&mut self, frame: u64, from: Side, t: HandshakeType, body: &[u8]) {
        match (from, t) {
            (Side::Client, HandshakeType::ClientHello) => {
                // Read in place: only the random, the name, ALPN and the
                // transport parameters are kept, nothing else is copied.
                let Ok(hello) = ClientHelloView::parse(body) else {
                    return;
                };
                self.client_random = Some(hello.random);
                let e = hello.extensions;
                let lossy = |name: &[u8]| String::from_utf8_lossy(name).into_owned();
                self.report.sni = e.server_name().map(lossy);
                self.report.alpn_offered = e
                    .alpn()
                    .map(|names| names.map(lossy).collect())
                    .unwrap_or_default();
                if let Some(tp) = e.quic_transport_parameters() {
                    match TransportParameters::parse(tp) {
                        Ok(tp) => {
                            self.client_greases = tp.0.contains(&TransportParameter::GreaseQuicBit);
                            self.report.transport_parameters = tp.0;
                        }
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
                    self.key_log(hello.cipher_suite);
                }
            }
            _ => {}
        }
    }

    /// The Handshake and 1-RTT keys from the key log, once the ServerHello
    /// named the suite.
    fn key_log(&mut self, suite: u16) {
        let (Some(keylog), None) = (&self.keylog, &self.report.keys) else {
            return;
        };
        let Some(random) = self.client_random else {
            return;
        };
        let version = self
            .report
            .version
            .unwrap_or(crate::proto::quic::Version::V1);
        match Keyed::from_keylog(keylog, random, suite, version) {
            Ok(k) => {
                self.keyed = Some(Box::new(k));
                self.report.keys = Some(KeysSeen {
                    status: KeysStatus::Ok,
                    reason: String::new(),
                });
            }
            Err(seen) => self.report.keys = Some(seen),
        }
    }

    /// The report, with the ending judged at `end` (the capture's last
    /// time).
    pub(super) fn finish(mut self, end: Timestamp) -> QuicReport {
        if self.keylog.is_some() && self.report.keys.is_none() {
            self.report.keys = Some(KeysSeen {
                status: KeysStatus::Unusable,
                reason:
                    "no ServerHello was seen: the suite and the secrets' connection are unknown"
                        .to_owned(),
            });
        }
        if let Some(k) = &self.keyed {
            self.report.key_updates = k.updates;
        }
        self.report.http3 = self.h3.as_mut().and_then(|h3| h3.finish());
        let record = self.record.take();
        let keyed = self.keyed.is_some();
        let r = &mut self.report;
        r.handshake_completed = r.client_packets.one_rtt > 0 && r.server_packets.one_rtt > 0;
        r.idle_timeout_ms =
            idle_timeout_ms(&r.transport_parameters, &r.server_transport_parameters);
        // A reset ends the connection when nothing opened after it.
        r.stateless_reset = self.reset.filter(|s| s.frame > self.last_opened);
        // An ICMP error ends it when the side it says is unreachable sent
        // nothing after it.
        let icmp_final = r.icmp.as_ref().is_some_and(|i| {
            let unreachable = match i.about {
                Side::Client => Side::Server,
                Side::Server => Side::Client,
            };
            self.last_from[at(unreachable)] < i.frame
        });
        let unread = if keyed {
            self.unread_last
        } else {
            self.encrypted
        };
        // An ICMP error before any close is the cause; a close after it is
        // the sender giving up on it (ngtcp2 closes on the socket error).
        let icmp_first = icmp_final
            && match (&r.icmp, &r.close) {
                (Some(i), Some(c)) => i.frame < c.frame,
                _ => true,
            };
        r.ending = if icmp_first {
            QuicEnding::IcmpUnreachable
        } else if r.close.is_some() {
            QuicEnding::ConnectionClose
        } else if r.stateless_reset.is_some() {
            QuicEnding::StatelessReset
        } else if r.negotiation.is_some() && r.client_packets.initial == 0 && !self.encrypted {
            QuicEnding::VersionNegotiation
        } else if unread {
            QuicEnding::UnknownEncrypted
        } else {
            // An idle timeout once the silence is judged, below.
            QuicEnding::Open
        };
        r.judge_silence(end);
        let last_frame = self.last_from[0].max(self.last_from[1]);
        let ladder = record.map(|rec| Box::new(rec.finish(r, last_frame)));
        r.ladder = ladder;
        self.report
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
