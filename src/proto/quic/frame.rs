//! QUIC frames (RFC 9000 §19). An Initial or Handshake packet may carry
//! only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE (§12.4, Table 3;
//! an application's close, 0x1d, is read there too): [`Frames::new`]
//! stops at any other type. A 1-RTT packet carries any of them
//! ([`Frames::one_rtt`]), RFC 9221's DATAGRAM included. Frames a reader of
//! endings and HTTP/3 has no use for are read past and kept as their type
//! ([`Frame::Other`]).

use super::reader::Reader;
use super::{ConnectionId, QuicError};

/// A CONNECTION_CLOSE frame (RFC 9000 §19.19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionClose {
    /// 0x1d: the application closed; 0x1c: QUIC itself (a transport error
    /// code, §20.1, or a TLS alert as 0x0100 + alert, RFC 9001 §4.8).
    pub application: bool,
    /// The error code.
    pub code: u64,
    /// The frame type that caused the error (0x1c only; 0 when unknown).
    pub frame_type: Option<u64>,
    /// The reason phrase (UTF-8 by the RFC; read lossily).
    pub reason: String,
}

/// One frame, as far as this reader keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A run of PADDING frames (0x00), each one byte.
    Padding(usize),
    /// PING (0x01).
    Ping,
    /// ACK (0x02, 0x03 with ECN counts): the largest packet acknowledged.
    Ack {
        /// Largest Acknowledged.
        largest: u64,
    },
    /// CRYPTO (0x06): TLS handshake bytes at an offset of the stream.
    Crypto {
        /// Offset in the CRYPTO stream.
        offset: u64,
        /// The bytes.
        data: &'a [u8],
    },
    /// CONNECTION_CLOSE (0x1c or 0x1d).
    Close(ConnectionClose),
    /// STREAM (0x08-0x0f): bytes of a stream at an offset.
    Stream {
        /// The stream ID (§2.1: its two low bits say who opened it and
        /// whether it is unidirectional).
        id: u64,
        /// Offset of the data in the stream.
        offset: u64,
        /// The FIN bit: the stream ends with these bytes.
        fin: bool,
        /// The bytes.
        data: &'a [u8],
    },
    /// RESET_STREAM (0x04): the sender abandons its side of a stream.
    ResetStream {
        /// The stream ID.
        id: u64,
        /// The application's error code.
        code: u64,
    },
    /// STOP_SENDING (0x05): the sender asks the peer to abandon a stream.
    StopSending {
        /// The stream ID.
        id: u64,
        /// The application's error code.
        code: u64,
    },
    /// NEW_CONNECTION_ID (0x18): a connection ID for the peer to use, and
    /// the stateless reset token that goes with it (§10.3).
    NewConnectionId {
        /// Sequence number.
        sequence: u64,
        /// The connection ID.
        cid: ConnectionId,
        /// Its stateless reset token.
        token: [u8; 16],
    },
    /// HANDSHAKE_DONE (0x1e): the server confirms the handshake (§19.20).
    HandshakeDone,
    /// Any other frame of §19 or RFC 9221, read past: its type.
    Other(u64),
}

/// Frame type values read here (RFC 9000 §19, Table 32).
mod ty {
    pub const PADDING: u64 = 0x00;
    pub const PING: u64 = 0x01;
    pub const ACK: u64 = 0x02;
    pub const ACK_ECN: u64 = 0x03;
    pub const RESET_STREAM: u64 = 0x04;
    pub const STOP_SENDING: u64 = 0x05;
    pub const CRYPTO: u64 = 0x06;
    pub const NEW_TOKEN: u64 = 0x07;
    pub const STREAM: u64 = 0x08;
    pub const STREAM_LAST: u64 = 0x0f;
    pub const MAX_DATA: u64 = 0x10;
    pub const MAX_STREAM_DATA: u64 = 0x11;
    pub const MAX_STREAMS_BIDI: u64 = 0x12;
    pub const MAX_STREAMS_UNI: u64 = 0x13;
    pub const DATA_BLOCKED: u64 = 0x14;
    pub const STREAM_DATA_BLOCKED: u64 = 0x15;
    pub const STREAMS_BLOCKED_BIDI: u64 = 0x16;
    pub const STREAMS_BLOCKED_UNI: u64 = 0x17;
    pub const NEW_CONNECTION_ID: u64 = 0x18;
    pub const RETIRE_CONNECTION_ID: u64 = 0x19;
    pub const PATH_CHALLENGE: u64 = 0x1a;
    pub const PATH_RESPONSE: u64 = 0x1b;
    pub const CLOSE_QUIC: u64 = 0x1c;
    pub const CLOSE_APP: u64 = 0x1d;
    pub const HANDSHAKE_DONE: u64 = 0x1e;
    /// IMMEDIATE_ACK of the ACK frequency extension
    /// (draft-ietf-quic-ack-frequency): no fields, it asks the peer to
    /// acknowledge at once. quinn puts it in its path MTU probes when both
    /// sides advertised `min_ack_delay`; not knowing it would drop the rest
    /// of the packet's frames.
    pub const IMMEDIATE_ACK: u64 = 0x1f;
    /// RFC 9221 §4.
    pub const DATAGRAM: u64 = 0x30;
    pub const DATAGRAM_LEN: u64 = 0x31;
}

/// A frame type's name, as §19 writes it.
pub fn type_name(kind: u64) -> &'static str {
    match kind {
        ty::PADDING => "PADDING",
        ty::PING => "PING",
        ty::ACK | ty::ACK_ECN => "ACK",
        ty::RESET_STREAM => "RESET_STREAM",
        ty::STOP_SENDING => "STOP_SENDING",
        ty::CRYPTO => "CRYPTO",
        ty::NEW_TOKEN => "NEW_TOKEN",
        ty::STREAM..=ty::STREAM_LAST => "STREAM",
        ty::MAX_DATA => "MAX_DATA",
        ty::MAX_STREAM_DATA => "MAX_STREAM_DATA",
        ty::MAX_STREAMS_BIDI | ty::MAX_STREAMS_UNI => "MAX_STREAMS",
        ty::DATA_BLOCKED => "DATA_BLOCKED",
        ty::STREAM_DATA_BLOCKED => "STREAM_DATA_BLOCKED",
        ty::STREAMS_BLOCKED_BIDI | ty::STREAMS_BLOCKED_UNI => "STREAMS_BLOCKED",
        ty::NEW_CONNECTION_ID => "NEW_CONNECTION_ID",
        ty::RETIRE_CONNECTION_ID => "RETIRE_CONNECTION_ID",
        ty::PATH_CHALLENGE => "PATH_CHALLENGE",
        ty::PATH_RESPONSE => "PATH_RESPONSE",
        ty::CLOSE_QUIC | ty::CLOSE_APP => "CONNECTION_CLOSE",
        ty::HANDSHAKE_DONE => "HANDSHAKE_DONE",
        ty::DATAGRAM | ty::DATAGRAM_LEN => "DATAGRAM",
        ty::IMMEDIATE_ACK => "IMMEDIATE_ACK",
        _ => "unknown",
    }
}

/// The frames of one packet's payload, in order.
pub struct Frames<'a> {
    r: Reader<'a>,
    failed: bool,
    /// Every frame type is allowed (a 1-RTT packet), not only Table 3's
    /// Initial and Handshake ones.
    all: bool,
}

impl<'a> Frames<'a> {
    /// The frames of `payload`.
    pub fn new(payload: &'a [u8]) -> Self {
        Frames {
            r: Reader::new(payload),
            failed: false,
            all: false,
        }
    }

    /// The frames of a 1-RTT packet's payload: every type of §19.
    pub fn one_rtt(payload: &'a [u8]) -> Self {
        Frames {
            r: Reader::new(payload),
            failed: false,
            all: true,
        }
    }

    /// The frames only a 1-RTT (or 0-RTT) packet may carry.
    fn application(&mut self, kind: u64) -> Result<Frame<'a>, QuicError> {
        let r = &mut self.r;
        Ok(match kind {
            ty::STREAM..=ty::STREAM_LAST => {
                // §19.8: the OFF, LEN and FIN bits of the type.
                let id = r.varint("Stream ID")?;
                let offset = if kind & 0x04 != 0 {
                    r.varint("Offset")?
                } else {
                    0
                };
                let data = if kind & 0x02 != 0 {
                    r.varint_bytes("Stream Data")?
                } else {
                    let n = r.left();
                    r.take(n, "Stream Data")?
                };
                Frame::Stream {
                    id,
                    offset,
                    fin: kind & 0x01 != 0,
                    data,
                }
            }
            ty::RESET_STREAM => {
                let id = r.varint("Stream ID")?;
                let code = r.varint("Application Protocol Error Code")?;
                r.varint("Final Size")?;
                Frame::ResetStream { id, code }
            }
            ty::STOP_SENDING => {
                let id = r.varint("Stream ID")?;
                let code = r.varint("Application Protocol Error Code")?;
                Frame::StopSending { id, code }
            }
            ty::NEW_CONNECTION_ID => {
                let sequence = r.varint("Sequence Number")?;
                r.varint("Retire Prior To")?;
                let len = usize::from(r.u8("Length")?);
                // §19.15: 1 to 20 bytes.
                if !(1..=20).contains(&len) {
                    return Err(QuicError::ConnectionIdLength(len));
                }
                let cid = ConnectionId(r.take(len, "Connection ID")?.to_vec());
                let mut token = [0; 16];
                token.copy_from_slice(r.take(16, "Stateless Reset Token")?);
                Frame::NewConnectionId {
                    sequence,
                    cid,
                    token,
                }
            }
            ty::HANDSHAKE_DONE => Frame::HandshakeDone,
            ty::NEW_TOKEN => {
                r.varint_bytes("Token")?;
                Frame::Other(kind)
            }
            ty::MAX_DATA
            | ty::MAX_STREAMS_BIDI
            | ty::MAX_STREAMS_UNI
            | ty::DATA_BLOCKED
            | ty::STREAMS_BLOCKED_BIDI
            | ty::STREAMS_BLOCKED_UNI
            | ty::RETIRE_CONNECTION_ID => {
                r.varint("value")?;
                Frame::Other(kind)
            }
            ty::MAX_STREAM_DATA | ty::STREAM_DATA_BLOCKED => {
                r.varint("Stream ID")?;
                r.varint("value")?;
                Frame::Other(kind)
            }
            ty::PATH_CHALLENGE | ty::PATH_RESPONSE => {
                r.take(8, "Data")?;
                Frame::Other(kind)
            }
            ty::DATAGRAM => {
                let n = r.left();
                r.take(n, "Datagram Data")?;
                Frame::Other(kind)
            }
            ty::DATAGRAM_LEN => {
                r.varint_bytes("Datagram Data")?;
                Frame::Other(kind)
            }
            ty::IMMEDIATE_ACK => Frame::Other(kind),
            other => return Err(QuicError::UnknownFrame(other)),
        })
    }

    fn next_frame(&mut self) -> Result<Frame<'a>, QuicError> {
        let r = &mut self.r;
        let kind = r.varint("frame type")?;
        Ok(match kind {
            ty::PADDING => {
                let n = 1 + zeros(r.rest());
                r.take(n - 1, "PADDING")?;
                Frame::Padding(n)
            }
            ty::PING => Frame::Ping,
            ty::ACK | ty::ACK_ECN => {
                let largest = r.varint("Largest Acknowledged")?;
                r.varint("ACK Delay")?;
                let count = r.varint("ACK Range Count")?;
                // §19.3.1: each range goes down from the one before; the
                // smallest must stay at or above 0.
                let mut low = largest
                    .checked_sub(r.varint("First ACK Range")?)
                    .ok_or(QuicError::AckRange)?;
                for _ in 0..count {
                    let gap = r.varint("Gap")?;
                    let len = r.varint("ACK Range Length")?;
                    low = low
                        .checked_sub(gap.saturating_add(2))
                        .and_then(|l| l.checked_sub(len))
                        .ok_or(QuicError::AckRange)?;
                }
                if kind == ty::ACK_ECN {
                    for field in ["ECT0 Count", "ECT1 Count", "ECN-CE Count"] {
                        r.varint(field)?;
                    }
                }
                Frame::Ack { largest }
            }
            ty::CRYPTO => {
                let offset = r.varint("CRYPTO Offset")?;
                let data = r.varint_bytes("CRYPTO Data")?;
                Frame::Crypto { offset, data }
            }
            ty::CLOSE_QUIC | ty::CLOSE_APP => {
                let application = kind == ty::CLOSE_APP;
                let code = r.varint("Error Code")?;
                let frame_type = if application {
                    None
                } else {
                    Some(r.varint("Frame Type")?)
                };
                let reason = String::from_utf8_lossy(r.varint_bytes("Reason Phrase")?).into_owned();
                Frame::Close(ConnectionClose {
                    application,
                    code,
                    frame_type,
                    reason,
                })
            }
            other if self.all => return self.application(other),
            other => return Err(QuicError::FrameNotAllowed(other)),
        })
    }
}

/// How many zero bytes `bytes` starts with. A run of PADDING frames fills
/// most of every Initial datagram a client sends (RFC 9000 §14.1: at
/// least 1200 bytes), and the packets of many a 1-RTT flight, so the run
/// is read 32 bytes a step (two SSE2 loads OR-ed).
fn zeros(bytes: &[u8]) -> usize {
    let mut n = 0;
    for block in bytes.chunks_exact(32) {
        if block.iter().fold(0, |acc, &b| acc | b) != 0 {
            break;
        }
        n += 32;
    }
    n + bytes[n..].iter().take_while(|&&b| b == 0).count()
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, QuicError>;

    /// The next frame; after an error, nothing (the frames after a bad one
    /// cannot be found).
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        let f = self.next_frame();
        self.failed = f.is_err();
        Some(f)
    }
}

impl ConnectionClose {
    /// The error code's name: a transport error (RFC 9000 §20.1), a TLS
    /// alert carried as a crypto error (RFC 9001 §4.8), or, for an
    /// application's close, the number alone (its meaning is the
    /// application's: HTTP/3's are in RFC 9114 §8.1).
    pub fn code_name(&self) -> String {
        if self.application {
            return format!("application 0x{:x}", self.code);
        }
        let name = match self.code {
            0x00 => "NO_ERROR",
            0x01 => "INTERNAL_ERROR",
            0x02 => "CONNECTION_REFUSED",
            0x03 => "FLOW_CONTROL_ERROR",
            0x04 => "STREAM_LIMIT_ERROR",
            0x05 => "STREAM_STATE_ERROR",
            0x06 => "FINAL_SIZE_ERROR",
            0x07 => "FRAME_ENCODING_ERROR",
            0x08 => "TRANSPORT_PARAMETER_ERROR",
            0x09 => "CONNECTION_ID_LIMIT_ERROR",
            0x0a => "PROTOCOL_VIOLATION",
            0x0b => "INVALID_TOKEN",
            0x0c => "APPLICATION_ERROR",
            0x0d => "CRYPTO_BUFFER_EXCEEDED",
            0x0e => "KEY_UPDATE_ERROR",
            0x0f => "AEAD_LIMIT_REACHED",
            0x10 => "NO_VIABLE_PATH",
            c @ 0x0100..=0x01ff => {
                return format!("CRYPTO_ERROR (TLS alert {})", c - 0x100);
            }
            c => return format!("0x{c:x}"),
        };
        name.to_owned()
    }
}
