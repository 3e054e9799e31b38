//! Protocol syntax: pure encoders and decoders, no sockets, no clocks, nothing
//! else from this crate.
//!
//! Each module here is written by hand because teaching the protocol is the
//! point; well-kept crates serve only as oracles in the tests.

pub mod dns;
pub mod h2;
pub mod h3;
pub mod hpack;
pub mod quic;
pub mod tls;
