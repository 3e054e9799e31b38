//! The frames an Initial or Handshake packet may carry (RFC 9000 §12.4,
//! Table 3): PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE of type 0x1c
//! (§19). An application's close (0x1d) is read too, for a packet whose
//! keys a caller has; any other type there is a protocol violation and
//! ends the reading of that packet.

use super::QuicError;
use super::reader::Reader;

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
}

/// Frame type values read here (RFC 9000 §19, Table 32).
mod ty {
    pub const PADDING: u64 = 0x00;
    pub const PING: u64 = 0x01;
    pub const ACK: u64 = 0x02;
    pub const ACK_ECN: u64 = 0x03;
    pub const CRYPTO: u64 = 0x06;
    pub const CLOSE_QUIC: u64 = 0x1c;
    pub const CLOSE_APP: u64 = 0x1d;
}

/// The frames of one packet's payload, in order.
pub struct Frames<'a> {
    r: Reader<'a>,
    failed: bool,
}

impl<'a> Frames<'a> {
    /// The frames of `payload`.
    pub fn new(payload: &'a [u8]) -> Self {
        Frames {
            r: Reader::new(payload),
            failed: false,
        }
    }

    fn next_frame(&mut self) -> Result<Frame<'a>, QuicError> {
        let r = &mut self.r;
        let kind = r.varint("frame type")?;
        Ok(match kind {
            ty::PADDING => {
                let n = 1 + r.rest().iter().take_while(|&&b| b == 0).count();
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
            other => return Err(QuicError::FrameNotAllowed(other)),
        })
    }
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
