//! Each packet of a datagram counted and sent on by its header: Version
//! Negotiation, Retry (and the Initial keys it re-derives), an unknown
//! version, the long header types; an Initial opened and its frames read;
//! the CONNECTION_CLOSE that ended the connection.

use crate::proto::quic::header::{self, PacketHeader};
use crate::proto::quic::initial::retry_tag_valid;
use crate::proto::quic::{InitialKeys, LongType, QuicError, Scratch, Side};
use crate::proto::tls::HandshakeType;

use super::super::report::{CloseSeen, PacketKind, RetrySeen};
use super::{CryptoPacket, QuicConnection};

impl QuicConnection {
    pub(super) fn packet(&mut self, frame: u64, from: Side, p: &header::Packet<'_>) {
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
    pub(super) fn initial(&mut self, frame: u64, from: Side, p: &header::Packet<'_>) {
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
    pub(super) fn closed(
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
}
