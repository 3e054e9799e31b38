//! HTTP/3 frames (RFC 9114 §7.1: a varint type, a varint length, the
//! payload) read from a stream's bytes as they come, however they are cut,
//! and the unidirectional stream types (§6.2).

use crate::proto::quic::reader::Reader;

use super::H3Error;

/// Frame types (RFC 9114 §7.2, Table 2).
pub mod ty {
    /// DATA.
    pub const DATA: u64 = 0x00;
    /// HEADERS.
    pub const HEADERS: u64 = 0x01;
    /// CANCEL_PUSH.
    pub const CANCEL_PUSH: u64 = 0x03;
    /// SETTINGS.
    pub const SETTINGS: u64 = 0x04;
    /// PUSH_PROMISE.
    pub const PUSH_PROMISE: u64 = 0x05;
    /// GOAWAY.
    pub const GOAWAY: u64 = 0x07;
    /// MAX_PUSH_ID.
    pub const MAX_PUSH_ID: u64 = 0x0d;
}

/// The type values RFC 9114 §7.2.8 reserves for greasing: 0x1f * N + 0x21.
fn reserved(kind: u64) -> bool {
    kind >= 0x21 && (kind - 0x21).is_multiple_of(0x1f)
}

/// A frame type's name.
pub fn type_name(kind: u64) -> &'static str {
    match kind {
        ty::DATA => "DATA",
        ty::HEADERS => "HEADERS",
        ty::CANCEL_PUSH => "CANCEL_PUSH",
        ty::SETTINGS => "SETTINGS",
        ty::PUSH_PROMISE => "PUSH_PROMISE",
        ty::GOAWAY => "GOAWAY",
        ty::MAX_PUSH_ID => "MAX_PUSH_ID",
        k if reserved(k) => "reserved",
        _ => "unknown",
    }
}

/// A unidirectional stream's type (RFC 9114 §6.2, RFC 9204 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamType {
    /// 0x00: the control stream (SETTINGS first, §6.2.1).
    Control,
    /// 0x01: a server push.
    Push,
    /// 0x02: QPACK encoder instructions (dynamic table inserts).
    QpackEncoder,
    /// 0x03: QPACK decoder instructions (acknowledgements).
    QpackDecoder,
    /// A greasing type, 0x1f * N + 0x21 (§6.2.3).
    Reserved(u64),
    /// Another type: an extension this reader does not know.
    Unknown(u64),
}

impl StreamType {
    /// The type a stream's first varint names.
    pub fn from_value(v: u64) -> StreamType {
        match v {
            0x00 => StreamType::Control,
            0x01 => StreamType::Push,
            0x02 => StreamType::QpackEncoder,
            0x03 => StreamType::QpackDecoder,
            v if reserved(v) => StreamType::Reserved(v),
            v => StreamType::Unknown(v),
        }
    }

    /// Its name.
    pub fn name(self) -> String {
        match self {
            StreamType::Control => "control".to_owned(),
            StreamType::Push => "push".to_owned(),
            StreamType::QpackEncoder => "QPACK encoder".to_owned(),
            StreamType::QpackDecoder => "QPACK decoder".to_owned(),
            StreamType::Reserved(v) => format!("reserved 0x{v:x}"),
            StreamType::Unknown(v) => format!("unknown 0x{v:x}"),
        }
    }
}

/// A setting's name (RFC 9114 §7.2.4.1, RFC 9204 §5, RFC 9220 §3, RFC
/// 9297 §2.1.1).
pub fn setting_name(id: u64) -> String {
    match id {
        0x01 => "QPACK_MAX_TABLE_CAPACITY".to_owned(),
        0x06 => "MAX_FIELD_SECTION_SIZE".to_owned(),
        0x07 => "QPACK_BLOCKED_STREAMS".to_owned(),
        0x08 => "ENABLE_CONNECT_PROTOCOL".to_owned(),
        0x33 => "H3_DATAGRAM".to_owned(),
        id if reserved(id) => format!("reserved 0x{id:x}"),
        id => format!("0x{id:x}"),
    }
}

/// A SETTINGS frame's payload: (identifier, value) pairs in order.
pub fn settings(payload: &[u8]) -> Result<Vec<(u64, u64)>, H3Error> {
    let mut r = Reader::new(payload);
    let mut out = Vec::new();
    while !r.is_empty() {
        let id = r.varint("id").map_err(|_| H3Error::Malformed("SETTINGS"))?;
        let v = r
            .varint("value")
            .map_err(|_| H3Error::Malformed("SETTINGS"))?;
        out.push((id, v));
    }
    Ok(out)
}

/// A payload that is one varint (GOAWAY, MAX_PUSH_ID, CANCEL_PUSH).
pub fn single_varint(payload: &[u8], kind: &'static str) -> Result<u64, H3Error> {
    let mut r = Reader::new(payload);
    let v = r.varint("id").map_err(|_| H3Error::Malformed(kind))?;
    if !r.is_empty() {
        return Err(H3Error::Malformed(kind));
    }
    Ok(v)
}

/// The largest frame payload held: a HEADERS frame of a large response
/// header, well above what servers allow by default.
pub const MAX_FRAME: usize = 64 * 1024;

/// Whether the payload of a frame type is held and handed out whole; the
/// others (DATA, unknown and reserved types) are only counted.
fn held(kind: u64) -> bool {
    matches!(
        kind,
        ty::HEADERS
            | ty::CANCEL_PUSH
            | ty::SETTINGS
            | ty::PUSH_PROMISE
            | ty::GOAWAY
            | ty::MAX_PUSH_ID
    )
}

/// A frame as the reader hands it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameSeen<'a> {
    /// Its type.
    pub kind: u64,
    /// Its Length field.
    pub len: u64,
    /// The payload of a held type; empty for the others, which are handed
    /// out as soon as their header is read.
    pub payload: &'a [u8],
}

/// Reads one stream's frames from its bytes in order.
#[derive(Debug, Clone, Default)]
pub struct FrameReader {
    /// Bytes of a frame header (two varints) not yet whole.
    head: Vec<u8>,
    /// The frame being read: its type, length, and bytes left.
    body: Option<(u64, u64, u64)>,
    /// A held frame's payload so far.
    held: Vec<u8>,
}

/// One varint at the start of `b` and its length, if all there.
pub fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut r = Reader::new(b);
    let v = r.varint("varint").ok()?;
    Some((v, r.position()))
}

impl FrameReader {
    /// The stream's next bytes; `out` gets each frame as described at
    /// [`FrameSeen`].
    pub fn feed(
        &mut self,
        mut bytes: &[u8],
        out: &mut impl FnMut(FrameSeen<'_>),
    ) -> Result<(), H3Error> {
        while !bytes.is_empty() {
            let Some((kind, len, left)) = self.body else {
                // A header: at most two 8-byte varints.
                let take = bytes.len().min(16 - self.head.len());
                let at = self.head.len();
                self.head.extend_from_slice(&bytes[..take]);
                let parsed = varint(&self.head).and_then(|(kind, n)| {
                    varint(&self.head[n..]).map(|(len, m)| (kind, len, n + m))
                });
                let Some((kind, len, n)) = parsed else {
                    bytes = &bytes[take..];
                    continue;
                };
                // Give back the bytes after the header.
                bytes = &bytes[n - at..];
                self.head.clear();
                if held(kind) {
                    if len > MAX_FRAME as u64 {
                        return Err(H3Error::FrameTooLarge {
                            kind: type_name(kind),
                            len,
                            max: MAX_FRAME,
                        });
                    }
                } else {
                    out(FrameSeen {
                        kind,
                        len,
                        payload: &[],
                    });
                }
                self.body = Some((kind, len, len));
                if len == 0 && held(kind) {
                    self.body = None;
                    out(FrameSeen {
                        kind,
                        len,
                        payload: &[],
                    });
                } else if len == 0 {
                    self.body = None;
                }
                continue;
            };
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
            if held(kind) {
                self.held.extend_from_slice(&bytes[..n]);
            }
            bytes = &bytes[n..];
            let left = left - n as u64;
            if left > 0 {
                self.body = Some((kind, len, left));
                continue;
            }
            self.body = None;
            if held(kind) {
                out(FrameSeen {
                    kind,
                    len,
                    payload: &self.held,
                });
                self.held.clear();
            }
        }
        Ok(())
    }

    /// Whether a frame was cut off by the stream's end.
    pub fn mid_frame(&self) -> bool {
        !self.head.is_empty() || self.body.is_some()
    }
}
