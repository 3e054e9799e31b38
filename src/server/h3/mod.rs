//! HTTP/3 beside the TLS listener (`lab serve --h3`): QUIC on UDP on the
//! same port number (RFC 9114 §3.1), with quinn, h3 and h3-quinn on their
//! own thread and tokio runtime, the same certificate and body, the same
//! event log, and a choice of how each connection ends ([`H3Close`]).
//!
//! [`settings`] is always compiled; the endpoint needs the `h3` feature.

#[cfg(feature = "h3")]
mod cid;
#[cfg(feature = "h3")]
mod conn;
#[cfg(feature = "h3")]
mod endpoint;
mod settings;
#[cfg(feature = "h3")]
mod tap;

#[cfg(feature = "h3")]
pub(super) use endpoint::Bound;
pub use settings::{H3Close, H3Settings};
