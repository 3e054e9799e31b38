//! HPACK, the header compression of HTTP/2 (RFC 7541).
//!
//! One implementation serves both sides of the project: the analyzer decodes
//! the header blocks it sees in a capture (one [`Decoder`] per direction of
//! each connection), and the teaching server encodes its responses with an
//! [`Encoder`] and decodes requests with a [`Decoder`].
//!
//! - [`integer`]: prefix-coded integers (§5.1)
//! - [`huffman`]: the static Huffman code (§5.2, Appendix B)
//! - [`table`]: the static table (Appendix A) and the dynamic table (§2.3, §4)
//! - [`decoder`] and [`encoder`]: header blocks (§3, §6)

pub mod decoder;
pub mod encoder;
pub mod huffman;
pub mod integer;
pub mod table;
#[cfg(test)]
mod tests;

pub use decoder::{DecodeError, DecodeErrorKind, Decoder, HeaderField};
pub use encoder::{Encoder, Sensitivity};
