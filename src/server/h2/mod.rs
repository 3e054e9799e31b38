//! HTTP/2 in cleartext (RFC 9113) on the same port as HTTP/1.x: chosen by
//! prior knowledge, the client's preface seen by peeking (§3.3, as Traffic
//! Server's protocol probe does), or by the deprecated `Upgrade: h2c` of
//! RFC 7540 §3.2.
//!
//! - [`upgrade`]: recognising the h2c upgrade and decoding HTTP2-Settings
//! - [`session`]: the connection without a socket: preface, frame rules,
//!   errors (§5.4); [`headers`], [`flow`], [`respond`] and [`goaway`] hold
//!   its field blocks, flow control and settings, answers, and endings
//! - [`stream`]: one stream's §5.1 state and windows
//! - [`conn`]: the socket side and what each read mode does
//!
//! Framing is [`crate::proto::h2`]'s and header compression
//! [`crate::proto::hpack`]'s, shared with the analyzer.

pub(super) mod conn;
mod flow;
mod goaway;
mod headers;
mod respond;
pub(crate) mod session;
pub mod stream;
pub(super) mod upgrade;

pub use stream::{Request, StreamState};
#[cfg(test)]
mod tests;
