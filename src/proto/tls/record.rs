//! The record layer (RFC 8446 §5.1, RFC 5246 §6.2): a five-byte header
//! (content type, legacy version, length) and a fragment. A TCP segment may
//! hold several records or a piece of one; [`RecordReader`] takes a
//! direction's bytes in whatever pieces they come and hands out whole
//! records.

use std::fmt;

use super::ProtocolVersion;

/// Bytes of a record header.
pub const HEADER_LEN: usize = 5;
/// Largest plaintext fragment (RFC 8446 §5.1: 2^14).
pub const MAX_PLAINTEXT: usize = 1 << 14;
/// Largest protected record body (RFC 8446 §5.2: 2^14 + 256; a longer one
/// is a `record_overflow`). TLS 1.2 allows 2^14 + 2048 for a compressed and
/// protected record (RFC 5246 §6.2.3), but compression is gone from every
/// current stack (RFC 8446 §4.1.2 and RFC 7457 §2.6): the stricter bound is
/// what real peers enforce.
pub const MAX_CIPHERTEXT: usize = MAX_PLAINTEXT + 256;

/// A record's content type (RFC 8446 §5.1; heartbeat from RFC 6520).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentType {
    /// 20.
    ChangeCipherSpec,
    /// 21.
    Alert,
    /// 22.
    Handshake,
    /// 23: application data, and in TLS 1.3 every protected record.
    ApplicationData,
    /// 24.
    Heartbeat,
}

impl ContentType {
    /// The type for a byte, if it is one.
    pub fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            24 => ContentType::Heartbeat,
            _ => return None,
        })
    }

    /// The byte on the wire.
    pub fn code(self) -> u8 {
        match self {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
            ContentType::Heartbeat => 24,
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContentType::ChangeCipherSpec => "ChangeCipherSpec",
            ContentType::Alert => "Alert",
            ContentType::Handshake => "Handshake",
            ContentType::ApplicationData => "Application Data",
            ContentType::Heartbeat => "Heartbeat",
        })
    }
}

/// A record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// The content type (for a TLS 1.3 protected record, its outer type).
    pub content_type: ContentType,
    /// `legacy_record_version`: 0x0301 in many first ClientHellos, 0x0303
    /// after that, whatever the version negotiated (RFC 8446 §5.1).
    pub version: ProtocolVersion,
    /// Bytes of the fragment that follows.
    pub length: u16,
}

/// A header no TLS peer would send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Not one of the content types (RFC 8446 §5: unexpected_message).
    #[error("content type {0} is not a TLS record type")]
    ContentType(u8),
    /// A legacy version whose major byte is not 3.
    #[error("record version 0x{0:04x} is not TLS (3.x)")]
    Version(u16),
    /// Longer than any record may be (RFC 8446 §5.2: record_overflow).
    #[error("a record of {0} bytes, more than 2^14 + 256 (record_overflow)")]
    Overflow(u16),
    /// A handshake or alert record with no bytes (RFC 8446 §5.1 forbids
    /// zero-length fragments of those types).
    #[error("an empty {0} record")]
    Empty(ContentType),
}

impl RecordHeader {
    /// Reads a header from its five bytes.
    pub fn parse(b: [u8; HEADER_LEN]) -> Result<Self, RecordError> {
        let content_type = ContentType::from_u8(b[0]).ok_or(RecordError::ContentType(b[0]))?;
        let version = u16::from_be_bytes([b[1], b[2]]);
        if b[1] != 3 {
            return Err(RecordError::Version(version));
        }
        let length = u16::from_be_bytes([b[3], b[4]]);
        if usize::from(length) > MAX_CIPHERTEXT {
            return Err(RecordError::Overflow(length));
        }
        if length == 0 && matches!(content_type, ContentType::Handshake | ContentType::Alert) {
            return Err(RecordError::Empty(content_type));
        }
        Ok(RecordHeader {
            content_type,
            version: ProtocolVersion(version),
            length,
        })
    }
}

/// One whole record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Stream offset of its header's first byte.
    pub offset: u64,
    /// Its header.
    pub header: RecordHeader,
    /// Its fragment, when the caller asked to keep it.
    pub body: Option<&'a [u8]>,
}

/// A record whose end the bytes never reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// Stream offset of its first byte.
    pub offset: u64,
    /// Its header, when all five bytes came.
    pub header: Option<RecordHeader>,
    /// Bytes of it that came, header included.
    pub received: usize,
}

/// Splits one direction's bytes into records.
#[derive(Debug, Clone, Default)]
pub struct RecordReader {
    /// Stream offset of the next byte.
    offset: u64,
    header: [u8; HEADER_LEN],
    header_len: usize,
    /// The record being read: its offset, header, and whether its
    /// fragment is kept.
    current: Option<(u64, RecordHeader, bool)>,
    /// Its fragment's bytes still to come.
    remaining: usize,
    /// Its fragment so far, when kept and split over pieces.
    body: Vec<u8>,
    /// Where and why reading stopped for good.
    failed: Option<(u64, RecordError)>,
}

impl RecordReader {
    /// A reader whose first byte is at stream offset `offset`.
    pub fn new(offset: u64) -> Self {
        RecordReader {
            offset,
            ..RecordReader::default()
        }
    }

    /// Bytes held for a record not yet whole.
    pub fn buffered(&self) -> usize {
        self.body.len() + self.header_len
    }

    /// The record the bytes stopped inside, if they did.
    pub fn partial(&self) -> Option<Partial> {
        match self.current {
            Some((offset, header, _)) => Some(Partial {
                offset,
                header: Some(header),
                received: HEADER_LEN + usize::from(header.length) - self.remaining,
            }),
            None if self.header_len > 0 => Some(Partial {
                offset: self.offset - self.header_len as u64,
                header: None,
                received: self.header_len,
            }),
            None => None,
        }
    }

    /// Stream offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The error reading stopped at, and its stream offset.
    pub fn failed(&self) -> Option<(u64, RecordError)> {
        self.failed
    }

    /// The next bytes of the direction. `keep` says, per header, whether
    /// the record's fragment is wanted (an encrypted record's is not, unless
    /// something will decrypt it); `out` gets each record completed. After
    /// an error nothing more is read.
    pub fn feed(
        &mut self,
        mut bytes: &[u8],
        keep: &mut impl FnMut(&RecordHeader) -> bool,
        out: &mut impl FnMut(Record<'_>),
    ) -> Result<(), (u64, RecordError)> {
        if let Some(f) = self.failed {
            return Err(f);
        }
        while !bytes.is_empty() {
            // The usual case: a whole record at the start of the piece,
            // read where it lies (no header copied, no state kept).
            if self.current.is_none()
                && self.header_len == 0
                && let [t, v0, v1, l0, l1, rest @ ..] = bytes
                && rest.len() >= usize::from(u16::from_be_bytes([*l0, *l1]))
            {
                let at = self.offset;
                self.offset += HEADER_LEN as u64;
                let header = RecordHeader::parse([*t, *v0, *v1, *l0, *l1]).map_err(|e| {
                    self.failed = Some((at, e));
                    (at, e)
                })?;
                let (body, tail) = rest.split_at(usize::from(header.length));
                self.offset += body.len() as u64;
                bytes = tail;
                let kept = keep(&header);
                out(Record {
                    offset: at,
                    header,
                    body: kept.then_some(body),
                });
                continue;
            }
            let Some((at, header, kept)) = self.current else {
                let n = (HEADER_LEN - self.header_len).min(bytes.len());
                self.header[self.header_len..self.header_len + n].copy_from_slice(&bytes[..n]);
                self.header_len += n;
                self.offset += n as u64;
                bytes = &bytes[n..];
                if self.header_len < HEADER_LEN {
                    return Ok(());
                }
                let at = self.offset - HEADER_LEN as u64;
                self.header_len = 0;
                let header = RecordHeader::parse(self.header).map_err(|e| {
                    self.failed = Some((at, e));
                    (at, e)
                })?;
                let kept = keep(&header);
                self.current = Some((at, header, kept));
                self.remaining = usize::from(header.length);
                self.body.clear();
                if self.remaining == 0 {
                    self.current = None;
                    out(Record {
                        offset: at,
                        header,
                        body: kept.then_some(&[][..]),
                    });
                }
                continue;
            };
            let n = self.remaining.min(bytes.len());
            let (piece, rest) = bytes.split_at(n);
            bytes = rest;
            self.offset += n as u64;
            self.remaining -= n;
            let done = self.remaining == 0;
            if done {
                self.current = None;
            }
            match (kept, done) {
                // The whole fragment in this piece: no copy.
                (true, true) if self.body.is_empty() => out(Record {
                    offset: at,
                    header,
                    body: Some(piece),
                }),
                (true, true) => {
                    self.body.extend_from_slice(piece);
                    out(Record {
                        offset: at,
                        header,
                        body: Some(&self.body),
                    });
                    self.body.clear();
                }
                (true, false) => self.body.extend_from_slice(piece),
                (false, true) => out(Record {
                    offset: at,
                    header,
                    body: None,
                }),
                (false, false) => {}
            }
        }
        Ok(())
    }
}
