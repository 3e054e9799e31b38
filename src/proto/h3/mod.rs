//! HTTP/3 as a passive reader sees it on a QUIC connection's decrypted
//! streams: the frames of RFC 9114 §7 read incrementally from a stream's
//! bytes ([`frame`]), the unidirectional stream types (§6.2), SETTINGS and
//! GOAWAY, and QPACK field sections (RFC 9204 §4.5) decoded with the static
//! table, literals ([`qpack`]) and the dynamic table rebuilt from the
//! encoder stream ([`qpack_table`]). A field section whose dynamic entries
//! were never seen is reported as such, not guessed at.
//!
//! Pure syntax over byte slices; every length is checked, every error is a
//! value (the `h3_frames` and `qpack_section` fuzz targets hold it to
//! that).

pub mod frame;
pub mod qpack;
pub mod qpack_table;
mod static_table;
#[cfg(test)]
mod tests;

pub use frame::{FrameReader, StreamType};
pub use qpack::{Field, QpackError};
pub use qpack_table::DynamicTable;

/// What is wrong with an HTTP/3 stream's bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum H3Error {
    /// A frame longer than this reader holds (only DATA and unknown frames
    /// are read past without holding them).
    #[error("a {kind} frame of {len} bytes, more than the {max} held")]
    FrameTooLarge {
        /// Its type's name.
        kind: &'static str,
        /// Its Length field.
        len: u64,
        /// The most held.
        max: usize,
    },
    /// A frame's payload does not parse (RFC 9114 §7.2: H3_FRAME_ERROR).
    #[error("a malformed {0} frame")]
    Malformed(&'static str),
    /// A field section that does not decode.
    #[error("field section: {0}")]
    Qpack(#[from] QpackError),
    /// A stream's bytes past what is held for reassembly.
    #[error("stream data beyond a gap: more than {0} bytes held")]
    Held(usize),
}

/// An HTTP/3 error code's name (RFC 9114 §8.1; RFC 9204 §6 for QPACK's),
/// as carried in an application CONNECTION_CLOSE, RESET_STREAM or
/// STOP_SENDING of a connection whose ALPN is h3.
pub fn error_name(code: u64) -> Option<&'static str> {
    Some(match code {
        0x100 => "H3_NO_ERROR",
        0x101 => "H3_GENERAL_PROTOCOL_ERROR",
        0x102 => "H3_INTERNAL_ERROR",
        0x103 => "H3_STREAM_CREATION_ERROR",
        0x104 => "H3_CLOSED_CRITICAL_STREAM",
        0x105 => "H3_FRAME_UNEXPECTED",
        0x106 => "H3_FRAME_ERROR",
        0x107 => "H3_EXCESSIVE_LOAD",
        0x108 => "H3_ID_ERROR",
        0x109 => "H3_SETTINGS_ERROR",
        0x10a => "H3_MISSING_SETTINGS",
        0x10b => "H3_REQUEST_REJECTED",
        0x10c => "H3_REQUEST_CANCELLED",
        0x10d => "H3_REQUEST_INCOMPLETE",
        0x10e => "H3_MESSAGE_ERROR",
        0x10f => "H3_CONNECT_ERROR",
        0x110 => "H3_VERSION_FALLBACK",
        0x200 => "QPACK_DECOMPRESSION_FAILED",
        0x201 => "QPACK_ENCODER_STREAM_ERROR",
        0x202 => "QPACK_DECODER_STREAM_ERROR",
        _ => return None,
    })
}
