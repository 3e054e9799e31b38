//! HTTP/3 as a passive reader sees it on a QUIC connection's decrypted
//! streams: the frames of RFC 9114 §7 read incrementally from a stream's
//! bytes ([`frame`]), the unidirectional stream types (§6.2), SETTINGS and
//! GOAWAY, and QPACK field sections (RFC 9204 §4.5) decoded with the static
//! table and literals ([`qpack`]). A field section that refers to the
//! dynamic table is reported as such, not guessed at.
//!
//! Pure syntax over byte slices; every length is checked, every error is a
//! value (the `h3_frames` and `qpack_section` fuzz targets hold it to
//! that).

pub mod frame;
pub mod qpack;
mod static_table;
#[cfg(test)]
mod tests;

pub use frame::{FrameReader, StreamType};
pub use qpack::{Field, QpackError};

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
