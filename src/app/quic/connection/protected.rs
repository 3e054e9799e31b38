//! The packets a key log opens: Handshake packets (the server's
//! EncryptedExtensions with the chosen ALPN and its transport parameters,
//! RFC 9001 §8.1 and §8.2) and 1-RTT packets (every frame, HTTP/3's streams
//! among them); and a short-header packet that does not open, checked
//! against the stateless reset tokens its sender issued (RFC 9000 §10.3).

use crate::proto::quic::frame::Frame;
use crate::proto::quic::header::Packet;
use crate::proto::quic::{ConnectionId, Frames, QuicError, Scratch, Side, TransportParameters};
use crate::proto::tls::{HandshakeType, encrypted_extensions};

use super::super::report::{
    KeysSeen, KeysStatus, MAX_NEW_CIDS, NewCidSeen, PacketKind, QuicReport, ResetSeen, TokenSource,
};
use super::{QuicConnection, at};

impl QuicConnection {
    /// The Initial keys and streams are no longer needed: RFC 9001 §4.9.1
    /// has the client discard its Initial keys when it first sends a
    /// Handshake packet, and the server when it first opens one.
    fn drop_initial(&mut self) {
        if !self.initial_dropped {
            self.initial_dropped = true;
            self.keys = None;
            self.client = Default::default();
            self.server = Default::default();
        }
    }

    /// Keys that opened nothing yet fail on a packet: the key log's secrets
    /// are not this connection's.
    fn keys_failed(&mut self, frame: u64, from: Side, e: QuicError) {
        if self.opened_protected {
            self.unread_last = true;
            return self.problem(frame, from, e);
        }
        self.keyed = None;
        self.encrypted = true;
        self.unread_last = true;
        self.report.keys = Some(KeysSeen {
            status: KeysStatus::Mismatch,
            reason: format!("frame {frame}: {e}"),
        });
    }

    /// A Handshake packet.
    pub(super) fn handshake_packet(&mut self, frame: u64, from: Side, p: &Packet<'_>) {
        if from == Side::Client {
            self.drop_initial();
        }
        let Some(keyed) = &self.keyed else {
            self.sealed(frame, from, PacketKind::Handshake);
            self.encrypted = true;
            self.unread_last = true;
            return;
        };
        let largest = self.handshake[at(from)].largest_pn;
        let mut scratch = Scratch::default();
        let opened = match keyed.open_handshake(from, p.bytes, p.pn_offset, largest, &mut scratch) {
            Ok(o) => o,
            Err(e) => return self.keys_failed(frame, from, e),
        };
        self.opened(frame);
        let hs = &mut self.handshake[at(from)];
        hs.saw(opened.packet_number);
        // Only the server's EncryptedExtensions is read.
        let wanted = (from == Side::Server).then_some(HandshakeType::EncryptedExtensions);
        let super::CryptoPacket {
            messages,
            closes,
            failure,
        } = hs.packet(opened.payload, wanted);
        for c in closes {
            self.closed(frame, from, PacketKind::Handshake, c);
        }
        if let Some(r) = &mut self.record {
            r.crypto(frame, from, PacketKind::Handshake, &messages);
        }
        for (_, body) in messages {
            if let Some(body) = body {
                self.encrypted_extensions(frame, &body);
            }
        }
        if let Some(e) = failure {
            self.problem(frame, from, e);
        }
    }

    fn opened(&mut self, frame: u64) {
        self.opened_protected = true;
        self.unread_last = false;
        self.last_opened = frame;
    }

    /// The server's EncryptedExtensions: ALPN's choice (RFC 9001 §8.1) and
    /// its transport parameters (§8.2).
    fn encrypted_extensions(&mut self, frame: u64, body: &[u8]) {
        let Ok(e) = encrypted_extensions(body) else {
            return;
        };
        self.report.alpn = e.alpn.and_then(|a| a.into_iter().next());
        if let Some(tp) = e.quic_transport_parameters {
            match TransportParameters::parse(&tp) {
                Ok(tp) => self.report.server_transport_parameters = tp.0,
                Err(err) => self.problem(frame, Side::Server, err),
            }
        }
    }

    /// A short-header packet: its Destination Connection ID's length is
    /// not on the wire (RFC 9000 §17.3.1), so it is tried with the lengths
    /// of the IDs its receiver issued ([`dcid_lens`]).
    pub(super) fn short(&mut self, frame: u64, from: Side, bytes: &[u8]) {
        let Some(keyed) = &mut self.keyed else {
            self.sealed(frame, from, PacketKind::OneRtt);
            self.encrypted = true;
            self.unread_last = true;
            return;
        };
        let largest = self.app_largest[at(from)];
        let mut scratch = Scratch::default();
        let mut result = Err(QuicError::Undecryptable("1-RTT"));
        for len in dcid_lens(&self.report, from, bytes) {
            result = keyed.open_one_rtt(from, bytes, len, largest, &mut scratch);
            if result.is_ok() {
                break;
            }
        }
        let opened = match result {
            Ok(o) => o,
            Err(e) => {
                if self.is_reset(frame, from, bytes) {
                    self.unread_last = true;
                    return;
                }
                return self.keys_failed(frame, from, e);
            }
        };
        self.app_largest[at(from)] =
            Some(largest.map_or(opened.packet_number, |l| l.max(opened.packet_number)));
        self.opened(frame);
        self.one_rtt_frames(frame, from, opened.payload);
    }

    /// Whether a packet that did not open ends in a stateless reset token
    /// its sender issued (RFC 9000 §10.3: the last 16 bytes of the
    /// datagram); if so it is kept as the connection's reset.
    fn is_reset(&mut self, frame: u64, from: Side, bytes: &[u8]) -> bool {
        let Some(tail) = bytes.len().checked_sub(16).map(|n| &bytes[n..]) else {
            return false;
        };
        let from_params = if from == Side::Server {
            self.report
                .server_transport_parameters
                .iter()
                .find_map(|p| match p {
                    crate::proto::quic::TransportParameter::StatelessResetToken(t) => Some(*t),
                    _ => None,
                })
                .filter(|t| t == tail)
                .map(|_| TokenSource::TransportParameter)
        } else {
            None
        };
        let source = from_params.or_else(|| {
            self.report
                .new_connection_ids
                .iter()
                .find(|n| n.by == from && n.token == tail)
                .map(|n| TokenSource::NewConnectionId(n.sequence))
        });
        match source {
            Some(token_from) => {
                self.reset = Some(ResetSeen {
                    by: from,
                    frame,
                    token_from,
                });
                true
            }
            None => false,
        }
    }

    /// The frames of an opened 1-RTT packet.
    fn one_rtt_frames(&mut self, frame: u64, from: Side, payload: &[u8]) {
        for f in Frames::one_rtt(payload) {
            match f {
                Ok(Frame::Close(c)) => self.closed(frame, from, PacketKind::OneRtt, c),
                Ok(Frame::HandshakeDone) => {
                    self.report.handshake_done.get_or_insert(frame);
                    self.drop_initial();
                }
                Ok(Frame::NewConnectionId {
                    sequence,
                    cid,
                    token,
                }) => {
                    // A lost packet's frames are sent again (RFC 9000
                    // §13.3): one entry per sequence number.
                    let known = self
                        .report
                        .new_connection_ids
                        .iter()
                        .any(|n| n.by == from && n.sequence == sequence);
                    if !known && self.report.new_connection_ids.len() < MAX_NEW_CIDS {
                        self.report.new_connection_ids.push(NewCidSeen {
                            by: from,
                            frame,
                            sequence,
                            cid,
                            token,
                        });
                    }
                }
                Ok(Frame::Stream {
                    id,
                    offset,
                    fin,
                    data,
                }) => self
                    .h3
                    .get_or_insert_with(Box::default)
                    .stream(frame, from, id, offset, fin, data),
                Ok(_) => {}
                Err(e) => self.problem(frame, from, e),
            }
        }
    }
}

/// The connection IDs the receiver of a packet from `from` issued: the
/// SCID of its first long header and those of its NEW_CONNECTION_ID
/// frames.
fn receiver_cids(report: &QuicReport, from: Side) -> impl Iterator<Item = &ConnectionId> + Clone {
    let (first, issuer) = match from {
        Side::Client => (&report.server_scid, Side::Server),
        Side::Server => (&report.client_scid, Side::Client),
    };
    first.iter().chain(
        report
            .new_connection_ids
            .iter()
            .filter(move |n| n.by == issuer)
            .map(|n| &n.cid),
    )
}

/// The Destination Connection ID lengths a short-header packet from `from`
/// is tried with: first that of each ID its receiver issued that the
/// packet starts with, in the order they were issued, then each other
/// length of those IDs once. Walked as the tries go, nothing collected: the
/// first length opens nearly every packet.
fn dcid_lens<'a>(
    report: &'a QuicReport,
    from: Side,
    bytes: &'a [u8],
) -> impl Iterator<Item = usize> + 'a {
    let cids = receiver_cids(report, from);
    let starts = move |c: &ConnectionId| bytes.get(1..1 + c.0.len()) == Some(&c.0[..]);
    let starting = cids.clone().filter(move |c| starts(c));
    let others = cids.clone().enumerate().filter(move |&(i, c)| {
        let len = c.0.len();
        !cids.clone().take(i).any(|d| d.0.len() == len)
            && !cids.clone().any(|d| d.0.len() == len && starts(d))
    });
    starting.chain(others.map(|(_, c)| c)).map(|c| c.0.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::wire::Endpoint;

    #[test]
    fn a_short_header_tries_the_ids_it_starts_with_then_each_other_length_once() {
        let at = |port| Endpoint {
            addr: [127, 0, 0, 1].into(),
            port,
        };
        let mut r = QuicConnection::new(at(40000), at(443), 1, Timestamp(0), None, false).report;
        r.server_scid = Some(ConnectionId(vec![1; 8]));
        let issued = [
            (Side::Server, vec![2; 4]),
            (Side::Server, vec![9; 8]),
            (Side::Client, vec![2; 6]),
            (Side::Server, vec![2; 5]),
            (Side::Server, vec![3; 16]),
            (Side::Server, vec![2; 4]),
        ];
        for (sequence, (by, cid)) in (1..).zip(issued) {
            r.new_connection_ids.push(NewCidSeen {
                by,
                frame: 1,
                sequence,
                cid: ConnectionId(cid),
                token: [0; 16],
            });
        }
        // The client's packet starts with the server's 4- and 5-byte IDs
        // (the 4-byte one issued twice: tried twice), then the server's
        // other lengths in the order they were issued; the client's own ID
        // is not the receiver's.
        let packet = [0x40, 2, 2, 2, 2, 2, 2, 7, 7, 7];
        let lens: Vec<_> = dcid_lens(&r, Side::Client, &packet).collect();
        assert_eq!(lens, [4, 5, 4, 8, 16]);
        // Nothing matches: each length once, in order.
        let lens: Vec<_> = dcid_lens(&r, Side::Client, &[0x40, 5, 5]).collect();
        assert_eq!(lens, [8, 4, 5, 16]);
        // The server's packet: only the ID the client issued counts.
        let lens: Vec<_> = dcid_lens(&r, Side::Server, &packet).collect();
        assert_eq!(lens, [6]);
    }
}
