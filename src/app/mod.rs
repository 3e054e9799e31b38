//! Application protocols as a capture shows them: decoders fed with one
//! connection's reassembled bytes ([`crate::stream`]), built on the pure
//! syntax in [`crate::proto`].

pub mod connection;
pub mod conversation;
pub mod detect;
pub mod dns;
pub mod h2;
pub mod h3;
pub mod http1;
pub mod in_flight;
pub mod interactive;
pub mod ip_trail;
mod label;
pub mod negotiation;
pub mod quic;
#[cfg(test)]
mod tests;
pub mod text;
pub mod timeline;
pub mod tls;

pub use connection::{
    AppOptions, AppReport, ConnectionDecoder, Finished, Held, LadderStep, RstReport, Settled,
    StreamFigures,
};
pub use conversation::{Conversation, ConversationReport, ExchangeOutcome, ExchangeReport, Label};
pub use detect::Protocol;
pub use in_flight::RstLoss;
pub use negotiation::Negotiation;
pub use text::Text;

/// Which way bytes went on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// From the client (the side that opened the connection).
    ClientToServer,
    /// From the server.
    ServerToClient,
}
