//! The endpoint's UDP socket, watched: quinn drops what it cannot use
//! without a word, so every datagram in is read first with the analyzer's
//! own QUIC header reader (`proto::quic`) and one that the endpoint will
//! drop gets a `quic-dropped` line saying why; every datagram out is
//! checked for a stateless reset (RFC 9000 §10.3), which quinn sends on
//! its own and does not report.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use quinn::udp::{RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, UdpPoller};

use super::cid::{CID_LEN, Keys};
use crate::proto::quic::header::{self, LongType, PacketHeader};
use crate::proto::quic::{InitialKeys, Scratch, Side, Version};
use crate::server::log::{Emitter, Event, QuicEvent};

/// RFC 9000 §14.1: a client's Initial travels in a datagram of at least
/// 1200 bytes; a server drops a smaller one.
const MIN_INITIAL: usize = 1200;

/// What the tap shares with the connections: the keys, the log, and the
/// connection numbers by peer address (so a stateless reset is logged
/// under the connection it ends, even after the endpoint forgot it).
pub(super) struct Watch {
    pub keys: Keys,
    pub log: Emitter,
    peers: Mutex<HashMap<SocketAddr, u64>>,
    /// The last Destination Connection ID each peer sent in a short
    /// header: what a stateless reset to that peer answers.
    last_dcid: Mutex<HashMap<SocketAddr, [u8; CID_LEN]>>,
}

impl Watch {
    pub fn new(keys: Keys, log: Emitter) -> Watch {
        Watch {
            keys,
            log,
            peers: Mutex::new(HashMap::new()),
            last_dcid: Mutex::new(HashMap::new()),
        }
    }

    /// `peer`'s connection is number `id`.
    pub fn remember(&self, peer: SocketAddr, id: u64) {
        lock(&self.peers).insert(peer, id);
    }

    fn conn_of(&self, peer: SocketAddr) -> Option<u64> {
        lock(&self.peers).get(&peer).copied()
    }

    /// One datagram in.
    fn received(&self, peer: SocketAddr, bytes: &[u8]) {
        match self.verdict(peer, bytes) {
            Some(reason) if self.log.on() => self.log.emit(
                self.conn_of(peer),
                Event::Quic(QuicEvent::QuicDropped {
                    peer,
                    bytes: bytes.len(),
                    reason,
                }),
            ),
            _ => {}
        }
    }

    /// Why the endpoint will drop `bytes`, if it will; `None` for what it
    /// can use (or cannot be judged from outside the connection).
    fn verdict(&self, peer: SocketAddr, bytes: &[u8]) -> Option<String> {
        // The endpoint does not advertise grease_quic_bit (RFC 9287), so
        // the fixed bit must be set.
        let packet = match header::packet(bytes, false) {
            Ok(p) => p,
            Err(e) => return Some(e.to_string()),
        };
        match &packet.header {
            PacketHeader::Short => {
                let Some(dcid) = bytes.get(1..1 + CID_LEN) else {
                    return Some(format!(
                        "a short header of {} bytes cannot hold a {CID_LEN}-byte connection ID",
                        bytes.len()
                    ));
                };
                if !self.keys.issued(dcid) {
                    return Some(
                        "a short header for a connection ID this endpoint never issued".into(),
                    );
                }
                let mut id = [0; CID_LEN];
                id.copy_from_slice(dcid);
                lock(&self.last_dcid).insert(peer, id);
                None
            }
            PacketHeader::Long {
                kind: LongType::Initial,
                version,
                dcid,
                ..
            } if *version == Version::V1 => {
                if bytes.len() < MIN_INITIAL {
                    return Some(format!(
                        "an Initial in a datagram of {} bytes (RFC 9000 §14.1: at least {MIN_INITIAL})",
                        bytes.len()
                    ));
                }
                // Once the server has answered, the client's Initials carry
                // the server's connection ID but keep the keys of the first
                // DCID (RFC 9001 §5.2): only a first Initial can be opened
                // here, and one that does not open is noise or damage.
                if self.keys.issued(&dcid.0) {
                    return None;
                }
                match InitialKeys::new(*version, &dcid.0).and_then(|k| {
                    k.open(Side::Client, &packet, None, &mut Scratch::default())
                        .map(|_| ())
                }) {
                    Ok(_) => None,
                    Err(e) => Some(format!("an Initial that does not open: {e}")),
                }
            }
            PacketHeader::Long { version, .. } | PacketHeader::UnknownVersion { version, .. }
                if *version != Version::V1 && bytes.len() < MIN_INITIAL =>
            {
                // RFC 9000 §5.2.2: too small to be answered with Version
                // Negotiation.
                Some(format!(
                    "version 0x{:08x} is not spoken, and {} bytes are too few for a Version Negotiation answer (RFC 9000 §5.2.2)",
                    version.0,
                    bytes.len()
                ))
            }
            PacketHeader::Retry { .. } => Some("a Retry, which only a server sends".into()),
            PacketHeader::VersionNegotiation { .. } => {
                Some("a Version Negotiation, which only a server sends".into())
            }
            _ => None,
        }
    }

    /// One datagram out: a stateless reset is a short header whose last
    /// 16 bytes are the token of the connection ID the peer just used
    /// (RFC 9000 §10.3); an AEAD tag equals it with probability 2^-128.
    fn sent(&self, to: SocketAddr, bytes: &[u8]) {
        if bytes.len() < 21 || bytes[0] & 0xc0 != 0x40 {
            return;
        }
        let Some(dcid) = lock(&self.last_dcid).get(&to).copied() else {
            return;
        };
        if bytes[bytes.len() - 16..] == self.keys.reset_token(&dcid) {
            self.log.emit(
                self.conn_of(to),
                Event::Quic(QuicEvent::StatelessReset {
                    peer: to,
                    bytes: bytes.len(),
                }),
            );
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// quinn's socket for the runtime, with the [`Watch`] in the way.
pub(super) struct Tap {
    pub inner: Arc<dyn AsyncUdpSocket>,
    pub watch: Arc<Watch>,
    /// Once set, nothing more is read: the endpoint is about to be
    /// dropped and restarted on the same socket, and a datagram it read in
    /// the meantime (the client's ACK of the last packet) would be taken
    /// by the connection it is about to forget instead of meeting the
    /// restarted endpoint, whose answer is the stateless reset (RFC 9000
    /// §10.3). The runtime that polls this is dropped without waking it.
    pub deaf: Arc<AtomicBool>,
}

impl fmt::Debug for Tap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tap").field("inner", &self.inner).finish()
    }
}

impl AsyncUdpSocket for Tap {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        self.inner.clone().create_io_poller()
    }

    fn try_send(&self, transmit: &Transmit) -> io::Result<()> {
        self.inner.try_send(transmit)?;
        let stride = transmit
            .segment_size
            .unwrap_or(transmit.contents.len())
            .max(1);
        for datagram in transmit.contents.chunks(stride) {
            self.watch.sent(transmit.destination, datagram);
        }
        Ok(())
    }

    fn poll_recv(
        &self,
        cx: &mut Context,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        if self.deaf.load(Ordering::SeqCst) {
            return Poll::Pending;
        }
        let polled = self.inner.poll_recv(cx, bufs, meta);
        if let Poll::Ready(Ok(n)) = &polled {
            for (buf, m) in bufs.iter().zip(meta.iter()).take(*n) {
                // With GRO one buffer holds several datagrams of `stride`
                // bytes (the last may be shorter).
                let data = &buf[..m.len.min(buf.len())];
                for datagram in data.chunks(m.stride.max(1)) {
                    self.watch.received(m.addr, datagram);
                }
            }
        }
        polled
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn max_transmit_segments(&self) -> usize {
        self.inner.max_transmit_segments()
    }

    fn max_receive_segments(&self) -> usize {
        self.inner.max_receive_segments()
    }

    fn may_fragment(&self) -> bool {
        self.inner.may_fragment()
    }
}
