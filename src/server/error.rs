//! Why the server stopped, or never started.

use std::io;
use std::net::SocketAddr;

use super::{ConfigError, TlsSetupError};

/// Errors that stop the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration cannot work.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// Binding or listening failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: io::Error,
    },
    /// The poller failed.
    #[error("event loop failed: {0}")]
    Poll(#[source] io::Error),
    /// TLS could not be set up (certificate, key, key log).
    #[error("TLS: {0}")]
    Tls(#[from] TlsSetupError),
    /// The server thread panicked.
    #[error("server thread panicked")]
    Panicked,
    /// The HTTP/3 endpoint's UDP port could not be bound.
    #[error("cannot bind UDP {addr} for HTTP/3: {source}")]
    BindUdp {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: io::Error,
    },
}
