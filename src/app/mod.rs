//! Application protocols as a capture shows them: decoders fed with one
//! connection's reassembled bytes ([`crate::stream`]), built on the pure
//! syntax in [`crate::proto`].

pub mod h2;
pub mod http1;

/// Which way bytes went on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// From the client (the side that opened the connection).
    ClientToServer,
    /// From the server.
    ServerToClient,
}
